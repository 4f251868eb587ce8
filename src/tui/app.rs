//! The one TUI state, and `update`: key → [`Action`] → state change. Rendering is in
//! `view.rs` and reads this state only.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use jiff::Timestamp;
use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::keys::{Action, action_for};
use crate::analysis::plan::{self, Figures, Plan, PlanOptions};
use crate::analysis::{BlastRadius, Removed};
use crate::model::{NodeId, TrustGraph};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Details,
    Blast,
    Plan,
    Paths,
    Audit,
}

impl Tab {
    pub const ALL: [Tab; 5] = [Tab::Details, Tab::Blast, Tab::Plan, Tab::Paths, Tab::Audit];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Details => "Details",
            Tab::Blast => "Blast",
            Tab::Plan => "Plan",
            Tab::Paths => "Paths",
            Tab::Audit => "Audit",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|&t| t == self).unwrap_or(0)
    }
}

/// Which pane the movement keys act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Tab,
}

/// One entry of the identity list: a node and, while searching, the matched characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub node: NodeId,
    pub matched: Vec<usize>,
}

/// Lines a page key moves.
const PAGE: usize = 10;

pub struct App<'g> {
    pub graph: &'g TrustGraph,
    pub at: Timestamp,
    pub compromised: Vec<NodeId>,
    pub blast: BlastRadius,
    pub plan: Plan<'g>,
    /// Per plan step: marked done (simulated).
    pub done: Vec<bool>,
    /// Figures once the steps marked done are carried out.
    pub residual: Figures,
    pub entries: Vec<Entry>,
    pub selected: usize,
    pub step: usize,
    pub tab: Tab,
    pub focus: Focus,
    pub query: String,
    pub searching: bool,
    pub help: bool,
    pub quit: bool,
    /// One line of feedback in the status bar.
    pub status: String,
    /// Colours on (off when `NO_COLOR` is set).
    pub color: bool,
}

impl<'g> App<'g> {
    pub fn new(graph: &'g TrustGraph, compromised: Vec<NodeId>, at: Timestamp) -> App<'g> {
        let blast = BlastRadius::compute(graph, &compromised, at);
        let plan = Plan::compute(graph, &compromised, &PlanOptions::new(at));
        let mut app = App {
            graph,
            at,
            done: vec![false; plan.steps.len()],
            residual: plan.before,
            compromised,
            blast,
            plan,
            entries: Vec::new(),
            selected: 0,
            step: 0,
            tab: Tab::Plan,
            focus: Focus::List,
            query: String::new(),
            searching: false,
            help: false,
            quit: false,
            status: String::new(),
            color: true,
        };
        app.filter();
        // Start on the (first) compromised node, so the first screen shows the point.
        if let Some(&c) = app.compromised.first() {
            app.select_node(c);
        }
        app
    }

    /// The node under the cursor of the list.
    pub fn selection(&self) -> Option<NodeId> {
        self.entries.get(self.selected).map(|e| e.node)
    }

    fn select_node(&mut self, node: NodeId) {
        if let Some(i) = self.entries.iter().position(|e| e.node == node) {
            self.selected = i;
        }
    }

    /// Handles one key: while searching, text goes to the query; otherwise the key map
    /// decides.
    pub fn key(&mut self, key: KeyEvent) {
        if self.searching {
            match key.code {
                KeyCode::Esc => {
                    self.query.clear();
                    self.searching = false;
                    self.filter();
                }
                KeyCode::Enter => self.searching = false,
                KeyCode::Backspace => {
                    self.query.pop();
                    self.filter();
                }
                KeyCode::Char(c)
                    if !key
                        .modifiers
                        .contains(ratatui::crossterm::event::KeyModifiers::CONTROL) =>
                {
                    self.query.push(c);
                    self.filter();
                }
                KeyCode::Up => self.update(Action::Up),
                KeyCode::Down => self.update(Action::Down),
                _ => {
                    if let Some(Action::Quit) = action_for(key) {
                        self.update(Action::Quit);
                    }
                }
            }
            return;
        }
        if self.help {
            // Any key closes the help.
            self.help = false;
            return;
        }
        if key.code == KeyCode::Esc && !self.query.is_empty() {
            self.query.clear();
            self.filter();
            return;
        }
        if let Some(action) = action_for(key) {
            self.update(action);
        }
    }

    pub fn update(&mut self, action: Action) {
        self.status.clear();
        let on_steps = self.focus == Focus::Tab && self.tab == Tab::Plan;
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = true,
            Action::Search => {
                self.searching = true;
                self.focus = Focus::List;
            }
            Action::NextTab => self.tab = Tab::ALL[(self.tab.index() + 1) % Tab::ALL.len()],
            Action::PrevTab => {
                self.tab = Tab::ALL[(self.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()];
            }
            Action::SwitchPane => {
                self.focus = match self.focus {
                    Focus::List => Focus::Tab,
                    Focus::Tab => Focus::List,
                };
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => {
                let (cursor, len) = if on_steps {
                    (&mut self.step, self.plan.steps.len())
                } else {
                    (&mut self.selected, self.entries.len())
                };
                *cursor = moved(*cursor, len, action);
            }
            Action::ToggleStep => {
                if self.tab != Tab::Plan || self.done.is_empty() {
                    self.status = "space toggles a step in the Plan tab".into();
                    return;
                }
                let i = self.step.min(self.done.len() - 1);
                self.done[i] = !self.done[i];
                self.recompute_residual();
            }
            Action::MarkCompromised => self.toggle_compromised(),
        }
    }

    /// Marks or unmarks the selection as compromised and recomputes everything.
    fn toggle_compromised(&mut self) {
        let Some(node) = self.selection() else {
            return;
        };
        let key = crate::report::clean(&self.graph.node(node).key).into_owned();
        if let Some(i) = self.compromised.iter().position(|&c| c == node) {
            if self.compromised.len() == 1 {
                self.status = "the compromised set cannot be empty: mark another node first".into();
                return;
            }
            self.compromised.remove(i);
            self.status = format!("{key} is no longer marked compromised");
        } else {
            self.compromised.push(node);
            self.status = format!("{key} marked compromised");
        }
        self.blast = BlastRadius::compute(self.graph, &self.compromised, self.at);
        self.plan = Plan::compute(self.graph, &self.compromised, &PlanOptions::new(self.at));
        self.done = vec![false; self.plan.steps.len()];
        self.step = 0;
        self.residual = self.plan.before;
    }

    /// The blast radius left once the steps marked done are carried out.
    fn recompute_residual(&mut self) {
        let steps: Vec<(String, Option<NodeId>)> = self
            .plan
            .steps
            .iter()
            .zip(&self.done)
            .filter(|(_, done)| **done)
            .map(|(s, _)| {
                let target = match &s.target {
                    plan::Target::Node(n) => Some(*n),
                    _ => None,
                };
                (s.id.clone(), target)
            })
            .collect();
        let (footholds, removed): (Vec<NodeId>, Removed) =
            match plan::apply(self.graph, &self.compromised, self.at, &steps) {
                Ok(r) => r,
                Err(e) => {
                    self.status = e;
                    return;
                }
            };
        let residual =
            BlastRadius::compute_without(self.graph, &footholds, self.at, Some(&removed));
        self.residual = Figures {
            reached: residual.summary.reached,
            crown_jewels: residual.summary.crown_jewels,
            criticality: residual.summary.criticality,
        };
    }

    /// Rebuilds the list: every node by key, or the fuzzy matches of the query ranked by
    /// score, then key.
    fn filter(&mut self) {
        let keep = self.selection();
        if self.query.is_empty() {
            self.entries = self
                .graph
                .nodes_by_key()
                .map(|node| Entry {
                    node,
                    matched: Vec::new(),
                })
                .collect();
        } else {
            let matcher = SkimMatcherV2::default();
            let mut scored: Vec<(i64, u32, Entry)> = self
                .graph
                .nodes_by_key()
                .filter_map(|node| {
                    let key = &self.graph.node(node).key;
                    let (score, matched) = matcher.fuzzy_indices(key, &self.query)?;
                    Some((score, self.graph.key_rank(node), Entry { node, matched }))
                })
                .collect();
            scored.sort_by_key(|(score, rank, _)| (std::cmp::Reverse(*score), *rank));
            self.entries = scored.into_iter().map(|(_, _, e)| e).collect();
        }
        self.selected = 0;
        if let Some(node) = keep.filter(|_| self.query.is_empty()) {
            self.select_node(node);
        }
    }
}

fn moved(cursor: usize, len: usize, action: Action) -> usize {
    let last = len.saturating_sub(1);
    match action {
        Action::Up => cursor.saturating_sub(1),
        Action::Down => (cursor + 1).min(last),
        Action::PageUp => cursor.saturating_sub(PAGE),
        Action::PageDown => (cursor + PAGE).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => cursor,
    }
}
