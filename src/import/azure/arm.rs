//! Azure RBAC: role assignments through the scope tree (management group → subscription
//! → resource group → resource), role definitions' `actions`/`notActions` and data
//! actions, and what they let a principal do to the compute, identities and vaults
//! below: grant itself anything (`roleAssignments/write`), run commands on a VM and so
//! act as its managed identities, add a federated credential to a user-assigned
//! identity, read a vault's secrets.

use std::collections::{BTreeMap, BTreeSet};

use super::commands::az;
use super::entra::Azure;
use super::roles::{Role, roles};
use super::{Assignment, Inventory};
use crate::import::{Warning, provenance, revoke};
use crate::model::{AccessLevel, Condition, EdgeKind, NodeKind, Revoke, TrustGraph};
use crate::shell::Cmd;

/// A place in the scope tree, as a node key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Root,
    Mg(String),
    Sub(String),
    Rg(String, String),
    Resource(String),
}

/// The scope an ARM id names (lower-cased).
fn scope_of(id: &str) -> Option<Scope> {
    let low = id.trim_end_matches('/').to_ascii_lowercase();
    if low.is_empty() {
        return Some(Scope::Root);
    }
    let parts: Vec<&str> = low.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["providers", "microsoft.management", "managementgroups", mg] => {
            Some(Scope::Mg((*mg).to_string()))
        }
        ["subscriptions", s] => Some(Scope::Sub((*s).to_string())),
        ["subscriptions", s, "resourcegroups", rg] => {
            Some(Scope::Rg((*s).to_string(), (*rg).to_string()))
        }
        ["subscriptions", _, "resourcegroups", _, _, ..] => Some(Scope::Resource(low.clone())),
        _ => None,
    }
}

fn key_of(scope: &Scope, tenant: Option<&str>) -> Option<String> {
    Some(match scope {
        // The tenant root management group, named by the tenant's id.
        Scope::Root => format!("azure:mg:{}", tenant?.trim_start_matches("azure:tenant:")),
        Scope::Mg(m) => format!("azure:mg:{m}"),
        Scope::Sub(s) => format!("azure:subscription:{s}"),
        Scope::Rg(s, r) => format!("azure:rg:{s}/{r}"),
        Scope::Resource(id) => format!("azure:resource:{id}"),
    })
}

/// What lies at a place below a scope, for the edges a role there gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Vm,
    /// Other compute with an identity (App Service, Functions, …).
    Compute,
    Identity,
    /// A Key Vault, and whether it uses access policies (`None`: its listing was not read).
    Vault(Option<bool>),
    Other,
}

/// A resource the inputs name, with the scope keys above it (its own resource key, its
/// group, subscription, the management groups seen over it, the root).
pub(super) struct Place {
    pub(super) key: String,
    pub(super) kind: Kind,
    pub(super) above: Vec<String>,
    /// For other compute, the operation that changes it (`TYPE/write`, lower-cased).
    pub(super) write: Option<String>,
}

/// An assignment, its file, and its scope with the scope's key (none: not placeable).
type Scoped<'a> = (&'a Assignment, &'a str, Option<(Scope, String)>);

/// A place's node, once every node is in, and whether it is disabled.
type Found = Option<(crate::model::NodeId, bool)>;

pub(super) fn build(
    inv: &Inventory,
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    tenant: Option<&str>,
) {
    let mut b = Azure::new(graph, inv);
    // Management groups over each subscription: an inherited assignment at a management
    // group shows up in the listing of every subscription below it.
    let mut mgs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (mg, sub) in &inv.mg_subs {
        mgs.entry(sub.clone())
            .or_default()
            .insert(format!("azure:mg:{mg}"));
    }
    let above = |id: &str, own: bool| -> Vec<String> {
        let low = id.to_ascii_lowercase();
        let parts: Vec<&str> = low.trim_start_matches('/').split('/').collect();
        let mut out = Vec::new();
        if own {
            out.push(format!("azure:resource:{low}"));
        }
        if let ["subscriptions", s, "resourcegroups", rg, ..] = parts.as_slice() {
            out.push(format!("azure:rg:{s}/{rg}"));
        }
        if let ["subscriptions", s, ..] = parts.as_slice() {
            out.push(format!("azure:subscription:{s}"));
            out.extend(mgs.get(*s).into_iter().flatten().cloned());
        }
        if let Some(t) = tenant {
            out.push(format!(
                "azure:mg:{}",
                t.trim_start_matches("azure:tenant:")
            ));
        }
        out
    };
    let mut places = Vec::new();
    compute(&mut b, inv, &mut places, &above);
    super::vault::places(&mut b, inv, &mut places, &above);
    let mut placed: rustc_hash::FxHashSet<String> = places.iter().map(|p| p.key.clone()).collect();
    // A role assigned on a managed identity's own ARM id is placed on its node.
    let identity_scopes: rustc_hash::FxHashMap<String, String> = inv
        .identities
        .iter()
        .filter(|(m, _)| !m.principal_id.is_empty())
        .map(|(m, _)| {
            (
                format!("azure:resource:{}", m.id.to_ascii_lowercase()),
                format!("azure:sp:{}", m.principal_id),
            )
        })
        .collect();
    for (a, _, _) in inv.assignments.iter() {
        if let Some(Scope::Resource(id)) = scope_of(&a.scope) {
            let kind = if id.contains("/providers/microsoft.keyvault/vaults/") {
                Kind::Vault(None)
            } else {
                Kind::Other
            };
            let key = format!("azure:resource:{id}");
            if !identity_scopes.contains_key(&key) && placed.insert(key.clone()) {
                // (Its own key too: a role granted on the vault itself reads it.)
                places.push(Place {
                    key,
                    kind,
                    above: above(&id, true),
                    write: None,
                });
            }
        }
    }
    // The places below each scope key.
    let mut below: rustc_hash::FxHashMap<&str, Vec<usize>> = Default::default();
    for (i, p) in places.iter().enumerate() {
        for s in &p.above {
            below.entry(s.as_str()).or_default().push(i);
        }
    }
    let roles = roles(inv);
    // Every assignment's scope, parsed once; every scope's node first: an assignment
    // higher up reaches resources whose own assignment comes later.
    let scoped: Vec<Scoped<'_>> = inv
        .assignments
        .iter()
        .map(|(a, _, file)| {
            let scope = scope_of(&a.scope).and_then(|s| {
                let key = key_of(&s, tenant)?;
                let key = identity_scopes.get(&key).cloned().unwrap_or(key);
                Some((s, key))
            });
            (a, &**file, scope)
        })
        .collect();
    for (a, file, scope) in &scoped {
        if let Some((scope, key)) = scope
            && b.graph.find(key).is_none()
        {
            let prov = provenance(b.graph, file, format!("role assignment {}", a.name_or_id()));
            ensure_scope(&mut b, scope, key, &a.scope, &prov);
        }
    }
    let found: Vec<Found> = places
        .iter()
        .map(|p| Some((b.graph.find(&p.key)?, b.disabled.contains(&p.key))))
        .collect();
    // Compute, identities and vaults: what a role on them gives is decided by what it
    // allows (run code, add a credential, read secrets), never by reaching them as a
    // plain resource: a reader would reach the identities they run as, or the secrets.
    let workloads: rustc_hash::FxHashSet<&str> = places
        .iter()
        .filter(|p| !matches!(p.kind, Kind::Other))
        .map(|p| p.key.as_str())
        .collect();
    let at = Places {
        places: &places,
        found: &found,
        below: &below,
        workloads: &workloads,
    };
    // Every assignment as it is, then the custom roles their holders can rewrite, as Owner.
    let rewrites = rewritable(&scoped, &roles, &inv.mg_subs);
    let all = scoped.iter().map(|s| (s, None));
    for ((a, file, scope), definer) in all.chain(rewrites.into_iter().map(|(s, d)| (s, Some(d)))) {
        assignment(
            &mut b,
            a,
            file,
            scope.as_ref(),
            tenant,
            &roles,
            &at,
            warnings,
            definer,
        );
    }
    attach_across(&mut b, &scoped, &roles, &at);
    super::vault::access_policies(&mut b, inv, warnings);
}

/// The places an assignment's edges go to.
struct Places<'p> {
    places: &'p [Place],
    found: &'p [Found],
    below: &'p rustc_hash::FxHashMap<&'p str, Vec<usize>>,
    /// The keys of compute, identity and vault places.
    workloads: &'p rustc_hash::FxHashSet<&'p str>,
}

/// Virtual machines and other compute with an identity, and user-assigned identities.
fn compute(
    b: &mut Azure<'_>,
    inv: &Inventory,
    places: &mut Vec<Place>,
    above: &dyn Fn(&str, bool) -> Vec<String>,
) {
    for (mi, file) in &inv.identities {
        if mi.principal_id.is_empty() {
            continue;
        }
        let key = format!("azure:sp:{}", mi.principal_id);
        let prov = provenance(b.graph, file, format!("managed identity {}", mi.name));
        if let Some(node) = b.node(&key, NodeKind::ServiceAccount, &mi.name, prov) {
            node.tags
                .insert("object_id".into(), mi.principal_id.clone());
            node.tags.insert("client_id".into(), mi.client_id.clone());
            node.tags.insert("sp_type".into(), "ManagedIdentity".into());
        }
        if let Some(id) = b.graph.find(&key) {
            b.graph
                .node_mut(id)
                .tags
                .insert("arm_id".into(), mi.id.to_ascii_lowercase());
        }
        // Above it: its own node (a role assigned on its ARM id is placed there), its
        // group, subscription and so on.
        let mut over = above(&mi.id, false);
        over.push(key.clone());
        places.push(Place {
            key,
            kind: Kind::Identity,
            above: over,
            write: None,
        });
    }
    for (c, file) in &inv.compute {
        let Some(identity) = &c.identity else {
            continue;
        };
        let key = format!("azure:resource:{}", c.id.to_ascii_lowercase());
        let prov = provenance(b.graph, file, format!("{} {}", c.kind, c.name));
        let vm = c
            .kind
            .eq_ignore_ascii_case("Microsoft.Compute/virtualMachines");
        b.node(&key, NodeKind::Workload, &c.name, prov.clone());
        places.push(Place {
            key: key.clone(),
            kind: if vm { Kind::Vm } else { Kind::Compute },
            // (Its own key too: a role assigned on the VM itself runs commands on it.)
            above: above(&c.id, true),
            write: (!vm).then(|| format!("{}/write", c.kind.to_ascii_lowercase())),
        });
        let (rg, name) = rg_and_name(&c.id);
        let mut runs_as = Vec::new();
        if let Some(pid) = &identity.principal_id {
            runs_as.push((
                pid.clone(),
                format!("{} (system-assigned identity)", c.name),
                "[system]".to_string(),
            ));
        }
        for (mi_id, ua) in identity.user_assigned_identities.iter().flatten() {
            if let Some(pid) = &ua.principal_id {
                let mi_name = mi_id.rsplit('/').next().unwrap_or(mi_id).to_string();
                runs_as.push((pid.clone(), mi_name, mi_id.clone()));
            }
        }
        for (pid, name_of_identity, remove_id) in runs_as {
            let sp = format!("azure:sp:{pid}");
            if let Some(node) = b.node(
                &sp,
                NodeKind::ServiceAccount,
                &name_of_identity,
                prov.clone(),
            ) {
                node.tags.insert("object_id".into(), pid.clone());
                node.tags.insert("sp_type".into(), "ManagedIdentity".into());
            }
            let remove: String = remove_identity(&c.kind, &c.id, &rg, &name, &remove_id).into();
            let cut: std::sync::Arc<[Revoke]> = vec![revoke(
                format!("remove-identity:{key}:{pid}"),
                "remove_binding",
                4,
                vec![remove],
            )]
            .into();
            let reason = format!(
                "{} runs with managed identity {name_of_identity}: code on it gets the identity's tokens from the instance metadata service",
                c.name
            );
            b.edge(&key, &sp, EdgeKind::RunsAs, reason, &prov, |e| {
                e.revoke = cut
            });
        }
    }
}

/// The command that takes one identity (`[system]`, or a user-assigned identity's ARM
/// id) off a compute resource, by the resource's type. Other types have no such
/// command: `az resource update --remove identity` takes every identity off, and says so.
fn remove_identity(kind: &str, id: &str, rg: &str, name: &str, identity: &str) -> Cmd {
    let sub = id
        .split('/')
        .skip_while(|p| !p.eq_ignore_ascii_case("subscriptions"))
        .nth(1)
        .unwrap_or_default();
    let group = |group: &'static str| {
        az([
            group,
            "identity",
            "remove",
            "--resource-group",
            rg,
            "--name",
            name,
        ])
    };
    let cmd = match kind.to_ascii_lowercase().as_str() {
        "microsoft.compute/virtualmachines" => group("vm").args(["--identities", identity]),
        "microsoft.compute/virtualmachinescalesets" => {
            group("vmss").args(["--identities", identity])
        }
        "microsoft.web/sites" => group("webapp").args(["--identities", identity]),
        "microsoft.app/containerapps" if identity == "[system]" => {
            group("containerapp").arg("--system-assigned")
        }
        "microsoft.app/containerapps" => group("containerapp").args(["--user-assigned", identity]),
        _ => {
            return az(["resource", "update", "--ids", id, "--remove", "identity"])
                .note("takes every identity off the resource, not only this one");
        }
    };
    cmd.eq("--subscription", sub)
}

/// The resource group and name in an ARM id, as written.
fn rg_and_name(id: &str) -> (String, String) {
    let parts: Vec<&str> = id.trim_start_matches('/').split('/').collect();
    let rg = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("resourceGroups"))
        .and_then(|i| parts.get(i + 1))
        .map_or_else(String::new, |s| (*s).to_string());
    (
        rg,
        parts.last().map_or_else(String::new, |s| (*s).to_string()),
    )
}

#[allow(clippy::too_many_arguments)]
fn assignment(
    b: &mut Azure<'_>,
    a: &Assignment,
    file: &str,
    scope: Option<&(Scope, String)>,
    tenant: Option<&str>,
    roles: &BTreeMap<String, Role>,
    at: &Places<'_>,
    warnings: &mut Vec<Warning>,
    rewrite: Option<&Assignment>,
) {
    let Some((_, scope_key)) = scope else {
        let why = if scope_of(&a.scope) == Some(Scope::Root) && tenant.is_none() {
            "an assignment at the root scope `/`, and no listing read names the tenant; skipped"
                .to_string()
        } else {
            format!(
                "scope {} is not an ARM scope trustpath places; skipped",
                crate::report::clean(&a.scope)
            )
        };
        warnings.push(Warning::new(file, &a.id, why));
        return;
    };
    let scope_key = scope_key.as_str();
    let prov = provenance(b.graph, file, format!("role assignment {}", a.name_or_id()));
    let role = role_of(roles, a);
    let mut conditions = a.conditions();
    let role_name = role.map_or_else(|| a.role_definition_name.clone(), |r| r.name.clone());
    if role.is_none() {
        warnings.push(Warning::new(file, &a.id, format!("role {} is in no role-definitions.json read and not a built-in trustpath knows: its holder gets a conditional edge to the scope only (save `az role definition list`)", crate::report::clean(&a.role_definition_id))));
        conditions.push(Condition::described(format!(
            "role {role_name} is unknown: what it grants is not known"
        )));
    }
    let (from, kind) = a.principal();
    let shown = if a.principal_name.is_empty() {
        a.principal_id.clone()
    } else {
        a.principal_name.clone()
    };
    if let Some(node) = b.node(&from, kind, &shown, prov.clone()) {
        node.tags.insert("object_id".into(), a.principal_id.clone());
    }
    let (Some(from_id), Some(scope_id)) = (b.graph.find(&from), b.graph.find(scope_key)) else {
        return;
    };
    let from_off = b.disabled.contains(&from);
    let mut cut: std::sync::Arc<[Revoke]> = vec![a.remove()].into();
    let mut quote = format!("role assignment of {role_name} to {shown} at {}", a.scope);
    // A custom role its holder can rewrite: held as Owner, until either assignment goes.
    let role = match rewrite {
        Some(d) => {
            let definer = role_of(roles, d).map_or(d.role_definition_name.as_str(), |r| &r.name);
            quote = format!(
                "{quote}, a custom role it can rewrite to allow everything (roleDefinitions/write through {definer} at {})",
                d.scope
            );
            conditions.extend(d.conditions());
            cut = vec![a.remove(), d.remove()].into();
            roles.get("owner")
        }
        None => role,
    };
    // One reason string per kind of edge of this assignment, shared by all of them.
    let reasons: std::cell::RefCell<rustc_hash::FxHashMap<&'static str, std::sync::Arc<str>>> =
        Default::default();
    let reason = |why: &'static str| -> std::sync::Arc<str> {
        reasons
            .borrow_mut()
            .entry(why)
            .or_insert_with(|| format!("{quote}: {why}").into())
            .clone()
    };
    let edge = |b: &mut Azure<'_>,
                to: (crate::model::NodeId, bool),
                kind: EdgeKind,
                reason: std::sync::Arc<str>,
                technique: Option<&str>,
                level: Option<AccessLevel>,
                extra: Option<&Condition>| {
        let cut = cut.clone();
        let mut conditions = conditions.clone();
        conditions.extend(extra.cloned());
        b.edge_between(from_id, to.0, from_off || to.1, kind, reason, &prov, |e| {
            e.revoke = cut;
            e.conditions = conditions;
            e.technique = technique.map(Into::into);
            e.level = level;
        });
    };
    let at_scope = (scope_id, false);
    let Some(role) = role else {
        let why = reason("a role trustpath does not know");
        edge(b, at_scope, EdgeKind::CanAccess, why, None, None, None);
        return;
    };
    let admin = role.admin;
    if at.workloads.contains(scope_key) {
        // A VM, other compute or an identity: the edges below say what the role gives.
    } else if admin {
        let technique = if rewrite.is_some() {
            "Microsoft.Authorization/roleDefinitions/write"
        } else {
            "Microsoft.Authorization/roleAssignments/write"
        };
        let why = reason(
            "Microsoft.Authorization/roleAssignments/write: it can assign itself any role there, Owner included",
        );
        let level = Some(AccessLevel::Admin);
        edge(
            b,
            at_scope,
            EdgeKind::CanEscalate,
            why,
            Some(technique),
            level,
            None,
        );
    } else {
        let why = format!("{quote}: {role_name} on it").into();
        edge(
            b,
            at_scope,
            EdgeKind::CanAccess,
            why,
            None,
            Some(role.level),
            None,
        );
    }
    for &i in at.below.get(scope_key).into_iter().flatten() {
        let (p, Some(to)) = (&at.places[i], at.found[i]) else {
            continue;
        };
        let (why, kind, technique, level, extra) = match p.kind {
            Kind::Vm if admin => (
                "it can grant itself a role that runs commands on it",
                EdgeKind::CanControl,
                Some("runCommand"),
                None,
                None,
            ),
            Kind::Vm if role.run_command => (
                "runCommand/action, runCommands/write or extensions/write (Custom Script) runs commands on it",
                EdgeKind::CanControl,
                Some("runCommand"),
                None,
                None,
            ),
            Kind::Identity if admin => (
                "it can grant itself the right to add a federated credential to this managed identity, and sign in as it",
                EdgeKind::CanEscalate,
                Some("federatedIdentityCredentials/write"),
                None,
                None,
            ),
            Kind::Identity if role.fic_write => (
                "federatedIdentityCredentials/write adds a federated credential of its own to this managed identity, and sign in as it",
                EdgeKind::CanEscalate,
                Some("federatedIdentityCredentials/write"),
                None,
                None,
            ),
            Kind::Identity if role.attach => (
                "userAssignedIdentities/assign/action with virtualMachines/write attaches this managed identity to a VM it changes, and runs code as it",
                EdgeKind::CanEscalate,
                Some("assign/action+virtualMachines/write"),
                None,
                None,
            ),
            Kind::Vault(_) if role.get_secret => (
                "secrets/getSecret/action reads its secrets",
                EdgeKind::CanRead,
                None,
                None,
                None,
            ),
            Kind::Vault(_) if admin => (
                "it can grant itself a role (or, in the access-policy model, a policy) that reads its secrets",
                EdgeKind::CanEscalate,
                Some("Microsoft.Authorization/roleAssignments/write"),
                Some(AccessLevel::Admin),
                None,
            ),
            // In the access-policy model, whoever writes the vault writes its policies:
            // it adds one for itself. An RBAC vault's model changes only with
            // roleAssignments/write, so there vaults/write reads nothing.
            Kind::Vault(model) if role.vault_write && model != Some(false) => (
                "Microsoft.KeyVault/vaults/write adds an access policy for itself (`az keyvault set-policy`) and reads its secrets",
                EdgeKind::CanEscalate,
                Some("vaults/write access policy"),
                None,
                model.is_none().then(|| &*UNKNOWN_VAULT_MODEL),
            ),
            Kind::Compute if admin || p.write.as_deref().is_some_and(|op| role.allows(op)) => (
                // (Writing its code or configuration runs code as its identities.)
                "it can change the code or configuration of this compute, which runs as its identities",
                EdgeKind::CanControl,
                Some("compute write"),
                None,
                None,
            ),
            // Seeing compute is not running code on it: no edge, or a reader would reach
            // the identities it runs as. Nor is seeing a vault reading its secrets.
            Kind::Identity | Kind::Vm | Kind::Compute | Kind::Vault(_) => continue,
            _ if p.key != scope_key => (
                "the role holds on it, below the scope",
                EdgeKind::CanAccess,
                None,
                Some(role.level),
                None,
            ),
            _ => continue,
        };
        edge(b, to, kind, reason(why), technique, level, extra);
    }
}

/// The condition on `vaults/write` reaching a vault whose permission model is unknown.
static UNKNOWN_VAULT_MODEL: std::sync::LazyLock<Condition> = std::sync::LazyLock::new(|| {
    Condition::described(
        "if the vault uses access policies: its listing (`az keyvault list`) was not read",
    )
});

/// The role an assignment grants: by the GUID ending its `roleDefinitionId`, else by name.
fn role_of<'r>(roles: &'r BTreeMap<String, Role>, a: &Assignment) -> Option<&'r Role> {
    let guid = a.role_definition_id.rsplit('/').next().unwrap_or_default();
    // (GUIDs come lower-case: try that before allocating.)
    roles
        .get(guid)
        .or_else(|| roles.get(&guid.to_ascii_lowercase()))
        .or_else(|| roles.get(&a.role_definition_name.to_ascii_lowercase()))
}

/// Custom roles their holder can rewrite: a principal holding `roleDefinitions/write`
/// over every scope a custom role it holds may be assigned at can make that role allow
/// everything. Each such assignment, with the one that lets it rewrite the role.
fn rewritable<'a>(
    scoped: &'a [Scoped<'a>],
    roles: &BTreeMap<String, Role>,
    mg_subs: &BTreeSet<(String, String)>,
) -> Vec<(&'a Scoped<'a>, &'a Assignment)> {
    let mut definers: BTreeMap<String, Vec<&Assignment>> = BTreeMap::new();
    for (a, _, _) in scoped {
        if role_of(roles, a).is_some_and(|r| r.define && !r.admin) {
            definers.entry(a.principal().0).or_default().push(a);
        }
    }
    if definers.is_empty() {
        return Vec::new();
    }
    // Whether `over` (an assignment's scope) covers `scope` (an assignable scope).
    let covers = |over: &str, scope: &str| {
        let over = over.trim_end_matches('/').to_ascii_lowercase();
        let under_mg = over
            .strip_prefix("/providers/microsoft.management/managementgroups/")
            .is_some_and(|mg| {
                scope
                    .strip_prefix("/subscriptions/")
                    .and_then(|r| r.split('/').next())
                    .is_some_and(|sub| mg_subs.contains(&(mg.to_string(), sub.to_string())))
            });
        over.is_empty() || scope == over || scope.starts_with(&format!("{over}/")) || under_mg
    };
    let mut out = Vec::new();
    for s in scoped {
        let (a, _, Some(_)) = s else { continue };
        let Some(role) = role_of(roles, a).filter(|r| !r.assignable.is_empty() && !r.admin) else {
            continue;
        };
        let Some(ds) = definers.get(&a.principal().0) else {
            continue;
        };
        if let Some(d) = ds
            .iter()
            .find(|d| role.assignable.iter().all(|scope| covers(&d.scope, scope)))
        {
            out.push((s, *d));
        }
    }
    out
}

impl Assignment {
    fn name_or_id(&self) -> &str {
        self.id.rsplit('/').next().unwrap_or(&self.id)
    }

    /// The principal's key and kind.
    fn principal(&self) -> (String, NodeKind) {
        match self.principal_type.as_str() {
            "ServicePrincipal" => (
                format!("azure:sp:{}", self.principal_id),
                NodeKind::ServiceAccount,
            ),
            "Group" | "ForeignGroup" => (
                format!("azure:group:{}", self.principal_id),
                NodeKind::Group,
            ),
            _ => {
                let upn = if self.principal_name.is_empty() {
                    &self.principal_id
                } else {
                    &self.principal_name
                };
                (format!("azure:user:{upn}"), NodeKind::Human)
            }
        }
    }

    /// Deleting the assignment.
    fn remove(&self) -> Revoke {
        revoke(
            format!("remove-assignment:{}", self.id.to_ascii_lowercase()),
            "remove_binding",
            3,
            vec![az(["role", "assignment", "delete", "--ids", &self.id]).into()],
        )
    }

    /// Its ABAC condition, quoted.
    fn conditions(&self) -> Vec<Condition> {
        self.condition
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| Condition::described(format!("ABAC condition: {c}")))
            .collect()
    }
}

/// Managed Identity Operator on an identity and Virtual Machine Contributor somewhere,
/// held through two assignments of one principal: together they attach the identity to
/// a VM the principal changes or creates, and run code as it. (One role that allows both
/// is handled with the rest of that assignment's edges.)
fn attach_across(
    b: &mut Azure<'_>,
    scoped: &[Scoped<'_>],
    roles: &BTreeMap<String, Role>,
    at: &Places<'_>,
) {
    let role_of = |a: &Assignment| role_of(roles, a);
    // Per principal: its first assignment that writes VMs; the identities it can assign.
    let mut writers: BTreeMap<String, &Assignment> = BTreeMap::new();
    let mut assigners: Vec<(String, &Assignment, &str, &str, Vec<usize>)> = Vec::new();
    for (a, file, scope) in scoped {
        let (Some(role), Some((_, scope_key))) = (role_of(a), scope) else {
            continue;
        };
        let assigns = role.assign && !role.attach && !role.admin;
        let writes = role.vm_write;
        if !assigns && !writes {
            continue;
        }
        let principal = a.principal().0;
        if writes {
            writers.entry(principal.clone()).or_insert(a);
        }
        // (A role that allows both, or admin, reaches the identities below it already.)
        if assigns {
            let identities: Vec<usize> = at
                .below
                .get(scope_key.as_str())
                .into_iter()
                .flatten()
                .copied()
                .filter(|&i| at.places[i].kind == Kind::Identity)
                .collect();
            if !identities.is_empty() {
                assigners.push((principal, a, file, &role.name, identities));
            }
        }
    }
    for (principal, a, file, role_name, identities) in assigners {
        let (Some(&w), Some(from)) = (writers.get(&principal), b.graph.find(&principal)) else {
            continue;
        };
        // One reason, one revoke list and one set of conditions for every identity the
        // pair reaches.
        let writer = role_of(w).map_or(w.role_definition_name.as_str(), |r| r.name.as_str());
        let prov = provenance(b.graph, file, format!("role assignment {}", a.name_or_id()));
        let reason: std::sync::Arc<str> = format!(
            "role assignment of {role_name} at {} (userAssignedIdentities/assign/action) with {writer} at {} (virtualMachines/write): it attaches this managed identity to a VM it changes or creates, and runs code as it",
            a.scope, w.scope
        )
        .into();
        let from_off = b.disabled.contains(&principal);
        let mut conditions = a.conditions();
        conditions.extend(w.conditions());
        // Deleting either assignment cuts it.
        let cut: std::sync::Arc<[Revoke]> = vec![a.remove(), w.remove()].into();
        for i in identities {
            let Some((to, off)) = at.found[i] else {
                continue;
            };
            let (cut, conditions) = (cut.clone(), conditions.clone());
            b.edge_between(
                from,
                to,
                from_off || off,
                EdgeKind::CanEscalate,
                reason.clone(),
                &prov,
                |e| {
                    e.revoke = cut;
                    e.conditions = conditions;
                    e.technique = Some("assign/action+virtualMachines/write".into());
                },
            );
        }
    }
}

/// The node of a scope an assignment names, when no listing made it.
fn ensure_scope(
    b: &mut Azure<'_>,
    scope: &Scope,
    key: &str,
    original: &str,
    prov: &crate::model::Provenance,
) {
    let (kind, name) = match scope {
        Scope::Root => (
            NodeKind::Resource,
            "tenant root management group".to_string(),
        ),
        Scope::Mg(_) => (
            NodeKind::Resource,
            format!(
                "management group {}",
                original.rsplit('/').next().unwrap_or(original)
            ),
        ),
        Scope::Sub(_) => (
            NodeKind::Resource,
            format!(
                "subscription {}",
                original.rsplit('/').next().unwrap_or(original)
            ),
        ),
        Scope::Rg(..) => (
            NodeKind::Resource,
            format!(
                "resource group {}",
                original.rsplit('/').next().unwrap_or(original)
            ),
        ),
        Scope::Resource(_) => (NodeKind::Resource, rg_and_name(original).1),
    };
    if let Some(node) = b.node(key, kind, &name, prov.clone()) {
        node.tags.insert("arm_id".into(), original.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_ignore_case() {
        assert_eq!(
            scope_of("/subscriptions/S1/resourceGroups/RG-Web-Prod"),
            Some(Scope::Rg("s1".into(), "rg-web-prod".into()))
        );
        assert_eq!(
            scope_of("/providers/Microsoft.Management/managementGroups/Platform"),
            Some(Scope::Mg("platform".into()))
        );
        assert_eq!(scope_of("/"), Some(Scope::Root));
        assert_eq!(scope_of("/weird/thing"), None);
    }
}
