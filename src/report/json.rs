//! JSON writers: the native graph (`trustpath/graph/v1`), `trustpath/blast/v2`,
//! `trustpath/path/v1` and `trustpath/import/v1`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::analysis::{BlastRadius, Paths, paths::path_nodes};
use crate::import::{FileReport, Loaded, Warning};
use crate::model::{
    AccessLevel, Condition, EdgeId, EdgeKind, NodeId, NodeKind, Revoke, Tags, TrustGraph,
};

/// `doc` as indented JSON and a line end. serde_json writes a token at a time (an
/// indent per level, a quote, a key): through a buffer of its own type, not the
/// `dyn Write` behind it, each of those is a copy rather than a call (26 MB of blast
/// radius at 100k nodes).
pub fn pretty(out: &mut dyn Write, doc: &impl Serialize) -> io::Result<()> {
    let mut buffered = io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut buffered, doc)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

// ---------------------------------------------------------------------------------
// Native graph

#[derive(Serialize)]
struct NodeOut<'a> {
    id: &'a str,
    kind: NodeKind,
    platform: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    criticality: Option<u8>,
    #[serde(skip_serializing_if = "is_false")]
    admin: bool,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    tags: Tags<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credential: Option<CredentialOut<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    revoke: &'a [Revoke],
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<ProvenanceOut<'a>>,
}

#[derive(Serialize)]
struct CredentialOut<'a> {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<jiff::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<jiff::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used: Option<jiff::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_rotated: Option<jiff::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    long_lived: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    copyable: Option<bool>,
}

#[derive(Serialize)]
struct EdgeOut<'a> {
    from: &'a str,
    to: &'a str,
    kind: EdgeKind,
    reason: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    conditions: &'a [Condition],
    #[serde(skip_serializing_if = "is_false")]
    dormant: bool,
    #[serde(skip_serializing_if = "is_false")]
    potential: bool,
    #[serde(skip_serializing_if = "is_false")]
    asserted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    technique: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<AccessLevel>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    revoke: &'a [Revoke],
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<ProvenanceOut<'a>>,
}

#[derive(Serialize)]
struct ProvenanceOut<'a> {
    file: &'a str,
    at: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn provenance<'a>(
    graph: &'a TrustGraph,
    p: &crate::model::Provenance,
) -> Option<ProvenanceOut<'a>> {
    (p.source != crate::model::SourceId::default()).then(|| ProvenanceOut {
        file: graph.source_name(p.source),
        at: p.place.to_string(),
    })
}

fn node_out(graph: &TrustGraph, id: NodeId) -> NodeOut<'_> {
    let n = graph.node(id);
    NodeOut {
        id: n.key,
        kind: n.kind,
        platform: n.platform,
        name: n.name,
        scope: n.scope,
        owner: n.owner,
        purpose: n.purpose,
        environment: n.environment,
        criticality: n.criticality,
        admin: n.admin,
        tags: n.tags,
        credential: n.credential.map(|c| CredentialOut {
            kind: c.kind,
            status: c.status,
            created: c.created,
            expires: c.expires,
            last_used: c.last_used,
            last_rotated: c.last_rotated,
            long_lived: c.long_lived,
            copyable: c.copyable,
        }),
        revoke: n.revoke.get(),
        provenance: provenance(graph, n.provenance),
    }
}

fn edge_out(graph: &TrustGraph, id: EdgeId) -> EdgeOut<'_> {
    let e = graph.edge(id);
    let (from, to) = graph.endpoints(id);
    EdgeOut {
        from: graph.key(from),
        to: graph.key(to),
        kind: e.kind,
        reason: e.reason,
        conditions: e.conditions,
        dormant: e.dormant,
        potential: e.potential,
        asserted: e.asserted,
        technique: e.technique,
        level: e.level,
        revoke: e.revoke.get(),
        provenance: provenance(graph, &e.provenance),
    }
}

/// Writes the graph (or the part `keep` selects) as native JSON, one node or edge per
/// line: diffable, greppable, and cheap to stream at a million nodes.
pub fn write_graph(
    out: &mut dyn Write,
    graph: &TrustGraph,
    keep: &dyn Fn(NodeId) -> bool,
) -> io::Result<()> {
    // serde_json writes a token at a time: a copy into this buffer, not a call through
    // `dyn Write` (see `pretty`).
    let out = &mut io::BufWriter::with_capacity(1 << 16, out);
    writeln!(out, "{{\"schema\": \"{}\",", crate::import::native::SCHEMA)?;
    let mut metadata = graph.metadata().clone();
    // A subgraph must not suggest a compromised node it does not contain.
    let suggested = metadata
        .get("suggested_compromised")
        .and_then(|v| v.as_str());
    if suggested.is_some_and(|key| graph.find(key).is_none_or(|n| !keep(n))) {
        metadata.remove("suggested_compromised");
    }
    if !metadata.is_empty() {
        write!(out, "\"metadata\": ")?;
        serde_json::to_writer(&mut *out, &metadata)?;
        writeln!(out, ",")?;
    }
    writeln!(out, "\"nodes\": [")?;
    let nodes: Vec<NodeId> = graph.nodes_by_key().filter(|&n| keep(n)).collect();
    for (i, &n) in nodes.iter().enumerate() {
        serde_json::to_writer(&mut *out, &node_out(graph, n))?;
        writeln!(out, "{}", if i + 1 < nodes.len() { "," } else { "" })?;
    }
    writeln!(out, "],\n\"edges\": [")?;
    let mut first = true;
    for &n in &nodes {
        for (e, to) in graph.outgoing(n) {
            if !keep(to) {
                continue;
            }
            if !first {
                writeln!(out, ",")?;
            }
            first = false;
            serde_json::to_writer(&mut *out, &edge_out(graph, e))?;
        }
    }
    if !first {
        writeln!(out)?;
    }
    writeln!(out, "]}}")?;
    out.flush()
}

// ---------------------------------------------------------------------------------
// Blast radius

/// A list serialized from an iterator made on demand: a million reached nodes are
/// written one by one and never held as DTOs together.
pub(super) struct Lazy<F>(pub(super) F);

impl<F, I> Serialize for Lazy<F>
where
    F: Fn() -> I,
    I: IntoIterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

/// The document but for its two long arrays, `reached` and `exposed_unusable`, which are
/// written after it on two cores (`report::pretty`).
#[derive(Serialize)]
struct BlastHead<'a> {
    schema: &'static str,
    at: jiff::Timestamp,
    compromised: Vec<&'a str>,
    summary: SummaryOut<'a>,
}

#[derive(Serialize)]
struct SummaryOut<'a> {
    reached: usize,
    crown_jewels: usize,
    admin_reached: bool,
    criticality: u64,
    conditional: usize,
    exposed_unusable: usize,
    by_kind: BTreeMap<NodeKind, usize>,
    by_platform: &'a BTreeMap<String, usize>,
}

#[derive(Serialize)]
struct ReachedOut<'a> {
    id: &'a str,
    kind: NodeKind,
    platform: &'a str,
    name: &'a str,
    depth: u32,
    admin: bool,
    crown_jewel: bool,
    criticality: u8,
    conditional: bool,
    owner: Option<&'a str>,
    /// Set on a compromised credential that cannot be used at `at`.
    #[serde(skip_serializing_if = "Option::is_none")]
    unusable: Option<&'a str>,
    /// The last hop of the witness path (none for a compromised node): following `via.from`
    /// back through `reached` rebuilds the path, so the output stays linear in the graph.
    via: Option<HopOut<'a>>,
    /// The whole witness path: for crown jewels and admins, or every node with `--paths`.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<Vec<HopOut<'a>>>,
}

#[derive(Serialize)]
struct ExposedOut<'a> {
    id: &'a str,
    kind: NodeKind,
    platform: &'a str,
    name: &'a str,
    depth: u32,
    why_unusable: &'a str,
    via: Option<HopOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<Vec<HopOut<'a>>>,
}

#[derive(Serialize)]
pub(crate) struct HopOut<'a> {
    pub(crate) from: &'a str,
    pub(crate) to: &'a str,
    pub(crate) kind: EdgeKind,
    reason: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    conditions: Vec<&'a str>,
    #[serde(skip_serializing_if = "is_false")]
    potential: bool,
}

pub(crate) fn hops<'a>(graph: &'a TrustGraph, path: &[EdgeId]) -> Vec<HopOut<'a>> {
    path.iter()
        .map(|&e| {
            let edge = graph.edge(e);
            let (from, to) = graph.endpoints(e);
            HopOut {
                from: graph.key(from),
                to: graph.key(to),
                kind: edge.kind,
                reason: edge.reason,
                conditions: edge
                    .conditions
                    .iter()
                    .map(|c| c.description.as_str())
                    .collect(),
                potential: edge.potential,
            }
        })
        .collect()
}

/// The last hop into `node` in `blast`, and its whole path when `whole`.
fn via_and_path<'a>(
    graph: &'a TrustGraph,
    blast: &BlastRadius,
    node: NodeId,
    whole: bool,
) -> (Option<HopOut<'a>>, Option<Vec<HopOut<'a>>>) {
    let via = blast.via(graph, node).and_then(|e| hops(graph, &[e]).pop());
    let path = whole.then(|| hops(graph, &blast.path(graph, node)));
    (via, path)
}

/// `trustpath/blast/v2`: every reached node with its last hop; whole witness paths for
/// crown jewels and admins, or for every node when `all_paths` (`--paths`, quadratic
/// in the depth of the graph).
pub fn write_blast(
    out: &mut dyn Write,
    graph: &TrustGraph,
    blast: &BlastRadius,
    all_paths: bool,
) -> io::Result<()> {
    let s = &blast.summary;
    let head = BlastHead {
        schema: "trustpath/blast/v2",
        at: blast.at,
        compromised: blast.compromised.iter().map(|&n| graph.key(n)).collect(),
        summary: SummaryOut {
            reached: s.reached,
            crown_jewels: s.crown_jewels,
            admin_reached: s.admin_reached,
            criticality: s.criticality,
            conditional: s.conditional,
            exposed_unusable: blast.exposed.len(),
            by_kind: s.by_kind.clone(),
            by_platform: &s.by_platform,
        },
    };
    // A node of either list, with its last hop and, when asked for, its whole path.
    let with_hops = |node: NodeId| {
        let n = graph.node(node);
        let (via, path) = via_and_path(graph, blast, node, super::whole_path(n, all_paths));
        (n, via, path)
    };
    let reached = |i: usize| {
        let r = &blast.reached[i];
        let (n, via, path) = with_hops(r.node);
        ReachedOut {
            id: n.key,
            kind: n.kind,
            platform: n.platform,
            name: n.name,
            depth: r.depth,
            admin: n.admin,
            crown_jewel: n.is_crown_jewel(),
            criticality: n.criticality(),
            conditional: r.conditional,
            owner: n.owner,
            unusable: (r.depth == 0)
                .then(|| {
                    blast
                        .compromised_unusable
                        .iter()
                        .find(|(c, _)| *c == r.node)
                })
                .flatten()
                .map(|(_, why)| why.as_str()),
            via,
            path,
        }
    };
    let exposed = |i: usize| {
        let x = &blast.exposed[i];
        let (n, via, path) = with_hops(x.node);
        ExposedOut {
            id: n.key,
            kind: n.kind,
            platform: n.platform,
            name: n.name,
            depth: x.depth,
            why_unusable: &x.why_unusable,
            via,
            path,
        }
    };
    // The head as serde_json writes the whole document, up to its closing `\n}`; the
    // arrays as it writes them after it.
    let mut text = serde_json::to_vec_pretty(&head)?;
    text.truncate(text.len() - "\n}".len());
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    out.write_all(&text)?;
    out.write_all(b",\n  \"reached\": ")?;
    super::pretty::array(&mut out, blast.reached.len(), reached)?;
    out.write_all(b",\n  \"exposed_unusable\": ")?;
    super::pretty::array(&mut out, blast.exposed.len(), exposed)?;
    out.write_all(b"\n}\n")?;
    out.flush()
}

// ---------------------------------------------------------------------------------
// Paths

#[derive(Serialize)]
struct PathsOut<'a> {
    schema: &'static str,
    at: jiff::Timestamp,
    from: &'a str,
    to: &'a str,
    truncated: bool,
    /// Edges the search scanned, when it stopped early (raise `--max-work` to go on).
    #[serde(skip_serializing_if = "Option::is_none")]
    edges_scanned: Option<usize>,
    paths: Vec<PathOut<'a>>,
}

#[derive(Serialize)]
struct PathOut<'a> {
    hops: usize,
    nodes: Vec<&'a str>,
    edges: Vec<HopOut<'a>>,
}

pub fn write_paths(
    out: &mut dyn Write,
    graph: &TrustGraph,
    (from, to): (NodeId, NodeId),
    found: &Paths,
    at: jiff::Timestamp,
) -> io::Result<()> {
    let doc = PathsOut {
        schema: "trustpath/path/v1",
        at,
        from: graph.key(from),
        to: graph.key(to),
        truncated: found.truncated,
        edges_scanned: found.truncated.then_some(found.scanned),
        paths: found
            .paths
            .iter()
            .map(|p| PathOut {
                hops: p.len(),
                nodes: path_nodes(graph, from, p)
                    .iter()
                    .map(|&n| graph.key(n))
                    .collect(),
                edges: hops(graph, p),
            })
            .collect(),
    };
    pretty(out, &doc)
}

// ---------------------------------------------------------------------------------
// Import summary

#[derive(Serialize)]
struct ImportOut<'a> {
    schema: &'static str,
    nodes: usize,
    edges: usize,
    files: Vec<FileOut<'a>>,
    nodes_by_platform_kind: BTreeMap<&'a str, BTreeMap<NodeKind, usize>>,
    edges_by_kind: BTreeMap<EdgeKind, usize>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct FileOut<'a> {
    name: &'a str,
    format: Option<&'static str>,
    nodes: usize,
    edges: usize,
}

pub fn write_import(out: &mut dyn Write, loaded: &Loaded) -> io::Result<()> {
    let g = &loaded.graph;
    let doc = ImportOut {
        schema: "trustpath/import/v1",
        nodes: g.node_count(),
        edges: g.edge_count(),
        files: loaded.files.iter().map(file_out).collect(),
        nodes_by_platform_kind: counts_by_platform_kind(g),
        edges_by_kind: counts_by_edge_kind(g),
        warnings: loaded.warnings.iter().map(Warning::to_string).collect(),
    };
    pretty(out, &doc)
}

fn file_out(f: &FileReport) -> FileOut<'_> {
    FileOut {
        name: &f.name,
        format: f.format.map(|f| f.as_str()),
        nodes: f.nodes,
        edges: f.edges,
    }
}

pub(crate) fn counts_by_platform_kind(g: &TrustGraph) -> BTreeMap<&str, BTreeMap<NodeKind, usize>> {
    let mut counts: BTreeMap<&str, BTreeMap<NodeKind, usize>> = BTreeMap::new();
    for n in g.node_ids() {
        let node = g.node(n);
        *counts
            .entry(node.platform)
            .or_default()
            .entry(node.kind)
            .or_default() += 1;
    }
    counts
}

pub(crate) fn counts_by_edge_kind(g: &TrustGraph) -> BTreeMap<EdgeKind, usize> {
    let mut counts = BTreeMap::new();
    for e in g.edge_ids() {
        *counts.entry(g.edge(e).kind).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Input, load_inputs};

    #[test]
    fn subgraph_export_drops_a_suggestion_it_does_not_contain() {
        let loaded = load_inputs([Input::bytes(
            "t.json",
            br#"{"schema": "trustpath/graph/v1", "metadata": {"suggested_compromised": "a", "seed": 1},
                "nodes": [{"id": "a", "kind": "role"}, {"id": "b", "kind": "role"}],
                "edges": [{"from": "a", "to": "b", "kind": "can_assume", "reason": "r"}]}"#
                .to_vec(),
        )])
        .expect("loads");
        let g = &loaded.graph;
        let b = g.find("b").expect("b");
        let mut out = Vec::new();
        write_graph(&mut out, g, &|n| n == b).expect("in memory");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains(r#""metadata": {"seed":1}"#), "{text}");
        assert!(!text.contains("\"from\""), "the edge leaves the subgraph");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(doc["nodes"].as_array().map(Vec::len), Some(1));
    }
}
