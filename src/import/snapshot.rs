//! Binary snapshots (`FILE.tpsnap`): a loaded graph saved once, so that every later
//! command (blast, plan, path, the TUI) starts without parsing JSON again.
//!
//! Layout, little-endian: a 32-byte header — the magic `TPSNAP\r\n` (a text-mode copy
//! that rewrites line ends breaks it visibly), the format version, four reserved bytes,
//! the payload's length and its CRC-32 — then the payload: the writer's version, a
//! string table (every distinct string once: keys, names, reasons, commands), the
//! metadata as JSON, the provenance sources, the shared revoke lists, the nodes, the
//! edges and the load's warnings. Records refer to strings, sources, lists and nodes by
//! 32-bit index, so reading is bounds checks and copies: no text is parsed but the
//! metadata.
//!
//! A snapshot is trusted no more than a native graph file: its revoke commands are
//! marked as read from a file, and every index is checked, so a damaged or hostile one
//! is an error naming the file, never a panic or a wrong graph.

use std::io::{self, Read, Write};
use std::sync::Arc;

use jiff::Timestamp;
use rustc_hash::FxHashMap;
use serde::de::{DeserializeOwned, IntoDeserializer};

use super::{Builder, ImportError, Warning};
use crate::model::{
    AccessLevel, Condition, Credential, Edge, EdgeKind, Node, NodeKind, Place, Provenance, Revoke,
    SourceId, TrustGraph,
};

/// The first bytes of every snapshot.
pub const MAGIC: &[u8; 8] = b"TPSNAP\r\n";
/// Bumped whenever the layout changes: a snapshot of another format is refused (import
/// the inputs again), never read as something else.
const FORMAT: u32 = 1;
const HEADER: usize = 32;
/// The extension `--save` writes a snapshot for (any other writes native JSON).
pub const EXTENSION: &str = "tpsnap";

/// Whether `head` starts like a snapshot.
pub fn is_snapshot(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

// --- writing -------------------------------------------------------------------------

/// Writes `graph` (and the warnings of the load that built it) as a snapshot.
pub fn write(w: &mut dyn Write, graph: &TrustGraph, warnings: &[Warning]) -> io::Result<()> {
    let mut enc = Encoder::default();
    enc.str(concat!("trustpath ", env!("CARGO_PKG_VERSION")));
    let metadata = serde_json::to_string(graph.metadata()).map_err(io::Error::other)?;
    enc.str(&metadata);
    let sources: Vec<&str> = graph.sources().collect();
    enc.u32(sources.len());
    for s in &sources {
        enc.str(s);
    }
    enc.u32(graph.node_count());
    for id in graph.node_ids() {
        enc.node(graph.node(id));
    }
    enc.u32(graph.edge_count());
    for id in graph.edge_ids() {
        let (from, to) = graph.endpoints(id);
        enc.u32(from.index());
        enc.u32(to.index());
        enc.edge(graph.edge(id));
    }
    enc.u32(warnings.len());
    for warning in warnings {
        enc.str(&warning.file);
        enc.str(&warning.place);
        enc.str(&warning.message);
    }
    let payload = enc.finish();
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT.to_le_bytes());
    header.extend_from_slice(&[0; 4]);
    header.extend_from_slice(&(payload.iter().map(|p| p.len() as u64).sum::<u64>()).to_le_bytes());
    let mut crc = crc32fast::Hasher::new();
    payload.iter().for_each(|p| crc.update(p));
    header.extend_from_slice(&u64::from(crc.finalize()).to_le_bytes());
    w.write_all(&header)?;
    for part in payload {
        w.write_all(&part)?;
    }
    Ok(())
}

/// Strings and revoke lists are written once, in tables before the records that name
/// them by index.
#[derive(Default)]
struct Encoder<'g> {
    strings: FxHashMap<&'g str, u32>,
    table: Vec<u8>,
    lengths: Vec<u32>,
    /// Revoke lists by the address of their elements (the importers share one list
    /// among all the edges it cuts), and the lists' encoding.
    lists: FxHashMap<(usize, usize), u32>,
    list_bytes: Vec<u8>,
    list_count: u32,
    body: Vec<u8>,
}

impl<'g> Encoder<'g> {
    fn u8(&mut self, v: u8) {
        self.body.push(v);
    }

    /// Counts and indexes: at most `u32::MAX` of anything (the graph holds fewer nodes).
    fn u32(&mut self, v: usize) {
        self.body.extend_from_slice(&(v as u32).to_le_bytes());
    }

    fn id(&mut self, s: &'g str) -> u32 {
        let next = self.lengths.len() as u32;
        *self.strings.entry(s).or_insert_with(|| {
            self.table.extend_from_slice(s.as_bytes());
            self.lengths.push(s.len() as u32);
            next
        })
    }

    fn str(&mut self, s: &'g str) {
        let id = self.id(s);
        self.u32(id as usize);
    }

    /// `None` is 0, a string its index + 1.
    fn opt(&mut self, s: Option<&'g str>) {
        let id = s.map_or(0, |s| self.id(s) + 1);
        self.u32(id as usize);
    }

    fn time(&mut self, t: Option<Timestamp>) {
        match t {
            None => self.u8(0),
            Some(t) => {
                self.u8(1);
                self.body
                    .extend_from_slice(&t.as_nanosecond().to_le_bytes());
            }
        }
    }

    fn flag(&mut self, b: Option<bool>) {
        self.u8(b.map_or(0, |b| 1 + u8::from(b)));
    }

    /// A revoke list's index in the table (0: none).
    fn revokes(&mut self, list: &'g [Revoke]) -> u32 {
        if list.is_empty() {
            return 0;
        }
        let at = (list.as_ptr() as usize, list.len());
        if let Some(&id) = self.lists.get(&at) {
            return id;
        }
        let body = std::mem::take(&mut self.body);
        self.u32(list.len());
        for r in list {
            self.str(&r.id);
            self.str(&r.action);
            self.u32(r.cost as usize);
            self.u32(r.commands.len());
            for c in &r.commands {
                self.str(c);
            }
        }
        let encoded = std::mem::replace(&mut self.body, body);
        self.list_bytes.extend_from_slice(&encoded);
        self.list_count += 1;
        self.lists.insert(at, self.list_count);
        self.list_count
    }

    fn provenance(&mut self, p: &'g Provenance) {
        self.u32(p.source.0 as usize);
        match &p.place {
            Place::Unknown => self.u8(0),
            Place::Node(n) => {
                self.u8(1);
                self.u32(*n as usize);
            }
            Place::Edge(n) => {
                self.u8(2);
                self.u32(*n as usize);
            }
            Place::Line(n) => {
                self.u8(3);
                self.body.extend_from_slice(&n.to_le_bytes());
            }
            Place::Other(s) => {
                self.u8(4);
                self.str(s);
            }
        }
    }

    fn node(&mut self, n: &'g Node) {
        self.str(&n.key);
        self.str(n.kind.as_str());
        self.str(&n.platform);
        self.str(&n.name);
        self.opt(n.scope.as_deref());
        self.opt(n.owner.as_deref());
        self.opt(n.purpose.as_deref());
        self.opt(n.environment.as_deref());
        self.u8(n.criticality.map_or(0, |c| c.saturating_add(1).max(1)));
        self.u8(u8::from(n.admin));
        self.u32(n.tags.len());
        for (k, v) in &n.tags {
            self.str(k);
            self.str(v);
        }
        match &n.credential {
            None => self.u8(0),
            Some(c) => {
                self.u8(1);
                self.opt(c.kind.as_deref());
                self.opt(c.status.as_deref());
                for t in [c.created, c.expires, c.last_used, c.last_rotated] {
                    self.time(t);
                }
                self.flag(c.long_lived);
                self.flag(c.copyable);
            }
        }
        let list = self.revokes(&n.revoke);
        self.u32(list as usize);
        self.provenance(&n.provenance);
    }

    fn edge(&mut self, e: &'g Edge) {
        self.str(e.kind.as_str());
        self.str(&e.reason);
        self.u32(e.conditions.len());
        for c in &e.conditions {
            self.str(&c.description);
            self.opt(c.key.as_deref());
            self.opt(c.operator.as_deref());
            self.u32(c.values.len());
            for v in &c.values {
                self.str(v);
            }
        }
        self.u8(u8::from(e.dormant) | u8::from(e.potential) << 1 | u8::from(e.asserted) << 2);
        self.opt(e.technique.as_deref());
        self.u8(match e.level {
            None => 0,
            Some(AccessLevel::Read) => 1,
            Some(AccessLevel::Write) => 2,
            Some(AccessLevel::Admin) => 3,
        });
        let list = self.revokes(&e.revoke);
        self.u32(list as usize);
        self.provenance(&e.provenance);
    }

    /// The payload, in pieces written one after the other.
    fn finish(self) -> Vec<Vec<u8>> {
        let mut head = Vec::with_capacity(8 + self.lengths.len() * 4);
        head.extend_from_slice(&(self.lengths.len() as u32).to_le_bytes());
        head.extend_from_slice(&(self.table.len() as u64).to_le_bytes());
        for len in &self.lengths {
            head.extend_from_slice(&len.to_le_bytes());
        }
        let mut lists = Vec::with_capacity(4);
        lists.extend_from_slice(&self.list_count.to_le_bytes());
        vec![head, self.table, lists, self.list_bytes, self.body]
    }
}

// --- reading -------------------------------------------------------------------------

/// Reads a snapshot held in memory: see [`read_stream`].
pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    read_stream(bytes, file, builder)
}

/// Reads a snapshot into the graph being built: its nodes and edges join whatever the
/// other inputs hold, as a native graph file's would. The file is streamed (only the
/// string table is held whole), and its checksum is checked as it is read: a damaged
/// snapshot fails the load however far it got.
pub(super) fn read_stream(
    mut input: impl Read,
    file: &str,
    builder: &mut Builder,
) -> Result<(), ImportError> {
    let invalid = |message: String| ImportError::Invalid {
        file: file.to_string(),
        message,
    };
    let (length, crc) = header(&mut input).map_err(invalid)?;
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
    let mut d = Decoder {
        input: &mut input,
        at,
        length,
        strings: split(&text, &lengths, at).map_err(damaged)?,
        shared: Vec::new(),
        lists: Vec::new(),
        sources: Vec::new(),
    };
    d.shared = vec![None; d.strings.len()];
    let decoded = decode(&mut d, builder);
    let at = d.at;
    // Whatever follows is read too, for the checksum (and is damage itself).
    let extra = io::copy(&mut input, &mut io::sink()).unwrap_or(1);
    let checked = input.into_inner();
    if checked.read != length || u64::from(checked.crc.finalize()) != crc {
        return Err(invalid(
            "damaged or truncated snapshot: its checksum or length does not match its content; import the inputs again".into(),
        ));
    }
    decoded.map_err(damaged)?;
    if extra > 0 {
        return Err(damaged((at, "trailing bytes")));
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
    // Sizes the rest of the file cannot hold are damage, not gigabytes allocated.
    if count * 4 + bytes > length - 12 {
        return Err((0, what));
    }
    let mut raw = vec![0u8; (count * 4) as usize];
    fill(input, &mut raw, 12, length, what)?;
    let lengths = raw
        .chunks_exact(4)
        .map(|l| u32::from_le_bytes([l[0], l[1], l[2], l[3]]))
        .collect();
    let at = 12 + count * 4;
    let mut blob = vec![0u8; bytes as usize];
    fill(input, &mut blob, at, length, what)?;
    let text = String::from_utf8(blob).map_err(|_| (at, what))?;
    Ok((text, lengths, at + bytes))
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
    strings: Vec<&'t str>,
    /// Shared copies of the strings edges keep as `Arc<str>` (reasons, places).
    shared: Vec<Option<Arc<str>>>,
    lists: Vec<Arc<[Revoke]>>,
    sources: Vec<SourceId>,
}

impl<'t, R: Read> Decoder<'t, '_, R> {
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Damage> {
        let mut b = [0u8; N];
        fill(self.input, &mut b, self.at, self.length, what)?;
        self.at += N as u64;
        Ok(b)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, Damage> {
        Ok(self.array::<1>(what)?[0])
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

    fn str(&mut self, what: &'static str) -> Result<&'t str, Damage> {
        let at = self.at;
        let id = self.u32(what)? as usize;
        self.strings.get(id).copied().ok_or((at, what))
    }

    fn opt(&mut self, what: &'static str) -> Result<Option<&'t str>, Damage> {
        let at = self.at;
        match self.u32(what)? as usize {
            0 => Ok(None),
            id => self
                .strings
                .get(id - 1)
                .copied()
                .map(Some)
                .ok_or((at, what)),
        }
    }

    fn shared(&mut self, what: &'static str) -> Result<Arc<str>, Damage> {
        let at = self.at;
        let id = self.u32(what)? as usize;
        let s = self.strings.get(id).copied().ok_or((at, what))?;
        Ok(self.shared[id].get_or_insert_with(|| s.into()).clone())
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

    fn list(&mut self, what: &'static str) -> Result<Arc<[Revoke]>, Damage> {
        let at = self.at;
        let id = self.u32(what)? as usize;
        self.lists.get(id).cloned().ok_or((at, what))
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

    fn revoke_lists(&mut self) -> Result<(), Damage> {
        let count = self.count(4, "revoke lists")?;
        self.lists.reserve(count + 1);
        self.lists.push(Vec::new().into());
        for _ in 0..count {
            let n = self.count(16, "revoke list")?;
            let mut list = Vec::with_capacity(n);
            for _ in 0..n {
                let id = self.str("revoke id")?.to_string();
                let action = Revoke::action_name(self.str("revoke action")?.to_string());
                let cost = self.u32("revoke cost")?;
                let commands = (0..self.count(4, "revoke commands")?)
                    .map(|_| self.str("revoke command").map(str::to_string))
                    .collect::<Result<Vec<_>, _>>()?;
                list.push(Revoke {
                    id,
                    action,
                    cost,
                    // As from a native graph file: whoever wrote the file wrote them.
                    from_file: !commands.is_empty(),
                    commands,
                });
            }
            self.lists.push(list.into());
        }
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
        let kind = *kinds.by_id.entry(id).or_insert_with(|| {
            let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
                name.into_deserializer();
            K::deserialize(de).ok()
        });
        kind.ok_or((at, what))
    }

    fn node(&mut self, kinds: &mut KindCache<NodeKind>) -> Result<Node, Damage> {
        let key = self.str("node key")?.into();
        let kind = self.kind(kinds, "node kind")?;
        let platform = self.str("node platform")?.into();
        let name = self.str("node name")?.into();
        let scope = self.opt("node scope")?.map(Into::into);
        let owner = self.opt("node owner")?.map(Into::into);
        let purpose = self.opt("node purpose")?.map(Into::into);
        let environment = self.opt("node environment")?.map(Into::into);
        let criticality = self.u8("criticality")?.checked_sub(1);
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
        let revoke = self.list("node revoke list")?.to_vec();
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
        edge.conditions.reserve_exact(conditions);
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
        edge.revoke = self.list("edge revoke list")?;
        edge.provenance = self.provenance()?;
        Ok(edge)
    }
}

/// Node and edge kinds by the index of the string that names them, parsed once each.
struct KindCache<K> {
    by_id: FxHashMap<u32, Option<K>>,
}

impl<K: Copy + DeserializeOwned> KindCache<K> {
    fn new() -> Self {
        KindCache {
            by_id: FxHashMap::default(),
        }
    }
}

fn decode<R: Read>(d: &mut Decoder<'_, '_, R>, builder: &mut Builder) -> Result<(), Damage> {
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
    let (mut node_kinds, mut edge_kinds) = (KindCache::new(), KindCache::new());
    let nodes = d.count(40, "nodes")?;
    let mut ids = Vec::with_capacity(nodes);
    builder.graph.reserve(nodes, 0);
    for i in 0..nodes {
        let node = d.node(&mut node_kinds)?;
        let at = Place::Node(i as u32);
        ids.push(builder.add_node(node, &at));
    }
    let edges = d.count(30, "edges")?;
    builder.graph.reserve(0, edges);
    for _ in 0..edges {
        let at = d.at;
        let (from, to) = (d.u32("edge")? as usize, d.u32("edge")? as usize);
        let (&from, &to) = ids
            .get(from)
            .zip(ids.get(to))
            .ok_or((at, "edge endpoints"))?;
        let edge = d.edge(&mut edge_kinds)?;
        builder.graph.add_edge(from, to, edge);
        if let Some(count) = builder.edges_added.last_mut() {
            *count += 1;
        }
    }
    for _ in 0..d.count(12, "warnings")? {
        let (f, place, message) = (d.str("warning")?, d.str("warning")?, d.str("warning")?);
        builder
            .warnings
            .push(Warning::new(f, place, message.to_string()));
    }
    Ok(())
}
