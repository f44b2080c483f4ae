//! Power loss at random I/O points while a key-value table is written,
//! flushed and deleted from, through the simulated file system: the
//! machine stops after a random number of file operations, then loses
//! everything that was not synced (`SimFs::crash`). Reopening must succeed
//! and show every acknowledged write and delete. CI runs 100 cuts;
//! `ILION_POWER_LOSS_TRIALS` runs more.

#![allow(clippy::unwrap_used)]

mod common;

use common::{env_u64, sim_options};
use ilion::sstable::schema::TableSchema;
use ilion::vfs::SimFs;
use ilion::{Db, TableOptions};
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Last {
    /// The key's put was acknowledged.
    Put,
    /// Its delete was acknowledged.
    Deleted,
    /// Its delete failed: either outcome is right.
    Unsure,
}

/// Writes until the machine stops; returns what was acknowledged.
fn workload(db: &Db, seed: u64) -> HashMap<u32, Last> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut acked: HashMap<u32, Last> = HashMap::new();
    for i in 0..600u32 {
        if i % 150 == 149 && db.flush().is_err() {
            break;
        }
        if i > 10 && rng.random_bool(0.2) {
            let victim = rng.random_range(0..i);
            if acked.get(&victim) == Some(&Last::Put) {
                match db.delete("kv", &victim.to_be_bytes()) {
                    Ok(()) => acked.insert(victim, Last::Deleted),
                    Err(_) => {
                        acked.insert(victim, Last::Unsure);
                        break;
                    }
                };
                continue;
            }
        }
        match db.put("kv", &i.to_be_bytes(), &i.to_le_bytes().repeat(30)) {
            Ok(()) => {
                acked.insert(i, Last::Put);
            }
            Err(_) => break,
        }
    }
    acked
}

fn fresh(sim: &Arc<SimFs>) -> Db {
    let db = Db::open(Path::new("/db"), sim_options(sim)).unwrap();
    db.create_table(
        "kv",
        TableSchema::key_value(),
        TableOptions {
            memtable_bytes: 64 << 10,
            ..TableOptions::default()
        },
    )
    .unwrap();
    db
}

#[test]
fn acknowledged_writes_survive_power_loss_at_random_io_points() {
    let trials = env_u64("ILION_POWER_LOSS_TRIALS").unwrap_or(100);
    // How many operations a whole run takes, to place the cuts.
    let total_ops = {
        let sim = Arc::new(SimFs::new());
        let db = fresh(&sim);
        let start = sim.op_count();
        workload(&db, 0);
        drop(db);
        sim.op_count() - start
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(99);
    let mut checked = 0usize;
    for trial in 0..trials {
        let sim = Arc::new(SimFs::new());
        let db = fresh(&sim);
        sim.fail_after(rng.random_range(0..total_ops));
        let acked = workload(&db, trial);
        drop(db);
        sim.crash(trial);
        let db = Db::open(Path::new("/db"), sim_options(&sim))
            .unwrap_or_else(|e| panic!("trial {trial}: reopen failed: {e}"));
        for (&key, &last) in &acked {
            let got = db
                .get("kv", &key.to_be_bytes())
                .unwrap()
                .map(|v| v.to_vec());
            match last {
                Last::Put => assert_eq!(
                    got,
                    Some(key.to_le_bytes().repeat(30)),
                    "trial {trial}: acknowledged put of {key} lost"
                ),
                Last::Deleted => assert_eq!(got, None, "trial {trial}: deleted {key} is back"),
                Last::Unsure => {}
            }
            checked += 1;
        }
        // The reopened database takes writes again.
        db.put("kv", b"after", b"crash").unwrap();
    }
    assert!(checked > 0);
    eprintln!(
        "{trials} power cuts in {total_ops} operations, {checked} acknowledged operations checked"
    );
}
