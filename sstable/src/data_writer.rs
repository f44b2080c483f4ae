//! Encoding partitions into the Data.db stream: the inverse of
//! `data_reader`, choosing every flag as Cassandra's `UnfilteredSerializer`
//! does, so that the bytes are Cassandra's.

use crate::clustering::{ClusteringBound, ClusteringValue, PrefixKind};
use crate::error::{Error, Result};
use crate::reconcile::{CellKind, DeletionTime, LivenessInfo};
use crate::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};
use crate::statistics::{HeaderColumn, SerializationHeader};
use crate::types::{cell_value_type, fixed_value_length, is_multi_cell};
use crate::version::Version;
use crate::vint::{encode_unsigned_vint, write_unsigned_vint};

/// Where the parts of one written partition lie, relative to its start:
/// what Index.db's row index is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLayout {
    /// Bytes of key, deletion time and static row.
    pub header_length: u64,
    /// `(start, end)` of each unfiltered, in order.
    pub unfiltereds: Vec<(u64, u64)>,
    /// The whole partition's length, end-of-partition byte included.
    pub length: u64,
}

/// Encodes partitions against one serialization header.
#[derive(Debug, Clone)]
pub struct DataWriter {
    header: SerializationHeader,
    version: Version,
    /// The fixed value length of each clustering, static and regular
    /// column's type (`None`: written with a length), worked out once.
    clustering_fixed: Vec<Option<usize>>,
    static_fixed: Vec<Option<usize>>,
    regular_fixed: Vec<Option<usize>>,
    /// Whether each static and regular column holds several cells.
    static_multi_cell: Vec<bool>,
    regular_multi_cell: Vec<bool>,
}

fn write_vint32(value: i32, out: &mut Vec<u8>) {
    // Negative values are sign-extended to 64 bits, as Cassandra writes them.
    write_unsigned_vint(i64::from(value) as u64, out);
}

impl DataWriter {
    /// A writer for rows encoded against `header` in `version`.
    pub fn new(header: &SerializationHeader, version: Version) -> Self {
        let fixed = |types: &mut dyn Iterator<Item = &String>| -> Vec<Option<usize>> {
            types.map(|t| fixed_value_length(t)).collect()
        };
        DataWriter {
            clustering_fixed: fixed(&mut header.clustering_types.iter()),
            static_fixed: fixed(&mut header.static_columns.iter().map(|c| &c.type_string)),
            regular_fixed: fixed(&mut header.regular_columns.iter().map(|c| &c.type_string)),
            static_multi_cell: header
                .static_columns
                .iter()
                .map(|c| is_multi_cell(&c.type_string))
                .collect(),
            regular_multi_cell: header
                .regular_columns
                .iter()
                .map(|c| is_multi_cell(&c.type_string))
                .collect(),
            header: header.clone(),
            version,
        }
    }

    /// The serialization header rows are encoded against.
    pub fn header(&self) -> &SerializationHeader {
        &self.header
    }

    /// Checks that `partition` fits the header and the format's limits, so
    /// that its encoding is well-formed and reads back as it is: a key of
    /// at most 65,535 bytes; a static row only when the header has static
    /// columns; rows with one value per clustering column; markers with at
    /// most that many and deletions that match their kind; column indexes
    /// in range and increasing, simple cells only in simple columns; values
    /// of fixed-length types at that length.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the first problem.
    pub fn check(&self, partition: &Partition) -> Result<()> {
        let key_len = partition.key.len();
        if key_len > usize::from(u16::MAX) {
            return Err(Error::invalid(format!(
                "partition key of {key_len} bytes exceeds the limit of 65535"
            )));
        }
        let types = &self.header.clustering_types;
        if let Some(row) = &partition.static_row {
            if self.header.static_columns.is_empty() {
                return Err(Error::invalid(
                    "a static row in a table without static columns",
                ));
            }
            if !row.clustering.is_empty() {
                return Err(Error::invalid("a static row with clustering values"));
            }
            self.check_columns(
                row,
                &self.header.static_columns,
                &self.static_fixed,
                &self.static_multi_cell,
            )?;
        }
        for unfiltered in &partition.unfiltereds {
            match unfiltered {
                Unfiltered::Row(row) => {
                    if row.clustering.len() != types.len() {
                        return Err(Error::invalid(format!(
                            "a row with {} clustering values for {} clustering columns",
                            row.clustering.len(),
                            types.len()
                        )));
                    }
                    check_clustering_values(types, &self.clustering_fixed, &row.clustering)?;
                    self.check_columns(
                        row,
                        &self.header.regular_columns,
                        &self.regular_fixed,
                        &self.regular_multi_cell,
                    )?;
                }
                Unfiltered::Marker(marker) => {
                    let bound = &marker.bound;
                    if bound.values.len() > types.len() {
                        return Err(Error::invalid(format!(
                            "a bound of {} values for {} clustering columns",
                            bound.values.len(),
                            types.len()
                        )));
                    }
                    check_clustering_values(types, &self.clustering_fixed, &bound.values)?;
                    let (opens, closes) = match bound.kind {
                        PrefixKind::Clustering | PrefixKind::StaticClustering => {
                            return Err(Error::invalid("a range tombstone marker with a row kind"))
                        }
                        kind if kind.is_boundary() => (true, true),
                        kind => (kind.is_start(), !kind.is_start()),
                    };
                    if (
                        marker.start_deletion.is_some(),
                        marker.end_deletion.is_some(),
                    ) != (opens, closes)
                    {
                        return Err(Error::invalid(format!(
                            "a {:?} marker needs {} deletion times",
                            bound.kind,
                            if opens && closes {
                                "both"
                            } else if opens {
                                "only a start"
                            } else {
                                "only an end"
                            }
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    fn check_columns(
        &self,
        row: &Row,
        columns: &[HeaderColumn],
        fixed: &[Option<usize>],
        multi_cell: &[bool],
    ) -> Result<()> {
        let mut previous = None;
        for data in &row.columns {
            let index = column_index(data);
            let Some(column) = columns.get(index) else {
                return Err(Error::invalid(format!(
                    "column index {index} of a header with {} columns",
                    columns.len()
                )));
            };
            if previous.is_some_and(|p| p >= index) {
                return Err(Error::invalid("columns of a row out of header order"));
            }
            previous = Some(index);
            let multi_cell = multi_cell[index];
            let cells = match data {
                ColumnData::Simple { cell, .. } if !multi_cell => std::slice::from_ref(cell),
                ColumnData::Complex { cells, .. } if multi_cell => cells.as_slice(),
                _ => {
                    return Err(Error::invalid(format!(
                        "column {} of type {} given as {}",
                        String::from_utf8_lossy(&column.name),
                        column.type_string,
                        if multi_cell {
                            "one cell"
                        } else {
                            "several cells"
                        }
                    )))
                }
            };
            for cell in cells {
                if cell.value.len() > MAX_CELL_VALUE_LENGTH {
                    return Err(Error::invalid(format!(
                        "a cell value of {} bytes exceeds the limit of {MAX_CELL_VALUE_LENGTH}",
                        cell.value.len()
                    )));
                }
                if multi_cell != cell.path.is_some() {
                    return Err(Error::invalid(
                        "cell paths belong to multi-cell columns only",
                    ));
                }
                if multi_cell {
                    let path = cell.path.as_deref().unwrap_or_default();
                    let value_type =
                        cell_value_type(&column.type_string, path).unwrap_or(&column.type_string);
                    check_fixed_length(value_type, fixed_value_length(value_type), &cell.value)?;
                } else {
                    check_fixed_length(&column.type_string, fixed[index], &cell.value)?;
                }
            }
        }
        Ok(())
    }

    /// Appends one partition's bytes to `out`.
    ///
    /// The partition must fit the header ([`DataWriter::check`]); the
    /// result is then what Cassandra writes.
    pub fn write_partition(&self, partition: &Partition, out: &mut Vec<u8>) -> PartitionLayout {
        let mut layout = PartitionLayout {
            header_length: 0,
            unfiltereds: Vec::with_capacity(partition.unfiltereds.len()),
            length: 0,
        };
        self.write_partition_into(partition, out, &mut layout);
        layout
    }

    /// [`DataWriter::write_partition`] into a layout whose buffer is
    /// reused from one partition to the next.
    pub fn write_partition_into(
        &self,
        partition: &Partition,
        out: &mut Vec<u8>,
        layout: &mut PartitionLayout,
    ) {
        let start = out.len();
        out.extend_from_slice(&(partition.key.len() as u16).to_be_bytes());
        out.extend_from_slice(&partition.key);
        self.write_deletion_time(&partition.deletion, out);
        if !self.header.static_columns.is_empty() {
            // A table with static columns has a static row in every
            // partition, empty when there is no static data.
            let empty = Row::empty_static();
            self.write_row(
                partition.static_row.as_ref().unwrap_or(&empty),
                true,
                0,
                out,
            );
        }
        // The first unfiltered's "previous size" is the partition header.
        let header_length = (out.len() - start) as u64;
        let mut previous = header_length;
        layout.unfiltereds.clear();
        for unfiltered in &partition.unfiltereds {
            let at = out.len();
            match unfiltered {
                Unfiltered::Row(row) => self.write_row(row, false, previous, out),
                Unfiltered::Marker(marker) => self.write_marker(marker, previous, out),
            }
            previous = (out.len() - at) as u64;
            layout
                .unfiltereds
                .push(((at - start) as u64, (out.len() - start) as u64));
        }
        out.push(0x01);
        layout.header_length = header_length;
        layout.length = (out.len() - start) as u64;
    }

    /// A DeletionTime in the version's encoding (partition headers and
    /// Index.db).
    pub fn write_deletion_time(&self, deletion: &DeletionTime, out: &mut Vec<u8>) {
        if self.version.has_uint_deletion_time() {
            if deletion.is_live() {
                out.push(0x80);
            } else {
                out.extend_from_slice(&deletion.marked_for_delete_at.to_be_bytes());
                out.extend_from_slice(&(deletion.local_deletion_time as u32).to_be_bytes());
            }
        } else if deletion.is_live() {
            out.extend_from_slice(&i32::MAX.to_be_bytes());
            out.extend_from_slice(&i64::MIN.to_be_bytes());
        } else {
            out.extend_from_slice(&(deletion.local_deletion_time as i32).to_be_bytes());
            out.extend_from_slice(&deletion.marked_for_delete_at.to_be_bytes());
        }
    }

    fn timestamp(&self, timestamp: i64, out: &mut Vec<u8>) {
        write_unsigned_vint(
            timestamp.wrapping_sub(self.header.min_timestamp) as u64,
            out,
        );
    }

    fn local_deletion_time(&self, ldt: i64, out: &mut Vec<u8>) {
        write_vint32(
            ldt.wrapping_sub(self.header.min_local_deletion_time) as i32,
            out,
        );
    }

    fn ttl(&self, ttl: u32, out: &mut Vec<u8>) {
        write_vint32((ttl as i32).wrapping_sub(self.header.min_ttl), out);
    }

    fn delta_deletion(&self, deletion: &DeletionTime, out: &mut Vec<u8>) {
        self.timestamp(deletion.marked_for_delete_at, out);
        self.local_deletion_time(deletion.local_deletion_time, out);
    }

    /// Puts before the body written at `out[body_start..]` its size
    /// (which counts the previous-size vint too) and the previous
    /// unfiltered's size. The body is written in place and moved once, by a
    /// few bytes, rather than built in a buffer of its own.
    fn insert_size(out: &mut Vec<u8>, body_start: usize, previous: u64) {
        let body_len = (out.len() - body_start) as u64;
        let (prev, prev_len) = encode_unsigned_vint(previous);
        let (size, size_len) = encode_unsigned_vint(body_len + prev_len as u64);
        let prefix = size[..size_len].iter().chain(&prev[..prev_len]).copied();
        out.splice(body_start..body_start, prefix);
    }

    fn write_row(&self, row: &Row, is_static: bool, previous: u64, out: &mut Vec<u8>) {
        let (columns, fixed) = if is_static {
            (&self.header.static_columns, &self.static_fixed)
        } else {
            (&self.header.regular_columns, &self.regular_fixed)
        };
        let has_complex_deletion = row
            .columns
            .iter()
            .any(|c| matches!(c, ColumnData::Complex { deletion, .. } if !deletion.is_live()));
        let has_all_columns = row.columns.len() == columns.len();
        let mut flags = 0u8;
        if row.liveness.is_some() {
            flags |= 0x04;
        }
        if row.liveness.is_some_and(|l| l.expiry.is_some()) {
            flags |= 0x08;
        }
        if row.deletion.is_some() {
            flags |= 0x10;
        }
        if has_all_columns {
            flags |= 0x20;
        }
        if has_complex_deletion {
            flags |= 0x40;
        }
        if is_static {
            flags |= 0x80;
        }
        out.push(flags);
        if is_static {
            out.push(0x01);
        } else {
            self.write_clustering_values(&row.clustering, out);
        }
        let body_start = out.len();
        let body = out;
        if let Some(liveness) = row.liveness {
            self.timestamp(liveness.timestamp, body);
            if let Some((ttl, expiry)) = liveness.expiry {
                self.ttl(ttl, body);
                self.local_deletion_time(expiry, body);
            }
        }
        if let Some(deletion) = &row.deletion {
            self.delta_deletion(deletion, body);
        }
        if !has_all_columns {
            let present: Vec<usize> = row.columns.iter().map(column_index).collect();
            crate::column_subset::write_subset(&present, columns.len(), body);
        }
        for data in &row.columns {
            match data {
                ColumnData::Simple { column, cell } => {
                    self.write_cell(cell, fixed[*column], None, row.liveness, body)
                }
                ColumnData::Complex {
                    column,
                    deletion,
                    cells,
                } => {
                    if has_complex_deletion {
                        let deletion = if deletion.is_live() {
                            // A live complex deletion in a row that has
                            // others: the deltas of "no deletion".
                            DeletionTime {
                                marked_for_delete_at: i64::MIN,
                                local_deletion_time: if self.version.has_uint_deletion_time() {
                                    i64::from(u32::MAX)
                                } else {
                                    i64::from(i32::MAX)
                                },
                            }
                        } else {
                            *deletion
                        };
                        self.delta_deletion(&deletion, body);
                    }
                    write_vint32(cells.len() as i32, body);
                    for cell in cells {
                        let path = cell.path.as_deref().unwrap_or_default();
                        let column_type = &columns[*column].type_string;
                        let value_type = cell_value_type(column_type, path).unwrap_or(column_type);
                        self.write_cell(
                            cell,
                            fixed_value_length(value_type),
                            Some(path),
                            row.liveness,
                            body,
                        );
                    }
                }
            }
        }
        Self::insert_size(body, body_start, previous);
    }

    /// A cell whose value has `fixed` length if any, with its `path` in a
    /// complex column.
    fn write_cell(
        &self,
        cell: &Cell,
        fixed: Option<usize>,
        path: Option<&[u8]>,
        row: Option<LivenessInfo>,
        out: &mut Vec<u8>,
    ) {
        let (deleted, expiring) = match cell.kind {
            CellKind::Tombstone { .. } => (true, false),
            CellKind::Expiring { .. } => (false, true),
            CellKind::Live => (false, false),
        };
        let use_row_timestamp = row.is_some_and(|r| r.timestamp == cell.timestamp);
        let use_row_ttl = match (cell.kind, row.and_then(|r| r.expiry)) {
            (
                CellKind::Expiring {
                    ttl,
                    local_expiration_time,
                },
                Some((row_ttl, row_expiry)),
            ) => ttl == row_ttl && local_expiration_time == row_expiry,
            _ => false,
        };
        let mut flags = 0u8;
        if cell.value.is_empty() {
            flags |= 0x04;
        }
        if deleted {
            flags |= 0x01;
        } else if expiring {
            flags |= 0x02;
        }
        if use_row_timestamp {
            flags |= 0x08;
        }
        if use_row_ttl {
            flags |= 0x10;
        }
        out.push(flags);
        if !use_row_timestamp {
            self.timestamp(cell.timestamp, out);
        }
        if !use_row_ttl {
            match cell.kind {
                CellKind::Tombstone {
                    local_deletion_time,
                } => self.local_deletion_time(local_deletion_time, out),
                CellKind::Expiring {
                    ttl,
                    local_expiration_time,
                } => {
                    self.local_deletion_time(local_expiration_time, out);
                    self.ttl(ttl, out);
                }
                CellKind::Live => {}
            }
        }
        if let Some(path) = path {
            write_unsigned_vint(path.len() as u64, out);
            out.extend_from_slice(path);
        }
        if !cell.value.is_empty() {
            write_value(fixed, &cell.value, out);
        }
    }

    fn write_marker(&self, marker: &Marker, previous: u64, out: &mut Vec<u8>) {
        out.push(0x02);
        self.write_bound(&marker.bound, out);
        let body_start = out.len();
        match (marker.end_deletion, marker.start_deletion) {
            (Some(end), Some(start)) => {
                self.delta_deletion(&end, out);
                self.delta_deletion(&start, out);
            }
            (Some(only), None) | (None, Some(only)) => self.delta_deletion(&only, out),
            (None, None) => {}
        }
        Self::insert_size(out, body_start, previous);
    }

    /// A bound: kind byte, u16 size, value blocks.
    pub fn write_bound(&self, bound: &ClusteringBound, out: &mut Vec<u8>) {
        write_bound(&self.header.clustering_types, bound, out);
    }

    /// Clustering values in blocks of 32, each led by a vint of 2 bits per
    /// value (null, empty), as rows carry them (no kind, no size).
    pub fn write_clustering_values(&self, values: &[ClusteringValue], out: &mut Vec<u8>) {
        write_values(&self.clustering_fixed, values, out);
    }
}

/// A bound of clustering values of `types`: kind byte, u16 size, value
/// blocks.
pub fn write_bound(types: &[String], bound: &ClusteringBound, out: &mut Vec<u8>) {
    out.push(bound.kind as u8);
    out.extend_from_slice(&(bound.values.len() as u16).to_be_bytes());
    write_clustering_values(types, &bound.values, out);
}

/// Clustering values of `types` in blocks of 32, each led by a vint of 2
/// bits per value (null, empty).
pub fn write_clustering_values(types: &[String], values: &[ClusteringValue], out: &mut Vec<u8>) {
    let fixed: Vec<Option<usize>> = types.iter().map(|t| fixed_value_length(t)).collect();
    write_values(&fixed, values, out);
}

/// Clustering values whose types have the `fixed` lengths.
fn write_values(fixed: &[Option<usize>], values: &[ClusteringValue], out: &mut Vec<u8>) {
    for (block_index, block) in values.chunks(32).enumerate() {
        let mut header = 0u64;
        for (j, v) in block.iter().enumerate() {
            match v {
                None => header |= 1 << (2 * j + 1),
                Some(bytes) if bytes.is_empty() => header |= 1 << (2 * j),
                Some(_) => {}
            }
        }
        write_unsigned_vint(header, out);
        for (j, v) in block.iter().enumerate() {
            if let Some(bytes) = v.as_ref().filter(|b| !b.is_empty()) {
                let fixed = fixed.get(block_index * 32 + j).copied().flatten();
                write_value(fixed, bytes, out);
            }
        }
    }
}

/// The largest cell value Ilion writes: Cassandra's default
/// `max_value_size` (256 MiB), above which Cassandra refuses to read a value.
pub const MAX_CELL_VALUE_LENGTH: usize = 256 << 20;

fn check_clustering_values(
    types: &[String],
    fixed: &[Option<usize>],
    values: &[ClusteringValue],
) -> Result<()> {
    for ((value, type_string), fixed) in values.iter().zip(types).zip(fixed) {
        let Some(value) = value else { continue };
        if value.len() > usize::from(u16::MAX) {
            return Err(Error::invalid(format!(
                "a clustering value of {} bytes exceeds the limit of 65535",
                value.len()
            )));
        }
        check_fixed_length(type_string, *fixed, value)?;
    }
    Ok(())
}

/// A non-empty value of a fixed-length type must have that length: it is
/// written without a length, and any other size would misalign the reader.
fn check_fixed_length(type_string: &str, fixed: Option<usize>, value: &[u8]) -> Result<()> {
    match fixed {
        Some(len) if !value.is_empty() && value.len() != len => Err(Error::invalid(format!(
            "a value of {} bytes for {type_string}, which takes {len}",
            value.len()
        ))),
        _ => Ok(()),
    }
}

fn column_index(data: &ColumnData) -> usize {
    match data {
        ColumnData::Simple { column, .. } | ColumnData::Complex { column, .. } => *column,
    }
}

/// A value: bare for fixed-length types, with a vint length otherwise.
fn write_value(fixed: Option<usize>, value: &[u8], out: &mut Vec<u8>) {
    if fixed.is_none() {
        write_unsigned_vint(value.len() as u64, out);
    }
    out.extend_from_slice(value);
}
