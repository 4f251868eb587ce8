//! The part of the graph a plan must act on: nodes that a foothold reaches and that reach
//! a crown jewel, with the actions that cut them, in dense arrays for repeated searches.

use jiff::Timestamp;

use super::actions::{ActionIx, Actions};
use crate::analysis::BlastRadius;
use crate::model::{EdgeId, NodeId, NodeKind, TrustGraph};

const NONE: u32 = u32::MAX;

/// A compact copy of the region. Local node and arc numbers are dense; every list is in
/// stable order, so searches over it are deterministic.
pub struct Region {
    /// Local node → graph node.
    pub nodes: Vec<NodeId>,
    out_start: Vec<u32>,
    /// Per arc: local target.
    arc_to: Vec<u32>,
    pub arc_edge: Vec<EdgeId>,
    /// Per arc: the allowed actions that cut it (CSR).
    arc_act_start: Vec<u32>,
    arc_act: Vec<ActionIx>,
    /// Per node: the allowed actions that remove it (CSR).
    node_act_start: Vec<u32>,
    node_act: Vec<ActionIx>,
    /// Per node: the allowed `revoke_sessions` actions that end its foothold (CSR).
    sess_start: Vec<u32>,
    sess: Vec<ActionIx>,
    pub foothold: Vec<bool>,
    /// Criticality of crown jewels, 0 elsewhere.
    pub jewel: Vec<u64>,
    /// Allowed actions that touch the region, in id order.
    pub candidates: Vec<ActionIx>,
}

/// The outcome of one search over the region with some actions applied.
pub struct Reach {
    /// Per local node: the arc it was reached by (`NONE` for a start or an unreached node).
    parent: Vec<u32>,
    /// Reached nodes with jewel weight, in the order they were reached.
    pub jewels: Vec<u32>,
    pub weight: u64,
}

/// What lies on one path from a foothold to a jewel.
pub struct Witness {
    pub start: u32,
    pub arcs: Vec<u32>,
    /// Nodes on the path, start and jewel included.
    pub nodes: Vec<u32>,
}

impl Region {
    /// Builds the region for `footholds` (all in `blast`, their blast radius) and the
    /// crown jewels they reach. Actions for
    /// which `allowed` is false are left out, as if the input did not list them.
    pub fn build(
        graph: &TrustGraph,
        actions: &Actions<'_>,
        blast: &BlastRadius,
        footholds: &[NodeId],
        at: Timestamp,
        allowed: &[bool],
    ) -> Region {
        let view = graph.traversal();
        let usable = |n: NodeId| view.usable(n, at);
        let n = graph.node_count();
        // Forward: what the footholds reach is the blast radius itself (they lie in it,
        // and the compromised set is among them), so its search is not repeated here.
        let queue: Vec<NodeId> = blast
            .reached
            .iter()
            .map(|r| r.node)
            .chain(blast.exposed.iter().map(|x| x.node))
            .collect();
        let fwd = |v: NodeId| blast.contains(v);
        // Backward from the reached crown jewels, within the forward set.
        let mut back = vec![false; n];
        let mut stack: Vec<NodeId> = queue
            .iter()
            .copied()
            .filter(|&v| view.facts(v).is_crown_jewel())
            .collect();
        for &j in &stack {
            back[j.index()] = true;
        }
        while let Some(v) = stack.pop() {
            for (edge, u) in graph.incoming(v) {
                if fwd(u) && !back[u.index()] && !graph.edge(edge).dormant && usable(u) {
                    back[u.index()] = true;
                    stack.push(u);
                }
            }
        }
        let is_foothold = {
            let mut f = vec![false; n];
            for &v in footholds {
                f[v.index()] = true;
            }
            f
        };
        let mut nodes: Vec<NodeId> = queue.into_iter().filter(|v| back[v.index()]).collect();
        nodes.sort_unstable_by_key(|&v| view.key_rank(v));
        let mut local = vec![NONE; n];
        for (i, &v) in nodes.iter().enumerate() {
            local[v.index()] = i as u32;
        }
        let mut region = Region {
            out_start: vec![0],
            arc_to: Vec::new(),
            arc_edge: Vec::new(),
            arc_act_start: vec![0],
            arc_act: Vec::new(),
            node_act_start: vec![0],
            node_act: Vec::new(),
            sess_start: vec![0],
            sess: Vec::new(),
            foothold: nodes.iter().map(|v| is_foothold[v.index()]).collect(),
            jewel: nodes
                .iter()
                .map(|&v| {
                    let f = view.facts(v);
                    // A dead credential within reach is exposed, not reached: rotation, not
                    // cutting, deals with it (as in the blast radius) — unless the
                    // attacker holds it from the start.
                    if f.is_crown_jewel() && (usable(v) || is_foothold[v.index()]) {
                        u64::from(f.criticality)
                    } else {
                        0
                    }
                })
                .collect(),
            candidates: Vec::new(),
            nodes: Vec::new(),
        };
        let mut touched = vec![false; actions.len()];
        for &v in &nodes {
            if usable(v) {
                for step in view.steps(v) {
                    let t = local[step.to.index()];
                    if step.dormant || t == NONE {
                        continue;
                    }
                    let edge = view.edge(step.slot);
                    region.arc_to.push(t);
                    region.arc_edge.push(edge);
                    for a in actions.on_edge(edge).filter(|&a| allowed[a]) {
                        region.arc_act.push(a);
                        touched[a] = true;
                    }
                    region.arc_act_start.push(region.arc_act.len() as u32);
                }
            }
            region.out_start.push(region.arc_to.len() as u32);
            for a in actions.on_node(v) {
                // Rotating a stored secret's value kills the copies already read, not the
                // paths that read it: whoever still reaches it reads the new value. It
                // contains a leaked secret and is a rotation step, never a cut.
                let rotates_a_copy = actions.all[a].revoke.action() == "rotate"
                    && graph.node(v).kind == NodeKind::Secret;
                if !allowed[a] || rotates_a_copy {
                    continue;
                }
                touched[a] = true;
                if actions.sessions(a).contains(&v) {
                    region.sess.push(a);
                } else {
                    region.node_act.push(a);
                }
            }
            region.node_act_start.push(region.node_act.len() as u32);
            region.sess_start.push(region.sess.len() as u32);
        }
        region.candidates = (0..actions.len()).filter(|&a| touched[a]).collect();
        region.nodes = nodes;
        region
    }

    /// Takes the weight off crown jewels that stay reachable even with every candidate
    /// action applied (a path no allowed action cuts), and returns them: no plan can
    /// protect them, and searching for one would be wasted.
    pub fn drop_unavoidable(&mut self, base: &[bool]) -> Vec<NodeId> {
        let mut all = base.to_vec();
        for &a in &self.candidates {
            all[a] = true;
        }
        let reach = self.reach(&all);
        for &j in &reach.jewels {
            self.jewel[j as usize] = 0;
        }
        reach
            .jewels
            .iter()
            .map(|&j| self.nodes[j as usize])
            .collect()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn arc_count(&self) -> usize {
        self.arc_to.len()
    }

    pub fn arcs(&self, v: u32) -> std::ops::Range<usize> {
        self.out_start[v as usize] as usize..self.out_start[v as usize + 1] as usize
    }

    pub fn arc_target(&self, arc: usize) -> u32 {
        self.arc_to[arc]
    }

    pub fn arc_actions(&self, arc: usize) -> &[ActionIx] {
        &self.arc_act[self.arc_act_start[arc] as usize..self.arc_act_start[arc + 1] as usize]
    }

    /// Actions that remove the node (and so every arc in or out of it).
    pub fn node_actions(&self, v: u32) -> &[ActionIx] {
        let v = v as usize;
        &self.node_act[self.node_act_start[v] as usize..self.node_act_start[v + 1] as usize]
    }

    /// `revoke_sessions` actions of the node.
    pub fn session_actions(&self, v: u32) -> &[ActionIx] {
        let v = v as usize;
        &self.sess[self.sess_start[v] as usize..self.sess_start[v + 1] as usize]
    }

    /// Whether a `chosen` action removes node `v` (with every arc in and out of it).
    pub fn removed(&self, v: u32, chosen: &[bool]) -> bool {
        self.node_actions(v).iter().any(|&a| chosen[a])
    }

    /// Whether an arc out of a node still standing is passable with the `chosen` actions
    /// applied: no action cuts it and none removes its target.
    pub fn open(&self, arc: usize, chosen: &[bool]) -> bool {
        !self.arc_actions(arc).iter().any(|&a| chosen[a]) && !self.removed(self.arc_to[arc], chosen)
    }

    /// Whether `v` is a foothold the attacker still holds.
    pub fn live_start(&self, v: u32, chosen: &[bool]) -> bool {
        self.foothold[v as usize]
            && !self.removed(v, chosen)
            && !self.session_actions(v).iter().any(|&a| chosen[a])
    }

    /// Searches from the remaining footholds with the `chosen` actions applied.
    pub fn reach(&self, chosen: &[bool]) -> Reach {
        let n = self.len();
        let mut seen = vec![false; n];
        let mut parent = vec![NONE; n];
        let mut queue: Vec<u32> = (0..n as u32)
            .filter(|&v| self.live_start(v, chosen))
            .collect();
        for &v in &queue {
            seen[v as usize] = true;
        }
        let mut head = 0;
        while let Some(&u) = queue.get(head) {
            head += 1;
            for arc in self.arcs(u) {
                let t = self.arc_to[arc];
                if seen[t as usize] || !self.open(arc, chosen) {
                    continue;
                }
                seen[t as usize] = true;
                parent[t as usize] = arc as u32;
                queue.push(t);
            }
        }
        let jewels: Vec<u32> = queue
            .iter()
            .copied()
            .filter(|&v| self.jewel[v as usize] > 0)
            .collect();
        let weight = jewels.iter().map(|&v| self.jewel[v as usize]).sum();
        Reach {
            parent,
            jewels,
            weight,
        }
    }

    /// The path by which `reach` found local node `v`.
    pub fn witness(&self, reach: &Reach, v: u32) -> Witness {
        let mut arcs = Vec::new();
        let mut nodes = vec![v];
        let mut at = v;
        while reach.parent[at as usize] != NONE {
            let arc = reach.parent[at as usize];
            arcs.push(arc);
            at = self.arc_source(arc as usize);
            nodes.push(at);
        }
        arcs.reverse();
        nodes.reverse();
        Witness {
            start: at,
            arcs,
            nodes,
        }
    }

    fn arc_source(&self, arc: usize) -> u32 {
        // `out_start` is sorted: the source is the last node whose run starts at or before the arc.
        (self.out_start.partition_point(|&s| s as usize <= arc) - 1) as u32
    }

    /// The allowed actions that would break a witness path, in id order.
    pub fn actions_on(&self, w: &Witness) -> Vec<ActionIx> {
        let mut out: Vec<ActionIx> = self.session_actions(w.start).to_vec();
        for &v in &w.nodes {
            out.extend_from_slice(self.node_actions(v));
        }
        for &arc in &w.arcs {
            out.extend_from_slice(self.arc_actions(arc as usize));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
