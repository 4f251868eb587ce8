//! A workflow's nodes and edges: its jobs, what runs in them (actions, reusable
//! workflows, local actions, images), what they read (secrets, the job token and its
//! scopes); who outside the repository controls them is [`super::outsiders`].

use super::workflow::{self, Job, Pinned, Target, UsedAt, Uses, Workflow};
use super::{Adder, Inventory, Revokes, SecretScope, commands, repos, subjects};
use crate::import::revoke;
use crate::model::{Credential, EdgeKind, Node, NodeKind, Revoke};
use crate::shell::comment;
use commands::Store;

/// Token scopes that give control beyond the repository's contents, and what over.
const SCOPE_EDGES: [(&str, &str); 2] = [
    (
        "actions",
        "re-runs and dispatches the repository's workflows",
    ),
    ("packages", "publishes the repository's packages"),
];

/// Builds one workflow; `siblings` are the workflows of its repository (itself included).
pub(super) fn build(
    w: &Workflow,
    siblings: &[&Workflow],
    github: &Inventory,
    revokes: &mut Revokes,
    g: &mut Adder<'_>,
) {
    // The repository default, when its `gh api` export is loaded: `write` grants the
    // token every scope but id-token.
    let default = github.defaults.get(&w.repo).map(String::as_str);
    let writes = |job: &Job, scope: &str| match (job.permissions.writes(scope), default) {
        (Some(w), _) => Some(w),
        (None, Some(d)) => Some(scope != "id-token" && d == "write"),
        (None, None) => None,
    };
    let (owner, _) = w.repo.split_once('/').unwrap_or((&w.repo, ""));
    let repo_key = format!("github:repo:{}", w.repo);
    let workflow_key = w.key();
    let file = w.path.rsplit('/').next().unwrap_or(&w.path).to_string();
    let info = github.repos.get(&w.repo);
    let repo_tags = info.map(repos::RepoInfo::tags).unwrap_or_default();
    g.node(
        &repo_key,
        NodeKind::Resource,
        w.repo.clone(),
        owner,
        &repo_tags,
    );
    // An archived repository is read-only and runs no workflows.
    let archived = info
        .is_some_and(|i| i.archived)
        .then_some("if the repository is unarchived: archived repositories run no workflows");
    let triggers: Vec<&str> = w.triggers.iter().map(String::as_str).collect();
    g.node(
        &workflow_key,
        NodeKind::Workload,
        format!("{} {file}", w.repo),
        owner,
        &[("triggers", triggers.join(","))],
    );
    let disable_cmd = commands::workflow("disable", &w.repo, &file);
    let disable = revoke(
        format!("disable-workflow:{}/{}", w.repo, w.path),
        "disable_workflow",
        3,
        vec![disable_cmd.clone().into()],
    );
    let site = Site {
        w,
        github,
        owner,
        disable_until: disable_cmd.note("until then").into(),
    };
    pushed(g, &w.repo, &workflow_key, &w.path);
    for job in &w.jobs {
        let job_key = w.job_key(job);
        let id_token = writes(job, "id-token");
        let subs = subjects(w, job, github.template(&w.repo));
        let mut tags = vec![(
            "id_token",
            id_token.map_or("repo default".to_string(), |b| b.to_string()),
        )];
        if let Some(env) = &job.environment {
            tags.push(("environment", env.clone()));
        }
        if id_token != Some(false) {
            tags.push(("oidc_subjects", subs.join(" | ")));
        }
        if !job.azure_client_ids.is_empty() {
            let ids: Vec<&str> = job.azure_client_ids.iter().map(String::as_str).collect();
            tags.push(("azure_client_ids", ids.join(" | ")));
        }
        if let Some(c) = &job.condition {
            tags.push(("if", c.clone()));
        }
        g.node(
            &job_key,
            NodeKind::Workload,
            format!("{} {file} job {}", w.repo, job.id),
            owner,
            &tags,
        );
        // Every way into a job is gated by what gates the job's start.
        let gate = job.environment.as_ref().and_then(|env| {
            github
                .environments
                .get(&(w.repo.clone(), env.to_lowercase()))
                .and_then(|p| p.gate(env))
        });
        let gates: Vec<&str> = archived.into_iter().chain(gate.as_deref()).collect();
        g.edge(
            &workflow_key,
            &job_key,
            EdgeKind::CanControl,
            format!("{} defines job `{}`", w.path, job.id),
            gates.clone(),
            vec![disable.clone()],
        );
        for uses in &job.uses {
            code(&site, job, &job_key, uses, &gates, &disable, revokes, g);
        }
        secrets(w, job, github, revokes, g);
        token(w, job, siblings, github, &writes, g);
        super::outsiders::outsiders(w, job, siblings, github, &gates, &disable, g);
    }
}

/// What every job of one workflow shares, worked out once per workflow.
struct Site<'a> {
    w: &'a Workflow,
    github: &'a Inventory,
    owner: &'a str,
    /// `gh workflow disable` of the file, as the last step of pinning an action in it.
    disable_until: String,
}

/// What a `uses:` runs in the job: its node, and the edge by which its code controls it.
#[allow(clippy::too_many_arguments)]
fn code(
    site: &Site<'_>,
    job: &Job,
    job_key: &str,
    uses: &Uses,
    gates: &[&str],
    disable: &Revoke,
    revokes: &mut Revokes,
    g: &mut Adder<'_>,
) {
    let Site {
        w, github, owner, ..
    } = *site;
    let place = uses.place();
    // One entry per action repository (or image) and workflow, whatever the ref or path:
    // pinning is done in the file, once per `uses:` of it.
    // `line` is the line to change as written (`uses: …`, `container: …`).
    let mut pin = |id: &str, line: &str, how: &str| {
        let id = format!("pin-action:{}/{}:{id}", w.repo, w.path);
        revokes.get(format!("{id}\n{line}"), || {
            vec![revoke(
                id,
                "pin_action",
                2,
                vec![
                    comment(&format!(
                        "in {}/{}: replace `{line}` with {how}, or remove it",
                        w.repo, w.path
                    )),
                    site.disable_until.clone(),
                ],
            )]
        })
    };
    let sees = "its code sees the job's secrets, token and OIDC identity";
    if let Some(path) = uses.reusable_in(&w.repo) {
        reusable(site, job, job_key, uses, path, gates, disable, g);
        return;
    }
    match &uses.target {
        Target::Remote {
            repo,
            path,
            reference,
        } => {
            let (used, written, pinned, fresh) = remote(g, repo, path.as_deref(), reference, owner);
            // A reusable workflow of another repository that was read too: its file is
            // what the ref runs, if the ref is the version read. (Once, with the ref's
            // node; the callee may be built later, or on another core.)
            let callee = path.as_deref().and_then(|p| github.workflow(repo, p));
            if let Some(callee) = callee.filter(|_| fresh) {
                crate::import::add_placeholder(
                    g.graph,
                    &callee.key(),
                    NodeKind::Workload,
                    "github",
                    format!("{} calls it; its own file is read too", w.path),
                    g.provenance.clone(),
                );
                let why = format!(
                    "`{written}` runs {}'s {} as read, if {reference} is the version read",
                    callee.repo, callee.path
                );
                let unsure = format!("if {written} is the version of the file that was read");
                g.edge(
                    &callee.key(),
                    &used,
                    EdgeKind::CanControl,
                    why,
                    vec![&unsure],
                    Vec::new(),
                );
            }
            g.edge(
                &used,
                job_key,
                EdgeKind::CanControl,
                format!(
                    "{} job `{}` {place} runs `{written}`, {}; {sees}",
                    w.path,
                    job.id,
                    pinned.risk()
                ),
                gates.to_vec(),
                pin(
                    repo,
                    &format!("uses: {written}"),
                    "a reviewed full commit SHA",
                ),
            );
        }
        Target::Local(path) => {
            let key = format!("github:local-action:{}/{path}", w.repo);
            // Its node, the repository's edge and its own steps' once; each use's edge.
            let new = g.graph.find(&key).is_none();
            g.node(
                &key,
                NodeKind::Workload,
                format!("{} ./{path}", w.repo),
                owner,
                &[("pinned", "same repository".to_string())],
            );
            if new {
                pushed(g, &w.repo, &key, &format!("./{path}"));
            }
            // A composite action's own steps run in every job that uses it.
            let inner = github
                .actions
                .get(&(w.repo.clone(), path.clone()))
                .filter(|_| new)
                .map(|a| &a.uses);
            for u in inner.into_iter().flatten() {
                let Target::Remote {
                    repo,
                    path: sub,
                    reference,
                } = &u.target
                else {
                    continue;
                };
                let (used, written, pinned, _) = remote(g, repo, sub.as_deref(), reference, owner);
                let cut = revoke(
                    format!("pin-action:{}/{path}:{repo}", w.repo),
                    "pin_action",
                    2,
                    vec![comment(&format!(
                        "in {}/{path}/action.yml: replace `uses: {written}` with a reviewed full commit SHA, or remove it",
                        w.repo
                    ))],
                );
                g.edge(
                    &used,
                    &key,
                    EdgeKind::CanControl,
                    format!(
                        "./{path} {} runs `{written}`, {}; it runs in every job that uses ./{path}",
                        u.place(),
                        pinned.risk()
                    ),
                    Vec::new(),
                    vec![cut],
                );
            }
            g.edge(
                &key,
                job_key,
                EdgeKind::CanControl,
                format!(
                    "{} job `{}` {place} runs the local action ./{path} (as checked out at that point); {sees}",
                    w.path, job.id
                ),
                gates.to_vec(),
                vec![disable.clone()],
            );
        }
        Target::Docker(image) => {
            let digest = image.contains("@sha256:");
            let mut conditions = gates.to_vec();
            // A service container runs beside the steps: it gets only what the job hands
            // it (its env, volumes and ports), never the token.
            let (runs, line, gets) = match &uses.at {
                UsedAt::Container => (
                    "runs every step inside".to_string(),
                    format!("container: {image}"),
                    sees,
                ),
                UsedAt::Service(name) => {
                    conditions
                        .push("if the job hands the service secrets or trusts what it serves");
                    (
                        format!("starts, as its service container `{name}`,"),
                        format!("services.{name}.image: {image}"),
                        "it gets what the job hands it (env, volumes, ports), not the job's token",
                    )
                }
                _ => (
                    format!("{place} runs"),
                    format!("uses: docker://{image}"),
                    sees,
                ),
            };
            let key = format!("github:docker:{image}");
            let pinned = if digest { "digest" } else { "tag" };
            g.node(
                &key,
                NodeKind::Workload,
                format!("docker://{image}"),
                image.split('/').next().unwrap_or(image),
                &[("pinned", pinned.to_string())],
            );
            let risk = if digest {
                "pinned by digest: only that image runs"
            } else {
                "pinned by a mutable tag: whoever pushes the tag runs code in the job"
            };
            g.edge(
                &key,
                job_key,
                EdgeKind::CanControl,
                format!(
                    "{} job `{}` {runs} the image docker://{image}, {risk}; {gets}",
                    w.path, job.id
                ),
                conditions,
                pin(
                    image.split(['@', ':']).next().unwrap_or(image),
                    &line,
                    "an image digest (@sha256:…)",
                ),
            );
        }
    }
}

/// A reusable workflow of the job's own repository (`./.github/workflows/x.yml`, or
/// `owner/repo/.github/workflows/x.yml@ref`): the job *is* its run.
#[allow(clippy::too_many_arguments)]
fn reusable(
    site: &Site<'_>,
    job: &Job,
    job_key: &str,
    uses: &Uses,
    path: &str,
    gates: &[&str],
    disable: &Revoke,
    g: &mut Adder<'_>,
) {
    let w = site.w;
    let key = workflow::key(&w.repo, path);
    let why = format!(
        "{} job `{}` calls it, and no input holds it",
        w.path, job.id
    );
    crate::import::add_placeholder(
        g.graph,
        &key,
        NodeKind::Workload,
        "github",
        why,
        g.provenance.clone(),
    );
    let mut conditions = gates.to_vec();
    let called = match &uses.target {
        Target::Remote { reference, .. } => {
            conditions.push("if the file read is the version at the ref it is called at");
            format!("{}/{path}@{reference}", w.repo)
        }
        _ => format!("./{path}"),
    };
    g.edge(
        &key,
        job_key,
        EdgeKind::CanControl,
        format!(
            "{} job `{}` runs the reusable workflow {called}: its code runs as this job, with the secrets and token the call passes",
            w.path, job.id
        ),
        conditions,
        vec![disable.clone()],
    );
}

/// The repository's edge to code kept in it (a workflow, a local action): whoever can
/// push to the branch it runs from changes it.
fn pushed(g: &mut Adder<'_>, repo: &str, key: &str, what: &str) {
    g.edge(
        &format!("github:repo:{repo}"),
        key,
        EdgeKind::CanControl,
        format!("a push to {repo} can change {what}"),
        vec!["if the attacker can push to the branch the workflow runs from"],
        Vec::new(),
    );
}

/// The node of `owner/repo[/path]@ref`: the repository's at that ref, and under it the
/// path's own (so the step that used it stays visible). Its key, how it was written,
/// its pin, and whether the path's node was made now.
fn remote(
    g: &mut Adder<'_>,
    repo: &str,
    path: Option<&str>,
    reference: &str,
    owner: &str,
) -> (String, String, Pinned, bool) {
    let pinned = Pinned::of(reference);
    let action_owner = repo.split('/').next().unwrap_or(repo);
    let tags = || {
        [
            ("pinned", pinned.as_str().to_string()),
            ("third_party", (action_owner != owner).to_string()),
        ]
    };
    let shared = format!("github:action:{repo}@{reference}");
    let shown = format!("{repo}@{reference}");
    // (A few actions are used in every job: their nodes are made once.)
    if g.graph.find(&shared).is_none() {
        g.node(
            &shared,
            NodeKind::Workload,
            shown.clone(),
            action_owner,
            &tags(),
        );
    }
    let Some(path) = path else {
        return (shared, shown, pinned, false);
    };
    let written = format!("{repo}/{path}@{reference}");
    let key = format!("github:action:{written}");
    if g.graph.find(&key).is_some() {
        return (key, written, pinned, false);
    }
    g.node(
        &key,
        NodeKind::Workload,
        written.clone(),
        action_owner,
        &tags(),
    );
    g.edge(
        &shared,
        &key,
        EdgeKind::CanControl,
        format!("`{written}` is code in {repo} at {reference}"),
        Vec::new(),
        Vec::new(),
    );
    (key, written, pinned, true)
}

/// The secrets a job reads: the ones it names, and all of them through `secrets:
/// inherit` or `toJSON(secrets)`.
fn secrets(w: &Workflow, job: &Job, github: &Inventory, revokes: &mut Revokes, g: &mut Adder<'_>) {
    let (owner, _) = w.repo.split_once('/').unwrap_or((&w.repo, ""));
    let job_key = w.job_key(job);
    let add = |g: &mut Adder<'_>, revokes: &mut Revokes, from: &str, name: &str, why: String| {
        let scope = github.resolve_secret(&w.repo, job.environment.as_deref(), name);
        let key = match &scope {
            SecretScope::Environment(env) => format!("github:secret:{}/env/{env}/{name}", w.repo),
            SecretScope::Org => format!("github:secret:{owner}/{name}"),
            SecretScope::Repo => format!("github:secret:{}/{name}", w.repo),
        };
        // The node, its label and its rotation once per secret, not once per job that
        // reads it.
        if g.graph.find(&key).is_none() {
            let label = match &scope {
                SecretScope::Environment(env) => format!("{name} ({} environment {env})", w.repo),
                SecretScope::Org => format!("{name} (organisation {owner})"),
                SecretScope::Repo => format!("{name} ({})", w.repo),
            };
            g.node(&key, NodeKind::Secret, label, owner, &[]);
        }
        let cut = revokes.get(format!("rotate:{key}"), || {
            let store = match &scope {
                SecretScope::Environment(env) => Store::Env(&w.repo, env),
                SecretScope::Org => Store::Org(owner),
                SecretScope::Repo => Store::Repo(&w.repo),
            };
            vec![revoke(
                format!("rotate:{key}"),
                "rotate",
                3,
                vec![
                    comment(&format!(
                        "rotate the credential {name} holds at its issuer first: deleting the GitHub copy does not revoke it"
                    )),
                    commands::secret("set", name, store)
                        .note("store the new value")
                        .into(),
                ],
            )]
        });
        g.edge(from, &key, EdgeKind::CanRead, why, Vec::new(), cut);
    };
    for name in &job.secrets {
        let why = format!(
            "job `{}` references secrets.{name}: every step of the job can read it",
            job.id
        );
        add(g, revokes, &job_key, name, why);
    }
    let Some(how) = job.all_secrets else { return };
    // Every secret at once: one node, which the listings (when loaded) expand.
    let all = format!("github:secrets:{}", w.repo);
    let new = g.graph.find(&all).is_none();
    g.node(
        &all,
        NodeKind::Secret,
        format!("every secret {}'s workflows can see", w.repo),
        owner,
        &[],
    );
    let cut = revoke(
        format!("rotate-all:{}", w.repo),
        "rotate",
        5,
        vec![comment(&format!(
            "rotate every secret {} can see at its issuer (`gh secret list -R {}` and the organisation's list name them): job `{}` of {} {how}",
            w.repo, w.repo, job.id, w.path
        ))],
    );
    g.edge(
        &job_key,
        &all,
        EdgeKind::CanRead,
        format!(
            "job `{}` {how}: every secret of the repository reaches it",
            job.id
        ),
        Vec::new(),
        vec![cut],
    );
    // (Its edges to the named secrets once, with the node.)
    for name in github.visible_secrets(&w.repo).into_iter().filter(|_| new) {
        if name.eq_ignore_ascii_case("GITHUB_TOKEN") {
            continue;
        }
        let why = format!("{name} is one of the secrets {} can see", w.repo);
        add(g, revokes, &all, &name, why);
    }
}

/// The job's GITHUB_TOKEN: every scope kept in its details; `contents`, `actions` and
/// `packages` write give edges.
fn token(
    w: &Workflow,
    job: &Job,
    siblings: &[&Workflow],
    github: &Inventory,
    writes: &dyn Fn(&Job, &str) -> Option<bool>,
    g: &mut Adder<'_>,
) {
    let (owner, _) = w.repo.split_once('/').unwrap_or((&w.repo, ""));
    let job_key = w.job_key(job);
    let repo_key = format!("github:repo:{}", w.repo);
    let token_key = format!("github:token:{}/{}#{}", w.repo, w.path, job.id);
    let mut node = Node::new(&token_key, NodeKind::Credential, g.provenance.clone());
    node.platform = "github".into();
    node.name = format!("GITHUB_TOKEN of {} job {}", w.repo, job.id).into();
    node.scope = Some(owner.into());
    node.credential = Some(Box::new(Credential {
        kind: Some("github_token".into()),
        long_lived: Some(false),
        ..Credential::default()
    }));
    let mut permissions = job.permissions.describe();
    if let (workflow::Permissions::RepoDefault, Some(d)) =
        (&job.permissions, github.defaults.get(&w.repo))
    {
        permissions = format!("repository default ({d})");
    }
    node.tags.insert("permissions".into(), permissions);
    if g.graph.find(&token_key).is_none() {
        let _ = g.graph.add_node(node);
    }
    g.edge(
        &job_key,
        &token_key,
        EdgeKind::CanRead,
        format!("job `{}` gets a GITHUB_TOKEN for {}", job.id, w.repo),
        Vec::new(),
        Vec::new(),
    );
    let contents = writes(job, "contents");
    if contents != Some(false) {
        let conditions = if contents.is_none() {
            vec!["if the repository's default workflow permissions grant contents: write"]
        } else {
            Vec::new()
        };
        g.edge(&token_key, &repo_key, EdgeKind::CanControl, format!("the GITHUB_TOKEN of job `{}` can write contents: it can push to {} (and change its workflows)", job.id, w.repo), conditions, Vec::new());
    }
    for (scope, what) in SCOPE_EDGES {
        // Only a grant the inputs show: under an unknown default these stay in the
        // token's `permissions` detail (contents alone gets a conditional edge).
        if writes(job, scope) != Some(true) {
            continue;
        }
        let why = format!(
            "the GITHUB_TOKEN of job `{}` has {scope}: write: it {what}",
            job.id
        );
        if scope == "packages" {
            let key = format!("github:packages:{}", w.repo);
            g.node(
                &key,
                NodeKind::Resource,
                format!("packages of {}", w.repo),
                owner,
                &[],
            );
            g.edge(
                &token_key,
                &key,
                EdgeKind::CanControl,
                why,
                Vec::new(),
                Vec::new(),
            );
            continue;
        }
        // Dispatching runs a workflow as written; the attacker steers it only through
        // its inputs or the ref it is dispatched on.
        for other in siblings
            .iter()
            .filter(|o| o.triggers.contains("workflow_dispatch"))
        {
            let conditions = vec![
                "if what the workflow runs depends on its dispatch inputs or the ref it is dispatched on",
            ];
            // The workflow may be built after this one: its own build fills the node in.
            let key = other.key();
            let why_here = format!("{} dispatches it; its own file is read too", w.path);
            crate::import::add_placeholder(
                g.graph,
                &key,
                NodeKind::Workload,
                "github",
                why_here,
                g.provenance.clone(),
            );
            g.edge(
                &token_key,
                &key,
                EdgeKind::CanControl,
                why.clone(),
                conditions,
                Vec::new(),
            );
        }
    }
}
