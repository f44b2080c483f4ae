//! Crash test of compaction under SIGKILL: a child process (this test
//! binary re-executed with `ILION_KILL_COMPACTION_CHILD_*` set) opens a
//! database whose key-value table has 64 KiB memtables, gc_grace 0 and a
//! strategy that changes every iteration (size-tiered, leveled, unified,
//! time-window, all with small sizes so that they compact often), with two
//! background compaction threads, throttled or not. One thread puts,
//! overwrites and deletes keys in Batch mode, announcing each operation on
//! stdout before it starts ("P"/"D") and acknowledging it once it returned
//! ("A"); another runs major (`Db::compact`) and user-defined
//! (`Db::compact_sstables`) compactions now and then. The parent kills the
//! child with SIGKILL after a random delay, lists the table directory at
//! once (a compaction transaction log there means the kill landed inside a
//! compaction), reopens and checks:
//! - every acknowledged put reads as its latest value, every acknowledged
//!   delete reads as absent (nothing resurrected: deleted keys have older
//!   values in other SSTables), the one announced but unacknowledged
//!   operation reads as before or after it;
//! - a full scan returns exactly the model's keys and values, no key twice;
//! - no `*_txn_*.log`, `tmp-` or stray SSTable component is left, and the
//!   logs found at the kill were resolved as they say: inputs of a
//!   committed transaction are gone, outputs of an uncommitted one too.
//!
//! Half the time a kill leaves a transaction log, the next child is killed
//! too, early (within its start-up time, while it opens the database and
//! recovers the log), before the parent reopens and checks.
//!
//! CI kills 20 times (plus the early kills) and requires at least one kill inside a compaction;
//! `ILION_KILL_COMPACTION_ITERATIONS` runs more (`ILION_KILL_COMPACTION_SEED`
//! changes the random delays and workloads).

#![allow(clippy::unwrap_used)]

mod common;

use common::{check, env_u64, expected_race, value, Logs, State};
use ilion::commitlog::{CommitLogOptions, SyncMode};
use ilion::compaction::CompactionOptions;
use ilion::vfs::RealFs;
use ilion::{Db, Options};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Keys written: few enough that most are overwritten or deleted across
/// SSTables.
const KEYS: u64 = 600;

/// The compaction options of iteration `i` (time windows of 2 s).
fn strategy(i: usize) -> CompactionOptions {
    common::strategy(i as u64, 2)
}

fn options(compaction_threads: usize, throughput: u64) -> Options {
    Options {
        commitlog: CommitLogOptions {
            sync_mode: SyncMode::Batch,
            ..CommitLogOptions::default()
        },
        compaction_threads,
        compaction_throughput_bytes_per_second: throughput,
        ..Options::default()
    }
}

/// Prints one line in one write: lines of both threads never mix.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

/// Runs major and user-defined compactions until killed.
fn compactor(db: &Db, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xC0);
    // One right away: the kill may come early.
    let mut first = true;
    loop {
        if !first {
            std::thread::sleep(Duration::from_millis(rng.random_range(5..60)));
        }
        let result = match (first, rng.random_range(0..4)) {
            (true, _) | (false, 0) => db.compact("kv"),
            (false, 1) => {
                let chosen = common::choose_sstables(db, &mut rng, 4).unwrap();
                if chosen.is_empty() {
                    continue;
                }
                db.compact_sstables("kv", &chosen, 0)
            }
            _ => Ok(()),
        };
        first = false;
        match result {
            Ok(()) => {}
            Err(e) if expected_race(&e) => {}
            Err(e) => say(&format!("E compaction failed: {e}")),
        }
        let stats = db.table_stats("kv").unwrap();
        if stats.compaction_failures > 0 {
            say("E a background compaction failed");
        }
        say(&format!("C {}", stats.compactions));
    }
}

/// The child half: writes and compacts until killed.
#[test]
fn kill_compaction_child() {
    let Ok(dir) = std::env::var("ILION_KILL_COMPACTION_CHILD_DIR") else {
        return;
    };
    let start = env_u64("ILION_KILL_COMPACTION_CHILD_ROUND").unwrap();
    let seed = env_u64("ILION_KILL_COMPACTION_CHILD_SEED").unwrap();
    let throughput = env_u64("ILION_KILL_COMPACTION_CHILD_THROUGHPUT").unwrap();
    // End the line the test harness started ("test kill_compaction_child
    // ... "), so that the first operation's line parses.
    say("");
    let db = Db::open(Path::new(&dir), options(2, throughput)).unwrap();
    let background = db.clone();
    std::thread::spawn(move || compactor(&background, seed));
    let mut rng = StdRng::seed_from_u64(seed);
    for round in start.. {
        let key = rng.random_range(0..KEYS);
        if rng.random_bool(0.3) {
            say(&format!("D {key} {round}"));
            db.delete("kv", &key.to_be_bytes()).unwrap();
        } else {
            say(&format!("P {key} {round}"));
            db.put("kv", &key.to_be_bytes(), &value(key, round))
                .unwrap();
        }
        say(&format!("A {round}"));
    }
}

/// What the model knows of each key.
type Model = BTreeMap<u64, State>;

/// One line of the child's output.
#[derive(Debug)]
enum Line {
    Put(u64, u64),
    Delete(u64, u64),
    Ack(u64),
    Compactions(u64),
    Failure(String),
}

fn parse_line(line: &str) -> Option<Line> {
    let mut parts = line.splitn(3, ' ');
    let kind = parts.next()?;
    let mut num = || parts.next().and_then(|p| p.parse::<u64>().ok());
    Some(match kind {
        "P" => Line::Put(num()?, num()?),
        "D" => Line::Delete(num()?, num()?),
        "A" => Line::Ack(num()?),
        "C" => Line::Compactions(num()?),
        "E" => Line::Failure(line.to_string()),
        _ => return None,
    })
}

/// The names of the transaction logs in the table directory `dir`, and
/// what they say.
fn directory_logs(dir: &Path) -> (Vec<String>, Logs) {
    common::directory_logs(common::names(&RealFs, dir), |name| {
        std::fs::read(dir.join(name)).unwrap_or_default()
    })
}

/// The result of one kill.
struct Kill {
    acknowledged: usize,
    compactions: u64,
    /// The names of the transaction logs the kill left, and what they say.
    log_names: Vec<String>,
    logs: Logs,
    tmp_files: bool,
    next_round: u64,
    /// From spawning the child to its first acknowledgement.
    startup: Option<Duration>,
}

/// When a child is killed.
#[derive(Debug, Clone, Copy)]
enum When {
    /// This long after its first acknowledgement.
    AfterFirstAck(Duration),
    /// This long after it was spawned, maybe before it acknowledged
    /// anything (while it opens the database and recovers).
    AfterSpawn(Duration),
}

/// Runs a child writing from `round`, kills it and applies what it
/// acknowledged to `model`; an announced but unacknowledged operation goes
/// to `uncertain` (a later acknowledged one on its key supersedes it).
#[allow(clippy::too_many_arguments)]
fn kill_one(
    dir: &Path,
    table_dir: &Path,
    round: u64,
    seed: u64,
    throughput: u64,
    when: When,
    model: &mut Model,
    uncertain: &mut Vec<(u64, State)>,
) -> Kill {
    let stderr_path = dir.join("child-stderr.txt");
    let (mut child, rx, reader) = common::spawn_child(
        "kill_compaction_child",
        [
            (
                "ILION_KILL_COMPACTION_CHILD_DIR",
                dir.join("db").into_os_string(),
            ),
            (
                "ILION_KILL_COMPACTION_CHILD_ROUND",
                round.to_string().into(),
            ),
            ("ILION_KILL_COMPACTION_CHILD_SEED", seed.to_string().into()),
            (
                "ILION_KILL_COMPACTION_CHILD_THROUGHPUT",
                throughput.to_string().into(),
            ),
        ],
        std::fs::File::create(&stderr_path).unwrap().into(),
        parse_line,
    );
    let mut early = Vec::new();
    let started = Instant::now();
    let mut startup = None;
    while matches!(when, When::AfterFirstAck(_)) && started.elapsed() < Duration::from_secs(60) {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                let ack = matches!(line, Line::Ack(_));
                early.push(line);
                if ack {
                    startup = Some(started.elapsed());
                    break;
                }
            }
            Err(_) => {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
            }
        }
    }
    match when {
        When::AfterFirstAck(delay) => std::thread::sleep(delay),
        When::AfterSpawn(delay) => std::thread::sleep(delay.saturating_sub(started.elapsed())),
    }
    let exited = child.try_wait().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    // Before anything else touches the directory: what the kill left.
    let (log_names, logs) = directory_logs(table_dir);
    let tmp_files = common::names(&RealFs, table_dir)
        .iter()
        .any(|n| n.starts_with("tmp-"));
    reader.join().unwrap();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(
        exited.is_none(),
        "the child exited by itself ({exited:?}) before the kill:\n{stderr}"
    );
    let mut kill = Kill {
        acknowledged: 0,
        compactions: 0,
        log_names,
        logs,
        tmp_files,
        next_round: round,
        startup,
    };
    let mut pending: Option<(u64, u64, State)> = None;
    for line in early.into_iter().chain(rx.try_iter()) {
        match line {
            Line::Put(key, r) => pending = Some((r, key, Some(r))),
            Line::Delete(key, r) => pending = Some((r, key, None)),
            Line::Ack(r) => {
                let (pr, key, after) = pending.take().unwrap();
                assert_eq!(pr, r, "acknowledged round {r} was not announced");
                model.insert(key, after);
                uncertain.retain(|(k, _)| *k != key);
                kill.acknowledged += 1;
                kill.next_round = r + 1;
            }
            Line::Compactions(n) => kill.compactions = kill.compactions.max(n),
            Line::Failure(e) => panic!("child: {e}\n{stderr}"),
        }
    }
    assert!(
        kill.acknowledged > 0 || matches!(when, When::AfterSpawn(_)),
        "the child acknowledged nothing:\n{stderr}"
    );
    if let Some((r, key, after)) = pending {
        uncertain.push((key, after));
        kill.next_round = r + 1;
    }
    kill
}

#[test]
fn compactions_survive_sigkill() {
    let iterations = env_u64("ILION_KILL_COMPACTION_ITERATIONS").unwrap_or(20) as usize;
    let seed = env_u64("ILION_KILL_COMPACTION_SEED").unwrap_or(23);
    let dir = tempfile::tempdir().unwrap();
    let db_dir: PathBuf = dir.path().join("db");
    let table_dir = {
        let db = Db::open(&db_dir, options(0, 0)).unwrap();
        common::create_table(&db, strategy(0))
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model = Model::new();
    let mut round = 0u64;
    let (mut acknowledged, mut checked, mut compactions) = (0usize, 0usize, 0u64);
    let (mut in_compaction, mut committed_at_kill, mut tmp_at_kill) = (0usize, 0usize, 0usize);
    let (mut early_kills, mut early_kills_before_recovery_done) = (0usize, 0usize);
    let mut startup = Duration::from_millis(50);
    let started = Instant::now();
    for iteration in 0..iterations {
        // Unthrottled, or slow enough that a compaction takes a while.
        let throughput = if iteration % 2 == 0 { 0 } else { 2 << 20 };
        let when = When::AfterFirstAck(Duration::from_millis(rng.random_range(30..600)));
        let mut uncertain = Vec::new();
        let kill = kill_one(
            dir.path(),
            &table_dir,
            round,
            rng.random(),
            throughput,
            when,
            &mut model,
            &mut uncertain,
        );
        acknowledged += kill.acknowledged;
        compactions += kill.compactions;
        startup = kill.startup.unwrap_or(startup);
        round = kill.next_round;
        let mut logs = kill.logs;
        if logs.count > 0 {
            in_compaction += 1;
        }
        if logs.committed > 0 {
            committed_at_kill += 1;
        }
        if kill.tmp_files {
            tmp_at_kill += 1;
        }
        // Half the time a kill leaves a transaction, the next child, which
        // recovers it as it opens the database, is killed early too.
        if logs.count > 0 && rng.random_bool(0.5) {
            let when = When::AfterSpawn(startup.mul_f64(rng.random_range(0.0..1.0)));
            let again = kill_one(
                dir.path(),
                &table_dir,
                round,
                rng.random(),
                throughput,
                when,
                &mut model,
                &mut uncertain,
            );
            early_kills += 1;
            acknowledged += again.acknowledged;
            compactions += again.compactions;
            round = again.next_round;
            // While a log of the first kill is still there, the second
            // child had not opened the table: what the first kill's logs
            // say still holds. Once it had, it may have reused the
            // generations of outputs it removed: only its own logs count.
            if again.log_names.iter().any(|n| kill.log_names.contains(n)) {
                early_kills_before_recovery_done += 1;
                logs.count += again.logs.count;
                logs.committed += again.logs.committed;
                logs.removed.extend(again.logs.removed);
                logs.abandoned.extend(again.logs.abandoned);
            } else {
                logs = again.logs;
            }
        }
        let db = Db::open(&db_dir, options(0, 0))
            .unwrap_or_else(|e| panic!("iteration {iteration}: reopen failed: {e}"));
        checked += check(
            &db,
            common::names(&RealFs, &table_dir),
            &logs,
            &mut model,
            &uncertain,
            0..KEYS,
            &format!("iteration {iteration}"),
        );
        db.set_compaction("kv", strategy(iteration + 1)).unwrap();
    }
    eprintln!(
        "{iterations} kills in {:?}: {in_compaction} inside a compaction \
         ({committed_at_kill} after its commit), {tmp_at_kill} with tmp- files, \
         {early_kills} more during the next child's start \
         ({early_kills_before_recovery_done} before it had recovered the log); \
         {compactions} compactions completed by the children; \
         {acknowledged} acknowledged operations, {checked} keys checked",
        started.elapsed()
    );
    assert!(acknowledged > 0 && checked > 0);
    assert!(
        compactions > 0,
        "no compaction completed in any child: the test would prove nothing"
    );
    assert!(
        in_compaction > 0,
        "none of {iterations} kills landed inside a compaction"
    );
}
