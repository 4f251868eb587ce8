//! The plan against brute force: on random small graphs (at most 14 candidate actions
//! beyond containment), every subset of actions is tried, and the plan must reach the
//! best achievable protection, cost no more than it must when exact search ran, and keep
//! its lower bound at or below the optimum.

use std::collections::BTreeSet;

use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{Value, json};
use trustpath::analysis::plan::{self, Method, Phase, Plan, PlanOptions};
use trustpath::analysis::{BlastRadius, Harden};
use trustpath::import::{Input, load_inputs};
use trustpath::model::{NodeId, TrustGraph};

const KINDS: [&str; 7] = [
    "workload",
    "role",
    "service_account",
    "credential",
    "resource",
    "group",
    "secret",
];
const EDGE_KINDS: [&str; 9] = [
    "authenticates_as",
    "can_assume",
    "member_of",
    "runs_as",
    "can_control",
    "can_read",
    "contains",
    "can_escalate",
    "can_access",
];

/// Shared edge actions: one id may cut several edges.
const POOL: usize = 6;

/// Kind, crown jewel, node action (sessions only?, cost), dead credential.
type NodeSpec = (usize, bool, Option<(bool, u32)>, bool);
/// From, to, kind, shared action, dormant.
type EdgeSpec = (usize, usize, usize, Option<usize>, bool);

#[derive(Debug, Clone)]
struct Spec {
    nodes: Vec<NodeSpec>,
    edges: Vec<EdgeSpec>,
    pool_cost: Vec<u32>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (4usize..=9).prop_flat_map(|n| {
        let node = (
            prop::sample::select(vec![0usize, 1, 1, 1, 2, 2, 3, 3, 4, 5, 6]),
            prop::bool::weighted(0.35),
            prop::option::weighted(0.6, (any::<bool>(), 1u32..6)),
            prop::bool::weighted(0.1),
        );
        let edge = (
            0..n,
            0..n,
            0..EDGE_KINDS.len(),
            prop::option::weighted(0.7, 0..POOL),
            prop::bool::weighted(0.1),
        );
        (
            prop::collection::vec(node, n),
            prop::collection::vec(edge, n..=3 * n),
            prop::collection::vec(1u32..8, POOL),
        )
            .prop_map(|(nodes, edges, pool_cost)| Spec {
                nodes,
                edges,
                pool_cost,
            })
    })
}

fn key(i: usize) -> String {
    format!("test:n{i}")
}

/// The spec as native graph JSON; node 0 is the compromised one.
fn document(s: &Spec) -> Value {
    let nodes: Vec<Value> = s
        .nodes
        .iter()
        .enumerate()
        .map(|(i, &(kind, jewel, action, dead))| {
            let mut n = json!({"id": key(i), "kind": KINDS[kind], "criticality": if jewel { 9 } else { 3 }});
            if let Some((sessions, cost)) = action {
                let (id, action) = if sessions {
                    (format!("sessions:{i}"), "revoke_sessions")
                } else {
                    (format!("disable:{i}"), "disable_identity")
                };
                n["revoke"] = json!([{"id": id, "action": action, "cost": cost}]);
            }
            if KINDS[kind] == "credential" {
                n["credential"] = json!({"status": if dead { "inactive" } else { "active" }});
            }
            n
        })
        .collect();
    let edges: Vec<Value> = s
        .edges
        .iter()
        .filter(|e| e.0 != e.1)
        .map(|&(from, to, kind, action, dormant)| {
            let revoke: Vec<Value> = action
                .map(|a| json!({"id": format!("cut:{a}"), "action": "detach_policy", "cost": s.pool_cost[a]}))
                .into_iter()
                .collect();
            json!({"from": key(from), "to": key(to), "kind": EDGE_KINDS[kind],
                   "reason": "test", "dormant": dormant, "revoke": revoke})
        })
        .collect();
    json!({"schema": "trustpath/graph/v1", "nodes": nodes, "edges": edges})
}

fn at() -> Timestamp {
    "2026-06-01T00:00:00Z".parse().expect("timestamp")
}

/// Crown jewels still reachable once `ids` are carried out.
fn jewels_after(graph: &TrustGraph, compromised: &[NodeId], ids: &[String]) -> BTreeSet<String> {
    jewels_left(graph, compromised, ids, None)
}

/// Crown jewels reachable once `ids` are carried out, from the plan's footholds (an
/// incident's: the compromised set and what it reached), or from `only` these.
fn jewels_left(
    graph: &TrustGraph,
    compromised: &[NodeId],
    ids: &[String],
    only: Option<&[NodeId]>,
) -> BTreeSet<String> {
    let steps: Vec<(String, Option<NodeId>)> = ids.iter().map(|id| (id.clone(), None)).collect();
    let mut cuts =
        plan::apply(graph, compromised, at(), &steps).expect("every id comes from the graph");
    if let Some(only) = only {
        cuts.footholds = only.to_vec();
    }
    let (footholds, removed) = cuts.residual(graph);
    BlastRadius::compute_without(graph, &footholds, at(), Some(&removed))
        .reached
        .iter()
        .filter(|r| graph.node(r.node).is_crown_jewel())
        .map(|r| graph.key(r.node).to_string())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn plan_matches_brute_force(s in spec()) {
        let bytes = serde_json::to_vec(&document(&s)).expect("serializes");
        let graph = load_inputs([Input::bytes("random.json", bytes)]).expect("loads").graph;
        let compromised = vec![graph.find(&key(0)).expect("node 0")];
        let plan = Plan::compute(&graph, &compromised, &PlanOptions::new(at()));
        // The same problem without exact search: greedy and minimum cut must still be
        // complete and bounded.
        let heuristic = Plan::compute(&graph, &compromised, &PlanOptions { exact_max: 0, ..PlanOptions::new(at()) });

        let contain: Vec<String> = plan.steps.iter().filter(|s| s.phase == Phase::Contain).map(|s| s.id.clone()).collect();
        let others: Vec<(String, u64)> = plan
            .actions
            .all
            .iter()
            .filter(|a| !contain.iter().any(|c| c == a.revoke.id()))
            .map(|a| (a.revoke.id().to_string(), a.cost))
            .collect();
        prop_assume!(others.len() <= 14);
        let contain_cost: u64 = contain
            .iter()
            .map(|id| plan.actions.all[plan.actions.find(id).expect("listed")].cost)
            .sum();
        let mut everything = contain.clone();
        everything.extend(others.iter().map(|(id, _)| id.clone()));
        let floor = jewels_after(&graph, &compromised, &everything);

        let mut optimum = u64::MAX;
        for mask in 0u32..(1 << others.len()) {
            let mut ids = contain.clone();
            let mut cost = contain_cost;
            for (i, (id, c)) in others.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    ids.push(id.clone());
                    cost += c;
                }
            }
            if cost < optimum && jewels_after(&graph, &compromised, &ids) == floor {
                optimum = cost;
            }
        }

        for plan in [&plan, &heuristic] {
            let required: Vec<String> = plan.steps.iter().filter(|s| s.required).map(|s| s.id.clone()).collect();
            prop_assert_eq!(&jewels_after(&graph, &compromised, &required), &floor, "the plan protects all it can");
            prop_assert!(plan.lower_bound <= optimum, "lower bound {} > optimum {}", plan.lower_bound, optimum);
            prop_assert!(optimum <= plan.cost, "optimum {} > plan cost {}", optimum, plan.cost);
            if plan.method != Method::Heuristic {
                prop_assert_eq!(plan.cost, optimum, "exact search must find the optimum");
            }
            if plan.optimal() {
                prop_assert_eq!(plan.cost, optimum, "a plan that claims to be optimal is");
            }
        }
    }
}

/// Crown jewels the `entries` still reach once `ids` are carried out: a hardening plan
/// assumes no dwell time, so the entries are its only footholds.
fn jewels_from_entries(graph: &TrustGraph, entries: &[NodeId], ids: &[String]) -> BTreeSet<String> {
    jewels_left(graph, entries, ids, Some(entries))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// `harden` from an outsider (node 0, third-party code under a tag) and anyone (node
    /// 1): its entry points are the outsiders that reach a crown jewel, its required
    /// steps protect all that any set of actions can, and its cost and bound bracket the
    /// brute-force optimum (equal to it when exact search ran).
    #[test]
    fn harden_matches_brute_force(s in spec()) {
        let mut doc = document(&s);
        doc["nodes"][0]["tags"] = json!({"third_party": "acme-rival", "pinned": "tag"});
        doc["nodes"][1]["tags"] = json!({"not_in_inputs": "public"});
        let bytes = serde_json::to_vec(&doc).expect("serializes");
        let graph = load_inputs([Input::bytes("random.json", bytes)]).expect("loads").graph;
        let outsiders: Vec<NodeId> = [0, 1].iter().map(|&i| graph.find(&key(i)).expect("node")).collect();
        let harden = Harden::compute(&graph, &PlanOptions::new(at()), 90);
        let entries: Vec<NodeId> = harden.entries.iter().map(|e| e.node).collect();
        for &o in &outsiders {
            // A dead credential holds nothing, whoever has it.
            let reaches = graph.node(o).usable_at(at())
                && !jewels_from_entries(&graph, &[o], &[]).is_empty();
            prop_assert_eq!(entries.contains(&o), reaches, "entry points are the outsiders that reach a jewel");
        }
        let plan = &harden.plan;
        prop_assert!(plan.steps.iter().all(|s| s.phase == Phase::Cut), "nothing to contain, rotate or hunt");
        // Ending sessions does not end an outsider's hold: hardening never counts on it.
        let all: Vec<(String, u64)> = plan
            .actions
            .all
            .iter()
            .enumerate()
            .filter(|&(ix, _)| !plan.actions.is_sessions_only(ix))
            .map(|(_, a)| (a.revoke.id().to_string(), a.cost))
            .collect();
        prop_assume!(all.len() <= 14);
        let everything: Vec<String> = all.iter().map(|(id, _)| id.clone()).collect();
        let floor = jewels_from_entries(&graph, &entries, &everything);
        let mut optimum = u64::MAX;
        for mask in 0u32..(1 << all.len()) {
            let ids: Vec<String> = all.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, (id, _))| id.clone()).collect();
            let cost: u64 = all.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, (_, c))| c).sum();
            if cost < optimum && jewels_from_entries(&graph, &entries, &ids) == floor {
                optimum = cost;
            }
        }
        let required: Vec<String> = plan.steps.iter().filter(|s| s.required).map(|s| s.id.clone()).collect();
        prop_assert_eq!(&jewels_from_entries(&graph, &entries, &required), &floor, "the plan protects all it can");
        prop_assert!(plan.lower_bound <= optimum, "lower bound {} > optimum {}", plan.lower_bound, optimum);
        prop_assert!(optimum <= plan.cost, "optimum {} > plan cost {}", optimum, plan.cost);
        if plan.method != Method::Heuristic {
            prop_assert_eq!(plan.cost, optimum, "exact search must find the optimum");
        }
    }
}
