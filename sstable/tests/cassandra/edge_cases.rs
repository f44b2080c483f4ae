//! The edge-case tables of Cassandra's test data (format reference §14.5):
//! every one reads without error through every path, and the scrub check
//! (`ilion_sstable::scrub`) reports exactly the problems the Cassandra
//! tests that use them put there. Each expectation cites its test.

use ilion_sstable::reader::{Slice, SstableReader};
use ilion_sstable::rows::Unfiltered;
use ilion_sstable::scrub::{check_sstable, Finding, Problem, Site};
use std::path::{Path, PathBuf};

/// The `*-Data.db` of the edge-case table in `dir` (under `edge-cases/`).
fn data_path(root: &Path, dir: &str) -> PathBuf {
    let dir = root.join("edge-cases").join(dir);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_str().unwrap().ends_with("-Data.db"))
        .unwrap()
}

fn int(v: i32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// Opens, verifies, scans, and finds every partition and every row by
/// key and by its own clustering; returns the reader and the findings.
fn read_everything(path: &Path) -> (SstableReader, Vec<Finding>) {
    let reader = SstableReader::open(path).unwrap_or_else(|e| panic!("{e}"));
    reader.verify().unwrap();
    let all = reader.scan().unwrap();
    assert!(!all.is_empty());
    for p in &all {
        assert_eq!(reader.get(&p.key).unwrap().as_ref(), Some(p));
        for u in &p.unfiltereds {
            let Unfiltered::Row(row) = u else { continue };
            if row.clustering.is_empty() {
                continue;
            }
            let slice = Slice {
                start: Some(row.clustering.clone()),
                end: Some(row.clustering.clone()),
            };
            let got = reader.slice(&p.key, &slice, false).unwrap().unwrap();
            assert!(
                got.unfiltereds.iter().any(|g| g == u),
                "{}: row {:?} not found by its clustering",
                path.display(),
                row.clustering
            );
        }
    }
    let findings = check_sstable(&reader).unwrap();
    (reader, findings)
}

/// TTLTest.testRecoverOverflowedExpirationWithScrub: every TTL written
/// (MAX_TTL, 630 720 000 s, in 2018) overflowed; the scrub without
/// reinsertion leaves the tables empty, so every TTL'd item is invalid.
/// The writes (TTLTest.testCapExpirationDateOverflowPolicy's statements):
/// table1 `INSERT (k=2, a=2) USING TTL` (row liveness + a) and
/// `UPDATE SET a=1, b=1 WHERE k=1` (a, b); table2 `INSERT (k=2, a=2)`
/// (liveness; a is the clustering) and `UPDATE SET b=1 WHERE k=1 AND a=1`;
/// table3 and table4 the same with `b` a set of 4 elements.
#[test]
fn negative_local_expiration_tables_report_every_overflowed_ttl() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    // (table, expected findings per key 1 and key 2, clustering of each key)
    let cases: [(&str, usize, usize, bool); 4] = [
        ("table1", 2, 2, false),
        ("table2", 1, 1, true),
        ("table3", 5, 6, false),
        ("table4", 4, 5, true),
    ];
    for (table, key1, key2, clustered) in cases {
        let path = data_path(&root, &format!("negative-local-expiration-test/{table}"));
        let (reader, findings) = read_everything(&path);
        assert_eq!(reader.version().letters(), "mc");
        for f in &findings {
            let Problem::NegativeLocalExpirationTime {
                ttl,
                local_expiration_time,
                ..
            } = &f.problem
            else {
                panic!("{table}: unexpected {f:?}");
            };
            assert_eq!(*ttl, 630_720_000, "{table}");
            // Written in February 2018: now + 20 years wraps past i32::MAX.
            assert_eq!(
                i64::from(*local_expiration_time as i32),
                *local_expiration_time
            );
            assert!(*local_expiration_time < 0);
        }
        let count = |k: i32| {
            findings
                .iter()
                .filter(|f| f.partition_key == int(k))
                .count()
        };
        assert_eq!((count(1), count(2)), (key1, key2), "{table}: {findings:#?}");
        // The INSERT (key 2) wrote row liveness; the UPDATE (key 1) did not.
        let liveness = |k: i32| {
            findings.iter().any(|f| {
                f.partition_key == int(k)
                    && matches!(
                        f.problem,
                        Problem::NegativeLocalExpirationTime {
                            site: Site::RowLiveness,
                            ..
                        }
                    )
            })
        };
        assert!(liveness(2) && !liveness(1), "{table}");
        for f in &findings {
            let want = if clustered {
                let a = if f.partition_key == int(1) { 1 } else { 2 };
                vec![Some(int(a))]
            } else {
                Vec::new()
            };
            assert_eq!(f.clustering.as_ref(), Some(&want), "{table}");
        }
    }
}

/// CompactionsCQLTest (testCompactionInvalidTombstone,
/// testCompactionInvalidPartitionDeletion, testCompactionInvalidRTs,
/// testIndexedReaderRT): rows (0, 0, "0") and (1, 1, "1") (and for the
/// wide table id 22 with id2 0..99), then one deletion with local deletion
/// time -1 at id 22: a cell tombstone of `b` at id2 33, a partition
/// deletion, or a range tombstone over the whole partition.
#[test]
fn negative_ldt_tables_report_the_one_invalid_deletion() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let base = "negative-ldts-invalid-deletions-test";
    let negative = |site: Site| Problem::NegativeLocalDeletionTime {
        site,
        local_deletion_time: -1,
    };
    let finding = |clustering: Option<Vec<Option<Vec<u8>>>>, problem| Finding {
        partition_key: int(22),
        clustering,
        problem,
    };
    let cases = [
        (
            "invalid_tombstones",
            "nc",
            vec![finding(
                Some(vec![Some(int(33))]),
                negative(Site::Cell(0, None)),
            )],
        ),
        (
            "invalid_partition_deletion",
            "nc",
            vec![finding(None, negative(Site::PartitionDeletion))],
        ),
        (
            "invalid_range_tombstone_compaction",
            "nb",
            vec![
                finding(Some(Vec::new()), negative(Site::RangeTombstone)),
                finding(Some(Vec::new()), negative(Site::RangeTombstone)),
            ],
        ),
        (
            "invalid_range_tombstone_reader",
            "nb",
            vec![
                finding(Some(Vec::new()), negative(Site::RangeTombstone)),
                finding(Some(Vec::new()), negative(Site::RangeTombstone)),
            ],
        ),
    ];
    for (table, version, expected) in cases {
        let (reader, findings) = read_everything(&data_path(&root, &format!("{base}/{table}")));
        assert_eq!(reader.version().letters(), version);
        assert_eq!(findings, expected, "{table}");
        let keys: Vec<Vec<u8>> = reader.scan().unwrap().into_iter().map(|p| p.key).collect();
        // prepareTable writes ids 0 and 1; prepareWide only id 22.
        let mut want = if table == "invalid_range_tombstone_reader" {
            vec![int(22)]
        } else {
            vec![int(0), int(1), int(22)]
        };
        want.sort_by(|a, b| ilion_sstable::partitioner::Partitioner::Murmur3.compare(a, b));
        assert_eq!(keys, want, "{table}: partitions in token order");
        if table == "invalid_range_tombstone_reader" {
            let wide = reader.get(&int(22)).unwrap().unwrap();
            let rows = wide
                .unfiltereds
                .iter()
                .filter(|u| matches!(u, Unfiltered::Row(_)))
                .count();
            assert_eq!(rows, 100, "prepareWide's 100 rows (33 rewritten)");
        }
    }
}

/// ScrubTest.testFilterOutDuplicates (CASSANDRA-12144): table
/// (a int, b int, c int, PRIMARY KEY (a, b)) holding row (1, 2) twice;
/// after scrub one row remains. The scrub check reports the duplicate.
#[test]
fn duplicate_rows_table_reports_the_duplicate() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let path = data_path(
        &root,
        "invalid-legacy-sstables/Keyspace1/cf_with_duplicates_3_0",
    );
    let (reader, findings) = read_everything(&path);
    assert_eq!(reader.version().letters(), "mb");
    assert_eq!(
        findings,
        vec![Finding {
            partition_key: int(1),
            clustering: Some(vec![Some(int(2))]),
            problem: Problem::DuplicateRow,
        }]
    );
}

/// The legacy tables hold no TTLs, no invalid deletions and rows in order
/// (format reference §14.3): the scrub check finds nothing in any of them.
#[test]
fn legacy_tables_have_no_findings() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let mut tables = 0;
    for version in ["ma", "mc", "md", "nb", "oa"] {
        for table in crate::common::legacy_tables(&root, version) {
            let reader = SstableReader::open(&table.component("Data.db")).unwrap();
            assert_eq!(check_sstable(&reader).unwrap(), Vec::new());
            tables += 1;
        }
    }
    assert!(tables >= 30);
}
