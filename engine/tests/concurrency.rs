//! Eight threads mixing puts, deletes and gets on one table while small
//! memtables flush in the background and one thread also flushes
//! explicitly: each thread owns its own keys and checks every read against
//! its own model; at the end, and after a reopen, everything matches.

#![allow(clippy::unwrap_used)]

use ilion::commitlog::{CommitLogOptions, SyncMode};
use ilion::sstable::schema::TableSchema;
use ilion::{Db, Options, TableOptions};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

fn options() -> Options {
    Options {
        commitlog: CommitLogOptions {
            sync_mode: SyncMode::Group {
                window: std::time::Duration::from_millis(2),
            },
            ..CommitLogOptions::default()
        },
        ..Options::default()
    }
}

#[test]
fn eight_threads_reading_and_writing_see_their_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), options()).unwrap();
    db.create_table(
        "kv",
        TableSchema::key_value(),
        TableOptions {
            memtable_bytes: 64 << 10,
            ..TableOptions::default()
        },
    )
    .unwrap();
    let models: Vec<BTreeMap<Vec<u8>, Vec<u8>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8u64)
            .map(|t| {
                let db = db.clone();
                s.spawn(move || {
                    let mut rng = rand::rngs::StdRng::seed_from_u64(t);
                    let mut model = BTreeMap::new();
                    for op in 0..1500u64 {
                        let key = format!("t{t}-k{}", rng.random_range(0..100)).into_bytes();
                        match rng.random_range(0..10) {
                            0..=5 => {
                                let value = format!("t{t}-op{op}").into_bytes();
                                db.put("kv", &key, &value).unwrap();
                                model.insert(key, value);
                            }
                            6 => {
                                db.delete("kv", &key).unwrap();
                                model.remove(&key);
                            }
                            _ => {
                                assert_eq!(
                                    db.get("kv", &key).unwrap().map(|v| v.to_vec()),
                                    model.get(&key).cloned(),
                                    "thread {t} op {op}"
                                );
                            }
                        }
                        if t == 0 && op % 500 == 499 {
                            db.flush().unwrap();
                        }
                    }
                    model
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let check = |db: &Db| {
        for (t, model) in models.iter().enumerate() {
            for k in 0..100 {
                let key = format!("t{t}-k{k}").into_bytes();
                assert_eq!(
                    db.get("kv", &key).unwrap().map(|v| v.to_vec()),
                    model.get(&key).cloned()
                );
            }
        }
    };
    check(&db);
    // Flushes ran (compactions may have merged their SSTables since).
    assert!(db.table_stats("kv").unwrap().flushes >= 2);
    drop(db);
    check(&Db::open(dir.path(), options()).unwrap());
}
