//! Power loss at random I/O points during compactions, through the
//! simulated file system. Each trial loads a key-value table (64 KiB
//! memtables, gc_grace 0, a strategy cycling over size-tiered, leveled,
//! unified and time-window with small sizes) into several SSTables with no
//! fault armed: puts, overwrites and deletes of keys living in older
//! SSTables, some deletions back-dated so that compaction may purge them
//! at once, and one flush of deletions only (a fully expired SSTable).
//! Then the machine is set to stop after a random number of file
//! operations, drawn within what the compaction phase takes (measured by a
//! dry run per strategy), and that phase runs: background compaction is
//! enabled (one or two threads), a user-defined compaction
//! (`Db::compact_sstables`), a major compaction (`Db::compact`) and
//! writes in between. When the machine stops, `SimFs::crash` drops what
//! was not synced, and the reopened database must hold exactly the
//! acknowledged data: acknowledged puts with their latest value,
//! acknowledged deletes absent, a failed operation either way, a full scan
//! equal to the model with no key twice; no `*_txn_*.log`, `tmp-` or stray
//! component may remain, and the logs the crash left must have been
//! resolved as they say (a committed transaction's inputs gone, an
//! uncommitted one's outputs gone). Every other trial the power is cut a
//! second time at a random operation of the recovering open. A major
//! compaction after recovery must keep the data as it is.
//!
//! CI runs 100 trials; `ILION_POWER_LOSS_COMPACTION_TRIALS` runs more and
//! `ILION_POWER_LOSS_COMPACTION_TRIAL=<n>` only trial `n` (the workload and
//! the cut are seeded by the trial number; the interleaving of background
//! compaction threads is not).

#![allow(clippy::unwrap_used)]

mod common;

use common::{env_u64, expected_race, is_log, names, value, Logs, State};
use ilion::compaction::CompactionOptions;
use ilion::sstable::reconcile::DeletionTime;
use ilion::sstable::rows::Partition;
use ilion::vfs::SimFs;
use ilion::{Db, Options};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

const KEYS: u32 = 300;

/// The compaction options of `trial` (time windows of 1 s), background
/// compaction on or off.
fn strategy(trial: u64, enabled: bool) -> CompactionOptions {
    CompactionOptions {
        enabled,
        ..common::strategy(trial, 1)
    }
}

fn options(sim: &Arc<SimFs>, compaction_threads: usize) -> Options {
    Options {
        compaction_threads,
        compaction_throughput_bytes_per_second: 0,
        ..common::sim_options(sim)
    }
}

/// What was acknowledged, and the operation that failed (either outcome
/// is right for it).
#[derive(Debug, Default)]
struct Model {
    keys: BTreeMap<u32, State>,
    unsure: Option<(u32, State)>,
    acknowledged: usize,
}

/// A deletion whose local deletion time lies an hour back: past gc_grace
/// (0) at once, so that compactions may purge it.
fn delete_backdated(db: &Db, key: u32) -> ilion::Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    db.write(
        "kv",
        Partition {
            key: key.to_be_bytes().to_vec(),
            deletion: DeletionTime {
                marked_for_delete_at: db.timestamp(),
                local_deletion_time: now - 3600,
            },
            static_row: None,
            unfiltereds: Vec::new(),
        },
    )
}

/// The workload's writes: each acknowledged one goes into the model;
/// the first failure is recorded as unsure and ends them.
struct Writer {
    rng: StdRng,
    round: u64,
}

impl Writer {
    /// One operation on a random key: a put (`put_share` of them), else a
    /// delete of a key holding a value (back-dated when `put_share` is 0,
    /// else seven times in ten).
    fn op(&mut self, db: &Db, model: &mut Model, put_share: f64) -> ilion::Result<()> {
        let live: Vec<u32> = model
            .keys
            .iter()
            .filter(|(_, s)| s.is_some())
            .map(|(k, _)| *k)
            .collect();
        self.round += 1;
        let round = self.round;
        let (key, after, result) = if live.is_empty() || self.rng.random_bool(put_share) {
            let key = self.rng.random_range(0..KEYS);
            let r = db.put("kv", &key.to_be_bytes(), &value(key.into(), round));
            (key, Some(round), r)
        } else {
            // Deletions of keys that hold values, mostly in older SSTables.
            let key = live[self.rng.random_range(0..live.len())];
            let r = if put_share == 0.0 || self.rng.random_bool(0.7) {
                delete_backdated(db, key)
            } else {
                db.delete("kv", &key.to_be_bytes())
            };
            (key, None, r)
        };
        match result {
            Ok(()) => {
                model.keys.insert(key, after);
                model.acknowledged += 1;
                Ok(())
            }
            Err(e) => {
                model.unsure = Some((key, after));
                Err(e)
            }
        }
    }

    fn ops(&mut self, db: &Db, model: &mut Model, n: usize, put_share: f64) -> ilion::Result<()> {
        for _ in 0..n {
            self.op(db, model, put_share)?;
        }
        Ok(())
    }
}

/// A database on `sim` with the table of `trial`, background compaction
/// disabled, loaded into several SSTables with no fault armed.
fn load(sim: &Arc<SimFs>, trial: u64, model: &mut Model) -> (Db, PathBuf, Writer) {
    let threads = 1 + (trial / 4 % 2) as usize;
    let db = Db::open(Path::new("/db"), options(sim, threads)).unwrap();
    let dir = common::create_table(&db, strategy(trial, false));
    let mut writer = Writer {
        rng: StdRng::seed_from_u64(trial),
        round: 0,
    };
    // Fresh keys, then overwrites and deletes of what older SSTables
    // hold; one flush of deletions only.
    for (n, put_share) in [(120, 1.0), (100, 0.8), (100, 0.6), (60, 0.0), (100, 0.6)] {
        writer.ops(&db, model, n, put_share).unwrap();
        db.flush().unwrap();
    }
    (db, dir, writer)
}

/// The compaction phase: background compaction on, a user-defined and a
/// major compaction, writes in between. Stops at the first failure.
fn compaction_phase(
    db: &Db,
    sim: &SimFs,
    trial: u64,
    writer: &mut Writer,
    model: &mut Model,
    spans: &mut Vec<(u64, u64)>,
) -> ilion::Result<()> {
    let start = sim.op_count();
    db.set_compaction("kv", strategy(trial, true))?;
    writer.ops(db, model, 15, 0.6)?;
    let chosen = common::choose_sstables(db, &mut writer.rng, 3)?;
    if !chosen.is_empty() {
        let from = sim.op_count() - start;
        match db.compact_sstables("kv", &chosen, 0) {
            Err(e) if expected_race(&e) => {}
            other => other?,
        }
        spans.push((from, sim.op_count() - start));
    }
    writer.ops(db, model, 15, 0.6)?;
    let from = sim.op_count() - start;
    db.compact("kv")?;
    spans.push((from, sim.op_count() - start));
    writer.ops(db, model, 15, 0.6)?;
    db.flush()
}

fn directory_logs(sim: &SimFs, dir: &Path) -> Logs {
    common::directory_logs(names(sim, dir), |name| {
        sim.contents(&dir.join(name)).unwrap_or_default()
    })
    .1
}

/// Checks the reopened table's files and data against the model (the
/// unsure operation is resolved to what was read). Returns the keys
/// checked.
fn check(db: &Db, sim: &SimFs, dir: &Path, logs: &Logs, model: &mut Model, what: &str) -> usize {
    let unsure = model.unsure.take();
    common::check(
        db,
        names(sim, dir),
        logs,
        &mut model.keys,
        unsure.as_slice(),
        0..KEYS,
        what,
    )
}

/// The compaction phase of a trial's strategy and thread count with
/// nothing failing: how many file operations it takes and where its
/// foreground compactions lie in them. Also checks that it compacts with
/// no failure and keeps the data right.
#[derive(Debug)]
struct Phase {
    ops: u64,
    spans: Vec<(u64, u64)>,
}

fn dry_run(trial: u64) -> Phase {
    let sim = Arc::new(SimFs::new());
    let mut model = Model::default();
    let (db, dir, mut writer) = load(&sim, trial, &mut model);
    let before = db.table_stats("kv").unwrap();
    let start = sim.op_count();
    let mut spans = Vec::new();
    compaction_phase(&db, &sim, trial, &mut writer, &mut model, &mut spans).unwrap();
    let ops = sim.op_count() - start;
    let after = db.table_stats("kv").unwrap();
    assert!(
        after.compactions > before.compactions,
        "dry run {trial}: nothing compacted"
    );
    assert_eq!(
        after.compaction_failures, 0,
        "dry run {trial}: a compaction failed"
    );
    drop(db);
    let db = Db::open(Path::new("/db"), options(&sim, 0)).unwrap();
    check(
        &db,
        &sim,
        &dir,
        &Logs::default(),
        &mut model,
        &format!("dry run {trial}"),
    );
    Phase { ops, spans }
}

impl Phase {
    /// A cut point: three times in four inside a foreground compaction
    /// (background ones run around them too), else anywhere.
    fn draw(&self, rng: &mut StdRng) -> u64 {
        let inside: u64 = self.spans.iter().map(|(a, b)| b - a).sum();
        if inside == 0 || rng.random_bool(0.25) {
            return rng.random_range(0..self.ops.max(1));
        }
        let mut at = rng.random_range(0..inside);
        for (a, b) in &self.spans {
            if at < b - a {
                return a + at;
            }
            at -= b - a;
        }
        unreachable!("within the spans")
    }
}

/// Opens the database after a crash, cutting the power once more within
/// recovery first: a copy of the file system measures how many operations
/// opening takes, the cut falls at a random one of them, and the second
/// crash is recovered from with no fault.
fn reopen_cut_in_recovery(sim: &Arc<SimFs>, rng: &mut StdRng, seed: u64, what: &str) -> bool {
    let copy = Arc::new(sim.process_crash_image());
    let ops = {
        let db = Db::open(Path::new("/db"), options(&copy, 0))
            .unwrap_or_else(|e| panic!("{what}: reopen failed: {e}"));
        let ops = copy.op_count();
        drop(db);
        ops
    };
    sim.fail_after(rng.random_range(0..ops.max(1)));
    let cut = Db::open(Path::new("/db"), options(sim, 0)).is_err();
    sim.crash(seed);
    cut
}

#[test]
fn compactions_survive_power_loss_at_random_io_points() {
    let trials = env_u64("ILION_POWER_LOSS_COMPACTION_TRIALS").unwrap_or(100);
    let only = env_u64("ILION_POWER_LOSS_COMPACTION_TRIAL");
    let started = Instant::now();
    // The compaction phase per strategy and thread count.
    let phases: Vec<Phase> = (0..8).map(dry_run).collect();
    let (mut checked, mut acknowledged, mut run) = (0usize, 0usize, 0usize);
    let (mut in_compaction, mut committed_at_cut, mut after_phase) = (0usize, 0usize, 0usize);
    let (mut recovery_cuts, mut purged) = (0usize, 0usize);
    for trial in (0..trials).filter(|t| only.is_none_or(|o| o == *t)) {
        run += 1;
        let what = format!("trial {trial}");
        let sim = Arc::new(SimFs::new());
        let mut model = Model::default();
        let (db, dir, mut writer) = load(&sim, trial, &mut model);
        let mut cut_rng = StdRng::seed_from_u64(trial ^ 0x5EED);
        let budget = phases[(trial % 8) as usize].draw(&mut cut_rng);
        let start = sim.op_count();
        sim.fail_after(budget);
        let result = compaction_phase(&db, &sim, trial, &mut writer, &mut model, &mut Vec::new());
        let stopped = sim.op_count() >= start + budget;
        match result {
            Ok(()) => after_phase += usize::from(!stopped),
            Err(e) => assert!(stopped, "{what}: failed with the machine running: {e}"),
        }
        // What the stop left, as the directory stood (no crash yet).
        let image = sim.process_crash_image();
        if names(&image, &dir).iter().any(|n| is_log(n)) {
            in_compaction += 1;
        }
        drop(db);
        sim.crash(trial);
        let logs = directory_logs(&sim, &dir);
        if logs.committed > 0 {
            committed_at_cut += 1;
        }
        // Every other trial, the power goes again during recovery.
        if trial % 2 == 1 && reopen_cut_in_recovery(&sim, &mut cut_rng, trial ^ 1, &what) {
            recovery_cuts += 1;
        }
        let db = Db::open(Path::new("/db"), options(&sim, 0))
            .unwrap_or_else(|e| panic!("{what}: reopen failed: {e}"));
        acknowledged += model.acknowledged;
        checked += check(&db, &sim, &dir, &logs, &mut model, &what);
        // The recovered table compacts, and keeps its data doing so.
        db.compact("kv").unwrap();
        checked += check(
            &db,
            &sim,
            &dir,
            &Logs::default(),
            &mut model,
            &format!("{what}, compacted after recovery"),
        );
        // Fewer partitions than keys ever written: deletions were purged.
        let partitions: u64 = db
            .sstables("kv")
            .unwrap()
            .iter()
            .map(|s| s.partitions)
            .sum();
        if partitions < model.keys.len() as u64 {
            purged += 1;
        }
    }
    let ops: Vec<u64> = phases.iter().map(|p| p.ops).collect();
    eprintln!(
        "{run} power cuts in {:?} (compaction phases of {ops:?} operations): \
         {in_compaction} inside a compaction ({committed_at_cut} left a committed log), \
         {after_phase} after the phase, {recovery_cuts} second cuts during recovery, \
         {purged} trials purging deletions; \
         {acknowledged} acknowledged operations, {checked} keys checked",
        started.elapsed()
    );
    assert!(run > 0 && checked > 0 && acknowledged > 0);
    if only.is_none() {
        assert!(
            in_compaction * 2 > run,
            "only {in_compaction} of {run} cuts fell inside a compaction"
        );
        assert!(recovery_cuts > 0, "no cut fell inside recovery");
        assert!(purged > 0, "no compaction purged a deletion");
    }
}
