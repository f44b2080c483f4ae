use crate::common::*;
use ilion_commitlog::{Position, SyncMode};
use ilion_vfs::SimFs;

/// Goal: a segment goes once every table in it is flushed, and not
/// before. Method: two tables across many segments; flushing one leaves
/// every segment (the other pins them); flushing both removes all but a
/// fresh active segment, and replay then yields nothing.
#[test]
fn segments_go_once_every_table_is_flushed() {
    let sim = SimFs::new();
    let dir = sim_dir();
    let opts = options(8192, SyncMode::Batch);
    let (log, _) = open(arc(&sim), &dir, opts.clone()).unwrap();
    let mut last = [Position::default(); 2];
    for seq in 0..200u64 {
        let t = (seq % 2) as usize;
        last[t] = log
            .append(&[[TABLE_A, TABLE_B][t]], &payload(seq, 150))
            .unwrap();
    }
    let segments = log.segment_count();
    assert!(segments >= 4);
    assert_eq!(segment_paths(&sim, &dir).len(), segments);
    let mut pinning = log.tables_pinning_oldest();
    pinning.sort();
    assert_eq!(pinning, vec![TABLE_A, TABLE_B]);

    log.mark_flushed(TABLE_A, last[0]).unwrap();
    assert_eq!(log.tables_pinning_oldest(), vec![TABLE_B]);
    assert_eq!(
        log.segment_count(),
        segments,
        "table B still pins every segment"
    );

    log.mark_flushed(TABLE_B, last[1]).unwrap();
    assert!(log.tables_pinning_oldest().is_empty());
    assert_eq!(
        log.segment_count(),
        1,
        "only a fresh active segment is left"
    );
    assert_eq!(segment_paths(&sim, &dir).len(), 1);
    assert!(log.stats().segments_removed >= segments as u64);
    assert!(log.disk_usage() <= 8192);
    drop(log);

    sim.crash(5); // removals were made durable with a directory sync
    assert!(read_all(arc(&sim), &dir, opts).unwrap().is_empty());
}

/// Goal: flushing up to a position frees exactly the segments before it.
#[test]
fn partial_flush_frees_only_older_segments() {
    let sim = SimFs::new();
    let dir = sim_dir();
    let opts = options(8192, SyncMode::Batch);
    let (log, _) = open(arc(&sim), &dir, opts.clone()).unwrap();
    let positions: Vec<Position> = (0..200u64)
        .map(|seq| log.append(&[TABLE_A], &payload(seq, 150)).unwrap())
        .collect();
    let middle = positions[100];
    log.mark_flushed(TABLE_A, middle).unwrap();
    drop(log);
    let (log, left) = open(arc(&sim), &dir, opts.clone()).unwrap();
    let seqs: Vec<u64> = left.iter().map(|e| seq_of(&e.payload)).collect();
    // Whole segments before the one holding entry 100 are gone; nothing
    // after entry 100 is.
    assert!(
        seqs.first().copied().unwrap() > 0 && seqs.first().copied().unwrap() <= 101,
        "{:?}",
        &seqs[..3]
    );
    assert_eq!(*seqs.last().unwrap(), 199);
    assert!(left
        .iter()
        .all(|e| e.position.segment_id >= middle.segment_id));
    // Replayed segments are pinned by their tables until flushed again.
    assert_eq!(log.tables_pinning_oldest(), vec![TABLE_A]);
    log.mark_flushed(TABLE_A, left.last().unwrap().position)
        .unwrap();
    assert_eq!(log.segment_count(), 1);
    log.close().unwrap();
    assert!(read_all(arc(&sim), &dir, opts).unwrap().is_empty());
}
