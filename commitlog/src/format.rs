//! Every constant and byte layout of a commitlog segment, in one place.
//!
//! `docs/format.md` ("Commitlog segment") is the normative description;
//! `segment_header_matches_format_doc` below pins the worked example there.
//! All integers are big-endian, as in Cassandra's commitlog.

use crate::TableId;

/// Magic number at the start of every segment: the ASCII bytes `ILCL`.
pub const SEGMENT_MAGIC: u32 = 0x494C_434C;

/// Segment format version. Version history:
/// - 1: header, chained sync markers, CRC-framed entries carrying table ids,
///   seal record.
pub const FORMAT_VERSION: u16 = 1;

/// Header: magic u32, version u16, flags u16, segment id u64, segment size
/// u32, CRC32 of the preceding 20 bytes u32.
pub const HEADER_LEN: u32 = 4 + 2 + 2 + 8 + 4 + 4;
const _: () = assert!(HEADER_LEN == 24);

/// A sync marker: offset of the next marker (or of the seal) u32, CRC u32.
pub const MARKER_LEN: u32 = 4 + 4;

/// The seal record ending a segment: `SEAL_TAG` u32, CRC u32.
pub const SEAL_LEN: u32 = 4 + 4;

/// The length field value that marks a seal record instead of an entry.
pub const SEAL_TAG: u32 = u32::MAX;

/// Framing around an entry body: length u32, CRC(length) u32, and after the
/// body CRC(length ‖ body) u32. The same overhead as Cassandra's.
pub const ENTRY_OVERHEAD: u32 = 4 + 4 + 4;

/// An entry body starts with the count of table ids (u16), each 16 bytes.
pub const TABLE_COUNT_LEN: u32 = 2;

/// Bytes of one table id in an entry body.
pub const TABLE_ID_LEN: u32 = 16;

/// Smallest segment size accepted.
pub const MIN_SEGMENT_SIZE: u32 = 4096;

/// Largest segment size accepted (offsets are u32; keep well inside).
pub const MAX_SEGMENT_SIZE: u32 = 1 << 30;

/// Where the first sync marker sits: right after the header.
pub const FIRST_MARKER: u32 = HEADER_LEN;

/// Where the first entry of a fresh segment starts.
pub const FIRST_ENTRY: u32 = FIRST_MARKER + MARKER_LEN;

/// The file name of the spare segment that a background thread prepares
/// ahead of need. It has no header until it is renamed to its id; recovery
/// deletes a leftover one.
pub const SPARE_SEGMENT_NAME: &str = "CommitLog-spare.tmp";

/// The file name of segment `id`.
pub fn segment_file_name(id: u64) -> String {
    format!("CommitLog-{id}.log")
}

/// Parses a segment file name; `None` for anything else. Only the exact
/// grammar `CommitLog-<decimal id>.log` is accepted.
pub fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("CommitLog-")?.strip_suffix(".log")?;
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A decoded segment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// The segment id, which must match the file name.
    pub segment_id: u64,
    /// The size the segment was created with.
    pub segment_size: u32,
}

/// Why a header could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// Fewer than [`HEADER_LEN`] bytes.
    Short,
    /// Every header byte is zero: created, never written back.
    Zeroed,
    /// The CRC does not match.
    Checksum,
    /// Not an Ilion commitlog segment.
    Magic,
    /// Written by a format version this build does not know.
    Version(u16),
}

impl SegmentHeader {
    /// The header's bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN as usize] {
        let mut out = [0u8; HEADER_LEN as usize];
        out[0..4].copy_from_slice(&SEGMENT_MAGIC.to_be_bytes());
        out[4..6].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
        // bytes 6..8: flags, none defined
        out[8..16].copy_from_slice(&self.segment_id.to_be_bytes());
        out[16..20].copy_from_slice(&self.segment_size.to_be_bytes());
        let crc = crc32fast::hash(&out[0..20]);
        out[20..24].copy_from_slice(&crc.to_be_bytes());
        out
    }

    /// Decodes the header at the start of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Self, HeaderError> {
        let h = bytes.get(..HEADER_LEN as usize).ok_or(HeaderError::Short)?;
        if h.iter().all(|&b| b == 0) {
            return Err(HeaderError::Zeroed);
        }
        if crc32fast::hash(&h[0..20]) != be32(h, 20) {
            return Err(HeaderError::Checksum);
        }
        if be32(h, 0) != SEGMENT_MAGIC {
            return Err(HeaderError::Magic);
        }
        let version = u16::from_be_bytes([h[4], h[5]]);
        if version != FORMAT_VERSION {
            return Err(HeaderError::Version(version));
        }
        Ok(SegmentHeader {
            segment_id: be64(h, 8),
            segment_size: be32(h, 16),
        })
    }
}

/// Reads a big-endian u32 at `at`; the caller has checked the bounds.
pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be64(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(x)
}

/// The CRC of a sync marker binds the segment id and the marker's own
/// position, so a marker can only validate in the file and place it was
/// written for.
pub fn marker_crc(segment_id: u64, position: u32, next: u32) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&segment_id.to_be_bytes());
    h.update(&position.to_be_bytes());
    h.update(&next.to_be_bytes());
    h.finalize()
}

/// What a marker slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerSlot {
    /// Eight zero bytes: the marker was never written.
    Unwritten,
    /// A marker whose CRC holds, pointing forward to `next`.
    Valid(u32),
    /// Anything else, or too few bytes.
    Damaged,
}

/// Reads the marker slot at `position` of segment `segment_id`.
pub fn read_marker(bytes: &[u8], segment_id: u64, position: u32) -> MarkerSlot {
    let at = position as usize;
    let Some(slot) = bytes.get(at..at + MARKER_LEN as usize) else {
        return MarkerSlot::Damaged;
    };
    let (next, crc) = (be32(slot, 0), be32(slot, 4));
    if (next, crc) == (0, 0) {
        MarkerSlot::Unwritten
    } else if crc == marker_crc(segment_id, position, next) && next >= position + MARKER_LEN {
        MarkerSlot::Valid(next)
    } else {
        MarkerSlot::Damaged
    }
}

/// A sync marker at `position` pointing at `next`.
pub fn encode_marker(segment_id: u64, position: u32, next: u32) -> [u8; MARKER_LEN as usize] {
    let mut out = [0u8; MARKER_LEN as usize];
    out[0..4].copy_from_slice(&next.to_be_bytes());
    out[4..8].copy_from_slice(&marker_crc(segment_id, position, next).to_be_bytes());
    out
}

/// The seal record at `position`.
pub fn encode_seal(segment_id: u64, position: u32) -> [u8; SEAL_LEN as usize] {
    let mut out = [0u8; SEAL_LEN as usize];
    out[0..4].copy_from_slice(&SEAL_TAG.to_be_bytes());
    out[4..8].copy_from_slice(&marker_crc(segment_id, position, SEAL_TAG).to_be_bytes());
    out
}

/// Whether `bytes[position..]` holds a valid seal record.
pub fn is_seal(bytes: &[u8], segment_id: u64, position: u32) -> bool {
    let at = position as usize;
    match bytes.get(at..at + SEAL_LEN as usize) {
        Some(s) => {
            be32(s, 0) == SEAL_TAG && be32(s, 4) == marker_crc(segment_id, position, SEAL_TAG)
        }
        None => false,
    }
}

/// The length of an entry body holding `tables` and `payload_len` bytes.
pub fn body_len(tables: usize, payload_len: usize) -> usize {
    TABLE_COUNT_LEN as usize + tables * TABLE_ID_LEN as usize + payload_len
}

/// Frames an entry into `out` (cleared first).
///
/// The caller has checked that the body length fits in a u32 and that
/// there are at most `u16::MAX` tables.
pub fn encode_entry(out: &mut Vec<u8>, tables: &[TableId], payload: &[u8]) {
    let len = body_len(tables.len(), payload.len()) as u32;
    out.clear();
    out.reserve(len as usize + ENTRY_OVERHEAD as usize);
    let len_bytes = len.to_be_bytes();
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len_bytes);
    out.extend_from_slice(&len_bytes);
    out.extend_from_slice(&crc.clone().finalize().to_be_bytes());
    let body_start = out.len();
    out.extend_from_slice(&(tables.len() as u16).to_be_bytes());
    for table in tables {
        out.extend_from_slice(&table.0.to_be_bytes());
    }
    out.extend_from_slice(payload);
    crc.update(&out[body_start..]);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// CRC of a length field alone.
pub fn length_crc(len: u32) -> u32 {
    crc32fast::hash(&len.to_be_bytes())
}

/// CRC of a length field followed by the body.
pub fn entry_crc(len: u32, body: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&len.to_be_bytes());
    h.update(body);
    h.finalize()
}

/// Splits a checksummed body into its table ids and payload; `None` if the
/// table list does not fit in the body.
pub fn split_body(body: &[u8]) -> Option<(Vec<TableId>, std::ops::Range<usize>)> {
    let count = u16::from_be_bytes([*body.first()?, *body.get(1)?]) as usize;
    let tables_end = TABLE_COUNT_LEN as usize + count * TABLE_ID_LEN as usize;
    if tables_end > body.len() {
        return None;
    }
    let tables = body[TABLE_COUNT_LEN as usize..tables_end]
        .chunks_exact(TABLE_ID_LEN as usize)
        .map(|c| {
            let mut id = [0u8; 16];
            id.copy_from_slice(c);
            TableId(u128::from_be_bytes(id))
        })
        .collect();
    Some((tables, tables_end..body.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The worked examples in docs/format.md, byte for byte.
    #[test]
    fn segment_header_matches_format_doc() {
        let h = SegmentHeader {
            segment_id: 1_700_000_000_000,
            segment_size: 32 << 20,
        };
        assert_eq!(
            hex(&h.encode()),
            "49 4c 43 4c 00 01 00 00 00 00 01 8b cf e5 68 00 02 00 00 00 f9 8c 3d 54"
        );
        assert_eq!(SegmentHeader::decode(&h.encode()), Ok(h));
    }

    #[test]
    fn entry_and_marker_match_format_doc() {
        let mut out = Vec::new();
        encode_entry(&mut out, &[TableId(7)], b"hi");
        assert_eq!(
            hex(&out),
            "00 00 00 14 3b 9e 0b 61 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 07 68 69 b1 3b 72 f9"
        );
        assert_eq!(
            hex(&encode_marker(1_700_000_000_000, 24, 64)),
            "00 00 00 40 a6 39 a1 44"
        );
        assert_eq!(
            hex(&encode_seal(1_700_000_000_000, 64)),
            "ff ff ff ff 06 3d 44 3d"
        );
    }

    #[test]
    fn header_damage_is_classified() {
        let good = SegmentHeader {
            segment_id: 5,
            segment_size: 4096,
        }
        .encode();
        assert_eq!(SegmentHeader::decode(&good[..10]), Err(HeaderError::Short));
        assert_eq!(SegmentHeader::decode(&[0; 24]), Err(HeaderError::Zeroed));
        let mut bad = good;
        bad[9] ^= 1;
        assert_eq!(SegmentHeader::decode(&bad), Err(HeaderError::Checksum));
    }

    #[test]
    fn file_names_round_trip_and_reject_strays() {
        assert_eq!(parse_segment_file_name(&segment_file_name(42)), Some(42));
        for bad in [
            "CommitLog-.log",
            "CommitLog-1.log.tmp",
            "CommitLog-7-12.log",
            "x",
            "CommitLog-+1.log",
        ] {
            assert_eq!(parse_segment_file_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn split_body_rejects_table_lists_longer_than_the_body() {
        assert!(split_body(&[0, 2, 1, 2, 3]).is_none());
        assert!(split_body(&[0]).is_none());
        let (tables, payload) = split_body(&[0, 0, 9, 9]).unwrap();
        assert!(tables.is_empty());
        assert_eq!(payload, 2..4);
    }
}
