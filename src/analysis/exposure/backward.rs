//! The backward search under an exposure: level by level from the targets, top-down or
//! bottom-up, whichever reads fewer edges.

use jiff::Timestamp;

use crate::cores::both;
use crate::model::{EdgeId, NodeId, Step, Traversal, TrustGraph};

/// A backward search: per node whether it was found, at what depth and by which edge.
pub(super) struct Backward {
    /// One bit per node: found.
    pub(super) found: Vec<u64>,
    /// Per node: the edge it was found by, plus one (zero: a target, or not found), and
    /// hops to the nearest target (for found nodes). Side by side: whoever reads or
    /// writes one reads or writes the other, in one cache miss.
    by: Vec<[u32; 2]>,
    /// Some node was found over a conditional edge.
    pub(super) via_conditional: bool,
    /// The depth of the last level that found a node.
    pub(super) deepest: u32,
}

impl Backward {
    /// Level by level. A level whose frontier is a large part of what is left (and of
    /// the graph) is found the other way round (direction-optimising search): every node
    /// not yet found looks along its own outgoing edges, in key order, for one into the
    /// frontier and stops at the first. When most of the graph can reach the target, that
    /// reads far fewer edges than offering every incoming edge of a huge frontier; the
    /// nodes are read in id order (memory order: sequential reads, both cores) since what
    /// each finds depends on its own edges alone, and a top-down level after it offers its
    /// frontier in key order again. Either way a node is found at its true distance, and
    /// the edge it is found by depends on the graph alone, never on the order its inputs
    /// were read in.
    pub(super) fn run(
        graph: &TrustGraph,
        targets: &[NodeId],
        at: Timestamp,
        conditional: bool,
    ) -> Backward {
        Backward::run_as(graph, targets, at, conditional, Direction::Either)
    }

    pub(super) fn run_as(
        graph: &TrustGraph,
        targets: &[NodeId],
        at: Timestamp,
        conditional: bool,
        direction: Direction,
    ) -> Backward {
        let view = graph.traversal();
        let n = graph.node_count();
        let mut b = Backward {
            found: vec![0u64; n.div_ceil(64)],
            by: vec![[0u32; 2]; n],
            via_conditional: false,
            deepest: 0,
        };
        let mut frontier: Vec<NodeId> = Vec::new();
        for &t in targets {
            if !b.found(t) {
                b.mark(t, None, 0, false);
                frontier.push(t);
            }
        }
        let mut left = n - frontier.len();
        // The usable nodes not yet found, in id order: listed at the first bottom-up level
        // and shrunk in place at each, so that no level scans what an earlier one found.
        let mut unfound: Option<Vec<NodeId>> = None;
        // The frontier is in the order a top-down level must offer it: key order, or the
        // order an earlier top-down level found it in (which follows key order too).
        let mut in_key_order = true;
        // Kept from level to level: fresh memory is a page fault every four kilobytes.
        let (mut found_now, mut found_up) = (Vec::new(), [Vec::new(), Vec::new()]);
        let mut in_frontier = Vec::new();
        let mut d = 0;
        while !frontier.is_empty() {
            d += 1;
            found_now.clear();
            let bottom_up = match direction {
                Direction::Either => {
                    frontier.len() * BOTTOM_UP_AFTER > left && frontier.len() * BOTTOM_UP_ABOVE > n
                }
                Direction::BottomUp => true,
                Direction::TopDown => false,
                Direction::Alternating => d % 2 == 0,
            };
            if bottom_up {
                in_frontier.resize(n.div_ceil(64), 0u64);
                for f in &frontier {
                    in_frontier[f.index() / 64] |= 1 << (f.index() % 64);
                }
                let candidates = unfound.get_or_insert_with(|| {
                    (0..n as u32)
                        .map(NodeId::from_raw)
                        .filter(|&v| !b.found(v) && view.usable(v, at))
                        .collect()
                });
                let level = Level {
                    view,
                    found: &b.found,
                    in_frontier: &in_frontier,
                    conditional,
                };
                level.up(candidates, &mut found_up);
                for &(node, step) in found_up.iter().flatten() {
                    b.mark(node, Some(view.edge(step.slot)), d, step.conditional);
                    found_now.push(node);
                }
                for f in &frontier {
                    in_frontier[f.index() / 64] = 0;
                }
                in_key_order = false;
            } else {
                if !in_key_order {
                    frontier.sort_unstable_by_key(|&f| view.key_rank(f));
                    in_key_order = true;
                }
                for &node in &frontier {
                    for step in view.steps_in(node) {
                        // The node that would use the edge must be usable itself: a dead
                        // key reaches nothing.
                        if !b.found(step.from)
                            && !step.dormant
                            && (conditional || !step.conditional)
                            && view.usable(step.from, at)
                        {
                            b.mark(step.from, Some(step.edge), d, step.conditional);
                            found_now.push(step.from);
                        }
                    }
                }
            }
            left -= found_now.len();
            std::mem::swap(&mut frontier, &mut found_now);
        }
        b
    }

    fn mark(&mut self, node: NodeId, by: Option<EdgeId>, depth: u32, conditional: bool) {
        let i = node.index();
        self.found[i / 64] |= 1 << (i % 64);
        self.by[i] = [by.map_or(0, |e| e.index() as u32 + 1), depth];
        self.via_conditional |= conditional;
        self.deepest = self.deepest.max(depth);
    }

    pub(super) fn found(&self, node: NodeId) -> bool {
        self.found[node.index() / 64] & (1 << (node.index() % 64)) != 0
    }

    /// The edge a node was found by; `None` for a target or a node not found.
    pub(super) fn next(&self, node: NodeId) -> Option<EdgeId> {
        let raw = self.by[node.index()][0].checked_sub(1)?;
        Some(EdgeId::from_raw(raw))
    }

    /// Hops from a found node to the nearest target.
    pub(super) fn depth(&self, node: NodeId) -> u32 {
        self.by[node.index()][1]
    }

    /// Every node's depth (zero where not found).
    #[cfg(test)]
    pub(super) fn depths(&self) -> Vec<u32> {
        self.by.iter().map(|&[_, depth]| depth).collect()
    }

    /// How many nodes were found.
    pub(super) fn count(&self) -> usize {
        self.found.iter().map(|w| w.count_ones() as usize).sum()
    }
}

/// One bottom-up level of a [`Backward`] search: what it reads, shared by both cores.
#[derive(Clone, Copy)]
struct Level<'a> {
    view: Traversal<'a>,
    found: &'a [u64],
    in_frontier: &'a [u64],
    conditional: bool,
}

impl Level<'_> {
    /// Finds the candidates (usable, in id order) with a step into the frontier: each
    /// with its first such step in key order, whatever order the candidates are read in.
    /// Leaves them in `found` (the first half's in the first), the others in
    /// `candidates`, in order. Over many candidates, each half on its own core: they
    /// read the same bitmaps and write nothing shared.
    fn up(self, candidates: &mut Vec<NodeId>, found: &mut [Vec<(NodeId, Step)>; 2]) {
        let [found_1, found_2] = found;
        found_1.clear();
        found_2.clear();
        let (len, half) = (candidates.len(), candidates.len() / 2);
        if len < SPLIT_ABOVE {
            let kept = self.scan(candidates, found_1);
            candidates.truncate(kept);
            return;
        }
        let (first, second) = candidates.split_at_mut(half);
        let (kept_1, kept_2) = both(|| self.scan(first, found_1), || self.scan(second, found_2));
        candidates.copy_within(half..half + kept_2, kept_1);
        candidates.truncate(kept_1 + kept_2);
    }

    /// Moves the candidates it does not find to the front, in order; returns how many.
    fn scan(self, candidates: &mut [NodeId], found: &mut Vec<(NodeId, Step)>) -> usize {
        let bit = |bits: &[u64], i: usize| bits[i / 64] & (1 << (i % 64)) != 0;
        let mut kept = 0;
        for i in 0..candidates.len() {
            let node = candidates[i];
            if bit(self.found, node.index()) {
                continue; // found by a top-down level since it was listed
            }
            let into = self.view.steps(node).find(|s| {
                bit(self.in_frontier, s.to.index())
                    && !s.dormant
                    && (self.conditional || !s.conditional)
            });
            match into {
                Some(step) => found.push((node, step)),
                None => {
                    candidates[kept] = node;
                    kept += 1;
                }
            }
        }
        kept
    }
}

/// A level is searched bottom-up once its frontier is more than this fraction of the
/// nodes not yet found. Measured on the generated 1M-node graph, a hub's backward search
/// (904k holders, bottom-up levels on two cores, `trustpath exposure` timed in place):
/// bottom-up past 1/2 of what is left 86–98 ms, past 1/4 61–69 ms, past 1/8 60–66 ms,
/// past 1/16 54–57 ms. (Read in key order on one core, the best was past 1/2, 145 ms.)
const BOTTOM_UP_AFTER: usize = 16;

/// ... and more than this fraction of all nodes (Beamer's second condition: a small late
/// level costs a top-down search little and a scan of every candidate much).
const BOTTOM_UP_ABOVE: usize = 64;

/// A bottom-up level over fewer candidates, or a ranking of fewer found nodes, runs on one
/// core (a thread costs tens of microseconds; a node, nanoseconds).
pub(super) const SPLIT_ABOVE: usize = 1 << 15;

/// Which way a backward search finds its levels. Only tests force one way, to check both
/// against each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(super) enum Direction {
    Either,
    TopDown,
    BottomUp,
    /// Top-down at odd levels, bottom-up at even ones: every hand-over between the two.
    Alternating,
}
