//! Cassandra's SSTable formats ("big" versions oa and nb, later BTI), read
//! and written byte for byte as Cassandra does.
//!
//! The format work lands with its own issue; this crate is the place for it
//! in the workspace and depends only on the file-system layer.
