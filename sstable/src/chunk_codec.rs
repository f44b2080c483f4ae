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
            Codec::Zstd => ruzstd::decoding::FrameDecoder::new()
                .decode_all(stored, out)
                .map_err(|e| e.to_string())?,
        };
        if written != length {
            return Err(format!(
                "decompressed to {written} bytes, expected {length}"
            ));
        }
        Ok(())
    }
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
}
