//! HashiCorp Vault: `vault … -format=json` output placed in a `vault/` tree, where the
//! place names what the output does not (a role's mount and name, a policy's name, a
//! listed folder):
//!
//! ```text
//! vault/auth-list.json                          vault auth list -format=json
//! vault/secrets-list.json                       vault secrets list -format=json
//! vault/auth/MOUNT/config.json                  vault read -format=json auth/MOUNT/config
//! vault/auth/MOUNT/role/NAME.json               vault read -format=json auth/MOUNT/role/NAME
//! vault/auth/token/roles/NAME.json              vault read -format=json auth/token/roles/NAME
//! vault/auth/MOUNT/role/NAME/secret-id-accessor/ACCESSOR.json
//!                                               vault write -format=json auth/MOUNT/role/NAME/secret-id-accessor/lookup secret_id_accessor=…
//! vault/policies/NAME.json | NAME.hcl           vault policy read -format=json NAME, or the policy itself
//! vault/kv/PATH.json                            vault kv get -format=json PATH (an object), or
//!                                               vault kv list -format=json PATH (an array of keys)
//! vault/tokens/ANY.json                         vault token lookup -format=json -accessor …
//! ```
//!
//! Secret values never leave the parser: a KV read keeps the names of its fields and its
//! version metadata, and a token lookup has no field for the token itself (`id`).
//! Everything is collected first and evaluated once every file is read ([`build`]).

mod access;
mod acl;
mod build;
pub(crate) mod commands;
mod de;
mod jwt;
mod login;
mod reads;

pub(crate) use build::finish;

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Builder, ImportError, detect};
use de::{KvShape, Strings, Ttl};

/// Everything read from a Vault export, each with the file it came from.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    /// Auth mounts by path without the trailing `/` (`kubernetes`, `jwt/github`).
    mounts: BTreeMap<String, (AuthMount, String)>,
    /// Secrets engines by path without the trailing `/`.
    engines: BTreeMap<String, SecretsEngine>,
    configs: BTreeMap<String, (MountConfig, String)>,
    roles: Vec<Role>,
    policies: BTreeMap<String, (acl::Policy, String)>,
    /// KV secrets by CLI path (`secret/payments/db`), from reads and listings.
    secrets: BTreeMap<String, KvSecret>,
    tokens: Vec<(TokenLookup, String)>,
    secret_ids: Vec<SecretId>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct AuthMount {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct SecretsEngine {
    #[serde(rename = "type")]
    kind: String,
    options: Option<BTreeMap<String, Option<String>>>,
}

/// The answer of a `vault read`: what matters is under `data`.
#[derive(Debug, Deserialize)]
struct Response<T> {
    data: T,
}

/// `auth/MOUNT/config` of a kubernetes or jwt/oidc mount.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct MountConfig {
    kubernetes_host: Option<String>,
    bound_issuer: Option<String>,
    oidc_discovery_url: Option<String>,
    jwks_url: Option<String>,
}

/// A role of a kubernetes, jwt/oidc, approle or token mount: the fields of each kind,
/// read leniently (lists as arrays or comma-separated strings, TTLs as numbers or
/// duration strings).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RoleData {
    bound_service_account_names: Strings,
    bound_service_account_namespaces: Strings,
    bound_service_account_namespace_selector: Option<String>,
    role_type: Option<String>,
    bound_audiences: Strings,
    bound_subject: Option<String>,
    bound_claims: Option<BTreeMap<String, Strings>>,
    bound_claims_type: Option<String>,
    bind_secret_id: Option<bool>,
    secret_id_num_uses: Option<Ttl>,
    secret_id_ttl: Option<Ttl>,
    allowed_policies: Strings,
    /// Token roles: policy name globs tokens of the role may carry.
    allowed_policies_glob: Strings,
    orphan: Option<bool>,
    token_policies: Strings,
    /// Deprecated mirror of `token_policies`; Vault still applies both.
    policies: Strings,
    token_no_default_policy: Option<bool>,
    token_ttl: Option<Ttl>,
    token_max_ttl: Option<Ttl>,
    token_period: Option<Ttl>,
    period: Option<Ttl>,
    token_bound_cidrs: Strings,
}

#[derive(Debug, Clone)]
struct Role {
    mount: String,
    name: String,
    data: RoleData,
    file: String,
}

/// A KV secret: where it is, and what the inputs say of it (never its values).
#[derive(Debug, Clone, Default)]
struct KvSecret {
    /// Field names of a read (`password`, `username`).
    fields: Vec<String>,
    /// `Some(2)` when a read showed KV v2's `data`/`metadata` envelope, `Some(1)` when it
    /// did not; `None` for a path only listed.
    version: Option<u8>,
    created: Option<jiff::Timestamp>,
    current_version: Option<u64>,
    destroyed: bool,
    file: String,
}

/// `vault token lookup -accessor`: metadata only (no `id` field: a lookup by token
/// prints the token there, and it is never read).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct TokenLookup {
    accessor: String,
    display_name: Option<String>,
    creation_time: Option<i64>,
    /// When it was last renewed: a use of the token.
    last_renewal_time: Option<i64>,
    expire_time: Option<String>,
    policies: Strings,
    identity_policies: Strings,
    path: Option<String>,
    orphan: Option<bool>,
    period: Option<Ttl>,
    renewable: Option<bool>,
    role: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    entity_id: Option<String>,
    meta: Option<TokenMeta>,
}

/// The token metadata an auth method sets at login, for the names it gives (other keys,
/// which a token's creator may fill with anything, are skipped unread).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct TokenMeta {
    role: Option<String>,
    role_name: Option<String>,
    service_account_name: Option<String>,
    service_account_namespace: Option<String>,
}

/// `auth/approle/role/R/secret-id-accessor/lookup`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct SecretIdLookup {
    secret_id_accessor: String,
    creation_time: Option<String>,
    expiration_time: Option<String>,
    last_updated_time: Option<String>,
    secret_id_num_uses: Option<Ttl>,
    secret_id_ttl: Option<Ttl>,
    cidr_list: Strings,
}

#[derive(Debug, Clone)]
struct SecretId {
    mount: String,
    role: String,
    lookup: SecretIdLookup,
    file: String,
}

/// Where a file lies in the export tree, and so what it is.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    AuthList,
    SecretsList,
    Config { mount: String },
    Role { mount: String, name: String },
    SecretIdLookup { mount: String, role: String },
    Policy { name: String },
    Kv { path: String },
    Token,
}

impl Place {
    fn of(file: &str) -> Option<Place> {
        let rel = detect::vault_relative(file)?;
        if rel == "auth-list.json" {
            return Some(Place::AuthList);
        }
        if rel == "secrets-list.json" {
            return Some(Place::SecretsList);
        }
        let (top, rest) = rel.split_once('/')?;
        match top {
            "policies" => {
                let name = rest
                    .strip_suffix(".json")
                    .or_else(|| rest.strip_suffix(".hcl"))?;
                Some(Place::Policy {
                    name: name.to_string(),
                })
            }
            "kv" => Some(Place::Kv {
                path: rest.strip_suffix(".json")?.to_string(),
            }),
            "tokens" => rest.ends_with(".json").then_some(Place::Token),
            "auth" => auth_place(rest),
            _ => None,
        }
    }
}

/// `MOUNT/config.json`, `MOUNT/role/NAME.json` (`roles` under the token mount),
/// `MOUNT/role/NAME/secret-id-accessor/ANY.json`; a mount may hold slashes.
fn auth_place(rest: &str) -> Option<Place> {
    let segments: Vec<&str> = rest.split('/').collect();
    if let Some(mount) = rest.strip_suffix("/config.json") {
        return Some(Place::Config {
            mount: mount.to_string(),
        });
    }
    let at = segments
        .iter()
        .rposition(|s| *s == "role" || *s == "roles")?;
    let mount = segments[..at].join("/");
    if mount.is_empty() {
        return None;
    }
    match &segments[at + 1..] {
        [file] => Some(Place::Role {
            mount,
            name: file.strip_suffix(".json")?.to_string(),
        }),
        [role, "secret-id-accessor" | "secret-id", file] if file.ends_with(".json") => {
            Some(Place::SecretIdLookup {
                mount,
                role: role.to_string(),
            })
        }
        _ => None,
    }
}

/// Strips the trailing `/` Vault puts on mount paths.
fn mount_path(path: &str) -> String {
    path.trim_end_matches('/').to_string()
}

pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let Some(place) = Place::of(file) else {
        builder.warnings.push(super::Warning::new(
            file,
            "",
            "skipped: Vault output, but not in a vault/ export tree that says what it is \
             (see the README: vault/auth/MOUNT/role/NAME.json, vault/policies/NAME.json, …)"
                .to_string(),
        ));
        return Ok(());
    };
    let parse = |e: serde_json::Error| ImportError::json(file, &e);
    let v = &mut builder.vault;
    let file_name = file.to_string();
    match place {
        Place::AuthList => {
            let mounts: BTreeMap<String, AuthMount> =
                serde_json::from_slice(bytes).map_err(parse)?;
            for (path, mount) in mounts {
                v.mounts
                    .insert(mount_path(&path), (mount, file_name.clone()));
            }
        }
        Place::SecretsList => {
            let engines: BTreeMap<String, SecretsEngine> =
                serde_json::from_slice(bytes).map_err(parse)?;
            v.engines
                .extend(engines.into_iter().map(|(p, e)| (mount_path(&p), e)));
        }
        Place::Config { mount } => {
            let r: Response<MountConfig> = serde_json::from_slice(bytes).map_err(parse)?;
            v.configs.insert(mount, (r.data, file_name));
        }
        Place::Role { mount, name } => {
            let r: Response<RoleData> = serde_json::from_slice(bytes).map_err(parse)?;
            v.roles.push(Role {
                mount,
                name,
                data: r.data,
                file: file_name,
            });
        }
        Place::SecretIdLookup { mount, role } => {
            let r: Response<SecretIdLookup> = serde_json::from_slice(bytes).map_err(parse)?;
            v.secret_ids.push(SecretId {
                mount,
                role,
                lookup: r.data,
                file: file_name,
            });
        }
        Place::Token => {
            let r: Response<TokenLookup> = serde_json::from_slice(bytes).map_err(parse)?;
            if r.data.accessor.is_empty() {
                builder.warnings.push(super::Warning::new(
                    file,
                    "",
                    "token lookup without an accessor; skipped".to_string(),
                ));
            } else {
                v.tokens.push((r.data, file_name));
            }
        }
        Place::Policy { name } => {
            let text = policy_text(bytes, file)?;
            match acl::parse(&text) {
                Ok((policy, unknown)) => {
                    if !unknown.is_empty() {
                        builder.warnings.push(super::Warning::new(
                            file,
                            "",
                            format!(
                                "unknown capabilities ignored: {}",
                                crate::report::clean(&unknown.join(", "))
                            ),
                        ));
                    }
                    builder.vault.policies.insert(name, (policy, file_name));
                }
                Err(why) => {
                    return Err(ImportError::Invalid {
                        file: file.to_string(),
                        message: format!("policy {name}: {}", crate::report::clean(&why)),
                    });
                }
            }
        }
        Place::Kv { path } => {
            let shape =
                KvShape::read(&mut serde_json::Deserializer::from_slice(bytes)).map_err(parse)?;
            match shape {
                // `vault kv list`: the listed folder's keys; `sub/` is a folder.
                KvShape::List(keys) => {
                    for key in keys.into_iter().filter(|k| !k.ends_with('/')) {
                        let at = format!("{}/{key}", path.trim_end_matches('/'));
                        v.secrets.entry(at).or_insert_with(|| KvSecret {
                            file: file_name.clone(),
                            ..KvSecret::default()
                        });
                    }
                }
                KvShape::Read(read) => {
                    let secret = v.secrets.entry(path).or_default();
                    secret.fields = read.fields;
                    secret.version = Some(if read.metadata.is_some() { 2 } else { 1 });
                    if let Some(m) = read.metadata {
                        secret.created = m.created;
                        secret.current_version = m.version;
                        secret.destroyed = m.destroyed || m.deleted;
                    }
                    secret.file = file_name;
                }
            }
        }
    }
    Ok(())
}

/// A policy's text: `vault policy read -format=json` (`{"policy": …}`), `vault read
/// sys/policies/acl/NAME` (`data.policy`), or the HCL itself.
fn policy_text(bytes: &[u8], file: &str) -> Result<String, ImportError> {
    let text = String::from_utf8_lossy(bytes);
    if !text.trim_start().starts_with('{') {
        return Ok(text.into_owned());
    }
    #[derive(Deserialize)]
    struct Read {
        policy: Option<String>,
        data: Option<Data>,
        path: Option<serde::de::IgnoredAny>,
    }
    #[derive(Deserialize)]
    struct Data {
        policy: Option<String>,
    }
    let read: Read = serde_json::from_slice(bytes).map_err(|e| ImportError::json(file, &e))?;
    if read.path.is_some() {
        // A policy written in JSON, saved as it is.
        return Ok(text.into_owned());
    }
    read.policy
        .or(read.data.and_then(|d| d.policy))
        .ok_or_else(|| ImportError::Invalid {
            file: file.to_string(),
            message: "no \"policy\" text (expected `vault policy read -format=json` output)"
                .to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_place_says_what_a_file_is() {
        let p = |f: &str| Place::of(f);
        assert_eq!(p("x/vault/auth-list.json"), Some(Place::AuthList));
        assert_eq!(
            p("x/vault/auth/k8s/prod/role/payments.json"),
            Some(Place::Role {
                mount: "k8s/prod".into(),
                name: "payments".into()
            })
        );
        assert_eq!(
            p("vault/auth/token/roles/recon.json"),
            Some(Place::Role {
                mount: "token".into(),
                name: "recon".into()
            })
        );
        assert_eq!(
            p("vault/auth/approle/role/batch/secret-id-accessor/abc.json"),
            Some(Place::SecretIdLookup {
                mount: "approle".into(),
                role: "batch".into()
            })
        );
        assert_eq!(
            p("vault/auth/jwt/config.json"),
            Some(Place::Config {
                mount: "jwt".into()
            })
        );
        assert_eq!(
            p("vault/kv/secret/vault/config.json"),
            Some(Place::Kv {
                path: "secret/vault/config".into()
            })
        );
        assert_eq!(
            p("vault/policies/ops.hcl"),
            Some(Place::Policy { name: "ops".into() })
        );
        assert_eq!(p("vault/notes.txt"), None);
        assert_eq!(p("vault/auth/role/x.json"), None);
    }
}
