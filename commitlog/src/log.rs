//! The commitlog itself: its state, and the public calls that append,
//! sync, discard and close. The append path, sync rounds and the segment
//! allocator live in the submodules.

mod allocator;
mod append;
mod sync;

use crate::error::{Error, Result};
use crate::format::encode_entry;
use crate::group_commit::GroupCommit;
use crate::options::{CommitLogOptions, SyncMode};
use crate::segment::SegmentFile;
use crate::{Position, TableId};
use ilion_vfs::FileSystem;
use parking_lot::{Condvar, Mutex};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Counters describing what a [`CommitLog`] has done since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitLogStats {
    /// Entries appended.
    pub appends: u64,
    /// Bytes appended, framing included.
    pub bytes_appended: u64,
    /// File and directory syncs issued.
    pub fsyncs: u64,
    /// Sync rounds that did I/O (one round may sync several files).
    pub sync_rounds: u64,
    /// Segments created.
    pub segments_created: u64,
    /// Segments deleted after all their data was flushed.
    pub segments_removed: u64,
    /// Appends that had to wait because periodic syncing fell behind.
    pub sync_lag_stalls: u64,
}

#[derive(Default)]
struct Counters {
    appends: AtomicU64,
    bytes_appended: AtomicU64,
    fsyncs: AtomicU64,
    sync_rounds: AtomicU64,
    segments_created: AtomicU64,
    segments_removed: AtomicU64,
    sync_lag_stalls: AtomicU64,
}

/// The highest position per table that an entry reaches in one segment.
type DirtyTables = Vec<(TableId, u32)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegmentState {
    /// Being appended to.
    Active,
    /// Full; its final sync is pending.
    Sealed,
    /// Synced, sealed and marked: never written again.
    Closed,
}

#[derive(Debug)]
struct SegmentRecord {
    path: PathBuf,
    size: u64,
    /// Kept here once the segment stops being active.
    dirty: DirtyTables,
    state: SegmentState,
}

/// A segment recovered by replay, handed to [`CommitLog::start`].
#[derive(Debug)]
pub(crate) struct RecoveredSegment {
    pub id: u64,
    pub path: PathBuf,
    pub size: u64,
    pub dirty: DirtyTables,
}

struct Active {
    segment: SegmentFile,
    /// Where the next entry goes.
    offset: u32,
    /// The last reserved marker slot, filled in after the next sync.
    last_slot: u32,
    dirty: DirtyTables,
    entries: u64,
}

struct Sealed {
    segment: SegmentFile,
    last_slot: u32,
    seal_at: u32,
}

struct LogState {
    active: Option<Active>,
    /// Sealed segments waiting for their final sync, oldest first.
    sealed: Vec<Sealed>,
    segments: BTreeMap<u64, SegmentRecord>,
    flushed: HashMap<TableId, Position>,
    /// Entries appended since open: the sequence number of the last one.
    appended: u64,
    /// A segment was created since the directory was last synced.
    dir_dirty: bool,
    next_id: u64,
    /// A preallocated file ready to become the next segment.
    spare: Option<SegmentFile>,
}

/// What the background threads are asked to do.
#[derive(Default)]
struct Control {
    shutdown: bool,
    spare_wanted: bool,
}

struct Inner {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    options: CommitLogOptions,
    state: Mutex<LogState>,
    commit: GroupCommit,
    control: Mutex<Control>,
    control_cv: Condvar,
    epoch: Instant,
    /// Nanoseconds after `epoch` at which the last sync round finished.
    last_sync_nanos: AtomicU64,
    counters: Counters,
}

/// The largest framing buffer a thread keeps between appends.
const MAX_KEPT_FRAME_BUFFER: usize = 1 << 20;

thread_local! {
    /// The framing buffer of the appending thread.
    static FRAME_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A commitlog open for appending. `Send + Sync`: share it behind an `Arc`.
///
/// Created by [`CommitLog::recover`] followed by [`crate::Replay::finish`].
pub struct CommitLog {
    inner: Arc<Inner>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for CommitLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitLog")
            .field("dir", &self.inner.dir)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// Whether `table`'s data up to `end` in segment `segment_id` is flushed.
fn is_flushed(
    flushed: &HashMap<TableId, Position>,
    table: TableId,
    segment_id: u64,
    end: u32,
) -> bool {
    flushed.get(&table).is_some_and(|&f| {
        f >= Position {
            segment_id,
            offset: end,
        }
    })
}

fn is_clean(segment_id: u64, dirty: &DirtyTables, flushed: &HashMap<TableId, Position>) -> bool {
    dirty
        .iter()
        .all(|&(table, end)| is_flushed(flushed, table, segment_id, end))
}

impl CommitLog {
    /// Starts appending after replay: `recovered` are the segments replay
    /// kept (closed, with the tables dirty in them).
    pub(crate) fn start(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        options: CommitLogOptions,
        recovered: Vec<RecoveredSegment>,
    ) -> Result<CommitLog> {
        let now_millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let max_existing = recovered.iter().map(|s| s.id).max();
        // As Cassandra: ids are roughly wall-clock milliseconds, and always
        // above every existing id.
        let next_id = now_millis.max(max_existing.map_or(0, |m| m + 1));
        let segments = recovered
            .into_iter()
            .map(|s| {
                let record = SegmentRecord {
                    path: s.path,
                    size: s.size,
                    dirty: s.dirty,
                    state: SegmentState::Closed,
                };
                (s.id, record)
            })
            .collect();
        let state = LogState {
            active: None,
            sealed: Vec::new(),
            segments,
            flushed: HashMap::new(),
            appended: 0,
            dir_dirty: false,
            next_id,
            spare: None,
        };
        let inner = Arc::new(Inner {
            fs,
            dir: dir.to_path_buf(),
            options,
            state: Mutex::new(state),
            commit: GroupCommit::default(),
            control: Mutex::new(Control::default()),
            control_cv: Condvar::new(),
            epoch: Instant::now(),
            last_sync_nanos: AtomicU64::new(0),
            counters: Counters::default(),
        });
        {
            let mut st = inner.state.lock();
            inner.open_segment(&mut st)?;
        }
        // Make the new segment's entry durable, and drop recovered segments
        // that hold nothing unflushed.
        inner.run_sync_round()?;
        let log = CommitLog {
            inner: inner.clone(),
            threads: Mutex::new(Vec::new()),
        };
        log.discard()?;
        let interval = match inner.options.sync_mode {
            SyncMode::Periodic { period } => Some(period),
            SyncMode::Group { window } => Some(window),
            SyncMode::Batch => None,
        };
        if let Some(interval) = interval {
            let thread_inner = inner.clone();
            log.spawn("commitlog-sync", move || thread_inner.run_syncer(interval))?;
        }
        let thread_inner = inner.clone();
        log.spawn("commitlog-allocator", move || thread_inner.run_allocator())?;
        Ok(log)
    }

    fn spawn(&self, name: &str, body: impl FnOnce() + Send + 'static) -> Result<()> {
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(body)
            .map_err(|e| Error::io("spawn thread", &self.inner.dir, e))?;
        self.threads.lock().push(handle);
        Ok(())
    }

    /// Appends one entry for `tables` and returns its position, once the
    /// entry is as durable as the [`SyncMode`] promises.
    ///
    /// # Errors
    /// [`Error::EntryTooLarge`] for a payload over half a segment;
    /// [`Error::Stopped`] after any I/O failure of the log (this one
    /// included); [`Error::Closed`] after [`CommitLog::close`].
    pub fn append(&self, tables: &[TableId], payload: &[u8]) -> Result<Position> {
        let inner = &self.inner;
        let _in_append = inner.commit.enter_append();
        inner.check_entry(tables, payload)?;
        // Framing and CRCs are computed outside the log's lock, in a buffer
        // each thread reuses.
        let (position, seq) = FRAME_BUFFER.with(|buffer| {
            let mut framed = buffer.borrow_mut();
            encode_entry(&mut framed, tables, payload);
            let appended = inner.append_framed(tables, &framed);
            if framed.capacity() > MAX_KEPT_FRAME_BUFFER {
                // Do not keep a huge entry's buffer alive in every thread.
                *framed = Vec::new();
            }
            appended
        })?;
        match inner.options.sync_mode {
            SyncMode::Batch => inner.wait_synced(seq, true)?,
            SyncMode::Group { .. } => inner.wait_synced(seq, false)?,
            SyncMode::Periodic { period } => {
                let since = inner.epoch.elapsed().saturating_sub(Duration::from_nanos(
                    inner.last_sync_nanos.load(Ordering::Relaxed),
                ));
                if since > period * 3 / 2 {
                    inner
                        .counters
                        .sync_lag_stalls
                        .fetch_add(1, Ordering::Relaxed);
                    inner.wait_synced(seq, false)?;
                }
            }
        }
        Ok(position)
    }

    /// Makes every entry appended so far durable, whatever the sync mode.
    ///
    /// # Errors
    /// [`Error::Stopped`] if this or an earlier sync failed.
    pub fn sync(&self) -> Result<()> {
        let appended = self.inner.state.lock().appended;
        self.inner.wait_synced(appended, true)
    }

    /// Records that every entry of `table` up to and including `position` is
    /// durable elsewhere (flushed to an SSTable), and deletes the segments
    /// no table needs any more. If that leaves the active segment with only
    /// flushed data, it is sealed and replaced so that it can go too.
    ///
    /// # Errors
    /// I/O errors while switching, syncing or deleting segments (which stop
    /// the log).
    pub fn mark_flushed(&self, table: TableId, position: Position) -> Result<()> {
        {
            let mut st = self.inner.state.lock();
            let entry = st.flushed.entry(table).or_insert(position);
            if *entry < position {
                *entry = position;
            }
            let switch = st
                .active
                .as_ref()
                .is_some_and(|a| a.entries > 0 && is_clean(a.segment.id, &a.dirty, &st.flushed));
            if switch {
                self.inner.switch_segment(&mut st)?;
            }
        }
        self.discard()
    }

    /// The tables with unflushed data in the oldest segment that has any:
    /// flushing them lets that segment go. Empty when nothing pins a segment.
    pub fn tables_pinning_oldest(&self) -> Vec<TableId> {
        let st = self.inner.state.lock();
        for (&id, record) in &st.segments {
            let dirty = match (&record.state, &st.active) {
                (SegmentState::Active, Some(a)) if a.segment.id == id => &a.dirty,
                _ => &record.dirty,
            };
            let pinning: Vec<TableId> = dirty
                .iter()
                .filter(|&&(t, end)| !is_flushed(&st.flushed, t, id, end))
                .map(|&(t, _)| t)
                .collect();
            if !pinning.is_empty() {
                return pinning;
            }
        }
        Vec::new()
    }

    /// Bytes of segment files on disk.
    pub fn disk_usage(&self) -> u64 {
        self.inner
            .state
            .lock()
            .segments
            .values()
            .map(|s| s.size)
            .sum()
    }

    /// Number of segment files on disk.
    pub fn segment_count(&self) -> usize {
        self.inner.state.lock().segments.len()
    }

    /// Counters since open.
    pub fn stats(&self) -> CommitLogStats {
        let c = &self.inner.counters;
        CommitLogStats {
            appends: c.appends.load(Ordering::Relaxed),
            bytes_appended: c.bytes_appended.load(Ordering::Relaxed),
            fsyncs: c.fsyncs.load(Ordering::Relaxed),
            sync_rounds: c.sync_rounds.load(Ordering::Relaxed),
            segments_created: c.segments_created.load(Ordering::Relaxed),
            segments_removed: c.segments_removed.load(Ordering::Relaxed),
            sync_lag_stalls: c.sync_lag_stalls.load(Ordering::Relaxed),
        }
    }

    /// Seals the active segment and syncs everything: after a clean close
    /// every segment replays as fully synced. Appends fail afterwards.
    /// Closing twice is harmless.
    ///
    /// # Errors
    /// I/O errors of the final sync, or [`Error::Stopped`].
    pub fn close(&self) -> Result<()> {
        self.inner.control.lock().shutdown = true;
        self.inner.control_cv.notify_all();
        for handle in self.threads.lock().drain(..) {
            // The threads record their failures in the log; a panic would
            // leave nothing more to report than the final sync below does.
            let _ = handle.join();
        }
        let spare = {
            let mut st = self.inner.state.lock();
            let Some(active) = st.active.take() else {
                return Ok(());
            };
            self.inner.seal(&mut st, active)?;
            st.spare.take()
        };
        self.inner.run_sync_round()?;
        if let Some(spare) = spare {
            let inner = &self.inner;
            drop(spare.file);
            inner
                .fs
                .remove_file(&spare.path)
                .map_err(|e| inner.fail(Error::io("remove", &spare.path, e)))?;
            inner.sync_dir()?;
        }
        Ok(())
    }

    fn discard(&self) -> Result<()> {
        let inner = &self.inner;
        let needs_round = {
            let st = inner.state.lock();
            st.segments.iter().any(|(&id, r)| {
                r.state == SegmentState::Sealed && is_clean(id, &r.dirty, &st.flushed)
            })
        };
        if needs_round {
            inner.run_sync_round()?;
        }
        let doomed: Vec<PathBuf> = {
            let mut st = inner.state.lock();
            let ids: Vec<u64> = st
                .segments
                .iter()
                .filter(|(&id, r)| {
                    r.state == SegmentState::Closed && is_clean(id, &r.dirty, &st.flushed)
                })
                .map(|(&id, _)| id)
                .collect();
            ids.iter()
                .filter_map(|id| st.segments.remove(id))
                .map(|r| r.path)
                .collect()
        };
        if doomed.is_empty() {
            return Ok(());
        }
        for path in &doomed {
            inner
                .fs
                .remove_file(path)
                .map_err(|e| inner.fail(Error::io("remove", path, e)))?;
        }
        inner.sync_dir()?;
        inner
            .counters
            .segments_removed
            .fetch_add(doomed.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

impl Drop for CommitLog {
    fn drop(&mut self) {
        // Best effort: a log dropped without close still gets its final
        // sync. Errors were already reported to appenders, or will surface
        // as a torn tail on replay.
        let _ = self.close();
    }
}
