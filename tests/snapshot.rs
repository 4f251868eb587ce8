//! Binary snapshots (`import --save FILE.tpsnap`, issue 21): a snapshot loads back into
//! the graph it was written from, every command answers from it exactly as from the
//! JSON, and a damaged, truncated or foreign one is an error naming the file.

mod common;

use common::{AT, trustpath};
use proptest::prelude::*;
use trustpath::import::{Input, Loaded, load_inputs, snapshot};

fn json(loaded: &Loaded) -> Vec<u8> {
    let mut out = Vec::new();
    trustpath::report::json::write_graph(&mut out, &loaded.graph, &|_| true).expect("in memory");
    out
}

fn snapshot_of(loaded: &Loaded) -> Vec<u8> {
    let mut out = Vec::new();
    snapshot::write(&mut out, &loaded.graph, &loaded.warnings).expect("in memory");
    out
}

fn sample() -> Loaded {
    trustpath::import::load_sample_at(AT.parse().expect("timestamp")).expect("sample loads")
}

fn reload(bytes: Vec<u8>) -> Result<Loaded, String> {
    load_inputs([Input::bytes("graph.tpsnap", bytes)]).map_err(|e| e.to_string())
}

/// The graph (as native JSON) and the warnings survive the round trip.
fn assert_round_trip(loaded: &Loaded, what: &str) {
    let back = reload(snapshot_of(loaded)).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(json(loaded) == json(&back), "{what}: the graph changed");
    let messages =
        |l: &Loaded| -> Vec<String> { l.warnings.iter().map(|w| w.to_string()).collect() };
    assert_eq!(
        messages(loaded),
        messages(&back),
        "{what}: the warnings changed"
    );
}

#[test]
fn every_platform_round_trips() {
    assert_round_trip(&sample(), "the sample incident");
    for dir in [
        "aws", "github", "k8s", "gcp", "azure", "vault", "spire", "x509", "ssh",
    ] {
        assert_round_trip(&common::load_fixtures(dir), dir);
    }
    let mut generated = Vec::new();
    trustpath::synth::generate(&mut generated, 3_000, 11).expect("generates");
    let generated = load_inputs([Input::bytes("gen.json", generated)]).expect("loads");
    assert_round_trip(&generated, "a generated organisation");
}

/// The sample saved by `import --save` as native JSON and as a snapshot, at `path`'s
/// `graph.json` and `graph.tpsnap`.
fn save_sample(path: &dyn Fn(&str) -> String) -> (String, String) {
    let (graph_json, snap) = (path("graph.json"), path("graph.tpsnap"));
    for file in [&graph_json, &snap] {
        trustpath()
            .args(["import", "--at", AT, "--save", file])
            .assert()
            .success();
    }
    (graph_json, snap)
}

#[test]
fn answers_from_a_snapshot_are_the_answers_from_its_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (graph_json, snap) = save_sample(&path);
    // The JSON a snapshot saves again is the JSON it came from.
    let again = path("again.json");
    trustpath()
        .args(["import", "-i", &snap, "--at", AT, "--save", &again])
        .assert()
        .success();
    assert!(std::fs::read(&graph_json).ok() == std::fs::read(&again).ok());
    for args in [
        &["blast", "--format", "json"][..],
        &["blast", "--format", "csv", "--paths"],
        &["plan"],
        &["plan", "--format", "json"],
        &["path", common::COMPROMISED, "x509:relying:ledger"],
        &["export", "--format", "dot"],
        &["export", "--format", "graphml"],
        &["export", "--format", "cypher"],
        &["export", "--format", "opengraph"],
        &["audit", "--format", "json"],
        &["harden", "--format", "json"],
    ] {
        let run = |input: &str| {
            let out = trustpath()
                .args(["-i", input, "--at", AT])
                .args(args)
                .output()
                .expect("runs");
            (out.status.code(), out.stdout)
        };
        let (from_json, from_snapshot) = (run(&graph_json), run(&snap));
        assert_eq!(from_json.0, from_snapshot.0, "{args:?}: exit status");
        assert!(from_json.1 == from_snapshot.1, "{args:?}: output differs");
        assert!(!from_json.1.is_empty(), "{args:?}: printed nothing");
    }
}

/// A snapshot read beside other inputs (before or after them, with an overlay) is no
/// longer the graph by itself: its nodes and edges join the others' exactly as the JSON it
/// came from would.
#[test]
fn a_snapshot_beside_other_inputs_reads_as_its_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (graph_json, snap) = save_sample(&path);
    // A node defined again (ignored, with a warning), a new one, and an edge into the
    // graph the snapshot holds.
    let extra = path("extra.graph.json");
    std::fs::write(
        &extra,
        serde_json::json!({
            "schema": "trustpath/graph/v1",
            "nodes": [
                {"id": common::COMPROMISED, "kind": "workload"},
                {"id": "test:contractor-laptop", "kind": "workload", "owner": "it"},
            ],
            "edges": [
                {"from": "test:contractor-laptop", "to": common::COMPROMISED,
                 "kind": "can_access", "reason": "test"},
            ],
        })
        .to_string(),
    )
    .expect("write");
    let overlay = path("owners.csv");
    std::fs::write(
        &overlay,
        "id_or_glob,owner,purpose,environment,criticality\ntest:contractor-laptop,security,,,9\n",
    )
    .expect("write");
    for (what, order) in [
        ("after", vec!["G", &extra]),
        ("before", vec![&extra, "G"]),
        ("with an overlay", vec!["G", &extra, &overlay]),
        ("with an overlay alone", vec!["G", &overlay]),
    ] {
        let run = |graph: &str, args: &[&str]| {
            let mut inputs = Vec::new();
            for i in &order {
                inputs.extend(["-i", if *i == "G" { graph } else { i }]);
            }
            let out = trustpath()
                .args(&inputs)
                .args(["--at", AT])
                .args(args)
                .output()
                .expect("runs");
            (out.status.code(), out.stdout, out.stderr)
        };
        for args in [
            &["export", "--format", "json"][..],
            &["blast", "--format", "json", "-c", "test:contractor-laptop"],
        ] {
            let (json, snapshot) = (run(&graph_json, args), run(&snap, args));
            assert_eq!(json.0, snapshot.0, "{what} {args:?}: exit status");
            assert!(json.1 == snapshot.1, "{what} {args:?}: output differs");
            // The same warnings, but for where in the graph's file a node defined again
            // sits: its place in the JSON's key order, its record in the snapshot.
            let warnings = |e: &[u8]| -> Vec<String> {
                String::from_utf8_lossy(e)
                    .lines()
                    .map(|line| match line.split_once(": node '") {
                        Some((_, rest)) => rest.to_string(),
                        None => line
                            .replace(graph_json.as_str(), "G")
                            .replace(snap.as_str(), "G"),
                    })
                    .collect()
            };
            assert_eq!(warnings(&json.2), warnings(&snapshot.2), "{what} {args:?}");
        }
    }
}

#[test]
fn another_format_is_refused_by_name() {
    let mut bytes = snapshot_of(&sample());
    bytes[8] = 9;
    let err = reload(bytes).expect_err("refused");
    assert!(err.contains("graph.tpsnap"), "{err}");
    assert!(err.contains("format 9"), "{err}");
    assert!(err.contains("import the inputs again"), "{err}");
}

#[test]
fn a_truncated_snapshot_is_refused() {
    let bytes = snapshot_of(&sample());
    for keep in [bytes.len() - 1, bytes.len() / 2, 40, 31, 9] {
        let err = reload(bytes[..keep].to_vec()).expect_err("refused");
        assert!(err.contains("graph.tpsnap"), "{keep}: {err}");
    }
}

#[test]
fn a_damaged_snapshot_file_is_refused_by_name() {
    // Read from a file, a snapshot is streamed: the checksum is checked as it is read,
    // and damage found at the end still fails the whole load.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("incident.tpsnap");
    let name = path.to_string_lossy().into_owned();
    trustpath()
        .args(["import", "--at", AT, "--save", &name])
        .assert()
        .success();
    let good = std::fs::read(&path).expect("written");
    let middle = good.len() / 2;
    let mut flipped = good.clone();
    flipped[middle] ^= 0x10;
    for (damage, bytes) in [("flipped", flipped), ("truncated", good[..middle].to_vec())] {
        std::fs::write(&path, &bytes).expect("write");
        let out = trustpath()
            .args(["-i", &name, "--at", AT, "blast"])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{damage}: {stderr}");
        assert!(stderr.contains("incident.tpsnap"), "{damage}: {stderr}");
        assert!(stderr.contains("snapshot"), "{damage}: {stderr}");
        assert!(out.stdout.is_empty(), "{damage}: printed a result");
    }
}

/// A snapshot large enough to be mapped (past 4 MiB) is decoded where it lies, its
/// checksum summed on a second core: it answers as its JSON does and as the same file
/// read as a stream, and damage to it is refused by name all the same.
#[test]
fn a_mapped_snapshot_reads_as_a_streamed_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (graph_json, snap) = (path("gen.json"), path("big.tpsnap"));
    trustpath()
        .args(["gen", "--nodes", "12000", "--seed", "5", "-o", &graph_json])
        .assert()
        .success();
    trustpath()
        .args(["import", "-i", &graph_json, "--at", AT, "--save", &snap])
        .assert()
        .success();
    let good = std::fs::read(&snap).expect("written");
    assert!(
        good.len() > 4 << 20,
        "too small to be mapped: {}",
        good.len()
    );
    let source = "github:workflow:gen-org/team-0000/.github/workflows/ci-0000000.yml";
    let blast = |input: &str, mapped: bool| {
        let mut command = trustpath();
        if !mapped {
            command.env("TRUSTPATH_NO_MMAP", "1");
        }
        command
            .args([
                "-i", input, "--at", AT, "blast", "-c", source, "--format", "json",
            ])
            .output()
            .expect("runs")
    };
    let from_json = blast(&graph_json, true);
    assert_eq!(from_json.status.code(), Some(0));
    for mapped in [true, false] {
        let out = blast(&snap, mapped);
        assert_eq!(out.status.code(), Some(0), "mapped: {mapped}");
        assert!(
            out.stdout == from_json.stdout,
            "mapped: {mapped}: output differs"
        );
    }
    let mut flipped = good.clone();
    flipped[good.len() * 2 / 3] ^= 0x04;
    let mut extended = good.clone();
    extended.push(0);
    for (damage, bytes) in [
        ("flipped", flipped),
        ("truncated", good[..good.len() - 4096].to_vec()),
        ("extended", extended),
    ] {
        std::fs::write(&snap, &bytes).expect("write");
        let out = blast(&snap, true);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{damage}: {stderr}");
        assert!(stderr.contains("big.tpsnap"), "{damage}: {stderr}");
        assert!(stderr.contains("snapshot"), "{damage}: {stderr}");
        assert!(out.stdout.is_empty(), "{damage}: printed a result");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any flipped bit (header or payload) or lost tail is caught: by the magic, the
    /// format, the length or the checksum. Never a panic, never a graph.
    #[test]
    fn damage_is_always_refused(
        flips in prop::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..4),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = snapshot_of(&sample());
        for (at, bit) in &flips {
            let at = at.index(bytes.len());
            bytes[at] ^= 1 << bit;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len()));
        }
        // (Flips that cancel out leave the file intact.)
        if bytes != snapshot_of(&sample()) {
            prop_assert!(reload(bytes).is_err());
        }
    }

    /// A hostile snapshot whose checksum was made to match: every index is checked, so
    /// it loads as some graph or fails, and never panics.
    #[test]
    fn a_forged_checksum_never_panics(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = snapshot_of(&sample());
        for (at, value) in &edits {
            // Anywhere after the magic: the format, the reserved bytes, the length too.
            let at = 8 + at.index(bytes.len() - 8);
            bytes[at] = *value;
        }
        sign(&mut bytes);
        let _ = reload(bytes);
    }
}

/// The key order a snapshot keeps is what finds a key (binary search) and what proves
/// every key is there once: one that is not strictly increasing is refused, even with a
/// checksum made to match.
#[test]
fn a_wrong_key_order_is_refused() {
    let loaded = sample();
    let good = snapshot_of(&loaded);
    let n = loaded.graph.node_count();
    let order_at = tails_at(&loaded).0 + 4;
    let id = |bytes: &[u8], i: usize| {
        let at = order_at + 4 * i;
        u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
    };
    let count = u32::from_le_bytes(good[order_at - 4..order_at].try_into().expect("four bytes"));
    assert_eq!(count, n as u32, "the count before the ids");
    let (first, second) = (id(&good, 0), id(&good, 1));
    for (what, edits) in [
        ("swapped", vec![(0, second), (1, first)]),
        ("repeated", vec![(1, first)]),
        ("out of range", vec![(0, n as u32)]),
    ] {
        let err = reload(with_words(&good, order_at, &edits)).expect_err(what);
        assert!(err.contains("key order"), "{what}: {err}");
    }
}

/// Where the key order and each node's edges out start (their counts) in a snapshot of
/// `loaded`: the payload ends with the key order (a count, then the ids), the edges (a
/// count, then eight words each), the edges out in the adjacency's order (a count, then
/// the ids) and the warnings (a count, then three string ids each).
fn tails_at(loaded: &Loaded) -> (usize, usize) {
    let (n, e) = (loaded.graph.node_count(), loaded.graph.edge_count());
    let out = snapshot_of(loaded).len() - (4 + 12 * loaded.warnings.len()) - (4 + 4 * e);
    (out - (4 + 32 * e) - (4 + 4 * n), out)
}

/// The adjacency a snapshot keeps is checked, not trusted: edges listed out of order,
/// twice, or in another node's run are sorted again, and every answer is the same.
#[test]
fn a_kept_adjacency_out_of_order_is_sorted_again() {
    let loaded = sample();
    let good = snapshot_of(&loaded);
    let e = loaded.graph.edge_count();
    let out_at = tails_at(&loaded).1 + 4;
    let answers = |bytes: Vec<u8>| {
        let back = reload(bytes).expect("loads");
        let g = &back.graph;
        let runs: Vec<String> = g
            .node_ids()
            .map(|id| {
                let out: Vec<_> = g.outgoing(id).collect();
                let inc: Vec<_> = g.incoming(id).collect();
                format!("{out:?} {inc:?}")
            })
            .collect();
        (json(&back), runs)
    };
    let expected = answers(good.clone());
    let word = |bytes: &[u8], i: usize| {
        let at = out_at + 4 * i;
        u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
    };
    for (what, edits) in [
        (
            "swapped",
            vec![(0, word(&good, e - 1)), (e - 1, word(&good, 0))],
        ),
        ("repeated", vec![(1, word(&good, 0))]),
        ("out of range", vec![(0, e as u32)]),
    ] {
        assert!(
            answers(with_words(&good, out_at, &edits)) == expected,
            "{what}"
        );
    }
}

/// A snapshot written by hand: one 1 MiB string named by 3,000 nodes, in a file of
/// about 1 MiB. Read in place it costs nothing, but copied out (another input beside it,
/// an overlay) it would take 3 GB; it is refused instead. So is the same string named by
/// 3,000 warnings, which a load copies.
#[test]
fn one_string_named_a_million_times_is_refused() {
    for (named_by_nodes, named_by_warnings) in [(true, false), (false, true)] {
        let bytes = one_long_string(named_by_nodes, named_by_warnings);
        let err = reload(bytes).expect_err("refused");
        assert!(err.contains("repeated"), "{err}");
    }
    let harmless = one_long_string(false, false);
    assert!(
        reload(harmless).is_ok(),
        "named once, the long string is fine"
    );
}

/// The snapshot of [`one_string_named_a_million_times_is_refused`]: 3,000 nodes and as
/// many warnings, naming a 1 MiB string as their name and message, or a short one.
fn one_long_string(named_by_nodes: bool, named_by_warnings: bool) -> Vec<u8> {
    const NONE: u32 = u32::MAX;
    let long = "x".repeat(1 << 20);
    let mut strings: Vec<String> = vec!["{}".into(), "workload".into(), long];
    let nodes = 3_000u32;
    strings.extend((0..nodes).map(|i| format!("k{i}")));
    let mut payload = Vec::new();
    let u32le = |p: &mut Vec<u8>, v: u32| p.extend_from_slice(&v.to_le_bytes());
    u32le(&mut payload, strings.len() as u32);
    let total: usize = strings.iter().map(String::len).sum();
    payload.extend_from_slice(&(total as u64).to_le_bytes());
    let mut end = 0;
    for s in &strings {
        end += s.len() as u32;
        u32le(&mut payload, end);
    }
    for s in &strings {
        payload.extend_from_slice(s.as_bytes());
    }
    for word in [
        0, // writer: "{}"
        0, // metadata: "{}"
        1, 0, // sources: "{}"
        1, 1, // node kinds: "workload"
        0, // edge kinds
        1, 0, 0, // revoke lists: the empty one
        0, // revoke entries
        0, // revoke commands
        0, // reasons
        1, 0, 0, 0, // places: the placeholder
        1, NONE, 0, // conditions: the placeholder
        0, // tags
        0, // credentials
    ] {
        u32le(&mut payload, word);
    }
    u32le(&mut payload, nodes);
    for i in 0..nodes {
        // Key, platform, name (the long string), no texts, tags, credential, revoke list,
        // source, place, and kind 0 of the table ("workload").
        let name = if named_by_nodes { 2 } else { 3 + i };
        for word in [
            3 + i,
            1,
            name,
            NONE,
            NONE,
            NONE,
            NONE,
            0,
            0,
            NONE,
            0,
            0,
            0,
            0,
        ] {
            u32le(&mut payload, word);
        }
    }
    let mut order: Vec<u32> = (0..nodes).collect();
    order.sort_by_key(|&i| format!("k{i}"));
    u32le(&mut payload, nodes);
    for id in order {
        u32le(&mut payload, id);
    }
    u32le(&mut payload, 0); // edges
    u32le(&mut payload, 0); // edges out of each node
    u32le(&mut payload, nodes); // warnings: file, place, message
    for i in 0..nodes {
        let message = if named_by_warnings { 2 } else { 3 + i };
        for word in [0, 0, message] {
            u32le(&mut payload, word);
        }
    }
    let mut bytes = b"TPSNAP\r\n".to_vec();
    bytes.extend_from_slice(&3u32.to_le_bytes());
    bytes.extend_from_slice(&[0; 4]);
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&u64::from(crc32(&payload)).to_le_bytes());
    bytes.extend_from_slice(&payload);
    bytes
}

/// `good` with the 32-bit words `edits` (index, value) written from byte `at`, and a
/// checksum made to match: a hostile file, not a damaged one.
fn with_words(good: &[u8], at: usize, edits: &[(usize, u32)]) -> Vec<u8> {
    let mut bytes = good.to_vec();
    for &(i, value) in edits {
        let at = at + 4 * i;
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }
    sign(&mut bytes);
    bytes
}

/// Makes the header's checksum match the payload.
fn sign(bytes: &mut [u8]) {
    let crc = u64::from(crc32(&bytes[32..]));
    bytes[24..32].copy_from_slice(&crc.to_le_bytes());
}

/// CRC-32 (IEEE), as the snapshot header holds it: written out here so the test does
/// not trust the code it checks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
