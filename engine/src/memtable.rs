//! The memtable: a table's recent writes in memory, sorted as its SSTables
//! will be (by token, then key), in a lock-free skip list so that writers
//! and readers on any number of threads do not wait on one another. Each
//! partition is guarded by its own mutex; an update to it is merged in
//! with the SSTable crate's one merge (cells reconciled, deletions
//! applied), as Cassandra's memtable merges into its partitions.

use crate::error::Result;
use crossbeam_skiplist::SkipMap;
use ilion_sstable::bloom::BloomFilter;
use ilion_sstable::merge::merge_into;
use ilion_sstable::partitioner::Partitioner;
use ilion_sstable::reconcile::CellKind;
use ilion_sstable::rows::{ColumnData, Partition, Unfiltered};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Where a partition sorts: its sort token, then its key bytes.
pub type Position = (i64, Vec<u8>);

/// The smallest timestamp, deletion time and TTL a memtable holds: the
/// serialization header's bases when it is flushed (Cassandra's
/// `EncodingStats`).
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
#[derive(Debug)]
pub struct Memtable {
    partitioner: Partitioner,
    clustering_types: Vec<String>,
    partitions: SkipMap<Position, Mutex<Partition>>,
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
    pub fn new(partitioner: Partitioner, clustering_types: Vec<String>) -> Self {
        Memtable {
            partitioner,
            clustering_types,
            partitions: SkipMap::new(),
            bytes: AtomicU64::new(0),
            min_timestamp: AtomicI64::new(i64::MAX),
            min_local_deletion_time: AtomicI64::new(i64::MAX),
            min_ttl: AtomicI64::new(i64::MAX),
        }
    }

    /// Where `key` sorts.
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
    pub fn apply(&self, update: Partition) -> Result<()> {
        self.note_stats(&update);
        let entry = self
            .partitions
            .get_or_insert_with(self.position(&update.key), || {
                Mutex::new(Partition {
                    key: update.key.clone(),
                    deletion: ilion_sstable::reconcile::DeletionTime::LIVE,
                    static_row: None,
                    unfiltereds: Vec::new(),
                })
            });
        // Every write counts in full, overwrites included, as Cassandra's
        // memtable allocator counts them: the size stays an upper bound
        // without walking the (possibly wide) partition on every write.
        let added = weight(&update);
        merge_into(&self.clustering_types, &mut entry.value().lock(), update)?;
        self.bytes.fetch_add(added, Ordering::Relaxed);
        Ok(())
    }

    /// A copy of the partition `key`, if the memtable has it.
    pub fn get(&self, key: &[u8]) -> Option<Partition> {
        self.partitions
            .get(&self.position(key))
            .map(|entry| entry.value().lock().clone())
    }

    /// Copies of every partition, in order (a flush's input).
    pub fn partitions(&self) -> impl Iterator<Item = Partition> + '_ {
        self.partitions.iter().map(|e| e.value().lock().clone())
    }

    /// Copies of the partitions from `start` on (a position), in order.
    pub fn partitions_from(
        &self,
        start: std::ops::Bound<Position>,
    ) -> impl Iterator<Item = Partition> + '_ {
        self.partitions
            .range((start, std::ops::Bound::Unbounded))
            .map(|e| e.value().lock().clone())
    }

    /// Approximate bytes held.
    pub fn size_bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Number of partitions.
    pub fn len(&self) -> usize {
        self.partitions.len()
    }

    /// Whether no write has reached it.
    pub fn is_empty(&self) -> bool {
        self.partitions.is_empty()
    }

    /// The bases of the serialization header a flush writes with.
    pub fn encoding_stats(&self) -> EncodingStats {
        let or_zero = |v: i64| if v == i64::MAX { 0 } else { v };
        EncodingStats {
            min_timestamp: or_zero(self.min_timestamp.load(Ordering::Relaxed)),
            min_local_deletion_time: or_zero(self.min_local_deletion_time.load(Ordering::Relaxed)),
            min_ttl: i32::try_from(or_zero(self.min_ttl.load(Ordering::Relaxed))).unwrap_or(0),
        }
    }
}
