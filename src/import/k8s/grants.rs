//! What RBAC lets each subject do, as edges: every binding's rules, in its scope, turned
//! into the reads, runs-as, exec and escalations an attacker holding the subject gets.
//! Each edge quotes the binding and the rule, and is cut by deleting the binding.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::Cluster;
use super::build::{Build, CONTROLLERS, RBAC_GROUP};
use super::objects::{Rule, Subject};
use super::rbac::{Allowed, Names, Roles, Scope, allows, quote_rule};
use crate::import::Warning;
use crate::import::{provenance, revoke};
use crate::model::{EdgeKind, NodeKind, Provenance, Revoke};

/// One binding's grant, as its edges carry it.
struct Grant<'r> {
    scope: Scope,
    rules: &'r [Rule],
    /// `RoleBinding payments/deployers grants ClusterRole edit in namespace payments`
    via: String,
    revoke: Arc<[Revoke]>,
    prov: Provenance,
    /// The file the binding is in.
    file: &'r str,
}

impl Grant<'_> {
    fn allows(&self, verbs: &[&str], group: &str, resource: &str) -> Option<Allowed<'_>> {
        allows(self.rules, verbs, group, resource)
    }

    fn reason(&self, allowed: &Allowed<'_>, effect: &str) -> String {
        format!("{}: {}, so it {effect}", self.via, quote_rule(allowed.rule))
    }
}

pub(super) fn rbac_edges(b: &mut Build<'_>, c: &Cluster) {
    let roles = Roles::new(c.objects.iter().map(|(o, _)| o));
    // Every subject first: impersonating "any user" or "any group" reaches those that
    // bindings later in the inputs name too.
    for (o, file) in &c.objects {
        if matches!(o.kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
            let binding = format!("{} {}", o.kind, o.metadata.name);
            for subject in o.subjects.iter().flatten() {
                subject_key(b, subject, o.metadata.namespace.as_deref(), file, &binding);
            }
        }
    }
    for (o, file) in &c.objects {
        let ns = o.metadata.namespace.as_deref();
        let (scope, id_part) = match (o.kind.as_str(), ns) {
            ("RoleBinding", Some(ns)) => (
                Scope::Namespace(ns.into()),
                format!("rolebinding:{ns}/{}", o.metadata.name),
            ),
            ("ClusterRoleBinding", _) => (
                Scope::Cluster,
                format!("clusterrolebinding:{}", o.metadata.name),
            ),
            _ => continue,
        };
        let Some(role_ref) = &o.role_ref else {
            continue;
        };
        let binding = match ns.filter(|_| scope != Scope::Cluster) {
            Some(ns) => format!("{} {ns}/{}", o.kind, o.metadata.name),
            None => format!("{} {}", o.kind, o.metadata.name),
        };
        let place = binding.clone();
        let warn = |b: &mut Build<'_>, message: String| {
            b.warnings.push(Warning::new(file, &place, message));
        };
        if scope == Scope::Cluster && role_ref.kind == "Role" {
            warn(
                b,
                format!(
                    "{binding} refers to Role {}: a ClusterRoleBinding can only refer to a ClusterRole, so it grants nothing",
                    role_ref.name
                ),
            );
            continue;
        }
        let Some(rules) = roles.rules(&role_ref.kind, ns, &role_ref.name) else {
            warn(
                b,
                format!(
                    "{binding} refers to {} {}, which is not in the inputs: it grants nothing now, and everything that role will hold once someone creates it",
                    role_ref.kind, role_ref.name
                ),
            );
            continue;
        };
        let grant = Grant {
            via: format!(
                "{binding} grants {} {} {}",
                role_ref.kind,
                role_ref.name,
                scope.describe()
            ),
            scope,
            rules: &rules,
            revoke: vec![revoke(
                format!("remove-binding:k8s:{}:{id_part}", b.cluster),
                "remove_binding",
                2,
                Vec::new(),
            )]
            .into(),
            prov: provenance(b.graph, file, binding.clone()),
            file,
        };
        for subject in o.subjects.iter().flatten() {
            if let Some(from) = subject_key(b, subject, ns, file, &binding) {
                capabilities(b, &from, &grant);
            }
        }
    }
    group_members(b);
}

/// The key of a binding's subject, adding its node when the inputs do not define it.
fn subject_key(
    b: &mut Build<'_>,
    s: &Subject,
    binding_ns: Option<&str>,
    file: &str,
    binding: &str,
) -> Option<String> {
    if s.name.is_empty() {
        return None;
    }
    let by = format!("a subject of {binding}");
    match s.kind.as_str() {
        "ServiceAccount" => {
            let ns = s.namespace.as_deref().or(binding_ns)?;
            Some(sa(b, ns, &s.name, file, &by))
        }
        "User" => Some(user(b, &s.name, file, &by)),
        "Group" => {
            let key = b.key("group", None, &s.name);
            b.referred(&key, NodeKind::Group, &s.name, None, file, &by);
            b.groups.insert(s.name.clone());
            Some(key)
        }
        _ => None,
    }
}

/// A service account's key, adding it when the inputs do not define it (a binding to a
/// service account not created yet: whoever creates it gets the grant).
pub(super) fn sa(b: &mut Build<'_>, ns: &str, name: &str, file: &str, by: &str) -> String {
    let key = b.key("sa", Some(ns), name);
    if b.graph.find(&key).is_none() {
        b.referred(
            &key,
            NodeKind::ServiceAccount,
            &format!("{ns}/{name}"),
            Some(ns),
            file,
            by,
        );
        b.sas.entry(ns.into()).or_default().insert(name.into());
    }
    key
}

/// A user's key (`system:serviceaccount:NS:NAME` is that service account).
pub(super) fn user(b: &mut Build<'_>, name: &str, file: &str, by: &str) -> String {
    user_as(b, name, file, by, None)
}

/// [`user`], of a known kind (a user mapped from an AWS principal is a machine's).
pub(super) fn user_as(
    b: &mut Build<'_>,
    name: &str,
    file: &str,
    by: &str,
    kind: Option<NodeKind>,
) -> String {
    if let Some((ns, sa_name)) = name
        .strip_prefix("system:serviceaccount:")
        .and_then(|r| r.split_once(':'))
    {
        return sa(b, ns, sa_name, file, by);
    }
    let key = b.key("user", None, name);
    let kind = kind.unwrap_or(if name.starts_with("system:") {
        NodeKind::ServiceAccount
    } else {
        NodeKind::Human
    });
    b.referred(&key, kind, name, None, file, by);
    b.users.insert(name.into());
    key
}

/// `(namespace, name)` of the objects of `map` in `scope` that `names` lets through.
fn in_scope(
    map: &BTreeMap<String, BTreeSet<String>>,
    scope: &Scope,
    names: &Names,
) -> Vec<(String, String)> {
    map.iter()
        .filter(|(ns, _)| scope.covers(Some(ns)))
        .flat_map(|(ns, set)| {
            set.iter()
                .filter(|n| names.contains(n))
                .map(move |n| (ns.clone(), n.clone()))
        })
        .collect()
}

fn capabilities(b: &mut Build<'_>, from: &str, g: &Grant<'_>) {
    let edge =
        |b: &mut Build<'_>, to: &str, kind: EdgeKind, reason: String, technique: Option<&str>| {
            let revoke = g.revoke.clone();
            b.edge(from, to, kind, reason, &g.prov, |e| {
                e.revoke = revoke;
                e.technique = technique.map(Into::into);
            });
        };
    let admin = b.admin();
    // Everything, everywhere: cluster-admin itself.
    if g.scope == Scope::Cluster
        && let Some(rule) = g.rules.iter().find(|r| {
            [&r.verbs, &r.resources, &r.api_groups]
                .iter()
                .all(|l| l.iter().any(|x| x == "*"))
        })
    {
        let reason = format!(
            "{}: {}: every verb on every resource in every namespace",
            g.via,
            quote_rule(rule)
        );
        edge(b, &admin, EdgeKind::CanAssume, reason, None);
        return;
    }
    // Granting oneself anything: bind (or escalate) plus writing bindings (or roles).
    let (roles, bindings) = match g.scope {
        Scope::Cluster => ("clusterroles", "clusterrolebindings"),
        Scope::Namespace(_) => ("roles", "rolebindings"),
    };
    let write = |resource| g.allows(&["create", "update", "patch"], RBAC_GROUP, resource);
    let bind = g
        .allows(&["bind"], RBAC_GROUP, roles)
        .or_else(|| g.allows(&["bind"], RBAC_GROUP, "clusterroles"))
        .zip(write(bindings))
        .map(|(a, w)| (a, w, "bind"));
    let escalate = g
        .allows(&["escalate"], RBAC_GROUP, roles)
        .zip(write(roles))
        .map(|(a, w)| (a, w, "escalate"));
    if let Some((allowed, written, technique)) = bind.or(escalate) {
        let effect = match &g.scope {
            Scope::Cluster => format!("can {technique} any ClusterRole to itself: cluster-admin"),
            Scope::Namespace(ns) => {
                format!(
                    "can {technique} any role to itself in namespace {ns}: it holds everything there"
                )
            }
        };
        let reason = format!(
            "{}: {} and {}, so it {effect}",
            g.via,
            quote_rule(allowed.rule),
            quote_rule(written.rule)
        );
        // `resourceNames` on bind or escalate limits it to the roles named: the grant is
        // then theirs, which the edge cannot tell without reading them.
        let narrowed = match &allowed.names {
            Names::All => None,
            Names::Only(names) => Some(format!(
                "only for the roles named [{}]: holds as far as they grant",
                names.iter().cloned().collect::<Vec<_>>().join(" ")
            )),
        };
        match &g.scope {
            Scope::Cluster => {
                let revoke = g.revoke.clone();
                b.edge(from, &admin, EdgeKind::CanEscalate, reason, &g.prov, |e| {
                    e.revoke = revoke;
                    e.technique = Some(technique.into());
                    e.conditions = narrowed
                        .iter()
                        .map(|n| crate::model::Condition::described(n.as_str()))
                        .collect();
                });
            }
            Scope::Namespace(ns) => {
                namespace_admin(b, from, g, ns, &reason, technique, narrowed.as_deref());
            }
        }
    }
    // Impersonation. Users and groups are cluster-scoped: a RoleBinding cannot grant it.
    let cluster = g.scope == Scope::Cluster;
    if cluster && let Some(a) = g.allows(&["impersonate"], "", "groups") {
        if a.names.contains("system:masters") {
            let reason = g.reason(
                &a,
                "can impersonate group system:masters, which bypasses RBAC",
            );
            edge(
                b,
                &admin,
                EdgeKind::CanEscalate,
                reason,
                Some("impersonate"),
            );
        }
        let groups: Vec<String> = b
            .groups
            .iter()
            .filter(|n| a.names.contains(n))
            .cloned()
            .collect();
        for group in groups {
            let to = b.key("group", None, &group);
            edge(
                b,
                &to,
                EdgeKind::CanAssume,
                g.reason(&a, &format!("can impersonate group {group}")),
                None,
            );
        }
    }
    if cluster && let Some(a) = g.allows(&["impersonate"], "", "users") {
        let users: Vec<String> = match &a.names {
            Names::All => b.users.iter().cloned().collect(),
            Names::Only(names) => names.iter().cloned().collect(),
        };
        for name in users {
            let to = user(b, &name, g.file, &g.via);
            edge(
                b,
                &to,
                EdgeKind::CanAssume,
                g.reason(&a, &format!("can impersonate user {name}")),
                None,
            );
        }
    }
    for (verbs, resource, what) in [
        (&["impersonate"][..], "serviceaccounts", "can impersonate"),
        (
            &["create"][..],
            "serviceaccounts/token",
            "can create a token for",
        ),
    ] {
        if let Some(a) = g.allows(verbs, "", resource) {
            for (ns, name) in in_scope(&b.sas, &g.scope, &a.names) {
                let to = b.key("sa", Some(&ns), &name);
                edge(
                    b,
                    &to,
                    EdgeKind::CanAssume,
                    g.reason(&a, &format!("{what} service account {ns}/{name}")),
                    None,
                );
            }
        }
    }
    // Reading secrets.
    if let Some(a) = g.allows(&["get", "list", "watch"], "", "secrets") {
        for (ns, name) in in_scope(&b.secrets, &g.scope, &a.names) {
            let to = b.key("secret", Some(&ns), &name);
            edge(
                b,
                &to,
                EdgeKind::CanRead,
                g.reason(&a, &format!("can read Secret {ns}/{name}")),
                None,
            );
        }
    }
    // Running a pod: as any service account of the namespace, mounting any Secret there.
    let create = std::iter::once(("", "pods"))
        .chain(
            CONTROLLERS
                .iter()
                .map(|(_, plural, group)| (*group, *plural)),
        )
        // `create` cannot be narrowed by name (the object has none yet): a rule that
        // names objects grants no create.
        .find_map(|(group, resource)| {
            g.allows(&["create"], group, resource)
                .filter(|a| a.names == Names::All)
        })
        .or_else(|| {
            // Rewriting a controller's pod template sets any service account or Secret
            // of the namespace too.
            CONTROLLERS
                .iter()
                .find_map(|(_, plural, group)| g.allows(&["patch", "update"], group, plural))
        });
    if let Some(a) = &create {
        for (ns, name) in in_scope(&b.sas, &g.scope, &Names::All) {
            let to = b.key("sa", Some(&ns), &name);
            let reason = g.reason(
                a,
                &format!("can start a pod in namespace {ns} (create one, or rewrite a controller's template) that runs as service account {name}"),
            );
            edge(b, &to, EdgeKind::CanEscalate, reason, Some("create pods"));
        }
        for (ns, name) in in_scope(&b.secrets, &g.scope, &Names::All) {
            let to = b.key("secret", Some(&ns), &name);
            let reason = g.reason(
                a,
                &format!("can start a pod in namespace {ns} (create one, or rewrite a controller's template) that mounts Secret {name}"),
            );
            edge(b, &to, EdgeKind::CanRead, reason, Some("create pods"));
        }
    }
    // Creating a legacy token Secret for a service account: the token controller fills it.
    if create.is_none()
        && let Some(a) = g
            .allows(&["create"], "", "secrets")
            .filter(|a| a.names == Names::All)
    {
        for (ns, name) in in_scope(&b.sas, &g.scope, &Names::All) {
            let to = b.key("sa", Some(&ns), &name);
            let reason = g.reason(&a, &format!("can create a Secret of type kubernetes.io/service-account-token for service account {ns}/{name}, which the token controller fills"));
            // The token appears in the Secret later: reading it needs get, list or watch.
            let readable = g.allows(&["get", "list", "watch"], "", "secrets").is_some();
            let revoke = g.revoke.clone();
            b.edge(from, &to, EdgeKind::CanEscalate, reason, &g.prov, |e| {
                e.revoke = revoke;
                e.technique = Some("create token secret".into());
                if !readable {
                    e.conditions = vec![crate::model::Condition::described(
                        "if it can also read the Secret once the token controller fills it (this grant cannot)",
                    )];
                }
            });
        }
    }
    // Running code in existing pods.
    // Running code in existing pods, each way counted (one may name fewer pods).
    for (verbs, resource, what) in [
        (&["create", "get"][..], "pods/exec", "exec into"),
        (&["create", "get"][..], "pods/attach", "attach to"),
        (
            &["patch", "update"][..],
            "pods/ephemeralcontainers",
            "add an ephemeral container to",
        ),
        (&["patch", "update"][..], "pods", "replace the image of"),
    ] {
        let Some(a) = g.allows(verbs, "", resource) else {
            continue;
        };
        for (ns, name) in in_scope(&b.pods, &g.scope, &a.names) {
            let to = b.key("pod", Some(&ns), &name);
            edge(
                b,
                &to,
                EdgeKind::CanControl,
                g.reason(&a, &format!("can {what} pod {ns}/{name}")),
                None,
            );
        }
    }
    for (kind, plural, group) in CONTROLLERS {
        let Some(a) = g.allows(&["patch", "update"], group, plural) else {
            continue;
        };
        let part = kind.to_ascii_lowercase();
        let Some(names) = b.workloads.get(plural) else {
            continue;
        };
        for (ns, name) in in_scope(names, &g.scope, &a.names) {
            let to = b.key(&part, Some(&ns), &name);
            edge(
                b,
                &to,
                EdgeKind::CanControl,
                g.reason(
                    &a,
                    &format!("can change the pod template of {kind} {ns}/{name}"),
                ),
                None,
            );
        }
    }
    // Every pod of a node, through its kubelet.
    if g.scope == Scope::Cluster
        && let Some(a) = g.allows(&["get", "create"], "", "nodes/proxy")
    {
        let nodes: Vec<String> = b
            .nodes
            .iter()
            .filter(|n| a.names.contains(n))
            .cloned()
            .collect();
        for n in nodes {
            let to = b.key("node", None, &n);
            edge(b, &to, EdgeKind::CanControl, g.reason(&a, &format!("can run commands in every pod of node {n} through its kubelet (nodes/proxy)")), Some("nodes/proxy"));
        }
    }
}

/// Everything in one namespace: its service accounts, Secrets, pods and workloads.
fn namespace_admin(
    b: &mut Build<'_>,
    from: &str,
    g: &Grant<'_>,
    ns: &str,
    reason: &str,
    technique: &str,
    narrowed: Option<&str>,
) {
    let scope = Scope::Namespace(ns.into());
    let mut targets: Vec<(String, EdgeKind)> = Vec::new();
    for (ns, n) in in_scope(&b.sas, &scope, &Names::All) {
        targets.push((b.key("sa", Some(&ns), &n), EdgeKind::CanEscalate));
    }
    for (ns, n) in in_scope(&b.secrets, &scope, &Names::All) {
        targets.push((b.key("secret", Some(&ns), &n), EdgeKind::CanRead));
    }
    for (ns, n) in in_scope(&b.pods, &scope, &Names::All) {
        targets.push((b.key("pod", Some(&ns), &n), EdgeKind::CanControl));
    }
    for (kind, plural, _) in CONTROLLERS {
        let Some(by_ns) = b.workloads.get(plural) else {
            continue;
        };
        let part = kind.to_ascii_lowercase();
        for (ns, n) in in_scope(by_ns, &scope, &Names::All) {
            targets.push((b.key(&part, Some(&ns), &n), EdgeKind::CanControl));
        }
    }
    for to in targets {
        let revoke = g.revoke.clone();
        b.edge(from, &to.0, to.1, reason.to_string(), &g.prov, |e| {
            e.revoke = revoke;
            if to.1 == EdgeKind::CanEscalate {
                e.technique = Some(technique.into());
            }
            e.conditions = narrowed
                .iter()
                .map(|n| crate::model::Condition::described(*n))
                .collect();
        });
    }
}

/// Service accounts are members of `system:serviceaccounts`, `system:serviceaccounts:NS`
/// and `system:authenticated`, when a binding names those groups; `system:masters`
/// bypasses RBAC.
fn group_members(b: &mut Build<'_>) {
    let groups: Vec<String> = b.groups.iter().cloned().collect();
    let admin = b.admin();
    for group in groups {
        let key = b.key("group", None, &group);
        let Some(id) = b.graph.find(&key) else {
            continue;
        };
        let prov = b.graph.node(id).provenance.clone();
        if group == "system:masters" {
            b.edge(
                &key,
                &admin,
                EdgeKind::CanAssume,
                "group system:masters bypasses RBAC: its members are cluster-admin".into(),
                &prov,
                |_| {},
            );
            continue;
        }
        let members: Vec<(String, String)> = match group.as_str() {
            "system:serviceaccounts" | "system:authenticated" => {
                in_scope(&b.sas, &Scope::Cluster, &Names::All)
            }
            g => match g.strip_prefix("system:serviceaccounts:") {
                Some(ns) => in_scope(&b.sas, &Scope::Namespace(ns.into()), &Names::All),
                None => Vec::new(),
            },
        };
        for (ns, n) in members {
            let from = b.key("sa", Some(&ns), &n);
            b.edge(
                &from,
                &key,
                EdgeKind::MemberOf,
                format!("service account {ns}/{n} is in group {group}"),
                &prov,
                |_| {},
            );
        }
        // Every user who signs in is authenticated too.
        if group == "system:authenticated" {
            let users: Vec<String> = b.users.iter().cloned().collect();
            for user in users {
                let from = b.key("user", None, &user);
                b.edge(
                    &from,
                    &key,
                    EdgeKind::MemberOf,
                    format!("user {user} is in group system:authenticated once signed in"),
                    &prov,
                    |_| {},
                );
            }
        }
    }
}
