//! One cluster's nodes and edges: identities, secrets and workloads, what RBAC lets each
//! subject do to them, and the ways in from AWS (aws-auth, access entries) and out to the
//! clouds (IRSA, EKS pod identity, GKE workload identity).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::Cluster;
use super::objects::{Object, Spec};
use crate::import::{Warning, provenance, revoke};
use crate::model::{Credential, Edge, EdgeKind, Node, NodeId, NodeKind, Provenance, TrustGraph};

/// Workload controllers: their kind, the key part, and the API group RBAC names them in.
pub(super) const CONTROLLERS: [(&str, &str, &str); 7] = [
    ("Deployment", "deployments", "apps"),
    ("StatefulSet", "statefulsets", "apps"),
    ("DaemonSet", "daemonsets", "apps"),
    ("ReplicaSet", "replicasets", "apps"),
    ("ReplicationController", "replicationcontrollers", ""),
    ("Job", "jobs", "batch"),
    ("CronJob", "cronjobs", "batch"),
];

pub(super) const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

pub(super) struct Build<'a> {
    pub(super) cluster: &'a str,
    pub(super) graph: &'a mut TrustGraph,
    pub(super) warnings: &'a mut Vec<Warning>,
    /// Edges made, so that two rules of one binding granting the same thing make one edge.
    /// (Keyed by the endpoints, the kind and the revoke list shared by a binding's edges.)
    pub(super) made: rustc_hash::FxHashSet<(NodeId, NodeId, EdgeKind, usize)>,
    /// Names by namespace, of service accounts, secrets, pods and each controller kind.
    pub(super) sas: BTreeMap<String, BTreeSet<String>>,
    pub(super) secrets: BTreeMap<String, BTreeSet<String>>,
    pub(super) pods: BTreeMap<String, BTreeSet<String>>,
    pub(super) workloads: BTreeMap<&'static str, BTreeMap<String, BTreeSet<String>>>,
    pub(super) nodes: BTreeSet<String>,
    pub(super) users: BTreeSet<String>,
    pub(super) groups: BTreeSet<String>,
}

fn parse_time(s: &Option<String>) -> Option<Timestamp> {
    s.as_deref().and_then(|t| {
        t.parse::<Timestamp>()
            .ok()
            .or_else(|| format!("{t}T00:00:00Z").parse().ok())
    })
}

impl Build<'_> {
    pub(super) fn key(&self, kind: &str, ns: Option<&str>, name: &str) -> String {
        match ns {
            Some(ns) => format!("k8s:{}:{kind}:{ns}/{name}", self.cluster),
            None => format!("k8s:{}:{kind}:{name}", self.cluster),
        }
    }

    pub(super) fn admin(&self) -> String {
        format!("k8s:{}:cluster-admin", self.cluster)
    }

    /// Adds a node unless its key is known (another input may define it first).
    pub(super) fn node(
        &mut self,
        key: &str,
        kind: NodeKind,
        name: &str,
        ns: Option<&str>,
        prov: Provenance,
    ) -> Option<&mut Node> {
        let scope = match ns {
            Some(ns) => format!("{}/{ns}", self.cluster),
            None => self.cluster.to_string(),
        };
        crate::import::add_new_node(self.graph, key, kind, "k8s", name, Some(&scope), prov)
    }

    /// A node that an object refers to but the inputs do not define.
    pub(super) fn referred(
        &mut self,
        key: &str,
        kind: NodeKind,
        name: &str,
        ns: Option<&str>,
        file: &str,
        by: &str,
    ) {
        let prov = provenance(self.graph, file, by.to_string());
        if let Some(node) = self.node(key, kind, name, ns, prov) {
            node.tags
                .insert("not_in_inputs".into(), format!("named by {by}"));
        }
    }

    pub(super) fn edge(
        &mut self,
        from: &str,
        to: &str,
        kind: EdgeKind,
        reason: String,
        prov: &Provenance,
        tune: impl FnOnce(&mut Edge),
    ) {
        let (Some(a), Some(b)) = (self.graph.find(from), self.graph.find(to)) else {
            return;
        };
        let mut edge = Edge::new(kind, reason, prov.clone());
        tune(&mut edge);
        let revoke = std::sync::Arc::as_ptr(&edge.revoke).cast::<()>() as usize;
        if a == b || !self.made.insert((a, b, kind, revoke)) {
            return;
        }
        self.graph.add_edge(a, b, edge);
    }
}

pub(super) fn cluster(
    name: &str,
    c: &Cluster,
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
) {
    let mut b = Build {
        cluster: name,
        graph,
        warnings,
        made: Default::default(),
        sas: BTreeMap::new(),
        secrets: BTreeMap::new(),
        pods: BTreeMap::new(),
        workloads: BTreeMap::new(),
        nodes: BTreeSet::new(),
        users: BTreeSet::new(),
        groups: BTreeSet::new(),
    };
    let first_file = c
        .objects
        .first()
        .map(|(_, f)| f.as_str())
        .or_else(|| c.access_entries.first().map(|(_, f)| f.as_str()))
        .or_else(|| c.pod_identities.first().map(|(_, f)| f.as_str()))
        .unwrap_or("inputs");
    let prov = provenance(b.graph, first_file, format!("cluster {name}"));
    let admin = b.admin();
    if let Some(node) = b.node(
        &admin,
        NodeKind::Role,
        &format!("cluster-admin ({name})"),
        None,
        prov,
    ) {
        node.admin = true;
        node.tags.insert(
            "meaning".into(),
            "full control of the cluster: every verb on every resource in every namespace".into(),
        );
    }
    for (o, file) in &c.objects {
        objects_nodes(&mut b, o, file);
    }
    for (o, file) in &c.objects {
        workload_edges(&mut b, o, file);
    }
    // Who AWS principals are in the cluster first, so that bindings to their users
    // and groups find them.
    for (o, file) in &c.objects {
        if o.kind == "ConfigMap"
            && o.metadata.name == "aws-auth"
            && o.metadata.namespace.as_deref() == Some("kube-system")
        {
            super::cloud::aws_auth(&mut b, o, file);
        }
    }
    super::cloud::access_entries(&mut b, c);
    super::grants::rbac_edges(&mut b, c);
    super::cloud::workload_identity(&mut b, c);
    admin_edges(&mut b, &admin);
    stoppable(&mut b);
}

/// The key part of a controller kind (`Deployment` → `deployment`), if it is one.
pub(super) fn controller(kind: &str) -> Option<(&'static str, &'static str, &'static str)> {
    CONTROLLERS.iter().copied().find(|(k, _, _)| *k == kind)
}

/// The pod spec of a Pod or of a controller's template.
fn pod_spec(o: &Object) -> Option<&Spec> {
    let spec = o.spec.as_ref()?;
    if o.kind == "Pod" {
        return Some(spec);
    }
    if let Some(job) = &spec.job_template {
        return job.spec.template.as_ref().map(|t| &t.spec);
    }
    spec.template.as_ref().map(|t| &t.spec)
}

/// Nodes for the objects that are identities, secrets, workloads and nodes.
fn objects_nodes(b: &mut Build<'_>, o: &Object, file: &str) {
    let ns = o.metadata.namespace.as_deref();
    let name = o.metadata.name.as_str();
    if name.is_empty() {
        return;
    }
    let shown = ns.map_or(name.to_string(), |ns| format!("{ns}/{name}"));
    let prov = provenance(b.graph, file, format!("{} {shown}", o.kind));
    match o.kind.as_str() {
        "ServiceAccount" => {
            let Some(ns) = ns else { return };
            let key = b.key("sa", Some(ns), name);
            b.sas.entry(ns.into()).or_default().insert(name.into());
            let id = format!("delete-sa:{key}");
            if let Some(node) = b.node(&key, NodeKind::ServiceAccount, &shown, Some(ns), prov) {
                if o.automount_service_account_token == Some(false) {
                    node.tags.insert("automount_token".into(), "false".into());
                }
                for (k, v) in &o.metadata.annotations {
                    node.tags.insert(k.clone(), v.clone());
                }
                node.revoke = vec![revoke(id, "disable_identity", 5, Vec::new())];
            }
        }
        "Secret" => {
            let Some(ns) = ns else { return };
            let key = b.key("secret", Some(ns), name);
            b.secrets.entry(ns.into()).or_default().insert(name.into());
            let ty = o.secret_type.clone().unwrap_or_else(|| "Opaque".into());
            let token = ty == "kubernetes.io/service-account-token";
            let kind = if token {
                NodeKind::Credential
            } else {
                NodeKind::Secret
            };
            let created = parse_time(&o.metadata.creation_timestamp);
            let last_used = parse_time(
                &o.metadata
                    .labels
                    .get("kubernetes.io/legacy-token-last-used")
                    .cloned(),
            );
            let invalid = o
                .metadata
                .labels
                .contains_key("kubernetes.io/legacy-token-invalid-since");
            let id = format!("delete-secret:{key}");
            if let Some(node) = b.node(&key, kind, &shown, Some(ns), prov) {
                node.tags.insert("type".into(), ty);
                if let Some(data) = o.data.as_ref().filter(|d| !d.keys.is_empty()) {
                    node.tags.insert("data_keys".into(), data.keys.join(","));
                }
                if token {
                    node.credential = Some(Box::new(Credential {
                        kind: Some("service_account_token".into()),
                        status: Some(if invalid { "revoked" } else { "active" }.into()),
                        created,
                        last_used,
                        long_lived: Some(true),
                        ..Credential::default()
                    }));
                    if invalid {
                        node.tags
                            .insert("legacy_token_invalid".into(), "true".into());
                    }
                }
                let action = if token {
                    "revoke_token"
                } else {
                    "delete_secret"
                };
                node.revoke = vec![revoke(id, action, 3, Vec::new())];
            }
        }
        "Pod" => {
            let Some(ns) = ns else { return };
            let key = b.key("pod", Some(ns), name);
            b.pods.entry(ns.into()).or_default().insert(name.into());
            let node_name = o.spec.as_ref().and_then(|s| s.node_name.clone());
            if let Some(node) = b.node(&key, NodeKind::Workload, &shown, Some(ns), prov)
                && let Some(n) = &node_name
            {
                node.tags.insert("node".into(), n.clone());
            }
            if let Some(n) = node_name {
                b.nodes.insert(n);
            }
        }
        "Node" => {
            let key = b.key("node", None, name);
            b.nodes.insert(name.into());
            b.node(&key, NodeKind::Workload, name, None, prov);
        }
        kind => {
            let (Some((_, plural, _)), Some(ns)) = (controller(kind), ns) else {
                return;
            };
            let part = kind.to_ascii_lowercase();
            let key = b.key(&part, Some(ns), name);
            b.workloads
                .entry(plural)
                .or_default()
                .entry(ns.into())
                .or_default()
                .insert(name.into());
            let label = format!("{shown} ({kind})");
            let spec = o.spec.as_ref();
            if let Some(node) = b.node(&key, NodeKind::Workload, &label, Some(ns), prov) {
                if let Some(r) = spec.and_then(|s| s.replicas) {
                    node.tags.insert("replicas".into(), r.to_string());
                }
                if let Some(s) = spec.and_then(|s| s.schedule.clone()) {
                    node.tags.insert("schedule".into(), s);
                }
            }
        }
    }
}

/// What a pod (or a controller's pod template) runs as and reads, what controls it, and
/// the node a privileged pod can take over.
fn workload_edges(b: &mut Build<'_>, o: &Object, file: &str) {
    if o.kind == "Secret" {
        token_owner(b, o, file);
        return;
    }
    let (Some(ns), Some(spec)) = (o.metadata.namespace.as_deref(), pod_spec(o)) else {
        return;
    };
    let name = o.metadata.name.as_str();
    let part = if o.kind == "Pod" {
        "pod".to_string()
    } else if controller(&o.kind).is_some() {
        o.kind.to_ascii_lowercase()
    } else {
        return;
    };
    let me = b.key(&part, Some(ns), name);
    let what = format!("{} {ns}/{name}", o.kind.to_ascii_lowercase());
    let prov = provenance(b.graph, file, format!("{} {ns}/{name}", o.kind));
    // The service account, and whether its token is mounted.
    let sa = spec
        .service_account_name
        .as_deref()
        .or(spec.service_account.as_deref())
        .filter(|s| !s.is_empty())
        .unwrap_or("default");
    let sa_key = b.key("sa", Some(ns), sa);
    if b.graph.find(&sa_key).is_none() {
        b.referred(
            &sa_key,
            NodeKind::ServiceAccount,
            &format!("{ns}/{sa}"),
            Some(ns),
            file,
            &what,
        );
        b.sas.entry(ns.into()).or_default().insert(sa.into());
    }
    let sa_automount = b
        .graph
        .find(&sa_key)
        .map(|id| b.graph.node(id).tags.get("automount_token") != Some("false"))
        .unwrap_or(true);
    let projected: Vec<String> = spec
        .volumes
        .iter()
        .filter_map(|v| v.projected.as_ref())
        .flat_map(|p| &p.sources)
        .filter_map(|s| s.service_account_token.as_ref())
        .map(|t| {
            t.audience
                .clone()
                .unwrap_or_else(|| "the API server".into())
        })
        .collect();
    let automount = spec.automount_service_account_token.unwrap_or(sa_automount);
    let field = if o.kind == "Pod" {
        "spec"
    } else {
        "spec.template.spec"
    };
    // A cloud identity reaches the pod whatever automount says: the IRSA and Azure
    // webhooks mount their own token, GKE's metadata server answers for the account.
    let cloud = b.graph.find(&sa_key).and_then(|id| {
        let tags = &b.graph.node(id).tags;
        [
            "eks.amazonaws.com/role-arn",
            "iam.gke.io/gcp-service-account",
            "azure.workload.identity/client-id",
        ]
        .into_iter()
        .find(|a| tags.contains_key(a))
    });
    if automount || !projected.is_empty() || cloud.is_some() {
        let how = if automount {
            "its token is mounted".to_string()
        } else if !projected.is_empty() {
            format!("a projected token for {} is mounted", projected.join(", "))
        } else {
            format!(
                "no token is mounted, but the account's {} gives the pod its cloud identity all the same",
                cloud.unwrap_or_default()
            )
        };
        b.edge(
            &me,
            &sa_key,
            EdgeKind::RunsAs,
            format!("{what}: `{field}.serviceAccountName: {sa}`; {how}"),
            &prov,
            |_| {},
        );
    }
    // Secrets it mounts or takes into its environment.
    let mut read: BTreeMap<&str, String> = BTreeMap::new();
    for v in &spec.volumes {
        if let Some(s) = &v.secret {
            read.insert(&s.secret_name, format!("mounts it as volume {}", v.name));
        }
        for p in v.projected.iter().flat_map(|p| &p.sources) {
            if let Some(s) = &p.secret {
                read.insert(&s.name, format!("mounts it in projected volume {}", v.name));
            }
        }
    }
    let containers = spec
        .containers
        .iter()
        .chain(&spec.init_containers)
        .chain(&spec.ephemeral_containers);
    for c in containers {
        for e in &c.env {
            if let Some(r) = e
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
            {
                read.entry(&r.name).or_insert(format!(
                    "sets env {} of container {} from its key {}",
                    e.name, c.name, r.key
                ));
            }
        }
        for e in &c.env_from {
            if let Some(r) = &e.secret_ref {
                read.entry(&r.name).or_insert(format!(
                    "takes all of it into the environment of container {}",
                    c.name
                ));
            }
        }
    }
    for (secret, how) in read {
        if secret.is_empty() {
            continue;
        }
        let key = b.key("secret", Some(ns), secret);
        if b.graph.find(&key).is_none() {
            b.referred(
                &key,
                NodeKind::Secret,
                &format!("{ns}/{secret}"),
                Some(ns),
                file,
                &what,
            );
            b.secrets
                .entry(ns.into())
                .or_default()
                .insert(secret.into());
        }
        b.edge(
            &me,
            &key,
            EdgeKind::CanRead,
            format!("{what} {how} (Secret {ns}/{secret})"),
            &prov,
            |_| {},
        );
    }
    // The controller that makes it.
    for owner in &o.metadata.owner_references {
        if let Some((kind, _, _)) = controller(&owner.kind) {
            let key = b.key(&kind.to_ascii_lowercase(), Some(ns), &owner.name);
            b.edge(
                &key,
                &me,
                EdgeKind::CanControl,
                format!(
                    "{what} is made and updated by {} {ns}/{}",
                    owner.kind, owner.name
                ),
                &prov,
                |_| {},
            );
        }
    }
    if o.kind != "Pod" {
        return;
    }
    if let Some(node) = &spec.node_name {
        let node_key = b.key("node", None, node);
        if b.graph.find(&node_key).is_none() {
            b.referred(&node_key, NodeKind::Workload, node, None, file, &what);
        }
        b.edge(&node_key, &me, EdgeKind::CanControl, format!("{what} runs on node {node}: whoever holds the node (its kubelet) holds the pod's tokens and mounted secrets"), &prov, |_| {});
        let mut escapes = Vec::new();
        if spec.host_pid {
            escapes.push("hostPID: true".to_string());
        }
        for c in spec.containers.iter().chain(&spec.init_containers) {
            if c.security_context.as_ref().and_then(|s| s.privileged) == Some(true) {
                escapes.push(format!("container {} is privileged", c.name));
            }
        }
        for v in &spec.volumes {
            if let Some(h) = &v.host_path {
                escapes.push(format!("volume {} mounts hostPath {}", v.name, h.path));
            }
        }
        if !escapes.is_empty() {
            b.edge(
                &me,
                &node_key,
                EdgeKind::CanEscalate,
                format!("{what} can take over node {node}: {}", escapes.join(", ")),
                &prov,
                |e| {
                    e.technique = Some("container escape".into());
                },
            );
        }
    }
}

/// A legacy token Secret authenticates as the service account it names.
fn token_owner(b: &mut Build<'_>, o: &Object, file: &str) {
    let (Some(ns), Some(sa)) = (
        o.metadata.namespace.as_deref(),
        o.metadata
            .annotations
            .get("kubernetes.io/service-account.name"),
    ) else {
        return;
    };
    if o.secret_type.as_deref() != Some("kubernetes.io/service-account-token") {
        return;
    }
    let name = &o.metadata.name;
    let what = format!("Secret {ns}/{name}");
    let sa_key = super::grants::sa(b, ns, sa, file, &what);
    let me = b.key("secret", Some(ns), name);
    let prov = provenance(b.graph, file, what.clone());
    b.edge(&me, &sa_key, EdgeKind::AuthenticatesAs, format!("{what} is a legacy token of service account {ns}/{sa} (type kubernetes.io/service-account-token): it never expires"), &prov, |_| {});
}

/// Every pod, controller and node can be stopped (the plan catalogue has the commands):
/// a pod costs least, a controller's pods are a service, a node holds many pods.
fn stoppable(b: &mut Build<'_>) {
    let mut keys: Vec<(String, u32)> = Vec::new();
    for (ns, names) in &b.pods {
        keys.extend(names.iter().map(|n| (b.key("pod", Some(ns), n), 3)));
    }
    for (plural, by_ns) in &b.workloads {
        let Some((kind, _, _)) = CONTROLLERS.iter().find(|(_, p, _)| p == plural) else {
            continue;
        };
        let part = kind.to_ascii_lowercase();
        for (ns, names) in by_ns {
            keys.extend(names.iter().map(|n| (b.key(&part, Some(ns), n), 6)));
        }
    }
    keys.extend(b.nodes.iter().map(|n| (b.key("node", None, n), 8)));
    for (key, cost) in keys {
        let Some(id) = b.graph.find(&key) else {
            continue;
        };
        let node = b.graph.node_mut(id);
        if node.platform.as_ref() == "k8s" && node.revoke.is_empty() {
            node.revoke = vec![revoke(
                format!("stop:{key}"),
                "disable_workload",
                cost,
                Vec::new(),
            )];
        }
    }
}

/// Cluster-admin controls everything in the cluster.
fn admin_edges(b: &mut Build<'_>, admin: &str) {
    let prov = match b.graph.find(admin) {
        Some(id) => b.graph.node(id).provenance.clone(),
        None => return,
    };
    let mut targets: Vec<(String, EdgeKind, String)> = Vec::new();
    for (ns, names) in &b.sas {
        for n in names {
            targets.push((b.key("sa", Some(ns), n), EdgeKind::CanAssume, format!("cluster-admin can create a token for service account {ns}/{n} (serviceaccounts/token)")));
        }
    }
    for (ns, names) in &b.secrets {
        for n in names {
            targets.push((
                b.key("secret", Some(ns), n),
                EdgeKind::CanRead,
                format!("cluster-admin can get Secret {ns}/{n}"),
            ));
        }
    }
    for (ns, names) in &b.pods {
        for n in names {
            targets.push((
                b.key("pod", Some(ns), n),
                EdgeKind::CanControl,
                format!("cluster-admin can exec into pod {ns}/{n} (pods/exec)"),
            ));
        }
    }
    let workloads = b
        .workloads
        .iter()
        .flat_map(|(plural, by_ns)| by_ns.iter().map(move |(ns, names)| (plural, ns, names)));
    for (plural, ns, names) in workloads {
        let kind = CONTROLLERS
            .iter()
            .find(|(_, p, _)| p == plural)
            .map_or("", |(k, _, _)| *k);
        for n in names {
            targets.push((
                b.key(&kind.to_ascii_lowercase(), Some(ns), n),
                EdgeKind::CanControl,
                format!(
                    "cluster-admin can patch {plural} {ns}/{n} and so run any code in its pods"
                ),
            ));
        }
    }
    for n in &b.nodes {
        targets.push((
            b.key("node", None, n),
            EdgeKind::CanControl,
            format!("cluster-admin can run a privileged pod on node {n}"),
        ));
    }
    for (to, kind, reason) in targets {
        b.edge(admin, &to, kind, reason, &prov, |_| {});
    }
}
