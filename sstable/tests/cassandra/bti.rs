//! The BTI format (`da`): Partitions.db and Rows.db of the four legacy
//! `da` tables, read through [`SstableReader`] and through the trie
//! modules directly. Expected content from the oracle (format reference
//! §14.3): partitions "0".."4"; simple tables one row, `val` "foo bar baz"
//! or counter 1; clust tables 50 rows per partition, clustering
//! decimal(i) ++ "0123456789" × 120, `val` 128 lowercase letters or
//! counter 1.

use ilion_sstable::bloom::BloomFilter;
use ilion_sstable::bti::byte_comparable;
use ilion_sstable::bti::partitions::{self, PartitionIndex, Target};
use ilion_sstable::bti::rows;
use ilion_sstable::bti::trie::Trie;
use ilion_sstable::clustering::{ClusteringBound, PrefixKind};
use ilion_sstable::partitioner::{Partitioner, Token};
use ilion_sstable::reader::{Slice, SstableReader};
use ilion_sstable::rows::{ColumnData, Partition, Unfiltered};
use ilion_sstable::version::Version;
use std::ops::Bound;
use std::path::Path;

use crate::common::TableFiles;

/// The value of a counter context: the sum of its shards' counts.
fn counter_value(context: &[u8]) -> i64 {
    let headers = i16::from_be_bytes([context[0], context[1]]) as usize;
    let shards = &context[2 + 2 * headers..];
    shards
        .chunks_exact(32)
        .map(|s| i64::from_be_bytes(s[24..32].try_into().unwrap()))
        .sum()
}

fn clustering_key(i: usize) -> Vec<u8> {
    let mut k = i.to_string().into_bytes();
    k.extend_from_slice(&b"0123456789".repeat(120));
    k
}

fn da_tables() -> Option<Vec<TableFiles>> {
    let root = crate::common::shared_sstables()?;
    let tables = crate::common::legacy_tables(&root, "da");
    assert_eq!(tables.len(), 4);
    for t in &tables {
        assert_eq!(t.version, Version::parse("da", "bti").unwrap());
    }
    Some(tables)
}

/// Checks a row's single value against the oracle.
fn check_value(table: &str, row: &Unfiltered) {
    let Unfiltered::Row(row) = row else {
        panic!("{table}: not a row: {row:?}");
    };
    let [ColumnData::Simple { cell, .. }] = row.columns.as_slice() else {
        panic!("{table}: {row:?}");
    };
    if table.contains("counter") {
        assert_eq!(counter_value(&cell.value), 1, "{table}");
    } else if table.contains("clust") {
        assert_eq!(cell.value.len(), 128, "{table}");
        assert!(cell.value.iter().all(u8::is_ascii_lowercase), "{table}");
    } else {
        assert_eq!(cell.value, b"foo bar baz", "{table}");
    }
}

#[test]
fn every_key_is_found_through_partitions_db_and_absent_keys_are_not() {
    let Some(tables) = da_tables() else { return };
    for table in tables {
        let name = table.dir.display().to_string();
        let reader = SstableReader::open(&table.component("Data.db")).unwrap();
        reader.verify().unwrap();
        let all = reader.scan().unwrap();
        let keys: Vec<&[u8]> = all.iter().map(|p| p.key.as_slice()).collect();
        assert_eq!(keys, [b"0", b"1", b"2", b"3", b"4"], "{name}");
        assert_eq!(reader.partition_count(), 5);
        let rows_per_partition = if name.contains("clust") { 50 } else { 1 };
        for p in &all {
            assert_eq!(p.unfiltereds.len(), rows_per_partition, "{name}");
            p.unfiltereds.iter().for_each(|u| check_value(&name, u));
            assert_eq!(reader.get(&p.key).unwrap().as_ref(), Some(p), "{name}");
        }
        for absent in [&b"5"[..], b"", b"00", b"4\0", b"10", b"/", b"\xff"] {
            assert!(reader.get(absent).unwrap().is_none(), "{name}: {absent:?}");
            let slice = reader.slice(absent, &Slice::all(), false).unwrap();
            assert!(slice.is_none(), "{name}: {absent:?}");
        }
        // Token-range scans (ByteOrdered: tokens are the keys).
        let range = |s: Bound<&[u8]>, e: Bound<&[u8]>| -> Vec<Vec<u8>> {
            let t = |b: Bound<&[u8]>| b.map(|k| Token::Bytes(k.to_vec()));
            let scan = reader.scan_range(t(s), t(e)).unwrap();
            scan.map(|p| p.unwrap().key).collect()
        };
        let keys = |ks: &[&[u8]]| ks.iter().map(|k| k.to_vec()).collect::<Vec<_>>();
        assert_eq!(
            range(Bound::Excluded(b"1"), Bound::Included(b"3")),
            keys(&[b"2", b"3"])
        );
        assert_eq!(
            range(Bound::Included(b"1"), Bound::Excluded(b"3")),
            keys(&[b"1", b"2"])
        );
        assert_eq!(
            range(Bound::Included(b"0\0"), Bound::Unbounded),
            keys(&[b"1", b"2", b"3", b"4"])
        );
        assert_eq!(range(Bound::Excluded(b"4"), Bound::Unbounded), keys(&[]));
    }
}

#[test]
fn partitions_db_points_at_data_or_rows_as_cassandra_wrote_it() {
    let Some(tables) = da_tables() else { return };
    for table in tables {
        let name = table.dir.display().to_string();
        let path = table.component("Partitions.db");
        let bytes = std::fs::read(&path).unwrap();
        let index = PartitionIndex::parse(&bytes, &path).unwrap();
        assert_eq!(
            (index.count, &index.first_key[..], &index.last_key[..]),
            (5, &b"0"[..], &b"4"[..])
        );
        let rows_path = table.component("Rows.db");
        let rows_bytes = std::fs::read(&rows_path).unwrap();
        let loaded = crate::common::load(&table);
        let all = loaded.partitions(table.version);
        for p in &all {
            let hash = BloomFilter::hash(&p.key);
            let key = byte_comparable::partition_key(Partitioner::ByteOrdered, &p.key, hash);
            // ByteOrdered: 40, the token (the key, 00-terminated), 40, the
            // key again, 38.
            assert_eq!(
                key,
                [&[0x40][..], &p.key, &[0, 0x40], &p.key, &[0, 0x38]].concat()
            );
            let trie = index.trie(&bytes, &path);
            let (leaf, _) = partitions::find(trie, index.root, &key, hash.1 as u8)
                .unwrap()
                .unwrap();
            // Cassandra 5 always stores the hash byte.
            assert_eq!(leaf.hash_byte, Some(hash.1 as u8));
            // A different hash byte rejects the key, as Cassandra's
            // checkHashBits does.
            assert!(partitions::find(trie, index.root, &key, hash.1 as u8 ^ 1)
                .unwrap()
                .is_none());
            match leaf.target {
                Target::Data(position) => {
                    assert!(name.contains("simple"), "{name}");
                    let mut r = ilion_sstable::data_reader::DataReader::new(
                        &loaded.stream,
                        &loaded.stats.header,
                        table.version,
                        &loaded.data_path,
                    );
                    r.seek(position).unwrap();
                    assert_eq!(&r.next_partition().unwrap().unwrap(), p);
                }
                Target::RowIndex(offset) => {
                    assert!(name.contains("clust"), "{name}");
                    check_row_index(&loaded, &rows_bytes, &rows_path, offset, p);
                }
            }
        }
        if name.contains("simple") {
            assert!(rows_bytes.is_empty());
        }
    }
}

/// The row index at `offset` describes `p`: 13 blocks of at least 4 KiB
/// (Cassandra's default row_index_granularity... of the generating run),
/// each separator above the previous block's last clustering and at or
/// below its first, and every block holding the rows the separators
/// assign to it.
fn check_row_index(
    loaded: &crate::common::LoadedTable,
    rows_bytes: &[u8],
    rows_path: &Path,
    offset: u64,
    p: &Partition,
) {
    let version = Version::parse("da", "bti").unwrap();
    let entry = rows::entry(rows_bytes, offset, version, rows_path).unwrap();
    assert_eq!(entry.key, p.key);
    assert_eq!(entry.deletion, p.deletion);
    let trie = Trie::new(&rows_bytes[..offset as usize], rows_path);
    let (blocks, end) = rows::blocks(trie, &entry, version, rows_path).unwrap();
    assert_eq!(blocks.len() as u64, entry.block_count);
    assert!(blocks.len() >= 2);
    assert!(blocks[0].separator.is_empty());
    let types = &loaded.stats.header.clustering_types;
    let mut r = ilion_sstable::data_reader::DataReader::new(
        &loaded.stream,
        &loaded.stats.header,
        version,
        &loaded.data_path,
    );
    let mut per_block = Vec::new();
    for (i, b) in blocks.iter().enumerate() {
        let to = blocks.get(i + 1).map_or(end, |n| n.offset);
        let bytes = &loaded.stream
            [(entry.data_position + b.offset) as usize..(entry.data_position + to) as usize];
        let mut block = ilion_sstable::data_reader::DataReader::new(
            bytes,
            &loaded.stats.header,
            version,
            &loaded.data_path,
        );
        let mut names = Vec::new();
        while let Some(u) = block.next_unfiltered().unwrap() {
            let Unfiltered::Row(row) = u else { panic!() };
            names.push(row.clustering.clone());
        }
        assert!(b.open_marker.is_none());
        per_block.push(names);
    }
    r.seek(entry.data_position).unwrap();
    let full = r.next_partition().unwrap().unwrap();
    assert_eq!(&full, p);
    // Every row is in the block whose separator is the floor of its
    // clustering's byte-comparable form.
    let mut expected = vec![Vec::new(); blocks.len()];
    for u in &p.unfiltereds {
        let Unfiltered::Row(row) = u else { panic!() };
        let bound = ClusteringBound {
            kind: PrefixKind::Clustering,
            values: row.clustering.clone(),
        };
        let key = byte_comparable::clustering(types, &bound).unwrap();
        let floor = blocks.partition_point(|b| b.separator <= key) - 1;
        expected[floor].push(row.clustering.clone());
    }
    assert_eq!(per_block, expected);
    assert_eq!(per_block.iter().map(Vec::len).sum::<usize>(), 50);
}

#[test]
fn every_clustering_is_found_through_rows_db() {
    let Some(tables) = da_tables() else { return };
    for table in tables
        .iter()
        .filter(|t| t.dir.to_str().unwrap().contains("clust"))
    {
        let name = table.dir.display().to_string();
        let reader = SstableReader::open(&table.component("Data.db")).unwrap();
        let all = reader.scan().unwrap();
        for p in &all {
            for i in 0..50 {
                let ck = vec![Some(clustering_key(i))];
                let slice = Slice {
                    start: Some(ck.clone()),
                    end: Some(ck.clone()),
                };
                for reverse in [false, true] {
                    let got = reader.slice(&p.key, &slice, reverse).unwrap().unwrap();
                    assert_eq!(got.unfiltereds.len(), 1, "{name} {i}");
                    let expected = p
                        .unfiltereds
                        .iter()
                        .find(|u| matches!(u, Unfiltered::Row(r) if r.clustering == ck))
                        .unwrap();
                    assert_eq!(&got.unfiltereds[0], expected, "{name} {i}");
                    check_value(&name, &got.unfiltereds[0]);
                }
                // From this clustering on, and up to it.
                let after = reader
                    .slice(
                        &p.key,
                        &Slice {
                            start: Some(ck.clone()),
                            end: None,
                        },
                        false,
                    )
                    .unwrap()
                    .unwrap();
                let position = p
                    .unfiltereds
                    .iter()
                    .position(|u| matches!(u, Unfiltered::Row(r) if r.clustering == ck))
                    .unwrap();
                assert_eq!(after.unfiltereds, p.unfiltereds[position..], "{name} {i}");
                let before = reader
                    .slice(
                        &p.key,
                        &Slice {
                            start: None,
                            end: Some(ck.clone()),
                        },
                        true,
                    )
                    .unwrap()
                    .unwrap();
                let mut want = p.unfiltereds[..=position].to_vec();
                want.reverse();
                assert_eq!(before.unfiltereds, want, "{name} {i}");
                let (head, _) = reader
                    .slice_head(
                        &p.key,
                        &Slice {
                            start: Some(ck.clone()),
                            end: None,
                        },
                        3,
                    )
                    .unwrap()
                    .unwrap();
                let end = (position + 3).min(50);
                assert_eq!(head.unfiltereds, p.unfiltereds[position..end], "{name} {i}");
            }
            // A clustering between rows, and one past the last.
            let mut between = clustering_key(1);
            between.push(b'!');
            let got = reader
                .slice(
                    &p.key,
                    &Slice {
                        start: Some(vec![Some(between.clone())]),
                        end: Some(vec![Some(between)]),
                    },
                    false,
                )
                .unwrap()
                .unwrap();
            assert!(got.unfiltereds.is_empty());
        }
    }
}

/// Copies `table`'s files into a fresh directory, with `name` replaced by
/// `bytes`; returns the directory and the copy's Data.db.
fn damaged_copy(
    table: &TableFiles,
    name: &str,
    bytes: &[u8],
) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&table.dir).unwrap() {
        let entry = entry.unwrap();
        let file = entry.file_name().into_string().unwrap();
        let target = dir.path().join(&file);
        if file.ends_with(name) {
            std::fs::write(&target, bytes).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    let data = dir.path().join(format!("{}-Data.db", table.prefix));
    (dir, data)
}

/// What reads of a damaged copy gave: errors, partitions or rows the read
/// missed (a flipped hash byte or separator makes a key or row look
/// absent, as it does to Cassandra), and correct results. A wrong row
/// fails the test.
#[derive(Default, Debug)]
struct Outcomes {
    errors: usize,
    misses: usize,
    correct: usize,
}

fn read_damaged(data: &Path, expected: &[Partition], out: &mut Outcomes) {
    let reader = match SstableReader::open(data) {
        Ok(r) => r,
        Err(e) => {
            assert!(e.to_string().contains(".db"), "{e}");
            out.errors += 1;
            return;
        }
    };
    for p in expected {
        match reader.get(&p.key) {
            Err(_) => out.errors += 1,
            Ok(None) => out.misses += 1,
            Ok(Some(got)) => {
                assert_eq!(&got, p, "a damaged index gave a wrong partition");
                out.correct += 1;
            }
        }
        let clustered = !p
            .unfiltereds
            .iter()
            .any(|u| matches!(u, Unfiltered::Row(r) if r.clustering.is_empty()));
        if !clustered {
            match reader.slice(&p.key, &Slice::all(), false) {
                Err(_) => out.errors += 1,
                Ok(None) => out.misses += 1,
                Ok(Some(got)) => {
                    assert_eq!(&got, p, "a damaged index gave a wrong partition");
                    out.correct += 1;
                }
            }
            continue;
        }
        for i in [0, 17, 33, 49] {
            let ck = vec![Some(clustering_key(i))];
            let slice = Slice {
                start: Some(ck.clone()),
                end: Some(ck.clone()),
            };
            match reader.slice(&p.key, &slice, false) {
                Err(_) => out.errors += 1,
                Ok(None) => out.misses += 1,
                Ok(Some(got)) => {
                    for u in &got.unfiltereds {
                        assert!(
                            p.unfiltereds.contains(u),
                            "a damaged index gave a wrong row {u:?}"
                        );
                        assert!(matches!(u, Unfiltered::Row(r) if r.clustering == ck));
                    }
                    if got.unfiltereds.is_empty() {
                        out.misses += 1;
                    } else {
                        out.correct += 1;
                    }
                }
            }
        }
    }
    if let Ok(scan) = reader.iter() {
        for p in scan {
            match p {
                Ok(p) => assert!(
                    expected.contains(&p),
                    "a damaged index gave a wrong partition"
                ),
                Err(_) => {
                    out.errors += 1;
                    break;
                }
            }
        }
    }
}

#[test]
fn damaged_partitions_and_rows_give_errors_never_a_wrong_row() {
    let Some(tables) = da_tables() else { return };
    for table in &tables {
        let expected = SstableReader::open(&table.component("Data.db"))
            .unwrap()
            .scan()
            .unwrap();
        for component in ["Partitions.db", "Rows.db"] {
            let original = std::fs::read(table.component(component)).unwrap();
            let mut outcomes = Outcomes::default();
            for at in 0..original.len() {
                for mask in [1u8 << (at % 8), 0x80 >> (at % 8)] {
                    let mut bytes = original.clone();
                    bytes[at] ^= mask;
                    let (_dir, data) = damaged_copy(table, component, &bytes);
                    read_damaged(&data, &expected, &mut outcomes);
                }
            }
            for len in 0..original.len() {
                let (_dir, data) = damaged_copy(table, component, &original[..len]);
                read_damaged(&data, &expected, &mut outcomes);
            }
            eprintln!("{} {component}: {outcomes:?}", table.dir.display());
            if !original.is_empty() {
                assert!(outcomes.errors > 0, "{component}: damage never detected");
            }
        }
    }
}
