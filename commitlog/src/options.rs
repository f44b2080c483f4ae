//! How a commitlog is configured.

use crate::error::{Error, Result};
use crate::format::{MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE};
use std::time::Duration;

/// When an append is acknowledged, and so what a crash can lose.
///
/// In every mode the entry has reached the operating system (a write into a
/// shared memory map of the segment) before `append` returns, so killing the
/// *process* never loses an acknowledged entry. The modes differ on power
/// loss or an operating-system crash; see `docs/architecture.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// Acknowledge at once; a background thread syncs every `period`
    /// (Cassandra's default mode, with 10 s). Power loss can lose the
    /// entries appended since the last completed sync, at most about
    /// 1.5 × `period` of them: appenders wait when syncing falls that far
    /// behind. What survives is a prefix of the log.
    Periodic {
        /// Time between syncs.
        period: Duration,
    },
    /// Acknowledge after the sync that covers the entry. Concurrent
    /// appenders share one sync (group commit): whoever finds no sync
    /// running starts one covering everything appended so far.
    Batch,
    /// Acknowledge after the sync that covers the entry, with at most one
    /// sync per `window`: appenders wait for the background thread's next
    /// sync. Fewer syncs than `Batch` under load, at up to `window` of
    /// added latency.
    Group {
        /// Time between syncs.
        window: Duration,
    },
}

/// Configuration of a [`crate::CommitLog`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitLogOptions {
    /// Size of each segment file in bytes. Default 32 MiB (Cassandra's).
    /// The largest payload accepted is half of it.
    pub segment_size: u32,
    /// When appends are acknowledged. Default [`SyncMode::Batch`]: an
    /// embedded store has no replica to cover a loss window.
    pub sync_mode: SyncMode,
    /// On replay, skip damaged entries in the synced region (and damaged
    /// segments) instead of stopping with [`Error::Corruption`]; what was
    /// skipped is counted in [`crate::ReplayStats`]. Default `false`, like
    /// Cassandra without `ignorereplayerrors`.
    pub skip_corrupt_entries: bool,
}

impl Default for CommitLogOptions {
    fn default() -> Self {
        CommitLogOptions {
            segment_size: 32 << 20,
            sync_mode: SyncMode::Batch,
            skip_corrupt_entries: false,
        }
    }
}

impl CommitLogOptions {
    /// The largest payload an append accepts: half a segment.
    pub fn max_payload_size(&self) -> usize {
        self.segment_size as usize / 2
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if !(MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE).contains(&self.segment_size) {
            return Err(Error::InvalidOption {
                name: "segment_size",
                reason: "must be between 4 KiB and 1 GiB",
            });
        }
        match self.sync_mode {
            SyncMode::Periodic { period } if period.is_zero() => Err(Error::InvalidOption {
                name: "sync_mode",
                reason: "a periodic sync period must be positive",
            }),
            SyncMode::Group { window } if window.is_zero() => Err(Error::InvalidOption {
                name: "sync_mode",
                reason: "a group sync window must be positive",
            }),
            _ => Ok(()),
        }
    }
}
