//! The real file system: `std::fs`, with memory-mapped preallocated files.

use crate::{FileSystem, ReadableFile, WritableFile};
use memmap2::{MmapOptions, MmapRaw};
use parking_lot::Mutex;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The operating system's file system.
///
/// Preallocated files ([`FileSystem::create_preallocated`]) are written
/// through a shared memory map, as Cassandra writes its commitlog segments:
/// a write is a `memcpy` into the page cache, so it has reached the
/// operating system (and survives the process being killed) as soon as it
/// returns, at a small fraction of the cost of a `pwrite` system call. Their
/// blocks are reserved with `posix_fallocate` so that a full disk is
/// reported when the file is created, never as a `SIGBUS` on a later write.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

impl RealFs {
    /// The real file system.
    pub fn new() -> Self {
        RealFs
    }
}

impl FileSystem for RealFs {
    fn read_mapped(&self, path: &Path) -> io::Result<crate::FileBytes> {
        let file = File::open(path)?;
        // SAFETY: Ilion maps only immutable files (SSTable components):
        // none is modified or truncated while mapped.
        unsafe { memmap2::Mmap::map(&file) }.map(crate::FileBytes::Mapped)
    }

    fn lock_exclusive(&self, path: &Path) -> io::Result<crate::LockGuard> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(crate::LockGuard(Some(file))),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(io::Error::from(io::ErrorKind::WouldBlock))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(dir)? {
            names.push(entry?.file_name());
        }
        Ok(names)
    }

    fn create_preallocated(&self, path: &Path, len: u64) -> io::Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        let created = preallocate(&file, len).and_then(|()| MappedFile::new(file, len));
        match created {
            Ok(mapped) => Ok(Box::new(mapped)),
            Err(e) => {
                // Leave no half-made file behind; the original error matters more.
                let _ = fs::remove_file(path);
                Err(e)
            }
        }
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        Ok(Box::new(PlainFile { file }))
    }

    fn open_writable(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        Ok(Box::new(PlainFile { file }))
    }

    fn open_readable(&self, path: &Path) -> io::Result<Box<dyn ReadableFile>> {
        Ok(Box::new(PlainFile {
            file: File::open(path)?,
        }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }
}

/// Reserves `len` bytes of disk for `file`, falling back to writing zeros on
/// file systems without `fallocate`.
fn preallocate(file: &File, len: u64) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let off_len = libc::off_t::try_from(len)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file length too large"))?;
    // SAFETY: the descriptor is valid for the life of `file`; the call only
    // reads its integer arguments.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, off_len) };
    match rc {
        0 => Ok(()),
        libc::EOPNOTSUPP | libc::EINVAL => {
            let zeros = vec![0u8; 1 << 20];
            let mut done = 0u64;
            while done < len {
                let n = (len - done).min(zeros.len() as u64) as usize;
                file.write_all_at(&zeros[..n], done)?;
                done += n as u64;
            }
            // Written back now, so the first sync of the segment does not
            // pay for the whole file.
            file.sync_data()
        }
        err => Err(io::Error::from_raw_os_error(err)),
    }
}

/// A fixed-length file written through a shared memory map.
struct MappedFile {
    /// Kept open for the life of the map.
    _file: File,
    map: MmapRaw,
    len: u64,
    /// Serialises copies into the map: callers may write disjoint regions
    /// from several threads, and Rust's memory model wants no unsynchronised
    /// concurrent writes to the same allocation.
    write_lock: Mutex<()>,
}

impl std::fmt::Debug for MappedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedFile")
            .field("len", &self.len)
            .finish()
    }
}

impl MappedFile {
    fn new(file: File, len: u64) -> io::Result<Self> {
        let map_len = usize::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file length too large"))?;
        let map = MmapOptions::new().len(map_len).map_raw(&file)?;
        Ok(MappedFile {
            _file: file,
            map,
            len,
            write_lock: Mutex::new(()),
        })
    }
}

impl WritableFile for MappedFile {
    fn write_at(&self, offset: u64, buf: &[u8]) -> io::Result<usize> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&end| end <= self.len)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "write of {} bytes at {offset} past the end of a {}-byte preallocated file",
                        buf.len(),
                        self.len
                    ),
                )
            })?;
        debug_assert!(end <= self.len);
        let _guard = self.write_lock.lock();
        // SAFETY: the range [offset, offset + len) lies inside the mapping
        // (checked above), the mapping lives as long as `self`, and the
        // lock keeps copies from overlapping in time.
        unsafe {
            std::ptr::copy_nonoverlapping(
                buf.as_ptr(),
                self.map.as_mut_ptr().add(offset as usize),
                buf.len(),
            );
        }
        Ok(buf.len())
    }

    fn sync(&self) -> io::Result<()> {
        // msync(MS_SYNC) writes the mapped pages back and waits for them; on
        // Linux it is fdatasync over the range, metadata needed to read the
        // data back included. A second fdatasync would cost another cache
        // flush of the device for nothing.
        self.map.flush()
    }

    fn set_len(&self, _len: u64) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a preallocated, mapped file keeps its length",
        ))
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.len)
    }
}

/// A file written with `pwrite` and read with `pread`.
#[derive(Debug)]
struct PlainFile {
    file: File,
}

impl WritableFile for PlainFile {
    fn write_at(&self, offset: u64, buf: &[u8]) -> io::Result<usize> {
        self.file.write_at(buf, offset)
    }

    fn sync(&self) -> io::Result<()> {
        self.file.sync_all()
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
}

impl ReadableFile for PlainFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        FileExt::read_at(&self.file, buf, offset)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_all, write_all_at};

    #[test]
    fn preallocated_file_reads_back_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFs::new();
        let path = dir.path().join("seg");
        let file = fs.create_preallocated(&path, 8192).unwrap();
        write_all_at(file.as_ref(), 100, b"hello").unwrap();
        file.sync().unwrap();
        assert!(file.write_at(8190, b"xyz").is_err(), "write past the end");
        let data = read_all(fs.open_readable(&path).unwrap().as_ref(), 1 << 20).unwrap();
        assert_eq!(data.len(), 8192);
        assert_eq!(&data[100..105], b"hello");
        assert!(data[..100].iter().all(|&b| b == 0));
        assert!(fs.create_preallocated(&path, 10).is_err(), "exists");
    }

    #[test]
    fn plain_file_round_trip_rename_remove() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFs::new();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        let file = fs.create(&a).unwrap();
        write_all_at(file.as_ref(), 0, b"abc").unwrap();
        file.set_len(2).unwrap();
        file.sync().unwrap();
        fs.rename(&a, &b).unwrap();
        fs.sync_dir(dir.path()).unwrap();
        let names = fs.list_dir(dir.path()).unwrap();
        assert_eq!(names, vec![OsString::from("b")]);
        let data = read_all(fs.open_readable(&b).unwrap().as_ref(), 10).unwrap();
        assert_eq!(data, b"ab");
        assert!(read_all(fs.open_readable(&b).unwrap().as_ref(), 1).is_err());
        fs.remove_file(&b).unwrap();
        assert!(fs.list_dir(dir.path()).unwrap().is_empty());
    }
}
