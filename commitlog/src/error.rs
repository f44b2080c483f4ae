//! The commitlog's error type.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// What went wrong in the commitlog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O operation failed.
    #[error("commitlog I/O error: {op} {}: {source}", path.display())]
    Io {
        /// The operation, such as "sync" or "create".
        op: &'static str,
        /// The file or directory it was applied to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// A segment holds bytes that fail their checks where the log promised
    /// valid data.
    #[error("commitlog corruption in {} at offset {offset}: {kind}", path.display())]
    Corruption {
        /// The segment file.
        path: PathBuf,
        /// Byte offset of the damaged structure in the file.
        offset: u64,
        /// What is wrong there.
        kind: CorruptionKind,
    },

    /// The payload is larger than half a segment (Cassandra's maximum
    /// mutation size rule).
    #[error("commitlog entry of {size} bytes exceeds the maximum of {max} bytes (half a segment)")]
    EntryTooLarge {
        /// The payload's size.
        size: usize,
        /// The largest payload accepted.
        max: usize,
    },

    /// An entry named more tables than the format can hold.
    #[error("commitlog entry names {count} tables; at most {max} are allowed")]
    TooManyTables {
        /// How many tables were given.
        count: usize,
        /// The limit.
        max: usize,
    },

    /// An option is out of range.
    #[error("invalid commitlog option {name}: {reason}")]
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },

    /// An earlier I/O failure stopped the log (Cassandra's
    /// `commit_failure_policy: stop`): nothing more is accepted, because data
    /// whose sync failed may be gone even if a retry succeeds. Reopen to
    /// recover from what is durable.
    #[error("commitlog stopped after an I/O failure: {cause}")]
    Stopped {
        /// The failure that stopped it.
        cause: String,
    },

    /// The log was closed.
    #[error("commitlog is closed")]
    Closed,

    /// Replay stopped at an error already returned; the log cannot be opened
    /// for writing from an incomplete replay.
    #[error("commitlog replay did not complete: {cause}")]
    ReplayIncomplete {
        /// The error replay stopped at.
        cause: String,
    },
}

/// The kinds of damage replay can find.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorruptionKind {
    /// The segment header is unreadable: short, zeroed, bad CRC, bad magic.
    BadHeader(&'static str),
    /// The header was written by an unknown format version.
    UnsupportedVersion(u16),
    /// The header's segment id differs from the file name's.
    SegmentIdMismatch {
        /// The id in the header.
        header: u64,
        /// The id in the file name.
        file_name: u64,
    },
    /// An entry's length field fails its CRC.
    LengthChecksum,
    /// An entry's length is impossible (too small, too large, or past the end
    /// of the file or of its sync section).
    LengthOutOfRange(u32),
    /// An entry's body fails its CRC.
    PayloadChecksum,
    /// A checksummed entry body whose table list does not fit.
    MalformedBody,
    /// Zero bytes where a synced section promised an entry.
    UnexpectedEnd,
    /// The file ends inside a structure.
    Truncated,
    /// A sync marker fails its CRC or points somewhere impossible.
    BadSyncMarker,
    /// A seal record fails its CRC.
    BadSeal,
    /// This segment ends early, yet a later segment holds synced data: the
    /// missing part was once durable, so it cannot be a torn tail.
    DamageBeforeSyncedData,
    /// The segment file is larger than any segment can be.
    Oversized(u64),
}

impl fmt::Display for CorruptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorruptionKind::BadHeader(why) => write!(f, "bad segment header ({why})"),
            CorruptionKind::UnsupportedVersion(v) => {
                write!(f, "segment written by unsupported format version {v}")
            }
            CorruptionKind::SegmentIdMismatch { header, file_name } => write!(
                f,
                "header names segment {header} but the file name says {file_name}"
            ),
            CorruptionKind::LengthChecksum => write!(f, "entry length fails its checksum"),
            CorruptionKind::LengthOutOfRange(len) => write!(f, "impossible entry length {len}"),
            CorruptionKind::PayloadChecksum => write!(f, "entry payload fails its checksum"),
            CorruptionKind::MalformedBody => write!(f, "entry body has a malformed table list"),
            CorruptionKind::UnexpectedEnd => {
                write!(f, "unexpected end of data in a synced section")
            }
            CorruptionKind::Truncated => write!(f, "file ends inside a record"),
            CorruptionKind::BadSyncMarker => write!(f, "sync marker fails its checksum"),
            CorruptionKind::BadSeal => write!(f, "seal record fails its checksum"),
            CorruptionKind::DamageBeforeSyncedData => {
                write!(f, "segment ends early but later segments hold synced data")
            }
            CorruptionKind::Oversized(len) => write!(f, "segment file of {len} bytes is too large"),
        }
    }
}

/// The commitlog's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }
}
