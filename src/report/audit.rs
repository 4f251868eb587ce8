//! Audit reports (`trustpath audit`): text for people, `trustpath/audit/v1` JSON.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::clean;
use crate::analysis::Audit;
use crate::analysis::audit::{Category, Severity};
use crate::model::TrustGraph;

#[derive(Serialize)]
struct AuditOut<'a> {
    schema: &'static str,
    at: jiff::Timestamp,
    thresholds: ThresholdsOut,
    /// The categories this version checks: a category missing here was not looked at,
    /// which is not the same as clean.
    checked: Vec<Category>,
    summary: SummaryOut,
    findings: Vec<FindingOut<'a>>,
}

#[derive(Serialize)]
struct ThresholdsOut {
    rotate_after_days: u32,
    unused_after_days: u32,
}

#[derive(Serialize)]
struct SummaryOut {
    findings: usize,
    by_severity: BTreeMap<Severity, usize>,
    by_category: BTreeMap<Category, usize>,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    id: &'a str,
    category: Category,
    severity: Severity,
    nodes: Vec<&'a str>,
    title: &'a str,
    evidence: &'a [String],
    fix: &'a [String],
}

fn summary(audit: &Audit) -> SummaryOut {
    let mut by_severity = BTreeMap::new();
    let mut by_category = BTreeMap::new();
    for f in &audit.findings {
        *by_severity.entry(f.severity).or_default() += 1;
        *by_category.entry(f.category).or_default() += 1;
    }
    SummaryOut {
        findings: audit.findings.len(),
        by_severity,
        by_category,
    }
}

/// `trustpath/audit/v1`.
pub fn write_json(out: &mut dyn Write, graph: &TrustGraph, audit: &Audit) -> io::Result<()> {
    let doc = AuditOut {
        schema: "trustpath/audit/v1",
        at: audit.at,
        thresholds: ThresholdsOut {
            rotate_after_days: audit.thresholds.rotate_after_days,
            unused_after_days: audit.thresholds.unused_after_days,
        },
        checked: Category::CHECKED.to_vec(),
        summary: summary(audit),
        findings: audit
            .findings
            .iter()
            .map(|f| FindingOut {
                id: &f.id,
                category: f.category,
                severity: f.severity,
                nodes: f.nodes.iter().map(|&n| &*graph.node(n).key).collect(),
                title: &f.title,
                evidence: &f.evidence,
                fix: &f.fix,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

pub fn write_text(out: &mut dyn Write, graph: &TrustGraph, audit: &Audit) -> io::Result<()> {
    writeln!(
        out,
        "Audit (OWASP NHI Top 10, 2025) as of {} · rotate after {} days · unused after {} days",
        audit.at, audit.thresholds.rotate_after_days, audit.thresholds.unused_after_days
    )?;
    let checked: Vec<String> = Category::CHECKED
        .iter()
        .map(|c| format!("{c:?} {}", c.name()))
        .collect();
    writeln!(out, "  checked: {}", checked.join(" · "))?;
    let s = summary(audit);
    let by: Vec<String> = s
        .by_severity
        .iter()
        .map(|(sev, n)| format!("{} {n}", sev.as_str()))
        .collect();
    writeln!(
        out,
        "  {} findings{}",
        s.findings,
        if by.is_empty() {
            String::new()
        } else {
            format!(" · {}", by.join(", "))
        }
    )?;
    for f in &audit.findings {
        let nodes: Vec<String> = f
            .nodes
            .iter()
            .map(|&n| clean(&graph.node(n).key).into_owned())
            .collect();
        writeln!(
            out,
            "\n  [{}] {:?} {} — {}",
            f.severity.as_str().to_uppercase(),
            f.category,
            nodes.join(" ← "),
            clean(&f.title)
        )?;
        for e in &f.evidence {
            writeln!(out, "      {}", clean(e))?;
        }
        if !f.fix.is_empty() {
            let fix: Vec<_> = f.fix.iter().map(|x| clean(x).into_owned()).collect();
            writeln!(out, "      fix: {}", fix.join(", "))?;
        }
        writeln!(out, "      id: {}", clean(&f.id))?;
    }
    Ok(())
}
