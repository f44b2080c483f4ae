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
    let in_table = |e: &Error| named(e).is_some_and(|p| p.starts_with(dir));
    let data_path = dir.join(format!("{}-Data.db", table.prefix));
    let reader = match SstableReader::open(&data_path) {
        Ok(r) => r,
        Err(e) => {
            if !in_table(&e) {
                problems.push(format!("{what}: open error names no table file: {e}"));
            }
            tally.refused_at_open += 1;
            return problems;
        }
    };
    let verify = reader.verify();
    if let Err(e) = &verify {
        tally.verify_errors += 1;
        if !in_table(e) {
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
            if !in_table(&e) {
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
                if !in_table(&e) {
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
