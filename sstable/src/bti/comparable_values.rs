//! The byte-comparable form of one value of a type (simple types,
//! tuples, user types, frozen collections), as each Cassandra 5.0 type's
//! `asComparableBytes` produces it for `ByteComparable.Version.OSS50` (the
//! version BTI tries use).
//!
//! Every form here is prefix-free or, for the escaped variable-length
//! types, weakly prefix-free (a prefix is always followed by `FE`/`FF`,
//! above every separator), so that values can be joined by separators in
//! a clustering.

use super::byte_comparable::{push_variable, NEXT_COMPONENT, NEXT_COMPONENT_NULL, TERMINATOR};
use crate::decimal::Decimal;
use crate::types::{
    class_name, collection_elements, is_reversed, parameters, too_deep, tuple_field_types,
    tuple_fields,
};

/// What [`push`] did with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// The value's bytes were appended.
    Bytes,
    /// The type has no bytes for this value (an empty value of a type
    /// whose `asComparableBytes` returns null): the caller writes the
    /// empty-value separator instead.
    NoSource,
}

/// Whether [`push`] knows the type (a type string, not `ReversedType`).
pub fn known(type_string: &str) -> bool {
    if too_deep(type_string) {
        return false;
    }
    match class_name(type_string) {
        "TupleType" | "UserType" => tuple_field_types(type_string)
            .is_some_and(|f| f.iter().all(|t| !is_reversed(t) && known(t))),
        "FrozenType" | "ListType" | "SetType" | "MapType" => {
            let fields = parameters(type_string);
            !fields.is_empty() && fields.iter().all(|t| !is_reversed(t) && known(t))
        }
        class => matches!(
            class,
            "UTF8Type"
                | "AsciiType"
                | "BytesType"
                | "InetAddressType"
                | "Int32Type"
                | "LongType"
                | "TimestampType"
                | "DateType"
                | "ShortType"
                | "ByteType"
                | "FloatType"
                | "DoubleType"
                | "BooleanType"
                | "SimpleDateType"
                | "TimeType"
                | "UUIDType"
                | "TimeUUIDType"
                | "LexicalUUIDType"
                | "IntegerType"
                | "DecimalType"
        ),
    }
}

/// Appends the byte-comparable form of `value` of type `type_string`
/// (not `ReversedType`, which the caller applies by inverting the bytes).
/// `None` for a type not [`known`] or a value that is not one of the type
/// (a UUID not 16 bytes long, a time UUID not of version 1, ...), where
/// Cassandra would have refused it.
pub fn push(type_string: &str, value: &[u8], out: &mut Vec<u8>) -> Option<Pushed> {
    let class = class_name(type_string);
    // Byte-ordered types (`AbstractType.asComparableBytes`'s default):
    // escaped, and an empty value is bytes like any other.
    if matches!(
        class,
        "UTF8Type" | "AsciiType" | "BytesType" | "InetAddressType"
    ) {
        push_variable(value, out);
        return Some(Pushed::Bytes);
    }
    if !known(type_string) {
        return None;
    }
    if class == "FrozenType" {
        return push(parameters(type_string).first()?, value, out);
    }
    if value.is_empty() {
        return Some(Pushed::NoSource);
    }
    let pushed = match class {
        // ByteSource.SignedFixedLengthNumber: the sign bit flipped.
        "Int32Type" => signed_fixed(value, 4, out),
        "LongType" | "TimestampType" | "DateType" => signed_fixed(value, 8, out),
        "ShortType" => signed_fixed(value, 2, out),
        "ByteType" => signed_fixed(value, 1, out),
        "FloatType" => float(value, 4, out),
        "DoubleType" => float(value, 8, out),
        // BooleanType: one byte, 00 for false and 01 for anything else.
        "BooleanType" => (value.len() == 1).then(|| out.push(u8::from(value[0] != 0))),
        // SimpleDateType, TimeType: ByteSource.optionalFixedLength, the
        // bytes unchanged (days offset by 2^31; nanoseconds of the day).
        "SimpleDateType" => (value.len() == 4).then(|| out.extend_from_slice(value)),
        "TimeType" => (value.len() == 8).then(|| out.extend_from_slice(value)),
        "UUIDType" => uuid(value, out),
        "TimeUUIDType" => time_uuid(value, out),
        "LexicalUUIDType" => lexical_uuid(value, out),
        "IntegerType" => varint(value, out),
        "DecimalType" => decimal(value, out),
        "TupleType" | "UserType" => tuple(type_string, value, out),
        "ListType" | "SetType" | "MapType" => collection(type_string, value, out),
        _ => None,
    };
    pushed.map(|()| Pushed::Bytes)
}

/// CollectionType.asComparableBytesListOrSet / MapType.asComparableBytesMap
/// (frozen collections): each element (a map's key, then its value) led
/// by `40` (`3E` when its type gives no bytes), then `38`.
fn collection(type_string: &str, value: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let types = parameters(type_string);
    let expected = if class_name(type_string) == "MapType" {
        2
    } else {
        1
    };
    if types.len() != expected {
        return None;
    }
    for (i, element) in collection_elements(value, expected)?.iter().enumerate() {
        push_component(types[i % expected], element, out)?;
    }
    out.push(TERMINATOR);
    Some(())
}

/// One component of a `ByteSource.Multi`: `40` and the value, or `3E`
/// alone for a value without bytes.
fn push_component(type_string: &str, value: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let separator = out.len();
    out.push(NEXT_COMPONENT);
    if push(type_string, value, out)? == Pushed::NoSource {
        out[separator] = NEXT_COMPONENT_NULL;
    }
    Some(())
}

/// TupleType.asComparableBytes (OSS50, `asComparableBytesNew`; a user
/// type inherits it): trailing
/// null fields dropped, each remaining field led by `40` (`3E` for a null
/// field, or one whose type gives no bytes, as an empty int), then `38`.
fn tuple(type_string: &str, value: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let types = tuple_field_types(type_string)?;
    let fields = tuple_fields(value, types.len())?;
    let present = fields
        .iter()
        .rposition(Option::is_some)
        .map_or(0, |i| i + 1);
    for (field, ty) in fields[..present].iter().zip(&types) {
        let Some(field) = field else {
            out.push(NEXT_COMPONENT_NULL);
            continue;
        };
        push_component(ty, field, out)?;
    }
    out.push(TERMINATOR);
    Some(())
}

fn signed_fixed(value: &[u8], len: usize, out: &mut Vec<u8>) -> Option<()> {
    let (&first, rest) = value.split_first().filter(|_| value.len() == len)?;
    out.push(first ^ 0x80);
    out.extend_from_slice(rest);
    Some(())
}

/// ByteSource.SignedFixedLengthFloat: IEEE order with the sign bit
/// flipped, and for a negative number every other bit too.
fn float(value: &[u8], len: usize, out: &mut Vec<u8>) -> Option<()> {
    if value.len() != len {
        return None;
    }
    let negative = value[0] & 0x80 != 0;
    let start = out.len();
    out.extend(value.iter().map(|b| if negative { !b } else { *b }));
    if !negative {
        out[start] ^= 0x80;
    }
    Some(())
}

fn uuid_halves(value: &[u8]) -> Option<(u64, u64)> {
    let bytes: &[u8; 16] = value.try_into().ok()?;
    let (msb, lsb) = bytes.split_at(8);
    Some((
        u64::from_be_bytes(msb.try_into().ok()?),
        u64::from_be_bytes(lsb.try_into().ok()?),
    ))
}

/// `TimeUUIDType.reorderTimestampBytes`: (time_low, time_mid,
/// time_hi_and_version) to (time_hi_and_version, time_mid, time_low).
fn reorder_timestamp(msb: u64) -> u64 {
    (msb << 48) | ((msb << 16) & 0xFFFF_0000_0000) | (msb >> 32)
}

/// UUIDType.asComparableBytes: the version nibble first; for version 1
/// the timestamp reordered, otherwise the rest of the high half in order;
/// the low half unchanged.
fn uuid(value: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let (msb, lsb) = uuid_halves(value)?;
    let version = (msb >> 12) & 0xF;
    let high = if version == 1 {
        reorder_timestamp(msb)
    } else {
        (version << 60) | ((msb >> 4) & 0x0FFF_FFFF_FFFF_F000) | (msb & 0xFFF)
    };
    out.extend_from_slice(&high.to_be_bytes());
    out.extend_from_slice(&lsb.to_be_bytes());
    Some(())
}

/// AbstractTimeUUIDType.asComparableBytes: the timestamp reordered, and
/// the top bit of every byte of the low half flipped (its bytes compare
/// signed, CASSANDRA-8730). Cassandra refuses a version other than 1.
fn time_uuid(value: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let (msb, lsb) = uuid_halves(value)?;
    if (msb >> 12) & 0xF != 1 {
        return None;
    }
    out.extend_from_slice(&reorder_timestamp(msb).to_be_bytes());
    out.extend_from_slice(&(lsb ^ 0x8080_8080_8080_8080).to_be_bytes());
    Some(())
}

/// LexicalUUIDType.asComparableBytes: both halves as signed longs
/// (`java.util.UUID.compareTo`), so the top bits of bytes 0 and 8 flip.
fn lexical_uuid(value: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if value.len() != 16 {
        return None;
    }
    let start = out.len();
    out.extend_from_slice(value);
    out[start] ^= 0x80;
    out[start + 8] ^= 0x80;
    Some(())
}

/// IntegerType's `FULL_FORM_THRESHOLD`: magnitudes of fewer bytes are
/// written as a variable-length long.
const FULL_FORM_THRESHOLD: usize = 7;

/// IntegerType.asComparableBytes (not LEGACY): after skipping leading
/// sign-only bytes, fewer than 7 bytes give
/// `ByteSource.variableLengthInteger` of the whole value; longer ones a
/// sign byte (`00` negative, `FF` positive), the byte count less 7 as a
/// variable-length unsigned integer (inverted when negative) and the bytes.
fn varint(value: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let sign = value[0];
    let mut p = 0;
    if sign == 0x00 || sign == 0xFF {
        while p + 1 < value.len() {
            p += 1;
            if value[p] != sign {
                break;
            }
        }
    }
    if value.len() - p < FULL_FORM_THRESHOLD {
        // Cassandra reads the whole value (sign bytes included) as a long
        // and fails on more than 8 bytes, which only a non-minimal varint
        // (never one Cassandra serialises) could have.
        if value.len() > 8 {
            return None;
        }
        let extended = value
            .iter()
            .fold(if sign & 0x80 != 0 { -1i64 } else { 0 }, |acc, b| {
                (acc << 8) | i64::from(*b)
            });
        push_variable_length_integer(extended, out);
        return Some(());
    }
    let negative_mask = if sign & 0x80 != 0 { 0xFF } else { 0x00 };
    out.push(negative_mask ^ 0xFF);
    let start = out.len();
    push_variable_length_unsigned((value.len() - p - FULL_FORM_THRESHOLD) as u64, out)?;
    for b in &mut out[start..] {
        *b ^= negative_mask;
    }
    out.extend_from_slice(&value[p..]);
    Some(())
}

/// ByteSource.VariableLengthUnsignedInteger: like UTF-8, as many leading
/// one bits as extra bytes, then a zero bit, then the number. Lengths here
/// stay far below 2^56, where Java's shift semantics would matter.
fn push_variable_length_unsigned(value: u64, out: &mut Vec<u8>) -> Option<()> {
    if value >= 1 << 56 {
        return None;
    }
    let bits_minus_one = 63 - (value | 1).leading_zeros();
    let extra = bits_minus_one / 7;
    let mask = ((-256i32 >> extra) & 0xFF) as u8;
    let shift = extra * 8;
    out.push(((value >> shift) as u8) | mask);
    for i in (0..extra).rev() {
        out.push((value >> (i * 8)) as u8);
    }
    Some(())
}

/// ByteSource.VariableLengthInteger: the inverted sign bit, as many more
/// copies of it as extra bytes, then the two's complement number; 1 to 9
/// bytes.
pub fn push_variable_length_integer(value: i64, out: &mut Vec<u8>) {
    let negative_mask = value >> 63;
    let mut v = value ^ negative_mask;
    let bits = 64 - (v | 1).leading_zeros();
    let bytes = bits / 7 + 1;
    if bytes >= 9 {
        // The ninth length bit does not fit the first byte: a whole
        // byte of it, then the eight bytes with the top bit set.
        out.push(if negative_mask < 0 { 0x00 } else { 0xFF });
        v |= i64::MIN;
        out.extend_from_slice(&(v ^ negative_mask).to_be_bytes());
        return;
    }
    let mask = (-0x100i64 >> bytes) & 0xFF;
    let shift = bytes * 8;
    v |= mask << (shift - 8);
    let encoded = (v ^ negative_mask).to_be_bytes();
    out.extend_from_slice(&encoded[8 - bytes as usize..]);
}

/// DecimalType.asComparableBytes: zero is `80`; otherwise the number as
/// ±0.m₁m₂… × 100^e (base-100 digits, m₁ ≠ 0): a header byte (`80` or
/// `00` for the sign, plus `40`, plus the byte length of e, that length
/// negated when e — negated for a negative number — is negative), e's
/// low bytes, then each base-100 digit plus `80` (for a negative number
/// the first rounded towards −∞ and the rest the positive remainder), and
/// `00`.
fn decimal(value: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let d = Decimal::parse(value)?;
    if d.is_zero() {
        out.push(0x80);
        return Some(());
    }
    // value = 0.D × 10^E; in base 100, 0.M × 100^ceil(E/2) where M is D
    // with a 0 in front when E is odd.
    let exponent = (d.exponent + 1).div_euclid(2);
    let modulated = if d.negative { -exponent } else { exponent };
    let modulated = i32::try_from(modulated).ok()?;
    let magnitude = modulated.unsigned_abs();
    let length = 4 - (magnitude.leading_zeros() / 8) as i32;
    let signed_length = if modulated < 0 { -length } else { length };
    let header = if d.negative { 0x00 } else { 0x80 } + 0x40 + signed_length;
    out.push(header as u8);
    for i in (0..length).rev() {
        out.push((modulated >> (i * 8)) as u8);
    }
    let mut digits = Vec::with_capacity(d.digits.len() + 2);
    if d.exponent.rem_euclid(2) == 1 {
        digits.push(0);
    }
    digits.extend_from_slice(&d.digits);
    if digits.len() % 2 == 1 {
        digits.push(0);
    }
    let pairs: Vec<u8> = digits.chunks(2).map(|p| p[0] * 10 + p[1]).collect();
    let (&first, rest) = pairs.split_first()?;
    if !d.negative {
        out.extend(pairs.iter().map(|m| m + 0x80));
    } else if rest.is_empty() {
        out.push(0x80 - first);
    } else {
        // −0.m₁m₂…mₖ = (−m₁ − 1)/100 + (1 − 0.m₂…mₖ)/100: the first digit
        // rounded down, then the 100's complement of the rest (mₖ ≠ 0).
        out.push(0x80 - first - 1);
        let last = rest.len() - 1;
        out.extend(
            rest.iter()
                .enumerate()
                .map(|(i, m)| 0x80 + if i == last { 100 - m } else { 99 - m }),
        );
    }
    out.push(0x00);
    Some(())
}

#[cfg(test)]
#[path = "comparable_values_tests.rs"]
mod tests;
