//! Neo4j bulk import: `nodes.csv` and `relationships.csv` as `neo4j-admin database import
//! full` reads them, for graphs of millions of nodes.
//!
//! Each node carries its trustpath key as `id` (the `:ID` column) and its kind as a label
//! (`TP_Role`, …, beside `TP_Node`); each relationship its edge kind as its type
//! (`TP_CAN_ASSUME`, …). Lists (revoke ids, conditions) and tags are JSON text: an array
//! column would need a delimiter no value contains, and a name from an input can contain
//! any. Fields are quoted as CSV quotes them; reasons may hold line breaks, so the import
//! takes `--multiline-fields=true`. Written row by row.

use std::io::{self, Write};

use super::bool_str;
use crate::model::{NodeId, TrustGraph};
use crate::report::opengraph::kind_name;

/// The label every trustpath node carries.
pub const NODE_LABEL: &str = "TP_Node";

pub const NODE_HEADER: [&str; 20] = [
    "id:ID",
    ":LABEL",
    "name",
    "platform",
    "scope",
    "owner",
    "purpose",
    "environment",
    "criticality:int",
    "crown_jewel:boolean",
    "admin:boolean",
    "usable:boolean",
    "credential_type",
    "status",
    "created",
    "expires",
    "last_used",
    "last_rotated",
    "revoke",
    "tags",
];

pub const RELATIONSHIP_HEADER: [&str; 10] = [
    ":START_ID",
    ":END_ID",
    ":TYPE",
    "reason",
    "dormant:boolean",
    "conditional:boolean",
    "conditions",
    "technique",
    "revoke",
    "source",
];

/// `can_assume` → `TP_CAN_ASSUME`.
pub fn relationship_type(snake: &str) -> String {
    format!("TP_{}", snake.to_ascii_uppercase())
}

pub fn write_nodes(
    out: &mut dyn Write,
    graph: &TrustGraph,
    keep: &dyn Fn(NodeId) -> bool,
    at: jiff::Timestamp,
) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(NODE_HEADER)?;
    for id in graph.nodes_by_key().filter(|&n| keep(n)) {
        let n = graph.node(id);
        let facts = graph.facts(id);
        let c = n.credential.as_ref();
        let time = |t: Option<jiff::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
        let revoke = n.revoke.ids();
        csv.write_record([
            n.key,
            &format!("{NODE_LABEL};{}", kind_name(n.kind.as_str())),
            n.name,
            n.platform,
            n.scope.unwrap_or(""),
            n.owner.unwrap_or(""),
            n.purpose.unwrap_or(""),
            n.environment.unwrap_or(""),
            &facts.criticality.to_string(),
            bool_str(facts.is_crown_jewel()),
            bool_str(n.admin),
            bool_str(n.usable_at(at)),
            c.and_then(|c| c.kind).unwrap_or(""),
            c.and_then(|c| c.status).unwrap_or(""),
            &time(c.and_then(|c| c.created)),
            &time(c.and_then(|c| c.expires)),
            &time(c.and_then(|c| c.last_used)),
            &time(c.and_then(|c| c.last_rotated)),
            &list(&revoke),
            &if n.tags.is_empty() {
                String::new()
            } else {
                serde_json::to_string(&n.tags).unwrap_or_default()
            },
        ])?;
    }
    csv.flush()
}

pub fn write_relationships(
    out: &mut dyn Write,
    graph: &TrustGraph,
    keep: &dyn Fn(NodeId) -> bool,
) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(RELATIONSHIP_HEADER)?;
    for node in graph.nodes_by_key().filter(|&n| keep(n)) {
        for (id, to) in graph.outgoing(node) {
            if !keep(to) {
                continue;
            }
            let e = graph.edge(id);
            let conditions = super::condition_texts(e.conditions);
            let revoke = e.revoke.ids();
            let source = super::edge_source(graph, &e).unwrap_or("");
            csv.write_record([
                graph.key(node),
                graph.key(to),
                &relationship_type(e.kind.as_str()),
                &**e.reason,
                bool_str(e.dormant),
                bool_str(e.is_conditional()),
                &list(&conditions),
                e.technique.unwrap_or(""),
                &list(&revoke),
                source,
            ])?;
        }
    }
    csv.flush()
}

/// A list as JSON text, or nothing for an empty one.
fn list(items: &[&str]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        serde_json::to_string(items).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_prefixed_upper_snake_case() {
        assert_eq!(relationship_type("can_assume"), "TP_CAN_ASSUME");
        assert_eq!(relationship_type("member_of"), "TP_MEMBER_OF");
    }
}
