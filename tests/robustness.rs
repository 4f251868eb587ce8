//! No importer panics on damaged input: every sample file, mutated at random, either
//! loads or fails with an error.

mod common;

use proptest::prelude::*;
use trustpath::import::{Input, SAMPLE, load_inputs};

/// AWS exports of every shape the importer reads, for the second property.
const AWS: &[(&str, &[u8])] = &[
    (
        "gaad.json",
        include_bytes!("fixtures/aws/escalation.gaad.page2.json"),
    ),
    (
        "report.csv",
        include_bytes!("fixtures/aws/credential-report.csv"),
    ),
    (
        "keys.json",
        include_bytes!("fixtures/aws/list-access-keys.key-maker.json"),
    ),
    (
        "accounts.json",
        include_bytes!("fixtures/aws-accounts/444455556666.gaad.json"),
    ),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn importers_never_panic(
        file in 0..SAMPLE.len(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..8),
        cut in prop::option::of(any::<usize>()),
    ) {
        let (name, bytes) = SAMPLE[file];
        let damaged = common::mutate(bytes, &edits, cut);
        // The other sample files stay intact so that cross-file references resolve.
        let inputs = SAMPLE.iter().enumerate().map(|(i, &(n, b))| {
            if i == file { Input::bytes(name, damaged.clone()) } else { Input::bytes(n, b) }
        });
        if let Ok(loaded) = load_inputs(inputs) {
            // Whatever loaded must be usable: outputs and lookups work on it.
            let mut sink = Vec::new();
            trustpath::report::json::write_graph(&mut sink, &loaded.graph, &|_| true).expect("in memory");
            let _ = loaded.graph.resolve("deploy");
        }
    }

    #[test]
    fn aws_importers_never_panic(
        file in 0..AWS.len(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..8),
        cut in prop::option::of(any::<usize>()),
    ) {
        let (name, bytes) = AWS[file];
        let damaged = common::mutate(bytes, &edits, cut);
        let inputs = AWS.iter().enumerate().map(|(i, &(n, b))| {
            if i == file { Input::bytes(name, damaged.clone()) } else { Input::bytes(n, b) }
        });
        let _ = load_inputs(inputs);
    }
}

/// A file the directory walk found regular but that became a FIFO before it was read
/// (swapped in between) is an error naming it, not a load that waits for a writer forever.
#[test]
fn a_file_swapped_for_a_fifo_after_the_walk_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("users.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo is not available: skipping");
        return;
    }
    let Err(error) = load_inputs([Input::found(fifo)]) else {
        panic!("a FIFO is refused");
    };
    let error = error.to_string();
    assert!(
        error.contains("users.json") && error.contains("not a regular file"),
        "{error}"
    );
}
