//! Damaged SSTables: every component of a reference SSTable (`oa` and `nb`)
//! is damaged many times over — 1–3 random bit flips, a truncation, a range
//! overwritten with zeros or random bytes, and for Data.db the same inside
//! one compressed chunk's body — and every read of the damaged copy must
//! either fail or answer exactly what the undamaged table answers: never a
//! wrong row, never a panic. Corruption errors must name the damaged file.
//! Deleting a component must give an I/O error, never a wrong answer.
//!
//! The same damage is also applied to tables without Ilion's checksum
//! sidecar (as Cassandra writes them): no panic, and no wrong answer from
//! damage the format itself checks.
//!
//! `ILION_CORRUPTION_TRIALS` sets the trials per component and version
//! (default 30; half as many without the sidecar). The table and every
//! trial come from fixed seeds, so a failure (which names version,
//! component, trial seed and damage) repeats with the same trial count.

#![allow(clippy::unwrap_used)]

use ilion_sstable::clustering::{compare_prefixes, ClusteringBound, PrefixKind};
use ilion_sstable::compression::CompressionInfo;
use ilion_sstable::descriptor::{Component, Descriptor};
use ilion_sstable::index::IndexReader;
use ilion_sstable::partitioner::Partitioner;
use ilion_sstable::reader::{Slice, SstableReader};
use ilion_sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion_sstable::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};
use ilion_sstable::schema::{ClusteringOrder, Column, TableSchema};
use ilion_sstable::slice::{clip, name_of};
use ilion_sstable::version::Version;
use ilion_sstable::writer::{SstableWriter, WriterOptions};
use ilion_sstable::{Error, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const INT: &str = "org.apache.cassandra.db.marshal.Int32Type";
const TEXT: &str = "org.apache.cassandra.db.marshal.UTF8Type";
const BLOB: &str = "org.apache.cassandra.db.marshal.BytesType";

/// Every timestamp (µs) and local deletion time (s) is at or after these,
/// which the serialization header takes as its minimums.
const BASE_TIMESTAMP: i64 = 1_700_000_000_000_000;
const BASE_LOCAL_TIME: i64 = 1_700_000_000;

/// Every component the writer produces.
const COMPONENTS: [Component; 9] = ilion_sstable::writer::WRITTEN_COMPONENTS;

const DEFAULT_TRIALS: usize = 30;

fn trials() -> usize {
    std::env::var("ILION_CORRUPTION_TRIALS")
        .ok()
        .map(|v| v.parse().expect("ILION_CORRUPTION_TRIALS is a number"))
        .unwrap_or(DEFAULT_TRIALS)
}

// ---------------------------------------------------------------------------
// The reference table.

/// `(pk blob, ck int, s text static, v1 text, v2 int, PRIMARY KEY (pk, ck))`.
fn schema() -> TableSchema {
    TableSchema::new(
        vec![Column::new("pk", BLOB)],
        vec![(Column::new("ck", INT), ClusteringOrder::Asc)],
        vec![Column::new("s", TEXT)],
        vec![Column::new("v1", TEXT), Column::new("v2", INT)],
    )
    .unwrap()
}

fn clustering(ck: i32) -> Vec<Option<Vec<u8>>> {
    vec![Some(ck.to_be_bytes().to_vec())]
}

fn marker(
    kind: PrefixKind,
    ck: i32,
    end: Option<DeletionTime>,
    start: Option<DeletionTime>,
) -> Unfiltered {
    Unfiltered::Marker(Marker {
        bound: ClusteringBound {
            kind,
            values: clustering(ck),
        },
        end_deletion: end,
        start_deletion: start,
    })
}

/// Random partitions of the reference schema.
struct Generator {
    rng: StdRng,
    schema: TableSchema,
}

impl Generator {
    fn timestamp(&mut self) -> i64 {
        BASE_TIMESTAMP + self.rng.random_range(0..1_000_000_000)
    }

    fn local_time(&mut self) -> i64 {
        BASE_LOCAL_TIME + self.rng.random_range(0..1_000_000)
    }

    fn deletion(&mut self) -> DeletionTime {
        DeletionTime {
            marked_for_delete_at: self.timestamp(),
            local_deletion_time: self.local_time(),
        }
    }

    fn text(&mut self) -> Vec<u8> {
        let len = self.rng.random_range(0..40);
        (0..len)
            .map(|_| self.rng.random_range(b'a'..=b'z'))
            .collect()
    }

    /// A live cell, or one in ten a tombstone, one in ten expiring.
    fn cell(&mut self, value: Vec<u8>) -> Cell {
        let timestamp = self.timestamp();
        let (kind, value) = match self.rng.random_range(0..10) {
            0 => {
                let local_deletion_time = self.local_time();
                (
                    CellKind::Tombstone {
                        local_deletion_time,
                    },
                    Vec::new(),
                )
            }
            1 => {
                let ttl = self.rng.random_range(60..86_400);
                let local_expiration_time = self.local_time() + i64::from(ttl);
                let kind = CellKind::Expiring {
                    ttl,
                    local_expiration_time,
                };
                (kind, value)
            }
            _ => (CellKind::Live, value),
        };
        Cell {
            timestamp,
            kind,
            path: None,
            value,
        }
    }

    fn simple(&mut self, column: usize, value: Vec<u8>) -> ColumnData {
        ColumnData::Simple {
            column,
            cell: self.cell(value),
        }
    }

    fn row(&mut self, ck: i32) -> Row {
        let liveness = self.rng.random_bool(0.8).then(|| {
            let timestamp = self.timestamp();
            let expiry = self.rng.random_bool(0.1).then(|| {
                let ttl = self.rng.random_range(60..86_400);
                (ttl, self.local_time() + i64::from(ttl))
            });
            LivenessInfo { timestamp, expiry }
        });
        let deletion = self.rng.random_bool(0.1).then(|| self.deletion());
        let mut columns = Vec::new();
        if self.rng.random_bool(0.8) {
            let column = self.schema.regular_column_index("v1").unwrap();
            let value = self.text();
            columns.push(self.simple(column, value));
        }
        if self.rng.random_bool(0.7) {
            let column = self.schema.regular_column_index("v2").unwrap();
            let value = self.rng.random::<i32>().to_be_bytes().to_vec();
            columns.push(self.simple(column, value));
        }
        let mut row = Row {
            clustering: clustering(ck),
            liveness,
            deletion,
            columns,
        };
        if row.is_empty() {
            row.liveness = Some(LivenessInfo {
                timestamp: self.timestamp(),
                expiry: None,
            });
        }
        row
    }

    fn static_row(&mut self) -> Row {
        let column = self.schema.static_column_index("s").unwrap();
        let value = self.text();
        Row {
            clustering: Vec::new(),
            liveness: None,
            deletion: None,
            columns: vec![self.simple(column, value)],
        }
    }

    /// Rows at increasing clusterings with gaps between them (so that
    /// slices can start and end between rows).
    fn rows(&mut self, count: usize) -> (Vec<i32>, Vec<Unfiltered>) {
        let cks: Vec<i32> = (0..count as i32)
            .map(|i| i * 4 + self.rng.random_range(0..3))
            .collect();
        let rows = cks
            .iter()
            .map(|&ck| Unfiltered::Row(self.row(ck)))
            .collect();
        (cks, rows)
    }

    /// Range tombstones over `cks` (at least 12 rows): an inclusive range,
    /// an exclusive start through a boundary to an inclusive end, and an
    /// exclusive range between two adjacent rows that covers none.
    fn wide_tombstones(&mut self, cks: &[i32]) -> Vec<Unfiltered> {
        let n = cks.len();
        let (d1, d2, d3, d4) = (
            self.deletion(),
            self.deletion(),
            self.deletion(),
            self.deletion(),
        );
        vec![
            marker(PrefixKind::InclStartBound, cks[n / 10], None, Some(d1)),
            marker(PrefixKind::InclEndBound, cks[n / 4], Some(d1), None),
            marker(PrefixKind::ExclStartBound, cks[n / 3], None, Some(d2)),
            marker(
                PrefixKind::ExclEndInclStartBoundary,
                cks[n / 2],
                Some(d2),
                Some(d3),
            ),
            marker(PrefixKind::InclEndBound, cks[2 * n / 3], Some(d3), None),
            marker(PrefixKind::ExclStartBound, cks[4 * n / 5], None, Some(d4)),
            marker(PrefixKind::ExclEndBound, cks[4 * n / 5 + 1], Some(d4), None),
        ]
    }

    fn partition(&mut self, key: Vec<u8>, kind: Shape) -> Partition {
        let (deletion, static_row, unfiltereds) = match kind {
            Shape::Deleted => (self.deletion(), None, Vec::new()),
            Shape::Wide => {
                let count = self.rng.random_range(250..400);
                let (cks, mut unfiltereds) = self.rows(count);
                unfiltereds.extend(self.wide_tombstones(&cks));
                let static_row = self.rng.random_bool(0.5).then(|| self.static_row());
                (DeletionTime::LIVE, static_row, unfiltereds)
            }
            Shape::NarrowWithTombstone => {
                let (cks, mut unfiltereds) = self.rows(6);
                let d = self.deletion();
                unfiltereds.push(marker(PrefixKind::InclStartBound, cks[1], None, Some(d)));
                unfiltereds.push(marker(PrefixKind::InclEndBound, cks[3], Some(d), None));
                (DeletionTime::LIVE, Some(self.static_row()), unfiltereds)
            }
            Shape::Narrow => {
                let count = self.rng.random_range(1..8);
                let (_, unfiltereds) = self.rows(count);
                let static_row = self.rng.random_bool(0.33).then(|| self.static_row());
                (DeletionTime::LIVE, static_row, unfiltereds)
            }
        };
        let types = self.schema.clustering_types();
        let mut unfiltereds = unfiltereds;
        unfiltereds.sort_by(|a, b| compare_prefixes(&types, &name_of(a), &name_of(b)));
        let partition = Partition {
            key,
            deletion,
            static_row,
            unfiltereds,
        };
        self.schema.validate_partition(&partition).unwrap();
        partition
    }

    fn key(&mut self, taken: &mut HashSet<Vec<u8>>) -> Vec<u8> {
        loop {
            let len = self.rng.random_range(1..24);
            let key: Vec<u8> = (0..len).map(|_| self.rng.random()).collect();
            if taken.insert(key.clone()) {
                return key;
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Wide,
    Deleted,
    NarrowWithTombstone,
    Narrow,
}

const PARTITIONS: usize = 200;

/// The reference SSTable: written once per test, read only through copies.
struct Reference {
    _dir: tempfile::TempDir,
    descriptor: Descriptor,
    /// The partitions in partitioner order, as the reader returns them.
    partitions: Vec<Partition>,
    wide: Vec<Vec<u8>>,
    narrow_with_tombstone: Vec<Vec<u8>>,
    absent: Vec<Vec<u8>>,
    /// Where each compressed chunk's body (between its length prefix and
    /// its CRC) lies in Data.db.
    chunk_bodies: Vec<Range<usize>>,
}

impl Reference {
    fn build(version: Version) -> Reference {
        let mut g = Generator {
            rng: StdRng::seed_from_u64(0x11_10_4e),
            schema: schema(),
        };
        let mut taken = HashSet::new();
        let mut partitions = Vec::new();
        let (mut wide, mut narrow_with_tombstone) = (Vec::new(), Vec::new());
        for i in 0..PARTITIONS {
            let shape = match i {
                0..4 => Shape::Wide,
                4 => Shape::Deleted,
                5..15 => Shape::NarrowWithTombstone,
                _ => Shape::Narrow,
            };
            let key = g.key(&mut taken);
            match shape {
                Shape::Wide => wide.push(key.clone()),
                Shape::NarrowWithTombstone => narrow_with_tombstone.push(key.clone()),
                _ => {}
            }
            partitions.push(g.partition(key, shape));
        }
        let absent = (0..20).map(|_| g.key(&mut taken)).collect();
        partitions.sort_by(|a, b| Partitioner::Murmur3.compare(&a.key, &b.key));

        let dir = tempfile::tempdir().unwrap();
        let descriptor = Descriptor {
            dir: dir.path().to_path_buf(),
            version,
            generation: 1,
        };
        let options = WriterOptions {
            version,
            column_index_size: 1024,
            chunk_length: 4096,
            expected_partitions: PARTITIONS as u64,
            ..WriterOptions::default()
        };
        let header = g
            .schema
            .serialization_header(BASE_TIMESTAMP, BASE_LOCAL_TIME, 0);
        let fs: Arc<dyn ilion_vfs::FileSystem> = Arc::new(ilion_vfs::RealFs);
        let mut writer = SstableWriter::create(fs, descriptor.clone(), header, options).unwrap();
        for p in &partitions {
            writer.append(p).unwrap();
        }
        assert_eq!(writer.finish().unwrap(), descriptor.path(Component::Data));

        let mut files: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let mut written: Vec<String> = COMPONENTS
            .iter()
            .map(|&c| file_name(&descriptor.path(c)))
            .collect();
        written.sort();
        assert_eq!(files, written, "the writer's components");

        let chunk_bodies = chunk_bodies(&descriptor);
        assert!(chunk_bodies.len() > 10, "{} chunks", chunk_bodies.len());
        check_row_indexes(&descriptor, &wide);
        for p in &mut partitions {
            if p.static_row.as_ref().is_some_and(Row::is_empty) {
                p.static_row = None;
            }
        }
        Reference {
            _dir: dir,
            descriptor,
            partitions,
            wide,
            narrow_with_tombstone,
            absent,
            chunk_bodies,
        }
    }

    fn partition(&self, key: &[u8]) -> &Partition {
        self.partitions.iter().find(|p| p.key == key).unwrap()
    }

    /// Copies every component into `dir`.
    fn copy_to(&self, dir: &Path) -> Descriptor {
        let copy = Descriptor {
            dir: dir.to_path_buf(),
            ..self.descriptor.clone()
        };
        for c in COMPONENTS {
            std::fs::copy(self.descriptor.path(c), copy.path(c)).unwrap();
        }
        copy
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// The wide partitions span many row-index blocks, and some blocks end
/// inside a range tombstone (so that slices start from an open marker).
fn check_row_indexes(descriptor: &Descriptor, wide: &[Vec<u8>]) {
    let path = descriptor.path(Component::Index);
    let bytes = std::fs::read(&path).unwrap();
    let types = schema().clustering_types();
    let mut index = IndexReader::new(&bytes, descriptor.version, &types, &path);
    let (mut indexed, mut open_at_block_end) = (0, 0);
    while let Some(entry) = index.next_entry().unwrap() {
        if let Some(row_index) = entry.row_index {
            assert!(wide.contains(&entry.key));
            assert!(
                row_index.blocks.len() >= 8,
                "{} blocks",
                row_index.blocks.len()
            );
            indexed += 1;
            open_at_block_end += row_index
                .blocks
                .iter()
                .filter(|b| b.end_open_marker.is_some())
                .count();
        }
    }
    assert_eq!(indexed, wide.len());
    assert!(open_at_block_end > 0);
}

fn chunk_bodies(descriptor: &Descriptor) -> Vec<Range<usize>> {
    let info_path = descriptor.path(Component::CompressionInfo);
    let info_bytes = std::fs::read(&info_path).unwrap();
    let info = CompressionInfo::parse(&info_bytes, descriptor.version, &info_path).unwrap();
    let data_len = std::fs::metadata(descriptor.path(Component::Data))
        .unwrap()
        .len() as usize;
    let offsets: Vec<usize> = info.chunk_offsets.iter().map(|&o| o as usize).collect();
    (0..offsets.len())
        .map(|i| {
            let end = offsets.get(i + 1).copied().unwrap_or(data_len);
            offsets[i] + 4..end - 4
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The expected answers.

struct SliceQuery {
    key: Vec<u8>,
    slice: Slice,
    reverse: bool,
    answer: Option<Partition>,
}

/// What the undamaged table answers to every read a trial makes.
struct Expected {
    gets: Vec<(Vec<u8>, Option<Partition>)>,
    slices: Vec<SliceQuery>,
    scan: Vec<Partition>,
}

impl Expected {
    /// The answers, from the partitions as written (and checked against the
    /// undamaged table's reader).
    fn new(reference: &Reference) -> Expected {
        let gets = reference
            .partitions
            .iter()
            .map(|p| (p.key.clone(), Some(p.clone())))
            .chain(reference.absent.iter().map(|k| (k.clone(), None)))
            .collect();
        let mut slices = Vec::new();
        let mut add = |key: &[u8], start: Option<i32>, end: Option<i32>| {
            let slice = Slice {
                start: start.map(clustering),
                end: end.map(clustering),
            };
            for reverse in [false, true] {
                slices.push(SliceQuery {
                    key: key.to_vec(),
                    slice: slice.clone(),
                    reverse,
                    answer: None,
                });
            }
        };
        let cks = |key: &[u8]| -> Vec<i32> {
            let p = reference.partition(key);
            p.unfiltereds
                .iter()
                .filter_map(|u| match u {
                    Unfiltered::Row(r) => Some(i32::from_be_bytes(
                        r.clustering[0].as_deref()?.try_into().ok()?,
                    )),
                    Unfiltered::Marker(_) => None,
                })
                .collect()
        };
        for key in &reference.wide {
            let ck = cks(key);
            let n = ck.len();
            add(key, None, None);
            add(key, Some(ck[n / 2]), None);
            add(key, None, Some(ck[n / 2] + 1));
            // Inside the first range tombstone, blocks away from its start.
            add(key, Some(ck[n / 10 + 20]), Some(ck[n / 4 - 2] - 1));
            // From inside one tombstone, across the boundary, to past the end.
            add(key, Some(ck[n / 3 + 5] + 1), Some(ck[3 * n / 4]));
            add(key, Some(ck[7]), Some(ck[n - 8]));
        }
        for key in reference.narrow_with_tombstone.iter().take(3) {
            let ck = cks(key);
            add(key, Some(ck[2]), Some(ck[4]));
        }
        add(&reference.absent[0], None, None);

        let types = schema().clustering_types();
        for q in &mut slices {
            q.answer = reference
                .partitions
                .iter()
                .find(|p| p.key == q.key)
                .map(|p| {
                    let mut unfiltereds = clip(&types, p.unfiltereds.clone(), None, &q.slice);
                    if q.reverse {
                        unfiltereds.reverse();
                    }
                    Partition {
                        unfiltereds,
                        ..p.clone()
                    }
                });
        }
        Expected {
            gets,
            slices,
            scan: reference.partitions.clone(),
        }
    }
}

// ---------------------------------------------------------------------------
// Damage.

/// One kind of damage to one file.
#[derive(Debug, Clone)]
enum Damage {
    /// Flip these (byte, bit)s.
    Flip(Vec<(usize, u8)>),
    /// Cut the file to this length.
    Truncate(usize),
    /// Overwrite a range with zeros.
    Zeros(Range<usize>),
    /// Overwrite a range with these bytes.
    Random(usize, Vec<u8>),
}

impl Damage {
    /// Random damage to a file of `len` bytes, within `region` (a
    /// truncation only when the region is the whole file).
    fn random(rng: &mut StdRng, len: usize, region: Range<usize>) -> Damage {
        assert!(!region.is_empty(), "nothing to damage");
        let whole = region == (0..len);
        match rng.random_range(0..if whole { 4 } else { 3 }) {
            0 => {
                let mut flips = Vec::new();
                for _ in 0..rng.random_range(1..=3) {
                    let flip = (rng.random_range(region.clone()), rng.random_range(0..8));
                    if !flips.contains(&flip) {
                        flips.push(flip);
                    }
                }
                Damage::Flip(flips)
            }
            1 | 2 => {
                let start = rng.random_range(region.clone());
                let longest =
                    (region.end - start).min(if rng.random_bool(0.8) { 64 } else { 2048 });
                let end = start + rng.random_range(1..=longest);
                if rng.random_bool(0.5) {
                    Damage::Zeros(start..end)
                } else {
                    Damage::Random(start, (start..end).map(|_| rng.random()).collect())
                }
            }
            _ => Damage::Truncate(match rng.random_range(0..4) {
                0 => 0,
                1 => len - 1,
                _ => rng.random_range(0..len),
            }),
        }
    }

    fn apply(&self, bytes: &mut Vec<u8>) {
        match self {
            Damage::Flip(flips) => {
                for &(byte, bit) in flips {
                    bytes[byte] ^= 1 << bit;
                }
            }
            Damage::Truncate(len) => bytes.truncate(*len),
            Damage::Zeros(range) => bytes[range.clone()].fill(0),
            Damage::Random(start, new) => bytes[*start..*start + new.len()].copy_from_slice(new),
        }
    }
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Damage::Flip(flips) => {
                write!(f, "flip (byte, bit)")?;
                for (byte, bit) in flips {
                    write!(f, " ({byte}, {bit})")?;
                }
                Ok(())
            }
            Damage::Truncate(len) => write!(f, "truncate to {len} bytes"),
            Damage::Zeros(r) => write!(f, "zero bytes {}..{}", r.start, r.end),
            Damage::Random(start, new) => {
                write!(f, "overwrite bytes {start}..{} with ", start + new.len())?;
                for b in new.iter().take(16) {
                    write!(f, "{b:02x}")?;
                }
                if new.len() > 16 {
                    write!(f, "…")?;
                }
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The checking loop.

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The start of a value's debug form (formatting stops at the limit: a
/// whole scan's would take long).
fn short(value: &impl fmt::Debug) -> String {
    const LIMIT: usize = 400;
    struct Bounded(String);
    impl fmt::Write for Bounded {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for c in s.chars() {
                if self.0.len() >= LIMIT {
                    self.0.push('…');
                    return Err(fmt::Error);
                }
                self.0.push(c);
            }
            Ok(())
        }
    }
    let mut bounded = Bounded(String::new());
    let _ = fmt::Write::write_fmt(&mut bounded, format_args!("{value:?}"));
    bounded.0
}

/// Where the reads of one trial first met damage.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Detected {
    AtOpen,
    AtRead,
    Never,
}

/// Judges the answers of one damaged (or undamaged) table.
struct Checker {
    /// The file that was damaged or removed: the one every error must name.
    damaged: PathBuf,
    errors: usize,
    /// Files named by I/O errors.
    io_paths: Vec<PathBuf>,
    /// Answers that differ from the undamaged table's.
    wrong: Vec<String>,
    /// Errors that do not name the damaged file.
    misnamed: Vec<String>,
}

impl Checker {
    fn new(damaged: PathBuf) -> Checker {
        Checker {
            damaged,
            errors: 0,
            io_paths: Vec::new(),
            wrong: Vec::new(),
            misnamed: Vec::new(),
        }
    }

    fn error(&mut self, what: &str, error: &Error) {
        self.errors += 1;
        let named = match error {
            Error::Corruption { path, .. } | Error::Unsupported { path, .. } => Some(path),
            Error::Io { path, .. } => {
                self.io_paths.push(path.clone());
                Some(path)
            }
            _ => None,
        };
        if named != Some(&self.damaged) {
            self.misnamed.push(format!(
                "{what}: the error does not name {}: {error:?}",
                file_name(&self.damaged)
            ));
        }
    }

    fn answer<T: PartialEq + fmt::Debug>(&mut self, what: &str, got: Result<T>, want: &T) {
        match got {
            Ok(got) if got == *want => {}
            Ok(got) => self.wrong.push(format!(
                "{what}: WRONG ANSWER\n      got  {}\n      want {}",
                short(&got),
                short(want)
            )),
            Err(e) => self.error(what, &e),
        }
    }

    /// Opens the table and makes every read.
    fn read_everything(&mut self, data_path: &Path, expected: &Expected) -> Detected {
        let reader = match SstableReader::open(data_path) {
            Ok(reader) => reader,
            Err(e) => {
                self.error("open", &e);
                return Detected::AtOpen;
            }
        };
        for (key, want) in &expected.gets {
            self.answer(&format!("get {}", hex(key)), reader.get(key), want);
        }
        for q in &expected.slices {
            let what = format!(
                "slice {} {:?}{}",
                hex(&q.key),
                q.slice,
                if q.reverse { " reversed" } else { "" }
            );
            self.answer(&what, reader.slice(&q.key, &q.slice, q.reverse), &q.answer);
        }
        self.answer("scan", reader.scan(), &expected.scan);
        self.answer("verify", reader.verify(), &());
        if self.errors > 0 {
            Detected::AtRead
        } else {
            Detected::Never
        }
    }
}

/// Runs `f`, turning a panic into its message.
fn guarded<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".to_string())
    })
}

fn version_name(version: Version) -> &'static str {
    if version == Version::OA {
        "oa"
    } else {
        "nb"
    }
}

/// The pristine copy reads back exactly as written.
fn check_undamaged(reference: &Reference, expected: &Expected) {
    let dir = tempfile::tempdir().unwrap();
    let copy = reference.copy_to(dir.path());
    let data_path = copy.path(Component::Data);
    let reader = SstableReader::open(&data_path).unwrap();
    assert_eq!(reader.scan().unwrap(), expected.scan, "scan");
    for (key, want) in &expected.gets {
        assert_eq!(&reader.get(key).unwrap(), want, "get {}", hex(key));
    }
    for p in &reference.partitions {
        let all = reader.slice(&p.key, &Slice::all(), false).unwrap();
        assert_eq!(all.as_ref(), Some(p), "slice(all) {}", hex(&p.key));
    }
    for q in &expected.slices {
        let got = reader.slice(&q.key, &q.slice, q.reverse).unwrap();
        assert_eq!(
            got,
            q.answer,
            "slice {} {:?} {}",
            hex(&q.key),
            q.slice,
            q.reverse
        );
    }
    reader.verify().unwrap();
    let mut checker = Checker::new(PathBuf::new());
    assert_eq!(
        checker.read_everything(&data_path, expected),
        Detected::Never
    );
    assert!(checker.wrong.is_empty() && checker.misnamed.is_empty());
}

/// Whether the trials keep Ilion's checksum sidecar or remove it, making
/// each damaged table one Cassandra could have written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sidecar {
    Kept,
    Removed,
}

/// One damaged copy of the reference table and what its reads saw.
struct Trial {
    description: String,
    unchanged: bool,
    outcome: std::result::Result<Detected, String>,
    checker: Checker,
}

fn run_trial(
    reference: &Reference,
    expected: &Expected,
    component: Component,
    seed: u64,
    sidecar: Sidecar,
) -> Trial {
    let pristine = std::fs::read(reference.descriptor.path(component)).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let in_chunk = component == Component::Data && rng.random_bool(0.5);
    let (region, place) = if in_chunk {
        let chunk = rng.random_range(0..reference.chunk_bodies.len());
        let body = reference.chunk_bodies[chunk].clone();
        (body, format!(" inside chunk {chunk}'s body"))
    } else {
        (0..pristine.len(), String::new())
    };
    let damage = Damage::random(&mut rng, pristine.len(), region);
    let mut damaged = pristine.clone();
    damage.apply(&mut damaged);

    let dir = tempfile::tempdir().unwrap();
    let copy = reference.copy_to(dir.path());
    std::fs::write(copy.path(component), &damaged).unwrap();
    if sidecar == Sidecar::Removed {
        std::fs::remove_file(copy.path(Component::IlionChecksums)).unwrap();
    }
    let mut checker = Checker::new(copy.path(component));
    let outcome = guarded(|| checker.read_everything(&copy.path(Component::Data), expected));
    Trial {
        description: format!(
            "{} {} (seed {seed:#x}, sidecar {sidecar:?}): {damage}{place}",
            version_name(reference.descriptor.version),
            component.name()
        ),
        unchanged: damaged == pristine,
        outcome,
        checker,
    }
}

/// Per component: in how many trials the damage was detected and where,
/// and how many trials saw something wrong.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    trials: usize,
    at_open: usize,
    at_read: usize,
    unnoticed: usize,
    /// Damage that left the bytes as they were (zeros over zeros).
    unchanged: usize,
    wrong: usize,
    misnamed: usize,
    panics: usize,
}

impl Tally {
    fn add(&mut self, trial: &Trial) {
        self.trials += 1;
        self.unchanged += usize::from(trial.unchanged);
        match trial.outcome {
            Ok(Detected::AtOpen) => self.at_open += 1,
            Ok(Detected::AtRead) => self.at_read += 1,
            Ok(Detected::Never) => self.unnoticed += 1,
            Err(_) => self.panics += 1,
        }
        self.wrong += usize::from(!trial.checker.wrong.is_empty());
        self.misnamed += usize::from(!trial.checker.misnamed.is_empty());
    }
}

fn print_tallies(title: &str, tallies: &[(Component, Tally)]) {
    eprintln!(
        "{title}\n  {:<20} {:>6} {:>7} {:>7} {:>9} {:>9} {:>5} {:>8} {:>6}",
        "component",
        "trials",
        "at open",
        "at read",
        "unnoticed",
        "unchanged",
        "wrong",
        "misnamed",
        "panics"
    );
    for (c, t) in tallies {
        eprintln!(
            "  {:<20} {:>6} {:>7} {:>7} {:>9} {:>9} {:>5} {:>8} {:>6}",
            c.name(),
            t.trials,
            t.at_open,
            t.at_read,
            t.unnoticed,
            t.unchanged,
            t.wrong,
            t.misnamed,
            t.panics
        );
    }
}

/// Damages every component `trials` times; returns the tallies and the
/// trials that failed by `fails`.
fn damage_every_component(
    version: Version,
    sidecar: Sidecar,
    trials: usize,
    fails: impl Fn(Component, &Trial) -> Vec<String>,
) -> (Vec<(Component, Tally)>, Vec<String>) {
    let reference = Reference::build(version);
    let expected = Expected::new(&reference);
    check_undamaged(&reference, &expected);
    let mut failures = Vec::new();
    let mut tallies = Vec::new();
    for (index, component) in COMPONENTS.into_iter().enumerate() {
        if sidecar == Sidecar::Removed && component == Component::IlionChecksums {
            continue;
        }
        let mut tally = Tally::default();
        for trial in 0..trials {
            let seed = 0xC0_4411_u64 << 40
                | u64::from(version == Version::OA) << 36
                | u64::from(sidecar == Sidecar::Removed) << 32
                | (index as u64) << 16
                | trial as u64;
            let trial = run_trial(&reference, &expected, component, seed, sidecar);
            tally.add(&trial);
            let problems = fails(component, &trial);
            if !problems.is_empty() {
                failures.push(format!(
                    "{}\n    {}",
                    trial.description,
                    problems.join("\n    ")
                ));
            }
        }
        tallies.push((component, tally));
    }
    let title = format!(
        "{} with the sidecar {sidecar:?}: {} trials per component",
        version_name(version),
        trials
    );
    print_tallies(&title, &tallies);
    (tallies, failures)
}

/// Ilion's tables: every damage is an error or goes unseen with every
/// answer right; errors name the damaged file; every component's damage
/// is detected at least sometimes.
fn ilion_tables(version: Version) {
    let (tallies, failures) =
        damage_every_component(version, Sidecar::Kept, trials(), |_, trial| {
            let c = &trial.checker;
            let panic = trial.outcome.as_ref().err().map(|p| format!("PANIC: {p}"));
            panic
                .into_iter()
                .chain(c.wrong.iter().cloned())
                .chain(c.misnamed.iter().cloned())
                .collect()
        });
    assert!(
        failures.is_empty(),
        "{} damaged tables panicked, answered wrong, or blamed another file:\n{}",
        failures.len(),
        failures.join("\n")
    );
    if trials() > 0 {
        let blind: Vec<&str> = tallies
            .iter()
            .filter(|(_, t)| t.at_open + t.at_read == 0)
            .map(|(c, _)| c.name())
            .collect();
        assert!(blind.is_empty(), "damage to {blind:?} was never detected");
    }
}

#[test]
fn damaged_oa_tables_fail_or_answer_right() {
    ilion_tables(Version::OA);
}

#[test]
fn damaged_nb_tables_fail_or_answer_right() {
    ilion_tables(Version::NB);
}

/// Without the sidecar (a table Cassandra wrote) the format checks only
/// Data.db (chunk CRCs, Digest.crc32) and Statistics.db (its CRCs):
/// damage to Index.db, Summary.db or Filter.db can make a key look absent,
/// which is why Ilion writes the sidecar. What must still hold: no panic
/// on any damage, and no wrong answer from damage the format checks. This
/// also exercises every parser on damaged bytes, which the sidecar
/// otherwise stops before they parse.
fn cassandra_tables(version: Version) {
    let (_, failures) = damage_every_component(
        version,
        Sidecar::Removed,
        trials().div_ceil(2),
        |component, trial| {
            let panic = trial.outcome.as_ref().err().map(|p| format!("PANIC: {p}"));
            let checked = matches!(component, Component::Data | Component::Statistics);
            let wrong = trial.checker.wrong.iter().filter(|_| checked).cloned();
            panic.into_iter().chain(wrong).collect()
        },
    );
    assert!(
        failures.is_empty(),
        "{} damaged tables without the sidecar panicked or answered wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn damaged_oa_tables_without_the_sidecar_never_panic() {
    cassandra_tables(Version::OA);
}

#[test]
fn damaged_nb_tables_without_the_sidecar_never_panic() {
    cassandra_tables(Version::NB);
}

/// The checker sees a wrong answer when there is one: zeroing the bloom
/// filter's bits of a table without the sidecar makes every key look
/// absent to lookups, which nothing in Cassandra's format checks; only
/// `verify` (which looks every partition up again) reports it.
#[test]
fn the_checker_sees_wrong_answers() {
    let reference = Reference::build(Version::OA);
    let expected = Expected::new(&reference);
    let dir = tempfile::tempdir().unwrap();
    let copy = reference.copy_to(dir.path());
    std::fs::remove_file(copy.path(Component::IlionChecksums)).unwrap();
    let filter = copy.path(Component::Filter);
    let mut bytes = std::fs::read(&filter).unwrap();
    bytes[8..].fill(0);
    std::fs::write(&filter, bytes).unwrap();
    let mut checker = Checker::new(filter);
    assert_eq!(
        checker.read_everything(&copy.path(Component::Data), &expected),
        Detected::AtRead
    );
    // Every get and slice of a present key answers None; scan does not use
    // the filter, and verify's error is the one detection.
    let present = expected.gets.iter().filter(|(_, p)| p.is_some()).count()
        + expected
            .slices
            .iter()
            .filter(|q| q.answer.is_some())
            .count();
    assert_eq!(checker.wrong.len(), present);
}

// ---------------------------------------------------------------------------
// Missing components.

fn delete_every_component(version: Version) {
    let reference = Reference::build(version);
    let expected = Expected::new(&reference);
    let name = version_name(version);
    let mut failures = Vec::new();
    for component in COMPONENTS {
        let dir = tempfile::tempdir().unwrap();
        let copy = reference.copy_to(dir.path());
        let path = copy.path(component);
        std::fs::remove_file(&path).unwrap();
        let mut checker = Checker::new(path.clone());
        let outcome = guarded(|| checker.read_everything(&copy.path(Component::Data), &expected));
        eprintln!("{name} without {:<20} {outcome:?}", component.name());
        let mut problems = checker.wrong.clone();
        problems.extend(checker.misnamed.iter().cloned());
        match (component, outcome) {
            (_, Err(panic)) => problems.push(format!("PANIC: {panic}")),
            // Without the sidecar the table is one Cassandra wrote, and
            // every other component is intact.
            (Component::IlionChecksums, Ok(outcome)) if outcome != Detected::Never => {
                problems.push("a table without its sidecar must read as Cassandra's".into())
            }
            // TOC.txt is read only to check it against the sidecar.
            (Component::IlionChecksums | Component::Toc, _) => {}
            _ if !checker.io_paths.contains(&path) => {
                problems.push("no I/O error naming the missing file from open or verify".into())
            }
            _ => {}
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{name} without {}:\n    {}",
                component.name(),
                problems.join("\n    ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn oa_tables_missing_a_component_fail_or_answer_right() {
    delete_every_component(Version::OA);
}

#[test]
fn nb_tables_missing_a_component_fail_or_answer_right() {
    delete_every_component(Version::NB);
}
