//! GitHub Actions workflow files, read from a checkout layout
//! (`OWNER/REPO/.github/workflows/FILE.yml`): who controls each job, what each job can
//! read, and which OIDC subjects it can present.

use std::collections::BTreeSet;

use serde_json::Value;

/// Who decides what a job's token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permissions {
    /// No `permissions` key at the workflow or job: the repository default applies.
    RepoDefault,
    /// `write-all`
    WriteAll,
    /// `read-all`, `{}` or a map: the scopes granted `write`.
    Writes(BTreeSet<String>),
}

impl Permissions {
    fn parse(v: &Value) -> Permissions {
        match v {
            Value::String(s) if s == "write-all" => Permissions::WriteAll,
            Value::Object(map) => Permissions::Writes(
                map.iter()
                    .filter(|(_, level)| level.as_str() == Some("write"))
                    .map(|(scope, _)| scope.clone())
                    .collect(),
            ),
            // read-all, {} and anything unexpected: nothing written.
            _ => Permissions::Writes(BTreeSet::new()),
        }
    }

    /// Whether `scope` (`contents`, `id-token`) may be written: `None` when it depends
    /// on the repository default, which the workflow file does not show.
    pub fn writes(&self, scope: &str) -> Option<bool> {
        match self {
            Permissions::RepoDefault => None,
            Permissions::WriteAll => Some(true),
            Permissions::Writes(scopes) => Some(scopes.contains(scope)),
        }
    }
}

/// How an action or reusable workflow is pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pinned {
    /// A full 40-hex commit SHA: the code cannot change under the workflow.
    Sha,
    /// A tag (or anything that is not a known branch name): whoever can move it runs code.
    Tag,
    /// A branch: every push to it runs in the job.
    Branch,
}

impl Pinned {
    pub fn of(reference: &str) -> Pinned {
        if reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit()) {
            Pinned::Sha
        } else if ["main", "master", "develop", "dev", "trunk", "latest"].contains(&reference) {
            Pinned::Branch
        } else {
            Pinned::Tag
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Pinned::Sha => "sha",
            Pinned::Tag => "tag",
            Pinned::Branch => "branch",
        }
    }
}

/// A `uses:` of a job or step: `owner/name[/path]@ref`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uses {
    /// `owner/name` (the repository of the action).
    pub action: String,
    pub reference: String,
    /// Step index, or `None` for a job-level reusable workflow.
    pub step: Option<usize>,
}

impl Uses {
    /// `None` for local (`./…`) and container (`docker://…`) references.
    fn parse(text: &str, step: Option<usize>) -> Option<Uses> {
        if text.starts_with("./") || text.starts_with("docker://") {
            return None;
        }
        let (path, reference) = text.split_once('@')?;
        let mut parts = path.split('/');
        let (owner, name) = (parts.next()?, parts.next()?);
        Some(Uses {
            action: format!("{owner}/{name}"),
            reference: reference.to_string(),
            step,
        })
    }

    pub fn owner(&self) -> &str {
        self.action.split('/').next().unwrap_or("")
    }
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub environment: Option<String>,
    pub permissions: Permissions,
    pub uses: Vec<Uses>,
    /// Secret names the job's text references (`secrets.NAME`, `secrets['NAME']`).
    pub secrets: BTreeSet<String>,
    /// `secrets: inherit` on a reusable-workflow call: every secret of the repository.
    pub inherits_secrets: bool,
    /// A step checks out the pull request's head (`ref: ${{ github.event.pull_request.head.sha }}`).
    pub checks_out_head: bool,
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
    pub triggers: BTreeSet<String>,
    /// Branch filters of `on.push.branches` (empty: any branch).
    pub push_branches: Vec<String>,
    pub jobs: Vec<Job>,
}

impl Workflow {
    /// The stable key of the workflow node.
    pub fn key(&self) -> String {
        format!("github:workflow:{}/{}", self.repo, self.path)
    }

    pub fn job_key(&self, job: &Job) -> String {
        format!("{}#{}", self.key(), job.id)
    }

    /// Triggers that run the workflow with code or data from outside the repository's
    /// writers: a pull request from a fork (`pull_request_target`) or the run it follows.
    pub fn runs_for_outsiders(&self) -> bool {
        self.triggers.contains("pull_request_target") || self.triggers.contains("workflow_run")
    }
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

/// The names after `secrets.` or inside `secrets['…']` in some text.
fn secret_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("secrets") {
        rest = &rest[i + "secrets".len()..];
        let name: String = if let Some(r) = rest.strip_prefix('.') {
            r.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        } else if let Some(r) = rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")) {
            r.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        } else {
            continue;
        };
        if !name.is_empty() {
            names.insert(name);
        }
    }
    names
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

/// Reads a parsed workflow document.
pub fn read(doc: &Value, repo: String, path: String) -> Result<Workflow, String> {
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
    let push_branches = on
        .get("push")
        .and_then(|p| p.get("branches"))
        .and_then(Value::as_array)
        .map(|b| {
            b.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let jobs = jobs
        .iter()
        .map(|(id, job)| {
            let steps = job
                .get("steps")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut uses: Vec<Uses> = steps
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    s.get("uses")
                        .and_then(Value::as_str)
                        .and_then(|u| Uses::parse(u, Some(i)))
                })
                .collect();
            if let Some(reusable) = job
                .get("uses")
                .and_then(Value::as_str)
                .and_then(|u| Uses::parse(u, None))
            {
                uses.push(reusable);
            }
            let checks_out_head = steps.iter().any(|s| {
                let is_checkout = s
                    .get("uses")
                    .and_then(Value::as_str)
                    .is_some_and(|u| u.starts_with("actions/checkout@"));
                let reference = s
                    .get("with")
                    .and_then(|w| w.get("ref"))
                    .map(Value::to_string)
                    .unwrap_or_default();
                is_checkout
                    && ["pull_request.head", "github.head_ref", "workflow_run.head"]
                        .iter()
                        .any(|h| reference.contains(h))
            });
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
            Job {
                id: id.clone(),
                environment,
                permissions: job
                    .get("permissions")
                    .map_or_else(|| top.clone(), Permissions::parse),
                uses,
                secrets: secret_names(&job.to_string()),
                inherits_secrets: job.get("secrets").and_then(Value::as_str) == Some("inherit"),
                checks_out_head,
                azure_client_ids,
            }
        })
        .collect();
    Ok(Workflow {
        repo,
        path,
        triggers: triggers(on),
        push_branches,
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
        assert_eq!(
            Pinned::of("11bd71901bbe5b1630ceea73d27597364c9af683"),
            Pinned::Sha
        );
        assert_eq!(Pinned::of("main"), Pinned::Branch);
        let u = Uses::parse("github/codeql-action/init@v3", Some(2)).expect("parses");
        assert_eq!(
            (u.action.as_str(), u.reference.as_str()),
            ("github/codeql-action", "v3")
        );
        assert_eq!(Uses::parse("./local-action", None), None);
    }

    #[test]
    fn secrets_in_text() {
        let names = secret_names(
            r#"{"env":{"A":"${{ secrets.AWS_KEY }}","B":"${{ secrets['OTHER'] }}","C":"secrets"}}"#,
        );
        assert_eq!(names.into_iter().collect::<Vec<_>>(), ["AWS_KEY", "OTHER"]);
    }
}
