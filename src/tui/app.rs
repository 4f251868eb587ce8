//! The one TUI state, and `update`: key → [`Action`] → state change. Rendering is in
//! `view/` and reads this state only; slow analyses go out as [`Job`]s and come back
//! through [`App::finish`]. What the responder changes (the compromised set, steps done,
//! notes) is kept, saved and undone in `work.rs`.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use jiff::Timestamp;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::audit::AuditTab;
use super::incident::Note;
use super::jobs::{Done, Job};
use super::keys::{Action, KeyMap};
use super::view;
use crate::analysis::plan::{Figures, Plan};
use crate::analysis::{BlastRadius, Exposure};
use crate::model::{NodeId, NodeKind, TrustGraph};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Details,
    Blast,
    Jewels,
    Plan,
    Paths,
    Notes,
    Audit,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Details,
        Tab::Blast,
        Tab::Jewels,
        Tab::Plan,
        Tab::Paths,
        Tab::Notes,
        Tab::Audit,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Details => "Details",
            Tab::Blast => "Blast",
            Tab::Jewels => "Jewels",
            Tab::Plan => "Plan",
            Tab::Paths => "Paths",
            Tab::Audit => "Audit",
            Tab::Notes => "Notes",
        }
    }

    pub fn index(self) -> usize {
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
            Prompt::Save => "name this incident",
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
    /// No compromised set yet: search every node and choose what is compromised.
    Picker,
}

/// What the steps marked done and the compromised set were before a change (`u`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Snapshot {
    pub compromised: Vec<NodeId>,
    pub done: BTreeSet<String>,
}

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
    /// Crown jewels and admin identities reached: jewels by criticality, then admins.
    pub jewels: Vec<NodeId>,
    /// Per reached crown jewel: the rank of the plan step after which it is out of reach.
    pub cut_by: HashMap<NodeId, usize>,
    /// Per plan step: marked done, from [`App::done_ids`] for the plan on screen.
    pub done: Vec<bool>,
    /// Ids of the steps marked done: what survives a recompute, an undo or a reload.
    pub done_ids: BTreeSet<String>,
    /// Figures once the steps marked done are carried out (`None` while computing).
    pub residual: Option<Figures>,
    /// What stays reachable once the steps marked done are carried out (from the
    /// plan's footholds); `None` when no step is marked or while computing.
    pub residual_blast: Option<BlastRadius>,
    /// What the selection reaches, and who can reach it, for the Paths tab.
    pub paths_from: Option<(NodeId, BlastRadius, Box<Exposure>)>,
    /// The identity list: nodes passing the filters and the query, in display order.
    pub entries: Vec<NodeId>,
    pub selected: usize,
    pub step: usize,
    /// The Plan tab shows the selected step whole.
    pub step_open: bool,
    /// Details: the edge under the cursor (outgoing first, then incoming).
    pub edge: usize,
    /// Where Esc goes back to: the tab and node left by following an edge in Details,
    /// a jewel to its paths or a finding to its node (no node when none was selected).
    /// Moving the selection in the list forgets it.
    pub trail: Vec<(Tab, Option<NodeId>)>,
    /// The node the panes were last set up for (a new one starts them at their top).
    shown: Option<NodeId>,
    /// Jewels: the row under the cursor.
    pub jewel: usize,
    /// The Audit tab: findings, filters, cursor.
    pub audit: AuditTab,
    /// First line shown, per tab, for the panes that scroll by line.
    pub scroll: [usize; Tab::ALL.len()],
    pub tab: Tab,
    pub focus: Focus,
    pub mode: Mode,
    pub query: String,
    /// Text typed at a prompt.
    pub input: String,
    /// Help: its filter and first line shown.
    pub help_query: String,
    pub help_scroll: usize,
    /// Picker: the nodes chosen so far.
    pub picked: Vec<NodeId>,
    pub platform: Option<String>,
    pub kind: Option<NodeKind>,
    pub quit: bool,
    /// One line of feedback in the status bar.
    pub status: String,
    /// Colours on (off when `NO_COLOR` is set).
    pub color: bool,
    /// The terminal's size at the last draw: scrolling and the mouse need it.
    pub area: Rect,
    /// Where incidents and exports go (`None`: no data directory, nothing is saved).
    pub data_dir: Option<PathBuf>,
    pub incident: Option<String>,
    /// The responder named the incident (or opened one by its name): saves keep that
    /// name. Otherwise each save goes under the name derived from the current set.
    pub named: bool,
    pub notes: Vec<Note>,
    /// Text for the terminal's clipboard (OSC 52), taken by the runner.
    pub clipboard: Option<String>,
    pub(super) undo: Vec<Snapshot>,
    /// Work for the runner: taken by [`App::take_jobs`].
    jobs: Vec<Job>,
    /// Jobs handed out and not finished yet (the spinner turns while > 0).
    pub busy: usize,
    /// Frames drawn while busy, for the spinner.
    pub tick: usize,
    generation: u64,
    residual_generation: u64,
    /// The nodes that pass the platform and kind filters, in key order, and the filters
    /// they were made for.
    listing: Vec<NodeId>,
    listed_filters: Option<(Option<String>, Option<NodeKind>)>,
    /// The query `entries` were matched against (a longer query narrows them).
    matched_query: String,
    search_generation: u64,
}

impl<'g> App<'g> {
    /// A new app; the first analysis is queued as a job (see [`App::run_jobs`]). With no
    /// compromised node it opens on the picker.
    pub fn new(graph: &'g TrustGraph, compromised: Vec<NodeId>, at: Timestamp) -> App<'g> {
        let mut app = App {
            graph,
            at,
            keys: KeyMap::default(),
            compromised,
            blast: None,
            tree: Vec::new(),
            plan: None,
            jewels: Vec::new(),
            cut_by: HashMap::new(),
            done: Vec::new(),
            done_ids: BTreeSet::new(),
            residual: None,
            residual_blast: None,
            paths_from: None,
            entries: Vec::new(),
            selected: 0,
            step: 0,
            step_open: false,
            edge: 0,
            trail: Vec::new(),
            shown: None,
            jewel: 0,
            audit: AuditTab::default(),
            scroll: [0; Tab::ALL.len()],
            tab: Tab::Plan,
            focus: Focus::List,
            mode: Mode::Normal,
            query: String::new(),
            input: String::new(),
            help_query: String::new(),
            help_scroll: 0,
            picked: Vec::new(),
            platform: None,
            kind: None,
            quit: false,
            status: String::new(),
            color: true,
            area: Rect::new(0, 0, 120, 32),
            data_dir: None,
            incident: None,
            named: false,
            notes: Vec::new(),
            clipboard: None,
            undo: Vec::new(),
            jobs: Vec::new(),
            busy: 0,
            tick: 0,
            generation: 0,
            residual_generation: 0,
            listing: Vec::new(),
            listed_filters: None,
            matched_query: String::new(),
            search_generation: 0,
        };
        app.filter();
        if app.compromised.is_empty() {
            app.mode = Mode::Picker;
            return app;
        }
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
                self.residual = Some(plan.before);
                self.residual_blast = None;
                self.step = self.step.min(plan.steps.len().saturating_sub(1));
                self.jewels = jewels(self.graph, &blast);
                self.jewel = self.jewel.min(self.jewels.len().saturating_sub(1));
                // A crown jewel is cut by the step after which no path reaches it; an
                // admin the plan does not protect, by a step that removes it.
                self.cut_by = plan
                    .steps
                    .iter()
                    .flat_map(|s| s.protects.iter().map(move |&n| (n, s.rank)))
                    .collect();
                let listed: std::collections::HashSet<NodeId> =
                    self.jewels.iter().copied().collect();
                for s in &plan.steps {
                    if let crate::analysis::plan::Target::Node(n) = s.target
                        && listed.contains(&n)
                    {
                        self.cut_by.entry(n).or_insert(s.rank);
                    }
                }
                self.blast = Some(blast);
                self.plan = Some(*plan);
                self.apply_marks();
            }
            Done::Residual {
                generation,
                figures,
                blast,
            } if generation == self.residual_generation => {
                self.residual = Some(figures);
                self.residual_blast = Some(blast);
            }
            Done::PathsFrom {
                node,
                blast,
                exposure,
            } => self.paths_from = Some((node, blast, exposure)),
            Done::Audited(audit) => self.audit.set(audit),
            Done::Search {
                generation,
                query,
                entries,
            } if generation == self.search_generation => {
                self.entries = entries;
                self.matched_query = query;
                self.selected = 0;
                self.trail.clear();
            }
            _ => {}
        }
        self.sync_selection();
    }

    /// After anything that may move the selection: a new node starts Details, Blast and
    /// Paths at their top, and Paths asks for what it reaches.
    pub(super) fn sync_selection(&mut self) {
        if self.selection() != self.shown {
            self.shown = self.selection();
            self.edge = 0;
            self.scroll[Tab::Details.index()] = 0;
            self.scroll[Tab::Blast.index()] = 0;
            self.scroll[Tab::Paths.index()] = 0;
        }
        self.want_paths();
    }

    /// The node under the cursor of the list.
    pub fn selection(&self) -> Option<NodeId> {
        self.entries.get(self.selected).copied()
    }

    /// Selects a row of the list (a mouse click).
    pub fn select(&mut self, index: usize) {
        self.selected = index.min(self.entries.len().saturating_sub(1));
        self.trail.clear();
        self.sync_selection();
    }

    pub(super) fn select_node(&mut self, node: NodeId) {
        if let Some(i) = self.entries.iter().position(|&e| e == node) {
            self.selected = i;
        }
    }

    /// The terminal was resized (the runner calls this before each draw).
    pub fn resize(&mut self, area: Rect) {
        self.area = area;
    }

    /// Whether the terminal is below the size the layout needs.
    pub fn too_small(&self) -> bool {
        self.area.width < view::MIN_WIDTH || self.area.height < view::MIN_HEIGHT
    }

    pub(super) fn analyze(&mut self) {
        // A newer request replaces one not handed out yet (an incident opened at start).
        self.jobs.retain(|j| !matches!(j, Job::Analyze { .. }));
        self.generation += 1;
        self.residual_generation += 1;
        self.residual = None;
        self.residual_blast = None;
        self.paths_from = None;
        self.jobs.push(Job::Analyze {
            generation: self.generation,
            compromised: self.compromised.clone(),
        });
    }

    /// Marks the plan's steps from [`App::done_ids`], and asks for what remains.
    pub(super) fn apply_marks(&mut self) {
        let Some(plan) = &self.plan else {
            return;
        };
        self.done = plan
            .steps
            .iter()
            .map(|s| self.done_ids.contains(&s.id))
            .collect();
        if self.done.iter().any(|&d| d) {
            self.request_residual();
        } else {
            self.residual_generation += 1;
            self.residual = Some(plan.before);
            self.residual_blast = None;
        }
    }

    fn request_residual(&mut self) {
        let Some(plan) = &self.plan else {
            return;
        };
        // The cuts are gathered here, where the plan is; the search runs on the worker.
        let cuts = plan.cuts(&self.done);
        self.residual_generation += 1;
        self.residual = None;
        self.residual_blast = None;
        self.jobs.push(Job::Residual {
            generation: self.residual_generation,
            cuts,
        });
    }

    /// Handles one key: typed text goes to the search, the picker, the help filter or
    /// the prompt; otherwise the key map decides. While the terminal is too small only
    /// quitting acts.
    pub fn key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let action = self.keys.action(key);
        if self.too_small() {
            if action == Some(Action::Quit) {
                self.quit = true;
            }
            return;
        }
        let quits = ctrl && action == Some(Action::Quit);
        match self.mode {
            Mode::Help if !quits => self.help_key(key),
            Mode::Picker if !quits => self.picker_key(key),
            Mode::Search | Mode::Prompt(_) if !quits => self.typed(key),
            _ => {
                self.command_key(key, action);
                return;
            }
        }
        self.sync_selection();
    }

    /// A key outside typed text: the key map decides.
    fn command_key(&mut self, key: KeyEvent, action: Option<Action>) {
        // Esc in the list clears a kept search first; in a tab it goes back.
        if key.code == KeyCode::Esc && self.focus == Focus::List && !self.query.is_empty() {
            self.query.clear();
            self.filter();
        } else if let Some(action) = action {
            self.update(action);
        }
        self.sync_selection();
    }

    pub fn update(&mut self, action: Action) {
        self.status.clear();
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.mode = Mode::Help,
            Action::Search => {
                self.mode = Mode::Search;
                self.focus = Focus::List;
            }
            Action::NextTab => self.set_tab(Tab::ALL[(self.tab.index() + 1) % Tab::ALL.len()]),
            Action::PrevTab => {
                self.set_tab(Tab::ALL[(self.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]);
            }
            Action::SwitchPane => self.enter(),
            Action::Back => self.back(),
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => match self.focus {
                Focus::List => self.move_list(action),
                Focus::Tab => self.move_in_tab(action),
            },
            Action::ToggleStep => self.toggle_step(),
            Action::MarkCompromised => self.toggle_compromised(),
            Action::Undo => self.undo(),
            Action::CopyStep => self.copy_step(),
            Action::CopyPlan => self.copy_plan(),
            Action::FilterPlatform => self.next_platform(),
            Action::FilterKind => self.next_kind(),
            Action::FilterCategory | Action::FilterSeverity if self.tab != Tab::Audit => {
                self.status = "filters the findings of the Audit tab".into();
            }
            Action::FilterCategory => self.audit.next_category(),
            Action::FilterSeverity => self.audit.next_severity(),
            Action::Export => self.export(),
            Action::Save => self.prompt(Prompt::Save),
            Action::Open => self.prompt(Prompt::Open),
            Action::Note => self.prompt(Prompt::Note),
        }
        self.sync_selection();
    }

    /// Shows a tab (a key or a click on its title).
    pub fn set_tab(&mut self, tab: Tab) {
        self.tab = tab;
        self.want_paths();
        if tab == Tab::Audit && !self.audit.requested {
            self.audit.requested = true;
            self.jobs.push(Job::Audit);
        }
    }

    pub(super) fn move_list(&mut self, action: Action) {
        let before = self.selected;
        self.selected = moved(self.selected, self.entries.len(), action, PAGE);
        if self.selected != before {
            self.trail.clear();
        }
        self.sync_selection();
    }

    /// Movement keys with the focus on the tab: the steps, the jewels, the edges of
    /// Details, or the lines of the other panes.
    fn move_in_tab(&mut self, action: Action) {
        let page = view::body_height(self).max(2) - 1;
        match self.tab {
            Tab::Plan if !self.step_open => {
                let steps = self.plan.as_ref().map_or(0, |p| p.steps.len());
                self.step = moved(self.step, steps, action, page);
            }
            Tab::Jewels => self.jewel = moved(self.jewel, self.jewels.len(), action, page),
            Tab::Audit => {
                let rows = self.audit.shown.len();
                self.audit.cursor = moved(self.audit.cursor, rows, action, page);
            }
            Tab::Details => {
                let edges = self.selection().map_or(0, |n| {
                    self.graph.outgoing(n).count() + self.graph.incoming(n).count()
                });
                self.edge = moved(self.edge, edges, action, page);
            }
            tab => {
                let max = view::max_scroll(self);
                let i = tab.index();
                self.scroll[i] = moved(self.scroll[i], max + 1, action, page);
            }
        }
    }

    /// Enter: from the list into the tab; in the Plan tab, the step whole; in Details,
    /// the other end of the edge under the cursor; in Jewels, the jewel's paths; in
    /// Audit, the finding's node in Details.
    fn enter(&mut self) {
        if self.focus == Focus::List {
            self.focus = Focus::Tab;
            return;
        }
        match self.tab {
            Tab::Plan if self.plan.as_ref().is_some_and(|p| !p.steps.is_empty()) => {
                self.step_open = true;
                self.scroll[Tab::Plan.index()] = 0;
            }
            Tab::Details => self.follow_edge(),
            // A jewel's whole path, and what remains of it, scroll in Paths.
            Tab::Jewels => {
                if let Some(&jewel) = self.jewels.get(self.jewel) {
                    self.trail.push((Tab::Jewels, self.selection()));
                    self.show_node(jewel);
                    self.set_tab(Tab::Paths);
                }
            }
            Tab::Audit => {
                if let Some(found) = self.audit.node() {
                    self.trail.push((Tab::Audit, self.selection()));
                    self.show_node(found);
                    self.set_tab(Tab::Details);
                    self.status = "the finding's node (Esc goes back to the findings)".into();
                }
            }
            _ => {}
        }
    }

    fn follow_edge(&mut self) {
        let Some(node) = self.selection() else {
            return;
        };
        let g = self.graph;
        let Some(other) = g
            .outgoing(node)
            .chain(g.incoming(node))
            .nth(self.edge)
            .map(|(_, other)| other)
        else {
            return;
        };
        self.trail.push((Tab::Details, Some(node)));
        self.show_node(other);
        self.status = format!(
            "followed to {} (Esc goes back)",
            crate::report::clean(g.key(other))
        );
    }

    /// Selects `node` in the list, clearing the filters that hide it.
    fn show_node(&mut self, node: NodeId) {
        if !self.entries.contains(&node) {
            self.query.clear();
            self.platform = None;
            self.kind = None;
            self.filter();
        }
        self.select_node(node);
        self.sync_selection();
    }

    fn back(&mut self) {
        if self.tab == Tab::Plan && self.step_open {
            self.step_open = false;
        } else if self.focus == Focus::Tab
            && let Some((tab, node)) = self.trail.pop()
        {
            if let Some(node) = node {
                self.show_node(node);
            }
            self.set_tab(tab);
        } else {
            self.focus = Focus::List;
        }
    }

    /// The Paths tab shows what the selection reaches: ask for it when it changes.
    fn want_paths(&mut self) {
        let Some(node) = self.selection() else {
            return;
        };
        if self.mode == Mode::Picker {
            return;
        }
        let cached = self.paths_from.as_ref().is_some_and(|(n, ..)| *n == node);
        let asked = self.jobs.contains(&Job::PathsFrom { node });
        if self.tab == Tab::Paths && !cached && !asked {
            self.jobs.push(Job::PathsFrom { node });
        }
    }

    fn next_platform(&mut self) {
        let mut platforms: Vec<&str> = self
            .graph
            .node_ids()
            .map(|n| self.graph.node(n).platform)
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

    /// Rebuilds the list: the nodes that pass the platform and kind filters, by key, or
    /// the fuzzy matches of the query, ranked. Matching runs as a job: typing never waits
    /// for it, and a query that extends the previous one only narrows its matches.
    pub(super) fn filter(&mut self) {
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

impl App<'_> {
    /// The query the list's entries were matched against.
    pub(super) fn matched_query(&self) -> &str {
        &self.matched_query
    }

    /// Matches the query on this thread (when the worker's answer cannot be waited for).
    pub(super) fn search_now(&mut self) {
        self.search_generation += 1;
        self.entries = super::jobs::search(self.graph, self.listing.clone(), &self.query);
        self.matched_query = self.query.clone();
        self.selected = 0;
    }
}

/// Lines a page key moves in the list.
pub(super) const PAGE: usize = 10;

/// Crown jewels reached (most critical first, then nearest), then admin identities that
/// are not crown jewels; ties by key.
fn jewels(graph: &TrustGraph, blast: &BlastRadius) -> Vec<NodeId> {
    let mut out: Vec<(bool, std::cmp::Reverse<u8>, u32, u32, NodeId)> = blast
        .reached
        .iter()
        .filter_map(|r| {
            let facts = graph.facts(r.node);
            (facts.is_crown_jewel() || facts.admin).then(|| {
                (
                    !facts.is_crown_jewel(),
                    std::cmp::Reverse(facts.criticality),
                    r.depth,
                    graph.key_rank(r.node),
                    r.node,
                )
            })
        })
        .collect();
    out.sort_unstable();
    out.into_iter().map(|t| t.4).collect()
}

/// The next value after `current` in `all`, then `None` (no filter) after the last.
fn cycle<T: Copy + PartialEq>(all: &[T], current: Option<T>) -> Option<T> {
    match current.and_then(|c| all.iter().position(|&x| x == c)) {
        None => all.first().copied(),
        Some(i) => all.get(i + 1).copied(),
    }
}

/// A cursor over `len` items moved by `action`; a page is `page` items.
pub(super) fn moved(cursor: usize, len: usize, action: Action, page: usize) -> usize {
    let last = len.saturating_sub(1);
    match action {
        Action::Up => cursor.saturating_sub(1),
        Action::Down => (cursor + 1).min(last),
        Action::PageUp => cursor.saturating_sub(page),
        Action::PageDown => (cursor + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => cursor,
    }
    .min(last)
}
