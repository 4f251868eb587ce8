//! [`TrustGraph`]: storage, handles and adjacency.

use std::sync::OnceLock;

use jiff::Timestamp;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use rustc_hash::FxHashMap;

mod adjacency;

use adjacency::{Adjacency, NODE_MASK};
pub use adjacency::{MAX_NODES, NodeFacts, PlatformId, Slot, Step, StepIn, Traversal};

use super::frozen::{Frozen, Parts};
use super::keys::KeyIndex;
use super::store::{EdgeRef, EdgeTables, Packed};
use super::{Edge, Node, NodeRef, SourceId};

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

    /// The id of [`Self::index`] `raw`, for analyses that keep per-node bitsets.
    pub(crate) fn from_raw(raw: u32) -> NodeId {
        NodeId(raw)
    }
}

impl EdgeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The id of [`Self::index`] `raw`, for analyses that keep edge ids in dense arrays.
    pub(crate) fn from_raw(raw: u32) -> EdgeId {
        EdgeId(raw)
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
    /// A graph read in place from a snapshot: when set, `graph` and `index` are empty
    /// and every read goes here; a change thaws it first ([`Self::thaw`]).
    frozen: Option<Box<Frozen>>,
    adjacency: OnceLock<Adjacency>,
}

impl TrustGraph {
    pub fn new() -> TrustGraph {
        let mut graph = TrustGraph::default();
        // SourceId(0) is what `Provenance::default()` points at.
        graph.intern_source("<unknown>");
        graph
    }

    /// A graph read in place from a snapshot's parts (see [`super::frozen`]); `Err` names
    /// the part that does not hold together.
    pub(crate) fn read_in_place(
        parts: Parts,
        sources: Vec<Box<str>>,
        metadata: serde_json::Map<String, serde_json::Value>,
    ) -> Result<TrustGraph, &'static str> {
        if sources.len() != parts.sources {
            return Err("sources");
        }
        let (frozen, edges) = Frozen::new(parts)?;
        let source_ids = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), SourceId(i as u32)))
            .collect();
        Ok(TrustGraph {
            edges,
            sources,
            source_ids,
            metadata,
            frozen: Some(Box::new(frozen)),
            ..TrustGraph::default()
        })
    }

    /// Whether the graph is read in place from a snapshot and unchanged since.
    pub(crate) fn is_frozen(&self) -> bool {
        self.frozen.is_some()
    }

    /// Makes a graph read in place an ordinary one, so that it can change: every node
    /// copied out, every edge record moved, the key index built.
    fn thaw(&mut self) {
        let Some(frozen) = self.frozen.take() else {
            return;
        };
        let n = frozen.node_count();
        self.graph = DiGraph::with_capacity(n, frozen.edges.len());
        self.index = KeyIndex::default();
        self.index.reserve(n);
        for id in 0..n {
            let node = frozen.node(id, &self.edges).to_node();
            let added = self.index_key(&node.key);
            debug_assert!(added.is_ok(), "a frozen graph's keys are distinct");
            self.graph.add_node(node);
        }
        let Frozen { edges, ends, .. } = *frozen;
        for (packed, [a, b]) in edges.into_iter().zip(ends) {
            let (a, b) = (NodeIndex::new(a as usize), NodeIndex::new(b as usize));
            self.graph.add_edge(a, b, packed);
        }
        self.adjacency = OnceLock::new();
    }

    /// Adds a node; fails (returning the existing id) when the key is taken.
    pub fn add_node(&mut self, node: Node) -> Result<NodeId, DuplicateKey> {
        self.thaw();
        let id = self.index_key(&node.key)?;
        self.graph.add_node(node);
        self.stale();
        Ok(id)
    }

    /// Indexes the key of the node about to be added, or answers the node that has it.
    fn index_key(&mut self, key: &str) -> Result<NodeId, DuplicateKey> {
        let next = self.graph.node_count();
        if next >= MAX_NODES {
            // A key already here is still a duplicate, not a graph too large.
            if let Some(existing) = self.find(key) {
                return Err(DuplicateKey(existing));
            }
            panic!("trustpath holds at most {MAX_NODES} nodes");
        }
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
        if parts
            .iter()
            .all(|p| p.node_count() == 0 && p.edge_count() == 0)
        {
            return;
        }
        self.thaw();
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

    fn absorb_part(&mut self, mut other: TrustGraph) {
        other.thaw();
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
        self.thaw();
        self.stale();
        let packed = self.edges.pack(edge);
        EdgeId(self.graph.add_edge(ix(from), ix(to), packed).index() as u32)
    }

    pub fn node_count(&self) -> usize {
        match &self.frozen {
            Some(f) => f.node_count(),
            None => self.graph.node_count(),
        }
    }

    pub fn edge_count(&self) -> usize {
        match &self.frozen {
            Some(f) => f.edges.len(),
            None => self.graph.edge_count(),
        }
    }

    /// The node, read in place (see [`NodeRef`]).
    pub fn node(&self, id: NodeId) -> NodeRef<'_> {
        match &self.frozen {
            Some(f) => f.node(id.index(), &self.edges),
            None => self.graph[ix(id)].view(),
        }
    }

    /// The node's stable key: `node(id).key` without reading the rest of the node.
    pub fn key(&self, id: NodeId) -> &str {
        self.key_at(id.0)
    }

    fn key_at(&self, id: u32) -> &str {
        match &self.frozen {
            Some(f) => f.key(id),
            None => key_of(&self.graph, id),
        }
    }

    /// Edge `id`'s record.
    fn packed(&self, id: EdgeId) -> &Packed {
        match &self.frozen {
            Some(f) => &f.edges[id.index()],
            None => &self.graph[EdgeIndex::new(id.index())],
        }
    }

    /// For overlays (owner, purpose, criticality). The key must not change: the index
    /// finds a node by its key's hash, and a changed key would be found by neither.
    /// Drops the traversal cache, so change many nodes, then query.
    pub(crate) fn node_mut(&mut self, id: NodeId) -> &mut Node {
        self.thaw();
        self.stale();
        &mut self.graph[ix(id)]
    }

    /// The edge, read in place (see [`EdgeRef`]).
    pub fn edge(&self, id: EdgeId) -> EdgeRef<'_> {
        self.edges.view(self.packed(id))
    }

    /// `(from, to)` of an edge.
    pub fn endpoints(&self, id: EdgeId) -> (NodeId, NodeId) {
        if let Some(f) = &self.frozen {
            let [a, b] = f.ends[id.index()];
            return (NodeId(a), NodeId(b));
        }
        let (a, b) = self
            .graph
            .edge_endpoints(EdgeIndex::new(id.index()))
            .unwrap_or_else(|| unreachable!("EdgeId {id:?} comes from this graph"));
        (NodeId(a.index() as u32), NodeId(b.index() as u32))
    }

    /// Node by exact stable key.
    pub fn find(&self, key: &str) -> Option<NodeId> {
        match &self.frozen {
            Some(f) => f.find(key),
            None => self.index.find(key, |n| key_of(&self.graph, n)),
        }
        .map(NodeId)
    }

    /// All node ids in insertion order.
    pub fn node_ids(&self) -> impl ExactSizeIterator<Item = NodeId> + '_ {
        (0..self.node_count() as u32).map(NodeId)
    }

    /// All edge ids in insertion order.
    pub fn edge_ids(&self) -> impl ExactSizeIterator<Item = EdgeId> + '_ {
        (0..self.edge_count() as u32).map(EdgeId)
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
        &self.adjacency().platforms[id.index()]
    }

    /// The id of a platform some node is on, by name.
    pub fn platform_id(&self, name: &str) -> Option<PlatformId> {
        let platforms = &self.adjacency().platforms;
        platforms
            .iter()
            .position(|p| &**p == name)
            .map(PlatformId::from_index)
    }

    /// Position of the node in stable-key order: compare ranks, not keys, when sorting
    /// many nodes.
    pub fn key_rank(&self, id: NodeId) -> u32 {
        self.adjacency().facts[id.index()].rank
    }

    /// Incoming `(edge, source)` pairs, ordered by the source's key.
    pub fn incoming(&self, id: NodeId) -> impl ExactSizeIterator<Item = (EdgeId, NodeId)> + '_ {
        self.adjacency().incoming(id)
    }

    /// Whether an attacker holding `from` can use this edge at `at`: the edge is not
    /// dormant and its source is not a disabled or expired credential.
    pub fn traversable(&self, edge: EdgeId, at: Timestamp) -> bool {
        let (from, _) = self.endpoints(edge);
        !self.packed(edge).dormant() && self.node(from).usable_at(at)
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
        self.thaw();
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

    /// How many of a snapshot's revoke lists were made whole (tests: an analysis that
    /// reads entries in place makes none).
    #[cfg(test)]
    pub(crate) fn revoke_lists_made(&self) -> usize {
        self.edges.lists_made()
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
        self.thaw();
        self.graph.reserve_nodes(nodes);
        self.graph.reserve_edges(edges);
        self.index.reserve(nodes);
    }

    pub fn source_name(&self, id: SourceId) -> &str {
        self.sources.get(id.0 as usize).map_or("<unknown>", |s| s)
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

    /// Builds the adjacency once; later calls are free until the graph changes. (Each
    /// node's edges in are laid down apart, by the first search that goes backwards.)
    pub fn prepare(&self) {
        self.adjacency();
    }

    fn adjacency(&self) -> &Adjacency {
        self.adjacency.get_or_init(|| self.build_adjacency())
    }
}
