//! Reading ahead on the second core: the later half of a window parsed by a helper while
//! the reader parses the earlier one.
//!
//! Parsing is most of a native load, and the adding half (`halves.rs`) leaves the second
//! core mostly idle. Once per window of a list, the reader guesses where an element starts
//! near the middle of the bytes it holds (a `{` after `}` and `,`) and hands the bytes from
//! there to a helper, which parses as many whole elements as it can into items of its own
//! (from the next such `{` when one does not parse, a few times). The guess may be wrong
//! (inside a string, or between the entries of an element's own list): the reader, parsing
//! element by element from a boundary it knows, takes the helper's items only when one of
//! its elements ends exactly where the helper started, and otherwise drops them. The helper stops at the first element that is not plainly its to read (cut
//! by the window's end, malformed, with a field trustpath does not know, naming a
//! provenance file not numbered yet, or invalid), and the reader reads on from there as if
//! alone: every error and warning is the reader's, placed and worded as ever, and the items
//! reach the graph in file order. A wrong guess costs a copy of half a window and the
//! helper's time, once per window: linear however the file is written.

use std::io;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, Scope};

use serde::Deserialize;

use super::List;
use super::convert::{Batch, Ctx, Sources};
use super::dto::strict::{EdgeDto, NodeDto};
use super::window::{Window, parse};

/// Windows holding less than this many unread bytes are read alone: too little to share.
pub(super) const MIN_SHARED: usize = 64 << 10;

/// Guesses the helper tries before it gives a window up (each costs at most a parse of
/// the bytes it holds: a few keep the whole read linear).
const TRIES: usize = 4;

/// The reader's side: the helper, and the guess it is reading from.
pub(super) struct Ahead {
    helper: Option<(SyncSender<Job>, Receiver<Done>)>,
    /// The file offset of the bytes handed to the helper, and the earliest the elements it
    /// reads may start, until its items are taken or dropped.
    pending: Option<(u64, u64)>,
    /// What the helper read, when it starts further on than the reader is.
    read: Option<Done>,
    /// The window's fill count when a guess was last made: one guess per window.
    guessed: Option<u64>,
    /// Fewer unread bytes than this are read alone.
    min: usize,
    /// Buffers back from the helper, for its next job.
    spare_bytes: Vec<u8>,
    spare_batch: Option<Batch>,
    /// Elements taken from the helper.
    taken: usize,
}

struct Job {
    bytes: Vec<u8>,
    list: List,
    sources: Sources,
    batch: Batch,
}

/// What the helper read: `count` elements from byte `start` of its bytes, the last ending
/// at byte `end`.
struct Done {
    batch: Batch,
    start: usize,
    count: usize,
    end: usize,
    bytes: Vec<u8>,
}

impl Ahead {
    /// Starts a helper in `scope`; where no thread can be started, the reader reads alone.
    pub(super) fn start<'scope>(
        scope: &'scope Scope<'scope, '_>,
        file: &'scope str,
        min: usize,
    ) -> Self {
        let (jobs, take) = mpsc::sync_channel::<Job>(1);
        let (give, done) = mpsc::sync_channel::<Done>(1);
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
        }
    }

    /// At the start of element `index` of `list`: takes the helper's elements when they
    /// start here, and returns how many (the window is then after the last); otherwise
    /// maybe hands the helper the later half of the window, and returns 0.
    pub(super) fn at_element<R: io::Read>(
        &mut self,
        window: &mut Window<'_, R>,
        ctx: &mut Ctx<'_, '_>,
        index: usize,
        list: List,
    ) -> usize {
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
                    self.spare_bytes = done.bytes;
                    self.taken += done.count;
                    return done.count;
                }
                self.recycle(done);
            }
        }
        self.guess(window, ctx, list);
        0
    }

    /// How many elements were taken from the helper.
    pub(super) fn taken(&self) -> usize {
        self.taken
    }

    /// Drops what the helper reads, if anything, at the end of a list (the next list may
    /// guess in the same window: this one's guess may have been past its end).
    pub(super) fn settle(&mut self) {
        self.guessed = None;
        if self.pending.is_some()
            && let Some(done) = self.read.take().or_else(|| self.wait())
        {
            self.pending = None;
            self.recycle(done);
        }
    }

    fn recycle(&mut self, mut done: Done) {
        done.batch.clear();
        self.spare_batch = Some(done.batch);
        self.spare_bytes = done.bytes;
    }

    /// The helper's last job, once done; none when it is gone (it then reads no more).
    fn wait(&mut self) -> Option<Done> {
        let done = self.helper.as_ref().and_then(|(_, done)| done.recv().ok());
        if done.is_none() {
            self.pending = None;
            self.helper = None;
        }
        done
    }

    /// Hands the helper the window's bytes from a likely element start past their middle.
    fn guess<R: io::Read>(&mut self, window: &Window<'_, R>, ctx: &Ctx<'_, '_>, list: List) {
        let Some((jobs, _)) = &self.helper else {
            return;
        };
        let held = window.held();
        if self.guessed == Some(window.fills()) || held.len() < self.min {
            return;
        }
        self.guessed = Some(window.fills());
        let Some(at) = element_start(held) else {
            return;
        };
        let mut bytes = std::mem::take(&mut self.spare_bytes);
        bytes.clear();
        bytes.extend_from_slice(&held[at..]);
        let job = Job {
            bytes,
            list,
            sources: ctx.sources.clone(),
            batch: self.spare_batch.take().unwrap_or_else(Batch::empty),
        };
        if jobs.send(job).is_ok() {
            let from = window.offset() + at as u64;
            self.pending = Some((from, from));
        } else {
            self.helper = None;
        }
    }
}

/// The helper: reads each job's whole elements until one is not plainly its to read.
fn help(file: &str, jobs: Receiver<Job>, done: SyncSender<Done>) {
    for job in jobs {
        let mut ctx = Ctx::helper(file, job.sources, job.batch);
        let (start, count, end) = read(&mut ctx, &job.bytes, job.list);
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

/// Reads elements from the start of `bytes` (one likely starts there, else at a later
/// likely start) while each is whole, valid and followed by a `,`; returns where the
/// first started, how many were read and where the last ended.
fn read(ctx: &mut Ctx<'_, '_>, bytes: &[u8], list: List) -> (usize, usize, usize) {
    let (mut start, mut count, mut end, mut at) = (0, 0, 0, 0);
    let mut tries = 1;
    loop {
        let used = match list {
            List::Nodes => element(ctx, &bytes[at..], |ctx, dto: NodeDto<'_>| {
                ctx.knows(dto.provenance.as_ref()) && ctx.add_node(dto, count).is_ok()
            }),
            List::Edges => element(ctx, &bytes[at..], |ctx, dto: EdgeDto<'_>| {
                ctx.knows(dto.provenance.as_ref()) && {
                    ctx.add_edge(dto, count);
                    true
                }
            }),
        };
        let Some(used) = used else {
            if count == 0
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

/// Parses one element from the start of `bytes` and adds it when `add` says it may
/// (before adding anything); the bytes it took.
fn element<'a, T: Deserialize<'a>>(
    ctx: &mut Ctx<'_, '_>,
    bytes: &'a [u8],
    add: impl FnOnce(&mut Ctx<'_, '_>, T) -> bool,
) -> Option<usize> {
    let (dto, used) = parse::<T>(bytes).ok()?;
    add(ctx, dto).then_some(used)
}

fn skip_space(bytes: &[u8], from: usize) -> usize {
    from + bytes[from.min(bytes.len())..]
        .iter()
        .take_while(|b| is_space(**b))
        .count()
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Where an element likely starts in `held`, from its middle on.
fn element_start(held: &[u8]) -> Option<usize> {
    next_start(held, held.len() / 2)
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
