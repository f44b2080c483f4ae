//! Text for the page: HTML escaping and number formats.

/// `text` escaped for HTML text and attribute values.
pub(super) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `value` with at most `decimals` decimals, trailing zeros dropped.
pub(super) fn trim_number(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "-".to_string();
    }
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" {
        "0".to_string()
    } else {
        text
    }
}

/// 1234567 as "1,234,567".
pub(super) fn group_digits(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A latency in µs for tables and hover text: 0.85, 12.3, 1,234.
pub(super) fn fmt_us(us: f64) -> String {
    if !us.is_finite() {
        "-".to_string()
    } else if us < 10.0 {
        format!("{us:.2}")
    } else if us < 100.0 {
        format!("{us:.1}")
    } else {
        group_digits(us.round() as u64)
    }
}

/// Operations per second for tables and hover text: 12.5, 1,234,567.
pub(super) fn fmt_rate(rate: f64) -> String {
    if !rate.is_finite() {
        "-".to_string()
    } else if rate < 10.0 {
        format!("{:.2}", rate.max(0.0))
    } else if rate < 100.0 {
        format!("{rate:.1}")
    } else {
        group_digits(rate.round() as u64)
    }
}

/// An ops/s tick label: 0, 500, 50k, 1.25M.
pub(super) fn fmt_si(value: f64) -> String {
    if value >= 1e9 {
        format!("{}G", trim_number(value / 1e9, 2))
    } else if value >= 1e6 {
        format!("{}M", trim_number(value / 1e6, 2))
    } else if value >= 1e3 {
        format!("{}k", trim_number(value / 1e3, 2))
    } else {
        trim_number(value, 2)
    }
}

/// A latency tick label: 0.1 µs, 20 µs, 1 ms, 5 s.
pub(super) fn fmt_latency_tick(us: f64) -> String {
    if us < 1e3 {
        format!("{} µs", trim_number(us, 1))
    } else if us < 1e6 {
        format!("{} ms", trim_number(us / 1e3, 1))
    } else {
        format!("{} s", trim_number(us / 1e6, 1))
    }
}
