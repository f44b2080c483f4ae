//! Cassandra's `decimal` (`DecimalType`, a Java `BigDecimal`) as a
//! normalised number: serialised as a 4-byte big-endian scale and the
//! unscaled value as a two's-complement varint, the value being
//! `unscaled × 10^-scale`. Normalised, equal numbers of different scales
//! (1.0 and 1.00, which `BigDecimal.compareTo` finds equal) become equal.

use crate::cql_value::number::varint_decimal;
use std::cmp::Ordering;

/// The longest unscaled value translated (Cassandra caps a clustering
/// value at 65535 bytes); longer ones are refused rather than spending
/// quadratic time on their digits.
const MAX_UNSCALED: usize = 65_535;

/// A decimal as `±0.d₁d₂…dₙ × 10^exponent`, d₁ ≠ 0 and dₙ ≠ 0; zero has
/// no digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    /// Whether the number is below zero.
    pub negative: bool,
    /// The decimal digits (0–9) after the point, without trailing zeros.
    pub digits: Vec<u8>,
    /// The power of ten the digits are scaled by.
    pub exponent: i64,
}

impl Decimal {
    /// Parses a serialised decimal; `None` when it is shorter than a scale
    /// and one byte of unscaled value (Java's `BigInteger` refuses an
    /// empty one) or too long to translate.
    pub fn parse(value: &[u8]) -> Option<Decimal> {
        let (scale, unscaled) = value.split_first_chunk::<4>()?;
        if unscaled.is_empty() || unscaled.len() > MAX_UNSCALED {
            return None;
        }
        let text = varint_decimal(unscaled)?;
        let (negative, magnitude) = match text.strip_prefix('-') {
            Some(m) => (true, m),
            None => (false, text.as_str()),
        };
        let mut digits: Vec<u8> = magnitude.bytes().map(|b| b - b'0').collect();
        if digits == [0] {
            return Some(Decimal {
                negative: false,
                digits: Vec::new(),
                exponent: 0,
            });
        }
        // BigDecimal's precision (the digit count) less its scale: where
        // the decimal point sits relative to the first digit.
        let exponent = digits.len() as i64 - i64::from(i32::from_be_bytes(*scale));
        while digits.last() == Some(&0) {
            digits.pop();
        }
        Some(Decimal {
            negative,
            digits,
            exponent,
        })
    }

    /// Whether the number is zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// `BigDecimal.compareTo`: numeric order, scale ignored.
    pub fn numeric_cmp(&self, other: &Decimal) -> Ordering {
        let sign = |d: &Decimal| match (d.is_zero(), d.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        };
        let (sa, sb) = (sign(self), sign(other));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        // Same sign: a higher exponent is a larger magnitude, then the
        // digits (a shorter digit string that is a prefix is smaller).
        let magnitude = self
            .exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits));
        if sa < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A serialised decimal: the scale, then the unscaled value's minimal
    /// two's-complement bytes (as `BigInteger.toByteArray` gives them).
    pub(crate) fn serialised(unscaled: i128, scale: i32) -> Vec<u8> {
        let bytes = unscaled.to_be_bytes();
        let mut start = 0;
        while start < 15
            && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
                || (bytes[start] == 0xFF && bytes[start + 1] & 0x80 != 0))
        {
            start += 1;
        }
        let mut out = scale.to_be_bytes().to_vec();
        out.extend_from_slice(&bytes[start..]);
        out
    }

    #[test]
    fn digits_and_exponent() {
        // 1.10 = 110 × 10^-2 = 0.11 × 10^1.
        let d = Decimal::parse(&serialised(110, 2)).unwrap();
        assert_eq!(
            (d.negative, d.digits.as_slice(), d.exponent),
            (false, &[1, 1][..], 1)
        );
        // -0.0081 = -81 × 10^-4 = -0.81 × 10^-2.
        let d = Decimal::parse(&serialised(-81, 4)).unwrap();
        assert_eq!(
            (d.negative, d.digits.as_slice(), d.exponent),
            (true, &[8, 1][..], -2)
        );
        // 5E+3 (a negative scale) = 0.5 × 10^4.
        let d = Decimal::parse(&serialised(5, -3)).unwrap();
        assert_eq!((d.digits.as_slice(), d.exponent), (&[5][..], 4));
        assert!(Decimal::parse(&serialised(0, 7)).unwrap().is_zero());
        assert!(Decimal::parse(&[0, 0, 0, 1]).is_none(), "no unscaled bytes");
    }

    #[test]
    fn equal_numbers_of_different_scales_compare_equal() {
        let a = Decimal::parse(&serialised(1, 0)).unwrap();
        let b = Decimal::parse(&serialised(1000, 3)).unwrap();
        assert_eq!(a.numeric_cmp(&b), Ordering::Equal);
        let c = Decimal::parse(&serialised(-12, 1)).unwrap();
        let d = Decimal::parse(&serialised(-119, 2)).unwrap();
        assert_eq!(c.numeric_cmp(&d), Ordering::Less, "-1.2 < -1.19");
    }
}
