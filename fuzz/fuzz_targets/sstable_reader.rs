//! Arbitrary bytes as SSTable components (both `nb` and `oa`): every
//! parser must return a value or an error, never panic, and never allocate
//! from an unchecked count. The first byte picks the version; the rest is
//! cut into Statistics.db, CompressionInfo.db, Data.db, Index.db,
//! Summary.db and Filter.db by the next five bytes.
//!
//! Where Statistics.db parses, its header drives the Data.db stream decoder
//! over the decompressed chunks (if they decompress) and over the raw
//! bytes, and the index reader over Index.db.

#![no_main]

use ilion_sstable::bloom::{BloomFilter, FilterLayout};
use ilion_sstable::compression::{ChunkReader, CompressionInfo};
use ilion_sstable::data_reader::DataReader;
use ilion_sstable::data_writer::DataWriter;
use ilion_sstable::index::IndexReader;
use ilion_sstable::statistics::Statistics;
use ilion_sstable::summary::Summary;
use ilion_sstable::version::Version;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

/// Whatever decodes must encode and decode again to the same partition.
fn check_round_trip(partition: &ilion_sstable::rows::Partition, stats: &Statistics, version: Version) {
    let mut encoded = Vec::new();
    DataWriter::new(&stats.header, version).write_partition(partition, &mut encoded);
    let mut reader = DataReader::new(&encoded, &stats.header, version, Path::new("re-encoded"));
    match reader.next_partition() {
        Ok(Some(again)) => assert_eq!(&again, partition),
        other => panic!("re-encoded partition does not decode: {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let version = if data[0] & 1 == 0 { Version::NB } else { Version::OA };
    let cuts = &data[1..6];
    let mut rest = &data[6..];
    let mut parts = Vec::new();
    for &cut in cuts {
        let at = (cut as usize * rest.len()) / 256;
        let (part, tail) = rest.split_at(at);
        parts.push(part);
        rest = tail;
    }
    parts.push(rest);
    let [stats, info, data_db, index, summary, filter] = parts[..] else { return };
    let path = Path::new("fuzz");

    let _ = Summary::parse(summary, path);
    let _ = BloomFilter::deserialize(filter, FilterLayout::Current);
    let _ = BloomFilter::deserialize(filter, FilterLayout::Legacy);

    let stream = match CompressionInfo::parse(info, version, path) {
        Ok(info) => ChunkReader::new(&info, data_db, path).ok().and_then(|r| r.read_all().ok()),
        Err(_) => None,
    };
    let Ok(stats) = Statistics::parse(stats, version, path) else { return };
    for bytes in [Some(data_db), stream.as_deref()].into_iter().flatten() {
        let mut reader = DataReader::new(bytes, &stats.header, version, path);
        for _ in 0..64 {
            match reader.next_partition() {
                Ok(Some(partition)) => check_round_trip(&partition, &stats, version),
                _ => break,
            }
        }
    }
    let mut reader = IndexReader::new(index, version, &stats.header.clustering_types, path);
    for _ in 0..64 {
        match reader.next_entry() {
            Ok(Some(_)) => {}
            _ => break,
        }
    }
});
