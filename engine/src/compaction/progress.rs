//! Compactions running now and how far each has come, as `nodetool
//! compactionstats` shows them.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One running compaction.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
/// // Nothing to compact yet.
/// assert!(db.compactions().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CompactionProgress {
    /// The table's keyspace.
    pub keyspace: String,
    /// The table.
    pub table: String,
    /// What the task is (strategy and reason).
    pub task: String,
    /// Uncompressed input bytes merged so far.
    pub bytes_done: u64,
    /// Uncompressed input bytes in all.
    pub bytes_total: u64,
}

/// A running compaction's entry on the board.
#[derive(Debug)]
pub(crate) struct Running {
    keyspace: String,
    table: String,
    task: String,
    total: u64,
    done: AtomicU64,
}

impl Running {
    /// Records how far the compaction has come.
    pub(crate) fn set_done(&self, bytes: u64) {
        self.done.store(bytes.min(self.total), Ordering::Relaxed);
    }
}

/// Every running compaction of a database.
#[derive(Debug, Default)]
pub(crate) struct ProgressBoard {
    running: Mutex<Vec<Arc<Running>>>,
}

/// Removes its compaction from the board when dropped.
#[derive(Debug)]
pub(crate) struct OnBoard<'a> {
    board: &'a ProgressBoard,
    pub(crate) entry: Arc<Running>,
}

impl Drop for OnBoard<'_> {
    fn drop(&mut self) {
        self.board
            .running
            .lock()
            .retain(|r| !Arc::ptr_eq(r, &self.entry));
    }
}

impl ProgressBoard {
    /// Puts a compaction on the board until the returned guard drops.
    pub(crate) fn start(&self, keyspace: &str, table: &str, task: &str, total: u64) -> OnBoard<'_> {
        let entry = Arc::new(Running {
            keyspace: keyspace.to_string(),
            table: table.to_string(),
            task: task.to_string(),
            total,
            done: AtomicU64::new(0),
        });
        self.running.lock().push(entry.clone());
        OnBoard { board: self, entry }
    }

    /// The compactions running now.
    pub(crate) fn snapshot(&self) -> Vec<CompactionProgress> {
        self.running
            .lock()
            .iter()
            .map(|r| CompactionProgress {
                keyspace: r.keyspace.clone(),
                table: r.table.clone(),
                task: r.task.clone(),
                bytes_done: r.done.load(Ordering::Relaxed),
                bytes_total: r.total,
            })
            .collect()
    }
}
