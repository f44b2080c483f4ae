//! The data directory's `LOCK` file: an advisory lock held while a `Db` is
//! open, so that a second open of the same directory, by this process or
//! another, fails with a clear error instead of two engines writing the
//! same files. Within one process the lock is also recorded in a registry,
//! since advisory locks do not exclude the process that holds them on
//! every platform.

use crate::error::{io_error, Error, Result};
use ilion_vfs::{FileSystem, LockGuard};
use parking_lot::Mutex;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

static OPEN_DIRECTORIES: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct DirectoryLock {
    guard: Option<LockGuard>,
    directory: PathBuf,
}

impl DirectoryLock {
    /// Locks `directory` (which must exist) through `fs`.
    ///
    /// # Errors
    /// [`Error::Locked`] when it is held; I/O errors.
    pub fn acquire(fs: &dyn FileSystem, directory: &Path) -> Result<DirectoryLock> {
        // One spelling per directory on the real disk; a simulated file
        // system's paths are taken as they are.
        let directory = directory
            .canonicalize()
            .unwrap_or_else(|_| directory.to_path_buf());
        {
            let mut open = OPEN_DIRECTORIES.lock();
            if !open
                .get_or_insert_with(HashSet::new)
                .insert(directory.clone())
            {
                return Err(Error::Locked { path: directory });
            }
        }
        let path = directory.join("LOCK");
        match fs.lock_exclusive(&path) {
            Ok(guard) => Ok(DirectoryLock {
                guard: Some(guard),
                directory,
            }),
            Err(e) => {
                if let Some(open) = OPEN_DIRECTORIES.lock().as_mut() {
                    open.remove(&directory);
                }
                if e.kind() == std::io::ErrorKind::WouldBlock {
                    Err(Error::Locked { path: directory })
                } else {
                    Err(io_error("lock", &path)(e))
                }
            }
        }
    }
}

impl Drop for DirectoryLock {
    fn drop(&mut self) {
        // Unlock the file before the registry lets another open try it.
        drop(self.guard.take());
        if let Some(open) = OPEN_DIRECTORIES.lock().as_mut() {
            open.remove(&self.directory);
        }
    }
}
