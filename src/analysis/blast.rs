//! Blast radius: everything an attacker holding the compromised set can reach.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::Bfs;
use super::traverse::Removed;
use crate::model::{EdgeId, NodeFacts, NodeId, NodeKind, PlatformId, TrustGraph};

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
    /// Compromised credentials that cannot be used at `at`, and why: nothing is reached
    /// through them, which the reports must say rather than show an empty radius.
    pub compromised_unusable: Vec<(NodeId, String)>,
    all: Bfs,
    /// The search without conditional edges, when any conditional edge mattered.
    certain: Option<Bfs>,
}

impl BlastRadius {
    /// Computes the blast radius of `compromised` as of `at`.
    pub fn compute(graph: &TrustGraph, compromised: &[NodeId], at: Timestamp) -> BlastRadius {
        BlastRadius::compute_without(graph, compromised, at, None)
    }

    /// The blast radius with some edges and nodes removed: what stays reachable from
    /// `compromised` (the remaining footholds) once a plan's steps are carried out.
    pub fn compute_without(
        graph: &TrustGraph,
        compromised: &[NodeId],
        at: Timestamp,
        removed: Option<&Removed>,
    ) -> BlastRadius {
        let mut compromised = compromised.to_vec();
        compromised.sort_by(|&a, &b| graph.key(a).cmp(graph.key(b)));
        compromised.dedup();
        let search = |conditional| match removed {
            Some(r) => Bfs::attacker_without(graph, &compromised, at, conditional, r),
            None => Bfs::attacker(graph, &compromised, at, conditional, None),
        };
        let all = search(true);
        // A second pass without conditional edges tells what depends on them; when no
        // node was first reached through one, nothing does.
        let certain = all.via_conditional().then(|| search(false));
        let view = graph.traversal();
        let mut exposed = Vec::new();
        let mut compromised_unusable = Vec::new();
        let mut tally = Tally::default();
        // Reachable only over an edge with unevaluated conditions or a potential edge.
        let conditional = |node| certain.as_ref().is_some_and(|c| !c.reached(node));
        // Reached nodes by depth, as key ranks: listed in key order below.
        let mut by_depth: Vec<Vec<u32>> = Vec::new();
        // One pass in search order, reading each node's facts once: depth comes from the
        // search's levels, and the key rank and the summary from the facts. On a large
        // graph every per-node read of another array is a cache miss.
        for (level, nodes) in all.levels() {
            for &node in nodes {
                let facts = view.facts(node);
                let depth = match &certain {
                    // Without conditional edges every node's witness is the first search's.
                    None => level,
                    Some(_) => witness(&all, certain.as_ref(), node)
                        .depth(node)
                        .unwrap_or_default(),
                };
                let unusable = (!view.usable(node, at))
                    .then(|| graph.node(node).unusable_reason(at))
                    .flatten();
                match unusable {
                    Some(why_unusable) if depth > 0 => exposed.push((
                        (u64::from(depth) << 32) | u64::from(facts.rank),
                        Exposed {
                            node,
                            depth,
                            why_unusable,
                        },
                    )),
                    _ => {
                        if let Some(why) = unusable {
                            compromised_unusable.push((node, why));
                        }
                        tally.add(facts, conditional(node));
                        let d = depth as usize;
                        if by_depth.len() <= d {
                            by_depth.resize_with(d + 1, Vec::new);
                        }
                        by_depth[d].push(facts.rank);
                    }
                }
            }
        }
        let reached = in_key_order(graph, &by_depth, |node, depth| Reached {
            node,
            depth,
            conditional: conditional(node),
        });
        // Few: a disabled or expired credential is listed where it was found.
        exposed.sort_unstable_by_key(|&(k, _)| k);
        let exposed = exposed.into_iter().map(|(_, x)| x).collect();
        let summary = tally.summary(graph, reached.len());
        BlastRadius {
            at,
            compromised,
            compromised_unusable,
            reached,
            exposed,
            summary,
            all,
            certain,
        }
    }

    /// The witness path to a reached node: the edges of a shortest path, unconditional
    /// whenever one exists.
    pub fn path(&self, graph: &TrustGraph, node: NodeId) -> Vec<EdgeId> {
        self.witness(node).path_to(graph, node)
    }

    /// The last hop of [`BlastRadius::path`], without building the path.
    pub fn via(&self, graph: &TrustGraph, node: NodeId) -> Option<EdgeId> {
        self.witness(node).via(graph, node)
    }

    fn witness(&self, node: NodeId) -> &Bfs {
        witness(&self.all, self.certain.as_ref(), node)
    }

    pub fn contains(&self, node: NodeId) -> bool {
        self.all.reached(node)
    }
}

impl Summary {
    /// The figures people read first, in one line: reach, crown jewels, admin,
    /// criticality, conditional reach.
    pub fn headline(&self) -> String {
        format!(
            "{} nodes reached · {} crown jewels · admin {} · criticality {} · {} conditional",
            self.reached,
            self.crown_jewels,
            if self.admin_reached {
                "REACHED"
            } else {
                "not reached"
            },
            self.criticality,
            self.conditional
        )
    }
}

/// The search a node's witness path comes from: the unconditional one wherever it
/// reaches, so that a path needing an unverified condition is shown only when no other
/// exists.
fn witness<'b>(all: &'b Bfs, certain: Option<&'b Bfs>, node: NodeId) -> &'b Bfs {
    match certain {
        Some(c) if c.reached(node) => c,
        _ => all,
    }
}

/// The nodes of each depth in key order, depth by depth. Ranks are marked in a bitset and
/// read back in order (a pass over the marked words per depth): no comparison sort, and
/// the rank → node lookups go through the key index in increasing order, which the
/// hardware prefetches. A sort of a million (key, node) pairs cost more than the search.
fn in_key_order<T>(
    graph: &TrustGraph,
    by_depth: &[Vec<u32>],
    mut item: impl FnMut(NodeId, u32) -> T,
) -> Vec<T> {
    let view = graph.traversal();
    let mut out = Vec::with_capacity(by_depth.iter().map(Vec::len).sum());
    let mut marks = vec![0u64; graph.node_count().div_ceil(64)];
    for (depth, ranks) in (0u32..).zip(by_depth) {
        let (Some(&low), Some(&high)) = (ranks.iter().min(), ranks.iter().max()) else {
            continue;
        };
        for &r in ranks {
            marks[r as usize / 64] |= 1 << (r % 64);
        }
        let first = low as usize / 64;
        for (w, slot) in (first..).zip(&mut marks[first..=high as usize / 64]) {
            let mut word = std::mem::take(slot);
            while word != 0 {
                let r = (w * 64) as u32 + word.trailing_zeros();
                word &= word - 1;
                out.push(item(view.by_rank(r), depth));
            }
        }
    }
    out
}

/// The [`Summary`] counts, gathered while the reached nodes are listed. Counted in arrays,
/// turned into maps once: a map insertion per reached node costs more than the search
/// that found it.
#[derive(Default)]
pub(super) struct Tally {
    crown_jewels: usize,
    pub(super) admins: usize,
    criticality: u64,
    pub(super) conditional: usize,
    by_kind: [usize; NodeKind::ALL.len()],
    by_platform: Vec<usize>,
}

impl Tally {
    pub(super) fn add(&mut self, facts: NodeFacts, conditional: bool) {
        self.crown_jewels += usize::from(facts.is_crown_jewel());
        self.admins += usize::from(facts.admin);
        self.criticality += u64::from(facts.criticality);
        self.conditional += usize::from(conditional);
        self.by_kind[facts.kind.index()] += 1;
        let p = facts.platform.index();
        if p >= self.by_platform.len() {
            self.by_platform.resize(p + 1, 0);
        }
        self.by_platform[p] += 1;
    }

    /// Adds what `other` counted.
    pub(super) fn merge(&mut self, other: Tally) {
        self.crown_jewels += other.crown_jewels;
        self.admins += other.admins;
        self.criticality += other.criticality;
        self.conditional += other.conditional;
        for (mine, theirs) in self.by_kind.iter_mut().zip(other.by_kind) {
            *mine += theirs;
        }
        if other.by_platform.len() > self.by_platform.len() {
            self.by_platform.resize(other.by_platform.len(), 0);
        }
        for (mine, theirs) in self.by_platform.iter_mut().zip(other.by_platform) {
            *mine += theirs;
        }
    }

    fn summary(self, graph: &TrustGraph, reached: usize) -> Summary {
        Summary {
            reached,
            crown_jewels: self.crown_jewels,
            admin_reached: self.admins > 0,
            criticality: self.criticality,
            conditional: self.conditional,
            by_kind: self.kinds(),
            by_platform: self.platforms(graph),
        }
    }

    pub(super) fn kinds(&self) -> BTreeMap<NodeKind, usize> {
        NodeKind::ALL
            .into_iter()
            .zip(self.by_kind)
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    pub(super) fn platforms(&self, graph: &TrustGraph) -> BTreeMap<String, usize> {
        let mut by_platform: BTreeMap<String, usize> = BTreeMap::new();
        for (p, &n) in self.by_platform.iter().enumerate().filter(|&(_, &n)| n > 0) {
            *by_platform
                .entry(graph.platform_name(PlatformId::from_index(p)).to_string())
                .or_default() += n;
        }
        by_platform
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Credential, Edge, EdgeKind, Node, Provenance};

    fn at() -> Timestamp {
        "2026-06-01T00:00:00Z".parse().expect("timestamp")
    }

    /// start → key → user → bucket, start → old → (dormant) → vault
    fn graph() -> (TrustGraph, Vec<NodeId>) {
        let mut g = TrustGraph::new();
        let mut add = |key: &str, kind: NodeKind| {
            g.add_node(Node::new(key, kind, Provenance::default()))
                .expect("new key")
        };
        let ids = vec![
            add("start", NodeKind::Workload),
            add("key", NodeKind::Credential),
            add("user", NodeKind::ServiceAccount),
            add("bucket", NodeKind::Resource),
            add("old", NodeKind::Credential),
            add("vault", NodeKind::Secret),
        ];
        g.node_mut(ids[1]).credential = Some(Box::new(Credential::default()));
        g.node_mut(ids[4]).credential = Some(Box::new(Credential {
            expires: Some("2026-01-01T00:00:00Z".parse().expect("timestamp")),
            ..Credential::default()
        }));
        g.node_mut(ids[3]).criticality = Some(9);
        let edge = |kind| Edge::new(kind, "test", Provenance::default());
        g.add_edge(ids[0], ids[1], edge(EdgeKind::CanRead));
        g.add_edge(ids[1], ids[2], edge(EdgeKind::AuthenticatesAs));
        g.add_edge(ids[2], ids[3], edge(EdgeKind::CanAccess));
        g.add_edge(ids[0], ids[4], edge(EdgeKind::CanRead));
        g.add_edge(ids[4], ids[5], edge(EdgeKind::CanRead));
        let mut dormant = edge(EdgeKind::CanRead);
        dormant.dormant = true;
        g.add_edge(ids[2], ids[5], dormant);
        (g, ids)
    }

    /// On a random graph with conditional edges, dead credentials and more than 64 nodes
    /// (several bitset words), the listing is every usable reached node once, in (depth,
    /// key) order, with the depth of its witness path and its conditional flag.
    #[test]
    fn reached_nodes_come_in_depth_then_key_order() {
        let mut g = TrustGraph::new();
        let mut state = 7u64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) % n
        };
        let kinds = [NodeKind::Role, NodeKind::Credential, NodeKind::Group];
        let ids: Vec<NodeId> = (0..300)
            .map(|i| {
                // Keys out of insertion order, so that key order is not id order.
                let key = format!("k{:03}", (i * 37) % 300);
                let mut node = Node::new(&key, kinds[i % 3], Provenance::default());
                if node.kind == NodeKind::Credential && i % 2 == 0 {
                    node.credential = Some(Box::new(Credential {
                        status: Some("inactive".into()),
                        ..Credential::default()
                    }));
                }
                g.add_node(node).expect("new key")
            })
            .collect();
        for _ in 0..700 {
            let (a, b) = (ids[next(300) as usize], ids[next(300) as usize]);
            let mut edge = Edge::new(EdgeKind::CanAssume, "t", Provenance::default());
            edge.potential = next(5) == 0;
            g.add_edge(a, b, edge);
        }
        let blast = BlastRadius::compute(&g, &[ids[0], ids[1]], at());
        assert!(blast.reached.len() > 64, "{}", blast.reached.len());
        let keys: Vec<(u32, &str)> = blast
            .reached
            .iter()
            .map(|r| (r.depth, g.key(r.node)))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(keys, sorted);
        let certain = Bfs::attacker(&g, &blast.compromised, at(), false, None);
        for r in &blast.reached {
            assert!(g.node(r.node).usable_at(at()) || r.depth == 0);
            assert_eq!(r.conditional, !certain.reached(r.node));
            let witness = if r.conditional { &blast.all } else { &certain };
            assert_eq!(witness.depth(r.node), Some(r.depth));
        }
        assert!(blast.reached.iter().any(|r| r.conditional));
    }

    #[test]
    fn dead_credentials_and_dormant_edges_do_not_pass() {
        let (g, n) = graph();
        let blast = BlastRadius::compute(&g, &[n[0]], at());
        let reached: Vec<&str> = blast.reached.iter().map(|r| g.key(r.node)).collect();
        assert_eq!(reached, ["start", "key", "user", "bucket"]);
        assert_eq!(blast.exposed.len(), 1);
        assert_eq!(
            blast.exposed[0].why_unusable,
            "expired 2026-01-01T00:00:00Z"
        );
        assert_eq!(blast.summary.crown_jewels, 1);
        assert_eq!(blast.summary.criticality, 2 + 3 + 2 + 9);
        assert!(!blast.summary.admin_reached);
        let path = blast.path(&g, n[3]);
        assert_eq!(path.len(), 3);
        assert_eq!(g.endpoints(path[0]).0, n[0]);
    }

    #[test]
    fn before_expiry_the_old_credential_passes() {
        let (g, n) = graph();
        let earlier = "2025-06-01T00:00:00Z".parse().expect("timestamp");
        let blast = BlastRadius::compute(&g, &[n[0]], earlier);
        assert!(blast.contains(n[5]));
        assert!(blast.exposed.is_empty());
    }
}
