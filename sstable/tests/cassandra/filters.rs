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
