//! Shared by the importer tests: golden edge lists compared order-insensitively.

use std::collections::BTreeSet;
use std::path::PathBuf;

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
