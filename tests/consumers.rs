//! The exports read by the tools they are for, here: networkx reads the GraphML and finds
//! the same blast radius as `trustpath blast`; the OpenGraph document passes BloodHound's
//! published node and edge schemas (as the `bhopengraph` package embeds them) and its
//! edges, followed, give the same blast radius.
//!
//! The Python with those packages is `$TRUSTPATH_TEST_PYTHON` (`.ci/run` makes a virtual
//! environment with them and sets it), else `python3` when it has them. Without either,
//! the test says so and passes, like the other tests of outside tools — but under CI
//! (`CI=true`, or `TRUSTPATH_REQUIRE_CONSUMERS` as `.ci/run` sets it) a missing consumer
//! is a failure.

mod common;

use std::process::Command;

use common::{AT, stdout_of};

/// A Python that imports `modules`, or `None` when there is none (and none is required).
fn python_with(modules: &[&str]) -> Option<String> {
    let required = std::env::var_os("TRUSTPATH_REQUIRE_CONSUMERS").is_some()
        || std::env::var("CI").is_ok_and(|v| v == "true");
    let python = std::env::var("TRUSTPATH_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let imports = format!("import {}", modules.join(", "));
    let works = Command::new(&python)
        .args(["-c", &imports])
        .output()
        .is_ok_and(|o| o.status.success());
    match (works, required) {
        (true, _) => Some(python),
        (false, true) => {
            panic!("{python} cannot `{imports}` and TRUSTPATH_REQUIRE_CONSUMERS is set")
        }
        (false, false) => {
            eprintln!("no Python with {modules:?}: skipping (CI runs it; see .ci/run)");
            None
        }
    }
}

fn run_python(python: &str, script: &str, args: &[&str]) -> String {
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// What a consumer found from the compromised node (`reached`: usable; `unusable`: dead
/// keys and expired tokens reached but not gone through) is `trustpath blast`'s `reached`
/// and `exposed_unusable`.
fn same_blast_radius(read: &serde_json::Value, blast: &serde_json::Value) {
    for (ours, theirs) in [("reached", "reached"), ("exposed_unusable", "unusable")] {
        let mut expected: Vec<&str> = blast[ours]
            .as_array()
            .expect("listed")
            .iter()
            .map(|r| r["id"].as_str().expect("id"))
            .collect();
        expected.sort_unstable();
        let found: Vec<&str> = read[theirs]
            .as_array()
            .expect("listed")
            .iter()
            .map(|r| r.as_str().expect("key"))
            .collect();
        assert_eq!(found, expected, "{ours}");
    }
}

/// networkx's `read_graphml` reads every node and edge, each node's `key` is its trustpath
/// key, and `descendants` over the edges an attacker can use (not dormant, from a usable
/// node) is the blast radius.
#[test]
fn networkx_reads_the_graphml_and_finds_the_blast_radius() {
    let Some(python) = python_with(&["networkx"]) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let graphml = dir.path().join("sample.graphml");
    std::fs::write(
        &graphml,
        stdout_of(&["export", "--format", "graphml", "--at", AT]),
    )
    .expect("writes");
    let script = r#"
import json, sys
import networkx as nx
g = nx.read_graphml(sys.argv[1])
# Node ids are positions; each node's trustpath key is its `key` attribute.
g = nx.relabel_nodes(g, {n: data["key"] for n, data in g.nodes(data=True)})
start = sys.argv[2]
usable = nx.DiGraph()
usable.add_nodes_from(g.nodes)
for a, b, data in g.edges(data=True):
    if not data["dormant"] and g.nodes[a]["usable"]:
        usable.add_edge(a, b)
found = nx.descendants(usable, start) | {start}
print(json.dumps({
    "nodes": g.number_of_nodes(),
    "edges": g.number_of_edges(),
    "reached": sorted(n for n in found if g.nodes[n]["usable"]),
    "unusable": sorted(n for n in found if not g.nodes[n]["usable"]),
}))
"#;
    let imported: serde_json::Value =
        serde_json::from_str(&stdout_of(&["import", "--format", "json"])).expect("json");
    let blast: serde_json::Value =
        serde_json::from_str(&stdout_of(&["blast", "--format", "json", "--at", AT])).expect("json");
    let start = blast["compromised"][0]["id"]
        .as_str()
        .or_else(|| blast["compromised"][0].as_str())
        .expect("a compromised node")
        .to_string();
    let read: serde_json::Value = serde_json::from_str(&run_python(
        &python,
        script,
        &[graphml.to_str().expect("utf-8"), &start],
    ))
    .expect("json");
    assert_eq!(read["nodes"], imported["nodes"]);
    assert_eq!(read["edges"], imported["edges"]);
    same_blast_radius(&read, &blast);
    assert!(
        !read["unusable"].as_array().expect("listed").is_empty(),
        "the sample has dead keys in reach"
    );
}

/// The sample as BloodHound OpenGraph: every node and edge valid against the published
/// schemas, every edge's ends present, kinds prefixed, and following the edges an
/// attacker can use gives the blast radius.
#[test]
fn the_opengraph_export_passes_bloodhounds_schemas() {
    let Some(python) = python_with(&["bhopengraph", "jsonschema"]) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let document = dir.path().join("sample.opengraph.json");
    std::fs::write(
        &document,
        stdout_of(&["export", "--format", "opengraph", "--at", AT]),
    )
    .expect("writes");
    let script = r#"
import json, sys
import jsonschema
from bhopengraph.Node import NODE_SCHEMA
from bhopengraph.Edge import EDGE_SCHEMA
doc = json.load(open(sys.argv[1]))
assert set(doc) == {"metadata", "graph"}, set(doc)
assert doc["metadata"]["source_kind"] == "TP_Base"
nodes, edges = doc["graph"]["nodes"], doc["graph"]["edges"]
for n in nodes:
    jsonschema.validate(n, NODE_SCHEMA)
    assert all(k.startswith("TP_") for k in n["kinds"]), n["kinds"]
    for value in n["properties"].values():
        assert value is not None and not isinstance(value, dict)
        if isinstance(value, list):
            assert len({type(v) for v in value}) <= 1
for e in edges:
    jsonschema.validate(e, EDGE_SCHEMA)
    assert e["kind"].startswith("TP_"), e["kind"]
ids = {n["id"]: n for n in nodes}
assert len(ids) == len(nodes), "ids are unique"
out = {}
for e in edges:
    assert e["start"]["value"] in ids and e["end"]["value"] in ids
    if not e["properties"]["dormant"] and ids[e["start"]["value"]]["properties"]["usable"]:
        out.setdefault(e["start"]["value"], []).append(e["end"]["value"])
start = sys.argv[2]
found, todo = {start}, [start]
while todo:
    for b in out.get(todo.pop(), []):
        if b not in found:
            found.add(b)
            todo.append(b)
print(json.dumps({
    "nodes": len(nodes),
    "edges": len(edges),
    "reached": sorted(n for n in found if ids[n]["properties"]["usable"]),
    "unusable": sorted(n for n in found if not ids[n]["properties"]["usable"]),
}))
"#;
    let imported: serde_json::Value =
        serde_json::from_str(&stdout_of(&["import", "--format", "json"])).expect("json");
    let blast: serde_json::Value =
        serde_json::from_str(&stdout_of(&["blast", "--format", "json", "--at", AT])).expect("json");
    let start = blast["compromised"][0]
        .as_str()
        .expect("a compromised node");
    let read: serde_json::Value = serde_json::from_str(&run_python(
        &python,
        script,
        &[document.to_str().expect("utf-8"), start],
    ))
    .expect("json");
    assert_eq!(read["nodes"], imported["nodes"]);
    assert_eq!(read["edges"], imported["edges"]);
    same_blast_radius(&read, &blast);
}
