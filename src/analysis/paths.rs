//! Witness paths between two nodes: the shortest one, or the k shortest simple paths.
//!
//! k paths use Yen's algorithm with BFS spurs, run only inside the nodes that lie on
//! *some* path (forward reach of `from` ∩ backward reach of `to`), and under a work
//! budget counted in edges scanned (a dense graph spends it on edges, not nodes) and a
//! deadline, so no graph can make it run away: when either is spent the result says so.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use jiff::Timestamp;

use super::Bfs;
use crate::model::{EdgeId, NodeId, TrustGraph};

/// Edges the k-path search may scan before it stops and reports truncation (about a
/// second of work).
pub const DEFAULT_BUDGET: usize = 50_000_000;

/// However large the budget, the search stops after this long and says so.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// Paths found, shortest first (ties ordered by the keys along the path).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Paths {
    pub paths: Vec<Vec<EdgeId>>,
    /// The search stopped on its budget or its deadline; more paths may exist.
    pub truncated: bool,
    /// Edges scanned.
    pub scanned: usize,
}

/// The search ran out of budget or time.
struct Stopped;

/// Whether an attacker at `from` of edge `e` can use it at `at` (same rule as the blast radius).
fn usable(graph: &TrustGraph, e: EdgeId, at: Timestamp) -> bool {
    graph.traversable(e, at)
}

/// The shortest path from `from` to `to` usable at `at`.
///
/// A bidirectional BFS: each round grows the smaller side by one whole level, so on a
/// large graph both sides stay small. Once the sides meet, the meeting node with the
/// shortest total, then the smallest key rank, is taken, so the answer is deterministic.
pub fn shortest(
    graph: &TrustGraph,
    from: NodeId,
    to: NodeId,
    at: Timestamp,
) -> Option<Vec<EdgeId>> {
    if from == to {
        return Some(Vec::new());
    }
    let view = graph.traversal();
    let usable = |n: NodeId| view.usable(n, at);
    let mut fwd = Side::new(from);
    let mut bwd = Side::new(to);
    loop {
        let forward = fwd.frontier.len() <= bwd.frontier.len();
        let grown = if forward {
            fwd.grow(|n| {
                if usable(n) {
                    graph
                        .outgoing(n)
                        .filter(|(e, _)| !graph.edge(*e).dormant)
                        .collect()
                } else {
                    Vec::new()
                }
            })
        } else {
            // Backwards over an edge u → n: u must be able to use it.
            bwd.grow(|n| {
                graph
                    .incoming(n)
                    .filter(|(e, u)| !graph.edge(*e).dormant && usable(*u))
                    .collect()
            })
        };
        let meeting = if forward {
            &fwd.frontier
        } else {
            &bwd.frontier
        };
        let best = meeting
            .iter()
            .filter_map(|&n| Some((fwd.depth(n)? + bwd.depth(n)?, graph.key_rank(n), n)))
            .min();
        if let Some((_, _, middle)) = best {
            let mut path = fwd.path(middle, |e| graph.endpoints(e).0);
            path.reverse();
            path.extend(bwd.path(middle, |e| graph.endpoints(e).1));
            return Some(path);
        }
        if !grown {
            return None;
        }
    }
}

/// One side of a bidirectional search.
struct Side {
    seen: HashMap<NodeId, (u32, Option<EdgeId>)>,
    frontier: Vec<NodeId>,
}

impl Side {
    fn new(start: NodeId) -> Side {
        Side {
            seen: HashMap::from([(start, (0, None))]),
            frontier: vec![start],
        }
    }

    fn depth(&self, n: NodeId) -> Option<u32> {
        self.seen.get(&n).map(|&(d, _)| d)
    }

    /// Expands the whole frontier by one level; false when nothing new was found.
    fn grow(&mut self, next: impl Fn(NodeId) -> Vec<(EdgeId, NodeId)>) -> bool {
        let mut frontier = Vec::new();
        for &n in &self.frontier {
            let d = self.seen[&n].0 + 1;
            for (e, m) in next(n) {
                if let std::collections::hash_map::Entry::Vacant(slot) = self.seen.entry(m) {
                    slot.insert((d, Some(e)));
                    frontier.push(m);
                }
            }
        }
        self.frontier = frontier;
        !self.frontier.is_empty()
    }

    /// The edges from `n` back to this side's start, nearest `n` first; `back` gives the
    /// node an edge was reached from.
    fn path(&self, n: NodeId, back: impl Fn(EdgeId) -> NodeId) -> Vec<EdgeId> {
        let mut path = Vec::new();
        let mut at = n;
        while let Some(&(_, Some(e))) = self.seen.get(&at) {
            path.push(e);
            at = back(e);
        }
        path
    }
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
        deadline: std::time::Instant::now() + DEADLINE,
    };
    let first = match search.bfs(from, to, &HashSet::new(), &HashSet::new()) {
        Ok(Some(first)) => first,
        Ok(None) => return Paths::default(),
        Err(Stopped) => {
            return Paths {
                truncated: true,
                scanned: search.spent,
                ..Paths::default()
            };
        }
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
            let spur = match search.bfs(nodes[i], to, &removed_edges, &removed_nodes) {
                Ok(spur) => spur,
                Err(Stopped) => {
                    truncated = true;
                    break;
                }
            };
            if let Some(spur) = spur {
                let path: Vec<EdgeId> = root.iter().copied().chain(spur).collect();
                if seen.insert(path.clone()) {
                    let keys = path_nodes(graph, from, &path)
                        .iter()
                        .map(|&n| graph.key(n).to_string())
                        .collect();
                    candidates.insert((path.len(), keys, path));
                }
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
        scanned: search.spent,
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
    /// Edges scanned (and nodes taken from the queue) so far.
    spent: usize,
    deadline: std::time::Instant,
}

impl Search<'_> {
    /// Counts `n` units of work; `Err` once the budget or the deadline is spent (the
    /// clock is read every few thousand units).
    fn spend(&mut self, n: usize) -> Result<(), Stopped> {
        let before = self.spent;
        self.spent += n;
        if self.spent > self.budget
            || before >> 12 != self.spent >> 12 && std::time::Instant::now() > self.deadline
        {
            return Err(Stopped);
        }
        Ok(())
    }

    /// BFS inside the relevant set, avoiding removed edges and nodes.
    fn bfs(
        &mut self,
        from: NodeId,
        to: NodeId,
        removed_edges: &HashSet<EdgeId>,
        removed_nodes: &HashSet<NodeId>,
    ) -> Result<Option<Vec<EdgeId>>, Stopped> {
        let mut parent: HashMap<NodeId, EdgeId> = HashMap::new();
        let mut queue = VecDeque::from([from]);
        let mut visited = HashSet::from([from]);
        while let Some(node) = queue.pop_front() {
            self.spend(1)?;
            if node == to {
                let mut path = Vec::new();
                let mut at = to;
                while let Some(&e) = parent.get(&at) {
                    path.push(e);
                    at = self.graph.endpoints(e).0;
                }
                path.reverse();
                return Ok(Some(path));
            }
            for (edge, next) in self.graph.outgoing(node) {
                self.spend(1)?;
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
        Ok(None)
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
                    .map(|&x| g.key(x).to_string())
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
        let found = k_shortest(&g, n[0], n[4], Timestamp::UNIX_EPOCH, 10, 20);
        assert_eq!(
            found.scanned, 21,
            "it stops on the first unit past the budget"
        );
        assert!(found.truncated);
        assert!(!found.paths.is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// The bidirectional search finds paths exactly as long as a plain BFS, and valid.
        #[test]
        fn bidirectional_matches_bfs(
            n in 2usize..24,
            edges in proptest::collection::vec((0usize..24, 0usize..24, proptest::bool::weighted(0.15)), 0..80),
            dead in proptest::collection::vec(0usize..24, 0..4),
            from in 0usize..24,
            to in 0usize..24,
        ) {
            let at = Timestamp::UNIX_EPOCH;
            let mut g = TrustGraph::new();
            let ids: Vec<NodeId> = (0..n)
                .map(|i| {
                    let kind = if dead.contains(&i) { NodeKind::Credential } else { NodeKind::Role };
                    let mut node = Node::new(&format!("n{i:02}"), kind, Provenance::default());
                    if dead.contains(&i) {
                        node.credential = Some(Box::new(crate::model::Credential {
                            status: Some("inactive".into()),
                            ..Default::default()
                        }));
                    }
                    g.add_node(node).expect("new key")
                })
                .collect();
            for (a, b, dormant) in edges {
                let mut e = Edge::new(EdgeKind::CanAssume, "t", Provenance::default());
                e.dormant = dormant;
                g.add_edge(ids[a % n], ids[b % n], e);
            }
            let (from, to) = (ids[from % n], ids[to % n]);
            let bfs = Bfs::attacker(&g, &[from], at, true, None);
            let found = shortest(&g, from, to, at);
            proptest::prop_assert_eq!(found.as_ref().map(|p| p.len() as u32), bfs.depth(to));
            if let Some(path) = found {
                let mut at_node = from;
                for e in path {
                    let (a, b) = g.endpoints(e);
                    proptest::prop_assert_eq!(a, at_node);
                    proptest::prop_assert!(g.traversable(e, at));
                    at_node = b;
                }
                proptest::prop_assert_eq!(at_node, to);
            }
        }
    }
}
