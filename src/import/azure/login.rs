//! `azure/login` steps in GitHub Actions workflows. A job whose step names a client id
//! signs in as that Entra app or managed identity with its OIDC token, when one of the
//! identity's federated credentials admits the job's subject. The federated-credential
//! link (`fic.rs`) makes that edge when the credential is in the inputs; this pass adds
//! what the step itself says: a conditional edge when no GitHub credential of the
//! identity was read (its listing was not saved, or the identity is in no input), and a
//! warning when they were read and none admits the job: that login fails.

use rustc_hash::FxHashMap;

use crate::import::link::Candidates;
use crate::import::{Warning, add_placeholder, provenance};
use crate::model::{Condition, Edge, EdgeKind, NodeId, NodeKind, TrustGraph};

pub(crate) fn link_logins(
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    candidates: &Candidates,
) {
    let jobs: Vec<(NodeId, Vec<String>)> = candidates
        .tagged(graph)
        .into_iter()
        .filter_map(|n| {
            let ids = graph.node(n).tags.get("azure_client_ids")?;
            Some((n, ids.split(" | ").map(str::to_string).collect()))
        })
        .collect();
    if jobs.is_empty() {
        return;
    }
    // Identities by client id: a service principal's app id, a managed identity's
    // client id (the same thing for a managed identity's service principal).
    let mut by_client: FxHashMap<String, NodeId> = FxHashMap::default();
    for n in graph.node_ids() {
        let node = graph.node(n);
        if node.key.starts_with("azure:sp:") {
            for tag in ["app_id", "client_id"] {
                if let Some(id) = node.tags.get(tag) {
                    by_client.insert(id.to_ascii_lowercase(), n);
                }
            }
        }
    }
    for (job, ids) in jobs {
        let node = graph.node(job);
        let file = graph.source_name(node.provenance.source).to_string();
        let name = node.name.to_string();
        let subjects = node.tags.get("oidc_subjects").map(str::to_string);
        for id in ids {
            let low = id.to_ascii_lowercase();
            let Some(subjects) = &subjects else {
                warnings.push(Warning::new(&file, &name, format!("azure/login signs in with client id {id}, but the job cannot mint an OIDC token (its permissions grant no id-token: write): that login fails unless the step passes a client secret")));
                continue;
            };
            let target = by_client
                .get(&low)
                .copied()
                .or_else(|| graph.find(&format!("azure:app:{low}")));
            match target {
                // A federated credential of it admits the job: linked already.
                Some(t) if graph.outgoing(job).any(|(_, to)| to == t) => {}
                Some(t) if trusts_github(graph, t) => {
                    let shown = crate::report::clean(graph.node(t).name);
                    warnings.push(Warning::new(&file, &name, format!("azure/login signs in as {shown} (client id {id}), but none of its federated credentials read admits the job's subjects ({subjects}): that login fails; no edge")));
                }
                _ => {
                    let to = target.unwrap_or_else(|| placeholder(graph, &low, &file, &name));
                    let shown = graph.node(to).name.to_string();
                    let at = provenance(graph, &file, format!("azure/login in {name}"));
                    let mut edge = Edge::new(
                        EdgeKind::CanAssume,
                        format!(
                            "{name} signs in as {shown} with azure/login (client id {id}) and its OIDC token"
                        ),
                        at,
                    );
                    edge.conditions = vec![Condition::described(format!(
                        "if a federated credential of {shown} admits one of the job's subjects ({subjects}): no credential of it was read"
                    ))];
                    graph.add_edge(job, to, edge);
                }
            }
        }
    }
}

/// Whether an identity has federated credentials for GitHub's issuer in the inputs:
/// each of them links from a `github:` node (a job, a repository, any repository) with
/// the credential's removal as its revoke. (The conditional edges this pass draws have
/// none, so another job's login never counts as a credential.)
fn trusts_github(graph: &TrustGraph, identity: NodeId) -> bool {
    graph.incoming(identity).any(|(e, from)| {
        let edge = graph.edge(e);
        edge.kind == EdgeKind::CanAssume
            && !edge.revoke.is_empty()
            && graph.key(from).starts_with("github:")
    })
}

/// The node of a client id that no input lists.
fn placeholder(graph: &mut TrustGraph, client_id: &str, file: &str, job: &str) -> NodeId {
    let at = provenance(graph, file, format!("azure/login in {job}"));
    let key = format!("azure:app:{client_id}");
    let why = format!("named by azure/login in {job}");
    let id = add_placeholder(graph, &key, NodeKind::ServiceAccount, "azure", why, at);
    let node = graph.node_mut(id);
    node.name = format!("Azure client id {client_id}").into();
    node.tags.insert("app_id".into(), client_id.to_string());
    id
}
