//! BloodHound OpenGraph: the graph as BloodHound CE ingests it (File Ingest).
//!
//! `{"metadata": {"source_kind": "TP_Base"}, "graph": {"nodes": [...], "edges": [...]}}`;
//! each node with its key as `id`, its kind as its first kind (`TP_ServiceAccount`, …,
//! and `TP_Base`), each edge matched by id with its kind (`TP_CanAssume`, …). Every kind
//! carries the `TP_` prefix, as OpenGraph extensions must. Properties are flattened to
//! what OpenGraph accepts: strings, numbers, booleans and arrays of strings; nothing
//! absent is written as null. Streamed one node or edge at a time.
//!
//! BloodHound's pathfinding follows every edge it holds, whatever its properties say, so
//! only the edges an attacker can use as of `--at` are written: not the dormant ones,
//! and none out of a dead or expired credential (the credential itself stays, with
//! `usable: false`, as `blast` lists it among the exposed). Its paths are then
//! trustpath's. The other graph exports keep every edge, with `dormant` and `usable` to
//! filter on.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Value, json};

use crate::model::{EdgeId, NodeId, TrustGraph};

/// The kind every trustpath node also carries (and the document's `source_kind`).
pub const SOURCE_KIND: &str = "TP_Base";

/// `service_account` → `TP_ServiceAccount`.
pub fn kind_name(snake: &str) -> String {
    let mut name = String::from("TP_");
    for word in snake.split('_') {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}

pub fn write_opengraph(
    out: &mut dyn Write,
    graph: &TrustGraph,
    keep: &dyn Fn(NodeId) -> bool,
    at: jiff::Timestamp,
) -> io::Result<()> {
    writeln!(
        out,
        "{{\"metadata\": {{\"source_kind\": \"{SOURCE_KIND}\"}},\n\"graph\": {{\"nodes\": ["
    )?;
    let mut first = true;
    for node in graph.nodes_by_key().filter(|&n| keep(n)) {
        if !first {
            writeln!(out, ",")?;
        }
        first = false;
        serde_json::to_writer(&mut *out, &node_out(graph, node, at))?;
    }
    writeln!(out, "\n],\n\"edges\": [")?;
    let mut first = true;
    let walkable = |n: NodeId| keep(n) && graph.node(n).usable_at(at);
    for node in graph.nodes_by_key().filter(|&n| walkable(n)) {
        for (edge, to) in graph.outgoing(node) {
            if !keep(to) || graph.edge(edge).dormant {
                continue;
            }
            if !first {
                writeln!(out, ",")?;
            }
            first = false;
            serde_json::to_writer(&mut *out, &edge_out(graph, edge))?;
        }
    }
    writeln!(out, "\n]}}}}")
}

fn node_out(graph: &TrustGraph, id: NodeId, at: jiff::Timestamp) -> Value {
    let n = graph.node(id);
    let facts = graph.facts(id);
    let mut p: BTreeMap<&str, Value> = BTreeMap::new();
    p.insert("name", json!(&*n.name));
    p.insert("key", json!(&*n.key));
    p.insert("platform", json!(&*n.platform));
    for (name, value) in super::node_texts(n) {
        p.insert(name, json!(value));
    }
    p.insert("criticality", json!(facts.criticality));
    p.insert("crown_jewel", json!(facts.is_crown_jewel()));
    p.insert("admin", json!(n.admin));
    p.insert("usable", json!(n.usable_at(at)));
    if let Some(c) = n.credential.as_deref() {
        for (name, value) in super::credential_texts(c) {
            p.insert(name, json!(value));
        }
    }
    if !n.revoke.is_empty() {
        let ids = super::revoke_ids(&n.revoke);
        p.insert("revoke", json!(ids));
    }
    let mut properties: serde_json::Map<String, Value> =
        p.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    // Tags as `tag_<name>`: a tag named like a property above must not replace it.
    for (tag, value) in &n.tags {
        properties.insert(format!("tag_{tag}"), json!(&**value));
    }
    json!({
        "id": &*n.key,
        "kinds": [kind_name(n.kind.as_str()), SOURCE_KIND],
        "properties": properties,
    })
}

fn edge_out(graph: &TrustGraph, id: EdgeId) -> Value {
    let e = graph.edge(id);
    let (from, to) = graph.endpoints(id);
    let mut p = serde_json::Map::new();
    p.insert("reason".into(), json!(&**e.reason));
    p.insert("dormant".into(), json!(e.dormant));
    p.insert("conditional".into(), json!(e.is_conditional()));
    if !e.conditions.is_empty() {
        let conditions = super::condition_texts(e.conditions);
        p.insert("conditions".into(), json!(conditions));
    }
    if let Some(technique) = e.technique {
        p.insert("technique".into(), json!(technique));
    }
    if !e.revoke.is_empty() {
        let ids = super::revoke_ids(e.revoke);
        p.insert("revoke".into(), json!(ids));
    }
    json!({
        "start": {"value": &*graph.node(from).key, "match_by": "id"},
        "end": {"value": &*graph.node(to).key, "match_by": "id"},
        "kind": kind_name(e.kind.as_str()),
        "properties": p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_prefixed_camel_case() {
        assert_eq!(kind_name("service_account"), "TP_ServiceAccount");
        assert_eq!(kind_name("can_assume"), "TP_CanAssume");
        assert_eq!(kind_name("role"), "TP_Role");
    }
}
