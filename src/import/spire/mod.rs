//! SPIRE: `spire-server entry show -output json` (and `entry create -data` files). Each
//! registration entry is read as it is; entries are turned into nodes and edges once
//! every file is read, so that agents, node aliases and Kubernetes service accounts
//! from other inputs are known (see [`build`] for what each entry means).
//!
//! The two shapes differ: `entry show` writes SPIFFE IDs as `{trust_domain, path}` and
//! int64 fields as strings (`"expires_at": "0"`, protobuf's JSON mapping); `-data` files
//! write SPIFFE IDs as strings, may have no `id` (the server assigns it), and older
//! ones say `ttl`, `entry_id` and `entryExpiry`. Both are accepted, field by field.

mod build;
mod commands;

use jiff::Timestamp;
use serde::Deserialize;

use super::{Builder, ImportError, Warning};
use crate::model::TrustGraph;

/// Every registration entry read, in the order read.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    entries: Vec<Entry>,
}

/// A SPIFFE ID: its trust domain (lower case) and its path (`/…`; empty for the trust
/// domain's own ID).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct SpiffeId {
    td: String,
    path: String,
}

impl SpiffeId {
    /// The node key: the SPIFFE ID itself.
    fn key(&self) -> String {
        format!("spiffe://{}{}", self.td, self.path)
    }

    /// The trust domain's own ID, `spiffe://TD`: the key of its signing authority.
    fn domain_key(&self) -> String {
        format!("spiffe://{}", self.td)
    }

    /// `spiffe://TD/spire/server`. SPIRE takes any parent with this path for a node
    /// alias's (it compares the path only).
    fn is_server(&self) -> bool {
        self.path == "/spire/server"
    }

    /// The attestor and the segments after it of an agent's ID
    /// (`/spire/agent/k8s_psat/CLUSTER/NODE_UID` → `k8s_psat`, `[CLUSTER, NODE_UID]`).
    fn agent(&self) -> Option<(&str, Vec<&str>)> {
        let rest = self.path.strip_prefix("/spire/agent/")?;
        let mut segments = rest.split('/');
        let attestor = segments.next().filter(|a| !a.is_empty())?;
        Some((attestor, segments.collect()))
    }

    /// The Kubernetes cluster of a `k8s_psat` or `k8s_sat` agent: the segment after the
    /// attestor, as the attestor's default path template writes it.
    fn agent_cluster(&self) -> Option<&str> {
        match self.agent()? {
            ("k8s_psat" | "k8s_sat", rest) => rest.first().copied().filter(|c| !c.is_empty()),
            _ => None,
        }
    }
}

/// One registration entry, its IDs parsed and its int64 fields read as numbers.
#[derive(Debug)]
struct Entry {
    file: String,
    /// Position in the file's `entries`, for provenance and messages.
    index: usize,
    /// Absent in `-data` files, where the server assigns it.
    id: Option<String>,
    spiffe_id: SpiffeId,
    parent_id: SpiffeId,
    /// `(type, value)`, as `entry create -selector type:value` takes them.
    selectors: Vec<(String, String)>,
    x509_svid_ttl: i64,
    jwt_svid_ttl: i64,
    /// Trust domain names.
    federates_with: Vec<String>,
    dns_names: Vec<String>,
    admin: bool,
    downstream: bool,
    store_svid: bool,
    hint: String,
    /// `None` when it never expires (`"0"`).
    expires_at: Option<Timestamp>,
}

impl Entry {
    /// The entry as messages name it: its ID, else its place.
    fn label(&self) -> String {
        match &self.id {
            Some(id) => format!("entry {}", crate::report::clean(id)),
            None => format!("entry /entries/{}", self.index),
        }
    }

    /// `type:value` of each selector, as SPIRE prints them.
    fn selector_list(&self) -> String {
        let all: Vec<String> = self
            .selectors
            .iter()
            .map(|(t, v)| format!("{t}:{v}"))
            .collect();
        if all.is_empty() {
            "no selectors".into()
        } else {
            all.join(", ")
        }
    }

    /// A node alias: parented by the server, matched against agents' node selectors.
    fn is_alias(&self) -> bool {
        self.parent_id.is_server()
    }

    fn expired_at(&self, at: Timestamp) -> Option<Timestamp> {
        self.expires_at.filter(|e| *e <= at)
    }
}

/// `{"entries": […], "next_page_token": ""}`. Entries are read one by one, so one bad
/// entry is a warning, not the end of the file.
#[derive(Deserialize)]
struct Doc {
    #[serde(default)]
    entries: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    entry_id: Option<String>,
    spiffe_id: RawId,
    parent_id: RawId,
    #[serde(default)]
    selectors: Option<Vec<RawSelector>>,
    #[serde(default)]
    x509_svid_ttl: Option<Int>,
    /// The X.509 TTL before SPIRE 1.4 named it (`-data` files).
    #[serde(default)]
    ttl: Option<Int>,
    #[serde(default)]
    jwt_svid_ttl: Option<Int>,
    #[serde(default)]
    federates_with: Option<Vec<String>>,
    #[serde(default)]
    dns_names: Option<Vec<String>>,
    #[serde(default)]
    admin: Option<bool>,
    #[serde(default)]
    downstream: Option<bool>,
    #[serde(default)]
    store_svid: Option<bool>,
    #[serde(default)]
    hint: Option<String>,
    #[serde(default)]
    expires_at: Option<Int>,
    /// `expires_at` as older `-data` files name it.
    #[serde(default, rename = "entryExpiry")]
    entry_expiry: Option<Int>,
}

/// A SPIFFE ID as `entry show` writes it (an object) or as `-data` files do (a string).
#[derive(Deserialize)]
#[serde(untagged)]
enum RawId {
    Text(String),
    Parts {
        trust_domain: String,
        #[serde(default)]
        path: String,
    },
}

#[derive(Deserialize)]
struct RawSelector {
    #[serde(rename = "type")]
    ty: String,
    value: String,
}

/// An int64 as protobuf's JSON mapping writes it (a string) or as a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Int {
    Number(i64),
    Text(String),
}

impl Int {
    fn value(&self) -> Option<i64> {
        match self {
            Int::Number(n) => Some(*n),
            Int::Text(s) => s.trim().parse().ok(),
        }
    }
}

/// Reads one file of registration entries into the inventory.
pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let doc: Doc = serde_json::from_slice(bytes).map_err(|e| ImportError::json(file, &e))?;
    if doc
        .next_page_token
        .as_deref()
        .is_some_and(|t| !t.is_empty())
    {
        let message = "next_page_token is set: this is one page of the entries, and the entries of the pages after it are missing";
        builder.warnings.push(Warning::new(file, "", message));
    }
    let values = doc.entries.unwrap_or_default();
    if values.is_empty() {
        let message = "no registration entries in this file";
        builder.warnings.push(Warning::new(file, "", message));
    }
    for (index, value) in values.into_iter().enumerate() {
        let place = format!("/entries/{index}");
        let mut notes = Vec::new();
        match parse_entry(value, file, index, &mut notes) {
            Ok(entry) => builder.spire.entries.push(entry),
            Err(why) => notes.push(format!("{why}; entry skipped")),
        }
        for note in notes {
            builder.warnings.push(Warning::new(file, &place, note));
        }
    }
    Ok(())
}

/// One entry; `Err` says why it cannot be used. Fields that are wrong but not needed
/// are reported in `notes` and left at their defaults.
fn parse_entry(
    value: serde_json::Value,
    file: &str,
    index: usize,
    notes: &mut Vec<String>,
) -> Result<Entry, String> {
    // The entry's ID names it in messages even when the rest does not parse.
    let named = ["id", "entry_id"]
        .iter()
        .find_map(|k| value.get(k).and_then(|v| v.as_str()))
        .map_or(String::new(), |id| {
            format!("entry {}: ", crate::report::clean(id))
        });
    let raw: RawEntry = serde_json::from_value(value)
        .map_err(|e| format!("{named}{}", super::error::redact_values(&e.to_string())))?;
    let spiffe_id = parse_id(raw.spiffe_id).map_err(|e| format!("{named}spiffe_id {e}"))?;
    if spiffe_id.path.is_empty() {
        return Err(format!(
            "{named}spiffe_id names the trust domain itself, which no entry can"
        ));
    }
    let parent_id = parse_id(raw.parent_id).map_err(|e| format!("{named}parent_id {e}"))?;
    let mut int = |field: &str, raw: Option<Int>| -> i64 {
        let Some(raw) = raw else { return 0 };
        raw.value().unwrap_or_else(|| {
            notes.push(format!("{named}{field} is not an integer; ignored"));
            0
        })
    };
    let x509 = int("x509_svid_ttl", raw.x509_svid_ttl);
    let ttl = int("ttl", raw.ttl);
    let jwt = int("jwt_svid_ttl", raw.jwt_svid_ttl);
    let expiry = int("expires_at", raw.expires_at.or(raw.entry_expiry));
    let expires_at = match expiry {
        0 => None,
        s => Timestamp::from_second(s).ok().or_else(|| {
            notes.push(format!("{named}expires_at {s} is out of range; ignored"));
            None
        }),
    };
    let federates_with = raw
        .federates_with
        .unwrap_or_default()
        .iter()
        .map(|td| trust_domain_name(td))
        .filter(|td| !td.is_empty())
        .collect();
    Ok(Entry {
        file: file.to_string(),
        index,
        id: raw.id.or(raw.entry_id).filter(|id| !id.is_empty()),
        spiffe_id,
        parent_id,
        selectors: raw
            .selectors
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.ty, s.value))
            .collect(),
        // The first one set, as the server picks it.
        x509_svid_ttl: if x509 != 0 { x509 } else { ttl },
        jwt_svid_ttl: jwt,
        federates_with,
        dns_names: raw.dns_names.unwrap_or_default(),
        admin: raw.admin.unwrap_or(false),
        downstream: raw.downstream.unwrap_or(false),
        store_svid: raw.store_svid.unwrap_or(false),
        hint: raw.hint.unwrap_or_default(),
        expires_at,
    })
}

/// A federated trust domain as its name (`entry show` writes `domain.test`, `-data`
/// files `spiffe://domain.test`).
fn trust_domain_name(s: &str) -> String {
    let s = s.trim();
    let s = s
        .get(..9)
        .filter(|p| p.eq_ignore_ascii_case("spiffe://"))
        .map_or(s, |_| &s[9..]);
    s.trim_end_matches('/').to_ascii_lowercase()
}

/// Parses and checks a SPIFFE ID. The checks are the spec's, a little looser on path
/// characters than SPIRE (older servers accepted more): what a key and a quoted command
/// argument can carry without surprise.
fn parse_id(raw: RawId) -> Result<SpiffeId, String> {
    let (td, path) = match raw {
        RawId::Text(s) => {
            let rest = s
                .get(..9)
                .filter(|p| p.eq_ignore_ascii_case("spiffe://"))
                .map(|_| &s[9..])
                .ok_or_else(|| "does not start with spiffe://".to_string())?;
            match rest.find('/') {
                Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
                None => (rest.to_string(), String::new()),
            }
        }
        RawId::Parts { trust_domain, path } => {
            // Paths without their leading `/` are a deprecated form the API still takes.
            let path = if path.is_empty() || path.starts_with('/') {
                path
            } else {
                format!("/{path}")
            };
            (trust_domain, path)
        }
    };
    let td = td.to_ascii_lowercase();
    if td.is_empty() {
        return Err("has no trust domain".into());
    }
    if !td
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err("has a trust domain with characters a trust domain cannot hold".into());
    }
    if path == "/" || path.ends_with('/') || path.contains("//") {
        return Err("has an empty path segment".into());
    }
    if path.split('/').any(|seg| seg == "." || seg == "..") {
        return Err("has a `.` or `..` path segment".into());
    }
    if path
        .chars()
        .any(|c| c.is_whitespace() || crate::report::is_unsafe(c) || "?#".contains(c))
    {
        return Err("has a path with characters a SPIFFE ID cannot hold".into());
    }
    Ok(SpiffeId { td, path })
}

/// Turns every entry read into nodes and edges, as of `at` (expired entries make
/// dormant edges).
pub(super) fn finish(
    spire: &Inventory,
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    at: Timestamp,
) {
    build::graph(&spire.entries, graph, warnings, at);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Result<SpiffeId, String> {
        parse_id(RawId::Text(s.to_string()))
    }

    #[test]
    fn both_id_forms_give_one_key() {
        let text = id("spiffe://Example.org/ns/web/sa/api").expect("valid");
        let parts = parse_id(RawId::Parts {
            trust_domain: "example.org".into(),
            path: "ns/web/sa/api".into(),
        })
        .expect("valid");
        assert_eq!(text, parts);
        assert_eq!(text.key(), "spiffe://example.org/ns/web/sa/api");
        assert_eq!(text.domain_key(), "spiffe://example.org");
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "example.org/x",
            "spiffe:///x",
            "spiffe://ex ample/x",
            "spiffe://example.org/a//b",
            "spiffe://example.org/a/",
            "spiffe://example.org/../x",
            "spiffe://example.org/a\nb",
        ] {
            assert!(id(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(id("spiffe://example.org").expect("valid").path, "");
    }

    #[test]
    fn agent_paths_name_their_attestor_and_cluster() {
        let psat = id("spiffe://td/spire/agent/k8s_psat/prod/uid-1").expect("valid");
        assert_eq!(psat.agent_cluster(), Some("prod"));
        let token = id("spiffe://td/spire/agent/join_token/abc").expect("valid");
        assert_eq!(token.agent().map(|a| a.0), Some("join_token"));
        assert_eq!(token.agent_cluster(), None);
        assert!(id("spiffe://td/spire/server").expect("valid").is_server());
        assert!(id("spiffe://td/node/x").expect("valid").agent().is_none());
    }

    #[test]
    fn int64_fields_read_as_strings_or_numbers() {
        let mut notes = Vec::new();
        let value = serde_json::json!({
            "spiffe_id": "spiffe://td/w", "parent_id": {"trust_domain": "td", "path": "/p"},
            "x509_svid_ttl": 0, "ttl": 200, "jwt_svid_ttl": "300", "expires_at": "1767225600",
            "federates_with": ["spiffe://Partner.test/", "other.test"], "unknown": 1
        });
        let e = parse_entry(value, "f.json", 0, &mut notes).expect("parses");
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!((e.x509_svid_ttl, e.jwt_svid_ttl), (200, 300));
        assert_eq!(
            e.expires_at.map(|t| t.as_second()),
            Some(1_767_225_600),
            "expires_at"
        );
        assert_eq!(e.federates_with, ["partner.test", "other.test"]);
        let bad = serde_json::json!({"id": "e1", "spiffe_id": "spiffe://td/w",
            "parent_id": "spiffe://td/p", "expires_at": "soon"});
        let e = parse_entry(bad, "f.json", 1, &mut notes).expect("parses");
        assert_eq!(e.expires_at, None);
        assert_eq!(notes, ["entry e1: expires_at is not an integer; ignored"]);
    }
}
