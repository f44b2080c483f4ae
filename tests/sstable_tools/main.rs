//! `ilion sstable dump|metadata|verify` run as a user runs them, on the
//! SSTables Cassandra wrote (`../shared/cassandra-sstables`). Expected
//! contents come from the format reference's oracle (§14.3: what
//! `LegacySSTableTest` wrote), Cassandra's `TTLTest` for the
//! negative-local-expiration tables, and scylla's README for the damaged
//! integrity_check tables. The legacy tables include BTI (`da`), whose
//! `--key` dumps go through Partitions.db.

// Test code: unwrapping is how a test says "this must succeed".
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared/cassandra-sstables` beside the repository; `None` (the test
/// skips, saying so) when absent, except under `CI=true`.
fn shared() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/cassandra-sstables");
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

const VERSIONS: [&str; 6] = ["ma", "mc", "md", "nb", "oa", "da"];

/// Every legacy table directory of the big versions, sorted.
fn legacy_tables(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for version in VERSIONS {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join(version))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dirs.sort();
        out.extend(dirs);
    }
    out
}

fn ilion(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ilion"))
        .args(args)
        .output()
        .unwrap()
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn dump(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["sstable", "dump"];
    all.extend_from_slice(args);
    let out = ilion(&all);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).unwrap() {
        Value::Array(partitions) => partitions,
        other => panic!("not an array: {other}"),
    }
}

fn table_name(dir: &Path) -> String {
    dir.file_name().unwrap().to_str().unwrap().to_string()
}

/// The clust tables' clustering keys in on-disk order (§14.3: decimal(i)
/// followed by "0123456789" × 120, unsigned byte order).
fn clustering_keys() -> Vec<String> {
    let long = "0123456789".repeat(120);
    let mut keys: Vec<String> = (0..50).map(|i| format!("{i}{long}")).collect();
    keys.sort();
    keys
}

fn cells(row: &Value) -> &Vec<Value> {
    row["cells"].as_array().unwrap()
}

/// The value of the one cell named `val` in a row.
fn val(row: &Value) -> &Value {
    let cells = cells(row);
    assert_eq!(cells.len(), 1, "{row}");
    assert_eq!(cells[0]["name"], "val");
    &cells[0]["value"]
}

fn check_val(value: &Value, counter: bool, clust: bool, name: &str) {
    if counter {
        // All counters equal 1 (§14.3).
        assert_eq!(value, &Value::from(1), "{name}");
    } else if clust {
        // R: 128 lowercase letters.
        let s = value.as_str().unwrap();
        assert_eq!(s.len(), 128, "{name}");
        assert!(s.bytes().all(|b| b.is_ascii_lowercase()), "{name}");
    } else {
        assert_eq!(value, "foo bar baz", "{name}");
    }
}

#[test]
fn dumps_of_legacy_tables_hold_the_oracle() {
    let Some(root) = shared() else { return };
    let ck = clustering_keys();
    let mut tables = 0;
    for dir in legacy_tables(&root) {
        let name = table_name(&dir);
        if name.ends_with("inaccurate_min_max") {
            continue;
        }
        let counter = name.contains("counter");
        let clust = name.contains("clust");
        let compact = name.ends_with("compact");
        let partitions = dump(&[path_str(&dir)]);
        // Five partitions "0".."4" in ByteOrdered order (§14.3).
        let keys: Vec<&Value> = partitions.iter().map(|p| &p["partition"]["key"]).collect();
        let expected: Vec<Value> = (0..5).map(|i| serde_json::json!([i.to_string()])).collect();
        assert_eq!(keys, expected.iter().collect::<Vec<_>>(), "{name}");
        let positions: Vec<u64> = partitions
            .iter()
            .map(|p| p["partition"]["position"].as_u64().unwrap())
            .collect();
        assert_eq!(positions[0], 0, "{name}");
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{name}");
        for (i, p) in partitions.iter().enumerate() {
            assert!(p["partition"].get("deletion_info").is_none(), "{name}");
            // A one-row partition's row shows where it ends: at the
            // end-of-partition byte, just before the next partition (as in
            // the example of Cassandra's sstabledump documentation).
            if !clust && i + 1 < partitions.len() {
                assert_eq!(
                    p["rows"][0]["position"].as_u64().unwrap() + 1,
                    positions[i + 1],
                    "{name}"
                );
            }
            let rows = p["rows"].as_array().unwrap();
            if clust {
                assert_eq!(rows.len(), 50, "{name}");
                for (row, key) in rows.iter().zip(&ck) {
                    assert_eq!(row["type"], "row", "{name}");
                    assert_eq!(row["clustering"], serde_json::json!([key]), "{name}");
                    check_val(val(row), counter, true, &name);
                }
                let row_positions: Vec<u64> = rows
                    .iter()
                    .map(|r| r["position"].as_u64().unwrap())
                    .collect();
                // sstabledump's positions: the first row shows where it
                // ends, which is where the second starts; later rows
                // where they start.
                assert_eq!(row_positions[0], row_positions[1], "{name}");
                assert!(row_positions[1..].windows(2).all(|w| w[0] < w[1]), "{name}");
            } else {
                assert_eq!(rows.len(), 1, "{name}");
                // Compact simple tables keep the value in the static row
                // (§14.2).
                let kind = if compact { "static_block" } else { "row" };
                assert_eq!(rows[0]["type"], kind, "{name}");
                check_val(val(&rows[0]), counter, false, &name);
            }
            // Simple non-counter rows carry liveness, and their cell reuses
            // its timestamp (so prints none); counter rows carry no
            // liveness (§14.3).
            if !counter && !compact {
                for row in rows {
                    assert!(row["liveness_info"]["tstamp"].is_string(), "{name}");
                    assert!(cells(row)[0].get("tstamp").is_none(), "{name}");
                }
            }
            if counter {
                for row in rows {
                    assert!(row.get("liveness_info").is_none(), "{name}");
                }
            }
        }
        tables += 1;
    }
    assert!(tables >= 32, "{tables}");
}

#[test]
fn a_key_dump_gives_exactly_that_partition() {
    let Some(root) = shared() else { return };
    for dir in legacy_tables(&root) {
        let name = table_name(&dir);
        if name.ends_with("inaccurate_min_max") {
            continue;
        }
        let one = dump(&[path_str(&dir), "--key", "3"]);
        assert_eq!(one.len(), 1, "{name}");
        assert_eq!(
            one[0]["partition"]["key"],
            serde_json::json!(["3"]),
            "{name}"
        );
        // Through the index the partition is the same, positions included,
        // as in the full scan.
        let all = dump(&[path_str(&dir)]);
        assert_eq!(one[0], all[3], "{name}");
        assert!(dump(&[path_str(&dir), "-k", "5"]).is_empty(), "{name}");
    }
}

#[test]
fn the_range_tombstone_table_shows_its_markers_and_row() {
    let Some(root) = shared() else { return };
    let dir = root.join("mc/legacy_mc_inaccurate_min_max");
    // INSERT (100, 4, 4, 4, 4) then DELETE WHERE k = 100 AND c1 < 3 (§14.3):
    // an inclusive start at the bottom, an exclusive end at c1 = 3, the row.
    for partitions in [
        dump(&[path_str(&dir)]),
        dump(&[path_str(&dir), "--key", "100"]),
    ] {
        assert_eq!(partitions.len(), 1);
        let p = &partitions[0];
        assert_eq!(p["partition"]["key"], serde_json::json!(["100"]));
        let rows = p["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 3, "{p}");
        assert_eq!(rows[0]["type"], "range_tombstone_bound");
        assert_eq!(rows[0]["start"]["type"], "inclusive");
        assert_eq!(rows[1]["type"], "range_tombstone_bound");
        assert_eq!(rows[1]["end"]["type"], "exclusive");
        assert_eq!(
            rows[1]["end"]["clustering"],
            serde_json::json!([3, "*", "*"])
        );
        // One deletion opens and closes the range.
        let deletion = &rows[0]["start"]["deletion_info"];
        assert!(deletion["marked_deleted"].is_string());
        assert_eq!(&rows[1]["end"]["deletion_info"], deletion);
        assert_eq!(rows[2]["type"], "row");
        assert_eq!(rows[2]["clustering"], serde_json::json!([4, 4, 4]));
        assert_eq!(cells(&rows[2])[0]["name"], "v");
        assert_eq!(cells(&rows[2])[0]["value"], 4);
    }
}

#[test]
fn set_collections_and_ttls_are_dumped() {
    let Some(root) = shared() else { return };
    let dir = root.join("edge-cases/negative-local-expiration-test/table3");
    // TTLTest: (k int PRIMARY KEY, a int, b set<text>); k = 1 written by
    // UPDATE ... USING TTL 630720000 SET a = 1, b = {v11..v14}, k = 2 by
    // INSERT (2, 2, {v21..v24}) USING TTL 630720000.
    let partitions = dump(&[path_str(&dir)]);
    assert_eq!(partitions.len(), 2);
    for p in &partitions {
        let k = p["partition"]["key"][0].as_str().unwrap().to_string();
        let rows = p["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        let elements: Vec<&str> = cells(row)
            .iter()
            .filter(|c| c["name"] == "b" && c.get("path").is_some())
            .map(|c| c["path"][0].as_str().unwrap())
            .collect();
        let expected: Vec<String> = (1..=4).map(|i| format!("v{k}{i}")).collect();
        assert_eq!(elements, expected, "partition {k}");
        let a = cells(row).iter().find(|c| c["name"] == "a").unwrap();
        assert_eq!(a["value"].as_str(), None);
        assert_eq!(a["value"], k.parse::<i64>().unwrap());
        match k.as_str() {
            // An UPDATE writes no row liveness: each cell prints its TTL.
            "1" => {
                assert!(row.get("liveness_info").is_none());
                for c in cells(row).iter().filter(|c| c.get("path").is_some()) {
                    assert_eq!(c["ttl"], 630_720_000, "{c}");
                    assert_eq!(c["value"], "");
                }
            }
            // An INSERT's liveness carries the TTL, which its cells share.
            "2" => assert_eq!(row["liveness_info"]["ttl"], 630_720_000),
            other => panic!("unexpected key {other}"),
        }
        // The set was replaced whole: a collection deletion comes first.
        let b_deletion = cells(row)
            .iter()
            .find(|c| c["name"] == "b" && c.get("path").is_none())
            .unwrap();
        assert!(b_deletion["deletion_info"]["marked_deleted"].is_string());
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// The `*-Data.db` file of a one-SSTable directory.
fn data_file(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| path_str(p).ends_with("-Data.db"))
        .unwrap()
}

#[test]
fn metadata_prints_what_statistics_hold() {
    use ilion_sstable::descriptor::{Component, Descriptor};
    use ilion_sstable::statistics::Statistics;
    let Some(root) = shared() else { return };
    for dir in legacy_tables(&root) {
        let name = table_name(&dir);
        let data = data_file(&dir);
        let descriptor = Descriptor::from_path(&data).unwrap();
        let stats_path = descriptor.path(Component::Statistics);
        let stats = Statistics::parse(
            &std::fs::read(&stats_path).unwrap(),
            descriptor.version,
            &stats_path,
        )
        .unwrap();
        let out = ilion(&["sstable", "metadata", path_str(&dir)]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let text = stdout(&out);
        let line = |prefix: &str| -> String {
            text.lines()
                .find_map(|l| l.strip_prefix(prefix))
                .unwrap_or_else(|| panic!("{name}: no `{prefix}` in\n{text}"))
                .to_string()
        };
        assert_eq!(
            line("SSTable Version: "),
            descriptor.version.letters(),
            "{name}"
        );
        assert_eq!(
            line("Partitioner: "),
            stats.validation.partitioner,
            "{name}"
        );
        // Every legacy table was written with ByteOrderedPartitioner (§14.1).
        assert!(line("Partitioner: ").ends_with("ByteOrderedPartitioner"));
        // "<date> (<raw value>)", as sstablemetadata prints timestamps.
        let first_number = |s: String| {
            let raw = s.rsplit_once(" (").unwrap().1.trim_end_matches(')');
            raw.parse::<i64>().unwrap()
        };
        assert_eq!(
            first_number(line("Minimum timestamp: ")),
            stats.stats.min_timestamp,
            "{name}"
        );
        assert_eq!(
            first_number(line("Maximum timestamp: ")),
            stats.stats.max_timestamp,
            "{name}"
        );
        assert_eq!(
            line("totalRows: ").parse::<i64>().unwrap(),
            stats.stats.total_rows
        );
        assert_eq!(line("KeyType: "), stats.header.key_type);
        if !name.ends_with("inaccurate_min_max") {
            // §14.3: five partitions "0".."4".
            assert_eq!(line("Estimated partitions: "), "5", "{name}");
            // The HyperLogLog sketch of five keys reads five.
            assert_eq!(line("Estimated cardinality: "), "5", "{name}");
            // ByteOrdered tokens are the key bytes ("0" is 0x30).
            assert_eq!(line("First token: "), "Token(bytes[30]) (0)", "{name}");
            assert_eq!(line("Last token: "), "Token(bytes[34]) (4)", "{name}");
        }
    }
}

#[test]
fn verify_passes_on_every_legacy_table() {
    let Some(root) = shared() else { return };
    for dir in legacy_tables(&root) {
        let out = ilion(&["sstable", "verify", path_str(&dir)]);
        assert!(out.status.success(), "{}: {}", dir.display(), stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("OK   Digest.crc32"), "{text}");
        assert!(text.contains("decode in order"), "{text}");
    }
}

#[test]
fn verify_fails_on_scylla_damaged_tables_naming_data_db() {
    let Some(root) = shared() else { return };
    // scylla-3x README: invalid_checksums and invalid_digest are damaged on
    // purpose in Data.db (chunk CRCs, resp. the digest).
    let cases = ["uncompressed", "lz4"]
        .into_iter()
        .flat_map(|c| ["invalid_checksums", "invalid_digest"].map(|case| (c, case)));
    for (compression, case) in cases {
        let dir = root
            .join("scylla-3x")
            .join(compression)
            .join("integrity_check")
            .join(case);
        let out = ilion(&["sstable", "verify", path_str(&dir)]);
        assert_eq!(out.status.code(), Some(1), "{case}");
        let err = stderr(&out);
        assert!(err.contains("FAIL Data.db"), "{case}: {err}");
        if case == "invalid_checksums" {
            let crc = if compression == "lz4" {
                "does not match the CRC32 stored after it in Data.db"
            } else {
                "does not match its CRC32 in CRC.db"
            };
            assert!(err.contains(crc), "{err}");
        } else {
            assert!(err.contains("Digest.crc32"), "{err}");
        }
    }
}

/// A copy of a legacy table in a temporary directory.
fn copy_table(dir: &Path) -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let to = temp.path().join(path.file_name().unwrap());
        std::fs::write(&to, std::fs::read(&path).unwrap()).unwrap();
    }
    temp
}

fn flip_middle_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn verify_fails_on_a_flipped_byte_naming_the_component() {
    let Some(root) = shared() else { return };
    // nb and oa store CRCs for every Statistics.db component (§13);
    // Index.db and Summary.db carry none, and are checked against Data.db
    // and each other.
    for table in ["nb/legacy_nb_clust", "oa/legacy_oa_simple"] {
        let source = root.join(table);
        let intact = copy_table(&source);
        let out = ilion(&["sstable", "verify", path_str(intact.path())]);
        assert!(out.status.success(), "{table}: {}", stderr(&out));
        for component in ["Data.db", "Statistics.db", "Index.db", "Summary.db"] {
            let copy = copy_table(&source);
            let file = std::fs::read_dir(copy.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| path_str(p).ends_with(&format!("-{component}")))
                .unwrap();
            flip_middle_byte(&file);
            let out = ilion(&["sstable", "verify", path_str(copy.path())]);
            assert_eq!(out.status.code(), Some(1), "{table} {component}");
            let err = stderr(&out);
            assert!(
                err.contains(&format!("FAIL {component}")),
                "{table} {component}: {err}"
            );
        }
    }
}

#[test]
fn bad_paths_and_keys_fail_cleanly() {
    let Some(root) = shared() else { return };
    let missing = ilion(&["sstable", "dump", "/nonexistent/oa-1-big-Data.db"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("/nonexistent"));
    // An int key that is not a number.
    let dir = root.join("mc/legacy_mc_inaccurate_min_max");
    let bad_key = ilion(&["sstable", "dump", path_str(&dir), "--key", "x"]);
    assert_eq!(bad_key.status.code(), Some(1));
    assert!(
        stderr(&bad_key).contains("Int32Type"),
        "{}",
        stderr(&bad_key)
    );
    assert!(
        bad_key.stdout.is_empty(),
        "nothing printed before the error"
    );
    // A directory without SSTables.
    let empty = tempfile::tempdir().unwrap();
    let out = ilion(&["sstable", "metadata", path_str(empty.path())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no *-Data.db"));
    // A truncated Data.db: an error naming it, no panic.
    let copy = copy_table(&root.join("oa/legacy_oa_clust"));
    let data = data_file(copy.path());
    let bytes = std::fs::read(&data).unwrap();
    std::fs::write(&data, &bytes[..bytes.len() / 2]).unwrap();
    for command in ["dump", "verify"] {
        let out = ilion(&["sstable", command, path_str(copy.path())]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        assert!(
            stderr(&out).contains("Data.db"),
            "{command}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn damaged_files_give_errors_never_panics() {
    use rand::{Rng, SeedableRng};
    let Some(root) = shared() else { return };
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let sources = [
        root.join("oa/legacy_oa_clust"),
        root.join("ma/legacy_ma_simple_compact"),
        root.join("edge-cases/negative-local-expiration-test/table4"),
        root.join("scylla-3x/uncompressed/simple"),
    ];
    for round in 0..40 {
        let source = &sources[round % sources.len()];
        let copy = copy_table(source);
        let mut files: Vec<PathBuf> = std::fs::read_dir(copy.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !path_str(p).ends_with("TOC.txt"))
            .collect();
        files.sort();
        let file = &files[rng.random_range(0..files.len())];
        let mut bytes = std::fs::read(file).unwrap();
        if bytes.is_empty() {
            continue;
        }
        if rng.random_bool(0.7) {
            let at = rng.random_range(0..bytes.len());
            bytes[at] ^= 1 << rng.random_range(0..8);
        } else {
            bytes.truncate(rng.random_range(0..bytes.len()));
        }
        std::fs::write(file, &bytes).unwrap();
        for command in ["dump", "metadata", "verify"] {
            let out = ilion(&["sstable", command, path_str(copy.path())]);
            let err = stderr(&out);
            assert!(
                matches!(out.status.code(), Some(0 | 1)) && !err.contains("panicked"),
                "{command} on {} with {} damaged: {err}",
                source.display(),
                file.display()
            );
            // Whatever is damaged, verify notices, except where the format
            // has nothing to check it against: Filter.db bits set by the
            // damage, and the parts of Statistics.db without CRCs (before
            // na) or Summary.db that no data restates.
            let unchecked = [
                "Filter.db",
                "Statistics.db",
                "Summary.db",
                "CompressionInfo.db",
            ]
            .iter()
            .any(|c| path_str(file).ends_with(c));
            if command == "verify" && !unchecked {
                assert_eq!(out.status.code(), Some(1), "{}: {err}", file.display());
            }
        }
    }
}

/// Goal: `verify` reports, as Cassandra's checks name them, the deletion
/// times and TTLs Cassandra's scrub rejects, with where they are. Expected
/// from the Cassandra tests that wrote the edge-case tables: TTLTest's 20-
/// year TTLs written in 2018 (expiration past 2038, overflowed), and
/// CompactionsCQLTest's deletions with local deletion time -1 at id 22.
#[test]
fn verify_reports_what_cassandras_scrub_rejects() {
    let Some(root) = shared() else { return };
    let edge = root.join("edge-cases");
    let table3 = edge.join("negative-local-expiration-test/table3");
    let out = ilion(&["sstable", "verify", path_str(&table3)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    // TTLTest, table3 (k int PRIMARY KEY, a int, b set<text>): key 1 with
    // b = {v11..v14}, key 2 with b = {v21..v24} and a row TTL.
    for line in [
        "partition 1: cell a: TTL 630720000 s",
        "partition 1: cell b[v13]: TTL 630720000 s",
        "partition 2: row liveness: TTL 630720000 s",
        "partition 2: cell b[v24]: TTL 630720000 s",
    ] {
        assert!(err.contains(line), "{line} missing from {err}");
    }
    assert!(err.contains("overflowed past 2038"), "{err}");
    let tombstones = edge.join("negative-ldts-invalid-deletions-test/invalid_tombstones");
    let err = stderr(&ilion(&["sstable", "verify", path_str(&tombstones)]));
    assert!(
        err.contains("partition 22, clustering (33): cell b: negative local deletion time -1"),
        "{err}"
    );
    let partition = edge.join("negative-ldts-invalid-deletions-test/invalid_partition_deletion");
    let err = stderr(&ilion(&["sstable", "verify", path_str(&partition)]));
    assert!(
        err.contains("partition 22: partition deletion: negative local deletion time -1"),
        "{err}"
    );
    // The legacy tables hold nothing of the kind.
    let clean = root.join("nb/legacy_nb_clust");
    let out = ilion(&["sstable", "verify", path_str(&clean)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("no deletion time or TTL that Cassandra's scrub rejects"));
}
