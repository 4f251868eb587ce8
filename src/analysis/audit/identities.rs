//! Rules on identities and how they are used: NHI1 (no owner), NHI5, NHI8, NHI9, NHI10.

use std::collections::{BTreeMap, BTreeSet};

use super::rules::{edge_fix, line_in, line_out, live_in, live_out, own_fix, shown, weighed};
use super::{Category, Ctx, Finding, Reach, Severity};
use crate::model::{EdgeId, EdgeKind, NodeId, NodeKind};

/// NHI9: an identity or credential that `shared_by` or more workloads use (run as, sign
/// in with, or read, directly or from a secret that holds it).
pub(super) fn used_by_workloads(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let workload = |n: NodeId| graph.node(n).kind == NodeKind::Workload;
    let uses = |e: EdgeId| {
        matches!(
            graph.edge(e).kind,
            EdgeKind::RunsAs
                | EdgeKind::AuthenticatesAs
                | EdgeKind::CanAssume
                | EdgeKind::CanRead
                | EdgeKind::CanAccess
        )
    };
    // Each workload once, with the first edge that shows its use and what that edge
    // leads to (the node itself, or a secret holding it).
    let mut users: BTreeMap<&str, (EdgeId, NodeId)> = BTreeMap::new();
    for (e, from) in live_in(ctx, node) {
        if workload(from) && uses(e) {
            users.entry(&graph.node(from).key).or_insert((e, node));
        } else if graph.node(from).kind == NodeKind::Secret
            && graph.edge(e).kind == EdgeKind::Contains
        {
            for (read, reader) in live_in(ctx, from).filter(|&(r, w)| workload(w) && uses(r)) {
                users.entry(&graph.node(reader).key).or_insert((read, from));
            }
        }
    }
    if users.len() < ctx.thresholds.shared_by as usize || users.len() < 2 {
        return;
    }
    let mut evidence = Vec::new();
    shown(
        &mut evidence,
        users.iter().map(|(user, &(e, via))| {
            let edge = graph.edge(e);
            if via == node {
                format!("{user} {}: {}", edge.kind, edge.reason)
            } else {
                format!(
                    "{user} {} {}: {}",
                    edge.kind,
                    graph.node(via).key,
                    edge.reason
                )
            }
        }),
    );
    evidence.push(ctx.reach(node).evidence());
    out.push(Finding {
        id: format!("NHI9:shared:{}", graph.node(node).key),
        category: Category::NHI9,
        severity: weighed(ctx, node),
        nodes: vec![node],
        title: format!(
            "used by {} workloads (threshold {}): revoking it stops them all, and any of them leaks it",
            users.len(),
            ctx.thresholds.shared_by
        ),
        evidence,
        fix: edge_fix(ctx, users.values().map(|&(e, _)| e)),
    });
}

/// NHI1 (no owner), NHI5 (admin, escalation), NHI9 (shared), NHI10 (human use) for a
/// service account or role.
pub(super) fn identity(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let n = graph.node(node);
    // The platform's own roles: nobody in the organisation owns or trims them.
    if n.tags.get("service_linked").is_some_and(|v| v == "true") {
        return;
    }
    let is_admin = graph.facts(node).admin;
    let reach = ctx.reach(node);
    if n.owner.is_none() && (is_admin || reach != Reach::None) {
        let mut evidence = vec!["no owner in the inputs or the inventory".to_string()];
        if is_admin {
            evidence.push("admin-equivalent".into());
        }
        evidence.push(reach.evidence());
        out.push(Finding {
            id: format!("NHI1:no-owner:{}", n.key),
            category: Category::NHI1,
            severity: weighed(ctx, node),
            nodes: vec![node],
            title: "no owner on record for an identity with access that matters: nobody to ask before revoking it".into(),
            evidence,
            fix: own_fix(ctx, node),
        });
    }
    match admin(ctx, node) {
        Some(finding) => out.push(finding),
        None => escalation(ctx, node, out),
    }
    used_by_workloads(ctx, node, out);
    human_use(ctx, node, out);
}

/// NHI5: a non-human identity (or a workload) with admin-equivalent permissions. A role
/// only people and their groups can assume is a person's admin role, not an NHI's.
pub(super) fn admin(ctx: &Ctx<'_>, node: NodeId) -> Option<Finding> {
    let graph = ctx.graph;
    if !graph.facts(node).admin {
        return None;
    }
    let n = graph.node(node);
    let machine =
        |from: NodeId| !matches!(graph.node(from).kind, NodeKind::Human | NodeKind::Group);
    if n.kind == NodeKind::Role && !live_in(ctx, node).any(|(_, from)| machine(from)) {
        return None;
    }
    let place = match n.scope.as_deref() {
        Some(scope) => format!("{} {scope}", n.platform),
        None => n.platform.to_string(),
    };
    Some(Finding {
        id: format!("NHI5:admin:{}", n.key),
        category: Category::NHI5,
        severity: Severity::High,
        nodes: vec![node],
        title: format!("non-human identity with admin-equivalent permissions on {place}"),
        evidence: vec![
            format!("admin-equivalent on {place}"),
            ctx.reach(node).evidence(),
        ],
        fix: own_fix(ctx, node),
    })
}

/// NHI5: an identity whose permissions escalate (each technique named on its edge).
fn escalation(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let escalates: Vec<(EdgeId, NodeId)> = live_out(ctx, node)
        .filter(|&(e, _)| graph.edge(e).kind == EdgeKind::CanEscalate)
        .collect();
    if escalates.is_empty() {
        return;
    }
    let mut evidence = Vec::new();
    shown(
        &mut evidence,
        escalates.iter().map(|&(e, to)| {
            let edge = graph.edge(e);
            let to = &graph.node(to).key;
            match edge.technique {
                // Reasons of escalation edges usually start with their technique.
                Some(t) if !edge.reason.starts_with(t) => format!("{t} → {to}: {}", edge.reason),
                _ => format!("→ {to}: {}", edge.reason),
            }
        }),
    );
    let to_admin = escalates.iter().any(|&(_, to)| graph.facts(to).admin);
    if to_admin {
        evidence.push("escalates to an admin-equivalent identity".into());
    }
    evidence.push(ctx.reach(node).evidence());
    out.push(Finding {
        id: format!("NHI5:escalation:{}", graph.node(node).key),
        category: Category::NHI5,
        severity: if to_admin || ctx.reach(node) == Reach::Certain {
            Severity::High
        } else {
            Severity::Medium
        },
        nodes: vec![node],
        title: format!(
            "permissions that escalate to more ({} way{})",
            escalates.len(),
            if escalates.len() == 1 { "" } else { "s" }
        ),
        evidence,
        fix: edge_fix(ctx, escalates.iter().map(|&(e, _)| e)),
    });
}

/// NHI10: identities an export marks as used by a person, and people who can act as a
/// service account (roles are made for people to assume, so a person assuming one is no
/// finding).
fn human_use(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let n = graph.node(node);
    if n.tags
        .get("human_use_suspected")
        .is_some_and(|v| v == "true")
    {
        let mut evidence =
            vec!["console password and active access keys on one identity".to_string()];
        for tag in ["console_password", "mfa"] {
            if let Some(v) = n.tags.get(tag) {
                evidence.push(format!("{tag}: {v}"));
            }
        }
        evidence.push(ctx.reach(node).evidence());
        out.push(Finding {
            id: format!("NHI10:signs-in:{}", n.key),
            category: Category::NHI10,
            severity: weighed(ctx, node),
            nodes: vec![node],
            title: "a person signs in as this non-human identity".into(),
            evidence,
            fix: own_fix(ctx, node),
        });
    }
    if n.kind == NodeKind::ServiceAccount {
        people(ctx, node, out);
    }
}

/// NHI10: people with a usable edge into a service account (impersonate, sign in as) or a
/// credential (hold it, read it).
pub(super) fn people(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let n = graph.node(node);
    let people: Vec<(EdgeId, NodeId)> = live_in(ctx, node)
        .filter(|&(_, from)| graph.node(from).kind == NodeKind::Human)
        .collect();
    if people.is_empty() {
        return;
    }
    let mut evidence = Vec::new();
    shown(
        &mut evidence,
        people.iter().map(|&(e, from)| line_in(ctx, e, from)),
    );
    evidence.push(ctx.reach(node).evidence());
    out.push(Finding {
        id: format!("NHI10:people:{}", n.key),
        category: Category::NHI10,
        severity: weighed(ctx, node),
        nodes: std::iter::once(node)
            .chain(people.iter().map(|&(_, p)| p))
            .collect(),
        title: format!(
            "{} {} can {}",
            people.len(),
            if people.len() == 1 {
                "person"
            } else {
                "people"
            },
            if n.kind == NodeKind::Credential {
                "hold or read this credential"
            } else {
                "act as this service account"
            }
        ),
        evidence,
        fix: edge_fix(ctx, people.iter().map(|&(e, _)| e)),
    });
}

/// Environments named production, where a crossing matters most.
fn production(environment: &str) -> bool {
    matches!(
        environment.trim().to_ascii_lowercase().as_str(),
        "prod" | "production" | "prd" | "live"
    )
}

/// NHI8: a node in one environment with usable edges into another, and an identity used
/// from several. Only environments the inputs name are compared.
pub(super) fn crossing_environments(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let n = graph.node(node);
    let env = |m: NodeId| {
        graph
            .node(m)
            .environment
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
    };
    if let Some(own) = env(node) {
        let into: Vec<(EdgeId, NodeId)> = live_out(ctx, node)
            .filter(|&(_, to)| env(to).is_some_and(|e| !e.eq_ignore_ascii_case(own)))
            .collect();
        if !into.is_empty() {
            let others: BTreeSet<&str> = into.iter().filter_map(|&(_, to)| env(to)).collect();
            let into_production = !production(own) && others.iter().any(|e| production(e));
            let mut evidence = Vec::new();
            shown(
                &mut evidence,
                into.iter().map(|&(e, to)| {
                    format!("{} ({})", line_out(ctx, e, to), env(to).unwrap_or(""))
                }),
            );
            out.push(Finding {
                id: format!("NHI8:crosses:{}", n.key),
                category: Category::NHI8,
                severity: if into_production {
                    Severity::High
                } else {
                    Severity::Medium
                },
                nodes: vec![node],
                title: format!(
                    "in {own}, reaches into {}",
                    others.into_iter().collect::<Vec<_>>().join(", ")
                ),
                evidence,
                fix: edge_fix(ctx, into.iter().map(|&(e, _)| e)),
            });
        }
    }
    if !matches!(
        n.kind,
        NodeKind::ServiceAccount | NodeKind::Role | NodeKind::Credential
    ) {
        return;
    }
    // Used from several environments: by what runs as it, signs in with it or assumes it.
    let users: Vec<(EdgeId, NodeId)> = live_in(ctx, node)
        .filter(|&(e, _)| {
            matches!(
                graph.edge(e).kind,
                EdgeKind::RunsAs | EdgeKind::AuthenticatesAs | EdgeKind::CanAssume
            )
        })
        .filter(|&(_, from)| env(from).is_some())
        .collect();
    let from: BTreeSet<String> = users
        .iter()
        .filter_map(|&(_, u)| env(u).map(str::to_ascii_lowercase))
        .collect();
    if from.len() < 2 {
        return;
    }
    let mut evidence = Vec::new();
    shown(
        &mut evidence,
        users
            .iter()
            .map(|&(e, u)| format!("{} ({})", line_in(ctx, e, u), env(u).unwrap_or(""))),
    );
    evidence.push(ctx.reach(node).evidence());
    out.push(Finding {
        id: format!("NHI8:used-from:{}", n.key),
        category: Category::NHI8,
        severity: if from.iter().any(|e| production(e)) {
            Severity::High
        } else {
            Severity::Medium
        },
        nodes: vec![node],
        title: format!(
            "one identity used from {} environments ({})",
            from.len(),
            from.into_iter().collect::<Vec<_>>().join(", ")
        ),
        evidence,
        fix: edge_fix(ctx, users.iter().map(|&(e, _)| e)),
    });
}
