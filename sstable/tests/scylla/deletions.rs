//! Tables with deletions, collections and counters: cell tombstones, range
//! tombstone bounds and boundaries, row deletions, complex deletions.
//! Expected contents: the CQL comments and assertions of scylladb's
//! test/boost/sstable_3_x_test.cc (timestamps and deletion times as the
//! scylla test gives them), one test each (named in each test's doc).

use crate::common::*;
use ilion_sstable::clustering::{ClusteringBound, PrefixKind};
use ilion_sstable::merge::merge;
use ilion_sstable::reader::SstableReader;
use ilion_sstable::reconcile::{CellKind, DeletionTime};
use ilion_sstable::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};

fn deletion(timestamp: i64, local_deletion_time: i64) -> DeletionTime {
    DeletionTime {
        marked_for_delete_at: timestamp,
        local_deletion_time,
    }
}

fn marker(
    kind: PrefixKind,
    values: Vec<Option<Vec<u8>>>,
    end: Option<DeletionTime>,
    start: Option<DeletionTime>,
) -> Unfiltered {
    Unfiltered::Marker(Marker {
        bound: ClusteringBound { kind, values },
        end_deletion: end,
        start_deletion: start,
    })
}

/// `test_uncompressed_deleted_cells_read`: five rows, then `DELETE val`
/// of rows 102 and 104: cell tombstones at 1529586065552460 (deleted at
/// 1529586065 s) and 1529586067568210 (1529586067 s); the rows keep
/// their liveness.
#[test]
fn deleted_cells() {
    let Some(r) = open("uncompressed/deleted_cells") else {
        return;
    };
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 1);
    let p = &scanned[0];
    assert_eq!(p.key, int(1));
    let rows = rows(p);
    let clusterings: Vec<_> = rows.iter().map(|r| r.clustering.clone()).collect();
    assert_eq!(
        clusterings,
        (101..=105).map(|c| vec![Some(int(c))]).collect::<Vec<_>>()
    );
    let val = regular(&r, "val");
    for (row, ck) in rows.iter().zip(101..) {
        assert!(row.liveness.is_some() && row.deletion.is_none());
        let tombstone = match ck {
            102 => Some((1_529_586_065_552_460, 1_529_586_065)),
            104 => Some((1_529_586_067_568_210, 1_529_586_067)),
            _ => None,
        };
        match tombstone {
            Some((timestamp, local_deletion_time)) => assert_eq!(
                row.columns,
                vec![ColumnData::Simple {
                    column: val,
                    cell: Cell {
                        timestamp,
                        kind: CellKind::Tombstone {
                            local_deletion_time
                        },
                        path: None,
                        value: Vec::new(),
                    },
                }]
            ),
            None => {
                assert_inserted(row);
                assert_eq!(
                    live_values(&r, row, false),
                    named(&[("val", int(ck + 900))])
                );
            }
        }
    }
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// `test_uncompressed_range_tombstones_simple_read`: rows 101..=110, then
/// `DELETE ... ck > 101 AND ck < 104`, `ck >= 104 AND ck < 105`, `ck >
/// 108`. The two adjacent ranges meet in a boundary at 104; the last
/// range is open at the end (an inclusive end bound with no values); rows
/// 102–104 and 109–110 were purged at flush.
#[test]
fn range_tombstones_simple() {
    let Some(r) = open("uncompressed/range_tombstones_simple") else {
        return;
    };
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 1);
    let p = &scanned[0];
    let first = deletion(1_529_519_641_211_958, 1_529_519_641);
    let second = deletion(1_529_519_641_215_380, 1_529_519_641);
    let third = deletion(1_529_519_643_267_068, 1_529_519_643);
    let ck = |c: i32| vec![Some(int(c))];
    let mut expected = vec![row_of(&r, p, 101)];
    expected.push(marker(
        PrefixKind::ExclStartBound,
        ck(101),
        None,
        Some(first),
    ));
    expected.push(marker(
        PrefixKind::ExclEndInclStartBoundary,
        ck(104),
        Some(first),
        Some(second),
    ));
    expected.push(marker(
        PrefixKind::ExclEndBound,
        ck(105),
        Some(second),
        None,
    ));
    for c in 105..=108 {
        expected.push(row_of(&r, p, c));
    }
    expected.push(marker(
        PrefixKind::ExclStartBound,
        ck(108),
        None,
        Some(third),
    ));
    expected.push(marker(PrefixKind::InclEndBound, vec![], Some(third), None));
    assert_eq!(p.unfiltereds, expected);
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// The row of `partition` clustered at int `ck`, checked to hold `val` =
/// 900 + ck from one INSERT.
fn row_of(r: &SstableReader, partition: &Partition, ck: i32) -> Unfiltered {
    let row = partition
        .unfiltereds
        .iter()
        .find_map(|u| match u {
            Unfiltered::Row(row) if row.clustering == vec![Some(int(ck))] => Some(row),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no row {ck}"));
    assert_inserted(row);
    assert_eq!(live_values(r, row, false), named(&[("val", int(900 + ck))]));
    Unfiltered::Row(row.clone())
}

/// `test_uncompressed_range_tombstones_partial_read`: clustering (ck1,
/// ck2); `DELETE ... ck1 > 1 AND ck1 < 3`, row (2, 13), `DELETE ... ck1 >
/// 3`: prefix bounds on ck1 only, the row inside the first range.
#[test]
fn range_tombstones_partial() {
    let Some(r) = open("uncompressed/range_tombstones_partial") else {
        return;
    };
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 1);
    let p = &scanned[0];
    assert_eq!(p.key, int(1));
    let first = deletion(1_530_543_711_595_401, 1_530_543_711);
    let second = deletion(1_530_543_761_322_213, 1_530_543_761);
    let Unfiltered::Row(row) = &p.unfiltereds[1] else {
        panic!("{:?}", p.unfiltereds[1]);
    };
    assert_eq!(row.clustering, vec![Some(int(2)), Some(int(13))]);
    assert!(row.columns.is_empty());
    assert_inserted(row);
    let expected = vec![
        marker(
            PrefixKind::ExclStartBound,
            vec![Some(int(1))],
            None,
            Some(first),
        ),
        Unfiltered::Row(row.clone()),
        marker(
            PrefixKind::ExclEndBound,
            vec![Some(int(3))],
            Some(first),
            None,
        ),
        marker(
            PrefixKind::ExclStartBound,
            vec![Some(int(3))],
            None,
            Some(second),
        ),
        marker(PrefixKind::InclEndBound, vec![], Some(second), None),
    ];
    assert_eq!(p.unfiltereds, expected);
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// `p` with its columns renumbered from the header of `r` to positions in
/// `names` (two SSTables of one table have different headers: each lists
/// the columns it holds).
fn renumber(r: &SstableReader, mut p: Partition, names: &[&str]) -> Partition {
    let header = &r.statistics().header.regular_columns;
    let to = |column: usize| {
        names
            .iter()
            .position(|n| n.as_bytes() == header[column].name)
            .unwrap()
    };
    for u in &mut p.unfiltereds {
        if let Unfiltered::Row(row) = u {
            for c in &mut row.columns {
                match c {
                    ColumnData::Simple { column, .. } | ColumnData::Complex { column, .. } => {
                        *column = to(*column)
                    }
                }
            }
        }
    }
    p
}

fn only_row(p: &Partition) -> &Row {
    let rows = rows(p);
    assert_eq!(rows.len(), 1);
    rows[0]
}

/// `compact_deleted_row`: generation 1 holds `INSERT (pk, ck, rc1) VALUES
/// ('key', 'ck', 'rc1')`; generation 2 the row's deletion and `INSERT
/// (pk, ck, rc2)` after it. Scylla compacts them: one row, deleted, with
/// rc2 and without rc1 (its sstabledump, quoted there, gives the
/// timestamps). Here each SSTable is read, then the two merged.
#[test]
fn compact_deleted_row() {
    let (Some(one), Some(two)) = (
        open_generation("uncompressed/compact_deleted_row", 1),
        open_generation("uncompressed/compact_deleted_row", 2),
    ) else {
        return;
    };
    let (a, b) = (one.scan().unwrap(), two.scan().unwrap());
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!((&a[0].key[..], &b[0].key[..]), (&b"key"[..], &b"key"[..]));
    let row = only_row(&a[0]);
    assert_eq!(row.clustering, vec![Some(b"ck".to_vec())]);
    assert_inserted(row);
    assert_eq!(
        live_values(&one, row, false),
        named(&[("rc1", b"rc1".to_vec())])
    );
    let row = only_row(&b[0]);
    let row_deletion = deletion(1_533_591_535_618_022, 1_533_591_535);
    assert_eq!(row.deletion, Some(row_deletion));
    assert_eq!(row.liveness.unwrap().timestamp, 1_533_591_593_120_115);
    assert_eq!(
        live_values(&two, row, false),
        named(&[("rc2", b"rc2".to_vec())])
    );
    check_lookups(&one, &a, &[b"other".to_vec()]);
    check_lookups(&two, &b, &[b"other".to_vec()]);

    let names = ["rc1", "rc2"];
    let types = &one.statistics().header.clustering_types;
    let merged = merge(
        types,
        vec![
            renumber(&one, a[0].clone(), &names),
            renumber(&two, b[0].clone(), &names),
        ],
    )
    .unwrap();
    let row = only_row(&merged);
    assert_eq!(row.deletion, Some(row_deletion));
    assert_eq!(row.liveness.unwrap().timestamp, 1_533_591_593_120_115);
    // rc1 (written before the deletion) is shadowed; rc2 stays.
    assert_eq!(row.columns.len(), 1);
    assert!(matches!(&row.columns[0],
        ColumnData::Simple { column: 1, cell } if cell.value == b"rc2"));
    one.verify().unwrap();
    two.verify().unwrap();
}

/// `compact_deleted_cell`: generation 1 holds `INSERT (pk, ck, rc) VALUES
/// ('key', 'ck', 'rc')`, generation 2 `DELETE rc` (a cell tombstone at
/// 1533601605680156, deleted at 1533601605 s, in a row without liveness).
/// Compacted: the row stays live (its liveness from the INSERT) with one
/// cell, the tombstone.
#[test]
fn compact_deleted_cell() {
    let (Some(one), Some(two)) = (
        open_generation("uncompressed/compact_deleted_cell", 1),
        open_generation("uncompressed/compact_deleted_cell", 2),
    ) else {
        return;
    };
    let (a, b) = (one.scan().unwrap(), two.scan().unwrap());
    let row = only_row(&a[0]);
    assert_inserted(row);
    assert_eq!(row.liveness.unwrap().timestamp, 1_533_601_542_229_143);
    assert_eq!(
        live_values(&one, row, false),
        named(&[("rc", b"rc".to_vec())])
    );
    let row = only_row(&b[0]);
    assert_eq!((row.liveness, row.deletion), (None, None));
    let tombstone = Cell {
        timestamp: 1_533_601_605_680_156,
        kind: CellKind::Tombstone {
            local_deletion_time: 1_533_601_605,
        },
        path: None,
        value: Vec::new(),
    };
    assert_eq!(
        row.columns,
        vec![ColumnData::Simple {
            column: 0,
            cell: tombstone.clone()
        }]
    );
    check_lookups(&one, &a, &[b"other".to_vec()]);
    check_lookups(&two, &b, &[b"other".to_vec()]);
    let types = &one.statistics().header.clustering_types;
    let merged = merge(types, vec![a[0].clone(), b[0].clone()]).unwrap();
    let row = only_row(&merged);
    assert_eq!(row.liveness.unwrap().timestamp, 1_533_601_542_229_143);
    assert!(row.has_live_data(1_533_601_606));
    assert_eq!(
        row.columns,
        vec![ColumnData::Simple {
            column: 0,
            cell: tombstone
        }]
    );
}

/// `test_uncompressed_collections_read`: `INSERT (pk, set_val, list_val,
/// map_val) VALUES (k, {3k-2, 3k-1, 3k}, ['Text 3k-2', ...], {3k-2 :
/// 'Text 3k-2', ...})`. Each collection is complex: deleted just before
/// the write (the INSERT replaces it), then one cell per element; set
/// elements are cell paths with empty values, list cells have timeuuid
/// paths, map cells key paths.
#[test]
fn collections() {
    let Some(r) = open("uncompressed/collections") else {
        return;
    };
    let scanned = r.scan().unwrap();
    let order = [5, 1, 2, 4, 3];
    assert_eq!(scanned.len(), 5);
    let text = |i: i32| format!("Text {i}").into_bytes();
    for (p, k) in scanned.iter().zip(order) {
        assert_eq!(p.key, int(k));
        let row = only_row(p);
        assert!(row.clustering.is_empty());
        assert_inserted(row);
        let ts = row.liveness.unwrap().timestamp;
        let elements: Vec<i32> = (3 * k - 2..=3 * k).collect();
        assert_eq!(row.columns.len(), 3);
        for c in &row.columns {
            let ColumnData::Complex {
                column,
                deletion,
                cells,
            } = c
            else {
                panic!("{c:?}");
            };
            assert_eq!(deletion.marked_for_delete_at, ts - 1);
            assert!(cells
                .iter()
                .all(|cell| cell.timestamp == ts && cell.kind == CellKind::Live));
            let paths: Vec<Vec<u8>> = cells.iter().map(|c| c.path.clone().unwrap()).collect();
            let values: Vec<Vec<u8>> = cells.iter().map(|c| c.value.clone()).collect();
            if *column == regular(&r, "set_val") {
                assert_eq!(paths, elements.iter().map(|e| int(*e)).collect::<Vec<_>>());
                assert!(values.iter().all(Vec::is_empty));
            } else if *column == regular(&r, "list_val") {
                assert_eq!(
                    values,
                    elements.iter().map(|e| text(*e)).collect::<Vec<_>>()
                );
                // Timeuuid paths (version 1), in list order.
                assert!(paths.iter().all(|p| p.len() == 16 && p[6] >> 4 == 1));
            } else {
                assert_eq!(*column, regular(&r, "map_val"));
                assert_eq!(paths, elements.iter().map(|e| int(*e)).collect::<Vec<_>>());
                assert_eq!(
                    values,
                    elements.iter().map(|e| text(*e)).collect::<Vec<_>>()
                );
            }
        }
    }
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// A counter cell's value: Cassandra's counter context, a count of header
/// entries (i16), that many i16 entries, then shards of (counter id: 16
/// bytes, logical clock: i64, count: i64). Returns the shards.
fn counter_shards(value: &[u8]) -> Vec<(Vec<u8>, i64, i64)> {
    let header = i16::from_be_bytes([value[0], value[1]]) as usize;
    let shards = &value[2 + 2 * header..];
    assert_eq!(shards.len() % 32, 0, "{value:?}");
    shards
        .chunks(32)
        .map(|s| {
            (
                s[..16].to_vec(),
                i64::from_be_bytes(s[16..24].try_into().unwrap()),
                i64::from_be_bytes(s[24..32].try_into().unwrap()),
            )
        })
        .collect()
}

/// `test_uncompressed_counters_read`: `UPDATE ... SET val = val + 1`
/// three, two and six times for keys 1, 2, 3: one shard each, of host
/// 59b82720-99b0-4033-885c-e94d62106a35, with the timestamps, values and
/// logical clocks the scylla test gives.
#[test]
fn counters() {
    let Some(r) = open("uncompressed/counters") else {
        return;
    };
    let host = uuid("59b82720-99b0-4033-885c-e94d62106a35");
    let expected = [
        (1, 1_528_799_884_266_910, 3, 1_528_799_884_268_000),
        (2, 1_528_799_884_272_645, 2, 1_528_799_884_274_000),
        (3, 1_528_799_885_105_152, 6, 1_528_799_885_107_000),
    ];
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 3);
    for (p, (k, timestamp, count, clock)) in scanned.iter().zip(expected) {
        assert_eq!(p.key, int(k));
        let row = only_row(p);
        // An UPDATE writes no row liveness.
        assert_eq!((row.liveness, row.deletion), (None, None));
        let [ColumnData::Simple { column, cell }] = &row.columns[..] else {
            panic!("{row:?}");
        };
        assert_eq!(*column, regular(&r, "val"));
        assert_eq!((cell.timestamp, cell.kind), (timestamp, CellKind::Live));
        assert_eq!(
            counter_shards(&cell.value),
            vec![(host.clone(), clock, count)]
        );
    }
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}
