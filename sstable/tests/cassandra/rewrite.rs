//! Byte compatibility of the Data.db encoder: decoding every legacy table's
//! data stream and encoding it again with the same header and version gives
//! Cassandra's bytes exactly.

use ilion_sstable::compression::{ChunkReader, CompressionInfo};
use ilion_sstable::data_reader::DataReader;
use ilion_sstable::data_writer::DataWriter;
use ilion_sstable::statistics::Statistics;

#[test]
fn re_encoding_every_legacy_data_stream_gives_cassandras_bytes() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let mut tables = 0;
    for version in ["ma", "mc", "md", "nb", "oa", "da"] {
        for table in crate::common::legacy_tables(&root, version) {
            let stats_path = table.component("Statistics.db");
            let stats = Statistics::parse(
                &std::fs::read(&stats_path).unwrap(),
                table.version,
                &stats_path,
            )
            .unwrap();
            let info_path = table.component("CompressionInfo.db");
            let info = CompressionInfo::parse(
                &std::fs::read(&info_path).unwrap(),
                table.version,
                &info_path,
            )
            .unwrap();
            let data_path = table.component("Data.db");
            let data = std::fs::read(&data_path).unwrap();
            let stream = ChunkReader::new(&info, &data, &data_path)
                .unwrap()
                .read_all()
                .unwrap();
            let mut reader = DataReader::new(&stream, &stats.header, table.version, &data_path);
            let writer = DataWriter::new(&stats.header, table.version);
            let mut encoded = Vec::new();
            while let Some(p) = reader.next_partition().unwrap() {
                writer.write_partition(&p, &mut encoded);
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
