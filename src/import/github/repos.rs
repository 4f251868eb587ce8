//! What the `gh api` repository and environment listings add: a repository's
//! visibility (who can fork it, which organisation secrets it sees), whether it is
//! archived (its workflows do not run), and the deployment protection of its
//! environments (a protected job does not start until a reviewer approves it).

use serde_json::Value;

use super::{Adder, Inventory, context_of};
use crate::import::{Builder, Warning};
use crate::model::{NodeKind, TrustGraph};

/// `/orgs/{org}/repos` or `/repos/{o}/{r}`, by `owner/repo`.
#[derive(Debug, Clone)]
pub(super) struct RepoInfo {
    /// `public`, `private` or `internal`.
    pub visibility: String,
    pub default_branch: Option<String>,
    pub archived: bool,
    file: String,
}

impl RepoInfo {
    pub fn is_public(&self) -> bool {
        self.visibility == "public"
    }

    pub fn tags(&self) -> Vec<(&'static str, String)> {
        let mut tags = vec![("visibility", self.visibility.clone())];
        if let Some(branch) = &self.default_branch {
            tags.push(("default_branch", branch.clone()));
        }
        if self.archived {
            tags.push(("archived", "true".into()));
        }
        tags
    }
}

/// The deployment protection of one environment (`/repos/{o}/{r}/environments`).
#[derive(Debug, Clone, Default)]
pub(super) struct Protection {
    /// Users (`login`) and teams (`@slug`) of a `required_reviewers` rule.
    pub reviewers: Vec<String>,
    /// Whether a reviewer may approve a run they triggered themselves.
    pub self_review: bool,
    /// `protected branches` or `custom branch policies`, when deployments are limited.
    pub branches: Option<&'static str>,
}

impl Protection {
    /// The condition a job in this environment runs under, if any gates it.
    pub fn gate(&self, env: &str) -> Option<String> {
        if self.reviewers.is_empty() {
            return None;
        }
        let who = self.reviewers.join(", ");
        let own = if self.self_review {
            ""
        } else {
            " (not the one who triggered it)"
        };
        let branches = self
            .branches
            .map(|b| format!(", from {b} only"))
            .unwrap_or_default();
        Some(format!(
            "if a required reviewer{own} approves the deployment to environment {env}{branches} — {who}; a poisoned dependency still runs in the next approved deployment"
        ))
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// One repository object, from either listing.
pub(super) fn read_repo(repo: &Value, file: &str, inventory: &mut Inventory) {
    let Some(name) = text(repo, "full_name") else {
        return;
    };
    // Older API versions give only `private`.
    let private = repo
        .get("private")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let visibility = text(repo, "visibility")
        .unwrap_or_else(|| if private { "private" } else { "public" }.to_string());
    inventory.repos.insert(
        name,
        RepoInfo {
            visibility,
            default_branch: text(repo, "default_branch"),
            archived: repo
                .get("archived")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            file: file.to_string(),
        },
    );
}

/// `/repos/{o}/{r}/environments`, saved in the repository's directory.
pub(super) fn read_environments(list: &[Value], file: &str, builder: &mut Builder) {
    let Some(repo) = context_of(file, false) else {
        let message = "environment listing outside an OWNER/REPO directory: cannot tell whose environments; skipped";
        builder.warnings.push(Warning::new(file, "", message));
        return;
    };
    for env in list {
        let Some(name) = text(env, "name") else {
            continue;
        };
        let mut protection = Protection::default();
        for rule in env
            .get("protection_rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if rule.get("type").and_then(Value::as_str) != Some("required_reviewers") {
                continue;
            }
            protection.self_review = !rule
                .get("prevent_self_review")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            for r in rule
                .get("reviewers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let who = r.get("reviewer");
                let login = who.and_then(|w| text(w, "login"));
                let team = who.and_then(|w| text(w, "slug")).map(|s| format!("@{s}"));
                if let Some(name) = login.or(team) {
                    protection.reviewers.push(name);
                }
            }
        }
        let policy = env.get("deployment_branch_policy");
        let flag = |key| {
            policy
                .and_then(|p| p.get(key))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        protection.branches = if flag("protected_branches") {
            Some("protected branches")
        } else if flag("custom_branch_policies") {
            Some("branches matching its custom policies")
        } else {
            None
        };
        // Environment names are case-insensitive on GitHub.
        builder
            .github
            .environments
            .insert((repo.clone(), name.to_lowercase()), protection);
    }
}

/// Nodes for listed repositories, so that a repository with no workflow in the inputs
/// is still known (not flagged "not in inputs" by the OIDC link pass).
pub(super) fn build(github: &Inventory, graph: &mut TrustGraph) {
    for (name, info) in &github.repos {
        let mut g = Adder::for_file(graph, &info.file);
        let owner = name.split('/').next().unwrap_or(name);
        let key = format!("github:repo:{name}");
        g.node(&key, NodeKind::Resource, name.clone(), owner, &info.tags());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gate_needs_reviewers() {
        let open = Protection {
            branches: Some("protected branches"),
            ..Protection::default()
        };
        assert_eq!(
            open.gate("prod"),
            None,
            "a branch policy alone is no approval"
        );
        let gated = Protection {
            reviewers: vec!["alice".into(), "@acme/sre".into()],
            self_review: false,
            branches: Some("protected branches"),
        };
        let gate = gated.gate("prod").expect("reviewers gate the job");
        assert!(gate.contains("alice, @acme/sre"), "{gate}");
        assert!(gate.contains("from protected branches only"), "{gate}");
    }
}
