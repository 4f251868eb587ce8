//! Azure and Entra ID: `az … -o json` and `az rest` (Graph v1.0) output, read as it is.
//! ARM role assignments and definitions, managed identities and compute with an
//! `identity` block name their own scopes (ARM ids, case-insensitive: keys are
//! lower-cased, names keep the original); Entra listings name their objects; owners,
//! app-role assignments and federated credentials of an application or service
//! principal are placed by their path (`entra/applications/APP/…`,
//! `entra/servicePrincipals/ID/…`). Everything is collected first and turned into nodes
//! and edges once every file is read.

mod arm;
pub(crate) mod commands;
mod entra;
mod fic;
mod login;
mod roles;
mod vault;

pub(crate) use login::link_logins;

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::{Builder, ImportError, Warning};
use crate::model::TrustGraph;

/// A role assignment (`az role assignment list --all --include-inherited`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Assignment {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub principal_id: String,
    #[serde(deserialize_with = "null_default")]
    pub principal_name: String,
    #[serde(deserialize_with = "null_default")]
    pub principal_type: String,
    #[serde(deserialize_with = "null_default")]
    pub role_definition_id: String,
    #[serde(deserialize_with = "null_default")]
    pub role_definition_name: String,
    #[serde(deserialize_with = "null_default")]
    pub scope: String,
    pub condition: Option<String>,
}

/// A role definition (`az role definition list`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct RoleDefinition {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    #[serde(deserialize_with = "null_default")]
    pub role_name: String,
    #[serde(deserialize_with = "null_default")]
    pub permissions: Vec<Permission>,
    /// `CustomRole` or `BuiltInRole`.
    #[serde(deserialize_with = "null_default")]
    pub role_type: String,
    #[serde(deserialize_with = "null_default")]
    pub assignable_scopes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Permission {
    #[serde(deserialize_with = "null_default")]
    pub actions: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub not_actions: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub data_actions: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub not_data_actions: Vec<String>,
}

/// A user-assigned managed identity (`az identity list`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Identity {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    #[serde(deserialize_with = "null_default")]
    pub client_id: String,
    #[serde(deserialize_with = "null_default")]
    pub principal_id: String,
}

/// Compute with an `identity` block (`az vm list`, `az resource list`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Compute {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    #[serde(rename = "type")]
    #[serde(deserialize_with = "null_default")]
    pub kind: String,
    pub identity: Option<ComputeIdentity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ComputeIdentity {
    pub principal_id: Option<String>,
    pub user_assigned_identities: Option<BTreeMap<String, UserAssigned>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct UserAssigned {
    pub principal_id: Option<String>,
    pub client_id: Option<String>,
}

/// A Key Vault (`az keyvault list`, or an `az resource list` entry of its type): its
/// permission model and, in the access-policy model, who may do what with its secrets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Vault {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    pub properties: Option<VaultProperties>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct VaultProperties {
    pub enable_rbac_authorization: Option<bool>,
    pub access_policies: Option<Vec<AccessPolicy>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct AccessPolicy {
    #[serde(deserialize_with = "null_default")]
    pub object_id: String,
    /// Set for a compound identity (a user through an application): both are needed.
    pub application_id: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub permissions: PolicyPermissions,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct PolicyPermissions {
    #[serde(deserialize_with = "null_default")]
    pub secrets: Vec<String>,
}

/// A password or certificate credential: names and dates only. `secretText`, `hint`
/// (the secret's first characters) and `key` have no field here, so they are never kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Credential {
    #[serde(deserialize_with = "null_default")]
    pub key_id: String,
    pub display_name: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
}

/// A service principal (`az ad sp list --all`), managed identities included.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ServicePrincipal {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub app_id: String,
    #[serde(deserialize_with = "null_default")]
    pub display_name: String,
    #[serde(deserialize_with = "null_default")]
    pub service_principal_type: String,
    pub app_owner_organization_id: Option<String>,
    pub account_enabled: Option<bool>,
    #[serde(deserialize_with = "null_default")]
    pub key_credentials: Vec<Credential>,
    #[serde(deserialize_with = "null_default")]
    pub password_credentials: Vec<Credential>,
    #[serde(deserialize_with = "null_default")]
    pub app_roles: Vec<AppRole>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct AppRole {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    pub value: Option<String>,
}

/// An app registration (`az ad app list --all`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Application {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub app_id: String,
    #[serde(deserialize_with = "null_default")]
    pub display_name: String,
    #[serde(deserialize_with = "null_default")]
    pub sign_in_audience: String,
    #[serde(deserialize_with = "null_default")]
    pub key_credentials: Vec<Credential>,
    #[serde(deserialize_with = "null_default")]
    pub password_credentials: Vec<Credential>,
}

/// A directory object in an owners listing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct DirectoryObject {
    #[serde(rename = "@odata.type")]
    #[serde(deserialize_with = "null_default")]
    pub odata_type: String,
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    pub user_principal_name: Option<String>,
    pub display_name: Option<String>,
}

/// An app-role assignment (`…/servicePrincipals/ID/appRoleAssignments`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct AppRoleAssignment {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub app_role_id: String,
    #[serde(deserialize_with = "null_default")]
    pub resource_id: String,
    pub resource_display_name: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub principal_id: String,
}

/// A directory role assignment (`roleManagement/directory/roleAssignments`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct DirectoryRoleAssignment {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub principal_id: String,
    #[serde(deserialize_with = "null_default")]
    pub role_definition_id: String,
    #[serde(deserialize_with = "null_default")]
    pub directory_scope_id: String,
}

/// A federated identity credential (an app's, or a user-assigned identity's).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Federated {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    #[serde(deserialize_with = "null_default")]
    pub issuer: String,
    pub subject: Option<String>,
    pub claims_matching_expression: Option<ClaimsMatching>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ClaimsMatching {
    #[serde(deserialize_with = "null_default")]
    pub value: String,
}

/// Who a federated credential lets in: an application (by app id or object id, as its
/// path gives it) or a user-assigned identity (by its ARM id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FicOwner {
    App(String),
    Identity(String),
}

/// Everything read from Azure inputs, each with the file it came from.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    /// In input order, once each (management-group assignments repeat in every
    /// subscription's listing: `seen` holds the lower-cased ids), with the subscription
    /// whose listing held it.
    assignments: Vec<(Assignment, Option<String>, std::sync::Arc<str>)>,
    seen: rustc_hash::FxHashSet<String>,
    /// (management group, subscription) pairs: every subscription whose listing repeats
    /// an inherited management-group assignment is below that group.
    mg_subs: BTreeSet<(String, String)>,
    definitions: BTreeMap<String, (RoleDefinition, String)>,
    identities: Vec<(Identity, String)>,
    compute: Vec<(Compute, String)>,
    vaults: Vec<(Vault, String)>,
    sps: Vec<(ServicePrincipal, String)>,
    apps: Vec<(Application, String)>,
    /// Owners of an application (`App`) or service principal (`Sp`), by the id in the path.
    owners: Vec<(OwnerOf, DirectoryObject, String)>,
    app_role_assignments: Vec<(AppRoleAssignment, String)>,
    directory_roles: Vec<(DirectoryRoleAssignment, String)>,
    federated: Vec<(FicOwner, Federated, String)>,
    /// Last sign-in by app id, and by credential key id.
    last_used: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OwnerOf {
    App(String),
    Sp(String),
}

impl Inventory {
    /// Role assignments of one listing, each kept once.
    fn add_assignments(&mut self, list: Vec<Assignment>, file: &str) {
        // The subscription the listing is of: its path, else the one its own
        // assignments' scopes name.
        let sub = dir_after(file, "subscriptions")
            .map(str::to_string)
            .or_else(|| {
                list.iter().find_map(|a| {
                    let low = a.scope.to_ascii_lowercase();
                    let rest = low.strip_prefix("/subscriptions/")?;
                    Some(rest.split('/').next()?.to_string())
                })
            });
        let file: std::sync::Arc<str> = file.into();
        for a in &list {
            let low = a.scope.to_ascii_lowercase();
            if let (Some(mg), Some(sub)) = (
                low.strip_prefix("/providers/microsoft.management/managementgroups/"),
                &sub,
            ) {
                self.mg_subs.insert((
                    mg.trim_end_matches('/').to_string(),
                    sub.to_ascii_lowercase(),
                ));
            }
        }
        for a in list {
            if a.id.is_empty() {
                continue;
            }
            if self.seen.insert(a.id.to_ascii_lowercase()) {
                self.assignments.push((a, sub.clone(), file.clone()));
            }
        }
    }
}

/// The id after `name` among a file's directories (`applications`, `servicePrincipals`,
/// `subscriptions`).
fn dir_after<'f>(file: &'f str, name: &str) -> Option<&'f str> {
    let dirs: Vec<&str> = file.split(['/', '\\']).collect();
    let dirs = &dirs[..dirs.len().saturating_sub(1)];
    let i = dirs.iter().rposition(|d| *d == name)?;
    dirs.get(i + 1).copied()
}

/// Reads any Azure or Entra output trustpath knows, by its shape.
pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    // Role assignments are the bulk of a tenant's export: read straight into their
    // typed shape, without a `Value` tree in between.
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let file_name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    // Owners listings hold whole directory objects (a service principal owner carries
    // `servicePrincipalType`): known by their name, never taken for another listing.
    let owners_file = file_name == "owners.json";
    if !owners_file
        && head.trim_start().starts_with('[')
        && ["\"roleDefinitionId\"", "\"scope\"", "\"principalId\""]
            .iter()
            .all(|k| head.contains(k))
        && !head.contains("\"directoryScopeId\"")
        && let Ok(list) = serde_json::from_slice::<Vec<Assignment>>(bytes)
    {
        builder.azure.add_assignments(list, file);
        return Ok(());
    }
    // Service principals and applications, the bulk of a tenant's Entra export, likewise.
    if head.trim_start().starts_with('[')
        && head.contains("\"servicePrincipalType\"")
        && let Ok(list) = serde_json::from_slice::<Vec<ServicePrincipal>>(bytes)
    {
        let file = file.to_string();
        builder
            .azure
            .sps
            .extend(list.into_iter().map(|s| (s, file.clone())));
        return Ok(());
    }
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| ImportError::json(file, &e))?;
    // `az rest` keeps Graph's `{"value": […]}`; `az … list` prints the array.
    let list: Vec<Value> = match doc {
        Value::Array(list) => list,
        Value::Object(mut o) => match o.remove("value") {
            Some(Value::Array(list)) => list,
            Some(other) => vec![other],
            None => vec![Value::Object(o)],
        },
        other => vec![other],
    };
    if owners_file {
        return read_owners(list, file, builder);
    }
    let inv = &mut builder.azure;
    let Some(first) = list.first() else {
        return Ok(());
    };
    let has = |k: &str| first.get(k).is_some();
    let odata = first
        .get("@odata.type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if has("roleDefinitionId") && has("scope") && has("principalId") {
        let list = list
            .into_iter()
            .map(|a| parse(a, file))
            .collect::<Result<Vec<Assignment>, _>>()?;
        inv.add_assignments(list, file);
    } else if has("roleName") && has("permissions") {
        for d in list {
            let d: RoleDefinition = parse(d, file)?;
            inv.definitions
                .insert(d.name.to_ascii_lowercase(), (d, file.to_string()));
        }
    } else if has("directoryScopeId") && has("roleDefinitionId") {
        for r in list {
            inv.directory_roles
                .push((parse(r, file)?, file.to_string()));
        }
    } else if has("appRoleId") && has("resourceId") {
        for r in list {
            inv.app_role_assignments
                .push((parse(r, file)?, file.to_string()));
        }
    } else if has("issuer") && (has("subject") || has("claimsMatchingExpression")) {
        for f in list {
            let f: Federated = parse(f, file)?;
            let owner = match (dir_after(file, "applications"), fic::identity_of(&f.id)) {
                (_, Some(identity)) => FicOwner::Identity(identity),
                (Some(app), None) => FicOwner::App(app.to_string()),
                (None, None) => {
                    let message = "a federated credential names no owner: save an app's under entra/applications/APP/ (app id or object id); skipped";
                    builder.warnings.push(Warning::new(file, &f.name, message));
                    continue;
                }
            };
            builder.azure.federated.push((owner, f, file.to_string()));
        }
    } else if has("servicePrincipalType") {
        for s in list {
            inv.sps.push((parse(s, file)?, file.to_string()));
        }
    } else if has("signInAudience") && has("appId") {
        for a in list {
            inv.apps.push((parse(a, file)?, file.to_string()));
        }
    } else if has("clientId")
        && first.get("type").and_then(Value::as_str).is_some_and(|t| {
            t.eq_ignore_ascii_case("Microsoft.ManagedIdentity/userAssignedIdentities")
        })
    {
        for i in list {
            inv.identities.push((parse(i, file)?, file.to_string()));
        }
    } else if (has("identity") || is_vault(first))
        && first
            .get("id")
            .and_then(Value::as_str)
            .is_some_and(|i| i.starts_with("/subscriptions/"))
    {
        // `az vm list`, `az keyvault list`, or `az resource list`, which mixes both.
        for c in list {
            if is_vault(&c) {
                inv.vaults.push((parse(c, file)?, file.to_string()));
            } else {
                inv.compute.push((parse(c, file)?, file.to_string()));
            }
        }
    } else if odata.starts_with("#microsoft.graph.") {
        return read_owners(list, file, builder);
    } else if has("lastSignInActivity") || has("signInActivity") {
        for a in list {
            let when = a
                .pointer("/lastSignInActivity/lastSignInDateTime")
                .or_else(|| a.pointer("/signInActivity/lastSignInDateTime"))
                .and_then(Value::as_str);
            let by = a
                .get("keyId")
                .or_else(|| a.get("appId"))
                .and_then(Value::as_str);
            if let (Some(when), Some(by)) = (when, by) {
                inv.last_used
                    .insert(by.to_ascii_lowercase(), when.to_string());
            }
        }
    } else {
        let message = "Azure output of a kind trustpath does not read yet; skipped";
        builder.warnings.push(Warning::new(file, "", message));
    }
    Ok(())
}

/// An owners listing of the application or service principal its path names.
fn read_owners(list: Vec<Value>, file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let of = match (
        dir_after(file, "applications"),
        dir_after(file, "servicePrincipals"),
    ) {
        (Some(app), _) => OwnerOf::App(app.to_string()),
        (None, Some(sp)) => OwnerOf::Sp(sp.to_string()),
        (None, None) => {
            let message = "an owners listing names no object: save it under entra/applications/APP/ or entra/servicePrincipals/ID/; skipped";
            builder.warnings.push(Warning::new(file, "", message));
            return Ok(());
        }
    };
    for o in list {
        builder
            .azure
            .owners
            .push((of.clone(), parse(o, file)?, file.to_string()));
    }
    Ok(())
}

/// A field that `az` and Graph write as `null` when unset: its default.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn is_vault(v: &Value) -> bool {
    v.get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.KeyVault/vaults"))
}

fn parse<T: serde::de::DeserializeOwned>(v: Value, file: &str) -> Result<T, ImportError> {
    serde_json::from_value(v).map_err(|e| ImportError::json(file, &e))
}

/// Derives the nodes and edges of everything read.
pub(super) fn finish(
    inv: &Inventory,
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    at: jiff::Timestamp,
) {
    let empty = inv.assignments.is_empty()
        && inv.definitions.is_empty()
        && inv.identities.is_empty()
        && inv.compute.is_empty()
        && inv.vaults.is_empty()
        && inv.sps.is_empty()
        && inv.apps.is_empty()
        && inv.owners.is_empty()
        && inv.app_role_assignments.is_empty()
        && inv.directory_roles.is_empty()
        && inv.federated.is_empty();
    if empty {
        return;
    }
    let tenant = entra::build(inv, graph, warnings, at);
    arm::build(inv, graph, warnings, tenant.as_deref());
    fic::build(inv, graph, warnings);
}
