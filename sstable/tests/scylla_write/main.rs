//! Ilion's SSTable writer against the files Cassandra wrote for known
//! content: every `write_*` table of `scylla-3x/uncompressed/` (scylladb's
//! test resources; README.txt there). Each table's content is built from
//! the CQL that produced it, written by `SstableWriter` as `nb`
//! uncompressed, and Data.db and Index.db are compared with Cassandra's
//! byte for byte (Data.db's encoding is the same in `mc` and `nb`); with
//! them Digest.crc32, CRC.db and Summary.db where the folder kept them, and
//! Filter.db's bits (`mc` and `nb` lay the filter out differently). The
//! serialization header the writer is given (columns from the schema,
//! minimums computed from the content as Cassandra computes them) must be
//! the one in Cassandra's Statistics.db; and Ilion must read its own
//! Data.db back as the partitions it was given.

// Test code: unwrapping is how a test says "this must succeed".
#![allow(clippy::unwrap_used)]

mod cases;
mod cql;
mod harness;

use std::path::PathBuf;

/// `../shared/cassandra-sstables/scylla-3x/uncompressed/` beside the
/// repository, if present (required when `CI=true`).
fn tables_root() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/cassandra-sstables/scylla-3x/uncompressed");
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

#[test]
fn every_write_table_is_written_as_cassandra_wrote_it() {
    let Some(root) = tables_root() else {
        return;
    };
    let mut tables: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("write_"))
        .collect();
    tables.sort();
    let cases = cases::all();
    let mut failures = Vec::new();
    for table in &tables {
        let Some((_, build)) = cases.iter().find(|(name, _)| name == table) else {
            failures.push(format!("{table}: no case"));
            continue;
        };
        let cassandra = harness::Cassandra::load(&root.join(table));
        match harness::run(&cassandra, build(&cassandra)) {
            Ok(how) => println!("{table}: {how}"),
            Err(e) => failures.push(format!("{table}: {e}")),
        }
    }
    for (name, _) in &cases {
        if !tables.iter().any(|t| t == name) {
            failures.push(format!("{name}: a case without a table"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} tables fail:\n\n{}",
        failures.len(),
        tables.len(),
        failures.join("\n\n")
    );
}
