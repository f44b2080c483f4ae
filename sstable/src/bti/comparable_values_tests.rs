//! Known encodings worked by hand from Cassandra's code, and the order
//! property: for random values, the unsigned byte order of the
//! clustering encodings is the type comparator's order.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::bti::byte_comparable::clustering;
use crate::clustering::{ClusteringBound, PrefixKind};
use crate::types::compare_values;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cmp::Ordering;

fn hex(text: &str) -> Vec<u8> {
    let text: String = text.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn enc(class: &str, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    assert_eq!(push(class, value, &mut out), Some(Pushed::Bytes), "{class}");
    out
}

fn marshal(name: &str) -> String {
    format!("org.apache.cassandra.db.marshal.{name}")
}

#[test]
fn uuids_as_cassandra_encodes_them() {
    // ByteComparable.md, "UUIDs", and UUIDType.asComparableBytes: a
    // version-4 UUID with its version nibble pulled to the front...
    let v4 = hex("cc520882-9507-44fb-8fc9-b349ecdee658");
    assert_eq!(
        enc("UUIDType", &v4),
        hex("4cc52088295074fb8fc9b349ecdee658")
    );
    // ... and a version-1 UUID with its timestamp reordered (time_hi,
    // time_mid, time_low).
    let v1 = hex("2a92d750-d8dc-11e6-a2de-cf8ecd4cf053");
    assert_eq!(
        enc("UUIDType", &v1),
        hex("11e6d8dc2a92d750a2decf8ecd4cf053")
    );
    // AbstractTimeUUIDType.asComparableBytes: the same high half, the
    // low half XOR 0x8080808080808080.
    assert_eq!(
        enc("TimeUUIDType", &v1),
        hex("11e6d8dc2a92d750 225e4f0e4dcc70d3")
    );
    // Cassandra refuses a timeuuid of another version.
    assert_eq!(push("TimeUUIDType", &v4, &mut Vec::new()), None);
    // LexicalUUIDType.asComparableBytes: the top bits of bytes 0 and 8
    // flipped (two signed longs).
    assert_eq!(
        enc("LexicalUUIDType", &v4),
        hex("4c520882950744fb 0fc9b349ecdee658")
    );
    assert_eq!(push("UUIDType", &v4[..15], &mut Vec::new()), None);
    // An empty UUID has no bytes (asComparableBytes returns null).
    assert_eq!(
        push("UUIDType", &[], &mut Vec::new()),
        Some(Pushed::NoSource)
    );
}

#[test]
fn varints_as_cassandra_encodes_them() {
    // IntegerType.asComparableBytes' Javadoc examples (fewer than 7
    // significant bytes: ByteSource.variableLengthInteger of the value).
    let cases = [
        ("FF", "7F"),                 // -1
        ("00", "80"),                 // 0
        ("01", "81"),                 // 1
        ("7F", "C07F"),               // 127
        ("00FF", "C0FF"),             // 255
        ("00FFFFFFFF", "F8FFFFFFFF"), // 2^32 - 1
        ("0100000000", "F900000000"), // 2^32
        ("C0", "40"),                 // -64
        ("FFBF", "3FBF"),             // -65
        ("F00000", "100000"),         // -2^20
        ("0FFFFF", "EFFFFF"),         // 2^20 - 1
        ("0000000005", "85"),         // 5, not minimal: the whole value is read
    ];
    for (value, want) in cases {
        assert_eq!(enc("IntegerType", &hex(value)), hex(want), "{value}");
    }
    // Full form, worked from asComparableBytesCurrent: 2^48 (7 bytes) is
    // FF, the length less 7 (0), the bytes — what the Javadoc lists as
    // "2^56"; 2^56 (8 bytes) has length byte 01.
    assert_eq!(
        enc("IntegerType", &hex("01000000000000")),
        hex("FF 00 01000000000000")
    );
    assert_eq!(
        enc("IntegerType", &hex("0100000000000000")),
        hex("FF 01 0100000000000000")
    );
    // -2^56 (FF then seven 00): sign byte 00, the length inverted (FF),
    // the bytes after the sign-only FF.
    assert_eq!(
        enc("IntegerType", &hex("FF00000000000000")),
        hex("00 FF 00000000000000")
    );
    // 2^63 with its leading 00 (9 bytes): the 00 skipped, 8 bytes left.
    assert_eq!(
        enc("IntegerType", &hex("008000000000000000")),
        hex("FF 01 8000000000000000")
    );
    // ByteSource.VariableLengthInteger's 9-byte forms.
    let mut out = Vec::new();
    push_variable_length_integer(i64::MAX, &mut out);
    assert_eq!(out, [0xFF; 9]);
    out.clear();
    push_variable_length_integer(i64::MIN, &mut out);
    assert_eq!(out, [0x00; 9]);
    // More than 8 bytes that read as a short value: Cassandra fails.
    assert_eq!(
        push("IntegerType", &hex("000000000000000005"), &mut Vec::new()),
        None
    );
}

/// A serialised decimal: 4-byte scale, then the minimal two's-complement
/// unscaled value (`BigInteger.toByteArray`).
fn decimal_bytes(unscaled: i128, scale: i32) -> Vec<u8> {
    let bytes = unscaled.to_be_bytes();
    let mut start = 0;
    while start < 15
        && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
            || (bytes[start] == 0xFF && bytes[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    let mut out = scale.to_be_bytes().to_vec();
    out.extend_from_slice(&bytes[start..]);
    out
}

#[test]
fn decimals_as_cassandra_encodes_them() {
    // ByteComparable.md's decimal table (and DecimalType's Javadoc),
    // checked against DecimalType.asComparableBytes; (unscaled, scale).
    let cases = [
        ((11, 1), "C1 01 81 8A 00"),         // 1.1
        ((1, 0), "C1 01 81 00"),             // 1
        ((100, 2), "C1 01 81 00"),           // 1.00: equal to 1
        ((1, 2), "C0 81 00"),                // 0.01
        ((0, 5), "80"),                      // 0
        ((-1, 0), "3F FF 7F 00"),            // -1
        ((-11, 1), "3F FF 7E DA 00"),        // -1.1
        ((-989, 1), "3F FF 1D 8A 00"),       // -98.9
        ((-99, 0), "3F FF 1D 00"),           // -99
        ((-999, 1), "3F FF 1C 8A 00"),       // -99.9
        ((-81, -1999), "3E FC 17 77 DA 00"), // -8.1e2000
        ((-81, 2001), "42 03 E7 77 DA 00"),  // -8.1e-2000
        ((81, 2001), "BE FC 19 88 8A 00"),   // 8.1e-2000
        ((81, -1999), "C2 03 E9 88 8A 00"),  // 8.1e2000
    ];
    for ((unscaled, scale), want) in cases {
        assert_eq!(
            enc("DecimalType", &decimal_bytes(unscaled, scale)),
            hex(want),
            "{unscaled}e{}",
            -scale
        );
    }
    // The table's -0.01 row reads 40·81·00, but the code rounds the first
    // digit pair towards -inf: -01 is 80 - 01 = 7F.
    assert_eq!(enc("DecimalType", &decimal_bytes(-1, 2)), hex("40 7F 00"));
    // Empty: no bytes; no unscaled value: not a decimal.
    assert_eq!(
        push("DecimalType", &[], &mut Vec::new()),
        Some(Pushed::NoSource)
    );
    assert_eq!(push("DecimalType", &[0, 0, 0, 1], &mut Vec::new()), None);
}

#[test]
fn small_types_as_cassandra_encodes_them() {
    // BooleanType: 00 false, 01 anything else.
    assert_eq!(enc("BooleanType", &[0]), [0]);
    assert_eq!(enc("BooleanType", &[1]), [1]);
    assert_eq!(enc("BooleanType", &[7]), [1]);
    // SimpleDateType, TimeType: optionalFixedLength, bytes unchanged.
    assert_eq!(enc("SimpleDateType", &hex("80000001")), hex("80000001"));
    assert_eq!(
        enc("TimeType", &hex("00000A0000000001")),
        hex("00000A0000000001")
    );
    // InetAddressType: byte-ordered, so escaped (ByteSource.of):
    // 127.0.0.1's two zeros become 00 FE FF, and a 00 ends it.
    assert_eq!(
        enc("InetAddressType", &hex("7F000001")),
        hex("7F 00 FE FF 01 00")
    );
    assert_eq!(enc("InetAddressType", &[]), [0]);
    // Through the clustering: an empty boolean is the empty separator,
    // 41 when reversed.
    let bound = |v: &[u8]| ClusteringBound {
        kind: PrefixKind::Clustering,
        values: vec![Some(v.to_vec())],
    };
    let boolean = [marshal("BooleanType")];
    assert_eq!(clustering(&boolean, &bound(&[])).unwrap(), [0x3F, 0x38]);
    let reversed = [format!("{}({})", marshal("ReversedType"), boolean[0])];
    assert_eq!(clustering(&reversed, &bound(&[])).unwrap(), [0x41, 0x38]);
    assert_eq!(
        clustering(&reversed, &bound(&[1])).unwrap(),
        [0x40, 0xFE, 0x38]
    );
}

/// A random minimal varint of 1 to `max_len` bytes.
fn varint(rng: &mut StdRng, max_len: usize) -> Vec<u8> {
    let len = rng.random_range(1..=max_len);
    let mut v: Vec<u8> = (0..len).map(|_| rng.random()).collect();
    while v.len() > 1 && ((v[0] == 0 && v[1] < 0x80) || (v[0] == 0xFF && v[1] >= 0x80)) {
        v.remove(0);
    }
    v
}

fn uuid(rng: &mut StdRng, versions: std::ops::RangeInclusive<u8>) -> Vec<u8> {
    let mut u: [u8; 16] = rng.random();
    u[6] = (u[6] & 0x0F) | (rng.random_range(versions) << 4);
    // Shared high halves, so that the low half decides some pairs.
    if rng.random_bool(0.3) {
        u[..6].copy_from_slice(&[0xAB, 0, 0x12, 0xFF, 0x80, 0x7F]);
        u[7] = 0x11;
    }
    u.to_vec()
}

/// Values of each type: random, and the edges (zero, ±1, extremes,
/// equal decimals of different scales, long varints).
fn samples(class: &str, rng: &mut StdRng) -> Vec<Vec<u8>> {
    let mut values: Vec<Vec<u8>> = vec![Vec::new()];
    match class {
        "UUIDType" => values.extend((0..200).map(|_| uuid(rng, 0..=15))),
        "TimeUUIDType" => values.extend((0..200).map(|_| uuid(rng, 1..=1))),
        "LexicalUUIDType" => values.extend((0..200).map(|_| uuid(rng, 0..=15))),
        "BooleanType" => values.extend([vec![0], vec![1], vec![2], vec![0xFF]]),
        "SimpleDateType" => {
            values.extend([vec![0; 4], vec![0x80, 0, 0, 0], vec![0xFF; 4]]);
            values.extend((0..100).map(|_| rng.random::<[u8; 4]>().to_vec()));
        }
        "TimeType" => {
            values.push(vec![0; 8]);
            values.push(86_399_999_999_999i64.to_be_bytes().to_vec());
            values.extend((0..100).map(|_| {
                rng.random_range(0..86_400_000_000_000i64)
                    .to_be_bytes()
                    .to_vec()
            }));
        }
        "InetAddressType" => {
            values.extend([
                hex("7F000001"),
                hex("7F000000"),
                hex("7F00"),
                hex("00000000"),
            ]);
            values.extend((0..100).map(|i| {
                let len = if i % 2 == 0 { 4 } else { 16 };
                (0..len)
                    .map(|_| {
                        if rng.random_bool(0.3) {
                            0
                        } else {
                            rng.random()
                        }
                    })
                    .collect()
            }));
        }
        "IntegerType" => {
            for edge in [
                0i128,
                1,
                -1,
                127,
                128,
                -128,
                -129,
                255,
                256,
                -256,
                i64::MAX as i128,
                i64::MIN as i128,
            ] {
                values.push(decimal_bytes(edge, 0)[4..].to_vec());
            }
            // Around the 7-byte threshold and the 2^56 boundaries.
            for shift in [47, 48, 55, 56, 63, 64, 100] {
                for delta in [-1i128, 0, 1] {
                    values.push(decimal_bytes((1i128 << shift) + delta, 0)[4..].to_vec());
                    values.push(decimal_bytes(-(1i128 << shift) + delta, 0)[4..].to_vec());
                }
            }
            // Not minimal, but within 8 bytes: Cassandra reads them whole.
            values.extend([hex("0000"), hex("000005"), hex("FFFFFF"), hex("FFFF80")]);
            // Long varints: several hundred bytes (the length byte grows).
            values.extend((0..200).map(|i| varint(rng, if i % 10 == 0 { 300 } else { 20 })));
        }
        "DecimalType" => {
            for (unscaled, scale) in [
                (0, 0),
                (0, 7),
                (0, -3),
                (1, 0),
                (10, 1),
                (100, 2),
                (-1, 0),
                (-10, 1),
            ] {
                values.push(decimal_bytes(unscaled, scale));
            }
            for scale in [i32::MIN, i32::MIN + 1, -1, 0, 1, i32::MAX - 1, i32::MAX] {
                values.push(decimal_bytes(rng.random_range(-1000..1000), scale));
            }
            // Dense small numbers: many share an exponent and first digit
            // pair (-1.1 and -1, 0.0101 and 0.01).
            for _ in 0..200 {
                values.push(decimal_bytes(
                    rng.random_range(-2000..2000),
                    rng.random_range(0..=4),
                ));
            }
            for _ in 0..200 {
                let scale: i32 = rng.random_range(-40..40);
                let mut v = scale.to_be_bytes().to_vec();
                v.extend(varint(rng, 20));
                values.push(v);
                // The same number at a larger scale (times 10^k).
                let unscaled = rng.random_range(-1_000_000i128..1_000_000);
                let k = rng.random_range(0..5u32);
                values.push(decimal_bytes(unscaled, scale));
                values.push(decimal_bytes(unscaled * 10i128.pow(k), scale + k as i32));
            }
        }
        _ => unreachable!("{class}"),
    }
    values
}

/// For every pair of values, the byte order of their clustering
/// encodings (here with a text second component, so that a value that
/// were a prefix of another would show) is the comparator's order, for
/// the type and for ReversedType of it.
#[test]
fn byte_order_is_the_comparators_order() {
    let mut rng = StdRng::seed_from_u64(0x0B7C_0550);
    let classes = [
        "UUIDType",
        "TimeUUIDType",
        "LexicalUUIDType",
        "BooleanType",
        "SimpleDateType",
        "TimeType",
        "InetAddressType",
        "IntegerType",
        "DecimalType",
    ];
    for class in classes {
        let values = samples(class, &mut rng);
        for reversed in [false, true] {
            let ty = if reversed {
                format!("{}({})", marshal("ReversedType"), marshal(class))
            } else {
                marshal(class)
            };
            let types = [ty.clone(), marshal("UTF8Type")];
            let encode = |v: &[u8], tail: &[u8]| {
                let bound = ClusteringBound {
                    kind: PrefixKind::Clustering,
                    values: vec![Some(v.to_vec()), Some(tail.to_vec())],
                };
                clustering(&types, &bound).unwrap()
            };
            let encoded: Vec<(Vec<u8>, Vec<u8>)> = values
                .iter()
                .map(|v| (encode(v, b""), encode(v, b"\xFF\xFF")))
                .collect();
            for (a, (ea, ea_long)) in values.iter().zip(&encoded) {
                for (b, (eb, _)) in values.iter().zip(&encoded) {
                    let want = compare_values(&ty, a, b).unwrap();
                    assert_eq!(ea.cmp(eb), want, "{ty} {a:02x?} {b:02x?}");
                    if want == Ordering::Less {
                        // The second component never outweighs the first.
                        assert_eq!(ea_long.cmp(eb), Ordering::Less, "{ty} {a:02x?} {b:02x?}");
                    }
                }
            }
        }
    }
}

/// A tuple value: each field a 4-byte length (-1: null) and its bytes.
fn tuple_value(fields: &[Option<&[u8]>]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields {
        match f {
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(v) => {
                out.extend_from_slice(&(v.len() as i32).to_be_bytes());
                out.extend_from_slice(v);
            }
        }
    }
    out
}

#[test]
fn tuples_as_cassandra_encodes_them() {
    // TupleType.asComparableBytesNew: fields through ByteSource.Multi (40
    // before each, 3E for a null source), trailing nulls dropped, then 38.
    let ty = format!(
        "{}({},{})",
        marshal("TupleType"),
        marshal("Int32Type"),
        marshal("UTF8Type")
    );
    let one = 1i32.to_be_bytes();
    let enc = |fields: &[Option<&[u8]>]| {
        let mut out = Vec::new();
        assert_eq!(
            push(&ty, &tuple_value(fields), &mut out),
            Some(Pushed::Bytes)
        );
        out
    };
    assert_eq!(
        enc(&[Some(&one), Some(b"a")]),
        hex("40 80000001 40 61 00 38")
    );
    assert_eq!(enc(&[Some(&one), None]), hex("40 80000001 38"));
    assert_eq!(enc(&[Some(&one)]), hex("40 80000001 38"));
    assert_eq!(enc(&[None, Some(b"")]), hex("3E 40 00 38"));
    // An empty int has no source: the null separator.
    assert_eq!(enc(&[Some(b""), Some(b"a")]), hex("3E 40 61 00 38"));
    assert_eq!(enc(&[None, None]), hex("38"));
    // A user type is a tuple with field names: the same bytes.
    let udt = format!(
        "{}(ks,74,61:{},62:{})",
        marshal("UserType"),
        marshal("Int32Type"),
        marshal("UTF8Type")
    );
    let value = tuple_value(&[Some(&one), Some(b"a")]);
    let mut out = Vec::new();
    assert_eq!(push(&udt, &value, &mut out), Some(Pushed::Bytes));
    assert_eq!(out, hex("40 80000001 40 61 00 38"));
    // More fields than the type has, or a short field: not a tuple.
    let three = tuple_value(&[Some(&one), Some(b"a"), Some(b"b")]);
    assert_eq!(push(&ty, &three, &mut Vec::new()), None);
    assert_eq!(push(&ty, &[0, 0, 0, 9, 1], &mut Vec::new()), None);
}

/// The order property for tuple<int, text> and tuple<varint, tuple<uuid,
/// boolean>>: nulls, missing trailing fields, shared leading fields. Empty
/// fixed-length fields are left out: Cassandra's encoding gives them the
/// null separator while its comparator puts a null first.
#[test]
fn tuple_byte_order_is_the_comparators_order() {
    let mut rng = StdRng::seed_from_u64(0x7091E);
    let flat = format!(
        "{}({},{})",
        marshal("TupleType"),
        marshal("Int32Type"),
        marshal("UTF8Type")
    );
    let inner = format!(
        "{}({},{})",
        marshal("TupleType"),
        marshal("UUIDType"),
        marshal("BooleanType")
    );
    let nested = format!(
        "{}({},{})",
        marshal("TupleType"),
        marshal("IntegerType"),
        inner
    );
    let mut flat_values = vec![Vec::new()];
    for _ in 0..150 {
        let int = rng.random_range(-3i32..3).to_be_bytes();
        let text: Vec<u8> = (0..rng.random_range(0..3))
            .map(|_| rng.random_range(0..3u8))
            .collect();
        let fields: Vec<Option<&[u8]>> = match rng.random_range(0..5) {
            0 => vec![None, Some(&text)],
            1 => vec![Some(&int)],
            2 => vec![Some(&int), None],
            3 => vec![None],
            _ => vec![Some(&int), Some(&text)],
        };
        flat_values.push(tuple_value(&fields));
    }
    let mut nested_values = vec![Vec::new()];
    for _ in 0..150 {
        let int = varint(&mut rng, 2);
        let uuid = uuid(&mut rng, 1..=4);
        let boolean = [rng.random_range(0..2u8)];
        let inner_value = match rng.random_range(0..3) {
            0 => tuple_value(&[Some(&uuid)]),
            1 => tuple_value(&[None, Some(&boolean)]),
            _ => tuple_value(&[Some(&uuid), Some(&boolean)]),
        };
        let fields: Vec<Option<&[u8]>> = match rng.random_range(0..3) {
            0 => vec![Some(&int)],
            1 => vec![None, Some(&inner_value)],
            _ => vec![Some(&int), Some(&inner_value)],
        };
        nested_values.push(tuple_value(&fields));
    }
    for (ty, values) in [(flat, flat_values), (nested, nested_values)] {
        for reversed in [false, true] {
            let ty = if reversed {
                format!("{}({ty})", marshal("ReversedType"))
            } else {
                ty.clone()
            };
            let types = [ty.clone()];
            let encode = |v: &[u8]| {
                let bound = ClusteringBound {
                    kind: PrefixKind::Clustering,
                    values: vec![Some(v.to_vec())],
                };
                clustering(&types, &bound).unwrap()
            };
            let encoded: Vec<Vec<u8>> = values.iter().map(|v| encode(v)).collect();
            for (a, ea) in values.iter().zip(&encoded) {
                for (b, eb) in values.iter().zip(&encoded) {
                    let want = compare_values(&ty, a, b).unwrap();
                    assert_eq!(ea.cmp(eb), want, "{ty} {a:02x?} {b:02x?}");
                }
            }
        }
    }
}

/// A frozen collection value: the element count, then each element as
/// a 4-byte length and its bytes (a map's keys and values alternate).
fn collection_value(count: usize, elements: &[&[u8]]) -> Vec<u8> {
    let mut out = (count as i32).to_be_bytes().to_vec();
    for e in elements {
        out.extend_from_slice(&(e.len() as i32).to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}

#[test]
fn frozen_collections_as_cassandra_encodes_them() {
    // CollectionType.asComparableBytesListOrSet and
    // MapType.asComparableBytesMap: ByteSource.Multi over the elements
    // (40 before each, 3E for one without bytes), then 38.
    let list = format!(
        "{}({}({}))",
        marshal("FrozenType"),
        marshal("ListType"),
        marshal("Int32Type")
    );
    let map = format!(
        "{}({}({},{}))",
        marshal("FrozenType"),
        marshal("MapType"),
        marshal("UTF8Type"),
        marshal("BooleanType")
    );
    let one = 1i32.to_be_bytes();
    let two = 2i32.to_be_bytes();
    let enc = |ty: &str, v: &[u8]| {
        let mut out = Vec::new();
        assert_eq!(push(ty, v, &mut out), Some(Pushed::Bytes), "{ty}");
        out
    };
    assert_eq!(
        enc(&list, &collection_value(2, &[&one, &two])),
        hex("40 80000001 40 80000002 38")
    );
    assert_eq!(enc(&list, &collection_value(0, &[])), hex("38"));
    assert_eq!(enc(&list, &collection_value(1, &[b""])), hex("3E 38"));
    assert_eq!(
        enc(&map, &collection_value(1, &[b"a", &[1]])),
        hex("40 61 00 40 01 38")
    );
    let deep = format!(
        "{}{}{}",
        format!("{}(", marshal("ListType")).repeat(100_000),
        marshal("Int32Type"),
        ")".repeat(100_000)
    );
    assert!(!known(&deep));
    assert_eq!(push(&deep, &[0, 0, 0, 0], &mut Vec::new()), None);
    // An empty value has no bytes; a short one is not a collection.
    assert_eq!(push(&list, &[], &mut Vec::new()), Some(Pushed::NoSource));
    assert_eq!(
        push(&list, &collection_value(2, &[&one]), &mut Vec::new()),
        None
    );
}

/// The order property for frozen list<int>, set<text> and
/// map<int, frozen<list<varint>>>: element by element, then the shorter
/// first.
#[test]
fn frozen_collection_byte_order_is_the_comparators_order() {
    let mut rng = StdRng::seed_from_u64(0xC011);
    let frozen = |inner: String| format!("{}({inner})", marshal("FrozenType"));
    let list = frozen(format!("{}({})", marshal("ListType"), marshal("Int32Type")));
    let set = frozen(format!("{}({})", marshal("SetType"), marshal("UTF8Type")));
    let inner_list = format!("{}({})", marshal("ListType"), marshal("IntegerType"));
    let map = frozen(format!(
        "{}({},{inner_list})",
        marshal("MapType"),
        marshal("Int32Type")
    ));
    let small_int = |rng: &mut StdRng| rng.random_range(-2i32..2).to_be_bytes().to_vec();
    let mut cases: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    cases.push((
        list,
        (0..150)
            .map(|_| {
                let n = rng.random_range(0..4);
                let elements: Vec<Vec<u8>> = (0..n).map(|_| small_int(&mut rng)).collect();
                let refs: Vec<&[u8]> = elements.iter().map(Vec::as_slice).collect();
                collection_value(n, &refs)
            })
            .collect(),
    ));
    cases.push((
        set,
        (0..150)
            .map(|_| {
                let n = rng.random_range(0..3);
                let mut elements: Vec<Vec<u8>> = (0..n)
                    .map(|_| {
                        (0..rng.random_range(0..3))
                            .map(|_| rng.random_range(0..3u8))
                            .collect()
                    })
                    .collect();
                elements.sort();
                elements.dedup();
                let refs: Vec<&[u8]> = elements.iter().map(Vec::as_slice).collect();
                collection_value(refs.len(), &refs)
            })
            .collect(),
    ));
    cases.push((
        map,
        (0..150)
            .map(|_| {
                let n = rng.random_range(0..3);
                let mut elements: Vec<Vec<u8>> = Vec::new();
                for k in 0..n {
                    elements.push(
                        (k as i32 * 2 + rng.random_range(0..2))
                            .to_be_bytes()
                            .to_vec(),
                    );
                    let m = rng.random_range(0..3);
                    let items: Vec<Vec<u8>> = (0..m).map(|_| varint(&mut rng, 2)).collect();
                    let refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
                    elements.push(collection_value(m, &refs));
                }
                let refs: Vec<&[u8]> = elements.iter().map(Vec::as_slice).collect();
                collection_value(n, &refs)
            })
            .collect(),
    ));
    for (ty, mut values) in cases {
        values.push(Vec::new());
        for reversed in [false, true] {
            let ty = if reversed {
                format!("{}({ty})", marshal("ReversedType"))
            } else {
                ty.clone()
            };
            let types = [ty.clone(), marshal("Int32Type")];
            let encode = |v: &[u8]| {
                let bound = ClusteringBound {
                    kind: PrefixKind::Clustering,
                    values: vec![Some(v.to_vec()), Some(vec![0x7F; 4])],
                };
                clustering(&types, &bound).unwrap()
            };
            let encoded: Vec<Vec<u8>> = values.iter().map(|v| encode(v)).collect();
            for (a, ea) in values.iter().zip(&encoded) {
                for (b, eb) in values.iter().zip(&encoded) {
                    let want = compare_values(&ty, a, b).unwrap();
                    assert_eq!(ea.cmp(eb), want, "{ty} {a:02x?} {b:02x?}");
                }
            }
        }
    }
}
