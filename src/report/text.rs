//! Text for people: blast radius, paths, import summary. Every name is passed through
//! [`clean`] first: inputs are untrusted, and this goes to a terminal.

use std::cmp::Reverse;
use std::io::{self, Write};

use super::clean;
use super::json::{counts_by_edge_kind, counts_by_platform_kind};
use crate::analysis::{BlastRadius, Paths, paths::path_nodes};
use crate::import::Loaded;
use crate::model::{EdgeId, NodeId, NodeKind, TrustGraph};

/// Lines listed per kind before the text output points to JSON for the rest.
pub(super) const PER_GROUP: usize = 40;

/// Crown jewels and admins printed with their whole witness path.
const WITH_FULL_PATH: usize = 25;

/// Characters of a reason shown in one-line listings (witness paths show it whole).
pub(super) const REASON_IN_LIST: usize = 100;

pub(super) fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The "… and N more" line after a listing capped at [`PER_GROUP`].
pub(super) fn more(out: &mut dyn Write, total: usize) -> io::Result<()> {
    if total > PER_GROUP {
        writeln!(
            out,
            "    … and {} more (--format json lists them all)",
            total - PER_GROUP
        )?;
    }
    Ok(())
}

pub(super) fn node_line(graph: &TrustGraph, id: NodeId) -> String {
    let n = graph.node(id);
    let mut badges = Vec::new();
    if n.is_crown_jewel() {
        badges.push(format!("crown jewel {}", n.criticality()));
    }
    if n.admin {
        badges.push("admin".into());
    }
    if n.is_long_lived_credential() {
        badges.push("long-lived".into());
    }
    if n.kind != NodeKind::Credential && n.kind != NodeKind::Resource && n.owner.is_none() {
        badges.push("no owner".into());
    }
    let owner = n
        .owner
        .map(|o| format!(", owner {}", clean(o)))
        .unwrap_or_default();
    let badges = if badges.is_empty() {
        String::new()
    } else {
        format!("  [{}]", badges.join(", "))
    };
    format!(
        "{} ({}, {}{owner}){badges}",
        clean(n.key),
        n.kind,
        clean(n.platform)
    )
}

/// A witness path, one hop per line with its reason and conditions.
pub(super) fn write_path(
    out: &mut dyn Write,
    graph: &TrustGraph,
    from: NodeId,
    path: &[EdgeId],
    indent: &str,
) -> io::Result<()> {
    writeln!(out, "{indent}{}", clean(graph.key(from)))?;
    for &e in path {
        let edge = graph.edge(e);
        let (_, to) = graph.endpoints(e);
        let reason = if edge.reason.is_empty() {
            "(no reason given)".into()
        } else {
            clean(edge.reason)
        };
        writeln!(out, "{indent}  └─ {} → {}", edge.kind, clean(graph.key(to)))?;
        writeln!(out, "{indent}       {reason}")?;
        for c in edge.conditions {
            writeln!(out, "{indent}       ⚠ only if: {}", clean(&c.description))?;
        }
        if edge.potential {
            writeln!(
                out,
                "{indent}       ⚠ potential: depends on a resource the export cannot show"
            )?;
        }
        if edge.asserted {
            writeln!(out, "{indent}       (asserted by a person in a links file)")?;
        }
    }
    Ok(())
}

/// Names along a path on one line; a long path keeps its first three and last four
/// names, so a listing line stays short however deep the graph.
pub(super) fn compact_path(graph: &TrustGraph, from: NodeId, path: &[EdgeId]) -> String {
    const HEAD: usize = 3;
    const TAIL: usize = 4;
    let nodes = path_nodes(graph, from, path);
    let name = |n: &NodeId| clean(graph.node(*n).name).into_owned();
    if nodes.len() <= HEAD + TAIL + 1 {
        return nodes.iter().map(name).collect::<Vec<_>>().join(" → ");
    }
    let skipped = nodes.len() - HEAD - TAIL;
    let mut parts: Vec<String> = nodes[..HEAD].iter().map(name).collect();
    parts.push(format!("… {skipped} more …"));
    parts.extend(nodes[nodes.len() - TAIL..].iter().map(name));
    parts.join(" → ")
}

pub fn write_blast(out: &mut dyn Write, graph: &TrustGraph, blast: &BlastRadius) -> io::Result<()> {
    let s = &blast.summary;
    // A residual radius (`--apply-plan`) starts from every remaining foothold: name a few.
    const NAMED: usize = 8;
    let mut names: Vec<_> = blast
        .compromised
        .iter()
        .take(NAMED)
        .map(|&n| clean(graph.key(n)))
        .collect();
    if blast.compromised.len() > NAMED {
        names.push(format!("and {} more", blast.compromised.len() - NAMED).into());
    }
    writeln!(
        out,
        "Blast radius of {} as of {}",
        names.join(", "),
        blast.at
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "  {} · {} exposed but unusable",
        s.headline(),
        blast.exposed.len()
    )?;
    let kinds: Vec<_> = s.by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
    writeln!(out, "  by kind:     {}", kinds.join(", "))?;
    let platforms: Vec<_> = s
        .by_platform
        .iter()
        .map(|(p, n)| format!("{} {n}", clean(p)))
        .collect();
    writeln!(out, "  by platform: {}", platforms.join(", "))?;
    for (node, why) in &blast.compromised_unusable {
        writeln!(
            out,
            "\n  Note: {} cannot be used at {} ({}), so nothing is reached through it. \
             Was it used before that? Try an earlier --at.",
            clean(graph.key(*node)),
            blast.at,
            clean(why)
        )?;
    }

    let source_of =
        |node: NodeId, path: &[EdgeId]| path.first().map_or(node, |&e| graph.endpoints(e).0);
    let mut critical: Vec<_> = blast
        .reached
        .iter()
        .filter(|r| {
            let facts = graph.facts(r.node);
            facts.is_crown_jewel() || facts.admin
        })
        .collect();
    // Most critical first, then nearest: what a responder must see if the list is long.
    critical.sort_by_key(|r| {
        (
            Reverse(graph.facts(r.node).criticality),
            r.depth,
            graph.key_rank(r.node),
        )
    });
    if !critical.is_empty() {
        writeln!(
            out,
            "\nCrown jewels and admin identities reached ({}), with witness paths",
            critical.len()
        )?;
        for r in critical.iter().take(WITH_FULL_PATH) {
            let path = blast.path(graph, r.node);
            let mark = if r.conditional {
                " — CONDITIONAL"
            } else {
                ""
            };
            writeln!(
                out,
                "\n  {}  depth {}{mark}",
                node_line(graph, r.node),
                r.depth
            )?;
            write_path(out, graph, source_of(r.node, &path), &path, "    ")?;
        }
        if critical.len() > WITH_FULL_PATH {
            writeln!(
                out,
                "\n  … and {} more, listed by kind below (--format json has each one's path)",
                critical.len() - WITH_FULL_PATH
            )?;
        }
    }

    writeln!(
        out,
        "\nEverything reached, by kind (~ = only through unevaluated conditions)"
    )?;
    for kind in NodeKind::ALL {
        let group: Vec<_> = blast
            .reached
            .iter()
            .filter(|r| graph.facts(r.node).kind == kind)
            .collect();
        if group.is_empty() {
            continue;
        }
        writeln!(out, "\n  {kind} ({})", group.len())?;
        for r in group.iter().take(PER_GROUP) {
            let mark = if r.conditional { "~" } else { " " };
            let path = blast.path(graph, r.node);
            let via = match path.last() {
                None => "compromised".to_string(),
                Some(&e) => format!(
                    "via {}: {} — {}",
                    graph.edge(e).kind,
                    compact_path(graph, source_of(r.node, &path), &path),
                    shorten(&clean(graph.edge(e).reason), REASON_IN_LIST)
                ),
            };
            writeln!(
                out,
                "   {mark}{} d{}  {}",
                node_line(graph, r.node),
                r.depth,
                via
            )?;
        }
        more(out, group.len())?;
    }

    if !blast.exposed.is_empty() {
        writeln!(
            out,
            "\nExposed but unusable now (not counted; rotate them anyway)"
        )?;
        for x in blast.exposed.iter().take(PER_GROUP) {
            let path = blast.path(graph, x.node);
            writeln!(
                out,
                "    {} d{}  {}; seen via {}",
                node_line(graph, x.node),
                x.depth,
                clean(&x.why_unusable),
                compact_path(graph, source_of(x.node, &path), &path)
            )?;
        }
        more(out, blast.exposed.len())?;
    }
    if s.conditional > 0 {
        writeln!(
            out,
            "\nNote: {} reached node(s) depend on conditions trustpath did not evaluate (marked ~); check them before acting.",
            s.conditional
        )?;
    }
    Ok(())
}

pub fn write_paths(
    out: &mut dyn Write,
    graph: &TrustGraph,
    (from, to): (NodeId, NodeId),
    found: &Paths,
) -> io::Result<()> {
    let (a, b) = (clean(graph.key(from)), clean(graph.key(to)));
    if found.paths.is_empty() {
        return writeln!(out, "No usable path from {a} to {b}.");
    }
    for (i, path) in found.paths.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(
            out,
            "Path {} of {} ({} hops): {a} → {b}",
            i + 1,
            found.paths.len(),
            path.len()
        )?;
        write_path(out, graph, from, path, "  ")?;
    }
    if found.truncated {
        writeln!(
            out,
            "\nTRUNCATED: the search stopped after scanning {} edges (its --max-work, or 10 s); more paths may exist: raise --max-work to look further.",
            found.scanned
        )?;
    }
    Ok(())
}

pub fn write_import(out: &mut dyn Write, loaded: &Loaded) -> io::Result<()> {
    let g = &loaded.graph;
    writeln!(
        out,
        "Loaded {} file(s): {} nodes, {} edges",
        loaded.files.iter().filter(|f| f.format.is_some()).count(),
        g.node_count(),
        g.edge_count()
    )?;
    // The path goes last: gcloud's resource-name layout makes long ones
    // (`…/serviceAccounts/EMAIL/keys.json`) that would push the counts off the screen.
    let format_of = |f: &crate::import::FileReport| f.format.map_or("skipped", |f| f.as_str());
    let width = loaded
        .files
        .iter()
        .map(|f| format_of(f).len())
        .max()
        .unwrap_or(0);
    for f in &loaded.files {
        writeln!(
            out,
            "  {:>7} nodes {:>8} edges  {:width$}  {}",
            f.nodes,
            f.edges,
            format_of(f),
            clean(&f.name),
        )?;
    }
    writeln!(out, "\nNodes by platform and kind")?;
    for (platform, kinds) in counts_by_platform_kind(g) {
        let total: usize = kinds.values().sum();
        let parts: Vec<_> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
        writeln!(
            out,
            "  {:10} {:>7}  {}",
            clean(platform),
            total,
            parts.join(", ")
        )?;
    }
    writeln!(out, "\nEdges by kind")?;
    for (kind, n) in counts_by_edge_kind(g) {
        writeln!(out, "  {:18} {:>7}", kind.as_str(), n)?;
    }
    match loaded.warnings.len() {
        0 => writeln!(out, "\nNo warnings."),
        n => writeln!(
            out,
            "\n{n} warning(s), each printed on stderr as file:place: message."
        ),
    }
}
