//! The database: a data directory laid out as Cassandra's, its lock, its
//! host id, and its tables.
//!
//! ```text
//! <path>/LOCK                              advisory lock while open
//! <path>/system/node                       format version and host id
//! <path>/system/tables                     every table's schema and options
//! <path>/data/<keyspace>/<table>-<id>/     the table's SSTables
//! <path>/commitlog/                        the commitlog (or Options::commitlog_dir)
//! ```

use crate::compaction::compactor::{Compactor, Shared, Tables, Wake};
use crate::compaction::throttle::Throttle;
use crate::compaction::{CompactionOptions, CompactionProgress};
use crate::error::{io_error, Error, Result};
use crate::flusher::Flusher;
use crate::lock::DirectoryLock;
use crate::names::{check_name, TableName};
use crate::options::{Options, TableOptions};
use crate::system::{self, new_uuid, TableDefinition};
use crate::table::StallLimits;
use crate::table::Table;
use ilion_commitlog::CommitLog;
use ilion_sstable::chunk_cache::{ChunkCache, KeyCache};
use ilion_sstable::reader::ReaderCaches;
use ilion_sstable::schema::TableSchema;
use ilion_vfs::FileSystem;
use parking_lot::RwLock;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// Seconds since the Unix epoch.
pub(crate) fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The keyspace of tables created without one.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
/// db.create_key_value_table("kv")?;
/// assert_eq!(db.table("kv")?.definition.keyspace, ilion::DEFAULT_KEYSPACE);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const DEFAULT_KEYSPACE: &str = "ilion";

/// An open database. Cheap to clone and share between threads.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
/// db.create_key_value_table("kv")?;
/// // Clones share one database: hand them to other threads.
/// let writer = db.clone();
/// std::thread::spawn(move || writer.put("kv", b"k", b"v")).join().expect("no panic")?;
/// assert_eq!(db.get("kv", b"k")?.as_deref(), Some(&b"v"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    // Dropped first: running compactions are cancelled (their outputs
    // removed) before anything else goes.
    compactor: Compactor,
    // Then queued flushes finish while the rest is still here.
    flusher: Flusher,
    fs: Arc<dyn FileSystem>,
    system_dir: PathBuf,
    data_dir: PathBuf,
    commitlog_dir: PathBuf,
    host_id: [u8; 16],
    tables: Tables,
    log: Arc<CommitLog>,
    caches: ReaderCaches,
    last_timestamp: AtomicI64,
    writes: AtomicU64,
    commitlog_cap: u64,
    stall_limits: StallLimits,
    _lock: DirectoryLock,
}

/// A table as the database knows it.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
/// let info = db.create_key_value_table("kv")?;
/// // data/<keyspace>/<table>-<id>, as Cassandra lays it out.
/// let name = info.directory.file_name().and_then(|n| n.to_str()).expect("utf-8");
/// assert!(name.starts_with("kv-") && name.len() == "kv-".len() + 32);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TableInfo {
    /// Its definition: keyspace, name, id, schema, options.
    pub definition: TableDefinition,
    /// Its directory, `data/<keyspace>/<table>-<id>`, where its SSTables go.
    pub directory: PathBuf,
}

fn hex(id: &[u8; 16]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// `data/<keyspace>/<table>-<id>`, as Cassandra names a table's directory.
fn directory_of(data_dir: &Path, definition: &TableDefinition) -> PathBuf {
    data_dir
        .join(&definition.keyspace)
        .join(format!("{}-{}", definition.name, hex(&definition.id)))
}

impl Db {
    /// Opens (creating if need be) the database in `path`.
    ///
    /// # Errors
    /// [`Error::Locked`] when the directory is open already (here or in
    /// another process); [`Error::NewerVersion`] for a directory a newer
    /// Ilion wrote; corruption of the system files; I/O errors.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// // The same directory cannot be opened twice.
    /// assert!(ilion::Db::open(dir.path(), ilion::Options::default()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: &Path, options: Options) -> Result<Db> {
        let fs = options.fs;
        fs.create_dir_all(path).map_err(io_error("create", path))?;
        let lock = DirectoryLock::acquire(fs.as_ref(), path)?;
        let system_dir = path.join("system");
        let data_dir = path.join("data");
        let commitlog_dir = options
            .commitlog_dir
            .unwrap_or_else(|| path.join("commitlog"));
        for dir in [&system_dir, &data_dir, &commitlog_dir] {
            fs.create_dir_all(dir).map_err(io_error("create", dir))?;
        }
        let host_id = system::open_node(fs.as_ref(), &system_dir)?;
        let caches = ReaderCaches {
            chunks: Some(Arc::new(ChunkCache::new(options.chunk_cache_bytes))),
            keys: Some(Arc::new(KeyCache::new(options.key_cache_bytes))),
        };
        let mut tables = BTreeMap::new();
        let mut flushed = HashMap::new();
        let wake = Arc::new(Wake::default());
        let stall_limits = StallLimits {
            slowdown: options.stall_slowdown_sstables,
            stop: options.stall_stop_sstables,
        };
        for definition in system::read_tables(fs.as_ref(), &system_dir)? {
            let directory = directory_of(&data_dir, &definition);
            fs.create_dir_all(&directory)
                .map_err(io_error("create", &directory))?;
            let key = (definition.keyspace.clone(), definition.name.clone());
            let (table, position) = Table::open(
                &fs,
                definition,
                directory,
                host_id,
                caches.clone(),
                wake.clone(),
                stall_limits,
            )?;
            if let Some(position) = position {
                flushed.insert(table.log_id(), position);
            }
            tables.insert(key, Arc::new(table));
        }
        // Replay what the SSTables do not hold yet.
        let by_log_id: HashMap<_, _> = tables.values().map(|t| (t.log_id(), t.clone())).collect();
        let mut replay = CommitLog::recover(fs.clone(), &commitlog_dir, options.commitlog.clone())?;
        for entry in replay.by_ref() {
            let entry = entry?;
            for id in &entry.tables {
                let Some(table) = by_log_id.get(id) else {
                    // A dropped table's data.
                    continue;
                };
                if flushed.get(id).is_some_and(|f| entry.position <= *f) {
                    continue;
                }
                table.replay(entry.position, &entry.payload, &commitlog_dir)?;
            }
        }
        log::info!(
            "{}: replayed the commitlog ({:?})",
            path.display(),
            replay.stats()
        );
        let log = Arc::new(replay.finish()?);
        for (id, position) in flushed {
            log.mark_flushed(id, position)?;
        }
        let flusher = Flusher::start(fs.clone(), log.clone(), host_id)
            .map_err(io_error("start the flush thread", path))?;
        let tables: Tables = Arc::new(RwLock::new(tables));
        let shared = Arc::new(Shared {
            fs: fs.clone(),
            host_id,
            throttle: Throttle::new(options.compaction_throughput_bytes_per_second),
            stop: AtomicBool::new(false),
            board: Default::default(),
            wake,
            tables: tables.clone(),
        });
        let compactor = Compactor::start(shared, options.compaction_threads)
            .map_err(io_error("start the compaction threads", path))?;
        Ok(Db {
            inner: Arc::new(Inner {
                compactor,
                stall_limits,
                flusher,
                fs,
                system_dir,
                data_dir,
                commitlog_dir,
                host_id,
                tables,
                log,
                caches,
                last_timestamp: AtomicI64::new(0),
                writes: AtomicU64::new(0),
                commitlog_cap: options.commitlog_total_bytes,
                _lock: lock,
            }),
        })
    }

    /// This node's host id: a random UUID made when the directory was
    /// first opened, kept forever (recorded in every SSTable it writes).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// let id = db.host_id();
    /// drop(db);
    /// let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// assert_eq!(db.host_id(), id);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn host_id(&self) -> [u8; 16] {
        self.inner.host_id
    }

    /// The commitlog directory.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// assert_eq!(db.commitlog_dir(), dir.path().join("commitlog"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn commitlog_dir(&self) -> &Path {
        &self.inner.commitlog_dir
    }

    /// Creates a table in the default keyspace.
    ///
    /// # Errors
    /// As [`Db::create_table_in`].
    ///
    /// ```
    /// use ilion::sstable::schema::TableSchema;
    /// let dir = tempfile::tempdir()?;
    /// let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_table("kv", TableSchema::key_value(), ilion::TableOptions::default())?;
    /// assert_eq!(db.table("kv")?.definition.name, "kv");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_table(
        &self,
        name: &str,
        schema: TableSchema,
        options: TableOptions,
    ) -> Result<TableInfo> {
        self.create_table_in(DEFAULT_KEYSPACE, name, schema, options)
    }

    /// Creates a table: its directory, then its entry in the catalog
    /// (written durably before this returns).
    ///
    /// # Errors
    /// [`Error::InvalidName`], [`Error::TableExists`], [`Error::Invalid`]
    /// options; I/O errors.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// use ilion::sstable::schema::TableSchema;
    /// db.create_table_in("shop", "carts", TableSchema::key_value(), ilion::TableOptions::default())?;
    /// assert_eq!(db.table_in("shop", "carts")?.definition.keyspace, "shop");
    /// // Names follow Cassandra's rule, so none can leave the directory.
    /// assert!(db.create_table_in("..", "carts", TableSchema::key_value(), ilion::TableOptions::default()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_table_in(
        &self,
        keyspace: &str,
        name: &str,
        schema: TableSchema,
        options: TableOptions,
    ) -> Result<TableInfo> {
        check_name("keyspace", keyspace)?;
        check_name("table", name)?;
        options.validate()?;
        let mut tables = self.inner.tables.write();
        let key = (keyspace.to_string(), name.to_string());
        if tables.contains_key(&key) {
            return Err(Error::TableExists {
                keyspace: keyspace.to_string(),
                table: name.to_string(),
            });
        }
        let definition = TableDefinition {
            keyspace: keyspace.to_string(),
            name: name.to_string(),
            id: new_uuid(),
            schema,
            options,
        };
        let directory = self.directory_of(&definition);
        let fs = self.inner.fs.as_ref();
        fs.create_dir_all(&directory)
            .map_err(io_error("create", &directory))?;
        let mut all: Vec<TableDefinition> =
            tables.values().map(|t| t.current_definition()).collect();
        all.push(definition.clone());
        system::write_tables(fs, &self.inner.system_dir, &all)?;
        let (table, _) = Table::open(
            &self.inner.fs,
            definition.clone(),
            directory.clone(),
            self.inner.host_id,
            self.inner.caches.clone(),
            self.inner.compactor.shared.wake.clone(),
            self.inner.stall_limits,
        )?;
        tables.insert(key, Arc::new(table));
        Ok(TableInfo {
            definition,
            directory,
        })
    }

    fn directory_of(&self, definition: &TableDefinition) -> PathBuf {
        self.inner.data_dir.join(&definition.keyspace).join(format!(
            "{}-{}",
            definition.name,
            hex(&definition.id)
        ))
    }

    /// The table `name` of the default keyspace.
    ///
    /// # Errors
    /// [`Error::NoSuchTable`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// assert_eq!(db.table("kv")?.definition.name, "kv");
    /// assert!(matches!(db.table("nope"), Err(ilion::Error::NoSuchTable { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn table(&self, name: &str) -> Result<TableInfo> {
        self.table_in(DEFAULT_KEYSPACE, name)
    }

    /// The table `keyspace.name`.
    ///
    /// # Errors
    /// [`Error::NoSuchTable`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// use ilion::sstable::schema::TableSchema;
    /// db.create_table_in("shop", "carts", TableSchema::key_value(), ilion::TableOptions::default())?;
    /// assert!(db.table_in("shop", "carts").is_ok());
    /// assert!(db.table("carts").is_err(), "not in the default keyspace");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn table_in(&self, keyspace: &str, name: &str) -> Result<TableInfo> {
        let table = self.runtime(keyspace, name)?;
        Ok(TableInfo {
            directory: table.directory.clone(),
            definition: table.current_definition(),
        })
    }

    /// Every table, by keyspace and name.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("a")?;
    /// db.create_key_value_table("b")?;
    /// let names: Vec<String> = db.tables().into_iter().map(|t| t.definition.name).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tables(&self) -> Vec<TableInfo> {
        let tables = self.inner.tables.read();
        tables
            .values()
            .map(|t| TableInfo {
                directory: t.directory.clone(),
                definition: t.current_definition(),
            })
            .collect()
    }

    /// Drops the table `name` of the default keyspace.
    ///
    /// # Errors
    /// As [`Db::drop_table_in`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// let info = db.create_key_value_table("kv")?;
    /// db.put("kv", b"k", b"v")?;
    /// db.flush()?;
    /// db.drop_table("kv")?;
    /// assert!(db.table("kv").is_err());
    /// assert!(!info.directory.exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn drop_table(&self, name: &str) -> Result<()> {
        self.drop_table_in(DEFAULT_KEYSPACE, name)
    }

    /// Drops a table: its catalog entry first (durably), then its files.
    /// A crash in between leaves a directory no table refers to, which is
    /// harmless; never a table without its files.
    ///
    /// # Errors
    /// [`Error::NoSuchTable`]; I/O errors.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// let kv = db.create_key_value_table("kv")?;
    /// db.drop_table_in(ilion::DEFAULT_KEYSPACE, "kv")?;
    /// assert!(!kv.directory.exists());
    /// assert!(db.table("kv").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn drop_table_in(&self, keyspace: &str, name: &str) -> Result<()> {
        let mut tables = self.inner.tables.write();
        let key = (keyspace.to_string(), name.to_string());
        let Some(dropped) = tables.get(&key).cloned() else {
            return Err(Error::NoSuchTable {
                keyspace: keyspace.to_string(),
                table: name.to_string(),
            });
        };
        let fs = self.inner.fs.as_ref();
        let remaining: Vec<TableDefinition> = tables
            .iter()
            .filter(|(k, _)| **k != key)
            .map(|(_, t)| t.current_definition())
            .collect();
        system::write_tables(fs, &self.inner.system_dir, &remaining)?;
        tables.remove(&key);
        drop(tables);
        // Running compactions of the table finish before its files go.
        dropped.quiesce_compactions(&self.inner.compactor.shared.stop)?;
        let directory = self.directory_of(&dropped.definition);
        let files = fs.list_dir(&directory).unwrap_or_default();
        for file in files {
            let path = directory.join(file);
            fs.remove_file(&path).map_err(io_error("remove", &path))?;
        }
        match std::fs::remove_dir(&directory) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove", &directory)(e)),
        }
    }
}

impl Db {
    pub(crate) fn runtime(&self, keyspace: &str, name: &str) -> Result<Arc<Table>> {
        self.inner
            .tables
            .read()
            .get(&(keyspace, name) as &dyn TableName)
            .cloned()
            .ok_or_else(|| Error::NoSuchTable {
                keyspace: keyspace.to_string(),
                table: name.to_string(),
            })
    }

    pub(crate) fn log(&self) -> &CommitLog {
        &self.inner.log
    }

    pub(crate) fn fs(&self) -> Arc<dyn FileSystem> {
        self.inner.fs.clone()
    }

    /// A write timestamp in microseconds: the clock, but always after the
    /// previous one, so that two writes of one process never tie (as
    /// Cassandra's client timestamps).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// let (a, b) = (db.timestamp(), db.timestamp());
    /// assert!(b > a, "strictly increasing");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timestamp(&self) -> i64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64);
        let mut last = self.inner.last_timestamp.load(Ordering::Relaxed);
        loop {
            let next = now.max(last + 1);
            match self.inner.last_timestamp.compare_exchange_weak(
                last,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }

    /// After a write to `table`: queue a flush if its memtable is full;
    /// now and then, if the commitlog has grown past its cap, queue the
    /// tables that pin its oldest segment (flushing them lets it go).
    pub(crate) fn after_write(&self, table: &Arc<Table>) {
        if table.memtable_full() {
            self.inner.flusher.request(table);
        }
        let writes = self.inner.writes.fetch_add(1, Ordering::Relaxed);
        // The size check takes the commitlog's lock: not on every write.
        if writes.is_multiple_of(64) && self.inner.log.disk_usage() > self.inner.commitlog_cap {
            let pinning = self.inner.log.tables_pinning_oldest();
            let tables = self.inner.tables.read();
            for t in tables.values().filter(|t| pinning.contains(&t.log_id())) {
                self.inner.flusher.request(t);
            }
        }
    }

    /// Flushes every table's memtable into an SSTable.
    ///
    /// # Errors
    /// I/O errors writing SSTables or discarding commitlog segments; a
    /// failure of an earlier background flush.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// db.put("kv", b"k", b"v")?;
    /// db.flush()?;
    /// let stats = db.table_stats("kv")?;
    /// assert_eq!((stats.sstable_count, stats.memtable_bytes), (1, 0));
    /// assert_eq!(db.get("kv", b"k")?.as_deref(), Some(&b"v"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&self) -> Result<()> {
        if let Some(failure) = self.inner.flusher.failure() {
            return Err(Error::Invalid(format!(
                "a background flush failed: {failure}"
            )));
        }
        let tables: Vec<Arc<Table>> = self.inner.tables.read().values().cloned().collect();
        for table in tables {
            table.flush(self.fs(), self.log(), self.inner.host_id)?;
        }
        Ok(())
    }

    /// Flushes every table and syncs the commitlog: afterwards the
    /// commitlog holds nothing that replay would apply (Cassandra's
    /// `nodetool drain`), so the data directory alone is the database.
    ///
    /// # Errors
    /// As [`Db::flush`].
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// db.put("kv", b"k", b"v")?;
    /// db.drain()?;
    /// assert_eq!(db.stats()[0].sstable_count, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn drain(&self) -> Result<()> {
        self.flush()?;
        self.inner.log.sync()?;
        Ok(())
    }

    /// Writes one partition update (rows, cells, deletions, range
    /// tombstones) to a table of the default keyspace, atomically: it is
    /// one commitlog entry.
    ///
    /// # Errors
    /// [`Error::NoSuchTable`]; an update that does not fit the table's
    /// schema or its limits; commitlog failures.
    ///
    /// ```
    /// use ilion::sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
    /// use ilion::sstable::rows::{Cell, ColumnData, Partition, Row, Unfiltered};
    /// use ilion::sstable::schema::{ClusteringOrder, Column, TableSchema};
    /// let dir = tempfile::tempdir()?;
    /// let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// let t = |n: &str| format!("org.apache.cassandra.db.marshal.{n}");
    /// let schema = TableSchema::new(
    ///     vec![Column::new("sensor", t("UTF8Type"))],
    ///     vec![(Column::new("at", t("LongType")), ClusteringOrder::Desc)],
    ///     vec![],
    ///     vec![Column::new("reading", t("DoubleType"))],
    /// )?;
    /// db.create_table("readings", schema, ilion::TableOptions::default())?;
    /// let now = db.timestamp();
    /// let row = |at: i64, value: f64| Unfiltered::Row(Row {
    ///     clustering: vec![Some(at.to_be_bytes().to_vec())],
    ///     liveness: Some(LivenessInfo { timestamp: now, expiry: None }),
    ///     deletion: None,
    ///     columns: vec![ColumnData::Simple {
    ///         column: 0,
    ///         cell: Cell { timestamp: now, kind: CellKind::Live, path: None, value: value.to_be_bytes().to_vec() },
    ///     }],
    /// });
    /// // Descending clustering: newest first.
    /// db.write("readings", Partition {
    ///     key: b"s1".to_vec(),
    ///     deletion: DeletionTime::LIVE,
    ///     static_row: None,
    ///     unfiltereds: vec![row(2000, 21.5), row(1000, 20.0)],
    /// })?;
    /// let p = db.read_partition_in(ilion::DEFAULT_KEYSPACE, "readings", b"s1")?.expect("written");
    /// assert_eq!(p.unfiltereds, vec![row(2000, 21.5), row(1000, 20.0)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write(&self, table: &str, update: ilion_sstable::rows::Partition) -> Result<()> {
        self.write_in(DEFAULT_KEYSPACE, table, update)
    }

    /// [`Db::write`] to a table of `keyspace`.
    ///
    /// # Errors
    /// As [`Db::write`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// use ilion::sstable::reconcile::{CellKind, DeletionTime};
    /// use ilion::sstable::rows::{Cell, ColumnData, Partition, Row, Unfiltered};
    /// use ilion::sstable::schema::TableSchema;
    /// db.create_table_in("shop", "carts", TableSchema::key_value(), ilion::TableOptions::default())?;
    /// let value = Cell { timestamp: db.timestamp(), kind: CellKind::Live, path: None, value: b"3 apples".to_vec() };
    /// db.write_in("shop", "carts", Partition {
    ///     key: b"alice".to_vec(),
    ///     deletion: DeletionTime::LIVE,
    ///     static_row: None,
    ///     unfiltereds: vec![Unfiltered::Row(Row {
    ///         clustering: vec![],
    ///         liveness: None,
    ///         deletion: None,
    ///         columns: vec![ColumnData::Simple { column: 0, cell: value.clone() }],
    ///     })],
    /// })?;
    /// let p = db.read_partition_in("shop", "carts", b"alice")?.expect("written");
    /// assert!(matches!(&p.unfiltereds[0], Unfiltered::Row(r) if r.columns[0] == ColumnData::Simple { column: 0, cell: value }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_in(
        &self,
        keyspace: &str,
        table: &str,
        update: ilion_sstable::rows::Partition,
    ) -> Result<()> {
        let t = self.runtime(keyspace, table)?;
        t.write(self.log(), update)?;
        self.after_write(&t);
        Ok(())
    }

    /// The partition `key` of a table of `keyspace` as stored: every
    /// version merged, shadowed data removed, tombstones and TTLs as
    /// written (the caller interprets them at its own "now").
    ///
    /// # Errors
    /// [`Error::NoSuchTable`]; corruption met reading SSTables.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// db.put("kv", b"k", b"v")?;
    /// assert!(db.read_partition_in(ilion::DEFAULT_KEYSPACE, "kv", b"k")?.is_some());
    /// assert!(db.read_partition_in(ilion::DEFAULT_KEYSPACE, "kv", b"absent")?.is_none());
    /// db.delete("kv", b"k")?;
    /// // The deletion reads as stored: a partition tombstone.
    /// let p = db.read_partition_in(ilion::DEFAULT_KEYSPACE, "kv", b"k")?.expect("tombstone");
    /// assert!(!p.deletion.is_live() && p.unfiltereds.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_partition_in(
        &self,
        keyspace: &str,
        table: &str,
        key: &[u8],
    ) -> Result<Option<ilion_sstable::rows::Partition>> {
        let table = self.runtime(keyspace, table)?;
        let partition = table.read(key)?;
        if let Some(p) = &partition {
            table.check_tombstones(p, now_seconds())?;
        }
        Ok(partition)
    }

    /// The rows of partition `key` of a table of `keyspace` whose
    /// clustering lies in `slice`, with the range tombstones over them cut
    /// to the slice; in clustering order, or reversed (markers keep their
    /// forward bounds), and at most `limit` rows (a range tombstone open
    /// at the cut is closed at the last row returned). Tombstones and TTLs
    /// as stored, as [`Db::read_partition_in`].
    ///
    /// # Errors
    /// [`Error::NoSuchTable`]; corruption; clustering types without a
    /// comparator.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// use ilion::sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
    /// use ilion::sstable::rows::{Partition, Row, Unfiltered};
    /// use ilion::sstable::schema::{ClusteringOrder, Column, TableSchema};
    /// use ilion::sstable::slice::Slice;
    /// let t = |n: &str| format!("org.apache.cassandra.db.marshal.{n}");
    /// let schema = TableSchema::new(
    ///     vec![Column::new("sensor", t("UTF8Type"))],
    ///     vec![(Column::new("at", t("Int32Type")), ClusteringOrder::Asc)],
    ///     vec![],
    ///     vec![],
    /// )?;
    /// db.create_table("readings", schema, ilion::TableOptions::default())?;
    /// let now = db.timestamp();
    /// let at = |v: i32| vec![Some(v.to_be_bytes().to_vec())];
    /// let rows = (0..10).map(|v| Unfiltered::Row(Row {
    ///     clustering: at(v),
    ///     liveness: Some(LivenessInfo { timestamp: now, expiry: None }),
    ///     deletion: None,
    ///     columns: vec![],
    /// }));
    /// db.write("readings", Partition { key: b"s1".to_vec(), deletion: DeletionTime::LIVE, static_row: None, unfiltereds: rows.collect() })?;
    /// // Rows 3 to 7, newest (highest) first, at most 2.
    /// let slice = Slice { start: Some(at(3)), end: Some(at(7)) };
    /// let p = db.read_slice_in(ilion::DEFAULT_KEYSPACE, "readings", b"s1", &slice, true, 2)?.expect("written");
    /// let got: Vec<_> = p.unfiltereds.iter().map(|u| match u { Unfiltered::Row(r) => r.clustering.clone(), _ => vec![] }).collect();
    /// assert_eq!(got, [at(7), at(6)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_slice_in(
        &self,
        keyspace: &str,
        table: &str,
        key: &[u8],
        slice: &ilion_sstable::slice::Slice,
        reverse: bool,
        limit: usize,
    ) -> Result<Option<ilion_sstable::rows::Partition>> {
        let runtime = self.runtime(keyspace, table)?;
        let now = now_seconds();
        if !reverse && limit < usize::MAX {
            // Forwards with a limit: each SSTable read only as far as the
            // limit, when what was read is enough to be sure.
            match runtime.read_slice_head(key, slice, limit)? {
                None => return Ok(None),
                Some((partition, cut)) => {
                    runtime.check_tombstones(&partition, now)?;
                    let kept = crate::limit::limit_rows(partition.unfiltereds, limit, false, now);
                    if crate::limit::complete_before(
                        &runtime.clustering_types,
                        &kept,
                        limit,
                        cut.as_deref(),
                        now,
                    ) {
                        return Ok(Some(ilion_sstable::rows::Partition {
                            unfiltereds: kept,
                            ..partition
                        }));
                    }
                }
            }
        }
        let Some(mut partition) = runtime.read_slice(key, slice)? else {
            return Ok(None);
        };
        runtime.check_tombstones(&partition, now)?;
        if reverse {
            partition.unfiltereds.reverse();
        }
        partition.unfiltereds =
            crate::limit::limit_rows(partition.unfiltereds, limit, reverse, now);
        Ok(Some(partition))
    }

    /// Every table's statistics, by keyspace and name.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// db.put("kv", b"k", b"v")?;
    /// let stats = db.stats();
    /// assert_eq!(stats.len(), 1);
    /// assert_eq!((stats[0].table.as_str(), stats[0].writes.count), ("kv", 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stats(&self) -> Vec<crate::stats::TableStats> {
        let tables: Vec<Arc<Table>> = self.inner.tables.read().values().cloned().collect();
        tables.iter().map(|t| t.stats()).collect()
    }

    /// One table's statistics (of the default keyspace).
    ///
    /// # Errors
    /// [`Error::NoSuchTable`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// db.put("kv", b"k", b"v")?;
    /// db.get("kv", b"k")?;
    /// let stats = db.table_stats("kv")?;
    /// assert_eq!((stats.writes.count, stats.reads.count), (1, 1));
    /// assert!(stats.memtable_bytes > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn table_stats(&self, name: &str) -> Result<crate::stats::TableStats> {
        Ok(self.runtime(DEFAULT_KEYSPACE, name)?.stats())
    }

    /// A major compaction of the table `name` of the default keyspace
    /// (`nodetool compact`): flushes it, waits for its running
    /// compactions, then compacts all its SSTables as its strategy's major
    /// tasks say (one SSTable for size-tiered; leveled output at the level
    /// that holds it; one SSTable per time window; unified output sharded
    /// by density), purging what gc_grace allows. Returns when done.
    ///
    /// # Errors
    /// [`Error::NoSuchTable`]; I/O errors and corruption met while
    /// compacting (the old SSTables then stay live).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// for i in 0..3u8 {
    ///     db.put("kv", &[i], b"v")?;
    ///     db.flush()?;
    /// }
    /// db.compact("kv")?;
    /// let stats = db.table_stats("kv")?;
    /// assert_eq!(stats.sstable_count, 1);
    /// assert_eq!(db.get("kv", &[2])?.as_deref(), Some(&b"v"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compact(&self, name: &str) -> Result<()> {
        self.compact_in(DEFAULT_KEYSPACE, name)
    }

    /// [`Db::compact`] for a table of any keyspace.
    ///
    /// # Errors
    /// As [`Db::compact`].
    pub fn compact_in(&self, keyspace: &str, name: &str) -> Result<()> {
        let table = self.runtime(keyspace, name)?;
        table.flush(self.fs(), self.log(), self.inner.host_id)?;
        table.compact_major(&self.inner.compactor.shared.env())
    }

    /// Changes the compaction strategy or options of the table `name` of
    /// the default keyspace while it is open (`ALTER TABLE ... WITH
    /// compaction`); recorded in the catalog. SSTables stay where they
    /// are; the new strategy takes them from there.
    ///
    /// # Errors
    /// [`Error::NoSuchTable`]; invalid options; I/O errors writing the
    /// catalog.
    ///
    /// ```
    /// use ilion::compaction::{CompactionOptions, LeveledOptions, Strategy};
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// let leveled = CompactionOptions {
    ///     strategy: Strategy::Leveled(LeveledOptions::default()),
    ///     ..CompactionOptions::default()
    /// };
    /// db.set_compaction("kv", leveled.clone())?;
    /// assert_eq!(db.table("kv")?.definition.options.compaction, leveled);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_compaction(&self, name: &str, options: CompactionOptions) -> Result<()> {
        self.set_compaction_in(DEFAULT_KEYSPACE, name, options)
    }

    /// [`Db::set_compaction`] for a table of any keyspace.
    ///
    /// # Errors
    /// As [`Db::set_compaction`].
    pub fn set_compaction_in(
        &self,
        keyspace: &str,
        name: &str,
        options: CompactionOptions,
    ) -> Result<()> {
        options.validate()?;
        let tables = self.inner.tables.write();
        let table = tables
            .get(&(keyspace, name) as &dyn TableName)
            .cloned()
            .ok_or_else(|| Error::NoSuchTable {
                keyspace: keyspace.to_string(),
                table: name.to_string(),
            })?;
        let all: Vec<TableDefinition> = tables
            .values()
            .map(|t| {
                let mut d = t.current_definition();
                if Arc::ptr_eq(t, &table) {
                    d.options.compaction = options.clone();
                }
                d
            })
            .collect();
        system::write_tables(self.inner.fs.as_ref(), &self.inner.system_dir, &all)?;
        table.set_compaction(options);
        Ok(())
    }

    /// What the compaction strategy sees of each live SSTable of the table
    /// `name` of the default keyspace: generation, size, token range,
    /// timestamps, level (`sstableutil` and `tablestats` per SSTable).
    ///
    /// # Errors
    /// [`Error::NoSuchTable`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// db.put("kv", b"k", b"v")?;
    /// db.flush()?;
    /// let sstables = db.sstables("kv")?;
    /// assert_eq!((sstables.len(), sstables[0].level), (1, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sstables(&self, name: &str) -> Result<Vec<crate::compaction::SstableInfo>> {
        let table = self.runtime(DEFAULT_KEYSPACE, name)?;
        let ctx = table.compaction_context();
        let compacting = table.compacting.lock().clone();
        Ok(table.sstable_infos(&ctx, &compacting))
    }

    /// Compacts exactly the live SSTables with the given generations of
    /// the table `name` of the default keyspace, into one output at level
    /// `output_level` (`nodetool compact --user-defined`), purging what
    /// gc_grace allows. Waits while any of them is being compacted.
    ///
    /// # Errors
    /// [`Error::NoSuchTable`]; [`Error::Invalid`] for a generation that is
    /// not live; I/O errors and corruption (the inputs then stay live).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// for i in 0..3u8 {
    ///     db.put("kv", &[i], b"v")?;
    ///     db.flush()?;
    /// }
    /// let two: Vec<u64> = db.sstables("kv")?.iter().take(2).map(|s| s.id).collect();
    /// db.compact_sstables("kv", &two, 0)?;
    /// assert_eq!(db.sstables("kv")?.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compact_sstables(
        &self,
        name: &str,
        generations: &[u64],
        output_level: u32,
    ) -> Result<()> {
        let table = self.runtime(DEFAULT_KEYSPACE, name)?;
        table.compact_user_defined(
            generations,
            output_level,
            &self.inner.compactor.shared.env(),
        )
    }

    /// The compactions running now, with their progress (`nodetool
    /// compactionstats`).
    pub fn compactions(&self) -> Vec<CompactionProgress> {
        self.inner.compactor.shared.board.snapshot()
    }

    /// Changes the compaction throughput limit, bytes per second over all
    /// compactions (0 = unlimited; `nodetool setcompactionthroughput`).
    pub fn set_compaction_throughput(&self, bytes_per_second: u64) {
        self.inner
            .compactor
            .shared
            .throttle
            .set_rate(bytes_per_second);
    }
}

/// A `Db` is shared between threads.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<Db>();
};
