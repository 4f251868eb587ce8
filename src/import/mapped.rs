//! A large input file read in place, memory-mapped: the only `unsafe` in trustpath.
//!
//! Read through `read(2)`, every byte of a native graph was copied from the page cache
//! into the reader's window, and part of each window again for the helper reading ahead:
//! a tenth of the reading thread's time, on the path every command waits for. Mapped,
//! the reader parses the page cache's bytes where they are. A snapshot is decoded from
//! them straight into the graph's arrays (its stream reader copied each byte three times).
//!
//! Why the two `unsafe` calls are sound here, and what they do not cover:
//! - A mapping is only as stable as its file. trustpath maps a regular file it only reads
//!   and never writes, for the length it had when opened. If another process writes it
//!   while it is read, the bytes may change under the parser (which then reads a broken
//!   document, as it would have read a half-written file); if another process truncates
//!   it, reading past the new end raises SIGBUS and the process dies. Exports are written
//!   once and then read: the same trade every mmap-reading tool makes (ripgrep, the
//!   linkers). `TRUSTPATH_NO_MMAP=1` reads through `read(2)` instead.
//! - Pages already parsed are given back (`MADV_DONTNEED`) so that a file larger than
//!   the graph it holds does not count twice in memory. On a shared, read-only file
//!   mapping that drops only this process's page table entries: a later read of those
//!   bytes maps the page cache again, with the same contents. No one reads them again
//!   anyway: they are behind the reader and no helper holds them (the reader gives them
//!   back only when no helper job is out: `Ahead::at_element`; a snapshot's only behind
//!   both its decoder and its checksum). An error's line is counted from the start, which
//!   reads them again.

#![allow(unsafe_code)]

use std::cell::Cell;
use std::fs;
use std::io;

#[cfg(unix)]
use memmap2::UncheckedAdvice;
use memmap2::{Mmap, MmapOptions};

/// Files smaller than this are read as a stream: mapping costs more than it saves.
const MIN_MAPPED: u64 = 4 << 20;

/// Parsed bytes are given back in steps of this many (a multiple of any page size).
const RELEASE_STEP: usize = 4 << 20;

/// A regular file mapped read-only, and how much of it was given back.
pub(crate) struct Mapped {
    map: Mmap,
    released: Cell<usize>,
}

impl Mapped {
    /// Maps the first `len` bytes of `file` (its size when opened), when it is a regular
    /// file large enough to gain from it and mapping is not turned off; `None` otherwise,
    /// or when the system refuses the mapping (the file is then read as a stream).
    pub(crate) fn of(file: &fs::File, len: u64) -> Option<Mapped> {
        if len < MIN_MAPPED || std::env::var_os("TRUSTPATH_NO_MMAP").is_some() {
            return None;
        }
        // Still a regular file, still as long: one cut short since it was opened is read
        // as a stream, which ends where the file does.
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() < len {
            return None;
        }
        let len = usize::try_from(len).ok()?;
        // SAFETY: a read-only shared mapping of a regular file, of no more than its length
        // now; what a concurrent writer or truncation would do is said above.
        let map = unsafe { MmapOptions::new().len(len).map(file) }.ok()?;
        // Read front to back: the kernel reads ahead further and drops pages behind sooner.
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        Some(Mapped {
            map,
            released: Cell::new(0),
        })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Gives back the pages of the first `read` bytes (in steps): the caller has parsed
    /// them and nothing holds them any more.
    pub(crate) fn release(&self, read: usize) -> io::Result<()> {
        let upto = read.min(self.map.len()) / RELEASE_STEP * RELEASE_STEP;
        let from = self.released.get();
        if upto <= from {
            return Ok(());
        }
        self.released.set(upto);
        give_back(&self.map, from, upto - from)
    }
}

/// Drops this process's mapping of `len` bytes from `from` (a page boundary).
#[cfg(unix)]
fn give_back(map: &Mmap, from: usize, len: usize) -> io::Result<()> {
    // SAFETY: `MADV_DONTNEED` on a shared read-only file mapping keeps its contents
    // (pages are mapped again from the page cache if read); see the module's comment.
    unsafe { map.unchecked_advise_range(UncheckedAdvice::DontNeed, from, len) }
}

/// Elsewhere the pages stay mapped until the file is read.
#[cfg(not(unix))]
fn give_back(_: &Mmap, _: usize, _: usize) -> io::Result<()> {
    Ok(())
}

impl std::fmt::Debug for Mapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapped")
            .field("len", &self.map.len())
            .field("released", &self.released.get())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    /// `unsafe` is denied for the crate and allowed in this module alone: no other file
    /// may allow it or hold an unsafe block, function or impl.
    #[test]
    fn no_other_module_holds_unsafe_code() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![root.clone()];
        let mut offending = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src is readable") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs")
                    || path == root.join("import").join("mapped.rs")
                {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("UTF-8 source");
                let words = [
                    "unsafe_code)",
                    "unsafe {",
                    "unsafe fn",
                    "unsafe impl",
                    "unsafe extern",
                ];
                if words.iter().any(|w| text.contains(w)) {
                    offending.push(path.display().to_string());
                }
            }
        }
        assert!(
            offending.is_empty(),
            "unsafe code outside import/mapped.rs: {offending:?}"
        );
    }
}
