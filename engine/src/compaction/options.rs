//! Per-table compaction settings: the strategy and its parameters, with
//! Cassandra's defaults.

/// How and when a table's SSTables are compacted.
///
/// ```
/// use ilion::compaction::{CompactionOptions, Strategy};
/// let options = CompactionOptions::default();
/// assert!(matches!(options.strategy, Strategy::SizeTiered(_)));
/// assert_eq!(options.tombstone_threshold, 0.2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CompactionOptions {
    /// The strategy that picks what to compact.
    pub strategy: Strategy,
    /// Whether background compactions run (`enabled`, true); a major
    /// compaction runs either way.
    pub enabled: bool,
    /// Estimated fraction of droppable tombstones above which one SSTable
    /// is compacted alone (0.2).
    pub tombstone_threshold: f64,
    /// Seconds an SSTable must have been live before a single-SSTable
    /// tombstone compaction may take it (86,400).
    pub tombstone_compaction_interval_seconds: u64,
}

impl Default for CompactionOptions {
    fn default() -> Self {
        CompactionOptions {
            strategy: Strategy::SizeTiered(SizeTieredOptions::default()),
            enabled: true,
            tombstone_threshold: 0.2,
            tombstone_compaction_interval_seconds: 86_400,
        }
    }
}

/// The compaction strategies.
#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    /// Cassandra's SizeTieredCompactionStrategy.
    SizeTiered(SizeTieredOptions),
    /// Cassandra's LeveledCompactionStrategy.
    Leveled(LeveledOptions),
    /// Cassandra's TimeWindowCompactionStrategy.
    TimeWindow(TimeWindowOptions),
    /// Cassandra 5.0's UnifiedCompactionStrategy.
    Unified(UnifiedOptions),
}

impl Strategy {
    /// Cassandra's class name for the strategy.
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::SizeTiered(_) => "SizeTieredCompactionStrategy",
            Strategy::Leveled(_) => "LeveledCompactionStrategy",
            Strategy::TimeWindow(_) => "TimeWindowCompactionStrategy",
            Strategy::Unified(_) => "UnifiedCompactionStrategy",
        }
    }
}

/// Size-tiered parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeTieredOptions {
    /// Fewest SSTables of a bucket compacted together (4).
    pub min_threshold: usize,
    /// Most SSTables compacted together (32).
    pub max_threshold: usize,
    /// An SSTable joins a bucket above this fraction of its mean size (0.5).
    pub bucket_low: f64,
    /// ... and below this multiple of it (1.5).
    pub bucket_high: f64,
    /// SSTables below this size share one bucket (50 MiB).
    pub min_sstable_bytes: u64,
}

impl Default for SizeTieredOptions {
    fn default() -> Self {
        SizeTieredOptions {
            min_threshold: 4,
            max_threshold: 32,
            bucket_low: 0.5,
            bucket_high: 1.5,
            min_sstable_bytes: 50 << 20,
        }
    }
}

/// Leveled parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct LeveledOptions {
    /// Target size of each SSTable (160 MiB).
    pub sstable_bytes: u64,
    /// Size ratio between levels (10).
    pub fanout: u64,
    /// L0 SSTables above which L0 is first compacted size-tiered (32).
    pub l0_size_tiered_threshold: usize,
    /// Most SSTables compacted together (32).
    pub max_threshold: usize,
}

impl Default for LeveledOptions {
    fn default() -> Self {
        LeveledOptions {
            sstable_bytes: 160 << 20,
            fanout: 10,
            l0_size_tiered_threshold: 32,
            max_threshold: 32,
        }
    }
}

/// Time-window parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeWindowOptions {
    /// Length of a window in seconds (unit × size: 1 day; see
    /// [`TimeWindowOptions::window`]).
    pub window_seconds: u64,
    /// Size-tiered minimum in the current window (4).
    pub min_threshold: usize,
    /// Most SSTables compacted together (32).
    pub max_threshold: usize,
}

/// The unit of a time window, as Cassandra's `compaction_window_unit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowUnit {
    /// 60 seconds.
    Minutes,
    /// 3,600 seconds.
    Hours,
    /// 86,400 seconds.
    Days,
}

impl TimeWindowOptions {
    /// Windows of `size` `unit`s (Cassandra's `compaction_window_unit`
    /// and `compaction_window_size`), other options at their defaults.
    ///
    /// ```
    /// use ilion::compaction::{TimeWindowOptions, WindowUnit};
    /// assert_eq!(TimeWindowOptions::window(WindowUnit::Hours, 6).window_seconds, 21_600);
    /// assert_eq!(TimeWindowOptions::window(WindowUnit::Days, 1), TimeWindowOptions::default());
    /// ```
    pub fn window(unit: WindowUnit, size: u64) -> TimeWindowOptions {
        let seconds = match unit {
            WindowUnit::Minutes => 60,
            WindowUnit::Hours => 3_600,
            WindowUnit::Days => 86_400,
        };
        TimeWindowOptions {
            window_seconds: size.saturating_mul(seconds),
            ..TimeWindowOptions::default()
        }
    }
}

impl Default for TimeWindowOptions {
    fn default() -> Self {
        TimeWindowOptions {
            window_seconds: 86_400,
            min_threshold: 4,
            max_threshold: 32,
        }
    }
}

/// Unified (UCS) parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct UnifiedOptions {
    /// Scaling parameter W per level, the last repeating (`T4` = 2):
    /// negative is leveled with fanout 2 − W, positive tiered with
    /// threshold 2 + W, zero both with 2.
    pub scaling_parameters: Vec<i32>,
    /// Target SSTable size (1 GiB).
    pub target_sstable_bytes: u64,
    /// Shards of the token space at the lowest density (4).
    pub base_shard_count: u32,
    /// Output below this size is not sharded (100 MiB).
    pub min_sstable_bytes: u64,
    /// How SSTable size grows with density, 0..=1 (1/3).
    pub sstable_growth: f64,
    /// Most SSTables compacted together (32; 0 = no limit).
    pub max_sstables_to_compact: usize,
}

impl Default for UnifiedOptions {
    fn default() -> Self {
        UnifiedOptions {
            scaling_parameters: vec![2],
            target_sstable_bytes: 1 << 30,
            base_shard_count: 4,
            min_sstable_bytes: 100 << 20,
            sstable_growth: 1.0 / 3.0,
            max_sstables_to_compact: 32,
        }
    }
}

impl CompactionOptions {
    /// Checks the options for values no strategy can work with.
    ///
    /// # Errors
    /// [`crate::Error::Invalid`] naming the option.
    ///
    /// ```
    /// use ilion::compaction::{CompactionOptions, SizeTieredOptions, Strategy};
    /// let mut options = CompactionOptions::default();
    /// assert!(options.validate().is_ok());
    /// options.strategy = Strategy::SizeTiered(SizeTieredOptions { min_threshold: 1, ..Default::default() });
    /// assert!(options.validate().is_err());
    /// ```
    pub fn validate(&self) -> crate::Result<()> {
        let invalid = |what: &str| Err(crate::Error::Invalid(format!("compaction option {what}")));
        if !(self.tombstone_threshold > 0.0 && self.tombstone_threshold.is_finite()) {
            return invalid("tombstone_threshold (above 0)");
        }
        let thresholds = |min: usize, max: usize| min >= 2 && max >= min;
        match &self.strategy {
            Strategy::SizeTiered(o) => {
                if !thresholds(o.min_threshold, o.max_threshold) {
                    return invalid("min_threshold / max_threshold (2 <= min <= max)");
                }
                if !(o.bucket_low > 0.0 && o.bucket_low < 1.0 && o.bucket_high > 1.0) {
                    return invalid("bucket_low / bucket_high (0 < low < 1 < high)");
                }
            }
            Strategy::Leveled(o) => {
                if o.sstable_bytes < 1 << 16 || o.fanout < 2 || o.max_threshold < 2 {
                    return invalid(
                        "sstable size (>= 64 KiB), fanout (>= 2) or max_threshold (>= 2)",
                    );
                }
            }
            Strategy::TimeWindow(o) => {
                if o.window_seconds == 0 || !thresholds(o.min_threshold, o.max_threshold) {
                    return invalid("window size (> 0) or thresholds (2 <= min <= max)");
                }
            }
            Strategy::Unified(o) => {
                if o.scaling_parameters.is_empty()
                    || o.scaling_parameters
                        .iter()
                        .any(|w| !(-1000..=1000).contains(w))
                    || o.target_sstable_bytes < 1 << 16
                    || o.base_shard_count == 0
                    || !o.base_shard_count.is_power_of_two()
                    || !(0.0..=1.0).contains(&o.sstable_growth)
                {
                    return invalid(
                        "scaling parameters, target size (>= 64 KiB), base shard count (a power of two) or growth (0..=1)",
                    );
                }
            }
        }
        Ok(())
    }
}
