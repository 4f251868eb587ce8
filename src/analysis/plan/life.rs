//! Before → after figures for every prefix of a plan in one pass.
//!
//! Each edge, node and foothold gets the number of the step that removes it. A node is
//! still reachable after k steps exactly when some path from a foothold avoids everything
//! removed by step k, that is, when its best path's earliest removal comes after k. The
//! best such value per node ("life") is a widest-path problem, solved from the highest
//! value down with a bucket queue: O(V + E + steps), however many steps the plan has.

use jiff::Timestamp;
use rustc_hash::FxHashMap;

use super::actions::Actions;
use crate::analysis::Removed;
use crate::model::{EdgeId, NodeId, TrustGraph};

/// When each part of the graph goes, as 1-based step numbers; `NEVER` when no step does.
/// Only the parts a step removes are held: a plan of tens of thousands of steps removes
/// few of five million edges and a million nodes, and a number for each edge was a
/// sixth of the plan's memory (for each node, 8 MB at a million).
pub struct Schedule {
    edge: Steps<EdgeId>,
    node: Steps<NodeId>,
    /// Footholds the attacker loses (the node removed, or its sessions ended).
    foothold: Steps<NodeId>,
    node_count: usize,
    edge_count: usize,
}

const NEVER: u32 = u32::MAX;

/// The first step that removes each of a few parts.
struct Steps<K>(FxHashMap<K, u32>);

impl<K: std::hash::Hash + Eq> Steps<K> {
    fn new() -> Steps<K> {
        Steps(FxHashMap::default())
    }

    /// Step `step` removes `part` (the earliest step counts).
    fn remove(&mut self, part: K, step: u32) {
        let at = self.0.entry(part).or_insert(NEVER);
        *at = (*at).min(step);
    }

    /// The step that removes `part`, or [`NEVER`].
    fn of(&self, part: K) -> u32 {
        self.0.get(&part).copied().unwrap_or(NEVER)
    }

    /// Per part (`bound` of them, at `index`): whether the first `k` steps remove it.
    fn after(&self, k: u32, bound: usize, index: impl Fn(&K) -> usize) -> Vec<bool> {
        let mut removed = vec![false; bound];
        for (part, &s) in &self.0 {
            removed[index(part)] = s <= k;
        }
        removed
    }
}

/// Blast figures at one point of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Figures {
    pub reached: usize,
    pub crown_jewels: usize,
    /// Admin identities (full control of their scope) still reachable, crown jewels or not:
    /// an inventory may rate one below 8, and the responder should still hear of it.
    pub admins: usize,
    pub criticality: u64,
}

impl Schedule {
    pub fn new(graph: &TrustGraph) -> Schedule {
        Schedule {
            edge: Steps::new(),
            node: Steps::new(),
            foothold: Steps::new(),
            node_count: graph.node_count(),
            edge_count: graph.edge_count(),
        }
    }

    /// Step `step` carries out action `a`.
    pub fn action(&mut self, actions: &Actions<'_>, a: usize, step: u32) {
        for &e in actions.edges(a) {
            self.edge.remove(e, step);
        }
        for &n in actions.nodes(a) {
            self.remove_node(n, step);
        }
        for &n in actions.sessions(a) {
            self.foothold.remove(n, step);
        }
    }

    /// Step `step` takes a node out entirely (rotation at the issuer of something the
    /// input lists no action for).
    pub fn remove_node(&mut self, node: NodeId, step: u32) {
        self.node.remove(node, step);
        self.foothold.remove(node, step);
    }

    /// Whether the first `k` steps take the node out.
    pub fn node_removed(&self, node: NodeId, k: u32) -> bool {
        self.node.of(node) <= k
    }

    /// What the first `k` steps remove.
    pub fn removed_after(&self, k: u32) -> Removed {
        Removed {
            edges: self.edge.after(k, self.edge_count, |e| e.index()),
            nodes: self.node.after(k, self.node_count, |n| n.index()),
        }
    }

    /// Footholds the attacker still holds after `k` steps.
    pub fn remaining(&self, footholds: &[NodeId], k: u32) -> Vec<NodeId> {
        footholds
            .iter()
            .copied()
            .filter(|&f| self.foothold.of(f) > k)
            .collect()
    }

    /// Per node: how many of the first `steps` steps it stays reachable through, plus
    /// one (0: never reachable; `steps + 1`: reachable after them all).
    pub fn lives(
        &self,
        graph: &TrustGraph,
        footholds: &[NodeId],
        at: Timestamp,
        steps: u32,
    ) -> Vec<u32> {
        let view = graph.traversal();
        // Lives are capped at steps + 1 ("survives the whole plan"), so buckets stay few.
        let cap = steps + 1;
        let clamp = |s: u32| s.min(cap);
        let mut life = vec![0u32; graph.node_count()];
        let mut buckets: Vec<Vec<NodeId>> = vec![Vec::new(); cap as usize + 1];
        for &f in footholds {
            let l = clamp(self.foothold.of(f));
            if l > life[f.index()] {
                life[f.index()] = l;
                buckets[l as usize].push(f);
            }
        }
        for level in (1..=cap).rev() {
            while let Some(u) = buckets[level as usize].pop() {
                if life[u.index()] != level {
                    continue; // a stale entry: u was raised since
                }
                if !view.usable(u, at) {
                    continue;
                }
                for step in view.steps(u) {
                    if step.dormant {
                        continue;
                    }
                    let v = step.to.index();
                    let l = level
                        .min(clamp(self.edge.of(view.edge(step.slot))))
                        .min(clamp(self.node.of(step.to)));
                    if l > life[v] {
                        life[v] = l;
                        buckets[l as usize].push(step.to);
                    }
                }
            }
        }
        life
    }

    /// Figures after each of the first `steps` steps, from [`Schedule::lives`]: index k
    /// is after k steps (0 = before).
    pub fn figures(
        &self,
        graph: &TrustGraph,
        footholds: &[NodeId],
        at: Timestamp,
        life: &[u32],
        steps: u32,
    ) -> Vec<Figures> {
        let view = graph.traversal();
        let cap = steps + 1;
        // A node reached with life l counts for the figures after 0..l-1 steps.
        let mut by_life = vec![Figures::default(); cap as usize + 1];
        let mut is_foothold = vec![false; graph.node_count()];
        for &f in footholds {
            is_foothold[f.index()] = true;
        }
        for (id, &l) in graph.node_ids().zip(life) {
            // Dead credentials within reach are exposed, not reached (as in the blast
            // radius), unless the attacker held them from the start.
            let dead = !view.usable(id, at);
            if l == 0 || dead && !is_foothold[id.index()] {
                continue;
            }
            let facts = view.facts(id);
            let f = &mut by_life[l as usize];
            f.reached += 1;
            f.crown_jewels += usize::from(facts.is_crown_jewel());
            f.admins += usize::from(facts.admin);
            f.criticality += u64::from(facts.criticality);
        }
        let mut out = vec![Figures::default(); steps as usize + 1];
        let mut acc = Figures::default();
        for k in (0..=steps).rev() {
            let f = by_life[k as usize + 1];
            acc.reached += f.reached;
            acc.crown_jewels += f.crown_jewels;
            acc.admins += f.admins;
            acc.criticality += f.criticality;
            out[k as usize] = acc;
        }
        out
    }
}
