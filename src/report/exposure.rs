//! Exposure reports (`trustpath exposure`): who can reach the targets, ranked, as text,
//! `trustpath/exposure/v1` JSON, CSV and DOT.
//!
//! Every holder names the first hop of its witness path (the node at its end is listed
//! too, or is a target). Following first hops from an unconditional holder walks its
//! witness path; a conditional holder's next node may have a longer, unconditional path
//! of its own, so conditional holders get their whole path written, as do the outsiders'
//! ways in (public and third-party holders) — the first [`WHOLE_PATHS`] of them in rank
//! order, so that an output stays linear in the graph — or every holder with `--paths`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::bool_str;
use super::clean;
use super::csv::{cell, into_io};
use super::dot::escape;
use super::json::{HopOut, Lazy, hops};
use super::text::{PER_GROUP, REASON_IN_LIST, compact_path, more, node_line, shorten, write_path};
use crate::analysis::Exposure;
use crate::analysis::exposure::{Class, Holder};
use crate::model::{NodeKind, TrustGraph};

/// Whole witness paths written without `--paths`, at most.
pub const WHOLE_PATHS: usize = 1000;

/// Decides, holder by holder in rank order, whose whole witness path a report writes:
/// everyone's with `--paths`, else conditional and outsider holders' up to
/// [`WHOLE_PATHS`].
struct WholePaths {
    all: bool,
    written: std::cell::Cell<usize>,
}

impl WholePaths {
    fn new(all: bool) -> WholePaths {
        WholePaths {
            all,
            written: std::cell::Cell::new(0),
        }
    }

    fn take(&self, holder: &Holder) -> bool {
        if self.all {
            return true;
        }
        let wanted = holder.conditional || holder.class.is_outsider();
        let room = self.written.get() < WHOLE_PATHS;
        if wanted && room {
            self.written.set(self.written.get() + 1);
        }
        wanted && room
    }
}

#[derive(Serialize)]
#[serde(bound(serialize = "Lazy<H>: Serialize"))]
struct ExposureOut<'a, H> {
    schema: &'static str,
    at: jiff::Timestamp,
    targets: Vec<&'a str>,
    summary: SummaryOut<'a>,
    holders: Lazy<H>,
}

#[derive(Serialize)]
struct SummaryOut<'a> {
    holders: usize,
    by_class: BTreeMap<&'static str, usize>,
    conditional: usize,
    admins: usize,
    by_kind: &'a BTreeMap<NodeKind, usize>,
    by_platform: &'a BTreeMap<String, usize>,
}

#[derive(Serialize)]
struct HolderOut<'a> {
    rank: usize,
    id: &'a str,
    kind: NodeKind,
    platform: &'a str,
    name: &'a str,
    class: Class,
    depth: u32,
    conditional: bool,
    admin: bool,
    owner: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<jiff::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used: Option<jiff::Timestamp>,
    /// The first hop of the witness path; `next.to` is listed too, or is a target.
    next: Option<HopOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<Vec<HopOut<'a>>>,
}

/// `trustpath/exposure/v1`.
pub fn write_json(
    out: &mut dyn Write,
    graph: &TrustGraph,
    x: &Exposure,
    all_paths: bool,
) -> io::Result<()> {
    let s = &x.summary;
    let whole = WholePaths::new(all_paths);
    let doc = ExposureOut {
        schema: "trustpath/exposure/v1",
        at: x.at,
        targets: x.targets.iter().map(|&t| graph.key(t)).collect(),
        summary: SummaryOut {
            holders: s.holders,
            by_class: s.by_class.iter().map(|(c, &n)| (c.as_str(), n)).collect(),
            conditional: s.conditional,
            admins: s.admins,
            by_kind: &s.by_kind,
            by_platform: &s.by_platform,
        },
        holders: Lazy(|| {
            x.holders.iter().zip(1..).map(|(h, rank)| {
                let n = graph.node(h.node);
                let credential = n.credential.as_ref();
                HolderOut {
                    rank,
                    id: n.key,
                    kind: n.kind,
                    platform: n.platform,
                    name: n.name,
                    class: h.class,
                    depth: h.depth,
                    conditional: h.conditional,
                    admin: n.admin,
                    owner: n.owner,
                    created: credential.and_then(|c| c.created),
                    last_used: credential.and_then(|c| c.last_used),
                    next: hops(graph, &[h.next]).pop(),
                    path: whole.take(h).then(|| hops(graph, &x.path(graph, h))),
                }
            })
        }),
    };
    super::json::pretty(out, &doc)
}

/// Holders printed with their whole witness path.
const WITH_FULL_PATH: usize = 10;

pub fn write_text(out: &mut dyn Write, graph: &TrustGraph, x: &Exposure) -> io::Result<()> {
    let targets: Vec<_> = x.targets.iter().map(|&t| clean(graph.key(t))).collect();
    writeln!(out, "Exposure of {} as of {}", targets.join(", "), x.at)?;
    writeln!(out)?;
    let s = &x.summary;
    if x.holders.is_empty() {
        writeln!(
            out,
            "  Nothing can reach it over usable edges (dormant edges and dead or expired credentials do not count)."
        )?;
        return Ok(());
    }
    let classes: Vec<_> = s
        .by_class
        .iter()
        .map(|(c, n)| format!("{} {n}", c.as_str().replace('_', " ")))
        .collect();
    writeln!(
        out,
        "  {} nodes can reach it · {} · {} only through unevaluated conditions · {} admin",
        s.holders,
        classes.join(", "),
        s.conditional,
        s.admins
    )?;
    let first: Vec<&Holder> = x.holders.iter().take(WITH_FULL_PATH).collect();
    writeln!(
        out,
        "\nEasiest to hold first ({} of {}), with witness paths",
        first.len(),
        x.holders.len()
    )?;
    for h in first {
        let mark = if h.conditional {
            " — CONDITIONAL"
        } else {
            ""
        };
        writeln!(
            out,
            "\n  {}  {}, depth {}{mark}",
            node_line(graph, h.node),
            h.class.as_str().replace('_', " "),
            h.depth
        )?;
        write_path(out, graph, h.node, &x.path(graph, h), "    ")?;
    }
    writeln!(
        out,
        "\nEveryone who can reach it, by class (~ = only through unevaluated conditions)"
    )?;
    for class in Class::ALL {
        let group: Vec<&Holder> = x.holders.iter().filter(|h| h.class == class).collect();
        if group.is_empty() {
            continue;
        }
        writeln!(
            out,
            "\n  {} ({})",
            class.as_str().replace('_', " "),
            group.len()
        )?;
        for h in group.iter().take(PER_GROUP) {
            let mark = if h.conditional { "~" } else { " " };
            let path = x.path(graph, h);
            let reason = graph.edge(h.next).reason;
            writeln!(
                out,
                "   {mark}{} d{}  {} — {}",
                node_line(graph, h.node),
                h.depth,
                compact_path(graph, h.node, &path),
                shorten(&clean(reason), REASON_IN_LIST)
            )?;
        }
        more(out, group.len())?;
    }
    Ok(())
}

/// One row per holder, in rank order: `next` is the node its witness path goes to first;
/// `path` the whole path as the JSON writes it (see [`WholePaths`]).
pub fn write_csv(
    out: &mut dyn Write,
    graph: &TrustGraph,
    x: &Exposure,
    all_paths: bool,
) -> io::Result<()> {
    let whole = WholePaths::new(all_paths);
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "rank",
        "id",
        "kind",
        "platform",
        "name",
        "class",
        "depth",
        "conditional",
        "admin",
        "owner",
        "next",
        "reason",
        "path",
    ])
    .map_err(into_io)?;
    for (h, rank) in x.holders.iter().zip(1usize..) {
        let n = graph.node(h.node);
        let edge = graph.edge(h.next);
        let next = &graph.key(graph.endpoints(h.next).1);
        let path = if whole.take(h) {
            let hops = x.path(graph, h);
            std::iter::once(n.key)
                .chain(hops.iter().map(|&e| graph.key(graph.endpoints(e).1)))
                .collect::<Vec<_>>()
                .join(" > ")
        } else {
            String::new()
        };
        let depth = h.depth.to_string();
        let rank = rank.to_string();
        w.write_record([
            &*rank,
            &cell(n.key),
            n.kind.as_str(),
            &cell(n.platform),
            &cell(n.name),
            h.class.as_str(),
            &depth,
            bool_str(h.conditional),
            bool_str(n.admin),
            &cell(n.owner.unwrap_or("")),
            &cell(next),
            &cell(edge.reason),
            &cell(&path),
        ])
        .map_err(into_io)?;
    }
    w.flush()
}

/// The holders and their first hops, outsiders' ways in drawn in red, conditional hops
/// dashed. From an unconditional holder the arrows walk its witness path; a conditional
/// holder's arrow leads to a node whose own (unconditional) path may be longer.
pub fn write_dot(out: &mut dyn Write, graph: &TrustGraph, x: &Exposure) -> io::Result<()> {
    writeln!(out, "digraph exposure {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(
        out,
        "  node [style=filled, fontname=\"Helvetica\", fillcolor=\"#f3f4f6\"];"
    )?;
    // Generated ids in listing order: names only ever appear inside quoted labels.
    let mut ids = rustc_hash::FxHashMap::default();
    for (i, &t) in x.targets.iter().enumerate() {
        ids.insert(t, format!("t{i}"));
        writeln!(
            out,
            "  t{i} [label=\"{}\", shape=doubleoctagon, fillcolor=\"#fecaca\"];",
            escape(graph.key(t))
        )?;
    }
    for (i, h) in x.holders.iter().enumerate() {
        ids.insert(h.node, format!("h{i}"));
        let colour = if h.class.is_outsider() {
            "#fca5a5"
        } else {
            "#e5e7eb"
        };
        writeln!(
            out,
            "  h{i} [label=\"{}\\n{}\", fillcolor=\"{colour}\"];",
            escape(graph.key(h.node)),
            h.class.as_str()
        )?;
    }
    for (i, h) in x.holders.iter().enumerate() {
        let to = graph.endpoints(h.next).1;
        let Some(to) = ids.get(&to) else {
            continue;
        };
        let edge = graph.edge(h.next);
        let style = if edge.is_conditional() {
            ", style=dashed"
        } else {
            ""
        };
        writeln!(
            out,
            "  h{i} -> {to} [label=\"{}\", tooltip=\"{}\"{style}];",
            edge.kind,
            escape(edge.reason)
        )?;
    }
    writeln!(out, "}}")
}
