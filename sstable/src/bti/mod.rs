//! Cassandra 5.0's BTI ("big trie-indexed") format, version `da`: Data.db,
//! Statistics.db and the other components as in `oa`, with the partition
//! index in a trie (`Partitions.db`, [`partitions`]) and the row indexes of
//! wide partitions in tries (`Rows.db`, [`rows`]). Both tries are over
//! byte-comparable keys ([`byte_comparable`]) and decoded in place
//! ([`trie`]).

pub mod byte_comparable;
pub mod comparable_values;
pub mod index_writer;
pub mod partitions;
pub mod rows;
pub mod trie;
pub mod trie_writer;
