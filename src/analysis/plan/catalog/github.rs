//! GitHub commands for the playbook catalogue.

use super::*;
use crate::import::github::commands::{Store, delete_deploy_key, secret, workflow};

const RUNS_LIVE: &str = "runs already in progress keep going, and their GITHUB_TOKEN lives until the job ends (at most 6 h on GitHub-hosted runners, 24 h self-hosted): cancel them with gh run cancel";

/// `owner/repo` and workflow file of a `github:workflow:` or `github:token:` key.
fn workflow_of(key: &str) -> Option<(&str, &str)> {
    let path = rest(key, "github", "workflow").or_else(|| rest(key, "github", "token"))?;
    let path = path.split('#').next().unwrap_or(path);
    let (owner, rest) = path.split_once('/')?;
    let (repo, file) = rest.split_once('/')?;
    Some((
        &path[..owner.len() + 1 + repo.len()],
        file.rsplit('/').next().unwrap_or(file),
    ))
}

pub(super) fn playbook(action: &str, site: &Site<'_>) -> Option<Playbook> {
    let key = site.key();
    let peer = site.peer.map_or("<MEMBER>", |p| p.key);
    match action {
        "delete_secret" | "rotate" if rest(key, "github", "secret").is_some() => {
            let parts: Vec<&str> = rest(key, "github", "secret")?.split('/').collect();
            let command = if action == "rotate" { "set" } else { "delete" };
            let cmd = match parts[..] {
                [org, name] => secret(command, name, Store::Org(org)),
                [o, r, name] => secret(command, name, Store::Repo(&format!("{o}/{r}"))),
                [o, r, "env", env, name] => {
                    secret(command, name, Store::Env(&format!("{o}/{r}"), env))
                }
                _ => return None,
            };
            copy(
                vec![cmd.into()],
                false,
                "not reversible: the value cannot be read back; gh secret set stores a new one",
            )
        }
        "revoke_token" if rest(key, "github", "token").is_some() => {
            let (repo, file) = workflow_of(key)?;
            kills(
                vec![
                    in_progress(repo, file)
                        .note(format!(
                            "then {} for each: the token dies when its job ends",
                            cancel(repo)
                        ))
                        .into(),
                ],
                false,
                "not reversible: a cancelled run must be re-run; GITHUB_TOKEN cannot be revoked otherwise",
            )
        }
        "revoke_token" if rest(key, "github", "app").is_some() => {
            let suspended = |method| {
                Cmd::new("gh").args(["api", "-X", method]).word([
                    Piece::Own("/app/installations/"),
                    hole("<INSTALLATION_ID>"),
                    Piece::Own("/suspended"),
                ])
            };
            kills(
                vec![
                    suspended("PUT")
                        .note(format!(
                            "as the app {} (JWT); or uninstall it in the org settings",
                            quote(rest(key, "github", "app")?)
                        ))
                        .into(),
                ],
                true,
                format!(
                    "undo: {}; tokens already minted expire within 1 h anyway",
                    suspended("DELETE")
                ),
            )
        }
        "revoke_token" => kills(
            vec![
                Cmd::new("gh")
                    .args(["api", "-X", "POST", "/credentials/revoke", "-f"])
                    .word(["credentials[]=".into(), hole("<TOKEN>")])
                    .note("the leaked token value itself; never paste it into tickets or logs")
                    .into(),
                comment(&format!(
                    "or the owner deletes {key} at https://github.com/settings/tokens"
                )),
            ],
            false,
            "not reversible: a revoked token cannot be reactivated; SSH keys the token created keep working, so remove them too",
        ),
        "delete_deploy_key" => {
            let (repo, id) = rest(key, "github", "deploy-key")?.rsplit_once('/')?;
            kills(
                vec![delete_deploy_key(repo, id).into()],
                false,
                "not reversible: re-adding a key gives a new id; generate a fresh key pair instead",
            )
        }
        "disable_workflow" | "pin_action" => {
            let (repo, file) = site
                .either(|n| workflow_of(n.key).is_some())
                .and_then(|n| workflow_of(n.key))?;
            let mut commands = vec![
                workflow("disable", repo, file).into(),
                in_progress(repo, file)
                    .note(format!("then {} for each", cancel(repo)))
                    .into(),
            ];
            if action == "pin_action" {
                let uses = site
                    .either(|n| n.key.starts_with("github:action:"))
                    .and_then(|n| rest(n.key, "github", "action"))
                    .unwrap_or("<OWNER/ACTION@REF>");
                commands.insert(0, comment(&format!("in {} {}: replace `uses: {uses}` with a reviewed full commit SHA, or remove it; keep the workflow disabled until then", quote(repo), quote(file))));
            }
            leaves(
                commands,
                RUNS_LIVE,
                true,
                format!("undo: {}", workflow("enable", repo, file)),
            )
        }
        "remove_binding" | "remove_membership" => {
            let login = site.peer.and_then(|p| rest(p.key, "github", "user"));
            let login = || login.map_or(hole("<GITHUB_LOGIN>"), Piece::from);
            let team = site.peer.and_then(|p| rest(p.key, "github", "team"));
            // `org/slug` of a team key, as the REST path spells it: `org/teams/slug`.
            let teams = |team: &str| team.replacen('/', "/teams/", 1);
            let path: Vec<Piece> = match (rest(key, "github", "repo"), rest(key, "github", "team"))
            {
                (Some(repo), _) => match team {
                    Some(team) => vec![format!("/orgs/{}/repos/{repo}", teams(team)).into()],
                    None => vec![format!("/repos/{repo}/collaborators/").into(), login()],
                },
                (None, Some(team)) => vec![
                    format!("/orgs/{}/memberships/", teams(team)).into(),
                    login(),
                ],
                _ => return None,
            };
            let api = |method| {
                Cmd::new("gh")
                    .args(["api", "-X", method])
                    .word(path.clone())
            };
            kills(
                vec![
                    api("DELETE")
                        .note(format!(
                            "{peer}; org base permissions and other teams may still grant access"
                        ))
                        .into(),
                ],
                true,
                format!("effective immediately; undo: {}", api("PUT")),
            )
        }
        "disable_identity" => {
            let login = rest(key, "github", "user")?;
            let org = site.node.scope.map_or(hole("<ORG>"), Piece::from);
            kills(
                vec![
                    Cmd::new("gh")
                        .args(["api", "-X", "DELETE"])
                        .word([
                            Piece::Own("/orgs/"),
                            org,
                            format!("/members/{login}").into(),
                        ])
                        .note("removes it from the organisation")
                        .into(),
                    comment(&format!(
                        "then, signed in as {login}: revoke its tokens and SSH keys, which still reach anything outside the organisation"
                    )),
                ],
                false,
                "not reversible as such: a re-invited member must accept, and team memberships and repository access are not restored",
            )
        }
        _ => None,
    }
}

/// The runs of a workflow still in progress, whose tokens live until they end.
fn in_progress(repo: &str, file: &str) -> Cmd {
    Cmd::new("gh").args([
        "run",
        "list",
        "-R",
        repo,
        "--workflow",
        file,
        "--status",
        "in_progress",
    ])
}

/// How to cancel one of them, for a note.
fn cancel(repo: &str) -> String {
    format!("gh run cancel <RUN_ID> -R {}", quote(repo))
}
