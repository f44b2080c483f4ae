use crate::common::*;
use ilion_commitlog::SyncMode;
use ilion_vfs::SimFs;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

/// Runs appends until the simulated machine stops, then loses power.
/// Returns the sequence numbers acknowledged and those replayed after.
fn crash_once(seed: u64, mode: SyncMode, max_ops: u64) -> (Vec<u64>, Vec<u64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let sim = SimFs::new();
    let opts = options(8192, mode);
    let dir = sim_dir();
    sim.fail_after(rng.random_range(0..max_ops));
    let mut acked = Vec::new();
    if let Ok((log, _)) = open(arc(&sim), &dir, opts.clone()) {
        for seq in 0..150u64 {
            match log.append(&[TABLE_A], &payload(seq, rng.random_range(8..700))) {
                Ok(_) => acked.push(seq),
                Err(_) => break,
            }
        }
        drop(log);
    }
    sim.crash(seed);
    let (log, entries) = open(arc(&sim), &dir, opts.clone())
        .unwrap_or_else(|e| panic!("seed {seed}: reopen failed: {e}"));
    let replayed: Vec<u64> = entries.iter().map(|e| seq_of(&e.payload)).collect();
    // The repaired log takes new appends and replays consistently.
    log.append(&[TABLE_A], &payload(10_000, 50)).unwrap();
    log.close().unwrap();
    let (_, again) = open(arc(&sim), &dir, opts).unwrap();
    let again: Vec<u64> = again.iter().map(|e| seq_of(&e.payload)).collect();
    let mut want = replayed.clone();
    want.push(10_000);
    assert_eq!(again, want, "seed {seed}: replay after repair");
    (acked, replayed)
}

/// Goal: in Batch mode no acknowledged entry is lost to power loss, and
/// what survives is a prefix of what was appended. Method: 300 runs, each
/// cut off at a random I/O operation (segment creation, writes, syncs,
/// directory syncs, recovery itself), then a simulated power loss that keeps
/// what was synced plus a random, possibly torn, prefix of the rest.
#[test]
fn batch_mode_keeps_every_acknowledged_entry_through_power_loss() {
    let mut total_acked = 0;
    for seed in 0..300 {
        let (acked, replayed) = crash_once(seed, SyncMode::Batch, 700);
        let expected_prefix: Vec<u64> = (0..replayed.len() as u64).collect();
        assert_eq!(replayed, expected_prefix, "seed {seed}: not a prefix");
        assert!(
            replayed.len() >= acked.len(),
            "seed {seed}: acked {} replayed {}",
            acked.len(),
            replayed.len()
        );
        total_acked += acked.len();
    }
    assert!(
        total_acked > 300 * 20,
        "crashes happened at meaningful points"
    );
}

/// Goal: Group mode promises the same as Batch.
#[test]
fn group_mode_keeps_every_acknowledged_entry_through_power_loss() {
    for seed in 0..40 {
        let (acked, replayed) = crash_once(
            1000 + seed,
            SyncMode::Group {
                window: Duration::from_micros(200),
            },
            500,
        );
        assert_eq!(
            replayed,
            (0..replayed.len() as u64).collect::<Vec<_>>(),
            "seed {seed}"
        );
        assert!(replayed.len() >= acked.len(), "seed {seed}");
    }
}

/// Goal: Periodic mode may lose acknowledged entries to power loss, but
/// what survives is still a prefix with no holes.
#[test]
fn periodic_mode_survivors_are_a_prefix() {
    for seed in 0..60 {
        let (_, replayed) = crash_once(
            2000 + seed,
            SyncMode::Periodic {
                period: Duration::from_millis(1),
            },
            500,
        );
        assert_eq!(
            replayed,
            (0..replayed.len() as u64).collect::<Vec<_>>(),
            "seed {seed}"
        );
    }
}
