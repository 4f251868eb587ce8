//! The smallest loader that answers a blast radius from a native graph file: the whole
//! file read, serde_json into borrowed ids (every other field skipped), an id → index
//! map, a CSR adjacency of the edges that are not dormant, and one breadth-first search
//! from the suggested compromised node (it follows edges out of dead credentials too: it
//! is the floor of a load, not the same answer). It keeps nothing trustpath needs to explain or
//! plan (reasons, conditions, credentials, revoke entries, provenance), so it is the
//! floor a real load is measured against (issue 21: a JSON load within 1.5× of it, a
//! snapshot load within 0.15×).
//!
//!     cargo bench --bench reference_loader -- FILE.json   # a graph written by `trustpath gen`
//!     cargo bench --bench reference_loader                # generates 1,000,000 nodes first

use std::borrow::Cow;
use std::time::Instant;

use rustc_hash::FxHashMap;
use serde::Deserialize;

mod common;

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(borrow)]
    metadata: Metadata<'a>,
    #[serde(borrow)]
    nodes: Vec<NodeId<'a>>,
    #[serde(borrow)]
    edges: Vec<EdgeEnds<'a>>,
}

#[derive(Deserialize)]
struct Metadata<'a> {
    #[serde(borrow)]
    suggested_compromised: Cow<'a, str>,
}

#[derive(Deserialize)]
struct NodeId<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
}

#[derive(Deserialize)]
struct EdgeEnds<'a> {
    #[serde(borrow)]
    from: Cow<'a, str>,
    #[serde(borrow)]
    to: Cow<'a, str>,
    #[serde(default)]
    dormant: bool,
}

fn main() {
    let file = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-') && std::path::Path::new(a).is_file())
        .map_or_else(|| common::generated(1_000_000, "reference"), Into::into);
    let start = Instant::now();
    let bytes = std::fs::read(&file).expect("reads the graph");
    let read = start.elapsed();
    let doc: Doc<'_> = serde_json::from_slice(&bytes).expect("a native graph");
    let parsed = start.elapsed();
    let mut index: FxHashMap<&str, u32> = FxHashMap::default();
    index.reserve(doc.nodes.len());
    for (i, n) in doc.nodes.iter().enumerate() {
        index.entry(&n.id).or_insert(i as u32);
    }
    // CSR: out-degrees, offsets, then targets.
    let ends: Vec<(u32, u32)> = doc
        .edges
        .iter()
        .filter(|e| !e.dormant)
        .filter_map(|e| Some((*index.get(&*e.from)?, *index.get(&*e.to)?)))
        .collect();
    let mut offsets = vec![0u32; doc.nodes.len() + 1];
    for &(from, _) in &ends {
        offsets[from as usize + 1] += 1;
    }
    for i in 1..offsets.len() {
        offsets[i] += offsets[i - 1];
    }
    let mut fill = offsets.clone();
    let mut targets = vec![0u32; ends.len()];
    for &(from, to) in &ends {
        targets[fill[from as usize] as usize] = to;
        fill[from as usize] += 1;
    }
    let built = start.elapsed();
    let source = *index
        .get(&*doc.metadata.suggested_compromised)
        .expect("the suggested node exists");
    let mut seen = vec![false; doc.nodes.len()];
    let mut queue = std::collections::VecDeque::from([source]);
    seen[source as usize] = true;
    let mut reached = 0usize;
    while let Some(n) = queue.pop_front() {
        reached += 1;
        let (a, b) = (
            offsets[n as usize] as usize,
            offsets[n as usize + 1] as usize,
        );
        for &t in &targets[a..b] {
            if !std::mem::replace(&mut seen[t as usize], true) {
                queue.push_back(t);
            }
        }
    }
    let total = start.elapsed();
    println!(
        "{} nodes, {} edges ({} followed): read {:.3} s, parse {:.3} s, index and CSR {:.3} s, BFS {:.3} s ({reached} reached)",
        doc.nodes.len(),
        doc.edges.len(),
        ends.len(),
        read.as_secs_f64(),
        (parsed - read).as_secs_f64(),
        (built - parsed).as_secs_f64(),
        (total - built).as_secs_f64(),
    );
    println!("reference load: {:.3} s", total.as_secs_f64());
}
