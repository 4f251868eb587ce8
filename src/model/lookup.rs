//! Finding a node from what a responder types: a stable key, an ARN, or a name.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::{NodeId, NodeKind, TrustGraph};

/// How many close matches an error lists.
const SUGGESTIONS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error(
        "no node matches '{}'{}",
        crate::report::clean(query),
        list("close matches", suggestions)
    )]
    Unknown {
        query: String,
        suggestions: Vec<String>,
    },
    #[error("'{}' is ambiguous: {} nodes are named so{}; use a stable key", crate::report::clean(query), candidates.len(), list("candidates", candidates))]
    Ambiguous {
        query: String,
        candidates: Vec<String>,
    },
}

/// The keys an error lists, one a line: each escaped on its own, so a key holding a
/// newline cannot pass for another line of the message.
fn list(title: &str, keys: &[String]) -> String {
    if keys.is_empty() {
        return String::new();
    }
    let shown: Vec<_> = keys
        .iter()
        .take(SUGGESTIONS)
        .map(|k| format!("\n  {}", crate::report::clean(k)))
        .collect();
    let more = keys.len().saturating_sub(SUGGESTIONS);
    let more = if more > 0 {
        format!("\n  … and {more} more")
    } else {
        String::new()
    };
    format!("\n{title}:{}{more}", shown.concat())
}

impl TrustGraph {
    /// Resolves a key, ARN, unambiguous name or credential id. Exact key wins, then exact
    /// name, then the id a credential's key ends with (a GCP key id in
    /// `gcp:key:SA/KEYID`: what a responder has in hand from a leaked key file), then a
    /// case-insensitive key or name; otherwise the error lists fuzzy close matches.
    pub fn resolve(&self, query: &str) -> Result<NodeId, LookupError> {
        if let Some(id) = self.find(query) {
            return Ok(id);
        }
        let by = |pred: &dyn Fn(NodeId) -> bool| -> Vec<NodeId> {
            self.nodes_by_key().filter(|&n| pred(n)).collect()
        };
        let mut matches = by(&|n| self.node(n).name == query);
        if matches.is_empty() {
            matches = by(&|n| {
                let node = self.node(n);
                node.kind == NodeKind::Credential && super::name_of_key(node.key) == query
            });
        }
        if matches.is_empty() {
            matches = by(&|n| {
                let node = self.node(n);
                node.key.eq_ignore_ascii_case(query) || node.name.eq_ignore_ascii_case(query)
            });
        }
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(LookupError::Unknown {
                query: query.to_string(),
                suggestions: self.close_matches(query),
            }),
            many => Err(LookupError::Ambiguous {
                query: query.to_string(),
                candidates: many.iter().map(|&n| self.node(n).key.to_string()).collect(),
            }),
        }
    }

    /// Up to ten keys that fuzzy-match `query` (on key or name), best first, ties by key.
    pub fn close_matches(&self, query: &str) -> Vec<String> {
        let matcher = SkimMatcherV2::default().ignore_case();
        let mut scored: Vec<(i64, &str)> = self
            .nodes_by_key()
            .filter_map(|n| {
                let node = self.node(n);
                let score = matcher
                    .fuzzy_match(node.key, query)
                    .max(matcher.fuzzy_match(node.name, query))?;
                Some((score, node.key))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(SUGGESTIONS)
            .map(|(_, k)| k.to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Node, Provenance};

    fn graph(keys: &[&str]) -> TrustGraph {
        let mut g = TrustGraph::new();
        for key in keys {
            g.add_node(Node::new(key, NodeKind::Role, Provenance::default()))
                .expect("distinct keys");
        }
        g
    }

    #[test]
    fn resolves_key_then_name() {
        let g = graph(&["arn:aws:iam::1:role/deploy", "arn:aws:iam::1:role/admin"]);
        let deploy = g.find("arn:aws:iam::1:role/deploy").expect("present");
        assert_eq!(g.resolve("arn:aws:iam::1:role/deploy"), Ok(deploy));
        assert_eq!(g.resolve("deploy"), Ok(deploy));
        assert_eq!(g.resolve("DEPLOY"), Ok(deploy));
    }

    #[test]
    fn a_credential_resolves_by_its_own_id() {
        let mut g = graph(&["gcp:sa:exporter@p.iam.gserviceaccount.com"]);
        let mut key = Node::new(
            "gcp:key:exporter@p.iam.gserviceaccount.com/3f9a2c7e",
            NodeKind::Credential,
            Provenance::default(),
        );
        key.name = "exporter key".into();
        let id = g.add_node(key).expect("distinct keys");
        assert_eq!(g.resolve("3f9a2c7e"), Ok(id));
        assert_eq!(g.resolve("exporter key"), Ok(id));
    }

    #[test]
    fn listed_keys_stay_on_their_line() {
        let g = graph(&["role:x\nerror: all clear", "role:y"]);
        let err = g.resolve("role:").expect_err("no such node").to_string();
        assert!(err.contains("\n  role:x\\u{a}error: all clear"), "{err}");
        assert!(!err.lines().any(|l| l.starts_with("error:")), "{err}");
    }

    #[test]
    fn ambiguous_names_list_candidates() {
        let g = graph(&["arn:aws:iam::1:role/deploy", "arn:aws:iam::2:role/deploy"]);
        let err = g.resolve("deploy").expect_err("two nodes are named deploy");
        let LookupError::Ambiguous { candidates, .. } = &err else {
            panic!("expected ambiguity, got {err:?}");
        };
        assert_eq!(candidates.len(), 2);
        assert!(err.to_string().contains("arn:aws:iam::2:role/deploy"));
    }

    #[test]
    fn unknown_names_suggest_close_matches() {
        let g = graph(&["arn:aws:iam::1:role/deploy", "github:repo:acme/web"]);
        let err = g.resolve("dploy").expect_err("no such node");
        let LookupError::Unknown { suggestions, .. } = err else {
            panic!("expected unknown");
        };
        assert_eq!(
            suggestions.first().map(String::as_str),
            Some("arn:aws:iam::1:role/deploy")
        );
    }
}
