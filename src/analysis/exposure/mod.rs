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

use self::backward::{Backward, SPLIT_ABOVE};
use super::blast::Tally;
use crate::cores::both;
use crate::model::{EdgeId, NodeFacts, NodeId, NodeKind, Outsider, PlatformId, TrustGraph};

mod backward;
#[cfg(test)]
mod tests;

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
                match graph.node(node).credential.as_ref() {
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
        // The others fill their classes whole (from where the class starts), in their own
        // order; a stable sort keeps key order between equals. Sorted on the second core
        // while this one places the rest.
        let sort_within = || {
            let mut within: Vec<(u64, Holder)> =
                first.within.iter().chain(&second.within).copied().collect();
            within.sort_by_key(|&(order, h)| (h.class, order, h.depth));
            within
        };
        let mut place_others = || {
            for &holder in first.holders.iter().chain(&second.holders) {
                let at = &mut start[holder.class as usize * depths + holder.depth as usize];
                ranked[*at] = holder;
                *at += 1;
            }
        };
        let within = if total < SPLIT_ABOVE {
            place_others();
            sort_within()
        } else {
            both(sort_within, place_others).0
        };
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
