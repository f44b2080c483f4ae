//! Damaged copies of a real SSTable Ilion wrote, opened and read through
//! every path: open, point lookups, slices, full and token-range scans,
//! verify. The checksum sidecar is left out so that the damage reaches the
//! parsers (with it, open refuses any damaged component); whatever the
//! damage, nothing may panic or allocate from an unchecked length.
//!
//! The input is a list of edits, 4 bytes each: component, offset (two
//! bytes, scaled to the component's length) and a byte to XOR in; an edit
//! whose byte is 0 truncates the component there instead.

#![no_main]

use ilion_sstable::clustering::ClusteringBound;
use ilion_sstable::descriptor::{Component, Descriptor};
use ilion_sstable::partitioner::Token;
use ilion_sstable::reader::{Slice, SstableReader};
use ilion_sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion_sstable::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};
use ilion_sstable::schema::{ClusteringOrder, Column, TableSchema};
use ilion_sstable::version::Version;
use ilion_sstable::writer::{SstableWriter, WriterOptions, WRITTEN_COMPONENTS};
use libfuzzer_sys::fuzz_target;
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

struct Pristine {
    dir: PathBuf,
    components: Vec<(Component, Vec<u8>)>,
    keys: Vec<Vec<u8>>,
    descriptor: Descriptor,
}

fn partition(i: u32) -> Partition {
    let rows: i32 = if i % 7 == 0 { 300 } else { 3 };
    let mut unfiltereds = Vec::new();
    for ck in 0..rows {
        if ck == 10 {
            unfiltereds.push(Unfiltered::Marker(Marker {
                bound: ClusteringBound {
                    kind: ilion_sstable::clustering::PrefixKind::InclStartBound,
                    values: vec![Some(10i32.to_be_bytes().to_vec())],
                },
                end_deletion: None,
                start_deletion: Some(DeletionTime {
                    marked_for_delete_at: 5,
                    local_deletion_time: 1_700_000_000,
                }),
            }));
        }
        unfiltereds.push(Unfiltered::Row(Row {
            clustering: vec![Some(ck.to_be_bytes().to_vec())],
            liveness: Some(LivenessInfo {
                timestamp: 10 + i64::from(ck),
                expiry: (ck % 5 == 0).then_some((100, 1_700_000_100)),
            }),
            deletion: None,
            columns: vec![ColumnData::Simple {
                column: 0,
                cell: Cell {
                    timestamp: 10 + i64::from(ck),
                    kind: if ck % 9 == 0 {
                        CellKind::Tombstone {
                            local_deletion_time: 1_700_000_000,
                        }
                    } else {
                        CellKind::Live
                    },
                    path: None,
                    value: if ck % 9 == 0 { Vec::new() } else { format!("v{i}-{ck}").into_bytes() },
                },
            }],
        }));
        if ck == 20 {
            unfiltereds.push(Unfiltered::Marker(Marker {
                bound: ClusteringBound {
                    kind: ilion_sstable::clustering::PrefixKind::InclEndBound,
                    values: vec![Some(ck.to_be_bytes().to_vec())],
                },
                end_deletion: Some(DeletionTime {
                    marked_for_delete_at: 5,
                    local_deletion_time: 1_700_000_000,
                }),
                start_deletion: None,
            }));
        }
    }
    Partition {
        key: format!("key-{i}").into_bytes(),
        deletion: DeletionTime::LIVE,
        static_row: (i % 3 == 0).then(|| Row {
            clustering: Vec::new(),
            liveness: None,
            deletion: None,
            columns: vec![ColumnData::Simple {
                column: 0,
                cell: Cell {
                    timestamp: 3,
                    kind: CellKind::Live,
                    path: None,
                    value: b"static".to_vec(),
                },
            }],
        }),
        unfiltereds,
    }
}

fn pristine() -> &'static Pristine {
    static PRISTINE: OnceLock<Pristine> = OnceLock::new();
    PRISTINE.get_or_init(|| {
        let t = |n: &str| format!("org.apache.cassandra.db.marshal.{n}");
        let schema = TableSchema::new(
            vec![Column::new("pk", t("BytesType"))],
            vec![(Column::new("ck", t("Int32Type")), ClusteringOrder::Asc)],
            vec![Column::new("s", t("UTF8Type"))],
            vec![Column::new("v", t("UTF8Type"))],
        )
        .expect("schema");
        let dir = std::env::temp_dir().join(format!("ilion-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let source = dir.join("source");
        std::fs::create_dir_all(&source).expect("dir");
        let descriptor = Descriptor { dir: source.clone(), version: Version::OA, generation: 1 };
        let options = WriterOptions {
            column_index_size: 512,
            chunk_length: 1024,
            min_index_interval: 4,
            expected_partitions: 40,
            ..WriterOptions::default()
        };
        let mut partitions: Vec<Partition> = (0..40).map(partition).collect();
        partitions.sort_by(|a, b| options.partitioner.compare(&a.key, &b.key));
        let mut writer = SstableWriter::create(
            Arc::new(ilion_vfs::RealFs),
            descriptor.clone(),
            schema.serialization_header(0, 0, 0),
            options,
        )
        .expect("writer");
        for p in &partitions {
            writer.append(p).expect("append");
        }
        writer.finish().expect("finish");
        let components = WRITTEN_COMPONENTS
            .iter()
            .filter(|c| **c != Component::IlionChecksums)
            .map(|c| (*c, std::fs::read(descriptor.path(*c)).expect("read")))
            .collect();
        let target = Descriptor { dir: dir.join("damaged"), ..descriptor };
        std::fs::create_dir_all(&target.dir).expect("dir");
        Pristine {
            dir,
            components,
            keys: partitions.into_iter().map(|p| p.key).collect(),
            descriptor: target,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let p = pristine();
    let _ = &p.dir;
    let mut components = p.components.clone();
    for edit in data.chunks_exact(4) {
        let (component, bytes) = &mut components[edit[0] as usize % p.components.len()];
        let _ = component;
        if bytes.is_empty() {
            continue;
        }
        let offset = (usize::from(u16::from_le_bytes([edit[1], edit[2]])) * bytes.len()) >> 16;
        if edit[3] == 0 {
            bytes.truncate(offset);
        } else {
            bytes[offset] ^= edit[3];
        }
    }
    for (component, bytes) in &components {
        std::fs::write(p.descriptor.path(*component), bytes).expect("write");
    }
    let Ok(reader) = SstableReader::open(&p.descriptor.path(Component::Data)) else {
        return;
    };
    for key in p.keys.iter().take(12) {
        let _ = reader.get(key);
        let _ = reader.slice(key, &Slice::all(), true);
        let slice = Slice {
            start: Some(vec![Some(5i32.to_be_bytes().to_vec())]),
            end: Some(vec![Some(250i32.to_be_bytes().to_vec())]),
        };
        let _ = reader.slice(key, &slice, false);
    }
    let _ = reader.get(b"absent");
    if let Ok(scan) = reader.iter() {
        for partition in scan.take(100) {
            let _ = partition;
        }
    }
    if let Ok(scan) = reader.scan_range(Bound::Excluded(Token::Long(0)), Bound::Included(Token::Long(i64::MAX / 2))) {
        for partition in scan.take(100) {
            let _ = partition;
        }
    }
    let _ = reader.verify();
});
