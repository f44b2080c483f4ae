//! Cassandra's SSTable formats ("big" versions oa and nb, later BTI), read
//! and written byte for byte as Cassandra does.
//!
//! Present so far: the primitives every component is built from —
//! Cassandra's variable-length integers ([`vint`]), its MurmurHash3 and the
//! Murmur3 partitioner's tokens ([`murmur3`]), and its bloom filter
//! ([`bloom`]). The data model, writer and reader follow.

pub mod bloom;
pub mod murmur3;
pub mod vint;
