//! Blast radius: everything an attacker holding the compromised set can reach.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::Bfs;
use crate::model::{EdgeId, NodeId, NodeKind, PlatformId, TrustGraph};

/// One node in the blast radius.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    pub node: NodeId,
    pub depth: u32,
    /// Reachable only through an edge with unevaluated conditions or a potential edge.
    pub conditional: bool,
}

/// A disabled or expired credential the attacker can see but not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposed {
    pub node: NodeId,
    pub depth: u32,
    pub why_unusable: String,
}

/// Figures for the whole radius.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    pub reached: usize,
    pub crown_jewels: usize,
    /// Any reached node (the compromised ones included) is admin of its scope.
    pub admin_reached: bool,
    /// Sum of the criticality of every reached node.
    pub criticality: u64,
    pub conditional: usize,
    pub by_kind: BTreeMap<NodeKind, usize>,
    pub by_platform: BTreeMap<String, usize>,
}

pub struct BlastRadius {
    pub at: Timestamp,
    /// Sorted by key.
    pub compromised: Vec<NodeId>,
    /// Sorted by depth, then key; the compromised nodes come first at depth 0.
    pub reached: Vec<Reached>,
    /// Unusable credentials within reach, sorted by depth, then key.
    pub exposed: Vec<Exposed>,
    pub summary: Summary,
    bfs: Bfs,
}

impl BlastRadius {
    /// Computes the blast radius of `compromised` as of `at`.
    pub fn compute(graph: &TrustGraph, compromised: &[NodeId], at: Timestamp) -> BlastRadius {
        let mut compromised = compromised.to_vec();
        compromised.sort_by(|&a, &b| graph.node(a).key.cmp(&graph.node(b).key));
        compromised.dedup();
        let all = Bfs::attacker(graph, &compromised, at, true, None);
        // A second pass without conditional edges tells what depends on them; when no
        // node was first reached through one, nothing does.
        let certain = all
            .via_conditional()
            .then(|| Bfs::attacker(graph, &compromised, at, false, None));
        let mut reached = Vec::new();
        let mut exposed = Vec::new();
        for &node in all.order() {
            let depth = all.depth(node).unwrap_or_default();
            let unusable = graph
                .facts(node)
                .credential
                .then(|| {
                    graph
                        .node(node)
                        .credential
                        .as_ref()
                        .and_then(|c| c.unusable_reason(at))
                })
                .flatten();
            match unusable {
                Some(why_unusable) if depth > 0 => exposed.push(Exposed {
                    node,
                    depth,
                    why_unusable,
                }),
                _ => reached.push(Reached {
                    node,
                    depth,
                    conditional: certain.as_ref().is_some_and(|c| !c.reached(node)),
                }),
            }
        }
        // Key ranks, not keys: comparing a million strings costs more than the BFS.
        let view = graph.traversal();
        reached.sort_unstable_by_key(|r| (r.depth, view.key_rank(r.node)));
        exposed.sort_unstable_by_key(|x| (x.depth, view.key_rank(x.node)));
        let summary = summarize(graph, &reached);
        BlastRadius {
            at,
            compromised,
            reached,
            exposed,
            summary,
            bfs: all,
        }
    }

    /// The witness path to a reached node: the edges of one shortest path.
    pub fn path(&self, graph: &TrustGraph, node: NodeId) -> Vec<EdgeId> {
        self.bfs.path_to(graph, node)
    }

    pub fn contains(&self, node: NodeId) -> bool {
        self.bfs.reached(node)
    }
}

fn summarize(graph: &TrustGraph, reached: &[Reached]) -> Summary {
    let mut summary = Summary {
        reached: reached.len(),
        ..Summary::default()
    };
    let mut by_platform: BTreeMap<PlatformId, usize> = BTreeMap::new();
    for r in reached {
        let facts = graph.facts(r.node);
        summary.crown_jewels += usize::from(facts.is_crown_jewel());
        summary.admin_reached |= facts.admin;
        summary.criticality += u64::from(facts.criticality);
        summary.conditional += usize::from(r.conditional);
        *summary.by_kind.entry(facts.kind).or_default() += 1;
        *by_platform.entry(facts.platform).or_default() += 1;
    }
    summary.by_platform = by_platform
        .into_iter()
        .map(|(p, n)| (graph.platform_name(p).to_string(), n))
        .collect();
    summary
}
