//! Who logs in to Vault as what: tokens and AppRole secret-ids (credentials read from
//! lookups), Kubernetes service accounts admitted by kubernetes roles, and GitHub
//! Actions jobs admitted by jwt roles.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::build::{Build, Holder};
use super::commands as cmd;
use super::{Role, TokenLookup};
use crate::import::link::accepts;
use crate::import::{add_new_node, add_placeholder, revoke};
use crate::model::{Condition, Credential, Edge, EdgeKind, NodeId, NodeKind};

/// GitHub Actions' OIDC issuer.
const GITHUB_ISSUER: &str = "token.actions.githubusercontent.com";

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
        policies.dedup();
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

/// The cluster a kubernetes mount verifies tokens against: the first DNS label of its
/// `kubernetes_host`. An in-cluster host (`kubernetes.default.svc`) or an address names
/// none: then the one cluster the inputs hold, else the mount's name (with a warning).
fn cluster_of(b: &mut Build<'_>, mount: &str) -> String {
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
            let key = &b.graph.node(n).key;
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
    b.warnings.push(crate::import::Warning::new(
        &file,
        "",
        format!(
            "auth/{mount}: {} names no cluster; its service accounts are keyed under cluster '{mount}' (name the Kubernetes export's directory after it to join them)",
            crate::report::clean(&shown)
        ),
    ));
    mount.replace('/', "-")
}

/// Service accounts a kubernetes role admits: names × namespaces (`*` for any), a
/// namespace selector admitting more (conditional: namespace labels are not read).
pub(super) fn kubernetes(b: &mut Build<'_>) {
    let roles: Vec<&Role> =
        b.v.roles
            .iter()
            .filter(|r| b.mount_kind(&r.mount) == "kubernetes")
            .collect();
    for role in roles {
        let cluster = cluster_of(b, &role.mount);
        let d = &role.data;
        let names: Vec<&str> = d.bound_service_account_names.iter().collect();
        let namespaces: Vec<&str> = d.bound_service_account_namespaces.iter().collect();
        let role_key = format!("vault:role:{}/{}", role.mount, role.name);
        let Some(to) = b.graph.find(&role_key) else {
            continue;
        };
        let known = known_sas(b, &cluster);
        let mut admitted: Vec<(String, String, Option<Condition>)> = Vec::new();
        for ns in &namespaces {
            for name in &names {
                if *ns != "*" && *name != "*" && !name.contains('*') && !ns.contains('*') {
                    admitted.push((ns.to_string(), name.to_string(), None));
                    continue;
                }
                for (kns, kname) in &known {
                    if crate::glob::glob_match(ns, kns) && crate::glob::glob_match(name, kname) {
                        admitted.push((kns.clone(), kname.clone(), None));
                    }
                }
            }
        }
        if let Some(selector) = d
            .bound_service_account_namespace_selector
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            for (kns, kname) in &known {
                if names.iter().any(|n| crate::glob::glob_match(n, kname))
                    && !admitted.iter().any(|(a, b, _)| a == kns && b == kname)
                {
                    admitted.push((
                        kns.clone(),
                        kname.clone(),
                        Some(Condition::described(format!(
                            "if namespace {kns} matches the role's namespace selector {selector} (namespace labels are not in the inputs)"
                        ))),
                    ));
                }
            }
        }
        let api = cmd::role_path(&role.mount, &role.name);
        let prov = b.prov(&role.file, api.clone());
        for (ns, name, condition) in admitted {
            let sa_key = format!("k8s:{cluster}:sa:{ns}/{name}");
            let from = add_placeholder(
                b.graph,
                &sa_key,
                NodeKind::ServiceAccount,
                "k8s",
                format!("admitted by Vault role {api}"),
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
            let command = if !names.contains(&"*") && names.contains(&name.as_str()) {
                let keep: Vec<&str> = names.iter().copied().filter(|n| *n != name).collect();
                cmd::narrow_role(
                    &role.mount,
                    &role.name,
                    "bound_service_account_names=",
                    &keep,
                )
            } else if !namespaces.contains(&"*") && namespaces.contains(&ns.as_str()) {
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
            let rest = b.graph.node(n).key.strip_prefix(&prefix)?;
            let (ns, name) = rest.split_once('/')?;
            Some((ns.to_string(), name.to_string()))
        })
        .collect()
}

/// Whether a jwt/oidc mount trusts GitHub Actions' issuer: its config says so, or (no
/// config read) its roles bind GitHub-shaped claims, which makes the link conditional.
fn github_mount(b: &Build<'_>, mount: &str) -> Option<Option<Condition>> {
    if let Some((c, _)) = b.v.configs.get(mount) {
        let urls = [&c.bound_issuer, &c.oidc_discovery_url, &c.jwks_url];
        return urls
            .iter()
            .any(|u| u.as_deref().is_some_and(|u| u.contains(GITHUB_ISSUER)))
            .then_some(None);
    }
    let github_shaped = b.v.roles.iter().filter(|r| r.mount == mount).any(|r| {
        let d = &r.data;
        d.bound_subject
            .as_deref()
            .is_some_and(|s| s.starts_with("repo:"))
            || d.bound_claims.as_ref().is_some_and(|c| {
                c.keys().any(|k| {
                    ["repository", "repository_owner", "job_workflow_ref"].contains(&k.as_str())
                }) || c
                    .get("sub")
                    .is_some_and(|v| v.iter().any(|s| s.starts_with("repo:")))
            })
    });
    github_shaped.then(|| {
        Some(Condition::described(format!(
            "if auth/{mount} trusts {GITHUB_ISSUER} (its config is not in the inputs; the roles bind GitHub's claims)"
        )))
    })
}

/// A claim of a GitHub job's token, from one of its subjects; `None` when the subject
/// does not tell it (the claim may still be in the token).
fn claim(subject: &str, name: &str) -> Option<String> {
    let rest = subject.strip_prefix("repo:")?;
    let (repo, context) = rest.split_once(':').unwrap_or((rest, ""));
    match name {
        "sub" => Some(subject.to_string()),
        "repository" => Some(repo.to_string()),
        "repository_owner" => repo.split_once('/').map(|(o, _)| o.to_string()),
        "ref" => context.strip_prefix("ref:").map(str::to_string),
        "environment" => context.strip_prefix("environment:").map(str::to_string),
        _ => None,
    }
}

/// GitHub Actions jobs admitted by jwt roles, and `github:any-repo` where a role binds
/// no subject and no claim (or only ones every repository satisfies).
pub(super) fn jwt(b: &mut Build<'_>) {
    let roles: Vec<&Role> =
        b.v.roles
            .iter()
            .filter(|r| matches!(b.mount_kind(&r.mount).as_str(), "jwt" | "oidc"))
            .collect();
    if roles.is_empty() {
        return;
    }
    let jobs: Vec<(NodeId, Vec<String>)> = b
        .graph
        .node_ids()
        .filter_map(|n| {
            let subs = b.graph.node(n).tags.get("oidc_subjects")?;
            Some((n, subs.split(" | ").map(str::to_string).collect()))
        })
        .collect();
    for role in roles {
        let d = &role.data;
        // Browser logins (`role_type=oidc`) are people's, not jobs'.
        if d.role_type.as_deref() == Some("oidc") {
            continue;
        }
        let Some(issuer_condition) = github_mount(b, &role.mount) else {
            continue;
        };
        let role_key = format!("vault:role:{}/{}", role.mount, role.name);
        let Some(to) = b.graph.find(&role_key) else {
            continue;
        };
        let api = cmd::role_path(&role.mount, &role.name);
        let prov = b.prov(&role.file, api.clone());
        let glob = d.bound_claims_type.as_deref() == Some("glob");
        let mut claims: Vec<(String, Vec<String>)> = d
            .bound_claims
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect();
        if let Some(s) = d.bound_subject.as_deref().filter(|s| !s.is_empty()) {
            // bound_subject is compared exactly.
            claims.push(("sub".into(), vec![s.to_string()]));
        }
        let rebind = revoke(
            format!("rebind-role:{role_key}"),
            "remove_trust",
            5,
            vec![cmd::rebind_role(&role.mount, &role.name).render()],
        );
        let add = |b: &mut Build<'_>, from: NodeId, reason: String, conditions: Vec<Condition>| {
            let mut edge = Edge::new(EdgeKind::CanAssume, reason, prov.clone());
            edge.conditions = conditions;
            edge.conditions.extend(issuer_condition.clone());
            edge.revoke = vec![rebind.clone()].into();
            b.graph.add_edge(from, to, edge);
        };
        let bound: Vec<String> = claims
            .iter()
            .map(|(k, v)| format!("{k}={}", v.join("|")))
            .collect();
        let open = claims.iter().all(|(k, values)| {
            let probe = match k.as_str() {
                "sub" => "repo:some-attacker/any-repo:ref:refs/heads/main",
                "repository" => "some-attacker/any-repo",
                "repository_owner" => "some-attacker",
                _ => return false,
            };
            values.iter().any(|v| accepts(v, glob, probe))
        });
        if open {
            let any = crate::import::link::ensure_any_repo(b.graph, &prov);
            let why = if claims.is_empty() {
                format!(
                    "{api} binds no subject and no claim: a token from any repository on GitHub logs in"
                )
            } else {
                format!(
                    "{api} binds [{}], which any repository on GitHub satisfies",
                    bound.join(", ")
                )
            };
            add(b, any, why, Vec::new());
        }
        for (job, subjects) in &jobs {
            let mut best: Option<Vec<Condition>> = None;
            for subject in subjects {
                let mut unknown = Vec::new();
                let fits = claims.iter().all(|(k, values)| match claim(subject, k) {
                    Some(v) => values.iter().any(|want| accepts(want, glob, &v)),
                    None => {
                        unknown.push(Condition::described(format!(
                            "if the token's {k} claim is one of [{}]",
                            values.join(", ")
                        )));
                        true
                    }
                });
                if fits && best.as_ref().is_none_or(|b| unknown.len() < b.len()) {
                    best = Some(unknown);
                }
            }
            if let Some(conditions) = best {
                let name = b.graph.node(*job).name.to_string();
                let why = if claims.is_empty() {
                    format!("{api} binds no subject and no claim: {name}'s OIDC token logs in")
                } else {
                    format!(
                        "{api} accepts {name}'s OIDC token: bound [{}]",
                        bound.join(", ")
                    )
                };
                add(b, *job, why, conditions);
            }
        }
    }
}
