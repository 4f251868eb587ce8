//! GitHub Actions workflow files, read from a checkout layout
//! (`OWNER/REPO/.github/workflows/FILE.yml`): who controls each job, what each job can
//! read, and which OIDC subjects it can present.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::untrusted::{self, Evidence};

/// Who decides what a job's token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permissions {
    /// No `permissions` key at the workflow or job: the repository default applies.
    RepoDefault,
    /// `write-all`
    WriteAll,
    /// `read-all` (every scope `read`), `{}` or a map: each scope's level (`read`,
    /// `write`, `none`); a scope not named is `none`.
    Scopes(BTreeMap<String, String>),
}

impl Permissions {
    fn parse(v: &Value) -> Permissions {
        match v {
            Value::String(s) if s == "write-all" => Permissions::WriteAll,
            Value::String(s) if s == "read-all" => {
                Permissions::Scopes(BTreeMap::from([("*".to_string(), "read".to_string())]))
            }
            Value::Object(map) => Permissions::Scopes(
                map.iter()
                    .map(|(scope, level)| {
                        let level = level.as_str().unwrap_or("none");
                        (scope.clone(), level.to_string())
                    })
                    .collect(),
            ),
            // Anything unexpected: nothing granted.
            _ => Permissions::Scopes(BTreeMap::new()),
        }
    }

    /// Whether `scope` (`contents`, `id-token`, `actions`…) may be written: `None` when
    /// it depends on the repository default, which the workflow file does not show.
    pub fn writes(&self, scope: &str) -> Option<bool> {
        match self {
            Permissions::RepoDefault => None,
            Permissions::WriteAll => Some(true),
            Permissions::Scopes(scopes) => Some(scopes.get(scope).is_some_and(|l| l == "write")),
        }
    }

    /// `contents:write,pull-requests:read` for the token's details.
    pub fn describe(&self) -> String {
        match self {
            Permissions::RepoDefault => "repository default".to_string(),
            Permissions::WriteAll => "write-all".to_string(),
            Permissions::Scopes(s) if s.get("*").is_some() => "read-all".to_string(),
            Permissions::Scopes(s) if s.is_empty() => "none".to_string(),
            Permissions::Scopes(s) => s
                .iter()
                .map(|(scope, level)| format!("{scope}:{level}"))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// How an action, reusable workflow or image is pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pinned {
    /// A full 40-hex commit SHA (or an image digest): the code cannot change.
    Sha,
    /// A version-like tag (`v4`, `v1.2.3`): whoever can move the tag runs code.
    Tag,
    /// A branch (a known branch name, or a ref with `/`): every push to it runs.
    Branch,
    /// Some other ref: mutable, branch or tag unknown.
    Ref,
}

impl Pinned {
    pub fn of(reference: &str) -> Pinned {
        let version_like = reference
            .strip_prefix(['v', 'V'])
            .unwrap_or(reference)
            .split(['.', '-', '+'])
            .next()
            .is_some_and(|major| !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()));
        if reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit()) {
            Pinned::Sha
        } else if reference.contains('/')
            || [
                "main", "master", "develop", "dev", "trunk", "latest", "stable",
            ]
            .contains(&reference)
        {
            Pinned::Branch
        } else if version_like {
            Pinned::Tag
        } else {
            Pinned::Ref
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Pinned::Sha => "sha",
            Pinned::Tag => "tag",
            Pinned::Branch => "branch",
            Pinned::Ref => "ref",
        }
    }

    /// What the pin means for the job, for edge reasons.
    pub fn risk(self) -> &'static str {
        match self {
            Pinned::Sha => "pinned to a commit: only that code runs",
            Pinned::Tag => "pinned by a mutable tag: whoever moves the tag runs code in the job",
            Pinned::Branch => "pinned to a branch: every push to it runs in the job",
            Pinned::Ref => {
                "pinned by a mutable ref (branch or tag): whoever moves it runs code in the job"
            }
        }
    }
}

/// What a `uses:` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `owner/name[/path]@ref`: an action or a reusable workflow in another repository.
    Remote {
        /// `owner/name`
        repo: String,
        /// The path inside it (`init`, `.github/workflows/x.yml`), if any.
        path: Option<String>,
        reference: String,
    },
    /// `./path`: a composite action or reusable workflow in the same repository, at
    /// the commit the job runs (or whatever the job checked out).
    Local(String),
    /// `docker://image[:tag|@digest]`
    Docker(String),
}

/// Where in its job a `uses:` (or an image) runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsedAt {
    /// A step, by index.
    Step(usize),
    /// The job itself: a reusable workflow.
    Job,
    /// `container:`: every step of the job runs inside the image.
    Container,
    /// `services:`: a container beside the job, by its name there.
    Service(String),
}

/// A `uses:` of a job (a reusable workflow) or of a step, or an image the job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uses {
    pub target: Target,
    pub at: UsedAt,
    /// The calling step's `if:`, as written.
    pub condition: Option<String>,
    /// The `with:` inputs it is handed that an outsider controls.
    pub passes: Vec<untrusted::Pass>,
}

impl Uses {
    fn parse(text: &str, at: UsedAt) -> Option<Uses> {
        let text = text.trim();
        let target = if let Some(image) = text.strip_prefix("docker://") {
            Target::Docker(image.to_string())
        } else if let Some(path) = text.strip_prefix("./") {
            Target::Local(path.trim_end_matches('/').to_string())
        } else {
            let (path, reference) = text.split_once('@')?;
            let mut parts = path.splitn(3, '/');
            let (owner, name) = (parts.next()?, parts.next()?);
            Target::Remote {
                repo: format!("{owner}/{name}"),
                path: parts.next().filter(|p| !p.is_empty()).map(str::to_string),
                reference: reference.to_string(),
            }
        };
        Some(Uses {
            target,
            at,
            condition: None,
            passes: Vec::new(),
        })
    }

    /// An image named by `container:` or `services:` (`image:` or the bare string); one
    /// named by an expression is not known.
    fn image(v: &Value, at: UsedAt) -> Option<Uses> {
        let image = v.as_str().or_else(|| v.get("image")?.as_str())?.trim();
        if image.is_empty() || untrusted::has_expression(image) {
            return None;
        }
        let image = image.strip_prefix("docker://").unwrap_or(image);
        Some(Uses {
            target: Target::Docker(image.to_string()),
            at,
            condition: None,
            passes: Vec::new(),
        })
    }

    /// Where in the job it is used, for reasons.
    pub fn place(&self) -> String {
        match &self.at {
            UsedAt::Step(i) => format!("step {}", i + 1),
            UsedAt::Job => "the job itself (a reusable workflow)".to_string(),
            UsedAt::Container => "its job container".to_string(),
            UsedAt::Service(name) => format!("its service container `{name}`"),
        }
    }

    /// A reusable workflow of `repo` (called as `./.github/workflows/x.yml`, or by its
    /// full name at some ref): its path there.
    pub fn reusable_in<'u>(&'u self, repo: &str) -> Option<&'u str> {
        let path = match &self.target {
            Target::Local(path) => path.as_str(),
            Target::Remote {
                repo: other,
                path: Some(path),
                ..
            } if other.eq_ignore_ascii_case(repo) => path.as_str(),
            _ => return None,
        };
        path.starts_with(".github/workflows/").then_some(path)
    }
}

/// A local composite action: what its steps run, and where outsiders' text gets in.
#[derive(Debug, Clone, Default)]
pub struct Action {
    pub uses: Vec<Uses>,
    pub untrusted: Vec<Evidence>,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    /// The job's `if:` as written.
    pub condition: Option<String>,
    /// The jobs it `needs:`: it is skipped when one of them is, unless its `if:` calls
    /// a status function (`always()`, `failure()`, `cancelled()`).
    pub needs: Vec<String>,
    pub environment: Option<String>,
    pub permissions: Permissions,
    pub uses: Vec<Uses>,
    /// Secret names the job's text (and the workflow's `env:`) references
    /// (`secrets.NAME`, `secrets['NAME']`); never `GITHUB_TOKEN`, the job's own token.
    pub secrets: BTreeSet<String>,
    /// How the job reaches every secret of the repository, if it does: `secrets:
    /// inherit`, `toJSON(secrets)` or a computed `secrets[…]` index.
    pub all_secrets: Option<&'static str>,
    /// Where outsiders' code or text gets into the job.
    pub untrusted: Vec<Evidence>,
    /// The client ids `azure/login` steps name as literals (`client-id:`): the Entra app
    /// or managed identity the job signs in as with its OIDC token. An expression
    /// (`${{ vars.AZURE_CLIENT_ID }}`) names nothing the file shows.
    pub azure_client_ids: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct Workflow {
    /// `owner/repo`
    pub repo: String,
    /// `.github/workflows/deploy.yml`
    pub path: String,
    /// `name:`, which `on.workflow_run.workflows` refers to (the path when absent).
    pub name: String,
    pub triggers: BTreeSet<String>,
    /// Branch filters of `on.push.branches` (empty: any branch).
    pub push_branches: Vec<String>,
    /// `on.workflow_run.workflows`: the workflows whose runs start this one.
    pub follows: Vec<String>,
    pub jobs: Vec<Job>,
}

impl Workflow {
    /// The stable key of the workflow node.
    pub fn key(&self) -> String {
        key(&self.repo, &self.path)
    }

    pub fn job_key(&self, job: &Job) -> String {
        format!("{}#{}", self.key(), job.id)
    }
}

/// The key of the workflow at `path` in `repo`.
pub fn key(repo: &str, path: &str) -> String {
    format!("github:workflow:{repo}/{path}")
}

/// `OWNER/REPO` and `.github/workflows/FILE` from an input path in checkout layout.
pub fn locate(path: &str) -> Option<(String, String)> {
    let (before, file) = path.rsplit_once("/.github/workflows/")?;
    let mut parts = before.rsplit('/');
    let (repo, owner) = (parts.next()?, parts.next()?);
    (!owner.is_empty() && !repo.is_empty() && !file.contains('/')).then(|| {
        (
            format!("{owner}/{repo}"),
            format!(".github/workflows/{file}"),
        )
    })
}

/// `OWNER/REPO` and the action's directory (`.github/actions/setup`) from the path of
/// an `action.yml` under a checkout's `.github/`.
pub fn locate_action(path: &str) -> Option<(String, String)> {
    let path = path.replace('\\', "/");
    let (before, inside) = match path.split_once("/.github/") {
        Some((before, inside)) => (before, inside),
        None => ("", path.strip_prefix(".github/")?),
    };
    let mut parts = before.rsplit('/');
    let (repo, owner) = (parts.next()?, parts.next()?);
    let dir = inside.rsplit_once('/').map_or("", |(dir, _)| dir);
    (!owner.is_empty() && !repo.is_empty()).then(|| {
        let dir = if dir.is_empty() {
            ".github".to_string()
        } else {
            format!(".github/{dir}")
        };
        (format!("{owner}/{repo}"), dir)
    })
}

/// A composite action's steps (`runs.steps`): their `uses:` and their scripts; other
/// kinds of action run code from the repository itself.
pub fn action(doc: &Value, text: &str) -> Action {
    let steps = doc
        .get("runs")
        .and_then(|r| r.get("steps"))
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let uses = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Uses::parse(s.get("uses")?.as_str()?, UsedAt::Step(i)))
        .collect();
    // A composite action's own `run:` steps: `${{ github.event… }}` is the calling
    // job's event, `${{ inputs.X }}` what the caller hands it.
    let lines = untrusted::Text::new(text);
    let untrusted = untrusted::scan(steps, &untrusted::Tainted::default(), &lines, 1);
    Action { uses, untrusted }
}

/// The names after `secrets.` or inside `secrets['…']` in some text, and whether the
/// text reaches all of them (`toJSON(secrets)`, a computed index).
/// [`secret_names`] over every string in a YAML value (keys hold no expressions).
fn secrets_in(v: &Value) -> (BTreeSet<String>, Option<&'static str>) {
    fn walk(v: &Value, names: &mut BTreeSet<String>, all: &mut Option<&'static str>) {
        match v {
            // (Most strings name no secret: one case-insensitive probe first.)
            Value::String(s) if mentions_secrets(s) => {
                let (more, every) = secret_names(s);
                names.extend(more);
                *all = all.or(every);
            }
            Value::Array(list) => list.iter().for_each(|x| walk(x, names, all)),
            Value::Object(map) => map.values().for_each(|x| walk(x, names, all)),
            _ => {}
        }
    }
    let (mut names, mut all) = (BTreeSet::new(), None);
    walk(v, &mut names, &mut all);
    (names, all)
}

/// Whether `secrets` appears in some text, in any case: a probe at each `s` (found with
/// `memchr`) rather than a comparison at every byte.
fn mentions_secrets(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr2_iter(b's', b'S', bytes).any(|i| {
        bytes
            .get(i..i + 7)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"secrets"))
    })
}

fn secret_names(text: &str) -> (BTreeSet<String>, Option<&'static str>) {
    let mut names = BTreeSet::new();
    let mut all = None;
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("secrets") {
        let start = from + i;
        from = start + "secrets".len();
        // `secrets` as a whole word: not `my_secrets.x` or `secretsmanager`.
        let before = lower[..start].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        let rest = &text[from..];
        let word = |r: &str| -> String {
            r.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        };
        let name = if let Some(r) = rest.strip_prefix('.') {
            word(r)
        } else if let Some(r) = rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")) {
            word(r)
        } else if rest.starts_with('[') {
            all = Some("reads `secrets[…]` with a computed name");
            continue;
        } else if rest.trim_start().starts_with(')')
            && lower[..start].trim_end().ends_with("tojson(")
        {
            all = Some("expands `toJSON(secrets)`");
            continue;
        } else {
            continue;
        };
        // Secret names ignore case; GitHub stores and lists them in upper case.
        if !name.is_empty() && !name.eq_ignore_ascii_case("GITHUB_TOKEN") {
            names.insert(name.to_ascii_uppercase());
        }
    }
    (names, all)
}

fn triggers(on: &Value) -> BTreeSet<String> {
    match on {
        Value::String(s) => BTreeSet::from([s.clone()]),
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Value::Object(map) => map.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

/// A list of strings, or one string, at `v`.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// An `if:` as text (YAML may have read `if: false` as a boolean).
pub(super) fn condition(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a parsed workflow document; `text` is the file as written, for line numbers.
pub fn read(doc: &Value, text: &str, repo: String, path: String) -> Result<Workflow, String> {
    let jobs = doc
        .get("jobs")
        .and_then(Value::as_object)
        .ok_or("a workflow needs a \"jobs\" map")?;
    // YAML 1.1 readers turn a bare `on` into `true`; accept both spellings.
    let on = doc
        .get("on")
        .or_else(|| doc.get("true"))
        .unwrap_or(&Value::Null);
    let top = doc
        .get("permissions")
        .map_or(Permissions::RepoDefault, Permissions::parse);
    let push_branches = strings(on.get("push").and_then(|p| p.get("branches")));
    let follows = strings(on.get("workflow_run").and_then(|p| p.get("workflows")));
    // The workflow's `env:` is every job's: its secrets are read by every job.
    let top_env = doc.get("env");
    let top_tainted = untrusted::Tainted::default().with(top_env);
    let lines = untrusted::Text::new(text);
    let job_lines = lines.job_lines();
    let (env_secrets, env_all) = top_env.map_or_else(Default::default, secrets_in);
    let jobs = jobs
        .iter()
        .map(|(id, job)| {
            let steps: &[Value] = job
                .get("steps")
                .and_then(Value::as_array)
                .map_or(&[], Vec::as_slice);
            let tainted = top_tainted.with(job.get("env"));
            // What a local action or a reusable workflow is handed decides whether its
            // `${{ inputs.X }}` is the outsider's.
            let mut uses: Vec<Uses> = steps
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    let mut u = Uses::parse(s.get("uses")?.as_str()?, UsedAt::Step(i))?;
                    u.condition = condition(s.get("if"));
                    if matches!(u.target, Target::Local(_)) {
                        let own = tainted.with(s.get("env"));
                        u.passes = untrusted::passes(s.get("with"), &own);
                    }
                    Some(u)
                })
                .collect();
            if let Some(mut reusable) = job
                .get("uses")
                .and_then(Value::as_str)
                .and_then(|u| Uses::parse(u, UsedAt::Job))
            {
                // (`env` is not among the contexts a call's `with:` can read.)
                reusable.passes = untrusted::passes(job.get("with"), &Default::default());
                uses.push(reusable);
            }
            uses.extend(
                job.get("container")
                    .and_then(|c| Uses::image(c, UsedAt::Container)),
            );
            let services = job.get("services").and_then(Value::as_object);
            uses.extend(
                services
                    .into_iter()
                    .flatten()
                    .filter_map(|(name, service)| {
                        Uses::image(service, UsedAt::Service(name.clone()))
                    }),
            );
            let azure_client_ids = steps
                .iter()
                .filter(|s| {
                    s.get("uses")
                        .and_then(Value::as_str)
                        .is_some_and(|u| u.to_ascii_lowercase().starts_with("azure/login@"))
                })
                .filter_map(|s| s.get("with")?.get("client-id")?.as_str())
                .map(str::trim)
                .filter(|id| !id.is_empty() && !id.contains("${{"))
                .map(str::to_string)
                .collect();
            let environment = match job.get("environment") {
                Some(Value::String(e)) => Some(e.clone()),
                Some(Value::Object(e)) => e.get("name").and_then(Value::as_str).map(str::to_string),
                _ => None,
            };
            let (mut secrets, mut all_secrets) = secrets_in(job);
            secrets.extend(env_secrets.iter().cloned());
            all_secrets = all_secrets.or(env_all);
            if job.get("secrets").and_then(Value::as_str) == Some("inherit") {
                all_secrets = Some("calls a reusable workflow with `secrets: inherit`");
            }
            Job {
                id: id.clone(),
                condition: condition(job.get("if")),
                needs: strings(job.get("needs")),
                environment,
                permissions: job
                    .get("permissions")
                    .map_or_else(|| top.clone(), Permissions::parse),
                uses,
                secrets,
                all_secrets,
                untrusted: untrusted::scan(
                    steps,
                    &tainted,
                    &lines,
                    job_lines.get(id.as_str()).copied().unwrap_or(1),
                ),
                azure_client_ids,
            }
        })
        .collect();
    Ok(Workflow {
        name: doc
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| path.clone(), str::to_string),
        repo,
        path,
        triggers: triggers(on),
        push_branches,
        follows,
        jobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_checkout_layout() {
        assert_eq!(
            locate("in/acme/web/.github/workflows/deploy.yml"),
            Some(("acme/web".into(), ".github/workflows/deploy.yml".into()))
        );
        assert_eq!(locate("deploy.yml"), None);
    }

    #[test]
    fn pins_and_uses() {
        assert_eq!(Pinned::of("v45"), Pinned::Tag);
        assert_eq!(Pinned::of("v1.2.3"), Pinned::Tag);
        assert_eq!(Pinned::of("2.0.1"), Pinned::Tag);
        assert_eq!(
            Pinned::of("11bd71901bbe5b1630ceea73d27597364c9af683"),
            Pinned::Sha
        );
        assert_eq!(Pinned::of("main"), Pinned::Branch);
        assert_eq!(Pinned::of("release/v1"), Pinned::Branch);
        assert_eq!(Pinned::of("feature-x"), Pinned::Ref);
        assert_eq!(Pinned::of("11bd719"), Pinned::Ref);
        let u = Uses::parse("github/codeql-action/init@v3", UsedAt::Step(2)).expect("parses");
        assert_eq!(
            u.target,
            Target::Remote {
                repo: "github/codeql-action".into(),
                path: Some("init".into()),
                reference: "v3".into()
            }
        );
        assert_eq!(
            Uses::parse("./.github/actions/build/", UsedAt::Job).map(|u| u.target),
            Some(Target::Local(".github/actions/build".into()))
        );
        assert_eq!(
            Uses::parse("docker://alpine:3.19", UsedAt::Job).map(|u| u.target),
            Some(Target::Docker("alpine:3.19".into()))
        );
    }

    #[test]
    fn secrets_in_text() {
        let (names, all) = secret_names(
            r#"{"env":{"A":"${{ secrets.AWS_KEY }}","B":"${{ secrets['OTHER'] }}","C":"secrets","D":"${{ secrets.GITHUB_TOKEN }}","E":"${{ steps.my_secrets.outputs.x }}"}}"#,
        );
        assert_eq!(names.into_iter().collect::<Vec<_>>(), ["AWS_KEY", "OTHER"]);
        assert_eq!(all, None);
        assert!(secret_names("${{ toJSON(secrets) }}").1.is_some());
        assert!(secret_names("${{ secrets[matrix.name] }}").1.is_some());
    }
}
