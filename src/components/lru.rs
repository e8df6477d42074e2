//! A least-recently-used map bounded by a capacity but allocated as it fills: a cache of ten
//! million entries that sees a thousand keys holds a thousand, so a capacity written in a
//! scenario costs nothing until keys arrive (`limits::MAX_CACHE_ENTRIES` bounds it).

use std::hash::Hash;

/// A map of at most a capacity of entries that evicts the least recently used one.
pub struct Lru<K: Hash + Eq, V> {
    map: lru::LruCache<K, V>,
    capacity: usize,
}

impl<K: Hash + Eq, V> Lru<K, V> {
    /// An empty map that evicts its least recently used entry beyond `capacity` (at least 1).
    pub fn new(capacity: usize) -> Self {
        Lru {
            map: lru::LruCache::unbounded(),
            capacity: capacity.max(1),
        }
    }

    /// The value of `key`, marking it the most recently used.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    /// Sets `key`'s value; a new key beyond the capacity evicts the least recently used one.
    pub fn put(&mut self, key: K, value: V) {
        if self.map.put(key, value).is_none() && self.map.len() > self.capacity {
            self.map.pop_lru();
        }
    }

    /// The number of entries held [entries].
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Drops every entry; the capacity stays.
    pub fn clear(&mut self) {
        self.map.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_evicts_the_least_recently_used_beyond_its_capacity() {
        let mut c = Lru::new(2);
        c.put(1, "a");
        c.put(2, "b");
        assert_eq!(c.get(&1), Some(&"a"));
        c.put(3, "c");
        assert_eq!(c.get(&2), None, "2 was the least recently used");
        assert_eq!(c.len(), 2);
        c.put(1, "a2");
        assert_eq!(c.len(), 2, "updating a key evicts nothing");
    }
}
