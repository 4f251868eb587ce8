//! Who logs in to Vault as what: tokens and AppRole secret-ids (credentials read from
//! lookups) and Kubernetes service accounts admitted by kubernetes roles. GitHub
//! Actions jobs admitted by jwt roles are [`super::jwt`]'s.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::build::{Build, Holder};
use super::commands as cmd;
use super::{Role, TokenLookup};
use crate::import::{add_new_node, add_placeholder, revoke};
use crate::model::{Condition, Credential, Edge, EdgeKind, NodeId, NodeKind};

/// Token lookups: a credential node each, and the policies it carries (a token keeps
/// the policy names it was issued with, whatever its role says now; the policies'
/// content is read live).
pub(super) fn tokens(b: &mut Build<'_>) -> Vec<Holder> {
    let mut out = Vec::new();
    for (t, file) in &b.v.tokens {
        let key = format!("vault:token:{}", t.accessor);
        let prov = b.prov(file, format!("token accessor {}", t.accessor));
        let name = match t.display_name.as_deref().filter(|n| !n.is_empty()) {
            Some(n) => format!("token {n}"),
            None => format!("token {}", t.accessor),
        };
        let Some(node) = add_new_node(
            b.graph,
            &key,
            NodeKind::Credential,
            "vault",
            &name,
            t.path.as_deref(),
            prov,
        ) else {
            continue;
        };
        let expires = t
            .expire_time
            .as_deref()
            .and_then(|e| e.parse::<Timestamp>().ok());
        let periodic = t.period.as_ref().is_some_and(|p| !p.is_zero());
        node.credential = Some(Box::new(Credential {
            kind: Some("vault_token".into()),
            status: Some("active".into()),
            created: t.creation_time.and_then(|s| Timestamp::from_second(s).ok()),
            last_used: t
                .last_renewal_time
                .and_then(|s| Timestamp::from_second(s).ok()),
            expires,
            long_lived: Some(periodic || expires.is_none()),
            ..Credential::default()
        }));
        tag_token(&mut node.tags, t);
        node.revoke.push(revoke(
            format!("revoke-token:{key}"),
            "revoke_token",
            3,
            vec![cmd::revoke_accessor(&t.accessor).render()],
        ));
        let id = b.graph.find(&key).expect("just added");
        let mut policies: Vec<String> = t
            .policies
            .iter()
            .chain(t.identity_policies.iter())
            .map(str::to_string)
            .collect();
        super::build::dedup(&mut policies);
        if policies.iter().any(|p| p == "root") {
            root_token(b, id, &t.accessor);
        }
        out.push(Holder {
            node: id,
            label: format!("token {}", t.accessor),
            policies,
            role: None,
            mount: String::new(),
            name: t.accessor.clone(),
        });
    }
    out
}

fn tag_token(tags: &mut BTreeMap<String, String>, t: &TokenLookup) {
    let mut tag = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            tags.insert(k.into(), v);
        }
    };
    tag("policies", Some(t.policies.0.join(", ")));
    tag("identity_policies", Some(t.identity_policies.0.join(", ")));
    tag("path", t.path.clone());
    tag("token_type", t.kind.clone());
    tag("period", t.period.as_ref().map(ToString::to_string));
    tag("orphan", t.orphan.map(|o| o.to_string()));
    tag("renewable", t.renewable.map(|r| r.to_string()));
    tag("entity_id", t.entity_id.clone());
    tag("role", t.role.clone());
    if let Some(m) = &t.meta {
        tag("login_role", m.role.clone().or(m.role_name.clone()));
        let sa = m
            .service_account_namespace
            .as_ref()
            .zip(m.service_account_name.as_ref())
            .map(|(ns, n)| format!("{ns}/{n}"));
        tag("service_account", sa);
    }
}

/// A token with the root policy is root.
fn root_token(b: &mut Build<'_>, token: NodeId, accessor: &str) {
    let Some(admin) = b.graph.find(super::build::ADMIN) else {
        return;
    };
    let at = b.graph.node(token).provenance.clone();
    let edge = Edge::new(
        EdgeKind::AuthenticatesAs,
        format!("token {accessor} holds the root policy: it can do anything in Vault"),
        at,
    );
    b.graph.add_edge(token, admin, edge);
}

/// AppRole secret-id lookups: a credential each, logging in as its role together with the
/// role-id (which is no secret: anyone who can read the role has it).
pub(super) fn secret_ids(b: &mut Build<'_>) {
    for s in &b.v.secret_ids {
        let l = &s.lookup;
        let accessor = if l.secret_id_accessor.is_empty() {
            s.file
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(".json")
                .to_string()
        } else {
            l.secret_id_accessor.clone()
        };
        let key = format!("vault:secret-id:{}/{}/{accessor}", s.mount, s.role);
        let role_key = format!("vault:role:{}/{}", s.mount, s.role);
        let prov = b.prov(&s.file, format!("secret-id accessor {accessor}"));
        let role = add_placeholder(
            b.graph,
            &role_key,
            NodeKind::Role,
            "vault",
            format!("AppRole role of secret-id {accessor}: its read is not in the inputs"),
            prov.clone(),
        );
        let Some(node) = add_new_node(
            b.graph,
            &key,
            NodeKind::Credential,
            "vault",
            &format!("{} secret-id {accessor}", s.role),
            Some(&format!("auth/{}", s.mount)),
            prov.clone(),
        ) else {
            continue;
        };
        let time = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| t.parse::<Timestamp>().ok())
                // Go's zero time: no expiry.
                .filter(|t| t.as_second() > 0)
        };
        let expires = time(&l.expiration_time);
        node.credential = Some(Box::new(Credential {
            kind: Some("approle_secret_id".into()),
            status: Some("active".into()),
            created: time(&l.creation_time),
            expires,
            last_rotated: time(&l.last_updated_time),
            long_lived: Some(expires.is_none()),
            ..Credential::default()
        }));
        if let Some(n) = &l.secret_id_num_uses {
            node.tags.insert("secret_id_num_uses".into(), n.to_string());
        }
        if !l.cidr_list.is_empty() {
            node.tags
                .insert("cidr_list".into(), l.cidr_list.0.join(", "));
        }
        let destroy = revoke(
            format!("revoke-token:{key}"),
            "revoke_token",
            2,
            vec![cmd::destroy_secret_id(&s.mount, &s.role, &accessor).render()],
        );
        node.revoke.push(destroy.clone());
        let id = b.graph.find(&key).expect("just added");
        let mut edge = Edge::new(
            EdgeKind::AuthenticatesAs,
            format!(
                "AppRole secret-id (accessor {accessor}) logs in to auth/{}/role/{} with the role's role-id",
                s.mount, s.role
            ),
            prov,
        );
        if !l.cidr_list.is_empty() {
            edge.conditions.push(Condition::described(format!(
                "from the networks {}",
                l.cidr_list.0.join(", ")
            )));
        }
        edge.revoke = vec![destroy].into();
        b.graph.add_edge(id, role, edge);
    }
}

/// The cluster a kubernetes mount verifies tokens against: the one the inventory's
/// `cluster` column names for the role, else the first DNS label of its
/// `kubernetes_host`. An in-cluster host (`kubernetes.default.svc`) or an address names
/// none: then the one cluster the inputs hold, else the mount's name (with a warning).
fn cluster_of(b: &mut Build<'_>, mount: &str, role_key: &str) -> String {
    if let Some(named) = crate::import::inventory::cluster_for(b.overlay, role_key) {
        return named.to_string();
    }
    let host =
        b.v.configs
            .get(mount)
            .and_then(|(c, _)| c.kubernetes_host.clone())
            .unwrap_or_default();
    let bare = host
        .split("://")
        .last()
        .unwrap_or_default()
        .split(['/', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let label = bare.split('.').next().unwrap_or_default().to_string();
    let addressless = bare.is_empty()
        || bare.starts_with('[')
        || bare.chars().all(|c| c.is_ascii_digit() || c == '.')
        || label == "kubernetes"
        || label == "localhost";
    if !addressless {
        return label;
    }
    let mut clusters: Vec<String> = b
        .graph
        .node_ids()
        .filter_map(|n| {
            let key = &b.graph.key(n);
            let rest = key.strip_prefix("k8s:")?;
            let (cluster, kind) = rest.split_once(':')?;
            kind.starts_with("sa:").then(|| cluster.to_string())
        })
        .collect();
    clusters.sort();
    clusters.dedup();
    if let [only] = clusters.as_slice() {
        return only.clone();
    }
    let file =
        b.v.configs
            .get(mount)
            .map(|(_, f)| f.clone())
            .unwrap_or_else(|| format!("vault/auth/{mount}/config.json"));
    let shown = if host.is_empty() {
        "no kubernetes_host read".to_string()
    } else {
        format!("kubernetes_host {host}")
    };
    let fallback = mount.replace('/', "-");
    // One warning per mount, however many roles it has.
    if !b
        .warnings
        .iter()
        .any(|w| w.file == file && w.message.contains(&format!("auth/{mount}: ")))
    {
        b.warnings.push(crate::import::Warning::new(
            &file,
            "",
            format!(
                "auth/{mount}: {} names no cluster; its service accounts are keyed under cluster '{fallback}' (name it in the inventory: a `cluster` column, e.g. vault:role:{mount}/*,CLUSTER)",
                crate::report::clean(&shown)
            ),
        ));
    }
    fallback
}

/// Service accounts a kubernetes role admits: names × namespaces (`*` for any), a
/// namespace selector admitting more (conditional: namespace labels are not read).
pub(super) fn kubernetes(b: &mut Build<'_>) {
    let roles: Vec<&Role> =
        b.v.roles
            .iter()
            .filter(|r| b.mount_kind(&r.mount) == "kubernetes")
            .collect();
    // The accounts the inputs hold, before this pass adds any.
    let mut known: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for role in roles {
        let role_key = format!("vault:role:{}/{}", role.mount, role.name);
        let cluster = cluster_of(b, &role.mount, &role_key);
        let d = &role.data;
        let names: Vec<&str> = d.bound_service_account_names.iter().collect();
        let namespaces: Vec<&str> = d.bound_service_account_namespaces.iter().collect();
        let Some(to) = b.graph.find(&role_key) else {
            continue;
        };
        let known = known
            .entry(cluster.clone())
            .or_insert_with(|| known_sas(b, &cluster));
        let mut admitted: BTreeMap<(String, String), Option<Condition>> = BTreeMap::new();
        for ns in &namespaces {
            for name in &names {
                if !name.contains('*') && !ns.contains('*') {
                    admitted.insert((ns.to_string(), name.to_string()), None);
                    continue;
                }
                let mut any = false;
                for (kns, kname) in known.iter() {
                    if star_match(ns, kns) && star_match(name, kname) {
                        admitted.insert((kns.clone(), kname.clone()), None);
                        any = true;
                    }
                }
                // No account the inputs hold matches: whoever can make one there can log
                // in, so the pattern itself is a node.
                if !any {
                    admitted.insert((ns.to_string(), name.to_string()), None);
                }
            }
        }
        if let Some(selector) = d
            .bound_service_account_namespace_selector
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            for (kns, kname) in known.iter() {
                if names.iter().any(|n| star_match(n, kname)) {
                    admitted.entry((kns.clone(), kname.clone())).or_insert_with(|| {
                        Some(Condition::described(format!(
                            "if namespace {kns} matches the role's namespace selector {selector} (namespace labels are not in the inputs)"
                        )))
                    });
                }
            }
        }
        let api = cmd::role_path(&role.mount, &role.name);
        let prov = b.prov(&role.file, api.clone());
        for ((ns, name), condition) in admitted {
            let sa_key = format!("k8s:{cluster}:sa:{ns}/{name}");
            let why = if ns.contains('*') || name.contains('*') {
                format!(
                    "any service account matching {ns}/{name}, admitted by Vault role {api}: none in the inputs"
                )
            } else {
                format!("admitted by Vault role {api}")
            };
            let from = add_placeholder(
                b.graph,
                &sa_key,
                NodeKind::ServiceAccount,
                "k8s",
                why,
                prov.clone(),
            );
            let mut edge = Edge::new(
                EdgeKind::CanAssume,
                format!(
                    "{api}: bound_service_account_names=[{}] bound_service_account_namespaces=[{}]: a token of {ns}/{name} logs in",
                    names.join(", "),
                    namespaces.join(", ")
                ),
                prov.clone(),
            );
            edge.conditions.extend(condition);
            // Narrow the list that names this account, or delete the role when it would
            // be left empty.
            let command = if !name.contains('*') && names.contains(&name.as_str()) {
                let keep: Vec<&str> = names.iter().copied().filter(|n| *n != name).collect();
                cmd::narrow_role(
                    &role.mount,
                    &role.name,
                    "bound_service_account_names=",
                    &keep,
                )
            } else if !ns.contains('*') && namespaces.contains(&ns.as_str()) {
                let keep: Vec<&str> = namespaces.iter().copied().filter(|n| *n != ns).collect();
                cmd::narrow_role(
                    &role.mount,
                    &role.name,
                    "bound_service_account_namespaces=",
                    &keep,
                )
            } else {
                cmd::delete_role(&role.mount, &role.name)
            };
            edge.revoke = vec![revoke(
                format!("narrow-role:{role_key}:{ns}/{name}"),
                "remove_binding",
                5,
                vec![command.render()],
            )]
            .into();
            b.graph.add_edge(from, to, edge);
        }
    }
}

/// `(namespace, name)` of every service account of a cluster in the graph.
fn known_sas(b: &Build<'_>, cluster: &str) -> Vec<(String, String)> {
    let prefix = format!("k8s:{cluster}:sa:");
    b.graph
        .node_ids()
        .filter_map(|n| {
            let rest = b.graph.key(n).strip_prefix(&prefix)?;
            let (ns, name) = rest.split_once('/')?;
            Some((ns.to_string(), name.to_string()))
        })
        .collect()
}

/// Vault's globs (service account names, `bound_claims_type=glob`): `*` matches any run
/// of characters, nothing else is special.
pub(super) fn star_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let middle: Vec<&str> = parts.collect();
    let Some((last, middle)) = middle.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::star_match;

    #[test]
    fn stars_only() {
        assert!(star_match("*", ""));
        assert!(star_match(
            "repo:acme/*",
            "repo:acme/web:ref:refs/heads/main"
        ));
        assert!(star_match("a*c*e", "abcde"));
        assert!(!star_match("a*c*e", "abcd"));
        assert!(!star_match("a?c", "abc"), "? is no wildcard");
        assert!(star_match("a?c", "a?c"));
        assert!(star_match("app-*", "app-1") && !star_match("app-*", "web-1"));
    }
}
