//! The memtable under concurrent writers: whatever the interleaving, every
//! partition ends as the merge of all its updates (the merge is
//! order-independent), reads see that, the flush writes it in partitioner
//! order, and the SSTable reads back the same.

#![allow(clippy::unwrap_used)]

use ilion::flush::{flush, FlushTarget};
use ilion::memtable::Memtable;
use ilion::sstable::clustering::{ClusteringBound, PrefixKind};
use ilion::sstable::merge::merge;
use ilion::sstable::partitioner::Partitioner;
use ilion::sstable::reader::SstableReader;
use ilion::sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion::sstable::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};
use ilion::sstable::schema::{ClusteringOrder, Column, TableSchema};
use ilion::TableOptions;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::Arc;

fn schema() -> TableSchema {
    let t = |n: &str| format!("org.apache.cassandra.db.marshal.{n}");
    TableSchema::new(
        vec![Column::new("k", t("BytesType"))],
        vec![(Column::new("c", t("Int32Type")), ClusteringOrder::Asc)],
        Vec::new(),
        vec![Column::new("v", t("UTF8Type"))],
    )
    .unwrap()
}

fn ck(c: i32) -> Vec<Option<Vec<u8>>> {
    vec![Some(c.to_be_bytes().to_vec())]
}

/// One write: some rows of a partition, sometimes a range or partition
/// deletion.
fn update(rng: &mut StdRng, key: &[u8]) -> Partition {
    let ts = rng.random_range(1..1000);
    let mut unfiltereds = Vec::new();
    let deletion = DeletionTime {
        marked_for_delete_at: ts,
        local_deletion_time: 1_700_000_000,
    };
    let (a, b) = if rng.random_bool(0.2) {
        let a = rng.random_range(0..10);
        (a, rng.random_range(a..10))
    } else {
        (100, 100)
    };
    let mut rows: Vec<i32> = (0..rng.random_range(0..4))
        .map(|_| rng.random_range(0..10))
        .collect();
    rows.sort();
    rows.dedup();
    let marker = |kind, c, end, start| {
        Unfiltered::Marker(Marker {
            bound: ClusteringBound {
                kind,
                values: ck(c),
            },
            end_deletion: end,
            start_deletion: start,
        })
    };
    let mut opened = false;
    for c in 0..10 {
        if c == a {
            unfiltereds.push(marker(PrefixKind::InclStartBound, c, None, Some(deletion)));
            opened = true;
        }
        if rows.contains(&c) {
            let value = format!("{c}@{ts}").into_bytes();
            unfiltereds.push(Unfiltered::Row(Row {
                clustering: ck(c),
                liveness: Some(LivenessInfo {
                    timestamp: ts,
                    expiry: None,
                }),
                deletion: None,
                columns: vec![ColumnData::Simple {
                    column: 0,
                    cell: Cell {
                        timestamp: ts,
                        kind: if rng.random_bool(0.1) {
                            CellKind::Tombstone {
                                local_deletion_time: 1_700_000_000,
                            }
                        } else {
                            CellKind::Live
                        },
                        path: None,
                        value,
                    },
                }],
            }));
        }
        if c == b && opened {
            unfiltereds.push(marker(PrefixKind::InclEndBound, c, Some(deletion), None));
        }
    }
    // Tombstone cells carry no value.
    for u in &mut unfiltereds {
        if let Unfiltered::Row(r) = u {
            for d in &mut r.columns {
                if let ColumnData::Simple { cell, .. } = d {
                    if matches!(cell.kind, CellKind::Tombstone { .. }) {
                        cell.value.clear();
                    }
                }
            }
        }
    }
    Partition {
        key: key.to_vec(),
        deletion: if rng.random_bool(0.03) {
            deletion
        } else {
            DeletionTime::LIVE
        },
        static_row: None,
        unfiltereds,
    }
}

/// Generation 1 in `directory`, no commitlog interval.
fn target<'a>(
    directory: &'a std::path::Path,
    schema: &'a TableSchema,
    options: &'a TableOptions,
    host_id: [u8; 16],
) -> FlushTarget<'a> {
    FlushTarget {
        fs: Arc::new(ilion::vfs::RealFs),
        directory,
        generation: 1,
        schema,
        options,
        host_id,
        commit_log: None,
    }
}

#[test]
fn concurrent_updates_end_as_their_merge_and_flush_as_written() {
    let schema = schema();
    let types = schema.clustering_types();
    for partitioner in [Partitioner::Murmur3, Partitioner::ByteOrdered] {
        let memtable = Arc::new(Memtable::new(partitioner, types.clone()));
        let keys: Vec<Vec<u8>> = (0..40u32).map(|i| format!("key{i}").into_bytes()).collect();
        let mut all: BTreeMap<Vec<u8>, Vec<Partition>> = BTreeMap::new();
        let mut per_thread: Vec<Vec<Partition>> = vec![Vec::new(); 4];
        let mut rng = StdRng::seed_from_u64(9);
        for i in 0..4000 {
            let key = &keys[rng.random_range(0..keys.len())];
            let u = update(&mut rng, key);
            all.entry(key.clone()).or_default().push(u.clone());
            per_thread[i % 4].push(u);
        }
        std::thread::scope(|s| {
            for updates in per_thread {
                let memtable = memtable.clone();
                s.spawn(move || {
                    for u in updates {
                        memtable.apply(u).unwrap();
                    }
                });
            }
        });
        let model: BTreeMap<Vec<u8>, Partition> = all
            .into_iter()
            .map(|(k, updates)| (k, merge(&types, updates).unwrap()))
            .collect();
        for (key, expected) in &model {
            assert_eq!(memtable.get(key).as_ref(), Some(expected));
        }
        assert!(memtable.get(b"absent").is_none());
        assert!(memtable.size_bytes() > 0);
        let mut ordered: Vec<&Partition> = model.values().collect();
        ordered.sort_by(|a, b| partitioner.compare(&a.key, &b.key));
        let flushed: Vec<Partition> = memtable.partitions().collect();
        assert_eq!(flushed.iter().collect::<Vec<_>>(), ordered);

        let dir = tempfile::tempdir().unwrap();
        let options = TableOptions {
            partitioner,
            chunk_length: 1024,
            ..TableOptions::default()
        };
        let data = flush(&memtable, &target(dir.path(), &schema, &options, [7; 16]))
            .unwrap()
            .unwrap();
        let reader = SstableReader::open(&data).unwrap();
        assert_eq!(reader.scan().unwrap().iter().collect::<Vec<_>>(), ordered);
        assert_eq!(reader.statistics().stats.originating_host_id, Some([7; 16]));
        for p in &ordered {
            assert_eq!(reader.get(&p.key).unwrap().as_ref(), Some(*p));
        }
    }
}

#[test]
fn an_empty_memtable_flushes_nothing() {
    let schema = schema();
    let memtable = Memtable::new(Partitioner::Murmur3, schema.clustering_types());
    let dir = tempfile::tempdir().unwrap();
    let options = TableOptions::default();
    let written = flush(&memtable, &target(dir.path(), &schema, &options, [0; 16])).unwrap();
    assert!(written.is_none());
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}
