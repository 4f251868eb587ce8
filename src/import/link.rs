//! The link pass: joins platforms once every input is in. GitHub Actions jobs that can
//! mint an OIDC token are linked to the cloud roles whose trust accepts one of their
//! `sub` values; a trust that any repository satisfies is linked from `github:any-repo`.
//!
//! It works on the graph alone (trust edges from the GitHub OIDC provider and their
//! conditions, jobs tagged with `oidc_subjects`), so it links whatever importer, or
//! native file, the two sides came from.

use crate::glob::glob_match;
use crate::model::{
    Condition, Edge, EdgeId, EdgeKind, Node, NodeId, NodeKind, Provenance, TrustGraph,
};

/// The GitHub Actions token issuer, as IAM names its provider and claim keys.
const ISSUER: &str = "token.actions.githubusercontent.com";

/// One trust edge out of a GitHub OIDC provider: the role, and the `sub` patterns it
/// accepts (`None`: no `sub` condition, so any repository's token is accepted).
struct Trust {
    edge: EdgeId,
    role: NodeId,
    subs: Option<Vec<(String, bool)>>,
    /// Conditions on other claims, which the link keeps unevaluated.
    others: Vec<Condition>,
}

/// The nodes the link passes start from, found in one scan of the graph rather than one
/// per pass (each read every node: a tenth of the work after a 100k-node file was read).
/// Each pass starts from a provider or from a node with tags (a pass with something to
/// link may then read every node, as before); nodes added after the scan (a pass's
/// placeholders) are among both. A pass that changed the kind or tags of a node that was
/// there before would have to scan again: none does.
pub(crate) struct Candidates {
    scanned: u32,
    providers: Vec<NodeId>,
    tagged: Vec<NodeId>,
}

impl Candidates {
    pub(crate) fn scan(graph: &TrustGraph) -> Candidates {
        let mut found = Candidates {
            scanned: graph.node_count() as u32,
            providers: Vec::new(),
            tagged: Vec::new(),
        };
        for id in graph.node_ids() {
            let node = graph.node(id);
            if node.kind == NodeKind::Provider {
                found.providers.push(id);
            }
            if !node.tags.is_empty() {
                found.tagged.push(id);
            }
        }
        found
    }

    /// Every node of kind provider (and any added since the scan).
    pub(crate) fn providers(&self, graph: &TrustGraph) -> Vec<NodeId> {
        self.with_later(&self.providers, graph)
    }

    /// Every node with tags (and any added since the scan).
    pub(crate) fn tagged(&self, graph: &TrustGraph) -> Vec<NodeId> {
        self.with_later(&self.tagged, graph)
    }

    fn with_later(&self, found: &[NodeId], graph: &TrustGraph) -> Vec<NodeId> {
        let later = (self.scanned..graph.node_count() as u32).map(NodeId::from_raw);
        found.iter().copied().chain(later).collect()
    }
}

fn trusts(graph: &TrustGraph, candidates: &Candidates) -> Vec<Trust> {
    let providers: Vec<NodeId> = candidates
        .providers(graph)
        .into_iter()
        .filter(|&n| {
            let node = graph.node(n);
            node.kind == NodeKind::Provider
                && node.key.ends_with(&format!("oidc-provider/{ISSUER}"))
        })
        .collect();
    let mut out = Vec::new();
    for p in providers {
        for (edge, role) in graph.outgoing(p) {
            let e = graph.edge(edge);
            if e.kind != EdgeKind::CanAssume {
                continue;
            }
            let mut subs: Option<Vec<(String, bool)>> = None;
            let mut others = Vec::new();
            for c in e.conditions {
                let key = c.key.as_deref().unwrap_or("");
                let op = c.operator.as_deref().unwrap_or("");
                if key == format!("{ISSUER}:sub") {
                    let like = op.contains("Like");
                    subs.get_or_insert_with(Vec::new)
                        .extend(c.values.iter().map(|v| (v.clone(), like)));
                } else if key == format!("{ISSUER}:aud") {
                    // The job chooses the audience it asks for: never a barrier.
                } else {
                    others.push(c.clone());
                }
            }
            out.push(Trust {
                edge,
                role,
                subs,
                others,
            });
        }
    }
    out
}

/// Whether a job that can present `subject` (where `*` stands for a part the job can
/// vary) satisfies a trust value; `StringLike` values are patterns too.
pub(crate) fn accepts(value: &str, like: bool, subject: &str) -> bool {
    let subject_varies = subject.contains('*');
    match (like, subject_varies) {
        (false, false) => value == subject,
        (false, true) => glob_match(subject, value),
        (true, false) => glob_match(value, subject),
        // Both are patterns: some string matches both when each admits the other's
        // literal parts (a close, slightly generous test: it may link, never hide).
        (true, true) => glob_match(value, subject) || glob_match(subject, value),
    }
}

/// The immutable-subject form of a default subject (`repo:O@ID/R@ID:…`), with the ids
/// the inputs do not give as wildcards.
pub(crate) fn immutable(subject: &str) -> Option<String> {
    let rest = subject.strip_prefix("repo:")?;
    let (repo, tail) = rest.split_once(':')?;
    let (owner, name) = repo.split_once('/')?;
    Some(format!("repo:{owner}@*/{name}@*:{tail}"))
}

/// Links jobs and `github:any-repo` to the roles whose OIDC trust they satisfy.
pub(crate) fn github_oidc(graph: &mut TrustGraph, candidates: &Candidates) {
    let trusts = trusts(graph, candidates);
    if trusts.is_empty() {
        return;
    }
    let jobs: Vec<(NodeId, Vec<String>)> = candidates
        .tagged(graph)
        .into_iter()
        .filter_map(|n| {
            let node = graph.node(n);
            let subs = node.tags.get("oidc_subjects")?;
            Some((n, subs.split(" | ").map(str::to_string).collect()))
        })
        .collect();
    for trust in &trusts {
        let role_key = graph.key(trust.role).to_string();
        let revoke = graph.edge(trust.edge).revoke.to_shared();
        // Links take the provenance of the trust they satisfy.
        let at = graph.edge(trust.edge).provenance.clone();
        let add = |graph: &mut TrustGraph, from, reason, conditions| {
            add(
                graph,
                from,
                trust.role,
                reason,
                conditions,
                revoke.clone(),
                at.clone(),
            );
        };
        let Some(subs) = &trust.subs else {
            // No `sub` condition: every repository on GitHub can assume the role.
            let any = ensure_any_repo(graph, &at);
            let reason = format!(
                "the trust of {role_key} accepts a token from {ISSUER} without a `sub` condition: any repository on GitHub can assume it"
            );
            add(graph, any, reason, trust.others.clone());
            for (job, _) in &jobs {
                let reason = format!(
                    "any GitHub token is accepted by the trust of {role_key} (no `sub` condition)"
                );
                add(graph, *job, reason, trust.others.clone());
            }
            continue;
        };
        // Patterns that any repository satisfies (`*`, `repo:*`) open the role to all.
        if subs.iter().any(|(v, like)| {
            *like && glob_match(v, "repo:some-attacker/any-repo:ref:refs/heads/main")
        }) {
            let any = ensure_any_repo(graph, &at);
            let patterns: Vec<&str> = subs.iter().map(|(v, _)| v.as_str()).collect();
            let reason = format!(
                "the trust of {role_key} accepts `sub` {}, which any repository's token matches",
                patterns.join(" | ")
            );
            add(graph, any, reason, trust.others.clone());
        }
        // The repositories a trust names: whoever can push a workflow there can mint
        // such a token. A repository not in the inputs gets a node of its own.
        let named: std::collections::BTreeSet<&str> = subs
            .iter()
            .filter_map(|(v, _)| v.strip_prefix("repo:")?.split(':').next())
            .filter(|repo| !repo.contains(['*', '?']) && repo.contains('/'))
            .collect();
        for repo in named {
            let repo_node = ensure_repo(graph, repo, &at);
            let patterns: Vec<&str> = subs.iter().map(|(v, _)| v.as_str()).collect();
            let reason = format!(
                "the trust of {role_key} accepts tokens of {repo} (`sub` {})",
                patterns.join(" | ")
            );
            let cond = Condition {
                description: format!(
                    "if the attacker can push a workflow with id-token: write to {repo}, on the branch or environment the `sub` names"
                ),
                key: None,
                operator: None,
                values: Vec::new(),
            };
            let mut conditions = trust.others.clone();
            conditions.push(cond);
            add(graph, repo_node, reason, conditions);
        }
        for (job, subjects) in &jobs {
            let hit = subjects.iter().find_map(|s| {
                let forms = std::iter::once(s.clone()).chain(immutable(s));
                forms.into_iter().find_map(|form| {
                    subs.iter()
                        .find(|(v, like)| accepts(v, *like, &form))
                        .map(|(v, _)| (s.clone(), v.clone()))
                })
            });
            let Some((subject, value)) = hit else {
                continue;
            };
            let job_name = graph.node(*job).name.to_string();
            let mut conditions = trust.others.clone();
            if subject.contains('*') {
                conditions.push(Condition {
                    description: format!("if the attacker can run it where its token says `{value}` (for example by pushing that branch)"),
                    key: None,
                    operator: None,
                    values: Vec::new(),
                });
            }
            let reason = format!(
                "{job_name} can present OIDC `sub` {subject}, which the trust of {role_key} accepts (`{value}`)"
            );
            add(graph, *job, reason, conditions);
        }
    }
}

/// The repository's node, created (and flagged) when no input defines it.
pub(crate) fn ensure_repo(graph: &mut TrustGraph, repo: &str, at: &Provenance) -> NodeId {
    let key = format!("github:repo:{repo}");
    if let Some(n) = graph.find(&key) {
        return n;
    }
    let mut node = Node::new(&key, NodeKind::Resource, at.clone());
    node.platform = "github".into();
    node.name = repo.into();
    node.scope = repo.split('/').next().map(Into::into);
    node.tags.insert(
        "not_in_inputs".into(),
        "named by a cloud trust policy".into(),
    );
    match graph.add_node(node) {
        Ok(n) => n,
        Err(existing) => existing.0,
    }
}

pub(crate) fn ensure_any_repo(graph: &mut TrustGraph, at: &Provenance) -> NodeId {
    if let Some(n) = graph.find("github:any-repo") {
        return n;
    }
    let mut node = Node::new("github:any-repo", NodeKind::Group, at.clone());
    node.platform = "github".into();
    node.name = "any repository on GitHub".into();
    node.tags.insert("public".into(), "true".into());
    match graph.add_node(node) {
        Ok(n) => n,
        Err(existing) => existing.0,
    }
}

fn add(
    graph: &mut TrustGraph,
    from: NodeId,
    to: NodeId,
    reason: String,
    conditions: Vec<Condition>,
    revoke: std::sync::Arc<[crate::model::Revoke]>,
    at: Provenance,
) {
    let mut edge = Edge::new(EdgeKind::CanAssume, reason, at);
    edge.conditions = conditions;
    edge.revoke = revoke;
    graph.add_edge(from, to, edge);
}

#[cfg(test)]
mod tests {
    use super::{Candidates, accepts, immutable};
    use crate::model::{Node, NodeId, NodeKind, Provenance, TrustGraph};

    /// The scan finds providers and tagged nodes, and every node added after it.
    #[test]
    fn candidates_are_providers_tagged_nodes_and_later_ones() {
        let mut graph = TrustGraph::new();
        let add = |graph: &mut TrustGraph, key: &str, kind, tagged: bool| {
            let mut node = Node::new(key, kind, Provenance::default());
            if tagged {
                node.tags.insert(
                    "oidc_subjects".into(),
                    "repo:a/b:ref:refs/heads/main".into(),
                );
            }
            graph.add_node(node).expect("a new key").index() as u32
        };
        let provider = add(&mut graph, "aws:oidc-provider/x", NodeKind::Provider, false);
        add(&mut graph, "aws:role/r", NodeKind::Role, false);
        let job = add(
            &mut graph,
            "github:workflow:a/b/w.yml#j",
            NodeKind::Workload,
            true,
        );
        let candidates = Candidates::scan(&graph);
        let later = add(&mut graph, "github:repo:a/b", NodeKind::Resource, false);
        let ids = |v: Vec<NodeId>| v.into_iter().map(|n| n.index() as u32).collect::<Vec<_>>();
        assert_eq!(ids(candidates.providers(&graph)), [provider, later]);
        assert_eq!(ids(candidates.tagged(&graph)), [job, later]);
    }

    #[test]
    fn subject_matching() {
        assert!(accepts(
            "repo:acme/web:ref:refs/heads/main",
            false,
            "repo:acme/web:ref:refs/heads/main"
        ));
        assert!(!accepts(
            "repo:acme/web:ref:refs/heads/main",
            false,
            "repo:acme/docs:ref:refs/heads/main"
        ));
        assert!(accepts(
            "repo:acme/*",
            true,
            "repo:acme/docs:ref:refs/heads/main"
        ));
        assert!(accepts(
            "repo:acme/web:ref:refs/heads/main",
            false,
            "repo:acme/web:ref:refs/heads/*"
        ));
        assert!(!accepts(
            "repo:acme/web:environment:production",
            false,
            "repo:acme/web:ref:refs/heads/*"
        ));
        assert_eq!(
            immutable("repo:acme/web:pull_request").as_deref(),
            Some("repo:acme@*/web@*:pull_request")
        );
        assert!(accepts(
            "repo:acme@123/web@456:pull_request",
            false,
            "repo:acme@*/web@*:pull_request"
        ));
    }
}
