//! The revocation plan in four shapes: a runbook (text), a ticket (Markdown task list),
//! a schema'd document (JSON) and one row per step (CSV). All four are written from one
//! DTO, built once, so they cannot disagree. Its steps are made one at a time as they are
//! written: a plan lists tens of thousands, and holding them all as text was a tenth of
//! the plan's memory at a million nodes.

mod csv;
pub(crate) mod markdown;
mod text;

use std::io::{self, Write};

use serde::Serialize;

pub use self::csv::write_plan as write_csv;
pub use markdown::write_plan as write_markdown;
pub use text::write_plan as write_text;

use super::json::{HopOut, hops};
use crate::analysis::Harden;
use crate::analysis::harden::Held;
use crate::analysis::plan::{Figures, Method, Phase, Plan, Purpose, Step, Target};
use crate::model::{NodeId, TrustGraph};

/// Owner shown when the inventory names none.
pub const NO_OWNER: &str = "unknown — find before acting";

#[derive(Serialize)]
pub struct PlanOut<'a> {
    schema: &'static str,
    at: String,
    /// An incident's (`plan/v1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    compromised: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    footholds: Option<Vec<&'a str>>,
    /// A hardening plan's (`harden/v1`): what outsiders hold that reaches a crown jewel.
    #[serde(skip_serializing_if = "Option::is_none")]
    entry_points: Option<Vec<EntryOut<'a>>>,
    /// Entry points that reach no crown jewel.
    #[serde(skip_serializing_if = "Option::is_none")]
    harmless_entry_points: Option<usize>,
    /// Long-lived credentials whose age is unknown (no dates): not entry points.
    #[serde(skip_serializing_if = "Option::is_none")]
    undated_credentials: Option<usize>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    protect: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    budget: Option<u64>,
    before: FiguresOut,
    after: FiguresOut,
    complete: bool,
    cost: u64,
    lower_bound: u64,
    /// `exact`, `heuristic` or `none` (nothing to cut beyond containment).
    method: &'static str,
    /// The cut set is a cheapest one given containment (exact search, or the bound is met).
    optimal: bool,
    candidates: usize,
    steps: StepsOut<'a>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    deferred: Vec<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    uncontained: Vec<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    remaining: Vec<RemainingOut<'a>>,
    /// Admin identities still reachable after the required steps because the inputs
    /// rate them below crown-jewel criticality.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    admins_left: Vec<AdminLeftOut<'a>>,
}

#[derive(Serialize)]
pub struct EntryOut<'a> {
    id: &'a str,
    held: &'static str,
    why: String,
}

#[derive(Serialize)]
pub struct AdminLeftOut<'a> {
    id: &'a str,
    criticality: u8,
}

#[derive(Serialize, Clone, Copy)]
pub struct FiguresOut {
    reached: usize,
    crown_jewels: usize,
    admins: usize,
    criticality: u64,
}

impl From<Figures> for FiguresOut {
    fn from(f: Figures) -> Self {
        FiguresOut {
            reached: f.reached,
            crown_jewels: f.crown_jewels,
            admins: f.admins,
            criticality: f.criticality,
        }
    }
}

/// A plan's steps, each made as it is read (see the module's comment).
pub struct StepsOut<'a> {
    graph: &'a TrustGraph,
    plan: &'a Plan<'a>,
}

impl<'a> StepsOut<'a> {
    /// Each step in rank order, with the figures before it.
    pub fn iter(&self) -> impl Iterator<Item = StepOut<'a>> + 'a {
        let (graph, plan) = (self.graph, self.plan);
        let befores = std::iter::once(plan.before).chain(plan.steps.iter().map(|s| s.after));
        plan.steps
            .iter()
            .zip(befores)
            .map(move |(s, before)| step_out(graph, plan, s, before))
    }

    /// How many of the steps are required (the rest are recommended).
    pub fn required(&self) -> usize {
        self.plan.steps.iter().filter(|s| s.required).count()
    }
}

impl Serialize for StepsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

#[derive(Serialize)]
pub struct StepOut<'a> {
    rank: usize,
    phase: &'static str,
    id: &'a str,
    /// Whether `id` is a `revoke` id of the input (rotations and checks the input lists
    /// no action for are not).
    listed_in_input: bool,
    action: &'a str,
    /// The node acted on (or `FROM -> TO` of the first edge cut, or the platform).
    target: String,
    platform: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    edges: Vec<HopOut<'a>>,
    commands: &'a [String],
    owner: &'a str,
    why: String,
    collateral: Vec<&'a str>,
    cost: u64,
    kills_live_tokens: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    live_tokens: Option<&'a str>,
    reversible: bool,
    note: &'a str,
    required: bool,
    before: FiguresOut,
    after: FiguresOut,
}

#[derive(Serialize)]
pub struct RemainingOut<'a> {
    jewel: &'a str,
    /// No allowed action cuts it; otherwise it was left for the budget.
    unavoidable: bool,
    path: Vec<HopOut<'a>>,
}

fn key(graph: &TrustGraph, n: NodeId) -> &str {
    graph.key(n)
}

fn method(m: Method) -> &'static str {
    match m {
        Method::None => "none",
        Method::Exact => "exact",
        Method::Heuristic => "heuristic",
    }
}

impl<'a> PlanOut<'a> {
    pub fn new(graph: &'a TrustGraph, plan: &'a Plan<'a>) -> PlanOut<'a> {
        let keys = |list: &[NodeId]| list.iter().map(|&n| key(graph, n)).collect::<Vec<_>>();
        PlanOut {
            schema: "trustpath/plan/v1",
            at: plan.at.to_string(),
            compromised: Some(keys(&plan.compromised)),
            footholds: Some(keys(&plan.footholds)),
            entry_points: None,
            harmless_entry_points: None,
            undated_credentials: None,
            protect: keys(&plan.protect),
            budget: plan.budget,
            before: plan.before.into(),
            after: plan.after.into(),
            complete: plan.complete(),
            cost: plan.cost,
            lower_bound: plan.lower_bound,
            method: method(plan.method),
            optimal: plan.optimal(),
            candidates: plan.candidates,
            steps: StepsOut { graph, plan },
            deferred: plan
                .deferred
                .iter()
                .map(|&a| plan.actions.all[a].revoke.id())
                .collect(),
            uncontained: keys(&plan.uncontained),
            remaining: plan
                .remaining
                .iter()
                .map(|r| RemainingOut {
                    jewel: key(graph, r.jewel),
                    unavoidable: r.unavoidable,
                    path: hops(graph, &r.path),
                })
                .collect(),
            admins_left: plan
                .admins_left
                .iter()
                .map(|&n| AdminLeftOut {
                    id: key(graph, n),
                    criticality: graph.node(n).criticality(),
                })
                .collect(),
        }
    }
}

impl<'a> PlanOut<'a> {
    /// A hardening plan (`trustpath/harden/v1`): the plan's fields, its entry points in
    /// place of a compromised set and footholds.
    pub fn harden(graph: &'a TrustGraph, harden: &'a Harden<'_>) -> PlanOut<'a> {
        let mut out = PlanOut::new(graph, &harden.plan);
        out.schema = "trustpath/harden/v1";
        out.compromised = None;
        out.footholds = None;
        out.entry_points = Some(
            harden
                .entries
                .iter()
                .map(|e| EntryOut {
                    id: key(graph, e.node),
                    held: match e.held {
                        Held::Public => "public",
                        Held::ThirdParty => "third_party",
                        Held::OldCredential { .. } => "old_credential",
                    },
                    why: e.held.describe(),
                })
                .collect(),
        );
        out.harmless_entry_points = Some(harden.harmless);
        out.undated_credentials = Some(harden.undated);
        out
    }

    /// The compromised set of an incident plan, or the entry points of a hardening plan.
    fn starts(&self) -> Vec<&'a str> {
        match (&self.compromised, &self.entry_points) {
            (Some(c), _) => c.clone(),
            (None, Some(e)) => e.iter().map(|e| e.id).collect(),
            (None, None) => Vec::new(),
        }
    }
}

/// Step `index` of `plan` as the text plan prints it (the TUI shows it whole).
pub fn step_text(graph: &TrustGraph, plan: &Plan<'_>, index: usize) -> String {
    let Some(step) = plan.steps.get(index) else {
        return String::new();
    };
    let before = match index {
        0 => plan.before,
        i => plan.steps[i - 1].after,
    };
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = text::write_step(&mut out, &step_out(graph, plan, step, before));
    String::from_utf8_lossy(&out)
        .trim_start_matches('\n')
        .to_string()
}

impl PlanOut<'_> {
    /// The note on admin identities the required steps leave reachable because the
    /// inputs rate them below crown-jewel criticality, naming each (`name` renders a key
    /// for the format); `None` when there are none.
    pub fn admins_left_note(&self, name: impl Fn(&str) -> String) -> Option<String> {
        // Named up to a handful: the JSON lists them all.
        const NAMED: usize = 10;
        let mut listed: Vec<String> = self
            .admins_left
            .iter()
            .take(NAMED)
            .map(|a| format!("{} (criticality {})", name(a.id), a.criticality))
            .collect();
        let all = self.admins_left.len();
        if all > NAMED {
            listed.push(format!("and {} more", all - NAMED));
        }
        let (stays, them) = match all {
            0 => return None,
            1 => ("admin identity stays", "it"),
            _ => ("admin identities stay", "them"),
        };
        Some(format!(
            "{all} {stays} reachable after the required steps, rated below crown-jewel criticality ({}) by the inputs: {}; raise {them} in the inventory for the plan to cut {them}",
            crate::model::CROWN_JEWEL,
            listed.join(", ")
        ))
    }
}

/// The node whose configuration the step changes, for its owner: the role whose trust
/// or the group whose members change, else the source of the cut edges.
fn owner_of(graph: &TrustGraph, step: &Step) -> Option<NodeId> {
    match &step.target {
        Target::Node(n) => Some(*n),
        Target::Edges(edges) => {
            let (from, to) = graph.endpoints(*edges.first()?);
            Some(match step.action.as_str() {
                "remove_trust" | "remove_membership" => to,
                _ => from,
            })
        }
        Target::Platform(_) => None,
    }
}

fn step_out<'a>(
    graph: &'a TrustGraph,
    plan: &'a Plan,
    s: &'a Step,
    before: Figures,
) -> StepOut<'a> {
    let (target, platform, edges) = match &s.target {
        Target::Node(n) => (
            key(graph, *n).to_string(),
            graph.node(*n).platform,
            Vec::new(),
        ),
        Target::Edges(list) => {
            let (from, to) = graph.endpoints(list[0]);
            (
                format!("{} -> {}", key(graph, from), key(graph, to)),
                graph.node(from).platform,
                hops(graph, list),
            )
        }
        Target::Platform(p) => (p.clone(), p.as_str(), Vec::new()),
    };
    let owner = match owner_of(graph, s) {
        Some(n) => graph.node(n).owner.unwrap_or(NO_OWNER),
        None => "every owner of the platform's identities",
    };
    StepOut {
        rank: s.rank,
        phase: s.phase.as_str(),
        id: &s.id,
        listed_in_input: s.listed,
        action: &s.action,
        target,
        platform,
        edges,
        commands: &s.playbook.commands,
        owner,
        why: why(graph, plan, s),
        collateral: s.collateral.iter().map(|&n| key(graph, n)).collect(),
        cost: s.cost,
        kills_live_tokens: s.playbook.kills_live_tokens,
        live_tokens: s.playbook.live_tokens.as_deref(),
        reversible: s.playbook.reversible,
        note: &s.playbook.note,
        required: s.required,
        before: before.into(),
        after: s.after.into(),
    }
}

/// Names listed in a sentence before "and N more".
const NAMED: usize = 4;

fn named(graph: &TrustGraph, list: &[NodeId]) -> String {
    let mut s: Vec<&str> = list.iter().take(NAMED).map(|&n| key(graph, n)).collect();
    let more = list.len().saturating_sub(NAMED);
    let extra = format!("and {more} more");
    if more > 0 {
        s.push(&extra);
    }
    s.join(", ")
}

/// What the plan's starting nodes are, in a sentence.
fn held(plan: &Plan<'_>) -> &'static str {
    match plan.purpose {
        Purpose::Incident => "compromised",
        Purpose::Harden => "entry point",
    }
}

/// One sentence on what the step does and which paths it cuts.
fn why(graph: &TrustGraph, plan: &Plan<'_>, s: &Step) -> String {
    let what = match (&s.target, s.phase) {
        (Target::Platform(p), _) => {
            return format!(
                "the attacker reached {p}: keys, bindings or trust they created there survive every step above"
            );
        }
        (Target::Node(n), Phase::Rotate) => {
            let copies: Vec<NodeId> = graph
                .incoming(*n)
                .filter(|&(e, _)| graph.edge(e).kind == crate::model::EdgeKind::Contains)
                .map(|(_, f)| f)
                .collect();
            let mut w = format!(
                "exposed to the attacker, who may hold a copy of {}",
                key(graph, *n)
            );
            if !copies.is_empty() {
                w.push_str(&format!(
                    "; rotate it at its issuer, then update the stored copies ({})",
                    named(graph, &copies)
                ));
            }
            w
        }
        (Target::Node(n), _) if plan.compromised.contains(n) => {
            format!("neutralizes the {} {}", held(plan), key(graph, *n))
        }
        (Target::Node(n), _) => match s.action_ix.map(|a| plan.actions.is_sessions_only(a)) {
            Some(true) => format!(
                "ends the sessions the attacker may hold as {}",
                key(graph, *n)
            ),
            _ => format!(
                "takes {} out, with every edge in and out of it",
                key(graph, *n)
            ),
        },
        (Target::Edges(list), _) => {
            let (from, to) = graph.endpoints(list[0]);
            let kind = graph.edge(list[0]).kind;
            let mut w = format!("cuts {} -[{kind}]-> {}", key(graph, from), key(graph, to));
            if list.len() > 1 {
                w.push_str(&format!(" and {} more edges", list.len() - 1));
            }
            if plan.compromised.contains(&from) {
                w.push_str(&format!(
                    " (out of the {} {})",
                    held(plan),
                    key(graph, from)
                ));
            }
            w
        }
    };
    if !s.protects.is_empty() {
        format!(
            "{what}; puts {} crown jewel{} out of reach: {}",
            s.protects.len(),
            if s.protects.len() == 1 { "" } else { "s" },
            named(graph, &s.protects)
        )
    } else if s.phase == Phase::Cut {
        format!("{what}; needed with the other cuts (other paths remain until they are done)")
    } else {
        what
    }
}

pub fn write_json(out: &mut dyn Write, plan: &PlanOut<'_>) -> io::Result<()> {
    super::json::pretty(out, plan)
}
