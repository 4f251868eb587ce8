//! Standing access to repositories that is not a workflow: deploy keys
//! (`gh api /repos/{o}/{r}/keys`) and GitHub App installations
//! (`gh api /orgs/{org}/installations`).

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde_json::Value;

use super::{Adder, Inventory};
use crate::import::revoke;
use crate::import::{Builder, Warning};
use crate::model::{Credential, EdgeKind, Node, NodeKind, TrustGraph};

#[derive(Debug, Clone)]
pub(super) struct DeployKey {
    repo: String,
    id: u64,
    title: String,
    read_only: bool,
    created: Option<Timestamp>,
    last_used: Option<Timestamp>,
    file: String,
}

#[derive(Debug, Clone)]
pub(super) struct App {
    org: String,
    id: u64,
    slug: String,
    /// Permission scopes granted `write`.
    writes: BTreeSet<String>,
    all_repos: bool,
    suspended: bool,
    file: String,
}

fn time(v: &Value, key: &str) -> Option<Timestamp> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// Deploy keys of the repository whose directory (`OWNER/REPO/`) the file is in. The
/// public key itself is not kept: it is not needed, and nothing about a key is kept
/// that was not asked for.
pub(super) fn read_keys(list: &[Value], file: &str, builder: &mut Builder) {
    let dirs: Vec<&str> = file.rsplit('/').skip(1).take(2).collect();
    let [repo, owner] = dirs.as_slice() else {
        let message =
            "deploy keys outside an OWNER/REPO directory: cannot tell whose keys; skipped";
        builder.warnings.push(Warning::new(file, "", message));
        return;
    };
    for key in list {
        let Some(id) = key.get("id").and_then(Value::as_u64) else {
            continue;
        };
        builder.github.keys.push(DeployKey {
            repo: format!("{owner}/{repo}"),
            id,
            title: key
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            read_only: key
                .get("read_only")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            created: time(key, "created_at"),
            last_used: time(key, "last_used"),
            file: file.to_string(),
        });
    }
}

/// App installations of the organisation whose directory (`OWNER/`) the file is in.
pub(super) fn read_installations(list: &[Value], file: &str, builder: &mut Builder) {
    for inst in list {
        let org = inst
            .get("account")
            .and_then(|a| a.get("login"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| file.rsplit('/').nth(1).map(str::to_string));
        let (Some(org), Some(id)) = (org, inst.get("id").and_then(Value::as_u64)) else {
            continue;
        };
        let writes = inst
            .get("permissions")
            .and_then(Value::as_object)
            .map(|p| {
                p.iter()
                    .filter(|(_, l)| l.as_str() == Some("write"))
                    .map(|(s, _)| s.clone())
                    .collect()
            })
            .unwrap_or_default();
        builder.github.apps.push(App {
            org,
            id,
            slug: inst
                .get("app_slug")
                .and_then(Value::as_str)
                .unwrap_or("unknown-app")
                .to_string(),
            writes,
            all_repos: inst.get("repository_selection").and_then(Value::as_str) == Some("all"),
            suspended: inst.get("suspended_at").is_some_and(|s| !s.is_null()),
            file: file.to_string(),
        });
    }
}

/// Repositories the inputs know of (from workflows, secret and repository listings).
fn known_repos(github: &Inventory) -> BTreeSet<String> {
    github
        .known
        .iter()
        .cloned()
        .chain(github.repo_secrets.keys().cloned())
        .chain(github.repos.keys().cloned())
        .collect()
}

pub(super) fn build(github: &Inventory, graph: &mut TrustGraph) {
    for k in &github.keys {
        let mut g = Adder::for_file(graph, &k.file);
        let owner = k.repo.split('/').next().unwrap_or(&k.repo);
        let repo_key = format!("github:repo:{}", k.repo);
        g.node(&repo_key, NodeKind::Resource, k.repo.clone(), owner, &[]);
        let key = format!("github:deploy-key:{}/{}", k.repo, k.id);
        if g.graph.find(&key).is_none() {
            let mut node = Node::new(&key, NodeKind::Credential, g.provenance.clone());
            node.platform = "github".into();
            node.name = format!("deploy key {} of {}", k.title, k.repo).into();
            node.scope = Some(owner.into());
            node.credential = Some(Box::new(Credential {
                kind: Some("ssh_deploy_key".into()),
                created: k.created,
                last_used: k.last_used,
                long_lived: Some(true),
                ..Credential::default()
            }));
            node.revoke = vec![revoke(
                format!("delete-deploy-key:{}/{}", k.repo, k.id),
                "delete_deploy_key",
                2,
                vec![super::commands::delete_deploy_key(&k.repo, &k.id.to_string()).into()],
            )];
            let _ = g.graph.add_node(node);
        }
        let (kind, reason) = if k.read_only {
            (
                EdgeKind::CanAccess,
                format!("read-only deploy key {} can clone {}", k.title, k.repo),
            )
        } else {
            (
                EdgeKind::CanControl,
                format!(
                    "deploy key {} has write access: it can push to {} and change its workflows",
                    k.title, k.repo
                ),
            )
        };
        g.edge(&key, &repo_key, kind, reason, Vec::new(), Vec::new());
    }
    let repos = known_repos(github);
    for app in &github.apps {
        let mut g = Adder::for_file(graph, &app.file);
        let key = format!("github:app:{}", app.slug);
        let writes: Vec<&str> = app.writes.iter().map(String::as_str).collect();
        g.node(
            &key,
            NodeKind::ServiceAccount,
            format!("GitHub App {}", app.slug),
            &app.org,
            &[
                ("writes", writes.join(",")),
                ("suspended", app.suspended.to_string()),
            ],
        );
        if app.suspended {
            continue;
        }
        let control = app.writes.contains("contents") || app.writes.contains("workflows");
        for repo in repos
            .iter()
            .filter(|r| r.split('/').next() == Some(app.org.as_str()))
        {
            let repo_key = format!("github:repo:{repo}");
            let cut = revoke(
                format!("uninstall-app:{}:{}", app.org, app.id),
                "revoke_token",
                4,
                vec![format!(
                    "# uninstall or suspend the app: https://github.com/organizations/{}/settings/installations/{}",
                    app.org, app.id
                )],
            );
            let conditions = if app.all_repos {
                Vec::new()
            } else {
                vec!["if the installation's selected repositories include it"]
            };
            let (kind, reason) = if control {
                (
                    EdgeKind::CanControl,
                    format!(
                        "GitHub App {} is installed on {} with write access to {}",
                        app.slug,
                        app.org,
                        writes.join(", ")
                    ),
                )
            } else {
                (
                    EdgeKind::CanAccess,
                    format!(
                        "GitHub App {} is installed on {} (read access)",
                        app.slug, app.org
                    ),
                )
            };
            g.edge(&key, &repo_key, kind, reason, conditions, vec![cut]);
        }
    }
}
