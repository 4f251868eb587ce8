//! GCP importer on `gcloud … --format=json` fixtures in gcloud's resource-name layout
//! (tests/fixtures/gcp/): the derived edges against a golden list, and each rule of the
//! semantics on its own: inheritance through nested folders, service-account roles at
//! project and folder level, custom roles (an escalating one, a harmless one, one its
//! holder can rewrite with iam.roles.update, one with only implicitDelegation), IAM
//! conditions (expired, other), `deleted:` members, a disabled account, disabled,
//! expired and system-managed keys, allUsers; workload identity federation (a provider
//! with a condition, one without, a disabled one) with a GitHub workflow; Cloud Asset
//! Inventory search results and an export.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::AT;
use trustpath::import::{Loaded, load_paths_with};
use trustpath::model::EdgeKind;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gcp")
}

fn load() -> Loaded {
    load_paths_with(&[fixtures()], AT.parse().expect("timestamp"), &mut |_| {})
        .expect("fixtures load")
}

fn short(key: &str) -> String {
    key.replace("gcp:", "")
        .replace("@acme-prod.iam.gserviceaccount.com", "")
        .replace("@acme-sandbox.iam.gserviceaccount.com", "@sandbox")
}

fn edge_lines(loaded: &Loaded) -> BTreeSet<String> {
    common::edge_lines(loaded, short, |_| true)
}

/// The edge of `kind` from `from` to `to` (short keys), if any.
fn edge<'l>(
    l: &'l Loaded,
    from: &str,
    kind: EdgeKind,
    to: &str,
) -> Option<trustpath::model::EdgeRef<'l>> {
    common::find_edge(l, short, from, kind, to)
}

#[test]
fn edges_match_the_golden_list() {
    common::assert_golden(&edge_lines(&load()), "gcp.edges");
}

#[test]
fn bindings_follow_googles_semantics() {
    let l = load();
    // Token Creator on folder 111 covers the accounts of acme-prod, two folders down,
    // and not those of acme-sandbox, which is outside it.
    assert!(edge(&l, "sa:ci@sandbox", EdgeKind::CanAssume, "sa:reporter").is_some());
    assert!(edge(&l, "sa:ci@sandbox", EdgeKind::CanAssume, "sa:ci@sandbox").is_none());
    // A custom role with serviceAccountKeys.create escalates; a log reader does not.
    assert!(edge(&l, "sa:deployer", EdgeKind::CanEscalate, "sa:app").is_some());
    let g = &l.graph;
    let reporter = g
        .find("gcp:sa:reporter@acme-prod.iam.gserviceaccount.com")
        .expect("reporter");
    let escalations = g
        .outgoing(reporter)
        .filter(|(e, _)| g.edge(*e).kind == EdgeKind::CanEscalate)
        .count();
    assert_eq!(escalations, 0, "logReader grants nothing that escalates");
    // actAs with run.jobs.create (roles/run.developer) runs code as any account of the
    // project.
    let act = edge(&l, "sa:deployer", EdgeKind::CanEscalate, "sa:reporter");
    assert!(act.is_some());
    // An expired condition grants nothing; another condition is carried on the edge.
    assert!(
        edge(
            &l,
            "sa:app",
            EdgeKind::CanRead,
            "secret:projects/acme-prod/secrets/db-password"
        )
        .is_none()
    );
    let conditional =
        edge(&l, "sa:app", EdgeKind::CanAccess, "bucket:acme-public").expect("conditional access");
    assert!(
        conditional.conditions[0]
            .description
            .contains("only reports/"),
        "{:?}",
        conditional.conditions
    );
    // deleted: members grant nothing.
    assert!(
        g.find("gcp:sa:old-ci@acme-prod.iam.gserviceaccount.com")
            .is_none()
    );
    // A disabled account can be neither impersonated nor used.
    let frozen = edge(&l, "sa:reporter", EdgeKind::CanAssume, "sa:frozen").expect("edge kept");
    assert!(frozen.dormant);
    // A member that can rewrite the custom role it holds (iam.roles.update on its project)
    // can give itself anything where it holds it; a harmless role stays harmless to
    // everyone else.
    let rewrite = edge(&l, "user:carol@acme.example", EdgeKind::CanAssume, "sa:app")
        .expect("roles.update escalates");
    assert_eq!(rewrite.technique, Some("iam.roles.update"));
    assert!(
        edge(
            &l,
            "sa:reporter",
            EdgeKind::CanAccess,
            "secret:projects/acme-prod/secrets/api-token"
        )
        .is_none()
    );
    // implicitDelegation on reporter reaches what reporter can impersonate (app), not
    // reporter itself.
    assert!(edge(&l, "user:dave@acme.example", EdgeKind::CanAssume, "sa:app").is_some());
    assert!(
        edge(
            &l,
            "user:dave@acme.example",
            EdgeKind::CanAssume,
            "sa:reporter"
        )
        .is_none()
    );
    // Every account of a project is a member of its `…/type/ServiceAccount` set.
    assert!(
        edge(
            &l,
            "sa:legacy-ci",
            EdgeKind::MemberOf,
            "principal-set:cloudresourcemanager.googleapis.com/projects/444400001111/type/ServiceAccount"
        )
        .is_some()
    );
    // allUsers reads the public bucket.
    assert!(edge(&l, "any-user", EdgeKind::CanAccess, "bucket:acme-public").is_some());
    // Organization admins (setIamPolicy) can grant themselves anything below.
    assert!(
        edge(
            &l,
            "group:gcp-admins@acme.example",
            EdgeKind::CanEscalate,
            "sa:app"
        )
        .is_some()
    );
}

#[test]
fn keys_are_credentials_only_when_user_managed() {
    let l = load();
    let g = &l.graph;
    let at: jiff::Timestamp = AT.parse().expect("time");
    let key = |id: &str| {
        g.find(&format!(
            "gcp:key:reporter@acme-prod.iam.gserviceaccount.com/{id}"
        ))
        .map(|n| g.node(n))
    };
    let live = key("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678").expect("user-managed key");
    assert!(live.usable_at(at) && live.is_long_lived_credential());
    // Last use from `policy-intelligence query-activity`.
    let used = live.credential.as_ref().and_then(|c| c.last_used);
    assert_eq!(used, Some("2026-11-20T07:00:00Z".parse().expect("time")));
    let disabled = key("b1b2c3d4e5f60718293a4b5c6d7e8f9012345678").expect("disabled key");
    assert!(!disabled.usable_at(at));
    let expired = key("c1b2c3d4e5f60718293a4b5c6d7e8f9012345678").expect("expired key");
    assert!(!expired.usable_at(at));
    assert!(
        key("d1b2c3d4e5f60718293a4b5c6d7e8f9012345678").is_none(),
        "system-managed keys are not copyable credentials"
    );
    let sa = g
        .find("gcp:sa:reporter@acme-prod.iam.gserviceaccount.com")
        .expect("sa");
    assert_eq!(g.node(sa).tags.get("system_managed_keys"), Some("1"));
}

#[test]
fn commands_name_the_account_by_email_and_the_binding_exactly() {
    let commands = common::plan_commands(
        &fixtures(),
        "gcp:sa:ci@acme-sandbox.iam.gserviceaccount.com",
        &[],
    );
    assert!(
        commands.iter().any(|c| c.starts_with(
            "gcloud resource-manager folders remove-iam-policy-binding 111 --member=serviceAccount:ci@acme-sandbox.iam.gserviceaccount.com --role=roles/iam.serviceAccountTokenCreator --all"
        )) || commands.iter().any(|c| c.starts_with("gcloud iam service-accounts disable ci@acme-sandbox.iam.gserviceaccount.com")),
        "{commands:#?}"
    );
    assert!(
        !commands.iter().any(|c| c.contains("--iam-account=ci ")),
        "{commands:#?}"
    );
}

#[test]
fn gke_members_link_the_kubernetes_service_accounts_and_domains_their_users() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = dir.path().join("gke-prod");
    std::fs::create_dir_all(&cluster).expect("mkdir");
    std::fs::write(
        cluster.join("sa.json"),
        r#"{"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "api", "namespace": "payments"}}]}"#,
    )
    .expect("write");
    let l = load_paths_with(
        &[fixtures(), dir.path().to_path_buf()],
        AT.parse().expect("time"),
        &mut |_| {},
    )
    .expect("loads");
    let sa = edge(
        &l,
        "k8s:gke-prod:sa:payments/api",
        EdgeKind::CanAssume,
        "wi:acme-prod.svc.id.goog[payments/api]",
    )
    .expect("the Kubernetes account is the member");
    assert!(
        sa.conditions[0]
            .description
            .contains("workload pool acme-prod.svc.id.goog")
    );
    assert!(
        edge(
            &l,
            "user:alice@acme.example",
            EdgeKind::MemberOf,
            "domain:acme.example"
        )
        .is_some()
    );
}

/// The GCP fixtures with a GitHub workflow of `acme/web` whose job can mint an OIDC
/// token on pushes to main, and the secret it can reach marked a crown jewel.
fn with_workflow() -> (tempfile::TempDir, Loaded) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("inventory.csv"),
        "id_or_glob,owner,purpose,environment,criticality\ngcp:secret:projects/acme-prod/secrets/db-password,payments,database password,production,9\n",
    )
    .expect("write");
    let workflows = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gcp-github");
    let l = load_paths_with(
        &[fixtures(), workflows, dir.path().to_path_buf()],
        AT.parse().expect("time"),
        &mut |_| {},
    )
    .expect("loads");
    (dir, l)
}

const POOLS: &str =
    "iam.googleapis.com/projects/444400001111/locations/global/workloadIdentityPools";

#[test]
fn federation_follows_the_providers_condition_and_mapping() {
    let (_dir, l) = with_workflow();
    let job = "github:workflow:acme/web/.github/workflows/deploy.yml#deploy";
    let repo_set = format!("principal-set:{POOLS}/github/attribute.repository/acme/web");
    let subject = format!("principal:{POOLS}/github/subject/repo:acme/web:ref:refs/heads/main");
    let legacy = format!("principal-set:{POOLS}/legacy/*");
    // The job's token (repository acme/web, owner acme, ref main) passes
    // `assertion.repository_owner == 'acme'` and maps to both principals, outright.
    for to in [&repo_set, &subject] {
        let e = edge(&l, job, EdgeKind::CanAssume, to).expect("job → principal");
        assert!(e.conditions.is_empty(), "{:?}", e.conditions);
    }
    // Pinned to the owner: any repository of acme reaches what the owner's principal set
    // holds, if the attacker can push a workflow there; the job reaches it outright.
    let owner_set = format!("principal-set:{POOLS}/github/attribute.repository_owner/acme");
    let any_acme = edge(&l, "github:any-repo:acme", EdgeKind::CanAssume, &owner_set)
        .expect("any repository of acme");
    assert!(
        any_acme.conditions[0]
            .description
            .contains("a repository of acme")
    );
    assert!(
        edge(&l, job, EdgeKind::CanAssume, &owner_set).is_some_and(|e| e.conditions.is_empty())
    );
    // A provider with no condition on GitHub's shared issuer lets any repository in.
    let open = edge(&l, "github:any-repo", EdgeKind::CanAssume, &legacy).expect("world-assumable");
    assert!(
        open.reason.contains("no attributeCondition"),
        "{}",
        open.reason
    );
    // Nobody outside acme passes the acme provider: not a stranger, not evil/fork,
    // although a principal set names it.
    let g = &l.graph;
    let any = g.find("github:any-repo").expect("any-repo");
    assert!(
        g.outgoing(any)
            .all(|(_, to)| g.key(to).contains("/legacy/")),
        "a stranger reaches only the legacy pool"
    );
    assert!(g.find("github:repo:evil/fork").is_none());
    // A disabled provider's edges stay, dormant.
    let retired = "wif-provider:projects/444400001111/locations/global/workloadIdentityPools/legacy/providers/retired";
    assert!(
        edge(&l, retired, EdgeKind::CanAssume, &legacy)
            .expect("kept")
            .dormant
    );
    // Through the principals: the deployer account, and the secret granted by subject.
    let blast = trustpath::analysis::BlastRadius::compute(
        g,
        &[g.find(job).expect("job")],
        AT.parse().expect("time"),
    );
    let reached: BTreeSet<String> = blast.reached.iter().map(|r| short(g.key(r.node))).collect();
    for key in [
        "sa:deployer",
        "sa:legacy-ci",
        "secret:projects/acme-prod/secrets/db-password",
    ] {
        assert!(reached.contains(key), "{key} in {reached:#?}");
    }
}

#[test]
fn a_federated_principals_grant_is_removed_with_its_exact_member() {
    let (dir, _) = with_workflow();
    let workflows = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gcp-github");
    let commands = common::plan_commands(
        &fixtures(),
        "github:workflow:acme/web/.github/workflows/deploy.yml#deploy",
        // (All three after the subcommand: clap's values there replace those before it.)
        &[
            "-i",
            fixtures().to_str().expect("utf-8"),
            "-i",
            workflows.to_str().expect("utf-8"),
            "-i",
            dir.path().to_str().expect("utf-8"),
        ],
    );
    let cut = commands.iter().any(|c| {
        c.starts_with("gcloud secrets remove-iam-policy-binding db-password --project=acme-prod --member=principal://iam.googleapis.com/projects/444400001111/locations/global/workloadIdentityPools/github/subject/repo:acme/web:ref:refs/heads/main --role=roles/secretmanager.secretAccessor")
    });
    assert!(cut, "{commands:#?}");
    assert!(
        !commands
            .iter()
            .any(|c| c.contains("--iam-account=iam.googleapis.com")),
        "workload identity principals have no keys to list: {commands:#?}"
    );
}

#[test]
fn cloud_asset_inventory_is_resolved_against_the_listings() {
    let l = load();
    // search-all-iam-policies: an account by unique id, a secret by project number, a
    // bucket placed by the result's project.
    assert!(
        edge(
            &l,
            "user:bob@acme.example",
            EdgeKind::CanAssume,
            "sa:reporter"
        )
        .is_some()
    );
    assert!(
        edge(
            &l,
            "sa:app",
            EdgeKind::CanRead,
            "secret:projects/acme-prod/secrets/api-token"
        )
        .is_some()
    );
    assert!(
        edge(
            &l,
            "group:auditors@acme.example",
            EdgeKind::CanAccess,
            "bucket:acme-audit-logs"
        )
        .is_some()
    );
    // An account no listing names is a warning, not a guess.
    assert!(
        l.warnings
            .iter()
            .any(|w| w.message.contains("unique id 119999999999999999")),
        "{:?}",
        l.warnings
    );
    // asset export (NDJSON): the project's number is its id's, its ancestors nest it
    // under folder 333 under 111, so a grant on 111 holds there.
    assert!(
        edge(
            &l,
            "sa:ci@sandbox",
            EdgeKind::CanAccess,
            "project:acme-data"
        )
        .is_some()
    );
    assert!(
        edge(
            &l,
            "any-google-account",
            EdgeKind::CanAccess,
            "topic:projects/acme-data/topics/orders"
        )
        .is_some()
    );
    assert!(l.graph.find("gcp:project:444400003333").is_none());
    // An exported bucket is placed by its ancestors: grants above its project reach it.
    assert!(
        edge(
            &l,
            "group:gcp-admins@acme.example",
            EdgeKind::CanAccess,
            "bucket:acme-data-exports"
        )
        .is_some()
    );
}

/// A key file, a `keys create --format=json` output and a Secret Manager `versions
/// access` output among the inputs: their private parts (`PLANTED-…`, and base64 of
/// them) reach no output, while the key file's key becomes a credential.
#[test]
fn no_private_key_or_secret_payload_reaches_any_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let planted = [
        "PLANTED-GCP-PRIVATE-KEY",
        "PLANTED-GCP-KEY-DATA",
        "PLANTED-GCP-SECRET-PAYLOAD",
    ];
    let b64 = |s: &str| common::base64(s.as_bytes());
    let files = [
        (
            "key.json",
            format!(
                r#"{{"type": "service_account", "project_id": "acme-prod", "private_key_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c", "private_key": "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", "client_email": "reporter@acme-prod.iam.gserviceaccount.com", "client_id": "110010859850023775", "token_uri": "https://oauth2.googleapis.com/token"}}"#,
                planted[0]
            ),
        ),
        (
            "new-key.json",
            format!(
                r#"{{"keyAlgorithm": "KEY_ALG_RSA_2048", "keyOrigin": "GOOGLE_PROVIDED", "keyType": "USER_MANAGED", "name": "projects/acme-prod/serviceAccounts/app@acme-prod.iam.gserviceaccount.com/keys/9a8b7c6d5e4f", "privateKeyData": "{}", "privateKeyType": "TYPE_GOOGLE_CREDENTIALS_FILE", "validAfterTime": "2026-11-24T10:00:00Z", "validBeforeTime": "9999-12-31T23:59:59Z"}}"#,
                b64(planted[1])
            ),
        ),
        (
            "secret-version.json",
            format!(
                r#"{{"name": "projects/444400001111/secrets/db-password/versions/3", "payload": {{"data": "{}", "dataCrc32c": "2821417446"}}}}"#,
                b64(planted[2])
            ),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let values: Vec<String> = planted
        .iter()
        .flat_map(|p| [p.to_string(), b64(p)])
        .filter(|v| !v.is_empty())
        .collect();
    let saved = dir.path().join("out").join("saved.json");
    std::fs::create_dir_all(saved.parent().expect("parent")).expect("mkdir");
    let (fixtures, planted_dir) = (fixtures(), dir.path().to_path_buf());
    let inputs = [
        "-i",
        fixtures.to_str().expect("utf-8"),
        "-i",
        planted_dir.to_str().expect("utf-8"),
    ];
    let key = "gcp:key:reporter@acme-prod.iam.gserviceaccount.com/0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
    let runs: Vec<Vec<&str>> = vec![
        vec!["import", "--save", saved.to_str().expect("utf-8")],
        vec!["import", "--format", "json"],
        vec!["blast", "-c", key, "--format", "json", "--paths"],
        vec!["blast", "-c", key, "--format", "csv", "--paths"],
        vec!["plan", "-c", key, "--format", "markdown"],
        vec!["plan", "-c", key, "--format", "json"],
        vec!["export", "-c", key, "--format", "dot"],
        vec!["export", "--format", "json"],
    ];
    for mut args in runs {
        args.extend(inputs);
        let (ok, text) = common::run_text(dir.path().to_str().expect("utf-8"), &args);
        assert!(ok, "{args:?}: {text}");
        for v in &values {
            assert!(!text.contains(v.as_str()), "trustpath {args:?} printed {v}");
        }
        if args[..3] == ["import", "--format", "json"] {
            assert!(
                text.contains("probably deleted"),
                "a key file whose key the listing lacks is said: {text}"
            );
        }
        if args[0] == "blast" && args[3] == "json" {
            assert!(
                text.contains("gcp:sa:reporter@acme-prod.iam.gserviceaccount.com"),
                "the key file's key is the account's credential: {text}"
            );
        }
    }
    let written = std::fs::read_to_string(&saved).expect("saved");
    for v in &values {
        assert!(!written.contains(v.as_str()), "the saved graph holds {v}");
    }
}
