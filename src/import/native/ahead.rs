//! Runs of plain elements, read fast: the later part of a window by a helper on the
//! second core while the reader reads the earlier part.
//!
//! Parsing is most of a native load, and the adding half (`halves.rs`) leaves the second
//! core mostly idle. Once per window of a list, the reader guesses where an element starts
//! past the first five eighths of the bytes it holds (a `{` after `}` and `,`) and hands
//! the bytes from there to a helper, which parses as many whole elements as it can into
//! items of its own (from the next such `{` when one does not parse, a few times). The
//! guess may be wrong (inside a string, or between the entries of an element's own list):
//! the reader, parsing from a boundary it knows, takes the helper's items only when one of
//! its elements ends exactly where the helper started, and otherwise drops them.
//!
//! Both read a run the same way: the bytes checked to be UTF-8 once and parsed as text,
//! while each element is plainly theirs to read. The first that is not (cut by the
//! window's end, malformed, with a field trustpath does not know, invalid, or, for the
//! helper, naming a provenance file not numbered yet) ends the run, and the reader reads
//! on from there element by element (`mod.rs`): every error and warning is the reader's,
//! placed and worded as ever, and items reach the graph in file order. A wrong guess costs
//! the helper's time (and a copy of part of a window, when the input is not in memory),
//! once per window: linear however the file is written.

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, Scope};

use rustc_hash::FxHashMap;
use serde::Deserialize;

use super::List;
use super::convert::{Batch, Ctx};
use super::dto::strict::{EdgeDto, NodeDto, ProvenanceDto};
use super::fast::Plain;
use super::window::{Window, is_space, skip_space};

/// Windows holding less than this many unread bytes are read alone: too little to share.
pub(super) const MIN_SHARED: usize = 64 << 10;

/// The helper's share of a window, in sixteenths: less than half. A reader waiting for
/// the helper leaves a core idle once the adding thread has nothing queued; a helper
/// waiting for its next job leaves its core to the adding thread. (Measured, whole runs:
/// 6/16 against 8/16, 0.41–0.44 s against 0.44–0.51 s at 100k nodes, 3.9–4.3 s against
/// 4.6–4.8 s for a million.)
const HELPER_SIXTEENTHS: usize = 6;

/// Guesses the helper tries before it gives a window up (each costs at most a parse of
/// the bytes it holds: a few keep the whole read linear).
const TRIES: usize = 4;

/// The reader's side: the helper, and the guess it is reading from (in an input in
/// memory for `'b`).
pub(super) struct Ahead<'b> {
    helper: Option<(SyncSender<Job<'b>>, Receiver<Done<'b>>)>,
    /// The file offset of the bytes handed to the helper, and the earliest the elements it
    /// reads may start, until its items are taken or dropped.
    pending: Option<(u64, u64)>,
    /// What the helper read, when it starts further on than the reader is.
    read: Option<Done<'b>>,
    /// The window's fill count when a guess was last made: one guess per window.
    guessed: Option<u64>,
    /// Fewer unread bytes than this are read alone.
    min: usize,
    /// Buffers back from the helper, for its next job.
    spare_bytes: Vec<u8>,
    spare_batch: Option<Batch>,
    /// Elements taken from the helper, and jobs given it.
    taken: usize,
    jobs: usize,
}

struct Job<'b> {
    bytes: Bytes<'b>,
    list: List,
    sources: Arc<FxHashMap<Box<str>, u32>>,
    batch: Batch,
}

/// What the helper read: `count` elements from byte `start` of its bytes, the last ending
/// at byte `end`.
struct Done<'b> {
    batch: Batch,
    start: usize,
    count: usize,
    end: usize,
    bytes: Bytes<'b>,
}

/// A job's bytes: copied from the window, or where they are when the input is in memory.
enum Bytes<'b> {
    Copied(Vec<u8>),
    InPlace(&'b [u8]),
}

impl Bytes<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Copied(bytes) => bytes,
            Bytes::InPlace(bytes) => bytes,
        }
    }
}

impl<'b> Ahead<'b> {
    /// Starts a helper in `scope`; where no thread can be started, the reader reads alone.
    pub(super) fn start<'scope>(
        scope: &'scope Scope<'scope, '_>,
        file: &'scope str,
        min: usize,
    ) -> Self
    where
        'b: 'scope,
    {
        let (jobs, take) = mpsc::sync_channel::<Job<'b>>(1);
        let (give, done) = mpsc::sync_channel::<Done<'b>>(1);
        let helper = thread::Builder::new()
            .spawn_scoped(scope, move || help(file, take, give))
            .ok()
            .map(|_| (jobs, done));
        Ahead {
            helper,
            pending: None,
            read: None,
            guessed: None,
            min,
            spare_bytes: Vec::new(),
            spare_batch: None,
            taken: 0,
            jobs: 0,
        }
    }

    /// At the start of element `index` of `list`: takes the helper's elements when they
    /// start here, or, once per window, hands the helper the later part of the window and
    /// reads a run of the earlier part here; returns how many elements were read (the
    /// window is then after the last), 0 for the reader to read the next one alone.
    pub(super) fn at_element<R: io::Read>(
        &mut self,
        window: &mut Window<'_, 'b, R>,
        ctx: &mut Ctx<'_, '_>,
        index: usize,
        list: List,
    ) -> usize {
        if self.pending.is_none() {
            window.release();
        }
        if let Some((from, earliest)) = self.pending {
            let here = window.offset();
            if here < earliest {
                return 0;
            }
            if let Some(done) = self.read.take().or_else(|| self.wait()) {
                let start = from + done.start as u64;
                if here < start {
                    self.pending = Some((from, start));
                    self.read = Some(done);
                    return 0;
                }
                self.pending = None;
                if here == start && done.count > 0 {
                    window.skip(done.end - done.start);
                    self.spare_batch = Some(ctx.adopt(done.batch, index as u32));
                    self.keep_bytes(done.bytes);
                    self.taken += done.count;
                    return done.count;
                }
                self.recycle(done);
            }
        }
        if self.guessed == Some(window.fills()) {
            return 0;
        }
        // Once per window's bytes: the later part to the helper, the earlier read here the
        // same way.
        self.guessed = Some(window.fills());
        let own = self.guess(window, ctx, list);
        let (_, count, end) = read(ctx, &window.held()[..own], list, Reading::Here(index));
        window.skip(end);
        count
    }

    /// How many elements were taken from the helper, and how many jobs it was given.
    pub(super) fn shared(&self) -> (usize, usize) {
        (self.taken, self.jobs)
    }

    /// Drops what the helper reads, if anything, at the end of a list. (The next list
    /// reads the rest of this window alone: guessing again for each list would make a
    /// file of many short lists cost the lists times the window.)
    pub(super) fn settle(&mut self) {
        if self.pending.is_some()
            && let Some(done) = self.read.take().or_else(|| self.wait())
        {
            self.pending = None;
            self.recycle(done);
        }
    }

    fn recycle(&mut self, mut done: Done<'b>) {
        done.batch.clear();
        self.spare_batch = Some(done.batch);
        self.keep_bytes(done.bytes);
    }

    fn keep_bytes(&mut self, bytes: Bytes<'_>) {
        if let Bytes::Copied(bytes) = bytes {
            self.spare_bytes = bytes;
        }
    }

    /// The helper's last job, once done; none when it is gone (it panicked: the scope
    /// it runs in says so once the reader is done).
    fn wait(&mut self) -> Option<Done<'b>> {
        let done = self.helper.as_ref().and_then(|(_, done)| done.recv().ok());
        if done.is_none() {
            self.pending = None;
            self.helper = None;
        }
        done
    }

    /// Hands the helper the window's bytes from a likely element start past the reader's
    /// share;
    /// returns how many bytes are left to read here (all when none were handed over).
    fn guess<R: io::Read>(
        &mut self,
        window: &Window<'_, 'b, R>,
        ctx: &mut Ctx<'_, '_>,
        list: List,
    ) -> usize {
        let held = window.held();
        let Some((jobs, _)) = &self.helper else {
            return held.len();
        };
        // (One job at a time: a result is for the guess pending.)
        if held.len() < self.min || self.pending.is_some() {
            return held.len();
        }
        let Some(at) = element_start(held) else {
            return held.len();
        };
        // In memory, the helper reads the bytes where they are.
        let bytes = match window.viewed() {
            Some(viewed) => Bytes::InPlace(&viewed[at..]),
            None => {
                let mut bytes = std::mem::take(&mut self.spare_bytes);
                bytes.clear();
                bytes.extend_from_slice(&held[at..]);
                Bytes::Copied(bytes)
            }
        };
        let job = Job {
            bytes,
            list,
            sources: ctx.share_sources(),
            batch: self.spare_batch.take().unwrap_or_else(Batch::empty),
        };
        if jobs.send(job).is_ok() {
            self.jobs += 1;
            let from = window.offset() + at as u64;
            self.pending = Some((from, from));
            at
        } else {
            self.helper = None;
            held.len()
        }
    }
}

/// The helper: reads each job's whole elements until one is not plainly its to read.
fn help<'b>(file: &str, jobs: Receiver<Job<'b>>, done: SyncSender<Done<'b>>) {
    for job in jobs {
        let mut ctx = Ctx::helper(file, job.sources, job.batch);
        let (start, count, end) = read(&mut ctx, job.bytes.as_slice(), job.list, Reading::Ahead);
        let batch = ctx.into_batch();
        let bytes = job.bytes;
        let read = Done {
            batch,
            start,
            count,
            end,
            bytes,
        };
        if done.send(read).is_err() {
            return;
        }
    }
}

/// Who reads a run of plain elements.
#[derive(Clone, Copy, PartialEq)]
enum Reading {
    /// The reader, from the start of the element numbered so, numbering provenance files
    /// as it goes.
    Here(usize),
    /// The helper, from a guess (trying a few), with the files numbered before its bytes;
    /// its elements are numbered from 0.
    Ahead,
}

/// Reads elements from the start of `bytes` (one starts there, or likely starts there
/// when read ahead, else at a later likely start) while each is whole, valid and followed
/// by a `,`; returns where the first started, how many were read and where the last ended.
///
/// The bytes are checked to be UTF-8 once, and parsed as text: serde_json checks each
/// string of bytes on its own, a tenth of the parse for short ids and keys. (Bytes that are
/// not UTF-8 end the run: the reader, element by element, says where.)
fn read(ctx: &mut Ctx<'_, '_>, bytes: &[u8], list: List, who: Reading) -> (usize, usize, usize) {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    };
    let bytes = text.as_bytes();
    let numbered = |ctx: &Ctx<'_, '_>, p: Option<&ProvenanceDto<'_>>| match who {
        Reading::Here(_) => true,
        Reading::Ahead => ctx.knows(p),
    };
    let first = match who {
        Reading::Here(first) => first,
        Reading::Ahead => 0,
    };
    let (mut start, mut count, mut end, mut at) = (0, 0, 0, 0);
    let mut tries = 1;
    while let Some(rest) = text.get(at..) {
        let used = match list {
            List::Nodes => element(ctx, rest, |ctx, dto: NodeDto<'_>| {
                numbered(ctx, dto.provenance.as_ref()) && ctx.add_node(dto, first + count).is_ok()
            }),
            List::Edges => element(ctx, rest, |ctx, dto: EdgeDto<'_>| {
                numbered(ctx, dto.provenance.as_ref()) && {
                    ctx.add_edge(dto, first + count);
                    true
                }
            }),
        };
        let Some(used) = used else {
            if who == Reading::Ahead
                && count == 0
                && tries < TRIES
                && let Some(next) = next_start(bytes, at + 1)
            {
                (start, at, tries) = (next, next, tries + 1);
                continue;
            }
            break;
        };
        count += 1;
        end = at + used;
        let comma = skip_space(bytes, end);
        if bytes.get(comma) != Some(&b',') {
            break;
        }
        at = skip_space(bytes, comma + 1);
        if at == bytes.len() {
            break;
        }
    }
    (start, count, end.max(start))
}

/// Parses one element from the start of `text` (by hand when it has the plain shape,
/// `fast.rs`, else by serde) and adds it when `add` says it may (before adding
/// anything); the bytes it took.
fn element<'a, T: Deserialize<'a> + Plain<'a>>(
    ctx: &mut Ctx<'_, '_>,
    text: &'a str,
    add: impl FnOnce(&mut Ctx<'_, '_>, T) -> bool,
) -> Option<usize> {
    let (dto, used) = T::read(text).or_else(|| {
        let mut values = serde_json::Deserializer::from_str(text).into_iter::<T>();
        let dto = values.next()?.ok()?;
        Some((dto, values.byte_offset()))
    })?;
    add(ctx, dto).then_some(used)
}

/// Where an element likely starts in `held`, past the reader's share of it.
fn element_start(held: &[u8]) -> Option<usize> {
    next_start(held, held.len() * (16 - HELPER_SIXTEENTHS) / 16)
}

/// Where an element likely starts in `held` from byte `from` on: a `{` after `}` and `,`,
/// with white space between. Linear: each byte is looked at a bounded number of times.
fn next_start(held: &[u8], mut from: usize) -> Option<usize> {
    while let Some(i) = memchr::memchr(b',', &held[from..]) {
        let comma = from + i;
        let before = held[..comma].iter().rev().find(|b| !is_space(**b));
        let after = skip_space(held, comma + 1);
        if before == Some(&b'}') && held.get(after) == Some(&b'{') {
            return Some(after);
        }
        from = comma + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::element_start;

    #[test]
    fn guesses_a_brace_after_a_brace_and_a_comma() {
        let held = br#"{"a": 1}, {"b": 2},
  {"c": 3}"#;
        let at = element_start(held).expect("a guess");
        assert_eq!(&held[at..at + 4], br#"{"c""#);
        assert_eq!(element_start(br#"{"a": "},"}"#), None);
        assert_eq!(element_start(b"[1, 2, 3]"), None);
    }
}
