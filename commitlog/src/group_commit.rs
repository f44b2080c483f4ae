//! Group commit: appenders waiting for a sync share one.
//!
//! Appenders sleep on one futex word, `round`, which is bumped when a sync
//! round ends; the thread that ran the round wakes every sleeper with a
//! single `wake_all`. Each sleeper then checks on its own whether the
//! durable sequence number covers its entry, so waking sixteen appenders
//! costs one system call instead of a chain of mutex handoffs. In Batch mode
//! an appender that finds no round running claims the next one and runs it
//! itself (the *leader*); others sleep until it ends.

use crate::error::{Error, Result};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The longest a leader waits for followers before starting a round.
const MAX_GATHER: Duration = Duration::from_micros(500);

/// Coordination between appenders and sync rounds.
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    /// The futex word: bumped when a round ends or the log fails.
    round: AtomicU32,
    /// Sequence number of the last entry a completed round made durable.
    synced: AtomicU64,
    /// A round is claimed (being gathered or running).
    claimed: AtomicBool,
    failed: AtomicBool,
    failure: Mutex<Option<String>>,
    /// Threads inside `append`.
    in_append: AtomicUsize,
    /// Threads that went to sleep since the last round ended: they wait
    /// for the next one.
    asleep_for_next: AtomicUsize,
    /// How long the last round took, in nanoseconds.
    last_round_nanos: AtomicU64,
}

/// Counts a thread inside `append` for as long as it lives.
pub(crate) struct InAppend<'a>(&'a AtomicUsize);

impl Drop for InAppend<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl GroupCommit {
    /// Marks the calling thread as inside `append` until the guard drops.
    pub fn enter_append(&self) -> InAppend<'_> {
        self.in_append.fetch_add(1, Ordering::Relaxed);
        InAppend(&self.in_append)
    }

    pub fn is_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// The error every call returns once the log has failed.
    pub fn stopped_error(&self) -> Error {
        Error::Stopped {
            cause: self.failure.lock().clone().unwrap_or_default(),
        }
    }

    /// Records the first failure and wakes everyone: nothing more becomes
    /// durable after it.
    pub fn fail(&self, cause: String) {
        {
            let mut failure = self.failure.lock();
            if failure.is_none() {
                *failure = Some(cause);
            }
        }
        self.failed.store(true, Ordering::Release);
        self.end_round();
    }

    /// Waits until entry `seq` is durable. With `lead`, a caller that finds
    /// no round running runs one (`round` returns the sequence number it
    /// made durable); without, it waits for whoever runs rounds.
    pub fn wait_until(&self, seq: u64, lead: bool, round: impl Fn() -> Result<u64>) -> Result<()> {
        loop {
            // Read the round first: if it ends after the checks below, the
            // wait returns at once instead of missing the wake-up.
            let current = self.round.load(Ordering::Acquire);
            if self.synced.load(Ordering::Acquire) >= seq {
                return Ok(());
            }
            if self.is_failed() {
                return Err(self.stopped_error());
            }
            if lead && self.try_claim() {
                self.lead(&round, true)?;
                continue;
            }
            self.asleep_for_next.fetch_add(1, Ordering::Relaxed);
            atomic_wait::wait(&self.round, current);
        }
    }

    /// Runs a round now, after any round in progress.
    pub fn run_now(&self, round: impl Fn() -> Result<u64>) -> Result<()> {
        loop {
            let current = self.round.load(Ordering::Acquire);
            if self.is_failed() {
                return Err(self.stopped_error());
            }
            if self.try_claim() {
                return self.lead(&round, false);
            }
            atomic_wait::wait(&self.round, current);
        }
    }

    fn try_claim(&self) -> bool {
        self.claimed
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Runs a claimed round and publishes its outcome.
    fn lead(&self, round: &impl Fn() -> Result<u64>, gather: bool) -> Result<()> {
        if gather {
            self.gather_followers();
        }
        let started = Instant::now();
        let outcome = round();
        self.last_round_nanos
            .store(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        let result = match outcome {
            Ok(synced) => {
                self.synced.fetch_max(synced, Ordering::Release);
                Ok(())
            }
            Err(e) => {
                let mut failure = self.failure.lock();
                if failure.is_none() {
                    *failure = Some(e.to_string());
                }
                self.failed.store(true, Ordering::Release);
                Err(e)
            }
        };
        self.claimed.store(false, Ordering::Release);
        self.end_round();
        result
    }

    fn end_round(&self) {
        self.asleep_for_next.store(0, Ordering::Relaxed);
        self.round.fetch_add(1, Ordering::Release);
        atomic_wait::wake_all(&self.round);
    }

    /// Gives appenders that are about to add entries a moment to do so
    /// before a leader starts its round, so that one fsync covers them too:
    /// on a machine with few cores, the appenders that the previous round
    /// woke otherwise miss every other round. Waits while some thread inside
    /// `append` is neither the leader nor asleep waiting for this round, for
    /// at most the last round's duration (and [`MAX_GATHER`]): the leader's
    /// group waits at most one more round, where a follower that misses the
    /// round would wait a whole extra one. Costs nothing when the leader
    /// appends alone. Measured on 2 cores, 16 appenders: 15.5 appends per
    /// fsync with it, 8.3 without.
    fn gather_followers(&self) {
        if self.in_append.load(Ordering::Relaxed) <= 1 {
            return;
        }
        let budget =
            Duration::from_nanos(self.last_round_nanos.load(Ordering::Relaxed)).min(MAX_GATHER);
        let started = Instant::now();
        while self.in_append.load(Ordering::Relaxed)
            > self.asleep_for_next.load(Ordering::Relaxed) + 1
            && started.elapsed() < budget
        {
            std::thread::yield_now();
        }
    }
}
