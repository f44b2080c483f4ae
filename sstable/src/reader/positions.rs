//! Partitions with where each of their parts starts in the data stream:
//! what Cassandra's `sstabledump` prints as `position`. Reached through
//! the index like [`SstableReader::get`] and [`SstableReader::iter`], then
//! decoded part by part so that every row's offset is known.

use super::SstableReader;
use crate::cursor::Cursor;
use crate::data_reader::{read_deletion_time, DataReader};
use crate::error::{Error, Result};
use crate::index::{IndexKey, IndexReader};
use crate::rows::Partition;

/// A partition and the data-stream positions of its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionedPartition {
    /// Where the partition starts in the uncompressed data stream.
    pub position: u64,
    /// Where the static row starts (after the key and deletion), when the
    /// table has static columns.
    pub static_position: Option<u64>,
    /// Where each of `partition.unfiltereds` starts, in the same order.
    pub unfiltered_positions: Vec<u64>,
    /// Where the end-of-partition byte is (where the last part ends).
    pub end_position: u64,
    /// The partition, as [`SstableReader::get`] returns it.
    pub partition: Partition,
}

/// Every partition of an SSTable with its positions, in order (see
/// [`SstableReader::positioned`]).
pub struct PositionedScan<'r> {
    reader: &'r SstableReader,
    index: IndexReader<'r>,
    next: Option<IndexKey<'r>>,
    finished: bool,
}

impl std::fmt::Debug for PositionedScan<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PositionedScan").finish_non_exhaustive()
    }
}

impl SstableReader {
    /// [`SstableReader::get`] with the positions of the partition's parts.
    ///
    /// # Errors
    /// Corruption met on the way.
    pub fn get_positioned(&self, key: &[u8]) -> Result<Option<PositionedPartition>> {
        let Some(position) = self.locate(key)? else {
            return Ok(None);
        };
        self.decode_positioned(key, position.data_start, position.data_end)
            .map(Some)
    }

    /// Every partition with its positions, in order, walking Index.db
    /// beside Data.db.
    ///
    /// # Errors
    /// Corruption reading the first index entry; the iterator yields later
    /// ones, then ends.
    pub fn positioned(&self) -> Result<PositionedScan<'_>> {
        let types = &self.statistics.header.clustering_types;
        let mut index = IndexReader::new(&self.index, self.version, types, &self.index_path);
        let next = index.next_key()?;
        Ok(PositionedScan {
            reader: self,
            index,
            next,
            finished: false,
        })
    }

    fn decode_positioned(&self, key: &[u8], start: u64, end: u64) -> Result<PositionedPartition> {
        let bytes = self.stream_range(start, end)?;
        let header = &self.statistics.header;
        let mut reader =
            DataReader::with_shapes(&bytes, header, &self.shapes, self.version, &self.data_path);
        let has_statics = !header.static_columns.is_empty();
        let (key_read, deletion, static_row) = reader.partition_header()?;
        if key_read != key {
            return Err(Error::corrupt(
                &self.data_path,
                start,
                "the index points at a different partition",
            ));
        }
        // The static row, when the table has one, is the last part of the
        // header: it starts where the deletion (of a size that depends on
        // the version and the value) ends.
        let static_position = if has_statics {
            let mut c = Cursor::new(&bytes, &self.data_path);
            c.bytes_short("partition key")?;
            read_deletion_time(&mut c, self.version)?;
            Some(start + c.position())
        } else {
            None
        };
        let mut unfiltereds = Vec::new();
        let mut unfiltered_positions = Vec::new();
        let end_position = loop {
            let at = start + reader.position();
            match reader.next_unfiltered()? {
                Some(u) => {
                    unfiltereds.push(u);
                    unfiltered_positions.push(at);
                }
                None => break at,
            }
        };
        Ok(PositionedPartition {
            position: start,
            static_position,
            unfiltered_positions,
            end_position,
            partition: Partition {
                key: key_read,
                deletion,
                static_row,
                unfiltereds,
            },
        })
    }
}

impl PositionedScan<'_> {
    fn next_partition(&mut self) -> Result<Option<PositionedPartition>> {
        let Some(entry) = self.next.take() else {
            return Ok(None);
        };
        self.next = self.index.next_key()?;
        let data_length = self.reader.compression.data_length();
        let end = self.next.map_or(data_length, |n| n.position);
        if end <= entry.position || end > data_length {
            return Err(Error::corrupt(
                &self.reader.index_path,
                entry.offset,
                format!("partition at {} ends at {end}", entry.position),
            ));
        }
        self.reader
            .decode_positioned(entry.key, entry.position, end)
            .map(Some)
    }
}

impl Iterator for PositionedScan<'_> {
    type Item = Result<PositionedPartition>;

    fn next(&mut self) -> Option<Result<PositionedPartition>> {
        if self.finished {
            return None;
        }
        let item = self.next_partition().transpose();
        if !matches!(item, Some(Ok(_))) {
            self.finished = true;
        }
        item
    }
}
