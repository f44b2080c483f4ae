//! Ilion: an embedded LSM storage engine that mirrors Apache Cassandra's
//! storage internals.
//!
//! [`Db`] opens a data directory laid out as Cassandra's (keyspaces,
//! tables with Cassandra schemas, a host id, a lock). A write is appended
//! to the commitlog, then merged into the table's memtable; full memtables
//! are flushed in the background into SSTables in Cassandra's own format;
//! a read merges the memtables with the SSTables its key may be in, newest
//! first, stopping when older data cannot change the answer. Opening
//! replays the commitlog.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
//! // The key-value facade: a `key blob PRIMARY KEY, value blob` table.
//! db.create_key_value_table("kv")?;
//! db.put("kv", b"apple", b"red")?;
//! db.flush()?; // now in an SSTable Cassandra could load
//! db.put("kv", b"banana", b"yellow")?;
//! assert_eq!(db.get("kv", b"apple")?.as_deref(), Some(&b"red"[..]));
//! let all = db.scan("kv", std::ops::Bound::Unbounded, std::ops::Bound::Unbounded, 10)?;
//! assert_eq!(all.len(), 2);
//! drop(db);
//! // Reopened: the unflushed write comes back from the commitlog.
//! let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
//! assert_eq!(db.get("kv", b"banana")?.as_deref(), Some(&b"yellow"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Wide rows (clustering columns, static columns, range tombstones) go
//! through [`Db::write`] and [`Db::read_slice_in`]. The layers below are
//! re-exported:
//!
//! - [`commitlog`]: the write-ahead log shared by all tables.
//! - [`vfs`]: the file-system layer every component writes through.
//! - [`sstable`]: Cassandra's SSTable formats and data model.

mod codec;
pub mod compaction;
mod db;
mod error;
pub mod flush;
mod flusher;
mod kv;
mod limit;
mod lock;
pub mod memtable;
mod names;
mod options;
mod range;
pub mod stats;
mod system;
mod table;

pub use db::{Db, TableInfo, DEFAULT_KEYSPACE};
pub use error::{Error, Result};
pub use names::{check_name, MAX_NAME_LENGTH};
pub use options::{Options, TableOptions};
pub use system::{uuid_string, TableDefinition, FORMAT_VERSION};

/// Values as the key-value facade returns them: reference-counted bytes.
pub use bytes::Bytes;
pub use ilion_commitlog as commitlog;
pub use ilion_sstable as sstable;
pub use ilion_vfs as vfs;
