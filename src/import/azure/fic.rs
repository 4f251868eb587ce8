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

/// One alternative a flexible credential's expression admits: the `sub` pattern it
/// requires (`None`: any subject) with whether it is a pattern (`matches`) or exact
/// (`eq`), and the clauses on other claims, which the link keeps as conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Admit {
    sub: Option<(String, bool)>,
    others: Vec<String>,
}

/// Reads a `claimsMatchingExpression` (language version 1): clauses
/// `claims['NAME'] matches|eq 'VALUE'`, joined by `and`, alternatives by `or`. `None`
/// for anything else, which the caller reports rather than guess at.
fn expression(text: &str) -> Option<Vec<Admit>> {
    let mut admits = vec![Admit {
        sub: None,
        others: Vec::new(),
    }];
    let mut rest = text.trim();
    loop {
        // A clause: the claim, the operator, the quoted comparand.
        let after = rest.strip_prefix("claims[")?;
        let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let (claim, after) = after[1..].split_once(quote)?;
        let after = after.strip_prefix(']')?.trim_start();
        let (op, after) = after.split_once(char::is_whitespace)?;
        let after = after.trim_start();
        let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let (value, after) = after[1..].split_once(quote)?;
        let like = match op {
            "matches" => true,
            "eq" => false,
            _ => return None,
        };
        let admit = admits.last_mut()?;
        if claim == "sub" && admit.sub.is_none() {
            admit.sub = Some((value.to_string(), like));
        } else {
            admit
                .others
                .push(format!("claims['{claim}'] {op} '{value}'"));
        }
        rest = after.trim_start();
        if rest.is_empty() {
            return Some(admits);
        }
        let (word, after) = rest.split_once(char::is_whitespace)?;
        match word {
            "and" => {}
            "or" => admits.push(Admit {
                sub: None,
                others: Vec::new(),
            }),
            _ => return None,
        }
        rest = after.trim_start();
    }
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
        // What it admits: an exact subject, or a flexible expression's alternatives.
        let admits = match (&f.subject, &f.claims_matching_expression) {
            (Some(s), _) if !s.is_empty() => vec![Admit {
                sub: Some((s.clone(), false)),
                others: Vec::new(),
            }],
            (_, Some(c)) => match expression(&c.value) {
                Some(admits) => admits,
                None => {
                    warnings.push(Warning::new(file, &f.name, format!("claimsMatchingExpression `{}` is not the `claims['…'] matches|eq '…'` language (joined by and/or) trustpath reads; skipped", crate::report::clean(&c.value))));
                    continue;
                }
            },
            _ => continue,
        };
        let fic = Fic {
            name: &f.name,
            file,
            to: &to,
            issuer: f.issuer.trim_end_matches('/'),
            cut,
            prov,
        };
        for admit in &admits {
            fic.link(&mut b, admit, &jobs, &k8s, warnings);
        }
    }
}

/// A federated credential being linked: what it signs in as, and how to cut it.
struct Fic<'a> {
    name: &'a str,
    file: &'a str,
    to: &'a str,
    issuer: &'a str,
    cut: std::sync::Arc<[Revoke]>,
    prov: crate::model::Provenance,
}

impl Fic<'_> {
    fn add(&self, b: &mut Azure<'_>, from: &str, reason: String, conditions: Vec<Condition>) {
        let cut = self.cut.clone();
        b.edge(
            from,
            self.to,
            EdgeKind::CanAssume,
            reason,
            &self.prov,
            |e| {
                e.revoke = cut;
                e.conditions = conditions;
            },
        );
    }

    /// Links whoever can present a token that one alternative admits.
    fn link(
        &self,
        b: &mut Azure<'_>,
        admit: &Admit,
        jobs: &[(NodeId, String, Vec<String>)],
        k8s: &BTreeMap<String, Vec<String>>,
        warnings: &mut Vec<Warning>,
    ) {
        let (issuer, shown) = (self.issuer, self.to.trim_start_matches("azure:"));
        // No `sub` clause: any subject, narrowed only by the other claims' clauses.
        let (pattern, like) = admit.sub.clone().unwrap_or_else(|| ("*".into(), true));
        let extra: Vec<Condition> = admit
            .others
            .iter()
            .map(|o| Condition::described(format!("if the token also satisfies {o}")))
            .collect();
        let with = |mut conditions: Vec<Condition>| {
            conditions.extend(extra.iter().cloned());
            conditions
        };
        if issuer == GITHUB {
            let quote = format!(
                "federated credential {} of {shown} (issuer {issuer}, subject {pattern})",
                self.name
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
                let any = link::ensure_any_repo(b.graph, &self.prov);
                let key = b.graph.key(any).to_string();
                self.add(
                    b,
                    &key,
                    format!("{quote}: the pattern admits any repository on GitHub"),
                    with(Vec::new()),
                );
            }
            if let Some(repo) = pattern
                .strip_prefix("repo:")
                .and_then(|r| r.split(':').next())
                && repo.contains('/')
                && !repo.contains(['*', '?'])
            {
                let node = link::ensure_repo(b.graph, repo, &self.prov);
                let key = b.graph.key(node).to_string();
                let push = Condition::described(format!(
                    "if the attacker can push a workflow with id-token: write to {repo}, on the branch or environment the subject names"
                ));
                self.add(
                    b,
                    &key,
                    format!("{quote}: tokens of {repo}"),
                    with(vec![push]),
                );
            }
            for (job, name, subjects) in jobs {
                // A job presents its default subject, or the immutable form a repository
                // that opted into it uses (`repo:OWNER@ID/NAME@ID:…`).
                let hit = subjects.iter().find(|s| {
                    link::accepts(&pattern, like, s)
                        || link::immutable(s).is_some_and(|i| link::accepts(&pattern, like, &i))
                });
                if let Some(s) = hit {
                    let key = b.graph.key(*job).to_string();
                    let mut conditions = Vec::new();
                    if s.contains('*') {
                        conditions.push(Condition::described(format!(
                            "if the attacker can run it where its token says `{pattern}`"
                        )));
                    }
                    self.add(
                        b,
                        &key,
                        format!("{quote}: {name} presents `sub` {s}"),
                        with(conditions),
                    );
                }
            }
        } else if issuer.starts_with(GITHUB) {
            let message = format!(
                "federated credential of {shown} trusts GitHub Enterprise issuer {}: no job of it is linked (its subjects are not read yet); whoever can mint its tokens for `{}` signs in as it",
                crate::report::clean(issuer),
                crate::report::clean(&pattern)
            );
            warnings.push(Warning::new(self.file, self.name, message));
        } else if let Some(rest) = pattern.strip_prefix("system:serviceaccount:") {
            // A Kubernetes cluster's issuer (AKS or another): its service account.
            let sa = rest.replacen(':', "/", 1);
            for from in k8s.get(&sa).into_iter().flatten() {
                let cluster = from.split(':').nth(1).unwrap_or_default();
                let cond = Condition::described(format!(
                    "holds if cluster {cluster}'s service account issuer is {issuer}"
                ));
                self.add(
                    b,
                    from,
                    format!(
                        "federated credential {} of {shown} admits service account {sa} of the cluster whose issuer is {issuer}",
                        self.name
                    ),
                    with(vec![cond]),
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
            warnings.push(Warning::new(self.file, self.name, message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flexible_and_identity_forms() {
        let one = |sub: Option<(&str, bool)>, others: &[&str]| Admit {
            sub: sub.map(|(s, l)| (s.to_string(), l)),
            others: others.iter().map(|o| o.to_string()).collect(),
        };
        assert_eq!(
            expression("claims['sub'] matches 'repo:contoso/*:ref:refs/heads/*'"),
            Some(vec![one(
                Some(("repo:contoso/*:ref:refs/heads/*", true)),
                &[]
            )])
        );
        assert_eq!(
            expression("claims['aud'] matches 'x'"),
            Some(vec![one(None, &["claims['aud'] matches 'x'"])])
        );
        assert_eq!(
            expression(
                "claims['sub'] eq 'repo:a/b:environment:prod' and claims['job_workflow_ref'] matches 'a/shared/*@refs/heads/main' or claims['sub'] matches 'repo:a/c:*'"
            ),
            Some(vec![
                one(
                    Some(("repo:a/b:environment:prod", false)),
                    &["claims['job_workflow_ref'] matches 'a/shared/*@refs/heads/main'"]
                ),
                one(Some(("repo:a/c:*", true)), &[]),
            ])
        );
        assert_eq!(expression("claims['sub'] startswith 'repo:a'"), None);
        assert_eq!(expression("claims['sub'] matches 'x' xor"), None);
        assert_eq!(expression("sub == 'x'"), None);
        assert_eq!(
            identity_of("/subscriptions/S/resourceGroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/Deploy/federatedIdentityCredentials/gh").as_deref(),
            Some("/subscriptions/s/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/deploy")
        );
        assert_eq!(identity_of("/applications/x"), None);
    }
}
