//! Size-tiered selection (Cassandra's SizeTieredCompactionStrategy):
//! SSTables of similar size are grouped into buckets, and a bucket holding
//! enough of them is merged into one SSTable.
//!
//! Cassandra ranks buckets by read hotness (two-hour read rate per key).
//! We keep no read rates, so every SSTable is equally hot and Cassandra's
//! tie-breaks decide: within a bucket the smallest SSTables are kept when
//! trimming to `max_threshold`, and among buckets the one with the smallest
//! average size is chosen, so that small flushes are merged promptly.

use super::options::SizeTieredOptions;
use super::plan::{Context, SstableInfo, Task, TaskKind};

/// Groups SSTables of similar size, as Cassandra's `getBuckets`: sorted by
/// size, each joins the first bucket whose average it lies strictly within
/// `(avg × bucket_low, avg × bucket_high)`, or whose average is, like
/// itself, below `min_sstable_bytes`; the average is recomputed on each
/// join. Buckets come in creation order (Cassandra's come in hash order),
/// each listing ids smallest first.
///
/// ```
/// use ilion::compaction::size_tiered::buckets;
/// use ilion::compaction::{SizeTieredOptions, SstableInfo};
/// let sst = |id, bytes| SstableInfo {
///     id, bytes, first_token: 0, last_token: 0, min_timestamp: 0, max_timestamp: 0,
///     max_local_deletion_time: i64::MAX, level: 0, droppable_tombstone_ratio: 0.0,
///     age_seconds: 0, partitions: 1, compacting: false,
/// };
/// let all = [sst(1, 100 << 20), sst(2, 120 << 20), sst(3, 1 << 30)];
/// let refs: Vec<&SstableInfo> = all.iter().collect();
/// assert_eq!(buckets(&SizeTieredOptions::default(), &refs), vec![vec![1, 2], vec![3]]);
/// ```
pub fn buckets(options: &SizeTieredOptions, sstables: &[&SstableInfo]) -> Vec<Vec<u64>> {
    let mut sorted = sstables.to_vec();
    sorted.sort_by_key(|s| (s.bytes, s.id));
    // (average bytes, member ids)
    let mut buckets: Vec<(u64, Vec<u64>)> = Vec::new();
    for sstable in sorted {
        match buckets
            .iter_mut()
            .find(|(average, _)| joins(options, *average, sstable.bytes))
        {
            Some((average, ids)) => {
                *average = new_average(*average, ids.len(), sstable.bytes);
                ids.push(sstable.id);
            }
            None => buckets.push((sstable.bytes, vec![sstable.id])),
        }
    }
    buckets.into_iter().map(|(_, ids)| ids).collect()
}

/// Whether an SSTable of `bytes` joins a bucket of mean size `average`.
fn joins(options: &SizeTieredOptions, average: u64, bytes: u64) -> bool {
    let (mean, size) = (average as f64, bytes as f64);
    let similar = size > mean * options.bucket_low && size < mean * options.bucket_high;
    let both_small = bytes < options.min_sstable_bytes && average < options.min_sstable_bytes;
    similar || both_small
}

/// The integer mean after adding `bytes` to `count` members of mean
/// `average` (Cassandra keeps the mean as a long, too).
fn new_average(average: u64, count: usize, bytes: u64) -> u64 {
    let total = u128::from(average) * count as u128 + u128::from(bytes);
    (total / (count as u128 + 1)) as u64
}

/// The bucket a size-tiered compaction should merge, as Cassandra's
/// `mostInterestingBucket` with equal hotness: buckets of at least
/// `min_threshold` (never below 2), each trimmed to its `max_threshold`
/// smallest SSTables, the one with the smallest average size winning
/// (the first on ties). Callers pass only SSTables free to compact.
pub fn most_interesting<'a>(
    options: &SizeTieredOptions,
    sstables: &[&'a SstableInfo],
) -> Option<Vec<&'a SstableInfo>> {
    let min = options.min_threshold.max(2);
    let max = options.max_threshold.max(min);
    buckets(options, sstables)
        .into_iter()
        .filter(|ids| ids.len() >= min)
        .map(|ids| members(sstables, &ids, max))
        .min_by_key(|bucket| average_bytes(bucket))
}

/// The SSTables named by `ids` (smallest first), at most `max` of them.
fn members<'a>(sstables: &[&'a SstableInfo], ids: &[u64], max: usize) -> Vec<&'a SstableInfo> {
    ids.iter()
        .take(max)
        .filter_map(|id| sstables.iter().find(|s| s.id == *id).copied())
        .collect()
}

/// Mean size of a non-empty set of SSTables.
fn average_bytes(sstables: &[&SstableInfo]) -> u128 {
    let total: u128 = sstables.iter().map(|s| u128::from(s.bytes)).sum();
    total / sstables.len().max(1) as u128
}

/// The next background compaction: the most interesting bucket of the
/// SSTables not already compacting, merged into one level-0 SSTable.
/// `None` when no bucket reaches `min_threshold` (the caller then tries a
/// single-SSTable tombstone compaction).
pub fn next_task(
    options: &SizeTieredOptions,
    sstables: &[SstableInfo],
    _ctx: &Context,
) -> Option<Task> {
    let candidates: Vec<&SstableInfo> = sstables.iter().filter(|s| !s.compacting).collect();
    let bucket = most_interesting(options, &candidates)?;
    Some(Task {
        kind: TaskKind::Merge,
        inputs: bucket.iter().map(|s| s.id).collect(),
        output_level: 0,
        max_output_bytes: u64::MAX,
        shard_boundaries: Vec::new(),
        reason: format!("size-tiered bucket of {}", bucket.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::plan::test_support::sstable;

    const MIB: u64 = 1 << 20;

    fn sst(id: u64, bytes: u64) -> SstableInfo {
        sstable(id, bytes, -1000, 1000)
    }

    fn ctx() -> Context {
        Context {
            now_seconds: 1_000_000,
            gc_before: 0,
            flush_bytes: MIB,
        }
    }

    fn options(min_sstable_bytes: u64) -> SizeTieredOptions {
        SizeTieredOptions {
            min_sstable_bytes,
            ..SizeTieredOptions::default()
        }
    }

    /// Buckets of sizes, each sorted, the buckets sorted by first size.
    fn sized_buckets(options: &SizeTieredOptions, sizes: &[u64]) -> Vec<Vec<u64>> {
        let all: Vec<SstableInfo> = sizes
            .iter()
            .enumerate()
            .map(|(i, &b)| sst(i as u64, b))
            .collect();
        let refs: Vec<&SstableInfo> = all.iter().collect();
        let mut out: Vec<Vec<u64>> = buckets(options, &refs)
            .into_iter()
            .map(|ids| ids.iter().map(|id| all[*id as usize].bytes).collect())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn buckets_group_by_length_as_cassandras_test() {
        // SizeTieredCompactionStrategyTest.testGetBuckets: strings bucketed
        // by length, min size 2.
        let got = sized_buckets(&options(2), &[1, 4, 8, 8, 4, 16]);
        assert_eq!(got, vec![vec![1], vec![4, 4], vec![8, 8], vec![16]]);
        let got = sized_buckets(&options(2), &[3, 8, 3, 8, 8, 3]);
        assert_eq!(got, vec![vec![3, 3, 3], vec![8, 8, 8]]);
        // Everything below the min size shares one bucket.
        let got = sized_buckets(&options(10), &[3, 8, 3, 8, 8, 3]);
        assert_eq!(got, vec![vec![3, 3, 3, 8, 8, 8]]);
    }

    #[test]
    fn buckets_use_the_running_average_and_open_bounds() {
        let o = options(0);
        // 100 and 149 share a bucket (149 < 150); the mean becomes 124, so
        // 185 (< 186) joins too; 300 does not.
        assert_eq!(
            sized_buckets(&o, &[100, 149, 185, 300]),
            vec![vec![100, 149, 185], vec![300]]
        );
        // Exactly 1.5× the mean is outside the open interval.
        assert_eq!(sized_buckets(&o, &[100, 150]), vec![vec![100], vec![150]]);
    }

    #[test]
    fn small_sstables_share_a_bucket_with_default_options() {
        let o = SizeTieredOptions::default();
        let got = sized_buckets(&o, &[MIB, 10 * MIB, 40 * MIB, 100 * MIB, 120 * MIB]);
        assert_eq!(
            got,
            vec![vec![MIB, 10 * MIB, 40 * MIB], vec![100 * MIB, 120 * MIB]]
        );
    }

    #[test]
    fn next_task_waits_for_min_threshold() {
        let o = SizeTieredOptions::default();
        let three: Vec<SstableInfo> = (1..=3).map(|i| sst(i, MIB)).collect();
        assert_eq!(next_task(&o, &three, &ctx()), None);
        let four: Vec<SstableInfo> = (1..=4).map(|i| sst(i, MIB)).collect();
        let task = next_task(&o, &four, &ctx()).expect("a bucket of four");
        assert_eq!(task.inputs, vec![1, 2, 3, 4]);
        assert_eq!(task.output_level, 0);
        assert_eq!(task.max_output_bytes, u64::MAX);
        assert!(task.shard_boundaries.is_empty());
    }

    #[test]
    fn next_task_trims_to_max_threshold_keeping_the_smallest() {
        let o = SizeTieredOptions::default();
        // 40 small SSTables, the later ids larger.
        let all: Vec<SstableInfo> = (1..=40).map(|i| sst(i, i * 1000)).collect();
        let task = next_task(&o, &all, &ctx()).expect("a bucket");
        assert_eq!(task.inputs, (1..=32).collect::<Vec<u64>>());
    }

    #[test]
    fn next_task_prefers_the_bucket_of_smallest_average() {
        let o = SizeTieredOptions::default();
        let mut all: Vec<SstableInfo> = (1..=4).map(|i| sst(i, 200 * MIB)).collect();
        all.extend((5..=8).map(|i| sst(i, 2 * MIB)));
        let task = next_task(&o, &all, &ctx()).expect("a bucket");
        assert_eq!(task.inputs, vec![5, 6, 7, 8]);
    }

    #[test]
    fn compacting_sstables_are_never_chosen() {
        let o = SizeTieredOptions::default();
        let mut all: Vec<SstableInfo> = (1..=5).map(|i| sst(i, MIB)).collect();
        all[0].compacting = true;
        all[3].compacting = true;
        assert_eq!(next_task(&o, &all, &ctx()), None, "only three are free");
        all.push(sst(6, MIB));
        let task = next_task(&o, &all, &ctx()).expect("four free");
        assert_eq!(task.inputs, vec![2, 3, 5, 6]);
    }
}
