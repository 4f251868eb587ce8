//! `trustpath audit`: the OWASP NHI findings on the sample incident and on fixtures, through
//! the binary.

mod common;

use common::{AT, stdout_of};

fn audit_json(input: &[&str]) -> serde_json::Value {
    let out = stdout_of(&[input, &["--at", AT, "audit", "--format", "json"]].concat());
    serde_json::from_str(&out).expect("json")
}

fn ids(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn audit_sample_every_format() {
    for format in ["text", "json", "markdown", "csv", "sarif"] {
        let out = stdout_of(&["--at", AT, "audit", "--format", format]);
        insta::assert_snapshot!(format!("audit_sample_{format}"), out);
    }
}

/// On the sample: the mutable-tag third-party action of the deploy job, the old access
/// keys, each with the plan action that fixes it; a commit-pinned action is low.
#[test]
fn the_sample_audit_finds_what_a_responder_must_see() {
    let doc = audit_json(&[]);
    assert_eq!(doc["schema"], "trustpath/audit/v1");
    let findings = doc["findings"].as_array().expect("findings");
    let find = |id: &str| {
        findings
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {:?}", ids(&doc)))
    };
    let action = find("NHI3:third-party:github:action:tj-style/changed-files@v45");
    assert_eq!(action["category"], "NHI3");
    assert_eq!(action["severity"], "high");
    assert!(
        action["fix"]
            .as_array()
            .expect("fix")
            .iter()
            .any(|f| f == "pin-action:acme/web/.github/workflows/deploy.yml:tj-style/changed-files")
    );
    let key = find("NHI7:unrotated:AKIAEXAMPLEREPORTBT1");
    assert_eq!(key["severity"], "high");
    assert_eq!(
        key["fix"],
        serde_json::json!(["deactivate:AKIAEXAMPLEREPORTBT1"])
    );
    assert!(
        key["title"]
            .as_str()
            .is_some_and(|t| t.contains("days ago"))
    );
    let pinned = find(
        "NHI3:third-party:github:action:actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",
    );
    assert_eq!(pinned["severity"], "low");
    // The inactive legacy key is dead: nothing to rotate, nothing unused.
    assert!(
        !ids(&doc)
            .iter()
            .any(|id| id.contains("AKIAEXAMPLELEGACY001"))
    );
    // Ranked by severity.
    let order = ["critical", "high", "medium", "low"];
    let ranks: Vec<usize> = findings
        .iter()
        .map(|f| {
            order
                .iter()
                .position(|s| f["severity"] == *s)
                .expect("severity")
        })
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    assert_eq!(doc["summary"]["findings"], findings.len());
}

/// A trust anyone satisfies is a finding; thresholds move the others.
#[test]
fn world_assumable_trust_and_thresholds() {
    let doc = audit_json(&["-i", "tests/fixtures/aws"]);
    let public = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| {
            f["id"] == "NHI6:world:aws:anyone -> arn:aws:iam::111122223333:role/public (can_assume)"
        })
        .expect("the role anyone can assume");
    assert_eq!(
        public["nodes"],
        serde_json::json!(["arn:aws:iam::111122223333:role/public", "aws:anyone"])
    );
    let lenient = stdout_of(&[
        "--at",
        AT,
        "audit",
        "--format",
        "json",
        "--rotate-after",
        "100000",
        "--unused-after",
        "100000",
    ]);
    let lenient: serde_json::Value = serde_json::from_str(&lenient).expect("json");
    assert!(
        ids(&lenient)
            .iter()
            .all(|id| !id.starts_with("NHI7:") && !id.starts_with("NHI1:unused:"))
    );
    assert_eq!(lenient["thresholds"]["rotate_after_days"], 100000);
    let strict = stdout_of(&["--at", AT, "audit", "--format", "json", "--shared-by", "2"]);
    let strict: serde_json::Value = serde_json::from_str(&strict).expect("json");
    assert_eq!(strict["thresholds"]["shared_by"], 2);
    let shared = |doc: &serde_json::Value| {
        ids(doc)
            .iter()
            .filter(|id| id.starts_with("NHI9:") || id.starts_with("NHI2:readers:"))
            .count()
    };
    let default: serde_json::Value =
        serde_json::from_str(&stdout_of(&["--at", AT, "audit", "--format", "json"])).expect("json");
    assert!(
        shared(&strict) > shared(&default),
        "a lower threshold finds more"
    );
}

/// SARIF 2.1.0 as code-scanning UIs read it: one rule per checked category, every result
/// naming a rule, a level, a message, a file it was read from and a stable fingerprint.
#[test]
fn sarif_is_what_code_scanning_reads() {
    let out = stdout_of(&["--at", AT, "audit", "--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "trustpath");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("rule id"))
        .collect();
    let results = run["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        assert!(rules.contains(&r["ruleId"].as_str().expect("rule")), "{r}");
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().expect("level")));
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        assert!(
            uri.as_str().is_some_and(|u| u.starts_with("sample-data/")),
            "{uri}"
        );
        assert!(r["partialFingerprints"]["trustpathFinding/v1"].is_string());
    }
}

/// Names from the input stay inert in Markdown (no links, HTML or code breaking out) and
/// CSV (no formulas), and reach the terminal without control characters.
#[test]
fn hostile_names_stay_inert_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let graph = dir.path().join("g.json");
    let evil = "=HYPERLINK(\"x\")`<img src=x>[a](b)\u{1b}[31m";
    let doc = serde_json::json!({
        "schema": "trustpath/graph/v1",
        "nodes": [
            {"id": evil, "kind": "credential",
             "credential": {"status": "active", "created": "2020-01-01T00:00:00Z"}},
            {"id": "db", "kind": "resource", "criticality": 9}
        ],
        "edges": [{"from": evil, "to": "db", "kind": "can_read", "reason": "r"}]
    });
    std::fs::write(&graph, doc.to_string()).expect("write");
    let input = graph.to_str().expect("utf-8 path");
    for format in ["text", "markdown", "csv", "sarif", "json"] {
        let out = stdout_of(&["-i", input, "--at", AT, "audit", "--format", format]);
        assert!(out.contains("NHI7"), "{format}: {out}");
        assert!(!out.contains('\u{1b}'), "{format}: {out}");
        match format {
            // Inside a code span, which Markdown renders literally.
            "markdown" => assert!(out.contains("``=HYPERLINK(\"x\")`<img src=x>"), "{out}"),
            "csv" => assert!(out.contains("'=HYPERLINK"), "{out}"),
            _ => {}
        }
    }
}
