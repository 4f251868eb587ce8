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
use std::ops::Range;

use jiff::Timestamp;
use serde::Serialize;

use super::blast::Tally;
use crate::cores::both;
use crate::model::{
    EdgeId, NodeFacts, NodeId, NodeKind, Outsider, PlatformId, Step, Traversal, TrustGraph,
};

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

    /// The deepest level either search found a node at.
    fn deepest(&self) -> u32 {
        let certain = self.certain.as_ref().map_or(0, |c| c.deepest);
        self.all.deepest.max(certain)
    }

    fn conditional(&self, node: NodeId) -> bool {
        self.certain.as_ref().is_some_and(|c| !c.found(node))
    }
}

/// A backward search: per node whether it was found, at what depth and by which edge.
struct Backward {
    /// One bit per node: found.
    found: Vec<u64>,
    /// Per node: the edge it was found by, plus one (zero: a target, or not found), and
    /// hops to the nearest target (for found nodes). Side by side: whoever reads or
    /// writes one reads or writes the other, in one cache miss.
    by: Vec<[u32; 2]>,
    /// Some node was found over a conditional edge.
    via_conditional: bool,
    /// The depth of the last level that found a node.
    deepest: u32,
}

impl Backward {
    /// Level by level. A level whose frontier is a large part of what is left (and of
    /// the graph) is found the other way round (direction-optimising search): every node
    /// not yet found looks along its own outgoing edges, in key order, for one into the
    /// frontier and stops at the first. When most of the graph can reach the target, that
    /// reads far fewer edges than offering every incoming edge of a huge frontier; the
    /// nodes are read in id order (memory order: sequential reads, both cores) since what
    /// each finds depends on its own edges alone, and a top-down level after it offers its
    /// frontier in key order again. Either way a node is found at its true distance, and
    /// the edge it is found by depends on the graph alone, never on the order its inputs
    /// were read in.
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
            by: vec![[0u32; 2]; n],
            via_conditional: false,
            deepest: 0,
        };
        let mut frontier: Vec<NodeId> = Vec::new();
        for &t in targets {
            if !b.found(t) {
                b.mark(t, None, 0, false);
                frontier.push(t);
            }
        }
        let mut left = n - frontier.len();
        // The usable nodes not yet found, in id order: listed at the first bottom-up level
        // and shrunk in place at each, so that no level scans what an earlier one found.
        let mut unfound: Option<Vec<NodeId>> = None;
        // The frontier is in the order a top-down level must offer it: key order, or the
        // order an earlier top-down level found it in (which follows key order too).
        let mut in_key_order = true;
        // Kept from level to level: fresh memory is a page fault every four kilobytes.
        let (mut found_now, mut found_up) = (Vec::new(), [Vec::new(), Vec::new()]);
        let mut in_frontier = Vec::new();
        let mut d = 0;
        while !frontier.is_empty() {
            d += 1;
            found_now.clear();
            let bottom_up = match direction {
                Direction::Either => {
                    frontier.len() * BOTTOM_UP_AFTER > left && frontier.len() * BOTTOM_UP_ABOVE > n
                }
                Direction::BottomUp => true,
                Direction::TopDown => false,
                Direction::Alternating => d % 2 == 0,
            };
            if bottom_up {
                in_frontier.resize(n.div_ceil(64), 0u64);
                for f in &frontier {
                    in_frontier[f.index() / 64] |= 1 << (f.index() % 64);
                }
                let candidates = unfound.get_or_insert_with(|| {
                    (0..n as u32)
                        .map(NodeId::from_raw)
                        .filter(|&v| !b.found(v) && view.usable(v, at))
                        .collect()
                });
                let level = Level {
                    view,
                    found: &b.found,
                    in_frontier: &in_frontier,
                    conditional,
                };
                level.up(candidates, &mut found_up);
                for &(node, step) in found_up.iter().flatten() {
                    b.mark(node, Some(view.edge(step.slot)), d, step.conditional);
                    found_now.push(node);
                }
                for f in &frontier {
                    in_frontier[f.index() / 64] = 0;
                }
                in_key_order = false;
            } else {
                if !in_key_order {
                    frontier.sort_unstable_by_key(|&f| view.key_rank(f));
                    in_key_order = true;
                }
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
            std::mem::swap(&mut frontier, &mut found_now);
        }
        b
    }

    fn mark(&mut self, node: NodeId, by: Option<EdgeId>, depth: u32, conditional: bool) {
        let i = node.index();
        self.found[i / 64] |= 1 << (i % 64);
        self.by[i] = [by.map_or(0, |e| e.index() as u32 + 1), depth];
        self.via_conditional |= conditional;
        self.deepest = self.deepest.max(depth);
    }

    fn found(&self, node: NodeId) -> bool {
        self.found[node.index() / 64] & (1 << (node.index() % 64)) != 0
    }

    /// The edge a node was found by; `None` for a target or a node not found.
    fn next(&self, node: NodeId) -> Option<EdgeId> {
        let raw = self.by[node.index()][0].checked_sub(1)?;
        Some(EdgeId::from_raw(raw))
    }

    /// Hops from a found node to the nearest target.
    fn depth(&self, node: NodeId) -> u32 {
        self.by[node.index()][1]
    }

    /// Every node's depth (zero where not found).
    #[cfg(test)]
    fn depths(&self) -> Vec<u32> {
        self.by.iter().map(|&[_, depth]| depth).collect()
    }

    /// How many nodes were found.
    fn count(&self) -> usize {
        self.found.iter().map(|w| w.count_ones() as usize).sum()
    }
}

/// One bottom-up level of a [`Backward`] search: what it reads, shared by both cores.
#[derive(Clone, Copy)]
struct Level<'a> {
    view: Traversal<'a>,
    found: &'a [u64],
    in_frontier: &'a [u64],
    conditional: bool,
}

impl Level<'_> {
    /// Finds the candidates (usable, in id order) with a step into the frontier: each
    /// with its first such step in key order, whatever order the candidates are read in.
    /// Leaves them in `found` (the first half's in the first), the others in
    /// `candidates`, in order. Over many candidates, each half on its own core: they
    /// read the same bitmaps and write nothing shared.
    fn up(self, candidates: &mut Vec<NodeId>, found: &mut [Vec<(NodeId, Step)>; 2]) {
        let [found_1, found_2] = found;
        found_1.clear();
        found_2.clear();
        let (len, half) = (candidates.len(), candidates.len() / 2);
        if len < SPLIT_ABOVE {
            let kept = self.scan(candidates, found_1);
            candidates.truncate(kept);
            return;
        }
        let (first, second) = candidates.split_at_mut(half);
        let (kept_1, kept_2) = both(|| self.scan(first, found_1), || self.scan(second, found_2));
        candidates.copy_within(half..half + kept_2, kept_1);
        candidates.truncate(kept_1 + kept_2);
    }

    /// Moves the candidates it does not find to the front, in order; returns how many.
    fn scan(self, candidates: &mut [NodeId], found: &mut Vec<(NodeId, Step)>) -> usize {
        let bit = |bits: &[u64], i: usize| bits[i / 64] & (1 << (i % 64)) != 0;
        let mut kept = 0;
        for i in 0..candidates.len() {
            let node = candidates[i];
            if bit(self.found, node.index()) {
                continue; // found by a top-down level since it was listed
            }
            let into = self.view.steps(node).find(|s| {
                bit(self.in_frontier, s.to.index())
                    && !s.dormant
                    && (self.conditional || !s.conditional)
            });
            match into {
                Some(step) => found.push((node, step)),
                None => {
                    candidates[kept] = node;
                    kept += 1;
                }
            }
        }
        kept
    }
}

/// The holders among some key ranks, in key order, counted for the summary.
struct Keyed {
    /// Of the classes that order by depth and key alone.
    holders: Vec<Holder>,
    /// Of the classes that order within themselves first ([`Class::of`]), with that order.
    within: Vec<(u64, Holder)>,
    /// Per class and depth (`class * depths + depth`): holders.
    counts: Vec<usize>,
    tally: Tally,
    by_class: [usize; Class::ALL.len()],
}

impl Keyed {
    fn new(depths: usize) -> Keyed {
        Keyed {
            holders: Vec::new(),
            within: Vec::new(),
            counts: vec![0; Class::ALL.len() * depths],
            tally: Tally::default(),
            by_class: [0; Class::ALL.len()],
        }
    }

    /// The nodes found whose key ranks are in `ranks`, but the targets. (Read in key
    /// order, each node's facts and search results are a random read; in node order,
    /// they would be sequential, but then every holder needs a sort by key — a pass over
    /// all of them per byte of the key, which cost more.)
    fn of(graph: &TrustGraph, reach: &Reachers, depths: usize, ranks: Range<usize>) -> Keyed {
        let view = graph.traversal();
        let github = graph.platform_id("github");
        let mut keyed = Keyed::new(depths);
        for rank in ranks {
            let node = view.by_rank(rank as u32);
            if !reach.all.found(node) {
                continue;
            }
            let conditional = reach.conditional(node);
            let search = reach.witness(conditional);
            let Some(next) = search.next(node) else {
                continue; // a target
            };
            let facts = view.facts(node);
            let (class, within) = Class::of(graph, node, facts, github);
            keyed.tally.add(facts, conditional);
            keyed.by_class[class as usize] += 1;
            let holder = Holder {
                node,
                class,
                depth: search.depth(node),
                conditional,
                next,
            };
            keyed.counts[class as usize * depths + holder.depth as usize] += 1;
            match class {
                Class::ThirdParty | Class::LongLivedCredential => {
                    keyed.within.push((within, holder));
                }
                _ => keyed.holders.push(holder),
            }
        }
        keyed
    }

    /// The holders of both parts (`first` of the lower key ranks) in order: by class, by
    /// the order within it, depth and key. Each lands in its place at once, counted
    /// beforehand: a sort would make passes over all of them.
    fn ranked(first: &Keyed, second: &Keyed, depths: usize) -> Vec<Holder> {
        // Where each class and depth starts.
        let mut start = Vec::with_capacity(first.counts.len());
        let mut total = 0;
        for (a, b) in first.counts.iter().zip(&second.counts) {
            start.push(total);
            total += a + b;
        }
        let placeholder = Holder {
            node: NodeId::from_raw(0),
            class: Class::Other,
            depth: 0,
            conditional: false,
            next: EdgeId::from_raw(0),
        };
        let mut ranked = vec![placeholder; total];
        for &holder in first.holders.iter().chain(&second.holders) {
            let at = &mut start[holder.class as usize * depths + holder.depth as usize];
            ranked[*at] = holder;
            *at += 1;
        }
        // The others fill their classes whole (from where the class starts), in their own
        // order; a stable sort keeps key order between equals.
        let mut within: Vec<(u64, Holder)> =
            first.within.iter().chain(&second.within).copied().collect();
        within.sort_by_key(|&(order, h)| (h.class, order, h.depth));
        for (_, holder) in within {
            let at = &mut start[holder.class as usize * depths];
            ranked[*at] = holder;
            *at += 1;
        }
        ranked
    }
}

impl Exposure {
    /// Everyone who can reach any of `targets` at `at`.
    pub fn compute(graph: &TrustGraph, targets: &[NodeId], at: Timestamp) -> Exposure {
        let mut targets = targets.to_vec();
        targets.sort_by_key(|&t| graph.key_rank(t));
        targets.dedup();
        let reach = Reachers::compute(graph, &targets, at);
        // Each half of the key ranks on its own core, the found nodes among them in key
        // order; then a stable counting sort by class and depth (few of either).
        let n = graph.node_count();
        let depths = reach.deepest() as usize + 1;
        let keyed = |ranks: Range<usize>| Keyed::of(graph, &reach, depths, ranks);
        let (first, second) = if reach.all.count() < SPLIT_ABOVE {
            (keyed(0..n), Keyed::new(depths))
        } else {
            both(|| keyed(0..n / 2), || keyed(n / 2..n))
        };
        let holders = Keyed::ranked(&first, &second, depths);
        let (mut tally, mut by_class) = (first.tally, first.by_class);
        tally.merge(second.tally);
        for (mine, theirs) in by_class.iter_mut().zip(second.by_class) {
            *mine += theirs;
        }
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
/// nodes not yet found. Measured on the generated 1M-node graph, a hub's backward search
/// (904k holders, bottom-up levels on two cores, `trustpath exposure` timed in place):
/// bottom-up past 1/2 of what is left 86–98 ms, past 1/4 61–69 ms, past 1/8 60–66 ms,
/// past 1/16 54–57 ms. (Read in key order on one core, the best was past 1/2, 145 ms.)
const BOTTOM_UP_AFTER: usize = 16;

/// ... and more than this fraction of all nodes (Beamer's second condition: a small late
/// level costs a top-down search little and a scan of every candidate much).
const BOTTOM_UP_ABOVE: usize = 64;

/// A bottom-up level over fewer candidates, or a ranking of fewer found nodes, runs on one
/// core (a thread costs tens of microseconds; a node, nanoseconds).
const SPLIT_ABOVE: usize = 1 << 15;

/// Which way a backward search finds its levels. Only tests force one way, to check both
/// against each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum Direction {
    Either,
    TopDown,
    BottomUp,
    /// Top-down at odd levels, bottom-up at even ones: every hand-over between the two.
    Alternating,
}

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

    /// Large enough that the bottom-up levels and the ranking split over two cores: the
    /// same nodes at the same depths as a search top-down only, each by an edge into the
    /// level nearer, ranked in order, counted once.
    #[test]
    fn a_hub_of_a_generated_organisation_split_over_two_cores() {
        let mut json = Vec::new();
        crate::synth::generate(&mut json, 60_000, 7).expect("generates");
        let g = crate::import::load_inputs([crate::import::Input::bytes("gen.json", json)])
            .expect("loads")
            .graph;
        let hub = g
            .node_ids()
            .max_by_key(|&n| g.incoming(n).len())
            .expect("nodes");
        let x = Exposure::compute(&g, &[hub], at());
        assert!(x.holders.len() > SPLIT_ABOVE, "{}", x.holders.len());
        let down = Backward::run_as(&g, &[hub], at(), true, Direction::TopDown);
        assert_eq!(x.reach.all.found, down.found);
        assert_eq!(x.reach.all.depths(), down.depths());
        let (view, github) = (g.traversal(), g.platform_id("github"));
        for pair in x.holders.windows(2) {
            let key = |h: &Holder| {
                let within = Class::of(&g, h.node, view.facts(h.node), github).1;
                (h.class, within, h.depth, view.key_rank(h.node))
            };
            assert!(key(&pair[0]) < key(&pair[1]), "{pair:?}");
        }
        for h in &x.holders {
            let (from, to) = g.endpoints(h.next);
            assert_eq!(from, h.node);
            assert_eq!(down.depth(to) + 1, h.depth);
        }
        assert_eq!(x.summary.holders, x.holders.len());
        assert_eq!(x.summary.by_class.values().sum::<usize>(), x.holders.len());
        assert_eq!(x.summary.by_kind.values().sum::<usize>(), x.holders.len());
        assert_eq!(
            x.summary.by_platform.values().sum::<usize>(),
            x.holders.len()
        );
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
                let [down, up, mixed] =
                    [Direction::TopDown, Direction::BottomUp, Direction::Alternating]
                        .map(|d| Backward::run_as(&g, &targets, at(), conditional, d));
                prop_assert_eq!(&down.found, &up.found);
                prop_assert_eq!(down.depths(), up.depths());
                prop_assert_eq!(&down.found, &mixed.found);
                prop_assert_eq!(down.depths(), mixed.depths());
                for b in [&down, &up, &mixed] {
                    for u in g.node_ids().filter(|&u| b.found(u)) {
                        if let Some(e) = b.next(u) {
                            let (from, to) = g.endpoints(e);
                            prop_assert_eq!(from, u);
                            prop_assert!(b.found(to));
                            prop_assert_eq!(b.depth(to) + 1, b.depth(u));
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
            // Also when the frontier changes hands between the two ways at every level.
            let witnesses = |g: &TrustGraph, targets: &[NodeId]| -> Vec<(String, String)> {
                let b = Backward::run_as(g, targets, at(), true, Direction::Alternating);
                let mut w: Vec<_> = g
                    .node_ids()
                    .filter_map(|u| {
                        let to = g.endpoints(b.next(u)?).1;
                        Some((g.node(u).key.to_string(), g.node(to).key.to_string()))
                    })
                    .collect();
                w.sort();
                w
            };
            prop_assert_eq!(witnesses(&g, &targets), witnesses(&r, &r_targets));
        }
    }
}
