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

use super::exposure::Reachers;
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

    /// What a finding of the category means, for SARIF rules.
    pub fn description(self) -> &'static str {
        match self {
            Category::NHI1 => {
                "A non-human identity or credential that is no longer used, or has no owner, still grants access."
            }
            Category::NHI3 => {
                "Code or an app another organisation controls runs with access that leads to a crown jewel."
            }
            Category::NHI6 => {
                "A trust that anyone on the internet (or any account of a platform) can satisfy."
            }
            Category::NHI7 => {
                "A long-lived credential that has not been rotated within the threshold."
            }
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

impl Audit {
    pub fn run(graph: &TrustGraph, at: Timestamp, thresholds: Thresholds) -> Audit {
        let jewels: Vec<NodeId> = graph
            .node_ids()
            .filter(|&n| graph.facts(n).is_crown_jewel())
            .collect();
        // Who can reach a crown jewel (the jewels themselves included): the exposure's
        // searches, without ranking anyone.
        let exposure = Reachers::compute(graph, &jewels, at);
        let reach = |n: NodeId| {
            if jewels.is_empty() || !exposure.contains(n) {
                Reach::None
            } else if exposure.contains_unconditionally(n) {
                Reach::Certain
            } else {
                Reach::Conditional
            }
        };
        // Dates after `at` have not happened yet as far as the audit is concerned.
        let past = |t: Option<Timestamp>| t.filter(|&t| t <= at);
        let mut findings = Vec::new();
        for node in graph.nodes_by_key() {
            let n = graph.node(node);
            let facts = graph.facts(node);
            match facts.outsider {
                Some(Outsider::ThirdParty) if reach(node) != Reach::None => {
                    findings.push(third_party(graph, node, reach(node)));
                }
                Some(Outsider::Public) => findings.extend(world_assumable(graph, node, at, &reach)),
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
            let rotated = past(c.last_rotated)
                .into_iter()
                .chain(past(c.created))
                .max();
            if let Some(since) = rotated.filter(|_| c.is_long_lived())
                && days(since) > i64::from(thresholds.rotate_after_days)
            {
                let what = if past(c.last_rotated) == Some(since) {
                    "last rotated"
                } else {
                    "created"
                };
                findings.push(Finding {
                    id: format!("NHI7:unrotated:{}", n.key),
                    category: Category::NHI7,
                    severity: if reach(node) == Reach::Certain {
                        Severity::High
                    } else {
                        Severity::Medium
                    },
                    nodes: vec![node],
                    title: format!(
                        "long-lived credential {what} {} days ago (threshold {})",
                        days(since),
                        thresholds.rotate_after_days
                    ),
                    evidence: vec![
                        format!("{what} {since}"),
                        match c.expires {
                            Some(e) => format!("expires {e}"),
                            None => "no expiry".to_string(),
                        },
                        reach(node).evidence(),
                    ],
                    fix: fix.clone(),
                });
            }
            let idle = SignedDuration::from_hours(24 * i64::from(thresholds.unused_after_days));
            let unused = past(c.last_used).filter(|&used| at.duration_since(used) > idle);
            if let Some(used) = unused {
                findings.push(Finding {
                    id: format!("NHI1:unused:{}", n.key),
                    category: Category::NHI1,
                    severity: if reach(node) == Reach::Certain {
                        Severity::Medium
                    } else {
                        Severity::Low
                    },
                    nodes: vec![node],
                    title: format!(
                        "usable credential last used {} days ago (threshold {})",
                        days(used),
                        thresholds.unused_after_days
                    ),
                    evidence: vec![format!("last used {used}"), reach(node).evidence()],
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

/// NHI3: code or an app another organisation controls, with a way to a crown jewel.
fn third_party(graph: &TrustGraph, node: NodeId, reach: Reach) -> Finding {
    let n = graph.node(node);
    let pinned = n.tags.get("pinned").map(String::as_str);
    // Pins that can move under the code (`src/import/github/workflow.rs` `Pinned`); a
    // commit or an image digest cannot.
    let mutable = pinned.is_some_and(|p| matches!(p, "tag" | "branch" | "ref"));
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
    let live: Vec<_> = graph
        .outgoing(node)
        .filter(|&(e, _)| !graph.edge(e).dormant)
        .collect();
    for (i, &(e, to)) in live.iter().enumerate() {
        let edge = graph.edge(e);
        if i < SHOWN {
            let to = &graph.node(to).key;
            evidence.push(format!("{} {to}: {}", edge.kind, edge.reason));
        }
        fix.extend(edge.revoke.iter().map(|r| r.id.clone()));
    }
    if live.len() > SHOWN {
        evidence.push(format!("and {} more", live.len() - SHOWN));
    }
    fix.extend(n.revoke.iter().map(|r| r.id.clone()));
    fix.sort();
    fix.dedup();
    evidence.push(reach.evidence());
    Finding {
        id: format!("NHI3:third-party:{}", n.key),
        category: Category::NHI3,
        severity: match (mutable, reach) {
            (true, Reach::Certain) => Severity::High,
            (true, _) => Severity::Medium,
            (false, _) => Severity::Low,
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

/// NHI6: each usable edge out of a node that stands for anyone, into something usable.
fn world_assumable(
    graph: &TrustGraph,
    public: NodeId,
    at: Timestamp,
    reach: &impl Fn(NodeId) -> Reach,
) -> Vec<Finding> {
    let from = &graph.node(public).key;
    let mut seen: std::collections::HashMap<(NodeId, crate::model::EdgeKind), usize> =
        std::collections::HashMap::new();
    graph
        .outgoing(public)
        .filter(|&(e, to)| !graph.edge(e).dormant && graph.node(to).usable_at(at))
        .map(|(e, to)| {
            let edge = graph.edge(e);
            let key = &graph.node(to).key;
            // Parallel edges (one per trust statement) each get their own id, numbered in
            // the adjacency's stable order.
            let nth = seen.entry((to, edge.kind)).or_default();
            *nth += 1;
            let suffix = if *nth > 1 {
                format!(" #{nth}")
            } else {
                String::new()
            };
            let mut evidence = vec![edge.reason.to_string()];
            evidence.extend(
                edge.conditions
                    .iter()
                    .map(|c| format!("only if: {}", c.description)),
            );
            evidence.push(reach(to).evidence());
            Finding {
                id: format!("NHI6:world:{from} -> {key} ({}){suffix}", edge.kind),
                category: Category::NHI6,
                severity: match (edge.is_conditional(), reach(to)) {
                    (true, _) => Severity::Medium,
                    (false, Reach::Certain) => Severity::Critical,
                    (false, _) => Severity::High,
                },
                nodes: vec![to, public],
                title: if edge.is_conditional() {
                    format!(
                        "anyone ({from}) may reach {key} ({}), if its conditions hold",
                        edge.kind
                    )
                } else {
                    format!("anyone ({from}) reaches {key} ({})", edge.kind)
                },
                evidence,
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

    fn add(g: &mut TrustGraph, key: &str, kind: NodeKind) -> NodeId {
        g.add_node(Node::new(key, kind, Provenance::default()))
            .expect("new key")
    }

    /// A graph with a crown jewel `db` and a `role` that can read it.
    fn with_a_jewel() -> (TrustGraph, NodeId) {
        let mut g = TrustGraph::new();
        let jewel = add(&mut g, "db", NodeKind::Resource);
        let role = add(&mut g, "role", NodeKind::Role);
        g.node_mut(jewel).criticality = Some(9);
        g.add_edge(
            role,
            jewel,
            Edge::new(EdgeKind::CanAccess, "r", Provenance::default()),
        );
        (g, role)
    }

    fn listed(audit: &Audit) -> Vec<(&str, Severity)> {
        audit
            .findings
            .iter()
            .map(|f| (f.id.as_str(), f.severity))
            .collect()
    }

    /// Each rule fires on its positive case and stays quiet on the negative one beside it.
    #[test]
    fn each_rule_has_a_positive_and_a_negative_case() {
        let (mut g, role) = with_a_jewel();
        let mut add = |key: &str, kind: NodeKind| add(&mut g, key, kind);
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
        g.add_edge(anyone, public_role, edge(EdgeKind::CanAssume));
        let audit = Audit::run(&g, at(), Thresholds::default());
        assert_eq!(
            listed(&audit),
            [
                (
                    "NHI3:third-party:github:action:other/act@v1",
                    Severity::High
                ),
                (
                    "NHI6:world:aws:anyone -> public-role (can_assume)",
                    Severity::High
                ),
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

    /// What the review found: a rotation dated after `--at` does not hide an old key;
    /// a conditional public trust is not critical; parallel public trusts get their own
    /// ids; a dead credential anyone reaches is nothing to report; a digest is a pin.
    #[test]
    fn dates_conditions_and_ids_are_read_carefully() {
        let (mut g, role) = with_a_jewel();
        let mut add = |key: &str, kind: NodeKind| add(&mut g, key, kind);
        let anyone = add("aws:anyone", NodeKind::Group);
        let dead = add("dead", NodeKind::Credential);
        let key = add("key", NodeKind::Credential);
        let image = add("image", NodeKind::Workload);
        g.node_mut(dead).credential = Some(Box::new(Credential {
            status: Some("inactive".into()),
            ..Credential::default()
        }));
        g.node_mut(key).credential = Some(Box::new(Credential {
            status: Some("active".into()),
            created: ts("2020-01-01T00:00:00Z"),
            last_rotated: ts("2027-01-01T00:00:00Z"),
            ..Credential::default()
        }));
        let tags = &mut g.node_mut(image).tags;
        tags.insert("third_party".into(), "true".into());
        tags.insert("pinned".into(), "digest".into());
        let edge = || Edge::new(EdgeKind::CanAssume, "Principal *", Provenance::default());
        let mut org_only = edge();
        org_only.conditions.push(crate::model::Condition::described(
            "aws:PrincipalOrgID equals o-123",
        ));
        g.add_edge(anyone, role, edge());
        g.add_edge(anyone, role, org_only);
        g.add_edge(anyone, dead, edge());
        g.add_edge(key, role, edge());
        g.add_edge(image, role, edge());
        let audit = Audit::run(&g, at(), Thresholds::default());
        assert_eq!(
            listed(&audit),
            [
                (
                    "NHI6:world:aws:anyone -> role (can_assume)",
                    Severity::Critical
                ),
                ("NHI7:unrotated:key", Severity::High),
                (
                    "NHI6:world:aws:anyone -> role (can_assume) #2",
                    Severity::Medium
                ),
                ("NHI3:third-party:image", Severity::Low),
            ]
        );
        assert!(
            audit.findings[1].title.contains("created"),
            "{}",
            audit.findings[1].title
        );
    }
}
