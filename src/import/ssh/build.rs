//! The SSH trust, as sshd decides a login (auth2-pubkey.c):
//!
//! - a key in an account's authorized_keys logs in as it (`from=` and `command=` limit
//!   it: conditional); a `cert-authority` line instead trusts the key as a CA for that
//!   account, for certificates naming the account (or a `principals=` name);
//! - a CA in `TrustedUserCAKeys` logs in as every account whose principals file admits
//!   a principal (or, with no `AuthorizedPrincipalsFile`, as any account: its name is
//!   the principal) — the CA signs whatever principal it likes, so CA → login;
//! - a user certificate logs in (with its key) as the accounts its principals admit on
//!   the hosts that trust its CA, while valid: past its valid-before the edge is dormant;
//! - a private key found in an account's home is read by whoever holds that account;
//! - `PermitRootLogin no` refuses root whatever the key: those edges stay, dormant, with
//!   the reason; `forced-commands-only` keeps only keys with `command=`.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::commands::{self, Trusted};
use super::hosts::{self, Host, Root};
use super::{Cert, File, Key, What};
use crate::import::{Warning, add_new_node, provenance};
use crate::model::{
    Condition, Credential, Edge, EdgeKind, NodeId, NodeKind, Provenance, Revoke, TrustGraph,
};
use crate::report::clean;

fn login_key(host: &str, user: &str) -> String {
    format!("ssh:login:{host}/{user}")
}

/// A private key found, and where.
struct Found<'f> {
    file: &'f File,
    key: Key,
    encrypted: bool,
    format: &'static str,
}

struct Build<'a> {
    graph: &'a mut TrustGraph,
    files: &'a [File],
    at: Timestamp,
    /// Fingerprints of every CA key (trusted by a host, a `cert-authority` line, or a
    /// certificate's signer): their nodes are `ssh:ca:…`.
    cas: BTreeSet<String>,
    /// Every key seen, by fingerprint.
    keys: BTreeMap<String, Key>,
    /// Where each key is accepted as a plain key (its authorized_keys lines), and the
    /// hosts that accept it in any way (for its KRL).
    lines: BTreeMap<String, Vec<Trusted>>,
    accepted_on: BTreeMap<String, BTreeSet<String>>,
    made: BTreeSet<(NodeId, NodeId, EdgeKind, String)>,
}

pub(super) fn graph(
    files: &[File],
    graph: &mut TrustGraph,
    warnings: &mut Vec<Warning>,
    at: Timestamp,
) {
    let hosts = hosts::hosts(files, warnings);
    let certs: Vec<(&File, &Cert)> = files
        .iter()
        .filter_map(|f| match &f.what {
            What::Cert(c) if c.user => Some((f, &**c)),
            What::Cert(_) => {
                warnings.push(Warning::new(
                    &f.name,
                    "",
                    "host certificate: skipped (trustpath models user logins)",
                ));
                None
            }
            _ => None,
        })
        .collect();
    let found = private_keys(files, warnings);
    let mut b = Build {
        graph,
        files,
        at,
        cas: BTreeSet::new(),
        keys: BTreeMap::new(),
        lines: BTreeMap::new(),
        accepted_on: BTreeMap::new(),
        made: BTreeSet::new(),
    };
    b.collect(&hosts, &certs, &found);
    b.key_nodes(&hosts, &certs, &found);
    for host in &hosts {
        b.login_nodes(host);
        b.key_lines(host);
        b.trusted_cas(host);
        for (file, cert) in &certs {
            b.cert_edges(host, file, cert);
        }
    }
    b.found_edges(&found);
}

/// Private keys, each with its public key: from the file itself (OpenSSH), or from the
/// `.pub` beside it (a PEM key: ssh-key reads only OpenSSH private keys).
fn private_keys<'f>(files: &'f [File], warnings: &mut Vec<Warning>) -> Vec<Found<'f>> {
    let mut out = Vec::new();
    for f in files {
        let What::Private(p) = &f.what else { continue };
        let key = p.key.clone().or_else(|| {
            let public = format!("{}.pub", f.rel);
            files
                .iter()
                .find(|g| g.host == f.host && g.rel == public)
                .and_then(|g| match &g.what {
                    What::Text(lines) => super::parse::key_list(lines).0.into_iter().next(),
                    _ => None,
                })
                .map(|(_, k)| k)
        });
        match key {
            Some(key) => out.push(Found {
                file: f,
                key,
                encrypted: p.encrypted,
                format: p.format,
            }),
            None => warnings.push(Warning::new(
                &f.name,
                "",
                format!(
                    "{} private key with no .pub beside it: its fingerprint is unknown (ssh-keygen -y -f FILE prints its public key); skipped",
                    p.format
                ),
            )),
        }
    }
    out
}

impl Build<'_> {
    fn node_key(&self, fp: &str) -> String {
        if self.cas.contains(fp) {
            format!("ssh:ca:{fp}")
        } else {
            format!("ssh:key:{fp}")
        }
    }

    fn prov(&mut self, file: usize, line: Option<usize>) -> Provenance {
        let name = self.files[file].name.clone();
        self.prov_of(&name, line)
    }

    fn prov_of(&mut self, name: &str, line: Option<usize>) -> Provenance {
        let what = line.map_or_else(|| "file".to_string(), |l| format!("line {l}"));
        provenance(self.graph, name, what)
    }

    fn file_index(&self, f: &File) -> usize {
        self.files
            .iter()
            .position(|g| std::ptr::eq(g, f))
            .unwrap_or_default()
    }

    fn edge(&mut self, from: &str, to: &str, edge: Edge) {
        let (Some(a), Some(b)) = (self.graph.find(from), self.graph.find(to)) else {
            return;
        };
        if a == b || !self.made.insert((a, b, edge.kind, edge.reason.to_string())) {
            return;
        }
        self.graph.add_edge(a, b, edge);
    }

    /// Every key and CA, and where each is accepted.
    fn collect(&mut self, hosts: &[Host], certs: &[(&File, &Cert)], found: &[Found<'_>]) {
        let see = |keys: &mut BTreeMap<String, Key>, k: &Key| {
            keys.entry(k.fp.clone()).or_insert_with(|| k.clone());
        };
        for host in hosts {
            for t in &host.trusted {
                self.cas.insert(t.key.fp.clone());
                see(&mut self.keys, &t.key);
                self.accepted_on
                    .entry(t.key.fp.clone())
                    .or_default()
                    .insert(host.name.clone());
            }
            for account in host.accounts.values() {
                for keys in &account.keys {
                    for line in &keys.lines {
                        see(&mut self.keys, &line.key);
                        if line.options.cert_authority {
                            self.cas.insert(line.key.fp.clone());
                        }
                        self.lines
                            .entry(line.key.fp.clone())
                            .or_default()
                            .push(Trusted {
                                host: host.name.clone(),
                                path: keys.path.clone(),
                            });
                        self.accepted_on
                            .entry(line.key.fp.clone())
                            .or_default()
                            .insert(host.name.clone());
                    }
                }
            }
        }
        for (_, cert) in certs {
            self.cas.insert(cert.ca.fp.clone());
            see(&mut self.keys, &cert.ca);
            see(&mut self.keys, &cert.key);
        }
        for f in found {
            see(&mut self.keys, &f.key);
        }
        for places in self.lines.values_mut() {
            places.sort_by(|a, b| (&a.host, &a.path).cmp(&(&b.host, &b.path)));
            places.dedup_by(|a, b| a.host == b.host && a.path == b.path);
        }
    }

    /// One node per key: a credential (the holder of its private half logs in), or, for
    /// a CA key, a provider that is admin of every login trusting it.
    fn key_nodes(&mut self, hosts: &[Host], certs: &[(&File, &Cert)], found: &[Found<'_>]) {
        let keys: Vec<Key> = self.keys.values().cloned().collect();
        for key in keys {
            let node_key = self.node_key(&key.fp);
            let ca = self.cas.contains(&key.fp);
            let first = self.first_place(&key.fp, hosts, certs, found);
            let prov = self.prov_of(&first, None);
            let holders: Vec<&Found<'_>> = found.iter().filter(|f| f.key.fp == key.fp).collect();
            // An encrypted key's comment is encrypted with it: named by where it lies.
            let label = match (key.comment.is_empty(), holders.first()) {
                (false, _) => key.comment.clone(),
                (true, Some(f)) => place(f.file),
                (true, None) => String::new(),
            };
            let name = if label.is_empty() {
                key.fp.clone()
            } else {
                format!("{label} ({})", key.fp)
            };
            let kind = if ca {
                NodeKind::Provider
            } else {
                NodeKind::Credential
            };
            let signed: Vec<&Cert> = certs
                .iter()
                .filter(|(_, c)| c.ca.fp == key.fp)
                .map(|(_, c)| *c)
                .collect();
            let revoke =
                if ca {
                    let mut trusted: Vec<Trusted> = hosts
                        .iter()
                        .flat_map(|h| {
                            h.trusted
                                .iter()
                                .filter(|t| t.key.fp == key.fp)
                                .map(|t| Trusted {
                                    host: h.name.clone(),
                                    path: t.path.clone(),
                                })
                        })
                        .collect();
                    trusted.extend(self.lines.get(&key.fp).into_iter().flatten().map(|t| {
                        Trusted {
                            host: t.host.clone(),
                            path: t.path.clone(),
                        }
                    }));
                    commands::rotate_ca(&key, &trusted, &signed)
                } else {
                    let hosts_krl: Vec<(String, Option<String>)> = self
                        .accepted_on
                        .get(&key.fp)
                        .into_iter()
                        .flatten()
                        .map(|h| {
                            let krl = hosts
                                .iter()
                                .find(|x| &x.name == h)
                                .and_then(|x| x.krl.clone());
                            (h.clone(), krl)
                        })
                        .collect();
                    let lines = self.lines.get(&key.fp).map_or(&[][..], Vec::as_slice);
                    commands::revoke_key(&key, lines, &hosts_krl)
                };
            let mut tags: Vec<(&str, String)> = vec![
                ("fingerprint", key.fp.clone()),
                ("algorithm", key.algorithm.clone()),
            ];
            if !key.comment.is_empty() {
                tags.push(("comment", key.comment.clone()));
            }
            if !holders.is_empty() {
                let places: Vec<String> = holders.iter().map(|f| place(f.file)).collect();
                tags.push(("private_key_found", places.join(", ")));
                let enc = holders.iter().all(|f| f.encrypted);
                tags.push(("encrypted", if enc { "yes" } else { "no" }.into()));
                tags.push(("private_key_format", holders[0].format.into()));
            }
            let own: Vec<String> = certs
                .iter()
                .filter(|(_, c)| c.key.fp == key.fp)
                .map(|(_, c)| cert_label(c))
                .collect();
            if !own.is_empty() {
                tags.push(("certificates", own.join("; ")));
            }
            if !signed.is_empty() {
                let labels: Vec<String> = signed.iter().map(|c| cert_label(c)).collect();
                tags.push(("signed_certificates", labels.join("; ")));
            }
            let Some(node) = add_new_node(self.graph, &node_key, kind, "ssh", &name, None, prov)
            else {
                continue;
            };
            for (k, v) in tags {
                node.tags.insert(k.into(), v);
            }
            if ca {
                node.admin = true;
                node.tags.insert(
                    "meaning".into(),
                    "an SSH user CA: it signs certificates for any principal, so it logs in wherever it is trusted".into(),
                );
            } else {
                node.credential = Some(Box::new(Credential {
                    kind: Some("ssh_key".into()),
                    status: Some("active".into()),
                    long_lived: Some(true),
                    ..Credential::default()
                }));
            }
            node.revoke = vec![revoke];
        }
    }

    /// The file a key was first seen in, for its provenance.
    fn first_place(
        &self,
        fp: &str,
        hosts: &[Host],
        certs: &[(&File, &Cert)],
        found: &[Found<'_>],
    ) -> String {
        let from_hosts = hosts.iter().find_map(|h| {
            h.trusted
                .iter()
                .find(|t| t.key.fp == fp)
                .map(|t| t.file)
                .or_else(|| {
                    h.accounts.values().find_map(|a| {
                        a.keys
                            .iter()
                            .find(|k| k.lines.iter().any(|l| l.key.fp == fp))
                            .map(|k| k.file)
                    })
                })
        });
        from_hosts
            .map(|i| self.files[i].name.clone())
            .or_else(|| {
                found
                    .iter()
                    .find(|f| f.key.fp == fp)
                    .map(|f| f.file.name.clone())
            })
            .or_else(|| {
                certs
                    .iter()
                    .find(|(_, c)| c.key.fp == fp || c.ca.fp == fp)
                    .map(|(f, _)| f.name.clone())
            })
            .unwrap_or_default()
    }

    fn login_nodes(&mut self, host: &Host) {
        for user in host.accounts.keys() {
            let prov = match host.config_file {
                Some(i) => self.prov(i, None),
                None => self.prov_of(&host.name, None),
            };
            let key = login_key(&host.name, user);
            let name = format!("{user}@{}", host.name);
            let Some(node) = add_new_node(
                self.graph,
                &key,
                NodeKind::ServiceAccount,
                "ssh",
                &name,
                Some(&host.name),
                prov,
            ) else {
                continue;
            };
            node.admin = user == "root";
            node.tags.insert("home".into(), commands::home(user));
            if user == "root"
                && let Root::Refused(line) = host.root
            {
                node.tags.insert(
                    "permit_root_login".into(),
                    format!("no (sshd_config line {line})"),
                );
            }
            node.revoke = vec![commands::lock_login(&host.name, user)];
        }
    }
}

/// Why sshd would refuse this login whatever the key (root under `PermitRootLogin`,
/// a key in a text `RevokedKeys`): the edge stays, dormant, with the reason.
pub(super) fn refused(host: &Host, user: &str, forced: bool, fps: &[&str]) -> Option<String> {
    if user == "root" {
        match host.root {
            Root::Refused(line) => {
                return Some(format!(
                    "PermitRootLogin no (sshd_config line {line}) refuses root"
                ));
            }
            Root::ForcedOnly(line) if !forced => {
                return Some(format!(
                    "PermitRootLogin forced-commands-only (sshd_config line {line}) refuses root without a forced command"
                ));
            }
            _ => {}
        }
    }
    fps.iter()
        .find(|fp| host.revoked.contains(**fp))
        .map(|fp| format!("{fp} is listed in RevokedKeys"))
}

/// Sets an edge dormant with the reason, or leaves it.
pub(super) fn apply_refusal(edge: &mut Edge, refusal: Option<String>) {
    if let Some(why) = refusal {
        edge.dormant = true;
        edge.reason = format!("{}; but {why}", edge.reason).into();
    }
}

pub(super) fn cert_label(c: &Cert) -> String {
    format!("{} (serial {})", c.key_id, c.serial)
}

/// Where a file lies: `HOST:USER/FILE`, or its input name outside an SSH tree.
fn place(f: &File) -> String {
    match &f.host {
        Some(h) => format!("{h}:{}", f.rel),
        None => f.name.clone(),
    }
}

pub(super) fn timestamp(secs: u64) -> Option<Timestamp> {
    i64::try_from(secs)
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
}

pub(super) fn revokes(list: Vec<Revoke>) -> std::sync::Arc<[Revoke]> {
    list.into()
}

pub(super) fn described(text: String) -> Condition {
    Condition::described(clean(&text).into_owned())
}

mod edges;
