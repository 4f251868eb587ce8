//! [`TrustGraph`]: storage, handles and adjacency.

use std::sync::OnceLock;

use jiff::Timestamp;
use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef as _;
use rustc_hash::FxHashMap;

use super::keys::KeyIndex;
use super::store::{EdgeRef, EdgeTables, Packed};
use super::{CROWN_JEWEL, Credential, Edge, Node, NodeKind, SourceId};

/// Handle to a node of one [`TrustGraph`]. Cheap to copy; meaningless in another graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(u32);

/// Handle to an edge of one [`TrustGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeId(u32);

impl NodeId {
    /// Dense index, for analyses that keep per-node arrays.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl EdgeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

fn ix(id: NodeId) -> NodeIndex<u32> {
    NodeIndex::new(id.index())
}

fn key_of(graph: &DiGraph<Node, Packed, u32>, node: u32) -> &str {
    &graph[NodeIndex::new(node as usize)].key
}

/// A node with this key exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateKey(pub NodeId);

/// Compressed adjacency for traversal: per node, a contiguous run of `(neighbour, edge)`
/// pairs ordered by the neighbour's stable key, so every traversal (and therefore every
/// witness path) is the same whatever order the inputs were read in.
#[derive(Debug, Default)]
struct Adjacency {
    out_start: Vec<u32>,
    /// Per outgoing slot: the target node in the low 30 bits, the edge's [`DORMANT`] and
    /// [`CONDITIONAL`] flags in the top two. A traversal reads four bytes per edge, in
    /// sequence, and never the edge itself.
    out_target: Vec<u32>,
    /// Per outgoing slot: the edge id (read only to rebuild a path).
    out_edge: Vec<u32>,
    in_start: Vec<u32>,
    inc: Vec<(u32, u32)>,
    /// Node ids sorted by stable key.
    by_key: Vec<u32>,
    /// Per node, what analyses over many nodes need, without touching the node (its key
    /// rank too: sorting reached nodes and summing them up then read one array).
    facts: Vec<NodeFacts>,
    /// One bit per node: a credential (the only nodes whose usability depends on time).
    /// A traversal asks this of every node it expands; 128 KB per million nodes stays in
    /// cache where the facts array would not.
    credential_bits: Vec<u64>,
    /// Per word of `credential_bits`: the credentials in the words before it, so that a
    /// credential's index into `lives` is a prefix count plus a popcount (the counts, 16 KB
    /// per million nodes, stay in cache).
    credentials_before: Vec<u32>,
    /// Per credential, in node order: when it can be used. A traversal asks this of every
    /// credential it expands; reading the node and its boxed credential instead cost two
    /// cache misses each, a third of a cold blast radius.
    lives: Vec<Lifespan>,
    /// Platform names, indexed by [`PlatformId`].
    platforms: Vec<Box<str>>,
    /// Edges that repeat an earlier parallel edge (same meaning, other provenance).
    duplicates: Vec<u32>,
}

/// See [`TrustGraph::traversal`].
#[derive(Clone, Copy)]
pub struct Traversal<'g> {
    adj: &'g Adjacency,
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
        let i = id.index();
        let (word, bit) = (self.adj.credential_bits[i / 64], 1u64 << (i % 64));
        if word & bit == 0 {
            return true;
        }
        let nth = self.adj.credentials_before[i / 64] + (word & (bit - 1)).count_ones();
        self.adj.lives[nth as usize].contains(at)
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
    fn of(credential: &Credential) -> Lifespan {
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
const NODE_MASK: u32 = DORMANT - 1;
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

/// The typed trust graph. Nodes and edges are only ever added, so handles stay valid.
#[derive(Debug, Default)]
pub struct TrustGraph {
    graph: DiGraph<Node, Packed, u32>,
    /// What the packed edges share (see [`super::store`]).
    edges: EdgeTables,
    /// Key → node, by the keys the nodes hold (see [`super::keys`]). Fx rather than
    /// SipHash: keys come from files the responder chose to load, and ten million lookups
    /// per million-node import make the hash matter.
    index: KeyIndex,
    sources: Vec<Box<str>>,
    /// Name → index into `sources`: an importer interns its file once per record, and an
    /// estate exported per subscription or per namespace has hundreds of files.
    source_ids: FxHashMap<Box<str>, SourceId>,
    metadata: serde_json::Map<String, serde_json::Value>,
    /// Node ids in key order as a reader found them (a snapshot keeps the order it was
    /// written with): checked, not trusted, and used instead of sorting when it holds.
    key_order: Option<Vec<u32>>,
    adjacency: OnceLock<Adjacency>,
}

impl TrustGraph {
    pub fn new() -> TrustGraph {
        let mut graph = TrustGraph::default();
        // SourceId(0) is what `Provenance::default()` points at.
        graph.intern_source("<unknown>");
        graph
    }

    /// Adds a node; fails (returning the existing id) when the key is taken.
    pub fn add_node(&mut self, node: Node) -> Result<NodeId, DuplicateKey> {
        let id = self.index_key(&node.key)?;
        self.graph.add_node(node);
        self.stale();
        Ok(id)
    }

    /// Indexes the key of the node about to be added, or answers the node that has it.
    fn index_key(&mut self, key: &str) -> Result<NodeId, DuplicateKey> {
        let next = self.graph.node_count();
        assert!(
            next < MAX_NODES,
            "trustpath holds at most {MAX_NODES} nodes"
        );
        let graph = &self.graph;
        match self.index.insert(key, next as u32, |n| key_of(graph, n)) {
            Ok(()) => Ok(NodeId(next as u32)),
            Err(existing) => Err(DuplicateKey(NodeId(existing))),
        }
    }

    /// Moves other graphs' nodes and edges into this one, part after part, in their
    /// order: a node whose key is here already is skipped (the first reading wins), unless
    /// the one here is a placeholder (`not_in_inputs`) and the incoming one is not; an
    /// edge between two nodes that were here already is dropped when one of the same
    /// meaning joins them (each part adds such an edge once, so only another part can
    /// repeat it). Provenance is re-interned. For importers that build parts of the graph
    /// on several cores.
    pub(crate) fn absorb(&mut self, parts: Vec<TrustGraph>) {
        // Room for all of them at once: growing part by part copies the graph each time.
        let (nodes, edges) = parts.iter().fold((0, 0), |(n, e), p| {
            (n + p.graph.node_count(), e + p.graph.edge_count())
        });
        self.graph.reserve_nodes(nodes);
        self.graph.reserve_edges(edges);
        self.index.reserve(nodes);
        self.stale();
        for part in parts {
            self.absorb_part(part);
        }
    }

    fn absorb_part(&mut self, other: TrustGraph) {
        let before = self.graph.node_count();
        let sources = other.sources;
        // A part's sources by their id there, interned here at first use.
        let mut source_map: Vec<Option<SourceId>> = vec![None; sources.len()];
        let mut source = |this: &mut TrustGraph, id: SourceId| {
            let at = id.0 as usize;
            match source_map.get(at).copied().flatten() {
                Some(here) => here,
                None => {
                    let here =
                        this.intern_source(sources.get(at).map_or("<unknown>", |s| s.as_ref()));
                    if let Some(slot) = source_map.get_mut(at) {
                        *slot = Some(here);
                    }
                    here
                }
            }
        };
        let tables = other.edges;
        let (nodes, edges) = other.graph.into_nodes_edges();
        let mut ids = Vec::with_capacity(nodes.len());
        for n in nodes {
            let mut node = n.weight;
            node.provenance.source = source(self, node.provenance.source);
            let id = match self.index_key(&node.key) {
                Ok(id) => {
                    self.graph.add_node(node);
                    id
                }
                Err(DuplicateKey(id)) => {
                    let here = &mut self.graph[ix(id)];
                    if here.tags.contains_key("not_in_inputs")
                        && !node.tags.contains_key("not_in_inputs")
                    {
                        *here = node;
                    }
                    id
                }
            };
            ids.push(id);
        }
        for e in edges {
            let (a, b) = (ids[e.source().index()], ids[e.target().index()]);
            let incoming = tables.view(&e.weight);
            let repeated = a.index() < before
                && b.index() < before
                && self
                    .graph
                    .edges_connecting(ix(a), ix(b))
                    .any(|e| self.edges.view(e.weight()).same_meaning(&incoming));
            if repeated {
                continue;
            }
            let mut edge = incoming.to_edge();
            edge.provenance.source = source(self, edge.provenance.source);
            let packed = self.edges.pack(edge);
            self.graph.add_edge(ix(a), ix(b), packed);
        }
    }

    pub fn add_edge(&mut self, from: NodeId, to: NodeId, edge: Edge) -> EdgeId {
        self.stale();
        let packed = self.edges.pack(edge);
        EdgeId(self.graph.add_edge(ix(from), ix(to), packed).index() as u32)
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.graph[ix(id)]
    }

    /// For overlays (owner, purpose, criticality). The key must not change: the index
    /// keeps it. Drops the traversal cache, so change many nodes, then query.
    pub(crate) fn node_mut(&mut self, id: NodeId) -> &mut Node {
        self.stale();
        &mut self.graph[ix(id)]
    }

    /// The edge, read in place (see [`EdgeRef`]).
    pub fn edge(&self, id: EdgeId) -> EdgeRef<'_> {
        self.edges.view(&self.graph[EdgeIndex::new(id.index())])
    }

    /// `(from, to)` of an edge.
    pub fn endpoints(&self, id: EdgeId) -> (NodeId, NodeId) {
        let (a, b) = self
            .graph
            .edge_endpoints(EdgeIndex::new(id.index()))
            .unwrap_or_else(|| unreachable!("EdgeId {id:?} comes from this graph"));
        (NodeId(a.index() as u32), NodeId(b.index() as u32))
    }

    /// Node by exact stable key.
    pub fn find(&self, key: &str) -> Option<NodeId> {
        self.index.find(key, |n| key_of(&self.graph, n)).map(NodeId)
    }

    /// All node ids in insertion order.
    pub fn node_ids(&self) -> impl ExactSizeIterator<Item = NodeId> + '_ {
        (0..self.graph.node_count() as u32).map(NodeId)
    }

    /// All edge ids in insertion order.
    pub fn edge_ids(&self) -> impl ExactSizeIterator<Item = EdgeId> + '_ {
        (0..self.graph.edge_count() as u32).map(EdgeId)
    }

    /// All node ids ordered by stable key: the order of every listing trustpath prints.
    pub fn nodes_by_key(&self) -> impl ExactSizeIterator<Item = NodeId> + '_ {
        self.adjacency().by_key.iter().map(|&n| NodeId(n))
    }

    /// Outgoing `(edge, target)` pairs, ordered by the target's key.
    pub fn outgoing(&self, id: NodeId) -> impl ExactSizeIterator<Item = (EdgeId, NodeId)> + '_ {
        let adj = self.adjacency();
        let (a, b) = (
            adj.out_start[id.index()] as usize,
            adj.out_start[id.index() + 1] as usize,
        );
        adj.out_edge[a..b]
            .iter()
            .zip(&adj.out_target[a..b])
            .map(|(&e, &t)| (EdgeId(e), NodeId(t & NODE_MASK)))
    }

    /// Outgoing edges with the flags a traversal needs, ordered like [`Self::outgoing`].
    pub fn steps(&self, id: NodeId) -> impl ExactSizeIterator<Item = Step> + '_ {
        self.traversal().steps(id)
    }

    /// A borrowed view of the traversal cache, for loops that visit millions of nodes
    /// and should not look the cache up once per node.
    pub fn traversal(&self) -> Traversal<'_> {
        Traversal {
            adj: self.adjacency(),
        }
    }

    /// The node's [`NodeFacts`].
    pub fn facts(&self, id: NodeId) -> NodeFacts {
        self.adjacency().facts[id.index()]
    }

    pub fn platform_name(&self, id: PlatformId) -> &str {
        &self.adjacency().platforms[usize::from(id.0)]
    }

    /// Position of the node in stable-key order: compare ranks, not keys, when sorting
    /// many nodes.
    pub fn key_rank(&self, id: NodeId) -> u32 {
        self.adjacency().facts[id.index()].rank
    }

    /// Incoming `(edge, source)` pairs, ordered by the source's key.
    pub fn incoming(&self, id: NodeId) -> impl ExactSizeIterator<Item = (EdgeId, NodeId)> + '_ {
        let adj = self.adjacency();
        let (a, b) = (adj.in_start[id.index()], adj.in_start[id.index() + 1]);
        adj.inc[a as usize..b as usize]
            .iter()
            .map(|&(n, e)| (EdgeId(e), NodeId(n)))
    }

    /// Whether an attacker holding `from` can use this edge at `at`: the edge is not
    /// dormant and its source is not a disabled or expired credential.
    pub fn traversable(&self, edge: EdgeId, at: Timestamp) -> bool {
        let (from, _) = self.endpoints(edge);
        !self.graph[EdgeIndex::new(edge.index())].dormant() && self.node(from).usable_at(at)
    }

    /// Removes every edge that repeats another edge between the same two nodes (same kind,
    /// reason, conditions and flags; where it was read from aside), as happens when an
    /// export is loaded beside its source. Returns the endpoints of each removed edge.
    pub(crate) fn remove_duplicate_edges(&mut self) -> Vec<(Box<str>, Box<str>)> {
        // Found while the adjacency sorts parallel edges, so a graph without duplicates
        // pays nothing extra.
        let mut doomed: Vec<EdgeIndex<u32>> = self
            .adjacency()
            .duplicates
            .iter()
            .map(|&e| EdgeIndex::new(e as usize))
            .collect();
        if doomed.is_empty() {
            return Vec::new();
        }
        doomed.sort_unstable();
        let mut removed = Vec::with_capacity(doomed.len());
        // Highest index first: petgraph moves the last edge into the hole, and every
        // edge still to remove has a lower index, so none of them moves.
        for e in doomed.into_iter().rev() {
            if let Some((a, b)) = self.graph.edge_endpoints(e) {
                removed.push((self.graph[a].key.clone(), self.graph[b].key.clone()));
                self.graph.remove_edge(e);
            }
        }
        removed.reverse();
        self.stale();
        removed
    }

    /// Interns an input file name for provenance.
    pub fn intern_source(&mut self, name: &str) -> SourceId {
        if let Some(&id) = self.source_ids.get(name) {
            return id;
        }
        let id = SourceId(self.sources.len() as u32);
        self.sources.push(name.into());
        self.source_ids.insert(name.into(), id);
        id
    }

    /// Every interned source name, by id.
    pub(crate) fn sources(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.sources.iter().map(|s| &**s)
    }

    /// Room for `nodes` and `edges` more, for a reader that knows how many follow.
    pub(crate) fn reserve(&mut self, nodes: usize, edges: usize) {
        self.graph.reserve_nodes(nodes);
        self.graph.reserve_edges(edges);
        self.index.reserve(nodes);
    }

    pub fn source_name(&self, id: SourceId) -> &str {
        self.sources.get(id.0 as usize).map_or("<unknown>", |s| s)
    }

    /// Offers the node ids in key order, as a reader knows them, so that the adjacency
    /// need not sort a million keys (a third of a second). Ignored unless it lists every
    /// node, in strictly increasing key order, when the adjacency is built.
    pub(crate) fn suggest_key_order(&mut self, order: Vec<u32>) {
        self.key_order = Some(order);
        self.stale();
    }

    /// Node ids in key order: the suggested order if it is one, else sorted.
    fn key_order(&self) -> Vec<u32> {
        let n = self.graph.node_count();
        let key = |id: u32| key_of(&self.graph, id);
        if let Some(order) = &self.key_order
            && order.len() == n
            && order.iter().all(|&id| (id as usize) < n)
            // Strictly increasing keys are distinct, so the order holds every node once.
            && order.windows(2).all(|w| key(w[0]) < key(w[1]))
        {
            return order.clone();
        }
        let mut by_key: Vec<u32> = (0..n as u32).collect();
        by_key.sort_unstable_by(|&a, &b| key(a).cmp(key(b)));
        by_key
    }

    /// Free-form metadata from native inputs (`suggested_compromised`, generator, seed).
    pub fn metadata(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.metadata
    }

    /// Merges metadata; keys already present keep their first value.
    pub fn merge_metadata(&mut self, more: serde_json::Map<String, serde_json::Value>) {
        for (k, v) in more {
            self.metadata.entry(k).or_insert(v);
        }
    }

    /// Drops the adjacency after a change. Only when there is one: writing an empty cell
    /// over an empty cell on every edge added was a copy of the whole cell per edge.
    fn stale(&mut self) {
        if self.adjacency.get().is_some() {
            self.adjacency = OnceLock::new();
        }
    }

    /// Builds the adjacency once; later calls are free until the graph changes.
    pub fn prepare(&self) {
        self.adjacency();
    }

    fn adjacency(&self) -> &Adjacency {
        self.adjacency.get_or_init(|| self.build_adjacency())
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

    fn build_adjacency(&self) -> Adjacency {
        let n = self.graph.node_count();
        let by_key = self.key_order();
        let mut rank = vec![0u32; n];
        for (r, &node) in by_key.iter().enumerate() {
            rank[node as usize] = r as u32;
        }
        let build = |dir: Direction, duplicates_too: bool| {
            let mut start = vec![0u32; n + 1];
            for e in self.graph.edge_references() {
                let at = if dir == Direction::Outgoing {
                    e.source()
                } else {
                    e.target()
                };
                start[at.index() + 1] += 1;
            }
            for i in 0..n {
                start[i + 1] += start[i];
            }
            let mut fill = start.clone();
            let mut list = vec![(0u32, 0u32); self.graph.edge_count()];
            for e in self.graph.edge_references() {
                let (at, other) = if dir == Direction::Outgoing {
                    (e.source(), e.target())
                } else {
                    (e.target(), e.source())
                };
                let slot = &mut fill[at.index()];
                list[*slot as usize] = (other.index() as u32, e.id().index() as u32);
                *slot += 1;
            }
            let mut duplicates = Vec::new();
            let packed = |e: u32| &self.graph[EdgeIndex::new(e as usize)];
            let edge = |e: u32| self.edges.view(packed(e));
            for i in 0..n {
                let run = &mut list[start[i] as usize..start[i + 1] as usize];
                if run.len() < 2 {
                    continue;
                }
                run.sort_unstable_by(|&(n1, e1), &(n2, e2)| {
                    (rank[n1 as usize], packed(e1).kind())
                        .cmp(&(rank[n2 as usize], packed(e2).kind()))
                        .then_with(|| self.parallel_order(&edge(e1), &edge(e2)))
                        .then(e1.cmp(&e2))
                });
                if !duplicates_too {
                    continue;
                }
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
            (start, list, duplicates)
        };
        // The two directions are independent: one on each core. (Duplicates are the same
        // edges seen from either end; the outgoing side finds them.)
        let ((out_start, out, duplicates), (in_start, inc, _)) = std::thread::scope(|s| {
            let incoming = s.spawn(|| build(Direction::Incoming, false));
            let outgoing = build(Direction::Outgoing, true);
            let incoming = incoming
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (outgoing, incoming)
        });
        let out_target = out
            .iter()
            .map(|&(n, e)| {
                let edge = &self.graph[EdgeIndex::new(e as usize)];
                let dormant = if edge.dormant() { DORMANT } else { 0 };
                let conditional = if edge.conditional(&self.edges) {
                    CONDITIONAL
                } else {
                    0
                };
                n | dormant | conditional
            })
            .collect();
        let out_edge = out.into_iter().map(|(_, e)| e).collect();
        let mut platforms: Vec<Box<str>> = Vec::new();
        let mut platform_ids: FxHashMap<&str, PlatformId> = FxHashMap::default();
        let facts: Vec<NodeFacts> = self
            .graph
            .node_weights()
            .zip(&rank)
            .map(|(n, &rank)| {
                let next = PlatformId(platforms.len().min(usize::from(u16::MAX)) as u16);
                let platform = *platform_ids.entry(&n.platform).or_insert_with(|| {
                    platforms.push(n.platform.clone());
                    next
                });
                NodeFacts {
                    kind: n.kind,
                    criticality: n.criticality(),
                    admin: n.admin,
                    credential: n.kind == NodeKind::Credential && n.credential.is_some(),
                    platform,
                    rank,
                }
            })
            .collect();
        let mut credential_bits = vec![0u64; n.div_ceil(64)];
        let mut lives = Vec::new();
        for (i, (f, node)) in facts.iter().zip(self.graph.node_weights()).enumerate() {
            if let (true, Some(credential)) = (f.credential, &node.credential) {
                credential_bits[i / 64] |= 1 << (i % 64);
                lives.push(Lifespan::of(credential));
            }
        }
        let credentials_before = credential_bits
            .iter()
            .scan(0u32, |before, word| {
                let here = *before;
                *before += word.count_ones();
                Some(here)
            })
            .collect();
        Adjacency {
            out_start,
            out_target,
            out_edge,
            in_start,
            inc,
            by_key,
            facts,
            credential_bits,
            credentials_before,
            lives,
            platforms,
            duplicates,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EdgeKind, NodeKind, Provenance};

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
                g.node(id).key
            );
        }
    }

    /// A suggested key order is used only when it is one: a wrong, short or repeating
    /// suggestion (a damaged or hostile snapshot) changes nothing.
    #[test]
    fn a_suggested_key_order_is_checked() {
        let keys = ["d", "a", "c", "b"];
        let sorted = |g: &TrustGraph| -> Vec<String> {
            g.nodes_by_key()
                .map(|n| g.node(n).key.to_string())
                .collect()
        };
        for order in [
            vec![1, 3, 2, 0],
            vec![0, 1, 2, 3],
            vec![1, 3, 2],
            vec![1, 3, 3, 2],
            vec![1, 3, 2, 9],
            vec![],
        ] {
            let mut g = TrustGraph::new();
            for k in keys {
                g.add_node(node(k)).expect("new key");
            }
            g.suggest_key_order(order.clone());
            assert_eq!(sorted(&g), ["a", "b", "c", "d"], "{order:?}");
            assert_eq!(g.key_rank(NodeId(1)), 0, "{order:?}");
            assert_eq!(g.key_rank(NodeId(0)), 3, "{order:?}");
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
        let targets: Vec<_> = g
            .outgoing(a)
            .map(|(_, n)| g.node(n).key.to_string())
            .collect();
        assert_eq!(targets, ["b", "c"]);
        let keys: Vec<_> = g
            .nodes_by_key()
            .map(|n| g.node(n).key.to_string())
            .collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(g.incoming(b).count(), 1);
        assert_eq!(g.add_node(node("b")), Err(DuplicateKey(b)));
    }
}
