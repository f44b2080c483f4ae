//! Index.db, Summary.db and point lookups through them, on every legacy
//! big-format table.

use ilion_sstable::bloom::{BloomFilter, FilterLayout};
use ilion_sstable::clustering::PrefixKind;
use ilion_sstable::data_reader::DataReader;
use ilion_sstable::index::IndexReader;
use ilion_sstable::lookup::KeyLookup;
use ilion_sstable::partitioner::Partitioner;
use ilion_sstable::summary::Summary;

#[test]
fn every_key_is_found_through_the_index_and_absent_keys_are_not() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let mut tables = 0;
    for version in ["ma", "mc", "md", "nb", "oa"] {
        for table in crate::common::legacy_tables(&root, version) {
            let read = |c: &str| std::fs::read(table.component(c)).unwrap();
            let loaded = crate::common::load(&table);
            let stats = &loaded.stats;
            let partitioner = Partitioner::from_class_name(&stats.validation.partitioner).unwrap();
            let (stream, data_path) = (&loaded.stream, &loaded.data_path);
            let layout = if table.version.has_old_bloom_filter_format() {
                FilterLayout::Legacy
            } else {
                FilterLayout::Current
            };
            let filter = BloomFilter::deserialize(&read("Filter.db"), layout).unwrap();
            let summary_path = table.component("Summary.db");
            let summary = Summary::parse(&read("Summary.db"), &summary_path).unwrap();
            let index_bytes = read("Index.db");
            let index_path = table.component("Index.db");
            let mut index = IndexReader::new(
                &index_bytes,
                table.version,
                &stats.header.clustering_types,
                &index_path,
            );

            let all = loaded.partitions(table.version);
            assert_eq!(summary.first_key, all.first().unwrap().key);
            assert_eq!(summary.last_key, all.last().unwrap().key);
            let lookup = KeyLookup::new(
                &index_bytes,
                &index_path,
                partitioner,
                &summary.first_key,
                &summary.last_key,
            )
            .unwrap();
            for partition in &all {
                let found = lookup
                    .find(
                        &partition.key,
                        BloomFilter::hash(&partition.key),
                        &filter,
                        &mut index,
                        &index_bytes,
                        &index_path,
                    )
                    .unwrap()
                    .unwrap_or_else(|| {
                        panic!("{}: key {:?} not found", table.dir.display(), partition.key)
                    });
                let offset = found.offset;
                let entry = index.entry_at(offset).unwrap();
                let mut reader = DataReader::new(stream, &stats.header, table.version, data_path);
                reader.seek(entry.position).unwrap();
                assert_eq!(&reader.next_partition().unwrap().unwrap(), partition);
                if let Some(row_index) = &entry.row_index {
                    assert_eq!(row_index.deletion, partition.deletion);
                    assert!(row_index.blocks.len() >= 2);
                }
            }
            for absent in [&b"5"[..], b"", b"00", b"4\0", &100i32.to_be_bytes()] {
                if all.iter().any(|p| p.key == absent) {
                    continue;
                }
                assert!(lookup
                    .find(
                        absent,
                        BloomFilter::hash(absent),
                        &filter,
                        &mut index,
                        &index_bytes,
                        &index_path,
                    )
                    .unwrap()
                    .is_none());
            }
            tables += 1;
        }
    }
    assert!(tables >= 25, "{tables}");
}

/// The row index blocks of nb and oa clust tables (format reference §8).
#[test]
fn row_index_blocks_match_the_reference() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    for (version, first_offset) in [("nb", 15), ("oa", 4)] {
        let table = crate::common::table(&root, version, "_clust");
        let stats = crate::common::statistics(&table);
        let index_path = table.component("Index.db");
        let bytes = std::fs::read(&index_path).unwrap();
        let mut index = IndexReader::new(
            &bytes,
            table.version,
            &stats.header.clustering_types,
            &index_path,
        );
        let entry = index.next_entry().unwrap().unwrap();
        let blocks = &entry.row_index.unwrap().blocks;
        if version == "nb" {
            assert_eq!(blocks.len(), 13);
        }
        let first = &blocks[0];
        assert_eq!(first.first.kind, PrefixKind::Clustering);
        assert!(first.first.values[0]
            .as_ref()
            .unwrap()
            .starts_with(b"00123"));
        assert!(first.last.values[0]
            .as_ref()
            .unwrap()
            .starts_with(b"110123"));
        assert_eq!(first.offset, first_offset);
        if version == "nb" {
            assert_eq!(first.width, 5370);
        }
        assert!(
            blocks
                .windows(2)
                .all(|w| w[0].offset + w[0].width == w[1].offset),
            "blocks are contiguous"
        );
    }
}
