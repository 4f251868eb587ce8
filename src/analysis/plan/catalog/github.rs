//! GitHub commands for the playbook catalogue.

use super::*;

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
    let peer = site.peer.map_or("<MEMBER>", |p| &p.key);
    match action {
        "delete_secret" | "rotate" if rest(key, "github", "secret").is_some() => {
            let parts: Vec<&str> = rest(key, "github", "secret")?.split('/').collect();
            let (name, scope) = match parts[..] {
                [org, name] => (name, format!("--org {}", shell(org))),
                [o, r, name] => (name, format!("-R {}", shell(&format!("{o}/{r}")))),
                [o, r, "env", env, name] => (name, format!("-R {} --env {}", shell(&format!("{o}/{r}")), shell(env))),
                _ => return None,
            };
            let command = if action == "rotate" { "set" } else { "delete" };
            copy(vec![format!("gh secret {command} {} {scope}", shell(name))], false, "not reversible: the value cannot be read back; gh secret set stores a new one")
        }
        "revoke_token" if rest(key, "github", "token").is_some() => {
            let (repo, file) = workflow_of(key)?;
            kills(
                vec![format!("gh run list -R {} --workflow {} --status in_progress  # then gh run cancel <RUN_ID> -R {} for each: the token dies when its job ends", shell(repo), shell(file), shell(repo))],
                false,
                "not reversible: a cancelled run must be re-run; GITHUB_TOKEN cannot be revoked otherwise",
            )
        }
        "revoke_token" if rest(key, "github", "app").is_some() => kills(
            vec![format!("gh api -X PUT /app/installations/<INSTALLATION_ID>/suspended  # as the app {} (JWT); or uninstall it in the org settings", shell(rest(key, "github", "app")?))],
            true,
            "undo: gh api -X DELETE /app/installations/<INSTALLATION_ID>/suspended; tokens already minted expire within 1 h anyway",
        ),
        "revoke_token" => kills(
            vec![
                "gh api -X POST /credentials/revoke -f 'credentials[]=<TOKEN>'  # the leaked token value itself; never paste it into tickets or logs".into(),
                format!("# or the owner deletes {key} at https://github.com/settings/tokens"),
            ],
            false,
            "not reversible: a revoked token cannot be reactivated; SSH keys the token created keep working, so remove them too",
        ),
        "delete_deploy_key" => {
            let (repo, id) = rest(key, "github", "deploy-key")?.rsplit_once('/')?;
            kills(
                vec![format!("gh repo deploy-key delete {} -R {}", shell(id), shell(repo))],
                false,
                "not reversible: re-adding a key gives a new id; generate a fresh key pair instead",
            )
        }
        "disable_workflow" | "pin_action" => {
            let (repo, file) = site.either(|n| workflow_of(&n.key).is_some()).and_then(|n| workflow_of(&n.key))?;
            let (repo, file) = (shell(repo), shell(file));
            let mut commands = vec![
                format!("gh workflow disable {file} -R {repo}"),
                format!("gh run list -R {repo} --workflow {file} --status in_progress  # then gh run cancel <RUN_ID> -R {repo} for each"),
            ];
            if action == "pin_action" {
                let uses = site.either(|n| n.key.starts_with("github:action:")).and_then(|n| rest(&n.key, "github", "action")).unwrap_or("<OWNER/ACTION@REF>");
                commands.insert(0, format!("# in {repo} {file}: replace `uses: {uses}` with a reviewed full commit SHA, or remove it; keep the workflow disabled until then"));
            }
            leaves(commands, RUNS_LIVE, true, format!("undo: gh workflow enable {file} -R {repo}"))
        }
        "remove_binding" | "remove_membership" => {
            let login = site.peer.and_then(|p| rest(&p.key, "github", "user"));
            let team = site.peer.and_then(|p| rest(&p.key, "github", "team"));
            let path = match (rest(key, "github", "repo"), rest(key, "github", "team")) {
                (Some(repo), _) => match (team, login) {
                    (Some(team), _) => format!("/orgs/{}/repos/{repo}", team.replacen('/', "/teams/", 1)),
                    (_, login) => format!("/repos/{repo}/collaborators/{}", login.unwrap_or("<GITHUB_LOGIN>")),
                },
                (None, Some(team)) => format!("/orgs/{}/memberships/{}", team.replacen('/', "/teams/", 1), login.unwrap_or("<GITHUB_LOGIN>")),
                _ => return None,
            };
            let path = qpath(&path);
            kills(
                vec![format!("gh api -X DELETE {path}  # {peer}; org base permissions and other teams may still grant access")],
                true,
                format!("effective immediately; undo: gh api -X PUT {path}"),
            )
        }
        "disable_identity" => {
            let login = rest(key, "github", "user")?;
            let org = site.node.scope.as_deref().unwrap_or("<ORG>");
            kills(
                vec![
                    format!("gh api -X DELETE {}  # removes it from the organisation", qpath(&format!("/orgs/{org}/members/{login}"))),
                    format!("# then, signed in as {login}: revoke its tokens and SSH keys, which still reach anything outside the organisation"),
                ],
                false,
                "not reversible as such: a re-invited member must accept, and team memberships and repository access are not restored",
            )
        }
        _ => None,
    }
}
