//! Per-table statistics (`Db::stats`), as `nodetool tablestats` shows
//! them: latencies, SSTables per read, sizes, bloom filter false
//! positives, flushes and write stalls.

use hdrhistogram::Histogram;
use parking_lot::Mutex;

/// Latency percentiles in microseconds.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
/// db.create_key_value_table("kv")?;
/// db.put("kv", b"k", b"v")?;
/// let writes = db.table_stats("kv")?.writes;
/// assert_eq!(writes.count, 1);
/// assert!(writes.p50_us <= writes.max_us);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Latency {
    /// Operations measured.
    pub count: u64,
    /// Median.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Slowest.
    pub max_us: u64,
}

/// One table's statistics.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
/// db.create_key_value_table("kv")?;
/// db.put("kv", b"k", b"v")?;
/// db.flush()?;
/// db.get("kv", b"k")?;
/// let stats = db.table_stats("kv")?;
/// assert_eq!((stats.flushes, stats.sstable_count, stats.sstables_read), (1, 1, 1));
/// assert!(stats.disk_bytes > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TableStats {
    /// The keyspace.
    pub keyspace: String,
    /// The table.
    pub table: String,
    /// Write latency (commitlog and memtable, per update).
    pub writes: Latency,
    /// Read latency (per point read or slice).
    pub reads: Latency,
    /// SSTables consulted per read: mean.
    pub sstables_per_read_mean: f64,
    /// SSTables consulted per read: most.
    pub sstables_per_read_max: u64,
    /// SSTables consulted by all reads so far.
    pub sstables_read: u64,
    /// Bytes in the active memtable.
    pub memtable_bytes: u64,
    /// Number of SSTables.
    pub sstable_count: usize,
    /// Bytes of the table's SSTable files.
    pub disk_bytes: u64,
    /// Partitions in SSTables plus the active memtable (a partition in
    /// several counts several times, as Cassandra's estimate).
    pub estimated_partitions: u64,
    /// Lookups the bloom filters let through for absent keys.
    pub bloom_false_positives: u64,
    /// Flushes completed.
    pub flushes: u64,
    /// Times writers waited for flushes to catch up.
    pub write_stalls: u64,
    /// The compaction strategy's Cassandra class name.
    pub compaction_strategy: String,
    /// Compactions completed (whole-SSTable drops of expired data count).
    pub compactions: u64,
    /// Bytes of SSTables written by flushes (all components).
    pub bytes_flushed: u64,
    /// Bytes of SSTables compactions read (inputs, on disk).
    pub bytes_compacted_read: u64,
    /// Bytes of SSTables compactions wrote (outputs, on disk).
    pub bytes_compacted_written: u64,
    /// Fully expired SSTables dropped without being rewritten.
    pub expired_sstables_dropped: u64,
    /// Single-SSTable tombstone compactions.
    pub tombstone_compactions: u64,
    /// Writes slowed or held because compaction was behind.
    pub compaction_stalls: u64,
    /// Compactions that failed (the table was then left alone a while).
    pub compaction_failures: u64,
    /// Leveled compactions after which a level ≥ 1 held overlapping
    /// SSTables (always 0 unless something is wrong).
    pub level_overlaps: u64,
    /// SSTables held by running compactions.
    pub compacting_sstables: usize,
    /// Live SSTables per level (leveled compaction; all in level 0
    /// otherwise).
    pub sstable_levels: Vec<usize>,
}

/// Histograms a table records into.
#[derive(Debug)]
pub(crate) struct Recorder {
    writes: Mutex<Option<Histogram<u64>>>,
    reads: Mutex<Option<Histogram<u64>>>,
    sstables_per_read: Mutex<Option<Histogram<u64>>>,
}

fn histogram() -> Option<Histogram<u64>> {
    // Up to an hour in µs, 3 significant digits. These bounds are valid;
    // were they not, statistics would be missing, nothing else.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).ok()
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            writes: Mutex::new(histogram()),
            reads: Mutex::new(histogram()),
            sstables_per_read: Mutex::new(histogram()),
        }
    }
}

fn latency(h: &Option<Histogram<u64>>) -> Latency {
    let Some(h) = h else {
        return Latency::default();
    };
    Latency {
        count: h.len(),
        p50_us: h.value_at_quantile(0.5),
        p99_us: h.value_at_quantile(0.99),
        p999_us: h.value_at_quantile(0.999),
        max_us: h.max(),
    }
}

impl Recorder {
    pub(crate) fn write(&self, micros: u64) {
        if let Some(h) = self.writes.lock().as_mut() {
            // Values past the bounds are clamped, never lost.
            h.saturating_record(micros.max(1));
        }
    }

    pub(crate) fn read(&self, micros: u64, sstables: u64) {
        if let Some(h) = self.reads.lock().as_mut() {
            h.saturating_record(micros.max(1));
        }
        // Zero SSTables is a value too: shift by one.
        if let Some(h) = self.sstables_per_read.lock().as_mut() {
            h.saturating_record(sstables + 1);
        }
    }

    /// (writes, reads, mean and max SSTables per read).
    pub(crate) fn snapshot(&self) -> (Latency, Latency, f64, u64) {
        let per_read = self.sstables_per_read.lock();
        let (mean, max) = match per_read.as_ref() {
            Some(h) if !h.is_empty() => (h.mean() - 1.0, h.max() - 1),
            _ => (0.0, 0),
        };
        (
            latency(&self.writes.lock()),
            latency(&self.reads.lock()),
            mean,
            max,
        )
    }
}
