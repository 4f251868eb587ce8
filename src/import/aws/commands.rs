//! The AWS CLI commands both the importer (a node's own `revoke` entries) and the plan
//! catalogue print, built once as argument vectors.

use crate::shell::{Cmd, Piece, hole};

/// An inline policy that denies everything: what "disable" means for an IAM user or role.
pub(crate) const DENY_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;

/// The console's "Revoke active sessions" policy, as the argument the shell builds: the
/// cut-off is the moment the command runs (`date` fills it in), not when the plan was made.
const REVOKE_OLDER_ARG: &str = r#""$(printf '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{"DateLessThan":{"aws:TokenIssueTime":"%s"}}}]}' "$(date -u +%Y-%m-%dT%H:%M:%SZ)")""#;

/// `aws iam VERB-KIND-policy --KIND-name NAME` for a `user`, `role` or `group`.
pub(crate) fn policy_cmd(verb: &str, kind: &str, name: &str) -> Cmd {
    Cmd::new("aws")
        .args(["iam", &format!("{verb}-{kind}-policy")])
        .arg(format!("--{kind}-name"))
        .arg(name)
}

/// Puts the deny-everything inline policy on a user or role.
pub(crate) fn deny_all(kind: &str, name: &str) -> Cmd {
    policy_cmd("put", kind, name).args(["--policy-name", "DenyAll", "--policy-document", DENY_ALL])
}

/// Denies every session of a user or role issued before now.
pub(crate) fn revoke_older(kind: &str, name: &str) -> Cmd {
    policy_cmd("put", kind, name)
        .args([
            "--policy-name",
            "AWSRevokeOlderSessions",
            "--policy-document",
        ])
        .word([Piece::Own(REVOKE_OLDER_ARG)])
}

/// A key id, or the placeholder for it.
fn key_id(id: Option<&str>) -> Piece {
    id.map_or(hole("<KEY_ID>"), Piece::from)
}

/// Deactivates an access key (reversible, unlike deleting it).
pub(crate) fn deactivate_key(user: Option<&str>, id: Option<&str>) -> Cmd {
    Cmd::new("aws")
        .args(["iam", "update-access-key", "--user-name"])
        .arg(user.map_or(hole("<USER_NAME>"), Piece::from))
        .arg("--access-key-id")
        .arg(key_id(id))
        .args(["--status", "Inactive"])
}

/// What an access key did, from CloudTrail.
pub(crate) fn key_events(id: Option<&str>) -> Cmd {
    Cmd::new("aws")
        .args(["cloudtrail", "lookup-events", "--lookup-attributes"])
        .word([
            Piece::Own("AttributeKey=AccessKeyId,AttributeValue="),
            key_id(id),
        ])
        .note("what it did")
}

/// Lists a user's access keys.
pub(crate) fn list_keys(user: Option<&str>) -> Cmd {
    Cmd::new("aws")
        .args(["iam", "list-access-keys", "--user-name"])
        .arg(user.map_or(hole("<USER_NAME>"), Piece::from))
}

/// Deletes an OIDC or SAML provider.
pub(crate) fn delete_provider(saml: bool, arn: &str) -> Cmd {
    let kind = if saml {
        "saml-provider"
    } else {
        "open-id-connect-provider"
    };
    Cmd::new("aws").args([
        "iam",
        &format!("delete-{kind}"),
        &format!("--{kind}-arn"),
        arn,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_revoke_older_policy_is_built_by_the_shell_at_run_time() {
        let cmd = revoke_older("role", "deploy").render();
        assert!(cmd.starts_with("aws iam put-role-policy --role-name deploy --policy-name AWSRevokeOlderSessions --policy-document \"$(printf '"), "{cmd}");
        assert!(
            cmd.ends_with("\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\")\""),
            "{cmd}"
        );
    }
}
