//! How Data.db holds the data stream: compressed chunks described by
//! CompressionInfo.db, or the stream itself with a CRC per chunk in CRC.db
//! (Cassandra's uncompressed tables). Either way the stream is read chunk
//! by chunk and every chunk's CRC is checked. An uncompressed table whose
//! TOC.txt lists no CRC.db (CRC.db is optional: some writers leave it out)
//! is read as it is, its chunks unchecked.
//!
//! ```text
//! CRC.db:  chunk length (i32) | one CRC32 (u32) per chunk of Data.db
//! ```

use crate::compression::{ChunkReader, CompressionInfo};
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use std::path::Path;

/// The chunk length of an uncompressed Data.db's CRCs: Cassandra's
/// default write buffer, 64 KiB.
pub const UNCOMPRESSED_CHUNK_LENGTH: u32 = 64 << 10;

/// The layout of one Data.db.
#[derive(Debug, Clone, PartialEq)]
pub enum DataLayout {
    /// Compressed chunks.
    Compressed(CompressionInfo),
    /// The stream as it is, checksummed per chunk.
    Uncompressed {
        /// Stream bytes per CRC.
        chunk_length: u32,
        /// The stream's length (Data.db's).
        data_length: u64,
        /// CRC32 of each chunk.
        crcs: Vec<u32>,
    },
    /// The stream as it is, with no CRC.db: nothing to check per chunk
    /// (Digest.crc32, when there is one, still covers the whole file).
    Unchecked {
        /// The stream's length (Data.db's).
        data_length: u64,
    },
}

impl DataLayout {
    /// Parses CRC.db (at `path`) for a Data.db of `data_length` bytes.
    ///
    /// # Errors
    /// Corruption: a chunk length that is not a positive power of two, or
    /// a CRC count that does not cover the data.
    pub fn parse_crc(bytes: &[u8], data_length: u64, path: &Path) -> Result<DataLayout> {
        let mut c = Cursor::new(bytes, path);
        let chunk_length = c.i32("chunk length")?;
        let chunk_length = u32::try_from(chunk_length)
            .ok()
            .filter(|l| l.is_power_of_two())
            .ok_or_else(|| Error::corrupt(path, 0, format!("chunk length {chunk_length}")))?;
        let count = data_length.div_ceil(u64::from(chunk_length));
        if c.remaining() as u64 != count * 4 {
            return Err(Error::corrupt(
                path,
                4,
                format!(
                    "{} bytes of CRCs for {count} chunks of a {data_length}-byte Data.db",
                    c.remaining()
                ),
            ));
        }
        let mut crcs = Vec::with_capacity(count as usize);
        for _ in 0..count {
            crcs.push(c.u32("chunk CRC")?);
        }
        Ok(DataLayout::Uncompressed {
            chunk_length,
            data_length,
            crcs,
        })
    }

    /// CRC.db's bytes for an uncompressed layout (empty for a compressed
    /// or unchecked one).
    pub fn serialize_crc(&self) -> Vec<u8> {
        match self {
            DataLayout::Compressed(_) | DataLayout::Unchecked { .. } => Vec::new(),
            DataLayout::Uncompressed {
                chunk_length, crcs, ..
            } => {
                let mut out = Vec::with_capacity(4 + crcs.len() * 4);
                out.extend_from_slice(&(*chunk_length as i32).to_be_bytes());
                for crc in crcs {
                    out.extend_from_slice(&crc.to_be_bytes());
                }
                out
            }
        }
    }

    /// Uncompressed bytes per chunk.
    pub fn chunk_length(&self) -> u32 {
        match self {
            DataLayout::Compressed(info) => info.chunk_length,
            DataLayout::Uncompressed { chunk_length, .. } => *chunk_length,
            DataLayout::Unchecked { .. } => UNCOMPRESSED_CHUNK_LENGTH,
        }
    }

    /// The uncompressed stream's length.
    pub fn data_length(&self) -> u64 {
        match self {
            DataLayout::Compressed(info) => info.data_length,
            DataLayout::Uncompressed { data_length, .. }
            | DataLayout::Unchecked { data_length } => *data_length,
        }
    }

    /// Bytes the layout keeps in memory (chunk offsets or CRCs).
    pub fn resident_bytes(&self) -> usize {
        match self {
            DataLayout::Compressed(info) => info.chunk_offsets.len() * 8,
            DataLayout::Uncompressed { crcs, .. } => crcs.len() * 4,
            DataLayout::Unchecked { .. } => 0,
        }
    }

    /// A reader of the chunks of `data` (the whole Data.db at `path`).
    ///
    /// # Errors
    /// An unsupported compressor, or chunks beyond the file.
    pub fn chunks<'a>(&'a self, data: &'a [u8], path: &'a Path) -> Result<DataChunks<'a>> {
        match self {
            DataLayout::Compressed(info) => {
                ChunkReader::new(info, data, path).map(DataChunks::Compressed)
            }
            DataLayout::Uncompressed {
                chunk_length,
                data_length,
                crcs,
            } => {
                if data.len() as u64 != *data_length {
                    return Err(Error::corrupt(
                        path,
                        0,
                        format!(
                            "Data.db is {} bytes, CRC.db covers {data_length}",
                            data.len()
                        ),
                    ));
                }
                Ok(DataChunks::Uncompressed {
                    data,
                    chunk_length: *chunk_length as usize,
                    crcs,
                    path,
                })
            }
            DataLayout::Unchecked { data_length } => {
                if data.len() as u64 != *data_length {
                    return Err(Error::corrupt(
                        path,
                        0,
                        format!("Data.db is {} bytes, expected {data_length}", data.len()),
                    ));
                }
                Ok(DataChunks::Unchecked { data, path })
            }
        }
    }
}

/// Reads and checks the chunks of one Data.db.
#[derive(Debug)]
pub enum DataChunks<'a> {
    /// Compressed chunks.
    Compressed(ChunkReader<'a>),
    /// Raw chunks with their CRCs.
    Uncompressed {
        /// The whole Data.db.
        data: &'a [u8],
        /// Bytes per chunk.
        chunk_length: usize,
        /// CRC of each chunk.
        crcs: &'a [u32],
        /// Data.db's path, for errors.
        path: &'a Path,
    },
    /// Raw chunks of [`UNCOMPRESSED_CHUNK_LENGTH`] bytes, unchecked.
    Unchecked {
        /// The whole Data.db.
        data: &'a [u8],
        /// Data.db's path, for errors.
        path: &'a Path,
    },
}

impl DataChunks<'_> {
    /// Number of chunks.
    pub fn chunk_count(&self) -> usize {
        match self {
            DataChunks::Compressed(reader) => reader.chunk_count(),
            DataChunks::Uncompressed { crcs, .. } => crcs.len(),
            DataChunks::Unchecked { data, .. } => {
                data.len().div_ceil(UNCOMPRESSED_CHUNK_LENGTH as usize)
            }
        }
    }

    /// Checks chunk `index` and appends its stream bytes to `out`.
    ///
    /// # Errors
    /// Corruption naming Data.db and the chunk's offset.
    pub fn read_chunk(&self, index: usize, out: &mut Vec<u8>) -> Result<()> {
        match self {
            DataChunks::Compressed(reader) => reader.read_chunk(index, out),
            DataChunks::Uncompressed {
                data,
                chunk_length,
                crcs,
                path,
            } => {
                let start = index.saturating_mul(*chunk_length);
                let end = start.saturating_add(*chunk_length).min(data.len());
                let (Some(bytes), Some(&crc)) = (data.get(start..end), crcs.get(index)) else {
                    return Err(Error::corrupt(
                        *path,
                        start as u64,
                        format!("no chunk {index}"),
                    ));
                };
                if crc32fast::hash(bytes) != crc {
                    return Err(Error::corrupt(
                        *path,
                        start as u64,
                        format!("chunk {index} does not match its CRC32 in CRC.db"),
                    ));
                }
                out.extend_from_slice(bytes);
                Ok(())
            }
            DataChunks::Unchecked { data, path } => {
                let length = UNCOMPRESSED_CHUNK_LENGTH as usize;
                let start = index.saturating_mul(length);
                let end = start.saturating_add(length).min(data.len());
                let bytes = data
                    .get(start..end)
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| {
                        Error::corrupt(*path, start as u64, format!("no chunk {index}"))
                    })?;
                out.extend_from_slice(bytes);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_db_round_trips_and_checks_chunks() {
        let data: Vec<u8> = (0..150u8).collect();
        let crcs: Vec<u32> = data.chunks(64).map(crc32fast::hash).collect();
        let layout = DataLayout::Uncompressed {
            chunk_length: 64,
            data_length: 150,
            crcs,
        };
        let bytes = layout.serialize_crc();
        assert_eq!(&bytes[..4], &64i32.to_be_bytes());
        let path = Path::new("x-CRC.db");
        assert_eq!(DataLayout::parse_crc(&bytes, 150, path).unwrap(), layout);
        assert!(DataLayout::parse_crc(&bytes, 200, path).is_err());
        assert!(DataLayout::parse_crc(&bytes[..bytes.len() - 1], 150, path).is_err());
        let chunks = layout.chunks(&data, path).unwrap();
        let mut out = Vec::new();
        for i in 0..chunks.chunk_count() {
            chunks.read_chunk(i, &mut out).unwrap();
        }
        assert_eq!(out, data);
        let mut damaged = data.clone();
        damaged[70] ^= 1;
        let chunks = layout.chunks(&damaged, path).unwrap();
        assert!(chunks.read_chunk(1, &mut Vec::new()).is_err());
        chunks.read_chunk(0, &mut Vec::new()).unwrap();
    }
}
