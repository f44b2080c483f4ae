//! What the crash tests share: the compaction crash tests
//! (`kill_compaction.rs`, `power_loss_compaction.rs`) their workload's
//! values and strategies, the reading of the transaction logs a crash
//! left and the checks after it; with the plain crash tests (`kill.rs`,
//! `power_loss.rs`) the spawning of a child test process and the options
//! of a database on the simulated file system.

// Each test binary compiles this module on its own and uses part of it.
#![allow(dead_code)]

use ilion::commitlog::{CommitLogOptions, SyncMode};
use ilion::compaction::{
    CompactionOptions, LeveledOptions, SizeTieredOptions, Strategy, TimeWindowOptions,
    UnifiedOptions,
};
use ilion::sstable::schema::TableSchema;
use ilion::vfs::{FileSystem, SimFs};
use ilion::{Db, Error, Options, TableOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ffi::OsStr;
use std::fmt::{Debug, Display};
use std::hash::Hash;
use std::io::{BufRead, BufReader};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::thread::JoinHandle;

/// An environment variable's value as a number, if set and one.
pub fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

/// Re-executes this test binary to run the test `test` alone, with `envs`
/// set (the variables that make it do its work as the child) and its
/// stderr going to `stderr`. Each line of its stdout that `parse` accepts
/// arrives on the returned channel as it is printed; the returned thread
/// reads until the child's stdout closes.
pub fn spawn_child<T, K, V>(
    test: &str,
    envs: impl IntoIterator<Item = (K, V)>,
    stderr: Stdio,
    parse: impl Fn(&str) -> Option<T> + Send + 'static,
) -> (Child, Receiver<T>, JoinHandle<()>)
where
    T: Send + 'static,
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .envs(envs)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(parsed) = parse(&line) {
                let _ = tx.send(parsed);
            }
        }
    });
    (child, rx, reader)
}

/// Options of a database on `sim`: Batch commitlog in 64 KiB segments.
pub fn sim_options(sim: &Arc<SimFs>) -> Options {
    Options {
        fs: sim.clone(),
        commitlog: CommitLogOptions {
            segment_size: 64 << 10,
            sync_mode: SyncMode::Batch,
            ..CommitLogOptions::default()
        },
        ..Options::default()
    }
}

/// The value of `key` written in `round`: incompressible, 100 to 700 bytes.
pub fn value(key: u64, round: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(key.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ round);
    let mut v = format!("{key}-{round}-").into_bytes();
    let len = 100 + (round % 600) as usize;
    v.extend((v.len()..len).map(|_| rng.random::<u8>()));
    v
}

/// The compaction options of run `i`: size-tiered, leveled, unified and
/// time-window (of `window_seconds`) in turn, all with small sizes so that
/// they compact often.
pub fn strategy(i: u64, window_seconds: u64) -> CompactionOptions {
    let strategy = match i % 4 {
        0 => Strategy::SizeTiered(SizeTieredOptions {
            min_threshold: 2,
            min_sstable_bytes: 16 << 10,
            ..SizeTieredOptions::default()
        }),
        1 => Strategy::Leveled(LeveledOptions {
            sstable_bytes: 64 << 10,
            fanout: 4,
            ..LeveledOptions::default()
        }),
        2 => Strategy::Unified(UnifiedOptions {
            scaling_parameters: vec![0],
            target_sstable_bytes: 256 << 10,
            min_sstable_bytes: 64 << 10,
            ..UnifiedOptions::default()
        }),
        _ => Strategy::TimeWindow(TimeWindowOptions {
            window_seconds,
            min_threshold: 2,
            ..TimeWindowOptions::default()
        }),
    };
    CompactionOptions {
        strategy,
        ..CompactionOptions::default()
    }
}

/// Creates the table "kv" the compaction crash tests write: key-value,
/// 64 KiB memtables, gc_grace 0 (deletions purgeable at once), compacted
/// as `compaction` says. Returns its directory.
pub fn create_table(db: &Db, compaction: CompactionOptions) -> PathBuf {
    db.create_table(
        "kv",
        TableSchema::key_value(),
        TableOptions {
            memtable_bytes: 64 << 10,
            gc_grace_seconds: 0,
            compaction,
            ..TableOptions::default()
        },
    )
    .unwrap()
    .directory
}

/// Whether an error is one a concurrent compaction explains (the SSTables
/// chosen went away meanwhile).
pub fn expected_race(e: &Error) -> bool {
    matches!(e, Error::Invalid(m) if m.contains("not live") || m.contains("no longer live"))
}

/// Two to `most` SSTables of the table "kv" drawn at random among those not
/// compacting, for a user-defined compaction; none when fewer than two are
/// free.
pub fn choose_sstables(db: &Db, rng: &mut StdRng, most: usize) -> ilion::Result<Vec<u64>> {
    let mut ids: Vec<u64> = db
        .sstables("kv")?
        .iter()
        .filter(|s| !s.compacting)
        .map(|s| s.id)
        .collect();
    let mut chosen = Vec::new();
    if ids.len() >= 2 {
        let n = rng.random_range(2..=ids.len().min(most));
        for _ in 0..n {
            chosen.push(ids.swap_remove(rng.random_range(0..ids.len())));
        }
    }
    Ok(chosen)
}

/// The names of the files in `dir`.
pub fn names(fs: &dyn FileSystem, dir: &Path) -> Vec<String> {
    fs.list_dir(dir)
        .unwrap()
        .into_iter()
        .map(|n| n.into_string().unwrap())
        .collect()
}

/// What the transaction logs in a directory say.
#[derive(Debug, Default)]
pub struct Logs {
    pub count: usize,
    pub committed: usize,
    /// Inputs of committed transactions.
    pub removed: BTreeSet<u64>,
    /// Outputs of uncommitted ones.
    pub abandoned: BTreeSet<u64>,
}

/// `oa-12-big` → 12.
pub fn generation_of(base: &str) -> Option<u64> {
    base.split('-').nth(1)?.parse().ok()
}

/// Whether a file is a compaction transaction log.
pub fn is_log(name: &str) -> bool {
    name.contains("_txn_") && name.ends_with(".log")
}

/// Reads the complete lines of a log (`KIND:[argument][crc]\n`); a torn
/// last line is ignored.
fn read_log(text: &str, logs: &mut Logs) {
    let (mut added, mut removed, mut committed) = (Vec::new(), Vec::new(), false);
    for line in text.split_inclusive('\n') {
        let Some(line) = line.strip_suffix('\n') else {
            break;
        };
        let Some((record, _crc)) = line.rsplit_once('[') else {
            break;
        };
        let Some((kind, argument)) = record.split_once(":[") else {
            break;
        };
        let argument = argument.trim_end_matches(']');
        match kind {
            "ADD" => added.extend(generation_of(argument)),
            "REMOVE" => removed.extend(generation_of(argument)),
            "COMMIT" => committed = true,
            _ => break,
        }
    }
    logs.count += 1;
    if committed {
        logs.committed += 1;
        logs.removed.extend(removed);
    } else {
        logs.abandoned.extend(added);
    }
}

/// The transaction logs among the files `names` of a table directory, and
/// what they say; `read` gives a file's contents.
pub fn directory_logs(names: Vec<String>, read: impl Fn(&str) -> Vec<u8>) -> (Vec<String>, Logs) {
    let mut logs = Logs::default();
    let names: Vec<String> = names.into_iter().filter(|n| is_log(n)).collect();
    for name in &names {
        read_log(&String::from_utf8_lossy(&read(name)), &mut logs);
    }
    (names, logs)
}

/// A key's acknowledged state: the round of its last put, or `None`
/// (deleted or never written).
pub type State = Option<u64>;

/// A key of the table "kv": an integer, stored big-endian.
pub trait Key: Copy + Ord + Hash + Debug + Display + Into<u64> {
    /// The key's bytes.
    fn bytes(self) -> Vec<u8>;
    /// The key of bytes read back.
    fn from_bytes(bytes: &[u8]) -> Self;
}

impl Key for u32 {
    fn bytes(self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        u32::from_be_bytes(bytes.try_into().unwrap())
    }
}

impl Key for u64 {
    fn bytes(self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        u64::from_be_bytes(bytes.try_into().unwrap())
    }
}

/// The first bytes of a value read, for a message.
fn preview(got: &Option<Vec<u8>>) -> Option<String> {
    got.as_deref()
        .map(|v| String::from_utf8_lossy(&v[..v.len().min(12)]).into_owned())
}

/// Checks the table "kv" reopened after a crash against the model:
/// - no transaction log, `tmp-` file or component of no live SSTable is
///   among `files` (its directory's), and the logs the crash left were
///   resolved as they say (`logs`: a committed transaction's inputs gone,
///   an uncommitted one's outputs gone);
/// - each key of `uncertain` (an operation that may or may not have taken
///   effect, with the state it leads to) reads as before or as after one
///   of its operations, and the model takes what was read;
/// - every key of `keys` reads as the model says: nothing lost, nothing
///   resurrected;
/// - a full scan returns exactly the model's keys and values, no key twice.
///
/// `what` begins every message. Returns the keys checked.
pub fn check<K: Key>(
    db: &Db,
    files: Vec<String>,
    logs: &Logs,
    model: &mut BTreeMap<K, State>,
    uncertain: &[(K, State)],
    keys: impl IntoIterator<Item = K>,
    what: &str,
) -> usize {
    let live: BTreeSet<u64> = db.sstables("kv").unwrap().iter().map(|s| s.id).collect();
    for name in files {
        assert!(
            !name.contains("_txn_") && !name.starts_with("tmp-"),
            "{what}: {name} left after reopen"
        );
        assert!(
            generation_of(&name).is_some_and(|g| live.contains(&g)),
            "{what}: {name} belongs to no live SSTable (live: {live:?})"
        );
    }
    let back: Vec<&u64> = logs.removed.intersection(&live).collect();
    assert!(
        back.is_empty(),
        "{what}: inputs {back:?} of a committed compaction are live again"
    );
    let kept: Vec<&u64> = logs.abandoned.intersection(&live).collect();
    assert!(
        kept.is_empty(),
        "{what}: outputs {kept:?} of an uncommitted compaction are live"
    );
    let read = |key: K| db.get("kv", &key.bytes()).unwrap().map(|v| v.to_vec());
    let as_value = |key: K, state: State| state.map(|r| value(key.into(), r));
    for &(key, _) in uncertain {
        let before = model.get(&key).copied().flatten();
        let candidates: Vec<State> = std::iter::once(before)
            .chain(uncertain.iter().filter(|(k, _)| *k == key).map(|(_, a)| *a))
            .collect();
        let got = read(key);
        let now = candidates
            .iter()
            .find(|&&state| as_value(key, state) == got)
            .unwrap_or_else(|| {
                panic!(
                    "{what}: key {key}, with an operation that may or may not have taken \
                     effect (acknowledged {before:?}, candidates {candidates:?}), reads {:?}",
                    preview(&got)
                )
            });
        model.insert(key, *now);
    }
    let mut checked = 0;
    for key in keys {
        let expected = model.get(&key).copied().flatten();
        let got = read(key);
        if got != as_value(key, expected) {
            let why = if expected.is_none() {
                "acknowledged delete (or never written) reads a value: resurrected"
            } else {
                "acknowledged put lost or stale"
            };
            panic!(
                "{what}: key {key}: {why}: expected {:?}, read {:?}",
                model.get(&key),
                preview(&got)
            );
        }
        checked += 1;
    }
    let scan = db
        .scan("kv", Bound::Unbounded, Bound::Unbounded, usize::MAX)
        .unwrap();
    let mut seen = HashSet::new();
    for (k, v) in &scan {
        let key = K::from_bytes(k.as_ref());
        assert!(seen.insert(key), "{what}: scan returns {key} twice");
        let expected = as_value(key, model.get(&key).copied().flatten());
        assert_eq!(
            Some(v.to_vec()),
            expected,
            "{what}: scan disagrees on key {key}"
        );
    }
    let expected_keys = model.values().filter(|s| s.is_some()).count();
    assert_eq!(
        seen.len(),
        expected_keys,
        "{what}: scan returns {} keys, model has {expected_keys}",
        seen.len()
    );
    checked
}
