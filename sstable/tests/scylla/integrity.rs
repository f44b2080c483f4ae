//! The deliberately damaged tables of `*/integrity_check/` (version me):
//! `invalid_digest` holds the rows of
//! `partition_key_with_values_of_different_types` with a Digest.crc32 one
//! off; `invalid_checksums` has Data.db chunks that fail their CRC (in
//! CRC.db when uncompressed, after each chunk in Data.db under LZ4).
//! Ilion must name the failing component and never return a damaged
//! chunk's rows.

use crate::common::*;
use crate::types::check_different_types_content;
use ilion_sstable::compression::{ChunkReader, CompressionInfo};
use ilion_sstable::index::IndexReader;
use ilion_sstable::reader::SstableReader;
use ilion_sstable::Error;
use std::ops::Range;
use std::path::Path;

/// The reason of a corruption error about `file` (a path ending so).
fn corruption_in(e: Error, file: &str) -> String {
    match e {
        Error::Corruption { path, reason, .. } => {
            assert!(path.to_string_lossy().ends_with(file), "{}", path.display());
            reason
        }
        other => panic!("expected corruption in {file}, got {other}"),
    }
}

fn check_invalid_digest(table: &str) {
    let Some(r) = open(table) else {
        return;
    };
    // The data is intact: it reads as its undamaged twin does.
    check_different_types_content(&r);
    let reason = corruption_in(r.verify().unwrap_err(), "Data.db");
    let digest = std::fs::read_to_string(
        data_path(table, 1)
            .unwrap()
            .with_file_name("me-1-big-Digest.crc32"),
    )
    .unwrap();
    let stored: u32 = digest.trim().parse().unwrap();
    let data = std::fs::read(data_path(table, 1).unwrap()).unwrap();
    let actual = crc32fast::hash(&data);
    assert_ne!(actual, stored);
    assert_eq!(
        reason,
        format!("Data.db (CRC32 {actual}) does not match Digest.crc32 ({stored})")
    );
}

#[test]
fn uncompressed_invalid_digest() {
    check_invalid_digest("uncompressed/integrity_check/invalid_digest");
}

#[test]
fn lz4_invalid_digest() {
    check_invalid_digest("lz4/integrity_check/invalid_digest");
}

/// Each partition's key and its range of the data stream, from Index.db.
fn partitions(r: &SstableReader, data: &Path) -> Vec<(Vec<u8>, Range<u64>)> {
    let index_path = data.with_file_name("me-1-big-Index.db");
    let index = std::fs::read(&index_path).unwrap();
    let types = r.statistics().header.clustering_types.clone();
    let mut entries = IndexReader::new(&index, r.version(), &types, &index_path);
    let mut out: Vec<(Vec<u8>, Range<u64>)> = Vec::new();
    while let Some(entry) = entries.next_entry().unwrap() {
        if let Some(last) = out.last_mut() {
            last.1.end = entry.position;
        }
        out.push((entry.key, entry.position..r.data_length()));
    }
    out
}

/// Every key is looked up: those whose partition overlaps a damaged
/// stream range fail with a corruption of Data.db, the others read back
/// whole; scan and verify fail on the first damaged chunk.
fn check_damaged(r: &SstableReader, data: &Path, damaged: &[Range<u64>], reason_names: &str) {
    assert!(!damaged.is_empty(), "the fixture has no damaged chunk");
    let reason = corruption_in(r.scan().unwrap_err(), "Data.db");
    assert!(reason.contains(reason_names), "{reason}");
    let reason = corruption_in(r.verify().unwrap_err(), "Data.db");
    assert!(reason.contains(reason_names), "{reason}");
    let mut failed = 0;
    for (key, range) in partitions(r, data) {
        let overlaps = damaged
            .iter()
            .any(|d| d.start < range.end && range.start < d.end);
        match r.get(&key) {
            Ok(Some(p)) => {
                assert!(
                    !overlaps,
                    "partition {key:?} in a damaged chunk read as good"
                );
                assert_eq!(p.key, key);
            }
            Err(e) => {
                assert!(overlaps, "partition {key:?}: {e}");
                let reason = corruption_in(e, "Data.db");
                assert!(reason.contains(reason_names), "{reason}");
                failed += 1;
            }
            Ok(None) => panic!("{key:?} is in Index.db"),
        }
    }
    assert!(failed > 0);
}

#[test]
fn uncompressed_invalid_checksums() {
    let table = "uncompressed/integrity_check/invalid_checksums";
    let Some(r) = open(table) else {
        return;
    };
    let data_file = data_path(table, 1).unwrap();
    // The damaged chunks, by CRC.db's own reckoning: a chunk length, then
    // one CRC32 per chunk of Data.db.
    let crc = std::fs::read(data_file.with_file_name("me-1-big-CRC.db")).unwrap();
    let data = std::fs::read(&data_file).unwrap();
    let chunk = u32::from_be_bytes(crc[..4].try_into().unwrap()) as usize;
    let damaged: Vec<Range<u64>> = data
        .chunks(chunk)
        .zip(crc[4..].chunks(4))
        .enumerate()
        .filter(|(_, (bytes, stored))| crc32fast::hash(bytes).to_be_bytes() != **stored)
        .map(|(i, _)| (i * chunk) as u64..((i + 1) * chunk) as u64)
        .collect();
    check_damaged(&r, &data_file, &damaged, "CRC.db");
}

#[test]
fn lz4_invalid_checksums() {
    let table = "lz4/integrity_check/invalid_checksums";
    let Some(r) = open(table) else {
        return;
    };
    let data_file = data_path(table, 1).unwrap();
    let info_path = data_file.with_file_name("me-1-big-CompressionInfo.db");
    let info = CompressionInfo::parse(&std::fs::read(&info_path).unwrap(), r.version(), &info_path)
        .unwrap();
    let data = std::fs::read(&data_file).unwrap();
    let chunks = ChunkReader::new(&info, &data, &data_file).unwrap();
    let length = u64::from(info.chunk_length);
    let damaged: Vec<Range<u64>> = (0..chunks.chunk_count())
        .filter(|i| chunks.read_chunk(*i, &mut Vec::new()).is_err())
        .map(|i| i as u64 * length..(i as u64 + 1) * length)
        .collect();
    check_damaged(&r, &data_file, &damaged, "Data.db");
}
