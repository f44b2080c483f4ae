//! Tables of plain rows: keys, clusterings, static rows, subsets of
//! columns. Expected contents: the CQL comments and assertions of
//! scylladb's test/boost/sstable_3_x_test.cc, one test each (named in each
//! test's doc).

use crate::common::*;
use ilion_sstable::partitioner::{Partitioner, Token};
use ilion_sstable::reader::Slice;
use ilion_sstable::reconcile::{CellKind, DeletionTime};
use ilion_sstable::rows::ColumnData;
use std::ops::Bound;

/// Murmur3 order of the int keys 1..=5, as every scylla test over them
/// lists the partitions.
const KEY_ORDER: [i32; 5] = [5, 1, 2, 4, 3];

/// `test_uncompressed_simple_read`: `INSERT (pk, ck, val) VALUES (k, 100 +
/// k, 1000 + k)` for k in 1..=5.
#[test]
fn simple() {
    let Some(r) = open("uncompressed/simple") else {
        return;
    };
    let scanned = r.scan().unwrap();
    let keys: Vec<Vec<u8>> = scanned.iter().map(|p| p.key.clone()).collect();
    assert_eq!(keys, KEY_ORDER.map(int).to_vec());
    for (p, k) in scanned.iter().zip(KEY_ORDER) {
        assert_live_partition(p);
        assert_eq!(p.static_row, None);
        let rows = rows(p);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].clustering, vec![Some(int(100 + k))]);
        assert_inserted(rows[0]);
        assert_eq!(
            live_values(&r, rows[0], false),
            named(&[("val", int(1000 + k))])
        );
    }
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// `test_uncompressed_partition_key_only_read`: `INSERT (pk) VALUES (k)`:
/// one row with an empty clustering and only its liveness.
#[test]
fn partition_key_only() {
    let Some(r) = open("uncompressed/partition_key_only") else {
        return;
    };
    let scanned = r.scan().unwrap();
    let keys: Vec<Vec<u8>> = scanned.iter().map(|p| p.key.clone()).collect();
    assert_eq!(keys, KEY_ORDER.map(int).to_vec());
    for p in &scanned {
        let rows = rows(p);
        assert_eq!(rows.len(), 1);
        assert!(rows[0].clustering.is_empty());
        assert!(rows[0].columns.is_empty());
        assert_inserted(rows[0]);
    }
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// `test_uncompressed_partition_key_with_value_read`: `INSERT (pk, val)
/// VALUES (k, 100 + k)`.
#[test]
fn partition_key_with_value() {
    let Some(r) = open("uncompressed/partition_key_with_value") else {
        return;
    };
    let scanned = r.scan().unwrap();
    for (p, k) in scanned.iter().zip(KEY_ORDER) {
        assert_eq!(p.key, int(k));
        let rows = rows(p);
        assert_eq!(rows.len(), 1);
        assert!(rows[0].clustering.is_empty());
        assert_inserted(rows[0]);
        assert_eq!(
            live_values(&r, rows[0], false),
            named(&[("val", int(100 + k))])
        );
    }
    assert_eq!(scanned.len(), 5);
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// `test_uncompressed_static_row_read`: `INSERT (pk, ck, s, val) VALUES
/// (k, 10 + k, 100 + k, 1000 + k)`, `s` static.
#[test]
fn static_row() {
    let Some(r) = open("uncompressed/static_row") else {
        return;
    };
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 5);
    for (p, k) in scanned.iter().zip(KEY_ORDER) {
        assert_eq!(p.key, int(k));
        let rows = rows(p);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].clustering, vec![Some(int(10 + k))]);
        assert_inserted(rows[0]);
        assert_eq!(
            live_values(&r, rows[0], false),
            named(&[("val", int(1000 + k))])
        );
        let s = p.static_row.as_ref().expect("static row");
        assert!(s.clustering.is_empty());
        assert_eq!(live_values(&r, s, true), named(&[("s", int(100 + k))]));
        // Written by the same statement as the row.
        let ts = rows[0].liveness.unwrap().timestamp;
        assert!(s.columns.iter().all(|c| matches!(c,
            ColumnData::Simple { cell, .. } if cell.timestamp == ts)));
    }
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// `test_uncompressed_compound_static_row_read`: static `s_int`, `s_text`,
/// `s_inet` = (100 + k, 'Text for k', '10.0.0.k'), row `ck` = 10 + k with
/// `val` = 1000 + k.
#[test]
fn compound_static_row() {
    let Some(r) = open("uncompressed/compound_static_row") else {
        return;
    };
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 5);
    for (p, k) in scanned.iter().zip(KEY_ORDER) {
        assert_eq!(p.key, int(k));
        let s = p.static_row.as_ref().expect("static row");
        let mut values = live_values(&r, s, true);
        values.sort();
        assert_eq!(
            values,
            named(&[
                ("s_inet", vec![10, 0, 0, k as u8]),
                ("s_int", int(100 + k)),
                ("s_text", format!("Text for {k}").into_bytes()),
            ])
        );
        let rows = rows(p);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].clustering, vec![Some(int(10 + k))]);
        assert_inserted(rows[0]);
        assert_eq!(
            live_values(&r, rows[0], false),
            named(&[("val", int(1000 + k))])
        );
    }
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// `test_uncompressed_compound_ck_read`: clustering (int, text, uuid,
/// inet).
#[test]
fn compound_ck() {
    let Some(r) = open("uncompressed/compound_ck") else {
        return;
    };
    let uuids = [
        "f7fdcbd2-4544-482c-85fd-d9572adc3cd6",
        "c25ae960-07a2-467d-8f35-5bd38647b367",
        "f7e8ebc0-dbae-4c06-bae0-656c23f6af6a",
        "4549e2c2-786e-4b30-90aa-5dd37ae1db8f",
        "f1badb6f-80a0-4eef-90df-b3651d9a5578",
    ];
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 5);
    for (p, k) in scanned.iter().zip(KEY_ORDER) {
        assert_eq!(p.key, int(k));
        let rows = rows(p);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].clustering,
            vec![
                Some(int(100 + k)),
                Some(format!("This is a string for {k}").into_bytes()),
                Some(uuid(uuids[k as usize - 1])),
                Some(vec![10, 0, 0, k as u8]),
            ]
        );
        assert_inserted(rows[0]);
        assert_eq!(
            live_values(&r, rows[0], false),
            named(&[("val", int(1000 + k))])
        );
        // Slices over the (int, text, uuid, inet) clustering: the row's own
        // prefixes hold it; a uuid above it (UUIDType order: version, then
        // the bytes unsigned) or an int above it does not.
        let full = rows[0].clustering.clone();
        let slice = |start: &[Option<Vec<u8>>], end: Option<&[Option<Vec<u8>>]>| Slice {
            start: Some(start.to_vec()),
            end: end.map(<[_]>::to_vec),
        };
        let hit = |s: Slice| {
            r.slice(&int(k), &s, false)
                .unwrap()
                .unwrap()
                .unfiltereds
                .len()
        };
        assert_eq!(hit(slice(&full[..1], Some(&full[..1]))), 1);
        assert_eq!(hit(slice(&full, Some(&full))), 1);
        assert_eq!(hit(slice(&full[..3], None)), 1);
        let mut above = full[..3].to_vec();
        above[2] = Some(uuid("ffffffff-ffff-4fff-ffff-ffffffffffff"));
        assert_eq!(hit(slice(&above, None)), 0);
        assert_eq!(hit(slice(&[Some(int(101 + k))], None)), 0);
    }
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// The values of the columns of `partition_key_with_values_of_different_types`
/// and `subset_of_columns` for key `k` (1..=5), from their INSERTs.
pub fn typed_values(k: i32) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("bool_val", vec![u8::from(k % 2 == 1)]),
        // 0.11, 0.22, ...: k * 0.11 rounds differently, so written out.
        (
            "double_val",
            [0.11f64, 0.22, 0.33, 0.44, 0.55][k as usize - 1]
                .to_be_bytes()
                .to_vec(),
        ),
        (
            "float_val",
            [0.1f32, 0.2, 0.3, 0.4, 0.5][k as usize - 1]
                .to_be_bytes()
                .to_vec(),
        ),
        ("int_val", int(k)),
        ("long_val", (11 * i64::from(k)).to_be_bytes().to_vec()),
        (
            "timestamp_val",
            epoch_millis((2015, 5, i64::from(k)), (8 + i64::from(k), 30, 54, 234))
                .to_be_bytes()
                .to_vec(),
        ),
        ("timeuuid_val", uuid("50554d6e-29bb-11e5-b345-feff819cdc9f")),
        ("uuid_val", uuid("01234567-0123-0123-0123-0123456789ab")),
        ("text_val", format!("variable length text {k}").into_bytes()),
    ]
}

/// `test_uncompressed_subset_of_columns_read`: each INSERT names a
/// different subset of the columns.
#[test]
fn subset_of_columns() {
    let Some(r) = open("uncompressed/subset_of_columns") else {
        return;
    };
    let present: [(i32, &[&str]); 5] = [
        (5, &["int_val", "long_val", "timeuuid_val", "uuid_val"]),
        (
            1,
            &[
                "double_val",
                "float_val",
                "int_val",
                "long_val",
                "timestamp_val",
                "timeuuid_val",
                "uuid_val",
                "text_val",
            ],
        ),
        (
            2,
            &[
                "bool_val",
                "int_val",
                "long_val",
                "timestamp_val",
                "timeuuid_val",
                "uuid_val",
                "text_val",
            ],
        ),
        (4, &["bool_val", "text_val"]),
        (
            3,
            &[
                "bool_val",
                "double_val",
                "float_val",
                "long_val",
                "timestamp_val",
                "text_val",
            ],
        ),
    ];
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 5);
    for (p, (k, names)) in scanned.iter().zip(present) {
        assert_eq!(p.key, int(k));
        let rows = rows(p);
        assert_eq!(rows.len(), 1);
        assert_inserted(rows[0]);
        let mut expected: Vec<(String, Vec<u8>)> = typed_values(k)
            .into_iter()
            .filter(|(n, _)| names.contains(n))
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        expected.sort();
        let mut got = live_values(&r, rows[0], false);
        got.sort();
        assert_eq!(got, expected, "key {k}");
    }
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// `valN` = value pairs for the large-subset tables.
fn vals(pairs: impl IntoIterator<Item = (i32, i32)>) -> Values {
    let mut out: Vec<(String, Vec<u8>)> = pairs
        .into_iter()
        .map(|(n, v)| (format!("val{n}"), int(v)))
        .collect();
    out.sort();
    out
}

/// Column values by name.
type Values = Vec<(String, Vec<u8>)>;

fn check_large_subset(table: &str, expected: [(i32, Values); 5]) {
    let Some(r) = open(table) else {
        return;
    };
    assert_eq!(r.statistics().header.regular_columns.len(), 64);
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 5);
    for (p, (k, values)) in scanned.iter().zip(expected) {
        assert_eq!(p.key, int(k));
        let rows = rows(p);
        assert_eq!(rows.len(), 1);
        assert_inserted(rows[0]);
        let mut got = live_values(&r, rows[0], false);
        got.sort();
        assert_eq!(got, values, "key {k}");
    }
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// `test_uncompressed_large_subset_of_columns_sparse_read`: 64 columns,
/// rows naming 1 to 31 of them (the row encodes which are missing).
#[test]
fn large_subset_of_columns_sparse() {
    check_large_subset(
        "uncompressed/large_subset_of_columns_sparse",
        [
            (5, vals((34..=64).zip(1..))),
            (1, vals([(1, 11)])),
            (
                2,
                vals([(2, 22), (5, 222), (6, 2222), (7, 22222), (60, 222222)]),
            ),
            (4, vals((1..=31).map(|i| (i, i)))),
            (3, vals([(32, 33), (33, 333)])),
        ],
    );
}

/// `test_uncompressed_large_subset_of_columns_dense_read`: rows naming 32
/// to 63 of the 64 columns.
#[test]
fn large_subset_of_columns_dense() {
    check_large_subset(
        "uncompressed/large_subset_of_columns_dense",
        [
            (5, vals((33..=64).zip(1..))),
            (1, vals((1..=64).filter(|i| *i != 29).map(|i| (i, i)))),
            (2, vals((2..=64).map(|i| (i, i)))),
            (4, vals((1..=32).map(|i| (i, i)))),
            (3, vals((1..=63).map(|i| (i, i)))),
        ],
    );
}

/// `test_read_table_empty_clustering_key`: the partitions 0..10 of a
/// table without clustering columns, in Murmur3 order.
#[test]
fn empty_clustering_key() {
    let Some(r) = open("uncompressed/empty_clustering_key") else {
        return;
    };
    let scanned = r.scan().unwrap();
    let mut expected: Vec<Vec<u8>> = (0..10).map(int).collect();
    expected.sort_by(|a, b| Partitioner::Murmur3.compare(a, b));
    let keys: Vec<Vec<u8>> = scanned.iter().map(|p| p.key.clone()).collect();
    assert_eq!(keys, expected);
    for p in &scanned {
        for row in rows(p) {
            assert!(row.clustering.is_empty());
        }
    }
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// `test_uncompressed_random_partitioner`: `INSERT (pk, ck, v) VALUES (k,
/// 10k, 100k)` for k in 1..=3 under RandomPartitioner. (Scylla refuses the
/// table, its database being Murmur3; Ilion reads it in MD5-token order.)
#[test]
fn random_partitioner() {
    let Some(r) = open("uncompressed/random_partitioner") else {
        return;
    };
    assert_eq!(
        r.statistics().validation.partitioner,
        "org.apache.cassandra.dht.RandomPartitioner"
    );
    let scanned = r.scan().unwrap();
    let keys: Vec<Vec<u8>> = scanned.iter().map(|p| p.key.clone()).collect();
    let mut expected: Vec<Vec<u8>> = (1..=3).map(int).collect();
    expected.sort_by(|a, b| Partitioner::Random.compare(a, b));
    assert_eq!(keys, expected);
    for p in &scanned {
        let k = i32::from_be_bytes(p.key.clone().try_into().unwrap());
        let rows = rows(p);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].clustering, vec![Some(int(10 * k))]);
        assert_inserted(rows[0]);
        assert_eq!(
            live_values(&r, rows[0], false),
            named(&[("v", int(100 * k))])
        );
    }
    // Lookups go through the MD5 token order: with a Murmur3 order a
    // binary search over these keys would miss some.
    check_lookups(&r, &scanned, &absent_ints());
    // Token-range scans by MD5 token: from the second partition's token
    // (included, then excluded) to the end, and up to it.
    let second = Partitioner::Random.token(&keys[1]);
    let range = |start: Bound<Token>, end: Bound<Token>| -> Vec<Vec<u8>> {
        r.scan_range(start, end)
            .unwrap()
            .map(|p| p.unwrap().key)
            .collect()
    };
    assert_eq!(
        range(Bound::Included(second.clone()), Bound::Unbounded),
        keys[1..].to_vec()
    );
    assert_eq!(
        range(Bound::Excluded(second.clone()), Bound::Unbounded),
        keys[2..].to_vec()
    );
    assert_eq!(
        range(Bound::Unbounded, Bound::Excluded(second)),
        keys[..1].to_vec()
    );
    assert_eq!(
        range(
            Bound::Included(Token::Big(0)),
            Bound::Included(Token::Big(1 << 127))
        ),
        keys
    );
    r.verify().unwrap();
}

/// `test_read_empty_index`: `INSERT (pk) VALUES ('привет')` into a table
/// of a text key only; its Index.db entry has no row index.
#[test]
fn read_empty_index() {
    let Some(r) = open("uncompressed/read_empty_index") else {
        return;
    };
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 1);
    assert_eq!(scanned[0].key, "привет".as_bytes());
    let rows = rows(&scanned[0]);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].clustering.is_empty() && rows[0].columns.is_empty());
    assert_inserted(rows[0]);
    check_lookups(&r, &scanned, &[b"hello".to_vec(), Vec::from("приве")]);
    r.verify().unwrap();
}

/// `test_read_missing_summary`: Summary.db is gone (its TOC lists it);
/// scylla only checks that the table loads. Ilion takes the key range
/// from Index.db, and lookups work.
#[test]
fn read_missing_summary() {
    let Some(r) = open("uncompressed/read_missing_summary") else {
        return;
    };
    let header = &r.statistics().header;
    assert_eq!(header.key_type, "org.apache.cassandra.db.marshal.UTF8Type");
    assert_eq!(
        header.clustering_types,
        vec!["org.apache.cassandra.db.marshal.UTF8Type".to_string()]
    );
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 1);
    let (first, last) = r.key_range();
    assert_eq!((&first.1, &last.1), (&scanned[0].key, &scanned[0].key));
    for row in rows(&scanned[0]) {
        assert_eq!(row.clustering.len(), 1);
    }
    check_lookups(&r, &scanned, &[b"missing".to_vec()]);
    r.verify().unwrap();
}

/// `test_complex_column_zero_subcolumns_read`: a compaction_history-like
/// table whose rows carry a map column deleted and re-set to nothing (a
/// complex column with a deletion and zero cells), every cell with TTL
/// 604800. The table has no Filter.db, CRC.db nor Digest.crc32.
#[test]
fn complex_column_zero_subcolumns() {
    let Some(r) = open("uncompressed/complex_column_zero_subcolumns") else {
        return;
    };
    let keys = [
        "09fea990-b320-11e8-83a7-000000000000",
        "0a310430-b320-11e8-83a7-000000000000",
        "0a214cc0-b320-11e8-83a7-000000000000",
        "0a00a560-b320-11e8-83a7-000000000000",
        "0a0a6960-b320-11e8-83a7-000000000000",
        "0a147b80-b320-11e8-83a7-000000000000",
        "0a187320-b320-11e8-83a7-000000000000",
    ];
    let scanned = r.scan().unwrap();
    let got: Vec<Vec<u8>> = scanned.iter().map(|p| p.key.clone()).collect();
    assert_eq!(got, keys.map(uuid).to_vec());
    let rows_merged = regular(&r, "rows_merged");
    for p in &scanned {
        let rows = rows(p);
        assert_eq!(rows.len(), 1);
        let row = rows[0];
        assert!(row.clustering.is_empty());
        let liveness = row.liveness.unwrap();
        let (ttl, expires) = liveness.expiry.unwrap();
        assert_eq!(ttl, 604_800);
        let mut saw_map = false;
        for c in &row.columns {
            match c {
                ColumnData::Simple { cell, .. } => {
                    assert_eq!(cell.timestamp, liveness.timestamp);
                    assert_eq!(
                        cell.kind,
                        CellKind::Expiring {
                            ttl: 604_800,
                            local_expiration_time: expires
                        }
                    );
                }
                ColumnData::Complex {
                    column,
                    deletion,
                    cells,
                } => {
                    assert_eq!(*column, rows_merged);
                    // Setting a collection deletes it just before.
                    assert_eq!(deletion.marked_for_delete_at, liveness.timestamp - 1);
                    assert_ne!(*deletion, DeletionTime::LIVE);
                    assert!(cells.is_empty());
                    saw_map = true;
                }
            }
        }
        assert!(saw_map, "{row:?}");
    }
    check_lookups(
        &r,
        &scanned,
        &[uuid("0a187320-b320-11e8-83a7-000000000001")],
    );
    // No CRC.db and no Digest.crc32: nothing to check, and no error.
    r.verify().unwrap();
}
