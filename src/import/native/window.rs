//! A native document read from a stream one value at a time, each value parsed from a slice.
//!
//! serde_json reading through `io::Read` goes byte by byte and copies every string it
//! returns; from a slice it borrows them and scans strings with memchr. On a million-node
//! file the reader path alone was a quarter of the load. The file is not held whole
//! either: the document's punctuation (`{`, keys, `:`, `,`, `[`, `]`, `}`) is read here,
//! and each value (one node, one edge, the metadata) is handed to serde_json as a slice of
//! a window refilled from the stream. A value cut by the end of the window is parsed again
//! once the window holds all of it, so only the element astride each refill is parsed twice.
//!
//! A file already in memory (mapped, `import/mapped.rs`) is read through the same window
//! without copying: the window is a view of it that moves on.

use std::io;

use serde::Deserialize;

use crate::import::ImportError;

/// The window starts at 1 MiB (the size of a core's L2 here) and doubles for a value that
/// does not fit.
pub(super) const WINDOW: usize = 1 << 20;

/// Why a value was not taken: the JSON itself (its place is relative to the value's start),
/// or what the caller found wrong in a well-formed value.
pub(super) enum Fail {
    Json(serde_json::Error),
    Invalid(String),
}

impl From<serde_json::Error> for Fail {
    fn from(e: serde_json::Error) -> Fail {
        Fail::Json(e)
    }
}

pub(super) struct Window<'f, 'b, R> {
    reader: R,
    file: &'f str,
    buf: Vec<u8>,
    /// The whole input when it is in memory: the window is `whole[pos..len]`, `buf` unused.
    whole: Option<View<'f, 'b>>,
    /// The size the window starts at.
    first: usize,
    /// The next byte not yet read, and the end of the bytes held.
    pos: usize,
    len: usize,
    eof: bool,
    /// The file offset of `buf[0]` (of the input's first byte in a view: 0), and how
    /// many times the window was refilled or moved.
    base: u64,
    fills: u64,
    /// Place of `buf[0]` (in a view, of the first byte) in the file: 1-based line, and
    /// the bytes before it on its line. The place of a later byte is worked out only for
    /// an error (counting lines as values go by cost more than the lines are worth; in a
    /// view, an error counts them from the start, reading again pages given back).
    line: usize,
    column: usize,
}

/// An input in memory, and what to tell as the window moves through it.
struct View<'f, 'b> {
    bytes: &'b [u8],
    /// The window's size: its end is this far past the next unread byte.
    size: usize,
    /// Told the bytes held so far at each move (progress).
    moved: &'f mut dyn FnMut(usize),
    /// Told the bytes read so far when nothing else holds them (their pages can go).
    read: &'f dyn Fn(usize),
}

impl<'f, 'b> Window<'f, 'b, io::Empty> {
    /// A window over `bytes`, held in memory: `moved` is told the bytes in view at each
    /// move, `read` the bytes read whenever [`Window::release`] is called.
    pub(super) fn over(
        bytes: &'b [u8],
        file: &'f str,
        first: usize,
        moved: &'f mut dyn FnMut(usize),
        read: &'f dyn Fn(usize),
    ) -> Self {
        let mut window = Window::new(io::empty(), file, first);
        window.whole = Some(View {
            bytes,
            size: window.first,
            moved,
            read,
        });
        window
    }
}

impl<'f, 'b, R: io::Read> Window<'f, 'b, R> {
    pub(super) fn new(reader: R, file: &'f str, first: usize) -> Self {
        Window {
            reader,
            file,
            buf: Vec::new(),
            whole: None,
            first: first.max(1),
            pos: 0,
            len: 0,
            eof: false,
            base: 0,
            fills: 0,
            line: 1,
            column: 0,
        }
    }

    /// The next byte that is not JSON whitespace, left unread; `None` at the end of the file.
    pub(super) fn peek(&mut self) -> Result<Option<u8>, ImportError> {
        loop {
            let bytes = &self.bytes()[..self.len];
            let next = skip_space(bytes, self.pos);
            let found = bytes.get(next).copied();
            self.pos = next;
            if found.is_some() {
                return Ok(found);
            }
            if !self.refill()? {
                return Ok(None);
            }
        }
    }

    /// The bytes the window holds or views.
    fn bytes(&self) -> &[u8] {
        match &self.whole {
            Some(view) => view.bytes,
            None => &self.buf,
        }
    }

    /// The bytes held from the next one not yet read.
    pub(super) fn held(&self) -> &[u8] {
        &self.bytes()[self.pos..self.len]
    }

    /// [`Window::held`], for as long as the input lives when it is in memory.
    pub(super) fn viewed(&self) -> Option<&'b [u8]> {
        let view = self.whole.as_ref()?;
        Some(&view.bytes[self.pos..self.len])
    }

    /// Says that nothing but the window holds the bytes before the next unread one (no
    /// helper reads them): an input in memory may give their pages back.
    pub(super) fn release(&self) {
        if let Some(view) = &self.whole {
            (view.read)(self.pos);
        }
    }

    /// The file offset of the next byte not yet read.
    pub(super) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// How many times the window was refilled: a new count is new bytes held.
    pub(super) fn fills(&self) -> u64 {
        self.fills
    }

    /// Reads `n` of the bytes held, parsed elsewhere.
    pub(super) fn skip(&mut self, n: usize) {
        debug_assert!(self.pos + n <= self.len);
        self.pos += n;
    }

    /// Reads the byte [`Window::peek`] returned.
    pub(super) fn bump(&mut self) {
        debug_assert!(self.pos < self.len);
        self.pos += 1;
    }

    /// Parses the value starting at the next byte with `take`, which is given the held
    /// bytes from there, acts on the value and returns how many bytes it used. `take` may
    /// run more than once: it must not act before its value parsed whole.
    pub(super) fn value(
        &mut self,
        mut take: impl FnMut(&[u8]) -> Result<usize, Fail>,
    ) -> Result<(), ImportError> {
        let Some(first) = self.peek()? else {
            return Err(self.error("EOF while parsing a value"));
        };
        // A number or literal ends where its text ends: it is held whole and parsed with
        // the byte after it when that is punctuation (what else follows is the document's
        // to judge), so that one cut by the window's end is not read short.
        let mut end = None;
        if matches!(first, b'-' | b'0'..=b'9' | b't' | b'f' | b'n') {
            let mut from = self.pos;
            end = loop {
                let held = &self.bytes()[from..self.len];
                if let Some(i) = held.iter().position(|&b| !is_scalar(b)) {
                    let after = from + i;
                    break Some(if is_delimiter(self.bytes()[after]) {
                        after + 1
                    } else {
                        after
                    });
                }
                if self.eof {
                    break Some(self.len);
                }
                let scanned = self.len - self.pos;
                self.refill()?;
                from = self.pos + scanned;
            };
        }
        loop {
            let held = end.unwrap_or(self.len);
            match take(&self.bytes()[self.pos..held]) {
                Ok(used) => {
                    self.pos += used;
                    return Ok(());
                }
                Err(Fail::Json(e))
                    if end.is_none()
                        && !self.eof
                        && cut_short(&e, &self.bytes()[self.pos..self.len]) =>
                {
                    self.refill()?;
                }
                Err(Fail::Json(e)) => return Err(self.json_error(&e)),
                Err(Fail::Invalid(message)) => return Err(self.error(message)),
            }
        }
    }

    /// An error at the next unread byte (at the end of the file: after the last byte, as
    /// serde_json places it).
    pub(super) fn error(&self, message: impl Into<String>) -> ImportError {
        let (line, column) = self.place();
        let at_end = self.eof && self.pos == self.len;
        ImportError::Json {
            file: self.file.to_string(),
            line,
            column: if at_end { column } else { column + 1 },
            message: message.into(),
        }
    }

    /// The 1-based line of the next unread byte, and the bytes before it on its line.
    fn place(&self) -> (usize, usize) {
        let read = &self.bytes()[..self.pos];
        match memchr::memrchr(b'\n', read) {
            Some(last) => (
                self.line + memchr::memchr_iter(b'\n', read).count(),
                self.pos - last - 1,
            ),
            None => (self.line, self.column + self.pos),
        }
    }

    /// A serde_json error from the slice starting at the next unread byte, placed in the file.
    fn json_error(&self, e: &serde_json::Error) -> ImportError {
        let ImportError::Json {
            file,
            line,
            column,
            message,
        } = ImportError::json(self.file, e)
        else {
            unreachable!("ImportError::json makes a Json error")
        };
        let (here, before) = self.place();
        let (line, column) = match line {
            0 => (here, before + 1), // an I/O error has no place
            1 => (here, before + column),
            _ => (here + line - 1, column),
        };
        ImportError::Json {
            file,
            line,
            column,
            message,
        }
    }

    /// Moves the unread bytes to the front and reads more behind them (growing the window
    /// when they fill it); in a view, moves its end on as far. False at the end of the
    /// file.
    fn refill(&mut self) -> Result<bool, ImportError> {
        if self.eof {
            return Ok(false);
        }
        self.fills += 1;
        if let Some(view) = &mut self.whole {
            // As a stream fills its buffer: the window's size from the next unread byte,
            // twice that when the unread bytes fill it, the end when it is not full.
            if self.len - self.pos == view.size {
                view.size *= 2;
            }
            let before = self.len;
            let end = self.pos + view.size;
            self.len = end.min(view.bytes.len());
            self.eof = self.len < end;
            (view.moved)(self.len);
            return Ok(self.len > before);
        }
        (self.line, self.column) = self.place();
        self.base += self.pos as u64;
        self.buf.copy_within(self.pos..self.len, 0);
        self.len -= self.pos;
        self.pos = 0;
        if self.len == self.buf.len() {
            let grown = (self.buf.len() * 2).max(self.first);
            self.buf.resize(grown, 0);
        }
        let before = self.len;
        while self.len < self.buf.len() {
            match self.reader.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.error(e.to_string())),
            }
        }
        Ok(self.len > before)
    }
}

/// Whether an error may mean no more than that the value runs on past the bytes `held`:
/// serde_json says "EOF" for most values cut short, but "invalid number" for a number cut
/// after its `e` or `-`, and refuses a cut number by its type; all of them at the end.
fn cut_short(e: &serde_json::Error, held: &[u8]) -> bool {
    if e.is_eof() {
        return true;
    }
    if e.line() == 0 {
        return false;
    }
    let line_start = match e.line() {
        1 => 0,
        n => memchr::memchr_iter(b'\n', held)
            .nth(n - 2)
            .map_or(held.len(), |i| i + 1),
    };
    line_start + e.column() + 1 >= held.len()
}

/// A byte of a number or of `true`, `false`, `null` (or of a misspelling of one).
fn is_scalar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
}

fn is_delimiter(b: u8) -> bool {
    matches!(b, b',' | b'}' | b']') || is_space(b)
}

/// JSON's white space.
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The first byte of `bytes` from `from` on that is not white space (its length when
/// there is none).
pub(super) fn skip_space(bytes: &[u8], from: usize) -> usize {
    from + bytes[from.min(bytes.len())..]
        .iter()
        .take_while(|b| is_space(**b))
        .count()
}

/// Parses one value from the start of `bytes` and says how many bytes it took.
pub(super) fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<(T, usize), Fail> {
    let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<T>();
    match values.next() {
        Some(value) => Ok((value?, values.byte_offset())),
        None => Err(Fail::Invalid("EOF while parsing a value".into())),
    }
}
