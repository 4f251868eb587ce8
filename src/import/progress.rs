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
    pub(super) steps: Steps<'p>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.steps.reached(self.steps.done + n as u64);
        Ok(n)
    }
}

/// Progress through a file, reported a step at a time: told how far the reading has
/// reached (read through [`Counting`], or in place).
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

    /// Reports `done` when it is a step further than the last.
    pub(super) fn reached(&mut self, done: u64) {
        let before = std::mem::replace(&mut self.done, done);
        if before / STEP != done / STEP {
            (self.report)(Progress::Reading {
                file: self.file,
                done,
                total: self.total,
            });
        }
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
