//! The Vault part of the graph, once every file is read: policies, secrets, auth roles,
//! tokens and secret-ids as nodes; who logs in as which role ([`super::login`]); and what
//! each role and token can read or escalate to, from its policies merged as Vault merges
//! them ([`acl::Acl`]).

use std::collections::BTreeSet;

use super::acl::{self, Acl, Caps, Merged};
use super::commands::{self as cmd, role_path};
use super::{Inventory, KvSecret, Role, login};
use crate::import::{Warning, add_new_node, add_placeholder, provenance, revoke};
use crate::model::{Condition, Edge, EdgeKind, NodeId, NodeKind, Revoke, TrustGraph};

/// The node of the Vault cluster's root: whoever can rewrite policies, auth methods or
/// roles at will, or mint tokens with any policy.
pub(crate) const ADMIN: &str = "vault:admin";

pub(super) struct Build<'a> {
    pub(super) v: &'a Inventory,
    pub(super) graph: &'a mut TrustGraph,
    pub(super) warnings: &'a mut Vec<Warning>,
}

/// One holder of policies: an auth role (whose logins get them), a token role (whose
/// tokens may), or a token.
pub(super) struct Holder {
    pub(super) node: NodeId,
    /// How reasons name it (`auth/kubernetes/role/payments`, `token abc…`).
    pub(super) label: String,
    pub(super) policies: Vec<String>,
    /// The role's policy field (`token_policies=`), when its policies can be detached
    /// from it.
    pub(super) role: Option<&'static str>,
    pub(super) mount: String,
    pub(super) name: String,
}

/// A secret a policy can reach: its API path and node.
struct Target {
    path: String,
    node: NodeId,
}

pub(crate) fn finish(v: &Inventory, graph: &mut TrustGraph, warnings: &mut Vec<Warning>) {
    if v.is_empty() {
        return;
    }
    let mut b = Build { v, graph, warnings };
    let admin = b.admin_node();
    b.policy_nodes();
    let mut targets = b.secret_nodes();
    let mut holders = b.role_nodes();
    holders.extend(login::tokens(&mut b));
    login::secret_ids(&mut b);
    login::kubernetes(&mut b);
    login::jwt(&mut b);
    targets.extend(b.glob_nodes(&targets));
    for holder in &holders {
        b.access(holder, &targets, admin);
    }
    for t in &targets {
        let at = b.graph.node(admin).provenance.clone();
        let mut edge = Edge::new(
            EdgeKind::CanRead,
            "a Vault admin can grant itself any policy: every secret is in reach",
            at,
        );
        edge.revoke = crate::model::no_revoke();
        b.graph.add_edge(admin, t.node, edge);
    }
}

impl Inventory {
    fn is_empty(&self) -> bool {
        self.mounts.is_empty()
            && self.configs.is_empty()
            && self.roles.is_empty()
            && self.policies.is_empty()
            && self.secrets.is_empty()
            && self.tokens.is_empty()
            && self.secret_ids.is_empty()
    }

    /// The secrets engine a CLI path is under (the longest mount that prefixes it; the
    /// first segment when no `vault secrets list` was read) and the rest of the path.
    pub(super) fn engine_of<'p>(&self, cli: &'p str) -> (String, &'p str) {
        let mount = self
            .engines
            .keys()
            .filter(|m| {
                cli.strip_prefix(m.as_str())
                    .is_some_and(|r| r.starts_with('/'))
            })
            .max_by_key(|m| m.len());
        match mount {
            Some(m) => (m.clone(), &cli[m.len() + 1..]),
            None => match cli.split_once('/') {
                Some((m, rest)) => (m.to_string(), rest),
                None => (cli.to_string(), ""),
            },
        }
    }

    /// KV version of a mount: `vault secrets list`'s `options.version`, else what a read
    /// under it showed; `None` when nothing says.
    fn kv_version(&self, mount: &str) -> Option<u8> {
        if let Some(e) = self.engines.get(mount) {
            let v = e
                .options
                .as_ref()
                .and_then(|o| o.get("version").cloned().flatten());
            if e.kind == "kv" {
                return Some(if v.as_deref() == Some("2") { 2 } else { 1 });
            }
        }
        self.secrets
            .iter()
            .filter(|(p, _)| self.engine_of(p).0 == mount)
            .find_map(|(_, s)| s.version)
    }
}

impl Build<'_> {
    pub(super) fn prov(&mut self, file: &str, what: String) -> crate::model::Provenance {
        provenance(self.graph, file, what)
    }

    fn policy_nodes(&mut self) {
        for (name, (policy, file)) in &self.v.policies {
            let prov = self.prov(file, format!("policy {name}"));
            let key = format!("vault:policy:{name}");
            let Some(node) = add_new_node(
                self.graph,
                &key,
                NodeKind::Resource,
                "vault",
                &format!("policy {name}"),
                Some("sys/policies/acl"),
                prov,
            ) else {
                continue;
            };
            let rules: Vec<String> = policy.rules.iter().map(acl::Rule::text).collect();
            node.tags.insert("rules".into(), rules.join("\n"));
            node.revoke.push(edit_policy(name, "*"));
        }
    }

    /// KV secrets, keyed by their API path (`secret/data/payments/db` under KV v2).
    fn secret_nodes(&mut self) -> Vec<Target> {
        let mut out = Vec::new();
        for (cli, secret) in &self.v.secrets {
            let (mount, rest) = self.v.engine_of(cli);
            let known = self.v.kv_version(&mount);
            let version = known.unwrap_or(2);
            let path = if version == 2 && !rest.is_empty() {
                format!("{mount}/data/{rest}")
            } else {
                cli.clone()
            };
            let prov = self.prov(&secret.file, format!("secret {cli}"));
            let key = format!("vault:secret:{path}");
            let Some(node) = add_new_node(
                self.graph,
                &key,
                NodeKind::Secret,
                "vault",
                &path,
                Some(&mount),
                prov,
            ) else {
                if let Some(id) = self.graph.find(&key) {
                    out.push(Target { path, node: id });
                }
                continue;
            };
            let shown = match known {
                Some(v) => v.to_string(),
                None => "2 (assumed: no read under this mount and no `vault secrets list`)".into(),
            };
            node.tags.insert("kv_version".into(), shown);
            node.tags.insert("cli_path".into(), cli.clone());
            tag_secret(node, secret);
            // No revoke entry: rotating a stored value does not take away the read paths
            // to it (the plan rotates exposed secrets at their issuer, after the cuts).
            let id = self.graph.find(&key).expect("just added");
            out.push(Target { path, node: id });
        }
        out
    }

    /// A node per glob that grants a read on secrets none of the inputs name, so the grant
    /// is not lost: `vault:secret:secret/data/payments/*`, flagged as not in the inputs.
    fn glob_nodes(&mut self, known: &[Target]) -> Vec<Target> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for (name, (policy, file)) in &self.v.policies {
            for rule in &policy.rules {
                let p = rule.pattern.as_str();
                let internal = ["sys/", "auth/", "identity/", "cubbyhole/"]
                    .iter()
                    .any(|s| p.starts_with(s));
                let glob = p.ends_with('*') || p.split('/').any(|s| s == "+");
                if !rule.caps.any(Caps::READ)
                    || internal
                    || p == "*"
                    || known.iter().any(|t| acl::matches(p, &t.path))
                    || !seen.insert(p.to_string())
                {
                    continue;
                }
                let prov = self.prov(file, format!("policy {name}"));
                let key = format!("vault:secret:{p}");
                let why = if glob {
                    format!("paths matching {p} (policy {name}): none of them in the inputs")
                } else {
                    format!("named by policy {name}: not in the inputs")
                };
                let id = add_placeholder(self.graph, &key, NodeKind::Secret, "vault", why, prov);
                let node = self.graph.node_mut(id);
                node.name = p.into();
                out.push(Target {
                    path: p.to_string(),
                    node: id,
                });
            }
        }
        out
    }

    fn role_nodes(&mut self) -> Vec<Holder> {
        let mut out = Vec::new();
        for role in &self.v.roles {
            let key = format!("vault:role:{}/{}", role.mount, role.name);
            let api = role_path(&role.mount, &role.name);
            let prov = self.prov(&role.file, api.clone());
            let kind = self.mount_kind(&role.mount);
            let Some(node) = add_new_node(
                self.graph,
                &key,
                NodeKind::Role,
                "vault",
                &format!("{}/{}", role.mount, role.name),
                Some(&format!("auth/{}", role.mount)),
                prov,
            ) else {
                continue;
            };
            node.tags.insert("auth_method".into(), kind.clone());
            tag_role(node, role);
            node.revoke.push(revoke(
                format!("delete-role:{key}"),
                "disable_identity",
                6,
                vec![cmd::delete_role(&role.mount, &role.name).render()],
            ));
            let id = self.graph.find(&key).expect("just added");
            let d = &role.data;
            let mut policies: Vec<String> = if role.mount == "token" {
                d.allowed_policies.0.clone()
            } else {
                d.token_policies
                    .iter()
                    .chain(d.policies.iter())
                    .map(str::to_string)
                    .collect()
            };
            if d.token_no_default_policy != Some(true) {
                policies.push("default".into());
            }
            dedup(&mut policies);
            out.push(Holder {
                node: id,
                label: api,
                policies,
                role: Some(if role.mount == "token" {
                    "allowed_policies="
                } else {
                    "token_policies="
                }),
                mount: role.mount.clone(),
                name: role.name.clone(),
            });
        }
        out
    }

    /// The auth method of a mount: `vault auth list`'s type, else the mount's name.
    pub(super) fn mount_kind(&self, mount: &str) -> String {
        match self.v.mounts.get(mount) {
            Some((m, _)) if !m.kind.is_empty() => m.kind.clone(),
            _ => mount.rsplit('/').next().unwrap_or(mount).to_string(),
        }
    }

    fn admin_node(&mut self) -> NodeId {
        let file = self
            .v
            .mounts
            .values()
            .map(|(_, f)| f)
            .chain(self.v.policies.values().map(|(_, f)| f))
            .next()
            .cloned()
            .unwrap_or_default();
        let prov = self.prov(&file, "the Vault cluster".into());
        if let Some(node) = add_new_node(
            self.graph,
            ADMIN,
            NodeKind::Role,
            "vault",
            "Vault root (any policy, any secret)",
            None,
            prov,
        ) {
            node.admin = true;
        }
        self.graph.find(ADMIN).expect("just added")
    }

    /// What one holder's policies give it: reads of every secret its merged ACL allows,
    /// and the ways to Vault admin.
    fn access(&mut self, h: &Holder, targets: &[Target], admin: NodeId) {
        let held: Vec<&str> = h
            .policies
            .iter()
            .filter(|p| self.v.policies.contains_key(*p))
            .map(String::as_str)
            .collect();
        let missing: Vec<&str> = h
            .policies
            .iter()
            .filter(|p| !self.v.policies.contains_key(*p) && *p != "default")
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            self.graph
                .node_mut(h.node)
                .tags
                .insert("policies_not_in_inputs".into(), missing.join(", "));
        }
        let acl = Acl::new(held.iter().map(|p| (*p, &self.v.policies[*p].0)));
        let list = h.policies.join(", ");
        for t in targets {
            let Some(m) = acl.allows(&t.path, Caps::READ, Caps::default()) else {
                continue;
            };
            let reason = format!("{} carries policies [{list}]; {}", h.label, m.because());
            self.grant(h, t.node, EdgeKind::CanRead, reason, m, None);
        }
        // The first way in that holds; unconditional ones are tried first.
        for e in self.escalations(h) {
            if let Some(m) = acl.allows(&e.path, Caps::CREATE | Caps::UPDATE, e.also) {
                let reason = format!("{} {}: {}", h.label, e.what, m.because());
                let how = Some(("vault-admin", e.condition));
                self.grant(h, admin, EdgeKind::CanEscalate, reason, m, how);
                break;
            }
        }
        // Rewriting a policy it does not hold sets what every holder of it can do.
        for name in self.v.policies.keys() {
            if h.policies.contains(name) {
                continue;
            }
            let path = format!("sys/policies/acl/{name}");
            if let Some(m) = acl.allows(&path, Caps::CREATE | Caps::UPDATE, Caps::default()) {
                let Some(to) = self.graph.find(&format!("vault:policy:{name}")) else {
                    continue;
                };
                let reason = format!(
                    "{} can rewrite policy {name} ({path}), and so what every token holding it can do: {}",
                    h.label,
                    m.because()
                );
                self.grant(h, to, EdgeKind::CanControl, reason, m, None);
            }
        }
        for role in &self.v.roles {
            let path = format!("auth/token/create/{}", role.name);
            if role.mount != "token" || h.mount == "token" && h.name == role.name {
                continue;
            }
            if let Some(m) = acl.allows(&path, Caps::CREATE | Caps::UPDATE, Caps::default()) {
                let to = format!("vault:role:token/{}", role.name);
                if let Some(to) = self.graph.find(&to) {
                    let reason = format!(
                        "{} can create tokens of token role {} ({path}): {}",
                        h.label,
                        role.name,
                        m.because()
                    );
                    self.grant(h, to, EdgeKind::CanAssume, reason, m, None);
                }
            }
        }
    }

    /// The paths whose write makes a holder Vault admin, what each means, and the
    /// capability it needs besides create or update.
    fn escalations(&self, h: &Holder) -> Vec<Escalation> {
        let none = Caps::default();
        let mut out: Vec<(String, String, Caps)> = Vec::new();
        for p in &h.policies {
            for dir in ["sys/policies/acl", "sys/policy"] {
                out.push((
                    format!("{dir}/{p}"),
                    format!("can rewrite policy {p}, which it holds ({dir}/{p})"),
                    none,
                ));
            }
        }
        out.push((
            "sys/policies/acl/trustpath-any-policy".into(),
            "can rewrite any policy (sys/policies/acl/*), the default policy every token holds included".into(),
            none,
        ));
        out.push((
            "sys/auth/trustpath-any-mount".into(),
            "can enable and configure auth methods (sys/auth/*, with sudo) and log in through one it made".into(),
            Caps::SUDO,
        ));
        if h.role.is_some() && h.mount != "token" {
            out.push((
                role_path(&h.mount, &h.name),
                format!(
                    "can rewrite its own role ({}), policies included",
                    role_path(&h.mount, &h.name)
                ),
                none,
            ));
        }
        for path in ["auth/token/create", "auth/token/create-orphan"] {
            out.push((
                path.into(),
                format!("can create tokens with any policy ({path} with sudo skips the check that a child's policies are its parent's)"),
                Caps::SUDO,
            ));
        }
        for path in [
            "identity/entity",
            "identity/group",
            "identity/entity/id/trustpath-any",
            "identity/group/id/trustpath-any",
            "identity/entity/name/trustpath-any",
            "identity/group/name/trustpath-any",
        ] {
            out.push((
                path.into(),
                format!("can attach any policy to an identity entity or group ({path})"),
                none,
            ));
        }
        let mut out: Vec<Escalation> = out
            .into_iter()
            .map(|(path, what, also)| Escalation {
                path,
                what,
                also,
                condition: None,
            })
            .collect();
        // A role it writes gives it nothing until it can log in through it.
        let mut mounts: BTreeSet<&str> = self.v.mounts.keys().map(String::as_str).collect();
        mounts.extend(self.v.roles.iter().map(|r| r.mount.as_str()));
        mounts.insert("token");
        for m in mounts {
            let dir = if m == "token" { "roles" } else { "role" };
            out.push(Escalation {
                path: format!("auth/{m}/{dir}/trustpath-any-role"),
                what: format!(
                    "can create or rewrite roles of auth/{m} (auth/{m}/{dir}/*) with any policy"
                ),
                also: none,
                condition: Some(
                    "if it can also log in through a role it writes (a secret-id, a service account token or a JWT the role accepts, or a token role's create path)",
                ),
            });
        }
        out
    }

    /// An edge a holder's policy rule gives, cut by detaching the policy from the role
    /// (or revoking the token) or by editing the rule in the policy.
    fn grant(
        &mut self,
        h: &Holder,
        to: NodeId,
        kind: EdgeKind,
        reason: String,
        m: &Merged<'_>,
        escalation: Option<(&str, Option<&str>)>,
    ) {
        let at = self.graph.node(h.node).provenance.clone();
        let mut edge = Edge::new(kind, reason, at);
        if let Some((technique, condition)) = escalation {
            edge.technique = Some(technique.into());
            edge.conditions.extend(condition.map(Condition::described));
        }
        if acl::is_templated(m.pattern) {
            edge.conditions.push(Condition::described(format!(
                "if the template in path \"{}\" expands to this path for the token's entity",
                m.pattern
            )));
        }
        let mut revokes: Vec<Revoke> = Vec::new();
        for (policy, _) in &m.from {
            if let Some(field) = h.role {
                let keep: Vec<&str> = h
                    .policies
                    .iter()
                    .map(String::as_str)
                    .filter(|p| p != policy && *p != "default")
                    .collect();
                let command = crate::shell::Cmd::new("vault")
                    .arg("write")
                    .arg(role_path(&h.mount, &h.name))
                    .word([
                        crate::shell::Piece::Own(field),
                        crate::shell::Piece::Value(keep.join(",")),
                    ])
                    .note("tokens issued before keep the policy until they expire or are revoked");
                let command = if *policy == "default" {
                    crate::shell::Cmd::new("vault")
                        .arg("write")
                        .arg(role_path(&h.mount, &h.name))
                        .arg("token_no_default_policy=true")
                } else {
                    command
                };
                revokes.push(revoke(
                    format!("detach-policy:{}:{policy}", self.graph.node(h.node).key),
                    "detach_policy",
                    4,
                    vec![command.render()],
                ));
            }
            revokes.push(edit_policy(policy, m.pattern));
        }
        edge.revoke = revokes.into();
        self.graph.add_edge(h.node, to, edge);
    }
}

/// Editing one rule of a policy: every edge that rule gives is cut by the one edit.
fn edit_policy(policy: &str, pattern: &str) -> Revoke {
    revoke(
        format!("edit-policy:vault:policy:{policy}:{pattern}"),
        "edit_policy",
        7,
        vec![cmd::edit_policy(policy, pattern).render()],
    )
}

/// A write that makes its writer Vault admin.
struct Escalation {
    /// A request path the rule must allow (a made-up name stands for "any").
    path: String,
    what: String,
    /// Needed besides create or update (`sudo` for the sudo-protected endpoints).
    also: Caps,
    /// Why it may not hold, when it may not.
    condition: Option<&'static str>,
}

fn dedup(list: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    list.retain(|p| seen.insert(p.clone()));
}

fn tag_secret(node: &mut crate::model::Node, secret: &KvSecret) {
    if !secret.fields.is_empty() {
        node.tags.insert("fields".into(), secret.fields.join(", "));
    }
    if let Some(v) = secret.current_version {
        node.tags.insert("version".into(), v.to_string());
    }
    if let Some(c) = secret.created {
        node.tags.insert("created".into(), c.to_string());
    }
    if secret.destroyed {
        node.tags.insert(
            "current_version".into(),
            "deleted or destroyed (earlier versions may still be readable)".into(),
        );
    }
}

fn tag_role(node: &mut crate::model::Node, role: &Role) {
    let d = &role.data;
    let mut tag = |k: &str, v: String| {
        if !v.is_empty() {
            node.tags.insert(k.into(), v);
        }
    };
    tag("token_policies", d.token_policies.0.join(", "));
    tag("policies", d.policies.0.join(", "));
    tag("allowed_policies", d.allowed_policies.0.join(", "));
    tag(
        "bound_service_account_names",
        d.bound_service_account_names.0.join(", "),
    );
    tag(
        "bound_service_account_namespaces",
        d.bound_service_account_namespaces.0.join(", "),
    );
    tag("bound_audiences", d.bound_audiences.0.join(", "));
    tag("bound_subject", d.bound_subject.clone().unwrap_or_default());
    if let Some(claims) = &d.bound_claims {
        let shown: Vec<String> = claims
            .iter()
            .map(|(k, v)| format!("{k}={}", v.0.join("|")))
            .collect();
        tag("bound_claims", shown.join(", "));
    }
    tag(
        "bound_claims_type",
        d.bound_claims_type.clone().unwrap_or_default(),
    );
    for (k, v) in [
        ("token_ttl", &d.token_ttl),
        ("token_max_ttl", &d.token_max_ttl),
        ("token_period", &d.token_period),
        ("period", &d.period),
        ("secret_id_ttl", &d.secret_id_ttl),
        ("secret_id_num_uses", &d.secret_id_num_uses),
    ] {
        if let Some(v) = v {
            tag(k, v.to_string());
        }
    }
    if d.bind_secret_id == Some(false) {
        tag(
            "bind_secret_id",
            "false: the role-id alone logs in (within token_bound_cidrs/secret_id_bound_cidrs)"
                .into(),
        );
    }
    if d.orphan == Some(true) {
        tag("orphan", "true".into());
    }
    tag("token_bound_cidrs", d.token_bound_cidrs.0.join(", "));
}
