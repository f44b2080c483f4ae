//! Replay: reading every surviving entry in order, telling a torn tail from
//! corruption, and repairing the tail before appending resumes.

use crate::error::{CorruptionKind, Error, Result};
use crate::format::{
    parse_segment_file_name, split_body, SegmentHeader, FIRST_MARKER, HEADER_LEN, MARKER_LEN,
    MAX_SEGMENT_SIZE, SEAL_LEN, SPARE_SEGMENT_NAME,
};
use crate::format::{read_marker, MarkerSlot};
use crate::log::{CommitLog, RecoveredSegment};
use crate::options::CommitLogOptions;
use crate::scan::{scan_segment, ScanEnd, SegmentScan};
use crate::segment::SegmentFile;
use crate::{Position, TableId};
use bytes::Bytes;
use ilion_vfs::{read_all, FileSystem};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One entry read back from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayEntry {
    /// The position `append` returned for it.
    pub position: Position,
    /// The tables it was appended for.
    pub tables: Vec<TableId>,
    /// The payload, exactly as appended (its CRC was verified).
    pub payload: Bytes,
}

/// What replay found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Segment files read.
    pub segments_read: u64,
    /// Entries returned.
    pub entries: u64,
    /// Damaged entries skipped (only with `skip_corrupt_entries`).
    pub skipped_entries: u64,
    /// Damaged segments skipped whole (only with `skip_corrupt_entries`).
    pub skipped_segments: u64,
    /// Where the log ended without a seal (a crash), if it did.
    pub tail_end: Option<Position>,
    /// Segments after the end of the log, discarded by
    /// [`Replay::finish`]: nothing in them had been synced.
    pub segments_discarded: u64,
}

/// Where the log ended early: the segment and what repair needs.
#[derive(Debug)]
struct LogEnd {
    index: usize,
    at: u32,
    chain_end: u32,
    tail_slots: Vec<u32>,
}

/// A segment that ends with a valid seal that its marker chain does not
/// reach (its last marker was never written, or was torn by a crash).
#[derive(Debug)]
struct Unmarked {
    index: usize,
    chain_end: u32,
    tail_slots: Vec<u32>,
    seal_at: u32,
}

struct Loaded {
    index: usize,
    bytes: Bytes,
    scan: SegmentScan,
    next_entry: usize,
    dirty: Vec<(TableId, u32)>,
}

/// Replay of a commitlog directory: an iterator over every surviving entry,
/// oldest first, followed by [`Replay::finish`] to open the log.
///
/// What is returned is always a prefix of what was appended, with no holes:
/// - damage after the last completed sync of the log (a torn tail) ends the
///   replay quietly, and `finish` cuts the log there;
/// - damage anywhere else is [`Error::Corruption`] naming the segment file
///   and offset, unless [`CommitLogOptions::skip_corrupt_entries`] is set,
///   in which case the damaged entries are skipped and counted.
///
/// Every payload returned passed its CRC. After an error the iterator ends.
pub struct Replay {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    options: CommitLogOptions,
    files: Vec<(u64, PathBuf)>,
    /// Per file: does it hold data a completed sync vouched for?
    proofs: Vec<bool>,
    next_file: usize,
    current: Option<Loaded>,
    end: Option<LogEnd>,
    unmarked: Vec<Unmarked>,
    recovered: Vec<RecoveredSegment>,
    failure: Option<String>,
    done: bool,
    stats: ReplayStats,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("dir", &self.dir)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl CommitLog {
    /// Opens the commitlog in `dir` (created if missing) for replay.
    ///
    /// # Errors
    /// Invalid options, or I/O errors listing the directory or reading
    /// segment headers.
    pub fn recover(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        options: CommitLogOptions,
    ) -> Result<Replay> {
        options.validate()?;
        fs.create_dir_all(dir)
            .map_err(|e| Error::io("create directory", dir, e))?;
        let names = fs
            .list_dir(dir)
            .map_err(|e| Error::io("list directory", dir, e))?;
        if names.iter().any(|n| n == SPARE_SEGMENT_NAME) {
            // A spare that was never used: it holds no data.
            let spare = dir.join(SPARE_SEGMENT_NAME);
            fs.remove_file(&spare)
                .map_err(|e| Error::io("remove", &spare, e))?;
        }
        let mut files: Vec<(u64, PathBuf)> = names
            .iter()
            .filter_map(|name| {
                let id = parse_segment_file_name(name.to_str()?)?;
                Some((id, dir.join(name)))
            })
            .collect();
        files.sort();
        let proofs = files
            .iter()
            .map(|(id, path)| has_sync_proof(fs.as_ref(), path, *id))
            .collect::<Result<Vec<bool>>>()?;
        Ok(Replay {
            fs,
            dir: dir.to_path_buf(),
            options,
            files,
            proofs,
            next_file: 0,
            current: None,
            end: None,
            unmarked: Vec::new(),
            recovered: Vec::new(),
            failure: None,
            done: false,
            stats: ReplayStats::default(),
        })
    }
}

/// Whether a segment's first sync marker is valid: proof that a sync
/// completed after this segment was created, and so that every earlier
/// segment was complete and durable.
fn has_sync_proof(fs: &dyn FileSystem, path: &Path, id: u64) -> Result<bool> {
    let file = fs
        .open_readable(path)
        .map_err(|e| Error::io("open", path, e))?;
    let mut head = [0u8; (HEADER_LEN + MARKER_LEN) as usize];
    let mut done = 0;
    while done < head.len() {
        let n = file
            .read_at(done as u64, &mut head[done..])
            .map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            return Ok(false);
        }
        done += n;
    }
    let header_ok = SegmentHeader::decode(&head).is_ok_and(|h| h.segment_id == id);
    Ok(header_ok && matches!(read_marker(&head, id, FIRST_MARKER), MarkerSlot::Valid(_)))
}

impl Replay {
    /// What replay has found so far.
    pub fn stats(&self) -> &ReplayStats {
        &self.stats
    }

    /// Finishes replay and opens the log for appending: entries not yet
    /// read are checked and passed over; a torn tail is cut (the segment is
    /// sealed where its valid data ends) and segments after it are deleted.
    /// The replayed segments stay until [`CommitLog::mark_flushed`] shows
    /// their data is no longer needed.
    ///
    /// # Errors
    /// The error replay stopped at, or I/O errors of the repair.
    pub fn finish(mut self) -> Result<CommitLog> {
        for entry in self.by_ref() {
            entry?;
        }
        if let Some(cause) = self.failure.take() {
            return Err(Error::ReplayIncomplete { cause });
        }
        // Complete the marker chains first: once the new segment is synced,
        // replay insists that every earlier segment is fully marked.
        for unmarked in std::mem::take(&mut self.unmarked) {
            let (id, path) = &self.files[unmarked.index];
            let segment = SegmentFile::open(self.fs.as_ref(), path, *id)?;
            write_chain(
                &segment,
                unmarked.chain_end,
                &unmarked.tail_slots,
                unmarked.seal_at,
            )?;
            segment.sync()?;
        }
        if let Some(end) = self.end.take() {
            self.cut_log(&end)?;
        }
        CommitLog::start(self.fs, &self.dir, self.options, self.recovered)
    }

    /// Ends the log at `end`: seals that segment where its data ends, with
    /// markers vouching for everything before, and deletes later segments.
    fn cut_log(&mut self, end: &LogEnd) -> Result<()> {
        let fs = self.fs.clone();
        let (id, path) = self.files[end.index].clone();
        if end.at == 0 {
            fs.remove_file(&path)
                .map_err(|e| Error::io("remove", &path, e))?;
            self.recovered.retain(|s| s.id != id);
        } else {
            let segment = SegmentFile::open(fs.as_ref(), &path, id)?;
            let new_len = u64::from(end.at) + u64::from(SEAL_LEN);
            segment
                .file
                .set_len(new_len)
                .map_err(|e| Error::io("truncate", &path, e))?;
            segment.write_seal(end.at)?;
            write_chain(&segment, end.chain_end, &end.tail_slots, end.at)?;
            segment.sync()?;
            if let Some(s) = self.recovered.iter_mut().find(|s| s.id == id) {
                s.size = new_len;
            }
        }
        for (_, later) in &self.files[end.index + 1..] {
            fs.remove_file(later)
                .map_err(|e| Error::io("remove", later, e))?;
            self.stats.segments_discarded += 1;
        }
        fs.sync_dir(&self.dir)
            .map_err(|e| Error::io("sync directory", &self.dir, e))
    }

    fn fail(&mut self, error: Error) -> Option<Result<ReplayEntry>> {
        self.failure = Some(error.to_string());
        self.done = true;
        self.current = None;
        Some(Err(error))
    }

    /// Reads and checks the next segment file; `Ok(None)` if it was skipped.
    fn load(&mut self, index: usize) -> Result<Option<Loaded>> {
        let (id, path) = self.files[index].clone();
        let file = self
            .fs
            .open_readable(&path)
            .map_err(|e| Error::io("open", &path, e))?;
        let len = file.len().map_err(|e| Error::io("stat", &path, e))?;
        if len > u64::from(MAX_SEGMENT_SIZE) {
            return Err(Error::Corruption {
                path,
                offset: 0,
                kind: CorruptionKind::Oversized(len),
            });
        }
        let bytes = Bytes::from(
            read_all(file.as_ref(), u64::from(MAX_SEGMENT_SIZE))
                .map_err(|e| Error::io("read", &path, e))?,
        );
        self.stats.segments_read += 1;
        let skip = self.options.skip_corrupt_entries;
        let scan = match scan_segment(&bytes, id, skip) {
            Ok(scan) => scan,
            Err(_) if skip => {
                self.stats.skipped_segments += 1;
                self.recovered.push(RecoveredSegment {
                    id,
                    path,
                    size: len,
                    dirty: Vec::new(),
                });
                return Ok(None);
            }
            Err((offset, kind)) => return Err(Error::Corruption { path, offset, kind }),
        };
        self.stats.skipped_entries += scan.skipped;
        let later_proof = self.proofs[index + 1..].iter().any(|&p| p);
        if later_proof && !skip {
            // Everything here was durable before a later sync completed:
            // damage cannot be a torn write.
            if let Some(slot) = scan.marker_damage {
                return Err(Error::Corruption {
                    path,
                    offset: u64::from(slot),
                    kind: CorruptionKind::BadSyncMarker,
                });
            }
            match &scan.end {
                ScanEnd::Sealed { .. } => {}
                ScanEnd::Open { at } => {
                    return Err(Error::Corruption {
                        path,
                        offset: u64::from(*at),
                        kind: CorruptionKind::DamageBeforeSyncedData,
                    })
                }
                ScanEnd::Torn { at, kind } => {
                    return Err(Error::Corruption {
                        path,
                        offset: u64::from(*at),
                        kind: kind.clone(),
                    })
                }
            }
        }
        Ok(Some(Loaded {
            index,
            bytes,
            scan,
            next_entry: 0,
            dirty: Vec::new(),
        }))
    }

    /// Called when every entry of a loaded segment was returned.
    fn close_segment(&mut self, loaded: Loaded) {
        let (id, path) = self.files[loaded.index].clone();
        self.recovered.push(RecoveredSegment {
            id,
            path,
            size: loaded.bytes.len() as u64,
            dirty: loaded.dirty,
        });
        let later_proof = self.proofs[loaded.index + 1..].iter().any(|&p| p);
        let end_at = match loaded.scan.end {
            ScanEnd::Sealed { proven: true, .. } => return,
            ScanEnd::Sealed { at, proven: false } => {
                self.unmarked.push(Unmarked {
                    index: loaded.index,
                    chain_end: loaded.scan.chain_end,
                    tail_slots: loaded.scan.tail_slots,
                    seal_at: at,
                });
                return;
            }
            ScanEnd::Open { at } | ScanEnd::Torn { at, .. } => at,
        };
        if later_proof {
            // Only with skip_corrupt_entries: carry on past the damage.
            return;
        }
        self.stats.tail_end = Some(Position {
            segment_id: id,
            offset: end_at,
        });
        self.end = Some(LogEnd {
            index: loaded.index,
            at: end_at,
            chain_end: loaded.scan.chain_end,
            tail_slots: loaded.scan.tail_slots,
        });
        self.done = true;
    }
}

impl Iterator for Replay {
    type Item = Result<ReplayEntry>;

    fn next(&mut self) -> Option<Result<ReplayEntry>> {
        loop {
            if let Some(loaded) = &mut self.current {
                if let Some(entry) = loaded.scan.entries.get(loaded.next_entry) {
                    loaded.next_entry += 1;
                    let id = self.files[loaded.index].0;
                    let body = loaded.bytes.slice(entry.body.clone());
                    let Some((tables, payload)) = split_body(&body) else {
                        // The scan checked the table list already.
                        let path = self.files[loaded.index].1.clone();
                        let offset = u64::from(entry.start);
                        return self.fail(Error::Corruption {
                            path,
                            offset,
                            kind: CorruptionKind::MalformedBody,
                        });
                    };
                    for &table in &tables {
                        match loaded.dirty.iter_mut().find(|(t, _)| *t == table) {
                            Some(slot) => slot.1 = entry.end,
                            None => loaded.dirty.push((table, entry.end)),
                        }
                    }
                    self.stats.entries += 1;
                    return Some(Ok(ReplayEntry {
                        position: Position {
                            segment_id: id,
                            offset: entry.end,
                        },
                        tables,
                        payload: body.slice(payload),
                    }));
                }
                if let Some(loaded) = self.current.take() {
                    self.close_segment(loaded);
                }
                continue;
            }
            if self.done || self.next_file >= self.files.len() {
                self.done = true;
                return None;
            }
            let index = self.next_file;
            self.next_file += 1;
            match self.load(index) {
                Ok(loaded) => self.current = loaded,
                Err(e) => return self.fail(e),
            }
        }
    }
}

/// Writes the markers that vouch for everything from `chain_end` to
/// `seal_at`, through the marker slots reserved in between.
fn write_chain(
    segment: &SegmentFile,
    chain_end: u32,
    tail_slots: &[u32],
    seal_at: u32,
) -> Result<()> {
    let mut slot = chain_end;
    for &next in tail_slots.iter().chain(std::iter::once(&seal_at)) {
        segment.write_marker(slot, next)?;
        slot = next;
    }
    Ok(())
}

/// Decodes one segment's bytes as replay would if it were the newest.
pub(crate) fn decode_for_fuzzing(bytes: &[u8], segment_id: u64) -> Result<Vec<ReplayEntry>> {
    let path = PathBuf::from(crate::format::segment_file_name(segment_id));
    let scan =
        scan_segment(bytes, segment_id, false).map_err(|(offset, kind)| Error::Corruption {
            path: path.clone(),
            offset,
            kind,
        })?;
    let bytes = Bytes::copy_from_slice(bytes);
    scan.entries
        .iter()
        .map(|entry| {
            let body = bytes.slice(entry.body.clone());
            let (tables, payload) = split_body(&body).ok_or_else(|| Error::Corruption {
                path: path.clone(),
                offset: u64::from(entry.start),
                kind: CorruptionKind::MalformedBody,
            })?;
            Ok(ReplayEntry {
                position: Position {
                    segment_id,
                    offset: entry.end,
                },
                tables,
                payload: body.slice(payload),
            })
        })
        .collect()
}
