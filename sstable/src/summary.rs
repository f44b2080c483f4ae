//! `Summary.db`: every 128th Index.db entry's key and position, kept in
//! memory to find where in Index.db to start looking for a key.

use crate::cursor::Cursor;
use crate::error::Result;
use std::cmp::Ordering;
use std::path::Path;

/// The parsed summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Index entries between samples at full sampling.
    pub min_index_interval: i32,
    /// 128 at full sampling.
    pub sampling_level: i32,
    /// Entries at full sampling.
    pub size_at_full_sampling: i32,
    /// Sampled (key, position in Index.db), in partition order.
    pub entries: Vec<(Vec<u8>, u64)>,
    /// The SSTable's first partition key.
    pub first_key: Vec<u8>,
    /// The SSTable's last partition key.
    pub last_key: Vec<u8>,
}

impl Summary {
    /// Parses Summary.db bytes. Offsets are little-endian as written on
    /// little-endian hosts; big-endian ones (from big-endian hosts) are
    /// recognised by the first offset, which is always 4 × the count.
    ///
    /// # Errors
    /// Corruption naming `path` and the offset.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Summary> {
        let mut c = Cursor::new(bytes, path);
        let min_index_interval = c.i32("min index interval")?;
        let count = c.count(12, "summary entry count")?;
        let at = c.position();
        let entries_size = c.i64("summary size")?;
        let sampling_level = c.i32("sampling level")?;
        let size_at_full_sampling = c.i32("size at full sampling")?;
        let region_start = c.position();
        let region_len = usize::try_from(entries_size)
            .ok()
            .filter(|&l| l <= c.remaining() && l >= count * 4)
            .ok_or_else(|| c.corrupt_at(at, format!("summary size {entries_size}")))?;
        let region = c.take(region_len, "summary entries")?;
        let raw: Vec<[u8; 4]> = region[..count * 4]
            .chunks_exact(4)
            .map(|w| [w[0], w[1], w[2], w[3]])
            .collect();
        let big_endian = raw
            .first()
            .is_some_and(|w| u32::from_be_bytes(*w) as usize == count * 4);
        let offsets: Vec<usize> = raw
            .iter()
            .map(|w| if big_endian { u32::from_be_bytes(*w) } else { u32::from_le_bytes(*w) } as usize)
            .collect();
        let mut entries = Vec::with_capacity(count);
        for (i, &start) in offsets.iter().enumerate() {
            let end = offsets.get(i + 1).copied().unwrap_or(region_len);
            if start < count * 4 || end < start + 8 || end > region_len {
                return Err(c.corrupt_at(
                    region_start + (i * 4) as u64,
                    format!("summary offset {start}"),
                ));
            }
            let key = region[start..end - 8].to_vec();
            let mut pos = [0u8; 8];
            pos.copy_from_slice(&region[end - 8..end]);
            let position = if big_endian {
                u64::from_be_bytes(pos)
            } else {
                u64::from_le_bytes(pos)
            };
            entries.push((key, position));
        }
        let first_len = c.count(1, "first key length")?;
        let first_key = c.take(first_len, "first key")?.to_vec();
        let last_len = c.count(1, "last key length")?;
        let last_key = c.take(last_len, "last key")?.to_vec();
        Ok(Summary {
            min_index_interval,
            sampling_level,
            size_at_full_sampling,
            entries,
            first_key,
            last_key,
        })
    }

    /// Where in Index.db to start scanning for a key: the position of the
    /// last sample not after it, by `order`; `None` if the key sorts before
    /// every sample.
    pub fn index_position(
        &self,
        key: &[u8],
        order: impl Fn(&[u8], &[u8]) -> Ordering,
    ) -> Option<u64> {
        let after = self
            .entries
            .partition_point(|(sample, _)| order(sample, key) != Ordering::Greater);
        after.checked_sub(1).map(|i| self.entries[i].1)
    }
}
