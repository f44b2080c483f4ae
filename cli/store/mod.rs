//! The engines `ilion stress` drives: Ilion's key-value facade and, with
//! the `peers` feature, RocksDB and fjall through their Rust crates, set up
//! alike (LZ4, a write-ahead log with the same sync policy, 64 MiB block
//! cache and memtable, bloom filters) so that their figures compare.

use clap::ValueEnum;
use std::path::Path;

/// An engine on the command line.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineArg {
    /// Ilion's key-value facade.
    Ilion,
    /// RocksDB (the `rocksdb` crate; needs the `peers` feature).
    Rocksdb,
    /// fjall (needs the `peers` feature).
    Fjall,
}

impl EngineArg {
    /// The name printed in results.
    pub fn name(self) -> &'static str {
        match self {
            EngineArg::Ilion => "ilion",
            EngineArg::Rocksdb => "rocksdb",
            EngineArg::Fjall => "fjall",
        }
    }
}

/// A commitlog / write-ahead-log sync policy on the command line.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncArg {
    /// No fsync per write (Ilion: every 10 s, Cassandra's default; peers:
    /// the log is written to the OS on every write, synced in the
    /// background).
    Periodic,
    /// Every write waits for its fsync (Ilion groups concurrent writers).
    Batch,
    /// Ilion: writes wait for a group fsync every 2 ms; peers: as batch.
    Group,
}

/// The SSTable format of Ilion's tables on the command line.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SstableFormatArg {
    /// Cassandra's big format, version oa (Index.db and Summary.db).
    Big,
    /// Cassandra 5.0's trie-indexed BTI format, version da.
    Bti,
}

/// Ilion's compaction strategy on the command line (peers keep their
/// default, leveled).
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompactionArg {
    /// Size-tiered (Cassandra's default).
    Stcs,
    /// Leveled.
    Lcs,
    /// Time-window.
    Twcs,
    /// Unified (Cassandra 5.0).
    Ucs,
}

impl CompactionArg {
    /// The strategy with Cassandra's defaults, but SSTables of
    /// `sstable_size_mb` MiB (leveled and unified) when given.
    fn strategy(self, sstable_size_mb: Option<u64>) -> ilion::compaction::Strategy {
        use ilion::compaction::{LeveledOptions, Strategy, UnifiedOptions};
        let size = sstable_size_mb.map(|mb| mb << 20);
        match self {
            CompactionArg::Stcs => Strategy::SizeTiered(Default::default()),
            CompactionArg::Lcs => {
                let defaults = LeveledOptions::default();
                Strategy::Leveled(LeveledOptions {
                    sstable_bytes: size.unwrap_or(defaults.sstable_bytes),
                    ..defaults
                })
            }
            CompactionArg::Twcs => Strategy::TimeWindow(Default::default()),
            CompactionArg::Ucs => {
                let defaults = UnifiedOptions::default();
                Strategy::Unified(UnifiedOptions {
                    target_sstable_bytes: size.unwrap_or(defaults.target_sstable_bytes),
                    ..defaults
                })
            }
        }
    }
}

/// Ilion's compaction settings on the command line.
#[derive(Debug, Clone, Copy)]
pub struct IlionSettings {
    /// The SSTable format of the tables Ilion creates.
    pub format: SstableFormatArg,
    /// The compaction strategy, with Cassandra's defaults.
    pub strategy: CompactionArg,
    /// Leveled / unified SSTable size in MiB, when not the default.
    pub sstable_size_mb: Option<u64>,
    /// Throughput limit in MiB/s (0: unlimited).
    pub throughput_mb: u64,
}

/// What an engine tells of its files.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiskFigures {
    /// Bytes of its table files (SSTables) on disk now.
    pub table_bytes: u64,
    /// Table files (SSTables) on disk now, when the engine tells.
    pub table_files: Option<u64>,
    /// Bytes its flushes and compactions have written so far (write-ahead
    /// log excluded), when the engine counts them.
    pub written_bytes: Option<u64>,
    /// The part of `written_bytes` flushes wrote.
    pub flushed_bytes: Option<u64>,
    /// Compactions running now, when the engine tells.
    pub compactions_running: Option<u64>,
    /// Times writers were held so far: waiting for flushes, and slowed or
    /// held for compaction (Ilion's counts).
    pub stalls: Option<(u64, u64)>,
}

/// Cache and memtable budget given to every engine.
pub const CACHE_BYTES: u64 = 64 << 20;
/// Memtable size given to every engine.
pub const MEMTABLE_BYTES: u64 = 64 << 20;

type Result<T> = std::result::Result<T, String>;

/// A time series: one sensor's readings of one day (Cassandra's
/// partition `(sensor, day)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Series {
    /// The sensor's number.
    pub sensor: u32,
    /// Days since the epoch.
    pub day: u32,
}

impl Series {
    /// The sensor's name, as stored.
    pub fn sensor_name(&self) -> String {
        format!("sensor-{:06}", self.sensor)
    }
}

/// What the workloads need of an engine. Three data sets live side by
/// side: db_bench's key-value pairs, YCSB's records of
/// [`crate::ycsb::FIELD_COUNT`] fields, and time series.
pub trait Store: Sync {
    /// Writes `value` under `key`.
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()>;
    /// Reads `key`; the length of its value when present.
    fn get(&self, key: &[u8]) -> Result<Option<usize>>;
    /// Deletes `key`.
    fn delete(&self, key: &[u8]) -> Result<()>;
    /// Up to `limit` keys in the engine's scan order after `after` (from
    /// the start when `None`).
    fn scan_page(&self, after: Option<&[u8]>, limit: usize) -> Result<Vec<Vec<u8>>>;
    /// Up to `limit` keys in reverse scan order before `before` (from the
    /// end when `None`).
    fn scan_page_reverse(&self, before: Option<&[u8]>, limit: usize) -> Result<Vec<Vec<u8>>>;
    /// Positions at `from` and reads up to `count` pairs from there in
    /// scan order (db_bench's seek + nexts); how many it read.
    fn seek(&self, from: &[u8], count: usize) -> Result<usize>;
    /// Inserts a YCSB record.
    fn insert_record(&self, key: &[u8], fields: &[&[u8]]) -> Result<()>;
    /// Reads every field of a YCSB record; how many it has, if present.
    fn read_record(&self, key: &[u8]) -> Result<Option<usize>>;
    /// Rewrites field `field` of a YCSB record.
    fn update_field(&self, key: &[u8], field: usize, value: &[u8]) -> Result<()>;
    /// Reads up to `count` records from `from` on in scan order, every
    /// field; how many it read.
    fn scan_records(&self, from: &[u8], count: usize) -> Result<usize>;
    /// Appends a reading at `at_millis` to `series`.
    fn append_point(&self, series: Series, at_millis: u64, value: f64) -> Result<()>;
    /// Reads the newest `count` readings of `series`; how many it read.
    fn latest_points(&self, series: Series, count: usize) -> Result<usize>;
    /// Flushes everything to its files (Ilion: `drain`).
    fn finish(&self) -> Result<()>;
    /// The settings, printed with the results.
    fn settings(&self) -> String;
    /// Sizes and bytes written.
    fn disk(&self) -> Result<DiskFigures>;
    /// Flushes, then compacts everything into as few files as the engine
    /// makes (a major compaction), and returns when done.
    fn compact_all(&self) -> Result<()>;
}

/// Opens `engine` in `dir` with `sync` (and, for Ilion, `settings`).
pub fn open(
    engine: EngineArg,
    dir: &Path,
    sync: SyncArg,
    settings: IlionSettings,
) -> Result<Box<dyn Store>> {
    match engine {
        EngineArg::Ilion => Ok(Box::new(ilion_engine::IlionStore::open(dir, sync, settings)?)),
        #[cfg(feature = "peers")]
        EngineArg::Rocksdb => Ok(Box::new(peers::RocksStore::open(dir, sync)?)),
        #[cfg(feature = "peers")]
        EngineArg::Fjall => Ok(Box::new(peers::FjallStore::open(dir, sync)?)),
        #[cfg(not(feature = "peers"))]
        EngineArg::Rocksdb | EngineArg::Fjall => Err(format!(
            "{} needs a build with the peers feature: cargo run --release --features peers -- stress ...",
            engine.name()
        )),
    }
}

mod ilion_engine;

#[cfg(feature = "peers")]
mod peers;
pub mod record_codec;
