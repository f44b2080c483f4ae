//! Running a compaction on a table: choosing the task under the table's
//! compaction lock, merging and purging the inputs into new SSTables, and
//! swapping them in through a transaction log.

use super::plan::{Task, TaskKind};
use super::progress::ProgressBoard;
use super::select;
use super::throttle::Throttle;
use super::txn_log::TxnLog;
use crate::error::{Error, Result};
use crate::table::Table;
use ilion_sstable::descriptor::Descriptor;
use ilion_sstable::reader::SstableReader;
use ilion_vfs::FileSystem;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What a compaction needs from the database.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    pub(crate) fs: &'a Arc<dyn FileSystem>,
    pub(crate) host_id: [u8; 16],
    pub(crate) throttle: &'a Throttle,
    pub(crate) stop: &'a AtomicBool,
    pub(crate) board: &'a ProgressBoard,
}

/// A chosen task; its inputs are marked as compacting until it drops.
#[derive(Debug)]
pub(crate) struct Job<'t> {
    table: &'t Table,
    pub(crate) task: Task,
}

impl Drop for Job<'_> {
    fn drop(&mut self) {
        let mut compacting = self.table.compacting.lock();
        for id in &self.task.inputs {
            compacting.remove(id);
        }
    }
}

/// Counters of a table's compactions, for stats.
#[derive(Debug, Default)]
pub(crate) struct CompactionCounters {
    pub(crate) completed: AtomicU64,
    pub(crate) bytes_read: AtomicU64,
    pub(crate) bytes_written: AtomicU64,
    pub(crate) bytes_flushed: AtomicU64,
    pub(crate) expired_dropped: AtomicU64,
    pub(crate) tombstone_compactions: AtomicU64,
    pub(crate) stalls: AtomicU64,
    pub(crate) failures: AtomicU64,
    /// Leveled compactions after which two SSTables of one level ≥ 1
    /// overlapped (the invariant is checked after every compaction).
    pub(crate) level_overlaps: AtomicU64,
}

impl Table {
    /// Chooses a background task, if the table needs one, and marks its
    /// inputs as compacting.
    pub(crate) fn pick_background_job(&self) -> Option<Job<'_>> {
        let options = self.compaction.read().clone();
        if !options.enabled || self.major_running.load(Ordering::Acquire) {
            return None;
        }
        let ctx = self.compaction_context();
        // Memtables before SSTables, the order a flush moves data in: data
        // flushed meanwhile is seen in one place or the other.
        let memtables_min = self.memtables_min_timestamp();
        let mut compacting = self.compacting.lock();
        let infos = self.sstable_infos(&ctx, &compacting);
        let task = select::expired_task(&infos, &ctx, memtables_min)
            .or_else(|| select::next_task(&options, &infos, &ctx))?;
        Some(self.hold(&mut compacting, task))
    }

    /// Marks `task`'s inputs as compacting (under the `compacting` lock
    /// the caller holds) until the returned job drops.
    fn hold<'t>(&'t self, compacting: &mut HashSet<u64>, task: Task) -> Job<'t> {
        compacting.extend(task.inputs.iter().copied());
        Job { table: self, task }
    }

    /// A major compaction's jobs: every live SSTable, once no other
    /// compaction of the table runs. Background compactions of the table
    /// wait until `major_running` is cleared.
    pub(crate) fn major_jobs(&self) -> Vec<Job<'_>> {
        let options = self.compaction.read().clone();
        let ctx = self.compaction_context();
        let mut compacting = self.compacting.lock();
        let infos = self.sstable_infos(&ctx, &compacting);
        select::major_tasks(&options, &infos, &ctx)
            .into_iter()
            .map(|task| self.hold(&mut compacting, task))
            .collect()
    }

    /// Runs `job`: writes its outputs, swaps them in, deletes the inputs.
    pub(crate) fn run_job(&self, job: &Job<'_>, env: &Env<'_>) -> Result<()> {
        let wanted: HashSet<u64> = job.task.inputs.iter().copied().collect();
        let inputs: Vec<Arc<SstableReader>> = self
            .sstables
            .read()
            .iter()
            .filter(|s| wanted.contains(&Self::generation(s)))
            .cloned()
            .collect();
        if inputs.len() != wanted.len() {
            return Err(Error::Invalid(format!(
                "compaction of {}.{}: an input SSTable is no longer live",
                self.definition.keyspace, self.definition.name
            )));
        }
        let version = self.definition.options.version;
        let mut txn = TxnLog::create(
            env.fs.clone(),
            &self.directory,
            version.letters(),
            "compaction",
        )?;
        let started = Instant::now();
        // The outputs are opened before the commit: after it, nothing may
        // fail between the log and the live set.
        let readers = match self.write_and_open(job, &inputs, &mut txn, env) {
            Ok(readers) => readers,
            Err(e) => {
                if let Err(abort) = txn.abort() {
                    log::error!(
                        "aborting a compaction of {}: {abort}",
                        self.directory.display()
                    );
                }
                return Err(e);
            }
        };
        let removed: Vec<Descriptor> = inputs.iter().map(|s| s.descriptor().clone()).collect();
        let committed = txn.commit(&removed)?;
        let written: u64 = readers.iter().map(|r| r.disk_bytes()).sum();
        let read: u64 = inputs.iter().map(|r| r.disk_bytes()).sum();
        {
            let mut sstables = self.sstables.write();
            sstables.retain(|s| !wanted.contains(&Self::generation(s)));
            let mut joined = self.joined.lock();
            for id in &wanted {
                joined.remove(id);
            }
            for reader in &readers {
                let newest = reader.statistics().stats.max_timestamp;
                let at = sstables.partition_point(|s| s.statistics().stats.max_timestamp > newest);
                joined.insert(Self::generation(reader), Instant::now());
                sstables.insert(at, reader.clone());
            }
        }
        let counters = &self.counters;
        counters.completed.fetch_add(1, Ordering::Relaxed);
        counters.bytes_read.fetch_add(read, Ordering::Relaxed);
        counters.bytes_written.fetch_add(written, Ordering::Relaxed);
        match job.task.kind {
            TaskKind::Merge => {}
            TaskKind::Tombstone => {
                counters
                    .tombstone_compactions
                    .fetch_add(1, Ordering::Relaxed);
            }
            TaskKind::DropExpired => {
                counters
                    .expired_dropped
                    .fetch_add(inputs.len() as u64, Ordering::Relaxed);
            }
        }
        self.refresh_stall_level();
        self.check_levels_after(&job.task);
        log::info!(
            "compacted {}.{} ({}): {} SSTables, {} bytes -> {} SSTables, {} bytes in {:?}",
            self.definition.keyspace,
            self.definition.name,
            job.task.reason,
            inputs.len(),
            read,
            readers.len(),
            written,
            started.elapsed()
        );
        drop(inputs);
        committed.finish()
    }

    /// The job's outputs, written and opened (none when it drops its
    /// inputs unread).
    fn write_and_open(
        &self,
        job: &Job<'_>,
        inputs: &[Arc<SstableReader>],
        txn: &mut TxnLog,
        env: &Env<'_>,
    ) -> Result<Vec<Arc<SstableReader>>> {
        if job.task.kind == TaskKind::DropExpired {
            return Ok(Vec::new());
        }
        self.write_outputs(&job.task, inputs, txn, env)?
            .iter()
            .map(|path| {
                Ok(Arc::new(SstableReader::open_in(
                    env.fs.clone(),
                    path,
                    self.caches.clone(),
                )?))
            })
            .collect()
    }

    /// Checks the leveled invariant (no overlap within a level ≥ 1) after
    /// a compaction of a leveled table; a breach is logged and counted.
    fn check_levels_after(&self, task: &Task) {
        if !matches!(self.compaction.read().strategy, super::Strategy::Leveled(_)) {
            return;
        }
        let ctx = self.compaction_context();
        let infos = self.sstable_infos(&ctx, &HashSet::new());
        if let Err(breach) = super::leveled::check_levels(&infos) {
            self.counters.level_overlaps.fetch_add(1, Ordering::Relaxed);
            log::error!(
                "{}.{} after {}: {breach}",
                self.definition.keyspace,
                self.definition.name,
                task.reason
            );
        }
    }

    /// Keeps background compactions away from the table (until
    /// `major_running` is cleared) and waits for the running ones.
    ///
    /// # Errors
    /// [`Error::Cancelled`] when `stop` is raised meanwhile.
    pub(crate) fn quiesce_compactions(&self, stop: &AtomicBool) -> Result<()> {
        self.major_running.store(true, Ordering::Release);
        while !self.compacting.lock().is_empty() {
            if stop.load(Ordering::Relaxed) {
                return Err(Error::Cancelled);
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        Ok(())
    }

    /// A major compaction (`nodetool compact`): waits for the table's
    /// running compactions, keeps background ones away, then compacts
    /// every live SSTable as the strategy's major tasks say.
    pub(crate) fn compact_major(&self, env: &Env<'_>) -> Result<()> {
        let _one_at_a_time = self.major_lock.lock();
        struct Clear<'a>(&'a AtomicBool);
        impl Drop for Clear<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Release);
            }
        }
        let _clear = Clear(&self.major_running);
        self.quiesce_compactions(env.stop)?;
        for job in &self.major_jobs() {
            self.run_job(job, env)?;
        }
        Ok(())
    }

    /// Compacts exactly the SSTables `generations` into one output at
    /// `output_level`, once none of them is being compacted.
    pub(crate) fn compact_user_defined(
        &self,
        generations: &[u64],
        output_level: u32,
        env: &Env<'_>,
    ) -> Result<()> {
        if generations.is_empty() {
            return Ok(());
        }
        let job = loop {
            {
                let mut compacting = self.compacting.lock();
                let live: HashSet<u64> = self
                    .sstables
                    .read()
                    .iter()
                    .map(|s| Self::generation(s))
                    .collect();
                if let Some(missing) = generations.iter().find(|g| !live.contains(g)) {
                    return Err(Error::Invalid(format!(
                        "SSTable generation {missing} is not live in {}.{}",
                        self.definition.keyspace, self.definition.name
                    )));
                }
                if generations.iter().all(|g| !compacting.contains(g)) {
                    let task = Task {
                        kind: TaskKind::Merge,
                        inputs: generations.to_vec(),
                        output_level,
                        max_output_bytes: u64::MAX,
                        shard_boundaries: Vec::new(),
                        reason: "user-defined".into(),
                    };
                    break self.hold(&mut compacting, task);
                }
            }
            if env.stop.load(Ordering::Relaxed) {
                return Err(Error::Cancelled);
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        self.run_job(&job, env)
    }
}
