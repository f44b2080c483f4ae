//! Buffered, checksummed appends to one component file through the
//! file-system layer.

use crate::error::{Error, Result};
use ilion_vfs::{write_all_at, FileSystem, WritableFile};
use std::path::{Path, PathBuf};

/// Buffered appends to one component file, with a running CRC.
#[derive(Debug)]
pub(crate) struct ComponentFile {
    file: Box<dyn WritableFile>,
    path: PathBuf,
    buffer: Vec<u8>,
    written: u64,
    crc: crc32fast::Hasher,
}

/// Bytes gathered before one write to the file.
const WRITE_BUFFER: usize = 1 << 20;

impl ComponentFile {
    pub(crate) fn create(fs: &dyn FileSystem, path: PathBuf) -> Result<ComponentFile> {
        // A temporary left by a crashed writer of the same generation.
        match fs.remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("remove", &path, e)),
        }
        let file = fs.create(&path).map_err(|e| io_error("create", &path, e))?;
        Ok(ComponentFile {
            file,
            path,
            buffer: Vec::with_capacity(WRITE_BUFFER),
            written: 0,
            crc: crc32fast::Hasher::new(),
        })
    }

    pub(crate) fn position(&self) -> u64 {
        self.written + self.buffer.len() as u64
    }

    pub(crate) fn append(&mut self, bytes: &[u8]) -> Result<()> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= WRITE_BUFFER {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        write_all_at(self.file.as_ref(), self.written, &self.buffer)
            .map_err(|e| io_error("write", &self.path, e))?;
        self.crc.update(&self.buffer);
        self.written += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    /// Flushes and fsyncs; returns the file's length and CRC32.
    pub(crate) fn finish(mut self) -> Result<(u64, u32)> {
        self.flush()?;
        self.file
            .sync()
            .map_err(|e| io_error("fsync", &self.path, e))?;
        Ok((self.written, self.crc.finalize()))
    }
}

pub(crate) fn io_error(op: &'static str, path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}
