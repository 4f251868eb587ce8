//! Progress of a long load, reported to a callback so the library never writes to the
//! terminal itself.

use std::io::{self, Read};

/// What the loader is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// Reading a file: `done` of `total` bytes.
    Reading {
        file: &'a str,
        done: u64,
        total: u64,
    },
    /// All files read; joining references across files and building the indexes.
    Linking,
}

/// Report at most this often while reading (in bytes): often enough for a smooth
/// counter, rarely enough to cost nothing.
const STEP: u64 = 4 << 20;

/// A reader that reports how much of the file has been read.
pub(super) struct Counting<'p, R> {
    pub(super) inner: R,
    pub(super) file: &'p str,
    pub(super) total: u64,
    pub(super) done: u64,
    pub(super) report: &'p mut dyn FnMut(Progress<'_>),
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let before = self.done;
        self.done += n as u64;
        tell(self.report, self.file, self.total, before, self.done);
        Ok(n)
    }
}

/// Progress through a file read in place: told how far the reading has reached.
pub(super) struct Steps<'p> {
    file: &'p str,
    total: u64,
    done: u64,
    report: &'p mut dyn FnMut(Progress<'_>),
}

impl<'p> Steps<'p> {
    pub(super) fn new(file: &'p str, total: u64, report: &'p mut dyn FnMut(Progress<'_>)) -> Self {
        Steps {
            file,
            total,
            done: 0,
            report,
        }
    }

    pub(super) fn reached(&mut self, done: u64) {
        let before = std::mem::replace(&mut self.done, done);
        tell(self.report, self.file, self.total, before, done);
    }
}

/// Reports `done` when it is a step further than `before`.
fn tell(report: &mut dyn FnMut(Progress<'_>), file: &str, total: u64, before: u64, done: u64) {
    if before / STEP != done / STEP {
        report(Progress::Reading { file, done, total });
    }
}

/// A reader that fails once more than `limit` bytes come through it: an endless input
/// (`-i /dev/stdin` on a stream that never ends) stops with a clear error instead of
/// growing without bound.
pub(super) struct Capped<R> {
    pub(super) inner: R,
    pub(super) read: u64,
    pub(super) limit: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::other(format!(
                "larger than {} bytes, the most one input may hold (--max-input-size raises it)",
                self.limit
            )));
        }
        Ok(n)
    }
}
