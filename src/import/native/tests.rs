//! The native reader: fields, sharing, errors, and the window it reads through.

use std::io;

use proptest::prelude::*;

use super::read_through;
use super::window::Window;
use crate::import::{Builder, Input, Loaded, load_inputs};
use crate::model::{EdgeKind, Place};

fn load(json: &str) -> Loaded {
    load_inputs([Input::bytes("t.json", json.as_bytes().to_vec())]).expect("loads")
}

#[test]
fn unknown_fields_are_reported_once_per_field() {
    let loaded = load(
        r#"{"schema": "trustpath/graph/v1", "extra": 1,
            "nodes": [{"id": "a", "kind": "role", "colour": "red"},
                      {"id": "b", "kind": "role", "colour": "blue"}],
            "edges": []}"#,
    );
    let messages: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "t.json:/extra: unknown top-level field 'extra' ignored",
            "t.json:/nodes/0/colour: unknown field 'nodes[].colour' ignored (2 times)",
        ]
    );
}

#[test]
fn duplicates_and_dangling_edges_are_warnings() {
    let loaded = load(
        r#"{"schema": "trustpath/graph/v1",
            "nodes": [{"id": "a", "kind": "role"}, {"id": "a", "kind": "group"}],
            "edges": [{"from": "a", "to": "missing", "kind": "can_assume"}]}"#,
    );
    assert_eq!(loaded.graph.node_count(), 1);
    assert_eq!(loaded.graph.edge_count(), 0);
    let messages: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "t.json:/nodes/1: node 'a' is defined again; this definition is ignored (the one kept came from t.json:/nodes/0)",
            "t.json:/edges/0: can_assume edge a -> missing skipped: unknown node 'missing'",
        ]
    );
}

#[test]
fn edges_may_come_before_their_nodes_and_keep_provenance() {
    let loaded = load(
        r#"{"schema": "trustpath/graph/v1",
            "edges": [{"from": "a", "to": "b", "kind": "member_of", "reason": "r",
                       "conditions": ["MFA present"]}],
            "nodes": [{"id": "a", "kind": "human"},
                      {"id": "b", "kind": "group",
                       "provenance": {"file": "orig.json", "at": "/Groups/3"}}]}"#,
    );
    let g = &loaded.graph;
    let e = g.edge_ids().next().expect("one edge");
    assert_eq!(g.edge(e).kind, EdgeKind::MemberOf);
    assert_eq!(g.edge(e).conditions[0].description, "MFA present");
    assert_eq!(g.edge(e).provenance.place, Place::Edge(0));
    let b = g.node(g.find("b").expect("b"));
    assert_eq!(g.source_name(b.provenance.source), "orig.json");
    assert_eq!(b.provenance.place, Place::Other("/Groups/3".into()));
}

/// Edges giving the same reason share one string, and consecutive edges listing the
/// same revoke entries (a policy's grants) share one list; different ones stay apart.
#[test]
fn same_reasons_and_revoke_lists_are_shared() {
    let loaded = load(
        r#"{"schema": "trustpath/graph/v1",
            "nodes": [{"id": "r", "kind": "role"}, {"id": "x", "kind": "resource"},
                      {"id": "y", "kind": "resource"}, {"id": "z", "kind": "resource"}],
            "edges": [
              {"from": "r", "to": "x", "kind": "can_access", "reason": "policy P",
               "revoke": [{"id": "detach:P", "action": "detach_policy"}]},
              {"from": "r", "to": "y", "kind": "can_access", "reason": "policy P",
               "revoke": [{"id": "detach:P", "action": "detach_policy"}]},
              {"from": "r", "to": "z", "kind": "can_access", "reason": "policy Q",
               "revoke": [{"id": "detach:Q", "action": "detach_policy"}]}]}"#,
    );
    let g = &loaded.graph;
    let edge = |to: &str| {
        let to = g.find(to).expect("node");
        let e = g.edge_ids().find(|&e| g.endpoints(e).1 == to);
        g.edge(e.expect("edge"))
    };
    let (x, y, z) = (edge("x"), edge("y"), edge("z"));
    assert!(std::sync::Arc::ptr_eq(x.reason, y.reason));
    assert!(std::ptr::eq(x.revoke.get(), y.revoke.get()));
    assert_eq!(&**z.reason, "policy Q");
    assert_eq!(z.revoke[0].id, "detach:Q");
    assert_eq!(x.revoke[0].id, "detach:P");
}

#[test]
fn wrong_schema_and_bad_values_are_errors_with_a_place() {
    let err = load_inputs([Input::bytes(
        "t.json",
        br#"{"schema": "trustpath/graph/v2", "nodes": []}"#.to_vec(),
    )])
    .expect_err("v2 is not read");
    assert!(err.to_string().starts_with("t.json:1:"), "{err}");
    assert!(
        err.to_string()
            .contains("unsupported schema 'trustpath/graph/v2'")
    );
    let err = load_inputs([Input::bytes(
        "t.json",
        br#"{"schema": "trustpath/graph/v1", "nodes": [{"id": "a", "kind": "role", "criticality": 11}]}"#
            .to_vec(),
    )])
    .expect_err("criticality over 10");
    assert!(
        err.to_string()
            .contains("criticality 11 is out of range 0-10"),
        "{err}"
    );
}

/// A reader handing out at most `chunk` bytes per read, as a pipe may.
struct Trickle<'a> {
    rest: &'a [u8],
    chunk: usize,
}

impl io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.rest.len().min(self.chunk).min(buf.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

/// The graph (as native JSON) and warnings read from `text` through a window that starts
/// at `window` bytes and a reader giving `chunk` bytes at a time; or the error.
fn read_with(text: &[u8], window: usize, chunk: usize) -> Result<(String, Vec<String>), String> {
    read_ahead(text, window, chunk, usize::MAX).map(|(read, _)| read.0)
}

/// What was read, as [`read_with`] says it and as a snapshot (which shows what revoke
/// lists share), with a helper reading ahead from windows holding `shared` bytes; and how
/// much the helper read.
type Read = ((String, Vec<String>), Vec<u8>);

fn read_ahead(
    text: &[u8],
    window: usize,
    chunk: usize,
    shared: usize,
) -> Result<(Read, super::Shared), String> {
    let reader = Trickle { rest: text, chunk };
    let streamed = read_into(Window::new(reader, "t.json", window), shared);
    // Held in memory, the window views the bytes where they are: everything read, every
    // error and every share of the helper is the same.
    let (mut moved, released) = (Vec::new(), std::cell::RefCell::new(Vec::new()));
    let mut tell = |n| moved.push(n);
    let release = |n| released.borrow_mut().push(n);
    let over = Window::over(text, "t.json", window, &mut tell, &release);
    let in_place = read_into(over, shared);
    assert_eq!(
        format!("{streamed:?}"),
        format!("{in_place:?}"),
        "read in place as streamed"
    );
    assert!(moved.is_sorted() && moved.last().is_none_or(|&n| n <= text.len()));
    assert!(released.borrow().is_sorted());
    streamed
}

fn read_into(
    window: Window<'_, '_, impl io::Read>,
    shared: usize,
) -> Result<(Read, super::Shared), String> {
    let mut builder = Builder::new(jiff::Timestamp::UNIX_EPOCH);
    builder.begin_file("t.json");
    let helped = read_through(window, "t.json", &mut builder, shared).map_err(|e| e.to_string())?;
    let (graph, warnings, _) = builder.finish();
    let mut out = Vec::new();
    crate::report::json::write_graph(&mut out, &graph, &|_| true).expect("writes");
    let mut snapshot = Vec::new();
    crate::import::snapshot::write(&mut snapshot, &graph, &warnings).expect("writes");
    let warnings = warnings.iter().map(ToString::to_string).collect();
    let json = String::from_utf8(out).expect("UTF-8");
    Ok((((json, warnings), snapshot), helped))
}

/// A document with every kind of value the reader handles: escapes and non-ASCII text,
/// numbers and literals at the top level, nested unknown fields, conditions both ways.
const DOCUMENT: &str = r#"{"schema": "trustpath/graph/v1", "count": 12345, "flag": true,
 "metadata": {"suggested_compromised": "key:\u00e9t\u00e9", "n": [1, 2.5e3, null]},
 "nodes": [
  {"id": "key:\u00e9t\u00e9", "kind": "credential", "name": "cl\u00e9 \"quoted\"",
   "credential": {"type": "access_key", "status": "active", "created": "2025-01-02T03:04:05Z",
                  "rotation": "never"}},
  {"id": "role:r", "kind": "role", "criticality": 7, "admin": true, "tags": {"team": "p\u00e4"},
   "revoke": [{"id": "rs:r", "action": "revoke_sessions", "cost": 2, "note": "x"}]},
  {"id": "db:d", "kind": "resource", "colour": "red", "provenance": {"file": "o.json", "at": "/R/1"}}
 ],
 "edges": [
  {"from": "key:\u00e9t\u00e9", "to": "role:r", "kind": "authenticates_as", "reason": "key of r"},
  {"from": "role:r", "to": "db:d", "kind": "can_access", "level": "admin", "reason": "policy \u2603",
   "conditions": ["MFA", {"description": "ip", "key": "aws:SourceIp", "values": ["10.0.0.0/8"], "why": 1}],
   "revoke": [{"id": "detach:P", "action": "detach_policy", "commands": ["aws iam detach-role-policy"]}]},
  {"from": "role:r", "to": "db:d", "kind": "can_read", "reason": "policy \u2603",
   "revoke": [{"id": "detach:P", "action": "detach_policy", "commands": ["aws iam detach-role-policy"]}]}
 ],
 "trailer": -0.5e-3}
"#;

/// Every value of the document cut at every place by the window's end, read from a pipe
/// a byte at a time or in larger pieces: the same graph and warnings as read whole.
#[test]
fn values_cut_by_the_window_read_as_whole() {
    let whole = read_with(DOCUMENT.as_bytes(), super::window::WINDOW, usize::MAX).expect("reads");
    for field in [
        "'nodes[].credential.rotation'",
        "'edges[].conditions.1.why'",
        "'nodes[].revoke.0.note'",
    ] {
        assert!(
            whole.1.iter().any(|w| w.contains(field)),
            "{field}: {:?}",
            whole.1
        );
    }
    assert!(whole.0.contains("clé \\\"quoted\\\""), "{}", whole.0);
    for window in 1..=80 {
        for chunk in [1, 7, usize::MAX] {
            let read = read_with(DOCUMENT.as_bytes(), window, chunk).expect("reads");
            assert_eq!(read, whole, "window {window}, chunk {chunk}");
            for shared in [1, 24] {
                let (read, _) =
                    read_ahead(DOCUMENT.as_bytes(), window, chunk, shared).expect("reads");
                assert_eq!(
                    read.0, whole,
                    "window {window}, chunk {chunk}, shared {shared}"
                );
            }
        }
    }
}

/// An error is said at the same place, in the same words, whatever the window.
#[test]
fn errors_are_placed_in_the_file() {
    let cases = [
        // (document, error): the places serde_json gives reading the text whole, but for
        // a value refused by its type (a byte earlier from a slice than from a stream).
        (
            r#"{"schema": "trustpath/graph/v1", "nodes": [
  {"id": "a", "kind": "role"},
  {"id": "b", "kind": "rol"}]}"#,
            "t.json:3:27: unknown variant `rol`, expected one of",
        ),
        (
            r#"{"schema": "trustpath/graph/v1", "nodes": [
  {"id": "a", "kind": "role"}
  {"id": "b", "kind": "role"}]}"#,
            "t.json:3:3: expected `,` or `]`",
        ),
        (
            r#"{"schema": "trustpath/graph/v1", "nodes": [{"id": "a", "kind": "role"}"#,
            "t.json:1:70: EOF while parsing a list",
        ),
        (
            r#"{"schema": "trustpath/graph/v1", "nodes": [{"id": "a", "kind": "role""#,
            "t.json:1:69: EOF while parsing an object",
        ),
        (
            r#"{"schema": "trustpath/graph/v1", "nodes": [{"id": "a", "kind": "role"},]}"#,
            "t.json:1:72: trailing comma",
        ),
        (
            r#"{"schema": "trustpath/graph/v1", "nodes": {}}"#,
            "t.json:1:42: invalid type: map, expected an array",
        ),
        (
            r#"{"schema": "trustpath/graph/v1"} x"#,
            "t.json:1:34: trailing characters",
        ),
        (r#"{"nodes": []}"#, "t.json:1:13: no \"schema\" field"),
        (
            r#"{"schema": "trustpath/graph/v1", "edges": [{"from": "a", "to": "b", "kind": "member_of", "dormant": 3}]}"#,
            "t.json:1:101: invalid type: integer `…`, expected a boolean",
        ),
    ];
    for (text, expected) in cases {
        for window in [1, 5, 16, super::window::WINDOW] {
            for shared in [1, usize::MAX] {
                let err = read_ahead(text.as_bytes(), window, 3, shared).expect_err(text);
                assert!(
                    err.starts_with(expected),
                    "window {window}, shared {shared}: {err}\n  expected {expected}"
                );
            }
        }
    }
}

proptest! {
    /// Whatever byte is changed or wherever the text ends, the outcome (graph and warnings,
    /// or the error and its place) does not depend on the window or on the pieces read.
    #[test]
    fn damage_reads_the_same_through_any_window(
        at in 0..DOCUMENT.len(),
        byte in prop::sample::select(b"{}[],:\"\\ \nx0-e".to_vec()),
        cut in any::<bool>(),
        window in 1usize..48,
        chunk in 1usize..64,
        shared in 1usize..96,
    ) {
        let mut text = DOCUMENT.as_bytes().to_vec();
        if cut {
            text.truncate(at);
        } else {
            text[at] = byte;
        }
        let whole = read_with(&text, super::window::WINDOW, usize::MAX);
        prop_assert_eq!(read_with(&text, window, chunk), whole.clone());
        let ahead = read_ahead(&text, window, chunk, shared).map(|(read, _)| read.0);
        prop_assert_eq!(ahead, whole);
    }
}

/// An element with an unknown field is read as the old reader read every element: the
/// unknown value is skipped, not built (a number out of range, a lone surrogate, deep
/// nesting load with a warning), while a repeated known field is still refused, and an
/// error keeps its place in the element.
#[test]
fn elements_with_unknown_fields_are_read_as_strictly_as_others() {
    let schema = r#""schema": "trustpath/graph/v1""#;
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    for odd in ["1e400", r#""\ud800""#, deep.as_str()] {
        let text = format!(r#"{{{schema}, "nodes": [{{"id": "a", "kind": "role", "x": {odd}}}]}}"#);
        let (graph, warnings) = read_with(text.as_bytes(), 16, 5).expect(odd);
        assert!(graph.contains(r#""id":"a""#), "{graph}");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("unknown field 'nodes[].x'"),
            "{warnings:?}"
        );
    }
    let repeated = format!(
        r#"{{{schema}, "nodes": [{{"id": "a", "kind": "role", "note": 1, "admin": true, "admin": false}}]}}"#
    );
    let err = read_with(repeated.as_bytes(), 16, 5).expect_err("a repeated field");
    assert!(err.contains("duplicate field `admin`"), "{err}");
    let placed = format!(
        "{{{schema},\n \"nodes\": [\n  {{\"id\": \"key:a\",\n   \"kind\": \"credential\",\n   \"note\": \"unknown\",\n   \"credential\": {{\n     \"created\": \"yesterday\"\n   }}}}\n ]}}"
    );
    let err = read_with(placed.as_bytes(), 16, 5).expect_err("a bad date");
    assert!(err.starts_with("t.json:7:"), "{err}");
    let twice =
        format!(r#"{{{schema}, "nodes": [{{"id": "a", "kind": "role", "u": 1, "u": 2}}]}}"#);
    let (_, warnings) = read_with(twice.as_bytes(), 16, 5).expect("loads");
    assert_eq!(
        warnings,
        ["t.json:/nodes/0/u: unknown field 'nodes[].u' ignored (2 times)"]
    );
}

/// A long document whose element boundaries are easy to guess wrong (reasons holding
/// `}, {`, revoke lists of objects inside edges), with provenance files first named midway,
/// unknown fields, warnings, repeated nodes and dangling edges: a helper reading ahead
/// takes much of it, and the graph, the warnings and the revoke lists shared are those of
/// the reader alone, through any window. An error past the middle is said the same too.
#[test]
fn a_helper_reading_ahead_changes_nothing() {
    let mut nodes = Vec::new();
    for i in 0..300 {
        let mut node = format!(r#"{{"id": "n{i}", "kind": "role", "name": "n}}, {{{i}"#);
        node.push('"');
        match i % 50 {
            7 => node.push_str(r#", "colour": "red""#),
            11 => node.push_str(r#", "credential": {"status": "wobbly"}"#),
            13 => node = format!(r#"{{"id": "n{}", "kind": "group""#, i - 1),
            17 => node.push_str(&format!(
                r#", "provenance": {{"file": "p{i}.json", "at": "/x"}}"#
            )),
            _ => {}
        }
        nodes.push(node + "}");
    }
    let mut edges = Vec::new();
    for i in 0..1500 {
        let to = if i % 97 == 5 {
            "gone".to_string()
        } else {
            format!("n{}", (i * 7 + 1) % 300)
        };
        let mut edge = format!(
            r#"{{"from": "n{}", "to": "{to}", "kind": "can_access", "reason": "r{}}},\n {{x"#,
            i % 300,
            i % 9
        );
        edge.push('"');
        if i % 5 != 0 {
            let policy = i / 20;
            edge.push_str(&format!(
                r#", "revoke": [{{"id": "a{policy}", "action": "detach_policy"}}, {{"id": "b{policy}", "action": "x", "cost": 2}}]"#
            ));
        }
        match i % 300 {
            41 => edge.push_str(r#", "why": 1"#),
            99 => edge.push_str(&format!(
                r#", "provenance": {{"file": "e{i}.json", "at": "/y"}}"#
            )),
            _ => {}
        }
        edges.push(edge + "}");
    }
    let document = |edges: &[String]| {
        format!(
            "{{\"schema\": \"trustpath/graph/v1\",\n\"nodes\": [\n{}],\n\"edges\": [\n{}]}}",
            nodes.join(",\n"),
            edges.join(", ")
        )
    };
    let text = document(&edges);
    let (alone, none) = read_ahead(text.as_bytes(), 4096, usize::MAX, usize::MAX).expect("reads");
    assert_eq!((none.taken, none.jobs), (0, 0));
    assert!(
        alone.0.1.iter().any(|w| w.contains("unknown field")),
        "{:?}",
        alone.0.1
    );
    let mut most = 0;
    for window in [256, 4096, 100_000, super::window::WINDOW] {
        for chunk in [1000, usize::MAX] {
            let (read, helped) = read_ahead(text.as_bytes(), window, chunk, 1).expect("reads");
            assert!(
                read == alone,
                "window {window}, chunk {chunk}: {:?}",
                read.0.1
            );
            assert!(helped.jobs as u64 <= helped.fills, "one job a window");
            most = most.max(helped.taken);
        }
    }
    // At best, the helper's share of every window (three eighths): 675.
    assert!(most > 450, "the helper read {most} of 1800 elements");

    edges[1300] = edges[1300].replacen(r#""from": "n100""#, r#""from": 100"#, 1);
    let broken = document(&edges);
    let expected = read_with(broken.as_bytes(), 4096, usize::MAX)
        .map(|_| ())
        .expect_err("an error");
    assert!(expected.contains("invalid type"), "{expected}");
    for window in [256, 4096, super::window::WINDOW] {
        let err = read_ahead(broken.as_bytes(), window, 1000, 1)
            .map(|_| ())
            .expect_err("an error");
        assert_eq!(err, expected, "window {window}");
    }
}

/// Many short lists (the keys may repeat) in one window, each naming a provenance file not
/// seen before: the helper is given one job per window, not one per list, so the work stays
/// that of the bytes (a job per list copied half the window and the map of files each
/// time). The graph is the reader's alone.
#[test]
fn short_lists_share_one_job_per_window() {
    let lists: Vec<String> = (0..400)
        .map(|i| {
            format!(
                r#""nodes": [{{"id": "a{i}", "kind": "role", "provenance": {{"file": "f{i}.json"}}}}, {{"id": "b{i}", "kind": "role"}}]"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"schema": "trustpath/graph/v1", {}}}"#,
        lists.join(", ")
    );
    let (alone, _) = read_ahead(text.as_bytes(), 1 << 20, usize::MAX, usize::MAX).expect("reads");
    for window in [512, 1 << 20] {
        let (read, helped) = read_ahead(text.as_bytes(), window, usize::MAX, 1).expect("reads");
        assert!(read == alone, "window {window}");
        assert!(
            helped.jobs as u64 <= helped.fills,
            "window {window}: {} jobs, {} fills",
            helped.jobs,
            helped.fills
        );
    }
}

/// A generated organisation (the shape `import --save` writes, 2,000 nodes) read through
/// 64 KiB windows with the helper as it runs in a real load: a quarter or more of the
/// elements are read ahead, and the graph, warnings and shared revoke lists are the reader's alone.
#[test]
fn a_generated_graph_reads_the_same_with_the_helper() {
    let mut text = Vec::new();
    crate::synth::generate(&mut text, 2000, 7).expect("generates");
    let (alone, _) = read_ahead(&text, 64 << 10, usize::MAX, usize::MAX).expect("reads");
    let (read, helped) =
        read_ahead(&text, 64 << 10, 1 << 20, super::ahead::MIN_SHARED / 2).expect("reads");
    assert!(read == alone);
    let elements = alone.0.0.matches("\"provenance\"").count();
    assert!(
        helped.taken * 4 > elements,
        "the helper read {} of {elements} elements",
        helped.taken
    );
}

/// A file large enough to be mapped (`import/mapped.rs`) loads as the same bytes held in
/// memory do, with or without a byte-order mark, reporting its progress as it goes; and
/// as streamed when mapping is turned off.
#[test]
fn a_mapped_file_reads_as_its_bytes() {
    use crate::import::Progress;
    let mut text = Vec::new();
    crate::synth::generate(&mut text, 5000, 3).expect("generates");
    assert!(
        text.len() > 4 << 20,
        "large enough to map: {} bytes",
        text.len()
    );
    let shown = |loaded: &Loaded| {
        let mut out = Vec::new();
        crate::report::json::write_graph(&mut out, &loaded.graph, &|_| true).expect("writes");
        (
            out,
            loaded
                .warnings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
        )
    };
    let held = shown(&load_inputs([Input::bytes("g.json", text.clone())]).expect("loads"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    for bom in [&b""[..], b"\xEF\xBB\xBF"] {
        let path = dir.path().join("g.json");
        std::fs::write(&path, [bom, &text].concat()).expect("writes");
        let file = std::fs::File::open(&path).expect("opens");
        let len = file.metadata().expect("a size").len();
        let map = crate::import::mapped::Mapped::of(&file, len).expect("mapped");
        assert_eq!(map.bytes().len() as u64, len);
        let mut reached = Vec::new();
        let loaded = crate::import::load_inputs_with(
            [Input::file(path.clone())],
            jiff::Timestamp::UNIX_EPOCH,
            &mut |p| {
                if let Progress::Reading { done, total, .. } = p {
                    reached.push((done, total));
                }
            },
        )
        .expect("loads");
        let mut mapped = shown(&loaded);
        // Provenance names the file given: the bytes' name was `g.json`.
        let name = path.display().to_string();
        mapped.0 = String::from_utf8(mapped.0)
            .expect("UTF-8")
            .replace(&name, "g.json")
            .into_bytes();
        assert!(mapped == held, "bom {bom:?}");
        let total = (bom.len() + text.len()) as u64;
        assert!(!reached.is_empty() && reached.is_sorted(), "{reached:?}");
        assert!(reached.iter().all(|&(done, t)| t == total && done <= total));
    }
}
