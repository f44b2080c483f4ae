//! Reading big-endian fields from a component's bytes, every read bounded
//! by the bytes present, every failure naming the file and offset.

use crate::error::{Error, Result};
use std::path::Path;

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

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// A corruption error at the current position.
    pub fn corrupt(&self, reason: impl Into<String>) -> Error {
        Error::corrupt(self.path, self.position(), reason)
    }

    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if self.remaining() < n {
            return Err(self.corrupt(format!(
                "{what}: needs {n} bytes, {} left",
                self.remaining()
            )));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
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

    /// A Java `writeUTF` string: u16 length, then (modified) UTF-8. The
    /// names Cassandra writes this way are ASCII.
    pub fn utf(&mut self, what: &str) -> Result<&'a str> {
        let len = self.u16(what)? as usize;
        let at = self.position();
        let bytes = self.take(len, what)?;
        std::str::from_utf8(bytes)
            .map_err(|_| Error::corrupt(self.path, at, format!("{what}: not UTF-8")))
    }

    /// A count that must be non-negative and fit `item_size`-byte items in
    /// what is left: checked before anything is allocated from it.
    pub fn count(&mut self, item_size: usize, what: &str) -> Result<usize> {
        let at = self.position();
        let n = self.i32(what)?;
        let fits = usize::try_from(n)
            .ok()
            .filter(|&n| n.saturating_mul(item_size) <= self.remaining());
        fits.ok_or_else(|| {
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
