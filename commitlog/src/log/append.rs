//! The append path: checking and writing entries, sealing full segments
//! and opening the next one.

use super::{Active, Inner, LogState, Sealed, SegmentRecord, SegmentState};
use crate::error::{Error, Result};
use crate::format::{body_len, ENTRY_OVERHEAD, FIRST_ENTRY, FIRST_MARKER, MARKER_LEN, SEAL_LEN};
use crate::segment::SegmentFile;
use crate::{Position, TableId};
use std::sync::atomic::Ordering;

impl Inner {
    pub(super) fn check_entry(&self, tables: &[TableId], payload: &[u8]) -> Result<()> {
        let max = self.options.max_payload_size();
        if payload.len() > max {
            return Err(Error::EntryTooLarge {
                size: payload.len(),
                max,
            });
        }
        if tables.len() > usize::from(u16::MAX) {
            return Err(Error::TooManyTables {
                count: tables.len(),
                max: usize::from(u16::MAX),
            });
        }
        // The whole entry must fit in a fresh segment next to one marker and
        // the seal.
        let framed = body_len(tables.len(), payload.len()) + ENTRY_OVERHEAD as usize;
        let room = (self.options.segment_size - FIRST_ENTRY - MARKER_LEN - SEAL_LEN) as usize;
        if framed > room {
            return Err(Error::EntryTooLarge {
                size: payload.len(),
                max: room.saturating_sub(framed - payload.len()),
            });
        }
        Ok(())
    }

    /// Writes a framed entry; returns its position and sequence number.
    pub(super) fn append_framed(
        &self,
        tables: &[TableId],
        framed: &[u8],
    ) -> Result<(Position, u64)> {
        if self.commit.is_failed() {
            return Err(self.commit.stopped_error());
        }
        let len = framed.len() as u32;
        let size = self.options.segment_size;
        let mut st = self.state.lock();
        let fits = match &st.active {
            None => return Err(Error::Closed),
            Some(a) => {
                u64::from(a.offset) + u64::from(len) + u64::from(MARKER_LEN + SEAL_LEN)
                    <= u64::from(size)
            }
        };
        if !fits {
            self.switch_segment(&mut st)?;
        }
        let Some(active) = st.active.as_mut() else {
            return Err(Error::Closed);
        };
        active
            .segment
            .write(active.offset, framed, "append")
            .map_err(|e| self.fail(e))?;
        let end = active.offset + len;
        for &table in tables {
            match active.dirty.iter_mut().find(|(t, _)| *t == table) {
                Some(slot) => slot.1 = end,
                None => active.dirty.push((table, end)),
            }
        }
        active.offset = end;
        active.entries += 1;
        let position = Position {
            segment_id: active.segment.id,
            offset: end,
        };
        st.appended += 1;
        let seq = st.appended;
        drop(st);
        self.counters.appends.fetch_add(1, Ordering::Relaxed);
        self.counters
            .bytes_appended
            .fetch_add(u64::from(len), Ordering::Relaxed);
        Ok((position, seq))
    }

    /// Seals the active segment and opens the next one.
    pub(super) fn switch_segment(&self, st: &mut LogState) -> Result<()> {
        if let Some(active) = st.active.take() {
            self.seal(st, active)?;
        }
        self.open_segment(st)
    }

    pub(super) fn seal(&self, st: &mut LogState, active: Active) -> Result<()> {
        active
            .segment
            .write_seal(active.offset)
            .map_err(|e| self.fail(e))?;
        if let Some(record) = st.segments.get_mut(&active.segment.id) {
            record.state = SegmentState::Sealed;
            record.dirty = active.dirty;
        }
        st.sealed.push(Sealed {
            segment: active.segment,
            last_slot: active.last_slot,
            seal_at: active.offset,
        });
        Ok(())
    }

    /// Makes the next segment the active one: the spare if one is ready
    /// (a rename and a header write), otherwise a file created now.
    pub(super) fn open_segment(&self, st: &mut LogState) -> Result<()> {
        let id = st.next_id;
        let size = self.options.segment_size;
        let fs = self.fs.as_ref();
        let segment = match st.spare.take() {
            Some(spare) => spare.activate_spare(fs, &self.dir, id, size),
            None => SegmentFile::create(fs, &self.dir, id, size),
        }
        .map_err(|e| self.fail(e))?;
        self.request_spare();
        st.next_id += 1;
        st.dir_dirty = true;
        st.segments.insert(
            id,
            SegmentRecord {
                path: segment.path.clone(),
                size: u64::from(size),
                dirty: Vec::new(),
                state: SegmentState::Active,
            },
        );
        st.active = Some(Active {
            segment,
            offset: FIRST_ENTRY,
            last_slot: FIRST_MARKER,
            dirty: Vec::new(),
            entries: 0,
        });
        self.counters
            .segments_created
            .fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Records the first failure; the log accepts nothing afterwards.
    pub(super) fn fail(&self, error: Error) -> Error {
        self.commit.fail(error.to_string());
        error
    }
}
