//! No secret value that an input holds reaches any output, saved file or message. A
//! distinctive value is planted wherever each supported format can carry one (workflow
//! `env:`, `with:` and `run:` text, a `gh api` listing with values, unknown fields and
//! columns of the native graph and the CSVs, an access key listing's extra field, a
//! Kubernetes Secret's `data` and `stringData` (raw and base64), the last-applied
//! annotation, a literal `env` value, a ConfigMap's data, a broken YAML export, a GCP key's
//! `privateKeyData` as `keys create` prints it), and every
//! command, in every format, is searched for it (and for its base64 form).

mod common;

use std::path::Path;

use common::trustpath;

const PLANTED: &str = "PLANTEDSECRETVALUE9f3k2";
/// `PLANTED` in base64, as a Secret's `data` holds it.
const PLANTED_B64: &str = "UExBTlRFRFNFQ1JFVFZBTFVFOWYzazI=";

/// `kubectl get` output of cluster `prodk8s` with the value wherever an object can hold one.
fn plant_k8s(root: &Path) {
    let dir = root.join("prodk8s");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let last_applied =
        format!(r#"{{"apiVersion":"v1","kind":"Secret","stringData":{{"token":"{PLANTED}"}}}}"#);
    let list = serde_json::json!({
        "apiVersion": "v1", "kind": "List", "metadata": { "resourceVersion": "" },
        "items": [
            { "apiVersion": "v1", "kind": "ServiceAccount",
              "metadata": { "name": "app", "namespace": "shop",
                            "annotations": { "kubectl.kubernetes.io/last-applied-configuration": last_applied.clone(),
                                             "acme.example/note": PLANTED } } },
            { "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
              "data": { "token": PLANTED_B64 }, "stringData": { "token": PLANTED },
              "metadata": { "name": "upstream", "namespace": "shop",
                            "annotations": { "kubectl.kubernetes.io/last-applied-configuration": last_applied } } },
            { "apiVersion": "v1", "kind": "ConfigMap", "data": { "settings": PLANTED },
              "metadata": { "name": "settings", "namespace": "shop" } },
            { "apiVersion": "v1", "kind": "ConfigMap",
              "data": { "mapRoles": format!("- rolearn: arn:aws:iam::111122223333:role/x\n  username: x\n  groups: [system:masters]\n  password: {PLANTED}\n") },
              "metadata": { "name": "aws-auth", "namespace": "kube-system" } },
            { "apiVersion": "v1", "kind": "Pod",
              "metadata": { "name": "app-0", "namespace": "shop" },
              "spec": { "serviceAccountName": "app", "nodeName": "n1",
                        "containers": [{ "name": "app", "env": [
                            { "name": "API_KEY", "value": PLANTED },
                            { "name": "TOKEN", "valueFrom": { "secretKeyRef": { "name": "upstream", "key": "token" } } }
                        ] }] } },
            { "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
              "metadata": { "name": "reads", "namespace": "shop" },
              "roleRef": { "kind": "ClusterRole", "name": "view" },
              "subjects": [{ "kind": "ServiceAccount", "name": "app", "namespace": "shop" }] }
        ]
    });
    std::fs::write(dir.join("all.json"), list.to_string()).expect("write");
    std::fs::write(
        dir.join("secrets.yaml"),
        format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: yaml-held\n    namespace: shop\n  data:\n    key: {PLANTED_B64}\n  stringData:\n    key: {PLANTED}\n"
        ),
    )
    .expect("write");
    // Broken YAML right at the value: the error names the place, never the text.
    std::fs::write(
        dir.join("broken.yaml"),
        format!("apiVersion: v1\nkind: Secret\ndata:\n  key: [{PLANTED}\n"),
    )
    .expect("write");
}

fn plant(root: &Path) {
    plant_k8s(root);
    // `gcloud iam service-accounts keys create --format=json` prints the private key.
    let keys = root.join("projects/p1/serviceAccounts/bot@p1.iam.gserviceaccount.com");
    std::fs::create_dir_all(&keys).expect("mkdir");
    std::fs::write(
        keys.join("keys.json"),
        format!(
            r#"[{{"keyType": "USER_MANAGED", "name": "projects/p1/serviceAccounts/bot@p1.iam.gserviceaccount.com/keys/k1", "validAfterTime": "2025-01-01T00:00:00Z", "validBeforeTime": "9999-12-31T23:59:59Z", "privateKeyData": "{PLANTED_B64}", "privateKeyType": "TYPE_GOOGLE_CREDENTIALS_FILE"}}]"#
        ),
    )
    .expect("write");
    let workflows = root.join("acme/web/.github/workflows");
    std::fs::create_dir_all(&workflows).expect("mkdir");
    std::fs::write(
        workflows.join("deploy.yml"),
        format!(
            "on: [push]
env:
  API_KEY: {PLANTED}
jobs:
  deploy:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
      contents: write
    env:
      TOKEN: {PLANTED}
    steps:
      - uses: evil/act@v1
        with:
          password: {PLANTED}
      - run: \"curl -H 'Authorization: token {PLANTED}' https://example.invalid ${{{{ secrets.DEPLOY }}}}\"
"
        ),
    )
    .expect("write");
    // A pwn request whose quoted lines hold a hard-coded token: the reason quotes the
    // line's place and its expressions, never the token.
    std::fs::write(
        workflows.join("pwn.yml"),
        format!(
            "on: issue_comment
jobs:
  run:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo \"${{{{ github.event.comment.body }}}}\" --token {PLANTED}
          git fetch https://bot:{PLANTED}@github.com/acme/web pull/1/head --auth={PLANTED}
"
        ),
    )
    .expect("write");
    // `gh api /repos/O/R/actions/variables`: variables carry values.
    std::fs::write(
        root.join("acme/web/variables.json"),
        format!(
            r#"{{"total_count": 1, "variables": [{{"name": "X", "value": "{PLANTED}"}}], "secrets": [{{"name": "DEPLOY", "value": "{PLANTED}"}}]}}"#
        ),
    )
    .expect("write");
    let graph = serde_json::json!({
        "schema": "trustpath/graph/v1",
        "nodes": [
            { "id": "arn:aws:iam::111122223333:user/bot", "kind": "service_account",
              "secret_value": PLANTED, "credential_value": { "nested": PLANTED } },
            { "id": "AKIAPLANTEDKEY000001", "kind": "credential",
              "credential": { "type": "access_key", "status": "Active", "secret_access_key": PLANTED } },
            { "id": "arn:aws:s3:::jewel", "kind": "resource", "criticality": 9 }
        ],
        "edges": [
            { "from": "AKIAPLANTEDKEY000001", "to": "arn:aws:iam::111122223333:user/bot",
              "kind": "authenticates_as", "value": PLANTED },
            { "from": "arn:aws:iam::111122223333:user/bot", "to": "arn:aws:s3:::jewel", "kind": "can_access" }
        ]
    });
    std::fs::write(root.join("planted.graph.json"), graph.to_string()).expect("write");
    std::fs::write(
        root.join("inventory.csv"),
        format!(
            "id_or_glob,owner,purpose,environment,criticality,password\narn:aws:s3:::jewel,data,,production,9,{PLANTED}\n"
        ),
    )
    .expect("write");
    std::fs::write(
        root.join("list-access-keys.bot.json"),
        format!(
            r#"{{"AccessKeyMetadata": [{{"UserName": "bot", "AccessKeyId": "AKIAPLANTEDKEY000002", "Status": "Active", "CreateDate": "2025-01-01T00:00:00Z", "SecretAccessKey": "{PLANTED}"}}]}}"#
        ),
    )
    .expect("write");
}

#[test]
fn no_planted_secret_value_reaches_any_output() {
    let inputs = tempfile::tempdir().expect("temp dir");
    plant(inputs.path());
    let out = tempfile::tempdir().expect("temp dir");
    let saved = out.path().join("saved.graph.json");
    let input = inputs.path().to_str().expect("utf-8");
    let saved_arg = saved.to_str().expect("utf-8");
    let c = "AKIAPLANTEDKEY000001";
    let runs: Vec<Vec<&str>> = vec![
        vec!["import", "--format", "text"],
        vec!["import", "--format", "json", "--save", saved_arg],
        vec!["blast", "-c", c, "--format", "text"],
        vec!["blast", "-c", c, "--format", "json", "--paths"],
        vec!["blast", "-c", c, "--format", "csv", "--paths"],
        vec!["plan", "-c", c, "--format", "text"],
        vec!["plan", "-c", c, "--format", "markdown"],
        vec!["plan", "-c", c, "--format", "json"],
        vec!["plan", "-c", c, "--format", "csv"],
        vec![
            "plan",
            "-c",
            "github:action:evil/act@v1",
            "--format",
            "json",
        ],
        vec!["export", "--format", "dot"],
        vec!["export", "--format", "json"],
        vec!["export", "--format", "graphml"],
        vec!["export", "--format", "opengraph"],
        vec!["export", "--format", "cypher"],
        vec!["export", "--format", "cypher", "--dialect", "falkordb"],
        vec!["path", c, "arn:aws:s3:::jewel", "--all"],
        vec![
            "blast",
            "-c",
            "k8s:prodk8s:sa:shop/app",
            "--format",
            "json",
            "--paths",
        ],
        vec![
            "plan",
            "-c",
            "k8s:prodk8s:pod:shop/app-0",
            "--format",
            "json",
        ],
        vec!["blast", "-c", PLANTED],
        vec!["-c", c],
    ];
    for args in runs {
        let (ok, text) = common::run_text(input, &args);
        // The run that names the value on its own command line may echo it back; no
        // other may show it.
        if args.contains(&PLANTED) {
            assert!(!ok);
            continue;
        }
        assert!(ok, "trustpath {args:?} failed:\n{text}");
        assert!(
            !text.contains(PLANTED) && !text.contains(PLANTED_B64),
            "trustpath {args:?} printed the secret:\n{text}"
        );
    }
    let written = std::fs::read_to_string(&saved).expect("saved graph");
    assert!(
        !written.contains(PLANTED) && !written.contains(PLANTED_B64),
        "the saved graph holds the secret"
    );
    // neo4j-csv writes files, not stdout: read them.
    let csv = out.path().join("neo4j");
    let (ok, text) = common::run_text(
        input,
        &[
            "export",
            "--format",
            "neo4j-csv",
            "--output",
            csv.to_str().expect("utf-8"),
        ],
    );
    assert!(ok, "neo4j-csv failed:\n{text}");
    for file in ["nodes.csv", "relationships.csv"] {
        let written = std::fs::read_to_string(csv.join(file)).expect("written");
        assert!(
            !written.contains(PLANTED) && !written.contains(PLANTED_B64),
            "{file} holds the secret"
        );
        assert!(written.lines().count() > 1, "{file} has rows");
    }
    assert!(
        written.contains("k8s:prodk8s:secret:shop/upstream")
            && written.contains("gcp:key:bot@p1.iam.gserviceaccount.com/k1"),
        "the Kubernetes and GCP exports were read"
    );
    // The saved graph read back prints nothing of it either.
    let again = trustpath()
        .args(["-i", saved_arg, "import"])
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&again.stderr).contains(PLANTED));
}
