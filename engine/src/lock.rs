//! The data directory's `LOCK` file: an advisory lock held while a `Db` is
//! open, so that a second open of the same directory, by this process or
//! another, fails with a clear error instead of two engines writing the
//! same files. Within one process the lock is also recorded in a registry,
//! since advisory locks do not exclude the process that holds them on
//! every platform.

use crate::error::{io_error, Error, Result};
use parking_lot::Mutex;
use std::collections::HashSet;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

static OPEN_DIRECTORIES: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct DirectoryLock {
    _file: File,
    directory: PathBuf,
}

impl DirectoryLock {
    /// Locks `directory` (which must exist).
    ///
    /// # Errors
    /// [`Error::Locked`] when it is held; I/O errors.
    pub fn acquire(directory: &Path) -> Result<DirectoryLock> {
        let directory = directory
            .canonicalize()
            .map_err(io_error("resolve", directory))?;
        {
            let mut open = OPEN_DIRECTORIES.lock();
            if !open
                .get_or_insert_with(HashSet::new)
                .insert(directory.clone())
            {
                return Err(Error::Locked { path: directory });
            }
        }
        let release = |directory: &Path| {
            if let Some(open) = OPEN_DIRECTORIES.lock().as_mut() {
                open.remove(directory);
            }
        };
        let path = directory.join("LOCK");
        let file = match OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
        {
            Ok(file) => file,
            Err(e) => {
                release(&directory);
                return Err(io_error("open", &path)(e));
            }
        };
        match file.try_lock() {
            Ok(()) => Ok(DirectoryLock {
                _file: file,
                directory,
            }),
            Err(TryLockError::WouldBlock) => {
                release(&directory);
                Err(Error::Locked { path: directory })
            }
            Err(TryLockError::Error(e)) => {
                release(&directory);
                Err(io_error("lock", &path)(e))
            }
        }
    }
}

impl Drop for DirectoryLock {
    fn drop(&mut self) {
        // The file lock goes with the file handle.
        if let Some(open) = OPEN_DIRECTORIES.lock().as_mut() {
            open.remove(&self.directory);
        }
    }
}
