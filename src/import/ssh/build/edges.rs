//! The edges of each host: authorized_keys lines, trusted CAs, certificates, and the
//! private keys found in homes.

use super::super::commands;
use super::super::hosts::{Account, Host};
use super::super::{Cert, File, Key};
use super::{
    Build, Found, apply_refusal, cert_label, described, login_key, refused, revokes, timestamp,
};
use crate::model::{Condition, Edge, EdgeKind};
use crate::report::clean;

/// The conditions an authorized_keys line's options put on its use, and the
/// restrictions to mention.
fn line_conditions(o: &super::super::parse::Options) -> (Vec<Condition>, String) {
    let mut conditions = Vec::new();
    if let Some(from) = &o.from {
        conditions.push(Condition {
            description: clean(&format!(
                "only from a source address matching from=\"{from}\""
            ))
            .into_owned(),
            key: Some("from".into()),
            operator: None,
            values: from.split(',').map(str::to_string).collect(),
        });
    }
    if let Some(command) = &o.command {
        conditions.push(Condition {
            description: clean(&format!(
                "forced command: the login runs only `{command}` (what it lets its caller do decides the reach)"
            ))
            .into_owned(),
            key: Some("command".into()),
            operator: None,
            values: vec![command.clone()],
        });
    }
    let noted = if o.restrictions.is_empty() {
        String::new()
    } else {
        format!(" ({})", o.restrictions.join(", "))
    };
    (conditions, noted)
}

impl Build<'_> {
    /// The KRL revoke of a key on a host.
    fn krl(&self, host: &Host, key: &Key) -> crate::model::Revoke {
        commands::krl_key(&host.name, host.krl.as_deref(), key)
    }

    /// key → login for each plain authorized_keys line; CA → login for each
    /// `cert-authority` line (the CA signs a certificate naming what it must).
    pub(super) fn key_lines(&mut self, host: &Host) {
        for (user, account) in &host.accounts {
            let to = login_key(&host.name, user);
            for keys in &account.keys {
                for line in &keys.lines {
                    let o = &line.options;
                    let from = self.node_key(&line.key.fp);
                    let prov = self.prov(keys.file, Some(line.number));
                    let (conditions, noted) = line_conditions(o);
                    let (kind, mut reason) = if o.cert_authority {
                        let names = match &o.principals {
                            Some(p) => format!("principals=\"{}\"", p.join(",")),
                            None => format!("the principal {user}"),
                        };
                        (
                            EdgeKind::CanAssume,
                            format!(
                                "{user}'s authorized_keys on {} (line {}) trusts {} as a CA (cert-authority){noted}: it signs a certificate naming {names}",
                                host.name, line.number, line.key.fp
                            ),
                        )
                    } else {
                        (
                            EdgeKind::AuthenticatesAs,
                            format!(
                                "in {user}'s authorized_keys on {} (line {}){noted}",
                                host.name, line.number
                            ),
                        )
                    };
                    if let Some(expiry) = o.expiry {
                        reason.push_str(&format!("; expiry-time {expiry}"));
                    }
                    let mut edge = Edge::new(kind, clean(&reason).into_owned(), prov);
                    edge.conditions = conditions;
                    edge.revoke = revokes(vec![
                        commands::remove_line(&host.name, &keys.path, &line.key, o.cert_authority),
                        self.krl(host, &line.key),
                    ]);
                    let mut refusal = refused(
                        host,
                        user,
                        o.command.is_some() || o.cert_authority,
                        &[&line.key.fp],
                    );
                    if let Some(expiry) = o.expiry.filter(|e| *e <= self.at) {
                        refusal.get_or_insert(format!("the line expired at {expiry}"));
                    }
                    apply_refusal(&mut edge, refusal);
                    self.edge(&from, &to, edge);
                }
            }
        }
    }

    /// CA → login for each CA in `TrustedUserCAKeys` and each account whose principal
    /// rule admits some principal.
    pub(super) fn trusted_cas(&mut self, host: &Host) {
        for t in &host.trusted {
            let from = self.node_key(&t.key.fp);
            for (user, account) in &host.accounts {
                let Some((rule, conditions)) = principal_rule(account, user) else {
                    continue;
                };
                let reason = format!(
                    "{}'s sshd trusts {} (TrustedUserCAKeys {}, line {}) and {rule}: the CA signs a certificate naming it",
                    host.name, t.key.fp, t.path, t.line
                );
                let prov = self.prov(t.file, Some(t.line));
                let mut edge = Edge::new(EdgeKind::CanAssume, clean(&reason).into_owned(), prov);
                edge.conditions = conditions;
                edge.revoke = revokes(vec![
                    commands::untrust_ca(&host.name, &t.path, &t.key),
                    self.krl(host, &t.key),
                ]);
                if let Some(refusal) = refused(host, user, true, &[&t.key.fp]) {
                    super::apply_refusal(&mut edge, Some(refusal));
                } else if user == "root"
                    && let super::Root::ForcedOnly(_) = host.root
                {
                    edge.conditions.push(Condition::described(
                        "PermitRootLogin forced-commands-only: only a certificate with force-command",
                    ));
                }
                self.edge(&from, &login_key(&host.name, user), edge);
            }
        }
    }

    /// key → login for a user certificate, on each account of `host` whose rule admits
    /// one of its principals, through a CA the host trusts.
    pub(super) fn cert_edges(&mut self, host: &Host, file: &File, cert: &Cert) {
        let from = self.node_key(&cert.key.fp);
        let file_index = self.file_index(file);
        for (user, account) in &host.accounts {
            // Through TrustedUserCAKeys: sshd requires a principal (an empty list admits
            // no one), matched against the principals file or the user name.
            let mut ways: Vec<(String, Option<Condition>, crate::model::Revoke)> = Vec::new();
            if let Some(t) = host.trusted.iter().find(|t| t.key.fp == cert.ca.fp) {
                let admitted: Vec<&str> = match &account.principals {
                    Some(p) => p
                        .admitted
                        .iter()
                        .map(|(name, _, _)| name.as_str())
                        .filter(|n| cert.principals.iter().any(|c| c == n))
                        .collect(),
                    None => cert
                        .principals
                        .iter()
                        .filter(|c| *c == user)
                        .map(String::as_str)
                        .collect(),
                };
                if let Some(p) = admitted.first() {
                    let rule = match &account.principals {
                        Some(pf) => format!("{user}'s principals file {} admits {p}", pf.path),
                        None => format!("the principal {p} is the user name"),
                    };
                    ways.push((
                        format!(
                            "{} trusts its CA (TrustedUserCAKeys {}) and {rule}",
                            host.name, t.path
                        ),
                        None,
                        commands::untrust_ca(&host.name, &t.path, &cert.ca),
                    ));
                }
            }
            // Through a cert-authority line: its principals= names, else the user name;
            // a certificate naming no principal is accepted for any (sshd does not
            // require one here).
            for keys in &account.keys {
                for line in keys
                    .lines
                    .iter()
                    .filter(|l| l.options.cert_authority && l.key.fp == cert.ca.fp)
                {
                    let wanted: Vec<String> = match &line.options.principals {
                        Some(p) => p.clone(),
                        None => vec![user.clone()],
                    };
                    let ok = (line.options.principals.is_none() && cert.principals.is_empty())
                        || cert.principals.iter().any(|c| wanted.contains(c));
                    if !ok {
                        continue;
                    }
                    let (conditions, _) = line_conditions(&line.options);
                    ways.push((
                        format!(
                            "{user}'s authorized_keys on {} (line {}) trusts its CA for {}",
                            host.name,
                            line.number,
                            wanted.join(",")
                        ),
                        conditions.into_iter().next(),
                        commands::remove_line(&host.name, &keys.path, &line.key, true),
                    ));
                }
            }
            for (rule, condition, cut) in ways {
                let principals = if cert.principals.is_empty() {
                    "no principal".to_string()
                } else {
                    format!("principals {}", cert.principals.join(","))
                };
                let mut reason = format!(
                    "user certificate {} signed by {}, {principals}: {rule}",
                    cert_label(cert),
                    cert.ca.fp
                );
                let prov = self.prov(file_index, None);
                let mut refusal = refused(
                    host,
                    user,
                    cert.force_command.is_some(),
                    &[&cert.key.fp, &cert.ca.fp],
                );
                let before = timestamp(cert.valid_before);
                if cert.valid_before != u64::MAX
                    && let Some(before) = before
                {
                    reason.push_str(&format!("; valid before {before}"));
                    if before <= self.at {
                        refusal.get_or_insert(format!("the certificate expired at {before}"));
                    }
                }
                let mut edge =
                    Edge::new(EdgeKind::AuthenticatesAs, clean(&reason).into_owned(), prov);
                edge.conditions.extend(condition);
                if let Some(after) = timestamp(cert.valid_after).filter(|a| *a > self.at) {
                    edge.conditions.push(described(format!(
                        "the certificate is valid only from {after}"
                    )));
                }
                if let Some(addr) = &cert.source_address {
                    edge.conditions
                        .push(described(format!("certificate source-address {addr}")));
                }
                if let Some(command) = &cert.force_command {
                    edge.conditions
                        .push(described(format!("certificate force-command `{command}`")));
                }
                edge.revoke = revokes(vec![
                    commands::krl_cert(&host.name, host.krl.as_deref(), cert),
                    cut,
                    self.krl(host, &cert.key),
                ]);
                apply_refusal(&mut edge, refusal);
                self.edge(&from, &login_key(&host.name, user), edge);
            }
        }
    }

    /// login → key for a private key found in that account's home.
    pub(super) fn found_edges(&mut self, found: &[Found<'_>]) {
        for f in found {
            let Some(host) = &f.file.host else { continue };
            let parts: Vec<&str> = f.file.rel.split('/').collect();
            let [user, name] = parts[..] else { continue };
            if user == "etc" {
                continue;
            }
            let path = format!("{}/.ssh/{name}", commands::home(user));
            let reason = format!(
                "{} private key {} found on {host} in {user}'s home ({path})",
                f.format, f.key.fp
            );
            let file_index = self.file_index(f.file);
            let prov = self.prov(file_index, None);
            let mut edge = Edge::new(EdgeKind::CanRead, clean(&reason).into_owned(), prov);
            if f.encrypted {
                edge.conditions.push(Condition::described(
                    "the key is encrypted: using it needs its passphrase",
                ));
            }
            edge.revoke = revokes(vec![commands::delete_key_file(host, &path, Some(&f.key))]);
            let to = self.node_key(&f.key.fp);
            self.edge(&login_key(host, user), &to, edge);
        }
    }
}

/// The principal rule of an account for certificates of a trusted CA: what admits a
/// principal, and the conditions principals-file options put on it. `None` when no
/// principal is admitted (a principals file that is missing or empty).
fn principal_rule(account: &Account, user: &str) -> Option<(String, Vec<Condition>)> {
    match &account.principals {
        None => Some((
            format!(
                "with no AuthorizedPrincipalsFile a certificate naming {user} logs in as {user}"
            ),
            Vec::new(),
        )),
        Some(p) => {
            let names: Vec<&str> = p.admitted.iter().map(|(n, _, _)| n.as_str()).collect();
            if names.is_empty() {
                return None;
            }
            let conditions = p
                .admitted
                .iter()
                .filter_map(|(n, _, o)| {
                    o.as_ref()
                        .map(|o| described(format!("principal {n} only with options {o}")))
                })
                .collect();
            Some((
                format!(
                    "{user}'s principals file {} admits {}",
                    p.path,
                    names.join(", ")
                ),
                conditions,
            ))
        }
    }
}
