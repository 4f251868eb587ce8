//! Federated identity credentials: an external token whose issuer and subject match
//! signs in as the application's service principal or the user-assigned identity. GitHub
//! Actions subjects link from the jobs that present them (and from `github:any-repo`
//! when a flexible credential's pattern admits any repository); Kubernetes service
//! account subjects link from the service accounts of that name.

use std::collections::BTreeMap;

use super::commands::az;
use super::entra::Azure;
use super::{FicOwner, Inventory};
use crate::import::{Warning, link, provenance, revoke};
use crate::model::{Condition, EdgeKind, NodeId, Revoke, TrustGraph};

const GITHUB: &str = "https://token.actions.githubusercontent.com";

/// The user-assigned identity a federated credential's ARM id belongs to (lower-cased):
/// `…/userAssignedIdentities/NAME/federatedIdentityCredentials/FIC`.
pub(super) fn identity_of(id: &str) -> Option<String> {
    let low = id.to_ascii_lowercase();
    let i = low.find("/federatedidentitycredentials/")?;
    low[..i]
        .contains("/userassignedidentities/")
        .then(|| low[..i].to_string())
}

/// The pattern of a flexible credential: `claims['sub'] matches 'PATTERN'`.
fn flexible(expression: &str) -> Option<String> {
    let (claim, rest) = expression.split_once("matches")?;
    if !claim.contains("sub") {
        return None;
    }
    let rest = rest.trim();
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = rest.strip_prefix(quote)?;
    Some(inner[..inner.find(quote)?].to_string())
}

pub(super) fn build(inv: &Inventory, graph: &mut TrustGraph, warnings: &mut Vec<Warning>) {
    if inv.federated.is_empty() {
        return;
    }
    let mut b = Azure::new(graph, inv);
    let app_ids: BTreeMap<&str, &str> = inv
        .apps
        .iter()
        .flat_map(|(a, _)| {
            [
                (a.id.as_str(), a.app_id.as_str()),
                (a.app_id.as_str(), a.app_id.as_str()),
            ]
        })
        .collect();
    let sp_by_app: BTreeMap<&str, &str> = inv
        .sps
        .iter()
        .map(|(s, _)| (s.app_id.as_str(), s.id.as_str()))
        .collect();
    let mi_by_arm: BTreeMap<String, (&str, &str)> = inv
        .identities
        .iter()
        .map(|(m, _)| {
            (
                m.id.to_ascii_lowercase(),
                (m.principal_id.as_str(), m.name.as_str()),
            )
        })
        .collect();
    // Jobs and their subjects, Kubernetes service accounts by `NS/NAME`.
    let mut jobs: Vec<(NodeId, String, Vec<String>)> = Vec::new();
    let mut k8s: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in b.graph.node_ids() {
        let node = b.graph.node(id);
        if let Some(subs) = node.tags.get("oidc_subjects") {
            jobs.push((
                id,
                node.name.to_string(),
                subs.split(" | ").map(str::to_string).collect(),
            ));
        } else if let Some((_, sa)) = node
            .key
            .strip_prefix("k8s:")
            .and_then(|r| r.split_once(":sa:"))
        {
            k8s.entry(sa.to_string())
                .or_default()
                .push(node.key.to_string());
        }
    }
    for (owner, f, file) in &inv.federated {
        let prov = provenance(b.graph, file, format!("federated credential {}", f.name));
        let (to, delete): (String, String) = match owner {
            FicOwner::App(id) => {
                let Some(app_id) = app_ids.get(id.as_str()).copied() else {
                    warnings.push(Warning::new(file, &f.name, format!("federated credential of application {id}, which no `az ad app list` output read holds; skipped")));
                    continue;
                };
                let to = sp_by_app
                    .get(app_id)
                    .map_or(format!("azure:app:{app_id}"), |sp| format!("azure:sp:{sp}"));
                (
                    to,
                    az([
                        "ad",
                        "app",
                        "federated-credential",
                        "delete",
                        "--id",
                        app_id,
                        "--federated-credential-id",
                        &f.id,
                    ])
                    .into(),
                )
            }
            FicOwner::Identity(arm) => {
                let Some((pid, name)) = mi_by_arm.get(arm) else {
                    warnings.push(Warning::new(file, &f.name, format!("federated credential of managed identity {arm}, which no `az identity list` output read holds; skipped")));
                    continue;
                };
                let rg = arm
                    .split('/')
                    .skip_while(|p| *p != "resourcegroups")
                    .nth(1)
                    .unwrap_or_default();
                (
                    format!("azure:sp:{pid}"),
                    az([
                        "identity",
                        "federated-credential",
                        "delete",
                        "--name",
                        &f.name,
                        "--identity-name",
                        name,
                        "--resource-group",
                        rg,
                        "--yes",
                    ])
                    .eq(
                        "--subscription",
                        arm.split('/')
                            .skip_while(|p| *p != "subscriptions")
                            .nth(1)
                            .unwrap_or_default(),
                    )
                    .into(),
                )
            }
        };
        if b.graph.find(&to).is_none() {
            continue;
        }
        let cut: std::sync::Arc<[Revoke]> = vec![revoke(
            format!("remove-fic:{to}:{}", f.name),
            "remove_trust",
            3,
            vec![delete],
        )]
        .into();
        let issuer = f.issuer.trim_end_matches('/');
        let shown = to.trim_start_matches("azure:");
        let add = |b: &mut Azure<'_>, from: &str, reason: String, conditions: Vec<Condition>| {
            let cut = cut.clone();
            b.edge(from, &to, EdgeKind::CanAssume, reason, &prov, |e| {
                e.revoke = cut;
                e.conditions = conditions;
            });
        };
        // The subject it admits: exact, or a flexible pattern.
        let (pattern, like) = match (&f.subject, &f.claims_matching_expression) {
            (Some(s), _) if !s.is_empty() => (s.clone(), false),
            (_, Some(c)) => match flexible(&c.value) {
                Some(p) => (p, true),
                None => {
                    warnings.push(Warning::new(file, &f.name, format!("claimsMatchingExpression `{}` is not a `claims['sub'] matches '…'` trustpath reads; skipped", crate::report::clean(&c.value))));
                    continue;
                }
            },
            _ => continue,
        };
        if issuer == GITHUB {
            let quote = format!(
                "federated credential {} of {shown} (issuer {issuer}, subject {pattern})",
                f.name
            );
            // A pattern admits strangers when its owner part varies (`repo:*`, `repo:acme*`:
            // anyone can register `acme-evil`) or it matches a stranger's subject outright.
            let owner_varies = pattern
                .strip_prefix("repo:")
                .map_or(pattern.starts_with(['*', '?']), |r| {
                    r.split('/').next().is_some_and(|o| o.contains(['*', '?']))
                });
            if like
                && (owner_varies
                    || crate::glob::glob_match(
                        &pattern,
                        "repo:some-attacker/any-repo:ref:refs/heads/main",
                    ))
            {
                let any = link::ensure_any_repo(b.graph, &prov);
                let key = b.graph.node(any).key.to_string();
                add(
                    &mut b,
                    &key,
                    format!("{quote}: the pattern admits any repository on GitHub"),
                    Vec::new(),
                );
            }
            if let Some(repo) = pattern
                .strip_prefix("repo:")
                .and_then(|r| r.split(':').next())
                && repo.contains('/')
                && !repo.contains(['*', '?'])
            {
                let node = link::ensure_repo(b.graph, repo, &prov);
                let key = b.graph.node(node).key.to_string();
                let push = Condition::described(format!(
                    "if the attacker can push a workflow with id-token: write to {repo}, on the branch or environment the subject names"
                ));
                add(
                    &mut b,
                    &key,
                    format!("{quote}: tokens of {repo}"),
                    vec![push],
                );
            }
            for (job, name, subjects) in &jobs {
                if let Some(s) = subjects.iter().find(|s| link::accepts(&pattern, like, s)) {
                    let key = b.graph.node(*job).key.to_string();
                    let mut conditions = Vec::new();
                    if s.contains('*') {
                        conditions.push(Condition::described(format!(
                            "if the attacker can run it where its token says `{pattern}`"
                        )));
                    }
                    add(
                        &mut b,
                        &key,
                        format!("{quote}: {name} presents `sub` {s}"),
                        conditions,
                    );
                }
            }
        } else if issuer.starts_with(GITHUB) {
            let message = format!(
                "federated credential of {shown} trusts GitHub Enterprise issuer {}: no job of it is linked (its subjects are not read yet); whoever can mint its tokens for `{}` signs in as it",
                crate::report::clean(issuer),
                crate::report::clean(&pattern)
            );
            warnings.push(Warning::new(file, &f.name, message));
        } else if let Some(rest) = pattern.strip_prefix("system:serviceaccount:") {
            // A Kubernetes cluster's issuer (AKS or another): its service account.
            let sa = rest.replacen(':', "/", 1);
            for from in k8s.get(&sa).cloned().unwrap_or_default() {
                let cluster = from.split(':').nth(1).unwrap_or_default().to_string();
                let cond = Condition::described(format!(
                    "holds if cluster {cluster}'s service account issuer is {issuer}"
                ));
                add(
                    &mut b,
                    &from,
                    format!(
                        "federated credential {} of {shown} admits service account {sa} of the cluster whose issuer is {issuer}",
                        f.name
                    ),
                    vec![cond],
                );
            }
        } else {
            // GitLab, Terraform Cloud, another cloud, or an issuer of the attacker's own:
            // nothing in the inputs holds its tokens, so no edge; said, with the trust.
            let message = format!(
                "federated credential of {shown} trusts issuer {} for subject `{}`, which no input speaks for: whoever can mint that token signs in as it",
                crate::report::clean(issuer),
                crate::report::clean(&pattern)
            );
            warnings.push(Warning::new(file, &f.name, message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flexible_and_identity_forms() {
        assert_eq!(
            flexible("claims['sub'] matches 'repo:contoso/*:ref:refs/heads/*'").as_deref(),
            Some("repo:contoso/*:ref:refs/heads/*")
        );
        assert_eq!(flexible("claims['aud'] matches 'x'"), None);
        assert_eq!(
            identity_of("/subscriptions/S/resourceGroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/Deploy/federatedIdentityCredentials/gh").as_deref(),
            Some("/subscriptions/s/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/deploy")
        );
        assert_eq!(identity_of("/applications/x"), None);
    }
}
