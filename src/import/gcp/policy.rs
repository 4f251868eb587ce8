//! What one IAM binding means: whether its condition holds, the access level its
//! permissions give, and the command that removes it.

use jiff::Timestamp;

use super::Resource;
use crate::shell::Cmd;

/// Whether an IAM condition holds at `at`: `Ok(None)` it does (or names only time, and
/// time allows), `Err(why)` it cannot (expired, not yet valid), `Ok(Some(text))` it is an
/// expression trustpath does not evaluate (the edge is conditional on it).
pub(super) fn condition_at(expression: &str, at: Timestamp) -> Result<Option<String>, String> {
    // Only a conjunction can be decided clause by clause.
    if expression.contains("||") || expression.contains('!') {
        return Ok(Some(expression.to_string()));
    }
    let mut open = Vec::new();
    for clause in expression.split("&&").map(str::trim) {
        let clause = clause.trim_matches(|c| c == '(' || c == ')').trim();
        let time = |op: &str| {
            clause
                .strip_prefix("request.time")?
                .trim_start()
                .strip_prefix(op)?
                .trim()
                .strip_prefix("timestamp(")?
                .trim_end_matches(')')
                .trim_matches(['"', '\''])
                .parse::<Timestamp>()
                .ok()
        };
        if let Some(t) = time("<=").or_else(|| time("<")) {
            if at >= t {
                return Err(format!("expired: `{clause}`"));
            }
        } else if let Some(t) = time(">=").or_else(|| time(">")) {
            if at < t {
                return Err(format!("not valid yet: `{clause}`"));
            }
        } else {
            open.push(clause.to_string());
        }
    }
    Ok((!open.is_empty()).then(|| expression.to_string()))
}

/// The gcloud command that removes one member's role from a resource (every binding of
/// that member and role, with or without a condition).
pub(super) fn remove_binding(r: &Resource, member: &str, role: &str) -> String {
    let cmd = match r {
        Resource::Org(n) => {
            Cmd::new("gcloud").args(["organizations", "remove-iam-policy-binding", n])
        }
        Resource::Folder(n) => Cmd::new("gcloud").args([
            "resource-manager",
            "folders",
            "remove-iam-policy-binding",
            n,
        ]),
        Resource::Project(p) => {
            Cmd::new("gcloud").args(["projects", "remove-iam-policy-binding", p])
        }
        Resource::Child {
            project,
            collection,
            name,
        } => match collection.as_str() {
            "serviceAccounts" => Cmd::new("gcloud").args([
                "iam",
                "service-accounts",
                "remove-iam-policy-binding",
                name,
            ]),
            "secrets" => Cmd::new("gcloud")
                .args(["secrets", "remove-iam-policy-binding", name])
                .eq("--project", project.as_str()),
            "buckets" => Cmd::new("gcloud")
                .args(["storage", "buckets", "remove-iam-policy-binding"])
                .arg(format!("gs://{name}")),
            "datasets" => Cmd::new("bq")
                .args(["remove-iam-policy-binding"])
                .eq("--member", member)
                .eq("--role", role)
                .arg(format!("{project}:{name}")),
            // No generic gcloud command: the service's own (`gcloud pubsub topics …`).
            _ => {
                return crate::shell::comment(&format!(
                    "remove {member} ({role}) from the IAM policy of {collection} {name} in project {project} with that service's own remove-iam-policy-binding"
                ));
            }
        },
    };
    if matches!(r, Resource::Child { collection, .. } if collection == "datasets") {
        return cmd.into();
    }
    cmd.eq("--member", member)
        .eq("--role", role)
        .arg("--all")
        .into()
}

/// The level of access a role's permissions give on the resource they are granted on.
/// (`setIamPolicy` makes it admin of a project, folder or organization only through
/// `resourcemanager.…`; of a resource inside one, through that resource's own.)
pub(super) fn level(role: &str, perms: &[&str], child: bool) -> crate::model::AccessLevel {
    use crate::model::AccessLevel;
    let admin = perms
        .iter()
        .any(|p| p.ends_with(".setIamPolicy") && (child || p.starts_with("resourcemanager.")));
    if role == "roles/owner" || admin {
        AccessLevel::Admin
    } else if role == "roles/editor"
        || perms.iter().any(|p| {
            [
                ".create",
                ".update",
                ".delete",
                ".set",
                "updateData",
                ".actAs",
            ]
            .iter()
            .any(|w| p.contains(w))
        })
    {
        AccessLevel::Write
    } else {
        AccessLevel::Read
    }
}
