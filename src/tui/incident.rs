//! Saved incidents: the compromised set, the plan steps marked done and the responder's
//! notes, as JSON in the data directory. Written beside the target and renamed, so a
//! crash never leaves half a file. The TUI saves after every change, under a name
//! derived from the compromised set until the responder names the incident.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub schema: String,
    pub name: String,
    /// Stable keys of the compromised nodes.
    pub compromised: Vec<String>,
    /// Ids of the plan steps marked done.
    #[serde(default)]
    pub done: Vec<String>,
    #[serde(default)]
    pub notes: Vec<Note>,
}

/// A responder's note and when it was written (wall-clock time, not `--at`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "NoteIn")]
pub struct Note {
    pub at: Option<jiff::Timestamp>,
    pub text: String,
}

/// Notes as files hold them: `{"at", "text"}`, or a plain string (files written before
/// notes had times).
#[derive(Deserialize)]
#[serde(untagged)]
enum NoteIn {
    Timed {
        at: Option<jiff::Timestamp>,
        text: String,
    },
    Plain(String),
}

impl From<NoteIn> for Note {
    fn from(n: NoteIn) -> Note {
        match n {
            NoteIn::Timed { at, text } => Note { at, text },
            NoteIn::Plain(text) => Note { at: None, text },
        }
    }
}

/// The name an incident is saved under until the responder gives one: the name of the
/// compromised node whose key sorts first, made file-safe, and a hash of the whole set (so two sets
/// never share a file, and the same set finds its file again).
pub fn derived_name(keys: &[&str]) -> String {
    let mut sorted = keys.to_vec();
    sorted.sort_unstable();
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for key in &sorted {
        for b in key.bytes().chain([0]) {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let first = sorted
        .first()
        .map_or("incident", |k| crate::model::name_of_key(k));
    let mut slug = String::new();
    for c in first.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            c
        } else {
            '-'
        };
        if !(c == '-' && (slug.is_empty() || slug.ends_with('-'))) {
            slug.push(c);
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_matches(['-', '.']);
    let slug = if slug.is_empty() { "incident" } else { slug };
    format!("{slug}-{:08x}", hash as u32)
}

pub const SCHEMA: &str = "trustpath/incident/v1";

/// Incident names become file names: letters, digits, `.`, `_` and `-` only.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

pub fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join("incidents").join(format!("{name}.json"))
}

/// Writes `bytes` to `path` atomically (see [`crate::atomic`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    crate::atomic::write_bytes(path, bytes)
}

pub fn save(dir: &Path, incident: &Incident) -> io::Result<PathBuf> {
    let path = path(dir, &incident.name);
    let mut text = serde_json::to_string_pretty(incident).map_err(io::Error::other)?;
    text.push('\n');
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

pub fn load(dir: &Path, name: &str) -> Result<Incident, String> {
    if !valid_name(name) {
        return Err(format!(
            "`{}` is not an incident name (letters, digits, `.`, `_`, `-`)",
            crate::report::clean(name)
        ));
    }
    let path = path(dir, name);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let incident: Incident = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: line {}, column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if incident.schema != SCHEMA {
        return Err(format!(
            "{}: schema is `{}`, expected {SCHEMA}",
            path.display(),
            incident.schema
        ));
    }
    Ok(incident)
}

/// Names of the saved incidents, sorted.
pub fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir.join("incidents"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.strip_suffix(".json")?.to_string();
            valid_name(&name).then_some(name)
        })
        .collect();
    names.sort();
    names
}

/// The most recently saved incident whose compromised set is `keys` (in any order):
/// what a responder starting trustpath on the same compromise again wants back, whether
/// it still has its derived name or was given one.
pub fn find_by_set(dir: &Path, keys: &[&str]) -> Option<String> {
    let mut want: Vec<&str> = keys.to_vec();
    want.sort_unstable();
    want.dedup();
    list(dir)
        .into_iter()
        .filter_map(|name| {
            let incident = load(dir, &name).ok()?;
            let mut have: Vec<&str> = incident.compromised.iter().map(String::as_str).collect();
            have.sort_unstable();
            have.dedup();
            if have != want {
                return None;
            }
            let modified = fs::metadata(path(dir, &name))
                .and_then(|m| m.modified())
                .ok()?;
            Some((modified, name))
        })
        .max()
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_file_names() {
        assert!(valid_name("tj-actions_2026-03.v2"));
        for bad in ["", "../x", "a/b", ".hidden", "a b", "é"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn round_trip_and_listing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let incident = Incident {
            schema: SCHEMA.into(),
            name: "tj".into(),
            compromised: vec!["a".into()],
            done: vec!["pin:x".into()],
            notes: vec![Note {
                at: Some("2026-12-03T03:12:00Z".parse().expect("time")),
                text: "called the owner".into(),
            }],
        };
        save(dir.path(), &incident).expect("saves");
        assert_eq!(load(dir.path(), "tj"), Ok(incident));
        assert_eq!(list(dir.path()), ["tj"]);
        assert!(load(dir.path(), "missing").is_err());
        // Notes written before they had times still load.
        let old = r#"{"schema":"trustpath/incident/v1","name":"old","compromised":["a"],"notes":["paged"]}"#;
        write_atomic(&path(dir.path(), "old"), old.as_bytes()).expect("writes");
        let notes = load(dir.path(), "old").expect("loads").notes;
        assert_eq!(
            notes,
            [Note {
                at: None,
                text: "paged".into()
            }]
        );
    }

    #[test]
    fn the_newest_incident_of_a_set_is_found() {
        let dir = tempfile::tempdir().expect("temp dir");
        let of = |name: &str, keys: &[&str]| Incident {
            schema: SCHEMA.into(),
            name: name.into(),
            compromised: keys.iter().map(|k| k.to_string()).collect(),
            done: Vec::new(),
            notes: Vec::new(),
        };
        save(dir.path(), &of("derived", &["a", "b"])).expect("saves");
        save(dir.path(), &of("other", &["a"])).expect("saves");
        assert_eq!(
            find_by_set(dir.path(), &["b", "a"]).as_deref(),
            Some("derived")
        );
        // Named later: the named one is newer, and wins.
        std::thread::sleep(std::time::Duration::from_millis(20));
        save(dir.path(), &of("named", &["b", "a"])).expect("saves");
        assert_eq!(
            find_by_set(dir.path(), &["a", "b"]).as_deref(),
            Some("named")
        );
        assert_eq!(find_by_set(dir.path(), &["c"]), None);
    }

    #[test]
    fn derived_names_are_safe_stable_and_distinct() {
        let one = derived_name(&["github:action:tj-style/changed-files@v45"]);
        assert!(valid_name(&one), "{one}");
        assert!(one.starts_with("changed-files-v45-"), "{one}");
        assert_eq!(
            one,
            derived_name(&["github:action:tj-style/changed-files@v45"])
        );
        let two = derived_name(&["github:action:tj-style/changed-files@v45", "AKIA1"]);
        assert_ne!(one, two);
        assert_eq!(
            two,
            derived_name(&["AKIA1", "github:action:tj-style/changed-files@v45"]),
            "the order of the set does not matter"
        );
        for hostile in ["../../etc/passwd", "", "\x1b[31m", "...", "é/ü"] {
            assert!(valid_name(&derived_name(&[hostile])), "{hostile:?}");
        }
    }
}
