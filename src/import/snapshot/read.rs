//! Reading a snapshot, streamed: every index checked, every size bounded by the input.

use std::io::{self, BufRead, Read};
use std::sync::Arc;

use jiff::Timestamp;
use rustc_hash::FxHashMap;
use serde::de::{DeserializeOwned, IntoDeserializer};

use super::{FORMAT, HEADER, is_snapshot};
use crate::import::halves::{self, Sink};
use crate::import::{Builder, ImportError, Warning};
use crate::model::{
    AccessLevel, Condition, Credential, Edge, EdgeKind, Node, NodeId, NodeKind, Place, Provenance,
    Revoke, SourceId,
};

/// Reads a snapshot held in memory: see [`read_stream`].
pub(crate) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    read_stream(bytes, Some(bytes.len() as u64), file, builder)
}

/// Reads a snapshot into the graph being built: its nodes and edges join whatever the
/// other inputs hold, as a native graph file's would. The file is streamed (only the
/// string table is held whole) and checksummed as it is read; the sum is compared at the
/// end, so a damaged snapshot fails the load however far it got. `size` is the whole
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
    let (text, lengths, at) = table(&mut input, length).map_err(damaged)?;
    let strings = split(&text, &lengths, at).map_err(damaged)?;
    drop(lengths);
    let mut d = Decoder {
        input: &mut input,
        at,
        length,
        // A count from a pipe is not known to fit in the input: room grows as records come.
        room: if size_known { usize::MAX } else { 1 << 16 },
        // What copies of the table may add up to: a real graph repeats its strings a few
        // times over, a hostile file could name one long string a million times.
        budget: length.saturating_mul(8).saturating_add(64 << 20),
        shared: SharedStrings::default(),
        strings,
        lists: RevokeLists::default(),
        sources: Vec::new(),
    };
    let decoded = decode(&mut d, builder);
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
    decoded.map_err(damaged)?;
    if extra > length.saturating_sub(at) {
        return Err(damaged((length, "bytes after the payload")));
    }
    if extra > 0 {
        return Err(damaged((at, "unread bytes in the payload")));
    }
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

/// The string table: its text (checked as UTF-8 once), each string's length, and the
/// offset after it.
fn table(input: &mut impl Read, length: u64) -> Result<(String, Vec<u32>, u64), Damage> {
    let what = "string table";
    let mut head = [0u8; 12];
    fill(input, &mut head, 0, length, what)?;
    let count = u64::from(u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
    let bytes = u64::from_le_bytes(head[4..12].try_into().unwrap_or([0; 8]));
    // Sizes the rest of the payload cannot hold are damage; what is read grows with what
    // the input really holds, never with what its header claims.
    let fits = (count * 4)
        .checked_add(bytes)
        .is_some_and(|n| n <= length - 12);
    if !fits {
        return Err((0, what));
    }
    let raw = read_n(input, count * 4, 12, what)?;
    let lengths = raw
        .chunks_exact(4)
        .map(|l| u32::from_le_bytes([l[0], l[1], l[2], l[3]]))
        .collect();
    let at = 12 + count * 4;
    let blob = read_n(input, bytes, at, what)?;
    let text = String::from_utf8(blob).map_err(|_| (at, what))?;
    Ok((text, lengths, at + bytes))
}

/// `n` bytes at payload offset `at`, in a buffer that grows as they are read.
fn read_n(input: &mut impl Read, n: u64, at: u64, what: &'static str) -> Result<Vec<u8>, Damage> {
    let mut buf = Vec::new();
    input
        .take(n)
        .read_to_end(&mut buf)
        .map_err(|_| (at, what))?;
    if buf.len() as u64 != n {
        return Err((at + buf.len() as u64, what));
    }
    Ok(buf)
}

/// The table's strings, each on character boundaries, together exactly the text.
fn split<'t>(text: &'t str, lengths: &[u32], end: u64) -> Result<Vec<&'t str>, Damage> {
    let at = end - text.len() as u64;
    let mut strings = Vec::with_capacity(lengths.len());
    let mut from = 0usize;
    for &len in lengths {
        let s = from
            .checked_add(len as usize)
            .and_then(|to| text.get(from..to))
            .ok_or((at + from as u64, "string table"))?;
        strings.push(s);
        from += len as usize;
    }
    if from != text.len() {
        return Err((at + from as u64, "string table"));
    }
    Ok(strings)
}

struct Decoder<'t, 'r, R> {
    input: &'r mut R,
    /// Payload bytes read so far, and how many there are.
    at: u64,
    length: u64,
    /// The most records room is made for ahead of reading them.
    room: usize,
    /// Bytes of strings copies may still add up to.
    budget: u64,
    strings: Vec<&'t str>,
    /// Shared copies of the strings edges keep as `Arc<str>` (reasons, places).
    shared: SharedStrings,
    lists: RevokeLists,
    sources: Vec<SourceId>,
}

impl<'t, R: BufRead> Decoder<'t, '_, R> {
    /// The next `N` bytes. Most are in the buffer already and are copied from it as one
    /// word (a field at a time through `read_exact` was a call to `memcpy` per field,
    /// a fifth of the decoding).
    #[inline(always)]
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Damage> {
        let buffered = match self.input.fill_buf() {
            Ok(buf) => buf.first_chunk::<N>().copied(),
            Err(_) => None,
        };
        let b = match buffered {
            Some(b) if self.at + N as u64 <= self.length => {
                self.input.consume(N);
                b
            }
            _ => {
                let mut b = [0u8; N];
                fill(self.input, &mut b, self.at, self.length, what)?;
                b
            }
        };
        self.at += N as u64;
        Ok(b)
    }

    // Forced: left to itself the compiler kept `u32` a call (9 % of a 100k load's samples
    // in its own frame); inlined, a 1M load takes ~5 % less (BENCHMARKS.md).
    #[inline(always)]
    fn u8(&mut self, what: &'static str) -> Result<u8, Damage> {
        Ok(self.array::<1>(what)?[0])
    }

    #[inline(always)]
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

    /// Spends `n` bytes of the copy budget.
    fn charge(&mut self, n: u64, at: u64) -> Result<(), Damage> {
        self.budget = self
            .budget
            .checked_sub(n)
            .ok_or((at, "strings repeated far beyond the file's size"))?;
        Ok(())
    }

    /// A string by its index, to be copied (charged to the budget).
    fn str(&mut self, what: &'static str) -> Result<&'t str, Damage> {
        let id = self.string(what)?;
        Ok(self.strings[id as usize])
    }

    /// A string's index, checked and charged to the budget like a copy of it.
    fn string(&mut self, what: &'static str) -> Result<u32, Damage> {
        let at = self.at;
        let id = self.u32(what)?;
        let s = self.strings.get(id as usize).ok_or((at, what))?;
        self.charge(s.len() as u64, at)?;
        Ok(id)
    }

    fn opt(&mut self, what: &'static str) -> Result<Option<&'t str>, Damage> {
        let at = self.at;
        match self.u32(what)? as usize {
            0 => Ok(None),
            id => {
                let s = self.strings.get(id - 1).copied().ok_or((at, what))?;
                self.charge(s.len() as u64, at)?;
                Ok(Some(s))
            }
        }
    }

    fn shared(&mut self, what: &'static str) -> Result<Arc<str>, Damage> {
        let at = self.at;
        let id = self.u32(what)? as usize;
        let s = self.strings.get(id).copied().ok_or((at, what))?;
        Ok(self.shared.get(id, s))
    }

    fn flag(&mut self, what: &'static str) -> Result<Option<bool>, Damage> {
        let at = self.at;
        match self.u8(what)? {
            0 => Ok(None),
            1 => Ok(Some(false)),
            2 => Ok(Some(true)),
            _ => Err((at, what)),
        }
    }

    fn time(&mut self, what: &'static str) -> Result<Option<Timestamp>, Damage> {
        let at = self.at;
        if self.u8(what)? == 0 {
            return Ok(None);
        }
        let nanos = i128::from_le_bytes(self.array(what)?);
        Timestamp::from_nanosecond(nanos)
            .map(Some)
            .map_err(|_| (at, what))
    }

    /// A revoke list's index, checked.
    fn list(&mut self, what: &'static str) -> Result<usize, Damage> {
        let at = self.at;
        let id = self.u32(what)? as usize;
        if id >= self.lists.spans.len() {
            return Err((at, what));
        }
        Ok(id)
    }

    fn provenance(&mut self) -> Result<Provenance, Damage> {
        let at = self.at;
        let source = self.u32("provenance")? as usize;
        let source = *self.sources.get(source).ok_or((at, "provenance"))?;
        let at = self.at;
        let place = match self.u8("place")? {
            0 => Place::Unknown,
            1 => Place::Node(self.u32("place")?),
            2 => Place::Edge(self.u32("place")?),
            3 => Place::Line(u64::from_le_bytes(self.array("place")?)),
            4 => Place::Other(self.shared("place")?),
            _ => return Err((at, "place")),
        };
        Ok(Provenance { source, place })
    }

    /// The revoke lists, as indices into the string table: a list becomes strings when
    /// a node copies it or an edge first shares it.
    fn revoke_lists(&mut self) -> Result<(), Damage> {
        let count = self.count(4, "revoke lists")?;
        let mut lists = RevokeLists::default();
        lists.spans.reserve(count.min(self.room) + 1);
        lists.spans.push((0, 0));
        lists.bytes.push(0);
        for _ in 0..count {
            let n = self.count(16, "revoke list")?;
            let first = index(lists.entries.len(), self.at)?;
            let before = self.budget;
            for _ in 0..n {
                let id = self.string("revoke id")?;
                let action = self.string("revoke action")?;
                let cost = self.u32("revoke cost")?;
                let start = index(lists.commands.len(), self.at)?;
                for _ in 0..self.count(4, "revoke commands")? {
                    let command = self.string("revoke command")?;
                    lists.commands.push(command);
                }
                let end = index(lists.commands.len(), self.at)?;
                lists.entries.push(RawRevoke {
                    id,
                    action,
                    cost,
                    commands: (start, end),
                });
            }
            lists
                .spans
                .push((first, index(lists.entries.len(), self.at)?));
            lists.bytes.push(before - self.budget);
        }
        lists.shared = vec![None; lists.spans.len()];
        self.lists = lists;
        Ok(())
    }

    /// A node or edge kind, by the string naming it.
    fn kind<K: Copy + DeserializeOwned>(
        &mut self,
        kinds: &mut KindCache<K>,
        what: &'static str,
    ) -> Result<K, Damage> {
        let at = self.at;
        let id = self.u32(what)?;
        let name = *self.strings.get(id as usize).ok_or((at, what))?;
        kinds.get(id, name).ok_or((at, what))
    }

    fn node(&mut self, kinds: &mut KindCache<NodeKind>) -> Result<Node, Damage> {
        let at = self.at;
        let key: &str = self.str("node key")?;
        if key.is_empty() {
            return Err((at, "an empty node key"));
        }
        let key = key.into();
        let kind = self.kind(kinds, "node kind")?;
        let platform = self.str("node platform")?.into();
        let name = self.str("node name")?.into();
        let scope = self.opt("node scope")?.map(Into::into);
        let owner = self.opt("node owner")?.map(Into::into);
        let purpose = self.opt("node purpose")?.map(Into::into);
        let environment = self.opt("node environment")?.map(Into::into);
        let at = self.at;
        // As in a native graph: 0 to 10.
        let criticality = self.u8("criticality")?.checked_sub(1);
        if criticality.is_some_and(|c| c > 10) {
            return Err((at, "criticality"));
        }
        let admin = self.u8("admin")? != 0;
        let mut tags = std::collections::BTreeMap::new();
        for _ in 0..self.count(8, "tags")? {
            let (k, v) = (self.str("tag")?, self.str("tag")?);
            tags.insert(k.to_string(), v.to_string());
        }
        let at = self.at;
        let credential = match self.u8("credential")? {
            0 => None,
            1 => {
                let kind = self.opt("credential type")?.map(Into::into);
                let status = self.opt("credential status")?.map(Into::into);
                Some(Box::new(Credential {
                    kind,
                    status,
                    created: self.time("created")?,
                    expires: self.time("expires")?,
                    last_used: self.time("last used")?,
                    last_rotated: self.time("last rotated")?,
                    long_lived: self.flag("long lived")?,
                    copyable: self.flag("copyable")?,
                }))
            }
            _ => return Err((at, "credential")),
        };
        let at = self.at;
        let list = self.list("node revoke list")?;
        self.charge(self.lists.bytes[list], at)?;
        let revoke = self.lists.to_vec(list, &self.strings);
        Ok(Node {
            key,
            kind,
            platform,
            name,
            scope,
            owner,
            purpose,
            environment,
            criticality,
            admin,
            tags,
            credential,
            revoke,
            provenance: self.provenance()?,
        })
    }

    fn edge(&mut self, kinds: &mut KindCache<EdgeKind>) -> Result<Edge, Damage> {
        let kind = self.kind(kinds, "edge kind")?;
        let reason = self.shared("edge reason")?;
        let mut edge = Edge::new(kind, reason, Provenance::default());
        let conditions = self.count(16, "conditions")?;
        edge.conditions.reserve_exact(conditions.min(self.room));
        for _ in 0..conditions {
            let description = self.str("condition")?.to_string();
            let key = self.opt("condition key")?.map(str::to_string);
            let operator = self.opt("condition operator")?.map(str::to_string);
            let values = (0..self.count(4, "condition values")?)
                .map(|_| self.str("condition value").map(str::to_string))
                .collect::<Result<_, _>>()?;
            edge.conditions.push(Condition {
                description,
                key,
                operator,
                values,
            });
        }
        let at = self.at;
        let flags = self.u8("edge flags")?;
        if flags > 7 {
            return Err((at, "edge flags"));
        }
        (edge.dormant, edge.potential, edge.asserted) =
            (flags & 1 != 0, flags & 2 != 0, flags & 4 != 0);
        edge.technique = self.opt("technique")?.map(Into::into);
        let at = self.at;
        edge.level = match self.u8("access level")? {
            0 => None,
            1 => Some(AccessLevel::Read),
            2 => Some(AccessLevel::Write),
            3 => Some(AccessLevel::Admin),
            _ => return Err((at, "access level")),
        };
        let list = self.list("edge revoke list")?;
        edge.revoke = self.lists.shared(list, &self.strings);
        edge.provenance = self.provenance()?;
        Ok(edge)
    }
}

/// The snapshot's revoke lists, their strings by index into the string table.
#[derive(Default)]
struct RevokeLists {
    entries: Vec<RawRevoke>,
    /// The strings of every entry's commands.
    commands: Vec<u32>,
    /// Each list's entries (index 0 is the empty list).
    spans: Vec<(u32, u32)>,
    /// Each list's strings, in bytes: what a node's copy of it costs.
    bytes: Vec<u64>,
    /// Each list as edges share it, made at first use.
    shared: Vec<Option<Arc<[Revoke]>>>,
}

/// A count of revoke entries or commands as a 32-bit index (more is a damaged file: it
/// would take more than 16 GiB).
fn index(n: usize, at: u64) -> Result<u32, Damage> {
    u32::try_from(n).map_err(|_| (at, "revoke lists"))
}

/// One revoke entry, every string checked to be in the table.
struct RawRevoke {
    id: u32,
    action: u32,
    cost: u32,
    commands: (u32, u32),
}

impl RevokeLists {
    /// List `list` (checked by [`Decoder::list`]) in strings.
    fn to_vec(&self, list: usize, strings: &[&str]) -> Vec<Revoke> {
        let (first, end) = self.spans[list];
        let entries = &self.entries[first as usize..end as usize];
        entries
            .iter()
            .map(|e| {
                let (start, end) = e.commands;
                let commands: Vec<String> = self.commands[start as usize..end as usize]
                    .iter()
                    .map(|&c| strings[c as usize].to_string())
                    .collect();
                Revoke {
                    id: strings[e.id as usize].to_string(),
                    action: Revoke::action_name(strings[e.action as usize]),
                    cost: e.cost,
                    // As from a native graph file: whoever wrote the file wrote them.
                    from_file: !commands.is_empty(),
                    commands,
                }
            })
            .collect()
    }

    /// List `list` as the edges naming it share it.
    fn shared(&mut self, list: usize, strings: &[&str]) -> Arc<[Revoke]> {
        if let Some(shared) = &self.shared[list] {
            return shared.clone();
        }
        let shared: Arc<[Revoke]> = self.to_vec(list, strings).into();
        self.shared[list] = Some(shared.clone());
        shared
    }
}

/// Records per batch passed between the decoding and the adding thread.
const BATCH: usize = 2048;

enum Record {
    /// Room for this many nodes and edges.
    Reserve(usize, usize),
    Node(Node),
    /// An edge between the nodes read at these places in the snapshot (checked).
    Edge(u32, u32, Edge),
}

/// The decoding side: the batch being filled.
struct Batches<'s> {
    sink: &'s dyn Sink<Vec<Record>>,
    batch: Vec<Record>,
}

impl Batches<'_> {
    fn push(&mut self, record: Record) {
        self.batch.push(record);
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    /// Sends what is batched (the last batch too: call it once done).
    fn flush(&mut self) {
        if !self.batch.is_empty() {
            self.sink
                .send(&mut self.batch, || Vec::with_capacity(BATCH));
        }
    }
}

/// The nodes and the edges, decoded and checked, in order.
fn records<R: BufRead>(d: &mut Decoder<'_, '_, R>, out: &mut Batches<'_>) -> Result<(), Damage> {
    let (mut node_kinds, mut edge_kinds) = (KindCache::new(), KindCache::new());
    let nodes = d.count(40, "nodes")?;
    out.push(Record::Reserve(nodes.min(d.room), 0));
    for _ in 0..nodes {
        out.push(Record::Node(d.node(&mut node_kinds)?));
    }
    let edges = d.count(30, "edges")?;
    out.push(Record::Reserve(0, edges.min(d.room)));
    for _ in 0..edges {
        let at = d.at;
        let (from, to) = (d.u32("edge")?, d.u32("edge")?);
        if from as usize >= nodes || to as usize >= nodes {
            return Err((at, "edge endpoints"));
        }
        out.push(Record::Edge(from, to, d.edge(&mut edge_kinds)?));
    }
    Ok(())
}

/// Adds a batch of records to the graph, leaving it empty; a node defined before (in
/// another input) keeps that definition, and edges naming it join that one. `ids` holds
/// the graph's id of every node read so far.
fn add_batch(builder: &mut Builder, ids: &mut Vec<NodeId>, batch: &mut Vec<Record>) {
    for record in batch.drain(..) {
        match record {
            Record::Reserve(nodes, edges) => {
                builder.graph.reserve(nodes, edges);
                ids.reserve(nodes);
            }
            Record::Node(node) => {
                let at = Place::Node(ids.len() as u32);
                ids.push(builder.add_node(node, &at));
            }
            Record::Edge(from, to, edge) => {
                builder
                    .graph
                    .add_edge(ids[from as usize], ids[to as usize], edge);
                if let Some(count) = builder.edges_added.last_mut() {
                    *count += 1;
                }
            }
        }
    }
}

/// Shared copies of the table's strings that the graph keeps as `Arc<str>` (reasons,
/// places), each made at first use. A map, not a slot per string: a graph has a few
/// thousand of them among millions of strings (a slot each was 48 MB at a million nodes).
#[derive(Default)]
struct SharedStrings {
    by_id: FxHashMap<usize, Arc<str>>,
}

impl SharedStrings {
    fn get(&mut self, id: usize, text: &str) -> Arc<str> {
        self.by_id.entry(id).or_insert_with(|| text.into()).clone()
    }
}

/// Node and edge kinds by the index of the string that names them, parsed once each. A
/// short list searched in order: a graph names a few dozen kinds, and every record looks
/// one up. Past that many (a file naming one kind by many strings) each is parsed.
struct KindCache<K> {
    seen: Vec<(u32, Option<K>)>,
}

impl<K: Copy + DeserializeOwned> KindCache<K> {
    const MOST: usize = 64;

    fn new() -> Self {
        KindCache { seen: Vec::new() }
    }

    fn get(&mut self, id: u32, name: &str) -> Option<K> {
        if let Some(&(_, kind)) = self.seen.iter().find(|(seen, _)| *seen == id) {
            return kind;
        }
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            name.into_deserializer();
        let kind = K::deserialize(de).ok();
        if self.seen.len() < Self::MOST {
            self.seen.push((id, kind));
        }
        kind
    }
}

fn decode<R: BufRead>(d: &mut Decoder<'_, '_, R>, builder: &mut Builder) -> Result<(), Damage> {
    d.revoke_lists()?;
    let _writer = d.str("writer")?;
    let at = d.at;
    let metadata = d.str("metadata")?;
    let metadata: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(metadata).map_err(|_| (at, "metadata"))?;
    builder.graph.merge_metadata(metadata);
    for _ in 0..d.count(4, "sources")? {
        let name = d.str("source")?;
        d.sources.push(builder.graph.intern_source(name));
    }
    // Records are decoded here and added to the graph on a second thread, in order
    // (decoding, with its allocations, is two thirds of the work).
    let mut ids = Vec::new();
    halves::in_two_halves(
        builder,
        |sink| {
            let mut out = Batches {
                sink,
                batch: Vec::with_capacity(BATCH),
            };
            let decoded = records(d, &mut out);
            out.flush();
            decoded
        },
        |builder, batch| add_batch(builder, &mut ids, batch),
    )?;
    let n = d.count(4, "key order")?;
    let mut order = Vec::with_capacity(n.min(d.room));
    for _ in 0..n {
        order.push(d.u32("key order")?);
    }
    // The order names nodes by their place in the snapshot: it is the graph's when the
    // snapshot's nodes are all the graph has, by the same ids.
    let same_ids = ids.iter().enumerate().all(|(i, id)| id.index() == i);
    if same_ids && builder.graph.node_count() == ids.len() {
        builder.graph.suggest_key_order(order);
    }
    for _ in 0..d.count(12, "warnings")? {
        let (f, place, message) = (d.str("warning")?, d.str("warning")?, d.str("warning")?);
        builder
            .warnings
            .push(Warning::new(f, place, message.to_string()));
    }
    Ok(())
}
