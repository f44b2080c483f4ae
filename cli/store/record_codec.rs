//! How engines without columns or clustering (the peers) store YCSB's
//! records and time series in plain key-value pairs.

// Only the peers use these; their unit tests run in every build.
#![cfg_attr(not(feature = "peers"), allow(dead_code))]

use super::{Result, Series};

/// A YCSB record as one value, for engines without columns: per field a
/// u16 big-endian length and the bytes (YCSB's RocksDB binding stores a
/// record so and rewrites it whole on update).
pub fn encode_record(fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 2).sum());
    for field in fields {
        out.extend_from_slice(&(field.len() as u16).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

/// The fields of a record [`encode_record`] made.
pub fn decode_record(mut bytes: &[u8]) -> Result<Vec<&[u8]>> {
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let Some((length, rest)) = bytes.split_first_chunk::<2>() else {
            return Err("a record ends inside a field length".to_string());
        };
        let length = u16::from_be_bytes(*length) as usize;
        if rest.len() < length {
            return Err("a record ends inside a field".to_string());
        }
        fields.push(&rest[..length]);
        bytes = &rest[length..];
    }
    Ok(fields)
}

/// `record` with field `field` replaced by `value`.
pub fn replace_field(record: &[u8], field: usize, value: &[u8]) -> Result<Vec<u8>> {
    let mut fields = decode_record(record)?;
    match fields.get_mut(field) {
        Some(slot) => *slot = value,
        None => {
            return Err(format!(
                "a record of {} fields has no field {field}",
                fields.len()
            ))
        }
    }
    Ok(encode_record(&fields))
}

/// A time-series key for engines without clustering: the sensor's name,
/// the day and the time, big-endian so that byte order is time order.
pub fn series_prefix(series: Series) -> Vec<u8> {
    let mut key = series.sensor_name().into_bytes();
    key.extend_from_slice(&series.day.to_be_bytes());
    key
}

/// [`series_prefix`] followed by the time.
pub fn point_key(series: Series, at_millis: u64) -> Vec<u8> {
    let mut key = series_prefix(series);
    key.extend_from_slice(&at_millis.to_be_bytes());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_replace_one_field() {
        let fields: Vec<&[u8]> = vec![b"a", b"", b"ccc"];
        let record = encode_record(&fields);
        assert_eq!(decode_record(&record), Ok(fields));
        let replaced = replace_field(&record, 1, b"bb").expect("replace");
        assert_eq!(decode_record(&replaced), Ok(vec![&b"a"[..], b"bb", b"ccc"]));
        assert!(replace_field(&record, 3, b"x").is_err());
        assert!(decode_record(&record[..record.len() - 1]).is_err());
        assert!(decode_record(&[0]).is_err());
    }

    #[test]
    fn point_keys_sort_by_series_then_time() {
        let s = |sensor, day| Series { sensor, day };
        assert!(point_key(s(1, 2), 5) < point_key(s(1, 2), 256));
        assert!(point_key(s(1, 2), u64::MAX) < point_key(s(1, 3), 0));
        assert!(point_key(s(1, 9), 0) < point_key(s(2, 0), 0));
        assert!(point_key(s(7, 3), 9).starts_with(&series_prefix(s(7, 3))));
    }
}
