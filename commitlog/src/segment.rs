//! Writing one segment file: creation, markers, seal.

use crate::error::{Error, Result};
use crate::format::{
    encode_marker, encode_seal, segment_file_name, SegmentHeader, SPARE_SEGMENT_NAME,
};
use ilion_vfs::{write_all_at, FileSystem, WritableFile};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A segment file open for writing.
#[derive(Debug, Clone)]
pub(crate) struct SegmentFile {
    pub id: u64,
    pub path: PathBuf,
    pub file: Arc<dyn WritableFile>,
}

impl SegmentFile {
    /// Creates segment `id` in `dir`: a preallocated, zero-filled file with
    /// its header written. The directory still needs a sync.
    pub fn create(fs: &dyn FileSystem, dir: &Path, id: u64, size: u32) -> Result<SegmentFile> {
        let path = dir.join(segment_file_name(id));
        let file: Arc<dyn WritableFile> = fs
            .create_preallocated(&path, u64::from(size))
            .map_err(|e| Error::io("create", &path, e))?
            .into();
        let header = SegmentHeader {
            segment_id: id,
            segment_size: size,
        };
        let segment = SegmentFile { id, path, file };
        segment.write(0, &header.encode(), "write header")?;
        Ok(segment)
    }

    /// Creates the spare segment: preallocated, zero-filled, no header yet,
    /// under a name replay does not read.
    pub fn create_spare(fs: &dyn FileSystem, dir: &Path, size: u32) -> Result<SegmentFile> {
        let path = dir.join(SPARE_SEGMENT_NAME);
        let file: Arc<dyn WritableFile> = fs
            .create_preallocated(&path, u64::from(size))
            .map_err(|e| Error::io("create", &path, e))?
            .into();
        Ok(SegmentFile { id: 0, path, file })
    }

    /// Turns the spare into segment `id`: renames it and writes its header.
    /// Cheap, unlike creating a file: no space to allocate. The directory
    /// still needs a sync.
    pub fn activate_spare(
        self,
        fs: &dyn FileSystem,
        dir: &Path,
        id: u64,
        size: u32,
    ) -> Result<SegmentFile> {
        let path = dir.join(segment_file_name(id));
        fs.rename(&self.path, &path)
            .map_err(|e| Error::io("rename", &self.path, e))?;
        let segment = SegmentFile {
            id,
            path,
            file: self.file,
        };
        let header = SegmentHeader {
            segment_id: id,
            segment_size: size,
        };
        segment.write(0, &header.encode(), "write header")?;
        Ok(segment)
    }

    /// Opens an existing segment for repair.
    pub fn open(fs: &dyn FileSystem, path: &Path, id: u64) -> Result<SegmentFile> {
        let file: Arc<dyn WritableFile> = fs
            .open_writable(path)
            .map_err(|e| Error::io("open", path, e))?
            .into();
        Ok(SegmentFile {
            id,
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn write(&self, offset: u32, bytes: &[u8], op: &'static str) -> Result<()> {
        write_all_at(self.file.as_ref(), u64::from(offset), bytes)
            .map_err(|e| Error::io(op, &self.path, e))
    }

    pub fn write_marker(&self, slot: u32, next: u32) -> Result<()> {
        self.write(
            slot,
            &encode_marker(self.id, slot, next),
            "write sync marker",
        )
    }

    pub fn write_seal(&self, at: u32) -> Result<()> {
        self.write(at, &encode_seal(self.id, at), "write seal")
    }

    pub fn sync(&self) -> Result<()> {
        self.file
            .sync()
            .map_err(|e| Error::io("sync", &self.path, e))
    }
}
