//! Ilion: an embedded LSM storage engine that mirrors Apache Cassandra's
//! storage internals.
//!
//! This crate is the public library. Its storage layers are available now
//! as re-exported modules; the `Db` facade (tables, write and read paths,
//! flush and recovery) is built on them.
//!
//! - [`commitlog`]: the write-ahead log shared by all tables.
//! - [`vfs`]: the file-system layer every component writes through.
//! - [`sstable`]: Cassandra's SSTable format.

pub use ilion_commitlog as commitlog;
pub use ilion_sstable as sstable;
pub use ilion_vfs as vfs;
