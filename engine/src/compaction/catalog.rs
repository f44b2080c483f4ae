//! Compaction options as the `system/tables` catalog stores them (format
//! version 2; docs/format.md).

use super::options::{
    CompactionOptions, LeveledOptions, SizeTieredOptions, Strategy, TimeWindowOptions,
    UnifiedOptions,
};
use crate::codec::{Decoder, Encoder};
use crate::error::Result;

fn usize_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Appends `options` to a catalog record.
pub(crate) fn encode(e: &mut Encoder, options: &CompactionOptions) {
    let tag = match &options.strategy {
        Strategy::SizeTiered(_) => 0,
        Strategy::Leveled(_) => 1,
        Strategy::TimeWindow(_) => 2,
        Strategy::Unified(_) => 3,
    };
    e.u8(tag);
    e.u8(u8::from(options.enabled));
    e.u64(options.tombstone_threshold.to_bits());
    e.u64(options.tombstone_compaction_interval_seconds);
    match &options.strategy {
        Strategy::SizeTiered(o) => {
            e.u32(usize_u32(o.min_threshold));
            e.u32(usize_u32(o.max_threshold));
            e.u64(o.bucket_low.to_bits());
            e.u64(o.bucket_high.to_bits());
            e.u64(o.min_sstable_bytes);
        }
        Strategy::Leveled(o) => {
            e.u64(o.sstable_bytes);
            e.u64(o.fanout);
            e.u32(usize_u32(o.l0_size_tiered_threshold));
            e.u32(usize_u32(o.max_threshold));
        }
        Strategy::TimeWindow(o) => {
            e.u64(o.window_seconds);
            e.u32(usize_u32(o.min_threshold));
            e.u32(usize_u32(o.max_threshold));
        }
        Strategy::Unified(o) => {
            e.u32(usize_u32(o.scaling_parameters.len()));
            for w in &o.scaling_parameters {
                e.u32(*w as u32);
            }
            e.u64(o.target_sstable_bytes);
            e.u32(o.base_shard_count);
            e.u64(o.min_sstable_bytes);
            e.u64(o.sstable_growth.to_bits());
            e.u32(usize_u32(o.max_sstables_to_compact));
        }
    }
}

/// Largest number of scaling parameters a record may list.
const MAX_SCALING_PARAMETERS: u32 = 64;

/// Reads options [`encode`] wrote.
pub(crate) fn decode(d: &mut Decoder<'_>) -> Result<CompactionOptions> {
    let tag = d.u8("compaction strategy")?;
    let enabled = match d.u8("compaction enabled")? {
        0 => false,
        1 => true,
        other => return Err(d.corrupt(format!("compaction enabled {other}"))),
    };
    let tombstone_threshold = f64::from_bits(d.u64("tombstone threshold")?);
    let tombstone_compaction_interval_seconds = d.u64("tombstone compaction interval")?;
    let strategy = match tag {
        0 => Strategy::SizeTiered(SizeTieredOptions {
            min_threshold: d.u32("min threshold")? as usize,
            max_threshold: d.u32("max threshold")? as usize,
            bucket_low: f64::from_bits(d.u64("bucket low")?),
            bucket_high: f64::from_bits(d.u64("bucket high")?),
            min_sstable_bytes: d.u64("min SSTable size")?,
        }),
        1 => Strategy::Leveled(LeveledOptions {
            sstable_bytes: d.u64("SSTable size")?,
            fanout: d.u64("fanout")?,
            l0_size_tiered_threshold: d.u32("L0 size-tiered threshold")? as usize,
            max_threshold: d.u32("max threshold")? as usize,
        }),
        2 => Strategy::TimeWindow(TimeWindowOptions {
            window_seconds: d.u64("window")?,
            min_threshold: d.u32("min threshold")? as usize,
            max_threshold: d.u32("max threshold")? as usize,
        }),
        3 => {
            let count = d.u32("scaling parameter count")?;
            if count > MAX_SCALING_PARAMETERS {
                return Err(d.corrupt(format!("{count} scaling parameters")));
            }
            let mut scaling_parameters = Vec::with_capacity(count as usize);
            for _ in 0..count {
                scaling_parameters.push(d.u32("scaling parameter")? as i32);
            }
            Strategy::Unified(UnifiedOptions {
                scaling_parameters,
                target_sstable_bytes: d.u64("target SSTable size")?,
                base_shard_count: d.u32("base shard count")?,
                min_sstable_bytes: d.u64("min SSTable size")?,
                sstable_growth: f64::from_bits(d.u64("SSTable growth")?),
                max_sstables_to_compact: d.u32("max SSTables to compact")? as usize,
            })
        }
        other => return Err(d.corrupt(format!("compaction strategy {other}"))),
    };
    let options = CompactionOptions {
        strategy,
        enabled,
        tombstone_threshold,
        tombstone_compaction_interval_seconds,
    };
    options
        .validate()
        .map_err(|e| d.corrupt(format!("compaction options: {e}")))?;
    Ok(options)
}
