//! The compressors a Data.db chunk may be written with, and decompressing
//! one chunk into a buffer of its known uncompressed length.
//!
//! Cassandra writes LZ4 chunks as a 4-byte little-endian uncompressed
//! length and one raw LZ4 block; Snappy chunks as one raw Snappy block
//! (`Snappy.uncompress`); Deflate chunks as one zlib stream (Java's
//! `Inflater` with its header); Zstd chunks as one Zstandard frame. Ilion
//! writes LZ4 only and reads all four.

/// A chunk compressor, by the class name CompressionInfo.db records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    /// `LZ4Compressor`.
    Lz4,
    /// `SnappyCompressor`.
    Snappy,
    /// `DeflateCompressor`.
    Deflate,
    /// `ZstdCompressor`.
    Zstd,
}

impl Codec {
    /// The codec of a compressor class name (simple or qualified).
    pub(crate) fn from_class_name(name: &str) -> Option<Codec> {
        match name.rsplit('.').next()? {
            "LZ4Compressor" => Some(Codec::Lz4),
            "SnappyCompressor" => Some(Codec::Snappy),
            "DeflateCompressor" => Some(Codec::Deflate),
            "ZstdCompressor" => Some(Codec::Zstd),
            _ => None,
        }
    }

    /// Decompresses `stored` (one chunk, without its CRC) into `out`,
    /// which has exactly the chunk's uncompressed length: an error unless
    /// the chunk decodes to exactly that many bytes.
    pub(crate) fn decompress(self, stored: &[u8], out: &mut [u8]) -> Result<(), String> {
        let length = out.len();
        let written = match self {
            Codec::Lz4 => {
                let (prefix, block) = stored
                    .split_first_chunk::<4>()
                    .ok_or("shorter than its length prefix")?;
                let declared = u32::from_le_bytes(*prefix) as usize;
                if declared != length {
                    return Err(format!("declares {declared} bytes, expected {length}"));
                }
                lz4_flex::block::decompress_into(block, out).map_err(|e| e.to_string())?
            }
            Codec::Snappy => {
                // The block starts with its uncompressed length: checked
                // before anything is decoded.
                let declared = snap::raw::decompress_len(stored).map_err(|e| e.to_string())?;
                if declared != length {
                    return Err(format!("declares {declared} bytes, expected {length}"));
                }
                snap::raw::Decoder::new()
                    .decompress(stored, out)
                    .map_err(|e| e.to_string())?
            }
            Codec::Deflate => {
                let mut inflater = flate2::Decompress::new(true);
                let status = inflater
                    .decompress(stored, out, flate2::FlushDecompress::Finish)
                    .map_err(|e| e.to_string())?;
                if status != flate2::Status::StreamEnd {
                    return Err(format!("zlib stream does not end within {length} bytes"));
                }
                inflater.total_out() as usize
            }
            Codec::Zstd => {
                check_zstd_window(stored, length)?;
                ruzstd::decoding::FrameDecoder::new()
                    .decode_all(stored, out)
                    .map_err(|e| e.to_string())?
            }
        };
        if written != length {
            return Err(format!(
                "decompressed to {written} bytes, expected {length}"
            ));
        }
        Ok(())
    }
}

/// The decoder reserves the window a Zstandard frame header declares
/// before decoding anything, and a damaged header can declare terabytes:
/// the window must fit what a chunk of `length` bytes can need. Cassandra
/// compresses each chunk with its size known, so the window is at most the
/// chunk rounded up to a power of two; 8 times that (and at least 1 MiB)
/// leaves room for any compressor setting without letting damage through.
fn check_zstd_window(stored: &[u8], length: usize) -> Result<(), String> {
    const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
    if stored.get(..4) != Some(&MAGIC[..]) {
        return Err("not a Zstandard frame".to_string());
    }
    let descriptor = *stored.get(4).ok_or("Zstandard frame header cut short")?;
    let single_segment = descriptor & 0x20 != 0;
    let window = if single_segment {
        // The window is the content size, after the dictionary id.
        let dictionary_bytes = [0, 1, 2, 4][usize::from(descriptor & 3)];
        let size_bytes = match descriptor >> 6 {
            0 => 1,
            1 => 2,
            2 => 4,
            _ => 8,
        };
        let at = 5 + dictionary_bytes;
        let field = stored
            .get(at..at + size_bytes)
            .ok_or("Zstandard frame header cut short")?;
        let mut size = field
            .iter()
            .rev()
            .fold(0u64, |acc, b| acc << 8 | u64::from(*b));
        if size_bytes == 2 {
            size += 256;
        }
        size
    } else {
        let b = *stored.get(5).ok_or("Zstandard frame header cut short")?;
        let log = 10 + u32::from(b >> 3);
        let base = 1u64.checked_shl(log).unwrap_or(u64::MAX);
        base.saturating_add(base / 8 * u64::from(b & 7))
    };
    let limit = (length.next_power_of_two() as u64)
        .saturating_mul(8)
        .max(1 << 20);
    if window > limit {
        return Err(format!(
            "Zstandard window of {window} bytes for a {length}-byte chunk"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn codecs_decode_what_their_compressors_wrote() {
        let data: Vec<u8> = (0..5000u32).flat_map(|i| (i % 251).to_be_bytes()).collect();
        let mut lz4 = (data.len() as u32).to_le_bytes().to_vec();
        lz4.extend(lz4_flex::block::compress(&data));
        let snappy = snap::raw::Encoder::new().compress_vec(&data).unwrap();
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&data).unwrap();
        let deflate = zlib.finish().unwrap();
        // A Zstandard frame of one raw block: magic, frame header (single
        // segment, 2-byte content size), block header (last, raw, size).
        let mut zstd = vec![0x28, 0xb5, 0x2f, 0xfd, 0x60];
        zstd.extend(((data.len() - 256) as u16).to_le_bytes());
        zstd.extend((((data.len() as u32) << 3) | 1).to_le_bytes()[..3].to_vec());
        zstd.extend(&data);
        for (codec, stored) in [
            (Codec::Lz4, lz4),
            (Codec::Snappy, snappy),
            (Codec::Deflate, deflate),
            (Codec::Zstd, zstd),
        ] {
            let mut out = vec![0; data.len()];
            codec.decompress(&stored, &mut out).unwrap();
            assert_eq!(out, data, "{codec:?}");
            // A wrong expected length, or a truncated chunk, is an error.
            let mut short = vec![0; data.len() - 1];
            assert!(codec.decompress(&stored, &mut short).is_err(), "{codec:?}");
            let mut out = vec![0; data.len()];
            let cut = &stored[..stored.len() - 3];
            assert!(codec.decompress(cut, &mut out).is_err(), "{codec:?}");
        }
        assert_eq!(
            Codec::from_class_name("org.apache.cassandra.io.compress.ZstdCompressor"),
            Some(Codec::Zstd)
        );
        assert_eq!(Codec::from_class_name("NoopCompressor"), None);
    }

    #[test]
    fn a_zstd_frame_declaring_a_huge_window_is_refused_before_decoding() {
        let mut out = vec![0; 4096];
        // Not single-segment, window descriptor 0xF8: 2^41 bytes.
        let huge = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0, 0, 0];
        let error = Codec::Zstd.decompress(&huge, &mut out).unwrap_err();
        assert!(error.contains("window"), "{error}");
        // Single-segment with an 8-byte content size of 2^40.
        let mut big = vec![0x28, 0xb5, 0x2f, 0xfd, 0xe0];
        big.extend((1u64 << 40).to_le_bytes());
        let error = Codec::Zstd.decompress(&big, &mut out).unwrap_err();
        assert!(error.contains("window"), "{error}");
        // A window of 1 MiB passes the check (and then fails to decode
        // the missing blocks, as an error).
        let small = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50];
        let error = Codec::Zstd.decompress(&small, &mut out).unwrap_err();
        assert!(!error.contains("window of"), "{error}");
    }
}
