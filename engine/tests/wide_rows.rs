//! Wide rows through the engine: partition updates with clustering rows,
//! row and range deletions, written across flushes and a reopen, read back
//! as the merge of every update.

#![allow(clippy::unwrap_used)]

use ilion::sstable::clustering::{ClusteringBound, PrefixKind};
use ilion::sstable::merge::merge;
use ilion::sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion::sstable::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};
use ilion::sstable::schema::{ClusteringOrder, Column, TableSchema};
use ilion::{Db, Options, TableOptions};

fn schema() -> TableSchema {
    let t = |n: &str| format!("org.apache.cassandra.db.marshal.{n}");
    TableSchema::new(
        vec![Column::new("sensor", t("UTF8Type"))],
        vec![(Column::new("at", t("LongType")), ClusteringOrder::Desc)],
        Vec::new(),
        vec![Column::new("reading", t("DoubleType"))],
    )
    .unwrap()
}

fn at(ms: i64) -> Vec<Option<Vec<u8>>> {
    vec![Some(ms.to_be_bytes().to_vec())]
}

fn readings(db: &Db, sensor: &[u8], from: i64, count: i64) -> Partition {
    let timestamp = db.timestamp();
    // Descending clustering: newest first.
    let unfiltereds = (from..from + count)
        .rev()
        .map(|ms| {
            Unfiltered::Row(Row {
                clustering: at(ms),
                liveness: Some(LivenessInfo {
                    timestamp,
                    expiry: None,
                }),
                deletion: None,
                columns: vec![ColumnData::Simple {
                    column: 0,
                    cell: Cell {
                        timestamp,
                        kind: CellKind::Live,
                        path: None,
                        value: (ms as f64 / 10.0).to_be_bytes().to_vec(),
                    },
                }],
            })
        })
        .collect();
    Partition {
        key: sensor.to_vec(),
        deletion: DeletionTime::LIVE,
        static_row: None,
        unfiltereds,
    }
}

/// Deletes readings from `from` to `to` inclusive (a range tombstone; in
/// descending order the start bound is the larger value).
fn delete_range(db: &Db, sensor: &[u8], from: i64, to: i64) -> Partition {
    let deletion = DeletionTime {
        marked_for_delete_at: db.timestamp(),
        local_deletion_time: 1_700_000_000,
    };
    let bound = |kind, ms| ClusteringBound {
        kind,
        values: at(ms),
    };
    Partition {
        key: sensor.to_vec(),
        deletion: DeletionTime::LIVE,
        static_row: None,
        unfiltereds: vec![
            Unfiltered::Marker(Marker {
                bound: bound(PrefixKind::InclStartBound, to),
                end_deletion: None,
                start_deletion: Some(deletion),
            }),
            Unfiltered::Marker(Marker {
                bound: bound(PrefixKind::InclEndBound, from),
                end_deletion: Some(deletion),
                start_deletion: None,
            }),
        ],
    }
}

#[test]
fn updates_across_flushes_and_reopens_read_as_their_merge() {
    let dir = tempfile::tempdir().unwrap();
    let types = schema().clustering_types();
    let mut written = Vec::new();
    {
        let db = Db::open(dir.path(), Options::default()).unwrap();
        db.create_table("readings", schema(), TableOptions::default())
            .unwrap();
        for (i, update) in [
            readings(&db, b"s1", 0, 100),
            readings(&db, b"s1", 50, 100),
            delete_range(&db, b"s1", 20, 70),
            readings(&db, b"s1", 60, 5),
        ]
        .into_iter()
        .enumerate()
        {
            db.write("readings", update.clone()).unwrap();
            written.push(update);
            if i % 2 == 1 {
                db.flush().unwrap();
            }
        }
        let expected = merge(&types, written.clone()).unwrap();
        let got = db
            .read_partition_in(ilion::DEFAULT_KEYSPACE, "readings", b"s1")
            .unwrap()
            .unwrap();
        assert_eq!(got, expected);
        // 150 readings, 51 deleted, 5 written again after the deletion.
        let rows = got
            .unfiltereds
            .iter()
            .filter(|u| matches!(u, Unfiltered::Row(_)))
            .count();
        assert_eq!(rows, 150 - 51 + 5);
        assert!(db
            .read_partition_in(ilion::DEFAULT_KEYSPACE, "readings", b"s2")
            .unwrap()
            .is_none());
    }
    let db = Db::open(dir.path(), Options::default()).unwrap();
    let got = db
        .read_partition_in(ilion::DEFAULT_KEYSPACE, "readings", b"s1")
        .unwrap()
        .unwrap();
    assert_eq!(got, merge(&types, written).unwrap());
    // An update that does not fit the schema is refused before anything
    // is written.
    let mut bad = readings(&db, b"s1", 0, 1);
    if let Unfiltered::Row(r) = &mut bad.unfiltereds[0] {
        r.clustering = vec![Some(vec![1, 2, 3])];
    }
    assert!(db.write("readings", bad).is_err());
}

#[test]
fn slices_read_only_their_rows_in_either_direction_with_limits() {
    use ilion::sstable::reader::Slice;
    use rand::{Rng, SeedableRng};
    let dir = tempfile::tempdir().unwrap();
    let types = schema().clustering_types();
    let db = Db::open(dir.path(), Options::default()).unwrap();
    db.create_table("readings", schema(), TableOptions::default())
        .unwrap();
    for (i, update) in [
        readings(&db, b"s1", 0, 300),
        delete_range(&db, b"s1", 100, 150),
        readings(&db, b"s1", 120, 10),
        readings(&db, b"s1", 250, 100),
        delete_range(&db, b"s1", 280, 290),
    ]
    .into_iter()
    .enumerate()
    {
        db.write("readings", update).unwrap();
        if i % 2 == 0 {
            db.flush().unwrap();
        }
    }
    let ks = ilion::DEFAULT_KEYSPACE;
    let full = db
        .read_partition_in(ks, "readings", b"s1")
        .unwrap()
        .unwrap();
    let row_values = |p: &Partition| -> Vec<i64> {
        p.unfiltereds
            .iter()
            .filter_map(|u| match u {
                Unfiltered::Row(r) => Some(i64::from_be_bytes(
                    r.clustering[0].clone().unwrap().try_into().unwrap(),
                )),
                Unfiltered::Marker(_) => None,
            })
            .collect()
    };
    let all_rows = row_values(&full);
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for _ in 0..200 {
        // Descending clustering: the slice starts at the larger value.
        let (a, b) = (rng.random_range(-10..360), rng.random_range(-10..360));
        let (high, low) = (a.max(b), a.min(b));
        let slice = Slice {
            start: Some(at(high)),
            end: Some(at(low)),
        };
        let whole = db
            .read_slice_in(ks, "readings", b"s1", &slice, false, usize::MAX)
            .unwrap()
            .unwrap();
        assert_eq!(
            whole.unfiltereds,
            ilion::sstable::slice::clip(&types, full.unfiltereds.clone(), None, &slice),
            "slice {high}..{low}"
        );
        let reverse = rng.random_bool(0.5);
        let limit = rng.random_range(0..20);
        let got = db
            .read_slice_in(ks, "readings", b"s1", &slice, reverse, limit)
            .unwrap()
            .unwrap();
        let mut want: Vec<i64> = all_rows
            .iter()
            .copied()
            .filter(|v| (low..=high).contains(v))
            .collect();
        if reverse {
            want.reverse();
        }
        want.truncate(limit);
        assert_eq!(
            row_values(&got),
            want,
            "slice {high}..{low} reverse {reverse} limit {limit}"
        );
        // Every range the result opens, it closes.
        let mut open = false;
        let mut in_order = got.unfiltereds.clone();
        if reverse {
            in_order.reverse();
        }
        for u in &in_order {
            if let Unfiltered::Marker(m) = u {
                if m.bound.kind.is_boundary() {
                    assert!(open);
                } else {
                    assert_eq!(open, !m.bound.kind.is_start(), "{:?}", got.unfiltereds);
                    open = m.bound.kind.is_start();
                }
            }
        }
        assert!(!open, "{:?}", got.unfiltereds);
    }
}

#[test]
fn reads_over_too_many_tombstones_fail() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), Options::default()).unwrap();
    let options = TableOptions {
        tombstone_warn_threshold: 5,
        tombstone_failure_threshold: 10,
        ..TableOptions::default()
    };
    db.create_table("readings", schema(), options).unwrap();
    db.write("readings", readings(&db, b"s1", 0, 30)).unwrap();
    let delete_row = |db: &Db, ms: i64| Partition {
        key: b"s1".to_vec(),
        deletion: DeletionTime::LIVE,
        static_row: None,
        unfiltereds: vec![Unfiltered::Row(Row {
            clustering: at(ms),
            liveness: None,
            deletion: Some(DeletionTime {
                marked_for_delete_at: db.timestamp(),
                local_deletion_time: 1_700_000_000,
            }),
            columns: Vec::new(),
        })],
    };
    let ks = ilion::DEFAULT_KEYSPACE;
    for ms in 0..10 {
        db.write("readings", delete_row(&db, ms)).unwrap();
    }
    // Ten row tombstones: past the warning, not the failure threshold.
    assert!(db
        .read_partition_in(ks, "readings", b"s1")
        .unwrap()
        .is_some());
    db.write("readings", delete_row(&db, 10)).unwrap();
    db.flush().unwrap();
    match db.read_partition_in(ks, "readings", b"s1") {
        Err(ilion::Error::TombstoneOverwhelming { tombstones, .. }) => assert_eq!(tombstones, 11),
        other => panic!("{other:?}"),
    }
    // A slice that avoids them reads fine.
    let slice = ilion::sstable::reader::Slice {
        start: Some(at(29)),
        end: Some(at(20)),
    };
    let got = db
        .read_slice_in(ks, "readings", b"s1", &slice, false, usize::MAX)
        .unwrap()
        .unwrap();
    assert_eq!(got.unfiltereds.len(), 10);
}

#[test]
fn slices_skip_sstables_whose_clustering_range_they_miss() {
    use ilion::sstable::reader::Slice;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), Options::default()).unwrap();
    // SSTables that compaction leaves alone.
    let options = TableOptions {
        compaction: ilion::compaction::CompactionOptions {
            enabled: false,
            ..Default::default()
        },
        ..TableOptions::default()
    };
    db.create_table("readings", schema(), options).unwrap();
    // Three SSTables: readings 0..100, 100..200, 200..300.
    for from in [0, 100, 200] {
        db.write("readings", readings(&db, b"s1", from, 100))
            .unwrap();
        db.flush().unwrap();
    }
    let ks = ilion::DEFAULT_KEYSPACE;
    let read = |high: i64, low: i64| {
        let before = db.table_stats("readings").unwrap().sstables_read;
        let slice = Slice {
            start: Some(at(high)),
            end: Some(at(low)),
        };
        let p = db
            .read_slice_in(ks, "readings", b"s1", &slice, false, usize::MAX)
            .unwrap()
            .unwrap();
        let consulted = db.table_stats("readings").unwrap().sstables_read - before;
        (p.unfiltereds.len(), consulted)
    };
    // Within one SSTable's range: only that one is read.
    assert_eq!(read(259, 250), (10, 1));
    // Across two.
    assert_eq!(read(205, 195), (11, 2));
    // A partition deletion in a fourth SSTable: it has no rows, but no
    // slice may skip it.
    db.write(
        "readings",
        Partition {
            key: b"s1".to_vec(),
            deletion: DeletionTime {
                marked_for_delete_at: db.timestamp(),
                local_deletion_time: 1_700_000_000,
            },
            static_row: None,
            unfiltereds: Vec::new(),
        },
    )
    .unwrap();
    db.flush().unwrap();
    assert_eq!(read(259, 250), (0, 2));
}
