//! What the reader needs to know of Cassandra's CQL types, from their
//! type strings (`org.apache.cassandra.db.marshal.Int32Type`,
//! `...ReversedType(...)`, ...).

use crate::decimal::Decimal;
use std::cmp::Ordering;

/// The package Cassandra's type classes live in.
const MARSHAL: &str = "org.apache.cassandra.db.marshal.";

/// The simple class name of a type string, without package or parameters.
pub fn class_name(type_string: &str) -> &str {
    let name = type_string.split('(').next().unwrap_or(type_string);
    name.strip_prefix(MARSHAL).unwrap_or(name)
}

/// The type a `ReversedType(X)` wraps (itself otherwise).
pub fn unreversed(type_string: &str) -> &str {
    if class_name(type_string) == "ReversedType" {
        if let (Some(open), Some(inner)) = (type_string.find('('), type_string.strip_suffix(')')) {
            return &inner[open + 1..];
        }
    }
    type_string
}

/// Whether the type sorts in descending order (`ReversedType`).
pub fn is_reversed(type_string: &str) -> bool {
    class_name(type_string) == "ReversedType"
}

/// The length of every value of the type, for types whose values are
/// written without a length (Cassandra's `valueLengthIfFixed`); `None` for
/// types written with a vint length.
pub fn fixed_value_length(type_string: &str) -> Option<usize> {
    match class_name(unreversed(type_string)) {
        "BooleanType" => Some(1),
        "Int32Type" | "FloatType" => Some(4),
        "LongType" | "DoubleType" | "DateType" | "TimestampType" => Some(8),
        "UUIDType" | "TimeUUIDType" | "LexicalUUIDType" => Some(16),
        "EmptyType" => Some(0),
        _ => None,
    }
}

/// The top-level parameters of a type string: `MapType(A,B(C,D))` gives
/// `["A", "B(C,D)"]`; no parameters gives an empty list.
pub fn parameters(type_string: &str) -> Vec<&str> {
    let (Some(open), Some(inner_end)) = (type_string.find('('), type_string.rfind(')')) else {
        return Vec::new();
    };
    let inner = &type_string[open + 1..inner_end];
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner.is_empty() {
        out.push(&inner[start..]);
    }
    out
}

/// The type of the values of a multi-cell column's cells: a list's
/// elements, a map's values, nothing for a set (its elements are the cell
/// paths), and for a user type the field named by the path (a 2-byte field
/// index). `None` when the path names no field.
pub fn cell_value_type<'a>(type_string: &'a str, path: &[u8]) -> Option<&'a str> {
    let params = parameters(type_string);
    match class_name(type_string) {
        "ListType" => params.first().copied(),
        "MapType" => params.get(1).copied(),
        "SetType" => Some("org.apache.cassandra.db.marshal.EmptyType"),
        "UserType" => {
            let index = u16::from_be_bytes(path.try_into().ok()?) as usize;
            // UserType(keyspace,hexname,field1:type1,...)
            let field = params.get(2 + index)?;
            field.split_once(':').map(|(_, t)| t)
        }
        _ => Some(type_string),
    }
}

/// Orders two values of a type as Cassandra's comparator does, `None` for
/// types Ilion cannot compare yet (composite and custom types) and
/// for values not of the type (UUIDs that are not 16 bytes, decimals
/// without an unscaled value), so that no wrong order is ever assumed.
///
/// An empty value sorts before every other value; `ReversedType` inverts
/// the order of the type it wraps.
pub fn compare_values(type_string: &str, a: &[u8], b: &[u8]) -> Option<Ordering> {
    if is_reversed(type_string) {
        return compare_values(unreversed(type_string), a, b).map(Ordering::reverse);
    }
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Some(Ordering::Equal),
        (true, false) => return Some(Ordering::Less),
        (false, true) => return Some(Ordering::Greater),
        _ => {}
    }
    let signed = |a: &[u8], b: &[u8]| -> Option<Ordering> {
        // Fixed-width two's complement, big-endian: flip the sign bit and
        // compare as unsigned.
        if a.len() != b.len() {
            return None;
        }
        let (mut a, mut b) = (a.to_vec(), b.to_vec());
        a[0] ^= 0x80;
        b[0] ^= 0x80;
        Some(a.cmp(&b))
    };
    match class_name(type_string) {
        // Byte-ordered types, TimeType among them (its values, nanoseconds
        // of a day, are never negative).
        "BytesType" | "UTF8Type" | "AsciiType" | "InetAddressType" | "TimeType" => Some(a.cmp(b)),
        // False (00) before true (anything else).
        "BooleanType" => Some((a[0] != 0).cmp(&(b[0] != 0))),
        "Int32Type" | "LongType" | "ShortType" | "ByteType" | "TimestampType" | "DateType"
        | "CounterColumnType" => signed(a, b),
        // Days since the epoch, offset by 2^31: unsigned.
        "SimpleDateType" => (a.len() == 4 && b.len() == 4).then(|| a.cmp(b)),
        "FloatType" => {
            let f = |x: &[u8]| Some(f32::from_be_bytes(x.try_into().ok()?) as f64);
            Some(java_double_order(f(a)?, f(b)?))
        }
        "DoubleType" => {
            let f = |x: &[u8]| Some(f64::from_be_bytes(x.try_into().ok()?));
            Some(java_double_order(f(a)?, f(b)?))
        }
        "IntegerType" => Some(compare_varints(a, b)),
        "UUIDType" => Some(compare_uuids(a.try_into().ok()?, b.try_into().ok()?)),
        "TimeUUIDType" => Some(compare_timeuuids(a.try_into().ok()?, b.try_into().ok()?)),
        // java.util.UUID.compareTo: both halves as signed longs.
        "LexicalUUIDType" => {
            let signed = |x: &[u8]| -> Option<(i64, i64)> {
                let (msb, lsb) = uuid_halves(x.try_into().ok()?);
                Some((msb as i64, lsb as i64))
            };
            Some(signed(a)?.cmp(&signed(b)?))
        }
        _ if too_deep(type_string) => None,
        // A user type is a tuple with field names (UserType extends
        // TupleType).
        "TupleType" | "UserType" => compare_tuples(type_string, a, b),
        // Clustering collections are frozen; types inside a frozen one are
        // written without FrozenType.
        "FrozenType" => compare_values(parameters(type_string).first()?, a, b),
        "ListType" | "SetType" | "MapType" => {
            let params = parameters(type_string);
            let expected = if class_name(type_string) == "MapType" {
                2
            } else {
                1
            };
            if params.len() != expected {
                return None;
            }
            compare_collections(&params, a, b)
        }
        // BigDecimal.compareTo: by value, 1.0 and 1.00 equal.
        "DecimalType" => Some(Decimal::parse(a)?.numeric_cmp(&Decimal::parse(b)?)),
        _ => None,
    }
}

/// A version-1 UUID's most significant half with its timestamp fields
/// reordered from (time_low, time_mid, time_hi_and_version) to (hi, mid,
/// low), so that integer order is time order (the version nibble stays on
/// top).
fn reordered_timestamp(msb: u64) -> u64 {
    (msb << 48) | ((msb << 16) & 0xFFFF_0000_0000) | (msb >> 32)
}

/// The two 64-bit halves of a UUID, big-endian.
fn uuid_halves(uuid: &[u8; 16]) -> (u64, u64) {
    let (msb, lsb) = uuid.split_at(8);
    let half = |h: &[u8]| h.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    (half(msb), half(lsb))
}

/// Cassandra's `UUIDType` order: by version (the top nibble of byte 6);
/// version-1 UUIDs by timestamp, others by their high half unsigned; then
/// by the low half, unsigned.
fn compare_uuids(a: &[u8; 16], b: &[u8; 16]) -> Ordering {
    let ((msb_a, lsb_a), (msb_b, lsb_b)) = (uuid_halves(a), uuid_halves(b));
    let (version_a, version_b) = ((msb_a >> 12) & 0xf, (msb_b >> 12) & 0xf);
    version_a
        .cmp(&version_b)
        .then_with(|| {
            if version_a == 1 {
                reordered_timestamp(msb_a).cmp(&reordered_timestamp(msb_b))
            } else {
                msb_a.cmp(&msb_b)
            }
        })
        .then(lsb_a.cmp(&lsb_b))
}

/// Cassandra's `TimeUUIDType` order: by timestamp (the reordered high half
/// as a signed integer), then the low half byte by byte as *signed* bytes
/// (unlike `UUIDType`, which compares it unsigned: CASSANDRA-8730).
fn compare_timeuuids(a: &[u8; 16], b: &[u8; 16]) -> Ordering {
    let ((msb_a, _), (msb_b, _)) = (uuid_halves(a), uuid_halves(b));
    (reordered_timestamp(msb_a) as i64)
        .cmp(&(reordered_timestamp(msb_b) as i64))
        .then_with(|| {
            let signed = |x: &[u8; 16]| -> [i8; 8] { std::array::from_fn(|i| x[8 + i] as i8) };
            signed(a).cmp(&signed(b))
        })
}

/// The types [`compare_values`] orders (directly or reversed).
const COMPARABLE: [&str; 21] = [
    "BytesType",
    "UTF8Type",
    "AsciiType",
    "InetAddressType",
    "BooleanType",
    "Int32Type",
    "LongType",
    "ShortType",
    "ByteType",
    "TimestampType",
    "DateType",
    "TimeType",
    "CounterColumnType",
    "SimpleDateType",
    "FloatType",
    "DoubleType",
    "IntegerType",
    "UUIDType",
    "TimeUUIDType",
    "LexicalUUIDType",
    "DecimalType",
];

/// Whether [`compare_values`] orders values of this type.
pub fn has_comparator(type_string: &str) -> bool {
    if too_deep(type_string) {
        return false;
    }
    let inner = unreversed(type_string);
    match class_name(inner) {
        "TupleType" | "UserType" => {
            tuple_field_types(inner).is_some_and(|f| f.iter().all(|t| has_comparator(t)))
        }
        "FrozenType" | "ListType" | "SetType" | "MapType" => {
            let params = parameters(inner);
            !params.is_empty() && params.iter().all(|t| has_comparator(t))
        }
        class => COMPARABLE.contains(&class),
    }
}

/// The deepest nesting of composite types (tuples, frozen collections,
/// user types) translated or compared: deeper type strings, which only a
/// damaged serialization header would hold, are refused rather than
/// recursed into.
const MAX_NESTING: usize = 32;

/// Whether the type string nests parameters deeper than [`MAX_NESTING`].
pub(crate) fn too_deep(type_string: &str) -> bool {
    let mut depth = 0usize;
    for b in type_string.bytes() {
        match b {
            b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return true;
                }
            }
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The field types of a tuple (`TupleType(A,B)`) or of a user type, a
/// tuple with names (`UserType(keyspace,hexname,hexfield:A,...)`);
/// `None` for other types or no fields.
pub fn tuple_field_types(type_string: &str) -> Option<Vec<&str>> {
    let params = parameters(type_string);
    let fields: Vec<&str> = match class_name(type_string) {
        "TupleType" => params,
        "UserType" => params
            .iter()
            .skip(2)
            .map(|f| f.split_once(':').map(|(_, t)| t))
            .collect::<Option<_>>()?,
        _ => return None,
    };
    (!fields.is_empty()).then_some(fields)
}

/// The elements of a frozen collection value (protocol v3 form: an i32
/// count, then each element as an i32 length and its bytes; a map's
/// keys and values alternate, `per_entry` = 2). `None` for a null
/// element, a short value or bytes left over.
pub fn collection_elements(value: &[u8], per_entry: usize) -> Option<Vec<&[u8]>> {
    let (count, mut rest) = value.split_first_chunk::<4>()?;
    let count = usize::try_from(i32::from_be_bytes(*count)).ok()?;
    // Each element takes at least its 4-byte length.
    if count.checked_mul(per_entry * 4)? > rest.len() {
        return None;
    }
    let mut elements = Vec::with_capacity(count * per_entry);
    for _ in 0..count * per_entry {
        let (len, tail) = rest.split_first_chunk::<4>()?;
        let len = usize::try_from(i32::from_be_bytes(*len)).ok()?;
        let (element, tail) = tail.split_at_checked(len)?;
        elements.push(element);
        rest = tail;
    }
    rest.is_empty().then_some(elements)
}

/// `ListType.compareListOrSet` / `MapType.compareMaps` on frozen
/// collections: element by element (a map's key, then its value), then
/// the fewer elements first.
fn compare_collections(types: &[&str], a: &[u8], b: &[u8]) -> Option<Ordering> {
    let (ea, eb) = (
        collection_elements(a, types.len())?,
        collection_elements(b, types.len())?,
    );
    for (i, (x, y)) in ea.iter().zip(&eb).enumerate() {
        let order = compare_values(types[i % types.len()], x, y)?;
        if order != Ordering::Equal {
            return Some(order);
        }
    }
    Some(ea.len().cmp(&eb.len()))
}

/// The fields of a tuple value (`TupleType.split`): each a 4-byte
/// big-endian length (negative: null) and the bytes; trailing fields may
/// be missing. `None` when the value does not split into at most `count`
/// fields.
pub fn tuple_fields(value: &[u8], count: usize) -> Option<Vec<Option<&[u8]>>> {
    let mut fields = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        if fields.len() == count {
            return None;
        }
        let (len, tail) = rest.split_first_chunk::<4>()?;
        let len = i32::from_be_bytes(*len);
        if len < 0 {
            fields.push(None);
            rest = tail;
        } else {
            let (field, tail) = tail.split_at_checked(len as usize)?;
            fields.push(Some(field));
            rest = tail;
        }
    }
    Some(fields)
}

/// `TupleType.compareCustom`: field by field, a null before any value;
/// when one tuple runs out of fields, equal if the other's remaining
/// fields are all null, else the shorter first.
fn compare_tuples(type_string: &str, a: &[u8], b: &[u8]) -> Option<Ordering> {
    let types = tuple_field_types(type_string)?;
    let (fa, fb) = (tuple_fields(a, types.len())?, tuple_fields(b, types.len())?);
    let mut i = 0;
    while i < fa.len() && i < fb.len() {
        let order = match (fa[i], fb[i]) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => compare_values(types[i], x, y)?,
        };
        if order != Ordering::Equal {
            return Some(order);
        }
        i += 1;
    }
    let all_null = |rest: &[Option<&[u8]>]| rest.iter().all(Option::is_none);
    Some(match (all_null(&fa[i..]), all_null(&fb[i..])) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, _) => Ordering::Greater,
    })
}

/// Java's `Double.compare`: NaN above everything (all NaNs equal), −0.0
/// below 0.0.
fn java_double_order(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.total_cmp(&b),
    }
}

/// Orders two big-endian two's-complement integers of any length.
fn compare_varints(a: &[u8], b: &[u8]) -> Ordering {
    fn minimal(x: &[u8]) -> &[u8] {
        let mut x = x;
        // Drop sign bytes that only repeat the sign of the next byte.
        while x.len() > 1
            && ((x[0] == 0x00 && x[1] & 0x80 == 0) || (x[0] == 0xFF && x[1] & 0x80 != 0))
        {
            x = &x[1..];
        }
        x
    }
    let (a, b) = (minimal(a), minimal(b));
    let (neg_a, neg_b) = (a[0] & 0x80 != 0, b[0] & 0x80 != 0);
    match (neg_a, neg_b) {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        // Same sign: more bytes means further from zero.
        (neg, _) => {
            let by_length = a.len().cmp(&b.len());
            let by_length = if neg { by_length.reverse() } else { by_length };
            by_length.then_with(|| a.cmp(b))
        }
    }
}

/// Whether a column of this type holds several cells (a non-frozen
/// collection or user type).
pub fn is_multi_cell(type_string: &str) -> bool {
    matches!(
        class_name(type_string),
        "ListType" | "SetType" | "MapType" | "UserType"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> String {
        format!("org.apache.cassandra.db.marshal.{name}")
    }

    #[test]
    fn comparators_follow_cassandra() {
        use Ordering::*;
        assert_eq!(
            compare_values(&t("UTF8Type"), b"\x80", b"\x7f"),
            Some(Greater),
            "unsigned bytes"
        );
        assert_eq!(
            compare_values(&t("Int32Type"), &(-1i32).to_be_bytes(), &1i32.to_be_bytes()),
            Some(Less)
        );
        assert_eq!(
            compare_values(&t("LongType"), &i64::MIN.to_be_bytes(), &0i64.to_be_bytes()),
            Some(Less)
        );
        let rev = format!("{}({})", t("ReversedType"), t("Int32Type"));
        assert_eq!(
            compare_values(&rev, &(-1i32).to_be_bytes(), &1i32.to_be_bytes()),
            Some(Greater)
        );
        assert_eq!(
            compare_values(&t("Int32Type"), b"", &1i32.to_be_bytes()),
            Some(Less),
            "empty first"
        );
        let d = |x: f64| x.to_be_bytes();
        assert_eq!(
            compare_values(&t("DoubleType"), &d(-0.0), &d(0.0)),
            Some(Less)
        );
        assert_eq!(
            compare_values(&t("DoubleType"), &d(f64::NAN), &d(f64::INFINITY)),
            Some(Greater)
        );
        assert_eq!(
            compare_values(&t("DoubleType"), &d(-2.5), &d(1.0)),
            Some(Less)
        );
        let v = |x: &[u8]| x.to_vec();
        let varint = t("IntegerType");
        assert_eq!(
            compare_values(&varint, &v(&[0x00, 0x80]), &v(&[0x7f])),
            Some(Greater),
            "128 > 127"
        );
        assert_eq!(
            compare_values(&varint, &v(&[0xff, 0x7f]), &v(&[0x80])),
            Some(Less),
            "-129 < -128"
        );
        assert_eq!(
            compare_values(&varint, &v(&[0xff, 0xff]), &v(&[0xff])),
            Some(Equal),
            "-1 == -1"
        );
        assert_eq!(
            compare_values(&varint, &v(&[0x80]), &v(&[0x00])),
            Some(Less)
        );
        assert_eq!(
            compare_values(
                &t("SimpleDateType"),
                &[0x80, 0, 0, 0],
                &[0x7f, 0xff, 0xff, 0xff]
            ),
            Some(Greater)
        );
        assert_eq!(
            compare_values(&t("DecimalType"), b"\x01", b"\x02"),
            None,
            "not guessed"
        );
    }

    #[test]
    fn names_and_fixed_lengths() {
        let int = "org.apache.cassandra.db.marshal.Int32Type";
        let rev = "org.apache.cassandra.db.marshal.ReversedType(org.apache.cassandra.db.marshal.LongType)";
        assert_eq!(class_name(int), "Int32Type");
        assert_eq!(unreversed(rev), "org.apache.cassandra.db.marshal.LongType");
        assert!(is_reversed(rev) && !is_reversed(int));
        assert_eq!(fixed_value_length(int), Some(4));
        assert_eq!(fixed_value_length(rev), Some(8));
        assert_eq!(
            fixed_value_length("org.apache.cassandra.db.marshal.UTF8Type"),
            None
        );
        let map = "org.apache.cassandra.db.marshal.MapType(org.apache.cassandra.db.marshal.UTF8Type,org.apache.cassandra.db.marshal.Int32Type)";
        assert_eq!(parameters(map).len(), 2);
        assert_eq!(cell_value_type(map, b"k"), Some(int));
        let udt = "org.apache.cassandra.db.marshal.UserType(ks,61,78:org.apache.cassandra.db.marshal.Int32Type,79:org.apache.cassandra.db.marshal.UTF8Type)";
        assert_eq!(cell_value_type(udt, &[0, 0]), Some(int));
        assert_eq!(
            cell_value_type(udt, &[0, 1]),
            Some("org.apache.cassandra.db.marshal.UTF8Type")
        );
        assert_eq!(cell_value_type(udt, &[0, 2]), None);
        assert!(is_multi_cell(
            "org.apache.cassandra.db.marshal.SetType(org.apache.cassandra.db.marshal.UTF8Type)"
        ));
        assert!(!is_multi_cell("org.apache.cassandra.db.marshal.FrozenType(org.apache.cassandra.db.marshal.SetType(org.apache.cassandra.db.marshal.UTF8Type))"));
        assert_eq!(
            fixed_value_length("org.apache.cassandra.db.marshal.ShortType"),
            None,
            "smallint carries a length"
        );
    }

    #[test]
    fn uuids_order_as_cassandra() {
        use Ordering::*;
        let uuid = |text: &str| -> Vec<u8> {
            let hex: String = text.chars().filter(|c| *c != '-').collect();
            (0..16)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                .collect()
        };
        let cmp = |ty: &str, a: &str, b: &str| compare_values(&t(ty), &uuid(a), &uuid(b));
        for ty in ["UUIDType", "TimeUUIDType"] {
            // Version 1: time_hi (in byte 6-7) outranks time_mid, which
            // outranks time_low, whatever the byte order says.
            assert_eq!(
                cmp(
                    ty,
                    "ffffffff-ffff-1000-8000-000000000000",
                    "00000000-0000-1001-8000-000000000000"
                ),
                Some(Less),
                "{ty}"
            );
            assert_eq!(
                cmp(
                    ty,
                    "ffffffff-0000-1000-8000-000000000000",
                    "00000000-0001-1000-8000-000000000000"
                ),
                Some(Less),
                "{ty}"
            );
            assert_eq!(
                cmp(
                    ty,
                    "00000001-0000-1000-8000-000000000000",
                    "00000000-0000-1000-8000-000000000000"
                ),
                Some(Greater),
                "{ty}"
            );
        }
        // The low half: unsigned for UUIDType, signed bytes for TimeUUIDType.
        let (low, high) = (
            "00000000-0000-1000-0000-000000000000",
            "00000000-0000-1000-8000-000000000000",
        );
        assert_eq!(cmp("UUIDType", low, high), Some(Less));
        assert_eq!(cmp("TimeUUIDType", low, high), Some(Greater));
        // UUIDType: version first, then (not version 1) the bytes unsigned.
        assert_eq!(
            cmp(
                "UUIDType",
                "ffffffff-ffff-1fff-ffff-ffffffffffff",
                "00000000-0000-4000-8000-000000000000"
            ),
            Some(Less)
        );
        assert_eq!(
            cmp(
                "UUIDType",
                "f7fdcbd2-4544-482c-85fd-d9572adc3cd6",
                "c25ae960-07a2-467d-8f35-5bd38647b367"
            ),
            Some(Greater)
        );
        assert_eq!(compare_values(&t("UUIDType"), &[1; 15], &[1; 16]), None);
        assert_eq!(compare_values(&t("UUIDType"), &[], &[1; 16]), Some(Less));
        assert!(has_comparator(&t("UUIDType")) && has_comparator(&t("TimeUUIDType")));
        // LexicalUUIDType: java.util.UUID.compareTo, signed halves.
        assert_eq!(
            cmp(
                "LexicalUUIDType",
                "80000000-0000-0000-0000-000000000000",
                "7fffffff-ffff-ffff-ffff-ffffffffffff"
            ),
            Some(Less)
        );
        assert_eq!(
            cmp(
                "LexicalUUIDType",
                "00000000-0000-0000-8000-000000000000",
                "00000000-0000-0000-0000-000000000000"
            ),
            Some(Less)
        );
    }

    #[test]
    fn decimals_booleans_and_times_order_as_cassandra() {
        use Ordering::*;
        // DecimalType: BigDecimal.compareTo; serialised as a 4-byte scale
        // and the unscaled two's-complement value.
        let dec = |unscaled: &[u8], scale: i32| {
            let mut v = scale.to_be_bytes().to_vec();
            v.extend_from_slice(unscaled);
            v
        };
        let cmp = |a: &[u8], b: &[u8]| compare_values(&t("DecimalType"), a, b);
        assert_eq!(cmp(&dec(&[1], 0), &dec(&[100], 2)), Some(Equal), "1 = 1.00");
        assert_eq!(cmp(&dec(&[11], 1), &dec(&[1], 0)), Some(Greater), "1.1 > 1");
        assert_eq!(
            cmp(&dec(&[0xF5], 1), &dec(&[0xFF], 0)),
            Some(Less),
            "-1.1 < -1"
        );
        assert_eq!(
            cmp(&dec(&[5], -3), &dec(&[0x13, 0x88], 0)),
            Some(Equal),
            "5E+3 = 5000"
        );
        assert_eq!(
            cmp(&dec(&[0], 9), &dec(&[0xFF], 30)),
            Some(Greater),
            "0 > -1e-30"
        );
        assert_eq!(cmp(&[], &dec(&[0], 0)), Some(Less), "empty first");
        // BooleanType: false, then any other byte, all equal.
        let b = |a: u8, c: u8| compare_values(&t("BooleanType"), &[a], &[c]);
        assert_eq!(b(0, 1), Some(Less));
        assert_eq!(b(2, 1), Some(Equal));
        // TupleType.compareCustom: a null field first; missing trailing
        // fields equal nulls; a shorter tuple before a longer one.
        let tuple = format!("{}({},{})", t("TupleType"), t("Int32Type"), t("UTF8Type"));
        let field = |v: &[u8]| {
            let mut out = (v.len() as i32).to_be_bytes().to_vec();
            out.extend_from_slice(v);
            out
        };
        let null = (-1i32).to_be_bytes().to_vec();
        let one = field(&1i32.to_be_bytes());
        let tc = |a: &[u8], b: &[u8]| compare_values(&tuple, a, b);
        assert_eq!(tc(&one, &[one.clone(), null.clone()].concat()), Some(Equal));
        assert_eq!(tc(&one, &[one.clone(), field(b"")].concat()), Some(Less));
        assert_eq!(tc(&[null.clone(), field(b"z")].concat(), &one), Some(Less));
        assert_eq!(
            tc(&[one.clone(), one.clone(), one.clone()].concat(), &one),
            None
        );
        assert!(has_comparator(&tuple));
        // A nesting only a damaged header holds is refused, not recursed.
        let deep = format!(
            "{}{}{}",
            format!("{}(", t("FrozenType")).repeat(100_000),
            t("Int32Type"),
            ")".repeat(100_000)
        );
        assert!(!has_comparator(&deep));
        assert_eq!(compare_values(&deep, &[0, 0, 0, 1], &[0, 0, 0, 2]), None);
        // TimeType is byte-ordered (unsigned).
        assert_eq!(
            compare_values(&t("TimeType"), &[0x80, 0, 0, 0, 0, 0, 0, 0], &[0; 8]),
            Some(Greater)
        );
    }
}
