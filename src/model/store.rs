//! How the graph keeps its edges: each one a 24-byte record of numbers, the reasons,
//! revoke lists, places and conditions it names held once in tables beside it.
//!
//! A million-node estate has five million edges and a few thousand distinct reasons; an
//! edge that held its own handles to them took 112 bytes, two thirds of a load's memory.
//! Callers never see the record: [`super::TrustGraph::edge`] answers with an
//! [`EdgeRef`], which reads like an [`Edge`] and borrows its strings from the tables.

use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;

use super::frozen::Strings;
use super::view::{Entries, Revokes};
use super::{AccessLevel, Condition, Edge, EdgeKind, Place, Provenance, Revoke, SourceId};

const DORMANT: u8 = 1;
const POTENTIAL: u8 = 2;
const ASSERTED: u8 = 4;

/// Which [`Place`] a record's `place` number stands for (the discriminant is what a
/// snapshot writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlaceTag {
    Unknown,
    Node,
    Edge,
    Line,
    /// An index into [`EdgeTables::places`]: any other place, and lines past `u32::MAX`.
    Table,
}

impl PlaceTag {
    pub(crate) fn from_u8(tag: u8) -> Option<PlaceTag> {
        Some(match tag {
            0 => PlaceTag::Unknown,
            1 => PlaceTag::Node,
            2 => PlaceTag::Edge,
            3 => PlaceTag::Line,
            4 => PlaceTag::Table,
            _ => return None,
        })
    }
}

/// A place as a tag and a number, the rest in a table of places (index 0 unused): how
/// the graph keeps an edge's place and a snapshot any place.
pub(crate) fn place_number(place: &Place, mut table: impl FnMut(&Place) -> u32) -> (PlaceTag, u32) {
    match place {
        Place::Unknown => (PlaceTag::Unknown, 0),
        Place::Node(n) => (PlaceTag::Node, *n),
        Place::Edge(n) => (PlaceTag::Edge, *n),
        Place::Line(n) if *n <= u64::from(u32::MAX) => (PlaceTag::Line, *n as u32),
        other => (PlaceTag::Table, table(other)),
    }
}

/// The place a tag and number stand for (`places` for [`PlaceTag::Table`]).
pub(crate) fn place_of(tag: PlaceTag, n: u32, places: &[Place]) -> Place {
    match tag {
        PlaceTag::Unknown => Place::Unknown,
        PlaceTag::Node => Place::Node(n),
        PlaceTag::Edge => Place::Edge(n),
        PlaceTag::Line => Place::Line(u64::from(n)),
        PlaceTag::Table => places[n as usize].clone(),
    }
}

/// One edge as the graph keeps it.
#[derive(Debug, Clone)]
pub(crate) struct Packed {
    reason: u32,
    revoke: u32,
    /// Index into [`EdgeTables::extras`]; 0 when the edge has no conditions or technique.
    extra: u32,
    source: SourceId,
    place: u32,
    kind: EdgeKind,
    flags: u8,
    level: Option<AccessLevel>,
    place_tag: PlaceTag,
}

/// What few edges carry: kept apart so that the others pay nothing for it.
#[derive(Debug, Default)]
pub(crate) struct Extra {
    pub(crate) conditions: Vec<Condition>,
    pub(crate) technique: Option<Box<str>>,
}

/// One table of shared values. An importer hands the same `Arc` to every edge of a
/// policy, so the last one interned is remembered by address and found again without
/// hashing its text; reasons are also shared by value.
#[derive(Debug)]
struct Table<T: ?Sized> {
    items: Vec<Arc<T>>,
    /// The index of `items[0]`: the revoke lists of a snapshot come first, read on demand
    /// ([`LazyLists`]), and lists added afterwards are numbered after them.
    base: u32,
    /// Address of the last item interned or found, and its index. Only ever an item the
    /// table holds: an address is unique while its allocation lives.
    last: (usize, u32),
}

impl<T: ?Sized> Table<T> {
    fn with_first(first: Arc<T>) -> Table<T> {
        Table {
            last: (address(&first), 0),
            items: vec![first],
            base: 0,
        }
    }

    /// Numbered from `base`, and nothing recent.
    fn after(base: u32) -> Table<T> {
        Table {
            items: Vec::new(),
            base,
            last: (0, u32::MAX),
        }
    }

    /// The index of `item` when it is the one interned last.
    fn recent(&self, item: &Arc<T>) -> Option<u32> {
        (self.last.0 == address(item)).then_some(self.last.1)
    }

    fn push(&mut self, item: &Arc<T>) -> u32 {
        let id = u32::try_from(self.items.len())
            .ok()
            .and_then(|n| n.checked_add(self.base))
            .expect("fewer than 2^32 shared values");
        self.items.push(item.clone());
        self.last = (address(item), id);
        id
    }

    fn get(&self, id: u32) -> &Arc<T> {
        &self.items[(id - self.base) as usize]
    }

    /// How many ids the table answers (the base's among them).
    fn len(&self) -> usize {
        self.base as usize + self.items.len()
    }
}

fn address<T: ?Sized>(item: &Arc<T>) -> usize {
    Arc::as_ptr(item).cast::<()>() as usize
}

/// The tables every [`Packed`] record points into.
#[derive(Debug)]
pub(super) struct EdgeTables {
    reasons: Table<str>,
    /// Reason text → index, so that reasons built afresh for each edge are kept once.
    reason_ids: FxHashMap<Arc<str>, u32>,
    /// Index 0 is the empty list.
    revokes: Table<[Revoke]>,
    /// A snapshot's revoke lists, made when first asked for whole (their entries are
    /// read in place): a million-node estate lists millions of them, and an analysis
    /// needs few whole.
    lazy: Option<LazyLists>,
    /// Places that are not a number: the text of an `Other` place (and lines past
    /// `u32::MAX`). Index 0 is `Unknown`, a placeholder no record names.
    places: Vec<Place>,
    /// The address of the text of the last `Other` place kept, and its index: every edge
    /// of one record shares one place.
    last_place: (usize, u32),
    /// Index 0 is a placeholder that no record names.
    extras: Vec<Extra>,
}

impl Default for EdgeTables {
    fn default() -> Self {
        EdgeTables {
            reasons: Table::with_first(Arc::from("")),
            reason_ids: FxHashMap::default(),
            revokes: Table::with_first(super::no_revoke()),
            lazy: None,
            places: vec![Place::Unknown],
            last_place: (0, 0),
            extras: vec![Extra::default()],
        }
    }
}

impl EdgeTables {
    pub(super) fn pack(&mut self, edge: Edge) -> Packed {
        let reason = self.reason(&edge.reason);
        let revoke = if edge.revoke.is_empty() {
            0
        } else if let Some(id) = self.revokes.recent(&edge.revoke) {
            id
        } else {
            self.revokes.push(&edge.revoke)
        };
        let extra = if edge.conditions.is_empty() && edge.technique.is_none() {
            0
        } else {
            self.extras.push(Extra {
                conditions: edge.conditions,
                technique: edge.technique,
            });
            u32::try_from(self.extras.len() - 1).expect("fewer than 2^32 conditional edges")
        };
        let (place_tag, place) = self.place(edge.provenance.place);
        let flag = |set: bool, bit: u8| if set { bit } else { 0 };
        let flags = flag(edge.dormant, DORMANT)
            | flag(edge.potential, POTENTIAL)
            | flag(edge.asserted, ASSERTED);
        Packed {
            reason,
            revoke,
            extra,
            source: edge.provenance.source,
            place,
            kind: edge.kind,
            flags,
            level: edge.level,
            place_tag,
        }
    }

    fn reason(&mut self, reason: &Arc<str>) -> u32 {
        if let Some(id) = self.reasons.recent(reason) {
            return id;
        }
        if let Some(&id) = self.reason_ids.get(reason) {
            // Remember the kept copy, not this one: this one may be freed and its address
            // given to another text.
            self.reasons.last = (address(self.reasons.get(id)), id);
            return id;
        }
        let id = self.reasons.push(reason);
        self.reason_ids.insert(reason.clone(), id);
        id
    }

    fn place(&mut self, place: Place) -> (PlaceTag, u32) {
        place_number(&place, |table| match table {
            Place::Other(text) => {
                let at = address(text);
                if self.last_place.0 == at && self.last_place.1 != 0 {
                    return self.last_place.1;
                }
                let id = self.push_place(table.clone());
                // The table holds the text now: its address stays its own.
                self.last_place = (at, id);
                id
            }
            far => self.push_place(far.clone()),
        })
    }

    fn push_place(&mut self, place: Place) -> u32 {
        let id = u32::try_from(self.places.len()).expect("fewer than 2^32 places");
        self.places.push(place);
        id
    }

    /// The edge a record stands for, its strings borrowed from the tables.
    pub(super) fn view<'g>(&'g self, packed: &Packed) -> EdgeRef<'g> {
        let extra = &self.extras[packed.extra as usize];
        let place = place_of(packed.place_tag, packed.place, &self.places);
        EdgeRef {
            kind: packed.kind,
            reason: self.reasons.get(packed.reason),
            conditions: &extra.conditions,
            dormant: packed.flags & DORMANT != 0,
            potential: packed.flags & POTENTIAL != 0,
            asserted: packed.flags & ASSERTED != 0,
            technique: extra.technique.as_deref(),
            level: packed.level,
            revoke: Revokes::listed(self, packed.revoke),
            provenance: Provenance {
                source: packed.source,
                place,
            },
        }
    }
}

impl EdgeTables {
    /// Revoke list `id`'s entries, read in place: a snapshot's list is not made.
    pub(super) fn entries(&self, id: u32) -> Entries<'_> {
        match &self.lazy {
            Some(lazy) if (id as usize) < lazy.len() => lazy.in_place(id as usize),
            _ => Entries::made(self.revokes.get(id)),
        }
    }

    /// How many of a snapshot's revoke lists were made (tests: reading must not make them).
    #[cfg(test)]
    pub(super) fn lists_made(&self) -> usize {
        self.lazy.as_ref().map_or(0, |lazy| {
            (0..lazy.len()).filter(|&i| lazy.is_made(i)).count()
        })
    }

    /// A snapshot's revoke lists (as read), and the places.
    pub(super) fn read_lists(&self) -> Option<&LazyLists> {
        self.lazy.as_ref()
    }

    pub(super) fn places(&self) -> &[Place] {
        &self.places
    }

    /// Revoke list `id`.
    pub(super) fn list(&self, id: u32) -> &Arc<[Revoke]> {
        match &self.lazy {
            Some(lazy) if (id as usize) < lazy.len() => lazy.get(id as usize),
            _ => self.revokes.get(id),
        }
    }

    /// Tables read from a snapshot (see [`super::frozen`]): `places[0]` and `extras[0]`
    /// are the placeholders no record names, list 0 of `lists` is the empty list.
    pub(super) fn read(
        reasons: Vec<Arc<str>>,
        lists: LazyLists,
        places: Vec<Place>,
        extras: Vec<Extra>,
    ) -> EdgeTables {
        let reason_ids = reasons
            .iter()
            .enumerate()
            .map(|(i, r)| (r.clone(), i as u32))
            .collect();
        let mut reasons = reasons.into_iter();
        let mut table = Table::with_first(reasons.next().unwrap_or_else(|| Arc::from("")));
        reasons.for_each(|r| {
            table.push(&r);
        });
        EdgeTables {
            reasons: table,
            reason_ids,
            revokes: Table::after(lists.len() as u32),
            lazy: Some(lists),
            places,
            last_place: (0, 0),
            extras,
        }
    }

    /// Whether every index of a record read from a snapshot is in these tables.
    pub(super) fn holds(&self, p: &Packed) -> bool {
        (p.reason as usize) < self.reasons.len()
            && (p.revoke as usize) < self.revokes.len()
            && (p.extra as usize) < self.extras.len()
            && (p.place_tag != PlaceTag::Table
                || (p.place != 0 && (p.place as usize) < self.places.len()))
    }
}

/// A snapshot's revoke lists as it holds them, strings by index: their entries are read
/// in place ([`RevokeRef`](super::RevokeRef)), and a list is made into [`Revoke`]s the
/// first time it is asked for whole.
#[derive(Debug)]
pub(crate) struct LazyLists {
    strings: Arc<Strings>,
    /// Per list, its entries in `entries` (list 0 is empty).
    spans: Vec<[u32; 2]>,
    /// Per entry: id, action, cost, and its commands in `commands`.
    entries: Vec<[u32; 5]>,
    commands: Vec<u32>,
    /// Lists made so far, in chunks allocated at first use.
    made: Box<[OnceLock<Chunk>]>,
}

/// [`CHUNK`] lists, each made at first use.
type Chunk = Box<[OnceLock<Arc<[Revoke]>>]>;

const CHUNK: usize = 1024;

impl LazyLists {
    /// The lists, every index checked: `None` when one points outside its table.
    pub(crate) fn new(
        strings: Arc<Strings>,
        spans: Vec<[u32; 2]>,
        entries: Vec<[u32; 5]>,
        commands: Vec<u32>,
    ) -> Option<LazyLists> {
        // Laid out as the writer lays them, one after the other: no two lists share an
        // entry and no two entries a command, so that what a list costs to make is
        // counted once ([`Self::bytes`]) and a small file cannot name one long run of
        // entries a million times.
        let in_turn = |runs: &mut dyn Iterator<Item = [u32; 2]>, len: usize| {
            let mut at = 0;
            for [a, b] in runs {
                if a != at || a > b {
                    return false;
                }
                at = b;
            }
            at as usize == len
        };
        let ok = spans.first() == Some(&[0, 0])
            && in_turn(&mut spans.iter().copied(), entries.len())
            && in_turn(&mut entries.iter().map(|e| [e[3], e[4]]), commands.len())
            && entries
                .iter()
                .all(|&[id, action, ..]| strings.has(id) && strings.has(action))
            && commands.iter().all(|&c| strings.has(c));
        let made = (0..spans.len().div_ceil(CHUNK))
            .map(|_| OnceLock::new())
            .collect();
        ok.then_some(LazyLists {
            strings,
            spans,
            entries,
            commands,
            made,
        })
    }

    pub(super) fn len(&self) -> usize {
        self.spans.len()
    }

    /// Per list, the bytes made of it (its strings, and the entries and commands that
    /// hold them): what a copy of it costs.
    pub(crate) fn bytes(&self) -> Vec<u64> {
        const ENTRY: u64 = std::mem::size_of::<Revoke>() as u64;
        const COMMAND: u64 = std::mem::size_of::<String>() as u64;
        let len = |id: u32| self.strings.get(id).len() as u64;
        self.spans
            .iter()
            .map(|&[a, b]| {
                self.entries[a as usize..b as usize].iter().fold(
                    0u64,
                    |sum, &[id, action, _, from, to]| {
                        let commands = self.commands[from as usize..to as usize]
                            .iter()
                            .fold(0u64, |sum, &c| sum.saturating_add(COMMAND + len(c)));
                        sum.saturating_add(ENTRY + len(id) + len(action))
                            .saturating_add(commands)
                    },
                )
            })
            .collect()
    }

    /// List `i`'s entries where they are: the list when it was made, else its run in the
    /// table. Exports list every node's and edge's ids, and a plan reads every entry in
    /// the blast radius; making those lists was most of their memory.
    pub(super) fn in_place(&self, i: usize) -> Entries<'_> {
        match self.made[i / CHUNK]
            .get()
            .and_then(|chunk| chunk[i % CHUNK].get())
        {
            Some(made) => Entries::made(made),
            None => {
                let [a, b] = self.spans[i];
                Entries::table(self, a..b)
            }
        }
    }

    /// Whether list `i` was made (tests: reading in place must not make it).
    #[cfg(test)]
    pub(super) fn is_made(&self, i: usize) -> bool {
        self.made[i / CHUNK]
            .get()
            .is_some_and(|chunk| chunk[i % CHUNK].get().is_some())
    }

    pub(super) fn entry_id(&self, e: u32) -> &str {
        self.strings.get(self.entries[e as usize][0])
    }

    pub(super) fn entry_action(&self, e: u32) -> &str {
        self.strings.get(self.entries[e as usize][1])
    }

    pub(super) fn entry_cost(&self, e: u32) -> u32 {
        self.entries[e as usize][2]
    }

    /// Entry `e` made into a [`Revoke`], as its list would hold it.
    pub(super) fn entry(&self, e: u32) -> Revoke {
        let [id, action, cost, from, to] = self.entries[e as usize];
        let s = |id: u32| self.strings.get(id);
        let commands: Vec<String> = self.commands[from as usize..to as usize]
            .iter()
            .map(|&c| s(c).to_string())
            .collect();
        Revoke {
            id: s(id).to_string(),
            action: Revoke::action_name(s(action)),
            cost,
            // As from a native graph file: whoever wrote the file wrote them.
            from_file: !commands.is_empty(),
            commands,
        }
    }

    pub(super) fn get(&self, i: usize) -> &Arc<[Revoke]> {
        let chunk =
            self.made[i / CHUNK].get_or_init(|| (0..CHUNK).map(|_| OnceLock::new()).collect());
        chunk[i % CHUNK].get_or_init(|| self.make(i))
    }

    fn make(&self, i: usize) -> Arc<[Revoke]> {
        let [a, b] = self.spans[i];
        if a == b {
            return super::no_revoke();
        }
        (a..b).map(|e| self.entry(e)).collect()
    }
}

impl Packed {
    /// A record as a snapshot holds it: `[reason, revoke, extra, source, place]` and the
    /// flags, level (0 for none, else 1 + its rank) and place tag; `None` when a byte
    /// stands for nothing. The indices are checked against the tables by
    /// [`EdgeTables::holds`].
    pub(crate) fn read(
        kind: EdgeKind,
        words: [u32; 5],
        flags: u8,
        level: u8,
        tag: u8,
    ) -> Option<Packed> {
        let [reason, revoke, extra, source, place] = words;
        let level = match level {
            0 => None,
            1 => Some(AccessLevel::Read),
            2 => Some(AccessLevel::Write),
            3 => Some(AccessLevel::Admin),
            _ => return None,
        };
        (flags <= DORMANT | POTENTIAL | ASSERTED).then_some(())?;
        Some(Packed {
            reason,
            revoke,
            extra,
            source: SourceId(source),
            place,
            kind,
            flags,
            level,
            place_tag: PlaceTag::from_u8(tag)?,
        })
    }

    pub(super) fn source(&self) -> SourceId {
        self.source
    }

    pub(super) fn kind(&self) -> EdgeKind {
        self.kind
    }

    pub(super) fn dormant(&self) -> bool {
        self.flags & DORMANT != 0
    }

    /// [`Edge::is_conditional`] without reading the tables: only conditional edges have
    /// conditions, and only those are in `extras` with a non-empty list.
    pub(super) fn conditional(&self, tables: &EdgeTables) -> bool {
        self.flags & POTENTIAL != 0
            || (self.extra != 0 && !tables.extras[self.extra as usize].conditions.is_empty())
    }
}

/// An edge of a [`super::TrustGraph`], read in place: the fields of an [`Edge`], with its
/// shared strings and lists borrowed from the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeRef<'g> {
    pub kind: EdgeKind,
    pub reason: &'g Arc<str>,
    pub conditions: &'g [Condition],
    /// Marked dormant by the input (disabled binding, deleted target…); never traversed.
    pub dormant: bool,
    /// An edge that depends on a resource the export cannot show (e.g. "if a Lambda exists").
    pub potential: bool,
    /// Asserted by a person (links CSV) rather than derived from an export.
    pub asserted: bool,
    pub technique: Option<&'g str>,
    pub level: Option<AccessLevel>,
    /// Made (from a snapshot) only when read.
    pub revoke: Revokes<'g>,
    pub provenance: Provenance,
}

impl Edge {
    /// The edge read as the graph answers it, for code that takes either.
    pub fn view(&self) -> EdgeRef<'_> {
        EdgeRef {
            kind: self.kind,
            reason: &self.reason,
            conditions: &self.conditions,
            dormant: self.dormant,
            potential: self.potential,
            asserted: self.asserted,
            technique: self.technique.as_deref(),
            level: self.level,
            revoke: Revokes::shared(&self.revoke),
            provenance: self.provenance.clone(),
        }
    }
}

impl EdgeRef<'_> {
    /// Traversal depends on something trustpath could not verify.
    pub fn is_conditional(&self) -> bool {
        self.potential || !self.conditions.is_empty()
    }

    /// An owned copy, sharing the reason and revoke list.
    pub fn to_edge(&self) -> Edge {
        Edge {
            kind: self.kind,
            reason: self.reason.clone(),
            conditions: self.conditions.to_vec(),
            dormant: self.dormant,
            potential: self.potential,
            asserted: self.asserted,
            technique: self.technique.map(Into::into),
            level: self.level,
            revoke: self.revoke.to_shared(),
            provenance: self.provenance.clone(),
        }
    }

    /// Says the same thing as `other` (provenance aside).
    pub(super) fn same_meaning(&self, other: &EdgeRef<'_>) -> bool {
        self.kind == other.kind
            && self.reason == other.reason
            && self.conditions == other.conditions
            && self.dormant == other.dormant
            && self.potential == other.potential
            && self.asserted == other.asserted
            && self.technique == other.technique
            && self.level == other.level
            && self.revoke == other.revoke
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(reason: &str) -> Edge {
        Edge::new(EdgeKind::CanRead, reason, Provenance::default())
    }

    /// Every field survives packing, whatever it shares with the edges before it.
    #[test]
    fn packed_edges_read_back_as_they_were_added() {
        let mut tables = EdgeTables::default();
        let place: Arc<str> = Arc::from("/Roles/3");
        let revoke: Arc<[Revoke]> = Arc::from(vec![Revoke {
            id: "detach:p".into(),
            action: Revoke::action_name("detach_policy"),
            cost: 3,
            commands: vec!["aws iam detach-role-policy …".into()],
            from_file: false,
        }]);
        let mut edges = Vec::new();
        for i in 0..12u32 {
            let mut e = edge(if i % 3 == 0 { "r0" } else { "r1" });
            e.dormant = i % 2 == 0;
            e.potential = i % 5 == 0;
            e.asserted = i % 7 == 0;
            e.level = (i % 4 == 0).then_some(AccessLevel::Write);
            if i % 4 == 1 {
                e.conditions = vec![Condition::described(format!("c{i}"))];
                e.technique = Some("iam:PassRole".into());
            }
            if i % 2 == 1 {
                e.revoke = revoke.clone();
            }
            e.provenance.source = SourceId(i % 3);
            e.provenance.place = match i % 6 {
                0 => Place::Unknown,
                1 => Place::Node(i),
                2 => Place::Edge(i),
                3 => Place::Line(u64::from(i)),
                4 => Place::Other(place.clone()),
                _ => Place::Line(u64::from(u32::MAX) + 9),
            };
            edges.push(e);
        }
        let packed: Vec<Packed> = edges.iter().cloned().map(|e| tables.pack(e)).collect();
        for (e, p) in edges.iter().zip(&packed) {
            let view = tables.view(p);
            assert_eq!(&view.to_edge(), e);
            assert_eq!(view.is_conditional(), e.is_conditional());
            assert_eq!(p.conditional(&tables), e.is_conditional());
            assert_eq!(p.dormant(), e.dormant);
        }
        // Two reasons kept once each, whatever number of copies came in.
        assert_eq!(tables.reasons.items.len(), 3);
        assert_eq!(tables.revokes.items.len(), 2);
    }

    /// A reason freed after it was interned by value cannot be mistaken, by its address,
    /// for a later one.
    #[test]
    fn a_freed_reason_is_not_found_by_its_address() {
        let mut tables = EdgeTables::default();
        let kept = tables.pack(edge("first"));
        for i in 0..100 {
            // Each of these is dropped after packing; the allocator reuses the addresses.
            let a = tables.pack(edge("first"));
            let b = tables.pack(edge(&format!("other {i}")));
            assert_eq!(&**tables.view(&a).reason, "first");
            assert_eq!(&**tables.view(&b).reason, format!("other {i}"));
        }
        assert_eq!(&**tables.view(&kept).reason, "first");
    }
}
