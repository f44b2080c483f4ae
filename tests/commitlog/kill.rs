use crate::common::*;
use ilion_commitlog::{CommitLog, SyncMode};
use ilion_vfs::RealFs;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CHILD_DIR: &str = "ILION_KILL_CHILD_DIR";
const CHILD_START: &str = "ILION_KILL_CHILD_START";
const CHILD_MODE: &str = "ILION_KILL_CHILD_MODE";

fn mode_named(name: &str) -> SyncMode {
    match name {
        "periodic" => SyncMode::Periodic {
            period: Duration::from_secs(3600),
        },
        "group" => SyncMode::Group {
            window: Duration::from_millis(2),
        },
        _ => SyncMode::Batch,
    }
}

fn log_options(mode: &str) -> ilion_commitlog::CommitLogOptions {
    options(256 << 10, mode_named(mode))
}

/// The writer process of the kill test: not a test of its own. When the
/// parent starts this test binary with `ILION_KILL_CHILD_DIR` set, it
/// appends in Batch mode forever and prints `ack N` after each append
/// returns; without the variable it returns at once.
#[test]
#[ignore = "run by kill_test_never_loses_acknowledged_entries as its child process"]
fn kill_test_child_writer() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let start: u64 = std::env::var(CHILD_START).unwrap().parse().unwrap();
    let mode = std::env::var(CHILD_MODE).unwrap();
    let (log, _) = open(Arc::new(RealFs::new()), Path::new(&dir), log_options(&mode)).unwrap();
    let mut out = std::io::stdout().lock();
    for seq in start.. {
        log.append(&[TABLE_A], &payload(seq, 20 + (seq as usize * 7919) % 900))
            .unwrap();
        writeln!(out, "ack {seq}").unwrap();
        out.flush().unwrap();
    }
}

/// Goal: killing the writing process never loses an acknowledged entry.
/// Method: a child process appends in Batch mode and reports each
/// acknowledgement over a pipe; the parent SIGKILLs it at a random moment,
/// replays the directory, and checks that every acknowledged entry is
/// there, in order, with no hole. 20 kills by default;
/// `ILION_KILL_ITERATIONS` asks for more.
#[test]
fn kill_test_never_loses_acknowledged_entries() {
    kill_test("batch", 20, 42);
}

/// Goal: the same holds in Periodic mode, which acknowledges before any
/// fsync: an entry copied into the mapped segment has reached the
/// operating system, which outlives the process.
#[test]
fn kill_test_periodic_mode_never_loses_acknowledged_entries() {
    kill_test("periodic", 10, 43);
}

/// Goal: and in Group mode.
#[test]
fn kill_test_group_mode_never_loses_acknowledged_entries() {
    kill_test("group", 10, 44);
}

fn kill_test(mode: &str, default_iterations: u64, seed: u64) {
    let iterations: u64 = std::env::var("ILION_KILL_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_iterations);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut next_seq = 0u64;
    let mut total_acked = 0u64;
    for kill in 0..iterations {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "kill::kill_test_child_writer",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_START, next_seq.to_string())
            .env(CHILD_MODE, mode)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let acked = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let acked = acked.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Some(seq) = line.strip_prefix("ack ") {
                        acked.lock().unwrap().push(seq.parse::<u64>().unwrap());
                    }
                }
            })
        };
        // Let it start (open and replay) and write for a random while.
        let wait_ms = rng.random_range(20..300);
        let started = std::time::Instant::now();
        while acked.lock().unwrap().is_empty() && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(wait_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let acked = acked.lock().unwrap().clone();
        assert!(
            !acked.is_empty(),
            "kill {kill}: the child acknowledged nothing"
        );

        let entries: Vec<u64> =
            CommitLog::recover(Arc::new(RealFs::new()), dir.path(), log_options(mode))
                .unwrap()
                .map(|e| seq_of(&e.unwrap().payload))
                .collect();
        let from_this_child: Vec<u64> =
            entries.iter().copied().filter(|&s| s >= next_seq).collect();
        let expected: Vec<u64> = (next_seq..next_seq + from_this_child.len() as u64).collect();
        assert_eq!(
            from_this_child, expected,
            "kill {kill}: not a prefix of the child's appends"
        );
        assert!(
            from_this_child.len() >= acked.len(),
            "kill {kill}: {} acknowledged but {} replayed",
            acked.len(),
            from_this_child.len()
        );
        assert!(
            entries.windows(2).all(|w| w[0] < w[1]),
            "kill {kill}: replay out of order"
        );
        total_acked += acked.len() as u64;
        next_seq += from_this_child.len() as u64;
    }
    eprintln!("{mode}: {iterations} kills, {total_acked} acknowledged entries, all replayed");
}
