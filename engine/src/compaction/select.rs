//! Strategy-independent selection: dispatch to the table's strategy, the
//! single-SSTable tombstone compaction that runs when the strategy has
//! nothing to do, the fully expired SSTables that are dropped unread, major
//! compaction, and the measure write stalls are keyed on.

use super::options::{CompactionOptions, Strategy};
use super::plan::{Context, SstableInfo, Task, TaskKind};
use super::{leveled, size_tiered, time_window, unified};

/// The next background compaction: the strategy's choice, else a
/// single-SSTable tombstone compaction; `None` when background compaction
/// is disabled (`enabled: false`) or there is nothing to do.
pub fn next_task(
    options: &CompactionOptions,
    sstables: &[SstableInfo],
    ctx: &Context,
) -> Option<Task> {
    if !options.enabled {
        return None;
    }
    strategy_task(options, sstables, ctx).or_else(|| tombstone_task(options, sstables, ctx))
}

/// The strategy's own choice.
fn strategy_task(
    options: &CompactionOptions,
    sstables: &[SstableInfo],
    ctx: &Context,
) -> Option<Task> {
    match &options.strategy {
        Strategy::SizeTiered(o) => size_tiered::next_task(o, sstables, ctx),
        Strategy::Leveled(o) => leveled::next_task(o, sstables, ctx),
        Strategy::TimeWindow(o) => time_window::next_task(o, sstables, ctx),
        Strategy::Unified(o) => unified::next_task(o, sstables, ctx),
    }
}

/// A single-SSTable tombstone compaction (§6.2): among SSTables not
/// compacting, live for `tombstone_compaction_interval_seconds`, whose
/// droppable tombstone ratio exceeds `tombstone_threshold` and which pass
/// the overlap pre-check ([`worth_dropping_tombstones`]), the one the
/// strategy prefers, as in Cassandra: size-tiered and unified the
/// largest, time-window the smallest, leveled the highest level then the
/// highest ratio (output kept in its level).
pub fn tombstone_task(
    options: &CompactionOptions,
    sstables: &[SstableInfo],
    ctx: &Context,
) -> Option<Task> {
    let eligible = sstables
        .iter()
        .filter(|s| worth_dropping_tombstones(options, s, sstables));
    let single = |s: &SstableInfo, level, max_output_bytes, shard_boundaries| Task {
        kind: TaskKind::Tombstone,
        inputs: vec![s.id],
        output_level: level,
        max_output_bytes,
        shard_boundaries,
        reason: format!(
            "tombstone compaction: {:.0}% droppable",
            100.0 * s.droppable_tombstone_ratio
        ),
    };
    match &options.strategy {
        Strategy::SizeTiered(_) => eligible
            .max_by_key(|s| (s.bytes, std::cmp::Reverse(s.id)))
            .map(|s| single(s, s.level, u64::MAX, Vec::new())),
        Strategy::TimeWindow(_) => eligible
            .min_by_key(|s| (s.bytes, s.id))
            .map(|s| single(s, s.level, u64::MAX, Vec::new())),
        Strategy::Leveled(o) => eligible
            .max_by(|a, b| {
                a.level
                    .cmp(&b.level)
                    .then(
                        a.droppable_tombstone_ratio
                            .total_cmp(&b.droppable_tombstone_ratio),
                    )
                    .then(b.id.cmp(&a.id))
            })
            .map(|s| single(s, s.level, o.sstable_bytes, Vec::new())),
        Strategy::Unified(o) => eligible
            .max_by_key(|s| (s.bytes, std::cmp::Reverse(s.id)))
            .map(|s| {
                let level = unified::level_of(o, ctx, unified::density(s));
                single(s, level, u64::MAX, unified::output_boundaries(o, &[s]))
            }),
    }
}

/// Cassandra's `worthDroppingTombstones`: not compacting, live at least
/// `tombstone_compaction_interval_seconds`, droppable ratio above
/// `tombstone_threshold`, and either no other live SSTable overlaps its
/// token range, or the share of its range no overlapping SSTable covers,
/// times the ratio, still exceeds the threshold. The share of the range
/// stands in for Cassandra's estimate of the keys outside the overlaps
/// (keys are assumed spread evenly over the range). Cassandra also passes
/// an SSTable that is fully expired; those are dropped unread instead
/// ([`fully_expired`]).
pub fn worth_dropping_tombstones(
    options: &CompactionOptions,
    sstable: &SstableInfo,
    all: &[SstableInfo],
) -> bool {
    if sstable.compacting
        || sstable.age_seconds < options.tombstone_compaction_interval_seconds
        || sstable.droppable_tombstone_ratio <= options.tombstone_threshold
    {
        return false;
    }
    let overlaps: Vec<(i64, i64)> = all
        .iter()
        .filter(|o| o.id != sstable.id && o.overlaps(sstable))
        .map(|o| (o.first_token, o.last_token))
        .collect();
    overlaps.is_empty()
        || uncovered_share(sstable, &overlaps) * sstable.droppable_tombstone_ratio
            > options.tombstone_threshold
}

/// Share of an SSTable's token range (inclusive) that none of `ranges`
/// covers.
fn uncovered_share(sstable: &SstableInfo, ranges: &[(i64, i64)]) -> f64 {
    let (first, last) = (
        i128::from(sstable.first_token),
        i128::from(sstable.last_token),
    );
    let mut clipped: Vec<(i128, i128)> = ranges
        .iter()
        .map(|&(a, b)| (i128::from(a).max(first), i128::from(b).min(last)))
        .filter(|(a, b)| a <= b)
        .collect();
    clipped.sort_unstable();
    let mut covered = 0i128;
    let mut reach = first - 1; // last token counted so far
    for (a, b) in clipped {
        if b > reach {
            covered += b - a.max(reach + 1) + 1;
            reach = b;
        }
    }
    let span = last - first + 1;
    (span - covered) as f64 / span as f64
}

/// Fully expired SSTables, dropped without being read (Cassandra's
/// `getFullyExpiredSSTables`): not compacting, every cell's local deletion
/// time before `gc_before`, and a max timestamp below the min timestamp of
/// the memtables and of every other SSTable overlapping its token range
/// that still holds live data (max local deletion time not before
/// `gc_before`; compacting SSTables always count, their outputs not being
/// known yet). Below those, its tombstones shadow nothing.
///
/// Cassandra compares against one minimum over all overlapping SSTables
/// and all candidates of the call; per-SSTable overlap is as safe and
/// drops more.
pub fn fully_expired(
    sstables: &[SstableInfo],
    ctx: &Context,
    memtable_min_timestamp: i64,
) -> Vec<u64> {
    sstables
        .iter()
        .filter(|s| !s.compacting && s.max_local_deletion_time < ctx.gc_before)
        .filter(|s| s.max_timestamp < memtable_min_timestamp)
        .filter(|s| !blocked(s, sstables, ctx))
        .map(|s| s.id)
        .collect()
}

/// The [`fully_expired`] SSTables as one task that drops them, if any.
pub fn expired_task(
    sstables: &[SstableInfo],
    ctx: &Context,
    memtable_min_timestamp: i64,
) -> Option<Task> {
    let inputs = fully_expired(sstables, ctx, memtable_min_timestamp);
    (!inputs.is_empty()).then(|| Task {
        kind: TaskKind::DropExpired,
        reason: format!("{} fully expired SSTables", inputs.len()),
        inputs,
        output_level: 0,
        max_output_bytes: u64::MAX,
        shard_boundaries: Vec::new(),
    })
}

/// Whether another SSTable with live data overlapping `candidate` may
/// hold data its tombstones shadow.
fn blocked(candidate: &SstableInfo, sstables: &[SstableInfo], ctx: &Context) -> bool {
    sstables.iter().any(|other| {
        other.id != candidate.id
            && other.overlaps(candidate)
            && (other.compacting || other.max_local_deletion_time >= ctx.gc_before)
            && other.min_timestamp <= candidate.max_timestamp
    })
}

/// Major compaction of the SSTables not compacting: size-tiered, one task
/// of all; leveled, one task of all into the lowest level that holds them
/// ([`leveled::major_output_level`]), but none while any SSTable is
/// compacting (its output could land across ours in that level);
/// time-window, one task per window holding two or more; unified, one
/// task of all, sharded by the combined density.
pub fn major_tasks(
    options: &CompactionOptions,
    sstables: &[SstableInfo],
    ctx: &Context,
) -> Vec<Task> {
    let free: Vec<&SstableInfo> = sstables.iter().filter(|s| !s.compacting).collect();
    if free.is_empty() {
        return Vec::new();
    }
    let ids: Vec<u64> = free.iter().map(|s| s.id).collect();
    let all = |output_level, max_output_bytes, shard_boundaries| Task {
        kind: TaskKind::Merge,
        inputs: ids.clone(),
        output_level,
        max_output_bytes,
        shard_boundaries,
        reason: format!("major compaction of {} SSTables", ids.len()),
    };
    match &options.strategy {
        Strategy::SizeTiered(_) => vec![all(0, u64::MAX, Vec::new())],
        Strategy::Leveled(o) => {
            if free.len() < sstables.len() {
                return Vec::new();
            }
            let total = free.iter().fold(0u64, |t, s| t.saturating_add(s.bytes));
            vec![all(
                leveled::major_output_level(o, total),
                o.sstable_bytes,
                Vec::new(),
            )]
        }
        Strategy::TimeWindow(o) => time_window::major_tasks(o, sstables),
        Strategy::Unified(o) => {
            let level = unified::level_of(o, ctx, unified::combined_density(&free));
            vec![all(level, u64::MAX, unified::output_boundaries(o, &free))]
        }
    }
}

/// How many SSTables a read may have to merge that compaction should
/// reduce, counting compacting ones (reads still see them): size-tiered
/// and unified, the most SSTables covering one token; leveled, the L0
/// SSTables; time-window, the SSTables of the newest window.
pub fn stall_measure(options: &CompactionOptions, sstables: &[SstableInfo]) -> usize {
    match &options.strategy {
        Strategy::SizeTiered(_) | Strategy::Unified(_) => unified::max_overlap(sstables),
        Strategy::Leveled(_) => sstables.iter().filter(|s| s.level == 0).count(),
        Strategy::TimeWindow(o) => time_window::newest_window_count(o, sstables),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::options::{
        LeveledOptions, SizeTieredOptions, TimeWindowOptions, UnifiedOptions,
    };
    use crate::compaction::plan::test_support::sstable;

    const DAY: u64 = 86_400;

    fn ctx() -> Context {
        Context {
            now_seconds: 1_000_000,
            gc_before: 500_000,
            flush_bytes: 1 << 20,
        }
    }

    fn sst(id: u64, bytes: u64, first: i64, last: i64) -> SstableInfo {
        SstableInfo {
            min_timestamp: 1000 * id as i64,
            max_timestamp: 1000 * id as i64 + 999,
            partitions: 100,
            ..sstable(id, bytes, first, last)
        }
    }

    /// An SSTable that a tombstone compaction would like: old, 50% droppable.
    fn tombstoned(id: u64, bytes: u64, first: i64, last: i64) -> SstableInfo {
        SstableInfo {
            droppable_tombstone_ratio: 0.5,
            age_seconds: 2 * DAY,
            ..sst(id, bytes, first, last)
        }
    }

    /// An SSTable holding only purgeable deletions.
    fn expired(id: u64, first: i64, last: i64) -> SstableInfo {
        SstableInfo {
            max_local_deletion_time: 400_000,
            ..sst(id, 100, first, last)
        }
    }

    fn with(strategy: Strategy) -> CompactionOptions {
        CompactionOptions {
            strategy,
            ..CompactionOptions::default()
        }
    }

    fn leveled() -> CompactionOptions {
        with(Strategy::Leveled(LeveledOptions {
            sstable_bytes: 1000,
            ..LeveledOptions::default()
        }))
    }

    #[test]
    fn tombstone_task_respects_interval_and_threshold() {
        let o = CompactionOptions::default(); // 0.2, one day
        let young = SstableInfo {
            age_seconds: DAY - 1,
            ..tombstoned(1, 100, 0, 10)
        };
        assert_eq!(tombstone_task(&o, &[young], &ctx()), None, "too young");
        let few = SstableInfo {
            droppable_tombstone_ratio: 0.2,
            ..tombstoned(1, 100, 0, 10)
        };
        assert_eq!(tombstone_task(&o, &[few], &ctx()), None, "not above 0.2");
        let ripe = SstableInfo {
            age_seconds: DAY,
            ..tombstoned(1, 100, 0, 10)
        };
        let task = tombstone_task(&o, std::slice::from_ref(&ripe), &ctx()).expect("eligible");
        assert_eq!(task.inputs, vec![1]);
        let busy = SstableInfo {
            compacting: true,
            ..ripe
        };
        assert_eq!(tombstone_task(&o, &[busy], &ctx()), None, "compacting");
    }

    #[test]
    fn tombstone_task_checks_overlaps() {
        let o = CompactionOptions::default();
        // Fully covered by another SSTable: uncovered share 0.
        let all = vec![tombstoned(1, 100, 0, 99), sst(2, 100, -10, 200)];
        assert_eq!(tombstone_task(&o, &all, &ctx()), None);
        // Half covered: 0.5 × 0.5 = 0.25 > 0.2.
        let all = vec![tombstoned(1, 100, 0, 99), sst(2, 100, 50, 200)];
        assert_eq!(
            tombstone_task(&o, &all, &ctx()).expect("half free").inputs,
            vec![1]
        );
        // Three quarters covered, by two overlapping others: 0.125 < 0.2.
        let all = vec![
            tombstoned(1, 100, 0, 99),
            sst(2, 100, 25, 60),
            sst(3, 100, 50, 200),
        ];
        assert_eq!(tombstone_task(&o, &all, &ctx()), None);
    }

    #[test]
    fn tombstone_task_prefers_per_strategy() {
        let all = vec![
            tombstoned(1, 100, 0, 9),
            tombstoned(2, 300, 20, 29),
            tombstoned(3, 200, 40, 49),
        ];
        let stcs = CompactionOptions::default();
        assert_eq!(
            tombstone_task(&stcs, &all, &ctx()).expect("largest").inputs,
            vec![2]
        );
        let twcs = with(Strategy::TimeWindow(TimeWindowOptions::default()));
        assert_eq!(
            tombstone_task(&twcs, &all, &ctx())
                .expect("smallest")
                .inputs,
            vec![1]
        );
        let mut levelled = all.clone();
        levelled[0].level = 2;
        levelled[1].level = 1;
        levelled[2].level = 2;
        levelled[2].droppable_tombstone_ratio = 0.9;
        let task = tombstone_task(&leveled(), &levelled, &ctx()).expect("highest level");
        assert_eq!(task.inputs, vec![3]);
        assert_eq!(task.output_level, 2, "kept in its level");
        assert_eq!(task.max_output_bytes, 1000);
    }

    #[test]
    fn next_task_falls_back_to_tombstones_and_honours_enabled() {
        let o = CompactionOptions::default();
        let all = vec![tombstoned(1, 100, 0, 9)];
        assert_eq!(
            next_task(&o, &all, &ctx()).expect("tombstones").inputs,
            vec![1]
        );
        let four: Vec<SstableInfo> = (1..=4).map(|i| sst(i, 100, 0, 9)).collect();
        assert_eq!(
            next_task(&o, &four, &ctx()).expect("a bucket").inputs.len(),
            4
        );
        let off = CompactionOptions {
            enabled: false,
            ..CompactionOptions::default()
        };
        assert_eq!(next_task(&off, &four, &ctx()), None);
    }

    #[test]
    fn fully_expired_is_blocked_by_an_overlapping_older_sstable() {
        // 2 is expired (timestamps 2000..2999); 1 is older live data.
        let all = vec![sst(1, 100, 0, 100), expired(2, 50, 150)];
        assert_eq!(fully_expired(&all, &ctx(), i64::MAX), Vec::<u64>::new());
        // Not overlapping: no block.
        let all = vec![sst(1, 100, 0, 10), expired(2, 50, 150)];
        assert_eq!(fully_expired(&all, &ctx(), i64::MAX), vec![2]);
        // Overlapping but newer live data: no block.
        let all = vec![sst(3, 100, 0, 100), expired(2, 50, 150)];
        assert_eq!(fully_expired(&all, &ctx(), i64::MAX), vec![2]);
        // Overlapping older data that is itself expired: no block; both go.
        let all = vec![expired(1, 0, 100), expired(2, 50, 150)];
        assert_eq!(fully_expired(&all, &ctx(), i64::MAX), vec![1, 2]);
        // ... unless it is compacting: then it counts as live.
        let mut all = vec![expired(1, 0, 100), expired(2, 50, 150)];
        all[0].compacting = true;
        assert_eq!(fully_expired(&all, &ctx(), i64::MAX), Vec::<u64>::new());
    }

    #[test]
    fn fully_expired_is_blocked_by_the_memtables() {
        let all = vec![expired(2, 50, 150)]; // max timestamp 2999
        assert_eq!(fully_expired(&all, &ctx(), 2999), Vec::<u64>::new());
        assert_eq!(fully_expired(&all, &ctx(), 3000), vec![2]);
        let late = Context {
            gc_before: 400_000,
            ..ctx()
        };
        assert_eq!(
            fully_expired(&all, &late, i64::MAX),
            Vec::<u64>::new(),
            "not before gc_before"
        );
    }

    #[test]
    fn major_tasks_per_strategy() {
        let mut all: Vec<SstableInfo> = (1..=3).map(|i| sst(i, 600, 0, 100)).collect();
        let stcs = major_tasks(&CompactionOptions::default(), &all, &ctx());
        assert_eq!(stcs.len(), 1);
        assert_eq!(stcs[0].inputs, vec![1, 2, 3]);
        let lcs = major_tasks(&leveled(), &all, &ctx());
        assert_eq!(lcs[0].output_level, 1, "1800 bytes fit L1's 10 × 1000");
        assert_eq!(lcs[0].max_output_bytes, 1000);
        let ucs = major_tasks(
            &with(Strategy::Unified(UnifiedOptions::default())),
            &all,
            &ctx(),
        );
        assert_eq!(ucs[0].inputs, vec![1, 2, 3]);
        assert_eq!(ucs[0].max_output_bytes, u64::MAX);
        all[0].compacting = true;
        assert!(
            major_tasks(&leveled(), &all, &ctx()).is_empty(),
            "leveled waits"
        );
        let stcs = major_tasks(&CompactionOptions::default(), &all, &ctx());
        assert_eq!(
            stcs[0].inputs,
            vec![2, 3],
            "others skip compacting SSTables"
        );
        let twcs = major_tasks(
            &with(Strategy::TimeWindow(TimeWindowOptions::default())),
            &all,
            &ctx(),
        );
        assert_eq!(twcs.len(), 1, "all three share one day");
        assert_eq!(twcs[0].inputs, vec![2, 3]);
    }

    #[test]
    fn stall_measure_per_strategy() {
        let mut all = vec![
            sst(1, 10, 0, 100),
            sst(2, 10, 50, 150),
            sst(3, 10, 90, 95),
            sst(4, 10, 200, 300),
        ];
        let stcs = CompactionOptions::default();
        assert_eq!(stall_measure(&stcs, &all), 3, "tokens 90..=95");
        let ucs = with(Strategy::Unified(UnifiedOptions::default()));
        assert_eq!(stall_measure(&ucs, &all), 3);
        all[0].level = 1;
        assert_eq!(stall_measure(&leveled(), &all), 3);
        let twcs = with(Strategy::TimeWindow(TimeWindowOptions {
            window_seconds: 1,
            ..TimeWindowOptions::default()
        }));
        all[3].max_timestamp = 5_000_000; // alone in the newest second
        assert_eq!(stall_measure(&twcs, &all), 1);
        let stcs_tight = with(Strategy::SizeTiered(SizeTieredOptions::default()));
        assert_eq!(stall_measure(&stcs_tight, &[]), 0);
    }
}
