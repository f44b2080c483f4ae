//! Cassandra's SSTable formats ("big" versions oa and nb, later BTI), read
//! and written byte for byte as Cassandra does.
//!
//! Present so far: the primitives every component is built from —
//! Cassandra's variable-length integers ([`vint`]), its MurmurHash3 and the
//! Murmur3 partitioner's tokens ([`murmur3`]), its bloom filter
//! ([`bloom`]), the one function that decides between versions of a cell
//! ([`reconcile`]), format versions ([`version`]), and readers of
//! `CompressionInfo.db` with its checksummed chunks ([`compression`]) and of
//! `Statistics.db` ([`statistics`]). The data model, writer and the rest of
//! the reader follow.

pub mod bloom;
pub mod cardinality;
pub mod checksums;
pub mod chunk_cache;
mod chunk_writer;
mod clock_cache;
pub mod clustering;
mod column_subset;
mod component_file;
pub mod compression;
mod cursor;
pub mod data_layout;
pub mod data_reader;
pub mod data_writer;
pub mod descriptor;
mod error;
pub mod index;
pub mod index_writer;
pub mod lookup;
pub mod murmur3;
pub mod partitioner;
pub mod reader;
pub mod reconcile;
pub mod rows;
pub mod schema;
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
