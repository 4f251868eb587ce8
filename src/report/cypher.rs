//! An openCypher script that loads the graph into Neo4j (`cypher-shell -f`), Memgraph
//! (`mgconsole`) or FalkorDB, for teams whose graph outgrows one machine.
//!
//! The script makes the index on `TP_Node.id` first (a uniqueness constraint where the
//! engine has one in Cypher), then `UNWIND`s batches of rows: nodes `MERGE` by id with
//! `TP_Node` and their kind as labels, relationships are created between nodes matched by
//! id, with their edge kind as type. Values are inlined as literals, never spliced: every
//! string is single-quoted with its quote, backslash and line breaks escaped, so a hostile
//! name stays one string and every line of the script is ours. Each statement ends with
//! `;` and a blank line, and no line inside one is blank, so a client without a script
//! runner can split on blank lines.
//!
//! The engines differ in two places, hence `--dialect`: the index statement, and escapes.
//! Neo4j and Memgraph read `\uXXXX`; FalkorDB reads `\n`, `\t`, … but keeps `\u0007` as
//! six characters, so there the other control, line-separator and direction characters
//! become U+FFFD (and [`Written::altered_keys`] counts the keys that changed). Written
//! batch by batch: memory is one id per node and edge for the grouping by kind, never the
//! document.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Properties, bool_str};
use crate::analysis::BlastRadius;
use crate::model::{EdgeId, NodeId, TrustGraph};
use crate::report::neo4j::{NODE_LABEL, relationship_type};
use crate::report::opengraph::kind_name;

/// Which engine's Cypher the script is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Neo4j,
    Memgraph,
    Falkordb,
}

pub struct CypherOptions<'a> {
    pub dialect: Dialect,
    /// Whether each node is `usable` is as of this time.
    pub at: jiff::Timestamp,
    /// Marks the compromised nodes and the blast radius (`compromised`, `reached`).
    pub blast: Option<&'a BlastRadius>,
    /// Rows per `UNWIND`: large enough that a million nodes are a thousand statements,
    /// small enough that each is a modest transaction.
    pub batch: usize,
}

/// The node properties every statement sets (an absent one, set to null, is not stored).
const NODE_PROPERTIES: [&str; 20] = [
    "name",
    "platform",
    "scope",
    "owner",
    "purpose",
    "environment",
    "criticality",
    "crown_jewel",
    "admin",
    "usable",
    "tags",
    "credential_type",
    "status",
    "created",
    "expires",
    "last_used",
    "last_rotated",
    "revoke",
    "compromised",
    "reached",
];

const RELATIONSHIP_PROPERTIES: [&str; 7] = [
    "reason",
    "dormant",
    "conditional",
    "conditions",
    "technique",
    "revoke",
    "source",
];

pub fn write_cypher(
    out: &mut dyn Write,
    graph: &TrustGraph,
    keep: &dyn Fn(NodeId) -> bool,
    opts: &CypherOptions<'_>,
) -> io::Result<Written> {
    // The header holds no quote and no semicolon: mgconsole ends a statement at a `;`
    // even inside a comment.
    let (engine, runner, again) = match opts.dialect {
        Dialect::Neo4j => (
            "Neo4j",
            "cypher-shell -f FILE",
            "first run MATCH (n:TP_Node) DETACH DELETE n",
        ),
        Dialect::Memgraph => (
            "Memgraph",
            "mgconsole < FILE",
            "first run MATCH (n:TP_Node) DETACH DELETE n (the constraint and index stay)",
        ),
        Dialect::Falkordb => (
            "FalkorDB",
            "one GRAPH.QUERY per statement",
            "delete the graph first (GRAPH.DELETE), as its index cannot be made twice",
        ),
    };
    writeln!(
        out,
        "// trustpath graph as openCypher for {engine} ({runner}).\n\
         // Each statement ends with a semicolon and a blank line.\n\
         // Nodes merge by id and relationships are created: to load it again, {again}.\n"
    )?;
    match opts.dialect {
        Dialect::Neo4j => statement(
            out,
            &format!(
                "CREATE CONSTRAINT tp_node_id IF NOT EXISTS FOR (n:{NODE_LABEL}) \
                 REQUIRE n.id IS UNIQUE"
            ),
        )?,
        Dialect::Memgraph => {
            statement(
                out,
                &format!("CREATE CONSTRAINT ON (n:{NODE_LABEL}) ASSERT n.id IS UNIQUE"),
            )?;
            statement(out, &format!("CREATE INDEX ON :{NODE_LABEL}(id)"))?;
        }
        // Uniqueness is `GRAPH.CONSTRAINT CREATE`, a command outside Cypher.
        Dialect::Falkordb => {
            statement(out, &format!("CREATE INDEX FOR (n:{NODE_LABEL}) ON (n.id)"))?
        }
    }

    let mut by_kind: BTreeMap<&str, Vec<NodeId>> = BTreeMap::new();
    for node in graph.nodes_by_key().filter(|&n| keep(n)) {
        by_kind
            .entry(graph.node(node).kind.as_str())
            .or_default()
            .push(node);
    }
    let altered_keys = match opts.dialect {
        Dialect::Falkordb => by_kind
            .values()
            .flatten()
            .filter(|&&n| graph.key(n).chars().any(falkordb_cannot_read))
            .count(),
        Dialect::Neo4j | Dialect::Memgraph => 0,
    };
    let set = assignments("n", &NODE_PROPERTIES);
    for (kind, nodes) in &by_kind {
        let label = identifier(kind_name(kind));
        for batch in nodes.chunks(opts.batch.max(1)) {
            let body = format!("MERGE (n:{NODE_LABEL}:{label} {{id: row.id}})\nSET {set}");
            unwind(
                out,
                batch,
                opts.dialect,
                |row, id| node_row(row, graph, id, opts),
                &body,
            )?;
        }
    }

    let mut by_type: BTreeMap<&str, Vec<EdgeId>> = BTreeMap::new();
    for node in graph.nodes_by_key().filter(|&n| keep(n)) {
        for (edge, to) in graph.outgoing(node) {
            if keep(to) {
                by_type
                    .entry(graph.edge(edge).kind.as_str())
                    .or_default()
                    .push(edge);
            }
        }
    }
    let set = assignments("r", &RELATIONSHIP_PROPERTIES);
    for (kind, edges) in &by_type {
        let ty = identifier(relationship_type(kind));
        for batch in edges.chunks(opts.batch.max(1)) {
            let body = format!(
                "MATCH (a:{NODE_LABEL} {{id: row.src}})\nMATCH (b:{NODE_LABEL} {{id: row.dst}})\n\
                 CREATE (a)-[r:{ty}]->(b)\nSET {set}"
            );
            unwind(
                out,
                batch,
                opts.dialect,
                |row, id| edge_row(row, graph, id),
                &body,
            )?;
        }
    }
    Ok(Written { altered_keys })
}

/// What a script holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Keys written with U+FFFD for characters the dialect cannot read back (FalkorDB
    /// only): two keys that differ only there would load as one node.
    pub altered_keys: usize,
}

/// One statement: its text, `;`, a blank line.
fn statement(out: &mut dyn Write, text: &str) -> io::Result<()> {
    write!(out, "{text};\n\n")
}

/// `UNWIND [rows] AS row` and `body`: a row per item, each on its own line, made in
/// one buffer.
fn unwind<T: Copy>(
    out: &mut dyn Write,
    items: &[T],
    dialect: Dialect,
    fill: impl Fn(&mut Row<'_>, T),
    body: &str,
) -> io::Result<()> {
    let mut text = String::from("UNWIND [\n");
    for (i, &item) in items.iter().enumerate() {
        if i > 0 {
            text.push_str(",\n");
        }
        let mut row = Row::open(&mut text, dialect);
        fill(&mut row, item);
        row.text.push('}');
        if text.len() > 1 << 16 {
            out.write_all(text.as_bytes())?;
            text.clear();
        }
    }
    out.write_all(text.as_bytes())?;
    statement(out, &format!("\n] AS row\n{body}"))
}

/// `v.name = row.name, …` for every property.
fn assignments(var: &str, properties: &[&str]) -> String {
    properties
        .iter()
        .map(|p| format!("{var}.{p} = row.{p}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn node_row(row: &mut Row<'_>, graph: &TrustGraph, id: NodeId, opts: &CypherOptions<'_>) {
    let n = graph.node(id);
    row.text("id", n.key);
    super::node_properties(row, graph, id, opts.at);
    if !n.tags.is_empty() {
        row.text("tags", &serde_json::to_string(&n.tags).unwrap_or_default());
    }
    if let Some(b) = opts.blast {
        row.raw("compromised", bool_str(b.compromised.contains(&id)));
        row.raw("reached", bool_str(b.contains(id)));
    }
}

fn edge_row(row: &mut Row<'_>, graph: &TrustGraph, id: EdgeId) {
    let (from, to) = graph.endpoints(id);
    row.text("src", graph.key(from));
    row.text("dst", graph.key(to));
    super::edge_properties(row, graph, &graph.edge(id));
}

/// A map literal built entry by entry at the end of `text`; [`unwind`] closes it.
struct Row<'t> {
    dialect: Dialect,
    text: &'t mut String,
    empty: bool,
}

impl<'t> Row<'t> {
    fn open(text: &'t mut String, dialect: Dialect) -> Self {
        text.push('{');
        Row {
            dialect,
            text,
            empty: true,
        }
    }

    fn key(&mut self, name: &str) {
        if !self.empty {
            self.text.push_str(", ");
        }
        self.empty = false;
        self.text.push_str(name);
        self.text.push_str(": ");
    }
}

impl Properties for Row<'_> {
    /// A literal that needs no quoting (numbers, booleans).
    fn raw(&mut self, name: &str, value: &str) {
        self.key(name);
        self.text.push_str(value);
    }

    fn text(&mut self, name: &str, value: &str) {
        self.key(name);
        push_string(self.text, value, self.dialect);
    }

    /// A list of strings; an empty one is left out (as an absent property).
    fn list(&mut self, name: &str, items: &[&str]) {
        if items.is_empty() {
            return;
        }
        self.key(name);
        self.text.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            push_string(self.text, item, self.dialect);
        }
        self.text.push(']');
    }
}

/// `s` as a single-quoted Cypher string literal. Quote and backslash are escaped, and so
/// is every line break (a raw one would split the statement for a line-based client);
/// the other control and direction characters as the engine can read them back.
pub fn push_string(out: &mut String, s: &str, dialect: Dialect) {
    out.push('\'');
    // Copied in runs: most names need no escape at all.
    let mut copied = 0;
    for (i, c) in s.char_indices() {
        let plain = match c {
            '\'' | '\\' => false,
            ' '..='~' => true,
            c => !super::is_unsafe(c),
        };
        if plain {
            continue;
        }
        out.push_str(&s[copied..i]);
        copied = i + c.len_utf8();
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            // FalkorDB keeps `\u0007` as text, and a raw control, line separator or
            // direction mark would reach whoever reads or splits the script.
            _ if dialect == Dialect::Falkordb => out.push('\u{FFFD}'),
            // None today (what `is_unsafe` escapes is all below U+FFFF), but `\u` takes
            // exactly four digits: a wider character needs the eight of `\U`.
            c if (c as u32) > 0xFFFF => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
        }
    }
    out.push_str(&s[copied..]);
    out.push('\'');
}

/// A character a FalkorDB script cannot carry: one [`push_string`] neither escapes by
/// name nor may write raw.
fn falkordb_cannot_read(c: char) -> bool {
    super::is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t' | '\u{8}' | '\u{c}')
}

/// Labels and types are made from trustpath's own kind names; a character outside
/// `[A-Za-z0-9_]` would be a bug, and would otherwise need backquotes.
fn identifier(name: String) -> String {
    assert!(
        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "{name} is not a plain identifier"
    );
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(s: &str, dialect: Dialect) -> String {
        let mut out = String::new();
        push_string(&mut out, s, dialect);
        out
    }

    #[test]
    fn strings_cannot_leave_their_quotes() {
        let hostile = "x' }] AS row DETACH DELETE n; //\\";
        assert_eq!(
            literal(hostile, Dialect::Neo4j),
            r"'x\' }] AS row DETACH DELETE n; //\\'"
        );
        assert_eq!(
            literal("a\nb\r\tc\u{8}\u{c}", Dialect::Falkordb),
            r"'a\nb\r\tc\b\f'"
        );
    }

    /// Reads a literal back as Neo4j and Memgraph do (FalkorDB alike, bar `\u`).
    fn unquote(literal: &str) -> String {
        let inner = &literal[1..literal.len() - 1];
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            assert_ne!(c, '\'', "an unescaped quote ends the string early");
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next().expect("an escape is complete") {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'U' => {
                    let hex: String = chars.by_ref().take(8).collect();
                    let code = u32::from_str_radix(&hex, 16).expect("hex");
                    out.push(char::from_u32(code).expect("a char"));
                }
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let code = u32::from_str_radix(&hex, 16).expect("hex");
                    out.push(char::from_u32(code).expect("a char"));
                }
                c => out.push(c),
            }
        }
        out
    }

    proptest::proptest! {
        /// Any string reads back as itself, on one line.
        #[test]
        fn literals_read_back(s in "\\PC*|[\\x00-\\x1f'\\\\\u{2028}\u{202e}a]*") {
            let quoted = literal(&s, Dialect::Neo4j);
            proptest::prop_assert!(!quoted.contains('\n'));
            proptest::prop_assert_eq!(unquote(&quoted), s.clone());
            let falkordb = literal(&s, Dialect::Falkordb);
            proptest::prop_assert!(!falkordb.chars().any(|c| c == '\n' || falkordb_cannot_read(c)));
        }
    }

    #[test]
    fn control_characters_as_each_engine_reads_them() {
        assert_eq!(
            literal("a\u{1b}b\u{202e}", Dialect::Neo4j),
            r"'a\u001Bb\u202E'"
        );
        assert_eq!(
            literal("a\u{1b}b\u{202e}", Dialect::Memgraph),
            r"'a\u001Bb\u202E'"
        );
        assert_eq!(
            literal("a\u{1b}b\0\u{2028}\u{202e}\n", Dialect::Falkordb),
            "'a\u{FFFD}b\u{FFFD}\u{FFFD}\u{FFFD}\\n'"
        );
        assert_eq!(literal("café ✓ 😀", Dialect::Neo4j), "'café ✓ 😀'");
    }
}
