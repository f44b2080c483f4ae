//! The checks `verify` adds where the big format stores no checksum:
//! Index.db, Summary.db and Filter.db against the data they describe, and
//! Statistics.db's counts and timestamps against the partitions read.
//! Each compares two things Cassandra wrote from the same partitions, so
//! a mismatch means one of them is damaged.

use ilion_sstable::clustering::{ClusteringBound, PrefixKind};
use ilion_sstable::index::{IndexEntry, IndexReader};
use ilion_sstable::reader::PositionedPartition;
use ilion_sstable::rows::Unfiltered;
use ilion_sstable::summary::Summary;
use std::path::Path;

/// Summary.db's samples and first and last keys against Index.db's
/// entries. Returns what is wrong, if anything.
pub fn summary_matches_index(summary: &Summary, index: &[u8], path: &Path) -> Result<(), String> {
    let mut reader = IndexReader::keys_only(index, path);
    let mut samples = summary.entries.iter().peekable();
    let (mut first, mut last) = (None, None);
    let mut entries = 0u64;
    while let Some(entry) = reader.next_key().map_err(|e| e.to_string())? {
        entries += 1;
        if first.is_none() {
            first = Some(entry.key.to_vec());
        }
        last = Some(entry.key.to_vec());
        if let Some((key, offset)) = samples.peek() {
            if *offset == entry.offset {
                if key.as_slice() != entry.key {
                    return Err(format!(
                        "the sample for Index.db offset {offset} names another key"
                    ));
                }
                samples.next();
            } else if *offset < entry.offset {
                return Err(format!(
                    "a sample points at Index.db offset {offset}, inside an entry"
                ));
            }
        }
    }
    if let Some((_, offset)) = samples.next() {
        return Err(format!(
            "a sample points past Index.db's entries ({offset})"
        ));
    }
    // One sample per `min_index_interval` entries at full sampling
    // (Cassandra's IndexSummaryBuilder), all of them kept at level 128.
    let interval = u64::try_from(summary.min_index_interval)
        .ok()
        .filter(|i| *i > 0)
        .ok_or("its min index interval is not positive")?;
    let full = entries.div_ceil(interval);
    if u64::try_from(summary.size_at_full_sampling).ok() != Some(full)
        || (summary.sampling_level == 128 && summary.entries.len() as u64 != full)
        || !(1..=128).contains(&summary.sampling_level)
    {
        return Err(format!(
            "{} samples at level {} (size at full sampling {}) for {entries} index entries",
            summary.entries.len(),
            summary.sampling_level,
            summary.size_at_full_sampling
        ));
    }
    if first.as_ref() != Some(&summary.first_key) || last.as_ref() != Some(&summary.last_key) {
        return Err("its first or last key is not Index.db's".to_string());
    }
    Ok(())
}

fn prefix_of(u: &Unfiltered) -> ClusteringBound {
    match u {
        Unfiltered::Row(r) => ClusteringBound {
            kind: PrefixKind::Clustering,
            values: r.clustering.clone(),
        },
        Unfiltered::Marker(m) => m.bound.clone(),
    }
}

/// A partition's index entry against the partition: its position, key,
/// and for a row index, the header length, deletion, and each block's
/// bounds, offset and width.
pub fn entry_matches(entry: &IndexEntry, p: &PositionedPartition) -> Result<(), String> {
    if entry.key != p.partition.key || entry.position != p.position {
        return Err(format!(
            "the entry for the partition at {} names another key or position",
            p.position
        ));
    }
    let Some(row_index) = &entry.row_index else {
        return Ok(());
    };
    let starts: Vec<u64> = p
        .unfiltered_positions
        .iter()
        .map(|s| s - p.position)
        .collect();
    let end = p.end_position - p.position;
    let header = starts.first().copied().unwrap_or(end);
    if row_index.header_length != header {
        return Err(format!(
            "the partition at {}: header length {} in the index, {header} in Data.db",
            p.position, row_index.header_length
        ));
    }
    if row_index.deletion != p.partition.deletion {
        return Err(format!(
            "the partition at {}: its deletion differs from Data.db's",
            p.position
        ));
    }
    for (i, block) in row_index.blocks.iter().enumerate() {
        let wrong = |what: &str| {
            format!(
                "the partition at {}: row index block {i} {what}",
                p.position
            )
        };
        let first = starts
            .binary_search(&block.offset)
            .map_err(|_| wrong("does not start at a row"))?;
        let block_end = block.offset + block.width;
        // The last part that starts inside the block.
        let last = starts.partition_point(|s| *s < block_end) - 1;
        // Blocks follow one another; the last one's width takes in the
        // end-of-partition byte.
        let expected_end = row_index
            .blocks
            .get(i + 1)
            .map_or(end + 1, |next| next.offset);
        if block_end != expected_end || last < first {
            return Err(wrong(&format!(
                "ends at {block_end}, not where the next part starts ({expected_end})"
            )));
        }
        if prefix_of(&p.partition.unfiltereds[first]) != block.first
            || prefix_of(&p.partition.unfiltereds[last]) != block.last
        {
            return Err(wrong("names clusterings that are not its first and last"));
        }
    }
    Ok(())
}
