//! Azure / Entra importer on `az … -o json` and `az rest` fixtures (tests/fixtures/azure/):
//! the derived edges against a golden list, and each rule on its own: RBAC inheritance
//! through management group, subscription and resource group (ARM ids in any case),
//! the escalating roles and a read-only custom one, an ABAC condition, live and expired
//! credentials, owners, tenant-wide and app-scoped Application Administrator, critical
//! and harmless Graph app roles, exact and flexible federated credentials, a VM with
//! both identity kinds, a third-party service principal, a disabled one.

mod common;

use std::path::PathBuf;

use common::AT;
use trustpath::import::{Loaded, load_paths_with};
use trustpath::model::EdgeKind;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/azure")
}

fn load() -> Loaded {
    load_paths_with(&[fixtures()], AT.parse().expect("timestamp"), &mut |_| {})
        .expect("fixtures load")
}

/// Short names for the fixture's ids.
fn short(key: &str) -> String {
    let names = [
        ("sp000000-0000-4000-8000-00000000000a", "web-deployer"),
        ("sp000000-0000-4000-8000-00000000000b", "graph-syncer"),
        ("sp000000-0000-4000-8000-00000000000c", "reporter"),
        ("sp000000-0000-4000-8000-00000000000d", "app-admin-bot"),
        ("sp000000-0000-4000-8000-00000000000e", "ci-helper"),
        ("sp000000-0000-4000-8000-00000000000f", "ops-bot"),
        ("sp000000-0000-4000-8000-000000000010", "old-sync"),
        ("sp000000-0000-4000-8000-000000000011", "role-tweaker"),
        ("sp000000-0000-4000-8000-0000000000aa", "vendor"),
        ("sp000000-0000-4000-8000-0000000000ff", "graph"),
        ("mi000000-0000-4000-8000-000000000001", "deploy-mi"),
        ("vm000000-0000-4000-8000-000000000001", "vm-system"),
        ("a0000000-0000-4000-8000-00000000000", "app-"),
        ("a0000000-0000-4000-8000-0000000000", "app-"),
        (
            "/subscriptions/aaaa0000-0000-4000-8000-000000000001",
            "/SUB",
        ),
        ("aaaa0000-0000-4000-8000-000000000001", "SUB"),
        ("11111111-1111-1111-1111-111111111111", "TENANT"),
    ];
    let mut s = key.replace("azure:", "");
    for (id, name) in names {
        s = s.replace(id, name);
    }
    s
}

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
    common::assert_golden(&common::edge_lines(&load(), short, |_| true), "azure.edges");
}

#[test]
fn rbac_follows_the_scope_tree_and_the_roles_actions() {
    let l = load();
    let vm = "resource:/SUB/resourcegroups/rg-web-prod/providers/microsoft.compute/virtualmachines/web-vm-1";
    // Contributor on `RG-Web-Prod` (as written) holds on the VM in `RG-WEB-PROD`: it runs
    // commands there, and so acts as both of the VM's identities; it can also add a
    // federated credential to the user-assigned one. It cannot grant roles.
    let run = edge(&l, "sp:web-deployer", EdgeKind::CanControl, vm).expect("runCommand");
    assert_eq!(run.technique, Some("runCommand"));
    assert!(edge(&l, vm, EdgeKind::RunsAs, "sp:deploy-mi").is_some());
    assert!(edge(&l, vm, EdgeKind::RunsAs, "sp:vm-system").is_some());
    assert!(edge(&l, "sp:web-deployer", EdgeKind::CanEscalate, "sp:deploy-mi").is_some());
    assert!(
        edge(
            &l,
            "sp:web-deployer",
            EdgeKind::CanEscalate,
            "rg:SUB/rg-web-prod"
        )
        .is_none()
    );
    // Reader sees, and controls nothing; a read-only custom role neither.
    assert!(edge(&l, "sp:reporter", EdgeKind::CanControl, vm).is_none());
    // (Seeing a VM is not running code on it: no edge, or a reader would reach the
    // identities it runs as.)
    assert!(edge(&l, "sp:reporter", EdgeKind::CanAccess, vm).is_none());
    assert!(
        edge(
            &l,
            "sp:reporter",
            EdgeKind::CanRead,
            "resource:/SUB/resourcegroups/rg-web-prod/providers/microsoft.keyvault/vaults/kv-web"
        )
        .is_none()
    );
    // RBAC Administrator can grant itself anything at its scope.
    let rbac = edge(
        &l,
        "sp:ci-helper",
        EdgeKind::CanEscalate,
        "rg:SUB/rg-web-prod",
    )
    .expect("escalation");
    assert_eq!(rbac.level, Some(trustpath::model::AccessLevel::Admin));
    // Owner at a management group reaches the subscription's VM below it.
    assert!(
        edge(
            &l,
            "group:g0000000-0000-4000-8000-0000000000p1",
            EdgeKind::CanControl,
            vm
        )
        .is_some()
    );
    // …and that of every other subscription whose listing repeats the assignment.
    assert!(
        edge(
            &l,
            "group:g0000000-0000-4000-8000-0000000000p1",
            EdgeKind::CanControl,
            "resource:/subscriptions/bbbb0000-0000-4000-8000-000000000002/resourcegroups/rg-batch/providers/microsoft.compute/virtualmachines/batch-vm"
        )
        .is_some()
    );
    // Key Vault Secrets User on the vault reads its secrets.
    assert!(
        edge(
            &l,
            "sp:web-deployer",
            EdgeKind::CanRead,
            "resource:/SUB/resourcegroups/rg-web-prod/providers/microsoft.keyvault/vaults/kv-web"
        )
        .is_some()
    );
    // An ABAC condition is carried on the edge.
    let abac = l
        .graph
        .edge_ids()
        .map(|e| l.graph.edge(e))
        .find(|e| e.reason.contains("Storage Blob Data Reader"))
        .expect("abac edge");
    assert!(
        abac.conditions
            .iter()
            .any(|c| c.description.starts_with("ABAC condition"))
    );
    // A disabled service principal's edges stay, dormant.
    assert!(
        edge(&l, "sp:old-sync", EdgeKind::CanControl, vm)
            .expect("kept")
            .dormant
    );
    // Roles assigned on the VM itself: VM Contributor runs commands on it; Reader sees
    // it and reaches nothing (no edge into the VM, which would reach its identities).
    assert!(edge(&l, "sp:ops-bot", EdgeKind::CanControl, vm).is_some());
    let g = &l.graph;
    let vm_node = g
        .nodes_by_key()
        .find(|&n| short(g.key(n)) == vm)
        .expect("vm");
    assert!(
        g.incoming(vm_node)
            .all(|(_, from)| short(g.key(from)) != "sp:graph-syncer"),
        "Reader on the VM reaches nothing"
    );
    // Managed Identity Operator on an identity plus Virtual Machine Contributor on another
    // group, two assignments: together they attach the identity to a VM; either one
    // deleted cuts it. Managed Identity Operator alone (graph-syncer) does not.
    let attach = edge(&l, "sp:ops-bot", EdgeKind::CanEscalate, "sp:deploy-mi").expect("attach");
    assert_eq!(attach.revoke.len(), 2);
    assert!(edge(&l, "sp:graph-syncer", EdgeKind::CanEscalate, "sp:deploy-mi").is_none());
    // roleDefinitions/write over every assignable scope of a custom role one holds (here the
    // writer role itself, assignable at the subscription): rewrite it to allow everything.
    let rewrite = edge(
        &l,
        "sp:role-tweaker",
        EdgeKind::CanEscalate,
        "subscription:SUB",
    )
    .expect("rewrite");
    assert!(
        rewrite
            .reason
            .contains("a custom role it can rewrite to allow everything")
    );
    assert_eq!(rewrite.revoke.len(), 2);
    // Held only on a resource group, it cannot rewrite a role assignable at the
    // subscription: graph-syncer administers neither.
    for scope in ["rg:SUB/rg-batch", "subscription:SUB"] {
        assert!(edge(&l, "sp:graph-syncer", EdgeKind::CanEscalate, scope).is_none());
    }
}

/// Key Vaults: listed vaults are reached by the roles above them, by what the role
/// allows. Reading a vault's metadata reads no secret; in the access-policy model a
/// policy granting `get`, or `vaults/write` (which writes policies), reads them; in the
/// RBAC model `vaults/write` does not.
#[test]
fn key_vaults_by_permission_model() {
    let l = load();
    let legacy =
        "resource:/SUB/resourcegroups/rg-web-prod/providers/microsoft.keyvault/vaults/kv-legacy";
    let web = "resource:/SUB/resourcegroups/rg-web-prod/providers/microsoft.keyvault/vaults/kv-web";
    let policy = edge(&l, "sp:reporter", EdgeKind::CanRead, legacy).expect("policy get");
    assert!(policy.reason.contains("grants secrets Get"));
    assert!(policy.revoke[0].commands[0].starts_with("az keyvault delete-policy --name kv-legacy --object-id sp000000-0000-4000-8000-00000000000c"));
    // `list` alone reads no value.
    assert!(edge(&l, "sp:ci-helper", EdgeKind::CanRead, legacy).is_none());
    // Contributor writes the legacy vault's policies, not the RBAC vault's.
    assert!(edge(&l, "sp:web-deployer", EdgeKind::CanEscalate, legacy).is_some());
    assert!(edge(&l, "sp:web-deployer", EdgeKind::CanEscalate, web).is_none());
    // Reader and a vault-listing custom role see the vault and reach nothing in it.
    let g = &l.graph;
    let reached_by_reporter = g.edge_ids().any(|e| {
        let (a, b) = g.endpoints(e);
        short(g.key(a)) == "sp:reporter" && short(g.key(b)) == web
    });
    assert!(!reached_by_reporter);
    // A policy naming an object no listing holds is said.
    assert!(l.warnings.iter().any(|w| {
        w.to_string()
            .contains("lets object 00000000-dead-4000-8000-000000000001 read its secrets (all)")
    }));
}

/// `az resource list`: compute of other types runs as its identities, and each is taken
/// off with its own command (`az webapp identity remove`, `az containerapp identity
/// remove`); a type without one falls back to `az resource update --remove identity`,
/// which says it takes every identity off. Its vaults are places too.
#[test]
fn other_compute_and_its_identity_commands() {
    let l = load();
    let g = &l.graph;
    let runs_as = |compute: &str| -> String {
        let e = g
            .edge_ids()
            .find(|&e| {
                let (a, _) = g.endpoints(e);
                g.edge(e).kind == EdgeKind::RunsAs && g.key(a).ends_with(compute)
            })
            .expect("runs_as");
        g.edge(e).revoke[0].commands[0].clone()
    };
    assert_eq!(
        runs_as("/microsoft.web/sites/orders-api"),
        "az webapp identity remove --resource-group rg-apps --name orders-api --identities '[system]' --subscription=bbbb0000-0000-4000-8000-000000000002"
    );
    assert_eq!(
        runs_as("/microsoft.app/containerapps/billing-worker"),
        "az containerapp identity remove --resource-group rg-apps --name billing-worker --user-assigned /subscriptions/bbbb0000-0000-4000-8000-000000000002/resourceGroups/rg-apps/providers/Microsoft.ManagedIdentity/userAssignedIdentities/billing-mi --subscription=bbbb0000-0000-4000-8000-000000000002"
    );
    assert!(
        runs_as("/microsoft.logic/workflows/nightly")
            .starts_with("az resource update --ids /subscriptions/bbbb0000-0000-4000-8000-000000000002/resourceGroups/rg-apps/providers/Microsoft.Logic/workflows/nightly --remove identity  # takes every identity off")
    );
    let vault = g
        .find("azure:resource:/subscriptions/bbbb0000-0000-4000-8000-000000000002/resourcegroups/rg-apps/providers/microsoft.keyvault/vaults/kv-apps")
        .expect("vault from az resource list");
    assert_eq!(&g.node(vault).tags["permission_model"], "unknown");
    // Writing VMs is not writing web apps: VM Contributor on their group changes none.
    let orders = "resource:/subscriptions/bbbb0000-0000-4000-8000-000000000002/resourcegroups/rg-apps/providers/microsoft.web/sites/orders-api";
    assert!(edge(&l, "sp:ops-bot", EdgeKind::CanControl, orders).is_none());
    assert!(
        edge(
            &l,
            "group:g0000000-0000-4000-8000-0000000000p1",
            EdgeKind::CanControl,
            orders
        )
        .is_some()
    );
}

#[test]
fn entra_roles_credentials_and_owners() {
    let l = load();
    let g = &l.graph;
    let at: jiff::Timestamp = AT.parse().expect("time");
    let node = |key: &str| g.find(key).map(|n| g.node(n)).expect(key);
    // Live and expired client secrets.
    let live = node(
        "azure:cred:a0000000-0000-4000-8000-00000000000a/c1000000-0000-4000-8000-000000000001",
    );
    let expired = node(
        "azure:cred:a0000000-0000-4000-8000-00000000000a/c1000000-0000-4000-8000-000000000002",
    );
    assert!(live.usable_at(at) && !expired.usable_at(at));
    let status =
        |n: trustpath::model::NodeRef<'_>| n.credential.and_then(|c| c.status.map(str::to_string));
    assert_eq!(status(expired).as_deref(), Some("expired"));
    assert_eq!(status(live).as_deref(), Some("active"));
    // Critical and harmless Graph application permissions.
    assert!(
        edge(
            &l,
            "sp:graph-syncer",
            EdgeKind::CanEscalate,
            "tenant:TENANT"
        )
        .is_some()
    );
    // Application.ReadWrite.All: its holder joins one node for the permission, which
    // reaches every app once (edges grow with holders plus apps, not their product).
    let permission = "app-role:1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9";
    assert!(edge(&l, "sp:app-admin-bot", EdgeKind::MemberOf, permission).is_some());
    assert!(edge(&l, permission, EdgeKind::CanEscalate, "sp:web-deployer").is_some());
    // A harmless permission is said on its holder, and is no edge into the API.
    assert!(edge(&l, "sp:reporter", EdgeKind::CanAccess, "sp:graph").is_none());
    assert_eq!(
        node("azure:sp:sp000000-0000-4000-8000-00000000000c")
            .tags
            .get("app_permissions"),
        Some("User.Read.All on Microsoft Graph")
    );
    // Nobody adds a credential to a managed identity or to Microsoft's own apps.
    assert!(edge(&l, "sp:app-admin-bot", EdgeKind::CanEscalate, "sp:graph").is_none());
    assert!(
        edge(
            &l,
            "sp:app-admin-bot",
            EdgeKind::CanEscalate,
            "sp:deploy-mi"
        )
        .is_none()
    );
    // A Global Administrator can elevate into every subscription.
    assert!(edge(&l, "tenant:TENANT", EdgeKind::CanEscalate, "mg:TENANT").is_some());
    assert!(edge(&l, "sp:reporter", EdgeKind::CanEscalate, "tenant:TENANT").is_none());
    // Application Administrator: tenant-wide through its role, or only the app it is
    // scoped to.
    assert!(
        edge(
            &l,
            "sp:ops-bot",
            EdgeKind::MemberOf,
            "directory-role:158c047a-c907-4556-b7ef-446551a6b5f7"
        )
        .is_some()
    );
    assert!(edge(&l, "sp:ci-helper", EdgeKind::CanControl, "app:app-c").is_some());
    assert!(edge(&l, "sp:ci-helper", EdgeKind::CanControl, "app:app-a").is_none());
    // Owners of an app and of a service principal.
    assert!(
        edge(
            &l,
            "user:alice@acme.example",
            EdgeKind::CanControl,
            "app:app-a"
        )
        .is_some()
    );
    assert!(edge(&l, "sp:web-deployer", EdgeKind::CanControl, "sp:reporter").is_some());
    // (An owners listing holding whole service principal objects is still an owners
    // listing: its user owner too.)
    assert!(
        edge(
            &l,
            "user:bob@acme.example",
            EdgeKind::CanControl,
            "sp:reporter"
        )
        .is_some()
    );
    // A service principal owned by another organisation is third-party.
    assert!(
        node("azure:sp:sp000000-0000-4000-8000-0000000000aa")
            .tags
            .contains_key("third_party")
    );
    assert!(
        node("azure:sp:sp000000-0000-4000-8000-0000000000ff")
            .tags
            .contains_key("first_party")
    );
    // A role assigned to a principal no listing names is said.
    assert!(
        l.warnings
            .iter()
            .any(|w| w.message.contains("u0000000-0000-4000-8000-0000000000ee"))
    );
}

#[test]
fn federated_credentials_link_github() {
    let l = load();
    // Exact subject: the repository it names, if the attacker can push there.
    let web = edge(
        &l,
        "github:repo:acme/web",
        EdgeKind::CanAssume,
        "sp:web-deployer",
    )
    .expect("exact");
    assert!(!web.conditions.is_empty());
    // A flexible credential matching `repo:*` admits any repository on GitHub.
    assert!(
        edge(
            &l,
            "github:any-repo",
            EdgeKind::CanAssume,
            "sp:graph-syncer"
        )
        .is_some()
    );
    // A user-assigned identity's credential, placed by its own ARM id.
    assert!(
        edge(
            &l,
            "github:repo:acme/infra",
            EdgeKind::CanAssume,
            "sp:deploy-mi"
        )
        .is_some()
    );
}

/// A flexible credential of several clauses: each alternative links on its own, and a
/// clause on another claim stays a condition of the link, quoted.
#[test]
fn flexible_credentials_with_several_clauses() {
    let l = load();
    let g = &l.graph;
    let mut conditions: Vec<Vec<String>> = g
        .edge_ids()
        .filter(|&e| {
            let (a, b) = g.endpoints(e);
            g.key(a) == "github:repo:acme/api" && short(g.key(b)) == "sp:ci-helper"
        })
        .map(|e| {
            g.edge(e)
                .conditions
                .iter()
                .map(|c| c.description.clone())
                .collect()
        })
        .collect();
    conditions.sort();
    assert_eq!(conditions.len(), 2, "{conditions:#?}");
    assert!(conditions[1].iter().any(|c| c.contains(
        "claims['job_workflow_ref'] matches 'acme/shared/.github/workflows/*@refs/heads/main'"
    )));
    assert!(
        conditions[0].len() == 1 && conditions[0][0].contains("push a workflow"),
        "{conditions:#?}"
    );
    // Neither alternative admits a stranger's repository.
    assert!(edge(&l, "github:any-repo", EdgeKind::CanAssume, "sp:ci-helper").is_none());
}

/// `azure/login` steps: a job whose federated credential matches is linked once (by the
/// credential); one that no credential read admits gets a warning and no edge; an
/// identity whose credentials were not read, or that no input holds, a conditional edge.
#[test]
fn azure_login_steps_name_the_identity() {
    let workflows = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/azure-github");
    let l = load_paths_with(
        &[fixtures(), workflows],
        AT.parse().expect("timestamp"),
        &mut |_| {},
    )
    .expect("loads");
    let job = |name: &str| format!("github:workflow:acme/web/.github/workflows/azure.yml#{name}");
    let into = |from: &str, to: &str| -> Vec<trustpath::model::EdgeRef<'_>> {
        let g = &l.graph;
        g.edge_ids()
            .filter(|&e| {
                let (a, b) = g.endpoints(e);
                g.key(a) == from && short(g.key(b)) == to
            })
            .map(|e| g.edge(e))
            .collect()
    };
    let production = into(&job("production"), "sp:web-deployer");
    assert_eq!(
        production.len(),
        1,
        "linked by its federated credential alone"
    );
    assert!(
        production[0]
            .reason
            .contains("federated credential github-web-production")
    );
    assert!(into(&job("staging"), "sp:web-deployer").is_empty());
    let admin = into(&job("admin"), "sp:app-admin-bot");
    assert_eq!(admin.len(), 1);
    assert!(admin[0].reason.contains("azure/login"));
    assert!(
        admin[0].conditions[0]
            .description
            .contains("no credential of it was read")
    );
    // A second job naming it gets its own edge: the first one's is no credential.
    assert_eq!(into(&job("admin-again"), "sp:app-admin-bot").len(), 1);
    let elsewhere = into(
        &job("elsewhere"),
        "app:99999999-0000-4000-8000-000000000099",
    );
    assert_eq!(elsewhere.len(), 1);
    let placeholder = l
        .graph
        .find("azure:app:99999999-0000-4000-8000-000000000099")
        .expect("placeholder");
    assert!(l.graph.node(placeholder).tags.contains_key("not_in_inputs"));
    assert!(into(&job("no-token"), "sp:app-admin-bot").is_empty());
    let warned = |needle: &str| l.warnings.iter().any(|w| w.to_string().contains(needle));
    assert!(
        warned("job staging: azure/login signs in as web-deployer"),
        "{:#?}",
        l.warnings
    );
    assert!(warned(
        "job no-token: azure/login signs in with client id a0000000-0000-4000-8000-00000000000d, but the job cannot mint an OIDC token"
    ));
    // A client id from an expression names nothing: no warning, no edge.
    assert!(!warned("vars.AZURE_CLIENT_ID"));
}

/// A Kubernetes service account's workload-identity annotation names an app by client
/// id; the app listing, read too, describes that node: no "not in inputs" left on it.
#[test]
fn a_listed_app_replaces_the_placeholder_an_annotation_made() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = dir.path().join("prod");
    std::fs::create_dir_all(&cluster).expect("mkdir");
    let sa = r#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "web", "namespace": "shop", "uid": "u1",
          "annotations": {"azure.workload.identity/client-id": "a0000000-0000-4000-8000-00000000000a"}}}]}"#;
    std::fs::write(cluster.join("serviceaccounts.json"), sa).expect("write");
    let l = load_paths_with(
        &[dir.path().to_path_buf(), fixtures()],
        AT.parse().expect("timestamp"),
        &mut |_| {},
    )
    .expect("loads");
    let app = l
        .graph
        .find("azure:app:a0000000-0000-4000-8000-00000000000a")
        .expect("app");
    let node = l.graph.node(app);
    assert_eq!(node.name, "web-deployer");
    assert!(!node.tags.contains_key("not_in_inputs"), "{:?}", node.tags);
    assert!(
        edge(&l, "k8s:prod:sa:shop/web", EdgeKind::CanAssume, "app:app-a").is_some(),
        "the annotation's edge stays"
    );
}

#[test]
fn commands_name_exact_ids() {
    let commands = common::plan_commands(&fixtures(), "github:any-repo", &[]);
    assert!(commands.iter().any(|c| c == "az ad app federated-credential delete --id a0000000-0000-4000-8000-00000000000b --federated-credential-id f1000000-0000-4000-8000-000000000002"), "{commands:#?}");
}

/// Secret values planted where `az` could print them (`secretText`, `hint`, a
/// certificate's `key`) reach no output.
#[test]
fn no_credential_value_reaches_any_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let planted = ["PLANTED-AZURE-SECRET-TEXT", "PLANTED-AZURE-CERT-KEY", "PLH"];
    let apps = format!(
        r#"[{{"id": "o1", "appId": "a1", "displayName": "leaky", "signInAudience": "AzureADMyOrg",
             "passwordCredentials": [{{"keyId": "k1", "secretText": "{}", "hint": "{}", "startDateTime": "2025-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"}}],
             "keyCredentials": [{{"keyId": "k2", "key": "{}", "type": "AsymmetricX509Cert", "usage": "Verify", "startDateTime": "2025-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"}}]}}]"#,
        planted[0], planted[2], planted[1]
    );
    std::fs::create_dir_all(dir.path().join("entra")).expect("mkdir");
    std::fs::write(dir.path().join("entra/applications.json"), apps).expect("write");
    let saved = dir.path().join("saved.json");
    let input = dir.path().to_str().expect("utf-8");
    let runs: Vec<Vec<&str>> = vec![
        vec!["import", "--save", saved.to_str().expect("utf-8")],
        vec!["import", "--format", "json"],
        vec![
            "blast",
            "-c",
            "azure:cred:a1/k1",
            "--format",
            "json",
            "--paths",
        ],
        vec!["plan", "-c", "azure:cred:a1/k1", "--format", "json"],
        vec!["export", "--format", "dot"],
    ];
    for args in runs {
        let (ok, text) = common::run_text(input, &args);
        assert!(ok, "{args:?}: {text}");
        for v in planted {
            assert!(!text.contains(v), "trustpath {args:?} printed {v}");
        }
    }
    let written = std::fs::read_to_string(&saved).expect("saved");
    for v in planted {
        assert!(!written.contains(v), "the saved graph holds {v}");
    }
}
