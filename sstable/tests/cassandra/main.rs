//! Ilion's SSTable code against files Apache Cassandra wrote
//! (`../shared/cassandra-sstables/`, read in place).

// Test code: unwrapping is how a test says "this must succeed".
#![allow(clippy::unwrap_used)]

mod bti;
mod common;
mod compression;
mod corruption;
mod edge_cases;
mod filters;
mod lookup;
mod reader;
mod rewrite;
mod scan;
mod statistics;
mod versions;
mod writer;
