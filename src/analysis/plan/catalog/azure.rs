//! Azure / Entra commands for the playbook catalogue.

use super::*;
use crate::import::azure::commands::{az, disable_sp};

const AZURE_LIVE: &str = "access tokens already issued stay valid until they expire (about 1 h); only CAE-capable Microsoft Graph clients are cut sooner";

/// The id `az` takes for a node: its app id, object id, or the last part of its key.
fn azure_id<'n>(node: NodeRef<'n>) -> &'n str {
    ["app_id", "object_id"]
        .iter()
        .find_map(|t| node.tags.get(t))
        .unwrap_or_else(|| crate::model::name_of_key(node.key))
}

pub(super) fn playbook(action: &str, site: &Site<'_>) -> Option<Playbook> {
    let app = site
        .peer
        .filter(|p| p.kind.is_identity())
        .map_or_else(|| azure_id(site.node), azure_id);
    match action {
        "deactivate_key" | "rotate" | "revoke_token" if site.node.kind == NodeKind::Credential => {
            let app = site.node.tags.get("app_id").unwrap_or(app);
            let key_id = crate::model::name_of_key(site.key());
            let mut commands = vec![
                az([
                    "ad",
                    "app",
                    "credential",
                    "delete",
                    "--id",
                    app,
                    "--key-id",
                    key_id,
                ])
                .into(),
            ];
            if action == "rotate" {
                commands.insert(
                    0,
                    az(["ad", "app", "credential", "reset", "--id", app, "--append"])
                        .note("new secret for the consumers, then:")
                        .into(),
                );
            }
            leaves(
                commands,
                AZURE_LIVE,
                false,
                "not reversible: a deleted secret or certificate cannot be restored; add a new credential",
            )
        }
        "disable_identity" => leaves(
            vec![disable_sp(azure_id(site.node)).into()],
            AZURE_LIVE,
            true,
            "undo: the same command with accountEnabled=true",
        ),
        "revoke_sessions" if site.node.kind == NodeKind::Human => leaves(
            vec![
                az(["rest", "--method", "POST", "--uri"])
                    .arg(format!(
                        "https://graph.microsoft.com/v1.0/users/{}/revokeSignInSessions",
                        azure_id(site.node)
                    ))
                    .into(),
            ],
            format!("{AZURE_LIVE}; this revokes refresh tokens only, after a few minutes"),
            false,
            "not reversible: the user signs in again",
        ),
        "remove_binding" => {
            let assignee = site.peer.map(azure_id);
            let assignee_p = || assignee.map_or(hole("<ASSIGNEE>"), Piece::from);
            let scope = site
                .key()
                .strip_prefix("azure:")
                .filter(|s| s.starts_with("/subscriptions/"))
                .map_or(hole("<SCOPE>"), Piece::from);
            kills(
                vec![
                    az(["role", "assignment", "delete", "--assignee"])
                        .arg(assignee_p())
                        .arg("--role")
                        .word([hole("<ROLE>")])
                        .arg("--scope")
                        .arg(scope)
                        .note(format!(
                            "{} shows <ROLE> and <SCOPE>",
                            az(["role", "assignment", "list", "--assignee"])
                                .arg(assignee_p())
                                .arg("--all")
                        ))
                        .into(),
                ],
                true,
                "effective after ARM caching (up to 30 min); undo: az role assignment create with the same assignee, role and scope",
            )
        }
        "remove_membership" => leaves(
            vec![
                az([
                    "ad",
                    "app",
                    "owner",
                    "remove",
                    "--id",
                    app,
                    "--owner-object-id",
                ])
                .word([hole("<OWNER_OBJECT_ID>")])
                .note(az(["ad", "app", "owner", "list", "--id", app]).render())
                .into(),
            ],
            format!(
                "credentials the owner already added stay valid: list them ({}) and delete the ones it added; {AZURE_LIVE}",
                az(["ad", "app", "credential", "list", "--id", app])
            ),
            true,
            "undo: az ad app owner add --id <APP> --owner-object-id <OWNER_OBJECT_ID>",
        ),
        "remove_trust" | "disable_provider" => {
            let id = azure_id(site.node);
            leaves(
                vec![
                    az(["ad", "app", "federated-credential", "delete", "--id", id])
                        .arg("--federated-credential-id")
                        .word([hole("<FIC_ID>")])
                        .note(
                            az(["ad", "app", "federated-credential", "list", "--id", id]).render(),
                        )
                        .into(),
                ],
                AZURE_LIVE,
                false,
                "not reversible: re-create the federated credential (same issuer, subject, audience) to undo",
            )
        }
        _ => None,
    }
}
