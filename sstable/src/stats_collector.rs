//! Collecting the statistics Statistics.db records while partitions are
//! written (Cassandra's `MetadataCollector`): size and cell-count
//! histograms, timestamp, deletion-time and TTL bounds, row and column
//! totals, the key range.

use crate::reconcile::{CellKind, DeletionTime, LivenessInfo};
use crate::rows::{ColumnData, Partition, Row, Unfiltered};
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

fn is_empty(row: &Row) -> bool {
    row.columns.is_empty() && row.liveness.is_none() && row.deletion.is_none()
}

/// Statistics of the partitions written so far.
#[derive(Debug, Clone, PartialEq)]
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
    no_deletion_time: i64,
}

impl StatsCollector {
    /// An empty collector for `version`.
    pub fn new(version: Version) -> Self {
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
            let list: Vec<&crate::rows::Cell> = match data {
                ColumnData::Simple { cell, .. } => vec![cell],
                ColumnData::Complex {
                    deletion, cells, ..
                } => {
                    self.deletion(deletion);
                    cells.iter().collect()
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
        if let Some(row) = partition.static_row.as_ref().filter(|r| !is_empty(r)) {
            // A static row with data counts as a row, as Cassandra counts it.
            self.total_rows += 1;
            cells += self.row(row);
        }
        for unfiltered in &partition.unfiltereds {
            match unfiltered {
                Unfiltered::Row(row) => {
                    self.total_rows += 1;
                    cells += self.row(row);
                }
                Unfiltered::Marker(marker) => {
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
        self.key_range = Some(match self.key_range.take() {
            None => (partition.key.clone(), partition.key.clone()),
            Some((first, _)) => (first, partition.key.clone()),
        });
    }
}
