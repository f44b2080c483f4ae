//! Bloom filters byte for byte against the `Filter.db` files Cassandra
//! wrote (`../shared/cassandra-sstables/`): Ilion's Murmur3 hash, bit
//! indexes and both on-disk layouts must reproduce them exactly from the
//! tables' known partition keys.

use crate::common::shared_sstables;
use ilion_sstable::bloom::{BloomFilter, FilterLayout};

/// The layout a version uses: byte-reversed words in the 3.x versions
/// (`ma` to `me`); `na`, `nb`, `oa` and the BTI `da` share the current one.
fn layout(version: &str) -> FilterLayout {
    if version.starts_with('m') {
        FilterLayout::Legacy
    } else {
        FilterLayout::Current
    }
}

#[test]
fn filters_match_cassandra_written_files_in_every_version() {
    let Some(root) = shared_sstables() else {
        return;
    };
    let keys: Vec<Vec<u8>> = (0..5).map(|i| i.to_string().into_bytes()).collect();
    let mut checked = 0;
    for version in ["ma", "mc", "md", "nb", "oa", "da"] {
        let format = if version == "da" { "bti" } else { "big" };
        for kind in ["simple", "simple_counter", "clust", "clust_counter"] {
            let table = root.join(version).join(format!("legacy_{version}_{kind}"));
            let path = table.join(format!("{version}-1-{format}-Filter.db"));
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let on_disk = BloomFilter::deserialize(&bytes, layout(version)).unwrap();
            let mut ours =
                BloomFilter::with_shape(on_disk.hash_count(), (on_disk.bit_count() / 64) as usize);
            for key in &keys {
                assert!(on_disk.may_contain(key), "{}: key {key:?}", path.display());
                ours.add(key);
            }
            assert_eq!(ours.serialize(layout(version)), bytes, "{}", path.display());
            checked += 1;
        }
    }
    // One table keyed by an int (100) with the sign-free path of the hash.
    let path = root.join("mc/legacy_mc_inaccurate_min_max/mc-1-big-Filter.db");
    let bytes = std::fs::read(&path).unwrap();
    let on_disk = BloomFilter::deserialize(&bytes, FilterLayout::Legacy).unwrap();
    let mut ours =
        BloomFilter::with_shape(on_disk.hash_count(), (on_disk.bit_count() / 64) as usize);
    ours.add(&100i32.to_be_bytes());
    assert_eq!(ours.serialize(FilterLayout::Legacy), bytes);
    assert_eq!(checked, 24);
}

/// Goal: every table's own Filter.db, read in its version's byte order,
/// admits every key the table holds and rejects most others. Method:
/// every big table of every version present (legacy, edge cases: mb, mc,
/// nb, nc) and `da`; the partition keys come from a full scan; 10 000
/// absent keys (text keys for the BOP legacy tables, ints for the Murmur3
/// edge cases) are counted as false positives. The bound: the expected
/// rate of a filter of this shape, (1 − e^(−k·n/m))^k, which Cassandra's
/// sizing keeps at or below the recorded fp chance, plus five standard
/// deviations of a binomial count (and 5 counts for near-empty filters).
#[test]
fn own_filters_admit_every_key_and_reject_most_absent_ones() {
    use ilion_sstable::reader::SstableReader;
    use ilion_sstable::statistics::Statistics;
    let Some(root) = shared_sstables() else {
        return;
    };
    let mut dirs: Vec<std::path::PathBuf> = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.ends_with("scylla-3x") {
                stack.push(path);
            } else if path.to_str().unwrap().ends_with("-Filter.db") {
                dirs.push(path);
            }
        }
    }
    dirs.sort();
    let mut checked = 0;
    for filter_path in &dirs {
        let name = filter_path.to_str().unwrap();
        let prefix = name.trim_end_matches("-Filter.db");
        let file = filter_path.file_name().unwrap().to_str().unwrap();
        let mut parts = file.split('-');
        let letters = parts.next().unwrap();
        let format = parts.nth(1).unwrap();
        let version = ilion_sstable::version::Version::parse(letters, format).unwrap();
        let stats_path = std::path::PathBuf::from(format!("{prefix}-Statistics.db"));
        let stats =
            Statistics::parse(&std::fs::read(&stats_path).unwrap(), version, &stats_path).unwrap();
        let filter = BloomFilter::deserialize(
            &std::fs::read(filter_path).unwrap(),
            stats.filter_layout(version),
        )
        .unwrap();
        let keys: Vec<Vec<u8>> = if format == "big" {
            let reader =
                SstableReader::open(std::path::Path::new(&format!("{prefix}-Data.db"))).unwrap();
            reader.scan().unwrap().into_iter().map(|p| p.key).collect()
        } else {
            // The BTI tables hold the legacy keys "0".."4" (§14.3).
            (0..5).map(|i| i.to_string().into_bytes()).collect()
        };
        for key in &keys {
            assert!(filter.may_contain(key), "{name}: {key:?}");
        }
        let int_keys = stats.header.key_type.ends_with("Int32Type");
        let absent: Vec<Vec<u8>> = (0..10_000i32)
            .map(|i| {
                if int_keys {
                    (i + 1_000_000).to_be_bytes().to_vec()
                } else {
                    format!("absent-{i}").into_bytes()
                }
            })
            .filter(|k| !keys.contains(k))
            .collect();
        let false_positives = absent.iter().filter(|k| filter.may_contain(k)).count();
        let k = f64::from(filter.hash_count());
        let m = filter.bit_count() as f64;
        let n = keys.len() as f64;
        let rate = (1.0 - (-k * n / m).exp()).powf(k);
        let fp_chance = stats.validation.bloom_filter_fp_chance;
        assert!(
            rate <= fp_chance,
            "{name}: shape gives {rate}, chance {fp_chance}"
        );
        let trials = absent.len() as f64;
        // Five standard deviations, and a few counts of slack where the
        // expected count is near zero and the normal approximation fails.
        let bound = rate * trials + 5.0 * (trials * rate * (1.0 - rate)).sqrt() + 5.0;
        assert!(
            (false_positives as f64) <= bound,
            "{name}: {false_positives} false positives of {trials}, bound {bound:.1}"
        );
        checked += 1;
    }
    // 33 legacy big tables (8 ma, 9 mc, 8 md, 4 nb, 4 oa), 4 da, 9 edge cases.
    assert_eq!(checked, 46, "{dirs:?}");
}
