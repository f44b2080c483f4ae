//! Reading and writing the engine's own small binary files: big-endian
//! integers, u16-length strings, a CRC32 over everything, and atomic
//! replacement (write a temporary, fsync, rename, fsync the directory).

use crate::error::{io_error, Error, Result};
use ilion_vfs::{read_all, write_all_at, FileSystem};
use std::path::{Path, PathBuf};

/// Bounded reads from a file's bytes; every failure names the file and
/// offset.
pub(crate) struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(bytes: &'a [u8], path: &'a Path) -> Self {
        Decoder {
            bytes,
            pos: 0,
            path,
        }
    }

    pub(crate) fn corrupt(&self, reason: impl Into<String>) -> Error {
        Error::Corruption {
            path: self.path.to_path_buf(),
            offset: self.pos as u64,
            reason: reason.into(),
        }
    }

    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let out = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(out)
            }
            None => Err(self.corrupt(format!("{what}: needs {n} bytes past the end"))),
        }
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn id(&mut self, what: &str) -> Result<[u8; 16]> {
        self.array(what)
    }

    pub(crate) fn string(&mut self, what: &str) -> Result<String> {
        let len = usize::from(self.u16(what)?);
        let bytes = self.take(len, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.corrupt(format!("{what}: not UTF-8")))
    }

    pub(crate) fn is_done(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

/// Big-endian writes into a buffer.
#[derive(Default)]
pub(crate) struct Encoder {
    pub(crate) bytes: Vec<u8>,
}

impl Encoder {
    pub(crate) fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn raw(&mut self, v: &[u8]) {
        self.bytes.extend_from_slice(v);
    }

    /// A string of at most 65,535 bytes (names and type strings).
    pub(crate) fn string(&mut self, v: &str) -> Result<()> {
        let len = u16::try_from(v.len())
            .map_err(|_| Error::Invalid(format!("a string of {} bytes in a schema", v.len())))?;
        self.u16(len);
        self.raw(v.as_bytes());
        Ok(())
    }
}

/// The file's bytes with its trailing CRC32 checked and removed.
pub(crate) fn checked_body<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a [u8]> {
    let Some(body_len) = bytes.len().checked_sub(4) else {
        return Err(Error::Corruption {
            path: path.to_path_buf(),
            offset: 0,
            reason: format!("{} bytes, too short for a checksum", bytes.len()),
        });
    };
    let (body, crc) = bytes.split_at(body_len);
    let expected = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
    if crc32fast::hash(body) != expected {
        return Err(Error::Corruption {
            path: path.to_path_buf(),
            offset: body_len as u64,
            reason: "CRC32 mismatch".into(),
        });
    }
    Ok(body)
}

/// Replaces `path` with `body` and its CRC32, atomically and durably.
pub(crate) fn write_file(fs: &dyn FileSystem, path: &Path, body: &[u8]) -> Result<()> {
    let tmp = PathBuf::from(format!("{}.tmp", path.display()));
    match fs.remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error("remove", &tmp)(e)),
    }
    let file = fs.create(&tmp).map_err(io_error("create", &tmp))?;
    let mut bytes = body.to_vec();
    bytes.extend_from_slice(&crc32fast::hash(body).to_be_bytes());
    write_all_at(file.as_ref(), 0, &bytes).map_err(io_error("write", &tmp))?;
    file.sync().map_err(io_error("fsync", &tmp))?;
    fs.rename(&tmp, path).map_err(io_error("rename", &tmp))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    fs.sync_dir(dir).map_err(io_error("fsync directory", dir))
}

/// The whole file, or `None` when it does not exist. At most `max_len`
/// bytes are read (a longer file is corrupt).
pub(crate) fn read_file(fs: &dyn FileSystem, path: &Path, max_len: u64) -> Result<Option<Vec<u8>>> {
    let file = match fs.open_readable(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("open", path)(e)),
    };
    read_all(file.as_ref(), max_len)
        .map(Some)
        .map_err(io_error("read", path))
}
