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
use std::fmt::Write as _;

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

/// Year, month, day of a day count since 1970-01-01 (proleptic
/// Gregorian; H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A year as Java's `LocalDate` prints it: four digits at least, a `+`
/// past 9999.
fn iso_year(year: i64) -> String {
    if year > 9999 {
        format!("+{year}")
    } else if year < 0 {
        format!("-{:04}", -year)
    } else {
        format!("{year:04}")
    }
}

/// Date and time of day (UTC) of a millisecond timestamp.
fn split_millis(millis: i64) -> (i64, u32, u32, i64, i64) {
    let days = millis.div_euclid(86_400_000);
    let ms_of_day = millis.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, ms_of_day / 1000, ms_of_day % 1000)
}

/// A timestamp as `TimestampType.toJSONString` prints it: the pattern
/// `yyyy-MM-dd HH:mm:ss.SSSX` in UTC, e.g. `2015-10-16 15:17:12.854Z`.
fn timestamp_millis(millis: i64) -> String {
    let (y, m, d, secs, ms) = split_millis(millis);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{ms:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// An instant as Java's `Instant.toString` prints it (what `sstabledump`
/// prints for write timestamps and deletion times): ISO-8601 in UTC, the
/// fraction in groups of three digits as needed, e.g.
/// `2021-05-14T10:06:20.234Z`, `2021-05-14T10:06:20.234001Z`,
/// `2021-05-14T10:06:20Z`.
pub fn instant(seconds: i64, nanos: u32) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let fraction = if nanos == 0 {
        String::new()
    } else if nanos.is_multiple_of(1_000_000) {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1000) {
        format!(".{:06}", nanos / 1000)
    } else {
        format!(".{nanos:09}")
    };
    format!(
        "{}-{m:02}-{d:02}T{:02}:{:02}:{:02}{fraction}Z",
        iso_year(y),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// [`instant`] of a microsecond timestamp.
pub fn instant_micros(micros: i64) -> String {
    instant(
        micros.div_euclid(1_000_000),
        (micros.rem_euclid(1_000_000) * 1000) as u32,
    )
}

/// A `date`: days since the epoch, offset by 2^31 so that the value sorts
/// unsigned; printed as `yyyy-MM-dd`.
fn simple_date(value: u32) -> String {
    let days = i64::from(value) - (1i64 << 31);
    let (y, m, d) = civil_from_days(days);
    format!("{}-{m:02}-{d:02}", iso_year(y))
}

/// A `time`: nanoseconds since midnight, printed `HH:mm:ss.nnnnnnnnn`
/// (`TimeSerializer.toString`).
fn time_of_day(nanos: i64) -> Option<String> {
    if !(0..86_400_000_000_000).contains(&nanos) {
        return None;
    }
    let secs = nanos / 1_000_000_000;
    Some(format!(
        "{:02}:{:02}:{:02}.{:09}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        nanos % 1_000_000_000
    ))
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

/// A big-endian two's-complement integer of any length in decimal.
fn varint_decimal(value: &[u8]) -> Option<String> {
    let (&first, _) = value.split_first()?;
    let negative = first & 0x80 != 0;
    // Magnitude: negate two's complement for negative numbers.
    let mut magnitude: Vec<u8> = value.to_vec();
    if negative {
        let mut carry = true;
        for b in magnitude.iter_mut().rev() {
            *b = !*b;
            if carry {
                let (v, c) = b.overflowing_add(1);
                *b = v;
                carry = c;
            }
        }
    }
    // Repeated division by 10^9 on base-256 digits.
    let mut digits = Vec::new();
    let mut number = magnitude;
    while number.iter().any(|&b| b != 0) {
        let mut remainder = 0u64;
        for b in number.iter_mut() {
            let acc = (remainder << 8) | u64::from(*b);
            *b = (acc / 1_000_000_000) as u8;
            remainder = acc % 1_000_000_000;
        }
        digits.push(remainder as u32);
        let leading = number.iter().take_while(|&&b| b == 0).count();
        number.drain(..leading);
    }
    let mut s = String::new();
    if negative {
        s.push('-');
    }
    match digits.split_last() {
        None => s.push('0'),
        Some((top, rest)) => {
            let _ = write!(s, "{top}");
            for chunk in rest.iter().rev() {
                let _ = write!(s, "{chunk:09}");
            }
        }
    }
    Some(s)
}

/// Java's `BigDecimal.toString` of `unscaled × 10^-scale`: plain notation
/// when the scale is not negative and the adjusted exponent is at least
/// −6, scientific (`1.23E+5`) otherwise.
fn java_big_decimal(unscaled: &str, scale: i32) -> String {
    let (sign, digits) = match unscaled.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", unscaled),
    };
    let adjusted = -i64::from(scale) + (digits.len() as i64 - 1);
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    if scale > 0 && adjusted >= -6 {
        let scale = scale as usize;
        return if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            format!("{sign}{int}.{frac}")
        } else {
            format!("{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
        };
    }
    let (head, tail) = digits.split_at(1);
    let mantissa = if tail.is_empty() {
        head.to_string()
    } else {
        format!("{head}.{tail}")
    };
    let exp_sign = if adjusted >= 0 { "+" } else { "" };
    format!("{sign}{mantissa}E{exp_sign}{adjusted}")
}

/// Java's `Double.toString`/`Float.toString` layout of the shortest digits
/// that read back as the same value: plain with at least one fraction
/// digit for magnitudes in [10^-3, 10^7), else `d.dddE±n`.
fn java_layout(scientific: String) -> String {
    // Rust's `{:e}` gives the shortest round-trip digits: `-1.5e10`.
    let Some((mantissa, exp)) = scientific.split_once('e') else {
        return scientific;
    };
    let Ok(exp) = exp.parse::<i32>() else {
        return scientific;
    };
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if digits == "0" {
        return format!("{sign}0.0");
    }
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            let padded = format!("{digits:0<int_len$}");
            let (int, frac) = padded.split_at(int_len);
            let frac = if frac.is_empty() { "0" } else { frac };
            format!("{sign}{int}.{frac}")
        } else {
            let zeros = "0".repeat((-exp - 1) as usize);
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let (head, tail) = digits.split_at(1);
        let tail = if tail.is_empty() { "0" } else { tail };
        format!("{sign}{head}.{tail}E{exp}")
    }
}

fn java_double(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    java_layout(format!("{f:e}"))
}

fn java_float(f: f32) -> String {
    if f.is_nan() || f.is_infinite() {
        return java_double(f64::from(f));
    }
    java_layout(format!("{f:e}"))
}

/// A `duration`: three zigzag vints (months, days, nanoseconds), printed as
/// Cassandra's `Duration.toString` does (`1y2mo3d4h5m6s7ms8us9ns`, units
/// that are zero left out, one leading `-` for a negative duration).
fn duration(value: &[u8]) -> Option<String> {
    let mut rest = value;
    let mut next = || -> Option<i64> {
        let (v, used) = crate::vint::read_signed_vint(rest).ok()?;
        rest = rest.get(used..)?;
        Some(v)
    };
    let (months, days, nanos) = (next()?, next()?, next()?);
    if !rest.is_empty() {
        return None;
    }
    let mut s = String::new();
    if months < 0 || days < 0 || nanos < 0 {
        s.push('-');
    }
    let mut part = |amount: u64, unit: &str| {
        if amount != 0 {
            let _ = write!(s, "{amount}{unit}");
        }
    };
    let (months, days, nanos) = (
        months.unsigned_abs(),
        days.unsigned_abs(),
        nanos.unsigned_abs(),
    );
    part(months / 12, "y");
    part(months % 12, "mo");
    part(days, "d");
    const NS: [(u64, &str); 6] = [
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1000, "us"),
        (1, "ns"),
    ];
    let mut rest_ns = nanos;
    for (unit_ns, unit) in NS {
        part(rest_ns / unit_ns, unit);
        rest_ns %= unit_ns;
    }
    Some(s)
}

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

fn split_unescaped_colons(text: &str) -> Vec<String> {
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

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`); `None` for an impossible month or day.
fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > 31 {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    // Reject days past the month's end (e.g. 2021-02-30).
    (civil_from_days(days) == (year, month, day)).then_some(days)
}

#[cfg(test)]
mod tests;
