//! Runs a workload's operations on threads and measures them: latency
//! per operation in HdrHistograms (overall, per kind of operation, and
//! per interval of time for the report), an optional target rate with
//! coordinated-omission correction, an optional time limit, and progress
//! on the terminal.

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use std::error::Error;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What an operation was, for the per-kind latency lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A put.
    Write,
    /// A point read.
    Read,
    /// A delete.
    Delete,
    /// A seek and the reads after it.
    Seek,
    /// A range scan.
    Scan,
    /// A YCSB update of one field.
    Update,
    /// A YCSB insert of a new record.
    Insert,
    /// A YCSB read-modify-write.
    ReadModifyWrite,
    /// An append of a time-series reading.
    Append,
    /// A read of the latest readings of a series.
    ReadLatest,
}

const KINDS: [Kind; 10] = [
    Kind::Write,
    Kind::Read,
    Kind::Delete,
    Kind::Seek,
    Kind::Scan,
    Kind::Update,
    Kind::Insert,
    Kind::ReadModifyWrite,
    Kind::Append,
    Kind::ReadLatest,
];

impl Kind {
    /// Its name in results.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Write => "write",
            Kind::Read => "read",
            Kind::Delete => "delete",
            Kind::Seek => "seek",
            Kind::Scan => "scan",
            Kind::Update => "update",
            Kind::Insert => "insert",
            Kind::ReadModifyWrite => "read-modify-write",
            Kind::Append => "append",
            Kind::ReadLatest => "read-latest",
        }
    }

    /// Its place in [`KINDS`] (declared in the same order).
    fn index(self) -> usize {
        self as usize
    }
}

/// What one call of an operation did.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    /// Its kind.
    pub kind: Kind,
    /// Operations it counts for: 1, or the entries a page of a sequential
    /// read returned (each then timed at the page's time ÷ entries).
    pub count: u64,
    /// Reads that found what they looked for.
    pub found: u64,
    /// Key and value bytes returned.
    pub bytes_read: u64,
    /// Key and value bytes written.
    pub bytes_written: u64,
    /// The thread has nothing more to do (a sequential read at the end).
    pub last: bool,
}

impl Done {
    /// One operation of `kind`.
    pub fn one(kind: Kind) -> Done {
        Done {
            kind,
            count: 1,
            found: 0,
            bytes_read: 0,
            bytes_written: 0,
            last: false,
        }
    }

    /// With `found` reads that found their data.
    pub fn found(self, found: bool) -> Done {
        Done {
            found: u64::from(found),
            ..self
        }
    }

    /// With `bytes` read.
    pub fn read(self, bytes: u64) -> Done {
        Done {
            bytes_read: bytes,
            ..self
        }
    }

    /// With `bytes` written.
    pub fn wrote(self, bytes: u64) -> Done {
        Done {
            bytes_written: bytes,
            ..self
        }
    }
}

/// How a workload runs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Its name, for the progress line.
    pub label: String,
    /// Threads issuing operations.
    pub threads: usize,
    /// Operations each thread issues (before `duration` ends it).
    pub ops_per_thread: u64,
    /// A time limit.
    pub duration: Option<Duration>,
    /// A target rate in operations per second over all threads: each
    /// operation has an intended start time, and its latency counts from
    /// then, so that a stall delays the operations queued behind it
    /// instead of hiding them (coordinated omission, as wrk2 and
    /// cassandra-stress correct it).
    pub rate: Option<f64>,
}

/// One interval of the run, for the report's charts.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalFigures {
    /// Seconds since the start, at the interval's end.
    pub end_seconds: f64,
    /// Operations completed per second in it.
    pub ops_per_second: f64,
    /// Latency percentiles of its operations, µs.
    pub p50_us: f64,
    /// p99, µs.
    pub p99_us: f64,
    /// Largest, µs.
    pub max_us: f64,
}

/// What a workload did.
pub struct Outcome {
    /// Operations.
    pub ops: u64,
    /// Reads that found their data.
    pub found: u64,
    /// Key and value bytes returned.
    pub bytes_read: u64,
    /// Key and value bytes written.
    pub bytes_written: u64,
    /// From the first thread's start to the last one's end.
    pub elapsed: Duration,
    /// Latency in ns (from the intended start under a target rate).
    pub latency: Histogram<u64>,
    /// Service time in ns (from the actual start), under a target rate.
    pub service: Option<Histogram<u64>>,
    /// Latency per kind of operation, for the kinds that ran.
    pub by_kind: Vec<(Kind, Histogram<u64>)>,
    /// Throughput and latency per interval.
    pub intervals: Vec<IntervalFigures>,
    /// Operations a background thread did (readwhilewriting's writer).
    pub background_ops: Option<u64>,
}

impl Outcome {
    /// An outcome with no timed operations (compaction steps).
    pub fn untimed(elapsed: Duration) -> Result<Outcome, Box<dyn Error>> {
        Ok(Outcome {
            ops: 0,
            found: 0,
            bytes_read: 0,
            bytes_written: 0,
            elapsed,
            latency: histogram()?,
            service: None,
            by_kind: Vec::new(),
            intervals: Vec::new(),
            background_ops: None,
        })
    }
}

/// Nanoseconds from 1 ns to an hour, three significant digits.
pub fn histogram() -> Result<Histogram<u64>, hdrhistogram::CreationError> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3)
}

/// Interval histograms in µs up to 100 s, two significant digits: small
/// enough to keep one per thread per interval.
fn interval_histogram() -> Result<Histogram<u32>, hdrhistogram::CreationError> {
    Histogram::new_with_bounds(1, 100_000_000, 2)
}

/// Length of a report interval.
const INTERVAL: Duration = Duration::from_millis(500);

/// Operations a thread counts before it tells the progress display.
const PROGRESS_BATCH: u64 = 256;

/// A thread's measurements.
struct ThreadFigures {
    ops: u64,
    found: u64,
    bytes_read: u64,
    bytes_written: u64,
    latency: Histogram<u64>,
    service: Option<Histogram<u64>>,
    by_kind: Vec<Option<Histogram<u64>>>,
    intervals: Vec<(u64, Histogram<u32>)>,
}

/// Work that runs beside the measured threads until the flag tells it
/// to stop; returns how many operations it did.
pub type Background<'a> = dyn Fn(&AtomicBool) -> Result<u64, String> + Sync + 'a;

/// Runs `plan`: each thread gets an operation from `make(thread)` and
/// calls it with 0, 1, 2, ... until its count, the time limit, or the
/// operation's `last`. `background`, when given, runs beside them until
/// they finish (it is told to stop through the flag) and returns how many
/// operations it did.
pub fn drive<Op>(
    plan: &Plan,
    make: impl Fn(usize) -> Result<Op, String> + Sync,
    background: Option<&Background<'_>>,
) -> Result<Outcome, Box<dyn Error>>
where
    Op: FnMut(u64) -> Result<Done, String>,
{
    let threads = plan.threads.max(1);
    let progress = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let finished = AtomicBool::new(false);
    let start = Instant::now();
    let (results, elapsed, background_ops) = std::thread::scope(|s| {
        let background = background.map(|work| s.spawn(|| work(&stop)));
        let display = s.spawn(|| show_progress(plan, &progress, &finished, start));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (make, progress) = (&make, &progress);
                s.spawn(move || run_thread(plan, threads, start, make(t)?, progress))
            })
            .collect();
        let results: Vec<Result<ThreadFigures, String>> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a stress thread panicked".into()))
            })
            .collect();
        // The workload ends with its last thread, not with the helpers.
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        finished.store(true, Ordering::Relaxed);
        let _ = display.join();
        let background_ops = background.map(|h| {
            h.join()
                .unwrap_or_else(|_| Err("the background thread panicked".into()))
        });
        (results, elapsed, background_ops)
    });
    let mut outcome = Outcome::untimed(elapsed)?;
    outcome.background_ops = background_ops.transpose()?;
    let mut by_kind: Vec<Option<Histogram<u64>>> = vec![None; KINDS.len()];
    let mut intervals: Vec<(u64, Histogram<u32>)> = Vec::new();
    for result in results {
        let figures = result?;
        outcome.ops += figures.ops;
        outcome.found += figures.found;
        outcome.bytes_read += figures.bytes_read;
        outcome.bytes_written += figures.bytes_written;
        outcome.latency.add(&figures.latency)?;
        if let Some(service) = figures.service {
            match &mut outcome.service {
                Some(total) => total.add(&service)?,
                None => outcome.service = Some(service),
            }
        }
        for (slot, h) in by_kind.iter_mut().zip(figures.by_kind) {
            if let Some(h) = h {
                match slot {
                    Some(total) => total.add(&h)?,
                    None => *slot = Some(h),
                }
            }
        }
        for (i, (ops, h)) in figures.intervals.into_iter().enumerate() {
            if intervals.len() <= i {
                intervals.push((0, interval_histogram()?));
            }
            intervals[i].0 += ops;
            intervals[i].1.add(&h)?;
        }
    }
    outcome.by_kind = KINDS
        .iter()
        .zip(by_kind)
        .filter_map(|(k, h)| h.map(|h| (*k, h)))
        .collect();
    let total = elapsed.as_secs_f64();
    outcome.intervals = intervals
        .iter()
        .enumerate()
        .map(|(i, (ops, h))| {
            let begin = i as f64 * INTERVAL.as_secs_f64();
            let end = ((i + 1) as f64 * INTERVAL.as_secs_f64()).min(total);
            let quantile = |q| h.value_at_quantile(q) as f64;
            IntervalFigures {
                end_seconds: end,
                ops_per_second: *ops as f64 / (end - begin).max(1e-3),
                p50_us: quantile(0.5),
                p99_us: quantile(0.99),
                max_us: h.max() as f64,
            }
        })
        .collect();
    Ok(outcome)
}

fn run_thread<Op>(
    plan: &Plan,
    threads: usize,
    start: Instant,
    mut op: Op,
    progress: &AtomicU64,
) -> Result<ThreadFigures, String>
where
    Op: FnMut(u64) -> Result<Done, String>,
{
    let text = |e: hdrhistogram::CreationError| e.to_string();
    let mut figures = ThreadFigures {
        ops: 0,
        found: 0,
        bytes_read: 0,
        bytes_written: 0,
        latency: histogram().map_err(text)?,
        service: match plan.rate {
            Some(_) => Some(histogram().map_err(text)?),
            None => None,
        },
        by_kind: vec![None; KINDS.len()],
        intervals: Vec::new(),
    };
    // Each thread keeps its share of the target rate.
    let spacing = plan
        .rate
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(threads as f64 / r));
    let deadline = plan.duration.map(|d| start + d);
    let mut unreported = 0;
    for i in 0..plan.ops_per_thread {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        let intended = match spacing {
            Some(spacing) => {
                let intended = start + spacing.mul_f64(i as f64);
                if intended > now {
                    std::thread::sleep(intended - now);
                }
                intended
            }
            None => now,
        };
        let began = Instant::now();
        let done = op(i)?;
        let ended = Instant::now();
        if done.count > 0 {
            let per_op = |from: Instant| {
                ((ended.saturating_duration_since(from)).as_nanos() as u64 / done.count).max(1)
            };
            let latency = per_op(intended.min(began));
            figures.latency.saturating_record_n(latency, done.count);
            if let Some(service) = &mut figures.service {
                service.saturating_record_n(per_op(began), done.count);
            }
            let slot = &mut figures.by_kind[done.kind.index()];
            if slot.is_none() {
                *slot = Some(histogram().map_err(text)?);
            }
            if let Some(h) = slot {
                h.saturating_record(latency);
            }
            let at =
                (ended.saturating_duration_since(start).as_nanos() / INTERVAL.as_nanos()) as usize;
            while figures.intervals.len() <= at {
                figures
                    .intervals
                    .push((0, interval_histogram().map_err(text)?));
            }
            figures.intervals[at].0 += done.count;
            figures.intervals[at]
                .1
                .saturating_record((latency / 1000).max(1));
            figures.ops += done.count;
            figures.found += done.found;
            figures.bytes_read += done.bytes_read;
            figures.bytes_written += done.bytes_written;
            unreported += done.count;
            if unreported >= PROGRESS_BATCH {
                progress.fetch_add(unreported, Ordering::Relaxed);
                unreported = 0;
            }
        }
        if done.last {
            break;
        }
    }
    progress.fetch_add(unreported, Ordering::Relaxed);
    Ok(figures)
}

/// A progress bar (operations done, current rate, elapsed) while the
/// workload runs, on a terminal; elsewhere a plain line every 10 s.
fn show_progress(plan: &Plan, progress: &AtomicU64, finished: &AtomicBool, start: Instant) {
    let total = plan
        .ops_per_thread
        .saturating_mul(plan.threads.max(1) as u64);
    let terminal = std::io::stderr().is_terminal();
    let bar = terminal.then(|| {
        let bar = match plan.duration {
            Some(d) => ProgressBar::new(d.as_millis() as u64),
            None if total < u64::MAX / 2 => ProgressBar::new(total),
            None => ProgressBar::new_spinner(),
        };
        // One line whatever the terminal's width: the bar takes what the
        // text leaves.
        let template = "{prefix} [{wide_bar}] {percent:>3}% {msg} {elapsed}";
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(plan.label.clone());
        bar
    });
    let (mut last_ops, mut last_at) = (0u64, start);
    let mut last_line = start;
    while !finished.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        let now = Instant::now();
        let ops = progress.load(Ordering::Relaxed);
        let window = now.duration_since(last_at).as_secs_f64();
        if window < 0.5 {
            continue;
        }
        let rate = (ops - last_ops) as f64 / window;
        (last_ops, last_at) = (ops, now);
        match &bar {
            Some(bar) => {
                match plan.duration {
                    Some(_) => bar.set_position(now.duration_since(start).as_millis() as u64),
                    None => bar.set_position(ops),
                }
                bar.set_message(format!("{ops} ops {rate:.0}/s"));
            }
            None if now.duration_since(last_line) >= Duration::from_secs(10) => {
                last_line = now;
                eprintln!(
                    "{}: {ops} ops, {rate:.0} ops/s, {:.0} s",
                    plan.label,
                    now.duration_since(start).as_secs_f64()
                );
            }
            None => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(ops: u64, rate: Option<f64>) -> Plan {
        Plan {
            label: "test".to_string(),
            threads: 2,
            ops_per_thread: ops,
            duration: None,
            rate,
        }
    }

    #[test]
    fn kinds_sit_at_their_index() {
        for (i, kind) in KINDS.iter().enumerate() {
            assert_eq!(kind.index(), i, "{kind:?}");
        }
    }

    #[test]
    fn counts_operations_per_kind_and_interval() {
        let outcome = drive(
            &plan(500, None),
            |t| {
                Ok(move |i: u64| {
                    let kind = if (i + t as u64).is_multiple_of(2) {
                        Kind::Read
                    } else {
                        Kind::Write
                    };
                    Ok(Done::one(kind).found(i.is_multiple_of(4)).read(10).wrote(3))
                })
            },
            None,
        )
        .expect("drive");
        assert_eq!(outcome.ops, 1000);
        assert_eq!(outcome.found, 250);
        assert_eq!((outcome.bytes_read, outcome.bytes_written), (10_000, 3000));
        assert_eq!(outcome.latency.len(), 1000);
        let kinds: Vec<_> = outcome.by_kind.iter().map(|(k, h)| (*k, h.len())).collect();
        assert_eq!(kinds, [(Kind::Write, 500), (Kind::Read, 500)]);
        let interval_ops: f64 = outcome
            .intervals
            .iter()
            .map(|i| i.ops_per_second * INTERVAL.as_secs_f64())
            .sum();
        assert!(!outcome.intervals.is_empty() && interval_ops > 0.0);
    }

    #[test]
    fn pages_count_their_entries_and_last_ends_the_thread() {
        let outcome = drive(
            &plan(1000, None),
            |_| {
                Ok(|i: u64| {
                    Ok(Done {
                        count: if i < 3 { 100 } else { 0 },
                        last: i == 3,
                        ..Done::one(Kind::Scan)
                    })
                })
            },
            None,
        )
        .expect("drive");
        assert_eq!(outcome.ops, 600);
        assert_eq!(outcome.latency.len(), 600);
    }

    /// Under a target rate, a stall delays the operations behind it: their
    /// latency counts from their intended start, so a single 200 ms stall
    /// at 1,000 ops/s shows in about 200 operations, not one.
    #[test]
    fn a_stall_under_a_target_rate_shows_in_the_operations_behind_it() {
        let plan = Plan {
            threads: 1,
            ..plan(600, Some(1000.0))
        };
        let outcome = drive(
            &plan,
            |_| {
                Ok(|i: u64| {
                    if i == 100 {
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    Ok(Done::one(Kind::Read))
                })
            },
            None,
        )
        .expect("drive");
        let over_50ms = outcome
            .latency
            .iter_recorded()
            .filter(|v| v.value_iterated_to() >= 50_000_000)
            .map(|v| v.count_at_value())
            .sum::<u64>();
        assert!(
            over_50ms >= 100,
            "only {over_50ms} operations saw the stall"
        );
        let service = outcome.service.expect("service time under a rate");
        let service_over_50ms = service
            .iter_recorded()
            .filter(|v| v.value_iterated_to() >= 50_000_000)
            .map(|v| v.count_at_value())
            .sum::<u64>();
        assert_eq!(service_over_50ms, 1);
        // The rate held: 600 operations at 1,000/s take at least 0.6 s.
        assert!(outcome.elapsed >= Duration::from_millis(590));
    }

    /// The progress display wakes every 100 ms; a workload's time must
    /// end with its last operation, not with the display's next wake.
    #[test]
    fn elapsed_time_ends_with_the_last_operation() {
        let outcome =
            drive(&plan(10, None), |_| Ok(|_| Ok(Done::one(Kind::Read))), None).expect("drive");
        assert!(
            outcome.elapsed < Duration::from_millis(50),
            "{:?}",
            outcome.elapsed
        );
    }

    #[test]
    fn a_time_limit_ends_the_workload_and_the_background_runs_beside_it() {
        let plan = Plan {
            duration: Some(Duration::from_millis(300)),
            ..plan(u64::MAX, None)
        };
        let background = |stop: &AtomicBool| -> Result<u64, String> {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(n)
        };
        let outcome = drive(
            &plan,
            |_| {
                Ok(|_| {
                    std::thread::sleep(Duration::from_micros(100));
                    Ok(Done::one(Kind::Read))
                })
            },
            Some(&background),
        )
        .expect("drive");
        assert!(outcome.elapsed >= Duration::from_millis(300));
        assert!(outcome.elapsed < Duration::from_secs(5));
        assert!(outcome.ops > 10);
        assert!(outcome.background_ops.is_some_and(|n| n > 10));
    }
}
