//! Commitlog append throughput (`cargo bench --bench commitlog_append`).
//!
//! - `commitlog/append/periodic/100B`: one thread, Periodic mode (10 s), so
//!   the cost is framing, CRC and the copy into the mapped segment.
//! - `commitlog/append/batch/{1,4,16}-threads`: Batch mode, every append
//!   waits for the fsync covering it; the throughput criterion reports is
//!   appends per second across all threads. Appends per fsync are printed
//!   after each group.

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ilion_commitlog::{CommitLog, CommitLogOptions, SyncMode, TableId};
use ilion_vfs::RealFs;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PAYLOAD: [u8; 100] = [0x5A; 100];

fn open(dir: &std::path::Path, sync_mode: SyncMode) -> CommitLog {
    let options = CommitLogOptions {
        sync_mode,
        ..CommitLogOptions::default()
    };
    CommitLog::recover(Arc::new(RealFs::new()), dir, options)
        .and_then(|replay| replay.finish())
        .expect("open commitlog")
}

fn periodic(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(
        dir.path(),
        SyncMode::Periodic {
            period: Duration::from_secs(10),
        },
    );
    let mut group = c.benchmark_group("commitlog/append/periodic");
    group.throughput(Throughput::Elements(1));
    group.bench_function("100B", |b| {
        b.iter(|| log.append(&[TableId(1)], &PAYLOAD).expect("append"))
    });
    group.finish();
    // Keep the disk from filling with segments between benchmarks.
    drop(log);
}

fn batch(c: &mut Criterion) {
    let mut group = c.benchmark_group("commitlog/append/batch");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    for threads in [1usize, 4, 16] {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = Arc::new(open(dir.path(), SyncMode::Batch));
        let before = log.stats();
        group.bench_function(format!("{threads}-threads"), |b| {
            b.iter_custom(|iters| {
                let per_thread = iters.div_ceil(threads as u64);
                let start = Instant::now();
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let log = log.clone();
                        std::thread::spawn(move || {
                            for _ in 0..per_thread {
                                log.append(&[TableId(t as u128)], &PAYLOAD).expect("append");
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.join().expect("appender");
                }
                // Time per append across all threads.
                start
                    .elapsed()
                    .mul_f64(iters as f64 / (per_thread * threads as u64) as f64)
            })
        });
        let after = log.stats();
        let appends = after.appends - before.appends;
        let rounds = after.sync_rounds - before.sync_rounds;
        eprintln!(
            "commitlog/append/batch/{threads}-threads: {appends} appends, {rounds} sync rounds, {:.1} appends per fsync",
            appends as f64 / rounds.max(1) as f64
        );
    }
    group.finish();
}

criterion_group!(benches, periodic, batch);
criterion_main!(benches);
