//! Binary-level tests: every command and output format, golden outputs on the sample
//! incident (insta snapshots in tests/snapshots/), and every error path.

mod common;

use common::{AT, COMPROMISED, stdout_of, trustpath};
use predicates::prelude::*;

fn fixture(path: &str) -> String {
    format!("tests/fixtures/{path}")
}

// ----------------------------------------------------------------------------------
// Golden outputs on the sample incident

#[test]
fn import_sample_summary() {
    insta::assert_snapshot!("import_sample_text", stdout_of(&["import", "sample-data/"]));
    insta::assert_snapshot!(
        "import_sample_json",
        stdout_of(&["import", "sample-data/", "--format", "json"])
    );
}

#[test]
fn embedded_sample_equals_sample_data_directory() {
    let embedded = stdout_of(&["export", "--format", "json"]);
    let from_disk = stdout_of(&["-i", "sample-data", "export", "--format", "json"]);
    assert_eq!(embedded, from_disk, "the embedded sample is sample-data/");
}

#[test]
fn blast_sample_every_format() {
    for format in ["text", "json", "csv"] {
        let out = stdout_of(&["blast", "-c", COMPROMISED, "--at", AT, "--format", format]);
        insta::assert_snapshot!(format!("blast_sample_{format}"), out);
    }
}

#[test]
fn default_command_prints_the_sample_plan_when_not_a_terminal() {
    trustpath()
        .args(["--at", AT])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "Revocation plan for {COMPROMISED}"
        )))
        .stderr(predicate::str::contains("suggested_compromised"));
}

#[test]
fn path_sample_shortest_and_all() {
    let shortest = stdout_of(&["path", COMPROMISED, "admin", "--at", AT]);
    insta::assert_snapshot!("path_sample_shortest", shortest);
    let all = stdout_of(&[
        "path",
        COMPROMISED,
        "admin",
        "--all",
        "--max",
        "5",
        "--at",
        AT,
    ]);
    insta::assert_snapshot!("path_sample_all", all);
    let json = stdout_of(&[
        "path",
        COMPROMISED,
        "admin",
        "--all",
        "--max",
        "3",
        "--at",
        AT,
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(doc["schema"], "trustpath/path/v1");
    let hops: Vec<u64> = doc["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .map(|p| p["hops"].as_u64().expect("hops"))
        .collect();
    assert!(
        hops.windows(2).all(|w| w[0] <= w[1]),
        "shortest first: {hops:?}"
    );
}

#[test]
fn outputs_are_deterministic() {
    for args in [
        vec!["blast", "-c", COMPROMISED, "--at", AT, "--format", "json"],
        vec!["export", "--format", "dot", "-c", COMPROMISED, "--at", AT],
        vec!["path", COMPROMISED, "admin", "--all", "--at", AT],
    ] {
        assert_eq!(stdout_of(&args), stdout_of(&args), "{args:?}");
    }
}

// ----------------------------------------------------------------------------------
// Blast semantics on a small fixture

#[test]
fn inactive_and_expired_credentials_do_not_pass() {
    let graph = fixture("native/small.graph.json");
    let out = stdout_of(&["-i", &graph, "blast", "--at", AT, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let reached: Vec<&str> = doc["reached"]
        .as_array()
        .expect("reached")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert!(reached.contains(&"arn:aws:iam::111122223333:role/admin"));
    assert!(
        !reached.contains(&"arn:aws:iam::111122223333:user/old-admin"),
        "inactive key must not pass"
    );
    assert!(
        !reached.contains(&"vault:secret:secret/payments"),
        "expired token must not pass"
    );
    assert!(
        !reached.contains(&"AKIAINACTIVE00000001"),
        "unusable credentials are not counted"
    );
    let exposed: Vec<&str> = doc["exposed_unusable"]
        .as_array()
        .expect("exposed")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    // by depth, then key
    assert_eq!(exposed, ["vault:token:expired", "AKIAINACTIVE00000001"]);
    assert_eq!(doc["summary"]["admin_reached"], true);

    // Before the token expired, it passes.
    let before = stdout_of(&[
        "-i",
        &graph,
        "blast",
        "--at",
        "2026-01-01",
        "--format",
        "json",
    ]);
    assert!(before.contains("\"id\": \"vault:secret:secret/payments\""));
}

#[test]
fn conditional_reach_is_marked() {
    let graph = fixture("native/small.graph.json");
    let out = stdout_of(&["-i", &graph, "blast", "--at", AT, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let find = |id: &str| {
        doc["reached"]
            .as_array()
            .expect("reached")
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .expect("reached")
    };
    // admin is reached only through a potential escalation; customer-data only through
    // a conditional or potential edge: both are conditional.
    assert_eq!(
        find("arn:aws:iam::111122223333:role/admin")["conditional"],
        true
    );
    assert_eq!(find("arn:aws:s3:::customer-data")["conditional"], true);
    assert_eq!(
        find("arn:aws:iam::111122223333:role/deploy")["conditional"],
        false
    );
    let text = stdout_of(&["-i", &graph, "blast", "--at", AT]);
    assert!(text.contains("depend on conditions trustpath did not evaluate"));
}

// ----------------------------------------------------------------------------------
// Formats

#[test]
fn native_json_round_trip_is_lossless() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = stdout_of(&["export", "--format", "json"]);
    let saved = dir.path().join("sample.graph.json");
    std::fs::write(&saved, &first).expect("write");
    let second = stdout_of(&[
        "-i",
        saved.to_str().expect("utf-8 path"),
        "export",
        "--format",
        "json",
    ]);
    assert_eq!(first, second);

    // import --save writes the same document.
    let via_save = dir.path().join("saved.graph.json");
    trustpath()
        .args([
            "import",
            "sample-data",
            "--save",
            via_save.to_str().expect("utf-8"),
        ])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(via_save).expect("saved"), first);
}

#[test]
fn directories_are_walked_and_unknown_files_skipped() {
    let out = trustpath()
        .args(["import", &fixture("mixed")])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: tests/fixtures/mixed/notes.txt: skipped: not JSON",
        ))
        .stderr(predicate::str::contains(
            "warning: tests/fixtures/mixed/nested/inventory.csv:4: 'github:nothing:*' matches no node",
        ))
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).expect("utf-8");
    insta::assert_snapshot!("import_mixed", out);
    // the links file (nested) added an asserted edge; the overlay set owners.
    let json = stdout_of(&["-i", &fixture("mixed"), "export", "--format", "json"]);
    assert!(json.contains("\"asserted\":true"));
    assert!(json.contains("\"owner\":\"security\""));
    // the unknown file is reported on stderr by commands other than import
    trustpath()
        .args(["-i", &fixture("mixed"), "blast", "--at", AT])
        .assert()
        .success()
        .stderr(predicate::str::contains("notes.txt: skipped"));
}

#[test]
fn dot_escapes_hostile_names_exactly() {
    let out = stdout_of(&[
        "-i",
        &fixture("native/nasty-names.graph.json"),
        "export",
        "--format",
        "dot",
    ]);
    let line = out
        .lines()
        .find(|l| l.contains("tooltip=\"k8s:c:sa:ns/evil\""))
        .expect("the node is drawn");
    assert_eq!(
        line.trim(),
        r##"n0 [label="say \"hi\" \\ back\nslash &#60;b&#62;&#123;x&#125;&#124;y &#38; caf&#233; \\u{1b}[31mred\\u{1b}[0m\nservice_account", tooltip="k8s:c:sa:ns/evil", shape=box, fillcolor="#dbeafe"];"##
    );
    let edge = out
        .lines()
        .find(|l| l.contains("->"))
        .expect("the edge is drawn");
    assert_eq!(
        edge.trim(),
        r#"n0 -> n1 [label="can_read", tooltip="rule \"get\" on secrets\n(namespace ns)"];"#
    );
    assert!(out.is_ascii(), "DOT output is pure ASCII");
    render_with_graphviz(&out);
}

#[test]
fn dot_export_of_the_sample_renders() {
    let full = stdout_of(&["export", "--format", "dot", "-c", COMPROMISED, "--at", AT]);
    assert!(full.contains("subgraph cluster_"));
    assert!(full.contains("penwidth=3"), "compromised node highlighted");
    render_with_graphviz(&full);
    let blast_only = stdout_of(&[
        "export",
        "--format",
        "dot",
        "-c",
        COMPROMISED,
        "--blast-only",
        "--at",
        AT,
    ]);
    assert!(blast_only.lines().count() < full.lines().count());
    render_with_graphviz(&blast_only);
}

fn render_with_graphviz(dot: &str) {
    if !common::have("dot", &["-V"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("g.dot");
    std::fs::write(&file, dot).expect("write dot");
    let out = std::process::Command::new("dot")
        .arg("-Tsvg")
        .arg(&file)
        .output()
        .expect("graphviz `dot` is installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "dot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
}

// ----------------------------------------------------------------------------------
// Errors: one message naming the place, exit 2, nothing on stdout

fn fails_with(args: &[&str], stderr_has: &[&str]) {
    let mut assert = trustpath().args(args).assert().code(2).stdout("");
    for s in stderr_has {
        assert = assert.stderr(predicate::str::contains(*s));
    }
    let out = assert.get_output();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn malformed_json_names_file_line_and_column() {
    fails_with(
        &[
            "-i",
            &fixture("bad/malformed.graph.json"),
            "blast",
            "-c",
            "a",
        ],
        &["error: tests/fixtures/bad/malformed.graph.json:4:34: trailing comma"],
    );
    fails_with(
        &["import", &fixture("bad/bad-kind.graph.json")],
        &["bad-kind.graph.json:3:32: unknown variant `robot`, expected one of `human`"],
    );
}

#[test]
fn bad_csv_rows_name_file_and_line() {
    fails_with(
        &[
            "import",
            &fixture("native/small.graph.json"),
            &fixture("bad/criticality.csv"),
        ],
        &["criticality.csv:3: criticality '11' is not a whole number from 0 to 10"],
    );
    fails_with(
        &[
            "import",
            &fixture("native/small.graph.json"),
            &fixture("bad/links-kind.csv"),
        ],
        &["links-kind.csv:2: unknown edge kind 'can_teleport'"],
    );
}

#[test]
fn missing_file_and_empty_directory() {
    fails_with(
        &["import", "tests/fixtures/does-not-exist.json"],
        &["cannot read tests/fixtures/does-not-exist.json"],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_str().expect("utf-8").to_string();
    fails_with(&["import", &path], &["directory holds no files"]);
    std::fs::write(dir.path().join("notes.txt"), "nothing to see").expect("write");
    fails_with(
        &["import", &path],
        &["notes.txt: skipped", "none of the 1 input file(s)"],
    );
}

#[test]
fn unknown_and_ambiguous_nodes() {
    fails_with(
        &["blast", "-c", "dploy"],
        &[
            "no node matches 'dploy'",
            "close matches:",
            "arn:aws:iam::111122223333:role/deploy",
        ],
    );
    fails_with(
        &["path", "nobody-at-all-xyz", "admin"],
        &["no node matches 'nobody-at-all-xyz'"],
    );
    fails_with(
        &[
            "-i",
            &fixture("native/two-accounts.graph.json"),
            "blast",
            "-c",
            "deploy",
        ],
        &[
            "'deploy' is ambiguous: 2 nodes",
            "arn:aws:iam::111122223333:role/deploy",
            "arn:aws:iam::444455556666:role/deploy",
        ],
    );
}

#[test]
fn no_path_exits_one() {
    let graph = fixture("native/small.graph.json");
    trustpath()
        .args(["-i", &graph, "path", "customer-data", "ci.yml", "--at", AT])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("No usable path"));
}

#[test]
fn help_teaches() {
    trustpath()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("Exit status"));
}

#[test]
fn bad_time_is_a_usage_error() {
    trustpath()
        .args(["blast", "--at", "yesterday"])
        .assert()
        .code(2)
        .stdout("");
}

// ----------------------------------------------------------------------------------
// Input handling

#[test]
fn bom_pipes_and_schema_last_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let small = std::fs::read("tests/fixtures/native/small.graph.json").expect("fixture");
    let bom = dir.path().join("bom.json");
    std::fs::write(&bom, [&b"\xEF\xBB\xBF"[..], &small].concat()).expect("write");
    let expected = stdout_of(&[
        "-i",
        &fixture("native/small.graph.json"),
        "export",
        "--format",
        "json",
    ]);
    let from_bom = stdout_of(&[
        "-i",
        bom.to_str().expect("utf-8"),
        "export",
        "--format",
        "json",
    ]);
    assert_eq!(
        from_bom
            .lines()
            .filter(|l| !l.contains("provenance"))
            .count(),
        expected
            .lines()
            .filter(|l| !l.contains("provenance"))
            .count()
    );

    // A pipe: the file can be read only once.
    trustpath()
        .args(["-i", "/dev/stdin", "import"])
        .write_stdin(small.clone())
        .assert()
        .success()
        .stdout(predicate::str::contains("12 nodes, 12 edges"));

    // Keys sorted (as `jq -S` writes them): "schema" comes last, past the first 64 KB.
    let mut nodes: Vec<String> = (0..2000)
        .map(|i| format!(r#"{{"id": "node-{i:05}", "kind": "role", "name": "a role with a long enough name {i}"}}"#))
        .collect();
    nodes.sort();
    let doc = format!(
        r#"{{"edges": [], "nodes": [{}], "schema": "trustpath/graph/v1"}}"#,
        nodes.join(",")
    );
    assert!(doc.len() > 64 * 1024);
    let sorted = dir.path().join("sorted.json");
    std::fs::write(&sorted, doc).expect("write");
    trustpath()
        .args(["import", sorted.to_str().expect("utf-8")])
        .assert()
        .success()
        .stdout(predicate::str::contains("2000 nodes"));
}

#[test]
fn csv_errors_count_lines_like_an_editor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("inventory.csv");
    std::fs::write(
        &csv,
        "id_or_glob,owner,purpose,environment,criticality\r\n\r\n# comment\r\nbuilder,ci,,,3\r\nadmin,sec,,,12\r\n",
    )
    .expect("write");
    fails_with(
        &[
            "import",
            &fixture("native/small.graph.json"),
            csv.to_str().expect("utf-8"),
        ],
        &["inventory.csv:5: criticality '12'"],
    );
}

#[test]
fn input_order_does_not_change_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nodes = r#"{"schema": "trustpath/graph/v1", "nodes": [
        {"id": "a", "kind": "workload"}, {"id": "b", "kind": "role"}, {"id": "c", "kind": "resource"}],
        "edges": [{"from": "b", "to": "c", "kind": "can_access", "reason": "policy"}]}"#;
    let conditional = r#"{"schema": "trustpath/graph/v1", "nodes": [], "edges": [
        {"from": "a", "to": "b", "kind": "can_assume", "reason": "trust with sub condition",
         "conditions": ["sub matches repo:x/*"]}]}"#;
    let plain = r#"{"schema": "trustpath/graph/v1", "nodes": [], "edges": [
        {"from": "a", "to": "b", "kind": "can_assume", "reason": "trust without condition"}]}"#;
    for (name, text) in [
        ("n.json", nodes),
        ("e1.json", conditional),
        ("e2.json", plain),
    ] {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let p = |n: &str| dir.path().join(n).to_str().expect("utf-8").to_string();
    let run = |order: [&str; 3]| {
        stdout_of(&[
            "-i",
            &p(order[0]),
            "-i",
            &p(order[1]),
            "-i",
            &p(order[2]),
            "blast",
            "-c",
            "a",
            "--at",
            AT,
            "--format",
            "json",
        ])
    };
    let one = run(["n.json", "e1.json", "e2.json"]);
    assert_eq!(one, run(["n.json", "e2.json", "e1.json"]));
    assert!(
        one.contains("trust without condition"),
        "the unconditional edge is the witness"
    );
}

#[test]
fn loading_a_file_twice_keeps_each_edge_once() {
    let graph = fixture("native/small.graph.json");
    let out = trustpath()
        .args(["-i", &graph, "-i", &graph, "import"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "12 edge(s) appeared more than once",
        ))
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("12 nodes, 12 edges"));
}

/// A directory holding the small native graph (12 nodes, 12 edges) as `g.json`.
fn small_graph_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        "tests/fixtures/native/small.graph.json",
        dir.path().join("g.json"),
    )
    .expect("copy");
    dir
}

#[test]
fn links_and_dangling_entries_in_directories() {
    let dir = small_graph_dir();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).expect("symlink");
    std::os::unix::fs::symlink("/nonexistent/x", dir.path().join("dangling")).expect("symlink");
    trustpath()
        .args(["import", dir.path().to_str().expect("utf-8")])
        .assert()
        .success()
        .stdout(predicate::str::contains("12 nodes, 12 edges"))
        .stderr(predicate::str::contains("dangling: skipped"));
}

#[test]
fn unusable_compromised_credential_is_explained() {
    let graph = fixture("native/small.graph.json");
    trustpath()
        .args([
            "-i",
            &graph,
            "blast",
            "-c",
            "AKIAINACTIVE00000001",
            "--at",
            AT,
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "AKIAINACTIVE00000001 cannot be used at 2026-11-25T00:00:00Z (status is Inactive)",
        ));
    fails_with(
        &["-i", &graph, "path", "deploy", "deploy"],
        &["FROM and TO are the same node"],
    );
}

#[test]
fn closed_pipe_is_not_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let graph = dir.path().join("gen.json");
    let bin = env!("CARGO_BIN_EXE_trustpath");
    let status = std::process::Command::new(bin)
        .args([
            "gen",
            "--nodes",
            "3000",
            "-o",
            graph.to_str().expect("utf-8"),
        ])
        .status()
        .expect("gen runs");
    assert!(status.success());
    for format in ["csv", "json", "text"] {
        let script = format!(
            "'{bin}' -i '{}' blast --format {format} | head -c 100 > /dev/null; echo ${{PIPESTATUS[0]}}",
            graph.display()
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &script])
            .output()
            .expect("bash");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "0",
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("error"),
            "{format}"
        );
    }
}

/// `gen` and loading show one progress line on a terminal (here a pseudo-terminal from
/// `script`), erased at the end, and nothing when stderr is a pipe. The one-second delay
/// is set to zero so that a small input shows it too.
#[test]
fn progress_on_a_terminal_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let graph = dir.path().join("gen.json");
    let graph = graph.to_str().expect("utf-8");
    let piped = trustpath()
        .env("TRUSTPATH_PROGRESS_AFTER_MS", "0")
        .args(["gen", "--nodes", "30000", "-o", graph])
        .output()
        .expect("gen runs");
    assert!(piped.status.success());
    assert_eq!(
        String::from_utf8_lossy(&piped.stderr),
        "",
        "a pipe gets no progress"
    );
    let piped = trustpath()
        .env("TRUSTPATH_PROGRESS_AFTER_MS", "0")
        .args(["-i", graph, "blast"])
        .output()
        .expect("blast runs");
    assert!(!String::from_utf8_lossy(&piped.stderr).contains('\r'));

    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("`script` (util-linux) is not installed: skipping the terminal half");
        return;
    }
    let on_terminal = |args: &str| {
        let command = format!("'{}' {args} > /dev/null", env!("CARGO_BIN_EXE_trustpath"));
        let out = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("TRUSTPATH_PROGRESS_AFTER_MS", "0")
            .output()
            .expect("script runs");
        assert!(out.status.success(), "{args}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let generating = on_terminal(&format!("gen --nodes 30000 -o '{graph}'"));
    assert!(
        generating.contains("\r\x1b[2Kgenerating: 0%"),
        "{generating:?}"
    );
    assert!(generating.ends_with("\r\x1b[2K"), "erased: {generating:?}");
    let loading = on_terminal(&format!("-i '{graph}' import"));
    assert!(loading.contains("\r\x1b[2Kloading "), "{loading:?}");
    assert!(loading.contains(" MB ("), "{loading:?}");
}

#[test]
fn compromised_is_a_global_option_and_names_credentials_by_id() {
    // Before the command, after it, and with no command (piped: the plan).
    let before = stdout_of(&["-c", COMPROMISED, "--at", AT, "plan", "--format", "json"]);
    let after = stdout_of(&["plan", "-c", COMPROMISED, "--at", AT, "--format", "json"]);
    assert_eq!(before, after);
    let piped = stdout_of(&["-c", "ci-deployer", "--at", AT]);
    assert!(
        piped.starts_with("Revocation plan for arn:aws:iam::111122223333:user/ci-deployer"),
        "{piped}"
    );
    // A GCP key's own id, as a leaked key file's `private_key_id` gives it.
    let blast = stdout_of(&[
        "blast",
        "-c",
        "3f9a2c7e1b4d8a6f0c5e9b2d7a1f4c8e6b3d0a92",
        "--at",
        AT,
    ]);
    assert!(blast.starts_with(
        "Blast radius of gcp:key:exporter@acme-analytics.iam.gserviceaccount.com/3f9a2c7e1b4d8a6f0c5e9b2d7a1f4c8e6b3d0a92"
    ));
    // Inputs that suggest nothing: the error says how to name it.
    let aws = fixture("aws");
    fails_with(
        &["-i", &aws, "plan"],
        &["no compromised node given", "-c ID", "pick it in the TUI"],
    );
    fails_with(
        &["export", "--blast-only"],
        &["--blast-only needs the compromised set"],
    );
    let incident = ["--incident", "x", "-c", "ci-deployer"];
    fails_with(
        &incident,
        &["--incident and -c both name the compromised set"],
    );
}

#[test]
fn special_and_unreadable_files_in_a_directory_are_warnings() {
    // Issue 14, defect 4: a FIFO inside an input directory hung the load forever.
    let dir = small_graph_dir();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo is not available: skipping");
        return;
    }
    let unreadable = dir.path().join("secret.json");
    std::fs::write(&unreadable, "{}").expect("write");
    std::fs::set_permissions(
        &unreadable,
        std::os::unix::fs::PermissionsExt::from_mode(0o000),
    )
    .expect("chmod");
    trustpath()
        .args(["import", dir.path().to_str().expect("utf-8")])
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .success()
        .stdout(predicate::str::contains("12 nodes, 12 edges"))
        .stderr(predicate::str::contains(
            "pipe: skipped: not a regular file (a FIFO)",
        ));
    // Issue 14, defect 6: an unreadable file aborted the whole load. Root reads any
    // file, so as root the binary runs as `nobody` for this part.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let as_nobody = |args: &[&str]| {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_trustpath"))
            .args(args);
        cmd.output()
    };
    let root = std::fs::File::open(&unreadable).is_ok();
    let out = if root {
        match as_nobody(&["--version"]) {
            Ok(o) if o.status.success() => {
                as_nobody(&["import", dir.path().to_str().expect("utf-8")]).expect("runs")
            }
            _ => {
                eprintln!("cannot run as nobody (setpriv): the unreadable-file case is skipped");
                return;
            }
        }
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_trustpath"))
            .args(["import", dir.path().to_str().expect("utf-8")])
            .output()
            .expect("runs")
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("secret.json: skipped:"), "{stderr}");
}

#[test]
fn save_keeps_permissions_and_follows_no_planted_link() {
    // Issue 14, defect 7: `--save` wrote through a predictable FILE.partial, following a
    // link planted there, and a 0600 target came back 0644.
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("graph.json");
    std::fs::write(&target, "{}").expect("write");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "untouched").expect("write");
    std::os::unix::fs::symlink(&victim, dir.path().join("graph.json.partial")).expect("symlink");
    trustpath()
        .args(["import", "--save", target.to_str().expect("utf-8")])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "untouched");
    let saved = std::fs::read_to_string(&target).expect("read");
    assert!(
        saved.starts_with("{\"schema\": \"trustpath/graph/v1\""),
        "{saved}"
    );
    let mode = std::fs::metadata(&target)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn path_all_on_a_dense_graph_stops_on_its_budget_and_says_so() {
    // Issue 14, defect 3: the budget counted node visits, so all-to-all wiring ran for
    // minutes and then reported `truncated: false`.
    let n = 150;
    let nodes: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::json!({ "id": format!("v{i}"), "kind": "role" }))
        .collect();
    let edges: Vec<serde_json::Value> = (0..n)
        .flat_map(|a| (0..n).filter(move |&b| b != a).map(move |b| (a, b)))
        .map(|(a, b)| serde_json::json!({ "from": format!("v{a}"), "to": format!("v{b}"), "kind": "can_assume" }))
        .collect();
    let doc = serde_json::json!({ "schema": "trustpath/graph/v1", "nodes": nodes, "edges": edges });
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("dense.graph.json");
    std::fs::write(&file, doc.to_string()).expect("write");
    let file = file.to_str().expect("utf-8");
    let args = ["-i", file, "path", "v0", "v99", "--all", "--max", "1000"];
    let json = stdout_of(&[&args[..], &["--max-work", "200000", "--format", "json"]].concat());
    let found: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(found["truncated"], true);
    let scanned = found["edges_scanned"].as_u64().expect("edges scanned");
    assert!((200_000..=200_001).contains(&scanned), "{scanned}");
    assert!(!found["paths"].as_array().expect("paths").is_empty());
    let text = stdout_of(&[&args[..], &["--max-work", "200000"]].concat());
    assert!(
        text.contains("TRUNCATED: the search stopped after scanning 200001 edges"),
        "{text}"
    );
    assert!(text.contains("raise --max-work"));
}

#[test]
fn blast_output_grows_linearly_with_a_chain() {
    // Issue 14, defect 2: every reached node carried its whole witness path, so a
    // 10,000-node chain gave 6.4 GB of JSON. Now each names its last hop; whole paths
    // are for crown jewels and admins (and --paths).
    let chain = |n: usize| {
        let nodes: Vec<serde_json::Value> = (0..n)
            .map(|i| serde_json::json!({ "id": format!("r{i:05}"), "kind": "role" }))
            .collect();
        let edges: Vec<serde_json::Value> = (1..n)
            .map(|i| serde_json::json!({ "from": format!("r{:05}", i - 1), "to": format!("r{i:05}"), "kind": "can_assume" }))
            .collect();
        serde_json::json!({ "schema": "trustpath/graph/v1", "nodes": nodes, "edges": edges })
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let size = |n: usize, format: &str| {
        let file = dir.path().join(format!("chain{n}.graph.json"));
        std::fs::write(&file, chain(n).to_string()).expect("write");
        let args = [
            "-i",
            file.to_str().expect("utf-8"),
            "blast",
            "-c",
            "r00000",
            "--format",
            format,
        ];
        stdout_of(&args).len()
    };
    for format in ["json", "csv", "text"] {
        let (small, large) = (size(1_000, format), size(4_000, format));
        assert!(
            large < small * 5,
            "{format}: 1,000 nodes give {small} bytes, 4,000 give {large}"
        );
    }
    // The last hop rebuilds the path: every node's via.from is reached one level up.
    let file = dir.path().join("chain1000.graph.json");
    let file = file.to_str().expect("utf-8");
    let blast = |more: &[&str]| -> serde_json::Value {
        let base = ["-i", file, "blast", "-c", "r00000", "--format", "json"];
        serde_json::from_str(&stdout_of(&[&base[..], more].concat())).expect("JSON")
    };
    let doc = blast(&[]);
    assert_eq!(doc["schema"], "trustpath/blast/v2");
    let reached = doc["reached"].as_array().expect("reached");
    assert_eq!(reached[500]["via"]["from"], "r00499");
    assert!(reached[500].get("path").is_none());
    let doc = blast(&["--paths"]);
    assert_eq!(
        doc["reached"][500]["path"].as_array().map(Vec::len),
        Some(500)
    );
}

#[test]
fn a_saved_graph_reloads_without_false_duplicate_warnings() {
    // Issue 14, defect 8: the links the first import made were made again on reloading
    // the saved graph, and reported as duplicates "was a file loaded twice?".
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("sample.json");
    let saved = saved.to_str().expect("utf-8");
    trustpath()
        .args(["import", "--save", saved])
        .assert()
        .success();
    trustpath()
        .args(["-i", saved, "import"])
        .assert()
        .success()
        .stderr(predicate::str::contains("appeared more than once").not());
}

#[test]
fn an_input_larger_than_the_cap_is_an_error_naming_it() {
    // Issue 14, defect 8: an endless `-i /dev/stdin` grew without bound.
    let big = format!(
        "{{\"schema\": \"trustpath/graph/v1\", \"nodes\": [{}]}}",
        vec!["{\"id\": \"a\", \"kind\": \"role\"}"; 10_000].join(",")
    );
    assert!(big.len() > 200 << 10);
    let out = trustpath()
        .args(["-i", "/dev/stdin", "--max-input-size", "100K", "import"])
        .write_stdin(big.clone())
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/dev/stdin")
            && stderr.contains("larger than 102400 bytes")
            && stderr.contains("--max-input-size"),
        "{stderr}"
    );
    // A CSV (read whole) is capped the same way; the default cap reads both.
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("links.csv");
    let rows: String = (0..20_000)
        .map(|i| format!("a{i},b{i},can_assume,x\n"))
        .collect();
    std::fs::write(&csv, format!("from,to,kind,reason\n{rows}")).expect("write");
    fails_with(
        &[
            "-i",
            csv.to_str().expect("utf-8"),
            "--max-input-size",
            "64K",
            "import",
        ],
        &["links.csv", "larger than 65536 bytes"],
    );
}

/// `completions` prints a script for every shell clap_complete knows, naming every
/// command; bash's parses. The fish lines of one command and the manual page of another
/// are kept as snapshots: a new option shows up in review.
#[test]
fn completions_for_every_shell_and_manual_pages() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        for command in ["plan", "harden", "exposure", "audit", "export", "man"] {
            assert!(script.contains(command), "{shell} completes {command}");
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let bash = dir.path().join("trustpath.bash");
    std::fs::write(&bash, stdout_of(&["completions", "bash"])).expect("writes");
    if let Ok(status) = std::process::Command::new("bash")
        .arg("-n")
        .arg(&bash)
        .status()
    {
        assert!(status.success(), "bash parses its completion script");
    }
    let fish = stdout_of(&["completions", "fish"]);
    let harden: Vec<&str> = fish
        .lines()
        .filter(|l| l.contains("__fish_trustpath_using_subcommand harden"))
        .collect();
    insta::assert_snapshot!("completions_fish_harden", harden.join("\n"));

    let page = stdout_of(&["man"]);
    assert!(page.starts_with(".ie"), "roff");
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    let pages = dir.path().join("man1");
    std::fs::create_dir(&pages).expect("mkdir");
    trustpath()
        .args(["man", "--dir", pages.to_str().expect("utf-8")])
        .assert()
        .success();
    let mut written: Vec<String> = std::fs::read_dir(&pages)
        .expect("pages")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert!(written.contains(&"trustpath.1".to_string()), "{written:?}");
    assert!(
        written.contains(&"trustpath-plan.1".to_string()),
        "{written:?}"
    );
    let harden = std::fs::read_to_string(pages.join("trustpath-harden.1")).expect("harden page");
    insta::assert_snapshot!("man_harden", harden);
}

/// `export --format neo4j-csv` writes the two files `neo4j-admin database import full`
/// reads: its headers, every node and edge once, relationships between listed ids, kinds
/// as labels and types; and prints the command that loads them.
#[test]
fn neo4j_csv_files_for_the_bulk_importer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("neo4j");
    let printed = stdout_of(&[
        "export",
        "--format",
        "neo4j-csv",
        "--output",
        out.to_str().expect("utf-8"),
    ]);
    assert!(
        printed.contains("neo4j-admin database import full --nodes="),
        "{printed}"
    );
    let imported: serde_json::Value =
        serde_json::from_str(&stdout_of(&["import", "--format", "json"])).expect("json");
    let read = |name: &str| {
        let mut reader = csv::Reader::from_path(out.join(name)).expect("csv");
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        (header, rows)
    };
    let (header, nodes) = read("nodes.csv");
    assert_eq!(header, trustpath::report::neo4j::NODE_HEADER);
    assert_eq!(
        nodes.len() as u64,
        imported["nodes"].as_u64().expect("count")
    );
    let ids: std::collections::HashSet<&str> = nodes.iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len(), nodes.len(), "ids are unique");
    assert!(nodes.iter().all(|r| r[1].starts_with("TP_Node;TP_")));
    let (header, relationships) = read("relationships.csv");
    assert_eq!(header, trustpath::report::neo4j::RELATIONSHIP_HEADER);
    assert_eq!(
        relationships.len() as u64,
        imported["edges"].as_u64().expect("count")
    );
    for r in &relationships {
        assert!(ids.contains(&r[0]) && ids.contains(&r[1]), "{r:?}");
        assert!(r[2].starts_with("TP_") && r[2] == r[2].to_ascii_uppercase());
    }
    // Without a directory it says what it needs.
    trustpath()
        .args(["export", "--format", "neo4j-csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--output DIR"));
}

/// `export --format cypher`: the index statement of the chosen engine first, then every
/// node and relationship once as a row of an `UNWIND` batch, each statement closed by
/// `;` and a blank line; `--blast-only` keeps the blast radius; `--dialect` without
/// cypher is a usage error.
#[test]
fn cypher_script_for_each_engine() {
    let imported: serde_json::Value =
        serde_json::from_str(&stdout_of(&["import", "--format", "json"])).expect("json");
    for (dialect, first) in [
        (
            "neo4j",
            "CREATE CONSTRAINT tp_node_id IF NOT EXISTS FOR (n:TP_Node) REQUIRE n.id IS UNIQUE;",
        ),
        (
            "memgraph",
            "CREATE CONSTRAINT ON (n:TP_Node) ASSERT n.id IS UNIQUE;",
        ),
        ("falkordb", "CREATE INDEX FOR (n:TP_Node) ON (n.id);"),
    ] {
        let script = stdout_of(&["export", "--format", "cypher", "--dialect", dialect]);
        let statements: Vec<&str> = script
            .split("\n\n")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty() && !s.starts_with("//"))
            .collect();
        assert_eq!(statements[0], first, "{dialect}");
        // mgconsole ends a statement at a `;` even inside a comment.
        for comment in script.lines().filter(|l| l.starts_with("//")) {
            assert!(!comment.contains([';', '\'', '"', '`']), "{comment}");
        }
        assert!(statements.iter().all(|s| s.ends_with(';')), "{dialect}");
        let rows = |prefix: &str| script.lines().filter(|l| l.starts_with(prefix)).count() as u64;
        assert_eq!(rows("{id: '"), imported["nodes"].as_u64().expect("count"));
        assert_eq!(rows("{src: '"), imported["edges"].as_u64().expect("count"));
        assert!(script.contains("MERGE (n:TP_Node:TP_Role {id: row.id})"));
        assert!(script.contains("CREATE (a)-[r:TP_CAN_ASSUME]->(b)"));
    }
    let blast: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "-c",
        COMPROMISED,
        "blast",
        "--format",
        "json",
        "--at",
        AT,
    ]))
    .expect("json");
    let reached = blast["reached"].as_array().expect("listed").len()
        + blast["exposed_unusable"].as_array().expect("listed").len();
    let script = stdout_of(&[
        "-c",
        COMPROMISED,
        "export",
        "--format",
        "cypher",
        "--blast-only",
        "--at",
        AT,
    ]);
    let rows = script.lines().filter(|l| l.starts_with("{id: '")).count();
    assert_eq!(rows, reached);
    assert!(script.contains("compromised: true"));
    trustpath()
        .args(["export", "--format", "dot", "--dialect", "memgraph"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--dialect goes with --format cypher",
        ));
}
