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

use std::io::{self, Write};
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

/// Reads a snapshot into the graph being built: its nodes and edges join whatever the
/// other inputs hold, as a native graph file's would.
pub(super) fn read(bytes: &[u8], file: &str, builder: &mut Builder) -> Result<(), ImportError> {
    let invalid = |message: String| ImportError::Invalid {
        file: file.to_string(),
        message,
    };
    let payload = payload(bytes).map_err(invalid)?;
    decode(payload, builder).map_err(|(at, what)| {
        invalid(format!(
            "damaged snapshot ({what} at byte {}); import the inputs again",
            at + HEADER
        ))
    })
}

/// The payload after the header is checked: magic, format, length, checksum.
fn payload(bytes: &[u8]) -> Result<&[u8], String> {
    if !is_snapshot(bytes) || bytes.len() < HEADER {
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
    let (length, crc) = (word(16), word(24));
    let payload = &bytes[HEADER..];
    if payload.len() as u64 != length {
        return Err(format!(
            "truncated or extended snapshot: its header says {length} bytes follow it, the file has {}",
            payload.len()
        ));
    }
    if u64::from(crc32fast::hash(payload)) != crc {
        return Err("damaged snapshot: its checksum does not match its content".into());
    }
    Ok(payload)
}

type Damage = (usize, &'static str);

struct Decoder<'b> {
    bytes: &'b [u8],
    at: usize,
    strings: Vec<&'b str>,
    /// Shared copies of the strings edges keep as `Arc<str>` (reasons, places).
    shared: Vec<Option<Arc<str>>>,
    lists: Vec<Arc<[Revoke]>>,
    sources: Vec<SourceId>,
}

impl<'b> Decoder<'b> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'b [u8], Damage> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or((self.at, what))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, Damage> {
        Ok(self.take(1, what)?[0])
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, Damage> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A count of records that take at least `min` bytes each: a count the rest of the
    /// file cannot hold is damage, not an allocation of gigabytes.
    fn count(&mut self, min: usize, what: &'static str) -> Result<usize, Damage> {
        let at = self.at;
        let n = self.u32(what)? as usize;
        if n.saturating_mul(min) > self.bytes.len() - self.at {
            return Err((at, what));
        }
        Ok(n)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Damage> {
        let b = self.take(N, what)?;
        b.try_into().map_err(|_| (self.at, what))
    }

    fn str(&mut self, what: &'static str) -> Result<&'b str, Damage> {
        let at = self.at;
        let id = self.u32(what)? as usize;
        self.strings.get(id).copied().ok_or((at, what))
    }

    fn opt(&mut self, what: &'static str) -> Result<Option<&'b str>, Damage> {
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

    fn strings(&mut self) -> Result<(), Damage> {
        let count = self.count(4, "string table")?;
        let at = self.at;
        let bytes = u64::from_le_bytes(self.array("string table")?);
        let bytes = usize::try_from(bytes).map_err(|_| (at, "string table"))?;
        let lengths = self.take(count * 4, "string table")?;
        let at = self.at;
        let blob = self.take(bytes, "string table")?;
        // One UTF-8 check for all of them; each string must then start and end on a
        // character boundary.
        let text = std::str::from_utf8(blob).map_err(|_| (at, "string table"))?;
        self.strings.reserve(count);
        let mut from = 0usize;
        for len in lengths.chunks_exact(4) {
            let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
            let s = from
                .checked_add(len)
                .and_then(|end| text.get(from..end))
                .ok_or((at + from, "string table"))?;
            self.strings.push(s);
            from += len;
        }
        if from != text.len() {
            return Err((at + from, "string table"));
        }
        self.shared = vec![None; count];
        Ok(())
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

fn decode(payload: &[u8], builder: &mut Builder) -> Result<(), Damage> {
    let mut d = Decoder {
        bytes: payload,
        at: 0,
        strings: Vec::new(),
        shared: Vec::new(),
        lists: Vec::new(),
        sources: Vec::new(),
    };
    d.strings()?;
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
    if d.at != payload.len() {
        return Err((d.at, "trailing bytes"));
    }
    Ok(())
}
