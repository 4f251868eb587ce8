//! What one holder's policies let it do, from its merged ACL ([`Acl`]): read secrets
//! ([`super::reads`]), become Vault admin, log in as other roles, rewrite policies.
//!
//! Vault asks for `update` on a write to a path that has no existence check or whose
//! object exists (rewriting a policy or a role, creating a token, enabling an auth
//! method) and for `create` only when a new object is made on a path that checks
//! (a new role): so each way in names the capabilities that suffice for it.

use rustc_hash::FxHashMap;

use super::acl::{Acl, Caps, Merged};
use super::build::{Build, Holder, Target, edit_policy};
use super::commands::role_path;
use crate::model::{Condition, Edge, EdgeKind, NodeId, Revoke};

/// A write that makes its writer Vault admin.
struct Way {
    /// A request path the rule must allow (a made-up name stands for "any").
    path: String,
    what: String,
    /// Any of these suffices…
    caps: Caps,
    /// …with all of these (`sudo` for the sudo-protected endpoints).
    also: Caps,
    /// Why it may not hold, when it may not.
    condition: Option<&'static str>,
}

/// A name no real object has: a rule that matches it matches "any".
const ANY: &str = "trustpath-any";

impl Build<'_> {
    pub(super) fn access(&mut self, h: &Holder, targets: &[Target], admin: NodeId) {
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
        self.reads(h, targets);
        let v = self.v;
        let acl = Acl::new(
            h.policies
                .iter()
                .filter_map(|p| Some((p.as_str(), &v.policies.get(p)?.0))),
        );
        // The first way to admin that holds; unconditional ones come first.
        for w in self.ways_to_admin(h) {
            if let Some((m, templated)) = acl.allows(&w.path, w.caps, w.also) {
                let reason = format!("{} {}: {}", h.label, w.what, m.because());
                let condition = w.condition.map(str::to_string).or(templated);
                self.grant(
                    h,
                    admin,
                    EdgeKind::CanEscalate,
                    reason,
                    m,
                    Some("vault-admin"),
                    condition,
                );
                break;
            }
        }
        self.policy_writes(h, &acl);
        self.logins(h, &acl);
    }

    /// Rewriting a policy it does not hold sets what every holder of it can do.
    fn policy_writes(&mut self, h: &Holder, acl: &Acl<'_>) {
        for name in self.v.policies.keys() {
            if h.policies.contains(name) {
                continue;
            }
            let Some(to) = self.graph.find(&format!("vault:policy:{name}")) else {
                continue;
            };
            for path in [
                format!("sys/policies/acl/{name}"),
                format!("sys/policy/{name}"),
            ] {
                if let Some((m, condition)) = acl.allows(&path, Caps::UPDATE, Caps::default()) {
                    let reason = format!(
                        "{} can rewrite policy {name} ({path}), and so what every token holding it can do: {}",
                        h.label,
                        m.because()
                    );
                    self.grant(h, to, EdgeKind::CanControl, reason, m, None, condition);
                    break;
                }
            }
        }
    }

    /// Roles it can log in as through its policies: a token role it may create tokens
    /// of, an AppRole whose secret-ids it can mint (or whose role-id alone logs in),
    /// any role of a jwt or kubernetes mount whose config it can rewrite.
    fn logins(&mut self, h: &Holder, acl: &Acl<'_>) {
        // Most holders' rules say nothing of a mount: its roles are skipped at once.
        let mut mounts: FxHashMap<&str, bool> = FxHashMap::default();
        for r in &self.v.roles {
            mounts
                .entry(r.mount.as_str())
                .or_insert_with(|| acl.touches(&format!("auth/{}/", r.mount)));
        }
        for role in &self.v.roles {
            if h.role.is_some() && h.mount == role.mount && h.name == role.name
                || !mounts[role.mount.as_str()]
            {
                continue;
            }
            let Some(to) = self
                .graph
                .find(&format!("vault:role:{}/{}", role.mount, role.name))
            else {
                continue;
            };
            let kind = self.mount_kind(&role.mount);
            let (m, r) = (&role.mount, &role.name);
            let mut ways: Vec<(String, String, Option<String>)> = Vec::new();
            match kind.as_str() {
                "token" => ways.push((
                    format!("auth/token/create/{r}"),
                    format!("can create tokens of token role {r}"),
                    None,
                )),
                "approle" => {
                    let role_id = format!("auth/{m}/role/{r}/role-id");
                    let reads_id = acl.allows(&role_id, Caps::READ, Caps::default()).is_some();
                    let needs_id = (!reads_id).then(|| {
                        format!("with the role-id, which it cannot read ({role_id}): it is no secret, its consumer holds it")
                    });
                    for dir in ["secret-id", "custom-secret-id"] {
                        ways.push((
                            format!("auth/{m}/role/{r}/{dir}"),
                            format!("can mint secret-ids of AppRole {r} ({dir})"),
                            needs_id.clone(),
                        ));
                    }
                    if role.data.bind_secret_id == Some(false) && reads_id {
                        ways.push((
                            role_id.clone(),
                            format!("reads the role-id of AppRole {r}, which logs in alone (bind_secret_id=false)"),
                            None,
                        ));
                    }
                }
                _ => {}
            }
            if matches!(kind.as_str(), "jwt" | "oidc" | "kubernetes") {
                ways.push((
                    format!("auth/{m}/config"),
                    format!("can rewrite the config of auth/{m}, and with it whose tokens its roles trust"),
                    Some(format!("if it points auth/{m} at an issuer or cluster whose tokens it can mint, and one of them matches {r}'s bindings")),
                ));
            }
            for (path, what, condition) in ways {
                let caps = if path.ends_with("role-id") {
                    Caps::READ
                } else {
                    Caps::UPDATE
                };
                if let Some((rule, templated)) = acl.allows(&path, caps, Caps::default()) {
                    let reason = format!("{} {what} ({path}): {}", h.label, rule.because());
                    let condition = condition.or(templated);
                    self.grant(h, to, EdgeKind::CanAssume, reason, rule, None, condition);
                    break;
                }
            }
        }
    }

    /// The paths whose write makes a holder Vault admin.
    fn ways_to_admin(&self, h: &Holder) -> Vec<Way> {
        let update = Caps::UPDATE;
        let none = Caps::default();
        let way = |path: String, what: String, caps, also, condition| Way {
            path,
            what,
            caps,
            also,
            condition,
        };
        let mut out = Vec::new();
        for p in &h.policies {
            for dir in ["sys/policies/acl", "sys/policy"] {
                out.push(way(
                    format!("{dir}/{p}"),
                    format!("can rewrite policy {p}, which it holds ({dir}/{p})"),
                    update,
                    none,
                    None,
                ));
            }
        }
        if h.role.is_some() && h.mount != "token" {
            let own = role_path(&h.mount, &h.name);
            out.push(way(
                own.clone(),
                format!("can rewrite its own role ({own}), policies included"),
                update,
                none,
                None,
            ));
        }
        for path in ["auth/token/create", "auth/token/create-orphan"] {
            out.push(way(
                path.into(),
                format!("can create tokens with any policy ({path} with sudo skips the check that a child's policies are its parent's)"),
                update,
                Caps::SUDO,
                None,
            ));
        }
        // Conditional from here on.
        for dir in ["sys/policies/acl", "sys/policy"] {
            out.push(way(
                format!("{dir}/{ANY}"),
                format!("can rewrite any policy ({dir}/*)"),
                update,
                none,
                Some("if it holds, or can log in with, a policy it rewrites (the default policy, which most tokens hold, included)"),
            ));
        }
        out.push(way(
            format!("sys/auth/{ANY}"),
            "can enable and tune auth methods (sys/auth/*, with sudo)".into(),
            update,
            Caps::SUDO,
            Some("if it can also configure the method it enables (its roles or users) to log itself in"),
        ));
        for path in [
            "identity/entity".to_string(),
            "identity/group".into(),
            format!("identity/entity/id/{ANY}"),
            format!("identity/group/id/{ANY}"),
            format!("identity/entity/name/{ANY}"),
            format!("identity/group/name/{ANY}"),
        ] {
            out.push(way(
                path.clone(),
                format!("can attach any policy to an identity entity or group ({path})"),
                Caps::CREATE | update,
                none,
                Some("if the tokens it uses belong to an entity it can add policies to (token-store tokens have none), or it can make one with an alias for its login"),
            ));
        }
        let mut mounts: std::collections::BTreeSet<&str> =
            self.v.mounts.keys().map(String::as_str).collect();
        mounts.extend(self.v.roles.iter().map(|r| r.mount.as_str()));
        mounts.insert("token");
        for m in mounts {
            let path = role_path(m, ANY);
            out.push(way(
                path.clone(),
                format!("can create or rewrite roles of auth/{m} ({path}) with any policy"),
                Caps::CREATE | update,
                none,
                Some("if it can also log in through a role it writes (a secret-id, a service account token or a JWT the role accepts, or a token role's create path)"),
            ));
        }
        out
    }

    /// An edge a holder's policy rule gives, cut by detaching the policy from the role
    /// (or revoking the token) or by editing the rule in the policy.
    #[allow(clippy::too_many_arguments)]
    fn grant(
        &mut self,
        h: &Holder,
        to: NodeId,
        kind: EdgeKind,
        reason: String,
        m: &Merged<'_>,
        technique: Option<&str>,
        condition: Option<String>,
    ) {
        let at = self.graph.node(h.node).provenance.clone();
        let mut edge = Edge::new(kind, reason, at);
        edge.technique = technique.map(Into::into);
        edge.conditions.extend(condition.map(Condition::described));
        let mut revokes: Vec<Revoke> = m
            .from
            .iter()
            .filter_map(|(policy, _)| self.detach(h, policy))
            .collect();
        revokes.extend(
            m.from
                .iter()
                .map(|(policy, _)| edit_policy(policy, m.pattern)),
        );
        edge.revoke = revokes.into();
        self.graph.add_edge(h.node, to, edge);
    }
}
