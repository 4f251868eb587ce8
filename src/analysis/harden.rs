//! `trustpath harden`: between incidents, the cheapest changes that cut every way an
//! outsider already holds into the crown jewels.
//!
//! The entry points are what someone outside the organisation holds today: the public
//! pseudo-nodes (anyone on the internet, any GitHub user), third-party code and apps (not
//! code pinned to a commit or a digest: its owner cannot change it), and
//! long-lived credentials older than a threshold (the keys most likely to have been
//! copied somewhere). Only those that can reach a crown jewel matter. The revocation
//! engine then runs from them as from a compromised set, without the incident's
//! containment, dwell time, rotations and hunt ([`Purpose::Harden`]): the same exact
//! search or greedy and minimum cut, the same max-flow lower bound, the same step order
//! (single points of failure first, then the most paths removed per unit of cost).
//!
//! [`Purpose::Harden`]: super::plan::Purpose::Harden

use jiff::Timestamp;

use super::exposure::Reachers;
use super::plan::{Plan, PlanOptions};
use crate::model::{NodeId, NodeKind, Outsider, TrustGraph};

/// Why a node is an entry point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Anyone (a public pseudo-node).
    Public,
    /// Another organisation: third-party code or apps.
    ThirdParty,
    /// A usable long-lived credential, its secret this many days old.
    OldCredential { days: i64 },
}

impl Held {
    pub fn describe(self) -> String {
        match self {
            Held::Public => "anyone can act as it".into(),
            Held::ThirdParty => "another organisation controls it".into(),
            Held::OldCredential { days } => {
                format!("long-lived credential, its secret {days} days old")
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub node: NodeId,
    pub held: Held,
}

pub struct Harden<'g> {
    /// Entry points that can reach a crown jewel, by key.
    pub entries: Vec<Entry>,
    /// Entry points that reach no crown jewel (nothing to cut for them).
    pub harmless: usize,
    /// Usable long-lived credentials without a creation or rotation date: their age is
    /// unknown, so they are not entry points; said, not hidden.
    pub undated: usize,
    /// The plan from the entries; its compromised set is theirs.
    pub plan: Plan<'g>,
}

/// Every entry point as of `at`, by key: outsiders, and usable long-lived credentials
/// whose secret is older than `older_than_days`; and how many usable long-lived
/// credentials have no date to tell their age by.
pub fn entry_points(
    graph: &TrustGraph,
    at: Timestamp,
    older_than_days: u32,
) -> (Vec<Entry>, usize) {
    let mut entries = Vec::new();
    let mut undated = 0;
    for node in graph.nodes_by_key() {
        let n = graph.node(node);
        // A dead credential holds nothing, whoever has it.
        if !n.usable_at(at) {
            continue;
        }
        let held = match graph.facts(node).outsider {
            Some(Outsider::Public) => Held::Public,
            // Code pinned to a commit or digest runs as reviewed: whoever owns it cannot
            // change it under the job.
            Some(Outsider::ThirdParty) if immutably_pinned(graph, node) => continue,
            Some(Outsider::ThirdParty) => Held::ThirdParty,
            None => {
                let Some(c) = n.credential.as_ref() else {
                    continue;
                };
                if n.kind != NodeKind::Credential || !c.is_long_lived() {
                    continue;
                }
                let Some((issued, _)) = c.issued(at) else {
                    undated += 1;
                    continue;
                };
                let days = at.duration_since(issued).as_hours() / 24;
                if days <= i64::from(older_than_days) {
                    continue;
                }
                Held::OldCredential { days }
            }
        };
        entries.push(Entry { node, held });
    }
    (entries, undated)
}

/// A `pinned` tag that names a commit or a digest; any other value (a tag, a branch, a
/// ref, or something unknown) may move.
fn immutably_pinned(graph: &TrustGraph, node: NodeId) -> bool {
    graph.node(node).tags.get("pinned").is_some_and(|p| {
        let p = p.trim();
        p.eq_ignore_ascii_case("sha") || p.eq_ignore_ascii_case("digest")
    })
}

impl<'g> Harden<'g> {
    pub fn compute(graph: &'g TrustGraph, opts: &PlanOptions, older_than_days: u32) -> Harden<'g> {
        let (all, undated) = entry_points(graph, opts.at, older_than_days);
        let reachers = Reachers::of_crown_jewels(graph, opts.at);
        let (entries, harmless): (Vec<Entry>, Vec<Entry>) = all
            .into_iter()
            .partition(|e| reachers.as_ref().is_some_and(|r| r.contains(e.node)));
        let nodes: Vec<NodeId> = entries.iter().map(|e| e.node).collect();
        Harden {
            plan: Plan::harden(graph, &nodes, opts),
            harmless: harmless.len(),
            undated,
            entries,
        }
    }
}
