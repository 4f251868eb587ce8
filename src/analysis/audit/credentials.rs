//! Rules on credentials and the secrets that hold them: NHI1 (unused), NHI2, NHI4, NHI7.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};

use super::identities::{people, used_by_workloads};
use super::rules::{edge_fix, line_in, listing, live_in, own_fix, serious, weighed};
use super::{Category, Ctx, Finding};
use crate::model::{Credential, EdgeId, EdgeKind, NodeId, NodeKind};

/// NHI7 (unrotated), NHI1 (unused), NHI4 (a bearer secret), NHI2 (stored on several
/// platforms), NHI9 (used by many workloads), NHI10 (held by people) for a usable
/// credential. (A key beside federation is found at the identity it signs in as.)
pub(super) fn credential(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let n = graph.node(node);
    let Some(c) = n.credential.as_ref() else {
        return;
    };
    if !n.usable_at(ctx.at) {
        return;
    }
    let reach = ctx.reach(node);
    let fix = own_fix(ctx, node);
    let rotate_after = ctx.thresholds.rotate_after_days;
    if let Some((since, rotated)) = c.issued(ctx.at).filter(|_| c.is_long_lived())
        && ctx.days_since(since) > i64::from(rotate_after)
    {
        let what = if rotated { "last rotated" } else { "created" };
        out.push(Finding {
            id: format!("NHI7:unrotated:{}", n.key),
            category: Category::NHI7,
            severity: serious(ctx, node),
            nodes: vec![node],
            title: format!(
                "long-lived credential {what} {} days ago (threshold {rotate_after})",
                ctx.days_since(since),
            ),
            evidence: vec![
                format!("{what} {since}"),
                match c.expires {
                    Some(e) => format!("expires {e}"),
                    None => "no expiry".to_string(),
                },
                reach.evidence(),
            ],
            fix: fix.clone(),
        });
    }
    let unused_after = ctx.thresholds.unused_after_days;
    let idle = SignedDuration::from_hours(24 * i64::from(unused_after));
    let unused = ctx
        .past(c.last_used)
        .filter(|&used| ctx.at.duration_since(used) > idle);
    if let Some(used) = unused {
        out.push(Finding {
            id: format!("NHI1:unused:{}", n.key),
            category: Category::NHI1,
            severity: weighed(ctx, node),
            nodes: vec![node],
            title: format!(
                "usable credential last used {} days ago (threshold {unused_after})",
                ctx.days_since(used),
            ),
            evidence: vec![format!("last used {used}"), reach.evidence()],
            fix: fix.clone(),
        });
    }
    let kind = c.kind.unwrap_or("");
    if let Some(secret) = BearerSecret::of(c, ctx.at) {
        let (id, title) = match secret {
            BearerSecret::Password => (
                format!("NHI4:password:{}", n.key),
                format!(
                    "signs in with a {} (a shared secret): a certificate or a federated credential cannot be pasted elsewhere",
                    kind.replace('_', " ")
                ),
            ),
            BearerSecret::StandingToken => (
                format!("NHI4:bearer:{}", n.key),
                format!(
                    "a bearer secret that does not expire soon ({}): whoever copies it can replay it until it does; a short-lived or federated credential cannot be",
                    kind.replace('_', " ")
                ),
            ),
        };
        let expires = match c.expires {
            Some(t) => format!("expires {t}"),
            None => "no expiry".to_string(),
        };
        out.push(Finding {
            id,
            category: Category::NHI4,
            severity: weighed(ctx, node),
            nodes: vec![node],
            title,
            evidence: vec![format!("credential type {kind}"), expires, reach.evidence()],
            fix: fix.clone(),
        });
    }
    copied_across_platforms(ctx, node, out);
    used_by_workloads(ctx, node, out);
    people(ctx, node, out);
}

/// A credential that is a secret string its holder presents as is: NHI4's insecure
/// authentication. Keys that sign (access keys, service-account keys, certificates, SSH
/// keys) are NHI7's and the key-beside-federation rule's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BearerSecret {
    /// A password or client secret: one whatever its lifetime.
    Password,
    /// A token or secret id that does not expire within 90 days of the audit's time:
    /// a legacy Kubernetes service-account token, a Vault token or AppRole secret id
    /// without a short TTL, a personal access token, an API key.
    StandingToken,
}

impl BearerSecret {
    /// As of `at`: a token counts when it has more than [`STANDING`] left to live, or no
    /// expiry and nothing saying it is short-lived.
    fn of(c: &Credential<&str>, at: Timestamp) -> Option<BearerSecret> {
        let standing = match c.expires {
            Some(expires) => expires.duration_since(at) > STANDING,
            None => c.long_lived != Some(false),
        };
        match c.kind? {
            "client_secret" | "password" => Some(BearerSecret::Password),
            "service_account_token"
            | "vault_token"
            | "approle_secret_id"
            | "personal_access_token"
            | "pat"
            | "api_key"
            | "token"
                if standing =>
            {
                Some(BearerSecret::StandingToken)
            }
            _ => None,
        }
    }
}

/// Time left to live past which a bearer token is standing (NHI4).
const STANDING: SignedDuration = SignedDuration::from_hours(90 * 24);

/// NHI2: a credential stored in secrets on more than one platform.
fn copied_across_platforms(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let stores: Vec<(EdgeId, NodeId)> = live_in(ctx, node)
        .filter(|&(e, from)| {
            graph.edge(e).kind == EdgeKind::Contains && graph.node(from).kind == NodeKind::Secret
        })
        .collect();
    let platforms: BTreeSet<&str> = stores
        .iter()
        .map(|&(_, s)| graph.node(s).platform)
        .collect();
    if platforms.len() < 2 {
        return;
    }
    let platforms: Vec<&str> = platforms.into_iter().collect();
    let evidence = listing(ctx, node, stores.iter().map(|&(e, s)| line_in(ctx, e, s)));
    out.push(Finding {
        id: format!("NHI2:copied:{}", graph.key(node)),
        category: Category::NHI2,
        severity: serious(ctx, node),
        nodes: std::iter::once(node)
            .chain(stores.iter().map(|&(_, s)| s))
            .collect(),
        title: format!(
            "one credential stored on {} platforms ({}): it leaks from whichever is weakest",
            platforms.len(),
            platforms.join(", ")
        ),
        evidence,
        fix: own_fix(ctx, node),
    });
}

/// NHI2: a secret that `shared_by` or more identities or workloads can read.
pub(super) fn secret(ctx: &Ctx<'_>, node: NodeId, out: &mut Vec<Finding>) {
    let graph = ctx.graph;
    let mut readers: BTreeMap<&str, (EdgeId, NodeId)> = BTreeMap::new();
    for (e, from) in live_in(ctx, node) {
        // An admin capability (Vault root, cluster-admin) reads every secret: counting it
        // would make every secret a finding.
        if graph.edge(e).kind != EdgeKind::Contains && !graph.facts(from).admin {
            readers.entry(graph.key(from)).or_insert((e, from));
        }
    }
    if readers.len() < ctx.thresholds.shared_by as usize || readers.len() < 2 {
        return;
    }
    let evidence = listing(
        ctx,
        node,
        readers.values().map(|&(e, from)| line_in(ctx, e, from)),
    );
    out.push(Finding {
        id: format!("NHI2:readers:{}", graph.key(node)),
        category: Category::NHI2,
        severity: weighed(ctx, node),
        nodes: vec![node],
        title: format!(
            "secret readable by {} identities and workloads (threshold {}): each is a way for it to leak",
            readers.len(),
            ctx.thresholds.shared_by
        ),
        evidence,
        fix: edge_fix(ctx, readers.values().map(|&(e, _)| e)),
    });
}
