//! Building Partitions.db and the row indexes of Rows.db as Cassandra's
//! BTI writer does (`PartitionIndexBuilder`, `RowIndexWriter`,
//! `BtiFormatPartitionWriter`).

use super::byte_comparable;
use super::trie_writer::{non_zero_size, push_signed, TrieOut, TriePayload, TrieWriter};
use crate::clustering::{ClusteringBound, PrefixKind};
use crate::data_writer::PartitionLayout;
use crate::error::{Error, Result};
use crate::reconcile::DeletionTime;
use crate::rows::{Partition, Unfiltered};

/// A partition index leaf: the key's hash byte and its position (a Rows.db
/// offset, or the complement of a data position).
#[derive(Debug, Clone, Copy)]
struct PartitionPayload {
    position: i64,
    hash_byte: u8,
}

impl TriePayload for PartitionPayload {
    fn flags(&self) -> u8 {
        // The hash-byte flag (8) plus the position's size less one.
        7 + non_zero_size(self.position) as u8
    }

    fn size(&self) -> usize {
        1 + non_zero_size(self.position)
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.push(self.hash_byte);
        push_signed(out, self.position, non_zero_size(self.position));
    }
}

/// Builds Partitions.db from the partitions in order: each key enters the
/// trie cut to the shortest prefix that tells it from both neighbours,
/// once the next key is known.
#[derive(Debug)]
pub struct PartitionIndexBuilder {
    trie: TrieWriter<PartitionPayload>,
    /// The bytes not yet appended to the file.
    pub out: TrieOut,
    last: Option<(Vec<u8>, PartitionPayload)>,
    last_diff_point: usize,
    first_key: Option<Vec<u8>>,
    last_key: Vec<u8>,
}

impl Default for PartitionIndexBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// The length of the shortest prefix of `a` that differs from `b`.
fn diff_point(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count() + 1
}

impl PartitionIndexBuilder {
    /// An empty index.
    pub fn new() -> Self {
        PartitionIndexBuilder {
            trie: TrieWriter::new(),
            out: TrieOut::default(),
            last: None,
            last_diff_point: 0,
            first_key: None,
            last_key: Vec::new(),
        }
    }

    /// Adds the partition `key`, whose byte-comparable form is `encoded`
    /// and whose second Murmur3 hash word ends in `hash_byte`, found at
    /// Rows.db offset `row_index` or else at data position `data`.
    ///
    /// # Errors
    /// Keys out of order.
    pub fn add(
        &mut self,
        key: &[u8],
        encoded: Vec<u8>,
        hash_byte: u8,
        row_index: Option<u64>,
        data: u64,
    ) -> Result<()> {
        let position = match row_index {
            Some(offset) => offset as i64,
            None => !(data as i64),
        };
        let payload = PartitionPayload {
            position,
            hash_byte,
        };
        match self.last.take() {
            None => {
                self.first_key = Some(key.to_vec());
                self.last_diff_point = 0;
            }
            Some((last, last_payload)) => {
                let diff = diff_point(&last, &encoded);
                let cut = diff.max(self.last_diff_point).min(last.len());
                self.trie.add(&last[..cut], last_payload, &mut self.out)?;
                self.last_diff_point = diff;
            }
        }
        self.last = Some((encoded, payload));
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        Ok(())
    }

    /// Completes the trie and writes the trailer.
    ///
    /// # Errors
    /// Internal inconsistencies of the trie writer.
    pub fn finish(&mut self) -> Result<()> {
        if let Some((last, payload)) = self.last.take() {
            let cut = self.last_diff_point.min(last.len());
            self.trie.add(&last[..cut], payload, &mut self.out)?;
        }
        let root = self.trie.complete(&mut self.out)?;
        let keys_at = self.out.position();
        let first = self.first_key.take().unwrap_or_default();
        for key in [&first, &self.last_key] {
            let len = u16::try_from(key.len())
                .map_err(|_| Error::invalid("partition key longer than 65535 bytes"))?;
            self.out.bytes.extend_from_slice(&len.to_be_bytes());
            self.out.bytes.extend_from_slice(key);
        }
        let count = self.trie.count();
        for v in [keys_at, count, root] {
            self.out.bytes.extend_from_slice(&v.to_be_bytes());
        }
        Ok(())
    }
}

/// A row index leaf: where a block starts in its partition, and the
/// deletion open there.
#[derive(Debug, Clone, Copy)]
struct RowPayload {
    offset: u64,
    open: Option<DeletionTime>,
}

/// oa's DeletionTime: `80` when live, else the timestamp and the local
/// deletion time.
fn push_deletion(d: &DeletionTime, out: &mut Vec<u8>) {
    if d.is_live() {
        out.push(0x80);
    } else {
        out.extend_from_slice(&d.marked_for_delete_at.to_be_bytes());
        out.extend_from_slice(&(d.local_deletion_time as u32).to_be_bytes());
    }
}

fn deletion_size(d: &DeletionTime) -> usize {
    if d.is_live() {
        1
    } else {
        12
    }
}

impl TriePayload for RowPayload {
    fn flags(&self) -> u8 {
        non_zero_size(self.offset as i64) as u8 | if self.open.is_some() { 8 } else { 0 }
    }

    fn size(&self) -> usize {
        non_zero_size(self.offset as i64) + self.open.as_ref().map_or(0, deletion_size)
    }

    fn write(&self, out: &mut Vec<u8>) {
        push_signed(out, self.offset as i64, non_zero_size(self.offset as i64));
        if let Some(d) = &self.open {
            push_deletion(d, out);
        }
    }
}

/// One row index block: its first and last names, where it starts, and
/// the deletion open at its start.
struct Block {
    first: ClusteringBound,
    last: ClusteringBound,
    offset: u64,
    open: Option<DeletionTime>,
}

fn name_of(unfiltered: &Unfiltered) -> ClusteringBound {
    crate::slice::name_of(unfiltered)
}

/// Cassandra's blocking: a block closes once it reaches `granularity`
/// bytes; the deletion open after a block is the next one's open marker.
fn blocks(partition: &Partition, layout: &PartitionLayout, granularity: u64) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<DeletionTime> = None;
    let mut current: Option<(usize, u64, Option<DeletionTime>)> = None;
    for (i, (unfiltered, &(start, end))) in partition
        .unfiltereds
        .iter()
        .zip(&layout.unfiltereds)
        .enumerate()
    {
        let (first, block_start, block_open) = *current.get_or_insert((i, start, open));
        if let Unfiltered::Marker(marker) = unfiltered {
            open = match marker.bound.kind {
                PrefixKind::InclStartBound
                | PrefixKind::ExclStartBound
                | PrefixKind::ExclEndInclStartBoundary
                | PrefixKind::InclEndExclStartBoundary => marker.start_deletion,
                _ => None,
            };
        }
        if end - block_start >= granularity {
            blocks.push(Block {
                first: name_of(&partition.unfiltereds[first]),
                last: name_of(unfiltered),
                offset: block_start,
                open: block_open,
            });
            current = None;
        }
    }
    if let (Some((first, block_start, block_open)), Some(last)) =
        (current, partition.unfiltereds.last())
    {
        if !blocks.is_empty() {
            blocks.push(Block {
                first: name_of(&partition.unfiltereds[first]),
                last: name_of(last),
                offset: block_start,
                open: block_open,
            });
        }
    }
    blocks
}

/// The shortest separator above `prev` and at most `next` (`prev` <
/// `next`): their common prefix, then `prev`'s next byte plus one.
fn separator_gt(prev: &[u8], next: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0.. {
        let p = prev.get(i).map_or(-1, |&b| i32::from(b));
        let c = next.get(i).map_or(-1, |&b| i32::from(b));
        if p == c {
            if c < 0 {
                break;
            }
            out.push(c as u8);
        } else {
            out.push((p + 1) as u8);
            break;
        }
    }
    out
}

/// `value` cut after `at + 1` bytes with its last byte raised by one (a
/// 0xFF byte is kept and the next one raised instead).
fn nudge(value: &[u8], at: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut cur = 0;
    while cur <= at {
        let mut b = value.get(i).map_or(-1, |&b| i32::from(b));
        i += 1;
        if cur == at {
            if b < 0xFF {
                b += 1;
            } else {
                out.push(0xFF);
                continue;
            }
        }
        if b < 0 {
            break;
        }
        out.push(b as u8);
        cur += 1;
    }
    out
}

/// Writes the row index of `partition` (laid out as `layout`) into `out`
/// when it spans two or more blocks of `granularity` bytes; returns the
/// trie's root and the block count.
///
/// # Errors
/// Clusterings out of order, internal inconsistencies.
pub fn write_row_index(
    types: &[String],
    partition: &Partition,
    layout: &PartitionLayout,
    granularity: u64,
    out: &mut TrieOut,
) -> Result<Option<(u64, u64)>> {
    // Two blocks need more than one block's worth of bytes. Clustering
    // types without a byte-comparable form Ilion knows get no row index:
    // the partition index then points at the data, which is still a
    // valid BTI table (slices read the whole partition).
    if layout.length < granularity || !byte_comparable::clustering_types_supported(types) {
        return Ok(None);
    }
    let blocks = blocks(partition, layout, granularity);
    if blocks.len() < 2 {
        return Ok(None);
    }
    // Every bound is translated before anything is written: a value
    // without a byte-comparable form (one not of its type, which Cassandra
    // would have refused) leaves the partition without a row index, as an
    // unknown type does.
    let mut encoded = Vec::with_capacity(blocks.len());
    for block in &blocks {
        let first = byte_comparable::clustering(types, &block.first);
        let last = byte_comparable::clustering(types, &block.last);
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(None);
        };
        encoded.push((first, last));
    }
    let mut writer: TrieWriter<RowPayload> = TrieWriter::new();
    let mut prev_max: Option<Vec<u8>> = None;
    let mut prev_sep = Vec::new();
    for (block, (first, last)) in blocks.iter().zip(encoded) {
        let sep = match &prev_max {
            None => Vec::new(),
            Some(max) => separator_gt(max, &first),
        };
        writer.add(
            &sep,
            RowPayload {
                offset: block.offset,
                open: block.open,
            },
            out,
        )?;
        prev_sep = sep;
        prev_max = Some(last);
    }
    let max = prev_max.unwrap_or_default();
    let common = max
        .iter()
        .zip(&prev_sep)
        .take_while(|(a, b)| a == b)
        .count();
    if common >= max.len() {
        return Err(Error::invalid("row index: clusterings out of order"));
    }
    writer.add(
        &nudge(&max, common),
        RowPayload {
            offset: layout.length - 1,
            open: None,
        },
        out,
    )?;
    let root = writer.complete(out)?;
    Ok(Some((root, blocks.len() as u64)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::bloom::BloomFilter;
    use crate::bti::partitions::{self, PartitionIndex, Target};
    use crate::bti::trie::Walk;
    use crate::partitioner::Partitioner;

    /// A large index spans many pages: every key is found at its
    /// position, absent keys are not, and an ordered walk meets every
    /// leaf in key order.
    #[test]
    fn a_many_page_partition_index_reads_back() {
        type Key = (Vec<u8>, Vec<u8>, (u64, u64));
        let mut keys: Vec<Key> = (0..60_000u32)
            .map(|i| {
                let key = format!("key{i}").into_bytes();
                let hash = BloomFilter::hash(&key);
                let enc = byte_comparable::partition_key(Partitioner::Murmur3, &key, hash);
                (enc, key, hash)
            })
            .collect();
        keys.sort();
        let mut builder = PartitionIndexBuilder::new();
        let mut file = Vec::new();
        for (i, (enc, key, hash)) in keys.iter().enumerate() {
            // Alternate data positions and (made-up) row index offsets.
            let rows = (i % 3 == 0).then_some(i as u64 * 7);
            builder
                .add(key, enc.clone(), hash.1 as u8, rows, i as u64 * 100)
                .unwrap();
            file.extend(builder.out.take());
        }
        builder.finish().unwrap();
        file.extend(builder.out.take());
        assert!(file.len() > 20 * 4096, "{}", file.len());
        let path = std::path::Path::new("Partitions.db");
        let index = PartitionIndex::parse(&file, path).unwrap();
        assert_eq!(index.count, keys.len() as u64);
        let trie = index.trie(&file, path);
        for (i, (enc, _, hash)) in keys.iter().enumerate() {
            let (leaf, _) = partitions::find(trie, index.root, enc, hash.1 as u8)
                .unwrap()
                .unwrap();
            let want = if i % 3 == 0 {
                Target::RowIndex(i as u64 * 7)
            } else {
                Target::Data(i as u64 * 100)
            };
            assert_eq!(leaf.target, want, "{i}");
        }
        let (mut walk, first) = Walk::seek(trie, index.root, &[]).unwrap();
        assert!(first.is_none());
        let mut n = 0;
        while let Some(node) = walk.next_payload().unwrap() {
            let leaf = partitions::leaf(&trie, &node).unwrap();
            let expected = if n % 3 == 0 {
                Target::RowIndex(n as u64 * 7)
            } else {
                Target::Data(n as u64 * 100)
            };
            assert_eq!(leaf.target, expected);
            n += 1;
        }
        assert_eq!(n, keys.len());
    }

    #[test]
    fn separators_and_nudges_follow_cassandra() {
        // ByteSource.Separator with useCurr false: the common prefix, then
        // the previous key's byte plus one.
        assert_eq!(separator_gt(b"abc", b"abz"), b"abd");
        assert_eq!(separator_gt(b"ab", b"abz"), b"ab\0");
        // RowIndexWriter.nudge: raised at the given position, an FF byte
        // carried to the next.
        assert_eq!(nudge(b"abc", 1), b"ac");
        assert_eq!(nudge(&[0x61, 0xFF, 0x10], 1), [0x61, 0xFF, 0x11]);
    }
}
