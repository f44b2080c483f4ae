use crate::common::*;
use ilion_commitlog::{CommitLog, SyncMode, TableId};
use ilion_vfs::RealFs;
use std::collections::HashMap;
use std::sync::Arc;

/// Goal: concurrent appenders in Batch mode lose nothing, never interleave
/// bytes, and share fsyncs. Method: 16 threads append 400 entries each on
/// real files; replay checks every payload byte for byte, that each
/// thread's entries come back in its own order, and that the log issued far
/// fewer fsyncs than appends.
#[test]
fn sixteen_batch_appenders_share_fsyncs_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(1 << 20, SyncMode::Batch);
    let (log, _) = open(Arc::new(RealFs::new()), dir.path(), opts.clone()).unwrap();
    let log = Arc::new(log);
    let threads = 16u64;
    let per_thread = 400u64;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut last = None;
                for i in 0..per_thread {
                    let seq = t * 1_000_000 + i;
                    let position = log
                        .append(
                            &[TableId(u128::from(t))],
                            &payload(seq, 64 + (i as usize % 200)),
                        )
                        .unwrap();
                    assert!(Some(position) > last);
                    last = Some(position);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let stats = log.stats();
    log.close().unwrap();
    assert_eq!(stats.appends, threads * per_thread);
    eprintln!(
        "{} appends, {} fsyncs, {} sync rounds",
        stats.appends, stats.fsyncs, stats.sync_rounds
    );
    assert!(
        stats.fsyncs * 2 < stats.appends,
        "fsyncs {} not far below appends {}",
        stats.fsyncs,
        stats.appends
    );

    let entries = read_all(Arc::new(RealFs::new()), dir.path(), opts).unwrap();
    assert_eq!(entries.len() as u64, threads * per_thread);
    let mut next: HashMap<u64, u64> = HashMap::new();
    for e in &entries {
        let seq = seq_of(&e.payload);
        let (t, i) = (seq / 1_000_000, seq % 1_000_000);
        assert_eq!(e.tables, vec![TableId(u128::from(t))]);
        let expected = next.entry(t).or_insert(0);
        assert_eq!(i, *expected, "thread {t} out of order");
        *expected += 1;
    }
    assert!(next.values().all(|&n| n == per_thread));
}

/// Goal: the log is usable from many threads through a shared reference.
#[test]
fn commit_log_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CommitLog>();
}
