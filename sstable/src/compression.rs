//! Compressed Data.db: `CompressionInfo.db` and the checksummed chunks it
//! describes.
//!
//! Data.db is a sequence of chunks, each covering `chunk_length`
//! uncompressed bytes (the last may be shorter). Chunk `i` starts at
//! `offsets[i]`; its stored bytes are followed by a big-endian CRC32 of
//! them. An LZ4 chunk is a 4-byte little-endian uncompressed length and a
//! raw LZ4 block (Snappy, Deflate and Zstd chunks: see [`crate::chunk_codec`]);
//! from version `na` on, a chunk whose stored length reaches
//! `max_compressed_length` is stored uncompressed. See `docs/format.md`.

use crate::chunk_codec::Codec;
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::version::Version;
use std::path::Path;

/// The largest chunk Cassandra allows: chunk lengths are powers of two and
/// bounded so a chunk offset fits in memory twice over.
const MAX_CHUNK_LENGTH: u32 = 1 << 30;

/// What `CompressionInfo.db` says about Data.db.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressionInfo {
    /// The compressor's class name, e.g. `LZ4Compressor`.
    pub compressor: String,
    /// Compressor options (name, value).
    pub options: Vec<(String, String)>,
    /// Uncompressed bytes per chunk.
    pub chunk_length: u32,
    /// Chunks whose stored length reaches this are stored uncompressed
    /// (`i32::MAX`, "never", before `na`).
    pub max_compressed_length: u32,
    /// Length of the uncompressed data stream.
    pub data_length: u64,
    /// Where each chunk starts in Data.db.
    pub chunk_offsets: Vec<u64>,
}

impl CompressionInfo {
    /// Parses `CompressionInfo.db` bytes written in `version`.
    ///
    /// # Errors
    /// Corruption (named by `path` and offset) for truncated or impossible
    /// contents; every count is checked against the bytes present.
    pub fn parse(bytes: &[u8], version: Version, path: &Path) -> Result<CompressionInfo> {
        let mut c = Cursor::new(bytes, path);
        let compressor = c.utf("compressor name")?.to_string();
        let option_count = c.count(4, "option count")?;
        let mut options = Vec::with_capacity(option_count);
        for _ in 0..option_count {
            let key = c.utf("option name")?.to_string();
            let value = c.utf("option value")?.to_string();
            options.push((key, value));
        }
        let at = c.position();
        let chunk_length = c.i32("chunk length")?;
        let chunk_length = u32::try_from(chunk_length)
            .ok()
            .filter(|l| l.is_power_of_two() && *l <= MAX_CHUNK_LENGTH)
            .ok_or_else(|| {
                Error::corrupt(
                    path,
                    at,
                    format!("chunk length {chunk_length} is not a power of two up to 1 GiB"),
                )
            })?;
        let max_compressed_length = if version.has_max_compressed_length() {
            let at = c.position();
            let max = c.i32("max compressed length")?;
            u32::try_from(max)
                .map_err(|_| Error::corrupt(path, at, format!("max compressed length {max}")))?
        } else {
            i32::MAX as u32
        };
        let at = c.position();
        let data_length = c.i64("data length")?;
        let data_length = u64::try_from(data_length)
            .map_err(|_| Error::corrupt(path, at, format!("data length {data_length}")))?;
        let at = c.position();
        let chunk_count = c.count(8, "chunk count")?;
        let needed = data_length.div_ceil(u64::from(chunk_length));
        // Some 3.0 writers closed Data.db with one more, empty chunk (the
        // `cf_with_duplicates_3_0` test table): Cassandra reads the offsets
        // it is given, so one trailing chunk is accepted; reading it checks
        // that it holds nothing.
        if chunk_count as u64 != needed && chunk_count as u64 != needed + 1 {
            return Err(Error::corrupt(
                path,
                at,
                format!("{chunk_count} chunks cannot hold {data_length} bytes in chunks of {chunk_length}"),
            ));
        }
        let mut chunk_offsets = Vec::with_capacity(chunk_count);
        for _ in 0..chunk_count {
            let at = c.position();
            let offset = c.i64("chunk offset")?;
            let offset = u64::try_from(offset)
                .ok()
                .filter(|&o| chunk_offsets.last().is_none_or(|&prev| o > prev))
                .ok_or_else(|| {
                    Error::corrupt(path, at, format!("chunk offset {offset} out of order"))
                })?;
            chunk_offsets.push(offset);
        }
        if c.remaining() != 0 {
            return Err(c.corrupt(format!("{} bytes after the chunk offsets", c.remaining())));
        }
        Ok(CompressionInfo {
            compressor,
            options,
            chunk_length,
            max_compressed_length,
            data_length,
            chunk_offsets,
        })
    }

    /// Uncompressed length of chunk `index` (0 for a trailing empty chunk).
    pub fn chunk_data_length(&self, index: usize) -> usize {
        let start = (index as u64).saturating_mul(u64::from(self.chunk_length));
        self.data_length
            .saturating_sub(start)
            .min(u64::from(self.chunk_length)) as usize
    }
}

/// Reads and checks the chunks of one compressed Data.db.
#[derive(Debug)]
pub struct ChunkReader<'a> {
    info: &'a CompressionInfo,
    codec: Codec,
    data: &'a [u8],
    path: &'a Path,
}

impl<'a> ChunkReader<'a> {
    /// A reader over `data` (the whole compressed Data.db, at `path`).
    ///
    /// # Errors
    /// An unsupported compressor, or chunk offsets beyond the file.
    pub fn new(info: &'a CompressionInfo, data: &'a [u8], path: &'a Path) -> Result<Self> {
        let codec = Codec::from_class_name(&info.compressor).ok_or_else(|| Error::Unsupported {
            path: path.to_path_buf(),
            what: format!("compressor {}", info.compressor),
        })?;
        if let Some(&last) = info.chunk_offsets.last() {
            if last + 4 > data.len() as u64 {
                return Err(Error::corrupt(
                    path,
                    last,
                    "chunk starts past the end of Data.db",
                ));
            }
        }
        Ok(ChunkReader {
            info,
            codec,
            data,
            path,
        })
    }

    /// Number of chunks.
    pub fn chunk_count(&self) -> usize {
        self.info.chunk_offsets.len()
    }

    /// Checks chunk `index`'s CRC and appends its uncompressed bytes to
    /// `out`.
    ///
    /// # Errors
    /// Corruption naming Data.db and the chunk's offset: a CRC mismatch, a
    /// declared length other than the chunk's, or an undecodable block.
    pub fn read_chunk(&self, index: usize, out: &mut Vec<u8>) -> Result<()> {
        let offsets = &self.info.chunk_offsets;
        let start = offsets[index];
        let end = offsets
            .get(index + 1)
            .copied()
            .unwrap_or(self.data.len() as u64);
        let corrupt = |reason: String| Error::corrupt(self.path, start, reason);
        if end < start + 4 || end > self.data.len() as u64 {
            return Err(corrupt(format!(
                "chunk {index} ends at {end}, outside the file"
            )));
        }
        let stored = &self.data[start as usize..end as usize - 4];
        let crc_bytes = &self.data[end as usize - 4..end as usize];
        let expected = u32::from_be_bytes([crc_bytes[0], crc_bytes[1], crc_bytes[2], crc_bytes[3]]);
        if crc32fast::hash(stored) != expected {
            return Err(corrupt(format!(
                "chunk {index} does not match the CRC32 stored after it in Data.db"
            )));
        }
        let length = self.info.chunk_data_length(index);
        if stored.len() as u64 >= u64::from(self.info.max_compressed_length) {
            // Stored uncompressed (na+); a last chunk may be zero-padded.
            let raw = stored.get(..length).ok_or_else(|| {
                corrupt(format!(
                    "uncompressed chunk {index} shorter than {length} bytes"
                ))
            })?;
            out.extend_from_slice(raw);
            return Ok(());
        }
        let before = out.len();
        out.resize(before + length, 0);
        if let Err(e) = self.codec.decompress(stored, &mut out[before..]) {
            out.truncate(before);
            return Err(corrupt(format!("chunk {index}: {e}")));
        }
        Ok(())
    }

    /// The whole uncompressed data stream, every chunk checked.
    ///
    /// # Errors
    /// The first damaged chunk.
    pub fn read_all(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.info.data_length.min(1 << 30) as usize);
        for i in 0..self.chunk_count() {
            self.read_chunk(i, &mut out)?;
        }
        Ok(out)
    }
}

/// Compresses a data stream into Data.db chunks with LZ4, each followed by
/// its CRC, and returns the compressed bytes with the matching
/// CompressionInfo (for a version with `maxCompressedLength`, chunks that
/// would not shrink below it are stored raw, as Cassandra does).
pub fn compress_stream(
    stream: &[u8],
    chunk_length: u32,
    version: Version,
) -> (Vec<u8>, CompressionInfo) {
    let chunk_length = chunk_length.clamp(1, MAX_CHUNK_LENGTH).next_power_of_two();
    let max_compressed_length = MAX_COMPRESSED_LENGTH;
    let mut data = Vec::with_capacity(stream.len() / 2 + 64);
    let mut chunk_offsets = Vec::with_capacity(stream.len().div_ceil(chunk_length as usize));
    for chunk in stream.chunks(chunk_length as usize) {
        chunk_offsets.push(data.len() as u64);
        compress_chunk(chunk, version, &mut data);
    }
    let info = CompressionInfo {
        compressor: "LZ4Compressor".to_string(),
        options: Vec::new(),
        chunk_length,
        max_compressed_length,
        data_length: stream.len() as u64,
        chunk_offsets,
    };
    (data, info)
}

/// The largest compressed chunk Ilion's writer stores compressed (it
/// writes `maxCompressedLength` as `i32::MAX`, as Cassandra's default
/// `min_compress_ratio` of 0 does).
const MAX_COMPRESSED_LENGTH: u32 = i32::MAX as u32;

/// Appends one chunk as Data.db stores it: the LZ4 block behind its 4-byte
/// little-endian uncompressed length (or the raw bytes, for a version with
/// `maxCompressedLength`, when compression would not shrink it below that),
/// then the CRC32 of the stored bytes, big-endian. Returns the stored
/// length without the CRC.
pub fn compress_chunk(chunk: &[u8], version: Version, out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
    // Compress in place into the output, sized for the worst case.
    let body = out.len();
    out.resize(
        body + lz4_flex::block::get_maximum_output_size(chunk.len()),
        0,
    );
    match lz4_flex::block::compress_into(chunk, &mut out[body..]) {
        Ok(n) => out.truncate(body + n),
        Err(_) => {
            out.truncate(body);
            out.extend_from_slice(&lz4_flex::block::compress(chunk));
        }
    }
    let stored_len = (out.len() - start) as u64;
    if version.has_max_compressed_length() && stored_len >= u64::from(MAX_COMPRESSED_LENGTH) {
        out.truncate(start);
        out.extend_from_slice(chunk);
    }
    let stored = out.len() - start;
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
    stored
}

impl CompressionInfo {
    /// The bytes of CompressionInfo.db in `version`'s layout.
    pub fn serialize(&self, version: Version) -> Vec<u8> {
        let mut out = Vec::new();
        let utf = |text: &str, out: &mut Vec<u8>| {
            out.extend_from_slice(&(text.len() as u16).to_be_bytes());
            out.extend_from_slice(text.as_bytes());
        };
        utf(&self.compressor, &mut out);
        out.extend_from_slice(&(self.options.len() as i32).to_be_bytes());
        for (name, value) in &self.options {
            utf(name, &mut out);
            utf(value, &mut out);
        }
        out.extend_from_slice(&(self.chunk_length as i32).to_be_bytes());
        if version.has_max_compressed_length() {
            out.extend_from_slice(&(self.max_compressed_length as i32).to_be_bytes());
        }
        out.extend_from_slice(&(self.data_length as i64).to_be_bytes());
        out.extend_from_slice(&(self.chunk_offsets.len() as i32).to_be_bytes());
        for offset in &self.chunk_offsets {
            out.extend_from_slice(&(*offset as i64).to_be_bytes());
        }
        out
    }
}
