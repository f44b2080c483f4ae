//! Key text back into bytes, as `sstabledump -k` reads it.

use super::time::days_from_civil;
use super::{base_type, unhex};
use crate::types::{class_name, parameters};

/// Parses `text` as a value of the type, the way `sstabledump -k` reads a
/// key (each type's `fromString`): strings as they are, numbers in
/// decimal, blobs in hex (`0x` optional), UUIDs, booleans, timestamps in
/// milliseconds, dates as `yyyy-MM-dd`, addresses; a `CompositeType` key as
/// its components joined with `:` (`\:` for a colon inside one). `None`
/// when the text is not a value of the type or the type is not one of
/// these.
pub fn from_text(type_string: &str, text: &str) -> Option<Vec<u8>> {
    let t = base_type(type_string);
    Some(match class_name(t) {
        "UTF8Type" => text.as_bytes().to_vec(),
        "AsciiType" => {
            if !text.is_ascii() {
                return None;
            }
            text.as_bytes().to_vec()
        }
        "Int32Type" => text.parse::<i32>().ok()?.to_be_bytes().to_vec(),
        "LongType" | "CounterColumnType" => text.parse::<i64>().ok()?.to_be_bytes().to_vec(),
        "ShortType" => text.parse::<i16>().ok()?.to_be_bytes().to_vec(),
        "ByteType" => text.parse::<i8>().ok()?.to_be_bytes().to_vec(),
        "BooleanType" => match text.to_ascii_lowercase().as_str() {
            "true" => vec![1],
            "false" => vec![0],
            _ => return None,
        },
        "FloatType" => text.parse::<f32>().ok()?.to_be_bytes().to_vec(),
        "DoubleType" => text.parse::<f64>().ok()?.to_be_bytes().to_vec(),
        "BytesType" => unhex(text)?,
        "UUIDType" | "TimeUUIDType" | "LexicalUUIDType" => {
            let h: String = text.chars().filter(|c| *c != '-').collect();
            if h.len() != 32 || text.len() != 36 {
                return None;
            }
            unhex(&h)?
        }
        "DateType" | "TimestampType" => text.parse::<i64>().ok()?.to_be_bytes().to_vec(),
        "SimpleDateType" => {
            let mut parts = text.splitn(3, '-');
            let (y, m, d) = (
                parts.next()?.parse::<i64>().ok()?,
                parts.next()?.parse::<u32>().ok()?,
                parts.next()?.parse::<u32>().ok()?,
            );
            let days = days_from_civil(y, m, d)?;
            u32::try_from(days + (1i64 << 31))
                .ok()?
                .to_be_bytes()
                .to_vec()
        }
        "InetAddressType" => match text.parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(a) => a.octets().to_vec(),
            std::net::IpAddr::V6(a) => a.octets().to_vec(),
        },
        "IntegerType" => {
            let n = text.parse::<i128>().ok()?;
            let bytes = n.to_be_bytes();
            // Shortest two's-complement form, as Java's BigInteger writes.
            let mut start = 0;
            while start < 15
                && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
                    || (bytes[start] == 0xFF && bytes[start + 1] & 0x80 != 0))
            {
                start += 1;
            }
            bytes[start..].to_vec()
        }
        "CompositeType" => {
            let params = parameters(t);
            let parts = split_unescaped_colons(text);
            if parts.len() != params.len() {
                return None;
            }
            let mut key = Vec::new();
            for (part, ty) in parts.iter().zip(&params) {
                let bytes = from_text(ty, part)?;
                key.extend_from_slice(&u16::try_from(bytes.len()).ok()?.to_be_bytes());
                key.extend_from_slice(&bytes);
                key.push(0);
            }
            key
        }
        _ => return None,
    })
}

pub(super) fn split_unescaped_colons(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), parts.last_mut()) {
                    last.push(next);
                }
            }
            ':' => parts.push(String::new()),
            c => {
                if let Some(last) = parts.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    parts
}
