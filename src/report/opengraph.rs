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

use std::io::{self, Write};

use super::Properties;
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
    // Rows are made in one buffer, written out every 64 KiB.
    let mut buf = Vec::with_capacity(1 << 17);
    write!(
        buf,
        "{{\"metadata\": {{\"source_kind\": \"{SOURCE_KIND}\"}},\n\"graph\": {{\"nodes\": ["
    )?;
    let mut first = true;
    for node in graph.nodes_by_key().filter(|&n| keep(n)) {
        buf.extend_from_slice(if first { b"\n" } else { b",\n" });
        first = false;
        node_out(&mut buf, graph, node, at);
        flush_full(out, &mut buf)?;
    }
    buf.extend_from_slice(b"\n],\n\"edges\": [");
    let mut first = true;
    let walkable = |n: NodeId| keep(n) && graph.node(n).usable_at(at);
    for node in graph.nodes_by_key().filter(|&n| walkable(n)) {
        for (edge, to) in graph.outgoing(node) {
            if !keep(to) || graph.edge(edge).dormant {
                continue;
            }
            buf.extend_from_slice(if first { b"\n" } else { b",\n" });
            first = false;
            edge_out(&mut buf, graph, edge);
            flush_full(out, &mut buf)?;
        }
    }
    buf.extend_from_slice(b"\n]}}\n");
    out.write_all(&buf)
}

fn flush_full(out: &mut dyn Write, buf: &mut Vec<u8>) -> io::Result<()> {
    if buf.len() >= 1 << 16 {
        out.write_all(buf)?;
        buf.clear();
    }
    Ok(())
}

fn node_out(buf: &mut Vec<u8>, graph: &TrustGraph, id: NodeId, at: jiff::Timestamp) {
    let n = graph.node(id);
    buf.extend_from_slice(b"{\"id\": ");
    string(buf, n.key);
    buf.extend_from_slice(b", \"kinds\": [");
    string(buf, &kind_name(n.kind.as_str()));
    buf.extend_from_slice(b", ");
    string(buf, SOURCE_KIND);
    buf.extend_from_slice(b"], \"properties\": ");
    let mut p = Object::open(buf);
    p.text("key", n.key);
    super::node_properties(&mut p, graph, id, at);
    // Tags as `tag_<name>`: no property above starts so, so none is replaced.
    for (tag, value) in n.tags.iter() {
        p.text(&format!("tag_{tag}"), value);
    }
    p.close();
    buf.push(b'}');
}

fn edge_out(buf: &mut Vec<u8>, graph: &TrustGraph, id: EdgeId) {
    let e = graph.edge(id);
    let (from, to) = graph.endpoints(id);
    buf.extend_from_slice(b"{\"start\": {\"value\": ");
    string(buf, graph.key(from));
    buf.extend_from_slice(b", \"match_by\": \"id\"}, \"end\": {\"value\": ");
    string(buf, graph.key(to));
    buf.extend_from_slice(b", \"match_by\": \"id\"}, \"kind\": ");
    string(buf, &kind_name(e.kind.as_str()));
    buf.extend_from_slice(b", \"properties\": ");
    let mut p = Object::open(buf);
    super::edge_properties(&mut p, graph, &e);
    p.close();
    buf.push(b'}');
}

/// A JSON string, escaped as serde_json escapes it.
fn string(buf: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *buf, s);
}

/// A JSON object of properties, built member by member; absent values are left out
/// rather than written as null, which OpenGraph refuses.
struct Object<'b> {
    buf: &'b mut Vec<u8>,
    empty: bool,
}

impl<'b> Object<'b> {
    fn open(buf: &'b mut Vec<u8>) -> Self {
        buf.push(b'{');
        Object { buf, empty: true }
    }

    fn key(&mut self, name: &str) {
        if !self.empty {
            self.buf.extend_from_slice(b", ");
        }
        self.empty = false;
        string(self.buf, name);
        self.buf.extend_from_slice(b": ");
    }

    fn close(self) {
        self.buf.push(b'}');
    }
}

impl Properties for Object<'_> {
    /// A number or a boolean.
    fn raw(&mut self, name: &str, value: &str) {
        self.key(name);
        self.buf.extend_from_slice(value.as_bytes());
    }

    fn text(&mut self, name: &str, value: &str) {
        self.key(name);
        string(self.buf, value);
    }

    /// An array of strings; an empty one is left out.
    fn list(&mut self, name: &str, items: &[&str]) {
        if items.is_empty() {
            return;
        }
        self.key(name);
        self.buf.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.buf.extend_from_slice(b", ");
            }
            string(self.buf, item);
        }
        self.buf.push(b']');
    }
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
