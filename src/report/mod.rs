//! Writers for everything trustpath prints: text for people, JSON/CSV for scripts, DOT
//! for analysts. Output DTOs live here, apart from the model, so the schemas change only
//! on purpose. Every listing is ordered by stable key (or depth, then key).

pub mod audit;
pub mod csv;
pub mod dot;
pub mod exposure;
pub mod graphml;
pub mod json;
pub mod neo4j;
pub mod opengraph;
pub mod plan;
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
pub(crate) fn whole_path(node: &crate::model::Node, all_paths: bool) -> bool {
    all_paths || node.admin || node.is_crown_jewel()
}

/// [`clean`] for multi-line messages (errors that list candidates): keeps line breaks,
/// escapes every other control character.
pub fn clean_message(s: &str) -> String {
    s.split('\n').map(clean).collect::<Vec<_>>().join("\n")
}

/// Characters a terminal would act on: controls, line separators, bidirectional
/// overrides. Reports show them escaped; commands write them escaped inside `$'…'`.
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
