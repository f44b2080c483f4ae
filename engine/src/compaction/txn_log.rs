//! The transaction log that makes a compaction's swap of SSTables atomic,
//! as Cassandra's `<version>_txn_<kind>_<uuid>.log` does.
//!
//! Protocol: each output SSTable is recorded (`ADD`) and the record made
//! durable before the SSTable's first byte is written; once every output
//! is complete and durable, the inputs are recorded (`REMOVE`) followed by
//! `COMMIT`, made durable in one fsync; only then do reads switch to the
//! outputs and are the inputs' files deleted; the log goes last. At open,
//! a log left behind is finished: committed → the inputs' files are
//! deleted; not committed → the outputs' files are. Either way exactly one
//! of the two sets remains.
//!
//! Each line is `KIND:[argument][crc]\n`, where `crc` (decimal) is the
//! CRC-32 of the previous line's crc (4 bytes, big-endian; 0 before the
//! first line) followed by the bytes `KIND:[argument]`: a chain, so that a
//! line cannot be dropped or reordered unseen. A damaged last line is a
//! torn write (the transaction did not commit); damage before the last
//! line is corruption and stops the open.

use crate::error::{io_error, Error, Result};
use ilion_sstable::descriptor::{Component, Descriptor, TEMPORARY_PREFIX};
use ilion_vfs::{write_all_at, FileSystem, WritableFile};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest log read back: a log names at most a few thousand SSTables.
const MAX_LOG_BYTES: u64 = 16 << 20;

/// The name of a log file: Cassandra's shape.
fn is_log_name(name: &str) -> bool {
    name.contains("_txn_") && name.ends_with(".log")
}

/// `oa-12-big`: the part of an SSTable's file names before the component.
fn base_name(descriptor: &Descriptor) -> String {
    let data = descriptor.path(Component::Data);
    let name = data
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    name.trim_end_matches(Component::Data.name())
        .trim_end_matches('-')
        .to_string()
}

fn record_crc(previous: u32, record: &str) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&previous.to_be_bytes());
    hasher.update(record.as_bytes());
    hasher.finalize()
}

/// An open transaction: outputs being written.
pub(crate) struct TxnLog {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    path: PathBuf,
    file: Box<dyn WritableFile>,
    offset: u64,
    crc: u32,
    added: Vec<String>,
}

impl std::fmt::Debug for TxnLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxnLog").field("path", &self.path).finish()
    }
}

impl TxnLog {
    /// Starts a transaction in the table directory `dir` (the log file is
    /// created and its directory entry made durable).
    pub(crate) fn create(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        version_letters: &str,
        kind: &str,
    ) -> Result<TxnLog> {
        let id = crate::system::uuid_string(&crate::system::new_uuid()).replace('-', "");
        let path = dir.join(format!("{version_letters}_txn_{kind}_{id}.log"));
        let file = fs.create(&path).map_err(io_error("create", &path))?;
        fs.sync_dir(dir).map_err(io_error("fsync directory", dir))?;
        Ok(TxnLog {
            fs,
            dir: dir.to_path_buf(),
            path,
            file,
            offset: 0,
            crc: 0,
            added: Vec::new(),
        })
    }

    fn append(&mut self, records: &[String]) -> Result<()> {
        let mut text = String::new();
        for record in records {
            self.crc = record_crc(self.crc, record);
            text.push_str(&format!("{record}[{}]\n", self.crc));
        }
        write_all_at(self.file.as_ref(), self.offset, text.as_bytes())
            .map_err(io_error("write", &self.path))?;
        self.offset += text.len() as u64;
        self.file.sync().map_err(io_error("fsync", &self.path))
    }

    /// Records a new output before it is written.
    pub(crate) fn add(&mut self, output: &Descriptor) -> Result<()> {
        let base = base_name(output);
        self.append(&[format!("ADD:[{base}]")])?;
        self.added.push(base);
        Ok(())
    }

    /// Records the inputs and the commit, durably: from here on, a restart
    /// keeps the outputs.
    pub(crate) fn commit(mut self, removed: &[Descriptor]) -> Result<Committed> {
        let mut records: Vec<String> = removed
            .iter()
            .map(|d| format!("REMOVE:[{}]", base_name(d)))
            .collect();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        records.push(format!("COMMIT:[{now}]"));
        self.append(&records)?;
        Ok(Committed {
            fs: self.fs,
            dir: self.dir,
            path: self.path,
            removed: removed.iter().map(base_name).collect(),
        })
    }

    /// Abandons the transaction: the outputs' files and the log go.
    pub(crate) fn abort(self) -> Result<()> {
        settle(self.fs.as_ref(), &self.dir, &self.added, &self.path)
    }
}

/// A committed transaction whose inputs are still on disk.
#[derive(Debug)]
pub(crate) struct Committed {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    path: PathBuf,
    removed: Vec<String>,
}

impl Committed {
    /// Deletes the inputs' files, then the log (reads must have switched
    /// to the outputs: open readers keep their mapped files).
    pub(crate) fn finish(self) -> Result<()> {
        settle(self.fs.as_ref(), &self.dir, &self.removed, &self.path)
    }
}

/// Ends a transaction: deletes the losing set of SSTables (`doomed`), makes
/// that durable, then deletes the log and makes that durable. A crash
/// before the log goes repeats the deletion at the next open.
fn settle(fs: &dyn FileSystem, dir: &Path, doomed: &[String], log: &Path) -> Result<()> {
    for base in doomed {
        remove_sstable_files(fs, dir, base)?;
    }
    fs.sync_dir(dir).map_err(io_error("fsync directory", dir))?;
    remove_if_present(fs, log)?;
    fs.sync_dir(dir).map_err(io_error("fsync directory", dir))
}

fn remove_if_present(fs: &dyn FileSystem, path: &Path) -> Result<()> {
    match fs.remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("remove", path)(e)),
    }
}

/// Deletes every file of the SSTable `base` (`oa-12-big`), temporary ones
/// included: TOC.txt first, so that an interrupted deletion leaves
/// components the loader recognises as incomplete.
pub(crate) fn remove_sstable_files(fs: &dyn FileSystem, dir: &Path, base: &str) -> Result<()> {
    let prefix = format!("{base}-");
    let temporary = format!("{TEMPORARY_PREFIX}{prefix}");
    remove_if_present(fs, &dir.join(format!("{prefix}{}", Component::Toc.name())))?;
    let names = fs.list_dir(dir).map_err(io_error("list", dir))?;
    for name in names.iter().filter_map(|n| n.to_str()) {
        if name.starts_with(&prefix) || name.starts_with(&temporary) {
            remove_if_present(fs, &dir.join(name))?;
        }
    }
    Ok(())
}

/// What a log says.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub(crate) added: Vec<String>,
    pub(crate) removed: Vec<String>,
    pub(crate) committed: bool,
}

/// Parses a log's bytes. A damaged or incomplete last line is ignored (a
/// torn write); damage anywhere before it is an error.
pub(crate) fn parse(bytes: &[u8], path: &Path) -> Result<Parsed> {
    let mut parsed = Parsed::default();
    let mut crc = 0u32;
    let mut offset = 0usize;
    let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        match parse_line(line, crc) {
            Some((next_crc, kind, argument)) => {
                crc = next_crc;
                match kind {
                    "ADD" => parsed.added.push(argument.to_string()),
                    "REMOVE" => parsed.removed.push(argument.to_string()),
                    "COMMIT" => parsed.committed = true,
                    _ => {}
                }
            }
            None if last => break,
            None => {
                return Err(Error::Corruption {
                    path: path.to_path_buf(),
                    offset: offset as u64,
                    reason: "transaction log line fails its checksum".into(),
                })
            }
        }
        offset += line.len();
    }
    Ok(parsed)
}

/// One complete line: `KIND:[argument][crc]\n`.
fn parse_line(line: &[u8], previous: u32) -> Option<(u32, &str, &str)> {
    let line = std::str::from_utf8(line.strip_suffix(b"\n")?).ok()?;
    let (record, crc) = line.rsplit_once('[')?;
    let crc: u32 = crc.strip_suffix(']')?.parse().ok()?;
    if record_crc(previous, record) != crc {
        return None;
    }
    let (kind, argument) = record.split_once(":[")?;
    let argument = argument.strip_suffix(']')?;
    if !matches!(kind, "ADD" | "REMOVE" | "COMMIT") || argument.contains(['/', '\\']) {
        return None;
    }
    Some((crc, kind, argument))
}

/// Finishes every transaction a crash left in `dir`. Returns how many.
pub(crate) fn recover(fs: &dyn FileSystem, dir: &Path) -> Result<usize> {
    let names = fs.list_dir(dir).map_err(io_error("list", dir))?;
    let mut finished = 0;
    for name in names
        .iter()
        .filter_map(|n| n.to_str())
        .filter(|n| is_log_name(n))
    {
        let path = dir.join(name);
        let bytes = crate::codec::read_file(fs, &path, MAX_LOG_BYTES)?.unwrap_or_default();
        let parsed = parse(&bytes, &path)?;
        let doomed = if parsed.committed {
            &parsed.removed
        } else {
            &parsed.added
        };
        log::info!(
            "{}: {} transaction, removing {}",
            path.display(),
            if parsed.committed {
                "committed"
            } else {
                "unfinished"
            },
            doomed.join(", ")
        );
        settle(fs, dir, doomed, &path)?;
        finished += 1;
    }
    Ok(finished)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ilion_sstable::version::Version;
    use ilion_vfs::RealFs;

    fn descriptor(dir: &Path, generation: u64) -> Descriptor {
        Descriptor {
            dir: dir.to_path_buf(),
            version: Version::OA,
            generation,
        }
    }

    fn touch(dir: &Path, names: &[&str]) {
        for n in names {
            std::fs::write(dir.join(n), b"x").unwrap();
        }
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn unfinished_transactions_remove_outputs_committed_ones_inputs() {
        for commit in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let fs: Arc<dyn FileSystem> = Arc::new(RealFs);
            touch(dir.path(), &["oa-1-big-Data.db", "oa-1-big-TOC.txt"]);
            let mut log = TxnLog::create(fs.clone(), dir.path(), "oa", "compaction").unwrap();
            log.add(&descriptor(dir.path(), 2)).unwrap();
            touch(dir.path(), &["oa-2-big-Data.db", "tmp-oa-2-big-Index.db"]);
            if commit {
                let committed = log.commit(&[descriptor(dir.path(), 1)]).unwrap();
                std::mem::forget(committed);
            } else {
                drop(log);
            }
            assert_eq!(recover(&RealFs, dir.path()).unwrap(), 1);
            let expected = if commit {
                vec!["oa-2-big-Data.db", "tmp-oa-2-big-Index.db"]
            } else {
                vec!["oa-1-big-Data.db", "oa-1-big-TOC.txt"]
            };
            // A committed transaction keeps the outputs (the tmp- file is
            // the loader's to remove).
            assert_eq!(files(dir.path()), expected, "commit {commit}");
        }
    }

    #[test]
    fn a_torn_last_line_is_not_a_commit_and_earlier_damage_is_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let fs: Arc<dyn FileSystem> = Arc::new(RealFs);
        let mut log = TxnLog::create(fs.clone(), dir.path(), "oa", "compaction").unwrap();
        log.add(&descriptor(dir.path(), 2)).unwrap();
        let path = log.path.clone();
        let committed = log.commit(&[descriptor(dir.path(), 1)]).unwrap();
        let whole = std::fs::read(&path).unwrap();
        let parsed = parse(&whole, &path).unwrap();
        assert_eq!(parsed.added, vec!["oa-2-big".to_string()]);
        assert_eq!(parsed.removed, vec!["oa-1-big".to_string()]);
        assert!(parsed.committed);
        // Every cut inside the commit line: not committed.
        let commit_start = whole[..whole.len() - 1]
            .iter()
            .rposition(|b| *b == b'\n')
            .unwrap()
            + 1;
        for cut in commit_start..whole.len() {
            let parsed = parse(&whole[..cut], &path).unwrap();
            assert!(!parsed.committed, "cut at {cut}");
        }
        // A flipped byte in the first line: corruption, naming the offset.
        let mut damaged = whole.clone();
        damaged[5] ^= 1;
        match parse(&damaged, &path) {
            Err(Error::Corruption { offset, .. }) => assert_eq!(offset, 0),
            other => panic!("expected corruption, got {other:?}"),
        }
        // A flipped byte in the commit line: a torn commit.
        let mut torn = whole.clone();
        let at = whole.len() - 3;
        torn[at] ^= 1;
        assert!(!parse(&torn, &path).unwrap().committed);
        committed.finish().unwrap();
        assert!(files(dir.path()).is_empty());
    }
}
