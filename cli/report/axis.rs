//! Chart axes: linear, log-latency and percentile ("nines") scales with
//! their ticks.

use super::text::*;
use super::*;

/// How a chart axis maps values to [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Scale {
    /// Linear from `min` to `max`, tick labels in `unit`.
    Linear {
        /// Value at the axis's start.
        min: f64,
        /// Value at the axis's end.
        max: f64,
        /// How tick labels are written.
        unit: Unit,
    },
    /// Latency in µs, log10 from 10^`lo` to 10^`hi`.
    Log {
        /// Decade at the axis's start.
        lo: i32,
        /// Decade at the axis's end.
        hi: i32,
    },
    /// Quantiles on HdrHistogram's "nines" axis, x = -log10(1 - q), up to
    /// `nines` nines, with the max (q = 1) one unit further right.
    Nines {
        /// The largest number of nines shown.
        nines: u32,
    },
}

/// How the tick labels of a linear axis are written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Unit {
    /// Seconds: plain numbers.
    Seconds,
    /// Operations per second: 50k, 1.2M.
    Rate,
}

/// One tick of an axis.
pub(super) struct Tick {
    /// Where it is, in [0, 1].
    pub(super) frac: f64,
    /// Its label, if any.
    pub(super) label: Option<String>,
    /// Major ticks get darker grid lines and a tick mark.
    pub(super) major: bool,
}

impl Scale {
    /// Where `value` lies along the axis, in [0, 1] (never NaN).
    pub(super) fn frac(&self, value: f64) -> f64 {
        let frac = match *self {
            Scale::Linear { min, max, .. } => (value - min) / (max - min),
            Scale::Log { lo, hi } => {
                (value.max(LATENCY_FLOOR_US).log10() - f64::from(lo)) / f64::from(hi - lo)
            }
            Scale::Nines { nines } => nines_x(value, nines) / (f64::from(nines) + 1.0),
        };
        if frac.is_nan() {
            0.0
        } else {
            frac.clamp(0.0, 1.0)
        }
    }

    /// The axis's ticks and grid lines.
    pub(super) fn ticks(&self) -> Vec<Tick> {
        match *self {
            Scale::Linear { min, max, unit } => {
                let step = nice_step(max - min, if unit == Unit::Rate { 5.0 } else { 8.0 });
                let count = ((max - min) / step + 1e-9).floor() as usize;
                (0..=count)
                    .map(|i| {
                        let value = min + i as f64 * step;
                        Tick {
                            frac: self.frac(value),
                            label: Some(match unit {
                                Unit::Seconds => trim_number(value, 2),
                                Unit::Rate => fmt_si(value),
                            }),
                            major: true,
                        }
                    })
                    .collect()
            }
            Scale::Log { lo, hi } => {
                let label_minor = hi - lo <= 2;
                let mut ticks = Vec::new();
                for decade in lo..=hi {
                    let base = 10f64.powi(decade);
                    ticks.push(Tick {
                        frac: self.frac(base),
                        label: Some(fmt_latency_tick(base)),
                        major: true,
                    });
                    if decade < hi {
                        for m in 2..=9 {
                            let value = base * f64::from(m);
                            ticks.push(Tick {
                                frac: self.frac(value),
                                label: (label_minor && (m == 2 || m == 5))
                                    .then(|| fmt_latency_tick(value)),
                                major: false,
                            });
                        }
                    }
                }
                ticks
            }
            Scale::Nines { nines } => {
                let mut ticks = vec![Tick {
                    frac: self.frac(0.0),
                    label: None,
                    major: false,
                }];
                ticks.push(Tick {
                    frac: self.frac(0.5),
                    label: Some("50%".to_string()),
                    major: true,
                });
                for k in 1..=nines {
                    let q = 1.0 - 10f64.powi(-(k as i32));
                    ticks.push(Tick {
                        frac: self.frac(q),
                        label: Some(nines_label(k)),
                        major: true,
                    });
                }
                ticks.push(Tick {
                    frac: 1.0,
                    label: Some("max".to_string()),
                    major: true,
                });
                ticks
            }
        }
    }
}

/// A quantile's place on the nines axis: -log10(1 - q), at most `nines`;
/// the max (q = 1) at `nines` + 1.
pub(super) fn nines_x(q: f64, nines: u32) -> f64 {
    if !q.is_finite() || q <= 0.0 {
        return 0.0;
    }
    if q >= 1.0 - 1e-12 {
        return f64::from(nines) + 1.0;
    }
    (-(1.0 - q).log10()).clamp(0.0, f64::from(nines))
}

/// "90%", "99%", "99.9%", ... for `k` nines.
pub(super) fn nines_label(k: u32) -> String {
    match k {
        0 => "0%".to_string(),
        1 => "90%".to_string(),
        _ => {
            let nines = "9".repeat(k as usize);
            if k == 2 {
                format!("{nines}%")
            } else {
                format!("{}.{}%", &nines[..2], &nines[2..])
            }
        }
    }
}

/// A quantile as a percentage for hover text: 50%, 99.9%, 99.999%.
pub(super) fn fmt_quantile(q: f64) -> String {
    if q >= 1.0 - 1e-12 {
        return "max".to_string();
    }
    let percent = q * 100.0;
    // Enough decimals to tell 99.99% from 99.999%.
    let decimals = if q > 0.0 && q < 1.0 {
        ((-(1.0 - q).log10()).ceil() as i32 - 2).clamp(0, 8) as usize + 1
    } else {
        1
    };
    format!("{}%", trim_number(percent, decimals))
}

/// A step of 1, 2, 2.5 or 5 × 10^k giving about `target` ticks over `range`.
pub(super) fn nice_step(range: f64, target: f64) -> f64 {
    if !(range.is_finite() && range > 0.0) {
        return 1.0;
    }
    let raw = range / target;
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let factor = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|&f| f >= norm - 1e-9)
        .unwrap_or(10.0);
    factor * magnitude
}

/// A linear axis from 0 to a round number at or above `max`.
pub(super) fn linear_axis(max: f64, unit: Unit) -> Scale {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let target = if unit == Unit::Rate { 5.0 } else { 8.0 };
    let step = nice_step(max, target);
    let top = ((max / step) - 1e-9).ceil().max(1.0) * step;
    Scale::Linear {
        min: 0.0,
        max: top,
        unit,
    }
}

/// A log axis over whole decades covering `values` (µs; zeros and
/// non-finite ones ignored, the floor applied).
pub(super) fn log_axis(values: impl IntoIterator<Item = f64>) -> Scale {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for value in values {
        if value.is_finite() {
            let value = value.max(LATENCY_FLOOR_US);
            lo = lo.min(value);
            hi = hi.max(value);
        }
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return Scale::Log { lo: 0, hi: 3 };
    }
    // Latencies beyond 10^12 µs (11 days) are not worth a wider axis.
    let lo = (lo.log10() + 1e-9).floor().clamp(-1.0, 11.0) as i32;
    let hi = (hi.log10() - 1e-9).ceil().clamp(-1.0, 12.0) as i32;
    Scale::Log {
        lo,
        hi: hi.max(lo + 1),
    }
}
