//! Model-based round trips: random partitions (narrow and wide, static
//! rows, partition / row / range / cell tombstones, boundaries, TTLs,
//! ascending and descending clustering) are written with the streaming
//! writer and read back by full scan, point lookup and random slices; every
//! answer must equal the in-memory model.
//!
//! `ILION_ROUNDTRIP_SEEDS=n` runs more seeds (CI runs 3 per version and
//! partitioner).

#![allow(clippy::unwrap_used)]

use ilion_sstable::chunk_cache::{ChunkCache, KeyCache};
use ilion_sstable::clustering::{ClusteringBound, ClusteringValue, PrefixKind};
use ilion_sstable::descriptor::Descriptor;
use ilion_sstable::partitioner::{Partitioner, Token};
use ilion_sstable::reader::{ReaderCaches, Slice, SstableReader};
use ilion_sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion_sstable::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};
use ilion_sstable::schema::{ClusteringOrder, Column, TableSchema};
use ilion_sstable::version::Version;
use ilion_sstable::writer::{SstableWriter, WriterOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeSet;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

const MARSHAL: &str = "org.apache.cassandra.db.marshal.";

/// `(pk blob, ck1 int ASC, ck2 text DESC, s text static, v1 text, v2 int,
/// v3 blob)`.
fn schema() -> TableSchema {
    let t = |name: &str| format!("{MARSHAL}{name}");
    TableSchema::new(
        vec![Column::new("pk", t("BytesType"))],
        vec![
            (Column::new("ck1", t("Int32Type")), ClusteringOrder::Asc),
            (Column::new("ck2", t("UTF8Type")), ClusteringOrder::Desc),
        ],
        vec![Column::new("s", t("UTF8Type"))],
        vec![
            Column::new("v1", t("UTF8Type")),
            Column::new("v2", t("Int32Type")),
            Column::new("v3", t("BytesType")),
        ],
    )
    .unwrap()
}

/// A row's position: ck1 ascending, then ck2 descending (by UTF-8 bytes).
type Position = (i32, std::cmp::Reverse<Vec<u8>>);

fn clustering(p: &Position) -> Vec<ClusteringValue> {
    vec![Some(p.0.to_be_bytes().to_vec()), Some(p.1 .0.clone())]
}

struct Generator {
    rng: StdRng,
    now: i64,
}

impl Generator {
    fn timestamp(&mut self) -> i64 {
        1_700_000_000_000_000 + self.rng.random_range(0..1_000_000_000)
    }

    fn deletion(&mut self) -> DeletionTime {
        DeletionTime {
            marked_for_delete_at: self.timestamp(),
            local_deletion_time: self.now + self.rng.random_range(0..100_000),
        }
    }

    fn cell(&mut self, value: Vec<u8>) -> Cell {
        let kind = match self.rng.random_range(0..10) {
            0 => CellKind::Tombstone {
                local_deletion_time: self.now + self.rng.random_range(0..1000),
            },
            1 | 2 => {
                let ttl = self.rng.random_range(1..1_000_000);
                CellKind::Expiring {
                    ttl,
                    local_expiration_time: self.now + i64::from(ttl),
                }
            }
            _ => CellKind::Live,
        };
        Cell {
            timestamp: self.timestamp(),
            kind,
            path: None,
            value: if matches!(kind, CellKind::Tombstone { .. }) {
                Vec::new()
            } else {
                value
            },
        }
    }

    fn text(&mut self, max: usize) -> Vec<u8> {
        let len = self.rng.random_range(0..=max);
        (0..len)
            .map(|_| self.rng.random_range(b'a'..=b'z'))
            .collect()
    }

    fn row(&mut self, clustering: Vec<ClusteringValue>, regular: bool) -> Row {
        let liveness = match self.rng.random_range(0..4) {
            0 => None,
            1 => {
                let ttl = self.rng.random_range(1..100_000);
                Some(LivenessInfo {
                    timestamp: self.timestamp(),
                    expiry: Some((ttl, self.now + i64::from(ttl))),
                })
            }
            _ => Some(LivenessInfo {
                timestamp: self.timestamp(),
                expiry: None,
            }),
        };
        let deletion = (self.rng.random_range(0..12) == 0).then(|| self.deletion());
        let mut columns = Vec::new();
        let count = if regular { 3 } else { 1 };
        for column in 0..count {
            if self.rng.random_range(0..4) == 0 {
                continue;
            }
            let value = match column {
                1 => self.rng.random::<i32>().to_be_bytes().to_vec(),
                _ => {
                    let max = if self.rng.random_range(0..50) == 0 {
                        3000
                    } else {
                        40
                    };
                    self.text(max)
                }
            };
            let mut cell = self.cell(value);
            // Sometimes share the row's timestamp, as most writes do.
            if let (Some(l), true) = (liveness, self.rng.random_bool(0.5)) {
                cell.timestamp = l.timestamp;
            }
            columns.push(ColumnData::Simple { column, cell });
        }
        Row {
            clustering,
            liveness,
            deletion,
            columns,
        }
    }

    fn marker(
        &mut self,
        kind: PrefixKind,
        at: &Position,
        end: Option<DeletionTime>,
        start: Option<DeletionTime>,
    ) -> Unfiltered {
        Unfiltered::Marker(Marker {
            bound: ClusteringBound {
                kind,
                values: clustering(at),
            },
            end_deletion: end,
            start_deletion: start,
        })
    }

    /// A partition of `rows` rows; range tombstones cover some runs of
    /// them, one of them split by a boundary.
    fn partition(&mut self, key: Vec<u8>, rows: usize) -> Partition {
        let mut positions = BTreeSet::new();
        while positions.len() < rows {
            let ck1 = self.rng.random_range(-1000..1000);
            let ck2 = self.text(6);
            positions.insert((ck1, std::cmp::Reverse(ck2)));
        }
        let positions: Vec<Position> = positions.into_iter().collect();
        let mut unfiltereds = Vec::new();
        let mut i = 0;
        while i < positions.len() {
            let run = self.rng.random_range(1..=20).min(positions.len() - i);
            if self.rng.random_range(0..8) == 0 {
                // A range tombstone over rows i..i+run, split by a boundary
                // when it spans two rows or more.
                let first = self.deletion();
                unfiltereds.push(self.marker(
                    PrefixKind::InclStartBound,
                    &positions[i],
                    None,
                    Some(first),
                ));
                let split = (run >= 2).then(|| i + run / 2);
                let mut open = first;
                for (j, p) in positions.iter().enumerate().skip(i).take(run) {
                    if Some(j) == split {
                        let next = self.deletion();
                        unfiltereds.push(self.marker(
                            PrefixKind::ExclEndInclStartBoundary,
                            p,
                            Some(open),
                            Some(next),
                        ));
                        open = next;
                    }
                    let row = self.row(clustering(p), true);
                    unfiltereds.push(Unfiltered::Row(row));
                }
                let last = &positions[i + run - 1];
                unfiltereds.push(self.marker(PrefixKind::InclEndBound, last, Some(open), None));
                i += run;
            } else {
                let row = self.row(clustering(&positions[i]), true);
                unfiltereds.push(Unfiltered::Row(row));
                i += 1;
            }
        }
        let static_row = if self.rng.random_bool(0.3) {
            Some(self.row(Vec::new(), false)).filter(|r| !r.is_empty())
        } else {
            None
        };
        Partition {
            key,
            deletion: if self.rng.random_range(0..15) == 0 {
                self.deletion()
            } else {
                DeletionTime::LIVE
            },
            static_row: static_row
                .map(|r| Row {
                    liveness: None,
                    deletion: None,
                    ..r
                })
                .filter(|r| !r.is_empty()),
            unfiltereds,
        }
    }
}

/// The rows of `p` whose clustering lies in [start, end], decided from the
/// decoded values (ck1 ascending, ck2 descending), independently of the
/// library's comparators.
fn rows_in(p: &Partition, start: &Position, end: &Position) -> Vec<Row> {
    p.unfiltereds
        .iter()
        .filter_map(|u| match u {
            Unfiltered::Row(r) => Some(r),
            Unfiltered::Marker(_) => None,
        })
        .filter(|r| {
            let pos: Position = (
                i32::from_be_bytes(r.clustering[0].clone().unwrap().try_into().unwrap()),
                std::cmp::Reverse(r.clustering[1].clone().unwrap()),
            );
            *start <= pos && pos <= *end
        })
        .cloned()
        .collect()
}

fn run(
    seed: u64,
    version: Version,
    partitioner: Partitioner,
    compression: bool,
) -> (Vec<Partition>, std::path::PathBuf, tempfile::TempDir) {
    let schema = schema();
    let mut g = Generator {
        rng: StdRng::seed_from_u64(seed),
        now: 1_700_000_000,
    };
    let mut keys = BTreeSet::new();
    while keys.len() < 120 {
        let len = g.rng.random_range(1..24);
        keys.insert((0..len).map(|_| g.rng.random::<u8>()).collect::<Vec<u8>>());
    }
    let mut keys: Vec<Vec<u8>> = keys.into_iter().collect();
    keys.sort_by(|a, b| partitioner.compare(a, b));
    let model: Vec<Partition> = keys
        .into_iter()
        .map(|key| {
            let rows = match g.rng.random_range(0..10) {
                0 => g.rng.random_range(300..1500),
                1 => 0,
                _ => g.rng.random_range(1..8),
            };
            g.partition(key, rows)
        })
        .collect();
    for p in &model {
        schema.validate_partition(p).unwrap();
    }

    let dir = tempfile::tempdir().unwrap();
    let descriptor = Descriptor {
        dir: dir.path().to_path_buf(),
        version,
        generation: seed,
    };
    let options = WriterOptions {
        version,
        partitioner,
        // Small blocks and chunks: wide partitions span many of each.
        column_index_size: 1024 << g.rng.random_range(0..3),
        chunk_length: 4096 << g.rng.random_range(0..3),
        min_index_interval: g.rng.random_range(1..16),
        expected_partitions: model.len() as u64,
        compression,
        ..WriterOptions::default()
    };
    let header = schema.serialization_header(1_700_000_000_000_000, 1_700_000_000, 0);
    let mut writer =
        SstableWriter::create(Arc::new(ilion_vfs::RealFs), descriptor, header, options).unwrap();
    for p in &model {
        writer.append(p).unwrap();
    }
    let data_path = writer.finish().unwrap();
    let reader = SstableReader::open(&data_path).unwrap();
    reader.verify().unwrap();
    // The same answers through small shared caches that evict constantly.
    let caches = ReaderCaches {
        chunks: Some(Arc::new(ChunkCache::new(64 << 10))),
        keys: Some(Arc::new(KeyCache::new(4 << 10))),
    };
    let cached = SstableReader::open_with_caches(&data_path, caches).unwrap();
    for _ in 0..2 {
        for p in &model {
            assert_eq!(
                cached.get(&p.key).unwrap().as_ref(),
                Some(p),
                "seed {seed}: cached"
            );
            let full = cached.slice(&p.key, &Slice::all(), false).unwrap();
            assert_eq!(full.as_ref(), Some(p), "seed {seed}: cached slice");
        }
    }

    assert_eq!(reader.scan().unwrap(), model, "seed {seed}: scan");
    let types = schema.clustering_types();
    for p in &model {
        assert_eq!(reader.get(&p.key).unwrap().as_ref(), Some(p), "seed {seed}");
        let full = reader.slice(&p.key, &Slice::all(), false).unwrap().unwrap();
        assert_eq!(&full, p, "seed {seed}: whole-partition slice");
        // Slices with bounds drawn around the partition's rows.
        for _ in 0..4 {
            let mut bound = || -> Position {
                let ck1 = g.rng.random_range(-1100..1100);
                (ck1, std::cmp::Reverse(g.text(3)))
            };
            let (a, b) = (bound(), bound());
            let (start, end) = if a <= b { (a, b) } else { (b, a) };
            let slice = Slice {
                start: Some(clustering(&start)),
                end: Some(clustering(&end)),
            };
            let reverse = g.rng.random_bool(0.5);
            let got = reader.slice(&p.key, &slice, reverse).unwrap().unwrap();
            let mut rows: Vec<Row> = got
                .unfiltereds
                .iter()
                .filter_map(|u| match u {
                    Unfiltered::Row(r) => Some(r.clone()),
                    Unfiltered::Marker(_) => None,
                })
                .collect();
            if reverse {
                rows.reverse();
            }
            assert_eq!(rows, rows_in(p, &start, &end), "seed {seed}: slice rows");
            // Markers: the whole partition clipped to the slice.
            let mut expected =
                ilion_sstable::slice::clip(&types, p.unfiltereds.clone(), None, &slice);
            if reverse {
                expected.reverse();
            }
            assert_eq!(got.unfiltereds, expected, "seed {seed}: slice");
            assert_eq!((&got.static_row, got.deletion), (&p.static_row, p.deletion));
        }
    }
    // Token-range scans, bounds included or excluded, against the model.
    let tokens: Vec<Token> = model.iter().map(|p| partitioner.token(&p.key)).collect();
    for _ in 0..30 {
        let mut bound = || -> Bound<Token> {
            let t = tokens[g.rng.random_range(0..tokens.len())].clone();
            // Sometimes a token between partitions.
            let t = match (t, g.rng.random_bool(0.3)) {
                (Token::Long(v), true) => Token::Long(v.saturating_add(1)),
                (Token::Big(v), true) => Token::Big(v.saturating_add(1)),
                (Token::Bytes(mut k), true) => {
                    k.push(0);
                    Token::Bytes(k)
                }
                (t, false) => t,
            };
            match g.rng.random_range(0..5) {
                0 => Bound::Unbounded,
                1 | 2 => Bound::Included(t),
                _ => Bound::Excluded(t),
            }
        };
        let (start, end) = (bound(), bound());
        let expected: Vec<&Partition> = model
            .iter()
            .zip(&tokens)
            .filter(|(_, t)| (start.as_ref(), end.as_ref()).contains(*t))
            .map(|(p, _)| p)
            .collect();
        let got: Vec<Partition> = reader
            .scan_range(start.clone(), end.clone())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            got.iter().collect::<Vec<_>>(),
            expected,
            "seed {seed}: scan {start:?}..{end:?}"
        );
    }

    // Absent keys are absent.
    for _ in 0..200 {
        let key: Vec<u8> = (0..g.rng.random_range(1..30))
            .map(|_| g.rng.random())
            .collect();
        if model.iter().all(|p| p.key != key) {
            assert_eq!(reader.get(&key).unwrap(), None);
        }
    }
    (model, data_path, dir)
}

fn seeds() -> u64 {
    std::env::var("ILION_ROUNDTRIP_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

#[test]
fn random_partitions_round_trip_in_oa_under_murmur3() {
    for seed in 0..seeds() {
        run(seed, Version::OA, Partitioner::Murmur3, true);
    }
}

#[test]
fn random_partitions_round_trip_in_nb_under_murmur3() {
    for seed in 100..100 + seeds() {
        run(seed, Version::NB, Partitioner::Murmur3, true);
    }
}

#[test]
fn random_partitions_round_trip_under_byte_ordered() {
    for seed in 200..200 + seeds() {
        run(seed, Version::OA, Partitioner::ByteOrdered, true);
    }
}

#[test]
fn random_partitions_round_trip_uncompressed() {
    for seed in 300..300 + seeds() {
        run(seed, Version::OA, Partitioner::Murmur3, false);
    }
}

/// An uncompressed table's Data.db and CRC.db, damaged: every answer is an
/// error or the right one.
#[test]
fn damaged_uncompressed_tables_fail_or_answer_right() {
    use ilion_sstable::descriptor::Component;
    let (model, data_path, _dir) = run(400, Version::NB, Partitioner::Murmur3, false);
    let descriptor = Descriptor::from_path(&data_path).unwrap();
    assert!(descriptor.path(Component::Crc).exists());
    assert!(!descriptor.path(Component::CompressionInfo).exists());
    let mut rng = StdRng::seed_from_u64(401);
    let mut detected = 0;
    for trial in 0..60 {
        let component = if trial % 2 == 0 {
            Component::Data
        } else {
            Component::Crc
        };
        let path = descriptor.path(component);
        let pristine = std::fs::read(&path).unwrap();
        let mut damaged = pristine.clone();
        let at = rng.random_range(0..damaged.len());
        damaged[at] ^= 1 << rng.random_range(0..8);
        std::fs::write(&path, &damaged).unwrap();
        let outcome = SstableReader::open(&data_path).and_then(|reader| {
            for p in &model {
                if let Some(got) = reader.get(&p.key)? {
                    assert_eq!(&got, p, "trial {trial}: {component:?} byte {at}");
                }
            }
            let scanned = reader.scan()?;
            assert_eq!(scanned, model, "trial {trial}: {component:?} byte {at}");
            Ok(())
        });
        if outcome.is_err() {
            detected += 1;
        }
        std::fs::write(&path, &pristine).unwrap();
    }
    // Every flip changes a checksummed byte: each one is detected.
    assert_eq!(detected, 60);
}
