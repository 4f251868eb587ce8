//! The revocation plan through the binary: golden outputs on the sample incident, the
//! acceptance properties of the sample, ranking, protection, budgets, determinism and
//! `blast --apply-plan`.

mod common;

use common::{AT, COMPROMISED, stdout_of, trustpath};
use predicates::prelude::*;
use serde_json::Value;

const RANKING: &str = "tests/fixtures/plan/ranking.graph.json";

/// Writes a native graph document to a temporary file; keep the directory alive.
fn graph_file(doc: &Value) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("graph.json");
    std::fs::write(&file, doc.to_string()).expect("write");
    let path = file.to_str().expect("utf-8 path").to_string();
    (dir, path)
}

fn json_of(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&stdout_of(&all)).expect("JSON output")
}

/// The sample's plan in one format.
fn sample_plan_as(format: &str) -> String {
    stdout_of(&["plan", "-c", COMPROMISED, "--at", AT, "--format", format])
}

fn sample_plan() -> Value {
    json_of(&["plan", "-c", COMPROMISED, "--at", AT])
}

fn steps(plan: &Value) -> &Vec<Value> {
    plan["steps"].as_array().expect("steps")
}

fn ids(plan: &Value, phase: &str) -> Vec<String> {
    steps(plan)
        .iter()
        .filter(|s| s["phase"] == phase)
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn sample_plan_every_format() {
    for format in ["text", "markdown", "json", "csv"] {
        let out = sample_plan_as(format);
        insta::assert_snapshot!(format!("plan_sample_{format}"), out);
    }
}

#[test]
fn sample_plan_json_has_every_field() {
    let plan = sample_plan();
    assert_eq!(plan["schema"], "trustpath/plan/v1");
    for field in [
        "compromised",
        "footholds",
        "before",
        "after",
        "cost",
        "lower_bound",
        "steps",
    ] {
        assert!(!plan[field].is_null(), "plan has `{field}`");
    }
    for step in steps(&plan) {
        for field in [
            "rank",
            "phase",
            "id",
            "action",
            "target",
            "commands",
            "owner",
            "why",
            "collateral",
            "kills_live_tokens",
            "reversible",
            "required",
            "after",
        ] {
            assert!(
                !step[field].is_null(),
                "step {} has `{field}`",
                step["rank"]
            );
        }
        assert!(
            !step["commands"].as_array().expect("commands").is_empty(),
            "step {} has commands",
            step["id"]
        );
        if step["kills_live_tokens"] == false && step["phase"] != "verify" {
            assert!(
                step["live_tokens"].is_string(),
                "step {} says what happens to issued tokens",
                step["id"]
            );
        }
    }
    assert!(plan["lower_bound"].as_u64() <= plan["cost"].as_u64());
}

/// Issue 6, acceptance 6: the compromised action first, the `deploy` choke point left
/// alone (cutting it would break the production services that run as it), and the
/// exposed GCP key rotated where it is issued, the Vault token revoked.
#[test]
fn sample_plan_contains_first_spares_deploy_and_rotates_at_issuers() {
    let plan = sample_plan();
    let first = &steps(&plan)[0];
    assert_eq!(first["phase"], "contain");
    assert!(
        first["target"]
            .as_str()
            .expect("target")
            .starts_with(COMPROMISED),
        "first step acts on the compromised action: {}",
        first["target"]
    );
    assert_eq!(plan["complete"], true);
    // The lower bound is met: no complete plan is cheaper, those that cut deploy included.
    assert_eq!(plan["optimal"], true);

    let deploy = "arn:aws:iam::111122223333:role/deploy";
    for s in steps(&plan).iter().filter(|s| s["required"] == true) {
        let target = s["target"].as_str().expect("target");
        let out_of_deploy = target.starts_with(&format!("{deploy} -> "));
        assert!(
            !out_of_deploy && (target != deploy || s["action"] == "revoke_sessions"),
            "step {} cuts the deploy choke point: {} {}",
            s["rank"],
            s["action"],
            target
        );
    }

    let rotated = |target: &str, action: &str| {
        steps(&plan)
            .iter()
            .any(|s| s["phase"] == "rotate" && s["target"] == target && s["action"] == action)
    };
    assert!(rotated(
        "gcp:key:exporter@acme-analytics.iam.gserviceaccount.com/3f9a2c7e1b4d8a6f0c5e9b2d7a1f4c8e6b3d0a92",
        "deactivate_key"
    ));
    // The Vault token reads the Stripe key itself: revoking it is one of the cuts.
    assert!(steps(&plan).iter().any(|s| s["target"]
        == "vault:token:ExampleAccessorPaymentsRecon1"
        && s["action"] == "revoke_token"));
    // Deleting the Kubernetes Secrets that hold copies is not rotation.
    assert!(
        !ids(&plan, "rotate")
            .iter()
            .any(|id| id.starts_with("delete-secret:"))
    );
}

#[test]
fn applying_the_required_steps_leaves_no_crown_jewel() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("plan.json");
    let plan = sample_plan_as("json");
    std::fs::write(&file, &plan).expect("write plan");
    let file = file.to_str().expect("utf-8 path");
    let plan: Value = serde_json::from_str(&plan).expect("JSON");
    let required = steps(&plan)
        .iter()
        .filter(|s| s["required"] == true)
        .count();

    let after = json_of(&[
        "blast",
        "--apply-plan",
        file,
        "--steps",
        &format!("1-{required}"),
        "--at",
        AT,
    ]);
    assert_eq!(after["summary"]["crown_jewels"], 0);
    assert_eq!(after["summary"]["reached"], plan["after"]["reached"]);

    let first_only = json_of(&["blast", "--apply-plan", file, "--steps", "1", "--at", AT]);
    assert_eq!(
        first_only["summary"]["crown_jewels"],
        steps(&plan)[0]["after"]["crown_jewels"]
    );
    let all = json_of(&["blast", "--apply-plan", file, "--at", AT]);
    assert_eq!(all["summary"]["crown_jewels"], 0);

    trustpath()
        .args([
            "blast",
            "--apply-plan",
            file,
            "--steps",
            "1-999",
            "--at",
            AT,
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--steps names step 999"));
    trustpath()
        .args(["blast", "--apply-plan", "Cargo.toml", "--at", AT])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Cargo.toml: not a plan"));
    trustpath()
        .args(["blast", "--apply-plan", file, "--steps", "3-1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a list of step ranks"));
}

/// Ranking by criticality alone would start with res:j4 (criticality 10), which no single
/// cut protects (two groups reach it); ranking by degree alone would disable sa:builder,
/// the busiest identity, breaking five build jobs. The plan first detaches the policy
/// that alone protects three jewels, and leaves the service account enabled.
#[test]
fn ranking_beats_degree_and_criticality() {
    let plan = json_of(&["-i", RANKING, "plan", "--at", AT]);
    let order: Vec<String> = steps(&plan)
        .iter()
        .filter(|s| s["required"] == true)
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(
        order,
        [
            "deactivate:key:leaked",
            "detach-policy:g1",
            "detach-policy:g2",
            "detach-policy:g3"
        ]
    );
    assert_eq!(steps(&plan)[1]["after"]["crown_jewels"], 1);
    assert_eq!(plan["cost"], 28, "disabling sa:builder would cost 1 + 31");
    assert_eq!(plan["lower_bound"], 28);
    assert_eq!(plan["method"], "exact");
    assert!(!order.contains(&"disable:sa:builder".to_string()));
}

#[test]
fn protect_works_around_or_says_what_remains() {
    // Protecting the service account: the plan cuts at the groups instead.
    let plan = json_of(&["-i", RANKING, "plan", "--at", AT, "--protect", "sa:builder"]);
    assert_eq!(plan["complete"], true);
    assert!(!ids(&plan, "cut").contains(&"disable:sa:builder".to_string()));
    // Protecting group g2 as well leaves j4 reachable through it, and the plan says how.
    let args = [
        "-i",
        RANKING,
        "plan",
        "--at",
        AT,
        "--protect",
        "sa:builder",
        "--protect",
        "group:g2",
    ];
    let plan = json_of(&args);
    assert_eq!(plan["complete"], false);
    assert_eq!(
        plan["protect"],
        serde_json::json!(["group:g2", "sa:builder"])
    );
    assert!(!ids(&plan, "cut").contains(&"detach-policy:g2".to_string()));
    let remaining: Vec<&str> = plan["remaining"]
        .as_array()
        .expect("remaining")
        .iter()
        .map(|r| r["jewel"].as_str().expect("jewel"))
        .collect();
    assert_eq!(remaining, ["res:j4"]);
    assert_eq!(plan["remaining"][0]["unavoidable"], true);
    let text = stdout_of(&args);
    assert!(text.contains("STILL REACHABLE after the required steps"));
    assert!(text.contains("sa:builder -[member_of]-> group:g2 -[can_access]-> res:j4"));
}

#[test]
fn budget_keeps_what_fits_and_defers_the_rest() {
    let plan = json_of(&["-i", RANKING, "plan", "--at", AT, "--budget", "10"]);
    assert_eq!(plan["cost"], 10);
    assert_eq!(plan["complete"], false);
    assert_eq!(
        plan["deferred"],
        serde_json::json!(["detach-policy:g2", "detach-policy:g3"])
    );
    assert_eq!(plan["remaining"][0]["jewel"], "res:j4");
    assert_eq!(plan["remaining"][0]["unavoidable"], false);
}

#[test]
fn markdown_is_a_task_list_and_csv_one_row_per_step() {
    let json = sample_plan();
    let md = sample_plan_as("markdown");
    let tasks = md.lines().filter(|l| l.starts_with("- [ ] ")).count();
    assert_eq!(tasks, steps(&json).len());
    assert!(md.contains("  ```sh\n"));
    let csv = sample_plan_as("csv");
    let rows = csv::Reader::from_reader(csv.as_bytes()).records().count();
    assert_eq!(rows, steps(&json).len());
}

#[test]
fn plans_are_byte_identical() {
    let plan = |inputs: [&str; 2], format: &str| {
        stdout_of(&[
            "-i",
            inputs[0],
            "-i",
            inputs[1],
            "plan",
            "-c",
            COMPROMISED,
            "--at",
            AT,
            "--format",
            format,
        ])
    };
    for format in ["text", "markdown", "json", "csv"] {
        let a = stdout_of(&["plan", "--at", AT, "--format", format]);
        let b = stdout_of(&["plan", "--at", AT, "--format", format]);
        assert_eq!(a, b, "{format} differs between runs");
        assert_eq!(
            plan(["sample-data/aws", "sample-data"], format),
            plan(["sample-data", "sample-data/aws"], format),
            "{format} depends on input order"
        );
    }
}

#[test]
fn hostile_names_are_escaped_in_every_format() {
    let doc = serde_json::json!({
        "schema": "trustpath/graph/v1",
        "nodes": [
            {"id": "key:\u{1b}[31mevil](http://x)", "kind": "credential", "credential": {"status": "active"},
             "revoke": [{"id": "=cmd|' /C calc'!A0", "action": "deactivate_key", "cost": 1}]},
            {"id": "res:<img src=x>", "kind": "resource", "criticality": 9}
        ],
        "edges": [{"from": "key:\u{1b}[31mevil](http://x)", "to": "res:<img src=x>", "kind": "can_access", "reason": "r"}]
    });
    let (_dir, input) = graph_file(&doc);
    let input = input.as_str();
    let args = |format: &'static str| {
        vec![
            "-i",
            input,
            "plan",
            "-c",
            "key:\u{1b}[31mevil](http://x)",
            "--at",
            AT,
            "--format",
            format,
        ]
    };
    let text = stdout_of(&args("text"));
    assert!(!text.contains('\u{1b}'));
    let md = stdout_of(&args("markdown"));
    // Outside code blocks (where text is literal), no Markdown or HTML gets through.
    let mut in_code = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            // Names are in code spans (literal); everything between spans is prose.
            for prose in line.split('`').step_by(2) {
                let unescaped = prose.replace("\\<", "").replace("\\]", "");
                assert!(!unescaped.contains("<img"), "{line}");
                assert!(!unescaped.contains("](http"), "{line}");
            }
        }
    }
    let csv = stdout_of(&args("csv"));
    assert!(csv.contains("'=cmd"));
    let json: Value = serde_json::from_str(&stdout_of(&args("json"))).expect("valid JSON");
    assert_eq!(json["compromised"][0], "key:\u{1b}[31mevil](http://x)");
}

#[test]
fn a_compromise_nothing_listed_can_stop_is_called_out_first() {
    let doc = serde_json::json!({
        "schema": "trustpath/graph/v1",
        "nodes": [
            {"id": "wl:runner", "kind": "workload"},
            {"id": "role:deployer", "kind": "role",
             "revoke": [{"id": "sessions:deployer", "action": "revoke_sessions", "cost": 2}]},
            {"id": "res:db", "kind": "resource", "criticality": 9}
        ],
        "edges": [
            {"from": "wl:runner", "to": "role:deployer", "kind": "runs_as", "reason": "instance profile"},
            {"from": "role:deployer", "to": "res:db", "kind": "can_access", "reason": "policy",
             "revoke": [{"id": "detach:deployer", "action": "detach_policy", "cost": 3}]}
        ]
    });
    let (_dir, input) = graph_file(&doc);
    let input = input.as_str();
    let plan = json_of(&["-i", input, "plan", "-c", "wl:runner", "--at", AT]);
    assert_eq!(plan["uncontained"], serde_json::json!(["wl:runner"]));
    assert_eq!(
        plan["complete"], true,
        "the cut still protects the database"
    );
    let text = stdout_of(&["-i", input, "plan", "-c", "wl:runner", "--at", AT]);
    let contain = text.find("NOT CONTAINED").expect("called out");
    let cut = text.find("CUT —").expect("cut phase");
    assert!(contain < cut, "the uncontained node comes first:\n{text}");
}

#[test]
fn the_admin_note_names_only_admins_below_crown_jewel_criticality() {
    // With a small budget, admin crown jewels stay reachable: they are listed under
    // STILL REACHABLE, and the note speaks only of the admins rated below 8.
    let args = ["plan", "--at", AT, "--budget", "10"];
    let plan = json_of(&args);
    let admins = plan["after"]["admins"].as_u64().expect("admins");
    let below = serde_json::json!([
        { "id": "arn:aws:iam::111122223333:user/legacy-admin-bot", "criticality": 6 },
        { "id": "k8s:prod:cluster-admin", "criticality": 7 }
    ]);
    assert_eq!(plan["admins_left"], below);
    assert!(
        admins > 2,
        "admin crown jewels stay reachable too: {admins}"
    );
    let note = |text: &str| {
        let notes: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("  note: "))
            .map(str::to_string)
            .collect();
        assert!(notes.len() <= 1, "{text}");
        notes.into_iter().next()
    };
    let budget = note(&stdout_of(&args)).expect("a note");
    assert!(
        budget.contains("note: 2 admin identities stay reachable")
            && budget.contains(": arn:aws:iam::111122223333:user/legacy-admin-bot (criticality 6), k8s:prod:cluster-admin (criticality 7); raise them"),
        "{budget}"
    );
    let full = note(&sample_plan_as("text")).expect("a note");
    assert!(
        full.contains("note: 1 admin identity stays reachable")
            && full.contains(": k8s:prod:cluster-admin (criticality 7); raise it "),
        "{full}"
    );
    // Rated a crown jewel by an inventory, the same admin is cut and the note goes.
    let dir = tempfile::tempdir().expect("temp dir");
    let inventory = dir.path().join("inventory.csv");
    std::fs::write(
        &inventory,
        "id_or_glob,owner,purpose,environment,criticality\nk8s:prod:cluster-admin,,,,9\n",
    )
    .expect("write inventory");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data");
    let inv = inventory.to_str().expect("utf-8 path");
    let plan = json_of(&["-i", sample, "-i", inv, "plan", "--at", AT]);
    assert!(plan.get("admins_left").is_none(), "{}", plan["admins_left"]);
    let text = stdout_of(&["-i", sample, "-i", inv, "plan", "--at", AT]);
    assert!(!text.contains("admin identity stays"), "{text}");
}

/// Rotating a stored secret's value kills the copies already read, not the paths that
/// read it: it never counts as the cut that puts a secret out of reach.
#[test]
fn rotating_a_stored_secret_is_no_cut() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("g.graph.json");
    let graph = serde_json::json!({
        "schema": "trustpath/graph/v1",
        "nodes": [
            {"id": "ci:job", "kind": "workload",
             "revoke": [{"id": "disable-job", "action": "disable_workload", "cost": 1}]},
            {"id": "store:reader", "kind": "role"},
            {"id": "store:stripe-key", "kind": "secret", "criticality": 10,
             "revoke": [{"id": "rotate:store:stripe-key", "action": "rotate", "cost": 1}]}
        ],
        "edges": [
            {"from": "ci:job", "to": "store:reader", "kind": "can_assume", "reason": "logs in",
             "revoke": [{"id": "unbind-job", "action": "remove_binding", "cost": 30}]},
            {"from": "store:reader", "to": "store:stripe-key", "kind": "can_read", "reason": "reads it",
             "revoke": [{"id": "remove-read", "action": "detach_policy", "cost": 40}]}
        ]
    });
    std::fs::write(&file, graph.to_string()).expect("write");
    let out = trustpath()
        .args(["-i", file.to_str().expect("utf-8"), "plan", "-c", "ci:job"])
        .args(["--format", "json", "--at", AT])
        .output()
        .expect("runs");
    let plan: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // The role's session is a foothold: its read must be cut; rotating the key would
    // leave the role reading the new one.
    assert_eq!(ids(&plan, "cut"), ["remove-read"], "{plan:#}");
    assert_eq!(plan["complete"], true);
}

/// `harden` on the sample: the outsiders that reach a crown jewel are its entry points
/// (mutable-tag actions, old keys; not the commit-pinned checkout), every step is a cut,
/// and the required ones leave no crown jewel reachable from them.
#[test]
fn harden_sample() {
    for format in ["text", "markdown", "csv"] {
        let out = stdout_of(&["harden", "--at", AT, "--format", format]);
        insta::assert_snapshot!(format!("harden_sample_{format}"), out);
    }
    let doc = json_of(&["harden", "--at", AT]);
    assert_eq!(doc["schema"], "trustpath/harden/v1");
    assert!(doc["compromised"].is_null() && doc["footholds"].is_null());
    let entries: Vec<&str> = doc["entry_points"]
        .as_array()
        .expect("entry points")
        .iter()
        .map(|e| e["id"].as_str().expect("id"))
        .collect();
    for held in [
        "github:action:tj-style/changed-files@v45",
        "github:action:aws-actions/configure-aws-credentials@v4",
        "AKIAEXAMPLEREPORTBT1",
    ] {
        assert!(entries.contains(&held), "{held} in {entries:?}");
    }
    assert!(
        !entries
            .iter()
            .any(|e| e.starts_with("github:action:actions/checkout@")),
        "code pinned to a commit is not held by its owner: {entries:?}"
    );
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["after"]["crown_jewels"], 0);
    assert!(steps(&doc).iter().all(|s| s["phase"] == "cut"));
    // Old keys are entry points only past the threshold.
    let lenient = json_of(&["harden", "--at", AT, "--older-than", "100000"]);
    let entries = lenient["entry_points"].as_array().expect("entry points");
    assert!(entries.iter().all(|e| e["held"] != "old_credential"));
    // A budget keeps steps in order while they fit and says what stays reachable.
    let tight = json_of(&["harden", "--at", AT, "--budget", "3"]);
    assert!(tight["cost"].as_u64().expect("cost") <= 3);
    assert_eq!(tight["complete"], false);
    assert!(!tight["deferred"].as_array().expect("deferred").is_empty());
}

/// A hardening plan cannot end an outsider's hold by ending its sessions (it signs in
/// again): it cuts the edge. And `blast --apply-plan` refuses it by name.
#[test]
fn harden_cuts_rather_than_ending_an_outsiders_sessions() {
    let doc = serde_json::json!({
        "schema": "trustpath/graph/v1",
        "nodes": [
            {"id": "azure:sp:vendor", "kind": "service_account", "tags": {"third_party": "vendor-inc"},
             "revoke": [{"id": "sessions:vendor", "action": "revoke_sessions", "cost": 1}]},
            {"id": "db", "kind": "resource", "criticality": 9}
        ],
        "edges": [
            {"from": "azure:sp:vendor", "to": "db", "kind": "can_access", "reason": "role assignment",
             "revoke": [{"id": "remove-assignment:vendor-db", "action": "remove_assignment", "cost": 5}]}
        ]
    });
    let (dir, file) = graph_file(&doc);
    let plan = json_of(&["-i", &file, "harden", "--at", AT]);
    let ids: Vec<&str> = steps(&plan)
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["remove-assignment:vendor-db"]);
    assert_eq!(plan["complete"], true);
    let saved = dir.path().join("harden.json");
    std::fs::write(&saved, plan.to_string()).expect("write");
    trustpath()
        .args([
            "-i",
            &file,
            "blast",
            "-c",
            "azure:sp:vendor",
            "--apply-plan",
        ])
        .arg(&saved)
        .assert()
        .failure()
        .stderr(predicate::str::contains("a hardening plan"));
}
