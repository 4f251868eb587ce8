//! The one TUI state, and `update`: key → [`Action`] → state change. Rendering is in
//! `view.rs` and reads this state only; slow analyses go out as [`Job`]s and come back
//! through [`App::finish`].

use std::path::PathBuf;

use jiff::Timestamp;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::incident::{self, Incident};
use super::jobs::{Done, Job};
use super::keys::{Action, KeyMap};
use crate::analysis::BlastRadius;
use crate::analysis::plan::{Figures, Plan};
use crate::model::{NodeId, NodeKind, TrustGraph};
use crate::report::clean;

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

/// What a line of typed text is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Save,
    Open,
    Note,
}

impl Prompt {
    pub fn label(self) -> &'static str {
        match self {
            Prompt::Save => "save incident as",
            Prompt::Open => "open incident",
            Prompt::Note => "note",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Search,
    Prompt(Prompt),
    Help,
}

/// Lines a page key moves.
const PAGE: usize = 10;

pub struct App<'g> {
    pub graph: &'g TrustGraph,
    pub at: Timestamp,
    pub keys: KeyMap,
    pub compromised: Vec<NodeId>,
    /// `None` while the first analysis runs.
    pub blast: Option<BlastRadius>,
    /// The blast radius as a tree, depth-first: (depth, node).
    pub tree: Vec<(u32, NodeId)>,
    pub plan: Option<Plan<'g>>,
    /// Per plan step: marked done (simulated).
    pub done: Vec<bool>,
    /// Figures once the steps marked done are carried out (`None` while computing).
    pub residual: Option<Figures>,
    /// What the selection reaches, for the Paths tab.
    pub paths_from: Option<(NodeId, BlastRadius)>,
    /// The identity list: nodes passing the filters and the query, in display order.
    pub entries: Vec<NodeId>,
    pub selected: usize,
    pub step: usize,
    pub tab: Tab,
    pub focus: Focus,
    pub mode: Mode,
    pub query: String,
    /// Text typed at a prompt.
    pub input: String,
    pub platform: Option<String>,
    pub kind: Option<NodeKind>,
    pub quit: bool,
    /// One line of feedback in the status bar.
    pub status: String,
    /// Colours on (off when `NO_COLOR` is set).
    pub color: bool,
    /// Where incidents and exports go (`None`: no data directory, saving is refused).
    pub data_dir: Option<PathBuf>,
    pub incident: Option<String>,
    pub notes: Vec<String>,
    /// Work for the runner: taken by [`App::take_jobs`].
    jobs: Vec<Job>,
    /// Jobs handed out and not finished yet (the spinner turns while > 0).
    pub busy: usize,
    /// Frames drawn while busy, for the spinner.
    pub tick: usize,
    generation: u64,
    residual_generation: u64,
    /// Step ids to mark done when the next plan arrives (an opened incident).
    pending_done: Vec<String>,
    /// The nodes that pass the platform and kind filters, in key order, and the filters
    /// they were made for.
    listing: Vec<NodeId>,
    listed_filters: Option<(Option<String>, Option<NodeKind>)>,
    /// The query `entries` were matched against (a longer query narrows them).
    matched_query: String,
    search_generation: u64,
}

impl<'g> App<'g> {
    /// A new app; the first analysis is queued as a job (see [`App::run_jobs`]).
    pub fn new(graph: &'g TrustGraph, compromised: Vec<NodeId>, at: Timestamp) -> App<'g> {
        let mut app = App {
            graph,
            at,
            keys: KeyMap::default(),
            compromised,
            blast: None,
            tree: Vec::new(),
            plan: None,
            done: Vec::new(),
            residual: None,
            paths_from: None,
            entries: Vec::new(),
            selected: 0,
            step: 0,
            tab: Tab::Plan,
            focus: Focus::List,
            mode: Mode::Normal,
            query: String::new(),
            input: String::new(),
            platform: None,
            kind: None,
            quit: false,
            status: String::new(),
            color: true,
            data_dir: None,
            incident: None,
            notes: Vec::new(),
            jobs: Vec::new(),
            busy: 0,
            tick: 0,
            generation: 0,
            residual_generation: 0,
            pending_done: Vec::new(),
            listing: Vec::new(),
            listed_filters: None,
            matched_query: String::new(),
            search_generation: 0,
        };
        app.filter();
        // Start on the (first) compromised node, so the first screen shows the point.
        if let Some(&c) = app.compromised.first() {
            app.select_node(c);
        }
        app.analyze();
        app
    }

    /// Jobs to run; the runner hands each back through [`App::finish`].
    pub fn take_jobs(&mut self) -> Vec<Job> {
        let jobs = std::mem::take(&mut self.jobs);
        self.busy += jobs.len();
        jobs
    }

    /// Runs every queued job on this thread (tests, and graphs small enough not to need
    /// the worker).
    pub fn run_jobs(&mut self) {
        loop {
            let jobs = self.take_jobs();
            if jobs.is_empty() {
                break;
            }
            for job in jobs {
                let done = job.run(self.graph, self.at);
                self.finish(done);
            }
        }
    }

    /// Takes a finished job's result, unless a newer request made it stale.
    pub fn finish(&mut self, done: Done<'g>) {
        self.busy = self.busy.saturating_sub(1);
        match done {
            Done::Analyzed {
                generation,
                blast,
                tree,
                plan,
            } if generation == self.generation => {
                self.tree = tree;
                self.done = plan
                    .steps
                    .iter()
                    .map(|s| self.pending_done.contains(&s.id))
                    .collect();
                self.pending_done.clear();
                self.residual = Some(plan.before);
                self.step = self.step.min(plan.steps.len().saturating_sub(1));
                self.blast = Some(blast);
                self.plan = Some(*plan);
                if self.done.iter().any(|&d| d) {
                    self.request_residual();
                }
            }
            Done::Residual {
                generation,
                figures,
            } if generation == self.residual_generation => self.residual = Some(figures),
            Done::PathsFrom { node, blast } => self.paths_from = Some((node, blast)),
            Done::Search {
                generation,
                query,
                entries,
            } if generation == self.search_generation => {
                self.entries = entries;
                self.matched_query = query;
                self.selected = 0;
            }
            _ => {}
        }
    }

    /// The node under the cursor of the list.
    pub fn selection(&self) -> Option<NodeId> {
        self.entries.get(self.selected).copied()
    }

    /// Selects a row of the list (a mouse click).
    pub fn select(&mut self, index: usize) {
        self.selected = index.min(self.entries.len().saturating_sub(1));
        self.want_paths();
    }

    fn select_node(&mut self, node: NodeId) {
        if let Some(i) = self.entries.iter().position(|&e| e == node) {
            self.selected = i;
        }
    }

    fn analyze(&mut self) {
        self.generation += 1;
        self.residual_generation += 1;
        self.residual = None;
        self.paths_from = None;
        self.jobs.push(Job::Analyze {
            generation: self.generation,
            compromised: self.compromised.clone(),
        });
    }

    fn request_residual(&mut self) {
        let Some(plan) = &self.plan else {
            return;
        };
        // The cuts are gathered here, where the plan is; the search runs on the worker.
        let cuts = plan.cuts(&self.done);
        self.residual_generation += 1;
        self.residual = None;
        self.jobs.push(Job::Residual {
            generation: self.residual_generation,
            cuts,
        });
    }

    /// Handles one key: typed text goes to the search or the prompt; otherwise the key
    /// map decides.
    pub fn key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match self.mode {
            Mode::Help => {
                // Any key closes the help.
                self.mode = Mode::Normal;
                return;
            }
            Mode::Search | Mode::Prompt(_)
                if !ctrl || self.keys.action(key) != Some(Action::Quit) =>
            {
                self.typed(key);
                return;
            }
            _ => {}
        }
        if key.code == KeyCode::Esc && !self.query.is_empty() {
            self.query.clear();
            self.filter();
            return;
        }
        if let Some(action) = self.keys.action(key) {
            self.update(action);
        }
    }

    fn typed(&mut self, key: KeyEvent) {
        let text = match self.mode {
            Mode::Search => &mut self.query,
            _ => &mut self.input,
        };
        match key.code {
            KeyCode::Esc => {
                text.clear();
                if self.mode == Mode::Search {
                    self.filter();
                }
                self.mode = Mode::Normal;
            }
            KeyCode::Enter => {
                if let Mode::Prompt(p) = self.mode {
                    let input = std::mem::take(&mut self.input);
                    self.mode = Mode::Normal;
                    self.submit(p, input.trim());
                } else {
                    self.mode = Mode::Normal;
                }
            }
            KeyCode::Backspace => {
                text.pop();
                if self.mode == Mode::Search {
                    self.filter();
                }
            }
            // Control chords are not text (Ctrl-c quits before reaching here).
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                text.push(c);
                if self.mode == Mode::Search {
                    self.filter();
                }
            }
            KeyCode::Up => self.update(Action::Up),
            KeyCode::Down => self.update(Action::Down),
            _ => {}
        }
    }

    pub fn update(&mut self, action: Action) {
        self.status.clear();
        let on_steps = self.focus == Focus::Tab && self.tab == Tab::Plan;
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.mode = Mode::Help,
            Action::Search => {
                self.mode = Mode::Search;
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
                let steps = self.plan.as_ref().map_or(0, |p| p.steps.len());
                let (cursor, len) = if on_steps {
                    (&mut self.step, steps)
                } else {
                    (&mut self.selected, self.entries.len())
                };
                *cursor = moved(*cursor, len, action);
            }
            Action::ToggleStep => self.toggle_step(),
            Action::MarkCompromised => self.toggle_compromised(),
            Action::FilterPlatform => self.next_platform(),
            Action::FilterKind => self.next_kind(),
            Action::Export => self.export(),
            Action::Save => self.prompt(Prompt::Save),
            Action::Open => self.prompt(Prompt::Open),
            Action::Note => self.prompt(Prompt::Note),
        }
        self.want_paths();
    }

    fn prompt(&mut self, p: Prompt) {
        if p != Prompt::Note && self.data_dir.is_none() {
            self.status = "no data directory: incidents cannot be saved or opened".into();
            return;
        }
        self.input = match p {
            Prompt::Save => self.incident.clone().unwrap_or_default(),
            _ => String::new(),
        };
        if p == Prompt::Open
            && let Some(dir) = &self.data_dir
        {
            let names = incident::list(dir);
            self.status = if names.is_empty() {
                "no saved incidents yet".into()
            } else {
                format!("saved: {}", names.join(", "))
            };
        }
        self.mode = Mode::Prompt(p);
    }

    fn submit(&mut self, p: Prompt, input: &str) {
        match p {
            Prompt::Note if !input.is_empty() => {
                self.notes.push(input.to_string());
                self.status = format!("note {} added (saved with the incident)", self.notes.len());
            }
            Prompt::Note => {}
            Prompt::Save => self.save(input),
            Prompt::Open => self.open(input),
        }
    }

    /// Saves the incident (compromised set, steps done, notes) under `name`.
    pub fn save(&mut self, name: &str) {
        let Some(dir) = self.data_dir.clone() else {
            return;
        };
        if !incident::valid_name(name) {
            self.status = format!(
                "`{}` is not a name: use letters, digits, `.`, `_` and `-`",
                clean(name)
            );
            return;
        }
        let done = self
            .plan
            .iter()
            .flat_map(|p| p.steps.iter().zip(&self.done))
            .filter(|(_, d)| **d)
            .map(|(s, _)| s.id.clone())
            .collect();
        let saved = Incident {
            schema: incident::SCHEMA.into(),
            name: name.to_string(),
            compromised: self
                .compromised
                .iter()
                .map(|&c| self.graph.node(c).key.to_string())
                .collect(),
            done,
            notes: self.notes.clone(),
        };
        match incident::save(&dir, &saved) {
            Ok(path) => {
                self.incident = Some(name.to_string());
                self.status = format!("saved {}", path.display());
            }
            Err(e) => self.status = format!("cannot save: {e}"),
        }
    }

    /// Opens a saved incident: its compromised set, steps done and notes.
    pub fn open(&mut self, name: &str) {
        let Some(dir) = self.data_dir.clone() else {
            return;
        };
        if !incident::valid_name(name) {
            self.status = format!("`{}` is not an incident name", clean(name));
            return;
        }
        let saved = match incident::load(&dir, name) {
            Ok(i) => i,
            Err(e) => {
                self.status = e;
                return;
            }
        };
        let mut compromised = Vec::new();
        for key in &saved.compromised {
            match self.graph.find(key) {
                Some(n) => compromised.push(n),
                None => {
                    self.status = format!(
                        "incident {name} names {}, which these inputs do not hold",
                        clean(key)
                    );
                    return;
                }
            }
        }
        if compromised.is_empty() {
            self.status = format!("incident {name} has no compromised node");
            return;
        }
        self.compromised = compromised;
        self.pending_done = saved.done;
        self.notes = saved.notes;
        self.incident = Some(name.to_string());
        self.status = format!("opened incident {name}");
        self.analyze();
    }

    fn toggle_step(&mut self) {
        if self.tab != Tab::Plan || self.done.is_empty() {
            self.status = "space marks a step done in the Plan tab".into();
            return;
        }
        let i = self.step.min(self.done.len() - 1);
        self.done[i] = !self.done[i];
        self.request_residual();
    }

    /// Marks or unmarks the selection as compromised and recomputes everything.
    fn toggle_compromised(&mut self) {
        let Some(node) = self.selection() else {
            return;
        };
        let key = clean(&self.graph.node(node).key).into_owned();
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
        self.step = 0;
        self.analyze();
    }

    /// The Paths tab shows what the selection reaches: ask for it when it changes.
    fn want_paths(&mut self) {
        let Some(node) = self.selection() else {
            return;
        };
        let cached = self.paths_from.as_ref().is_some_and(|(n, _)| *n == node);
        let asked = self.jobs.contains(&Job::PathsFrom { node });
        if self.tab == Tab::Paths && !cached && !asked {
            self.jobs.push(Job::PathsFrom { node });
        }
    }

    fn next_platform(&mut self) {
        let mut platforms: Vec<&str> = self
            .graph
            .node_ids()
            .map(|n| &*self.graph.node(n).platform)
            .collect();
        platforms.sort_unstable();
        platforms.dedup();
        self.platform = cycle(&platforms, self.platform.as_deref()).map(str::to_string);
        self.filter();
    }

    fn next_kind(&mut self) {
        self.kind = cycle(&NodeKind::ALL, self.kind);
        self.filter();
    }

    /// Writes the current view as DOT: the blast radius with the plan's cuts marked.
    fn export(&mut self) {
        let (Some(dir), Some(blast), Some(plan)) = (&self.data_dir, &self.blast, &self.plan) else {
            self.status = "nothing to export yet (or no data directory)".into();
            return;
        };
        let stem = self.incident.clone().unwrap_or_else(|| "view".into());
        let exports = dir.join("exports");
        let path = (1..)
            .map(|i| exports.join(format!("{stem}-{i}.dot")))
            .find(|p| !p.exists())
            .unwrap_or_else(|| exports.join(format!("{stem}.dot")));
        let mut dot = Vec::new();
        let marks = crate::report::dot::Marks::of_plan(plan);
        let opts = crate::report::dot::DotOptions {
            blast: Some(blast),
            blast_only: true,
            marks: Some(&marks),
        };
        let written = crate::report::dot::write_dot(&mut dot, self.graph, &opts)
            .and_then(|()| incident::write_atomic(&path, &dot));
        self.status = match written {
            Ok(()) => format!(
                "wrote {} (render: dot -Tsvg FILE > view.svg)",
                path.display()
            ),
            Err(e) => format!("cannot write {}: {e}", path.display()),
        };
    }

    /// Rebuilds the list: the nodes that pass the platform and kind filters, by key, or
    /// the fuzzy matches of the query, ranked. Matching runs as a job: typing never waits
    /// for it, and a query that extends the previous one only narrows its matches.
    fn filter(&mut self) {
        let filters = (self.platform.clone(), self.kind);
        if self.listed_filters.as_ref() != Some(&filters) {
            let graph = self.graph;
            self.listing = graph
                .nodes_by_key()
                .filter(|&n| {
                    let node = graph.node(n);
                    self.platform
                        .as_deref()
                        .is_none_or(|p| *node.platform == *p)
                        && self.kind.is_none_or(|k| node.kind == k)
                })
                .collect();
            self.listed_filters = Some(filters);
            self.matched_query.clear();
        }
        self.search_generation += 1;
        if self.query.is_empty() {
            let keep = self.selection();
            self.entries = self.listing.clone();
            self.matched_query.clear();
            self.selected = 0;
            if let Some(node) = keep {
                self.select_node(node);
            }
            return;
        }
        let narrowing =
            !self.matched_query.is_empty() && self.query.starts_with(&self.matched_query);
        let base = if narrowing {
            self.entries.clone()
        } else {
            self.listing.clone()
        };
        self.jobs.push(Job::Search {
            generation: self.search_generation,
            query: self.query.clone(),
            base,
        });
    }
}

/// The next value after `current` in `all`, then `None` (no filter) after the last.
fn cycle<T: Copy + PartialEq>(all: &[T], current: Option<T>) -> Option<T> {
    match current.and_then(|c| all.iter().position(|&x| x == c)) {
        None => all.first().copied(),
        Some(i) => all.get(i + 1).copied(),
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
