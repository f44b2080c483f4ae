//! SSTable writer and reader throughput on the key-value schema
//! (`cargo bench --bench sstable`): 1,000,000 partitions of a 16-byte key
//! and a 100-byte value, at several Data.db chunk lengths.
//!
//! - `sstable/write/{chunk}`: streaming 1M partitions (already sorted, as
//!   a memtable flush hands them over) into a complete SSTable, fsyncs
//!   included; throughput in partitions/s.
//! - `sstable/get-present/{chunk}/{cached,uncached}`: point lookup of a
//!   random present key in the warm SSTable (files in the page cache), with
//!   a chunk cache and a key cache that hold the whole table (warmed by one
//!   lookup of every key), or without caches.
//! - `sstable/get-absent`: a key the bloom filter rejects (4 KiB table).
//! - `sstable/scan/{chunk}/key-value`: a full scan of the 1M-partition
//!   table (one cell per partition); throughput in cells/s.
//! - `sstable/scan/4KiB/wide-rows`: a full scan of 10,000 partitions of
//!   100 rows of 5 int cells (5M cells); throughput in cells/s.
//!
//! - `sstable/format/{big,bti}/...`: the same 1M partitions (4 KiB
//!   chunks) as big `oa` and as BTI `da`: present keys uncached and
//!   cached, absent keys the bloom filter rejects (`filtered`) and absent
//!   keys it lets through (`through-filter`, which reach the index).
//!
//! File sizes and resident memory per table are printed before the runs.

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ilion_sstable::descriptor::Descriptor;
use ilion_sstable::partitioner::Partitioner;
use ilion_sstable::reader::SstableReader;
use ilion_sstable::reconcile::{CellKind, LivenessInfo};
use ilion_sstable::rows::{Cell, ColumnData, Partition, Row};
use ilion_sstable::schema::TableSchema;
use ilion_sstable::version::Version;
use ilion_sstable::writer::{SstableWriter, WriterOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PARTITIONS: usize = 1_000_000;
const CHUNK_LENGTHS: [u32; 3] = [4 << 10, 16 << 10, 64 << 10];
const TIMESTAMP: i64 = 1_700_000_000_000_000;

fn key(i: u64) -> Vec<u8> {
    // 16 bytes that do not sort like the counter.
    let mut k = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes().to_vec();
    k.extend_from_slice(&i.to_be_bytes());
    k
}

/// The partitions, in Murmur3 order.
fn partitions() -> Vec<Partition> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut keys: Vec<Vec<u8>> = (0..PARTITIONS as u64).map(key).collect();
    keys.sort_by(|a, b| Partitioner::Murmur3.compare(a, b));
    keys.into_iter()
        .map(|key| {
            // Half compressible, as db_bench's values (compression ratio
            // 0.5): 50 random letters, then the same 50 again.
            let half: Vec<u8> = (0..50).map(|_| rng.random_range(b'a'..=b'z')).collect();
            let value = [half.clone(), half].concat();
            Partition {
                key,
                deletion: ilion_sstable::reconcile::DeletionTime::LIVE,
                static_row: None,
                unfiltereds: vec![ilion_sstable::rows::Unfiltered::Row(Row {
                    clustering: Vec::new(),
                    liveness: Some(LivenessInfo {
                        timestamp: TIMESTAMP,
                        expiry: None,
                    }),
                    deletion: None,
                    columns: vec![ColumnData::Simple {
                        column: 0,
                        cell: Cell {
                            timestamp: TIMESTAMP,
                            kind: CellKind::Live,
                            path: None,
                            value,
                        },
                    }],
                })],
            }
        })
        .collect()
}

fn write(dir: &Path, generation: u64, chunk_length: u32, partitions: &[Partition]) -> PathBuf {
    write_as(dir, generation, chunk_length, partitions, Version::OA)
}

fn write_as(
    dir: &Path,
    generation: u64,
    chunk_length: u32,
    partitions: &[Partition],
    version: Version,
) -> PathBuf {
    let header = TableSchema::key_value().serialization_header(TIMESTAMP, 0, 0);
    let options = WriterOptions {
        version,
        chunk_length,
        expected_partitions: partitions.len() as u64,
        ..WriterOptions::default()
    };
    let descriptor = Descriptor {
        dir: dir.to_path_buf(),
        version,
        generation,
    };
    let mut writer =
        SstableWriter::create(Arc::new(ilion_vfs::RealFs), descriptor, header, options)
            .expect("create writer");
    for p in partitions {
        writer.append(p).expect("append");
    }
    writer.finish().expect("finish")
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").metadata().expect("metadata").len())
        .sum()
}

fn benches(c: &mut Criterion) {
    let partitions = partitions();
    let dir = tempfile::tempdir().expect("temp dir");

    let mut group = c.benchmark_group("sstable/write");
    group.sample_size(10);
    group.throughput(Throughput::Elements(PARTITIONS as u64));
    let mut generation = 1000;
    for chunk in CHUNK_LENGTHS {
        group.bench_function(format!("{}KiB", chunk >> 10), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let d = tempfile::tempdir_in(dir.path()).expect("dir");
                    generation += 1;
                    let start = Instant::now();
                    write(d.path(), generation, chunk, &partitions);
                    total += start.elapsed();
                }
                total
            })
        });
    }
    group.finish();

    let mut rng = StdRng::seed_from_u64(11);
    for chunk in CHUNK_LENGTHS {
        let table_dir = tempfile::tempdir_in(dir.path()).expect("dir");
        let data = write(table_dir.path(), 1, chunk, &partitions);
        let reader = SstableReader::open(&data).expect("open");
        // Caches that hold the whole table: its decompressed chunks and
        // every key's position.
        let caches = ilion_sstable::reader::ReaderCaches {
            chunks: Some(Arc::new(ilion_sstable::chunk_cache::ChunkCache::new(
                512 << 20,
            ))),
            keys: Some(Arc::new(ilion_sstable::chunk_cache::KeyCache::new(
                256 << 20,
            ))),
        };
        let cached = SstableReader::open_with_caches(&data, caches).expect("open");
        // Warm them: every key once.
        for i in 0..PARTITIONS as u64 {
            cached.get(&key(i)).expect("get").expect("present");
        }
        let memory = reader.resident_memory();
        eprintln!(
            "chunk {} KiB: files {:.1} MB; resident: filter {} B, summary {} B, chunk offsets {} B",
            chunk >> 10,
            dir_size(table_dir.path()) as f64 / 1e6,
            memory.filter_bytes,
            memory.summary_bytes,
            memory.chunk_offset_bytes
        );
        let mut group = c.benchmark_group(format!("sstable/get-present/{}KiB", chunk >> 10));
        group.bench_function("uncached", |b| {
            b.iter_batched(
                || key(rng.random_range(0..PARTITIONS as u64)),
                |k| reader.get(&k).expect("get").expect("present"),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("cached", |b| {
            b.iter_batched(
                || key(rng.random_range(0..PARTITIONS as u64)),
                |k| cached.get(&k).expect("get").expect("present"),
                BatchSize::SmallInput,
            )
        });
        group.finish();
        let mut group = c.benchmark_group(format!("sstable/scan/{}KiB", chunk >> 10));
        group.sample_size(10);
        group.throughput(Throughput::Elements(PARTITIONS as u64));
        group.bench_function("key-value", |b| b.iter(|| count_cells(&reader)));
        group.finish();
        if chunk == 4 << 10 {
            c.bench_function("sstable/get-absent", |b| {
                b.iter_batched(
                    || key(PARTITIONS as u64 + rng.random_range(0..1u64 << 40)),
                    |k| reader.get(&k).expect("get"),
                    BatchSize::SmallInput,
                )
            });
        }
    }
}

/// Cells in a full scan, decoded partition by partition (none retained).
fn count_cells(reader: &SstableReader) -> u64 {
    let mut cells = 0u64;
    for p in reader.iter().expect("scan") {
        for u in p.expect("partition").unfiltereds {
            if let ilion_sstable::rows::Unfiltered::Row(r) = u {
                cells += r.columns.len() as u64;
            }
        }
    }
    cells
}

const WIDE_PARTITIONS: usize = 10_000;
const WIDE_ROWS: usize = 100;
const WIDE_COLUMNS: usize = 5;

/// A wide-row table: `(pk blob, ck int, v0..v4 int)`, 10,000 partitions of
/// 100 rows: 5,000,000 cells.
fn wide_table(dir: &Path) -> PathBuf {
    use ilion_sstable::schema::{ClusteringOrder, Column};
    let int = "org.apache.cassandra.db.marshal.Int32Type";
    let schema = TableSchema::new(
        vec![Column::new(
            "pk",
            "org.apache.cassandra.db.marshal.BytesType",
        )],
        vec![(Column::new("ck", int), ClusteringOrder::Asc)],
        Vec::new(),
        (0..WIDE_COLUMNS)
            .map(|i| Column::new(format!("v{i}"), int))
            .collect(),
    )
    .expect("schema");
    let mut keys: Vec<Vec<u8>> = (0..WIDE_PARTITIONS as u64).map(key).collect();
    keys.sort_by(|a, b| Partitioner::Murmur3.compare(a, b));
    let options = WriterOptions {
        expected_partitions: WIDE_PARTITIONS as u64,
        ..WriterOptions::default()
    };
    let descriptor = Descriptor {
        dir: dir.to_path_buf(),
        version: Version::OA,
        generation: 1,
    };
    let header = schema.serialization_header(TIMESTAMP, 0, 0);
    let mut writer =
        SstableWriter::create(Arc::new(ilion_vfs::RealFs), descriptor, header, options)
            .expect("create writer");
    for k in keys {
        let rows = (0..WIDE_ROWS as i32)
            .map(|ck| {
                ilion_sstable::rows::Unfiltered::Row(Row {
                    clustering: vec![Some(ck.to_be_bytes().to_vec())],
                    liveness: Some(LivenessInfo {
                        timestamp: TIMESTAMP,
                        expiry: None,
                    }),
                    deletion: None,
                    columns: (0..WIDE_COLUMNS)
                        .map(|column| ColumnData::Simple {
                            column,
                            cell: Cell {
                                timestamp: TIMESTAMP,
                                kind: CellKind::Live,
                                path: None,
                                value: (ck * 7 + column as i32).to_be_bytes().to_vec(),
                            },
                        })
                        .collect(),
                })
            })
            .collect();
        let partition = Partition {
            key: k,
            deletion: ilion_sstable::reconcile::DeletionTime::LIVE,
            static_row: None,
            unfiltereds: rows,
        };
        writer.append(&partition).expect("append");
    }
    writer.finish().expect("finish")
}

fn wide_scan(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let reader = SstableReader::open(&wide_table(dir.path())).expect("open");
    let mut group = c.benchmark_group("sstable/scan/4KiB");
    group.sample_size(10);
    group.throughput(Throughput::Elements(
        (WIDE_PARTITIONS * WIDE_ROWS * WIDE_COLUMNS) as u64,
    ));
    group.bench_function("wide-rows", |b| b.iter(|| count_cells(&reader)));
    group.finish();
}

/// Big (`oa`: Index.db sampled in memory at open) against BTI (`da`:
/// Partitions.db trie searched in place) on the same 1M partitions with
/// 4 KiB chunks: point lookups of present keys (uncached, and with chunk
/// and key caches holding the table), of absent keys the bloom filter
/// rejects, and of absent keys it lets through (which reach the index);
/// open time, index file sizes and resident memory are printed.
fn formats(c: &mut Criterion) {
    let partitions = partitions();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rng = StdRng::seed_from_u64(13);
    for (name, version) in [("big", Version::OA), ("bti", Version::DA)] {
        let table_dir = tempfile::tempdir_in(dir.path()).expect("dir");
        let start = Instant::now();
        let data = write_as(table_dir.path(), 1, 4 << 10, &partitions, version);
        let written = start.elapsed();
        let start = Instant::now();
        let reader = SstableReader::open(&data).expect("open");
        let opened = start.elapsed();
        let caches = ilion_sstable::reader::ReaderCaches {
            chunks: Some(Arc::new(ilion_sstable::chunk_cache::ChunkCache::new(
                512 << 20,
            ))),
            keys: Some(Arc::new(ilion_sstable::chunk_cache::KeyCache::new(
                256 << 20,
            ))),
        };
        let cached = SstableReader::open_with_caches(&data, caches).expect("open");
        for i in 0..PARTITIONS as u64 {
            cached.get(&key(i)).expect("get").expect("present");
        }
        let size = |suffix: &str| -> u64 {
            std::fs::read_dir(table_dir.path())
                .expect("list")
                .map(|e| e.expect("entry"))
                .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
                .map(|e| e.metadata().expect("metadata").len())
                .sum()
        };
        let memory = reader.resident_memory();
        eprintln!(
            "{name}: written in {written:?}, opened in {opened:?}; files {:.1} MB \
             (Index.db {} B, Summary.db {} B, Partitions.db {} B, Rows.db {} B); \
             resident: filter {} B, partition index {} B, chunk offsets {} B",
            dir_size(table_dir.path()) as f64 / 1e6,
            size("Index.db"),
            size("Summary.db"),
            size("Partitions.db"),
            size("Rows.db"),
            memory.filter_bytes,
            memory.summary_bytes,
            memory.chunk_offset_bytes
        );
        // Absent keys the bloom filter lets through: they reach the index.
        let through: Vec<Vec<u8>> = (PARTITIONS as u64..)
            .map(key)
            .filter(|k| reader.may_contain(k, ilion_sstable::bloom::BloomFilter::hash(k)))
            .take(2_000)
            .collect();
        let mut group = c.benchmark_group(format!("sstable/format/{name}"));
        group.measurement_time(Duration::from_secs(3));
        group.warm_up_time(Duration::from_secs(1));
        group.bench_function("get-present/uncached", |b| {
            b.iter_batched(
                || key(rng.random_range(0..PARTITIONS as u64)),
                |k| reader.get(&k).expect("get").expect("present"),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("get-present/cached", |b| {
            b.iter_batched(
                || key(rng.random_range(0..PARTITIONS as u64)),
                |k| cached.get(&k).expect("get").expect("present"),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("get-absent/filtered", |b| {
            b.iter_batched(
                || key(PARTITIONS as u64 + rng.random_range(0..1u64 << 40)),
                |k| reader.get(&k).expect("get"),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("get-absent/through-filter", |b| {
            b.iter_batched(
                || through[rng.random_range(0..through.len())].clone(),
                |k| assert!(reader.get(&k).expect("get").is_none()),
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

criterion_group!(sstable, benches, wide_scan, formats);
criterion_main!(sstable);
