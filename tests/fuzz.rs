//! Structure-aware fuzzing: documents in the shapes each importer reads (AWS
//! authorization details, workflows, `gh api` listings, native graphs, inventory and
//! links CSVs, Kubernetes objects in JSON and YAML, GCP policies, accounts and keys, Azure
//! and Entra listings, Vault export trees), filled with hostile names (quotes, substitutions, control characters,
//! option-like and wide characters) and odd structure. Whatever loads must then go
//! through the blast radius, the plan and every output without a panic, and every
//! command printed must be one line with no control character.
//!
//! Short in `cargo test` (64 cases a target); the long mode is run by hand:
//!     TRUSTPATH_FUZZ_CASES=1000000 cargo test --release --test fuzz

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};
use trustpath::analysis::BlastRadius;
use trustpath::analysis::plan::{Plan, PlanOptions};
use trustpath::import::{Input, load_inputs};
use trustpath::model::NodeKind;

/// Characters names are made of: plain ones, and every kind that has broken a tool.
const CHARS: &[char] = &[
    'a', 'b', 'z', 'A', '0', '9', '-', '_', '.', '/', ':', '@', '*', '?', ' ', '\'', '"', '`', '$',
    '(', ')', '{', '}', ';', '|', '&', '<', '>', '\\', '#', '=', ',', '\n', '\r', '\t', '\0',
    '\x1b', '\u{7f}', '\u{85}', '\u{202e}', '\u{2028}', 'é', '鍵', '🔑',
];

fn name() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(CHARS), 0..10).prop_map(String::from_iter)
}

fn cases() -> u32 {
    std::env::var("TRUSTPATH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// Loads `files`; when they load, runs every analysis and output on them. Returns
/// whether they loaded with at least one edge (the harness must reach the analyses).
fn exercise(files: Vec<(String, Vec<u8>)>) -> Result<bool, TestCaseError> {
    let inputs = files.into_iter().map(|(n, b)| Input::bytes(&n, b));
    let Ok(loaded) = load_inputs(inputs) else {
        return Ok(false);
    };
    let g = &loaded.graph;
    let at = "2026-11-25T00:00:00Z".parse().expect("time");
    let Some(start) = g.nodes_by_key().next() else {
        return Ok(false);
    };
    let blast = BlastRadius::compute(g, &[start], at);
    let plan = Plan::for_blast(g, &blast, &PlanOptions::new(at));
    let mut sink = Vec::new();
    trustpath::report::json::write_blast(&mut sink, g, &blast, true).expect("in memory");
    trustpath::report::csv::write_blast(&mut sink, g, &blast, false).expect("in memory");
    trustpath::report::text::write_blast(&mut sink, g, &blast).expect("in memory");
    let doc = trustpath::report::plan::PlanOut::new(g, &plan);
    for write in [
        trustpath::report::plan::write_text,
        trustpath::report::plan::write_markdown,
        trustpath::report::plan::write_json,
        trustpath::report::plan::write_csv,
    ] {
        write(&mut sink, &doc).expect("in memory");
    }
    let opts = trustpath::report::dot::DotOptions {
        blast: Some(&blast),
        blast_only: false,
        marks: None,
    };
    trustpath::report::dot::write_dot(&mut sink, g, &opts).expect("in memory");
    for step in &plan.steps {
        for c in &step.playbook.commands {
            prop_assert!(
                !c.chars().any(char::is_control),
                "a control character in {c:?}"
            );
        }
    }
    Ok(g.edge_count() > 0)
}

fn run(strategy: impl Strategy<Value = Vec<(String, Vec<u8>)>>) {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    // The short run in `cargo test` draws the same cases every time, so CI never fails
    // on a lucky draw; the long run (TRUSTPATH_FUZZ_CASES) explores fresh ones.
    let mut runner = if std::env::var_os("TRUSTPATH_FUZZ_CASES").is_some() {
        TestRunner::new(config)
    } else {
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
    };
    let analysed = std::cell::Cell::new(0u32);
    runner
        .run(&strategy, |files| {
            analysed.set(analysed.get() + u32::from(exercise(files)?));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        analysed.get() * 4 >= cases(),
        "only {} of {} cases loaded a graph with edges: the generator is off",
        analysed.get(),
        cases()
    );
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop::bool::ANY,
        prop::sample::select(vec!["*", "sts:AssumeRole", "iam:PassRole", "iam:CreateAccessKey", "s3:*", "iam:Put*"]),
        name(),
        prop::option::of(name()),
    )
        .prop_map(|(allow, action, resource, condition)| {
            let mut s = json!({
                "Effect": if allow { "Allow" } else { "Deny" },
                "Action": action,
                "Resource": if resource.is_empty() { "*".to_string() } else { format!("arn:aws:iam::111122223333:role/{resource}") },
            });
            if let Some(c) = condition {
                s["Condition"] = json!({ "StringLike": { "aws:username": c } });
            }
            s
        })
}

fn gaad() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    (
        prop::collection::vec((name(), prop::collection::vec(statement(), 0..3)), 1..4),
        prop::collection::vec((name(), name(), prop::collection::vec(statement(), 0..3)), 1..4),
    )
        .prop_map(|(users, roles)| {
            let users: Vec<Value> = users
                .iter()
                .enumerate()
                .map(|(i, (n, st))| json!({
                    "UserName": n, "UserId": format!("AIDA{i:017}"),
                    "Arn": format!("arn:aws:iam::111122223333:user/{n}"),
                    "UserPolicyList": [{ "PolicyName": n, "PolicyDocument": { "Version": "2012-10-17", "Statement": st } }],
                    "GroupList": [], "AttachedManagedPolicies": []
                }))
                .collect();
            let roles: Vec<Value> = roles
                .iter()
                .enumerate()
                .map(|(i, (n, who, st))| json!({
                    "RoleName": n, "RoleId": format!("AROA{i:017}"),
                    "Arn": format!("arn:aws:iam::111122223333:role/{n}"),
                    "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Action": "sts:AssumeRole",
                        "Principal": { "AWS": format!("arn:aws:iam::111122223333:user/{who}") } }] },
                    "RolePolicyList": [{ "PolicyName": who, "PolicyDocument": { "Version": "2012-10-17", "Statement": st } }],
                    "AttachedManagedPolicies": [], "InstanceProfileList": []
                }))
                .collect();
            let doc = json!({ "UserDetailList": users, "RoleDetailList": roles, "GroupDetailList": [], "Policies": [] });
            vec![("a.gaad.json".to_string(), doc.to_string().into_bytes())]
        })
}

fn workflow() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    (
        name(),
        prop::sample::select(vec!["push", "pull_request_target", "workflow_run", "issue_comment"]),
        prop::collection::vec((name(), name(), name()), 1..4),
        prop::bool::ANY,
    )
        .prop_map(|(file, on, steps, write)| {
            let steps: Vec<Value> = steps
                .iter()
                .map(|(uses, run, secret)| {
                    // Hostile names go in values; a key that holds a line separator is
                    // not YAML at all, so keys (input names) keep to what names allow.
                    let key: String = secret.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    let key = if key.is_empty() { "k".to_string() } else { key };
                    json!([
                        { "uses": format!("{uses}/act@v1"), "with": { "ref": "${{ github.event.pull_request.head.sha }}" } },
                        { "run": format!("{run} ${{{{ secrets.{secret} }}}}") },
                        // A local action handed outsider text, and inputs expanded.
                        { "uses": "./.github/actions/x", "if": run, "with": { key.clone(): "${{ github.event.comment.body }}", "r": "refs/pull/${{ github.event.issue.number }}/merge" } },
                        { "run": format!("git checkout ${{{{ inputs.{key} }}}} && echo ${{{{ inputs.{key}||'{uses}' }}}} {run}") }
                    ])
                })
                .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                .collect();
            let perms = if write { json!({ "id-token": "write", "contents": "write" }) } else { json!("read-all") };
            // JSON is YAML: the workflow reader takes it, whatever the names hold.
            let image = steps.first().and_then(|s| s["uses"].as_str()).unwrap_or("x").to_string();
            let doc = json!({ "on": [on], "permissions": perms, "jobs": {
                "j": { "runs-on": "x", "environment": file, "steps": steps,
                       "container": image, "services": { "db": { "image": format!("{file}:1") } } },
                "call": { "uses": format!("acme/web/.github/workflows/w{file}.yml@{file}"), "with": { "ref": "${{ github.head_ref }}" } }
            } });
            // The local action's scripts expand its inputs (and a hostile name).
            let action = json!({ "runs": { "using": "composite", "steps": [
                { "run": format!("echo \"${{{{ inputs.r }}}} {file}\"; git fetch ${{{{ inputs.r }}}}"), "shell": "bash" },
                { "uses": format!("{file}/x@{file}") }
            ] } });
            let file: String = file.chars().filter(|c| !matches!(c, '/' | '\0')).collect();
            vec![
                (format!("acme/web/.github/workflows/w{file}.yml"), doc.to_string().into_bytes()),
                ("acme/web/.github/actions/x/action.yml".to_string(), action.to_string().into_bytes()),
            ]
        })
}

fn native() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    // Every node kind the model has, so a new one is fuzzed without a change here.
    let kinds: Vec<&str> = NodeKind::ALL.iter().map(|k| k.as_str()).collect();
    let edges = vec![
        "authenticates_as",
        "can_assume",
        "member_of",
        "runs_as",
        "can_control",
        "can_read",
        "contains",
        "can_escalate",
        "can_access",
    ];
    let actions = vec![
        "disable_identity",
        "revoke_sessions",
        "deactivate_key",
        "rotate",
        "delete_secret",
        "remove_binding",
        "pin_action",
        "unknown",
    ];
    (
        prop::collection::vec((name(), prop::sample::select(kinds), prop::sample::select(vec!["aws", "gcp", "k8s", "vault", "github", "azure", "x"]), 0u8..12, prop::bool::ANY), 1..8),
        prop::collection::vec((0usize..8, 0usize..8, prop::sample::select(edges), prop::sample::select(actions.clone()), prop::option::of(name())), 0..14),
    )
        .prop_map(|(nodes, links)| {
            let ids: Vec<String> = nodes
                .iter()
                .enumerate()
                .map(|(i, (n, _, p, _, _))| format!("{p}:{i}:{n}"))
                .collect();
            let nodes: Vec<Value> = nodes
                .iter()
                .zip(&ids)
                .map(|((n, kind, _, crit, admin), id)| json!({
                    "id": id, "kind": kind, "name": n, "criticality": crit, "admin": admin,
                    "revoke": [{ "id": format!("x:{id}"), "action": "disable_identity", "cost": 1 }]
                }))
                .collect();
            let edges: Vec<Value> = links
                .iter()
                .map(|(a, b, kind, action, cmd)| {
                    let mut e = json!({
                        "from": ids[a % ids.len()], "to": ids[b % ids.len()], "kind": kind,
                        "conditions": ["if"], "revoke": [{ "id": format!("{action}:{a}:{b}"), "action": action, "cost": 1 }]
                    });
                    if let Some(c) = cmd {
                        e["revoke"][0]["commands"] = json!([c]);
                    }
                    e
                })
                .collect();
            let doc = json!({ "schema": "trustpath/graph/v1", "nodes": nodes, "edges": edges });
            vec![("g.graph.json".to_string(), doc.to_string().into_bytes())]
        })
}

fn csvs() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    (
        native(),
        prop::collection::vec((name(), name(), name()), 1..5),
    )
        .prop_map(|(mut files, rows)| {
            let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            let inventory: String = rows
                .iter()
                .map(|(a, b, c)| {
                    format!(
                        "{}*,{},{},production,{}\n",
                        quote(a),
                        quote(b),
                        quote(c),
                        a.len() % 11
                    )
                })
                .collect();
            let links: String = rows
                .iter()
                .map(|(a, b, c)| format!("{},{},can_read,{}\n", quote(a), quote(b), quote(c)))
                .collect();
            files.push((
                "inv.csv".into(),
                format!("id_or_glob,owner,purpose,environment,criticality\n{inventory}")
                    .into_bytes(),
            ));
            files.push((
                "links.csv".into(),
                format!("from,to,kind,reason\n{links}").into_bytes(),
            ));
            files
        })
}

fn gh_api() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    (workflow(), prop::collection::vec(name(), 1..4)).prop_map(|(mut files, names)| {
        let secrets: Vec<Value> = names.iter().map(|n| json!({ "name": n, "visibility": "all" })).collect();
        files.push((
            "acme/web/secrets.json".into(),
            json!({ "total_count": secrets.len(), "secrets": secrets }).to_string().into_bytes(),
        ));
        files.push((
            "acme/web/permissions.json".into(),
            json!({ "default_workflow_permissions": "write", "can_approve_pull_request_reviews": false })
                .to_string()
                .into_bytes(),
        ));
        files
    })
}

/// One Kubernetes object of a kind the importer reads, with names drawn from a small set
/// so that bindings, pods and roles refer to each other.
fn k8s_object() -> impl Strategy<Value = Value> {
    let pick = |v: Vec<&'static str>| prop::sample::select(v);
    (
        pick(vec!["ServiceAccount", "Secret", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "Pod", "Deployment", "CronJob", "ConfigMap", "Node"]),
        pick(vec!["a", "b", "default", "aws-auth"]),
        pick(vec!["ns1", "ns2", "kube-system"]),
        pick(vec!["*", "get", "list", "create", "impersonate", "bind", "escalate", "patch"]),
        pick(vec!["*", "secrets", "pods", "pods/exec", "serviceaccounts/token", "users", "groups", "clusterroles", "rolebindings", "deployments", "nodes/proxy"]),
        pick(vec!["ServiceAccount", "User", "Group"]),
        (name(), prop::bool::ANY, pick(vec!["Role", "ClusterRole"])),
    )
        .prop_map(|(kind, n, ns, verb, resource, subject, (free, flag, ref_kind))| {
            let mut o = json!({ "apiVersion": "v1", "kind": kind,
                "metadata": { "name": n, "namespace": ns,
                              "annotations": { "eks.amazonaws.com/role-arn": format!("arn:aws:iam::111122223333:role/{free}"),
                                               "kubernetes.io/service-account.name": n },
                              "labels": { "agg": "x" } } });
            match kind {
                "Role" | "ClusterRole" => {
                    o["rules"] = json!([{ "apiGroups": ["", "*", "apps", "rbac.authorization.k8s.io"], "resources": [resource], "verbs": [verb],
                                          "resourceNames": if flag { json!([free]) } else { json!(null) } }]);
                    if flag {
                        o["aggregationRule"] = json!({ "clusterRoleSelectors": [{ "matchLabels": { "agg": "x" } }] });
                    }
                }
                "RoleBinding" | "ClusterRoleBinding" => {
                    o["roleRef"] = json!({ "kind": ref_kind, "name": if flag { n.to_string() } else { free.clone() } });
                    o["subjects"] = json!([{ "kind": subject, "name": if flag { free.clone() } else { n.to_string() }, "namespace": ns }]);
                }
                "Pod" | "Deployment" | "CronJob" => {
                    let spec = json!({ "serviceAccountName": n, "nodeName": free, "hostPID": flag,
                        "automountServiceAccountToken": flag,
                        "volumes": [{ "name": "v", "secret": { "secretName": free }, "hostPath": { "path": "/" } }],
                        "containers": [{ "name": "c", "env": [{ "name": "E", "value": free, "valueFrom": { "secretKeyRef": { "name": n, "key": "k" } } }],
                                         "envFrom": [{ "secretRef": { "name": free } }], "securityContext": { "privileged": flag } }] });
                    o["spec"] = match kind {
                        "Pod" => spec,
                        "Deployment" => json!({ "template": { "spec": spec } }),
                        _ => json!({ "jobTemplate": { "spec": { "template": { "spec": spec } } } }),
                    };
                }
                "Secret" => {
                    o["type"] = json!(if flag { "kubernetes.io/service-account-token" } else { "Opaque" });
                    o["data"] = json!({ "k": free });
                }
                "ConfigMap" => {
                    o["data"] = json!({ "mapRoles": format!("- rolearn: arn:aws:iam::111122223333:role/{free}\n  username: {free}\n  groups: [system:masters, {n}]\n") });
                }
                _ => {}
            }
            o
        })
}

fn kubernetes() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    (prop::collection::vec(k8s_object(), 1..12), prop::bool::ANY).prop_map(|(items, yaml)| {
        let bytes = if yaml {
            // Block keys at the top, as kubectl writes them; the items in flow style
            // (JSON is YAML).
            format!(
                "apiVersion: v1\nkind: List\nitems: {}\n",
                Value::from(items)
            )
            .into_bytes()
        } else {
            json!({ "apiVersion": "v1", "kind": "List", "items": items })
                .to_string()
                .into_bytes()
        };
        vec![(
            format!("prod/all.{}", if yaml { "yaml" } else { "json" }),
            bytes,
        )]
    })
}

/// GCP: IAM policies in gcloud's resource-name layout, with members and roles drawn from
/// the kinds the importer reads, service-account listings and keys.
fn gcp() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let pick = |v: Vec<&'static str>| prop::sample::select(v);
    let binding = (
        pick(vec!["roles/owner", "roles/editor", "roles/iam.serviceAccountTokenCreator", "roles/iam.serviceAccountUser", "roles/viewer", "projects/p/roles/custom", "roles/nonexistent"]),
        pick(vec!["serviceAccount:", "user:", "group:", "domain:", "deleted:serviceAccount:", "principalSet://", "", "allUsers"]),
        name(),
        prop::option::of(pick(vec!["request.time < timestamp(\"2020-01-01T00:00:00Z\")", "request.time > timestamp(\"2030-01-01T00:00:00Z\")", "resource.name.startsWith(\"x\")"])),
    )
        .prop_map(|(role, kind, n, cond)| {
            let mut b = json!({ "role": role, "members": [format!("{kind}{n}@p.iam.gserviceaccount.com")] });
            if let Some(c) = cond {
                b["condition"] = json!({ "title": "t", "expression": c });
            }
            b
        });
    (
        prop::collection::vec((pick(vec!["projects/p", "folders/1", "organizations/9", "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com", "projects/p/secrets/s"]), prop::collection::vec(binding, 0..4)), 1..4),
        prop::collection::vec((name(), prop::bool::ANY), 1..4),
        // Workload identity federation and Cloud Asset Inventory, with hostile names in
        // the CEL condition, the principal set and the resource names.
        (
            name(),
            pick(vec!["assertion.repository_owner == 'X'", "assertion.sub.startsWith('X') || !(assertion.ref in ['X'])", "X", "assertion['X'] != 'y' && attribute.repository == \"X\"", ""]),
            pick(vec!["attribute.repository/", "subject/", "*", "group/"]),
        ),
    )
        .prop_map(|(policies, accounts, (n, condition, selector))| {
            let mut files: Vec<(String, Vec<u8>)> = policies
                .into_iter()
                .enumerate()
                .map(|(i, (place, bindings))| {
                    (format!("{place}/{i}/../get-iam-policy.json").replace(&format!("/{i}/.."), ""), json!({ "bindings": bindings, "etag": "x" }).to_string().into_bytes())
                })
                .collect();
            let list: Vec<Value> = accounts
                .iter()
                .map(|(n, disabled)| json!({ "email": format!("{n}@p.iam.gserviceaccount.com"), "uniqueId": "1", "projectId": "p", "disabled": disabled }))
                .collect();
            let keys: Vec<Value> = accounts
                .iter()
                .map(|(n, disabled)| json!({ "keyType": if *disabled { "SYSTEM_MANAGED" } else { "USER_MANAGED" }, "name": format!("projects/p/serviceAccounts/{n}@p.iam.gserviceaccount.com/keys/{n}"), "validAfterTime": "2025-01-01T00:00:00Z", "validBeforeTime": "9999-12-31T23:59:59Z" }))
                .collect();
            files.push(("projects/p/service-accounts.json".into(), Value::from(list).to_string().into_bytes()));
            files.push(("projects/p/keys.json".into(), Value::from(keys).to_string().into_bytes()));
            files.push(("projects.json".into(), json!([{ "projectId": "p", "projectNumber": "1", "parent": { "type": "folder", "id": "1" } }]).to_string().into_bytes()));
            files.push(("folders.json".into(), json!([{ "name": "folders/1", "displayName": "f", "parent": "organizations/9" }]).to_string().into_bytes()));
            let pool = "projects/1/locations/global/workloadIdentityPools/pool";
            let member = if selector == "*" { format!("principalSet://iam.googleapis.com/{pool}/*") } else { format!("principalSet://iam.googleapis.com/{pool}/{selector}{n}") };
            files.push((
                "projects/p/workloadIdentityPools/pool/workload-identity-providers.json".into(),
                json!([{ "name": format!("{pool}/providers/gh"), "attributeCondition": condition.replace('X', &n), "attributeMapping": { "google.subject": "assertion.sub", "attribute.repository": format!("assertion.{n}") }, "oidc": { "issuerUri": "https://token.actions.githubusercontent.com" } }]).to_string().into_bytes(),
            ));
            files.push((
                format!("projects/p/serviceAccounts/{n}@p.iam.gserviceaccount.com/get-iam-policy.json"),
                json!({ "bindings": [{ "role": "roles/iam.workloadIdentityUser", "members": [member] }], "etag": "x" }).to_string().into_bytes(),
            ));
            files.push((
                "search-all-iam-policies.json".into(),
                json!([
                    { "resource": "//iam.googleapis.com/projects/p/serviceAccounts/1", "project": "projects/1", "policy": { "bindings": [{ "role": "roles/iam.serviceAccountTokenCreator", "members": [format!("user:{n}")] }] } },
                    { "resource": format!("//storage.googleapis.com/{n}"), "project": "projects/1", "policy": { "bindings": [{ "role": "roles/storage.objectViewer", "members": ["allUsers"] }] } },
                    { "resource": format!("//secretmanager.googleapis.com/projects/{n}/secrets/s"), "project": "projects/1", "folders": ["folders/1"], "organization": "organizations/9", "policy": { "bindings": [] } }
                ]).to_string().into_bytes(),
            ));
            files
        })
}

/// Azure / Entra: role assignments at hostile scopes, service principals, apps with
/// credentials, owners, app-role and directory role assignments, federated credentials.
fn azure() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let pick = |v: Vec<&'static str>| prop::sample::select(v);
    (
        prop::collection::vec((name(), pick(vec!["Owner", "Contributor", "Reader", "Custom"]), pick(vec!["/subscriptions/s1", "/subscriptions/s1/resourceGroups/RG", "/providers/Microsoft.Management/managementGroups/m", "/", "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/"])), 1..5),
        name(),
        pick(vec!["claims['sub'] matches 'X'", "X", "claims['sub'] matches \"repo:X/*\""]),
        prop::bool::ANY,
    )
        .prop_map(|(assignments, n, expression, exact)| {
            let sp = |i: usize| format!("sp-{i}");
            let ras: Vec<Value> = assignments
                .iter()
                .enumerate()
                .map(|(i, (p, role, scope))| {
                    let scope = if scope.ends_with('/') && scope.len() > 1 { format!("{scope}{p}") } else { (*scope).to_string() };
                    json!({"id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{i}"), "principalId": sp(i), "principalName": p,
                        "principalType": if i % 2 == 0 { "ServicePrincipal" } else { "User" }, "roleDefinitionId": format!("/x/roleDefinitions/{role}"),
                        "roleDefinitionName": role, "scope": scope, "condition": if i == 1 { Value::from(p.clone()) } else { Value::Null }})
                })
                .collect();
            let sps: Vec<Value> = (0..assignments.len())
                .map(|i| json!({"id": sp(i), "appId": format!("app-{i}"), "displayName": n, "servicePrincipalType": "Application", "appOwnerOrganizationId": "t", "accountEnabled": i != 2}))
                .collect();
            let apps = json!([{"id": "o-0", "appId": "app-0", "displayName": n, "signInAudience": "AzureADMyOrg",
                "passwordCredentials": [{"keyId": n, "secretText": "PLANTED", "hint": "PLA", "endDateTime": "2030-01-01T00:00:00Z"}], "keyCredentials": []}]);
            let fic = if exact {
                json!([{"id": "f", "name": n, "issuer": "https://token.actions.githubusercontent.com/", "subject": format!("repo:{n}:ref:refs/heads/main"), "audiences": ["api://AzureADTokenExchange"]}])
            } else {
                json!([{"id": "f", "name": n, "issuer": "https://token.actions.githubusercontent.com", "subject": null, "claimsMatchingExpression": {"value": expression.replace('X', &n), "languageVersion": 1}, "audiences": ["api://AzureADTokenExchange"]}])
            };
            vec![
                ("subscriptions/s1/role-assignments.json".into(), Value::from(ras).to_string().into_bytes()),
                ("entra/service-principals.json".into(), Value::from(sps).to_string().into_bytes()),
                ("entra/applications.json".into(), apps.to_string().into_bytes()),
                ("entra/applications/app-0/federated-credentials.json".into(), fic.to_string().into_bytes()),
                ("entra/applications/app-0/owners.json".into(), json!([{"@odata.type": "#microsoft.graph.user", "id": n, "userPrincipalName": n}]).to_string().into_bytes()),
                ("entra/servicePrincipals/sp-0/app-role-assignments.json".into(), json!({"value": [{"id": n, "appRoleId": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "resourceId": "g", "resourceDisplayName": "Microsoft Graph", "principalId": "sp-0"}]}).to_string().into_bytes()),
                ("entra/directory-role-assignments.json".into(), json!({"value": [{"id": n, "principalId": "sp-1", "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": format!("/{n}")}]}).to_string().into_bytes()),
            ]
        })
}

/// A Vault export tree: hostile names as mounts' roles, policies, secrets, service
/// accounts, claims and accessors; policies in HCL or JSON over patterns of every kind.
fn vault() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let pick = |v: Vec<&'static str>| prop::sample::select(v);
    (
        (name(), name(), name(), name()),
        0..6usize,
        pick(vec!["read", "list", "deny", "update", "sudo", "bogus"]),
        prop::bool::ANY,
    )
        .prop_map(|((role, policy, secret, sa), kind, cap, hcl)| {
            let read = |data: Value| {
                json!({"request_id": "r", "lease_id": "", "lease_duration": 0, "renewable": false, "data": data, "warnings": null})
                    .to_string()
                    .into_bytes()
            };
            let pattern = match kind {
                0 => format!("secret/data/{secret}"),
                1 => "secret/data/*".to_string(),
                2 => format!("secret/+/{secret}*"),
                3 => "*".to_string(),
                4 => format!("sys/policies/acl/{policy}"),
                _ => format!("secret/data/{{{{identity.entity.name}}}}/{secret}"),
            };
            let text = if hcl {
                format!(
                    "path {} {{ capabilities = [{}, \"read\"] }}",
                    Value::from(pattern.clone()),
                    Value::from(cap)
                )
            } else {
                json!({"path": {pattern: {"capabilities": [cap]}}}).to_string()
            };
            let mount = |t: &str| json!({"type": t, "accessor": "a", "uuid": "u", "seal_wrap": false});
            vec![
                ("vault/auth-list.json".into(), json!({"kubernetes/": mount("kubernetes"), "jwt/": mount("jwt"), "approle/": mount("approle")}).to_string().into_bytes()),
                ("vault/auth/kubernetes/config.json".into(), read(json!({"kubernetes_host": format!("https://{role}.example:6443")}))),
                (format!("vault/auth/kubernetes/role/{role}.json"), read(json!({"bound_service_account_names": [sa.clone()], "bound_service_account_namespaces": [secret.clone(), "*"], "bound_service_account_namespace_selector": sa, "token_policies": [policy.clone()]}))),
                ("vault/auth/jwt/config.json".into(), read(json!({"bound_issuer": "https://token.actions.githubusercontent.com"}))),
                (format!("vault/auth/jwt/role/{role}.json"), read(json!({"role_type": "jwt", "bound_claims": {"sub": sa, role.clone(): [secret.clone()]}, "bound_claims_type": "glob", "policies": policy}))),
                (format!("vault/auth/approle/role/{role}/secret-id-accessor/x.json"), read(json!({"secret_id_accessor": sa, "creation_time": secret, "expiration_time": "0001-01-01T00:00:00Z", "cidr_list": [role.clone()]}))),
                (format!("vault/policies/{policy}.json"), json!({"policy": text}).to_string().into_bytes()),
                (format!("vault/kv/secret/{secret}.json"), read(json!({"data": {"password": "PLANTED", secret.clone(): 1}, "metadata": {"version": 2, "created_time": sa}}))),
                ("vault/kv/secret.json".into(), json!([secret, "x/", role]).to_string().into_bytes()),
                ("vault/tokens/t.json".into(), read(json!({"accessor": role, "policies": [policy, "default"], "id": "PLANTED", "meta": {"role": sa}}))),
            ]
        })
}

#[test]
fn vault_exports() {
    run(vault());
}

#[test]
fn azure_exports() {
    run(azure());
}

#[test]
fn aws_authorization_details() {
    run(gaad());
}

#[test]
fn github_workflows() {
    run(workflow());
}

#[test]
fn github_api_listings() {
    run(gh_api());
}

#[test]
fn native_graphs() {
    run(native());
}

#[test]
fn inventory_and_links_csv() {
    run(csvs());
}

#[test]
fn kubernetes_objects() {
    run(kubernetes());
}

#[test]
fn gcp_exports() {
    run(gcp());
}
