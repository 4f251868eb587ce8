//! Reading a snapshot, streamed into the arrays the graph keeps (see `model::frozen`):
//! every index checked, every size bounded by the input.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::Timestamp;
use serde::de::{DeserializeOwned, IntoDeserializer};

use super::{FORMAT, HEADER, is_snapshot};
use crate::import::{Builder, ImportError, Warning};
use crate::model::{
    Condition, Credential, EdgeKind, Extra, LazyLists, MAX_NODES, NONE, NodeKind, NodeRecord,
    NodeTables, Nodes, Packed, Parts, Place, ReadTables, SourceId, Strings, TrustGraph, word,
};

/// Reads a snapshot held in memory: see [`read_in_place`].
pub(crate) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    read_in_place(bytes, file, builder, &mut |_| {})
}

/// Reads a snapshot that lies in memory (a mapped file) where it is: each record is
/// decoded straight from its bytes into the graph's arrays, the one copy a load makes.
/// The checksum is computed on a second core meanwhile; `release` is told, as the
/// decoding moves on, how many bytes from the start neither reads again, so that a
/// mapped file's pages can be given back.
pub(crate) fn read_in_place(
    bytes: &[u8],
    file: &str,
    builder: &mut Builder,
    release: &mut dyn FnMut(usize),
) -> Result<(), ImportError> {
    let (length, crc) = header(&mut &bytes[..]).map_err(|message| invalid(file, message))?;
    let payload = &bytes[HEADER..];
    if payload.len() as u64 != length {
        return Err(truncated(file, length, payload.len() as u64));
    }
    // How far the checksum has read: pages before it and before the decoder are done.
    let summed = AtomicUsize::new(0);
    let sum = || {
        let mut hasher = crc32fast::Hasher::new();
        for chunk in payload.chunks(SUM_STEP) {
            hasher.update(chunk);
            summed.fetch_add(chunk.len(), Ordering::Release);
        }
        hasher.finalize()
    };
    let mut done = |decoded: usize| release(HEADER + decoded.min(summed.load(Ordering::Acquire)));
    let decode = || {
        let mut d = Decoder {
            input: InPlace {
                rest: payload,
                read: 0,
                done: &mut done,
            },
            at: 0,
            length,
            room: usize::MAX,
        };
        (decode(&mut d), d.at)
    };
    let (sum, (decoded, at)) = crate::cores::both(sum, decode);
    if u64::from(sum) != crc {
        return Err(mismatch(file));
    }
    let (graph, warnings) = decoded.map_err(|damage| damaged(file, damage))?;
    if at != length {
        return Err(damaged(file, (at, "unread bytes in the payload")));
    }
    install(builder, graph);
    builder.warnings.extend(warnings);
    Ok(())
}

/// Reads a snapshot from a stream (a pipe, a small file) into the graph being built:
/// alone, it is the graph, read in place; after other inputs, its nodes and edges join
/// theirs, as a native graph file's would ([`install`]). The stream is checksummed as it
/// is read; the sum is compared at the end, so a damaged snapshot fails the load however
/// far it got. `size` is the whole input's, when known (a regular file): the header must
/// agree with it before anything is allocated.
pub(crate) fn read_stream(
    mut input: impl Read,
    size: Option<u64>,
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    let (length, crc) = header(&mut input).map_err(|message| invalid(file, message))?;
    let size_known = size.is_some_and(|s| s > 0);
    if let Some(size) = size.filter(|_| size_known)
        && size != HEADER as u64 + length
    {
        return Err(truncated(file, length, size.saturating_sub(HEADER as u64)));
    }
    let mut d = Decoder {
        input: Streamed {
            input: io::BufReader::with_capacity(
                1 << 20,
                Checked {
                    inner: input,
                    crc: crc32fast::Hasher::new(),
                    read: 0,
                },
            ),
            buf: Vec::new(),
        },
        at: 0,
        length,
        // A count from a pipe is not known to fit in the input: room grows as records come.
        room: if size_known { usize::MAX } else { 1 << 16 },
    };
    let decoded = decode(&mut d);
    let at = d.at;
    // The rest of the payload is read too, for the checksum, and one byte more: anything
    // after the payload is damage itself.
    let mut input = d.input.input;
    let rest = length.saturating_sub(at).saturating_add(1);
    let extra = io::copy(&mut (&mut input).take(rest), &mut io::sink()).unwrap_or(rest);
    let checked = input.into_inner();
    if checked.read != length || u64::from(checked.crc.finalize()) != crc {
        return Err(mismatch(file));
    }
    let (graph, warnings) = decoded.map_err(|damage| damaged(file, damage))?;
    if extra > length.saturating_sub(at) {
        return Err(damaged(file, (length, "bytes after the payload")));
    }
    if extra > 0 {
        return Err(damaged(file, (at, "unread bytes in the payload")));
    }
    install(builder, graph);
    builder.warnings.extend(warnings);
    Ok(())
}

/// The checksum says how far it has read (the pages behind it may go) this many bytes at a
/// time.
const SUM_STEP: usize = 1 << 20;

fn invalid(file: &str, message: String) -> ImportError {
    ImportError::Invalid {
        file: file.to_string(),
        message,
    }
}

fn truncated(file: &str, length: u64, has: u64) -> ImportError {
    invalid(
        file,
        format!(
            "truncated or extended snapshot: its header says {length} bytes follow it, the file has {has}; import the inputs again"
        ),
    )
}

fn mismatch(file: &str) -> ImportError {
    invalid(
        file,
        "damaged or truncated snapshot: its checksum or length does not match its content; import the inputs again".into(),
    )
}

fn damaged(file: &str, (at, what): Damage) -> ImportError {
    invalid(
        file,
        format!(
            "damaged or truncated snapshot ({what} at byte {}); import the inputs again",
            at + HEADER as u64
        ),
    )
}

/// The payload's length and checksum, once the magic and the format are checked.
fn header(input: &mut impl Read) -> Result<(u64, u64), String> {
    let mut bytes = [0u8; HEADER];
    let mut got = 0;
    while got < HEADER {
        match input.read(&mut bytes[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read the snapshot's header: {e}")),
        }
    }
    if got < HEADER || !is_snapshot(&bytes) {
        return Err("not a trustpath snapshot (it is too short to hold one)".into());
    }
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
    let format = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or([0; 4]));
    if format != FORMAT {
        return Err(format!(
            "a snapshot of format {format}, and this trustpath ({}) reads format {FORMAT}: import the inputs again with this version",
            env!("CARGO_PKG_VERSION")
        ));
    }
    if bytes[12..16] != [0; 4] {
        return Err("damaged snapshot: its header's reserved bytes are not zero".into());
    }
    Ok((word(16), word(24)))
}

/// Counts and checksums what is read through it.
struct Checked<R> {
    inner: R,
    crc: crc32fast::Hasher,
    read: u64,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

/// Where in the payload something went wrong, and what was being read.
type Damage = (u64, &'static str);

/// Where the payload's bytes come from, in the pieces the decoder asks for.
trait Payload {
    /// The next `n` bytes of the payload, which holds at least that many (the decoder
    /// checks the length first); an error when the input ends sooner.
    fn take(&mut self, n: usize) -> io::Result<&[u8]>;
}

/// A payload in memory, read where it lies.
struct InPlace<'a> {
    rest: &'a [u8],
    read: usize,
    /// Told how many bytes from the start were decoded, before each piece.
    done: &'a mut dyn FnMut(usize),
}

impl Payload for InPlace<'_> {
    fn take(&mut self, n: usize) -> io::Result<&[u8]> {
        if n > self.rest.len() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        (self.done)(self.read);
        let (piece, rest) = self.rest.split_at(n);
        self.rest = rest;
        self.read += n;
        Ok(piece)
    }
}

/// A payload read from a stream, each piece into a buffer.
struct Streamed<R> {
    input: io::BufReader<Checked<R>>,
    buf: Vec<u8>,
}

impl<R: Read> Payload for Streamed<R> {
    fn take(&mut self, n: usize) -> io::Result<&[u8]> {
        self.buf.resize(n, 0);
        self.input.read_exact(&mut self.buf)?;
        Ok(&self.buf)
    }
}

struct Decoder<P> {
    input: P,
    /// Payload bytes read so far, and how many there are.
    at: u64,
    length: u64,
    /// The most records room is made for ahead of reading them.
    room: usize,
}

/// Records decoded per piece asked of the input: whole records.
const PIECE: usize = 64 << 10;

impl<P: Payload> Decoder<P> {
    /// The next `n` bytes, when the payload holds them.
    fn take(&mut self, n: usize, what: &'static str) -> Result<&[u8], Damage> {
        let at = self.at;
        if at + n as u64 > self.length {
            return Err((at, what));
        }
        let piece = self.input.take(n).map_err(|_| (at, what))?;
        self.at += n as u64;
        Ok(piece)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Damage> {
        let mut b = [0u8; N];
        b.copy_from_slice(self.take(N, what)?);
        Ok(b)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, Damage> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    /// A count of records that take at least `min` bytes each: a count the rest of the
    /// file cannot hold is damage, not an allocation of gigabytes.
    fn count(&mut self, min: u64, what: &'static str) -> Result<usize, Damage> {
        let at = self.at;
        let n = self.u32(what)?;
        if u64::from(n) * min > self.length - self.at {
            return Err((at, what));
        }
        Ok(n as usize)
    }

    /// `n` records of `N` words, each passed to `each` as it is decoded, a piece of the
    /// input at a time.
    fn each<const N: usize>(
        &mut self,
        n: usize,
        what: &'static str,
        mut each: impl FnMut([u32; N]) -> Result<(), &'static str>,
    ) -> Result<(), Damage> {
        let size = N * 4;
        let per_piece = (PIECE / size).max(1);
        let mut left = n;
        while left > 0 {
            let take = left.min(per_piece);
            let at = self.at;
            for record in self.take(take * size, what)?.chunks_exact(size) {
                let mut words = [0u32; N];
                for (w, b) in words.iter_mut().zip(record.chunks_exact(4)) {
                    *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                }
                each(words).map_err(|what| (at, what))?;
            }
            left -= take;
        }
        Ok(())
    }

    /// A count, then that many records of `N` words.
    fn records<const N: usize>(&mut self, what: &'static str) -> Result<Vec<[u32; N]>, Damage> {
        let n = self.count(4 * N as u64, what)?;
        let mut out = Vec::with_capacity(n.min(self.room));
        self.each::<N>(n, what, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// A count, then that many words.
    fn words(&mut self, what: &'static str) -> Result<Vec<u32>, Damage> {
        Ok(self.records::<1>(what)?.into_iter().map(|[w]| w).collect())
    }

    /// `n` bytes, copied a piece at a time.
    fn bytes(&mut self, n: u64, what: &'static str) -> Result<Vec<u8>, Damage> {
        if n > self.length - self.at {
            return Err((self.at, what));
        }
        let n = n as usize;
        let mut buf = Vec::with_capacity(n.min(self.room));
        while buf.len() < n {
            let piece = (n - buf.len()).min(16 * PIECE);
            buf.extend_from_slice(self.take(piece, what)?);
        }
        Ok(buf)
    }
}

/// The string table: every distinct string once, checked as UTF-8 and cut on character
/// boundaries.
fn strings<P: Payload>(d: &mut Decoder<P>) -> Result<Strings, Damage> {
    let what = "string table";
    let count = d.count(4, what)?;
    let bytes = u64::from_le_bytes(d.array(what)?);
    let mut ends = Vec::with_capacity(count.min(d.room));
    d.each::<1>(count, what, |[end]| {
        ends.push(end);
        Ok(())
    })?;
    let at = d.at;
    let text = String::from_utf8(d.bytes(bytes, what)?).map_err(|_| (at, what))?;
    Strings::new(text, ends).ok_or((at, what))
}

/// String `id` of the table, or damage at `at` when the table has no such string.
fn string(strings: &Strings, id: u32, at: Damage) -> Result<&str, Damage> {
    strings.has(id).then(|| strings.get(id)).ok_or(at)
}

/// Kinds by the strings naming them in the snapshot: a kind this version does not know is
/// damage (a snapshot is read by the version that wrote it).
fn kinds<K: DeserializeOwned>(
    d: &mut Decoder<impl Payload>,
    strings: &Strings,
    what: &'static str,
) -> Result<Vec<K>, Damage> {
    let at = d.at;
    d.words(what)?
        .into_iter()
        .map(|id| {
            let name = string(strings, id, (at, what))?;
            let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
                name.into_deserializer();
            K::deserialize(de).map_err(|_| (at, what))
        })
        .collect()
}

/// Reads the payload into a graph read in place, and the load's warnings.
fn decode<P: Payload>(d: &mut Decoder<P>) -> Result<(TrustGraph, Vec<Warning>), Damage> {
    let strings = Arc::new(strings(d)?);
    let s = |id: u32, at: u64, what: &'static str| string(&strings, id, (at, what));
    // What copies of the strings may add up to: here (reasons, places, conditions,
    // warnings, the revoke lists each made once at most), and again for the nodes when
    // the graph is thawed.
    let budget = d.length.saturating_mul(8).saturating_add(64 << 20);
    let mut copies = Budget { left: budget };
    let at = d.at;
    s(d.u32("writer")?, at, "writer")?;
    let at = d.at;
    let metadata = s(d.u32("metadata")?, at, "metadata")?;
    let metadata: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(metadata).map_err(|_| (at, "metadata"))?;
    let at = d.at;
    let mut sources = Vec::new();
    for id in d.words("sources")? {
        let name = s(id, at, "sources")?;
        // Kept twice: by id and in the map to it.
        copies.charge(2 * name.len() as u64, at)?;
        sources.push(Box::<str>::from(name));
    }
    let node_kinds: Vec<NodeKind> = kinds(d, &strings, "node kinds")?;
    let edge_kinds: Vec<EdgeKind> = kinds(d, &strings, "edge kinds")?;
    let lists_at = d.at;
    let spans = d.records::<2>("revoke lists")?;
    let entries = d.records::<5>("revoke lists")?;
    let commands = d.words("revoke lists")?;
    let lists = LazyLists::new(strings.clone(), spans, entries, commands)
        .ok_or((lists_at, "revoke lists"))?;
    // What each list costs to copy is summed on a second core while the nodes are read.
    let (list_bytes, section) = crate::cores::both(
        || lists.bytes(),
        || node_section(d, &strings, &node_kinds, &mut copies),
    );
    let all_lists = list_bytes
        .iter()
        .fold(0u64, |sum, &b| sum.saturating_add(b));
    copies.charge(all_lists, lists_at)?;
    let section = section?;
    let extras_len = section.extras.len();
    let counts = (section.nodes.len(), sources.len());
    let (places, extras) = (section.places, section.extras);
    let tables = ReadTables::new(&strings, &section.reasons, lists, places, extras, counts)
        .map_err(|what| (lists_at, what))?;
    let node_tables = NodeTables {
        strings: &strings,
        sources: sources.len(),
        lists: tables.lists(),
        list_bytes: &list_bytes,
        places: tables.places(),
        copy_budget: budget,
    };
    // The nodes are checked on a second core while the edges are read (where no thread
    // can be started, after them).
    let nodes_at = d.at;
    let (nodes, tags) = (section.nodes, section.tags);
    let (credentials, by_key) = (section.credentials, section.by_key);
    let check = || Nodes::check(nodes, tags, credentials, by_key, &node_tables);
    let (nodes, rest) = crate::cores::both(check, || {
        edges_and_rest(d, &edge_kinds, (&tables, extras_len), &strings, &mut copies)
    });
    let nodes = nodes.map_err(|what| (nodes_at, what))?;
    let (edges, ends, out_order, warnings) = rest?;
    let parts = Parts {
        strings,
        sources: sources.len(),
        nodes,
        tables,
        edges,
        ends,
        out_order,
    };
    let at = d.at;
    let graph = TrustGraph::read_in_place(parts, sources, metadata).map_err(|what| (at, what))?;
    Ok((graph, warnings))
}

/// The tables the nodes point into, the nodes and their key order, as read (checked by
/// [`Nodes::check`]).
struct NodeSection {
    reasons: Vec<u32>,
    places: Vec<Place>,
    extras: Vec<Extra>,
    tags: Vec<[u32; 2]>,
    credentials: Vec<Credential<u32>>,
    nodes: Vec<NodeRecord>,
    by_key: Vec<u32>,
}

/// Reads the records from the edges' reasons to the nodes' key order.
fn node_section<P: Payload>(
    d: &mut Decoder<P>,
    strings: &Strings,
    node_kinds: &[NodeKind],
    copies: &mut Budget,
) -> Result<NodeSection, Damage> {
    let s = |id: u32, at: u64, what: &'static str| string(strings, id, (at, what));
    let at = d.at;
    let reasons = d.words("reasons")?;
    for &r in &reasons {
        copies.charge(s(r, at, "reasons")?.len() as u64, at)?;
    }
    let at = d.at;
    let mut places = Vec::new();
    let n = d.count(12, "places")?;
    d.each::<3>(n, "places", |[tag, lo, hi]| {
        let value = u64::from(lo) | u64::from(hi) << 32;
        places.push(match (places.len(), tag) {
            (0, _) => Place::Unknown,
            (_, 3) => Place::Line(value),
            (_, 4) if value < strings.len() as u64 => {
                let text = strings.get(value as u32);
                copies
                    .charge(text.len() as u64, 0)
                    .map_err(|(_, what)| what)?;
                Place::Other(text.into())
            }
            _ => return Err("places"),
        });
        Ok(())
    })?;
    if places.is_empty() {
        return Err((at, "places"));
    }
    let extras = extras(d, strings, copies)?;
    let tags = d.records::<2>("tags")?;
    let mut credentials = Vec::new();
    let n = d.count(76, "credentials")?;
    credentials.reserve(n.min(d.room));
    d.each::<19>(n, "credentials", |w| {
        credentials.push(credential(w).ok_or("credentials")?);
        Ok(())
    })?;
    let at = d.at;
    let n = d.count(56, "nodes")?;
    if n >= MAX_NODES {
        return Err((at, "nodes: more than trustpath holds"));
    }
    let mut nodes = Vec::with_capacity(n.min(d.room));
    d.each::<14>(n, "nodes", |mut r| {
        // The kind as this version numbers it.
        let mut bits = r[word::BITS].to_le_bytes();
        let kind = node_kinds.get(usize::from(bits[0])).ok_or("node kind")?;
        bits[0] = kind.index() as u8;
        r[word::BITS] = u32::from_le_bytes(bits);
        nodes.push(r);
        Ok(())
    })?;
    let by_key = d.words("key order")?;
    Ok(NodeSection {
        reasons,
        places,
        extras,
        tags,
        credentials,
        nodes,
        by_key,
    })
}

/// The records after the nodes: the edges (into the graph's own records and ends), each
/// node's edges out in the adjacency's order, and the load's warnings.
#[allow(clippy::type_complexity)]
fn edges_and_rest<P: Payload>(
    d: &mut Decoder<P>,
    edge_kinds: &[EdgeKind],
    (tables, extras): (&ReadTables, usize),
    strings: &Strings,
    copies: &mut Budget,
) -> Result<(Vec<Packed>, Vec<[u32; 2]>, Vec<u32>, Vec<Warning>), Damage> {
    let n = d.count(32, "edges")?;
    // Each edge's conditions its own, in edge order, as the writer lays them: a copy of
    // the edges copies each once.
    let mut next_extra = 1;
    let (mut edges, mut ends) = (
        Vec::with_capacity(n.min(d.room)),
        Vec::with_capacity(n.min(d.room)),
    );
    d.each::<8>(
        n,
        "edges",
        |[from, to, reason, revoke, extra, source, place, bits]| {
            let [kind, flags, level, tag] = bits.to_le_bytes();
            let kind = *edge_kinds.get(usize::from(kind)).ok_or("edge kind")?;
            if extra != 0 {
                (extra == next_extra)
                    .then_some(())
                    .ok_or("edge conditions")?;
                next_extra += 1;
            }
            let words = [reason, revoke, extra, source, place];
            let packed = Packed::read(kind, words, flags, level, tag)
                .filter(|p| tables.holds([from, to], p))
                .ok_or("edges")?;
            edges.push(packed);
            ends.push([from, to]);
            Ok(())
        },
    )?;
    if next_extra as usize != extras {
        return Err((d.at, "edge conditions"));
    }
    let out_order = d.words("adjacency")?;
    let n = d.count(12, "warnings")?;
    let at = d.at;
    let mut ids = Vec::with_capacity(n.min(d.room));
    d.each::<3>(n, "warnings", |w| {
        ids.push(w);
        Ok(())
    })?;
    let mut s = |id: u32| {
        let text = string(strings, id, (at, "warnings"))?;
        copies.charge(text.len() as u64, at)?;
        Ok::<_, Damage>(text)
    };
    let mut warnings = Vec::with_capacity(ids.len());
    for [file, place, message] in ids {
        let (file, place) = (s(file)?, s(place)?);
        warnings.push(Warning::new(file, place, s(message)?.to_string()));
    }
    Ok((edges, ends, out_order, warnings))
}

/// What copies of the string table may still add up to: a real graph repeats its strings
/// a few times over, a hostile file could name one long string a million times.
struct Budget {
    left: u64,
}

impl Budget {
    fn charge(&mut self, bytes: u64, at: u64) -> Result<(), Damage> {
        self.left = self
            .left
            .checked_sub(bytes)
            .ok_or((at, "strings repeated far beyond the file's size"))?;
        Ok(())
    }
}

/// The conditions and techniques edges name (index 0 a placeholder).
fn extras(
    d: &mut Decoder<impl Payload>,
    strings: &Strings,
    copies: &mut Budget,
) -> Result<Vec<Extra>, Damage> {
    let what = "conditions";
    let n = d.count(8, what)?;
    let mut extras = Vec::with_capacity(n.min(d.room));
    let mut text = |d: &mut Decoder<_>, optional: bool| -> Result<Option<String>, Damage> {
        let at = d.at;
        match d.u32(what)? {
            NONE if optional => Ok(None),
            id if strings.has(id) => {
                let text = strings.get(id);
                copies.charge(text.len() as u64, at)?;
                Ok(Some(text.to_string()))
            }
            _ => Err((at, what)),
        }
    };
    for _ in 0..n {
        let technique = text(d, true)?.map(Into::into);
        let count = d.count(16, what)?;
        let mut conditions = Vec::with_capacity(count.min(d.room));
        for _ in 0..count {
            let description = text(d, false)?.unwrap_or_default();
            let key = text(d, true)?;
            let operator = text(d, true)?;
            let values = (0..d.count(4, what)?)
                .map(|_| Ok(text(d, false)?.unwrap_or_default()))
                .collect::<Result<_, Damage>>()?;
            conditions.push(Condition {
                description,
                key,
                operator,
                values,
            });
        }
        extras.push(Extra {
            conditions,
            technique,
        });
    }
    // The first is the placeholder the edges without conditions point at.
    let placeholder = extras
        .first()
        .is_some_and(|e| e.conditions.is_empty() && e.technique.is_none());
    if !placeholder {
        return Err((d.at, what));
    }
    Ok(extras)
}

/// A credential record: type and status ids, which dates and flags are given, the dates.
fn credential(w: [u32; 19]) -> Option<Credential<u32>> {
    let bits = w[2];
    let time = |i: usize| -> Option<Option<Timestamp>> {
        if bits & 1 << i == 0 {
            return Some(None);
        }
        let words = &w[3 + 4 * i..7 + 4 * i];
        let nanos = words
            .iter()
            .rev()
            .fold(0u128, |n, &w| n << 32 | u128::from(w)) as i128;
        Timestamp::from_nanosecond(nanos).ok().map(Some)
    };
    let flag = |shift: u32| match bits >> shift & 3 {
        0 => Some(None),
        1 => Some(Some(false)),
        2 => Some(Some(true)),
        _ => None,
    };
    let text = |id: u32| (id != NONE).then_some(id);
    (bits < 1 << 8).then_some(())?;
    Some(Credential {
        kind: text(w[0]),
        status: text(w[1]),
        created: time(0)?,
        expires: time(1)?,
        last_used: time(2)?,
        last_rotated: time(3)?,
        long_lived: flag(4)?,
        copyable: flag(6)?,
    })
}

/// The snapshot's graph becomes the graph being built when nothing was read before it
/// (the usual case: one snapshot, read in place); otherwise its nodes and edges join the
/// others', as a native graph file's would: a node defined before keeps that definition,
/// and edges naming it join that one.
fn install(builder: &mut Builder, graph: TrustGraph) {
    let untouched = builder.graph.node_count() == 0
        && builder.graph.edge_count() == 0
        && builder.graph.sources().len() <= 1
        && builder.graph.metadata().is_empty();
    let edges = graph.edge_count();
    if untouched {
        builder.graph = graph;
    } else {
        builder.graph.merge_metadata(graph.metadata().clone());
        let sources: Vec<SourceId> = graph
            .sources()
            .map(|s| builder.graph.intern_source(s))
            .collect();
        let source = |id: SourceId| sources[id.0 as usize];
        builder.graph.reserve(graph.node_count(), edges);
        let mut ids = Vec::with_capacity(graph.node_count());
        for id in graph.node_ids() {
            let mut node = graph.node(id).to_node();
            node.provenance.source = source(node.provenance.source);
            ids.push(builder.add_node(node, &Place::Node(id.index() as u32)));
        }
        for e in graph.edge_ids() {
            let (a, b) = graph.endpoints(e);
            let mut edge = graph.edge(e).to_edge();
            edge.provenance.source = source(edge.provenance.source);
            builder.graph.add_edge(ids[a.index()], ids[b.index()], edge);
        }
    }
    if let Some(count) = builder.edges_added.last_mut() {
        *count += edges;
    }
}
