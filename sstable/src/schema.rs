//! A table's schema in Cassandra's data model: partition key, clustering
//! columns with their order, static and regular columns. From it come the
//! serialization header every SSTable of the table is written against, the
//! encoding of partition keys, and the checks a partition must pass before
//! it is written, so that the writer never meets input it cannot encode
//! and never produces bytes Cassandra would reject.

use std::cmp::Ordering;
use std::fmt;

use crate::clustering::{compare_prefix_parts as compare_prefixes, ClusteringValue, PrefixKind};
use crate::error::{Error, Result};
use crate::reconcile::{CellKind, LivenessInfo};
use crate::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};
use crate::statistics::{HeaderColumn, SerializationHeader};
use crate::types::{
    cell_value_type, class_name, compare_values, fixed_value_length, is_multi_cell, is_reversed,
    parameters,
};

/// The longest partition key: Data.db and Index.db write keys with a u16
/// length, and CQL refuses longer ones (`Validation.validateKey`: "Key
/// length of … is longer than maximum of 65535").
pub const MAX_KEY_LENGTH: usize = 65_535;

/// The longest clustering value: CQL refuses longer ones
/// (`ModificationStatement.validateClustering`, the same 65,535 as keys),
/// so no Cassandra table holds one.
pub const MAX_CLUSTERING_VALUE_LENGTH: usize = 65_535;

pub use crate::data_writer::MAX_CELL_VALUE_LENGTH;

/// The longest TTL, in seconds: 20 years (`Attributes.MAX_TTL`). Cassandra
/// refuses longer TTLs, and a TTL over `i32::MAX` would read back negative.
pub const MAX_TTL: u32 = 630_720_000;

/// The TTL Cassandra gives a row liveness that has expired on purpose
/// (`LivenessInfo.EXPIRED_LIVENESS_TTL`, written for materialized views):
/// legal in data read from Cassandra, so it must survive a rewrite.
const EXPIRED_LIVENESS_TTL: u32 = i32::MAX as u32;

/// The package Cassandra's type classes live in.
const MARSHAL: &str = "org.apache.cassandra.db.marshal.";

/// The order of a clustering column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClusteringOrder {
    /// Ascending: the type's own order.
    Asc,
    /// Descending: Cassandra wraps the type in `ReversedType`.
    Desc,
}

/// A column: its name and its type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    /// The name as stored (CQL lowercases unquoted identifiers before they
    /// get here; this is the already-resolved name).
    pub name: String,
    /// Cassandra's type string, e.g.
    /// `org.apache.cassandra.db.marshal.Int32Type`. Frozen collections and
    /// user types must be wrapped in `FrozenType(…)`: a bare collection or
    /// `UserType` is multi-cell.
    pub type_string: String,
}

impl Column {
    /// A column of this name and type string.
    pub fn new(name: impl Into<String>, type_string: impl Into<String>) -> Column {
        Column {
            name: name.into(),
            type_string: type_string.into(),
        }
    }
}

/// A table's columns, grouped by role. The lists keep the declared order;
/// the serialization header's order is derived from them (see
/// [`TableSchema::serialization_header`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    /// The partition key columns, in key order.
    pub partition_key: Vec<Column>,
    /// The clustering columns, in clustering order, each with its order.
    pub clustering: Vec<(Column, ClusteringOrder)>,
    /// The static columns.
    pub static_columns: Vec<Column>,
    /// The regular columns.
    pub regular_columns: Vec<Column>,
}

impl TableSchema {
    /// A schema, checked against Cassandra's rules for table definitions.
    ///
    /// # Errors
    /// `Error::Invalid` when there is no partition key column, a name is
    /// empty or used twice, a type string is empty or a `ReversedType`
    /// (descending order is given by [`ClusteringOrder::Desc`]), there are
    /// static columns but no clustering column, or a key or clustering
    /// column has a multi-cell type.
    pub fn new(
        partition_key: Vec<Column>,
        clustering: Vec<(Column, ClusteringOrder)>,
        static_columns: Vec<Column>,
        regular_columns: Vec<Column>,
    ) -> Result<TableSchema> {
        let schema = TableSchema {
            partition_key,
            clustering,
            static_columns,
            regular_columns,
        };
        schema.check_definition()?;
        Ok(schema)
    }

    /// Ilion's built-in table: `key blob PRIMARY KEY, value blob`.
    pub fn key_value() -> TableSchema {
        let blob = format!("{MARSHAL}BytesType");
        TableSchema {
            partition_key: vec![Column::new("key", blob.clone())],
            clustering: Vec::new(),
            static_columns: Vec::new(),
            regular_columns: vec![Column::new("value", blob)],
        }
    }

    fn check_definition(&self) -> Result<()> {
        if self.partition_key.is_empty() {
            return Err(Error::invalid(
                "a table needs at least one partition key column",
            ));
        }
        // Cassandra: "Static columns are only useful (and thus allowed) if
        // the table has at least one clustering column".
        if !self.static_columns.is_empty() && self.clustering.is_empty() {
            return Err(Error::invalid(format!(
                "static column `{}` in a table without clustering columns",
                self.static_columns[0].name
            )));
        }
        let key_columns = self
            .partition_key
            .iter()
            .map(|c| (c, "partition key"))
            .chain(self.clustering.iter().map(|(c, _)| (c, "clustering")));
        let value_columns = self
            .static_columns
            .iter()
            .map(|c| (c, "static"))
            .chain(self.regular_columns.iter().map(|c| (c, "regular")));
        let mut names = std::collections::HashSet::new();
        for (column, role) in key_columns.clone().chain(value_columns) {
            if column.name.is_empty() {
                return Err(Error::invalid(format!("a {role} column has an empty name")));
            }
            if !names.insert(column.name.as_str()) {
                return Err(Error::invalid(format!(
                    "column name `{}` is used twice",
                    column.name
                )));
            }
            if column.type_string.is_empty() {
                return Err(Error::invalid(format!(
                    "{role} column `{}` has an empty type string",
                    column.name
                )));
            }
            if is_reversed(&column.type_string) {
                return Err(Error::invalid(format!(
                    "{role} column `{}` has type {}: give the base type, and \
                     ClusteringOrder::Desc for a descending clustering column",
                    column.name, column.type_string
                )));
            }
        }
        for (column, role) in key_columns {
            if is_multi_cell(&column.type_string) {
                return Err(Error::invalid(format!(
                    "{role} column `{}` has the multi-cell type {}; key and clustering \
                     columns must be frozen",
                    column.name, column.type_string
                )));
            }
        }
        Ok(())
    }

    /// The partition key's type string as Cassandra writes it in the
    /// serialization header: the column's type for a single-column key,
    /// `CompositeType(t1,t2,…)` otherwise.
    pub fn key_type(&self) -> String {
        match self.partition_key.as_slice() {
            [only] => only.type_string.clone(),
            columns => {
                let types: Vec<&str> = columns.iter().map(|c| c.type_string.as_str()).collect();
                format!("{MARSHAL}CompositeType({})", types.join(","))
            }
        }
    }

    /// The clustering columns' type strings, descending ones wrapped in
    /// `ReversedType(…)` as Cassandra writes them.
    pub fn clustering_types(&self) -> Vec<String> {
        self.clustering
            .iter()
            .map(|(column, order)| match order {
                ClusteringOrder::Asc => column.type_string.clone(),
                ClusteringOrder::Desc => format!("{MARSHAL}ReversedType({})", column.type_string),
            })
            .collect()
    }

    /// The serialization header for an SSTable of this table whose deltas
    /// are based on these minimums. Static and regular columns are listed
    /// in Cassandra's column order (see [`TableSchema::regular_column_index`]).
    pub fn serialization_header(
        &self,
        min_timestamp: i64,
        min_local_deletion_time: i64,
        min_ttl: i32,
    ) -> SerializationHeader {
        let header_columns = |columns: &[Column]| -> Vec<HeaderColumn> {
            header_order(columns)
                .into_iter()
                .map(|c| HeaderColumn {
                    name: c.name.as_bytes().to_vec(),
                    type_string: c.type_string.clone(),
                })
                .collect()
        };
        SerializationHeader {
            min_timestamp,
            min_local_deletion_time,
            min_ttl,
            key_type: self.key_type(),
            clustering_types: self.clustering_types(),
            static_columns: header_columns(&self.static_columns),
            regular_columns: header_columns(&self.regular_columns),
        }
    }

    /// The index of a regular column in the serialization header, which is
    /// what [`ColumnData`] refers to it by.
    ///
    /// Cassandra's column order (`ColumnMetadata.compareTo`): simple
    /// columns before complex ones, then by the first six bytes of the name
    /// with the top bit of the first byte flipped (`comparisonOrder` keeps
    /// `ColumnIdentifier.prefixComparison >>> 16`, and that prefix carries
    /// a sign-flip meant for a signed comparison), then by the name's
    /// unsigned bytes. For names starting with an ASCII byte this is plain
    /// byte order; names starting with a non-ASCII byte sort before all of
    /// those.
    pub fn regular_column_index(&self, name: &str) -> Option<usize> {
        header_order(&self.regular_columns)
            .iter()
            .position(|c| c.name == name)
    }

    /// The index of a static column in the serialization header (the
    /// order of [`TableSchema::regular_column_index`]).
    pub fn static_column_index(&self, name: &str) -> Option<usize> {
        header_order(&self.static_columns)
            .iter()
            .position(|c| c.name == name)
    }

    /// The partition key bytes of these component values: a single
    /// column's value as it is, several in Cassandra's `CompositeType`
    /// encoding (per component a u16 big-endian length, the bytes, and an
    /// end-of-component byte 0).
    ///
    /// # Errors
    /// `Error::Invalid` when the number of components is not the number of
    /// key columns, a component has a length its fixed-length type does
    /// not allow, a single-column key is empty (CQL refuses it: "Key may
    /// not be empty"), or a component or the whole key is longer than
    /// [`MAX_KEY_LENGTH`].
    pub fn encode_partition_key(&self, components: &[&[u8]]) -> Result<Vec<u8>> {
        if components.len() != self.partition_key.len() {
            return Err(Error::invalid(format!(
                "partition key of {} components for {} partition key columns",
                components.len(),
                self.partition_key.len()
            )));
        }
        for (value, column) in components.iter().zip(&self.partition_key) {
            check_limit(value.len(), MAX_KEY_LENGTH, || {
                format!("partition key column `{}`", column.name)
            })?;
            check_fixed_length(&column.type_string, value.len(), || {
                format!("partition key column `{}`", column.name)
            })?;
        }
        if let [only] = components {
            if only.is_empty() {
                return Err(Error::invalid("partition key is empty"));
            }
            return Ok(only.to_vec());
        }
        let length: usize = components.iter().map(|c| c.len() + 3).sum();
        check_limit(length, MAX_KEY_LENGTH, || "partition key".to_string())?;
        let mut key = Vec::with_capacity(length);
        for value in components {
            // The length fits: every component was checked against the u16 limit.
            key.extend_from_slice(&(value.len() as u16).to_be_bytes());
            key.extend_from_slice(value);
            key.push(0);
        }
        Ok(key)
    }

    /// The component values of a partition key: the inverse of
    /// [`TableSchema::encode_partition_key`]. Empty keys are returned as
    /// one empty component (Cassandra reads them, though CQL never writes
    /// them).
    ///
    /// # Errors
    /// `Error::Invalid` when a composite key is truncated, a length runs
    /// past the end, an end-of-component byte is missing or not 0, bytes
    /// follow the last component, or a component has a length its
    /// fixed-length type does not allow.
    pub fn decode_partition_key(&self, key: &[u8]) -> Result<Vec<Vec<u8>>> {
        match self.partition_key.as_slice() {
            [_] => {
                self.check_partition_key(key)?;
                Ok(vec![key.to_vec()])
            }
            _ => self.split_partition_key(key),
        }
    }

    /// [`TableSchema::decode_partition_key`]'s checks, without copying a
    /// one-column key.
    fn check_partition_key(&self, key: &[u8]) -> Result<()> {
        match self.partition_key.as_slice() {
            [only] => check_fixed_length(&only.type_string, key.len(), || {
                format!("partition key column `{}`", only.name)
            }),
            _ => self.split_partition_key(key).map(drop),
        }
    }

    /// The components of a composite key, checked.
    fn split_partition_key(&self, key: &[u8]) -> Result<Vec<Vec<u8>>> {
        let mut components = Vec::with_capacity(self.partition_key.len());
        let mut rest = key;
        for (i, column) in self.partition_key.iter().enumerate() {
            let at = key.len() - rest.len();
            let Some((length, after)) = rest.split_first_chunk::<2>() else {
                return Err(Error::invalid(format!(
                    "composite partition key of {} bytes ends at byte {at}, inside the \
                     length of component {i} (`{}`)",
                    key.len(),
                    column.name
                )));
            };
            let length = u16::from_be_bytes(*length) as usize;
            let Some((value, after)) = after.split_at_checked(length) else {
                return Err(Error::invalid(format!(
                    "component {i} (`{}`) of the composite partition key claims {length} \
                     bytes at byte {}, past the end of the {}-byte key",
                    column.name,
                    at + 2,
                    key.len()
                )));
            };
            let Some((&end_of_component, after)) = after.split_first() else {
                return Err(Error::invalid(format!(
                    "component {i} (`{}`) of the composite partition key has no \
                     end-of-component byte",
                    column.name
                )));
            };
            if end_of_component != 0 {
                return Err(Error::invalid(format!(
                    "component {i} (`{}`) of the composite partition key ends with \
                     {end_of_component:#04x}, not 0x00",
                    column.name
                )));
            }
            check_fixed_length(&column.type_string, value.len(), || {
                format!("partition key column `{}`", column.name)
            })?;
            components.push(value.to_vec());
            rest = after;
        }
        if !rest.is_empty() {
            return Err(Error::invalid(format!(
                "{} bytes follow the last component of the composite partition key",
                rest.len()
            )));
        }
        Ok(components)
    }

    /// Checks that a partition fits this table and Cassandra's limits, so
    /// that the writer can encode it without panicking into bytes Cassandra
    /// accepts and reads back as the same data.
    ///
    /// Checked: the key (non-empty, at most [`MAX_KEY_LENGTH`], well formed
    /// for the key columns); the static row (only in a table with static
    /// columns, with an empty clustering; when absent, the writer writes
    /// the empty static row Cassandra expects); each row's clustering (one
    /// non-null value per clustering column, at most
    /// [`MAX_CLUSTERING_VALUE_LENGTH`], of its type's fixed length if any,
    /// or empty); markers (a bound or boundary kind, the deletions that
    /// kind carries, at most one non-null value per clustering column, each
    /// range closed before the next opens and by the end); columns (indexes
    /// in range and strictly increasing, simple data for simple columns and
    /// complex data for multi-cell ones); cells (a path exactly in complex
    /// columns, paths increasing, values at most [`MAX_CELL_VALUE_LENGTH`]
    /// and of their type's fixed length or empty, tombstones without a
    /// value, TTLs in `1..=MAX_TTL`); and the order of rows and markers
    /// under the clustering comparators (Cassandra's `ClusteringComparator`;
    /// unsigned bytes, reversed for descending columns, for a type Ilion
    /// has no comparator for): rows strictly increasing, markers
    /// non-decreasing.
    ///
    /// # Errors
    /// `Error::Invalid` naming the first thing wrong, and the limit.
    pub fn validate_partition(&self, partition: &Partition) -> Result<()> {
        PartitionCheck::new(self).validate(partition)
    }
}

/// [`TableSchema::validate_partition`] worked out once for a schema: the
/// clustering types, the columns in header order and what their types
/// require. A writer checking many partitions keeps one, so that a check
/// allocates nothing for a valid partition.
#[derive(Debug, Clone)]
pub struct PartitionCheck {
    schema: TableSchema,
    layout: Layout,
}

impl PartitionCheck {
    /// The check of `schema`'s partitions.
    pub fn new(schema: &TableSchema) -> PartitionCheck {
        let laid = |columns: &[Column]| -> Vec<LaidColumn> {
            header_order(columns)
                .into_iter()
                .map(|c| LaidColumn {
                    name: c.name.clone(),
                    type_string: c.type_string.clone(),
                    multi_cell: is_multi_cell(&c.type_string),
                    fixed: fixed_value_length(&c.type_string),
                })
                .collect()
        };
        PartitionCheck {
            schema: schema.clone(),
            layout: Layout {
                clustering: schema.clustering_types(),
                statics: laid(&schema.static_columns),
                regulars: laid(&schema.regular_columns),
            },
        }
    }

    /// As [`TableSchema::validate_partition`].
    ///
    /// # Errors
    /// As [`TableSchema::validate_partition`].
    pub fn validate(&self, partition: &Partition) -> Result<()> {
        if partition.key.is_empty() {
            return Err(Error::invalid("partition key is empty"));
        }
        check_limit(partition.key.len(), MAX_KEY_LENGTH, || {
            "partition key".to_string()
        })?;
        self.schema.check_partition_key(&partition.key)?;
        let layout = &self.layout;
        match (&partition.static_row, layout.statics.is_empty()) {
            (Some(_), true) => {
                return Err(Error::invalid(
                    "static row in a partition of a table without static columns",
                ))
            }
            (Some(row), false) => {
                if !row.clustering.is_empty() {
                    return Err(Error::invalid(format!(
                        "static row with {} clustering values; a static row has none",
                        row.clustering.len()
                    )));
                }
                layout.check_row(row, &layout.statics, At::item(Item::StaticRow))?;
            }
            (None, _) => {}
        }

        let mut previous: Option<(PrefixKind, &[ClusteringValue], bool)> = None;
        let mut open_range = false;
        for (i, unfiltered) in partition.unfiltereds.iter().enumerate() {
            let (kind, values, is_row) = match unfiltered {
                Unfiltered::Row(row) => {
                    let at = At::item(Item::Row(i));
                    layout.check_clustering(&row.clustering, at)?;
                    layout.check_row(row, &layout.regulars, at)?;
                    (PrefixKind::Clustering, row.clustering.as_slice(), true)
                }
                Unfiltered::Marker(marker) => {
                    open_range =
                        layout.check_marker(marker, At::item(Item::Marker(i)), open_range)?;
                    (marker.bound.kind, marker.bound.values.as_slice(), false)
                }
            };
            if let Some((previous_kind, previous_values, previous_is_row)) = previous {
                let order = compare_prefixes(
                    &layout.clustering,
                    (previous_kind, previous_values),
                    (kind, values),
                );
                // Two rows can never share a clustering; markers may meet
                // at one position (an end and a start Cassandra would have
                // merged into a boundary), which is tolerated.
                let in_order = if previous_is_row && is_row {
                    order == Ordering::Less
                } else {
                    order != Ordering::Greater
                };
                if !in_order {
                    return Err(Error::invalid(format!(
                        "{} {i} does not sort after the {} before it in clustering order",
                        if is_row { "row" } else { "marker" },
                        if previous_is_row { "row" } else { "marker" },
                    )));
                }
            }
            previous = Some((kind, values, is_row));
        }
        if open_range {
            return Err(Error::invalid(
                "a range tombstone is opened and never closed in the partition",
            ));
        }
        Ok(())
    }
}

/// The columns of one list in Cassandra's column order (see
/// [`TableSchema::regular_column_index`]).
fn header_order(columns: &[Column]) -> Vec<&Column> {
    let mut ordered: Vec<&Column> = columns.iter().collect();
    ordered.sort_by(|a, b| {
        column_order(
            (a.name.as_bytes(), &a.type_string),
            (b.name.as_bytes(), &b.type_string),
        )
    });
    ordered
}

/// Cassandra's order of two columns given as (name, type string): the
/// order of [`TableSchema::regular_column_index`], in which rows encode
/// their columns.
pub(crate) fn column_order(a: (&[u8], &str), b: (&[u8], &str)) -> Ordering {
    is_multi_cell(a.1)
        .cmp(&is_multi_cell(b.1))
        .then_with(|| name_prefix(a.0).cmp(&name_prefix(b.0)))
        .then_with(|| a.0.cmp(b.0))
}

/// The name bits of Cassandra's `ColumnMetadata.comparisonOrder`: the first
/// six bytes of the name, zero-padded, with the top bit of the first
/// flipped.
fn name_prefix(name: &[u8]) -> u64 {
    let mut prefix = [0u8; 8];
    for (slot, byte) in prefix[2..].iter_mut().zip(name) {
        *slot = *byte;
    }
    prefix[2] ^= 0x80;
    u64::from_be_bytes(prefix)
}

/// `Error::Invalid` when `len` exceeds `limit`.
fn check_limit(len: usize, limit: usize, what: impl FnOnce() -> String) -> Result<()> {
    if len > limit {
        return Err(Error::invalid(format!(
            "{} of {len} bytes exceeds the limit of {limit}",
            what()
        )));
    }
    Ok(())
}

/// `Error::Invalid` when a value of a fixed-length type has another length.
/// Empty values are allowed: Cassandra's validators accept them (an empty
/// `int` is a legal value), and the format marks them with a flag rather
/// than writing the type's length.
fn check_fixed_length(type_string: &str, len: usize, what: impl FnOnce() -> String) -> Result<()> {
    check_fixed(fixed_value_length(type_string), type_string, len, what)
}

/// [`check_fixed_length`] with the type's fixed length worked out.
fn check_fixed(
    fixed: Option<usize>,
    type_string: &str,
    len: usize,
    what: impl FnOnce() -> String,
) -> Result<()> {
    match fixed {
        Some(fixed) if len != fixed && len != 0 => Err(Error::invalid(format!(
            "{} has {len} bytes, but its type {} takes {fixed} (or none)",
            what(),
            class_name(type_string)
        ))),
        _ => Ok(()),
    }
}

/// Where in a partition a check failed: cheap to pass down, formatted
/// only when a check fails, so that valid partitions cost no allocation.
#[derive(Debug, Clone, Copy)]
struct At<'a> {
    item: Item,
    column: Option<&'a str>,
    cell: Option<usize>,
}

/// The row or marker a check is looking at.
#[derive(Debug, Clone, Copy)]
enum Item {
    StaticRow,
    Row(usize),
    Marker(usize),
}

impl<'a> At<'a> {
    fn item(item: Item) -> At<'a> {
        At {
            item,
            column: None,
            cell: None,
        }
    }

    fn column(self, name: &'a str) -> At<'a> {
        At {
            column: Some(name),
            ..self
        }
    }

    fn cell(self, index: usize) -> At<'a> {
        At {
            cell: Some(index),
            ..self
        }
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.item {
            Item::StaticRow => f.write_str("static row")?,
            Item::Row(i) => write!(f, "row {i}")?,
            Item::Marker(i) => write!(f, "marker {i}")?,
        }
        if let Some(name) = self.column {
            write!(f, ", column `{name}`")?;
        }
        if let Some(k) = self.cell {
            write!(f, ", cell {k}")?;
        }
        Ok(())
    }
}

/// The schema as one partition check needs it: clustering types and the
/// value columns in header order.
#[derive(Debug, Clone)]
struct Layout {
    clustering: Vec<String>,
    statics: Vec<LaidColumn>,
    regulars: Vec<LaidColumn>,
}

/// A value column as a check needs it.
#[derive(Debug, Clone)]
struct LaidColumn {
    name: String,
    type_string: String,
    multi_cell: bool,
    /// The fixed value length of its type, if any.
    fixed: Option<usize>,
}

impl Layout {
    /// A row's clustering: one value per clustering column.
    fn check_clustering(&self, values: &[ClusteringValue], at: At<'_>) -> Result<()> {
        if values.len() != self.clustering.len() {
            return Err(Error::invalid(format!(
                "{at} has {} clustering values for {} clustering columns",
                values.len(),
                self.clustering.len()
            )));
        }
        self.check_clustering_values(values, at)
    }

    /// Clustering values of a row or bound: none null, each within the
    /// limit and of its type's length.
    fn check_clustering_values(&self, values: &[ClusteringValue], at: At<'_>) -> Result<()> {
        for (j, (value, type_string)) in values.iter().zip(&self.clustering).enumerate() {
            let Some(value) = value else {
                return Err(Error::invalid(format!(
                    "{at}: clustering value {j} is null"
                )));
            };
            check_limit(value.len(), MAX_CLUSTERING_VALUE_LENGTH, || {
                format!("{at}: clustering value {j}")
            })?;
            check_fixed_length(type_string, value.len(), || {
                format!("{at}: clustering value {j}")
            })?;
        }
        Ok(())
    }

    /// A marker: its kind, deletions and values; returns whether a range
    /// is open after it.
    fn check_marker(&self, marker: &Marker, at: At<'_>, open_range: bool) -> Result<bool> {
        let kind = marker.bound.kind;
        let values = &marker.bound.values;
        if values.len() > self.clustering.len() {
            return Err(Error::invalid(format!(
                "{at} has {} clustering values for {} clustering columns",
                values.len(),
                self.clustering.len()
            )));
        }
        self.check_clustering_values(values, at)?;
        use PrefixKind::*;
        // The reader takes the number of deletions from the kind, so
        // anything else would desynchronise it.
        let (opens, closes) = match kind {
            InclStartBound | ExclStartBound => (true, false),
            InclEndBound | ExclEndBound => (false, true),
            ExclEndInclStartBoundary | InclEndExclStartBoundary => (true, true),
            Clustering | StaticClustering => {
                return Err(Error::invalid(format!(
                    "{at} has kind {kind:?}, which is not a bound or boundary"
                )))
            }
        };
        if marker.start_deletion.is_some() != opens || marker.end_deletion.is_some() != closes {
            return Err(Error::invalid(format!(
                "{at} of kind {kind:?} needs {} start and {} end deletion",
                if opens { "a" } else { "no" },
                if closes { "an" } else { "no" },
            )));
        }
        if closes != open_range {
            return Err(Error::invalid(if closes {
                format!("{at} ({kind:?}) closes a range tombstone that is not open")
            } else {
                format!("{at} ({kind:?}) opens a range tombstone while one is open")
            }));
        }
        Ok(opens)
    }

    /// A row's liveness and columns against the static or regular list.
    fn check_row(&self, row: &Row, columns: &[LaidColumn], at: At<'_>) -> Result<()> {
        if let Some(LivenessInfo {
            expiry: Some((ttl, _)),
            ..
        }) = row.liveness
        {
            if ttl != EXPIRED_LIVENESS_TTL {
                check_ttl(ttl, || format!("{at}: liveness"))?;
            }
        }
        let mut previous: Option<usize> = None;
        for data in &row.columns {
            let index = match data {
                ColumnData::Simple { column, .. } | ColumnData::Complex { column, .. } => *column,
            };
            let Some(column) = columns.get(index) else {
                return Err(Error::invalid(format!(
                    "{at}: column index {index} is out of range for {} columns",
                    columns.len()
                )));
            };
            if let Some(previous) = previous.filter(|&p| p >= index) {
                return Err(Error::invalid(format!(
                    "{at}: column index {index} follows index {previous}; columns must be \
                     in increasing order"
                )));
            }
            previous = Some(index);
            let at = at.column(&column.name);
            let multi_cell = column.multi_cell;
            match data {
                ColumnData::Simple { cell, .. } => {
                    if multi_cell {
                        return Err(Error::invalid(format!(
                            "{at}: simple data for the multi-cell type {}",
                            column.type_string
                        )));
                    }
                    if cell.path.is_some() {
                        return Err(Error::invalid(format!(
                            "{at}: a cell path in a simple column"
                        )));
                    }
                    check_cell(cell, column.fixed, &column.type_string, at)?;
                }
                ColumnData::Complex { cells, .. } => {
                    if !multi_cell {
                        return Err(Error::invalid(format!(
                            "{at}: complex data for the simple type {}",
                            column.type_string
                        )));
                    }
                    check_complex_cells(cells, &column.type_string, at)?;
                }
            }
        }
        Ok(())
    }
}

/// The cells of a complex column: each with a path naming a value of the
/// collection or user type, in increasing path order.
fn check_complex_cells(cells: &[Cell], type_string: &str, at: At<'_>) -> Result<()> {
    let path_type = path_type(type_string);
    let mut previous: Option<&[u8]> = None;
    for (k, cell) in cells.iter().enumerate() {
        let at = at.cell(k);
        let Some(path) = cell.path.as_deref() else {
            return Err(Error::invalid(format!("{at}: no cell path")));
        };
        let Some(value_type) = cell_value_type(type_string, path) else {
            return Err(Error::invalid(format!(
                "{at}: the path names no field of {type_string}"
            )));
        };
        if let Some(previous) = previous {
            // Where Ilion has no comparator (a list's TimeUUID paths) the
            // order cannot be judged, but equal bytes are a duplicate
            // under any comparator.
            let in_order = match path_type
                .as_deref()
                .and_then(|t| compare_values(t, previous, path))
            {
                Some(order) => order == Ordering::Less,
                None => previous != path,
            };
            if !in_order {
                return Err(Error::invalid(format!(
                    "{at}: the path does not sort after the one before it"
                )));
            }
        }
        previous = Some(path);
        check_cell(cell, fixed_value_length(value_type), value_type, at)?;
    }
    Ok(())
}

/// The type cell paths of a multi-cell type are compared by (its
/// `nameComparator`).
fn path_type(type_string: &str) -> Option<String> {
    match class_name(type_string) {
        "ListType" => Some(format!("{MARSHAL}TimeUUIDType")),
        "SetType" | "MapType" => parameters(type_string).first().map(|t| t.to_string()),
        "UserType" => Some(format!("{MARSHAL}ShortType")),
        _ => None,
    }
}

/// One cell's value and TTL.
fn check_cell(cell: &Cell, fixed: Option<usize>, value_type: &str, at: At<'_>) -> Result<()> {
    match cell.kind {
        CellKind::Tombstone { .. } if !cell.value.is_empty() => {
            // Cassandra: "A tombstone should not have a value".
            return Err(Error::invalid(format!(
                "{at}: a tombstone with a value of {} bytes",
                cell.value.len()
            )));
        }
        CellKind::Expiring { ttl, .. } => check_ttl(ttl, || at.to_string())?,
        _ => {}
    }
    check_limit(cell.value.len(), MAX_CELL_VALUE_LENGTH, || {
        format!("{at}: value")
    })?;
    check_fixed(fixed, value_type, cell.value.len(), || {
        format!("{at}: value")
    })
}

/// A TTL Cassandra can hold: positive (0 means "no TTL", so an expiring
/// cell with it would read back as a tombstone) and at most [`MAX_TTL`].
fn check_ttl(ttl: u32, what: impl FnOnce() -> String) -> Result<()> {
    if ttl == 0 || ttl > MAX_TTL {
        return Err(Error::invalid(format!(
            "{}: TTL of {ttl} s is outside 1..={MAX_TTL}",
            what()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clustering::ClusteringBound;
    use crate::reconcile::DeletionTime;

    fn t(name: &str) -> String {
        format!("{MARSHAL}{name}")
    }

    fn col(name: &str, type_name: &str) -> Column {
        Column::new(name, t(type_name))
    }

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(Error::Invalid { what }) => what,
            other => panic!("expected Error::Invalid, got {other:?}"),
        }
    }

    /// `(k text, n int, c1 int, c2 text DESC, s text static, a blob,
    /// b int, m map<text,int>)`, key `(k, n)`.
    fn schema() -> TableSchema {
        TableSchema::new(
            vec![col("k", "UTF8Type"), col("n", "Int32Type")],
            vec![
                (col("c1", "Int32Type"), ClusteringOrder::Asc),
                (col("c2", "UTF8Type"), ClusteringOrder::Desc),
            ],
            vec![col("s", "UTF8Type")],
            vec![
                Column::new(
                    "m",
                    format!("{}({},{})", t("MapType"), t("UTF8Type"), t("Int32Type")),
                ),
                col("b", "Int32Type"),
                col("a", "BytesType"),
            ],
        )
        .unwrap()
    }

    fn key() -> Vec<u8> {
        schema()
            .encode_partition_key(&[b"ab", &[0, 0, 0, 1]])
            .unwrap()
    }

    fn live(value: &[u8]) -> Cell {
        Cell {
            timestamp: 10,
            kind: CellKind::Live,
            path: None,
            value: value.to_vec(),
        }
    }

    fn row(c1: i32, c2: &str, columns: Vec<ColumnData>) -> Row {
        Row {
            clustering: vec![
                Some(c1.to_be_bytes().to_vec()),
                Some(c2.as_bytes().to_vec()),
            ],
            liveness: Some(LivenessInfo {
                timestamp: 10,
                expiry: None,
            }),
            deletion: None,
            columns,
        }
    }

    fn empty_static() -> Row {
        Row {
            clustering: Vec::new(),
            liveness: None,
            deletion: None,
            columns: Vec::new(),
        }
    }

    fn partition(unfiltereds: Vec<Unfiltered>) -> Partition {
        Partition {
            key: key(),
            deletion: DeletionTime::LIVE,
            static_row: Some(empty_static()),
            unfiltereds,
        }
    }

    fn rows(rows: Vec<Row>) -> Partition {
        partition(rows.into_iter().map(Unfiltered::Row).collect())
    }

    fn marker(kind: PrefixKind, values: Vec<ClusteringValue>) -> Unfiltered {
        let deletion = DeletionTime {
            marked_for_delete_at: 5,
            local_deletion_time: 100,
        };
        let (opens, closes) = match kind {
            PrefixKind::InclStartBound | PrefixKind::ExclStartBound => (true, false),
            PrefixKind::InclEndBound | PrefixKind::ExclEndBound => (false, true),
            _ => (true, true),
        };
        Unfiltered::Marker(Marker {
            bound: ClusteringBound { kind, values },
            end_deletion: closes.then_some(deletion),
            start_deletion: opens.then_some(deletion),
        })
    }

    fn simple(column: usize, cell: Cell) -> ColumnData {
        ColumnData::Simple { column, cell }
    }

    #[test]
    fn composite_key_bytes_and_round_trip() {
        let key = key();
        assert_eq!(
            key,
            [0x00, 0x02, 0x61, 0x62, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00]
        );
        assert_eq!(
            schema().decode_partition_key(&key).unwrap(),
            vec![b"ab".to_vec(), vec![0, 0, 0, 1]]
        );
        // Empty components are legal inside a composite key.
        let empty = schema().encode_partition_key(&[b"", b""]).unwrap();
        assert_eq!(empty, [0, 0, 0, 0, 0, 0]);
        assert_eq!(
            schema().decode_partition_key(&empty).unwrap(),
            vec![Vec::<u8>::new(), Vec::new()]
        );
        let kv = TableSchema::key_value();
        assert_eq!(kv.encode_partition_key(&[b"xyz"]).unwrap(), b"xyz");
        assert_eq!(
            kv.decode_partition_key(b"xyz").unwrap(),
            vec![b"xyz".to_vec()]
        );
    }

    #[test]
    fn malformed_composite_keys_are_refused() {
        let s = schema();
        let truncated_length = message(s.decode_partition_key(&[0x00]));
        assert!(
            truncated_length.contains("inside the length of component 0"),
            "{truncated_length}"
        );
        let past_end = message(s.decode_partition_key(&[0x00, 0x05, 0x61]));
        assert!(past_end.contains("past the end"), "{past_end}");
        let no_eoc = message(s.decode_partition_key(&[0x00, 0x01, 0x61]));
        assert!(no_eoc.contains("no end-of-component byte"), "{no_eoc}");
        let bad_eoc = message(s.decode_partition_key(&[0x00, 0x01, 0x61, 0x01]));
        assert!(bad_eoc.contains("0x01"), "{bad_eoc}");
        let second_missing = message(s.decode_partition_key(&[0x00, 0x01, 0x61, 0x00]));
        assert!(second_missing.contains("component 1"), "{second_missing}");
        let mut trailing = key();
        trailing.push(0);
        let trailing = message(s.decode_partition_key(&trailing));
        assert!(trailing.contains("follow the last component"), "{trailing}");
        let wrong_int = message(s.decode_partition_key(&[0, 1, 0x61, 0, 0, 3, 0, 0, 1, 0]));
        assert!(wrong_int.contains("takes 4"), "{wrong_int}");
        let int_key =
            TableSchema::new(vec![col("k", "Int32Type")], vec![], vec![], vec![]).unwrap();
        assert!(int_key.decode_partition_key(&[1, 2, 3]).is_err());
    }

    #[test]
    fn key_encoding_limits() {
        let kv = TableSchema::key_value();
        let max = vec![7u8; MAX_KEY_LENGTH];
        assert_eq!(
            kv.encode_partition_key(&[&max]).unwrap().len(),
            MAX_KEY_LENGTH
        );
        let over = message(kv.encode_partition_key(&[&vec![7u8; MAX_KEY_LENGTH + 1]]));
        assert!(
            over.contains("65536 bytes exceeds the limit of 65535"),
            "{over}"
        );
        assert!(message(kv.encode_partition_key(&[b""])).contains("empty"));
        let arity = message(kv.encode_partition_key(&[b"a", b"b"]));
        assert!(arity.contains("2 components for 1"), "{arity}");

        let s = schema();
        let int = 1i32.to_be_bytes();
        let fixed = message(s.encode_partition_key(&[b"a", &int[..3]]));
        assert!(
            fixed.contains("`n` has 3 bytes") && fixed.contains("Int32Type takes 4"),
            "{fixed}"
        );
        // Each component fits a u16, but with its length and end byte the
        // whole key does not: 65,531 + 4 + 2 × 3 = 65,541.
        let long = vec![0u8; MAX_KEY_LENGTH - 4];
        let total = message(s.encode_partition_key(&[&long, &int]));
        assert!(
            total.contains("partition key of 65541 bytes exceeds the limit of 65535"),
            "{total}"
        );
        let fits = vec![0u8; MAX_KEY_LENGTH - 10];
        assert_eq!(
            s.encode_partition_key(&[&fits, &int]).unwrap().len(),
            MAX_KEY_LENGTH - 10 + 4 + 6
        );
        assert!(s
            .encode_partition_key(&[&vec![0u8; MAX_KEY_LENGTH + 1], &int])
            .is_err());
    }

    #[test]
    fn type_strings() {
        assert_eq!(TableSchema::key_value().key_type(), t("BytesType"));
        assert_eq!(
            schema().key_type(),
            "org.apache.cassandra.db.marshal.CompositeType(\
             org.apache.cassandra.db.marshal.UTF8Type,\
             org.apache.cassandra.db.marshal.Int32Type)"
        );
        assert_eq!(
            schema().clustering_types(),
            vec![
                t("Int32Type"),
                "org.apache.cassandra.db.marshal.ReversedType(\
                 org.apache.cassandra.db.marshal.UTF8Type)"
                    .to_string()
            ]
        );
        assert!(TableSchema::key_value().clustering_types().is_empty());
    }

    #[test]
    fn header_follows_cassandras_column_order() {
        let header = schema().serialization_header(1, 2, 3);
        let names: Vec<&[u8]> = header
            .regular_columns
            .iter()
            .map(|c| c.name.as_slice())
            .collect();
        assert_eq!(
            names,
            [&b"a"[..], b"b", b"m"],
            "simple before complex, then by name"
        );
        assert_eq!(header.static_columns.len(), 1);
        assert_eq!(
            (
                header.min_timestamp,
                header.min_local_deletion_time,
                header.min_ttl
            ),
            (1, 2, 3)
        );
        assert_eq!(header.key_type, schema().key_type());
        assert_eq!(header.clustering_types, schema().clustering_types());
        let s = schema();
        assert_eq!(s.regular_column_index("a"), Some(0));
        assert_eq!(s.regular_column_index("m"), Some(2));
        assert_eq!(s.regular_column_index("s"), None);
        assert_eq!(s.static_column_index("s"), Some(0));

        // Upper case before lower case (byte order), but a name starting
        // with a non-ASCII byte before both: comparisonOrder flips that
        // byte's top bit.
        let quirk = TableSchema::new(
            vec![col("k", "BytesType")],
            vec![],
            vec![],
            vec![
                col("b", "BytesType"),
                col("ab", "BytesType"),
                col("a", "BytesType"),
                col("Z", "BytesType"),
                col("é", "BytesType"),
                Column::new("l", format!("{}({})", t("ListType"), t("Int32Type"))),
                Column::new(
                    "f",
                    format!("{}({}({}))", t("FrozenType"), t("ListType"), t("Int32Type")),
                ),
            ],
        )
        .unwrap();
        let order: Vec<String> = quirk
            .serialization_header(0, 0, 0)
            .regular_columns
            .into_iter()
            .map(|c| String::from_utf8(c.name).unwrap())
            .collect();
        assert_eq!(order, ["é", "Z", "a", "ab", "b", "f", "l"]);
        assert_eq!(quirk.regular_column_index("é"), Some(0));
    }

    #[test]
    fn schema_definitions_follow_cassandras_rules() {
        let no_key = message(TableSchema::new(vec![], vec![], vec![], vec![]));
        assert!(
            no_key.contains("at least one partition key column"),
            "{no_key}"
        );
        let k = || vec![col("k", "BytesType")];
        let static_alone = message(TableSchema::new(
            k(),
            vec![],
            vec![col("s", "BytesType")],
            vec![],
        ));
        assert!(
            static_alone.contains("without clustering columns"),
            "{static_alone}"
        );
        let twice = message(TableSchema::new(
            k(),
            vec![],
            vec![],
            vec![col("k", "BytesType")],
        ));
        assert!(twice.contains("`k` is used twice"), "{twice}");
        assert!(TableSchema::new(k(), vec![], vec![], vec![col("", "BytesType")]).is_err());
        assert!(TableSchema::new(k(), vec![], vec![], vec![Column::new("v", "")]).is_err());
        let set = Column::new("k", format!("{}({})", t("SetType"), t("Int32Type")));
        let multi = message(TableSchema::new(vec![set.clone()], vec![], vec![], vec![]));
        assert!(multi.contains("must be frozen"), "{multi}");
        let set_clustering = Column {
            name: "c".into(),
            ..set
        };
        assert!(TableSchema::new(
            k(),
            vec![(set_clustering, ClusteringOrder::Asc)],
            vec![],
            vec![]
        )
        .is_err());
        let reversed = Column::new("c", format!("{}({})", t("ReversedType"), t("Int32Type")));
        let reversed = message(TableSchema::new(
            k(),
            vec![(reversed, ClusteringOrder::Desc)],
            vec![],
            vec![],
        ));
        assert!(reversed.contains("ClusteringOrder::Desc"), "{reversed}");
        assert!(TableSchema::new(
            vec![col("a", "Int32Type"), col("b", "UTF8Type")],
            vec![(col("c", "Int32Type"), ClusteringOrder::Desc)],
            vec![col("s", "BytesType")],
            vec![col("v", "BytesType")],
        )
        .is_ok());
    }

    #[test]
    fn valid_partitions_pass() {
        let s = schema();
        let p = Partition {
            static_row: Some(Row {
                columns: vec![simple(0, live(b"static"))],
                ..empty_static()
            }),
            ..rows(vec![
                row(
                    1,
                    "b",
                    vec![simple(0, live(b"x")), simple(1, live(&7i32.to_be_bytes()))],
                ),
                // DESC second column: "a" after "b" at the same first value.
                row(1, "a", vec![simple(1, live(b""))]),
                row(2, "z", vec![]),
            ])
        };
        s.validate_partition(&p).unwrap();
        let kv = TableSchema::key_value();
        kv.validate_partition(&Partition {
            key: b"k".to_vec(),
            deletion: DeletionTime::LIVE,
            static_row: None,
            unfiltereds: vec![Unfiltered::Row(Row {
                clustering: vec![],
                liveness: None,
                deletion: None,
                columns: vec![simple(0, live(b"v"))],
            })],
        })
        .unwrap();
    }

    #[test]
    fn partition_key_limits() {
        let kv = TableSchema::key_value();
        let p = |key: Vec<u8>| Partition {
            key,
            deletion: DeletionTime::LIVE,
            static_row: None,
            unfiltereds: vec![],
        };
        kv.validate_partition(&p(vec![1; MAX_KEY_LENGTH])).unwrap();
        let over = message(kv.validate_partition(&p(vec![1; MAX_KEY_LENGTH + 1])));
        assert_eq!(
            over,
            "partition key of 65536 bytes exceeds the limit of 65535"
        );
        let over = message(kv.validate_partition(&p(vec![1; 70_000])));
        assert_eq!(
            over,
            "partition key of 70000 bytes exceeds the limit of 65535"
        );
        assert!(message(kv.validate_partition(&p(vec![]))).contains("empty"));
        // A composite-typed table checks the key's structure too.
        let bad = Partition {
            key: vec![0, 9, 1],
            ..rows(vec![])
        };
        assert!(message(schema().validate_partition(&bad)).contains("past the end"));
    }

    #[test]
    fn static_row_rules() {
        let s = schema();
        s.validate_partition(&Partition {
            static_row: None,
            ..rows(vec![])
        })
        .unwrap();
        let with_clustering = message(s.validate_partition(&Partition {
            static_row: Some(Row {
                clustering: vec![Some(vec![0, 0, 0, 1])],
                ..empty_static()
            }),
            ..rows(vec![])
        }));
        assert!(
            with_clustering.contains("static row with 1 clustering values"),
            "{with_clustering}"
        );
        let kv = TableSchema::key_value();
        let unwanted = message(kv.validate_partition(&Partition {
            key: b"k".to_vec(),
            deletion: DeletionTime::LIVE,
            static_row: Some(empty_static()),
            unfiltereds: vec![],
        }));
        assert!(unwanted.contains("without static columns"), "{unwanted}");
        let out_of_range = message(s.validate_partition(&Partition {
            static_row: Some(Row {
                columns: vec![simple(1, live(b"x"))],
                ..empty_static()
            }),
            ..rows(vec![])
        }));
        assert!(
            out_of_range.contains("column index 1 is out of range for 1 columns"),
            "{out_of_range}"
        );
    }

    #[test]
    fn clustering_limits() {
        let s = schema();
        let with_c2 = |c2: Option<Vec<u8>>| {
            let mut r = row(1, "", vec![]);
            r.clustering[1] = c2;
            s.validate_partition(&rows(vec![r]))
        };
        with_c2(Some(vec![b'x'; MAX_CLUSTERING_VALUE_LENGTH])).unwrap();
        let over = message(with_c2(Some(vec![b'x'; MAX_CLUSTERING_VALUE_LENGTH + 1])));
        assert!(
            over.contains("row 0: clustering value 1 of 65536 bytes exceeds the limit of 65535"),
            "{over}"
        );
        let null = message(with_c2(None));
        assert!(null.contains("clustering value 1 is null"), "{null}");

        let mut short_int = row(1, "a", vec![]);
        short_int.clustering[0] = Some(vec![0, 0, 1]);
        let fixed = message(s.validate_partition(&rows(vec![short_int])));
        assert!(
            fixed.contains("has 3 bytes, but its type Int32Type takes 4"),
            "{fixed}"
        );
        let mut empty_int = row(1, "a", vec![]);
        empty_int.clustering[0] = Some(vec![]);
        s.validate_partition(&rows(vec![empty_int])).unwrap();

        let mut arity = row(1, "a", vec![]);
        arity.clustering.pop();
        let arity = message(s.validate_partition(&rows(vec![arity])));
        assert!(
            arity.contains("1 clustering values for 2 clustering columns"),
            "{arity}"
        );
    }

    #[test]
    fn column_data_rules() {
        let s = schema();
        let check =
            |columns: Vec<ColumnData>| s.validate_partition(&rows(vec![row(1, "a", columns)]));
        let out_of_range = message(check(vec![simple(3, live(b"x"))]));
        assert!(
            out_of_range.contains("column index 3 is out of range for 3 columns"),
            "{out_of_range}"
        );
        let unordered = message(check(vec![simple(1, live(b"")), simple(0, live(b""))]));
        assert!(unordered.contains("increasing order"), "{unordered}");
        let repeated = message(check(vec![simple(0, live(b"")), simple(0, live(b""))]));
        assert!(repeated.contains("increasing order"), "{repeated}");
        let simple_on_map = message(check(vec![simple(2, live(b""))]));
        assert!(
            simple_on_map.contains("simple data for the multi-cell type"),
            "{simple_on_map}"
        );
        let complex_on_int = message(check(vec![ColumnData::Complex {
            column: 1,
            deletion: DeletionTime::LIVE,
            cells: vec![],
        }]));
        assert!(
            complex_on_int.contains("complex data for the simple type"),
            "{complex_on_int}"
        );
        let wrong_int = message(check(vec![simple(1, live(&[0, 0, 0, 0, 1]))]));
        assert!(
            wrong_int.contains("column `b`: value has 5 bytes"),
            "{wrong_int}"
        );
        let path_in_simple = message(check(vec![simple(
            0,
            Cell {
                path: Some(b"p".to_vec()),
                ..live(b"")
            },
        )]));
        assert!(
            path_in_simple.contains("cell path in a simple column"),
            "{path_in_simple}"
        );
    }

    #[test]
    fn cell_rules() {
        let s = schema();
        let check =
            |columns: Vec<ColumnData>| s.validate_partition(&rows(vec![row(1, "a", columns)]));
        let tombstone = |value: &[u8]| Cell {
            kind: CellKind::Tombstone {
                local_deletion_time: 100,
            },
            ..live(value)
        };
        check(vec![simple(1, tombstone(b""))]).unwrap();
        let valued = message(check(vec![simple(1, tombstone(b"\0\0\0\x01"))]));
        assert!(valued.contains("tombstone with a value"), "{valued}");
        let expiring = |ttl| Cell {
            kind: CellKind::Expiring {
                ttl,
                local_expiration_time: 100,
            },
            ..live(b"x")
        };
        check(vec![simple(0, expiring(MAX_TTL))]).unwrap();
        assert!(message(check(vec![simple(0, expiring(0))])).contains("TTL of 0 s"));
        assert!(message(check(vec![simple(0, expiring(MAX_TTL + 1))])).contains("outside"));

        let huge = message(check(vec![simple(
            0,
            live(&vec![0u8; MAX_CELL_VALUE_LENGTH + 1]),
        )]));
        assert!(
            huge.contains("value of 268435457 bytes exceeds the limit of 268435456"),
            "{huge}"
        );

        let map = |cells: Vec<Cell>| {
            check(vec![ColumnData::Complex {
                column: 2,
                deletion: DeletionTime::LIVE,
                cells,
            }])
        };
        let entry = |key: &[u8], value: &[u8]| Cell {
            path: Some(key.to_vec()),
            ..live(value)
        };
        let one = 1i32.to_be_bytes();
        map(vec![entry(b"a", &one), entry(b"b", &one)]).unwrap();
        assert!(message(map(vec![entry(b"b", &one), entry(b"a", &one)]))
            .contains("does not sort after"));
        assert!(message(map(vec![entry(b"a", &one), entry(b"a", &one)]))
            .contains("does not sort after"));
        assert!(message(map(vec![entry(b"a", &one[..2])])).contains("takes 4"));
        assert!(message(map(vec![live(&one)])).contains("no cell path"));

        let mut liveness = row(1, "a", vec![]);
        liveness.liveness = Some(LivenessInfo {
            timestamp: 1,
            expiry: Some((0, 5)),
        });
        assert!(message(s.validate_partition(&rows(vec![liveness.clone()]))).contains("liveness"));
        liveness.liveness = Some(LivenessInfo {
            timestamp: 1,
            expiry: Some((EXPIRED_LIVENESS_TTL, 5)),
        });
        s.validate_partition(&rows(vec![liveness])).unwrap();
    }

    #[test]
    fn rows_must_be_in_clustering_order() {
        let s = schema();
        let check = |list: Vec<Row>| s.validate_partition(&rows(list));
        check(vec![row(-1, "a", vec![]), row(1, "a", vec![])]).unwrap();
        let ints = message(check(vec![row(1, "a", vec![]), row(-1, "a", vec![])]));
        assert!(
            ints.contains("row 1 does not sort after the row before it"),
            "{ints}"
        );
        // Second column is DESC: "a" then "b" is out of order.
        assert!(check(vec![row(1, "a", vec![]), row(1, "b", vec![])]).is_err());
        assert!(
            check(vec![row(1, "a", vec![]), row(1, "a", vec![])]).is_err(),
            "duplicate"
        );

        // Byte fallback for a type without comparator, reversed for DESC.
        let uuid = TableSchema::new(
            vec![col("k", "BytesType")],
            vec![(col("u", "UUIDType"), ClusteringOrder::Desc)],
            vec![],
            vec![],
        )
        .unwrap();
        let uuid_rows = |first: u8, second: u8| Partition {
            key: b"k".to_vec(),
            deletion: DeletionTime::LIVE,
            static_row: None,
            unfiltereds: [first, second]
                .into_iter()
                .map(|b| {
                    Unfiltered::Row(Row {
                        clustering: vec![Some(vec![b; 16])],
                        liveness: None,
                        deletion: None,
                        columns: vec![],
                    })
                })
                .collect(),
        };
        uuid.validate_partition(&uuid_rows(2, 1)).unwrap();
        assert!(uuid.validate_partition(&uuid_rows(1, 2)).is_err());
    }

    #[test]
    fn marker_rules() {
        let s = schema();
        let c1 = |v: i32| Some(v.to_be_bytes().to_vec());
        use PrefixKind::*;
        // [1] ... (1, "a") ... (1] then (2, "z").
        s.validate_partition(&partition(vec![
            marker(InclStartBound, vec![c1(1)]),
            Unfiltered::Row(row(1, "a", vec![])),
            marker(InclEndExclStartBoundary, vec![c1(1)]),
            marker(ExclEndBound, vec![c1(2)]),
            Unfiltered::Row(row(2, "z", vec![])),
        ]))
        .unwrap();
        let before_row = message(s.validate_partition(&partition(vec![
            Unfiltered::Row(row(1, "a", vec![])),
            marker(InclStartBound, vec![c1(1)]),
            marker(InclEndBound, vec![c1(1)]),
        ])));
        assert!(
            before_row.contains("marker 1 does not sort after the row"),
            "{before_row}"
        );
        let unclosed =
            message(s.validate_partition(&partition(vec![marker(InclStartBound, vec![c1(1)])])));
        assert!(unclosed.contains("never closed"), "{unclosed}");
        let unopened =
            message(s.validate_partition(&partition(vec![marker(InclEndBound, vec![c1(1)])])));
        assert!(unopened.contains("not open"), "{unopened}");
        let too_many = message(s.validate_partition(&partition(vec![
            marker(
                InclStartBound,
                vec![c1(1), Some(b"a".to_vec()), Some(b"b".to_vec())],
            ),
            marker(InclEndBound, vec![]),
        ])));
        assert!(
            too_many.contains("marker 0 has 3 clustering values for 2"),
            "{too_many}"
        );
        let row_kind =
            message(s.validate_partition(&partition(vec![marker(Clustering, vec![c1(1)])])));
        assert!(row_kind.contains("not a bound"), "{row_kind}");
        let mut wrong_deletions = marker(InclStartBound, vec![c1(1)]);
        if let Unfiltered::Marker(m) = &mut wrong_deletions {
            m.end_deletion = m.start_deletion;
        }
        let wrong_deletions = message(s.validate_partition(&partition(vec![wrong_deletions])));
        assert!(
            wrong_deletions.contains("needs a start and no end deletion"),
            "{wrong_deletions}"
        );
        let null = message(s.validate_partition(&partition(vec![
            marker(InclStartBound, vec![None]),
            marker(InclEndBound, vec![]),
        ])));
        assert!(null.contains("null"), "{null}");
    }

    #[test]
    fn prefix_comparison_follows_kinds() {
        let types = vec![t("Int32Type")];
        let one = vec![Some(1i32.to_be_bytes().to_vec())];
        let row = (PrefixKind::Clustering, one.as_slice());
        let top = (PrefixKind::InclEndBound, &[][..]);
        let bottom = (PrefixKind::InclStartBound, &[][..]);
        assert_eq!(compare_prefixes(&types, bottom, row), Ordering::Less);
        assert_eq!(compare_prefixes(&types, top, row), Ordering::Greater);
        assert_eq!(compare_prefixes(&types, row, top), Ordering::Less);
        let excl_start = (PrefixKind::ExclStartBound, one.as_slice());
        assert_eq!(compare_prefixes(&types, row, excl_start), Ordering::Less);
    }
}
