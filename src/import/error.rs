//! Import errors (fatal: exit 2) and warnings (reported, loading goes on).

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Something that stops the import. Every variant names the file, and the place in it
/// when there is one, so a responder can open the file at the right line.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: directory holds no files", path.display())]
    EmptyDirectory { path: PathBuf },
    #[error("none of the {} input file(s) is in a format trustpath reads (formats are listed in the README):{}", skipped.len(), skipped.iter().map(|s| format!("\n  {s}")).collect::<String>())]
    NothingRecognised { skipped: Vec<Warning> },
    #[error("{file}:{line}:{column}: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}:{line}: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

impl ImportError {
    pub(crate) fn json(file: &str, err: &serde_json::Error) -> ImportError {
        // serde_json appends " at line L column C" to its messages; we print the place
        // first, compiler-style, so strip the duplicate.
        let message = err.to_string();
        let message = match message.rfind(" at line ") {
            Some(i) => redact_values(&message[..i]),
            None => redact_values(&message),
        };
        ImportError::Json {
            file: file.to_string(),
            line: err.line(),
            column: err.column(),
            message,
        }
    }
}

/// A YAML parser error as a warning's place (`line:column`) and message: its first
/// line, without the place it repeats and without the values it quotes.
pub(crate) fn yaml_error(e: &serde_saphyr::Error) -> (String, String) {
    let place = e
        .location()
        .map_or(String::new(), |l| format!("{}:{}", l.line(), l.column()));
    // The parser's first line repeats the place ("error: line 3 column 5: …").
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    let first = first
        .find("column ")
        .and_then(|i| first[i..].split_once(": "))
        .map_or(first, |(_, msg)| msg);
    (place, redact_values(first))
}

/// [`yaml_error`] for workflow files, which are parsed with libyaml (serde_norway):
/// twice as fast on the tens of thousands of files of an organisation's repositories.
pub(crate) fn workflow_yaml_error(e: &serde_norway::Error) -> (String, String) {
    let place = e
        .location()
        .map_or(String::new(), |l| format!("{}:{}", l.line(), l.column()));
    // libyaml says places inside its message ("… at line 3 column 5, while parsing a
    // flow sequence at line 2 column 3"): the first is said apart, none is kept.
    let text = e.to_string();
    let digits = |s: &str| s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let mut rest = text.lines().next().unwrap_or_default();
    let mut message = String::new();
    while let Some(i) = rest.find(" at line ") {
        message.push_str(&rest[..i]);
        rest = &rest[i + " at line ".len()..];
        rest = &rest[rest.len() - digits(rest)..];
        if let Some(col) = rest.strip_prefix(" column ") {
            rest = &col[col.len() - digits(col)..];
        }
    }
    message.push_str(rest);
    (place, redact_values(&message))
}

/// A parser's message without the values it quotes: `invalid type: string "…", expected
/// u32` can quote whatever sat where a number was expected, a secret included.
pub(crate) fn redact_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(['"', '`']) {
        let q = rest[i..].chars().next().unwrap_or('"');
        out.push_str(&rest[..=i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(q) else {
            out.push('…');
            return out;
        };
        // serde quotes a number it rejects in backticks (``invalid type: integer `1234` ``),
        // and names in them too (`` unknown variant `robot`, expected `human` ``): only
        // the number can be a value from the input's secrets.
        let quoted = &after[..end];
        let number = !quoted.is_empty()
            && quoted
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
        if q == '`' && !number {
            out.push_str(&after[..end]);
        } else {
            out.push('…');
        }
        out.push(q);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A problem that does not stop the import: an unknown field, a dangling reference, a
/// skipped file. Printed on stderr as `file:place: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: String,
    pub place: String,
    pub message: String,
}

impl Warning {
    pub fn new(file: &str, place: impl fmt::Display, message: impl Into<String>) -> Warning {
        Warning {
            file: file.to_string(),
            place: place.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.place.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.place, self.message)
        }
    }
}
