//! Breadth-first search over the edges an attacker can use at a given time.

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

/// Result of a multi-source BFS: per node, its depth and the edge it was first reached by.
/// Dense arrays, so a million-node graph costs 8 MB and no hashing.
pub struct Bfs {
    /// Per node: depth and the slot of the edge it was first reached by, side by side so
    /// that the visited check and the write touch one cache line.
    /// Zero for a node not reached, so that the array comes zeroed from the allocator
    /// and only the pages a search touches are ever written: `(depth + 1) << 32 | (slot
    /// + 1)`, the slot part zero for a source.
    seen: Vec<u64>,
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
        let mut seen = vec![0u64; graph.node_count()];
        // The visited test runs once per edge; a bitset (128 KB per million nodes) stays
        // in cache where `seen` would not.
        let mut visited = vec![0u64; graph.node_count().div_ceil(64)];
        let mut order = Vec::new();
        let mut via_conditional = false;
        for &s in sources {
            let i = s.index();
            if visited[i / 64] & (1 << (i % 64)) == 0 {
                visited[i / 64] |= 1 << (i % 64);
                seen[i] = 1 << 32;
                order.push(s);
            }
        }
        // `order` doubles as the queue: nodes are appended as they are reached and
        // expanded in that same order.
        // Depth is tracked by level boundaries in the queue rather than read back per node.
        let (mut head, mut level_end, mut d) = (0, order.len(), 1u32);
        while let Some(&node) = order.get(head) {
            if head == level_end {
                level_end = order.len();
                d += 1;
            }
            head += 1;
            if goal.is_some_and(|g| seen[g.index()] != 0) {
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
                    seen[i] = (u64::from(d) + 1) << 32 | (u64::from(step.slot.raw()) + 1);
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
            |n| !view.is_credential(n) || graph.node(n).usable_at(at),
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
            |n| !view.is_credential(n) || graph.node(n).usable_at(at),
            None,
        )
    }

    /// Whether some node was first reached over a conditional edge. When not, every
    /// node has an unconditional witness path.
    pub fn via_conditional(&self) -> bool {
        self.via_conditional
    }

    pub fn reached(&self, node: NodeId) -> bool {
        self.seen[node.index()] != 0
    }

    pub fn depth(&self, node: NodeId) -> Option<u32> {
        let d = (self.seen[node.index()] >> 32) as u32;
        d.checked_sub(1)
    }

    pub fn order(&self) -> &[NodeId] {
        &self.order
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
        // The low half is the slot plus one; zero for a source.
        let slot = (self.seen[node.index()] as u32).checked_sub(1)?;
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
    }
}
