//! Compaction: merging SSTables in the background, purging what gc_grace
//! allows, under a choice of Cassandra's strategies.
//!
//! Strategies ([`select`] and the modules it dispatches to) are pure
//! functions from a description of the live SSTables ([`SstableInfo`]) to
//! a [`Task`]; the runner merges the task's inputs with the one
//! reconciliation rule, purges ([`purge`]), writes outputs split at a
//! target size or at shard boundaries, and swaps them in atomically
//! through a transaction log.

pub(crate) mod catalog;
pub(crate) mod compactor;
pub mod leveled;
pub(crate) mod live_set;
pub(crate) mod merge_scan;
pub mod options;
pub(crate) mod outputs;
pub mod plan;
pub(crate) mod priority;
pub mod progress;
pub mod purge;
pub(crate) mod runner;
pub mod select;
pub mod size_tiered;
pub mod throttle;
pub mod time_window;
pub(crate) mod txn_log;
pub mod unified;

pub use options::{
    CompactionOptions, LeveledOptions, SizeTieredOptions, Strategy, TimeWindowOptions,
    UnifiedOptions, WindowUnit,
};
pub use plan::{Context, SstableInfo, Task, TaskKind};
pub use progress::CompactionProgress;
