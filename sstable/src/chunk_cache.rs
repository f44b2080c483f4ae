//! A cache of decompressed Data.db chunks, shared by every open SSTable:
//! a point lookup then costs a hash probe instead of an LZ4 decompression
//! of a whole chunk. Bounded in bytes; sharded so that readers on several
//! threads rarely meet on one lock; evicts with the CLOCK (second chance)
//! policy, which keeps chunks read again since they were last considered.

use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Identifies one SSTable's chunks in the cache.
pub type TableId = u64;

static NEXT_TABLE_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id for an SSTable opened now (ids are never reused, so a closed
/// table's chunks can never be served for another).
pub fn next_table_id() -> TableId {
    NEXT_TABLE_ID.fetch_add(1, Ordering::Relaxed)
}

const SHARDS: usize = 16;

/// Hashes the cache's keys, two integers, with one multiply-fold: the
/// default SipHash, built against hash flooding, costs more than the rest
/// of a cache probe, and these keys are not attacker-chosen.
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

/// A cached chunk and whether it was read since the clock hand last
/// passed it.
type Entry = (Arc<[u8]>, bool);

#[derive(Debug, Default)]
struct Shard {
    chunks: HashMap<(TableId, u64), Entry, KeyHash>,
    clock: VecDeque<(TableId, u64)>,
    bytes: usize,
}

/// Decompressed chunks, up to a byte budget.
#[derive(Debug)]
pub struct ChunkCache {
    shards: Vec<Mutex<Shard>>,
    shard_capacity: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl ChunkCache {
    /// A cache holding up to `capacity_bytes` of decompressed chunks.
    pub fn new(capacity_bytes: usize) -> Self {
        ChunkCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            shard_capacity: capacity_bytes / SHARDS,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn shard(&self, table: TableId, chunk: u64) -> &Mutex<Shard> {
        let mixed =
            (table.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ chunk).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        &self.shards[(mixed >> 60) as usize % SHARDS]
    }

    /// The cached chunk, if present.
    pub fn get(&self, table: TableId, chunk: u64) -> Option<Arc<[u8]>> {
        let mut shard = self.shard(table, chunk).lock();
        match shard.chunks.get_mut(&(table, chunk)) {
            Some((bytes, referenced)) => {
                *referenced = true;
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(bytes.clone())
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Caches a chunk, evicting others if the shard is over its budget.
    pub fn insert(&self, table: TableId, chunk: u64, bytes: Arc<[u8]>) {
        if bytes.len() > self.shard_capacity {
            return;
        }
        let mut guard = self.shard(table, chunk).lock();
        let shard = &mut *guard;
        let len = bytes.len();
        if let Some((old, _)) = shard.chunks.insert((table, chunk), (bytes, false)) {
            shard.bytes -= old.len();
        } else {
            shard.clock.push_back((table, chunk));
        }
        shard.bytes += len;
        while shard.bytes > self.shard_capacity {
            let Some(candidate) = shard.clock.pop_front() else {
                break;
            };
            match shard.chunks.get_mut(&candidate) {
                Some((_, referenced)) if *referenced => {
                    *referenced = false;
                    shard.clock.push_back(candidate);
                }
                Some(_) => {
                    if let Some((old, _)) = shard.chunks.remove(&candidate) {
                        shard.bytes -= old.len();
                    }
                }
                None => {}
            }
        }
    }

    /// Bytes cached now.
    pub fn size(&self) -> usize {
        self.shards.iter().map(|s| s.lock().bytes).sum()
    }

    /// Lookups served from the cache and lookups that missed, since
    /// creation.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(byte: u8, len: usize) -> Arc<[u8]> {
        vec![byte; len].into()
    }

    #[test]
    fn serves_what_it_holds_and_stays_within_budget() {
        let cache = ChunkCache::new(16 * 1024);
        for i in 0..100 {
            cache.insert(1, i, chunk(i as u8, 512));
        }
        assert!(cache.size() <= 16 * 1024);
        let held = (0..100).filter(|&i| cache.get(1, i).is_some()).count();
        assert!(held > 0 && held < 100, "{held}");
        for i in 0..100 {
            if let Some(c) = cache.get(1, i) {
                assert!(c.iter().all(|b| *b == i as u8));
            }
        }
        assert!(cache.get(2, 0).is_none());
        let (hits, misses) = cache.hits_and_misses();
        assert_eq!(hits + misses, 201);
    }

    #[test]
    fn recently_read_chunks_survive_eviction() {
        // One shard's worth of budget per chunk id space: use one table and
        // re-read chunk 0 between inserts.
        let cache = ChunkCache::new(SHARDS * 4 * 512);
        cache.insert(7, 0, chunk(0, 512));
        for i in 1..200 {
            assert!(cache.get(7, 0).is_some(), "chunk 0 evicted at {i}");
            cache.insert(7, i, chunk(1, 512));
        }
        assert!(cache.insert_too_big_is_ignored());
    }

    impl ChunkCache {
        fn insert_too_big_is_ignored(&self) -> bool {
            self.insert(9, 9, chunk(0, self.shard_capacity + 1));
            self.get(9, 9).is_none()
        }
    }
}
