//! Audit: hygiene findings mapped to the OWASP Top 10 for Non-Human Identities (2025).
//!
//! Each rule reads facts the importers already put in the graph (credential kinds, dates
//! and statuses, owners, environments, tags such as `third_party` and `pinned`, admin
//! flags, escalation edges, public pseudo-nodes) and weighs a finding by what it leads
//! to: one search backwards from every crown jewel tells, for every node at once, whether
//! it can reach one (the same edges a blast radius follows). Every rule looks at a node
//! and its own edges, so the audit stays linear in the graph.
//!
//! The rules run node by node ([`rules`]): on outsiders ([`outsiders`]), credentials and
//! secrets ([`credentials`]), identities ([`identities`]). A finding's id names the rule
//! that found it (`NHI7:unrotated:KEY`).

use std::cell::RefCell;
use std::rc::Rc;

use jiff::Timestamp;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::exposure::Reachers;
use crate::model::{NodeId, TrustGraph};

mod credentials;
mod identities;
mod outsiders;
mod rules;

/// OWASP NHI Top 10 (2025) categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Category {
    /// Improper Offboarding: unused, ownerless or orphaned identities and credentials.
    NHI1,
    /// Secret Leakage.
    NHI2,
    /// Vulnerable Third-Party NHI.
    NHI3,
    /// Insecure Authentication.
    NHI4,
    /// Overprivileged NHI.
    NHI5,
    /// Insecure Cloud Deployment Configurations: trusts anyone can satisfy.
    NHI6,
    /// Long-Lived Secrets.
    NHI7,
    /// Environment Isolation.
    NHI8,
    /// NHI Reuse.
    NHI9,
    /// Human Use of NHI.
    NHI10,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Category::NHI1 => "Improper Offboarding",
            Category::NHI2 => "Secret Leakage",
            Category::NHI3 => "Vulnerable Third-Party NHI",
            Category::NHI4 => "Insecure Authentication",
            Category::NHI5 => "Overprivileged NHI",
            Category::NHI6 => "Insecure Cloud Deployment Configurations",
            Category::NHI7 => "Long-Lived Secrets",
            Category::NHI8 => "Environment Isolation",
            Category::NHI9 => "NHI Reuse",
            Category::NHI10 => "Human Use of NHI",
        }
    }

    /// What a finding of the category means, for SARIF rules.
    pub fn description(self) -> &'static str {
        match self {
            Category::NHI1 => {
                "A non-human identity or credential that is no longer used, or has no owner, still grants access."
            }
            Category::NHI2 => {
                "A secret that many identities can read, or a credential stored on several platforms: each copy is a place it leaks from."
            }
            Category::NHI3 => {
                "Code or an app another organisation controls runs with access that leads to a crown jewel."
            }
            Category::NHI4 => {
                "An identity signs in with a password-like secret, or keeps a long-lived key although federation already reaches it."
            }
            Category::NHI5 => {
                "A non-human identity with admin-equivalent permissions, or permissions that escalate to more."
            }
            Category::NHI6 => {
                "A trust that anyone on the internet (or any account of a platform) can satisfy."
            }
            Category::NHI7 => {
                "A long-lived credential that has not been rotated within the threshold."
            }
            Category::NHI8 => {
                "One identity crosses environments: used from several, or reaching into another."
            }
            Category::NHI9 => {
                "One identity or credential shared by several workloads: revoking it stops them all, and any of them leaks it."
            }
            Category::NHI10 => {
                "People use a non-human identity: they sign in as it, impersonate it or read its credential."
            }
        }
    }

    /// The categories this version checks.
    pub const CHECKED: [Category; 10] = [
        Category::NHI1,
        Category::NHI2,
        Category::NHI3,
        Category::NHI4,
        Category::NHI5,
        Category::NHI6,
        Category::NHI7,
        Category::NHI8,
        Category::NHI9,
        Category::NHI10,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// When a credential counts as unrotated or unused, and a secret or identity as shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// A long-lived credential older than this (since creation or its last rotation).
    pub rotate_after_days: u32,
    /// A credential whose last use is older than this.
    pub unused_after_days: u32,
    /// A secret readable by this many identities or workloads, or an identity or
    /// credential used by this many workloads.
    pub shared_by: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            rotate_after_days: 90,
            unused_after_days: 90,
            shared_by: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable across runs on the same inputs: the rule and the keys it is about.
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    pub nodes: Vec<NodeId>,
    pub title: String,
    /// Facts from the inputs: dates, tags, edge reasons.
    pub evidence: Vec<String>,
    /// Ids of the revocation actions (the inputs' `revoke` entries, as `plan` lists
    /// them) that remove the finding.
    pub fix: Vec<String>,
}

pub struct Audit {
    pub at: Timestamp,
    pub thresholds: Thresholds,
    /// By severity, then category, then id.
    pub findings: Vec<Finding>,
}

/// Whether a node leads to a crown jewel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    Certain,
    /// Only through edges with conditions trustpath did not evaluate.
    Conditional,
    None,
}

impl Reach {
    fn evidence(self) -> String {
        match self {
            Reach::Certain => "can reach a crown jewel".into(),
            Reach::Conditional => {
                "can reach a crown jewel only if unevaluated conditions hold".into()
            }
            Reach::None => "reaches no crown jewel".into(),
        }
    }
}

/// What every rule reads: the graph, the time, the thresholds, and who reaches a crown
/// jewel.
struct Ctx<'g> {
    graph: &'g TrustGraph,
    at: Timestamp,
    thresholds: Thresholds,
    /// Who can reach a crown jewel (the jewels themselves included); `None` without any.
    reachers: Option<Reachers>,
    /// The people in each group asked about so far (NHI10): a group granted on a thousand
    /// service accounts is read once.
    people_in: RefCell<FxHashMap<NodeId, Rc<identities::Members>>>,
}

impl Ctx<'_> {
    fn reach(&self, n: NodeId) -> Reach {
        match &self.reachers {
            Some(r) if r.contains_unconditionally(n) => Reach::Certain,
            Some(r) if r.contains(n) => Reach::Conditional,
            _ => Reach::None,
        }
    }

    /// A date from the inputs, unless it is after `at`: as far as the audit is concerned
    /// it has not happened yet.
    fn past(&self, t: Option<Timestamp>) -> Option<Timestamp> {
        t.filter(|&t| t <= self.at)
    }

    fn days_since(&self, since: Timestamp) -> i64 {
        self.at.duration_since(since).as_hours() / 24
    }
}

impl Audit {
    pub fn run(graph: &TrustGraph, at: Timestamp, thresholds: Thresholds) -> Audit {
        // The exposure's searches, without ranking anyone.
        let reachers = Reachers::of_crown_jewels(graph, at);
        let ctx = Ctx {
            graph,
            at,
            thresholds,
            reachers,
            people_in: RefCell::default(),
        };
        let mut findings = Vec::new();
        for node in graph.nodes_by_key() {
            rules::check(&ctx, node, &mut findings);
        }
        findings
            .sort_by(|a, b| (a.severity, a.category, &a.id).cmp(&(b.severity, b.category, &b.id)));
        Audit {
            at,
            thresholds,
            findings,
        }
    }
}

#[cfg(test)]
mod tests;
