//! Breadth-first search over the edges an attacker can use at a given time.

use jiff::Timestamp;

use crate::model::{EdgeId, NodeId, Slot, Step, TrustGraph};

const NONE: u32 = u32::MAX;

/// Result of a multi-source BFS: per node, its depth and the edge it was first reached by.
/// Dense arrays, so a million-node graph costs 8 MB and no hashing.
pub struct Bfs {
    /// Per node: depth and the slot of the edge it was first reached by, side by side so
    /// that the visited check and the write touch one cache line.
    seen: Vec<(u32, u32)>,
    /// Nodes in the order they were reached (sources first).
    order: Vec<NodeId>,
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
        let mut seen = vec![(NONE, NONE); graph.node_count()];
        // The visited test runs once per edge; a bitset (128 KB per million nodes) stays
        // in cache where `seen` would not.
        let mut visited = vec![0u64; graph.node_count().div_ceil(64)];
        let mut order = Vec::new();
        let mut via_conditional = false;
        for &s in sources {
            let i = s.index();
            if visited[i / 64] & (1 << (i % 64)) == 0 {
                visited[i / 64] |= 1 << (i % 64);
                seen[i].0 = 0;
                order.push(s);
            }
        }
        // `order` doubles as the queue: nodes are appended as they are reached and
        // expanded in that same order.
        // Depth is tracked by level boundaries in the queue rather than read back per node.
        let (mut head, mut level_end, mut d) = (0, order.len(), 1);
        while let Some(&node) = order.get(head) {
            if head == level_end {
                level_end = order.len();
                d += 1;
            }
            head += 1;
            if goal.is_some_and(|g| seen[g.index()].0 != NONE) {
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
                    seen[i] = (d, step.slot.raw());
                    via_conditional |= step.conditional;
                    order.push(step.to);
                }
            }
        }
        Bfs {
            seen,
            order,
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
            |n| !view.facts(n).credential || graph.node(n).usable_at(at),
            goal,
        )
    }

    /// Whether some node was first reached over a conditional edge. When not, every
    /// node has an unconditional witness path.
    pub fn via_conditional(&self) -> bool {
        self.via_conditional
    }

    pub fn reached(&self, node: NodeId) -> bool {
        self.seen[node.index()].0 != NONE
    }

    pub fn depth(&self, node: NodeId) -> Option<u32> {
        let d = self.seen[node.index()].0;
        (d != NONE).then_some(d)
    }

    pub fn order(&self) -> &[NodeId] {
        &self.order
    }

    /// The edges of the shortest path from a source to `node` (empty for a source).
    pub fn path_to(&self, graph: &TrustGraph, node: NodeId) -> Vec<EdgeId> {
        let mut path = Vec::new();
        let mut at = node;
        let view = graph.traversal();
        while self.seen[at.index()].1 != NONE {
            let edge = view.edge(Slot::from_raw(self.seen[at.index()].1));
            path.push(edge);
            at = graph.endpoints(edge).0;
        }
        path.reverse();
        path
    }
}
