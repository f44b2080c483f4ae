//! Collecting the statistics Statistics.db records while partitions are
//! written (Cassandra's `MetadataCollector`): size and cell-count
//! histograms, timestamp, deletion-time and TTL bounds, row and column
//! totals, the key range, the covered clustering range and the tombstone
//! drop-time histogram.

use crate::clustering::{compare_prefixes, ClusteringBound, PrefixKind};
use crate::reconcile::{CellKind, DeletionTime, LivenessInfo};
use crate::rows::{ColumnData, Partition, Row, Unfiltered};
use crate::statistics::{ClusteringRange, CommitLogPosition, Stats};
use crate::tombstone_histogram::TombstoneHistogram;
use crate::version::Version;

/// Cassandra's `EstimatedHistogram`: bucket `i` counts values in
/// `(offsets[i-1], offsets[i]]`, the last bucket everything above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstimatedHistogram {
    /// Upper bounds of the buckets.
    pub offsets: Vec<i64>,
    /// One more count than offsets: the last counts overflows.
    pub counts: Vec<i64>,
}

impl EstimatedHistogram {
    /// Buckets 1, 2, 3, … then each ×1.2 (rounded, at least +1), as
    /// Cassandra's `newOffsets`.
    pub fn new(bucket_count: usize) -> Self {
        let mut offsets = Vec::with_capacity(bucket_count);
        let mut last = 1i64;
        offsets.push(last);
        while offsets.len() < bucket_count {
            let mut next = (last as f64 * 1.2).round() as i64;
            if next == last {
                next += 1;
            }
            offsets.push(next);
            last = next;
        }
        let counts = vec![0; bucket_count + 1];
        EstimatedHistogram { offsets, counts }
    }

    /// Counts one value.
    pub fn add(&mut self, value: i64) {
        let index = self.offsets.partition_point(|&o| o < value);
        self.counts[index] += 1;
    }
}

/// Statistics of the partitions written so far.
#[derive(Debug, Clone)]
pub struct StatsCollector {
    /// Partition sizes in bytes.
    pub partition_sizes: EstimatedHistogram,
    /// Cells per partition.
    pub cells_per_partition: EstimatedHistogram,
    /// Smallest timestamp seen.
    pub min_timestamp: i64,
    /// Largest timestamp seen.
    pub max_timestamp: i64,
    /// Smallest local deletion time seen ("none" when only live data).
    pub min_local_deletion_time: i64,
    /// Largest local deletion time seen.
    pub max_local_deletion_time: i64,
    /// Smallest TTL seen (0 for data without one).
    pub min_ttl: i32,
    /// Largest TTL seen.
    pub max_ttl: i32,
    /// Rows written.
    pub total_rows: i64,
    /// Cells written, summed over rows.
    pub total_columns_set: i64,
    /// First and last partition keys.
    pub key_range: Option<(Vec<u8>, Vec<u8>)>,
    /// Whether any partition has a partition-level deletion.
    pub has_partition_level_deletions: bool,
    /// Deletion and expiry times.
    pub tombstone_drop_times: TombstoneHistogram,
    /// Smallest row clustering or start bound seen.
    pub min_clustering: Option<ClusteringBound>,
    /// Largest row clustering or end bound seen.
    pub max_clustering: Option<ClusteringBound>,
    clustering_types: Vec<String>,
    version: Version,
    no_deletion_time: i64,
}

impl StatsCollector {
    /// An empty collector for `version` and a table whose clustering
    /// columns have `clustering_types`.
    pub fn new(version: Version, clustering_types: &[String]) -> Self {
        let no_deletion_time = if version.has_uint_deletion_time() {
            i64::from(u32::MAX)
        } else {
            i64::from(i32::MAX)
        };
        StatsCollector {
            partition_sizes: EstimatedHistogram::new(version.partition_size_buckets()),
            cells_per_partition: EstimatedHistogram::new(version.cell_count_buckets()),
            min_timestamp: i64::MAX,
            max_timestamp: i64::MIN,
            min_local_deletion_time: i64::MAX,
            max_local_deletion_time: i64::MIN,
            min_ttl: i32::MAX,
            max_ttl: i32::MIN,
            total_rows: 0,
            total_columns_set: 0,
            key_range: None,
            has_partition_level_deletions: false,
            tombstone_drop_times: TombstoneHistogram::new(),
            min_clustering: None,
            max_clustering: None,
            clustering_types: clustering_types.to_vec(),
            version,
            no_deletion_time,
        }
    }

    fn timestamp(&mut self, t: i64) {
        self.min_timestamp = self.min_timestamp.min(t);
        self.max_timestamp = self.max_timestamp.max(t);
    }

    fn local_deletion_time(&mut self, ldt: i64) {
        self.min_local_deletion_time = self.min_local_deletion_time.min(ldt);
        self.max_local_deletion_time = self.max_local_deletion_time.max(ldt);
        if ldt != self.no_deletion_time {
            self.tombstone_drop_times.add(ldt);
        }
    }

    /// Widens the covered clustering range: rows on both sides, start
    /// bounds only downwards and end bounds only upwards (every range an
    /// SSTable opens it also closes, and boundaries lie inside ranges).
    fn clustering(&mut self, prefix: ClusteringBound) {
        if prefix.kind.is_boundary() {
            return;
        }
        if self.clustering_types.is_empty() && self.min_clustering.is_some() {
            // Without clustering columns every row has the same (empty)
            // clustering: the range is set by the first.
            return;
        }
        let types = &self.clustering_types;
        let is_row = prefix.kind == PrefixKind::Clustering;
        if is_row || prefix.kind.is_start() {
            let lower = match &self.min_clustering {
                None => true,
                Some(min) => compare_prefixes(types, &prefix, min).is_lt(),
            };
            if lower {
                self.min_clustering = Some(prefix.clone());
            }
        }
        if is_row || !prefix.kind.is_start() {
            let higher = match &self.max_clustering {
                None => true,
                Some(max) => compare_prefixes(types, &prefix, max).is_gt(),
            };
            if higher {
                self.max_clustering = Some(prefix);
            }
        }
    }

    fn ttl(&mut self, ttl: i32) {
        self.min_ttl = self.min_ttl.min(ttl);
        self.max_ttl = self.max_ttl.max(ttl);
    }

    fn deletion(&mut self, d: &DeletionTime) {
        if !d.is_live() {
            self.timestamp(d.marked_for_delete_at);
            self.local_deletion_time(d.local_deletion_time);
        }
    }

    fn liveness(&mut self, l: &LivenessInfo) {
        self.timestamp(l.timestamp);
        match l.expiry {
            Some((ttl, expiry)) => {
                self.ttl(ttl as i32);
                self.local_deletion_time(expiry);
            }
            None => {
                self.ttl(0);
                self.local_deletion_time(self.no_deletion_time);
            }
        }
    }

    /// Counts the row's data; returns its cell count.
    fn row(&mut self, row: &Row) -> i64 {
        if let Some(l) = &row.liveness {
            self.liveness(l);
        }
        if let Some(d) = &row.deletion {
            self.deletion(d);
        }
        let mut cells = 0;
        for data in &row.columns {
            let list: &[crate::rows::Cell] = match data {
                ColumnData::Simple { cell, .. } => std::slice::from_ref(cell),
                ColumnData::Complex {
                    deletion, cells, ..
                } => {
                    self.deletion(deletion);
                    cells
                }
            };
            for cell in list {
                cells += 1;
                self.timestamp(cell.timestamp);
                match cell.kind {
                    CellKind::Live => {
                        self.ttl(0);
                        self.local_deletion_time(self.no_deletion_time);
                    }
                    CellKind::Expiring {
                        ttl,
                        local_expiration_time,
                    } => {
                        self.ttl(ttl as i32);
                        self.local_deletion_time(local_expiration_time);
                    }
                    CellKind::Tombstone {
                        local_deletion_time,
                    } => {
                        self.ttl(0);
                        self.local_deletion_time(local_deletion_time);
                    }
                }
            }
        }
        self.total_columns_set += row.columns.len() as i64;
        cells
    }

    /// Counts one partition of `size` bytes in Data.db.
    pub fn add_partition(&mut self, partition: &Partition, size: u64) {
        self.partition_sizes.add(size as i64);
        if !partition.deletion.is_live() {
            self.has_partition_level_deletions = true;
        }
        self.deletion(&partition.deletion);
        let mut cells = 0;
        if let Some(row) = partition.static_row.as_ref().filter(|r| !r.is_empty()) {
            // A static row with data counts as a row, as Cassandra counts it.
            self.total_rows += 1;
            cells += self.row(row);
        }
        for unfiltered in &partition.unfiltereds {
            match unfiltered {
                Unfiltered::Row(row) => {
                    self.total_rows += 1;
                    cells += self.row(row);
                    self.clustering(ClusteringBound {
                        kind: PrefixKind::Clustering,
                        values: row.clustering.clone(),
                    });
                }
                Unfiltered::Marker(marker) => {
                    self.clustering(marker.bound.clone());
                    for d in [marker.end_deletion, marker.start_deletion]
                        .into_iter()
                        .flatten()
                    {
                        self.deletion(&d);
                    }
                }
            }
        }
        self.cells_per_partition.add(cells);
        match &mut self.key_range {
            None => self.key_range = Some((partition.key.clone(), partition.key.clone())),
            Some((_, last)) => {
                // Reuse the buffer: no allocation per partition.
                last.clear();
                last.extend_from_slice(&partition.key);
            }
        }
    }
}

impl StatsCollector {
    /// The stats component for what was collected. Fields only the writer
    /// knows keep neutral values for it to fill: no commit-log positions,
    /// no compression (ratio -1), level 0, unrepaired, no host id, unknown
    /// token-space coverage (NaN, as a flush writes it).
    pub fn stats(&self) -> Stats {
        let none = CommitLogPosition {
            segment_id: -1,
            position: 0,
        };
        let (min_timestamp, max_timestamp) = if self.min_timestamp <= self.max_timestamp {
            (self.min_timestamp, self.max_timestamp)
        } else {
            (i64::MIN, i64::MAX)
        };
        let (min_ldt, max_ldt) = if self.min_local_deletion_time <= self.max_local_deletion_time {
            (self.min_local_deletion_time, self.max_local_deletion_time)
        } else {
            (self.no_deletion_time, self.no_deletion_time)
        };
        let (min_ttl, max_ttl) = if self.min_ttl <= self.max_ttl {
            (self.min_ttl, self.max_ttl)
        } else {
            (0, 0)
        };
        // A row clustering stands for the slice that includes exactly it;
        // nothing written gives Cassandra's empty slice.
        let start = match &self.min_clustering {
            Some(b) if b.kind == PrefixKind::Clustering => ClusteringBound {
                kind: PrefixKind::InclStartBound,
                values: b.values.clone(),
            },
            Some(b) => b.clone(),
            None => ClusteringBound {
                kind: PrefixKind::ExclStartBound,
                values: Vec::new(),
            },
        };
        let end = match &self.max_clustering {
            Some(b) if b.kind == PrefixKind::Clustering => ClusteringBound {
                kind: PrefixKind::InclEndBound,
                values: b.values.clone(),
            },
            Some(b) => b.clone(),
            None => ClusteringBound {
                kind: PrefixKind::ExclEndBound,
                values: Vec::new(),
            },
        };
        let clustering = if self.version.has_improved_stats() {
            ClusteringRange::Slice {
                types: self.clustering_types.clone(),
                start,
                end,
            }
        } else {
            let values = |b: &ClusteringBound| -> Vec<Vec<u8>> {
                b.values
                    .iter()
                    .map(|v| v.clone().unwrap_or_default())
                    .collect()
            };
            ClusteringRange::Legacy {
                min: values(&start),
                max: values(&end),
            }
        };
        let improved = self.version.has_improved_stats();
        Stats {
            partition_sizes: (
                self.partition_sizes.offsets.clone(),
                self.partition_sizes.counts.clone(),
            ),
            cells_per_partition: (
                self.cells_per_partition.offsets.clone(),
                self.cells_per_partition.counts.clone(),
            ),
            commit_log_upper_bound: none,
            min_timestamp,
            max_timestamp,
            min_local_deletion_time: min_ldt,
            max_local_deletion_time: max_ldt,
            min_ttl,
            max_ttl,
            compression_ratio: -1.0,
            tombstone_drop_times: self.tombstone_drop_times.to_stats(),
            sstable_level: 0,
            repaired_at: 0,
            clustering,
            has_legacy_counter_shards: false,
            total_columns_set: self.total_columns_set,
            total_rows: self.total_rows,
            commit_log_lower_bound: self.version.has_commit_log_lower_bound().then_some(none),
            commit_log_intervals: Vec::new(),
            pending_repair: None,
            is_transient: false,
            originating_host_id: None,
            has_partition_level_deletions: improved.then_some(self.has_partition_level_deletions),
            key_range: if improved {
                self.key_range.clone()
            } else {
                None
            },
            token_space_coverage: improved.then_some(f64::NAN),
            stale_na: false,
        }
    }
}
