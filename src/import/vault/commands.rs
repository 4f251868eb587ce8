//! `vault` commands for the importer's revoke entries, each built as an argument vector.

use crate::shell::{Cmd, Piece, hole};

fn vault<'a>(words: impl IntoIterator<Item = &'a str>) -> Cmd {
    Cmd::new("vault").args(words)
}

/// `KEY=VALUE` as one argument (`vault write`'s form), the value quoted as one word.
fn field(key: &'static str, value: impl Into<Piece>) -> [Piece; 2] {
    [Piece::Own(key), value.into()]
}

/// The API path of a role: `auth/MOUNT/role/NAME` (`roles` under the token mount).
pub(crate) fn role_path(mount: &str, name: &str) -> String {
    let dir = if mount == "token" { "roles" } else { "role" };
    format!("auth/{mount}/{dir}/{name}")
}

/// Revokes a token (and its children) by accessor.
pub(crate) fn revoke_accessor(accessor: &str) -> Cmd {
    vault(["token", "revoke", "-accessor"])
        .arg(accessor)
        .note("its child tokens go too; leases it created are revoked with it")
}

/// Destroys an AppRole secret-id by accessor: no new logins with it.
pub(crate) fn destroy_secret_id(mount: &str, role: &str, accessor: &str) -> Cmd {
    vault(["write"])
        .arg(format!(
            "auth/{mount}/role/{role}/secret-id-accessor/destroy"
        ))
        .word(field("secret_id_accessor=", accessor))
        .note(
            "tokens already issued from logins with it stay valid until they expire or are revoked",
        )
}

/// Sets one field of a role (`KEY=` names it): stops new logins with the old value only.
pub(crate) fn set_field(mount: &str, name: &str, key: &'static str, value: &str) -> Cmd {
    vault(["write"])
        .arg(role_path(mount, name))
        .word(field(key, value.to_string()))
        .note("stops new logins only: tokens issued before keep what they had until they expire or are revoked")
}

/// Sets one list field of a role to the values to keep, deleting the role when nothing
/// is left.
pub(crate) fn narrow_role(mount: &str, name: &str, key: &'static str, keep: &[&str]) -> Cmd {
    if keep.is_empty() {
        return delete_role(mount, name);
    }
    set_field(mount, name, key, &keep.join(","))
}

/// Revokes every token an auth mount issued.
pub(crate) fn revoke_mount(mount: &str) -> Cmd {
    vault(["token", "revoke", "-mode=path"]).arg(format!("auth/{mount}/"))
}

/// Deletes a role.
pub(crate) fn delete_role(mount: &str, name: &str) -> Cmd {
    vault(["delete"]).arg(role_path(mount, name)).note(format!(
        "stops new logins only; `{}` revokes every token the mount issued",
        revoke_mount(mount).render()
    ))
}

/// Rewrites a role's trust (bound claims or subject) with the responder's values.
pub(crate) fn rebind_role(mount: &str, name: &str) -> Cmd {
    vault(["write"])
        .arg(role_path(mount, name))
        .word([Piece::Own("bound_claims=@"), hole("<BOUND_CLAIMS_JSON>")])
        .note("a file with the claims the role should still accept (e.g. {\"sub\": \"repo:ORG/REPO:ref:refs/heads/main\"})")
}

/// Edits a policy: written back from a file without the rule.
pub(crate) fn edit_policy(name: &str, pattern: &str) -> Cmd {
    vault(["policy", "write"])
        .arg(name)
        .arg(hole("<POLICY_FILE>"))
        .note(format!(
            "the policy as `vault policy read` prints it, without or narrowing path \"{pattern}\"; applies at once to every token that holds it"
        ))
}

/// Deletes a policy: every token and role that names it loses its grants at once.
pub(crate) fn delete_policy(name: &str) -> Cmd {
    vault(["policy", "delete"]).arg(name).note(
        "every token and role that names it loses its grants at once, tokens already issued included; keep `vault policy read` of it to write it back",
    )
}
