//! Runs laid out one after another in flat lists (compressed rows): what each of many
//! owners holds, where a vector for each, most holding one or two ids, would cost more
//! than the ids (an allocation each; 23 MiB for a million-node plan's actions).

/// Where each of `n` owners' runs starts (and, last, where they end) when a run holds one
/// slot per time its owner is named by `owners`: a counting sort's first pass.
pub(crate) fn starts(n: usize, owners: impl Iterator<Item = usize>) -> Vec<u32> {
    let mut start = vec![0u32; n + 1];
    for owner in owners {
        start[owner + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    start
}

/// Runs in one list: run `i` is `list[start[i]..start[i + 1]]`, by start only (a start
/// and an end kept beside each owner would be twice the starts).
#[derive(Debug, Default)]
pub(crate) struct Runs<T> {
    start: Vec<u32>,
    list: Vec<T>,
}

impl<T: Copy> Runs<T> {
    /// Lays out `(owner, item)` pairs owner by owner (`n` of them), keeping their order
    /// within each: a counting sort.
    pub(crate) fn of(
        n: usize,
        listed: impl ExactSizeIterator<Item = (usize, T)> + Clone,
    ) -> Runs<T> {
        let start = starts(n, listed.clone().map(|(owner, _)| owner));
        // Every place is written once: filled first with any item.
        let len = listed.len();
        let mut list = listed
            .clone()
            .next()
            .map_or(Vec::new(), |(_, any)| vec![any; len]);
        let mut fill = start.clone();
        for (owner, item) in listed {
            list[fill[owner] as usize] = item;
            fill[owner] += 1;
        }
        Runs { start, list }
    }
}

impl<T> Runs<T> {
    /// Run `i`.
    pub(crate) fn get(&self, i: usize) -> &[T] {
        &self.list[self.start[i] as usize..self.start[i + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items land in their owner's run, in the order they were listed; an owner named by
    /// none has an empty run.
    #[test]
    fn runs_keep_each_owners_items_in_order() {
        let listed = [(2, 'a'), (0, 'b'), (2, 'c'), (0, 'd'), (3, 'e')];
        let runs = Runs::of(4, listed.iter().copied());
        assert_eq!(runs.get(0), ['b', 'd']);
        assert_eq!(runs.get(1), [] as [char; 0]);
        assert_eq!(runs.get(2), ['a', 'c']);
        assert_eq!(runs.get(3), ['e']);
        assert_eq!(starts(3, [1, 1, 0].into_iter()), [0, 1, 3, 3]);
        assert!(Runs::<u32>::of(2, std::iter::empty()).get(1).is_empty());
    }
}
