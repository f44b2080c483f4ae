//! Decoding the (uncompressed) Data.db stream into partitions: Cassandra's
//! `UnfilteredSerializer` and `Cell.Serializer`, read back. Layout:
//! `docs/format.md` ("Data.db").

use crate::clustering::{read_bound, read_fixed_values, PrefixKind};
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::reconcile::{CellKind, DeletionTime, LivenessInfo};
use crate::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};
use crate::statistics::{HeaderColumn, SerializationHeader};
use crate::types::{cell_value_type, fixed_value_length, is_multi_cell};
use crate::version::Version;
use std::borrow::Cow;
use std::path::Path;

// Unfiltered flags.
const END_OF_PARTITION: u8 = 0x01;
const IS_MARKER: u8 = 0x02;
const HAS_TIMESTAMP: u8 = 0x04;
const HAS_TTL: u8 = 0x08;
const HAS_DELETION: u8 = 0x10;
const HAS_ALL_COLUMNS: u8 = 0x20;
const HAS_COMPLEX_DELETION: u8 = 0x40;
const EXTENSION_FLAG: u8 = 0x80;
// Extended flags.
const IS_STATIC: u8 = 0x01;
// A materialized view's row deletion that a newer row liveness undoes.
const HAS_SHADOWABLE_DELETION: u8 = 0x02;
// Cell flags.
const CELL_DELETED: u8 = 0x01;
const CELL_EXPIRING: u8 = 0x02;
const CELL_EMPTY_VALUE: u8 = 0x04;
const CELL_USE_ROW_TIMESTAMP: u8 = 0x08;
const CELL_USE_ROW_TTL: u8 = 0x10;

/// Reads a DeletionTime in the version's encoding (partition headers,
/// Index.db): up to `nb` 12 bytes (i32 local deletion time, i64
/// marked-for-delete-at); from `oa` the byte 0x80 alone when live, else
/// i64 marked-for-delete-at and u32 local deletion time.
pub(crate) fn read_deletion_time(c: &mut Cursor<'_>, version: Version) -> Result<DeletionTime> {
    if version.has_uint_deletion_time() {
        let at = c.position();
        let first = c.u8("deletion time")?;
        if first & 0x80 != 0 {
            return if first == 0x80 {
                Ok(DeletionTime::LIVE)
            } else {
                Err(c.corrupt_at(at, format!("deletion time flag byte {first:#x}")))
            };
        }
        let rest = c.take(7, "deletion time")?;
        let mut mfda = [0u8; 8];
        mfda[0] = first;
        mfda[1..].copy_from_slice(rest);
        let ldt = c.u32("local deletion time")?;
        Ok(DeletionTime {
            marked_for_delete_at: i64::from_be_bytes(mfda),
            local_deletion_time: i64::from(ldt),
        })
    } else {
        let ldt = c.i32("local deletion time")?;
        let mfda = c.i64("marked for delete at")?;
        if ldt == i32::MAX && mfda == i64::MIN {
            Ok(DeletionTime::LIVE)
        } else {
            Ok(DeletionTime {
                marked_for_delete_at: mfda,
                local_deletion_time: i64::from(ldt),
            })
        }
    }
}

/// What one flags byte of the stream introduces.
enum Item {
    End,
    Static(Row),
    Unfiltered(Unfiltered),
}

/// What the decoder needs of a column.
#[derive(Debug, Clone)]
struct ColumnShape {
    type_string: String,
    multi_cell: bool,
    fixed_length: Option<usize>,
}

/// What decoding needs of a serialization header, worked out once per
/// SSTable rather than once per read: each column's shape and each
/// clustering type's fixed length.
#[derive(Debug, Clone)]
pub struct HeaderShapes {
    statics: Vec<ColumnShape>,
    regulars: Vec<ColumnShape>,
    clustering_fixed: Vec<Option<usize>>,
}

impl HeaderShapes {
    /// The shapes of `header`'s columns.
    pub fn new(header: &SerializationHeader) -> Self {
        HeaderShapes {
            statics: shapes(&header.static_columns),
            regulars: shapes(&header.regular_columns),
            clustering_fixed: header
                .clustering_types
                .iter()
                .map(|t| fixed_value_length(t))
                .collect(),
        }
    }
}

fn shapes(columns: &[HeaderColumn]) -> Vec<ColumnShape> {
    columns
        .iter()
        .map(|c| ColumnShape {
            type_string: c.type_string.clone(),
            multi_cell: is_multi_cell(&c.type_string),
            fixed_length: fixed_value_length(&c.type_string),
        })
        .collect()
}

/// Decodes partitions, one after another, from the whole uncompressed
/// data stream of one SSTable.
pub struct DataReader<'a> {
    cursor: Cursor<'a>,
    header: &'a SerializationHeader,
    version: Version,
    shapes: Cow<'a, HeaderShapes>,
}

impl std::fmt::Debug for DataReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataReader")
            .field("position", &self.cursor.position())
            .finish_non_exhaustive()
    }
}

impl<'a> DataReader<'a> {
    /// A decoder over `stream` (the uncompressed Data.db, whose errors name
    /// `path` and offsets in the uncompressed stream).
    pub fn new(
        stream: &'a [u8],
        header: &'a SerializationHeader,
        version: Version,
        path: &'a Path,
    ) -> Self {
        Self::from_parts(
            stream,
            header,
            Cow::Owned(HeaderShapes::new(header)),
            version,
            path,
        )
    }

    /// [`DataReader::new`] with the header's shapes worked out already.
    pub fn with_shapes(
        stream: &'a [u8],
        header: &'a SerializationHeader,
        shapes: &'a HeaderShapes,
        version: Version,
        path: &'a Path,
    ) -> Self {
        Self::from_parts(stream, header, Cow::Borrowed(shapes), version, path)
    }

    fn from_parts(
        stream: &'a [u8],
        header: &'a SerializationHeader,
        shapes: Cow<'a, HeaderShapes>,
        version: Version,
        path: &'a Path,
    ) -> Self {
        DataReader {
            cursor: Cursor::new(stream, path),
            header,
            version,
            shapes,
        }
    }

    /// Where the next read starts, in the bytes given to the decoder.
    pub(crate) fn position(&self) -> u64 {
        self.cursor.position()
    }

    /// Continues decoding at `position` in the stream (where Index.db says
    /// a partition starts).
    ///
    /// # Errors
    /// Corruption if `position` is past the end of the stream.
    pub fn seek(&mut self, position: u64) -> Result<()> {
        self.cursor.set_position(position)
    }

    /// The next partition, or `None` at the end of the stream.
    ///
    /// # Errors
    /// Corruption naming the file and the offset in the data stream.
    pub fn next_partition(&mut self) -> Result<Option<Partition>> {
        if self.cursor.remaining() == 0 {
            return Ok(None);
        }
        let key = self.cursor.bytes_short("partition key")?.to_vec();
        let deletion = read_deletion_time(&mut self.cursor, self.version)?;
        let mut static_row = None;
        let mut unfiltereds = Vec::new();
        loop {
            let at = self.cursor.position();
            match self.next_item()? {
                Item::End => break,
                Item::Static(row) => {
                    if static_row.is_some() || !unfiltereds.is_empty() {
                        return Err(self.cursor.corrupt_at(at, "static row out of place"));
                    }
                    // Cassandra writes a static row for every partition
                    // of a table with static columns; an empty one means
                    // none.
                    static_row = Some(row).filter(|r| !r.is_empty());
                }
                Item::Unfiltered(u) => unfiltereds.push(u),
            }
        }
        Ok(Some(Partition {
            key,
            deletion,
            static_row,
            unfiltereds,
        }))
    }

    /// Reads just a partition's header: key, deletion, and the static row
    /// when the table has static columns (the bytes Index.db's
    /// `header_length` counts).
    ///
    /// # Errors
    /// Corruption naming the file and offset.
    pub fn partition_header(&mut self) -> Result<(Vec<u8>, DeletionTime, Option<Row>)> {
        let key = self.cursor.bytes_short("partition key")?.to_vec();
        let deletion = read_deletion_time(&mut self.cursor, self.version)?;
        if self.shapes.statics.is_empty() {
            return Ok((key, deletion, None));
        }
        let at = self.cursor.position();
        match self.next_item()? {
            Item::Static(row) => Ok((key, deletion, Some(row).filter(|r| !r.is_empty()))),
            _ => Err(self.cursor.corrupt_at(at, "expected the static row")),
        }
    }

    /// Reads the next row or marker of a partition from inside it (a
    /// row-index block); `None` at the end of the partition or of the bytes.
    ///
    /// # Errors
    /// Corruption naming the file and offset.
    pub fn next_unfiltered(&mut self) -> Result<Option<Unfiltered>> {
        if self.cursor.remaining() == 0 {
            return Ok(None);
        }
        let at = self.cursor.position();
        match self.next_item()? {
            Item::End => Ok(None),
            Item::Unfiltered(u) => Ok(Some(u)),
            Item::Static(_) => Err(self.cursor.corrupt_at(at, "static row inside a partition")),
        }
    }

    /// Reads one flags byte and what it introduces.
    fn next_item(&mut self) -> Result<Item> {
        let at = self.cursor.position();
        let flags = self.cursor.u8("unfiltered flags")?;
        if flags & END_OF_PARTITION != 0 {
            return Ok(Item::End);
        }
        let extended = if flags & EXTENSION_FLAG != 0 {
            self.cursor.u8("extended flags")?
        } else {
            0
        };
        if extended & HAS_SHADOWABLE_DELETION != 0 {
            // Read as a plain row deletion it would hide data that a newer
            // row liveness brings back in Cassandra: refuse rather than
            // answer wrongly.
            return Err(Error::Unsupported {
                path: self.cursor.path().to_path_buf(),
                what: format!("shadowable row deletion (a materialized view's row) at offset {at}"),
            });
        }
        if flags & IS_MARKER != 0 {
            Ok(Item::Unfiltered(Unfiltered::Marker(self.marker()?)))
        } else if extended & IS_STATIC != 0 {
            if self.shapes.statics.is_empty() {
                return Err(self
                    .cursor
                    .corrupt_at(at, "static row in a table without static columns"));
            }
            Ok(Item::Static(self.row(flags, true)?))
        } else {
            Ok(Item::Unfiltered(Unfiltered::Row(self.row(flags, false)?)))
        }
    }

    fn timestamp(&mut self, what: &str) -> Result<i64> {
        Ok(self
            .header
            .min_timestamp
            .wrapping_add(self.cursor.vint(what)? as i64))
    }

    fn local_deletion_time(&mut self, what: &str) -> Result<i64> {
        let sum = self.header.min_local_deletion_time + i64::from(self.cursor.vint32(what)?);
        Ok(if self.version.has_uint_deletion_time() {
            i64::from(sum as u32)
        } else {
            i64::from(sum as i32)
        })
    }

    fn ttl(&mut self, what: &str) -> Result<u32> {
        let at = self.cursor.position();
        let ttl = self.header.min_ttl.wrapping_add(self.cursor.vint32(what)?);
        u32::try_from(ttl).map_err(|_| self.cursor.corrupt_at(at, format!("negative TTL {ttl}")))
    }

    fn delta_deletion(&mut self) -> Result<DeletionTime> {
        let marked_for_delete_at = self.timestamp("deletion timestamp")?;
        let local_deletion_time = self.local_deletion_time("deletion time")?;
        Ok(DeletionTime {
            marked_for_delete_at,
            local_deletion_time,
        })
    }

    /// Reads a size vint and returns where the sized part must end.
    fn sized_end(&mut self, what: &str) -> Result<u64> {
        let size = self.cursor.vint(what)?;
        let start = self.cursor.position();
        start
            .checked_add(size)
            .filter(|&end| end <= start + self.cursor.remaining() as u64)
            .ok_or_else(|| {
                self.cursor
                    .corrupt(format!("{what} {size} runs past the data"))
            })
    }

    fn check_end(&self, end: u64, what: &str) -> Result<()> {
        if self.cursor.position() != end {
            return Err(self.cursor.corrupt(format!(
                "{what} ends at {} but its size says {end}",
                self.cursor.position()
            )));
        }
        Ok(())
    }

    fn marker(&mut self) -> Result<Marker> {
        let bound = read_bound(&mut self.cursor, &self.header.clustering_types)?;
        let end = self.sized_end("marker size")?;
        self.cursor.vint("previous unfiltered size")?;
        let (end_deletion, start_deletion) = match bound.kind {
            PrefixKind::ExclEndInclStartBoundary | PrefixKind::InclEndExclStartBoundary => {
                let closing = self.delta_deletion()?;
                (Some(closing), Some(self.delta_deletion()?))
            }
            PrefixKind::InclStartBound | PrefixKind::ExclStartBound => {
                (None, Some(self.delta_deletion()?))
            }
            PrefixKind::InclEndBound | PrefixKind::ExclEndBound => {
                (Some(self.delta_deletion()?), None)
            }
            kind => return Err(self.cursor.corrupt(format!("marker of kind {kind:?}"))),
        };
        self.check_end(end, "marker")?;
        Ok(Marker {
            bound,
            end_deletion,
            start_deletion,
        })
    }

    fn row(&mut self, flags: u8, is_static: bool) -> Result<Row> {
        let clustering = if is_static {
            Vec::new()
        } else {
            let fixed = &self.shapes.clustering_fixed;
            read_fixed_values(&mut self.cursor, fixed, fixed.len())?
        };
        let end = self.sized_end("row size")?;
        self.cursor.vint("previous unfiltered size")?;
        let liveness = if flags & HAS_TIMESTAMP != 0 {
            let timestamp = self.timestamp("row timestamp")?;
            let expiry = if flags & HAS_TTL != 0 {
                let ttl = self.ttl("row TTL")?;
                Some((ttl, self.local_deletion_time("row expiry")?))
            } else {
                None
            };
            Some(LivenessInfo { timestamp, expiry })
        } else {
            None
        };
        let deletion = if flags & HAS_DELETION != 0 {
            Some(self.delta_deletion()?)
        } else {
            None
        };
        let count = if is_static {
            self.shapes.statics.len()
        } else {
            self.shapes.regulars.len()
        };
        // Most rows carry every column: no subset to allocate then.
        let subset = if flags & HAS_ALL_COLUMNS != 0 {
            None
        } else {
            Some(crate::column_subset::read_subset(&mut self.cursor, count)?)
        };
        let present = subset.as_ref().map_or(count, Vec::len);
        let mut columns = Vec::with_capacity(present);
        for i in 0..present {
            let column = subset.as_ref().map_or(i, |s| s[i]);
            let multi_cell = if is_static {
                &self.shapes.statics
            } else {
                &self.shapes.regulars
            }[column]
                .multi_cell;
            if multi_cell {
                let deletion = if flags & HAS_COMPLEX_DELETION != 0 {
                    let d = self.delta_deletion()?;
                    if d.marked_for_delete_at == i64::MIN {
                        DeletionTime::LIVE
                    } else {
                        d
                    }
                } else {
                    DeletionTime::LIVE
                };
                let at = self.cursor.position();
                let n = self.cursor.vint32("complex cell count")?;
                let n = usize::try_from(n)
                    .ok()
                    .filter(|&n| n <= self.cursor.remaining())
                    .ok_or_else(|| {
                        self.cursor
                            .corrupt_at(at, format!("complex cell count {n}"))
                    })?;
                let mut cells = Vec::with_capacity(n);
                for _ in 0..n {
                    cells.push(self.cell(column, is_static, true, liveness)?);
                }
                columns.push(ColumnData::Complex {
                    column,
                    deletion,
                    cells,
                });
            } else {
                let cell = self.cell(column, is_static, false, liveness)?;
                columns.push(ColumnData::Simple { column, cell });
            }
        }
        self.check_end(end, "row")?;
        Ok(Row {
            clustering,
            liveness,
            deletion,
            columns,
        })
    }

    fn cell(
        &mut self,
        column: usize,
        is_static: bool,
        in_complex: bool,
        row: Option<LivenessInfo>,
    ) -> Result<Cell> {
        let at = self.cursor.position();
        let flags = self.cursor.u8("cell flags")?;
        let timestamp = if flags & CELL_USE_ROW_TIMESTAMP != 0 {
            row.ok_or_else(|| {
                self.cursor
                    .corrupt_at(at, "cell reuses a row timestamp the row lacks")
            })?
            .timestamp
        } else {
            self.timestamp("cell timestamp")?
        };
        let deleted = flags & CELL_DELETED != 0;
        let expiring = flags & CELL_EXPIRING != 0;
        let kind = if flags & CELL_USE_ROW_TTL != 0 {
            let (ttl, expiry) = row.and_then(|r| r.expiry).ok_or_else(|| {
                self.cursor
                    .corrupt_at(at, "cell reuses a row TTL the row lacks")
            })?;
            if deleted {
                CellKind::Tombstone {
                    local_deletion_time: expiry,
                }
            } else {
                CellKind::Expiring {
                    ttl,
                    local_expiration_time: expiry,
                }
            }
        } else if deleted || expiring {
            let ldt = self.local_deletion_time("cell deletion time")?;
            if expiring && !deleted {
                let ttl = self.ttl("cell TTL")?;
                CellKind::Expiring {
                    ttl,
                    local_expiration_time: ldt,
                }
            } else {
                if expiring {
                    self.ttl("cell TTL")?;
                }
                CellKind::Tombstone {
                    local_deletion_time: ldt,
                }
            }
        } else {
            CellKind::Live
        };
        let path = if in_complex {
            Some(self.cursor.bytes_vint("cell path")?.to_vec())
        } else {
            None
        };
        let value = if flags & CELL_EMPTY_VALUE != 0 {
            Vec::new()
        } else {
            let shape = &(if is_static {
                &self.shapes.statics
            } else {
                &self.shapes.regulars
            })[column];
            let fixed = match &path {
                Some(path) => {
                    let value_type =
                        cell_value_type(&shape.type_string, path).ok_or_else(|| {
                            self.cursor
                                .corrupt_at(at, "cell path names no field of its user type")
                        })?;
                    fixed_value_length(value_type)
                }
                None => shape.fixed_length,
            };
            match fixed {
                Some(len) => self.cursor.take(len, "cell value")?.to_vec(),
                None => self.cursor.bytes_vint("cell value")?.to_vec(),
            }
        };
        Ok(Cell {
            timestamp,
            kind,
            path,
            value,
        })
    }
}
