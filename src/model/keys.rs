//! Key → node, without a second copy of the keys.
//!
//! The nodes hold their keys already; a map from `Box<str>` kept every key twice (a
//! million allocations and ~70 MB at a million nodes, and a copy of each key on load).
//! This index keeps, per node, its id and 32 bits of its key's hash: eight bytes. A
//! lookup compares the key it is given with the keys of the nodes whose hash matches.
//! (A plan finds its actions by id the same way: whatever holds the keys numbers them.)

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

#[derive(Debug, Clone, Copy)]
struct Entry {
    node: u32,
    hash: u32,
}

#[derive(Debug, Default)]
pub(crate) struct KeyIndex {
    table: HashTable<Entry>,
}

/// 32 bits of the key's hash, kept so that growing the table never reads a key.
fn short_hash(key: &str) -> u32 {
    let h = FxBuildHasher.hash_one(key);
    (h ^ (h >> 32)) as u32
}

/// The table's hash of an entry: its 32 bits spread over 64, since hashbrown takes the
/// top seven bits as the entry's tag and the low ones for its bucket.
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl KeyIndex {
    /// The node whose key is `key`; `key_of` gives a node's key.
    pub(crate) fn find<'k>(&self, key: &str, key_of: impl Fn(u32) -> &'k str) -> Option<u32> {
        let hash = short_hash(key);
        self.table
            .find(spread(hash), |e| e.hash == hash && key_of(e.node) == key)
            .map(|e| e.node)
    }

    /// Indexes `node` under `key`, or answers the node that has it already.
    pub(crate) fn insert<'k>(
        &mut self,
        key: &str,
        node: u32,
        key_of: impl Fn(u32) -> &'k str,
    ) -> Result<(), u32> {
        let hash = short_hash(key);
        match self.table.entry(
            spread(hash),
            |e| e.hash == hash && key_of(e.node) == key,
            |e| spread(e.hash),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => Err(e.get().node),
            hashbrown::hash_table::Entry::Vacant(slot) => {
                slot.insert(Entry { node, hash });
                Ok(())
            }
        }
    }

    pub(super) fn reserve(&mut self, more: usize) {
        self.table.reserve(more, |e| spread(e.hash));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_key_and_refuses_a_repeated_one() {
        let keys: Vec<String> = (0..5000).map(|i| format!("aws:role/r{i}")).collect();
        let key_of = |n: u32| keys[n as usize].as_str();
        let mut index = KeyIndex::default();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(index.insert(k, i as u32, key_of), Ok(()));
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(index.find(k, key_of), Some(i as u32));
        }
        assert_eq!(index.insert("aws:role/r17", 9999, key_of), Err(17));
        assert_eq!(index.find("aws:role/r5000", key_of), None);
        assert_eq!(index.find("", key_of), None);
    }
}
