//! CQL values in Cassandra's serialized form (the bytes a cell, key or
//! clustering holds for each CQL type), the marshal class names of the CQL
//! types, and shorthands for building rows and cells.

use ilion_sstable::clustering::{ClusteringBound, ClusteringValue, PrefixKind};
use ilion_sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion_sstable::rows::{Cell, ColumnData, Marker, Row, Unfiltered};
use ilion_sstable::schema::Column;

/// The marshal package every CQL type's class lives in.
pub const M: &str = "org.apache.cassandra.db.marshal.";

/// The Cassandra class name of a CQL type.
pub fn class(cql: &str) -> String {
    let name = match cql {
        "ascii" => "AsciiType",
        "bigint" => "LongType",
        "blob" => "BytesType",
        "boolean" => "BooleanType",
        "counter" => "CounterColumnType",
        "date" => "SimpleDateType",
        "decimal" => "DecimalType",
        "double" => "DoubleType",
        "duration" => "DurationType",
        "float" => "FloatType",
        "inet" => "InetAddressType",
        "int" => "Int32Type",
        "smallint" => "ShortType",
        "text" | "varchar" => "UTF8Type",
        "time" => "TimeType",
        "timestamp" => "TimestampType",
        "timeuuid" => "TimeUUIDType",
        "tinyint" => "ByteType",
        "uuid" => "UUIDType",
        "varint" => "IntegerType",
        "set<int>" => return format!("{M}SetType({M}Int32Type)"),
        other => panic!("no class for CQL type {other}"),
    };
    format!("{M}{name}")
}

/// A column of a CQL type.
pub fn col(name: &str, cql: &str) -> Column {
    Column::new(name, class(cql))
}

/// `int`: 4 bytes big-endian.
pub fn int(v: i32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// `text`, `varchar`, `ascii`: the UTF-8 bytes.
pub fn text(v: &str) -> Vec<u8> {
    v.as_bytes().to_vec()
}

/// `boolean`: one byte, 1 for true.
pub fn boolean(v: bool) -> Vec<u8> {
    vec![u8::from(v)]
}

/// A UUID literal's 16 bytes.
pub fn uuid(v: &str) -> Vec<u8> {
    let hex: String = v.chars().filter(|c| *c != '-').collect();
    (0..16)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Days from 1970-01-01 to a proleptic Gregorian date (the civil-calendar
/// arithmetic of CQL's `date` and `timestamp` literals).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A clustering value present.
pub fn ck(v: Vec<u8>) -> ClusteringValue {
    Some(v)
}

/// A live cell.
pub fn live(timestamp: i64, value: Vec<u8>) -> Cell {
    Cell {
        timestamp,
        kind: CellKind::Live,
        path: None,
        value,
    }
}

/// A simple column's cell.
pub fn simple(column: usize, cell: Cell) -> ColumnData {
    ColumnData::Simple { column, cell }
}

/// A set<…> element cell: the element is the path, the value is empty.
pub fn set_element(timestamp: i64, element: Vec<u8>) -> Cell {
    Cell {
        timestamp,
        kind: CellKind::Live,
        path: Some(element),
        value: Vec::new(),
    }
}

/// Primary-key liveness of an INSERT without TTL.
pub fn inserted(timestamp: i64) -> Option<LivenessInfo> {
    Some(LivenessInfo {
        timestamp,
        expiry: None,
    })
}

/// A row.
pub fn row(
    clustering: Vec<ClusteringValue>,
    liveness: Option<LivenessInfo>,
    columns: Vec<ColumnData>,
) -> Unfiltered {
    Unfiltered::Row(Row {
        clustering,
        liveness,
        deletion: None,
        columns,
    })
}

/// A deletion made at `timestamp` when the node's clock read `ldt`.
pub fn deletion(timestamp: i64, ldt: i64) -> DeletionTime {
    DeletionTime {
        marked_for_delete_at: timestamp,
        local_deletion_time: ldt,
    }
}

/// A range tombstone's two markers: start bound and end bound, each a
/// prefix of clustering values.
pub fn range(
    start: (PrefixKind, Vec<ClusteringValue>),
    end: (PrefixKind, Vec<ClusteringValue>),
    time: DeletionTime,
) -> [Unfiltered; 2] {
    [
        Unfiltered::Marker(Marker {
            bound: ClusteringBound {
                kind: start.0,
                values: start.1,
            },
            end_deletion: None,
            start_deletion: Some(time),
        }),
        Unfiltered::Marker(Marker {
            bound: ClusteringBound {
                kind: end.0,
                values: end.1,
            },
            end_deletion: Some(time),
            start_deletion: None,
        }),
    ]
}

/// A boundary marker closing `end` and opening `start`.
pub fn boundary(
    kind: PrefixKind,
    values: Vec<ClusteringValue>,
    end: DeletionTime,
    start: DeletionTime,
) -> Unfiltered {
    Unfiltered::Marker(Marker {
        bound: ClusteringBound { kind, values },
        end_deletion: Some(end),
        start_deletion: Some(start),
    })
}

/// A single bound marker.
pub fn bound(kind: PrefixKind, values: Vec<ClusteringValue>, time: DeletionTime) -> Unfiltered {
    let start = matches!(
        kind,
        PrefixKind::InclStartBound | PrefixKind::ExclStartBound
    );
    Unfiltered::Marker(Marker {
        bound: ClusteringBound { kind, values },
        end_deletion: (!start).then_some(time),
        start_deletion: start.then_some(time),
    })
}
