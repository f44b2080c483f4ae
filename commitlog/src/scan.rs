//! Decoding one segment's bytes: which entries it holds, which of them a
//! completed sync vouches for, and how the segment ends.
//!
//! The rules (`docs/format.md`, "Reading a segment"):
//! - The chain of sync markers starting right after the header covers the
//!   *synced region*: a marker is written only after the fsync of the
//!   section it closes, so damage inside the chain is corruption.
//! - After the chain ends (a zeroed or damaged marker slot) comes the
//!   *tail*: entries are read until the first zeroed or damaged one. Zeroed
//!   8-byte marker slots that a sync reserved but never filled in are passed
//!   over when a valid entry or seal follows them.
//! - A valid seal record ends the segment.
//!
//! Whether damage in the tail is a torn write or corruption depends on later
//! segments; `replay` decides.

use crate::error::CorruptionKind;
use crate::format::{
    be32, entry_crc, is_seal, length_crc, HeaderError, SegmentHeader, ENTRY_OVERHEAD, FIRST_MARKER,
    MARKER_LEN, SEAL_TAG, TABLE_COUNT_LEN, TABLE_ID_LEN,
};
use crate::format::{read_marker, MarkerSlot};
use std::ops::Range;

/// One entry found in a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScannedEntry {
    /// Offset of the entry's length field.
    pub start: u32,
    /// Offset just past the entry (its position).
    pub end: u32,
    /// Where the body (table list and payload) lies in the segment's bytes.
    pub body: Range<usize>,
}

/// How a segment's readable data ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScanEnd {
    /// A valid seal record at `at`; `proven` if the marker chain reaches it.
    Sealed { at: u32, proven: bool },
    /// Zeroes at `at` in the tail: no more entries were written (or they were
    /// lost before reaching the disk).
    Open { at: u32 },
    /// Damage at `at` in the tail (or in the header, at 0).
    Torn { at: u32, kind: CorruptionKind },
}

/// Everything replay needs to know about one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentScan {
    /// The entries, in order.
    pub entries: Vec<ScannedEntry>,
    /// The first marker slot not holding a valid marker (where the tail
    /// begins); unused when the chain reaches the seal.
    pub chain_end: u32,
    /// Zeroed marker slots passed over in the tail.
    pub tail_slots: Vec<u32>,
    /// A non-zero marker that fails its checks, if any.
    pub marker_damage: Option<u32>,
    /// How the segment ends.
    pub end: ScanEnd,
    /// Entries skipped as corrupt (only when skipping was asked for).
    pub skipped: u64,
}

/// Damage that is corruption whatever follows: at `offset`, of `kind`.
pub(crate) type Damage = (u64, CorruptionKind);

/// Decodes `bytes`, the whole file of segment `file_id`.
///
/// With `skip_corrupt`, damage in the synced region skips the damaged entry
/// (when its length was trustworthy) or the rest of its sync section,
/// counting what was skipped, instead of failing.
///
/// # Errors
/// Damage inside the synced region, or a header that is valid but not ours
/// (foreign magic, unknown version, id differing from the file name).
pub(crate) fn scan_segment(
    bytes: &[u8],
    file_id: u64,
    skip_corrupt: bool,
) -> Result<SegmentScan, Damage> {
    let mut scan = SegmentScan {
        entries: Vec::new(),
        chain_end: FIRST_MARKER,
        tail_slots: Vec::new(),
        marker_damage: None,
        end: ScanEnd::Open { at: 0 },
        skipped: 0,
    };
    match SegmentHeader::decode(bytes) {
        Ok(h) if h.segment_id != file_id => {
            return Err((
                0,
                CorruptionKind::SegmentIdMismatch {
                    header: h.segment_id,
                    file_name: file_id,
                },
            ))
        }
        Ok(_) => {}
        Err(HeaderError::Version(v)) => return Err((0, CorruptionKind::UnsupportedVersion(v))),
        Err(HeaderError::Magic) => {
            return Err((
                0,
                CorruptionKind::BadHeader("not an Ilion commitlog segment"),
            ))
        }
        Err(e) => {
            // A header that never reached the disk whole: a tear at offset 0.
            let why = match e {
                HeaderError::Short => "file shorter than a header",
                HeaderError::Zeroed => "header never written",
                _ => "header checksum mismatch",
            };
            scan.end = ScanEnd::Torn {
                at: 0,
                kind: CorruptionKind::BadHeader(why),
            };
            return Ok(scan);
        }
    }
    let reader = SegmentReader { bytes, id: file_id };

    // The synced region: follow the chain of markers.
    let mut slot = FIRST_MARKER;
    while let Some(next) = reader.marker(slot, &mut scan) {
        let mut at = slot + MARKER_LEN;
        while at < next {
            match reader.entry(at, next) {
                Ok(entry) => {
                    at = entry.end;
                    scan.entries.push(entry);
                }
                Err((_, trusted_end)) if skip_corrupt => {
                    scan.skipped += 1;
                    at = trusted_end.unwrap_or(next);
                }
                Err((kind, _)) => return Err((u64::from(at), kind)),
            }
        }
        if reader.is_seal(next) {
            scan.end = ScanEnd::Sealed {
                at: next,
                proven: true,
            };
            return Ok(scan);
        }
        slot = next;
    }
    scan.chain_end = slot;

    // The tail: entries until the first zeroed or damaged one.
    let mut at = slot + MARKER_LEN;
    scan.end = loop {
        if reader.remaining(at) < MARKER_LEN as usize {
            break ScanEnd::Torn {
                at,
                kind: CorruptionKind::Truncated,
            };
        }
        let (len, crc) = (be32(bytes, at as usize), be32(bytes, at as usize + 4));
        if len == 0 && crc == 0 {
            let after = at + MARKER_LEN;
            if reader.is_seal(after) || reader.entry(after, reader.limit()).is_ok() {
                scan.tail_slots.push(at);
                at = after;
                continue;
            }
            break ScanEnd::Open { at };
        }
        if len == SEAL_TAG {
            break if reader.is_seal(at) {
                ScanEnd::Sealed { at, proven: false }
            } else {
                ScanEnd::Torn {
                    at,
                    kind: CorruptionKind::BadSeal,
                }
            };
        }
        match reader.entry(at, reader.limit()) {
            Ok(entry) => {
                at = entry.end;
                scan.entries.push(entry);
            }
            Err((kind, _)) => break ScanEnd::Torn { at, kind },
        }
    };
    Ok(scan)
}

struct SegmentReader<'a> {
    bytes: &'a [u8],
    id: u64,
}

impl SegmentReader<'_> {
    fn limit(&self) -> u32 {
        // Callers bound segment files by MAX_SEGMENT_SIZE before scanning.
        u32::try_from(self.bytes.len()).unwrap_or(u32::MAX)
    }

    fn remaining(&self, at: u32) -> usize {
        self.bytes.len().saturating_sub(at as usize)
    }

    fn is_seal(&self, at: u32) -> bool {
        is_seal(self.bytes, self.id, at)
    }

    /// The `next` of a valid marker at `slot`; `None` where the chain ends
    /// (recording a damaged, non-zero marker).
    fn marker(&self, slot: u32, scan: &mut SegmentScan) -> Option<u32> {
        if self.remaining(slot) < MARKER_LEN as usize {
            return None;
        }
        match read_marker(self.bytes, self.id, slot) {
            MarkerSlot::Unwritten => None,
            MarkerSlot::Valid(next) if self.remaining(next) >= MARKER_LEN as usize => Some(next),
            MarkerSlot::Valid(_) | MarkerSlot::Damaged => {
                scan.marker_damage = Some(slot);
                None
            }
        }
    }

    /// Decodes the entry at `at`, which must end by `limit`. On failure,
    /// returns the damage and, when the length field was trustworthy, where
    /// the damaged entry ends.
    fn entry(&self, at: u32, limit: u32) -> Result<ScannedEntry, (CorruptionKind, Option<u32>)> {
        let start = at as usize;
        let limit = limit.min(self.limit());
        if limit.saturating_sub(at) < 8 {
            return Err((CorruptionKind::Truncated, None));
        }
        let len = be32(self.bytes, start);
        let len_crc = be32(self.bytes, start + 4);
        if len == 0 && len_crc == 0 {
            return Err((CorruptionKind::UnexpectedEnd, None));
        }
        if len_crc != length_crc(len) {
            return Err((CorruptionKind::LengthChecksum, None));
        }
        let end = u64::from(at) + u64::from(ENTRY_OVERHEAD) + u64::from(len);
        if len < TABLE_COUNT_LEN || end > u64::from(limit) {
            return Err((CorruptionKind::LengthOutOfRange(len), None));
        }
        // `end` fits in u32: it is at most `limit`.
        let end = end as u32;
        let body = start + 8..start + 8 + len as usize;
        let stored = be32(self.bytes, body.end);
        if stored != entry_crc(len, &self.bytes[body.clone()]) {
            return Err((CorruptionKind::PayloadChecksum, Some(end)));
        }
        let tables = u16::from_be_bytes([self.bytes[body.start], self.bytes[body.start + 1]]);
        if TABLE_COUNT_LEN + u32::from(tables) * TABLE_ID_LEN > len {
            return Err((CorruptionKind::MalformedBody, Some(end)));
        }
        Ok(ScannedEntry {
            start: at,
            end,
            body,
        })
    }
}
