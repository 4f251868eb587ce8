//! Where an outsider's code or text gets into a job: a checkout of the pull request's
//! head by any means (the checkout action's `ref:`, `git` or `gh` in a `run:` step, an
//! `env:` variable that holds the head), an expression the outsider writes (a title, a
//! comment, a branch name) expanded into a script, or an artifact of the run that
//! started this one. Which trigger carries the outsider's data is decided when the
//! graph is built; here each finding records the event payload it depends on.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use memchr::memmem::Finder;
use serde_json::Value;

/// What the outsider gets into the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Their code is checked out, and the job's later steps build or run it.
    HeadCheckout,
    /// Their text is expanded into a script before the shell reads it.
    Injection,
    /// An artifact of their run is downloaded into this privileged one.
    Artifact,
}

/// One finding in a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub kind: Kind,
    /// Step index.
    pub step: usize,
    /// The step's `if:`, as written.
    pub condition: Option<String>,
    /// 1-based line in the file, when the text was found there.
    pub line: Option<usize>,
    /// The line as written (trimmed).
    pub text: String,
    /// The event payload the outsider's data comes in (`pull_request`, `issue`,
    /// `comment`, `review`, `discussion`, `workflow_run`), or `None` for any event that
    /// names a pull request (`refs/pull/N/head`, `gh pr checkout`).
    pub payload: Option<&'static str>,
    /// In a reusable workflow or a composite action, the input (`${{ inputs.NAME }}`,
    /// lower case) it comes through: the finding holds only for a caller that hands it
    /// the outsider's head or text.
    pub input: Option<String>,
}

/// An input a caller hands a local action or a reusable workflow (`with:`), when an
/// outsider controls it: the payload of the head it names, and of the text it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    /// The input's name, lower case (GitHub's input names ignore case).
    pub input: String,
    /// A head, by the payload it comes in (`Some(None)`: any event that names a pull
    /// request, as `refs/pull/N/merge` or an earlier step's head output do).
    pub head: Option<Option<&'static str>>,
    pub written: Option<&'static str>,
    /// The caller's own inputs the value expands (`${{ inputs.X }}` handed on): a
    /// reusable workflow that hands its input to a local action.
    pub forwards: Vec<String>,
}

impl Pass {
    /// What a finding through this input depends on, if the outsider controls it.
    pub fn payload(&self, kind: Kind) -> Option<Option<&'static str>> {
        match kind {
            Kind::HeadCheckout => self.head,
            Kind::Injection => self.written.map(Some),
            Kind::Artifact => None,
        }
    }
}

/// What a finding through input `name` depends on, given what its caller hands it
/// (`passes`) and, for a caller that hands on its own inputs, what its caller hands that
/// (`outer`).
pub fn through(
    kind: Kind,
    name: &str,
    passes: &[Pass],
    outer: Option<&[Pass]>,
) -> Option<Option<&'static str>> {
    let pass = passes.iter().find(|p| p.input == name)?;
    pass.payload(kind).or_else(|| {
        let outer = outer?;
        pass.forwards
            .iter()
            .find_map(|f| through(kind, f, outer, None))
    })
}

/// The inputs of a `with:` map that carry a head or outsider-written text, or hand on
/// the caller's own inputs.
pub fn passes(with: Option<&Value>, tainted: &Tainted) -> Vec<Pass> {
    let mut out = Vec::new();
    for (name, value) in with.and_then(Value::as_object).into_iter().flatten() {
        let Some(text) = value.as_str().filter(|t| has_expression(t)) else {
            continue;
        };
        let exprs = expressions(text);
        let head = head_in(text, &exprs, tainted);
        let written = exprs.iter().find_map(|e| tainted.expr(e, false));
        let forwards = inputs_of(&exprs);
        if head.is_some() || written.is_some() || !forwards.is_empty() {
            out.push(Pass {
                input: name.to_ascii_lowercase(),
                head,
                written,
                forwards,
            });
        }
    }
    out
}

/// The head a value names, by the payload it comes in: a head expression, or (for any
/// event that names a pull request) `refs/pull/…` or an earlier step's head output.
fn head_in(text: &str, exprs: &[String], tainted: &Tainted) -> Option<Option<&'static str>> {
    exprs
        .iter()
        .find_map(|e| tainted.expr(e, true))
        .map(Some)
        .or_else(|| {
            let any = text.contains("refs/pull/") || exprs.iter().any(|e| step_output_head(e));
            any.then_some(None)
        })
}

/// The inputs expressions (normalised) read, `inputs.NAME` or `inputs['NAME']` as whole
/// paths (not `github.event.inputs.NAME`, a dispatch's, nor `steps.get-inputs.…`), each
/// once.
fn inputs_of(exprs: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for expr in exprs {
        for (i, _) in expr.match_indices("inputs") {
            let before = expr[..i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
                continue;
            }
            let rest = &expr[i + "inputs".len()..];
            let Some(rest) = ["['", "[\"", "."].iter().find_map(|p| rest.strip_prefix(p)) else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// An expression as a reason quotes it: a long string literal in it (a token someone
/// wrote as a default) is elided.
fn quoted(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len() + 8);
    let mut parts = expr.split('\'');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('\'');
        // Odd parts are inside quotes.
        if i % 2 == 0 && part.chars().count() > 15 {
            out.push('…');
        } else {
            out.push_str(part);
        }
    }
    format!("${{{{ {out} }}}}")
}

impl Evidence {
    /// Whether the trigger's event carries what this finding depends on.
    pub fn applies_to(&self, trigger: &str) -> bool {
        // A review event has secrets only on a pull request from the repository's own
        // branch: its code is a writer's; what the reviewer writes is the outsider's.
        let review = matches!(
            trigger,
            "pull_request_review" | "pull_request_review_comment"
        );
        match self.payload {
            // `toJSON(github.event)`: whatever the event carries.
            Some("event") => !super::expr::payloads(trigger).is_empty(),
            Some("review" | "comment") if review => true,
            _ if review => false,
            Some(p) => super::expr::payloads(trigger).contains(&p),
            None => true,
        }
    }

    /// `line 12: `ref: ${{ … }}`` (or `step 3: …` when the line was not found).
    pub fn at(&self) -> String {
        let text: String = self.text.chars().take(160).collect();
        match self.line {
            Some(n) => format!("line {n}: `{text}`"),
            None => format!("step {}: `{text}`", self.step + 1),
        }
    }
}

/// Expressions that name the pull request's (or the triggering run's) head, by the
/// payload they come in.
const HEAD: [(&str, &str); 8] = [
    // `head.sha`, `head.ref`, `head.repo.full_name`, `head.repo.clone_url`…
    ("github.event.pull_request.head.", "pull_request"),
    ("github.event.pull_request.merge_commit_sha", "pull_request"),
    ("github.head_ref", "pull_request"),
    ("github.event.workflow_run.head_sha", "workflow_run"),
    ("github.event.workflow_run.head_branch", "workflow_run"),
    ("github.event.workflow_run.head_commit.id", "workflow_run"),
    ("github.event.workflow_run.head_repository.", "workflow_run"),
    ("github.event.workflow_run.pull_requests", "workflow_run"),
];

/// Expressions whose text an outsider writes (GitHub's own list of untrusted input,
/// and branch names), by the payload they come in.
const WRITTEN: [(&str, &str); 17] = [
    ("github.event.pull_request.title", "pull_request"),
    ("github.event.pull_request.body", "pull_request"),
    ("github.event.pull_request.head.ref", "pull_request"),
    ("github.event.pull_request.head.label", "pull_request"),
    (
        "github.event.pull_request.head.repo.default_branch",
        "pull_request",
    ),
    ("github.head_ref", "pull_request"),
    ("github.event.issue.title", "issue"),
    ("github.event.issue.body", "issue"),
    ("github.event.comment.body", "comment"),
    ("github.event.review_comment.body", "comment"),
    ("github.event.review.body", "review"),
    ("github.event.discussion.title", "discussion"),
    ("github.event.discussion.body", "discussion"),
    ("github.event.workflow_run.head_branch", "workflow_run"),
    (
        "github.event.workflow_run.head_commit.message",
        "workflow_run",
    ),
    (
        "github.event.workflow_run.head_commit.author",
        "workflow_run",
    ),
    ("github.event.workflow_run.display_title", "workflow_run"),
];

/// A table's needles, each searched for with a searcher built once (a workflow
/// corpus has hundreds of thousands of expressions: building a substring searcher per
/// needle and expression was a tenth of the import).
struct Needles(Vec<(Finder<'static>, &'static str)>);

impl Needles {
    fn of(table: &[(&'static str, &'static str)]) -> Needles {
        Needles(table.iter().map(|(n, p)| (Finder::new(*n), *p)).collect())
    }
}

static HEAD_NEEDLES: LazyLock<Needles> = LazyLock::new(|| Needles::of(&HEAD));
static WRITTEN_NEEDLES: LazyLock<Needles> = LazyLock::new(|| Needles::of(&WRITTEN));

/// Whether `needle` occurs in `text` as a whole path, not as the prefix of a longer name
/// (`head.ref` is not in `head.refs`).
fn has_path(text: &str, needle: &str) -> bool {
    has_path_with(text, &Finder::new(needle))
}

fn has_path_with(text: &str, needle: &Finder<'_>) -> bool {
    let n = needle.needle();
    // A needle ending in `.` names every path under it.
    if n.ends_with(b".") {
        return needle.find(text.as_bytes()).is_some();
    }
    needle.find_iter(text.as_bytes()).any(|i| {
        let next = text.as_bytes().get(i + n.len());
        !next.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    })
}

/// The payload an expression (normalised: lower case, no spaces) takes from `table`.
fn payload_in(expr: &str, table: &Needles) -> Option<&'static str> {
    // Every needle names a `github.` context: most expressions (`secrets.X`,
    // `matrix.os`) are ruled out by one search.
    static GITHUB: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("github."));
    GITHUB.find(expr.as_bytes())?;
    table
        .0
        .iter()
        .find(|(needle, _)| has_path_with(expr, needle))
        .map(|(_, p)| *p)
}

static OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("${{"));
static CLOSE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("}}"));

/// Whether some text holds a `${{ … }}` expression (most values hold none).
pub(super) fn has_expression(text: &str) -> bool {
    OPEN.find(text.as_bytes()).is_some()
}

/// The `${{ … }}` expressions in some text, normalised.
fn expressions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = OPEN.find(rest.as_bytes()) {
        let after = &rest[i + 3..];
        let end = CLOSE.find(after.as_bytes()).unwrap_or(after.len());
        out.push(
            after[..end]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase(),
        );
        rest = &after[end..];
    }
    out
}

/// Environment variables (workflow, job and step `env:`, inner levels winning) whose
/// value holds a head reference or outsider-written text, by name.
#[derive(Debug, Clone, Default)]
pub struct Tainted {
    head: BTreeMap<String, &'static str>,
    written: BTreeMap<String, &'static str>,
}

impl Tainted {
    /// These variables with an `env:` map's on top (an inner level wins).
    pub fn with(&self, env: Option<&Value>) -> Tainted {
        let mut t = self.clone();
        for (name, value) in env.and_then(Value::as_object).into_iter().flatten() {
            let text = match value {
                Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
                other => std::borrow::Cow::Owned(other.to_string()),
            };
            let key = name.to_ascii_lowercase();
            // Most values hold no expression at all.
            let exprs = if has_expression(&text) {
                expressions(&text)
            } else {
                Vec::new()
            };
            let find = |table: &Needles| exprs.iter().find_map(|e| payload_in(e, table));
            match find(&HEAD_NEEDLES) {
                Some(p) => t.head.insert(key.clone(), p),
                None => t.head.remove(&key),
            };
            match find(&WRITTEN_NEEDLES) {
                Some(p) => t.written.insert(key, p),
                None => t.written.remove(&key),
            };
        }
        t
    }

    /// The payload an expression draws outsider data from: directly, or through
    /// `env.NAME`.
    fn expr(&self, expr: &str, head: bool) -> Option<&'static str> {
        // The whole event, or one of its objects, as JSON: every text in it at once.
        const WHOLE: &str = "tojson(github.event";
        if !head && let Some(i) = expr.find(WHOLE) {
            let rest = &expr[i + WHOLE.len()..];
            let object = rest
                .trim_start_matches('.')
                .split([')', '.'])
                .next()
                .unwrap_or("");
            return match object {
                "" => Some("event"),
                "pull_request" | "issue" | "comment" | "review" | "discussion" | "workflow_run" => {
                    WRITTEN.iter().find(|(_, p)| *p == object).map(|(_, p)| *p)
                }
                _ => None,
            };
        }
        let (table, map): (&Needles, _) = if head {
            (&HEAD_NEEDLES, &self.head)
        } else {
            (&WRITTEN_NEEDLES, &self.written)
        };
        payload_in(expr, table).or_else(|| {
            if map.is_empty() || !expr.contains("env.") {
                return None;
            }
            map.iter()
                .find(|(name, _)| has_path(expr, &format!("env.{name}")))
                .map(|(_, p)| *p)
        })
    }

    /// A shell variable (`$NAME`, `${NAME}`) in a `run:` line that holds a head.
    fn shell_head(&self, line: &str) -> Option<(String, &'static str)> {
        let lower = line.to_ascii_lowercase();
        self.head
            .iter()
            .find(|(name, _)| {
                [format!("${name}"), format!("${{{name}}}")]
                    .iter()
                    .any(|v| has_path(&lower, v))
            })
            .map(|(name, p)| (name.to_ascii_uppercase(), *p))
    }
}

/// A `run:` line that fetches or checks out a pull request's head with `git` or `gh`.
/// What it quotes of the line (never the line itself: a script line may hold a pasted
/// token) and the payload the head comes in.
fn git_head(
    line: &str,
    exprs: &[String],
    tainted: &Tainted,
) -> Option<(String, Option<&'static str>, Option<String>)> {
    // Most script lines name neither `git` nor `gh`: a probe at each `g` first.
    let bytes = line.as_bytes();
    let named = memchr::memchr2_iter(b'g', b'G', bytes)
        .any(|i| bytes.get(i + 1).is_some_and(|c| b"hHiI".contains(c)));
    if !named {
        return None;
    }
    let lower = line.to_ascii_lowercase();
    if lower.contains("gh pr checkout") {
        return Some(("gh pr checkout …".to_string(), None, None));
    }
    const VERBS: [&str; 8] = [
        "fetch", "checkout", "pull", "switch", "reset", "merge", "worktree", "clone",
    ];
    // The subcommand of a `git` on the line: the first word after it that is not an
    // option (`git -C dir fetch …`; the line is lower-cased, so `-C` reads `-c`).
    let words: Vec<&str> = lower.split_whitespace().collect();
    let verb = words.iter().enumerate().find_map(|(i, w)| {
        if *w != "git" {
            return None;
        }
        let mut rest = words[i + 1..].iter();
        while let Some(&word) = rest.next() {
            match word {
                "-c" => {
                    rest.next();
                }
                _ if word.starts_with('-') => {}
                _ => return VERBS.iter().find(|v| **v == word).copied(),
            }
        }
        None
    })?;
    if let Some((e, p)) = exprs.iter().find_map(|e| Some((e, tainted.expr(e, true)?))) {
        return Some((format!("git {verb} … {}", quoted(e)), Some(p), None));
    }
    if lower.contains("pull/") {
        return Some((format!("git {verb} … pull/…"), None, None));
    }
    if let Some(e) = exprs.iter().find(|e| step_output_head(e)) {
        return Some((format!("git {verb} … {}", quoted(e)), None, None));
    }
    // In a reusable workflow or a composite action: whatever the caller hands in.
    if let Some(name) = inputs_of(exprs).into_iter().next() {
        let shown = format!("git {verb} … ${{{{ inputs.{name} }}}}");
        return Some((shown, None, Some(name)));
    }
    let (name, p) = tainted.shell_head(line)?;
    Some((format!("git {verb} … ${name}"), Some(p), None))
}

/// An earlier step's output named for the head (`steps.branch.outputs.head_ref`, as
/// `xt0rted/pull-request-comment-branch` and its kin write for comment-triggered runs).
fn step_output_head(expr: &str) -> bool {
    expr.split_once("steps.")
        .and_then(|(_, rest)| rest.split_once(".outputs."))
        .is_some_and(|(_, output)| output.starts_with("head"))
}

/// A line with what may be a credential masked: a URL's user and password, and long
/// opaque words (a token pasted into a script), which no reason may repeat.
fn mask(line: &str) -> String {
    line.trim()
        .split(' ')
        .map(|word| {
            if let (Some(scheme), Some(at)) = (word.find("://"), word.rfind('@'))
                && at > scheme
            {
                return format!("{}…{}", &word[..scheme + 3], &word[at..]);
            }
            let bare = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            let opaque = bare.len() >= 16
                && !word.contains("${{")
                && bare.bytes().any(|b| b.is_ascii_digit())
                && bare.bytes().any(|b| b.is_ascii_alphabetic())
                && bare
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-+=".contains(&b));
            if opaque {
                word.replace(bare, "…")
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A workflow file's text with where its lines start, to say a finding's line without
/// rescanning the file for each (a hostile file may hold thousands of findings).
pub struct Text<'t> {
    text: &'t str,
    /// Byte offsets of the newlines.
    newlines: Vec<usize>,
}

/// How far past the last finding the next one is looked for: findings come in file
/// order, and a step is never this long.
const WINDOW: usize = 1 << 16;

impl<'t> Text<'t> {
    pub fn new(text: &'t str) -> Text<'t> {
        let newlines = text.match_indices('\n').map(|(i, _)| i).collect();
        Text { text, newlines }
    }

    /// The 1-based line of byte `at`.
    fn line_at(&self, at: usize) -> usize {
        self.newlines.partition_point(|&n| n < at) + 1
    }

    /// The byte where 1-based line `line` starts.
    fn start_of(&self, line: usize) -> usize {
        match line {
            0 | 1 => 0,
            n => self.newlines.get(n - 2).map_or(self.text.len(), |&i| i + 1),
        }
    }

    /// The first line at or after `from`, and within [`WINDOW`] of it, that contains
    /// `needle` (trimmed).
    fn line_of(&self, from: usize, needle: &str) -> Option<usize> {
        let needle = needle.trim();
        if needle.is_empty() {
            return None;
        }
        let start = self.start_of(from);
        let mut end = (start + WINDOW).min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let at = start + self.text[start..end].find(needle)?;
        Some(self.line_at(at))
    }

    /// The 1-based line of every job's key under `jobs:`, by job id: one pass over the
    /// lines, taking the keys at the indentation of the first one.
    pub fn job_lines(&self) -> std::collections::HashMap<&'t str, usize> {
        let mut out = std::collections::HashMap::new();
        let mut indent = None;
        let mut in_jobs = false;
        for (i, line) in self.text.lines().enumerate() {
            let content = line.trim_start();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let depth = line.len() - content.len();
            if depth == 0 {
                in_jobs = content.starts_with("jobs:");
                continue;
            }
            if !in_jobs || *indent.get_or_insert(depth) != depth {
                continue;
            }
            if let Some((key, rest)) = content.split_once(':') {
                let rest = rest.trim();
                if rest.is_empty() || rest.starts_with('#') {
                    out.insert(key.trim().trim_matches(['"', '\'']), i + 1);
                }
            }
        }
        out
    }
}

/// The findings in a job's steps; `job` holds the workflow's and the job's `env:`;
/// `from` is the job's first line in `file` (findings are looked up in order after it).
pub fn scan(steps: &[Value], job: &Tainted, file: &Text<'_>, from: usize) -> Vec<Evidence> {
    let mut out = Vec::new();
    let mut cursor = from;
    for (i, step) in steps.iter().enumerate() {
        // A step's own `env:` overrides the job's for that step alone.
        let own;
        let tainted = match step.get("env") {
            Some(env) => {
                own = job.with(Some(env));
                &own
            }
            None => job,
        };
        let condition = super::workflow::condition(step.get("if"));
        // `lookup` finds the line; `shown` is what the reason quotes of it.
        let mut found = |kind, lookup: &str, shown: String, payload, input| {
            let line = file.line_of(cursor, lookup);
            cursor = line.unwrap_or(cursor);
            out.push(Evidence {
                kind,
                step: i,
                condition: condition.clone(),
                line,
                text: shown,
                payload,
                input,
            });
        };
        let uses = step
            .get("uses")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let with = |key: &str| {
            step.get("with")
                .and_then(|w| w.get(key))
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        };
        if uses.starts_with("actions/checkout@") {
            for input in ["ref", "repository"] {
                let Some(value) = with(input) else { continue };
                let exprs = expressions(&value);
                let shown = || format!("{input}: {}", mask(&value));
                if let Some(payload) = head_in(&value, &exprs, tainted) {
                    found(Kind::HeadCheckout, &value, shown(), payload, None);
                }
                for name in inputs_of(&exprs) {
                    found(Kind::HeadCheckout, &value, shown(), None, Some(name));
                }
            }
        }
        let artifact = (uses.starts_with("actions/download-artifact@")
            && with("run-id").is_some_and(|r| r.contains("workflow_run")))
            || uses.starts_with("dawidd6/action-download-artifact@")
            // A script that lists the triggering run's artifacts and downloads them.
            || (uses.starts_with("actions/github-script@")
                && with("script").is_some_and(|script| {
                    let script = script.to_ascii_lowercase();
                    script.contains("workflow_run") && script.contains("downloadartifact")
                }));
        if artifact {
            let text = step.get("uses").and_then(Value::as_str).unwrap_or_default();
            let shown = format!("uses: {}", mask(text));
            found(Kind::Artifact, text, shown, Some("workflow_run"), None);
        }
        // Scripts: `run:`, and `actions/github-script`'s `script:`.
        let script = step
            .get("run")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                uses.starts_with("actions/github-script@")
                    .then(|| with("script"))
                    .flatten()
            });
        let Some(script) = script else { continue };
        let is_run = step.get("run").is_some();
        for line in script.lines() {
            // Only the expressions are quoted: the rest of a script line may hold anything,
            // a hard-coded token included.
            let exprs = expressions(line);
            let injected: Vec<(String, &'static str)> = exprs
                .iter()
                .filter_map(|e| Some((tainted.expr(e, false)?, e)))
                .map(|(p, e)| (quoted(e), p))
                .collect();
            if let Some((_, payload)) = injected.first() {
                let shown: Vec<&str> = injected.iter().map(|(e, _)| e.as_str()).collect();
                found(Kind::Injection, line, shown.join(" "), Some(payload), None);
            }
            // What a caller hands in is expanded like any text.
            for name in inputs_of(&exprs) {
                let shown = format!("${{{{ inputs.{name} }}}}");
                found(Kind::Injection, line, shown, None, Some(name));
            }
            if is_run {
                if let Some((shown, payload, input)) = git_head(line, &exprs, tainted) {
                    found(Kind::HeadCheckout, line, shown, payload, input);
                }
                if line.contains("gh run download") {
                    let shown = "gh run download …".to_string();
                    found(Kind::Artifact, line, shown, Some("workflow_run"), None);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_read_as_whole_paths() {
        let of = |e: &str| inputs_of(&[e.to_string()]);
        assert_eq!(of("inputs.ref"), ["ref"]);
        assert_eq!(of("fromjson(inputs.pr-ref)"), ["pr-ref"]);
        assert_eq!(of("inputs['title']"), ["title"]);
        assert_eq!(
            of("inputs.dry_run&&inputs.title||inputs.title"),
            ["dry_run", "title"]
        );
        // A dispatch's inputs are its dispatcher's, and a longer name is another.
        assert!(of("github.event.inputs.ref").is_empty());
        assert!(of("my_inputs.ref").is_empty());
        assert!(of("steps.get-inputs.outputs.x").is_empty());
        assert_eq!(
            quoted("inputs.token||'ghp_0123456789abcdefghij'"),
            "${{ inputs.token||'…' }}"
        );
        assert_eq!(
            quoted("github.head_ref||'main'"),
            "${{ github.head_ref||'main' }}"
        );
        let with: Value = serde_json::json!({
            "Ref": "${{ github.event.pull_request.head.sha }}",
            "title": "${{ github.event.pull_request.title }}",
            "fixed": "main",
            "merge": "refs/pull/${{ github.event.issue.number }}/merge",
            "base": "${{ github.event.pull_request.base.sha }}"
        });
        let passes = passes(Some(&with), &Tainted::default());
        let pass = |input: &str, head, written| Pass {
            input: input.to_string(),
            head,
            written,
            forwards: Vec::new(),
        };
        assert_eq!(
            passes,
            [
                pass("ref", Some(Some("pull_request")), None),
                pass("merge", Some(None), None),
                pass("title", None, Some("pull_request"))
            ]
        );
    }

    fn scan_yaml(steps: &str, env: &str) -> Vec<(Kind, Option<&'static str>, String)> {
        let steps: Value = serde_saphyr::from_str(steps).expect("yaml");
        let env: Value = serde_saphyr::from_str(env).expect("yaml");
        let list = steps.as_array().cloned().unwrap_or_default();
        scan(
            &list,
            &Tainted::default().with(Some(&env)),
            &Text::new(""),
            1,
        )
        .into_iter()
        .map(|e| (e.kind, e.payload, e.text))
        .collect()
    }

    #[test]
    fn quoted_lines_hide_credentials() {
        assert_eq!(
            mask("git fetch https://bot:s3cr3t@github.com/a/b pull/1/head"),
            "git fetch https://…@github.com/a/b pull/1/head"
        );
        assert_eq!(
            mask("curl -H 'token ghp_16C7e42F292c6912E7710c838347Ae178B4a'"),
            "curl -H 'token …'"
        );
        let sha = "git checkout ${{ github.event.pull_request.head.sha }}";
        assert_eq!(mask(sha), sha);
    }

    #[test]
    fn head_checkouts_by_any_means() {
        let found = scan_yaml(
            r#"
- uses: actions/checkout@v4
  with: {ref: "${{ env.HEAD }}"}
- run: git fetch origin pull/${{ github.event.issue.number }}/head:pr && git checkout pr
- run: gh pr checkout ${{ github.event.issue.number }}
- run: git -C src fetch origin "$BRANCH"
  env: {BRANCH: "${{ github.head_ref }}"}
- run: git checkout "$BRANCH"
  env: {BRANCH: "${{ github.head_ref }}"}
- uses: actions/checkout@v4
  with: {ref: "${{ github.event.pull_request.base.sha }}"}
- run: echo "$TITLE"
  env: {TITLE: "${{ github.event.pull_request.title }}"}
"#,
            r#"{HEAD: "${{ github.event.pull_request.head.sha }}"}"#,
        );
        let kinds: Vec<_> = found.iter().map(|(k, p, _)| (*k, *p)).collect();
        assert_eq!(
            kinds,
            [
                (Kind::HeadCheckout, Some("pull_request")),
                (Kind::HeadCheckout, None),
                (Kind::HeadCheckout, None),
                (Kind::HeadCheckout, Some("pull_request")),
                (Kind::HeadCheckout, Some("pull_request")),
            ]
        );
    }

    #[test]
    fn injections_and_their_safe_look_alikes() {
        let found = scan_yaml(
            r#"
- run: |
    echo "safe: $TITLE"
    echo "${{ github.event.issue.title }}"
  env: {TITLE: "${{ github.event.issue.title }}"}
- uses: actions/github-script@v7
  with:
    script: console.log("${{ github.event.comment.body }}")
- run: echo "${{ env.BODY }}"
- run: echo "${{ github.event.pull_request.number }} ${{ github.event.issue.title_length }}"
"#,
            r#"{BODY: "${{ github.event.review.body }}"}"#,
        );
        let kinds: Vec<_> = found.iter().map(|(k, p, _)| (*k, *p)).collect();
        assert_eq!(
            kinds,
            [
                (Kind::Injection, Some("issue")),
                (Kind::Injection, Some("comment")),
                (Kind::Injection, Some("review")),
            ]
        );
    }
}
