//! The Audit tab's state: the findings of `trustpath audit` (computed on the worker the
//! first time the tab shows), filtered by category and severity, and the one under the
//! cursor. Enter on a finding selects its node in the list (see `App::enter`).

use crate::analysis::Audit;
use crate::analysis::audit::{Category, Finding, Severity};
use crate::model::NodeId;

const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

#[derive(Default)]
pub struct AuditTab {
    /// `None` until the worker is done.
    pub audit: Option<Box<Audit>>,
    /// The audit was asked for (it runs once: the graph does not change).
    pub requested: bool,
    pub category: Option<Category>,
    /// Only findings of this severity.
    pub severity: Option<Severity>,
    /// Indices into the audit's findings that pass the filters, in its order.
    pub shown: Vec<usize>,
    /// Row under the cursor, in `shown`.
    pub cursor: usize,
}

impl AuditTab {
    pub fn set(&mut self, audit: Box<Audit>) {
        self.audit = Some(audit);
        self.refilter();
    }

    fn refilter(&mut self) {
        let Some(audit) = &self.audit else {
            return;
        };
        self.shown = audit
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| self.category.is_none_or(|c| f.category == c))
            .filter(|(_, f)| self.severity.is_none_or(|s| f.severity == s))
            .map(|(i, _)| i)
            .collect();
        self.cursor = self.cursor.min(self.shown.len().saturating_sub(1));
    }

    /// The next category that has findings, then all of them again.
    pub fn next_category(&mut self) {
        let present = self.present(&Category::CHECKED, |f, &c| f.category == c);
        self.category = next(&present, self.category);
        self.cursor = 0;
        self.refilter();
    }

    /// The next severity that has findings, then all of them again.
    pub fn next_severity(&mut self) {
        let present = self.present(&SEVERITIES, |f, &s| f.severity == s);
        self.severity = next(&present, self.severity);
        self.cursor = 0;
        self.refilter();
    }

    /// The values of `all` that some finding has.
    fn present<T: Copy>(&self, all: &[T], has: impl Fn(&Finding, &T) -> bool) -> Vec<T> {
        let findings = self.audit.as_ref().map_or(&[][..], |a| &a.findings[..]);
        all.iter()
            .filter(|v| findings.iter().any(|f| has(f, v)))
            .copied()
            .collect()
    }

    pub fn selected(&self) -> Option<&Finding> {
        let i = *self.shown.get(self.cursor)?;
        self.audit.as_ref()?.findings.get(i)
    }

    /// The node Enter goes to: the finding's first.
    pub fn node(&self) -> Option<NodeId> {
        self.selected()?.nodes.first().copied()
    }

    /// What the filters show, for the tab's heading.
    pub fn filters(&self) -> String {
        let category = self.category.map_or_else(
            || "every category".to_string(),
            |c| format!("{c:?} {}", c.name()),
        );
        let severity = self.severity.map_or("every severity", Severity::as_str);
        format!("{category} · {severity}")
    }
}

/// The item after `current` in `all`, `None` (no filter) after the last.
fn next<T: Copy + PartialEq>(all: &[T], current: Option<T>) -> Option<T> {
    match current.and_then(|c| all.iter().position(|&x| x == c)) {
        None => all.first().copied(),
        Some(i) => all.get(i + 1).copied(),
    }
}
