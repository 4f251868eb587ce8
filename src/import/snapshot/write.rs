//! Writing a snapshot: strings and revoke lists into tables, records by index.

use std::borrow::Cow;
use std::io::{self, Write};

use jiff::Timestamp;
use rustc_hash::FxHashMap;

use super::{FORMAT, HEADER, MAGIC};
use crate::import::Warning;
use crate::model::{AccessLevel, EdgeRef, NodeRef, Place, Provenance, Revoke, TrustGraph};

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
    enc.u32(graph.node_count());
    for id in graph.nodes_by_key() {
        enc.u32(id.index());
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
    /// Borrowed from the graph but for the few strings it makes as it is read (an edge's
    /// place).
    strings: FxHashMap<Cow<'g, str>, u32>,
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
        match self.strings.get(s) {
            Some(&id) => id,
            None => self.insert(Cow::Borrowed(s)),
        }
    }

    /// The id of a string that does not live as long as the graph.
    fn transient_id(&mut self, s: &str) -> u32 {
        match self.strings.get(s) {
            Some(&id) => id,
            None => self.insert(Cow::Owned(s.to_owned())),
        }
    }

    fn insert(&mut self, s: Cow<'g, str>) -> u32 {
        let id = self.lengths.len() as u32;
        self.table.extend_from_slice(s.as_bytes());
        self.lengths.push(s.len() as u32);
        self.strings.insert(s, id);
        id
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

    fn provenance(&mut self, p: &Provenance) {
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
                let id = self.transient_id(s);
                self.u32(id as usize);
            }
        }
    }

    fn node(&mut self, n: NodeRef<'g>) {
        self.str(n.key);
        self.str(n.kind.as_str());
        self.str(n.platform);
        self.str(n.name);
        self.opt(n.scope);
        self.opt(n.owner);
        self.opt(n.purpose);
        self.opt(n.environment);
        // (0 for none; a criticality above 10 is refused when read, as in native JSON.)
        self.u8(n.criticality.map_or(0, |c| c.saturating_add(1)));
        self.u8(u8::from(n.admin));
        self.u32(n.tags.len());
        for (k, v) in n.tags {
            self.str(k);
            self.str(v);
        }
        match n.credential {
            None => self.u8(0),
            Some(c) => {
                self.u8(1);
                self.opt(c.kind);
                self.opt(c.status);
                for t in [c.created, c.expires, c.last_used, c.last_rotated] {
                    self.time(t);
                }
                self.flag(c.long_lived);
                self.flag(c.copyable);
            }
        }
        let list = self.revokes(n.revoke);
        self.u32(list as usize);
        self.provenance(n.provenance);
    }

    fn edge(&mut self, e: EdgeRef<'g>) {
        self.str(e.kind.as_str());
        self.str(e.reason);
        self.u32(e.conditions.len());
        for c in e.conditions {
            self.str(&c.description);
            self.opt(c.key.as_deref());
            self.opt(c.operator.as_deref());
            self.u32(c.values.len());
            for v in &c.values {
                self.str(v);
            }
        }
        self.u8(u8::from(e.dormant) | u8::from(e.potential) << 1 | u8::from(e.asserted) << 2);
        self.opt(e.technique);
        self.u8(match e.level {
            None => 0,
            Some(AccessLevel::Read) => 1,
            Some(AccessLevel::Write) => 2,
            Some(AccessLevel::Admin) => 3,
        });
        let list = self.revokes(e.revoke);
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
