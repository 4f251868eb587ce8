//! The exports read by the tools they are for, here: networkx reads the GraphML and finds
//! the same blast radius as `trustpath blast`; the OpenGraph document passes BloodHound's
//! published node and edge schemas (as the `bhopengraph` package embeds them) and its
//! edges, all followed as BloodHound follows them, give the same blast radius; FalkorDB
//! (embedded by `falkordblite`) loads the Cypher script and a variable-length path query
//! finds the same blast radius, and hostile keys come back from it unchanged.
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

/// The sample as trustpath sees it: `import`'s counts and `blast`'s radius.
struct Sample {
    imported: serde_json::Value,
    blast: serde_json::Value,
}

impl Sample {
    fn load() -> Sample {
        let json = |args: &[&str]| serde_json::from_str(&stdout_of(args)).expect("json");
        Sample {
            imported: json(&["import", "--format", "json"]),
            blast: json(&["blast", "--format", "json", "--at", AT]),
        }
    }

    /// The node the blast radius starts from.
    fn start(&self) -> &str {
        self.blast["compromised"][0]
            .as_str()
            .expect("a compromised node")
    }
}

/// The sample exported as `format` (with `more` options, as of [`AT`]) into `dir/name`.
fn sample_export(
    dir: &std::path::Path,
    name: &str,
    format: &str,
    more: &[&str],
) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut args = vec!["export", "--format", format, "--at", AT];
    args.extend_from_slice(more);
    std::fs::write(&path, stdout_of(&args)).expect("writes");
    path
}

/// What a consumer's script prints, as JSON.
fn read_by(python: &str, script: &str, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&run_python(python, script, args)).expect("json")
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
    let graphml = sample_export(dir.path(), "sample.graphml", "graphml", &[]);
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
    let sample = Sample::load();
    let read = read_by(
        &python,
        script,
        &[graphml.to_str().expect("utf-8"), sample.start()],
    );
    assert_eq!(read["nodes"], sample.imported["nodes"]);
    assert_eq!(read["edges"], sample.imported["edges"]);
    same_blast_radius(&read, &sample.blast);
    assert!(
        !read["unusable"].as_array().expect("listed").is_empty(),
        "the sample has dead keys in reach"
    );
}

/// The sample as BloodHound OpenGraph: every node and edge valid against the published
/// schemas, every edge's ends present, kinds prefixed; the edges are the ones an attacker
/// can use (the GraphML's that are not dormant and leave a usable node), so following
/// every edge, as BloodHound's pathfinding does, gives the blast radius.
#[test]
fn the_opengraph_export_passes_bloodhounds_schemas() {
    let Some(python) = python_with(&["bhopengraph", "jsonschema", "networkx"]) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let document = sample_export(dir.path(), "sample.opengraph.json", "opengraph", &[]);
    let graphml = sample_export(dir.path(), "sample.graphml", "graphml", &[]);
    let script = r#"
import json, sys
import jsonschema
import networkx as nx
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
kind_name = lambda snake: "TP_" + "".join(w[:1].upper() + w[1:] for w in snake.split("_"))
# BloodHound follows every edge: only those an attacker can use are there, and they are
# exactly the GraphML's edges that are not dormant and leave a usable node.
out = {}
for e in edges:
    assert e["start"]["value"] in ids and e["end"]["value"] in ids
    out.setdefault(e["start"]["value"], []).append(e["end"]["value"])
ours = sorted((e["start"]["value"], e["kind"], e["end"]["value"]) for e in edges)
g = nx.read_graphml(sys.argv[3])
key = {n: data["key"] for n, data in g.nodes(data=True)}
usable = sorted(
    (key[a], kind_name(data["kind"]), key[b])
    for a, b, data in g.edges(data=True)
    if not data["dormant"] and g.nodes[a]["usable"]
)
assert ours == usable, (len(ours), len(usable))
assert len(usable) < g.number_of_edges(), "the sample has dormant edges or dead keys with edges"
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
    let sample = Sample::load();
    let read = read_by(
        &python,
        script,
        &[
            document.to_str().expect("utf-8"),
            sample.start(),
            graphml.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(read["nodes"], sample.imported["nodes"]);
    same_blast_radius(&read, &sample.blast);
}

/// Loads a Cypher export into FalkorDB (embedded by `falkordblite`) statement by
/// statement, as the script promises they split (a blank line after each), and prints
/// the node and relationship counts, every node's id, and what a variable-length path
/// query reaches from `argv[2]` over relationships an attacker can use.
const FALKORDB_LOAD: &str = r#"
import json, os, sys, tempfile
from redislite.falkordb_client import FalkorDB
script = open(sys.argv[1], encoding="utf-8").read()
db = FalkorDB(os.path.join(tempfile.mkdtemp(), "tp.db"))
g = db.select_graph("tp")
for chunk in script.split("\n\n"):
    lines = [l for l in chunk.split("\n") if l and not l.startswith("//")]
    if lines:
        statement = "\n".join(lines)
        assert statement.endswith(";"), statement
        g.query(statement)
count = lambda q: g.query(q).result_set[0][0]
ids = [row[0] for row in g.query("MATCH (n:TP_Node) RETURN n.id ORDER BY n.id").result_set]
# A path an attacker can walk: no dormant relationship, and none out of a dead credential.
walked = g.query(
    "MATCH p = (s:TP_Node {id: $start})-[*1..]->(b:TP_Node) "
    "WHERE all(r IN relationships(p) WHERE r.dormant = false AND startNode(r).usable = true) "
    "RETURN DISTINCT b.id, b.usable",
    {"start": sys.argv[2]},
).result_set
start = g.query("MATCH (s:TP_Node {id: $start}) RETURN s.usable", {"start": sys.argv[2]}).result_set
found = {row[0]: row[1] for row in walked} | {sys.argv[2]: start[0][0]}
print(json.dumps({
    "nodes": count("MATCH (n) RETURN count(n)"),
    "edges": count("MATCH ()-[r]->() RETURN count(r)"),
    "ids": ids,
    "labels": sorted({l for row in g.query("MATCH (n) RETURN labels(n)").result_set for l in row[0]}),
    "reached": sorted(n for n, usable in found.items() if usable),
    "unusable": sorted(n for n, usable in found.items() if not usable),
}))
"#;

/// The sample's Cypher export, loaded into FalkorDB: the same nodes and relationships as
/// `import`, and a variable-length path query from the compromised action over usable
/// relationships reaches what `trustpath blast` reaches.
#[test]
fn falkordb_loads_the_cypher_export_and_finds_the_blast_radius() {
    let Some(python) = python_with(&["redislite.falkordb_client"]) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let script = sample_export(
        dir.path(),
        "sample.cypher",
        "cypher",
        &["--dialect", "falkordb"],
    );
    let sample = Sample::load();
    let read = read_by(
        &python,
        FALKORDB_LOAD,
        &[script.to_str().expect("utf-8"), sample.start()],
    );
    assert_eq!(read["nodes"], sample.imported["nodes"]);
    assert_eq!(read["edges"], sample.imported["edges"]);
    same_blast_radius(&read, &sample.blast);
    let labels = read["labels"].as_array().expect("listed");
    assert!(labels.iter().any(|l| l == "TP_Node") && labels.iter().any(|l| l == "TP_Role"));
}

/// Keys that try to leave their string literal (quotes, backslashes, `}] AS row`, line
/// breaks) come back from FalkorDB exactly as they went in, and the relationship between
/// two of them is there; terminal escapes and direction marks, which FalkorDB cannot
/// read from an escape, come back as U+FFFD, and the export says so.
#[test]
fn hostile_keys_survive_the_cypher_export() {
    let Some(python) = python_with(&["redislite.falkordb_client"]) else {
        return;
    };
    let keys = [
        "arn:aws:iam::111122223333:role/x'}] AS row MATCH (n) DETACH DELETE n //",
        "k8s:prod:sa:ns/a\n\nMATCH (n) DETACH DELETE n;",
        "vault:role:approle/back\\slash\\'",
        "gcp:sa:\u{1b}]0;title\u{7}@p.iam.gserviceaccount.com\t\r",
        "github:repo:acme/\u{202e}txt.exe ✓ 😀",
    ];
    let doc = serde_json::json!({
        "schema": "trustpath/graph/v1",
        "nodes": keys.iter().map(|k| serde_json::json!({"id": k, "kind": "role"})).collect::<Vec<_>>(),
        "edges": [{ "from": keys[0], "to": keys[1], "kind": "can_assume", "reason": "it's \"trusted\"\n; really" }]
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("hostile.graph.json");
    std::fs::write(&input, doc.to_string()).expect("write");
    let script = dir.path().join("hostile.cypher");
    let out = common::trustpath()
        .args(["-i", input.to_str().expect("utf-8")])
        .args(["export", "--format", "cypher", "--dialect", "falkordb"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("warning: 2 node keys hold control"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&script, &out.stdout).expect("writes");
    let read = read_by(
        &python,
        FALKORDB_LOAD,
        &[script.to_str().expect("utf-8"), keys[0]],
    );
    let mut expected: Vec<String> = keys
        .iter()
        .map(|k| k.replace(['\u{1b}', '\u{7}', '\u{202e}'], "\u{FFFD}"))
        .collect();
    expected.sort_unstable();
    assert_eq!(read["ids"], serde_json::json!(expected));
    assert_eq!(read["nodes"], 5);
    assert_eq!(read["edges"], 1);
    let mut reached = vec![keys[0], keys[1]];
    reached.sort_unstable();
    assert_eq!(read["reached"], serde_json::json!(reached));
}
