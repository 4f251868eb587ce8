//! Work the TUI hands off: analyses that take a second on a million nodes run on a worker
//! thread, so the screen keeps answering keys. A job is plain data; running it needs only
//! the graph. Results carry the generation they were asked for, and the app drops stale
//! ones (the user marked another node compromised meanwhile).

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use jiff::Timestamp;

use crate::analysis::audit::Thresholds;
use crate::analysis::plan::{Cuts, Figures, Plan, PlanOptions};
use crate::analysis::{Audit, BlastRadius, Exposure};
use crate::model::{NodeId, TrustGraph};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Blast radius and plan for a compromised set.
    Analyze {
        generation: u64,
        compromised: Vec<NodeId>,
    },
    /// The radius left once some steps of the current plan are done.
    Residual { generation: u64, cuts: Cuts },
    /// What one node reaches, and who can reach it (the Paths tab).
    PathsFrom { node: NodeId },
    /// The audit of the whole graph (the Audit tab, at its first showing).
    Audit,
    /// The nodes of `base` that fuzzy-match `query`, ranked.
    Search {
        generation: u64,
        query: String,
        base: Vec<NodeId>,
    },
}

pub enum Done<'g> {
    Analyzed {
        generation: u64,
        blast: BlastRadius,
        /// The blast radius as a tree (see [`tree`]).
        tree: Vec<(u32, NodeId)>,
        plan: Box<Plan<'g>>,
    },
    Residual {
        generation: u64,
        figures: Figures,
        /// What stays reachable, for the witness paths that remain.
        blast: BlastRadius,
    },
    PathsFrom {
        node: NodeId,
        blast: BlastRadius,
        /// Who can reach the node.
        exposure: Box<Exposure>,
    },
    Search {
        generation: u64,
        query: String,
        entries: Vec<NodeId>,
    },
    Audited(Box<Audit>),
    /// A job the worker skipped because a newer one of its kind came.
    Dropped,
}

impl Job {
    pub fn run<'g>(self, graph: &'g TrustGraph, at: Timestamp) -> Done<'g> {
        match self {
            Job::Analyze {
                generation,
                compromised,
            } => {
                // One search serves the Blast tab, its tree and the plan.
                let blast = BlastRadius::compute(graph, &compromised, at);
                let plan = Box::new(Plan::for_blast(graph, &blast, &PlanOptions::new(at)));
                Done::Analyzed {
                    generation,
                    tree: tree(graph, &blast),
                    blast,
                    plan,
                }
            }
            Job::Residual { generation, cuts } => {
                let (footholds, removed) = cuts.residual(graph);
                let r = BlastRadius::compute_without(graph, &footholds, at, Some(&removed));
                Done::Residual {
                    generation,
                    figures: Figures {
                        reached: r.summary.reached,
                        crown_jewels: r.summary.crown_jewels,
                        admins: r
                            .reached
                            .iter()
                            .filter(|n| graph.facts(n.node).admin)
                            .count(),
                        criticality: r.summary.criticality,
                    },
                    blast: r,
                }
            }
            Job::Audit => Done::Audited(Box::new(Audit::run(graph, at, Thresholds::default()))),
            Job::PathsFrom { node } => Done::PathsFrom {
                node,
                blast: BlastRadius::compute(graph, &[node], at),
                exposure: Box::new(Exposure::compute(graph, &[node], at)),
            },
            Job::Search {
                generation,
                query,
                base,
            } => Done::Search {
                generation,
                entries: search(graph, base, &query),
                query,
            },
        }
    }

    /// Searches are quick and typed: they get a worker of their own, so a plan being
    /// computed never holds up the list.
    pub fn is_search(&self) -> bool {
        matches!(self, Job::Search { .. })
    }
}

/// The blast radius as a tree: each reached node under the node its witness path comes
/// from, children by key, in depth-first order with their depth — what the Blast tab
/// draws.
pub fn tree(graph: &TrustGraph, blast: &BlastRadius) -> Vec<(u32, NodeId)> {
    let mut children: rustc_hash::FxHashMap<NodeId, Vec<NodeId>> = Default::default();
    let mut roots = Vec::new();
    // `reached` is sorted by depth, then key: children come out in key order.
    for r in &blast.reached {
        match blast.via(graph, r.node) {
            Some(edge) => children
                .entry(graph.endpoints(edge).0)
                .or_default()
                .push(r.node),
            None => roots.push(r.node),
        }
    }
    let mut out = Vec::with_capacity(blast.reached.len());
    let mut stack: Vec<(u32, NodeId)> = roots.into_iter().rev().map(|n| (0, n)).collect();
    while let Some((depth, node)) = stack.pop() {
        out.push((depth, node));
        if let Some(kids) = children.get(&node) {
            stack.extend(kids.iter().rev().map(|&k| (depth + 1, k)));
        }
    }
    out
}

/// More matches than this are listed in key order, not ranked by score: scoring is a
/// microsecond a node, and a keystroke's results must come within a frame (16 ms) on a
/// hundred thousand nodes. A query of a few more characters gets ranked.
const RANK_AT_MOST: usize = 10_000;

/// The nodes of `base` whose key or name fuzzy-matches `query` (keys hold ARNs and
/// credential ids; a name may say what the key does not, "ci-deployer access key 1"):
/// first a subsequence test (what any fuzzy match needs), then, when few enough remain to
/// be worth it, the skim score, best first, ties by key. Matched characters are found
/// when a row is drawn.
pub fn search(graph: &TrustGraph, mut base: Vec<NodeId>, query: &str) -> Vec<NodeId> {
    let q = Query::new(query);
    base.retain(|&n| {
        let node = graph.node(n);
        q.subsequence_of(node.key) || q.subsequence_of(node.name)
    });
    if base.len() <= RANK_AT_MOST {
        let matcher = SkimMatcherV2::default();
        // Equal scores: the shorter name is the closer match ("key-maker" before
        // "key-maker access key 1"), then key order.
        let mut scored: Vec<(std::cmp::Reverse<i64>, usize, u32, NodeId)> = base
            .iter()
            .map(|&n| {
                let node = graph.node(n);
                // The name first: it is short (cheap to score) and what a responder
                // types; the key when the name does not match (`arn:aws:iam`, `role/`).
                // Scoring both would double the cost of a keystroke's results.
                let score = matcher
                    .fuzzy_match(node.name, query)
                    .or_else(|| matcher.fuzzy_match(node.key, query));
                (
                    std::cmp::Reverse(score.unwrap_or(0)),
                    node.name.len(),
                    graph.key_rank(n),
                    n,
                )
            })
            .collect();
        scored.sort_unstable();
        scored.into_iter().map(|t| t.3).collect()
    } else {
        // Too many to rank usefully: key order until the query narrows them. The base
        // is usually the whole listing, already in key order, and stays so when filtered.
        if !base.is_sorted_by_key(|&n| graph.key_rank(n)) {
            base.sort_unstable_by_key(|&n| graph.key_rank(n));
        }
        base
    }
}

/// A search query as the fuzzy matcher reads it: case-insensitive unless it has a
/// capital (smart case).
struct Query {
    chars: Vec<char>,
    ignore_case: bool,
}

impl Query {
    fn new(q: &str) -> Query {
        Query {
            chars: q.chars().collect(),
            ignore_case: !q.chars().any(char::is_uppercase),
        }
    }

    /// Every query character appears in `key`, in order.
    fn subsequence_of(&self, key: &str) -> bool {
        let mut want = self.chars.iter();
        let Some(mut next) = want.next() else {
            return true;
        };
        for c in key.chars() {
            let c = if self.ignore_case {
                c.to_ascii_lowercase()
            } else {
                c
            };
            if c == *next {
                match want.next() {
                    Some(n) => next = n,
                    None => return true,
                }
            }
        }
        false
    }
}
