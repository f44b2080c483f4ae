//! Wide rows against a model: random row writes (with and without TTLs,
//! some already expired), cell deletions, static cells, batches, row,
//! range and partition deletions, whole-partition and slice reads (both
//! directions, with limits), flushes, major and user-defined compactions
//! and reopens, under several option sets (small memtables flushing in the
//! background, tiny uncompressed chunks, both partitioners, descending
//! clustering), each under another compaction strategy scaled down so that
//! background compactions run all the time. Every read must show exactly
//! the live data the model computes.
//!
//! Write timestamps are drawn at random, so writes arrive out of timestamp
//! order, but are unique, so that the model needs no tie-breaking rule
//! (the SSTable crate's reconciliation tests cover ties). CI runs 50 seeds
//! of 10,000 operations; `ILION_WIDE_SEEDS` and `ILION_WIDE_OPS` run more.

#![allow(clippy::unwrap_used)]

use ilion::compaction::{
    CompactionOptions, LeveledOptions, SizeTieredOptions, Strategy, TimeWindowOptions,
    UnifiedOptions,
};
use ilion::sstable::clustering::{ClusteringBound, PrefixKind};
use ilion::sstable::partitioner::Partitioner;
use ilion::sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion::sstable::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};
use ilion::sstable::schema::{ClusteringOrder, Column, TableSchema};
use ilion::sstable::slice::Slice;
use ilion::sstable::version::Version;
use ilion::{Db, Options, TableOptions, DEFAULT_KEYSPACE};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::Path;

const PARTITIONS: usize = 6;
const CLUSTERINGS: i32 = 40;
/// Regular columns `a` and `b`; static column `s`.
const REGULAR: usize = 2;

/// The table; with a static column or without (slices may then skip
/// SSTables by their clustering range, which static data prevents).
fn schema(order: ClusteringOrder, statics: bool) -> TableSchema {
    let t = |n: &str| format!("org.apache.cassandra.db.marshal.{n}");
    let static_columns = if statics {
        vec![Column::new("s", t("UTF8Type"))]
    } else {
        Vec::new()
    };
    TableSchema::new(
        vec![Column::new("sensor", t("UTF8Type"))],
        vec![(Column::new("at", t("Int32Type")), order)],
        static_columns,
        vec![
            Column::new("a", t("UTF8Type")),
            Column::new("b", t("UTF8Type")),
        ],
    )
    .unwrap()
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// One cell as the model keeps it: its timestamp and value, `None` for a
/// deletion (a tombstone, or a TTL that has run out).
type ModelCell = (i64, Option<Vec<u8>>);

#[derive(Default, Clone)]
struct ModelRow {
    /// Row deletion timestamp (`i64::MIN`: none).
    deleted_at: i64,
    /// Primary-key liveness: timestamp, and whether it is still live.
    marker: Option<(i64, bool)>,
    cells: [Option<ModelCell>; REGULAR],
}

#[derive(Clone)]
struct ModelPartition {
    deleted_at: i64,
    /// `(low, high, timestamp)`, both ends inclusive, in clustering values.
    ranges: Vec<(i32, i32, i64)>,
    rows: BTreeMap<i32, ModelRow>,
    static_cell: Option<ModelCell>,
}

impl Default for ModelPartition {
    fn default() -> Self {
        ModelPartition {
            deleted_at: i64::MIN,
            ranges: Vec::new(),
            rows: BTreeMap::new(),
            static_cell: None,
        }
    }
}

/// What a read shows: the static value, then each live row's clustering
/// value, whether its primary-key liveness is live, and its live cells.
type Visible = (Option<Vec<u8>>, Vec<VisibleRow>);
type VisibleRow = (i32, bool, [Option<Vec<u8>>; REGULAR]);

fn newer(cell: &mut Option<ModelCell>, timestamp: i64, value: Option<Vec<u8>>) {
    if cell.as_ref().is_none_or(|(t, _)| *t < timestamp) {
        *cell = Some((timestamp, value));
    }
}

impl ModelPartition {
    fn visible(&self) -> Visible {
        let live = |cell: &Option<ModelCell>, shadow: i64| match cell {
            Some((t, Some(v))) if *t > shadow => Some(v.clone()),
            _ => None,
        };
        let static_value = live(&self.static_cell, self.deleted_at);
        let mut rows = Vec::new();
        for (&at, row) in &self.rows {
            let covering = self
                .ranges
                .iter()
                .filter(|(low, high, _)| (*low..=*high).contains(&at))
                .map(|r| r.2)
                .max()
                .unwrap_or(i64::MIN);
            let shadow = self.deleted_at.max(row.deleted_at).max(covering);
            let marker = matches!(row.marker, Some((t, true)) if t > shadow);
            let cells = [live(&row.cells[0], shadow), live(&row.cells[1], shadow)];
            if marker || cells.iter().any(Option::is_some) {
                rows.push((at, marker, cells));
            }
        }
        (static_value, rows)
    }
}

/// The live content of a partition as read, at `now`: shadowed data must
/// already be gone (the engine removes it); expired cells and liveness
/// are not live.
fn visible_of(p: &Partition, now: i64) -> Visible {
    let live = |cell: &Cell| match cell.kind {
        CellKind::Live => Some(cell.value.clone()),
        CellKind::Expiring {
            local_expiration_time,
            ..
        } if local_expiration_time > now => Some(cell.value.clone()),
        _ => None,
    };
    let static_value = p.static_row.as_ref().and_then(|r| {
        r.columns.iter().find_map(|c| match c {
            ColumnData::Simple { cell, .. } => live(cell),
            ColumnData::Complex { .. } => panic!("no complex columns"),
        })
    });
    let mut rows = Vec::new();
    for u in &p.unfiltereds {
        let Unfiltered::Row(r) = u else { continue };
        let at = i32::from_be_bytes(r.clustering[0].clone().unwrap().try_into().unwrap());
        let marker = r
            .liveness
            .is_some_and(|l| l.expiry.is_none_or(|(_, expires)| expires > now));
        let mut cells: [Option<Vec<u8>>; REGULAR] = [None, None];
        for c in &r.columns {
            let ColumnData::Simple { column, cell } = c else {
                panic!("no complex columns")
            };
            cells[*column] = live(cell);
        }
        if marker || cells.iter().any(Option::is_some) {
            rows.push((at, marker, cells));
        }
    }
    (static_value, rows)
}

struct Run {
    rng: StdRng,
    order: ClusteringOrder,
    statics: bool,
    model: Vec<ModelPartition>,
    op: u64,
    now: i64,
    /// The last timestamp given, when timestamps only increase.
    increasing: Option<i64>,
}

impl Run {
    /// A unique timestamp: out of order with the ones before it, or after
    /// all of them when the run's timestamps only increase.
    fn timestamp(&mut self) -> i64 {
        if let Some(last) = self.increasing.as_mut() {
            *last += 1;
            return *last;
        }
        self.rng.random_range(1..1_000_000i64) * 1_000_000 + self.op as i64
    }

    fn key(p: usize) -> Vec<u8> {
        format!("sensor-{p}").into_bytes()
    }

    fn clustering(at: i32) -> Vec<Option<Vec<u8>>> {
        vec![Some(at.to_be_bytes().to_vec())]
    }

    /// A cell kind: mostly live, some with a long TTL, a few with a TTL
    /// that ran out already (replayed old data looks like that).
    fn kind(&mut self) -> (CellKind, bool) {
        match self.rng.random_range(0..10) {
            0 => (
                CellKind::Expiring {
                    ttl: 60,
                    local_expiration_time: self.now - 30,
                },
                false,
            ),
            1 | 2 => (
                CellKind::Expiring {
                    ttl: 86_400,
                    local_expiration_time: self.now + 86_400,
                },
                true,
            ),
            _ => (CellKind::Live, true),
        }
    }

    /// A row write at a fresh timestamp: some cells (maybe a deletion of
    /// one), with primary-key liveness as an INSERT writes it, or not as an
    /// UPDATE.
    fn row_write(&mut self, p: usize, at: i32) -> Row {
        let timestamp = self.timestamp();
        let mut columns = Vec::new();
        let model_row = self.model[p].rows.entry(at).or_default().clone();
        let mut model_row = model_row;
        let liveness = if self.rng.random_bool(0.5) {
            let (kind, live) = self.kind();
            let expiry = match kind {
                CellKind::Expiring {
                    ttl,
                    local_expiration_time,
                } => Some((ttl, local_expiration_time)),
                _ => None,
            };
            if model_row.marker.is_none_or(|(t, _)| t < timestamp) {
                model_row.marker = Some((timestamp, live));
            }
            Some(LivenessInfo { timestamp, expiry })
        } else {
            None
        };
        for column in 0..REGULAR {
            if !self.rng.random_bool(0.7) {
                continue;
            }
            let (kind, live, value) = if self.rng.random_bool(0.1) {
                let kind = CellKind::Tombstone {
                    local_deletion_time: self.now,
                };
                (kind, false, Vec::new())
            } else {
                let (kind, live) = self.kind();
                (kind, live, format!("v{}-{column}", self.op).into_bytes())
            };
            newer(
                &mut model_row.cells[column],
                timestamp,
                live.then(|| value.clone()),
            );
            columns.push(ColumnData::Simple {
                column,
                cell: Cell {
                    timestamp,
                    kind,
                    path: None,
                    value,
                },
            });
        }
        if liveness.is_none() && columns.is_empty() {
            // An update with nothing in it: write one cell.
            let value = format!("v{}-a", self.op).into_bytes();
            newer(&mut model_row.cells[0], timestamp, Some(value.clone()));
            columns.push(ColumnData::Simple {
                column: 0,
                cell: Cell {
                    timestamp,
                    kind: CellKind::Live,
                    path: None,
                    value,
                },
            });
        }
        self.model[p].rows.insert(at, model_row);
        Row {
            clustering: Self::clustering(at),
            liveness,
            deletion: None,
            columns,
        }
    }

    fn deletion(&mut self) -> DeletionTime {
        DeletionTime {
            marked_for_delete_at: self.timestamp(),
            local_deletion_time: self.now,
        }
    }

    /// Rows in the table's clustering order.
    fn sort(&self, rows: &mut [Row]) {
        rows.sort_by_key(|r| {
            i32::from_be_bytes(r.clustering[0].clone().unwrap().try_into().unwrap())
        });
        if self.order == ClusteringOrder::Desc {
            rows.reverse();
        }
    }

    fn update(&mut self, p: usize) -> Partition {
        let key = Self::key(p);
        let empty = Partition {
            key,
            deletion: DeletionTime::LIVE,
            static_row: None,
            unfiltereds: Vec::new(),
        };
        let mut choice = self.rng.random_range(0..100);
        if !self.statics && (65..=69).contains(&choice) {
            choice = 0;
        }
        match choice {
            // One row.
            0..=49 => {
                let at = self.rng.random_range(0..CLUSTERINGS);
                let row = self.row_write(p, at);
                Partition {
                    unfiltereds: vec![Unfiltered::Row(row)],
                    ..empty
                }
            }
            // A batch: several rows of one partition, maybe a static cell,
            // applied as one mutation.
            50..=64 => {
                let mut ats: Vec<i32> = (0..self.rng.random_range(2..8))
                    .map(|_| self.rng.random_range(0..CLUSTERINGS))
                    .collect();
                ats.sort_unstable();
                ats.dedup();
                let mut rows: Vec<Row> = ats.into_iter().map(|at| self.row_write(p, at)).collect();
                self.sort(&mut rows);
                let static_row =
                    (self.statics && self.rng.random_bool(0.4)).then(|| self.static_write(p));
                Partition {
                    static_row,
                    unfiltereds: rows.into_iter().map(Unfiltered::Row).collect(),
                    ..empty
                }
            }
            65..=69 => Partition {
                static_row: Some(self.static_write(p)),
                ..empty
            },
            // A row deletion.
            70..=81 => {
                let at = self.rng.random_range(0..CLUSTERINGS);
                let deletion = self.deletion();
                let row = self.model[p].rows.entry(at).or_default();
                row.deleted_at = row.deleted_at.max(deletion.marked_for_delete_at);
                Partition {
                    unfiltereds: vec![Unfiltered::Row(Row {
                        clustering: Self::clustering(at),
                        liveness: None,
                        deletion: Some(deletion),
                        columns: Vec::new(),
                    })],
                    ..empty
                }
            }
            // A range deletion, each end inclusive or exclusive.
            82..=95 => {
                let (x, y) = (
                    self.rng.random_range(-2..CLUSTERINGS + 2),
                    self.rng.random_range(-2..CLUSTERINGS + 2),
                );
                let (mut low, mut high) = (x.min(y), x.max(y));
                let (low_inclusive, high_inclusive) =
                    (self.rng.random_bool(0.5), self.rng.random_bool(0.5));
                if low == high {
                    (low, high) = (low, low + 1);
                }
                let deletion = self.deletion();
                let model_low = if low_inclusive { low } else { low + 1 };
                let model_high = if high_inclusive { high } else { high - 1 };
                self.model[p]
                    .ranges
                    .push((model_low, model_high, deletion.marked_for_delete_at));
                // In descending order the range starts at its high end.
                let ((first, first_inclusive), (last, last_inclusive)) = match self.order {
                    ClusteringOrder::Asc => ((low, low_inclusive), (high, high_inclusive)),
                    ClusteringOrder::Desc => ((high, high_inclusive), (low, low_inclusive)),
                };
                let start = if first_inclusive {
                    PrefixKind::InclStartBound
                } else {
                    PrefixKind::ExclStartBound
                };
                let end = if last_inclusive {
                    PrefixKind::InclEndBound
                } else {
                    PrefixKind::ExclEndBound
                };
                Partition {
                    unfiltereds: vec![
                        Unfiltered::Marker(Marker {
                            bound: ClusteringBound {
                                kind: start,
                                values: Self::clustering(first),
                            },
                            end_deletion: None,
                            start_deletion: Some(deletion),
                        }),
                        Unfiltered::Marker(Marker {
                            bound: ClusteringBound {
                                kind: end,
                                values: Self::clustering(last),
                            },
                            end_deletion: Some(deletion),
                            start_deletion: None,
                        }),
                    ],
                    ..empty
                }
            }
            // A partition deletion.
            _ => {
                let deletion = self.deletion();
                let m = &mut self.model[p];
                m.deleted_at = m.deleted_at.max(deletion.marked_for_delete_at);
                Partition { deletion, ..empty }
            }
        }
    }

    fn static_write(&mut self, p: usize) -> Row {
        let timestamp = self.timestamp();
        let (kind, live) = self.kind();
        let value = format!("s{}", self.op).into_bytes();
        newer(
            &mut self.model[p].static_cell,
            timestamp,
            live.then(|| value.clone()),
        );
        Row {
            clustering: Vec::new(),
            liveness: None,
            deletion: None,
            columns: vec![ColumnData::Simple {
                column: 0,
                cell: Cell {
                    timestamp,
                    kind,
                    path: None,
                    value,
                },
            }],
        }
    }
}

fn open(path: &Path) -> Db {
    Db::open(path, Options::default()).unwrap()
}

fn check_partition(db: &Db, run: &Run, p: usize, context: &str) {
    let want = run.model[p].visible();
    let got = db
        .read_partition_in(DEFAULT_KEYSPACE, "t", &Run::key(p))
        .unwrap()
        .map(|got| visible_of(&got, now_seconds()))
        .unwrap_or_default();
    let mut want_in_order = want.clone();
    if run.order == ClusteringOrder::Desc {
        want_in_order.1.reverse();
    }
    assert_eq!(got, want_in_order, "{context}: partition {p}");
}

fn check_slice(db: &Db, run: &mut Run, p: usize, context: &str) {
    let (x, y) = (
        run.rng.random_range(-2..CLUSTERINGS + 2),
        run.rng.random_range(-2..CLUSTERINGS + 2),
    );
    let (low, high) = (x.min(y), x.max(y));
    let reverse = run.rng.random_bool(0.5);
    let limit = if run.rng.random_bool(0.3) {
        usize::MAX
    } else {
        run.rng.random_range(0..8)
    };
    let slice = match run.order {
        ClusteringOrder::Asc => Slice {
            start: Some(Run::clustering(low)),
            end: Some(Run::clustering(high)),
        },
        ClusteringOrder::Desc => Slice {
            start: Some(Run::clustering(high)),
            end: Some(Run::clustering(low)),
        },
    };
    let (_, mut want) = run.model[p].visible();
    want.retain(|(at, ..)| (low..=high).contains(at));
    // Reading order: the table's clustering order, or its reverse.
    if (run.order == ClusteringOrder::Desc) != reverse {
        want.reverse();
    }
    want.truncate(limit);
    let got = db
        .read_slice_in(DEFAULT_KEYSPACE, "t", &Run::key(p), &slice, reverse, limit)
        .unwrap()
        .map(|got| visible_of(&got, now_seconds()).1)
        .unwrap_or_default();
    assert_eq!(
        got, want,
        "{context}: partition {p} slice {low}..={high} reverse {reverse} limit {limit}"
    );
}

fn run(seed: u64, ops: u64, options: &TableOptions, order: ClusteringOrder, increasing: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut db = open(dir.path());
    // Descending tables have no static column.
    let statics = order == ClusteringOrder::Asc;
    db.create_table("t", schema(order, statics), options.clone())
        .unwrap();
    let mut run = Run {
        rng: StdRng::seed_from_u64(seed),
        order,
        statics,
        model: vec![ModelPartition::default(); PARTITIONS],
        op: 0,
        now: now_seconds(),
        increasing: increasing.then_some(0),
    };
    for op in 0..ops {
        run.op = op;
        let context = format!("seed {seed} op {op}");
        let p = run.rng.random_range(0..PARTITIONS);
        match run.rng.random_range(0..1000) {
            0..=599 => {
                let update = run.update(p);
                db.write("t", update).unwrap();
            }
            600..=799 => check_partition(&db, &run, p, &context),
            800..=989 => check_slice(&db, &mut run, p, &context),
            990..=995 => db.flush().unwrap(),
            996 => db.compact("t").unwrap(),
            997 => {
                let live: Vec<u64> = db.sstables("t").unwrap().iter().map(|s| s.id).collect();
                let chosen: Vec<u64> = live
                    .into_iter()
                    .filter(|_| run.rng.random_bool(0.5))
                    .collect();
                match db.compact_sstables("t", &chosen, 0) {
                    Ok(()) => {}
                    // A background compaction took one first.
                    Err(ilion::Error::Invalid(_)) if !chosen.is_empty() => {}
                    Err(e) => panic!("{context}: {e}"),
                }
            }
            _ => {
                drop(db);
                db = open(dir.path());
            }
        }
    }
    for p in 0..PARTITIONS {
        check_partition(&db, &run, p, &format!("seed {seed} end"));
    }
    if increasing && options.gc_grace_seconds == 0 {
        assert_everything_purged(&db, &run, seed);
    }
    drop(db);
    let db = open(dir.path());
    for p in 0..PARTITIONS {
        check_partition(&db, &run, p, &format!("seed {seed} reopened"));
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Runs this option set's share of the seeds (the option sets split them,
/// each its own test so that they run in parallel).
fn run_share(set: u64, options: TableOptions, order: ClusteringOrder) {
    let seeds = env("ILION_WIDE_SEEDS", 50);
    let ops = env("ILION_WIDE_OPS", 10_000);
    let options = TableOptions {
        tombstone_warn_threshold: usize::MAX,
        tombstone_failure_threshold: usize::MAX,
        ..options
    };
    for seed in (set..seeds).step_by(4) {
        run(seed, ops, &options, order, false);
    }
}

/// Timestamps that only increase (as one client's clock) and gc_grace 0:
/// every deletion and expired cell becomes purgeable a second after it is
/// written, so compactions purge cell, row, range and partition deletions
/// all the time; with no write older than a purged deletion arriving
/// later, what reads see must not change. Size-tiered merging every pair.
#[test]
fn increasing_timestamps_with_purging_match_the_model() {
    let seeds = env("ILION_WIDE_PURGE_SEEDS", 6);
    let ops = env("ILION_WIDE_OPS", 10_000);
    let options = TableOptions {
        gc_grace_seconds: 0,
        memtable_bytes: 64 << 10,
        tombstone_warn_threshold: usize::MAX,
        tombstone_failure_threshold: usize::MAX,
        compaction: compaction(Strategy::SizeTiered(SizeTieredOptions {
            min_threshold: 2,
            ..Default::default()
        })),
        ..TableOptions::default()
    };
    for seed in 0..seeds {
        let order = if seed % 2 == 0 {
            ClusteringOrder::Asc
        } else {
            ClusteringOrder::Desc
        };
        run(1_000 + seed, ops, &options, order, true);
    }
}

fn compaction(strategy: Strategy) -> CompactionOptions {
    CompactionOptions {
        strategy,
        tombstone_compaction_interval_seconds: 0,
        ..CompactionOptions::default()
    }
}

/// Defaults (flushes only when the test asks), size-tiered compaction
/// merging every pair of small SSTables.
#[test]
fn default_options_size_tiered_match_the_model() {
    let options = TableOptions {
        compaction: compaction(Strategy::SizeTiered(SizeTieredOptions {
            min_threshold: 2,
            ..Default::default()
        })),
        ..TableOptions::default()
    };
    run_share(0, options, ClusteringOrder::Asc);
}

/// Small memtables: background flushes all the time; descending order;
/// leveled compaction with 64 KiB SSTables.
#[test]
fn small_memtables_leveled_match_the_model() {
    let options = TableOptions {
        memtable_bytes: 64 << 10,
        compaction: compaction(Strategy::Leveled(LeveledOptions {
            sstable_bytes: 64 << 10,
            fanout: 2,
            l0_size_tiered_threshold: 4,
            ..Default::default()
        })),
        ..TableOptions::default()
    };
    run_share(1, options, ClusteringOrder::Desc);
}

/// Tiny uncompressed chunks in nb, ByteOrdered; time-window compaction
/// with one-second windows.
#[test]
fn uncompressed_nb_byte_ordered_time_window_matches_the_model() {
    let options = TableOptions {
        partitioner: Partitioner::ByteOrdered,
        version: Version::NB,
        compression: false,
        chunk_length: 1024,
        memtable_bytes: 64 << 10,
        compaction: compaction(Strategy::TimeWindow(TimeWindowOptions {
            window_seconds: 1,
            min_threshold: 2,
            ..Default::default()
        })),
        ..TableOptions::default()
    };
    run_share(2, options, ClusteringOrder::Asc);
}

/// Tiny compressed chunks, ByteOrdered, descending order; unified
/// compaction, tiered then leveled, sharded at 16 KiB.
#[test]
fn tiny_chunks_byte_ordered_descending_unified_match_the_model() {
    let options = TableOptions {
        partitioner: Partitioner::ByteOrdered,
        chunk_length: 1024,
        compaction: compaction(Strategy::Unified(UnifiedOptions {
            scaling_parameters: vec![2, -2],
            target_sstable_bytes: 64 << 10,
            min_sstable_bytes: 16 << 10,
            ..Default::default()
        })),
        ..TableOptions::default()
    };
    run_share(3, options, ClusteringOrder::Desc);
}

/// Once every deletion is past gc_grace (0) and the memtables are flushed,
/// a major compaction has nothing outside it: no deletion or expired cell
/// may remain in any SSTable, and reads must still match the model.
fn assert_everything_purged(db: &Db, run: &Run, seed: u64) {
    use ilion::sstable::reader::SstableReader;
    while now_seconds() <= run.now + 1 {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    db.compact("t").unwrap();
    let directory = db.table("t").unwrap().directory;
    let now = now_seconds();
    for sstable in db.sstables("t").unwrap() {
        let path = directory.join(format!("oa-{}-big-Data.db", sstable.id));
        let path = if path.exists() {
            path
        } else {
            directory.join(format!("nb-{}-big-Data.db", sstable.id))
        };
        for p in SstableReader::open(&path).unwrap().scan().unwrap() {
            let context = format!(
                "seed {seed}: {} in {}",
                String::from_utf8_lossy(&p.key),
                path.display()
            );
            assert!(p.deletion.is_live(), "{context}: partition deletion left");
            let rows = p.unfiltereds.iter().map(|u| match u {
                Unfiltered::Row(row) => row,
                Unfiltered::Marker(m) => panic!("{context}: range tombstone marker left: {m:?}"),
            });
            for row in p.static_row.iter().chain(rows) {
                assert!(row.deletion.is_none(), "{context}: row deletion left");
                let expired = |l: &LivenessInfo| l.expiry.is_some_and(|(_, e)| e <= now);
                assert!(
                    !row.liveness.as_ref().is_some_and(expired),
                    "{context}: expired liveness left"
                );
                for c in &row.columns {
                    if let ColumnData::Simple { cell, .. } = c {
                        assert!(cell.is_live(now), "{context}: dead cell left: {cell:?}");
                    }
                }
            }
        }
    }
    for p in 0..PARTITIONS {
        check_partition(db, run, p, &format!("seed {seed} after purging everything"));
    }
}

/// BTI tables (`da`: Partitions.db and Rows.db tries): small memtables
/// flushing in the background, size-tiered compaction merging every pair,
/// both clustering orders, both partitioners; reads, flushes, compactions
/// and reopens match the model as for big tables.
#[test]
fn bti_tables_match_the_model() {
    let seeds = env("ILION_WIDE_BTI_SEEDS", 8);
    let ops = env("ILION_WIDE_OPS", 10_000);
    for seed in 0..seeds {
        let options = TableOptions {
            version: Version::DA,
            partitioner: if seed % 2 == 0 {
                Partitioner::Murmur3
            } else {
                Partitioner::ByteOrdered
            },
            memtable_bytes: 64 << 10,
            tombstone_warn_threshold: usize::MAX,
            tombstone_failure_threshold: usize::MAX,
            compaction: compaction(Strategy::SizeTiered(SizeTieredOptions {
                min_threshold: 2,
                ..Default::default()
            })),
            ..TableOptions::default()
        };
        let order = if seed % 4 < 2 {
            ClusteringOrder::Asc
        } else {
            ClusteringOrder::Desc
        };
        run(2_000 + seed, ops, &options, order, false);
    }
}
