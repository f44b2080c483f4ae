//! Writing a compaction's outputs: the inputs merged partition by
//! partition, purged by Cassandra's rule, written into SSTables that end
//! at the task's size or shard boundaries, each recorded in the
//! transaction log before it is written.

use super::merge_scan::MergedScan;
use super::plan::Task;
use super::purge::Purger;
use super::runner::Env;
use super::txn_log::TxnLog;
use crate::db::now_seconds;
use crate::error::{Error, Result};
use crate::table::Table;
use ilion_sstable::bloom::BloomFilter;
use ilion_sstable::descriptor::Descriptor;
use ilion_sstable::reader::SstableReader;
use ilion_sstable::rows::{ColumnData, Partition, Row, Unfiltered};
use ilion_sstable::statistics::CommitLogPosition;
use ilion_sstable::writer::{SstableWriter, WriterOptions};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

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
    pub(crate) fn write_outputs(
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
        let purger = Purger {
            now,
            gc_before: now - i64::from(options.gc_grace_seconds),
        };
        let max_purgeable = |key: &[u8]| self.max_purgeable(key, &input_ids);
        let mut finished = Vec::new();
        let mut current: Option<Output> = None;
        let mut paid = 0u64;
        while let Some((token, partition)) = merged.next_partition()? {
            if env.stop.load(Ordering::Relaxed) {
                return Err(Error::Cancelled);
            }
            let Some(kept) = purger.purge(partition, &max_purgeable) else {
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
