//! [`NodeRef`]: a node as the graph answers it, its texts borrowed from wherever the
//! graph keeps them (the [`Node`] an importer added, or a snapshot's string table read in
//! place), so that reading a node never allocates.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use super::frozen::Strings;
use super::node::PUBLIC;
use super::store::{EdgeTables, LazyLists};
use super::{CROWN_JEWEL, Credential, Node, NodeKind, Outsider, Provenance, Revoke};

/// A node of a [`super::TrustGraph`], read in place: the fields of a [`Node`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeRef<'g> {
    /// Stable key: `<platform>:<native id>`, or the ARN for AWS.
    pub key: &'g str,
    pub kind: NodeKind,
    pub platform: &'g str,
    pub name: &'g str,
    pub scope: Option<&'g str>,
    pub owner: Option<&'g str>,
    pub purpose: Option<&'g str>,
    pub environment: Option<&'g str>,
    /// As given in the input or overlay; [`NodeRef::criticality`] applies the defaults.
    pub criticality: Option<u8>,
    pub admin: bool,
    pub tags: Tags<'g>,
    pub credential: Option<Credential<&'g str>>,
    pub revoke: Revokes<'g>,
    pub provenance: &'g Provenance,
}

impl NodeRef<'_> {
    /// An owned copy.
    pub fn to_node(&self) -> Node {
        Node {
            key: self.key.into(),
            kind: self.kind,
            platform: self.platform.into(),
            name: self.name.into(),
            scope: self.scope.map(Into::into),
            owner: self.owner.map(Into::into),
            purpose: self.purpose.map(Into::into),
            environment: self.environment.map(Into::into),
            criticality: self.criticality,
            admin: self.admin,
            tags: self.tags.to_map(),
            credential: self.credential.map(|c| Box::new(c.owned())),
            revoke: self.revoke.get().to_vec(),
            provenance: self.provenance.clone(),
        }
    }

    /// Effective criticality (0–10). Explicit values win; otherwise admin-equivalent
    /// identities are crown jewels, production secrets and resources rank high, and
    /// everything else starts low so that the overlay, not a guess, marks what matters.
    pub fn criticality(&self) -> u8 {
        criticality_of(self.criticality, self.kind, self.admin, self.environment)
    }

    pub fn is_crown_jewel(&self) -> bool {
        self.criticality() >= CROWN_JEWEL
    }

    /// Whether this node's outgoing edges can be used at `at` (only credentials can be dead).
    /// Only credential nodes carry a lifecycle; any other node is always usable.
    pub fn usable_at(&self, at: Timestamp) -> bool {
        self.unusable_reason(at).is_none()
    }

    /// Why this credential node cannot be used at `at` (`None` for other kinds).
    pub fn unusable_reason(&self, at: Timestamp) -> Option<String> {
        match (&self.credential, self.kind) {
            (Some(c), NodeKind::Credential) => c.unusable_reason(at),
            _ => None,
        }
    }

    /// Whether anyone, or another organisation, holds this node (see [`Outsider`]).
    pub fn outsider(&self) -> Option<Outsider> {
        outsider_of(self.key, self.tags)
    }

    pub fn is_long_lived_credential(&self) -> bool {
        self.credential.as_ref().is_some_and(|c| c.is_long_lived())
    }
}

/// Effective criticality (0–10). Explicit values win; otherwise admin-equivalent
/// identities are crown jewels, production secrets and resources rank high, and
/// everything else starts low so that the overlay, not a guess, marks what matters.
pub(super) fn criticality_of(
    given: Option<u8>,
    kind: NodeKind,
    admin: bool,
    environment: Option<&str>,
) -> u8 {
    if let Some(c) = given {
        return c;
    }
    let production = environment
        .is_some_and(|e| e.eq_ignore_ascii_case("production") || e.eq_ignore_ascii_case("prod"));
    match kind {
        _ if admin => CROWN_JEWEL,
        NodeKind::Secret | NodeKind::Resource if production => 6,
        NodeKind::Secret | NodeKind::Credential => 3,
        _ if production => 4,
        _ => 2,
    }
}

/// Whether anyone, or another organisation, holds the node with this key and these
/// tags (see [`Outsider`]).
pub(super) fn outsider_of(key: &str, tags: Tags<'_>) -> Option<Outsider> {
    let public = PUBLIC.contains(&key)
        || key.starts_with("github:any-repo:")
        || tags.get("not_in_inputs").is_some_and(|v| v == "public");
    if public {
        Some(Outsider::Public)
    } else if tags.get("third_party").is_some_and(|v| v != "false") {
        Some(Outsider::ThirdParty)
    } else {
        None
    }
}

/// A node's tags, read in place: sorted by key, each key once.
#[derive(Debug, Clone, Copy)]
pub struct Tags<'g> {
    held: Held<'g>,
}

#[derive(Debug, Clone, Copy)]
enum Held<'g> {
    Map(&'g BTreeMap<String, String>),
    /// `(key, value)` string ids, sorted by key (checked when read).
    Pairs(&'g [[u32; 2]], &'g Strings),
}

impl<'g> Tags<'g> {
    pub(super) fn of(map: &'g BTreeMap<String, String>) -> Tags<'g> {
        Tags {
            held: Held::Map(map),
        }
    }

    pub(super) fn pairs(pairs: &'g [[u32; 2]], strings: &'g Strings) -> Tags<'g> {
        Tags {
            held: Held::Pairs(pairs, strings),
        }
    }

    pub fn get(&self, key: &str) -> Option<&'g str> {
        match self.held {
            Held::Map(map) => map.get(key).map(String::as_str),
            Held::Pairs(pairs, strings) => pairs
                .iter()
                .find(|&&[k, _]| strings.get(k) == key)
                .map(|&[_, v]| strings.get(v)),
        }
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        match self.held {
            Held::Map(map) => map.len(),
            Held::Pairs(pairs, _) => pairs.len(),
        }
    }

    /// `(key, value)` pairs in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&'g str, &'g str)> + 'g {
        let (map, pairs) = match self.held {
            Held::Map(map) => (Some(map), None),
            Held::Pairs(pairs, strings) => (None, Some((pairs, strings))),
        };
        let map = map
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()));
        let pairs = pairs.into_iter().flat_map(|(pairs, strings)| {
            pairs
                .iter()
                .map(move |&[k, v]| (strings.get(k), strings.get(v)))
        });
        map.chain(pairs)
    }

    pub fn keys(&self) -> impl Iterator<Item = &'g str> + 'g {
        self.iter().map(|(k, _)| k)
    }

    /// An owned copy.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

/// The same tags, however each is held.
impl PartialEq for Tags<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Tags<'_> {}

/// As a map, as the owned tags serialize.
impl serde::Serialize for Tags<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// As a map's: the value of a key that must be there (panics when it is not).
impl std::ops::Index<&str> for Tags<'_> {
    type Output = str;

    fn index(&self, key: &str) -> &str {
        self.get(key)
            .unwrap_or_else(|| panic!("no tag {key:?} on this node"))
    }
}

/// A node's or edge's revoke list, read in place: a snapshot's list is made the first
/// time it is asked for whole ([`Revokes::get`]), never when the node is viewed (a view
/// of each node reached would make them all) nor when its entries are read
/// ([`Revokes::entries`]).
#[derive(Clone, Copy)]
pub struct Revokes<'g> {
    held: Listed<'g>,
}

#[derive(Clone, Copy)]
enum Listed<'g> {
    Slice(&'g [Revoke]),
    Shared(&'g Arc<[Revoke]>),
    Table(&'g EdgeTables, u32),
}

impl<'g> Revokes<'g> {
    pub(super) fn slice(list: &'g [Revoke]) -> Revokes<'g> {
        Revokes {
            held: Listed::Slice(list),
        }
    }

    pub(super) fn shared(list: &'g Arc<[Revoke]>) -> Revokes<'g> {
        Revokes {
            held: Listed::Shared(list),
        }
    }

    pub(super) fn listed(tables: &'g EdgeTables, id: u32) -> Revokes<'g> {
        Revokes {
            held: Listed::Table(tables, id),
        }
    }

    /// The entries.
    pub fn get(self) -> &'g [Revoke] {
        match self.held {
            Listed::Slice(list) => list,
            Listed::Shared(list) => list,
            Listed::Table(tables, id) => tables.list(id),
        }
    }

    /// The entries read in place, without making a snapshot's list.
    pub fn entries(self) -> Entries<'g> {
        match self.held {
            Listed::Slice(list) => Entries::made(list),
            Listed::Shared(list) => Entries::made(list),
            Listed::Table(tables, id) => tables.entries(id),
        }
    }

    /// The ids of the entries (what the graph exports list), without making a
    /// snapshot's list.
    pub fn ids(self) -> Vec<&'g str> {
        self.entries().map(RevokeRef::id).collect()
    }

    /// The list as edges share it: the graph's own when it keeps one, else a copy.
    pub fn to_shared(self) -> Arc<[Revoke]> {
        match self.held {
            Listed::Slice(list) => list.into(),
            Listed::Shared(list) => list.clone(),
            Listed::Table(tables, id) => tables.list(id).clone(),
        }
    }
}

impl std::ops::Deref for Revokes<'_> {
    type Target = [Revoke];

    fn deref(&self) -> &[Revoke] {
        self.get()
    }
}

impl std::fmt::Debug for Revokes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

impl PartialEq for Revokes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for Revokes<'_> {}

/// One entry of a revoke list, read where the graph keeps it: a snapshot's entry from its
/// tables, made into a [`Revoke`] only when asked for the whole of it.
#[derive(Clone, Copy)]
pub struct RevokeRef<'g> {
    held: Entry<'g>,
}

#[derive(Clone, Copy)]
enum Entry<'g> {
    Made(&'g Revoke),
    /// An entry of a snapshot's list, by its index in the table.
    Table(&'g LazyLists, u32),
}

impl<'g> RevokeRef<'g> {
    pub fn id(self) -> &'g str {
        match self.held {
            Entry::Made(r) => &r.id,
            Entry::Table(lists, e) => lists.entry_id(e),
        }
    }

    /// The action's name (`detach_policy`, `revoke_sessions`, …).
    pub fn action(self) -> &'g str {
        match self.held {
            Entry::Made(r) => &r.action,
            Entry::Table(lists, e) => lists.entry_action(e),
        }
    }

    pub fn cost(self) -> u32 {
        match self.held {
            Entry::Made(r) => r.cost,
            Entry::Table(lists, e) => lists.entry_cost(e),
        }
    }

    /// The whole entry, commands and all: the graph's own when it holds one, else made
    /// for the caller.
    pub fn to_revoke(self) -> Cow<'g, Revoke> {
        match self.held {
            Entry::Made(r) => Cow::Borrowed(r),
            Entry::Table(lists, e) => Cow::Owned(lists.entry(e)),
        }
    }
}

impl std::fmt::Debug for RevokeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_revoke().fmt(f)
    }
}

/// A revoke list's entries, read in place ([`Revokes::entries`]).
pub struct Entries<'g> {
    held: Run<'g>,
}

enum Run<'g> {
    Made(std::slice::Iter<'g, Revoke>),
    Table(&'g LazyLists, std::ops::Range<u32>),
}

impl<'g> Entries<'g> {
    pub(super) fn made(list: &'g [Revoke]) -> Entries<'g> {
        Entries {
            held: Run::Made(list.iter()),
        }
    }

    pub(super) fn table(lists: &'g LazyLists, entries: std::ops::Range<u32>) -> Entries<'g> {
        Entries {
            held: Run::Table(lists, entries),
        }
    }
}

impl<'g> Iterator for Entries<'g> {
    type Item = RevokeRef<'g>;

    fn next(&mut self) -> Option<RevokeRef<'g>> {
        let held = match &mut self.held {
            Run::Made(list) => Entry::Made(list.next()?),
            Run::Table(lists, entries) => Entry::Table(lists, entries.next()?),
        };
        Some(RevokeRef { held })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.held {
            Run::Made(list) => list.size_hint(),
            Run::Table(_, entries) => entries.size_hint(),
        }
    }
}

impl ExactSizeIterator for Entries<'_> {}
