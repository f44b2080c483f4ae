use crate::common::*;
use ilion_commitlog::{CommitLog, Error, SyncMode};
use ilion_vfs::{Fault, FaultKind, OpKind, SimFs};

/// A scripted workload: open, append across several segments for two
/// tables, flush one table (deleting segments), close. Returns how far it
/// got and which table-A entries were acknowledged.
fn workload(sim: &SimFs) -> (Result<(), Error>, Vec<u64>) {
    let mut acked = Vec::new();
    let result = (|| {
        let (log, _) = open(arc(sim), &sim_dir(), options(4096, SyncMode::Batch))?;
        let mut last_b = None;
        for seq in 0..30u64 {
            if seq < 8 {
                last_b = Some(log.append(&[TABLE_B], &payload(seq, 300))?);
                continue;
            }
            if let (8, Some(position)) = (seq, last_b) {
                // Table B's data is "flushed": its segments go.
                log.mark_flushed(TABLE_B, position)?;
            }
            log.append(&[TABLE_A], &payload(seq, 300))?;
            acked.push(seq);
        }
        log.close()
    })();
    (result, acked)
}

fn table_a_entries(sim: &SimFs) -> Vec<u64> {
    let (log, entries) = open(arc(sim), &sim_dir(), options(4096, SyncMode::Batch)).unwrap();
    log.close().unwrap();
    entries
        .iter()
        .filter(|e| e.tables == [TABLE_A])
        .map(|e| seq_of(&e.payload))
        .collect()
}

/// Goal: every I/O failure surfaces as an error, never a panic or silent
/// success, and never costs an acknowledged entry. Method: run the
/// workload once to count its operations, then once per operation with
/// that operation failing (EIO and ENOSPC alternately); reopen with the
/// process's view intact, and again after a power loss.
#[test]
fn each_failed_operation_is_an_error_and_loses_nothing_acknowledged() {
    let clean = SimFs::new();
    let (result, _) = workload(&clean);
    result.unwrap();
    let ops = clean.op_count();
    assert!(ops > 100, "workload does real I/O ({ops} ops)");
    assert!(
        clean.op_count_of(OpKind::Remove) >= 1,
        "workload deletes a segment"
    );
    let mut fired = 0;
    for nth in 0..ops {
        let kind = if nth % 2 == 0 {
            FaultKind::Eio
        } else {
            FaultKind::Enospc
        };
        let sim = SimFs::new();
        sim.inject(Fault {
            op: None,
            nth,
            kind,
        });
        let (result, acked) = workload(&sim);
        if sim.pending_faults() > 0 {
            // The background allocator makes the order (and, by a little,
            // the number) of operations vary between runs: this run had
            // fewer than `nth`.
            continue;
        }
        fired += 1;
        let err = result.expect_err(&format!("failure of operation {nth} went unnoticed"));
        assert!(!err.to_string().is_empty());
        sim.clear_faults();

        let kept = table_a_entries(&sim.process_crash_image());
        assert!(
            acked.iter().all(|s| kept.contains(s)),
            "op {nth} ({err}): acked {acked:?} kept {kept:?}"
        );
        sim.crash(nth);
        let kept = table_a_entries(&sim);
        assert!(
            acked.iter().all(|s| kept.contains(s)),
            "op {nth} after power loss ({err}): acked {acked:?} kept {kept:?}"
        );
    }
    assert!(
        fired * 10 >= ops * 9,
        "only {fired} of {ops} faults hit an operation"
    );
}

/// Goal: short writes are retried, not mistaken for success or failure.
#[test]
fn short_writes_are_completed() {
    let clean = SimFs::new();
    workload(&clean).0.unwrap();
    let writes = clean.op_count_of(OpKind::Write);
    for nth in 0..writes {
        let sim = SimFs::new();
        sim.inject(Fault {
            op: Some(OpKind::Write),
            nth,
            kind: FaultKind::ShortWrite,
        });
        let (result, acked) = workload(&sim);
        result.unwrap_or_else(|e| panic!("short write {nth}: {e}"));
        assert_eq!(table_a_entries(&sim), acked, "short write {nth}");
    }
}

/// Goal: a failed fsync stops the log for good (no retry-and-continue,
/// which could report data as durable that the kernel already dropped).
#[test]
fn failed_sync_stops_the_log_until_reopen() {
    let sim = SimFs::new();
    let (log, _) = open(arc(&sim), &sim_dir(), options(8192, SyncMode::Batch)).unwrap();
    for seq in 0..5 {
        log.append(&[TABLE_A], &payload(seq, 100)).unwrap();
    }
    sim.inject(Fault {
        op: Some(OpKind::Sync),
        nth: sim.op_count_of(OpKind::Sync),
        kind: FaultKind::Eio,
    });
    assert!(matches!(
        log.append(&[TABLE_A], &payload(5, 100)),
        Err(Error::Io { .. }) | Err(Error::Stopped { .. })
    ));
    let err = log.append(&[TABLE_A], &payload(6, 100)).unwrap_err();
    assert!(matches!(err, Error::Stopped { .. }), "{err}");
    assert!(err.to_string().contains("sync"), "{err}");
    assert!(log.sync().is_err());
    assert!(log.close().is_err());
    drop(log);
    sim.crash(1);
    let kept: Vec<u64> = read_all(arc(&sim), &sim_dir(), options(8192, SyncMode::Batch))
        .unwrap()
        .iter()
        .map(|e| seq_of(&e.payload))
        .collect();
    assert_eq!(&kept[..5], &[0, 1, 2, 3, 4]);
    assert!(kept.len() <= 6);
    let _ = CommitLog::recover(arc(&sim), &sim_dir(), options(8192, SyncMode::Batch))
        .unwrap()
        .finish()
        .unwrap();
}
