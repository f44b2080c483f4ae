//! The SSTable crate's error type.

use std::io;
use std::path::PathBuf;

/// What went wrong reading or writing an SSTable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O operation failed.
    #[error("sstable I/O error: {op} {}: {source}", path.display())]
    Io {
        /// The operation.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// A component holds bytes that fail their checks.
    #[error("sstable corruption in {} at offset {offset}: {reason}", path.display())]
    Corruption {
        /// The component file.
        path: PathBuf,
        /// Byte offset of the damaged structure.
        offset: u64,
        /// What is wrong there.
        reason: String,
    },

    /// A valid component that uses something Ilion does not support.
    #[error("unsupported in {}: {what}", path.display())]
    Unsupported {
        /// The component file.
        path: PathBuf,
        /// What is not supported.
        what: String,
    },

    /// Input that Cassandra's data model or format cannot hold (a key or
    /// value over its limit, a row that does not fit the schema).
    #[error("invalid input: {what}")]
    Invalid {
        /// What is wrong with it.
        what: String,
    },
}

/// The SSTable crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(what: impl Into<String>) -> Self {
        Error::Invalid { what: what.into() }
    }

    pub(crate) fn corrupt(
        path: impl Into<PathBuf>,
        offset: u64,
        reason: impl Into<String>,
    ) -> Self {
        Error::Corruption {
            path: path.into(),
            offset,
            reason: reason.into(),
        }
    }
}
