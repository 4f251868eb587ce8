//! Rendering: a pure function of [`App`]. Every name passes through [`clean`] first:
//! inputs are untrusted and this is a terminal.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Tabs, Widget, Wrap};

use super::app::{App, Focus, Mode, Tab};
use super::keys::{Action, DEFAULTS};
use crate::analysis::BlastRadius;
use crate::analysis::plan::Target;
use crate::model::{NodeId, NodeKind};
use crate::report::clean;

/// Below this the layout cannot show a list and a tab side by side.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// Styles, all in one place; with colour off (`NO_COLOR`) only emphasis remains.
struct Theme {
    color: bool,
}

impl Theme {
    fn pick(&self, colored: Style, plain: Style) -> Style {
        if self.color { colored } else { plain }
    }
    fn title(&self) -> Style {
        self.pick(Style::new().cyan().bold(), Style::new().bold())
    }
    fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    fn matched(&self) -> Style {
        self.pick(
            Style::new().yellow().bold(),
            Style::new().bold().underlined(),
        )
    }
    fn alarm(&self) -> Style {
        self.pick(Style::new().red().bold(), Style::new().bold())
    }
    fn dim(&self) -> Style {
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

pub fn areas(area: Rect) -> Areas {
    let [title, main, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    let [list, tabs] =
        Layout::horizontal([Constraint::Percentage(38), Constraint::Percentage(62)]).areas(main);
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

impl Widget for &App<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            Paragraph::new(format!(
                "terminal too small: trustpath needs {MIN_WIDTH}×{MIN_HEIGHT}, this one is {}×{}",
                area.width, area.height
            ))
            .wrap(Wrap { trim: true })
            .render(area, buf);
            return;
        }
        let theme = Theme { color: self.color };
        let a = areas(area);
        render_title(self, &theme, a.title, buf);
        render_list(self, &theme, a.list, buf);
        render_tabs(self, &theme, a.tabs, buf);
        render_status(self, &theme, a.status, buf);
        if self.mode == Mode::Help {
            render_help(self, &theme, area, buf);
        }
    }
}

fn key(app: &App<'_>, node: NodeId) -> String {
    clean(&app.graph.node(node).key).into_owned()
}

/// A braille spinner frame while jobs run.
fn spinner(app: &App<'_>) -> &'static str {
    const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    if app.busy > 0 {
        FRAMES[app.tick % FRAMES.len()]
    } else {
        ""
    }
}

fn render_title(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let names: Vec<String> = app.compromised.iter().map(|&c| key(app, c)).collect();
    let mut spans = vec![Span::styled(" trustpath ", theme.title())];
    if let Some(name) = &app.incident {
        spans.push(Span::raw(format!("incident {} · ", clean(name))));
    }
    spans.push(Span::raw(format!("compromised: {}  ", names.join(", "))));
    match (&app.blast, &app.plan) {
        (Some(blast), Some(plan)) => {
            let s = &blast.summary;
            let alarm = if s.crown_jewels > 0 {
                theme.alarm()
            } else {
                Style::new()
            };
            spans.push(Span::styled(
                format!("{} reached · {} crown jewels", s.reached, s.crown_jewels),
                alarm,
            ));
            let now = app
                .residual
                .map_or_else(|| "…".to_string(), |r| r.crown_jewels.to_string());
            spans.push(Span::raw(format!(
                " · plan: {} → {now} with the steps marked done",
                plan.before.crown_jewels
            )));
        }
        _ => spans.push(Span::raw(format!(
            "{} computing the blast radius and the plan…",
            spinner(app)
        ))),
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// Badges of a node, five fixed columns: compromised, crown jewel, admin, long-lived
/// credential, no owner.
fn badges(app: &App<'_>, node: NodeId) -> String {
    let n = app.graph.node(node);
    let flag = |on: bool, c: char| if on { c } else { ' ' };
    let ownerless =
        n.owner.is_none() && !matches!(n.kind, NodeKind::Credential | NodeKind::Resource);
    [
        flag(app.compromised.contains(&node), 'C'),
        flag(n.is_crown_jewel(), 'J'),
        flag(n.admin, 'A'),
        flag(n.is_long_lived_credential(), 'L'),
        flag(ownerless, '?'),
    ]
    .iter()
    .collect()
}

fn border(app: &App<'_>, theme: &Theme, focus: Focus) -> Style {
    if app.focus == focus {
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
        .title(title)
        .border_style(border(app, theme, Focus::List));
    let inner = block.inner(area);
    block.render(area, buf);
    // Virtualized: only the rows on screen are built.
    let offset = list_offset(app, area);
    let matcher = SkimMatcherV2::default();
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
            // Matched characters, for the rows on screen only, in the text as shown.
            let text = key(app, node);
            let matched = if app.query.is_empty() {
                Vec::new()
            } else {
                matcher
                    .fuzzy_indices(&text, &app.query)
                    .map(|(_, m)| m)
                    .unwrap_or_default()
            };
            for (ci, ch) in text.chars().enumerate() {
                let style = if matched.contains(&ci) {
                    theme.matched()
                } else {
                    Style::new()
                };
                spans.push(Span::styled(ch.to_string(), style));
            }
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

fn render_tabs(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border(app, theme, Focus::Tab));
    let inner = block.inner(area);
    block.render(area, buf);
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let titles: Vec<&str> = Tab::ALL.iter().map(|t| t.title()).collect();
    let selected = Tab::ALL.iter().position(|&t| t == app.tab).unwrap_or(0);
    Tabs::new(titles)
        .select(selected)
        .highlight_style(theme.title().add_modifier(Modifier::REVERSED))
        .render(head, buf);
    match app.tab {
        Tab::Details => render_details(app, theme, body, buf),
        Tab::Blast => render_blast(app, theme, body, buf),
        Tab::Plan => render_plan(app, theme, body, buf),
        Tab::Paths => render_paths(app, theme, body, buf),
        Tab::Audit => Paragraph::new(
            "Not available yet: hygiene findings (long-lived and unrotated credentials, unused \
             identities, missing owners, overprivilege, world-assumable trusts, mapped to the \
             OWASP NHI Top 10) come with `trustpath audit`.",
        )
        .wrap(Wrap { trim: true })
        .render(body, buf),
    }
}

/// Characters of a reason shown in one line.
const REASON: usize = 90;

fn short(s: &str) -> String {
    let s = clean(s);
    match s.char_indices().nth(REASON) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.into_owned(),
    }
}

fn computing(app: &App<'_>, area: Rect, buf: &mut Buffer) {
    Paragraph::new(format!("{} computing…", spinner(app))).render(area, buf);
}

fn render_details(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(node) = app.selection() else {
        Paragraph::new("No identity matches.").render(area, buf);
        return;
    };
    let g = app.graph;
    let n = g.node(node);
    let field = |name: &str, value: Option<&str>| {
        Line::from(vec![
            Span::styled(format!("{name:<12}"), theme.dim()),
            Span::raw(value.map_or_else(|| "—".to_string(), |v| clean(v).into_owned())),
        ])
    };
    let criticality = n.criticality().to_string();
    let mut lines = vec![
        Line::styled(key(app, node), theme.title()),
        field("kind", Some(n.kind.as_str())),
        field("platform", Some(&n.platform)),
        field("name", Some(&n.name)),
        field("owner", n.owner.as_deref()),
        field("purpose", n.purpose.as_deref()),
        field("environment", n.environment.as_deref()),
        field("criticality", Some(&criticality)),
        field("admin", Some(if n.admin { "yes" } else { "no" })),
    ];
    if let Some(c) = &n.credential {
        let when = |t: Option<jiff::Timestamp>| t.map(|t| t.to_string());
        lines.push(field("status", c.status.as_deref()));
        lines.push(field("created", when(c.created).as_deref()));
        lines.push(field("expires", when(c.expires).as_deref()));
        lines.push(field("last used", when(c.last_used).as_deref()));
    }
    lines.push(Line::default());
    // One list per direction: a heading with the count, then each edge with its reason.
    let directions: [(&str, &str, Vec<_>); 2] = [
        ("Outgoing", "→", g.outgoing(node).collect()),
        ("Incoming", "←", g.incoming(node).collect()),
    ];
    for (title, arrow, edges) in directions {
        lines.push(Line::styled(
            format!("{title} ({})", edges.len()),
            theme.title(),
        ));
        for (e, other) in edges {
            let edge = g.edge(e);
            lines.push(Line::raw(format!(
                "  {arrow} {} {}  {}",
                edge.kind,
                key(app, other),
                short(&edge.reason)
            )));
        }
    }
    Paragraph::new(lines).render(area, buf);
}

/// The witness path to `node` in `blast`, one hop per line with its reason.
fn path_lines(
    app: &App<'_>,
    theme: &Theme,
    blast: &BlastRadius,
    node: NodeId,
) -> Vec<Line<'static>> {
    if !blast.contains(node) {
        return vec![Line::styled("Not in the blast radius.", theme.dim())];
    }
    let path = blast.path(app.graph, node);
    let Some(&first) = path.first() else {
        return vec![Line::raw(format!(
            "{} is compromised itself.",
            key(app, node)
        ))];
    };
    let mut lines = vec![Line::raw(key(app, app.graph.endpoints(first).0))];
    for e in path {
        let edge = app.graph.edge(e);
        lines.push(Line::raw(format!(
            "  └─ {} → {}",
            edge.kind,
            key(app, app.graph.endpoints(e).1)
        )));
        lines.push(Line::styled(
            format!("       {}", short(&edge.reason)),
            theme.dim(),
        ));
    }
    lines
}

fn render_blast(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(blast) = &app.blast else {
        return computing(app, area, buf);
    };
    let mut lines = vec![Line::raw(blast.summary.headline())];
    if let Some(node) = app.selection() {
        lines.push(Line::styled(
            format!("Witness path to {}", key(app, node)),
            theme.title(),
        ));
        lines.extend(path_lines(app, theme, blast, node));
    }
    lines.push(Line::styled(
        "Reached, as a tree of witness paths",
        theme.title(),
    ));
    let room = (area.height as usize).saturating_sub(lines.len());
    for &(depth, node) in app.tree.iter().take(room) {
        let indent = "  ".repeat(depth.min(12) as usize);
        let branch = if depth == 0 { "" } else { "└─ " };
        lines.push(Line::raw(format!("{indent}{branch}{}", key(app, node))));
    }
    Paragraph::new(lines).render(area, buf);
}

fn target(app: &App<'_>, target: &Target) -> String {
    match target {
        Target::Node(n) => key(app, *n),
        Target::Edges(e) => {
            let (f, t) = app.graph.endpoints(e[0]);
            format!("{} → {}", key(app, f), key(app, t))
        }
        Target::Platform(p) => clean(p).into_owned(),
    }
}

fn render_plan(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(plan) = &app.plan else {
        return computing(app, area, buf);
    };
    let before = plan.before;
    let now = app.residual.unwrap_or(before);
    let [gauge, figures, list, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(6),
    ])
    .areas(area);
    let cut_off = before.crown_jewels.saturating_sub(now.crown_jewels);
    let ratio = if before.crown_jewels == 0 {
        1.0
    } else {
        cut_off as f64 / before.crown_jewels as f64
    };
    let waiting = if app.residual.is_none() {
        format!(" {}", spinner(app))
    } else {
        String::new()
    };
    Gauge::default()
        .ratio(ratio)
        .label(format!(
            "{cut_off} of {} crown jewels cut off{waiting}",
            before.crown_jewels
        ))
        .gauge_style(theme.title())
        .render(gauge, buf);
    Paragraph::new(format!(
        "before {} reached · {} crown jewels  →  with the steps marked done {} reached · {} crown jewels   (cost {}, lower bound {})",
        before.reached, before.crown_jewels, now.reached, now.crown_jewels, plan.cost, plan.lower_bound
    ))
    .render(figures, buf);
    let rows = list.height as usize;
    let offset = app.step.saturating_sub(rows.saturating_sub(1));
    let lines: Vec<Line> = plan
        .steps
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, s)| {
            let mark = if app.done.get(i) == Some(&true) {
                "[x]"
            } else {
                "[ ]"
            };
            let line = Line::raw(format!(
                "{mark} {:>3} {:<8} {} {}",
                s.rank,
                s.phase.as_str(),
                clean(&s.action),
                target(app, &s.target)
            ));
            if i == app.step && app.focus == Focus::Tab {
                line.style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    Paragraph::new(lines).render(list, buf);
    if let Some(s) = plan.steps.get(app.step) {
        let mut lines = vec![Line::styled(
            format!(
                "{}  (cost {}{})",
                clean(&s.id),
                s.cost,
                if s.required { ", required" } else { "" }
            ),
            theme.title(),
        )];
        lines.extend(
            s.playbook
                .commands
                .iter()
                .take(4)
                .map(|c| Line::raw(format!("$ {}", clean(c)))),
        );
        Paragraph::new(lines).render(detail, buf);
    }
}

fn render_paths(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(node) = app.selection() else {
        return;
    };
    let mut lines = vec![Line::styled(
        format!("From the compromised set to {}", key(app, node)),
        theme.title(),
    )];
    if let Some(blast) = &app.blast {
        lines.extend(path_lines(app, theme, blast, node));
    }
    lines.push(Line::styled(
        format!("Crown jewels {} reaches", key(app, node)),
        theme.title(),
    ));
    match &app.paths_from {
        Some((from, reach)) if *from == node => {
            let jewels: Vec<NodeId> = reach
                .reached
                .iter()
                .map(|r| r.node)
                .filter(|&n| n != node && app.graph.facts(n).is_crown_jewel())
                .collect();
            if jewels.is_empty() {
                lines.push(Line::styled("  none", theme.dim()));
            }
            for j in jewels {
                let hops: Vec<String> = reach
                    .path(app.graph, j)
                    .iter()
                    .map(|&e| {
                        let to = app.graph.endpoints(e).1;
                        format!("-[{}]-> {}", app.graph.edge(e).kind, key(app, to))
                    })
                    .collect();
                lines.push(Line::raw(format!("  {}", key(app, j))));
                lines.push(Line::styled(format!("    {}", hops.join(" ")), theme.dim()));
            }
        }
        _ => lines.push(Line::raw(format!("  {} computing…", spinner(app)))),
    }
    lines.push(Line::styled(
        "`trustpath path FROM TO --all` lists every path between two nodes.",
        theme.dim(),
    ));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}

fn render_status(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let line = match app.mode {
        Mode::Search => Line::raw(format!(
            "/{}▏  Enter keeps the filter · Esc clears it",
            clean(&app.query)
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
        _ => {
            let hint = |a: Action, what: &str| format!("{} {what}", app.keys.key_of(a));
            Line::styled(
                [
                    hint(Action::Quit, "quit"),
                    hint(Action::Search, "search"),
                    hint(Action::NextTab, "tabs"),
                    hint(Action::SwitchPane, "pane"),
                    hint(Action::ToggleStep, "step done"),
                    hint(Action::MarkCompromised, "compromised"),
                    hint(Action::Save, "save"),
                    hint(Action::Help, "help"),
                ]
                .join(" · ")
                    + spinner(app),
                theme.dim(),
            )
        }
    };
    Paragraph::new(line).render(area, buf);
}

fn render_help(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = 100.min(area.width.saturating_sub(4));
    let height = (DEFAULTS.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    Clear.render(popup, buf);
    let lines: Vec<Line> = DEFAULTS
        .iter()
        .map(|b| {
            Line::raw(format!(
                "{:<18} {:<17} {}",
                app.keys.keys_of(b.action),
                b.name,
                b.help
            ))
        })
        .collect();
    Paragraph::new(lines)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Keys (any key closes) ")
                .border_style(theme.title()),
        )
        .render(popup, buf);
}
