//! Audit reports (`trustpath audit`): text for people, Markdown for tickets, `trustpath/audit/v1` JSON, CSV and
//! SARIF 2.1.0 for code-scanning UIs.

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
    shared_by: u32,
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
            shared_by: audit.thresholds.shared_by,
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
                nodes: f.nodes.iter().map(|&n| graph.key(n)).collect(),
                title: &f.title,
                evidence: &f.evidence,
                fix: &f.fix,
            })
            .collect(),
    };
    super::json::pretty(out, &doc)
}

pub fn write_text(out: &mut dyn Write, graph: &TrustGraph, audit: &Audit) -> io::Result<()> {
    writeln!(
        out,
        "Audit (OWASP NHI Top 10, 2025) as of {} · rotate after {} days · unused after {} days · shared by {}",
        audit.at,
        audit.thresholds.rotate_after_days,
        audit.thresholds.unused_after_days,
        audit.thresholds.shared_by
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
            .map(|&n| clean(graph.key(n)).into_owned())
            .collect();
        writeln!(
            out,
            "\n  [{}] {:?} {} — {}",
            f.severity.as_str().to_uppercase(),
            f.category,
            nodes.join(", "),
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

/// The findings as a ticket: one checkbox per finding, most severe first; names as code
/// spans, prose escaped.
pub fn write_markdown(out: &mut dyn Write, graph: &TrustGraph, audit: &Audit) -> io::Result<()> {
    use super::plan::markdown::{code, md};
    writeln!(
        out,
        "# NHI audit (OWASP NHI Top 10, 2025), as of {}\n",
        audit.at
    )?;
    let checked: Vec<String> = Category::CHECKED
        .iter()
        .map(|c| format!("{c:?} {}", c.name()))
        .collect();
    writeln!(
        out,
        "Checked: {}. Long-lived credentials older than {} days, credentials unused for {} days, shared by {} or more.\n",
        checked.join(", "),
        audit.thresholds.rotate_after_days,
        audit.thresholds.unused_after_days,
        audit.thresholds.shared_by
    )?;
    if audit.findings.is_empty() {
        writeln!(out, "No findings.")?;
        return Ok(());
    }
    for f in &audit.findings {
        let nodes: Vec<String> = f.nodes.iter().map(|&n| code(graph.key(n))).collect();
        writeln!(
            out,
            "- [ ] **{}** {:?} {}: {}",
            f.severity.as_str(),
            f.category,
            nodes.join(", "),
            md(&f.title)
        )?;
        for e in &f.evidence {
            writeln!(out, "  - {}", list_item(&md(e)))?;
        }
        if !f.fix.is_empty() {
            let fix: Vec<String> = f.fix.iter().map(|x| code(x)).collect();
            writeln!(out, "  - fix: {}", fix.join(", "))?;
        }
    }
    Ok(())
}

/// One row per finding, for spreadsheets: nodes, evidence and fixes joined by ` | `.
pub fn write_csv(out: &mut dyn Write, graph: &TrustGraph, audit: &Audit) -> io::Result<()> {
    use super::csv::{cell, into_io};
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id", "category", "severity", "nodes", "title", "evidence", "fix",
    ])
    .map_err(into_io)?;
    for f in &audit.findings {
        let nodes: Vec<&str> = f.nodes.iter().map(|&n| graph.key(n)).collect();
        w.write_record([
            &*cell(&f.id),
            &format!("{:?}", f.category),
            f.severity.as_str(),
            &cell(&nodes.join(" | ")),
            &cell(&f.title),
            &cell(&f.evidence.join(" | ")),
            &cell(&f.fix.join(" | ")),
        ])
        .map_err(into_io)?;
    }
    w.flush()
}

/// SARIF 2.1.0, for code-scanning UIs: one rule per category, one result per finding,
/// located in the input file (and line, when known) its first node was read from, with
/// the finding's id as its fingerprint so that a finding keeps its identity across runs.
pub fn write_sarif(out: &mut dyn Write, graph: &TrustGraph, audit: &Audit) -> io::Result<()> {
    use serde_json::json;
    let rules: Vec<serde_json::Value> = Category::CHECKED
        .iter()
        .map(|c| {
            json!({
                "id": format!("{c:?}"),
                "name": c.name(),
                "shortDescription": { "text": format!("OWASP NHI Top 10 (2025) {c:?}: {}", c.name()) },
                "fullDescription": { "text": c.description() },
                "help": { "text": format!("{} Each result lists the evidence and the ids of the revocation actions that fix it (trustpath plan lists them with their commands).", c.description()) },
                "helpUri": "https://owasp.org/www-project-non-human-identities-top-10/2025/",
                "properties": { "tags": ["security", "non-human-identity", format!("{c:?}")] },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = audit
        .findings
        .iter()
        .map(|f| {
            let first = graph.node(f.nodes[0]);
            let mut location = json!({
                "logicalLocations": f.nodes.iter().map(|&n| json!({
                    "name": graph.key(n),
                    "kind": "resource",
                })).collect::<Vec<_>>(),
            });
            // The input file the first node was read from, as a URI reference (a pseudo
            // source such as `<unknown>` has none); the line when the importer knows it,
            // else the file's first line, which code-scanning UIs require.
            if let Some(uri) = artifact_uri(graph.source_name(first.provenance.source)) {
                let line = match first.provenance.place {
                    crate::model::Place::Line(line) => line.max(1),
                    _ => 1,
                };
                location["physicalLocation"] = json!({
                    "artifactLocation": { "uri": uri },
                    "region": { "startLine": line },
                });
            }
            let level = match f.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low => "note",
            };
            json!({
                "ruleId": format!("{:?}", f.category),
                "level": level,
                "message": { "text": format!("{} — {}", f.title, f.evidence.join("; ")) },
                "locations": [location],
                "partialFingerprints": { "trustpathFinding/v1": &f.id },
                "properties": { "severity": f.severity.as_str(), "fix": &f.fix },
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "trustpath",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://owasp.org/www-project-non-human-identities-top-10/2025/",
                "rules": rules,
            } },
            "results": results,
        }],
    });
    super::json::pretty(out, &doc)
}

/// A source file name as a SARIF artifact URI reference: relative paths stay relative
/// (code-scanning UIs resolve them against the repository), absolute ones become `file:`
/// URIs, and every character a URI cannot hold is percent-encoded. `None` for the
/// pseudo sources importers use for what no file holds.
fn artifact_uri(source: &str) -> Option<String> {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    /// Everything but unreserved characters and `/`.
    const PATH: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'[')
        .add(b'\\')
        .add(b']')
        .add(b'^')
        .add(b'`')
        .add(b'{')
        .add(b'|')
        .add(b'}')
        .add(b':');
    if source.is_empty() || source.starts_with('<') || source == "inputs" {
        return None;
    }
    let path = source.replace('\\', "/");
    let windows_drive = path.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && path.get(1..3) == Some(":/");
    let encoded = utf8_percent_encode(&path, PATH).to_string();
    Some(if path.starts_with('/') {
        format!("file://{encoded}")
    } else if windows_drive {
        // `C:/…`: the drive letter's colon stays as it is in a file URI.
        format!(
            "file:///{}:{}",
            &path[..1],
            utf8_percent_encode(&path[2..], PATH)
        )
    } else {
        encoded
    })
}

/// Escaped prose that does not open a list of its own when it starts a list item: a
/// reason that starts with `- `, `+ ` or `1. ` stays text.
fn list_item(escaped: &str) -> String {
    let digits = escaped.bytes().take_while(u8::is_ascii_digit).count();
    let ordered = digits > 0 && matches!(escaped.as_bytes().get(digits), Some(b'.' | b')'));
    if escaped.starts_with(['-', '+']) || ordered {
        format!("\\{escaped}")
    } else {
        escaped.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::{artifact_uri, list_item};

    #[test]
    fn artifact_uris_are_uri_references() {
        assert_eq!(
            artifact_uri("sample-data/aws/gaad.json").as_deref(),
            Some("sample-data/aws/gaad.json")
        );
        assert_eq!(
            artifact_uri("/tmp/rv dir/g #1.json").as_deref(),
            Some("file:///tmp/rv%20dir/g%20%231.json")
        );
        assert_eq!(
            artifact_uri("C:\\exports\\a b.json").as_deref(),
            Some("file:///C:/exports/a%20b.json")
        );
        assert_eq!(artifact_uri("x:y.json").as_deref(), Some("x%3Ay.json"));
        assert_eq!(artifact_uri("<unknown>"), None);
    }

    #[test]
    fn evidence_does_not_open_a_list() {
        assert_eq!(list_item("- two"), "\\- two");
        assert_eq!(list_item("12. one"), "\\12. one");
        assert_eq!(list_item("12 ok"), "12 ok");
    }
}
