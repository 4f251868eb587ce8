//! The lower bound beside the plan's cost, and a minimum-cut selection: max-flow over the
//! region with every node split in two, so that removing a node is one arc.
//!
//! An action that cuts k items of the network (arcs, node halves, foothold arcs) gives
//! each of them capacity cost/k, so that no cut can cost less than the actions that
//! make it: the flow is a true lower bound even when one action cuts many edges, and an
//! exact one when every action cuts one item.
//!
//! Dinic's algorithm on flat arrays rather than petgraph's generic `dinics`: on a
//! 100,000-node region petgraph's took 9 s, this one a fraction of a second (its graph
//! trait calls and per-phase allocations dominate at this size).

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
pub fn bound(region: &Region, actions: &Actions<'_>, base: &[bool]) -> Bound {
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
    let (s, t) = (0u32, 1u32);
    let v_in = |v: u32| 2 + 2 * v;
    let v_out = |v: u32| 3 + 2 * v;
    let arcs = |add: &mut dyn FnMut(u32, u32, u64, Option<ActionIx>)| {
        for v in 0..n as u32 {
            if region.removed(v, base) {
                continue; // nothing passes through it
            }
            let (cap, by) = capacity(region.node_actions(v));
            add(v_in(v), v_out(v), cap, by);
            if region.live_start(v, base) {
                let (cap, by) = capacity(region.session_actions(v));
                add(s, v_in(v), cap, by);
            }
            if region.jewel[v as usize] > 0 {
                add(v_out(v), t, inf, None);
            }
            for arc in region.arcs(v) {
                let to = region.arc_target(arc);
                if !region.open(arc, base) {
                    continue;
                }
                let (cap, by) = capacity(region.arc_actions(arc));
                add(v_out(v), v_in(to), cap, by);
            }
        }
    };
    let mut flow = Flow::build(2 * n + 2, arcs);
    let value = flow.max_flow(s, t);
    let mut cut = flow.min_cut_labels();
    cut.sort_unstable();
    cut.dedup();
    Bound {
        lower: value.div_ceil(SCALE),
        cut,
    }
}

/// No action behind an arc's capacity (in [`Flow::by`]).
const NO_ACTION: u32 = u32::MAX;

impl Flow {
    /// The residual network in CSR form: arc 2i is the i-th arc `arcs` adds (from, to,
    /// capacity, the action behind the capacity), 2i+1 its reverse. `arcs` adds the
    /// same arcs twice, once to count them and once to lay them out: a list of them
    /// beside the network was the largest part of a million-node plan's memory.
    fn build(nodes: usize, arcs: impl Fn(&mut dyn FnMut(u32, u32, u64, Option<ActionIx>))) -> Flow {
        let mut start = vec![0u32; nodes + 1];
        let mut m = 0usize;
        arcs(&mut |a, b, _, _| {
            start[a as usize + 1] += 1;
            start[b as usize + 1] += 1;
            m += 1;
        });
        for i in 0..nodes {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut adj = vec![0u32; 2 * m];
        let mut head = vec![0u32; 2 * m];
        let mut cap = vec![0u64; 2 * m];
        let mut by = Vec::with_capacity(m);
        arcs(&mut |a, b, c, label| {
            let fwd = 2 * by.len();
            let rev = fwd + 1;
            head[fwd] = b;
            cap[fwd] = c;
            head[rev] = a;
            adj[fill[a as usize] as usize] = fwd as u32;
            fill[a as usize] += 1;
            adj[fill[b as usize] as usize] = rev as u32;
            fill[b as usize] += 1;
            by.push(label.map_or(NO_ACTION, |a| a as u32));
        });
        // Checked in release too: a second pass that added fewer arcs would leave slots
        // naming arc 0, a wrong bound rather than a panic.
        assert_eq!(by.len(), m, "the same arcs both times");
        Flow {
            start,
            adj,
            head,
            cap,
            by,
            level: vec![u32::MAX; nodes],
        }
    }
}

struct Flow {
    start: Vec<u32>,
    /// Per node slot: the arc index (CSR over both directions).
    adj: Vec<u32>,
    head: Vec<u32>,
    /// Residual capacity per arc.
    cap: Vec<u64>,
    /// Per forward arc: the action behind its capacity, or [`NO_ACTION`].
    by: Vec<u32>,
    level: Vec<u32>,
}

impl Flow {
    /// Levels from `s` in the residual network; whether `t` is reachable.
    fn levels(&mut self, s: u32, t: u32) -> bool {
        self.level.fill(u32::MAX);
        self.level[s as usize] = 0;
        let mut queue = vec![s];
        let mut head = 0;
        while let Some(&u) = queue.get(head) {
            head += 1;
            for &arc in
                &self.adj[self.start[u as usize] as usize..self.start[u as usize + 1] as usize]
            {
                let v = self.head[arc as usize];
                if self.cap[arc as usize] > 0 && self.level[v as usize] == u32::MAX {
                    self.level[v as usize] = self.level[u as usize] + 1;
                    queue.push(v);
                }
            }
        }
        self.level[t as usize] != u32::MAX
    }

    /// Dinic: blocking flows along shortest residual paths, found by an iterative
    /// depth-first search (no recursion: regions can be a million nodes deep).
    fn max_flow(&mut self, s: u32, t: u32) -> u64 {
        let mut total = 0u64;
        while self.levels(s, t) {
            let mut next: Vec<u32> = self.start[..self.start.len() - 1].to_vec();
            let mut path: Vec<u32> = Vec::new(); // arcs from s
            let mut at = s;
            loop {
                if at == t {
                    let push = path
                        .iter()
                        .map(|&a| self.cap[a as usize])
                        .min()
                        .unwrap_or(0);
                    total = total.saturating_add(push);
                    // Back up to the tail of the first saturated arc.
                    let mut keep = path.len();
                    for (i, &a) in path.iter().enumerate() {
                        self.cap[a as usize] -= push;
                        self.cap[(a ^ 1) as usize] += push;
                        if self.cap[a as usize] == 0 && keep == path.len() {
                            keep = i;
                        }
                    }
                    path.truncate(keep);
                    at = path.last().map_or(s, |&a| self.head[a as usize]);
                    continue;
                }
                let end = self.start[at as usize + 1];
                let mut advanced = false;
                while next[at as usize] < end {
                    let arc = self.adj[next[at as usize] as usize];
                    let v = self.head[arc as usize];
                    if self.cap[arc as usize] > 0
                        && self.level[v as usize] == self.level[at as usize] + 1
                    {
                        path.push(arc);
                        at = v;
                        advanced = true;
                        break;
                    }
                    next[at as usize] += 1;
                }
                if advanced {
                    continue;
                }
                // Dead end: nothing more passes through `at` in this phase.
                self.level[at as usize] = u32::MAX;
                match path.pop() {
                    Some(arc) => {
                        at = self.head[(arc ^ 1) as usize];
                        next[at as usize] += 1;
                    }
                    None => break,
                }
            }
        }
        total
    }

    /// After `max_flow`, the last level search marks the source side of a minimum cut:
    /// the labels of the forward arcs leaving it.
    fn min_cut_labels(&self) -> Vec<ActionIx> {
        let side = |v: u32| self.level[v as usize] != u32::MAX;
        (0..self.by.len())
            .filter(|&i| side(self.head[2 * i + 1]) && !side(self.head[2 * i]))
            .filter(|&i| self.by[i] != NO_ACTION)
            .map(|i| self.by[i] as ActionIx)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Flow;

    /// The textbook network (Cormen et al., figure 26.1): maximum flow 23, and the
    /// minimum cut separates {s, v1, v2, v4} from {v3, t}.
    #[test]
    fn dinic_finds_the_textbook_flow_and_cut() {
        let (s, v1, v2, v3, v4, t) = (0, 2, 3, 4, 5, 1);
        let mut flow = Flow::build(6, |add| {
            for (i, (a, b, c)) in [
                (s, v1, 16),
                (s, v2, 13),
                (v2, v1, 4),
                (v1, v3, 12),
                (v3, v2, 9),
                (v2, v4, 14),
                (v4, v3, 7),
                (v3, t, 20),
                (v4, t, 4),
            ]
            .into_iter()
            .enumerate()
            {
                add(a, b, c, Some(i));
            }
        });
        assert_eq!(flow.max_flow(s, t), 23);
        let mut cut = flow.min_cut_labels();
        cut.sort_unstable();
        // v1→v3 (12), v4→v3 (7), v4→t (4): 23.
        assert_eq!(cut, [3, 6, 8]);
    }

    #[test]
    fn unreachable_sink_means_no_flow() {
        let mut flow = Flow::build(3, |add| add(0, 2, 5, Some(0)));
        assert_eq!(flow.max_flow(0, 1), 0);
        assert!(flow.min_cut_labels().is_empty());
    }
}
