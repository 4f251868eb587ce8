//! Workload identity federation: providers (`gcloud iam workload-identity-pools providers
//! list`), the pool principals they issue, and who outside Google can become one.
//!
//! A provider accepts an external token when it satisfies the `attributeCondition`, and
//! maps its claims to attributes (`attributeMapping`); IAM then grants to principals of
//! the pool by those attributes (`principalSet://…/POOL/attribute.repository/acme/web`),
//! by subject (`principal://…/POOL/subject/SUB`) or all of them (`…/POOL/*`).
//!
//! The importer adds the provider's node and an edge to each principal of its pool that
//! the graph names. Who can present such a token is decided in the link pass
//! ([`link`]), on the graph alone: GitHub's issuer is shared by every repository, so a
//! provider that does not pin the repository lets any repository on GitHub in.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::build::Build;
use super::cel::{self, Claim, Expr, Tri};
use crate::import::{link, provenance, revoke};
use crate::model::{Condition, Edge, EdgeKind, NodeId, NodeKind, TrustGraph};

/// GitHub Actions' OIDC issuer, as providers name it.
const GITHUB: &str = "https://token.actions.githubusercontent.com";

/// A provider from `gcloud iam workload-identity-pools providers list`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Provider {
    pub name: String,
    pub display_name: String,
    pub state: String,
    pub disabled: bool,
    pub attribute_mapping: BTreeMap<String, String>,
    pub attribute_condition: String,
    pub oidc: Option<Oidc>,
    pub aws: Option<serde_json::Value>,
    pub saml: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Oidc {
    pub issuer_uri: String,
}

/// A pool from `gcloud iam workload-identity-pools list`: only whether it is off.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Pool {
    pub name: String,
    pub state: String,
    pub disabled: bool,
}

/// The principals' prefix of a pool (`iam.googleapis.com/projects/N/locations/global/
/// workloadIdentityPools/POOL/`), from a provider's or pool's resource name.
fn pool_prefix(name: &str) -> Option<String> {
    let (pool, _) = match name.split_once("/providers/") {
        Some(split) => split,
        None => (name, ""),
    };
    pool.contains("/workloadIdentityPools/")
        .then(|| format!("iam.googleapis.com/{pool}/"))
}

/// Adds each provider's node and its edges to the principals of its pool.
pub(super) fn providers(b: &mut Build<'_>, list: &[(Provider, String)], pools: &[(Pool, String)]) {
    let off = |p: &Pool| p.disabled || p.state == "DELETED";
    let pools_off: Vec<String> = pools
        .iter()
        .filter(|(p, _)| off(p))
        .filter_map(|(p, _)| pool_prefix(&p.name))
        .collect();
    // The principals of each pool the graph names.
    let mut principals: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in b.graph.node_ids() {
        let key = &*b.graph.node(id).key;
        if let Some((prefix, _)) = principal_of(key) {
            principals
                .entry(prefix.to_string())
                .or_default()
                .push(key.to_string());
        }
    }
    for (p, file) in list {
        let Some(prefix) = pool_prefix(&p.name) else {
            continue;
        };
        let key = format!("gcp:wif-provider:{}", p.name);
        let prov = provenance(b.graph, file, format!("provider {}", p.name));
        let short = p.name.rsplit('/').next().unwrap_or(&p.name);
        let pool = prefix
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("");
        let kind = match (&p.oidc, &p.aws, &p.saml) {
            (Some(_), _, _) => "oidc",
            (_, Some(_), _) => "aws",
            (_, _, Some(_)) => "saml",
            _ => "unknown",
        };
        let issuer = p.oidc.as_ref().map_or("", |o| o.issuer_uri.as_str());
        let dormant = p.disabled || p.state == "DELETED" || pools_off.contains(&prefix);
        let project = p.name.split('/').nth(1).unwrap_or_default();
        let Some(node) = b.node(
            &key,
            NodeKind::Provider,
            &format!("{short} (pool {pool})"),
            Some(project),
            prov.clone(),
        ) else {
            continue;
        };
        let tags = [
            ("provider_type", kind.to_string()),
            ("issuer", issuer.to_string()),
            ("attribute_condition", p.attribute_condition.clone()),
            (
                "attribute_mapping",
                serde_json::to_string(&p.attribute_mapping).unwrap_or_default(),
            ),
            ("display_name", p.display_name.clone()),
        ];
        for (k, v) in tags.into_iter().filter(|(_, v)| !v.is_empty()) {
            node.tags.insert(k.into(), v);
        }
        if dormant {
            node.tags.insert("disabled".into(), "true".into());
        }
        node.revoke = vec![revoke(
            format!("disable-provider:{key}"),
            "disable_provider",
            5,
            Vec::new(),
        )];
        let revokes: std::sync::Arc<[crate::model::Revoke]> = node.revoke.clone().into();
        let accepts = if p.attribute_condition.is_empty() {
            "every token of its issuer (no attributeCondition)".to_string()
        } else {
            format!("tokens that satisfy `{}`", p.attribute_condition)
        };
        for principal in principals.get(&prefix).into_iter().flatten() {
            let Some((_, selector)) = principal_of(principal) else {
                continue;
            };
            // A principal set by an attribute the provider never maps is never issued.
            let needs = match selector.split_once('/') {
                Some(("subject", _)) => Some("google.subject".to_string()),
                Some((attr, _)) if attr.starts_with("attribute.") => Some(attr.to_string()),
                _ => None,
            };
            if needs
                .as_ref()
                .is_some_and(|n| !p.attribute_mapping.contains_key(n))
            {
                continue;
            }
            let reason = format!(
                "provider {short} of pool {pool} accepts {accepts} and issues the pool principal {selector}"
            );
            let cond = Condition::described(format!(
                "holds for a token whose mapped attributes select {selector}"
            ));
            let (revokes, prov) = (revokes.clone(), prov.clone());
            b.edge(&key, principal, EdgeKind::CanAssume, reason, &prov, |e| {
                e.revoke = revokes;
                e.dormant = dormant;
                if selector != "*" {
                    e.conditions = vec![cond];
                }
            });
        }
    }
}

/// A pool principal's key split into its pool's prefix and what it selects
/// (`*`, `attribute.repository/acme/web`, `subject/SUB`, `group/G`).
fn principal_of(key: &str) -> Option<(&str, &str)> {
    let rest = key
        .strip_prefix("gcp:principal-set:")
        .or_else(|| key.strip_prefix("gcp:principal:"))?;
    let i = rest.find("/workloadIdentityPools/")? + "/workloadIdentityPools/".len();
    let pool_end = i + rest[i..].find('/')? + 1;
    // GKE's pools (`P.svc.id.goog`) are Kubernetes service accounts, linked elsewhere.
    if rest[..pool_end].ends_with(".svc.id.goog/") {
        return None;
    }
    Some((&rest[..pool_end], &rest[pool_end..]))
}

/// Who the link adds an edge from: made only once something links from it.
enum Holder {
    AnyRepo,
    Repo(String),
    Job(NodeId),
}

/// Someone who can present a GitHub Actions token: what it can put in each claim.
struct Source {
    holder: Holder,
    /// What the identity is, for reasons.
    who: String,
    claims: BTreeMap<&'static str, Claim>,
    /// Claims not listed: chosen freely, or unknown.
    rest: Claim,
    /// What the edge needs beyond the provider (pushing a workflow to a repository).
    needs: Option<String>,
}

impl Source {
    fn claim(&self, name: &str) -> Claim {
        if name == "iss" {
            return Claim::Value(GITHUB.into());
        }
        self.claims
            .get(name)
            .cloned()
            .unwrap_or_else(|| self.rest.clone())
    }
}

/// Claims naming who holds the token: a stranger's are its own, never a victim's.
const IDENTITY: [&str; 11] = [
    "repository",
    "repository_owner",
    "repository_id",
    "repository_owner_id",
    "sub",
    "job_workflow_ref",
    "workflow_ref",
    "enterprise",
    "enterprise_id",
    "actor",
    "actor_id",
];

fn any_repo() -> Source {
    Source {
        holder: Holder::AnyRepo,
        who: "any repository on GitHub".into(),
        claims: IDENTITY.iter().map(|c| (*c, Claim::Foreign)).collect(),
        rest: Claim::Value("*".into()),
        needs: None,
    }
}

/// Whoever can push a workflow to `repo` chooses its branch, event and workflow.
fn repo(repo: &str) -> Source {
    let owner = repo.split('/').next().unwrap_or(repo);
    let mut claims: BTreeMap<&'static str, Claim> =
        IDENTITY.iter().map(|c| (*c, Claim::Unknown)).collect();
    let v = |s: String| Claim::Value(s);
    claims.insert("repository", v(repo.into()));
    claims.insert("repository_owner", v(owner.into()));
    claims.insert("sub", v(format!("repo:{repo}:*")));
    claims.insert("job_workflow_ref", v(format!("{repo}/*")));
    claims.insert("workflow_ref", v(format!("{repo}/*")));
    Source {
        holder: Holder::Repo(repo.to_string()),
        who: repo.to_string(),
        claims,
        rest: Claim::Value("*".into()),
        needs: Some(format!(
            "if the attacker can push a workflow with id-token: write to {repo}"
        )),
    }
}

/// A job, by one `sub` it can present (`repo:O/R:ref:refs/heads/main`,
/// `repo:O/R:environment:prod`, `repo:O/R:pull_request`).
fn job(node: NodeId, name: &str, sub: &str) -> Option<Source> {
    let (repo, tail) = sub.strip_prefix("repo:")?.split_once(':')?;
    let owner = repo.split('/').next()?;
    let v = |s: &str| Claim::Value(s.into());
    let mut claims: BTreeMap<&'static str, Claim> =
        IDENTITY.iter().map(|c| (*c, Claim::Unknown)).collect();
    claims.insert("repository", v(repo));
    claims.insert("repository_owner", v(owner));
    claims.insert("sub", v(sub));
    if let Some(r) = tail.strip_prefix("ref:") {
        claims.insert("ref", v(r));
    } else if let Some(env) = tail.strip_prefix("environment:") {
        claims.insert("environment", v(env));
    } else if tail == "pull_request" {
        claims.insert("event_name", v("pull_request"));
    }
    Some(Source {
        holder: Holder::Job(node),
        who: format!("{name} (`sub` {sub})"),
        claims,
        rest: Claim::Unknown,
        needs: None,
    })
}

/// A GitHub provider, as the link reads it back from its node.
struct Federation {
    node: NodeId,
    prefix: String,
    condition: Option<Expr>,
    condition_text: String,
    mapping: BTreeMap<String, Option<Expr>>,
    dormant: bool,
}

impl Federation {
    /// What `path` holds for `source`: an assertion directly, an attribute through the
    /// provider's mapping (a mapping other than `assertion.x` is unknown).
    fn resolve(&self, source: &Source, path: &str) -> Claim {
        if let Some(claim) = path.strip_prefix("assertion.") {
            return source.claim(claim);
        }
        match self.mapping.get(path) {
            Some(Some(Expr::Path(p))) if p.starts_with("assertion.") => {
                source.claim(&p["assertion.".len()..])
            }
            _ => Claim::Unknown,
        }
    }

    /// Whether `source` passes the condition and is selected by the principal.
    fn admits(&self, source: &Source, selector: &str) -> Tri {
        let claim = |p: &str| self.resolve(source, p);
        let passes = match &self.condition {
            None if self.condition_text.is_empty() => Tri::True,
            None => Tri::Unknown,
            Some(e) => cel::eval(e, &claim),
        };
        let selected = match selector.split_once('/') {
            _ if selector == "*" => Tri::True,
            Some(("subject", sub)) => eq(claim("google.subject"), sub),
            Some((attr, value)) if attr.starts_with("attribute.") => eq(claim(attr), value),
            _ => Tri::Unknown,
        };
        passes.and(selected)
    }

    /// Repositories the provider names: in its condition and in its principals.
    fn named_repos(&self, selectors: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        let repo_paths: Vec<String> = std::iter::once("assertion.repository".to_string())
            .chain(
                self.mapping
                    .iter()
                    .filter(
                        |(_, e)| matches!(e, Some(Expr::Path(p)) if p == "assertion.repository"),
                    )
                    .map(|(k, _)| k.clone()),
            )
            .collect();
        if let Some(e) = &self.condition {
            for path in &repo_paths {
                cel::literals_of(e, path, &mut out);
            }
        }
        for s in selectors {
            if let Some((attr, value)) = s.split_once('/')
                && repo_paths.iter().any(|p| p == attr)
            {
                out.push(value.to_string());
            }
        }
        out.retain(|r| r.contains('/') && !r.contains(['*', ' ']));
        out.sort();
        out.dedup();
        out
    }
}

fn eq(claim: Claim, value: &str) -> Tri {
    match claim {
        Claim::Value(p) if p.contains('*') => Tri::from_bool(crate::glob::glob_match(&p, value)),
        Claim::Value(p) => Tri::from_bool(p == value),
        Claim::Foreign => Tri::False,
        Claim::Unknown => Tri::Unknown,
    }
}

/// Links GitHub Actions identities to the pool principals of the GitHub providers whose
/// condition and mapping they satisfy: `github:any-repo` when a stranger's repository
/// passes, each repository a provider names, and each job by the `sub` it presents.
pub(crate) fn link(graph: &mut TrustGraph) {
    let mut feds = Vec::new();
    let mut principals: BTreeMap<String, Vec<(NodeId, String)>> = BTreeMap::new();
    let mut jobs = Vec::new();
    for id in graph.node_ids() {
        let node = graph.node(id);
        if let Some(name) = node.key.strip_prefix("gcp:wif-provider:") {
            let tag = |t: &str| node.tags.get(t).map(|v| v.to_string()).unwrap_or_default();
            if !tag("issuer").trim_end_matches('/').starts_with(GITHUB) {
                continue;
            }
            let Some(prefix) = pool_prefix(name) else {
                continue;
            };
            let mapping: BTreeMap<String, String> =
                serde_json::from_str(&tag("attribute_mapping")).unwrap_or_default();
            let condition_text = tag("attribute_condition");
            feds.push(Federation {
                node: id,
                prefix,
                condition: cel::parse(&condition_text),
                condition_text,
                mapping: mapping
                    .into_iter()
                    .map(|(k, v)| (k, cel::parse(&v)))
                    .collect(),
                dormant: tag("disabled") == "true",
            });
        } else if let Some((prefix, selector)) = principal_of(&node.key) {
            principals
                .entry(prefix.to_string())
                .or_default()
                .push((id, selector.to_string()));
        } else if let Some(subs) = node.tags.get("oidc_subjects") {
            let subs: Vec<String> = subs.split(" | ").map(str::to_string).collect();
            jobs.push((id, node.name.to_string(), subs));
        }
    }
    for fed in &feds {
        let Some(pool) = principals.get(&fed.prefix) else {
            continue;
        };
        let selectors: Vec<&str> = pool.iter().map(|(_, s)| s.as_str()).collect();
        let sources = std::iter::once(any_repo())
            .chain(fed.named_repos(&selectors).into_iter().map(|r| repo(&r)))
            .chain(
                jobs.iter()
                    .flat_map(|(id, name, subs)| subs.iter().filter_map(|s| job(*id, name, s))),
            );
        for source in sources {
            for (principal, selector) in pool {
                let verdict = fed.admits(&source, selector);
                if verdict != Tri::False {
                    add(graph, fed, &source, *principal, selector, verdict);
                }
            }
        }
    }
}

fn add(
    graph: &mut TrustGraph,
    fed: &Federation,
    source: &Source,
    principal: NodeId,
    selector: &str,
    verdict: Tri,
) {
    let at = graph.node(fed.node).provenance.clone();
    let from = match &source.holder {
        Holder::AnyRepo => link::ensure_any_repo(graph, &at),
        Holder::Repo(r) => link::ensure_repo(graph, r, &at),
        Holder::Job(id) => *id,
    };
    let provider = graph.node(fed.node);
    let accepts = if fed.condition_text.is_empty() {
        "has no attributeCondition".to_string()
    } else if verdict == Tri::True {
        format!("accepts it under `{}`", fed.condition_text)
    } else {
        format!("may accept it under `{}`", fed.condition_text)
    };
    let reason = format!(
        "{} can present a GitHub Actions token; provider {} {accepts}, and it maps to the pool principal {selector}",
        source.who, provider.name
    );
    let mut edge = Edge::new(EdgeKind::CanAssume, reason, provider.provenance.clone());
    edge.revoke = provider.revoke.clone().into();
    edge.dormant = fed.dormant;
    edge.conditions
        .extend(source.needs.iter().map(|n| Condition::described(n.clone())));
    if verdict == Tri::Unknown {
        edge.conditions.push(Condition::described(format!(
            "holds if the token's claims pass `{}` and map to {selector}: trustpath could not decide it from what the identity presents",
            if fed.condition_text.is_empty() { "true" } else { &fed.condition_text }
        )));
    }
    graph.add_edge(from, principal, edge);
}
