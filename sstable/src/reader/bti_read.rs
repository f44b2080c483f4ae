//! The BTI side of [`SstableReader`]: finding partitions through
//! Partitions.db and the blocks of a slice through Rows.db.

use super::{map, read, SstableReader};
use crate::bloom::BloomFilter;
use crate::bti::byte_comparable;
use crate::bti::partitions::{self, PartitionIndex, Target};
use crate::bti::rows;
use crate::bti::trie::{Node, Trie};
use crate::checksums::Checksums;
use crate::chunk_cache::KeyPosition;
use crate::clustering::ClusteringValue;
use crate::data_reader::DataReader;
use crate::descriptor::{Component, Descriptor};
use crate::error::{Error, Result};
use crate::lookup::KeyLookup;
use crate::partitioner::Partitioner;
use crate::rows::Partition;
use crate::slice::Slice;
use ilion_vfs::{FileBytes, FileSystem};
use std::path::PathBuf;

/// [`KeyPosition::index_offset`] of a partition without a row index.
const NO_ROW_INDEX: u64 = u64::MAX;

/// A BTI table's index state: Partitions.db's trailer and Rows.db.
#[derive(Debug)]
pub(super) struct BtiParts {
    partitions: PartitionIndex,
    rows: FileBytes,
    rows_path: PathBuf,
}

/// What a slice read returns: the partition and the last row read when a
/// row limit cut it short.
type SliceResult = Option<(Partition, Option<Vec<ClusteringValue>>)>;

impl BtiParts {
    /// Maps Partitions.db and Rows.db and reads Partitions.db's trailer:
    /// Partitions.db's path and bytes, the key range, and the parts.
    pub(super) fn open(
        fs: &dyn FileSystem,
        descriptor: &Descriptor,
        checksums: &Checksums,
        partitioner: Partitioner,
    ) -> Result<(PathBuf, FileBytes, KeyLookup, BtiParts)> {
        let index_path = descriptor.path(Component::Partitions);
        if partitioner == Partitioner::Random {
            // See `byte_comparable::partition_key`: a key could be missed.
            return Err(Error::Unsupported {
                path: index_path,
                what: "BTI with RandomPartitioner".to_string(),
            });
        }
        let index = map(fs, &index_path)?;
        checksums.check(Component::Partitions, &index, &index_path)?;
        let partitions = PartitionIndex::parse(&index, &index_path)?;
        let rows_path = descriptor.path(Component::Rows);
        // An empty Rows.db (no partition needed a row index) cannot be
        // mapped everywhere.
        let rows = match map(fs, &rows_path) {
            Ok(bytes) => bytes,
            Err(_) => FileBytes::Owned(read(fs, &rows_path)?),
        };
        checksums.check(Component::Rows, &rows, &rows_path)?;
        let count = usize::try_from(partitions.count)
            .map_err(|_| Error::corrupt(&index_path, index.len() as u64 - 16, "key count"))?;
        let lookup = KeyLookup::without_samples(
            partitioner,
            count,
            &partitions.first_key,
            &partitions.last_key,
        );
        Ok((
            index_path,
            index,
            lookup,
            BtiParts {
                partitions,
                rows,
                rows_path,
            },
        ))
    }

    fn trie<'a>(&'a self, reader: &'a SstableReader) -> Trie<'a> {
        self.partitions.trie(&reader.index, &reader.index_path)
    }

    /// The trie positioned at the first partition whose byte-comparable
    /// key starts at or after `prefix`, or at the one whose unique prefix
    /// is a prefix of `prefix` (which may sort before it).
    pub(super) fn walk_from<'a>(
        &'a self,
        reader: &'a SstableReader,
        prefix: &[u8],
    ) -> Result<(crate::bti::trie::Walk<'a>, Option<Node>)> {
        if self.partitions.count == 0 {
            let empty = Trie::new(&[], &reader.index_path);
            return crate::bti::trie::Walk::seek(empty, 0, &[]).map(|(w, _)| (w, None));
        }
        crate::bti::trie::Walk::seek(self.trie(reader), self.partitions.root, prefix)
    }

    /// Where the partition of a leaf starts in the data stream, and its
    /// key when the leaf points at a row index (which repeats it).
    pub(super) fn resolve<'a>(
        &'a self,
        reader: &'a SstableReader,
        node: &Node,
    ) -> Result<(u64, Option<&'a [u8]>, u64)> {
        let leaf = partitions::leaf(&self.trie(reader), node)?;
        Ok(match leaf.target {
            Target::Data(position) => (position, None, NO_ROW_INDEX),
            Target::RowIndex(offset) => {
                let (key, position) = rows::key_and_position(&self.rows, offset, &self.rows_path)?;
                (position, Some(key), offset)
            }
        })
    }
}

impl SstableReader {
    /// Checks Partitions.db and Rows.db against each other and the data:
    /// the trie holds the key count its trailer says, in data order, each
    /// Rows.db entry names a partition inside the data stream, and its
    /// row index blocks ascend inside the partition.
    pub(super) fn verify_bti(&self, bti: &BtiParts) -> Result<()> {
        let (mut walk, mut node) = bti.walk_from(self, &[])?;
        if node.is_none() {
            node = walk.next_payload()?;
        }
        let data_length = self.compression.data_length();
        let mut previous: Option<u64> = None;
        let mut count = 0u64;
        while let Some(n) = node {
            let (position, _, offset) = bti.resolve(self, &n)?;
            if position >= data_length || previous.is_some_and(|p| p >= position) {
                return Err(Error::corrupt(
                    &self.index_path,
                    n.position,
                    format!("partition at {position} out of order or past the data"),
                ));
            }
            if offset != NO_ROW_INDEX {
                let entry = rows::entry(&bti.rows, offset, self.version, &bti.rows_path)?;
                let trie = Trie::new(&bti.rows[..offset as usize], &bti.rows_path);
                let (blocks, end) = rows::blocks(trie, &entry, self.version, &bti.rows_path)?;
                if blocks.len() as u64 != entry.block_count || position + end >= data_length {
                    return Err(Error::corrupt(
                        &bti.rows_path,
                        offset,
                        format!("{} blocks ending at {end}", blocks.len()),
                    ));
                }
            }
            previous = Some(position);
            count += 1;
            node = walk.next_payload()?;
        }
        if count != bti.partitions.count {
            return Err(Error::corrupt(
                &self.index_path,
                self.index.len() as u64 - 16,
                format!(
                    "{count} partitions in the trie, {} in the trailer",
                    bti.partitions.count
                ),
            ));
        }
        Ok(())
    }

    /// Finds `key` through Partitions.db as Cassandra does: the bloom
    /// filter, the trie walk along the key's byte-comparable form, the
    /// leaf's hash byte, then the key itself (in Rows.db here; in Data.db,
    /// by the caller, for a partition without a row index). The next leaf
    /// gives where the partition ends.
    pub(super) fn locate_bti(
        &self,
        bti: &BtiParts,
        key: &[u8],
    ) -> Result<Option<(KeyPosition, bool)>> {
        let hash = BloomFilter::hash(key);
        if let Some(cache) = &self.caches.keys {
            if let Some(position) = cache.get(self.table_id, hash.0, key) {
                return Ok(Some((position, true)));
            }
        }
        if !self.filter.may_contain_hash(hash) || bti.partitions.count == 0 {
            return Ok(None);
        }
        let partitioner = self.lookup.partitioner();
        let encoded = byte_comparable::partition_key(partitioner, key, hash);
        let trie = bti.trie(self);
        let Some((leaf, mut walk)) =
            partitions::find(trie, bti.partitions.root, &encoded, hash.1 as u8)?
        else {
            self.count_false_positive();
            return Ok(None);
        };
        let (start, index_offset, verified) = match leaf.target {
            Target::Data(position) => (position, NO_ROW_INDEX, false),
            Target::RowIndex(offset) => {
                let (stored, position) = rows::key_and_position(&bti.rows, offset, &bti.rows_path)?;
                if stored != key {
                    self.count_false_positive();
                    return Ok(None);
                }
                (position, offset, true)
            }
        };
        let data_length = self.compression.data_length();
        let (end, at) = match walk.next_payload()? {
            Some(next) => (bti.resolve(self, &next)?.0, next.position),
            None => (data_length, bti.partitions.root),
        };
        if end <= start || end > data_length {
            return Err(Error::corrupt(
                &self.index_path,
                at,
                format!("partition at {start} ends at {end}"),
            ));
        }
        let position = KeyPosition {
            data_start: start,
            data_end: end,
            index_offset,
        };
        if verified {
            self.remember(key, position);
        }
        Ok(Some((position, verified)))
    }

    /// [`SstableReader::slice`] for a BTI table, once `key` is located:
    /// a partition with a row index is read from the block the slice's
    /// start falls in (the last whose separator is at or below it) to the
    /// block past its end.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn slice_bti(
        &self,
        bti: &BtiParts,
        key: &[u8],
        slice: &Slice,
        reverse: bool,
        max_rows: Option<usize>,
        position: KeyPosition,
        verified: bool,
    ) -> Result<SliceResult> {
        let data_path = &self.data_path;
        let header = &self.statistics.header;
        let types = &header.clustering_types;
        let take_head = |reader: &mut DataReader<'_>| {
            let items = std::iter::from_fn(|| reader.next_unfiltered().transpose());
            crate::slice::take_head(types, slice, items, max_rows)
        };
        let start = position.data_start;
        let decoder =
            |bytes| DataReader::with_shapes(bytes, header, &self.shapes, self.version, data_path);
        let mut cut = None;
        let (key_read, deletion, static_row, unfiltereds, open_before) =
            if position.index_offset == NO_ROW_INDEX {
                let bytes = self.stream_range(start, position.data_end)?;
                let mut reader = decoder(&bytes);
                if max_rows.is_some() {
                    let (key_read, deletion, static_row) = reader.partition_header()?;
                    let (unfiltereds, last) = take_head(&mut reader)?;
                    cut = last;
                    (key_read, deletion, static_row, unfiltereds, None)
                } else {
                    let p = reader
                        .next_partition()?
                        .ok_or_else(|| Error::corrupt(data_path, start, "no partition"))?;
                    (p.key, p.deletion, p.static_row, p.unfiltereds, None)
                }
            } else {
                let entry = rows::entry(
                    &bti.rows,
                    position.index_offset,
                    self.version,
                    &bti.rows_path,
                )?;
                if entry.data_position != start {
                    return Err(Error::corrupt(
                        &bti.rows_path,
                        position.index_offset,
                        "row index entry moved",
                    ));
                }
                let trie = Trie::new(&bti.rows[..position.index_offset as usize], &bti.rows_path);
                let (blocks, _end) = rows::blocks(trie, &entry, self.version, &bti.rows_path)?;
                let length = position.data_end - start;
                if blocks.last().is_some_and(|b| b.offset >= length) {
                    return Err(Error::corrupt(
                        &bti.rows_path,
                        entry.root,
                        format!("row index block past the partition's {length} bytes"),
                    ));
                }
                let head = self.stream_range(start, start + blocks[0].offset)?;
                let (key_read, deletion, static_row) = decoder(&head).partition_header()?;
                let encode = |b| byte_comparable::clustering(types, &b);
                let first = match slice.start_bound().and_then(encode) {
                    Some(s) => blocks
                        .partition_point(|b| b.separator <= s)
                        .saturating_sub(1),
                    None => 0,
                };
                let last = match slice.end_bound().and_then(encode) {
                    Some(e) => blocks.partition_point(|b| b.separator <= e),
                    None => blocks.len(),
                };
                let open_before = blocks[first].open_marker;
                // Rows.db has no checksum: a damaged payload flag would
                // read the next bytes as a deletion. A real one lies
                // within the table's timestamps, as Statistics.db has them.
                let stats = &self.statistics.stats;
                if open_before.is_some_and(|d| {
                    !(stats.min_timestamp..=stats.max_timestamp).contains(&d.marked_for_delete_at)
                        || !(stats.min_local_deletion_time..=stats.max_local_deletion_time)
                            .contains(&d.local_deletion_time)
                }) {
                    return Err(Error::corrupt(
                        &bti.rows_path,
                        entry.root,
                        "row index block opens a deletion outside the table's timestamps",
                    ));
                }
                let mut unfiltereds = Vec::new();
                if first < last {
                    let from = start + blocks[first].offset;
                    let to = blocks
                        .get(last)
                        .map_or(position.data_end, |b| start + b.offset);
                    let bytes = self.stream_range(from, to)?;
                    (unfiltereds, cut) = take_head(&mut decoder(&bytes))?;
                }
                (key_read, deletion, static_row, unfiltereds, open_before)
            };
        if key_read != key {
            if !verified {
                self.count_false_positive();
                return Ok(None);
            }
            return Err(Error::corrupt(
                data_path,
                start,
                "the index points at a different partition",
            ));
        }
        if !verified {
            self.remember(key, position);
        }
        let read = slice.ending_at(cut.as_deref());
        let mut unfiltereds = crate::slice::clip(types, unfiltereds, open_before, &read);
        if reverse {
            unfiltereds.reverse();
        }
        Ok(Some((
            Partition {
                key: key_read,
                deletion,
                static_row,
                unfiltereds,
            },
            cut,
        )))
    }
}
