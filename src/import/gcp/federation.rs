//! The link pass for workload identity federation with GitHub Actions: which GitHub
//! identities can become the pool principals of a provider that trusts GitHub's issuer.
//!
//! It works on the graph alone (the provider's node carries its issuer, condition and
//! mapping; principals are named by their keys; jobs carry their OIDC subjects), so it
//! links whatever importer, or native file, the two sides came from. GitHub's public
//! issuer is shared by every repository: a provider that does not pin the owner lets
//! any repository on GitHub in.
//!
//! The identities tried against each provider: any repository on GitHub (public issuer
//! only), any repository of each owner the provider names, each repository it names or
//! the graph holds for those owners, and each job by the subjects it presents. The
//! condition is evaluated once per identity, then each principal's selector.

use std::collections::{BTreeMap, BTreeSet};

use super::cel::{self, Claim, Expr, Tri};
use super::wif::{GITHUB, pool_prefix, principal_of};
use crate::import::link::{self, Candidates};
use crate::model::{
    Condition, Edge, EdgeKind, Node, NodeId, NodeKind, NodeRef, Provenance, TrustGraph,
};

/// Who the link adds an edge from: made only once something links from it.
#[derive(Debug, Clone)]
enum Holder {
    AnyRepo,
    /// Any repository of one owner.
    Owner(String),
    Repo(String),
    Job(NodeId),
}

/// Someone who can present a GitHub Actions token: what it can put in each claim.
struct Source {
    holder: Holder,
    /// What the identity is, for reasons.
    who: String,
    claims: BTreeMap<String, Claim>,
    /// Claims not listed: chosen freely, or unknown.
    rest: Claim,
    /// What the edge needs beyond the provider (pushing a workflow to a repository).
    needs: Option<String>,
}

impl Source {
    fn claim(&self, name: &str, issuer: &str) -> Claim {
        if name == "iss" {
            return Claim::Value(issuer.to_string());
        }
        self.claims
            .get(name)
            .cloned()
            .unwrap_or_else(|| self.rest.clone())
    }
}

/// Claims naming who holds the token: a stranger's are its own, never a victim's.
const IDENTITY: [&str; 9] = [
    "repository",
    "repository_owner",
    "repository_id",
    "repository_owner_id",
    "workflow_ref",
    "enterprise",
    "enterprise_id",
    "actor",
    "actor_id",
];

fn claims(pairs: &[(&str, Claim)]) -> BTreeMap<String, Claim> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

fn any_repo() -> Source {
    let mut c: BTreeMap<String, Claim> = IDENTITY
        .iter()
        .map(|k| ((*k).to_string(), Claim::Foreign))
        .collect();
    c.insert("sub".into(), Claim::ForeignSubject);
    // A stranger can call another owner's public reusable workflow: whether the one a
    // condition names is callable, the inputs do not say.
    c.insert("job_workflow_ref".into(), Claim::Unknown);
    c.insert("job_workflow_sha".into(), Claim::Unknown);
    Source {
        holder: Holder::AnyRepo,
        who: "any repository on GitHub".into(),
        claims: c,
        rest: Claim::Value("*".into()),
        needs: None,
    }
}

/// Whoever can push a workflow to a repository of `owner` (`repo`: that one, or any)
/// chooses its branch, event and the reusable workflows it calls.
fn pusher(owner: &str, repo: Option<&str>) -> Source {
    // One repository, or any other of the owner's (the named ones are tried apart):
    // `fixed` is what every value starts with, `rest` what the pusher varies.
    let v = |fixed: String, rest: &str| match repo {
        Some(_) => Claim::Value(format!("{fixed}{rest}")),
        None => Claim::Within(fixed),
    };
    let name = repo.map_or(format!("{owner}/"), str::to_string);
    let mut c = claims(&[
        ("repository_id", Claim::Unknown),
        ("repository_owner_id", Claim::Unknown),
        ("enterprise", Claim::Unknown),
        ("enterprise_id", Claim::Unknown),
        ("actor", Claim::Unknown),
        ("actor_id", Claim::Unknown),
    ]);
    let sep = if repo.is_some() { ":" } else { "" };
    c.insert("repository".into(), v(name.clone(), ""));
    c.insert("repository_owner".into(), Claim::Value(owner.to_string()));
    c.insert("sub".into(), v(format!("repo:{name}{sep}"), "*"));
    c.insert(
        "workflow_ref".into(),
        v(
            format!("{name}{}", if repo.is_some() { "/" } else { "" }),
            "*",
        ),
    );
    let (holder, who, needs) = match repo {
        Some(r) => (
            Holder::Repo(r.to_string()),
            r.to_string(),
            format!("if the attacker can push a workflow with id-token: write to {r}"),
        ),
        None => (
            Holder::Owner(owner.to_string()),
            format!("any repository of {owner}"),
            format!(
                "if the attacker can push a workflow with id-token: write to a repository of {owner}"
            ),
        ),
    };
    Source {
        holder,
        who,
        claims: c,
        rest: Claim::Value("*".into()),
        needs: Some(needs),
    }
}

/// A job, by one `sub` it can present in whatever template its repository uses
/// (`repo:O/R:ref:refs/heads/main`, `repo:O/R:environment:prod`,
/// `repository_owner:O:job_workflow_ref:…`): the claims the subject spells, and its
/// repository from its own key.
fn job(node: NodeId, name: &str, repo: &str, sub: &str) -> Source {
    let owner = repo.split('/').next().unwrap_or(repo);
    let v = |s: &str| Claim::Value(s.to_string());
    let mut c: BTreeMap<String, Claim> = IDENTITY
        .iter()
        .map(|k| ((*k).to_string(), Claim::Unknown))
        .collect();
    c.insert("repository".into(), v(repo));
    c.insert("repository_owner".into(), v(owner));
    c.insert("sub".into(), v(sub));
    let parts: Vec<&str> = sub.split(':').collect();
    let mut i = 0;
    while i < parts.len() {
        let key = match parts[i] {
            "pull_request" => {
                c.insert("event_name".into(), v("pull_request"));
                i += 1;
                continue;
            }
            "repo" => "repository",
            k => k,
        };
        if let Some(value) = parts.get(i + 1) {
            c.insert(key.to_string(), v(value));
        }
        i += 2;
    }
    Source {
        holder: Holder::Job(node),
        who: format!("{name} (`sub` {sub})"),
        claims: c,
        rest: Claim::Unknown,
        needs: None,
    }
}

/// A GitHub provider, as the link reads it back from its node.
struct Federation {
    node: NodeId,
    prefix: String,
    issuer: String,
    condition: Option<Expr>,
    condition_text: String,
    mapping: BTreeMap<String, Option<Expr>>,
    dormant: bool,
}

impl Federation {
    fn read(id: NodeId, node: NodeRef<'_>) -> Option<Federation> {
        let name = node.key.strip_prefix("gcp:wif-provider:")?;
        let tag = |t: &str| node.tags.get(t).map(|v| v.to_string()).unwrap_or_default();
        let issuer = tag("issuer").trim_end_matches('/').to_string();
        // github.com's issuer, or an enterprise's own (`…/ENTERPRISE`).
        if issuer != GITHUB && !issuer.starts_with(&format!("{GITHUB}/")) {
            return None;
        }
        let mapping: BTreeMap<String, String> =
            serde_json::from_str(&tag("attribute_mapping")).unwrap_or_default();
        let condition_text = tag("attribute_condition");
        Some(Federation {
            node: id,
            prefix: pool_prefix(name)?,
            issuer,
            condition: cel::parse(&condition_text),
            condition_text,
            mapping: mapping
                .into_iter()
                .map(|(k, v)| (k, cel::parse(&v)))
                .collect(),
            dormant: tag("disabled") == "true",
        })
    }

    /// The assertion an attribute maps from (`attribute.repository` →
    /// `assertion.repository`), when the mapping is that simple.
    fn source_of<'a>(&'a self, path: &'a str) -> Option<Option<&'a str>> {
        if let Some(claim) = path.strip_prefix("assertion.") {
            return Some(Some(claim));
        }
        let mapped = self.mapping.get(path)?;
        Some(match mapped {
            Some(Expr::Path(p)) => p.strip_prefix("assertion."),
            _ => None,
        })
    }

    /// What `path` holds for `source`; an attribute the provider does not map is
    /// absent (`None`).
    fn resolve(&self, source: &Source, path: &str) -> Option<Claim> {
        match self.source_of(path)? {
            Some(claim) => Some(source.claim(claim, &self.issuer)),
            None => Some(Claim::Unknown),
        }
    }

    /// Whether `source`'s token passes the provider's condition.
    fn passes(&self, source: &Source) -> Tri {
        match &self.condition {
            None if self.condition_text.is_empty() => Tri::True,
            None => Tri::Unknown,
            Some(e) => cel::eval(e, &|p: &str| {
                self.resolve(source, p).unwrap_or(Claim::Unknown)
            }),
        }
    }

    /// Whether the token maps to the principal `selector` names.
    fn selects(&self, source: &Source, selector: &str) -> Tri {
        let by = |path: &str, value: &str| match self.resolve(source, path) {
            Some(claim) => cel::compare(claim, value),
            // Never mapped: never selected.
            None => Tri::False,
        };
        match selector.split_once('/') {
            _ if selector == "*" => Tri::True,
            Some(("subject", sub)) => by("google.subject", sub),
            Some((attr, value)) if attr.starts_with("attribute.") => by(attr, value),
            _ => Tri::Unknown,
        }
    }

    /// Attribute and assertion paths that carry `claim`.
    fn paths_of(&self, claim: &str) -> Vec<String> {
        let mut out = vec![format!("assertion.{claim}")];
        out.extend(
            self.mapping
                .iter()
                .filter(|(_, e)| matches!(e, Some(Expr::Path(p)) if p.strip_prefix("assertion.") == Some(claim)))
                .map(|(k, _)| k.clone()),
        );
        out
    }

    /// The literals the condition and the principals compare `claim` with.
    fn named(&self, claim: &str, selectors: &[&str]) -> Vec<String> {
        let paths = self.paths_of(claim);
        let mut out = Vec::new();
        if let Some(e) = &self.condition {
            for path in &paths {
                cel::literals_of(e, path, &mut out);
            }
        }
        for s in selectors {
            if let Some((attr, value)) = s.split_once('/')
                && paths.iter().any(|p| p == attr)
            {
                out.push(value.to_string());
            }
        }
        out
    }

    /// Owners and repositories the provider names: in its condition and principals, by
    /// repository, owner, or a `repo:O/R:…` subject.
    fn named_repos(&self, selectors: &[&str]) -> (BTreeSet<String>, BTreeSet<String>) {
        let clean = |s: &str| !s.is_empty() && !s.contains(['*', ' ', ':']);
        let mut subjects = self.named("sub", selectors);
        subjects.extend(self.mapping_paths_for_subject(selectors));
        let mut repos: BTreeSet<String> = self
            .named("repository", selectors)
            .into_iter()
            .chain(subjects.iter().filter_map(|s| {
                s.strip_prefix("repo:")?
                    .split(':')
                    .next()
                    .map(str::to_string)
            }))
            .filter(|r| clean(r) && r.split('/').count() == 2)
            .collect();
        let owners: BTreeSet<String> = self
            .named("repository_owner", selectors)
            .into_iter()
            .chain(
                repos
                    .iter()
                    .filter_map(|r| r.split('/').next().map(str::to_string)),
            )
            .filter(|o| clean(o) && !o.contains('/'))
            .collect();
        repos.retain(|r| r.split('/').next().is_some_and(|o| owners.contains(o)));
        (owners, repos)
    }

    /// `principal://…/subject/SUB` selectors, when `google.subject` is the `sub`.
    fn mapping_paths_for_subject(&self, selectors: &[&str]) -> Vec<String> {
        if self.source_of("google.subject") != Some(Some("sub")) {
            return Vec::new();
        }
        selectors
            .iter()
            .filter_map(|s| s.strip_prefix("subject/").map(str::to_string))
            .collect()
    }
}

/// Links GitHub Actions identities to the pool principals of the GitHub providers whose
/// condition and mapping they satisfy.
pub(crate) fn link(graph: &mut TrustGraph, candidates: &Candidates) {
    // A provider of GitHub's is read from its tags.
    let feds: Vec<Federation> = candidates
        .tagged(graph)
        .into_iter()
        .filter_map(|id| Federation::read(id, graph.node(id)))
        .collect();
    if feds.is_empty() {
        return;
    }
    let mut principals: BTreeMap<String, Vec<(NodeId, String)>> = BTreeMap::new();
    let mut repos_by_owner: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut jobs = Vec::new();
    for id in graph.node_ids() {
        let node = graph.node(id);
        if let Some((prefix, selector)) = principal_of(node.key) {
            principals
                .entry(prefix.to_string())
                .or_default()
                .push((id, selector.to_string()));
        } else if let Some(repo) = node.key.strip_prefix("github:repo:")
            && let Some((owner, _)) = repo.split_once('/')
        {
            repos_by_owner
                .entry(owner.to_string())
                .or_default()
                .push(repo.to_string());
        } else if let Some(subs) = node.tags.get("oidc_subjects")
            && let Some(rest) = node.key.strip_prefix("github:workflow:")
        {
            // `github:workflow:O/R/.github/workflows/F#job`
            let repo: Vec<&str> = rest.splitn(3, '/').take(2).collect();
            let repo = repo.join("/");
            for sub in subs.split(" | ") {
                jobs.push(job(id, node.name, &repo, sub));
            }
        }
    }
    // What each provider's pool names. A repository a selector names is one of its
    // owner's too, whether or not an input holds it (its node is made below): it presents
    // the owner's claims as well, on this load as on the next one of the saved graph.
    let named: Vec<Option<(BTreeSet<String>, BTreeSet<String>)>> = feds
        .iter()
        .map(|fed| {
            let pool = principals.get(&fed.prefix)?;
            let selectors: Vec<&str> = pool.iter().map(|(_, s)| s.as_str()).collect();
            Some(fed.named_repos(&selectors))
        })
        .collect();
    for (_, repos) in named.iter().flatten() {
        for repo in repos {
            if let Some((owner, _)) = repo.split_once('/') {
                let known = repos_by_owner.entry(owner.to_string()).or_default();
                if !known.contains(repo) {
                    known.push(repo.clone());
                }
            }
        }
    }
    for (fed, named) in feds.iter().zip(named) {
        let (Some(pool), Some((owners, mut repos))) = (principals.get(&fed.prefix), named) else {
            continue;
        };
        for owner in &owners {
            repos.extend(repos_by_owner.get(owner).into_iter().flatten().cloned());
        }
        // Strangers get tokens from github.com's issuer only, not an enterprise's.
        let public = (fed.issuer == GITHUB).then(any_repo);
        let named = owners.iter().map(|o| pusher(o, None)).chain(
            repos
                .iter()
                .map(|r| pusher(r.split('/').next().unwrap_or(r), Some(r))),
        );
        let built: Vec<Source> = public.into_iter().chain(named).collect();
        for source in built.iter().chain(&jobs) {
            let passes = fed.passes(source);
            if passes == Tri::False {
                continue;
            }
            for (principal, selector) in pool {
                let verdict = passes.and(fed.selects(source, selector));
                if verdict != Tri::False {
                    add(graph, fed, source, *principal, selector, verdict);
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
        Holder::Owner(o) => ensure_owner(graph, o, &at),
        Holder::Repo(r) => link::ensure_repo(graph, r, &at),
        Holder::Job(id) => *id,
    };
    let provider = graph.node(fed.node);
    let accepts = match (fed.condition_text.is_empty(), verdict) {
        (true, _) => "has no attributeCondition".to_string(),
        (false, Tri::True) => format!("accepts it under `{}`", fed.condition_text),
        (false, Tri::Chosen) => format!(
            "accepts it under `{}` for claims the holder chooses",
            fed.condition_text
        ),
        (false, _) => format!("may accept it under `{}`", fed.condition_text),
    };
    let reason = format!(
        "{} can present a GitHub Actions token; provider {} {accepts}, and it maps to the pool principal {selector}",
        source.who, provider.name
    );
    let mut edge = Edge::new(EdgeKind::CanAssume, reason, provider.provenance.clone());
    edge.revoke = provider.revoke.get().into();
    edge.dormant = fed.dormant;
    edge.conditions
        .extend(source.needs.iter().map(|n| Condition::described(n.clone())));
    if verdict == Tri::Unknown {
        let condition = if fed.condition_text.is_empty() {
            "true"
        } else {
            &fed.condition_text
        };
        edge.conditions.push(Condition::described(format!(
            "holds if the token's claims pass `{condition}` and map to {selector}: trustpath could not decide it from what the identity presents"
        )));
    }
    graph.add_edge(from, principal, edge);
}

/// The node standing for any repository of `owner`.
fn ensure_owner(graph: &mut TrustGraph, owner: &str, at: &Provenance) -> NodeId {
    let key = format!("github:any-repo:{owner}");
    if let Some(n) = graph.find(&key) {
        return n;
    }
    let mut node = Node::new(&key, NodeKind::Group, at.clone());
    node.platform = "github".into();
    node.name = format!("any repository of {owner}").into();
    node.scope = Some(owner.into());
    match graph.add_node(node) {
        Ok(n) => n,
        Err(existing) => existing.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handle for sources and providers that are not in a graph.
    fn id() -> NodeId {
        let mut g = TrustGraph::new();
        g.add_node(Node::new("x", NodeKind::Group, Provenance::default()))
            .expect("a new key")
    }

    fn fed(condition: &str, mapping: &[(&str, &str)]) -> Federation {
        Federation {
            node: id(),
            prefix: String::new(),
            issuer: GITHUB.into(),
            condition: cel::parse(condition),
            condition_text: condition.into(),
            mapping: mapping
                .iter()
                .map(|(k, v)| ((*k).to_string(), cel::parse(v)))
                .collect(),
            dormant: false,
        }
    }

    #[test]
    fn a_stranger_passes_only_what_does_not_pin_the_owner() {
        let any = any_repo();
        let f = |c: &str| fed(c, &[]).passes(&any);
        assert_eq!(f(""), Tri::True);
        assert_eq!(f("assertion.repository_owner == 'acme'"), Tri::False);
        assert_eq!(f("assertion.sub.startsWith('repo:acme/')"), Tri::False);
        // Negating a choice is still a choice: any branch but a pull request's.
        assert_eq!(f("!assertion.ref.startsWith('refs/pull/')"), Tri::Chosen);
        assert_eq!(f("assertion.ref == 'refs/heads/main'"), Tri::Chosen);
        // A reusable workflow of acme may be callable from anywhere.
        assert_eq!(
            f("assertion.job_workflow_ref.startsWith('acme/shared/')"),
            Tri::Unknown
        );
        // A stranger's subject template is its own.
        assert_eq!(
            f(
                "assertion.sub == 'job_workflow_ref:acme/shared/.github/workflows/d.yml@refs/heads/main'"
            ),
            Tri::Unknown
        );
        // `iss` is the provider's issuer.
        assert_eq!(
            f("assertion.iss == 'https://token.actions.githubusercontent.com'"),
            Tri::True
        );
    }

    #[test]
    fn jobs_are_read_in_any_subject_template() {
        let j = job(
            id(),
            "deploy",
            "acme/web",
            "repository_owner:acme:job_workflow_ref:acme/web/.github/workflows/d.yml@refs/heads/main",
        );
        assert_eq!(
            j.claim("job_workflow_ref", GITHUB),
            Claim::Value("acme/web/.github/workflows/d.yml@refs/heads/main".into())
        );
        let j = job(
            id(),
            "deploy",
            "acme/web",
            "repo:acme/web:ref:refs/heads/main",
        );
        assert_eq!(
            j.claim("ref", GITHUB),
            Claim::Value("refs/heads/main".into())
        );
        assert_eq!(
            j.claim("repository", GITHUB),
            Claim::Value("acme/web".into())
        );
        let f = fed(
            "assertion.repository_owner == 'acme' && !(assertion.event_name in ['pull_request', 'pull_request_target'])",
            &[],
        );
        assert_ne!(f.passes(&pusher("acme", Some("acme/web"))), Tri::False);
    }

    #[test]
    fn owners_and_repositories_named_anywhere_are_sources() {
        let f = fed(
            "assertion.repository_owner == 'acme' || assertion.sub == 'repo:beta/api:ref:refs/heads/main'",
            &[
                ("google.subject", "assertion.sub"),
                ("attribute.repository", "assertion.repository"),
            ],
        );
        let (owners, repos) = f.named_repos(&[
            "attribute.repository/acme/web",
            "subject/repo:gamma/db:ref:refs/heads/main",
            "*",
        ]);
        assert_eq!(
            owners.into_iter().collect::<Vec<_>>(),
            ["acme", "beta", "gamma"]
        );
        assert_eq!(
            repos.into_iter().collect::<Vec<_>>(),
            ["acme/web", "beta/api", "gamma/db"]
        );
        // An attribute the provider does not map selects nobody.
        assert_eq!(
            f.selects(&any_repo(), "attribute.workflow/deploy"),
            Tri::False
        );
    }
}
