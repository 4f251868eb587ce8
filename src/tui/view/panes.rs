//! The tab panes. A pane that scrolls is a [`Content`]: lines built whole (wrapped to
//! the pane's width) followed by rows built only when on screen, so a blast radius of a
//! hundred thousand nodes costs what the screen shows, and a hub's edges cost one pass
//! over its adjacency (to count and index them) plus the rows shown.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use super::plan::{render_jewels, render_plan, step_whole};
use super::{Theme, areas, badges, computing_line, key, wrapped};
use crate::analysis::{BlastRadius, Exposure};
use crate::model::{EdgeId, NodeId};
use crate::report::clean;
use crate::tui::app::{App, Focus, Tab};
use crate::tui::text::{fit, middle};

/// Crown jewels a selection's reach lists in the Paths tab before "and N more".
const JEWELS_LISTED: usize = 200;

/// What a scrolling pane shows: `head`, then `rows` lines made by `row` on demand.
pub(super) struct Content<'a> {
    pub(super) head: Vec<Line<'static>>,
    pub(super) rows: usize,
    pub(super) row: Box<dyn Fn(usize) -> Line<'static> + 'a>,
}

impl<'a> Content<'a> {
    pub(super) fn lines(head: Vec<Line<'static>>) -> Content<'a> {
        Content {
            head,
            rows: 0,
            row: Box::new(|_| Line::default()),
        }
    }

    fn len(&self) -> usize {
        self.head.len() + self.rows
    }

    fn render(&self, offset: usize, area: Rect, buf: &mut Buffer) {
        let h = area.height as usize;
        let lines: Vec<Line> = (offset..self.len().min(offset + h))
            .map(|i| match self.head.get(i) {
                Some(line) => line.clone(),
                None => (self.row)(i - self.head.len()),
            })
            .collect();
        Paragraph::new(lines).render(area, buf);
    }
}

/// The tab body at the app's last known size.
fn body_rect(app: &App<'_>) -> Rect {
    let tabs = areas(app, app.area).tabs;
    Rect {
        x: tabs.x + 1,
        y: tabs.y + 2,
        width: tabs.width.saturating_sub(2),
        height: tabs.height.saturating_sub(3),
    }
}

/// Rows of the tab body.
pub(in crate::tui) fn body_height(app: &App<'_>) -> usize {
    body_rect(app).height as usize
}

/// The content of the panes that scroll by line, at `cols` columns.
fn scrolling<'a>(app: &'a App<'_>, theme: &'a Theme, cols: usize) -> Option<Content<'a>> {
    match app.tab {
        Tab::Blast => Some(blast(app, theme, cols)),
        Tab::Paths => Some(paths(app, theme, cols)),
        Tab::Notes => Some(notes(app, theme, cols)),
        Tab::Plan if app.step_open => Some(step_whole(app, theme, cols)),
        _ => None,
    }
}

/// The last first-line a scrolling pane can show.
pub(in crate::tui) fn max_scroll(app: &App<'_>) -> usize {
    let body = body_rect(app);
    let theme = Theme { color: false };
    scrolling(app, &theme, body.width as usize)
        .map_or(0, |c| c.len().saturating_sub(body.height as usize))
}

/// The first line a scrolling pane shows: its scroll, clamped to its content.
fn offset(app: &App<'_>, content: &Content<'_>, height: usize) -> usize {
    app.scroll[app.tab.index()].min(content.len().saturating_sub(height))
}

/// Draws the selected tab into `body`; returns "↓ N more lines" for the pane's border
/// when lines of a scrolling pane lie below the screen (from the content just drawn, so
/// no pane is built twice a frame).
pub(super) fn render(app: &App<'_>, theme: &Theme, body: Rect, buf: &mut Buffer) -> Option<String> {
    let cols = body.width as usize;
    let (shown_to, len) = match app.tab {
        Tab::Details => render_details(app, theme, body, buf),
        Tab::Jewels => {
            render_jewels(app, theme, body, buf);
            return None;
        }
        Tab::Audit => {
            super::audit::render_audit(app, theme, body, buf);
            return None;
        }
        Tab::Plan if !app.step_open => {
            render_plan(app, theme, body, buf);
            return None;
        }
        _ => {
            let content = scrolling(app, theme, cols)?;
            let h = body.height as usize;
            let first = offset(app, &content, h);
            content.render(first, body, buf);
            (first + h, content.len())
        }
    };
    (len > shown_to).then(|| format!(" ↓ {} more lines ", len - shown_to))
}

/// The witness path to `node` in `blast`, a hop and its reason per line.
pub(super) fn path_lines(
    app: &App<'_>,
    theme: &Theme,
    blast: &BlastRadius,
    node: NodeId,
    cols: usize,
) -> Vec<Line<'static>> {
    if !blast.contains(node) {
        return vec![Line::styled("  not in the blast radius", theme.dim())];
    }
    let path = blast.path(app.graph, node);
    hops(app, theme, &path, cols).unwrap_or_else(|| {
        vec![Line::raw(format!(
            "  {} is compromised itself",
            middle(&key(app, node), cols.saturating_sub(24))
        ))]
    })
}

/// A path as lines: its start, then per hop the edge kind, the node reached and the
/// reason, wrapped; `None` for an empty path.
fn hops(app: &App<'_>, theme: &Theme, path: &[EdgeId], cols: usize) -> Option<Vec<Line<'static>>> {
    let first = *path.first()?;
    let g = app.graph;
    let mut lines = vec![Line::raw(format!(
        "  {}",
        middle(&key(app, g.endpoints(first).0), cols.saturating_sub(2))
    ))];
    for &e in path {
        let edge = g.edge(e);
        let to = key(app, g.endpoints(e).1);
        let badge = match g.facts(g.endpoints(e).1) {
            f if f.is_crown_jewel() => "  [crown jewel]",
            f if f.admin => "  [admin]",
            _ => "",
        };
        lines.extend(wrapped(
            &format!("  └─ {} → {to}{badge}", edge.kind),
            cols,
            7,
            Style::new(),
        ));
        lines.extend(wrapped(
            &format!("       {}", clean(edge.reason)),
            cols,
            7,
            theme.dim(),
        ));
    }
    Some(lines)
}

fn details<'a>(app: &'a App<'_>, theme: &'a Theme, cols: usize) -> Content<'a> {
    let Some(node) = app.selection() else {
        return Content::lines(vec![Line::raw("No identity matches.")]);
    };
    let g = app.graph;
    let n = g.node(node);
    let mut head = wrapped(&key(app, node), cols, 2, theme.title());
    let mut field = |name: &str, value: Option<&str>| {
        let value = value.map_or_else(|| "—".to_string(), |v| clean(v).into_owned());
        head.extend(wrapped(
            &format!("{name:<12}{value}"),
            cols,
            12,
            Style::new(),
        ));
    };
    field("kind", Some(n.kind.as_str()));
    field("platform", Some(n.platform));
    field("name", Some(n.name));
    field("owner", n.owner);
    field("purpose", n.purpose);
    field("environment", n.environment);
    field("criticality", Some(&n.criticality().to_string()));
    field("admin", Some(if n.admin { "yes" } else { "no" }));
    if let Some(c) = &n.credential {
        let when = |t: Option<jiff::Timestamp>| t.map(|t| t.to_string());
        field("status", c.status);
        field("created", when(c.created).as_deref());
        field("expires", when(c.expires).as_deref());
        field("last used", when(c.last_used).as_deref());
    }
    // What the importer read about it (a policy's rules, a role's bindings, why a node
    // is not in the inputs), one line each, wrapped.
    for (tag, value) in n.tags.iter() {
        let value = clean(&value.replace('\n', " · ")).into_owned();
        head.extend(wrapped(&format!("{tag}: {value}"), cols, 2, Style::new()));
    }
    let out: Vec<(EdgeId, NodeId)> = g.outgoing(node).collect();
    let inc: Vec<(EdgeId, NodeId)> = g.incoming(node).collect();
    let (n_out, n_in) = (out.len(), inc.len());
    let cursor = (app.focus == Focus::Tab).then_some(app.edge);
    let selected = theme.selected();
    let title = theme.title();
    // Rows: "Outgoing (n)", n edges, "Incoming (m)", m edges.
    let row = move |i: usize| -> Line<'static> {
        if i == 0 {
            return Line::styled(format!("Outgoing (what it can reach) {n_out}"), title);
        }
        if i == n_out + 1 {
            return Line::styled(format!("Incoming (who can reach it) {n_in}"), title);
        }
        let (index, arrow, (e, other)) = if i <= n_out {
            (i - 1, "→", out[i - 1])
        } else {
            (i - 2, "←", inc[i - n_out - 2])
        };
        let edge = g.edge(e);
        let text = format!(
            "  {arrow} {} {}  {}",
            edge.kind,
            middle(&key(app, other), cols.saturating_sub(20).max(16)),
            clean(edge.reason)
        );
        let line = Line::raw(fit(&text, cols));
        if cursor == Some(index) {
            line.style(selected)
        } else {
            line
        }
    };
    Content {
        head,
        rows: n_out + n_in + 2,
        row: Box::new(row),
    }
}

/// Details scrolls with its edge cursor: the row under it stays on screen.
fn details_offset(app: &App<'_>, content: &Content<'_>, height: usize) -> usize {
    if app.focus != Focus::Tab {
        return 0;
    }
    let outgoing = app.selection().map_or(0, |n| app.graph.outgoing(n).count());
    let row = content.head.len() + app.edge + if app.edge < outgoing { 1 } else { 2 };
    row.saturating_sub(height.saturating_sub(1))
}

/// With the focus on Details, the edge under the cursor whole, below the list.
fn edge_strip(app: &App<'_>, theme: &Theme, cols: usize) -> Vec<Line<'static>> {
    let edge = app.selection().and_then(|n| {
        let g = app.graph;
        g.outgoing(n).chain(g.incoming(n)).nth(app.edge)
    });
    match edge {
        Some((e, _)) if app.focus == Focus::Tab => {
            let g = app.graph;
            let (from, to) = g.endpoints(e);
            let edge = g.edge(e);
            let mut text = format!(
                "{} -[{}]-> {}: {}",
                key(app, from),
                edge.kind,
                key(app, to),
                clean(edge.reason)
            );
            for c in edge.conditions {
                text.push_str(&format!(" · if {}", clean(&c.description)));
            }
            let mut lines = wrapped(&text, cols, 2, theme.dim());
            lines.truncate(4);
            lines
        }
        _ => Vec::new(),
    }
}

/// Draws Details; returns the line after the last one shown, and the content's length.
fn render_details(app: &App<'_>, theme: &Theme, body: Rect, buf: &mut Buffer) -> (usize, usize) {
    let cols = body.width as usize;
    let strip = edge_strip(app, theme, cols);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(strip.len() as u16)]).areas(body);
    let content = details(app, theme, cols);
    let h = top.height as usize;
    let first = details_offset(app, &content, h);
    content.render(first, top, buf);
    Paragraph::new(strip).render(bottom, buf);
    (first + h, content.len())
}

/// Tree rows mark crown jewels and admins, so the blast radius reads at a glance.
fn blast<'a>(app: &'a App<'_>, theme: &'a Theme, cols: usize) -> Content<'a> {
    let Some(b) = &app.blast else {
        return Content::lines(vec![computing_line(app)]);
    };
    let mut head = wrapped(&b.summary.headline(), cols, 2, Style::new());
    if let Some(node) = app.selection() {
        head.push(Line::styled(
            middle(&format!("Witness path to {}", key(app, node)), cols).into_owned(),
            theme.title(),
        ));
        head.extend(path_lines(app, theme, b, node, cols));
    }
    head.push(Line::styled(
        fit(
            "Reached, as a tree of witness paths (J crown jewel, A admin)",
            cols,
        ),
        theme.title(),
    ));
    let alarm = theme.alarm();
    let row = move |i: usize| -> Line<'static> {
        let (depth, node) = app.tree[i];
        let indent = "  ".repeat(depth.min(12) as usize);
        let branch = if depth == 0 { "" } else { "└─ " };
        let facts = app.graph.facts(node);
        let badge = match (facts.is_crown_jewel(), facts.admin) {
            (true, true) => " JA",
            (true, false) => " J",
            (false, true) => " A",
            _ => "",
        };
        let room = cols.saturating_sub(indent.len() + branch.len() + badge.len() + 1);
        Line::from(vec![
            format!("{indent}{branch}{}", middle(&key(app, node), room)).into(),
            ratatui::text::Span::styled(badge, alarm),
        ])
    };
    Content {
        head,
        rows: app.tree.len(),
        row: Box::new(row),
    }
}

fn paths<'a>(app: &'a App<'_>, theme: &'a Theme, cols: usize) -> Content<'a> {
    let Some(node) = app.selection() else {
        return Content::lines(Vec::new());
    };
    let name = key(app, node);
    let mut head = wrapped(
        &format!("From the compromised set to {name}"),
        cols,
        2,
        theme.title(),
    );
    if let Some(blast) = &app.blast {
        head.extend(path_lines(app, theme, blast, node, cols));
    }
    let marked = app.done.iter().filter(|&&d| d).count();
    if marked > 0 && app.blast.as_ref().is_some_and(|b| b.contains(node)) {
        head.extend(wrapped(
            &format!(
                "After the {marked} steps marked done (from any foothold the attacker may hold)"
            ),
            cols,
            2,
            theme.title(),
        ));
        match &app.residual_blast {
            Some(r) if r.contains(node) => head.extend(path_lines(app, theme, r, node, cols)),
            Some(_) => head.extend(wrapped(
                "  no path remains: the steps marked done cut it off",
                cols,
                4,
                theme.good(),
            )),
            None => head.push(computing_line(app)),
        }
    }
    head.extend(wrapped(
        &format!("Crown jewels {name} reaches"),
        cols,
        2,
        theme.title(),
    ));
    match &app.paths_from {
        Some((from, reach, _)) if *from == node => {
            let jewels: Vec<NodeId> = reach
                .reached
                .iter()
                .map(|r| r.node)
                .filter(|&n| n != node && app.graph.facts(n).is_crown_jewel())
                .collect();
            if jewels.is_empty() {
                head.push(Line::styled("  none", theme.dim()));
            }
            for &j in jewels.iter().take(JEWELS_LISTED) {
                let hops: Vec<String> = reach
                    .path(app.graph, j)
                    .iter()
                    .map(|&e| {
                        let to = app.graph.endpoints(e).1;
                        format!("-[{}]-> {}", app.graph.edge(e).kind, key(app, to))
                    })
                    .collect();
                head.extend(wrapped(
                    &format!("  {}", key(app, j)),
                    cols,
                    4,
                    Style::new(),
                ));
                head.extend(wrapped(
                    &format!("    {}", hops.join(" ")),
                    cols,
                    6,
                    theme.dim(),
                ));
            }
            if jewels.len() > JEWELS_LISTED {
                head.push(Line::styled(
                    format!(
                        "  … and {} more: trustpath blast -c KEY lists them all",
                        jewels.len() - JEWELS_LISTED
                    ),
                    theme.dim(),
                ));
            }
        }
        _ => head.push(computing_line(app)),
    }
    head.extend(wrapped(
        &format!("Who can reach {name}, most easily held first"),
        cols,
        2,
        theme.title(),
    ));
    match &app.paths_from {
        Some((from, _, exposure)) if *from == node => {
            head.extend(holders(app, theme, exposure, cols))
        }
        _ => head.push(computing_line(app)),
    }
    head.extend(wrapped(
        "`trustpath path FROM TO --all` lists every path between two nodes; `trustpath exposure KEY` every holder.",
        cols,
        2,
        theme.dim(),
    ));
    Content::lines(head)
}

/// Holders listed in the Paths tab, each with its witness path.
const HOLDERS_LISTED: usize = 8;

/// The exposure of the selection: how many can reach it, by class, then the first
/// holders (outsiders and long-lived keys first) with their witness paths.
fn holders(app: &App<'_>, theme: &Theme, exposure: &Exposure, cols: usize) -> Vec<Line<'static>> {
    let s = &exposure.summary;
    if s.holders == 0 {
        return vec![Line::styled("  nobody", theme.dim())];
    }
    let classes: Vec<String> = s
        .by_class
        .iter()
        .map(|(class, n)| format!("{} {n}", class.as_str()))
        .collect();
    let mut lines = wrapped(
        &format!("  {} holders: {}", s.holders, classes.join(", ")),
        cols,
        4,
        Style::new(),
    );
    for h in exposure.holders.iter().take(HOLDERS_LISTED) {
        let style = if h.class.is_outsider() {
            theme.alarm()
        } else {
            Style::new()
        };
        let conditional = if h.conditional {
            ", if conditions hold"
        } else {
            ""
        };
        lines.extend(wrapped(
            &format!(
                "  {} {} ({} hops{conditional})",
                h.class.as_str(),
                key(app, h.node),
                h.depth
            ),
            cols,
            4,
            style,
        ));
        let hops: Vec<String> = exposure
            .path(app.graph, h)
            .iter()
            .map(|&e| {
                let to = app.graph.endpoints(e).1;
                format!("-[{}]-> {}", app.graph.edge(e).kind, key(app, to))
            })
            .collect();
        lines.extend(wrapped(
            &format!("    {}", hops.join(" ")),
            cols,
            6,
            theme.dim(),
        ));
    }
    if exposure.holders.len() > HOLDERS_LISTED {
        lines.push(Line::styled(
            format!("  … and {} more", exposure.holders.len() - HOLDERS_LISTED),
            theme.dim(),
        ));
    }
    lines
}

fn notes<'a>(app: &'a App<'_>, theme: &'a Theme, cols: usize) -> Content<'a> {
    let mut head = Vec::new();
    let saved = match (&app.incident, &app.data_dir) {
        (Some(name), Some(dir)) => format!(
            "Incident {} · saved after every change to {}",
            clean(name),
            crate::tui::incident::path(dir, name).display()
        ),
        (None, Some(_)) => {
            "Not saved yet: the first change (a step marked, a note, c) saves it".into()
        }
        (_, None) => "No data directory: notes and marks last for this session only".into(),
    };
    head.extend(wrapped(&saved, cols, 2, theme.title()));
    let keys: Vec<String> = app.compromised.iter().map(|&c| key(app, c)).collect();
    head.extend(wrapped(
        &format!("compromised: {}", keys.join(", ")),
        cols,
        2,
        Style::new(),
    ));
    head.extend(wrapped(
        &format!(
            "steps done: {} of {}",
            app.done.iter().filter(|&&d| d).count(),
            app.done.len()
        ),
        cols,
        2,
        Style::new(),
    ));
    head.push(Line::styled(
        format!("Notes ({}) · n adds one", app.notes.len()),
        theme.title(),
    ));
    if app.notes.is_empty() {
        head.push(Line::styled("  none yet", theme.dim()));
    }
    for note in &app.notes {
        let when = note.at.map_or_else(
            || "(no time)".to_string(),
            |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        );
        head.extend(wrapped(
            &format!("  {when}  {}", clean(&note.text)),
            cols,
            4,
            Style::new(),
        ));
    }
    Content::lines(head)
}

/// The picker's pane: what is chosen, and the node under the cursor.
pub(super) fn render_picker(app: &App<'_>, theme: &Theme, body: Rect, buf: &mut Buffer) {
    let cols = body.width as usize;
    let mut lines = wrapped(
        "Nothing in the inputs says what is compromised. Type part of a name, key, ARN or \
         credential id (AKIA…, a GCP key id) to search every node; Space chooses one, Enter \
         starts the analysis (with nothing chosen: the node under the cursor).",
        cols,
        0,
        Style::new(),
    );
    lines.push(Line::default());
    lines.push(Line::styled(
        format!("Chosen ({})", app.picked.len()),
        theme.title(),
    ));
    if app.picked.is_empty() {
        lines.push(Line::styled("  none yet", theme.dim()));
    }
    for &p in &app.picked {
        lines.push(Line::raw(format!(
            "  {}",
            middle(&key(app, p), cols.saturating_sub(2))
        )));
    }
    if let Some(node) = app.selection() {
        let n = app.graph.node(node);
        lines.push(Line::default());
        lines.push(Line::styled("Under the cursor", theme.title()));
        lines.extend(wrapped(
            &format!("  {}", key(app, node)),
            cols,
            4,
            Style::new(),
        ));
        lines.extend(wrapped(
            &format!(
                "  {} · {} · {} · owner {}{}",
                n.kind,
                clean(n.platform),
                clean(n.name),
                n.owner
                    .map_or_else(|| "unknown".to_string(), |o| clean(o).into_owned()),
                badge_words(&badges(app, node))
            ),
            cols,
            4,
            theme.dim(),
        ));
    }
    Paragraph::new(lines).render(body, buf);
}

/// Badges spelled out for the picker.
fn badge_words(badges: &str) -> String {
    let words: Vec<&str> = badges
        .chars()
        .filter_map(|c| match c {
            'J' => Some("crown jewel"),
            'A' => Some("admin"),
            'L' => Some("long-lived credential"),
            _ => None,
        })
        .collect();
    if words.is_empty() {
        String::new()
    } else {
        format!(" · {}", words.join(", "))
    }
}
