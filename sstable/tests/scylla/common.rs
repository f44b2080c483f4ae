//! Finding scylla's 3.x fixtures (SSTables Cassandra wrote, copied from
//! scylladb/scylladb's test/resource/sstables/3.x/) and decoding what the
//! tests compare.

use ilion_sstable::reader::{Slice, SstableReader};
use ilion_sstable::reconcile::{CellKind, DeletionTime};
use ilion_sstable::rows::{Cell, ColumnData, Partition, Row, Unfiltered};
use ilion_sstable::types::has_comparator;
use ilion_sstable::Error;
use std::path::PathBuf;

/// `../shared/cassandra-sstables/scylla-3x/` beside the repository, if
/// present. Absent on a user's fresh clone (the test then says it
/// skipped); required when `CI=true`.
pub fn fixtures() -> Option<PathBuf> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/cassandra-sstables/scylla-3x");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is missing",
        dir.display()
    );
    eprintln!("skipped: {} not found", dir.display());
    None
}

/// The Data.db of generation `generation` of the table at `table`
/// (`<compression>/<name>`, version mc).
pub fn data_path(table: &str, generation: u32) -> Option<PathBuf> {
    let dir = fixtures()?.join(table);
    let prefix = if table.contains("integrity_check") {
        "me"
    } else {
        "mc"
    };
    Some(dir.join(format!("{prefix}-{generation}-big-Data.db")))
}

/// The table at `table`, opened (generation 1).
pub fn open(table: &str) -> Option<SstableReader> {
    open_generation(table, 1)
}

/// Generation `generation` of the table at `table`, opened.
pub fn open_generation(table: &str, generation: u32) -> Option<SstableReader> {
    let path = data_path(table, generation)?;
    Some(SstableReader::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// An `int` as CQL serializes it.
pub fn int(v: i32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// The index of regular column `name` in the table's header.
pub fn regular(reader: &SstableReader, name: &str) -> usize {
    let columns = &reader.statistics().header.regular_columns;
    columns
        .iter()
        .position(|c| c.name == name.as_bytes())
        .unwrap_or_else(|| panic!("no regular column {name}"))
}

/// The live simple cells of `row` as (column name, value), in header
/// order; fails on a cell that is not a plain live cell.
pub fn live_values(reader: &SstableReader, row: &Row, is_static: bool) -> Vec<(String, Vec<u8>)> {
    let header = &reader.statistics().header;
    let columns = if is_static {
        &header.static_columns
    } else {
        &header.regular_columns
    };
    row.columns
        .iter()
        .map(|c| match c {
            ColumnData::Simple { column, cell } => {
                assert_eq!(cell.kind, CellKind::Live, "{cell:?}");
                assert_eq!(cell.path, None);
                let name = String::from_utf8(columns[*column].name.clone()).unwrap();
                (name, cell.value.clone())
            }
            other => panic!("expected a simple cell, got {other:?}"),
        })
        .collect()
}

/// (column name, value) pairs, for comparing with [`live_values`].
pub fn named(pairs: &[(&str, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_string(), v.clone()))
        .collect()
}

/// The rows of `partition` (fails on a range tombstone marker).
pub fn rows(partition: &Partition) -> Vec<&Row> {
    partition
        .unfiltereds
        .iter()
        .map(|u| match u {
            Unfiltered::Row(row) => row,
            Unfiltered::Marker(m) => panic!("unexpected marker {m:?}"),
        })
        .collect()
}

/// A row written by one INSERT without TTL: primary-key liveness, not
/// deleted, and every cell written at the liveness timestamp.
pub fn assert_inserted(row: &Row) {
    let liveness = row.liveness.expect("an INSERT writes row liveness");
    assert_eq!(liveness.expiry, None, "{row:?}");
    assert_eq!(row.deletion, None, "{row:?}");
    for c in &row.columns {
        let cells: Vec<&Cell> = match c {
            ColumnData::Simple { cell, .. } => vec![cell],
            ColumnData::Complex { cells, .. } => cells.iter().collect(),
        };
        for cell in cells {
            assert_eq!(cell.timestamp, liveness.timestamp, "{row:?}");
        }
    }
}

/// The partition's deletion is none.
pub fn assert_live_partition(partition: &Partition) {
    assert_eq!(partition.deletion, DeletionTime::LIVE);
}

/// Every partition of `scanned` is found again through the index (point
/// lookup and whole-partition slice, forwards and reversed), and none of
/// `absent`.
pub fn check_lookups(reader: &SstableReader, scanned: &[Partition], absent: &[Vec<u8>]) {
    assert_eq!(reader.partition_count(), scanned.len());
    // Slices need every clustering type ordered; Ilion refuses the others
    // (UUIDType and TimeUUIDType among them) with `Unsupported`.
    let types = &reader.statistics().header.clustering_types;
    if !types.iter().all(|t| has_comparator(t)) {
        let e = reader.slice(&scanned[0].key, &Slice::all(), false);
        assert!(matches!(e, Err(Error::Unsupported { .. })), "{e:?}");
    }
    for p in scanned {
        let got = reader.get(&p.key).unwrap();
        assert_eq!(got.as_ref(), Some(p), "get {:?}", p.key);
        if !types.iter().all(|t| has_comparator(t)) {
            continue;
        }
        let sliced = reader.slice(&p.key, &Slice::all(), false).unwrap();
        assert_eq!(sliced.as_ref(), Some(p), "slice {:?}", p.key);
        let mut reversed = reader.slice(&p.key, &Slice::all(), true).unwrap().unwrap();
        reversed.unfiltereds.reverse();
        assert_eq!(&reversed, p, "reversed slice {:?}", p.key);
    }
    for key in absent {
        assert!(scanned.iter().all(|p| &p.key != key), "{key:?} is present");
        assert_eq!(reader.get(key).unwrap(), None, "absent key {key:?}");
        if types.iter().all(|t| has_comparator(t)) {
            assert_eq!(reader.slice(key, &Slice::all(), false).unwrap(), None);
        }
    }
}

/// Int keys 1000..1010 and -1: absent from every int-keyed fixture.
pub fn absent_ints() -> Vec<Vec<u8>> {
    (1000..1010).chain([-1]).map(int).collect()
}

/// Milliseconds since the epoch of a UTC date and time (what CQL's
/// `timestamp` stores), by the days-from-civil algorithm.
pub fn epoch_millis(date: (i64, i64, i64), time: (i64, i64, i64, i64)) -> i64 {
    let (y, m, d) = date;
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let (h, mi, s, ms) = time;
    ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms
}

/// The 16 bytes of a UUID written in its textual form.
pub fn uuid(text: &str) -> Vec<u8> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    assert_eq!(hex.len(), 32, "{text}");
    (0..16)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn epoch_millis_matches_known_dates() {
    // 2015-05-01T09:30:54.234Z, as `date -u -d ... +%s%3N` gives it.
    assert_eq!(
        epoch_millis((2015, 5, 1), (9, 30, 54, 234)),
        1_430_472_654_234
    );
    assert_eq!(epoch_millis((1970, 1, 1), (0, 0, 0, 0)), 0);
    assert_eq!(epoch_millis((2000, 3, 1), (0, 0, 0, 0)), 951_868_800_000);
}
