//! Candidate actions: every `revoke` entry of the graph, grouped by id, with what each
//! one removes and whom it disrupts.

use rustc_hash::FxHashMap;

use crate::model::{EdgeId, EdgeKind, NodeId, NodeKind, Revoke, TrustGraph};

/// Index of an [`Action`] in [`Actions::all`]; actions are numbered in id order, so any
/// list of them sorted by index is sorted by id.
pub type ActionIx = usize;

/// Pseudo-nodes that stand for the whole internet: nobody legitimate loses access when
/// their edges go.
const PUBLIC: [&str; 2] = ["github:any-user", "github:any-repo"];

/// One revocation action: all the `revoke` entries of the input that share an id.
#[derive(Debug, Clone)]
pub struct Action {
    /// The first listing in stable order (edges by source key, then nodes by key) names the
    /// action type, its base cost and commands.
    pub revoke: Revoke,
    /// Every edge listing the id: the action cuts them all.
    pub edges: Vec<EdgeId>,
    /// Nodes listing the id with an action that removes the node (disable, deactivate,
    /// rotate, …): all their edges go, in and out, and their foothold.
    pub nodes: Vec<NodeId>,
    /// Nodes listing the id as `revoke_sessions`: only their foothold goes.
    pub sessions: Vec<NodeId>,
    /// Legitimate dependents that lose access, sorted by key: the sources of cut edges,
    /// removed nodes, and whatever runs as, belongs to or reads them.
    pub collateral: Vec<NodeId>,
    /// Base cost plus the weighted collateral (see `collateral`).
    pub cost: u64,
}

impl Action {
    /// Only ends sessions already issued; changes no access.
    pub fn is_sessions_only(&self) -> bool {
        self.edges.is_empty() && self.nodes.is_empty()
    }
}

/// Every candidate action of a graph, in id order.
pub struct Actions {
    pub all: Vec<Action>,
    by_id: FxHashMap<String, ActionIx>,
    /// Per node: the actions listed on it.
    on_node: FxHashMap<NodeId, Vec<ActionIx>>,
}

/// Weight of a dependent in the collateral: its criticality, at least 1 (someone relies on it).
pub fn weight(graph: &TrustGraph, node: NodeId) -> u64 {
    u64::from(graph.facts(node).criticality.max(1))
}

impl Actions {
    /// Collects every action of the graph; `compromised` nodes are nobody's legitimate
    /// dependents.
    pub fn collect(graph: &TrustGraph, compromised: &[NodeId]) -> Actions {
        let mut by_id: FxHashMap<String, ActionIx> = FxHashMap::default();
        let mut all: Vec<Action> = Vec::new();
        let slot = |all: &mut Vec<Action>,
                    by_id: &mut FxHashMap<String, ActionIx>,
                    revoke: &Revoke|
         -> ActionIx {
            if let Some(&i) = by_id.get(&revoke.id) {
                return i;
            }
            all.push(Action {
                revoke: revoke.clone(),
                edges: Vec::new(),
                nodes: Vec::new(),
                sessions: Vec::new(),
                collateral: Vec::new(),
                cost: 0,
            });
            by_id.insert(revoke.id.clone(), all.len() - 1);
            all.len() - 1
        };
        // Stable order (edges by source key and the adjacency's order, then nodes by key),
        // so the listing that defines an action does not depend on input order.
        for node in graph.nodes_by_key() {
            for (edge, _) in graph.outgoing(node) {
                for r in &graph.edge(edge).revoke {
                    let i = slot(&mut all, &mut by_id, r);
                    all[i].edges.push(edge);
                }
            }
        }
        let mut on_node: FxHashMap<NodeId, Vec<ActionIx>> = FxHashMap::default();
        for node in graph.nodes_by_key() {
            for r in &graph.node(node).revoke {
                let i = slot(&mut all, &mut by_id, r);
                if r.action == "revoke_sessions" {
                    all[i].sessions.push(node);
                } else {
                    all[i].nodes.push(node);
                }
                on_node.entry(node).or_default().push(i);
            }
        }
        // Renumber in id order.
        let mut order: Vec<ActionIx> = (0..all.len()).collect();
        order.sort_by(|&a, &b| all[a].revoke.id.cmp(&all[b].revoke.id));
        let mut new_of = vec![0; all.len()];
        for (new, &old) in order.iter().enumerate() {
            new_of[old] = new;
        }
        let mut slots: Vec<Option<Action>> = all.into_iter().map(Some).collect();
        let mut all: Vec<Action> = order
            .iter()
            .map(|&old| slots[old].take().expect("each action moves once"))
            .collect();
        for i in by_id.values_mut() {
            *i = new_of[*i];
        }
        for list in on_node.values_mut() {
            for i in list.iter_mut() {
                *i = new_of[*i];
            }
            list.sort_unstable();
            list.dedup();
        }
        let compromised: rustc_hash::FxHashSet<NodeId> = compromised.iter().copied().collect();
        for action in &mut all {
            let (dependents, loss) = collateral(graph, action, &compromised);
            action.collateral = dependents;
            action.cost = u64::from(action.revoke.cost) + loss;
        }
        Actions {
            all,
            by_id,
            on_node,
        }
    }

    pub fn find(&self, id: &str) -> Option<ActionIx> {
        self.by_id.get(id).copied()
    }

    /// Actions listed on a node, in id order.
    pub fn on_node(&self, node: NodeId) -> &[ActionIx] {
        self.on_node.get(&node).map_or(&[], Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}

/// Who relies on `node` and loses access with it: the node itself and whatever runs as it,
/// is a member through it or logs in as it, and whoever stores or reads those
/// credentials and secrets (two hops: a secret holding a key, and the jobs reading it).
fn users_of(graph: &TrustGraph, node: NodeId, out: &mut Vec<NodeId>) {
    out.push(node);
    holders(graph, node, 2, out);
    for (edge, from) in graph.incoming(node) {
        let e = graph.edge(edge);
        if !e.dormant
            && matches!(
                e.kind,
                EdgeKind::RunsAs | EdgeKind::MemberOf | EdgeKind::AuthenticatesAs
            )
        {
            out.push(from);
            holders(graph, from, 2, out);
        }
    }
}

/// Whatever stores a credential or secret, and the workloads that read it, `hops` levels
/// up. Only workloads count as readers: an identity allowed to read a secret (an admin)
/// is not one that relies on it.
fn holders(graph: &TrustGraph, node: NodeId, hops: u8, out: &mut Vec<NodeId>) {
    if hops == 0
        || !matches!(
            graph.facts(node).kind,
            NodeKind::Credential | NodeKind::Secret
        )
    {
        return;
    }
    for (edge, from) in graph.incoming(node) {
        let e = graph.edge(edge);
        let relies = match e.kind {
            EdgeKind::Contains => true,
            EdgeKind::CanRead => graph.facts(from).kind == NodeKind::Workload,
            _ => false,
        };
        if relies && !e.dormant {
            out.push(from);
            holders(graph, from, hops - 1, out);
        }
    }
}

/// The legitimate dependents that lose access, sorted by key, and their weighted cost.
///
/// A node action takes everything from its dependents: each counts its full weight. An
/// edge action takes part of what its source can do: each dependent of that source
/// counts in proportion to the share of the source's edges cut (rounded up), so that
/// detaching one policy costs less than disabling the identity that holds it.
fn collateral(
    graph: &TrustGraph,
    action: &Action,
    compromised: &rustc_hash::FxHashSet<NodeId>,
) -> (Vec<NodeId>, u64) {
    let legitimate = |n: &NodeId| {
        !compromised.contains(n)
            && !PUBLIC.contains(&&*graph.node(*n).key)
            && graph.facts(*n).kind != NodeKind::Credential
    };
    // Dependent → weighted loss, the largest over the ways it is hit.
    let mut loss: FxHashMap<NodeId, u64> = FxHashMap::default();
    let mut users = Vec::new();
    for &node in &action.nodes {
        users.clear();
        users_of(graph, node, &mut users);
        for &d in users.iter().filter(|d| legitimate(d)) {
            loss.insert(d, weight(graph, d));
        }
    }
    let mut sources: Vec<NodeId> = action.edges.iter().map(|&e| graph.endpoints(e).0).collect();
    sources.sort_unstable();
    sources.dedup();
    for from in sources {
        let live = |e: EdgeId| !graph.edge(e).dormant;
        let total = graph
            .outgoing(from)
            .filter(|&(e, _)| live(e))
            .count()
            .max(1) as u64;
        let cut = action
            .edges
            .iter()
            .filter(|&&e| live(e) && graph.endpoints(e).0 == from)
            .count()
            .max(1) as u64;
        users.clear();
        users_of(graph, from, &mut users);
        for &d in users.iter().filter(|d| legitimate(d)) {
            let share = (weight(graph, d) * cut).div_ceil(total);
            let entry = loss.entry(d).or_default();
            *entry = (*entry).max(share);
        }
    }
    let mut out: Vec<NodeId> = loss.keys().copied().collect();
    out.sort_unstable_by_key(|&n| graph.key_rank(n));
    let cost = loss.values().sum();
    (out, cost)
}
