//! The order of the cut phase: single points of failure first, then greedily.

use petgraph::algo::dominators::simple_fast;
use petgraph::graph::{DiGraph, NodeIndex};

use super::actions::{ActionIx, Actions};
use super::region::Region;
use super::search::{Until, lazy_greedy};

/// Beyond this many arcs in the region, dominators are not computed (the Cooper–Harvey–
/// Kennedy algorithm is quadratic at worst) and the greedy order alone ranks the cuts.
const DOMINATORS_MAX_ARCS: usize = 2_000_000;

/// Orders `cut` given `base` already applied: first the actions that remove a dominator
/// of some crown jewel (an item on every path from the footholds to it), by the weight of
/// the jewels they dominate; then the rest by marginal reduction per unit cost,
/// recomputed after each pick.
pub fn order_cut(
    region: &Region,
    actions: &Actions,
    base: &[bool],
    cut: &[ActionIx],
) -> Vec<ActionIx> {
    let mut chosen = base.to_vec();
    let dominated = if region.arc_count() <= DOMINATORS_MAX_ARCS {
        dominated_weight(region, base, cut, actions.len())
    } else {
        vec![0; actions.len()]
    };
    let mut chokes: Vec<ActionIx> = cut.iter().copied().filter(|&a| dominated[a] > 0).collect();
    chokes.sort_by_key(|&a| (std::cmp::Reverse(dominated[a]), actions.all[a].cost, a));
    for &a in &chokes {
        chosen[a] = true;
    }
    let rest: Vec<ActionIx> = cut.iter().copied().filter(|&a| dominated[a] == 0).collect();
    let mut order = chokes;
    order.extend(lazy_greedy(
        region,
        actions,
        &mut chosen,
        &rest,
        Until::PoolEmpty,
    ));
    order
}

/// Per action of `cut`: the summed weight of the crown jewels it alone cuts off, found
/// from the dominator tree of the region (with `base` applied) under a super-root over
/// the footholds. Arcs and foothold entries are subdivided into nodes of their own, so
/// that an edge, a node and a foothold can each be a dominator.
fn dominated_weight(
    region: &Region,
    base: &[bool],
    cut: &[ActionIx],
    n_actions: usize,
) -> Vec<u64> {
    let n = region.len();
    let blocked = |list: &[ActionIx]| list.iter().any(|&a| base[a]);
    let mut g: DiGraph<(), (), u32> = DiGraph::with_capacity(2 * n + region.arc_count() + 1, 0);
    let root = g.add_node(());
    // Graph node i + 1 is region node i; entries and arcs follow.
    for _ in 0..n {
        g.add_node(());
    }
    let node = |v: u32| NodeIndex::new(v as usize + 1);
    /// What a subdivision node stands for.
    enum Item {
        Start(u32),
        Arc(usize),
    }
    let mut items: Vec<Item> = Vec::new();
    for v in 0..n as u32 {
        if blocked(region.node_actions(v)) {
            continue;
        }
        if region.live_start(v, base) {
            let s = g.add_node(());
            g.add_edge(root, s, ());
            g.add_edge(s, node(v), ());
            items.push(Item::Start(v));
        }
        for arc in region.arcs(v) {
            let to = region.arc_target(arc);
            if blocked(region.arc_actions(arc)) || blocked(region.node_actions(to)) {
                continue;
            }
            let x = g.add_node(());
            g.add_edge(node(v), x, ());
            g.add_edge(x, node(to), ());
            items.push(Item::Arc(arc));
        }
    }
    let first_item = n + 1;
    let doms = simple_fast(&g, root);
    let in_cut = {
        let mut m = vec![false; n_actions];
        for &a in cut {
            m[a] = true;
        }
        m
    };
    let mut weight = vec![0u64; n_actions];
    let mut credited: Vec<ActionIx> = Vec::new();
    for v in 0..n as u32 {
        let w = region.jewel[v as usize];
        let Some(chain) = (w > 0).then(|| doms.dominators(node(v))).flatten() else {
            continue;
        };
        credited.clear();
        for d in chain {
            let i = d.index();
            let list: &[ActionIx] = if i == 0 {
                &[]
            } else if i < first_item {
                region.node_actions((i - 1) as u32)
            } else {
                match items[i - first_item] {
                    Item::Start(f) => region.session_actions(f),
                    Item::Arc(arc) => region.arc_actions(arc),
                }
            };
            credited.extend(list.iter().copied().filter(|&a| in_cut[a]));
        }
        credited.sort_unstable();
        credited.dedup();
        for &a in &credited {
            weight[a] += w;
        }
    }
    weight
}
