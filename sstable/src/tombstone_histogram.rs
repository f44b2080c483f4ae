//! The tombstone drop-time histogram of Statistics.db: how many deletion
//! and expiry times fall near each point in time, which compaction uses to
//! estimate droppable tombstones.
//!
//! Cassandra rounds every time up to a whole minute and keeps at most 100
//! bins, merging the two closest when a new point would exceed that. With
//! up to 100 distinct minutes (every SSTable Cassandra's tests ship) the
//! result is exact and equals Cassandra's; past that both are
//! approximations of the same shape. The serialized bin count doubles as
//! the "max bin size" field, as in Cassandra's files.

use std::collections::BTreeMap;

/// Deletion times are rounded up to a multiple of this many seconds.
const ROUND_SECONDS: i64 = 60;

/// Most bins kept.
const MAX_BINS: usize = 100;

/// Collects deletion times into at most 100 bins.
#[derive(Debug, Clone, Default)]
pub struct TombstoneHistogram {
    bins: BTreeMap<i64, i64>,
}

impl TombstoneHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        TombstoneHistogram::default()
    }

    /// Counts one deletion or expiry time (seconds).
    pub fn add(&mut self, local_deletion_time: i64) {
        let remainder = local_deletion_time.rem_euclid(ROUND_SECONDS);
        let point = if remainder == 0 {
            local_deletion_time
        } else {
            local_deletion_time.saturating_add(ROUND_SECONDS - remainder)
        };
        *self.bins.entry(point).or_insert(0) += 1;
        if self.bins.len() > MAX_BINS {
            self.merge_closest();
        }
    }

    /// Merges the two adjacent bins closest in time into one at their
    /// count-weighted mean.
    fn merge_closest(&mut self) {
        let points: Vec<(i64, i64)> = self.bins.iter().map(|(p, c)| (*p, *c)).collect();
        let Some(i) = (0..points.len().saturating_sub(1))
            .min_by_key(|&i| points[i + 1].0.saturating_sub(points[i].0))
        else {
            return;
        };
        let ((p1, c1), (p2, c2)) = (points[i], points[i + 1]);
        self.bins.remove(&p1);
        self.bins.remove(&p2);
        let total = c1 + c2;
        let mean = ((i128::from(p1) * i128::from(c1) + i128::from(p2) * i128::from(c2))
            / i128::from(total)) as i64;
        *self.bins.entry(mean).or_insert(0) += total;
    }

    /// The histogram as Statistics.db stores it: (bin count, bins).
    pub fn to_stats(&self) -> (i32, Vec<(i64, i64)>) {
        let bins: Vec<(i64, i64)> = self.bins.iter().map(|(p, c)| (*p, *c)).collect();
        (bins.len() as i32, bins)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_to_whole_minutes_and_counts() {
        let mut h = TombstoneHistogram::new();
        for t in [1, 60, 61, 120, -5] {
            h.add(t);
        }
        assert_eq!(h.to_stats(), (3, vec![(0, 1), (60, 2), (120, 2)]));
        assert_eq!(TombstoneHistogram::new().to_stats(), (0, vec![]));
    }

    #[test]
    fn keeps_at_most_a_hundred_bins_and_every_count() {
        let mut h = TombstoneHistogram::new();
        for minute in 0..1000 {
            h.add(minute * 60);
        }
        let (n, bins) = h.to_stats();
        assert_eq!(n, 100);
        assert_eq!(bins.iter().map(|(_, c)| c).sum::<i64>(), 1000);
        assert!(bins.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
