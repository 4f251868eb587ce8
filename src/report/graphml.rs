//! GraphML: the graph for Gephi, yEd, networkx and igraph.
//!
//! One `<node>` per node, one `<edge>` per edge, every property
//! the analyses use as a declared attribute (scalars as themselves; tags, conditions and
//! revoke ids as JSON text, which GraphML has no type for). Ids are `n` and the node's
//! rank among the keys (the key itself is the `key` attribute): a key may hold characters
//! an XML name cannot, and two keys that differ only in characters XML cannot carry at
//! all must not become one node. Written as it is read, node by
//! node: a million-node graph never exists as a document in memory. Every string is
//! escaped for XML, and the characters XML 1.0 cannot carry at all (most control
//! characters) become U+FFFD, so a hostile name yields a well-formed file.

use std::io::{self, Write};

use super::bool_str;
use crate::analysis::BlastRadius;
use crate::model::{EdgeId, NodeId, TrustGraph};

/// What a GraphML export holds.
pub struct GraphmlOptions<'a> {
    /// Whether each node is `usable` is as of this time (a dead or expired credential is
    /// not: the blast radius does not go through it).
    pub at: jiff::Timestamp,
    /// Marks the compromised nodes and the blast radius (`compromised`, and `reached`,
    /// which includes them).
    pub blast: Option<&'a BlastRadius>,
    /// Only the blast radius and the edges inside it.
    pub blast_only: bool,
}

/// `(id, for, name, type)` of every attribute, declared before the graph.
const KEYS: [(&str, &str, &str, &str); 29] = [
    ("n_key", "node", "key", "string"),
    ("n_label", "node", "label", "string"),
    ("n_kind", "node", "kind", "string"),
    ("n_platform", "node", "platform", "string"),
    ("n_scope", "node", "scope", "string"),
    ("n_owner", "node", "owner", "string"),
    ("n_purpose", "node", "purpose", "string"),
    ("n_environment", "node", "environment", "string"),
    ("n_criticality", "node", "criticality", "int"),
    ("n_admin", "node", "admin", "boolean"),
    ("n_tags", "node", "tags", "string"),
    ("n_credential_type", "node", "credential_type", "string"),
    ("n_status", "node", "status", "string"),
    ("n_created", "node", "created", "string"),
    ("n_expires", "node", "expires", "string"),
    ("n_last_used", "node", "last_used", "string"),
    ("n_last_rotated", "node", "last_rotated", "string"),
    ("n_revoke", "node", "revoke", "string"),
    ("n_usable", "node", "usable", "boolean"),
    ("n_compromised", "node", "compromised", "boolean"),
    ("n_reached", "node", "reached", "boolean"),
    ("e_kind", "edge", "kind", "string"),
    ("e_reason", "edge", "reason", "string"),
    ("e_dormant", "edge", "dormant", "boolean"),
    ("e_conditional", "edge", "conditional", "boolean"),
    ("e_conditions", "edge", "conditions", "string"),
    ("e_technique", "edge", "technique", "string"),
    ("e_revoke", "edge", "revoke", "string"),
    ("e_source", "edge", "source", "string"),
];

pub fn write_graphml(
    out: &mut dyn Write,
    graph: &TrustGraph,
    opts: &GraphmlOptions<'_>,
) -> io::Result<()> {
    let keep = |n: NodeId| !opts.blast_only || opts.blast.is_some_and(|b| b.contains(n));
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">"#
    )?;
    for (id, domain, name, ty) in KEYS {
        writeln!(
            out,
            r#"  <key id="{id}" for="{domain}" attr.name="{name}" attr.type="{ty}"/>"#
        )?;
    }
    writeln!(out, r#"  <graph id="trustpath" edgedefault="directed">"#)?;
    for node in graph.nodes_by_key().filter(|&n| keep(n)) {
        write_node(out, graph, node, opts)?;
    }
    let mut nth = 0;
    for node in graph.nodes_by_key().filter(|&n| keep(n)) {
        for (edge, to) in graph.outgoing(node) {
            if keep(to) {
                write_edge(out, graph, edge, nth)?;
                nth += 1;
            }
        }
    }
    writeln!(out, "  </graph>\n</graphml>")
}

fn write_node(
    out: &mut dyn Write,
    graph: &TrustGraph,
    id: NodeId,
    opts: &GraphmlOptions<'_>,
) -> io::Result<()> {
    let n = graph.node(id);
    writeln!(out, r#"    <node id="n{}">"#, graph.key_rank(id))?;
    data(out, "n_key", n.key)?;
    data(out, "n_label", n.name)?;
    data(out, "n_kind", n.kind.as_str())?;
    data(out, "n_platform", n.platform)?;
    for (name, value) in super::node_texts(n) {
        node_data(out, name, value)?;
    }
    data(
        out,
        "n_criticality",
        &graph.facts(id).criticality.to_string(),
    )?;
    data(out, "n_admin", bool_str(n.admin))?;
    if !n.tags.is_empty() {
        data(out, "n_tags", &json(&n.tags))?;
    }
    if let Some(c) = n.credential.as_ref() {
        for (name, value) in super::credential_texts(*c) {
            node_data(out, name, &value)?;
        }
    }
    let ids = n.revoke.ids();
    if !ids.is_empty() {
        data(out, "n_revoke", &json(&ids))?;
    }
    data(out, "n_usable", bool_str(n.usable_at(opts.at)))?;
    if let Some(b) = opts.blast {
        data(out, "n_compromised", bool_str(b.compromised.contains(&id)))?;
        data(out, "n_reached", bool_str(b.contains(id)))?;
    }
    writeln!(out, "    </node>")
}

/// The `nth` edge written (edges are numbered in the order they appear, so that the same
/// graph gives the same file whatever order its inputs were read in).
fn write_edge(out: &mut dyn Write, graph: &TrustGraph, id: EdgeId, nth: usize) -> io::Result<()> {
    let e = graph.edge(id);
    let (from, to) = graph.endpoints(id);
    writeln!(
        out,
        r#"    <edge id="e{nth}" source="n{}" target="n{}">"#,
        graph.key_rank(from),
        graph.key_rank(to)
    )?;
    data(out, "e_kind", e.kind.as_str())?;
    data(out, "e_reason", e.reason)?;
    data(out, "e_dormant", bool_str(e.dormant))?;
    data(out, "e_conditional", bool_str(e.is_conditional()))?;
    if !e.conditions.is_empty() {
        let conditions = super::condition_texts(e.conditions);
        data(out, "e_conditions", &json(&conditions))?;
    }
    if let Some(technique) = e.technique {
        data(out, "e_technique", technique)?;
    }
    let ids = e.revoke.ids();
    if !ids.is_empty() {
        data(out, "e_revoke", &json(&ids))?;
    }
    if let Some(source) = super::edge_source(graph, &e) {
        data(out, "e_source", source)?;
    }
    writeln!(out, "    </edge>")
}

/// A node property under its key, `n_` and its name.
fn node_data(out: &mut dyn Write, name: &str, value: &str) -> io::Result<()> {
    out.write_all(b"      <data key=\"n_")?;
    out.write_all(name.as_bytes())?;
    out.write_all(b"\">")?;
    xml(out, value)?;
    out.write_all(b"</data>\n")
}

fn data(out: &mut dyn Write, key: &str, value: &str) -> io::Result<()> {
    out.write_all(b"      <data key=\"")?;
    out.write_all(key.as_bytes())?;
    out.write_all(b"\">")?;
    xml(out, value)?;
    out.write_all(b"</data>\n")
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Writes `text` escaped for XML: the five markup characters as entities, tabs and line
/// ends as references (attribute values keep them), the characters XML 1.0 cannot carry
/// at all (other control characters, U+FFFE, U+FFFF) as U+FFFD, and C1 controls as
/// references (allowed, but no terminal should see them raw when the file is printed).
/// Runs of plain text go out whole: a million-node export is mostly plain text.
fn xml(out: &mut dyn Write, text: &str) -> io::Result<()> {
    let mut plain = 0;
    for (i, c) in text.char_indices() {
        let escaped: Option<&str> = match c {
            '&' => Some("&amp;"),
            '<' => Some("&lt;"),
            '>' => Some("&gt;"),
            '"' => Some("&quot;"),
            '\'' => Some("&apos;"),
            '\t' => Some("&#x9;"),
            '\n' => Some("&#xA;"),
            '\r' => Some("&#xD;"),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => Some("\u{FFFD}"),
            '\u{7F}'..='\u{9F}' => None,
            _ => continue,
        };
        out.write_all(&text.as_bytes()[plain..i])?;
        match escaped {
            Some(e) => out.write_all(e.as_bytes())?,
            None => write!(out, "&#x{:X};", c as u32)?,
        }
        plain = i + c.len_utf8();
    }
    out.write_all(&text.as_bytes()[plain..])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys that differ only in characters XML cannot carry stay two nodes.
    #[test]
    fn ids_are_positions_not_keys() {
        use crate::model::{Edge, EdgeKind, Node, NodeKind, Provenance};
        let mut g = TrustGraph::new();
        let a = g
            .add_node(Node::new("x\u{1}", NodeKind::Role, Provenance::default()))
            .expect("new");
        let b = g
            .add_node(Node::new("x\u{2}", NodeKind::Role, Provenance::default()))
            .expect("new");
        g.add_edge(
            a,
            b,
            Edge::new(EdgeKind::CanAssume, "t", Provenance::default()),
        );
        g.prepare();
        let mut out = Vec::new();
        let opts = GraphmlOptions {
            at: jiff::Timestamp::UNIX_EPOCH,
            blast: None,
            blast_only: false,
        };
        write_graphml(&mut out, &g, &opts).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains(r#"<node id="n0">"#) && text.contains(r#"<node id="n1">"#));
        assert!(
            text.contains(r#"<edge id="e0" source="n0" target="n1">"#),
            "{text}"
        );
        assert!(!text.contains('\u{1}') && !text.contains('\u{2}'));
    }

    #[test]
    fn hostile_text_stays_well_formed() {
        let mut escaped = Vec::new();
        xml(&mut escaped, "a<b>&\"c'\u{1b}[31m\u{0}\u{85}\n").expect("writes");
        let escaped = String::from_utf8(escaped).expect("utf-8");
        assert_eq!(
            escaped,
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}[31m\u{FFFD}&#x85;&#xA;"
        );
    }
}
