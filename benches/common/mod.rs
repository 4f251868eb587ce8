//! Shared by the benchmarks: the sizes asked for on the command line, generated
//! organisations written to a temporary file, and a deterministic random source for the
//! generators of exports.

// Each benchmark uses part of this.
#![allow(dead_code)]

use std::path::PathBuf;

/// Node counts from the command line (`1000000` or `1_000_000`), else `defaults`.
pub fn sizes(defaults: &[usize]) -> Vec<usize> {
    let asked: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    if asked.is_empty() {
        defaults.to_vec()
    } else {
        asked
    }
}

/// Writes `trustpath gen --nodes n --seed 42` to a temporary file and returns its path.
pub fn generated(n: usize, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("trustpath-bench");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(format!("{name}-{n}.json"));
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
    trustpath::synth::generate(&mut w, n, 42).expect("generate");
    // On disk before anything is timed: a load racing the write-back of a gigabyte it
    // just wrote measures the disk, not the load.
    let file_handle = w.into_inner().expect("flush");
    file_handle.sync_all().expect("sync");
    file
}

/// The node a generated organisation names in `metadata.suggested_compromised`.
pub fn suggested(graph: &trustpath::model::TrustGraph) -> trustpath::model::NodeId {
    graph
        .metadata()
        .get("suggested_compromised")
        .and_then(|v| v.as_str())
        .and_then(|k| graph.find(k))
        .expect("generated graphs name a compromised node")
}

/// SplitMix64, as in `trustpath gen`: deterministic without a dependency.
pub struct Rng(pub u64);

impl Rng {
    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n.max(1) as u64) as usize
    }
}

/// Encodes a generated export's documents, says how big it is (`what`: its contents),
/// and times three loads of it.
pub fn load_generated(files: Vec<(String, serde_json::Value)>, what: &str) {
    let files: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|(name, doc)| (name, serde_json::to_vec(&doc).expect("JSON")))
        .collect();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    println!(
        "{} files, {:.1} MB: {what}",
        files.len(),
        bytes as f64 / 1e6
    );
    time_loads(&files);
}

/// Loads `files` (name, bytes) three times in this process and prints each load's time
/// and what it built, and the first warning of the first.
pub fn time_loads(files: &[(String, Vec<u8>)]) {
    for run in 0..3 {
        let inputs: Vec<trustpath::import::Input> = files
            .iter()
            .map(|(n, b)| trustpath::import::Input::bytes(n, b.clone()))
            .collect();
        let start = std::time::Instant::now();
        let l = trustpath::import::load_inputs(inputs).expect("loads");
        println!(
            "run {run}: load {:.3} s ({} nodes, {} edges, {} warnings)",
            start.elapsed().as_secs_f64(),
            l.graph.node_count(),
            l.graph.edge_count(),
            l.warnings.len()
        );
        if run == 0
            && let Some(w) = l.warnings.first()
        {
            println!("first warning: {} {}", w.file, w.message);
        }
    }
}
