//! The HTML report of `ilion stress --report`: one self-contained page in
//! the spirit of cassandra-stress's `-graph`. For each workload step it
//! shows a summary table, throughput over time and latency over time (one
//! line per engine) and latency by percentile (HdrHistogram's "nines"
//! axis); an overview table and the settings come first.
//!
//! Everything is inline: the CSS sits in a `<style>` element and the charts
//! are SVG drawn here, so the page needs no script, font, stylesheet or
//! image from anywhere and renders the same in any browser. Hover text
//! comes from SVG `<title>` elements.

use std::collections::BTreeMap;
use std::fmt::Write as _;

mod axis;
mod chart;
mod text;

use chart::*;
use text::*;

/// One second-or-so interval of a workload's run on one engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// Seconds since the workload started, at the end of the interval.
    pub end_seconds: f64,
    /// Operations completed per second during the interval.
    pub ops_per_second: f64,
    /// Median latency of the operations completed in the interval, µs (0
    /// when none).
    pub p50_us: f64,
    /// 99th-percentile latency of the operations completed in the interval,
    /// µs (0 when none).
    pub p99_us: f64,
    /// Largest latency of the operations completed in the interval, µs (0
    /// when none).
    pub max_us: f64,
}

/// One workload on one engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The engine's name ("ilion", "rocksdb", "fjall", ...).
    pub engine: String,
    /// The workload's name ("fillrandom", ...).
    pub workload: String,
    /// Its place in the workload list (the same workload name may appear
    /// twice: step distinguishes them; charts group runs by step).
    pub step: usize,
    /// Operations performed.
    pub ops: u64,
    /// Operations per second over the whole run.
    pub ops_per_second: f64,
    /// (quantile in [0,1], latency µs) points of the whole run's histogram,
    /// increasing quantile, the last one being q=1.0 (max). Empty when the
    /// workload does not time operations (e.g. a compaction step).
    pub percentiles: Vec<(f64, f64)>,
    /// The run's intervals, in time order.
    pub intervals: Vec<Interval>,
    /// Extra figures shown in the summary table as "name: value" (e.g.
    /// write amplification), already formatted.
    pub extras: Vec<(String, String)>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// e.g. "ilion stress — 1000000 ops per workload, 16-byte keys, ..."
    pub title: String,
    /// One line per engine describing its settings, and a line describing
    /// the machine/command.
    pub settings: Vec<String>,
    /// Every workload run on every engine, in any order.
    pub runs: Vec<Run>,
}

/// Latencies below this (zero included) are drawn at it on log axes, µs.
const LATENCY_FLOOR_US: f64 = 0.1;
/// The summary table's percentile columns: header and quantile.
const PERCENTILE_COLUMNS: [(&str, f64); 6] = [
    ("p50", 0.5),
    ("p90", 0.9),
    ("p99", 0.99),
    ("p99.9", 0.999),
    ("p99.99", 0.9999),
    ("max", 1.0),
];
/// Quantiles within this of the target count as reaching it (float noise).
const QUANTILE_EPSILON: f64 = 1e-9;
/// Colours of the engines everyone compares, whatever order they come in.
const PREFERRED_COLOURS: [(&str, &str); 3] = [
    ("ilion", "#2563eb"),
    ("rocksdb", "#dc2626"),
    ("fjall", "#16a34a"),
];
/// Colours handed out to the other engines, in order.
const PALETTE: [&str; 9] = [
    "#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#c026d3", "#854d0e",
    "#475569",
];
/// Neutral colour of the line-style keys in the latency chart's legend.
const KEY_COLOUR: &str = "#4b5563";

/// Chart geometry, in SVG user units.
const CHART_WIDTH: f64 = 720.0;
/// Height of the plotting area; the chart's height adds title, legend and
/// axis labels.
const PLOT_HEIGHT: f64 = 236.0;
/// Room for the y tick labels and the y axis title.
const MARGIN_LEFT: f64 = 74.0;
/// Room for the last x tick label.
const MARGIN_RIGHT: f64 = 26.0;
/// Room for the x tick labels and the x axis title.
const MARGIN_BOTTOM: f64 = 48.0;
/// Approximate advance of one character of 12-unit text (legend layout).
const CHAR_WIDTH: f64 = 6.9;
/// Interval series with at most this many points get visible markers.
const VISIBLE_MARKERS_UP_TO: usize = 25;
/// Percentile series with at most this many points get visible markers
/// (a smooth curve needs none).
const VISIBLE_PERCENTILE_MARKERS_UP_TO: usize = 8;
/// At most this many hover markers per series (the rest are skipped).
const MAX_MARKERS: usize = 180;

/// The page's style sheet.
const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; background: #f3f4f6; color: #1f2937;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif; }
h1 { font-size: 22px; margin: 0 0 16px; font-weight: 650; }
h2 { font-size: 18px; margin: 0 0 12px; font-weight: 600; }
h2 .num { display: inline-block; min-width: 28px; padding: 0 7px; margin-right: 8px; border-radius: 6px;
  background: #1f2937; color: #fff; font-size: 14px; text-align: center; vertical-align: 2px; }
section.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 18px 20px;
  margin: 0 0 20px; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
ul.settings { margin: 0; padding-left: 20px; font-family: ui-monospace, "DejaVu Sans Mono", monospace;
  font-size: 12.5px; }
ul.settings li { margin: 2px 0; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e5e7eb; white-space: nowrap; }
th { background: #f9fafb; font-weight: 600; text-align: right; color: #374151; }
td { text-align: right; }
th.l, td.l { text-align: left; }
th.eng { text-align: center; border-left: 1px solid #e5e7eb; }
td.first { border-left: 1px solid #e5e7eb; }
td.extras { text-align: left; white-space: normal; color: #374151; }
td.extras span.extra { display: inline-block; margin-right: 14px; }
td.extras span.k { color: #6b7280; }
tbody tr:hover td { background: #f9fafb; }
td.best { font-weight: 700; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px;
  vertical-align: 0; }
a { color: #1d4ed8; text-decoration: none; }
a:hover { text-decoration: underline; }
p.note { color: #6b7280; margin: 12px 0 0; font-style: italic; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px;
  margin-top: 16px; }
svg.chart { width: 100%; max-width: 860px; height: auto; display: block; background: #fff;
  border: 1px solid #eef0f3; border-radius: 8px; }
svg.chart text { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif;
  font-size: 12px; fill: #374151; }
svg.chart text.title { font-size: 15px; font-weight: 600; fill: #111827; }
svg.chart text.axis-title { font-size: 12.5px; fill: #4b5563; }
svg.chart text.tick { font-size: 11.5px; fill: #6b7280; }
svg.chart text.empty { font-size: 13px; fill: #9ca3af; font-style: italic; }
svg.chart circle.hit { fill: transparent; }
svg.chart circle.hit:hover { stroke: #111827; stroke-width: 1.5; }
footer { color: #9ca3af; font-size: 12px; }
"#;

/// The self-contained HTML document.
pub fn render(report: &Report) -> String {
    let colours = engine_colours(&report.runs);
    let steps = group_by_step(&report.runs);
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", esc(&report.title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(out, "<h1>{}</h1>", esc(&report.title));

    if !report.settings.is_empty() {
        out.push_str("<section class=\"card\">\n<h2>Settings</h2>\n<ul class=\"settings\">\n");
        for line in &report.settings {
            let _ = writeln!(out, "<li>{}</li>", esc(line));
        }
        out.push_str("</ul>\n</section>\n");
    }

    if steps.is_empty() {
        out.push_str("<section class=\"card\">\n<p class=\"note\">No runs.</p>\n</section>\n");
    } else {
        overview(&mut out, &steps, &colours);
        for (index, runs) in steps.iter().enumerate() {
            step_section(&mut out, index + 1, runs, &colours);
        }
    }
    out.push_str("<footer>Generated by <code>ilion stress --report</code>. Latencies in µs; hover over a line or point for its values.</footer>\n");
    out.push_str("</body>\n</html>\n");
    out
}

/// The runs grouped by step, in step order, each group in input order.
fn group_by_step(runs: &[Run]) -> Vec<Vec<&Run>> {
    let mut steps: BTreeMap<usize, Vec<&Run>> = BTreeMap::new();
    for run in runs {
        steps.entry(run.step).or_default().push(run);
    }
    steps.into_values().collect()
}

/// Every engine in order of first appearance with its colour: the usual
/// colour for ilion, rocksdb and fjall, then unused palette colours.
fn engine_colours(runs: &[Run]) -> Vec<(String, &'static str)> {
    let mut names: Vec<&str> = Vec::new();
    for run in runs {
        if !names.contains(&run.engine.as_str()) {
            names.push(&run.engine);
        }
    }
    let mut used: Vec<&'static str> = Vec::new();
    let mut chosen: Vec<Option<&'static str>> = Vec::with_capacity(names.len());
    for name in &names {
        let lower = name.trim().to_ascii_lowercase();
        let colour = PREFERRED_COLOURS
            .iter()
            .find(|(prefix, colour)| lower.starts_with(prefix) && !used.contains(colour))
            .map(|&(_, colour)| colour);
        if let Some(colour) = colour {
            used.push(colour);
        }
        chosen.push(colour);
    }
    let mut spare = PALETTE.iter().filter(|c| !used.contains(c)).cycle();
    names
        .iter()
        .zip(chosen)
        .enumerate()
        .map(|(i, (name, colour))| {
            let colour = colour
                .or_else(|| spare.next().copied())
                .unwrap_or(PALETTE[i % PALETTE.len()]);
            (name.to_string(), colour)
        })
        .collect()
}

/// The colour of `engine` (grey if somehow unknown).
fn colour_of(colours: &[(String, &'static str)], engine: &str) -> &'static str {
    colours
        .iter()
        .find(|(name, _)| name == engine)
        .map_or(KEY_COLOUR, |&(_, colour)| colour)
}

/// The workload name(s) of a step's runs.
fn step_name(runs: &[&Run]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for run in runs {
        if !names.contains(&run.workload.as_str()) {
            names.push(&run.workload);
        }
    }
    names.join(" / ")
}

/// Whether a run has anything to chart.
fn is_timed(run: &Run) -> bool {
    !run.percentiles.is_empty() || !run.intervals.is_empty()
}

/// The latency at the first point whose quantile reaches `quantile`.
fn percentile(run: &Run, quantile: f64) -> Option<f64> {
    run.percentiles
        .iter()
        .find(|(q, _)| *q >= quantile - QUANTILE_EPSILON)
        .map(|&(_, us)| us)
        .filter(|us| us.is_finite())
}

/// The table of all steps: ops/s and p99 per engine.
fn overview(out: &mut String, steps: &[Vec<&Run>], colours: &[(String, &'static str)]) {
    out.push_str("<section class=\"card\">\n<h2>Overview</h2>\n<div class=\"table-wrap\"><table>\n<thead>\n<tr><th class=\"l\" rowspan=\"2\">#</th><th class=\"l\" rowspan=\"2\">workload</th>");
    for (engine, colour) in colours {
        let _ = write!(
            out,
            "<th class=\"eng\" colspan=\"2\">{}</th>",
            swatch_name(engine, colour)
        );
    }
    out.push_str("</tr>\n<tr>");
    for _ in colours {
        out.push_str("<th class=\"eng\">ops/s</th><th>p99 µs</th>");
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for (index, runs) in steps.iter().enumerate() {
        let number = index + 1;
        let _ = write!(
            out,
            "<tr><td class=\"l\">{number}</td><td class=\"l\"><a href=\"#step-{number}\">{}</a></td>",
            esc(&step_name(runs))
        );
        let rates: Vec<Option<f64>> = colours
            .iter()
            .map(|(engine, _)| {
                runs.iter()
                    .find(|run| &run.engine == engine)
                    .map(|run| run.ops_per_second)
                    .filter(|v| v.is_finite())
            })
            .collect();
        let p99s: Vec<Option<f64>> = colours
            .iter()
            .map(|(engine, _)| {
                runs.iter()
                    .find(|run| &run.engine == engine)
                    .and_then(|run| percentile(run, 0.99))
            })
            .collect();
        let best_rates = best_flags(&rates, true, fmt_rate);
        let best_p99s = best_flags(&p99s, false, fmt_us);
        for (i, (rate, p99)) in rates.iter().zip(&p99s).enumerate() {
            let _ = write!(
                out,
                "<td class=\"first{}\">{}</td><td{}>{}</td>",
                if best_rates[i] { " best" } else { "" },
                rate.map_or_else(|| "-".to_string(), fmt_rate),
                if best_p99s[i] { " class=\"best\"" } else { "" },
                p99.map_or_else(|| "-".to_string(), fmt_us),
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// Which of `values` show the best figure (largest or smallest) as
/// written by `format`: none unless at least two are known and they do
/// not all show the same.
fn best_flags(values: &[Option<f64>], largest: bool, format: fn(f64) -> String) -> Vec<bool> {
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    let best = known
        .iter()
        .copied()
        .reduce(|a, b| if (b > a) == largest { b } else { a });
    let (Some(best), true) = (best, known.len() >= 2) else {
        return vec![false; values.len()];
    };
    let best = format(best);
    let flags: Vec<bool> = values
        .iter()
        .map(|v| v.is_some_and(|v| format(v) == best))
        .collect();
    if flags.iter().filter(|&&f| f).count() == known.len() {
        vec![false; values.len()]
    } else {
        flags
    }
}

/// An engine's name after a square of its colour.
fn swatch_name(engine: &str, colour: &str) -> String {
    format!(
        "<span class=\"swatch\" style=\"background:{colour}\"></span>{}",
        esc(engine)
    )
}

/// One step: its table and, when timed, its three charts.
fn step_section(
    out: &mut String,
    number: usize,
    runs: &[&Run],
    colours: &[(String, &'static str)],
) {
    let name = step_name(runs);
    let _ = writeln!(
        out,
        "<section class=\"card step\" id=\"step-{number}\">\n<h2><span class=\"num\">{number}</span>{}</h2>",
        esc(&name)
    );
    summary_table(out, runs, colours);
    let timed: Vec<&Run> = runs.iter().copied().filter(|run| is_timed(run)).collect();
    if timed.is_empty() {
        out.push_str("<p class=\"note\">Operations not timed in this step: no charts.</p>\n");
    } else {
        out.push_str("<div class=\"charts\">\n");
        out.push_str(&svg(&throughput_chart(&name, &timed, colours)));
        out.push_str(&svg(&latency_chart(&name, &timed, colours)));
        out.push_str(&svg(&percentile_chart(&name, &timed, colours)));
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

/// A step's table: one row per run.
fn summary_table(out: &mut String, runs: &[&Run], colours: &[(String, &'static str)]) {
    out.push_str("<div class=\"table-wrap\"><table>\n<thead><tr><th class=\"l\">engine</th><th>ops</th><th>ops/s</th>");
    for (name, _) in PERCENTILE_COLUMNS {
        let _ = write!(out, "<th>{name} µs</th>");
    }
    let any_extras = runs.iter().any(|run| !run.extras.is_empty());
    if any_extras {
        out.push_str("<th class=\"l\">other figures</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let rates: Vec<Option<f64>> = runs
        .iter()
        .map(|run| Some(run.ops_per_second).filter(|v| v.is_finite()))
        .collect();
    let best_rates = best_flags(&rates, true, fmt_rate);
    let latencies: Vec<Vec<Option<f64>>> = PERCENTILE_COLUMNS
        .iter()
        .map(|&(_, q)| runs.iter().map(|run| percentile(run, q)).collect())
        .collect();
    let best_latencies: Vec<Vec<bool>> = latencies
        .iter()
        .map(|column| best_flags(column, false, fmt_us))
        .collect();
    for (row, run) in runs.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><td class=\"l\">{}</td><td>{}</td><td{}>{}</td>",
            swatch_name(&run.engine, colour_of(colours, &run.engine)),
            group_digits(run.ops),
            if best_rates[row] {
                " class=\"best\""
            } else {
                ""
            },
            rates[row].map_or_else(|| "-".to_string(), fmt_rate),
        );
        for (column, best_latency) in latencies.iter().zip(&best_latencies) {
            let value = column[row];
            let _ = write!(
                out,
                "<td{}>{}</td>",
                if best_latency[row] {
                    " class=\"best\""
                } else {
                    ""
                },
                value.map_or_else(|| "-".to_string(), fmt_us)
            );
        }
        if any_extras {
            out.push_str("<td class=\"extras\">");
            for (name, value) in &run.extras {
                let _ = write!(
                    out,
                    "<span class=\"extra\"><span class=\"k\">{}:</span> {}</span>",
                    esc(name),
                    esc(value)
                );
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::axis::*;
    use super::*;

    /// A timed run with `n` one-second intervals and a few percentiles.
    fn timed_run(engine: &str, workload: &str, step: usize, n: usize) -> Run {
        Run {
            engine: engine.to_string(),
            workload: workload.to_string(),
            step,
            ops: 1000 * n as u64,
            ops_per_second: 1000.0,
            percentiles: vec![
                (0.5, 10.0),
                (0.9, 20.0),
                (0.99, 50.0),
                (0.999, 120.0),
                (0.9999, 300.0),
                (1.0, 900.0),
            ],
            intervals: (1..=n)
                .map(|i| Interval {
                    end_seconds: i as f64,
                    ops_per_second: 1000.0 + i as f64,
                    p50_us: 10.0,
                    p99_us: 50.0,
                    max_us: 400.0,
                })
                .collect(),
            extras: vec![("write amp".to_string(), "3.2".to_string())],
        }
    }

    /// An untimed run (a compaction).
    fn untimed_run(engine: &str, step: usize) -> Run {
        Run {
            engine: engine.to_string(),
            workload: "compact".to_string(),
            step,
            ops: 1,
            ops_per_second: 0.5,
            percentiles: Vec::new(),
            intervals: Vec::new(),
            extras: vec![("space amp".to_string(), "1.10".to_string())],
        }
    }

    fn report(runs: Vec<Run>) -> Report {
        Report {
            title: "ilion stress — test".to_string(),
            settings: vec!["ilion: defaults".to_string(), "machine: test".to_string()],
            runs,
        }
    }

    /// 2 steps × 3 engines, the second step untimed.
    fn two_step_report() -> Report {
        let mut runs = Vec::new();
        for engine in ["ilion", "rocksdb", "fjall"] {
            runs.push(timed_run(engine, "fillrandom", 0, 10));
            runs.push(untimed_run(engine, 1));
        }
        report(runs)
    }

    /// Reports covering the edge cases: zero, one and many intervals,
    /// zero and non-finite figures, one engine, twenty steps.
    fn edge_reports() -> Vec<Report> {
        let mut reports = vec![two_step_report(), report(Vec::new())];
        // One engine, zero intervals but a histogram.
        let mut run = timed_run("ilion", "readrandom", 0, 0);
        run.percentiles = vec![(1.0, 0.0)];
        reports.push(report(vec![run]));
        // One interval, zero latencies, zero throughput.
        let mut run = timed_run("ilion", "readrandom", 0, 1);
        run.intervals[0] = Interval {
            end_seconds: 0.0,
            ops_per_second: 0.0,
            p50_us: 0.0,
            p99_us: 0.0,
            max_us: 0.0,
        };
        run.percentiles = vec![(0.0, 0.0), (1.0, 0.0)];
        run.ops_per_second = 0.0;
        reports.push(report(vec![run]));
        // Single point with latency, and non-finite garbage.
        let mut run = timed_run("ilion", "readrandom", 0, 1);
        run.percentiles = vec![(1.0, 5.0)];
        let mut bad = timed_run("rocksdb", "readrandom", 0, 3);
        bad.ops_per_second = f64::NAN;
        bad.intervals[1].p99_us = f64::INFINITY;
        bad.intervals[1].ops_per_second = f64::NAN;
        bad.intervals[2].end_seconds = f64::INFINITY;
        bad.percentiles = vec![(0.5, f64::NAN), (0.99, -3.0), (1.0, f64::INFINITY)];
        reports.push(report(vec![run, bad]));
        // Only intervals with no operations.
        let mut run = timed_run("fjall", "readrandom", 0, 4);
        for interval in &mut run.intervals {
            interval.ops_per_second = 0.0;
            interval.p50_us = 0.0;
            interval.p99_us = 0.0;
            interval.max_us = 0.0;
        }
        run.percentiles.clear();
        reports.push(report(vec![run]));
        // Twenty steps, five engines (two beyond the usual three).
        let mut runs = Vec::new();
        for step in 0..20 {
            for engine in ["ilion", "rocksdb", "fjall", "sled", "lmdb"] {
                runs.push(timed_run(engine, &format!("w{step}"), step, 1 + step % 4));
            }
        }
        reports.push(report(runs));
        reports
    }

    /// Checks that every tag is closed in order (void elements, self-closing
    /// tags, comments, the doctype and `<style>` contents aside).
    fn check_balanced(html: &str) -> Result<(), String> {
        const VOID: [&str; 6] = ["meta", "br", "hr", "img", "input", "link"];
        let mut stack: Vec<String> = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            rest = &rest[start..];
            if let Some(after) = rest.strip_prefix("<!--") {
                let end = after.find("-->").ok_or("unterminated comment")?;
                rest = &after[end + 3..];
                continue;
            }
            let end = rest.find('>').ok_or("unterminated tag")?;
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            if tag.starts_with('!') {
                continue;
            }
            if let Some(name) = tag.strip_prefix('/') {
                let name = name.trim().to_ascii_lowercase();
                match stack.pop() {
                    Some(open) if open == name => {}
                    other => return Err(format!("</{name}> closes {other:?}")),
                }
                continue;
            }
            let name = tag
                .split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!("bad tag <{tag}>"));
            }
            if tag.ends_with('/') || VOID.contains(&name.as_str()) {
                continue;
            }
            if name == "style" || name == "script" {
                let close = format!("</{name}>");
                let end = rest.find(&close).ok_or("unclosed style")?;
                rest = &rest[end + close.len()..];
                continue;
            }
            stack.push(name);
        }
        if stack.is_empty() {
            Ok(())
        } else {
            Err(format!("unclosed: {stack:?}"))
        }
    }

    /// Every value of attribute `name` (exact name) in `text`.
    fn attribute_values<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
        let pattern = format!(" {name}=\"");
        let mut values = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find(&pattern) {
            rest = &rest[start + pattern.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            values.push(&rest[..end]);
            rest = &rest[end..];
        }
        values
    }

    /// The `<svg>...</svg>` elements of `html`.
    fn svgs(html: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find("<svg") {
            rest = &rest[start..];
            let end = rest.find("</svg>").map_or(rest.len(), |e| e + 6);
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
        out
    }

    #[test]
    fn report_is_self_contained() {
        for report in edge_reports() {
            let html = render(&report);
            let without_xmlns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
            assert!(!without_xmlns.contains("http://"), "{without_xmlns}");
            assert!(!without_xmlns.contains("https://"));
            assert!(!without_xmlns.contains("//www."));
            assert!(!html.contains("src="));
            assert!(!html.contains("<link"));
            assert!(!html.contains("@import"));
            assert!(!html.contains("url("));
            assert!(!html.contains("<script"));
            for href in attribute_values(&html, "href") {
                assert!(href.starts_with('#'), "external href {href}");
            }
        }
        // The check notices a reference.
        let mut report = two_step_report();
        report.runs[0].engine = "https://example.com".to_string();
        assert!(render(&report).contains("https://"));
    }

    #[test]
    fn names_are_escaped() {
        let nasty = "<x&\"y>";
        let mut runs = vec![
            timed_run("ilion", nasty, 0, 3),
            timed_run(nasty, nasty, 0, 3),
        ];
        runs[0].extras.push((nasty.to_string(), nasty.to_string()));
        let mut report = report(runs);
        report.title = nasty.to_string();
        report.settings.push(nasty.to_string());
        let html = render(&report);
        assert!(!html.contains(nasty));
        assert!(!html.contains("<x"));
        assert!(html.contains("&lt;x&amp;&quot;y&gt;"));
        check_balanced(&html).expect("balanced");
    }

    #[test]
    fn one_set_of_charts_per_timed_step() {
        let html = render(&two_step_report());
        assert_eq!(html.matches("<svg").count(), 3);
        assert_eq!(html.matches("</svg>").count(), 3);
        let charts = svgs(&html);
        assert!(charts[0].contains("fillrandom — throughput"));
        assert!(charts[1].contains("fillrandom — latency over time"));
        assert!(charts[2].contains("fillrandom — latency by percentile"));
        for chart in &charts {
            for engine in ["ilion", "rocksdb", "fjall"] {
                assert!(chart.contains(&format!(">{engine}</text>")), "{engine}");
            }
            assert!(!chart.contains("compact"));
        }
        // Each engine keeps its colour in every chart and they differ.
        for (engine, colour) in [
            ("ilion", "#2563eb"),
            ("rocksdb", "#dc2626"),
            ("fjall", "#16a34a"),
        ] {
            assert_eq!(
                colour_of(&engine_colours(&two_step_report().runs), engine),
                colour
            );
        }
        // The untimed step still gets its table rows.
        assert!(html.contains("id=\"step-2\""));
        assert!(html.contains("space amp:"));
        assert_eq!(html.matches("no charts").count(), 1);

        // A step is charted when only one of its engines is timed.
        let mut report = two_step_report();
        report.runs.push(timed_run("fjall", "compact", 1, 2));
        assert_eq!(render(&report).matches("<svg").count(), 6);
        // Twenty timed steps: sixty charts.
        let twenty = edge_reports().pop().expect("twenty steps");
        assert_eq!(render(&twenty).matches("<svg").count(), 60);
    }

    #[test]
    fn no_nan_or_inf_for_edge_inputs() {
        for report in edge_reports() {
            let html = render(&report);
            for bad in ["NaN", "nan", "inf", "Infinity"] {
                assert!(!html.contains(bad), "{bad} in {html}");
            }
        }
    }

    #[test]
    fn markup_is_balanced() {
        assert!(check_balanced("<div><p></div></p>").is_err());
        assert!(check_balanced("<div>").is_err());
        for report in edge_reports() {
            let html = render(&report);
            assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
            check_balanced(&html).expect("balanced");
            assert!(html.starts_with("<!DOCTYPE html>"));
            assert!(html.trim_end().ends_with("</html>"));
        }
    }

    #[test]
    fn coordinates_stay_inside_view_box() {
        // Wild figures beside sane ones.
        let mut wild = timed_run("rocksdb", "fillrandom", 0, 5);
        wild.intervals[2].p99_us = 1e15;
        wild.intervals[3].ops_per_second = -50.0;
        wild.intervals[4].max_us = 1e-9;
        wild.percentiles = vec![(0.5, 1e-3), (0.99999999999, 1e13), (1.0, 2e13)];
        let mut reports = edge_reports();
        reports.push(report(vec![timed_run("ilion", "fillrandom", 0, 5), wild]));
        let mut checked = 0;
        for report in reports {
            let html = render(&report);
            for chart in svgs(&html) {
                let view_box = attribute_values(chart, "viewBox");
                let dims: Vec<f64> = view_box[0]
                    .split(' ')
                    .map(|v| v.parse().expect("number"))
                    .collect();
                let (width, height) = (dims[2], dims[3]);
                let inside_x = |v: f64| (0.0..=width).contains(&v);
                let inside_y = |v: f64| (0.0..=height).contains(&v);
                for points in attribute_values(chart, "points") {
                    for pair in points.split(' ') {
                        let (x, y) = pair.split_once(',').expect("x,y");
                        let (x, y): (f64, f64) = (x.parse().expect("x"), y.parse().expect("y"));
                        assert!(
                            inside_x(x) && inside_y(y),
                            "{x},{y} outside {width}x{height}"
                        );
                        checked += 1;
                    }
                }
                for name in ["cx", "x", "x1", "x2"] {
                    for v in attribute_values(chart, name) {
                        assert!(inside_x(v.parse().expect("x")), "{name}={v}");
                    }
                }
                for name in ["cy", "y", "y1", "y2"] {
                    for v in attribute_values(chart, name) {
                        assert!(inside_y(v.parse().expect("y")), "{name}={v}");
                    }
                }
            }
        }
        assert!(checked > 100);
    }

    #[test]
    fn summary_takes_the_nearest_quantile_at_or_above() {
        let mut run = timed_run("ilion", "readrandom", 0, 2);
        run.percentiles = vec![
            (0.4, 1.0),
            (0.6, 2.5),
            (0.95, 7.0),
            (0.999, 1234.4),
            (1.0, 5000.0),
        ];
        let html = render(&report(vec![run]));
        // p50 → 0.6, p90 → 0.95, p99 and p99.9 → 0.999, p99.99 and max → 1.0.
        assert!(html.contains(
            "<td>2.50</td><td>7.00</td><td>1,234</td><td>1,234</td><td>5,000</td><td>5,000</td>"
        ));
        let mut run = timed_run("ilion", "readrandom", 0, 2);
        run.percentiles = vec![(0.5, 3.0)];
        let html = render(&report(vec![run, untimed_run("rocksdb", 0)]));
        assert!(html.contains("<td>3.00</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td>"));
        assert!(html.contains("<td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td>"));
    }

    #[test]
    fn nines_axis_and_labels() {
        assert_eq!(nines_label(1), "90%");
        assert_eq!(nines_label(2), "99%");
        assert_eq!(nines_label(5), "99.999%");
        assert_eq!(fmt_quantile(0.999), "99.9%");
        assert_eq!(fmt_quantile(0.5), "50%");
        assert_eq!(fmt_quantile(1.0), "max");
        let scale = Scale::Nines { nines: 3 };
        assert!((scale.frac(0.9) - 0.25).abs() < 1e-9);
        assert!((scale.frac(0.999) - 0.75).abs() < 1e-9);
        assert_eq!(scale.frac(1.0), 1.0);
        assert_eq!(scale.frac(0.0), 0.0);
        let labels: Vec<String> = scale.ticks().into_iter().filter_map(|t| t.label).collect();
        assert_eq!(labels, ["50%", "90%", "99%", "99.9%", "max"]);
        let log = log_axis([0.0, 3.0, 2500.0]);
        assert_eq!(log, Scale::Log { lo: -1, hi: 4 });
        let labels: Vec<String> = log.ticks().into_iter().filter_map(|t| t.label).collect();
        assert_eq!(
            labels,
            ["0.1 µs", "1 µs", "10 µs", "100 µs", "1 ms", "10 ms"]
        );
        assert_eq!(group_digits(1_234_567), "1,234,567");
        assert_eq!(fmt_si(1_250_000.0), "1.25M");
    }

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn uniform(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let bits = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
            (bits as f64 + 0.5) / (1u64 << 53) as f64
        }

        fn normal(&mut self) -> f64 {
            let (u, v) = (self.uniform(), self.uniform());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        }

        /// Lognormal with median `median` µs, and a rare slow tail.
        fn latency(&mut self, median: f64, sigma: f64) -> f64 {
            let base = median * (sigma * self.normal()).exp();
            if self.uniform() < 0.001 {
                base * 20.0 * (1.0 + 4.0 * self.uniform())
            } else {
                base
            }
        }
    }

    /// Percentile points of sorted `samples` the way HdrHistogram's
    /// iterator spaces them, ending with the max.
    fn percentile_points(samples: &[f64]) -> Vec<(f64, f64)> {
        let n = samples.len();
        let mut points = Vec::new();
        let mut j = 0;
        loop {
            let q = 1.0 - 10f64.powf(-f64::from(j) / 10.0);
            if q >= 1.0 - 1.0 / n as f64 {
                break;
            }
            let index = ((q * n as f64) as usize).min(n - 1);
            points.push((q, samples[index]));
            j += 1;
        }
        points.push((1.0, samples[n - 1]));
        points
    }

    #[test]
    #[ignore = "writes /tmp/ilion-report-sample.html for a look in a browser"]
    fn write_sample_report() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let engines = [
            ("ilion", 1.0, 1.0),
            ("rocksdb", 0.8, 1.3),
            ("fjall", 0.65, 1.1),
        ];
        let workloads = [
            ("fillrandom", 210_000.0, 6.0),
            ("readrandom", 320_000.0, 3.0),
        ];
        let ops = 5_000_000u64;
        let mut runs = Vec::new();
        for (step, (workload, base_rate, median)) in workloads.into_iter().enumerate() {
            for (e, &(engine, speed, slowness)) in engines.iter().enumerate() {
                let mut intervals = Vec::new();
                let mut samples = Vec::new();
                let mut done = 0u64;
                let mut t = 0.0;
                while done < ops {
                    t += 1.0;
                    let wave = 1.0 + 0.18 * (t / 3.0 + e as f64).sin();
                    let stall = if step == 0 && (t as u64 + 3 * e as u64).is_multiple_of(11) {
                        0.45
                    } else {
                        1.0
                    };
                    let rate = base_rate * speed * wave * stall * (1.0 + 0.05 * rng.normal());
                    let count = (rate as u64).min(ops - done);
                    done += count;
                    let seconds = count as f64 / rate;
                    let mut window: Vec<f64> = (0..2000)
                        .map(|_| rng.latency(median * slowness / (wave * stall), 0.55))
                        .collect();
                    window.sort_by(f64::total_cmp);
                    samples.extend_from_slice(&window);
                    intervals.push(Interval {
                        end_seconds: t - 1.0 + seconds.min(1.0),
                        ops_per_second: rate,
                        p50_us: window[1000],
                        p99_us: window[1980],
                        max_us: window[1999],
                    });
                }
                samples.sort_by(f64::total_cmp);
                let elapsed = intervals.last().map_or(1.0, |i| i.end_seconds);
                runs.push(Run {
                    engine: engine.to_string(),
                    workload: workload.to_string(),
                    step,
                    ops,
                    ops_per_second: ops as f64 / elapsed,
                    percentiles: percentile_points(&samples),
                    intervals,
                    extras: if step == 0 {
                        vec![
                            ("write amp".to_string(), format!("{:.2}", 2.5 + e as f64)),
                            ("stalls".to_string(), format!("{}", 2 + e)),
                        ]
                    } else {
                        vec![(
                            "cache hit".to_string(),
                            format!("{:.1}%", 91.0 - 4.0 * e as f64),
                        )]
                    },
                });
            }
        }
        for (e, &(engine, speed, _)) in engines.iter().enumerate() {
            runs.push(Run {
                engine: engine.to_string(),
                workload: "compact".to_string(),
                step: 2,
                ops: 1,
                ops_per_second: 0.09 * speed,
                percentiles: Vec::new(),
                intervals: Vec::new(),
                extras: vec![
                    (
                        "space amp".to_string(),
                        format!("{:.2}", 1.05 + 0.07 * e as f64),
                    ),
                    ("size".to_string(), format!("{} MiB", 212 + 17 * e)),
                ],
            });
        }
        let report = Report {
            title: format!(
                "ilion stress — {} ops per workload, 16-byte keys, 100-byte values",
                group_digits(ops)
            ),
            settings: vec![
                "ilion: memtable 64 MiB, leveled compaction, lz4, sync off".to_string(),
                "rocksdb: write_buffer_size 64 MiB, level compaction, lz4, <defaults> & bloom 10 bits".to_string(),
                "fjall: memtable 64 MiB, leveled, lz4".to_string(),
                "machine: 2 cores, tmpfs; command: ilion stress --compare --num 5000000 --workload fillrandom,readrandom,compact".to_string(),
            ],
            runs,
        };
        let html = render(&report);
        check_balanced(&html).expect("balanced");
        std::fs::write("/tmp/ilion-report-sample.html", html).expect("write sample");
    }
}
