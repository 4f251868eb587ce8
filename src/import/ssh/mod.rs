//! SSH: a tree `ssh/HOST/…` holding, for each host, what lies on its disk: `sshd_config`,
//! each account's `authorized_keys`, private keys and certificates found in its home
//! (`ssh/HOST/USER/…`, `~/.ssh` flattened into it), and the files `sshd_config` names by
//! their absolute path (`/etc/ssh/user_ca.pub` → `ssh/HOST/etc/ssh/user_ca.pub`).
//!
//! Files are read as they come but understood only once all are read: what a principals
//! file or a `.pub` means depends on the `sshd_config` naming it, which may come later.
//! Private keys are the exception: each is parsed at once and only its fingerprint and
//! metadata kept (algorithm, comment, encrypted or not). **No private key material
//! outlives [`read`]**: not in the inventory, the graph, a message or a saved file.

mod build;
mod commands;
mod hosts;
mod parse;

use ssh_key::{Certificate, HashAlg, PrivateKey, PublicKey};

use super::{Builder, ImportError, Warning};
use crate::model::TrustGraph;

/// Every file of every SSH tree, in the order read.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    files: Vec<File>,
}

/// One file: where it lies (host, and path below the host) and what it holds.
#[derive(Debug)]
struct File {
    /// The input's name, for provenance and messages.
    name: String,
    /// `None` for a private key found outside an `ssh/HOST/` tree (detected by content).
    host: Option<String>,
    /// The path below the host, `~/.ssh` and `home/` flattened: `deploy/authorized_keys`,
    /// `etc/ssh/user_ca.pub`.
    rel: String,
    what: What,
}

#[derive(Debug)]
enum What {
    /// A text file of public data (authorized_keys, sshd_config, principals, `.pub`),
    /// understood once the host's configuration is known.
    Text(Vec<String>),
    Private(Private),
    Cert(Box<Cert>),
    /// Not text (a binary KRL named by `RevokedKeys`), kept only as present.
    Binary,
}

/// A public key as `ssh-keygen -l` names it, and its blob (the base64 field of an
/// authorized_keys line, what a `sed` matches on).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    /// `SHA256:…`, exactly as `ssh-keygen -lf` prints it.
    fp: String,
    algorithm: String,
    blob: String,
    comment: String,
}

impl Key {
    fn of(key: &PublicKey) -> Option<Key> {
        // `to_openssh` writes `ALGORITHM BLOB [COMMENT]`; the blob is re-encoded from the
        // parsed key, so it is plain base64 whatever the input held.
        let line = key.to_openssh().ok()?;
        let blob = line.split_whitespace().nth(1)?.to_string();
        Some(Key {
            fp: key.fingerprint(HashAlg::Sha256).to_string(),
            algorithm: key.algorithm().as_str().to_string(),
            blob,
            comment: key.comment().to_string(),
        })
    }

    /// The public key line, as a `.pub` file holds it (for a KRL).
    fn line(&self) -> String {
        format!("{} {}", self.algorithm, self.blob)
    }
}

/// What is kept of a private key: never the key.
#[derive(Debug)]
struct Private {
    /// `None` for a PEM key whose public half is not at hand (its `.pub` beside it gives it).
    key: Option<Key>,
    /// `OpenSSH`, `PEM RSA`, `PEM EC`, `PKCS#8`…
    format: &'static str,
    encrypted: bool,
}

/// An OpenSSH certificate, as `ssh-keygen -L` shows it.
#[derive(Debug)]
struct Cert {
    /// The certified key (the holder's; its private half signs the login).
    key: Key,
    /// The CA key that signed it.
    ca: Key,
    user: bool,
    key_id: String,
    serial: u64,
    principals: Vec<String>,
    valid_after: u64,
    valid_before: u64,
    force_command: Option<String>,
    source_address: Option<String>,
    /// The certificate line (public), for a KRL.
    line: String,
}

/// Reads one file of an SSH tree (or a private key found anywhere).
pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let (host, rel) = match crate::import::detect::ssh_relative(file) {
        Some(relative) => match relative.split_once('/') {
            Some((host, rest)) => (Some(host.to_string()), normalize(rest)),
            None => (None, relative),
        },
        None => (None, base_name(file).to_string()),
    };
    let warn = |builder: &mut Builder, message: String| {
        builder.warnings.push(Warning::new(file, "", message));
    };
    let what = if private_key(bytes) {
        match read_private(bytes) {
            Ok(private) => What::Private(private),
            Err(why) => {
                // The parser's message names what failed, never the bytes.
                warn(builder, format!("private key not read ({why}): skipped"));
                return Ok(());
            }
        }
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) if is_cert(text) => match read_cert(text) {
                Ok(cert) => What::Cert(Box::new(cert)),
                Err(why) => {
                    warn(builder, format!("certificate not read ({why}): skipped"));
                    return Ok(());
                }
            },
            Ok(text) => What::Text(text.lines().map(str::to_string).collect()),
            Err(_) => What::Binary,
        }
    };
    builder.ssh.files.push(File {
        name: file.to_string(),
        host,
        rel,
        what,
    });
    Ok(())
}

fn base_name(file: &str) -> &str {
    file.rsplit(['/', '\\']).next().unwrap_or(file)
}

/// `home/USER/x` → `USER/x`, `USER/.ssh/x` → `USER/x`: an export may keep the home
/// directory's shape or flatten it, and both name the same account's files.
fn normalize(rest: &str) -> String {
    let rest = rest.strip_prefix("home/").unwrap_or(rest);
    let parts: Vec<&str> = rest.split('/').filter(|p| *p != ".ssh").collect();
    parts.join("/")
}

/// Whether a file holds a private key (PEM or OpenSSH armour): such a file is never
/// kept as text.
fn private_key(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"PRIVATE KEY-----").is_some()
}

fn read_private(bytes: &[u8]) -> Result<Private, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not text".to_string())?;
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        // An encrypted key parses too: its public half is stored in clear.
        let key = PrivateKey::from_openssh(text.trim()).map_err(|e| e.to_string())?;
        let public = Key::of(key.public_key()).ok_or("its public key does not encode")?;
        return Ok(Private {
            key: Some(public),
            format: "OpenSSH",
            encrypted: key.is_encrypted(),
        });
    }
    let label = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("-----BEGIN "))
        .and_then(|l| l.strip_suffix("-----"))
        .unwrap_or("");
    let format = match label {
        "RSA PRIVATE KEY" => "PEM RSA",
        "EC PRIVATE KEY" => "PEM EC",
        "DSA PRIVATE KEY" => "PEM DSA",
        "ENCRYPTED PRIVATE KEY" => "PKCS#8 (encrypted)",
        "PRIVATE KEY" => "PKCS#8",
        _ => "PEM",
    };
    Ok(Private {
        key: None,
        format,
        encrypted: label.contains("ENCRYPTED") || text.contains("Proc-Type: 4,ENCRYPTED"),
    })
}

fn is_cert(text: &str) -> bool {
    text.split_whitespace()
        .next()
        .is_some_and(|t| t.ends_with("-cert-v01@openssh.com"))
}

fn read_cert(text: &str) -> Result<Cert, String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let cert = Certificate::from_openssh(line).map_err(|e| e.to_string())?;
    let key = Key::of(&PublicKey::from(cert.public_key().clone())).ok_or("key does not encode")?;
    let ca = Key::of(&PublicKey::from(cert.signature_key().clone())).ok_or("CA does not encode")?;
    let option = |name: &str| {
        cert.critical_options()
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| v.clone())
    };
    Ok(Cert {
        key,
        ca,
        user: cert.cert_type().is_user(),
        key_id: cert.key_id().to_string(),
        serial: cert.serial(),
        principals: cert.valid_principals().to_vec(),
        valid_after: cert.valid_after(),
        valid_before: cert.valid_before(),
        force_command: option("force-command"),
        source_address: option("source-address"),
        line: cert.to_openssh().map_err(|e| e.to_string())?,
    })
}

pub(super) fn finish(
    inventory: &Inventory,
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    at: jiff::Timestamp,
) {
    if inventory.files.is_empty() {
        return;
    }
    build::graph(&inventory.files, graph, warnings, at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homes_keep_or_flatten_their_shape() {
        assert_eq!(normalize("home/alice/.ssh/id_ed25519"), "alice/id_ed25519");
    }
}
