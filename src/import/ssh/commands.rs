//! The revoke entries the SSH importer writes, with the commands a responder runs on
//! each host (as root there: sshd re-reads authorized_keys, principals files,
//! `TrustedUserCAKeys` and `RevokedKeys` at every login, so none needs a reload).
//! Key lines are matched on the key's base64 blob, never on the comment (which anyone
//! who can write the file chooses); the blob is re-encoded from the parsed key, so it
//! holds only `A–Z a–z 0–9 + / =`, none of which a `\|…|` sed address reads specially.

use super::{Cert, Key};
use crate::import::revoke;
use crate::model::Revoke;
use crate::shell::{Cmd, comment};

/// Where the KRL goes when `sshd_config` names none.
pub(super) const DEFAULT_KRL: &str = "/etc/ssh/revoked_keys";

/// An account's home as the export does not say it: `/root`, else `/home/USER`.
pub(super) fn home(user: &str) -> String {
    if user == "root" {
        "/root".into()
    } else {
        format!("/home/{user}")
    }
}

/// `sed -i` deleting every line of `path` that holds `key`'s blob.
fn sed_delete(host: &str, path: &str, key: &Key, what: &str) -> Cmd {
    Cmd::new("sed")
        .arg("-i")
        .arg(format!("\\|{}|d", key.blob))
        .arg("--")
        .arg(path)
        .note(format!(
            "on {host}: deletes the line of {what} {} (matched on its key, whatever its options or comment)",
            key.fp
        ))
}

/// Removing one authorized_keys line (a key, or a `cert-authority` CA) from one file.
pub(super) fn remove_line(host: &str, path: &str, key: &Key, ca: bool) -> Revoke {
    let what = if ca { "the CA" } else { "the key" };
    revoke(
        format!("remove-key:ssh:{host}:{path}:{}", key.fp),
        "remove_trust",
        1,
        vec![sed_delete(host, path, key, what).into()],
    )
}

/// Adding a public key or certificate line to the host's KRL: written to a file, then
/// `ssh-keygen -k`. With no `RevokedKeys` in `sshd_config` the KRL is created and sshd
/// must be told about it; `-u` needs an existing KRL (ssh-keygen stops on a missing one).
fn krl_commands(host: &str, krl: Option<&str>, line: &str, file: &'static str) -> Vec<String> {
    let write = Cmd::new("printf").arg("%s\\n").arg(line).to_file(file);
    let mut out = vec![write.into()];
    match krl {
        Some(path) => out.push(
            Cmd::new("ssh-keygen")
                .args(["-k", "-u", "-f"])
                .arg(path)
                .arg(file)
                .note(format!(
                    "on {host}: adds it to the KRL sshd_config names in RevokedKeys"
                ))
                .into(),
        ),
        None => {
            out.push(
                Cmd::new("ssh-keygen")
                    .args(["-k", "-f", DEFAULT_KRL])
                    .arg(file)
                    .note(format!(
                        "on {host}: creates the KRL (add -u after -k if it already exists, or it is replaced)"
                    ))
                    .into(),
            );
            out.push(comment(&format!(
                "then add `RevokedKeys {DEFAULT_KRL}` to {host}'s sshd_config and reload sshd (it names no RevokedKeys)"
            )));
        }
    }
    out
}

/// Revoking a key on one host through its KRL: every login with it (its authorized_keys
/// lines and its certificates) is refused there.
pub(super) fn krl_key(host: &str, krl: Option<&str>, key: &Key) -> Revoke {
    revoke(
        format!("krl:ssh:{host}:{}", key.fp),
        "deactivate_key",
        2,
        krl_commands(host, krl, &key.line(), "revoked-key.pub"),
    )
}

/// Revoking one certificate on one host through its KRL (the key itself stays usable
/// wherever it is authorized as a plain key).
pub(super) fn krl_cert(host: &str, krl: Option<&str>, cert: &Cert) -> Revoke {
    revoke(
        format!("krl-cert:ssh:{host}:{}:{}", cert.ca.fp, cert.serial),
        "revoke_token",
        1,
        krl_commands(host, krl, &cert.line, "revoked-cert.pub"),
    )
}

/// Removing a CA from a host's `TrustedUserCAKeys` file.
pub(super) fn untrust_ca(host: &str, path: &str, ca: &Key) -> Revoke {
    revoke(
        format!("untrust-ca:ssh:{host}:{}", ca.fp),
        "remove_trust",
        3,
        vec![sed_delete(host, path, ca, "the user CA").into()],
    )
}

/// Where a CA is trusted: a host's `TrustedUserCAKeys` file or an account's
/// authorized_keys (`cert-authority`).
pub(super) struct Trusted {
    pub(super) host: String,
    pub(super) path: String,
}

/// Rotating a CA: a new key, trusted where the old one was, the old one removed, and
/// every certificate the old one signed issued again (they stop working with it).
pub(super) fn rotate_ca(ca: &Key, trusted: &[Trusted], certs: &[&Cert]) -> Revoke {
    let mut out: Vec<String> = vec![
        Cmd::new("ssh-keygen")
            .args(["-t", "ed25519", "-f", "user_ca_new", "-C"])
            .arg(format!("user CA replacing {}", ca.fp))
            .note("on the CA's machine (or in its KMS/HSM): the new CA key")
            .into(),
    ];
    for t in trusted {
        out.push(comment(&format!(
            "on {}: add the line of user_ca_new.pub to {} (with the same options there), then",
            t.host, t.path
        )));
        out.push(sed_delete(&t.host, &t.path, ca, "the old CA").into());
    }
    let mut reissue: Vec<String> = certs
        .iter()
        .map(|c| {
            format!(
                "{} (serial {}, principals {})",
                c.key_id,
                c.serial,
                if c.principals.is_empty() {
                    "any".to_string()
                } else {
                    c.principals.join(",")
                }
            )
        })
        .collect();
    reissue.sort();
    reissue.dedup();
    let known = if reissue.is_empty() {
        "none in the inputs".to_string()
    } else {
        reissue.join("; ")
    };
    out.push(comment(&format!(
        "every certificate the old CA signed stops working and must be issued again with user_ca_new (ssh-keygen -s user_ca_new -I ID -n PRINCIPALS -V VALIDITY KEY.pub): {known}; and any the inputs do not show"
    )));
    revoke(format!("rotate-ca:ssh:{}", ca.fp), "rotate", 8, out)
}

/// Revoking a key everywhere it is known: its authorized_keys lines removed and the key
/// added to each host's KRL (which also refuses its certificates).
pub(super) fn revoke_key(
    key: &Key,
    lines: &[Trusted],
    hosts: &[(String, Option<String>)],
) -> Revoke {
    let mut out: Vec<String> = Vec::new();
    for t in lines {
        out.push(sed_delete(&t.host, &t.path, key, "the key").into());
    }
    for (host, krl) in hosts {
        out.extend(krl_commands(
            host,
            krl.as_deref(),
            &key.line(),
            "revoked-key.pub",
        ));
    }
    if out.is_empty() {
        out.push(comment(&format!(
            "no host in the inputs accepts {}: add it to the KRL of every host that might",
            key.fp
        )));
    }
    revoke(
        format!("revoke-key:ssh:{}", key.fp),
        "deactivate_key",
        3,
        out,
    )
}

/// Expiring an account: sshd refuses an expired account whatever key or certificate it
/// is offered (a password lock alone does not stop key logins).
pub(super) fn lock_login(host: &str, user: &str) -> Revoke {
    revoke(
        format!("lock-login:ssh:{host}/{user}"),
        "disable_identity",
        5,
        vec![
            Cmd::new("usermod")
                .args(["--expiredate", "1", "--"])
                .arg(user)
                .note(format!(
                    "on {host}: no login as it any more; `usermod --expiredate '' USER` restores it"
                ))
                .into(),
        ],
    )
}

/// Deleting a private key file from an account's home: whoever logs in later finds
/// nothing, but a copy already taken still works until the key is revoked.
pub(super) fn delete_key_file(host: &str, path: &str, key: Option<&Key>) -> Revoke {
    let fp = key.map_or("unknown fingerprint", |k| k.fp.as_str());
    revoke(
        format!("delete-key-file:ssh:{host}:{path}"),
        "delete_secret",
        1,
        vec![
            Cmd::new("rm")
                .args(["-f", "--"])
                .arg(path)
                .note(format!(
                    "on {host}: copies already taken still work: revoke the key ({fp}) where it is accepted"
                ))
                .into(),
        ],
    )
}
