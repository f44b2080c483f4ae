//! `ilion stress`: db_bench-style workloads on the engine's key-value
//! facade, with latency percentiles per workload.

use clap::{Args, ValueEnum};
use hdrhistogram::Histogram;
use ilion::commitlog::{CommitLogOptions, SyncMode};
use ilion::{Db, Options};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::error::Error;
use std::ops::Bound;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Options of `ilion stress`.
#[derive(Args, Debug, Clone)]
pub struct StressArgs {
    /// Workloads to run in order on the same database, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Workload::Fillrandom, Workload::Readrandom])]
    workload: Vec<Workload>,
    /// Operations per workload (keys are drawn from 0..num).
    #[arg(long, default_value_t = 200_000)]
    num: u64,
    /// Key bytes.
    #[arg(long, default_value_t = 16)]
    key_size: usize,
    /// Value bytes.
    #[arg(long, default_value_t = 100)]
    value_size: usize,
    /// Threads sharing each workload's operations.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Commitlog sync mode.
    #[arg(long, value_enum, default_value_t = SyncArg::Periodic)]
    sync: SyncArg,
    /// Seed of the key choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// One JSON object per workload instead of the table.
    #[arg(long)]
    json: bool,
    /// Data directory to keep; a temporary one (removed afterwards) when
    /// absent.
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// A workload, with db_bench's meaning.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Keys 0..num in order.
    Fillseq,
    /// num writes of keys drawn with repetition from 0..num.
    Fillrandom,
    /// As fillrandom, on what the earlier workloads wrote.
    Overwrite,
    /// num reads of keys drawn from 0..num.
    Readrandom,
    /// The whole table in its order (token order), by pages.
    Readseq,
}

/// A commitlog sync mode on the command line.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncArg {
    /// fsync every 10 s (Cassandra's default).
    Periodic,
    /// Every write waits for its fsync (group commit).
    Batch,
    /// Writes wait for a group fsync every 2 ms.
    Group,
}

/// db_bench's keys: the number in decimal, zero-padded to the key size.
fn key(i: u64, size: usize) -> Vec<u8> {
    let digits = format!("{i:0size$}");
    let bytes = digits.as_bytes();
    bytes[bytes.len().saturating_sub(size)..].to_vec()
}

/// What one thread did: operations, reads that found their key, latency.
type ThreadResult = Result<(u64, u64, Histogram<u64>), String>;

struct Outcome {
    ops: u64,
    found: u64,
    elapsed: Duration,
    latency: Histogram<u64>,
}

/// Nanoseconds from 1 ns to an hour, three significant digits.
fn histogram() -> Result<Histogram<u64>, hdrhistogram::CreationError> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3)
}

/// Runs the workloads chosen by `args` and prints one line (or JSON
/// object) each.
pub fn run(args: &StressArgs) -> Result<(), Box<dyn Error>> {
    let (root, _temp) = crate::data_dir(args.dir.as_ref())?;
    let sync_mode = match args.sync {
        SyncArg::Periodic => SyncMode::Periodic {
            period: Duration::from_secs(10),
        },
        SyncArg::Batch => SyncMode::Batch,
        SyncArg::Group => SyncMode::Group {
            window: Duration::from_millis(2),
        },
    };
    let options = Options {
        commitlog: CommitLogOptions {
            sync_mode,
            ..CommitLogOptions::default()
        },
        ..Options::default()
    };
    let db = Db::open(&root, options)?;
    if db.table("stress").is_err() {
        db.create_key_value_table("stress")?;
    }
    if !args.json {
        println!(
            "ilion stress: {} ops per workload, {}-byte keys, {}-byte values, {} thread(s), {:?} sync, LZ4, in {}",
            args.num,
            args.key_size,
            args.value_size,
            args.threads,
            args.sync,
            root.display()
        );
        println!(
            "{:<11} {:>9} {:>10} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9}",
            "workload", "ops", "ops/s", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs", "found"
        );
    }
    for workload in &args.workload {
        let o = run_one(&db, args, *workload)?;
        let us = |q: f64| o.latency.value_at_quantile(q) as f64 / 1000.0;
        let rate = o.ops as f64 / o.elapsed.as_secs_f64().max(1e-9);
        let name = format!("{workload:?}").to_lowercase();
        let (p50, p90, p99, p999) = (us(0.5), us(0.9), us(0.99), us(0.999));
        let max = o.latency.max() as f64 / 1000.0;
        if args.json {
            println!(
                "{{\"workload\":\"{name}\",\"engine\":\"ilion\",\"ops\":{},\"ops_per_sec\":{rate:.1},\"p50_us\":{p50:.1},\"p90_us\":{p90:.1},\"p99_us\":{p99:.1},\"p999_us\":{p999:.1},\"max_us\":{max:.1},\"found\":{}}}",
                o.ops, o.found
            );
        } else {
            println!(
                "{name:<11} {:>9} {rate:>10.0} {p50:>8.1} {p90:>8.1} {p99:>8.1} {p999:>9.1} {max:>9.1} {:>9}",
                o.ops, o.found
            );
        }
    }
    // A kept directory holds only flushed SSTables.
    db.drain()?;
    Ok(())
}

fn run_one(db: &Db, args: &StressArgs, workload: Workload) -> Result<Outcome, Box<dyn Error>> {
    let threads = args.threads.max(1) as u64;
    let per_thread = args.num / threads;
    let value = vec![b'x'; args.value_size];
    let start = Instant::now();
    let results: Vec<ThreadResult> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let db = db.clone();
                let value = &value;
                s.spawn(move || -> ThreadResult {
                    let mut latency = histogram().map_err(|e| e.to_string())?;
                    let mut rng = StdRng::seed_from_u64(args.seed ^ (t << 32) ^ workload as u64);
                    let (mut ops, mut found) = (0u64, 0u64);
                    let err = |e: ilion::Error| e.to_string();
                    if workload == Workload::Readseq {
                        // One thread walks the table in pages.
                        if t > 0 {
                            return Ok((0, 0, latency));
                        }
                        let mut after: Option<Vec<u8>> = None;
                        loop {
                            let began = Instant::now();
                            let from = after.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
                            let page = db
                                .scan("stress", from, Bound::Unbounded, 1000)
                                .map_err(err)?;
                            let Some((last, _)) = page.last() else { break };
                            latency.saturating_record(
                                (began.elapsed().as_nanos() as u64 / page.len() as u64).max(1),
                            );
                            ops += page.len() as u64;
                            found += page.len() as u64;
                            after = Some(last.clone());
                        }
                        return Ok((ops, found, latency));
                    }
                    for i in 0..per_thread {
                        let k = match workload {
                            Workload::Fillseq => key(t * per_thread + i, args.key_size),
                            _ => key(rng.random_range(0..args.num.max(1)), args.key_size),
                        };
                        let began = Instant::now();
                        match workload {
                            Workload::Readrandom => {
                                if db.get("stress", &k).map_err(err)?.is_some() {
                                    found += 1;
                                }
                            }
                            _ => db.put("stress", &k, value).map_err(err)?,
                        }
                        latency.saturating_record(began.elapsed().as_nanos() as u64);
                        ops += 1;
                    }
                    Ok((ops, found, latency))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a stress thread panicked".into()))
            })
            .collect()
    });
    let elapsed = start.elapsed();
    let mut latency = histogram()?;
    let (mut ops, mut found) = (0, 0);
    for result in results {
        let (n, f, h) = result?;
        ops += n;
        found += f;
        latency.add(&h)?;
    }
    Ok(Outcome {
        ops,
        found,
        elapsed,
        latency,
    })
}
