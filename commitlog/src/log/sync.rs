//! Sync rounds: making appended entries durable, in segment order, and
//! writing the markers that vouch for them.

use super::{Inner, SegmentState};
use crate::error::{Error, Result};
use crate::format::MARKER_LEN;
use crate::segment::SegmentFile;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

impl Inner {
    pub(super) fn sync_dir(&self) -> Result<()> {
        self.counters.fsyncs.fetch_add(1, Ordering::Relaxed);
        self.fs
            .sync_dir(&self.dir)
            .map_err(|e| self.fail(Error::io("sync directory", &self.dir, e)))
    }

    /// Waits until entry `seq` is durable. A `lead`ing waiter that finds no
    /// sync running runs one itself (group commit); others wait for the
    /// background thread.
    pub(super) fn wait_synced(&self, seq: u64, lead: bool) -> Result<()> {
        self.commit
            .wait_until(seq, lead, || self.sync_round_timed())
    }

    /// Runs one sync round, after any round in progress.
    pub(super) fn run_sync_round(&self) -> Result<()> {
        self.commit.run_now(|| self.sync_round_timed())
    }

    pub(super) fn sync_round_timed(&self) -> Result<u64> {
        let synced = self.sync_round()?;
        self.last_sync_nanos
            .store(self.epoch.elapsed().as_nanos() as u64, Ordering::Relaxed);
        Ok(synced)
    }

    /// Makes everything appended so far durable and returns the sequence
    /// number of the last entry it covers. Sealed segments are finished first, in order, so a synced
    /// entry never follows a segment that is not completely durable.
    pub(super) fn sync_round(&self) -> Result<u64> {
        let (target, sealed, active, dir_dirty) = {
            let mut st = self.state.lock();
            let sealed = std::mem::take(&mut st.sealed);
            let active = match st.active.as_mut() {
                Some(a) if a.offset > a.last_slot + MARKER_LEN => {
                    // Reserve the slot that the marker written after this
                    // sync will point to; later entries go after it.
                    let previous = a.last_slot;
                    a.last_slot = a.offset;
                    a.offset += MARKER_LEN;
                    Some((a.segment.clone(), previous, a.last_slot))
                }
                _ => None,
            };
            let dir_dirty = std::mem::replace(&mut st.dir_dirty, false);
            (st.appended, sealed, active, dir_dirty)
        };
        if sealed.is_empty() && active.is_none() && !dir_dirty {
            return Ok(target);
        }
        self.counters.sync_rounds.fetch_add(1, Ordering::Relaxed);
        if dir_dirty {
            self.sync_dir()?;
        }
        for s in &sealed {
            self.sync_file(&s.segment)?;
            s.segment.write_marker(s.last_slot, s.seal_at)?;
            // Once more, so the final marker is durable before any later
            // segment's data is: replay may then insist on it.
            self.sync_file(&s.segment)?;
        }
        if !sealed.is_empty() {
            let mut st = self.state.lock();
            for s in &sealed {
                if let Some(record) = st.segments.get_mut(&s.segment.id) {
                    record.state = SegmentState::Closed;
                }
            }
        }
        if let Some((segment, slot, next)) = active {
            self.sync_file(&segment)?;
            // Written only now that the section is durable, so a marker on
            // disk always vouches for synced data. It becomes durable itself
            // with the next sync.
            segment.write_marker(slot, next)?;
        }
        Ok(target)
    }

    pub(super) fn sync_file(&self, segment: &SegmentFile) -> Result<()> {
        self.counters.fsyncs.fetch_add(1, Ordering::Relaxed);
        segment.sync()
    }

    /// The background thread of the periodic and group modes.
    pub(super) fn run_syncer(&self, interval: Duration) {
        let mut next = Instant::now() + interval;
        loop {
            {
                let mut control = self.control.lock();
                while !control.shutdown {
                    if self.control_cv.wait_until(&mut control, next).timed_out() {
                        break;
                    }
                }
                if control.shutdown {
                    return;
                }
            }
            // Measured from the start of a round: at most one per interval.
            next = Instant::now() + interval;
            if self.run_sync_round().is_err() {
                // The failure is recorded and every waiter woken.
                return;
            }
        }
    }
}
