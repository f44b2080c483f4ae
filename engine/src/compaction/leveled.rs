//! Leveled selection (Cassandra's LeveledCompactionStrategy and
//! LeveledManifest): level 0 takes flushes, which may overlap; each level
//! n ≥ 1 is a run of non-overlapping SSTables of about `sstable_bytes`
//! holding up to `fanout`ⁿ × `sstable_bytes`. A level over its capacity
//! sends one SSTable, with every SSTable of the next level it overlaps,
//! into the next level.
//!
//! Concurrent compactions must not break the no-overlap invariant of
//! levels ≥ 1, so a task is never started when an SSTable of its target
//! level that overlaps its inputs is compacting, and L0 → L1 never starts
//! while another compaction holds an L0 SSTable.

use std::collections::{BTreeMap, HashSet};

use super::options::{LeveledOptions, SizeTieredOptions};
use super::plan::{Context, SstableInfo, Task, TaskKind};
use super::size_tiered;

/// A level is compacted once its bytes exceed its capacity by this factor.
pub const SCORE_THRESHOLD: f64 = 1.001;

/// The highest level (Cassandra keeps 9 levels, L0–L8, and never compacts
/// out of the last).
pub const MAX_LEVEL: u32 = 8;

/// Bytes a level holds before it is compacted into the next: 4 SSTables
/// for L0, `fanout`ⁿ SSTables for Ln (saturating).
pub fn capacity(options: &LeveledOptions, level: u32) -> u64 {
    if level == 0 {
        return options.sstable_bytes.saturating_mul(4);
    }
    options
        .fanout
        .max(1)
        .checked_pow(level)
        .and_then(|n| n.checked_mul(options.sstable_bytes))
        .unwrap_or(u64::MAX)
}

/// Number of SSTables per level, indexed by level (empty when there are
/// none).
pub fn level_counts(sstables: &[SstableInfo]) -> Vec<usize> {
    let top = sstables.iter().map(|s| s.level as usize).max();
    let mut counts = vec![0; top.map_or(0, |t| t + 1)];
    for sstable in sstables {
        counts[sstable.level as usize] += 1;
    }
    counts
}

/// A level's score: bytes of its SSTables not already compacting over its
/// capacity (Cassandra leaves compacting bytes out, so a level being
/// drained is not picked again).
pub fn score(options: &LeveledOptions, sstables: &[SstableInfo], level: u32) -> f64 {
    let bytes: u128 = in_level(sstables, level)
        .filter(|s| !s.compacting)
        .map(|s| u128::from(s.bytes))
        .sum();
    bytes as f64 / capacity(options, level).max(1) as f64
}

/// The lowest level ≥ 1 whose capacity holds `total_bytes` (where a major
/// compaction puts its output), at most [`MAX_LEVEL`].
pub fn major_output_level(options: &LeveledOptions, total_bytes: u64) -> u32 {
    (1..=MAX_LEVEL)
        .find(|&level| capacity(options, level) >= total_bytes)
        .unwrap_or(MAX_LEVEL)
}

/// Checks the leveled invariant: no two SSTables of the same level ≥ 1
/// overlap. The error names the level and the two SSTables.
pub fn check_levels(sstables: &[SstableInfo]) -> Result<(), String> {
    let mut levels: BTreeMap<u32, Vec<&SstableInfo>> = BTreeMap::new();
    for sstable in sstables.iter().filter(|s| s.level > 0) {
        levels.entry(sstable.level).or_default().push(sstable);
    }
    for (level, mut run) in levels {
        run.sort_by_key(|s| (s.first_token, s.last_token, s.id));
        for pair in run.windows(2) {
            if pair[1].first_token <= pair[0].last_token {
                return Err(format!(
                    "L{level}: SSTables {} and {} overlap",
                    pair[0].id, pair[1].id
                ));
            }
        }
    }
    Ok(())
}

/// The next background compaction, as Cassandra's
/// `getCompactionCandidates`: levels from the top down, the first scoring
/// over [`SCORE_THRESHOLD`] sends one SSTable into the next level, unless
/// L0 is so far behind (more than `l0_size_tiered_threshold` SSTables) that
/// a size-tiered compaction within L0 goes first. With every level ≥ 1
/// content, L0 is compacted into L1 (or, below one SSTable's worth, within
/// L0); failing that, size-tiered within L0 if it is behind.
pub fn next_task(
    options: &LeveledOptions,
    sstables: &[SstableInfo],
    _ctx: &Context,
) -> Option<Task> {
    let top = sstables.iter().map(|s| s.level).max()?.min(MAX_LEVEL);
    for level in (1..top.saturating_add(1)).rev() {
        if level == MAX_LEVEL || score(options, sstables, level) <= SCORE_THRESHOLD {
            continue;
        }
        if let Some(task) = size_tiered_in_l0(options, sstables) {
            return Some(task);
        }
        if let Some(task) = promote_one(options, sstables, level) {
            return Some(task);
        }
    }
    l0_task(options, sstables).or_else(|| size_tiered_in_l0(options, sstables))
}

/// SSTables of one level.
fn in_level(sstables: &[SstableInfo], level: u32) -> impl Iterator<Item = &SstableInfo> {
    sstables.iter().filter(move |s| s.level == level)
}

/// The smallest token range holding all of `sstables` (`None` if empty).
pub(crate) fn hull<'a>(sstables: impl IntoIterator<Item = &'a SstableInfo>) -> Option<(i64, i64)> {
    sstables.into_iter().fold(None, |acc, s| match acc {
        None => Some((s.first_token, s.last_token)),
        Some((first, last)) => Some((first.min(s.first_token), last.max(s.last_token))),
    })
}

/// Whether an SSTable intersects the inclusive token range `range`.
fn touches(sstable: &SstableInfo, range: (i64, i64)) -> bool {
    sstable.first_token <= range.1 && range.0 <= sstable.last_token
}

/// A size-tiered compaction within L0 when it holds more than
/// `l0_size_tiered_threshold` SSTables (compacting ones counted, as
/// Cassandra does); one output, staying in L0.
fn size_tiered_in_l0(options: &LeveledOptions, sstables: &[SstableInfo]) -> Option<Task> {
    if in_level(sstables, 0).count() <= options.l0_size_tiered_threshold {
        return None;
    }
    let free: Vec<&SstableInfo> = in_level(sstables, 0).filter(|s| !s.compacting).collect();
    let stcs = SizeTieredOptions {
        max_threshold: options.max_threshold,
        ..SizeTieredOptions::default()
    };
    let bucket = size_tiered::most_interesting(&stcs, &free)?;
    Some(task(&bucket, 0, u64::MAX, "size-tiered within L0"))
}

/// Sends one SSTable of `level` into the next level with the SSTables
/// there it overlaps: the free one with the smallest first token whose
/// overlaps are all free (Cassandra walks round-robin from the last
/// compacted key, which needs state a pure function lacks).
fn promote_one(options: &LeveledOptions, sstables: &[SstableInfo], level: u32) -> Option<Task> {
    let next: Vec<&SstableInfo> = in_level(sstables, level + 1).collect();
    let mut here: Vec<&SstableInfo> = in_level(sstables, level)
        .filter(|s| !s.compacting)
        .collect();
    here.sort_by_key(|s| (s.first_token, s.id));
    here.into_iter().find_map(|sstable| {
        let overlaps: Vec<&SstableInfo> = next
            .iter()
            .copied()
            .filter(|n| n.overlaps(sstable))
            .collect();
        if overlaps.iter().any(|n| n.compacting) {
            return None;
        }
        let inputs: Vec<&SstableInfo> = std::iter::once(sstable).chain(overlaps).collect();
        let reason = format!("L{level} over capacity");
        Some(task(&inputs, level + 1, options.sstable_bytes, &reason))
    })
}

/// The L0 compaction of Cassandra's `getCandidatesFor(0)`: L0 SSTables
/// oldest first (by max timestamp), each with the L0 SSTables it overlaps,
/// skipping any group touching a compacting L0 SSTable, at most
/// `max_threshold` (the oldest kept). Below one SSTable's worth the output
/// stays in L0; otherwise it goes to L1 with every L1 SSTable overlapping
/// the candidates' range.
fn l0_task(options: &LeveledOptions, sstables: &[SstableInfo]) -> Option<Task> {
    let candidates = l0_candidates(options, sstables);
    let total: u64 = candidates
        .iter()
        .fold(0u64, |t, s| t.saturating_add(s.bytes));
    let (inputs, level) = if total >= options.sstable_bytes {
        (with_l1_overlaps(sstables, candidates)?, 1)
    } else {
        (candidates, 0)
    };
    // Merging one SSTable with nothing in L0 would only rewrite it; into
    // L1 it goes alone (split at the SSTable size), as Cassandra moves a
    // lone L0 SSTable up.
    if inputs.is_empty() || (level == 0 && inputs.len() < 2) {
        return None;
    }
    Some(task(&inputs, level, options.sstable_bytes, "L0 compaction"))
}

/// L0 candidates, oldest first, as described at [`l0_task`].
fn l0_candidates<'a>(
    options: &LeveledOptions,
    sstables: &'a [SstableInfo],
) -> Vec<&'a SstableInfo> {
    let max = options.max_threshold.max(2);
    let busy = hull(in_level(sstables, 0).filter(|s| s.compacting));
    let mut remaining: Vec<&SstableInfo> = in_level(sstables, 0).collect();
    remaining.sort_by_key(|s| (s.max_timestamp, s.id));
    let by_age = remaining.clone();
    let mut chosen: Vec<&SstableInfo> = Vec::new();
    for sstable in by_age {
        if chosen.iter().any(|c| c.id == sstable.id) {
            continue;
        }
        let overlapping = remaining
            .iter()
            .copied()
            .filter(|r| r.id != sstable.id && r.overlaps(sstable));
        let group: Vec<&SstableInfo> = std::iter::once(sstable).chain(overlapping).collect();
        if group.iter().any(|g| g.compacting) {
            continue;
        }
        let ids: HashSet<u64> = group.iter().map(|g| g.id).collect();
        for member in &group {
            let clear = busy.is_none_or(|range| !touches(member, range));
            if clear && !chosen.iter().any(|c| c.id == member.id) {
                chosen.push(member);
            }
        }
        remaining.retain(|r| !ids.contains(&r.id));
        if chosen.len() > max {
            chosen.sort_by_key(|s| (s.max_timestamp, s.id));
            chosen.truncate(max);
            break;
        }
    }
    chosen
}

/// The L0 candidates plus every L1 SSTable overlapping their range; `None`
/// when any of those is compacting or another compaction holds an L0
/// SSTable (its output could land in L1 across ours).
fn with_l1_overlaps<'a>(
    sstables: &'a [SstableInfo],
    mut candidates: Vec<&'a SstableInfo>,
) -> Option<Vec<&'a SstableInfo>> {
    if in_level(sstables, 0).any(|s| s.compacting) {
        return None;
    }
    let range = hull(candidates.iter().copied())?;
    let l1: Vec<&SstableInfo> = in_level(sstables, 1)
        .filter(|s| touches(s, range))
        .collect();
    if l1.iter().any(|s| s.compacting) {
        return None;
    }
    candidates.extend(l1);
    Some(candidates)
}

/// A task merging `inputs` into `level`.
fn task(inputs: &[&SstableInfo], level: u32, max_output_bytes: u64, reason: &str) -> Task {
    Task {
        kind: TaskKind::Merge,
        inputs: inputs.iter().map(|s| s.id).collect(),
        output_level: level,
        max_output_bytes,
        shard_boundaries: Vec::new(),
        reason: format!("{reason}: {} SSTables into L{level}", inputs.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::plan::test_support::{sorted, sstable};

    fn options() -> LeveledOptions {
        LeveledOptions {
            sstable_bytes: 1000,
            fanout: 10,
            l0_size_tiered_threshold: 32,
            max_threshold: 32,
        }
    }

    fn ctx() -> Context {
        Context {
            now_seconds: 1_000_000,
            gc_before: 0,
            flush_bytes: 1000,
        }
    }

    fn sst(id: u64, level: u32, bytes: u64, first: i64, last: i64) -> SstableInfo {
        SstableInfo {
            level,
            ..sstable(id, bytes, first, last)
        }
    }

    /// A level of `count` disjoint SSTables of `bytes` each, ids from
    /// `first_id`, tokens in slices of 1000 from `start`.
    fn run(first_id: u64, level: u32, count: u64, bytes: u64, start: i64) -> Vec<SstableInfo> {
        (0..count)
            .map(|i| {
                let first = start + 1000 * i as i64;
                sst(first_id + i, level, bytes, first, first + 999)
            })
            .collect()
    }

    #[test]
    fn capacities_follow_the_fanout() {
        let o = options();
        assert_eq!(capacity(&o, 0), 4000);
        assert_eq!(capacity(&o, 1), 10_000);
        assert_eq!(capacity(&o, 2), 100_000);
        assert_eq!(capacity(&o, 30), u64::MAX);
        assert_eq!(major_output_level(&o, 10_000), 1);
        assert_eq!(major_output_level(&o, 10_001), 2);
        assert_eq!(major_output_level(&o, u64::MAX), MAX_LEVEL);
    }

    #[test]
    fn scores_leave_compacting_bytes_out() {
        let o = options();
        let mut all = run(1, 1, 11, 1000, 0);
        assert!((score(&o, &all, 1) - 1.1).abs() < 1e-9);
        all[0].compacting = true;
        assert!((score(&o, &all, 1) - 1.0).abs() < 1e-9);
        assert_eq!(level_counts(&all), vec![0, 11]);
    }

    #[test]
    fn the_highest_level_over_capacity_goes_first() {
        let o = options();
        let mut all = run(1, 1, 11, 1000, 0); // L1 at 1.1
        all.extend(run(100, 2, 101, 1000, 0)); // L2 at 1.01
        let task = next_task(&o, &all, &ctx()).expect("a promotion");
        assert_eq!(task.output_level, 3);
        assert_eq!(task.inputs, vec![100], "the smallest first token of L2");
        assert_eq!(task.max_output_bytes, 1000);
    }

    #[test]
    fn a_promotion_takes_every_overlapping_sstable_of_the_next_level() {
        let o = options();
        let mut all = vec![sst(1, 1, 20_000, 0, 100)];
        all.push(sst(2, 2, 10, -50, 10));
        all.push(sst(3, 2, 10, 20, 30));
        all.push(sst(4, 2, 10, 100, 150));
        all.push(sst(5, 2, 10, 200, 300));
        let task = next_task(&o, &all, &ctx()).expect("L1 is over");
        assert_eq!(task.output_level, 2);
        assert_eq!(sorted(task.inputs), vec![1, 2, 3, 4]);
    }

    #[test]
    fn a_promotion_skips_sstables_whose_overlaps_are_compacting() {
        let o = options();
        let mut all = vec![sst(1, 1, 6000, 0, 100), sst(2, 1, 6000, 200, 300)];
        all.push(sst(3, 2, 10, 50, 60));
        all.push(sst(4, 2, 10, 250, 260));
        all[2].compacting = true;
        let task = next_task(&o, &all, &ctx()).expect("the second is free");
        assert_eq!(sorted(task.inputs), vec![2, 4]);
        all[3].compacting = true;
        assert_eq!(next_task(&o, &all, &ctx()), None);
    }

    #[test]
    fn small_l0_sstables_are_merged_within_l0() {
        let o = options();
        let mut all = vec![sst(1, 0, 100, 0, 500), sst(2, 0, 100, 400, 900)];
        all.push(sst(3, 1, 1000, 0, 999));
        let task = next_task(&o, &all, &ctx()).expect("two L0 SSTables");
        assert_eq!(task.output_level, 0);
        assert_eq!(task.inputs, vec![1, 2], "oldest first, L1 left alone");
        let single = vec![sst(1, 0, 100, 0, 500), sst(3, 1, 1000, 0, 999)];
        assert_eq!(next_task(&o, &single, &ctx()), None);
    }

    #[test]
    fn l0_goes_to_l1_with_the_overlapping_l1_sstables() {
        let o = options();
        let mut all = vec![sst(10, 0, 600, 0, 1500), sst(11, 0, 600, 1200, 2500)];
        all.extend(run(1, 1, 4, 1000, 0)); // [0,999] .. [3000,3999]
        let task = next_task(&o, &all, &ctx()).expect("L0 has a full SSTable");
        assert_eq!(task.output_level, 1);
        assert_eq!(sorted(task.inputs), vec![1, 2, 3, 10, 11]);
    }

    #[test]
    fn l0_to_l1_waits_while_another_compaction_holds_l0_or_the_l1_overlaps() {
        let o = options();
        let mut all = vec![sst(10, 0, 600, 0, 500), sst(11, 0, 600, 100, 900)];
        all.push(sst(12, 0, 600, 5000, 6000));
        all.push(sst(13, 0, 600, 5500, 6500));
        all.extend(run(1, 1, 2, 1000, 0));
        all[2].compacting = true;
        all[3].compacting = true;
        // 10 and 11 would make a full SSTable, but 12 and 13 are compacting.
        assert_eq!(next_task(&o, &all, &ctx()), None);
        all[2].compacting = false;
        all[3].compacting = false;
        all[4].compacting = true; // L1 [0, 999]
        let task = next_task(&o, &all, &ctx());
        assert_eq!(task, None, "an L1 overlap of the candidates is busy");
    }

    #[test]
    fn l0_candidates_are_capped_at_max_threshold_oldest_first() {
        let o = LeveledOptions {
            max_threshold: 4,
            ..options()
        };
        let all: Vec<SstableInfo> = (1..=6).map(|i| sst(i, 0, 100, 0, 100)).collect();
        let task = next_task(&o, &all, &ctx()).expect("L0 work");
        assert_eq!(task.inputs, vec![1, 2, 3, 4]);
    }

    #[test]
    fn l0_far_behind_is_size_tiered_first() {
        let o = options();
        let mut all: Vec<SstableInfo> = (1..=33).map(|i| sst(i, 0, 50, 0, 100)).collect();
        all.extend(run(100, 1, 11, 1000, 1000)); // L1 over capacity
        let task = next_task(&o, &all, &ctx()).expect("STCS in L0");
        assert_eq!(task.output_level, 0);
        assert_eq!(task.max_output_bytes, u64::MAX);
        assert_eq!(task.inputs, (1..=32).collect::<Vec<u64>>());
        // At the threshold itself, the over-full L1 goes first.
        all.remove(0);
        let task = next_task(&o, &all, &ctx()).expect("promotion");
        assert_eq!(task.output_level, 2);
    }

    #[test]
    fn check_levels_catches_an_overlap() {
        let mut all = run(1, 1, 3, 1000, 0);
        all.push(sst(9, 0, 10, 0, 5000)); // L0 may overlap
        assert_eq!(check_levels(&all), Ok(()));
        all.push(sst(7, 1, 10, 1999, 2100));
        assert_eq!(
            check_levels(&all),
            Err("L1: SSTables 2 and 7 overlap".to_string())
        );
    }

    /// A tiny deterministic generator (xorshift), so the simulation needs
    /// no seeding crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// The outputs of a task: its inputs' bytes over their token range,
    /// split evenly into pieces of at most `max_output_bytes`.
    fn outputs(task: &Task, inputs: &[SstableInfo], next_id: &mut u64) -> Vec<SstableInfo> {
        let bytes: u64 = inputs.iter().map(|s| s.bytes).sum();
        let (first, last) = hull(inputs).expect("inputs");
        let pieces = bytes.div_ceil(task.max_output_bytes).max(1) as i128;
        let span = i128::from(last) - i128::from(first) + 1;
        let pieces = pieces.min(span);
        let max_ts = inputs
            .iter()
            .map(|s| s.max_timestamp)
            .max()
            .expect("inputs");
        (0..pieces)
            .map(|i| {
                let lo = i128::from(first) + span * i / pieces;
                let hi = i128::from(first) + span * (i + 1) / pieces - 1;
                *next_id += 1;
                let mut out = sst(
                    *next_id,
                    task.output_level,
                    (bytes as i128 / pieces) as u64,
                    lo as i64,
                    hi as i64,
                );
                out.max_timestamp = max_ts;
                out
            })
            .collect()
    }

    /// Applies a finished task: inputs leave, outputs arrive.
    fn finish(live: &mut Vec<SstableInfo>, task: &Task, next_id: &mut u64) {
        let inputs: Vec<SstableInfo> = live
            .iter()
            .filter(|s| task.inputs.contains(&s.id))
            .cloned()
            .collect();
        assert_eq!(inputs.len(), task.inputs.len(), "every input is live");
        live.retain(|s| !task.inputs.contains(&s.id));
        live.extend(outputs(task, &inputs, next_id));
    }

    /// What the simulation saw of the tasks it started.
    #[derive(Default)]
    struct Seen {
        concurrent: usize,
        size_tiered_in_l0: usize,
        into_l1: usize,
        deeper: usize,
    }

    /// Starts tasks while fewer than `concurrency` run.
    fn start(
        o: &LeveledOptions,
        live: &mut [SstableInfo],
        running: &mut Vec<Task>,
        concurrency: usize,
        seen: &mut Seen,
    ) {
        while running.len() < concurrency {
            let Some(task) = next_task(o, live, &ctx()) else {
                break;
            };
            for s in live.iter_mut().filter(|s| task.inputs.contains(&s.id)) {
                assert!(!s.compacting, "a task took a compacting SSTable");
                s.compacting = true;
            }
            seen.concurrent += usize::from(!running.is_empty());
            seen.size_tiered_in_l0 += usize::from(task.reason.starts_with("size-tiered"));
            seen.into_l1 += usize::from(task.output_level == 1);
            seen.deeper += usize::from(task.output_level >= 2);
            running.push(task);
        }
    }

    #[test]
    fn simulation_keeps_levels_disjoint_and_l0_bounded() {
        let o = LeveledOptions {
            sstable_bytes: 1000,
            fanout: 4,
            l0_size_tiered_threshold: 8,
            max_threshold: 8,
        };
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let (mut live, mut running, mut next_id) = (Vec::new(), Vec::<Task>::new(), 0u64);
        // Largest L0 overall, and at the end of each catch-up phase.
        let (mut seen, mut max_l0, mut caught_up) = (Seen::default(), 0, 0);
        for flush in 0..600 {
            // A flush: a random range, sometimes narrow, sometimes wide.
            let width = 1 + rng.below(if flush % 3 == 0 { 1_000_000 } else { 50_000 }) as i64;
            let first = rng.below(1_000_000) as i64 - 500_000;
            next_id += 1;
            let mut flushed = sst(next_id, 0, 200 + rng.below(300), first, first + width);
            flushed.max_timestamp = flush;
            live.push(flushed);
            start(&o, &mut live, &mut running, 2, &mut seen);
            // Zero to two running tasks finish, in random order; while they
            // lag, flushes pile up in L0.
            let finishing = if flush % 50 < 10 { 0 } else { rng.below(3) };
            for _ in 0..finishing {
                if running.is_empty() {
                    break;
                }
                let task = running.remove(rng.below(running.len() as u64) as usize);
                finish(&mut live, &task, &mut next_id);
                check_levels(&live).unwrap_or_else(|e| panic!("after flush {flush}: {e}"));
                start(&o, &mut live, &mut running, 2, &mut seen);
            }
            let l0 = level_counts(&live).first().copied().unwrap_or(0);
            max_l0 = max_l0.max(l0);
            if flush % 50 == 49 {
                caught_up = caught_up.max(l0);
            }
        }
        assert!(max_l0 <= 40, "L0 grew to {max_l0}");
        assert!(
            caught_up <= 2 * o.l0_size_tiered_threshold,
            "L0 stayed at {caught_up}"
        );
        let counts = level_counts(&live);
        assert!(counts.len() >= 4, "data reached L3: {counts:?}");
        assert!(
            seen.concurrent > 0 && seen.size_tiered_in_l0 > 0,
            "paths exercised"
        );
        assert!(seen.into_l1 > 0 && seen.deeper > 0, "paths exercised");
    }
}
