//! `ilion sstable dump`: partitions as JSON in the shape of Cassandra's
//! `sstabledump` (`tools/JsonTransformer.java`): an array of
//! `{"partition": {key, position, deletion_info?}, "rows": [...]}`.
//!
//! Rows carry `type` (`row`, `static_block`, `range_tombstone_bound`,
//! `range_tombstone_boundary`), `position` (an offset in the uncompressed
//! data stream, as sstabledump computes it), `clustering`, `liveness_info`,
//! `deletion_info` and `cells`; values are decoded per column type.

use super::{json, layout};
use ilion_sstable::clustering::{ClusteringBound, ClusteringValue, PrefixKind};
use ilion_sstable::cql_value;
use ilion_sstable::reader::{PositionedPartition, SstableReader};
use ilion_sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion_sstable::rows::{Cell, ColumnData, Marker, Row, Unfiltered};
use ilion_sstable::statistics::{HeaderColumn, SerializationHeader};
use ilion_sstable::types::{class_name, is_multi_cell, parameters, unreversed};
use serde_json::{Map, Value};
use std::error::Error;
use std::io::Write;
use std::path::PathBuf;

/// Dumps every partition of `files` (or only the one with `key`) to
/// standard output as one JSON array. A reader that stops reading (`| head`)
/// ends the dump quietly.
pub fn run(files: &[PathBuf], key: Option<&str>) -> Result<(), Box<dyn Error>> {
    match write_dump(files, key) {
        Err(e) if is_broken_pipe(e.as_ref()) => Ok(()),
        other => other,
    }
}

fn is_broken_pipe(e: &(dyn Error + 'static)) -> bool {
    let kind = e
        .downcast_ref::<std::io::Error>()
        .map(std::io::Error::kind)
        .or_else(|| {
            e.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
        });
    kind == Some(std::io::ErrorKind::BrokenPipe)
}

fn write_dump(files: &[PathBuf], key: Option<&str>) -> Result<(), Box<dyn Error>> {
    // Every SSTable opened, and the key read in each one's key type, before
    // anything is printed: an error leaves no half-written array behind.
    let mut tables = Vec::with_capacity(files.len());
    for file in files {
        let reader = SstableReader::open(file)?;
        let key_bytes =
            match key {
                Some(text) => {
                    let key_type = &reader.statistics().header.key_type;
                    Some(cql_value::from_text(key_type, text).ok_or_else(|| {
                        format!("cannot read `{text}` as a key of type {key_type}")
                    })?)
                }
                None => None,
            };
        tables.push((reader, key_bytes));
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut first = true;
    out.write_all(b"[")?;
    let now = json::now_seconds();
    let mut text = String::new();
    for (reader, key_bytes) in &tables {
        let header = &reader.statistics().header;
        let mut emit = |p: PositionedPartition| -> Result<(), Box<dyn Error>> {
            text.clear();
            text.push_str(if first { "\n  " } else { ",\n  " });
            first = false;
            layout::write_partition(&mut text, &partition(header, &p, now), 1);
            out.write_all(text.as_bytes())?;
            Ok(())
        };
        match key_bytes {
            Some(bytes) => {
                if let Some(p) = reader.get_positioned(bytes)? {
                    emit(p)?;
                }
            }
            None => {
                for p in reader.positioned()? {
                    emit(p?)?;
                }
            }
        }
    }
    out.write_all(if first { b" ]\n" } else { b"\n]\n" })?;
    out.flush()?;
    Ok(())
}

fn partition(header: &SerializationHeader, p: &PositionedPartition, now: i64) -> Value {
    let mut info = Map::new();
    info.insert("key".into(), key(&header.key_type, &p.partition.key));
    info.insert("position".into(), p.position.into());
    if !p.partition.deletion.is_live() {
        info.insert(
            "deletion_info".into(),
            json::deletion(&p.partition.deletion),
        );
    }
    // The positions sstabledump prints: its partition iterator has read
    // one part ahead when the first is printed, so the static row and the
    // first row or marker show where the first one ends; every later one
    // shows where it starts. (Cassandra's documentation shows a one-row
    // partition of 62 bytes with its row at 61; published dumps show the
    // first two rows of a partition at the same position.)
    let starts = &p.unfiltered_positions;
    let first = starts.get(1).copied().unwrap_or(p.end_position);
    let printed = |i: usize| {
        if i == 0 {
            first
        } else {
            starts.get(i).copied().unwrap_or(first)
        }
    };
    let mut rows = Vec::new();
    if let Some(row) = &p.partition.static_row {
        rows.push(self::row(header, row, first, true, now));
    }
    for (i, u) in p.partition.unfiltereds.iter().enumerate() {
        rows.push(match u {
            Unfiltered::Row(r) => row(header, r, printed(i), false, now),
            Unfiltered::Marker(m) => marker(header, m, printed(i)),
        });
    }
    let mut m = Map::new();
    m.insert("partition".into(), Value::Object(info));
    m.insert("rows".into(), Value::Array(rows));
    Value::Object(m)
}

/// The key's components as text (each type's `getString`), one per
/// partition-key column.
fn key(key_type: &str, key: &[u8]) -> Value {
    let t = unreversed(key_type);
    if class_name(t) == "CompositeType" {
        if let Some(components) = cql_value::composite_components(key) {
            let types = parameters(t);
            return Value::Array(
                components
                    .iter()
                    .zip(types)
                    .map(|(c, ty)| Value::String(cql_value::to_text(ty, c)))
                    .collect(),
            );
        }
    }
    Value::Array(vec![Value::String(cql_value::to_text(key_type, key))])
}

/// Clustering values, `*` for the columns a bound's prefix leaves out.
fn clustering(header: &SerializationHeader, values: &[ClusteringValue]) -> Value {
    let types = &header.clustering_types;
    let width = types.len().max(values.len());
    Value::Array(
        (0..width)
            .map(|i| match (values.get(i), types.get(i)) {
                (None, _) => Value::String("*".into()),
                (Some(None), _) => Value::Null,
                (Some(Some(v)), Some(ty)) => json::cql(ty, v),
                (Some(Some(v)), None) => Value::String(cql_value::hex(v)),
            })
            .collect(),
    )
}

fn row(header: &SerializationHeader, row: &Row, at: u64, is_static: bool, now: i64) -> Value {
    let mut m = Map::new();
    let kind = if is_static { "static_block" } else { "row" };
    m.insert("type".into(), kind.into());
    m.insert("position".into(), at.into());
    if !is_static && !row.clustering.is_empty() {
        m.insert("clustering".into(), clustering(header, &row.clustering));
    }
    if let Some(liveness) = &row.liveness {
        let mut l = Map::new();
        l.insert("tstamp".into(), json::micros(liveness.timestamp));
        if let Some((ttl, expires)) = liveness.expiry {
            l.insert("ttl".into(), ttl.into());
            l.insert("expires_at".into(), json::seconds(expires));
            l.insert("expired".into(), (expires < now).into());
        }
        m.insert("liveness_info".into(), Value::Object(l));
    }
    if let Some(deletion) = &row.deletion {
        m.insert("deletion_info".into(), json::deletion(deletion));
    }
    let columns = if is_static {
        &header.static_columns
    } else {
        &header.regular_columns
    };
    let mut cells = Vec::new();
    for data in &row.columns {
        match data {
            ColumnData::Simple { column, cell: c } => {
                cells.push(self::cell(
                    columns.get(*column),
                    c,
                    row.liveness.as_ref(),
                    now,
                ));
            }
            ColumnData::Complex {
                column,
                deletion,
                cells: complex,
            } => {
                if !deletion.is_live() {
                    let mut d = Map::new();
                    d.insert("name".into(), name(columns.get(*column)));
                    d.insert("deletion_info".into(), json::deletion(deletion));
                    cells.push(Value::Object(d));
                }
                for c in complex {
                    cells.push(self::cell(
                        columns.get(*column),
                        c,
                        row.liveness.as_ref(),
                        now,
                    ));
                }
            }
        }
    }
    m.insert("cells".into(), Value::Array(cells));
    Value::Object(m)
}

fn name(column: Option<&HeaderColumn>) -> Value {
    column.map_or_else(
        || Value::String("?".into()),
        |c| Value::String(String::from_utf8_lossy(&c.name).into_owned()),
    )
}

/// A collection or user-type cell's path as text (a list's timeuuid, a
/// set's element, a map's key, a field's name) and the type of the cell's
/// value; hex and no type where the column type is not multi-cell.
pub(super) fn cell_path(type_string: &str, path: &[u8]) -> (String, Option<String>) {
    let params = parameters(type_string);
    if is_multi_cell(type_string) {
        match class_name(type_string) {
            // A list cell's path is a timeuuid; a set's, its element;
            // a map's, its key.
            "ListType" => (
                cql_value::to_text("org.apache.cassandra.db.marshal.TimeUUIDType", path),
                params.first().map(|s| s.to_string()),
            ),
            "SetType" => (
                params
                    .first()
                    .map_or_else(|| cql_value::hex(path), |t| cql_value::to_text(t, path)),
                Some("org.apache.cassandra.db.marshal.EmptyType".to_string()),
            ),
            "MapType" => (
                params
                    .first()
                    .map_or_else(|| cql_value::hex(path), |t| cql_value::to_text(t, path)),
                params.get(1).map(|s| s.to_string()),
            ),
            "UserType" => user_field(&params, path),
            _ => (cql_value::hex(path), None),
        }
    } else {
        (cql_value::hex(path), None)
    }
}

/// A cell: its name, its path in a collection or user type, its value
/// (or deletion), and its timestamp and TTL where they differ from the
/// row's liveness (as sstabledump leaves them out when equal).
fn cell(
    column: Option<&HeaderColumn>,
    cell: &Cell,
    liveness: Option<&LivenessInfo>,
    now: i64,
) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), name(column));
    let type_string = column.map_or("", |c| c.type_string.as_str());
    let mut value_type = type_string.to_string();
    if let Some(path) = &cell.path {
        let (path_text, cell_type) = cell_path(type_string, path);
        m.insert("path".into(), Value::Array(vec![Value::String(path_text)]));
        value_type = cell_type.unwrap_or_default();
    }
    match cell.kind {
        CellKind::Tombstone {
            local_deletion_time,
        } => {
            let mut d = Map::new();
            d.insert(
                "local_delete_time".into(),
                json::seconds(local_deletion_time),
            );
            m.insert("deletion_info".into(), Value::Object(d));
        }
        _ => {
            m.insert("value".into(), json::cql(&value_type, &cell.value));
        }
    }
    if liveness.is_none_or(|l| l.timestamp != cell.timestamp) {
        m.insert("tstamp".into(), json::micros(cell.timestamp));
    }
    if let CellKind::Expiring {
        ttl,
        local_expiration_time,
    } = cell.kind
    {
        let row_ttl = liveness.and_then(|l| l.expiry).map_or(0, |(t, _)| t);
        if liveness.is_none() || ttl != row_ttl {
            m.insert("ttl".into(), ttl.into());
            m.insert("expires_at".into(), json::seconds(local_expiration_time));
            m.insert("expired".into(), (local_expiration_time <= now).into());
        }
    }
    Value::Object(m)
}

/// A user type's field named by a cell path (a 2-byte field index): its
/// name and type.
fn user_field(params: &[&str], path: &[u8]) -> (String, Option<String>) {
    let field = <[u8; 2]>::try_from(path)
        .ok()
        .and_then(|i| params.get(2 + usize::from(u16::from_be_bytes(i))))
        .and_then(|f| f.split_once(':'));
    match field {
        Some((hex_name, ty)) => {
            let name = cql_value::from_text("org.apache.cassandra.db.marshal.BytesType", hex_name)
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_else(|| hex_name.to_string());
            (name, Some(ty.to_string()))
        }
        None => (cql_value::hex(path), None),
    }
}

fn marker(header: &SerializationHeader, marker: &Marker, at: u64) -> Value {
    let mut m = Map::new();
    let kind = &marker.bound.kind;
    let live = DeletionTime::LIVE;
    if kind.is_boundary() {
        m.insert("type".into(), "range_tombstone_boundary".into());
        m.insert("position".into(), at.into());
        let (end, start) = marker.bound.boundary_parts();
        let opens = marker.start_deletion.unwrap_or(live);
        let closes = marker.end_deletion.unwrap_or(live);
        m.insert("start".into(), bound(header, &start, &opens));
        m.insert("end".into(), bound(header, &end, &closes));
    } else {
        m.insert("type".into(), "range_tombstone_bound".into());
        m.insert("position".into(), at.into());
        let (side, deletion) = if kind.is_start() {
            ("start", marker.start_deletion.or(marker.end_deletion))
        } else {
            ("end", marker.end_deletion.or(marker.start_deletion))
        };
        m.insert(
            side.into(),
            bound(header, &marker.bound, &deletion.unwrap_or(live)),
        );
    }
    Value::Object(m)
}

fn bound(header: &SerializationHeader, bound: &ClusteringBound, deletion: &DeletionTime) -> Value {
    let mut m = Map::new();
    let inclusive = matches!(
        bound.kind,
        PrefixKind::InclStartBound | PrefixKind::InclEndBound
    );
    m.insert(
        "type".into(),
        if inclusive { "inclusive" } else { "exclusive" }.into(),
    );
    if !bound.values.is_empty() {
        m.insert("clustering".into(), clustering(header, &bound.values));
    }
    m.insert("deletion_info".into(), json::deletion(deletion));
    Value::Object(m)
}
