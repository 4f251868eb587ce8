//! Vault importer on `vault … -format=json` fixtures (tests/fixtures/vault/: a `vault/`
//! export tree beside the Kubernetes service accounts of cluster `prod` and a GitHub
//! workflow of acme/infra that mints OIDC tokens). The derived edges are compared with a
//! golden list, and each rule of Vault's semantics is checked on its own, positive and
//! negative: most specific rule wins, deny beats allow, `+` is one segment, list alone
//! reads nothing, sudo guards token creation, a jwt role with no bound claims is open to
//! every repository.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::AT;
use trustpath::import::{Loaded, load_paths_with};
use trustpath::model::EdgeKind;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vault")
}

fn load() -> Loaded {
    common::load_fixtures("vault")
}

/// A key without its platform prefix for the long ones, for short lines.
fn short(key: &str) -> String {
    key.replace("k8s:prod:", "k8s:")
        .replace("github:workflow:acme/infra/.github/workflows/", "workflow:")
}

fn edge_lines(loaded: &Loaded) -> BTreeSet<String> {
    common::edge_lines(loaded, short, |_| true)
}

/// Whether an edge of `kind` goes from `from` to `to` (short keys).
fn has(loaded: &Loaded, from: &str, kind: EdgeKind, to: &str) -> bool {
    common::find_edge(loaded, short, from, kind, to).is_some()
}

#[test]
fn edges_match_the_golden_list() {
    let l = load();
    assert!(l.warnings.is_empty(), "{:#?}", l.warnings);
    common::assert_golden(&edge_lines(&l), "vault.edges");
}

/// Whether `from` reads `to`: directly, or through a policy it carries (the importer
/// draws reads through the policies when that is exact).
fn reads(l: &Loaded, from: &str, to: &str) -> bool {
    let g = &l.graph;
    has(l, from, EdgeKind::CanRead, to)
        || g.node_ids().any(|p| {
            let policy = short(g.key(p));
            policy.starts_with("vault:policy:")
                && has(l, from, EdgeKind::MemberOf, &policy)
                && has(l, &policy, EdgeKind::CanRead, to)
        })
}

#[test]
fn policies_follow_vaults_semantics() {
    let l = load();
    let read = |from: &str, to: &str| reads(&l, from, to);
    let (payments, stripe, webhook, admin_secret) = (
        "vault:role:kubernetes/payments",
        "vault:secret:secret/data/payments/stripe",
        "vault:secret:secret/data/payments/webhook",
        "vault:secret:secret/data/payments/admin",
    );
    // `secret/data/payments/*` grants a read; the exact `deny` on admin is more specific.
    assert!(read(payments, stripe) && read(payments, webhook));
    assert!(!read(payments, admin_secret), "deny on the exact path wins");
    // The same pattern denied by another policy of the role: deny beats allow. The role's
    // policies interact, so it is no member of either: its reads (none) are its own.
    assert!(!read("vault:role:jwt/any", stripe));
    assert!(!has(
        &l,
        "vault:role:jwt/any",
        EdgeKind::MemberOf,
        "vault:policy:payments-read"
    ));
    // `+` is one segment.
    assert!(read(
        "vault:role:kubernetes/monitoring",
        "vault:secret:secret/data/monitoring/metrics"
    ));
    assert!(!read(
        "vault:role:kubernetes/monitoring",
        "vault:secret:secret/data/monitoring/sub/metrics"
    ));
    // List alone reads no value.
    assert!(!read(
        "vault:role:approle/batch",
        "vault:secret:secret/data/batch/job-config"
    ));
    // A grant on a path no input lists keeps a node of its own.
    let aws = l
        .graph
        .find("vault:secret:aws/creds/deploy")
        .expect("named by policy deploy");
    assert!(l.graph.node(aws).tags.contains_key("not_in_inputs"));
    assert!(read(
        "vault:role:jwt/deploy",
        "vault:secret:aws/creds/deploy"
    ));
    // A token carries the policies it was issued with.
    assert!(read("vault:token:hmac-recon-8J2kVq3n", stripe));
}

#[test]
fn escalation_to_vault_admin() {
    let l = load();
    let escalates = |from: &str| has(&l, from, EdgeKind::CanEscalate, "vault:admin");
    // Rewriting a policy it holds.
    assert!(escalates("vault:role:jwt/deploy"));
    // auth/token/create with sudo mints tokens with any policy; without sudo only
    // children with a subset of its own.
    assert!(escalates("vault:role:kubernetes/ops"));
    assert!(!escalates("vault:role:approle/batch"));
    // Rewriting a policy it does not hold controls that policy, not Vault.
    assert!(has(
        &l,
        "vault:role:approle/batch",
        EdgeKind::CanControl,
        "vault:policy:metrics"
    ));
    assert!(has(
        &l,
        "vault:token:hmac-root-Zq7yT0pL",
        EdgeKind::AuthenticatesAs,
        "vault:admin"
    ));
    let g = &l.graph;
    let admin = g.find("vault:admin").expect("admin node");
    assert!(g.node(admin).admin);
}

#[test]
fn logins_follow_each_auth_method() {
    let l = load();
    let assumes = |from: &str, to: &str| has(&l, from, EdgeKind::CanAssume, to);
    // kubernetes: names × namespaces, `*` over the service accounts the inputs hold, a
    // namespace selector conditional (namespace labels are not read).
    assert!(assumes(
        "k8s:sa:payments/api",
        "vault:role:kubernetes/payments"
    ));
    assert!(!assumes(
        "k8s:sa:web/frontend",
        "vault:role:kubernetes/payments"
    ));
    assert!(assumes(
        "k8s:sa:monitoring/grafana",
        "vault:role:kubernetes/monitoring"
    ));
    let lines = edge_lines(&l);
    assert!(lines.contains(
        "k8s:sa:web/frontend -can_assume-> vault:role:kubernetes/monitoring (conditional)"
    ));
    // jwt: the job's subject satisfies bound_claims; a claim the subject does not tell is
    // a condition; a role bound to another organisation admits nothing of acme; a role
    // that binds nothing is open to every repository on GitHub.
    assert!(assumes(
        "workflow:deploy.yml#apply",
        "vault:role:jwt/deploy"
    ));
    assert!(
        lines.contains("workflow:deploy.yml#apply -can_assume-> vault:role:jwt/org (conditional)")
    );
    assert!(!assumes(
        "workflow:deploy.yml#apply",
        "vault:role:jwt/other-org"
    ));
    assert!(assumes("github:any-repo", "vault:role:jwt/any"));
    assert!(!assumes("github:any-repo", "vault:role:jwt/org"));
    // A claim the workflow's author chooses (environment) binds no repository.
    assert!(assumes("github:any-repo", "vault:role:jwt/env"));
    // Since Vault 1.17 a role without bound_audiences rejects GitHub's tokens.
    assert!(
        lines.contains(
            "workflow:deploy.yml#apply -can_assume-> vault:role:jwt/no-aud (conditional)"
        )
    );
    // Minting an AppRole's secret-ids logs in as it (with its role-id).
    assert!(lines.contains(
        "vault:role:kubernetes/monitoring -can_assume-> vault:role:approle/batch (conditional)"
    ));
    // A GitLab mount never admits GitHub jobs.
    assert!(!assumes(
        "workflow:deploy.yml#apply",
        "vault:role:gitlab/ci"
    ));
    // approle: secret-ids log in; the expired one is known but unusable.
    let g = &l.graph;
    let expired = g
        .find("vault:secret-id:approle/batch/7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f")
        .expect("secret-id");
    let at = AT.parse().expect("timestamp");
    assert!(
        !g.node(expired)
            .credential
            .as_ref()
            .expect("credential")
            .usable_at(at)
    );
    let live = g
        .find("vault:secret-id:approle/batch/0b2e6c1f-8a3d-4e5f-9a1b-2c3d4e5f6a7b")
        .expect("secret-id");
    assert!(
        g.node(live)
            .credential
            .as_ref()
            .expect("credential")
            .usable_at(at)
    );
}

#[test]
fn the_plan_prints_vaults_own_commands() {
    let input = fixtures();
    let commands = common::plan_commands(&input, "k8s:prod:sa:payments/api", &[]).join("\n");
    // KV v2: the CLI names the secret by mount and path, without the API's `data/`.
    assert!(
        commands.contains("vault kv put -mount=secret payments/stripe '<FIELD>'")
            || commands.contains("vault kv put -mount=secret payments/stripe <FIELD>"),
        "{commands}"
    );
    let commands = common::plan_commands(&input, "vault:token:hmac-recon-8J2kVq3n", &[]).join("\n");
    assert!(
        commands.contains("vault token revoke -accessor hmac-recon-8J2kVq3n"),
        "{commands}"
    );
    let commands = common::plan_commands(
        &input,
        "vault:secret-id:approle/batch/0b2e6c1f-8a3d-4e5f-9a1b-2c3d4e5f6a7b",
        &[],
    )
    .join("\n");
    assert!(
        commands.contains(
            "vault write auth/approle/role/batch/secret-id-accessor/destroy secret_id_accessor=0b2e6c1f-8a3d-4e5f-9a1b-2c3d4e5f6a7b"
        ),
        "{commands}"
    );
}

/// Every value the fixtures' KV reads and token lookups hold starts with this (a token
/// looked up by itself prints the token as `id`: `hvs.FIXTURE-KV-VALUE-…`).
const VALUE: &str = "FIXTURE-KV-VALUE";

#[test]
fn no_kv_value_reaches_any_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = dir.path().join("saved.graph.json");
    let saved_arg = saved.to_str().expect("utf-8");
    let input = fixtures();
    let input = input.to_str().expect("utf-8");
    let job = "github:workflow:acme/infra/.github/workflows/deploy.yml#apply";
    let runs: Vec<Vec<&str>> = vec![
        vec!["import", "--format", "text"],
        vec!["import", "--format", "json", "--save", saved_arg],
        vec!["blast", "-c", job, "--format", "json", "--paths"],
        vec![
            "blast",
            "-c",
            "k8s:prod:sa:ops/ops-bot",
            "--format",
            "csv",
            "--paths",
        ],
        vec!["plan", "-c", job, "--format", "json"],
        vec![
            "plan",
            "-c",
            "vault:token:hmac-root-Zq7yT0pL",
            "--format",
            "markdown",
        ],
        vec!["plan", "-c", "k8s:prod:sa:payments/api", "--format", "csv"],
        vec!["export", "--format", "dot"],
        vec!["export", "--format", "json"],
        vec![
            "path",
            job,
            "vault:secret:secret/data/payments/stripe",
            "--all",
        ],
    ];
    let written = common::assert_no_output_holds(input, &runs, &saved, &[VALUE]);
    assert!(written.contains("vault:secret:secret/data/payments/stripe"));
    // A KV read cut short: the error names the file and the place, not the value.
    let broken = dir.path().join("vault/kv/secret");
    std::fs::create_dir_all(&broken).expect("mkdir");
    std::fs::write(
        broken.join("db.json"),
        format!(r#"{{"data": {{"data": {{"password": "{VALUE}-broken" "#),
    )
    .expect("write");
    let (ok, text) = common::run_text(dir.path().to_str().expect("utf-8"), &["import"]);
    assert!(!ok);
    assert!(text.contains("db.json") && !text.contains(VALUE), "{text}");
}

#[test]
fn files_outside_the_export_tree_or_malformed_are_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let policies = dir.path().join("vault/policies");
    std::fs::create_dir_all(&policies).expect("mkdir");
    std::fs::write(
        policies.join("bad.hcl"),
        "path \"secret/*\" {\n  capabilities = [\"read\"\n",
    )
    .expect("write");
    let (ok, text) = common::run_text(dir.path().to_str().expect("utf-8"), &["import"]);
    assert!(
        !ok && text.contains("bad.hcl") && text.contains("policy bad"),
        "{text}"
    );
    // A number where an object belongs (a secret read with `-field`): not quoted back.
    let tokens = dir.path().join("vault/tokens");
    std::fs::create_dir_all(&tokens).expect("mkdir");
    std::fs::remove_file(policies.join("bad.hcl")).expect("rm");
    std::fs::write(
        tokens.join("pin.json"),
        r#"{"request_id": "x", "data": 987654321}"#,
    )
    .expect("write");
    let (ok, text) = common::run_text(dir.path().to_str().expect("utf-8"), &["import"]);
    assert!(
        !ok && text.contains("pin.json") && !text.contains("987654321"),
        "{text}"
    );
    // Vault output with no place to say what it is: skipped with a warning.
    let loose = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        loose.path().join("role.json"),
        r#"{"request_id": "x", "lease_id": "", "lease_duration": 0, "renewable": false, "data": {"token_policies": ["a"]}, "warnings": null}"#,
    )
    .expect("write");
    let (ok, text) = common::run_text(loose.path().to_str().expect("utf-8"), &["import"]);
    assert!(
        ok && text.contains("role.json: skipped: Vault output, but not in a vault/ export tree"),
        "{text}"
    );
}

/// The inventory's `cluster` column names a kubernetes mount's cluster when its
/// `kubernetes_host` (an EKS endpoint, an address) does not.
#[test]
fn the_inventory_names_a_mounts_cluster() {
    let dir = tempfile::tempdir().expect("temp dir");
    let inventory = dir.path().join("inventory.csv");
    std::fs::write(
        &inventory,
        "id_or_glob,owner,cluster\nvault:role:kubernetes/*,payments-team,staging\n",
    )
    .expect("write");
    let l = load_paths_with(
        &[fixtures(), inventory],
        AT.parse().expect("timestamp"),
        &mut |_| {},
    )
    .expect("loads");
    let g = &l.graph;
    let role = g.find("vault:role:kubernetes/payments").expect("role");
    let from: Vec<&str> = g.incoming(role).map(|(_, n)| g.key(n)).collect();
    assert!(from.contains(&"k8s:staging:sa:payments/api"), "{from:?}");
    assert!(!from.contains(&"k8s:prod:sa:payments/api"), "{from:?}");
}
