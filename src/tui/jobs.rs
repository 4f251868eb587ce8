//! Work the TUI hands off: analyses that take a second on a million nodes run on a worker
//! thread, so the screen keeps answering keys. A job is plain data; running it needs only
//! the graph. Results carry the generation they were asked for, and the app drops stale
//! ones (the user marked another node compromised meanwhile).

use jiff::Timestamp;

use crate::analysis::BlastRadius;
use crate::analysis::plan::{self, Figures, Plan, PlanOptions};
use crate::model::{NodeId, TrustGraph};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Blast radius and plan for a compromised set.
    Analyze {
        generation: u64,
        compromised: Vec<NodeId>,
    },
    /// The radius left once some steps of the current plan are done.
    Residual {
        generation: u64,
        compromised: Vec<NodeId>,
        steps: Vec<(String, Option<NodeId>)>,
    },
    /// What one node reaches (the Paths tab).
    PathsFrom { node: NodeId },
}

pub enum Done<'g> {
    Analyzed {
        generation: u64,
        blast: BlastRadius,
        plan: Box<Plan<'g>>,
    },
    Residual {
        generation: u64,
        figures: Result<Figures, String>,
    },
    PathsFrom {
        node: NodeId,
        blast: BlastRadius,
    },
}

impl Job {
    pub fn run<'g>(self, graph: &'g TrustGraph, at: Timestamp) -> Done<'g> {
        match self {
            Job::Analyze {
                generation,
                compromised,
            } => Done::Analyzed {
                generation,
                blast: BlastRadius::compute(graph, &compromised, at),
                plan: Box::new(Plan::compute(graph, &compromised, &PlanOptions::new(at))),
            },
            Job::Residual {
                generation,
                compromised,
                steps,
            } => Done::Residual {
                generation,
                figures: plan::apply(graph, &compromised, at, &steps).map(
                    |(footholds, removed)| {
                        let r = BlastRadius::compute_without(graph, &footholds, at, Some(&removed));
                        Figures {
                            reached: r.summary.reached,
                            crown_jewels: r.summary.crown_jewels,
                            criticality: r.summary.criticality,
                        }
                    },
                ),
            },
            Job::PathsFrom { node } => Done::PathsFrom {
                node,
                blast: BlastRadius::compute(graph, &[node], at),
            },
        }
    }
}
