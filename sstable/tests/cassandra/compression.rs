//! Compressed Data.db files Cassandra wrote: CompressionInfo parses, every
//! chunk passes its CRC and decompresses to exactly the recorded length,
//! Digest.crc32 matches; damage is reported with file and offset.

use ilion_sstable::compression::{ChunkReader, CompressionInfo};
use ilion_sstable::Error;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn every_chunk_of_every_legacy_table_decompresses_and_checks() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let mut tables = 0;
    for version in ["ma", "mc", "md", "nb", "oa", "da"] {
        for table in crate::common::legacy_tables(&root, version) {
            let info = crate::common::compression_info(&table);
            assert_eq!(info.compressor, "LZ4Compressor");
            let expected_chunk = if version.starts_with('m') {
                65536
            } else {
                16384
            };
            assert_eq!(info.chunk_length, expected_chunk, "{}", table.dir.display());
            let (data_path, stream) = crate::common::decompressed(&table, &info);
            assert_eq!(stream.len() as u64, info.data_length);
            let digest: u32 = std::fs::read_to_string(table.component("Digest.crc32"))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            let data = std::fs::read(&data_path).unwrap();
            assert_eq!(crc32fast::hash(&data), digest, "{}", data_path.display());
            tables += 1;
        }
    }
    assert!(tables >= 30, "{tables} tables");
    // The reference's worked example: oa simple holds 118 bytes in one chunk.
    let oa = crate::common::legacy_tables(&root, "oa");
    let simple = oa
        .iter()
        .find(|t| t.dir.ends_with("legacy_oa_simple"))
        .unwrap();
    let path = simple.component("CompressionInfo.db");
    let info =
        CompressionInfo::parse(&std::fs::read(&path).unwrap(), simple.version, &path).unwrap();
    assert_eq!(
        (
            info.data_length,
            info.chunk_offsets.as_slice(),
            info.max_compressed_length
        ),
        (118, &[0u64][..], i32::MAX as u32)
    );
}

/// Goal: damaged chunks are never returned as data. Method: flip one random
/// bit of a multi-chunk Data.db, 300 times; reading must fail naming
/// Data.db and the damaged chunk's offset.
#[test]
fn bit_flips_in_data_are_caught_by_chunk_crcs() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let table = crate::common::table(&root, "oa", "legacy_oa_clust");
    let info = crate::common::compression_info(&table);
    assert!(info.chunk_offsets.len() > 1, "a multi-chunk file");
    let data_path = table.component("Data.db");
    let data = std::fs::read(&data_path).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..300 {
        let byte = rng.random_range(0..data.len());
        let mut damaged = data.clone();
        damaged[byte] ^= 1 << rng.random_range(0..8);
        let chunk_start = *info
            .chunk_offsets
            .iter()
            .rfind(|&&o| o <= byte as u64)
            .unwrap();
        match ChunkReader::new(&info, &damaged, &data_path)
            .unwrap()
            .read_all()
        {
            Err(Error::Corruption { path, offset, .. }) => {
                assert_eq!(path, data_path);
                assert_eq!(offset, chunk_start, "flip at {byte}");
            }
            other => panic!("flip at {byte}: {:?}", other.map(|d| d.len())),
        }
    }
}

/// Goal: a truncated or damaged CompressionInfo.db is an error, never a
/// panic or an allocation driven by a bad count.
#[test]
fn damaged_compression_info_is_refused() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let table = crate::common::table(&root, "nb", "legacy_nb_clust");
    let path = table.component("CompressionInfo.db");
    let bytes = std::fs::read(&path).unwrap();
    for cut in 0..bytes.len() {
        assert!(
            CompressionInfo::parse(&bytes[..cut], table.version, &path).is_err(),
            "cut {cut}"
        );
    }
    let mut rng = StdRng::seed_from_u64(9);
    for _ in 0..500 {
        let mut damaged = bytes.clone();
        let at = rng.random_range(0..damaged.len());
        damaged[at] = rng.random();
        // Either refused or, if the byte did not matter (an option value),
        // still describing chunks inside the data.
        if let Ok(info) = CompressionInfo::parse(&damaged, table.version, &path) {
            assert!(info.chunk_offsets.windows(2).all(|w| w[0] < w[1]));
        }
    }
}

/// CompressionInfo.db serializes back to Cassandra's bytes, and streams
/// compressed by Ilion read back identically through the checked reader.
#[test]
fn compression_round_trips() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    for version in ["ma", "nb", "oa"] {
        for table in crate::common::legacy_tables(&root, version) {
            let info_path = table.component("CompressionInfo.db");
            let bytes = std::fs::read(&info_path).unwrap();
            let info = CompressionInfo::parse(&bytes, table.version, &info_path).unwrap();
            assert_eq!(
                info.serialize(table.version),
                bytes,
                "{}",
                info_path.display()
            );

            let (data_path, stream) = crate::common::decompressed(&table, &info);
            for chunk_length in [4096, 16384] {
                let (compressed, ours) = ilion_sstable::compression::compress_stream(
                    &stream,
                    chunk_length,
                    table.version,
                );
                let reparsed = CompressionInfo::parse(
                    &ours.serialize(table.version),
                    table.version,
                    &info_path,
                )
                .unwrap();
                assert_eq!(reparsed, ours);
                let back = ChunkReader::new(&ours, &compressed, &data_path)
                    .unwrap()
                    .read_all()
                    .unwrap();
                assert_eq!(back, stream);
            }
        }
    }
}
