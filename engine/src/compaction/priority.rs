//! Compaction threads run at a lower CPU priority than writers and
//! flushes: on a machine with few cores, a flush that waits for the CPU
//! holds up writers (its memtable cannot be released), while a compaction
//! that waits only finishes later. Cassandra asks for the same with its
//! compaction threads' minimum Java priority.

/// The nice value compaction threads take (Linux: 0 is the default, 19
/// the lowest priority).
#[cfg(target_os = "linux")]
const COMPACTION_NICENESS: libc::c_int = 10;

/// Lowers the calling thread's CPU priority; threads it starts (an
/// SSTable writer's compression thread) inherit it. Best effort: a
/// refusal leaves the priority as it was.
pub(crate) fn lower_current_thread() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: setpriority takes plain integers and touches no memory
        // of ours; on Linux, PRIO_PROCESS with `who` 0 applies to the
        // calling thread only (the nice value is per thread).
        let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, COMPACTION_NICENESS) };
        if result != 0 {
            log::debug!(
                "could not lower the compaction thread's priority: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}
