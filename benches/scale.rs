//! Scale benchmark: generate an organisation, then time load, blast radius, path and the
//! revocation plan (computing it, then writing it as JSON to a sink).
//!
//!     cargo bench --bench scale                       # 10k, 100k and 1M nodes
//!     cargo bench --bench scale -- 1000000            # chosen sizes
//!
//! Plain timing (best of a few runs for the analyses) rather than a statistics harness:
//! loading a million nodes takes seconds, so the figures that matter are large and
//! stable, and peak memory is measured on the binary with `/usr/bin/time -v` (see
//! BENCHMARKS.md).

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use trustpath::analysis::plan::{Plan, PlanOptions};
use trustpath::analysis::{BlastRadius, paths};
use trustpath::import;
use trustpath::report::plan::{PlanOut, write_json};

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = black_box(f());
        best = best.min(start.elapsed());
        last = Some(value);
    }
    (best, last.unwrap_or_else(|| unreachable!("runs > 0")))
}

fn main() {
    let sizes = common::sizes(&[10_000, 100_000, 1_000_000]);
    println!(
        "{:>9} {:>9} {:>9} {:>10} {:>10} {:>10} {:>9} {:>10} {:>10} {:>7}",
        "nodes",
        "edges",
        "file MB",
        "load",
        "blast",
        "path",
        "reached",
        "plan",
        "plan json",
        "steps"
    );
    for n in sizes {
        let file = common::generated(n, "gen");
        let size_mb = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
        let (load, loaded) = best_of(1, || {
            import::load_paths(std::slice::from_ref(&file)).expect("load")
        });
        let graph = loaded.graph;
        let start = common::suggested(&graph);
        let at = jiff::Timestamp::now();
        let (blast_time, blast) = best_of(5, || BlastRadius::compute(&graph, &[start], at));
        if std::env::var_os("PROBE").is_some() {
            let (t, _) = best_of(3, || {
                trustpath::analysis::Bfs::attacker(&graph, &[start], at, true, None)
            });
            eprintln!("bfs alone {t:?}");
        }
        let target = blast
            .reached
            .last()
            .map(|r| r.node)
            .expect("something is reached");
        let (path_time, _) = best_of(5, || paths::shortest(&graph, start, target, at));
        let (plan_time, plan) =
            best_of(3, || Plan::compute(&graph, &[start], &PlanOptions::new(at)));
        let (json_time, _) = best_of(1, || {
            let mut sink = std::io::BufWriter::new(std::io::sink());
            write_json(&mut sink, &PlanOut::new(&graph, &plan)).expect("sink")
        });
        println!(
            "{:>9} {:>9} {:>9.0} {:>9.2}s {:>8.1}ms {:>8.1}ms {:>9} {:>9.2}s {:>9.2}s {:>7}",
            n,
            graph.edge_count(),
            size_mb,
            load.as_secs_f64(),
            blast_time.as_secs_f64() * 1e3,
            path_time.as_secs_f64() * 1e3,
            blast.summary.reached,
            plan_time.as_secs_f64(),
            json_time.as_secs_f64(),
            plan.steps.len()
        );
        let _ = std::fs::remove_file(&file);
    }
}
