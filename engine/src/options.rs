//! Options of a database and of each table.

use crate::compaction::CompactionOptions;
use ilion_commitlog::CommitLogOptions;
use ilion_sstable::partitioner::Partitioner;
use ilion_sstable::version::Version;
use ilion_sstable::writer::{WriterOptions, DEFAULT_CHUNK_LENGTH};
use ilion_vfs::{FileSystem, RealFs};
use std::path::PathBuf;
use std::sync::Arc;

/// How a database is opened.
///
/// ```
/// use ilion::commitlog::{CommitLogOptions, SyncMode};
/// let dir = tempfile::tempdir()?;
/// let logs = tempfile::tempdir()?;
/// let options = ilion::Options {
///     // The commitlog on another disk, every write fsynced before it returns.
///     commitlog_dir: Some(logs.path().to_path_buf()),
///     commitlog: CommitLogOptions { sync_mode: SyncMode::Batch, ..CommitLogOptions::default() },
///     chunk_cache_bytes: 256 << 20,
///     ..ilion::Options::default()
/// };
/// let db = ilion::Db::open(dir.path(), options)?;
/// assert_eq!(db.commitlog_dir(), logs.path());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the commitlog lives (Cassandra's `commitlog_directory`);
    /// `<path>/commitlog` when `None`.
    pub commitlog_dir: Option<PathBuf>,
    /// The file system every file goes through (a simulated one in tests).
    pub fs: Arc<dyn FileSystem>,
    /// The commitlog's segment size and sync mode (Batch by default).
    pub commitlog: CommitLogOptions,
    /// Bytes of decompressed SSTable chunks kept in memory (64 MiB).
    pub chunk_cache_bytes: usize,
    /// Bytes of partition positions kept in memory (Cassandra's key
    /// cache; 16 MiB).
    pub key_cache_bytes: usize,
    /// Commitlog size past which the tables pinning its oldest segment are
    /// flushed (Cassandra's `commitlog_total_space`; 1 GiB here, where
    /// Cassandra takes up to 8 GiB: an embedded store shares its disk and
    /// replays faster from a shorter log).
    pub commitlog_total_bytes: u64,
    /// Background compaction threads (2: Cassandra's
    /// `concurrent_compactors` floor; 0 runs no background compaction).
    pub compaction_threads: usize,
    /// Compaction throughput limit in bytes per second over all threads
    /// (Cassandra's `compaction_throughput`, 64 MiB/s; 0 = unlimited).
    pub compaction_throughput_bytes_per_second: u64,
    /// Stall measure (the strategy's count of SSTables a read may merge
    /// that compaction should reduce; L0 files under leveled) from which
    /// writers are slowed down (20, RocksDB's L0 slowdown trigger).
    pub stall_slowdown_sstables: usize,
    /// Stall measure at which writers wait for running compactions (36,
    /// RocksDB's L0 stop trigger).
    pub stall_stop_sstables: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            commitlog_dir: None,
            fs: Arc::new(RealFs),
            commitlog: CommitLogOptions::default(),
            chunk_cache_bytes: 64 << 20,
            key_cache_bytes: 16 << 20,
            commitlog_total_bytes: 1 << 30,
            compaction_threads: 2,
            compaction_throughput_bytes_per_second: 64 << 20,
            stall_slowdown_sstables: 20,
            stall_stop_sstables: 36,
        }
    }
}

/// How a table stores its data.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
/// use ilion::sstable::partitioner::Partitioner;
/// use ilion::sstable::schema::TableSchema;
/// let options = ilion::TableOptions {
///     // Scans in key order; 16 KiB chunks; a day's TTL unless a write says otherwise.
///     partitioner: Partitioner::ByteOrdered,
///     chunk_length: 16 << 10,
///     default_ttl_seconds: 86_400,
///     ..ilion::TableOptions::default()
/// };
/// db.create_table("sessions", TableSchema::key_value(), options)?;
/// assert_eq!(db.table("sessions")?.definition.options.default_ttl_seconds, 86_400);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TableOptions {
    /// The partitioner (Murmur3, as Cassandra's default).
    pub partitioner: Partitioner,
    /// The SSTable format and version written: Cassandra 5.0's big format
    /// `oa` (default), 4.x's `nb`, or 5.0's trie-indexed format BTI `da`
    /// ([`Version::DA`]: Partitions.db and Rows.db instead of Index.db and
    /// Summary.db).
    pub version: Version,
    /// LZ4 chunks (default) or uncompressed Data.db with CRC.db.
    pub compression: bool,
    /// Uncompressed bytes per LZ4 chunk (4 KiB).
    pub chunk_length: u32,
    /// The bloom filter's target false-positive chance (0.01).
    pub bloom_filter_fp_chance: f64,
    /// Seconds a tombstone is kept before compaction may purge it (10
    /// days, as Cassandra's `gc_grace_seconds`).
    pub gc_grace_seconds: u32,
    /// TTL given to writes that carry none (0: none).
    pub default_ttl_seconds: u32,
    /// Memtable size that triggers a flush.
    pub memtable_bytes: u64,
    /// A flush writing a partition larger than this logs a warning
    /// (Cassandra 4.x: 100 MiB).
    pub large_partition_warning_bytes: u64,
    /// A read meeting more tombstones than this logs a warning
    /// (Cassandra's `tombstone_warn_threshold`, 1,000).
    pub tombstone_warn_threshold: usize,
    /// A read meeting more tombstones than this fails (Cassandra's
    /// `tombstone_failure_threshold`, 100,000).
    pub tombstone_failure_threshold: usize,
    /// Compaction strategy and options (size-tiered by default).
    pub compaction: CompactionOptions,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            partitioner: Partitioner::Murmur3,
            version: Version::OA,
            compression: true,
            chunk_length: DEFAULT_CHUNK_LENGTH,
            bloom_filter_fp_chance: 0.01,
            gc_grace_seconds: 10 * 24 * 3600,
            default_ttl_seconds: 0,
            memtable_bytes: 64 << 20,
            large_partition_warning_bytes: 100 << 20,
            tombstone_warn_threshold: 1_000,
            tombstone_failure_threshold: 100_000,
            compaction: CompactionOptions::default(),
        }
    }
}

impl TableOptions {
    /// Checks what the formats and Cassandra accept.
    ///
    /// # Errors
    /// [`crate::Error::Invalid`] naming the option.
    ///
    /// ```
    /// let bad = ilion::TableOptions { chunk_length: 1000, ..ilion::TableOptions::default() };
    /// assert!(bad.validate().is_err(), "not a power of two");
    /// assert!(ilion::TableOptions::default().validate().is_ok());
    /// ```
    pub fn validate(&self) -> crate::Result<()> {
        let invalid = |what: String| Err(crate::Error::Invalid(what));
        if ![Version::OA, Version::NB, Version::DA].contains(&self.version) {
            return invalid(format!("SSTable version {} (oa, nb or da)", self.version));
        }
        if self.version == Version::DA
            && self.partitioner == ilion_sstable::partitioner::Partitioner::Random
        {
            return invalid("BTI (da) with RandomPartitioner".to_string());
        }
        if !self.chunk_length.is_power_of_two() || self.chunk_length > 1 << 30 {
            return invalid(format!(
                "chunk length {} (a power of two)",
                self.chunk_length
            ));
        }
        let fp = self.bloom_filter_fp_chance;
        if !(fp > 0.0 && fp <= 1.0) || ilion_sstable::bloom::BloomFilter::for_keys(1, fp).is_err() {
            return invalid(format!(
                "bloom filter fp chance {}",
                self.bloom_filter_fp_chance
            ));
        }
        if self.default_ttl_seconds > ilion_sstable::schema::MAX_TTL {
            return invalid(format!("default TTL {} s", self.default_ttl_seconds));
        }
        if self.memtable_bytes < 1 << 16 {
            return invalid(format!(
                "memtable size {} (at least 64 KiB)",
                self.memtable_bytes
            ));
        }
        self.compaction.validate()?;
        Ok(())
    }

    /// What an SSTable of this table written on `host_id` is written with,
    /// its bloom filter sized for `expected_partitions`; commit log
    /// intervals and level are left to the caller.
    pub(crate) fn writer_options(
        &self,
        expected_partitions: u64,
        host_id: [u8; 16],
    ) -> WriterOptions {
        WriterOptions {
            version: self.version,
            partitioner: self.partitioner,
            compression: self.compression,
            chunk_length: self.chunk_length,
            bloom_filter_fp_chance: self.bloom_filter_fp_chance,
            expected_partitions,
            originating_host_id: Some(host_id),
            ..WriterOptions::default()
        }
    }
}
