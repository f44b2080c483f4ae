//! Merging versions of a partition against a brute-force model: for every
//! clustering and column, the merged partition holds exactly the cell that
//! wins among all versions, unless some deletion in any version (partition,
//! range or row) shadows it; range deletions combine to the one that
//! supersedes; the result is the same in any order of the versions, merging
//! it again changes nothing, and the writer accepts it.

#![allow(clippy::unwrap_used)]

use ilion_sstable::clustering::{compare_prefixes, ClusteringBound, PrefixKind};
use ilion_sstable::data_writer::DataWriter;
use ilion_sstable::merge::{merge, merge_into, normalize};
use ilion_sstable::reconcile::{
    compare_versions, CellKind, CellVersion, DeletionTime, LivenessInfo,
};
use ilion_sstable::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};
use ilion_sstable::schema::{ClusteringOrder, Column, TableSchema};
use ilion_sstable::version::Version;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cmp::Ordering;

const CLUSTERINGS: i32 = 12;
const COLUMNS: usize = 2;

fn schema() -> TableSchema {
    let t = |n: &str| format!("org.apache.cassandra.db.marshal.{n}");
    TableSchema::new(
        vec![Column::new("k", t("BytesType"))],
        vec![(Column::new("c", t("Int32Type")), ClusteringOrder::Asc)],
        Vec::new(),
        vec![
            Column::new("v0", t("UTF8Type")),
            Column::new("v1", t("UTF8Type")),
        ],
    )
    .unwrap()
}

fn ck(c: i32) -> Vec<Option<Vec<u8>>> {
    vec![Some(c.to_be_bytes().to_vec())]
}

/// Small timestamps so that ties happen.
fn ts(rng: &mut StdRng) -> i64 {
    rng.random_range(1..8)
}

fn deletion(rng: &mut StdRng) -> DeletionTime {
    DeletionTime {
        marked_for_delete_at: ts(rng),
        local_deletion_time: rng.random_range(100..103),
    }
}

/// A range tombstone of one version: inclusive/exclusive ends.
#[derive(Debug, Clone, Copy)]
struct RangeSpec {
    from: i32,
    from_inclusive: bool,
    to: i32,
    to_inclusive: bool,
    deletion: DeletionTime,
}

impl RangeSpec {
    fn covers(&self, c: i32) -> bool {
        let after = if self.from_inclusive {
            c >= self.from
        } else {
            c > self.from
        };
        let before = if self.to_inclusive {
            c <= self.to
        } else {
            c < self.to
        };
        after && before
    }
}

fn version(rng: &mut StdRng, types: &[String]) -> (Partition, Vec<RangeSpec>) {
    let mut items: Vec<Unfiltered> = Vec::new();
    let mut specs = Vec::new();
    // Up to two ranges, in disjoint halves.
    for (lo, hi) in [(0, 5), (6, CLUSTERINGS - 1)] {
        if rng.random_bool(0.4) {
            let a = rng.random_range(lo..=hi);
            let b = rng.random_range(a..=hi);
            let spec = RangeSpec {
                from: a,
                from_inclusive: a == b || rng.random_bool(0.6),
                to: b,
                to_inclusive: a == b || rng.random_bool(0.6),
                deletion: deletion(rng),
            };
            let bound = |kind, c| ClusteringBound {
                kind,
                values: ck(c),
            };
            items.push(Unfiltered::Marker(Marker {
                bound: bound(
                    if spec.from_inclusive {
                        PrefixKind::InclStartBound
                    } else {
                        PrefixKind::ExclStartBound
                    },
                    a,
                ),
                end_deletion: None,
                start_deletion: Some(spec.deletion),
            }));
            items.push(Unfiltered::Marker(Marker {
                bound: bound(
                    if spec.to_inclusive {
                        PrefixKind::InclEndBound
                    } else {
                        PrefixKind::ExclEndBound
                    },
                    b,
                ),
                end_deletion: Some(spec.deletion),
                start_deletion: None,
            }));
            specs.push(spec);
        }
    }
    for c in 0..CLUSTERINGS {
        if !rng.random_bool(0.5) {
            continue;
        }
        let mut columns = Vec::new();
        for column in 0..COLUMNS {
            if rng.random_bool(0.6) {
                let kind = match rng.random_range(0..6) {
                    0 => CellKind::Tombstone {
                        local_deletion_time: rng.random_range(100..103),
                    },
                    1 => CellKind::Expiring {
                        ttl: 10,
                        local_expiration_time: rng.random_range(200..203),
                    },
                    _ => CellKind::Live,
                };
                let value = if matches!(kind, CellKind::Tombstone { .. }) {
                    Vec::new()
                } else {
                    vec![b'a' + rng.random_range(0..3)]
                };
                columns.push(ColumnData::Simple {
                    column,
                    cell: Cell {
                        timestamp: ts(rng),
                        kind,
                        path: None,
                        value,
                    },
                });
            }
        }
        let row = Row {
            clustering: ck(c),
            liveness: rng.random_bool(0.5).then(|| LivenessInfo {
                timestamp: ts(rng),
                expiry: None,
            }),
            deletion: rng.random_bool(0.15).then(|| deletion(rng)),
            columns,
        };
        if !row.is_empty() {
            items.push(Unfiltered::Row(row));
        }
    }
    let position = |u: &Unfiltered| match u {
        Unfiltered::Row(r) => ClusteringBound {
            kind: PrefixKind::Clustering,
            values: r.clustering.clone(),
        },
        Unfiltered::Marker(m) => m.bound.clone(),
    };
    items.sort_by(|a, b| compare_prefixes(types, &position(a), &position(b)));
    let partition = Partition {
        key: b"k".to_vec(),
        deletion: if rng.random_bool(0.15) {
            deletion(rng)
        } else {
            DeletionTime::LIVE
        },
        static_row: None,
        unfiltereds: items,
    };
    (partition, specs)
}

fn cell_version(c: &Cell) -> CellVersion<'_> {
    CellVersion {
        timestamp: c.timestamp,
        kind: c.kind,
        value: &c.value,
    }
}

fn later(a: Option<DeletionTime>, b: DeletionTime) -> Option<DeletionTime> {
    match a {
        Some(a) if !b.supersedes(&a) => Some(a),
        _ => Some(b),
    }
}

/// The range deletion the markers of `p` put over clustering `c`.
fn range_deletion_at(p: &Partition, types: &[String], c: i32) -> Option<DeletionTime> {
    let row = ClusteringBound {
        kind: PrefixKind::Clustering,
        values: ck(c),
    };
    let mut open: Option<DeletionTime> = None;
    for u in &p.unfiltereds {
        let Unfiltered::Marker(m) = u else { continue };
        if compare_prefixes(types, &m.bound, &row) == Ordering::Greater {
            break;
        }
        open = if m.bound.kind.is_start() {
            m.start_deletion
        } else {
            None
        };
    }
    open
}

fn check(seed: u64) {
    let types = schema().clustering_types();
    let mut rng = StdRng::seed_from_u64(seed);
    let n = rng.random_range(1..=4);
    let (versions, specs): (Vec<Partition>, Vec<Vec<RangeSpec>>) =
        (0..n).map(|_| version(&mut rng, &types)).unzip();
    let merged = merge(&types, versions.clone()).unwrap();

    let partition_deletion =
        versions
            .iter()
            .map(|v| v.deletion)
            .fold(
                DeletionTime::LIVE,
                |a, b| if b.supersedes(&a) { b } else { a },
            );
    assert_eq!(merged.deletion, partition_deletion, "seed {seed}");
    let rows_at = |c: i32| -> Vec<&Row> {
        versions
            .iter()
            .flat_map(|v| &v.unfiltereds)
            .filter_map(|u| match u {
                Unfiltered::Row(r) if r.clustering == ck(c) => Some(r),
                _ => None,
            })
            .collect()
    };
    let merged_row = |c: i32| -> Option<&Row> {
        merged.unfiltereds.iter().find_map(|u| match u {
            Unfiltered::Row(r) if r.clustering == ck(c) => Some(r),
            _ => None,
        })
    };
    for c in 0..CLUSTERINGS {
        // Range deletion over c: the one that supersedes, if it
        // supersedes the partition deletion.
        let mut range = None;
        for spec in specs.iter().flatten().filter(|s| s.covers(c)) {
            range = later(range, spec.deletion);
        }
        let range = range.filter(|r| r.supersedes(&partition_deletion));
        assert_eq!(
            range_deletion_at(&merged, &types, c),
            range,
            "seed {seed}: range at {c}"
        );
        let active = range.map_or(partition_deletion, |r| {
            later(Some(partition_deletion), r).unwrap()
        });
        let rows = rows_at(c);
        let mut row_deletion = None;
        for d in rows.iter().filter_map(|r| r.deletion) {
            row_deletion = later(row_deletion, d);
        }
        let row_deletion = row_deletion.filter(|d| d.supersedes(&active));
        let effective = row_deletion.map_or(active, |d| later(Some(active), d).unwrap());
        let got = merged_row(c);
        assert_eq!(
            got.and_then(|r| r.deletion),
            row_deletion,
            "seed {seed}: row deletion at {c}"
        );
        let liveness = rows
            .iter()
            .filter_map(|r| r.liveness)
            .reduce(|a, b| if b.supersedes(&a) { b } else { a })
            .filter(|l| !effective.deletes(l.timestamp));
        assert_eq!(
            got.and_then(|r| r.liveness),
            liveness,
            "seed {seed}: liveness at {c}"
        );
        for column in 0..COLUMNS {
            let winner = rows
                .iter()
                .flat_map(|r| &r.columns)
                .filter_map(|d| match d {
                    ColumnData::Simple { column: j, cell } if *j == column => Some(cell),
                    _ => None,
                })
                .reduce(|a, b| {
                    if compare_versions(&cell_version(b), &cell_version(a)) == Ordering::Greater {
                        b
                    } else {
                        a
                    }
                })
                .filter(|cell| !effective.deletes(cell.timestamp));
            let merged_cell = got.and_then(|r| {
                r.columns.iter().find_map(|d| match d {
                    ColumnData::Simple { column: j, cell } if *j == column => Some(cell),
                    _ => None,
                })
            });
            assert_eq!(merged_cell, winner, "seed {seed}: cell ({c}, {column})");
        }
    }

    // Any order, merged again, and writable.
    let mut reversed = versions.clone();
    reversed.reverse();
    assert_eq!(
        merge(&types, reversed).unwrap(),
        merged,
        "seed {seed}: order"
    );
    assert_eq!(
        merge(&types, vec![merged.clone()]).unwrap(),
        merged,
        "seed {seed}: idempotent"
    );
    // Merged one version at a time into a growing partition, starting
    // from nothing (as the memtable does): the same result.
    let mut folded = Partition {
        key: merged.key.clone(),
        deletion: DeletionTime::LIVE,
        static_row: None,
        unfiltereds: Vec::new(),
    };
    for version in versions.clone() {
        merge_into(&types, &mut folded, version).unwrap();
    }
    assert_eq!(folded, merged, "seed {seed}: merge_into");
    for version in &versions {
        assert_eq!(
            normalize(&types, version.clone()).unwrap(),
            merge(&types, vec![version.clone()]).unwrap(),
            "seed {seed}: normalize"
        );
    }
    let header = schema().serialization_header(0, 0, 0);
    DataWriter::new(&header, Version::OA)
        .check(&merged)
        .unwrap();
    schema().validate_partition(&merged).unwrap();
}

#[test]
fn merged_partitions_match_the_model() {
    let seeds: u64 = std::env::var("ILION_MERGE_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    for seed in 0..seeds {
        check(seed);
    }
}

#[test]
fn partitions_of_different_keys_are_not_merged() {
    let types = schema().clustering_types();
    let p = |k: &[u8]| Partition {
        key: k.to_vec(),
        deletion: DeletionTime::LIVE,
        static_row: None,
        unfiltereds: Vec::new(),
    };
    assert!(merge(&types, vec![p(b"a"), p(b"b")]).is_err());
    assert!(merge(&types, Vec::new()).is_err());
}

/// A lone version is returned as it is only when merging could not change
/// it: two rows of one clustering (a damaged or legacy file) or a row
/// deletion over older cells are still reconciled.
#[test]
fn a_lone_version_is_still_reconciled_when_it_needs_it() {
    let types = schema().clustering_types();
    let cell = |at: i64, value: &str| Cell {
        timestamp: at,
        kind: CellKind::Live,
        path: None,
        value: value.as_bytes().to_vec(),
    };
    let row = |at: i64, value: &str, deletion: Option<DeletionTime>| Row {
        clustering: ck(1),
        liveness: Some(LivenessInfo {
            timestamp: at,
            expiry: None,
        }),
        deletion,
        columns: vec![ColumnData::Simple {
            column: 0,
            cell: cell(at, value),
        }],
    };
    let partition = |unfiltereds: Vec<Unfiltered>| Partition {
        key: b"k".to_vec(),
        deletion: DeletionTime::LIVE,
        static_row: None,
        unfiltereds,
    };
    // Two rows of one clustering merge into the newer cell.
    let twice = partition(vec![
        Unfiltered::Row(row(1, "old", None)),
        Unfiltered::Row(row(2, "new", None)),
    ]);
    let merged = merge(&types, vec![twice]).unwrap();
    assert_eq!(merged.unfiltereds.len(), 1);
    let Unfiltered::Row(r) = &merged.unfiltereds[0] else {
        panic!("a marker")
    };
    assert_eq!(
        r.columns,
        vec![ColumnData::Simple {
            column: 0,
            cell: cell(2, "new")
        }]
    );
    // A row deletion newer than the row's cell removes the cell.
    let deleted = DeletionTime {
        marked_for_delete_at: 5,
        local_deletion_time: 100,
    };
    let shadowed = partition(vec![Unfiltered::Row(row(1, "gone", Some(deleted)))]);
    let merged = merge(&types, vec![shadowed]).unwrap();
    let Unfiltered::Row(r) = &merged.unfiltereds[0] else {
        panic!("a marker")
    };
    assert!(r.columns.is_empty() && r.liveness.is_none());
    // A settled lone version comes back unchanged.
    let settled = partition(vec![Unfiltered::Row(row(3, "kept", None))]);
    assert_eq!(merge(&types, vec![settled.clone()]).unwrap(), settled);
}
