//! GitHub Actions importer at scale: a generated organisation of 500 repositories with
//! 20 workflow files each (10,000 workflows, 30,000 jobs) in checkout layout. The files
//! are shaped like real ones: push, pull_request, pull_request_target, issue_comment
//! and workflow_run triggers; `if:` guards; checkouts of the base and of the head;
//! template injection and its safe `env:` form; actions pinned by tag, branch and SHA,
//! with paths; docker images; local actions and reusable workflows; secrets by name,
//! `secrets: inherit` and `toJSON(secrets)`; token permissions.
//!
//!     cargo bench --bench github           # 10,000 workflows
//!     cargo bench --bench github -- 40000  # another number of workflows

use common::Rng;

mod common;

const TRIGGERS: [&str; 6] = [
    "push",
    "[push, pull_request]",
    "pull_request_target",
    "\n  issue_comment:\n    types: [created]",
    "\n  workflow_run:\n    workflows: [CI]",
    "[pull_request, pull_request_target]",
];

const ACTIONS: [&str; 6] = [
    "actions/setup-node@v4",
    "actions/cache@0c45773b623bea8c8e75f6c82b208c3cf94ea4f9",
    "github/codeql-action/init@v3",
    "tj-actions/changed-files@v45",
    "docker://alpine:3.19",
    "acme/shared/.github/actions/lint@main",
];

fn workflow(rng: &mut Rng, i: usize) -> String {
    let on = TRIGGERS[rng.below(TRIGGERS.len())];
    let name = if i == 0 {
        "CI".to_string()
    } else {
        format!("wf{i}")
    };
    let mut y = format!(
        "name: {name}\non: {on}\npermissions:\n  contents: read\nenv:\n  REGION: eu-west-1\n  SLACK: ${{{{ secrets.SLACK_WEBHOOK }}}}\njobs:\n"
    );
    for j in 0..3 {
        y.push_str(&format!("  job{j}:\n    runs-on: ubuntu-latest\n"));
        match rng.below(5) {
            0 => y.push_str("    if: github.event_name == 'pull_request'\n"),
            1 => y.push_str(
                "    if: github.event.pull_request.head.repo.full_name == github.repository\n",
            ),
            2 => y.push_str(
                "    if: contains(github.event.pull_request.labels.*.name, 'safe to test')\n",
            ),
            _ => {}
        }
        if rng.below(4) == 0 {
            y.push_str("    permissions:\n      contents: write\n      id-token: write\n      packages: write\n");
        }
        if rng.below(10) == 0 {
            y.push_str("    uses: ./.github/workflows/reusable.yml\n    secrets: inherit\n");
            continue;
        }
        y.push_str("    env:\n      HEAD: ${{ github.event.pull_request.head.sha }}\n    steps:\n");
        let checkout = match rng.below(4) {
            0 => {
                "      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n"
            }
            1 => {
                "      - uses: actions/checkout@v4\n        with:\n          ref: ${{ env.HEAD }}\n"
            }
            _ => "      - uses: actions/checkout@v4\n",
        };
        y.push_str(checkout);
        for _ in 0..3 {
            let action = ACTIONS[rng.below(ACTIONS.len())];
            y.push_str(&format!("      - uses: {action}\n        with:\n          token: ${{{{ secrets.GITHUB_TOKEN }}}}\n"));
        }
        y.push_str("      - uses: ./.github/actions/setup\n");
        match rng.below(4) {
            0 => y.push_str("      - run: echo \"${{ github.event.comment.body }}\"\n"),
            1 => y.push_str("      - run: |\n          git fetch origin pull/${{ github.event.issue.number }}/head:pr\n          git checkout pr\n"),
            _ => y.push_str("      - run: echo \"$TITLE\"\n        env:\n          TITLE: ${{ github.event.pull_request.title }}\n"),
        }
        let secret = rng.below(50);
        y.push_str(&format!(
            "      - run: make deploy\n        env:\n          DEPLOY_KEY: ${{{{ secrets.DEPLOY_KEY_{secret} }}}}\n          REGION: ${{{{ env.REGION }}}}\n"
        ));
        if rng.below(20) == 0 {
            y.push_str("      - run: echo '${{ toJSON(secrets) }}' | jq -r keys\n");
        }
    }
    y
}

fn main() {
    let workflows = common::sizes(&[10_000])[0];
    let per_repo = 20;
    let mut rng = Rng(7);
    let mut files: Vec<(String, Vec<u8>)> = Vec::with_capacity(workflows);
    for w in 0..workflows {
        let (repo, i) = (w / per_repo, w % per_repo);
        let path = format!("acme/repo{repo}/.github/workflows/wf{i}.yml");
        files.push((path, workflow(&mut rng, i).into_bytes()));
    }
    // `DUMP=DIR` writes the corpus in checkout layout, for `trustpath import -i DIR`.
    if let Ok(dir) = std::env::var("DUMP") {
        for (path, b) in &files {
            let path = std::path::Path::new(&dir).join(path);
            std::fs::create_dir_all(path.parent().expect("in a directory")).expect("dump");
            std::fs::write(path, b).expect("dump");
        }
    }
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    println!(
        "{} files, {:.1} MB: {workflows} workflows in {} repositories",
        files.len(),
        bytes as f64 / 1e6,
        workflows.div_ceil(per_repo)
    );
    common::time_loads(&files);
}
