//! Azure / Entra commands for the playbook catalogue.

use super::*;

const AZURE_LIVE: &str = "access tokens already issued stay valid until they expire (about 1 h); only CAE-capable Microsoft Graph clients are cut sooner";

fn azure_id(node: &Node) -> String {
    let tag = ["app_id", "object_id"]
        .iter()
        .find_map(|t| node.tags.get(*t));
    tag.map_or_else(|| shell(crate::model::name_of_key(&node.key)), |t| shell(t))
}

pub(super) fn playbook(action: &str, site: &Site<'_>) -> Option<Playbook> {
    let app = site
        .peer
        .filter(|p| p.kind.is_identity())
        .map_or_else(|| azure_id(site.node), azure_id);
    match action {
        "deactivate_key" | "rotate" | "revoke_token" if site.node.kind == NodeKind::Credential => {
            let app = site.node.tags.get("app_id").map_or(app, |a| shell(a));
            let key_id = shell(crate::model::name_of_key(site.key()));
            let mut commands = vec![format!(
                "az ad app credential delete --id {app} --key-id {key_id}"
            )];
            if action == "rotate" {
                commands.insert(0, format!("az ad app credential reset --id {app} --append  # new secret for the consumers, then:"));
            }
            leaves(
                commands,
                AZURE_LIVE,
                false,
                "not reversible: a deleted secret or certificate cannot be restored; add a new credential",
            )
        }
        "disable_identity" => leaves(
            vec![format!(
                "az ad sp update --id {} --set accountEnabled=false",
                azure_id(site.node)
            )],
            AZURE_LIVE,
            true,
            "undo: the same command with accountEnabled=true",
        ),
        "revoke_sessions" if site.node.kind == NodeKind::Human => leaves(
            vec![format!(
                "az rest --method POST --uri https://graph.microsoft.com/v1.0/users/{}/revokeSignInSessions",
                azure_id(site.node)
            )],
            format!("{AZURE_LIVE}; this revokes refresh tokens only, after a few minutes"),
            false,
            "not reversible: the user signs in again",
        ),
        "remove_binding" => {
            let assignee = site.peer.map_or("<ASSIGNEE>".into(), azure_id);
            let scope = site
                .key()
                .strip_prefix("azure:")
                .filter(|s| s.starts_with("/subscriptions/"))
                .map_or("<SCOPE>".into(), shell);
            kills(
                vec![format!(
                    "az role assignment delete --assignee {assignee} --role <ROLE> --scope {scope}  # az role assignment list --assignee {assignee} --all shows <ROLE> and <SCOPE>"
                )],
                true,
                "effective after ARM caching (up to 30 min); undo: az role assignment create with the same assignee, role and scope",
            )
        }
        "remove_trust" | "disable_provider" => leaves(
            vec![format!(
                "az ad app federated-credential delete --id {} --federated-credential-id <FIC_ID>  # az ad app federated-credential list --id {0}",
                azure_id(site.node)
            )],
            AZURE_LIVE,
            false,
            "not reversible: re-create the federated credential (same issuer, subject, audience) to undo",
        ),
        _ => None,
    }
}
