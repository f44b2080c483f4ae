//! Ilion's commitlog, after Cassandra's `CommitLog`.
//!
//! One log is shared by all tables. It is a sequence of fixed-size
//! *segments* (32 MiB by default) named by increasing ids. Every mutation is
//! appended as one CRC-framed entry and acknowledged according to the
//! [`SyncMode`]; the returned [`Position`] later tells the log what a flush
//! has made redundant ([`CommitLog::mark_flushed`]). A segment is deleted
//! once no table has unflushed data in it.
//!
//! On open, [`CommitLog::recover`] returns a [`Replay`]: an iterator over
//! every surviving entry in order, after which [`Replay::finish`] repairs
//! the torn tail (if any) and opens the log for appending.
//!
//! ```
//! use ilion_commitlog::{CommitLog, CommitLogOptions, SyncMode, TableId};
//! use ilion_vfs::RealFs;
//! use std::sync::Arc;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let options = CommitLogOptions { sync_mode: SyncMode::Batch, ..CommitLogOptions::default() };
//! let log = CommitLog::recover(Arc::new(RealFs::new()), dir.path(), options.clone())?.finish()?;
//! let table = TableId(1);
//! let position = log.append(&[table], b"a mutation")?; // durable on return (Batch)
//! log.close()?;
//!
//! let mut replay = CommitLog::recover(Arc::new(RealFs::new()), dir.path(), options)?;
//! let entry = replay.next().expect("one entry")?;
//! assert_eq!((entry.position, &entry.payload[..]), (position, &b"a mutation"[..]));
//! assert_eq!(entry.tables, vec![table]);
//! let log = replay.finish()?;
//! log.mark_flushed(table, position)?; // the segment may now go
//! # Ok(())
//! # }
//! ```
//!
//! The byte layout is specified in `docs/format.md`; the durability promise
//! of each sync mode in `docs/architecture.md`.

mod error;
pub mod format;
mod group_commit;
mod log;
mod options;
mod replay;
mod scan;
mod segment;

pub use error::{CorruptionKind, Error, Result};
pub use log::{CommitLog, CommitLogStats};
pub use options::{CommitLogOptions, SyncMode};
pub use replay::{Replay, ReplayEntry, ReplayStats};

/// Identifies a table in the log (Cassandra's table id, a UUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId(pub u128);

/// A place in the log: the segment, and the byte offset just past an entry.
///
/// Positions order the log: a later entry has a greater position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// The segment's id.
    pub segment_id: u64,
    /// Byte offset within the segment.
    pub offset: u32,
}

/// Checks what bytes of arbitrary content (a fuzzer's input) decode to, as
/// replay would for the newest segment with id `segment_id`: every returned
/// payload passed its CRC. Exposed for the fuzz target.
///
/// # Errors
/// Corruption that replay would report.
pub fn decode_segment_bytes(bytes: &[u8], segment_id: u64) -> Result<Vec<ReplayEntry>> {
    replay::decode_for_fuzzing(bytes, segment_id)
}
