//! Running a compaction on a table: choosing the task under the table's
//! compaction lock, merging and purging the inputs into new SSTables, and
//! swapping them in through a transaction log.

use super::merge_scan::MergedScan;
use super::plan::{Context, SstableInfo, Task};
use super::progress::ProgressBoard;
use super::purge::Purger;
use super::select;
use super::throttle::Throttle;
use super::txn_log::TxnLog;
use crate::error::{Error, Result};
use crate::table::Table;
use ilion_sstable::bloom::BloomFilter;
use ilion_sstable::descriptor::Descriptor;
use ilion_sstable::reader::SstableReader;
use ilion_sstable::rows::{ColumnData, Partition, Row, Unfiltered};
use ilion_sstable::statistics::CommitLogPosition;
use ilion_sstable::version::Version;
use ilion_sstable::writer::{SstableWriter, WriterOptions};
use ilion_vfs::FileSystem;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What a compaction needs from the database.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    pub(crate) fs: &'a Arc<dyn FileSystem>,
    pub(crate) host_id: [u8; 16],
    pub(crate) throttle: &'a Throttle,
    pub(crate) stop: &'a AtomicBool,
    pub(crate) board: &'a ProgressBoard,
}

/// A chosen task; its inputs are marked as compacting until it drops.
#[derive(Debug)]
pub(crate) struct Job<'t> {
    table: &'t Table,
    pub(crate) task: Task,
    /// Fully expired inputs: deleted without being read.
    drop_only: bool,
    /// A single-SSTable tombstone compaction.
    tombstone: bool,
}

impl Drop for Job<'_> {
    fn drop(&mut self) {
        let mut compacting = self.table.compacting.lock();
        for id in &self.task.inputs {
            compacting.remove(id);
        }
    }
}

/// Counters of a table's compactions, for stats.
#[derive(Debug, Default)]
pub(crate) struct CompactionCounters {
    pub(crate) completed: AtomicU64,
    pub(crate) bytes_read: AtomicU64,
    pub(crate) bytes_written: AtomicU64,
    pub(crate) bytes_flushed: AtomicU64,
    pub(crate) expired_dropped: AtomicU64,
    pub(crate) tombstone_compactions: AtomicU64,
    pub(crate) stalls: AtomicU64,
    pub(crate) failures: AtomicU64,
    /// Leveled compactions after which two SSTables of one level ≥ 1
    /// overlapped (the invariant is checked after every compaction).
    pub(crate) level_overlaps: AtomicU64,
}

use crate::db::now_seconds;

/// The largest local deletion time an SSTable records, `i64::MAX` when it
/// holds data that never expires (each version's "none" value).
fn max_deletion_time(reader: &SstableReader) -> i64 {
    let stored = reader.statistics().stats.max_local_deletion_time;
    let none = if reader.version() == Version::OA {
        i64::from(u32::MAX)
    } else {
        i64::from(i32::MAX)
    };
    if stored >= none {
        i64::MAX
    } else {
        stored
    }
}

/// Estimated fraction of an SSTable's cells that are deletions older
/// than `gc_before` (its tombstone drop-time histogram).
fn droppable_ratio(reader: &SstableReader, gc_before: i64) -> f64 {
    let stats = &reader.statistics().stats;
    let droppable: i64 = stats
        .tombstone_drop_times
        .1
        .iter()
        .filter(|(point, _)| *point < gc_before)
        .map(|(_, count)| *count)
        .sum();
    let cells = stats.total_columns_set.max(stats.total_rows).max(1);
    droppable as f64 / cells as f64
}

/// The smallest timestamp anywhere in a partition.
fn min_timestamp(partition: &Partition) -> i64 {
    let mut min = i64::MAX;
    if !partition.deletion.is_live() {
        min = min.min(partition.deletion.marked_for_delete_at);
    }
    let row_min = |row: &Row| {
        let mut m = i64::MAX;
        if let Some(l) = row.liveness {
            m = m.min(l.timestamp);
        }
        if let Some(d) = row.deletion {
            m = m.min(d.marked_for_delete_at);
        }
        for c in &row.columns {
            match c {
                ColumnData::Simple { cell, .. } => m = m.min(cell.timestamp),
                ColumnData::Complex {
                    deletion, cells, ..
                } => {
                    if !deletion.is_live() {
                        m = m.min(deletion.marked_for_delete_at);
                    }
                    for cell in cells {
                        m = m.min(cell.timestamp);
                    }
                }
            }
        }
        m
    };
    if let Some(s) = &partition.static_row {
        min = min.min(row_min(s));
    }
    for u in &partition.unfiltereds {
        let m = match u {
            Unfiltered::Row(r) => row_min(r),
            Unfiltered::Marker(marker) => [marker.start_deletion, marker.end_deletion]
                .iter()
                .flatten()
                .map(|d| d.marked_for_delete_at)
                .min()
                .unwrap_or(i64::MAX),
        };
        min = min.min(m);
    }
    min
}

/// Coalesces commitlog intervals into a sorted list of disjoint ones.
fn coalesce(
    mut intervals: Vec<(CommitLogPosition, CommitLogPosition)>,
) -> Vec<(CommitLogPosition, CommitLogPosition)> {
    let key = |p: &CommitLogPosition| (p.segment_id, p.position);
    intervals.sort_by_key(|(low, _)| key(low));
    let mut out: Vec<(CommitLogPosition, CommitLogPosition)> = Vec::new();
    for (low, high) in intervals {
        match out.last_mut() {
            Some(last) if key(&low) <= key(&last.1) => {
                if key(&high) > key(&last.1) {
                    last.1 = high;
                }
            }
            _ => out.push((low, high)),
        }
    }
    out
}

/// The output SSTable being written and where its shard ends.
struct Output {
    writer: SstableWriter,
    shard_end: Option<i64>,
}

impl Table {
    /// The generation of a live SSTable.
    fn generation(reader: &SstableReader) -> u64 {
        reader.descriptor().generation
    }

    /// The moment compaction decides in.
    pub(crate) fn compaction_context(&self) -> Context {
        let now = now_seconds();
        Context {
            now_seconds: now,
            gc_before: now - i64::from(self.definition.options.gc_grace_seconds),
            flush_bytes: self.last_flush_bytes.load(Ordering::Relaxed),
        }
    }

    /// What strategies know of the live SSTables.
    pub(crate) fn sstable_infos(
        &self,
        ctx: &Context,
        compacting: &HashSet<u64>,
    ) -> Vec<SstableInfo> {
        let sstables = self.sstables.read().clone();
        let joined = self.joined.lock();
        sstables
            .iter()
            .map(|s| {
                let stats = &s.statistics().stats;
                let id = Self::generation(s);
                let (first, last) = s.key_range();
                SstableInfo {
                    id,
                    bytes: s.disk_bytes(),
                    first_token: first.0,
                    last_token: last.0,
                    min_timestamp: stats.min_timestamp,
                    max_timestamp: stats.max_timestamp,
                    max_local_deletion_time: max_deletion_time(s),
                    level: u32::try_from(stats.sstable_level).unwrap_or(0),
                    droppable_tombstone_ratio: droppable_ratio(s, ctx.gc_before),
                    age_seconds: joined.get(&id).map_or(0, |t| t.elapsed().as_secs()),
                    partitions: s.partition_count() as u64,
                    compacting: compacting.contains(&id),
                }
            })
            .collect()
    }

    /// The smallest timestamp in the memtables (`i64::MAX` when empty).
    fn memtables_min_timestamp(&self) -> i64 {
        let mut memtables = vec![self.memtable.read().clone()];
        memtables.extend(self.flushing.read().iter().cloned());
        memtables
            .iter()
            .filter(|m| !m.is_empty())
            .map(|m| m.encoding_stats().min_timestamp)
            .min()
            .unwrap_or(i64::MAX)
    }

    /// Recomputes how far compaction is behind (after every change of the
    /// SSTable set), which paces writers.
    pub(crate) fn refresh_stall_level(&self) {
        let ctx = self.compaction_context();
        let options = self.compaction.read().clone();
        let infos = self.sstable_infos(&ctx, &HashSet::new());
        let level = select::stall_measure(&options, &infos, &ctx);
        self.stall_level.store(level, Ordering::Relaxed);
    }

    /// Chooses a background task, if the table needs one, and marks its
    /// inputs as compacting.
    pub(crate) fn pick_background_job(&self) -> Option<Job<'_>> {
        let options = self.compaction.read().clone();
        if !options.enabled || self.major_running.load(Ordering::Acquire) {
            return None;
        }
        let ctx = self.compaction_context();
        // Memtables before SSTables, the order a flush moves data in: data
        // flushed meanwhile is seen in one place or the other.
        let memtables_min = self.memtables_min_timestamp();
        let mut compacting = self.compacting.lock();
        let infos = self.sstable_infos(&ctx, &compacting);
        let expired = select::fully_expired(&infos, &ctx, memtables_min);
        let (task, drop_only) = if expired.is_empty() {
            (select::next_task(&options, &infos, &ctx)?, false)
        } else {
            let task = Task {
                inputs: expired,
                output_level: 0,
                max_output_bytes: u64::MAX,
                shard_boundaries: Vec::new(),
                reason: "fully expired".into(),
            };
            (task, true)
        };
        let tombstone = !drop_only && task.inputs.len() == 1 && task.reason.contains("tombstone");
        compacting.extend(task.inputs.iter().copied());
        Some(Job {
            table: self,
            task,
            drop_only,
            tombstone,
        })
    }

    /// A major compaction's jobs: every live SSTable, once no other
    /// compaction of the table runs. Background compactions of the table
    /// wait until `major_running` is cleared.
    pub(crate) fn major_jobs(&self) -> Vec<Job<'_>> {
        let options = self.compaction.read().clone();
        let ctx = self.compaction_context();
        let mut compacting = self.compacting.lock();
        let infos = self.sstable_infos(&ctx, &compacting);
        let tasks = select::major_tasks(&options, &infos, &ctx);
        tasks
            .into_iter()
            .map(|task| {
                compacting.extend(task.inputs.iter().copied());
                Job {
                    table: self,
                    task,
                    drop_only: false,
                    tombstone: false,
                }
            })
            .collect()
    }

    /// Runs `job`: writes its outputs, swaps them in, deletes the inputs.
    pub(crate) fn run_job(&self, job: &Job<'_>, env: &Env<'_>) -> Result<()> {
        let wanted: HashSet<u64> = job.task.inputs.iter().copied().collect();
        let inputs: Vec<Arc<SstableReader>> = self
            .sstables
            .read()
            .iter()
            .filter(|s| wanted.contains(&Self::generation(s)))
            .cloned()
            .collect();
        if inputs.len() != wanted.len() {
            return Err(Error::Invalid(format!(
                "compaction of {}.{}: an input SSTable is no longer live",
                self.definition.keyspace, self.definition.name
            )));
        }
        let version = self.definition.options.version;
        let mut txn = TxnLog::create(
            env.fs.clone(),
            &self.directory,
            version.letters(),
            "compaction",
        )?;
        let started = Instant::now();
        let outputs = if job.drop_only {
            Ok(Vec::new())
        } else {
            self.write_outputs(&job.task, &inputs, &mut txn, env)
        };
        let outputs = match outputs {
            Ok(outputs) => outputs,
            Err(e) => {
                if let Err(abort) = txn.abort() {
                    log::error!(
                        "aborting a compaction of {}: {abort}",
                        self.directory.display()
                    );
                }
                return Err(e);
            }
        };
        // Open the outputs before the commit: after it, nothing may fail
        // between the log and the live set.
        let mut readers = Vec::with_capacity(outputs.len());
        for path in &outputs {
            match SstableReader::open_in(env.fs.clone(), path, self.caches.clone()) {
                Ok(r) => readers.push(Arc::new(r)),
                Err(e) => {
                    let _ = txn.abort();
                    return Err(e.into());
                }
            }
        }
        let removed: Vec<Descriptor> = inputs.iter().map(|s| s.descriptor().clone()).collect();
        let committed = txn.commit(&removed)?;
        let written: u64 = readers.iter().map(|r| r.disk_bytes()).sum();
        let read: u64 = inputs.iter().map(|r| r.disk_bytes()).sum();
        {
            let mut sstables = self.sstables.write();
            sstables.retain(|s| !wanted.contains(&Self::generation(s)));
            let mut joined = self.joined.lock();
            for id in &wanted {
                joined.remove(id);
            }
            for reader in &readers {
                let newest = reader.statistics().stats.max_timestamp;
                let at = sstables.partition_point(|s| s.statistics().stats.max_timestamp > newest);
                joined.insert(Self::generation(reader), Instant::now());
                sstables.insert(at, reader.clone());
            }
        }
        let counters = &self.counters;
        counters.completed.fetch_add(1, Ordering::Relaxed);
        counters.bytes_read.fetch_add(read, Ordering::Relaxed);
        counters.bytes_written.fetch_add(written, Ordering::Relaxed);
        if job.drop_only {
            counters
                .expired_dropped
                .fetch_add(inputs.len() as u64, Ordering::Relaxed);
        }
        if job.tombstone {
            counters
                .tombstone_compactions
                .fetch_add(1, Ordering::Relaxed);
        }
        self.refresh_stall_level();
        self.check_levels_after(&job.task);
        log::info!(
            "compacted {}.{} ({}): {} SSTables, {} bytes -> {} SSTables, {} bytes in {:?}",
            self.definition.keyspace,
            self.definition.name,
            job.task.reason,
            inputs.len(),
            read,
            readers.len(),
            written,
            started.elapsed()
        );
        drop(inputs);
        committed.finish()
    }

    /// Checks the leveled invariant (no overlap within a level ≥ 1) after
    /// a compaction of a leveled table; a breach is logged and counted.
    fn check_levels_after(&self, task: &Task) {
        if !matches!(self.compaction.read().strategy, super::Strategy::Leveled(_)) {
            return;
        }
        let ctx = self.compaction_context();
        let infos = self.sstable_infos(&ctx, &HashSet::new());
        if let Err(breach) = super::leveled::check_levels(&infos) {
            self.counters.level_overlaps.fetch_add(1, Ordering::Relaxed);
            log::error!(
                "{}.{} after {}: {breach}",
                self.definition.keyspace,
                self.definition.name,
                task.reason
            );
        }
    }

    /// The smallest timestamp of data for `key` that the compaction of
    /// `inputs` does not see: memtables holding the key and other live
    /// SSTables that may (bloom filter, key range). Read in the order a
    /// flush moves data (active memtable, flushing memtables, SSTables),
    /// so that data moving meanwhile is seen in one place or the next.
    fn max_purgeable(&self, key: &[u8], inputs: &HashSet<u64>) -> i64 {
        let mut min = i64::MAX;
        let active = self.memtable.read().clone();
        if let Some(p) = active.get(key) {
            min = min.min(min_timestamp(&p));
        }
        let flushing = self.flushing.read().clone();
        for m in &flushing {
            if let Some(p) = m.get(key) {
                min = min.min(min_timestamp(&p));
            }
        }
        let hash = BloomFilter::hash(key);
        let sstables = self.sstables.read().clone();
        for s in sstables
            .iter()
            .filter(|s| !inputs.contains(&Self::generation(s)))
        {
            let stats = &s.statistics().stats;
            if stats.min_timestamp < min && s.may_contain(key, hash) {
                min = stats.min_timestamp;
            }
        }
        min
    }

    /// Merges and purges `inputs` into new SSTables, each recorded in
    /// `txn` before it is written. Returns their Data.db paths.
    fn write_outputs(
        &self,
        task: &Task,
        inputs: &[Arc<SstableReader>],
        txn: &mut TxnLog,
        env: &Env<'_>,
    ) -> Result<Vec<PathBuf>> {
        let options = &self.definition.options;
        let input_ids: HashSet<u64> = inputs.iter().map(|s| Self::generation(s)).collect();
        let total_stream: u64 = inputs.iter().map(|s| s.data_length()).sum();
        let total_disk: u64 = inputs.iter().map(|s| s.disk_bytes()).sum();
        let total_partitions: u64 = inputs.iter().map(|s| s.partition_count() as u64).sum();
        // Output size is judged on disk; the writer counts stream bytes.
        let disk_per_stream_byte = if total_stream == 0 {
            1.0
        } else {
            (total_disk as f64 / total_stream as f64).max(0.01)
        };
        let stream_limit = if task.max_output_bytes == u64::MAX {
            u64::MAX
        } else {
            (task.max_output_bytes as f64 / disk_per_stream_byte) as u64
        };
        let outputs_expected = (total_stream / stream_limit.max(1))
            .max(1)
            .max(task.shard_boundaries.len() as u64 + 1);
        let expected_partitions =
            (total_partitions / outputs_expected + total_partitions / 10 + 16)
                .min(total_partitions.max(1));
        let header = {
            let headers = inputs.iter().map(|s| &s.statistics().header);
            self.definition.schema.serialization_header(
                headers.clone().map(|h| h.min_timestamp).min().unwrap_or(0),
                headers
                    .clone()
                    .map(|h| h.min_local_deletion_time)
                    .min()
                    .unwrap_or(0),
                headers.map(|h| h.min_ttl).min().unwrap_or(0),
            )
        };
        let intervals = coalesce(
            inputs
                .iter()
                .map(|s| &s.statistics().stats)
                .filter(|s| s.originating_host_id == Some(env.host_id))
                .flat_map(|s| s.commit_log_intervals.iter().copied())
                .collect(),
        );
        let writer_options = WriterOptions {
            commit_log_intervals: intervals,
            sstable_level: i32::try_from(task.output_level).unwrap_or(0),
            ..options.writer_options(expected_partitions, env.host_id)
        };
        let on_board = env.board.start(
            &self.definition.keyspace,
            &self.definition.name,
            &format!(
                "{}: {}",
                self.compaction.read().strategy.name(),
                task.reason
            ),
            total_stream,
        );
        let scans = inputs
            .iter()
            .map(|s| s.iter())
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut merged = MergedScan::new(scans, options.partitioner, &self.clustering_types)?;
        let now = now_seconds();
        let gc_before = now - i64::from(options.gc_grace_seconds);
        let mut finished = Vec::new();
        let mut current: Option<Output> = None;
        let mut paid = 0u64;
        while let Some((token, partition)) = merged.next_partition()? {
            if env.stop.load(Ordering::Relaxed) {
                return Err(Error::Cancelled);
            }
            let key = partition.key.clone();
            let max_purgeable = || self.max_purgeable(&key, &input_ids);
            let Some(kept) = Purger::new(now, gc_before, &max_purgeable).purge(partition) else {
                continue;
            };
            let roll = current.as_ref().is_none_or(|o| {
                o.shard_end.is_some_and(|end| token >= end)
                    || o.writer.data_length() >= stream_limit
            });
            if roll {
                if let Some(done) = current.take() {
                    finished.push(done.writer.finish()?);
                }
                let descriptor = Descriptor {
                    dir: self.directory.clone(),
                    version: options.version,
                    generation: self.next_generation.fetch_add(1, Ordering::Relaxed),
                };
                txn.add(&descriptor)?;
                current = Some(Output {
                    writer: SstableWriter::create(
                        env.fs.clone(),
                        descriptor,
                        header.clone(),
                        writer_options.clone(),
                    )?,
                    shard_end: task.shard_boundaries.iter().copied().find(|b| *b > token),
                });
            }
            if let Some(output) = current.as_mut() {
                output.writer.append(&kept)?;
            }
            let read = merged.bytes_read();
            if read - paid >= 64 << 10 {
                env.throttle
                    .take(((read - paid) as f64 * disk_per_stream_byte) as u64);
                paid = read;
                on_board.entry.set_done(read);
            }
        }
        if let Some(done) = current.take() {
            finished.push(done.writer.finish()?);
        }
        Ok(finished)
    }
}

impl Table {
    /// A major compaction (`nodetool compact`): waits for the table's
    /// running compactions, keeps background ones away, then compacts
    /// every live SSTable as the strategy's major tasks say.
    pub(crate) fn compact_major(&self, env: &Env<'_>) -> Result<()> {
        let _one_at_a_time = self.major_lock.lock();
        struct Clear<'a>(&'a AtomicBool);
        impl Drop for Clear<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Release);
            }
        }
        self.major_running.store(true, Ordering::Release);
        let _clear = Clear(&self.major_running);
        while !self.compacting.lock().is_empty() {
            if env.stop.load(Ordering::Relaxed) {
                return Err(Error::Cancelled);
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let jobs = self.major_jobs();
        for job in &jobs {
            self.run_job(job, env)?;
        }
        Ok(())
    }
}

impl Table {
    /// Compacts exactly the SSTables `generations` into one output at
    /// `output_level`, once none of them is being compacted.
    pub(crate) fn compact_user_defined(
        &self,
        generations: &[u64],
        output_level: u32,
        env: &Env<'_>,
    ) -> Result<()> {
        let job = loop {
            {
                let mut compacting = self.compacting.lock();
                let live: HashSet<u64> = self
                    .sstables
                    .read()
                    .iter()
                    .map(|s| Self::generation(s))
                    .collect();
                if let Some(missing) = generations.iter().find(|g| !live.contains(g)) {
                    return Err(Error::Invalid(format!(
                        "SSTable generation {missing} is not live in {}.{}",
                        self.definition.keyspace, self.definition.name
                    )));
                }
                if generations.iter().all(|g| !compacting.contains(g)) {
                    compacting.extend(generations.iter().copied());
                    break Job {
                        table: self,
                        task: Task {
                            inputs: generations.to_vec(),
                            output_level,
                            max_output_bytes: u64::MAX,
                            shard_boundaries: Vec::new(),
                            reason: "user-defined".into(),
                        },
                        drop_only: false,
                        tombstone: false,
                    };
                }
            }
            if env.stop.load(Ordering::Relaxed) {
                return Err(Error::Cancelled);
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        self.run_job(&job, env)
    }
}
