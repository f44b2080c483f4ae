//! The background compaction threads of a database: each looks for a
//! table that needs a compaction, runs it, and sleeps when none does. A
//! flush wakes them; a periodic check catches what time alone changes
//! (expiry, gc_grace, tombstone compaction intervals).

use super::progress::ProgressBoard;
use super::runner::Env;
use super::throttle::Throttle;
use crate::error::Error;
use crate::table::Table;
use ilion_vfs::FileSystem;
use parking_lot::{Condvar, Mutex, RwLock};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The tables of a database, shared with the compaction threads.
pub(crate) type Tables = Arc<RwLock<BTreeMap<(String, String), Arc<Table>>>>;

/// How long an idle compaction thread sleeps before looking again.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// How long a table whose compaction failed is left alone.
const FAILURE_BACKOFF: Duration = Duration::from_secs(10);

/// A signal that there may be compaction work.
#[derive(Debug, Default)]
pub(crate) struct Wake {
    pending: Mutex<bool>,
    condvar: Condvar,
}

impl Wake {
    /// Wakes the compaction threads.
    pub(crate) fn notify(&self) {
        *self.pending.lock() = true;
        self.condvar.notify_all();
    }

    fn wait(&self, timeout: Duration) {
        let mut pending = self.pending.lock();
        if !*pending {
            self.condvar.wait_for(&mut pending, timeout);
        }
        *pending = false;
    }
}

/// What the threads share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) fs: Arc<dyn FileSystem>,
    pub(crate) host_id: [u8; 16],
    pub(crate) throttle: Throttle,
    pub(crate) stop: AtomicBool,
    pub(crate) board: ProgressBoard,
    pub(crate) wake: Arc<Wake>,
    pub(crate) tables: Tables,
}

impl Shared {
    pub(crate) fn env(&self) -> Env<'_> {
        Env {
            fs: &self.fs,
            host_id: self.host_id,
            throttle: &self.throttle,
            stop: &self.stop,
            board: &self.board,
        }
    }
}

/// The compaction threads; stopping them cancels running compactions
/// (their outputs are removed) and joins the threads.
#[derive(Debug)]
pub(crate) struct Compactor {
    pub(crate) shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Compactor {
    /// Starts `threads` compaction threads.
    pub(crate) fn start(shared: Arc<Shared>, threads: usize) -> std::io::Result<Compactor> {
        let mut handles = Vec::with_capacity(threads);
        for i in 0..threads {
            let shared = shared.clone();
            handles.push(
                std::thread::Builder::new()
                    .name(format!("ilion-compaction-{i}"))
                    .spawn(move || {
                        super::priority::lower_current_thread();
                        work(&shared)
                    })?,
            );
        }
        Ok(Compactor {
            shared,
            threads: Mutex::new(handles),
        })
    }

    /// Cancels running compactions and joins the threads.
    pub(crate) fn stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.wake.notify();
        for handle in self.threads.lock().drain(..) {
            let _ = handle.join();
        }
    }
}

impl Drop for Compactor {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One compaction thread's loop.
fn work(shared: &Shared) {
    while !shared.stop.load(Ordering::Acquire) {
        let tables: Vec<Arc<Table>> = shared.tables.read().values().cloned().collect();
        let mut worked = false;
        for table in tables {
            if shared.stop.load(Ordering::Acquire) {
                return;
            }
            if table.compaction_backing_off(FAILURE_BACKOFF) {
                continue;
            }
            let Some(job) = table.pick_background_job() else {
                continue;
            };
            worked = true;
            match table.run_job(&job, &shared.env()) {
                Ok(()) => {}
                Err(Error::Cancelled) => return,
                Err(e) => {
                    log::error!(
                        "compaction of {}.{} ({}) failed: {e}",
                        table.definition.keyspace,
                        table.definition.name,
                        job.task.reason
                    );
                    table.note_compaction_failure();
                }
            }
            drop(job);
            // Another thread may take what this one's output makes due.
            shared.wake.notify();
        }
        if !worked {
            shared.wake.wait(IDLE_CHECK);
        }
    }
}
