//! `ilion stress`: db_bench's workloads, YCSB's core workloads and a
//! Cassandra-style time series, with latency percentiles per workload,
//! on Ilion or (with the `peers` feature) on RocksDB and fjall side by
//! side.

mod driver;
mod ops;
mod output;
mod sampler;
mod workload;

use crate::report;
use crate::store::{self, CompactionArg, EngineArg, SstableFormatArg, Store, SyncArg};
use clap::Args;
use driver::Outcome;
use ops::{Context, SeriesData, YcsbData};
use output::Figures;
use sampler::{process_write_bytes, wait_for_compactions, with_compaction_sampler, TableSamples};
use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;
pub use workload::Workload;

/// The default mix: a minute or less on a laptop.
const DEFAULT_MIX: [Workload; 7] = [
    Workload::Fillrandom,
    Workload::Readrandom,
    Workload::Readseq,
    Workload::Seekrandom,
    Workload::YcsbA,
    Workload::YcsbC,
    Workload::Timeseries,
];

/// Options of `ilion stress`.
#[derive(Args, Debug, Clone)]
pub struct StressArgs {
    /// Workloads to run in order on the same database, comma-separated
    /// (default: fillrandom, readrandom, readseq, seekrandom, ycsb-a,
    /// ycsb-c, timeseries).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = DEFAULT_MIX)]
    pub workload: Vec<Workload>,
    /// Engine to run on.
    #[arg(long, value_enum, default_value_t = EngineArg::Ilion)]
    pub engine: EngineArg,
    /// Runs the workloads on Ilion, RocksDB and fjall in turn (each in its
    /// own directory) and prints the ratios Ilion / peer. Needs the
    /// `peers` feature.
    #[arg(long)]
    pub compare: bool,
    /// Operations per workload (keys are drawn from 0..num); YCSB loads
    /// num records.
    #[arg(long, default_value_t = 200_000)]
    pub num: u64,
    /// Runs each workload for this many seconds instead of num operations
    /// (keys still drawn from 0..num; loads and sequential reads keep
    /// their own length).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Target operations per second over all threads: each operation has
    /// an intended start time and its latency counts from then
    /// (coordinated-omission correction, as wrk2 and cassandra-stress).
    /// Unlimited when absent.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Writes a self-contained HTML report (throughput and latency over
    /// time, latency percentiles per workload and engine) to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Key bytes.
    #[arg(long, default_value_t = 16)]
    pub key_size: usize,
    /// Value bytes.
    #[arg(long, default_value_t = 100)]
    pub value_size: usize,
    /// Threads sharing each workload's operations.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Commitlog (write-ahead log) sync mode.
    #[arg(long, value_enum, default_value_t = SyncArg::Periodic)]
    pub sync: SyncArg,
    /// Seed of the key choices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// One JSON object per workload instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Data directory to keep; a temporary one (removed afterwards) when
    /// absent. With `--compare`, each engine gets a folder inside it.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The SSTable format of Ilion's tables: big (oa) or BTI (da).
    #[arg(long, value_enum, default_value_t = SstableFormatArg::Big)]
    pub sstable_format: SstableFormatArg,
    /// Ilion's compaction strategy, with Cassandra's default options
    /// (RocksDB and fjall keep their default, leveled).
    #[arg(long, value_enum, default_value_t = CompactionArg::Stcs)]
    pub compaction: CompactionArg,
    /// Leveled SSTable size / unified target SSTable size in MiB
    /// (Cassandra's defaults when absent: 160 and 1024), as db_bench's
    /// `--target_file_size_base`.
    #[arg(long)]
    pub sstable_size_mb: Option<u64>,
    /// Ilion's compaction throughput limit in MiB/s (0: unlimited, as
    /// RocksDB and fjall run by default; Cassandra's default is 64).
    #[arg(long, default_value_t = 0)]
    pub compaction_throughput_mb: u64,
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
/// one line (or JSON object) per workload and engine, then the ratios;
/// writes the report when asked.
pub fn run(args: &StressArgs) -> Result<(), Box<dyn Error>> {
    let (root, _temp) = crate::data_dir(args.dir.as_ref())?;
    let engines = if args.compare {
        vec![EngineArg::Ilion, EngineArg::Rocksdb, EngineArg::Fjall]
    } else {
        vec![args.engine]
    };
    let title = format!(
        "ilion stress: {} ops per workload{}{}, {}-byte keys, {}-byte values, {} thread(s), {:?} sync",
        args.num,
        args.duration.map_or_else(String::new, |d| format!(" or {d} s")),
        args.rate.map_or_else(String::new, |r| format!(" at {r} ops/s")),
        args.key_size,
        args.value_size,
        args.threads,
        args.sync,
    );
    if !args.json {
        println!("{title}, in {}", root.display());
    }
    let mut all = Vec::new();
    let mut settings = Vec::new();
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
            store::IlionSettings {
                format: args.sstable_format,
                strategy: args.compaction,
                sstable_size_mb: args.sstable_size_mb,
                throughput_mb: args.compaction_throughput_mb,
            },
        )?;
        settings.push(format!("{}: {}", engine.name(), db.settings()));
        if !args.json {
            println!("{}: {}", engine.name(), db.settings());
            output::print_heading();
        }
        let figures = run_engine(db.as_ref(), engine, args)?;
        all.extend(figures);
        // A kept directory holds only flushed files.
        db.finish()?;
    }
    if args.compare && !args.json {
        output::print_ratios(&all);
    }
    if let Some(path) = &args.report {
        settings.push(format!("machine: {}", machine_description()));
        let page = report::render(&report::Report {
            title,
            settings,
            runs: all.iter().map(Figures::report_run).collect(),
        });
        std::fs::write(path, page)?;
        if !args.json {
            println!("report: {}", path.display());
        }
    }
    Ok(())
}

/// Cores and memory of this machine, for the report.
fn machine_description() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or_else(
            || "unknown memory".to_string(),
            |kb| format!("{:.1} GiB", kb as f64 / (1 << 20) as f64),
        );
    format!(
        "{cores} cores, {memory}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// Runs every workload on one engine; their figures in order.
fn run_engine(
    db: &dyn Store,
    engine: EngineArg,
    args: &StressArgs,
) -> Result<Vec<Figures>, Box<dyn Error>> {
    let at_open = db.disk()?;
    let mut written = Written {
        io_at_open: process_write_bytes(),
        engine_at_open: at_open.written_bytes,
        flushed_at_open: at_open.flushed_bytes,
        ..Written::default()
    };
    let values = workload::value_source(args.seed);
    let mut ycsb = YcsbData::default();
    let series = SeriesData::new((args.num / 100).clamp(1, 1000) as usize);
    let mut cx = Context {
        db,
        args,
        values: &values,
        ycsb: &mut ycsb,
        series: &series,
    };
    let mut all = Vec::new();
    let mut step = 0;
    for workload in &args.workload {
        let workload = *workload;
        if workload.ycsb().is_some() && !cx.ycsb_loaded() {
            let f = measure(&mut cx, engine, Workload::YcsbLoad, step, &mut written)?;
            all.push(f);
            step += 1;
        }
        let f = measure(&mut cx, engine, workload, step, &mut written)?;
        all.push(f);
        step += 1;
    }
    Ok(all)
}

/// Runs one workload and gathers its figures, engine-side ones included;
/// prints them.
fn measure(
    cx: &mut Context<'_>,
    engine: EngineArg,
    workload: Workload,
    step: usize,
    written: &mut Written,
) -> Result<Figures, Box<dyn Error>> {
    let db = cx.db;
    let mut space = (None, None, None);
    let (o, (busy, at_once)): (Outcome, sampler::Activity) = match workload {
        Workload::Compact => {
            let before = db.disk()?.table_bytes;
            let started = Instant::now();
            db.compact_all()?;
            let after = db.disk()?.table_bytes.max(1) as f64;
            let (mean, max) = written.table_samples.over(after).unzip();
            space = (Some(before as f64 / after), mean, max);
            (Outcome::untimed(started.elapsed())?, (None, None))
        }
        Workload::Waitcompactions => {
            let started = Instant::now();
            wait_for_compactions(db)?;
            (Outcome::untimed(started.elapsed())?, (None, None))
        }
        Workload::Readwhilecompacting => {
            let (o, busy, _) = std::thread::scope(|s| {
                let compaction = s.spawn(move || db.compact_all());
                let measured =
                    with_compaction_sampler(db, || ops::run(cx, Workload::Readwhilecompacting));
                let compacted = compaction
                    .join()
                    .unwrap_or_else(|_| Err("the compaction thread panicked".into()));
                measured.and_then(|m| compacted.map(|()| m).map_err(Into::into))
            })?;
            (o, busy)
        }
        Workload::YcsbLoad => {
            let (o, busy, _) = with_compaction_sampler(db, || ops::ycsb_load(cx))?;
            (o, busy)
        }
        _ => {
            let (o, busy, samples) = with_compaction_sampler(db, || match workload.ycsb() {
                Some(core) => ops::ycsb_run(cx, core, workload),
                None => ops::run(cx, workload),
            })?;
            if workload == Workload::Overwrite {
                written.table_samples.merge(samples);
            }
            (o, busy)
        }
    };
    // Every workload's keys and values count as user bytes, the YCSB
    // records and time series too: the engines' counters cover every
    // table.
    written.user_bytes += o.bytes_written;
    let disk = db.disk()?;
    let per_user_byte =
        |bytes: u64| (written.user_bytes > 0).then(|| bytes as f64 / written.user_bytes as f64);
    let mut f = Figures::of(engine.name(), workload.name(), step, &o);
    f.write_amplification = disk
        .written_bytes
        .zip(written.engine_at_open)
        .and_then(|(now, then)| per_user_byte(now.saturating_sub(then)));
    f.flush_write_amplification = disk
        .flushed_bytes
        .zip(written.flushed_at_open)
        .and_then(|(now, then)| per_user_byte(now.saturating_sub(then)));
    f.io_write_amplification = process_write_bytes()
        .zip(written.io_at_open)
        .and_then(|(now, then)| per_user_byte(now.saturating_sub(then)));
    (
        f.space_amplification,
        f.space_amplification_mean,
        f.space_amplification_max,
    ) = space;
    f.table_bytes = disk.table_bytes;
    f.table_files = disk.table_files;
    f.compaction_busy = busy;
    f.compactions_at_once = at_once;
    f.stalls = disk.stalls;
    output::print_figures(&f, cx.args.json);
    Ok(f)
}
