//! The engine's error type.

use std::path::PathBuf;

/// What went wrong in the engine.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
/// db.create_key_value_table("kv")?;
/// match db.create_key_value_table("kv") {
///     Err(ilion::Error::TableExists { .. }) => {}
///     other => panic!("{other:?}"),
/// }
/// let e = db.get("nope", b"k").expect_err("no such table");
/// assert!(e.to_string().contains("nope"), "{e}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O operation failed.
    #[error("I/O error: {op} {}: {source}", path.display())]
    Io {
        /// The operation.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A file of the engine's own holds bytes that fail their checks.
    #[error("corruption in {} at offset {offset}: {reason}", path.display())]
    Corruption {
        /// The file.
        path: PathBuf,
        /// Byte offset of the damaged structure.
        offset: u64,
        /// What is wrong there.
        reason: String,
    },

    /// The data directory is open already, in this process or another.
    #[error("{} is already open (its LOCK file is held)", path.display())]
    Locked {
        /// The data directory.
        path: PathBuf,
    },

    /// The directory was written by a newer Ilion.
    #[error("{} was written by a newer Ilion (format version {found}; this one reads up to {supported})", path.display())]
    NewerVersion {
        /// The file that says so.
        path: PathBuf,
        /// Its format version.
        found: u32,
        /// The newest this build reads.
        supported: u32,
    },

    /// A keyspace or table name breaks Cassandra's rule.
    #[error("invalid {what} name {name:?}: names are 1 to 48 characters of [A-Za-z0-9_]")]
    InvalidName {
        /// "keyspace" or "table".
        what: &'static str,
        /// The name given.
        name: String,
    },

    /// A table of that name exists already.
    #[error("table {keyspace}.{table} already exists")]
    TableExists {
        /// Its keyspace.
        keyspace: String,
        /// Its name.
        table: String,
    },

    /// No table of that name.
    #[error("no table {keyspace}.{table}")]
    NoSuchTable {
        /// The keyspace asked for.
        keyspace: String,
        /// The table asked for.
        table: String,
    },

    /// A read met more tombstones than the table's failure threshold
    /// (Cassandra's `TombstoneOverwhelmingException`).
    #[error(
        "read of {table} met {tombstones} tombstones, more than the failure threshold {threshold}"
    )]
    TombstoneOverwhelming {
        /// `keyspace.table`.
        table: String,
        /// Tombstones met.
        tombstones: usize,
        /// The table's `tombstone_failure_threshold`.
        threshold: usize,
    },

    /// A background operation stopped because the database is closing.
    #[error("cancelled: the database is closing")]
    Cancelled,

    /// Invalid options or schema.
    #[error("invalid: {0}")]
    Invalid(String),

    /// From the SSTable layer.
    #[error(transparent)]
    Sstable(#[from] ilion_sstable::Error),

    /// From the commitlog.
    #[error(transparent)]
    Commitlog(#[from] ilion_commitlog::Error),
}

/// The engine's result type.
///
/// ```
/// fn value(db: &ilion::Db) -> ilion::Result<Option<ilion::Bytes>> {
///     db.get("kv", b"k")
/// }
/// # let dir = tempfile::tempdir()?;
/// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
/// assert!(value(&db).is_err(), "no table kv yet");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn io_error(
    op: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { op, path, source }
}
