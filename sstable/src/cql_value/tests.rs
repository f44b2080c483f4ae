//! Expected texts come from Cassandra's definitions of each type's
//! `toJSONString` / `getString` (`org.apache.cassandra.db.marshal.*Type`,
//! `org.apache.cassandra.serializers.*Serializer`) and from the Java
//! library methods they call (`Double.toString`, `BigDecimal.toString`,
//! `Instant.toString`, `InetAddress.getHostAddress`), whose documented
//! examples are used where they exist.

use super::*;

fn t(name: &str) -> String {
    format!("org.apache.cassandra.db.marshal.{name}")
}

fn collection(items: &[&[u8]]) -> Vec<u8> {
    // CollectionSerializer (protocol v3+): i32 count, then i32 length and
    // bytes per element.
    let mut out = (items.len() as i32).to_be_bytes().to_vec();
    for item in items {
        out.extend_from_slice(&(item.len() as i32).to_be_bytes());
        out.extend_from_slice(item);
    }
    out
}

#[test]
fn strings_are_plain_as_text_and_quoted_as_json() {
    // UTF8Type/AsciiType: getString is the string, toJSONString the JSON
    // string literal.
    assert_eq!(to_text(&t("UTF8Type"), b"foo bar baz"), "foo bar baz");
    assert_eq!(to_json(&t("UTF8Type"), b"foo bar baz"), "\"foo bar baz\"");
    assert_eq!(to_json(&t("UTF8Type"), b"a\"b\\c\n"), r#""a\"b\\c\n""#);
    assert_eq!(to_json(&t("AsciiType"), b"abc"), "\"abc\"");
    // Not UTF-8: shown as hex, never an error.
    assert_eq!(to_json(&t("UTF8Type"), &[0xff, 0xfe]), "\"0xfffe\"");
    assert_eq!(to_text(&t("AsciiType"), "é".as_bytes()), "0xc3a9");
}

#[test]
fn integers_print_as_numbers() {
    assert_eq!(to_json(&t("Int32Type"), &100i32.to_be_bytes()), "100");
    assert_eq!(to_json(&t("Int32Type"), &(-7i32).to_be_bytes()), "-7");
    assert_eq!(
        to_json(&t("LongType"), &i64::MIN.to_be_bytes()),
        "-9223372036854775808"
    );
    assert_eq!(to_json(&t("ShortType"), &(-2i16).to_be_bytes()), "-2");
    assert_eq!(to_json(&t("ByteType"), &[0x80]), "-128");
    // Empty numeric values: `Objects.toString(null, "\"\"")`.
    assert_eq!(to_json(&t("Int32Type"), b""), "\"\"");
    // Wrong length: hex.
    assert_eq!(to_json(&t("Int32Type"), &[1, 2]), "\"0x0102\"");
    let reversed = format!("{}({})", t("ReversedType"), t("Int32Type"));
    assert_eq!(to_json(&reversed, &4i32.to_be_bytes()), "4");
}

#[test]
fn varints_are_twos_complement_big_integers() {
    // IntegerType: java.math.BigInteger(byte[]) — big-endian two's
    // complement of any length.
    let v = |b: &[u8]| to_json(&t("IntegerType"), b);
    assert_eq!(v(&[0x00]), "0");
    assert_eq!(v(&[0x7f]), "127");
    assert_eq!(v(&[0x00, 0x80]), "128");
    assert_eq!(v(&[0xff]), "-1");
    assert_eq!(v(&[0xff, 0x7f]), "-129");
    // 2^64 = 0x01 followed by eight zero bytes.
    assert_eq!(v(&[1, 0, 0, 0, 0, 0, 0, 0, 0]), "18446744073709551616");
    // -(2^72)
    assert_eq!(
        v(&[0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        "-4722366482869645213696"
    );
}

#[test]
fn decimals_follow_big_decimal_to_string() {
    // DecimalType: i32 scale then the unscaled varint; printed by
    // BigDecimal.toString, whose javadoc gives these [unscaled, scale]
    // examples.
    let d = |unscaled: &[u8], scale: i32| {
        let mut b = scale.to_be_bytes().to_vec();
        b.extend_from_slice(unscaled);
        to_json(&t("DecimalType"), &b)
    };
    assert_eq!(d(&[123], 0), "123");
    assert_eq!(d(&[0x85], 0), "-123");
    assert_eq!(d(&[123], -1), "1.23E+3");
    assert_eq!(d(&[123], -3), "1.23E+5");
    assert_eq!(d(&[123], 1), "12.3");
    assert_eq!(d(&[123], 5), "0.00123");
    assert_eq!(d(&[123], 10), "1.23E-8");
    assert_eq!(d(&[0x85], 12), "-1.23E-10");
}

#[test]
fn floating_point_follows_java_to_string() {
    // FloatType/DoubleType print Float/Double.toString; NaN and the
    // infinities print null in JSON.
    let d = |x: f64| to_json(&t("DoubleType"), &x.to_be_bytes());
    assert_eq!(d(1.0), "1.0");
    assert_eq!(d(-0.0), "-0.0");
    assert_eq!(d(0.001), "0.001");
    assert_eq!(d(0.0001), "1.0E-4");
    assert_eq!(d(1e7), "1.0E7");
    assert_eq!(d(9_999_999.0), "9999999.0");
    assert_eq!(d(123456.789), "123456.789");
    assert_eq!(d(-1.5e300), "-1.5E300");
    assert_eq!(d(f64::NAN), "null");
    let f = |x: f32| to_json(&t("FloatType"), &x.to_be_bytes());
    assert_eq!(f(0.1), "0.1");
    assert_eq!(f(3.5), "3.5");
    assert_eq!(f(f32::INFINITY), "null");
    assert_eq!(to_text(&t("DoubleType"), &f64::NAN.to_be_bytes()), "NaN");
}

#[test]
fn counters_sum_their_shards() {
    // CounterContext.total: sum of every shard's count. The legacy tables'
    // counters hold one global shard with count 1: header `0001 8000`
    // (one entry; index 0 stored as 0 + Short.MIN_VALUE, global), then the
    // shard (reference §4.6, counter cells).
    let shard = |id: u8, clock: i64, count: i64| {
        let mut s = vec![id; 16];
        s.extend_from_slice(&clock.to_be_bytes());
        s.extend_from_slice(&count.to_be_bytes());
        s
    };
    let mut one_global = vec![0x00, 0x01, 0x80, 0x00];
    one_global.extend(shard(7, 1, 1));
    assert_eq!(counter_total(&one_global), Some(1));
    assert_eq!(to_json(&t("CounterColumnType"), &one_global), "1");
    let mut two_remote = vec![0x00, 0x00];
    two_remote.extend(shard(1, 3, 5));
    two_remote.extend(shard(2, 4, -2));
    assert_eq!(to_json(&t("CounterColumnType"), &two_remote), "3");
    // Not a context: a lone long (a counter update's delta).
    assert_eq!(to_json(&t("CounterColumnType"), &42i64.to_be_bytes()), "42");
    assert_eq!(counter_total(&[0x00, 0x05, 0x00]), None);
}

#[test]
fn booleans_blobs_and_uuids() {
    assert_eq!(to_json(&t("BooleanType"), &[1]), "true");
    assert_eq!(to_json(&t("BooleanType"), &[0]), "false");
    // BytesType.toJSONString: "0x" + hex; getString: bare hex.
    assert_eq!(to_json(&t("BytesType"), &[0xca, 0xfe]), "\"0xcafe\"");
    assert_eq!(to_text(&t("BytesType"), &[0xca, 0xfe]), "cafe");
    let id: [u8; 16] = [
        0x55, 0x0e, 0x84, 0x00, 0xe2, 0x9b, 0x41, 0xd4, 0xa7, 0x16, 0x44, 0x66, 0x55, 0x44, 0x00,
        0x00,
    ];
    assert_eq!(
        to_json(&t("UUIDType"), &id),
        "\"550e8400-e29b-41d4-a716-446655440000\""
    );
    assert_eq!(
        to_text(&t("TimeUUIDType"), &id),
        "550e8400-e29b-41d4-a716-446655440000"
    );
}

#[test]
fn temporal_types() {
    // TimestampType.toJSONString: "yyyy-MM-dd HH:mm:ss.SSSX" in UTC
    // (TimestampSerializer's TO_JSON_FORMAT).
    let ts = |ms: i64| to_json(&t("TimestampType"), &ms.to_be_bytes());
    assert_eq!(ts(0), "\"1970-01-01 00:00:00.000Z\"");
    assert_eq!(ts(1_445_008_632_854), "\"2015-10-16 15:17:12.854Z\"");
    assert_eq!(ts(-1), "\"1969-12-31 23:59:59.999Z\"");
    assert_eq!(
        to_json(&t("DateType"), &0i64.to_be_bytes()),
        "\"1970-01-01 00:00:00.000Z\""
    );
    // SimpleDateType: unsigned days with the epoch at 2^31.
    let date = |d: u32| to_json(&t("SimpleDateType"), &d.to_be_bytes());
    assert_eq!(date(1 << 31), "\"1970-01-01\"");
    assert_eq!(date((1 << 31) - 1), "\"1969-12-31\"");
    assert_eq!(date((1 << 31) + 18_000), "\"2019-04-14\"");
    // TimeType: TimeSerializer.toString, HH:mm:ss and nine fraction digits.
    let time = |n: i64| to_json(&t("TimeType"), &n.to_be_bytes());
    assert_eq!(time(0), "\"00:00:00.000000000\"");
    assert_eq!(
        time(((13 * 60 + 5) * 60 + 7) * 1_000_000_000 + 123_456_789),
        "\"13:05:07.123456789\""
    );
    // Instant.toString (sstabledump's dateString): fraction in groups of
    // three digits, none when zero.
    assert_eq!(instant(0, 0), "1970-01-01T00:00:00Z");
    assert_eq!(
        instant_micros(1_620_986_780_234_000),
        "2021-05-14T10:06:20.234Z"
    );
    assert_eq!(
        instant_micros(1_620_986_780_539_001),
        "2021-05-14T10:06:20.539001Z"
    );
    assert_eq!(instant(1, 1), "1970-01-01T00:00:01.000000001Z");
}

#[test]
fn durations_follow_cassandra_duration_to_string() {
    // DurationType: zigzag vints months, days, nanoseconds; Duration.toString
    // splits months into y/mo and nanoseconds into h/m/s/ms/us/ns.
    let mut b = Vec::new();
    crate::vint::write_signed_vint(14, &mut b);
    crate::vint::write_signed_vint(3, &mut b);
    let nanos = 3_600_000_000_000 + 2 * 60_000_000_000 + 3_000_000_000 + 4_000_000 + 5_000 + 6;
    crate::vint::write_signed_vint(nanos, &mut b);
    assert_eq!(
        to_json(&t("DurationType"), &b),
        "\"1y2mo3d1h2m3s4ms5us6ns\""
    );
    let mut neg = Vec::new();
    crate::vint::write_signed_vint(0, &mut neg);
    crate::vint::write_signed_vint(-2, &mut neg);
    crate::vint::write_signed_vint(0, &mut neg);
    assert_eq!(to_text(&t("DurationType"), &neg), "-2d");
}

#[test]
fn addresses() {
    assert_eq!(
        to_json(&t("InetAddressType"), &[127, 0, 0, 1]),
        "\"127.0.0.1\""
    );
    let mut v6 = [0u8; 16];
    v6[15] = 1;
    // Inet6Address.getHostAddress: eight groups, no "::" compression.
    assert_eq!(to_text(&t("InetAddressType"), &v6), "0:0:0:0:0:0:0:1");
}

#[test]
fn frozen_collections_tuples_and_user_types() {
    let int = t("Int32Type");
    let text = t("UTF8Type");
    let list = format!("{}({}({int}))", t("FrozenType"), t("ListType"));
    let value = collection(&[&1i32.to_be_bytes(), &2i32.to_be_bytes()]);
    // ListType.toJSONString: "[" elements joined by ", " "]".
    assert_eq!(to_json(&list, &value), "[1, 2]");
    let set = format!("{}({}({text}))", t("FrozenType"), t("SetType"));
    assert_eq!(to_json(&set, &collection(&[b"a", b"b"])), "[\"a\", \"b\"]");
    assert_eq!(to_text(&set, &collection(&[b"a", b"b"])), "{a, b}");
    // MapType.toJSONString: non-string keys are quoted.
    let map = format!("{}({}({int},{text}))", t("FrozenType"), t("MapType"));
    let value = collection(&[&1i32.to_be_bytes(), b"x"]);
    // The count of a map is of entries: rewrite it to 1.
    let mut value = value;
    value[..4].copy_from_slice(&1i32.to_be_bytes());
    assert_eq!(to_json(&map, &value), "{\"1\": \"x\"}");
    // TupleType: each field i32 length (negative: null) and bytes.
    let tuple = format!("{}({int},{text})", t("TupleType"));
    let mut value = 4i32.to_be_bytes().to_vec();
    value.extend_from_slice(&9i32.to_be_bytes());
    value.extend_from_slice(&(-1i32).to_be_bytes());
    assert_eq!(to_json(&tuple, &value), "[9, null]");
    // UserType(keyspace, hex name, hex field:type...): an object by field.
    let udt = format!("{}(ks,75,61:{int},6e616d65:{text})", t("UserType"));
    let mut value = 4i32.to_be_bytes().to_vec();
    value.extend_from_slice(&5i32.to_be_bytes());
    value.extend_from_slice(&2i32.to_be_bytes());
    value.extend_from_slice(b"hi");
    assert_eq!(to_json(&udt, &value), "{\"a\": 5, \"name\": \"hi\"}");
    // A count that cannot fit the bytes: hex, no huge allocation.
    assert_eq!(to_json(&list, &[0x7f, 0xff, 0xff, 0xff]), "\"0x7fffffff\"");
}

#[test]
fn composite_keys_split_into_components() {
    let composite = format!(
        "{}({},{})",
        t("CompositeType"),
        t("Int32Type"),
        t("UTF8Type")
    );
    let mut key = vec![0, 4];
    key.extend_from_slice(&7i32.to_be_bytes());
    key.push(0);
    key.extend_from_slice(&[0, 2]);
    key.extend_from_slice(b"ab");
    key.push(0);
    assert_eq!(
        composite_components(&key),
        Some(vec![7i32.to_be_bytes().to_vec(), b"ab".to_vec()])
    );
    assert_eq!(to_text(&composite, &key), "7:ab");
    assert_eq!(from_text(&composite, "7:ab"), Some(key));
    assert_eq!(composite_components(&[0, 5, 1]), None, "truncated");
}

#[test]
fn text_parses_back_as_sstabledump_keys_do() {
    assert_eq!(from_text(&t("UTF8Type"), "0"), Some(b"0".to_vec()));
    assert_eq!(
        from_text(&t("Int32Type"), "100"),
        Some(100i32.to_be_bytes().to_vec())
    );
    assert_eq!(from_text(&t("Int32Type"), "x"), None);
    assert_eq!(from_text(&t("BytesType"), "0xcafe"), Some(vec![0xca, 0xfe]));
    assert_eq!(
        from_text(&t("SimpleDateType"), "1970-01-02"),
        Some(((1u32 << 31) + 1).to_be_bytes().to_vec())
    );
    assert_eq!(from_text(&t("SimpleDateType"), "2021-02-30"), None);
    assert_eq!(from_text(&t("IntegerType"), "128"), Some(vec![0x00, 0x80]));
    assert_eq!(from_text(&t("IntegerType"), "-129"), Some(vec![0xff, 0x7f]));
    for (ty, text) in [
        ("UUIDType", "550e8400-e29b-41d4-a716-446655440000"),
        ("InetAddressType", "10.1.2.3"),
        ("LongType", "-5"),
        ("BooleanType", "true"),
    ] {
        let bytes = from_text(&t(ty), text).unwrap();
        assert_eq!(to_text(&t(ty), &bytes), text, "{ty}");
    }
}

#[test]
fn unknown_types_fall_back_to_hex() {
    let custom = "com.example.MyType";
    assert_eq!(to_json(custom, &[1, 2, 3]), "\"0x010203\"");
    assert_eq!(to_text(custom, &[1, 2, 3]), "0x010203");
    assert_eq!(to_json(&t("EmptyType"), b""), "\"\"");
}
