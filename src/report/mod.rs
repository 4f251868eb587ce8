//! Writers for everything trustpath prints: text for people, JSON/CSV for scripts, DOT
//! for analysts. Output DTOs live here, apart from the model, so the schemas change only
//! on purpose. Every listing is ordered by stable key (or depth, then key).

pub mod audit;
pub mod csv;
pub mod cypher;
pub mod dot;
pub mod exposure;
pub mod graphml;
pub mod json;
pub mod neo4j;
pub mod opengraph;
pub mod plan;
pub mod pretty;
pub mod text;

use std::borrow::Cow;

/// Makes untrusted text safe to print on a terminal or in a CSV cell: control characters
/// (which could move the cursor, recolour or rewrite the screen) and bidirectional
/// overrides (which reorder what the reader sees) are shown as `\u{..}` escapes.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether a blast output writes `node`'s whole witness path: always for crown jewels and
/// admins, for every node when asked (`--paths`); the others name their last hop only.
pub(crate) fn whole_path(node: crate::model::NodeRef<'_>, all_paths: bool) -> bool {
    all_paths || node.admin || node.is_crown_jewel()
}

/// [`clean`] for multi-line messages (errors that list candidates): keeps line breaks,
/// escapes every other control character.
pub fn clean_message(s: &str) -> String {
    s.split('\n').map(clean).collect::<Vec<_>>().join("\n")
}

/// Characters a terminal would act on: controls, line separators, bidirectional
/// overrides. Reports show them escaped; commands write them escaped inside `$'…'`.
/// The optional text fields of a node, by the property name the graph exports give them;
/// the absent ones left out.
pub(crate) fn node_texts<'g>(
    n: crate::model::NodeRef<'g>,
) -> impl Iterator<Item = (&'static str, &'g str)> {
    [
        ("scope", n.scope),
        ("owner", n.owner),
        ("purpose", n.purpose),
        ("environment", n.environment),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name, value?)))
}

/// A credential's type, status and dates as text, by the property name the graph exports
/// give them; the absent ones left out.
pub(crate) fn credential_texts(
    c: crate::model::Credential<&str>,
) -> impl Iterator<Item = (&'static str, String)> {
    let texts = [("credential_type", c.kind), ("status", c.status)]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?.to_string())));
    let times = [
        ("created", c.created),
        ("expires", c.expires),
        ("last_used", c.last_used),
        ("last_rotated", c.last_rotated),
    ]
    .into_iter()
    .filter_map(|(name, time)| Some((name, time?.to_string())));
    texts.chain(times)
}

/// The file an edge was read from, as the graph exports name it; `None` for an edge no
/// file gave (made by the tool itself).
pub(crate) fn edge_source<'g>(
    graph: &'g crate::model::TrustGraph,
    e: &crate::model::EdgeRef<'_>,
) -> Option<&'g str> {
    (e.provenance.source != crate::model::SourceId::default())
        .then(|| graph.source_name(e.provenance.source))
}

/// Where the graph exports that write properties one by one (a Cypher map, an OpenGraph
/// object) put them, each in its own syntax. Absent values are left out, not written as
/// null; so is an empty list.
pub(crate) trait Properties {
    fn text(&mut self, name: &str, value: &str);
    /// A number or a boolean, already spelled.
    fn raw(&mut self, name: &str, value: &str);
    fn list(&mut self, name: &str, items: &[&str]);
}

/// A node's properties as the Cypher and OpenGraph exports share them: name, platform,
/// texts, criticality, flags, `usable` as of `at`, credential facts, revoke ids (each
/// format adds its id, tags and marks).
pub(crate) fn node_properties(
    p: &mut impl Properties,
    graph: &crate::model::TrustGraph,
    id: crate::model::NodeId,
    at: jiff::Timestamp,
) {
    let n = graph.node(id);
    let facts = graph.facts(id);
    p.text("name", n.name);
    p.text("platform", n.platform);
    for (name, value) in node_texts(n) {
        p.text(name, value);
    }
    p.raw("criticality", &facts.criticality.to_string());
    p.raw("crown_jewel", bool_str(facts.is_crown_jewel()));
    p.raw("admin", bool_str(n.admin));
    p.raw("usable", bool_str(n.usable_at(at)));
    if let Some(c) = n.credential.as_ref() {
        for (name, value) in credential_texts(*c) {
            p.text(name, &value);
        }
    }
    p.list("revoke", &n.revoke.ids());
}

/// An edge's properties as the Cypher and OpenGraph exports share them (each format
/// names its ends and kind its own way).
pub(crate) fn edge_properties(
    p: &mut impl Properties,
    graph: &crate::model::TrustGraph,
    e: &crate::model::EdgeRef<'_>,
) {
    p.text("reason", e.reason);
    p.raw("dormant", bool_str(e.dormant));
    p.raw("conditional", bool_str(e.is_conditional()));
    p.list("conditions", &condition_texts(e.conditions));
    if let Some(technique) = e.technique {
        p.text("technique", technique);
    }
    p.list("revoke", &e.revoke.ids());
    if let Some(source) = edge_source(graph, e) {
        p.text("source", source);
    }
}

/// A flag as CSV, GraphML and the bulk importers spell it.
pub(crate) fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// Conditions by their human reading, as the graph exports list them.
pub(crate) fn condition_texts(conditions: &[crate::model::Condition]) -> Vec<&str> {
    conditions.iter().map(|c| c.description.as_str()).collect()
}

pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

#[cfg(test)]
mod tests {
    use super::{clean, clean_message};

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(clean("plain name"), "plain name");
        assert_eq!(clean("evil\x1b[31mred\x07"), "evil\\u{1b}[31mred\\u{7}");
        assert_eq!(clean("line\nbreak"), "line\\u{a}break");
        assert_eq!(clean("rtl\u{202E}txt"), "rtl\\u{202e}txt");
        assert_eq!(clean("café ✓"), "café ✓");
        assert_eq!(
            clean_message("no node\n  a\x1b]0;x\x07"),
            "no node\n  a\\u{1b}]0;x\\u{7}"
        );
    }
}
