//! Wide partitions read whole and sliced: row indexes, slices that start
//! or end inside a range tombstone, slices that skip blocks. Expected
//! contents: the CQL (Python) comments and assertions of scylladb's
//! test/boost/sstable_3_x_test.cc, one test each (named in each test's
//! doc). Scylla's slices take exclusive bounds too; Ilion's `Slice` has
//! inclusive ones only, so each is written as the inclusive slice
//! selecting the same rows (over int clusterings `< 105` is `<= 104`, and
//! `< (13417)` on a prefix is `<= (13416)`). Where a range tombstone is
//! cut at such an edge, the cut is at the inclusive bound.

use crate::common::*;
use ilion_sstable::clustering::{ClusteringBound, ClusteringValue, PrefixKind};
use ilion_sstable::index::IndexReader;
use ilion_sstable::reader::{Slice, SstableReader};
use ilion_sstable::rows::{ColumnData, Partition, Unfiltered};

fn ck(values: &[i32]) -> Vec<ClusteringValue> {
    values.iter().map(|v| Some(int(*v))).collect()
}

fn range(start: &[i32], end: &[i32]) -> Slice {
    Slice {
        start: Some(ck(start)),
        end: Some(ck(end)),
    }
}

/// What a test expects at one position of a partition.
#[derive(Debug, Clone)]
enum Expect {
    /// A row with this int clustering and `rc` (or `val`) value.
    Row(Vec<i32>, i32),
    /// A range tombstone opening at this bound.
    Open(PrefixKind, Vec<i32>),
    /// A range tombstone closing at this bound.
    Close(PrefixKind, Vec<i32>),
}

/// Checks `items` against `expected`: rows written at `row_ts` with their
/// one int value in column `column`, range tombstones deleted at `rt_ts`,
/// each closed with the deletion it opened with.
fn check_items(items: &[Unfiltered], expected: &[Expect], column: usize, row_ts: i64, rt_ts: i64) {
    let describe = |i: usize| format!("item {i}: {:?}", items.get(i));
    let mut open = None;
    for (i, (item, want)) in items.iter().zip(expected).enumerate() {
        match (item, want) {
            (Unfiltered::Row(row), Expect::Row(clustering, value)) => {
                assert_eq!(row.clustering, ck(clustering), "{}", describe(i));
                assert_eq!(row.liveness.map(|l| l.timestamp), Some(row_ts));
                let [ColumnData::Simple { column: c, cell }] = &row.columns[..] else {
                    panic!("{}", describe(i));
                };
                assert_eq!(
                    (*c, &cell.value, cell.timestamp),
                    (column, &int(*value), row_ts)
                );
            }
            (Unfiltered::Marker(m), Expect::Open(kind, values)) => {
                assert_eq!(m.bound, bound(*kind, values), "{}", describe(i));
                assert_eq!(m.end_deletion, None, "{}", describe(i));
                let d = m.start_deletion.unwrap();
                assert_eq!(d.marked_for_delete_at, rt_ts, "{}", describe(i));
                open = Some(d);
            }
            (Unfiltered::Marker(m), Expect::Close(kind, values)) => {
                assert_eq!(m.bound, bound(*kind, values), "{}", describe(i));
                assert_eq!(m.start_deletion, None, "{}", describe(i));
                assert_eq!(m.end_deletion, open.take(), "{}", describe(i));
            }
            _ => panic!("{} where {want:?} was expected", describe(i)),
        }
    }
    assert_eq!(items.len(), expected.len());
}

fn bound(kind: PrefixKind, values: &[i32]) -> ClusteringBound {
    ClusteringBound {
        kind,
        values: ck(values),
    }
}

/// `slice` of `key`, forwards and reversed (the same items, last first).
fn sliced(r: &SstableReader, key: &[u8], slice: &Slice) -> Partition {
    let forwards = r.slice(key, slice, false).unwrap().unwrap();
    let mut backwards = r.slice(key, slice, true).unwrap().unwrap();
    backwards.unfiltereds.reverse();
    assert_eq!(backwards, forwards, "reversed slice {slice:?}");
    forwards
}

/// The int values of rows in `items`, clustering first then value.
fn int_rows(items: &[Unfiltered]) -> Vec<(Vec<ClusteringValue>, Vec<u8>)> {
    items
        .iter()
        .map(|u| match u {
            Unfiltered::Row(row) => match &row.columns[..] {
                [ColumnData::Simple { cell, .. }] => (row.clustering.clone(), cell.value.clone()),
                other => panic!("{other:?}"),
            },
            Unfiltered::Marker(m) => panic!("unexpected marker {m:?}"),
        })
        .collect()
}

/// `test_uncompressed_filtering_and_forwarding_read`: static `s` = 1 for
/// key 1 only, rows 101..=110 with `val` = 900 + ck in keys 1 and 2.
#[test]
fn filtering_and_forwarding() {
    let Some(r) = open("uncompressed/filtering_and_forwarding") else {
        return;
    };
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 2);
    let rows_of = |cks: &[i32]| -> Vec<(Vec<ClusteringValue>, Vec<u8>)> {
        cks.iter().map(|c| (ck(&[*c]), int(900 + c))).collect()
    };
    let all: Vec<i32> = (101..=110).collect();
    for (p, k) in scanned.iter().zip([1, 2]) {
        assert_eq!(p.key, int(k));
        assert_eq!(int_rows(&p.unfiltereds), rows_of(&all));
        for row in rows(p) {
            assert_inserted(row);
        }
        match k {
            1 => {
                let s = p.static_row.as_ref().unwrap();
                assert_eq!(live_values(&r, s, true), named(&[("s", int(1))]));
            }
            _ => assert!(p.static_row.as_ref().is_none_or(|s| s.is_empty())),
        }
    }
    check_lookups(&r, &scanned, &absent_ints());
    // The scylla test's filtering read ([102, 104) and (106, 108]), its
    // forwarding windows ([102, 105), [107, 109); [103, 104), [106,
    // 111)), and the two combined, per key.
    let cases: [(i32, [i32; 2], &[i32]); 10] = [
        (1, [102, 103], &[102, 103]),
        (1, [107, 108], &[107, 108]),
        (1, [102, 104], &[102, 103, 104]),
        (1, [107, 108], &[107, 108]),
        (2, [103, 103], &[103]),
        (2, [106, 110], &[106, 107, 108, 109, 110]),
        (2, [102, 103], &[102, 103]),
        (2, [107, 108], &[107, 108]),
        (1, [109, 110], &[109, 110]),
        (2, [111, 120], &[]),
    ];
    for (k, [from, to], expected) in cases {
        let p = sliced(&r, &int(k), &range(&[from], &[to]));
        assert_eq!(
            int_rows(&p.unfiltereds),
            rows_of(expected),
            "key {k} [{from}, {to}]"
        );
        assert_eq!(p.static_row, scanned[k as usize - 1].static_row);
    }
    r.verify().unwrap();
}

/// `test_uncompressed_read_two_rows_fast_forwarding`: rows 7 and 8 (`rc`
/// 7, 8) of key 0; forwarding to [2, 3) and [4, 5) finds nothing, to [6,
/// 9) both rows.
#[test]
fn read_two_rows_fast_forwarding() {
    let Some(r) = open("uncompressed/read_two_rows_fast_forwarding") else {
        return;
    };
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 1);
    let key = int(0);
    assert_eq!(scanned[0].key, key);
    let both = vec![(ck(&[7]), int(7)), (ck(&[8]), int(8))];
    assert_eq!(int_rows(&scanned[0].unfiltereds), both);
    for ([from, to], expected) in [([2, 2], vec![]), ([4, 4], vec![]), ([6, 8], both)] {
        let p = sliced(&r, &key, &range(&[from], &[to]));
        assert_eq!(int_rows(&p.unfiltereds), expected);
    }
    check_lookups(&r, &scanned, &absent_ints());
    r.verify().unwrap();
}

/// `test_uncompressed_skip_using_index_rows`: keys 1 and 2 with static
/// `st` 777 and 999 (timestamps 1525385507816568 and ...578), rows 0..1024
/// with `rc` = 1024 × 'b' followed by the row number; each partition's
/// row index has the 17 blocks the scylla test lists.
#[test]
fn skip_using_index_rows() {
    let Some(r) = open("uncompressed/skip_using_index_rows") else {
        return;
    };
    let rc = |i: i32| format!("{}{i}", "b".repeat(1024)).into_bytes();
    let expected_rows = |cks: std::ops::Range<i32>| -> Vec<(Vec<ClusteringValue>, Vec<u8>)> {
        cks.map(|c| (ck(&[c]), rc(c))).collect()
    };
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 2);
    for (p, (k, st, ts)) in scanned.iter().zip([
        (1, 777, 1_525_385_507_816_568),
        (2, 999, 1_525_385_507_816_578),
    ]) {
        assert_eq!(p.key, int(k));
        let s = p.static_row.as_ref().unwrap();
        assert_eq!(live_values(&r, s, true), named(&[("st", int(st))]));
        assert_eq!(int_rows(&p.unfiltereds), expected_rows(0..1024));
        for row in rows(p) {
            assert_inserted(row);
            assert_eq!(row.liveness.unwrap().timestamp, ts);
        }
    }
    check_lookups(&r, &scanned, &absent_ints());

    // The row index: 17 blocks per partition, bounds as the scylla test
    // lists them.
    let index_path = data_path("uncompressed/skip_using_index_rows", 1)
        .unwrap()
        .with_file_name("mc-1-big-Index.db");
    let index = std::fs::read(&index_path).unwrap();
    let types = r.statistics().header.clustering_types.clone();
    let mut entries = IndexReader::new(&index, r.version(), &types, &index_path);
    let firsts = [
        0, 64, 127, 190, 253, 316, 379, 442, 505, 568, 631, 694, 757, 820, 883, 946, 1009,
    ];
    for _ in 0..2 {
        let entry = entries.next_entry().unwrap().unwrap();
        let blocks = entry.row_index.unwrap().blocks;
        let bounds: Vec<(ClusteringBound, ClusteringBound)> = blocks
            .iter()
            .map(|b| (b.first.clone(), b.last.clone()))
            .collect();
        let expected: Vec<(ClusteringBound, ClusteringBound)> = firsts
            .iter()
            .zip(firsts.iter().skip(1).map(|f| f - 1).chain([1023]))
            .map(|(f, l)| {
                (
                    bound(PrefixKind::Clustering, &[*f]),
                    bound(PrefixKind::Clustering, &[l]),
                )
            })
            .collect();
        assert_eq!(bounds, expected);
    }
    assert!(entries.next_entry().unwrap().is_none());

    // The scylla test's filtering read ([70, 80), (1000, 1023]), its
    // forwarding windows and the two combined, on both keys.
    let cases: [([i32; 2], std::ops::Range<i32>); 9] = [
        ([70, 79], 70..80),
        ([1001, 1023], 1001..1024),
        ([316, 378], 316..379),
        ([442, 449], 442..450),
        ([1009, 1023], 1009..1024),
        ([210, 240], 210..241),
        ([1000, 1000], 1000..1001),
        ([1000, 1009], 1000..1010),
        ([1010, 1023], 1010..1024),
    ];
    for k in [1, 2] {
        for ([from, to], expected) in cases.clone() {
            let p = sliced(&r, &int(k), &range(&[from], &[to]));
            assert_eq!(int_rows(&p.unfiltereds), expected_rows(expected));
        }
    }
    r.verify().unwrap();
}

/// The expected items of `filtering_and_forwarding_range_tombstones`
/// between `start` and `end` row numbers: row (i, i) with `rc` = i and a
/// range tombstone over ck1 in [i + 1, i + 2], for i = 1, 4, 7, ...
fn ff_rt_items(start: i32, end: i32) -> Vec<Expect> {
    (start..end)
        .step_by(3)
        .flat_map(|i| {
            [
                Expect::Row(vec![i, i], i),
                Expect::Open(PrefixKind::InclStartBound, vec![i + 1]),
                Expect::Close(PrefixKind::InclEndBound, vec![i + 2]),
            ]
        })
        .collect()
}

/// `test_uncompressed_filtering_and_forwarding_range_tombstones_read`:
/// clustering (ck1, ck2); for i = 1, 4, ... < 131072 a row (i, i) with `rc`
/// = i and `DELETE ... ck1 >= i + 1 AND ck1 <= i + 2`, all at timestamp
/// 1525385507816568; static `st` 777 and 999 for keys 1 and 2. Then the
/// scylla test's seven filtering ranges, one slice each.
#[test]
fn filtering_and_forwarding_range_tombstones() {
    let Some(r) = open("uncompressed/filtering_and_forwarding_range_tombstones") else {
        return;
    };
    const TS: i64 = 1_525_385_507_816_568;
    let rc = regular(&r, "rc");
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 2);
    for (p, (k, st)) in scanned.iter().zip([(1, 777), (2, 999)]) {
        assert_eq!(p.key, int(k));
        let s = p.static_row.as_ref().unwrap();
        assert_eq!(live_values(&r, s, true), named(&[("st", int(st))]));
        check_items(&p.unfiltereds, &ff_rt_items(1, 1024 * 128), rc, TS, TS);
    }
    check_lookups(&r, &scanned, &absent_ints());

    use Expect::*;
    use PrefixKind::*;
    let mut first = ff_rt_items(4471, 4652);
    // [(4471, 4471), (4653, 4653)): the last tombstone cut at the end.
    first.pop();
    first.push(Close(InclEndBound, vec![4653, 4652]));
    let cases: Vec<(Slice, Vec<Expect>)> = vec![
        (range(&[4471, 4471], &[4653, 4652]), first),
        // [(13413, 13413), (13417)): starts inside [13412, 13413].
        (
            range(&[13413, 13413], &[13416]),
            vec![
                Open(InclStartBound, vec![13413, 13413]),
                Close(InclEndBound, vec![13413]),
                Row(vec![13414, 13414], 13414),
                Open(InclStartBound, vec![13415]),
                Close(InclEndBound, vec![13416]),
            ],
        ),
        // [(13417), (13420)).
        (
            range(&[13417], &[13419]),
            vec![
                Row(vec![13417, 13417], 13417),
                Open(InclStartBound, vec![13418]),
                Close(InclEndBound, vec![13419]),
            ],
        ),
        // [(13420), (13420, 13421)) and [(13423), (13423, 13424)).
        (
            range(&[13420], &[13420, 13420]),
            vec![Row(vec![13420, 13420], 13420)],
        ),
        (
            range(&[13423], &[13423, 13423]),
            vec![Row(vec![13423, 13423], 13423)],
        ),
        // [(13425), (13426)): inside [13424, 13425].
        (
            range(&[13425], &[13425]),
            vec![
                Open(InclStartBound, vec![13425]),
                Close(InclEndBound, vec![13425]),
            ],
        ),
        // [(13429, 13428), (13429, 13429)): between rows, nothing.
        (range(&[13429, 13428], &[13429, 13428]), vec![]),
    ];
    for k in [1, 2] {
        for (slice, expected) in &cases {
            let p = sliced(&r, &int(k), slice);
            check_items(&p.unfiltereds, expected, rc, TS, TS);
        }
    }
    r.verify().unwrap();
}

/// `test_uncompressed_slicing_interleaved_rows_and_rts_read`: static `st`
/// = 555; for i = 1, 6, 11, ... < 131072 `DELETE ... ck1 >= i AND ck1 <=
/// i + 4` at 1525385507816568, and a row (i + 3, i + 3) with `rc` = i + 3
/// at 1525385507816578 (newer, so inside its tombstone and kept).
#[test]
fn slicing_interleaved_rows_and_rts() {
    let Some(r) = open("uncompressed/slicing_interleaved_rows_and_rts") else {
        return;
    };
    const RT_TS: i64 = 1_525_385_507_816_568;
    const ROW_TS: i64 = 1_525_385_507_816_578;
    let items = |start: i32, end: i32| -> Vec<Expect> {
        (start..end)
            .step_by(5)
            .flat_map(|i| {
                [
                    Expect::Open(PrefixKind::InclStartBound, vec![i]),
                    Expect::Row(vec![i + 3, i + 3], i + 3),
                    Expect::Close(PrefixKind::InclEndBound, vec![i + 4]),
                ]
            })
            .collect()
    };
    let rc = regular(&r, "rc");
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 1);
    let p = &scanned[0];
    assert_eq!(p.key, int(1));
    let s = p.static_row.as_ref().unwrap();
    assert_eq!(live_values(&r, s, true), named(&[("st", int(555))]));
    check_items(&p.unfiltereds, &items(1, 1024 * 128), rc, ROW_TS, RT_TS);
    check_lookups(&r, &scanned, &absent_ints());

    // The scylla test's slices [(7460, 7461), (7500, 7501)) and [(7470,
    // 7471), (7500, 7501)): each starts inside a tombstone ([7456, 7460],
    // [7466, 7470]) and ends inside [7496, 7500].
    use Expect::*;
    use PrefixKind::*;
    for from in [7460, 7470] {
        let mut expected = vec![
            Open(InclStartBound, vec![from, from + 1]),
            Close(InclEndBound, vec![from]),
        ];
        expected.extend(items(from + 1, 7501));
        expected.pop();
        expected.push(Close(InclEndBound, vec![7500, 7500]));
        let p = sliced(&r, &int(1), &range(&[from, from + 1], &[7500, 7500]));
        check_items(&p.unfiltereds, &expected, rc, ROW_TS, RT_TS);
        assert_eq!(p.static_row.as_ref(), Some(s));
    }
    r.verify().unwrap();
}

/// The bound `a` × 1024 followed by `i`, as `read_range_tombstone_boundaries_index`
/// names its ck1 values.
fn a(i: usize) -> Vec<u8> {
    format!("{}{i}", "a".repeat(1024)).into_bytes()
}

/// A marker as (kind, ck1, timestamp it closes, timestamp it opens).
type MarkerTimestamps = (PrefixKind, Vec<u8>, Option<i64>, Option<i64>);

/// `read_range_tombstone_boundaries_index`'s deletions: for i in 0..1024,
/// `DELETE ... WHERE pk = 'key1' AND ck1 > a(i) AND ck1 <= a(i + 1)` at
/// timestamp 1525385507816568 + i. The ck1 values sort as text, so these
/// ranges overlap (a(1) < a(10) < a(100) < a(2)): what Cassandra stores is
/// their union, each stretch under the newest deletion covering it.
struct Deletions {
    ranges: Vec<(Vec<u8>, Vec<u8>, i64)>,
}

impl Deletions {
    fn new() -> Deletions {
        let ranges = (0..1024)
            .map(|i| (a(i), a(i + 1), 1_525_385_507_816_568 + i as i64))
            .collect();
        Deletions { ranges }
    }

    /// The deletion timestamp of rows whose ck1 is `point`.
    fn at(&self, point: &[u8]) -> Option<i64> {
        self.ranges
            .iter()
            .filter(|(lo, hi, _)| lo.as_slice() < point && point <= hi.as_slice())
            .map(|r| r.2)
            .max()
    }

    /// The deletion timestamp of the open stretch between endpoints `after`
    /// and `before` (`None`: unbounded on that side).
    fn between(&self, after: Option<&[u8]>, before: Option<&[u8]>) -> Option<i64> {
        let (Some(after), Some(before)) = (after, before) else {
            return None;
        };
        self.ranges
            .iter()
            .filter(|(lo, hi, _)| lo.as_slice() <= after && before <= hi.as_slice())
            .map(|r| r.2)
            .max()
    }

    /// The markers of the union: (kind, ck1, closed timestamp, opened
    /// timestamp), as Cassandra writes bounds and boundaries.
    fn markers(&self) -> Vec<MarkerTimestamps> {
        let mut points: Vec<Vec<u8>> = (0..=1024).map(a).collect();
        points.sort();
        let mut out = Vec::new();
        let mut push = |before: Option<i64>, after: Option<i64>, point: &[u8], at_start: bool| {
            use PrefixKind::*;
            let kind = match (before, after, at_start) {
                (None, Some(_), true) => InclStartBound,
                (Some(_), None, true) => ExclEndBound,
                (Some(_), Some(_), true) => ExclEndInclStartBoundary,
                (None, Some(_), false) => ExclStartBound,
                (Some(_), None, false) => InclEndBound,
                (Some(_), Some(_), false) => InclEndExclStartBoundary,
                (None, None, _) => return,
            };
            out.push((kind, point.to_vec(), before, after));
        };
        for (i, p) in points.iter().enumerate() {
            let prev = i.checked_sub(1).map(|j| points[j].as_slice());
            let stretch = self.between(prev, Some(p));
            let here = self.at(p);
            if stretch != here {
                push(stretch, here, p, true);
            }
            let next = self.between(Some(p), points.get(i + 1).map(Vec::as_slice));
            if here != next {
                push(here, next, p, false);
            }
        }
        out
    }
}

fn is_boundary(kind: PrefixKind) -> bool {
    matches!(
        kind,
        PrefixKind::ExclEndInclStartBoundary | PrefixKind::InclEndExclStartBoundary
    )
}

/// The deletion timestamp `items` (markers in clustering order) apply to
/// a row whose clustering is `row`.
fn deletion_at(types: &[String], items: &[Unfiltered], row: &[ClusteringValue]) -> Option<i64> {
    let row = ClusteringBound {
        kind: PrefixKind::Clustering,
        values: row.to_vec(),
    };
    let mut open = None;
    for item in items {
        let Unfiltered::Marker(m) = item else {
            panic!("unexpected row {item:?}");
        };
        if ilion_sstable::clustering::compare_prefixes(types, &m.bound, &row).is_gt() {
            break;
        }
        open = m.start_deletion.map(|d| d.marked_for_delete_at);
    }
    open
}

/// `test_read_range_tombstone_boundaries_index` (scylla checks only that
/// the row index's positions grow): one partition 'key1' of 1024
/// overlapping range deletions, its row index over markers alone. The
/// scan must hold exactly the union's bounds and boundaries; slices
/// (starting and ending in the middle of index blocks) must give every
/// row position the deletion the union gives it.
#[test]
fn read_range_tombstone_boundaries_index() {
    let Some(r) = open("uncompressed/read_range_tombstone_boundaries_index") else {
        return;
    };
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 1);
    let p = &scanned[0];
    assert_eq!(p.key, b"key1");
    let deletions = Deletions::new();
    let got: Vec<MarkerTimestamps> = p
        .unfiltereds
        .iter()
        .map(|u| match u {
            Unfiltered::Marker(m) => {
                let [Some(ck1)] = &m.bound.values[..] else {
                    panic!("{m:?}");
                };
                let ts = |d: Option<ilion_sstable::reconcile::DeletionTime>| {
                    d.map(|d| d.marked_for_delete_at)
                };
                (
                    m.bound.kind,
                    ck1.clone(),
                    ts(m.end_deletion),
                    ts(m.start_deletion),
                )
            }
            Unfiltered::Row(row) => panic!("unexpected row {row:?}"),
        })
        .collect();
    // Cassandra splits a range where an older one ended even when the
    // newer deletion goes on past it: boundaries that close and reopen the
    // same deletion. They change nothing; the rest is the union.
    let (redundant, got): (Vec<_>, Vec<_>) = got
        .into_iter()
        .partition(|(kind, _, end, start)| is_boundary(*kind) && end == start);
    assert_eq!(redundant.len(), 97);
    let expected = deletions.markers();
    assert_eq!(got, expected);
    check_lookups(&r, &scanned, &[b"key2".to_vec()]);

    let types = r.statistics().header.clustering_types.clone();
    let mut samples: Vec<Vec<u8>> = Vec::new();
    for i in 0..=1024 {
        samples.push(a(i));
        let mut after = a(i);
        after.push(0);
        samples.push(after);
    }
    samples.push("a".repeat(1024).into_bytes());
    samples.sort();
    for (from, to) in [
        (0, 1024),
        (5, 6),
        (100, 500),
        (1000, 1023),
        (377, 378),
        (9, 90),
    ] {
        let (start, end) = (a(from).min(a(to)), a(from).max(a(to)));
        let slice = Slice {
            start: Some(vec![Some(start.clone())]),
            end: Some(vec![Some(end.clone())]),
        };
        let got = sliced(&r, b"key1", &slice);
        for point in samples.iter().filter(|s| **s >= start && **s <= end) {
            let row = vec![Some(point.clone()), Some(b"x".to_vec())];
            assert_eq!(
                deletion_at(&types, &got.unfiltereds, &row),
                deletions.at(point),
                "slice [a({from}), a({to})] at {:?}",
                String::from_utf8_lossy(&point[1024..])
            );
        }
    }
    r.verify().unwrap();
}
