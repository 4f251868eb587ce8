//! Writing a snapshot: strings, revoke lists, reasons, places and conditions into tables,
//! then nodes and edges as fixed-size records of indices into them (see `mod.rs`).

use std::borrow::Cow;
use std::io::{self, Write};

use rustc_hash::FxHashMap;

use super::{FORMAT, HEADER, MAGIC};
use crate::import::Warning;
use crate::model::{
    AccessLevel, EdgeKind, NONE, NodeKind, NodeRecord, NodeRef, Place, Revoke, TrustGraph,
    place_number, word,
};

/// Writes `graph` (and the warnings of the load that built it) as a snapshot.
pub fn write(w: &mut dyn Write, graph: &TrustGraph, warnings: &[Warning]) -> io::Result<()> {
    let mut enc = Encoder::default();
    let writer = enc.id(concat!("trustpath ", env!("CARGO_PKG_VERSION")));
    let metadata = serde_json::to_string(graph.metadata()).map_err(io::Error::other)?;
    let metadata = enc.transient_id(&metadata);
    let mut body = Words::default();
    body.push(writer);
    body.push(metadata);
    let sources: Vec<u32> = graph.sources().map(|s| enc.id(s)).collect();
    body.list(&sources);
    let node_kinds: Vec<u32> = NodeKind::ALL.iter().map(|k| enc.id(k.as_str())).collect();
    body.list(&node_kinds);
    // Nodes and edges go into their own buffers first: they fill the tables written before
    // them.
    let mut nodes = Words::default();
    nodes.push(graph.node_count() as u32);
    for id in graph.node_ids() {
        let record = enc.node(graph.node(id));
        nodes.extend(&record);
    }
    // The key order next to the nodes: a reader checks both while it reads the edges.
    nodes.push(graph.node_count() as u32);
    for id in graph.nodes_by_key() {
        nodes.push(id.index() as u32);
    }
    let mut edges = Words::default();
    edges.push(graph.edge_count() as u32);
    for id in graph.edge_ids() {
        let (from, to) = graph.endpoints(id);
        let e = graph.edge(id);
        let kind = enc.edge_kind(e.kind);
        let reason = enc.reason(e.reason);
        let revoke = enc.revokes(e.revoke.get());
        let extra = if e.conditions.is_empty() && e.technique.is_none() {
            0
        } else {
            enc.extra(&e)
        };
        let (tag, place) = enc.place(&e.provenance.place);
        let flags = u32::from(e.dormant) | u32::from(e.potential) << 1 | u32::from(e.asserted) << 2;
        let level = match e.level {
            None => 0,
            Some(AccessLevel::Read) => 1,
            Some(AccessLevel::Write) => 2,
            Some(AccessLevel::Admin) => 3,
        };
        edges.extend(&[
            from.index() as u32,
            to.index() as u32,
            reason,
            revoke,
            extra,
            e.provenance.source.0,
            place,
            kind | flags << 8 | level << 16 | u32::from(tag) << 24,
        ]);
    }
    let edge_kinds: Vec<u32> = std::mem::take(&mut enc.edge_kinds)
        .into_iter()
        .map(|k| enc.id(k.as_str()))
        .collect();
    body.list(&edge_kinds);
    body.list_of(&enc.spans);
    body.list_of(&enc.entries);
    body.list(&enc.commands);
    body.list(&enc.reasons);
    body.push(enc.places.len() as u32);
    for &(tag, value) in &enc.places {
        body.push(tag);
        body.extend(&[value as u32, (value >> 32) as u32]);
    }
    body.push(enc.extras.count);
    body.extend(&enc.extras.words);
    body.list_of(&enc.tags);
    body.push(enc.credentials.count);
    body.extend(&enc.credentials.words);
    let mut tail = Words::default();
    // Each node's edges out in the adjacency's order: a load need not sort them again.
    tail.push(graph.edge_count() as u32);
    for id in graph.node_ids() {
        for (e, _) in graph.outgoing(id) {
            tail.push(e.index() as u32);
        }
    }
    tail.push(warnings.len() as u32);
    for warning in warnings {
        let ids = [
            enc.transient_id(&warning.file),
            enc.transient_id(&warning.place),
            enc.transient_id(&warning.message),
        ];
        tail.extend(&ids);
    }
    let strings = enc.strings()?;
    let payload = [strings.0, strings.1, body.0, nodes.0, edges.0, tail.0];
    let length: u64 = payload.iter().map(|p| p.len() as u64).sum();
    let mut crc = crc32fast::Hasher::new();
    payload.iter().for_each(|p| crc.update(p));
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT.to_le_bytes());
    header.extend_from_slice(&[0; 4]);
    header.extend_from_slice(&length.to_le_bytes());
    header.extend_from_slice(&u64::from(crc.finalize()).to_le_bytes());
    w.write_all(&header)?;
    for part in payload {
        w.write_all(&part)?;
    }
    Ok(())
}

/// Little-endian 32-bit words.
#[derive(Default)]
struct Words(Vec<u8>);

impl Words {
    fn push(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn extend(&mut self, words: &[u32]) {
        words.iter().for_each(|&w| self.push(w));
    }

    /// A count, then the words.
    fn list(&mut self, words: &[u32]) {
        self.push(words.len() as u32);
        self.extend(words);
    }

    /// A count, then the records.
    fn list_of<const N: usize>(&mut self, records: &[[u32; N]]) {
        self.push(records.len() as u32);
        records.iter().for_each(|r| self.extend(r));
    }
}

/// Counted records of varying size.
#[derive(Default)]
struct Counted {
    count: u32,
    words: Vec<u32>,
}

/// The tables, filled as nodes and edges are encoded.
struct Encoder<'g> {
    /// Borrowed from the graph but for the few strings made as it is written (an edge's
    /// place, the metadata, warnings).
    strings: FxHashMap<Cow<'g, str>, u32>,
    text: Vec<u8>,
    ends: Vec<u32>,
    edge_kinds: Vec<EdgeKind>,
    /// Revoke lists by the address of their elements (the importers share one list among
    /// all the edges it cuts).
    lists: FxHashMap<(usize, usize), u32>,
    spans: Vec<[u32; 2]>,
    entries: Vec<[u32; 5]>,
    commands: Vec<u32>,
    /// Reasons by string id, and the table of them.
    reason_ids: FxHashMap<u32, u32>,
    reasons: Vec<u32>,
    /// Places that are not a number (tag, value); index 0 a placeholder.
    places: Vec<(u32, u64)>,
    place_ids: FxHashMap<u32, u32>,
    /// Conditions and techniques; index 0 a placeholder.
    extras: Counted,
    tags: Vec<[u32; 2]>,
    credentials: Counted,
}

impl Default for Encoder<'_> {
    fn default() -> Self {
        Encoder {
            strings: FxHashMap::default(),
            text: Vec::new(),
            ends: Vec::new(),
            edge_kinds: Vec::new(),
            lists: FxHashMap::default(),
            spans: vec![[0, 0]],
            entries: Vec::new(),
            commands: Vec::new(),
            reason_ids: FxHashMap::default(),
            reasons: Vec::new(),
            places: vec![(0, 0)],
            place_ids: FxHashMap::default(),
            extras: Counted {
                count: 1,
                words: vec![NONE, 0],
            },
            tags: Vec::new(),
            credentials: Counted::default(),
        }
    }
}

impl<'g> Encoder<'g> {
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
        let id = self.ends.len() as u32;
        self.text.extend_from_slice(s.as_bytes());
        // Past 4 GiB the ends wrap: [`Self::strings`] refuses such a table.
        self.ends.push(self.text.len() as u32);
        self.strings.insert(s, id);
        id
    }

    fn opt(&mut self, s: Option<&'g str>) -> u32 {
        s.map_or(NONE, |s| self.id(s))
    }

    /// The string table: its head (count, length, ends) and its text.
    fn strings(&mut self) -> io::Result<(Vec<u8>, Vec<u8>)> {
        if u32::try_from(self.text.len()).is_err() {
            return Err(io::Error::other(
                "the graph's distinct strings take more than 4 GiB: too large for a snapshot (save it as JSON)",
            ));
        }
        let mut head = Words::default();
        head.push(self.ends.len() as u32);
        head.0
            .extend_from_slice(&(self.text.len() as u64).to_le_bytes());
        head.extend(&self.ends);
        Ok((head.0, std::mem::take(&mut self.text)))
    }

    fn edge_kind(&mut self, kind: EdgeKind) -> u32 {
        match self.edge_kinds.iter().position(|&k| k == kind) {
            Some(i) => i as u32,
            None => {
                self.edge_kinds.push(kind);
                self.edge_kinds.len() as u32 - 1
            }
        }
    }

    fn reason(&mut self, reason: &'g str) -> u32 {
        let id = self.id(reason);
        let next = self.reasons.len() as u32;
        let at = *self.reason_ids.entry(id).or_insert(next);
        if at == next {
            self.reasons.push(id);
        }
        at
    }

    /// A place as a tag and a number; texts and far lines in the places table.
    fn place(&mut self, place: &Place) -> (u8, u32) {
        let mut table = |p: &Place| match p {
            Place::Other(text) => {
                let id = self.transient_id(text);
                let next = self.places.len() as u32;
                let at = *self.place_ids.entry(id).or_insert(next);
                if at == next {
                    self.places.push((4, u64::from(id)));
                }
                at
            }
            Place::Line(n) => {
                self.places.push((3, *n));
                self.places.len() as u32 - 1
            }
            _ => 0,
        };
        let (tag, n) = place_number(place, &mut table);
        (tag as u8, n)
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
        let first = self.entries.len() as u32;
        for r in list {
            let from = self.commands.len() as u32;
            for c in &r.commands {
                let c = self.id(c);
                self.commands.push(c);
            }
            let entry = [
                self.id(&r.id),
                self.id(&r.action),
                r.cost,
                from,
                self.commands.len() as u32,
            ];
            self.entries.push(entry);
        }
        self.spans.push([first, self.entries.len() as u32]);
        let id = self.spans.len() as u32 - 1;
        self.lists.insert(at, id);
        id
    }

    /// An edge's conditions and technique, in the extras table.
    fn extra(&mut self, e: &crate::model::EdgeRef<'g>) -> u32 {
        let mut words = vec![self.opt(e.technique), e.conditions.len() as u32];
        for c in e.conditions {
            words.push(self.id(&c.description));
            words.push(self.opt(c.key.as_deref()));
            words.push(self.opt(c.operator.as_deref()));
            words.push(c.values.len() as u32);
            for v in &c.values {
                words.push(self.id(v));
            }
        }
        self.extras.words.extend(words);
        self.extras.count += 1;
        self.extras.count - 1
    }

    fn node(&mut self, n: NodeRef<'g>) -> NodeRecord {
        let mut r = [0u32; 14];
        r[word::KEY] = self.id(n.key);
        r[word::PLATFORM] = self.id(n.platform);
        r[word::NAME] = self.id(n.name);
        for (i, text) in [n.scope, n.owner, n.purpose, n.environment]
            .into_iter()
            .enumerate()
        {
            r[word::TEXTS + i] = self.opt(text);
        }
        r[word::TAGS] = self.tags.len() as u32;
        r[word::TAG_COUNT] = n.tags.len() as u32;
        for (k, v) in n.tags.iter() {
            let pair = [self.id(k), self.id(v)];
            self.tags.push(pair);
        }
        r[word::CREDENTIAL] = match n.credential {
            None => NONE,
            Some(c) => {
                let flag = |b: Option<bool>| b.map_or(0, |b| 1 + u32::from(b));
                let times = [c.created, c.expires, c.last_used, c.last_rotated];
                let present = times
                    .iter()
                    .enumerate()
                    .fold(0, |m, (i, t)| m | u32::from(t.is_some()) << i);
                let mut words = vec![
                    self.opt(c.kind),
                    self.opt(c.status),
                    present | flag(c.long_lived) << 4 | flag(c.copyable) << 6,
                ];
                for t in times {
                    let nanos = t.map_or(0, |t| t.as_nanosecond()).to_le_bytes();
                    words.extend(
                        nanos
                            .chunks_exact(4)
                            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                    );
                }
                self.credentials.words.extend(words);
                self.credentials.count += 1;
                self.credentials.count - 1
            }
        };
        r[word::REVOKE] = self.revokes(n.revoke.get());
        r[word::SOURCE] = n.provenance.source.0;
        let (tag, place) = self.place(&n.provenance.place);
        r[word::PLACE] = place;
        r[word::BITS] = u32::from_le_bytes([
            n.kind.index() as u8,
            n.criticality.map_or(0, |c| c.saturating_add(1)),
            u8::from(n.admin),
            tag,
        ]);
        r
    }
}
