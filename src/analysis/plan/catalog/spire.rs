//! SPIRE for the playbook catalogue. The importer writes each action's commands (it
//! knows the entry IDs); here is what each leaves alive and how to undo it. Actions are
//! told by their id, not by the node's platform: deleting an entry also cuts the edge
//! from a Kubernetes service account, whose node is on the `k8s` platform.

use super::*;

/// SVIDs outlive every SPIRE action but the authority's revocation.
const LIVE_SVIDS: &str = "SVIDs already issued stay valid until they expire (X.509-SVID default 1 h, JWT-SVID 5 min; the entry's TTL when it sets one): revoke the trust domain's authority (rotate-authority:spire:…) to end them sooner";

pub(super) fn playbook(action: &str, site: &Site<'_>) -> Option<Playbook> {
    let id = site.id;
    let spire = |verb: &[&str]| Cmd::new("spire-server").args(verb.iter().copied());
    if let Some(entry) = id.strip_prefix("delete-entry:spire:") {
        // An entry of a `-data` file has no ID yet (`SPIFFE_ID|PARENT_ID`).
        let entry = if entry.contains('|') {
            hole("<ENTRY_ID>")
        } else {
            entry.into()
        };
        return leaves(
            vec![spire(&["entry", "delete", "-entryID"]).arg(entry).into()],
            LIVE_SVIDS,
            true,
            "undo: create the entry again with the same fields (keep `spire-server entry show -entryID ID -output json` first); it gets a new ID",
        );
    }
    if let Some(key) = id.strip_prefix("delete-entries:spire:") {
        return leaves(
            vec![
                spire(&["entry", "show", "-spiffeID"])
                    .arg(key)
                    .note("then spire-server entry delete -entryID for each entry it lists")
                    .into(),
            ],
            LIVE_SVIDS,
            true,
            "undo: create the entries again with the same fields (keep `spire-server entry show -spiffeID ID -output json` first); they get new IDs",
        );
    }
    if let Some(agent) = id.strip_prefix("ban-agent:spire:") {
        return leaves(
            vec![spire(&["agent", "ban", "-spiffeID"]).arg(agent).into()],
            LIVE_SVIDS,
            true,
            "undo: spire-server agent evict -spiffeID deletes the banned record, and the agent can attest again",
        );
    }
    if id.starts_with("rotate-authority:spire:") && action == "rotate" {
        return kills(
            vec![comment(
                "rotate the trust domain's authorities: spire-server localauthority x509 prepare, activate -authorityID NEW, taint -authorityID OLD, revoke -authorityID OLD; then jwt likewise",
            )],
            false,
            "not reversible: a revoked authority leaves the bundle; every SVID it signed, a downstream server's CA included, stops verifying",
        );
    }
    None
}

/// Whether an action is SPIRE's, by its id.
pub(super) fn owns(id: &str) -> bool {
    [
        "delete-entry:",
        "delete-entries:",
        "ban-agent:",
        "rotate-authority:",
    ]
    .iter()
    .any(|p| {
        id.strip_prefix(p)
            .is_some_and(|rest| rest.starts_with("spire:"))
    })
}

#[cfg(test)]
mod tests {
    use super::super::playbook;
    use super::super::tests::cut;
    use super::*;
    use crate::model::{Edge, EdgeKind, Node, Provenance};

    #[test]
    fn actions_are_told_by_their_id_whatever_the_node() {
        let sa = Node::new(
            "k8s:prod:sa:payments/api",
            NodeKind::ServiceAccount,
            Provenance::default(),
        );
        let svid = Node::new(
            "spiffe://acme.example/ns/payments/sa/api",
            NodeKind::ServiceAccount,
            Provenance::default(),
        );
        let edge = Edge::new(EdgeKind::CanAssume, "test", Provenance::default());
        let target = || Target::Edge {
            from: sa.view(),
            to: svid.view(),
            edge: edge.view(),
        };
        let book = playbook(&cut("delete-entry:spire:e-1", "delete_identity"), target());
        assert_eq!(book.commands, ["spire-server entry delete -entryID e-1"]);
        assert!(!book.kills_live_tokens && book.reversible);
        let unnamed = "delete-entry:spire:spiffe://acme.example/x|spiffe://acme.example/p";
        let book = playbook(&cut(unnamed, "delete_identity"), target());
        assert_eq!(
            book.commands,
            ["spire-server entry delete -entryID <ENTRY_ID>"]
        );
        let agent = "spiffe://acme.example/spire/agent/join_token/t";
        let node = Node::new(agent, NodeKind::Workload, Provenance::default());
        let book = playbook(
            &cut(&format!("ban-agent:spire:{agent}"), "disable_workload"),
            Target::Node(node.view()),
        );
        assert_eq!(
            book.commands,
            [format!("spire-server agent ban -spiffeID {agent}")]
        );
        assert!(book.note.contains("evict"));
        let ca = Node::new(
            "spiffe://acme.example",
            NodeKind::Provider,
            Provenance::default(),
        );
        let book = playbook(
            &cut("rotate-authority:spire:acme.example", "rotate"),
            Target::Node(ca.view()),
        );
        assert!(book.kills_live_tokens && !book.reversible);
        assert!(!owns("delete-entry:vault:x"));
    }
}
