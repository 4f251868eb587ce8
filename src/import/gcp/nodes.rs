//! The nodes GCP listings define: the hierarchy, service accounts and their keys, the
//! resources policies are on, and the GKE workload identity members' Kubernetes side.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::build::Build;
use super::members;
use super::{Inventory, Resource};
use crate::import::{Warning, provenance, revoke};
use crate::model::{Condition, Credential, EdgeKind, NodeKind, Provenance};

/// The hierarchy: each resource's parent (`gcp:project:P` → `gcp:folder:F` → `gcp:org:O`).
pub(super) fn parents(gcp: &Inventory) -> BTreeMap<String, String> {
    let mut up = BTreeMap::new();
    let key = |kind: &str, id: &str| match kind {
        "organization" | "organizations" => Some(format!("gcp:org:{id}")),
        "folder" | "folders" => Some(format!("gcp:folder:{id}")),
        _ => None,
    };
    for (p, _) in gcp.projects.values() {
        if let Some(parent) = p.parent.as_ref().and_then(|pa| key(&pa.kind, &pa.id)) {
            up.insert(format!("gcp:project:{}", p.project_id), parent);
        }
    }
    for (f, _) in gcp.folders.values() {
        let Some(id) = f.name.strip_prefix("folders/") else {
            continue;
        };
        if let Some((kind, parent)) = f.parent.split_once('/')
            && let Some(parent) = key(kind, parent)
        {
            up.insert(format!("gcp:folder:{id}"), parent);
        }
    }
    up
}

/// A resource and every ancestor of it, nearest first.
pub(super) fn lineage(start: &str, up: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = vec![start.to_string()];
    while let Some(parent) = up.get(out.last().map(String::as_str).unwrap_or_default()) {
        if out.contains(parent) || out.len() > 64 {
            break;
        }
        out.push(parent.clone());
    }
    out
}

/// Disabling an account: its revocation, listed or not.
fn disable_account(key: &str) -> crate::model::Revoke {
    revoke(format!("disable:{key}"), "disable_identity", 6, Vec::new())
}

/// A service account no listing holds (a key, a key file or a policy names it): flagged
/// as such, and revocable like a listed one.
pub(super) fn unlisted_account(
    b: &mut Build<'_>,
    email: &str,
    scope: Option<&str>,
    why: String,
    prov: Provenance,
) {
    let key = format!("gcp:sa:{email}");
    if let Some(node) = b.node(
        &key,
        NodeKind::ServiceAccount,
        members::local(email),
        scope,
        prov,
    ) {
        node.tags.insert("not_in_inputs".into(), why);
        node.revoke = vec![disable_account(&key)];
    }
}

/// Service accounts from the listings: disabled ones are marked, and nothing reaches
/// through them.
pub(super) fn accounts(b: &mut Build<'_>, gcp: &Inventory) {
    for (a, file) in gcp.accounts.values() {
        let key = format!("gcp:sa:{}", a.email);
        let prov = provenance(b.graph, file, format!("service account {}", a.email));
        // Another importer may have named it first (a GKE annotation): the listing is
        // the account, so its node takes what the listing says.
        let existing = b
            .graph
            .find(&key)
            .filter(|&n| b.graph.node(n).tags.contains_key("not_in_inputs"));
        let node = match existing {
            Some(n) => {
                let node = b.graph.node_mut(n);
                node.tags.remove("not_in_inputs");
                node.platform = "gcp".into();
                node.name = members::local(&a.email).into();
                node.scope = Some(a.project_id.as_str().into());
                node.provenance = prov;
                Some(node)
            }
            None => b.node(
                &key,
                NodeKind::ServiceAccount,
                members::local(&a.email),
                Some(&a.project_id),
                prov,
            ),
        };
        if let Some(node) = node {
            if !a.display_name.is_empty() {
                node.tags
                    .insert("display_name".into(), a.display_name.clone());
            }
            if !a.unique_id.is_empty() {
                node.tags.insert("unique_id".into(), a.unique_id.clone());
            }
            let used = gcp
                .last_used
                .get(&a.email)
                .or_else(|| gcp.last_used.get(&a.unique_id));
            if let Some(when) = used {
                node.tags.insert("last_authenticated".into(), when.clone());
            }
            if a.disabled {
                node.tags.insert("disabled".into(), "true".into());
            }
            node.revoke = vec![disable_account(&key)];
        }
    }
}

/// User-managed keys: long-lived, copyable credentials of their account. System-managed
/// keys never leave Google and are only counted.
pub(super) fn keys(b: &mut Build<'_>, gcp: &Inventory) {
    let mut system: BTreeMap<String, usize> = BTreeMap::new();
    for (k, file) in &gcp.keys {
        // projects/P/serviceAccounts/EMAIL/keys/ID
        let mut parts = k.name.split('/');
        let (Some(email), Some(id)) = (parts.nth(3), parts.nth(1)) else {
            b.warnings.push(Warning::new(
                file,
                "",
                format!(
                    "key {} names no service account and key id; skipped",
                    crate::report::clean(&k.name)
                ),
            ));
            continue;
        };
        let sa = format!("gcp:sa:{email}");
        if k.key_type == "SYSTEM_MANAGED" {
            *system.entry(sa).or_default() += 1;
            continue;
        }
        let prov = provenance(b.graph, file, format!("key {id}"));
        unlisted_account(
            b,
            email,
            None,
            format!("named by its key {id}"),
            prov.clone(),
        );
        let key = format!("gcp:key:{email}/{id}");
        let time = |t: &Option<String>| t.as_deref().and_then(|t| t.parse::<Timestamp>().ok());
        // 9999-12-31T23:59:59Z is gcloud's "never".
        let expires = time(&k.valid_before_time).filter(|t| t.as_second() < 253_402_300_000 - 1);
        let short: String = id.chars().take(8).collect();
        if let Some(node) = b.node(
            &key,
            NodeKind::Credential,
            &format!("{} key {short}", members::local(email)),
            None,
            prov.clone(),
        ) {
            node.tags.insert("key_type".into(), "USER_MANAGED".into());
            if !k.key_algorithm.is_empty() {
                node.tags
                    .insert("key_algorithm".into(), k.key_algorithm.clone());
            }
            if !k.key_origin.is_empty() {
                node.tags.insert("key_origin".into(), k.key_origin.clone());
            }
            node.credential = Some(Box::new(Credential {
                kind: Some("sa_key".into()),
                status: Some(if k.disabled { "disabled" } else { "active" }.into()),
                created: time(&k.valid_after_time),
                last_used: gcp
                    .last_used
                    .get(&format!("{email}/{id}"))
                    .and_then(|t| t.parse().ok()),
                expires,
                long_lived: Some(expires.is_none()),
                ..Credential::default()
            }));
            node.revoke = vec![revoke(
                format!("disable-key:{key}"),
                "deactivate_key",
                4,
                Vec::new(),
            )];
        }
        let never = if expires.is_none() {
            " (validBeforeTime 9999-12-31: it never expires)"
        } else {
            ""
        };
        let reason = format!(
            "USER_MANAGED key {id} of {email}{never}: whoever holds its private key file is the account"
        );
        b.edge(&key, &sa, EdgeKind::AuthenticatesAs, reason, &prov, |_| {});
    }
    // A key file among the inputs is a copy of the key, wherever it was found.
    for (k, file) in &gcp.key_files {
        let key = format!("gcp:key:{}/{}", k.client_email, k.private_key_id);
        let sa = format!("gcp:sa:{}", k.client_email);
        let prov = provenance(b.graph, file, format!("key file of {}", k.client_email));
        if k.client_email.is_empty() || k.private_key_id.is_empty() {
            continue;
        }
        let short: String = k.private_key_id.chars().take(8).collect();
        unlisted_account(
            b,
            &k.client_email,
            None,
            format!("named by key file {file}"),
            prov.clone(),
        );
        if let Some(node) = b.node(
            &key,
            NodeKind::Credential,
            &format!("{} key {short}", members::local(&k.client_email)),
            None,
            prov.clone(),
        ) {
            node.tags.insert("key_type".into(), "USER_MANAGED".into());
            node.credential = Some(Box::new(Credential {
                kind: Some("sa_key".into()),
                long_lived: Some(true),
                ..Credential::default()
            }));
            node.revoke = vec![revoke(
                format!("disable-key:{key}"),
                "deactivate_key",
                4,
                Vec::new(),
            )];
            let reason = format!(
                "key file {file} holds the private key {} of {}: whoever holds a copy is the account",
                k.private_key_id, k.client_email
            );
            b.edge(&key, &sa, EdgeKind::AuthenticatesAs, reason, &prov, |_| {});
        }
        if let Some(id) = b.graph.find(&key) {
            b.graph
                .node_mut(id)
                .tags
                .insert("copy_found_at".into(), file.clone());
        }
        // A key listing of the account read, without this key: deleted since, most
        // likely; kept (a copy is no proof), and said.
        let of_account = |l: &super::Key| l.name.split('/').nth(3) == Some(k.client_email.as_str());
        if gcp.keys.iter().any(|(l, _)| of_account(l))
            && !gcp.keys.iter().any(|(l, _)| {
                of_account(l) && l.name.rsplit('/').next() == Some(k.private_key_id.as_str())
            })
            && let Some(id) = b.graph.find(&key)
        {
            b.graph
                .node_mut(id)
                .tags
                .insert("absent_from_key_listing".into(), "true".into());
            b.warnings.push(Warning::new(
                file,
                "",
                format!(
                    "key file of {} holds key {}, which its key listing does not show: probably deleted since; kept as a credential",
                    k.client_email, k.private_key_id
                ),
            ));
        }
    }
    for (sa, n) in system {
        if let Some(id) = b.graph.find(&sa) {
            b.graph
                .node_mut(id)
                .tags
                .insert("system_managed_keys".into(), n.to_string());
        }
    }
}

/// The node of a resource a policy is on, when no listing made it.
pub(super) fn ensure_resource(b: &mut Build<'_>, r: &Resource, key: &str, prov: Provenance) {
    let (kind, name, scope) = match r {
        Resource::Org(n) => (NodeKind::Resource, format!("organization {n}"), None),
        Resource::Folder(n) => (NodeKind::Resource, format!("folder {n}"), None),
        Resource::Project(p) => (NodeKind::Resource, p.clone(), Some(p.as_str())),
        Resource::Child {
            project,
            collection,
            name,
        } => {
            let kind = if collection == "serviceAccounts" {
                NodeKind::ServiceAccount
            } else if collection == "secrets" {
                NodeKind::Secret
            } else {
                NodeKind::Resource
            };
            let shown = if collection == "serviceAccounts" {
                members::local(name).to_string()
            } else {
                format!("{collection} {name}")
            };
            (kind, shown, Some(project.as_str()))
        }
    };
    let why = "named by its IAM policy; not in a listing".to_string();
    if let Some(email) = key.strip_prefix("gcp:sa:") {
        unlisted_account(b, email, scope, why, prov);
    } else if let Some(node) = b.node(key, kind, &name, scope, prov) {
        node.tags.insert("not_in_inputs".into(), why);
    }
}

/// GKE workload identity: a member naming `PROJECT.svc.id.goog` Kubernetes service
/// accounts is every such account of a cluster in that pool (conditional on the
/// cluster's pool); and a `domain:` member is every user of the domain.
pub(super) fn gke_members(b: &mut Build<'_>) {
    // Kubernetes service accounts by `NS/NAME`, and by namespace.
    let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut by_ns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut members = Vec::new();
    let mut domains = Vec::new();
    let mut users = Vec::new();
    for id in b.graph.node_ids() {
        // (Borrowed: only the keys kept are copied.)
        let key = b.graph.key(id);
        if let Some((_, sa)) = key.strip_prefix("k8s:").and_then(|r| r.split_once(":sa:")) {
            by_name
                .entry(sa.to_string())
                .or_default()
                .push(key.to_string());
            if let Some((ns, _)) = sa.split_once('/') {
                by_ns
                    .entry(ns.to_string())
                    .or_default()
                    .push(key.to_string());
            }
        } else if key.starts_with("gcp:wi:") || key.starts_with("gcp:principal") {
            members.push(key.to_string());
        } else if let Some(d) = key.strip_prefix("gcp:domain:") {
            domains.push(d.to_string());
        } else if key.starts_with("gcp:user:") {
            users.push(key.to_string());
        }
    }
    for member in members {
        let Some((pool, who)) = gke_member(&member) else {
            continue;
        };
        let k8s = match &who {
            Gke::Account(sa) => by_name.get(sa.as_str()),
            Gke::Namespace(ns) => by_ns.get(ns.as_str()),
        };
        let Some(prov) = b
            .graph
            .find(&member)
            .map(|id| b.graph.node(id).provenance.clone())
        else {
            continue;
        };
        for from in k8s.cloned().unwrap_or_default() {
            let cluster = from.split(':').nth(1).unwrap_or_default().to_string();
            let what = from.rsplit(":sa:").next().unwrap_or_default().to_string();
            b.edge(
                &from,
                &member,
                EdgeKind::CanAssume,
                format!(
                    "Kubernetes service account {what} is the GKE workload identity member {}",
                    member.trim_start_matches("gcp:")
                ),
                &prov,
                |e| {
                    e.conditions = vec![Condition::described(format!(
                        "holds if cluster {cluster} runs in the workload pool {pool}"
                    ))];
                },
            );
        }
    }
    // A domain's grants hold for every account of the domain.
    for domain in domains {
        let key = format!("gcp:domain:{domain}");
        let Some(prov) = b
            .graph
            .find(&key)
            .map(|id| b.graph.node(id).provenance.clone())
        else {
            continue;
        };
        for user in users.iter().filter(|u| u.ends_with(&format!("@{domain}"))) {
            b.edge(
                user,
                &key,
                EdgeKind::MemberOf,
                format!(
                    "{} is an account of domain {domain}",
                    user.trim_start_matches("gcp:user:")
                ),
                &prov,
                |_| {},
            );
        }
    }
}

/// `principalSet://cloudresourcemanager.googleapis.com/{projects|folders|organizations}/
/// ID/type/ServiceAccount`: every service account below that resource is a member.
pub(super) fn account_sets(
    b: &mut Build<'_>,
    gcp: &Inventory,
    sas_under: &BTreeMap<String, Vec<String>>,
) {
    let sets: Vec<String> = b
        .graph
        .node_ids()
        .map(|id| b.graph.key(id))
        .filter(|k| {
            k.starts_with("gcp:principal-set:cloudresourcemanager.googleapis.com/")
                && k.ends_with("/type/ServiceAccount")
        })
        .map(str::to_string)
        .collect();
    for set in sets {
        let path = set
            .trim_start_matches("gcp:principal-set:cloudresourcemanager.googleapis.com/")
            .trim_end_matches("/type/ServiceAccount");
        let scope = match path.split_once('/') {
            // Projects by number (or id), as the member names them.
            Some(("projects", p)) => gcp
                .projects
                .values()
                .find(|(x, _)| x.project_number == p || x.project_id == p)
                .map(|(x, _)| format!("gcp:project:{}", x.project_id))
                // Not listed: named by its id, it is still that project.
                .or_else(|| {
                    (!p.bytes().all(|c| c.is_ascii_digit())).then(|| format!("gcp:project:{p}"))
                }),
            Some(("folders", f)) => Some(format!("gcp:folder:{f}")),
            Some(("organizations", o)) => Some(format!("gcp:org:{o}")),
            _ => None,
        };
        let Some(scope) = scope else {
            continue;
        };
        let Some(prov) = b
            .graph
            .find(&set)
            .map(|id| b.graph.node(id).provenance.clone())
        else {
            continue;
        };
        for sa in sas_under.get(&scope).into_iter().flatten() {
            let reason = format!(
                "{} is a service account under {}: a member of {}",
                sa.trim_start_matches("gcp:sa:"),
                scope.trim_start_matches("gcp:"),
                set.trim_start_matches("gcp:principal-set:")
            );
            b.edge(sa, &set, EdgeKind::MemberOf, reason, &prov, |_| {});
        }
    }
}

/// What a GKE workload identity member names: one Kubernetes service account, or every
/// account of a namespace; with the pool it belongs to.
enum Gke {
    Account(String),
    Namespace(String),
}

/// `gcp:wi:POOL[NS/KSA]`, or the principal forms
/// `…/workloadIdentityPools/POOL.svc.id.goog/subject/ns/NS/sa/KSA` and
/// `…/workloadIdentityPools/POOL.svc.id.goog/namespace/NS`.
fn gke_member(key: &str) -> Option<(String, Gke)> {
    if let Some(inner) = key.strip_prefix("gcp:wi:") {
        let (pool, rest) = inner.split_once('[')?;
        return Some((
            pool.to_string(),
            Gke::Account(rest.trim_end_matches(']').to_string()),
        ));
    }
    let (_, rest) = key.split_once("/workloadIdentityPools/")?;
    let (pool, rest) = rest.split_once('/')?;
    if !pool.ends_with(".svc.id.goog") {
        return None;
    }
    if let Some(path) = rest.strip_prefix("subject/ns/") {
        let (ns, sa) = path.split_once("/sa/")?;
        return Some((pool.to_string(), Gke::Account(format!("{ns}/{sa}"))));
    }
    let ns = rest.strip_prefix("namespace/")?;
    Some((pool.to_string(), Gke::Namespace(ns.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gke_members_in_every_form() {
        assert!(
            matches!(gke_member("gcp:wi:p.svc.id.goog[ns/ksa]"), Some((pool, Gke::Account(a))) if pool == "p.svc.id.goog" && a == "ns/ksa")
        );
        assert!(matches!(
            gke_member("gcp:principal:iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p.svc.id.goog/subject/ns/ns1/sa/ksa"),
            Some((_, Gke::Account(a))) if a == "ns1/ksa"
        ));
        assert!(matches!(
            gke_member("gcp:principal-set:iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p.svc.id.goog/namespace/ns1"),
            Some((_, Gke::Namespace(n))) if n == "ns1"
        ));
        assert!(gke_member("gcp:principal-set:iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/github/attribute.repository/o/r").is_none());
    }
}
