//! Range reads against a model: reverse pages of a key-value table are the
//! forward scan backwards, and forward partition pages see every live
//! partition once, under both partitioners, with data spread over
//! memtables and SSTables and some keys deleted.

use ilion::sstable::partitioner::Partitioner;
use ilion::sstable::schema::TableSchema;
use ilion::{Db, Options, TableOptions, DEFAULT_KEYSPACE};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeSet;
use std::ops::Bound;

type Pairs = Vec<(bytes::Bytes, bytes::Bytes)>;

/// A table of `keys` keys over three SSTables and the memtable, with about
/// a tenth deleted; returns the live keys.
fn filled(db: &Db, partitioner: Partitioner, keys: u32, seed: u64) -> BTreeSet<Vec<u8>> {
    let options = TableOptions {
        partitioner,
        ..TableOptions::default()
    };
    db.create_table("kv", TableSchema::key_value(), options)
        .expect("create");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut live = BTreeSet::new();
    for i in 0..keys {
        // Short keys and keys sharing 8-byte prefixes, for ByteOrdered.
        let key = if i % 3 == 0 {
            format!("{i}").into_bytes()
        } else {
            format!("common-prefix-{i:06}").into_bytes()
        };
        db.put("kv", &key, b"value").expect("put");
        live.insert(key);
        if i % (keys / 3) == 0 {
            db.flush().expect("flush");
        }
    }
    for _ in 0..keys / 10 {
        let i = rng.random_range(0..keys);
        let key = live.iter().nth(i as usize % live.len()).cloned();
        if let Some(key) = key {
            db.delete("kv", &key).expect("delete");
            live.remove(&key);
        }
    }
    live
}

fn forward(db: &Db) -> Pairs {
    db.scan("kv", Bound::Unbounded, Bound::Unbounded, usize::MAX)
        .expect("scan")
}

#[test]
fn reverse_pages_are_the_forward_scan_backwards() {
    for (seed, partitioner) in [(1, Partitioner::Murmur3), (2, Partitioner::ByteOrdered)] {
        let dir = tempfile::tempdir().expect("dir");
        let db = Db::open(dir.path(), Options::default()).expect("open");
        let live = filled(&db, partitioner, 3000, seed);
        let forward = forward(&db);
        assert_eq!(forward.len(), live.len(), "{partitioner:?}");
        let mut rng = StdRng::seed_from_u64(seed);
        let mut backward: Pairs = Vec::new();
        loop {
            let page = rng.random_range(1..400);
            let before = backward.last().map(|(k, _)| k.clone());
            let bound = before.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
            let got = db.scan_reverse("kv", bound, page).expect("reverse");
            assert!(got.len() <= page);
            if got.is_empty() {
                break;
            }
            backward.extend(got);
        }
        backward.reverse();
        assert_eq!(backward, forward, "{partitioner:?}");
        // From an inclusive key in the middle.
        let middle = &forward[forward.len() / 2].0;
        let got = db
            .scan_reverse("kv", Bound::Included(middle), 5)
            .expect("reverse");
        let expected: Pairs = forward[..=forward.len() / 2]
            .iter()
            .rev()
            .take(5)
            .cloned()
            .collect();
        assert_eq!(got, expected, "{partitioner:?}");
    }
}

#[test]
fn partition_pages_see_every_live_partition_once() {
    for (seed, partitioner) in [(3, Partitioner::Murmur3), (4, Partitioner::ByteOrdered)] {
        let dir = tempfile::tempdir().expect("dir");
        let db = Db::open(dir.path(), Options::default()).expect("open");
        let live = filled(&db, partitioner, 2000, seed);
        let forward: Vec<Vec<u8>> = forward(&db).into_iter().map(|(k, _)| k.to_vec()).collect();
        let mut paged = Vec::new();
        loop {
            let after = paged.last().cloned();
            let bound = after
                .as_deref()
                .map_or(Bound::Unbounded, |k: &[u8]| Bound::Excluded(k));
            let page = db
                .scan_partitions_in(DEFAULT_KEYSPACE, "kv", bound, 97)
                .expect("scan partitions");
            if page.is_empty() {
                break;
            }
            paged.extend(page.into_iter().map(|p| p.key));
        }
        assert_eq!(paged, forward, "{partitioner:?}");
        assert_eq!(
            paged.iter().cloned().collect::<BTreeSet<_>>(),
            live,
            "{partitioner:?}"
        );
    }
}
