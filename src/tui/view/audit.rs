//! The Audit tab: the OWASP NHI findings of the whole graph, filtered by category and
//! severity, one per row; below, the one under the cursor whole (evidence, fix, id).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use super::plan::head_list_detail;
use super::{Theme, computing_line, key, wrapped};
use crate::analysis::audit::Severity;
use crate::report::clean;
use crate::tui::app::{App, Focus};
use crate::tui::text::fit;

pub(super) fn render_audit(app: &App<'_>, theme: &Theme, body: Rect, buf: &mut Buffer) {
    let tab = &app.audit;
    let Some(audit) = &tab.audit else {
        return Paragraph::new(computing_line(app)).render(body, buf);
    };
    let cols = body.width as usize;
    let head = wrapped(
        &format!(
            "{} of {} findings · {} (f: category, v: severity)",
            tab.shown.len(),
            audit.findings.len(),
            tab.filters()
        ),
        cols,
        2,
        theme.title(),
    );
    let (list, detail, list_rows) = head_list_detail(head, body, buf);
    let first = tab.cursor.saturating_sub(list_rows.saturating_sub(1));
    let rows: Vec<Line> = tab
        .shown
        .iter()
        .enumerate()
        .skip(first)
        .take(list_rows)
        .map(|(row, &i)| {
            let f = &audit.findings[i];
            let node = f.nodes.first().map(|&n| key(app, n)).unwrap_or_default();
            let text = format!(
                "{:<8} {:<5} {node} — {}",
                f.severity.as_str(),
                format!("{:?}", f.category),
                clean(&f.title)
            );
            let line = Line::raw(fit(&text, cols));
            let line = if matches!(f.severity, Severity::Critical | Severity::High) {
                line.style(theme.alarm())
            } else {
                line
            };
            theme.cursor(line, row == tab.cursor && app.focus == Focus::Tab)
        })
        .collect();
    Paragraph::new(rows).render(list, buf);
    let Some(f) = tab.selected() else {
        let none = if audit.findings.is_empty() {
            "  no findings"
        } else {
            "  no finding passes the filters"
        };
        return Paragraph::new(Line::styled(none, theme.dim())).render(detail, buf);
    };
    let nodes: Vec<String> = f.nodes.iter().map(|&n| key(app, n)).collect();
    let mut lines = wrapped(
        &format!(
            "{} {:?} {} — {}",
            f.severity.as_str(),
            f.category,
            f.category.name(),
            nodes.join(", ")
        ),
        cols,
        2,
        theme.title(),
    );
    lines.extend(wrapped(&clean(&f.title), cols, 2, Default::default()));
    for e in &f.evidence {
        lines.extend(wrapped(
            &format!("· {}", clean(e)),
            cols,
            4,
            Default::default(),
        ));
    }
    if !f.fix.is_empty() {
        let fix: Vec<_> = f.fix.iter().map(|id| clean(id)).collect();
        lines.extend(wrapped(
            &format!("fix (plan actions): {}", fix.join(", ")),
            cols,
            2,
            Default::default(),
        ));
    }
    lines.extend(wrapped(
        &format!("id: {}", clean(&f.id)),
        cols,
        2,
        theme.dim(),
    ));
    Paragraph::new(lines).render(detail, buf);
}
