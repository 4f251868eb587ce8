//! The Vault part of the graph, once every file is read: policies, secrets, auth roles,
//! tokens and secret-ids as nodes; who logs in as which role ([`super::login`]); and what
//! each role and token can read or escalate to, from its policies merged as Vault merges
//! them ([`acl::Acl`]).

use std::collections::BTreeSet;

use super::acl::{self, Caps};
use super::commands::{self as cmd, role_path};
use super::{Inventory, KvSecret, Role, jwt, login};
use crate::import::{Warning, add_new_node, add_placeholder, provenance, revoke};
use crate::model::{Edge, EdgeKind, NodeId, NodeKind, Revoke, TrustGraph};

/// The node of the Vault cluster's root: whoever can rewrite policies, auth methods or
/// roles at will, or mint tokens with any policy.
pub(crate) const ADMIN: &str = "vault:admin";

pub(super) struct Build<'a> {
    pub(super) v: &'a Inventory,
    /// The inventory overlay, which may name a kubernetes mount's cluster.
    pub(super) overlay: &'a [crate::import::inventory::Row],
    pub(super) reads: super::reads::Reads,
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
pub(super) struct Target {
    pub(super) path: String,
    pub(super) node: NodeId,
}

pub(crate) fn finish(
    v: &Inventory,
    overlay: &[crate::import::inventory::Row],
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
) {
    if v.is_empty() {
        return;
    }
    let mut b = Build {
        v,
        overlay,
        reads: Default::default(),
        graph,
        warnings,
    };
    let admin = b.admin_node();
    b.policy_nodes();
    let mut targets = b.secret_nodes();
    let mut holders = b.role_nodes();
    holders.extend(login::tokens(&mut b));
    login::secret_ids(&mut b);
    login::kubernetes(&mut b);
    jwt::link(&mut b);
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

    /// KV version of every mount that holds a secret: `vault secrets list`'s
    /// `options.version`, else what a read under it showed (`None`: nothing says).
    fn kv_versions(&self) -> std::collections::BTreeMap<String, Option<u8>> {
        let mut out: std::collections::BTreeMap<String, Option<u8>> = Default::default();
        for (cli, secret) in &self.secrets {
            let seen = out.entry(self.engine_of(cli).0).or_default();
            *seen = seen.or(secret.version);
        }
        for (mount, e) in &self.engines {
            if e.kind == "kv" {
                let v = e
                    .options
                    .as_ref()
                    .and_then(|o| o.get("version").cloned().flatten());
                out.insert(
                    mount.clone(),
                    Some(if v.as_deref() == Some("2") { 2 } else { 1 }),
                );
            }
        }
        out
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
            // A group: the holders that carry it gain what it reads.
            let Some(node) = add_new_node(
                self.graph,
                &key,
                NodeKind::Group,
                "vault",
                &format!("policy {name}"),
                Some("sys/policies/acl"),
                prov,
            ) else {
                continue;
            };
            let rules: Vec<String> = policy.rules.iter().map(acl::Rule::text).collect();
            node.tags.insert("rules".into(), rules.join("\n"));
            node.revoke.push(revoke(
                format!("edit-policy:vault:policy:{name}"),
                "edit_policy",
                9,
                vec![cmd::delete_policy(name).render()],
            ));
        }
    }

    /// KV secrets, keyed by their API path (`secret/data/payments/db` under KV v2).
    fn secret_nodes(&mut self) -> Vec<Target> {
        let mut out = Vec::new();
        let versions = self.v.kv_versions();
        for (cli, secret) in &self.v.secrets {
            let (mount, rest) = self.v.engine_of(cli);
            let known = versions.get(&mount).copied().flatten();
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
        let versions = self.v.kv_versions();
        for (name, (policy, file)) in &self.v.policies {
            for rule in &policy.rules {
                let p = rule.pattern.as_str();
                let lead = acl::lead(p);
                let internal = ["sys/", "auth/", "identity/", "cubbyhole/"]
                    .iter()
                    .any(|s| p.starts_with(s));
                let glob = p.ends_with('*') || p.split('/').any(|s| s == "+");
                if !rule.caps.any(Caps::READ)
                    || internal
                    || p == "*"
                    || !self.names_values(p, &versions)
                    || known
                        .iter()
                        .any(|t| t.path.starts_with(lead) && acl::matches(p, &t.path))
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

    /// Whether a readable pattern can name a secret's value: under a KV v2 mount only
    /// `MOUNT/data/…` does (`metadata/` and `subkeys/` read no value, and a CLI-style
    /// `secret/payments/*` matches nothing), under a KV v1 mount anything, elsewhere
    /// the credentials a secrets engine issues (`…/creds/…`, `…/sts/…`).
    fn names_values(
        &self,
        pattern: &str,
        versions: &std::collections::BTreeMap<String, Option<u8>>,
    ) -> bool {
        let (mount, rest) = self.v.engine_of(pattern);
        let engine = self.v.engines.get(&mount).map(|e| e.kind.as_str());
        let issued = ["creds/", "sts/"]
            .iter()
            .any(|d| rest.starts_with(d) || rest.contains(&format!("/{d}")));
        if engine.is_none() && !versions.contains_key(&mount) {
            // A mount no input describes: KV v2's shape, or issued credentials.
            return rest.starts_with("data/") || issued;
        }
        if !(engine == Some("kv") || versions.get(&mount).is_some_and(Option::is_some)) {
            return issued;
        }
        match versions.get(&mount).copied().flatten() {
            Some(1) => true,
            // `secret/*` and `secret/d*` reach `secret/data/…` too.
            _ => {
                let literal = rest.split(['*', '+']).next().unwrap_or_default();
                rest.starts_with("data/")
                    || ("data/".starts_with(literal) && literal.len() < rest.len())
            }
        }
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
                // Tokens of a token role carry its allowed policies, or any read policy
                // its globs admit.
                let globbed = self.v.policies.keys().filter(|p| {
                    d.allowed_policies_glob
                        .iter()
                        .any(|g| crate::glob::glob_match(g, p))
                });
                d.allowed_policies
                    .iter()
                    .map(str::to_string)
                    .chain(globbed.cloned())
                    .collect()
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
}

/// Editing one rule of a policy: every edge that rule gives is cut by the one edit.
pub(super) fn edit_policy(policy: &str, pattern: &str) -> Revoke {
    revoke(
        format!("edit-policy:vault:policy:{policy}:{pattern}"),
        "edit_policy",
        7,
        vec![cmd::edit_policy(policy, pattern).render()],
    )
}

pub(super) fn dedup(list: &mut Vec<String>) {
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
            "version_state".into(),
            "current version deleted or destroyed (earlier versions may still be readable)".into(),
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
        "allowed_policies_glob",
        d.allowed_policies_glob.0.join(", "),
    );
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
