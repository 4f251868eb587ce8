//! Kubernetes importer on `kubectl get -o json|yaml` fixtures (tests/fixtures/k8s/: a
//! JSON-and-YAML cluster `staging` with aws-auth, an access entry, a pod identity
//! association and the IAM roles they name; a YAML cluster `edge`): the derived edges,
//! compared with a golden list, each RBAC rule of the semantics checked on its own, and
//! no value of a fixture's Secrets in any output.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::{AT, trustpath};
use trustpath::import::{Loaded, load_paths_with};
use trustpath::model::EdgeKind;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s")
}

fn load() -> Loaded {
    load_paths_with(&[fixtures()], AT.parse().expect("timestamp"), &mut |_| {})
        .expect("fixtures load")
}

/// A key without its cluster or account prefix, for short lines.
fn short(key: &str) -> String {
    key.replace("k8s:staging:", "")
        .replace("arn:aws:iam::111122223333:", "")
}

fn edge_lines(loaded: &Loaded) -> BTreeSet<String> {
    common::edge_lines(loaded, short, |_| true)
}

/// Whether an edge of `kind` goes from `from` to `to` (short keys).
fn has(loaded: &Loaded, from: &str, kind: EdgeKind, to: &str) -> bool {
    let g = &loaded.graph;
    g.edge_ids().any(|e| {
        let (a, b) = g.endpoints(e);
        g.edge(e).kind == kind && short(g.key(a)) == from && short(g.key(b)) == to
    })
}

#[test]
fn edges_match_the_golden_list() {
    common::assert_golden(&edge_lines(&load()), "k8s.edges");
}

#[test]
fn rbac_follows_the_api_servers_semantics() {
    let l = load();
    // resourceNames narrows a rule to the Secrets it names.
    assert!(has(
        &l,
        "sa:web/api",
        EdgeKind::CanRead,
        "secret:web/db-password"
    ));
    assert!(!has(
        &l,
        "sa:web/api",
        EdgeKind::CanRead,
        "secret:web/worker-token"
    ));
    // A RoleBinding to a ClusterRole grants it in the binding's namespace only.
    assert!(has(
        &l,
        "user:alice@acme.example",
        EdgeKind::CanControl,
        "pod:web/quiet-0"
    ));
    assert!(!has(
        &l,
        "user:alice@acme.example",
        EdgeKind::CanControl,
        "pod:batch/debug"
    ));
    // Aggregation: `ops` takes the rules of the ClusterRoles its selector matches, and
    // only those (not-aggregated holds `*` but has another label).
    assert!(has(
        &l,
        "group:ops-team",
        EdgeKind::CanRead,
        "secret:batch/report-api-key"
    ));
    assert!(!has(
        &l,
        "group:ops-team",
        EdgeKind::CanAssume,
        "cluster-admin"
    ));
    // A ClusterRoleBinding to a Role, and a binding to a missing role, grant nothing.
    let g = &l.graph;
    let quiet = g.find("k8s:staging:sa:web/quiet").expect("quiet");
    let granted: Vec<_> = g
        .outgoing(quiet)
        .filter(|(e, _)| g.edge(*e).kind != EdgeKind::MemberOf)
        .map(|(e, _)| g.edge(e).reason.to_string())
        .collect();
    assert!(
        granted.is_empty(),
        "web/quiet is granted nothing: {granted:#?}"
    );
    let warned = |text: &str| l.warnings.iter().any(|w| w.message.contains(text));
    assert!(warned(
        "ClusterRoleBinding invalid-to-role refers to Role secret-reader"
    ));
    assert!(warned(
        "refers to ClusterRole deleted-long-ago, which is not in the inputs"
    ));
    // automountServiceAccountToken: false, on the pod or its service account, leaves
    // the pod without the account's token.
    assert!(!has(
        &l,
        "pod:web/quiet-0",
        EdgeKind::RunsAs,
        "sa:web/quiet"
    ));
    assert!(!has(
        &l,
        "pod:batch/debug",
        EdgeKind::RunsAs,
        "sa:batch/robot"
    ));
    assert!(has(
        &l,
        "pod:web/api-7d9f8c6b5-x2x4q",
        EdgeKind::RunsAs,
        "sa:web/api"
    ));
    // ... but an IRSA account's identity reaches its pods without the token mounted.
    assert!(has(
        &l,
        "pod:web/api-migrate",
        EdgeKind::RunsAs,
        "sa:web/api"
    ));
    // Escalations: create deployments → any service account of the namespace;
    // impersonating system:masters → cluster-admin; a privileged pod → its node → every
    // pod on it.
    assert!(has(
        &l,
        "sa:batch/ci",
        EdgeKind::CanEscalate,
        "sa:batch/robot"
    ));
    assert!(!has(&l, "sa:batch/ci", EdgeKind::CanEscalate, "sa:web/api"));
    assert!(has(
        &l,
        "sa:batch/robot",
        EdgeKind::CanEscalate,
        "cluster-admin"
    ));
    assert!(has(
        &l,
        "pod:batch/debug",
        EdgeKind::CanEscalate,
        "node:ip-10-0-1-17.ec2.internal"
    ));
    assert!(!has(
        &l,
        "pod:web/quiet-0",
        EdgeKind::CanEscalate,
        "node:ip-10-0-2-33.ec2.internal"
    ));
    // serviceaccounts/token narrowed by resourceNames; bind + create rolebindings is
    // everything in the namespace, bind alone nothing; escalate + update clusterroles
    // is cluster-admin; nodes/proxy reaches every node; patch narrowed to one
    // Deployment; impersonation of one user and of every service account in scope.
    assert!(has(
        &l,
        "sa:tools/minter",
        EdgeKind::CanAssume,
        "sa:web/api"
    ));
    assert!(!has(
        &l,
        "sa:tools/minter",
        EdgeKind::CanAssume,
        "sa:web/worker"
    ));
    assert!(has(
        &l,
        "sa:tools/binder",
        EdgeKind::CanEscalate,
        "sa:batch/robot"
    ));
    assert!(has(
        &l,
        "sa:tools/binder",
        EdgeKind::CanControl,
        "cronjob:batch/report"
    ));
    assert!(!has(
        &l,
        "sa:tools/binder",
        EdgeKind::CanEscalate,
        "sa:web/api"
    ));
    let half = g
        .find("k8s:staging:sa:tools/half-binder")
        .expect("half-binder");
    assert_eq!(
        g.outgoing(half).count(),
        0,
        "bind without writing bindings grants nothing"
    );
    assert!(has(
        &l,
        "sa:tools/escalator",
        EdgeKind::CanEscalate,
        "cluster-admin"
    ));
    assert!(has(
        &l,
        "sa:tools/kubelet-proxy",
        EdgeKind::CanControl,
        "node:ip-10-0-2-33.ec2.internal"
    ));
    assert!(has(
        &l,
        "sa:tools/patcher",
        EdgeKind::CanControl,
        "deployment:web/api"
    ));
    assert!(!has(
        &l,
        "sa:tools/patcher",
        EdgeKind::CanControl,
        "replicaset:web/api-7d9f8c6b5"
    ));
    // Users are cluster-scoped: a RoleBinding cannot grant impersonating them.
    assert!(!has(
        &l,
        "sa:tools/impersonator",
        EdgeKind::CanAssume,
        "user:alice@acme.example"
    ));
    assert!(has(
        &l,
        "sa:tools/impersonator",
        EdgeKind::CanAssume,
        "sa:web/worker"
    ));
    assert!(!has(
        &l,
        "sa:tools/impersonator",
        EdgeKind::CanAssume,
        "sa:batch/robot"
    ));
    // A group of service accounts: its members get its grants.
    assert!(has(
        &l,
        "sa:web/worker",
        EdgeKind::MemberOf,
        "group:system:serviceaccounts:web"
    ));
    assert!(has(
        &l,
        "group:system:serviceaccounts:web",
        EdgeKind::CanRead,
        "secret:web/db-password"
    ));
    // A legacy token Secret is a long-lived credential of its service account.
    let token = g
        .find("k8s:staging:secret:web/worker-token")
        .expect("token");
    let cred = g.node(token).credential.expect("a credential");
    assert_eq!(cred.kind, Some("service_account_token"));
    assert!(cred.last_used.is_some());
    assert!(has(
        &l,
        "secret:web/worker-token",
        EdgeKind::AuthenticatesAs,
        "sa:web/worker"
    ));
}

#[test]
fn cloud_identities_follow_the_trust_that_exists() {
    let l = load();
    // IRSA: web/api's role trusts the cluster's OIDC provider for system:serviceaccount:web:api.
    assert!(has(&l, "sa:web/api", EdgeKind::CanAssume, "role/web-api"));
    // web/worker's role trusts another subject: no edge, and a warning says why.
    assert!(!has(
        &l,
        "sa:web/worker",
        EdgeKind::CanAssume,
        "role/web-worker"
    ));
    assert!(l.warnings.iter().any(|w| {
        w.message
            .contains("does not accept system:serviceaccount:web:worker")
    }));
    // aws-auth: system:masters is cluster-admin; EKS access entries and pod identity.
    assert!(has(
        &l,
        "role/eks-admin",
        EdgeKind::CanAssume,
        "cluster-admin"
    ));
    assert!(has(
        &l,
        "role/ci-deployer",
        EdgeKind::CanAssume,
        "group:batch-deployers"
    ));
    assert!(has(
        &l,
        "sa:batch/default",
        EdgeKind::CanAssume,
        "role/batch-reports"
    ));
    // GKE workload identity, conditional on the GCP binding that is not loaded.
    let lines = edge_lines(&l);
    assert!(lines.contains("sa:batch/ci -can_assume-> gcp:sa:reporter@acme-analytics.iam.gserviceaccount.com (conditional)"));
    // Azure workload identity: conditional on the federated credential.
    assert!(lines.contains("sa:tools/azure-sync -can_assume-> azure:app:00000000-0000-4000-8000-00000000a2e1 (conditional)"));
    // The YAML cluster is named by its directory.
    assert!(has(
        &l,
        "k8s:edge:sa:telemetry/collector",
        EdgeKind::CanAssume,
        "k8s:edge:cluster-admin"
    ));
}

/// Every command of the JSON plan for `compromised` over the fixtures.
fn plan_commands(compromised: &str) -> Vec<String> {
    common::plan_commands(&fixtures(), compromised, &[])
}

#[test]
fn a_compromised_pod_is_stopped_after_its_spec_is_kept() {
    let commands = plan_commands("k8s:staging:pod:batch/debug");
    let keep = commands.iter().position(|c| {
        c.starts_with("kubectl --context staging get pod debug -n batch -o yaml > debug.pod.yaml")
    });
    let delete = commands
        .iter()
        .position(|c| c.starts_with("kubectl --context staging delete pod debug -n batch"));
    assert!(
        matches!((keep, delete), (Some(k), Some(d)) if k < d),
        "{commands:#?}"
    );
    let scale = plan_commands("k8s:staging:deployment:web/api");
    assert!(
        scale
            .iter()
            .any(|c| c
                .starts_with("kubectl --context staging scale deployment api -n web --replicas=0")),
        "{scale:#?}"
    );
}

#[test]
fn plan_commands_name_the_cluster_and_the_binding() {
    let commands = plan_commands("k8s:staging:user:alice@acme.example");
    assert!(
        commands
            .iter()
            .any(|c| c == "kubectl --context staging delete rolebinding alice-exec -n web"),
        "{commands:#?}"
    );
}

/// Every value a fixture's Secrets, annotations or env carry (`PLANTED-…`), and its
/// base64 form.
fn planted_values() -> Vec<String> {
    let mut values = BTreeSet::new();
    for dir in ["staging", "edge"] {
        for entry in std::fs::read_dir(fixtures().join(dir)).expect("dir") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
            for (i, _) in text.match_indices("PLANTED-") {
                let value: String = text[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                values.insert(value);
            }
        }
    }
    let mut all: Vec<String> = values.iter().cloned().collect();
    all.extend(values.iter().map(|v| common::base64(v.as_bytes())));
    assert!(all.len() >= 10, "planted values found: {all:?}");
    all
}

#[test]
fn no_secret_value_of_a_fixture_reaches_any_output() {
    let values = planted_values();
    let input = fixtures();
    let input = input.to_str().expect("utf-8");
    let out = tempfile::tempdir().expect("temp dir");
    let saved = out.path().join("saved.json");
    let saved_arg = saved.to_str().expect("utf-8");
    let c = "k8s:staging:pod:batch/debug";
    let runs: Vec<Vec<&str>> = vec![
        vec!["import", "--save", saved_arg],
        vec!["import", "--format", "json"],
        vec!["blast", "-c", c, "--format", "json", "--paths"],
        vec!["blast", "-c", c, "--format", "csv", "--paths"],
        vec!["plan", "-c", c, "--format", "markdown"],
        vec!["plan", "-c", c, "--format", "json"],
        vec!["export", "--format", "dot"],
        vec!["export", "--format", "json"],
    ];
    for args in runs {
        let (ok, text) = common::run_text(input, &args);
        assert!(ok, "{args:?}: {text}");
        for v in &values {
            assert!(!text.contains(v.as_str()), "trustpath {args:?} printed {v}");
        }
    }
    let written = std::fs::read_to_string(&saved).expect("saved");
    for v in &values {
        assert!(!written.contains(v.as_str()), "the saved graph holds {v}");
    }
}

#[test]
fn cluster_names_the_export_when_given() {
    let file = fixtures().join("edge/all.yaml");
    let out = trustpath()
        .args(["-i", file.to_str().expect("utf-8"), "--cluster", "prod-eu"])
        .args(["export", "--format", "json"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\"k8s:prod-eu:sa:telemetry/collector\""),
        "{text}"
    );
    assert!(!text.contains("k8s:edge:"), "{text}");
}

/// A GAAD with `role/ops/deployer` (a path) trusted by two EKS issuers for
/// `system:serviceaccount:app:api`, and a cluster whose aws-auth names the role without
/// its path, as aws-auth must.
fn paths_and_issuers(root: &std::path::Path) {
    let trust = |issuer: &str| {
        serde_json::json!({ "Effect": "Allow",
            "Principal": { "Federated": format!("arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/{issuer}") },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": { "StringEquals": { format!("oidc.eks.us-east-1.amazonaws.com/id/{issuer}:sub"): "system:serviceaccount:app:api" } } })
    };
    let gaad = serde_json::json!({ "UserDetailList": [], "GroupDetailList": [], "Policies": [],
        "RoleDetailList": [{ "Path": "/ops/", "RoleName": "deployer", "RoleId": "AROAEXAMPLEPATH00001",
            "Arn": "arn:aws:iam::111122223333:role/ops/deployer", "CreateDate": "2025-01-01T00:00:00Z",
            "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [trust("AAAA"), trust("BBBB")] },
            "InstanceProfileList": [], "RolePolicyList": [], "AttachedManagedPolicies": [], "Tags": [] }] });
    std::fs::create_dir_all(root.join("aws")).expect("mkdir");
    std::fs::write(root.join("aws/gaad.json"), gaad.to_string()).expect("write");
    let cluster = serde_json::json!({ "apiVersion": "v1", "kind": "List", "items": [
        { "apiVersion": "v1", "kind": "ServiceAccount",
          "metadata": { "name": "api", "namespace": "app",
                        "annotations": { "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/ops/deployer" } } },
        { "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "aws-auth", "namespace": "kube-system" },
          "data": { "mapRoles": "- rolearn: arn:aws:iam::111122223333:role/deployer\n  username: deployer\n  groups: [system:masters]\n" } }
    ]});
    std::fs::create_dir_all(root.join("blue")).expect("mkdir");
    std::fs::write(root.join("blue/cluster.json"), cluster.to_string()).expect("write");
}

#[test]
fn aws_auth_finds_a_role_with_a_path_and_irsa_says_which_issuer_it_assumed() {
    let dir = tempfile::tempdir().expect("temp dir");
    paths_and_issuers(dir.path());
    let l = load_paths_with(
        &[dir.path().to_path_buf()],
        AT.parse().expect("time"),
        &mut |_| {},
    )
    .expect("loads");
    let g = &l.graph;
    let role = g
        .find("arn:aws:iam::111122223333:role/ops/deployer")
        .expect("role");
    let admin = g.find("k8s:blue:cluster-admin").expect("admin");
    assert!(
        g.outgoing(role).any(|(_, to)| to == admin),
        "aws-auth's path-less ARN is the role with its path"
    );
    assert!(
        g.find("arn:aws:iam::111122223333:role/deployer").is_none(),
        "no second node"
    );
    let sa = g.find("k8s:blue:sa:app/api").expect("sa");
    let irsa = g
        .outgoing(sa)
        .find(|(_, to)| *to == role)
        .map(|(e, _)| g.edge(e))
        .expect("the IRSA edge");
    assert!(
        irsa.conditions
            .iter()
            .any(|c| c.description.contains("is the OIDC issuer of cluster blue")),
        "two issuers trust the subject: the edge says which it assumed: {:?}",
        irsa.conditions
    );
}

#[test]
fn a_pipe_names_no_cluster() {
    let out = trustpath()
        .args(["-i", "/dev/stdin", "import"])
        .write_stdin(r#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"x","namespace":"y"}}"#)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("give --cluster NAME"), "{stderr}");
}
