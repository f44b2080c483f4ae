//! Full scans of every legacy table's Data.db: exactly the partitions,
//! rows, values and order that the test that wrote them put in (format
//! reference §14.3).

use ilion_sstable::clustering::PrefixKind;
use ilion_sstable::data_reader::DataReader;
use ilion_sstable::reconcile::CellKind;
use ilion_sstable::rows::{ColumnData, Partition, Row, Unfiltered};

use crate::common::TableFiles;

fn scan(table: &TableFiles) -> Vec<Partition> {
    let crate::common::LoadedTable {
        stats,
        info: _info,
        data_path,
        stream,
    } = crate::common::load(table);
    let mut reader = DataReader::new(&stream, &stats.header, table.version, &data_path);
    let mut partitions = Vec::new();
    while let Some(p) = reader.next_partition().unwrap_or_else(|e| panic!("{e}")) {
        partitions.push(p);
    }
    // The big tables also through the reader's own scan (Index.db walked
    // beside Data.db), which must give the same partitions.
    if table.version.format() == ilion_sstable::version::FormatType::Big {
        let through_reader = ilion_sstable::reader::SstableReader::open(&data_path)
            .unwrap()
            .scan()
            .unwrap();
        assert_eq!(through_reader, partitions, "{}", data_path.display());
    }
    partitions
}

/// The single simple cell of a row.
fn only_cell(row: &Row) -> &ilion_sstable::rows::Cell {
    match row.columns.as_slice() {
        [ColumnData::Simple { column: 0, cell }] => cell,
        other => panic!("expected one simple cell, got {other:?}"),
    }
}

/// The value of a counter context: the sum of its shards' counts.
fn counter_value(context: &[u8]) -> i64 {
    let headers = i16::from_be_bytes([context[0], context[1]]) as usize;
    let shards = &context[2 + 2 * headers..];
    assert_eq!(shards.len() % 32, 0);
    shards
        .chunks_exact(32)
        .map(|s| i64::from_be_bytes(s[24..32].try_into().unwrap()))
        .sum()
}

/// The clustering keys of the clust tables, in on-disk order: decimal(i)
/// followed by "0123456789" × 120, sorted as unsigned bytes.
fn clustering_keys() -> Vec<Vec<u8>> {
    let long = b"0123456789".repeat(120);
    let mut keys: Vec<Vec<u8>> = (0..50)
        .map(|i| {
            let mut k = i.to_string().into_bytes();
            k.extend_from_slice(&long);
            k
        })
        .collect();
    keys.sort();
    keys
}

#[test]
fn full_scans_of_every_legacy_table_return_exactly_what_was_written() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let ck = clustering_keys();
    let mut tables = 0;
    for version in ["ma", "mc", "md", "nb", "oa", "da"] {
        for table in crate::common::legacy_tables(&root, version) {
            let name = table.dir.file_name().unwrap().to_str().unwrap().to_string();
            if name.ends_with("inaccurate_min_max") {
                continue;
            }
            let partitions = scan(&table);
            let keys: Vec<&[u8]> = partitions.iter().map(|p| p.key.as_slice()).collect();
            assert_eq!(keys, [b"0", b"1", b"2", b"3", b"4"], "{name}");
            let counter = name.contains("counter");
            let mut clust_value: Option<Vec<u8>> = None;
            for p in &partitions {
                assert!(p.deletion.is_live(), "{name}");
                if name.contains("simple") && name.ends_with("compact") {
                    // Compact storage keeps a simple table's value in the static row.
                    assert!(p.unfiltereds.is_empty(), "{name}");
                    let cell = only_cell(p.static_row.as_ref().unwrap());
                    check_value(cell, counter, &name);
                    continue;
                }
                assert!(p.static_row.is_none(), "{name}");
                let rows: Vec<&Row> = p
                    .unfiltereds
                    .iter()
                    .map(|u| match u {
                        Unfiltered::Row(r) => r,
                        Unfiltered::Marker(m) => panic!("{name}: unexpected marker {m:?}"),
                    })
                    .collect();
                // Counter updates and compact-storage inserts write no
                // primary-key liveness.
                let compact = name.ends_with("compact");
                for row in &rows {
                    assert_eq!(
                        row.liveness.is_some(),
                        !counter && !compact,
                        "{name}: row liveness"
                    );
                    assert!(row.deletion.is_none());
                }
                if name.contains("simple") {
                    assert_eq!(rows.len(), 1, "{name}");
                    assert!(rows[0].clustering.is_empty());
                    check_value(only_cell(rows[0]), counter, &name);
                } else {
                    let got: Vec<&[u8]> = rows
                        .iter()
                        .map(|r| r.clustering[0].as_deref().unwrap())
                        .collect();
                    let want: Vec<&[u8]> = ck.iter().map(|k| k.as_slice()).collect();
                    assert_eq!(got, want, "{name}: clustering order");
                    let order = |a: &[u8], b: &[u8]| {
                        ilion_sstable::types::compare_values(
                            "org.apache.cassandra.db.marshal.UTF8Type",
                            a,
                            b,
                        )
                    };
                    assert!(
                        got.windows(2)
                            .all(|w| order(w[0], w[1]) == Some(std::cmp::Ordering::Less)),
                        "{name}: rows ascend under the clustering comparator"
                    );
                    for row in &rows {
                        let cell = only_cell(row);
                        if counter {
                            assert_eq!(counter_value(&cell.value), 1, "{name}");
                        } else {
                            // R: 128 lowercase letters, the same in every row.
                            assert_eq!(cell.value.len(), 128, "{name}");
                            assert!(cell.value.iter().all(u8::is_ascii_lowercase));
                            let r = clust_value.get_or_insert_with(|| cell.value.clone());
                            assert_eq!(&cell.value, r, "{name}");
                        }
                    }
                }
            }
            tables += 1;
        }
    }
    assert!(tables >= 30, "{tables}");
}

fn check_value(cell: &ilion_sstable::rows::Cell, counter: bool, name: &str) {
    assert_eq!(cell.kind, CellKind::Live, "{name}");
    if counter {
        assert_eq!(counter_value(&cell.value), 1, "{name}");
    } else {
        assert_eq!(cell.value, b"foo bar baz", "{name}");
    }
}

/// The mc table with a range deletion: INSERT (100, 4, 4, 4, 4) then
/// DELETE WHERE k = 100 AND c1 < 3 (format reference §6.8).
#[test]
fn range_tombstone_markers_are_decoded() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let table = crate::common::table(&root, "mc", "legacy_mc_inaccurate_min_max");
    let partitions = scan(&table);
    assert_eq!(partitions.len(), 1);
    let p = &partitions[0];
    assert_eq!(p.key, 100i32.to_be_bytes());
    let [Unfiltered::Marker(open), Unfiltered::Marker(close), Unfiltered::Row(row)] =
        p.unfiltereds.as_slice()
    else {
        panic!("{:?}", p.unfiltereds);
    };
    assert_eq!(open.bound.kind, PrefixKind::InclStartBound);
    assert!(open.bound.values.is_empty());
    assert_eq!(close.bound.kind, PrefixKind::ExclEndBound);
    assert_eq!(close.bound.values, vec![Some(3i32.to_be_bytes().to_vec())]);
    assert_eq!(open.start_deletion, close.end_deletion, "one deletion");
    let deletion = open.start_deletion.unwrap();
    let liveness = row.liveness.unwrap();
    assert!(
        deletion.marked_for_delete_at > liveness.timestamp,
        "deleted after the insert"
    );
    let four = Some(4i32.to_be_bytes().to_vec());
    assert_eq!(
        row.clustering,
        vec![four.clone(), four.clone(), four.clone()]
    );
    assert_eq!(only_cell(row).value, 4i32.to_be_bytes());
}

/// Goal: corrupt data streams are errors, never panics or runaway
/// allocations. Method: decode a clust table's stream after random byte
/// changes and truncations (bypassing the chunk CRCs, which would catch
/// them first).
#[test]
fn damaged_data_streams_never_panic() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    for version in ["nb", "oa"] {
        let table = crate::common::table(&root, version, "_clust");
        let crate::common::LoadedTable {
            stats,
            info: _info,
            data_path,
            stream,
        } = crate::common::load(&table);
        for trial in 0..300 {
            let mut damaged = stream.clone();
            if trial % 3 == 0 {
                damaged.truncate(rng.random_range(0..stream.len()));
            } else {
                let at = rng.random_range(0..damaged.len());
                damaged[at] = rng.random();
            }
            let mut reader = DataReader::new(&damaged, &stats.header, table.version, &data_path);
            let mut partitions = 0;
            while let Ok(Some(_)) = reader.next_partition() {
                partitions += 1;
                assert!(partitions <= 5 + 1, "damage invented partitions");
            }
        }
    }
}

/// Goal: a shadowable row deletion (materialized views: extended flag
/// 0x02) is refused, not read as a plain deletion that would hide what a
/// newer row liveness restores. Method: the first row of the nb `simple`
/// table, its flags given the extension bit and the extended byte 0x02.
#[test]
fn shadowable_row_deletions_are_refused() {
    let Some(root) = crate::common::shared_sstables() else {
        return;
    };
    let table = crate::common::table(&root, "nb", "_simple");
    let loaded = crate::common::load(&table);
    // nb: key (u16 length + bytes), 12-byte partition deletion, row flags.
    let flags_at = 2 + 1 + 12;
    assert_eq!(&loaded.stream[..3], b"\x00\x010");
    let mut stream = loaded.stream[..flags_at].to_vec();
    stream.push(loaded.stream[flags_at] | 0x80);
    stream.push(0x02);
    stream.extend_from_slice(&loaded.stream[flags_at + 1..]);
    let mut reader = DataReader::new(
        &stream,
        &loaded.stats.header,
        table.version,
        &loaded.data_path,
    );
    let error = reader.next_partition().unwrap_err().to_string();
    assert!(error.contains("shadowable row deletion"), "{error}");
    // The unmodified stream reads: the refusal is the flag's doing.
    let mut reader = DataReader::new(
        &loaded.stream,
        &loaded.stats.header,
        table.version,
        &loaded.data_path,
    );
    assert!(reader.next_partition().unwrap().is_some());
}
