//! Statistics.db of every legacy table, against what the test that wrote
//! them put in (format reference §14) and the version flags.

use ilion_sstable::clustering::PrefixKind;
use ilion_sstable::statistics::{ClusteringRange, Statistics};

const UTF8: &str = "org.apache.cassandra.db.marshal.UTF8Type";
const INT32: &str = "org.apache.cassandra.db.marshal.Int32Type";
const COUNTER: &str = "org.apache.cassandra.db.marshal.CounterColumnType";

/// "0123456789" repeated 120 times.
fn long() -> Vec<u8> {
    b"0123456789".repeat(120)
}

/// The stored sketch of keys "0" to "4" (format reference §4.3).
const SKETCH_0_TO_4: &str = "fffffffe0d190105 92f2850190f61ff4b3aa02b2bdfc05e0fcdd10";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn statistics_of_every_legacy_table_match_what_was_written() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let mut checked = 0;
    for version in ["ma", "mc", "md", "nb", "oa", "da"] {
        for table in crate::common::legacy_tables(&root, version) {
            let path = table.component("Statistics.db");
            let stats = Statistics::parse(&std::fs::read(&path).unwrap(), table.version, &path)
                .unwrap_or_else(|e| panic!("{e}"));
            let name = table.dir.file_name().unwrap().to_str().unwrap().to_string();
            let what = format!("{name}: {stats:#?}");
            assert_eq!(
                stats.validation.partitioner, "org.apache.cassandra.dht.ByteOrderedPartitioner",
                "{what}"
            );
            assert_eq!(stats.validation.bloom_filter_fp_chance, 0.01);
            let h = &stats.header;
            let s = &stats.stats;
            assert!(s.min_timestamp <= s.max_timestamp);
            assert_eq!(
                h.min_timestamp, s.min_timestamp,
                "header base is the min timestamp: {what}"
            );
            assert_eq!(s.repaired_at, 0);
            assert_eq!(s.sstable_level, 0);
            assert_eq!(
                s.originating_host_id.is_some(),
                table.version.has_originating_host_id(),
                "{what}"
            );
            if name.ends_with("inaccurate_min_max") {
                assert_eq!(h.key_type, INT32);
                assert_eq!(h.clustering_types, vec![INT32; 3]);
                checked += 1;
                continue;
            }
            assert_eq!(h.key_type, UTF8, "{what}");
            assert_eq!(
                hex(&stats.compaction.cardinality_sketch),
                SKETCH_0_TO_4.replace(' ', ""),
                "{what}"
            );
            let counter = name.contains("counter");
            let value_type = if counter { COUNTER } else { UTF8 };
            let clustered = name.contains("clust");
            let compact_simple = name.contains("simple") && name.ends_with("compact");
            let columns = if compact_simple {
                &h.static_columns
            } else {
                &h.regular_columns
            };
            assert_eq!(columns.len(), 1, "{what}");
            assert_eq!(columns[0].name, b"val");
            assert_eq!(columns[0].type_string, value_type);
            assert_eq!(
                h.clustering_types.len(),
                usize::from(clustered || compact_simple),
                "{what}"
            );
            let rows = if clustered { 250 } else { 5 };
            if !compact_simple {
                assert_eq!((s.total_rows, s.total_columns_set), (rows, rows), "{what}");
            }
            if let Some((first, last)) = &s.key_range {
                assert_eq!((first.as_slice(), last.as_slice()), (&b"0"[..], &b"4"[..]));
            }
            match &s.clustering {
                ClusteringRange::Slice { start, end, .. } if clustered => {
                    let mut min = b"0".to_vec();
                    min.extend(long());
                    let mut max = b"9".to_vec();
                    max.extend(long());
                    assert_eq!(start.kind, PrefixKind::InclStartBound);
                    assert_eq!(start.values, vec![Some(min)]);
                    assert_eq!(end.kind, PrefixKind::InclEndBound);
                    assert_eq!(end.values, vec![Some(max)]);
                }
                ClusteringRange::Slice { start, end, .. } => {
                    assert_eq!(
                        (start.kind, end.kind),
                        (PrefixKind::InclStartBound, PrefixKind::InclEndBound)
                    );
                    assert!(start.values.is_empty() && end.values.is_empty());
                }
                ClusteringRange::Legacy { min, max }
                    if clustered && table.version.has_accurate_min_max() =>
                {
                    assert_eq!(min.len(), 1, "{what}");
                    assert_eq!(&min[0][..1], b"0");
                    assert_eq!(&max[0][..1], b"9");
                }
                ClusteringRange::Legacy { .. } => {}
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked}");
}

/// Goal: damage to Statistics.db is reported, never a panic. Checksummed
/// versions catch every flipped bit.
#[test]
fn damaged_statistics_are_refused() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    for version in ["nb", "oa"] {
        let table = crate::common::table(&root, version, "_clust");
        let path = table.component("Statistics.db");
        let bytes = std::fs::read(&path).unwrap();
        for cut in (0..bytes.len()).step_by(7) {
            assert!(
                Statistics::parse(&bytes[..cut], table.version, &path).is_err(),
                "cut {cut}"
            );
        }
        for i in (0..bytes.len()).step_by(3) {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x10;
            assert!(
                Statistics::parse(&damaged, table.version, &path).is_err(),
                "{version}: flip at {i}"
            );
        }
    }
}

/// The Statistics.db serializer reproduces every legacy file from its
/// parsed contents, in every version's layout.
#[test]
fn statistics_serialize_back_to_cassandras_bytes() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let mut checked = 0;
    for version in ["ma", "mc", "md", "nb", "oa", "da"] {
        for table in crate::common::legacy_tables(&root, version) {
            let path = table.component("Statistics.db");
            let bytes = std::fs::read(&path).unwrap();
            let stats = Statistics::parse(&bytes, table.version, &path).unwrap();
            let written =
                ilion_sstable::statistics_writer::serialize_statistics(&stats, table.version);
            let first_difference = written.iter().zip(&bytes).position(|(a, b)| a != b);
            assert!(
                written == bytes,
                "{}: {} bytes vs {}, first difference at {first_difference:?}",
                path.display(),
                written.len(),
                bytes.len()
            );
            checked += 1;
        }
    }
    assert!(checked >= 30);
}

/// The statistics collector computes what Cassandra recorded: both
/// histograms, timestamp, deletion-time and TTL bounds, totals, key range.
/// Checked for the versions Ilion writes (nb, oa) and their neighbours; the
/// `mc` files count each partition's cells twice (a 3.0.x writer quirk
/// Ilion does not reproduce).
#[test]
fn collected_statistics_match_cassandras() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let mut checked = 0;
    for version in ["ma", "md", "nb", "oa", "da"] {
        for table in crate::common::legacy_tables(&root, version) {
            let loaded = crate::common::load(&table);
            let mut collector = ilion_sstable::stats_collector::StatsCollector::new(
                table.version,
                &loaded.stats.header.clustering_types,
            );
            let mut start = 0;
            for p in loaded.partitions(table.version) {
                let mut encoded = Vec::new();
                let layout = ilion_sstable::data_writer::DataWriter::new(
                    &loaded.stats.header,
                    table.version,
                )
                .write_partition(&p, &mut encoded);
                collector.add_partition(&p, layout.length);
                start += layout.length;
            }
            assert_eq!(start as usize, loaded.stream.len());
            let s = &loaded.stats.stats;
            let name = table.dir.display().to_string();
            assert_eq!(
                (
                    &collector.partition_sizes.offsets,
                    &collector.partition_sizes.counts
                ),
                (&s.partition_sizes.0, &s.partition_sizes.1),
                "{name}: partition sizes"
            );
            assert_eq!(
                collector.cells_per_partition.offsets, s.cells_per_partition.0,
                "{name}: cell buckets"
            );
            let nonzero = |c: &[i64]| {
                c.iter()
                    .enumerate()
                    .filter(|(_, n)| **n != 0)
                    .map(|(i, n)| (i, *n))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                nonzero(&collector.cells_per_partition.counts),
                nonzero(&s.cells_per_partition.1),
                "{name}: cells per partition"
            );
            assert_eq!(
                collector.cells_per_partition.counts.len(),
                s.cells_per_partition.1.len()
            );
            assert_eq!(
                (collector.min_timestamp, collector.max_timestamp),
                (s.min_timestamp, s.max_timestamp),
                "{name}"
            );
            assert_eq!(
                (
                    collector.min_local_deletion_time,
                    collector.max_local_deletion_time
                ),
                (s.min_local_deletion_time, s.max_local_deletion_time),
                "{name}"
            );
            assert_eq!(
                (collector.min_ttl, collector.max_ttl),
                (s.min_ttl, s.max_ttl),
                "{name}"
            );
            assert_eq!(
                (collector.total_rows, collector.total_columns_set),
                (s.total_rows, s.total_columns_set),
                "{name}"
            );
            if let Some(range) = &s.key_range {
                assert_eq!(collector.key_range.as_ref(), Some(range), "{name}");
                assert_eq!(
                    Some(collector.has_partition_level_deletions),
                    s.has_partition_level_deletions,
                    "{name}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 25, "{checked}");
}

/// The cardinality sketch of each table's partition keys is the one
/// Cassandra stored, in every version.
#[test]
fn cardinality_sketches_match_cassandras() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let mut checked = 0;
    for version in ["ma", "mc", "md", "nb", "oa", "da"] {
        for table in crate::common::legacy_tables(&root, version) {
            let loaded = crate::common::load(&table);
            let mut sketch = ilion_sstable::cardinality::CardinalitySketch::new();
            for p in loaded.partitions(table.version) {
                sketch.offer(&p.key);
            }
            assert_eq!(
                sketch.to_bytes(),
                loaded.stats.compaction.cardinality_sketch,
                "{}",
                table.dir.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 30);
}
