//! Unified selection (Cassandra 5.0's UnifiedCompactionStrategy, CEP-26).
//!
//! SSTables are placed in levels by density (bytes over the fraction of
//! the token space they cover). Level 0 holds densities below `m·f₀`, level
//! n those in `[m·f₀…fₙ₋₁, m·f₀…fₙ)`, where `m` is the flush size with some
//! leeway and `fᵢ` the fanout of level i's scaling parameter W (`2 − W` for
//! W < 0, `2 + W` for W > 0, 2 for W = 0). Within a level, SSTables are
//! split into overlap sets; once some key is covered by `t` SSTables (the
//! threshold: 2 for W ≤ 0, `2 + W` above) the bucket around it is merged.
//! Outputs are split at fixed, power-of-two-nested token boundaries whose
//! count grows with the output's density.

use std::collections::{BTreeMap, HashSet};

use super::options::UnifiedOptions;
use super::plan::{Context, SstableInfo, Task, TaskKind};

/// Coverage below this is taken as 1 (Cassandra's ShardManager): such
/// SSTables hold one or very few partitions, and density tiering and
/// sharding mean nothing for them.
pub const MIN_COVERAGE: f64 = 1.0 / 281_474_976_710_656.0; // 2^-48

/// The highest shard multiplier above the base count (2^20).
const MAX_SHARD_SHIFT: u32 = 20;

/// Flush size assumed until one is known (1 MiB).
const MIN_FLUSH_BYTES: u64 = 1 << 20;

/// Levels never reach this index (density is at most 2^112 and fanouts are
/// at least 2); a guard against a loop on bad input.
const LEVEL_GUARD: u32 = 256;

/// Fanout of a scaling parameter: `2 − W` below zero, `2 + W` above.
pub fn fanout(w: i32) -> usize {
    (2 + i64::from(w).abs()) as usize
}

/// Threshold of a scaling parameter: 2 for leveled (W ≤ 0), `2 + W` for
/// tiered.
pub fn threshold(w: i32) -> usize {
    if w <= 0 {
        2
    } else {
        fanout(w)
    }
}

/// The scaling parameter of level `index`; the last one given repeats
/// (`T4`, W = 2, when none is).
pub fn scaling_parameter(options: &UnifiedOptions, index: u32) -> i32 {
    let params = &options.scaling_parameters;
    params
        .get(index as usize)
        .or(params.last())
        .copied()
        .unwrap_or(2)
}

/// Fanout of level `index`.
fn level_fanout(options: &UnifiedOptions, index: u32) -> usize {
    fanout(scaling_parameter(options, index))
}

/// UCS density of an SSTable: bytes per fraction of the token space.
pub fn density(sstable: &SstableInfo) -> f64 {
    sstable.bytes as f64 / effective_coverage(sstable.coverage())
}

/// A coverage, with tiny ones taken as 1.
fn effective_coverage(coverage: f64) -> f64 {
    if coverage >= MIN_COVERAGE {
        coverage
    } else {
        1.0
    }
}

/// Density of what merging `sstables` produces: their total bytes over the
/// coverage of their combined token range.
pub fn combined_density(sstables: &[&SstableInfo]) -> f64 {
    let bytes: f64 = sstables.iter().map(|s| s.bytes as f64).sum();
    let first = sstables.iter().map(|s| s.first_token).min();
    let last = sstables.iter().map(|s| s.last_token).max();
    let span = match (first, last) {
        (Some(first), Some(last)) => (i128::from(last) - i128::from(first) + 1) as f64,
        _ => 1.0,
    };
    bytes / effective_coverage(span / 2f64.powi(64))
}

/// The level of a density (Controller's `getBaseSstableSize` and
/// `getMaxLevelDensity`): level 0 ends at `floor(m·f₀)` with
/// `m = max(flush, 1 MiB)·(1 − 0.9/f₀)`, and each next level ends at
/// `floor(end·fᵢ)`.
pub fn level_of(options: &UnifiedOptions, ctx: &Context, density: f64) -> u32 {
    let f0 = level_fanout(options, 0) as f64;
    let base = ctx.flush_bytes.max(MIN_FLUSH_BYTES) as f64 * (1.0 - 0.9 / f0);
    let mut end = (base * f0).floor();
    let mut index = 0;
    while density >= end && index < LEVEL_GUARD {
        index += 1;
        end = (end * level_fanout(options, index) as f64).floor();
    }
    index
}

/// Shards an output of `density` is split into (Controller's
/// `getNumShards`): 1 below `min_sstable_bytes`; below `min · b` the
/// largest power of two ≤ `density / min` (capped by the power-of-two
/// factor of b, so boundaries nest); otherwise
/// `b · 2^round((1 − λ) · log2(density / (t · b)))`, at least b and at most
/// `b · 2^20`.
///
/// ```
/// use ilion::compaction::unified::shard_count;
/// use ilion::compaction::UnifiedOptions;
/// let o = UnifiedOptions::default(); // b 4, t 1 GiB, min 100 MiB, λ 1/3
/// assert_eq!(shard_count(&o, 50.0 * 1048576.0), 1);
/// assert_eq!(shard_count(&o, 250.0 * 1048576.0), 2);
/// assert_eq!(shard_count(&o, 2.0 * 1073741824.0), 4);
/// assert_eq!(shard_count(&o, 256.0 * 1073741824.0), 64);
/// ```
pub fn shard_count(options: &UnifiedOptions, density: f64) -> u32 {
    let base = options.base_shard_count.max(1);
    if options.min_sstable_bytes > 0 {
        let count = density / options.min_sstable_bytes as f64;
        if count < f64::from(base) {
            // `as` saturates, and takes NaN to 0.
            let whole = count as u32 | 1;
            let power = 1u32 << (31 - whole.leading_zeros());
            return power.min(base & base.wrapping_neg());
        }
    }
    if options.sstable_growth >= 1.0 {
        return base;
    }
    let count = density / (options.target_sstable_bytes as f64 * f64::from(base));
    let exponent = count.log2() * (1.0 - options.sstable_growth) + 0.5;
    let shift = if exponent >= f64::from(MAX_SHARD_SHIFT) {
        MAX_SHARD_SHIFT
    } else if exponent >= 0.0 {
        exponent as u32
    } else {
        0 // also NaN
    };
    base.saturating_mul(1 << shift)
}

/// Interior boundaries splitting the sort-token space `i64::MIN ..=
/// i64::MAX` into `shards` equal parts, ascending (none for one shard).
/// For power-of-two counts, those of fewer shards are among those of more.
///
/// ```
/// use ilion::compaction::unified::boundaries;
/// assert_eq!(boundaries(4), vec![-(1 << 62), 0, 1 << 62]);
/// assert!(boundaries(1).is_empty());
/// ```
pub fn boundaries(shards: u32) -> Vec<i64> {
    let shards = i128::from(shards.max(1));
    (1..shards)
        .map(|i| (i128::from(i64::MIN) + (i << 64) / shards) as i64)
        .collect()
}

/// Shard boundaries for the output of merging `inputs`.
pub fn output_boundaries(options: &UnifiedOptions, inputs: &[&SstableInfo]) -> Vec<i64> {
    boundaries(shard_count(options, combined_density(inputs)))
}

/// A compaction chosen in a level.
struct Pick<'a> {
    level: u32,
    overlap: usize,
    sstables: Vec<&'a SstableInfo>,
}

/// The next background compaction: among the SSTables not compacting
/// (Cassandra leaves those out before forming levels), in each level whose
/// largest overlap reaches the threshold, the first bucket of that overlap
/// (Cassandra picks one at random); of those, the highest overlap wins, the
/// lowest level on ties. Output sharded by its density; `output_level` is
/// the level index, for information.
pub fn next_task(
    options: &UnifiedOptions,
    sstables: &[SstableInfo],
    ctx: &Context,
) -> Option<Task> {
    let best = levels(options, ctx, sstables)
        .into_iter()
        .filter_map(|(level, members)| level_pick(options, level, &members))
        .fold(None::<Pick>, |best, pick| match best {
            Some(b) if b.overlap >= pick.overlap => Some(b),
            _ => Some(pick),
        })?;
    Some(Task {
        kind: TaskKind::Merge,
        inputs: best.sstables.iter().map(|s| s.id).collect(),
        output_level: best.level,
        max_output_bytes: u64::MAX,
        shard_boundaries: output_boundaries(options, &best.sstables),
        reason: format!(
            "unified level {} overlap {}: {} SSTables",
            best.level,
            best.overlap,
            best.sstables.len()
        ),
    })
}

/// SSTables not compacting, by level (ascending).
fn levels<'a>(
    options: &UnifiedOptions,
    ctx: &Context,
    sstables: &'a [SstableInfo],
) -> BTreeMap<u32, Vec<&'a SstableInfo>> {
    let mut levels: BTreeMap<u32, Vec<&SstableInfo>> = BTreeMap::new();
    for sstable in sstables.iter().filter(|s| !s.compacting) {
        let level = level_of(options, ctx, density(sstable));
        levels.entry(level).or_default().push(sstable);
    }
    levels
}

/// The compaction of one level, if its largest overlap reaches the
/// threshold.
fn level_pick<'a>(
    options: &UnifiedOptions,
    level: u32,
    members: &[&'a SstableInfo],
) -> Option<Pick<'a>> {
    let sets = overlap_sets(members);
    let max_overlap = sets.iter().map(Vec::len).max()?;
    if max_overlap < threshold(scaling_parameter(options, level)) {
        return None;
    }
    let (start, end) = transitive_buckets(&sets, threshold(scaling_parameter(options, level)))
        .into_iter()
        .find(|&(start, end)| sets[start..end].iter().map(Vec::len).max() == Some(max_overlap))?;
    let sstables = bucket_pick(options, level, &sets[start..end], max_overlap);
    Some(Pick {
        level,
        overlap: max_overlap,
        sstables,
    })
}

/// Minimal overlap sets (Cassandra's `Overlaps.constructOverlapSets`): in
/// first-token order, the SSTables sharing some token; every point covered
/// by several SSTables has a set holding them all, and an SSTable appears
/// only in consecutive sets.
pub fn overlap_sets<'a>(sstables: &[&'a SstableInfo]) -> Vec<Vec<&'a SstableInfo>> {
    let mut items = sstables.to_vec();
    items.sort_by_key(|s| (s.first_token, s.id));
    let mut sets = Vec::new();
    let mut active: Vec<&SstableInfo> = Vec::new();
    for item in items {
        if active.iter().any(|a| a.last_token < item.first_token) {
            sets.push(active.clone());
            active.retain(|a| a.last_token >= item.first_token);
        }
        active.push(item);
    }
    if !active.is_empty() {
        sets.push(active);
    }
    sets
}

/// Buckets of overlap sets, as index ranges `[start, end)`
/// (`Overlaps.assignOverlapsIntoBuckets` with TRANSITIVE inclusion): each
/// set of at least `threshold` SSTables, extended both ways through the
/// neighbouring sets sharing an SSTable with what was gathered so far.
fn transitive_buckets(sets: &[Vec<&SstableInfo>], threshold: usize) -> Vec<(usize, usize)> {
    let mut buckets = Vec::new();
    let (mut floor, mut i) = (0, 0);
    while i < sets.len() {
        if sets[i].len() < threshold {
            i += 1;
            continue;
        }
        let mut gathered: HashSet<u64> = sets[i].iter().map(|s| s.id).collect();
        let mut start = i;
        while start > floor && shares(&sets[start - 1], &gathered) {
            start -= 1;
            gathered.extend(sets[start].iter().map(|s| s.id));
        }
        let mut end = i + 1;
        while end < sets.len() && shares(&sets[end], &gathered) {
            gathered.extend(sets[end].iter().map(|s| s.id));
            end += 1;
        }
        buckets.push((start, end));
        floor = end;
        i = end;
    }
    buckets
}

/// Whether a set holds an SSTable whose id is in `ids`.
fn shares(set: &[&SstableInfo], ids: &HashSet<u64>) -> bool {
    set.iter().any(|s| ids.contains(&s.id))
}

/// What to compact of a bucket (Cassandra's `constructPick`): all of it
/// when its overlap is at most the fanout, or somewhat late but within
/// `max_sstables_to_compact`; otherwise the oldest SSTables, keeping every
/// set's share within a limit (`max_sstables_to_compact`, or when very late
/// the count that would form a whole level, as compaction keeping up
/// would have).
fn bucket_pick<'a>(
    options: &UnifiedOptions,
    level: u32,
    sections: &[Vec<&'a SstableInfo>],
    overlap: usize,
) -> Vec<&'a SstableInfo> {
    let fan = level_fanout(options, level);
    let max = max_to_compact(options).max(fan);
    let limit = if overlap <= fan {
        usize::MAX
    } else if overlap <= fan.saturating_mul(level_fanout(options, level + 1)) || max == fan {
        max
    } else {
        pick_size(options, level, max.min(overlap))
    };
    oldest_within(sections, limit)
}

/// `max_sstables_to_compact`, 0 meaning no limit.
fn max_to_compact(options: &UnifiedOptions) -> usize {
    match options.max_sstables_to_compact {
        0 => usize::MAX,
        n => n,
    }
}

/// The size of a very late compaction (Cassandra's `selectPickSize`): the
/// largest product of successive fanouts within `limit`; for leveled
/// levels, the largest multiple of it within `limit`.
fn pick_size(options: &UnifiedOptions, level: u32, limit: usize) -> usize {
    let mut size = level_fanout(options, level);
    let mut index = level;
    let mut next = size;
    loop {
        size = next;
        index += 1;
        next = next.saturating_mul(level_fanout(options, index));
        if next > limit || index >= LEVEL_GUARD {
            break;
        }
    }
    if scaling_parameter(options, level) < 0 {
        size *= (limit / size).max(1);
    }
    size
}

/// The SSTables of `sections`, oldest first (by max timestamp), taken
/// while no section would hold more than `limit` of them (Cassandra's
/// `pullLastWithOverlapLimit`).
fn oldest_within<'a>(sections: &[Vec<&'a SstableInfo>], limit: usize) -> Vec<&'a SstableInfo> {
    let mut all: Vec<&SstableInfo> = Vec::new();
    for sstable in sections.iter().flatten() {
        if !all.iter().any(|a| a.id == sstable.id) {
            all.push(sstable);
        }
    }
    all.sort_by_key(|s| (s.max_timestamp, s.id));
    let mut taken = vec![0usize; sections.len()];
    let mut picked = Vec::new();
    for sstable in all {
        for (count, section) in taken.iter_mut().zip(sections) {
            if section.iter().any(|s| s.id == sstable.id) {
                *count += 1;
                if *count > limit {
                    return picked;
                }
            }
        }
        picked.push(sstable);
    }
    picked
}

/// Depth of the deepest overlap: the most SSTables covering one token.
pub fn max_overlap(sstables: &[SstableInfo]) -> usize {
    let refs: Vec<&SstableInfo> = sstables.iter().collect();
    overlap_sets(&refs).iter().map(Vec::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::plan::test_support::{sorted, sstable};

    const MIB: u64 = 1 << 20;
    const GIB: f64 = (1u64 << 30) as f64;

    fn ctx() -> Context {
        Context {
            now_seconds: 1_000_000,
            gc_before: 0,
            flush_bytes: 10 * MIB,
        }
    }

    fn t4() -> UnifiedOptions {
        UnifiedOptions::default()
    }

    fn with_w(w: &[i32]) -> UnifiedOptions {
        UnifiedOptions {
            scaling_parameters: w.to_vec(),
            ..UnifiedOptions::default()
        }
    }

    /// An SSTable over the whole token space (density = bytes).
    fn flush(id: u64, bytes: u64) -> SstableInfo {
        sst(id, bytes, i64::MIN, i64::MAX)
    }

    fn sst(id: u64, bytes: u64, first: i64, last: i64) -> SstableInfo {
        SstableInfo {
            partitions: 1000,
            ..sstable(id, bytes, first, last)
        }
    }

    #[test]
    fn fanout_and_threshold_follow_w() {
        assert_eq!((fanout(2), threshold(2)), (4, 4)); // T4
        assert_eq!((fanout(-8), threshold(-8)), (10, 2)); // L10
        assert_eq!((fanout(0), threshold(0)), (2, 2)); // N
        let o = with_w(&[-2, 0, 6]);
        assert_eq!(scaling_parameter(&o, 0), -2);
        assert_eq!(scaling_parameter(&o, 2), 6);
        assert_eq!(scaling_parameter(&o, 9), 6, "the last repeats");
        assert_eq!(scaling_parameter(&with_w(&[]), 3), 2);
    }

    #[test]
    fn shard_count_follows_the_documented_rule() {
        let o = t4(); // b 4, t 1 GiB, min 100 MiB, λ 1/3
        let mib = MIB as f64;
        assert_eq!(shard_count(&o, 0.0), 1);
        assert_eq!(shard_count(&o, 99.0 * mib), 1, "below min");
        assert_eq!(shard_count(&o, 150.0 * mib), 1);
        assert_eq!(
            shard_count(&o, 250.0 * mib),
            2,
            "largest power of two ≤ 2.5"
        );
        assert_eq!(shard_count(&o, 399.0 * mib), 2);
        assert_eq!(shard_count(&o, 400.0 * mib), 4, "min·b reached: b");
        assert_eq!(shard_count(&o, 4.0 * GIB), 4, "t·b: b");
        // (1 − 1/3)·log2(64) = 4 → b·2^4.
        assert_eq!(shard_count(&o, 256.0 * GIB), 64);
        // (2/3)·log2(8) = 2 → 16; (2/3)·log2(2) = 0.67 rounds to 1 → 8.
        assert_eq!(shard_count(&o, 32.0 * GIB), 16);
        assert_eq!(shard_count(&o, 8.0 * GIB), 8);
        let fixed = UnifiedOptions {
            sstable_growth: 1.0,
            ..t4()
        };
        assert_eq!(shard_count(&fixed, 1e6 * GIB), 4);
        let exact = UnifiedOptions {
            sstable_growth: 0.0,
            ..t4()
        };
        assert_eq!(shard_count(&exact, 32.0 * GIB), 32, "4·2^3");
        assert_eq!(shard_count(&exact, 1e30), 4 << 20, "capped");
        let odd = UnifiedOptions {
            base_shard_count: 6,
            ..t4()
        };
        assert_eq!(shard_count(&odd, 500.0 * mib), 2, "capped at 6's factor 2");
        let no_min = UnifiedOptions {
            min_sstable_bytes: 0,
            ..t4()
        };
        assert_eq!(shard_count(&no_min, 1.0), 4);
    }

    #[test]
    fn boundaries_split_the_token_space_equally_and_nest() {
        assert_eq!(boundaries(2), vec![0]);
        assert_eq!(boundaries(4), vec![-(1 << 62), 0, 1 << 62]);
        let b64 = boundaries(64);
        assert_eq!(b64.len(), 63);
        assert!(b64.windows(2).all(|w| w[0] < w[1]), "ascending");
        assert!(b64.windows(2).all(|w| w[1] - w[0] == 1 << 58), "equal");
        assert!(boundaries(8).iter().all(|b| b64.contains(b)), "nested");
        assert!(boundaries(0).is_empty() && boundaries(1).is_empty());
        let b3 = boundaries(3);
        assert_eq!(b3.len(), 2);
        assert!(b3[0] < b3[1]);
    }

    #[test]
    fn levels_follow_density() {
        let o = t4(); // f = 4: m = 10 MiB · 0.775, level 0 below 31 MiB
        let c = ctx();
        assert_eq!(level_of(&o, &c, 10.0 * MIB as f64), 0);
        assert_eq!(level_of(&o, &c, 30.0 * MIB as f64), 0);
        assert_eq!(level_of(&o, &c, 32.0 * MIB as f64), 1);
        assert_eq!(level_of(&o, &c, 100.0 * MIB as f64), 1);
        assert_eq!(level_of(&o, &c, 125.0 * MIB as f64), 2);
        // Unknown flush size: 1 MiB.
        let cold = Context {
            flush_bytes: 0,
            ..c
        };
        assert_eq!(level_of(&o, &cold, 3.0 * MIB as f64), 0);
        assert_eq!(level_of(&o, &cold, 4.0 * MIB as f64), 1);
        // Half the token space at 10 MiB is density 20 MiB.
        assert!((density(&sst(1, 10 * MIB, 0, i64::MAX)) - 20.0 * MIB as f64).abs() < 1.0);
        // A single-partition SSTable counts as covering everything.
        assert_eq!(density(&sst(1, 10 * MIB, 5, 5)), 10.0 * MIB as f64);
    }

    #[test]
    fn t4_compacts_four_overlapping_flushes() {
        let o = t4();
        let mut all: Vec<SstableInfo> = (1..=3).map(|i| flush(i, 10 * MIB)).collect();
        assert_eq!(next_task(&o, &all, &ctx()), None, "three of four");
        all.push(flush(4, 10 * MIB));
        let task = next_task(&o, &all, &ctx()).expect("four flushes");
        assert_eq!(task.inputs, vec![1, 2, 3, 4]);
        assert_eq!(task.output_level, 0);
        assert_eq!(task.max_output_bytes, u64::MAX);
        // 40 MiB of output: below min·b, so shards of ≥ 100 MiB: one.
        assert!(task.shard_boundaries.is_empty());
    }

    #[test]
    fn outputs_are_sharded_by_density() {
        let o = t4();
        let all: Vec<SstableInfo> = (1..=4).map(|i| flush(i, 2 << 30)).collect();
        let task = next_task(&o, &all, &ctx()).expect("four");
        // 8 GiB: (2/3)·log2(2) + 0.5 → 1 → 8 shards.
        assert_eq!(task.shard_boundaries, boundaries(8));
    }

    #[test]
    fn non_overlapping_sstables_do_not_count_towards_the_threshold() {
        let o = t4();
        // Four shards of one flush each: overlap 1 everywhere.
        let b = boundaries(4);
        let starts = [i64::MIN, b[0], b[1], b[2]];
        let ends = [b[0] - 1, b[1] - 1, b[2] - 1, i64::MAX];
        let all: Vec<SstableInfo> = (0..4)
            .map(|i| sst(i as u64 + 1, 2 * MIB, starts[i], ends[i]))
            .collect();
        assert_eq!(next_task(&o, &all, &ctx()), None);
        assert_eq!(max_overlap(&all), 1);
    }

    #[test]
    fn the_bucket_extends_through_transitive_overlaps() {
        let o = with_w(&[0]); // N: threshold 2, fanout 2
        let mib = MIB;
        // A–B overlap, B–C overlap, D alone. Densities stay in level 0:
        // each spans a quarter of the space with 1 MiB.
        let q = 1i64 << 62;
        let all = vec![
            sst(1, mib / 8, -2 * q, -q),
            sst(2, mib / 8, -q - 10, -10),
            sst(3, mib / 8, -20, q),
            sst(4, mib / 8, q + 1000, i64::MAX),
        ];
        let task = next_task(&o, &all, &ctx()).expect("overlap 2");
        assert_eq!(sorted(task.inputs), vec![1, 2, 3]);
    }

    #[test]
    fn l10_merges_each_new_flush_into_the_level() {
        let o = with_w(&[-8]);
        let c = ctx();
        // Two overlapping flushes: threshold 2, compacted at once.
        let all = vec![flush(1, 10 * MIB), flush(2, 10 * MIB)];
        let task = next_task(&o, &all, &c).expect("L10 threshold 2");
        assert_eq!(task.inputs, vec![1, 2]);
        // A level-1 run of disjoint SSTables and one flush: different
        // levels, one SSTable per key in each, nothing to do.
        let b = boundaries(4);
        let mut run: Vec<SstableInfo> = (0..2)
            .map(|i| sst(10 + i as u64, 100 * MIB, b[i], b[i + 1] - 1))
            .collect();
        assert_eq!(level_of(&o, &c, density(&run[0])), 1);
        run.push(flush(1, 10 * MIB));
        assert_eq!(next_task(&o, &run, &c), None);
        // A second flush makes two in level 0: merged, the run left alone.
        run.push(flush(2, 10 * MIB));
        let task = next_task(&o, &run, &c).expect("two flushes");
        assert_eq!(task.inputs, vec![1, 2]);
    }

    #[test]
    fn compacting_sstables_are_left_out() {
        let o = t4();
        let mut all: Vec<SstableInfo> = (1..=5).map(|i| flush(i, 10 * MIB)).collect();
        all[0].compacting = true;
        all[1].compacting = true;
        assert_eq!(next_task(&o, &all, &ctx()), None, "three free");
        all.push(flush(6, 10 * MIB));
        let task = next_task(&o, &all, &ctx()).expect("four free");
        assert_eq!(task.inputs, vec![3, 4, 5, 6]);
    }

    #[test]
    fn a_late_level_compacts_the_oldest_level_sized_group() {
        let o = t4();
        // 20 overlapping flushes: past f·f = 16, so a pick of 16 (the size
        // of a whole next level), the oldest by max timestamp.
        let mut all: Vec<SstableInfo> = (1..=20).map(|i| flush(i, 10 * MIB)).collect();
        for s in &mut all {
            s.max_timestamp = 100 - s.id as i64; // higher ids older
        }
        let task = next_task(&o, &all, &ctx()).expect("late");
        assert_eq!(sorted(task.inputs), (5..=20).collect::<Vec<u64>>());
        // 10 overlapping: within f·f, all of them.
        let ten: Vec<SstableInfo> = (1..=10).map(|i| flush(i, 10 * MIB)).collect();
        assert_eq!(next_task(&o, &ten, &ctx()).expect("ten").inputs.len(), 10);
        // A cap of 6 applies once past the fanout.
        let capped = UnifiedOptions {
            max_sstables_to_compact: 6,
            ..t4()
        };
        assert_eq!(
            next_task(&capped, &ten, &ctx()).expect("capped").inputs,
            vec![1, 2, 3, 4, 5, 6]
        );
    }

    #[test]
    fn the_highest_overlap_wins_and_the_lower_level_on_ties() {
        let o = t4();
        let c = ctx();
        // Level 0: 4 flushes; level 2: 5 SSTables of 200 MiB.
        let mut all: Vec<SstableInfo> = (1..=4).map(|i| flush(i, 10 * MIB)).collect();
        all.extend((11..=15).map(|i| flush(i, 200 * MIB)));
        assert_eq!(level_of(&o, &c, 200.0 * MIB as f64), 2);
        let task = next_task(&o, &all, &c).expect("overlap 5 beats 4");
        assert_eq!(task.output_level, 2);
        assert_eq!(task.inputs, vec![11, 12, 13, 14, 15]);
        all.pop();
        let task = next_task(&o, &all, &c).expect("a tie of 4");
        assert_eq!(task.output_level, 0);
    }

    #[test]
    fn overlap_sets_are_minimal() {
        // Cassandra's example: A[0,4) B[2,8) C[6,10) D[1,9) → ABD, BCD.
        let all = [
            sst(1, 1, 0, 3),
            sst(2, 1, 2, 7),
            sst(3, 1, 6, 9),
            sst(4, 1, 1, 8),
        ];
        let refs: Vec<&SstableInfo> = all.iter().collect();
        let sets: Vec<Vec<u64>> = overlap_sets(&refs)
            .into_iter()
            .map(|s| sorted(s.iter().map(|x| x.id).collect()))
            .collect();
        assert_eq!(sets, vec![vec![1, 2, 4], vec![2, 3, 4]]);
    }
}
