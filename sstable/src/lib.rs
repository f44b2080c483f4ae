//! Cassandra's SSTable formats and data model, read and written byte for
//! byte as Cassandra does: the "big" format in versions `oa` (Cassandra 5.0,
//! Ilion's default) and `nb` (Cassandra 4.x) and the trie-indexed BTI
//! format `da` (Cassandra 5.0, [`bti`]) for writing; every big version from
//! `ma` on, and `da`, for reading.
//!
//! - The data model: [`schema`] (tables as Cassandra defines them, with
//!   their limits), [`rows`] (partitions, rows, cells, range tombstones),
//!   [`reconcile`] (the one function that decides between versions of a
//!   cell), [`partitioner`] (Murmur3, ByteOrdered and Random).
//! - Writing: [`writer::SstableWriter`] streams partitions into every
//!   component and makes the SSTable visible atomically.
//! - Reading: [`reader::SstableReader`] (point lookups, slices, scans,
//!   `verify`), with shared caches ([`chunk_cache`]).
//! - The components, one module each: [`data_writer`] / [`data_reader`]
//!   (Data.db), [`compression`] and [`data_layout`], [`index`] /
//!   [`index_writer`], [`summary`], [`bti`] (Partitions.db, Rows.db),
//!   [`bloom`], [`statistics`] /
//!   [`statistics_writer`], [`checksums`] (Ilion's sidecar).
//! - [`scrub`]: the problems Cassandra's scrub reports (invalid deletion
//!   times, overflowed TTLs, rows out of order or duplicated).
//!
//! ```
//! use ilion_sstable::descriptor::Descriptor;
//! use ilion_sstable::reader::SstableReader;
//! use ilion_sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
//! use ilion_sstable::rows::{Cell, ColumnData, Partition, Row, Unfiltered};
//! use ilion_sstable::schema::TableSchema;
//! use ilion_sstable::version::Version;
//! use ilion_sstable::writer::{SstableWriter, WriterOptions};
//! use std::sync::Arc;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let schema = TableSchema::key_value(); // key blob PRIMARY KEY, value blob
//! let now = 1_700_000_000_000_000; // µs
//! let row = |value: &[u8]| Unfiltered::Row(Row {
//!     clustering: Vec::new(),
//!     liveness: Some(LivenessInfo { timestamp: now, expiry: None }),
//!     deletion: None,
//!     columns: vec![ColumnData::Simple {
//!         column: schema.regular_column_index("value").unwrap_or(0),
//!         cell: Cell { timestamp: now, kind: CellKind::Live, path: None, value: value.to_vec() },
//!     }],
//! });
//! let descriptor = Descriptor { dir: dir.path().to_path_buf(), version: Version::OA, generation: 1 };
//! let mut writer = SstableWriter::create(
//!     Arc::new(ilion_vfs::RealFs),
//!     descriptor,
//!     schema.serialization_header(now, 0, 0),
//!     WriterOptions::default(),
//! )?;
//! // Partitions go in partitioner order (Murmur3 tokens).
//! let mut keys = vec![b"apple".to_vec(), b"pear".to_vec()];
//! keys.sort_by(|a, b| WriterOptions::default().partitioner.compare(a, b));
//! for key in keys {
//!     let partition = Partition {
//!         key: key.clone(),
//!         deletion: DeletionTime::LIVE,
//!         static_row: None,
//!         unfiltereds: vec![row(&key)],
//!     };
//!     schema.validate_partition(&partition)?;
//!     writer.append(&partition)?;
//! }
//! let data_path = writer.finish()?;
//!
//! let reader = SstableReader::open(&data_path)?;
//! let pear = reader.get(b"pear")?.expect("present");
//! assert_eq!(pear.unfiltereds, vec![row(b"pear")]);
//! assert!(reader.get(b"plum")?.is_none());
//! reader.verify()?;
//! # Ok(())
//! # }
//! ```

pub mod bloom;
pub mod bti;
pub mod cardinality;
pub mod checksums;
pub mod chunk_cache;
mod chunk_codec;
mod chunk_writer;
mod clock_cache;
pub mod clustering;
mod column_subset;
mod component_file;
pub mod compression;
pub mod cql_value;
mod cursor;
pub mod data_layout;
pub mod data_reader;
pub mod data_writer;
pub(crate) mod decimal;
pub mod descriptor;
mod error;
pub mod index;
pub mod index_writer;
pub mod lookup;
pub mod merge;
pub mod murmur3;
pub mod partitioner;
pub mod reader;
pub mod reconcile;
pub mod rows;
pub mod schema;
pub mod scrub;
pub mod slice;
pub mod statistics;
pub mod statistics_writer;
pub mod stats_collector;
pub mod summary;
pub mod tombstone_histogram;
pub mod types;
pub mod version;
pub mod vint;
pub mod writer;

pub use error::{Error, Result};
