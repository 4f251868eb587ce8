//! X.509 importer on fixtures that `tests/fixtures/x509/generate.sh` made with openssl
//! (committed under `pki/`): a root, an intermediate, server and client leaves, a leaf
//! expired in 2025, a partner root and leaf, relying bundles, private keys in PKCS#8,
//! PKCS#1, SEC1 and encrypted form. The derived edges are compared with a golden list,
//! each rule is checked on its own, and no private key line reaches any output.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::AT;
use predicates::prelude::PredicateBooleanExt;
use trustpath::import::Loaded;
use trustpath::model::EdgeKind;

fn pki() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/x509/pki")
}

fn load() -> Loaded {
    common::load_fixtures("x509/pki")
}

/// Certificates by their subject's CN instead of their fingerprint, for readable lines.
fn namer(l: &Loaded) -> impl Fn(&str) -> String + '_ {
    move |key: &str| {
        let g = &l.graph;
        match g.find(key) {
            Some(n) if key.starts_with("x509:") && !key.starts_with("x509:relying:") => {
                format!("cert:{}", g.node(n).name)
            }
            Some(n) if key.starts_with("x509-key:") => format!("key:{}", g.node(n).name),
            _ => key.to_string(),
        }
    }
}

fn edge_lines(l: &Loaded) -> BTreeSet<String> {
    common::edge_lines(l, namer(l), |_| true)
}

fn has(l: &Loaded, from: &str, kind: EdgeKind, to: &str) -> bool {
    common::find_edge(l, namer(l), from, kind, to).is_some()
}

#[test]
fn edges_match_the_golden_list() {
    let l = load();
    assert!(l.warnings.is_empty(), "{:#?}", l.warnings);
    common::assert_golden(&edge_lines(&l), "x509.edges");
}

#[test]
fn chains_keys_and_relying_services() {
    let l = load();
    let root = "cert:Acme Root CA (CA)";
    let inter = "cert:Acme Issuing CA 1 (CA)";
    // Down the chain, never up or across.
    assert!(has(&l, root, EdgeKind::CanAssume, inter));
    assert!(has(
        &l,
        inter,
        EdgeKind::CanAssume,
        "cert:api.acme.internal (certificate)"
    ));
    assert!(!has(&l, inter, EdgeKind::CanAssume, root));
    assert!(!has(
        &l,
        root,
        EdgeKind::CanAssume,
        "cert:Partner Root CA (CA)"
    ));
    assert!(!has(
        &l,
        "cert:Partner Root CA (CA)",
        EdgeKind::CanAssume,
        "cert:deploy-bot (certificate)"
    ));
    // Relying services: a CA in the bundle, and leaves through it.
    assert!(has(&l, inter, EdgeKind::CanAccess, "x509:relying:billing"));
    assert!(has(
        &l,
        "cert:deploy-bot (certificate)",
        EdgeKind::CanAccess,
        "x509:relying:billing"
    ));
    assert!(!has(
        &l,
        "cert:gw.partner.example (certificate)",
        EdgeKind::CanAccess,
        "x509:relying:billing"
    ));
    assert!(has(
        &l,
        "cert:gw.partner.example (certificate)",
        EdgeKind::CanAccess,
        "x509:relying:partner-gw"
    ));
    // Keys: PKCS#8, PKCS#1, SEC1 match their certificates; the encrypted one the
    // certificate beside it, conditionally.
    for (key, cert) in [
        (
            "key:private key of api.acme.internal",
            "cert:api.acme.internal (certificate)",
        ),
        (
            "key:private key of reporting",
            "cert:reporting (certificate)",
        ),
        (
            "key:private key of legacy.acme.internal",
            "cert:legacy.acme.internal (certificate)",
        ),
    ] {
        assert!(has(&l, key, EdgeKind::AuthenticatesAs, cert), "{key}");
    }
    let lines = edge_lines(&l);
    assert!(lines.contains("key:private key of deploy-bot -authenticates_as-> cert:deploy-bot (certificate) (conditional)"));
    // The root read as PEM and as DER is one node.
    let roots = l
        .graph
        .node_ids()
        .filter(|&n| l.graph.node(n).name.starts_with("Acme Root CA"))
        .count();
    assert_eq!(roots, 1);
    // The expired leaf is there (its key still reaches it), and unusable: a certificate is
    // no credential, so its validity is in tags and the edges out of it are dormant.
    let g = &l.graph;
    let legacy = g
        .node_ids()
        .find(|&n| g.node(n).name.starts_with("legacy.acme.internal"))
        .expect("legacy");
    let at = AT.parse().expect("timestamp");
    let node = g.node(legacy);
    assert!(
        node.credential.is_none(),
        "a certificate is not a credential"
    );
    assert_eq!(node.tags.get("not_after"), Some("2025-06-01T00:00:00Z"));
    assert!(lines.contains(
        "cert:legacy.acme.internal (certificate) -can_access-> x509:relying:billing (dormant)"
    ));
    let out: Vec<_> = g.outgoing(legacy).collect();
    assert!(!out.is_empty());
    for (e, _) in out {
        assert!(!g.traversable(e, at), "{}", g.edge(e).reason);
        assert!(
            g.edge(e)
                .reason
                .ends_with("expired at 2025-06-01T00:00:00Z")
        );
    }
    assert!(g.incoming(legacy).any(|(e, _)| g.traversable(e, at)));
    // Before it expired, the same leaf worked.
    let before = "2025-05-01T00:00:00Z".parse().expect("timestamp");
    let earlier =
        trustpath::import::load_paths_with(&[pki()], before, &mut |_| {}).expect("fixtures load");
    let g = &earlier.graph;
    let legacy = g.find(node.key).expect("legacy");
    assert!(g.outgoing(legacy).all(|(e, _)| g.traversable(e, before)));
}

/// A graph trustpath wrote loads back as it was: the sample incident saved as native JSON
/// reads without a warning (no importer puts credential fields on a node that is not a
/// credential, which the native reader warns about) and writes the same JSON again.
#[test]
fn the_sample_round_trips_through_native_json() {
    use trustpath::import::{Input, load_inputs_with, load_sample_at};
    use trustpath::model::NodeKind;
    use trustpath::report::json::write_graph;

    let at = AT.parse().expect("timestamp");
    let sample = load_sample_at(at).expect("sample loads");
    let g = &sample.graph;
    for n in g.node_ids() {
        let node = g.node(n);
        assert!(
            node.credential.is_none() || node.kind == NodeKind::Credential,
            "{} is a {} with credential fields",
            node.key,
            node.kind
        );
    }
    let mut saved = Vec::new();
    write_graph(&mut saved, g, &|_| true).expect("writes");
    let again = load_inputs_with([Input::bytes("saved.json", saved.clone())], at, &mut |_| {})
        .expect("saved graph loads");
    let warnings: Vec<String> = again.warnings.iter().map(ToString::to_string).collect();
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(again.graph.node_count(), g.node_count());
    assert_eq!(again.graph.edge_count(), g.edge_count());
    let mut rewritten = Vec::new();
    write_graph(&mut rewritten, &again.graph, &|_| true).expect("writes");
    assert!(
        saved == rewritten,
        "the graph JSON changed on the round trip:\n{}",
        first_difference(&saved, &rewritten)
    );
}

/// The same through the binary: `import --save F.json`, then `import -i F.json`.
#[test]
fn the_saved_sample_imports_without_warnings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = dir.path().join("sample.json");
    let saved = saved.to_str().expect("utf-8");
    // (assert_cmd's `assert` shows both streams when it fails.)
    common::trustpath()
        .args(["--at", AT, "import", "--save", saved])
        .assert()
        .success();
    common::trustpath()
        .args(["-i", saved, "--at", AT, "import"])
        .assert()
        .success()
        .stderr(predicates::str::contains("warning").not())
        .stdout(predicates::str::contains("No warnings."));
}

/// The first line where two outputs differ, for a readable failure.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map_or(
            "one output is a prefix of the other".into(),
            |(i, (x, y))| format!("line {}:\n- {x}\n+ {y}", i + 1),
        )
}

#[test]
fn no_private_key_line_reaches_any_output() {
    // Every base64 line of every private key block in the fixtures.
    let mut secret_lines = Vec::new();
    for entry in walk(&pki()) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        let mut inside = false;
        for line in text.lines() {
            if line.starts_with("-----BEGIN") {
                inside = line.contains("PRIVATE KEY");
            } else if line.starts_with("-----END") {
                inside = false;
            } else if inside && line.len() > 20 {
                secret_lines.push(line.to_string());
            }
        }
    }
    assert!(secret_lines.len() > 10, "the fixtures hold private keys");
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = dir.path().join("saved.graph.json");
    let input = pki();
    let input = input.to_str().expect("utf-8");
    let key = {
        let l = load();
        let g = &l.graph;
        let n = g
            .node_ids()
            .find(|&n| g.key(n).starts_with("x509-key:"))
            .expect("a key");
        g.key(n).to_string()
    };
    for args in [
        vec![
            "import",
            "--format",
            "json",
            "--save",
            saved.to_str().expect("utf-8"),
        ],
        vec!["blast", "-c", &key, "--format", "json", "--paths"],
        vec!["plan", "-c", &key, "--format", "markdown"],
        vec!["plan", "-c", &key, "--format", "csv"],
        vec!["export", "--format", "dot"],
    ] {
        let (ok, text) = common::run_text(input, &args);
        assert!(ok, "{args:?}: {text}");
        for line in &secret_lines {
            assert!(!text.contains(line.as_str()), "{args:?} printed a key line");
        }
    }
    let written = std::fs::read_to_string(&saved).expect("saved");
    assert!(secret_lines.iter().all(|l| !written.contains(l.as_str())));
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every fixture file, damaged: it loads or fails with an error; nothing panics.
const FILES: &[(&str, &[u8])] = &[
    (
        "root.der",
        include_bytes!("fixtures/x509/pki/certs/root.der"),
    ),
    (
        "root.pem",
        include_bytes!("fixtures/x509/pki/certs/root.pem"),
    ),
    (
        "legacy.key",
        include_bytes!("fixtures/x509/pki/certs/legacy.key"),
    ),
    (
        "deploy-bot.pem",
        include_bytes!("fixtures/x509/pki/hosts/ci-1/home/deploy/deploy-bot.pem"),
    ),
    (
        "reporting.key",
        include_bytes!("fixtures/x509/pki/hosts/ci-1/home/deploy/reporting.key"),
    ),
    (
        "server.key",
        include_bytes!("fixtures/x509/pki/hosts/web-1/etc/tls/server.key"),
    ),
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    #[test]
    fn damaged_certificates_and_keys_never_panic(
        file in 0..FILES.len(),
        edits in proptest::collection::vec(proptest::prelude::any::<(usize, u8, u8)>(), 1..8),
        cut in proptest::option::of(proptest::prelude::any::<usize>()),
    ) {
        let (name, bytes) = FILES[file];
        let damaged = common::mutate(bytes, &edits, cut);
        let _ = trustpath::import::load_inputs([trustpath::import::Input::bytes(name, damaged)]);
    }
}

/// A `kubernetes.io/tls` Secret is linked to the certificate in its `tls.crt`; its
/// `tls.key` is never read.
#[test]
fn a_tls_secret_holds_its_certificate() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = dir.path().join("prod");
    std::fs::create_dir_all(&cluster).expect("mkdir");
    let crt = std::fs::read(pki().join("hosts/web-1/etc/tls/server.crt")).expect("cert");
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let secret = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"name": "api-tls", "namespace": "web"},
        "data": {"tls.crt": b64(&crt), "tls.key": b64(b"NEVER-READ-KEY-VALUE")}
    });
    std::fs::write(cluster.join("secret.json"), secret.to_string()).expect("write");
    // A `ca` Issuer whose Certificate fills that Secret: the issuer's own Secret holds
    // the key of the CA above the leaf, though its values are not in the inputs.
    let cert_manager = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "cert-manager.io/v1", "kind": "Issuer",
         "metadata": {"name": "web-ca", "namespace": "web"}, "spec": {"ca": {"secretName": "web-ca-keypair"}}},
        {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
         "metadata": {"name": "api", "namespace": "web"},
         "spec": {"secretName": "api-tls", "issuerRef": {"name": "web-ca", "kind": "Issuer"}}}
    ]});
    std::fs::write(cluster.join("cert-manager.json"), cert_manager.to_string()).expect("write");
    std::fs::copy(
        pki().join("certs/intermediate.pem"),
        dir.path().join("intermediate.pem"),
    )
    .expect("copy");
    let (ok, text) = common::run_text(
        dir.path().to_str().expect("utf-8"),
        &["export", "--format", "json"],
    );
    assert!(ok, "{text}");
    assert!(
        text.contains(
            "Secret web/api-tls (kubernetes.io/tls) holds the certificate api.acme.internal"
        ),
        "{text}"
    );
    assert!(
        !text.contains("NEVER-READ-KEY-VALUE") && !text.contains(&b64(b"NEVER-READ-KEY-VALUE"))
    );
}

/// A key found in an account's home on a host is read by that account's login and by
/// root's, when the SSH exports name them.
#[test]
fn a_key_found_on_a_host_is_read_through_its_logins() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("hosts/ci-1/home/deploy");
    std::fs::create_dir_all(&home).expect("mkdir");
    std::fs::copy(
        pki().join("hosts/web-1/etc/tls/server.key"),
        home.join("server.key"),
    )
    .expect("copy");
    let ssh = dir.path().join("ssh/ci-1/deploy");
    std::fs::create_dir_all(&ssh).expect("mkdir");
    let public = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/ssh/ssh/web1/deploy/id_ed25519.pub"),
    )
    .expect("a public key");
    std::fs::write(ssh.join("authorized_keys"), public).expect("write");
    let l = trustpath::import::load_paths_with(
        &[dir.path().to_path_buf()],
        AT.parse().expect("timestamp"),
        &mut |_| {},
    )
    .expect("loads");
    let g = &l.graph;
    let login = g.find("ssh:login:ci-1/deploy").expect("the login");
    assert!(
        g.outgoing(login)
            .any(|(_, to)| g.key(to).starts_with("x509-key:")),
        "deploy's login reads the key in its home"
    );
}
