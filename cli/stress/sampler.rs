//! What runs beside a workload to watch the engine: table size and
//! compaction activity samples, the process's own write counter, and the
//! wait for a quiet engine.

use crate::store::{DiskFigures, Store};
use std::error::Error;
use std::time::{Duration, Instant};

/// Table bytes on disk, sampled.
#[derive(Debug, Default, Clone, Copy)]
pub struct TableSamples {
    sum: f64,
    count: u64,
    max: u64,
}

impl TableSamples {
    pub fn add(&mut self, bytes: u64) {
        self.sum += bytes as f64;
        self.count += 1;
        self.max = self.max.max(bytes);
    }

    pub fn merge(&mut self, other: TableSamples) {
        self.sum += other.sum;
        self.count += other.count;
        self.max = self.max.max(other.max);
    }

    /// Mean and largest sample over `live` bytes, if any was taken.
    pub fn over(&self, live: f64) -> Option<(f64, f64)> {
        (self.count > 0).then(|| (self.sum / self.count as f64 / live, self.max as f64 / live))
    }
}

/// Bytes this process has caused to be written to storage so far
/// (Linux `/proc/self/io`, counted when pages are dirtied): every file
/// the engine writes, its write-ahead log included.
pub fn process_write_bytes() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Compaction activity during a workload, when the engine tells: the
/// fraction of samples with a compaction running, and the most at once.
pub type Activity = (Option<f64>, Option<u64>);

/// Waits until the engine runs no compaction for a moment (engines that
/// do not tell: returns at once).
pub fn wait_for_compactions(db: &dyn Store) -> Result<(), Box<dyn Error>> {
    let mut quiet_since = Instant::now();
    loop {
        match db.disk()?.compactions_running {
            None => return Ok(()),
            Some(0) if quiet_since.elapsed() >= Duration::from_millis(1500) => return Ok(()),
            Some(0) => {}
            Some(_) => quiet_since = Instant::now(),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `work` while a thread samples every 10 ms whether a compaction
/// runs and how many table bytes are on disk; returns its result, the
/// busy fraction (when the engine tells) with the most compactions seen
/// running at once, and the table-size samples.
pub fn with_compaction_sampler<T>(
    db: &dyn Store,
    work: impl FnOnce() -> Result<T, Box<dyn Error>>,
) -> Result<(T, Activity, TableSamples), Box<dyn Error>> {
    let done = std::sync::atomic::AtomicBool::new(false);
    let (result, busy, seen) = std::thread::scope(|s| {
        let sampler = s.spawn(|| {
            let (mut samples, mut busy, mut known, mut at_once) = (0u64, 0u64, true, 0u64);
            let mut seen = TableSamples::default();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                match db.disk() {
                    Ok(DiskFigures {
                        table_bytes,
                        compactions_running,
                        ..
                    }) => {
                        seen.add(table_bytes);
                        match compactions_running {
                            Some(n) => {
                                samples += 1;
                                busy += u64::from(n > 0);
                                at_once = at_once.max(n);
                            }
                            None => known = false,
                        }
                    }
                    Err(_) => known = false,
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let busy = (known && samples > 0).then(|| busy as f64 / samples as f64);
            ((busy, known.then_some(at_once)), seen)
        });
        let result = work();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let (busy, seen) = sampler
            .join()
            .unwrap_or(((None, None), TableSamples::default()));
        (result, busy, seen)
    });
    Ok((result?, busy, seen))
}
