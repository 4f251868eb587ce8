//! GitHub Actions: workflow files in checkout layout, turned into repository, workflow,
//! job, action, secret and token nodes with the edges a compromised step or action
//! would use.

mod access;
pub(crate) mod commands;
mod expr;
mod jobs;
mod outsiders;
mod repos;
mod untrusted;
mod workflow;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Builder, ImportError, Warning};
use crate::model::{Edge, EdgeKind, NodeKind, Place, Provenance, Revoke, TrustGraph};
pub use workflow::{Pinned, Workflow};

/// Everything read from GitHub inputs, turned into nodes and edges once all are in.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    workflows: Vec<(Workflow, String)>,
    /// The repositories of the workflows, kept once the workflows are built and freed.
    known: BTreeSet<String>,
    /// Each workflow's place in `workflows`, by (`owner/repo` in lower case, path).
    index: rustc_hash::FxHashMap<(String, String), usize>,
    unparsed: Vec<Unparsed>,
    /// What local composite actions run, by (`owner/repo`, directory).
    actions: BTreeMap<(String, String), workflow::Action>,
    /// `default_workflow_permissions` (`read` or `write`) by `owner/repo`.
    defaults: BTreeMap<String, String>,
    /// OIDC subject templates by `owner/repo` or `owner`: `None` for `use_default`.
    templates: BTreeMap<String, Option<Vec<String>>>,
    /// Secret names by `owner/repo`, and by (`owner/repo`, environment in lower case:
    /// GitHub's environment names are case-insensitive).
    repo_secrets: BTreeMap<String, BTreeSet<String>>,
    env_secrets: BTreeMap<(String, String), BTreeSet<String>>,
    /// Organisation secrets by (`owner`, name).
    org_secrets: BTreeMap<(String, String), OrgVisibility>,
    keys: Vec<access::DeployKey>,
    apps: Vec<access::App>,
    /// Repository listings, by `owner/repo`.
    repos: BTreeMap<String, repos::RepoInfo>,
    /// Deployment protection by (`owner/repo`, environment in lower case).
    environments: BTreeMap<(String, String), repos::Protection>,
}

/// Which repositories see an organisation secret.
#[derive(Debug, Default)]
struct OrgVisibility {
    /// `all`, `private` or `selected`.
    visibility: String,
    /// For `selected`: the repositories, when their listing was loaded.
    selected: Option<BTreeSet<String>>,
}

impl OrgVisibility {
    fn visible_to(&self, repo: &str, info: Option<&repos::RepoInfo>) -> bool {
        match self.visibility.as_str() {
            "selected" => self.selected.as_ref().is_some_and(|s| s.contains(repo)),
            // `private` covers private and internal repositories; without the
            // repository's listing, trustpath assumes it sees the secret (never hides a
            // path).
            "private" => info.is_none_or(|i| !i.is_public()),
            _ => true,
        }
    }
}

/// Where a secret a job names comes from (GitHub's precedence: environment, repository,
/// organisation).
enum SecretScope {
    Environment(String),
    Repo,
    Org,
}

impl Inventory {
    /// Which secret `name` a job of `repo` (in `environment`) gets. Without listings it
    /// is taken to be a repository secret.
    fn resolve_secret(&self, repo: &str, environment: Option<&str>, name: &str) -> SecretScope {
        // (Most organisations' inputs hold no listings: no lookup, no key built.)
        if let Some(env) = environment
            && !self.env_secrets.is_empty()
            && self
                .env_secrets
                .get(&(repo.to_string(), env.to_lowercase()))
                .is_some_and(|s| s.contains(name))
        {
            return SecretScope::Environment(env.to_string());
        }
        if self
            .repo_secrets
            .get(repo)
            .is_some_and(|s| s.contains(name))
        {
            return SecretScope::Repo;
        }
        if self.org_secrets.is_empty() {
            return SecretScope::Repo;
        }
        let owner = repo.split('/').next().unwrap_or(repo);
        match self.org_secrets.get(&(owner.to_string(), name.to_string())) {
            Some(visibility) if visibility.visible_to(repo, self.repos.get(repo)) => {
                SecretScope::Org
            }
            _ => SecretScope::Repo,
        }
    }

    /// Every secret name a repository's workflows can see (repository and organisation).
    fn visible_secrets(&self, repo: &str) -> BTreeSet<String> {
        let owner = repo.split('/').next().unwrap_or(repo);
        let mut names: BTreeSet<String> = self.repo_secrets.get(repo).cloned().unwrap_or_default();
        names.extend(
            self.org_secrets
                .iter()
                .filter(|((org, _), v)| org == owner && v.visible_to(repo, self.repos.get(repo)))
                .map(|((_, name), _)| name.clone()),
        );
        names
    }

    /// The workflow at `path` of `repo`, if it was read (repository names ignore case).
    fn workflow(&self, repo: &str, path: &str) -> Option<&Workflow> {
        let at = self
            .index
            .get(&(repo.to_ascii_lowercase(), path.to_string()))?;
        self.workflows.get(*at).map(|(w, _)| w)
    }

    /// The subject template that applies to a repository: its own, else its owner's.
    fn template(&self, repo: &str) -> Option<&[String]> {
        let owner = repo.split('/').next().unwrap_or(repo);
        match self.templates.get(repo) {
            Some(own) => own.as_deref(),
            None => self.templates.get(owner).and_then(|t| t.as_deref()),
        }
    }
}

/// `OWNER/REPO` (or `OWNER`) from the directories a `gh api` export was saved in: the
/// file's parent is the repository (or the organisation), the one above its owner.
fn context_of(file: &str, org_level: bool) -> Option<String> {
    let mut dirs = file.rsplit('/').skip(1);
    let last = dirs.next().filter(|d| !d.is_empty() && *d != ".")?;
    if org_level {
        return Some(last.to_string());
    }
    let owner = dirs.next().filter(|d| !d.is_empty() && *d != ".")?;
    Some(format!("{owner}/{last}"))
}

/// Secret listings: `/repos/{o}/{r}/actions/secrets` (saved in `OWNER/REPO/`),
/// `/repos/{o}/{r}/environments/{env}/secrets` (in `OWNER/REPO/environments/ENV/`) and
/// `/orgs/{org}/actions/secrets` (in `OWNER/`; entries carry a `visibility`). Only names
/// are kept: the API never returns values, and any value-like field is ignored.
fn read_secrets(list: &[Value], file: &str, builder: &mut Builder) {
    let names: BTreeSet<String> = list
        .iter()
        .filter_map(|s| s.get("name").and_then(Value::as_str))
        .map(str::to_ascii_uppercase)
        .collect();
    let org = list.iter().any(|s| s.get("visibility").is_some());
    let dirs: Vec<&str> = file.rsplit('/').skip(1).take(4).collect();
    match (org, dirs.as_slice()) {
        (true, [owner, ..]) => {
            for s in list {
                let Some(name) = s.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let visibility = s
                    .get("visibility")
                    .and_then(Value::as_str)
                    .unwrap_or("all")
                    .to_string();
                let entry = builder
                    .github
                    .org_secrets
                    .entry(((*owner).to_string(), name.to_ascii_uppercase()))
                    .or_default();
                entry.visibility = visibility;
            }
        }
        (false, [env, "environments", repo, owner]) => {
            let key = (format!("{owner}/{repo}"), env.to_lowercase());
            builder
                .github
                .env_secrets
                .entry(key)
                .or_default()
                .extend(names);
        }
        (false, [repo, owner, ..]) => {
            builder
                .github
                .repo_secrets
                .entry(format!("{owner}/{repo}"))
                .or_default()
                .extend(names);
        }
        _ => {
            let message = "secret listing outside an OWNER/REPO (or OWNER) directory: cannot tell whose secrets; skipped";
            builder.warnings.push(Warning::new(file, "", message));
        }
    }
}

/// Reads `gh api` output: `/repos/{o}/{r}/actions/permissions/workflow`, or
/// `/repos/{o}/{r}/actions/oidc/customization/sub` (or the organisation's). The
/// repository is the directory the file was saved in (`OWNER/REPO/file.json`).
pub(super) fn read_api(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| ImportError::json(file, &e))?;
    if let Value::Array(list) = &doc {
        // `/orgs/{org}/repos` or `/repos/{o}/{r}/keys`.
        if list.iter().any(|r| r.get("full_name").is_some()) {
            for repo in list {
                repos::read_repo(repo, file, &mut builder.github);
            }
        } else {
            access::read_keys(list, file, builder);
        }
        return Ok(());
    }
    if doc.get("full_name").is_some() {
        repos::read_repo(&doc, file, &mut builder.github);
        return Ok(());
    }
    if let Some(list) = doc.get("environments").and_then(Value::as_array) {
        repos::read_environments(list, file, builder);
        return Ok(());
    }
    if let Some(list) = doc.get("installations").and_then(Value::as_array) {
        access::read_installations(list, file, builder);
        return Ok(());
    }
    if let Some(list) = doc.get("secrets").and_then(Value::as_array) {
        read_secrets(list, file, builder);
        return Ok(());
    }
    if let Some(list) = doc.get("repositories").and_then(Value::as_array) {
        // `/orgs/{org}/actions/secrets/{name}/repositories`, saved as
        // `OWNER/secrets/NAME/repositories.json`.
        let dirs: Vec<&str> = file.rsplit('/').skip(1).take(3).collect();
        if let [name, "secrets", owner] = dirs.as_slice() {
            let repos = list
                .iter()
                .filter_map(|r| r.get("full_name").and_then(Value::as_str))
                .map(str::to_string)
                .collect();
            let entry = builder
                .github
                .org_secrets
                .entry(((*owner).to_string(), name.to_ascii_uppercase()))
                .or_default();
            entry.selected = Some(repos);
        } else {
            let message = "repository listing of an organisation secret: save it as OWNER/secrets/NAME/repositories.json; skipped";
            builder.warnings.push(Warning::new(file, "", message));
        }
        return Ok(());
    }
    let org_level = doc.get("include_claim_keys").is_some() && doc.get("use_default").is_none();
    let Some(scope) = context_of(file, org_level) else {
        let message = "gh api export outside an OWNER/REPO (or OWNER) directory: cannot tell what it describes; skipped";
        builder.warnings.push(Warning::new(file, "", message));
        return Ok(());
    };
    if let Some(default) = doc
        .get("default_workflow_permissions")
        .and_then(Value::as_str)
    {
        builder.github.defaults.insert(scope, default.to_string());
    } else if doc.get("include_claim_keys").is_some() || doc.get("use_default").is_some() {
        let use_default = doc
            .get("use_default")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let keys: Vec<String> = doc
            .get("include_claim_keys")
            .and_then(Value::as_array)
            .map(|k| {
                k.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let template = (!use_default && !keys.is_empty()).then_some(keys);
        builder.github.templates.insert(scope, template);
    }
    Ok(())
}

/// A workflow or action file in checkout layout, not parsed yet: parsing waits for
/// [`finish`], which spreads the files over the cores.
#[derive(Debug)]
struct Unparsed {
    file: String,
    repo: String,
    /// The workflow's path, or the local action's directory.
    path: String,
    action: bool,
    bytes: Vec<u8>,
}

/// What one file gave.
enum Parsed {
    Workflow(Workflow, String),
    Action((String, String), workflow::Action),
    Skipped(Warning),
}

/// Takes one workflow or local action file; a file not in checkout layout is a warning
/// and the rest of the inputs still load.
pub(super) fn read_workflow(
    bytes: &[u8],
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    let action = super::detect::is_local_action(file)
        .then(|| workflow::locate_action(file))
        .flatten();
    let Some((repo, path)) = action.clone().or_else(|| workflow::locate(file)) else {
        let message = "workflow or action file outside a checkout layout (OWNER/REPO/.github/…): cannot tell its repository; skipped";
        builder.warnings.push(Warning::new(file, "", message));
        return Ok(());
    };
    builder.github.unparsed.push(Unparsed {
        file: file.to_string(),
        repo,
        path,
        action: action.is_some(),
        bytes: bytes.to_vec(),
    });
    Ok(())
}

/// `work` on consecutive runs of `items`, one run per core, and its results in the
/// runs' order.
fn on_every_core<T: Sync, R: Send>(items: &[T], work: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let run = items.len().div_ceil(cores.clamp(1, 8)).max(1);
    let work = &work;
    std::thread::scope(|s| {
        let workers: Vec<_> = items
            .chunks(run)
            .map(|c| s.spawn(move || work(c)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Parses one file; one that is not valid YAML is a warning with its line.
fn parse(u: &Unparsed) -> Parsed {
    let text = String::from_utf8_lossy(&u.bytes);
    let doc: Value = match serde_norway::from_str(&text) {
        Ok(doc) => doc,
        Err(e) => {
            let (place, first) = super::error::workflow_yaml_error(&e);
            let why = format!("workflow skipped: {first}");
            return Parsed::Skipped(Warning::new(&u.file, place, why));
        }
    };
    if u.action {
        let at = (u.repo.clone(), u.path.clone());
        return Parsed::Action(at, workflow::action(&doc, &text));
    }
    match workflow::read(&doc, &text, u.repo.clone(), u.path.clone()) {
        Ok(w) => Parsed::Workflow(w, u.file.clone()),
        Err(e) => Parsed::Skipped(Warning::new(&u.file, "", format!("workflow skipped: {e}"))),
    }
}

/// Parses every file taken, on all cores (YAML parsing is most of a large import), and
/// files the results in input order.
fn parse_all(github: &mut Inventory, warnings: &mut Vec<Warning>) {
    let unparsed = std::mem::take(&mut github.unparsed);
    let parsed = on_every_core(&unparsed, |files| {
        files.iter().map(parse).collect::<Vec<_>>()
    });
    for p in parsed.into_iter().flatten() {
        match p {
            Parsed::Workflow(w, file) => {
                let at = (w.repo.to_ascii_lowercase(), w.path.clone());
                github.index.entry(at).or_insert(github.workflows.len());
                github.workflows.push((w, file));
            }
            Parsed::Action(at, action) => {
                github.actions.insert(at, action);
            }
            Parsed::Skipped(w) => warnings.push(w),
        }
    }
}

/// Adds nodes once (another input may define them first) and edges between keys.
struct Adder<'a> {
    graph: &'a mut TrustGraph,
    provenance: Provenance,
}

impl<'a> Adder<'a> {
    /// An adder whose nodes and edges come from `file` (no finer place is known).
    fn for_file(graph: &'a mut TrustGraph, file: &str) -> Self {
        let source = graph.intern_source(file);
        let provenance = Provenance {
            source,
            place: Place::Unknown,
        };
        Adder { graph, provenance }
    }

    fn node(
        &mut self,
        key: &str,
        kind: NodeKind,
        name: String,
        scope: &str,
        tags: &[(&str, String)],
    ) {
        let prov = self.provenance.clone();
        let added = super::add_new_node(self.graph, key, kind, "github", &name, Some(scope), prov);
        if let Some(node) = added {
            node.tags = tags
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect();
        }
    }

    fn edge(
        &mut self,
        from: &str,
        to: &str,
        kind: EdgeKind,
        reason: String,
        conditions: Vec<&str>,
        cut: impl Into<std::sync::Arc<[Revoke]>>,
    ) {
        let (Some(a), Some(b)) = (self.graph.find(from), self.graph.find(to)) else {
            return;
        };
        let mut edge = Edge::new(kind, reason, self.provenance.clone());
        edge.conditions = conditions
            .into_iter()
            .map(crate::model::Condition::described)
            .collect();
        edge.revoke = cut.into();
        self.graph.add_edge(a, b, edge);
    }
}

/// Revoke lists already built, by what they revoke: a secret read by a thousand jobs,
/// or an action used in every job of a file, shares one list.
#[derive(Default)]
pub(super) struct Revokes(rustc_hash::FxHashMap<String, std::sync::Arc<[Revoke]>>);

impl Revokes {
    pub(super) fn get(
        &mut self,
        key: String,
        make: impl FnOnce() -> Vec<Revoke>,
    ) -> std::sync::Arc<[Revoke]> {
        self.0.entry(key).or_insert_with(|| make().into()).clone()
    }
}

/// The `context` parts of the subjects a job's token can carry: its environment, else
/// `pull_request`, else the refs it runs on (`*` where any branch will do).
fn contexts(w: &Workflow, job: &workflow::Job) -> Vec<String> {
    if let Some(env) = &job.environment {
        return vec![format!("environment:{env}")];
    }
    let mut out = BTreeSet::new();
    if w.triggers.contains("pull_request") || w.triggers.contains("pull_request_target") {
        out.insert("pull_request".to_string());
    }
    if w.triggers.contains("push") {
        if w.push_branches.is_empty() {
            out.insert("ref:refs/heads/*".to_string());
        }
        for branch in &w.push_branches {
            out.insert(format!("ref:refs/heads/{branch}"));
        }
    }
    if ["workflow_dispatch", "schedule", "workflow_run", "release"]
        .iter()
        .any(|t| w.triggers.contains(*t))
    {
        out.insert("ref:refs/heads/*".to_string());
    }
    out.into_iter().collect()
}

/// The claim keys of the default subject.
const DEFAULT_TEMPLATE: [&str; 2] = ["repo", "context"];

/// The OIDC `sub` values a job can present, built from the subject template's claim
/// keys (`*` where the workflow lets a value vary or the inputs do not tell it).
pub fn subjects(w: &Workflow, job: &workflow::Job, template: Option<&[String]>) -> Vec<String> {
    let default: Vec<String> = DEFAULT_TEMPLATE.iter().map(|k| (*k).to_string()).collect();
    let keys = template.unwrap_or(&default);
    let owner = w.repo.split('/').next().unwrap_or(&w.repo);
    contexts(w, job)
        .iter()
        .map(|context| {
            let reference = context.strip_prefix("ref:").unwrap_or("*");
            keys.iter()
                .map(|key| match key.as_str() {
                    "repo" => format!("repo:{}", w.repo),
                    "context" => context.clone(),
                    "repository" => format!("repository:{}", w.repo),
                    "repository_owner" => format!("repository_owner:{owner}"),
                    "job_workflow_ref" => {
                        format!("job_workflow_ref:{}/{}@{reference}", w.repo, w.path)
                    }
                    "ref" => format!("ref:{reference}"),
                    "environment" => match context.strip_prefix("environment:") {
                        Some(env) => format!("environment:{env}"),
                        None => "environment:*".to_string(),
                    },
                    other => format!("{other}:*"),
                })
                .collect::<Vec<_>>()
                .join(":")
        })
        .collect()
}

/// Derives the nodes and edges of every workflow read.
pub(super) fn finish(mut github: Inventory, graph: &mut TrustGraph, warnings: &mut Vec<Warning>) {
    parse_all(&mut github, warnings);
    repos::build(&github, graph);
    let parts = {
        let github = &github;
        let mut by_repo: BTreeMap<&str, Vec<&Workflow>> = BTreeMap::new();
        for (w, _) in &github.workflows {
            by_repo.entry(w.repo.as_str()).or_default().push(w);
        }
        // Each core builds a run of workflows into a graph of its own; the parts are then
        // absorbed in input order, so the result is the one a single core would build.
        on_every_core(&github.workflows, |run| {
            let mut part = TrustGraph::new();
            let mut revokes = Revokes::default();
            for (w, file) in run {
                let siblings = by_repo.get(w.repo.as_str()).map_or(&[][..], Vec::as_slice);
                let mut g = Adder::for_file(&mut part, file);
                jobs::build(w, siblings, github, &mut revokes, &mut g);
            }
            part
        })
    };
    // The workflows are in the parts now: they are freed on the other core while the
    // parts join the graph, and their memory is reused for it (a large organisation's
    // workflows are a fifth of the import's peak).
    github.known = github
        .workflows
        .iter()
        .map(|(w, _)| w.repo.clone())
        .collect();
    let done = (
        std::mem::take(&mut github.workflows),
        std::mem::take(&mut github.actions),
        std::mem::take(&mut github.index),
    );
    std::thread::scope(|s| {
        s.spawn(move || drop(done));
        graph.absorb(parts);
    });
    access::build(&github, graph);
}
