//! Where a node or edge came from: an input file and a place in it.
//!
//! File names are interned in the graph (a million edges from one file share one string);
//! the common places, "/nodes/N", "/edges/N" and "line N", are stored as numbers.

use std::fmt;
use std::sync::Arc;

/// Index of an input file name interned in a [`super::TrustGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SourceId(pub(crate) u32);

/// A place inside an input file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Place {
    #[default]
    Unknown,
    /// `/nodes/N` in a native graph file
    Node(u32),
    /// `/edges/N` in a native graph file
    Edge(u32),
    /// line N (1-based) of a text file such as a CSV
    Line(u64),
    /// any other JSON pointer or place description; shared, because an importer gives one
    /// place to every edge a record produces (a role assignment's dozens of edges clone it)
    Other(Arc<str>),
}

impl Place {
    /// Parses the text [`Place`]'s `Display` writes, so places survive a round trip.
    pub fn parse(s: &str) -> Place {
        let numbered = |prefix: &str| s.strip_prefix(prefix).and_then(|n| n.parse::<u32>().ok());
        if s.is_empty() {
            Place::Unknown
        } else if let Some(n) = numbered("/nodes/") {
            Place::Node(n)
        } else if let Some(n) = numbered("/edges/") {
            Place::Edge(n)
        } else if let Some(n) = s.strip_prefix("line ").and_then(|n| n.parse().ok()) {
            Place::Line(n)
        } else {
            Place::Other(s.into())
        }
    }
}

impl Place {
    /// A native element's place `base` elements further on: a helper reading ahead
    /// numbers the elements it reads from 0 (`import/native/ahead.rs`).
    pub(crate) fn shift(&mut self, base: u32) {
        if let Place::Node(n) | Place::Edge(n) = self {
            *n = n.wrapping_add(base);
        }
    }

    /// The place as a compiler-style suffix after `file:` ("12" for line 12, the pointer
    /// otherwise), for messages.
    pub fn in_message(&self) -> String {
        match self {
            Place::Line(n) => n.to_string(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Unknown => Ok(()),
            Place::Node(n) => write!(f, "/nodes/{n}"),
            Place::Edge(n) => write!(f, "/edges/{n}"),
            Place::Line(n) => write!(f, "line {n}"),
            Place::Other(s) => f.write_str(s),
        }
    }
}

/// The file (interned) and place a node or edge was read from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Provenance {
    pub source: SourceId,
    pub place: Place,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_round_trip_through_text() {
        for place in [
            Place::Unknown,
            Place::Node(3),
            Place::Edge(0),
            Place::Line(17),
            Place::Other("/UserDetailList/0".into()),
        ] {
            assert_eq!(Place::parse(&place.to_string()), place);
        }
        assert_eq!(Place::parse("/nodes/x"), Place::Other("/nodes/x".into()));
    }
}
