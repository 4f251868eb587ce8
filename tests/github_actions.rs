//! GitHub Actions semantics on real-world constructs (tests/fixtures/github-actions/):
//! which jobs an outsider controls — per trigger, through `if:` conditions, head
//! checkouts by any means, template injection, artifacts and reusable workflows — and
//! the safe look-alikes that must not produce an edge; secrets, pins, local code and
//! token scopes.

use std::path::PathBuf;

use trustpath::import::{Loaded, load_paths};
use trustpath::model::EdgeRef;

fn load() -> Loaded {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github-actions");
    let loaded = load_paths(&[dir]).expect("fixtures load");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    loaded
}

const WF: &str = "github:workflow:acme/app/.github/workflows/";

/// The edge between two keys (`~` expands to the fixture's workflow directory).
fn edge<'l>(loaded: &'l Loaded, from: &str, to: &str) -> Option<EdgeRef<'l>> {
    let g = &loaded.graph;
    let (from, to) = (from.replace('~', WF), to.replace('~', WF));
    let (a, b) = (g.find(&from)?, g.find(&to)?);
    g.edge_ids()
        .find(|&e| g.endpoints(e) == (a, b))
        .map(|e| g.edge(e))
}

fn conditions(e: &EdgeRef<'_>) -> Vec<String> {
    e.conditions.iter().map(|c| c.description.clone()).collect()
}

fn outsider<'l>(loaded: &'l Loaded, job: &str) -> Option<EdgeRef<'l>> {
    edge(loaded, "github:any-user", &format!("~{job}"))
}

#[test]
fn conditions_that_keep_outsiders_out_leave_no_edge() {
    let l = load();
    // `if: github.event_name == 'pull_request'` in a file that also runs on
    // pull_request_target; a fork guard; base checkouts.
    for job in [
        "pr-target.yml#unit",
        "pr-target.yml#same-repo",
        "pr-target.yml#base",
        "pr-target.yml#after-same-repo",
        "review.yml#build-head",
        "fetch-head.yml#diff",
        "comment-ops.yml#members",
        "triage.yml#safe",
        "after-nightly.yml#report",
        "reusable.yml#build",
    ] {
        assert!(
            outsider(&l, job).is_none(),
            "{job} must not be an outsider's"
        );
    }
}

#[test]
fn what_is_not_provable_stays_an_edge_with_its_expression() {
    let l = load();
    let label = outsider(&l, "pr-target.yml#labelled").expect("label-gated job");
    let text = conditions(&label).join(" | ");
    assert!(
        text.contains("contains(github.event.pull_request.labels.*.name, 'safe to test')"),
        "{text}"
    );
    assert!(label.reason.contains("line 35"), "{}", label.reason);
    let rebuild = outsider(&l, "comment-ops.yml#rebuild").expect("comment-triggered job");
    assert!(rebuild.reason.contains("issue_comment"));
    assert!(rebuild.reason.contains("gh pr checkout"));
    assert!(conditions(&rebuild).join(" ").contains("'/rebuild'"));
}

#[test]
fn the_head_arrives_by_git_and_by_env() {
    let l = load();
    let clone = outsider(&l, "fetch-head.yml#clone").expect("git clone of the fork");
    assert!(clone.reason.contains("clone_url"), "{}", clone.reason);
    let output = outsider(&l, "comment-ops.yml#branch-output").expect("a step's head output");
    assert!(output.reason.contains("steps.branch.outputs.head_ref"));
    // Needing a label-gated job carries its condition.
    let after = outsider(&l, "pr-target.yml#after-label").expect("needs the labelled job");
    assert!(
        conditions(&after)
            .join(" ")
            .contains("job `labelled`'s (which it needs)")
    );
    let fetch = outsider(&l, "fetch-head.yml#fetch").expect("git fetch pull/N/head");
    assert!(fetch.reason.contains("line 14"), "{}", fetch.reason);
    assert!(
        fetch.reason.contains("git fetch … pull/…"),
        "{}",
        fetch.reason
    );
    let env = outsider(&l, "fetch-head.yml#env-ref").expect("ref through env");
    assert!(env.reason.contains("env.PR_HEAD"), "{}", env.reason);
    // A reusable workflow that checks out the head makes its pull_request_target caller
    // the fork's; the callee runs as the caller's job.
    let call = outsider(&l, "pr-caller.yml#call").expect("through the reusable workflow");
    assert!(
        call.reason
            .contains("reusable workflow ./.github/workflows/reusable.yml")
    );
    assert!(edge(&l, "~reusable.yml", "~pr-caller.yml#call").is_some());
    assert!(edge(&l, "~reusable.yml", "~release.yml#shared").is_some());
}

#[test]
fn template_injection_on_every_trigger_anyone_fires() {
    let l = load();
    let greet = outsider(&l, "triage.yml#greet").expect("issue title in run:");
    assert!(greet.reason.contains("github.event.issue.title"));
    assert!(greet.reason.contains("issues"));
    let review = outsider(&l, "review.yml#echo-review").expect("review body");
    assert!(
        conditions(&review)
            .join(" ")
            .contains("head.repo.full_name")
    );
    let dump = outsider(&l, "dump-event.yml#dump").expect("toJSON(github.event)");
    assert!(
        dump.reason.contains("tojson(github.event)"),
        "{}",
        dump.reason
    );
    let reply = outsider(&l, "triage.yml#reply").expect("comment body in github-script");
    assert!(
        reply.reason.contains("discussion_comment"),
        "{}",
        reply.reason
    );
}

#[test]
fn workflow_run_after_a_forks_run() {
    let l = load();
    let publish = outsider(&l, "after-ci.yml#publish").expect("artifact poisoning");
    assert!(conditions(&publish).join(" ").contains("artifact"));
    let script = outsider(&l, "after-ci.yml#script-download").expect("github-script download");
    assert!(conditions(&script).join(" ").contains("artifact"));
    let comment = outsider(&l, "after-ci.yml#comment").expect("head of the fork's run");
    assert!(comment.reason.contains("workflow_run after CI"));
    // Nightly runs on a schedule: nothing of a fork's reaches the run after it.
    assert!(outsider(&l, "after-nightly.yml#report").is_none());
}

#[test]
fn secrets_token_and_everything_at_once() {
    let l = load();
    let g = &l.graph;
    assert!(
        g.find("github:secret:acme/app/GITHUB_TOKEN").is_none(),
        "the job's own token is not a stored secret"
    );
    // Workflow-level env: every job of the file reads it.
    for job in ["notes", "dump", "shared"] {
        assert!(
            edge(
                &l,
                &format!("~release.yml#{job}"),
                "github:secret:acme/app/SLACK_WEBHOOK"
            )
            .is_some(),
            "{job}"
        );
    }
    let all = "github:secrets:acme/app";
    assert!(
        edge(&l, "~release.yml#dump", all).is_some(),
        "toJSON(secrets)"
    );
    assert!(
        edge(&l, "~release.yml#shared", all).is_some(),
        "secrets: inherit"
    );
    assert!(edge(&l, "~release.yml#notes", all).is_none());
}

#[test]
fn pins_local_code_images_and_token_scopes() {
    let l = load();
    let g = &l.graph;
    let pinned = |key: &str| {
        let node = g.node(g.find(key).unwrap_or_else(|| panic!("{key}")));
        node.tags
            .get("pinned")
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert_eq!(
        pinned("github:action:actions/checkout@release/v1"),
        "branch"
    );
    assert_eq!(pinned("github:action:acme-tools/notes@feature-x"), "ref");
    assert_eq!(pinned("github:action:acme-tools/notes@v2.1.0"), "tag");
    assert_eq!(pinned("github:docker:alpine:3.19"), "tag");
    assert!(
        pinned(
            "github:docker:alpine@sha256:1e42bbe2508154c9126d48c2b8a75420c3544343bf86fd041fb7527e017a4b4a"
        ) == "digest"
    );
    // `owner/repo/path@ref` under its repository's node, used by its own step.
    let init = "github:action:github/codeql-action/init@v3";
    assert!(edge(&l, "github:action:github/codeql-action@v3", init).is_some());
    let used = edge(&l, init, "~release.yml#notes").expect("the step's use");
    assert!(used.reason.contains("step 4"), "{}", used.reason);
    // The local composite action, its own steps' actions, and the repository behind it.
    let setup = "github:local-action:acme/app/.github/actions/setup";
    assert!(edge(&l, setup, "~release.yml#notes").is_some());
    assert!(edge(&l, "github:action:acme-tools/toolchain@v1", setup).is_some());
    assert!(edge(&l, "github:repo:acme/app", setup).is_some());
    // Scopes: every one kept; actions and packages write give edges.
    let token = "github:token:acme/app/.github/workflows/release.yml#notes";
    let node = g.node(g.find(token).expect("token"));
    let scopes = node
        .tags
        .get("permissions")
        .map(str::to_string)
        .unwrap_or_default();
    assert_eq!(
        scopes,
        "actions:write,contents:read,packages:write,pull-requests:write"
    );
    assert!(edge(&l, token, "github:packages:acme/app").is_some());
    assert!(edge(&l, token, "~release.yml").is_some_and(|e| e.is_conditional()));
    assert!(
        edge(&l, token, "github:repo:acme/app").is_none(),
        "contents: read"
    );
    // Under an unknown repository default the other scopes stay details.
    let nightly = "github:token:acme/app/.github/workflows/nightly.yml#build";
    assert!(edge(&l, nightly, "github:packages:acme/app").is_none());
}

#[test]
fn inputs_carry_the_outsider_into_local_actions_and_reusable_workflows() {
    let l = load();
    // A local composite action expands `${{ inputs.body }}` into its script: the caller
    // that hands it a comment's body is the commenter's, the one that hands it a fixed
    // text is not.
    let echo = outsider(&l, "echo-comment.yml#echo").expect("comment body through input");
    assert!(
        echo.reason
            .contains("in local action ./.github/actions/comment, through input `body`"),
        "{}",
        echo.reason
    );
    assert!(echo.reason.contains("issue_comment"), "{}", echo.reason);
    assert!(outsider(&l, "thank-issue.yml#thank").is_none());
    // The calling step's `if:` gates what the action does.
    assert!(outsider(&l, "echo-comment.yml#owner-echo").is_none());
    // `refs/pull/N/merge` handed to a reusable workflow that checks out its input.
    let merge = outsider(&l, "echo-comment.yml#build-pr").expect("merge ref through input");
    assert!(
        merge.reason.contains("through input `ref`"),
        "{}",
        merge.reason
    );
    // A reusable workflow of the same repository called by its full name, checking out
    // `inputs.ref`: the head makes the caller the fork's, the base does not.
    let head = outsider(&l, "pr-build.yml#head").expect("head through input");
    assert!(
        head.reason.contains("through input `ref`") && head.reason.contains("build-ref.yml"),
        "{}",
        head.reason
    );
    assert!(
        conditions(&head)
            .join(" ")
            .contains("build-ref.yml@main is the version of the file that was read"),
        "{:?}",
        conditions(&head)
    );
    assert!(outsider(&l, "pr-build.yml#base").is_none());
    assert!(outsider(&l, "build-ref.yml#build").is_none());
    // A reusable workflow that hands its input on to a local action.
    let title = outsider(&l, "pr-lint.yml#title").expect("title through two inputs");
    assert!(
        title.reason.contains("in local action ./.github/actions/comment, which job `lint` of reusable workflow ./.github/workflows/lint-pr.yml runs, through input `body`"),
        "{}",
        title.reason
    );
    assert!(outsider(&l, "pr-lint.yml#fixed").is_none());
    assert!(outsider(&l, "lint-pr.yml#lint").is_none());
    let call = edge(&l, "~build-ref.yml", "~pr-build.yml#head").expect("callee runs as caller");
    assert!(
        call.reason.contains("build-ref.yml@main"),
        "{}",
        call.reason
    );
    assert!(
        conditions(&call).join(" ").contains("version at the ref"),
        "{:?}",
        conditions(&call)
    );
}

#[test]
fn job_and_service_containers_are_images_the_job_runs() {
    let l = load();
    let job = "~integration.yml#test";
    let container = edge(&l, "github:docker:node:20-bookworm", job).expect("job container");
    assert!(container.reason.contains("runs every step inside"));
    assert!(container.conditions.is_empty());
    let db = "github:docker:postgres@sha256:4ec37d2a07a0067f176fdcc9d4bb633a5724d2cc4d86a9d6d4b9d3ac9e1b8b2a";
    let service = edge(&l, db, job).expect("service container");
    assert!(service.reason.contains("service container `db`"));
    assert!(service.reason.contains("pinned by digest"));
    assert!(
        conditions(&service)
            .join(" ")
            .contains("hands the service secrets")
    );
    assert!(
        service.reason.contains("not the job's token"),
        "{}",
        service.reason
    );
    let fix = service.revoke[0].commands.join("\n");
    assert!(fix.contains("services.db.image: postgres@sha256"), "{fix}");
    // An image named by an expression names nothing the file shows.
    let images = l
        .graph
        .node_ids()
        .filter(|&n| l.graph.key(n).starts_with("github:docker:${{"))
        .count();
    assert_eq!(images, 0);
}
