//! What compaction sees of a table: a description of each live SSTable
//! for the strategies, the moment they decide in, and the stall measure
//! that paces writers.

use super::plan::{Context, SstableInfo};
use super::select;
use crate::db::now_seconds;
use crate::table::Table;
use ilion_sstable::reader::SstableReader;
use std::collections::HashSet;
use std::sync::atomic::Ordering;

/// The largest local deletion time an SSTable records, `i64::MAX` when it
/// holds data that never expires (each version's "none" value).
fn max_deletion_time(reader: &SstableReader) -> i64 {
    let stored = reader.statistics().stats.max_local_deletion_time;
    let none = if reader.version().has_uint_deletion_time() {
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

impl Table {
    /// The generation of a live SSTable.
    pub(crate) fn generation(reader: &SstableReader) -> u64 {
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
    pub(crate) fn memtables_min_timestamp(&self) -> i64 {
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
        let level = select::stall_measure(&options, &infos);
        self.stall_level.store(level, Ordering::Relaxed);
    }
}
