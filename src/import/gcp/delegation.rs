//! `iam.serviceAccounts.implicitDelegation`: a member that holds it on an account can
//! pass a token request through that account to every account it can impersonate (a
//! delegation chain), without becoming the account itself.

use super::build::Build;
use crate::model::{Condition, EdgeKind, NodeId, Provenance, Revoke, TrustGraph};

/// A member that can pass a token request through an account (`implicitDelegation`):
/// it reaches whatever the account can impersonate, not the account itself.
pub(super) struct Delegation {
    pub(super) from: String,
    pub(super) through: String,
    pub(super) quote: String,
    pub(super) cut: std::sync::Arc<[Revoke]>,
    pub(super) conditions: Vec<Condition>,
    pub(super) prov: Provenance,
}

/// A delegation chain: whoever holds `implicitDelegation` on an account can request the
/// tokens of every account that one can impersonate, directly or as a member of a group
/// or set; repeated until nothing changes, so that chains of delegations are followed
/// whatever order their bindings were read in.
pub(super) fn delegate(b: &mut Build<'_>) {
    let delegations = std::mem::take(&mut b.delegations);
    for _ in 0..=delegations.len() {
        let before = b.made.len();
        for d in &delegations {
            let Some(through) = b.graph.find(&d.through) else {
                continue;
            };
            let via = d.through.trim_start_matches("gcp:sa:");
            for (to, more) in impersonable(b.graph, through) {
                let reason = format!(
                    "{}: iam.serviceAccounts.implicitDelegation on {via} lets it request the tokens of {} through {via}, which can act as it",
                    d.quote,
                    to.trim_start_matches("gcp:sa:")
                );
                let (cut, mut conditions) = (d.cut.clone(), d.conditions.clone());
                conditions.extend(more);
                b.edge(&d.from, &to, EdgeKind::CanAssume, reason, &d.prov, |e| {
                    e.revoke = cut;
                    e.conditions = conditions;
                    e.technique = Some("iam.serviceAccounts.implicitDelegation".into());
                });
            }
        }
        if b.made.len() == before {
            break;
        }
    }
}

/// The accounts `from` can act as: its usable `can_assume` edges to accounts, and those
/// of the groups and sets it is a member of; with their conditions.
fn impersonable(graph: &TrustGraph, from: NodeId) -> Vec<(String, Vec<Condition>)> {
    let usable = |e: crate::model::EdgeId, kind| {
        let e = graph.edge(e);
        e.kind == kind && !e.dormant
    };
    let mut out = Vec::new();
    let mut add = |e: crate::model::EdgeId, to: NodeId, outer: &[Condition]| {
        let key = &graph.key(to);
        if usable(e, EdgeKind::CanAssume) && key.starts_with("gcp:sa:") && to != from {
            let mut conditions = outer.to_vec();
            conditions.extend(graph.edge(e).conditions.iter().cloned());
            out.push((key.to_string(), conditions));
        }
    };
    for (e, to) in graph.outgoing(from) {
        add(e, to, &[]);
        if usable(e, EdgeKind::MemberOf) {
            let outer = graph.edge(e).conditions;
            for (e2, to2) in graph.outgoing(to) {
                add(e2, to2, outer);
            }
        }
    }
    out
}
