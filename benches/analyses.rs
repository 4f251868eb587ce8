//! Statistical benchmarks (divan) of every analysis at 10k, 100k and 1M nodes, on the
//! generated organisation: load, blast radius, exposure, audit, plan, harden, shortest path and
//! fuzzy search.
//!
//!     cargo bench --bench analyses                  # everything (about two minutes)
//!     cargo bench --bench analyses -- blast         # one analysis
//!
//! `benches/scale.rs` prints the same figures as one table; this one gives divan's
//! spread (fastest, slowest, median, mean) and allocation counts per operation.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

use divan::Bencher;
use trustpath::analysis::audit::Thresholds;
use trustpath::analysis::harden::Harden;
use trustpath::analysis::plan::{Plan, PlanOptions};
use trustpath::analysis::{Audit, BlastRadius, Exposure, paths};
use trustpath::import;
use trustpath::model::{NodeId, TrustGraph};

mod common;

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

fn main() {
    divan::main();
}

/// Generated files and loaded graphs, made once per size and kept for the whole run.
static FILES: LazyLock<Mutex<HashMap<usize, PathBuf>>> = LazyLock::new(Default::default);
static GRAPHS: LazyLock<Mutex<HashMap<usize, &'static Loaded>>> = LazyLock::new(Default::default);

struct Loaded {
    graph: TrustGraph,
    start: NodeId,
    far: NodeId,
    /// The node with the most incoming edges: whoever can reach it is most of the graph.
    hub: NodeId,
}

fn file(n: usize) -> PathBuf {
    let mut files = FILES.lock().expect("lock");
    files
        .entry(n)
        .or_insert_with(|| common::generated(n, "divan"))
        .clone()
}

fn loaded(n: usize) -> &'static Loaded {
    let mut graphs = GRAPHS.lock().expect("lock");
    graphs.entry(n).or_insert_with(|| {
        let graph = import::load_paths(&[file(n)]).expect("load").graph;
        let start = common::suggested(&graph);
        let far = BlastRadius::compute(&graph, &[start], at())
            .reached
            .last()
            .map(|r| r.node)
            .expect("something is reached");
        let hub = graph
            .node_ids()
            .max_by_key(|&n| graph.incoming(n).len())
            .expect("nodes");
        // Kept to the end of the process: the benchmarks borrow it.
        Box::leak(Box::new(Loaded {
            graph,
            start,
            far,
            hub,
        }))
    })
}

fn at() -> jiff::Timestamp {
    "2026-11-25T00:00:00Z".parse().expect("timestamp")
}

#[divan::bench(args = SIZES, sample_count = 3, sample_size = 1)]
fn load(bencher: Bencher, n: usize) {
    let path = file(n);
    bencher.bench_local(|| import::load_paths(std::slice::from_ref(&path)).expect("load"));
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn blast(bencher: Bencher, n: usize) {
    let l = loaded(n);
    bencher.bench_local(|| BlastRadius::compute(&l.graph, &[l.start], at()));
}

/// Who can reach the hub (`trustpath exposure`): a backward search over most of the
/// graph, every holder classified and ranked.
#[divan::bench(args = SIZES, sample_count = 10)]
fn exposure(bencher: Bencher, n: usize) {
    let l = loaded(n);
    bencher.bench_local(|| Exposure::compute(&l.graph, &[l.hub], at()));
}

/// Every audit rule over the whole graph (`trustpath audit`).
#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn audit(bencher: Bencher, n: usize) {
    let l = loaded(n);
    bencher.bench_local(|| Audit::run(&l.graph, at(), Thresholds::default()));
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn plan(bencher: Bencher, n: usize) {
    let l = loaded(n);
    bencher.bench_local(|| Plan::compute(&l.graph, &[l.start], &PlanOptions::new(at())));
}

/// The standing hardening plan (`trustpath harden`): every entry point an outsider holds
/// (a vendor's agent per team, credentials older than 90 days) to every crown jewel.
#[divan::bench(args = SIZES, sample_count = 3, sample_size = 1)]
fn harden(bencher: Bencher, n: usize) {
    let l = loaded(n);
    bencher.bench_local(|| Harden::compute(&l.graph, &PlanOptions::new(at()), 90));
}

#[divan::bench(args = SIZES, sample_count = 20)]
fn path(bencher: Bencher, n: usize) {
    let l = loaded(n);
    bencher.bench_local(|| paths::shortest(&l.graph, l.start, l.far, at()));
}

/// The TUI's search job: the first key of a query over every node.
#[divan::bench(args = SIZES, sample_count = 10)]
fn fuzzy_search(bencher: Bencher, n: usize) {
    let l = loaded(n);
    let all: Vec<NodeId> = l.graph.nodes_by_key().collect();
    bencher
        .with_inputs(|| all.clone())
        .bench_local_values(|base| trustpath::tui::search(&l.graph, base, "role:00"));
}
