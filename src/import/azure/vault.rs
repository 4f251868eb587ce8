//! Key Vaults: every listed vault is a place a role can reach (not only the ones an
//! assignment names), with its permission model; in the access-policy model, each
//! policy that grants secret reads is an edge from the principal it names.

use super::arm::{Kind, Place};
use super::commands::az;
use super::entra::Azure;
use super::{Inventory, Vault};
use crate::import::{Warning, provenance, revoke};
use crate::model::{Condition, EdgeKind, NodeKind};

/// The secret permissions of an access policy that read secret values.
const READS: [&str; 2] = ["get", "all"];

/// Whether a listed vault uses access policies: an RBAC vault says so; a vault whose
/// listing carries properties without the flag predates RBAC (access policies).
fn uses_policies(v: &Vault) -> Option<bool> {
    let p = v.properties.as_ref()?;
    Some(p.enable_rbac_authorization != Some(true))
}

pub(super) fn places(
    b: &mut Azure<'_>,
    inv: &Inventory,
    places: &mut Vec<Place>,
    above: &dyn Fn(&str, bool) -> Vec<String>,
) {
    let mut seen = rustc_hash::FxHashSet::default();
    for (v, file) in &inv.vaults {
        let low = v.id.to_ascii_lowercase();
        if v.id.is_empty() || !seen.insert(low.clone()) {
            continue;
        }
        let key = format!("azure:resource:{low}");
        let prov = provenance(b.graph, file, format!("key vault {}", v.name));
        let model = uses_policies(v);
        if let Some(node) = b.node(&key, NodeKind::Resource, &v.name, prov) {
            node.tags.insert("arm_id".into(), v.id.clone());
            let shown = match model {
                Some(true) => "access policies",
                Some(false) => "rbac",
                None => "unknown",
            };
            node.tags.insert("permission_model".into(), shown.into());
        }
        places.push(Place {
            key,
            kind: Kind::Vault(model),
            above: above(&v.id, true),
            write: None,
        });
    }
}

/// Access policies that let a principal read a vault's secrets (access-policy model).
pub(super) fn access_policies(b: &mut Azure<'_>, inv: &Inventory, warnings: &mut Vec<Warning>) {
    if !inv
        .vaults
        .iter()
        .any(|(v, _)| uses_policies(v) == Some(true))
    {
        return;
    }
    // Principals by object id: service principals, groups and users alike carry it.
    let by_object: rustc_hash::FxHashMap<String, String> = b
        .graph
        .node_ids()
        .filter_map(|n| {
            let node = b.graph.node(n);
            let id = node.tags.get("object_id")?;
            node.key
                .starts_with("azure:")
                .then(|| (id.to_ascii_lowercase(), node.key.to_string()))
        })
        .collect();
    for (v, file) in &inv.vaults {
        if uses_policies(v) != Some(true) {
            continue;
        }
        let vault = format!("azure:resource:{}", v.id.to_ascii_lowercase());
        let sub =
            v.id.split('/')
                .skip_while(|p| !p.eq_ignore_ascii_case("subscriptions"))
                .nth(1)
                .unwrap_or_default();
        let policies = v
            .properties
            .as_ref()
            .and_then(|p| p.access_policies.as_ref());
        for policy in policies.into_iter().flatten() {
            let reads: Vec<&str> = policy
                .permissions
                .secrets
                .iter()
                .map(String::as_str)
                .filter(|p| READS.iter().any(|r| p.eq_ignore_ascii_case(r)))
                .collect();
            if reads.is_empty() || policy.object_id.is_empty() {
                continue;
            }
            let oid = &policy.object_id;
            let Some(from) = by_object.get(&oid.to_ascii_lowercase()) else {
                let message = format!(
                    "an access policy of vault {} lets object {oid} read its secrets ({}), and no listing read names that object: no edge (save `az ad sp list --all`, or the group or user)",
                    v.name,
                    reads.join(", ")
                );
                warnings.push(Warning::new(file, &v.name, message));
                continue;
            };
            let prov = provenance(
                b.graph,
                file,
                format!("access policy of key vault {}", v.name),
            );
            let delete = az([
                "keyvault",
                "delete-policy",
                "--name",
                &v.name,
                "--object-id",
                oid,
            ])
            .eq("--subscription", sub);
            let cut = vec![revoke(
                format!("remove-policy:{vault}:{}", oid.to_ascii_lowercase()),
                "remove_binding",
                3,
                vec![delete.into()],
            )];
            // A compound identity: the principal only through that application.
            let through = policy
                .application_id
                .as_deref()
                .filter(|a| !a.is_empty())
                .map(|a| {
                    Condition::described(format!(
                        "only when signed in through application {a} (a compound identity)"
                    ))
                });
            let reason = format!(
                "access policy of key vault {} grants secrets {}: it reads the vault's secrets",
                v.name,
                reads.join(", ")
            );
            b.edge(from, &vault, EdgeKind::CanRead, reason, &prov, |e| {
                e.revoke = cut.into();
                e.conditions = through.into_iter().collect();
            });
        }
    }
}
