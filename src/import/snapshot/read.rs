//! Reading a snapshot, streamed into the arrays the graph keeps (see `model::frozen`):
//! every index checked, every size bounded by the input.

use std::io::{self, Read};
use std::sync::Arc;

use jiff::Timestamp;
use serde::de::{DeserializeOwned, IntoDeserializer};

use super::{FORMAT, HEADER, is_snapshot};
use crate::import::{Builder, ImportError, Warning};
use crate::model::{
    Condition, Credential, EdgeKind, Extra, LazyLists, MAX_NODES, NONE, NodeKind, NodeTables,
    Nodes, Packed, Parts, Place, SourceId, Strings, TrustGraph, word,
};

/// Reads a snapshot held in memory: see [`read_stream`].
pub(crate) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    read_stream(bytes, Some(bytes.len() as u64), file, builder)
}

/// Reads a snapshot into the graph being built: alone, it is the graph, read in place;
/// after other inputs, its nodes and edges join theirs, as a native graph file's would
/// ([`install`]). The file is streamed into the graph's arrays and checksummed as it is
/// read; the sum is compared at the end, so a damaged snapshot fails the load however far
/// it got. `size` is the whole
/// input's, when known (a regular file, bytes): the header must agree with it before
/// anything is allocated.
pub(crate) fn read_stream(
    mut input: impl Read,
    size: Option<u64>,
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    let invalid = |message: String| ImportError::Invalid {
        file: file.to_string(),
        message,
    };
    let (length, crc) = header(&mut input).map_err(invalid)?;
    let size_known = size.is_some_and(|s| s > 0);
    if let Some(size) = size.filter(|_| size_known)
        && size != HEADER as u64 + length
    {
        return Err(invalid(format!(
            "truncated or extended snapshot: its header says {length} bytes follow it, the file has {}; import the inputs again",
            size.saturating_sub(HEADER as u64)
        )));
    }
    let damaged = |(at, what): Damage| {
        invalid(format!(
            "damaged or truncated snapshot ({what} at byte {}); import the inputs again",
            at + HEADER as u64
        ))
    };
    let mut input = io::BufReader::with_capacity(
        1 << 20,
        Checked {
            inner: input,
            crc: crc32fast::Hasher::new(),
            read: 0,
        },
    );
    let mut d = Decoder {
        input: &mut input,
        at: 0,
        length,
        // A count from a pipe is not known to fit in the input: room grows as records come.
        room: if size_known { usize::MAX } else { 1 << 16 },
    };
    let decoded = decode(&mut d);
    let at = d.at;
    // The rest of the payload is read too, for the checksum, and one byte more: anything
    // after the payload is damage itself.
    let rest = length.saturating_sub(at).saturating_add(1);
    let extra = io::copy(&mut (&mut input).take(rest), &mut io::sink()).unwrap_or(rest);
    let checked = input.into_inner();
    if checked.read != length || u64::from(checked.crc.finalize()) != crc {
        return Err(invalid(
            "damaged or truncated snapshot: its checksum or length does not match its content; import the inputs again".into(),
        ));
    }
    let (graph, warnings) = decoded.map_err(damaged)?;
    if extra > length.saturating_sub(at) {
        return Err(damaged((length, "bytes after the payload")));
    }
    if extra > 0 {
        return Err(damaged((at, "unread bytes in the payload")));
    }
    install(builder, graph);
    builder.warnings.extend(warnings);
    Ok(())
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

/// Reads exactly `buf.len()` bytes at payload offset `at` of `length`.
fn fill(
    input: &mut impl Read,
    buf: &mut [u8],
    at: u64,
    length: u64,
    what: &'static str,
) -> Result<(), Damage> {
    if at + buf.len() as u64 > length {
        return Err((at, what));
    }
    input.read_exact(buf).map_err(|_| (at, what))
}

struct Decoder<'r, R> {
    input: &'r mut R,
    /// Payload bytes read so far, and how many there are.
    at: u64,
    length: u64,
    /// The most records room is made for ahead of reading them.
    room: usize,
}

/// Records read per call into a scratch buffer: whole records, decoded from it at once.
const SCRATCH: usize = 64 << 10;

impl<R: Read> Decoder<'_, R> {
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Damage> {
        let mut b = [0u8; N];
        fill(self.input, &mut b, self.at, self.length, what)?;
        self.at += N as u64;
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

    /// `n` records of `N` words, each passed to `each` as it is decoded, read a scratch
    /// buffer at a time.
    fn each<const N: usize>(
        &mut self,
        n: usize,
        what: &'static str,
        mut each: impl FnMut([u32; N]) -> Result<(), &'static str>,
    ) -> Result<(), Damage> {
        let size = N * 4;
        let mut scratch = vec![0u8; (SCRATCH / size).max(1) * size];
        let mut left = n;
        while left > 0 {
            let take = left.min(scratch.len() / size);
            let buf = &mut scratch[..take * size];
            fill(self.input, buf, self.at, self.length, what)?;
            for record in buf.chunks_exact(size) {
                let mut words = [0u32; N];
                for (w, b) in words.iter_mut().zip(record.chunks_exact(4)) {
                    *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                }
                each(words).map_err(|what| (self.at, what))?;
            }
            self.at += buf.len() as u64;
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

    /// `n` bytes, in a buffer that grows as they are read.
    fn bytes(&mut self, n: u64, what: &'static str) -> Result<Vec<u8>, Damage> {
        let at = self.at;
        if n > self.length - at {
            return Err((at, what));
        }
        let mut buf = Vec::new();
        (&mut *self.input)
            .take(n)
            .read_to_end(&mut buf)
            .map_err(|_| (at, what))?;
        if buf.len() as u64 != n {
            return Err((at + buf.len() as u64, what));
        }
        self.at += n;
        Ok(buf)
    }
}

/// The string table: every distinct string once, checked as UTF-8 and cut on character
/// boundaries.
fn strings<R: Read>(d: &mut Decoder<'_, R>) -> Result<Strings, Damage> {
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

/// Kinds by the strings naming them in the snapshot: a kind this version does not know is
/// damage (a snapshot is read by the version that wrote it).
fn kinds<K: DeserializeOwned>(
    d: &mut Decoder<'_, impl Read>,
    strings: &Strings,
    what: &'static str,
) -> Result<Vec<K>, Damage> {
    let at = d.at;
    d.words(what)?
        .into_iter()
        .map(|id| {
            let name = strings.has(id).then(|| strings.get(id)).ok_or((at, what))?;
            let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
                name.into_deserializer();
            K::deserialize(de).map_err(|_| (at, what))
        })
        .collect()
}

/// Reads the payload into a graph read in place, and the load's warnings.
fn decode<R: Read>(d: &mut Decoder<'_, R>) -> Result<(TrustGraph, Vec<Warning>), Damage> {
    let strings = Arc::new(strings(d)?);
    let s = |id: u32, at: u64, what: &'static str| -> Result<&str, Damage> {
        strings.has(id).then(|| strings.get(id)).ok_or((at, what))
    };
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
    let at = d.at;
    let spans = d.records::<2>("revoke lists")?;
    let entries = d.records::<5>("revoke lists")?;
    let commands = d.words("revoke lists")?;
    let lists =
        LazyLists::new(strings.clone(), spans, entries, commands).ok_or((at, "revoke lists"))?;
    let list_bytes = lists.bytes();
    let all_lists = list_bytes
        .iter()
        .fold(0u64, |sum, &b| sum.saturating_add(b));
    copies.charge(all_lists, at)?;
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
    let extras = extras(d, &strings, &mut copies)?;
    let extras_len = extras.len();
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
    let node_tables = NodeTables {
        strings: &strings,
        sources: sources.len(),
        lists: &lists,
        list_bytes: &list_bytes,
        places: &places,
        copy_budget: budget,
    };
    // The nodes are checked on a second core while the edges are read (where no thread
    // can be started, after them).
    let nodes_at = d.at;
    let check = || Nodes::check(nodes, tags, credentials, by_key, &node_tables);
    let (nodes, rest) = crate::cores::both(check, || {
        edges_and_rest(d, &edge_kinds, extras_len, &strings, &mut copies)
    });
    let nodes = nodes.map_err(|what| (nodes_at, what))?;
    let (edges, ends, out_order, warnings) = rest?;
    let parts = Parts {
        strings,
        sources: sources.len(),
        nodes,
        reasons,
        lists,
        places,
        extras,
        edges,
        ends,
        out_order,
    };
    let at = d.at;
    let graph = TrustGraph::read_in_place(parts, sources, metadata).map_err(|what| (at, what))?;
    Ok((graph, warnings))
}

/// The records after the nodes: the edges (into the graph's own records and ends), each
/// node's edges out in the adjacency's order, and the load's warnings.
#[allow(clippy::type_complexity)]
fn edges_and_rest<R: Read>(
    d: &mut Decoder<'_, R>,
    edge_kinds: &[EdgeKind],
    extras: usize,
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
            let packed = Packed::read(kind, words, flags, level, tag).ok_or("edges")?;
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
        let text = strings
            .has(id)
            .then(|| strings.get(id))
            .ok_or((at, "warnings"))?;
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
    d: &mut Decoder<'_, impl Read>,
    strings: &Strings,
    copies: &mut Budget,
) -> Result<Vec<Extra>, Damage> {
    let what = "conditions";
    let n = d.count(8, what)?;
    let mut extras = Vec::with_capacity(n.min(d.room));
    let mut text = |d: &mut Decoder<'_, _>, optional: bool| -> Result<Option<String>, Damage> {
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
