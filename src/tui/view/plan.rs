//! The Plan tab (the steps, the figures as steps are marked done, a step whole) and the
//! Jewels tab (what the incident is about: each crown jewel and admin reached, the step
//! that cuts it, and whether the marked steps do).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Gauge, Paragraph, Widget};

use super::panes::{Content, path_lines};
use super::{Theme, computing_line, key, spinner, wrapped};
use crate::analysis::plan::Target;
use crate::model::NodeId;
use crate::report::clean;
use crate::tui::app::{App, Focus};
use crate::tui::text::{fit, middle};

/// Draws `head` at the top of `body` and splits the rest into a list (half the body,
/// at least three rows) and the detail of its selection below: the Jewels and Audit
/// tabs. Returns the two areas and the list's rows.
pub(super) fn head_list_detail(
    head: Vec<Line<'static>>,
    body: Rect,
    buf: &mut Buffer,
) -> (Rect, Rect, usize) {
    let list_rows = (body.height as usize / 2).max(3);
    let [top, list, detail] = Layout::vertical([
        Constraint::Length(head.len() as u16),
        Constraint::Length(list_rows as u16),
        Constraint::Min(0),
    ])
    .areas(body);
    Paragraph::new(head).render(top, buf);
    // What fits: a long heading on a short terminal leaves fewer rows than asked for.
    (list, detail, (list.height as usize).max(1))
}

/// Whether the steps marked done cut `node` off: `Some(true)` cut, `Some(false)` still
/// reachable, `None` when no step is marked or the answer is being computed.
fn cut_by_marks(app: &App<'_>, marked: bool, node: NodeId) -> Option<bool> {
    if !marked {
        return None;
    }
    app.residual_blast.as_ref().map(|r| !r.contains(node))
}

pub(super) fn render_jewels(app: &App<'_>, theme: &Theme, body: Rect, buf: &mut Buffer) {
    let Some(blast) = &app.blast else {
        return Paragraph::new(computing_line(app)).render(body, buf);
    };
    let cols = body.width as usize;
    let g = app.graph;
    let jewels = app
        .jewels
        .iter()
        .filter(|&&n| g.facts(n).is_crown_jewel())
        .count();
    let marked = app.done.iter().any(|&d| d);
    let open = |jewel: bool| {
        app.jewels
            .iter()
            .filter(|&&n| g.facts(n).is_crown_jewel() == jewel)
            .filter(|&&n| cut_by_marks(app, marked, n) == Some(false))
            .count()
    };
    let mut head = wrapped(
        &format!(
            "reached: {jewels} crown jewels, {} other admins",
            app.jewels.len() - jewels
        ),
        cols,
        2,
        theme.title(),
    );
    if marked {
        let now = match &app.residual_blast {
            Some(_) => format!(
                "with the steps marked done: {} crown jewels, {} other admins still reachable",
                open(true),
                open(false)
            ),
            None => format!("{} checking the steps marked done", spinner(app)),
        };
        head.extend(wrapped(&now, cols, 2, theme.title()));
    }
    let (list, detail, list_rows) = head_list_detail(head, body, buf);
    let first = app.jewel.saturating_sub(list_rows.saturating_sub(1));
    let rows: Vec<Line> = app
        .jewels
        .iter()
        .enumerate()
        .skip(first)
        .take(list_rows)
        .map(|(i, &n)| {
            let mark = match cut_by_marks(app, marked, n) {
                Some(true) => "cut ",
                Some(false) => "OPEN",
                None => "    ",
            };
            let kind = if g.facts(n).is_crown_jewel() {
                "J"
            } else {
                "A"
            };
            let step = app
                .cut_by
                .get(&n)
                .map_or_else(|| "no step".to_string(), |r| format!("step {r}"));
            let room = cols.saturating_sub(mark.len() + step.len() + 6);
            let line = Line::raw(format!(
                "{mark} {kind} {:<room$} {step}",
                middle(&key(app, n), room)
            ));
            let line = if mark == "OPEN" {
                line.style(theme.alarm())
            } else {
                line
            };
            theme.cursor(line, i == app.jewel && app.focus == Focus::Tab)
        })
        .collect();
    Paragraph::new(rows).render(list, buf);
    let Some(&node) = app.jewels.get(app.jewel) else {
        return Paragraph::new(Line::styled("  none reached", theme.dim())).render(detail, buf);
    };
    let n = g.node(node);
    let mut lines = wrapped(
        &format!(
            "{} · criticality {} · owner {}",
            key(app, node),
            n.criticality(),
            n.owner
                .map_or_else(|| "unknown".to_string(), |o| clean(o).into_owned())
        ),
        cols,
        2,
        theme.title(),
    );
    let plan_says = match (app.cut_by.get(&node), &app.plan) {
        (Some(&rank), Some(plan)) => {
            let s = &plan.steps[rank - 1];
            format!(
                "cut by step {rank}: {} {}",
                clean(&s.action),
                target(app, &s.target)
            )
        }
        _ if app
            .plan
            .as_ref()
            .is_some_and(|p| p.admins_left.contains(&node)) =>
        {
            "no step cuts it: rated below crown-jewel criticality (raise it in the inventory)"
                .into()
        }
        _ => "no step of the plan cuts it".into(),
    };
    lines.extend(wrapped(&plan_says, cols, 2, Style::new()));
    lines.push(match cut_by_marks(app, marked, node) {
        Some(true) => Line::styled("cut off by the steps marked done", theme.good()),
        Some(false) => Line::styled("STILL REACHABLE with the steps marked done", theme.alarm()),
        None if marked => computing_line(app),
        None => Line::styled("no step marked done yet", theme.dim()),
    });
    lines.push(Line::styled("witness path", theme.dim()));
    lines.extend(path_lines(app, theme, blast, node, cols));
    Paragraph::new(lines).render(detail, buf);
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

pub(super) fn render_plan(app: &App<'_>, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(plan) = &app.plan else {
        return Paragraph::new(computing_line(app)).render(area, buf);
    };
    let cols = area.width as usize;
    let before = plan.before;
    let now = app.residual.unwrap_or(before);
    let figures = wrapped(
        &format!(
            "before {} reached · {} crown jewels → with the steps marked done {} reached · {} crown jewels · cost {} (lower bound {})",
            before.reached,
            before.crown_jewels,
            now.reached,
            now.crown_jewels,
            plan.cost,
            plan.lower_bound
        ),
        cols,
        2,
        Style::new(),
    );
    let [gauge, figures_area, list, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(figures.len() as u16),
        Constraint::Min(3),
        Constraint::Length(5),
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
    Paragraph::new(figures).render(figures_area, buf);
    let rows = list.height as usize;
    let first = app.step.saturating_sub(rows.saturating_sub(1));
    let lines: Vec<Line> = plan
        .steps
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, s)| {
            let mark = if app.done.get(i) == Some(&true) {
                "[x]"
            } else {
                "[ ]"
            };
            // The target is shortened, never the mark, the rank or the action.
            let lead = format!(
                "{mark} {:>3} {:<7} {} ",
                s.rank,
                s.phase.as_str(),
                clean(&s.action)
            );
            let room = cols.saturating_sub(crate::tui::text::width(&lead));
            let line = Line::raw(format!("{lead}{}", middle(&target(app, &s.target), room)));
            theme.cursor(line, i == app.step && app.focus == Focus::Tab)
        })
        .collect();
    Paragraph::new(lines).render(list, buf);
    if let Some(s) = plan.steps.get(app.step) {
        let mut lines = wrapped(
            &format!(
                "{}. {} (cost {}{}) · Enter: the whole step (why, owner, collateral, undo) · y copies its commands",
                s.rank,
                clean(&s.action),
                s.cost,
                if s.required { ", required" } else { "" }
            ),
            cols,
            2,
            theme.title(),
        );
        lines.truncate(2);
        lines.extend(
            s.playbook
                .commands
                .iter()
                .take(3)
                .map(|c| Line::raw(fit(&format!("$ {}", clean(c)), cols))),
        );
        Paragraph::new(lines).render(detail, buf);
    }
}

/// The selected step whole, as the text plan prints it, wrapped: why, owner,
/// collateral, live tokens, undo, figures and every command.
pub(super) fn step_whole<'a>(app: &'a App<'_>, theme: &'a Theme, cols: usize) -> Content<'a> {
    let Some(plan) = &app.plan else {
        return Content::lines(vec![computing_line(app)]);
    };
    if app.step >= plan.steps.len() {
        return Content::lines(Vec::new());
    }
    let done = if app.done.get(app.step) == Some(&true) {
        "[x] marked done"
    } else {
        "[ ] not done"
    };
    let mut head = wrapped(
        &format!("{done} · Space toggles · y copies the commands · Esc back to the steps"),
        cols,
        2,
        theme.dim(),
    );
    let text = crate::report::plan::step_text(app.graph, plan, app.step);
    for line in text.lines() {
        let line = line.strip_prefix("  ").unwrap_or(line);
        let style = if line.trim_start().starts_with('$') {
            theme.title()
        } else {
            Style::new()
        };
        // Hanging under the value reads best, unless the pane is too narrow for it.
        let hang = Some(hang(line)).filter(|&h| h <= cols / 3).unwrap_or(4);
        head.extend(wrapped(line, cols, hang, style));
    }
    Content::lines(head)
}

/// Where a wrapped line of the text plan continues: under the value of `field:  value`,
/// or past the `$ ` of a command.
fn hang(line: &str) -> usize {
    let lead = line.len() - line.trim_start().len();
    let rest = &line[lead..];
    if rest.starts_with("$ ") {
        return lead + 2;
    }
    match rest.find(":  ") {
        Some(colon) if colon < 16 => {
            let after = &rest[colon + 1..];
            lead + colon + 1 + (after.len() - after.trim_start().len())
        }
        _ => lead + 2,
    }
}
