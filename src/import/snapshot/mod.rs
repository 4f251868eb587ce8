//! Binary snapshots (`FILE.tpsnap`): a loaded graph saved once, so that every later
//! command (blast, plan, path, the TUI) starts without parsing JSON again.
//!
//! Layout, little-endian: a 32-byte header — the magic `TPSNAP\r\n` (a text-mode copy
//! that rewrites line ends breaks it visibly), the format version, four reserved (zero)
//! bytes, the payload's length and its CRC-32 — then the payload: a string table (every
//! distinct string once: keys, names, reasons, commands), the shared revoke lists, the
//! writer's version, the metadata as JSON, the provenance sources, the nodes, the edges,
//! the nodes' order by key (so that loading need not sort the keys again; checked, not
//! trusted) and the load's warnings. Records refer to strings, sources, lists and nodes by 32-bit
//! index, so reading is bounds checks and copies: no text is parsed but the metadata.
//!
//! A snapshot is trusted no more than a native graph file: its revoke commands are
//! marked as read from a file, and every index is checked, so a damaged or hostile one
//! is an error naming the file, never a panic or a wrong graph.

mod read;
mod write;

pub(crate) use read::{read, read_stream};
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
