//! Binary snapshots (`FILE.tpsnap`): a loaded graph saved once, so that every later
//! command (blast, plan, path, the TUI) starts without parsing JSON again.
//!
//! Layout, little-endian 32-bit words: a 32-byte header — the magic `TPSNAP\r\n` (a
//! text-mode copy that rewrites line ends breaks it visibly), the format version, four
//! reserved (zero) bytes, the payload's length and its CRC-32 — then the payload:
//! - the string table: every distinct string once (keys, names, reasons, commands), as
//!   the end offset of each and one UTF-8 text;
//! - the writer's version and the metadata (JSON), by string id; the provenance sources;
//!   the names of the node and edge kinds the records number;
//! - the tables records point into: revoke lists (spans of entries of id, action, cost
//!   and commands), reasons, places that are not a number, conditions and techniques,
//!   node tags, credentials;
//! - the nodes, fourteen words each (`model::frozen::word`), and the edges, eight words
//!   each: ends, then the graph's own edge record (`model::store`);
//! - the nodes in key order, and each node's edges out in the adjacency's order, so that
//!   loading sorts nothing (checked, not trusted: a key order that is not strictly
//!   increasing is refused, a run that does not hold together is sorted again);
//! - the load's warnings.
//!
//! Nothing is parsed but the metadata: a load reads these arrays into the graph's own
//! (`model::frozen`), checks every index once, and allocates nothing per node or edge.
//!
//! A snapshot is trusted no more than a native graph file: its revoke commands are
//! marked as read from a file, and every index is checked, so a damaged or hostile one
//! is an error naming the file, never a panic or a wrong graph.

mod read;
mod write;

pub(crate) use read::{read, read_in_place, read_stream};
pub use write::write;

/// The first bytes of every snapshot.
pub const MAGIC: &[u8; 8] = b"TPSNAP\r\n";
/// Bumped whenever the layout changes: a snapshot of another format is refused (import
/// the inputs again), never read as something else.
const FORMAT: u32 = 3;
const HEADER: usize = 32;
/// The extension `--save` writes a snapshot for (any other writes native JSON).
pub const EXTENSION: &str = "tpsnap";

/// Whether `head` starts like a snapshot.
pub fn is_snapshot(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}
