//! Rendering: a pure function of [`App`]. Every name passes through [`clean`] first:
//! inputs are untrusted and this is a terminal. The frame, the header, the list, the
//! footer and the help are here; the tab panes are in `panes.rs`.

mod audit;
mod panes;
mod plan;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Tabs, Widget, Wrap};

use super::app::{App, Focus, Mode, Tab};
use super::keys::{Action, DEFAULTS};
use super::text::{self, middle, width};
use crate::model::{NodeId, NodeKind};
use crate::report::clean;

pub(super) use panes::{body_height, max_scroll};

/// Below this the layout cannot show a list and a tab side by side.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// Header lines at most: the figures, then the compromised set.
const HEADER_LINES: usize = 3;

/// Styles, all in one place; with colour off (`NO_COLOR`) only emphasis remains.
pub(super) struct Theme {
    color: bool,
}

impl Theme {
    fn pick(&self, colored: Style, plain: Style) -> Style {
        if self.color { colored } else { plain }
    }
    pub(super) fn title(&self) -> Style {
        self.pick(Style::new().cyan().bold(), Style::new().bold())
    }
    pub(super) fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    /// `line`, shown as the cursor's row when `on`.
    pub(super) fn cursor<'a>(&self, line: Line<'a>, on: bool) -> Line<'a> {
        if on {
            line.style(self.selected())
        } else {
            line
        }
    }
    pub(super) fn matched(&self) -> Style {
        self.pick(
            Style::new().yellow().bold(),
            Style::new().bold().underlined(),
        )
    }
    pub(super) fn alarm(&self) -> Style {
        self.pick(Style::new().red().bold(), Style::new().bold())
    }
    pub(super) fn good(&self) -> Style {
        self.pick(Style::new().green(), Style::new())
    }
    pub(super) fn dim(&self) -> Style {
        self.pick(Style::new().dark_gray(), Style::new())
    }
}

/// Where the main regions go; mouse clicks use it too, so it lives in one place.
pub struct Areas {
    pub title: Rect,
    pub list: Rect,
    pub tabs: Rect,
    pub status: Rect,
}

pub fn areas(app: &App<'_>, area: Rect) -> Areas {
    let header = header(app, &Theme { color: false }, area.width).len() as u16;
    let [title, main, status] = Layout::vertical([
        Constraint::Length(header),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    // Narrow terminals give the tab the room: ids are shortened in the middle anyway.
    let list = if area.width < 100 {
        Constraint::Length(30.min(area.width * 2 / 5))
    } else {
        Constraint::Percentage(38)
    };
    let [list, tabs] = Layout::horizontal([list, Constraint::Min(0)]).areas(main);
    Areas {
        title,
        list,
        tabs,
        status,
    }
}

/// The first row of the list a render of `app` into `list` shows (the list scrolls so
/// that the selection stays on screen).
pub fn list_offset(app: &App<'_>, list: Rect) -> usize {
    let rows = list.height.saturating_sub(2) as usize;
    app.selected.saturating_sub(rows.saturating_sub(1))
}

/// The tab titles and their padding for a row of `room` columns: whole and padded when
/// they fit, then unpadded, then shortened, so that every tab stays visible.
fn tab_titles(room: u16) -> ([&'static str; Tab::ALL.len()], u16) {
    const SHORT: [&str; Tab::ALL.len()] = ["Det", "Blast", "Jwl", "Plan", "Path", "Note", "Aud"];
    let full = Tab::ALL.map(Tab::title);
    // The last title's right padding may fall off the edge; one divider between titles.
    let need = |titles: &[&str; Tab::ALL.len()], pad: u16| {
        titles.iter().map(|t| t.len() as u16 + 2 * pad).sum::<u16>() + (Tab::ALL.len() as u16 - 1)
            - pad
    };
    if need(&full, 1) <= room {
        (full, 1)
    } else if need(&full, 0) <= room {
        (full, 0)
    } else {
        (SHORT, 0)
    }
}

/// The tab whose title is at `at`, for a click.
pub fn tab_at(app: &App<'_>, at: Position) -> Option<Tab> {
    let tabs = areas(app, app.area).tabs;
    if at.y != tabs.y + 1 {
        return None;
    }
    // Tabs draws each title with its padding on both sides and a one-column divider
    // between them, inside the pane's border; nothing past the border is a tab.
    let mut x = tabs.x + 1;
    let right = tabs.right().saturating_sub(1);
    let (titles, pad) = tab_titles(right.saturating_sub(x));
    for (tab, title) in Tab::ALL.into_iter().zip(titles) {
        let w = title.len() as u16 + 2 * pad;
        if (x..(x + w).min(right)).contains(&at.x) {
            return Some(tab);
        }
        x += w + 1;
    }
    None
}

impl Widget for &App<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            Paragraph::new(format!(
                "terminal too small: trustpath needs {MIN_WIDTH}×{MIN_HEIGHT}, this one is {}×{}. \
                 Enlarge it, or press q to quit.",
                area.width, area.height
            ))
            .wrap(Wrap { trim: true })
            .render(area, buf);
            return;
        }
        let theme = Theme { color: self.color };
        let a = areas(self, area);
        Paragraph::new(header(self, &theme, area.width)).render(a.title, buf);
        render_list(self, &theme, a.list, buf);
        render_tabs(self, &theme, a.tabs, buf);
        render_footer(self, &theme, a.status, buf);
        if self.mode == Mode::Help {
            render_help(self, &theme, area, buf);
        }
    }
}

pub(super) fn key(app: &App<'_>, node: NodeId) -> String {
    clean(app.graph.key(node)).into_owned()
}

/// A braille spinner frame while jobs run.
pub(super) fn spinner(app: &App<'_>) -> &'static str {
    const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    if app.busy > 0 {
        FRAMES[app.tick % FRAMES.len()]
    } else {
        ""
    }
}

/// The header: the figures first (they must never be cut), wrapped, then the
/// compromised set, each key shortened in the middle when the set is long.
fn header(app: &App<'_>, theme: &Theme, cols: u16) -> Vec<Line<'static>> {
    let cols = cols as usize;
    let brand = " trustpath ";
    let (text, style) = if app.mode == Mode::Picker {
        (
            "pick the compromised set: type part of a name, key, ARN or key id · Space chooses · Enter starts"
                .to_string(),
            Style::new(),
        )
    } else {
        match (&app.blast, &app.plan) {
            (Some(blast), Some(plan)) => {
                let s = &blast.summary;
                let now = app
                    .residual
                    .map_or_else(|| "…".to_string(), |r| r.crown_jewels.to_string());
                let done = app.done.iter().filter(|&&d| d).count();
                let alarm = if s.crown_jewels > 0 {
                    theme.alarm()
                } else {
                    Style::new()
                };
                (
                    format!(
                        "{} reached · {} crown jewels · plan: {} → {now} with {done} of {} steps done",
                        s.reached,
                        s.crown_jewels,
                        plan.before.crown_jewels,
                        plan.steps.len()
                    ),
                    alarm,
                )
            }
            _ => (
                format!("{} computing the blast radius and the plan…", spinner(app)),
                Style::new(),
            ),
        }
    };
    let mut lines = Vec::new();
    for (i, part) in text::wrap(&text, cols.saturating_sub(brand.len()), 0)
        .into_iter()
        .enumerate()
    {
        let lead = if i == 0 {
            Span::styled(brand, theme.title())
        } else {
            Span::raw(" ".repeat(brand.len()))
        };
        lines.push(Line::from(vec![lead, Span::styled(part, style)]));
    }
    if app.mode != Mode::Picker {
        let mut who = match &app.incident {
            Some(name) => format!(" incident {} · compromised: ", clean(name)),
            None => " compromised: ".to_string(),
        };
        // Each key gets an equal share of two lines, so none hides the others.
        let n = app.compromised.len().max(1);
        let share = ((cols * 2).saturating_sub(width(&who) + 4 + 3 * n) / n).max(12);
        let keys: Vec<String> = app
            .compromised
            .iter()
            .map(|&c| middle(&key(app, c), share).into_owned())
            .collect();
        who.push_str(&keys.join(", "));
        for part in text::wrap(&who, cols, 2) {
            lines.push(Line::styled(part, theme.dim()));
        }
    }
    lines.truncate(HEADER_LINES);
    lines
}

/// Badges of a node, five fixed columns: compromised (chosen, in the picker), crown
/// jewel, admin, long-lived credential, no owner.
pub(super) fn badges(app: &App<'_>, node: NodeId) -> String {
    let n = app.graph.node(node);
    let flag = |on: bool, c: char| if on { c } else { ' ' };
    let ownerless =
        n.owner.is_none() && !matches!(n.kind, NodeKind::Credential | NodeKind::Resource);
    let chosen = if app.mode == Mode::Picker {
        app.picked.contains(&node)
    } else {
        app.compromised.contains(&node)
    };
    [
        flag(chosen, 'C'),
        flag(n.is_crown_jewel(), 'J'),
        flag(n.admin, 'A'),
        flag(n.is_long_lived_credential(), 'L'),
        flag(ownerless, '?'),
    ]
    .iter()
    .collect()
}

fn border(app: &App<'_>, theme: &Theme, focus: Focus) -> Style {
    if app.focus == focus && app.mode != Mode::Picker
        || focus == Focus::List && app.mode == Mode::Picker
    {
        theme.title()
    } else {
        theme.dim()
    }
}

fn render_list(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let mut filters: Vec<String> = Vec::new();
    if let Some(p) = &app.platform {
        filters.push(clean(p).into_owned());
    }
    if let Some(k) = app.kind {
        filters.push(k.as_str().to_string());
    }
    if !app.query.is_empty() {
        filters.push(format!("/{}", clean(&app.query)));
    }
    let title = if filters.is_empty() {
        format!(" Identities ({}) ", app.entries.len())
    } else {
        format!(
            " Identities: {} ({}) ",
            filters.join(" · "),
            app.entries.len()
        )
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(middle(&title, area.width.saturating_sub(2) as usize).into_owned())
        .border_style(border(app, theme, Focus::List));
    let inner = block.inner(area);
    block.render(area, buf);
    // Virtualized: only the rows on screen are built.
    let offset = list_offset(app, area);
    let matcher = SkimMatcherV2::default();
    let room = (inner.width as usize).saturating_sub(6);
    let lines: Vec<Line> = app
        .entries
        .iter()
        .enumerate()
        .skip(offset)
        .take(inner.height as usize)
        .map(|(i, &node)| {
            let mut spans = vec![
                Span::styled(badges(app, node), theme.alarm()),
                Span::raw(" "),
            ];
            let full = key(app, node);
            // Matched characters, for the rows on screen only, in the text as shown.
            let matched = if app.query.is_empty() {
                Vec::new()
            } else {
                matcher
                    .fuzzy_indices(&full, &app.query)
                    .map(|(_, m)| m)
                    .unwrap_or_default()
            };
            spans.extend(highlighted(&full, room, &matched, theme));
            let line = Line::from(spans);
            if i == app.selected {
                line.style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

/// `text` shortened in the middle to `room` columns, with the characters at `matched`
/// (char indices in the whole text) highlighted where they are still shown.
fn highlighted(text: &str, room: usize, matched: &[usize], theme: &Theme) -> Vec<Span<'static>> {
    let cut = text::cut(text, room);
    let mut spans = Vec::new();
    for (ci, (bi, ch)) in text.char_indices().enumerate() {
        if let Some((head, tail)) = cut {
            if bi == head {
                spans.push(Span::styled("…", theme.dim()));
            }
            if bi >= head && bi < tail {
                continue;
            }
        }
        let style = if matched.contains(&ci) {
            theme.matched()
        } else {
            Style::new()
        };
        spans.push(Span::styled(ch.to_string(), style));
    }
    spans
}

fn render_tabs(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let mut block =
        Block::default()
            .borders(Borders::ALL)
            .border_style(border(app, theme, Focus::Tab));
    let inner = block.inner(area);
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let more = if app.mode == Mode::Picker {
        Paragraph::new(Line::styled(" Pick the compromised set", theme.title())).render(head, buf);
        panes::render_picker(app, theme, body, buf);
        None
    } else {
        let (titles, pad) = tab_titles(head.width);
        let pad = " ".repeat(pad as usize);
        Tabs::new(titles)
            .padding(pad.clone(), pad)
            .select(app.tab.index())
            .highlight_style(theme.title().add_modifier(Modifier::REVERSED))
            .render(head, buf);
        panes::render(app, theme, body, buf)
    };
    // The border goes last: it says how much of the pane just drawn lies below.
    if let Some(more) = more {
        block = block.title_bottom(Line::styled(more, theme.title()).right_aligned());
    }
    block.render(area, buf);
}

/// The focused pane's hints that fit in `cols`, in order, always ending with help and
/// quit: a hint is left out whole rather than cut.
fn footer_hints(app: &App<'_>, cols: usize) -> String {
    let spelled: Vec<String> = hints(app)
        .iter()
        .map(|&(a, what)| match a {
            // Down stands for the pair: "j/k step".
            Action::Down => format!(
                "{}/{} {what}",
                app.keys.short_of(Action::Down),
                app.keys.short_of(Action::Up)
            ),
            a => format!("{} {what}", app.keys.short_of(a)),
        })
        .collect();
    let (optional, always) = spelled.split_at(spelled.len().saturating_sub(2));
    let sep = " · ";
    let mut used = always.iter().map(|h| width(h) + width(sep)).sum::<usize>() + 1;
    let mut shown: Vec<&str> = Vec::new();
    for h in optional {
        if used + width(h) + width(sep) > cols {
            continue;
        }
        used += width(h) + width(sep);
        shown.push(h);
    }
    shown.extend(always.iter().map(String::as_str));
    shown.join(sep) + spinner(app)
}

/// The keys of the focused pane, from the key map, for the footer.
fn hints(app: &App<'_>) -> Vec<(Action, &'static str)> {
    use Action::*;
    let mut out = match (app.focus, app.tab) {
        (Focus::List, _) => vec![
            (Search, "search"),
            (SwitchPane, "open"),
            (NextTab, "tabs"),
            (MarkCompromised, "compromised"),
            (Note, "note"),
        ],
        (Focus::Tab, Tab::Plan) if app.step_open => vec![
            (Down, "scroll"),
            (ToggleStep, "done"),
            (CopyStep, "copy commands"),
            (Back, "close"),
        ],
        (Focus::Tab, Tab::Plan) => vec![
            (Down, "step"),
            (SwitchPane, "open"),
            (ToggleStep, "done"),
            (CopyStep, "copy"),
            (CopyPlan, "copy plan"),
            (Back, "list"),
        ],
        (Focus::Tab, Tab::Details) => vec![
            (Down, "edge"),
            (SwitchPane, "follow"),
            (Back, if app.trail.is_empty() { "list" } else { "back" }),
        ],
        (Focus::Tab, Tab::Jewels) => vec![
            (Down, "jewel"),
            (SwitchPane, "its paths"),
            (NextTab, "tabs"),
            (Back, "list"),
        ],
        (Focus::Tab, Tab::Audit) => vec![
            (Down, "finding"),
            (SwitchPane, "its node"),
            (FilterCategory, "category"),
            (FilterSeverity, "severity"),
            (Back, "list"),
        ],
        (Focus::Tab, _) => vec![
            (Down, "scroll"),
            (PageDown, "page"),
            (NextTab, "tabs"),
            (Back, "list"),
        ],
    };
    out.extend([(Undo, "undo"), (Help, "help"), (Quit, "quit")]);
    out
}

fn render_footer(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let line = match app.mode {
        Mode::Search => Line::raw(format!(
            "/{}▏  Enter keeps the filter · Esc clears it",
            clean(&app.query)
        )),
        Mode::Picker => Line::raw(format!(
            "/{}▏  ↑↓ · Space chooses ({}) · Enter starts · Esc clears · Ctrl-c quits{}",
            clean(&app.query),
            app.picked.len(),
            if app.status.is_empty() {
                String::new()
            } else {
                format!("  ({})", clean(&app.status))
            }
        )),
        Mode::Prompt(p) => {
            let note = if app.status.is_empty() {
                String::new()
            } else {
                format!("  ({})", clean(&app.status))
            };
            Line::raw(format!(
                "{}: {}▏  Enter · Esc cancels{note}",
                p.label(),
                clean(&app.input)
            ))
        }
        _ if !app.status.is_empty() => Line::raw(
            format!("{} {}", spinner(app), clean(&app.status))
                .trim_start()
                .to_string(),
        ),
        _ => Line::styled(footer_hints(app, area.width as usize), theme.dim()),
    };
    let shown = middle(&line.to_string(), area.width as usize).into_owned();
    Paragraph::new(Line::styled(shown, line.style)).render(area, buf);
}

/// The help's lines: per binding of the key map (all, or those matching the filter),
/// its keys, its name and what it does, on one line when the popup is wide enough and
/// wrapped under them otherwise.
fn help_lines(app: &App<'_>, cols: usize) -> Vec<String> {
    let q = app.help_query.to_lowercase();
    let mut lines = Vec::new();
    for b in DEFAULTS {
        let keys = app.keys.keys_of(b.action);
        let row = format!("{keys:<16} {:<16} {}", b.name, b.help);
        if !q.is_empty() && !row.to_lowercase().contains(&q) {
            continue;
        }
        if width(&row) <= cols {
            lines.push(row);
        } else {
            lines.push(format!("{keys:<16} {}", b.name));
            lines.extend(text::wrap(&format!("    {}", b.help), cols, 4));
        }
    }
    lines
}

/// Where the help goes: its popup, and the columns and rows its lines get.
fn help_popup(area: Rect) -> (Rect, usize, usize) {
    let width = 110.min(area.width.saturating_sub(2));
    let height = (DEFAULTS.len() as u16 + 3).min(area.height.saturating_sub(2));
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    // Borders, and the filter line.
    let cols = width.saturating_sub(2) as usize;
    (popup, cols, height.saturating_sub(3) as usize)
}

/// The last first-line the help can scroll to.
pub(super) fn help_max_scroll(app: &App<'_>) -> usize {
    let (_, cols, rows) = help_popup(app.area);
    help_lines(app, cols).len().saturating_sub(rows)
}

fn render_help(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let (popup, cols, room) = help_popup(area);
    Clear.render(popup, buf);
    let rows = help_lines(app, cols);
    let first = app.help_scroll.min(rows.len().saturating_sub(room));
    let mut lines = vec![Line::styled(
        format!("filter: {}▏", clean(&app.help_query)),
        theme.dim(),
    )];
    lines.extend(
        rows.iter()
            .skip(first)
            .take(room)
            .map(|r| Line::raw(r.clone())),
    );
    let below = rows.len().saturating_sub(first + room);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(
            middle(
                " Keys · type to filter · ↑↓ PgUp PgDn scroll · Esc closes ",
                cols,
            )
            .into_owned(),
        )
        .border_style(theme.title());
    if below > 0 {
        block = block.title_bottom(Line::raw(format!(" ↓ {below} more ")).right_aligned());
    }
    Paragraph::new(lines).block(block).render(popup, buf);
}

/// Lines of `text` wrapped to `cols`, each styled `style`.
pub(super) fn wrapped(text: &str, cols: usize, indent: usize, style: Style) -> Vec<Line<'static>> {
    text::wrap(text, cols, indent)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}

/// "computing…" with the spinner, where a result is on its way.
pub(super) fn computing_line(app: &App<'_>) -> Line<'static> {
    Line::raw(format!("  {} computing…", spinner(app)))
}
