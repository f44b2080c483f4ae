//! `ilion commitlog-stress`: drives the commitlog alone and reports throughput, latency
//! percentiles and how many appends each fsync covered.

use clap::{Args, ValueEnum};
use hdrhistogram::Histogram;
use ilion_commitlog::{CommitLog, CommitLogOptions, SyncMode, TableId};
use ilion_vfs::RealFs;
use std::error::Error;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options of `ilion commitlog-stress`.
#[derive(Args, Debug, Clone)]
pub struct StressArgs {
    /// Sync mode to run; all of them (in a default mix) when absent.
    #[arg(long, value_enum)]
    sync: Option<SyncArg>,
    /// Appending threads; the default mix uses 1, 4 and 16.
    #[arg(long)]
    threads: Option<usize>,
    /// Seconds per workload.
    #[arg(long, default_value_t = 3.0)]
    duration: f64,
    /// Payload bytes per append.
    #[arg(long, default_value_t = 100)]
    value_size: usize,
    /// Commitlog segment size in MiB.
    #[arg(long, default_value_t = 32)]
    segment_mib: u32,
    /// Period of the periodic mode, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    period_ms: u64,
    /// Window of the group mode, in milliseconds.
    #[arg(long, default_value_t = 2)]
    window_ms: u64,
    /// Data directory; a temporary one (removed afterwards) when absent.
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// A sync mode on the command line.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum SyncArg {
    Periodic,
    Batch,
    Group,
}

struct Workload {
    sync: SyncArg,
    threads: usize,
}

struct Outcome {
    appends: u64,
    elapsed: Duration,
    latency: Histogram<u64>,
    fsyncs: u64,
    sync_rounds: u64,
}

/// Runs the workloads chosen by `args` and prints one line each.
pub fn run(args: &StressArgs) -> Result<(), Box<dyn Error>> {
    let workloads = plan(args);
    let (root, _temp) = crate::data_dir(args.dir.as_ref())?;
    println!(
        "ilion commitlog-stress: commitlog appends of {} bytes, {:.1} s per workload, segments of {} MiB, in {}",
        args.value_size,
        args.duration,
        args.segment_mib,
        root.display()
    );
    println!(
        "{:<9} {:>7} {:>10} {:>11} {:>8} {:>8} {:>8} {:>9} {:>9} {:>8} {:>12}",
        "mode",
        "threads",
        "appends",
        "appends/s",
        "p50 µs",
        "p99 µs",
        "p99.9 µs",
        "p99.99 µs",
        "max µs",
        "fsyncs",
        "appends/sync"
    );
    for (i, workload) in workloads.iter().enumerate() {
        let dir = root.join(format!("run-{i}"));
        let outcome = run_one(args, workload, &dir)?;
        print_line(workload, &outcome);
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

fn plan(args: &StressArgs) -> Vec<Workload> {
    let modes = match args.sync {
        Some(mode) => vec![mode],
        None => vec![SyncArg::Periodic, SyncArg::Batch, SyncArg::Group],
    };
    let mut workloads = Vec::new();
    for sync in modes {
        let threads = match (args.threads, sync) {
            (Some(t), _) => vec![t.max(1)],
            (None, SyncArg::Periodic) => vec![1],
            (None, _) => vec![1, 4, 16],
        };
        workloads.extend(
            threads
                .into_iter()
                .map(|threads| Workload { sync, threads }),
        );
    }
    workloads
}

fn run_one(
    args: &StressArgs,
    workload: &Workload,
    dir: &std::path::Path,
) -> Result<Outcome, Box<dyn Error>> {
    let sync_mode = match workload.sync {
        SyncArg::Periodic => SyncMode::Periodic {
            period: Duration::from_millis(args.period_ms.max(1)),
        },
        SyncArg::Batch => SyncMode::Batch,
        SyncArg::Group => SyncMode::Group {
            window: Duration::from_millis(args.window_ms.max(1)),
        },
    };
    let options = CommitLogOptions {
        segment_size: args.segment_mib.saturating_mul(1 << 20),
        sync_mode,
        ..CommitLogOptions::default()
    };
    let log = Arc::new(CommitLog::recover(Arc::new(RealFs::new()), dir, options)?.finish()?);
    let stop = Arc::new(AtomicBool::new(false));
    let payload = vec![0x5Au8; args.value_size];
    let start = Instant::now();
    let handles: Vec<_> = (0..workload.threads)
        .map(|t| {
            let log = log.clone();
            let stop = stop.clone();
            let payload = payload.clone();
            std::thread::spawn(move || -> Result<(u64, Histogram<u64>), String> {
                let mut latency = new_histogram().map_err(|e| e.to_string())?;
                let table = [TableId(t as u128 % 4)];
                let mut appends = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let began = Instant::now();
                    log.append(&table, &payload).map_err(|e| e.to_string())?;
                    latency.saturating_record(began.elapsed().as_nanos() as u64);
                    appends += 1;
                }
                Ok((appends, latency))
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(args.duration.max(0.1)));
    stop.store(true, Ordering::Relaxed);
    let mut latency = new_histogram()?;
    let mut appends = 0;
    for handle in handles {
        let (n, h) = handle.join().map_err(|_| "append thread panicked")??;
        appends += n;
        latency.add(&h)?;
    }
    let elapsed = start.elapsed();
    let stats = log.stats();
    log.close()?;
    Ok(Outcome {
        appends,
        elapsed,
        latency,
        fsyncs: stats.fsyncs,
        sync_rounds: stats.sync_rounds,
    })
}

/// Nanoseconds from 1 ns to an hour, three significant digits.
fn new_histogram() -> Result<Histogram<u64>, hdrhistogram::CreationError> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3)
}

fn print_line(workload: &Workload, o: &Outcome) {
    let us = |q: f64| o.latency.value_at_quantile(q) as f64 / 1000.0;
    let per_round = if o.sync_rounds == 0 {
        "-".to_string()
    } else {
        format!("{:.1}", o.appends as f64 / o.sync_rounds as f64)
    };
    println!(
        "{:<9} {:>7} {:>10} {:>11.0} {:>8.1} {:>8.1} {:>8.1} {:>9.1} {:>9.1} {:>8} {:>12}",
        format!("{:?}", workload.sync).to_lowercase(),
        workload.threads,
        o.appends,
        o.appends as f64 / o.elapsed.as_secs_f64(),
        us(0.5),
        us(0.99),
        us(0.999),
        us(0.9999),
        o.latency.max() as f64 / 1000.0,
        o.fsyncs,
        per_round
    );
}
