//! Kubernetes importer at scale: a generated `kubectl get -A -o json` export of one
//! cluster (service accounts, Secrets, pods with their ReplicaSets and Deployments,
//! roles, bindings, nodes), loaded and turned into the graph, then a blast radius from a
//! pod.
//!
//!     cargo bench --bench k8s            # 10,000 objects
//!     cargo bench --bench k8s -- 50000   # another size
//!
//! The shape mirrors a busy cluster: per namespace a few dozen service accounts and
//! Secrets (some legacy tokens), pods made by Deployments, namespaced roles bound to
//! service accounts and groups; cluster-wide a few `view`/`edit`-like roles bound to
//! groups, one `list secrets` reader, nodes with ~30 pods each, and privileged pods.

use std::time::Instant;

use serde_json::{Value, json};
use trustpath::analysis::BlastRadius;
use trustpath::import::{Input, load_inputs};

use common::Rng;

mod common;

fn meta(name: &str, ns: Option<&str>) -> Value {
    let mut m = json!({"name": name, "uid": format!("uid-{name}"), "creationTimestamp": "2025-01-01T00:00:00Z",
                       "resourceVersion": "1"});
    if let Some(ns) = ns {
        m["namespace"] = json!(ns);
    }
    m
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    json!({"apiGroups": groups, "resources": resources, "verbs": verbs})
}

/// About `objects` objects, as one List.
fn generate(objects: usize) -> Value {
    let mut rng = Rng(11);
    // Per namespace: 20 service accounts, 30 Secrets, 5 Deployments with 5 ReplicaSets
    // and 40 pods, 3 Roles, 5 RoleBindings: 108 objects.
    let namespaces = (objects / 108).max(1);
    let nodes = (namespaces * 40 / 30).max(1);
    let mut items = Vec::with_capacity(objects + 64);
    for n in 0..nodes {
        items.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": meta(&format!("node-{n}"), None)}));
    }
    let cluster_roles = [
        (
            "view-ish",
            vec![rule(
                &["", "apps"],
                &["pods", "services", "deployments"],
                &["get", "list", "watch"],
            )],
        ),
        (
            "edit-ish",
            vec![
                rule(&[""], &["pods", "secrets"], &["*"]),
                rule(&["apps"], &["deployments"], &["*"]),
            ],
        ),
        ("secret-lister", vec![rule(&[""], &["secrets"], &["list"])]),
        ("exec", vec![rule(&[""], &["pods/exec"], &["create"])]),
    ];
    for (name, rules) in &cluster_roles {
        items.push(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                          "metadata": meta(name, None), "rules": rules}),
        );
    }
    for (i, group) in ["viewers", "secret-auditors"].iter().enumerate() {
        let role = if i == 0 { "view-ish" } else { "secret-lister" };
        items.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": meta(&format!("crb-{group}"), None),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}]}));
    }
    for n in 0..namespaces {
        let ns = format!("ns-{n}");
        let ns = ns.as_str();
        for s in 0..20 {
            items.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(&format!("sa-{s}"), Some(ns))}));
        }
        for s in 0..30 {
            let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                    "data": {"value": "ZXhhbXBsZQ=="}, "metadata": meta(&format!("secret-{s}"), Some(ns))});
            if s % 6 == 0 {
                secret["type"] = json!("kubernetes.io/service-account-token");
                secret["metadata"]["annotations"] =
                    json!({"kubernetes.io/service-account.name": format!("sa-{}", s % 20)});
            }
            items.push(secret);
        }
        let spec = |sa: usize, secret: usize, node: Option<usize>, privileged: bool| {
            let mut spec = json!({"serviceAccountName": format!("sa-{sa}"),
                "volumes": [{"name": "s", "secret": {"secretName": format!("secret-{secret}")}}],
                "containers": [{"name": "c", "image": "registry.example/app:1",
                                "securityContext": {"privileged": privileged},
                                "env": [{"name": "E", "valueFrom": {"secretKeyRef": {"name": format!("secret-{}", (secret + 1) % 30), "key": "value"}}}]}]});
            if let Some(node) = node {
                spec["nodeName"] = json!(format!("node-{node}"));
            }
            spec
        };
        for d in 0..5 {
            let (sa, secret) = (rng.below(20), rng.below(30));
            items.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(&format!("app-{d}"), Some(ns)),
                              "spec": {"replicas": 8, "template": {"spec": spec(sa, secret, None, false)}}}));
            let mut rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta(&format!("app-{d}-7d9f"), Some(ns)),
                                "spec": {"replicas": 8, "template": {"spec": spec(sa, secret, None, false)}}});
            rs["metadata"]["ownerReferences"] =
                json!([{"kind": "Deployment", "name": format!("app-{d}")}]);
            items.push(rs);
            for p in 0..8 {
                let privileged = rng.below(200) == 0;
                let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta(&format!("app-{d}-7d9f-{p}"), Some(ns)),
                                     "spec": spec(sa, secret, Some(rng.below(nodes)), privileged)});
                pod["metadata"]["ownerReferences"] =
                    json!([{"kind": "ReplicaSet", "name": format!("app-{d}-7d9f")}]);
                items.push(pod);
            }
        }
        for r in 0..3 {
            let rules = match r {
                0 => vec![rule(&[""], &["secrets"], &["get"])],
                1 => vec![rule(&["apps"], &["deployments"], &["create", "patch"])],
                _ => vec![rule(&[""], &["configmaps"], &["get", "list"])],
            };
            items.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                              "metadata": meta(&format!("role-{r}"), Some(ns)), "rules": rules}),
            );
        }
        for b in 0..5 {
            let (kind, role) = match b {
                3 => ("ClusterRole", "edit-ish".to_string()),
                4 => ("ClusterRole", "exec".to_string()),
                _ => ("Role", format!("role-{b}")),
            };
            let subject = if b == 3 {
                json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": format!("team-{}", n % 10)})
            } else {
                json!({"kind": "ServiceAccount", "name": format!("sa-{}", rng.below(20)), "namespace": ns})
            };
            items.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                              "metadata": meta(&format!("rb-{b}"), Some(ns)),
                              "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
                              "subjects": [subject]}));
        }
    }
    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items})
}

fn main() {
    let objects: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let doc = generate(objects);
    let count = doc["items"].as_array().map_or(0, Vec::len);
    let bytes = serde_json::to_vec(&doc).expect("JSON");
    println!(
        "{count} objects, {:.1} MB of kubectl JSON",
        bytes.len() as f64 / 1e6
    );
    let mut best = f64::MAX;
    let mut loaded = None;
    for run in 0..3 {
        let start = Instant::now();
        let l = load_inputs([Input::bytes("bench/all.json", bytes.clone())]).expect("loads");
        let secs = start.elapsed().as_secs_f64();
        println!(
            "run {run}: load {secs:.3} s ({} nodes, {} edges, {} warnings)",
            l.graph.node_count(),
            l.graph.edge_count(),
            l.warnings.len()
        );
        best = best.min(secs);
        loaded = Some(l);
    }
    let l = loaded.expect("loaded");
    let g = &l.graph;
    println!("best load {best:.3} s");
    for (what, key) in [
        ("a pod", "k8s:bench:pod:ns-0/app-0-7d9f-0"),
        (
            "a team group (edit in 1/10 of the namespaces)",
            "k8s:bench:group:team-0",
        ),
        (
            "the cluster-wide secret lister",
            "k8s:bench:group:secret-auditors",
        ),
    ] {
        let node = g.find(key).expect("in the generated cluster");
        let start = Instant::now();
        let blast = BlastRadius::compute(g, &[node], jiff::Timestamp::now());
        println!(
            "blast radius of {what}: {} reached in {:.2} ms",
            blast.reached.len(),
            start.elapsed().as_secs_f64() * 1e3
        );
    }
}
