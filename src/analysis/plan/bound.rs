//! The lower bound beside the plan's cost, and a minimum-cut selection: max-flow over the
//! region with every node split in two, so that removing a node is one arc.
//!
//! An action that cuts k items of the network (arcs, node halves, foothold arcs) gives
//! each of them capacity cost/k, so that no cut can cost less than the actions that
//! make it: the flow is a true lower bound even when one action cuts many edges, and an
//! exact one when every action cuts one item.

use petgraph::algo::dinics;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use super::actions::{ActionIx, Actions};
use super::region::Region;

/// Capacities are costs times this (divisible by 1..=16), so shares of a cost stay exact
/// in integers for the common small counts.
const SCALE: u64 = 720_720;

pub struct Bound {
    /// No complete set (beyond the base) costs less.
    pub lower: u64,
    /// The actions of one minimum cut: a complete set, though not always the cheapest
    /// when actions cut several items.
    pub cut: Vec<ActionIx>,
}

/// Max-flow from the remaining footholds to the crown jewels still weighted in `region`,
/// with the `base` actions already applied.
pub fn bound(region: &Region, actions: &Actions, base: &[bool]) -> Bound {
    let n = region.len();
    // Items each free action appears on, for its share.
    let mut items = vec![0u64; actions.len()];
    let free = |a: &&ActionIx| !base[**a];
    for v in 0..n as u32 {
        for &a in region
            .session_actions(v)
            .iter()
            .chain(region.node_actions(v))
            .filter(free)
        {
            items[a] += 1;
        }
    }
    for arc in 0..region.arc_count() {
        for &a in region.arc_actions(arc).iter().filter(free) {
            items[a] += 1;
        }
    }
    let total: u64 = region.candidates.iter().map(|&a| actions.all[a].cost).sum();
    let inf = total.saturating_add(1).saturating_mul(SCALE);
    let capacity = |list: &[ActionIx]| -> (u64, Option<ActionIx>) {
        list.iter()
            .filter(free)
            .map(|&a| (actions.all[a].cost * SCALE / items[a].max(1), Some(a)))
            .min()
            .unwrap_or((inf, None))
    };
    let blocked = |list: &[ActionIx]| list.iter().any(|&a| base[a]);
    let mut net: DiGraph<(), u64, u32> =
        DiGraph::with_capacity(2 * n + 2, region.arc_count() + 3 * n);
    let s = net.add_node(());
    let t = net.add_node(());
    for _ in 0..2 * n {
        net.add_node(());
    }
    let v_in = |v: u32| NodeIndex::new(2 + 2 * v as usize);
    let v_out = |v: u32| NodeIndex::new(3 + 2 * v as usize);
    // Per network arc: the action its capacity comes from.
    let mut what: Vec<Option<ActionIx>> = Vec::new();
    for v in 0..n as u32 {
        if blocked(region.node_actions(v)) {
            continue; // removed by the base: nothing passes through it
        }
        let (cap, by) = capacity(region.node_actions(v));
        net.add_edge(v_in(v), v_out(v), cap);
        what.push(by);
        if region.live_start(v, base) {
            let (cap, by) = capacity(region.session_actions(v));
            net.add_edge(s, v_in(v), cap);
            what.push(by);
        }
        if region.jewel[v as usize] > 0 {
            net.add_edge(v_out(v), t, inf);
            what.push(None);
        }
        for arc in region.arcs(v) {
            let to = region.arc_target(arc);
            if blocked(region.arc_actions(arc)) || blocked(region.node_actions(to)) {
                continue;
            }
            let (cap, by) = capacity(region.arc_actions(arc));
            net.add_edge(v_out(v), v_in(to), cap);
            what.push(by);
        }
    }
    let (flow, flows) = dinics(&net, s, t);
    // Source side of the minimum cut: what the residual network still reaches from s.
    let mut side = vec![false; net.node_count()];
    side[s.index()] = true;
    let mut stack = vec![s];
    while let Some(u) = stack.pop() {
        for e in net.edges_directed(u, petgraph::Direction::Outgoing) {
            if flows[e.id().index()] < *e.weight() && !side[e.target().index()] {
                side[e.target().index()] = true;
                stack.push(e.target());
            }
        }
        for e in net.edges_directed(u, petgraph::Direction::Incoming) {
            if flows[e.id().index()] > 0 && !side[e.source().index()] {
                side[e.source().index()] = true;
                stack.push(e.source());
            }
        }
    }
    let mut cut: Vec<ActionIx> = net
        .edge_references()
        .filter(|e| side[e.source().index()] && !side[e.target().index()])
        .filter_map(|e| what[e.id().index()])
        .collect();
    cut.sort_unstable();
    cut.dedup();
    Bound {
        lower: flow.div_ceil(SCALE),
        cut,
    }
}
