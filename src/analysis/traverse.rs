//! Breadth-first search over the edges an attacker can use at a given time.

use std::sync::OnceLock;

use jiff::Timestamp;

use crate::model::{EdgeId, NodeId, Slot, Step, TrustGraph};

/// Edges and nodes a what-if traversal must ignore, indexed by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub edges: Vec<bool>,
    pub nodes: Vec<bool>,
}

impl Removed {
    /// Nothing removed yet.
    pub fn none(graph: &TrustGraph) -> Removed {
        Removed {
            edges: vec![false; graph.edge_count()],
            nodes: vec![false; graph.node_count()],
        }
    }
}

/// Bit `i` of a bitset.
fn is_set(bits: &[u64], i: usize) -> bool {
    bits[i / 64] & (1 << (i % 64)) != 0
}

/// Result of a multi-source BFS: the nodes in the order reached, with the edge each was
/// first reached by and where each depth starts. The hot loop writes only these
/// sequential arrays and a visited bitset; the node → position index that answers
/// [`Bfs::depth`] and [`Bfs::via`] for any node is built on first use, since a blast
/// radius's own pass reads everything in search order. On a million-node graph a
/// per-node state array cost a cache miss per reached node.
pub struct Bfs {
    /// One bit per node of the graph: reached.
    visited: Vec<u64>,
    /// Nodes in the order they were reached (sources first).
    order: Vec<NodeId>,
    /// Per entry of `order`: the slot of the edge it was first reached by, plus one (zero
    /// for a source).
    via: Vec<u32>,
    /// Where each depth starts in `order`: depth `d` is `order[levels[d]..levels[d + 1]]`.
    levels: Vec<u32>,
    /// Per node: its position in `order` plus one (zero when not reached).
    position: OnceLock<Vec<u32>>,
    via_conditional: bool,
}

impl Bfs {
    /// Runs from `sources`, following steps for which `follow` holds; nodes for which
    /// `expand` fails are reached but not expanded. Stops early once `goal` is reached.
    pub fn run(
        graph: &TrustGraph,
        sources: &[NodeId],
        follow: impl Fn(Step) -> bool,
        expand: impl Fn(NodeId) -> bool,
        goal: Option<NodeId>,
    ) -> Bfs {
        let view = graph.traversal();
        // The visited test runs once per edge; a bitset (128 KB per million nodes) stays
        // in cache.
        let mut visited = vec![0u64; graph.node_count().div_ceil(64)];
        let mut order = Vec::new();
        let mut via = Vec::new();
        let mut via_conditional = false;
        for &s in sources {
            let i = s.index();
            if !is_set(&visited, i) {
                visited[i / 64] |= 1 << (i % 64);
                order.push(s);
                via.push(0);
            }
        }
        // `order` doubles as the queue: nodes are appended as they are reached and
        // expanded in that same order; depth is tracked by level boundaries in it.
        let (mut head, mut level_end) = (0, order.len());
        let mut levels = vec![0];
        while let Some(&node) = order.get(head) {
            if head == level_end {
                levels.push(level_end as u32);
                level_end = order.len();
            }
            head += 1;
            if goal.is_some_and(|g| is_set(&visited, g.index())) {
                break;
            }
            if !expand(node) {
                continue;
            }
            for step in view.steps(node) {
                let i = step.to.index();
                let (word, bit) = (i / 64, 1u64 << (i % 64));
                if visited[word] & bit == 0 && follow(step) {
                    visited[word] |= bit;
                    via_conditional |= step.conditional;
                    order.push(step.to);
                    via.push(step.slot.raw() + 1);
                }
            }
        }
        // Stopped at the goal: the nodes of the level being found still need their start.
        if level_end < order.len() {
            levels.push(level_end as u32);
        }
        levels.push(order.len() as u32);
        Bfs {
            visited,
            order,
            via,
            levels,
            position: OnceLock::new(),
            via_conditional,
        }
    }

    /// The attacker's view at `at`: dormant edges and edges out of unusable credentials
    /// are not followed. With `conditional: false`, edges with unevaluated conditions are
    /// skipped too.
    pub fn attacker(
        graph: &TrustGraph,
        sources: &[NodeId],
        at: Timestamp,
        conditional: bool,
        goal: Option<NodeId>,
    ) -> Bfs {
        let view = graph.traversal();
        Bfs::run(
            graph,
            sources,
            |step| !step.dormant && (conditional || !step.conditional),
            |n| view.usable(n, at),
            goal,
        )
    }

    /// [`Bfs::attacker`] with some edges and nodes taken away (a revocation plan's steps):
    /// removed edges are not followed, removed nodes are not entered.
    pub fn attacker_without(
        graph: &TrustGraph,
        sources: &[NodeId],
        at: Timestamp,
        conditional: bool,
        removed: &Removed,
    ) -> Bfs {
        let view = graph.traversal();
        Bfs::run(
            graph,
            sources,
            |step| {
                !step.dormant
                    && (conditional || !step.conditional)
                    && !removed.nodes[step.to.index()]
                    && !removed.edges[view.edge(step.slot).index()]
            },
            |n| view.usable(n, at),
            None,
        )
    }

    /// Whether some node was first reached over a conditional edge. When not, every
    /// node has an unconditional witness path.
    pub fn via_conditional(&self) -> bool {
        self.via_conditional
    }

    pub fn reached(&self, node: NodeId) -> bool {
        is_set(&self.visited, node.index())
    }

    /// Where `node` is in `order`.
    fn position(&self, node: NodeId) -> Option<usize> {
        if !self.reached(node) {
            return None;
        }
        let position = self.position.get_or_init(|| {
            let mut position = vec![0u32; self.visited.len() * 64];
            for (p, n) in self.order.iter().enumerate() {
                position[n.index()] = p as u32 + 1;
            }
            position
        });
        (position[node.index()] as usize).checked_sub(1)
    }

    pub fn depth(&self, node: NodeId) -> Option<u32> {
        let p = self.position(node)? as u32;
        // The last level that starts at or before the node's position.
        Some(self.levels.partition_point(|&start| start <= p) as u32 - 1)
    }

    pub fn order(&self) -> &[NodeId] {
        &self.order
    }

    /// The reached nodes level by level: `(depth, nodes at that depth in the order they
    /// were reached)`.
    pub fn levels(&self) -> impl Iterator<Item = (u32, &[NodeId])> {
        self.levels
            .windows(2)
            .zip(0..)
            .map(|(w, depth)| (depth, &self.order[w[0] as usize..w[1] as usize]))
    }

    /// The edges of the shortest path from a source to `node` (empty for a source).
    pub fn path_to(&self, graph: &TrustGraph, node: NodeId) -> Vec<EdgeId> {
        let mut path = Vec::new();
        let mut at = node;
        while let Some(edge) = self.via(graph, at) {
            path.push(edge);
            at = graph.endpoints(edge).0;
        }
        path.reverse();
        path
    }

    /// The edge `node` was first reached by (`None` for a source or an unreached node):
    /// the last hop of its path.
    pub fn via(&self, graph: &TrustGraph, node: NodeId) -> Option<EdgeId> {
        let slot = self.via[self.position(node)?].checked_sub(1)?;
        Some(graph.traversal().edge(Slot::from_raw(slot)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Condition, Edge, EdgeKind, Node, NodeKind, Provenance};

    /// a → b → c → d, a ⇢ d (conditional), c → a (a cycle back)
    fn chain() -> (TrustGraph, Vec<NodeId>) {
        let mut g = TrustGraph::new();
        let ids: Vec<NodeId> = ["a", "b", "c", "d"]
            .iter()
            .map(|k| {
                g.add_node(Node::new(k, NodeKind::Role, Provenance::default()))
                    .expect("new key")
            })
            .collect();
        let plain = || Edge::new(EdgeKind::CanAssume, "t", Provenance::default());
        g.add_edge(ids[0], ids[1], plain());
        g.add_edge(ids[1], ids[2], plain());
        g.add_edge(ids[2], ids[3], plain());
        g.add_edge(ids[2], ids[0], plain());
        let mut conditional = plain();
        conditional.conditions.push(Condition {
            description: "MFA".into(),
            key: None,
            operator: None,
            values: Vec::new(),
        });
        g.add_edge(ids[0], ids[3], conditional);
        (g, ids)
    }

    #[test]
    fn depths_paths_and_conditional_use() {
        let (g, n) = chain();
        let at = Timestamp::UNIX_EPOCH;
        let all = Bfs::attacker(&g, &[n[0]], at, true, None);
        assert_eq!(all.depth(n[3]), Some(1), "the conditional shortcut");
        assert!(all.via_conditional());
        assert_eq!(all.order().len(), 4, "the cycle back to a adds nothing");
        let certain = Bfs::attacker(&g, &[n[0]], at, false, None);
        assert_eq!(certain.depth(n[3]), Some(3));
        assert!(!certain.via_conditional());
        let path = certain.path_to(&g, n[3]);
        assert_eq!(path.len(), 3);
        assert_eq!(g.endpoints(path[2]).1, n[3]);
        assert!(
            certain.path_to(&g, n[0]).is_empty(),
            "a source has an empty path"
        );
    }

    #[test]
    fn goal_stops_the_search_early() {
        let (g, n) = chain();
        let bfs = Bfs::attacker(&g, &[n[0]], Timestamp::UNIX_EPOCH, false, Some(n[1]));
        assert!(bfs.reached(n[1]));
        assert!(!bfs.reached(n[3]), "stopped before expanding further");
        // The level being found when the goal was reached is listed too.
        let levels: Vec<_> = bfs.levels().map(|(d, nodes)| (d, nodes.to_vec())).collect();
        assert_eq!(levels, [(0, vec![n[0]]), (1, vec![n[1]])]);
    }

    /// `levels` lists every reached node once, at the depth `depth` gives it.
    #[test]
    fn levels_agree_with_depth() {
        let (g, n) = chain();
        for conditional in [true, false] {
            let bfs = Bfs::attacker(&g, &[n[1]], Timestamp::UNIX_EPOCH, conditional, None);
            let listed: Vec<_> = bfs
                .levels()
                .flat_map(|(d, nodes)| nodes.iter().map(move |&x| (x, d)))
                .collect();
            assert_eq!(listed.len(), bfs.order().len());
            for (node, depth) in listed {
                assert_eq!(bfs.depth(node), Some(depth));
            }
            assert_eq!(bfs.depth(n[1]), Some(0));
        }
    }
}
