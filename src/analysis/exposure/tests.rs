use proptest::prelude::*;

use super::backward::Direction;
use super::*;
use crate::analysis::Bfs;
use crate::model::{Condition, Credential, Edge, EdgeKind, Node, Provenance};

fn at() -> Timestamp {
    "2026-06-01T00:00:00Z".parse().expect("timestamp")
}

/// A graph from a list of nodes (`dead` ones are revoked credentials) and edges
/// `(from, to, dormant, conditional)`.
fn graph(nodes: &[(NodeKind, bool)], edges: &[(usize, usize, bool, bool)]) -> TrustGraph {
    graph_in_order(nodes, edges, false)
}

/// The same graph with its nodes and edges added in reverse when `reversed`.
fn graph_in_order(
    nodes: &[(NodeKind, bool)],
    edges: &[(usize, usize, bool, bool)],
    reversed: bool,
) -> TrustGraph {
    let mut g = TrustGraph::new();
    let mut ids = vec![NodeId::from_raw(0); nodes.len()];
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    if reversed {
        order.reverse();
    }
    for i in order {
        let (kind, dead) = nodes[i];
        let mut n = Node::new(&format!("n{i:02}"), kind, Provenance::default());
        if kind == NodeKind::Credential {
            n.credential = Some(Box::new(Credential {
                status: Some(if dead { "revoked" } else { "active" }.into()),
                ..Credential::default()
            }));
        }
        ids[i] = g.add_node(n).expect("new key");
    }
    let mut edges = edges.to_vec();
    if reversed {
        edges.reverse();
    }
    for (a, b, dormant, conditional) in edges {
        let (a, b) = (ids[a], ids[b]);
        let mut e = Edge::new(EdgeKind::CanAssume, "t", Provenance::default());
        e.dormant = dormant;
        if conditional {
            e.conditions.push(Condition::described("MFA"));
        }
        g.add_edge(a, b, e);
    }
    g.prepare();
    g
}

/// Large enough that the bottom-up levels and the ranking split over two cores: the
/// same nodes at the same depths as a search top-down only, each by an edge into the
/// level nearer, ranked in order, counted once.
#[test]
fn a_hub_of_a_generated_organisation_split_over_two_cores() {
    let mut json = Vec::new();
    crate::synth::generate(&mut json, 60_000, 7).expect("generates");
    let g = crate::import::load_inputs([crate::import::Input::bytes("gen.json", json)])
        .expect("loads")
        .graph;
    let hub = g
        .node_ids()
        .max_by_key(|&n| g.incoming(n).len())
        .expect("nodes");
    let x = Exposure::compute(&g, &[hub], at());
    assert!(x.holders.len() > SPLIT_ABOVE, "{}", x.holders.len());
    let down = Backward::run_as(&g, &[hub], at(), true, Direction::TopDown);
    assert_eq!(x.reach.all.found, down.found);
    assert_eq!(x.reach.all.depths(), down.depths());
    let (view, github) = (g.traversal(), g.platform_id("github"));
    for pair in x.holders.windows(2) {
        let key = |h: &Holder| {
            let within = Class::of(&g, h.node, view.facts(h.node), github).1;
            (h.class, within, h.depth, view.key_rank(h.node))
        };
        assert!(key(&pair[0]) < key(&pair[1]), "{pair:?}");
    }
    for h in &x.holders {
        let (from, to) = g.endpoints(h.next);
        assert_eq!(from, h.node);
        assert_eq!(down.depth(to) + 1, h.depth);
    }
    assert_eq!(x.summary.holders, x.holders.len());
    assert_eq!(x.summary.by_class.values().sum::<usize>(), x.holders.len());
    assert_eq!(x.summary.by_kind.values().sum::<usize>(), x.holders.len());
    assert_eq!(
        x.summary.by_platform.values().sum::<usize>(),
        x.holders.len()
    );
}

/// public → ci → role → db, key (long-lived, created 2020) → role, old key (dead) →
/// db, human ⇢ db (conditional), role → other (not toward db).
#[test]
fn holders_are_ranked_by_how_easily_they_are_held() {
    let mut g = TrustGraph::new();
    let mut add = |key: &str, kind: NodeKind| {
        g.add_node(Node::new(key, kind, Provenance::default()))
            .expect("new key")
    };
    let public = add("github:any-user", NodeKind::Group);
    let ci = add(
        "github:workflow:acme/web/.github/workflows/ci.yml",
        NodeKind::Workload,
    );
    let role = add("arn:aws:iam::1:role/deploy", NodeKind::Role);
    let db = add("arn:aws:rds:db", NodeKind::Resource);
    let key = add("AKIAKEY", NodeKind::Credential);
    let dead = add("AKIADEAD", NodeKind::Credential);
    let human = add("aws:user/alice", NodeKind::Human);
    let other = add("arn:aws:s3:::other", NodeKind::Resource);
    let created = "2020-01-01T00:00:00Z".parse().ok();
    for (node, status) in [(key, "active"), (dead, "inactive")] {
        g.node_mut(node).credential = Some(Box::new(Credential {
            status: Some(status.into()),
            created,
            ..Credential::default()
        }));
    }
    let edge = || Edge::new(EdgeKind::CanAssume, "t", Provenance::default());
    g.add_edge(public, ci, edge());
    g.add_edge(ci, role, edge());
    g.add_edge(role, db, edge());
    g.add_edge(key, role, edge());
    g.add_edge(dead, db, edge());
    let mut mfa = edge();
    mfa.conditions.push(Condition::described("MFA"));
    g.add_edge(human, db, mfa);
    g.add_edge(role, other, edge());
    let x = Exposure::compute(&g, &[db], at());
    let listed: Vec<(NodeId, Class, u32, bool)> = x
        .holders
        .iter()
        .map(|h| (h.node, h.class, h.depth, h.conditional))
        .collect();
    assert_eq!(
        listed,
        [
            (public, Class::Public, 3, false),
            (key, Class::LongLivedCredential, 2, false),
            (ci, Class::CiJob, 2, false),
            (human, Class::Human, 1, true),
            (role, Class::Other, 1, false),
        ]
    );
    let path = x.path(&g, &x.holders[0]);
    let hops: Vec<NodeId> = path.iter().map(|&e| g.endpoints(e).1).collect();
    assert_eq!(hops, [ci, role, db]);
    assert_eq!(x.summary.holders, 5);
    assert_eq!(x.summary.conditional, 1);
    assert!(!x.contains(dead), "a dead key reaches nothing");
    assert!(!x.contains(other));
    let nobody = Exposure::compute(&g, &[public], at());
    assert!(nobody.holders.is_empty());
}

fn node_strategy() -> impl Strategy<Value = (NodeKind, bool)> {
    (
        prop::sample::select(vec![
            NodeKind::Role,
            NodeKind::Credential,
            NodeKind::Workload,
        ]),
        any::<bool>(),
    )
}

proptest! {
    /// Exposure is the blast radius read backwards: a node is listed exactly when its
    /// own blast radius holds a target, conditional exactly when only conditional
    /// edges get it there, at the depth of its nearest target, and its witness path
    /// is a path the attacker can walk from it to a target.
    #[test]
    fn exposure_is_reverse_reachability(
        nodes in prop::collection::vec(node_strategy(), 2..40),
        raw_edges in prop::collection::vec(
            (0usize..40, 0usize..40, prop::bool::weighted(0.2), prop::bool::weighted(0.3)),
            0..90,
        ),
        raw_targets in prop::collection::vec(0usize..40, 1..3),
    ) {
        let n = nodes.len();
        let edges: Vec<_> = raw_edges
            .into_iter()
            .map(|(a, b, d, c)| (a % n, b % n, d, c))
            .collect();
        let g = graph(&nodes, &edges);
        let targets: Vec<NodeId> = raw_targets
            .iter()
            .map(|&t| g.find(&format!("n{:02}", t % n)).expect("node"))
            .collect();
        let x = Exposure::compute(&g, &targets, at());
        for u in g.node_ids() {
            if targets.contains(&u) {
                continue;
            }
            let depth = |conditional: bool| {
                let bfs = Bfs::attacker(&g, &[u], at(), conditional, None);
                targets.iter().filter_map(|&t| bfs.depth(t)).min()
            };
            let (any, certain) = (depth(true), depth(false));
            let holder = x.holders.iter().find(|h| h.node == u);
            prop_assert_eq!(holder.is_some(), any.is_some(), "listed: {:?}", u);
            prop_assert_eq!(x.contains(u), any.is_some());
            let Some(h) = holder else { continue };
            prop_assert_eq!(h.conditional, certain.is_none());
            prop_assert_eq!(Some(h.depth), certain.or(any));
            let path = x.path(&g, h);
            prop_assert_eq!(path.len(), h.depth as usize);
            let mut at_node = u;
            for &e in &path {
                let (from, to) = g.endpoints(e);
                prop_assert_eq!(from, at_node);
                prop_assert!(g.traversable(e, at()));
                if !h.conditional {
                    prop_assert!(!g.edge(e).is_conditional());
                }
                at_node = to;
            }
            prop_assert!(targets.contains(&at_node));
        }
        prop_assert_eq!(x.summary.holders, x.holders.len());
        // Either way of searching finds the same nodes at the same depths, each by an
        // edge out of it into a node one level nearer.
        for conditional in [true, false] {
            let [down, up, mixed] =
                [Direction::TopDown, Direction::BottomUp, Direction::Alternating]
                    .map(|d| Backward::run_as(&g, &targets, at(), conditional, d));
            prop_assert_eq!(&down.found, &up.found);
            prop_assert_eq!(down.depths(), up.depths());
            prop_assert_eq!(&down.found, &mixed.found);
            prop_assert_eq!(down.depths(), mixed.depths());
            for b in [&down, &up, &mixed] {
                for u in g.node_ids().filter(|&u| b.found(u)) {
                    if let Some(e) = b.next(u) {
                        let (from, to) = g.endpoints(e);
                        prop_assert_eq!(from, u);
                        prop_assert!(b.found(to));
                        prop_assert_eq!(b.depth(to) + 1, b.depth(u));
                        prop_assert!(g.traversable(e, at()));
                        prop_assert!(conditional || !g.edge(e).is_conditional());
                    }
                }
            }
        }
        // The same answer, witness edges included, whatever order the graph was built in.
        let r = graph_in_order(&nodes, &edges, true);
        let r_targets: Vec<NodeId> = targets
            .iter()
            .map(|&t| r.find(g.key(t)).expect("node"))
            .collect();
        let y = Exposure::compute(&r, &r_targets, at());
        let listing = |g: &TrustGraph, x: &Exposure| -> Vec<(String, String, u32, bool)> {
            x.holders
                .iter()
                .map(|h| {
                    let to = g.endpoints(h.next).1;
                    (g.key(h.node).to_string(), g.key(to).to_string(), h.depth, h.conditional)
                })
                .collect()
        };
        prop_assert_eq!(listing(&g, &x), listing(&r, &y));
        // Also when the frontier changes hands between the two ways at every level.
        let witnesses = |g: &TrustGraph, targets: &[NodeId]| -> Vec<(String, String)> {
            let b = Backward::run_as(g, targets, at(), true, Direction::Alternating);
            let mut w: Vec<_> = g
                .node_ids()
                .filter_map(|u| {
                    let to = g.endpoints(b.next(u)?).1;
                    Some((g.key(u).to_string(), g.key(to).to_string()))
                })
                .collect();
            w.sort();
            w
        };
        prop_assert_eq!(witnesses(&g, &targets), witnesses(&r, &r_targets));
    }
}
