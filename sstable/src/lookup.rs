//! Finding one partition through the big format's index path: bloom
//! filter, then Summary.db, then a short scan of Index.db.

use crate::bloom::BloomFilter;
use crate::error::Result;
use crate::index::{IndexEntry, IndexReader};
use crate::partitioner::Partitioner;
use crate::summary::Summary;
use std::cmp::Ordering;

/// The index entry of `key`, or `None` when the SSTable does not hold it.
///
/// # Errors
/// Corruption met in Index.db.
pub fn find_index_entry(
    key: &[u8],
    partitioner: Partitioner,
    filter: &BloomFilter,
    summary: &Summary,
    index: &mut IndexReader<'_>,
) -> Result<Option<IndexEntry>> {
    if !filter.may_contain(key)
        || partitioner.compare(key, &summary.first_key) == Ordering::Less
        || partitioner.compare(key, &summary.last_key) == Ordering::Greater
    {
        return Ok(None);
    }
    let Some(start) = summary.index_position(key, |a, b| partitioner.compare(a, b)) else {
        return Ok(None);
    };
    index.seek(start)?;
    // At most one summary interval of entries lies between the sample and
    // the key.
    while let Some(entry) = index.next_entry()? {
        match partitioner.compare(&entry.key, key) {
            Ordering::Less => continue,
            Ordering::Equal => return Ok(Some(entry)),
            Ordering::Greater => return Ok(None),
        }
    }
    Ok(None)
}
