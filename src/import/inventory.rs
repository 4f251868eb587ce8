//! The inventory overlay CSV: `id_or_glob,owner,purpose,environment,criticality`.
//!
//! It carries what no export knows: who owns an identity, what it is for, and how much
//! it matters. Rows apply after every file is read. Glob rows apply first, in order, then
//! exact rows, so an exact row always beats a glob; empty cells change nothing.

use super::table::Table;
use super::{Builder, ImportError, Warning};
use crate::glob::glob_match;
use crate::model::{NodeId, NodeKind, TrustGraph};

#[derive(Debug, Clone)]
pub(crate) struct Row {
    pattern: String,
    owner: Option<String>,
    purpose: Option<String>,
    environment: Option<String>,
    criticality: Option<u8>,
    /// Optional `kind` column: what the node really is, when the export guesses wrong
    /// (an IAM user that is a person, a "service account" a human logs in with).
    kind: Option<NodeKind>,
    /// Optional `cluster` column: the Kubernetes cluster a Vault kubernetes role's
    /// mount verifies tokens of, when its `kubernetes_host` does not name it the way
    /// the Kubernetes exports do (an EKS endpoint, an address, `kubernetes.default.svc`).
    cluster: Option<String>,
    file: String,
    line: u64,
}

/// The cluster the overlay names for a node: the last exact row that names one, else
/// the last matching glob row (as exact rows beat globs everywhere in the overlay).
pub(crate) fn cluster_for<'r>(rows: &'r [Row], key: &str) -> Option<&'r str> {
    let named = |exact: bool| {
        rows.iter()
            .rev()
            .filter(|r| r.pattern.contains(['*', '?']) != exact)
            .filter(|r| {
                if exact {
                    r.pattern == key
                } else {
                    glob_match(&r.pattern, key)
                }
            })
            .find_map(|r| r.cluster.as_deref())
    };
    named(true).or_else(|| named(false))
}

pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let mut table = Table::open(bytes, file)?;
    let id_col = table.required("id_or_glob")?;
    let (owner, purpose, environment, criticality, kind, cluster) = (
        table.column("owner"),
        table.column("purpose"),
        table.column("environment"),
        table.column("criticality"),
        table.column("kind"),
        table.column("cluster"),
    );
    let errors = table.errors();
    for row in table.rows() {
        let (line, record) = row?;
        let cell = |col: Option<usize>| {
            col.and_then(|c| record.get(c))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let Some(pattern) = cell(Some(id_col)) else {
            return Err(errors.at(line, "id_or_glob is empty".into()));
        };
        let criticality = match cell(criticality) {
            None => None,
            Some(text) => match text.parse::<u8>() {
                Ok(c) if c <= 10 => Some(c),
                _ => {
                    return Err(errors.at(
                        line,
                        format!("criticality '{text}' is not a whole number from 0 to 10"),
                    ));
                }
            },
        };
        let kind = match cell(kind) {
            None => None,
            Some(text) => match NodeKind::parse(&text) {
                Some(k) => Some(k),
                None => {
                    let kinds: Vec<&str> = NodeKind::ALL.iter().map(|k| k.as_str()).collect();
                    return Err(errors.at(
                        line,
                        format!("kind '{text}' is not one of {}", kinds.join(", ")),
                    ));
                }
            },
        };
        builder.overlay.push(Row {
            pattern,
            kind,
            owner: cell(owner),
            purpose: cell(purpose),
            environment: cell(environment),
            criticality,
            cluster: cell(cluster),
            file: file.to_string(),
            line,
        });
    }
    Ok(())
}

/// Applies overlay rows to the graph (globs first, then exact ids).
pub(crate) fn apply(graph: &mut TrustGraph, rows: &[Row], warnings: &mut Vec<Warning>) {
    let is_glob = |r: &&Row| r.pattern.contains(['*', '?']);
    // Resolve every row first, then change nodes: a change drops the graph's traversal
    // cache, which name lookups would otherwise rebuild row after row.
    let mut targets: Vec<(&Row, Vec<NodeId>)> = Vec::new();
    for row in rows.iter().filter(is_glob) {
        let matched: Vec<_> = graph
            .node_ids()
            .filter(|&n| glob_match(&row.pattern, graph.key(n)))
            .collect();
        if matched.is_empty() {
            let message = format!("'{}' matches no node", row.pattern);
            warnings.push(Warning::new(&row.file, row.line, message));
        }
        targets.push((row, matched));
    }
    for row in rows.iter().filter(|r| !is_glob(r)) {
        match graph.resolve(&row.pattern) {
            Ok(n) => targets.push((row, vec![n])),
            Err(e) => warnings.push(Warning::new(&row.file, row.line, e.to_string())),
        }
    }
    for (row, nodes) in targets {
        for n in nodes {
            set(graph, n, row);
        }
    }
}

fn set(graph: &mut TrustGraph, id: NodeId, row: &Row) {
    let node = graph.node_mut(id);
    if let Some(v) = &row.owner {
        node.owner = Some(v.as_str().into());
    }
    if let Some(v) = &row.purpose {
        node.purpose = Some(v.as_str().into());
    }
    if let Some(v) = &row.environment {
        node.environment = Some(v.as_str().into());
    }
    if let Some(kind) = row.kind {
        node.kind = kind;
    }
    if row.criticality.is_some() {
        node.criticality = row.criticality;
    }
}

#[cfg(test)]
mod tests {
    use crate::glob::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match(
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:iam::111122223333:role/deploy"
        ));
        assert!(glob_match(
            "*deploy*",
            "github:workflow:acme/web/.github/workflows/deploy.yml"
        ));
        assert!(glob_match(
            "k8s:prod:sa:?ayments/*",
            "k8s:prod:sa:payments/api"
        ));
        assert!(!glob_match(
            "arn:aws:iam::1:user/*",
            "arn:aws:iam::1:role/x"
        ));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b*c", "aXbYbZ"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn the_overlay_can_correct_a_kind() {
        use crate::import::{Input, load_inputs};
        let graph = br#"{"schema": "trustpath/graph/v1", "nodes": [
            {"id": "arn:aws:iam::1:user/alice", "kind": "service_account", "name": "alice"}]}"#;
        let overlay = b"id_or_glob,owner,kind\narn:aws:iam::1:user/alice,alice@acme.com,human\n";
        let loaded = load_inputs([
            Input::bytes("g.json", graph.to_vec()),
            Input::bytes("inventory.csv", overlay.to_vec()),
        ])
        .expect("loads");
        let alice = loaded
            .graph
            .find("arn:aws:iam::1:user/alice")
            .expect("alice");
        assert_eq!(loaded.graph.node(alice).kind, crate::model::NodeKind::Human);
        let bad = load_inputs([
            Input::bytes("g.json", graph.to_vec()),
            Input::bytes("inventory.csv", b"id_or_glob,kind\nalice,robot\n".to_vec()),
        ])
        .expect_err("robot is no kind");
        assert!(
            bad.to_string()
                .starts_with("inventory.csv:2: kind 'robot' is not one of human,")
        );
    }
}
