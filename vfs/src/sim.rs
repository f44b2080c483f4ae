//! An in-memory file system that injects faults and simulates power loss.

use crate::{FileSystem, ReadableFile, WritableFile};
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The kinds of operation [`SimFs`] counts, and on which it can inject faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Creating a file (plain or preallocated).
    Create,
    /// Opening an existing file.
    Open,
    /// One `write_at` call.
    Write,
    /// Syncing a file.
    Sync,
    /// Syncing a directory.
    SyncDir,
    /// Renaming a file.
    Rename,
    /// Removing a file.
    Remove,
    /// Changing a file's length.
    SetLen,
    /// One `read_at` call.
    Read,
    /// Listing a directory.
    List,
    /// Creating directories.
    CreateDir,
}

/// What an injected fault does to the operation it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The operation fails with `EIO` and has no effect.
    Eio,
    /// The operation fails with `ENOSPC` and has no effect.
    Enospc,
    /// A write stores only the first half of its bytes (at least one) and
    /// reports that short count; other operations are unaffected.
    ShortWrite,
}

/// A fault planned for the `nth` operation (counting from 0) of kind `op`,
/// or of any kind when `op` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Which operations are counted.
    pub op: Option<OpKind>,
    /// The index of the operation to hit among those counted.
    pub nth: u64,
    /// What happens to it.
    pub kind: FaultKind,
}

/// An in-memory [`FileSystem`] for tests: fault injection and power loss.
///
/// Cloning gives another handle to the same file system. The model:
/// - each file has a *durable* image and a list of writes and length
///   changes made since its last sync; a sync makes them durable;
/// - each directory has a *durable* set of entries, updated from the current
///   set by [`FileSystem::sync_dir`]; directories themselves are durable once
///   created;
/// - [`SimFs::crash`] models power loss: directories revert to their durable
///   entries, and each surviving file to its durable image plus a random
///   prefix of its unsynced operations, the last one possibly torn;
/// - [`SimFs::fail_after`] models the machine stopping: after that many
///   operations every operation fails with `EIO` and changes nothing;
/// - a failed file sync loses the unsynced writes of that file, as Linux may
///   drop dirty pages after reporting a write-back error.
#[derive(Debug, Clone, Default)]
pub struct SimFs {
    state: Arc<Mutex<SimState>>,
}

#[derive(Debug, Default)]
struct SimState {
    inodes: HashMap<u64, Inode>,
    next_ino: u64,
    dirs: BTreeMap<PathBuf, Dir>,
    ops_total: u64,
    ops_by_kind: HashMap<OpKind, u64>,
    faults: Vec<Fault>,
    stop_after: Option<u64>,
    /// Bumped by every crash so that handles from before it stop working.
    generation: u64,
}

#[derive(Debug, Default, Clone)]
struct Dir {
    current: BTreeMap<OsString, u64>,
    durable: BTreeMap<OsString, u64>,
}

#[derive(Debug, Default)]
struct Inode {
    data: Vec<u8>,
    durable: Vec<u8>,
    pending: Vec<Pending>,
}

#[derive(Debug, Clone)]
enum Pending {
    Write { offset: u64, bytes: Vec<u8> },
    SetLen(u64),
}

fn apply(data: &mut Vec<u8>, op: &Pending) {
    match op {
        Pending::Write { offset, bytes } => write_into(data, *offset, bytes),
        Pending::SetLen(len) => data.resize(*len as usize, 0),
    }
}

fn write_into(data: &mut Vec<u8>, offset: u64, bytes: &[u8]) {
    let start = offset as usize;
    let end = start + bytes.len();
    if data.len() < end {
        data.resize(end, 0);
    }
    data[start..end].copy_from_slice(bytes);
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file", path.display()),
    )
}

fn split(path: &Path) -> io::Result<(PathBuf, OsString)> {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => Ok((parent.to_path_buf(), name.to_os_string())),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a file path", path.display()),
        )),
    }
}

impl SimState {
    /// Counts an operation and decides whether a fault hits it.
    fn begin(&mut self, kind: OpKind) -> io::Result<Option<FaultKind>> {
        let total = self.ops_total;
        let of_kind = *self.ops_by_kind.get(&kind).unwrap_or(&0);
        if self.stop_after.is_some_and(|limit| total >= limit) {
            return Err(io::Error::other("simulated power cut: the machine is off"));
        }
        self.ops_total += 1;
        *self.ops_by_kind.entry(kind).or_insert(0) += 1;
        let hit = self.faults.iter().position(|f| match f.op {
            None => f.nth == total,
            Some(k) => k == kind && f.nth == of_kind,
        });
        let Some(index) = hit else { return Ok(None) };
        let fault = self.faults.remove(index);
        match fault.kind {
            FaultKind::Eio => Err(io::Error::from_raw_os_error(libc::EIO)),
            FaultKind::Enospc => Err(io::Error::from_raw_os_error(libc::ENOSPC)),
            FaultKind::ShortWrite => Ok(Some(FaultKind::ShortWrite)),
        }
    }

    fn lookup(&self, path: &Path) -> io::Result<u64> {
        let (parent, name) = split(path)?;
        self.dirs
            .get(&parent)
            .and_then(|d| d.current.get(&name).copied())
            .ok_or_else(|| not_found(path))
    }

    fn add_file(&mut self, path: &Path, inode: Inode) -> io::Result<u64> {
        let (parent, name) = split(path)?;
        let ino = self.next_ino;
        let dir = self.dirs.get_mut(&parent).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: no such directory", parent.display()),
            )
        })?;
        if dir.current.contains_key(&name) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{}: exists", path.display()),
            ));
        }
        dir.current.insert(name, ino);
        self.next_ino += 1;
        self.inodes.insert(ino, inode);
        Ok(ino)
    }

    fn inode(&mut self, ino: u64, generation: u64) -> io::Result<&mut Inode> {
        if generation != self.generation {
            return Err(io::Error::other(
                "file handle from before a simulated crash",
            ));
        }
        self.inodes
            .get_mut(&ino)
            .ok_or_else(|| io::Error::other("simulated inode vanished"))
    }
}

impl SimFs {
    /// An empty file system.
    pub fn new() -> Self {
        SimFs::default()
    }

    /// Plans a fault; several may be planned at once.
    pub fn inject(&self, fault: Fault) {
        self.state.lock().faults.push(fault);
    }

    /// Removes planned faults and the power-cut point.
    pub fn clear_faults(&self) {
        let mut st = self.state.lock();
        st.faults.clear();
        st.stop_after = None;
    }

    /// Stops the machine once `ops` more operations have run: every later
    /// operation fails with `EIO` and changes nothing, until [`SimFs::crash`].
    pub fn fail_after(&self, ops: u64) {
        let mut st = self.state.lock();
        st.stop_after = Some(st.ops_total + ops);
    }

    /// How many planned faults have not hit an operation yet.
    pub fn pending_faults(&self) -> usize {
        self.state.lock().faults.len()
    }

    /// How many operations have run (successful or not).
    pub fn op_count(&self) -> u64 {
        self.state.lock().ops_total
    }

    /// How many operations of one kind have run.
    pub fn op_count_of(&self, kind: OpKind) -> u64 {
        *self.state.lock().ops_by_kind.get(&kind).unwrap_or(&0)
    }

    /// Simulates power loss and restart, choosing what survives with a
    /// generator seeded by `seed`. Faults and the power-cut point are
    /// cleared; handles opened before the crash stop working.
    pub fn crash(&self, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut st = self.state.lock();
        let mut live = HashSet::new();
        for dir in st.dirs.values_mut() {
            dir.current = dir.durable.clone();
            live.extend(dir.current.values().copied());
        }
        st.inodes.retain(|ino, _| live.contains(ino));
        for inode in st.inodes.values_mut() {
            let mut data = std::mem::take(&mut inode.durable);
            let kept = rng.random_range(0..=inode.pending.len());
            for op in &inode.pending[..kept] {
                apply(&mut data, op);
            }
            if let Some(Pending::Write { offset, bytes }) = inode.pending.get(kept) {
                // The write in flight at the cut may be torn anywhere.
                let torn = rng.random_range(0..=bytes.len());
                write_into(&mut data, *offset, &bytes[..torn]);
            }
            inode.pending.clear();
            inode.durable = data.clone();
            inode.data = data;
        }
        st.faults.clear();
        st.stop_after = None;
        st.generation += 1;
    }

    /// A new, independent file system holding exactly what this one holds now,
    /// all of it durable: what a process sees after *it* was killed while the
    /// operating system kept running. Handles to `self` do not affect it.
    pub fn process_crash_image(&self) -> SimFs {
        let st = self.state.lock();
        let mut image = SimState {
            next_ino: st.next_ino,
            ..SimState::default()
        };
        for (path, dir) in &st.dirs {
            image.dirs.insert(
                path.clone(),
                Dir {
                    current: dir.current.clone(),
                    durable: dir.current.clone(),
                },
            );
        }
        for dir in st.dirs.values() {
            for ino in dir.current.values() {
                if let Some(inode) = st.inodes.get(ino) {
                    image.inodes.insert(
                        *ino,
                        Inode {
                            data: inode.data.clone(),
                            durable: inode.data.clone(),
                            pending: Vec::new(),
                        },
                    );
                }
            }
        }
        SimFs {
            state: Arc::new(Mutex::new(image)),
        }
    }

    /// The current contents of a file, for tests to inspect.
    pub fn contents(&self, path: &Path) -> Option<Vec<u8>> {
        let st = self.state.lock();
        let ino = st.lookup(path).ok()?;
        st.inodes.get(&ino).map(|i| i.data.clone())
    }

    /// Replaces the contents of a file outright (durably), for tests that
    /// damage files.
    pub fn set_contents(&self, path: &Path, data: Vec<u8>) -> io::Result<()> {
        let mut st = self.state.lock();
        let ino = st.lookup(path)?;
        let inode = st
            .inodes
            .get_mut(&ino)
            .ok_or_else(|| io::Error::other("simulated inode vanished"))?;
        inode.durable = data.clone();
        inode.data = data;
        inode.pending.clear();
        Ok(())
    }

    fn open_existing(&self, path: &Path) -> io::Result<SimFile> {
        let mut st = self.state.lock();
        st.begin(OpKind::Open)?;
        let ino = st.lookup(path)?;
        let generation = st.generation;
        Ok(self.handle(ino, generation))
    }

    fn handle(&self, ino: u64, generation: u64) -> SimFile {
        SimFile {
            fs: self.clone(),
            ino,
            generation,
        }
    }
}

impl FileSystem for SimFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        st.begin(OpKind::CreateDir)?;
        for ancestor in dir.ancestors() {
            st.dirs.entry(ancestor.to_path_buf()).or_default();
        }
        Ok(())
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        let mut st = self.state.lock();
        st.begin(OpKind::List)?;
        let entries = st.dirs.get(dir).ok_or_else(|| not_found(dir))?;
        let mut names: Vec<OsString> = entries.current.keys().cloned().collect();
        for path in st.dirs.keys() {
            if path.parent() == Some(dir) {
                if let Some(name) = path.file_name() {
                    names.push(name.to_os_string());
                }
            }
        }
        Ok(names)
    }

    fn create_preallocated(&self, path: &Path, len: u64) -> io::Result<Box<dyn WritableFile>> {
        let mut st = self.state.lock();
        st.begin(OpKind::Create)?;
        let inode = Inode {
            data: vec![0; len as usize],
            durable: Vec::new(),
            pending: vec![Pending::SetLen(len)],
        };
        let ino = st.add_file(path, inode)?;
        let generation = st.generation;
        Ok(Box::new(self.handle(ino, generation)))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let mut st = self.state.lock();
        st.begin(OpKind::Create)?;
        let ino = st.add_file(path, Inode::default())?;
        let generation = st.generation;
        Ok(Box::new(self.handle(ino, generation)))
    }

    fn open_writable(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        Ok(Box::new(self.open_existing(path)?))
    }

    fn open_readable(&self, path: &Path) -> io::Result<Box<dyn ReadableFile>> {
        Ok(Box::new(self.open_existing(path)?))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        st.begin(OpKind::Rename)?;
        let ino = st.lookup(from)?;
        let (to_parent, to_name) = split(to)?;
        if !st.dirs.contains_key(&to_parent) {
            return Err(not_found(&to_parent));
        }
        let (from_parent, from_name) = split(from)?;
        if let Some(d) = st.dirs.get_mut(&from_parent) {
            d.current.remove(&from_name);
        }
        if let Some(d) = st.dirs.get_mut(&to_parent) {
            d.current.insert(to_name, ino);
        }
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        st.begin(OpKind::Remove)?;
        st.lookup(path)?;
        let (parent, name) = split(path)?;
        if let Some(d) = st.dirs.get_mut(&parent) {
            d.current.remove(&name);
        }
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut st = self.state.lock();
        st.begin(OpKind::SyncDir)?;
        let entries = st.dirs.get_mut(dir).ok_or_else(|| not_found(dir))?;
        entries.durable = entries.current.clone();
        Ok(())
    }
}

/// A handle on a [`SimFs`] file.
#[derive(Debug)]
struct SimFile {
    fs: SimFs,
    ino: u64,
    generation: u64,
}

impl WritableFile for SimFile {
    fn write_at(&self, offset: u64, buf: &[u8]) -> io::Result<usize> {
        let mut st = self.fs.state.lock();
        let fault = st.begin(OpKind::Write)?;
        let inode = st.inode(self.ino, self.generation)?;
        let n = match fault {
            Some(FaultKind::ShortWrite) if buf.len() > 1 => buf.len() / 2,
            _ => buf.len(),
        };
        let op = Pending::Write {
            offset,
            bytes: buf[..n].to_vec(),
        };
        apply(&mut inode.data, &op);
        inode.pending.push(op);
        Ok(n)
    }

    fn sync(&self) -> io::Result<()> {
        let mut st = self.fs.state.lock();
        let generation = self.generation;
        match st.begin(OpKind::Sync) {
            Ok(_) => {
                let inode = st.inode(self.ino, generation)?;
                inode.durable = inode.data.clone();
                inode.pending.clear();
                Ok(())
            }
            Err(e) => {
                // Write-back failed: the dirty data is gone for good.
                if let Ok(inode) = st.inode(self.ino, generation) {
                    inode.data = inode.durable.clone();
                    inode.pending.clear();
                }
                Err(e)
            }
        }
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut st = self.fs.state.lock();
        st.begin(OpKind::SetLen)?;
        let inode = st.inode(self.ino, self.generation)?;
        let op = Pending::SetLen(len);
        apply(&mut inode.data, &op);
        inode.pending.push(op);
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        let mut st = self.fs.state.lock();
        Ok(st.inode(self.ino, self.generation)?.data.len() as u64)
    }
}

impl ReadableFile for SimFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut st = self.fs.state.lock();
        st.begin(OpKind::Read)?;
        let inode = st.inode(self.ino, self.generation)?;
        let start = (offset as usize).min(inode.data.len());
        let n = buf.len().min(inode.data.len() - start);
        buf[..n].copy_from_slice(&inode.data[start..start + n]);
        Ok(n)
    }

    fn len(&self) -> io::Result<u64> {
        let mut st = self.fs.state.lock();
        Ok(st.inode(self.ino, self.generation)?.data.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_all, write_all_at};

    fn read(fs: &SimFs, path: &Path) -> Vec<u8> {
        read_all(fs.open_readable(path).unwrap().as_ref(), u64::MAX).unwrap()
    }

    #[test]
    fn unsynced_directory_entry_vanishes_at_power_loss() {
        let fs = SimFs::new();
        let dir = Path::new("/d");
        fs.create_dir_all(dir).unwrap();
        let f = fs.create(&dir.join("a")).unwrap();
        write_all_at(f.as_ref(), 0, b"data").unwrap();
        f.sync().unwrap();
        fs.crash(1);
        assert!(fs.list_dir(dir).unwrap().is_empty());
        assert!(f.write_at(0, b"x").is_err(), "stale handle");
    }

    #[test]
    fn synced_data_survives_and_unsynced_survives_as_a_prefix() {
        let dir = Path::new("/d");
        let path = dir.join("a");
        for seed in 0..50 {
            let fs = SimFs::new();
            fs.create_dir_all(dir).unwrap();
            let f = fs.create(&path).unwrap();
            write_all_at(f.as_ref(), 0, b"durable.").unwrap();
            f.sync().unwrap();
            fs.sync_dir(dir).unwrap();
            for (i, chunk) in [b"one.", b"two.", b"six."].iter().enumerate() {
                write_all_at(f.as_ref(), 8 + 4 * i as u64, *chunk).unwrap();
            }
            fs.crash(seed);
            let data = read(&fs, &path);
            let full = b"durable.one.two.six.";
            assert!(data.len() >= 8 && data.len() <= full.len(), "{data:?}");
            assert_eq!(&data[..], &full[..data.len()], "seed {seed}");
        }
    }

    #[test]
    fn nth_operation_faults_and_short_writes() {
        let fs = SimFs::new();
        let dir = Path::new("/d");
        fs.create_dir_all(dir).unwrap();
        let f = fs.create(&dir.join("a")).unwrap();
        fs.inject(Fault {
            op: Some(OpKind::Write),
            nth: 0,
            kind: FaultKind::ShortWrite,
        });
        assert_eq!(f.write_at(0, b"abcd").unwrap(), 2);
        write_all_at(f.as_ref(), 2, b"cd").unwrap();
        fs.inject(Fault {
            op: Some(OpKind::Sync),
            nth: 0,
            kind: FaultKind::Enospc,
        });
        let err = f.sync().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC));
        assert!(
            read(&fs, &dir.join("a")).is_empty(),
            "failed sync drops dirty data"
        );
        fs.fail_after(1);
        fs.sync_dir(dir).unwrap();
        assert!(fs.sync_dir(dir).is_err(), "machine off");
        fs.crash(0);
        assert!(fs.list_dir(dir).unwrap().contains(&OsString::from("a")));
    }

    #[test]
    fn rename_and_remove_are_durable_only_after_directory_sync() {
        let fs = SimFs::new();
        let dir = Path::new("/d");
        fs.create_dir_all(dir).unwrap();
        fs.create(&dir.join("a")).unwrap();
        fs.sync_dir(dir).unwrap();
        fs.rename(&dir.join("a"), &dir.join("b")).unwrap();
        fs.crash(0);
        assert_eq!(fs.list_dir(dir).unwrap(), vec![OsString::from("a")]);
        fs.remove_file(&dir.join("a")).unwrap();
        fs.sync_dir(dir).unwrap();
        fs.crash(0);
        assert!(fs.list_dir(dir).unwrap().is_empty());
    }

    #[test]
    fn process_crash_image_keeps_unsynced_data() {
        let fs = SimFs::new();
        let dir = Path::new("/d");
        fs.create_dir_all(dir).unwrap();
        let f = fs.create_preallocated(&dir.join("a"), 16).unwrap();
        write_all_at(f.as_ref(), 4, b"xy").unwrap();
        let image = fs.process_crash_image();
        image.crash(3);
        let data = read(&image, &dir.join("a"));
        assert_eq!(&data[4..6], b"xy");
    }
}
