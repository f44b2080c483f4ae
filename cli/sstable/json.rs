//! JSON values for the dump: CQL values through `cql_value`, times as
//! sstabledump prints them.

use ilion_sstable::cql_value;
use ilion_sstable::reconcile::DeletionTime;
use serde_json::{Map, Value};

/// A value of `type_string` as sstabledump prints it (the type's
/// `toJSONString`).
pub fn cql(type_string: &str, bytes: &[u8]) -> Value {
    let text = cql_value::to_json(type_string, bytes);
    // `to_json` always gives valid JSON; should it not, the text is kept
    // as a string rather than lost.
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// A write timestamp (µs) as an instant.
pub fn micros(timestamp: i64) -> Value {
    Value::String(cql_value::instant_micros(timestamp))
}

/// A local deletion or expiration time (s) as an instant.
pub fn seconds(time: i64) -> Value {
    Value::String(cql_value::instant(time, 0))
}

/// `{"marked_deleted": ..., "local_delete_time": ...}`.
pub fn deletion(deletion: &DeletionTime) -> Value {
    let mut m = Map::new();
    m.insert(
        "marked_deleted".into(),
        micros(deletion.marked_for_delete_at),
    );
    m.insert(
        "local_delete_time".into(),
        seconds(deletion.local_deletion_time),
    );
    Value::Object(m)
}

/// Seconds since the epoch now.
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
