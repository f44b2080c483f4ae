//! Byte compatibility of the writers: decoding every legacy table's data
//! stream and encoding it again with the same header and version gives
//! Cassandra's Data.db stream, Index.db and Summary.db exactly.

use ilion_sstable::data_reader::DataReader;
use ilion_sstable::data_writer::DataWriter;
use ilion_sstable::index_writer::{write_index_entry, write_summary};

#[test]
fn re_encoding_every_legacy_data_stream_gives_cassandras_bytes() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let mut tables = 0;
    for version in ["ma", "mc", "md", "nb", "oa", "da"] {
        for table in crate::common::legacy_tables(&root, version) {
            let crate::common::LoadedTable {
                stats,
                info: _info,
                data_path,
                stream,
            } = crate::common::load(&table);
            let mut reader = DataReader::new(&stream, &stats.header, table.version, &data_path);
            let writer = DataWriter::new(&stats.header, table.version);
            let mut encoded = Vec::new();
            let mut index = Vec::new();
            let mut sampled = Vec::new();
            while let Some(p) = reader.next_partition().unwrap() {
                let position = encoded.len() as u64;
                let layout = writer.write_partition(&p, &mut encoded);
                sampled.push((p.key.clone(), index.len() as u64));
                // The test configuration indexes every 4 KiB.
                write_index_entry(&writer, &p, &layout, position, 4096, &mut index);
            }
            if table.version.format() == ilion_sstable::version::FormatType::Big {
                let index_path = table.component("Index.db");
                let expected = std::fs::read(&index_path).unwrap();
                let first_difference = index.iter().zip(&expected).position(|(a, b)| a != b);
                assert!(
                    index == expected,
                    "{}: {} bytes vs Cassandra's {}, first difference at {first_difference:?}",
                    index_path.display(),
                    index.len(),
                    expected.len()
                );
                let mut summary = Vec::new();
                write_summary(&sampled, 128, &mut summary);
                assert_eq!(
                    summary,
                    std::fs::read(table.component("Summary.db")).unwrap(),
                    "{}",
                    table.dir.display()
                );
            }
            let first_difference = encoded.iter().zip(&stream).position(|(a, b)| a != b);
            assert!(
                encoded == stream,
                "{}: {} bytes vs Cassandra's {}, first difference at {first_difference:?}",
                data_path.display(),
                encoded.len(),
                stream.len()
            );
            tables += 1;
        }
    }
    assert!(tables >= 30, "{tables}");
}
