//! The traversal cache: compressed adjacency in key order, and the per-node facts that
//! analyses over millions of nodes read instead of the nodes.

use std::sync::OnceLock;

use jiff::Timestamp;
use rustc_hash::FxHashMap;

use super::{EdgeId, EdgeRef, NodeId, TrustGraph};
use crate::cores::both;
use crate::model::{CROWN_JEWEL, Credential, NodeKind, Outsider};
use crate::runs;
use crate::sparse::Sparse;

/// Compressed adjacency for traversal: per node, a contiguous run of `(neighbour, edge)`
/// pairs ordered by the neighbour's stable key, so every traversal (and therefore every
/// witness path) is the same whatever order the inputs were read in.
#[derive(Debug, Default)]
pub(super) struct Adjacency {
    pub(super) out_start: Vec<u32>,
    /// Per outgoing slot: the target node in the low 30 bits, the edge's [`DORMANT`] and
    /// [`CONDITIONAL`] flags in the top two. A traversal reads four bytes per edge, in
    /// sequence, and never the edge itself.
    pub(super) out_target: Vec<u32>,
    /// Per outgoing slot: the edge id (read only to rebuild a path).
    pub(super) out_edge: Vec<u32>,
    /// Each node's edges in: laid down the first time a search goes backwards (a blast
    /// radius never does, and its whole run is a load and one search forwards).
    in_lists: OnceLock<InLists>,
    /// Node ids sorted by stable key.
    pub(super) by_key: Vec<u32>,
    /// Per node, what analyses over many nodes need, without touching the node (its key
    /// rank too: sorting reached nodes and summing them up then read one array).
    pub(super) facts: Vec<NodeFacts>,
    /// The credentials (the only nodes whose usability depends on time), each with its
    /// index into `lives`. A traversal asks this of every node it expands; the set stays
    /// in cache where the facts array would not.
    credentials: Sparse,
    /// Per credential, in node order: when it can be used. A traversal asks this of every
    /// credential it expands; reading the node and its boxed credential instead cost two
    /// cache misses each, a third of a cold blast radius.
    lives: Vec<Lifespan>,
    /// Platform names, indexed by [`PlatformId`].
    pub(super) platforms: Vec<Box<str>>,
    /// Edges that repeat an earlier parallel edge (same meaning, other provenance).
    pub(super) duplicates: Vec<u32>,
}

/// See [`TrustGraph::traversal`].
#[derive(Clone, Copy)]
pub struct Traversal<'g> {
    pub(super) adj: &'g Adjacency,
}

impl<'g> Traversal<'g> {
    /// Outgoing edges with their flags, ordered by the target's key.
    #[inline]
    pub fn steps(self, id: NodeId) -> impl ExactSizeIterator<Item = Step> + 'g {
        let adj = self.adj;
        let (a, b) = (
            adj.out_start[id.index()] as usize,
            adj.out_start[id.index() + 1] as usize,
        );
        adj.out_target[a..b]
            .iter()
            .enumerate()
            .map(move |(i, &t)| Step {
                slot: Slot((a + i) as u32),
                to: NodeId(t & NODE_MASK),
                dormant: t & DORMANT != 0,
                conditional: t & CONDITIONAL != 0,
            })
    }

    /// Incoming edges with their flags, ordered by the source's key: the steps of a
    /// search backwards, from what is reached to who can reach it.
    #[inline]
    pub fn steps_in(self, id: NodeId) -> impl ExactSizeIterator<Item = StepIn> + 'g {
        let lists = self.adj.in_lists();
        let run = lists.run(id);
        lists.source[run.clone()]
            .iter()
            .zip(&lists.edge[run])
            .map(|(&s, &e)| StepIn {
                edge: EdgeId(e),
                from: NodeId(s & NODE_MASK),
                dormant: s & DORMANT != 0,
                conditional: s & CONDITIONAL != 0,
            })
    }

    /// The edge behind a slot of [`Step`].
    #[inline]
    pub fn edge(self, slot: Slot) -> EdgeId {
        EdgeId(self.adj.out_edge[slot.0 as usize])
    }

    #[inline]
    pub fn facts(self, id: NodeId) -> NodeFacts {
        self.adj.facts[id.index()]
    }

    /// The node whose key has `rank` ([`Self::key_rank`]'s inverse).
    #[inline]
    pub fn by_rank(self, rank: u32) -> NodeId {
        NodeId(self.adj.by_key[rank as usize])
    }

    #[inline]
    pub fn key_rank(self, id: NodeId) -> u32 {
        self.adj.facts[id.index()].rank
    }

    /// The attacker can act as the node at `at`: anything but a credential that is dead,
    /// expired or not yet created ([`Node::usable_at`], without reading the node).
    #[inline]
    pub fn usable(self, id: NodeId, at: Timestamp) -> bool {
        match self.adj.credentials.rank(id.index()) {
            None => true,
            Some(nth) => self.adj.lives[nth].contains(at),
        }
    }
}

/// When a credential can be used: from its creation (inclusive) until it expires
/// (exclusive); a dead status makes the window empty.
#[derive(Debug, Clone, Copy)]
struct Lifespan {
    from: Timestamp,
    until: Timestamp,
}

impl Lifespan {
    fn of(credential: &Credential<&str>) -> Lifespan {
        if credential.is_dead() {
            return Lifespan {
                from: Timestamp::MAX,
                until: Timestamp::MIN,
            };
        }
        Lifespan {
            from: credential.created.unwrap_or(Timestamp::MIN),
            until: credential.expires.unwrap_or(Timestamp::MAX),
        }
    }

    fn contains(self, at: Timestamp) -> bool {
        self.from <= at && at < self.until
    }
}

/// Index of a platform name interned in a [`TrustGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlatformId(u16);

impl PlatformId {
    /// Dense index, for per-platform arrays.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    pub fn from_index(i: usize) -> PlatformId {
        PlatformId(i.min(usize::from(u16::MAX)) as u16)
    }
}

/// Per node its facts, and the platform names they number.
type Facts = (Vec<NodeFacts>, Vec<Box<str>>);

/// A compact copy of the node fields that analyses over millions of nodes read: twelve
/// bytes in one dense array rather than a pointer chase into each node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeFacts {
    pub kind: NodeKind,
    /// Effective criticality ([`Node::criticality`]).
    pub criticality: u8,
    pub admin: bool,
    /// Credentials are the only nodes whose usability depends on time and status.
    pub credential: bool,
    /// [`Node::outsider`](crate::model::Node::outsider): held by anyone or by another
    /// organisation.
    pub outsider: Option<Outsider>,
    pub platform: PlatformId,
    /// Position of the node's key among all keys ([`TrustGraph::key_rank`]).
    pub rank: u32,
}

impl NodeFacts {
    pub fn is_crown_jewel(self) -> bool {
        self.criticality >= CROWN_JEWEL
    }
}

const DORMANT: u32 = 1 << 30;
const CONDITIONAL: u32 = 1 << 31;
pub(super) const NODE_MASK: u32 = DORMANT - 1;
/// Node ids must fit beside the flags.
pub const MAX_NODES: usize = NODE_MASK as usize;

/// Position of an outgoing edge in the traversal cache; [`Traversal::edge`] turns it into
/// the edge. Traversals keep slots, not edges, so they never read the edge table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(u32);

impl Slot {
    pub(crate) fn raw(self) -> u32 {
        self.0
    }

    pub(crate) fn from_raw(raw: u32) -> Slot {
        Slot(raw)
    }
}

/// One outgoing edge as a traversal sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub slot: Slot,
    pub to: NodeId,
    pub dormant: bool,
    pub conditional: bool,
}

/// One incoming edge as a backward search sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepIn {
    pub edge: EdgeId,
    pub from: NodeId,
    pub dormant: bool,
    pub conditional: bool,
}

impl TrustGraph {
    /// Node ids in key order: a snapshot's (checked when it was read), else sorted.
    fn key_order(&self) -> Vec<u32> {
        if let Some(frozen) = &self.frozen {
            return frozen.by_key.clone();
        }
        // The keys beside the ids, so that a comparison reads two strings and not two
        // nodes first; each half sorted on its own core, then merged.
        let n = self.graph.node_count();
        let mut keyed: Vec<(&str, u32)> = (0..n as u32).map(|id| (self.key_at(id), id)).collect();
        let (left, right) = keyed.split_at_mut(n / 2);
        both(|| left.sort_unstable(), || right.sort_unstable());
        let mut by_key = Vec::with_capacity(n);
        let (mut l, mut r) = (left.iter().peekable(), right.iter().peekable());
        while let (Some(a), Some(b)) = (l.peek(), r.peek()) {
            let next = if a.0 < b.0 { l.next() } else { r.next() };
            by_key.extend(next.map(|&(_, id)| id));
        }
        by_key.extend(l.chain(r).map(|&(_, id)| id));
        by_key
    }

    /// Order of parallel edges (same target, same kind), so that witness paths and exports
    /// do not depend on input order: usable before dormant, unconditional before
    /// conditional, then by reason, conditions and provenance.
    fn parallel_order(&self, a: &EdgeRef<'_>, b: &EdgeRef<'_>) -> std::cmp::Ordering {
        // Field by field and without allocating: a hub's thousands of parallel edges are
        // compared while the adjacency sorts. Conditions compare as their descriptions
        // joined by newlines would.
        fn conditions<'e>(e: &EdgeRef<'e>) -> impl Iterator<Item = &'e u8> {
            e.conditions.iter().enumerate().flat_map(|(i, c)| {
                let separator: &[u8] = if i == 0 { b"" } else { b"\n" };
                separator.iter().chain(c.description.as_bytes())
            })
        }
        (a.dormant, a.is_conditional(), &**a.reason)
            .cmp(&(b.dormant, b.is_conditional(), &**b.reason))
            .then_with(|| conditions(a).cmp(conditions(b)))
            .then_with(|| {
                let source = |e: &EdgeRef<'_>| self.source_name(e.provenance.source);
                source(a).cmp(source(b))
            })
            .then_with(|| {
                let place = |e: &EdgeRef<'_>| e.provenance.place.to_string();
                place(a).cmp(&place(b))
            })
    }

    /// Per node, its [`NodeFacts`] (`rank` is its key's), and the platform names they
    /// number.
    fn all_facts(&self, rank: &[u32]) -> Facts {
        if let Some(frozen) = &self.frozen {
            return frozen.facts(rank);
        }
        let n = self.node_count();
        let mut platforms: Vec<Box<str>> = Vec::new();
        let mut platform_ids: FxHashMap<&str, PlatformId> = FxHashMap::default();
        let facts: Vec<NodeFacts> = (0..n as u32)
            .zip(rank)
            .map(|(id, &rank)| {
                let n = self.node(NodeId(id));
                let next = PlatformId(platforms.len().min(usize::from(u16::MAX)) as u16);
                let platform = *platform_ids.entry(n.platform).or_insert_with(|| {
                    platforms.push(n.platform.into());
                    next
                });
                NodeFacts {
                    kind: n.kind,
                    criticality: n.criticality(),
                    admin: n.admin,
                    credential: n.kind == NodeKind::Credential && n.credential.is_some(),
                    outsider: n.outsider(),
                    platform,
                    rank,
                }
            })
            .collect();
        (facts, platforms)
    }

    pub(super) fn build_adjacency(&self) -> Adjacency {
        let n = self.node_count();
        let edge_count = self.edge_count();
        let ends = |e: u32| {
            let (a, b) = self.endpoints(EdgeId(e));
            (a.index(), b.index())
        };
        // Each node's edges out, laid out in runs while the keys are sorted (a snapshot's
        // runs are laid out only when they do not hold together, below).
        let lay_out = |start: &[u32]| {
            let mut fill = start[..n].to_vec();
            let mut list = vec![(0u32, 0u32); edge_count];
            for e in 0..edge_count as u32 {
                let (from, to) = ends(e);
                let slot = &mut fill[from];
                list[*slot as usize] = (to as u32, e);
                *slot += 1;
            }
            list
        };
        let runs = || {
            let start = runs::starts(n, (0..edge_count as u32).map(|e| ends(e).0));
            let list = self.frozen.is_none().then(|| lay_out(&start));
            (start, list)
        };
        let ((out_start, laid_out), by_key) = both(runs, || self.key_order());
        let mut rank = vec![0u32; n];
        for (r, &node) in by_key.iter().enumerate() {
            rank[node as usize] = r as u32;
        }
        // The runs of `nodes` (`list` starts at the first of them) sorted by the target's
        // key, then by kind and `parallel_order`; answers the duplicates among them.
        let sort_runs = |list: &mut [(u32, u32)], nodes: std::ops::Range<usize>| {
            let base = out_start[nodes.start] as usize;
            let mut duplicates = Vec::new();
            let packed = |e: u32| self.packed(EdgeId(e));
            let edge = |e: u32| self.edges.view(packed(e));
            for i in nodes {
                let run = &mut list[out_start[i] as usize - base..out_start[i + 1] as usize - base];
                if run.len() < 2 {
                    continue;
                }
                run.sort_unstable_by(|&(n1, e1), &(n2, e2)| {
                    (rank[n1 as usize], packed(e1).kind())
                        .cmp(&(rank[n2 as usize], packed(e2).kind()))
                        .then_with(|| self.parallel_order(&edge(e1), &edge(e2)))
                        .then(e1.cmp(&e2))
                });
                // Parallel edges are now side by side; an edge that repeats an earlier one
                // of its group is a duplicate (see `remove_duplicate_edges`).
                let mut group = 0;
                for k in 1..run.len() {
                    if run[k].0 != run[group].0 {
                        group = k;
                        continue;
                    }
                    let (_, e) = run[k];
                    if run[group..k]
                        .iter()
                        .any(|&(_, f)| edge(f).same_meaning(&edge(e)))
                    {
                        duplicates.push(e);
                    }
                }
            }
            duplicates
        };
        // All runs sorted, a second core taking three fifths of the edges; `side` (the
        // facts, or nothing when they are made already) runs here beside the rest.
        let sort_all = |mut list: Vec<(u32, u32)>, side: &dyn Fn() -> Facts| {
            let mid = out_start
                .partition_point(|&s| (s as usize) < edge_count * 3 / 5)
                .min(n);
            let (first, rest) = list.split_at_mut(out_start[mid] as usize);
            let (mut duplicates, (more, facts)) = both(
                || sort_runs(first, 0..mid),
                || (sort_runs(rest, mid..n), side()),
            );
            duplicates.extend(more);
            let (targets, edges): (Vec<u32>, Vec<u32>) = list.into_iter().unzip();
            (targets, edges, duplicates, facts)
        };
        // The node beside the edge's flags, so that a search in either direction reads
        // four bytes per edge and never the edge.
        let flags = |e: u32| {
            let edge = self.packed(EdgeId(e));
            let mut flags = 0;
            if edge.dormant() {
                flags |= DORMANT;
            }
            if edge.conditional(&self.edges) {
                flags |= CONDITIONAL;
            }
            flags
        };
        let flag_all = |(mut targets, edges, duplicates, facts): (Vec<u32>, Vec<u32>, _, _)| {
            for (to, &e) in targets.iter_mut().zip(&edges) {
                *to |= flags(e);
            }
            (targets, edges, duplicates, facts)
        };
        let (out_target, out_edge, duplicates, (facts, platforms)) = match &self.frozen {
            Some(frozen) => {
                // A snapshot's runs are kept when they hold together (flagged as they are
                // checked, each edge read once). Taken, not copied: a second build (none
                // is made) would find no runs and sort.
                let order = std::mem::take(
                    &mut *frozen
                        .out_order
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                let (kept, facts) = both(
                    || kept_runs(&order, &out_start, &rank, ends, flags),
                    || self.all_facts(&rank),
                );
                match kept {
                    Some(targets) => (targets, order, Vec::new(), facts),
                    None => {
                        let (targets, edges, duplicates, _) =
                            sort_all(lay_out(&out_start), &|| (Vec::new(), Vec::new()));
                        flag_all((targets, edges, duplicates, facts))
                    }
                }
            }
            None => {
                let list = laid_out.unwrap_or_else(|| lay_out(&out_start));
                flag_all(sort_all(list, &|| self.all_facts(&rank)))
            }
        };
        // Lifespans in node order, which is the credentials' rank order.
        let mut lives = Vec::new();
        let credentials = Sparse::of(
            n,
            facts.iter().enumerate().filter_map(|(i, f)| {
                let credential = match &self.frozen {
                    _ if !f.credential => None,
                    Some(frozen) => frozen.credential(i),
                    None => self.node(NodeId(i as u32)).credential,
                };
                lives.push(Lifespan::of(&credential?));
                Some(i)
            }),
        );
        Adjacency {
            out_start,
            out_target,
            out_edge,
            in_lists: OnceLock::new(),
            by_key,
            facts,
            credentials,
            lives,
            platforms,
            duplicates,
        }
    }
}

/// Each node's edges in, in the order a sort would give them.
#[derive(Debug, Default)]
struct InLists {
    start: Vec<u32>,
    /// Per incoming slot: the source node and the edge's flags, as in `out_target`.
    source: Vec<u32>,
    edge: Vec<u32>,
}

impl Adjacency {
    fn in_lists(&self) -> &InLists {
        self.in_lists.get_or_init(|| InLists::of(self))
    }

    /// Incoming `(edge, source)` pairs of `id`, ordered by the source's key.
    pub(super) fn incoming(
        &self,
        id: NodeId,
    ) -> impl ExactSizeIterator<Item = (EdgeId, NodeId)> + '_ {
        let lists = self.in_lists();
        let run = lists.run(id);
        lists.edge[run.clone()]
            .iter()
            .zip(&lists.source[run])
            .map(|(&e, &s)| (EdgeId(e), NodeId(s & NODE_MASK)))
    }
}

impl InLists {
    /// The slots of `id`'s edges in.
    fn run(&self, id: NodeId) -> std::ops::Range<usize> {
        self.start[id.index()] as usize..self.start[id.index() + 1] as usize
    }

    fn of(adj: &Adjacency) -> InLists {
        let n = adj.out_start.len() - 1;
        let to = adj.out_target.iter().map(|&to| (to & NODE_MASK) as usize);
        let start = runs::starts(n, to);
        // Each node's edges in, laid down from the runs out: sources visited in key order,
        // each run in its order, so every run in comes out sorted as a sort would order it
        // (by the source's key, then as parallel edges sort), without sorting. The flags
        // come along: no edge is read again.
        let mut fill = start.clone();
        let (mut source, mut edge) = (
            vec![0u32; adj.out_target.len()],
            vec![0u32; adj.out_target.len()],
        );
        for &from in &adj.by_key {
            let run =
                adj.out_start[from as usize] as usize..adj.out_start[from as usize + 1] as usize;
            for (&to, &e) in adj.out_target[run.clone()].iter().zip(&adj.out_edge[run]) {
                let slot = &mut fill[(to & NODE_MASK) as usize];
                source[*slot as usize] = from | (to & !NODE_MASK);
                edge[*slot as usize] = e;
                *slot += 1;
            }
        }
        InLists {
            start,
            source,
            edge,
        }
    }
}

/// The other end of each slot of the runs a snapshot kept, beside the `flags` of its edge,
/// when they are what sorting would make of this graph's edges as far as traversal can
/// tell: every edge once, in the run of the node it leaves, the other ends in key order.
/// (Parallel edges to one node keep the kept order.) `None` otherwise.
fn kept_runs(
    order: &[u32],
    start: &[u32],
    rank: &[u32],
    ends: impl Fn(u32) -> (usize, usize),
    flags: impl Fn(u32) -> u32,
) -> Option<Vec<u32>> {
    let edges = order.len();
    if start.last().copied() != Some(edges as u32) {
        return None;
    }
    let mut seen = vec![0u64; edges.div_ceil(64)];
    let mut list = Vec::with_capacity(edges);
    for (node, run) in start.windows(2).enumerate() {
        let mut last = 0;
        for (i, &e) in order
            .get(run[0] as usize..run[1] as usize)?
            .iter()
            .enumerate()
        {
            let word = seen.get_mut(e as usize / 64)?;
            let bit = 1u64 << (e % 64);
            if *word & bit != 0 || e as usize >= edges {
                return None;
            }
            *word |= bit;
            let (at, other) = ends(e);
            if at != node || (i > 0 && rank[other] < last) {
                return None;
            }
            last = rank[other];
            list.push(other as u32 | flags(e));
        }
    }
    Some(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::graph::DuplicateKey;
    use crate::model::{Edge, EdgeKind, Node, Provenance};

    fn node(key: &str) -> Node {
        Node::new(key, NodeKind::Role, Provenance::default())
    }

    /// The traversal's compact lifespans answer as the node itself does, for every kind
    /// of (un)usable credential and for credentials spread over several bitset words.
    #[test]
    fn traversal_usability_matches_the_node() {
        use crate::model::Credential;
        let at: Timestamp = "2026-11-25T00:00:00Z".parse().expect("timestamp");
        let day = jiff::SignedDuration::from_hours(24);
        let cred = |status: Option<&str>, created: Option<Timestamp>, expires| Credential {
            status: status.map(Into::into),
            created,
            expires,
            ..Credential::default()
        };
        let cases = [
            cred(Some("active"), None, None),
            cred(Some("Inactive"), None, None),
            cred(Some(" revoked "), Some(at - day), Some(at + day)),
            cred(None, None, Some(at)),
            cred(None, None, Some(at + day)),
            cred(None, Some(at), None),
            cred(None, Some(at + day), None),
            cred(Some("rotating"), None, None),
        ];
        let mut g = TrustGraph::new();
        let mut ids = Vec::new();
        for i in 0..200 {
            let mut n = Node::new(
                &format!("n{i:03}"),
                NodeKind::Credential,
                Provenance::default(),
            );
            match i % 10 {
                9 => n.kind = NodeKind::Role,
                8 => {} // a credential node without lifecycle facts
                k => n.credential = Some(Box::new(cases[k % cases.len()].clone())),
            }
            ids.push(g.add_node(n).expect("new key"));
        }
        let view = g.traversal();
        for id in ids {
            assert_eq!(
                view.usable(id, at),
                g.node(id).usable_at(at),
                "{}",
                g.key(id)
            );
        }
    }

    #[test]
    fn adjacency_is_ordered_by_key_not_insertion() {
        let mut g = TrustGraph::new();
        let a = g.add_node(node("a")).expect("new key");
        let c = g.add_node(node("c")).expect("new key");
        let b = g.add_node(node("b")).expect("new key");
        g.add_edge(
            a,
            c,
            Edge::new(EdgeKind::CanAssume, "x", Provenance::default()),
        );
        g.add_edge(
            a,
            b,
            Edge::new(EdgeKind::CanAssume, "y", Provenance::default()),
        );
        let targets: Vec<_> = g.outgoing(a).map(|(_, n)| g.key(n).to_string()).collect();
        assert_eq!(targets, ["b", "c"]);
        let keys: Vec<_> = g.nodes_by_key().map(|n| g.key(n).to_string()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(g.incoming(b).count(), 1);
        assert_eq!(g.add_node(node("b")), Err(DuplicateKey(b)));
    }
}
