//! The engines `ilion stress` drives: Ilion's key-value facade and, with
//! the `peers` feature, RocksDB and fjall through their Rust crates, set up
//! alike (LZ4, a write-ahead log with the same sync policy, 64 MiB block
//! cache and memtable, bloom filters) so that their figures compare.

use clap::ValueEnum;
use ilion::commitlog::{CommitLogOptions, SyncMode};
use std::ops::Bound;
use std::path::Path;
use std::time::Duration;

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
pub struct IlionCompaction {
    /// The strategy, with Cassandra's defaults.
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

/// What the workloads need of an engine.
pub trait Store: Sync {
    /// Writes `value` under `key`.
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()>;
    /// Reads `key`; the length of its value when present.
    fn get(&self, key: &[u8]) -> Result<Option<usize>>;
    /// Up to `limit` keys in the engine's scan order after `after` (from
    /// the start when `None`).
    fn scan_page(&self, after: Option<&[u8]>, limit: usize) -> Result<Vec<Vec<u8>>>;
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

/// Opens `engine` in `dir` with `sync` (and, for Ilion, `compaction`).
pub fn open(
    engine: EngineArg,
    dir: &Path,
    sync: SyncArg,
    compaction: IlionCompaction,
) -> Result<Box<dyn Store>> {
    match engine {
        EngineArg::Ilion => Ok(Box::new(IlionStore::open(dir, sync, compaction)?)),
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

const TABLE: &str = "stress";

struct IlionStore {
    db: ilion::Db,
    sync: SyncArg,
    strategy: ilion::compaction::Strategy,
    throughput_mb: u64,
}

impl IlionStore {
    fn open(dir: &Path, sync: SyncArg, compaction: IlionCompaction) -> Result<IlionStore> {
        let sync_mode = match sync {
            SyncArg::Periodic => SyncMode::Periodic {
                period: Duration::from_secs(10),
            },
            SyncArg::Batch => SyncMode::Batch,
            SyncArg::Group => SyncMode::Group {
                window: Duration::from_millis(2),
            },
        };
        let options = ilion::Options {
            commitlog: CommitLogOptions {
                sync_mode,
                ..CommitLogOptions::default()
            },
            chunk_cache_bytes: CACHE_BYTES as usize,
            compaction_throughput_bytes_per_second: compaction.throughput_mb << 20,
            ..ilion::Options::default()
        };
        let db = ilion::Db::open(dir, options).map_err(|e| e.to_string())?;
        let compaction_options = ilion::compaction::CompactionOptions {
            strategy: compaction.strategy.strategy(compaction.sstable_size_mb),
            ..Default::default()
        };
        if db.table(TABLE).is_err() {
            let options = ilion::TableOptions {
                compaction: compaction_options.clone(),
                ..Default::default()
            };
            db.create_table(
                TABLE,
                ilion::sstable::schema::TableSchema::key_value(),
                options,
            )
            .map_err(|e| e.to_string())?;
        } else {
            db.set_compaction(TABLE, compaction_options.clone())
                .map_err(|e| e.to_string())?;
        }
        Ok(IlionStore {
            db,
            sync,
            strategy: compaction_options.strategy.clone(),
            throughput_mb: compaction.throughput_mb,
        })
    }
}

impl Store for IlionStore {
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.db.put(TABLE, key, value).map_err(|e| e.to_string())
    }

    fn get(&self, key: &[u8]) -> Result<Option<usize>> {
        let value = self.db.get(TABLE, key).map_err(|e| e.to_string())?;
        Ok(value.map(|v| v.len()))
    }

    fn scan_page(&self, after: Option<&[u8]>, limit: usize) -> Result<Vec<Vec<u8>>> {
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        let page = self
            .db
            .scan(TABLE, from, Bound::Unbounded, limit)
            .map_err(|e| e.to_string())?;
        Ok(page.into_iter().map(|(k, _)| k.to_vec()).collect())
    }

    fn finish(&self) -> Result<()> {
        self.db.drain().map_err(|e| e.to_string())
    }

    fn settings(&self) -> String {
        format!(
            "commitlog {:?} sync, LZ4 4 KiB chunks, {} MiB chunk cache, {} MiB memtable, bloom 0.01, compaction {:?} ({}, 2 threads), scan in token order",
            self.sync,
            CACHE_BYTES >> 20,
            MEMTABLE_BYTES >> 20,
            self.strategy,
            if self.throughput_mb == 0 {
                "unthrottled".to_string()
            } else {
                format!("{} MiB/s", self.throughput_mb)
            }
        )
    }

    fn disk(&self) -> Result<DiskFigures> {
        let stats = self.db.table_stats(TABLE).map_err(|e| e.to_string())?;
        Ok(DiskFigures {
            table_bytes: stats.disk_bytes,
            written_bytes: Some(stats.bytes_flushed + stats.bytes_compacted_written),
            flushed_bytes: Some(stats.bytes_flushed),
            compactions_running: Some(self.db.compactions().len() as u64),
            stalls: Some((stats.write_stalls, stats.compaction_stalls)),
        })
    }

    fn compact_all(&self) -> Result<()> {
        self.db.compact(TABLE).map_err(|e| e.to_string())
    }
}

#[cfg(feature = "peers")]
mod peers {
    use super::{DiskFigures, Result, Store, SyncArg, CACHE_BYTES, MEMTABLE_BYTES};
    use std::path::Path;

    fn text(e: impl std::fmt::Display) -> String {
        e.to_string()
    }

    /// RocksDB with LZ4 on every level, a 64 MiB LRU block cache, 64 MiB
    /// write buffers, 10-bit bloom filters, WAL on.
    pub struct RocksStore {
        db: rocksdb::DB,
        options: rocksdb::Options,
        write: rocksdb::WriteOptions,
        sync: SyncArg,
    }

    impl RocksStore {
        pub fn open(dir: &Path, sync: SyncArg) -> Result<RocksStore> {
            let mut options = rocksdb::Options::default();
            options.create_if_missing(true);
            options.enable_statistics();
            options.set_compression_type(rocksdb::DBCompressionType::Lz4);
            options.set_write_buffer_size(MEMTABLE_BYTES as usize);
            options.increase_parallelism(2);
            let cache = rocksdb::Cache::new_lru_cache(CACHE_BYTES as usize);
            let mut table = rocksdb::BlockBasedOptions::default();
            table.set_block_cache(&cache);
            table.set_bloom_filter(10.0, false);
            options.set_block_based_table_factory(&table);
            let db = rocksdb::DB::open(&options, dir).map_err(text)?;
            let mut write = rocksdb::WriteOptions::default();
            write.set_sync(sync != SyncArg::Periodic);
            Ok(RocksStore {
                db,
                options,
                write,
                sync,
            })
        }
    }

    impl Store for RocksStore {
        fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
            self.db.put_opt(key, value, &self.write).map_err(text)
        }

        fn get(&self, key: &[u8]) -> Result<Option<usize>> {
            let value = self.db.get_pinned(key).map_err(text)?;
            Ok(value.map(|v| v.len()))
        }

        fn scan_page(&self, after: Option<&[u8]>, limit: usize) -> Result<Vec<Vec<u8>>> {
            let mode = match after {
                Some(k) => rocksdb::IteratorMode::From(k, rocksdb::Direction::Forward),
                None => rocksdb::IteratorMode::Start,
            };
            let mut keys = Vec::with_capacity(limit);
            for item in self.db.iterator(mode) {
                let (k, _) = item.map_err(text)?;
                if after.is_some_and(|a| a == &*k) {
                    continue;
                }
                keys.push(k.into_vec());
                if keys.len() == limit {
                    break;
                }
            }
            Ok(keys)
        }

        fn finish(&self) -> Result<()> {
            self.db.flush().map_err(text)
        }

        fn settings(&self) -> String {
            format!(
                "WAL sync per write: {}, LZ4, {} MiB LRU block cache, {} MiB write buffer, bloom 10 bits/key, leveled compaction (defaults)",
                self.sync != SyncArg::Periodic,
                CACHE_BYTES >> 20,
                MEMTABLE_BYTES >> 20
            )
        }

        fn disk(&self) -> Result<DiskFigures> {
            use rocksdb::statistics::Ticker;
            let property = |name| -> Result<u64> {
                Ok(self.db.property_int_value(name).map_err(text)?.unwrap_or(0))
            };
            Ok(DiskFigures {
                table_bytes: property(rocksdb::properties::TOTAL_SST_FILES_SIZE)?,
                written_bytes: Some(
                    self.options.get_ticker_count(Ticker::FlushWriteBytes)
                        + self.options.get_ticker_count(Ticker::CompactWriteBytes),
                ),
                flushed_bytes: Some(self.options.get_ticker_count(Ticker::FlushWriteBytes)),
                compactions_running: Some(property(rocksdb::properties::NUM_RUNNING_COMPACTIONS)?),
                stalls: None,
            })
        }

        fn compact_all(&self) -> Result<()> {
            self.db.flush().map_err(text)?;
            self.db.compact_range(None::<&[u8]>, None::<&[u8]>);
            Ok(())
        }
    }

    /// fjall with its defaults (LZ4, leveled compaction, bloom filters),
    /// a 64 MiB cache and 64 MiB memtables; its journal written to the OS
    /// on every write, fsynced after each write unless periodic.
    pub struct FjallStore {
        db: fjall::Database,
        keyspace: fjall::Keyspace,
        sync: SyncArg,
    }

    impl FjallStore {
        pub fn open(dir: &Path, sync: SyncArg) -> Result<FjallStore> {
            let db = fjall::Database::builder(dir)
                .cache_size(CACHE_BYTES)
                .open()
                .map_err(text)?;
            let keyspace = db
                .keyspace("stress", || {
                    fjall::KeyspaceCreateOptions::default().max_memtable_size(MEMTABLE_BYTES)
                })
                .map_err(text)?;
            Ok(FjallStore { db, keyspace, sync })
        }
    }

    impl Store for FjallStore {
        fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
            self.keyspace.insert(key, value).map_err(text)?;
            if self.sync != SyncArg::Periodic {
                self.db
                    .persist(fjall::PersistMode::SyncData)
                    .map_err(text)?;
            }
            Ok(())
        }

        fn get(&self, key: &[u8]) -> Result<Option<usize>> {
            let value = self.keyspace.get(key).map_err(text)?;
            Ok(value.map(|v| v.len()))
        }

        fn scan_page(&self, after: Option<&[u8]>, limit: usize) -> Result<Vec<Vec<u8>>> {
            use std::ops::Bound;
            let range = match after {
                Some(k) => (Bound::Excluded(k.to_vec()), Bound::Unbounded),
                None => (Bound::Unbounded, Bound::Unbounded),
            };
            let mut keys = Vec::with_capacity(limit);
            for guard in self.keyspace.range(range).take(limit) {
                keys.push(guard.key().map_err(text)?.to_vec());
            }
            Ok(keys)
        }

        fn finish(&self) -> Result<()> {
            self.db.persist(fjall::PersistMode::SyncAll).map_err(text)
        }

        fn settings(&self) -> String {
            format!(
                "journal fsync per write: {}, LZ4, {} MiB cache, {} MiB memtable, bloom filters, leveled compaction (defaults)",
                self.sync != SyncArg::Periodic,
                CACHE_BYTES >> 20,
                MEMTABLE_BYTES >> 20
            )
        }

        fn disk(&self) -> Result<DiskFigures> {
            // fjall does not count the bytes its flushes and compactions
            // write.
            Ok(DiskFigures {
                table_bytes: self.keyspace.disk_space(),
                written_bytes: None,
                flushed_bytes: None,
                compactions_running: None,
                stalls: None,
            })
        }

        fn compact_all(&self) -> Result<()> {
            self.keyspace.rotate_memtable_and_wait().map_err(text)?;
            self.keyspace.major_compact().map_err(text)
        }
    }
}
