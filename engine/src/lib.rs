//! Ilion: an embedded LSM storage engine that mirrors Apache Cassandra's
//! storage internals.
//!
//! This crate is the public library. [`Db`] opens a data directory laid
//! out as Cassandra's (keyspaces, tables with Cassandra schemas, a host id,
//! a lock); the write and read paths (commitlog, memtables, flush,
//! recovery) are being built on the layers below, re-exported here:
//!
//! - [`commitlog`]: the write-ahead log shared by all tables.
//! - [`vfs`]: the file-system layer every component writes through.
//! - [`sstable`]: Cassandra's SSTable formats and data model.

mod codec;
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
pub mod stats;
mod system;
mod table;

pub use db::{Db, TableInfo, DEFAULT_KEYSPACE};
pub use error::{Error, Result};
pub use names::{check_name, MAX_NAME_LENGTH};
pub use options::{Options, TableOptions};
pub use system::{uuid_string, TableDefinition, FORMAT_VERSION};

pub use ilion_commitlog as commitlog;
pub use ilion_sstable as sstable;
pub use ilion_vfs as vfs;
