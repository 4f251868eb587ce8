//! Audit: hygiene findings mapped to the OWASP Top 10 for Non-Human Identities (2025).
//!
//! Each rule reads facts the importers already put in the graph (credential dates and
//! statuses, `third_party` and `pinned` tags, public pseudo-nodes) and weighs a finding
//! by what it leads to: one search backwards from every crown jewel tells, for every node
//! at once, whether it can reach one (the same edges a blast radius follows).
//!
//! This is the first slice of the audit: NHI1 (unused credentials), NHI3 (third-party
//! code with reach into production), NHI6 (trusts anyone on the internet satisfies) and
//! NHI7 (long-lived credentials not rotated). The other categories are not checked yet,
//! and reports say so.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::Exposure;
use crate::model::{NodeId, NodeKind, Outsider, TrustGraph};

/// OWASP NHI Top 10 (2025) categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Category {
    /// Improper Offboarding: unused, ownerless or orphaned identities and credentials.
    NHI1,
    /// Vulnerable Third-Party NHI.
    NHI3,
    /// Insecure Cloud Deployment Configurations: trusts anyone can satisfy.
    NHI6,
    /// Long-Lived Secrets.
    NHI7,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Category::NHI1 => "Improper Offboarding",
            Category::NHI3 => "Vulnerable Third-Party NHI",
            Category::NHI6 => "Insecure Cloud Deployment Configurations",
            Category::NHI7 => "Long-Lived Secrets",
        }
    }

    /// The categories this version checks.
    pub const CHECKED: [Category; 4] = [
        Category::NHI1,
        Category::NHI3,
        Category::NHI6,
        Category::NHI7,
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

/// When a credential counts as unrotated or unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// A long-lived credential older than this (since creation or its last rotation).
    pub rotate_after_days: u32,
    /// A credential whose last use is older than this.
    pub unused_after_days: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            rotate_after_days: 90,
            unused_after_days: 90,
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

impl Audit {
    pub fn run(graph: &TrustGraph, at: Timestamp, thresholds: Thresholds) -> Audit {
        let jewels: Vec<NodeId> = graph
            .node_ids()
            .filter(|&n| graph.facts(n).is_crown_jewel())
            .collect();
        // Who can reach a crown jewel (the jewels themselves included).
        let reach = Exposure::compute(graph, &jewels, at);
        let reaches = |n: NodeId| !jewels.is_empty() && reach.contains(n);
        let mut findings = Vec::new();
        for node in graph.nodes_by_key() {
            let n = graph.node(node);
            let facts = graph.facts(node);
            match facts.outsider {
                Some(Outsider::ThirdParty) if reaches(node) => {
                    findings.push(third_party(graph, node));
                }
                Some(Outsider::Public) => findings.extend(world_assumable(graph, node, &reaches)),
                _ => {}
            }
            let Some(c) = n.credential.as_deref() else {
                continue;
            };
            if n.kind != NodeKind::Credential || !n.usable_at(at) {
                continue;
            }
            let days = |since: Timestamp| at.duration_since(since).as_hours() / 24;
            let fix: Vec<String> = n.revoke.iter().map(|r| r.id.clone()).collect();
            let rotated = c.last_rotated.into_iter().chain(c.created).max();
            if let Some(since) = rotated.filter(|_| c.is_long_lived())
                && days(since) > i64::from(thresholds.rotate_after_days)
            {
                let what = if c.last_rotated.is_some() {
                    "last rotated"
                } else {
                    "created"
                };
                findings.push(Finding {
                    id: format!("NHI7:unrotated:{}", n.key),
                    category: Category::NHI7,
                    severity: if reaches(node) {
                        Severity::High
                    } else {
                        Severity::Medium
                    },
                    nodes: vec![node],
                    title: format!(
                        "long-lived credential {what} {} days ago (over {})",
                        days(since),
                        thresholds.rotate_after_days
                    ),
                    evidence: vec![
                        format!("{what} {since}"),
                        match c.expires {
                            Some(e) => format!("expires {e}"),
                            None => "no expiry".to_string(),
                        },
                        reach_evidence(reaches(node)),
                    ],
                    fix: fix.clone(),
                });
            }
            let unused = c.last_used.filter(|&used| {
                at.duration_since(used)
                    > SignedDuration::from_hours(24 * i64::from(thresholds.unused_after_days))
            });
            if let Some(used) = unused {
                findings.push(Finding {
                    id: format!("NHI1:unused:{}", n.key),
                    category: Category::NHI1,
                    severity: if reaches(node) {
                        Severity::Medium
                    } else {
                        Severity::Low
                    },
                    nodes: vec![node],
                    title: format!(
                        "active credential unused for {} days (over {})",
                        days(used),
                        thresholds.unused_after_days
                    ),
                    evidence: vec![format!("last used {used}"), reach_evidence(reaches(node))],
                    fix,
                });
            }
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

fn reach_evidence(reaches: bool) -> String {
    if reaches {
        "can reach a crown jewel".into()
    } else {
        "reaches no crown jewel".into()
    }
}

/// NHI3: code or an app another organisation controls, with a way to a crown jewel.
fn third_party(graph: &TrustGraph, node: NodeId) -> Finding {
    let n = graph.node(node);
    let pinned = n.tags.get("pinned").map(String::as_str);
    let mutable = pinned.is_some_and(|p| p != "sha");
    let mut evidence = vec![match n.tags.get("third_party").map(String::as_str) {
        Some("true") | None => "owned by another organisation".to_string(),
        Some(org) => format!("owned by another organisation ({org})"),
    }];
    if let Some(p) = pinned {
        evidence.push(format!("pinned by {p}"));
    }
    // Where it runs, named a few times (an action used by hundreds of workflows is one
    // finding, not hundreds of lines of evidence); every place is in the fix.
    const SHOWN: usize = 5;
    let mut fix = Vec::new();
    let uses = graph.outgoing(node).len();
    for (i, (e, to)) in graph.outgoing(node).enumerate() {
        let edge = graph.edge(e);
        if i < SHOWN {
            let to = &graph.node(to).key;
            evidence.push(format!("{} {to}: {}", edge.kind, edge.reason));
        }
        fix.extend(edge.revoke.iter().map(|r| r.id.clone()));
    }
    if uses > SHOWN {
        evidence.push(format!("and {} more", uses - SHOWN));
    }
    fix.extend(n.revoke.iter().map(|r| r.id.clone()));
    fix.sort();
    fix.dedup();
    evidence.push(reach_evidence(true));
    Finding {
        id: format!("NHI3:third-party:{}", n.key),
        category: Category::NHI3,
        severity: if mutable {
            Severity::High
        } else {
            Severity::Low
        },
        nodes: vec![node],
        title: if mutable {
            "third-party code under a mutable pin can reach a crown jewel".into()
        } else {
            "third-party code or app can reach a crown jewel".into()
        },
        evidence,
        fix,
    }
}

/// NHI6: each edge out of a node that stands for anyone.
fn world_assumable(
    graph: &TrustGraph,
    public: NodeId,
    reaches: &impl Fn(NodeId) -> bool,
) -> Vec<Finding> {
    let from = &graph.node(public).key;
    graph
        .outgoing(public)
        .filter(|&(e, _)| !graph.edge(e).dormant)
        .map(|(e, to)| {
            let edge = graph.edge(e);
            let key = &graph.node(to).key;
            Finding {
                id: format!("NHI6:world:{from}:{key}"),
                category: Category::NHI6,
                severity: if reaches(to) {
                    Severity::Critical
                } else {
                    Severity::High
                },
                nodes: vec![to, public],
                title: format!("anyone ({from}) can {} {key}", edge.kind),
                evidence: vec![edge.reason.to_string(), reach_evidence(reaches(to))],
                fix: edge.revoke.iter().map(|r| r.id.clone()).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Credential, Edge, EdgeKind, Node, Provenance, Revoke};

    fn at() -> Timestamp {
        "2026-06-01T00:00:00Z".parse().expect("timestamp")
    }

    fn ts(s: &str) -> Option<Timestamp> {
        s.parse().ok()
    }

    /// Each rule fires on its positive case and stays quiet on the negative one beside it.
    #[test]
    fn each_rule_has_a_positive_and_a_negative_case() {
        let mut g = TrustGraph::new();
        let mut add = |key: &str, kind: NodeKind| {
            g.add_node(Node::new(key, kind, Provenance::default()))
                .expect("new key")
        };
        let jewel = add("db", NodeKind::Resource);
        let role = add("role", NodeKind::Role);
        let old = add("old-key", NodeKind::Credential);
        let fresh = add("fresh-key", NodeKind::Credential);
        let dead = add("dead-key", NodeKind::Credential);
        let idle = add("idle-key", NodeKind::Credential);
        let tag = add("github:action:other/act@v1", NodeKind::Workload);
        let sha = add("github:action:other/act@0123", NodeKind::Workload);
        let own = add("github:action:acme/act@v1", NodeKind::Workload);
        let anyone = add("aws:anyone", NodeKind::Group);
        let public_role = add("public-role", NodeKind::Role);
        let cred = |created: &str, used: &str, status: &str| Credential {
            status: Some(status.into()),
            created: ts(created),
            last_used: ts(used),
            ..Credential::default()
        };
        g.node_mut(jewel).criticality = Some(9);
        for (node, c) in [
            (
                old,
                cred("2025-01-01T00:00:00Z", "2026-05-30T00:00:00Z", "active"),
            ),
            (
                fresh,
                cred("2026-05-01T00:00:00Z", "2026-05-30T00:00:00Z", "active"),
            ),
            (
                dead,
                cred("2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z", "inactive"),
            ),
            (
                idle,
                cred("2026-04-01T00:00:00Z", "2026-01-01T00:00:00Z", "active"),
            ),
        ] {
            g.node_mut(node).credential = Some(Box::new(c));
        }
        g.node_mut(old).revoke = vec![Revoke {
            id: "deactivate:old-key".into(),
            action: Revoke::action_name("deactivate_key"),
            cost: 1,
            commands: Vec::new(),
            from_file: false,
        }];
        for (node, pinned, third) in [
            (tag, "tag", "true"),
            (sha, "sha", "true"),
            (own, "tag", "false"),
        ] {
            let tags = &mut g.node_mut(node).tags;
            tags.insert("pinned".into(), pinned.into());
            tags.insert("third_party".into(), third.into());
        }
        let edge = |kind| Edge::new(kind, "because", Provenance::default());
        for from in [old, fresh, dead, idle, tag, sha, own] {
            g.add_edge(from, role, edge(EdgeKind::CanAssume));
        }
        g.add_edge(role, jewel, edge(EdgeKind::CanAccess));
        g.add_edge(anyone, public_role, edge(EdgeKind::CanAssume));
        let audit = Audit::run(&g, at(), Thresholds::default());
        let ids: Vec<(&str, Severity)> = audit
            .findings
            .iter()
            .map(|f| (f.id.as_str(), f.severity))
            .collect();
        assert_eq!(
            ids,
            [
                (
                    "NHI3:third-party:github:action:other/act@v1",
                    Severity::High
                ),
                ("NHI6:world:aws:anyone:public-role", Severity::High),
                ("NHI7:unrotated:old-key", Severity::High),
                ("NHI1:unused:idle-key", Severity::Medium),
                (
                    "NHI3:third-party:github:action:other/act@0123",
                    Severity::Low
                ),
            ]
        );
        let old_key = &audit.findings[2];
        assert_eq!(old_key.category, Category::NHI7);
        assert_eq!(old_key.fix, ["deactivate:old-key"]);
        assert!(old_key.title.contains("516 days"), "{}", old_key.title);
    }
}
