//! `partition_key_with_values_of_different_types` under every compressor
//! Cassandra offers (LZ4, Snappy, Deflate, Zstd: Ilion reads all four),
//! and zstd's `multiple_chunks` (many 4 KiB chunks). Expected contents:
//! `test_*_partition_key_with_values_of_different_types_read` and
//! `test_zstd_compression` in scylladb's test/boost/sstable_3_x_test.cc.

use crate::basic::typed_values;
use crate::common::*;
use ilion_sstable::compression::CompressionInfo;
use ilion_sstable::reader::SstableReader;
use ilion_sstable::version::Version;
use ilion_sstable::Error;

/// Murmur3 order of the int keys 1..=5.
const KEY_ORDER: [i32; 5] = [5, 1, 2, 4, 3];

fn check_different_types(r: &SstableReader) {
    check_different_types_content(r);
    r.verify().unwrap();
}

/// The contents of `partition_key_with_values_of_different_types`, read
/// by scan and by lookups (the damaged-digest copy holds the same).
pub fn check_different_types_content(r: &SstableReader) {
    let scanned = r.scan().unwrap();
    assert_eq!(scanned.len(), 5);
    for (p, k) in scanned.iter().zip(KEY_ORDER) {
        assert_eq!(p.key, int(k));
        assert_live_partition(p);
        let rows = rows(p);
        assert_eq!(rows.len(), 1);
        assert!(rows[0].clustering.is_empty());
        assert_inserted(rows[0]);
        let mut got = live_values(r, rows[0], false);
        got.sort();
        let mut expected: Vec<(String, Vec<u8>)> = typed_values(k)
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        expected.sort();
        assert_eq!(got, expected, "key {k}");
    }
    check_lookups(r, &scanned, &absent_ints());
}

/// Version mc, the fixtures' (another helper may add named versions).
fn mc() -> Version {
    Version::parse("mc", "big").unwrap()
}

/// Opens `table` (whose CompressionInfo.db names `compressor`, by its
/// simple class name as Cassandra 3.x writes it) and runs `check` on it.
fn open_compressed(table: &str, compressor: &str, check: impl Fn(&SstableReader)) {
    let Some(path) = data_path(table, 1) else {
        return;
    };
    let info_path = path.with_file_name("mc-1-big-CompressionInfo.db");
    let info =
        CompressionInfo::parse(&std::fs::read(&info_path).unwrap(), mc(), &info_path).unwrap();
    assert_eq!(info.compressor, compressor);
    let r = SstableReader::open(&path).unwrap_or_else(|e| panic!("{table}: {e}"));
    check(&r);
}

/// A compressor Ilion does not know is refused at open with an
/// `Unsupported` error naming it, not read as garbage: the LZ4 table
/// copied with its CompressionInfo.db naming another class.
#[test]
fn unknown_compressor_is_unsupported() {
    let Some(path) = data_path("lz4/partition_key_with_values_of_different_types", 1) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(path.parent().unwrap()).unwrap() {
        let entry = entry.unwrap().path();
        std::fs::copy(&entry, dir.path().join(entry.file_name().unwrap())).unwrap();
    }
    let info_path = dir.path().join("mc-1-big-CompressionInfo.db");
    let mut info =
        CompressionInfo::parse(&std::fs::read(&info_path).unwrap(), mc(), &info_path).unwrap();
    info.compressor = "org.example.RotCompressor".to_string();
    std::fs::write(&info_path, info.serialize(mc())).unwrap();
    match SstableReader::open(&dir.path().join("mc-1-big-Data.db")) {
        Err(Error::Unsupported { what, path }) => {
            assert_eq!(what, "compressor org.example.RotCompressor");
            assert!(path.ends_with("mc-1-big-Data.db"), "{}", path.display());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn uncompressed_different_types() {
    if let Some(r) = open("uncompressed/partition_key_with_values_of_different_types") {
        check_different_types(&r);
    }
}

#[test]
fn lz4_different_types() {
    if let Some(r) = open("lz4/partition_key_with_values_of_different_types") {
        assert!(r
            .statistics()
            .header
            .regular_columns
            .iter()
            .any(|c| c.name == b"timeuuid_val"));
        check_different_types(&r);
    }
}

#[test]
fn snappy_different_types() {
    open_compressed(
        "snappy/partition_key_with_values_of_different_types",
        "SnappyCompressor",
        check_different_types,
    );
}

#[test]
fn deflate_different_types() {
    open_compressed(
        "deflate/partition_key_with_values_of_different_types",
        "DeflateCompressor",
        check_different_types,
    );
}

#[test]
fn zstd_different_types() {
    open_compressed(
        "zstd/partition_key_with_values_of_different_types",
        "ZstdCompressor",
        check_different_types,
    );
}

/// `test_zstd_compression`: `INSERT (val1, val2) VALUES (0, i)` for i in
/// 1..=2000, in 4 KiB chunks.
#[test]
fn zstd_multiple_chunks() {
    open_compressed("zstd/multiple_chunks", "ZstdCompressor", |r| {
        let scanned = r.scan().unwrap();
        assert_eq!(scanned.len(), 1);
        assert_eq!(scanned[0].key, int(0));
        let rows = rows(&scanned[0]);
        let clusterings: Vec<_> = rows.iter().map(|r| r.clustering.clone()).collect();
        let expected: Vec<_> = (1..=2000).map(|i| vec![Some(int(i))]).collect();
        assert_eq!(clusterings, expected);
        for row in rows {
            assert_inserted(row);
            assert!(row.columns.is_empty());
        }
        check_lookups(r, &scanned, &absent_ints());
        r.verify().unwrap();
    });
}
