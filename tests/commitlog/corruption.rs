use crate::common::*;
use ilion_commitlog::format::is_seal;
use ilion_commitlog::{CommitLog, Error, Position, SyncMode};
use ilion_vfs::SimFs;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A closed log of several segments; returns its positions.
fn closed_log(sim: &SimFs, segment_size: u32, entries: u64) -> Vec<Position> {
    let (log, _) = open(arc(sim), &sim_dir(), options(segment_size, SyncMode::Batch)).unwrap();
    let positions = (0..entries)
        .map(|seq| {
            log.append(&[TABLE_A], &payload(seq, 100 + (seq as usize * 37) % 300))
                .unwrap()
        })
        .collect();
    log.close().unwrap();
    positions
}

/// Goal: damage in a segment that later synced data follows is never a
/// torn write. Method: flip one random bit anywhere in the used bytes of
/// the oldest segment of a closed log (header, markers, entries, seal),
/// 200 times. Replay must fail naming that file and an offset at or before
/// the flipped byte, and every entry it returned before failing is correct.
#[test]
fn bit_flip_in_an_older_segment_is_reported_with_file_and_offset() {
    let sim = SimFs::new();
    let positions = closed_log(&sim, 16 << 10, 300);
    let dir = sim_dir();
    let oldest = segment_paths(&sim, &dir)[0].clone();
    let oldest_id = positions[0].segment_id;
    let last_in_oldest = positions
        .iter()
        .rfind(|p| p.segment_id == oldest_id)
        .unwrap()
        .offset;
    let original = sim.contents(&oldest).unwrap();
    let seal_at = (last_in_oldest..last_in_oldest + 16)
        .find(|&at| is_seal(&original, oldest_id, at))
        .expect("seal after the last entry");
    let used = seal_at as usize + 8;
    let mut rng = StdRng::seed_from_u64(3);
    for trial in 0..200 {
        let byte = rng.random_range(0..used);
        let mut damaged = original.clone();
        damaged[byte] ^= 1 << rng.random_range(0..8);
        let img = sim.process_crash_image();
        img.set_contents(&oldest, damaged).unwrap();
        let mut returned = Vec::new();
        let mut error = None;
        for entry in
            CommitLog::recover(arc(&img), &dir, options(16 << 10, SyncMode::Batch)).unwrap()
        {
            match entry {
                Ok(e) => returned.push(e),
                Err(e) => error = Some(e),
            }
        }
        match error {
            Some(Error::Corruption { path, offset, .. }) => {
                assert_eq!(path, oldest, "trial {trial}");
                assert!(
                    offset <= byte as u64,
                    "trial {trial}: offset {offset} after flipped byte {byte}"
                );
            }
            other => panic!("trial {trial}: flip at {byte} gave {other:?}"),
        }
        for (seq, e) in returned.iter().enumerate() {
            assert_eq!(seq_of(&e.payload), seq as u64);
            assert_eq!(e.position, positions[seq]);
        }
    }
}

/// Goal: an operator can salvage a damaged log on purpose. Method: damage
/// an entry in the middle of the oldest segment and replay with skipping
/// enabled; the damaged entry is counted, every other one returned intact.
#[test]
fn skipping_corrupt_entries_is_opt_in_and_counted() {
    let sim = SimFs::new();
    let positions = closed_log(&sim, 16 << 10, 200);
    let dir = sim_dir();
    let oldest = segment_paths(&sim, &dir)[0].clone();
    let mut bytes = sim.contents(&oldest).unwrap();
    // The payload of entry 5 (it starts right after entry 4's end, past
    // the marker slot that entry 4's sync reserved).
    let victim = positions[4].offset as usize + 8 + 12 + 30;
    bytes[victim] ^= 0xFF;
    sim.set_contents(&oldest, bytes).unwrap();

    let strict = read_all(arc(&sim), &dir, options(16 << 10, SyncMode::Batch));
    assert!(matches!(strict, Err(Error::Corruption { .. })));

    let mut opts = options(16 << 10, SyncMode::Batch);
    opts.skip_corrupt_entries = true;
    let mut replay = CommitLog::recover(arc(&sim), &dir, opts).unwrap();
    let got: Vec<u64> = replay
        .by_ref()
        .map(|e| seq_of(&e.unwrap().payload))
        .collect();
    let expected: Vec<u64> = (0..200).filter(|&s| s != 5).collect();
    assert_eq!(got, expected);
    assert_eq!(replay.stats().skipped_entries, 1);
    let log = replay.finish().unwrap();
    log.close().unwrap();
}
