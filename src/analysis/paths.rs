//! Witness paths between two nodes: the shortest one, or the k shortest simple paths.
//!
//! k paths use Yen's algorithm with BFS spurs, run only inside the nodes that lie on
//! *some* path (forward reach of `from` ∩ backward reach of `to`), and under a work
//! budget, so a dense graph cannot make it run away: when the budget is spent the
//! result says so.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use jiff::Timestamp;

use super::Bfs;
use crate::model::{EdgeId, NodeId, TrustGraph};

/// Node visits the k-path search may spend before it stops and reports truncation.
pub const DEFAULT_BUDGET: usize = 2_000_000;

/// Paths found, shortest first (ties ordered by the keys along the path).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Paths {
    pub paths: Vec<Vec<EdgeId>>,
    /// The search stopped on its budget; more paths may exist.
    pub truncated: bool,
}

/// Whether an attacker at `from` of edge `e` can use it at `at` (same rule as the blast radius).
fn usable(graph: &TrustGraph, e: EdgeId, at: Timestamp) -> bool {
    graph.traversable(e, at)
}

/// The shortest path from `from` to `to` usable at `at`.
pub fn shortest(
    graph: &TrustGraph,
    from: NodeId,
    to: NodeId,
    at: Timestamp,
) -> Option<Vec<EdgeId>> {
    let bfs = Bfs::attacker(graph, &[from], at, true, Some(to));
    bfs.reached(to).then(|| bfs.path_to(graph, to))
}

/// Up to `k` simple paths from `from` to `to`, shortest first.
pub fn k_shortest(
    graph: &TrustGraph,
    from: NodeId,
    to: NodeId,
    at: Timestamp,
    k: usize,
    budget: usize,
) -> Paths {
    if k == 0 || from == to {
        return Paths::default();
    }
    let relevant = relevant_nodes(graph, from, to, at);
    let mut search = Search {
        graph,
        at,
        relevant,
        budget,
        spent: 0,
    };
    let Some(first) = search.bfs(from, to, &HashSet::new(), &HashSet::new()) else {
        return Paths::default();
    };
    let mut found: Vec<Vec<EdgeId>> = vec![first];
    let mut seen: HashSet<Vec<EdgeId>> = found.iter().cloned().collect();
    // Ordered by (length, keys along the path) so ties break the same way every run.
    let mut candidates: BTreeSet<(usize, Vec<String>, Vec<EdgeId>)> = BTreeSet::new();
    let mut truncated = false;
    while found.len() < k {
        let prev = found.last().cloned().unwrap_or_default();
        let nodes = path_nodes(graph, from, &prev);
        for i in 0..prev.len() {
            let root = &prev[..i];
            let removed_edges: HashSet<EdgeId> = found
                .iter()
                .filter(|p| p.len() > i && &p[..i] == root)
                .map(|p| p[i])
                .collect();
            let removed_nodes: HashSet<NodeId> = nodes[..i].iter().copied().collect();
            if let Some(spur) = search.bfs(nodes[i], to, &removed_edges, &removed_nodes) {
                let path: Vec<EdgeId> = root.iter().copied().chain(spur).collect();
                if seen.insert(path.clone()) {
                    let keys = path_nodes(graph, from, &path)
                        .iter()
                        .map(|&n| graph.node(n).key.to_string())
                        .collect();
                    candidates.insert((path.len(), keys, path));
                }
            }
            if search.spent > search.budget {
                truncated = true;
                break;
            }
        }
        if truncated {
            break;
        }
        match candidates.pop_first() {
            Some((_, _, path)) => found.push(path),
            None => break,
        }
    }
    Paths {
        paths: found,
        truncated,
    }
}

/// The nodes along a path, starting at `from`.
pub fn path_nodes(graph: &TrustGraph, from: NodeId, path: &[EdgeId]) -> Vec<NodeId> {
    std::iter::once(from)
        .chain(path.iter().map(|&e| graph.endpoints(e).1))
        .collect()
}

/// Nodes that lie on some path from `from` to `to`.
fn relevant_nodes(graph: &TrustGraph, from: NodeId, to: NodeId, at: Timestamp) -> HashSet<NodeId> {
    let forward = Bfs::attacker(graph, &[from], at, true, None);
    let mut relevant = HashSet::new();
    let mut queue = VecDeque::from([to]);
    if forward.reached(to) {
        relevant.insert(to);
    }
    while let Some(node) = queue.pop_front() {
        for (edge, prev) in graph.incoming(node) {
            if forward.reached(prev) && usable(graph, edge, at) && relevant.insert(prev) {
                queue.push_back(prev);
            }
        }
    }
    relevant
}

struct Search<'g> {
    graph: &'g TrustGraph,
    at: Timestamp,
    relevant: HashSet<NodeId>,
    budget: usize,
    spent: usize,
}

impl Search<'_> {
    /// BFS inside the relevant set, avoiding removed edges and nodes.
    fn bfs(
        &mut self,
        from: NodeId,
        to: NodeId,
        removed_edges: &HashSet<EdgeId>,
        removed_nodes: &HashSet<NodeId>,
    ) -> Option<Vec<EdgeId>> {
        let mut parent: HashMap<NodeId, EdgeId> = HashMap::new();
        let mut queue = VecDeque::from([from]);
        let mut visited = HashSet::from([from]);
        while let Some(node) = queue.pop_front() {
            self.spent += 1;
            if node == to {
                let mut path = Vec::new();
                let mut at = to;
                while let Some(&e) = parent.get(&at) {
                    path.push(e);
                    at = self.graph.endpoints(e).0;
                }
                path.reverse();
                return Some(path);
            }
            for (edge, next) in self.graph.outgoing(node) {
                if self.relevant.contains(&next)
                    && !removed_nodes.contains(&next)
                    && !removed_edges.contains(&edge)
                    && usable(self.graph, edge, self.at)
                    && visited.insert(next)
                {
                    parent.insert(next, edge);
                    queue.push_back(next);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Edge, EdgeKind, Node, NodeKind, Provenance};

    /// a→b→d, a→c→d, a→d, d→e, and a dense blob hanging off b.
    fn diamond() -> (TrustGraph, Vec<NodeId>) {
        let mut g = TrustGraph::new();
        let ids: Vec<NodeId> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|k| {
                g.add_node(Node::new(k, NodeKind::Role, Provenance::default()))
                    .expect("new")
            })
            .collect();
        for (x, y) in [(0, 1), (0, 2), (0, 3), (1, 3), (2, 3), (3, 4)] {
            g.add_edge(
                ids[x],
                ids[y],
                Edge::new(EdgeKind::CanAssume, "t", Provenance::default()),
            );
        }
        (g, ids)
    }

    #[test]
    fn k_shortest_orders_by_length_then_keys() {
        let (g, n) = diamond();
        let at = Timestamp::UNIX_EPOCH;
        let found = k_shortest(&g, n[0], n[4], at, 10, DEFAULT_BUDGET);
        let shown: Vec<String> = found
            .paths
            .iter()
            .map(|p| {
                path_nodes(&g, n[0], p)
                    .iter()
                    .map(|&x| g.node(x).key.to_string())
                    .collect()
            })
            .collect();
        assert_eq!(shown, ["ade", "abde", "acde"]);
        assert!(!found.truncated);
        assert_eq!(shortest(&g, n[0], n[4], at).map(|p| p.len()), Some(2));
        assert_eq!(shortest(&g, n[4], n[0], at), None);
    }

    #[test]
    fn budget_stops_the_search() {
        let (g, n) = diamond();
        let found = k_shortest(&g, n[0], n[4], Timestamp::UNIX_EPOCH, 10, 3);
        assert!(found.truncated);
        assert!(!found.paths.is_empty());
    }
}
