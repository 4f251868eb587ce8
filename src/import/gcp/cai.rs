//! Cloud Asset Inventory: `gcloud asset search-all-iam-policies` (a JSON array of
//! `{resource, project, folders, organization, policy}`) and `gcloud asset export
//! --content-type=iam-policy` (NDJSON of `{name, asset_type, iam_policy, ancestors}`).
//!
//! Both name resources by their full resource name (`//iam.googleapis.com/projects/P/
//! serviceAccounts/UNIQUE_ID`, `//storage.googleapis.com/BUCKET`, secrets and projects by
//! number), so each is resolved against the listings read with it (project numbers to
//! ids, unique ids to emails) before it joins the policies read from `get-iam-policy`
//! files. What cannot be resolved is a warning naming it, never a guess.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{Binding, Folder, Inventory, Parent, Project, Resource};
use crate::import::Warning;

/// One IAM policy of an asset search or export.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Asset {
    /// `search-all-iam-policies`: `resource`, `project` (`projects/NUM`), `folders`,
    /// `organization`, `policy`.
    resource: String,
    project: String,
    folders: Vec<String>,
    organization: String,
    policy: Policy,
    /// `asset export`: `name`, `iam_policy`, `ancestors` (nearest first, itself included
    /// for a project).
    name: String,
    iam_policy: Policy,
    ancestors: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Policy {
    bindings: Vec<Binding>,
}

/// Moves the assets' policies into the inventory's, and the hierarchy they show into
/// its project and folder listings (a listing read from a file wins).
pub(super) fn resolve(gcp: &mut Inventory, warnings: &mut Vec<Warning>) {
    let assets = std::mem::take(&mut gcp.assets);
    if assets.is_empty() {
        return;
    }
    // Project numbers to ids: from listings, and from projects the search names by id.
    let mut ids: BTreeMap<String, String> = gcp
        .projects
        .values()
        .filter(|(p, _)| !p.project_number.is_empty())
        .map(|(p, _)| (p.project_number.clone(), p.project_id.clone()))
        .collect();
    // A resource named by project id, whose search result or ancestors give the number.
    for (a, _) in &assets {
        let number = a
            .project
            .strip_prefix("projects/")
            .or_else(|| a.ancestors.first()?.strip_prefix("projects/"));
        let id = a
            .full_name()
            .split_once("/projects/")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest));
        if let (Some(id), Some(number)) = (id, number)
            && !is_number(id)
        {
            ids.entry(number.to_string())
                .or_insert_with(|| id.to_string());
        }
    }
    let emails: BTreeMap<String, String> = gcp
        .accounts
        .values()
        .filter(|(a, _)| !a.unique_id.is_empty())
        .map(|(a, _)| (a.unique_id.clone(), a.email.clone()))
        .collect();
    let mut unresolved: BTreeSet<String> = BTreeSet::new();
    let mut hierarchy_guessed = false;
    for (asset, file) in assets {
        hierarchy(gcp, &asset, &ids, file.as_str(), &mut hierarchy_guessed);
        let name = asset.full_name().to_string();
        let project = |p: &str| -> String {
            match ids.get(p) {
                Some(id) => id.clone(),
                None => {
                    if is_number(p) {
                        unresolved.insert(p.to_string());
                    }
                    p.to_string()
                }
            }
        };
        // A bucket's project: the search result's `project`, or an export's nearest
        // ancestor.
        let in_project = if asset.project.is_empty() {
            asset.ancestors.first().cloned().unwrap_or_default()
        } else {
            asset.project.clone()
        };
        let resource = match to_resource(&name, &in_project, &emails, project) {
            Ok(r) => r,
            Err(why) => {
                warnings.push(Warning::new(
                    &file,
                    crate::report::clean(&name).into_owned(),
                    why,
                ));
                continue;
            }
        };
        let bindings = if asset.iam_policy.bindings.is_empty() {
            asset.policy.bindings
        } else {
            asset.iam_policy.bindings
        };
        gcp.policies.push((resource, bindings, file));
    }
    for number in unresolved {
        warnings.push(Warning::new(
            "inputs",
            format!("projects/{number}"),
            format!("Cloud Asset Inventory names project number {number}, and no `gcloud projects list` output read gives its id: its resources are keyed by the number (gcp:project:{number})"),
        ));
    }
}

impl Asset {
    fn full_name(&self) -> &str {
        if self.name.is_empty() {
            &self.resource
        } else {
            &self.name
        }
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The resource a full resource name names.
fn to_resource(
    name: &str,
    project_field: &str,
    emails: &BTreeMap<String, String>,
    mut project: impl FnMut(&str) -> String,
) -> Result<Resource, String> {
    let rest = name.strip_prefix("//").ok_or_else(|| {
        format!(
            "`{}` is not a full resource name; skipped",
            crate::report::clean(name)
        )
    })?;
    let (service, path) = rest.split_once('/').unwrap_or((rest, ""));
    let parts: Vec<&str> = path.split('/').collect();
    match (service, parts.as_slice()) {
        ("cloudresourcemanager.googleapis.com", ["organizations", n]) => {
            Ok(Resource::Org((*n).to_string()))
        }
        ("cloudresourcemanager.googleapis.com", ["folders", n]) => {
            Ok(Resource::Folder((*n).to_string()))
        }
        ("cloudresourcemanager.googleapis.com", ["projects", p]) => {
            Ok(Resource::Project(project(p)))
        }
        // Buckets are global: the project is the asset's `project` field.
        ("storage.googleapis.com", [bucket]) => Ok(Resource::Child {
            project: project(
                project_field
                    .strip_prefix("projects/")
                    .unwrap_or(project_field),
            ),
            collection: "buckets".into(),
            name: (*bucket).to_string(),
        }),
        ("iam.googleapis.com", ["projects", p, "serviceAccounts", id]) => {
            let email = if id.contains('@') {
                (*id).to_string()
            } else {
                emails.get(*id).cloned().ok_or_else(|| {
                    format!(
                        "service account with unique id {} is in no `gcloud iam service-accounts list` output read: its policy is skipped (add the listing of project {})",
                        crate::report::clean(id),
                        crate::report::clean(p)
                    )
                })?
            };
            Ok(Resource::Child {
                project: project(p),
                collection: "serviceAccounts".into(),
                name: email,
            })
        }
        (_, ["projects", p, rest @ ..]) if rest.len() >= 2 => {
            let (name, collection) = rest
                .split_last()
                .map(|(n, c)| (*n, c.join("/")))
                .unwrap_or_default();
            Ok(Resource::Child {
                project: project(p),
                collection,
                name: name.to_string(),
            })
        }
        _ => Err(format!(
            "resource `{}` is not one trustpath places yet (organizations, folders, projects and what lies in a project, buckets); skipped",
            crate::report::clean(name)
        )),
    }
}

/// The parents an asset shows: an export's ordered `ancestors`; a search result's
/// `folders` and `organization` only when they leave no doubt (at most one folder: the
/// search does not say how several nest).
fn hierarchy(
    gcp: &mut Inventory,
    asset: &Asset,
    ids: &BTreeMap<String, String>,
    file: &str,
    guessed: &mut bool,
) {
    let chain: Vec<String> = if !asset.ancestors.is_empty() {
        asset.ancestors.clone()
    } else if let Some(p) = asset.project.strip_prefix("projects/") {
        if asset.folders.len() > 1 {
            *guessed = true;
            return;
        }
        std::iter::once(format!("projects/{p}"))
            .chain(asset.folders.iter().cloned())
            .chain((!asset.organization.is_empty()).then(|| asset.organization.clone()))
            .collect()
    } else {
        return;
    };
    for pair in chain.windows(2) {
        let (child, parent) = (&pair[0], &pair[1]);
        let Some((kind, id)) = parent.split_once('/') else {
            continue;
        };
        let kind = match kind {
            "folders" => "folder",
            "organizations" => "organization",
            _ => continue,
        };
        if let Some(number) = child.strip_prefix("projects/") {
            let project_id = ids
                .get(number)
                .cloned()
                .unwrap_or_else(|| number.to_string());
            if gcp.projects.contains_key(&project_id) {
                continue;
            }
            let project = Project {
                project_id: project_id.clone(),
                project_number: number.to_string(),
                name: project_id.clone(),
                parent: Some(Parent {
                    kind: kind.into(),
                    id: id.to_string(),
                }),
            };
            gcp.projects.insert(project_id, (project, file.to_string()));
        } else if child.starts_with("folders/") && !gcp.folders.contains_key(child) {
            let folder = Folder {
                name: child.clone(),
                display_name: String::new(),
                parent: parent.clone(),
            };
            gcp.folders
                .insert(child.clone(), (folder, file.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_resource_names_become_resources() {
        let emails: BTreeMap<String, String> = [(
            "1100".to_string(),
            "a@p.iam.gserviceaccount.com".to_string(),
        )]
        .into();
        let ids = |p: &str| {
            if p == "42" {
                "acme".to_string()
            } else {
                p.to_string()
            }
        };
        let r = |name: &str| to_resource(name, "projects/42", &emails, ids);
        assert_eq!(
            r("//cloudresourcemanager.googleapis.com/projects/42"),
            Ok(Resource::Project("acme".into()))
        );
        assert_eq!(
            r("//iam.googleapis.com/projects/acme/serviceAccounts/1100"),
            Ok(Resource::Child {
                project: "acme".into(),
                collection: "serviceAccounts".into(),
                name: "a@p.iam.gserviceaccount.com".into()
            })
        );
        assert!(r("//iam.googleapis.com/projects/acme/serviceAccounts/999").is_err());
        assert_eq!(
            r("//storage.googleapis.com/acme-logs"),
            Ok(Resource::Child {
                project: "acme".into(),
                collection: "buckets".into(),
                name: "acme-logs".into()
            })
        );
        assert_eq!(
            r("//secretmanager.googleapis.com/projects/42/secrets/db"),
            Ok(Resource::Child {
                project: "acme".into(),
                collection: "secrets".into(),
                name: "db".into()
            })
        );
        assert_eq!(
            r("//bigquery.googleapis.com/projects/acme/datasets/d/tables/t"),
            Ok(Resource::Child {
                project: "acme".into(),
                collection: "datasets/d/tables".into(),
                name: "t".into()
            })
        );
        assert!(r("//compute.googleapis.com/global/networks").is_err());
    }
}
