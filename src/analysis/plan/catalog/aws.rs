//! AWS IAM commands for the playbook catalogue.

use super::*;
use crate::import::aws_commands::{
    deactivate_key, delete_provider, deny_all, key_events, list_keys, policy_cmd, revoke_older,
};

const STS_LIVE: &str = "STS sessions minted with this key stay valid up to 12 h (36 h for GetSessionToken): revoke the sessions of the roles it assumed";

/// `user`, `role` or `group` and the IAM name (last path segment) of an IAM ARN.
fn iam<'n>(node: NodeRef<'n>) -> Option<(&'static str, &'n str)> {
    let resource = node.key.strip_prefix("arn:aws:iam::")?.split_once(':')?.1;
    let (kind, path) = resource.split_once('/')?;
    let kind = ["user", "role", "group"].into_iter().find(|k| *k == kind)?;
    Some((kind, path.rsplit('/').next().unwrap_or(path)))
}

pub(super) fn playbook(action: &str, site: &Site<'_>) -> Option<Playbook> {
    let key = site.key();
    match action {
        "disable_identity" => {
            let (kind, name) = iam(site.node)?;
            let mut commands = vec![deny_all(kind, name).into()];
            if kind == "user" {
                commands.push(
                    list_keys(Some(name))
                        .note("deactivate each key too, so removing the deny later does not revive them")
                        .into(),
                );
            }
            kills(
                commands,
                true,
                format!(
                    "takes effect on existing sessions after propagation (a few minutes); undo: {}",
                    policy_cmd("delete", kind, name).args(["--policy-name", "DenyAll"])
                ),
            )
        }
        "revoke_sessions" => {
            let (kind, name) = iam(site.node)?;
            // The cut-off is the moment the command runs, as the console's button does.
            kills(
                vec![revoke_older(kind, name).into()],
                true,
                format!(
                    "denies every session issued before now, after propagation (a few minutes); it does not stop new sessions, so cut the trust too; not possible on service-linked roles; undo once the attacker's sessions have expired: {}",
                    policy_cmd("delete", kind, name)
                        .args(["--policy-name", "AWSRevokeOlderSessions"])
                ),
            )
        }
        "deactivate_key" | "rotate"
            if action == "deactivate_key" || site.node.kind == NodeKind::Credential =>
        {
            let id = key.starts_with("AKIA").then_some(key);
            let user = site.peer.and_then(iam).map(|(_, n)| n);
            let id_p = || id.map_or(hole("<KEY_ID>"), Piece::from);
            let user_p = || user.map_or(hole("<USER_NAME>"), Piece::from);
            let iam_cmd = |verb| Cmd::new("aws").args(["iam", verb]);
            let mut commands = Vec::new();
            if user.is_none() {
                commands.push(
                    iam_cmd("get-access-key-last-used")
                        .arg("--access-key-id")
                        .arg(id_p())
                        .note("its UserName is <USER_NAME>")
                        .into(),
                );
            }
            if id.is_none() {
                commands.push(list_keys(user).note("find <KEY_ID>").into());
            }
            if action == "rotate" {
                commands.push(
                    iam_cmd("create-access-key")
                        .arg("--user-name")
                        .arg(user_p())
                        .note("hand the new key to its consumers, then:")
                        .into(),
                );
            }
            commands.push(deactivate_key(user, id).into());
            commands.push(key_events(id).into());
            leaves(
                commands,
                STS_LIVE,
                true,
                "undo: the same update-access-key with --status Active; watch CloudTrail for 30 min, delete the key (final) only once nothing breaks",
            )
        }
        "rotate" | "delete_secret" if key.contains(":secretsmanager:") => {
            let sm = |verb| Cmd::new("aws").args(["secretsmanager", verb, "--secret-id", key]);
            let command = if action == "rotate" {
                sm("put-secret-value")
                    .arg("--secret-string")
                    .word([Piece::Own("file://"), hole("<NEW_VALUE_FILE>")])
                    .note("the rotated credential; keep it off the command line")
            } else {
                sm("delete-secret").args(["--recovery-window-in-days", "7"])
            };
            copy(
                vec![command.into()],
                action == "delete_secret",
                "a deleted secret can be restored (restore-secret) within its recovery window; a rotated value cannot be un-rotated once the old credential is revoked",
            )
        }
        "detach_policy" => {
            let (kind, name) = iam(site.node)?;
            let policy = policy_of(site.id);
            let policy_p = || policy.map_or(hole("<POLICY_NAME>"), Piece::from);
            let file = format!("{name}.{}.json", policy.unwrap_or("POLICY_NAME"));
            let arn = || [hole("<POLICY_ARN>")];
            kills(
                vec![
                    Cmd::new("aws")
                        .args(["iam", &format!("list-attached-{kind}-policies")])
                        .arg(format!("--{kind}-name"))
                        .arg(name)
                        .note(format!(
                            "a managed {}: its ARN is <POLICY_ARN>",
                            policy.unwrap_or("<POLICY_NAME>")
                        ))
                        .into(),
                    Cmd::new("aws")
                        .args(["iam", &format!("detach-{kind}-policy")])
                        .arg(format!("--{kind}-name"))
                        .arg(name)
                        .arg("--policy-arn")
                        .word(arn())
                        .note("if managed")
                        .into(),
                    policy_cmd("get", kind, name)
                        .arg("--policy-name")
                        .arg(policy_p())
                        .to_file(file)
                        .note("if inline: keep a copy")
                        .into(),
                    policy_cmd("delete", kind, name)
                        .arg("--policy-name")
                        .arg(policy_p())
                        .note("if inline")
                        .into(),
                ],
                true,
                format!(
                    "existing sessions lose the permission after propagation (a few minutes); undo: attach-{kind}-policy, or put-{kind}-policy from the saved copy"
                ),
            )
        }
        "remove_membership" => {
            let (_, group) = iam(site.node)?;
            let user = site.peer.and_then(iam).map(|(_, n)| n);
            let who = site.peer.map_or("", |p| p.key);
            let membership = |verb| {
                Cmd::new("aws")
                    .args(["iam", verb, "--group-name", group, "--user-name"])
                    .arg(user.map_or(hole("<USER_NAME>"), Piece::from))
            };
            kills(
                vec![
                    membership("remove-user-from-group")
                        .note(format!("the IAM user of {who}"))
                        .into(),
                ],
                true,
                format!(
                    "existing sessions lose the group's permissions after propagation (a few minutes); undo: {}",
                    membership("add-user-to-group")
                ),
            )
        }
        "remove_trust" => {
            let (_, role) = iam(site.node)?;
            let who = site.peer.map_or("<PRINCIPAL>", |p| p.key);
            let file = format!("{role}.trust.json");
            leaves(
                vec![
                    Cmd::new("aws")
                        .args(["iam", "get-role", "--role-name", role])
                        .args([
                            "--query",
                            "Role.AssumeRolePolicyDocument",
                            "--output",
                            "json",
                        ])
                        .to_file(&file)
                        .into(),
                    comment(&format!(
                        "edit {}: remove {who} from the Principal of every Allow statement",
                        quote(&file)
                    )),
                    Cmd::new("aws")
                        .args(["iam", "update-assume-role-policy", "--role-name", role])
                        .arg("--policy-document")
                        .arg(format!("file://{file}"))
                        .into(),
                ],
                "sessions already issued stay valid until they expire (1 h by default, up to 12 h): revoke the role's sessions (AWSRevokeOlderSessions)",
                true,
                "undo: update-assume-role-policy with the document saved before the edit; a few minutes to propagate",
            )
        }
        "disable_provider" => leaves(
            vec![delete_provider(key.contains(":saml-provider/"), key).into()],
            "sessions already issued from its tokens stay valid until they expire (up to 12 h): revoke the sessions of the roles that trust it",
            false,
            "not reversible: only re-creating the provider (same URL, audiences, thumbprints) undoes it, and every role that trusts it fails to assume meanwhile",
        ),
        _ => None,
    }
}
