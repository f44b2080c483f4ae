//! One workload's figures on one engine, and how they are printed: a
//! table on the terminal, one JSON object per workload, the ratios
//! Ilion / peer, and the HTML report's runs.

use super::driver::{IntervalFigures, Kind, Outcome};
use crate::report;
use hdrhistogram::Histogram;

/// p50, p90, p99, p99.9, p99.99 and max.
const QUANTILES: [f64; 5] = [0.5, 0.9, 0.99, 0.999, 0.9999];

/// Latency percentiles in µs: p50, p90, p99, p99.9, p99.99, max.
pub type Latency = [f64; 6];

/// The percentiles of a histogram in ns, in µs.
pub fn latency_of(h: &Histogram<u64>) -> Latency {
    let mut out = [0.0; 6];
    for (slot, q) in out.iter_mut().zip(QUANTILES) {
        *slot = h.value_at_quantile(q) as f64 / 1000.0;
    }
    out[5] = h.max() as f64 / 1000.0;
    out
}

/// The percentile curve of a histogram in ns, in µs: quantiles
/// 1 − 10^(−k/10) up to 99.999 %, then the maximum — the points of the
/// report's percentile chart.
fn percentile_curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let mut points: Vec<(f64, f64)> = (0..=50)
        .map(|k| {
            let q = 1.0 - 10f64.powf(-f64::from(k) / 10.0);
            (q, h.value_at_quantile(q) as f64 / 1000.0)
        })
        .collect();
    points.push((1.0, h.max() as f64 / 1000.0));
    points
}

/// One kind of operation within a mixed workload.
pub struct KindFigures {
    /// Its name.
    pub kind: Kind,
    /// Operations of the kind.
    pub ops: u64,
    /// Their latency.
    pub latency: Latency,
}

/// One workload's figures on one engine.
pub struct Figures {
    pub engine: &'static str,
    pub workload: String,
    /// Its place in `--workload` (the same workload may run twice; a YCSB
    /// load it triggered gets a step of its own).
    pub step: usize,
    pub ops: u64,
    pub found: u64,
    pub elapsed_seconds: f64,
    pub rate: f64,
    pub latency: Latency,
    /// Under `--rate`: the service time's p99 (from the actual start), µs.
    pub service_p99: Option<f64>,
    /// Per kind of operation, when the workload mixes several.
    pub by_kind: Vec<KindFigures>,
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// Writes a background thread made (readwhilewriting).
    pub background_ops: Option<u64>,
    /// Flush and compaction bytes written since the engine opened ÷ user
    /// bytes written (keys and values), when the engine counts them.
    pub write_amplification: Option<f64>,
    /// The part of `write_amplification` flushes account for.
    pub flush_write_amplification: Option<f64>,
    /// Every byte the process wrote to storage (logs included) ÷ user
    /// bytes written.
    pub io_write_amplification: Option<f64>,
    /// Table bytes before ÷ after a major compaction (`compact` only).
    pub space_amplification: Option<f64>,
    /// Mean and largest table bytes sampled during the overwrite passes ÷
    /// table bytes after the major compaction (`compact` only).
    pub space_amplification_mean: Option<f64>,
    pub space_amplification_max: Option<f64>,
    /// Table files and their bytes on disk at the end of the workload.
    pub table_bytes: u64,
    pub table_files: Option<u64>,
    /// Fraction of the workload's time during which a compaction ran.
    pub compaction_busy: Option<f64>,
    /// Most compactions seen running at once.
    pub compactions_at_once: Option<u64>,
    /// Writer stalls so far (flush, compaction), when the engine counts.
    pub stalls: Option<(u64, u64)>,
    /// For the report.
    pub percentiles: Vec<(f64, f64)>,
    pub intervals: Vec<IntervalFigures>,
}

impl Figures {
    /// The figures of `outcome`, with the engine-side ones left empty.
    pub fn of(engine: &'static str, workload: String, step: usize, outcome: &Outcome) -> Figures {
        let seconds = outcome.elapsed.as_secs_f64();
        let by_kind = if outcome.by_kind.len() > 1 {
            outcome
                .by_kind
                .iter()
                .map(|(kind, h)| KindFigures {
                    kind: *kind,
                    ops: h.len(),
                    latency: latency_of(h),
                })
                .collect()
        } else {
            Vec::new()
        };
        Figures {
            engine,
            workload,
            step,
            ops: outcome.ops,
            found: outcome.found,
            elapsed_seconds: seconds,
            rate: outcome.ops as f64 / seconds.max(1e-9),
            latency: latency_of(&outcome.latency),
            service_p99: outcome
                .service
                .as_ref()
                .map(|h| h.value_at_quantile(0.99) as f64 / 1000.0),
            by_kind,
            bytes_read: outcome.bytes_read,
            bytes_written: outcome.bytes_written,
            background_ops: outcome.background_ops,
            write_amplification: None,
            flush_write_amplification: None,
            io_write_amplification: None,
            space_amplification: None,
            space_amplification_mean: None,
            space_amplification_max: None,
            table_bytes: 0,
            table_files: None,
            compaction_busy: None,
            compactions_at_once: None,
            stalls: None,
            percentiles: percentile_curve(&outcome.latency),
            intervals: outcome.intervals.clone(),
        }
    }

    /// Bytes flushes and compactions wrote ÷ bytes flushes wrote: RocksDB's
    /// compaction-stats "W-Amp" (its Sum row), which leaves out how large
    /// each engine's files are for the same data.
    pub fn per_flushed_byte(&self) -> Option<f64> {
        self.write_amplification
            .zip(self.flush_write_amplification)
            .and_then(|(all, flush)| (flush > 0.0).then(|| all / flush))
    }

    /// The report's view of these figures.
    pub fn report_run(&self) -> report::Run {
        let mut extras = vec![
            ("found".to_string(), self.found.to_string()),
            (
                "MB written".to_string(),
                format!("{:.1}", self.bytes_written as f64 / 1e6),
            ),
            (
                "MB read".to_string(),
                format!("{:.1}", self.bytes_read as f64 / 1e6),
            ),
            (
                "write amp".to_string(),
                shown(self.write_amplification, 1.0, 2),
            ),
            (
                "space amp".to_string(),
                shown(self.space_amplification, 1.0, 2),
            ),
            (
                "table MB".to_string(),
                format!("{:.1}", self.table_bytes as f64 / 1e6),
            ),
            ("SSTables".to_string(), count(self.table_files)),
        ];
        if let Some(n) = self.background_ops {
            extras.push(("background writes".to_string(), n.to_string()));
        }
        for k in &self.by_kind {
            extras.push((
                format!("{} p99 µs", k.kind.name()),
                format!("{:.1} ({} ops)", k.latency[2], k.ops),
            ));
        }
        report::Run {
            engine: self.engine.to_string(),
            workload: self.workload.clone(),
            step: self.step,
            ops: self.ops,
            ops_per_second: self.rate,
            percentiles: self.percentiles.clone(),
            intervals: self
                .intervals
                .iter()
                .map(|i| report::Interval {
                    end_seconds: i.end_seconds,
                    ops_per_second: i.ops_per_second,
                    p50_us: i.p50_us,
                    p99_us: i.p99_us,
                    max_us: i.max_us,
                })
                .collect(),
            extras,
        }
    }
}

/// A JSON number, or null.
fn json_number(v: Option<f64>) -> String {
    v.map_or_else(|| "null".to_string(), |v| format!("{v:.3}"))
}

/// A count for JSON, or null.
fn json_count(v: Option<u64>) -> String {
    v.map_or_else(|| "null".to_string(), |v| v.to_string())
}

/// A figure for the table, or "-".
fn shown(v: Option<f64>, scale: f64, precision: usize) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{:.precision$}", v * scale))
}

/// A count for the table, or "-".
fn count(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// The latency fields of a JSON object.
fn json_latency(l: &Latency) -> String {
    let [p50, p90, p99, p999, p9999, max] = l;
    format!("\"p50_us\":{p50:.1},\"p90_us\":{p90:.1},\"p99_us\":{p99:.1},\"p999_us\":{p999:.1},\"p9999_us\":{p9999:.1},\"max_us\":{max:.1}")
}

/// The column headings of the table.
pub fn print_heading() {
    println!(
        "{:<8} {:<16} {:>9} {:>10} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "engine",
        "workload",
        "ops",
        "ops/s",
        "p50 µs",
        "p90 µs",
        "p99 µs",
        "p99.9 µs",
        "p99.99 µs",
        "max µs",
        "found"
    );
    println!(
        "{:>20} MB written/read by the workload; write amp (flush+compaction / user bytes; flush part; ÷ flushed bytes, RocksDB's W-Amp), io amp (all process writes incl. logs / user bytes), space amp (compact only: table bytes before ÷ after; mean and max sampled during overwrite passes ÷ after), SSTables, table MB, compaction busy %",
        ""
    );
}

/// Prints one workload's figures as a table row (and detail lines) or as
/// one JSON object.
pub fn print_figures(f: &Figures, json: bool) {
    if json {
        println!("{}", to_json(f));
        return;
    }
    let [p50, p90, p99, p999, p9999, max] = f.latency;
    let (engine, name, rate) = (f.engine, &f.workload, f.rate);
    println!(
        "{engine:<8} {name:<16} {:>9} {rate:>10.0} {p50:>8.1} {p90:>8.1} {p99:>8.1} {p999:>9.1} {p9999:>9.1} {max:>9.1} {:>9}",
        f.ops, f.found
    );
    for k in &f.by_kind {
        let [p50, p90, p99, p999, p9999, max] = k.latency;
        println!(
            "{:>8} {:<16} {:>9} {:>10} {p50:>8.1} {p90:>8.1} {p99:>8.1} {p999:>9.1} {p9999:>9.1} {max:>9.1}",
            "",
            format!("  {}", k.kind.name()),
            k.ops,
            ""
        );
    }
    if let Some(service) = f.service_p99 {
        println!("{:>20} service time p99 {service:.1} µs (latency above counts from each operation's intended start)", "");
    }
    if let Some(n) = f.background_ops {
        println!(
            "{:>20} a background writer did {n} writes ({:.0}/s) meanwhile",
            "",
            n as f64 / f.elapsed_seconds.max(1e-9)
        );
    }
    println!(
        "{:>20} {:.1} MB written, {:.1} MB read  write amp {} (flush {}; {} per flushed byte)  io amp {}  space amp {} (mean {}, max {})  {} SSTables, {:.1} MB  compaction busy {}% (at most {} at once){}",
        "",
        f.bytes_written as f64 / 1e6,
        f.bytes_read as f64 / 1e6,
        shown(f.write_amplification, 1.0, 2),
        shown(f.flush_write_amplification, 1.0, 2),
        shown(f.per_flushed_byte(), 1.0, 2),
        shown(f.io_write_amplification, 1.0, 2),
        shown(f.space_amplification, 1.0, 2),
        shown(f.space_amplification_mean, 1.0, 2),
        shown(f.space_amplification_max, 1.0, 2),
        count(f.table_files),
        f.table_bytes as f64 / 1e6,
        shown(f.compaction_busy, 100.0, 0),
        count(f.compactions_at_once),
        f.stalls.map_or_else(String::new, |(flush, compaction)| format!(
            "  stalls so far: {flush} for flushes, {compaction} for compaction"
        )),
    );
}

/// One JSON object of a workload's figures.
pub fn to_json(f: &Figures) -> String {
    let kinds: Vec<String> = f
        .by_kind
        .iter()
        .map(|k| {
            format!(
                "{{\"kind\":\"{}\",\"ops\":{},{}}}",
                k.kind.name(),
                k.ops,
                json_latency(&k.latency)
            )
        })
        .collect();
    format!(
        "{{\"workload\":\"{}\",\"engine\":\"{}\",\"step\":{},\"ops\":{},\"ops_per_sec\":{:.1},\"elapsed_s\":{:.3},{},\"service_p99_us\":{},\"found\":{},\"bytes_written\":{},\"bytes_read\":{},\"background_ops\":{},\"operations\":[{}],\"write_amplification\":{},\"flush_write_amplification\":{},\"write_amplification_per_flushed_byte\":{},\"io_write_amplification\":{},\"space_amplification\":{},\"space_amplification_mean\":{},\"space_amplification_max\":{},\"table_bytes\":{},\"sstables\":{},\"compaction_busy\":{},\"compactions_at_once\":{},\"flush_stalls\":{},\"compaction_stalls\":{}}}",
        f.workload,
        f.engine,
        f.step,
        f.ops,
        f.rate,
        f.elapsed_seconds,
        json_latency(&f.latency),
        json_number(f.service_p99),
        f.found,
        f.bytes_written,
        f.bytes_read,
        json_count(f.background_ops),
        kinds.join(","),
        json_number(f.write_amplification),
        json_number(f.flush_write_amplification),
        json_number(f.per_flushed_byte()),
        json_number(f.io_write_amplification),
        json_number(f.space_amplification),
        json_number(f.space_amplification_mean),
        json_number(f.space_amplification_max),
        f.table_bytes,
        json_count(f.table_files),
        json_number(f.compaction_busy),
        json_count(f.compactions_at_once),
        json_count(f.stalls.map(|(n, _)| n)),
        json_count(f.stalls.map(|(_, n)| n)),
    )
}

/// Ilion's throughput and p99 over each peer's, per workload (above 1:
/// Ilion does more operations per second; below 1: lower p99).
pub fn print_ratios(all: &[Figures]) {
    println!("ratios ilion / peer: ops/s (higher is better for ilion), p99 and p99.9 (lower is better), amplification (lower is better)");
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
                    "ops/s x{:.2}  p99 x{:.2}  p99.9 x{:.2}  ",
                    ours.rate / peer.rate.max(1e-9),
                    ours.latency[2] / peer.latency[2].max(1e-9),
                    ours.latency[3] / peer.latency[3].max(1e-9)
                )
            } else {
                String::new()
            };
            println!(
                "{:>2} {:<16} vs {:<8} {timed}write amp {} (per flushed byte {})  space amp {}",
                ours.step + 1,
                ours.workload,
                peer.engine,
                ratio(ours.write_amplification, peer.write_amplification),
                ratio(ours.per_flushed_byte(), peer.per_flushed_byte()),
                ratio(ours.space_amplification, peer.space_amplification),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_the_curve_come_from_the_histogram() {
        let mut h = super::super::driver::histogram().expect("histogram");
        for v in 1..=10_000u64 {
            h.record(v * 1000).expect("record");
        }
        let l = latency_of(&h);
        assert!((l[0] - 5000.0).abs() < 10.0, "{l:?}");
        assert!((l[2] - 9900.0).abs() < 20.0, "{l:?}");
        assert!((l[5] - 10_000.0).abs() < 10.0, "{l:?}");
        let curve = percentile_curve(&h);
        assert_eq!(curve.last().map(|p| p.0), Some(1.0));
        assert!(curve
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
    }
}
