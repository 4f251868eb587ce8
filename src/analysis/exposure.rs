//! Exposure: who can reach a target — the blast radius read backwards.
//!
//! A node can reach the target when some path of usable edges leads there from it: no
//! dormant edge, and no dead or expired credential along the way (the same edges a blast
//! radius follows, so that the node's own blast radius contains the target exactly when
//! it is listed here). The search runs over incoming edges from the targets; every node it
//! takes must itself be usable, since it is the one that would use the edge. Holders are
//! ranked by how easily an attacker holds them: anyone on the internet first, then code
//! and apps of other owners, long-lived credentials (oldest first), CI jobs, workloads
//! and people.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::blast::Tally;
use crate::model::{EdgeId, NodeId, NodeKind, TrustGraph};

/// Pseudo-nodes that stand for anyone on the internet (or any account of a platform).
const PUBLIC: [&str; 5] = [
    "aws:anyone",
    "gcp:any-user",
    "gcp:any-google-account",
    "github:any-user",
    "github:any-repo",
];

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

    /// The classes whose holders every report shows the whole witness path of: the ways
    /// in that nobody inside controls.
    pub fn is_outsider(self) -> bool {
        matches!(self, Class::Public | Class::ThirdParty)
    }

    fn of(graph: &TrustGraph, node: NodeId) -> Class {
        let n = graph.node(node);
        let tagged = |tag: &str| n.tags.get(tag).is_some_and(|v| v != "false");
        if PUBLIC.contains(&&*n.key)
            || n.key.starts_with("github:any-repo:")
            || n.tags.get("not_in_inputs").is_some_and(|v| v == "public")
        {
            Class::Public
        } else if tagged("third_party") {
            Class::ThirdParty
        } else if n.kind == NodeKind::Credential && n.is_long_lived_credential() {
            Class::LongLivedCredential
        } else if n.kind == NodeKind::Workload && n.platform.as_ref() == "github" {
            Class::CiJob
        } else if n.kind == NodeKind::Workload {
            Class::Workload
        } else if n.kind == NodeKind::Human {
            Class::Human
        } else {
            Class::Other
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
    all: Backward,
    /// The search without conditional edges, when any conditional edge mattered.
    certain: Option<Backward>,
}

/// A backward search: the nodes in the order found, each with its depth, and per node the
/// edge it was found by.
struct Backward {
    /// One bit per node: found.
    found: Vec<u64>,
    /// Per node: the edge it was found by, plus one (zero: a target, or not found).
    next: Vec<u32>,
    order: Vec<(NodeId, u32)>,
    /// Some node was found over a conditional edge.
    via_conditional: bool,
}

impl Backward {
    fn run(graph: &TrustGraph, targets: &[NodeId], at: Timestamp, conditional: bool) -> Backward {
        let view = graph.traversal();
        let n = graph.node_count();
        let mut found = vec![0u64; n.div_ceil(64)];
        let mut next = vec![0u32; n];
        let mut order: Vec<(NodeId, u32)> = Vec::new();
        let mut via_conditional = false;
        for &t in targets {
            let i = t.index();
            if found[i / 64] & (1 << (i % 64)) == 0 {
                found[i / 64] |= 1 << (i % 64);
                order.push((t, 0));
            }
        }
        // `order` doubles as the queue, as in a forward search.
        let mut head = 0;
        while let Some(&(node, depth)) = order.get(head) {
            head += 1;
            for step in view.steps_in(node) {
                let i = step.from.index();
                let (word, bit) = (i / 64, 1u64 << (i % 64));
                // The node that would use the edge must be usable itself: a dead key
                // reaches nothing.
                if found[word] & bit == 0
                    && !step.dormant
                    && (conditional || !step.conditional)
                    && view.usable(step.from, at)
                {
                    found[word] |= bit;
                    next[i] = step.edge.index() as u32 + 1;
                    via_conditional |= step.conditional;
                    order.push((step.from, depth + 1));
                }
            }
        }
        Backward {
            found,
            next,
            order,
            via_conditional,
        }
    }

    fn found(&self, node: NodeId) -> bool {
        self.found[node.index() / 64] & (1 << (node.index() % 64)) != 0
    }

    /// The edge a node was found by; `None` for a target or a node not found.
    fn next(&self, node: NodeId) -> Option<EdgeId> {
        let raw = self.next[node.index()].checked_sub(1)?;
        Some(EdgeId::from_raw(raw))
    }
}

impl Exposure {
    /// Everyone who can reach any of `targets` at `at`.
    pub fn compute(graph: &TrustGraph, targets: &[NodeId], at: Timestamp) -> Exposure {
        let mut targets = targets.to_vec();
        targets.sort_by_key(|&t| graph.key_rank(t));
        targets.dedup();
        let all = Backward::run(graph, &targets, at, true);
        // What only conditional edges connect: found by the first search, not by a second
        // without them. When nothing was found through one, there is nothing to tell.
        let certain = all
            .via_conditional
            .then(|| Backward::run(graph, &targets, at, false));
        let depths = certain.as_ref().map(depths_of);
        let view = graph.traversal();
        let mut tally = Tally::default();
        let mut by_class = [0usize; Class::ALL.len()];
        let mut ranked: Vec<((u8, u64, u32, u32), Holder)> = Vec::with_capacity(all.order.len());
        for &(node, depth) in &all.order {
            if depth == 0 {
                continue;
            }
            // The witness comes from the search without conditional edges wherever that
            // one reaches, as a blast radius's does.
            let conditional = certain.as_ref().is_some_and(|c| !c.found(node));
            let (search, depth) = match (&certain, &depths) {
                (Some(c), Some(d)) if !conditional => (c, d[node.index()]),
                _ => (&all, depth),
            };
            let class = Class::of(graph, node);
            let facts = view.facts(node);
            tally.add(facts, conditional);
            by_class[class as usize] += 1;
            // Within a class: third-party code that can change under a mutable pin (a tag,
            // a branch) before code pinned to a commit; long-lived credentials oldest
            // first, unknown creation after known.
            let within = match class {
                Class::ThirdParty => {
                    let pinned = graph.node(node).tags.get("pinned");
                    u64::from(pinned.is_some_and(|p| p == "sha"))
                }
                Class::LongLivedCredential => graph
                    .node(node)
                    .credential
                    .as_ref()
                    .and_then(|c| c.created)
                    .map_or(u64::MAX, |t| (t.as_second() as u64) ^ (1 << 63)),
                _ => 0,
            };
            let key = (class as u8, within, depth, facts.rank);
            let Some(next) = search.next(node) else {
                continue;
            };
            ranked.push((
                key,
                Holder {
                    node,
                    class,
                    depth,
                    conditional,
                    next,
                },
            ));
        }
        ranked.sort_unstable_by_key(|&(k, _)| k);
        let holders: Vec<Holder> = ranked.into_iter().map(|(_, h)| h).collect();
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
            all,
            certain,
        }
    }

    /// The witness path from a holder to a target: the edges of a shortest path,
    /// unconditional whenever one exists.
    pub fn path(&self, graph: &TrustGraph, holder: &Holder) -> Vec<EdgeId> {
        let search = match &self.certain {
            Some(c) if !holder.conditional => c,
            _ => &self.all,
        };
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
        self.all.found(node)
    }
}

/// Per node, the depth a search found it at.
fn depths_of(search: &Backward) -> Vec<u32> {
    let mut depths = vec![0u32; search.next.len()];
    for &(n, d) in &search.order {
        depths[n.index()] = d;
    }
    depths
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
        let mut g = TrustGraph::new();
        let mut ids = Vec::new();
        for (i, &(kind, dead)) in nodes.iter().enumerate() {
            let mut n = Node::new(&format!("n{i:02}"), kind, Provenance::default());
            if kind == NodeKind::Credential {
                n.credential = Some(Box::new(Credential {
                    status: Some(if dead { "revoked" } else { "active" }.into()),
                    ..Credential::default()
                }));
            }
            ids.push(g.add_node(n).expect("new key"));
        }
        for &(a, b, dormant, conditional) in edges {
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
            nodes in prop::collection::vec(node_strategy(), 2..12),
            raw_edges in prop::collection::vec(
                (0usize..12, 0usize..12, prop::bool::weighted(0.2), prop::bool::weighted(0.3)),
                0..30,
            ),
            raw_targets in prop::collection::vec(0usize..12, 1..3),
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
        }
    }
}
