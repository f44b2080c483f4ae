//! Integration tests of the commitlog: round trips, torn tails, corruption,
//! simulated power loss, killed writers, failed I/O, concurrency, discard.

// Test code: unwrapping is how a test says "this must succeed".
#![allow(clippy::unwrap_used)]

mod common;
mod concurrency;
mod corruption;
mod discard;
mod failed_io;
mod kill;
mod power_loss;
mod replay_cases;
mod round_trip;
mod torn_tail;
