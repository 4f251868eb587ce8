//! Saved incidents: the compromised set, the plan steps marked done and the responder's
//! notes, as JSON in the data directory. Written beside the target and renamed, so a
//! crash never leaves half a file.

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
    pub notes: Vec<String>,
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

/// Writes `bytes` to `path` atomically: a sibling temporary file, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes)
        .and_then(|()| fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })
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
            notes: vec!["called the owner".into()],
        };
        save(dir.path(), &incident).expect("saves");
        assert_eq!(load(dir.path(), "tj"), Ok(incident));
        assert_eq!(list(dir.path()), ["tj"]);
        assert!(load(dir.path(), "missing").is_err());
    }
}
