//! Shared by the test binaries: running the binary, and golden edge lists compared
//! order-insensitively. Each binary uses part of it.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use assert_cmd::Command;

/// The sample's golden outputs are computed as of this instant, not "now".
pub const AT: &str = "2026-11-25T00:00:00Z";
/// The sample incident's compromised node.
pub const COMPROMISED: &str = "github:action:tj-style/changed-files@v45";

/// The binary, run from the repository root with colours off.
pub fn trustpath() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trustpath"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    cmd
}

/// Runs over `input` as of [`AT`]: whether it succeeded, and all it printed (stdout,
/// then stderr), for checks that no output holds something.
pub fn run_text(input: &str, args: &[&str]) -> (bool, String) {
    let output = trustpath()
        .args(["-i", input, "--at", AT])
        .args(args)
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Runs each of `runs` over `input` (as [`run_text`]), asserting that it succeeds and
/// that nothing it printed, nor the graph one of them saved to `saved`, holds any of
/// `hidden` (secret values, private key lines). Returns the saved graph's text.
pub fn assert_no_output_holds(
    input: &str,
    runs: &[Vec<&str>],
    saved: &std::path::Path,
    hidden: &[&str],
) -> String {
    let check = |what: &str, text: &str| {
        for h in hidden {
            assert!(!text.contains(h), "{what} holds a hidden value:\n{text}");
        }
    };
    for args in runs {
        let (ok, text) = run_text(input, args);
        assert!(ok, "trustpath {args:?} failed:\n{text}");
        check(&format!("trustpath {args:?}"), &text);
    }
    let written = std::fs::read_to_string(saved).expect("saved graph");
    check("the saved graph", &written);
    written
}

/// Runs and returns stdout, asserting success.
pub fn stdout_of(args: &[&str]) -> String {
    let out = trustpath().args(args).output().expect("binary runs");
    assert!(
        out.status.success(),
        "trustpath {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Every command of the JSON plan for `compromised` over `input`, with more plan options.
pub fn plan_commands(input: &std::path::Path, compromised: &str, more: &[&str]) -> Vec<String> {
    let out = trustpath()
        .args(["-i", input.to_str().expect("utf-8 path")])
        .args(["plan", "-c", compromised, "--format", "json", "--at", AT])
        .args(more)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .flat_map(|s| s["commands"].as_array().expect("commands").clone())
        .map(|c| c.as_str().expect("a string").to_string())
        .collect()
}

/// One line per edge of the kinds `keep` accepts: `from -kind[technique]-> to`, with
/// `(potential)` or `(conditional)`, keys shortened by `short`.
pub fn edge_lines(
    loaded: &trustpath::import::Loaded,
    short: impl Fn(&str) -> String,
    keep: impl Fn(trustpath::model::EdgeKind) -> bool,
) -> BTreeSet<String> {
    let g = &loaded.graph;
    g.edge_ids()
        .filter(|&e| keep(g.edge(e).kind))
        .map(|e| {
            let edge = g.edge(e);
            let (a, b) = g.endpoints(e);
            let technique = edge.technique.map(|t| format!("[{t}]")).unwrap_or_default();
            let mut line = format!(
                "{} -{}{technique}-> {}",
                short(g.key(a)),
                edge.kind,
                short(g.key(b))
            );
            if edge.dormant {
                line.push_str(" (dormant)");
            } else if edge.potential {
                line.push_str(" (potential)");
            } else if edge.is_conditional() {
                line.push_str(" (conditional)");
            }
            line
        })
        .collect()
}

/// Compares `got` with `tests/golden/NAME` line by line, ignoring order; with
/// `UPDATE_GOLDEN` set it rewrites the file first.
pub fn assert_golden(got: &BTreeSet<String>, name: &str) {
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let text: String = got.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&golden, text).expect("write golden");
    }
    let want: BTreeSet<String> = std::fs::read_to_string(&golden)
        .unwrap_or_else(|e| {
            panic!("golden edge list {name} ({e}; UPDATE_GOLDEN=1 cargo test writes it)")
        })
        .lines()
        .map(str::to_string)
        .collect();
    let missing: Vec<_> = want.difference(got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nunexpected: {extra:#?}"
    );
}

/// Whether an outside tool a test needs is installed. Missing, the test says so and is
/// skipped on a developer's machine; under CI (`CI=true`, where `.ci/run` installs it)
/// a missing tool fails the test instead of letting it pass without running.
pub fn have(tool: &str, probe: &[&str]) -> bool {
    let found = std::process::Command::new(tool)
        .args(probe)
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "`{tool}` is not installed, and CI must run this test (.ci/run installs it)"
        );
        eprintln!("`{tool}` is not installed: skipping (.ci/run installs it)");
    }
    found
}

/// Standard base64 (with padding), to look for encoded copies of planted values.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The edge of `kind` from `from` to `to`, keys as `short` writes them, if any.
pub fn find_edge<'l>(
    l: &'l trustpath::import::Loaded,
    short: impl Fn(&str) -> String,
    from: &str,
    kind: trustpath::model::EdgeKind,
    to: &str,
) -> Option<trustpath::model::EdgeRef<'l>> {
    let g = &l.graph;
    g.edge_ids()
        .find(|&e| {
            let (a, b) = g.endpoints(e);
            g.edge(e).kind == kind && short(g.key(a)) == from && short(g.key(b)) == to
        })
        .map(|e| g.edge(e))
}

/// The loaded fixture directory `tests/fixtures/NAME`, as of [`AT`].
pub fn load_fixtures(name: &str) -> trustpath::import::Loaded {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    trustpath::import::load_paths_with(&[dir], AT.parse().expect("timestamp"), &mut |_| {})
        .expect("fixtures load")
}

/// A damaged copy of `bytes`: flips, deletions, insertions of troublesome bytes, truncation.
pub fn mutate(bytes: &[u8], edits: &[(usize, u8, u8)], cut: Option<usize>) -> Vec<u8> {
    const NASTY: &[u8] = b"\"\\{}[],:\x00\x1b\n\r\xff\xc3-0123456789eE.+*?#";
    let mut out = bytes.to_vec();
    for &(at, op, byte) in edits {
        if out.is_empty() {
            break;
        }
        let at = at % out.len();
        let nasty = NASTY[usize::from(byte) % NASTY.len()];
        match op % 3 {
            0 => out[at] = nasty,
            1 => {
                out.remove(at);
            }
            _ => out.insert(at, nasty),
        }
    }
    if let Some(cut) = cut {
        out.truncate(cut % (out.len() + 1));
    }
    out
}
