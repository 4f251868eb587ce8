//! The plan as a ticket: a Markdown task list, one checkbox per step, commands in code
//! blocks. Untrusted names are escaped so they cannot add links, images or HTML.

use std::io::{self, Write};

use super::{PlanOut, StepOut};
use crate::report::clean;

/// Escapes prose for Markdown: every character that could start emphasis, a link, an
/// image, HTML, a table cell or code is backslash-escaped (prose never starts a line
/// here, so list and heading markers need nothing).
pub(crate) fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(s).chars() {
        if "\\`*_[]<>|~&#".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A name as an inline code span: literal, whatever it holds. The fence is longer than
/// any run of backticks inside, and padded when the name starts or ends with one.
pub(crate) fn code(s: &str) -> String {
    let s = clean(s);
    let ticks = "`".repeat(longest_run(&s) + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

fn longest_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A fence longer than any run of backticks in the block.
fn fence(lines: &[String]) -> String {
    let longest = lines.iter().map(|l| longest_run(l)).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

pub fn write_plan(out: &mut dyn Write, plan: &PlanOut<'_>) -> io::Result<()> {
    let mut names: Vec<String> = plan.starts().into_iter().map(code).collect();
    if plan.entry_points.is_some() {
        const NAMED: usize = 10;
        if names.len() > NAMED {
            let more = names.len() - NAMED;
            names.truncate(NAMED);
            names.push(format!("and {more} more (the JSON lists them all)"));
        }
        writeln!(out, "# Hardening plan")?;
        writeln!(out)?;
        writeln!(
            out,
            "Entry points an outsider holds that reach a crown jewel: {}.",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )?;
    } else {
        writeln!(out, "# Revocation plan: {}", names.join(", "))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "As of {}. Cost {} (lower bound {}, method {}). {}.",
        plan.at,
        plan.cost,
        plan.lower_bound,
        plan.method,
        if plan.complete {
            "Complete: after the required steps no crown jewel is reachable"
        } else {
            "**Incomplete**: crown jewels stay reachable (see the end)"
        }
    )?;
    writeln!(out)?;
    writeln!(out, "| | reached | crown jewels | criticality |")?;
    writeln!(out, "|---|---:|---:|---:|")?;
    writeln!(
        out,
        "| before | {} | {} | {} |",
        plan.before.reached, plan.before.crown_jewels, plan.before.criticality
    )?;
    writeln!(
        out,
        "| after the required steps | {} | {} | {} |",
        plan.after.reached, plan.after.crown_jewels, plan.after.criticality
    )?;
    writeln!(out)?;
    if let Some(note) = plan.admins_left_note(code) {
        writeln!(out, "> {note}")?;
        writeln!(out)?;
    }
    let mut phase = "";
    if !plan.uncontained.is_empty() {
        phase = "contain";
        writeln!(out, "## Contain")?;
        writeln!(out)?;
        for k in &plan.uncontained {
            writeln!(
                out,
                "- [ ] **Stop {} by hand**: no action in the inputs neutralizes it",
                code(k)
            )?;
        }
        writeln!(out)?;
    }
    for s in plan.steps.iter() {
        if s.phase != phase {
            phase = s.phase;
            writeln!(
                out,
                "## {}",
                match phase {
                    "contain" => "Contain",
                    "cut" => "Cut",
                    "rotate" => "Rotate (recommended)",
                    _ => "Verify and hunt",
                }
            )?;
            writeln!(out)?;
        }
        write_step(out, &s)?;
        writeln!(out)?;
    }
    if !plan.remaining.is_empty() {
        writeln!(out, "## Still reachable after the required steps")?;
        writeln!(out)?;
        for r in &plan.remaining {
            let path: Vec<String> = r
                .path
                .iter()
                .map(|h| format!("{} → {}", md(h.from), md(h.to)))
                .collect();
            writeln!(
                out,
                "- {}{}: {}",
                md(r.jewel),
                if r.unavoidable {
                    " (no allowed action cuts it)"
                } else {
                    " (deferred)"
                },
                path.join(", ")
            )?;
        }
    }
    Ok(())
}

fn write_step(out: &mut dyn Write, s: &StepOut<'_>) -> io::Result<()> {
    writeln!(
        out,
        "- [ ] **{}. {}** {} — owner: {}{}",
        s.rank,
        md(s.action),
        code(&s.target),
        md(s.owner),
        if s.required { "" } else { " (recommended)" }
    )?;
    writeln!(out, "  - id: {}", code(s.id))?;
    writeln!(out, "  - why: {}", md(&s.why))?;
    if s.phase != "verify" {
        let collateral: Vec<String> = s.collateral.iter().map(|k| code(k)).collect();
        writeln!(
            out,
            "  - collateral (cost {}): {}",
            s.cost,
            if collateral.is_empty() {
                "none known".into()
            } else {
                collateral.join(", ")
            }
        )?;
        writeln!(
            out,
            "  - live tokens: {}",
            match (s.kills_live_tokens, s.live_tokens) {
                (true, _) => "ended".to_string(),
                (false, Some(t)) => format!("not ended: {}", md(t)),
                (false, None) => "not ended".into(),
            }
        )?;
        writeln!(
            out,
            "  - reversible: {} — {}",
            if s.reversible { "yes" } else { "no" },
            md(s.note)
        )?;
        writeln!(
            out,
            "  - after: {} → {} reached, {} → {} crown jewels",
            s.before.reached, s.after.reached, s.before.crown_jewels, s.after.crown_jewels
        )?;
    }
    if !s.commands.is_empty() {
        let lines: Vec<String> = s.commands.iter().map(|c| clean(c).into_owned()).collect();
        let f = fence(&lines);
        writeln!(out)?;
        writeln!(out, "  {f}sh")?;
        for l in &lines {
            writeln!(out, "  {l}")?;
        }
        writeln!(out, "  {f}")?;
    }
    Ok(())
}
