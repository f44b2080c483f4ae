//! Writing a memtable out as an SSTable of its table.

use crate::error::Result;
use crate::memtable::Memtable;
use crate::options::TableOptions;
use ilion_sstable::descriptor::Descriptor;
use ilion_sstable::schema::TableSchema;
use ilion_sstable::writer::{SstableWriter, WriterOptions};
use ilion_vfs::FileSystem;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Writes every partition of `memtable` into SSTable `generation` in
/// `directory`, in the table's format, with the writing node's `host_id`.
/// Returns the SSTable's Data.db, or `None` for an empty memtable (no
/// SSTable is written, as Cassandra writes none).
///
/// # Errors
/// I/O errors; partitions the writer refuses (the temporary files are
/// removed).
pub fn flush(
    memtable: &Memtable,
    fs: Arc<dyn FileSystem>,
    directory: &Path,
    generation: u64,
    schema: &TableSchema,
    options: &TableOptions,
    host_id: [u8; 16],
) -> Result<Option<PathBuf>> {
    if memtable.is_empty() {
        return Ok(None);
    }
    let stats = memtable.encoding_stats();
    let header = schema.serialization_header(
        stats.min_timestamp,
        stats.min_local_deletion_time,
        stats.min_ttl,
    );
    let writer_options = WriterOptions {
        version: options.version,
        partitioner: options.partitioner,
        compression: options.compression,
        chunk_length: options.chunk_length,
        bloom_filter_fp_chance: options.bloom_filter_fp_chance,
        expected_partitions: memtable.len() as u64,
        originating_host_id: Some(host_id),
        ..WriterOptions::default()
    };
    let descriptor = Descriptor {
        dir: directory.to_path_buf(),
        version: options.version,
        generation,
    };
    let mut writer = SstableWriter::create(fs, descriptor, header, writer_options)?;
    for partition in memtable.partitions() {
        writer.append(&partition)?;
    }
    Ok(Some(writer.finish()?))
}
