//! Who outside the repository controls a job: the triggers anyone can fire, evaluated
//! against the job's (and the jobs it needs') `if:`, with what the job takes from the
//! outsider (their code, their text, their artifacts).

use std::borrow::Cow;

use super::expr::{self, Runs};
use super::untrusted::{self, Evidence, Kind, Pass};
use super::workflow::{Job, Target, Workflow};
use super::{Adder, Inventory};
use crate::model::{EdgeKind, NodeKind, Revoke};

/// Triggers anyone can fire on a public repository, whose runs get the repository's
/// secrets and a token that may write: a fork's pull request (`pull_request_target`),
/// an issue, a comment, a review, a discussion, and the run that follows a fork's.
const OUTSIDER_TRIGGERS: [&str; 8] = [
    "pull_request_target",
    "issue_comment",
    "issues",
    "pull_request_review",
    "pull_request_review_comment",
    "discussion",
    "discussion_comment",
    "workflow_run",
];

/// Whether the runs `workflow_run` follows can be a fork's: `None` when every workflow
/// it follows is loaded and none runs for outsiders; else the condition (none when one
/// provably does).
fn follows_outsiders(w: &Workflow, siblings: &[&Workflow]) -> Option<Option<String>> {
    let mut unknown = Vec::new();
    for name in &w.follows {
        let upstream: Vec<&Workflow> = siblings
            .iter()
            .copied()
            .filter(|o| o.name.eq_ignore_ascii_case(name))
            .collect();
        if upstream.is_empty() {
            unknown.push(format!(
                "if the workflow it follows (\"{name}\", not among the inputs) runs for pull requests from forks"
            ));
        }
        for u in upstream {
            if u.triggers.contains("pull_request")
                || OUTSIDER_TRIGGERS[..7]
                    .iter()
                    .any(|t| u.triggers.contains(*t))
            {
                return Some(None);
            }
            if u.triggers.contains("workflow_run") {
                unknown.push(format!(
                    "if the run of \"{name}\" it follows was started by a fork's"
                ));
            }
        }
    }
    if w.follows.is_empty() {
        unknown.push("if a workflow it follows runs for pull requests from forks".to_string());
    }
    unknown.into_iter().next().map(Some)
}

/// Whether `job` can run on the imagined outsider's run: `false` when its `if:` or one
/// it transitively needs provably fails (a skipped job skips the jobs that need it,
/// unless their `if:` calls a status function); the undecided conditions go to `open`.
fn job_runs(
    w: &Workflow,
    job: &Job,
    ctx: &expr::Outsider<'_>,
    depth: usize,
    open: &mut Vec<String>,
    judged: &mut std::collections::BTreeSet<String>,
) -> bool {
    let runs = job
        .condition
        .as_deref()
        .map_or(Runs::Yes, |c| expr::runs(c, ctx));
    match runs {
        Runs::No => return false,
        Runs::Maybe => {
            let c = job.condition.as_deref().unwrap_or_default();
            let whose = if depth == 0 {
                "the job's".to_string()
            } else {
                format!("job `{}`'s (which it needs)", job.id)
            };
            open.push(format!("if {whose} condition holds: `if: {c}`"));
        }
        Runs::Yes => {}
    }
    let status = job.condition.as_deref().is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        ["always()", "failure()", "cancelled()"]
            .iter()
            .any(|f| c.contains(f))
    });
    if status {
        return true;
    }
    // Each needed job is judged once however many paths lead to it (a cycle of needs is
    // an invalid workflow; `judged` ends it anyway).
    job.needs.iter().all(|id| {
        if !judged.insert(id.clone()) {
            return true;
        }
        w.jobs
            .iter()
            .find(|j| &j.id == id)
            .is_none_or(|needed| job_runs(w, needed, ctx, depth + 1, open, judged))
    })
}

/// A place where an outsider's code or text gets into a job, in it or in what it calls.
struct Finding<'a> {
    evidence: Cow<'a, Evidence>,
    /// Where it is, for the reason (empty: the job's own step).
    via: String,
    /// Conditions judged per trigger besides the step's own (the calling step's, the
    /// called job's), with whose they are.
    gates: Vec<(&'static str, &'a str)>,
    /// A condition that holds whatever the trigger.
    unsure: Option<String>,
}

/// The job's findings, and those of what it calls: a reusable workflow's or a local
/// action's run on the caller's event, as the caller's job, with the inputs the caller
/// hands it. The job's own findings through an input are not the outsider's: a
/// workflow's own inputs are its dispatcher's.
fn findings<'a>(w: &Workflow, job: &'a Job, github: &'a Inventory) -> Vec<Finding<'a>> {
    let mut out: Vec<Finding<'a>> = job
        .untrusted
        .iter()
        .filter(|e| e.input.is_none())
        .map(|e| Finding {
            evidence: Cow::Borrowed(e),
            via: String::new(),
            gates: Vec::new(),
            unsure: None,
        })
        .collect();
    for uses in &job.uses {
        let through = |e: &'a Evidence| resolve(e, &uses.passes, None);
        let calling = gate("the calling step's", uses.condition.as_deref());
        let (callee, unsure) = match &uses.target {
            Target::Remote {
                repo,
                path: Some(path),
                reference,
            } => (
                github.workflow(repo, path),
                Some(format!(
                    "if {repo}/{path}@{reference} is the version of the file that was read"
                )),
            ),
            Target::Local(path) if path.starts_with(".github/workflows/") => {
                (github.workflow(&w.repo, path), None)
            }
            Target::Local(path) => {
                let action = github.actions.get(&(w.repo.clone(), path.clone()));
                for e in action.into_iter().flat_map(|a| &a.untrusted) {
                    if let Some((evidence, how)) = through(e) {
                        out.push(Finding {
                            evidence,
                            via: format!(" (in local action ./{path}{how})"),
                            gates: calling.clone(),
                            unsure: None,
                        });
                    }
                }
                (None, None)
            }
            _ => (None, None),
        };
        let Some(callee) = callee else { continue };
        let name = if callee.repo.eq_ignore_ascii_case(&w.repo) {
            format!("./{}", callee.path)
        } else {
            format!("{}/{}", callee.repo, callee.path)
        };
        for cj in &callee.jobs {
            let called = gate("the called job's", cj.condition.as_deref());
            for e in &cj.untrusted {
                if let Some((evidence, how)) = through(e) {
                    out.push(Finding {
                        evidence,
                        via: format!(" (in reusable workflow {name}, job `{}`{how})", cj.id),
                        gates: called.clone(),
                        unsure: unsure.clone(),
                    });
                }
            }
            // The called job's local actions, handed the caller's inputs.
            for cu in &cj.uses {
                let Target::Local(path) = &cu.target else {
                    continue;
                };
                let action = github.actions.get(&(callee.repo.clone(), path.clone()));
                for e in action.into_iter().flat_map(|a| &a.untrusted) {
                    let Some((evidence, how)) = resolve(e, &cu.passes, Some(&uses.passes)) else {
                        continue;
                    };
                    let mut gates = called.clone();
                    gates.extend(gate("the calling step's", cu.condition.as_deref()));
                    out.push(Finding {
                        evidence,
                        via: format!(
                            " (in local action ./{path}, which job `{}` of reusable workflow {name} runs{how})",
                            cj.id
                        ),
                        gates,
                        unsure: unsure.clone(),
                    });
                }
            }
        }
    }
    out
}

/// A condition to judge per trigger, with whose it is, when there is one.
fn gate<'a>(whose: &'static str, condition: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
    condition.map(|c| (whose, c)).into_iter().collect()
}

/// A finding as its caller makes it: one through an input holds only if the caller hands
/// that input the outsider's head or text (or, with `outer`, hands on an input its own
/// caller hands so).
fn resolve<'a>(
    e: &'a Evidence,
    passes: &[Pass],
    outer: Option<&[Pass]>,
) -> Option<(Cow<'a, Evidence>, String)> {
    let Some(name) = &e.input else {
        return Some((Cow::Borrowed(e), String::new()));
    };
    let payload = untrusted::through(e.kind, name, passes, outer)?;
    let mut e = e.clone();
    e.payload = payload;
    Some((Cow::Owned(e), format!(", through input `{name}`")))
}

/// Edges from anyone who can open a pull request or write a comment to a job that runs
/// their code or their text with the repository's secrets.
#[allow(clippy::too_many_arguments)]
pub(super) fn outsiders(
    w: &Workflow,
    job: &Job,
    siblings: &[&Workflow],
    github: &Inventory,
    gates: &[&str],
    disable: &Revoke,
    g: &mut Adder<'_>,
) {
    if !OUTSIDER_TRIGGERS.iter().any(|t| w.triggers.contains(*t)) {
        return;
    }
    let findings = findings(w, job, github);
    if findings.is_empty() {
        return;
    }
    // Only those who can read a private or internal repository can fork it or comment.
    let outsider = match github.repos.get(&w.repo) {
        Some(i) if !i.is_public() => {
            "if the attacker can read the repository (it is not public: only those who can read it can open a pull request or comment)"
        }
        _ => "if the repository accepts pull requests and comments from the attacker",
    };
    let mut best: Option<(Vec<String>, String)> = None;
    for trigger in OUTSIDER_TRIGGERS
        .iter()
        .filter(|t| w.triggers.contains(**t))
    {
        let upstream = if *trigger == "workflow_run" {
            match follows_outsiders(w, siblings) {
                None => continue,
                Some(c) => c,
            }
        } else {
            None
        };
        let ctx = expr::Outsider {
            trigger,
            repo: &w.repo,
        };
        let judge = |c: Option<&str>| c.map_or(Runs::Yes, |c| expr::runs(c, &ctx));
        let mut needed = Vec::new();
        if !job_runs(w, job, &ctx, 0, &mut needed, &mut Default::default()) {
            continue;
        }
        for Finding {
            evidence: e,
            via,
            gates: outer,
            unsure,
        } in &findings
        {
            if !e.applies_to(trigger) {
                continue;
            }
            let step_runs = judge(e.condition.as_deref());
            let outer_runs: Vec<Runs> = outer.iter().map(|(_, c)| judge(Some(c))).collect();
            if step_runs == Runs::No || outer_runs.contains(&Runs::No) {
                continue;
            }
            let mut conditions = needed.clone();
            for ((whose, c), runs) in outer.iter().zip(&outer_runs) {
                if *runs == Runs::Maybe {
                    conditions.push(format!("if {whose} condition holds: `if: {c}`"));
                }
            }
            if step_runs == Runs::Maybe {
                let c = e.condition.as_deref().unwrap_or_default();
                let whose = if via.is_empty() {
                    format!("step {}'s", e.step + 1)
                } else {
                    format!("the called file's step {}'s", e.step + 1)
                };
                conditions.push(format!("if {whose} condition holds: `if: {c}`"));
            }
            conditions.extend(unsure.clone());
            if e.kind == Kind::Artifact {
                conditions.push("if a later step runs or trusts what the artifact holds".into());
            }
            conditions.extend(upstream.clone());
            // The candidate with the fewest conditions is the edge; only it needs a reason.
            if best
                .as_ref()
                .is_some_and(|(c, _)| c.len() <= conditions.len())
            {
                continue;
            }
            let what = match (e.kind, e.payload) {
                (Kind::HeadCheckout, Some("workflow_run")) => {
                    "checks out the head of the fork's run that started it"
                }
                (Kind::HeadCheckout, _) => "checks out the pull request's head",
                (Kind::Injection, _) => "expands text the outsider writes into a script",
                (Kind::Artifact, _) => "downloads an artifact of the run that started it",
            };
            let fired = if *trigger == "workflow_run" {
                format!(
                    "workflow_run after {}, which a fork's run can start",
                    w.follows.join(", ")
                )
            } else {
                format!("{trigger}, which anyone can fire")
            };
            let reason = format!(
                "{} runs on {fired}, and job `{}` {what}{via} at {}: their code runs with the job's secrets, token and OIDC identity",
                w.path,
                job.id,
                e.at()
            );
            best = Some((conditions, reason));
        }
    }
    let Some((conditions, reason)) = best else {
        return;
    };
    g.node(
        "github:any-user",
        NodeKind::Group,
        "anyone who can open a pull request or write a comment".into(),
        "github",
        &[],
    );
    let all: Vec<&str> = std::iter::once(outsider)
        .chain(gates.iter().copied())
        .chain(conditions.iter().map(String::as_str))
        .collect();
    g.edge(
        "github:any-user",
        &w.job_key(job),
        EdgeKind::CanControl,
        reason,
        all,
        vec![disable.clone()],
    );
}
