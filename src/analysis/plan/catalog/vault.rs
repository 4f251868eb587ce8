//! Vault commands for the playbook catalogue.

use super::*;

/// The API path and policy field of a `vault:role:MOUNT/NAME` key.
fn vault_role(node: &Node) -> Option<(String, &'static str)> {
    let (mount, name) = rest(&node.key, "vault", "role")?.rsplit_once('/')?;
    Some(if mount == "token" {
        (format!("auth/token/roles/{name}"), "allowed_policies")
    } else {
        (format!("auth/{mount}/role/{name}"), "token_policies")
    })
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
            vec![format!(
                "vault token revoke -accessor {}  # and its child tokens",
                shell(rest(key, "vault", "token")?)
            )],
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
                commands.push(format!("vault write -f auth/{}/secret-id  # hand the new secret-id to its consumer, then:", shell(&format!("{mount}/role/{role}"))));
            }
            commands.push(format!(
                "vault write {} secret_id_accessor={}",
                shell(&format!(
                    "auth/{mount}/role/{role}/secret-id-accessor/destroy"
                )),
                shell(accessor)
            ));
            leaves(
                commands,
                format!(
                    "tokens from earlier logins with it stay valid until their TTL: revoke them (vault token revoke -accessor per token, or vault token revoke -mode=path auth/{mount}/ for every token of that mount)"
                ),
                false,
                "not reversible: a destroyed secret-id cannot be restored; generate a new one",
            )
        }
        "revoke_sessions" => {
            let mount = rest(key, "vault", "role")?.rsplit_once('/')?.0;
            kills(
                vec![format!(
                    "vault token revoke -mode=path {}  # every token from this auth mount, not only this role",
                    shell(&format!("auth/{mount}/"))
                )],
                false,
                "not reversible: clients must log in again",
            )
        }
        "detach_policy" | "remove_binding" | "disable_identity" => {
            let (path, field) = vault_role(site.node)?;
            let path_q = shell(&path);
            let save =
                format!("vault read -format=json {path_q} > role.json  # keep a copy to restore");
            let mount = path.split('/').nth(1).unwrap_or("<MOUNT>");
            let live = format!(
                "tokens already issued through this role keep their policies until they expire{ttl}: revoke them (vault token revoke -mode=path auth/{mount}/), or edit the policy itself (vault policy write), which applies to every token at once"
            );
            let change = match action {
                "detach_policy" => format!(
                    "vault write {path_q} {field}=<POLICIES>  # the current list without {}",
                    policy_of(site.id).unwrap_or("<POLICY>")
                ),
                "disable_identity" => format!("vault delete {path_q}  # stops new logins only"),
                _ => match site.peer.filter(|p| &*p.platform == "k8s") {
                    Some(p) => format!(
                        "vault write {path_q} bound_service_account_names=<NAMES> bound_service_account_namespaces=<NAMESPACES>  # the current lists without {}",
                        p.key
                    ),
                    None => format!(
                        "vault write {path_q} <BOUND_FIELD>=<VALUES>  # the role's binding (bound_claims, bound_subjects…) without {}",
                        site.peer.map_or("<MEMBER>", |p| &p.key)
                    ),
                },
            };
            leaves(
                vec![save, change],
                live,
                true,
                "undo: vault write the saved role.json back",
            )
        }
        "delete_secret" | "rotate" => {
            let (mount, path) = rest(key, "vault", "secret")?.split_once('/')?;
            let (m, p) = (shell(mount), shell(path));
            let command = if action == "rotate" {
                format!(
                    "vault kv put -mount={m} {p} <FIELD>=@<NEW_VALUE_FILE>  # the rotated credential; keep it off the command line"
                )
            } else {
                format!("vault kv delete -mount={m} {p}")
            };
            copy(
                vec![command],
                action == "delete_secret",
                "undo (KV v2): vault kv undelete -versions=<N>; a rotated value stays rotated",
            )
        }
        _ => None,
    }
}
