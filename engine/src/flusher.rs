//! The background flush thread: a table whose memtable passes its size is
//! queued here and flushed while writers go on into the fresh memtable.

use crate::table::Table;
use ilion_commitlog::CommitLog;
use ilion_vfs::FileSystem;
use parking_lot::Mutex;
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Owns the flush thread; dropping it lets queued flushes finish, then
/// joins the thread.
#[derive(Debug)]
pub(crate) struct Flusher {
    queue: Mutex<Option<Sender<Arc<Table>>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// The first flush failure, reported to later explicit flushes.
    failure: Arc<Mutex<Option<String>>>,
}

impl Flusher {
    pub(crate) fn start(
        fs: Arc<dyn FileSystem>,
        log: Arc<CommitLog>,
        host_id: [u8; 16],
    ) -> std::io::Result<Flusher> {
        let (queue, requests) = channel::<Arc<Table>>();
        let failure = Arc::new(Mutex::new(None));
        let failed = failure.clone();
        let thread = std::thread::Builder::new()
            .name("ilion-flush".into())
            .spawn(move || {
                for table in requests {
                    table.flush_requested_done();
                    if let Err(e) = table.flush(fs.clone(), &log, host_id) {
                        log::error!(
                            "flush of {}.{} failed: {e}",
                            table.definition.keyspace,
                            table.definition.name
                        );
                        failed.lock().get_or_insert_with(|| e.to_string());
                    }
                }
            })?;
        Ok(Flusher {
            queue: Mutex::new(Some(queue)),
            thread: Mutex::new(Some(thread)),
            failure,
        })
    }

    /// Queues a flush of `table` (once while one is pending).
    pub(crate) fn request(&self, table: &Arc<Table>) {
        if table.request_flush() {
            if let Some(queue) = self.queue.lock().as_ref() {
                let _ = queue.send(table.clone());
            }
        }
    }

    /// A background flush's failure, if one happened.
    pub(crate) fn failure(&self) -> Option<String> {
        self.failure.lock().clone()
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.queue.lock().take();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}
