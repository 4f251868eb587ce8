//! Each host as its sshd sees it: the configuration, the accounts, the keys each
//! account's authorized_keys accepts, the CAs `TrustedUserCAKeys` names, and the
//! principals each account's principals file admits. Paths that `sshd_config` names are
//! looked up under the host's tree by their absolute path.

use std::collections::{BTreeMap, BTreeSet};

use super::parse::{self, Line};
use super::{File, Key, What, normalize};
use crate::import::Warning;
use crate::report::clean;

/// How sshd treats root (`PermitRootLogin`, default `prohibit-password` since OpenSSH
/// 7.0: keys and certificates allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Root {
    Allowed,
    /// `no`, at this line.
    Refused(usize),
    /// `forced-commands-only`: only a key with `command=` or a certificate with a
    /// `force-command`.
    ForcedOnly(usize),
}

/// One account's authorized_keys file.
#[derive(Debug)]
pub(super) struct Keys {
    pub(super) path: String,
    pub(super) file: usize,
    pub(super) lines: Vec<Line>,
}

/// What an account's principals file admits (when `AuthorizedPrincipalsFile` is set).
#[derive(Debug)]
pub(super) struct Principals {
    /// Its path on the host.
    pub(super) path: String,
    /// Principal, line, options before it.
    pub(super) admitted: Vec<(String, usize, Option<String>)>,
}

#[derive(Debug)]
pub(super) struct Account {
    pub(super) keys: Vec<Keys>,
    /// `None` with no `AuthorizedPrincipalsFile`: the user name is the principal.
    pub(super) principals: Option<Principals>,
}

/// A CA `TrustedUserCAKeys` names.
#[derive(Debug)]
pub(super) struct TrustedCa {
    pub(super) key: Key,
    pub(super) path: String,
    pub(super) file: usize,
    pub(super) line: usize,
}

#[derive(Debug)]
pub(super) struct Host {
    pub(super) name: String,
    /// The `sshd_config` file, if the export holds one.
    pub(super) config_file: Option<usize>,
    pub(super) root: Root,
    pub(super) accounts: BTreeMap<String, Account>,
    pub(super) trusted: Vec<TrustedCa>,
    /// The `RevokedKeys` path, as sshd_config names it.
    pub(super) krl: Option<String>,
    /// Fingerprints a text `RevokedKeys` file lists (a binary KRL cannot be read).
    pub(super) revoked: BTreeSet<String>,
}

/// Expands `%u`, `%h` and `%%` for `user` (sshd_config(5) TOKENS): the path on the
/// host, and the path below the host in the export. A path not starting with `/` is
/// relative to the home directory. `None` for a token trustpath cannot know (`%U`).
pub(super) fn expand(template: &str, user: &str) -> Option<(String, String)> {
    let home = super::commands::home(user);
    let mut out = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            'u' => out.push_str(user),
            'h' => out.push_str(&home),
            _ => return None,
        }
    }
    let path = if out.starts_with('/') {
        out
    } else {
        format!("{home}/{out}")
    };
    let rel = normalize(path.trim_start_matches('/'));
    Some((path, rel))
}

fn text(files: &[File], i: usize) -> Option<&[String]> {
    match &files[i].what {
        What::Text(lines) => Some(lines),
        _ => None,
    }
}

/// Users whose files a `%u` template names (`/etc/ssh/principals/%u` and
/// `…/principals/deploy` → `deploy`).
fn users_of_template(template: &str, rels: &BTreeMap<String, usize>) -> Vec<String> {
    const MARK: &str = "\u{1}";
    if !template.contains("%u") {
        return Vec::new();
    }
    let Some((_, rel)) = expand(template, MARK) else {
        return Vec::new();
    };
    let Some((prefix, suffix)) = rel.split_once(MARK) else {
        return Vec::new();
    };
    rels.keys()
        .filter_map(|r| r.strip_prefix(prefix)?.strip_suffix(suffix))
        .filter(|u| !u.is_empty() && !u.contains('/') && !u.contains(MARK))
        .map(str::to_string)
        .collect()
}

pub(super) fn hosts(files: &[File], warnings: &mut Vec<Warning>) -> Vec<Host> {
    let mut by_host: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        if let Some(host) = &f.host {
            by_host.entry(host).or_default().insert(f.rel.clone(), i);
        }
    }
    by_host
        .into_iter()
        .map(|(name, rels)| host(name, &rels, files, warnings))
        .collect()
}

fn host(
    name: &str,
    rels: &BTreeMap<String, usize>,
    files: &[File],
    warnings: &mut Vec<Warning>,
) -> Host {
    let config_file = ["sshd_config", "etc/ssh/sshd_config"]
        .iter()
        .find_map(|r| rels.get(*r).copied())
        .filter(|&i| text(files, i).is_some());
    let config = config_file
        .and_then(|i| text(files, i))
        .map(parse::sshd_config)
        .unwrap_or_default();
    if let Some(i) = config_file {
        for (line, why) in &config.ignored {
            warnings.push(Warning::new(
                &files[i].name,
                format!("line {line}"),
                why.clone(),
            ));
        }
    }
    let warn = |warnings: &mut Vec<Warning>, i: usize, line: usize, why: &str| {
        let message = format!("{}: line skipped", clean(why));
        warnings.push(Warning::new(
            &files[i].name,
            format!("line {line}"),
            message,
        ));
    };
    let root = match &config.permit_root {
        Some((line, v)) if v == "no" => Root::Refused(*line),
        Some((line, v)) if v == "forced-commands-only" => Root::ForcedOnly(*line),
        _ => Root::Allowed,
    };
    // Accounts: `USER/FILE` (a home, flattened), and users that a `%u` path names.
    let mut users: BTreeSet<String> = rels
        .keys()
        .filter_map(|r| match r.split('/').collect::<Vec<_>>()[..] {
            [user, _] if user != "etc" => Some(user.to_string()),
            _ => None,
        })
        .collect();
    if let Some((_, p)) = &config.principals_file {
        users.extend(users_of_template(p, rels));
    }
    let keys_templates: Vec<String> = match &config.keys_files {
        Some((_, t)) => t.clone(),
        None => vec![
            ".ssh/authorized_keys".into(),
            ".ssh/authorized_keys2".into(),
        ],
    };
    for t in &keys_templates {
        users.extend(users_of_template(t, rels));
    }
    let mut accounts = BTreeMap::new();
    for user in users {
        let mut keys = Vec::new();
        let mut read = BTreeSet::new();
        for t in keys_templates.iter().filter(|t| *t != "none") {
            let Some((path, rel)) = expand(t, &user) else {
                continue;
            };
            let Some(&i) = rels.get(&rel) else { continue };
            let Some(lines) = text(files, i) else {
                continue;
            };
            if !read.insert(i) {
                continue;
            }
            let (lines, bad) = parse::authorized_keys(lines);
            for (line, why) in bad {
                warn(warnings, i, line, &why);
            }
            keys.push(Keys {
                path,
                file: i,
                lines,
            });
        }
        // The export's `USER/authorized_keys` is the conventional place: when the
        // configuration reads another file, say that this one is ignored.
        if let Some(&i) = rels.get(&format!("{user}/authorized_keys"))
            && !read.contains(&i)
        {
            warnings.push(Warning::new(
                &files[i].name,
                "",
                "not read by sshd (its AuthorizedKeysFile names other files): its keys are ignored",
            ));
        }
        let principals = config.principals_file.as_ref().map(|(_, t)| {
            let found = expand(t, &user).map(|(path, rel)| (path, rels.get(&rel).copied()));
            let (path, file) = found.unwrap_or_else(|| (t.clone(), None));
            let admitted = file
                .and_then(|i| text(files, i))
                .map(parse::principals)
                .unwrap_or_default()
                .into_iter()
                .map(|(line, p, opts)| (p, line, opts))
                .collect();
            Principals { path, admitted }
        });
        accounts.insert(user, Account { keys, principals });
    }
    let mut trusted = Vec::new();
    if let Some((line, paths)) = &config.trusted_ca {
        for path in paths.iter().filter(|p| *p != "none") {
            let rel = normalize(path.trim_start_matches('/'));
            match rels
                .get(&rel)
                .copied()
                .filter(|&i| text(files, i).is_some())
            {
                Some(i) => {
                    let (keys, bad) = parse::key_list(text(files, i).unwrap_or_default());
                    for (line, why) in bad {
                        warn(warnings, i, line, &why);
                    }
                    trusted.extend(keys.into_iter().map(|(line, key)| TrustedCa {
                        key,
                        path: path.clone(),
                        file: i,
                        line,
                    }));
                }
                None => {
                    if let Some(c) = config_file {
                        warnings.push(Warning::new(
                            &files[c].name,
                            format!("line {line}"),
                            format!(
                                "TrustedUserCAKeys names {}, which the export of {} does not hold: the CAs it trusts are unknown",
                                clean(path),
                                clean(name)
                            ),
                        ));
                    }
                }
            }
        }
    }
    let krl = config.revoked.as_ref().map(|(_, p)| p.clone());
    let revoked = krl
        .as_ref()
        .and_then(|p| rels.get(&normalize(p.trim_start_matches('/'))))
        .and_then(|&i| text(files, i))
        .map(|lines| {
            let (keys, _) = parse::key_list(lines);
            keys.into_iter().map(|(_, k)| k.fp).collect()
        })
        .unwrap_or_default();
    Host {
        name: name.to_string(),
        config_file,
        root,
        accounts,
        trusted,
        krl,
        revoked,
    }
}
