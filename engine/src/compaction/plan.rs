//! What strategies decide from: a description of each live SSTable, and
//! the task they choose. Strategies are pure functions of these, so that
//! they are tested without files.

/// What a strategy knows of one live SSTable.
#[derive(Debug, Clone, PartialEq)]
pub struct SstableInfo {
    /// Its generation: unique within the table.
    pub id: u64,
    /// Bytes on disk, all components.
    pub bytes: u64,
    /// Sort token of its first partition (the partitioner's `sort_token`).
    pub first_token: i64,
    /// Sort token of its last partition (inclusive).
    pub last_token: i64,
    /// Smallest write timestamp (µs).
    pub min_timestamp: i64,
    /// Largest write timestamp (µs).
    pub max_timestamp: i64,
    /// Largest local deletion time (s); `i64::MAX` when it holds data that
    /// never expires.
    pub max_local_deletion_time: i64,
    /// Leveled level (0 for flushed SSTables; outputs record theirs).
    pub level: u32,
    /// Estimated fraction of its cells that are tombstones purgeable at
    /// the context's `gc_before`.
    pub droppable_tombstone_ratio: f64,
    /// Seconds since it joined the table's live set.
    pub age_seconds: u64,
    /// Partitions it holds.
    pub partitions: u64,
    /// Whether a running compaction holds it (strategies must not pick it,
    /// and must not pick a set whose output would clash with it).
    pub compacting: bool,
}

impl SstableInfo {
    /// Whether the token ranges of `self` and `other` intersect.
    pub fn overlaps(&self, other: &SstableInfo) -> bool {
        self.first_token <= other.last_token && other.first_token <= self.last_token
    }

    /// Fraction of the 64-bit sort-token space it spans, in (0, 1]
    /// (UCS density = bytes / coverage).
    pub fn coverage(&self) -> f64 {
        let span = (self.last_token as i128 - self.first_token as i128 + 1) as f64;
        (span / 2f64.powi(64)).clamp(f64::MIN_POSITIVE, 1.0)
    }
}

/// The moment a strategy decides in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Context {
    /// Now, in seconds since the epoch.
    pub now_seconds: i64,
    /// Now minus gc_grace: tombstones older than this may be purged.
    pub gc_before: i64,
    /// Typical size of a flushed SSTable (UCS's `m`), bytes.
    pub flush_bytes: u64,
}

/// What a task does with its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// Merges them into new SSTables (a strategy's choice, a major or a
    /// user-defined compaction).
    Merge,
    /// Rewrites one SSTable alone to purge its droppable tombstones.
    Tombstone,
    /// Deletes fully expired SSTables without reading them.
    DropExpired,
}

/// A compaction a strategy asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// What it does with its inputs.
    pub kind: TaskKind,
    /// Generations of the SSTables merged (never empty).
    pub inputs: Vec<u64>,
    /// Level recorded in the outputs.
    pub output_level: u32,
    /// An output SSTable ends once it passes this size (`u64::MAX`: one
    /// output).
    pub max_output_bytes: u64,
    /// Sort tokens at which an output SSTable ends and the next begins
    /// (UCS shards; empty for none), ascending. An output holds partitions
    /// with `boundary[i-1] <= sort_token < boundary[i]`.
    pub shard_boundaries: Vec<i64>,
    /// Why (for logs and stats), e.g. "size-tiered bucket of 4".
    pub reason: String,
}

/// Fixtures the strategies' tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use super::SstableInfo;

    /// A level-0 SSTable over the tokens `first..=last`, both its
    /// timestamps `id`, holding 10 partitions of data that never expires
    /// and no tombstones, just added and not compacting; tests override
    /// the fields they vary.
    pub(crate) fn sstable(id: u64, bytes: u64, first: i64, last: i64) -> SstableInfo {
        SstableInfo {
            id,
            bytes,
            first_token: first,
            last_token: last,
            min_timestamp: id as i64,
            max_timestamp: id as i64,
            max_local_deletion_time: i64::MAX,
            level: 0,
            droppable_tombstone_ratio: 0.0,
            age_seconds: 0,
            partitions: 10,
            compacting: false,
        }
    }

    /// `ids` in ascending order.
    pub(crate) fn sorted(mut ids: Vec<u64>) -> Vec<u64> {
        ids.sort_unstable();
        ids
    }
}
