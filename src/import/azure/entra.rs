//! Entra ID: service principals (managed identities included), app registrations and
//! their credentials, owners, app-role assignments (Microsoft Graph's critical ones
//! take over the tenant) and directory roles.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::commands::az;
use super::commands::disable_sp;
use super::{Credential, Inventory, OwnerOf};
use crate::import::{Warning, add_new_node, provenance, revoke};
use crate::model::{
    AccessLevel, Condition, Edge, EdgeKind, NodeKind, Provenance, Revoke, TrustGraph,
};

/// Microsoft Graph's application id.
pub(super) const GRAPH: &str = "00000003-0000-0000-c000-000000000000";

/// Microsoft's own tenants: their apps are first-party, not a third party's.
const MICROSOFT_TENANTS: [&str; 2] = [
    "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    "72f988bf-86f1-41af-91ab-2d7cd011db47",
];

/// Graph application permissions, by app-role id, and what they give.
enum GraphPower {
    /// Assign any directory role or app role, itself included.
    Tenant,
    /// Add credentials to any application and service principal.
    AnyApp,
}

const GRAPH_ROLES: [(&str, &str, GraphPower); 3] = [
    (
        "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
        "RoleManagement.ReadWrite.Directory",
        GraphPower::Tenant,
    ),
    (
        "06b708a9-e830-4db3-a914-8e69da51d44f",
        "AppRoleAssignment.ReadWrite.All",
        GraphPower::Tenant,
    ),
    (
        "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
        "Application.ReadWrite.All",
        GraphPower::AnyApp,
    ),
];

/// Directory roles, by template id, and what they give tenant-wide.
const DIRECTORY_ROLES: [(&str, &str, GraphPower); 5] = [
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
        GraphPower::Tenant,
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
        GraphPower::Tenant,
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
        GraphPower::Tenant,
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
        GraphPower::AnyApp,
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
        GraphPower::AnyApp,
    ),
];

/// Adds nodes and edges by key, once each; edges into or out of a disabled service
/// principal are dormant.
pub(super) struct Azure<'g> {
    pub(super) graph: &'g mut TrustGraph,
    pub(super) disabled: std::collections::BTreeSet<String>,
}

impl<'g> Azure<'g> {
    /// Over `graph`, with the service principals the inputs mark disabled.
    pub(super) fn new(graph: &'g mut TrustGraph, inv: &Inventory) -> Azure<'g> {
        Azure {
            graph,
            disabled: inv
                .sps
                .iter()
                .filter(|(s, _)| s.account_enabled == Some(false))
                .map(|(s, _)| format!("azure:sp:{}", s.id))
                .collect(),
        }
    }

    pub(super) fn node(
        &mut self,
        key: &str,
        kind: NodeKind,
        name: &str,
        prov: Provenance,
    ) -> Option<&mut crate::model::Node> {
        add_new_node(self.graph, key, kind, "azure", name, None, prov)
    }

    pub(super) fn edge(
        &mut self,
        from: &str,
        to: &str,
        kind: EdgeKind,
        reason: String,
        prov: &Provenance,
        tune: impl FnOnce(&mut Edge),
    ) {
        let (Some(a), Some(b)) = (self.graph.find(from), self.graph.find(to)) else {
            return;
        };
        let dormant = self.disabled.contains(from) || self.disabled.contains(to);
        self.edge_between(a, b, dormant, kind, reason, prov, tune);
    }

    /// [`Azure::edge`] between nodes already found (`dormant`: an end is disabled).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn edge_between(
        &mut self,
        a: crate::model::NodeId,
        b: crate::model::NodeId,
        dormant: bool,
        kind: EdgeKind,
        reason: impl Into<std::sync::Arc<str>>,
        prov: &Provenance,
        tune: impl FnOnce(&mut Edge),
    ) {
        if a == b {
            return;
        }
        let mut edge = Edge::new(kind, reason, prov.clone());
        tune(&mut edge);
        edge.dormant |= dormant;
        self.graph.add_edge(a, b, edge);
    }
}

/// `az rest --method DELETE --url URL`, when every id in it is an id Graph writes
/// (letters, digits, `-`, `_`): an id from the inputs with `/`, `?` or `..` in it could
/// aim the DELETE at another object.
fn graph_delete(path: &str, ids: &[&str]) -> String {
    let plain = |id: &str| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if ids.iter().all(|id| plain(id)) {
        az(["rest", "--method", "DELETE", "--url"])
            .arg(format!("https://graph.microsoft.com/v1.0/{path}"))
            .into()
    } else {
        crate::shell::comment(&format!(
            "NOT RUN: an id here is not an object id; delete https://graph.microsoft.com/v1.0/{path} by hand after checking it"
        ))
    }
}

/// The tenant: the owner organisation of the tenant's own apps' service principals.
fn tenant_of(inv: &Inventory) -> Option<String> {
    let own: std::collections::BTreeSet<&str> =
        inv.apps.iter().map(|(a, _)| a.app_id.as_str()).collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (sp, _) in &inv.sps {
        if own.contains(sp.app_id.as_str())
            && let Some(t) = sp.app_owner_organization_id.as_deref()
        {
            *counts.entry(t).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(t, _)| t.to_string())
}

/// Builds Entra's nodes and edges; returns the tenant node's key when the tenant is known.
pub(super) fn build(
    inv: &Inventory,
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    at: Timestamp,
) -> Option<String> {
    let tenant_id = tenant_of(inv);
    let mut b = Azure::new(graph, inv);
    let sp_by_app: BTreeMap<&str, &str> = inv
        .sps
        .iter()
        .map(|(s, _)| (s.app_id.as_str(), s.id.as_str()))
        .collect();
    let tenant = tenant_id.as_ref().map(|t| format!("azure:tenant:{t}"));
    if let (Some(key), Some(t)) = (&tenant, &tenant_id) {
        let file = inv.sps.first().map_or("inputs", |(_, f)| f.as_str());
        let prov = provenance(
            b.graph,
            file,
            "the tenant of the listed applications".into(),
        );
        if let Some(node) = b.node(key, NodeKind::Resource, &format!("tenant {t}"), prov) {
            node.admin = true;
        }
    }
    // Service principals.
    for (sp, file) in &inv.sps {
        let key = format!("azure:sp:{}", sp.id);
        let prov = provenance(
            b.graph,
            file,
            format!("service principal {}", sp.display_name),
        );
        let owner_org = sp.app_owner_organization_id.as_deref();
        let Some(node) = b.node(&key, NodeKind::ServiceAccount, &sp.display_name, prov) else {
            continue;
        };
        node.tags.insert("app_id".into(), sp.app_id.clone());
        node.tags.insert("object_id".into(), sp.id.clone());
        node.tags
            .insert("sp_type".into(), sp.service_principal_type.clone());
        if sp.account_enabled == Some(false) {
            node.tags.insert("disabled".into(), "true".into());
        }
        match owner_org {
            Some(o) if MICROSOFT_TENANTS.contains(&o) => {
                node.tags.insert("first_party".into(), "microsoft".into());
            }
            Some(o) if tenant_id.as_deref().is_some_and(|t| t != o) => {
                node.tags.insert("third_party".into(), o.to_string());
            }
            _ => {}
        }
        node.revoke = vec![revoke(
            format!("disable:{key}"),
            "disable_identity",
            6,
            vec![disable_sp(sp.id.as_str()).into()],
        )];
    }
    // App registrations: whoever controls one adds a credential and signs in as its
    // service principal.
    for (app, file) in &inv.apps {
        let key = format!("azure:app:{}", app.app_id);
        let prov = provenance(b.graph, file, format!("application {}", app.display_name));
        if let Some(node) = b.node(&key, NodeKind::Resource, &app.display_name, prov.clone()) {
            node.tags.insert("app_id".into(), app.app_id.clone());
            node.tags.insert("object_id".into(), app.id.clone());
            node.tags.insert("app_registration".into(), "true".into());
            node.tags
                .insert("sign_in_audience".into(), app.sign_in_audience.clone());
        }
        if let Some(sp) = sp_by_app.get(app.app_id.as_str()) {
            let reason = format!(
                "a credential added to application {} signs in as its service principal",
                app.display_name
            );
            b.edge(
                &key,
                &format!("azure:sp:{sp}"),
                EdgeKind::CanControl,
                reason,
                &prov,
                |_| {},
            );
        }
    }
    // A managed identity's client id is its service principal's app id: whatever names
    // it by client id (a Kubernetes service account's workload identity annotation)
    // reaches it.
    for (sp, file) in inv
        .sps
        .iter()
        .filter(|(s, _)| s.service_principal_type == "ManagedIdentity")
    {
        let by_client = format!("azure:app:{}", sp.app_id);
        if b.graph.find(&by_client).is_some() {
            let prov = provenance(
                b.graph,
                file,
                format!("managed identity {}", sp.display_name),
            );
            let reason = format!(
                "client id {} is managed identity {}'s",
                sp.app_id, sp.display_name
            );
            b.edge(
                &by_client,
                &format!("azure:sp:{}", sp.id),
                EdgeKind::CanAssume,
                reason,
                &prov,
                |_| {},
            );
        }
    }
    credentials(&mut b, inv, &sp_by_app, at);
    owners(&mut b, inv, &sp_by_app);
    // What an administrator or Application.ReadWrite.All can add a credential to: apps,
    // and service principals of this tenant's own (not managed identities, not
    // Microsoft's or another organisation's).
    let everything: Vec<String> = inv
        .sps
        .iter()
        .filter(|(s, _)| {
            s.service_principal_type != "ManagedIdentity"
                && s.app_owner_organization_id.as_deref() == tenant_id.as_deref()
        })
        .map(|(s, _)| format!("azure:sp:{}", s.id))
        .chain(
            inv.apps
                .iter()
                .map(|(a, _)| format!("azure:app:{}", a.app_id)),
        )
        .collect();
    app_roles(&mut b, inv, tenant.as_deref(), &everything, warnings);
    directory_roles(&mut b, inv, tenant.as_deref(), &everything, warnings);
    // The tenant's administrators control every application and service principal.
    if let Some(t) = &tenant
        && let Some(prov) = b.graph.find(t).map(|n| b.graph.node(n).provenance.clone())
    {
        for target in &everything {
            b.edge(
                t,
                target,
                EdgeKind::CanControl,
                "a tenant administrator can add credentials to any application and service principal".into(),
                &prov,
                |_| {},
            );
        }
    }
    match (&tenant, &tenant_id) {
        (Some(t), Some(id)) => {
            // A Global Administrator can elevate to User Access Administrator at `/`.
            let root = format!("azure:mg:{id}");
            if let Some(prov) = b.graph.find(t).map(|n| b.graph.node(n).provenance.clone()) {
                if b.graph.find(&root).is_none() {
                    b.node(
                        &root,
                        NodeKind::Resource,
                        "tenant root management group",
                        prov.clone(),
                    );
                }
                let reason = "a Global Administrator can elevate itself to User Access Administrator at the root scope `/` (Microsoft.Authorization/elevateAccess/action)".to_string();
                b.edge(t, &root, EdgeKind::CanEscalate, reason, &prov, |e| {
                    e.technique = Some("elevateAccess".into());
                    e.level = Some(AccessLevel::Admin);
                });
            }
        }
        _ if !inv.directory_roles.is_empty() || !inv.app_role_assignments.is_empty() => {
            let message = "the tenant is not known (it is the owner organisation of the tenant's own apps: read `az ad app list` and `az ad sp list` together): tenant-wide roles and Graph permissions reach no tenant node";
            warnings.push(Warning::new("inputs", "", message));
        }
        _ => {}
    }
    tenant
}

/// Password and certificate credentials of apps and service principals: dates only.
fn credentials(
    b: &mut Azure<'_>,
    inv: &Inventory,
    sp_by_app: &BTreeMap<&str, &str>,
    at: Timestamp,
) {
    let apps = inv.apps.iter().map(|(a, f)| {
        (
            a.app_id.as_str(),
            a.app_id.as_str(),
            "app",
            &a.password_credentials,
            &a.key_credentials,
            f,
        )
    });
    let sps = inv.sps.iter().map(|(s, f)| {
        (
            s.app_id.as_str(),
            s.id.as_str(),
            "sp",
            &s.password_credentials,
            &s.key_credentials,
            f,
        )
    });
    for (app_id, owner_id, on, passwords, certs, file) in apps.chain(sps) {
        let to = sp_by_app
            .get(app_id)
            .map_or(format!("azure:app:{app_id}"), |sp| format!("azure:sp:{sp}"));
        let all = passwords
            .iter()
            .map(|c| (c, false))
            .chain(certs.iter().map(|c| (c, true)));
        for (c, cert) in all {
            credential(b, inv, c, cert, (app_id, owner_id, on), &to, file, at);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn credential(
    b: &mut Azure<'_>,
    inv: &Inventory,
    c: &Credential,
    cert: bool,
    (app_id, owner_id, on): (&str, &str, &str),
    to: &str,
    file: &str,
    at: Timestamp,
) {
    if c.key_id.is_empty() {
        return;
    }
    let key = format!("azure:cred:{app_id}/{}", c.key_id);
    let what = if cert { "certificate" } else { "client secret" };
    let prov = provenance(b.graph, file, format!("{what} {}", c.key_id));
    let time = |t: &Option<String>| t.as_deref().and_then(|t| t.parse::<Timestamp>().ok());
    let expires = time(&c.end_date_time);
    let short: String = c.key_id.chars().take(8).collect();
    let name = match &c.display_name {
        Some(d) if !d.is_empty() => format!("{what} {d} ({short})"),
        _ => format!("{what} {short}"),
    };
    let mut delete = az([
        "ad",
        on,
        "credential",
        "delete",
        "--id",
        owner_id,
        "--key-id",
        &c.key_id,
    ]);
    if cert {
        delete = delete.arg("--cert");
    }
    if let Some(node) = b.node(&key, NodeKind::Credential, &name, prov.clone()) {
        node.tags.insert("app_id".into(), app_id.to_string());
        node.credential = Some(Box::new(crate::model::Credential {
            kind: Some(if cert { "certificate" } else { "client_secret" }.into()),
            // Past its end date it signs nobody in (`--at`).
            status: Some(
                if expires.is_some_and(|e| e <= at) {
                    "expired"
                } else {
                    "active"
                }
                .into(),
            ),
            created: time(&c.start_date_time),
            expires,
            last_used: inv
                .last_used
                .get(&c.key_id.to_ascii_lowercase())
                .and_then(|t| t.parse().ok()),
            long_lived: Some(true),
            ..crate::model::Credential::default()
        }));
        node.revoke = vec![revoke(
            format!("delete-credential:{key}"),
            "deactivate_key",
            4,
            vec![delete.into()],
        )];
    }
    let until = c
        .end_date_time
        .as_deref()
        .map_or(String::new(), |e| format!(", valid until {e}"));
    let reason = format!(
        "{what} {} of application {app_id}{until}: whoever holds it signs in as the service principal",
        c.key_id
    );
    b.edge(&key, to, EdgeKind::AuthenticatesAs, reason, &prov, |_| {});
}

/// Owners of apps and service principals can add credentials to them.
fn owners(b: &mut Azure<'_>, inv: &Inventory, sp_by_app: &BTreeMap<&str, &str>) {
    // An app named in a path by app id or object id.
    let app_by_object: BTreeMap<&str, &str> = inv
        .apps
        .iter()
        .map(|(a, _)| (a.id.as_str(), a.app_id.as_str()))
        .collect();
    for (of, owner, file) in &inv.owners {
        let from = owner_key(b, owner, file);
        let prov = provenance(b.graph, file, format!("owner {}", owner.id));
        let (to, what, remove) = match of {
            OwnerOf::App(id) => {
                let app_id = app_by_object.get(id.as_str()).copied().unwrap_or(id);
                let cmd: String = az([
                    "ad",
                    "app",
                    "owner",
                    "remove",
                    "--id",
                    app_id,
                    "--owner-object-id",
                    &owner.id,
                ])
                .into();
                (
                    format!("azure:app:{app_id}"),
                    format!("application {app_id}"),
                    cmd,
                )
            }
            OwnerOf::Sp(id) => {
                let sp = sp_by_app.get(id.as_str()).copied().unwrap_or(id);
                let url = graph_delete(
                    &format!("servicePrincipals/{sp}/owners/{}/$ref", owner.id),
                    &[sp, &owner.id],
                );
                (
                    format!("azure:sp:{sp}"),
                    format!("service principal {sp}"),
                    url,
                )
            }
        };
        let reason = format!("an owner of {what} can add credentials to it and sign in as it");
        let cut: std::sync::Arc<[Revoke]> = vec![revoke(
            format!("remove-owner:{to}:{}", owner.id),
            "remove_membership",
            3,
            vec![remove],
        )]
        .into();
        b.edge(&from, &to, EdgeKind::CanControl, reason, &prov, |e| {
            e.revoke = cut
        });
    }
}

/// The node of a directory object named as an owner or assignee.
fn owner_key(b: &mut Azure<'_>, o: &super::DirectoryObject, file: &str) -> String {
    let prov = provenance(b.graph, file, format!("directory object {}", o.id));
    let name = o.display_name.clone().unwrap_or_else(|| o.id.clone());
    let (key, kind) = if o.odata_type.ends_with("servicePrincipal") {
        (format!("azure:sp:{}", o.id), NodeKind::ServiceAccount)
    } else if o.odata_type.ends_with("group") {
        (format!("azure:group:{}", o.id), NodeKind::Group)
    } else {
        let upn = o
            .user_principal_name
            .clone()
            .unwrap_or_else(|| o.id.clone());
        (format!("azure:user:{upn}"), NodeKind::Human)
    };
    if let Some(node) = b.node(&key, kind, &name, prov) {
        node.tags.insert("object_id".into(), o.id.clone());
    }
    key
}

/// Graph application permissions: the critical ones take over the tenant or every app.
fn app_roles(
    b: &mut Azure<'_>,
    inv: &Inventory,
    tenant: Option<&str>,
    everything: &[String],
    warnings: &mut Vec<Warning>,
) {
    let graph_sp: Option<&str> = inv
        .sps
        .iter()
        .find(|(s, _)| s.app_id == GRAPH)
        .map(|(s, _)| s.id.as_str());
    let role_names: BTreeMap<&str, &str> = inv
        .sps
        .iter()
        .flat_map(|(s, _)| s.app_roles.iter())
        .filter_map(|r| Some((r.id.as_str(), r.value.as_deref()?)))
        .collect();
    for (a, file) in &inv.app_role_assignments {
        let from = format!("azure:sp:{}", a.principal_id);
        let prov = provenance(b.graph, file, format!("app-role assignment {}", a.id));
        let is_graph = graph_sp == Some(a.resource_id.as_str())
            || a.resource_display_name.as_deref() == Some("Microsoft Graph");
        let critical = GRAPH_ROLES
            .iter()
            .find(|(id, _, _)| is_graph && *id == a.app_role_id);
        let url = graph_delete(
            &format!(
                "servicePrincipals/{}/appRoleAssignments/{}",
                a.principal_id, a.id
            ),
            &[&a.principal_id, &a.id],
        );
        let cut: std::sync::Arc<[Revoke]> = vec![revoke(
            format!("remove-app-role:{}", a.id),
            "remove_binding",
            3,
            vec![url],
        )]
        .into();
        if b.graph.find(&from).is_none() {
            warnings.push(Warning::new(file, &a.id, format!("app-role assignment of service principal {}, which no `az ad sp list` output read holds; skipped", a.principal_id)));
            continue;
        }
        match critical {
            Some((_, name, GraphPower::Tenant)) => {
                if let Some(t) = tenant {
                    let reason = format!(
                        "Microsoft Graph application permission {name}: it can grant itself any directory role, Global Administrator included"
                    );
                    let cut = cut.clone();
                    b.edge(&from, t, EdgeKind::CanEscalate, reason, &prov, |e| {
                        e.revoke = cut;
                        e.technique = Some((*name).into());
                        e.level = Some(AccessLevel::Admin);
                    });
                }
            }
            Some((role_id, name, GraphPower::AnyApp)) => {
                // One node for the permission, which reaches every app once: its
                // holders join it, so the edges grow with holders plus apps, not their
                // product.
                let permission = format!("azure:app-role:{role_id}");
                if let Some(node) = b.node(
                    &permission,
                    NodeKind::Role,
                    &format!("Microsoft Graph {name}"),
                    prov.clone(),
                ) {
                    node.tags.insert("graph_permission".into(), (*name).into());
                    for target in everything {
                        let reason = format!(
                            "Microsoft Graph application permission {name}: its holder can add a credential to {} and sign in as it",
                            target.trim_start_matches("azure:")
                        );
                        b.edge(
                            &permission,
                            target,
                            EdgeKind::CanEscalate,
                            reason,
                            &prov,
                            |e| {
                                e.technique = Some((*name).into());
                            },
                        );
                    }
                }
                let reason =
                    format!("Microsoft Graph application permission {name}, granted to it");
                let cut = cut.clone();
                b.edge(&from, &permission, EdgeKind::MemberOf, reason, &prov, |e| {
                    e.revoke = cut;
                });
            }
            None => {
                // Another application permission: access to that API, at its word. No
                // edge into the API's service principal (holding a permission on an API is
                // not acting as it): a tag on the holder.
                let value = role_names
                    .get(a.app_role_id.as_str())
                    .copied()
                    .unwrap_or(&a.app_role_id);
                let api = a
                    .resource_display_name
                    .clone()
                    .unwrap_or_else(|| a.resource_id.clone());
                if let Some(n) = b.graph.find(&from) {
                    let tags = &mut b.graph.node_mut(n).tags;
                    let entry = tags.entry("app_permissions".into()).or_default();
                    if !entry.is_empty() {
                        entry.push_str(", ");
                    }
                    entry.push_str(&format!("{value} on {api}"));
                }
                let _ = cut;
            }
        }
    }
}

/// Directory roles: tenant-wide ones through the role's node, scoped ones straight to
/// the object they are scoped to.
fn directory_roles(
    b: &mut Azure<'_>,
    inv: &Inventory,
    tenant: Option<&str>,
    everything: &[String],
    warnings: &mut Vec<Warning>,
) {
    let by_object: BTreeMap<&str, String> = inv
        .apps
        .iter()
        .map(|(a, _)| (a.id.as_str(), format!("azure:app:{}", a.app_id)))
        .chain(
            inv.sps
                .iter()
                .map(|(s, _)| (s.id.as_str(), format!("azure:sp:{}", s.id))),
        )
        .collect();
    // Principals by object id, found once: listed service principals, and the users and
    // groups the inputs name.
    let known: BTreeMap<String, String> = b
        .graph
        .node_ids()
        .map(|n| b.graph.node(n))
        .filter(|n| n.platform == "azure")
        .filter_map(|n| Some((n.tags.get("object_id")?.to_string(), n.key.to_string())))
        .collect();
    for (r, file) in &inv.directory_roles {
        let Some((template, name, power)) = DIRECTORY_ROLES
            .iter()
            .find(|(id, _, _)| *id == r.role_definition_id)
        else {
            let message = format!(
                "directory role {} is not one trustpath rates (it knows the Global, Privileged Role, Privileged Authentication, Application and Cloud Application Administrators); its assignment to {} gives no edge",
                crate::report::clean(&r.role_definition_id),
                crate::report::clean(&r.principal_id)
            );
            warnings.push(Warning::new(file, &r.id, message));
            continue;
        };
        let prov = provenance(b.graph, file, format!("directory role assignment {}", r.id));
        let Some(from) = known.get(&r.principal_id).cloned() else {
            let message = format!(
                "{name} is assigned to {}, which no listing read names (a user or group?); skipped",
                r.principal_id
            );
            warnings.push(Warning::new(file, &r.id, message));
            continue;
        };
        let url = graph_delete(
            &format!("roleManagement/directory/roleAssignments/{}", r.id),
            &[&r.id],
        );
        let cut: std::sync::Arc<[Revoke]> = vec![revoke(
            format!("remove-directory-role:{}", r.id),
            "remove_binding",
            3,
            vec![url],
        )]
        .into();
        let scope = r.directory_scope_id.trim_start_matches('/');
        if !scope.is_empty() {
            // Scoped to one application or service principal.
            if let Some(to) = by_object.get(scope) {
                let reason = format!(
                    "{name} scoped to {}: it can add credentials to it",
                    to.trim_start_matches("azure:")
                );
                b.edge(&from, to, EdgeKind::CanControl, reason, &prov, |e| {
                    e.revoke = cut
                });
            }
            continue;
        }
        let role = format!("azure:directory-role:{template}");
        if let Some(node) = b.node(&role, NodeKind::Role, name, prov.clone()) {
            node.admin = matches!(power, GraphPower::Tenant);
            let role_prov = prov.clone();
            match power {
                GraphPower::Tenant => {
                    if let Some(t) = tenant {
                        let reason = format!("{name} administers the tenant");
                        b.edge(&role, t, EdgeKind::CanControl, reason, &role_prov, |e| {
                            e.level = Some(AccessLevel::Admin)
                        });
                    }
                }
                GraphPower::AnyApp => {
                    for target in everything {
                        let reason = format!(
                            "{name} can add credentials to {}",
                            target.trim_start_matches("azure:")
                        );
                        b.edge(
                            &role,
                            target,
                            EdgeKind::CanControl,
                            reason,
                            &role_prov,
                            |_| {},
                        );
                    }
                }
            }
        }
        let reason = format!("directory role {name}, assigned tenant-wide (directoryScopeId /)");
        b.edge(&from, &role, EdgeKind::MemberOf, reason, &prov, |e| {
            e.revoke = cut;
            e.conditions = Vec::<Condition>::new();
        });
    }
}
