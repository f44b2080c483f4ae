//! A table at run time: its memtables, its SSTables, and the write, read
//! and flush paths through them.
//!
//! A write is appended to the commitlog, then merged into the active
//! memtable, both under a shared lock; a flush takes that lock exclusively
//! only to swap in an empty memtable, so that every commitlog entry up to
//! the position it records is in the memtable it flushes. The flushing
//! memtable stays readable until its SSTable is open.

use crate::compaction::compactor::Wake;
use crate::compaction::runner::CompactionCounters;
use crate::compaction::CompactionOptions;
use crate::error::Result;
use crate::flush::{flush, FlushTarget};
use crate::memtable::{Memtable, Position as SortPosition};
use crate::stats::{Recorder, TableStats};
use crate::system::TableDefinition;
use ilion_commitlog::{CommitLog, Position, TableId};
use ilion_sstable::clustering::{compare_clusterings, ClusteringValue};
use ilion_sstable::data_reader::DataReader;
use ilion_sstable::data_writer::DataWriter;
use ilion_sstable::descriptor::{Component, Descriptor, TEMPORARY_PREFIX};
use ilion_sstable::merge::{check_mergeable, merge};
use ilion_sstable::reader::{ReaderCaches, SstableReader};
use ilion_sstable::rows::{ColumnData, Partition, Unfiltered};
use ilion_sstable::schema::PartitionCheck;
use ilion_sstable::slice::{clip, take_head, Slice};
use ilion_sstable::statistics::{ClusteringRange, CommitLogPosition, SerializationHeader};
use ilion_sstable::version::Version;
use ilion_vfs::FileSystem;
use parking_lot::{Mutex, RwLock};
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The commitlog's id for a table: its UUID.
pub(crate) fn log_id(id: &[u8; 16]) -> TableId {
    TableId(u128::from_be_bytes(*id))
}

fn to_statistics(p: Position) -> CommitLogPosition {
    CommitLogPosition {
        segment_id: p.segment_id as i64,
        position: p.offset as i32,
    }
}

fn from_statistics(p: CommitLogPosition) -> Position {
    Position {
        segment_id: p.segment_id as u64,
        offset: p.position as u32,
    }
}

/// One table's state.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) definition: TableDefinition,
    pub(crate) directory: PathBuf,
    /// The schema's clustering types, worked out once (reads and merges
    /// need them on every call).
    pub(crate) clustering_types: Vec<String>,
    /// The schema's partition check, worked out once.
    partition_check: PartitionCheck,
    /// Whether the schema is the built-in key-value one.
    pub(crate) is_key_value: bool,
    log_id: TableId,
    /// Header of commitlog payloads: the table's columns, zero bases.
    log_header: SerializationHeader,
    log_writer: DataWriter,
    /// Shared by writers, exclusive for a memtable switch.
    switch: RwLock<()>,
    pub(crate) memtable: RwLock<Arc<Memtable>>,
    /// Commitlog positions of the active memtable's writes.
    positions: Mutex<Option<(Position, Position)>>,
    pub(crate) flushing: RwLock<Vec<Arc<Memtable>>>,
    /// Newest first.
    pub(crate) sstables: RwLock<Vec<Arc<SstableReader>>>,
    pub(crate) next_generation: AtomicU64,
    flush_lock: Mutex<()>,
    flush_requested: AtomicBool,
    stalls: AtomicU64,
    /// SSTables consulted by reads, for stats.
    sstables_read: AtomicU64,
    flushes: AtomicU64,
    flush_failed: AtomicBool,
    pub(crate) recorder: Recorder,
    pub(crate) caches: ReaderCaches,
    /// The compaction strategy and its options (changeable while open).
    pub(crate) compaction: RwLock<CompactionOptions>,
    /// Generations a running compaction holds.
    pub(crate) compacting: Mutex<HashSet<u64>>,
    /// When each live SSTable joined the live set.
    pub(crate) joined: Mutex<HashMap<u64, Instant>>,
    /// Set while a major compaction runs: background ones leave the table
    /// alone.
    pub(crate) major_running: AtomicBool,
    /// One major compaction at a time.
    pub(crate) major_lock: Mutex<()>,
    /// Disk bytes of the last flushed SSTable (UCS's flush size).
    pub(crate) last_flush_bytes: AtomicU64,
    pub(crate) counters: CompactionCounters,
    /// How far compaction is behind, by the strategy's measure.
    pub(crate) stall_level: AtomicUsize,
    stall_limits: StallLimits,
    /// When a compaction of the table last failed.
    compaction_failed_at: Mutex<Option<Instant>>,
    /// Wakes the compaction threads.
    wake: Arc<Wake>,
}

/// When writers slow down and when they wait for compaction (RocksDB's
/// slowdown and stop triggers), in the strategy's stall measure
/// (SSTables a read may merge that compaction should reduce).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StallLimits {
    pub(crate) slowdown: usize,
    pub(crate) stop: usize,
}

/// Longest a writer waits at the stop limit for compactions to catch up.
const MAX_STOP_WAIT: Duration = Duration::from_secs(10);

/// Memtables being flushed at once before writers wait: memory stays
/// bounded when flushes fall behind.
const MAX_PENDING_FLUSHES: usize = 2;

thread_local! {
    /// The commitlog payload buffer of a writing thread, reused so that a
    /// write's encoding does not allocate.
    static PAYLOAD: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Largest payload buffer a thread keeps between writes.
const MAX_KEPT_PAYLOAD: usize = 1 << 20;

/// Whether `sstable` may hold anything a read of `slice` returns. Its
/// covered clustering range (Statistics.db, `oa`) rules it out only when
/// it also holds no partition deletion and no static data, which a slice
/// read returns whatever its rows (Cassandra's `shouldInclude` check).
fn may_hold(sstable: &SstableReader, types: &[String], slice: &Slice) -> bool {
    let statistics = sstable.statistics();
    let stats = &statistics.stats;
    match &stats.clustering {
        ClusteringRange::Slice { start, end, .. }
            if stats.has_partition_level_deletions == Some(false)
                && statistics.header.static_columns.is_empty() =>
        {
            slice.intersects(types, start, end)
        }
        _ => true,
    }
}

impl Table {
    /// Opens a table's directory: removes what an interrupted flush left
    /// (`tmp-` files, components without TOC.txt), opens its SSTables.
    /// Returns the table and the commitlog position up to which its data
    /// is in SSTables this host wrote.
    pub(crate) fn open(
        fs: &Arc<dyn FileSystem>,
        definition: TableDefinition,
        directory: PathBuf,
        host_id: [u8; 16],
        caches: ReaderCaches,
        wake: Arc<Wake>,
        stall_limits: StallLimits,
    ) -> Result<(Table, Option<Position>)> {
        // Compactions a crash interrupted: exactly the old or the new set.
        crate::compaction::txn_log::recover(fs.as_ref(), &directory)?;
        let names = fs
            .list_dir(&directory)
            .map_err(crate::error::io_error("list", &directory))?;
        let names: Vec<String> = names
            .into_iter()
            .filter_map(|n| n.into_string().ok())
            .collect();
        let mut readers = Vec::new();
        let mut flushed: Option<Position> = None;
        let mut next_generation = 1;
        for name in &names {
            let path = directory.join(name);
            if name.starts_with(TEMPORARY_PREFIX) {
                log::info!("removing {} left by an interrupted flush", path.display());
                fs.remove_file(&path)
                    .map_err(crate::error::io_error("remove", &path))?;
                continue;
            }
            let Ok(descriptor) = Descriptor::from_path(&path) else {
                continue;
            };
            next_generation = next_generation.max(descriptor.generation + 1);
            let toc = descriptor.path(Component::Toc);
            if fs.open_readable(&toc).is_err() {
                // Part of an SSTable whose flush did not finish.
                log::info!("removing {}: its SSTable has no TOC.txt", path.display());
                fs.remove_file(&path)
                    .map_err(crate::error::io_error("remove", &path))?;
                continue;
            }
            if !name.ends_with("-Data.db") {
                continue;
            }
            let reader = SstableReader::open_in(fs.clone(), &path, caches.clone())?;
            let stats = &reader.statistics().stats;
            if stats.originating_host_id == Some(host_id) {
                for (_, upper) in &stats.commit_log_intervals {
                    let upper = from_statistics(*upper);
                    flushed = Some(flushed.map_or(upper, |f| f.max(upper)));
                }
            }
            readers.push((descriptor.generation, Arc::new(reader)));
        }
        let opened = Instant::now();
        let joined = readers.iter().map(|(g, _)| (*g, opened)).collect();
        // Newest data first: the order point reads stop early in.
        readers.sort_by_key(|(_, r)| std::cmp::Reverse(r.statistics().stats.max_timestamp));
        let schema = &definition.schema;
        let log_header = schema.serialization_header(0, 0, 0);
        let table = Table {
            clustering_types: schema.clustering_types(),
            partition_check: PartitionCheck::new(schema),
            is_key_value: *schema == ilion_sstable::schema::TableSchema::key_value(),
            log_id: log_id(&definition.id),
            log_writer: DataWriter::new(&log_header, Version::OA),
            log_header,
            memtable: RwLock::new(Arc::new(Memtable::new(
                definition.options.partitioner,
                schema.clustering_types(),
            ))),
            switch: RwLock::new(()),
            positions: Mutex::new(None),
            flushing: RwLock::new(Vec::new()),
            sstables: RwLock::new(readers.into_iter().map(|(_, r)| r).collect()),
            next_generation: AtomicU64::new(next_generation),
            flush_lock: Mutex::new(()),
            flush_requested: AtomicBool::new(false),
            stalls: AtomicU64::new(0),
            sstables_read: AtomicU64::new(0),
            flushes: AtomicU64::new(0),
            flush_failed: AtomicBool::new(false),
            recorder: Recorder::default(),
            caches,
            compaction: RwLock::new(definition.options.compaction.clone()),
            compacting: Mutex::new(HashSet::new()),
            joined: Mutex::new(joined),
            major_running: AtomicBool::new(false),
            major_lock: Mutex::new(()),
            last_flush_bytes: AtomicU64::new(0),
            counters: CompactionCounters::default(),
            stall_level: AtomicUsize::new(0),
            stall_limits,
            compaction_failed_at: Mutex::new(None),
            wake,
            definition,
            directory,
        };
        table.refresh_stall_level();
        Ok((table, flushed))
    }

    /// The commitlog's id for this table.
    pub(crate) fn log_id(&self) -> TableId {
        self.log_id
    }

    /// Checks an update against the schema and what the engine merges.
    fn check(&self, update: &Partition) -> Result<()> {
        self.partition_check.validate(update)?;
        check_mergeable(update)?;
        Ok(())
    }

    /// Widens the active memtable's commitlog interval.
    fn note_position(&self, position: Position) {
        let mut positions = self.positions.lock();
        *positions = Some(match *positions {
            None => (position, position),
            Some((low, high)) => (low.min(position), high.max(position)),
        });
    }

    /// Writes `update`: commitlog first, then the memtable. Returns once
    /// the commitlog's sync mode makes it durable.
    pub(crate) fn write(&self, log: &CommitLog, update: Partition) -> Result<()> {
        let started = std::time::Instant::now();
        self.check(&update)?;
        // Flushes behind: slow this writer down rather than grow memory
        // (too many memtables being flushed, or the active one far past its
        // size while its flush waits).
        let limit = self.definition.options.memtable_bytes;
        while self.flushing.read().len() >= MAX_PENDING_FLUSHES
            || (self.memtable_bytes() >= limit.saturating_mul(4)
                && self.flush_requested.load(Ordering::Acquire))
        {
            // Flushes that fail never catch up: refuse rather than wait
            // forever (the data already written stays readable and in the
            // commitlog).
            if self.flush_failed.load(Ordering::Acquire) {
                return Err(crate::error::Error::Invalid(format!(
                    "writes to {}.{} refused: its flushes are failing",
                    self.definition.keyspace, self.definition.name
                )));
            }
            self.stalls.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        self.pace_for_compaction();
        // The thread's buffer, taken out while in use (a write re-entered
        // from this thread, by a logger say, finds it empty and allocates).
        let mut payload = PAYLOAD.try_with(Cell::take).unwrap_or_default();
        payload.clear();
        self.log_writer.write_partition(&update, &mut payload);
        {
            let _shared = self.switch.read();
            let position = log.append(&[self.log_id], &payload)?;
            self.memtable.read().apply(update)?;
            self.note_position(position);
        }
        // A huge update's buffer is not kept for the thread's life.
        if payload.capacity() <= MAX_KEPT_PAYLOAD {
            let _ = PAYLOAD.try_with(|kept| kept.set(payload));
        }
        self.recorder.write(started.elapsed().as_micros() as u64);
        Ok(())
    }

    /// Applies a replayed commitlog entry to the memtable.
    pub(crate) fn replay(&self, position: Position, payload: &[u8], path: &Path) -> Result<()> {
        let mut reader = DataReader::new(payload, &self.log_header, Version::OA, path);
        while let Some(update) = reader.next_partition()? {
            self.memtable.read().apply(update)?;
        }
        self.note_position(position);
        Ok(())
    }

    /// The partition `key`, merged from every memtable and SSTable that
    /// may hold it (tombstones included; the caller interprets them).
    pub(crate) fn read(&self, key: &[u8]) -> Result<Option<Partition>> {
        self.read_until(key, |_, _| false)
    }

    /// [`Table::read`] for a table whose partitions hold one row of
    /// regular cells and no clustering (the key-value table): SSTables are
    /// read newest data first, and the read stops as soon as what it has
    /// is newer than everything an older SSTable holds (Cassandra's
    /// time-ordered collection): every cell found and the row's liveness,
    /// or a partition deletion, at a later timestamp than the SSTable's
    /// maximum.
    pub(crate) fn read_single_row(&self, key: &[u8]) -> Result<Option<Partition>> {
        let columns = self.definition.schema.regular_columns.len();
        self.read_until(key, |merged, max_timestamp| {
            if merged.deletion.marked_for_delete_at >= max_timestamp {
                return true;
            }
            merged.unfiltereds.iter().any(|u| match u {
                Unfiltered::Row(row) => {
                    row.liveness.is_some_and(|l| l.timestamp > max_timestamp)
                        && row.columns.len() == columns
                        && row.columns.iter().all(|c| match c {
                            ColumnData::Simple { cell, .. } => cell.timestamp > max_timestamp,
                            ColumnData::Complex { .. } => false,
                        })
                }
                Unfiltered::Marker(_) => false,
            })
        })
    }

    /// Reads `key` from the memtables, then from SSTables in decreasing
    /// order of their newest timestamp, merging as it goes; stops before an
    /// SSTable when `done(merged so far, its max timestamp)` says it cannot
    /// change the answer.
    fn read_until(
        &self,
        key: &[u8],
        done: impl Fn(&Partition, i64) -> bool,
    ) -> Result<Option<Partition>> {
        let started = std::time::Instant::now();
        let mut consulted = 0;
        let types = &self.clustering_types;
        let mut versions = Vec::new();
        versions.extend(self.memtable.read().get(key));
        for memtable in self.flushing.read().iter() {
            versions.extend(memtable.get(key));
        }
        let mut merged = if versions.is_empty() {
            None
        } else {
            Some(merge(types, versions)?)
        };
        // Kept in decreasing order of their newest timestamp.
        let sstables: Vec<Arc<SstableReader>> = self.sstables.read().clone();
        for sstable in sstables {
            let max_timestamp = sstable.statistics().stats.max_timestamp;
            if merged.as_ref().is_some_and(|m| done(m, max_timestamp)) {
                break;
            }
            self.sstables_read.fetch_add(1, Ordering::Relaxed);
            consulted += 1;
            if let Some(version) = sstable.get(key)? {
                merged = Some(match merged.take() {
                    Some(m) => merge(types, vec![m, version])?,
                    None => version,
                });
            }
        }
        self.recorder
            .read(started.elapsed().as_micros() as u64, consulted);
        Ok(merged)
    }

    /// The rows and range tombstones of partition `key` within `slice`,
    /// merged from every memtable and SSTable (each read only as far as
    /// the slice needs), in clustering order.
    pub(crate) fn read_slice(&self, key: &[u8], slice: &Slice) -> Result<Option<Partition>> {
        Ok(self.read_slice_upto(key, slice, None)?.map(|(p, _)| p))
    }

    /// [`Table::read_slice`] where each SSTable is read no further than
    /// its first `rows` rows inside the slice (the memtables whole). With
    /// the merged partition comes the earliest clustering at which an
    /// SSTable's reading stopped: the merge is exact up to there, and
    /// only there (a deletion may have hidden rows that the unread part
    /// would have supplied).
    pub(crate) fn read_slice_head(
        &self,
        key: &[u8],
        slice: &Slice,
        rows: usize,
    ) -> Result<Option<(Partition, Option<Vec<ClusteringValue>>)>> {
        self.read_slice_upto(key, slice, Some(rows))
    }

    fn read_slice_upto(
        &self,
        key: &[u8],
        slice: &Slice,
        rows: Option<usize>,
    ) -> Result<Option<(Partition, Option<Vec<ClusteringValue>>)>> {
        let types = &self.clustering_types;
        let clipped = |p: Partition| Partition {
            unfiltereds: clip(types, p.unfiltereds, None, slice),
            ..p
        };
        let mut versions = Vec::new();
        let mut earliest_cut: Option<Vec<ClusteringValue>> = None;
        let mut note_cut = |cut: Option<Vec<ClusteringValue>>| {
            if let Some(cut) = cut {
                let earlier = earliest_cut
                    .as_ref()
                    .is_none_or(|e| compare_clusterings(types, &cut, e).is_lt());
                if earlier {
                    earliest_cut = Some(cut);
                }
            }
        };
        let mut memtables = vec![self.memtable.read().clone()];
        memtables.extend(self.flushing.read().iter().cloned());
        for memtable in &memtables {
            match rows {
                None => versions.extend(memtable.get(key).map(clipped)),
                Some(rows) => {
                    let head = memtable.get_with(key, |p| slice_head_of(types, p, slice, rows));
                    if let Some((partition, cut)) = head.transpose()? {
                        versions.push(partition);
                        note_cut(cut);
                    }
                }
            }
        }
        let started = std::time::Instant::now();
        let sstables: Vec<Arc<SstableReader>> = self.sstables.read().clone();
        let mut consulted = 0;
        for sstable in sstables.iter().filter(|s| may_hold(s, types, slice)) {
            consulted += 1;
            match rows {
                None => versions.extend(sstable.slice(key, slice, false)?),
                Some(rows) => {
                    if let Some((partition, cut)) = sstable.slice_head(key, slice, rows)? {
                        versions.push(partition);
                        note_cut(cut);
                    }
                }
            }
        }
        self.sstables_read.fetch_add(consulted, Ordering::Relaxed);
        let merged = if versions.is_empty() {
            None
        } else {
            Some(merge(types, versions)?)
        };
        self.recorder
            .read(started.elapsed().as_micros() as u64, consulted);
        Ok(merged.map(|m| (m, earliest_cut)))
    }

    /// Up to `limit` partitions from position `start` on, in partitioner
    /// order, each merged from every memtable and SSTable, that `keep`
    /// accepts; stops at the first position `past_end` says is beyond
    /// the range.
    pub(crate) fn scan(
        &self,
        start: Bound<SortPosition>,
        past_end: impl Fn(&SortPosition) -> bool,
        limit: usize,
        mut keep: impl FnMut(Partition) -> bool,
    ) -> Result<()> {
        let partitioner = self.definition.options.partitioner;
        let types = &self.clustering_types;
        let after_start = |p: &SortPosition| match &start {
            Bound::Unbounded => true,
            Bound::Included(s) => p >= s,
            Bound::Excluded(s) => p > s,
        };
        let mut memtables = vec![self.memtable.read().clone()];
        memtables.extend(self.flushing.read().iter().cloned());
        let sstables: Vec<Arc<SstableReader>> = self.sstables.read().clone();
        // Every source yields partitions in position order.
        let mut sources: Vec<Box<dyn Iterator<Item = Result<Partition>> + '_>> = Vec::new();
        for memtable in &memtables {
            sources.push(Box::new(memtable.partitions_from(start.clone()).map(Ok)));
        }
        // SSTables are scanned from the start's token (their tokens are
        // Cassandra's: under ByteOrdered the key itself).
        let token_start = match &start {
            Bound::Unbounded => Bound::Unbounded,
            Bound::Included(position) | Bound::Excluded(position) => {
                Bound::Included(first_token_of(partitioner, position))
            }
        };
        for sstable in &sstables {
            let scan = sstable.scan_range(token_start.clone(), Bound::Unbounded)?;
            sources.push(Box::new(scan.map(|p| p.map_err(Into::into))));
        }
        let mut heads: Vec<Option<(SortPosition, Partition)>> = Vec::with_capacity(sources.len());
        let advance = |source: &mut Box<dyn Iterator<Item = Result<Partition>> + '_>| -> Result<Option<(SortPosition, Partition)>> {
            for partition in source.by_ref() {
                let partition = partition?;
                let position = crate::range::position_of(self, &partition.key);
                if after_start(&position) {
                    return Ok(Some((position, partition)));
                }
            }
            Ok(None)
        };
        for source in &mut sources {
            heads.push(advance(source)?);
        }
        let mut kept = 0;
        while kept < limit {
            let Some(next) = heads.iter().flatten().map(|(p, _)| p).min().cloned() else {
                break;
            };
            if past_end(&next) {
                break;
            }
            let mut versions = Vec::new();
            for (head, source) in heads.iter_mut().zip(sources.iter_mut()) {
                if head.as_ref().is_some_and(|(p, _)| *p == next) {
                    if let Some((_, partition)) = head.take() {
                        versions.push(partition);
                    }
                    *head = advance(source)?;
                }
            }
            if keep(merge(types, versions)?) {
                kept += 1;
            }
        }
        Ok(())
    }

    /// Flushes the active memtable into a new SSTable and tells the
    /// commitlog. Returns whether anything was written.
    pub(crate) fn flush(
        &self,
        fs: Arc<dyn FileSystem>,
        log: &CommitLog,
        host_id: [u8; 16],
    ) -> Result<bool> {
        let _one_at_a_time = self.flush_lock.lock();
        let (memtable, positions) = {
            let _exclusive = self.switch.write();
            let fresh = Arc::new(Memtable::new(
                self.definition.options.partitioner,
                self.clustering_types.clone(),
            ));
            let old = std::mem::replace(&mut *self.memtable.write(), fresh);
            let positions = self.positions.lock().take();
            self.flushing.write().push(old.clone());
            (old, positions)
        };
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let target = FlushTarget {
            fs,
            directory: &self.directory,
            generation,
            schema: &self.definition.schema,
            options: &self.definition.options,
            host_id,
            commit_log: positions.map(|(low, high)| (to_statistics(low), to_statistics(high))),
        };
        let written = match flush(&memtable, &target) {
            Ok(written) => written,
            Err(e) => {
                // Keep the data readable and in the commitlog; a replay
                // takes it.
                self.flush_failed.store(true, Ordering::Release);
                return Err(e);
            }
        };
        if let Some(data) = &written {
            log::info!(
                "flushed {}.{}: {} partitions into {}",
                self.definition.keyspace,
                self.definition.name,
                memtable.len(),
                data.display()
            );
            let reader = SstableReader::open_in(target.fs.clone(), data, self.caches.clone())?;
            let newest = reader.statistics().stats.max_timestamp;
            let bytes = reader.disk_bytes();
            self.last_flush_bytes.store(bytes, Ordering::Relaxed);
            self.counters
                .bytes_flushed
                .fetch_add(bytes, Ordering::Relaxed);
            self.joined
                .lock()
                .insert(reader.descriptor().generation, Instant::now());
            let mut sstables = self.sstables.write();
            let at = sstables.partition_point(|s| s.statistics().stats.max_timestamp > newest);
            sstables.insert(at, Arc::new(reader));
        }
        self.flushing.write().retain(|m| !Arc::ptr_eq(m, &memtable));
        if let Some((_, high)) = positions {
            log.mark_flushed(self.log_id, high)?;
        }
        if written.is_some() {
            self.flushes.fetch_add(1, Ordering::Relaxed);
            self.refresh_stall_level();
            self.wake.notify();
        }
        Ok(written.is_some())
    }

    /// Whether the active memtable has passed the table's memtable size.
    pub(crate) fn memtable_full(&self) -> bool {
        self.memtable_bytes() >= self.definition.options.memtable_bytes
    }

    /// Marks a flush as requested; false if one is pending already.
    pub(crate) fn request_flush(&self) -> bool {
        !self.flush_requested.swap(true, Ordering::AcqRel)
    }

    /// The requested flush is starting: later writes may request another.
    pub(crate) fn flush_requested_done(&self) {
        self.flush_requested.store(false, Ordering::Release);
    }

    /// Applies the table's tombstone thresholds to what a read returns:
    /// a warning past the first, an error past the second. Cell
    /// tombstones, cells expired at `now`, row deletions and range
    /// tombstone markers count, as Cassandra counts them.
    pub(crate) fn check_tombstones(&self, partition: &Partition, now: i64) -> Result<()> {
        let mut tombstones = 0usize;
        for u in &partition.unfiltereds {
            match u {
                Unfiltered::Marker(_) => tombstones += 1,
                Unfiltered::Row(row) => {
                    tombstones += usize::from(row.deletion.is_some());
                    for c in &row.columns {
                        if let ColumnData::Simple { cell, .. } = c {
                            tombstones += usize::from(!cell.is_live(now));
                        }
                    }
                }
            }
        }
        let options = &self.definition.options;
        if tombstones <= options.tombstone_warn_threshold
            && tombstones <= options.tombstone_failure_threshold
        {
            return Ok(());
        }
        let name = format!("{}.{}", self.definition.keyspace, self.definition.name);
        if tombstones > options.tombstone_failure_threshold {
            return Err(crate::error::Error::TombstoneOverwhelming {
                table: name,
                tombstones,
                threshold: options.tombstone_failure_threshold,
            });
        }
        if tombstones > options.tombstone_warn_threshold {
            log::warn!(
                "read of {name} met {tombstones} tombstones (warning threshold {})",
                options.tombstone_warn_threshold
            );
        }
        Ok(())
    }

    /// The table's statistics now.
    pub(crate) fn stats(&self) -> TableStats {
        let (writes, reads, mean, max) = self.recorder.snapshot();
        let sstables = self.sstables.read().clone();
        let memtable = self.memtable.read().clone();
        TableStats {
            keyspace: self.definition.keyspace.clone(),
            table: self.definition.name.clone(),
            writes,
            reads,
            sstables_per_read_mean: mean,
            sstables_per_read_max: max,
            sstables_read: self.sstables_read.load(Ordering::Relaxed),
            memtable_bytes: memtable.size_bytes(),
            sstable_count: sstables.len(),
            disk_bytes: sstables.iter().map(|s| s.disk_bytes()).sum(),
            estimated_partitions: memtable.len() as u64
                + sstables
                    .iter()
                    .map(|s| s.partition_count() as u64)
                    .sum::<u64>(),
            bloom_false_positives: sstables.iter().map(|s| s.bloom_false_positives()).sum(),
            flushes: self.flushes.load(Ordering::Relaxed),
            write_stalls: self.stalls(),
            compaction_strategy: self.compaction.read().strategy.name().to_string(),
            compactions: self.counters.completed.load(Ordering::Relaxed),
            bytes_flushed: self.counters.bytes_flushed.load(Ordering::Relaxed),
            bytes_compacted_read: self.counters.bytes_read.load(Ordering::Relaxed),
            bytes_compacted_written: self.counters.bytes_written.load(Ordering::Relaxed),
            expired_sstables_dropped: self.counters.expired_dropped.load(Ordering::Relaxed),
            tombstone_compactions: self.counters.tombstone_compactions.load(Ordering::Relaxed),
            compaction_stalls: self.counters.stalls.load(Ordering::Relaxed),
            compaction_failures: self.counters.failures.load(Ordering::Relaxed),
            level_overlaps: self.counters.level_overlaps.load(Ordering::Relaxed),
            compacting_sstables: self.compacting.lock().len(),
            sstable_levels: {
                let mut levels = Vec::new();
                for s in &sstables {
                    let level = usize::try_from(s.statistics().stats.sstable_level).unwrap_or(0);
                    if levels.len() <= level {
                        levels.resize(level + 1, 0);
                    }
                    levels[level] += 1;
                }
                levels
            },
        }
    }

    /// Slows a writer while compaction is behind: a short sleep growing
    /// with the stall measure past the slowdown limit; at the stop limit,
    /// a wait while compactions of the table run (bounded: a strategy
    /// with nothing to do cannot be waited for).
    fn pace_for_compaction(&self) {
        let limits = self.stall_limits;
        let level = self.stall_level.load(Ordering::Relaxed);
        if level < limits.slowdown {
            return;
        }
        self.counters.stalls.fetch_add(1, Ordering::Relaxed);
        if level < limits.stop {
            let span = (limits.stop - limits.slowdown).max(1) as u64;
            let steps = (level - limits.slowdown + 1) as u64;
            std::thread::sleep(Duration::from_micros(1_000 * steps / span));
            return;
        }
        let started = Instant::now();
        while self.stall_level.load(Ordering::Relaxed) >= limits.stop
            && !self.compacting.lock().is_empty()
            && started.elapsed() < MAX_STOP_WAIT
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Whether a compaction of the table failed within `backoff`.
    pub(crate) fn compaction_backing_off(&self, backoff: Duration) -> bool {
        self.compaction_failed_at
            .lock()
            .is_some_and(|t| t.elapsed() < backoff)
    }

    /// Records a failed compaction (the table is left alone a while).
    pub(crate) fn note_compaction_failure(&self) {
        self.counters.failures.fetch_add(1, Ordering::Relaxed);
        *self.compaction_failed_at.lock() = Some(Instant::now());
    }

    /// The table's definition with its current compaction options.
    pub(crate) fn current_definition(&self) -> TableDefinition {
        let mut definition = self.definition.clone();
        definition.options.compaction = self.compaction.read().clone();
        definition
    }

    /// Changes the compaction strategy or its options.
    pub(crate) fn set_compaction(&self, options: CompactionOptions) {
        *self.compaction.write() = options;
        self.refresh_stall_level();
        self.wake.notify();
    }

    /// Times a writer waited for flushes to catch up.
    pub(crate) fn stalls(&self) -> u64 {
        self.stalls.load(Ordering::Relaxed)
    }

    /// Bytes in the active memtable.
    pub(crate) fn memtable_bytes(&self) -> u64 {
        self.memtable.read().size_bytes()
    }
}

/// The SSTable token a scan from `position` starts at. A position with an
/// empty key (no partition key is empty) stands for the start of its sort
/// token: under Murmur3 that token itself; under ByteOrdered its 8-byte
/// prefix without trailing zeros, which sorts before every key of that
/// prefix.
pub(crate) fn first_token_of(
    partitioner: ilion_sstable::partitioner::Partitioner,
    position: &SortPosition,
) -> ilion_sstable::partitioner::Token {
    use ilion_sstable::partitioner::{Partitioner, Token};
    let (sort_token, key) = position;
    if !key.is_empty() {
        return partitioner.token(key);
    }
    match partitioner {
        Partitioner::Murmur3 => Token::Long(*sort_token),
        // The smallest token whose sort token this is (a negative one
        // precedes every token).
        Partitioner::Random => {
            Token::Big(u128::from(u64::try_from(*sort_token).unwrap_or(0)) << 64)
        }
        Partitioner::ByteOrdered => {
            let prefix = ((*sort_token as u64) ^ (1 << 63)).to_be_bytes();
            let end = prefix.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
            Token::Bytes(prefix[..end].to_vec())
        }
    }
}

/// The head of a memtable's `partition` for a slice read limited to
/// `rows` rows ([`take_head`]), copied and clipped to what it covers.
fn slice_head_of(
    types: &[String],
    partition: &Partition,
    slice: &Slice,
    rows: usize,
) -> Result<(Partition, Option<Vec<ClusteringValue>>)> {
    let items = partition.unfiltereds.iter().cloned().map(Ok);
    let (head, cut) = take_head(types, slice, items, Some(rows.max(1)))?;
    let copy = Partition {
        key: partition.key.clone(),
        deletion: partition.deletion,
        static_row: partition.static_row.clone(),
        unfiltereds: clip(types, head, None, &slice.ending_at(cut.as_deref())),
    };
    Ok((copy, cut))
}
