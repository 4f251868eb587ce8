//! A few indices out of many, each numbered by its place among them: what a hash map from
//! index to a dense array does, in an eighth of a byte per index and without hashing.

/// A set of indices below a bound, where each member's rank (how many members are below
/// it) is a prefix count per 64-bit word and a popcount. A map over a million ids costs
/// 128 KiB of bits and 16 KiB of counts, which stay in cache where a table would not.
#[derive(Debug, Default)]
pub(crate) struct Sparse {
    bits: Vec<u64>,
    /// Per word of `bits`: the members in the words before it.
    before: Vec<u32>,
}

impl Sparse {
    /// The set of `members`, each below `bound`, in any order.
    pub(crate) fn of(bound: usize, members: impl IntoIterator<Item = usize>) -> Sparse {
        let mut bits = vec![0u64; bound.div_ceil(64)];
        for i in members {
            bits[i / 64] |= 1 << (i % 64);
        }
        let before = bits
            .iter()
            .scan(0u32, |before, word| {
                let here = *before;
                *before += word.count_ones();
                Some(here)
            })
            .collect();
        Sparse { bits, before }
    }

    /// How many members there are.
    pub(crate) fn len(&self) -> usize {
        match (self.before.last(), self.bits.last()) {
            (Some(&before), Some(last)) => before as usize + last.count_ones() as usize,
            _ => 0,
        }
    }

    /// How many members are below `i`, when `i` is one (its index in a dense array of the
    /// members in order).
    #[inline]
    pub(crate) fn rank(&self, i: usize) -> Option<usize> {
        let (word, bit) = (*self.bits.get(i / 64)?, 1u64 << (i % 64));
        (word & bit != 0).then(|| (self.before[i / 64] + (word & (bit - 1)).count_ones()) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ranks count the members below, across words, whatever order they came in; an
    /// index that is no member, or out of bounds, has none.
    #[test]
    fn ranks_are_places_among_the_members() {
        let members = [200, 3, 64, 63, 0, 130];
        let set = Sparse::of(201, members);
        let mut sorted = members;
        sorted.sort_unstable();
        for (nth, &i) in sorted.iter().enumerate() {
            assert_eq!(set.rank(i), Some(nth), "member {i}");
        }
        for i in [1, 2, 62, 65, 129, 199, 201, 10_000] {
            assert_eq!(set.rank(i), None, "not a member: {i}");
        }
        assert_eq!(set.len(), members.len());
        assert_eq!(Sparse::of(0, []).rank(0), None);
        assert_eq!(Sparse::of(0, []).len(), 0);
    }
}
