//! The file-system layer every Ilion component writes through.
//!
//! All file I/O of the commitlog, the SSTable writer and the engine goes
//! through [`FileSystem`], so that tests can swap the real implementation
//! ([`RealFs`]) for `SimFs`, which keeps files in memory, injects I/O
//! errors and short writes on chosen operations, and simulates power loss:
//! after `SimFs::crash` only what was made durable survives (file data after
//! a file sync, directory entries after a directory sync), plus a random
//! prefix of the writes that were not yet synced.
//!
//! Reads of immutable files go through [`FileSystem::read_mapped`]: a
//! memory map on the real file system, the bytes themselves on a simulated
//! one.
//!
//! `SimFs` is compiled with the `sim` feature, which test code enables.

mod real;
#[cfg(any(test, feature = "sim"))]
mod sim;

pub use real::RealFs;
#[cfg(any(test, feature = "sim"))]
pub use sim::{Fault, FaultKind, OpKind, SimFs};

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::Path;

/// A file system: the operations Ilion needs, no more.
///
/// Implementations are shared between threads. Every method returns an
/// [`io::Error`] rather than panicking.
pub trait FileSystem: Send + Sync + fmt::Debug {
    /// Creates `dir` and its missing parents. Creating a directory that
    /// exists is not an error.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;

    /// Lists the names of the entries of `dir` (files and directories), in
    /// no particular order.
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<OsString>>;

    /// Creates a new file of exactly `len` zero bytes whose space is reserved
    /// up front, for in-place writes (a commitlog segment). Fails if the file
    /// exists. The new directory entry is durable only after
    /// [`FileSystem::sync_dir`] on its directory.
    fn create_preallocated(&self, path: &Path, len: u64) -> io::Result<Box<dyn WritableFile>>;

    /// Creates a new, empty file for writing. Fails if the file exists.
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>>;

    /// Opens an existing file for in-place writes (repairs after recovery).
    fn open_writable(&self, path: &Path) -> io::Result<Box<dyn WritableFile>>;

    /// Opens an existing file for reading.
    fn open_readable(&self, path: &Path) -> io::Result<Box<dyn ReadableFile>>;

    /// Renames `from` to `to`, replacing `to` if it exists. Durable only
    /// after [`FileSystem::sync_dir`].
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;

    /// Removes a file. Durable only after [`FileSystem::sync_dir`].
    fn remove_file(&self, path: &Path) -> io::Result<()>;

    /// Makes the entries of `dir` (creations, renames, removals) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;

    /// The whole content of an immutable file (an SSTable component), to
    /// read in place. The real file system maps it; the default reads it.
    fn read_mapped(&self, path: &Path) -> io::Result<FileBytes> {
        let file = self.open_readable(path)?;
        read_all(file.as_ref(), u64::MAX).map(FileBytes::Owned)
    }

    /// Takes an exclusive advisory lock on `path` (created if missing) for
    /// as long as the returned guard lives; [`io::ErrorKind::WouldBlock`]
    /// when another holder has it. A simulated file system has no other
    /// process to exclude: the default takes no lock.
    fn lock_exclusive(&self, _path: &Path) -> io::Result<LockGuard> {
        Ok(LockGuard(None))
    }
}

/// A held advisory lock (released when dropped).
#[derive(Debug)]
pub struct LockGuard(pub Option<std::fs::File>);

/// The bytes of a file read whole: mapped or owned.
#[derive(Debug)]
pub enum FileBytes {
    /// A read-only memory map of a real file.
    Mapped(memmap2::Mmap),
    /// The bytes, read into memory.
    Owned(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map,
            FileBytes::Owned(bytes) => bytes,
        }
    }
}

/// A file open for writing.
///
/// Writes and syncs take `&self` so that one thread may sync a file while
/// another writes to a different region of it; implementations serialise
/// what needs serialising.
pub trait WritableFile: Send + Sync + fmt::Debug {
    /// Writes up to `buf.len()` bytes at `offset` and returns how many were
    /// written; a short count is not an error. See [`write_all_at`].
    fn write_at(&self, offset: u64, buf: &[u8]) -> io::Result<usize>;

    /// Makes everything written so far, and the file's length, durable.
    fn sync(&self) -> io::Result<()>;

    /// Sets the file's length, truncating or extending with zeros.
    fn set_len(&self, len: u64) -> io::Result<()>;

    /// The current length of the file.
    fn len(&self) -> io::Result<u64>;

    /// Whether the file is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// A file open for reading.
pub trait ReadableFile: Send + Sync + fmt::Debug {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read,
    /// 0 at the end of the file.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// The current length of the file.
    fn len(&self) -> io::Result<u64>;

    /// Whether the file is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// Writes all of `buf` at `offset`, retrying after short writes.
///
/// # Errors
/// The first error of the underlying writes, or [`io::ErrorKind::WriteZero`]
/// if a write makes no progress.
pub fn write_all_at(file: &dyn WritableFile, mut offset: u64, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = file.write_at(offset, buf)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "write made no progress",
            ));
        }
        buf = buf.get(n..).unwrap_or_default();
        offset += n as u64;
    }
    Ok(())
}

/// Reads the whole of a file into memory, refusing files longer than
/// `max_len` (the caller's bound on what it is prepared to allocate).
///
/// # Errors
/// I/O errors, or [`io::ErrorKind::InvalidData`] if the file is longer than
/// `max_len`.
pub fn read_all(file: &dyn ReadableFile, max_len: u64) -> io::Result<Vec<u8>> {
    let len = file.len()?;
    if len > max_len {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("file is {len} bytes, more than the {max_len} expected at most"),
        ));
    }
    let len = usize::try_from(len).map_err(|_| io::Error::other("file too large for memory"))?;
    let mut buf = vec![0u8; len];
    let mut done = 0;
    while done < len {
        let n = file.read_at(done as u64, &mut buf[done..])?;
        if n == 0 {
            // The file shrank while being read: keep what is there.
            buf.truncate(done);
            break;
        }
        done += n;
    }
    Ok(buf)
}
