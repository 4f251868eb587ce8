//! SSH importer on fixtures made by tests/fixtures/ssh/generate.sh with ssh-keygen (an
//! `ssh/HOST/…` tree of three hosts: laptop, web1 trusting a user CA with principals
//! files, db1 refusing root and not trusting the CA). The derived edges are compared with
//! a golden list (key fingerprints shown as the keys' comments), and each rule of sshd's
//! is checked on its own, positive and negative.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use trustpath::import::Loaded;
use trustpath::model::EdgeKind;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ssh/ssh")
}

/// Loaded as of [`common::AT`] (the tree, not its generating script).
fn load() -> Loaded {
    common::load_fixtures("ssh/ssh")
}

/// `ssh:key:SHA256:…` → `ssh:key:COMMENT`: fingerprints change each time the fixtures
/// are generated, comments do not.
fn names(l: &Loaded) -> BTreeMap<String, String> {
    let g = &l.graph;
    g.node_ids()
        .filter_map(|id| {
            let n = g.node(id);
            // An encrypted key's comment is encrypted with it: named by where it lies.
            let comment = n
                .tags
                .get("comment")
                .or_else(|| n.tags.get("private_key_found"))?;
            let fp = n.tags.get("fingerprint")?;
            Some((fp.to_string(), comment.to_string()))
        })
        .collect()
}

fn shortener(l: &Loaded) -> impl Fn(&str) -> String {
    let names = names(l);
    move |key: &str| {
        let mut out = key.to_string();
        for (fp, name) in &names {
            out = out.replace(fp, name);
        }
        out
    }
}

fn edge<'l>(
    l: &'l Loaded,
    from: &str,
    kind: EdgeKind,
    to: &str,
) -> Vec<trustpath::model::EdgeRef<'l>> {
    let short = shortener(l);
    let g = &l.graph;
    g.edge_ids()
        .filter(|&e| {
            let (a, b) = g.endpoints(e);
            g.edge(e).kind == kind && short(g.key(a)) == from && short(g.key(b)) == to
        })
        .map(|e| g.edge(e))
        .collect()
}

#[test]
fn edges_match_the_golden_list() {
    let l = load();
    assert!(l.warnings.is_empty(), "{:#?}", l.warnings);
    let lines: BTreeSet<String> = common::edge_lines(&l, shortener(&l), |_| true);
    common::assert_golden(&lines, "ssh.edges");
}

#[test]
fn authorized_keys_follow_sshd() {
    let l = load();
    let auth = EdgeKind::AuthenticatesAs;
    // A plain line: unconditional.
    let plain = edge(&l, "ssh:key:alice", auth, "ssh:login:web1/deploy");
    assert!(
        plain.iter().any(|e| !e.dormant && !e.is_conditional()),
        "{plain:#?}"
    );
    // from= and command=: conditional, and the conditions say so.
    let ci = edge(&l, "ssh:key:ci", auth, "ssh:login:web1/deploy");
    assert_eq!(ci.len(), 1);
    let said: Vec<&str> = ci[0]
        .conditions
        .iter()
        .map(|c| c.description.as_str())
        .collect();
    assert!(said.iter().any(|c| c.contains("10.0.0.0/8")), "{said:?}");
    assert!(
        said.iter().any(|c| c.contains("/usr/local/bin/deploy")),
        "{said:?}"
    );
    assert!(ci[0].reason.contains("restrict"), "{}", ci[0].reason);
    // PermitRootLogin no: the edge stays, dormant, with the reason; prohibit-password
    // (web1) still takes keys.
    let db1 = edge(&l, "ssh:key:admin", auth, "ssh:login:db1/root");
    assert!(db1.len() == 1 && db1[0].dormant && db1[0].reason.contains("PermitRootLogin no"));
    let web1 = edge(&l, "ssh:key:admin", auth, "ssh:login:web1/root");
    assert!(web1.len() == 1 && !web1[0].dormant && web1[0].reason.contains("no-pty"));
}

#[test]
fn a_ca_reaches_the_logins_its_principal_rules_admit() {
    let l = load();
    let ca = "ssh:ca:user-ca";
    let assume = EdgeKind::CanAssume;
    // web1 trusts the CA; deploy's principals file admits deploy.
    let deploy = edge(&l, ca, assume, "ssh:login:web1/deploy");
    assert!(deploy.len() == 1 && deploy[0].reason.contains("principals file"));
    // root on web1 has no principals file: no principal admitted.
    assert!(edge(&l, ca, assume, "ssh:login:web1/root").is_empty());
    // db1 does not trust the CA (no TrustedUserCAKeys) …
    assert!(edge(&l, ca, assume, "ssh:login:db1/backup").is_empty());
    assert!(edge(&l, ca, assume, "ssh:login:db1/root").is_empty());
    // … but ops's authorized_keys does (cert-authority, principals="ops").
    let ops = edge(&l, ca, assume, "ssh:login:db1/ops");
    assert!(ops.len() == 1 && ops[0].reason.contains("principals=\"ops\""));
    let g = &l.graph;
    let node = g.node(
        g.find(&format!(
            "ssh:ca:{}",
            names(&l)
                .iter()
                .find(|(_, n)| *n == "user-ca")
                .map(|(fp, _)| fp.clone())
                .unwrap_or_default()
        ))
        .expect("CA node"),
    );
    assert!(node.admin);
}

#[test]
fn certificates_reach_their_principals_while_valid() {
    let l = load();
    let certs: Vec<_> = edge(
        &l,
        "ssh:key:alice",
        EdgeKind::AuthenticatesAs,
        "ssh:login:web1/deploy",
    )
    .into_iter()
    .filter(|e| e.reason.contains("user certificate"))
    .collect();
    assert_eq!(certs.len(), 2, "{certs:#?}");
    let valid = certs
        .iter()
        .find(|e| e.reason.contains("alice-2025"))
        .expect("valid cert");
    assert!(!valid.dormant);
    let expired = certs
        .iter()
        .find(|e| e.reason.contains("alice-2020"))
        .expect("old cert");
    assert!(expired.dormant && expired.reason.contains("expired"));
    // The valid certificate names root, but web1 admits no principal for root, and db1
    // and ops (principals="ops") do not take it.
    for to in [
        "ssh:login:web1/root",
        "ssh:login:db1/root",
        "ssh:login:db1/ops",
    ] {
        assert!(
            edge(&l, "ssh:key:alice", EdgeKind::AuthenticatesAs, to).is_empty(),
            "{to}"
        );
    }
}

#[test]
fn private_keys_found_are_read_by_their_account() {
    let l = load();
    let read = EdgeKind::CanRead;
    let plain = edge(&l, "ssh:login:web1/deploy", read, "ssh:key:deploy-web1");
    assert!(plain.len() == 1 && !plain[0].is_conditional());
    // The encrypted key needs its passphrase.
    let enc = edge(
        &l,
        "ssh:login:db1/backup",
        read,
        "ssh:key:db1:backup/id_ecdsa",
    );
    assert!(enc.len() == 1 && enc[0].conditions[0].description.contains("passphrase"));
    // A PEM key: its fingerprint from the .pub beside it.
    assert_eq!(
        edge(&l, "ssh:login:db1/backup", read, "ssh:key:backup-db1-rsa").len(),
        1
    );
    // Metadata, never the key.
    let g = &l.graph;
    let key = g
        .node_ids()
        .map(|id| g.node(id))
        .find(|n| {
            n.tags
                .get("private_key_found")
                .is_some_and(|c| c == "db1:backup/id_ecdsa")
        })
        .expect("key node");
    assert_eq!(key.tags.get("encrypted"), Some("yes"));
    assert_eq!(key.kind, trustpath::model::NodeKind::Credential);
}

#[test]
fn a_key_found_on_one_host_opens_the_next() {
    let input = fixtures();
    let (ok, text) = common::run_text(
        input.to_str().expect("utf-8"),
        &["blast", "-c", "ssh:login:laptop/alice", "--format", "json"],
    );
    assert!(ok, "{text}");
    // laptop alice → her key → web1 deploy → deploy's key → db1 backup.
    assert!(text.contains("ssh:login:web1/deploy") && text.contains("ssh:login:db1/backup"));
    assert!(!text.contains("ssh:login:db1/root"), "PermitRootLogin no");
}

#[test]
fn the_plan_for_a_compromised_key_prints_sshs_own_commands() {
    let l = load();
    let (fp, _) = names(&l)
        .into_iter()
        .find(|(_, n)| n == "alice")
        .expect("alice");
    let blob = std::fs::read_to_string(fixtures().join("laptop/alice/id_ed25519.pub"))
        .expect("pub")
        .split_whitespace()
        .nth(1)
        .expect("blob")
        .to_string();
    let commands = common::plan_commands(&fixtures(), &format!("ssh:key:{fp}"), &[]);
    let all = commands.join("\n");
    // The line goes by its blob, quoted, never by its comment.
    let sed = format!("sed -i '\\|{blob}|d' -- /home/deploy/.ssh/authorized_keys");
    assert!(all.contains(&sed), "{all}");
    // The cheapest complete containment: the line, and the valid certificate in the KRL
    // sshd_config names on web1 (the expired one is dormant already).
    assert!(
        all.contains("ssh-keygen -k -u -f /etc/ssh/revoked_keys revoked-cert.pub"),
        "{all}"
    );
    assert!(
        all.contains("printf '%s\\n' 'ssh-ed25519-cert-v01@openssh.com "),
        "{all}"
    );
    assert!(!all.contains("alice-2020"), "{all}");
    // The key's own action revokes it everywhere: its lines, and each host's KRL.
    let g = &l.graph;
    let node = g.node(g.find(&format!("ssh:key:{fp}")).expect("key node"));
    let own = node.revoke[0].commands.join("\n");
    assert!(own.contains(&sed), "{own}");
    assert!(
        own.contains(&format!(
            "printf '%s\\n' 'ssh-ed25519 {blob}' > revoked-key.pub"
        )),
        "{own}"
    );
    assert!(
        own.contains("ssh-keygen -k -u -f /etc/ssh/revoked_keys revoked-key.pub"),
        "{own}"
    );
    // A compromised CA is rotated, and its certificates named for reissue.
    let (ca, _) = names(&l)
        .into_iter()
        .find(|(_, n)| n == "user-ca")
        .expect("ca");
    let commands = common::plan_commands(&fixtures(), &format!("ssh:ca:{ca}"), &[]).join("\n");
    assert!(commands.contains("alice-2025 (serial 7"), "{commands}");
    assert!(commands.contains("/etc/ssh-ca/user_ca.pub"), "{commands}");
}

/// Every base64 line of every private key in the fixtures.
fn private_lines() -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![fixtures()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if !text.contains("PRIVATE KEY-----") {
                continue;
            }
            out.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.starts_with("-----") && !l.contains(':') && l.len() >= 16)
                    .map(str::to_string),
            );
        }
    }
    assert!(out.len() > 20, "fixture private keys found: {}", out.len());
    out
}

#[test]
fn no_private_key_line_reaches_any_output() {
    let lines = private_lines();
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = dir.path().join("saved.graph.json");
    let saved_arg = saved.to_str().expect("utf-8");
    let input = fixtures();
    let input = input.to_str().expect("utf-8");
    let alice = "ssh:login:laptop/alice";
    let runs: Vec<Vec<&str>> = vec![
        vec!["import", "--format", "text"],
        vec!["import", "--format", "json", "--save", saved_arg],
        vec!["blast", "-c", alice, "--format", "json", "--paths"],
        vec!["blast", "-c", alice, "--format", "csv", "--paths"],
        vec!["plan", "-c", alice, "--format", "json"],
        vec!["plan", "-c", alice, "--format", "text"],
        vec!["plan", "-c", alice, "--format", "markdown"],
        vec!["plan", "-c", alice, "--format", "csv"],
        vec!["export", "--format", "dot"],
        vec!["export", "--format", "json"],
    ];
    let hidden: Vec<&str> = lines.iter().map(String::as_str).collect();
    common::assert_no_output_holds(input, &runs, &saved, &hidden);
    // A damaged private key: the message names the file, not the key.
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("ssh/h1/alice");
    std::fs::create_dir_all(&broken).expect("mkdir");
    let original = std::fs::read_to_string(fixtures().join("web1/deploy/id_ed25519")).expect("key");
    // Its body cut short: still armoured, no longer a key.
    let body: Vec<&str> = original.lines().collect();
    let damaged = format!("{}\n{}\n{}\n", body[0], body[1], body[body.len() - 1]);
    std::fs::write(broken.join("id_ed25519"), &damaged).expect("write");
    std::fs::write(
        broken.join("authorized_keys"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID/xRcy9KPEWaKDnYmRi1JxP4SeuEkD/F4+rWQlOZxgv x\n",
    )
    .expect("write");
    let (_, text) = common::run_text(dir.path().to_str().expect("utf-8"), &["import"]);
    assert!(
        text.contains("id_ed25519") && text.contains("private key not read"),
        "{text}"
    );
    for line in hidden
        .iter()
        .copied()
        .chain(damaged.lines().filter(|l| !l.starts_with("-----")))
    {
        assert!(
            !text.contains(line),
            "the message holds a line of the damaged key"
        );
    }
}

#[test]
fn malformed_lines_and_match_blocks_are_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("ssh/h1/deploy");
    std::fs::create_dir_all(&home).expect("mkdir");
    std::fs::write(
        home.join("authorized_keys"),
        "# ok\nbogus-option ssh-ed25519 AAAA\nssh-ed25519 not!base64 x\n\
         ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID/xRcy9KPEWaKDnYmRi1JxP4SeuEkD/F4+rWQlOZxgv alice\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("ssh/h1/sshd_config"),
        "PermitRootLogin no\nMatch User deploy\n  PermitRootLogin yes\n",
    )
    .expect("write");
    let (ok, text) = common::run_text(dir.path().to_str().expect("utf-8"), &["import"]);
    assert!(ok, "{text}");
    assert!(
        text.contains("authorized_keys:line 2: unknown option bogus-option"),
        "{text}"
    );
    assert!(
        text.contains("authorized_keys:line 3: not a public key"),
        "{text}"
    );
    assert!(
        text.contains("sshd_config:line 2: Match block not evaluated"),
        "{text}"
    );
    assert!(
        text.contains("1 edges") || text.contains("1 edge"),
        "{text}"
    );
}

/// The layout sshd_config(5) shows, with the CA and principals files in the host's
/// `/etc/ssh`. The loader routes a file to the SSH importer by
/// `detect::ssh_relative`, which takes the *last* `ssh` path component for the tree's
/// root: `ssh/web1/etc/ssh/user_ca.pub` is not routed at all, and
/// `ssh/web1/etc/ssh/principals/deploy` is routed as host `principals`. The importer
/// finds the root itself (skipping a host's `etc/ssh`); this passes once detection does.
#[test]
fn a_hosts_etc_ssh_holds_its_ca_and_principals() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = fixtures().join("web1");
    let dst = dir.path().join("ssh/web1");
    std::fs::create_dir_all(dst.join("etc/ssh/principals")).expect("mkdir");
    std::fs::create_dir_all(dst.join("deploy")).expect("mkdir");
    let copy = |from: &str, to: &str| std::fs::copy(src.join(from), dst.join(to)).expect("copy");
    copy("etc/ssh-ca/user_ca.pub", "etc/ssh/user_ca.pub");
    copy("etc/ssh-ca/principals/deploy", "etc/ssh/principals/deploy");
    copy("deploy/authorized_keys", "deploy/authorized_keys");
    std::fs::write(
        dst.join("sshd_config"),
        "TrustedUserCAKeys /etc/ssh/user_ca.pub\nAuthorizedPrincipalsFile /etc/ssh/principals/%u\n",
    )
    .expect("write");
    let (ok, text) = common::run_text(
        dir.path().to_str().expect("utf-8"),
        &["export", "--format", "json"],
    );
    assert!(ok, "{text}");
    assert!(
        text.contains("ssh:ca:") && text.contains("principals file /etc/ssh/principals/deploy"),
        "{text}"
    );
}
