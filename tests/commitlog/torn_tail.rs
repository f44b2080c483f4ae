use crate::common::*;
use ilion_commitlog::Position;
use ilion_vfs::SimFs;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, Clone, Copy)]
enum Damage {
    Truncate,
    Zero,
    Garbage,
}

/// Goal: a crash can leave the newest segment cut anywhere after its last
/// sync. Method: write entries that no sync covers, take the image a killed
/// process leaves, then cut (truncate, zero or overwrite with garbage) the
/// newest segment at every byte offset across its last three entries.
/// Replay must return every entry that ends before the cut and no error;
/// after `finish`, appending and replaying again must work.
#[test]
fn torn_tail_at_every_offset_of_the_last_entries_keeps_every_earlier_entry() {
    let sim = SimFs::new();
    let opts = options(16 << 10, never_synced());
    let dir = sim_dir();
    let mut rng = StdRng::seed_from_u64(11);
    let (log, _) = open(arc(&sim), &dir, opts.clone()).unwrap();
    let mut positions: Vec<Position> = Vec::new();
    // Past the first segments, until the newest one holds eight entries.
    while positions.len() < 100
        || positions
            .iter()
            .filter(|p| p.segment_id == positions.last().unwrap().segment_id)
            .count()
            < 8
    {
        let seq = positions.len() as u64;
        positions.push(
            log.append(&[TABLE_A], &payload(seq, rng.random_range(50..400)))
                .unwrap(),
        );
    }
    let image = sim.process_crash_image();
    drop(log);

    let newest_id = positions.last().unwrap().segment_id;
    let newest = segment_paths(&image, &dir).pop().unwrap();
    let content = image.contents(&newest).unwrap();
    let in_newest: Vec<&Position> = positions
        .iter()
        .filter(|p| p.segment_id == newest_id)
        .collect();
    assert!(
        in_newest.len() >= 4,
        "the newest segment holds enough entries"
    );
    let from = in_newest[in_newest.len() - 4].offset;
    let to = in_newest.last().unwrap().offset + 8;

    for (n, cut) in (from..=to).enumerate() {
        let damage = [Damage::Truncate, Damage::Zero, Damage::Garbage][n % 3];
        let img = image.process_crash_image();
        let mut bytes = content.clone();
        let cut_at = cut as usize;
        match damage {
            Damage::Truncate => bytes.truncate(cut_at),
            Damage::Zero => bytes[cut_at..].fill(0),
            Damage::Garbage => bytes[cut_at..to as usize + 64]
                .iter_mut()
                .for_each(|b| *b = rng.random()),
        }
        img.set_contents(&newest, bytes).unwrap();
        let expected: Vec<u64> = positions
            .iter()
            .enumerate()
            .filter(|(_, p)| p.segment_id < newest_id || p.offset <= cut)
            .map(|(seq, _)| seq as u64)
            .collect();
        let got = read_all(arc(&img), &dir, opts.clone())
            .unwrap_or_else(|e| panic!("cut {cut} {damage:?}: {e}"));
        let got: Vec<u64> = got.iter().map(|e| seq_of(&e.payload)).collect();
        assert_eq!(got, expected, "cut at {cut} ({damage:?})");

        if n % 5 == 0 {
            // Repair, append, and replay again: the cut is permanent and the
            // new entry follows the survivors.
            let (log, again) = open(arc(&img), &dir, opts.clone()).unwrap();
            assert_eq!(again.len(), expected.len());
            log.append(&[TABLE_A], &payload(1000, 64)).unwrap();
            log.close().unwrap();
            let after: Vec<u64> = read_all(arc(&img), &dir, opts.clone())
                .unwrap()
                .iter()
                .map(|e| seq_of(&e.payload))
                .collect();
            let mut want = expected.clone();
            want.push(1000);
            assert_eq!(after, want, "cut at {cut} ({damage:?}) after repair");
        }
    }
}

/// Goal: an unsynced segment switch can leave a segment without its seal
/// and the next one with nothing synced; replay ends at the damage and
/// discards the later segment, keeping the history a prefix.
#[test]
fn torn_older_segment_without_later_sync_ends_the_log_there() {
    let sim = SimFs::new();
    let opts = options(8192, never_synced());
    let dir = sim_dir();
    let (log, _) = open(arc(&sim), &dir, opts.clone()).unwrap();
    let positions: Vec<Position> = (0..80u64)
        .map(|seq| log.append(&[TABLE_A], &payload(seq, 200)).unwrap())
        .collect();
    let image = sim.process_crash_image();
    drop(log);
    let paths = segment_paths(&image, &dir);
    assert!(paths.len() >= 3);
    // Damage the middle of the second-newest segment.
    let victim = &paths[paths.len() - 2];
    let mut bytes = image.contents(victim).unwrap();
    let victim_id = positions
        .iter()
        .map(|p| p.segment_id)
        .filter(|&id| id < positions.last().unwrap().segment_id)
        .max()
        .unwrap();
    let cut = positions
        .iter()
        .find(|p| p.segment_id == victim_id)
        .unwrap()
        .offset
        + 3;
    bytes[cut as usize] ^= 0x40;
    image.set_contents(victim, bytes).unwrap();

    let mut replay = ilion_commitlog::CommitLog::recover(arc(&image), &dir, opts.clone()).unwrap();
    let got: Vec<u64> = replay
        .by_ref()
        .map(|e| seq_of(&e.unwrap().payload))
        .collect();
    let expected: Vec<u64> = positions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.segment_id < victim_id || (p.segment_id == victim_id && p.offset < cut))
        .map(|(s, _)| s as u64)
        .collect();
    assert_eq!(got, expected);
    let log = replay.finish().unwrap();
    drop(log);
    assert_eq!(
        segment_paths(&image, &dir).len(),
        paths.len() - 1 + 1,
        "later segment gone, a new one made"
    );
    let again: Vec<u64> = read_all(arc(&image), &dir, opts)
        .unwrap()
        .iter()
        .map(|e| seq_of(&e.payload))
        .collect();
    assert_eq!(again, expected);
}
