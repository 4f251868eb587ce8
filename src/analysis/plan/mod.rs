//! The revocation plan: which actions to take, in which order, and what each one breaks.
//!
//! The attacker is assumed to have had dwell time: their footholds are the compromised
//! set plus every reached credential and identity (copied keys, minted sessions). A plan
//! is complete when no crown jewel is reachable from the remaining footholds. Choosing
//! the cheapest complete set is a hitting-set problem: exact search when few actions are
//! in play, greedy and minimum cut otherwise, with a max-flow lower bound beside the cost.

mod actions;
mod bound;
pub mod catalog;
mod life;
mod order;
mod region;
mod rotate;
mod search;

use jiff::Timestamp;

pub use actions::{Action, ActionIx, Actions};
pub use life::{Figures, Schedule};
pub use rotate::{ROTATE_PREFIX, VERIFY_ACTION, VERIFY_PREFIX};

use super::{BlastRadius, Removed};
use crate::model::{EdgeId, NodeId, NodeKind, Revoke, TrustGraph};

/// What the responder asks of the plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub at: Timestamp,
    /// Never disable these, end their sessions' access or cut what they can do; the plan
    /// cuts around them.
    pub protect: Vec<NodeId>,
    /// The most the required steps may cost; the plan then does the most it can within it.
    pub budget: Option<u64>,
    /// Exact search runs when at most this many candidate actions are in play.
    pub exact_max: usize,
}

impl PlanOptions {
    /// Defaults: nothing protected, no budget, exact search up to [`search::EXACT_MAX`].
    pub fn new(at: Timestamp) -> PlanOptions {
        PlanOptions {
            at,
            protect: Vec::new(),
            budget: None,
            exact_max: search::EXACT_MAX,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Contain,
    Cut,
    Rotate,
    Verify,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Contain => "contain",
            Phase::Cut => "cut",
            Phase::Rotate => "rotate",
            Phase::Verify => "verify",
        }
    }
}

/// What a step acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A node action (or a rotation at the issuer).
    Node(NodeId),
    /// An edge action: every edge it cuts, in stable order.
    Edges(Vec<EdgeId>),
    /// A check over one platform.
    Platform(String),
}

/// One step of the plan.
#[derive(Debug, Clone)]
pub struct Step {
    pub rank: usize,
    pub phase: Phase,
    /// The action id from the input; rotations and checks the input lists no action for
    /// get an id of their own (`rotate-at-issuer:KEY`, `verify:PLATFORM`).
    pub id: String,
    /// Whether `id` is a `revoke` id of the input.
    pub listed: bool,
    pub action: String,
    pub target: Target,
    /// The index of the action, when `listed`.
    pub action_ix: Option<ActionIx>,
    pub cost: u64,
    pub collateral: Vec<NodeId>,
    pub required: bool,
    /// Crown jewels that become unreachable with this step.
    pub protects: Vec<NodeId>,
    /// Figures once this step and all before it are done.
    pub after: Figures,
    /// Commands, live tokens, reversibility.
    pub playbook: catalog::Playbook,
}

/// A crown jewel still reachable once every required step is done, and how.
#[derive(Debug, Clone)]
pub struct Remaining {
    pub jewel: NodeId,
    pub path: Vec<EdgeId>,
    /// No allowed action cuts it (as opposed to: left out for the budget).
    pub unavoidable: bool,
}

/// What a plan is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An incident: contain the compromised set, assume the attacker holds everything it
    /// reached (dwell time), cut, rotate and hunt.
    Incident,
    /// Between incidents: cut every path from what outsiders hold to the crown jewels.
    /// Nothing is compromised, so nothing is contained, rotated or hunted, and the
    /// footholds are the entry points alone.
    Harden,
}

/// How the cut set was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Nothing to cut beyond containment.
    None,
    /// Branch and bound: the cut set is a cheapest one.
    Exact,
    /// Greedy and minimum cut, the cheaper of the two, with redundant actions dropped.
    Heuristic,
}

pub struct Plan<'g> {
    pub purpose: Purpose,
    pub at: Timestamp,
    pub compromised: Vec<NodeId>,
    pub footholds: Vec<NodeId>,
    pub protect: Vec<NodeId>,
    pub budget: Option<u64>,
    pub before: Figures,
    /// After every required step.
    pub after: Figures,
    /// Summed cost of the required steps.
    pub cost: u64,
    /// No complete plan costs less (containment included).
    pub lower_bound: u64,
    pub method: Method,
    /// Candidate actions that touch a path from a foothold to a crown jewel.
    pub candidates: usize,
    pub steps: Vec<Step>,
    /// Required steps left out to stay within the budget.
    pub deferred: Vec<ActionIx>,
    /// Compromised nodes that no listed action neutralizes.
    pub uncontained: Vec<NodeId>,
    pub remaining: Vec<Remaining>,
    /// Admin identities still reachable after the required steps that the inputs rate
    /// below crown-jewel criticality (so the plan did not cut them), by key.
    pub admins_left: Vec<NodeId>,
    pub actions: Actions<'g>,
}

/// Footholds as DESIGN §4 defines them: the compromised set plus every reached
/// credential that can be copied and every reached role, service account or human.
pub fn footholds(graph: &TrustGraph, blast: &BlastRadius) -> Vec<NodeId> {
    let mut out: Vec<NodeId> = blast.compromised.clone();
    for r in &blast.reached {
        let node = graph.node(r.node);
        let keeps = match node.kind {
            NodeKind::Credential => node
                .credential
                .as_ref()
                .is_none_or(|c| c.copyable != Some(false)),
            NodeKind::Role | NodeKind::ServiceAccount | NodeKind::Human => true,
            _ => false,
        };
        if keeps {
            out.push(r.node);
        }
    }
    out.sort_unstable_by_key(|&n| graph.key_rank(n));
    out.dedup();
    out
}

impl<'g> Plan<'g> {
    pub fn compute(graph: &'g TrustGraph, compromised: &[NodeId], opts: &PlanOptions) -> Plan<'g> {
        Plan::for_blast(
            graph,
            &BlastRadius::compute(graph, compromised, opts.at),
            opts,
        )
    }

    /// The plan for a blast radius already computed as of `opts.at` (the TUI shows both).
    pub fn for_blast(graph: &'g TrustGraph, blast: &BlastRadius, opts: &PlanOptions) -> Plan<'g> {
        Plan::build(graph, blast, Purpose::Incident, opts)
    }

    /// A standing hardening plan: the cheapest changes that cut every path from `entries`
    /// (what outsiders hold: public pseudo-nodes, third-party code, old long-lived keys)
    /// to every crown jewel, with the same search, bound and step order as an incident's
    /// cut phase (single points of failure first). The entries are its "compromised" set.
    pub fn harden(graph: &'g TrustGraph, entries: &[NodeId], opts: &PlanOptions) -> Plan<'g> {
        let blast = BlastRadius::compute(graph, entries, opts.at);
        Plan::build(graph, &blast, Purpose::Harden, opts)
    }

    fn build(
        graph: &'g TrustGraph,
        blast: &BlastRadius,
        purpose: Purpose,
        opts: &PlanOptions,
    ) -> Plan<'g> {
        let at = opts.at;
        let footholds = match purpose {
            Purpose::Incident => footholds(graph, blast),
            Purpose::Harden => {
                let mut entries = blast.compromised.clone();
                entries.sort_unstable_by_key(|&n| graph.key_rank(n));
                entries.dedup();
                entries
            }
        };
        let actions = Actions::collect(graph, blast, purpose);
        let mut allowed = allowed(graph, &actions, &opts.protect);
        if purpose == Purpose::Harden {
            // Ending sessions locks an attacker out of what they hold; an outsider holds
            // the app or key itself and signs in again.
            for (a, ok) in allowed.iter_mut().enumerate() {
                *ok &= !actions.is_sessions_only(a);
            }
        }

        let containment = match purpose {
            Purpose::Incident => search::contain(graph, &actions, &blast.compromised, &allowed),
            Purpose::Harden => Vec::new(),
        };
        let mut base = vec![false; actions.len()];
        let mut contain_order: Vec<ActionIx> = Vec::new();
        for c in &containment {
            for &a in &c.actions {
                if !base[a] {
                    base[a] = true;
                    contain_order.push(a);
                }
            }
        }
        let uncontained = containment
            .iter()
            .filter(|c| c.uncontained)
            .map(|c| c.node)
            .collect();

        let mut region = region::Region::build(graph, &actions, blast, &footholds, at, &allowed);
        let unavoidable = region.drop_unavoidable(&base);
        let candidates = region.candidates.iter().filter(|&&a| !base[a]).count();
        let weighted = region.reach(&base).weight > 0;
        let (cut, method, flow_bound) = if weighted {
            let flow = bound::bound(&region, &actions, &base);
            let selection =
                search::select(&region, &actions, &base, Some(flow.cut), opts.exact_max);
            let method = if selection.exact {
                Method::Exact
            } else {
                Method::Heuristic
            };
            (selection.cut, method, flow.lower)
        } else {
            (Vec::new(), Method::None, 0)
        };
        let cut = order::order_cut(&region, &actions, &base, &cut);
        // The search's graph is done with: the steps, their schedule and the figures
        // after each need as much again, and the plan's peak is theirs.
        drop(region);
        let contain_cost: u64 = contain_order.iter().map(|&a| actions.all[a].cost).sum();
        let cut_cost: u64 = cut.iter().map(|&a| actions.all[a].cost).sum();
        let lower_bound = contain_cost
            + if method == Method::Exact {
                cut_cost
            } else {
                flow_bound.min(cut_cost)
            };

        // The budget keeps required steps in order while they fit.
        let mut spent = 0u64;
        let mut deferred = Vec::new();
        let mut required: Vec<(Phase, ActionIx)> = Vec::new();
        for (phase, a) in contain_order
            .iter()
            .map(|&a| (Phase::Contain, a))
            .chain(cut.iter().map(|&a| (Phase::Cut, a)))
        {
            let cost = actions.all[a].cost;
            if opts.budget.is_some_and(|b| spent + cost > b) {
                deferred.push(a);
            } else {
                spent += cost;
                required.push((phase, a));
            }
        }

        let mut schedule = Schedule::new(graph);
        // Sized to what it will hold: a plan lists tens of thousands of steps of a few
        // hundred bytes, and a doubled vector's slack was a tenth of the plan's memory.
        let mut steps: Vec<Step> = Vec::with_capacity(required.len());
        for &(phase, a) in &required {
            let rank = steps.len() + 1;
            schedule.action(&actions, a, rank as u32);
            let target = action_target(graph, &actions, a);
            steps.push(listed_step(graph, &actions, (rank, phase, true), a, target));
        }
        let n_required = steps.len() as u32;
        let incident = purpose == Purpose::Incident;
        let rotations = if incident {
            rotate::rotation_order(graph, blast, &schedule, n_required)
        } else {
            Vec::new()
        };
        let checks = if incident {
            rotate::checks(graph, blast)
        } else {
            Vec::new()
        };
        steps.reserve_exact(rotations.len() + checks.len());
        for node in rotations {
            let mut step = rotate::rotation(graph, &actions, node, &allowed);
            step.rank = steps.len() + 1;
            match (&step.target, step.action_ix) {
                (_, Some(a)) => schedule.action(&actions, a, step.rank as u32),
                (Target::Node(n), None) => schedule.remove_node(*n, step.rank as u32),
                _ => {}
            }
            steps.push(step);
        }
        for mut step in checks {
            step.rank = steps.len() + 1;
            steps.push(step);
        }
        let lives = schedule.lives(graph, &footholds, at, steps.len() as u32);
        let figures = schedule.figures(graph, &footholds, at, &lives, steps.len() as u32);
        let mut protects: Vec<Vec<NodeId>> = vec![Vec::new(); steps.len() + 1];
        for id in graph.nodes_by_key() {
            let l = lives[id.index()] as usize;
            if l >= 1 && l <= steps.len() && graph.facts(id).is_crown_jewel() {
                protects[l].push(id);
            }
        }
        for step in &mut steps {
            step.after = figures[step.rank];
            step.protects = std::mem::take(&mut protects[step.rank]);
        }
        let after = figures[n_required as usize];
        // Reachable after the required steps: a life beyond them (dead credentials do
        // not count unless held from the start, as in the figures).
        let view = graph.traversal();
        let admins_left = graph
            .nodes_by_key()
            .filter(|&id| {
                let facts = graph.facts(id);
                lives[id.index()] > n_required
                    && facts.admin
                    && !facts.is_crown_jewel()
                    && (view.usable(id, at) || footholds.contains(&id))
            })
            .collect();
        let remaining = if after.crown_jewels > 0 {
            let residual = BlastRadius::compute_without(
                graph,
                &schedule.remaining(&footholds, n_required),
                at,
                Some(&schedule.removed_after(n_required)),
            );
            residual
                .reached
                .iter()
                .filter(|r| graph.facts(r.node).is_crown_jewel())
                .map(|r| Remaining {
                    jewel: r.node,
                    path: residual.path(graph, r.node),
                    unavoidable: unavoidable.contains(&r.node),
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut protect = opts.protect.clone();
        protect.sort_unstable_by_key(|&n| graph.key_rank(n));
        protect.dedup();
        Plan {
            purpose,
            at,
            compromised: blast.compromised.clone(),
            footholds,
            protect,
            budget: opts.budget,
            before: figures[0],
            after,
            cost: spent,
            lower_bound,
            method,
            candidates,
            steps,
            deferred,
            uncontained,
            remaining,
            admins_left,
            actions,
        }
    }

    /// The cut set is a cheapest one: exact search ran, or the lower bound is met.
    pub fn optimal(&self) -> bool {
        self.method != Method::Heuristic
            || self.lower_bound == self.cost && self.deferred.is_empty()
    }

    /// Whether the required steps leave no crown jewel reachable.
    pub fn complete(&self) -> bool {
        self.after.crown_jewels == 0
    }
}

/// Actions the responder allows: none that removes a protected node or cuts what it can
/// do. Ending its sessions stays allowed: it locks the attacker out, not the owner.
fn allowed(graph: &TrustGraph, actions: &Actions<'_>, protect: &[NodeId]) -> Vec<bool> {
    (0..actions.all.len())
        .map(|a| {
            !actions.nodes(a).iter().any(|n| protect.contains(n))
                && !actions
                    .edges(a)
                    .iter()
                    .any(|&e| protect.contains(&graph.endpoints(e).0))
        })
        .collect()
}

/// What a listed action acts on: its node, or every edge it cuts in stable order.
fn action_target(graph: &TrustGraph, actions: &Actions<'_>, a: ActionIx) -> Target {
    match (actions.nodes(a).first(), actions.sessions(a).first()) {
        (Some(&n), _) | (None, Some(&n)) if actions.edges(a).is_empty() => Target::Node(n),
        _ => {
            let mut edges = actions.edges(a).to_vec();
            edges.sort_unstable_by_key(|&e| {
                let (f, t) = graph.endpoints(e);
                (graph.key_rank(f), graph.key_rank(t), e)
            });
            Target::Edges(edges)
        }
    }
}

/// The catalogue's playbook for an action on a node or (the first of) its edges.
fn playbook_for(graph: &TrustGraph, revoke: &Revoke, target: &Target) -> catalog::Playbook {
    match target {
        Target::Node(n) => catalog::playbook(revoke, catalog::Target::Node(graph.node(*n))),
        Target::Edges(edges) => {
            let (from, to) = graph.endpoints(edges[0]);
            catalog::playbook(
                revoke,
                catalog::Target::Edge {
                    from: graph.node(from),
                    to: graph.node(to),
                    edge: graph.edge(edges[0]),
                },
            )
        }
        Target::Platform(_) => unreachable!("listed actions act on nodes or edges"),
    }
}

/// A step carrying out listed action `a` on `target`.
fn listed_step(
    graph: &TrustGraph,
    actions: &Actions<'_>,
    (rank, phase, required): (usize, Phase, bool),
    a: ActionIx,
    target: Target,
) -> Step {
    let action = &actions.all[a];
    Step {
        rank,
        phase,
        id: action.revoke.id().to_string(),
        listed: true,
        action: action.revoke.action().to_string(),
        playbook: playbook_for(graph, &action.revoke.to_revoke(), &target),
        target,
        action_ix: Some(a),
        cost: action.cost,
        collateral: actions.collateral(graph, a),
        required,
        protects: Vec::new(),
        after: Figures::default(),
    }
}

/// What some steps of a plan take away, and the footholds they take from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cuts {
    /// Every foothold of the plan, before any step.
    pub footholds: Vec<NodeId>,
    pub edges: Vec<EdgeId>,
    /// Nodes removed with all their edges and their foothold.
    pub nodes: Vec<NodeId>,
    /// Footholds ended (sessions revoked), edges kept.
    pub sessions: Vec<NodeId>,
}

impl Cuts {
    fn add(&mut self, actions: &Actions<'_>, a: ActionIx) {
        self.edges.extend_from_slice(actions.edges(a));
        self.nodes.extend_from_slice(actions.nodes(a));
        self.sessions.extend_from_slice(actions.sessions(a));
    }

    /// The footholds left, and what a residual search must ignore.
    pub fn residual(&self, graph: &TrustGraph) -> (Vec<NodeId>, Removed) {
        let mut removed = Removed::none(graph);
        for e in &self.edges {
            removed.edges[e.index()] = true;
        }
        for n in &self.nodes {
            removed.nodes[n.index()] = true;
        }
        let footholds = self
            .footholds
            .iter()
            .copied()
            .filter(|f| !removed.nodes[f.index()] && !self.sessions.contains(f))
            .collect();
        (footholds, removed)
    }
}

impl Plan<'_> {
    /// What the steps marked `done` (by index) take away: the TUI's what-if.
    pub fn cuts(&self, done: &[bool]) -> Cuts {
        let mut cuts = Cuts {
            footholds: self.footholds.clone(),
            ..Cuts::default()
        };
        for (step, _) in self.steps.iter().zip(done).filter(|(_, d)| **d) {
            match (step.action_ix, &step.target) {
                (Some(a), _) => cuts.add(&self.actions, a),
                (None, Target::Node(n)) => cuts.nodes.push(*n),
                _ => {}
            }
        }
        cuts
    }
}

/// What the listed steps of a saved plan take away, for `blast --apply-plan`: steps are
/// `(id, target)` as the plan's JSON gives them.
pub fn apply(
    graph: &TrustGraph,
    compromised: &[NodeId],
    at: Timestamp,
    steps: &[(String, Option<NodeId>)],
) -> Result<Cuts, String> {
    let blast = BlastRadius::compute(graph, compromised, at);
    let actions = Actions::collect(graph, &blast, Purpose::Incident);
    let mut cuts = Cuts {
        footholds: footholds(graph, &blast),
        ..Cuts::default()
    };
    for (id, target) in steps {
        match (actions.find(id), target) {
            (Some(a), _) => cuts.add(&actions, a),
            (None, _) if id.starts_with(rotate::VERIFY_PREFIX) => {}
            (None, Some(node)) if id.starts_with(rotate::ROTATE_PREFIX) => cuts.nodes.push(*node),
            (None, _) => {
                return Err(format!(
                    "step `{id}` is not an action of these inputs (was the plan made from other inputs?)"
                ));
            }
        }
    }
    Ok(cuts)
}
