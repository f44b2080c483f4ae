//! Reading big-endian fields from a component's bytes, every read bounded
//! by the bytes present, every failure naming the file and offset.

use crate::error::{Error, Result};
use crate::vint::{read_unsigned_vint, read_vint32, VintError};
use std::path::Path;

/// A vint decoder: the value and the bytes it took.
type VintDecoder<T> = fn(&[u8]) -> Result<(T, usize), VintError>;

/// A position in one component's bytes.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8], path: &'a Path) -> Self {
        Cursor {
            bytes,
            pos: 0,
            path,
        }
    }

    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    /// Moves to `position`, which must be within the bytes.
    pub fn set_position(&mut self, position: u64) -> Result<()> {
        match usize::try_from(position) {
            Ok(p) if p <= self.bytes.len() => {
                self.pos = p;
                Ok(())
            }
            _ => Err(self.corrupt(format!(
                "position {position} past the end ({} bytes)",
                self.bytes.len()
            ))),
        }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// A corruption error at the current position.
    pub fn corrupt(&self, reason: impl Into<String>) -> Error {
        Error::corrupt(self.path, self.position(), reason)
    }

    /// The file being read.
    pub fn path(&self) -> &'a Path {
        self.path
    }

    /// A corruption error at an earlier offset.
    pub fn corrupt_at(&self, offset: u64, reason: impl Into<String>) -> Error {
        Error::corrupt(self.path, offset, reason)
    }

    #[inline]
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        match self.bytes.get(self.pos..self.pos.wrapping_add(n)) {
            Some(out) if self.pos.checked_add(n).is_some() => {
                self.pos += n;
                Ok(out)
            }
            _ => Err(self.short(n, what)),
        }
    }

    /// The error for a read past the end, kept out of the hot path.
    #[cold]
    fn short(&self, n: usize, what: &str) -> Error {
        self.corrupt(format!(
            "{what}: needs {n} bytes, {} left",
            self.remaining()
        ))
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    /// A Java boolean: one byte, 0 or 1.
    pub fn bool(&mut self, what: &str) -> Result<bool> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Error::corrupt(
                self.path,
                self.position() - 1,
                format!("{what}: boolean byte {b}"),
            )),
        }
    }

    pub fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub fn i32(&mut self, what: &str) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }

    pub fn i64(&mut self, what: &str) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    pub fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub fn f64(&mut self, what: &str) -> Result<f64> {
        Ok(f64::from_be_bytes(self.array(what)?))
    }

    pub fn array16(&mut self, what: &str) -> Result<[u8; 16]> {
        self.array(what)
    }

    /// Decodes a variable-length value with `decode` at the current
    /// position and moves past it.
    fn decoded<T>(&mut self, what: &str, decode: VintDecoder<T>) -> Result<T> {
        let (value, n) = decode(&self.bytes[self.pos..])
            .map_err(|e| Error::corrupt(self.path, self.position(), format!("{what}: {e}")))?;
        self.pos += n;
        Ok(value)
    }

    /// An unsigned vint.
    pub fn vint(&mut self, what: &str) -> Result<u64> {
        self.decoded(what, read_unsigned_vint)
    }

    /// A vint holding an i32.
    pub fn vint32(&mut self, what: &str) -> Result<i32> {
        self.decoded(what, read_vint32)
    }

    /// A vint count of items of at least `min_item_size` bytes each, checked
    /// against what is left before anything is allocated from it.
    pub fn vint_count(&mut self, min_item_size: usize, what: &str) -> Result<usize> {
        let at = self.position();
        let n = self.vint(what)?;
        self.fitting(at, i128::from(n), min_item_size.max(1), what)
    }

    /// Bytes preceded by a vint length.
    pub fn bytes_vint(&mut self, what: &str) -> Result<&'a [u8]> {
        let len = self.vint_count(1, what)?;
        self.take(len, what)
    }

    /// A UTF-8 string preceded by a vint length.
    pub fn string_vint(&mut self, what: &str) -> Result<&'a str> {
        let at = self.position();
        let bytes = self.bytes_vint(what)?;
        self.text(bytes, at, what)
    }

    /// Bytes preceded by a u16 length.
    pub fn bytes_short(&mut self, what: &str) -> Result<&'a [u8]> {
        let len = self.u16(what)? as usize;
        self.take(len, what)
    }

    /// A Java `writeUTF` string: u16 length, then (modified) UTF-8. The
    /// names Cassandra writes this way are ASCII.
    pub fn utf(&mut self, what: &str) -> Result<&'a str> {
        let at = self.position();
        let bytes = self.bytes_short(what)?;
        self.text(bytes, at, what)
    }

    fn text(&self, bytes: &'a [u8], at: u64, what: &str) -> Result<&'a str> {
        std::str::from_utf8(bytes)
            .map_err(|_| Error::corrupt(self.path, at, format!("{what}: not UTF-8")))
    }

    /// A count that must be non-negative and fit `item_size`-byte items in
    /// what is left: checked before anything is allocated from it.
    pub fn count(&mut self, item_size: usize, what: &str) -> Result<usize> {
        let at = self.position();
        let n = self.i32(what)?;
        self.fitting(at, i128::from(n), item_size, what)
    }

    /// `n` as a count of `item_size`-byte items, if that many fit in what is
    /// left; else corruption at `at`.
    fn fitting(&self, at: u64, n: i128, item_size: usize, what: &str) -> Result<usize> {
        usize::try_from(n)
            .ok()
            .filter(|&n| n.saturating_mul(item_size) <= self.remaining())
            .ok_or_else(|| {
                Error::corrupt(
                    self.path,
                    at,
                    format!(
                        "{what}: count {n} does not fit the {} bytes left",
                        self.remaining()
                    ),
                )
            })
    }
}
