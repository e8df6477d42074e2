//! Least outstanding requests without a scan: a node's eligible targets' outstanding counts
//! in a tree of minimums, kept as they change, so that a pick costs O(log n) and not one
//! look at every target (a group of thousands of instances made every request a scan of
//! them all, work the events budget did not see).

/// The outstanding requests of a node's eligible targets, by their place in its list, with
/// the least of every run of places above them.
pub(super) struct LeastTree {
    /// Leaves from `size` on (places past the list hold `u32::MAX`); node `i`'s children
    /// are `2i` and `2i + 1`, and it holds their least.
    min: Vec<u32>,
    size: usize,
    len: usize,
}

impl LeastTree {
    /// A tree over `counts`, the outstanding requests of the list's targets in order.
    pub(super) fn new(counts: impl ExactSizeIterator<Item = u32>) -> LeastTree {
        let len = counts.len();
        let size = len.next_power_of_two().max(1);
        let mut min = vec![u32::MAX; 2 * size];
        for (i, c) in counts.enumerate() {
            min[size + i] = c;
        }
        for i in (1..size).rev() {
            min[i] = min[2 * i].min(min[2 * i + 1]);
        }
        LeastTree { min, size, len }
    }

    /// The target at `place` now has `count` outstanding requests.
    pub(super) fn set(&mut self, place: usize, count: u32) {
        debug_assert!(place < self.len, "a place past the list");
        let mut i = self.size + place;
        self.min[i] = count;
        while i > 1 {
            i /= 2;
            self.min[i] = self.min[2 * i].min(self.min[2 * i + 1]);
        }
    }

    /// The first place from `from` on, going round past the end, whose target has the
    /// fewest outstanding requests: what a scan of the list from `from` keeping the first
    /// least would find. `None` for an empty list.
    pub(super) fn first_least(&self, from: usize) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let least = self.min[1];
        self.first_at_most(1, 0, self.size, from, least)
            .or_else(|| self.first_at_most(1, 0, self.size, 0, least))
    }

    /// The first place from `from` on, within node `node`'s places `lo..hi`, holding at
    /// most `m`. Each level looks at two nodes at most beyond the ones on `from`'s path.
    fn first_at_most(
        &self,
        node: usize,
        lo: usize,
        hi: usize,
        from: usize,
        m: u32,
    ) -> Option<usize> {
        // Places past the list (their count `u32::MAX`) are never found, even when every
        // target's count is that too.
        if hi <= from || lo >= self.len || self.min[node] > m {
            return None;
        }
        if hi - lo == 1 {
            return Some(lo);
        }
        let mid = lo + (hi - lo) / 2;
        self.first_at_most(2 * node, lo, mid, from, m)
            .or_else(|| self.first_at_most(2 * node + 1, mid, hi, from, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The scan the tree replaces: from `from`, round the list, the first of the least.
    fn scanned(counts: &[u32], from: usize) -> Option<usize> {
        (0..counts.len())
            .map(|k| (from + k) % counts.len())
            .min_by_key(|&p| counts[p])
    }

    proptest! {
        /// After any sequence of changes, every pick from every place is the scan's.
        #[test]
        fn picks_what_a_scan_from_the_same_place_picks(
            start in prop::collection::vec(0u32..4, 0..70),
            changes in prop::collection::vec((0usize..70, 0u32..5), 0..200),
        ) {
            let mut counts = start.clone();
            let mut tree = LeastTree::new(start.iter().copied());
            for (place, count) in changes {
                if counts.is_empty() {
                    break;
                }
                let place = place % counts.len();
                counts[place] = count;
                tree.set(place, count);
                for from in 0..counts.len() {
                    prop_assert_eq!(tree.first_least(from), scanned(&counts, from));
                }
            }
            for from in 0..counts.len().max(1) {
                prop_assert_eq!(tree.first_least(from), scanned(&counts, from));
            }
        }
    }

    #[test]
    fn ties_go_to_the_first_from_the_starting_place_round_the_end() {
        let tree = LeastTree::new([3, 1, 2, 1, 5].into_iter());
        assert_eq!(tree.first_least(0), Some(1));
        assert_eq!(tree.first_least(2), Some(3));
        assert_eq!(tree.first_least(4), Some(1));
        assert_eq!(LeastTree::new([].into_iter()).first_least(0), None);
    }
}
