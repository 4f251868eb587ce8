//! Workload identity federation: providers (`gcloud iam workload-identity-pools providers
//! list`), the pool principals they issue, and who outside Google can become one.
//!
//! A provider accepts an external token when it satisfies the `attributeCondition`, and
//! maps its claims to attributes (`attributeMapping`); IAM then grants to principals of
//! the pool by those attributes (`principalSet://…/POOL/attribute.repository/acme/web`),
//! by subject (`principal://…/POOL/subject/SUB`) or all of them (`…/POOL/*`).
//!
//! The importer adds the provider's node and an edge to each principal of its pool that
//! the graph names. Who can present such a token is decided in the link pass
//! (`federation.rs`), on the graph alone.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::build::Build;
use crate::import::{provenance, revoke};
use crate::model::{Condition, EdgeKind, NodeKind};

/// GitHub Actions' OIDC issuer, as providers name it.
pub(super) const GITHUB: &str = "https://token.actions.githubusercontent.com";

/// A provider from `gcloud iam workload-identity-pools providers list`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Provider {
    pub name: String,
    pub display_name: String,
    pub state: String,
    pub disabled: bool,
    pub attribute_mapping: BTreeMap<String, String>,
    pub attribute_condition: String,
    pub oidc: Option<Oidc>,
    pub aws: Option<serde_json::Value>,
    pub saml: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Oidc {
    pub issuer_uri: String,
}

/// A pool from `gcloud iam workload-identity-pools list`: only whether it is off.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Pool {
    pub name: String,
    pub state: String,
    pub disabled: bool,
}

/// The principals' prefix of a pool (`iam.googleapis.com/projects/N/locations/global/
/// workloadIdentityPools/POOL/`), from a provider's or pool's resource name.
pub(super) fn pool_prefix(name: &str) -> Option<String> {
    let (pool, _) = match name.split_once("/providers/") {
        Some(split) => split,
        None => (name, ""),
    };
    pool.contains("/workloadIdentityPools/")
        .then(|| format!("iam.googleapis.com/{pool}/"))
}

/// Adds each provider's node and its edges to the principals of its pool.
pub(super) fn providers(b: &mut Build<'_>, list: &[(Provider, String)], pools: &[(Pool, String)]) {
    let off = |p: &Pool| p.disabled || p.state == "DELETED";
    let pools_off: Vec<String> = pools
        .iter()
        .filter(|(p, _)| off(p))
        .filter_map(|(p, _)| pool_prefix(&p.name))
        .collect();
    // The principals of each pool the graph names.
    let mut principals: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in b.graph.node_ids() {
        let key = b.graph.key(id);
        if let Some((prefix, _)) = principal_of(key) {
            principals
                .entry(prefix.to_string())
                .or_default()
                .push(key.to_string());
        }
    }
    for (p, file) in list {
        let Some(prefix) = pool_prefix(&p.name) else {
            continue;
        };
        let key = format!("gcp:wif-provider:{}", p.name);
        let prov = provenance(b.graph, file, format!("provider {}", p.name));
        let short = p.name.rsplit('/').next().unwrap_or(&p.name);
        let pool = prefix
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("");
        let kind = match (&p.oidc, &p.aws, &p.saml) {
            (Some(_), _, _) => "oidc",
            (_, Some(_), _) => "aws",
            (_, _, Some(_)) => "saml",
            _ => "unknown",
        };
        let issuer = p.oidc.as_ref().map_or("", |o| o.issuer_uri.as_str());
        let dormant = p.disabled || p.state == "DELETED" || pools_off.contains(&prefix);
        let project = p.name.split('/').nth(1).unwrap_or_default();
        let Some(node) = b.node(
            &key,
            NodeKind::Provider,
            &format!("{short} (pool {pool})"),
            Some(project),
            prov.clone(),
        ) else {
            continue;
        };
        let tags = [
            ("provider_type", kind.to_string()),
            ("issuer", issuer.to_string()),
            ("attribute_condition", p.attribute_condition.clone()),
            (
                "attribute_mapping",
                serde_json::to_string(&p.attribute_mapping).unwrap_or_default(),
            ),
            ("display_name", p.display_name.clone()),
        ];
        for (k, v) in tags.into_iter().filter(|(_, v)| !v.is_empty()) {
            node.tags.insert(k.into(), v);
        }
        if dormant {
            node.tags.insert("disabled".into(), "true".into());
        }
        node.revoke = vec![revoke(
            format!("disable-provider:{key}"),
            "disable_provider",
            5,
            Vec::new(),
        )];
        let revokes: std::sync::Arc<[crate::model::Revoke]> = node.revoke.clone().into();
        let accepts = if p.attribute_condition.is_empty() {
            "every token of its issuer (no attributeCondition)".to_string()
        } else {
            format!("tokens that satisfy `{}`", p.attribute_condition)
        };
        for principal in principals.get(&prefix).into_iter().flatten() {
            let Some((_, selector)) = principal_of(principal) else {
                continue;
            };
            // A principal set by an attribute the provider never maps is never issued.
            let needs = match selector.split_once('/') {
                Some(("subject", _)) => Some("google.subject".to_string()),
                Some((attr, _)) if attr.starts_with("attribute.") => Some(attr.to_string()),
                _ => None,
            };
            if needs
                .as_ref()
                .is_some_and(|n| !p.attribute_mapping.contains_key(n))
            {
                continue;
            }
            let reason = format!(
                "provider {short} of pool {pool} accepts {accepts} and issues the pool principal {selector}"
            );
            let cond = Condition::described(format!(
                "holds for a token whose mapped attributes select {selector}"
            ));
            let (revokes, prov) = (revokes.clone(), prov.clone());
            b.edge(&key, principal, EdgeKind::CanAssume, reason, &prov, |e| {
                e.revoke = revokes;
                e.dormant = dormant;
                if selector != "*" {
                    e.conditions = vec![cond];
                }
            });
        }
    }
}

/// A pool principal's key split into its pool's prefix and what it selects
/// (`*`, `attribute.repository/acme/web`, `subject/SUB`, `group/G`).
pub(super) fn principal_of(key: &str) -> Option<(&str, &str)> {
    let rest = key
        .strip_prefix("gcp:principal-set:")
        .or_else(|| key.strip_prefix("gcp:principal:"))?;
    let i = rest.find("/workloadIdentityPools/")? + "/workloadIdentityPools/".len();
    let pool_end = i + rest[i..].find('/')? + 1;
    // GKE's pools (`P.svc.id.goog`) are Kubernetes service accounts, linked elsewhere.
    if rest[..pool_end].ends_with(".svc.id.goog/") {
        return None;
    }
    Some((&rest[..pool_end], &rest[pool_end..]))
}
