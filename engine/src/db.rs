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

use crate::error::{io_error, Error, Result};
use crate::lock::DirectoryLock;
use crate::names::check_name;
use crate::options::{Options, TableOptions};
use crate::system::{self, new_uuid, TableDefinition};
use ilion_sstable::schema::TableSchema;
use ilion_vfs::FileSystem;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The keyspace of tables created without one.
pub const DEFAULT_KEYSPACE: &str = "ilion";

/// An open database. Cheap to clone and share between threads.
#[derive(Debug, Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    fs: Arc<dyn FileSystem>,
    system_dir: PathBuf,
    data_dir: PathBuf,
    commitlog_dir: PathBuf,
    host_id: [u8; 16],
    tables: RwLock<BTreeMap<(String, String), TableDefinition>>,
    _lock: DirectoryLock,
}

/// A table as the database knows it.
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
        let lock = DirectoryLock::acquire(path)?;
        let system_dir = path.join("system");
        let data_dir = path.join("data");
        let commitlog_dir = options
            .commitlog_dir
            .unwrap_or_else(|| path.join("commitlog"));
        for dir in [&system_dir, &data_dir, &commitlog_dir] {
            fs.create_dir_all(dir).map_err(io_error("create", dir))?;
        }
        let host_id = system::open_node(fs.as_ref(), &system_dir)?;
        let tables = system::read_tables(fs.as_ref(), &system_dir)?
            .into_iter()
            .map(|t| ((t.keyspace.clone(), t.name.clone()), t))
            .collect();
        Ok(Db {
            inner: Arc::new(Inner {
                fs,
                system_dir,
                data_dir,
                commitlog_dir,
                host_id,
                tables: RwLock::new(tables),
                _lock: lock,
            }),
        })
    }

    /// This node's host id: a random UUID made when the directory was
    /// first opened, kept forever (recorded in every SSTable it writes).
    pub fn host_id(&self) -> [u8; 16] {
        self.inner.host_id
    }

    /// The commitlog directory.
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
        let mut all: Vec<TableDefinition> = tables.values().cloned().collect();
        all.push(definition.clone());
        system::write_tables(fs, &self.inner.system_dir, &all)?;
        tables.insert(key, definition.clone());
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
    pub fn table(&self, name: &str) -> Result<TableInfo> {
        self.table_in(DEFAULT_KEYSPACE, name)
    }

    /// The table `keyspace.name`.
    ///
    /// # Errors
    /// [`Error::NoSuchTable`].
    pub fn table_in(&self, keyspace: &str, name: &str) -> Result<TableInfo> {
        let tables = self.inner.tables.read();
        let definition = tables
            .get(&(keyspace.to_string(), name.to_string()))
            .cloned()
            .ok_or_else(|| Error::NoSuchTable {
                keyspace: keyspace.to_string(),
                table: name.to_string(),
            })?;
        Ok(TableInfo {
            directory: self.directory_of(&definition),
            definition,
        })
    }

    /// Every table, by keyspace and name.
    pub fn tables(&self) -> Vec<TableInfo> {
        let tables = self.inner.tables.read();
        tables
            .values()
            .map(|d| TableInfo {
                directory: self.directory_of(d),
                definition: d.clone(),
            })
            .collect()
    }

    /// Drops the table `name` of the default keyspace.
    ///
    /// # Errors
    /// As [`Db::drop_table_in`].
    pub fn drop_table(&self, name: &str) -> Result<()> {
        self.drop_table_in(DEFAULT_KEYSPACE, name)
    }

    /// Drops a table: its catalog entry first (durably), then its files.
    /// A crash in between leaves a directory no table refers to, which is
    /// harmless; never a table without its files.
    ///
    /// # Errors
    /// [`Error::NoSuchTable`]; I/O errors.
    pub fn drop_table_in(&self, keyspace: &str, name: &str) -> Result<()> {
        let mut tables = self.inner.tables.write();
        let key = (keyspace.to_string(), name.to_string());
        let Some(definition) = tables.get(&key).cloned() else {
            return Err(Error::NoSuchTable {
                keyspace: keyspace.to_string(),
                table: name.to_string(),
            });
        };
        let fs = self.inner.fs.as_ref();
        let remaining: Vec<TableDefinition> = tables
            .iter()
            .filter(|(k, _)| **k != key)
            .map(|(_, d)| d.clone())
            .collect();
        system::write_tables(fs, &self.inner.system_dir, &remaining)?;
        tables.remove(&key);
        let directory = self.directory_of(&definition);
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
