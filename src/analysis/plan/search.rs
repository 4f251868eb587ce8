//! Choosing the actions: contain the compromised set, then find a cheap complete set of
//! cuts — exactly when few actions are in play, greedily and by minimum cut otherwise.

use std::collections::BinaryHeap;

use super::actions::{ActionIx, Actions};
use super::region::Region;
use crate::model::{NodeId, TrustGraph};

/// Exact search runs when at most this many candidate actions touch the region (beyond
/// the containment ones): 2^20 subsets at worst, pruned hard by the cost bound.
pub const EXACT_MAX: usize = 20;
/// Searches (one region traversal each) that exact search may spend before it gives up
/// and the heuristic answer stands: at most this many, and at most [`EXACT_WORK`] arc
/// visits in all.
const EXACT_BUDGET: usize = 200_000;
const EXACT_WORK: usize = 1_000_000_000;
/// The exact search's wall-clock limit, whatever its work budget.
const EXACT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);
/// Arc visits one phase of the search may spend on region traversals (about a tenth of a
/// second): greedy selection needs one traversal per candidate at least, pruning and
/// ordering one per action of the set. Past it, greedy does not run, pruning stops with
/// the most expensive actions checked, and ordering goes cheapest first.
pub const WORK: usize = 50_000_000;

/// Containment of one compromised node.
pub struct Containment {
    pub node: NodeId,
    /// Empty when nothing in the input can neutralize it, or nothing needs to.
    pub actions: Vec<ActionIx>,
    /// Nothing in the input neutralizes it, and it reaches something (or is a crown jewel).
    pub uncontained: bool,
}

/// The cheapest way to neutralize each compromised node: one action on the node itself
/// (disable, deactivate, revoke its sessions), or cutting every edge out of it.
pub fn contain(
    graph: &TrustGraph,
    actions: &Actions<'_>,
    compromised: &[NodeId],
    allowed: &[bool],
) -> Vec<Containment> {
    compromised
        .iter()
        .map(|&node| {
            let mut best: Option<(u64, Vec<ActionIx>)> = actions
                .on_node(node)
                .filter(|&a| allowed[a])
                .map(|a| (actions.all[a].cost, vec![a]))
                .min_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
            // Cover of the outgoing edges: per edge, its cheapest allowed action.
            let mut cover: Vec<ActionIx> = Vec::new();
            let jewel = graph.facts(node).is_crown_jewel();
            let mut complete = true;
            for (edge, _) in graph.outgoing(node) {
                let e = graph.edge(edge);
                if e.dormant {
                    continue;
                }
                let cheapest = actions
                    .on_edge(edge)
                    .filter(|&a| allowed[a])
                    .min_by_key(|&a| (actions.all[a].cost, a));
                match cheapest {
                    Some(a) => cover.push(a),
                    None => complete = false,
                }
            }
            cover.sort_unstable();
            cover.dedup();
            // A node with no usable edge out reaches nothing: nothing to contain.
            let inert = cover.is_empty() && complete && !jewel;
            // A compromised crown jewel stays reached until its own foothold goes: cutting
            // its edges does not protect it.
            if complete && !cover.is_empty() && !jewel {
                let cost = cover.iter().map(|&a| actions.all[a].cost).sum();
                // A node action wins ties: one step rather than several.
                if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                    best = Some((cost, cover));
                }
            }
            Containment {
                node,
                uncontained: best.is_none() && !inert,
                actions: best.map(|(_, a)| a).unwrap_or_default(),
            }
        })
        .collect()
}

/// The chosen cut set, beyond containment.
pub struct Selection {
    pub cut: Vec<ActionIx>,
    /// The set is a cheapest complete one (given containment).
    pub exact: bool,
}

fn cost_of(actions: &Actions<'_>, set: &[ActionIx]) -> u64 {
    set.iter().map(|&a| actions.all[a].cost).sum()
}

fn set_of(chosen: &[bool], base: &[bool]) -> Vec<ActionIx> {
    (0..chosen.len())
        .filter(|&a| chosen[a] && !base[a])
        .collect()
}

/// Finds cuts that, added to `base` (containment), leave no weighted crown jewel
/// reachable. `min_cut` is a complete set found by the flow bound, when it ran.
pub fn select(
    region: &Region,
    actions: &Actions<'_>,
    base: &[bool],
    min_cut: Option<Vec<ActionIx>>,
    exact_max: usize,
) -> Selection {
    let free: Vec<ActionIx> = region
        .candidates
        .iter()
        .copied()
        .filter(|&a| !base[a])
        .collect();
    let mut best: Option<Vec<ActionIx>> = None;
    let mut consider = |set: Vec<ActionIx>| {
        let better = best.as_ref().is_none_or(|b| {
            (cost_of(actions, &set), set.len(), &set) < (cost_of(actions, b), b.len(), b)
        });
        if better {
            best = Some(set);
        }
    };
    if free.len().saturating_mul(region.arc_count().max(1)) <= WORK {
        consider(prune(
            region,
            actions,
            base,
            greedy(region, actions, base, &free),
        ));
    }
    if let Some(cut) = min_cut {
        consider(prune(region, actions, base, cut));
    }
    let mut cut = best.unwrap_or_else(|| prune(region, actions, base, free.clone()));
    let mut exact = false;
    if free.len() <= exact_max {
        let mut search = Exact {
            region,
            actions,
            best_cost: cost_of(actions, &cut),
            best: None,
            budget: EXACT_BUDGET.min(EXACT_WORK / region.arc_count().max(1)),
            deadline: std::time::Instant::now() + EXACT_DEADLINE,
        };
        let mut chosen = base.to_vec();
        let mut banned = vec![false; actions.len()];
        search.run(&mut chosen, &mut banned, 0);
        if search.budget > 0 {
            exact = true;
            if let Some(found) = search.best {
                cut = set_of(&found, base);
            }
        }
    }
    Selection { cut, exact }
}

/// `base` plus `extra`, as a membership vector.
fn with(base: &[bool], extra: &[ActionIx], n: usize) -> Vec<bool> {
    let mut chosen = base.to_vec();
    chosen.resize(n, false);
    for &a in extra {
        chosen[a] = true;
    }
    chosen
}

/// Lazy greedy over `free`, from `base`: see [`lazy_greedy`].
fn greedy(
    region: &Region,
    actions: &Actions<'_>,
    base: &[bool],
    free: &[ActionIx],
) -> Vec<ActionIx> {
    let mut chosen = with(base, &[], actions.len());
    let mut picked = lazy_greedy(
        region,
        actions,
        &mut chosen,
        free,
        Until::Complete,
        usize::MAX,
    );
    picked.sort_unstable();
    picked
}

/// When [`lazy_greedy`] stops.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// No weighted crown jewel is reachable; when no single action reduces anything
    /// (redundant paths), the cheapest action on a remaining witness path is taken.
    Complete,
    /// Every action of the pool is placed; ones that reduce nothing go cheapest first.
    PoolEmpty,
}

/// Repeatedly takes, from `pool`, the action with the largest reduction of reachable
/// crown-jewel criticality per unit cost, adding it to `chosen`. Lazy: only the top of
/// the queue is re-evaluated after each pick, since a gain rarely grows as others are
/// taken; when it does, the order is still valid, only less greedy. Ties go to the
/// lower action id, so the result is deterministic.
pub fn lazy_greedy(
    region: &Region,
    actions: &Actions<'_>,
    chosen: &mut [bool],
    pool: &[ActionIx],
    until: Until,
    mut evaluations: usize,
) -> Vec<ActionIx> {
    use std::cmp::Reverse;
    let mut picked = Vec::new();
    let mut current = region.reach(chosen);
    let mut heap: BinaryHeap<(u64, Reverse<u64>, Reverse<ActionIx>)> = pool
        .iter()
        .filter(|&&a| !chosen[a])
        .map(|&a| (u64::MAX, Reverse(actions.all[a].cost), Reverse(a)))
        .collect();
    let ratio = |gain: u64, a: ActionIx| gain.saturating_mul(1 << 20) / actions.all[a].cost.max(1);
    // A first round evaluates every action once; without the budget for it, the pool
    // goes cheapest first (the heap's tie order).
    // Ties in the heap are cheapest first, then lowest index.
    let cheapest_first = |heap: BinaryHeap<(u64, Reverse<u64>, Reverse<ActionIx>)>| {
        let mut rest: Vec<_> = heap.into_iter().map(|(_, c, a)| (c, a)).collect();
        rest.sort_unstable_by(|x, y| y.cmp(x));
        rest.into_iter().map(|(_, Reverse(a))| a)
    };
    if heap.len() > evaluations {
        picked.extend(cheapest_first(heap));
        return picked;
    }
    loop {
        if heap.is_empty() || until == Until::Complete && current.weight == 0 {
            break;
        }
        if evaluations == 0 && until == Until::PoolEmpty {
            picked.extend(cheapest_first(heap));
            break;
        }
        let mut taken = None;
        while let Some((_, cost, Reverse(a))) = heap.pop() {
            evaluations = evaluations.saturating_sub(1);
            chosen[a] = true;
            let gain = current.weight - region.reach(chosen).weight;
            chosen[a] = false;
            let r = ratio(gain, a);
            if heap.peek().is_none_or(|&(next, _, _)| r >= next) {
                if gain > 0 {
                    taken = Some(a);
                } else {
                    heap.push((0, cost, Reverse(a)));
                }
                break;
            }
            heap.push((r, cost, Reverse(a)));
        }
        let a = match (taken, until) {
            (Some(a), _) => a,
            (None, Until::PoolEmpty) => {
                // Nothing gains alone: cheapest first (the heap holds only zeros now).
                let Some((_, _, Reverse(a))) = heap.pop() else {
                    break;
                };
                a
            }
            (None, Until::Complete) => {
                let Some(&jewel) = current.jewels.first() else {
                    break;
                };
                let w = region.witness(&current, jewel);
                let on_path = region.actions_on(&w);
                let Some(a) = on_path
                    .into_iter()
                    .filter(|&a| !chosen[a] && pool.contains(&a))
                    .min_by_key(|&a| (actions.all[a].cost, a))
                else {
                    break;
                };
                heap.retain(|&(_, _, Reverse(b))| b != a);
                a
            }
        };
        chosen[a] = true;
        picked.push(a);
        current = region.reach(chosen);
    }
    picked
}

/// Drops actions the rest make unnecessary, most expensive first (as many as [`WORK`]
/// allows).
fn prune(
    region: &Region,
    actions: &Actions<'_>,
    base: &[bool],
    set: Vec<ActionIx>,
) -> Vec<ActionIx> {
    let mut chosen = with(base, &set, actions.len());
    let target = region.reach(&chosen).weight;
    let mut order = set.clone();
    order.sort_by_key(|&a| (std::cmp::Reverse(actions.all[a].cost), a));
    order.truncate(WORK / region.arc_count().max(1));
    for a in order {
        chosen[a] = false;
        if region.reach(&chosen).weight > target {
            chosen[a] = true;
        }
    }
    let mut kept: Vec<ActionIx> = set.into_iter().filter(|&a| chosen[a]).collect();
    kept.sort_unstable();
    kept
}

/// Branch and bound over the actions on one witness path at a time: every complete set
/// must break that path, so branching on its actions misses no optimum. Siblings ban the
/// actions earlier siblings tried, so no set is explored twice.
struct Exact<'a> {
    region: &'a Region,
    actions: &'a Actions<'a>,
    best_cost: u64,
    best: Option<Vec<bool>>,
    budget: usize,
    /// However much budget is left, the search gives up at this instant (the plan then
    /// takes the heuristic's answer and says it is not proven cheapest).
    deadline: std::time::Instant,
}

impl Exact<'_> {
    fn run(&mut self, chosen: &mut Vec<bool>, banned: &mut Vec<bool>, cost: u64) {
        if self.budget == 0 {
            return;
        }
        self.budget -= 1;
        if self.budget.is_multiple_of(64) && std::time::Instant::now() > self.deadline {
            self.budget = 0;
            return;
        }
        let reach = self.region.reach(chosen);
        if reach.weight == 0 {
            if cost < self.best_cost || self.best.is_none() && cost <= self.best_cost {
                self.best_cost = cost;
                self.best = Some(chosen.clone());
            }
            return;
        }
        // Jewels no allowed action can cut off carry no weight (see
        // `Region::drop_unavoidable`), so every weighted jewel's path can be broken.
        let Some(&jewel) = reach.jewels.first() else {
            return;
        };
        let mut options = self.region.actions_on(&self.region.witness(&reach, jewel));
        options.retain(|&a| !banned[a]);
        options.sort_by_key(|&a| (self.actions.all[a].cost, a));
        let mut banned_here = Vec::new();
        for a in options {
            let next = cost + self.actions.all[a].cost;
            if next < self.best_cost || self.best.is_none() && next <= self.best_cost {
                chosen[a] = true;
                self.run(chosen, banned, next);
                chosen[a] = false;
            }
            banned[a] = true;
            banned_here.push(a);
        }
        for a in banned_here {
            banned[a] = false;
        }
    }
}
