//! Numbers as Java prints them: `BigInteger`, `BigDecimal`,
//! `Double.toString` and `Float.toString`.

use std::fmt::Write as _;

/// A big-endian two's-complement integer of any length in decimal.
pub(crate) fn varint_decimal(value: &[u8]) -> Option<String> {
    let (&first, _) = value.split_first()?;
    let negative = first & 0x80 != 0;
    // Magnitude: negate two's complement for negative numbers.
    let mut magnitude: Vec<u8> = value.to_vec();
    if negative {
        let mut carry = true;
        for b in magnitude.iter_mut().rev() {
            *b = !*b;
            if carry {
                let (v, c) = b.overflowing_add(1);
                *b = v;
                carry = c;
            }
        }
    }
    // Repeated division by 10^9 on base-256 digits.
    let mut digits = Vec::new();
    let mut number = magnitude;
    while number.iter().any(|&b| b != 0) {
        let mut remainder = 0u64;
        for b in number.iter_mut() {
            let acc = (remainder << 8) | u64::from(*b);
            *b = (acc / 1_000_000_000) as u8;
            remainder = acc % 1_000_000_000;
        }
        digits.push(remainder as u32);
        let leading = number.iter().take_while(|&&b| b == 0).count();
        number.drain(..leading);
    }
    let mut s = String::new();
    if negative {
        s.push('-');
    }
    match digits.split_last() {
        None => s.push('0'),
        Some((top, rest)) => {
            let _ = write!(s, "{top}");
            for chunk in rest.iter().rev() {
                let _ = write!(s, "{chunk:09}");
            }
        }
    }
    Some(s)
}

/// Java's `BigDecimal.toString` of `unscaled × 10^-scale`: plain notation
/// when the scale is not negative and the adjusted exponent is at least
/// −6, scientific (`1.23E+5`) otherwise.
pub(super) fn java_big_decimal(unscaled: &str, scale: i32) -> String {
    let (sign, digits) = match unscaled.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", unscaled),
    };
    let adjusted = -i64::from(scale) + (digits.len() as i64 - 1);
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    if scale > 0 && adjusted >= -6 {
        let scale = scale as usize;
        return if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            format!("{sign}{int}.{frac}")
        } else {
            format!("{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
        };
    }
    let (head, tail) = digits.split_at(1);
    let mantissa = if tail.is_empty() {
        head.to_string()
    } else {
        format!("{head}.{tail}")
    };
    let exp_sign = if adjusted >= 0 { "+" } else { "" };
    format!("{sign}{mantissa}E{exp_sign}{adjusted}")
}

/// Java's `Double.toString`/`Float.toString` layout of the shortest digits
/// that read back as the same value: plain with at least one fraction
/// digit for magnitudes in [10^-3, 10^7), else `d.dddE±n`.
pub(super) fn java_layout(scientific: String) -> String {
    // Rust's `{:e}` gives the shortest round-trip digits: `-1.5e10`.
    let Some((mantissa, exp)) = scientific.split_once('e') else {
        return scientific;
    };
    let Ok(exp) = exp.parse::<i32>() else {
        return scientific;
    };
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if digits == "0" {
        return format!("{sign}0.0");
    }
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            let padded = format!("{digits:0<int_len$}");
            let (int, frac) = padded.split_at(int_len);
            let frac = if frac.is_empty() { "0" } else { frac };
            format!("{sign}{int}.{frac}")
        } else {
            let zeros = "0".repeat((-exp - 1) as usize);
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let (head, tail) = digits.split_at(1);
        let tail = if tail.is_empty() { "0" } else { tail };
        format!("{sign}{head}.{tail}E{exp}")
    }
}

pub(super) fn java_double(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    java_layout(format!("{f:e}"))
}

pub(super) fn java_float(f: f32) -> String {
    if f.is_nan() || f.is_infinite() {
        return java_double(f64::from(f));
    }
    java_layout(format!("{f:e}"))
}
