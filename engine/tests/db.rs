//! Opening a data directory: layout, host id, lock, format version, table
//! names, and the table catalog across reopens.

#![allow(clippy::unwrap_used)]

use ilion::sstable::partitioner::Partitioner;
use ilion::sstable::schema::{ClusteringOrder, Column, TableSchema};
use ilion::sstable::version::Version;
use ilion::{Db, Error, Options, TableOptions, FORMAT_VERSION};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

fn open(path: &Path) -> Db {
    Db::open(path, Options::default()).unwrap()
}

#[test]
fn a_new_directory_gets_cassandras_layout_and_a_host_id_kept_forever() {
    let dir = tempfile::tempdir().unwrap();
    let host_id = {
        let db = open(dir.path());
        for sub in ["system", "data", "commitlog"] {
            assert!(dir.path().join(sub).is_dir(), "{sub}");
        }
        assert!(dir.path().join("LOCK").is_file());
        let id = db.host_id();
        assert_eq!(id[6] >> 4, 4, "a version 4 UUID");
        assert_ne!(id, [0; 16]);
        id
    };
    assert_eq!(open(dir.path()).host_id(), host_id);
    let other = tempfile::tempdir().unwrap();
    assert_ne!(open(other.path()).host_id(), host_id);
    assert_eq!(ilion::uuid_string(&host_id).len(), 36);
}

#[test]
fn the_commitlog_may_live_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let options = Options {
        commitlog_dir: Some(logs.path().join("cl")),
        ..Options::default()
    };
    let db = Db::open(dir.path(), options).unwrap();
    assert_eq!(db.commitlog_dir(), logs.path().join("cl"));
    assert!(logs.path().join("cl").is_dir());
    assert!(!dir.path().join("commitlog").exists());
}

#[test]
fn a_second_open_in_this_process_fails_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let second = Db::open(dir.path(), Options::default());
    assert!(matches!(second, Err(Error::Locked { .. })), "{second:?}");
    // Through another spelling of the same path, too.
    let dotted = dir.path().join("data").join("..");
    assert!(matches!(
        Db::open(&dotted, Options::default()),
        Err(Error::Locked { .. })
    ));
    drop(db);
    open(dir.path());
}

/// The child half of the next test: hold the database open until stdin
/// closes.
#[test]
fn lock_holder_child() {
    let Ok(path) = std::env::var("ILION_LOCK_HOLDER_DIR") else {
        return;
    };
    let _db = open(Path::new(&path));
    println!("locked");
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
}

#[test]
fn another_process_cannot_open_a_directory_in_use() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock_holder_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ILION_LOCK_HOLDER_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    // Read the child's output to its end, so it never writes into a
    // closed pipe; say when it holds the lock.
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("locked") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("the child never opened the database");
    let result = Db::open(dir.path(), Options::default());
    assert!(matches!(result, Err(Error::Locked { .. })), "{result:?}");
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
    open(dir.path());
}

/// A system file with a valid checksum, of another format version.
fn write_with_crc(path: &Path, body: &[u8]) {
    let mut bytes = body.to_vec();
    bytes.extend_from_slice(&crc32fast::hash(body).to_be_bytes());
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_directory_written_by_a_newer_ilion_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let host_id = open(dir.path()).host_id();
    let mut body = b"ILIONSYS".to_vec();
    body.extend_from_slice(&(FORMAT_VERSION + 1).to_be_bytes());
    body.extend_from_slice(&host_id);
    write_with_crc(&dir.path().join("system/node"), &body);
    let result = Db::open(dir.path(), Options::default());
    match result {
        Err(e @ Error::NewerVersion { .. }) => {
            assert!(e.to_string().contains("newer Ilion"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn damaged_system_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = open(dir.path());
        db.create_table("kv", TableSchema::key_value(), TableOptions::default())
            .unwrap();
    }
    for file in ["system/node", "system/tables"] {
        let path = dir.path().join(file);
        let pristine = std::fs::read(&path).unwrap();
        for i in 0..pristine.len() {
            let mut damaged = pristine.clone();
            damaged[i] ^= 0x10;
            std::fs::write(&path, &damaged).unwrap();
            match Db::open(dir.path(), Options::default()) {
                Err(Error::Corruption { path: p, .. }) => assert_eq!(p, path),
                other => panic!("{file} byte {i}: {other:?}"),
            }
        }
        std::fs::write(&path, &pristine[..pristine.len() - 1]).unwrap();
        assert!(Db::open(dir.path(), Options::default()).is_err());
        std::fs::write(&path, &pristine).unwrap();
    }
    open(dir.path());
}

#[test]
fn names_follow_cassandras_rule() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    for bad in ["", "../x", "a/b", "a-b", "..", &"t".repeat(49)] {
        let result = db.create_table(bad, TableSchema::key_value(), TableOptions::default());
        assert!(matches!(result, Err(Error::InvalidName { .. })), "{bad:?}");
        let result =
            db.create_table_in(bad, "t", TableSchema::key_value(), TableOptions::default());
        assert!(matches!(result, Err(Error::InvalidName { .. })), "{bad:?}");
    }
    assert!(std::fs::read_dir(dir.path().join("data"))
        .unwrap()
        .next()
        .is_none());
}

fn wide_schema() -> TableSchema {
    let t = |n: &str| format!("org.apache.cassandra.db.marshal.{n}");
    TableSchema::new(
        vec![
            Column::new("sensor", t("UTF8Type")),
            Column::new("day", t("Int32Type")),
        ],
        vec![(Column::new("at", t("TimestampType")), ClusteringOrder::Desc)],
        vec![Column::new("unit", t("UTF8Type"))],
        vec![Column::new("value", t("DoubleType"))],
    )
    .unwrap()
}

#[test]
fn tables_survive_reopen_and_drops_are_durable() {
    let dir = tempfile::tempdir().unwrap();
    let options = TableOptions {
        partitioner: Partitioner::ByteOrdered,
        version: Version::NB,
        compression: false,
        chunk_length: 16 << 10,
        bloom_filter_fp_chance: 0.1,
        gc_grace_seconds: 3600,
        default_ttl_seconds: 60,
        memtable_bytes: 1 << 20,
        large_partition_warning_bytes: 1 << 30,
        tombstone_warn_threshold: 10,
        tombstone_failure_threshold: 20,
        // Every option survives the catalog, compaction's included.
        compaction: ilion::compaction::CompactionOptions {
            strategy: ilion::compaction::Strategy::Unified(ilion::compaction::UnifiedOptions {
                scaling_parameters: vec![-8, 2, 0],
                target_sstable_bytes: 1 << 20,
                base_shard_count: 2,
                min_sstable_bytes: 1 << 18,
                sstable_growth: 0.5,
                max_sstables_to_compact: 16,
            }),
            enabled: false,
            tombstone_threshold: 0.3,
            tombstone_compaction_interval_seconds: 60,
        },
    };
    let (kv, wide) = {
        let db = open(dir.path());
        let kv = db
            .create_table("kv", TableSchema::key_value(), TableOptions::default())
            .unwrap();
        let wide = db
            .create_table_in("metrics", "readings", wide_schema(), options.clone())
            .unwrap();
        assert!(matches!(
            db.create_table("kv", TableSchema::key_value(), TableOptions::default()),
            Err(Error::TableExists { .. })
        ));
        (kv, wide)
    };
    // data/<keyspace>/<table>-<32 hex digits>/, as Cassandra names them.
    let name = wide
        .directory
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        name.starts_with("readings-") && name.len() == "readings-".len() + 32,
        "{name}"
    );
    assert_eq!(
        wide.directory.parent().unwrap(),
        dir.path().join("data/metrics")
    );
    assert!(wide.directory.is_dir() && kv.directory.is_dir());

    let db = open(dir.path());
    assert_eq!(db.table("kv").unwrap(), kv);
    let again = db.table_in("metrics", "readings").unwrap();
    assert_eq!(again, wide);
    assert_eq!(again.definition.options, options);
    assert_eq!(again.definition.schema, wide_schema());
    assert_eq!(db.tables().len(), 2);

    db.drop_table("kv").unwrap();
    assert!(!kv.directory.exists());
    assert!(matches!(db.table("kv"), Err(Error::NoSuchTable { .. })));
    assert!(matches!(
        db.drop_table("kv"),
        Err(Error::NoSuchTable { .. })
    ));
    drop(db);
    let db = open(dir.path());
    assert!(db.table("kv").is_err());
    assert_eq!(db.tables().len(), 1);
}

#[test]
fn invalid_table_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    for options in [
        TableOptions {
            chunk_length: 3000,
            ..TableOptions::default()
        },
        TableOptions {
            bloom_filter_fp_chance: 0.0,
            ..TableOptions::default()
        },
        TableOptions {
            memtable_bytes: 10,
            ..TableOptions::default()
        },
    ] {
        let result = db.create_table("t", TableSchema::key_value(), options);
        assert!(matches!(result, Err(Error::Invalid(_))), "{result:?}");
    }
}
