//! A graph as a snapshot holds it, read in place: every node a record of fourteen
//! numbers (string ids into one text, small fields packed), every edge the 24-byte record
//! the graph keeps anyway. Loading is reading those arrays and checking each index once;
//! nothing is allocated per node or per edge, and [`NodeRef`] borrows its texts straight
//! from the snapshot's string table.
//!
//! A frozen graph answers every question a built one does. Changing it (another input
//! loaded beside the snapshot, an overlay) first thaws it into a built graph: the slow,
//! general path, taken only when something changes.

use std::sync::Arc;

use super::store::{EdgeTables, Extra, LazyLists, Packed, PlaceTag, place_of};
use rustc_hash::FxHashMap;

use super::graph::{NodeFacts, PlatformId};
use super::view::{NodeRef, Revokes, Tags, criticality_of, outsider_of};
use super::{Credential, NodeKind, Place, Provenance, SourceId};

/// An absent optional text.
pub(crate) const NONE: u32 = u32::MAX;

/// Every distinct string of a snapshot, in one text.
#[derive(Debug)]
pub(crate) struct Strings {
    text: Box<str>,
    /// Where each string ends in `text` (it starts where the one before ends).
    ends: Vec<u32>,
}

impl Strings {
    /// The table, when every end lies on a character boundary, in order, the last one at
    /// the end of the text.
    pub(crate) fn new(text: String, ends: Vec<u32>) -> Option<Strings> {
        let mut from = 0;
        for &end in &ends {
            if end < from || !text.is_char_boundary(end as usize) {
                return None;
            }
            from = end;
        }
        (from as usize == text.len()).then(|| Strings {
            text: text.into_boxed_str(),
            ends,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn has(&self, id: u32) -> bool {
        (id as usize) < self.ends.len()
    }

    /// String `id` (checked by whoever stored the id).
    pub(crate) fn get(&self, id: u32) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn opt(&self, id: u32) -> Option<&str> {
        (id != NONE).then(|| self.get(id))
    }

    fn has_opt(&self, id: u32) -> bool {
        id == NONE || self.has(id)
    }
}

/// The words of a [`NodeRecord`].
pub(crate) mod word {
    pub(crate) const KEY: usize = 0;
    pub(crate) const PLATFORM: usize = 1;
    pub(crate) const NAME: usize = 2;
    /// Scope, owner, purpose, environment: [`super::NONE`] when absent.
    pub(crate) const TEXTS: usize = 3;
    /// The node's first tag in the tag pairs, and how many it has.
    pub(crate) const TAGS: usize = 7;
    pub(crate) const TAG_COUNT: usize = 8;
    /// Index into the credentials, or [`super::NONE`].
    pub(crate) const CREDENTIAL: usize = 9;
    /// Revoke list (0: none).
    pub(crate) const REVOKE: usize = 10;
    pub(crate) const SOURCE: usize = 11;
    pub(crate) const PLACE: usize = 12;
    /// Kind (its index in `NodeKind::ALL`), criticality + 1 (0: not given), admin, place
    /// tag: a byte each, lowest first.
    pub(crate) const BITS: usize = 13;
}

/// One node as a snapshot holds it.
pub(crate) type NodeRecord = [u32; 14];

/// A snapshot's nodes, checked ([`Nodes::check`]): a reader checks them on one core
/// while it reads the edges on the other.
pub(crate) struct Nodes {
    records: Vec<NodeRecord>,
    /// `(key, value)` string ids; each node's run sorted by key.
    tags: Vec<[u32; 2]>,
    credentials: Vec<Credential<u32>>,
    /// Per node: `NodeRef` lends it by reference.
    provenance: Vec<Provenance>,
    /// Node ids in key order: keys strictly increasing, so each key is there once and
    /// binary search finds it.
    by_key: Vec<u32>,
}

/// What a snapshot's nodes point into, to check them against.
pub(crate) struct NodeTables<'t> {
    pub(crate) strings: &'t Strings,
    pub(crate) sources: usize,
    pub(crate) lists: &'t LazyLists,
    /// Per list, the bytes of its strings ([`LazyLists::bytes`]): what a node's copy costs.
    pub(crate) list_bytes: &'t [u64],
    /// Index 0 is a placeholder no record names.
    pub(crate) places: &'t [Place],
    /// What copies of the nodes' strings may add up to when the graph is thawed: a real
    /// graph repeats its strings a few times over, a hostile file could name one long
    /// string a million times.
    pub(crate) copy_budget: u64,
}

impl Nodes {
    /// The nodes, when every index in them is in its table, their tags and credentials
    /// come one node after the other, each node's tags are sorted, the key order is one
    /// and copies stay in budget; `Err` names what is not.
    pub(crate) fn check(
        records: Vec<NodeRecord>,
        tags: Vec<[u32; 2]>,
        credentials: Vec<Credential<u32>>,
        by_key: Vec<u32>,
        t: &NodeTables<'_>,
    ) -> Result<Nodes, &'static str> {
        let strings = t.strings;
        for c in &credentials {
            let ok = [c.kind, c.status]
                .into_iter()
                .all(|s| s.is_none_or(|s| strings.has(s)));
            if !ok {
                return Err("credentials");
            }
        }
        let place_ok = |tag: u32, n: u32| match PlaceTag::from_u8(tag as u8) {
            Some(PlaceTag::Table) => n != 0 && (n as usize) < t.places.len(),
            Some(_) => true,
            None => false,
        };
        let len = |id: u32| strings.get(id).len() as u64;
        let mut copies = 0u64;
        // Tags and credentials one node after the other, as the writer lays them: no two
        // nodes share them, so that a thaw copies each once.
        let (mut next_tag, mut next_credential) = (0usize, 0usize);
        let mut provenance = Vec::with_capacity(records.len());
        for r in &records {
            let bits = r[word::BITS].to_le_bytes();
            let texts = &r[word::TEXTS..word::TEXTS + 4];
            let (first, count) = (r[word::TAGS] as usize, r[word::TAG_COUNT] as usize);
            let ok = strings.has(r[word::KEY])
                && !strings.get(r[word::KEY]).is_empty()
                && strings.has(r[word::PLATFORM])
                && strings.has(r[word::NAME])
                && texts.iter().all(|&t| strings.has_opt(t))
                && first == next_tag
                && first
                    .checked_add(count)
                    .is_some_and(|end| end <= tags.len())
                && (r[word::CREDENTIAL] == NONE
                    || (r[word::CREDENTIAL] as usize == next_credential
                        && next_credential < credentials.len()))
                && (r[word::REVOKE] as usize) < t.lists.len()
                && (r[word::SOURCE] as usize) < t.sources
                && usize::from(bits[0]) < NodeKind::ALL.len()
                && bits[1] <= 11
                && bits[2] <= 1
                && place_ok(u32::from(bits[3]), r[word::PLACE]);
            if !ok {
                return Err("nodes");
            }
            next_tag = first + count;
            next_credential += usize::from(r[word::CREDENTIAL] != NONE);
            let pairs = &tags[first..first + count];
            let sorted = pairs.iter().all(|&[k, v]| strings.has(k) && strings.has(v))
                && pairs
                    .windows(2)
                    .all(|w| strings.get(w[0][0]) < strings.get(w[1][0]));
            if !sorted {
                return Err("node tags");
            }
            let credential = credentials
                .get(r[word::CREDENTIAL] as usize)
                .map_or(0, |c| {
                    [c.kind, c.status].into_iter().flatten().map(len).sum()
                });
            let own: u64 = [word::KEY, word::PLATFORM, word::NAME]
                .iter()
                .map(|&w| len(r[w]))
                .chain(texts.iter().filter(|&&t| t != NONE).map(|&t| len(t)))
                .chain(pairs.iter().map(|&[k, v]| len(k) + len(v)))
                .sum::<u64>()
                + credential;
            let list = t.list_bytes.get(r[word::REVOKE] as usize).copied();
            copies = copies.saturating_add(own).saturating_add(list.unwrap_or(0));
            if copies > t.copy_budget {
                return Err("strings repeated far beyond the file's size");
            }
            let tag = PlaceTag::from_u8(bits[3]).unwrap_or(PlaceTag::Unknown);
            provenance.push(Provenance {
                source: SourceId(r[word::SOURCE]),
                place: place_of(tag, r[word::PLACE], t.places),
            });
        }
        if next_tag != tags.len() || next_credential != credentials.len() {
            return Err("nodes");
        }
        // Strictly increasing keys: every node once, no key twice (keys are not empty, so
        // the first is after "").
        let n = records.len();
        let key = |id: u32| strings.get(records[id as usize][word::KEY]);
        let order_ok = by_key.len() == n
            && by_key.iter().all(|&id| (id as usize) < n)
            && by_key
                .iter()
                .try_fold("", |last, &id| {
                    let key = key(id);
                    (last < key).then_some(key)
                })
                .is_some();
        if !order_ok {
            return Err("key order");
        }
        Ok(Nodes {
            records,
            tags,
            credentials,
            provenance,
            by_key,
        })
    }
}

/// The tables a snapshot's edges point into, made from what it holds before them, so
/// that each edge is checked as it is read ([`Self::holds`]), not in a pass of its own.
pub(crate) struct ReadTables {
    tables: EdgeTables,
    nodes: usize,
    sources: usize,
}

impl ReadTables {
    /// The tables for `nodes` nodes and `sources` sources: reasons by string id, list 0
    /// of `lists` the empty list, `places[0]` and `extras[0]` the placeholders no record
    /// names.
    pub(crate) fn new(
        strings: &Strings,
        reasons: &[u32],
        lists: LazyLists,
        places: Vec<Place>,
        extras: Vec<Extra>,
        (nodes, sources): (usize, usize),
    ) -> Result<ReadTables, &'static str> {
        if !reasons.iter().all(|&r| strings.has(r)) {
            return Err("edge reasons");
        }
        let reasons = reasons.iter().map(|&r| Arc::from(strings.get(r))).collect();
        Ok(ReadTables {
            tables: EdgeTables::read(reasons, lists, places, extras),
            nodes,
            sources,
        })
    }

    /// The revoke lists and places, which the nodes point into too.
    pub(crate) fn lists(&self) -> &LazyLists {
        self.tables
            .read_lists()
            .unwrap_or_else(|| unreachable!("made from a snapshot's lists"))
    }

    pub(crate) fn places(&self) -> &[Place] {
        self.tables.places()
    }

    /// Whether an edge record from `from` to `to` points only at nodes there are and
    /// into these tables.
    pub(crate) fn holds(&self, [from, to]: [u32; 2], p: &Packed) -> bool {
        (from as usize) < self.nodes
            && (to as usize) < self.nodes
            && self.tables.holds(p)
            && (p.source().0 as usize) < self.sources
    }
}

/// The parts of a frozen graph as a snapshot reader found them, checked by
/// [`Frozen::new`] (the nodes already by [`Nodes::check`], each edge as it was read by
/// [`ReadTables::holds`]).
pub(crate) struct Parts {
    pub(crate) strings: Arc<Strings>,
    pub(crate) sources: usize,
    pub(crate) nodes: Nodes,
    /// The tables the nodes and the edges were checked against.
    pub(crate) tables: ReadTables,
    pub(crate) edges: Vec<Packed>,
    pub(crate) ends: Vec<[u32; 2]>,
    /// Edge ids in the adjacency's order, out of each node in turn (checked when the
    /// adjacency is built; sorted again when they do not hold).
    pub(crate) out_order: Vec<u32>,
}

/// A graph read in place (see the module's comment).
#[derive(Debug)]
pub(super) struct Frozen {
    strings: Arc<Strings>,
    nodes: Vec<NodeRecord>,
    tags: Vec<[u32; 2]>,
    credentials: Vec<Credential<u32>>,
    /// Per node: `NodeRef` lends it by reference.
    provenance: Vec<Provenance>,
    pub(super) edges: Vec<Packed>,
    pub(super) ends: Vec<[u32; 2]>,
    /// Node ids in key order, checked: keys strictly increasing, so each key is once.
    pub(super) by_key: Vec<u32>,
    /// Edge ids in the adjacency's order: moved into the adjacency when it is built (once:
    /// a frozen graph never changes; a change thaws it first).
    pub(super) out_order: std::sync::Mutex<Vec<u32>>,
}

impl Frozen {
    /// The graph the parts make, with its edge tables; `Err` names the first part that
    /// does not hold together.
    pub(super) fn new(parts: Parts) -> Result<(Frozen, EdgeTables), &'static str> {
        let strings = parts.strings;
        // The edges were checked against these counts as they were read.
        let t = &parts.tables;
        if parts.edges.len() != parts.ends.len()
            || t.nodes != parts.nodes.records.len()
            || t.sources != parts.sources
        {
            return Err("edges");
        }
        let tables = parts.tables.tables;
        let nodes = parts.nodes;
        let frozen = Frozen {
            strings,
            nodes: nodes.records,
            tags: nodes.tags,
            credentials: nodes.credentials,
            provenance: nodes.provenance,
            edges: parts.edges,
            ends: parts.ends,
            by_key: nodes.by_key,
            out_order: std::sync::Mutex::new(parts.out_order),
        };
        Ok((frozen, tables))
    }

    pub(super) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub(super) fn key(&self, id: u32) -> &str {
        self.strings.get(self.nodes[id as usize][word::KEY])
    }

    /// The node with this key, by binary search in key order.
    pub(super) fn find(&self, key: &str) -> Option<u32> {
        self.by_key
            .binary_search_by(|&id| self.key(id).cmp(key))
            .ok()
            .map(|at| self.by_key[at])
    }

    /// Per node, its [`NodeFacts`] (`rank` is its key's), read straight from the records,
    /// and the platform names they number: the adjacency's pass over every node, which a
    /// view of each (a dozen strings looked up, every platform hashed) made a tenth of a
    /// load.
    pub(super) fn facts(&self, rank: &[u32]) -> (Vec<NodeFacts>, Vec<Box<str>>) {
        let s = &*self.strings;
        let mut platforms: Vec<Box<str>> = Vec::new();
        // By string id (equal names are one string in a snapshot), then by name (a file
        // could hold one name twice).
        let mut ids: FxHashMap<u32, PlatformId> = FxHashMap::default();
        let mut by_name: FxHashMap<&str, PlatformId> = FxHashMap::default();
        let facts = self
            .nodes
            .iter()
            .zip(rank)
            .map(|(r, &rank)| {
                let [kind, criticality, admin, _] = r[word::BITS].to_le_bytes();
                let kind = NodeKind::ALL[usize::from(kind)];
                let admin = admin != 0;
                let platform = *ids.entry(r[word::PLATFORM]).or_insert_with(|| {
                    let name = s.get(r[word::PLATFORM]);
                    *by_name.entry(name).or_insert_with(|| {
                        platforms.push(name.into());
                        PlatformId::from_index(platforms.len() - 1)
                    })
                });
                let first = r[word::TAGS] as usize;
                let tags = Tags::pairs(&self.tags[first..first + r[word::TAG_COUNT] as usize], s);
                NodeFacts {
                    kind,
                    criticality: criticality_of(
                        criticality.checked_sub(1),
                        kind,
                        admin,
                        s.opt(r[word::TEXTS + 3]),
                    ),
                    admin,
                    credential: kind == NodeKind::Credential && r[word::CREDENTIAL] != NONE,
                    outsider: outsider_of(s.get(r[word::KEY]), tags),
                    platform,
                    rank,
                }
            })
            .collect();
        (facts, platforms)
    }

    /// Node `id`'s credential, when it has one.
    pub(super) fn credential(&self, id: usize) -> Option<Credential<&str>> {
        let c = self.nodes[id][word::CREDENTIAL];
        (c != NONE).then(|| self.credentials[c as usize].map(|&id| self.strings.get(id)))
    }

    pub(super) fn node<'g>(&'g self, id: usize, tables: &'g EdgeTables) -> NodeRef<'g> {
        let r = &self.nodes[id];
        let s = &*self.strings;
        let bits = r[word::BITS].to_le_bytes();
        let text = |i: usize| s.opt(r[word::TEXTS + i]);
        let tags = r[word::TAGS] as usize;
        let credential = r[word::CREDENTIAL];
        NodeRef {
            key: s.get(r[word::KEY]),
            kind: NodeKind::ALL[usize::from(bits[0])],
            platform: s.get(r[word::PLATFORM]),
            name: s.get(r[word::NAME]),
            scope: text(0),
            owner: text(1),
            purpose: text(2),
            environment: text(3),
            criticality: bits[1].checked_sub(1),
            admin: bits[2] != 0,
            tags: Tags::pairs(&self.tags[tags..tags + r[word::TAG_COUNT] as usize], s),
            credential: (credential != NONE)
                .then(|| self.credentials[credential as usize].map(|&id| s.get(id))),
            revoke: Revokes::listed(tables, r[word::REVOKE]),
            provenance: &self.provenance[id],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Revoke;

    fn strings(texts: &[&str]) -> Arc<Strings> {
        let mut ends = Vec::new();
        let mut text = String::new();
        for t in texts {
            text.push_str(t);
            ends.push(text.len() as u32);
        }
        Arc::new(Strings::new(text, ends).expect("a table"))
    }

    /// A node record: key `key`, platform and name 0, nothing else.
    fn record(key: u32, credential: u32, tags: [u32; 2]) -> NodeRecord {
        let mut r = [NONE; 14];
        (r[word::KEY], r[word::PLATFORM], r[word::NAME]) = (key, 0, 0);
        (r[word::TAGS], r[word::TAG_COUNT]) = (tags[0], tags[1]);
        r[word::CREDENTIAL] = credential;
        (
            r[word::REVOKE],
            r[word::SOURCE],
            r[word::PLACE],
            r[word::BITS],
        ) = (0, 0, 0, 0);
        r
    }

    /// Records that share what the writer gives each its own (a credential, a run of
    /// tags) would be copied once per node by a thaw: refused, as is a table of revoke
    /// lists whose lists or entries overlap.
    #[test]
    fn what_the_writer_lays_out_in_turn_must_be_in_turn() {
        let s = strings(&["p", "a", "b", "t"]);
        let lists = LazyLists::new(s.clone(), vec![[0, 0]], Vec::new(), Vec::new())
            .expect("the empty list alone");
        let credential = Credential {
            kind: Some(3),
            ..Credential::default()
        };
        let check = |records: Vec<NodeRecord>, tags: Vec<[u32; 2]>, credentials| {
            let tables = NodeTables {
                strings: &s,
                sources: 1,
                lists: &lists,
                list_bytes: &[0],
                places: &[Place::Unknown],
                copy_budget: 1 << 20,
            };
            let order = vec![0, 1];
            Nodes::check(records, tags, credentials, order, &tables).map(|_| ())
        };
        let own = vec![record(1, 0, [0, 1]), record(2, 1, [1, 1])];
        assert_eq!(check(own, vec![[3, 3]; 2], vec![credential; 2]), Ok(()));
        let shared_credential = vec![record(1, 0, [0, 1]), record(2, 0, [1, 1])];
        assert!(check(shared_credential, vec![[3, 3]; 2], vec![credential; 2]).is_err());
        let shared_tags = vec![record(1, 0, [0, 1]), record(2, 1, [0, 1])];
        assert!(check(shared_tags, vec![[3, 3]; 2], vec![credential; 2]).is_err());
        let unused_tag = vec![record(1, 0, [0, 1]), record(2, 1, [1, 0])];
        assert!(check(unused_tag, vec![[3, 3]; 2], vec![credential; 2]).is_err());

        let entry = |from, to| [1, 2, 1, from, to];
        let lists = |spans, entries| LazyLists::new(s.clone(), spans, entries, vec![3, 3]);
        assert!(lists(vec![[0, 0], [0, 1], [1, 2]], vec![entry(0, 1), entry(1, 2)]).is_some());
        assert!(lists(vec![[0, 0], [0, 1], [0, 1]], vec![entry(0, 1), entry(1, 2)]).is_none());
        assert!(lists(vec![[0, 0], [0, 2]], vec![entry(0, 2), entry(0, 2)]).is_none());
        assert!(lists(vec![[0, 0], [0, 1]], vec![entry(0, 1), entry(1, 2)]).is_none());
    }

    /// A plan reads every entry in the blast radius: read in place, they are the made
    /// list's entries field for field, and the list is made only when asked for.
    #[test]
    fn entries_read_in_place_are_the_made_lists_and_make_nothing() {
        let s = strings(&[
            "p",
            "key:1",
            "deactivate_key",
            "aws iam x",
            "policy:2",
            "odd",
        ]);
        // List 1: one entry with a command; list 2: two entries, no commands.
        let entries = vec![[1, 2, 5, 0, 1], [4, 5, 1, 1, 1], [1, 2, 2, 1, 1]];
        let lists = LazyLists::new(s, vec![[0, 0], [0, 1], [1, 3]], entries, vec![3])
            .expect("laid out in turn");
        for list in 0..3 {
            let read: Vec<Revoke> = lists
                .in_place(list)
                .map(|r| {
                    let whole = r.to_revoke().into_owned();
                    assert_eq!(
                        (r.id(), r.action(), r.cost()),
                        (&*whole.id, &*whole.action, whole.cost)
                    );
                    whole
                })
                .collect();
            assert!(!lists.is_made(list), "list {list} read in place");
            assert_eq!(read[..], lists.get(list)[..], "list {list}");
            assert!(lists.is_made(list));
            // Once made, the list is read where it is.
            assert_eq!(lists.in_place(list).len(), read.len());
        }
        assert!(lists.get(1)[0].from_file, "commands come from the file");
        assert_eq!(&*lists.get(2)[0].action, "odd");
    }
}
