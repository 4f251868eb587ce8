//! `trustpath exposure`: who can reach a node, through the binary — golden outputs on the
//! sample incident, the ranking a responder reads first, witness paths that can be
//! followed, exit statuses, and hostile names.

mod common;

use std::collections::BTreeMap;

use common::{AT, stdout_of, trustpath};

const DATA: &str = "arn:aws:s3:::acme-customer-data";

fn exposure_json(input: &str, target: &str, more: &[&str]) -> serde_json::Value {
    let out = stdout_of(
        &[
            &[
                "-i", input, "--at", AT, "exposure", target, "--format", "json",
            ][..],
            more,
        ]
        .concat(),
    );
    serde_json::from_str(&out).expect("json")
}

#[test]
fn exposure_sample_every_format() {
    for format in ["text", "json", "csv", "dot"] {
        let out = stdout_of(&["--at", AT, "exposure", DATA, "--format", format]);
        insta::assert_snapshot!(format!("exposure_sample_{format}"), out);
    }
}

/// The ways in nobody inside controls come first: the third-party actions of the deploy
/// job, a mutable tag before a commit pin, then the long-lived keys, oldest first; and
/// every holder's next hop leads, holder by holder, to the target in `depth` hops.
#[test]
fn holders_are_ranked_and_their_paths_can_be_followed() {
    let doc = exposure_json("sample-data", DATA, &[]);
    assert_eq!(doc["schema"], "trustpath/exposure/v1");
    assert_eq!(doc["targets"], serde_json::json!([DATA]));
    let holders = doc["holders"].as_array().expect("holders");
    assert_eq!(doc["summary"]["holders"], holders.len());
    let classes: Vec<&str> = holders
        .iter()
        .map(|h| h["class"].as_str().expect("class"))
        .collect();
    let mut sorted = classes.clone();
    let order = [
        "public",
        "third_party",
        "long_lived_credential",
        "ci_job",
        "workload",
        "human",
        "other",
    ];
    sorted.sort_by_key(|c| order.iter().position(|o| o == c));
    assert_eq!(classes, sorted, "ranked by class");
    assert_eq!(holders[0]["class"], "third_party");
    assert!(
        holders[0]["id"]
            .as_str()
            .is_some_and(|id| id.ends_with("@v4") || id.ends_with("@v45")),
        "a mutable tag first: {}",
        holders[0]["id"]
    );
    assert!(
        holders
            .iter()
            .any(|h| h["id"] == "github:action:tj-style/changed-files@v45"),
        "the sample's compromised action reaches the customer data"
    );
    let by_id: BTreeMap<&str, &serde_json::Value> = holders
        .iter()
        .map(|h| (h["id"].as_str().expect("id"), h))
        .collect();
    for h in holders {
        let (mut at, mut hops) = (h, 0);
        loop {
            let to = at["next"]["to"].as_str().expect("next hop");
            hops += 1;
            if to == DATA {
                break;
            }
            at = by_id.get(to).unwrap_or_else(|| panic!("{to} is listed"));
            assert!(hops <= 64, "a cycle from {}", h["id"]);
        }
        // An unconditional holder's next hops are its witness path; a conditional one's
        // lead on through holders that may have a longer, unconditional path of their own.
        if h["conditional"] == false {
            assert_eq!(hops, h["depth"].as_u64().expect("depth"), "{}", h["id"]);
        }
        if let Some(path) = h["path"].as_array() {
            assert_eq!(path.len() as u64, h["depth"].as_u64().expect("depth"));
            assert_eq!(path[0]["from"], h["id"]);
            assert_eq!(path[path.len() - 1]["to"], DATA);
        }
    }
    let keys: Vec<&serde_json::Value> = holders
        .iter()
        .filter(|h| h["class"] == "long_lived_credential")
        .map(|h| &h["created"])
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0].as_str() <= w[1].as_str()),
        "oldest first"
    );
    // Outsiders' paths are whole; everyone else's with --paths.
    assert!(
        holders
            .iter()
            .all(|h| h["class"] != "third_party" || h["path"].is_array())
    );
    assert!(holders.iter().any(|h| h["path"].is_null()));
    let every = exposure_json("sample-data", DATA, &["--paths"]);
    let every = every["holders"].as_array().expect("holders");
    assert!(every.iter().all(|h| h["path"].is_array()));
}

/// Public pseudo-nodes head the list; a role nobody can assume exposes nothing, with exit
/// status 1 and a sentence that says so.
#[test]
fn public_holders_first_and_nothing_found_is_exit_one() {
    let doc = exposure_json(
        "tests/fixtures/aws",
        "arn:aws:iam::111122223333:role/public",
        &[],
    );
    assert_eq!(doc["holders"][0]["id"], "aws:anyone");
    assert_eq!(doc["holders"][0]["class"], "public");
    let out = trustpath()
        .args(["--at", AT, "exposure", "github:any-user"])
        .args(["-i", "tests/fixtures/github-actions"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "nobody reaches a source");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Nothing can reach it"), "{text}");
    let out = trustpath()
        .args(["exposure", "no-such-node"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

/// Names from the input reach the terminal escaped, DOT labels quoted and escaped, CSV
/// cells defused.
#[test]
fn hostile_names_are_escaped_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let graph = dir.path().join("g.json");
    let evil = "=cmd|' /C calc'!A0\u{1b}[31m\"}";
    let doc = serde_json::json!({
        "schema": "trustpath/graph/v1",
        "nodes": [
            {"id": evil, "kind": "workload"},
            {"id": "db", "kind": "resource", "criticality": 9}
        ],
        "edges": [{"from": evil, "to": "db", "kind": "can_access", "reason": "r\u{1b}]0;x\u{7}"}]
    });
    std::fs::write(&graph, doc.to_string()).expect("write");
    let input = graph.to_str().expect("utf-8 path");
    for format in ["text", "csv", "dot"] {
        let out = stdout_of(&["-i", input, "exposure", "db", "--format", format]);
        assert!(!out.contains('\u{1b}'), "{format}: {out}");
        if format == "csv" {
            assert!(out.contains("'=cmd"), "{out}");
        }
        if format == "dot" {
            assert!(out.contains("\\\"&#125;"), "{out}");
        }
    }
}
