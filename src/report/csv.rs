//! CSV: one row per reached node, for spreadsheets and tickets.

use std::borrow::Cow;
use std::io::{self, Write};

use super::{bool_str, clean};
use crate::analysis::BlastRadius;
use crate::model::TrustGraph;

/// Cells starting with these are formulas to a spreadsheet; a leading `'` keeps them text
/// (an identity named `=HYPERLINK(…)` must not run when the CSV is opened).
pub(crate) fn cell(s: &str) -> Cow<'_, str> {
    let s = clean(s);
    if s.trim_start().starts_with(['=', '+', '-', '@']) || s.starts_with(['\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        s
    }
}

/// One row per reached node, then per exposed credential: `via` is the last hop (the
/// node it is reached from); `path` the whole witness path for crown jewels and admins,
/// or every row with `all_paths` (`--paths`), so the output stays linear in the graph.
pub fn write_blast(
    out: &mut dyn Write,
    graph: &TrustGraph,
    blast: &BlastRadius,
    all_paths: bool,
) -> io::Result<()> {
    write_rows(out, graph, blast, all_paths).map_err(into_io)
}

/// Keeps an io error as it is, so that a closed pipe is still recognised as one.
pub(crate) fn into_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn write_rows(
    out: &mut dyn Write,
    graph: &TrustGraph,
    blast: &BlastRadius,
    all_paths: bool,
) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "kind",
        "platform",
        "name",
        "depth",
        "usable",
        "admin",
        "crown_jewel",
        "criticality",
        "conditional",
        "owner",
        "via",
        "path",
        "reason",
    ])?;
    let rows = blast
        .reached
        .iter()
        .map(|r| (r.node, r.depth, r.conditional, true))
        .chain(
            blast
                .exposed
                .iter()
                .map(|x| (x.node, x.depth, false, false)),
        );
    for (id, depth, conditional, usable) in rows {
        let n = graph.node(id);
        let last = blast.via(graph, id);
        let via = last.map_or(String::new(), |e| {
            let (from, _) = graph.endpoints(e);
            format!("{} -[{}]->", graph.key(from), graph.edge(e).kind)
        });
        let whole = super::whole_path(n, all_paths);
        let trail = if whole {
            blast
                .path(graph, id)
                .iter()
                .map(|&e| {
                    let (from, _) = graph.endpoints(e);
                    format!("{} -[{}]->", graph.key(from), graph.edge(e).kind)
                })
                .chain(std::iter::once(n.key.to_string()))
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            String::new()
        };
        let reason = last.map_or("compromised", |e| graph.edge(e).reason);
        let (depth, criticality) = (depth.to_string(), n.criticality().to_string());
        w.write_record([
            &*cell(n.key),
            n.kind.as_str(),
            &cell(n.platform),
            &cell(n.name),
            &depth,
            bool_str(usable),
            bool_str(n.admin),
            bool_str(n.is_crown_jewel()),
            &criticality,
            bool_str(conditional),
            &cell(n.owner.unwrap_or("")),
            &cell(&via),
            &cell(&trail),
            &cell(reason),
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("deploy"), "deploy");
        assert_eq!(cell("  =1+1"), "'  =1+1");
        assert_eq!(cell("a\x1bb"), "a\\u{1b}b");
    }
}
