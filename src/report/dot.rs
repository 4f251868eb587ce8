//! Graphviz DOT, written by hand (not petgraph's `Debug`) so that names are escaped and
//! the picture carries meaning: shape and colour by kind, clusters by platform and scope,
//! the compromised set and its blast radius highlighted.
//!
//! Escaping: node ids are generated (`n0`, `n1`, … in key order), so names only ever
//! appear inside quoted labels and tooltips. There `"` and `\` are backslash-escaped,
//! newlines become `\n`, other control characters are shown as visible `\u{..}` text,
//! and `& < > { } |` plus every non-ASCII character become numeric character references,
//! which Graphviz decodes. The file is therefore pure ASCII and no name can end a string,
//! start an HTML label, or act as record syntax.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::analysis::BlastRadius;
use crate::analysis::plan::{Plan, Target as PlanTarget};
use crate::model::{EdgeId, NodeId, NodeKind, TrustGraph};

/// Escapes text for the inside of a DOT quoted string.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '&' | '<' | '>' | '{' | '}' | '|' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\\\u{{{:x}}}", c as u32);
            }
            c if !c.is_ascii() => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn style(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Human => ("ellipse", "#fde2e4"),
        NodeKind::ServiceAccount => ("box", "#dbeafe"),
        NodeKind::Role => ("hexagon", "#e0e7ff"),
        NodeKind::Group => ("tab", "#ede9fe"),
        NodeKind::Credential => ("note", "#fef3c7"),
        NodeKind::Secret => ("cylinder", "#fde68a"),
        NodeKind::Workload => ("component", "#dcfce7"),
        NodeKind::Resource => ("box3d", "#f3f4f6"),
        NodeKind::Provider => ("invtrapezium", "#cffafe"),
    }
}

/// A DOT attribute list in which each name appears once: setting a name again replaces
/// its value in place (Graphviz takes the last of duplicates silently, and a reader
/// should not have to know that). Values are written as given, already quoted.
#[derive(Default)]
struct Attrs(Vec<(&'static str, String)>);

impl Attrs {
    fn set(&mut self, name: &'static str, value: impl Into<String>) {
        let value = value.into();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }
}

impl std::fmt::Display for Attrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (name, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}={value}")?;
        }
        Ok(())
    }
}

/// What to draw and what to highlight.
pub struct DotOptions<'a> {
    pub blast: Option<&'a BlastRadius>,
    /// Only the blast radius (reached and exposed nodes) and the edges among them.
    pub blast_only: bool,
    /// Edges and nodes a plan's steps cut, drawn in blue with the step's rank.
    pub marks: Option<&'a Marks>,
}

/// What each step of a plan cuts, by the rank of the first step that does.
#[derive(Debug, Default)]
pub struct Marks {
    pub edges: HashMap<EdgeId, usize>,
    pub nodes: HashMap<NodeId, usize>,
}

impl Marks {
    /// The cuts of a plan's listed steps.
    pub fn of_plan(plan: &Plan<'_>) -> Marks {
        let mut marks = Marks::default();
        for step in &plan.steps {
            let Some(a) = step.action_ix else {
                if let PlanTarget::Node(n) = step.target {
                    marks.nodes.entry(n).or_insert(step.rank);
                }
                continue;
            };
            let actions = &plan.actions;
            for &e in actions.edges(a) {
                marks.edges.entry(e).or_insert(step.rank);
            }
            for &n in actions.nodes(a).iter().chain(actions.sessions(a)) {
                marks.nodes.entry(n).or_insert(step.rank);
            }
        }
        marks
    }
}

pub fn write_dot(out: &mut dyn Write, graph: &TrustGraph, opts: &DotOptions<'_>) -> io::Result<()> {
    let blast = opts.blast;
    let in_blast = |n: NodeId| blast.is_some_and(|b| b.contains(n));
    let compromised = |n: NodeId| blast.is_some_and(|b| b.compromised.contains(&n));
    let keep = |n: NodeId| !opts.blast_only || in_blast(n);
    let nodes: Vec<NodeId> = graph.nodes_by_key().filter(|&n| keep(n)).collect();
    let ids: HashMap<NodeId, usize> = nodes.iter().enumerate().map(|(i, &n)| (n, i)).collect();

    let mut clusters: BTreeMap<(&str, &str), Vec<NodeId>> = BTreeMap::new();
    for &n in &nodes {
        let node = graph.node(n);
        clusters
            .entry((node.platform, node.scope.unwrap_or("")))
            .or_default()
            .push(n);
    }

    writeln!(out, "digraph trustpath {{")?;
    writeln!(
        out,
        "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, compound=true];"
    )?;
    writeln!(
        out,
        "  node [style=\"filled\", fontname=\"Helvetica\", fontsize=10, color=\"#475569\"];"
    )?;
    writeln!(
        out,
        "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#64748b\"];"
    )?;
    for (i, ((platform, scope), members)) in clusters.iter().enumerate() {
        let label = if scope.is_empty() {
            platform.to_string()
        } else {
            format!("{platform} · {scope}")
        };
        writeln!(out, "  subgraph cluster_{i} {{")?;
        writeln!(
            out,
            "    label=\"{}\"; style=\"rounded\"; color=\"#cbd5e1\";",
            escape(&label)
        )?;
        for &n in members {
            let node = graph.node(n);
            let (shape, fill) = style(node.kind);
            let mut attrs = Attrs::default();
            attrs.set(
                "label",
                format!("\"{}\\n{}\"", escape(node.name), node.kind),
            );
            attrs.set("tooltip", format!("\"{}\"", escape(node.key)));
            attrs.set("shape", shape);
            attrs.set("fillcolor", format!("\"{fill}\""));
            if node.is_crown_jewel() {
                attrs.set("peripheries", "2");
            }
            if node.admin {
                attrs.set("fontname", "\"Helvetica-Bold\"");
            }
            if compromised(n) {
                attrs.set("fillcolor", "\"#dc2626\"");
                attrs.set("fontcolor", "\"white\"");
                attrs.set("penwidth", "3");
            } else if in_blast(n) {
                attrs.set("color", "\"#dc2626\"");
                attrs.set("penwidth", "2");
            }
            if node.credential.is_some() && blast.is_some_and(|b| !node.usable_at(b.at)) {
                attrs.set("style", "\"filled,dashed\"");
            }
            // A step that cuts the node outranks the blast radius's red: the last word wins.
            if let Some(rank) = opts.marks.and_then(|m| m.nodes.get(&n)) {
                attrs.set("color", "\"#2563eb\"");
                attrs.set("penwidth", "4");
                attrs.set("xlabel", format!("\"step {rank}\""));
            }
            writeln!(out, "    n{} [{attrs}];", ids[&n])?;
        }
        writeln!(out, "  }}")?;
    }
    for &n in &nodes {
        for (e, to) in graph.outgoing(n) {
            let Some(&target) = ids.get(&to) else {
                continue;
            };
            let edge = graph.edge(e);
            let mut attrs = Attrs::default();
            attrs.set("label", format!("\"{}\"", edge.kind));
            attrs.set("tooltip", format!("\"{}\"", escape(edge.reason)));
            let traversable = blast.is_some_and(|b| graph.traversable(e, b.at));
            if edge.dormant || blast.is_some_and(|b| !graph.node(n).usable_at(b.at)) {
                attrs.set("style", "dotted");
                attrs.set("color", "\"#cbd5e1\"");
            } else if edge.is_conditional() {
                attrs.set("style", "dashed");
            }
            if let Some(rank) = opts.marks.and_then(|m| m.edges.get(&e)) {
                attrs.set("color", "\"#2563eb\"");
                attrs.set("penwidth", "3");
                attrs.set("style", "bold");
                attrs.set("xlabel", format!("\"cut by step {rank}\""));
            } else if in_blast(n) && in_blast(to) && traversable {
                attrs.set("color", "\"#dc2626\"");
                attrs.set("penwidth", "2");
            }
            writeln!(out, "  n{} -> n{target} [{attrs}];", ids[&n])?;
        }
    }
    writeln!(out, "}}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::plan::PlanOptions;

    /// The attribute names of each `[…]` list in a DOT file (names are before `=`; values
    /// are quoted or bare words, and quoted ones never hold `", "` after escaping here).
    fn attribute_names(line: &str) -> Vec<&str> {
        let Some(list) = line.split_once(" [").map(|(_, l)| l) else {
            return Vec::new();
        };
        let mut names = Vec::new();
        let mut quoted = false;
        let mut start = 0;
        for (i, c) in list.char_indices() {
            match c {
                '"' if !list[..i].ends_with('\\') => quoted = !quoted,
                '=' if !quoted => names.push(list[start..i].trim_start_matches([',', ' '])),
                ',' if !quoted => start = i,
                _ => {}
            }
        }
        names
    }

    #[test]
    fn a_marked_node_in_the_blast_radius_has_each_attribute_once() {
        let at = "2026-11-25T00:00:00Z".parse().expect("time");
        let graph = crate::import::load_sample_at(at).expect("sample").graph;
        let c = graph
            .find("github:action:tj-style/changed-files@v45")
            .expect("compromised");
        let blast = BlastRadius::compute(&graph, &[c], at);
        let plan = Plan::for_blast(&graph, &blast, &PlanOptions::new(at));
        let marks = Marks::of_plan(&plan);
        let mut out = Vec::new();
        let opts = DotOptions {
            blast: Some(&blast),
            blast_only: true,
            marks: Some(&marks),
        };
        write_dot(&mut out, &graph, &opts).expect("writes");
        let dot = String::from_utf8(out).expect("ASCII");
        assert!(dot.contains("xlabel=\"step "), "a node cut by a step");
        for line in dot.lines() {
            let mut names = attribute_names(line);
            let all = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), all, "an attribute twice in: {line}");
        }
    }

    #[test]
    fn escapes_everything_that_could_break_out() {
        assert_eq!(escape("say \"hi\""), "say \\\"hi\\\"");
        assert_eq!(escape("a\\b"), "a\\\\b");
        assert_eq!(escape("two\nlines"), "two\\nlines");
        assert_eq!(escape("<b>{x}|y&"), "&#60;b&#62;&#123;x&#125;&#124;y&#38;");
        assert_eq!(escape("café"), "caf&#233;");
        assert_eq!(escape("\x1b[31m"), "\\\\u{1b}[31m");
    }
}
