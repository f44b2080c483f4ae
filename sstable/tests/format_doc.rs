//! The worked example of docs/format.md ("An SSTable Ilion writes") is
//! checked here against the real writer: each ```hex block named there must
//! equal the bytes Ilion writes for the example partition.

#![allow(clippy::unwrap_used)]

use ilion_sstable::descriptor::{Component, Descriptor};
use ilion_sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion_sstable::rows::{Cell, ColumnData, Partition, Row, Unfiltered};
use ilion_sstable::schema::TableSchema;
use ilion_sstable::version::Version;
use ilion_sstable::writer::{SstableWriter, WriterOptions};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The ```hex blocks of docs/format.md, by name (`hex name`), as bytes.
fn documented_blocks() -> BTreeMap<String, Vec<u8>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/format.md");
    let text = std::fs::read_to_string(path).unwrap();
    let mut blocks = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line.strip_prefix("```hex ") else {
            continue;
        };
        let mut bytes = Vec::new();
        for body in lines.by_ref().take_while(|l| !l.starts_with("```")) {
            // Everything after '#' is commentary.
            let hex = body.split('#').next().unwrap_or_default();
            for pair in hex.split_whitespace() {
                bytes.push(u8::from_str_radix(pair, 16).unwrap());
            }
        }
        blocks.insert(name.trim().to_string(), bytes);
    }
    blocks
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x} ")).collect()
}

#[test]
fn the_worked_example_is_what_the_writer_writes() {
    let timestamp = 1_700_000_000_000_000;
    let partition = Partition {
        key: b"k1".to_vec(),
        deletion: DeletionTime::LIVE,
        static_row: None,
        unfiltereds: vec![Unfiltered::Row(Row {
            clustering: Vec::new(),
            liveness: Some(LivenessInfo {
                timestamp,
                expiry: None,
            }),
            deletion: None,
            columns: vec![ColumnData::Simple {
                column: 0,
                cell: Cell {
                    timestamp,
                    kind: CellKind::Live,
                    path: None,
                    value: b"v1".to_vec(),
                },
            }],
        })],
    };
    let dir = tempfile::tempdir().unwrap();
    let descriptor = Descriptor {
        dir: dir.path().to_path_buf(),
        version: Version::OA,
        generation: 1,
    };
    let header = TableSchema::key_value().serialization_header(timestamp, 0, 0);
    let options = WriterOptions {
        expected_partitions: 1,
        ..WriterOptions::default()
    };
    let mut writer = SstableWriter::create(
        Arc::new(ilion_vfs::RealFs),
        descriptor.clone(),
        header,
        options,
    )
    .unwrap();
    writer.append(&partition).unwrap();
    writer.finish().unwrap();
    let read = |c: Component| std::fs::read(descriptor.path(c)).unwrap();

    let data = read(Component::Data);
    // One chunk: LZ4's length prefix, the block, the CRC.
    let stream_length = u32::from_le_bytes(data[..4].try_into().unwrap()) as usize;
    let stream = lz4_flex::block::decompress(&data[4..data.len() - 4], stream_length).unwrap();
    let written = [
        ("oa-data-stream", stream),
        ("oa-index", read(Component::Index)),
        ("oa-summary", read(Component::Summary)),
        ("oa-toc", read(Component::Toc)),
    ];
    let documented = documented_blocks();
    let mut wrong = Vec::new();
    for (name, bytes) in written {
        match documented.get(name) {
            Some(doc) if *doc == bytes => {}
            Some(doc) => wrong.push(format!(
                "{name}: documented {}\n{:width$}  written    {}",
                hex(doc),
                "",
                hex(&bytes),
                width = name.len()
            )),
            None => wrong.push(format!("docs/format.md has no ```hex {name} block")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
