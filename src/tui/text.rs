//! Fitting text into cells: long ids shortened in the middle (their tail tells them
//! apart: the role name, the key id), and prose wrapped at word boundaries. Widths are
//! terminal columns, not bytes or chars.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Columns `s` takes on a terminal.
pub fn width(s: &str) -> usize {
    s.width()
}

/// `s` in at most `max` columns: whole when it fits, else its start and its end with
/// `…` between them (the end gets the larger share).
pub fn middle(s: &str, max: usize) -> Cow<'_, str> {
    match cut(s, max) {
        None => Cow::Borrowed(s),
        Some((head, tail)) => Cow::Owned(format!("{}…{}", &s[..head], &s[tail..])),
    }
}

/// Where [`middle`] cuts `s`: the byte length of the kept start and the byte offset of
/// the kept end, or `None` when `s` fits. Highlighting maps matched characters with it.
pub fn cut(s: &str, max: usize) -> Option<(usize, usize)> {
    if width(s) <= max {
        return None;
    }
    let room = max.saturating_sub(1);
    let (want_head, want_tail) = (room * 2 / 5, room - room * 2 / 5);
    let mut head = 0;
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > want_head {
            break;
        }
        used += w;
        head = i + c.len_utf8();
    }
    let mut tail = s.len();
    let mut used = 0;
    for (i, c) in s.char_indices().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > want_tail || i < head {
            break;
        }
        used += w;
        tail = i;
    }
    Some((head, tail))
}

/// `s` in at most `max` columns, cut at its end with `…` (for rows whose start matters
/// most).
pub fn fit(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Wraps `text` into lines of at most `max` columns, breaking at spaces (a word longer
/// than a line is split). Lines after the first start with `indent` spaces.
pub fn wrap(text: &str, max: usize, indent: usize) -> Vec<String> {
    let max = max.max(indent + 8);
    let pad = " ".repeat(indent);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for (i, word) in text.split(' ').enumerate() {
        let w = width(word);
        // A word no line can hold is split where it stands, rather than after a break.
        let splits = w > max - indent;
        if i > 0 {
            if used + 1 + w <= max || splits && used + 2 <= max {
                line.push(' ');
                used += 1;
            } else {
                lines.push(std::mem::replace(&mut line, pad.clone()));
                used = indent;
            }
        }
        if used + w <= max {
            line.push_str(word);
            used += w;
            continue;
        }
        // Longer than a whole line: split it by columns.
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > max && used > indent {
                lines.push(std::mem::replace(&mut line, pad.clone()));
                used = indent;
            }
            line.push(c);
            used += cw;
        }
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn middle_keeps_both_ends() {
        assert_eq!(middle("short", 10), "short");
        let key = "arn:aws:iam::111122223333:role/service-role/very-long-deploy-role";
        let shown = middle(key, 30);
        assert_eq!(width(&shown), 30);
        assert!(shown.starts_with("arn:aws:iam"), "{shown}");
        assert!(shown.ends_with("long-deploy-role"), "{shown}");
        assert!(shown.contains('…'));
        // Wide characters count twice.
        assert!(width(&middle("鍵鍵鍵鍵鍵鍵鍵鍵鍵鍵", 9)) <= 9);
    }

    #[test]
    fn wrap_breaks_at_spaces_and_splits_long_words() {
        assert_eq!(
            wrap(
                "gcloud iam service-accounts disable exporter@acme.iam",
                24,
                2
            ),
            [
                "gcloud iam",
                "  service-accounts",
                "  disable",
                "  exporter@acme.iam"
            ]
        );
        let long = wrap(&"x".repeat(30), 12, 2);
        assert!(long.iter().all(|l| width(l) <= 12), "{long:?}");
        assert_eq!(long.concat().replace(' ', ""), "x".repeat(30));
        assert_eq!(wrap("", 10, 0), [""]);
    }
}
