//! Byte compatibility of whole SSTables: each `nb` and `oa` table Cassandra
//! wrote is rewritten by Ilion's streaming writer with the same version,
//! partitioner, header, chunk length and index granularity, and the files
//! are compared with Cassandra's.
//!
//! Identical byte for byte: the decompressed Data.db stream, Index.db,
//! Summary.db, Filter.db and TOC.txt's component set. Statistics.db is
//! identical once the fields that record the writing node or moment are
//! copied over: the commitlog bounds and intervals (which flush wrote
//! it), the originating host id, and the compression ratio (it depends on
//! the LZ4 encoder's choices, which are free within the format). Data.db's
//! compressed bytes, CompressionInfo.db's chunk offsets and Digest.crc32
//! follow from the encoder too; their chunk length, data length and chunk
//! count are compared, and the digest is checked against our own Data.db.

use ilion_sstable::bloom::BloomFilter;
use ilion_sstable::compression::{ChunkReader, CompressionInfo};
use ilion_sstable::descriptor::{Component, Descriptor};
use ilion_sstable::partitioner::Partitioner;
use ilion_sstable::reader::SstableReader;
use ilion_sstable::statistics::Statistics;
use ilion_sstable::statistics_writer::serialize_statistics;
use ilion_sstable::writer::{SstableWriter, WriterOptions};
use std::sync::Arc;

/// The partition count for which Ilion sizes a filter of Cassandra's shape
/// (Cassandra sized it from its own key estimate).
fn expected_partitions(on_disk: &BloomFilter, fp_chance: f64) -> u64 {
    (1..100_000)
        .find(|&n| {
            let f = BloomFilter::for_keys(n, fp_chance).unwrap();
            f.hash_count() == on_disk.hash_count() && f.bit_count() == on_disk.bit_count()
        })
        .expect("a partition count giving Cassandra's filter shape")
}

#[test]
fn rewriting_every_nb_and_oa_table_gives_cassandras_files() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let fs: Arc<dyn ilion_vfs::FileSystem> = Arc::new(ilion_vfs::RealFs);
    let mut checked = 0;
    for version in ["nb", "oa"] {
        for table in crate::common::legacy_tables(&root, version) {
            let loaded = crate::common::load(&table);
            let theirs = &loaded.stats;
            let name = table.dir.display().to_string();
            let filter_bytes = std::fs::read(table.component("Filter.db")).unwrap();
            let on_disk_filter = BloomFilter::deserialize(
                &filter_bytes,
                ilion_sstable::bloom::FilterLayout::Current,
            )
            .unwrap();
            let dir = tempfile::tempdir().unwrap();
            let options = WriterOptions {
                version: table.version,
                partitioner: Partitioner::from_class_name(&theirs.validation.partitioner).unwrap(),
                chunk_length: loaded.info.chunk_length,
                // The test configuration indexes every 4 KiB.
                column_index_size: 4096,
                bloom_filter_fp_chance: theirs.validation.bloom_filter_fp_chance,
                expected_partitions: expected_partitions(
                    &on_disk_filter,
                    theirs.validation.bloom_filter_fp_chance,
                ),
                ..WriterOptions::default()
            };
            let descriptor = Descriptor {
                dir: dir.path().to_path_buf(),
                version: table.version,
                generation: 1,
            };
            let mut writer = SstableWriter::create(
                fs.clone(),
                descriptor.clone(),
                theirs.header.clone(),
                options,
            )
            .unwrap();
            for p in loaded.partitions(table.version) {
                writer.append(&p).unwrap();
            }
            let data_path = writer.finish().unwrap();
            let ours = |c: Component| std::fs::read(descriptor.path(c)).unwrap();

            // The data stream, decompressed.
            let info_path = descriptor.path(Component::CompressionInfo);
            let info = CompressionInfo::parse(
                &ours(Component::CompressionInfo),
                table.version,
                &info_path,
            )
            .unwrap();
            let data = ours(Component::Data);
            let stream = ChunkReader::new(&info, &data, &data_path)
                .unwrap()
                .read_all()
                .unwrap();
            assert!(stream == loaded.stream, "{name}: data stream differs");
            assert_eq!(
                (
                    &info.compressor,
                    info.chunk_length,
                    info.data_length,
                    info.chunk_offsets.len()
                ),
                (
                    &loaded.info.compressor,
                    loaded.info.chunk_length,
                    loaded.info.data_length,
                    loaded.info.chunk_offsets.len()
                ),
                "{name}: compression info"
            );
            for component in [Component::Index, Component::Summary, Component::Filter] {
                let expected = std::fs::read(table.component(component.name())).unwrap();
                assert!(
                    ours(component) == expected,
                    "{name}: {} differs",
                    component.name()
                );
            }

            // Statistics, with the writer-side fields copied over.
            let stats_path = descriptor.path(Component::Statistics);
            let mut written =
                Statistics::parse(&ours(Component::Statistics), table.version, &stats_path)
                    .unwrap();
            let s = &mut written.stats;
            s.commit_log_upper_bound = theirs.stats.commit_log_upper_bound;
            s.commit_log_lower_bound = theirs.stats.commit_log_lower_bound;
            s.commit_log_intervals = theirs.stats.commit_log_intervals.clone();
            s.originating_host_id = theirs.stats.originating_host_id;
            s.compression_ratio = theirs.stats.compression_ratio;
            let expected = std::fs::read(table.component("Statistics.db")).unwrap();
            let rewritten = serialize_statistics(&written, table.version);
            let first_difference = rewritten.iter().zip(&expected).position(|(a, b)| a != b);
            assert!(
                rewritten == expected,
                "{name}: Statistics.db differs at {first_difference:?}\nours   {:?}\ntheirs {:?}",
                written.stats,
                theirs.stats
            );

            // The digest is Data.db's CRC32; the TOC lists the same set.
            let digest: u32 = String::from_utf8(ours(Component::Digest))
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(digest, crc32fast::hash(&data), "{name}");
            let set = |bytes: Vec<u8>| {
                let mut lines: Vec<String> = String::from_utf8(bytes)
                    .unwrap()
                    .lines()
                    .map(String::from)
                    .collect();
                lines.sort();
                lines
            };
            assert_eq!(
                set(ours(Component::Toc)),
                set(std::fs::read(table.component("TOC.txt")).unwrap()),
                "{name}"
            );
            // No temporary file is left, and the reader opens the result.
            let names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            assert!(names.iter().all(|n| !n.starts_with("tmp-")), "{names:?}");
            let reader = SstableReader::open(&data_path).unwrap();
            reader.verify().unwrap();
            assert_eq!(reader.scan().unwrap(), loaded.partitions(table.version));
            checked += 1;
        }
    }
    assert_eq!(checked, 8);
}
