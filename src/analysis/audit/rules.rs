//! The audit's rules, run node by node, and what they share. Each looks at one node and
//! its own edges (never a search of its own: reach to a crown jewel is read from
//! [`Ctx::reach`]), so a million-node audit is one pass.

use super::credentials::{credential, secret};
use super::identities::{admin, crossing_environments, identity};
use super::outsiders::{third_party, world_assumable};
use super::{Ctx, Finding, Reach, Severity};
use crate::model::{EdgeId, NodeId, NodeKind, Outsider};

/// Edges and nodes named in a finding's evidence; the rest are counted (an action used by
/// hundreds of workflows is one finding, not hundreds of lines of evidence).
pub(super) const SHOWN: usize = 5;

/// Runs every rule on `node`.
pub(super) fn check(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let n = graph.node(node);
    // Outsiders are findings of their own (NHI3, NHI6), never owned or reused ones.
    match graph.facts(node).outsider {
        Some(Outsider::ThirdParty) => {
            if ctx.reach(node) != Reach::None {
                out.push(third_party(ctx, node));
            }
            return;
        }
        Some(Outsider::Public) => return world_assumable(ctx, node, out),
        None => {}
    }
    // A placeholder for something the inputs only name: nothing is known of its owner,
    // its permissions or its use.
    if n.tags.contains_key("not_in_inputs") {
        return;
    }
    if matches!(
        n.kind,
        NodeKind::ServiceAccount | NodeKind::Role | NodeKind::Credential | NodeKind::Workload
    ) {
        crossing_environments(ctx, node, out);
    }
    match n.kind {
        NodeKind::Credential => {
            credential(ctx, node, out);
            // A credential bound to an admin capability itself (a Vault root token).
            out.extend(admin(ctx, node));
        }
        NodeKind::ServiceAccount | NodeKind::Role => identity(ctx, node, out),
        NodeKind::Secret => secret(ctx, node, out),
        NodeKind::Workload => out.extend(admin(ctx, node)),
        _ => {}
    }
}

/// The revoke ids of a node's own entries.
pub(super) fn own_fix(ctx: &Ctx<'_>, node: NodeId) -> Vec<String> {
    ctx.graph
        .node(node)
        .revoke
        .entries()
        .map(|r| r.id().to_string())
        .collect()
}

/// The revoke ids of some edges, sorted and once each.
pub(super) fn edge_fix(ctx: &Ctx<'_>, edges: impl IntoIterator<Item = EdgeId>) -> Vec<String> {
    let mut fix: Vec<String> = edges
        .into_iter()
        .flat_map(|e| ctx.graph.edge(e).revoke.entries())
        .map(|r| r.id().to_string())
        .collect();
    fix.sort();
    fix.dedup();
    fix
}

/// Up to [`SHOWN`] lines, then how many more there were.
pub(super) fn shown(evidence: &mut Vec<String>, lines: impl ExactSizeIterator<Item = String>) {
    let total = lines.len();
    evidence.extend(lines.take(SHOWN));
    if total > SHOWN {
        evidence.push(format!("and {} more", total - SHOWN));
    }
}

/// A finding's evidence when it is a list: its first lines ([`shown`]), then whether the
/// node leads to a crown jewel.
pub(super) fn listing(
    ctx: &Ctx<'_>,
    node: NodeId,
    lines: impl ExactSizeIterator<Item = String>,
) -> Vec<String> {
    let mut evidence = Vec::new();
    shown(&mut evidence, lines);
    evidence.push(ctx.reach(node).evidence());
    evidence
}

/// One line per edge out of the finding's node: `kind target: reason`.
pub(super) fn line_out(ctx: &Ctx<'_>, edge: EdgeId, to: NodeId) -> String {
    let e = ctx.graph.edge(edge);
    format!("{} {}: {}", e.kind, ctx.graph.key(to), e.reason)
}

/// One line per edge into the finding's node: `source kind: reason`.
pub(super) fn line_in(ctx: &Ctx<'_>, edge: EdgeId, from: NodeId) -> String {
    let e = ctx.graph.edge(edge);
    format!("{} {}: {}", ctx.graph.key(from), e.kind, e.reason)
}

/// Medium when the node leads to a crown jewel for certain (or is admin), else low.
pub(super) fn weighed(ctx: &Ctx<'_>, node: NodeId) -> Severity {
    if ctx.reach(node) == Reach::Certain || ctx.graph.facts(node).admin {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// High when the node leads to a crown jewel for certain, else medium.
pub(super) fn serious(ctx: &Ctx<'_>, node: NodeId) -> Severity {
    if ctx.reach(node) == Reach::Certain {
        Severity::High
    } else {
        Severity::Medium
    }
}

/// Edges into `node` that an attacker could use now: not dormant, from a usable node.
pub(super) fn live_in<'a>(
    ctx: &'a Ctx<'_>,
    node: NodeId,
) -> impl Iterator<Item = (EdgeId, NodeId)> + 'a {
    let graph = ctx.graph;
    graph
        .incoming(node)
        .filter(move |&(e, _)| graph.traversable(e, ctx.at))
}

/// Edges out of `node` that an attacker could use now, into usable nodes.
pub(super) fn live_out<'a>(
    ctx: &'a Ctx<'_>,
    node: NodeId,
) -> impl Iterator<Item = (EdgeId, NodeId)> + 'a {
    let graph = ctx.graph;
    graph
        .outgoing(node)
        .filter(move |&(e, to)| graph.traversable(e, ctx.at) && graph.node(to).usable_at(ctx.at))
}
