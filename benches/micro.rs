//! Micro-benchmarks of the hot paths under a put and a get
//! (`cargo bench --bench micro`), each small enough that the whole file runs
//! in about two minutes. Keys are 16 bytes and values 100 bytes (half
//! compressible, as db_bench's), in the key-value schema's partition: one
//! row, one live cell, built as `Db::put` builds it.
//!
//! - `memtable/insert/new-key`: [`Memtable::apply`] of a partition with a
//!   new random key into a memtable of 100,000 to 150,000 random keys (it is
//!   rebuilt, untimed, with 100,000 whenever it reaches 150,000); the
//!   partition is built untimed. Throughput in partitions/s.
//! - `memtable/insert/overwrite`: the same, for a present key with a newer
//!   timestamp (the merge path), in a memtable of 100,000.
//! - `memtable/get/{present,absent}`: [`Memtable::get`] of a random present
//!   key, or of a key it does not hold, in a memtable of 100,000; the
//!   returned copy of the partition is dropped inside the timed region.
//! - `sstable/point-lookup/present/{uncached,cached}`:
//!   [`SstableReader::get`] of a random present key in a 100,000-partition
//!   SSTable written with the writer's default options (4 KiB chunks),
//!   files warm in the page cache; without caches (every lookup walks
//!   Index.db and decompresses and checks a chunk), or with a chunk cache
//!   and a key cache holding the whole table (warmed by one lookup of every
//!   key), as the engine configures its readers.
//! - `sstable/point-lookup/absent`: a key the table does not hold (the
//!   bloom filter rejects all but about 1%), no caches.
//! - `bloom/probe/{present,absent}`: [`BloomFilter::may_contain`] (Murmur3
//!   x64 128 of the key, then the probes) in a filter sized for 1,000,000
//!   keys at the engine's default false-positive chance of 0.01, holding
//!   1,000,000 keys.
//! - `commitlog/append/periodic/kv-mutation`: [`CommitLog::append`] of the
//!   payload the engine logs for one such put (the partition serialized
//!   by the SSTable crate's `DataWriter`, as `Table::write` does; its size
//!   is printed), one thread, Periodic mode (10 s). Segments are released
//!   between timed batches with `mark_flushed` so the disk does not fill.
//!   (`commitlog/append/periodic/100B` in `benches/commitlog_append.rs`
//!   appends a fixed 100-byte payload.)
//! - `lz4/chunk-decode/{4KiB,16KiB}`: [`ChunkReader::read_chunk`] of one
//!   Data.db chunk taken from a written 100,000-partition key-value table
//!   (the function the reader uses: CRC32 check, then LZ4 decode into a
//!   reused buffer); throughput in uncompressed bytes. 4 KiB is Ilion's
//!   default chunk length, 16 KiB Cassandra's.
//! - `lz4/chunk-decode/{4KiB,16KiB}/crc32-only`: the CRC32 of the same
//!   chunk's stored bytes alone (the share of the above spent checking);
//!   throughput in stored bytes.

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ilion::memtable::Memtable;
use ilion_commitlog::{CommitLog, CommitLogOptions, SyncMode, TableId};
use ilion_sstable::bloom::BloomFilter;
use ilion_sstable::chunk_cache::{ChunkCache, KeyCache};
use ilion_sstable::compression::{ChunkReader, CompressionInfo};
use ilion_sstable::data_writer::DataWriter;
use ilion_sstable::descriptor::{Component, Descriptor};
use ilion_sstable::partitioner::Partitioner;
use ilion_sstable::reader::{ReaderCaches, SstableReader};
use ilion_sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion_sstable::rows::{Cell, ColumnData, Partition, Row, Unfiltered};
use ilion_sstable::schema::TableSchema;
use ilion_sstable::version::Version;
use ilion_sstable::writer::{SstableWriter, WriterOptions, DEFAULT_CHUNK_LENGTH};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TIMESTAMP: i64 = 1_700_000_000_000_000;
/// Entries of the memtables read from, and of the SSTables.
const ENTRIES: usize = 100_000;
/// Size at which the insert benchmark's memtable is rebuilt with `ENTRIES`.
const MEMTABLE_MAX: usize = 150_000;
/// Keys in the bloom filter, and what it is sized for.
const BLOOM_KEYS: u64 = 1_000_000;
/// The engine's default `bloom_filter_fp_chance`.
const BLOOM_FP_CHANCE: f64 = 0.01;

/// The `i`th key: 16 bytes that do not sort like the counter (as
/// `benches/sstable.rs` makes them).
fn key(i: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
    k[8..].copy_from_slice(&i.to_be_bytes());
    k
}

fn random_key(rng: &mut StdRng) -> [u8; 16] {
    let mut k = [0u8; 16];
    rng.fill(&mut k);
    k
}

/// A 100-byte value, half compressible: 50 random letters, twice.
fn value(rng: &mut StdRng) -> Vec<u8> {
    let half: Vec<u8> = (0..50).map(|_| rng.random_range(b'a'..=b'z')).collect();
    [half.clone(), half].concat()
}

/// The partition `Db::put` builds (no TTL): one row without clustering,
/// one live cell.
fn kv_partition(key: &[u8], value: &[u8], timestamp: i64) -> Partition {
    Partition {
        key: key.to_vec(),
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
                    value: value.to_vec(),
                },
            }],
        })],
    }
}

/// A key-value memtable of `n` random keys, and its keys.
fn filled_memtable(rng: &mut StdRng, n: usize) -> (Memtable, Vec<[u8; 16]>) {
    let memtable = Memtable::new(
        Partitioner::Murmur3,
        TableSchema::key_value().clustering_types(),
    );
    let keys: Vec<[u8; 16]> = (0..n).map(|_| random_key(rng)).collect();
    for k in &keys {
        memtable
            .apply(kv_partition(k, &value(rng), TIMESTAMP))
            .expect("apply");
    }
    (memtable, keys)
}

fn memtable(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);

    let mut group = c.benchmark_group("memtable/insert");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    let (mut growing, _) = filled_memtable(&mut rng, ENTRIES);
    group.bench_function("new-key", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut remaining = iters;
            while remaining > 0 {
                if growing.len() >= MEMTABLE_MAX {
                    // Untimed: the old one is dropped here too.
                    growing = filled_memtable(&mut rng, ENTRIES).0;
                }
                let n = remaining.min((MEMTABLE_MAX - growing.len()) as u64);
                let updates: Vec<Partition> = (0..n)
                    .map(|_| kv_partition(&random_key(&mut rng), &value(&mut rng), TIMESTAMP))
                    .collect();
                let start = Instant::now();
                for update in updates {
                    growing.apply(update).expect("apply");
                }
                total += start.elapsed();
                remaining -= n;
            }
            total
        })
    });
    drop(growing);

    let (table, keys) = filled_memtable(&mut rng, ENTRIES);
    let mut timestamp = TIMESTAMP;
    group.bench_function("overwrite", |b| {
        b.iter_batched(
            || {
                timestamp += 1;
                let k = keys[rng.random_range(0..keys.len())];
                kv_partition(&k, &value(&mut rng), timestamp)
            },
            |update| table.apply(update).expect("apply"),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("memtable/get");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("present", |b| {
        b.iter_batched(
            || keys[rng.random_range(0..keys.len())],
            |k| {
                let p = table.get(&k).expect("present");
                black_box(&p);
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("absent", |b| {
        b.iter_batched(
            || random_key(&mut rng),
            |k| black_box(table.get(&k)).is_none(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// `n` key-value partitions (keys `key(0..n)`), in Murmur3 order.
fn sorted_partitions(n: usize) -> Vec<Partition> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut keys: Vec<[u8; 16]> = (0..n as u64).map(key).collect();
    keys.sort_by(|a, b| Partitioner::Murmur3.compare(a, b));
    keys.iter()
        .map(|k| kv_partition(k, &value(&mut rng), TIMESTAMP))
        .collect()
}

/// Writes `partitions` as SSTable `generation` in `dir` with `chunk_length`
/// (the writer's defaults otherwise); returns its Data.db path.
fn write_table(
    dir: &Path,
    generation: u64,
    chunk_length: u32,
    partitions: &[Partition],
) -> PathBuf {
    let header = TableSchema::key_value().serialization_header(TIMESTAMP, 0, 0);
    let options = WriterOptions {
        chunk_length,
        expected_partitions: partitions.len() as u64,
        ..WriterOptions::default()
    };
    let descriptor = Descriptor {
        dir: dir.to_path_buf(),
        version: options.version,
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

fn sstable(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let partitions = sorted_partitions(ENTRIES);
    let data = write_table(dir.path(), 1, DEFAULT_CHUNK_LENGTH, &partitions);
    drop(partitions);
    let uncached = SstableReader::open(&data).expect("open");
    let caches = ReaderCaches {
        chunks: Some(Arc::new(ChunkCache::new(256 << 20))),
        keys: Some(Arc::new(KeyCache::new(64 << 20))),
    };
    let cached = SstableReader::open_with_caches(&data, caches).expect("open");
    // Warm the files and the caches: every key once.
    for i in 0..ENTRIES as u64 {
        cached.get(&key(i)).expect("get").expect("present");
        uncached.get(&key(i)).expect("get").expect("present");
    }
    eprintln!(
        "sstable/point-lookup: {ENTRIES} partitions, {} KiB chunks, Data.db {:.1} MB",
        DEFAULT_CHUNK_LENGTH >> 10,
        std::fs::metadata(&data).expect("metadata").len() as f64 / 1e6
    );

    let mut rng = StdRng::seed_from_u64(11);
    let mut group = c.benchmark_group("sstable/point-lookup");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for (name, reader) in [("present/uncached", &uncached), ("present/cached", &cached)] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || key(rng.random_range(0..ENTRIES as u64)),
                |k| {
                    let p = reader.get(&k).expect("get").expect("present");
                    black_box(&p);
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.bench_function("absent", |b| {
        b.iter_batched(
            || key(ENTRIES as u64 + rng.random_range(0..1u64 << 40)),
            |k| black_box(uncached.get(&k).expect("get")).is_none(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn bloom(c: &mut Criterion) {
    let mut filter = BloomFilter::for_keys(BLOOM_KEYS, BLOOM_FP_CHANCE).expect("filter");
    for i in 0..BLOOM_KEYS {
        filter.add(&key(i));
    }
    eprintln!(
        "bloom/probe: {BLOOM_KEYS} keys, {} hashes, {} bits ({:.2} MB)",
        filter.hash_count(),
        filter.bit_count(),
        filter.bit_count() as f64 / 8e6
    );
    let mut rng = StdRng::seed_from_u64(13);
    let mut group = c.benchmark_group("bloom/probe");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("present", |b| {
        b.iter_batched(
            || key(rng.random_range(0..BLOOM_KEYS)),
            |k| assert!(filter.may_contain(&k)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("absent", |b| {
        b.iter_batched(
            || key(BLOOM_KEYS + rng.random_range(0..1u64 << 40)),
            |k| filter.may_contain(&k),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn commitlog(c: &mut Criterion) {
    // The payload `Table::write` logs for one put: the partition in the
    // Data.db encoding, against the key-value schema's header.
    let header = TableSchema::key_value().serialization_header(0, 0, 0);
    let mut rng = StdRng::seed_from_u64(17);
    let update = kv_partition(&random_key(&mut rng), &value(&mut rng), TIMESTAMP);
    let mut payload = Vec::new();
    DataWriter::new(&header, Version::OA).write_partition(&update, &mut payload);
    eprintln!(
        "commitlog/append/periodic/kv-mutation: {} B payload",
        payload.len()
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let options = CommitLogOptions {
        sync_mode: SyncMode::Periodic {
            period: Duration::from_secs(10),
        },
        ..CommitLogOptions::default()
    };
    let log = CommitLog::recover(Arc::new(ilion_vfs::RealFs::new()), dir.path(), options)
        .and_then(|replay| replay.finish())
        .expect("open commitlog");
    let table = TableId(1);
    let mut group = c.benchmark_group("commitlog/append/periodic");
    group.throughput(Throughput::Elements(1));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("kv-mutation", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut remaining = iters;
            while remaining > 0 {
                // About 30 MB of entries per batch, then the segments are
                // released (untimed).
                let n = remaining.min(200_000);
                let start = Instant::now();
                let mut last = None;
                for _ in 0..n {
                    last = Some(log.append(&[table], &payload).expect("append"));
                }
                total += start.elapsed();
                if let Some(position) = last {
                    log.mark_flushed(table, position).expect("mark flushed");
                }
                remaining -= n;
            }
            total
        })
    });
    group.finish();
    drop(log);
}

/// A chunk from the middle of a written table's Data.db: the table's
/// CompressionInfo, its Data.db bytes and the chunk's index.
fn real_chunk(dir: &Path, chunk_length: u32) -> (CompressionInfo, Vec<u8>, usize, PathBuf) {
    let partitions = sorted_partitions(ENTRIES);
    let data_path = write_table(dir, u64::from(chunk_length), chunk_length, &partitions);
    let descriptor = Descriptor::from_path(&data_path).expect("descriptor");
    let info_path = descriptor.path(Component::CompressionInfo);
    let info = CompressionInfo::parse(
        &std::fs::read(&info_path).expect("read CompressionInfo.db"),
        descriptor.version,
        &info_path,
    )
    .expect("parse CompressionInfo.db");
    let data = std::fs::read(&data_path).expect("read Data.db");
    let index = info.chunk_offsets.len() / 2;
    (info, data, index, data_path)
}

fn lz4(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("lz4/chunk-decode");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for chunk_length in [4u32 << 10, 16 << 10] {
        let name = format!("{}KiB", chunk_length >> 10);
        let (info, data, index, path) = real_chunk(dir.path(), chunk_length);
        let chunks = ChunkReader::new(&info, &data, &path).expect("chunk reader");
        let start = info.chunk_offsets[index] as usize;
        let end = info.chunk_offsets[index + 1] as usize;
        // Without its trailing CRC.
        let stored = &data[start..end - 4];
        let length = info.chunk_data_length(index);
        eprintln!(
            "lz4/chunk-decode/{name}: chunk {index} of {}, {length} B stored in {} B ({:.2})",
            info.chunk_offsets.len(),
            stored.len(),
            stored.len() as f64 / length as f64
        );
        let mut out = Vec::with_capacity(length);
        group.throughput(Throughput::Bytes(length as u64));
        group.bench_function(&name, |b| {
            b.iter(|| {
                out.clear();
                chunks.read_chunk(index, &mut out).expect("read chunk");
            })
        });
        group.throughput(Throughput::Bytes(stored.len() as u64));
        group.bench_function(format!("{name}/crc32-only"), |b| {
            b.iter(|| crc32fast::hash(black_box(stored)))
        });
    }
    group.finish();
}

criterion_group!(micro, memtable, sstable, bloom, commitlog, lz4);
criterion_main!(micro);
