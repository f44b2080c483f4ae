//! Helpers shared by the commitlog tests.

use ilion_commitlog::{CommitLog, CommitLogOptions, ReplayEntry, Result, SyncMode, TableId};
use ilion_vfs::{FileSystem, SimFs};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Where tests on a `SimFs` keep their log.
pub fn sim_dir() -> PathBuf {
    PathBuf::from("/db/commitlog")
}

pub fn options(segment_size: u32, sync_mode: SyncMode) -> CommitLogOptions {
    CommitLogOptions {
        segment_size,
        sync_mode,
        ..CommitLogOptions::default()
    }
}

/// Periodic mode that never syncs during a test.
pub fn never_synced() -> SyncMode {
    SyncMode::Periodic {
        period: Duration::from_secs(3600),
    }
}

pub fn arc(fs: &SimFs) -> Arc<dyn FileSystem> {
    Arc::new(fs.clone())
}

/// Replays everything and opens the log for appending.
pub fn open(
    fs: Arc<dyn FileSystem>,
    dir: &Path,
    options: CommitLogOptions,
) -> Result<(CommitLog, Vec<ReplayEntry>)> {
    let mut replay = CommitLog::recover(fs, dir, options)?;
    let entries = replay.by_ref().collect::<Result<Vec<_>>>()?;
    Ok((replay.finish()?, entries))
}

/// Replays everything without repairing anything.
pub fn read_all(
    fs: Arc<dyn FileSystem>,
    dir: &Path,
    options: CommitLogOptions,
) -> Result<Vec<ReplayEntry>> {
    CommitLog::recover(fs, dir, options)?.collect()
}

/// A payload that names its sequence number and whose every byte is
/// derived from it, so that any damage is visible.
pub fn payload(seq: u64, len: usize) -> Vec<u8> {
    let len = len.max(8);
    let mut out = seq.to_be_bytes().to_vec();
    let mut rng = StdRng::seed_from_u64(seq ^ 0x9E37_79B9_7F4A_7C15);
    out.extend((8..len).map(|_| rng.random::<u8>()));
    out
}

/// The sequence number of a payload made by [`payload`], after checking
/// every byte.
pub fn seq_of(bytes: &[u8]) -> u64 {
    assert!(bytes.len() >= 8, "payload too short: {bytes:?}");
    let seq = u64::from_be_bytes(bytes[..8].try_into().unwrap());
    assert_eq!(
        bytes,
        payload(seq, bytes.len()).as_slice(),
        "payload {seq} damaged"
    );
    seq
}

pub const TABLE_A: TableId = TableId(0xA);
pub const TABLE_B: TableId = TableId(0xB);

/// The segment files in `dir`, oldest first.
pub fn segment_paths(fs: &dyn FileSystem, dir: &Path) -> Vec<PathBuf> {
    let mut ids: Vec<(u64, PathBuf)> = fs
        .list_dir(dir)
        .unwrap()
        .into_iter()
        .filter_map(|n| {
            let id = ilion_commitlog::format::parse_segment_file_name(n.to_str()?)?;
            Some((id, dir.join(n)))
        })
        .collect();
    ids.sort();
    ids.into_iter().map(|(_, p)| p).collect()
}
