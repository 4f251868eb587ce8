//! Candidate actions: every `revoke` entry of the graph, grouped by id, with what each
//! one removes and whom it disrupts.

use rustc_hash::{FxHashMap, FxHashSet};

use super::Purpose;
use crate::analysis::BlastRadius;
use crate::model::{EdgeId, EdgeKind, KeyIndex, NodeId, NodeKind, Outsider, RevokeRef, TrustGraph};
use crate::runs::Runs;
use crate::sparse::Sparse;

/// Index of an [`Action`] in [`Actions::all`]. Actions are numbered in the stable order
/// they are first listed in (edges by source key, then target key; then nodes by key),
/// so sorting by index breaks ties the same way whatever order the inputs came in.
pub type ActionIx = usize;

/// Pseudo-nodes that stand for the whole internet: nobody legitimate loses access when
/// their edges go.
const PUBLIC: [&str; 2] = ["github:any-user", "github:any-repo"];

/// One revocation action: all the `revoke` entries of the input that share an id.
#[derive(Debug, Clone)]
pub struct Action<'g> {
    /// The first listing in stable order names the action type, its base cost and
    /// commands (read in place: a million actions are not copied, and a snapshot's
    /// lists are not made).
    pub revoke: RevokeRef<'g>,
    /// Base cost plus the weighted collateral (see [`Actions::collateral`]).
    pub cost: u64,
}

/// The actions each of a few graph ids (edges or nodes) lists, out of all the graph's:
/// each listing id's run of actions, found by its rank among them. A hash map from the
/// id to its run took 14 MiB for the edges of a million-node blast radius; this takes
/// an eighth of a byte per graph id and four bytes per run.
#[derive(Default)]
struct Listed {
    ids: Sparse,
    /// Per listing id, in id order: its actions.
    actions: Runs<u32>,
}

impl Listed {
    /// From `(id, action)` pairs, ids below `bound`: each id's actions keep the order they
    /// are listed in.
    fn of(bound: usize, pairs: &[(u32, u32)]) -> Listed {
        let ids = Sparse::of(bound, pairs.iter().map(|&(id, _)| id as usize));
        let rank = |id: u32| {
            ids.rank(id as usize)
                .unwrap_or_else(|| unreachable!("a member"))
        };
        let actions = Runs::of(ids.len(), pairs.iter().map(|&(id, a)| (rank(id), a)));
        Listed { ids, actions }
    }

    fn get(&self, id: usize) -> &[u32] {
        match self.ids.rank(id) {
            Some(nth) => self.actions.get(nth),
            None => &[],
        }
    }
}

/// Every candidate action of a graph, in stable order (see [`ActionIx`]).
pub struct Actions<'g> {
    pub all: Vec<Action<'g>>,
    /// Per action, every edge listing its id: the action cuts them all.
    edges: Runs<EdgeId>,
    /// Per action, the nodes listing its id with an action that removes the node
    /// (disable, deactivate, rotate, …): all their edges go, in and out, and their
    /// foothold.
    nodes: Runs<NodeId>,
    /// Per action, the nodes listing its id as `revoke_sessions`: only their foothold goes.
    sessions: Runs<NodeId>,
    /// Id → action, by the ids the actions hold (an index and 32 bits of the id's hash
    /// an action, 10–20 bytes with the table's slack), where a map from `&str` took
    /// about twice as much.
    by_id: KeyIndex,
    /// Per node: the actions it lists, in stable order and once each.
    on_node: Listed,
    /// Per edge: the actions it lists, in its order.
    on_edge: Listed,
    compromised: FxHashSet<NodeId>,
    /// Hardening: the "compromised" set is the entry points, which are in use (a vendor's
    /// app or action does a job for the organisation). In an incident they are the
    /// attacker's, removed on purpose.
    entries_in_use: bool,
}

/// Weight of a dependent in the collateral: its criticality, at least 1 (someone relies on it).
pub fn weight(graph: &TrustGraph, node: NodeId) -> u64 {
    u64::from(graph.facts(node).criticality.max(1))
}

impl<'g> Actions<'g> {
    /// Collects the actions listed on the nodes of `blast` (reached, exposed and
    /// compromised), on every edge out of them, and on the edges into them that share
    /// an id with those. Other edges are left out: cutting them changes no reach. An
    /// edge with neither end in the blast radius that shares an id with one inside would
    /// only add the collateral of a source far away — no importer writes such ids (one id
    /// is one policy, trust statement, binding or node). Compromised nodes are nobody's
    /// legitimate dependents; when hardening, removing a third-party entry point breaks
    /// what it does for the organisation (see [`Actions::collateral`]).
    pub fn collect(graph: &'g TrustGraph, blast: &BlastRadius, purpose: Purpose) -> Actions<'g> {
        let mut scope: Vec<NodeId> = blast
            .reached
            .iter()
            .map(|r| r.node)
            .chain(blast.exposed.iter().map(|x| x.node))
            .collect();
        scope.sort_unstable_by_key(|&n| graph.key_rank(n));
        let mut in_scope = vec![false; graph.node_count()];
        for &n in &scope {
            in_scope[n.index()] = true;
        }
        // Edges in stable order: by source key, then target key.
        let mut edges: Vec<(u32, u32, EdgeId)> = Vec::new();
        for &n in &scope {
            let rank = graph.key_rank(n);
            for (e, to) in graph.outgoing(n) {
                edges.push((rank, graph.key_rank(to), e));
            }
        }
        // An edge into the scope from outside matters only when it shares an id with an
        // action listed inside (its source then counts in that action's collateral):
        // cutting it alone changes no reach. Hubs have hundreds of thousands of such
        // edges (every member of a shared group), each its own membership id.
        let inside: FxHashSet<&str> = edges
            .iter()
            .flat_map(|&(_, _, e)| graph.edge(e).revoke.entries())
            .chain(scope.iter().flat_map(|&n| graph.node(n).revoke.entries()))
            .map(RevokeRef::id)
            .collect();
        for &n in &scope {
            let rank = graph.key_rank(n);
            for (e, from) in graph.incoming(n) {
                if !in_scope[from.index()]
                    && graph
                        .edge(e)
                        .revoke
                        .entries()
                        .any(|r| inside.contains(r.id()))
                {
                    edges.push((graph.key_rank(from), rank, e));
                }
            }
        }
        // The sets above are done with: what follows needs their memory.
        drop((inside, in_scope));
        edges.sort_unstable();
        let mut by_id = KeyIndex::default();
        let mut all: Vec<Action<'g>> = Vec::new();
        let mut slot = |revoke: RevokeRef<'g>| -> ActionIx {
            // Below `u32::MAX`, which the flow network keeps for "no action".
            let next = u32::try_from(all.len())
                .ok()
                .filter(|&n| n < u32::MAX)
                .expect("fewer than 2^32 - 1 actions");
            match by_id.insert(revoke.id(), next, |a| all[a as usize].revoke.id()) {
                Err(known) => known as ActionIx,
                Ok(()) => {
                    all.push(Action { revoke, cost: 0 });
                    next as ActionIx
                }
            }
        };
        // Every `(edge, action)` listing, in stable order.
        let mut edge_actions: Vec<(u32, u32)> = Vec::new();
        for &(_, _, edge) in &edges {
            for r in graph.edge(edge).revoke.entries() {
                let a = slot(r);
                edge_actions.push((edge.index() as u32, a as u32));
            }
        }
        drop(edges);
        // Both lists grow together: `node_actions` made from `node_listed` after the edge
        // runs are laid out lands beside them and raised the 1M plan's peak by 5 MB.
        let mut node_actions: Vec<(u32, u32)> = Vec::new();
        let mut node_listed: Vec<(ActionIx, NodeId, bool)> = Vec::new();
        for &node in &scope {
            for r in graph.node(node).revoke.entries() {
                let a = slot(r);
                node_listed.push((a, node, r.action() == "revoke_sessions"));
                node_actions.push((node.index() as u32, a as u32));
            }
        }
        all.shrink_to_fit();
        let edges_by_action = Runs::of(
            all.len(),
            edge_actions
                .iter()
                .map(|&(e, a)| (a as ActionIx, EdgeId::from_raw(e))),
        );
        let on_edge = Listed::of(graph.edge_count(), &edge_actions);
        drop(edge_actions);
        // A node's actions in stable order, once each.
        node_actions.sort_unstable();
        node_actions.dedup();
        let on_node = Listed::of(graph.node_count(), &node_actions);
        drop(node_actions);
        // A node listing one id twice is one node to remove (its entries are read
        // together, so a repeat is the last one listed for the action).
        let mut last = vec![[None::<NodeId>; 2]; all.len()];
        let (mut nodes, mut sessions) = (Vec::new(), Vec::new());
        for (a, node, ends_sessions) in node_listed {
            let seen = &mut last[a][usize::from(ends_sessions)];
            if *seen != Some(node) {
                *seen = Some(node);
                let list = if ends_sessions {
                    &mut sessions
                } else {
                    &mut nodes
                };
                list.push((a, node));
            }
        }
        drop(last);
        let mut actions = Actions {
            edges: edges_by_action,
            nodes: Runs::of(all.len(), nodes.iter().copied()),
            sessions: Runs::of(all.len(), sessions.iter().copied()),
            all,
            by_id,
            on_node,
            on_edge,
            compromised: blast.compromised.iter().copied().collect(),
            entries_in_use: purpose == Purpose::Harden,
        };
        let mut cache = Dependents::default();
        for a in 0..actions.all.len() {
            let loss = actions.loss(graph, a, &mut cache);
            actions.all[a].cost = u64::from(actions.all[a].revoke.cost()) + loss;
        }
        actions
    }

    /// Every edge listing action `a`'s id: it cuts them all.
    pub fn edges(&self, a: ActionIx) -> &[EdgeId] {
        self.edges.get(a)
    }

    /// The nodes action `a` removes, with all their edges and their foothold.
    pub fn nodes(&self, a: ActionIx) -> &[NodeId] {
        self.nodes.get(a)
    }

    /// The nodes whose sessions action `a` ends (their foothold only).
    pub fn sessions(&self, a: ActionIx) -> &[NodeId] {
        self.sessions.get(a)
    }

    /// Action `a` only ends sessions already issued; it changes no access.
    pub fn is_sessions_only(&self, a: ActionIx) -> bool {
        self.edges(a).is_empty() && self.nodes(a).is_empty()
    }

    pub fn find(&self, id: &str) -> Option<ActionIx> {
        self.by_id
            .find(id, |a| self.all[a as usize].revoke.id())
            .map(|a| a as ActionIx)
    }

    /// Actions listed on a node, in stable order.
    pub fn on_node(&self, node: NodeId) -> impl Iterator<Item = ActionIx> + '_ {
        self.on_node
            .get(node.index())
            .iter()
            .map(|&a| a as ActionIx)
    }

    /// Actions listed on an edge, in the order the edge lists them.
    pub fn on_edge(&self, edge: EdgeId) -> impl Iterator<Item = ActionIx> + '_ {
        self.on_edge
            .get(edge.index())
            .iter()
            .map(|&a| a as ActionIx)
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    fn legitimate(&self, graph: &TrustGraph, n: NodeId) -> bool {
        !self.compromised.contains(&n)
            && !PUBLIC.contains(&graph.key(n))
            && graph.facts(n).kind != NodeKind::Credential
    }

    /// The legitimate dependents an action disrupts, sorted by key: for a removed node,
    /// whatever relies on it; for cut edges, whatever relies on their sources, which lose
    /// that access. When hardening, a third-party entry point the action removes is
    /// itself disrupted (the vendor's integration stops); cutting an edge out of it is
    /// not (pinning an action, narrowing a trust: it keeps working).
    pub fn collateral(&self, graph: &TrustGraph, a: ActionIx) -> Vec<NodeId> {
        let mut out = Vec::new();
        for n in self.hit(graph, a) {
            users_of(graph, n, &mut out);
        }
        out.retain(|&n| self.legitimate(graph, n));
        out.extend(self.removed_integrations(graph, a));
        out.sort_unstable_by_key(|&n| graph.key_rank(n));
        out.dedup();
        out
    }

    /// Hardening: the third-party entry points an action removes. (A removed old key is
    /// not one: what breaks is whatever stores and reads it, counted as its holders.)
    fn removed_integrations<'a>(
        &'a self,
        graph: &'a TrustGraph,
        a: ActionIx,
    ) -> impl Iterator<Item = NodeId> + 'a {
        self.nodes(a).iter().copied().filter(move |&n| {
            let facts = graph.facts(n);
            self.entries_in_use
                && self.compromised.contains(&n)
                && facts.outsider == Some(Outsider::ThirdParty)
                && facts.kind != NodeKind::Credential
        })
    }

    /// The nodes whose dependents an action disrupts: removed nodes and sources of cut
    /// edges, in stable order.
    fn hit(&self, graph: &TrustGraph, a: ActionIx) -> Vec<NodeId> {
        let mut hit: Vec<NodeId> = self
            .nodes(a)
            .iter()
            .copied()
            .chain(self.edges(a).iter().map(|&e| graph.endpoints(e).0))
            .collect();
        hit.sort_unstable_by_key(|&n| graph.key_rank(n));
        hit.dedup();
        hit
    }

    /// The weighted collateral: each dependent of [`Actions::collateral`] counts its
    /// weight once. A dependent that loses one access loses what it runs for as far as
    /// trustpath can tell (a service that can no longer write its bucket is down), so an
    /// edge cut weighs like losing the source. The common single-node case reads each
    /// node's total once and keeps it.
    fn loss(&self, graph: &TrustGraph, a: ActionIx, cache: &mut Dependents) -> u64 {
        match self.hit(graph, a).as_slice() {
            [] => 0,
            // Its dependents never include a removed entry point: add that on its own.
            [one] => {
                cache.weight(self, graph, *one)
                    + self
                        .removed_integrations(graph, a)
                        .map(|n| weight(graph, n))
                        .sum::<u64>()
            }
            _ => self
                .collateral(graph, a)
                .into_iter()
                .map(|n| weight(graph, n))
                .sum(),
        }
    }
}

/// Per node, the summed weight of its legitimate dependents, computed once.
#[derive(Default)]
struct Dependents {
    weight: FxHashMap<NodeId, u64>,
    scratch: Vec<NodeId>,
}

impl Dependents {
    fn weight(&mut self, actions: &Actions<'_>, graph: &TrustGraph, node: NodeId) -> u64 {
        if let Some(&w) = self.weight.get(&node) {
            return w;
        }
        self.scratch.clear();
        users_of(graph, node, &mut self.scratch);
        self.scratch.retain(|&n| actions.legitimate(graph, n));
        self.scratch.sort_unstable();
        self.scratch.dedup();
        let w = self.scratch.iter().map(|&n| weight(graph, n)).sum();
        self.weight.insert(node, w);
        w
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Edge, Node, Provenance, Revoke};

    fn revoke(id: &str) -> Revoke {
        Revoke {
            id: id.into(),
            action: Revoke::action_name("detach_policy"),
            cost: 1,
            commands: Vec::new(),
            from_file: false,
        }
    }

    /// An edge into the blast radius from outside is indexed only when it shares an id
    /// with an action listed inside, whose collateral then counts its source.
    #[test]
    fn outside_edges_count_only_through_shared_ids() {
        let mut g = TrustGraph::new();
        let mut add = |key: &str, kind| {
            g.add_node(Node::new(key, kind, Provenance::default()))
                .expect("new key")
        };
        let (c, x) = (add("c", NodeKind::Workload), add("x", NodeKind::Resource));
        let (shares, alone) = (add("o1", NodeKind::Role), add("o2", NodeKind::Role));
        let mut edge = |from, id: &str| {
            let mut e = Edge::new(EdgeKind::CanAccess, "policy", Provenance::default());
            e.revoke = vec![revoke(id)].into();
            g.add_edge(from, x, e);
        };
        edge(c, "policy:P");
        edge(shares, "policy:P");
        edge(alone, "policy:Q");
        let at = "2026-11-25T00:00:00Z".parse().expect("timestamp");
        let blast = BlastRadius::compute(&g, &[c], at);
        let actions = Actions::collect(&g, &blast, Purpose::Incident);
        assert_eq!(actions.len(), 1, "policy:Q cuts nothing the attacker uses");
        let p = actions.find("policy:P").expect("listed inside");
        assert_eq!(actions.edges(p).len(), 2);
        assert_eq!(
            actions.collateral(&g, p),
            [shares],
            "o1 loses its access too"
        );
        assert!(actions.find("policy:Q").is_none());
    }

    /// Hardening: disabling a vendor's app breaks the vendor's integration, so the app is
    /// its collateral and weighs in its cost; narrowing the trust it uses does not, and in
    /// an incident the same app is the attacker's, removed on purpose.
    #[test]
    fn removing_a_third_party_entry_is_collateral_when_hardening() {
        let mut g = TrustGraph::new();
        let mut vendor = Node::new(
            "azure:sp:vendor",
            NodeKind::ServiceAccount,
            Provenance::default(),
        );
        vendor.tags.insert("third_party".into(), "true".into());
        vendor.criticality = Some(6);
        let disable = Revoke {
            action: Revoke::action_name("disable_identity"),
            ..revoke("disable:vendor")
        };
        // Listed twice: still one node to remove, counted once.
        vendor.revoke = vec![disable.clone(), disable];
        let vendor = g.add_node(vendor).expect("new key");
        let role = g
            .add_node(Node::new(
                "azure:role:r",
                NodeKind::Role,
                Provenance::default(),
            ))
            .expect("new key");
        let mut e = Edge::new(EdgeKind::CanAssume, "trust", Provenance::default());
        e.revoke = vec![Revoke {
            action: Revoke::action_name("remove_trust"),
            ..revoke("trust:r")
        }]
        .into();
        g.add_edge(vendor, role, e);
        let at = "2026-11-25T00:00:00Z".parse().expect("timestamp");
        let blast = BlastRadius::compute(&g, &[vendor], at);

        let harden = Actions::collect(&g, &blast, Purpose::Harden);
        let disable = harden.find("disable:vendor").expect("listed");
        let trust = harden.find("trust:r").expect("listed");
        assert_eq!(harden.collateral(&g, disable), [vendor]);
        assert_eq!(
            harden.all[disable].cost,
            1 + 6,
            "base cost and the app's criticality"
        );
        assert!(harden.collateral(&g, trust).is_empty());
        assert_eq!(harden.all[trust].cost, 1);

        let incident = Actions::collect(&g, &blast, Purpose::Incident);
        let disable = incident.find("disable:vendor").expect("listed");
        assert!(incident.collateral(&g, disable).is_empty());
        assert_eq!(incident.all[disable].cost, 1);
    }

    /// A snapshot makes a revoke list only when one is asked for whole: a plan reads
    /// every entry in the blast radius in place, and its playbooks copy the few entries
    /// its steps name. (At a million nodes, the lists a plan made were 64 MB.)
    #[test]
    fn a_plan_from_a_snapshot_makes_no_revoke_list() {
        use crate::analysis::plan::{Plan, PlanOptions};
        use crate::import::{Input, load_inputs, snapshot};

        let mut generated = Vec::new();
        crate::synth::generate(&mut generated, 3_000, 11).expect("generates");
        let json = load_inputs([Input::bytes("gen.json", generated)]).expect("loads");
        let mut saved = Vec::new();
        snapshot::write(&mut saved, &json.graph, &json.warnings).expect("in memory");
        let frozen = load_inputs([Input::bytes("gen.tpsnap", saved)]).expect("reloads");
        let graph = &frozen.graph;
        let source = graph.metadata()["suggested_compromised"]
            .as_str()
            .and_then(|key| graph.find(key))
            .expect("a source");
        let at = "2026-12-06T00:00:00Z".parse().expect("timestamp");
        let plan = Plan::compute(graph, &[source], &PlanOptions::new(at));
        assert!(plan.steps.len() > 10, "a plan worth the name");
        assert!(plan.actions.len() > 100, "many entries read");
        assert_eq!(graph.revoke_lists_made(), 0);
    }
}
