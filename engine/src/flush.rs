//! Writing a memtable out as an SSTable of its table.

use crate::error::Result;
use crate::memtable::Memtable;
use crate::options::TableOptions;
use ilion_sstable::descriptor::Descriptor;
use ilion_sstable::schema::TableSchema;
use ilion_sstable::statistics::CommitLogPosition;
use ilion_sstable::writer::{SstableWriter, WriterOptions};
use ilion_vfs::FileSystem;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where and how a flush writes.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
/// use ilion::flush::{flush, FlushTarget};
/// use ilion::memtable::Memtable;
/// use ilion::sstable::schema::TableSchema;
/// let info = db.create_key_value_table("kv")?;
/// db.put("kv", b"k", b"v")?;
/// db.flush()?;
/// // Flushing a memtable by hand into another directory:
/// let memtable = Memtable::new(info.definition.options.partitioner, vec![]);
/// let other = tempfile::tempdir()?;
/// let target = FlushTarget {
///     fs: std::sync::Arc::new(ilion::vfs::RealFs),
///     directory: other.path(),
///     generation: 1,
///     schema: &TableSchema::key_value(),
///     options: &info.definition.options,
///     host_id: db.host_id(),
///     commit_log: None,
/// };
/// // An empty memtable writes no SSTable.
/// assert!(flush(&memtable, &target)?.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FlushTarget<'a> {
    /// The file system.
    pub fs: Arc<dyn FileSystem>,
    /// The table's directory.
    pub directory: &'a Path,
    /// The new SSTable's generation.
    pub generation: u64,
    /// The table's schema.
    pub schema: &'a TableSchema,
    /// The table's options.
    pub options: &'a TableOptions,
    /// The writing node's host id (recorded in Statistics.db).
    pub host_id: [u8; 16],
    /// The commitlog positions whose data the memtable holds: recorded in
    /// Statistics.db, so that replay after a restart skips them.
    pub commit_log: Option<(CommitLogPosition, CommitLogPosition)>,
}

/// Writes every partition of `memtable` as an SSTable. Returns its
/// Data.db, or `None` for an empty memtable (no SSTable is written, as
/// Cassandra writes none).
///
/// # Errors
/// I/O errors; partitions the writer refuses (the temporary files are
/// removed).
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
/// use ilion::flush::{flush, FlushTarget};
/// use ilion::memtable::Memtable;
/// use ilion::sstable::reconcile::DeletionTime;
/// use ilion::sstable::rows::Partition;
/// use ilion::sstable::schema::TableSchema;
/// let options = ilion::TableOptions::default();
/// let memtable = Memtable::new(options.partitioner, vec![]);
/// memtable.apply(Partition { key: b"k".to_vec(), deletion: DeletionTime { marked_for_delete_at: 1, local_deletion_time: 1 }, static_row: None, unfiltereds: vec![] })?;
/// let target = FlushTarget {
///     fs: std::sync::Arc::new(ilion::vfs::RealFs),
///     directory: dir.path(),
///     generation: 1,
///     schema: &TableSchema::key_value(),
///     options: &options,
///     host_id: db.host_id(),
///     commit_log: None,
/// };
/// let data = flush(&memtable, &target)?.expect("one partition");
/// assert!(data.to_string_lossy().ends_with("oa-1-big-Data.db"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn flush(memtable: &Memtable, target: &FlushTarget<'_>) -> Result<Option<PathBuf>> {
    if memtable.is_empty() {
        return Ok(None);
    }
    let stats = memtable.encoding_stats();
    let header = target.schema.serialization_header(
        stats.min_timestamp,
        stats.min_local_deletion_time,
        stats.min_ttl,
    );
    let options = target.options;
    let writer_options = WriterOptions {
        commit_log_intervals: target.commit_log.into_iter().collect(),
        ..options.writer_options(memtable.len() as u64, target.host_id)
    };
    let descriptor = Descriptor {
        dir: target.directory.to_path_buf(),
        version: options.version,
        generation: target.generation,
    };
    let mut writer = SstableWriter::create(target.fs.clone(), descriptor, header, writer_options)?;
    memtable.for_each(|partition| Ok(writer.append(partition)?))?;
    if let Some((key, size)) = writer.largest_partition() {
        if size > target.options.large_partition_warning_bytes {
            log::warn!(
                "writing large partition {} ({size} bytes) to {}",
                String::from_utf8_lossy(key),
                target.directory.display()
            );
        }
    }
    Ok(Some(writer.finish()?))
}
