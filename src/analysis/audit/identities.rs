//! Rules on identities and how they are used: NHI1 (no owner), NHI5, NHI8, NHI9, NHI10.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use super::rules::{
    edge_fix, line_in, line_out, listing, live_in, live_out, own_fix, serious, shown, weighed,
};
use super::{Category, Ctx, Finding, Reach, Severity};
use crate::model::{EdgeId, EdgeKind, NodeId, NodeKind};

/// NHI9: an identity or credential that `shared_by` or more workloads use directly (run
/// as, sign in with, assume, read). A workload that another user of the node controls
/// (a pod of a Deployment's ReplicaSet) is that one's use, not one more. A secret many
/// read is NHI2's, at the secret: counting it again for every credential it holds made
/// the work and the report grow with their product.
pub(super) fn used_by_workloads(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
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
    // Each workload once, with the first edge that shows its use.
    let mut all: BTreeMap<NodeId, EdgeId> = BTreeMap::new();
    for (e, from) in live_in(ctx, node) {
        if graph.node(from).kind == NodeKind::Workload && uses(e) {
            all.entry(from).or_insert(e);
        }
    }
    let controlled = |w: NodeId| {
        graph.incoming(w).any(|(e, by)| {
            by != w && all.contains_key(&by) && graph.edge(e).kind == EdgeKind::CanControl
        })
    };
    let users: BTreeMap<&str, (EdgeId, NodeId)> = all
        .iter()
        .filter(|&(&w, _)| !controlled(w))
        .map(|(&w, &e)| (graph.key(w), (e, w)))
        .collect();
    if users.len() < ctx.thresholds.shared_by as usize || users.len() < 2 {
        return;
    }
    let evidence = listing(ctx, node, users.values().map(|&(e, w)| line_in(ctx, e, w)));
    out.push(Finding {
        id: format!("NHI9:shared:{}", graph.key(node)),
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

/// Whether a role is a set of permissions that identities hold (Kubernetes, GCP, Azure
/// and Vault roles and policies, the admin capabilities importers add) rather than an
/// identity with sessions of its own (an AWS IAM role, and a role of a native graph).
/// Findings about owners and admin rights belong to whoever holds a permission set.
pub(super) fn permission_set(ctx: &Ctx<'_>, node: NodeId) -> bool {
    let n = ctx.graph.node(node);
    matches!(n.kind, NodeKind::Role | NodeKind::Group)
        && (n.tags.contains_key("meaning")
            || matches!(n.platform, "k8s" | "gcp" | "azure" | "vault"))
}

/// Whether an owner is on record: the inventory's, an `owner` tag, or a person with
/// control of the identity (an Entra app's owners).
fn owned(ctx: &Ctx<'_>, node: NodeId) -> bool {
    let graph = ctx.graph;
    let n = graph.node(node);
    n.owner.is_some()
        || n.tags
            .keys()
            .any(|k| k.eq_ignore_ascii_case("owner") || k.eq_ignore_ascii_case("team"))
        || live_in(ctx, node).any(|(e, from)| {
            graph.node(from).kind == NodeKind::Human && graph.edge(e).kind == EdgeKind::CanControl
        })
}

/// NHI1 (no owner), NHI5 (admin, escalation), NHI4 (a key beside federation), NHI9
/// (shared), NHI10 (human use) for a service account or an identity role.
pub(super) fn identity(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let n = graph.node(node);
    // The platform's own roles: nobody in the organisation owns or trims them.
    if n.tags.get("service_linked").is_some_and(|v| v == "true") || permission_set(ctx, node) {
        return;
    }
    let is_admin = graph.facts(node).admin;
    let reach = ctx.reach(node);
    if !owned(ctx, node) && (is_admin || reach != Reach::None) {
        let mut evidence = vec!["no owner in the inputs or the inventory".to_string()];
        if is_admin {
            evidence.push("admin-equivalent".into());
        }
        evidence.push(reach.evidence());
        out.push(Finding {
            id: format!("NHI1:no-owner:{}", n.key),
            category: Category::NHI1,
            // Exports rarely carry owners: an unowned identity is a finding to fix in
            // the inventory, pressing only when it is admin.
            severity: if is_admin {
                Severity::Medium
            } else {
                Severity::Low
            },
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
    key_beside_federation(ctx, node, out);
    used_by_workloads(ctx, node, out);
    human_use(ctx, node, out);
}

/// Edges that put their source in the shoes of their target.
fn becomes(kind: EdgeKind) -> bool {
    matches!(
        kind,
        EdgeKind::CanAssume | EdgeKind::RunsAs | EdgeKind::AuthenticatesAs | EdgeKind::MemberOf
    )
}

/// NHI5: a non-human identity (or a workload) with admin-equivalent permissions, its own
/// or held through a permission set (a binding to cluster-admin, a Global Administrator
/// role, the Vault root policy). A role only people use is a person's admin role, not an
/// NHI's: it needs a machine among those that assume it (not an admin capability that
/// can take over anything, not a SAML provider people sign in through).
pub(super) fn admin(ctx: &Ctx<'_>, node: NodeId) -> Option<Finding> {
    let graph = ctx.graph;
    let n = graph.node(node);
    let held: Vec<(EdgeId, NodeId)> = live_out(ctx, node)
        .filter(|&(e, to)| {
            becomes(graph.edge(e).kind) && graph.facts(to).admin && permission_set(ctx, to)
        })
        .collect();
    if !graph.facts(node).admin && held.is_empty() {
        return None;
    }
    let machine = |e: EdgeId, from: NodeId| {
        let f = graph.node(from);
        becomes(graph.edge(e).kind)
            && !graph.facts(from).admin
            && match f.kind {
                NodeKind::Human => false,
                NodeKind::Group => graph.facts(from).outsider.is_some(),
                NodeKind::Provider => !f.key.to_ascii_lowercase().contains("saml"),
                _ => true,
            }
    };
    if n.kind == NodeKind::Role
        && held.is_empty()
        && !live_in(ctx, node).any(|(e, f)| machine(e, f))
    {
        return None;
    }
    let place = match n.scope {
        Some(scope) => format!("{} {scope}", n.platform),
        None => n.platform.to_string(),
    };
    let mut evidence = Vec::new();
    if graph.facts(node).admin {
        evidence.push(format!("admin-equivalent on {place}"));
    }
    shown(
        &mut evidence,
        held.iter()
            .map(|&(e, to)| format!("holds {}", line_out(ctx, e, to))),
    );
    evidence.push(ctx.reach(node).evidence());
    let mut fix = edge_fix(ctx, held.iter().map(|&(e, _)| e));
    if fix.is_empty() {
        fix = own_fix(ctx, node);
    }
    Some(Finding {
        id: format!("NHI5:admin:{}", n.key),
        category: Category::NHI5,
        severity: Severity::High,
        nodes: vec![node],
        title: if held.is_empty() {
            format!("non-human identity with admin-equivalent permissions on {place}")
        } else {
            let sets: Vec<&str> = held.iter().map(|&(_, to)| graph.key(to)).collect();
            format!(
                "non-human identity holds admin-equivalent {}",
                sets.join(", ")
            )
        },
        evidence,
        fix,
    })
}

/// NHI4: long-lived keys that sign in as an identity federation already reaches (a
/// workload that runs as it or an OIDC trust: GitHub jobs and repositories, workload
/// identity pools, identity providers): standing secrets nothing needs. One finding per
/// identity, so an identity with thousands of keys costs its own degree.
fn key_beside_federation(ctx: &Ctx<'_>, identity: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let (mut keys, mut federated) = (Vec::new(), Vec::new());
    for (e, from) in live_in(ctx, identity) {
        let f = graph.node(from);
        match (graph.edge(e).kind, f.kind) {
            (EdgeKind::AuthenticatesAs, NodeKind::Credential) if f.is_long_lived_credential() => {
                keys.push((e, from));
            }
            (EdgeKind::RunsAs, NodeKind::Workload)
            | (
                EdgeKind::CanAssume,
                NodeKind::Workload | NodeKind::Provider | NodeKind::Group | NodeKind::Resource,
            ) => federated.push((e, from)),
            _ => {}
        }
    }
    if keys.is_empty() || federated.is_empty() {
        return;
    }
    let mut evidence = Vec::new();
    shown(
        &mut evidence,
        keys.iter()
            .map(|&(_, k)| format!("long-lived key {}", graph.key(k))),
    );
    shown(
        &mut evidence,
        federated
            .iter()
            .map(|&(e, f)| format!("federated: {}", line_in(ctx, e, f))),
    );
    evidence.push(ctx.reach(identity).evidence());
    let mut fix: Vec<String> = keys.iter().flat_map(|&(_, k)| own_fix(ctx, k)).collect();
    fix.sort();
    fix.dedup();
    out.push(Finding {
        id: format!("NHI4:key-beside-federation:{}", graph.key(identity)),
        category: Category::NHI4,
        severity: serious(ctx, identity),
        nodes: vec![identity],
        title: format!(
            "{} long-lived key{} sign{} in as an identity that federation already reaches",
            keys.len(),
            if keys.len() == 1 { "" } else { "s" },
            if keys.len() == 1 { "s" } else { "" },
        ),
        evidence,
        fix,
    });
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
            let to = &graph.key(to);
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
        id: format!("NHI5:escalation:{}", graph.key(node)),
        category: Category::NHI5,
        severity: if to_admin {
            Severity::High
        } else {
            serious(ctx, node)
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
/// credential (hold it, read it), themselves or through a group they are in.
pub(super) fn people(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let n = graph.node(node);
    // Acting as it or holding its secret; not owning it (NHI1's) or escalating into it
    // (NHI5's, at the person's permissions).
    let grants: Vec<(EdgeId, NodeId)> = live_in(ctx, node)
        .filter(|&(e, from)| {
            matches!(graph.node(from).kind, NodeKind::Human | NodeKind::Group)
                && matches!(
                    graph.edge(e).kind,
                    EdgeKind::CanAssume | EdgeKind::AuthenticatesAs | EdgeKind::CanRead
                )
        })
        .collect();
    let mut everyone = BTreeSet::new();
    let mut lines = Vec::new();
    let mut held = Vec::new();
    for &(e, from) in &grants {
        if graph.node(from).kind == NodeKind::Human {
            everyone.insert(from);
            lines.push(line_in(ctx, e, from));
            held.push((e, from));
            continue;
        }
        let members = people_in(ctx, from);
        if members.people.is_empty() && members.cut_short {
            // No person within reach of the cap: unknown, not a group of machines.
            lines.push(format!(
                "{} (no people in its first {GROUPS_FOLLOWED} nested groups; the others not read)",
                line_in(ctx, e, from)
            ));
            held.push((e, from));
            continue;
        }
        if members.people.is_empty() {
            continue; // a group of machines: NHI9's and NHI2's to weigh
        }
        let names: Vec<&str> = members
            .people
            .iter()
            .take(SHOWN_MEMBERS)
            .map(|&m| graph.key(m))
            .collect();
        let more = members.people.len().saturating_sub(SHOWN_MEMBERS);
        lines.push(format!(
            "{} (people in it: {}{}){}",
            line_in(ctx, e, from),
            names.join(", "),
            if more > 0 {
                format!(", and {more} more")
            } else {
                String::new()
            },
            if members.cut_short {
                format!("; stopped after {GROUPS_FOLLOWED} nested groups, people in the others not counted")
            } else {
                String::new()
            }
        ));
        everyone.extend(members.people.iter().copied());
        held.push((e, from));
    }
    if held.is_empty() {
        return;
    }
    let evidence = listing(ctx, node, lines.into_iter());
    let through_groups = held
        .iter()
        .filter(|&&(_, from)| graph.node(from).kind == NodeKind::Group)
        .count();
    out.push(Finding {
        id: format!("NHI10:people:{}", n.key),
        category: Category::NHI10,
        severity: weighed(ctx, node),
        // The person, or the group that stands for its people.
        nodes: std::iter::once(node)
            .chain(held.iter().map(|&(_, p)| p))
            .collect(),
        title: format!(
            "{} {}{}",
            match everyone.len() {
                // Only groups nested past the cap, unread: said as unknown.
                0 => "people may be able to".into(),
                1 => "1 person can".into(),
                k => format!("{k} people can"),
            },
            if n.kind == NodeKind::Credential {
                "hold or read this credential"
            } else {
                "act as this service account"
            },
            match through_groups {
                0 => String::new(),
                1 => " (through a group)".into(),
                g => format!(" (through {g} groups)"),
            }
        ),
        evidence,
        fix: edge_fix(ctx, held.iter().map(|&(e, _)| e)),
    });
}

/// Members named in a group's NHI10 evidence line.
const SHOWN_MEMBERS: usize = 3;

/// Groups followed into nested groups, at most, per group granted: a group of every
/// team's group is common (an all-engineering group of a few hundred teams), but a cycle
/// or a huge tree must not make the audit quadratic. Past it the evidence says so.
pub(super) const GROUPS_FOLLOWED: usize = 1024;

/// The people in a group (see [`people_in`]).
pub(super) struct Members {
    /// By key.
    pub people: Vec<NodeId>,
    /// Nested groups were left unread at [`GROUPS_FOLLOWED`]: there may be more people.
    pub cut_short: bool,
}

/// The people in `group` through usable memberships, nested groups followed (at most
/// [`GROUPS_FOLLOWED`] groups); read once per group.
fn people_in(ctx: &Ctx<'_>, group: NodeId) -> Rc<Members> {
    if let Some(known) = ctx.people_in.borrow().get(&group) {
        return Rc::clone(known);
    }
    let members = Rc::new(read_people_in(ctx, group));
    ctx.people_in
        .borrow_mut()
        .insert(group, Rc::clone(&members));
    members
}

fn read_people_in(ctx: &Ctx<'_>, group: NodeId) -> Members {
    let graph = ctx.graph;
    let mut people = BTreeSet::new();
    let mut seen = BTreeSet::from([group]);
    let mut queue = vec![group];
    let mut cut_short = false;
    while let Some(g) = queue.pop() {
        for (e, member) in live_in(ctx, g) {
            if graph.edge(e).kind != EdgeKind::MemberOf {
                continue;
            }
            match graph.node(member).kind {
                NodeKind::Human => {
                    people.insert(member);
                }
                NodeKind::Group if !seen.contains(&member) => {
                    if seen.len() < GROUPS_FOLLOWED {
                        seen.insert(member);
                        queue.push(member);
                    } else {
                        cut_short = true;
                    }
                }
                _ => {}
            }
        }
    }
    let mut people: Vec<NodeId> = people.into_iter().collect();
    people.sort_by_key(|&p| graph.key_rank(p));
    Members { people, cut_short }
}

/// An environment's name as compared: case and common spellings folded, so that `prod`,
/// `Production` and `prd` are one environment.
fn environment(name: &str) -> String {
    let name = name.trim().to_ascii_lowercase();
    match name.as_str() {
        "prod" | "production" | "prd" | "live" => "production".into(),
        "stage" | "staging" | "stg" => "staging".into(),
        "dev" | "development" => "development".into(),
        "test" | "testing" | "tst" => "test".into(),
        _ => name,
    }
}

fn production(environment: &str) -> bool {
    environment == "production"
}

/// NHI8: a node in one environment with usable edges into another, and an identity used
/// from several. Only environments the inputs name are compared.
pub(super) fn crossing_environments(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let n = graph.node(node);
    // As written in the inputs, for evidence; folded, for comparing.
    let written = |m: NodeId| {
        graph
            .node(m)
            .environment
            .map(str::trim)
            .filter(|e| !e.is_empty())
    };
    let env = |m: NodeId| written(m).map(environment);
    if let Some(own) = env(node) {
        let into: Vec<(EdgeId, NodeId)> = live_out(ctx, node)
            .filter(|&(_, to)| env(to).is_some_and(|e| e != own))
            .collect();
        if !into.is_empty() {
            let others: BTreeSet<String> = into.iter().filter_map(|&(_, to)| env(to)).collect();
            let into_production = !production(&own) && others.iter().any(|e| production(e));
            let mut evidence = Vec::new();
            shown(
                &mut evidence,
                into.iter().map(|&(e, to)| {
                    format!("{} ({})", line_out(ctx, e, to), written(to).unwrap_or(""))
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
    let from: BTreeSet<String> = users.iter().filter_map(|&(_, u)| env(u)).collect();
    if from.len() < 2 {
        return;
    }
    let evidence = listing(
        ctx,
        node,
        users
            .iter()
            .map(|&(e, u)| format!("{} ({})", line_in(ctx, e, u), written(u).unwrap_or(""))),
    );
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
