//! `ilion stress`: db_bench-style workloads on a key-value table, with
//! latency percentiles per workload, on Ilion or (with the `peers`
//! feature) on RocksDB and fjall for comparison.

use crate::store::{self, CompactionArg, DiskFigures, EngineArg, Store, SyncArg};
use clap::{Args, ValueEnum};
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::error::Error;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Options of `ilion stress`.
#[derive(Args, Debug, Clone)]
pub struct StressArgs {
    /// Workloads to run in order on the same database, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Workload::Fillrandom, Workload::Readrandom])]
    workload: Vec<Workload>,
    /// Engine to run on.
    #[arg(long, value_enum, default_value_t = EngineArg::Ilion)]
    engine: EngineArg,
    /// Runs the workloads on Ilion, RocksDB and fjall in turn (each in its
    /// own directory) and prints the ratios Ilion / peer. Needs the
    /// `peers` feature.
    #[arg(long)]
    compare: bool,
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
    /// Commitlog (write-ahead log) sync mode.
    #[arg(long, value_enum, default_value_t = SyncArg::Periodic)]
    sync: SyncArg,
    /// Seed of the key choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// One JSON object per workload instead of the table.
    #[arg(long)]
    json: bool,
    /// Data directory to keep; a temporary one (removed afterwards) when
    /// absent. With `--compare`, each engine gets a folder inside it.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Ilion's compaction strategy, with Cassandra's default options
    /// (RocksDB and fjall keep their default, leveled).
    #[arg(long, value_enum, default_value_t = CompactionArg::Stcs)]
    compaction: CompactionArg,
    /// Leveled SSTable size / unified target SSTable size in MiB
    /// (Cassandra's defaults when absent: 160 and 1024), as db_bench's
    /// `--target_file_size_base`.
    #[arg(long)]
    sstable_size_mb: Option<u64>,
    /// Ilion's compaction throughput limit in MiB/s (0: unlimited, as
    /// RocksDB and fjall run by default; Cassandra's default is 64).
    #[arg(long, default_value_t = 0)]
    compaction_throughput_mb: u64,
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
    /// Waits until no compaction runs (so that the next workload measures
    /// a quiet engine).
    Waitcompactions,
    /// A major compaction; reports the space amplification of the state
    /// before it (table bytes before ÷ after).
    Compact,
    /// readrandom while a major compaction runs beside it (its busy
    /// percentage shows how much of the reads overlapped it).
    Readwhilecompacting,
}

/// Values as db_bench makes them: slices of a buffer built from pieces
/// that compress to half their size (`--compression_ratio 0.5`), so that
/// LZ4 and the amplification figures see realistic data.
fn value_source(seed: u64) -> Vec<u8> {
    const PIECE: usize = 100;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut buffer = Vec::with_capacity(1 << 20);
    while buffer.len() < 1 << 20 {
        let raw: Vec<u8> = (0..PIECE / 2)
            .map(|_| rng.random_range(b' '..=b'~'))
            .collect();
        for i in 0..PIECE {
            buffer.push(raw[i % raw.len()]);
        }
    }
    buffer
}

/// The `i`-th value of `size` bytes from `source`.
fn value_at(source: &[u8], i: u64, size: usize) -> &[u8] {
    let span = source.len().saturating_sub(size).max(1);
    let start = (i.wrapping_mul(size as u64 + 7) % span as u64) as usize;
    &source[start..(start + size).min(source.len())]
}

/// Bytes this process has caused to be written to storage so far
/// (Linux `/proc/self/io`, counted when pages are dirtied): every file
/// the engine writes, its write-ahead log included.
fn process_write_bytes() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
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

/// One workload's figures on one engine.
struct Figures {
    engine: &'static str,
    workload: String,
    /// Its place in `--workload` (the same workload may run twice).
    step: usize,
    ops: u64,
    found: u64,
    rate: f64,
    /// p50, p90, p99, p99.9 and max, in µs.
    latency: [f64; 5],
    /// Flush and compaction bytes written since the engine opened ÷ user
    /// bytes written (keys and values), when the engine counts them.
    write_amplification: Option<f64>,
    /// The part of `write_amplification` flushes account for.
    flush_write_amplification: Option<f64>,
    /// Every byte the process wrote to storage (logs included) ÷ user
    /// bytes written.
    io_write_amplification: Option<f64>,
    /// Table bytes before ÷ after a major compaction (`compact` only).
    space_amplification: Option<f64>,
    /// Mean and largest table bytes sampled during the overwrite passes ÷
    /// table bytes after the major compaction (`compact` only).
    space_amplification_mean: Option<f64>,
    space_amplification_max: Option<f64>,
    /// Table files on disk at the end of the workload.
    table_bytes: u64,
    /// Fraction of the workload's time during which a compaction ran.
    compaction_busy: Option<f64>,
    /// Most compactions seen running at once.
    compactions_at_once: Option<u64>,
    /// Writer stalls so far (flush, compaction), when the engine counts.
    stalls: Option<(u64, u64)>,
}

/// Table bytes on disk, sampled.
#[derive(Debug, Default, Clone, Copy)]
struct TableSamples {
    sum: f64,
    count: u64,
    max: u64,
}

impl TableSamples {
    fn add(&mut self, bytes: u64) {
        self.sum += bytes as f64;
        self.count += 1;
        self.max = self.max.max(bytes);
    }

    fn merge(&mut self, other: TableSamples) {
        self.sum += other.sum;
        self.count += other.count;
        self.max = self.max.max(other.max);
    }

    /// Mean and largest sample over `live` bytes, if any was taken.
    fn over(&self, live: f64) -> Option<(f64, f64)> {
        (self.count > 0).then(|| (self.sum / self.count as f64 / live, self.max as f64 / live))
    }
}

/// What an engine has been given since it opened, for amplification.
#[derive(Default)]
struct Written {
    /// Table bytes sampled every 10 ms during overwrite passes (the live
    /// data then has its final size).
    table_samples: TableSamples,
    user_bytes: u64,
    io_at_open: Option<u64>,
    engine_at_open: Option<u64>,
    flushed_at_open: Option<u64>,
}

/// Runs the workloads chosen by `args` on each engine asked for and prints
/// one line (or JSON object) per workload and engine, then the ratios.
pub fn run(args: &StressArgs) -> Result<(), Box<dyn Error>> {
    let (root, _temp) = crate::data_dir(args.dir.as_ref())?;
    let engines = if args.compare {
        vec![EngineArg::Ilion, EngineArg::Rocksdb, EngineArg::Fjall]
    } else {
        vec![args.engine]
    };
    if !args.json {
        println!(
            "ilion stress: {} ops per workload, {}-byte keys, {}-byte values, {} thread(s), in {}",
            args.num,
            args.key_size,
            args.value_size,
            args.threads,
            root.display()
        );
    }
    let mut all = Vec::new();
    for engine in engines {
        let dir = if args.compare {
            root.join(engine.name())
        } else {
            root.clone()
        };
        std::fs::create_dir_all(&dir)?;
        let db = store::open(
            engine,
            &dir,
            args.sync,
            store::IlionCompaction {
                strategy: args.compaction,
                sstable_size_mb: args.sstable_size_mb,
                throughput_mb: args.compaction_throughput_mb,
            },
        )?;
        let at_open = db.disk()?;
        let mut written = Written {
            table_samples: TableSamples::default(),
            user_bytes: 0,
            io_at_open: process_write_bytes(),
            engine_at_open: at_open.written_bytes,
            flushed_at_open: at_open.flushed_bytes,
        };
        if !args.json {
            println!("{}: {}", engine.name(), db.settings());
            println!(
                "{:<8} {:<11} {:>9} {:>10} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9}",
                "engine",
                "workload",
                "ops",
                "ops/s",
                "p50 µs",
                "p90 µs",
                "p99 µs",
                "p99.9 µs",
                "max µs",
                "found"
            );
            println!(
                "{:>20} write amp (flush+compaction / user bytes; flush part; ÷ flushed bytes, RocksDB's W-Amp), io amp (all process writes incl. logs / user bytes), space amp (compact only: table bytes before ÷ after; mean and max sampled during overwrite passes ÷ after), table MB, compaction busy %",
                ""
            );
        }
        for (step, workload) in args.workload.iter().enumerate() {
            let mut space_amplification_mean = None;
            let mut space_amplification_max = None;
            let (o, (busy, at_once), space_amplification) = match workload {
                Workload::Compact => {
                    let before = db.disk()?.table_bytes;
                    let started = Instant::now();
                    db.compact_all()?;
                    let after = db.disk()?.table_bytes.max(1) as f64;
                    let o = Outcome {
                        ops: 0,
                        found: 0,
                        elapsed: started.elapsed(),
                        latency: histogram()?,
                    };
                    if let Some((mean, max)) = written.table_samples.over(after) {
                        space_amplification_mean = Some(mean);
                        space_amplification_max = Some(max);
                    }
                    (o, (None, None), Some(before as f64 / after))
                }
                Workload::Waitcompactions => {
                    let started = Instant::now();
                    wait_for_compactions(db.as_ref())?;
                    let o = Outcome {
                        ops: 0,
                        found: 0,
                        elapsed: started.elapsed(),
                        latency: histogram()?,
                    };
                    (o, (None, None), None)
                }
                Workload::Readwhilecompacting => {
                    let store = db.as_ref();
                    let (o, busy, _) = std::thread::scope(|s| {
                        let compaction = s.spawn(move || store.compact_all());
                        let measured = with_compaction_sampler(store, || {
                            run_one(store, args, Workload::Readrandom)
                        });
                        let compacted = compaction
                            .join()
                            .unwrap_or_else(|_| Err("the compaction thread panicked".into()));
                        measured.and_then(|m| compacted.map(|()| m).map_err(Into::into))
                    })?;
                    (o, busy, None)
                }
                _ => {
                    let (o, busy, samples) = with_compaction_sampler(db.as_ref(), || {
                        run_one(db.as_ref(), args, *workload)
                    })?;
                    if *workload == Workload::Overwrite {
                        written.table_samples.merge(samples);
                    }
                    (o, busy, None)
                }
            };
            if matches!(
                workload,
                Workload::Fillseq | Workload::Fillrandom | Workload::Overwrite
            ) {
                written.user_bytes += o.ops * (args.key_size + args.value_size) as u64;
            }
            let disk = db.disk()?;
            let per_user_byte = |bytes: u64| {
                (written.user_bytes > 0).then(|| bytes as f64 / written.user_bytes as f64)
            };
            let write_amplification = disk
                .written_bytes
                .zip(written.engine_at_open)
                .and_then(|(now, then)| per_user_byte(now.saturating_sub(then)));
            let flush_write_amplification = disk
                .flushed_bytes
                .zip(written.flushed_at_open)
                .and_then(|(now, then)| per_user_byte(now.saturating_sub(then)));
            let io_write_amplification = process_write_bytes()
                .zip(written.io_at_open)
                .and_then(|(now, then)| per_user_byte(now.saturating_sub(then)));
            let us = |q: f64| o.latency.value_at_quantile(q) as f64 / 1000.0;
            let f = Figures {
                engine: engine.name(),
                workload: format!("{workload:?}").to_lowercase(),
                step,
                ops: o.ops,
                found: o.found,
                rate: o.ops as f64 / o.elapsed.as_secs_f64().max(1e-9),
                latency: [
                    us(0.5),
                    us(0.9),
                    us(0.99),
                    us(0.999),
                    o.latency.max() as f64 / 1000.0,
                ],
                write_amplification,
                flush_write_amplification,
                io_write_amplification,
                space_amplification,
                space_amplification_mean,
                space_amplification_max,
                table_bytes: disk.table_bytes,
                compaction_busy: busy,
                compactions_at_once: at_once,
                stalls: disk.stalls,
            };
            print_figures(&f, args.json);
            all.push(f);
        }
        // A kept directory holds only flushed files.
        db.finish()?;
    }
    if args.compare && !args.json {
        print_ratios(&all);
    }
    Ok(())
}

/// A JSON number, or null.
fn json_number(v: Option<f64>) -> String {
    v.map_or_else(|| "null".to_string(), |v| format!("{v:.3}"))
}

/// A figure for the table, or "-".
fn shown(v: Option<f64>, scale: f64, precision: usize) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{:.precision$}", v * scale))
}

/// Bytes flushes and compactions wrote ÷ bytes flushes wrote: RocksDB's
/// compaction-stats "W-Amp" (its Sum row), which leaves out how large each
/// engine's files are for the same data.
fn per_flushed_byte(f: &Figures) -> Option<f64> {
    f.write_amplification
        .zip(f.flush_write_amplification)
        .and_then(|(all, flush)| (flush > 0.0).then(|| all / flush))
}

fn print_figures(f: &Figures, json: bool) {
    let [p50, p90, p99, p999, max] = f.latency;
    let (engine, name, rate) = (f.engine, &f.workload, f.rate);
    if json {
        println!(
            "{{\"workload\":\"{name}\",\"engine\":\"{engine}\",\"ops\":{},\"ops_per_sec\":{rate:.1},\"p50_us\":{p50:.1},\"p90_us\":{p90:.1},\"p99_us\":{p99:.1},\"p999_us\":{p999:.1},\"max_us\":{max:.1},\"found\":{},\"write_amplification\":{},\"flush_write_amplification\":{},\"write_amplification_per_flushed_byte\":{},\"io_write_amplification\":{},\"space_amplification\":{},\"space_amplification_mean\":{},\"space_amplification_max\":{},\"table_bytes\":{},\"compaction_busy\":{},\"compactions_at_once\":{},\"flush_stalls\":{},\"compaction_stalls\":{}}}",
            f.ops,
            f.found,
            json_number(f.write_amplification),
            json_number(f.flush_write_amplification),
            json_number(per_flushed_byte(f)),
            json_number(f.io_write_amplification),
            json_number(f.space_amplification),
            json_number(f.space_amplification_mean),
            json_number(f.space_amplification_max),
            f.table_bytes,
            json_number(f.compaction_busy),
            f.compactions_at_once
                .map_or_else(|| "null".to_string(), |n| n.to_string()),
            f.stalls
                .map_or_else(|| "null".to_string(), |(n, _)| n.to_string()),
            f.stalls
                .map_or_else(|| "null".to_string(), |(_, n)| n.to_string()),
        );
    } else {
        println!(
            "{engine:<8} {name:<11} {:>9} {rate:>10.0} {p50:>8.1} {p90:>8.1} {p99:>8.1} {p999:>9.1} {max:>9.1} {:>9}",
            f.ops, f.found
        );
        println!(
            "{:>20} write amp {} (flush {}; {} per flushed byte)  io amp {}  space amp {} (mean {}, max {})  table {:.1} MB  compaction busy {}% (at most {} at once){}",
            "",
            shown(f.write_amplification, 1.0, 2),
            shown(f.flush_write_amplification, 1.0, 2),
            shown(per_flushed_byte(f), 1.0, 2),
            shown(f.io_write_amplification, 1.0, 2),
            shown(f.space_amplification, 1.0, 2),
            shown(f.space_amplification_mean, 1.0, 2),
            shown(f.space_amplification_max, 1.0, 2),
            f.table_bytes as f64 / 1e6,
            shown(f.compaction_busy, 100.0, 0),
            f.compactions_at_once
                .map_or_else(|| "-".to_string(), |n| n.to_string()),
            f.stalls.map_or_else(String::new, |(flush, compaction)| format!(
                "  stalls so far: {flush} for flushes, {compaction} for compaction"
            )),
        );
    }
}

/// Compaction activity during a workload, when the engine tells: the
/// fraction of samples with a compaction running, and the most at once.
type Activity = (Option<f64>, Option<u64>);

/// Waits until the engine runs no compaction for a moment (engines that
/// do not tell: returns at once).
fn wait_for_compactions(db: &dyn Store) -> Result<(), Box<dyn Error>> {
    let mut quiet_since = Instant::now();
    loop {
        match db.disk()?.compactions_running {
            None => return Ok(()),
            Some(0) if quiet_since.elapsed() >= Duration::from_millis(1500) => return Ok(()),
            Some(0) => {}
            Some(_) => quiet_since = Instant::now(),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `work` while a thread samples every 10 ms whether a compaction
/// runs and how many table bytes are on disk; returns its result, the
/// busy fraction (when the engine tells) with the most compactions seen
/// running at once, and the table-size samples.
fn with_compaction_sampler<T>(
    db: &dyn Store,
    work: impl FnOnce() -> Result<T, Box<dyn Error>>,
) -> Result<(T, Activity, TableSamples), Box<dyn Error>> {
    let done = std::sync::atomic::AtomicBool::new(false);
    let (result, busy, seen) = std::thread::scope(|s| {
        let sampler = s.spawn(|| {
            let (mut samples, mut busy, mut known, mut at_once) = (0u64, 0u64, true, 0u64);
            let mut seen = TableSamples::default();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                match db.disk() {
                    Ok(DiskFigures {
                        table_bytes,
                        compactions_running,
                        ..
                    }) => {
                        seen.add(table_bytes);
                        match compactions_running {
                            Some(n) => {
                                samples += 1;
                                busy += u64::from(n > 0);
                                at_once = at_once.max(n);
                            }
                            None => known = false,
                        }
                    }
                    Err(_) => known = false,
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let busy = (known && samples > 0).then(|| busy as f64 / samples as f64);
            ((busy, known.then_some(at_once)), seen)
        });
        let result = work();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let (busy, seen) = sampler
            .join()
            .unwrap_or(((None, None), TableSamples::default()));
        (result, busy, seen)
    });
    Ok((result?, busy, seen))
}

/// Ilion's throughput and p99 over each peer's, per workload (above 1:
/// Ilion does more operations per second; below 1: lower p99).
fn print_ratios(all: &[Figures]) {
    println!("ratios ilion / peer: ops/s (higher is better for ilion), p99 (lower is better), amplification (lower is better)");
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("x{:.2}", a / b),
        _ => "-".to_string(),
    };
    for ours in all.iter().filter(|f| f.engine == "ilion") {
        for peer in all
            .iter()
            .filter(|f| f.engine != "ilion" && f.step == ours.step)
        {
            let timed = if ours.ops > 0 && peer.ops > 0 {
                format!(
                    "ops/s x{:.2}  p99 x{:.2}  ",
                    ours.rate / peer.rate.max(1e-9),
                    ours.latency[2] / peer.latency[2].max(1e-9)
                )
            } else {
                String::new()
            };
            println!(
                "{:>2} {:<15} vs {:<8} {timed}write amp {} (per flushed byte {})  space amp {}",
                ours.step + 1,
                ours.workload,
                peer.engine,
                ratio(ours.write_amplification, peer.write_amplification),
                ratio(per_flushed_byte(ours), per_flushed_byte(peer)),
                ratio(ours.space_amplification, peer.space_amplification),
            );
        }
    }
}

fn run_one(
    db: &dyn Store,
    args: &StressArgs,
    workload: Workload,
) -> Result<Outcome, Box<dyn Error>> {
    let threads = args.threads.max(1) as u64;
    let per_thread = args.num / threads;
    let values = value_source(args.seed);
    let start = Instant::now();
    let results: Vec<ThreadResult> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let values = &values;
                s.spawn(move || -> ThreadResult {
                    let mut latency = histogram().map_err(|e| e.to_string())?;
                    let mut rng = StdRng::seed_from_u64(args.seed ^ (t << 32) ^ workload as u64);
                    let (mut ops, mut found) = (0u64, 0u64);
                    if workload == Workload::Readseq {
                        // One thread walks the table in pages.
                        if t > 0 {
                            return Ok((0, 0, latency));
                        }
                        let mut after: Option<Vec<u8>> = None;
                        loop {
                            let began = Instant::now();
                            let page = db.scan_page(after.as_deref(), 1000)?;
                            let Some(last) = page.last() else { break };
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
                            Workload::Readrandom | Workload::Readwhilecompacting => {
                                if db.get(&k)?.is_some() {
                                    found += 1;
                                }
                            }
                            _ => {
                                db.put(&k, value_at(values, t * per_thread + i, args.value_size))?
                            }
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
