//! A bounded, sharded cache with the CLOCK (second chance) eviction policy,
//! keyed by two integers: what the chunk cache and the key cache share.
//! Sharding keeps readers on several threads off one another's lock; CLOCK
//! keeps entries read again since the hand last passed them.

use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};

const SHARDS: usize = 16;

/// A cache key: an SSTable's id and a number within it.
pub(crate) type Key = (u64, u64);

/// Hashes the two integers with one multiply-fold: the default SipHash,
/// built against hash flooding, costs more than the rest of a probe, and
/// these keys are not chosen by an attacker.
#[derive(Debug, Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let mixed = u128::from(self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
        self.0 = (mixed as u64) ^ ((mixed >> 64) as u64);
    }
}

type KeyHash = std::hash::BuildHasherDefault<KeyHasher>;

/// A value, its weight in bytes, and whether it was read since the clock
/// hand last passed it.
type Slot<V> = (V, usize, bool);

#[derive(Debug)]
struct Shard<V> {
    entries: HashMap<Key, Slot<V>, KeyHash>,
    clock: VecDeque<Key>,
    bytes: usize,
    // Counted under the shard's lock: no shared atomic on the hot path.
    hits: u64,
    misses: u64,
}

impl<V> Default for Shard<V> {
    fn default() -> Self {
        Shard {
            entries: HashMap::default(),
            clock: VecDeque::new(),
            bytes: 0,
            hits: 0,
            misses: 0,
        }
    }
}

/// Values up to a byte budget.
#[derive(Debug)]
pub(crate) struct ClockCache<V> {
    shards: Vec<Mutex<Shard<V>>>,
    shard_capacity: usize,
}

impl<V: Clone> ClockCache<V> {
    pub(crate) fn new(capacity_bytes: usize) -> Self {
        ClockCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            shard_capacity: capacity_bytes / SHARDS,
        }
    }

    fn shard(&self, key: Key) -> &Mutex<Shard<V>> {
        let mixed =
            (key.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ key.1).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        &self.shards[(mixed >> 60) as usize % SHARDS]
    }

    /// The cached value, if present.
    pub(crate) fn get(&self, key: Key) -> Option<V> {
        let mut guard = self.shard(key).lock();
        let shard = &mut *guard;
        match shard.entries.get_mut(&key) {
            Some((value, _, referenced)) => {
                *referenced = true;
                shard.hits += 1;
                Some(value.clone())
            }
            None => {
                shard.misses += 1;
                None
            }
        }
    }

    /// Caches a value of `weight` bytes, evicting others if the shard is
    /// over its budget.
    pub(crate) fn insert(&self, key: Key, value: V, weight: usize) {
        if weight > self.shard_capacity {
            return;
        }
        let mut guard = self.shard(key).lock();
        let shard = &mut *guard;
        if let Some((_, old, _)) = shard.entries.insert(key, (value, weight, false)) {
            shard.bytes -= old;
        } else {
            shard.clock.push_back(key);
        }
        shard.bytes += weight;
        while shard.bytes > self.shard_capacity {
            let Some(candidate) = shard.clock.pop_front() else {
                break;
            };
            match shard.entries.get_mut(&candidate) {
                Some((_, _, referenced)) if *referenced => {
                    *referenced = false;
                    shard.clock.push_back(candidate);
                }
                Some(_) => {
                    if let Some((_, old, _)) = shard.entries.remove(&candidate) {
                        shard.bytes -= old;
                    }
                }
                None => {}
            }
        }
    }

    /// Bytes cached now.
    pub(crate) fn size(&self) -> usize {
        self.shards.iter().map(|s| s.lock().bytes).sum()
    }

    /// Lookups that hit and that missed, since creation.
    pub(crate) fn hits_and_misses(&self) -> (u64, u64) {
        self.shards.iter().fold((0, 0), |(h, m), s| {
            let s = s.lock();
            (h + s.hits, m + s.misses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_what_it_holds_and_stays_within_budget() {
        let cache = ClockCache::new(16 * 1024);
        for i in 0..100u64 {
            cache.insert((1, i), i, 512);
        }
        assert!(cache.size() <= 16 * 1024);
        let held = (0..100).filter(|&i| cache.get((1, i)) == Some(i)).count();
        assert!(held > 0 && held < 100, "{held}");
        assert!(cache.get((2, 0)).is_none());
        let (hits, misses) = cache.hits_and_misses();
        assert_eq!(hits + misses, 101);
    }

    #[test]
    fn recently_read_entries_survive_eviction() {
        let cache = ClockCache::new(SHARDS * 4 * 512);
        cache.insert((7, 0), 0u64, 512);
        for i in 1..200 {
            assert!(cache.get((7, 0)).is_some(), "entry 0 evicted at {i}");
            cache.insert((7, i), i, 512);
        }
        // Too heavy for a shard: not cached.
        cache.insert((9, 9), 9, cache.shard_capacity + 1);
        assert!(cache.get((9, 9)).is_none());
    }
}
