//! Cassandra's variable-length integers (`VIntCoding`).
//!
//! The number of leading 1-bits of the first byte is the number of bytes
//! that follow (0 to 8); the rest of the first byte and the following bytes
//! hold the value, big-endian. Writers always use the shortest form.
//! Signed vints are zigzag-encoded first. Layout and examples:
//! `docs/format.md` ("Cassandra primitives").

/// Why a vint could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VintError {
    /// The input ends inside the vint.
    Truncated,
    /// The value does not fit the type asked for (a vint32 outside i32).
    Overflow(u64),
}

impl std::fmt::Display for VintError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VintError::Truncated => write!(f, "input ends inside a variable-length integer"),
            VintError::Overflow(v) => write!(f, "variable-length integer {v:#x} out of range"),
        }
    }
}

impl std::error::Error for VintError {}

/// Bytes the unsigned vint encoding of `value` takes: 1 to 9.
pub fn unsigned_vint_size(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    (1 + (bits - 1) / 7).min(9)
}

/// Appends the unsigned vint encoding of `value` to `out`.
pub fn write_unsigned_vint(value: u64, out: &mut Vec<u8>) {
    let (bytes, size) = encode_unsigned_vint(value);
    out.extend_from_slice(&bytes[..size]);
}

/// An unsigned vint as bytes: the array and how many of its bytes it takes.
pub fn encode_unsigned_vint(value: u64) -> ([u8; 9], usize) {
    let size = unsigned_vint_size(value);
    let mut bytes = [0u8; 9];
    if size == 9 {
        bytes[0] = 0xFF;
        bytes[1..].copy_from_slice(&value.to_be_bytes());
        return (bytes, 9);
    }
    bytes[..size].copy_from_slice(&value.to_be_bytes()[8 - size..]);
    // `size - 1` leading ones announce the bytes that follow; the value is
    // small enough to leave them clear.
    bytes[0] |= !(0xFFu8 >> (size - 1));
    (bytes, size)
}

/// Reads an unsigned vint from the start of `input`; returns the value and
/// the bytes it took.
///
/// # Errors
/// [`VintError::Truncated`] if `input` ends inside it.
pub fn read_unsigned_vint(input: &[u8]) -> Result<(u64, usize), VintError> {
    let first = *input.first().ok_or(VintError::Truncated)?;
    if first < 0x80 {
        return Ok((u64::from(first), 1));
    }
    let extra = first.leading_ones() as usize;
    let rest = input.get(1..1 + extra).ok_or(VintError::Truncated)?;
    let mut value = u64::from(first) & (0xFFu64 >> extra);
    for &b in rest {
        value = (value << 8) | u64::from(b);
    }
    Ok((value, 1 + extra))
}

/// Appends the signed (zigzag) vint encoding of `value`.
pub fn write_signed_vint(value: i64, out: &mut Vec<u8>) {
    write_unsigned_vint(((value << 1) ^ (value >> 63)) as u64, out);
}

/// Reads a signed (zigzag) vint.
///
/// # Errors
/// [`VintError::Truncated`] if `input` ends inside it.
pub fn read_signed_vint(input: &[u8]) -> Result<(i64, usize), VintError> {
    let (u, n) = read_unsigned_vint(input)?;
    Ok((((u >> 1) as i64) ^ -((u & 1) as i64), n))
}

/// Reads a "vint32": an unsigned vint that must hold an `i32`. Negative
/// values were sign-extended to 64 bits by the writer (9 bytes on disk).
///
/// # Errors
/// [`VintError::Truncated`], or [`VintError::Overflow`] when the value is
/// no sign-extended i32.
pub fn read_vint32(input: &[u8]) -> Result<(i32, usize), VintError> {
    let (u, n) = read_unsigned_vint(input)?;
    i32::try_from(u as i64)
        .map(|v| (v, n))
        .map_err(|_| VintError::Overflow(u))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The examples of the format reference (§2.2), byte for byte.
    #[test]
    fn unsigned_vints_match_cassandra_examples() {
        let cases: [(u64, &str); 10] = [
            (0, "00"),
            (127, "7f"),
            (128, "80 80"),
            (1201, "84 b1"),
            (16384, "c0 40 00"),
            (66000, "c1 01 d0"),
            (1 << 21, "e0 20 00 00"),
            ((1 << 56) - 1, "fe ff ff ff ff ff ff ff"),
            (1 << 56, "ff 01 00 00 00 00 00 00 00"),
            (u64::MAX, "ff ff ff ff ff ff ff ff ff"),
        ];
        for (value, bytes) in cases {
            let mut out = Vec::new();
            write_unsigned_vint(value, &mut out);
            assert_eq!(hex(&out), bytes, "{value}");
            assert_eq!(unsigned_vint_size(value), out.len());
            assert_eq!(read_unsigned_vint(&out), Ok((value, out.len())));
            assert_eq!(
                read_unsigned_vint(&out[..out.len() - 1]),
                Err(VintError::Truncated)
            );
        }
    }

    #[test]
    fn every_size_round_trips_at_its_edges() {
        for shift in 0..64 {
            for value in [(1u64 << shift) - 1, 1u64 << shift, (1u64 << shift) + 1] {
                let mut out = Vec::new();
                write_unsigned_vint(value, &mut out);
                assert_eq!(read_unsigned_vint(&out), Ok((value, out.len())), "{value}");
            }
        }
        for value in [0i64, 1, -1, 63, -64, 64, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            write_signed_vint(value, &mut out);
            assert_eq!(read_signed_vint(&out), Ok((value, out.len())), "{value}");
        }
    }

    #[test]
    fn negative_vint32_takes_nine_bytes_and_reads_back() {
        let mut out = Vec::new();
        write_unsigned_vint(-5i64 as u64, &mut out);
        assert_eq!(out.len(), 9);
        assert_eq!(read_vint32(&out), Ok((-5, 9)));
        out.clear();
        write_unsigned_vint(1 << 40, &mut out);
        assert_eq!(read_vint32(&out), Err(VintError::Overflow(1 << 40)));
        assert_eq!(read_unsigned_vint(&[]), Err(VintError::Truncated));
    }
}
