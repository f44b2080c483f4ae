//! Cassandra's SSTable formats ("big" versions oa and nb, later BTI), read
//! and written byte for byte as Cassandra does.
//!
//! Present so far: the primitives every component is built from —
//! Cassandra's variable-length integers ([`vint`]), its MurmurHash3 and the
//! Murmur3 partitioner's tokens ([`murmur3`]), its bloom filter
//! ([`bloom`]), and the one function that decides between versions of a
//! cell ([`reconcile`]). The data model, writer and reader follow.

pub mod bloom;
pub mod compression;
mod cursor;
mod error;
pub mod murmur3;
pub mod reconcile;
pub mod version;
pub mod vint;

pub use error::{Error, Result};
