//! Caches shared by every open SSTable: decompressed Data.db chunks (a
//! point lookup then costs a hash probe instead of an LZ4 decompression of
//! a whole chunk) and partition positions by key (Cassandra's key cache: a
//! lookup then skips the bloom filter and the Index.db search). Both are
//! bounded in bytes and evict with CLOCK (`clock_cache`).

use crate::clock_cache::ClockCache;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Identifies one SSTable's entries in the caches.
pub type TableId = u64;

static NEXT_TABLE_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id for an SSTable opened now (ids are never reused, so a closed
/// table's entries can never be served for another).
pub fn next_table_id() -> TableId {
    NEXT_TABLE_ID.fetch_add(1, Ordering::Relaxed)
}

/// Decompressed chunks, up to a byte budget.
#[derive(Debug)]
pub struct ChunkCache {
    cache: ClockCache<Arc<[u8]>>,
}

impl ChunkCache {
    /// A cache holding up to `capacity_bytes` of decompressed chunks.
    pub fn new(capacity_bytes: usize) -> Self {
        ChunkCache {
            cache: ClockCache::new(capacity_bytes),
        }
    }

    /// The cached chunk, if present.
    pub fn get(&self, table: TableId, chunk: u64) -> Option<Arc<[u8]>> {
        self.cache.get((table, chunk))
    }

    /// Caches a chunk, evicting others if over budget.
    pub fn insert(&self, table: TableId, chunk: u64, bytes: Arc<[u8]>) {
        let weight = bytes.len();
        self.cache.insert((table, chunk), bytes, weight);
    }

    /// Bytes cached now.
    pub fn size(&self) -> usize {
        self.cache.size()
    }

    /// Lookups served from the cache and lookups that missed.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        self.cache.hits_and_misses()
    }
}

/// Where a partition lies: found through the index once, remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPosition {
    /// Start of the partition in the uncompressed data stream.
    pub data_start: u64,
    /// End of the partition in the data stream.
    pub data_end: u64,
    /// Start of its entry in Index.db (for the row index).
    pub index_offset: u64,
}

/// A cached key: short keys (most) live in the entry itself, so checking
/// a hit costs no second memory access.
#[derive(Debug, Clone)]
enum StoredKey {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Shared(Arc<[u8]>),
}

/// Longest key kept inline.
const INLINE_KEY: usize = 30;

impl StoredKey {
    fn new(key: &[u8]) -> Self {
        if key.len() <= INLINE_KEY {
            let mut bytes = [0u8; INLINE_KEY];
            bytes[..key.len()].copy_from_slice(key);
            StoredKey::Inline {
                len: key.len() as u8,
                bytes,
            }
        } else {
            StoredKey::Shared(Arc::from(key))
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            StoredKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            StoredKey::Shared(key) => key,
        }
    }
}

/// Partition positions by key, up to a byte budget.
#[derive(Debug)]
pub struct KeyCache {
    cache: ClockCache<(StoredKey, KeyPosition)>,
}

/// Bytes an entry costs beyond its key: the map slot, the clock slot and
/// the key's allocation header, roughly.
const KEY_ENTRY_OVERHEAD: usize = 96;

impl KeyCache {
    /// A cache holding up to about `capacity_bytes` of entries.
    pub fn new(capacity_bytes: usize) -> Self {
        KeyCache {
            cache: ClockCache::new(capacity_bytes),
        }
    }

    /// The position of `key` (whose 64-bit hash is `hash`) in `table`.
    pub fn get(&self, table: TableId, hash: u64, key: &[u8]) -> Option<KeyPosition> {
        // Two keys may share a hash: the stored key decides.
        self.cache
            .get((table, hash))
            .filter(|(stored, _)| stored.as_slice() == key)
            .map(|(_, position)| position)
    }

    /// Remembers where `key` lies in `table`.
    pub fn insert(&self, table: TableId, hash: u64, key: &[u8], position: KeyPosition) {
        let weight = key.len() + KEY_ENTRY_OVERHEAD;
        self.cache
            .insert((table, hash), (StoredKey::new(key), position), weight);
    }

    /// Bytes cached now (estimated).
    pub fn size(&self) -> usize {
        self.cache.size()
    }

    /// Lookups served from the cache and lookups that missed.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        self.cache.hits_and_misses()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_cache_tells_colliding_keys_apart() {
        let cache = KeyCache::new(1 << 20);
        let position = KeyPosition {
            data_start: 1,
            data_end: 2,
            index_offset: 3,
        };
        cache.insert(1, 42, b"a", position);
        assert_eq!(cache.get(1, 42, b"a"), Some(position));
        assert_eq!(cache.get(1, 42, b"b"), None);
        assert_eq!(cache.get(2, 42, b"a"), None);
    }

    #[test]
    fn the_chunk_cache_serves_chunks() {
        let cache = ChunkCache::new(1 << 20);
        cache.insert(3, 7, vec![1, 2, 3].into());
        assert_eq!(cache.get(3, 7).as_deref(), Some(&[1u8, 2, 3][..]));
        assert!(cache.get(3, 8).is_none());
        assert_eq!(cache.size(), 3);
    }
}
