use crate::common::*;
use ilion_commitlog::{CommitLogOptions, Position, SyncMode, TableId};
use ilion_vfs::{RealFs, SimFs};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::Duration;

/// Appends entries of random sizes for random tables across many segments,
/// closes, and checks that replay returns exactly them, in order, with the
/// positions `append` returned.
fn round_trip(
    fs: Arc<dyn ilion_vfs::FileSystem>,
    dir: &std::path::Path,
    options: CommitLogOptions,
    seed: u64,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (log, replayed) = open(fs.clone(), dir, options.clone()).unwrap();
    assert!(replayed.is_empty());
    let mut expected = Vec::new();
    let mut last = Position::default();
    for seq in 0..2000u64 {
        let len = rng.random_range(8..1500);
        let tables: Vec<TableId> = (0..rng.random_range(0..3))
            .map(|_| TableId(rng.random_range(1..4)))
            .collect();
        let data = payload(seq, len);
        let position = log.append(&tables, &data).unwrap();
        assert!(position > last, "positions increase");
        last = position;
        expected.push((position, tables, data));
    }
    assert!(
        log.stats().segments_created >= 4,
        "crossed several segments"
    );
    log.close().unwrap();
    let mut replay = ilion_commitlog::CommitLog::recover(fs, dir, options).unwrap();
    let got: Vec<_> = replay.by_ref().map(|e| e.unwrap()).collect();
    assert_eq!(got.len(), expected.len());
    for (entry, (position, tables, data)) in got.iter().zip(&expected) {
        assert_eq!(entry.position, *position);
        assert_eq!(&entry.tables, tables);
        assert_eq!(&entry.payload[..], &data[..]);
    }
    assert_eq!(
        replay.stats().tail_end,
        None,
        "a closed log has no torn tail"
    );
    assert!(replay.stats().segments_read >= 4);
}

#[test]
fn round_trip_in_every_sync_mode_on_simulated_fs() {
    let modes = [
        SyncMode::Batch,
        SyncMode::Periodic {
            period: Duration::from_millis(5),
        },
        SyncMode::Group {
            window: Duration::from_millis(1),
        },
    ];
    for (i, mode) in modes.into_iter().enumerate() {
        let sim = SimFs::new();
        round_trip(arc(&sim), &sim_dir(), options(64 << 10, mode), i as u64);
    }
}

#[test]
fn round_trip_on_real_files() {
    let dir = tempfile::tempdir().unwrap();
    round_trip(
        Arc::new(RealFs::new()),
        dir.path(),
        options(256 << 10, never_synced()),
        7,
    );
}

#[test]
fn reopened_log_keeps_replayed_entries_and_appends_after_them() {
    let sim = SimFs::new();
    let opts = options(16 << 10, SyncMode::Batch);
    let (log, _) = open(arc(&sim), &sim_dir(), opts.clone()).unwrap();
    let first: Vec<_> = (0..50)
        .map(|i| log.append(&[TABLE_A], &payload(i, 300)).unwrap())
        .collect();
    drop(log);
    let (log, replayed) = open(arc(&sim), &sim_dir(), opts.clone()).unwrap();
    assert_eq!(
        replayed.iter().map(|e| e.position).collect::<Vec<_>>(),
        first
    );
    let more = log.append(&[TABLE_A], &payload(50, 300)).unwrap();
    assert!(
        more > *first.last().unwrap(),
        "new segment ids are above old ones"
    );
    log.close().unwrap();
    let seqs: Vec<u64> = read_all(arc(&sim), &sim_dir(), opts)
        .unwrap()
        .iter()
        .map(|e| seq_of(&e.payload))
        .collect();
    assert_eq!(seqs, (0..51).collect::<Vec<_>>());
}

#[test]
fn oversized_payloads_are_refused_and_half_a_segment_is_accepted() {
    let sim = SimFs::new();
    let opts = options(8192, SyncMode::Batch);
    let (log, _) = open(arc(&sim), &sim_dir(), opts.clone()).unwrap();
    let err = log.append(&[TABLE_A], &vec![1; 4097]).unwrap_err();
    assert!(
        matches!(
            err,
            ilion_commitlog::Error::EntryTooLarge {
                size: 4097,
                max: 4096
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("half a segment"));
    log.append(&[TABLE_A], &vec![2; 4096]).unwrap();
    log.append(&[TABLE_A], &vec![3; 4096]).unwrap();
    log.close().unwrap();
    assert!(matches!(
        log.append(&[TABLE_A], b"late"),
        Err(ilion_commitlog::Error::Closed)
    ));
    let got = read_all(arc(&sim), &sim_dir(), opts).unwrap();
    assert_eq!(got.len(), 2);
    assert!(got[1].payload.iter().all(|&b| b == 3));
}

#[test]
fn invalid_options_are_refused() {
    let sim = SimFs::new();
    for bad in [
        options(1024, SyncMode::Batch),
        options(
            8192,
            SyncMode::Group {
                window: Duration::ZERO,
            },
        ),
        options(
            8192,
            SyncMode::Periodic {
                period: Duration::ZERO,
            },
        ),
    ] {
        let err = ilion_commitlog::CommitLog::recover(arc(&sim), &sim_dir(), bad).unwrap_err();
        assert!(
            matches!(err, ilion_commitlog::Error::InvalidOption { .. }),
            "{err}"
        );
    }
}
