//! Crash test: a child process writes through the key-value facade in
//! Batch mode (flushing now and then) and reports each acknowledged write;
//! it is killed with SIGKILL at a random moment; after reopening, every
//! acknowledged write is there. CI kills 20 times; `ILION_KILL_ITERATIONS`
//! runs more.

#![allow(clippy::unwrap_used)]

mod common;

use common::env_u64;
use ilion::{Db, Options};
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn value(key: u64, round: u64) -> Vec<u8> {
    format!("value-{key}-{round}").into_bytes()
}

/// The child half: write until killed. Each write is acknowledged on
/// stdout only after `put` returned.
#[test]
fn kill_writer_child() {
    let Ok(dir) = std::env::var("ILION_KILL_CHILD_DIR") else {
        return;
    };
    let start = env_u64("ILION_KILL_CHILD_ROUND").unwrap();
    let db = Db::open(Path::new(&dir), Options::default()).unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        let key = i % 500;
        db.put("kv", &key.to_be_bytes(), &value(key, start + i))
            .unwrap();
        use std::io::Write;
        writeln!(out, "ack {key} {}", start + i).unwrap();
        out.flush().unwrap();
        if i % 300 == 299 {
            db.flush().unwrap();
        }
    }
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let iterations = env_u64("ILION_KILL_ITERATIONS").unwrap_or(20) as usize;
    let dir = tempfile::tempdir().unwrap();
    Db::open(dir.path(), Options::default())
        .unwrap()
        .create_key_value_table("kv")
        .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    // The last acknowledged round of each key.
    let mut acked: std::collections::HashMap<u64, u64> = Default::default();
    let mut round = 0u64;
    let mut total = 0usize;
    for iteration in 0..iterations {
        let (mut child, rx, reader) = common::spawn_child(
            "kill_writer_child",
            [
                ("ILION_KILL_CHILD_DIR", dir.path().as_os_str().to_owned()),
                ("ILION_KILL_CHILD_ROUND", round.to_string().into()),
            ],
            Stdio::null(),
            |line| {
                let mut parts = line.split_whitespace();
                (parts.next() == Some("ack")).then(|| {
                    let key: u64 = parts.next().unwrap().parse().unwrap();
                    let r: u64 = parts.next().unwrap().parse().unwrap();
                    (key, r)
                })
            },
        );
        // Let it write for a while (its first acknowledgement included).
        let _ = rx.recv_timeout(Duration::from_secs(30));
        let run = Duration::from_millis(rng.random_range(20..300));
        let started = Instant::now();
        while started.elapsed() < run {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        for (key, r) in rx.try_iter() {
            acked.insert(key, r);
            round = round.max(r + 1);
            total += 1;
        }
        // Every acknowledged write is readable after the crash.
        let db = Db::open(dir.path(), Options::default()).unwrap();
        for (&key, &r) in &acked {
            let got = db
                .get("kv", &key.to_be_bytes())
                .unwrap()
                .map(|v| v.to_vec());
            // A later unacknowledged write may have landed too: it is
            // newer, never older.
            let got_round = got
                .as_deref()
                .and_then(|v| std::str::from_utf8(v).ok())
                .and_then(|v| v.rsplit('-').next())
                .and_then(|r| r.parse::<u64>().ok());
            assert!(
                got_round.is_some_and(|g| g >= r),
                "iteration {iteration}: key {key} acknowledged at round {r}, read {got:?}"
            );
        }
        // The next child starts after every round this one may have used.
        round += 1_000_000;
    }
    assert!(total > 0);
    eprintln!("{iterations} kills, {total} acknowledged writes, all readable");
}
