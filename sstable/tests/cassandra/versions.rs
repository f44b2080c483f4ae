//! Every big-format version Cassandra 3.0–5.0 wrote, on real bytes where
//! the shared test data has them (ma, mb, mc, md, nb, nc, oa) and on bytes
//! constructed from real tables where it does not (me, na, and the stale
//! pre-release na layout, §13.3 of the format reference): each opens,
//! scans to the same partitions as its source, finds every key and
//! verifies.

use crate::common::TableFiles;
use ilion_sstable::bloom::{BloomFilter, FilterLayout};
use ilion_sstable::reader::SstableReader;
use ilion_sstable::statistics::Statistics;
use ilion_sstable::statistics_writer::serialize_statistics;
use ilion_sstable::version::Version;
use std::path::{Path, PathBuf};

/// Copies `table` into `dir` renamed to version `letters`, with
/// Statistics.db and Filter.db replaced; returns the new Data.db path.
fn copy_as(
    table: &TableFiles,
    dir: &Path,
    letters: &str,
    statistics: &[u8],
    filter: &[u8],
) -> PathBuf {
    let old = table.version.letters();
    for entry in std::fs::read_dir(&table.dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let renamed = name.replacen(&format!("{old}-"), &format!("{letters}-"), 1);
        let target = dir.join(&renamed);
        if name.ends_with("-Statistics.db") {
            std::fs::write(&target, statistics).unwrap();
        } else if name.ends_with("-Filter.db") {
            std::fs::write(&target, filter).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    dir.join(format!("{letters}-1-big-Data.db"))
}

fn read(table: &TableFiles, component: &str) -> Vec<u8> {
    std::fs::read(table.component(component)).unwrap()
}

/// Opens `data_path` and checks it reads exactly like `source`: the same
/// partitions from a scan, every one by `get`, and a clean verify.
fn reads_like(data_path: &Path, source: &TableFiles) -> SstableReader {
    let want = SstableReader::open(&source.component("Data.db"))
        .unwrap()
        .scan()
        .unwrap();
    let reader = SstableReader::open(data_path).unwrap_or_else(|e| panic!("{e}"));
    reader.verify().unwrap();
    assert_eq!(reader.scan().unwrap(), want, "{}", data_path.display());
    for p in &want {
        assert_eq!(
            reader.get(&p.key).unwrap().as_ref(),
            Some(p),
            "{}",
            data_path.display()
        );
    }
    reader
}

/// `me` (3.0.25 / 3.11.11): md's layout plus the originating host id. Made
/// from every md table: Statistics re-serialized in the me layout with a
/// host id, every other component (old-order Filter.db, CompressionInfo
/// without maxCompressedLength) kept as md wrote it, as me shares them.
#[test]
fn me_tables_made_from_md_read_back() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let me = Version::parse("me", "big").unwrap();
    let host = *b"\xcd\x74\xf9\x0bme-host-id-!";
    let mut tables = 0;
    for table in crate::common::legacy_tables(&root, "md") {
        let mut stats = crate::common::statistics(&table);
        stats.stats.originating_host_id = Some(host);
        let bytes = serialize_statistics(&stats, me);
        let md_bytes = read(&table, "Statistics.db");
        // The one layout difference: the flag byte and 16 bytes of the id.
        assert_eq!(bytes.len(), md_bytes.len() + 17);
        let dir = tempfile::tempdir().unwrap();
        let path = copy_as(&table, dir.path(), "me", &bytes, &read(&table, "Filter.db"));
        let reader = reads_like(&path, &table);
        assert_eq!(reader.version(), me);
        assert_eq!(reader.statistics(), &stats);
        tables += 1;
    }
    assert_eq!(tables, 8);
}

/// `na` (4.0-rc1): nb's layout without the host id. Made from every nb
/// table: Statistics re-serialized as na (pending repair flag and
/// isTransient, no host id), the rest as nb wrote it (na and nb share
/// Data.db, Index.db, the new Filter.db order and CompressionInfo).
#[test]
fn na_tables_made_from_nb_read_back() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let na = Version::parse("na", "big").unwrap();
    let mut tables = 0;
    for table in crate::common::legacy_tables(&root, "nb") {
        let mut stats = crate::common::statistics(&table);
        stats.stats.originating_host_id = None;
        stats.stats.is_transient = true;
        let bytes = serialize_statistics(&stats, na);
        let dir = tempfile::tempdir().unwrap();
        let path = copy_as(&table, dir.path(), "na", &bytes, &read(&table, "Filter.db"));
        let reader = reads_like(&path, &table);
        assert_eq!(reader.version(), na);
        assert_eq!(reader.statistics(), &stats);
        assert!(!reader.statistics().stats.stale_na);
        tables += 1;
    }
    assert_eq!(tables, 4);
}

/// The stale `na` tables (§13.3): a 4.0 pre-release wrote Statistics
/// without isTransient (the STATS component one byte short of its
/// table-of-contents boundary) and Filter.db in the old byte order. Made
/// from every nb table: Statistics in that layout (component CRCs and
/// offsets recomputed by the serializer), the Filter rewritten in the old
/// order. The reader must detect the layout from the component's length
/// and read the filter in the old order; read in the new order, the
/// filter would reject keys the table holds.
#[test]
fn stale_na_tables_are_detected_and_read() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let na = Version::parse("na", "big").unwrap();
    let mut tables = 0;
    for table in crate::common::legacy_tables(&root, "nb") {
        let mut stats = crate::common::statistics(&table);
        stats.stats.originating_host_id = None;
        stats.stats.stale_na = true;
        let bytes = serialize_statistics(&stats, na);
        let current_na = {
            let mut s = stats.clone();
            s.stats.stale_na = false;
            serialize_statistics(&s, na)
        };
        assert_eq!(bytes.len() + 1, current_na.len(), "one byte short");
        let filter = BloomFilter::deserialize(&read(&table, "Filter.db"), FilterLayout::Current)
            .unwrap()
            .serialize(FilterLayout::Legacy);
        let dir = tempfile::tempdir().unwrap();
        let path = copy_as(&table, dir.path(), "na", &bytes, &filter);
        let parsed = Statistics::parse(&bytes, na, &path).unwrap();
        assert!(parsed.stats.stale_na && !parsed.stats.is_transient);
        assert_eq!(parsed.filter_layout(na), FilterLayout::Legacy);
        let reader = reads_like(&path, &table);
        assert_eq!(reader.statistics(), &stats);
        // Not vacuous: the same bytes read in the new order miss keys.
        let misread = BloomFilter::deserialize(&filter, FilterLayout::Current).unwrap();
        let keys: Vec<Vec<u8>> = reader.scan().unwrap().into_iter().map(|p| p.key).collect();
        assert!(
            keys.iter().any(|k| !misread.may_contain(k)),
            "{}: the old order must matter",
            table.dir.display()
        );
        tables += 1;
    }
    assert_eq!(tables, 4);
}

/// A current `na` and its stale form cannot be confused with the other
/// versions: only `na` ever ends one byte early, and every real table of
/// every other version parses with the flag off.
#[test]
fn no_real_table_is_taken_for_a_stale_na() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    for version in ["ma", "mc", "md", "nb", "oa"] {
        for table in crate::common::legacy_tables(&root, version) {
            let stats = crate::common::statistics(&table);
            assert!(!stats.stats.stale_na);
            assert_eq!(
                stats.filter_layout(table.version) == FilterLayout::Legacy,
                version.starts_with('m')
            );
        }
    }
}

fn edge(root: &Path, dir: &str) -> PathBuf {
    let dir = root.join("edge-cases").join(dir);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_str().unwrap().ends_with("-Data.db"))
        .unwrap()
}

/// `nc` (the unreleased 5.0 development letter, real files in the
/// negative-ldts test data): nb's rules, and its Stats tail after the host
/// id parsed: the partition-level-deletion flag (true only for the table
/// with a partition deletion, CompactionsCQLTest), first and last keys
/// equal to the data's first and last partitions. The serializer
/// reproduces mb's and the mc/nb edge tables' Statistics byte for byte
/// (the 7 layouts: ma, mc = md and nb, oa are covered by the legacy
/// tables' round trip in statistics.rs).
#[test]
fn nc_and_mb_statistics_read_as_written() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    for (dir, deletion) in [
        (
            "negative-ldts-invalid-deletions-test/invalid_partition_deletion",
            true,
        ),
        (
            "negative-ldts-invalid-deletions-test/invalid_tombstones",
            false,
        ),
    ] {
        let reader = SstableReader::open(&edge(&root, dir)).unwrap();
        assert_eq!(reader.version().letters(), "nc");
        let stats = &reader.statistics().stats;
        assert_eq!(stats.has_partition_level_deletions, Some(deletion), "{dir}");
        let all = reader.scan().unwrap();
        let (first, last) = stats.key_range.clone().unwrap();
        assert_eq!(first, all.first().unwrap().key, "{dir}");
        assert_eq!(last, all.last().unwrap().key, "{dir}");
        // The host-id flag byte is there (0: the unit-test node had none);
        // the tail after it parsed, so the flag was consumed.
        assert_eq!(stats.originating_host_id, None);
        assert!(matches!(
            stats.clustering,
            ilion_sstable::statistics::ClusteringRange::Legacy { .. }
        ));
        assert_eq!(stats.token_space_coverage, None);
    }
    for dir in [
        "invalid-legacy-sstables/Keyspace1/cf_with_duplicates_3_0",
        "negative-local-expiration-test/table3",
        "negative-ldts-invalid-deletions-test/invalid_range_tombstone_reader",
    ] {
        let data = edge(&root, dir);
        let path = PathBuf::from(data.to_str().unwrap().replace("-Data.db", "-Statistics.db"));
        let reader = SstableReader::open(&data).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            serialize_statistics(reader.statistics(), reader.version()),
            bytes,
            "{dir}"
        );
    }
}
