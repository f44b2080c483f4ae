//! Node replacement, Cassandra's recipe: copy the data and commitlog
//! directories while the engine runs, `drain()`, copy again (replacing the
//! first copy), and open the copy elsewhere: the same data, the same host
//! id.

#![allow(clippy::unwrap_used)]

use ilion::{Db, Options};
use std::path::Path;

/// Copies `from` into `to`, replacing what is there (as `rsync --delete`).
fn copy_dir(from: &Path, to: &Path) {
    if to.exists() {
        std::fs::remove_dir_all(to).unwrap();
    }
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_drained_copy_opens_elsewhere_with_the_same_data_and_host_id() {
    let live = tempfile::tempdir().unwrap();
    let copy = tempfile::tempdir().unwrap();
    let db = Db::open(live.path(), Options::default()).unwrap();
    db.create_key_value_table("kv").unwrap();
    for i in 0..300u32 {
        db.put("kv", &i.to_be_bytes(), format!("first {i}").as_bytes())
            .unwrap();
    }
    db.flush().unwrap();
    for i in 0..300u32 {
        if i % 3 == 0 {
            db.delete("kv", &i.to_be_bytes()).unwrap();
        } else if i % 3 == 1 {
            db.put("kv", &i.to_be_bytes(), format!("second {i}").as_bytes())
                .unwrap();
        }
    }
    // A copy taken while live may be inconsistent; the drained one is not.
    copy_dir(live.path(), &copy.path().join("node"));
    db.drain().unwrap();
    copy_dir(live.path(), &copy.path().join("node"));
    let host_id = db.host_id();
    let expected: Vec<Option<Vec<u8>>> = (0..300u32)
        .map(|i| db.get("kv", &i.to_be_bytes()).unwrap().map(|v| v.to_vec()))
        .collect();

    let moved = Db::open(&copy.path().join("node"), Options::default()).unwrap();
    assert_eq!(moved.host_id(), host_id);
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(
            &moved
                .get("kv", &(i as u32).to_be_bytes())
                .unwrap()
                .map(|v| v.to_vec()),
            want,
            "{i}"
        );
    }
    assert_eq!(expected.iter().filter(|v| v.is_none()).count(), 100);
    // Drained: the copy's data is in its SSTables, not in its commitlog.
    drop(moved);
    std::fs::remove_dir_all(copy.path().join("node/commitlog")).unwrap();
    let without_log = Db::open(&copy.path().join("node"), Options::default()).unwrap();
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(
            &without_log
                .get("kv", &(i as u32).to_be_bytes())
                .unwrap()
                .map(|v| v.to_vec()),
            want,
            "{i}"
        );
    }
}
