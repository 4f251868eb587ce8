//! The plan as CSV: one row per step, for spreadsheets and trackers.

use std::io::{self, Write};

use super::PlanOut;
use crate::report::bool_str;
use crate::report::csv::{cell, into_io};

pub fn write_plan(out: &mut dyn Write, plan: &PlanOut<'_>) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut rows = || -> csv::Result<()> {
        w.write_record([
            "rank",
            "phase",
            "id",
            "action",
            "target",
            "platform",
            "owner",
            "required",
            "cost",
            "kills_live_tokens",
            "live_tokens",
            "reversible",
            "reached_before",
            "reached_after",
            "crown_jewels_before",
            "crown_jewels_after",
            "criticality_after",
            "collateral",
            "why",
            "commands",
            "note",
        ])?;
        for s in plan.steps.iter() {
            w.write_record([
                s.rank.to_string().as_str(),
                s.phase,
                &cell(s.id),
                &cell(s.action),
                &cell(&s.target),
                &cell(s.platform),
                &cell(s.owner),
                bool_str(s.required),
                &s.cost.to_string(),
                bool_str(s.kills_live_tokens),
                &cell(s.live_tokens.unwrap_or("")),
                bool_str(s.reversible),
                &s.before.reached.to_string(),
                &s.after.reached.to_string(),
                &s.before.crown_jewels.to_string(),
                &s.after.crown_jewels.to_string(),
                &s.after.criticality.to_string(),
                &cell(&s.collateral.join(" ")),
                &cell(&s.why),
                // One command per line inside the quoted cell.
                &cell_lines(s.commands),
                &cell(s.note),
            ])?;
        }
        w.flush()?;
        Ok(())
    };
    rows().map_err(into_io)
}

fn cell_lines(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| cell(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}
