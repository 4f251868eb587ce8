//! The order of the cut phase: single points of failure first, then greedily.

use super::actions::{ActionIx, Actions};
use super::region::Region;
use super::search::{Until, WORK, lazy_greedy};
use crate::runs;

/// Orders `cut` given `base` already applied: first the actions that remove a dominator
/// of some crown jewel (a node, edge or foothold on every path from the footholds to
/// it), by the weight of the jewels they dominate; then the rest by marginal reduction
/// per unit cost, recomputed after each pick (within [`WORK`]; past it, cheapest first).
pub fn order_cut(
    region: &Region,
    actions: &Actions<'_>,
    base: &[bool],
    cut: &[ActionIx],
) -> Vec<ActionIx> {
    let mut chosen = base.to_vec();
    let dominated = dominated_weight(region, base, cut, actions.len());
    let mut chokes: Vec<ActionIx> = cut.iter().copied().filter(|&a| dominated[a] > 0).collect();
    chokes.sort_by_key(|&a| (std::cmp::Reverse(dominated[a]), actions.all[a].cost, a));
    for &a in &chokes {
        chosen[a] = true;
    }
    let rest: Vec<ActionIx> = cut.iter().copied().filter(|&a| dominated[a] == 0).collect();
    let evaluations = WORK / region.arc_count().max(1);
    let mut order = chokes;
    order.extend(lazy_greedy(
        region,
        actions,
        &mut chosen,
        &rest,
        Until::PoolEmpty,
        evaluations,
    ));
    order
}

const NONE: u32 = u32::MAX;

/// The dominator tree of the region with `base` applied, under a virtual root that
/// enters every live foothold: Cooper, Harvey and Kennedy's iterative algorithm on flat
/// arrays (petgraph's `simple_fast` keeps hash sets of predecessors, too slow for a
/// region of a million nodes).
struct Dominators {
    /// Per local node (the root is `n`): immediate dominator, `NONE` when unreachable.
    idom: Vec<u32>,
    /// Preorder interval of each node in the dominator tree, for dominance queries.
    pre: Vec<u32>,
    post: Vec<u32>,
    /// Passable predecessor arcs per node (CSR): (source, arc).
    pred_start: Vec<u32>,
    preds: Vec<(u32, u32)>,
    live_start: Vec<bool>,
}

impl Dominators {
    fn compute(region: &Region, base: &[bool]) -> Dominators {
        let n = region.len();
        let root = n as u32;
        let live_start: Vec<bool> = (0..n as u32).map(|v| region.live_start(v, base)).collect();
        let passable = |v: u32, arc: usize| !region.removed(v, base) && region.open(arc, base);
        // Predecessors, and successors of the root.
        let pred_start = runs::starts(
            n,
            (0..n as u32).flat_map(|v| {
                region
                    .arcs(v)
                    .filter(move |&arc| passable(v, arc))
                    .map(|arc| region.arc_target(arc) as usize)
            }),
        );
        let mut fill = pred_start.clone();
        let mut preds = vec![(0u32, 0u32); pred_start[n] as usize];
        for v in 0..n as u32 {
            for arc in region.arcs(v) {
                if passable(v, arc) {
                    let to = region.arc_target(arc) as usize;
                    preds[fill[to] as usize] = (v, arc as u32);
                    fill[to] += 1;
                }
            }
        }
        // Postorder by an iterative depth-first search from the root.
        let mut po = vec![NONE; n + 1];
        let mut order: Vec<u32> = Vec::with_capacity(n + 1);
        let mut stack: Vec<(u32, usize)> = vec![(root, 0)];
        let mut seen = vec![false; n + 1];
        seen[n] = true;
        let starts: Vec<u32> = (0..n as u32).filter(|&v| live_start[v as usize]).collect();
        while let Some(&mut (u, ref mut i)) = stack.last_mut() {
            let next = if u == root {
                starts.get(*i).copied()
            } else {
                let arcs = region.arcs(u);
                let mut found = None;
                while arcs.start + *i < arcs.end {
                    let arc = arcs.start + *i;
                    if passable(u, arc) && !seen[region.arc_target(arc) as usize] {
                        found = Some(region.arc_target(arc));
                        break;
                    }
                    *i += 1;
                }
                found
            };
            match next {
                Some(v) => {
                    *i += 1;
                    if !seen[v as usize] {
                        seen[v as usize] = true;
                        stack.push((v, 0));
                    }
                }
                None => {
                    po[u as usize] = order.len() as u32;
                    order.push(u);
                    stack.pop();
                }
            }
        }
        let mut idom = vec![NONE; n + 1];
        idom[n] = root;
        let intersect = |idom: &[u32], mut a: u32, mut b: u32| {
            while a != b {
                while po[a as usize] < po[b as usize] {
                    a = idom[a as usize];
                }
                while po[b as usize] < po[a as usize] {
                    b = idom[b as usize];
                }
            }
            a
        };
        let mut changed = true;
        while changed {
            changed = false;
            for &b in order.iter().rev().skip(1) {
                let bi = b as usize;
                let mut new = if live_start[bi] { root } else { NONE };
                for &(p, _) in &preds[pred_start[bi] as usize..pred_start[bi + 1] as usize] {
                    if idom[p as usize] == NONE {
                        continue;
                    }
                    new = if new == NONE {
                        p
                    } else {
                        intersect(&idom, p, new)
                    };
                }
                if new != NONE && idom[bi] != new {
                    idom[bi] = new;
                    changed = true;
                }
            }
        }
        // Preorder intervals of the dominator tree.
        let child_start = runs::starts(
            n + 1,
            idom.iter()
                .take(n)
                .filter(|&&p| p != NONE)
                .map(|&p| p as usize),
        );
        let mut fill = child_start.clone();
        let mut children = vec![0u32; child_start[n + 1] as usize];
        for (v, &p) in idom.iter().enumerate().take(n) {
            if p != NONE {
                children[fill[p as usize] as usize] = v as u32;
                fill[p as usize] += 1;
            }
        }
        let (mut pre, mut post) = (vec![NONE; n + 1], vec![NONE; n + 1]);
        let mut clock = 0u32;
        let mut stack: Vec<(u32, u32)> = vec![(root, child_start[n])];
        pre[n] = clock;
        while let Some(&mut (u, ref mut next)) = stack.last_mut() {
            if *next < child_start[u as usize + 1] {
                let c = children[*next as usize];
                *next += 1;
                clock += 1;
                pre[c as usize] = clock;
                stack.push((c, child_start[c as usize]));
            } else {
                post[u as usize] = clock;
                stack.pop();
            }
        }
        Dominators {
            idom,
            pre,
            post,
            pred_start,
            preds,
            live_start,
        }
    }

    /// `a` dominates `b` (both reachable).
    fn dominates(&self, a: u32, b: u32) -> bool {
        self.pre[a as usize] <= self.pre[b as usize]
            && self.post[b as usize] <= self.post[a as usize]
    }

    /// The one way into `v` every path from the root takes, when there is one: the
    /// root's entry (the foothold itself) or a single arc. Arcs from nodes `v` dominates
    /// (loops back into it) are not ways in.
    fn entry(&self, v: u32) -> Option<Entry> {
        let vi = v as usize;
        let mut found = self.live_start[vi].then_some(Entry::Start);
        for &(p, arc) in &self.preds[self.pred_start[vi] as usize..self.pred_start[vi + 1] as usize]
        {
            if self.idom[p as usize] == NONE || self.dominates(v, p) {
                continue;
            }
            if found.is_some() {
                return None;
            }
            found = Some(Entry::Arc(arc as usize));
        }
        found
    }
}

#[derive(Clone, Copy)]
enum Entry {
    Start,
    Arc(usize),
}

/// Per action of `cut`: the summed weight of the crown jewels it alone cuts off — those
/// it removes a dominator of, or the single way into one.
fn dominated_weight(
    region: &Region,
    base: &[bool],
    cut: &[ActionIx],
    n_actions: usize,
) -> Vec<u64> {
    let doms = Dominators::compute(region, base);
    let root = region.len() as u32;
    let mut in_cut = vec![false; n_actions];
    for &a in cut {
        in_cut[a] = true;
    }
    let mut weight = vec![0u64; n_actions];
    let mut credited: Vec<ActionIx> = Vec::new();
    for v in 0..region.len() as u32 {
        let w = region.jewel[v as usize];
        if w == 0 || doms.idom[v as usize] == NONE {
            continue;
        }
        credited.clear();
        let mut d = v;
        while d != root {
            credited.extend(region.node_actions(d).iter().filter(|&&a| in_cut[a]));
            match doms.entry(d) {
                Some(Entry::Start) => {
                    credited.extend(region.session_actions(d).iter().filter(|&&a| in_cut[a]))
                }
                Some(Entry::Arc(arc)) => {
                    credited.extend(region.arc_actions(arc).iter().filter(|&&a| in_cut[a]))
                }
                None => {}
            }
            d = doms.idom[d as usize];
        }
        credited.sort_unstable();
        credited.dedup();
        for &a in &credited {
            weight[a] += w;
        }
    }
    weight
}
