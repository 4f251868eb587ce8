//! The `gh` commands both the importer (a node's own `revoke` entries) and the plan
//! catalogue print, built once as argument vectors.

use crate::shell::Cmd;

/// Where a GitHub Actions secret is stored.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Store<'a> {
    Org(&'a str),
    Repo(&'a str),
    /// A repository's deployment environment.
    Env(&'a str, &'a str),
}

/// `gh secret VERB NAME` in its store (`set` stores a new value, `delete` removes it).
pub(crate) fn secret(verb: &str, name: &str, store: Store<'_>) -> Cmd {
    let gh = Cmd::new("gh").args(["secret", verb, name]);
    match store {
        Store::Org(org) => gh.args(["--org", org]),
        Store::Repo(repo) => gh.args(["-R", repo]),
        Store::Env(repo, env) => gh.args(["-R", repo, "--env", env]),
    }
}

/// `gh workflow VERB FILE -R OWNER/REPO` (`disable`, `enable`).
pub(crate) fn workflow(verb: &str, repo: &str, file: &str) -> Cmd {
    Cmd::new("gh").args(["workflow", verb, file, "-R", repo])
}

/// Deletes a deploy key by its id.
pub(crate) fn delete_deploy_key(repo: &str, id: &str) -> Cmd {
    Cmd::new("gh").args(["repo", "deploy-key", "delete", id, "-R", repo])
}
