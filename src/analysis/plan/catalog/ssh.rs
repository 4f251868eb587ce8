//! SSH for the playbook catalogue. The importer writes each action's commands; here is
//! what each leaves alive and how to undo it. Actions are told by their id (a key's
//! line lies on a login's host, a CA's trust on every login it signs for).

use super::*;

/// Sessions already open survive every SSH change short of killing them.
const OPEN_SESSIONS: &str = "SSH sessions already open stay open: end them on the host (pkill -KILL -u USER, or by their sshd PID) and look for keys or cron jobs they left";

/// Whether an action is the SSH importer's, by its id.
pub(super) fn owns(id: &str) -> bool {
    [
        "remove-key:ssh:",
        "krl:ssh:",
        "krl-cert:ssh:",
        "untrust-ca:ssh:",
        "rotate-ca:ssh:",
        "revoke-key:ssh:",
        "lock-login:ssh:",
        "delete-key-file:ssh:",
    ]
    .iter()
    .any(|p| id.starts_with(p))
}

pub(super) fn playbook(_action: &str, site: &Site<'_>) -> Option<Playbook> {
    let id = site.id;
    let by_importer = || vec![comment("the importer's commands follow")];
    let (reversible, note) = if id.starts_with("remove-key:") {
        (
            true,
            "undo: put the line back in authorized_keys (keep a copy first)",
        )
    } else if id.starts_with("krl") || id.starts_with("revoke-key:") {
        (
            false,
            "not reversible in practice: a key in the KRL stays refused; issue a new key",
        )
    } else if id.starts_with("untrust-ca:") {
        (
            true,
            "every certificate of that CA stops working on the host; undo: put the CA line back",
        )
    } else if id.starts_with("rotate-ca:") {
        (
            false,
            "not reversible: every certificate the old CA signed must be reissued under the new one",
        )
    } else if id.starts_with("lock-login:") {
        (true, "undo: usermod --expiredate '' USER")
    } else if id.starts_with("delete-key-file:") {
        return copy(
            by_importer(),
            false,
            "not reversible: the file is gone; the key it held works wherever it is trusted until it is removed there",
        );
    } else {
        return None;
    };
    leaves(by_importer(), OPEN_SESSIONS, reversible, note)
}
