//! Breadth-first search over the edges an attacker can use at a given time.

use std::collections::VecDeque;

use jiff::Timestamp;

use crate::model::{EdgeId, NodeId, TrustGraph};

const NONE: u32 = u32::MAX;

/// Result of a multi-source BFS: per node, its depth and the edge it was first reached by.
/// Dense arrays, so a million-node graph costs 8 MB and no hashing.
pub struct Bfs {
    depth: Vec<u32>,
    parent: Vec<u32>,
    /// Nodes in the order they were reached (sources first).
    order: Vec<NodeId>,
}

impl Bfs {
    /// Runs from `sources`, following edges for which `follow` holds; nodes for which
    /// `expand` fails are reached but not expanded.
    pub fn run(
        graph: &TrustGraph,
        sources: &[NodeId],
        follow: impl Fn(EdgeId, NodeId) -> bool,
        expand: impl Fn(NodeId) -> bool,
    ) -> Bfs {
        let n = graph.node_count();
        let mut depth = vec![NONE; n];
        let mut parent = vec![NONE; n];
        let mut order = Vec::new();
        let mut queue = VecDeque::new();
        for &s in sources {
            if depth[s.index()] == NONE {
                depth[s.index()] = 0;
                order.push(s);
                queue.push_back(s);
            }
        }
        while let Some(node) = queue.pop_front() {
            if !expand(node) {
                continue;
            }
            let d = depth[node.index()] + 1;
            for (edge, next) in graph.outgoing(node) {
                if depth[next.index()] == NONE && follow(edge, next) {
                    depth[next.index()] = d;
                    parent[next.index()] = edge.index() as u32;
                    order.push(next);
                    queue.push_back(next);
                }
            }
        }
        Bfs {
            depth,
            parent,
            order,
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
    ) -> Bfs {
        Bfs::run(
            graph,
            sources,
            |e, _| {
                let edge = graph.edge(e);
                !edge.dormant && (conditional || !edge.is_conditional())
            },
            |n| graph.node(n).usable_at(at),
        )
    }

    pub fn reached(&self, node: NodeId) -> bool {
        self.depth[node.index()] != NONE
    }

    pub fn depth(&self, node: NodeId) -> Option<u32> {
        let d = self.depth[node.index()];
        (d != NONE).then_some(d)
    }

    pub fn order(&self) -> &[NodeId] {
        &self.order
    }

    /// The edges of the shortest path from a source to `node` (empty for a source).
    pub fn path_to(&self, graph: &TrustGraph, node: NodeId) -> Vec<EdgeId> {
        let mut path = Vec::new();
        let mut at = node;
        while self.parent[at.index()] != NONE {
            let edge = EdgeId::from_index(self.parent[at.index()]);
            path.push(edge);
            at = graph.endpoints(edge).0;
        }
        path.reverse();
        path
    }
}
