//! A large input file read in place, memory-mapped: the only `unsafe` in trustpath.
//!
//! Read through `read(2)`, every byte of a native graph was copied from the page cache
//! into the reader's window, and part of each window again for the helper reading ahead:
//! a tenth of the reading thread's time, on the path every command waits for. Mapped,
//! the reader parses the page cache's bytes where they are.
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
//!   anyway: they are behind the reader and no helper holds them ([`Mapped::release`]).

#![allow(unsafe_code)]

use std::cell::Cell;
use std::fs;
use std::io;

use memmap2::{Mmap, MmapOptions, UncheckedAdvice};

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
        let len = usize::try_from(len).ok()?;
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        // SAFETY: a read-only shared mapping of a regular file, of no more than its length
        // when opened; what a concurrent writer or truncation would do is said above.
        let map = unsafe { MmapOptions::new().len(len).map(file) }.ok()?;
        // Read front to back: the kernel reads ahead further and drops pages behind sooner.
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
        // SAFETY: `MADV_DONTNEED` on a shared read-only file mapping keeps its contents
        // (pages are mapped again from the page cache if read); see the module's comment.
        unsafe {
            self.map
                .unchecked_advise_range(UncheckedAdvice::DontNeed, from, upto - from)
        }
    }
}

impl std::fmt::Debug for Mapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapped")
            .field("len", &self.map.len())
            .field("released", &self.released.get())
            .finish()
    }
}
