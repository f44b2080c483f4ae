//! `Index.db`: one entry per partition in Data.db order — key, position in
//! the data stream, and for partitions of two or more row-index blocks
//! the blocks (`IndexInfo`), so a slice reads only the blocks it needs.

use crate::clustering::{read_bound, read_values, ClusteringBound, PrefixKind};
use crate::cursor::Cursor;
use crate::data_reader::read_deletion_time;
use crate::error::Result;
use crate::reconcile::DeletionTime;
use crate::version::Version;
use std::path::Path;

/// One partition's index entry.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    /// The partition key.
    pub key: Vec<u8>,
    /// Where the partition starts in the uncompressed data stream.
    pub position: u64,
    /// The row index, for partitions of two or more blocks.
    pub row_index: Option<RowIndex>,
}

/// An index entry's key and positions, without its row index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexKey<'a> {
    /// Where the entry starts in Index.db.
    pub offset: u64,
    /// The partition key.
    pub key: &'a [u8],
    /// Where the partition starts in the data stream.
    pub position: u64,
}

/// A partition's row index.
#[derive(Debug, Clone, PartialEq)]
pub struct RowIndex {
    /// Bytes of key, deletion and static row at the partition's start.
    pub header_length: u64,
    /// The partition deletion.
    pub deletion: DeletionTime,
    /// The blocks, in clustering order.
    pub blocks: Vec<IndexInfo>,
}

/// One row-index block.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexInfo {
    /// The first clustering (or bound) in the block.
    pub first: ClusteringBound,
    /// The last clustering (or bound) in the block.
    pub last: ClusteringBound,
    /// Where the block starts, relative to the partition's start.
    pub offset: u64,
    /// The block's length in bytes.
    pub width: u64,
    /// A range tombstone open at the block's end.
    pub end_open_marker: Option<DeletionTime>,
}

/// An entry's row-index size, checked against the bytes left.
fn row_index_size(c: &mut Cursor<'_>) -> Result<usize> {
    let at = c.position();
    let size = c.vint32("row index size")?;
    usize::try_from(size)
        .ok()
        .filter(|&s| s <= c.remaining())
        .ok_or_else(|| c.corrupt_at(at, format!("row index size {size}")))
}

/// Reads Index.db entries from a position in the file.
pub struct IndexReader<'a> {
    cursor: Cursor<'a>,
    version: Version,
    clustering_types: &'a [String],
}

impl std::fmt::Debug for IndexReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexReader")
            .field("position", &self.cursor.position())
            .finish_non_exhaustive()
    }
}

/// The sign-bit flip Cassandra applies to widths: written as a signed vint
/// of `width − 65536`.
const WIDTH_BASE: i64 = 65536;

impl<'a> IndexReader<'a> {
    /// A reader over the whole of Index.db (`bytes`, at `path`), for a
    /// table with these clustering types.
    pub fn new(
        bytes: &'a [u8],
        version: Version,
        clustering_types: &'a [String],
        path: &'a Path,
    ) -> Self {
        IndexReader {
            cursor: Cursor::new(bytes, path),
            version,
            clustering_types,
        }
    }

    /// A reader for walking keys only ([`IndexReader::next_key`]), which
    /// needs neither the version nor the clustering types.
    pub fn keys_only(bytes: &'a [u8], path: &'a Path) -> Self {
        Self::new(bytes, Version::OA, &[], path)
    }

    /// Continues at `position` (from Summary.db).
    ///
    /// # Errors
    /// Corruption if it is past the end.
    pub fn seek(&mut self, position: u64) -> Result<()> {
        self.cursor.set_position(position)
    }

    /// The entry of `key` among those from the current position up to
    /// `end` (exclusive), comparing key bytes only: the caller knows from
    /// the summary that the key, if present, lies in that stretch.
    ///
    /// # Errors
    /// Corruption naming Index.db and the offset.
    pub fn find_key(&mut self, key: &[u8], end: u64) -> Result<Option<IndexKey<'a>>> {
        while self.cursor.position() < end {
            match self.next_key()? {
                Some(next) if next.key == key => return Ok(Some(next)),
                Some(_) => {}
                None => break,
            }
        }
        Ok(None)
    }

    /// The whole entry at `offset` (from [`IndexKey::offset`]), row index
    /// included.
    ///
    /// # Errors
    /// Corruption naming Index.db and the offset.
    pub fn entry_at(&mut self, offset: u64) -> Result<IndexEntry> {
        self.seek(offset)?;
        self.next_entry()?
            .ok_or_else(|| self.cursor.corrupt_at(offset, "no index entry here"))
    }

    /// The next entry's key and positions, skipping its row index, or
    /// `None` at the end of the file.
    ///
    /// # Errors
    /// Corruption naming Index.db and the offset.
    pub fn next_key(&mut self) -> Result<Option<IndexKey<'a>>> {
        let c = &mut self.cursor;
        if c.remaining() == 0 {
            return Ok(None);
        }
        let offset = c.position();
        let key = c.bytes_short("index key")?;
        let position = c.vint("partition position")?;
        let size = row_index_size(c)?;
        c.take(size, "row index")?;
        Ok(Some(IndexKey {
            offset,
            key,
            position,
        }))
    }

    /// The data position of the next entry without decoding the rest of
    /// it, or `None` at the end of the file.
    ///
    /// # Errors
    /// Corruption naming Index.db and the offset.
    pub fn next_position(&mut self) -> Result<Option<u64>> {
        let c = &mut self.cursor;
        if c.remaining() == 0 {
            return Ok(None);
        }
        c.bytes_short("index key")?;
        c.vint("partition position").map(Some)
    }

    /// The next entry, or `None` at the end of the file.
    ///
    /// # Errors
    /// Corruption naming Index.db and the offset.
    pub fn next_entry(&mut self) -> Result<Option<IndexEntry>> {
        let c = &mut self.cursor;
        if c.remaining() == 0 {
            return Ok(None);
        }
        let key = c.bytes_short("index key")?.to_vec();
        let position = c.vint("partition position")?;
        let size = row_index_size(c)?;
        if size == 0 {
            return Ok(Some(IndexEntry {
                key,
                position,
                row_index: None,
            }));
        }
        let end = c.position() + size as u64;
        let header_length = c.vint("partition header length")?;
        let deletion = read_deletion_time(c, self.version)?;
        let at = c.position();
        let count = c.vint32("row index block count")?;
        let count = usize::try_from(count)
            .ok()
            .filter(|&n| n.saturating_mul(4) <= c.remaining())
            .ok_or_else(|| c.corrupt_at(at, format!("row index block count {count}")))?;
        let mut blocks = Vec::with_capacity(count);
        for _ in 0..count {
            blocks.push(self.index_info()?);
        }
        let c = &mut self.cursor;
        // The offsets of the IndexInfo entries, relative to the first: the
        // entries were just read in order, so only their bounds matter.
        c.take(count * 4, "row index offsets")?;
        if c.position() != end {
            return Err(c.corrupt(format!(
                "row index ends at {} but its size says {end}",
                c.position()
            )));
        }
        Ok(Some(IndexEntry {
            key,
            position,
            row_index: Some(RowIndex {
                header_length,
                deletion,
                blocks,
            }),
        }))
    }

    fn clustering_name(&mut self) -> Result<ClusteringBound> {
        let c = &mut self.cursor;
        let at = c.position();
        let kind = c.u8("clustering kind")?;
        if kind == PrefixKind::Clustering as u8 {
            let values = read_values(c, self.clustering_types, self.clustering_types.len())?;
            return Ok(ClusteringBound {
                kind: PrefixKind::Clustering,
                values,
            });
        }
        c.set_position(at)?;
        read_bound(c, self.clustering_types)
    }

    fn index_info(&mut self) -> Result<IndexInfo> {
        let first = self.clustering_name()?;
        let last = self.clustering_name()?;
        let c = &mut self.cursor;
        let offset = c.vint("block offset")?;
        let at = c.position();
        let encoded = c.vint("block width")?;
        let delta = ((encoded >> 1) as i64) ^ -((encoded & 1) as i64);
        let width = delta
            .checked_add(WIDTH_BASE)
            .and_then(|w| u64::try_from(w).ok())
            .ok_or_else(|| c.corrupt_at(at, format!("block width delta {delta}")))?;
        let end_open_marker = if c.bool("end open marker")? {
            Some(read_deletion_time(c, self.version)?)
        } else {
            None
        };
        Ok(IndexInfo {
            first,
            last,
            offset,
            width,
            end_open_marker,
        })
    }
}
