//! GitHub Actions jobs admitted by jwt roles (`role_type=jwt`; `oidc`, the default, is
//! for people's browser logins), and `github:any-repo` where a role binds nothing an
//! attacker's own repository cannot satisfy.
//!
//! Vault compares `bound_subject` exactly and each `bound_claims` value as a string or,
//! with `bound_claims_type=glob`, a `*` glob; a claim with several values accepts any.
//! `bound_audiences` is no barrier to whoever runs the job (it asks for any audience),
//! but since Vault 1.17 a role without it rejects every token that carries an `aud`
//! claim, as GitHub's always do.

use super::Role;
use super::build::Build;
use super::commands as cmd;
use super::login::star_match;
use crate::import::revoke;
use crate::model::{Condition, Edge, EdgeKind, NodeId};

/// GitHub Actions' OIDC issuer.
const GITHUB_ISSUER: &str = "token.actions.githubusercontent.com";

/// An attacker's own names, for the claims of a token from their repository.
const OWNER: &str = "some-attacker";
const REPO: &str = "some-attacker/any-repo";

/// Claims of a GitHub token that the workflow's author sets (branch, environment,
/// event, workflow file): an attacker's repository gives them any value.
const CHOSEN: [&str; 16] = [
    "ref",
    "ref_type",
    "ref_protected",
    "environment",
    "environment_node_id",
    "event_name",
    "workflow",
    "head_ref",
    "base_ref",
    "runner_environment",
    "repository_visibility",
    "sha",
    "workflow_sha",
    "job_workflow_sha",
    "run_id",
    "run_attempt",
];

/// One binding of a role: a claim and the values it accepts.
struct Bound {
    claim: String,
    values: Vec<String>,
    glob: bool,
}

impl Bound {
    fn accepts(&self, value: &str) -> bool {
        self.values.iter().any(|want| {
            // A value where the job varies (`*` in its subject) meets a pattern when
            // either admits the other: close, and it may link, never hide.
            match (self.glob, value.contains('*')) {
                (true, false) => star_match(want, value),
                (true, true) => star_match(want, value) || star_match(value, want),
                (false, false) => want == value,
                (false, true) => star_match(value, want),
            }
        })
    }

    /// Whether a token from an attacker's own repository can carry an accepted value.
    fn open_to_anyone(&self) -> bool {
        let claim = self.claim.as_str();
        if CHOSEN.contains(&claim) {
            return true;
        }
        self.values.iter().any(|v| {
            let candidate = match claim {
                "sub" => attacker_subject(v),
                "repository" => attacker_repo(v),
                "repository_owner" | "actor" | "enterprise" => {
                    if v.contains('*') {
                        v.replace('*', OWNER)
                    } else {
                        OWNER.to_string()
                    }
                }
                "job_workflow_ref" | "workflow_ref" => {
                    let mut parts = v.splitn(3, '/');
                    let (o, n, rest) = (parts.next(), parts.next(), parts.next());
                    match (o, n, rest) {
                        (Some(o), Some(n), Some(rest)) => {
                            format!(
                                "{}/{}",
                                attacker_repo(&format!("{o}/{n}")),
                                rest.replace('*', "x")
                            )
                        }
                        _ => attacker_repo(v),
                    }
                }
                "repository_id" | "repository_owner_id" | "enterprise_id" | "actor_id" => {
                    "999999999".into()
                }
                _ => return false,
            };
            self.accepts(&candidate)
        })
    }
}

/// The repository an attacker can name to meet a `OWNER/NAME` pattern: their own owner
/// (a wildcard there is theirs to fill), any name.
fn attacker_repo(pattern: &str) -> String {
    match pattern.split_once('/') {
        Some((o, n)) if o.contains('*') => {
            format!("{}/{}", o.replace('*', OWNER), n.replace('*', "x"))
        }
        Some((_, n)) => format!("{OWNER}/{}", n.replace('*', "x")),
        None => pattern.replace('*', REPO),
    }
}

/// A subject of the attacker's repository shaped like `pattern` (they choose the part
/// after the repository: branch, environment, event).
fn attacker_subject(pattern: &str) -> String {
    let Some(rest) = pattern.strip_prefix("repo:") else {
        return format!("repo:{REPO}:ref:refs/heads/main");
    };
    match rest.split_once(':') {
        Some((repo, context)) => {
            format!("repo:{}:{}", attacker_repo(repo), context.replace('*', "x"))
        }
        None => format!("repo:{}:ref:refs/heads/main", attacker_repo(rest)),
    }
}

/// A claim of a GitHub job's token, from one of its subjects; `None` when the subject
/// does not tell it (the claim may still be in the token).
fn claim(subject: &str, name: &str) -> Option<String> {
    let rest = subject.strip_prefix("repo:")?;
    let (repo, context) = rest.split_once(':').unwrap_or((rest, ""));
    match name {
        "sub" => Some(subject.to_string()),
        "repository" => Some(repo.to_string()),
        "repository_owner" => repo.split_once('/').map(|(o, _)| o.to_string()),
        "ref" => context.strip_prefix("ref:").map(str::to_string),
        "environment" => context.strip_prefix("environment:").map(str::to_string),
        _ => None,
    }
}

/// Whether a jwt/oidc mount trusts GitHub Actions' issuer: its config says so, or (no
/// config read) its roles bind GitHub-shaped claims, which makes the link conditional.
fn github_mount(b: &Build<'_>, mount: &str) -> Option<Option<Condition>> {
    if let Some((c, _)) = b.v.configs.get(mount) {
        let urls = [&c.bound_issuer, &c.oidc_discovery_url, &c.jwks_url];
        return urls
            .iter()
            .any(|u| u.as_deref().is_some_and(|u| u.contains(GITHUB_ISSUER)))
            .then_some(None);
    }
    let github_shaped = b.v.roles.iter().filter(|r| r.mount == mount).any(|r| {
        let d = &r.data;
        d.bound_subject
            .as_deref()
            .is_some_and(|s| s.starts_with("repo:"))
            || d.bound_claims.as_ref().is_some_and(|c| {
                c.keys().any(|k| {
                    ["repository", "repository_owner", "job_workflow_ref"].contains(&k.as_str())
                }) || c
                    .get("sub")
                    .is_some_and(|v| v.iter().any(|s| s.starts_with("repo:")))
            })
    });
    github_shaped.then(|| {
        Some(Condition::described(format!(
            "if auth/{mount} trusts {GITHUB_ISSUER} (its config is not in the inputs; the roles bind GitHub's claims)"
        )))
    })
}

/// GitHub jobs (nodes tagged `oidc_subjects`) and `github:any-repo` into jwt roles.
pub(super) fn link(b: &mut Build<'_>) {
    let roles: Vec<&Role> =
        b.v.roles
            .iter()
            .filter(|r| matches!(b.mount_kind(&r.mount).as_str(), "jwt" | "oidc"))
            .filter(|r| r.data.role_type.as_deref() == Some("jwt"))
            .collect();
    if roles.is_empty() {
        return;
    }
    let jobs: Vec<(NodeId, Vec<String>)> = b
        .graph
        .node_ids()
        .filter_map(|n| {
            let subs = b.graph.node(n).tags.get("oidc_subjects")?;
            Some((n, subs.split(" | ").map(str::to_string).collect()))
        })
        .collect();
    for role in roles {
        let Some(issuer) = github_mount(b, &role.mount) else {
            continue;
        };
        let role_key = format!("vault:role:{}/{}", role.mount, role.name);
        let Some(to) = b.graph.find(&role_key) else {
            continue;
        };
        let d = &role.data;
        let api = cmd::role_path(&role.mount, &role.name);
        let prov = b.prov(&role.file, api.clone());
        let glob = d.bound_claims_type.as_deref() == Some("glob");
        let mut bounds: Vec<Bound> = d
            .bound_claims
            .iter()
            .flatten()
            .map(|(k, v)| Bound {
                claim: k.clone(),
                values: v.0.clone(),
                glob,
            })
            .collect();
        if let Some(s) = d.bound_subject.as_deref().filter(|s| !s.is_empty()) {
            bounds.push(Bound {
                claim: "sub".into(),
                values: vec![s.to_string()],
                glob: false,
            });
        }
        let mut always: Vec<Condition> = issuer.into_iter().collect();
        if d.bound_audiences.is_empty() {
            always.push(Condition::described(
                "if Vault is older than 1.17: since then a role without bound_audiences rejects every token with an aud claim, as GitHub's have",
            ));
        }
        let rebind = revoke(
            format!("rebind-role:{role_key}"),
            "remove_trust",
            5,
            vec![cmd::rebind_role(&role.mount, &role.name).render()],
        );
        let shown: Vec<String> = bounds
            .iter()
            .map(|c| format!("{}={}", c.claim, c.values.join("|")))
            .collect();
        let add =
            |b: &mut Build<'_>, from: NodeId, reason: String, mut conditions: Vec<Condition>| {
                let mut edge = Edge::new(EdgeKind::CanAssume, reason, prov.clone());
                conditions.extend(always.iter().cloned());
                edge.conditions = conditions;
                edge.revoke = vec![rebind.clone()].into();
                b.graph.add_edge(from, to, edge);
            };
        if bounds.iter().all(Bound::open_to_anyone) {
            let any = crate::import::link::ensure_any_repo(b.graph, &prov);
            let why = if bounds.is_empty() {
                format!(
                    "{api} binds no subject and no claim: a token from any repository on GitHub logs in"
                )
            } else {
                format!(
                    "{api} binds [{}], which a workflow in any repository on GitHub can satisfy",
                    shown.join(", ")
                )
            };
            add(b, any, why, Vec::new());
        }
        for (job, subjects) in &jobs {
            // The subject that fits with the fewest claims left unknown.
            let best = subjects
                .iter()
                .filter_map(|subject| {
                    let mut unknown = Vec::new();
                    let fits = bounds.iter().all(|c| match claim(subject, &c.claim) {
                        Some(v) => c.accepts(&v),
                        None => {
                            unknown.push(Condition::described(format!(
                                "if the token's {} claim is one of [{}]",
                                c.claim,
                                c.values.join(", ")
                            )));
                            true
                        }
                    });
                    fits.then_some(unknown)
                })
                .min_by_key(Vec::len);
            if let Some(conditions) = best {
                let name = b.graph.node(*job).name.to_string();
                let why = if bounds.is_empty() {
                    format!("{api} binds no subject and no claim: {name}'s OIDC token logs in")
                } else {
                    format!(
                        "{api} accepts {name}'s OIDC token: bound [{}]",
                        shown.join(", ")
                    )
                };
                add(b, *job, why, conditions);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(claim: &str, values: &[&str], glob: bool) -> Bound {
        Bound {
            claim: claim.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            glob,
        }
    }

    #[test]
    fn what_an_attackers_repository_satisfies() {
        assert!(bound("sub", &["repo:*:environment:prod"], true).open_to_anyone());
        assert!(bound("sub", &["repo:*"], true).open_to_anyone());
        assert!(bound("sub", &["repo:*/infra:pull_request"], true).open_to_anyone());
        assert!(!bound("sub", &["repo:acme/*"], true).open_to_anyone());
        assert!(!bound("sub", &["repo:acme/infra:ref:refs/heads/main"], false).open_to_anyone());
        assert!(bound("environment", &["production"], false).open_to_anyone());
        assert!(bound("repository", &["*"], true).open_to_anyone());
        assert!(!bound("repository", &["acme/*"], true).open_to_anyone());
        assert!(!bound("repository_owner", &["acme"], false).open_to_anyone());
        assert!(
            bound(
                "job_workflow_ref",
                &["*/.github/workflows/deploy.yml@*"],
                true
            )
            .open_to_anyone()
        );
        assert!(
            !bound(
                "job_workflow_ref",
                &["acme/infra/.github/workflows/deploy.yml@*"],
                true
            )
            .open_to_anyone()
        );
        assert!(
            !bound("project_path", &["*"], true).open_to_anyone(),
            "not a GitHub claim"
        );
    }
}
