//! The memtable: a table's recent writes in memory, sorted as its SSTables
//! will be (by token, then key). The token space is cut into 256 ranges,
//! each a B-tree behind its own reader-writer lock: writers and readers
//! on different ranges never meet, and one range's lock is held only for
//! one insert or lookup. (A B-tree search touches a few cache lines per
//! level where a skip list touches a node per step: measured, inserts took
//! half the time of crossbeam's lock-free skip list.) An update is merged
//! into its partition with the SSTable crate's one merge (cells
//! reconciled, deletions applied), as Cassandra's memtable merges into its
//! partitions.

use crate::error::Result;
use ilion_sstable::bloom::BloomFilter;
use ilion_sstable::merge::{merge_into, normalize};
use ilion_sstable::partitioner::Partitioner;
use ilion_sstable::reconcile::CellKind;
use ilion_sstable::rows::{ColumnData, Partition, Unfiltered};
use parking_lot::RwLock;
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

/// Token ranges (each its own B-tree and lock).
const SHARDS: usize = 256;

/// Partitions copied per lock taken while iterating: the first batch is
/// small, since a range read often wants only a few partitions; each
/// next one doubles, up to the most.
const FIRST_BATCH: usize = 4;
const MOST_BATCH: usize = 64;

/// Where a partition sorts: its sort token, then its key bytes.
///
/// ```
/// use ilion::memtable::Memtable;
/// use ilion::sstable::partitioner::Partitioner;
/// use ilion::sstable::reconcile::DeletionTime;
/// use ilion::sstable::rows::Partition;
/// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
/// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
/// memtable.apply(deleted(b"k", 1))?;
/// let (token, key) = memtable.position(b"k");
/// assert_eq!(key, b"k");
/// assert_eq!(token, memtable.position(b"k").0);
/// # Ok::<(), ilion::Error>(())
/// ```
pub type Position = (i64, Vec<u8>);

/// The smallest timestamp, deletion time and TTL a memtable holds: the
/// serialization header's bases when it is flushed (Cassandra's
/// `EncodingStats`).
///
/// ```
/// use ilion::memtable::Memtable;
/// use ilion::sstable::partitioner::Partitioner;
/// use ilion::sstable::reconcile::DeletionTime;
/// use ilion::sstable::rows::Partition;
/// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
/// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
/// memtable.apply(deleted(b"k", 42))?;
/// assert_eq!(memtable.encoding_stats().min_timestamp, 42);
/// # Ok::<(), ilion::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingStats {
    /// Smallest timestamp (µs).
    pub min_timestamp: i64,
    /// Smallest local deletion or expiry time (s).
    pub min_local_deletion_time: i64,
    /// Smallest TTL (s).
    pub min_ttl: i32,
}

/// Running minimums of one update.
struct Mins {
    timestamp: i64,
    ldt: i64,
    ttl: i64,
}

impl Mins {
    fn deletion(&mut self, d: &ilion_sstable::reconcile::DeletionTime) {
        if !d.is_live() {
            self.timestamp = self.timestamp.min(d.marked_for_delete_at);
            self.ldt = self.ldt.min(d.local_deletion_time);
        }
    }
}

/// A table's in-memory writes.
///
/// ```
/// use ilion::memtable::Memtable;
/// use ilion::sstable::partitioner::Partitioner;
/// use ilion::sstable::reconcile::DeletionTime;
/// use ilion::sstable::rows::Partition;
/// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
/// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
/// memtable.apply(deleted(b"k", 1))?;
/// memtable.apply(deleted(b"k", 5))?;
/// // Updates of one partition merge: the newer deletion wins.
/// assert_eq!(memtable.get(b"k").map(|p| p.deletion.marked_for_delete_at), Some(5));
/// # Ok::<(), ilion::Error>(())
/// ```
#[derive(Debug)]
pub struct Memtable {
    partitioner: Partitioner,
    clustering_types: Vec<String>,
    /// Partitions boxed: B-tree nodes stay small (keys and pointers), so
    /// splits move little and allocate below the size that makes glibc
    /// consolidate its free lists.
    shards: Vec<RwLock<BTreeMap<Position, Box<Partition>>>>,
    count: AtomicUsize,
    bytes: AtomicU64,
    min_timestamp: AtomicI64,
    min_local_deletion_time: AtomicI64,
    min_ttl: AtomicI64,
}

/// Roughly what a partition costs in memory: its bytes plus bookkeeping.
fn weight(p: &Partition) -> u64 {
    let mut bytes = 64 + p.key.len() as u64;
    for u in &p.unfiltereds {
        bytes += 48;
        if let Unfiltered::Row(row) = u {
            bytes += row
                .clustering
                .iter()
                .flatten()
                .map(|v| v.len() as u64 + 24)
                .sum::<u64>();
            for data in &row.columns {
                bytes += match data {
                    ColumnData::Simple { cell, .. } => 48 + cell.value.len() as u64,
                    ColumnData::Complex { cells, .. } => {
                        cells.iter().map(|c| 48 + c.value.len() as u64).sum()
                    }
                };
            }
        }
    }
    bytes
}

impl Memtable {
    /// An empty memtable for a table ordered by `partitioner` with these
    /// clustering types.
    ///
    /// ```
    /// use ilion::memtable::Memtable;
    /// use ilion::sstable::partitioner::Partitioner;
    /// use ilion::sstable::reconcile::DeletionTime;
    /// use ilion::sstable::rows::Partition;
    /// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
    /// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
    /// assert!(memtable.is_empty());
    /// # Ok::<(), ilion::Error>(())
    /// ```
    pub fn new(partitioner: Partitioner, clustering_types: Vec<String>) -> Self {
        Memtable {
            partitioner,
            clustering_types,
            shards: (0..SHARDS).map(|_| RwLock::new(BTreeMap::new())).collect(),
            count: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            min_timestamp: AtomicI64::new(i64::MAX),
            min_local_deletion_time: AtomicI64::new(i64::MAX),
            min_ttl: AtomicI64::new(i64::MAX),
        }
    }

    /// Where `key` sorts.
    ///
    /// ```
    /// use ilion::memtable::Memtable;
    /// use ilion::sstable::partitioner::Partitioner;
    /// use ilion::sstable::reconcile::DeletionTime;
    /// use ilion::sstable::rows::Partition;
    /// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
    /// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
    /// // Murmur3 order: by token, so not by key bytes.
    /// let (a, b) = (memtable.position(b"a"), memtable.position(b"b"));
    /// assert_ne!(a.0, b.0);
    /// # Ok::<(), ilion::Error>(())
    /// ```
    pub fn position(&self, key: &[u8]) -> Position {
        (
            self.partitioner.sort_token(key, BloomFilter::hash(key)),
            key.to_vec(),
        )
    }

    fn note_stats(&self, update: &Partition) {
        let mut mins = Mins {
            timestamp: i64::MAX,
            ldt: i64::MAX,
            ttl: i64::MAX,
        };
        mins.deletion(&update.deletion);
        let mut rows = Vec::new();
        rows.extend(update.static_row.iter());
        for u in &update.unfiltereds {
            match u {
                Unfiltered::Row(r) => rows.push(r),
                Unfiltered::Marker(m) => {
                    for d in [m.start_deletion, m.end_deletion].iter().flatten() {
                        mins.deletion(d);
                    }
                }
            }
        }
        for row in rows {
            if let Some(d) = &row.deletion {
                mins.deletion(d);
            }
            if let Some(l) = row.liveness {
                mins.timestamp = mins.timestamp.min(l.timestamp);
                if let Some((t, expiry)) = l.expiry {
                    mins.ttl = mins.ttl.min(i64::from(t));
                    mins.ldt = mins.ldt.min(expiry);
                }
            }
            for data in &row.columns {
                let cells = match data {
                    ColumnData::Simple { cell, .. } => std::slice::from_ref(cell),
                    ColumnData::Complex { cells, .. } => cells.as_slice(),
                };
                for cell in cells {
                    mins.timestamp = mins.timestamp.min(cell.timestamp);
                    match cell.kind {
                        CellKind::Live => {}
                        CellKind::Expiring {
                            ttl,
                            local_expiration_time,
                        } => {
                            mins.ttl = mins.ttl.min(i64::from(ttl));
                            mins.ldt = mins.ldt.min(local_expiration_time);
                        }
                        CellKind::Tombstone {
                            local_deletion_time,
                        } => mins.ldt = mins.ldt.min(local_deletion_time),
                    }
                }
            }
        }
        self.min_timestamp
            .fetch_min(mins.timestamp, Ordering::Relaxed);
        self.min_local_deletion_time
            .fetch_min(mins.ldt, Ordering::Relaxed);
        self.min_ttl.fetch_min(mins.ttl, Ordering::Relaxed);
    }

    /// Merges `update` into the memtable.
    ///
    /// # Errors
    /// What the merge refuses (malformed range tombstones, collections).
    ///
    /// ```
    /// use ilion::memtable::Memtable;
    /// use ilion::sstable::partitioner::Partitioner;
    /// use ilion::sstable::reconcile::DeletionTime;
    /// use ilion::sstable::rows::Partition;
    /// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
    /// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
    /// memtable.apply(deleted(b"k", 1))?;
    /// assert_eq!(memtable.len(), 1);
    /// # Ok::<(), ilion::Error>(())
    /// ```
    pub fn apply(&self, update: Partition) -> Result<()> {
        self.note_stats(&update);
        // Every write counts in full, overwrites included, as Cassandra's
        // memtable allocator counts them: the size stays an upper bound
        // without walking the (possibly wide) partition on every write.
        let added = weight(&update);
        let position = self.position(&update.key);
        let mut shard = self.shards[shard_of(position.0)].write();
        match shard.entry(position) {
            std::collections::btree_map::Entry::Occupied(mut entry) => {
                merge_into(&self.clustering_types, entry.get_mut(), update)?;
            }
            std::collections::btree_map::Entry::Vacant(entry) => {
                entry.insert(Box::new(normalize(&self.clustering_types, update)?));
                self.count.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.bytes.fetch_add(added, Ordering::Relaxed);
        Ok(())
    }

    /// `read` applied to partition `key` in place, under its shard's read
    /// lock, if the memtable holds it: for readers that need only part of
    /// a partition (the head of a slice) and would not copy all of it.
    pub fn get_with<R>(&self, key: &[u8], read: impl FnOnce(&Partition) -> R) -> Option<R> {
        let position = self.position(key);
        self.shards[shard_of(position.0)]
            .read()
            .get(&position)
            .map(|p| read(p))
    }

    /// A copy of the partition `key`, if the memtable has it.
    ///
    /// ```
    /// use ilion::memtable::Memtable;
    /// use ilion::sstable::partitioner::Partitioner;
    /// use ilion::sstable::reconcile::DeletionTime;
    /// use ilion::sstable::rows::Partition;
    /// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
    /// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
    /// memtable.apply(deleted(b"k", 1))?;
    /// assert!(memtable.get(b"k").is_some());
    /// assert!(memtable.get(b"other").is_none());
    /// # Ok::<(), ilion::Error>(())
    /// ```
    pub fn get(&self, key: &[u8]) -> Option<Partition> {
        self.get_with(key, Partition::clone)
    }

    /// Copies of every partition, in order.
    ///
    /// ```
    /// use ilion::memtable::Memtable;
    /// use ilion::sstable::partitioner::Partitioner;
    /// use ilion::sstable::reconcile::DeletionTime;
    /// use ilion::sstable::rows::Partition;
    /// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
    /// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
    /// for key in [&b"a"[..], b"b", b"c"] {
    ///     memtable.apply(deleted(key, 1))?;
    /// }
    /// let keys: Vec<Vec<u8>> = memtable.partitions().map(|p| p.key).collect();
    /// let mut by_position = keys.clone();
    /// by_position.sort_by_key(|k| memtable.position(k));
    /// assert_eq!(keys, by_position);
    /// # Ok::<(), ilion::Error>(())
    /// ```
    pub fn partitions(&self) -> impl Iterator<Item = Partition> + '_ {
        self.partitions_from(Bound::Unbounded)
    }

    /// Calls `f` with every partition in order, without copying them (a
    /// flush's input): each token range's read lock is held while its
    /// partitions are passed, so writers of that range wait meanwhile; meant
    /// for a memtable no longer written to.
    ///
    /// # Errors
    /// The first error `f` returns.
    ///
    /// ```
    /// use ilion::memtable::Memtable;
    /// use ilion::sstable::partitioner::Partitioner;
    /// use ilion::sstable::reconcile::DeletionTime;
    /// use ilion::sstable::rows::Partition;
    /// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
    /// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
    /// for key in [&b"a"[..], b"b", b"c"] {
    ///     memtable.apply(deleted(key, 1))?;
    /// }
    /// let mut keys = Vec::new();
    /// memtable.for_each(|p| {
    ///     keys.push(p.key.clone());
    ///     Ok(())
    /// })?;
    /// assert_eq!(keys, memtable.partitions().map(|p| p.key).collect::<Vec<_>>());
    /// # Ok::<(), ilion::Error>(())
    /// ```
    pub fn for_each(&self, mut f: impl FnMut(&Partition) -> Result<()>) -> Result<()> {
        for shard in &self.shards {
            for partition in shard.read().values() {
                f(partition)?;
            }
        }
        Ok(())
    }

    /// Copies of the partitions from `start` on (a position), in order.
    ///
    /// ```
    /// use ilion::memtable::Memtable;
    /// use ilion::sstable::partitioner::Partitioner;
    /// use ilion::sstable::reconcile::DeletionTime;
    /// use ilion::sstable::rows::Partition;
    /// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
    /// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
    /// for key in [&b"a"[..], b"b", b"c"] {
    ///     memtable.apply(deleted(key, 1))?;
    /// }
    /// let first = memtable.partitions().next().expect("three").key;
    /// let after = memtable.partitions_from(std::ops::Bound::Excluded(memtable.position(&first)));
    /// assert_eq!(after.count(), 2);
    /// # Ok::<(), ilion::Error>(())
    /// ```
    pub fn partitions_from(&self, start: Bound<Position>) -> impl Iterator<Item = Partition> + '_ {
        let shard = match &start {
            Bound::Included((token, _)) | Bound::Excluded((token, _)) => shard_of(*token),
            Bound::Unbounded => 0,
        };
        PartitionIter {
            memtable: self,
            shard,
            from: start,
            batch: VecDeque::new(),
            batch_size: FIRST_BATCH,
        }
    }

    /// Approximate bytes held.
    ///
    /// ```
    /// use ilion::memtable::Memtable;
    /// use ilion::sstable::partitioner::Partitioner;
    /// use ilion::sstable::reconcile::DeletionTime;
    /// use ilion::sstable::rows::Partition;
    /// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
    /// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
    /// memtable.apply(deleted(b"k", 1))?;
    /// assert!(memtable.size_bytes() > 0);
    /// # Ok::<(), ilion::Error>(())
    /// ```
    pub fn size_bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Number of partitions.
    ///
    /// ```
    /// use ilion::memtable::Memtable;
    /// use ilion::sstable::partitioner::Partitioner;
    /// use ilion::sstable::reconcile::DeletionTime;
    /// use ilion::sstable::rows::Partition;
    /// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
    /// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
    /// memtable.apply(deleted(b"k", 1))?;
    /// memtable.apply(deleted(b"k", 2))?;
    /// assert_eq!(memtable.len(), 1);
    /// # Ok::<(), ilion::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Whether no write has reached it.
    ///
    /// ```
    /// use ilion::memtable::Memtable;
    /// use ilion::sstable::partitioner::Partitioner;
    /// use ilion::sstable::reconcile::DeletionTime;
    /// use ilion::sstable::rows::Partition;
    /// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
    /// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
    /// assert!(memtable.is_empty());
    /// memtable.apply(deleted(b"k", 1))?;
    /// assert!(!memtable.is_empty());
    /// # Ok::<(), ilion::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bases of the serialization header a flush writes with.
    ///
    /// ```
    /// use ilion::memtable::Memtable;
    /// use ilion::sstable::partitioner::Partitioner;
    /// use ilion::sstable::reconcile::DeletionTime;
    /// use ilion::sstable::rows::Partition;
    /// let deleted = |key: &[u8], at: i64| Partition { key: key.to_vec(), deletion: DeletionTime { marked_for_delete_at: at, local_deletion_time: 1_700_000_000 }, static_row: None, unfiltereds: vec![] };
    /// let memtable = Memtable::new(Partitioner::Murmur3, vec![]);
    /// memtable.apply(deleted(b"a", 7))?;
    /// memtable.apply(deleted(b"b", 3))?;
    /// let stats = memtable.encoding_stats();
    /// assert_eq!((stats.min_timestamp, stats.min_local_deletion_time), (3, 1_700_000_000));
    /// # Ok::<(), ilion::Error>(())
    /// ```
    pub fn encoding_stats(&self) -> EncodingStats {
        let or_zero = |v: i64| if v == i64::MAX { 0 } else { v };
        EncodingStats {
            min_timestamp: or_zero(self.min_timestamp.load(Ordering::Relaxed)),
            min_local_deletion_time: or_zero(self.min_local_deletion_time.load(Ordering::Relaxed)),
            min_ttl: i32::try_from(or_zero(self.min_ttl.load(Ordering::Relaxed))).unwrap_or(0),
        }
    }
}

/// The token range a sort token falls in: its top bits, in token order (the
/// sign bit flipped so that negative tokens come first).
fn shard_of(token: i64) -> usize {
    ((token as u64 ^ (1 << 63)) >> 56) as usize * SHARDS / 256
}

/// Partitions in order from a position, copied out a batch at a time so
/// that no lock is held between calls (writers go on; each partition is
/// copied as it is when its batch is taken).
struct PartitionIter<'a> {
    memtable: &'a Memtable,
    shard: usize,
    /// Where the next batch starts within `shard`.
    from: Bound<Position>,
    batch: VecDeque<(Position, Partition)>,
    /// Partitions the next batch copies.
    batch_size: usize,
}

impl Iterator for PartitionIter<'_> {
    type Item = Partition;

    fn next(&mut self) -> Option<Partition> {
        while self.batch.is_empty() {
            let shard = self.memtable.shards.get(self.shard)?.read();
            self.batch.extend(
                shard
                    .range((self.from.clone(), Bound::Unbounded))
                    .take(self.batch_size)
                    .map(|(position, p)| (position.clone(), Partition::clone(p))),
            );
            drop(shard);
            self.batch_size = (self.batch_size * 2).min(MOST_BATCH);
            match self.batch.back() {
                Some((last, _)) => self.from = Bound::Excluded(last.clone()),
                None => {
                    self.shard += 1;
                    self.from = Bound::Unbounded;
                }
            }
        }
        self.batch.pop_front().map(|(_, p)| p)
    }
}
