//! Damaged copies of Cassandra-written tables (one clust table of each of
//! ma, mc, nb and oa, with its row index): bit flips at many offsets and
//! truncations at many lengths of every component. Every operation (open,
//! scan, get, slice, verify) must either fail with an error naming a file
//! of the table, or answer exactly what the undamaged table answers. A
//! present key reported absent (missing data) is allowed only where
//! `verify` then reports the damage: Cassandra's Index.db, Summary.db and
//! Filter.db carry no checksum, so a damaged filter can hide a key from a
//! lookup, but not from verification.
//!
//! Bounded for CI: a fixed set of offsets per component (evenly spread plus
//! seeded random ones), about 2 000 trials in all.

use crate::common::TableFiles;
use ilion_sstable::reader::{Slice, SstableReader};
use ilion_sstable::rows::Partition;
use ilion_sstable::Error;
use rand::{Rng, SeedableRng};
use std::path::Path;

const COMPONENTS: [&str; 8] = [
    "Data.db",
    "Index.db",
    "Summary.db",
    "Filter.db",
    "Statistics.db",
    "CompressionInfo.db",
    "Digest.crc32",
    "TOC.txt",
];

/// Flips and truncations per component and table.
const FLIPS: usize = 48;
const TRUNCATIONS: usize = 16;

/// The file an error names, if any.
fn named(e: &Error) -> Option<&Path> {
    match e {
        Error::Io { path, .. }
        | Error::Corruption { path, .. }
        | Error::Unsupported { path, .. } => Some(path),
        _ => None,
    }
}

#[derive(Default, Debug)]
struct Tally {
    trials: usize,
    refused_at_open: usize,
    read_errors: usize,
    clean: usize,
    hidden_by_filter_or_index: usize,
    verify_errors: usize,
    /// Errors naming the damaged file, and naming another file of the
    /// table (damage found where it contradicts another component).
    naming_damaged: usize,
    naming_other: usize,
}

/// Runs every read against the damaged copy in `dir`; returns problems.
fn check_damaged(
    dir: &Path,
    table: &TableFiles,
    original: &[Partition],
    what: &str,
    tally: &mut Tally,
) -> Vec<String> {
    let mut problems = Vec::new();
    let damaged = what_file(dir, table, what);
    let in_table = |e: &Error, tally: &mut Tally| {
        let path = named(e);
        if path == Some(damaged.as_path()) {
            tally.naming_damaged += 1;
        } else {
            tally.naming_other += 1;
        }
        path.is_some_and(|p| p.starts_with(dir))
    };
    let data_path = dir.join(format!("{}-Data.db", table.prefix));
    let reader = match SstableReader::open(&data_path) {
        Ok(r) => r,
        Err(e) => {
            if !in_table(&e, tally) {
                problems.push(format!("{what}: open error names no table file: {e}"));
            }
            tally.refused_at_open += 1;
            return problems;
        }
    };
    let verify = reader.verify();
    if let Err(e) = &verify {
        tally.verify_errors += 1;
        if !in_table(e, tally) {
            problems.push(format!("{what}: verify error names no table file: {e}"));
        }
    }
    let mut any_error = false;
    let mut missing = false;
    match reader.scan() {
        Ok(all) => {
            if all != original {
                problems.push(format!("{what}: scan returned other partitions"));
            }
        }
        Err(e) => {
            any_error = true;
            if !in_table(&e, tally) {
                problems.push(format!("{what}: scan error names no table file: {e}"));
            }
        }
    }
    for p in original {
        match reader.get(&p.key) {
            Ok(Some(found)) if &found == p => {}
            Ok(Some(_)) => {
                problems.push(format!("{what}: get({:?}) gave a wrong partition", p.key))
            }
            Ok(None) => missing = true,
            Err(e) => {
                any_error = true;
                if !in_table(&e, tally) {
                    problems.push(format!("{what}: get error names no table file: {e}"));
                }
            }
        }
        match reader.slice(&p.key, &Slice::default(), true) {
            Ok(Some(found)) => {
                let mut want = p.unfiltereds.clone();
                want.reverse();
                if found.unfiltereds != want || found.key != p.key {
                    problems.push(format!("{what}: reversed slice of {:?} differs", p.key));
                }
            }
            Ok(None) => missing = true,
            Err(_) => any_error = true,
        }
    }
    for absent in [&b"5"[..], b"", b"00", b"4\0"] {
        if let Ok(Some(_)) = reader.get(absent) {
            problems.push(format!("{what}: absent key {absent:?} found"));
        }
    }
    if missing {
        tally.hidden_by_filter_or_index += 1;
        if verify.is_ok() {
            problems.push(format!(
                "{what}: a present key read as absent, and verify passed"
            ));
        }
    }
    if any_error {
        tally.read_errors += 1;
    } else if !missing {
        tally.clean += 1;
    }
    problems
}

/// The damaged file's path: the component named second in `what`.
fn what_file(dir: &Path, table: &TableFiles, what: &str) -> std::path::PathBuf {
    let component = what.split(' ').nth(1).unwrap_or_default();
    dir.join(format!("{}-{component}", table.prefix))
}

fn copy_table(table: &TableFiles, dir: &Path) {
    for entry in std::fs::read_dir(&table.dir).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
}

#[test]
fn damaged_cassandra_tables_give_errors_never_wrong_or_silently_missing_rows() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(41);
    let mut problems = Vec::new();
    let mut tally = Tally::default();
    for version in ["ma", "mc", "nb", "oa"] {
        let table = crate::common::table(&root, version, &format!("legacy_{version}_clust"));
        let original = SstableReader::open(&table.component("Data.db"))
            .unwrap()
            .scan()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        copy_table(&table, dir.path());
        for component in COMPONENTS {
            let path = dir.path().join(format!("{}-{component}", table.prefix));
            let pristine = std::fs::read(&path).unwrap();
            let len = pristine.len();
            let mut damages: Vec<(String, Vec<u8>)> = Vec::new();
            for i in 0..FLIPS {
                // Half evenly spread (so every region is hit), half random.
                let at = if i % 2 == 0 {
                    i * len / FLIPS
                } else {
                    rng.random_range(0..len)
                };
                let bit = rng.random_range(0..8);
                let mut bytes = pristine.clone();
                bytes[at] ^= 1 << bit;
                damages.push((format!("flip {at}.{bit}"), bytes));
            }
            for i in 0..TRUNCATIONS {
                let at = if i == 0 {
                    0
                } else if i % 2 == 1 {
                    len - 1 - (i / 2).min(len - 1)
                } else {
                    rng.random_range(0..len)
                };
                damages.push((format!("truncate to {at}"), pristine[..at].to_vec()));
            }
            for (damage, bytes) in damages {
                std::fs::write(&path, &bytes).unwrap();
                let what = format!("{version} {component} {damage}");
                tally.trials += 1;
                problems.extend(check_damaged(
                    dir.path(),
                    &table,
                    &original,
                    &what,
                    &mut tally,
                ));
            }
            std::fs::write(&path, &pristine).unwrap();
        }
    }
    eprintln!("{tally:?}");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(tally.trials, 4 * 8 * (FLIPS + TRUNCATIONS));
}

/// Where Statistics.db's header component starts and ends (table of
/// contents without CRCs: ma to me).
fn header_component(bytes: &[u8]) -> std::ops::Range<usize> {
    let count = i32::from_be_bytes(bytes[0..4].try_into().unwrap()) as usize;
    let mut offsets: Vec<(i32, usize)> = (0..count)
        .map(|i| {
            let at = 4 + 8 * i;
            let kind = i32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
            let offset = i32::from_be_bytes(bytes[at + 4..at + 8].try_into().unwrap());
            (kind, offset as usize)
        })
        .collect();
    offsets.sort_by_key(|&(_, o)| o);
    let i = offsets.iter().position(|&(k, _)| k == 3).unwrap();
    offsets[i].1..offsets.get(i + 1).map_or(bytes.len(), |&(_, o)| o)
}

/// Goal: without CRCs over Statistics.db (ma to me), damage to the
/// serialization header, whose bases every delta in Data.db adds to, is
/// still found. Method: every bit 0 and bit 7 of every header byte of the
/// ma and mc clust tables. Each copy must be refused at open, or read
/// exactly as the original, or (a lowered timestamp base, which shifts
/// every timestamp and no format check sees) fail `verify`, naming
/// Statistics.db. Reads before `verify` can return those shifted rows:
/// a gap the format leaves, stated here rather than hidden.
#[test]
fn damaged_serialization_headers_without_crcs_are_found() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let (mut refused, mut same, mut found_by_verify) = (0, 0, 0);
    for version in ["ma", "mc"] {
        let table = crate::common::table(&root, version, &format!("legacy_{version}_clust"));
        let original = SstableReader::open(&table.component("Data.db"))
            .unwrap()
            .scan()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        copy_table(&table, dir.path());
        let path = dir.path().join(format!("{}-Statistics.db", table.prefix));
        let data_path = dir.path().join(format!("{}-Data.db", table.prefix));
        let pristine = std::fs::read(&path).unwrap();
        for at in header_component(&pristine) {
            for bit in [0, 7] {
                let mut bytes = pristine.clone();
                bytes[at] ^= 1 << bit;
                std::fs::write(&path, &bytes).unwrap();
                let reader = match SstableReader::open(&data_path) {
                    Ok(r) => r,
                    Err(e) => {
                        assert!(named(&e).is_some_and(|p| p.starts_with(dir.path())), "{e}");
                        refused += 1;
                        continue;
                    }
                };
                if reader.scan().ok().as_deref() == Some(original.as_slice()) {
                    same += 1;
                    continue;
                }
                match reader.verify() {
                    Err(Error::Corruption { path: named, .. }) => {
                        assert!(named.starts_with(dir.path()));
                        found_by_verify += 1;
                    }
                    other => {
                        panic!("{version} header flip {at}.{bit}: wrong rows, verify {other:?}")
                    }
                }
            }
        }
        std::fs::write(&path, &pristine).unwrap();
    }
    eprintln!("refused {refused}, read unchanged {same}, found by verify {found_by_verify}");
    assert!(refused > 0 && found_by_verify > 0);
}

/// Regression (fuzz target `cassandra_reader`, crash-150ad3a2): an Index.db
/// of the oa clust table overwritten near its start so that a row index
/// block's width delta is near i64::MAX; the width computation overflowed
/// (a panic in debug builds) on a slice. It must be an error naming
/// Index.db, or the right answer.
#[test]
fn index_block_width_overflow_is_an_error() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    // The fuzz input: table 7 (oa clust), component 252 % 8 = 4 (Index.db
    // in name order), mode 2 (overwrite at offset 0x0005 × len / 65536).
    let input: [u8; 54] = [
        0x07, 0xfc, 0x02, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x03, 0x01,
        0x03, 0x6e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x28, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x01, 0xec, 0x34, 0x97, 0x97, 0x82, 0x23, 0x05, 0x02, 0x4c, 0x6f, 0x3d,
        0x3d, 0x6e, 0x6a, 0x6e, 0x6a, 0x54, 0x79, 0x70, 0x64,
    ];
    let table = crate::common::table(&root, "oa", "legacy_oa_clust");
    let original = SstableReader::open(&table.component("Data.db"))
        .unwrap()
        .scan()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    copy_table(&table, dir.path());
    let index_path = dir.path().join(format!("{}-Index.db", table.prefix));
    let mut bytes = std::fs::read(&index_path).unwrap();
    let at = (usize::from(input[3]) << 8 | usize::from(input[4])) * bytes.len() / 65536;
    for (i, b) in input[5..].iter().enumerate() {
        if let Some(slot) = bytes.get_mut(at + i) {
            *slot = *b;
        }
    }
    std::fs::write(&index_path, &bytes).unwrap();
    let Ok(reader) = SstableReader::open(&dir.path().join(format!("{}-Data.db", table.prefix)))
    else {
        return;
    };
    for p in &original {
        for reverse in [false, true] {
            match reader.slice(&p.key, &Slice::default(), reverse) {
                Ok(Some(found)) => {
                    let mut want = p.unfiltereds.clone();
                    if reverse {
                        want.reverse();
                    }
                    assert_eq!(found.unfiltereds, want);
                }
                Ok(None) => assert!(reader.verify().is_err()),
                Err(e) => assert_eq!(named(&e), Some(index_path.as_path()), "{e}"),
            }
        }
    }
}
