//! One byte-rate limit shared by every compaction of a database
//! (Cassandra's `compaction_throughput`, 64 MiB/s by default): compactions
//! borrow disk bandwidth from reads and flushes, so they are paced.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A limit of bytes per second over all the threads that take from it.
///
/// ```
/// use ilion::compaction::throttle::Throttle;
/// let throttle = Throttle::new(0);
/// // 0 is no limit: never waits.
/// let started = std::time::Instant::now();
/// throttle.take(1 << 40);
/// assert!(started.elapsed().as_secs() < 1);
/// ```
#[derive(Debug)]
pub struct Throttle {
    bytes_per_second: AtomicU64,
    /// When the bytes taken so far have been paid for.
    paid_until: Mutex<Option<Instant>>,
}

/// The most a throttle lets pile up while idle: a burst after a pause is
/// not paced for the pause.
const MAX_BURST: Duration = Duration::from_millis(100);

impl Throttle {
    /// A throttle of `bytes_per_second` (0: unlimited).
    pub fn new(bytes_per_second: u64) -> Throttle {
        Throttle {
            bytes_per_second: AtomicU64::new(bytes_per_second),
            paid_until: Mutex::new(None),
        }
    }

    /// Changes the rate (0: unlimited), as `nodetool setcompactionthroughput`.
    pub fn set_rate(&self, bytes_per_second: u64) {
        self.bytes_per_second
            .store(bytes_per_second, Ordering::Relaxed);
    }

    /// The rate in bytes per second (0: unlimited).
    pub fn rate(&self) -> u64 {
        self.bytes_per_second.load(Ordering::Relaxed)
    }

    /// Accounts `bytes` and sleeps as long as the rate needs.
    pub fn take(&self, bytes: u64) {
        let rate = self.rate();
        if rate == 0 {
            return;
        }
        let cost = Duration::from_secs_f64(bytes as f64 / rate as f64);
        let now = Instant::now();
        let wake = {
            let mut paid = self.paid_until.lock();
            let floor = now.checked_sub(MAX_BURST).unwrap_or(now);
            let until = paid.map_or(floor, |p| p.max(floor)) + cost;
            *paid = Some(until);
            until
        };
        if wake > now {
            std::thread::sleep(wake - now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_to_the_rate_across_threads() {
        let throttle = std::sync::Arc::new(Throttle::new(10 << 20));
        let started = Instant::now();
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let t = throttle.clone();
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        t.take(256 << 10);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // 5 MiB at 10 MiB/s: about half a second, less the burst allowance.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(350), "{elapsed:?}");
    }
}
