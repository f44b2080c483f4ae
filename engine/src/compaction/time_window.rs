//! Time-window selection (Cassandra's TimeWindowCompactionStrategy):
//! SSTables are grouped by the window of their newest write; the newest
//! window is compacted size-tiered as flushes arrive, and each older window
//! is merged until it is one SSTable, which is then left alone (and dropped
//! whole once it expires).

use std::collections::BTreeMap;

use super::options::{SizeTieredOptions, TimeWindowOptions};
use super::plan::{Context, SstableInfo, Task, TaskKind};
use super::size_tiered;

/// Start, in seconds since the epoch, of the window holding a timestamp in
/// microseconds: floored, so timestamps before the epoch fall in the
/// window below them (Cassandra's `%` would round them up).
///
/// ```
/// use ilion::compaction::time_window::window_of;
/// assert_eq!(window_of(90_061_000_000, 86_400), 86_400);
/// assert_eq!(window_of(-1, 86_400), -86_400);
/// ```
pub fn window_of(timestamp_micros: i64, window_seconds: u64) -> i64 {
    let seconds = timestamp_micros.div_euclid(1_000_000);
    let window = i64::try_from(window_seconds.max(1)).unwrap_or(i64::MAX);
    seconds.div_euclid(window) * window
}

/// The newest window of any live SSTable, compacting ones included: it
/// stands in for Cassandra's "highest window seen", which is never lowered.
pub fn newest_window(options: &TimeWindowOptions, sstables: &[SstableInfo]) -> Option<i64> {
    sstables
        .iter()
        .map(|s| window_of(s.max_timestamp, options.window_seconds))
        .max()
}

/// SSTables not compacting, grouped by window.
fn windows<'a>(
    options: &TimeWindowOptions,
    sstables: &'a [SstableInfo],
) -> BTreeMap<i64, Vec<&'a SstableInfo>> {
    let mut windows: BTreeMap<i64, Vec<&SstableInfo>> = BTreeMap::new();
    for sstable in sstables.iter().filter(|s| !s.compacting) {
        let window = window_of(sstable.max_timestamp, options.window_seconds);
        windows.entry(window).or_default().push(sstable);
    }
    windows
}

/// The next background compaction, as Cassandra's `newestBucket`: windows
/// newest first; the newest window, once it holds `min_threshold`
/// SSTables, by size-tiered buckets (default bucket parameters); an older
/// window holding two or more, all together, keeping the `max_threshold`
/// smallest. One output, level 0.
pub fn next_task(
    options: &TimeWindowOptions,
    sstables: &[SstableInfo],
    _ctx: &Context,
) -> Option<Task> {
    let newest = newest_window(options, sstables)?;
    windows(options, sstables)
        .into_iter()
        .rev()
        .find_map(|(window, members)| {
            if window >= newest {
                current_window(options, &members)
            } else {
                older_window(options, members)
            }
        })
}

/// The newest window: size-tiered among its SSTables.
fn current_window(options: &TimeWindowOptions, members: &[&SstableInfo]) -> Option<Task> {
    if members.len() < options.min_threshold {
        return None;
    }
    let stcs = SizeTieredOptions {
        min_threshold: options.min_threshold,
        max_threshold: options.max_threshold,
        ..SizeTieredOptions::default()
    };
    let bucket = size_tiered::most_interesting(&stcs, members)?;
    Some(task(&bucket, "time-window current window, size-tiered"))
}

/// An older window: merged whole once it holds two SSTables, the largest
/// left for a later round beyond `max_threshold` (Cassandra's
/// `trimToThreshold`).
fn older_window(options: &TimeWindowOptions, mut members: Vec<&SstableInfo>) -> Option<Task> {
    if members.len() < 2 {
        return None;
    }
    members.sort_by_key(|s| (s.bytes, s.id));
    members.truncate(options.max_threshold.max(2));
    Some(task(&members, "time-window older window"))
}

/// One level-0 output of `inputs`.
fn task(inputs: &[&SstableInfo], reason: &str) -> Task {
    Task {
        kind: TaskKind::Merge,
        inputs: inputs.iter().map(|s| s.id).collect(),
        output_level: 0,
        max_output_bytes: u64::MAX,
        shard_boundaries: Vec::new(),
        reason: format!("{reason}: {} SSTables", inputs.len()),
    }
}

/// One task per window holding two or more SSTables not compacting, so
/// each window ends as one SSTable (Cassandra's major compaction merges
/// every window into one SSTable, losing the windows).
pub fn major_tasks(options: &TimeWindowOptions, sstables: &[SstableInfo]) -> Vec<Task> {
    windows(options, sstables)
        .into_values()
        .filter(|members| members.len() >= 2)
        .map(|members| task(&members, "time-window major compaction of a window"))
        .collect()
}

/// SSTables, compacting ones included, in the newest window.
pub fn newest_window_count(options: &TimeWindowOptions, sstables: &[SstableInfo]) -> usize {
    newest_window(options, sstables).map_or(0, |newest| {
        sstables
            .iter()
            .filter(|s| window_of(s.max_timestamp, options.window_seconds) == newest)
            .count()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::plan::test_support::sstable;

    const HOUR: i64 = 3600;
    const MICROS: i64 = 1_000_000;

    fn options() -> TimeWindowOptions {
        TimeWindowOptions {
            window_seconds: HOUR as u64,
            min_threshold: 4,
            max_threshold: 32,
        }
    }

    fn ctx() -> Context {
        Context {
            now_seconds: 100 * HOUR,
            gc_before: 0,
            flush_bytes: 1 << 20,
        }
    }

    /// An SSTable written during `hour`, `bytes` large.
    fn sst(id: u64, hour: i64, bytes: u64) -> SstableInfo {
        let ts = hour * HOUR * MICROS + id as i64;
        SstableInfo {
            min_timestamp: ts,
            max_timestamp: ts,
            ..sstable(id, bytes, 0, 1000)
        }
    }

    #[test]
    fn window_of_floors_positive_and_negative_timestamps() {
        assert_eq!(window_of(0, 3600), 0);
        assert_eq!(window_of(3_599_999_999, 3600), 0);
        assert_eq!(window_of(3_600_000_000, 3600), 3600);
        assert_eq!(window_of(-1, 3600), -3600);
        assert_eq!(window_of(-3_600_000_000, 3600), -3600);
        assert_eq!(window_of(-3_600_000_001, 3600), -7200);
        assert_eq!(window_of(i64::MIN, 86_400) % 86_400, 0);
        assert_eq!(
            window_of(123_456_789, 0),
            123,
            "a zero window is one second"
        );
    }

    #[test]
    fn older_windows_are_merged_into_one() {
        let all = vec![
            sst(1, 5, 100),
            sst(2, 5, 5000),
            sst(3, 5, 10),
            sst(4, 9, 100),
        ];
        let task = next_task(&options(), &all, &ctx()).expect("hour 5 has three");
        assert_eq!(task.inputs, vec![3, 1, 2], "smallest first");
        assert_eq!(task.output_level, 0);
        assert_eq!(task.max_output_bytes, u64::MAX);
        // One SSTable per old window: nothing to do.
        let settled = vec![sst(1, 5, 100), sst(2, 6, 100), sst(4, 9, 100)];
        assert_eq!(next_task(&options(), &settled, &ctx()), None);
    }

    #[test]
    fn the_newest_old_window_goes_first_and_is_trimmed_to_max_threshold() {
        let o = TimeWindowOptions {
            max_threshold: 2,
            ..options()
        };
        let all = vec![
            sst(1, 2, 100),
            sst(2, 2, 100),
            sst(3, 5, 300),
            sst(4, 5, 200),
            sst(5, 5, 100),
            sst(6, 9, 1),
        ];
        let task = next_task(&o, &all, &ctx()).expect("hour 5");
        assert_eq!(task.inputs, vec![5, 4]);
    }

    #[test]
    fn the_current_window_is_size_tiered() {
        let mut all: Vec<SstableInfo> = (1..=3).map(|i| sst(i, 9, 1000)).collect();
        assert_eq!(
            next_task(&options(), &all, &ctx()),
            None,
            "three of min four"
        );
        all.push(sst(4, 9, 1000));
        let task = next_task(&options(), &all, &ctx()).expect("four similar");
        assert_eq!(task.inputs, vec![1, 2, 3, 4]);
        // Four in the window but of dissimilar sizes above 50 MiB: no bucket.
        let spread: Vec<SstableInfo> = (0..4)
            .map(|i| sst(i + 1, 9, (100 << 20) << (2 * i)))
            .collect();
        assert_eq!(next_task(&options(), &spread, &ctx()), None);
    }

    #[test]
    fn a_quiet_current_window_lets_older_windows_compact() {
        let all = vec![
            sst(1, 9, 1000),
            sst(2, 9, 1000),
            sst(3, 4, 10),
            sst(4, 4, 10),
        ];
        let task = next_task(&options(), &all, &ctx()).expect("hour 4");
        assert_eq!(task.inputs, vec![3, 4]);
    }

    #[test]
    fn compacting_sstables_are_not_chosen() {
        let mut all = vec![sst(1, 5, 100), sst(2, 5, 100), sst(3, 9, 100)];
        all[1].compacting = true;
        assert_eq!(next_task(&options(), &all, &ctx()), None);
        // A compacting SSTable still marks the newest window.
        let mut all = vec![sst(1, 5, 100), sst(2, 5, 100), sst(3, 9, 100)];
        all[2].compacting = true;
        let task = next_task(&options(), &all, &ctx()).expect("hour 5 is old");
        assert_eq!(task.inputs, vec![1, 2]);
    }

    #[test]
    fn major_tasks_merge_each_window_with_two_or_more() {
        let all = vec![
            sst(1, 5, 100),
            sst(2, 5, 100),
            sst(3, 6, 100),
            sst(4, 9, 1),
            sst(5, 9, 1),
        ];
        let tasks = major_tasks(&options(), &all);
        let inputs: Vec<Vec<u64>> = tasks.into_iter().map(|t| t.inputs).collect();
        assert_eq!(inputs, vec![vec![1, 2], vec![4, 5]]);
        assert_eq!(newest_window_count(&options(), &all), 2);
    }
}
