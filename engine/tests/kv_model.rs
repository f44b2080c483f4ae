//! The key-value facade against a `BTreeMap` model: random puts, deletes,
//! flushes, compactions and reopens (commitlog replay, SSTables read
//! back); every get and scan answers as the model does, under every
//! compaction strategy (with gc_grace 0, so that tombstones are purged as
//! soon as the rule allows). `ILION_KV_SEEDS` runs more seeds.

#![allow(clippy::unwrap_used)]

use ilion::sstable::partitioner::Partitioner;
use ilion::sstable::schema::TableSchema;
use ilion::{Db, Options, TableOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;

fn open(path: &Path) -> Db {
    Db::open(path, Options::default()).unwrap()
}

/// The model's answer to a scan: keys in Murmur3 order between the bounds'
/// positions, at most `limit`.
fn expected_scan(
    p: Partitioner,
    model: &BTreeMap<Vec<u8>, Vec<u8>>,
    start: Bound<&[u8]>,
    end: Bound<&[u8]>,
    limit: usize,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut all: Vec<(Vec<u8>, Vec<u8>)> = model.clone().into_iter().collect();
    all.sort_by(|a, b| p.compare(&a.0, &b.0));
    all.into_iter()
        .filter(|(k, _)| match start {
            Bound::Unbounded => true,
            Bound::Included(s) => p.compare(k, s) != Ordering::Less,
            Bound::Excluded(s) => p.compare(k, s) == Ordering::Greater,
        })
        .take_while(|(k, _)| match end {
            Bound::Unbounded => true,
            Bound::Included(e) => p.compare(k, e) != Ordering::Greater,
            Bound::Excluded(e) => p.compare(k, e) == Ordering::Less,
        })
        .take(limit)
        .collect()
}

fn owned(pairs: Vec<(ilion::Bytes, ilion::Bytes)>) -> Vec<(Vec<u8>, Vec<u8>)> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect()
}

fn run(seed: u64, ops: usize, options: &TableOptions) {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut db = open(dir.path());
    db.create_table("kv", TableSchema::key_value(), options.clone())
        .unwrap();
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut compactions = 0;
    let key = |rng: &mut StdRng| format!("k{}", rng.random_range(0..50)).into_bytes();
    for op in 0..ops {
        match rng.random_range(0..1000) {
            0..=529 => {
                let k = key(&mut rng);
                let v = format!("v{seed}-{op}").into_bytes();
                if rng.random_bool(0.2) {
                    // A TTL far longer than the test.
                    db.put_with_ttl("kv", &k, &v, 3600).unwrap();
                } else {
                    db.put("kv", &k, &v).unwrap();
                }
                model.insert(k, v);
            }
            530..=779 => {
                let k = key(&mut rng);
                db.delete("kv", &k).unwrap();
                model.remove(&k);
            }
            780..=899 => {
                let k = key(&mut rng);
                assert_eq!(
                    db.get("kv", &k).unwrap().map(|v| v.to_vec()),
                    model.get(&k).cloned(),
                    "seed {seed} op {op}"
                );
            }
            900..=979 => {
                let (a, b) = (key(&mut rng), key(&mut rng));
                let limit = rng.random_range(1..60);
                let start = if rng.random_bool(0.2) {
                    Bound::Unbounded
                } else {
                    Bound::Included(a.as_slice())
                };
                let end = if rng.random_bool(0.2) {
                    Bound::Unbounded
                } else {
                    Bound::Excluded(b.as_slice())
                };
                let got = owned(db.scan("kv", start, end, limit).unwrap());
                let want = expected_scan(options.partitioner, &model, start, end, limit);
                assert_eq!(got, want, "seed {seed} op {op}");
            }
            980..=989 => db.flush().unwrap(),
            990..=991 => db.compact("kv").unwrap(),
            992..=994 => {
                // A user-defined compaction of a random subset: purging
                // must consider the SSTables left out.
                let live: Vec<u64> = db.sstables("kv").unwrap().iter().map(|s| s.id).collect();
                let chosen: Vec<u64> = live.into_iter().filter(|_| rng.random_bool(0.5)).collect();
                match db.compact_sstables("kv", &chosen, 0) {
                    Ok(()) => {}
                    // A background compaction took one first.
                    Err(ilion::Error::Invalid(_)) if !chosen.is_empty() => {}
                    Err(e) => panic!("seed {seed} op {op}: {e}"),
                }
            }
            _ => {
                compactions += db.table_stats("kv").unwrap().compactions;
                drop(db);
                db = open(dir.path());
            }
        }
    }
    compactions += db.table_stats("kv").unwrap().compactions;
    assert!(compactions > 0, "seed {seed}: no compaction ran");
    for i in 0..50 {
        let k = format!("k{i}").into_bytes();
        assert_eq!(
            db.get("kv", &k).unwrap().map(|v| v.to_vec()),
            model.get(&k).cloned(),
            "seed {seed} final {i}"
        );
    }
    let everything = (Bound::Unbounded, Bound::Unbounded);
    let all = owned(
        db.scan("kv", everything.0, everything.1, usize::MAX)
            .unwrap(),
    );
    let want = expected_scan(
        options.partitioner,
        &model,
        everything.0,
        everything.1,
        usize::MAX,
    );
    assert_eq!(all, want, "seed {seed}: full scan");
    drop(db);
    let db = open(dir.path());
    for i in 0..50 {
        let k = format!("k{i}").into_bytes();
        assert_eq!(
            db.get("kv", &k).unwrap().map(|v| v.to_vec()),
            model.get(&k).cloned(),
            "seed {seed} reopened {i}"
        );
    }
}

/// Options under a compaction strategy scaled down so that compactions
/// run all the time, tombstones purgeable at once.
fn compacting(strategy: ilion::compaction::Strategy) -> TableOptions {
    TableOptions {
        gc_grace_seconds: 0,
        memtable_bytes: 64 << 10,
        compaction: ilion::compaction::CompactionOptions {
            strategy,
            tombstone_compaction_interval_seconds: 0,
            ..Default::default()
        },
        ..TableOptions::default()
    }
}

fn seeds() -> u64 {
    std::env::var("ILION_KV_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(25)
}

#[test]
fn puts_deletes_flushes_and_reopens_match_the_model() {
    for seed in 0..seeds() {
        run(seed, 2_000, &TableOptions::default());
    }
}

/// Small memtables (background flushes), tiny chunks in nb, compressed or
/// not, ByteOrdered.
#[test]
fn small_memtables_tiny_chunks_byte_ordered_match_the_model() {
    for seed in 0..seeds() {
        let small = TableOptions {
            partitioner: Partitioner::ByteOrdered,
            version: ilion::sstable::version::Version::NB,
            compression: seed % 2 == 0,
            chunk_length: 1024,
            memtable_bytes: 64 << 10,
            ..TableOptions::default()
        };
        run(seed, 2_000, &small);
    }
}

#[test]
fn expired_values_read_as_absent() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    db.create_key_value_table("kv").unwrap();
    db.put_with_ttl("kv", b"k", b"v", 1).unwrap();
    assert_eq!(db.get("kv", b"k").unwrap().as_deref(), Some(&b"v"[..]));
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(db.get("kv", b"k").unwrap().map(|v| v.to_vec()), None);
}

#[test]
fn flushed_data_leaves_the_commitlog_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = open(dir.path());
        db.create_key_value_table("kv").unwrap();
        for i in 0..100u32 {
            db.put("kv", &i.to_be_bytes(), b"x").unwrap();
        }
        db.flush().unwrap();
        assert_eq!(db.table_stats("kv").unwrap().sstable_count, 1);
        db.put("kv", b"after", b"flush").unwrap();
    }
    let db = open(dir.path());
    assert_eq!(db.table_stats("kv").unwrap().sstable_count, 1);
    for i in 0..100u32 {
        assert_eq!(
            db.get("kv", &i.to_be_bytes()).unwrap().as_deref(),
            Some(&b"x"[..])
        );
    }
    assert_eq!(
        db.get("kv", b"after").unwrap().as_deref(),
        Some(&b"flush"[..])
    );
}

#[test]
fn full_memtables_flush_in_the_background() {
    use ilion::commitlog::{CommitLogOptions, SyncMode};
    let dir = tempfile::tempdir().unwrap();
    let options = || Options {
        commitlog: CommitLogOptions {
            sync_mode: SyncMode::Periodic {
                period: std::time::Duration::from_millis(10),
            },
            ..CommitLogOptions::default()
        },
        ..Options::default()
    };
    {
        let db = Db::open(dir.path(), options()).unwrap();
        db.create_table(
            "kv",
            ilion::sstable::schema::TableSchema::key_value(),
            ilion::TableOptions {
                memtable_bytes: 64 << 10,
                ..ilion::TableOptions::default()
            },
        )
        .unwrap();
        for i in 0..5000u32 {
            db.put("kv", &i.to_be_bytes(), &[i as u8; 100]).unwrap();
        }
        // Flushes ran on their own while the writes went on (compactions
        // may have merged their SSTables since).
        let sstables = db.table_stats("kv").unwrap().flushes;
        // About 1.3 MB in 64 KiB memtables: several flushes (how many
        // depends on how far writes ran ahead of the flush thread).
        assert!(sstables >= 2, "{sstables} SSTables");
        for i in 0..5000u32 {
            assert_eq!(
                db.get("kv", &i.to_be_bytes()).unwrap().map(|v| v.to_vec()),
                Some(vec![i as u8; 100])
            );
        }
        eprintln!(
            "{sstables} SSTables, {} stalls",
            db.table_stats("kv").unwrap().write_stalls
        );
    }
    let db = Db::open(dir.path(), options()).unwrap();
    for i in 0..5000u32 {
        assert_eq!(
            db.get("kv", &i.to_be_bytes()).unwrap().map(|v| v.to_vec()),
            Some(vec![i as u8; 100]),
            "{i}"
        );
    }
}

#[test]
fn point_reads_stop_at_the_newest_sstable_that_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    // Five SSTables that stay five: no compaction.
    let options = TableOptions {
        compaction: ilion::compaction::CompactionOptions {
            enabled: false,
            ..Default::default()
        },
        ..TableOptions::default()
    };
    db.create_table("kv", TableSchema::key_value(), options)
        .unwrap();
    for round in 0..5u32 {
        db.put("kv", b"hot", &round.to_be_bytes()).unwrap();
        db.put("kv", &round.to_be_bytes(), b"cold").unwrap();
        db.flush().unwrap();
    }
    assert_eq!(db.table_stats("kv").unwrap().sstable_count, 5);
    let before = db.table_stats("kv").unwrap().sstables_read;
    assert_eq!(
        db.get("kv", b"hot").unwrap().map(|v| v.to_vec()),
        Some(4u32.to_be_bytes().to_vec())
    );
    // The newest SSTable holds a newer value than anything in the others.
    assert_eq!(db.table_stats("kv").unwrap().sstables_read - before, 1);
    // A key only the oldest SSTable holds needs them all.
    let before = db.table_stats("kv").unwrap().sstables_read;
    assert_eq!(
        db.get("kv", &0u32.to_be_bytes())
            .unwrap()
            .map(|v| v.to_vec()),
        Some(b"cold".to_vec())
    );
    assert_eq!(db.table_stats("kv").unwrap().sstables_read - before, 5);
    // A deletion newer than every SSTable stops at the memtable.
    db.delete("kv", b"hot").unwrap();
    let before = db.table_stats("kv").unwrap().sstables_read;
    assert_eq!(db.get("kv", b"hot").unwrap().map(|v| v.to_vec()), None);
    assert_eq!(db.table_stats("kv").unwrap().sstables_read - before, 0);
}

#[test]
fn a_commitlog_past_its_cap_gets_its_tables_flushed() {
    use ilion::commitlog::{CommitLogOptions, SyncMode};
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        commitlog: CommitLogOptions {
            segment_size: 128 << 10,
            sync_mode: SyncMode::Periodic {
                period: std::time::Duration::from_millis(10),
            },
            ..CommitLogOptions::default()
        },
        commitlog_total_bytes: 512 << 10,
        ..Options::default()
    };
    let db = Db::open(dir.path(), options).unwrap();
    // Memtables far larger than the data: only the cap can flush them.
    db.create_key_value_table("kv").unwrap();
    let segments = || {
        std::fs::read_dir(dir.path().join("commitlog"))
            .unwrap()
            .count()
    };
    for i in 0..20_000u32 {
        db.put("kv", &i.to_be_bytes(), &[7; 100]).unwrap();
    }
    // About 2.6 MB went through 128 KiB segments, and no memtable filled:
    // only the cap can have flushed.
    assert!(db.table_stats("kv").unwrap().sstable_count >= 1, "no flush");
    // Flushes run in the background, behind the writes; as writes go on,
    // the log comes back to its 512 KiB cap (a few segments).
    let mut settled = false;
    for round in 0..200u32 {
        if segments() <= 8 {
            settled = true;
            break;
        }
        for j in 0..64u32 {
            db.put("kv", &(1_000_000 + round * 64 + j).to_be_bytes(), b"x")
                .unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(settled, "{} segments", segments());
    for i in (0..20_000u32).step_by(997) {
        assert_eq!(
            db.get("kv", &i.to_be_bytes()).unwrap().map(|v| v.to_vec()),
            Some(vec![7; 100])
        );
    }
}

#[test]
fn stats_count_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    db.create_key_value_table("kv").unwrap();
    for i in 0..200u32 {
        db.put("kv", &i.to_be_bytes(), b"v").unwrap();
    }
    db.flush().unwrap();
    for i in 0..100u32 {
        db.put("kv", &(1000 + i).to_be_bytes(), b"v").unwrap();
    }
    for i in 0..300u32 {
        db.get("kv", &i.to_be_bytes()).unwrap().map(|v| v.to_vec());
    }
    let stats = db.stats();
    assert_eq!(stats.len(), 1);
    let s = &stats[0];
    assert_eq!((s.keyspace.as_str(), s.table.as_str()), ("ilion", "kv"));
    assert_eq!(s.writes.count, 300);
    assert_eq!(s.reads.count, 300);
    assert!(s.writes.p50_us > 0 && s.writes.max_us >= s.writes.p99_us);
    assert_eq!((s.sstable_count, s.flushes), (1, 1));
    assert_eq!(s.estimated_partitions, 300);
    assert!(s.disk_bytes > 0 && s.memtable_bytes > 0);
    // Keys 200..300 are absent from the SSTable: the filter lets a few
    // through at its 1 % false-positive chance.
    assert!(s.bloom_false_positives <= 10, "{}", s.bloom_false_positives);
    assert!(s.sstables_per_read_max <= 1);
}

fn strategy_seeds() -> u64 {
    (seeds() / 3).max(1)
}

#[test]
fn size_tiered_compaction_matches_the_model() {
    use ilion::compaction::{SizeTieredOptions, Strategy};
    let options = compacting(Strategy::SizeTiered(SizeTieredOptions {
        min_threshold: 2,
        min_sstable_bytes: 4 << 10,
        ..Default::default()
    }));
    for seed in 0..strategy_seeds() {
        run(100 + seed, 2_000, &options);
    }
}

#[test]
fn leveled_compaction_matches_the_model() {
    use ilion::compaction::{LeveledOptions, Strategy};
    let options = compacting(Strategy::Leveled(LeveledOptions {
        sstable_bytes: 64 << 10,
        fanout: 2,
        l0_size_tiered_threshold: 4,
        ..Default::default()
    }));
    for seed in 0..strategy_seeds() {
        run(200 + seed, 2_000, &options);
    }
}

#[test]
fn time_window_compaction_matches_the_model() {
    use ilion::compaction::{Strategy, TimeWindowOptions};
    let options = compacting(Strategy::TimeWindow(TimeWindowOptions {
        window_seconds: 1,
        min_threshold: 2,
        ..Default::default()
    }));
    for seed in 0..strategy_seeds() {
        run(300 + seed, 2_000, &options);
    }
}

#[test]
fn unified_compaction_matches_the_model() {
    use ilion::compaction::{Strategy, UnifiedOptions};
    let options = compacting(Strategy::Unified(UnifiedOptions {
        scaling_parameters: vec![2, -2],
        target_sstable_bytes: 64 << 10,
        min_sstable_bytes: 16 << 10,
        ..Default::default()
    }));
    for seed in 0..strategy_seeds() {
        run(400 + seed, 2_000, &options);
    }
}

/// BTI tables (`da`): the model test under both partitioners, with
/// background flushes and compactions.
#[test]
fn bti_tables_match_the_model() {
    for seed in (0..seeds()).step_by(2) {
        let options = TableOptions {
            version: ilion::sstable::version::Version::DA,
            partitioner: if seed % 2 == 0 {
                Partitioner::Murmur3
            } else {
                Partitioner::ByteOrdered
            },
            ..compacting(ilion::compaction::Strategy::SizeTiered(Default::default()))
        };
        run(seed, 2_000, &options);
    }
}

/// A BTI table's flushes and compactions write `da` SSTables: tries, no
/// Index.db or Summary.db; they read back after a reopen.
#[test]
fn bti_tables_flush_and_compact_to_da_sstables() {
    let dir = tempfile::tempdir().unwrap();
    let options = TableOptions {
        version: ilion::sstable::version::Version::DA,
        ..TableOptions::default()
    };
    let table_dir = {
        let db = open(dir.path());
        let table = db
            .create_table("kv", TableSchema::key_value(), options)
            .unwrap();
        for round in 0..3u32 {
            for i in 0..500u32 {
                db.put("kv", &i.to_be_bytes(), &(i + round).to_be_bytes())
                    .unwrap();
            }
            db.flush().unwrap();
        }
        db.compact("kv").unwrap();
        table.directory.clone()
    };
    let names: Vec<String> = std::fs::read_dir(&table_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with("-bti-Partitions.db")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.ends_with("-bti-Rows.db")),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with("Index.db") || n.ends_with("Summary.db")),
        "{names:?}"
    );
    let db = open(dir.path());
    for i in 0..500u32 {
        let value = db.get("kv", &i.to_be_bytes()).unwrap().unwrap();
        assert_eq!(value.as_ref(), (i + 2).to_be_bytes());
    }
    assert!(db.get("kv", b"absent").unwrap().is_none());
}
