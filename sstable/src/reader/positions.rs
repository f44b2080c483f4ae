//! Partitions with where each of their parts starts in the data stream:
//! what Cassandra's `sstabledump` prints as `position`. Reached through
//! the index like [`SstableReader::get`] and [`SstableReader::iter`], then
//! decoded part by part so that every row's offset is known.

use super::scan::{Entries, ScanEntry};
use super::SstableReader;
use crate::cursor::Cursor;
use crate::data_reader::{read_deletion_time, DataReader};
use crate::error::{Error, Result};
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
    entries: Entries<'r>,
    next: Option<ScanEntry<'r>>,
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
        let Some((position, checked)) = self.locate_checked(key)? else {
            return Ok(None);
        };
        let (start, end) = (position.data_start, position.data_end);
        if checked {
            return self.decode_positioned(Some(key), start, end).map(Some);
        }
        // A BTI index holds only a key's unique prefix (and a hash byte):
        // another key found there means this one is absent.
        let found = self.decode_positioned(None, start, end)?;
        Ok((found.partition.key == key).then_some(found))
    }

    /// Every partition with its positions, in order, walking the index
    /// (Index.db, or Partitions.db's trie) beside Data.db.
    ///
    /// # Errors
    /// Corruption reading the first index entry; the iterator yields later
    /// ones, then ends.
    pub fn positioned(&self) -> Result<PositionedScan<'_>> {
        let mut entries = Entries::all(self)?;
        let next = entries.next(self)?;
        Ok(PositionedScan {
            reader: self,
            entries,
            next,
            finished: false,
        })
    }

    /// Decodes the partition at `start..end` of the data stream; when the
    /// index gave its key (`expected`), the partition must have it.
    fn decode_positioned(
        &self,
        expected: Option<&[u8]>,
        start: u64,
        end: u64,
    ) -> Result<PositionedPartition> {
        let bytes = self.stream_range(start, end)?;
        let header = &self.statistics.header;
        let mut reader =
            DataReader::with_shapes(&bytes, header, &self.shapes, self.version, &self.data_path);
        let has_statics = !header.static_columns.is_empty();
        let (key_read, deletion, static_row) = reader.partition_header()?;
        if expected.is_some_and(|key| key != key_read) {
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
        self.next = self.entries.next(self.reader)?;
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

#[cfg(test)]
mod tests {
    use crate::descriptor::Descriptor;
    use crate::reader::SstableReader;
    use crate::reconcile::{CellKind, DeletionTime, LivenessInfo};
    use crate::rows::{Cell, ColumnData, Partition, Row, Unfiltered};
    use crate::schema::{ClusteringOrder, Column, TableSchema};
    use crate::version::Version;
    use crate::writer::{SstableWriter, WriterOptions};
    use std::sync::Arc;

    #[test]
    fn positions_mark_where_each_part_starts() {
        // Both index kinds: Index.db (oa) and Partitions.db's trie (da).
        for version in [Version::OA, Version::DA] {
            positions_of(version);
        }
    }

    fn positions_of(version: Version) {
        let t = |n: &str| format!("org.apache.cassandra.db.marshal.{n}");
        let schema = TableSchema::new(
            vec![Column::new("k", t("Int32Type"))],
            vec![(Column::new("c", t("Int32Type")), ClusteringOrder::Asc)],
            Vec::new(),
            vec![Column::new("v", t("UTF8Type"))],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let now = 1_700_000_000_000_000;
        let descriptor = Descriptor {
            dir: dir.path().to_path_buf(),
            version,
            generation: 1,
        };
        let options = WriterOptions {
            version,
            ..WriterOptions::default()
        };
        let mut keys: Vec<Vec<u8>> = (0..20i32).map(|k| k.to_be_bytes().to_vec()).collect();
        keys.sort_by(|a, b| options.partitioner.compare(a, b));
        let mut writer = SstableWriter::create(
            Arc::new(ilion_vfs::RealFs),
            descriptor,
            schema.serialization_header(now, 0, 0),
            options,
        )
        .unwrap();
        for key in &keys {
            // Rows of different sizes, so that positions differ.
            let rows = (0..(key[3] as i32 % 4 + 1))
                .map(|c| {
                    Unfiltered::Row(Row {
                        clustering: vec![Some(c.to_be_bytes().to_vec())],
                        liveness: Some(LivenessInfo {
                            timestamp: now,
                            expiry: None,
                        }),
                        deletion: None,
                        columns: vec![ColumnData::Simple {
                            column: 0,
                            cell: Cell {
                                timestamp: now,
                                kind: CellKind::Live,
                                path: None,
                                value: "x".repeat(c as usize * 7).into_bytes(),
                            },
                        }],
                    })
                })
                .collect();
            writer
                .append(&Partition {
                    key: key.clone(),
                    deletion: DeletionTime::LIVE,
                    static_row: None,
                    unfiltereds: rows,
                })
                .unwrap();
        }
        let reader = SstableReader::open(&writer.finish().unwrap()).unwrap();
        let scanned: Vec<_> = reader.positioned().unwrap().map(|p| p.unwrap()).collect();
        assert_eq!(scanned.len(), keys.len());
        assert_eq!(scanned[0].position, 0);
        for (i, p) in scanned.iter().enumerate() {
            // The same partition as `get`, and as found through the index.
            assert_eq!(
                Some(&p.partition),
                reader.get(&p.partition.key).unwrap().as_ref()
            );
            assert_eq!(
                Some(p),
                reader.get_positioned(&p.partition.key).unwrap().as_ref()
            );
            // Parts follow one another after the 4-byte key's header (u16
            // length, key, one byte of live deletion in oa); the
            // end-of-partition byte comes last, just before the next
            // partition.
            assert_eq!(p.unfiltered_positions[0], p.position + 2 + 4 + 1);
            assert!(p.unfiltered_positions.windows(2).all(|w| w[0] < w[1]));
            assert!(p.unfiltered_positions.last().unwrap() < &p.end_position);
            let next = scanned
                .get(i + 1)
                .map_or(reader.data_length(), |n| n.position);
            assert_eq!(p.end_position + 1, next);
            assert_eq!(p.static_position, None);
        }
        assert!(reader
            .get_positioned(&100i32.to_be_bytes())
            .unwrap()
            .is_none());
    }
}
