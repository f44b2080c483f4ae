//! Ilion's SSTable reader against the Cassandra-written 3.x (mc, me)
//! tables scylladb keeps as fixtures (`../shared/cassandra-sstables/
//! scylla-3x/`, read in place; the `uncompressed/write_*` tables are
//! another suite's). Each test compares with what scylladb's
//! test/boost/sstable_3_x_test.cc says the table holds.

// Test code: unwrapping is how a test says "this must succeed".
#![allow(clippy::unwrap_used)]

mod basic;
mod common;
mod deletions;
mod integrity;
mod types;
mod wide;
