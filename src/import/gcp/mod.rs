//! GCP: `gcloud … --format=json` output, read as it is. IAM policies name no resource,
//! so a policy's resource is the gcloud resource name its path spells
//! (`projects/P/get-iam-policy.json`, `folders/F/…`, `projects/P/serviceAccounts/EMAIL/…`);
//! service-account, key, role and hierarchy listings name their own. Everything is
//! collected first (a policy and the roles, accounts and folders it needs may come in any
//! order) and turned into nodes and edges once every file is read.

mod build;
mod cai;
mod cel;
mod delegation;
mod federation;
mod members;
mod nodes;
mod policy;
mod roles;
mod wif;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{Builder, ImportError, Warning};
use crate::model::TrustGraph;

/// Where an IAM policy applies, as gcloud names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Resource {
    Org(String),
    Folder(String),
    Project(String),
    /// A resource inside a project: `projects/P/COLLECTION/NAME` (`serviceAccounts`,
    /// `secrets`, `buckets`, `datasets`, …).
    Child {
        project: String,
        collection: String,
        name: String,
    },
}

/// The resource a file's path names: the last `organizations/ID`, `folders/ID` or
/// `projects/ID[/COLLECTION/NAME]` among its directories.
fn resource_of(file: &str) -> Option<Resource> {
    let file = file.replace('\\', "/");
    let dirs: Vec<&str> = file.split('/').collect();
    let dirs = &dirs[..dirs.len().saturating_sub(1)];
    let i = dirs
        .iter()
        .rposition(|d| matches!(*d, "organizations" | "folders" | "projects"))?;
    let id = (*dirs.get(i + 1)?).to_string();
    Some(match dirs[i] {
        "organizations" => Resource::Org(id),
        "folders" => Resource::Folder(id),
        _ => match (dirs.get(i + 2), dirs.get(i + 3)) {
            (Some(collection), Some(name)) => Resource::Child {
                project: id,
                collection: (*collection).to_string(),
                name: (*name).to_string(),
            },
            _ => Resource::Project(id),
        },
    })
}

/// One binding of an IAM policy.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Binding {
    pub role: String,
    pub members: Vec<String>,
    pub condition: Option<Expr>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Expr {
    pub expression: String,
    pub title: String,
}

/// A service account from `gcloud iam service-accounts list` (or the REST `accounts`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Account {
    pub email: String,
    pub project_id: String,
    pub unique_id: String,
    pub display_name: String,
    pub description: String,
    pub disabled: bool,
}

/// A key from `gcloud iam service-accounts keys list`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Key {
    pub name: String,
    pub valid_after_time: Option<String>,
    pub valid_before_time: Option<String>,
    pub key_algorithm: String,
    pub key_origin: String,
    pub key_type: String,
    pub disabled: bool,
}

/// A service-account key file (`gcloud iam service-accounts keys create key.json`) found
/// among the inputs: a copy of the key. Only its names are read; `private_key` is never
/// deserialized into anything kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct KeyFile {
    pub client_email: String,
    pub private_key_id: String,
}

/// A custom role (`gcloud iam roles list|describe`, REST `view=FULL`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Role {
    pub name: String,
    pub title: String,
    pub included_permissions: Vec<String>,
    pub deleted: bool,
}

/// A project from `gcloud projects list`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Project {
    pub project_id: String,
    pub project_number: String,
    pub name: String,
    pub parent: Option<Parent>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Parent {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// A folder from `gcloud resource-manager folders list`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Folder {
    pub name: String,
    pub display_name: String,
    pub parent: String,
}

/// Everything read from GCP inputs.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    policies: Vec<(Resource, Vec<Binding>, String)>,
    accounts: BTreeMap<String, (Account, String)>,
    keys: Vec<(Key, String)>,
    roles: BTreeMap<String, Role>,
    /// Projects and folders, each with the file that listed it.
    projects: BTreeMap<String, (Project, String)>,
    /// Last authentication (`policy-intelligence query-activity`) by key (`EMAIL/KEY_ID`)
    /// or account (email or unique id).
    last_used: BTreeMap<String, String>,
    folders: BTreeMap<String, (Folder, String)>,
    providers: Vec<(wif::Provider, String)>,
    pools: Vec<(wif::Pool, String)>,
    /// Key files found among the inputs.
    key_files: Vec<(KeyFile, String)>,
    /// Cloud Asset Inventory policies, resolved against the listings once all are read.
    assets: Vec<(cai::Asset, String)>,
}

/// Reads any GCP export trustpath knows, by its shape.
pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    // One document, or NDJSON (`gcloud asset export`): one per line.
    let mut docs = serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Value>()
        .collect::<Result<Vec<Value>, _>>()
        .map_err(|e| ImportError::json(file, &e))?;
    let doc = match docs.len() {
        1 => docs.pop().unwrap_or_default(),
        _ => Value::Array(docs),
    };
    let gcp = &mut builder.gcp;
    let items = |v: &Value| -> Vec<Value> {
        match v {
            Value::Array(list) => list.clone(),
            other => vec![other.clone()],
        }
    };
    let first = match &doc {
        Value::Array(list) => list.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let has = |k: &str| first.get(k).is_some();
    if has("private_key_id") && has("client_email") {
        // Only the names: the typed shape has no field for the private key.
        let k: KeyFile = parse(first.clone(), file)?;
        gcp.key_files.push((k, file.to_string()));
    } else if has("asset_type") || (has("resource") && has("policy")) {
        for a in items(&doc) {
            gcp.assets.push((parse(a, file)?, file.to_string()));
        }
    } else if doc.get("bindings").is_some() || is_empty_policy(&doc) {
        let Some(resource) = resource_of(file) else {
            let message = "an IAM policy names no resource: save it under the gcloud resource name it belongs to (organizations/ORG/, folders/FOLDER/, projects/PROJECT/, projects/PROJECT/serviceAccounts/EMAIL/…); skipped";
            builder.warnings.push(Warning::new(file, "", message));
            return Ok(());
        };
        let bindings: Vec<Binding> = doc
            .get("bindings")
            .map(|b| parse(b.clone(), file))
            .transpose()?
            .unwrap_or_default();
        gcp.policies.push((resource, bindings, file.to_string()));
    } else if let Some(accounts) = doc.get("accounts").or(has("uniqueId").then_some(&doc)) {
        for a in items(accounts) {
            let a: Account = parse(a, file)?;
            if !a.email.is_empty() {
                gcp.accounts.insert(a.email.clone(), (a, file.to_string()));
            }
        }
    } else if let Some(keys) = doc.get("keys").or(has("keyType").then_some(&doc)) {
        for k in items(keys) {
            let k: Key = parse(k, file)?;
            gcp.keys.push((k, file.to_string()));
        }
    } else if let Some(roles) = doc
        .get("roles")
        .or(has("includedPermissions").then_some(&doc))
    {
        for r in items(roles) {
            let r: Role = parse(r, file)?;
            if !r.name.is_empty() {
                gcp.roles.insert(r.name.clone(), r);
            }
        }
    } else if has("activityType") {
        for a in items(&doc) {
            let name = a
                .get("fullResourceName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let when = a
                .pointer("/activity/lastAuthenticatedTime")
                .and_then(Value::as_str);
            // //iam.googleapis.com/projects/P/serviceAccounts/EMAIL_OR_ID[/keys/ID]
            let Some((_, tail)) = name.split_once("/serviceAccounts/") else {
                continue;
            };
            if let Some(when) = when {
                gcp.last_used
                    .insert(tail.replace("/keys/", "/"), when.to_string());
            }
        }
    } else if let Some(list) = doc
        .get("workloadIdentityPoolProviders")
        .or_else(|| doc.get("workloadIdentityPools"))
        .or_else(|| wif_name(&first).then_some(&doc))
    {
        // Providers (`…/workloadIdentityPools/POOL/providers/PROV`) or pools.
        for item in items(list) {
            if wif_name(&item)
                && item["name"]
                    .as_str()
                    .is_some_and(|n| n.contains("/providers/"))
            {
                gcp.providers.push((parse(item, file)?, file.to_string()));
            } else if wif_name(&item) {
                gcp.pools.push((parse(item, file)?, file.to_string()));
            }
        }
    } else if has("projectId") {
        for p in items(&doc) {
            let p: Project = parse(p, file)?;
            gcp.projects
                .insert(p.project_id.clone(), (p, file.to_string()));
        }
    } else if first
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| n.starts_with("folders/"))
    {
        for f in items(&doc) {
            let f: Folder = parse(f, file)?;
            gcp.folders.insert(f.name.clone(), (f, file.to_string()));
        }
    } else {
        let message = "GCP output of a kind trustpath does not read yet; skipped";
        builder.warnings.push(Warning::new(file, "", message));
    }
    Ok(())
}

/// Whether a listing item names a workload identity pool or provider.
fn wif_name(item: &Value) -> bool {
    item.get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| n.contains("/workloadIdentityPools/"))
}

/// One item of a listing, in its typed shape.
fn parse<T: serde::de::DeserializeOwned>(v: Value, file: &str) -> Result<T, ImportError> {
    serde_json::from_value(v).map_err(|e| ImportError::json(file, &e))
}

/// `{"etag": "ACAB"}`: the policy of a resource nobody holds a role on.
fn is_empty_policy(doc: &Value) -> bool {
    doc.as_object().is_some_and(|o| {
        o.contains_key("etag")
            && o.keys()
                .all(|k| ["etag", "version", "auditConfigs"].contains(&k.as_str()))
    })
}

/// Derives the nodes and edges of everything read.
pub(super) fn finish(
    gcp: &mut Inventory,
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    at: jiff::Timestamp,
) {
    // No GCP input: nothing to derive, and no pass over a graph that may be huge.
    let Inventory {
        policies,
        accounts,
        keys,
        roles,
        projects,
        last_used,
        folders,
        providers,
        pools,
        assets,
        key_files,
    } = &*gcp;
    if policies.is_empty()
        && accounts.is_empty()
        && keys.is_empty()
        && roles.is_empty()
        && projects.is_empty()
        && last_used.is_empty()
        && folders.is_empty()
        && providers.is_empty()
        && pools.is_empty()
        && assets.is_empty()
        && key_files.is_empty()
    {
        return;
    }
    cai::resolve(gcp, warnings);
    build::build(gcp, graph, warnings, at);
}

/// Links GitHub Actions identities to the workload identity principals they can become
/// (on the graph alone, like [`super::link`]).
pub(super) fn link_wif(graph: &mut TrustGraph, candidates: &super::link::Candidates) {
    federation::link(graph, candidates);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policys_resource_is_the_last_resource_name_in_its_path() {
        assert_eq!(
            resource_of("x/organizations/123/get-iam-policy.json"),
            Some(Resource::Org("123".into()))
        );
        assert_eq!(
            resource_of("gcp/projects/acme/get-iam-policy.json"),
            Some(Resource::Project("acme".into()))
        );
        assert_eq!(
            resource_of(
                "projects/acme/serviceAccounts/a@acme.iam.gserviceaccount.com/get-iam-policy.json"
            ),
            Some(Resource::Child {
                project: "acme".into(),
                collection: "serviceAccounts".into(),
                name: "a@acme.iam.gserviceaccount.com".into()
            })
        );
        assert_eq!(
            resource_of("folders/1/projects/acme/get-iam-policy.json"),
            Some(Resource::Project("acme".into()))
        );
        assert_eq!(resource_of("exports/get-iam-policy.json"), None);
        assert_eq!(resource_of("projects/get-iam-policy.json"), None);
    }
}
