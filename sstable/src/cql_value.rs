//! CQL values as text, the way Cassandra's tools print them: [`to_json`]
//! follows each type's `toJSONString` (what `sstabledump` prints for cell
//! and clustering values), [`to_text`] each type's `getString` (partition
//! keys, collection paths), and [`from_text`] parses the text `sstabledump
//! -k` takes back into bytes.
//!
//! Types are Cassandra's marshal class names as the serialization header
//! stores them (see [`crate::types`]). A type Ilion does not know, or a
//! value that does not decode as its type, prints as hex (`0x…`): a dump
//! shows what is there instead of failing.

use crate::types::{class_name, parameters, unreversed};
use number::{java_big_decimal, java_double, java_float, varint_decimal};
use std::fmt::Write as _;
use time::{duration, simple_date, time_of_day, timestamp_millis};

pub(crate) mod number;
mod parse;
mod time;

pub use parse::from_text;
pub use time::{instant, instant_micros};

/// The type a `FrozenType(X)` or `ReversedType(X)` wraps, repeatedly.
fn base_type(type_string: &str) -> &str {
    let mut t = unreversed(type_string);
    while class_name(t) == "FrozenType" {
        match parameters(t).first() {
            Some(inner) => t = unreversed(inner),
            None => break,
        }
    }
    t
}

/// The value as a JSON value (Cassandra's `toJSONString`): strings quoted,
/// numbers bare, collections as arrays and objects. Always valid JSON; a
/// value that does not decode is the JSON string `"0x…"`.
pub fn to_json(type_string: &str, value: &[u8]) -> String {
    json_of(type_string, value).unwrap_or_else(|| quote(&hex(value)))
}

/// The value as plain text (Cassandra's `getString`): strings unquoted,
/// blobs as bare hex. A value that does not decode is `0x…`.
pub fn to_text(type_string: &str, value: &[u8]) -> String {
    text_of(type_string, value).unwrap_or_else(|| hex(value))
}

/// `0x` and the bytes in lowercase hex.
pub fn hex(value: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * value.len());
    s.push_str("0x");
    for b in value {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A JSON string literal of `s`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The total of a counter context (Cassandra's `CounterContext.total`):
/// a signed 16-bit header count, that many 16-bit indexes, then shards of
/// a 16-byte counter id, an 8-byte clock and an 8-byte count; the value is
/// the sum of the counts. `None` when the bytes are not a context.
pub fn counter_total(context: &[u8]) -> Option<i64> {
    let count = i16::from_be_bytes(context.get(..2)?.try_into().ok()?);
    let header = 2 + 2 * usize::from(count.unsigned_abs());
    let shards = context.get(header..)?;
    if shards.len() % 32 != 0 {
        return None;
    }
    let mut total = 0i64;
    for shard in shards.chunks_exact(32) {
        total = total.wrapping_add(i64::from_be_bytes(shard[24..32].try_into().ok()?));
    }
    Some(total)
}

fn fixed<const N: usize>(value: &[u8]) -> Option<[u8; N]> {
    value.try_into().ok()
}

fn json_of(type_string: &str, value: &[u8]) -> Option<String> {
    let t = base_type(type_string);
    let params = parameters(t);
    let name = class_name(t);
    // Numeric types print an empty value as an empty string
    // (`Objects.toString(null, "\"\"")` in their `toJSONString`).
    let numeric = matches!(
        name,
        "Int32Type"
            | "LongType"
            | "ShortType"
            | "ByteType"
            | "FloatType"
            | "DoubleType"
            | "IntegerType"
            | "DecimalType"
            | "CounterColumnType"
            | "BooleanType"
    );
    if value.is_empty() && numeric {
        return Some("\"\"".to_string());
    }
    Some(match name {
        "Int32Type" | "LongType" | "ShortType" | "ByteType" | "IntegerType"
        | "CounterColumnType" | "DecimalType" | "BooleanType" => text_of(t, value)?,
        "FloatType" => {
            let f = f32::from_be_bytes(fixed(value)?);
            // JSON has no NaN or infinities: Cassandra prints null.
            if !f.is_finite() {
                "null".to_string()
            } else {
                java_float(f)
            }
        }
        "DoubleType" => {
            let f = f64::from_be_bytes(fixed(value)?);
            if !f.is_finite() {
                "null".to_string()
            } else {
                java_double(f)
            }
        }
        "BytesType" => quote(&hex(value)),
        "ListType" | "SetType" => {
            let elements = collection_elements(value, 1)?;
            let element_type = params.first()?;
            let parts: Vec<String> = elements.iter().map(|e| to_json(element_type, e)).collect();
            format!("[{}]", parts.join(", "))
        }
        "MapType" => {
            let items = collection_elements(value, 2)?;
            let (key_type, value_type) = (params.first()?, params.get(1)?);
            let parts: Vec<String> = items
                .chunks_exact(2)
                .map(|kv| {
                    // JSON object keys are strings: a key that is not
                    // one already is quoted (MapType.toJSONString).
                    let key = to_json(key_type, &kv[0]);
                    let key = if key.starts_with('"') {
                        key
                    } else {
                        quote(&key)
                    };
                    format!("{key}: {}", to_json(value_type, &kv[1]))
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        "TupleType" => {
            let fields = tuple_fields(value, params.len())?;
            let parts: Vec<String> = fields
                .iter()
                .zip(&params)
                .map(|(f, ty)| f.map_or_else(|| "null".to_string(), |f| to_json(ty, f)))
                .collect();
            format!("[{}]", parts.join(", "))
        }
        "UserType" => {
            let fields = user_type_fields(&params)?;
            let values = tuple_fields(value, fields.len())?;
            let parts: Vec<String> = fields
                .iter()
                .zip(values)
                .map(|((field, ty), v)| {
                    let v = v.map_or_else(|| "null".to_string(), |v| to_json(ty, v));
                    format!("{}: {v}", quote(&maybe_quote_identifier(field)))
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        "CompositeType" => {
            let components = composite_components(value)?;
            let parts: Vec<String> = components
                .iter()
                .zip(&params)
                .map(|(c, ty)| to_json(ty, c))
                .collect();
            format!("[{}]", parts.join(", "))
        }
        "EmptyType" => "\"\"".to_string(),
        _ => quote(&text_of(t, value)?),
    })
}

fn text_of(type_string: &str, value: &[u8]) -> Option<String> {
    let t = base_type(type_string);
    let params = parameters(t);
    Some(match class_name(t) {
        "UTF8Type" => std::str::from_utf8(value).ok()?.to_string(),
        "AsciiType" => {
            if !value.is_ascii() {
                return None;
            }
            std::str::from_utf8(value).ok()?.to_string()
        }
        "Int32Type" => i32::from_be_bytes(fixed(value)?).to_string(),
        "LongType" => i64::from_be_bytes(fixed(value)?).to_string(),
        "ShortType" => i16::from_be_bytes(fixed(value)?).to_string(),
        "ByteType" => i8::from_be_bytes(fixed(value)?).to_string(),
        "CounterColumnType" => match counter_total(value) {
            Some(total) => total.to_string(),
            // A counter value outside a cell (an update's delta) is a long.
            None => i64::from_be_bytes(fixed(value)?).to_string(),
        },
        "BooleanType" => match value {
            [b] => (*b != 0).to_string(),
            _ => return None,
        },
        "FloatType" => java_float(f32::from_be_bytes(fixed(value)?)),
        "DoubleType" => java_double(f64::from_be_bytes(fixed(value)?)),
        // BytesSerializer.toString: hex without a prefix.
        "BytesType" => hex(value)[2..].to_string(),
        "UUIDType" | "TimeUUIDType" | "LexicalUUIDType" => uuid(fixed(value)?),
        "DateType" | "TimestampType" => timestamp_millis(i64::from_be_bytes(fixed(value)?)),
        "SimpleDateType" => simple_date(u32::from_be_bytes(fixed(value)?)),
        "TimeType" => time_of_day(i64::from_be_bytes(fixed(value)?))?,
        "InetAddressType" => inet(value)?,
        "IntegerType" => varint_decimal(value)?,
        "DecimalType" => {
            let scale = i32::from_be_bytes(fixed(value.get(..4)?)?);
            java_big_decimal(&varint_decimal(&value[4..])?, scale)
        }
        "DurationType" => duration(value)?,
        "EmptyType" => {
            if !value.is_empty() {
                return None;
            }
            String::new()
        }
        "ListType" => {
            let elements = collection_elements(value, 1)?;
            let ty = params.first()?;
            let parts: Vec<String> = elements.iter().map(|e| to_text(ty, e)).collect();
            format!("[{}]", parts.join(", "))
        }
        "SetType" => {
            let elements = collection_elements(value, 1)?;
            let ty = params.first()?;
            let parts: Vec<String> = elements.iter().map(|e| to_text(ty, e)).collect();
            format!("{{{}}}", parts.join(", "))
        }
        "MapType" => {
            let items = collection_elements(value, 2)?;
            let (kt, vt) = (params.first()?, params.get(1)?);
            let parts: Vec<String> = items
                .chunks_exact(2)
                .map(|kv| format!("{}: {}", to_text(kt, &kv[0]), to_text(vt, &kv[1])))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        // Tuples, user types and composites: components joined with ':'
        // (Cassandra escapes ':' inside a component with '\').
        "TupleType" => {
            let fields = tuple_fields(value, params.len())?;
            let parts: Vec<String> = fields
                .iter()
                .zip(&params)
                .map(|(f, ty)| {
                    f.map_or_else(|| "@".to_string(), |f| escape_colons(&to_text(ty, f)))
                })
                .collect();
            parts.join(":")
        }
        "UserType" => {
            let fields = user_type_fields(&params)?;
            let values = tuple_fields(value, fields.len())?;
            let parts: Vec<String> = fields
                .iter()
                .zip(values)
                .map(|((_, ty), v)| {
                    v.map_or_else(|| "@".to_string(), |v| escape_colons(&to_text(ty, v)))
                })
                .collect();
            parts.join(":")
        }
        "CompositeType" => {
            let components = composite_components(value)?;
            let parts: Vec<String> = components
                .iter()
                .zip(&params)
                .map(|(c, ty)| escape_colons(&to_text(ty, c)))
                .collect();
            parts.join(":")
        }
        _ => return None,
    })
}

fn escape_colons(s: &str) -> String {
    s.replace('\\', "\\\\").replace(':', "\\:")
}

/// A CQL identifier as Cassandra prints it: bare when it is a plain
/// lowercase identifier, else double-quoted with `"` doubled
/// (`ColumnIdentifier.maybeQuote`).
fn maybe_quote_identifier(name: &str) -> String {
    let mut chars = name.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The elements of a serialized (frozen) collection: a 32-bit count, then
/// per element (`per_item` values each: 1 for lists and sets, 2 for maps) a
/// 32-bit length and the bytes. Flattened: a map's keys and values
/// alternate.
fn collection_elements(value: &[u8], per_item: usize) -> Option<Vec<Vec<u8>>> {
    let count = i32::from_be_bytes(fixed(value.get(..4)?)?);
    let count = usize::try_from(count).ok()?;
    let mut rest = &value[4..];
    // Every value takes at least its 4-byte length: bound the allocation
    // by what the bytes can hold.
    let total = count.checked_mul(per_item)?;
    if total > rest.len() / 4 {
        return None;
    }
    let mut out = Vec::with_capacity(total);
    for _ in 0..total {
        let len = i32::from_be_bytes(fixed(rest.get(..4)?)?);
        let len = usize::try_from(len).ok()?;
        let bytes = rest.get(4..4 + len)?;
        out.push(bytes.to_vec());
        rest = &rest[4 + len..];
    }
    rest.is_empty().then_some(out)
}

/// The fields of a tuple or user type value: each a 32-bit length
/// (negative: null) and the bytes. A value may hold fewer fields than the
/// type (fields added later).
fn tuple_fields(value: &[u8], max: usize) -> Option<Vec<Option<&[u8]>>> {
    let mut rest = value;
    let mut out = Vec::new();
    while !rest.is_empty() {
        if out.len() == max {
            return None;
        }
        let len = i32::from_be_bytes(fixed(rest.get(..4)?)?);
        rest = &rest[4..];
        if len < 0 {
            out.push(None);
            continue;
        }
        let len = len as usize;
        out.push(Some(rest.get(..len)?));
        rest = &rest[len..];
    }
    Some(out)
}

/// A user type's fields from its parameters
/// (`keyspace,hexname,hexfield:type,...`): names decoded from hex.
fn user_type_fields<'a>(params: &[&'a str]) -> Option<Vec<(String, &'a str)>> {
    params
        .get(2..)?
        .iter()
        .map(|field| {
            let (name, ty) = field.split_once(':')?;
            Some((String::from_utf8(unhex(name)?).ok()?, ty))
        })
        .collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The components of a `CompositeType` value: per component a 16-bit
/// length, the bytes and an end-of-component byte. A leading `0xFFFF`
/// marks a static composite and is skipped (as `sstabledump` does).
pub fn composite_components(value: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut rest = value;
    if rest.starts_with(&[0xFF, 0xFF]) {
        rest = &rest[2..];
    }
    let mut out = Vec::new();
    while !rest.is_empty() {
        let len = u16::from_be_bytes(fixed(rest.get(..2)?)?) as usize;
        let bytes = rest.get(2..2 + len)?;
        rest.get(2 + len)?;
        out.push(bytes.to_vec());
        rest = &rest[3 + len..];
    }
    Some(out)
}

fn uuid(b: [u8; 16]) -> String {
    let h = hex(&b);
    let h = &h[2..];
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// An address as Java's `InetAddress.getHostAddress` prints it: dotted
/// IPv4, or eight uncompressed hex groups for IPv6.
fn inet(value: &[u8]) -> Option<String> {
    match value.len() {
        4 => Some(std::net::Ipv4Addr::from(fixed::<4>(value)?).to_string()),
        16 => {
            let groups: Vec<String> = value
                .chunks_exact(2)
                .map(|g| format!("{:x}", u16::from_be_bytes([g[0], g[1]])))
                .collect();
            Some(groups.join(":"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
