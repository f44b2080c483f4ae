//! Compaction through the public API and the SSTable files themselves:
//! purging without zombies (gc_grace, data outside the compaction, the
//! memtable), expired TTL data, whole-SSTable expiry, single-SSTable
//! tombstone compactions, every strategy under load, strategy changes,
//! cancellation at close, progress, and write stalls.

#![allow(clippy::unwrap_used)]

use ilion::commitlog::{CommitLogOptions, SyncMode};
use ilion::compaction::leveled::check_levels;
use ilion::compaction::{
    CompactionOptions, LeveledOptions, SizeTieredOptions, Strategy, TimeWindowOptions,
    UnifiedOptions,
};
use ilion::sstable::descriptor::{Component, Descriptor};
use ilion::sstable::reader::{ReaderCaches, SstableReader};
use ilion::sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion::sstable::rows::{Cell, ColumnData, Partition, Row, Unfiltered};
use ilion::sstable::schema::TableSchema;
use ilion::sstable::version::Version;
use ilion::vfs::{FileSystem, RealFs, SimFs};
use ilion::{Db, Options, TableOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const T: &str = "kv";

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Incompressible bytes, so sizes on disk are what is written.
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Sleeps until the clock's second is past `second`: a deletion made at
/// or before `second` is then older than gc_grace 0.
fn wait_past(second: i64) {
    while now_secs() <= second {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Polls `done` until it holds or `timeout` passes; whether it held.
fn wait_for(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Database options: `threads` background compaction threads, no
/// throughput limit, small commitlog segments synced periodically (these
/// tests are not about durability; it keeps them fast).
fn options(threads: usize) -> Options {
    Options {
        compaction_threads: threads,
        compaction_throughput_bytes_per_second: 0,
        commitlog: CommitLogOptions {
            sync_mode: SyncMode::Periodic {
                period: Duration::from_secs(10),
            },
            segment_size: 4 << 20,
            ..CommitLogOptions::default()
        },
        ..Options::default()
    }
}

fn size_tiered() -> Strategy {
    Strategy::SizeTiered(SizeTieredOptions::default())
}

fn table_options(strategy: Strategy, gc_grace_seconds: u32) -> TableOptions {
    TableOptions {
        gc_grace_seconds,
        compaction: CompactionOptions {
            strategy,
            ..CompactionOptions::default()
        },
        ..TableOptions::default()
    }
}

/// Options with 64 KiB memtables, for tests that flush by volume.
fn small_memtables(strategy: Strategy) -> TableOptions {
    TableOptions {
        memtable_bytes: 64 << 10,
        ..table_options(strategy, 864_000)
    }
}

fn create(db: &Db, name: &str, options: TableOptions) {
    db.create_table(name, TableSchema::key_value(), options)
        .unwrap();
}

fn ids(db: &Db, table: &str) -> BTreeSet<u64> {
    db.sstables(table).unwrap().iter().map(|s| s.id).collect()
}

/// Flushes and returns the generation of the one SSTable `table` gains.
fn flush_new(db: &Db, table: &str) -> u64 {
    let before = ids(db, table);
    db.flush().unwrap();
    let new: Vec<u64> = ids(db, table).difference(&before).copied().collect();
    assert_eq!(new.len(), 1, "one new SSTable in {table}: {new:?}");
    new[0]
}

/// The one live SSTable of `table` that is not in `others`.
fn only_other(db: &Db, table: &str, others: &[u64]) -> u64 {
    let rest: Vec<u64> = ids(db, table)
        .into_iter()
        .filter(|id| !others.contains(id))
        .collect();
    assert_eq!(rest.len(), 1, "{rest:?}");
    rest[0]
}

fn data_path(db: &Db, table: &str, generation: u64) -> PathBuf {
    Descriptor {
        dir: db.table(table).unwrap().directory,
        version: Version::OA,
        generation,
    }
    .path(Component::Data)
}

/// What the SSTable `generation` physically holds for `key`.
fn stored(db: &Db, table: &str, generation: u64, key: &[u8]) -> Option<Partition> {
    SstableReader::open(&data_path(db, table, generation))
        .unwrap()
        .get(key)
        .unwrap()
}

/// Every partition the SSTable `generation` physically holds.
fn stored_all(db: &Db, table: &str, generation: u64) -> Vec<Partition> {
    stored_all_in(Arc::new(RealFs), db, table, generation)
}

/// [`stored_all`] of a database on the file system `fs`.
fn stored_all_in(fs: Arc<dyn FileSystem>, db: &Db, table: &str, generation: u64) -> Vec<Partition> {
    let path = data_path(db, table, generation);
    SstableReader::open_in(fs, &path, ReaderCaches::default())
        .unwrap()
        .scan()
        .unwrap()
}

/// Every partition of every live SSTable of `table`.
fn stored_everywhere(db: &Db, table: &str) -> Vec<Partition> {
    stored_everywhere_in(Arc::new(RealFs), db, table)
}

/// [`stored_everywhere`] of a database on the file system `fs`.
fn stored_everywhere_in(fs: Arc<dyn FileSystem>, db: &Db, table: &str) -> Vec<Partition> {
    ids(db, table)
        .into_iter()
        .flat_map(|id| stored_all_in(fs.clone(), db, table, id))
        .collect()
}

fn is_tombstone(p: &Partition) -> bool {
    !p.deletion.is_live()
}

/// The one cell of a stored key-value partition.
fn only_cell(p: &Partition) -> &Cell {
    match p.unfiltereds.as_slice() {
        [Unfiltered::Row(Row { columns, .. })] => match columns.as_slice() {
            [ColumnData::Simple { cell, .. }] => cell,
            other => panic!("one simple cell expected: {other:?}"),
        },
        other => panic!("one row expected: {other:?}"),
    }
}

fn scan_all(db: &Db, table: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    db.scan(table, Bound::Unbounded, Bound::Unbounded, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect()
}

/// Every key of `keys` reads as `model` says, and a full scan returns
/// exactly `model`.
fn check_model(db: &Db, table: &str, model: &Model, keys: &[Vec<u8>], context: &str) {
    for key in keys {
        let got = db.get(table, key).unwrap().map(|v| v.to_vec());
        assert_eq!(
            got.as_ref(),
            model.get(key),
            "{context}: key {:?}",
            String::from_utf8_lossy(key)
        );
    }
    let scanned = scan_all(db, table);
    let as_map: Model = scanned.iter().cloned().collect();
    assert_eq!(
        scanned.len(),
        as_map.len(),
        "{context}: a key scanned twice"
    );
    if &as_map != model {
        let extra: Vec<String> = as_map
            .keys()
            .filter(|k| !model.contains_key(*k))
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect();
        panic!(
            "{context}: scan differs from the model ({} vs {} keys; not in the model: {extra:?})",
            as_map.len(),
            model.len()
        );
    }
}

/// Writes `key = value` at an explicit write timestamp.
fn write_at(db: &Db, table: &str, key: &[u8], value: &[u8], timestamp: i64) {
    let cell = Cell {
        timestamp,
        kind: CellKind::Live,
        path: None,
        value: value.to_vec(),
    };
    db.write(
        table,
        Partition {
            key: key.to_vec(),
            deletion: DeletionTime::LIVE,
            static_row: None,
            unfiltereds: vec![Unfiltered::Row(Row {
                clustering: Vec::new(),
                liveness: Some(LivenessInfo {
                    timestamp,
                    expiry: None,
                }),
                deletion: None,
                columns: vec![ColumnData::Simple { column: 0, cell }],
            })],
        },
    )
    .unwrap();
}

/// Deletes `key` with a tombstone whose local deletion time is an hour
/// ago (as one streamed from another replica keeps its own): past
/// gc_grace 0 at once, without sleeping.
fn aged_delete(db: &Db, table: &str, key: &[u8]) {
    db.write(
        table,
        Partition {
            key: key.to_vec(),
            deletion: DeletionTime {
                marked_for_delete_at: db.timestamp(),
                local_deletion_time: now_secs() - 3600,
            },
            static_row: None,
            unfiltereds: Vec::new(),
        },
    )
    .unwrap();
}

/// Waits until no compaction of `table` runs and its SSTables have not
/// changed for half a second.
fn settle(db: &Db, table: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = ids(db, table);
    let mut quiet_since = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(25));
        let busy =
            !db.compactions().is_empty() || db.table_stats(table).unwrap().compacting_sstables > 0;
        let now = ids(db, table);
        if busy || now != last {
            last = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= Duration::from_millis(500) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "compactions of {table} did not settle: {:?}",
            db.compactions()
        );
    }
}

/// Files of a table directory that a finished or cancelled compaction
/// must not leave: temporary components and transaction logs.
fn leftovers(directory: &Path) -> Vec<String> {
    std::fs::read_dir(directory)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tmp-") || n.contains("_txn_"))
        .collect()
}

/// Generations of the Data.db files in a table directory.
fn data_files(directory: &Path) -> BTreeSet<u64> {
    std::fs::read_dir(directory)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("-Data.db"))
        .map(|p| Descriptor::from_path(&p).unwrap().generation)
        .collect()
}

// 1. Zombies.

#[test]
fn a_tombstone_past_gc_grace_stays_while_older_data_is_outside_the_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), options(0)).unwrap();
    create(&db, T, table_options(size_tiered(), 0));
    db.put(T, b"k", b"old").unwrap();
    db.put(T, b"a", b"1").unwrap();
    let a = flush_new(&db, T);
    for i in 0..10 {
        db.put(T, format!("b{i}").as_bytes(), b"2").unwrap();
    }
    db.delete(T, b"k").unwrap();
    // A key whose only data is its tombstone: purgeable once past gc_grace.
    db.delete(T, b"z").unwrap();
    let deleted_at = now_secs();
    let b = flush_new(&db, T);
    for i in 0..10 {
        db.put(T, format!("c{i}").as_bytes(), b"3").unwrap();
    }
    let c = flush_new(&db, T);
    assert!(stored(&db, T, b, b"k").is_some_and(|p| is_tombstone(&p)));
    wait_past(deleted_at);

    db.compact_sstables(T, &[b, c], 0).unwrap();
    let output = only_other(&db, T, &[a]);
    assert_eq!(db.get(T, b"k").unwrap(), None, "k came back");
    let scanned = scan_all(&db, T);
    assert!(
        scanned.iter().all(|(k, _)| k != b"k"),
        "k came back in a scan"
    );
    assert_eq!(scanned.len(), 21, "a, b0..b9, c0..c9");
    let kept = stored(&db, T, output, b"k");
    assert!(
        kept.as_ref().is_some_and(is_tombstone),
        "the tombstone of k must stay while A holds older data: {kept:?}"
    );
    assert!(
        stored(&db, T, a, b"k").is_some_and(|p| !is_tombstone(&p) && !p.unfiltereds.is_empty()),
        "A still holds the old value"
    );
    assert_eq!(
        stored(&db, T, output, b"z"),
        None,
        "z's tombstone shadows nothing outside the compaction: purged"
    );

    // Everything together: now the tombstone may go, and does.
    db.compact(T).unwrap();
    assert_eq!(db.get(T, b"k").unwrap(), None);
    assert_eq!(scan_all(&db, T).len(), 21);
    let live = ids(&db, T);
    assert_eq!(live.len(), 1);
    for id in live {
        assert_eq!(stored(&db, T, id, b"k"), None, "k physically gone");
        assert!(stored_all(&db, T, id).iter().all(|p| !is_tombstone(p)));
    }
}

#[test]
fn a_tombstone_past_gc_grace_stays_while_older_data_is_in_the_memtable() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), options(0)).unwrap();
    create(&db, T, table_options(size_tiered(), 0));
    db.put(T, b"x", b"1").unwrap();
    db.delete(T, b"k").unwrap();
    let deleted_at = now_secs();
    let b = flush_new(&db, T);
    let tombstone = stored(&db, T, b, b"k").unwrap();
    assert!(is_tombstone(&tombstone));
    // Older data for k arrives late and sits in the memtable.
    let older = tombstone.deletion.marked_for_delete_at - 1_000_000;
    write_at(&db, T, b"k", b"zombie", older);
    assert_eq!(db.get(T, b"k").unwrap(), None);
    wait_past(deleted_at);

    db.compact_sstables(T, &[b], 0).unwrap();
    let first = only_other(&db, T, &[]);
    assert!(
        stored(&db, T, first, b"k").is_some_and(|p| is_tombstone(&p)),
        "the memtable holds older data for k: the tombstone stays"
    );
    assert_eq!(
        db.get(T, b"k").unwrap(),
        None,
        "k came back from the memtable"
    );

    // Flushed, the older value is in an SSTable outside the next compaction.
    let m = flush_new(&db, T);
    db.compact_sstables(T, &[first], 0).unwrap();
    let second = only_other(&db, T, &[m]);
    assert!(stored(&db, T, second, b"k").is_some_and(|p| is_tombstone(&p)));
    assert_eq!(db.get(T, b"k").unwrap(), None);

    db.compact(T).unwrap();
    assert_eq!(db.get(T, b"k").unwrap(), None);
    assert!(stored_everywhere(&db, T).iter().all(|p| p.key != b"k"));
    assert_eq!(scan_all(&db, T), vec![(b"x".to_vec(), b"1".to_vec())]);
}

#[test]
fn deleted_keys_never_reappear_under_random_flushes_and_compactions() {
    let keys: Vec<Vec<u8>> = (0..12).map(|i| format!("key{i}").into_bytes()).collect();
    let mut purged = 0usize;
    for seed in 0..30u64 {
        // In memory: hundreds of flushes and compactions, and no fsync.
        let sim = Arc::new(SimFs::new());
        let fs: Arc<dyn FileSystem> = sim.clone();
        let db = Db::open(
            Path::new("/db"),
            Options {
                fs: fs.clone(),
                ..options(0)
            },
        )
        .unwrap();
        create(&db, T, table_options(size_tiered(), 0));
        let mut model = Model::new();
        let mut rng = Rng::new(seed + 1);
        for step in 0..200 {
            let key = keys[rng.below(keys.len() as u64) as usize].clone();
            let what = match rng.below(100) {
                0..=39 => {
                    let value = format!("{seed}.{step}").into_bytes();
                    db.put(T, &key, &value).unwrap();
                    model.insert(key, value);
                    "put"
                }
                40..=54 => {
                    aged_delete(&db, T, &key);
                    model.remove(&key);
                    "delete past gc_grace"
                }
                55..=64 => {
                    db.delete(T, &key).unwrap();
                    model.remove(&key);
                    "delete"
                }
                65..=77 => {
                    db.flush().unwrap();
                    "flush"
                }
                78..=94 => {
                    let live: Vec<u64> = ids(&db, T).into_iter().collect();
                    if live.is_empty() {
                        "nothing to compact"
                    } else {
                        let mut subset: Vec<u64> =
                            live.iter().copied().filter(|_| rng.below(2) == 0).collect();
                        if subset.is_empty() {
                            subset.push(live[rng.below(live.len() as u64) as usize]);
                        }
                        db.compact_sstables(T, &subset, 0).unwrap();
                        "user-defined compaction"
                    }
                }
                _ => {
                    db.compact(T).unwrap();
                    "major compaction"
                }
            };
            check_model(
                &db,
                T,
                &model,
                &keys,
                &format!("seed {seed} step {step} ({what})"),
            );
        }
        // With everything in one compaction, tombstones past gc_grace go.
        let old = now_secs() - 1000;
        let aged = |p: &Partition| is_tombstone(p) && p.deletion.local_deletion_time < old;
        let before = stored_everywhere_in(fs.clone(), &db, T)
            .iter()
            .filter(|p| aged(p))
            .count();
        db.compact(T).unwrap();
        let left: Vec<Partition> = stored_everywhere_in(fs.clone(), &db, T)
            .into_iter()
            .filter(|p| aged(p))
            .collect();
        assert!(
            left.is_empty(),
            "seed {seed}: aged tombstones left: {left:?}"
        );
        purged += before;
        check_model(&db, T, &model, &keys, &format!("seed {seed} final major"));
    }
    assert!(
        purged > 0,
        "no aged tombstone was ever left for the final check"
    );
}

// 2. Expired TTL cells.

#[test]
fn expired_cells_are_purged_past_gc_grace_or_turned_into_tombstones() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), options(0)).unwrap();
    create(&db, "purged", table_options(size_tiered(), 0));
    create(&db, "kept", table_options(size_tiered(), 864_000));
    // Older data for "shadowed", outside the compaction to come.
    db.put("purged", b"shadowed", b"old").unwrap();
    let x = flush_new(&db, "purged");
    let written_from = now_secs();
    for table in ["purged", "kept"] {
        db.put_with_ttl(table, b"ttl", b"value", 1).unwrap();
        db.put(table, b"live", b"v").unwrap();
    }
    db.put_with_ttl("purged", b"shadowed", b"new", 1).unwrap();
    let written_to = now_secs();
    let y = flush_new(&db, "purged");
    // Expired at written_to + 1 at the latest; past gc_grace 0 after that.
    wait_past(written_to + 1);
    for table in ["purged", "kept"] {
        assert_eq!(db.get(table, b"ttl").unwrap(), None);
    }
    assert_eq!(db.get("purged", b"shadowed").unwrap(), None);

    db.compact_sstables("purged", &[y], 0).unwrap();
    let out = only_other(&db, "purged", &[x]);
    assert_eq!(
        stored(&db, "purged", out, b"ttl"),
        None,
        "expired and past gc_grace: gone"
    );
    let shadowed = stored(&db, "purged", out, b"shadowed").expect("kept: X holds older data");
    let cell = only_cell(&shadowed);
    assert!(
        matches!(cell.kind, CellKind::Tombstone { .. }) && cell.value.is_empty(),
        "an expired cell that may not be purged becomes a tombstone: {cell:?}"
    );
    assert_eq!(
        db.get("purged", b"shadowed").unwrap(),
        None,
        "the old value came back"
    );
    assert_eq!(
        db.get("purged", b"live").unwrap().as_deref(),
        Some(&b"v"[..])
    );
    db.compact("purged").unwrap();
    assert!(stored_everywhere(&db, "purged")
        .iter()
        .all(|p| p.key == b"live" && !is_tombstone(p)));
    assert_eq!(
        scan_all(&db, "purged"),
        vec![(b"live".to_vec(), b"v".to_vec())]
    );

    db.compact("kept").unwrap();
    let kept: Vec<u64> = ids(&db, "kept").into_iter().collect();
    assert_eq!(kept.len(), 1);
    let ttl = stored(&db, "kept", kept[0], b"ttl").expect("within gc_grace: kept");
    let cell = only_cell(&ttl);
    match cell.kind {
        CellKind::Tombstone {
            local_deletion_time,
        } => assert!(
            (written_from..=written_to).contains(&local_deletion_time),
            "deletion time is the write time: {local_deletion_time}"
        ),
        other => panic!("an expired cell within gc_grace becomes a tombstone: {other:?}"),
    }
    assert!(cell.value.is_empty(), "the value is dropped");
    assert_eq!(db.get("kept", b"ttl").unwrap(), None);
    assert_eq!(db.get("kept", b"live").unwrap().as_deref(), Some(&b"v"[..]));
}

// 3. Whole-SSTable expiry under time windows.

#[test]
fn expired_time_windows_are_dropped_whole_unless_older_live_data_overlaps() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), options(1)).unwrap();
    let tw = Strategy::TimeWindow(TimeWindowOptions {
        window_seconds: 1,
        ..TimeWindowOptions::default()
    });
    create(&db, "expiring", table_options(tw.clone(), 0));
    create(&db, "blocked", table_options(tw, 0));
    // The blocker: older live data over the whole token range.
    for i in 0..50 {
        db.put("blocked", format!("live{i}").as_bytes(), b"v")
            .unwrap();
    }
    let blocker = flush_new(&db, "blocked");
    wait_past(now_secs());
    for window in 0..3 {
        for table in ["expiring", "blocked"] {
            for i in 0..20 {
                let key = format!("w{window}k{i}");
                db.put_with_ttl(table, key.as_bytes(), b"v", 1).unwrap();
            }
        }
        db.flush().unwrap();
        // The next window's writes start in a later second.
        wait_past(now_secs());
    }
    // (Earlier windows may have expired and gone already.)
    assert_eq!(db.table_stats("expiring").unwrap().flushes, 3);
    let blocked = db.sstables("blocked").unwrap();
    assert_eq!(
        blocked.len(),
        4,
        "the blocked table lost SSTables: {blocked:?}"
    );
    let blocker_info = blocked.iter().find(|s| s.id == blocker).unwrap();
    assert!(
        blocked.iter().all(|s| s.overlaps(blocker_info)),
        "the blocker overlaps"
    );

    let dropped = wait_for(Duration::from_secs(10), || {
        db.table_stats("expiring").unwrap().sstable_count == 0
    });
    let stats = db.table_stats("expiring").unwrap();
    assert!(
        dropped,
        "expired windows still live: {:?}",
        db.sstables("expiring").unwrap()
    );
    assert!(stats.expired_sstables_dropped >= 3, "{stats:?}");
    assert_eq!(stats.bytes_compacted_written, 0, "dropped, not rewritten");
    // The blocked table was looked at in the same passes; one more to be sure.
    std::thread::sleep(Duration::from_millis(1500));
    let stats = db.table_stats("blocked").unwrap();
    assert_eq!(
        stats.expired_sstables_dropped, 0,
        "dropped despite older overlapping data"
    );
    assert!(ids(&db, "blocked").contains(&blocker));
    for window in 0..3 {
        let key = format!("w{window}k0");
        assert_eq!(db.get("expiring", key.as_bytes()).unwrap(), None);
        assert_eq!(db.get("blocked", key.as_bytes()).unwrap(), None);
    }
    assert_eq!(scan_all(&db, "blocked").len(), 50);
    assert!(scan_all(&db, "expiring").is_empty());
}

// 4. The leveled invariant.

#[test]
fn leveled_compaction_keeps_levels_disjoint_and_data_correct() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), options(2)).unwrap();
    let leveled = Strategy::Leveled(LeveledOptions {
        sstable_bytes: 64 << 10,
        ..LeveledOptions::default()
    });
    create(&db, T, small_memtables(leveled));
    let mut rng = Rng::new(4);
    let mut model = Model::new();
    let mut flushes = 0;
    let mut checks = 0;
    for i in 0..6000 {
        let key = format!("key{:05}", rng.below(3000)).into_bytes();
        let value = rng.bytes(1000);
        db.put(T, &key, &value).unwrap();
        model.insert(key, value);
        if i % 20 == 0 {
            let seen = db.table_stats(T).unwrap().flushes;
            if seen != flushes {
                flushes = seen;
                checks += 1;
                check_levels(&db.sstables(T).unwrap())
                    .unwrap_or_else(|e| panic!("after {seen} flushes: {e}"));
            }
        }
    }
    assert!(checks >= 20, "only {checks} checks");
    db.flush().unwrap();
    settle(&db, T);
    let sstables = db.sstables(T).unwrap();
    check_levels(&sstables).unwrap();
    let stats = db.table_stats(T).unwrap();
    let deep = stats
        .sstable_levels
        .iter()
        .skip(1)
        .filter(|n| **n > 0)
        .count();
    assert!(deep >= 2, "levels: {:?}", stats.sstable_levels);
    assert_eq!(stats.compaction_failures, 0);
    assert_eq!(stats.level_overlaps, 0, "the engine's own check fired");
    let keys: Vec<Vec<u8>> = model.keys().cloned().collect();
    check_model(&db, T, &model, &keys, "leveled");
}

// 5. Single-SSTable tombstone compaction.

#[test]
fn a_lone_sstable_of_droppable_tombstones_is_compacted_unless_older_data_overlaps() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), options(1)).unwrap();
    let compaction = CompactionOptions {
        strategy: size_tiered(),
        enabled: false,
        tombstone_threshold: 0.2,
        tombstone_compaction_interval_seconds: 0,
    };
    let options = TableOptions {
        gc_grace_seconds: 0,
        compaction: compaction.clone(),
        ..TableOptions::default()
    };
    create(&db, "alone", options.clone());
    create(&db, "overlapped", options);
    for i in 0..100 {
        db.put("overlapped", format!("gone{i}").as_bytes(), b"old")
            .unwrap();
    }
    let older = flush_new(&db, "overlapped");
    // Tombstones an hour old: the drop-time histogram rounds deletion
    // times up to whole minutes (as Cassandra's), so fresh ones would
    // count as droppable only at the next minute.
    for table in ["alone", "overlapped"] {
        for i in 0..100 {
            db.put(table, format!("live{i}").as_bytes(), b"v").unwrap();
            aged_delete(&db, table, format!("gone{i}").as_bytes());
        }
    }
    db.flush().unwrap();
    let tombstones = |table: &str| {
        stored_everywhere(&db, table)
            .iter()
            .filter(|p| is_tombstone(p))
            .count()
    };
    assert_eq!(tombstones("alone"), 100);
    assert_eq!(tombstones("overlapped"), 100);
    let lone = db.sstables("alone").unwrap();
    assert!(lone[0].droppable_tombstone_ratio > 0.2, "{lone:?}");
    // Compaction on: only now may the thread take them.
    for table in ["alone", "overlapped"] {
        let enabled = CompactionOptions {
            enabled: true,
            ..compaction.clone()
        };
        db.set_compaction(table, enabled).unwrap();
    }

    let ran = wait_for(Duration::from_secs(6), || {
        let s = db.table_stats("alone").unwrap();
        s.tombstone_compactions >= 1 && s.compacting_sstables == 0
    });
    assert!(ran, "{:?}", db.sstables("alone").unwrap());
    assert_eq!(tombstones("alone"), 0, "tombstones physically gone");
    assert_eq!(stored_everywhere(&db, "alone").len(), 100);
    let alone: Model = (0..100)
        .map(|i| (format!("live{i}").into_bytes(), b"v".to_vec()))
        .collect();
    let keys: Vec<Vec<u8>> = (0..100).map(|i| format!("gone{i}").into_bytes()).collect();
    check_model(&db, "alone", &alone, &keys, "alone");

    // Older data for the deleted keys: their tombstones must stay, whether
    // or not a tombstone compaction runs.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(tombstones("overlapped"), 100);
    let newer = only_other(&db, "overlapped", &[older]);
    db.compact_sstables("overlapped", &[newer], 0).unwrap();
    assert_eq!(
        tombstones("overlapped"),
        100,
        "purged while older data overlaps"
    );
    check_model(&db, "overlapped", &alone, &keys, "overlapped");
    db.compact("overlapped").unwrap();
    assert_eq!(tombstones("overlapped"), 0, "purged once safe");
    check_model(&db, "overlapped", &alone, &keys, "overlapped after major");
}

// 6. Every strategy under a steady load.

fn strategy_under_load(strategy: Strategy, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), options(2)).unwrap();
    let leveled = matches!(strategy, Strategy::Leveled(_));
    create(&db, T, small_memtables(strategy));
    let mut rng = Rng::new(seed);
    let mut model = Model::new();
    for i in 0..3000 {
        let key = format!("key{:04}", rng.below(600)).into_bytes();
        if i % 10 == 9 {
            db.delete(T, &key).unwrap();
            model.remove(&key);
        } else {
            let value = rng.bytes(1000);
            db.put(T, &key, &value).unwrap();
            model.insert(key, value);
        }
        // A flush per 100 KB besides those the memtable size asks for.
        if i % 100 == 99 {
            db.flush().unwrap();
        }
    }
    db.flush().unwrap();
    settle(&db, T);
    let stats = db.table_stats(T).unwrap();
    assert!(stats.flushes >= 30, "{stats:?}");
    assert!(stats.compactions > 0, "{stats:?}");
    assert!(
        (stats.sstable_count as u64) * 2 <= stats.flushes,
        "{} SSTables after {} flushes",
        stats.sstable_count,
        stats.flushes
    );
    assert_eq!(stats.compaction_failures, 0);
    if leveled {
        check_levels(&db.sstables(T).unwrap()).unwrap();
        assert_eq!(stats.level_overlaps, 0);
    }
    let keys: Vec<Vec<u8>> = (0..600)
        .map(|i| format!("key{i:04}").into_bytes())
        .collect();
    check_model(&db, T, &model, &keys, stats.compaction_strategy.as_str());
}

#[test]
fn size_tiered_reduces_sstables_under_load() {
    strategy_under_load(
        Strategy::SizeTiered(SizeTieredOptions {
            min_sstable_bytes: 16 << 10,
            ..SizeTieredOptions::default()
        }),
        61,
    );
}

#[test]
fn leveled_reduces_sstables_under_load() {
    strategy_under_load(
        Strategy::Leveled(LeveledOptions {
            sstable_bytes: 256 << 10,
            ..LeveledOptions::default()
        }),
        62,
    );
}

#[test]
fn time_window_reduces_sstables_under_load() {
    strategy_under_load(Strategy::TimeWindow(TimeWindowOptions::default()), 63);
}

#[test]
fn unified_reduces_sstables_under_load() {
    strategy_under_load(
        Strategy::Unified(UnifiedOptions {
            target_sstable_bytes: 256 << 10,
            min_sstable_bytes: 256 << 10,
            ..UnifiedOptions::default()
        }),
        64,
    );
}

// 7. Changing the strategy of a live table.

/// 600 writes over 400 keys, switching to `switch_to` halfway; then a
/// flush and the compactions it leads to.
fn load(db: &Db, rng: &mut Rng, model: &mut Model, switch_to: Option<&CompactionOptions>) {
    for i in 0..600 {
        let key = format!("key{:03}", rng.below(400)).into_bytes();
        let value = rng.bytes(800);
        db.put(T, &key, &value).unwrap();
        model.insert(key, value);
        if i == 300 {
            if let Some(options) = switch_to {
                db.set_compaction(T, options.clone()).unwrap();
            }
        }
    }
    db.flush().unwrap();
    settle(db, T);
}

#[test]
fn changing_the_strategy_live_keeps_data_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let leveled = CompactionOptions {
        strategy: Strategy::Leveled(LeveledOptions {
            sstable_bytes: 64 << 10,
            ..LeveledOptions::default()
        }),
        ..CompactionOptions::default()
    };
    let tiered = CompactionOptions::default();
    let mut rng = Rng::new(7);
    let mut model = Model::new();
    {
        let db = Db::open(dir.path(), options(2)).unwrap();
        create(&db, T, small_memtables(size_tiered()));
        load(&db, &mut rng, &mut model, None);
        load(&db, &mut rng, &mut model, Some(&leveled));
        assert_eq!(
            db.table_stats(T).unwrap().compaction_strategy,
            "LeveledCompactionStrategy"
        );
        check_levels(&db.sstables(T).unwrap()).unwrap();
    }
    let check = |db: &Db, model: &Model, context: &str| check_model(db, T, model, &[], context);
    {
        let db = Db::open(dir.path(), options(2)).unwrap();
        assert_eq!(db.table(T).unwrap().definition.options.compaction, leveled);
        check(&db, &model, "reopened leveled");
        check_levels(&db.sstables(T).unwrap()).unwrap();
        load(&db, &mut rng, &mut model, Some(&tiered));
        check(&db, &model, "back to size-tiered");
    }
    let db = Db::open(dir.path(), options(2)).unwrap();
    assert_eq!(db.table(T).unwrap().definition.options.compaction, tiered);
    assert_eq!(
        db.table_stats(T).unwrap().compaction_strategy,
        "SizeTieredCompactionStrategy"
    );
    let all: Vec<Vec<u8>> = model.keys().cloned().collect();
    check_model(&db, T, &model, &all, "reopened size-tiered");
}

// 8. Closing cancels running compactions.

/// `count` SSTables of `per` 16 KiB values each; returns the model.
fn load_sstables(db: &Db, count: usize, per: usize, rng: &mut Rng) -> Model {
    let mut model = Model::new();
    for s in 0..count {
        for i in 0..per {
            let key = format!("s{s:02}k{i:03}").into_bytes();
            let value = rng.bytes(16 << 10);
            db.put(T, &key, &value).unwrap();
            model.insert(key, value);
        }
        db.flush().unwrap();
    }
    model
}

#[test]
fn closing_the_database_cancels_a_running_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        compaction_throughput_bytes_per_second: 1 << 20,
        ..options(1)
    };
    let db = Db::open(dir.path(), opts).unwrap();
    let mut table = table_options(size_tiered(), 864_000);
    table.compaction.enabled = false;
    create(&db, T, table.clone());
    let directory = db.table(T).unwrap().directory;
    // 16 SSTables of 640 KiB: one bucket of 10 MiB, 10 s at 1 MiB/s.
    let model = load_sstables(&db, 16, 40, &mut Rng::new(8));
    let inputs = ids(&db, T);
    assert_eq!(inputs.len(), 16);
    table.compaction.enabled = true;
    db.set_compaction(T, table.compaction).unwrap();
    let running = wait_for(Duration::from_secs(5), || {
        db.compactions().first().is_some_and(|p| p.bytes_done > 0)
    });
    assert!(running, "no compaction started");
    let progress = db.compactions()[0].clone();
    assert!(
        progress.bytes_done * 2 < progress.bytes_total,
        "{progress:?}"
    );

    let closing = Instant::now();
    drop(db);
    let closed = closing.elapsed();
    assert!(closed < Duration::from_secs(4), "close took {closed:?}");
    assert_eq!(leftovers(&directory), Vec::<String>::new());
    assert_eq!(
        data_files(&directory),
        inputs,
        "a cancelled output was left"
    );

    let db = Db::open(dir.path(), options(0)).unwrap();
    assert_eq!(ids(&db, T), inputs);
    assert_eq!(leftovers(&directory), Vec::<String>::new());
    let keys: Vec<Vec<u8>> = model.keys().step_by(7).cloned().collect();
    check_model(&db, T, &model, &keys, "after a cancelled compaction");
}

// 9. Progress.

#[test]
fn a_running_compaction_reports_its_progress() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), options(0)).unwrap();
    create(&db, T, table_options(size_tiered(), 864_000));
    let model = load_sstables(&db, 4, 40, &mut Rng::new(9));
    let inputs: Vec<u64> = ids(&db, T).into_iter().collect();
    let total: u64 = inputs
        .iter()
        .map(|id| {
            SstableReader::open(&data_path(&db, T, *id))
                .unwrap()
                .data_length()
        })
        .sum();
    // 2.5 MiB at 1 MiB/s.
    db.set_compaction_throughput(1 << 20);
    let worker = db.clone();
    let job = inputs.clone();
    let compaction = std::thread::spawn(move || worker.compact_sstables(T, &job, 0));
    let mut seen = Vec::new();
    wait_for(Duration::from_secs(5), || {
        let running = db.compactions();
        assert!(running.len() <= 1, "{running:?}");
        if let Some(p) = running.first().filter(|p| p.bytes_done > 0) {
            seen.push(p.clone());
        }
        seen.len() >= 5
    });
    assert!(!seen.is_empty(), "no progress seen");
    for p in &seen {
        assert_eq!(
            (p.keyspace.as_str(), p.table.as_str()),
            (ilion::DEFAULT_KEYSPACE, T)
        );
        assert_eq!(p.bytes_total, total, "{p:?}");
        assert!(0 < p.bytes_done && p.bytes_done <= p.bytes_total, "{p:?}");
    }
    assert!(
        seen.windows(2).all(|w| w[0].bytes_done <= w[1].bytes_done),
        "{seen:?}"
    );
    db.set_compaction_throughput(0);
    compaction.join().unwrap().unwrap();
    assert!(db.compactions().is_empty());
    assert_eq!(ids(&db, T).len(), 1);
    let keys: Vec<Vec<u8>> = model.keys().step_by(5).cloned().collect();
    check_model(&db, T, &model, &keys, "after the compaction");
}

// 10. Write stalls.

#[test]
fn writers_stall_while_compaction_is_behind_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        stall_slowdown_sstables: 2,
        stall_stop_sstables: 4,
        ..options(1)
    };
    let db = Db::open(dir.path(), opts).unwrap();
    create(&db, T, small_memtables(size_tiered()));
    let mut rng = Rng::new(10);
    let mut model = Model::new();
    for _ in 0..1500 {
        let key = format!("key{:03}", rng.below(500)).into_bytes();
        let value = rng.bytes(1000);
        db.put(T, &key, &value).unwrap();
        model.insert(key, value);
    }
    db.flush().unwrap();
    settle(&db, T);
    let stats = db.table_stats(T).unwrap();
    assert!(stats.compaction_stalls > 0, "{stats:?}");
    assert!(stats.compactions > 0, "{stats:?}");
    let keys: Vec<Vec<u8>> = model.keys().cloned().collect();
    check_model(&db, T, &model, &keys, "after stalls");
}
