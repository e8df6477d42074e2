//! A least-recently-used map bounded by a capacity but allocated as it fills: a cache of ten
//! million entries that sees a thousand keys holds a thousand, so a capacity written in a
//! scenario costs nothing until keys arrive (`limits::MAX_CACHE_ENTRIES` bounds it).
//!
//! `PolicyLru` adds what Redis's `maxmemory-policy` decides: which entries a full cache may
//! evict (those written with a TTL, all of them, or none), and a refused write when nothing
//! may go.
//!
//! Both keep their entries in one `Table`: nodes in fixed-size chunks (placed once, never
//! copied as the table grows, so growing never holds two copies), linked from the most to the
//! least recently used, and found by key through an index that holds the node's number. A
//! workload's keys are popularity ranks, small integers with the hottest first, so an integer
//! key below a bound is its own place in an array: the hottest keys' places share a few cache
//! lines, where a hash table scatters them and a lookup missed the cache three times in a row
//! (control bytes, bucket, the key behind its pointer). The array grows with the entries held
//! (sixteen places each), never past four per entry of capacity; other keys go through a hash
//! map that holds them beside their node numbers.

use crate::kernel::IdMap;
use std::hash::Hash;

/// A key of a `Lru` or `PolicyLru`.
pub trait LruKey: Copy + Hash + Eq {
    /// The key as an array index, for keys that are small integers; `None` for the others.
    fn index(self) -> Option<u64> {
        None
    }
}

impl LruKey for u64 {
    #[inline]
    fn index(self) -> Option<u64> {
        Some(self)
    }
}

impl LruKey for (u16, u64) {}

const NIL: u32 = u32::MAX;
/// Nodes per chunk (a power of two).
const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;
/// The most integer keys indexed by array: 4 MB of index at most.
const MAX_DENSE: u64 = 1 << 20;

struct Node<K, V> {
    key: K,
    value: V,
    /// Toward the most recently used.
    prev: u32,
    /// Toward the least recently used.
    next: u32,
    list: u8,
}

#[derive(Clone, Copy)]
struct List {
    /// The most recently used.
    head: u32,
    /// The least recently used.
    tail: u32,
    len: usize,
}

const EMPTY: List = List {
    head: NIL,
    tail: NIL,
    len: 0,
};

/// Entries in up to two recency lists, found by key.
struct Table<K: LruKey, V: Copy> {
    chunks: Vec<Vec<Node<K, V>>>,
    /// Nodes whose entries left, to reuse.
    free: Vec<u32>,
    /// Node number by integer key (`NIL`: none), for every key below its length; the others
    /// are in `sparse`. Grown toward a key below `dense_limit` while it stays within sixteen
    /// places per entry held (and 4,096), so that it follows the entries, not the keys seen.
    dense: Vec<u32>,
    dense_limit: u64,
    sparse: IdMap<K, u32>,
    lists: [List; 2],
}

impl<K: LruKey, V: Copy> Table<K, V> {
    fn new(capacity: usize) -> Self {
        // Nodes are numbered in u32, NIL excepted, and a map holds one past its capacity
        // while it evicts (nodes 0 to `capacity`): configuration keeps caches far below
        // (limits::MAX_CACHE_ENTRIES).
        assert!(
            capacity < NIL as usize,
            "an LRU map of {capacity} entries cannot number its nodes"
        );
        Table {
            chunks: Vec::new(),
            free: Vec::new(),
            dense: Vec::new(),
            // Four places per entry the map may hold: the index costs at most four times what
            // its node numbers would.
            dense_limit: (capacity as u64).saturating_mul(4).min(MAX_DENSE),
            sparse: IdMap::default(),
            lists: [EMPTY; 2],
        }
    }

    #[inline]
    fn node(&self, i: u32) -> &Node<K, V> {
        &self.chunks[(i >> CHUNK_BITS) as usize][i as usize & (CHUNK - 1)]
    }

    #[inline]
    fn node_mut(&mut self, i: u32) -> &mut Node<K, V> {
        &mut self.chunks[(i >> CHUNK_BITS) as usize][i as usize & (CHUNK - 1)]
    }

    #[inline]
    fn dense_slot(&self, key: K) -> Option<usize> {
        key.index()
            .filter(|&k| k < self.dense.len() as u64)
            .map(|k| k as usize)
    }

    /// The node holding `key`.
    #[inline]
    fn find(&self, key: K) -> Option<u32> {
        match self.dense_slot(key) {
            Some(k) => Some(self.dense[k]).filter(|&i| i != NIL),
            None => self.sparse.get(&key).copied(),
        }
    }

    fn len(&self) -> usize {
        self.lists[0].len + self.lists[1].len
    }

    /// Unlinks node `i` from its list.
    #[inline]
    fn unlink(&mut self, i: u32) {
        let (prev, next, list) = {
            let n = self.node(i);
            (n.prev, n.next, n.list as usize)
        };
        match prev {
            NIL => self.lists[list].head = next,
            p => self.node_mut(p).next = next,
        }
        match next {
            NIL => self.lists[list].tail = prev,
            x => self.node_mut(x).prev = prev,
        }
        self.lists[list].len -= 1;
    }

    /// Links node `i` at the front of `list`.
    #[inline]
    fn link_front(&mut self, i: u32, list: usize) {
        let head = self.lists[list].head;
        {
            let n = self.node_mut(i);
            n.prev = NIL;
            n.next = head;
            n.list = list as u8;
        }
        match head {
            NIL => self.lists[list].tail = i,
            h => self.node_mut(h).prev = i,
        }
        self.lists[list].head = i;
        self.lists[list].len += 1;
    }

    /// Makes node `i` the most recently used of its list.
    #[inline]
    fn touch(&mut self, i: u32) {
        if self.node(i).prev != NIL {
            let list = self.node(i).list as usize;
            self.unlink(i);
            self.link_front(i, list);
        }
    }

    /// Adds `key`, which is not held, as the most recently used of `list`.
    fn insert(&mut self, key: K, value: V, list: usize) {
        let node = Node {
            key,
            value,
            prev: NIL,
            next: NIL,
            list: list as u8,
        };
        let i = match self.free.pop() {
            Some(i) => {
                *self.node_mut(i) = node;
                i
            }
            None => {
                if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
                    // Grown as it fills (a small cache's chunk stays small); nodes are found
                    // by number, so a chunk that moves as it grows is harmless.
                    self.chunks.push(Vec::new());
                }
                let i = ((self.chunks.len() - 1) << CHUNK_BITS) as u32
                    | self.chunks.last().map_or(0, |c| c.len()) as u32;
                self.chunks
                    .last_mut()
                    .expect("a chunk with room")
                    .push(node);
                i
            }
        };
        self.link_front(i, list);
        if let Some(k) = key.index() {
            self.grow_dense(k);
        }
        match self.dense_slot(key) {
            Some(k) => self.dense[k] = i,
            None => {
                self.sparse.insert(key, i);
            }
        }
    }

    /// Lengthens the array to hold integer key `k`, if the bounds allow it, and moves into it
    /// the hashed keys it now covers.
    fn grow_dense(&mut self, k: u64) {
        let len = self.dense.len() as u64;
        let allowed = (16 * self.len() as u64).max(4096).min(self.dense_limit);
        if k < len || k >= allowed {
            return;
        }
        let new_len = (k + 1).max(2 * len).min(allowed) as usize;
        self.dense.resize(new_len, NIL);
        if !self.sparse.is_empty() {
            let dense = &mut self.dense;
            self.sparse.retain(|key, &mut node| match key.index() {
                Some(k) if k < new_len as u64 => {
                    dense[k as usize] = node;
                    false
                }
                _ => true,
            });
        }
    }

    /// Takes node `i`'s entry out.
    fn remove(&mut self, i: u32) {
        self.unlink(i);
        let key = self.node(i).key;
        match self.dense_slot(key) {
            Some(k) => self.dense[k] = NIL,
            None => {
                self.sparse.remove(&key);
            }
        }
        self.free.push(i);
    }

    fn clear(&mut self) {
        *self = Table {
            dense_limit: self.dense_limit,
            ..Table::new(0)
        };
    }
}

/// A map of at most a capacity of entries that evicts the least recently used one.
pub struct Lru<K: LruKey, V: Copy> {
    table: Table<K, V>,
    capacity: usize,
}

impl<K: LruKey, V: Copy> Lru<K, V> {
    /// An empty map that evicts its least recently used entry beyond `capacity` (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Lru {
            table: Table::new(capacity),
            capacity,
        }
    }

    /// The value of `key`, marking it the most recently used.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        let i = self.table.find(*key)?;
        self.table.touch(i);
        Some(&self.table.node(i).value)
    }

    /// Sets `key`'s value, making it the most recently used; a new key beyond the capacity
    /// evicts the least recently used one.
    pub fn put(&mut self, key: K, value: V) {
        if let Some(i) = self.table.find(key) {
            self.table.node_mut(i).value = value;
            self.table.touch(i);
            return;
        }
        self.table.insert(key, value, 0);
        if self.table.len() > self.capacity {
            let lru = self.table.lists[0].tail;
            self.table.remove(lru);
        }
    }

    /// The number of entries held [entries].
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry; the capacity stays.
    pub fn clear(&mut self) {
        self.table.clear();
    }
}

/// Which entries a full cache may evict to make room for a new one (Redis's
/// `maxmemory-policy`, aws-facts: §6 eviction default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evict {
    /// `volatile-lru`: the least recently used of the entries written with a TTL.
    Volatile,
    /// `allkeys-lru`: the least recently used of all entries.
    AllKeys,
    /// `noeviction`: none.
    Nothing,
}

/// A new key found the cache full and nothing it may evict: the write is refused (Redis's
/// `OOM command not allowed when used memory > 'maxmemory'`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// A least-recently-used map whose entries are volatile (written with a TTL) or persistent,
/// and which evicts as its `Evict` policy allows. Recency is one order across both kinds: a
/// use stamps the entry, and the older of the two kinds' least recent entries is the least
/// recent of all.
pub struct PolicyLru<K: LruKey, V: Copy> {
    /// Volatile entries in list 0, persistent ones in list 1; each value with its stamp.
    table: Table<K, (u64, V)>,
    capacity: usize,
    policy: Evict,
    /// Uses so far: the next stamp.
    uses: u64,
}

const VOLATILE: usize = 0;
const PERSISTENT: usize = 1;

impl<K: LruKey, V: Copy> PolicyLru<K, V> {
    /// An empty map of at most `capacity` entries (at least 1) evicting as `policy` says.
    pub fn new(capacity: usize, policy: Evict) -> Self {
        let capacity = capacity.max(1);
        PolicyLru {
            table: Table::new(capacity),
            capacity,
            policy,
            uses: 0,
        }
    }

    fn stamp(&mut self) -> u64 {
        self.uses += 1;
        self.uses
    }

    /// The value of `key`, marking it the most recently used.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        let stamp = self.stamp();
        let i = self.table.find(*key)?;
        self.table.touch(i);
        let entry = &mut self.table.node_mut(i).value;
        entry.0 = stamp;
        Some(&entry.1)
    }

    /// The value of `key`, to change in place, leaving its recency as it was.
    pub fn peek_mut(&mut self, key: &K) -> Option<&mut V> {
        let i = self.table.find(*key)?;
        Some(&mut self.table.node_mut(i).value.1)
    }

    /// Sets `key`'s value, volatile or not. Updating a key needs no room; a new key beyond
    /// the capacity evicts what the policy allows, and is refused when nothing may go.
    /// `Ok(true)` says an entry was evicted to make room.
    pub fn put(&mut self, key: K, value: V, volatile: bool) -> Result<bool, Full> {
        let stamp = self.stamp();
        let side = if volatile { VOLATILE } else { PERSISTENT };
        let mut existed = false;
        if let Some(i) = self.table.find(key) {
            // An update of the same kind: in place, made the most recent (as a new entry would be).
            if self.table.node(i).list as usize == side {
                self.table.node_mut(i).value = (stamp, value);
                self.table.touch(i);
                return Ok(false);
            }
            // An update may change the key's kind (a TTL set or dropped): drop the old entry.
            self.table.remove(i);
            existed = true;
        }
        let mut evicted = false;
        if !existed && self.len() >= self.capacity {
            self.evict_one()?;
            evicted = true;
        }
        self.table.insert(key, (stamp, value), side);
        Ok(evicted)
    }

    /// Removes `key`'s entry; whether it held one.
    pub fn remove(&mut self, key: &K) -> bool {
        match self.table.find(*key) {
            Some(i) => {
                self.table.remove(i);
                true
            }
            None => false,
        }
    }

    /// Whether it holds an entry for `key`, leaving its recency as it was.
    pub fn contains(&self, key: &K) -> bool {
        self.table.find(*key).is_some()
    }

    /// Removes the entries `expired` says have expired among the `limit` least recently used
    /// volatile ones (only an entry written with a TTL expires); returns how many went.
    pub fn remove_expired(&mut self, limit: usize, expired: impl Fn(&V) -> bool) -> usize {
        let mut i = self.table.lists[VOLATILE].tail;
        let mut removed = 0;
        for _ in 0..limit {
            if i == NIL {
                break;
            }
            let node = self.table.node(i);
            let toward_recent = node.prev;
            if expired(&node.value.1) {
                self.table.remove(i);
                removed += 1;
            }
            i = toward_recent;
        }
        removed
    }

    /// Evicts one entry as the policy allows.
    fn evict_one(&mut self) -> Result<(), Full> {
        let lru = |list: usize| {
            let t = self.table.lists[list].tail;
            (t != NIL).then(|| self.table.node(t).value.0)
        };
        let from = match self.policy {
            Evict::Nothing => return Err(Full),
            Evict::Volatile => VOLATILE,
            Evict::AllKeys => match (lru(VOLATILE), lru(PERSISTENT)) {
                (Some(v), Some(p)) if v < p => VOLATILE,
                (Some(_), None) => VOLATILE,
                (_, _) => PERSISTENT,
            },
        };
        match self.table.lists[from].tail {
            NIL => Err(Full),
            t => {
                self.table.remove(t);
                Ok(())
            }
        }
    }

    /// The number of entries held [entries].
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry; the capacity and policy stay.
    pub fn clear(&mut self) {
        self.table.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_entries_are_taken_from_the_least_recently_used_volatile_ones() {
        // Values are expiry times; 5 is "now". Volatile 1 (expired), 2 (fresh), 3 (expired)
        // and persistent 4 (expired, but it has no TTL): from the least recently used, two
        // examined free one, three free both, and persistent 4 stays.
        let mut c = PolicyLru::new(4, Evict::Nothing);
        for (k, v, volatile) in [(1, 1, true), (2, 9, true), (3, 2, true), (4, 0, false)] {
            c.put(k, v, volatile).unwrap();
        }
        assert_eq!(c.remove_expired(2, |&e| e <= 5), 1);
        assert!(!c.contains(&1) && c.contains(&2) && c.contains(&3));
        assert_eq!(c.remove_expired(3, |&e| e <= 5), 1);
        assert!(!c.contains(&3) && c.contains(&4));
        assert_eq!(c.len(), 2);
        // Room made: a new key is taken although nothing may be evicted.
        assert_eq!(c.put(5, 9, true), Ok(false));
        assert!(c.remove(&5) && !c.remove(&5));
    }

    #[test]
    #[should_panic(expected = "cannot number its nodes")]
    fn a_map_too_large_for_its_node_numbers_is_refused_when_made() {
        // The largest a configuration allows is far below; a larger one must not wrap.
        Lru::<u64, u8>::new(u32::MAX as usize);
    }

    #[test]
    fn the_largest_configured_map_numbers_its_nodes() {
        // Nothing is allocated until entries come.
        Lru::<u64, u8>::new(crate::limits::MAX_CACHE_ENTRIES as usize);
        // The largest any map may be: nodes 0 to u32::MAX - 1, NIL unused.
        Lru::<u64, u8>::new(u32::MAX as usize - 1);
    }

    #[test]
    fn volatile_lru_evicts_only_keys_with_a_ttl() {
        let mut c = PolicyLru::<u64, _>::new(2, Evict::Volatile);
        assert_eq!(c.put(1, "a", false), Ok(false));
        assert_eq!(c.put(2, "b", true), Ok(false));
        assert_eq!(c.get(&2), Some(&"b"));
        // Full: the only volatile key goes, though it was used more recently than 1.
        assert_eq!(c.put(3, "c", false), Ok(true));
        assert_eq!(c.get(&2), None);
        assert_eq!(c.get(&1), Some(&"a"));
        // Full of persistent keys: a new key is refused, an update is not.
        assert_eq!(c.put(4, "d", true), Err(Full));
        assert_eq!(c.put(1, "a2", false), Ok(false));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn allkeys_lru_evicts_the_least_recent_of_either_kind() {
        let mut c = PolicyLru::<u64, _>::new(2, Evict::AllKeys);
        c.put(1, "a", true).unwrap();
        c.put(2, "b", false).unwrap();
        assert_eq!(c.get(&1), Some(&"a"));
        assert_eq!(c.put(3, "c", true), Ok(true));
        assert_eq!(c.get(&2), None, "2 was the least recently used");
        assert_eq!(c.get(&1), Some(&"a"));
        let mut n = PolicyLru::<u64, _>::new(1, Evict::Nothing);
        n.put(1, "a", true).unwrap();
        assert_eq!(n.put(2, "b", true), Err(Full));
    }

    #[test]
    fn an_update_makes_its_key_the_most_recent_and_a_peek_leaves_recency_alone() {
        for policy in [Evict::Volatile, Evict::AllKeys] {
            let mut c = PolicyLru::<u64, _>::new(3, policy);
            for k in 1..=3 {
                c.put(k, k * 10, true).unwrap();
            }
            // 1 is the least recent; an update of the same kind (in place) makes it the most.
            assert_eq!(c.put(1, 11, true), Ok(false));
            // A peek changes 2's value, not its place: it is still the least recent.
            *c.peek_mut(&2).unwrap() += 1;
            assert_eq!(c.put(4, 40, true), Ok(true));
            assert_eq!(c.get(&2), None, "{policy:?}: 2 was the least recent");
            assert_eq!(c.get(&1), Some(&11));
            assert_eq!(c.peek_mut(&3).copied(), Some(30));
            // An update that changes the kind moves the key to the other side, kept.
            assert_eq!(c.put(3, 31, false), Ok(false));
            assert_eq!(c.len(), 3);
            assert_eq!(c.get(&3), Some(&31));
        }
    }

    #[test]
    fn it_evicts_the_least_recently_used_beyond_its_capacity() {
        let mut c = Lru::<u64, _>::new(2);
        c.put(1, "a");
        c.put(2, "b");
        assert_eq!(c.get(&1), Some(&"a"));
        c.put(3, "c");
        assert_eq!(c.get(&2), None, "2 was the least recently used");
        assert_eq!(c.len(), 2);
        c.put(1, "a2");
        assert_eq!(c.len(), 2, "updating a key evicts nothing");
    }

    /// Past the first chunk of nodes, across the array's growth (a hashed key moves into it
    /// when it grows over the key) and its cap, against a list: every answer and the length.
    #[test]
    fn a_large_lru_matches_a_list_across_chunks_and_the_arrays_growth() {
        let capacity = 6_000;
        let mut lru = Lru::<u64, u64>::new(capacity);
        let mut model: std::collections::VecDeque<(u64, u64)> = Default::default();
        // A fixed stream of keys: small ones (the array), some up to 24,000 (hashed until the
        // array reaches them, which it may since the cap is 4 × 6,000), some far past it.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for step in 0..40_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = match x % 10 {
                0..=5 => (x >> 8) % 7_000,
                6..=8 => (x >> 8) % 24_000,
                _ => (1 << 40) + (x >> 8) % 3_000,
            };
            if x & (1 << 60) == 0 {
                let want = model.iter().position(|e| e.0 == key).map(|i| {
                    let e = model.remove(i).expect("found");
                    model.push_front(e);
                    e.1
                });
                assert_eq!(lru.get(&key).copied(), want, "step {step} key {key}");
            } else {
                match model.iter().position(|e| e.0 == key) {
                    Some(i) => {
                        model.remove(i);
                    }
                    None if model.len() == capacity => {
                        model.pop_back();
                    }
                    None => {}
                }
                model.push_front((key, step));
                lru.put(key, step);
            }
            assert_eq!(lru.len(), model.len());
        }
        assert!(
            lru.table.chunks.len() > 1,
            "the test reaches a second chunk"
        );
        assert!(
            lru.table.dense.len() > 4096,
            "the array grew past its first bound"
        );
    }

    use proptest::prelude::*;

    /// A key from a few small integers (indexed by array) and a few past the array's bound
    /// (hashed).
    fn key(k: u8) -> u64 {
        if k < 6 {
            u64::from(k)
        } else {
            (1 << 40) + u64::from(k)
        }
    }

    proptest! {
        /// Against a list kept most recent first: every answer, the length and the order of
        /// evictions agree, across the array and the hashed keys, reuse of freed nodes and clears.
        #[test]
        fn lru_matches_a_list(capacity in 1usize..6, ops in prop::collection::vec((0u8..10, 0u8..12, any::<u16>()), 1..300)) {
            let mut lru = Lru::<u64, u16>::new(capacity);
            let mut model: Vec<(u64, u16)> = Vec::new();
            for (op, k, v) in ops {
                let k = key(k);
                match op {
                    0..=3 => {
                        let want = model.iter().position(|e| e.0 == k).map(|i| {
                            let e = model.remove(i);
                            model.insert(0, e);
                            e.1
                        });
                        prop_assert_eq!(lru.get(&k).copied(), want);
                    }
                    4..=8 => {
                        match model.iter().position(|e| e.0 == k) {
                            Some(i) => {
                                model.remove(i);
                                model.insert(0, (k, v));
                            }
                            None => {
                                model.insert(0, (k, v));
                                model.truncate(capacity);
                            }
                        }
                        lru.put(k, v);
                    }
                    _ => {
                        lru.clear();
                        model.clear();
                    }
                }
                prop_assert_eq!(lru.len(), model.len());
            }
        }

        /// Against a list of (key, last use, value, volatile): the policy evicts the least
        /// recently used entry it may, or refuses; a change of kind keeps the key.
        #[test]
        fn policy_lru_matches_a_list(capacity in 1usize..6, policy in 0u8..3, ops in prop::collection::vec((0u8..10, 0u8..12, any::<u16>(), any::<bool>()), 1..300)) {
            let policy = [Evict::Volatile, Evict::AllKeys, Evict::Nothing][policy as usize];
            let mut lru = PolicyLru::<u64, u16>::new(capacity, policy);
            let mut model: Vec<(u64, u64, u16, bool)> = Vec::new();
            let mut uses = 0u64;
            for (op, k, v, volatile) in ops {
                let k = key(k);
                uses += 1;
                match op {
                    0..=2 => {
                        let want = model.iter_mut().find(|e| e.0 == k).map(|e| {
                            e.1 = uses;
                            e.2
                        });
                        prop_assert_eq!(lru.get(&k).copied(), want);
                    }
                    3 => {
                        uses -= 1;
                        let want = model.iter_mut().find(|e| e.0 == k).map(|e| {
                            e.2 = e.2.wrapping_add(1);
                            e.2
                        });
                        let got = lru.peek_mut(&k).map(|x| {
                            *x = x.wrapping_add(1);
                            *x
                        });
                        prop_assert_eq!(got, want);
                    }
                    4..=8 => {
                        let want = match model.iter().position(|e| e.0 == k) {
                            Some(i) => {
                                model[i] = (k, uses, v, volatile);
                                Ok(false)
                            }
                            None if model.len() < capacity => {
                                model.push((k, uses, v, volatile));
                                Ok(false)
                            }
                            None => {
                                let victim = model
                                    .iter()
                                    .enumerate()
                                    .filter(|(_, e)| match policy {
                                        Evict::Volatile => e.3,
                                        Evict::AllKeys => true,
                                        Evict::Nothing => false,
                                    })
                                    .min_by_key(|(_, e)| e.1)
                                    .map(|(i, _)| i);
                                match victim {
                                    Some(i) => {
                                        model.remove(i);
                                        model.push((k, uses, v, volatile));
                                        Ok(true)
                                    }
                                    None => Err(Full),
                                }
                            }
                        };
                        prop_assert_eq!(lru.put(k, v, volatile), want);
                    }
                    _ => {
                        uses -= 1;
                        lru.clear();
                        model.clear();
                    }
                }
                prop_assert_eq!(lru.len(), model.len());
            }
        }
    }
}
