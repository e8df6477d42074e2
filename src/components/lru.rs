//! A least-recently-used map bounded by a capacity but allocated as it fills: a cache of ten
//! million entries that sees a thousand keys holds a thousand, so a capacity written in a
//! scenario costs nothing until keys arrive (`limits::MAX_CACHE_ENTRIES` bounds it).
//!
//! `PolicyLru` adds what Redis's `maxmemory-policy` decides: which entries a full cache may
//! evict (those written with a TTL, all of them, or none), and a refused write when nothing
//! may go.

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
pub struct PolicyLru<K: Hash + Eq, V> {
    volatile: lru::LruCache<K, (u64, V)>,
    persistent: lru::LruCache<K, (u64, V)>,
    capacity: usize,
    policy: Evict,
    /// Uses so far: the next stamp.
    uses: u64,
}

impl<K: Hash + Eq, V> PolicyLru<K, V> {
    /// An empty map of at most `capacity` entries (at least 1) evicting as `policy` says.
    pub fn new(capacity: usize, policy: Evict) -> Self {
        PolicyLru {
            volatile: lru::LruCache::unbounded(),
            persistent: lru::LruCache::unbounded(),
            capacity: capacity.max(1),
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
        let entry = match self.volatile.get_mut(key) {
            Some(e) => e,
            None => self.persistent.get_mut(key)?,
        };
        entry.0 = stamp;
        Some(&entry.1)
    }

    /// The value of `key`, to change in place, leaving its recency as it was.
    pub fn peek_mut(&mut self, key: &K) -> Option<&mut V> {
        match self.volatile.peek_mut(key) {
            Some(e) => Some(&mut e.1),
            None => self.persistent.peek_mut(key).map(|e| &mut e.1),
        }
    }

    /// Sets `key`'s value, volatile or not. Updating a key needs no room; a new key beyond
    /// the capacity evicts what the policy allows, and is refused when nothing may go.
    /// `Ok(true)` says an entry was evicted to make room.
    pub fn put(&mut self, key: K, value: V, volatile: bool) -> Result<bool, Full> {
        let stamp = self.stamp();
        let (side, other) = if volatile {
            (&mut self.volatile, &mut self.persistent)
        } else {
            (&mut self.persistent, &mut self.volatile)
        };
        // An update of the same kind: in place, made the most recent (as a new entry would be).
        if let Some(e) = side.get_mut(&key) {
            *e = (stamp, value);
            return Ok(false);
        }
        // An update may change the key's kind (a TTL set or dropped): drop the old entry.
        let existed = other.pop(&key).is_some();
        let mut evicted = false;
        if !existed && self.len() >= self.capacity {
            self.evict_one()?;
            evicted = true;
        }
        let side = if volatile {
            &mut self.volatile
        } else {
            &mut self.persistent
        };
        side.put(key, (stamp, value));
        Ok(evicted)
    }

    /// Evicts one entry as the policy allows.
    fn evict_one(&mut self) -> Result<(), Full> {
        let from_volatile = match self.policy {
            Evict::Nothing => return Err(Full),
            Evict::Volatile => true,
            Evict::AllKeys => match (self.volatile.peek_lru(), self.persistent.peek_lru()) {
                (Some((_, v)), Some((_, p))) => v.0 < p.0,
                (v, _) => v.is_some(),
            },
        };
        let side = if from_volatile {
            &mut self.volatile
        } else {
            &mut self.persistent
        };
        side.pop_lru().map(|_| ()).ok_or(Full)
    }

    /// The number of entries held [entries].
    pub fn len(&self) -> usize {
        self.volatile.len() + self.persistent.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry; the capacity and policy stay.
    pub fn clear(&mut self) {
        self.volatile.clear();
        self.persistent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatile_lru_evicts_only_keys_with_a_ttl() {
        let mut c = PolicyLru::new(2, Evict::Volatile);
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
        let mut c = PolicyLru::new(2, Evict::AllKeys);
        c.put(1, "a", true).unwrap();
        c.put(2, "b", false).unwrap();
        assert_eq!(c.get(&1), Some(&"a"));
        assert_eq!(c.put(3, "c", true), Ok(true));
        assert_eq!(c.get(&2), None, "2 was the least recently used");
        assert_eq!(c.get(&1), Some(&"a"));
        let mut n = PolicyLru::new(1, Evict::Nothing);
        n.put(1, "a", true).unwrap();
        assert_eq!(n.put(2, "b", true), Err(Full));
    }

    #[test]
    fn an_update_makes_its_key_the_most_recent_and_a_peek_leaves_recency_alone() {
        for policy in [Evict::Volatile, Evict::AllKeys] {
            let mut c = PolicyLru::new(3, policy);
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
