//! AWS IAM commands for the playbook catalogue.

use super::*;

const DENY_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;

const REVOKE_OLDER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{"DateLessThan":{"aws:TokenIssueTime":"%s"}}}]}"#;

const STS_LIVE: &str = "STS sessions minted with this key stay valid up to 12 h (36 h for GetSessionToken): revoke the sessions of the roles it assumed";

/// `user`, `role` or `group` and the IAM name (last path segment) of an IAM ARN.
fn iam(node: &Node) -> Option<(&'static str, &str)> {
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
            let name = shell(name);
            let mut commands = vec![format!(
                "aws iam put-{kind}-policy --{kind}-name {name} --policy-name DenyAll --policy-document {}",
                shell(DENY_ALL)
            )];
            if kind == "user" {
                commands.push(format!("aws iam list-access-keys --user-name {name}  # deactivate each key too, so removing the deny later does not revive them"));
            }
            kills(
                commands,
                true,
                format!(
                    "takes effect on existing sessions after propagation (a few minutes); undo: aws iam delete-{kind}-policy --{kind}-name {name} --policy-name DenyAll"
                ),
            )
        }
        "revoke_sessions" => {
            let (kind, name) = iam(site.node)?;
            let name = shell(name);
            // The cut-off is the moment the command runs, as the console's button does.
            kills(
                vec![format!(
                    r#"aws iam put-{kind}-policy --{kind}-name {name} --policy-name AWSRevokeOlderSessions --policy-document "$(printf '{REVOKE_OLDER}' "$(date -u +%Y-%m-%dT%H:%M:%SZ)")""#
                )],
                true,
                format!(
                    "denies every session issued before now, after propagation (a few minutes); it does not stop new sessions, so cut the trust too; not possible on service-linked roles; undo once the attacker's sessions have expired: aws iam delete-{kind}-policy --{kind}-name {name} --policy-name AWSRevokeOlderSessions"
                ),
            )
        }
        "deactivate_key" | "rotate"
            if action == "deactivate_key" || site.node.kind == NodeKind::Credential =>
        {
            let id = if key.starts_with("AKIA") {
                shell(key)
            } else {
                "<KEY_ID>".into()
            };
            let user = site
                .peer
                .and_then(iam)
                .map_or("<USER_NAME>".into(), |(_, n)| shell(n));
            let mut commands = Vec::new();
            if user.starts_with('<') {
                commands.push(format!("aws iam get-access-key-last-used --access-key-id {id}  # its UserName is <USER_NAME>"));
            }
            if id.starts_with('<') {
                commands.push(format!(
                    "aws iam list-access-keys --user-name {user}  # find <KEY_ID>"
                ));
            }
            if action == "rotate" {
                commands.push(format!("aws iam create-access-key --user-name {user}  # hand the new key to its consumers, then:"));
            }
            commands.push(format!("aws iam update-access-key --user-name {user} --access-key-id {id} --status Inactive"));
            commands.push(format!("aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={id}  # what it did"));
            leaves(
                commands,
                STS_LIVE,
                true,
                "undo: the same update-access-key with --status Active; watch CloudTrail for 30 min, delete the key (final) only once nothing breaks",
            )
        }
        "rotate" | "delete_secret" if key.contains(":secretsmanager:") => {
            let arn = shell(key);
            let command = if action == "rotate" {
                format!(
                    "aws secretsmanager put-secret-value --secret-id {arn} --secret-string file://<NEW_VALUE_FILE>  # the rotated credential; keep it off the command line"
                )
            } else {
                format!(
                    "aws secretsmanager delete-secret --secret-id {arn} --recovery-window-in-days 7"
                )
            };
            copy(
                vec![command],
                action == "delete_secret",
                "a deleted secret can be restored (restore-secret) within its recovery window; a rotated value cannot be un-rotated once the old credential is revoked",
            )
        }
        "detach_policy" => {
            let (kind, name) = iam(site.node)?;
            let policy = policy_of(site.id).unwrap_or("<POLICY_NAME>");
            let (n, p) = (shell(name), q(policy));
            let file = shell(&format!("{name}.{}.json", policy.trim_matches(['<', '>'])));
            kills(
                vec![
                    format!(
                        "aws iam list-attached-{kind}-policies --{kind}-name {n}  # a managed {policy}: its ARN is <POLICY_ARN>"
                    ),
                    format!(
                        "aws iam detach-{kind}-policy --{kind}-name {n} --policy-arn <POLICY_ARN>  # if managed"
                    ),
                    format!(
                        "aws iam get-{kind}-policy --{kind}-name {n} --policy-name {p} > {file}  # if inline: keep a copy"
                    ),
                    format!(
                        "aws iam delete-{kind}-policy --{kind}-name {n} --policy-name {p}  # if inline"
                    ),
                ],
                true,
                format!(
                    "existing sessions lose the permission after propagation (a few minutes); undo: attach-{kind}-policy, or put-{kind}-policy from the saved copy"
                ),
            )
        }
        "remove_membership" => {
            let (_, group) = iam(site.node)?;
            let user = site
                .peer
                .and_then(iam)
                .map_or("<USER_NAME>".into(), |(_, n)| shell(n));
            let who = site.peer.map_or("", |p| &p.key);
            kills(
                vec![format!(
                    "aws iam remove-user-from-group --group-name {} --user-name {user}  # the IAM user of {who}",
                    shell(group)
                )],
                true,
                format!(
                    "existing sessions lose the group's permissions after propagation (a few minutes); undo: aws iam add-user-to-group --group-name {} --user-name {user}",
                    shell(group)
                ),
            )
        }
        "remove_trust" => {
            let (_, role) = iam(site.node)?;
            let who = site.peer.map_or("<PRINCIPAL>", |p| &p.key);
            let file = shell(&format!("{role}.trust.json"));
            let r = shell(role);
            leaves(
                vec![
                    format!(
                        "aws iam get-role --role-name {r} --query Role.AssumeRolePolicyDocument --output json > {file}"
                    ),
                    format!(
                        "# edit {file}: remove {who} from the Principal of every Allow statement"
                    ),
                    format!(
                        "aws iam update-assume-role-policy --role-name {r} --policy-document file://{file}"
                    ),
                ],
                "sessions already issued stay valid until they expire (1 h by default, up to 12 h): revoke the role's sessions (AWSRevokeOlderSessions)",
                true,
                "undo: update-assume-role-policy with the document saved before the edit; a few minutes to propagate",
            )
        }
        "disable_provider" => {
            let kind = if key.contains(":saml-provider/") {
                "saml-provider"
            } else {
                "open-id-connect-provider"
            };
            leaves(
                vec![format!("aws iam delete-{kind} --{kind}-arn {}", shell(key))],
                "sessions already issued from its tokens stay valid until they expire (up to 12 h): revoke the sessions of the roles that trust it",
                false,
                "not reversible: only re-creating the provider (same URL, audiences, thumbprints) undoes it, and every role that trusts it fails to assume meanwhile",
            )
        }
        _ => None,
    }
}
