//! The plan as a runbook: phases in order, each step with its commands ready to paste.

use std::io::{self, Write};

use super::{FiguresOut, PlanOut, StepOut};
use crate::report::clean;

fn figures(f: &FiguresOut) -> String {
    format!(
        "{} reached · {} crown jewels · criticality {}",
        f.reached, f.crown_jewels, f.criticality
    )
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

pub fn write_plan(out: &mut dyn Write, plan: &PlanOut<'_>) -> io::Result<()> {
    if plan.entry_points.is_some() {
        writeln!(out, "Hardening plan as of {}", plan.at)?;
    } else {
        let names: Vec<_> = plan.starts().into_iter().map(clean).collect();
        writeln!(
            out,
            "Revocation plan for {} as of {}",
            names.join(", "),
            plan.at
        )?;
    }
    writeln!(out)?;
    let required = plan.steps.required();
    writeln!(out, "  before:  {}", figures(&plan.before))?;
    writeln!(
        out,
        "  after the {required} required steps: {}  {}",
        figures(&plan.after),
        if plan.complete {
            "(COMPLETE: no crown jewel reachable)"
        } else {
            "(INCOMPLETE: see the end)"
        }
    )?;
    if let Some(note) = plan.admins_left_note(|k| clean(k).into_owned()) {
        writeln!(out, "  note: {note}")?;
    }
    let how = match (plan.method, plan.optimal) {
        ("exact", _) => format!(
            "the cheapest complete set: exact search over {} candidate actions",
            plan.candidates
        ),
        ("heuristic", true) => format!(
            "the cheapest complete set: greedy and minimum cut over {} candidate actions meet the lower bound",
            plan.candidates
        ),
        ("heuristic", false) => format!(
            "greedy and minimum cut over {} candidate actions; the cheapest set may cost less, down to the bound",
            plan.candidates
        ),
        _ if plan.entry_points.is_some() => "nothing to cut".to_string(),
        _ => "nothing to cut beyond containment".to_string(),
    };
    if plan.deferred.is_empty() {
        writeln!(
            out,
            "  cost {} (lower bound {}; {how})",
            plan.cost, plan.lower_bound
        )?;
    } else {
        writeln!(
            out,
            "  cost {} within the budget of {}: {} required steps deferred; a complete plan costs at least {}",
            plan.cost,
            plan.budget.unwrap_or_default(),
            plan.deferred.len(),
            plan.lower_bound
        )?;
    }
    match (&plan.footholds, &plan.entry_points) {
        (Some(footholds), _) => writeln!(
            out,
            "  {} footholds assumed: the compromised set plus every reached credential and identity (copied keys, minted sessions)",
            footholds.len()
        )?,
        (None, Some(entries)) => {
            writeln!(
                out,
                "  {} entry points an outsider holds reach a crown jewel ({} more reach none){}",
                entries.len(),
                plan.harmless_entry_points.unwrap_or(0),
                if entries.is_empty() { "" } else { ":" }
            )?;
            const NAMED: usize = 10;
            for e in entries.iter().take(NAMED) {
                writeln!(out, "    {} — {}", clean(e.id), e.why)?;
            }
            if entries.len() > NAMED {
                writeln!(out, "    and {} more", entries.len() - NAMED)?;
            }
            match plan.undated_credentials.unwrap_or(0) {
                0 => {}
                n => writeln!(
                    out,
                    "  {n} long-lived credentials have no creation or rotation date in the inputs: their age is unknown, so they are not counted"
                )?,
            }
        }
        (None, None) => {}
    }
    if !plan.protect.is_empty() {
        let p: Vec<_> = plan.protect.iter().map(|k| clean(k)).collect();
        writeln!(out, "  protected (never disabled or cut): {}", p.join(", "))?;
    }
    let mut phase = "";
    if !plan.uncontained.is_empty() {
        phase = "contain";
        writeln!(out)?;
        writeln!(out, "{}", heading(phase))?;
        writeln!(out)?;
        writeln!(
            out,
            "  NOT CONTAINED: no action in the inputs neutralizes these compromised nodes; stop them by hand first:"
        )?;
        for k in &plan.uncontained {
            writeln!(out, "    {}", clean(k))?;
        }
    }
    for s in plan.steps.iter() {
        if s.phase != phase {
            phase = s.phase;
            writeln!(out)?;
            match (phase, &plan.entry_points) {
                ("cut", Some(_)) => writeln!(
                    out,
                    "CUT — break every path from an outsider to a crown jewel (single points of failure first)"
                )?,
                _ => writeln!(out, "{}", heading(phase))?,
            }
        }
        write_step(out, &s)?;
    }
    if !plan.uncontained.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "NOT CONTAINED: no action in the inputs neutralizes these compromised nodes; act on them by hand:"
        )?;
        for k in &plan.uncontained {
            writeln!(out, "  {}", clean(k))?;
        }
    }
    if !plan.deferred.is_empty() {
        writeln!(out)?;
        writeln!(out, "DEFERRED to stay within the budget:")?;
        for id in &plan.deferred {
            writeln!(out, "  {}", clean(id))?;
        }
    }
    if !plan.remaining.is_empty() {
        writeln!(out)?;
        writeln!(out, "STILL REACHABLE after the required steps:")?;
        for r in &plan.remaining {
            let why = if r.unavoidable {
                "no allowed action cuts every path"
            } else {
                "its cuts were deferred"
            };
            writeln!(out, "  {} ({why})", clean(r.jewel))?;
            if let Some(first) = r.path.first() {
                let mut line = format!("    {}", clean(first.from));
                for hop in &r.path {
                    line.push_str(&format!(" -[{}]-> {}", hop.kind, clean(hop.to)));
                }
                writeln!(out, "{line}")?;
            }
        }
    }
    Ok(())
}

fn heading(phase: &str) -> &'static str {
    match phase {
        "contain" => "CONTAIN — neutralize the compromised set itself",
        "cut" => {
            "CUT — break every remaining path to a crown jewel (single points of failure first)"
        }
        "rotate" => {
            "ROTATE — every other exposed credential and secret, at its issuer (recommended)"
        }
        _ => "VERIFY AND HUNT — look for persistence on every platform reached",
    }
}

pub(super) fn write_step(out: &mut dyn Write, s: &StepOut<'_>) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "  {}. [{}] {} — {}",
        s.rank,
        if s.required {
            "required"
        } else {
            "recommended"
        },
        clean(s.action),
        clean(&s.target)
    )?;
    writeln!(
        out,
        "     id:          {}{}",
        clean(s.id),
        if s.listed_in_input {
            ""
        } else {
            " (not listed in the inputs)"
        }
    )?;
    writeln!(out, "     owner:       {}", clean(s.owner))?;
    writeln!(out, "     why:         {}", clean(&s.why))?;
    if s.phase != "verify" {
        let collateral = if s.collateral.is_empty() {
            "none known".to_string()
        } else {
            let names: Vec<_> = s.collateral.iter().take(6).map(|k| clean(k)).collect();
            let more = s.collateral.len().saturating_sub(6);
            let mut c = names.join(", ");
            if more > 0 {
                c.push_str(&format!(" and {more} more"));
            }
            c
        };
        writeln!(out, "     collateral:  {collateral} (cost {})", s.cost)?;
        let live = match (s.kills_live_tokens, s.live_tokens) {
            (true, _) => "ends tokens and sessions already issued".to_string(),
            (false, Some(t)) => format!("NOT ended: {}", clean(t)),
            (false, None) => "NOT ended".to_string(),
        };
        writeln!(out, "     live tokens: {live}")?;
        writeln!(
            out,
            "     reversible:  {} — {}",
            yes_no(s.reversible),
            clean(s.note)
        )?;
        writeln!(
            out,
            "     after it:    {} → {} reached · {} → {} crown jewels",
            s.before.reached, s.after.reached, s.before.crown_jewels, s.after.crown_jewels
        )?;
    } else {
        writeln!(out, "     note:        {}", clean(s.note))?;
    }
    for c in s.commands {
        writeln!(out, "     $ {}", clean(c))?;
    }
    Ok(())
}
