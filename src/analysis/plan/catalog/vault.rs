//! Vault commands for the playbook catalogue.

use super::*;
use crate::import::vault_commands::{self, revoke_mount};

/// The mount, name, API path and policy field of a `vault:role:MOUNT/NAME` key (a mount
/// may hold slashes).
fn vault_role<'n>(node: NodeRef<'n>) -> Option<(&'n str, &'n str, String, &'static str)> {
    let (mount, name) = rest(node.key, "vault", "role")?.rsplit_once('/')?;
    let field = if mount == "token" {
        "allowed_policies"
    } else {
        "token_policies"
    };
    Some((mount, name, vault_commands::role_path(mount, name), field))
}

/// `vault WORDS…`
fn vault<'a>(words: impl IntoIterator<Item = &'a str>) -> Cmd {
    Cmd::new("vault").args(words)
}

pub(super) fn playbook(action: &str, site: &Site<'_>) -> Option<Playbook> {
    let key = site.key();
    let ttl = site
        .node
        .tags
        .get("token_ttl")
        .map_or(String::new(), |t| format!(" (token_ttl {t})"));
    match action {
        "revoke_token" if rest(key, "vault", "token").is_some() => kills(
            vec![
                vault(["token", "revoke", "-accessor", rest(key, "vault", "token")?])
                    .note("and its child tokens")
                    .into(),
            ],
            false,
            "not reversible: a revoked token cannot be restored; issue a new one",
        ),
        "revoke_token" | "deactivate_key" | "rotate"
            if rest(key, "vault", "secret-id").is_some() =>
        {
            let (role, accessor) = rest(key, "vault", "secret-id")?.rsplit_once('/')?;
            let (mount, role) = role.rsplit_once('/')?;
            let mut commands = Vec::new();
            if action == "rotate" {
                commands.push(
                    vault(["write", "-f"])
                        .arg(format!("auth/{mount}/role/{role}/secret-id"))
                        .note("hand the new secret-id to its consumer, then:")
                        .into(),
                );
            }
            commands.push(vault_commands::destroy_secret_id(mount, role, accessor).into());
            leaves(
                commands,
                format!(
                    "tokens from earlier logins with it stay valid until their TTL: revoke them (vault token revoke -accessor per token, or {} for every token of that mount)",
                    revoke_mount(mount)
                ),
                false,
                "not reversible: a destroyed secret-id cannot be restored; generate a new one",
            )
        }
        "revoke_sessions" => {
            let mount = rest(key, "vault", "role")?.rsplit_once('/')?.0;
            kills(
                vec![
                    revoke_mount(mount)
                        .note("every token from this auth mount, not only this role")
                        .into(),
                ],
                false,
                "not reversible: clients must log in again",
            )
        }
        "detach_policy" | "remove_binding" | "disable_identity" => {
            let (mount, _, path, field) = vault_role(site.node)?;
            let save = vault(["read", "-format=json", &path])
                .to_file("role.json")
                .note("keep a copy to restore");
            let live = format!(
                "tokens already issued through this role keep their policies until they expire{ttl}: revoke them ({}), or edit the policy itself (vault policy write), which applies to every token at once",
                revoke_mount(mount)
            );
            let write = || vault(["write", &path]);
            let change = match action {
                "detach_policy" => write()
                    .word([Piece::Own(field), Piece::Own("=<POLICIES>")])
                    .note(format!(
                        "the current list without {}",
                        policy_of(site.id).unwrap_or("<POLICY>")
                    )),
                "disable_identity" => vault(["delete", &path]).note("stops new logins only"),
                _ => match site.peer.filter(|p| p.platform == "k8s") {
                    Some(p) => write()
                        .word([Piece::Own("bound_service_account_names=<NAMES>")])
                        .word([Piece::Own("bound_service_account_namespaces=<NAMESPACES>")])
                        .note(format!("the current lists without {}", p.key)),
                    None => write()
                        .word([Piece::Own("<BOUND_FIELD>=<VALUES>")])
                        .note(format!(
                            "the role's binding (bound_claims, bound_subjects…) without {}",
                            site.peer.map_or("<MEMBER>", |p| p.key)
                        )),
                },
            };
            leaves(
                vec![save.into(), change.into()],
                live,
                true,
                "undo: vault write the saved role.json back",
            )
        }
        "edit_policy" => {
            // The policy's rule, not the holder: `edit-policy:vault:policy:NAME:PATTERN`.
            let rest = site.id.strip_prefix("edit-policy:vault:policy:")?;
            let name = rest.split_once(':').map_or(rest, |(n, _)| n);
            let save = vault(["policy", "read"])
                .arg(name)
                .to_file("policy.hcl")
                .note("keep a copy to restore");
            let write = vault(["policy", "write"])
                .arg(name)
                .arg(hole("<POLICY_FILE>"))
                .note("the copy without the rule");
            kills(
                vec![save.into(), write.into()],
                true,
                "applies at once to every token holding the policy, those already issued included; undo: vault policy write the saved copy",
            )
        }
        "delete_secret" | "rotate" => {
            let api = rest(key, "vault", "secret")?;
            // Dynamic secrets (`aws/creds/deploy`): revoking the leases deletes what the
            // backend issued; the next read issues new ones.
            if api.contains("/creds/") {
                return kills(
                    vec![
                        vault(["lease", "revoke", "-prefix"])
                            .arg(api.trim_end_matches('*'))
                            .into(),
                    ],
                    false,
                    "not reversible: the backend deletes the credentials it issued",
                );
            }
            // The importer says where the KV mount ends (`scope`) and how the CLI names
            // the secret (`cli_path`, without KV v2's `data/`).
            let (mount, path) = match (&site.node.scope, site.node.tags.get("cli_path")) {
                (Some(mount), Some(cli)) => (
                    &**mount,
                    cli.strip_prefix(&**mount)?.trim_start_matches('/'),
                ),
                _ => api.split_once('/')?,
            };
            let kv = |verb| vault(["kv", verb]).eq("-mount", mount).arg(path);
            let command = if action == "rotate" {
                kv("put")
                    .word([Piece::Own("<FIELD>=@<NEW_VALUE_FILE>")])
                    .note("the rotated credential; keep it off the command line")
            } else {
                kv("delete")
            };
            copy(
                vec![command.into()],
                action == "delete_secret",
                "undo (KV v2): vault kv undelete -versions=<N>; a rotated value stays rotated",
            )
        }
        _ => None,
    }
}
