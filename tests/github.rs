//! GitHub importer on workflow files in checkout layout (tests/fixtures/github/): the
//! derived edges against a golden list (order-insensitive), and the cases that must not
//! produce an edge.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use trustpath::import::{Loaded, load_paths};

fn load() -> Loaded {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github");
    load_paths(&[dir]).expect("fixtures load")
}

fn edge_lines(loaded: &Loaded) -> BTreeSet<String> {
    let g = &loaded.graph;
    g.edge_ids()
        .map(|e| {
            let (a, b) = g.endpoints(e);
            let short = |k: &str| k.trim_start_matches("github:").to_string();
            let mark = if g.edge(e).is_conditional() {
                " (conditional)"
            } else {
                ""
            };
            format!(
                "{} -{}-> {}{mark}",
                short(g.key(a)),
                g.edge(e).kind,
                short(g.key(b))
            )
        })
        .collect()
}

#[test]
fn workflows_match_the_golden_edge_list() {
    let got = edge_lines(&load());
    common::assert_golden(&got, "github-workflows.edges");
}

#[test]
fn jobs_see_only_their_own_secrets_and_pins_are_told_apart() {
    let loaded = load();
    let lines = edge_lines(&loaded);
    // The tag-pinned action runs in `build`, which reads NPM_TOKEN but not the deploy job's secret.
    assert!(lines.contains("action:tj-style/changed-files@v45 -can_control-> workflow:acme/web/.github/workflows/deploy.yml#build"));
    assert!(lines.contains(
        "workflow:acme/web/.github/workflows/deploy.yml#build -can_read-> secret:acme/NPM_TOKEN"
    ));
    assert!(!lines.contains("workflow:acme/web/.github/workflows/deploy.yml#build -can_read-> secret:acme/SLACK_DEPLOY_WEBHOOK"));
    let g = &loaded.graph;
    let pinned = |key: &str| {
        g.node(g.find(key).expect("action"))
            .tags
            .get("pinned")
            .map(str::to_string)
    };
    assert_eq!(
        pinned("github:action:tj-style/changed-files@v45").as_deref(),
        Some("tag")
    );
    assert_eq!(
        pinned("github:action:actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683")
            .as_deref(),
        Some("sha")
    );
}

#[test]
fn secrets_resolve_to_repository_or_organisation_by_the_listings() {
    let lines = edge_lines(&load());
    // A repository secret, and organisation secrets (one visible to all repositories,
    // one to selected ones).
    assert!(lines.contains("workflow:acme/web/.github/workflows/pr-checks.yml#test -can_read-> secret:acme/web/CODECOV_TOKEN"));
    assert!(lines.contains("workflow:acme/web/.github/workflows/deploy.yml#deploy -can_read-> secret:acme/SLACK_DEPLOY_WEBHOOK"));
    // `secrets: inherit` in acme/docs passes what acme/docs can see: not the secret
    // selected for acme/web only.
    // It reaches them through the node of every secret the repository sees.
    let publish = "workflow:acme/docs/.github/workflows/publish.yml#publish";
    assert!(lines.contains(&format!("{publish} -can_read-> secrets:acme/docs")));
    assert!(lines.contains("secrets:acme/docs -can_read-> secret:acme/NPM_TOKEN"));
    assert!(!lines.contains("secrets:acme/docs -can_read-> secret:acme/SLACK_DEPLOY_WEBHOOK"));
}

#[test]
fn id_token_and_subjects() {
    let loaded = load();
    let g = &loaded.graph;
    let tags = |key: &str| g.node(g.find(key).expect("job")).tags;
    // id-token on the job…
    let deploy = tags("github:workflow:acme/web/.github/workflows/deploy.yml#deploy");
    assert_eq!(&deploy["id_token"], "true");
    assert_eq!(
        &deploy["oidc_subjects"],
        "repo:acme/web:environment:production"
    );
    let build = tags("github:workflow:acme/web/.github/workflows/deploy.yml#build");
    assert_eq!(&build["id_token"], "false");
    // …and on the workflow (write-all), for pushes to main.
    let publish = tags("github:workflow:acme/docs/.github/workflows/publish.yml#publish");
    assert_eq!(&publish["id_token"], "true");
    assert_eq!(
        &publish["oidc_subjects"],
        "repo:acme/docs:ref:refs/heads/main"
    );
}

#[test]
fn pull_request_target_only_when_the_head_is_checked_out() {
    let lines = edge_lines(&load());
    assert!(lines.contains("any-user -can_control-> workflow:acme/web/.github/workflows/pr-checks.yml#test (conditional)"));
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("any-user") && l.contains("labeler"))
    );
}

#[test]
fn a_malformed_workflow_is_a_warning_with_its_line() {
    let loaded = load();
    let w = loaded
        .warnings
        .iter()
        .find(|w| w.file.ends_with("broken.yml"))
        .expect("a warning for broken.yml");
    assert_eq!(w.place, "3:5");
    assert!(
        loaded
            .graph
            .find("github:workflow:acme/web/.github/workflows/deploy.yml")
            .is_some(),
        "the rest loads"
    );
}

/// Workflows joined to AWS roles through the GitHub OIDC provider's trust conditions
/// (tests/fixtures/github-aws holds the roles).
#[test]
fn oidc_links_follow_the_trust_conditions() {
    let dirs = ["tests/fixtures/github", "tests/fixtures/github-aws"]
        .map(|d| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(d));
    let loaded = load_paths(&dirs).expect("fixtures load");
    let lines = edge_lines(&loaded);
    let assumes = |from: &str, role: &str| {
        lines.iter().any(|l| {
            l.starts_with(&format!(
                "{from} -can_assume-> arn:aws:iam::111122223333:role/{role}"
            ))
        })
    };
    let docs = "workflow:acme/docs/.github/workflows/publish.yml#publish";
    let release = "workflow:acme/web/.github/workflows/release.yml#publish";
    let deploy = "workflow:acme/web/.github/workflows/deploy.yml#deploy";
    // `repo:acme/*`: any repository of the org.
    assert!(assumes(docs, "docs-deploy"));
    // An exact branch: only the workflow that runs on pushes to main of acme/web, and
    // whoever controls acme/web; not acme/docs.
    assert!(assumes(release, "web-main"));
    assert!(assumes("repo:acme/web", "web-main"));
    assert!(!assumes(docs, "web-main"));
    assert!(
        !assumes(deploy, "web-main"),
        "the deploy job's token names its environment"
    );
    // An environment.
    assert!(assumes(deploy, "gha-deploy"));
    // Only an audience condition: any repository on GitHub.
    assert!(assumes("any-repo", "aud-only"));
    // A repository that is not in the inputs still gets a node.
    assert!(assumes("repo:partner/tool", "partner"));
    let partner = loaded
        .graph
        .find("github:repo:partner/tool")
        .expect("created");
    assert!(
        loaded
            .graph
            .node(partner)
            .tags
            .contains_key("not_in_inputs")
    );
}

/// `gh api` exports saved in the repository's directory: a subject template, and the
/// repository's default token permissions.
#[test]
fn subject_templates_and_default_permissions() {
    let dirs = [
        "tests/fixtures/github-template",
        "tests/fixtures/github-aws",
    ]
    .map(|d| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(d));
    let loaded = load_paths(&dirs).expect("fixtures load");
    let g = &loaded.graph;
    let job = g
        .find("github:workflow:acme/api/.github/workflows/deploy.yml#deploy")
        .expect("job");
    assert_eq!(
        &g.node(job).tags["oidc_subjects"],
        "repo:acme/api:environment:prod:job_workflow_ref:acme/api/.github/workflows/deploy.yml@*"
    );
    let lines = edge_lines(&loaded);
    assert!(lines.contains(
        "workflow:acme/api/.github/workflows/deploy.yml#deploy -can_assume-> arn:aws:iam::111122223333:role/api-templated (conditional)"
    ), "conditional: the job's ref is not known from the workflow");
    // The repository default is read: the lint job's token cannot push.
    assert!(!lines.iter().any(|l| l.starts_with("token:acme/lint/")));
}

#[test]
fn deploy_keys_and_apps() {
    let lines = edge_lines(&load());
    // A deploy key with write access can push (and so change workflows); a read-only one cannot.
    assert!(lines.contains("deploy-key:acme/web/8421 -can_control-> repo:acme/web"));
    assert!(lines.contains("deploy-key:acme/web/8422 -can_access-> repo:acme/web"));
    // An app installed on all repositories with contents: write controls them.
    assert!(lines.contains("app:release-drafter-plus -can_control-> repo:acme/docs"));
    assert!(lines.contains("app:stale-bot -can_access-> repo:acme/web (conditional)"));
}

/// `/orgs/{org}/repos` and `/repos/{o}/{r}/environments`: visibility decides who can
/// fork and which `private` organisation secrets a repository sees; a required
/// reviewer gates every way into a job of the protected environment.
#[test]
fn repository_and_environment_listings() {
    let loaded = load();
    let lines = edge_lines(&loaded);
    let release = "workflow:acme/web/.github/workflows/release.yml#publish";
    let publish = "workflow:acme/docs/.github/workflows/publish.yml#publish";
    assert!(lines.contains(&format!("{publish} -can_read-> secrets:acme/docs")));
    assert!(lines.contains("secrets:acme/docs -can_read-> secret:acme/INTERNAL_REGISTRY_TOKEN"));
    assert!(
        !lines.contains(&format!(
            "{release} -can_read-> secret:acme/INTERNAL_REGISTRY_TOKEN"
        )),
        "a public repository does not see an organisation secret for private repositories"
    );

    let graph = &loaded.graph;
    let node = |key: &str| graph.node(graph.find(key).expect(key));
    let web = node("github:repo:acme/web");
    assert_eq!(web.tags.get("visibility"), Some("public"));
    assert_eq!(web.tags.get("default_branch"), Some("main"));
    let legacy = node("github:repo:acme/legacy-cron");
    assert_eq!(legacy.tags.get("archived"), Some("true"));

    let deploy = graph
        .find("github:workflow:acme/web/.github/workflows/deploy.yml#deploy")
        .expect("the deploy job");
    let into_deploy: Vec<_> = graph.incoming(deploy).map(|(e, _)| e).collect();
    assert!(!into_deploy.is_empty());
    for e in into_deploy {
        let conditions: Vec<&str> = graph
            .edge(e)
            .conditions
            .iter()
            .map(|c| c.description.as_str())
            .collect();
        assert!(
            conditions.iter().any(|c| c
                .contains("approves the deployment to environment production")
                && c.contains("mreyes, @sre")
                && c.contains("protected branches")),
            "{conditions:?}"
        );
    }
}

#[test]
fn a_workflow_cannot_hide_behind_comments() {
    // Issue 14, defect 5: detection read 64 KiB; a workflow with more comments before its
    // keys was "skipped: not JSON" and its jobs were absent.
    let dir = tempfile::tempdir().expect("temp dir");
    let workflows = dir.path().join("acme/web/.github/workflows");
    std::fs::create_dir_all(&workflows).expect("mkdir");
    let padding = "# nothing to see here\n".repeat(4_000);
    std::fs::write(
        workflows.join("hidden.yml"),
        format!("{padding}on: [push]\njobs:\n  ship:\n    runs-on: x\n    steps:\n      - uses: evil/act@v1\n"),
    )
    .expect("write");
    assert!(padding.len() > 64 * 1024);
    // Nor behind a first line that reads like another format's header.
    std::fs::write(
        workflows.join("csv-like.yml"),
        "name: x,from,to,kind\non: [push]\njobs:\n  lurk:\n    runs-on: x\n    steps:\n      - run: echo\n",
    )
    .expect("write");
    // A file there that is no workflow at all is a warning with its place, not a skip.
    std::fs::write(workflows.join("notes.yml"), "just: [text\n").expect("write");
    let loaded = load_paths(&[dir.path().to_path_buf()]).expect("loads");
    let g = &loaded.graph;
    assert!(
        g.find("github:workflow:acme/web/.github/workflows/hidden.yml#ship")
            .is_some(),
        "the hidden job is loaded"
    );
    assert!(g.find("github:action:evil/act@v1").is_some());
    assert!(
        g.find("github:workflow:acme/web/.github/workflows/csv-like.yml#lurk")
            .is_some(),
        "the CSV-looking workflow is read as one"
    );
    let notes = loaded
        .warnings
        .iter()
        .find(|w| w.file.ends_with("notes.yml"))
        .expect("a warning for notes.yml");
    assert!(
        !notes.message.contains("skipped: not JSON"),
        "{}",
        notes.message
    );
}
