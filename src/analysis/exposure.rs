//! Exposure: who can reach a target — the blast radius read backwards.
//!
//! A node can reach the target when some path of usable edges leads there from it: no
//! dormant edge, and no dead or expired credential along the way (the same edges a blast
//! radius follows, so that the node's own blast radius reaches the target — or, for a
//! target that is a dead credential, exposes it — exactly when it is listed here). The
//! search runs over incoming edges from the targets; every node it
//! takes must itself be usable, since it is the one that would use the edge. Holders are
//! ranked by how easily an attacker holds them: anyone on the internet first, then code
//! and apps of other owners, long-lived credentials (oldest first), CI jobs, workloads
//! and people.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::blast::Tally;
use crate::model::{EdgeId, NodeFacts, NodeId, NodeKind, Outsider, PlatformId, TrustGraph};

/// How easily an attacker holds a node, easiest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Anyone: `github:any-user`, `aws:anyone`, `gcp:any-user`, a per-owner
    /// `github:any-repo:…`, or a principal an importer marked public.
    Public,
    /// Code or an app another organisation controls (tagged `third_party` by its
    /// importer: an action of another owner, a multi-tenant service principal).
    ThirdParty,
    /// A credential that does not expire soon: whoever copied it holds it for good.
    LongLivedCredential,
    /// A CI job or workflow (GitHub Actions and the like).
    CiJob,
    /// Any other workload: a pod, a function, a VM.
    Workload,
    Human,
    /// Identities, groups, roles, secrets and resources: held only through something
    /// else, which is listed too.
    Other,
}

impl Class {
    pub const ALL: [Class; 7] = [
        Class::Public,
        Class::ThirdParty,
        Class::LongLivedCredential,
        Class::CiJob,
        Class::Workload,
        Class::Human,
        Class::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Public => "public",
            Class::ThirdParty => "third_party",
            Class::LongLivedCredential => "long_lived_credential",
            Class::CiJob => "ci_job",
            Class::Workload => "workload",
            Class::Human => "human",
            Class::Other => "other",
        }
    }

    /// The classes nobody inside controls: reports show their holders' whole witness
    /// paths.
    pub fn is_outsider(self) -> bool {
        matches!(self, Class::Public | Class::ThirdParty)
    }

    /// The node's class and its order within the class: third-party code under a
    /// mutable pin (a tag, a branch) before code pinned to a commit, long-lived
    /// credentials oldest first (unknown creation after known). Read from the node's
    /// facts; the node itself only for the few classes that order by it.
    fn of(
        graph: &TrustGraph,
        node: NodeId,
        facts: NodeFacts,
        github: Option<PlatformId>,
    ) -> (Class, u64) {
        match (facts.outsider, facts.kind) {
            (Some(Outsider::Public), _) => (Class::Public, 0),
            (Some(Outsider::ThirdParty), _) => {
                let pinned = graph.node(node).tags.get("pinned");
                (
                    Class::ThirdParty,
                    u64::from(pinned.is_some_and(|p| p == "sha")),
                )
            }
            (None, NodeKind::Credential) if facts.credential => {
                match graph.node(node).credential.as_deref() {
                    Some(c) if c.is_long_lived() => {
                        let created = c
                            .created
                            .map_or(u64::MAX, |t| (t.as_second() as u64) ^ (1 << 63));
                        (Class::LongLivedCredential, created)
                    }
                    _ => (Class::Other, 0),
                }
            }
            (None, NodeKind::Workload) if Some(facts.platform) == github => (Class::CiJob, 0),
            (None, NodeKind::Workload) => (Class::Workload, 0),
            (None, NodeKind::Human) => (Class::Human, 0),
            _ => (Class::Other, 0),
        }
    }
}

/// A node that can reach a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    pub node: NodeId,
    pub class: Class,
    /// Hops of its witness path.
    pub depth: u32,
    /// Reaches the targets only through an edge with unevaluated conditions or a
    /// potential edge.
    pub conditional: bool,
    /// The first edge of its witness path: the next holder (or a target) is its end.
    pub next: EdgeId,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExposureSummary {
    pub holders: usize,
    pub by_class: BTreeMap<Class, usize>,
    pub conditional: usize,
    /// Holders that are admin of their scope themselves.
    pub admins: usize,
    pub by_kind: BTreeMap<NodeKind, usize>,
    pub by_platform: BTreeMap<String, usize>,
}

pub struct Exposure {
    pub at: Timestamp,
    /// Sorted by key.
    pub targets: Vec<NodeId>,
    /// Ranked: by [`Class`] (third-party code under a mutable pin before code pinned to a
    /// commit, long-lived credentials oldest first), then by depth and key.
    /// The targets themselves are not listed.
    pub holders: Vec<Holder>,
    pub summary: ExposureSummary,
    reach: Reachers,
}

/// Who can reach the targets, unranked: the searches an [`Exposure`] ranks, for callers
/// that only ask whether a node reaches them (the audit).
pub struct Reachers {
    all: Backward,
    /// The search without conditional edges, when any conditional edge mattered.
    certain: Option<Backward>,
}

impl Reachers {
    /// Who can reach a crown jewel at `at` (the jewels included), or `None` when the
    /// graph has none. A dead credential is no jewel to an attacker (the plan's figures
    /// agree).
    pub fn of_crown_jewels(graph: &TrustGraph, at: Timestamp) -> Option<Reachers> {
        let jewels: Vec<NodeId> = graph
            .node_ids()
            .filter(|&n| graph.facts(n).is_crown_jewel() && graph.node(n).usable_at(at))
            .collect();
        (!jewels.is_empty()).then(|| Reachers::compute(graph, &jewels, at))
    }

    /// Searches backwards from `targets` (deduplicated) at `at`.
    pub fn compute(graph: &TrustGraph, targets: &[NodeId], at: Timestamp) -> Reachers {
        let all = Backward::run(graph, targets, at, true);
        // What only conditional edges connect: found by the first search, not by a second
        // without them. When nothing was found through one, there is nothing to tell.
        let certain = all
            .via_conditional
            .then(|| Backward::run(graph, targets, at, false));
        Reachers { all, certain }
    }

    /// Whether `node` can reach a target (the targets included).
    pub fn contains(&self, node: NodeId) -> bool {
        self.all.found(node)
    }

    /// Whether `node` can reach a target without an edge whose conditions trustpath did
    /// not evaluate (the targets included).
    pub fn contains_unconditionally(&self, node: NodeId) -> bool {
        self.certain.as_ref().unwrap_or(&self.all).found(node)
    }

    /// The search a node's witness path comes from: the one without conditional edges
    /// wherever that one reaches, as for a blast radius.
    fn witness(&self, conditional: bool) -> &Backward {
        match &self.certain {
            Some(c) if !conditional => c,
            _ => &self.all,
        }
    }

    fn conditional(&self, node: NodeId) -> bool {
        self.certain.as_ref().is_some_and(|c| !c.found(node))
    }
}

/// A backward search: per node whether it was found, at what depth and by which edge.
struct Backward {
    /// One bit per node: found.
    found: Vec<u64>,
    /// Per node: the edge it was found by, plus one (zero: a target, or not found).
    next: Vec<u32>,
    /// Per node: hops to the nearest target (for found nodes).
    depth: Vec<u32>,
    /// Some node was found over a conditional edge.
    via_conditional: bool,
}

impl Backward {
    /// Level by level. A level whose frontier is a large part of what is left (and of
    /// the graph) is found the other way round (direction-optimising search): every node
    /// not yet found, in key order, looks along its own outgoing edges, in key order, for
    /// one into the frontier and stops at the first. When most of the graph can reach the
    /// target, that reads far fewer edges than offering every incoming edge of a huge
    /// frontier. Either way a node is found at its true distance, and the edge it is found
    /// by depends on the graph alone, never on the order its inputs were read in.
    fn run(graph: &TrustGraph, targets: &[NodeId], at: Timestamp, conditional: bool) -> Backward {
        Backward::run_as(graph, targets, at, conditional, Direction::Either)
    }

    fn run_as(
        graph: &TrustGraph,
        targets: &[NodeId],
        at: Timestamp,
        conditional: bool,
        direction: Direction,
    ) -> Backward {
        let view = graph.traversal();
        let n = graph.node_count();
        let mut b = Backward {
            found: vec![0u64; n.div_ceil(64)],
            next: vec![0u32; n],
            depth: vec![0u32; n],
            via_conditional: false,
        };
        let mut frontier: Vec<NodeId> = Vec::new();
        for &t in targets {
            if !b.found(t) {
                b.mark(t, None, 0, false);
                frontier.push(t);
            }
        }
        let mut left = n - frontier.len();
        // The usable nodes not yet found, in key order: made at the first bottom-up level
        // and shrunk at each, so that no level scans what an earlier one found.
        let mut unfound: Option<Vec<NodeId>> = None;
        let mut d = 0;
        while !frontier.is_empty() {
            d += 1;
            let mut found_now = Vec::new();
            let bottom_up = match direction {
                Direction::Either => {
                    frontier.len() * BOTTOM_UP_AFTER > left && frontier.len() * BOTTOM_UP_ABOVE > n
                }
                Direction::BottomUp => true,
                Direction::TopDown => false,
            };
            if bottom_up {
                let mut in_frontier = vec![0u64; n.div_ceil(64)];
                for f in &frontier {
                    in_frontier[f.index() / 64] |= 1 << (f.index() % 64);
                }
                let candidates = unfound.get_or_insert_with(|| {
                    (0..n as u32)
                        .map(|rank| view.by_rank(rank))
                        .filter(|&node| view.usable(node, at))
                        .collect()
                });
                candidates.retain(|&node| {
                    if b.found(node) {
                        return false;
                    }
                    let into = view.steps(node).find(|s| {
                        let i = s.to.index();
                        in_frontier[i / 64] & (1 << (i % 64)) != 0
                            && !s.dormant
                            && (conditional || !s.conditional)
                    });
                    let Some(step) = into else {
                        return true;
                    };
                    b.mark(node, Some(view.edge(step.slot)), d, step.conditional);
                    found_now.push(node);
                    false
                });
            } else {
                for &node in &frontier {
                    for step in view.steps_in(node) {
                        // The node that would use the edge must be usable itself: a dead
                        // key reaches nothing.
                        if !b.found(step.from)
                            && !step.dormant
                            && (conditional || !step.conditional)
                            && view.usable(step.from, at)
                        {
                            b.mark(step.from, Some(step.edge), d, step.conditional);
                            found_now.push(step.from);
                        }
                    }
                }
            }
            left -= found_now.len();
            frontier = found_now;
        }
        b
    }

    fn mark(&mut self, node: NodeId, by: Option<EdgeId>, depth: u32, conditional: bool) {
        let i = node.index();
        self.found[i / 64] |= 1 << (i % 64);
        self.next[i] = by.map_or(0, |e| e.index() as u32 + 1);
        self.depth[i] = depth;
        self.via_conditional |= conditional;
    }

    fn found(&self, node: NodeId) -> bool {
        self.found[node.index() / 64] & (1 << (node.index() % 64)) != 0
    }

    /// The edge a node was found by; `None` for a target or a node not found.
    fn next(&self, node: NodeId) -> Option<EdgeId> {
        let raw = self.next[node.index()].checked_sub(1)?;
        Some(EdgeId::from_raw(raw))
    }

    /// Every node found, in id order.
    fn nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.found.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let i = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    NodeId::from_raw(i as u32)
                })
            })
        })
    }
}

impl Exposure {
    /// Everyone who can reach any of `targets` at `at`.
    pub fn compute(graph: &TrustGraph, targets: &[NodeId], at: Timestamp) -> Exposure {
        let mut targets = targets.to_vec();
        targets.sort_by_key(|&t| graph.key_rank(t));
        targets.dedup();
        let reach = Reachers::compute(graph, &targets, at);
        let view = graph.traversal();
        let github = graph.platform_id("github");
        let mut tally = Tally::default();
        let mut by_class = [0usize; Class::ALL.len()];
        // In node order, so that the facts are read in sequence: (class, depth, key rank)
        // packed to sort as one number, and the node.
        let mut ranked: Vec<(u64, NodeId)> = Vec::new();
        for node in reach.all.nodes() {
            if reach.all.next(node).is_none() {
                continue; // a target
            }
            let conditional = reach.conditional(node);
            let depth = reach.witness(conditional).depth[node.index()];
            let facts = view.facts(node);
            let (class, _) = Class::of(graph, node, facts, github);
            tally.add(facts, conditional);
            by_class[class as usize] += 1;
            let key = (class as u64) << 61
                | u64::from(depth.min(DEPTH_MAX)) << 32
                | u64::from(facts.rank);
            ranked.push((key, node));
        }
        ranked.sort_unstable_by_key(|&(k, _)| k);
        // Two classes also order within themselves (see `Class::of`): a stable sort of
        // their part keeps depth and key order between equals.
        for class in [Class::ThirdParty, Class::LongLivedCredential] {
            let (from, to) = (
                ranked.partition_point(|&(k, _)| k >> 61 < class as u64),
                ranked.partition_point(|&(k, _)| k >> 61 <= class as u64),
            );
            ranked[from..to]
                .sort_by_cached_key(|&(_, n)| Class::of(graph, n, view.facts(n), github).1);
        }
        let holders: Vec<Holder> = ranked
            .into_iter()
            .map(|(key, node)| {
                let conditional = reach.conditional(node);
                let search = reach.witness(conditional);
                Holder {
                    node,
                    class: Class::ALL[(key >> 61) as usize],
                    depth: search.depth[node.index()],
                    conditional,
                    next: search
                        .next(node)
                        .unwrap_or_else(|| unreachable!("only found nodes but targets are listed")),
                }
            })
            .collect();
        let summary = ExposureSummary {
            holders: holders.len(),
            by_class: Class::ALL
                .into_iter()
                .zip(by_class)
                .filter(|&(_, n)| n > 0)
                .collect(),
            conditional: tally.conditional,
            admins: tally.admins,
            by_kind: tally.kinds(),
            by_platform: tally.platforms(graph),
        };
        Exposure {
            at,
            targets,
            holders,
            summary,
            reach,
        }
    }

    /// The witness path from a holder to a target: the edges of a shortest path,
    /// unconditional whenever one exists.
    pub fn path(&self, graph: &TrustGraph, holder: &Holder) -> Vec<EdgeId> {
        let search = self.reach.witness(holder.conditional);
        let mut path = Vec::with_capacity(holder.depth as usize);
        let mut at = holder.node;
        while let Some(edge) = search.next(at) {
            path.push(edge);
            at = graph.endpoints(edge).1;
        }
        path
    }

    /// Whether `node` can reach a target (the targets included).
    pub fn contains(&self, node: NodeId) -> bool {
        self.reach.contains(node)
    }
}

/// A level is searched bottom-up once its frontier is more than this fraction of the
/// nodes not yet found. Measured on the generated 1M-node graph, a hub's exposure (904k
/// holders): top-down only 250 ms, bottom-up past 1/16 of what is left 193 ms, past 1/2
/// 145 ms, past 1/1 165 ms (`cargo bench --bench analyses -- exposure`, one VM phase).
const BOTTOM_UP_AFTER: usize = 2;

/// ... and more than this fraction of all nodes (Beamer's second condition: a small late
/// level costs a top-down search little and a scan of every candidate much).
const BOTTOM_UP_ABOVE: usize = 64;

/// Which way a backward search finds its levels. Only tests force one way, to check both
/// against each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum Direction {
    Either,
    TopDown,
    BottomUp,
}

/// Depths past this sort as equal (a chain of half a billion hops).
const DEPTH_MAX: u32 = (1 << 29) - 1;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::analysis::Bfs;
    use crate::model::{Condition, Credential, Edge, EdgeKind, Node, Provenance};

    fn at() -> Timestamp {
        "2026-06-01T00:00:00Z".parse().expect("timestamp")
    }

    /// A graph from a list of nodes (`dead` ones are revoked credentials) and edges
    /// `(from, to, dormant, conditional)`.
    fn graph(nodes: &[(NodeKind, bool)], edges: &[(usize, usize, bool, bool)]) -> TrustGraph {
        graph_in_order(nodes, edges, false)
    }

    /// The same graph with its nodes and edges added in reverse when `reversed`.
    fn graph_in_order(
        nodes: &[(NodeKind, bool)],
        edges: &[(usize, usize, bool, bool)],
        reversed: bool,
    ) -> TrustGraph {
        let mut g = TrustGraph::new();
        let mut ids = vec![NodeId::from_raw(0); nodes.len()];
        let mut order: Vec<usize> = (0..nodes.len()).collect();
        if reversed {
            order.reverse();
        }
        for i in order {
            let (kind, dead) = nodes[i];
            let mut n = Node::new(&format!("n{i:02}"), kind, Provenance::default());
            if kind == NodeKind::Credential {
                n.credential = Some(Box::new(Credential {
                    status: Some(if dead { "revoked" } else { "active" }.into()),
                    ..Credential::default()
                }));
            }
            ids[i] = g.add_node(n).expect("new key");
        }
        let mut edges = edges.to_vec();
        if reversed {
            edges.reverse();
        }
        for (a, b, dormant, conditional) in edges {
            let (a, b) = (ids[a], ids[b]);
            let mut e = Edge::new(EdgeKind::CanAssume, "t", Provenance::default());
            e.dormant = dormant;
            if conditional {
                e.conditions.push(Condition::described("MFA"));
            }
            g.add_edge(a, b, e);
        }
        g.prepare();
        g
    }

    /// public → ci → role → db, key (long-lived, created 2020) → role, old key (dead) →
    /// db, human ⇢ db (conditional), role → other (not toward db).
    #[test]
    fn holders_are_ranked_by_how_easily_they_are_held() {
        let mut g = TrustGraph::new();
        let mut add = |key: &str, kind: NodeKind| {
            g.add_node(Node::new(key, kind, Provenance::default()))
                .expect("new key")
        };
        let public = add("github:any-user", NodeKind::Group);
        let ci = add(
            "github:workflow:acme/web/.github/workflows/ci.yml",
            NodeKind::Workload,
        );
        let role = add("arn:aws:iam::1:role/deploy", NodeKind::Role);
        let db = add("arn:aws:rds:db", NodeKind::Resource);
        let key = add("AKIAKEY", NodeKind::Credential);
        let dead = add("AKIADEAD", NodeKind::Credential);
        let human = add("aws:user/alice", NodeKind::Human);
        let other = add("arn:aws:s3:::other", NodeKind::Resource);
        let created = "2020-01-01T00:00:00Z".parse().ok();
        for (node, status) in [(key, "active"), (dead, "inactive")] {
            g.node_mut(node).credential = Some(Box::new(Credential {
                status: Some(status.into()),
                created,
                ..Credential::default()
            }));
        }
        let edge = || Edge::new(EdgeKind::CanAssume, "t", Provenance::default());
        g.add_edge(public, ci, edge());
        g.add_edge(ci, role, edge());
        g.add_edge(role, db, edge());
        g.add_edge(key, role, edge());
        g.add_edge(dead, db, edge());
        let mut mfa = edge();
        mfa.conditions.push(Condition::described("MFA"));
        g.add_edge(human, db, mfa);
        g.add_edge(role, other, edge());
        let x = Exposure::compute(&g, &[db], at());
        let listed: Vec<(NodeId, Class, u32, bool)> = x
            .holders
            .iter()
            .map(|h| (h.node, h.class, h.depth, h.conditional))
            .collect();
        assert_eq!(
            listed,
            [
                (public, Class::Public, 3, false),
                (key, Class::LongLivedCredential, 2, false),
                (ci, Class::CiJob, 2, false),
                (human, Class::Human, 1, true),
                (role, Class::Other, 1, false),
            ]
        );
        let path = x.path(&g, &x.holders[0]);
        let hops: Vec<NodeId> = path.iter().map(|&e| g.endpoints(e).1).collect();
        assert_eq!(hops, [ci, role, db]);
        assert_eq!(x.summary.holders, 5);
        assert_eq!(x.summary.conditional, 1);
        assert!(!x.contains(dead), "a dead key reaches nothing");
        assert!(!x.contains(other));
        let nobody = Exposure::compute(&g, &[public], at());
        assert!(nobody.holders.is_empty());
    }

    fn node_strategy() -> impl Strategy<Value = (NodeKind, bool)> {
        (
            prop::sample::select(vec![
                NodeKind::Role,
                NodeKind::Credential,
                NodeKind::Workload,
            ]),
            any::<bool>(),
        )
    }

    proptest! {
        /// Exposure is the blast radius read backwards: a node is listed exactly when its
        /// own blast radius holds a target, conditional exactly when only conditional
        /// edges get it there, at the depth of its nearest target, and its witness path
        /// is a path the attacker can walk from it to a target.
        #[test]
        fn exposure_is_reverse_reachability(
            nodes in prop::collection::vec(node_strategy(), 2..40),
            raw_edges in prop::collection::vec(
                (0usize..40, 0usize..40, prop::bool::weighted(0.2), prop::bool::weighted(0.3)),
                0..90,
            ),
            raw_targets in prop::collection::vec(0usize..40, 1..3),
        ) {
            let n = nodes.len();
            let edges: Vec<_> = raw_edges
                .into_iter()
                .map(|(a, b, d, c)| (a % n, b % n, d, c))
                .collect();
            let g = graph(&nodes, &edges);
            let targets: Vec<NodeId> = raw_targets
                .iter()
                .map(|&t| g.find(&format!("n{:02}", t % n)).expect("node"))
                .collect();
            let x = Exposure::compute(&g, &targets, at());
            for u in g.node_ids() {
                if targets.contains(&u) {
                    continue;
                }
                let depth = |conditional: bool| {
                    let bfs = Bfs::attacker(&g, &[u], at(), conditional, None);
                    targets.iter().filter_map(|&t| bfs.depth(t)).min()
                };
                let (any, certain) = (depth(true), depth(false));
                let holder = x.holders.iter().find(|h| h.node == u);
                prop_assert_eq!(holder.is_some(), any.is_some(), "listed: {:?}", u);
                prop_assert_eq!(x.contains(u), any.is_some());
                let Some(h) = holder else { continue };
                prop_assert_eq!(h.conditional, certain.is_none());
                prop_assert_eq!(Some(h.depth), certain.or(any));
                let path = x.path(&g, h);
                prop_assert_eq!(path.len(), h.depth as usize);
                let mut at_node = u;
                for &e in &path {
                    let (from, to) = g.endpoints(e);
                    prop_assert_eq!(from, at_node);
                    prop_assert!(g.traversable(e, at()));
                    if !h.conditional {
                        prop_assert!(!g.edge(e).is_conditional());
                    }
                    at_node = to;
                }
                prop_assert!(targets.contains(&at_node));
            }
            prop_assert_eq!(x.summary.holders, x.holders.len());
            // Either way of searching finds the same nodes at the same depths, each by an
            // edge out of it into a node one level nearer.
            for conditional in [true, false] {
                let [down, up] = [Direction::TopDown, Direction::BottomUp]
                    .map(|d| Backward::run_as(&g, &targets, at(), conditional, d));
                prop_assert_eq!(&down.found, &up.found);
                prop_assert_eq!(&down.depth, &up.depth);
                for b in [&down, &up] {
                    for u in g.node_ids().filter(|&u| b.found(u)) {
                        if let Some(e) = b.next(u) {
                            let (from, to) = g.endpoints(e);
                            prop_assert_eq!(from, u);
                            prop_assert!(b.found(to));
                            prop_assert_eq!(b.depth[to.index()] + 1, b.depth[u.index()]);
                            prop_assert!(g.traversable(e, at()));
                            prop_assert!(conditional || !g.edge(e).is_conditional());
                        }
                    }
                }
            }
            // The same answer, witness edges included, whatever order the graph was built in.
            let r = graph_in_order(&nodes, &edges, true);
            let r_targets: Vec<NodeId> = targets
                .iter()
                .map(|&t| r.find(&g.node(t).key).expect("node"))
                .collect();
            let y = Exposure::compute(&r, &r_targets, at());
            let listing = |g: &TrustGraph, x: &Exposure| -> Vec<(String, String, u32, bool)> {
                x.holders
                    .iter()
                    .map(|h| {
                        let to = g.endpoints(h.next).1;
                        (g.node(h.node).key.to_string(), g.node(to).key.to_string(), h.depth, h.conditional)
                    })
                    .collect()
            };
            prop_assert_eq!(listing(&g, &x), listing(&r, &y));
        }
    }
}
