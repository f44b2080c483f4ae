//! One chart as inline SVG: the three kinds (throughput over time,
//! latency over time, latency by percentile) and their drawing.

use super::axis::*;
use super::text::*;
use super::*;

/// A line of a chart, in data coordinates.
pub(super) struct Line {
    /// Stroke colour.
    pub(super) colour: &'static str,
    /// Stroke width.
    pub(super) width: f64,
    /// Stroke dash pattern.
    pub(super) dash: Option<&'static str>,
    /// Stroke opacity.
    pub(super) opacity: f64,
    /// Hover text.
    pub(super) title: String,
    /// Connected runs of points; a one-point segment is drawn as a dot.
    pub(super) segments: Vec<Vec<(f64, f64)>>,
}

/// A point with hover text.
pub(super) struct Marker {
    /// Fill colour when visible.
    pub(super) colour: &'static str,
    /// Data coordinates.
    pub(super) at: (f64, f64),
    /// Hover text.
    pub(super) title: String,
    /// Drawn as a dot, or only as an invisible hover target.
    pub(super) visible: bool,
}

/// An entry of a chart's legend.
pub(super) struct LegendEntry {
    /// Text.
    pub(super) label: String,
    /// Swatch colour.
    pub(super) colour: &'static str,
    /// Swatch dash pattern.
    pub(super) dash: Option<&'static str>,
}

/// Everything one chart shows.
pub(super) struct Chart {
    /// Title at the top.
    pub(super) title: String,
    /// X axis.
    pub(super) x: Scale,
    /// X axis title.
    pub(super) x_title: &'static str,
    /// Y axis.
    pub(super) y: Scale,
    /// Y axis title.
    pub(super) y_title: &'static str,
    /// Lines, drawn in order.
    pub(super) lines: Vec<Line>,
    /// Hover points, drawn over the lines.
    pub(super) markers: Vec<Marker>,
    /// Legend entries, left to right.
    pub(super) legend: Vec<LegendEntry>,
    /// Shown in the middle when there is nothing to draw.
    pub(super) empty_note: &'static str,
}

/// Indices of at most `MAX_MARKERS` points out of `len`, evenly spread, the
/// last one included.
pub(super) fn marker_indices(len: usize) -> Vec<usize> {
    if len <= MAX_MARKERS {
        return (0..len).collect();
    }
    let mut indices: Vec<usize> = (0..MAX_MARKERS)
        .map(|i| i * (len - 1) / (MAX_MARKERS - 1))
        .collect();
    indices.dedup();
    indices
}

/// Legend entries for the engines of `runs`, in colour order.
pub(super) fn engine_legend(runs: &[&Run], colours: &[(String, &'static str)]) -> Vec<LegendEntry> {
    colours
        .iter()
        .filter(|(engine, _)| runs.iter().any(|run| &run.engine == engine))
        .map(|(engine, colour)| LegendEntry {
            label: engine.clone(),
            colour,
            dash: None,
        })
        .collect()
}

/// The largest finite `end_seconds` of the runs' intervals.
pub(super) fn time_axis(runs: &[&Run]) -> Scale {
    let end = runs
        .iter()
        .flat_map(|run| &run.intervals)
        .map(|i| i.end_seconds)
        .filter(|s| s.is_finite())
        .fold(0.0, f64::max);
    linear_axis(end, Unit::Seconds)
}

/// Throughput over time, one line per run.
pub(super) fn throughput_chart(
    workload: &str,
    runs: &[&Run],
    colours: &[(String, &'static str)],
) -> Chart {
    let max = runs
        .iter()
        .flat_map(|run| &run.intervals)
        .map(|i| i.ops_per_second)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let visible = runs
        .iter()
        .all(|run| run.intervals.len() <= VISIBLE_MARKERS_UP_TO);
    let mut lines = Vec::new();
    let mut markers = Vec::new();
    for run in runs {
        let colour = colour_of(colours, &run.engine);
        let points: Vec<(f64, f64)> = run
            .intervals
            .iter()
            .filter(|i| i.end_seconds.is_finite() && i.ops_per_second.is_finite())
            .map(|i| (i.end_seconds, i.ops_per_second.max(0.0)))
            .collect();
        for index in marker_indices(points.len()) {
            let (t, rate) = points[index];
            markers.push(Marker {
                colour,
                at: (t, rate),
                title: format!(
                    "{} · {} s · {} ops/s",
                    run.engine,
                    trim_number(t, 2),
                    fmt_rate(rate)
                ),
                visible,
            });
        }
        lines.push(Line {
            colour,
            width: 2.0,
            dash: None,
            opacity: 1.0,
            title: format!(
                "{} — {} ops/s over the run",
                run.engine,
                fmt_rate(run.ops_per_second)
            ),
            segments: vec![points],
        });
    }
    Chart {
        title: format!("{workload} — throughput"),
        x: time_axis(runs),
        x_title: "time (s)",
        y: linear_axis(max * 1.04, Unit::Rate),
        y_title: "operations per second",
        lines,
        markers,
        legend: engine_legend(runs, colours),
        empty_note: "no per-interval figures",
    }
}

/// Latency over time: per run, p99 (solid), p50 (dashed) and max (dotted).
pub(super) fn latency_chart(
    workload: &str,
    runs: &[&Run],
    colours: &[(String, &'static str)],
) -> Chart {
    /// Whether an interval has latencies to draw (no operations, no line).
    pub(super) fn drawn(i: &Interval) -> bool {
        i.end_seconds.is_finite() && i.ops_per_second.is_finite() && i.ops_per_second > 0.0
    }
    let y = log_axis(
        runs.iter()
            .flat_map(|run| &run.intervals)
            .filter(|i| drawn(i))
            .flat_map(|i| [i.p50_us, i.p99_us, i.max_us]),
    );
    /// How one of an interval's latencies is drawn.
    struct Style {
        /// Its name in hover text.
        name: &'static str,
        /// The figure.
        value: fn(&Interval) -> f64,
        /// Stroke width.
        width: f64,
        /// Dash pattern.
        dash: Option<&'static str>,
        /// Stroke opacity.
        opacity: f64,
    }
    let styles = [
        Style {
            name: "max",
            value: |i| i.max_us,
            width: 1.2,
            dash: Some("1.5 3"),
            opacity: 0.5,
        },
        Style {
            name: "p50",
            value: |i| i.p50_us,
            width: 1.5,
            dash: Some("6 4"),
            opacity: 0.9,
        },
        Style {
            name: "p99",
            value: |i| i.p99_us,
            width: 2.0,
            dash: None,
            opacity: 1.0,
        },
    ];
    let mut lines = Vec::new();
    let mut markers = Vec::new();
    for Style {
        name,
        value,
        width,
        dash,
        opacity,
    } in styles
    {
        for run in runs {
            let mut segments = vec![Vec::new()];
            for interval in &run.intervals {
                let v = value(interval);
                if drawn(interval) && v.is_finite() {
                    if let Some(segment) = segments.last_mut() {
                        segment.push((interval.end_seconds, v.max(LATENCY_FLOOR_US)));
                    }
                } else if segments.last().is_some_and(|s| !s.is_empty()) {
                    segments.push(Vec::new());
                }
            }
            lines.push(Line {
                colour: colour_of(colours, &run.engine),
                width,
                dash,
                opacity,
                title: format!("{} — {name} latency", run.engine),
                segments,
            });
        }
    }
    let visible = runs
        .iter()
        .all(|run| run.intervals.len() <= VISIBLE_MARKERS_UP_TO);
    for run in runs {
        let colour = colour_of(colours, &run.engine);
        let drawn_intervals: Vec<&Interval> = run
            .intervals
            .iter()
            .filter(|i| drawn(i) && i.p99_us.is_finite())
            .collect();
        for index in marker_indices(drawn_intervals.len()) {
            let i = drawn_intervals[index];
            markers.push(Marker {
                colour,
                at: (i.end_seconds, i.p99_us.max(LATENCY_FLOOR_US)),
                title: format!(
                    "{} · {} s · p50 {} µs · p99 {} µs · max {} µs",
                    run.engine,
                    trim_number(i.end_seconds, 2),
                    fmt_us(i.p50_us),
                    fmt_us(i.p99_us),
                    fmt_us(i.max_us)
                ),
                visible,
            });
        }
    }
    let mut legend = engine_legend(runs, colours);
    for (label, dash) in [("p99", None), ("p50", Some("6 4")), ("max", Some("1.5 3"))] {
        legend.push(LegendEntry {
            label: label.to_string(),
            colour: KEY_COLOUR,
            dash,
        });
    }
    Chart {
        title: format!("{workload} — latency over time"),
        x: time_axis(runs),
        x_title: "time (s)",
        y,
        y_title: "latency",
        lines,
        markers,
        legend,
        empty_note: "no per-interval figures",
    }
}

/// Latency by percentile of the whole run, one line per run.
pub(super) fn percentile_chart(
    workload: &str,
    runs: &[&Run],
    colours: &[(String, &'static str)],
) -> Chart {
    let deepest = runs
        .iter()
        .flat_map(|run| &run.percentiles)
        .map(|&(q, _)| q)
        .filter(|q| q.is_finite() && *q > 0.0 && *q < 1.0 - 1e-12)
        .map(|q| -(1.0 - q).log10())
        .fold(0.0, f64::max);
    let nines = ((deepest - 1e-6).ceil() as u32).clamp(2, 7);
    let x = Scale::Nines { nines };
    let y = log_axis(
        runs.iter()
            .flat_map(|run| &run.percentiles)
            .map(|&(_, us)| us),
    );
    let visible = runs
        .iter()
        .all(|run| run.percentiles.len() <= VISIBLE_PERCENTILE_MARKERS_UP_TO);
    let mut lines = Vec::new();
    let mut markers = Vec::new();
    for run in runs {
        let colour = colour_of(colours, &run.engine);
        let points: Vec<(f64, f64)> = run
            .percentiles
            .iter()
            .filter(|(q, us)| q.is_finite() && us.is_finite())
            .copied()
            .collect();
        for index in marker_indices(points.len()) {
            let (q, us) = points[index];
            markers.push(Marker {
                colour,
                at: (q, us),
                title: format!("{} · {} · {} µs", run.engine, fmt_quantile(q), fmt_us(us)),
                visible,
            });
        }
        lines.push(Line {
            colour,
            width: 2.0,
            dash: None,
            opacity: 1.0,
            title: format!("{} — latency by percentile", run.engine),
            segments: vec![points],
        });
    }
    Chart {
        title: format!("{workload} — latency by percentile"),
        x,
        x_title: "percentile",
        y,
        y_title: "latency",
        lines,
        markers,
        legend: engine_legend(runs, colours),
        empty_note: "no latency histogram",
    }
}

/// A coordinate for the SVG: finite, one decimal.
pub(super) fn coord(value: f64) -> String {
    let value = if value.is_finite() { value } else { 0.0 };
    format!("{value:.1}")
}

/// The chart as an inline `<svg>` element.
pub(super) fn svg(chart: &Chart) -> String {
    let left = MARGIN_LEFT;
    let right = CHART_WIDTH - MARGIN_RIGHT;

    // The legend runs left to right under the title, wrapping as needed.
    let mut legend = String::new();
    let mut x = left;
    let mut y = 46.0;
    for entry in &chart.legend {
        let width = 26.0 + entry.label.chars().count() as f64 * CHAR_WIDTH + 18.0;
        if x + width > right && x > left {
            x = left;
            y += 18.0;
        }
        let _ = write!(
            legend,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{} stroke-linecap=\"round\"/>",
            coord(x),
            coord(y - 4.0),
            coord(x + 20.0),
            coord(y - 4.0),
            entry.colour,
            if entry.dash.is_some() { 2 } else { 3 },
            entry
                .dash
                .map(|d| format!(" stroke-dasharray=\"{d}\""))
                .unwrap_or_default()
        );
        let _ = write!(
            legend,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            coord(x + 26.0),
            coord(y),
            esc(&entry.label)
        );
        x += width;
    }
    let top = y + 18.0;
    let bottom = top + PLOT_HEIGHT;
    let height = bottom + MARGIN_BOTTOM;
    let px = |v: f64| left + chart.x.frac(v) * (right - left);
    let py = |v: f64| bottom - chart.y.frac(v) * (bottom - top);

    let mut out = String::with_capacity(16 * 1024);
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">",
        coord(CHART_WIDTH),
        coord(height),
        esc(&chart.title)
    );
    let _ = writeln!(
        out,
        "<text class=\"title\" x=\"{}\" y=\"24\">{}</text>",
        coord(left),
        esc(&chart.title)
    );
    out.push_str(&legend);
    out.push('\n');

    // Grid lines first, under everything.
    let x_ticks = chart.x.ticks();
    let y_ticks = chart.y.ticks();
    out.push_str("<g fill=\"none\" stroke-width=\"1\">");
    for tick in &y_ticks {
        let y = bottom - tick.frac * (bottom - top);
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>",
            coord(left),
            coord(y),
            coord(right),
            coord(y),
            if tick.major { "#e5e7eb" } else { "#f3f4f6" }
        );
    }
    for tick in &x_ticks {
        let x = left + tick.frac * (right - left);
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>",
            coord(x),
            coord(top),
            coord(x),
            coord(bottom),
            if tick.major { "#e5e7eb" } else { "#f3f4f6" }
        );
    }
    out.push_str("</g>\n");

    // Axes, tick marks and labels.
    let _ = write!(
        out,
        "<g stroke=\"#9ca3af\" stroke-width=\"1\"><line x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{b}\"/><line x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/>",
        l = coord(left),
        t = coord(top),
        b = coord(bottom),
        r = coord(right)
    );
    for tick in y_ticks.iter().filter(|t| t.major) {
        let y = coord(bottom - tick.frac * (bottom - top));
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>",
            coord(left - 4.0),
            coord(left)
        );
    }
    for tick in x_ticks.iter().filter(|t| t.major) {
        let x = coord(left + tick.frac * (right - left));
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>",
            coord(bottom),
            coord(bottom + 4.0)
        );
    }
    out.push_str("</g>\n");
    for tick in &y_ticks {
        if let Some(label) = &tick.label {
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{}\" y=\"{}\" dy=\"0.32em\" text-anchor=\"end\">{}</text>",
                coord(left - 7.0),
                coord(bottom - tick.frac * (bottom - top)),
                esc(label)
            );
        }
    }
    for tick in &x_ticks {
        if let Some(label) = &tick.label {
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                coord(left + tick.frac * (right - left)),
                coord(bottom + 17.0),
                esc(label)
            );
        }
    }
    let _ = writeln!(
        out,
        "\n<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        coord((left + right) / 2.0),
        coord(height - 8.0),
        chart.x_title
    );
    let _ = writeln!(
        out,
        "<text class=\"axis-title\" transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        coord((top + bottom) / 2.0),
        chart.y_title
    );

    // The data.
    let mut drew_anything = false;
    for line in &chart.lines {
        let dash = line
            .dash
            .map(|d| format!(" stroke-dasharray=\"{d}\""))
            .unwrap_or_default();
        for segment in &line.segments {
            match segment.len() {
                0 => {}
                1 => {
                    let (x, y) = segment[0];
                    let _ = writeln!(
                        out,
                        "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" fill-opacity=\"{}\"><title>{}</title></circle>",
                        coord(px(x)),
                        coord(py(y)),
                        coord(line.width + 1.0),
                        line.colour,
                        line.opacity,
                        esc(&line.title)
                    );
                    drew_anything = true;
                }
                _ => {
                    let points: Vec<String> = segment
                        .iter()
                        .map(|&(x, y)| format!("{},{}", coord(px(x)), coord(py(y))))
                        .collect();
                    let _ = writeln!(
                        out,
                        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-opacity=\"{}\"{dash} stroke-linejoin=\"round\" stroke-linecap=\"round\"><title>{}</title></polyline>",
                        points.join(" "),
                        line.colour,
                        line.width,
                        line.opacity,
                        esc(&line.title)
                    );
                    drew_anything = true;
                }
            }
        }
    }
    for marker in &chart.markers {
        let (x, y) = marker.at;
        if marker.visible {
            let _ = write!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"3.2\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"1\">",
                coord(px(x)),
                coord(py(y)),
                marker.colour
            );
        } else {
            let _ = write!(
                out,
                "<circle class=\"hit\" cx=\"{}\" cy=\"{}\" r=\"4.5\">",
                coord(px(x)),
                coord(py(y))
            );
        }
        let _ = writeln!(out, "<title>{}</title></circle>", esc(&marker.title));
    }
    if !drew_anything {
        let _ = writeln!(
            out,
            "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            coord((left + right) / 2.0),
            coord((top + bottom) / 2.0),
            chart.empty_note
        );
    }
    out.push_str("</svg>\n");
    out
}
