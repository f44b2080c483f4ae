//! The workloads `ilion stress` runs, and the keys and values they use.

use clap::ValueEnum;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A workload: db_bench's with db_bench's meaning, YCSB's core workloads,
/// a Cassandra-style time series, and compaction steps.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Keys 0..num in order.
    Fillseq,
    /// num writes of keys drawn with repetition from 0..num.
    Fillrandom,
    /// As fillrandom, on what the earlier workloads wrote.
    Overwrite,
    /// num reads of keys drawn from 0..num.
    Readrandom,
    /// num reads of keys that are not there (db_bench appends a '.' to
    /// the key).
    Readmissing,
    /// The table in its order (token order for Ilion), by pages of 1,000;
    /// each entry counts as an operation.
    Readseq,
    /// As readseq, backwards.
    Readreverse,
    /// num seeks to a random key, each followed by reading the next 10
    /// pairs (db_bench's seekrandom with --seek_nexts=10).
    Seekrandom,
    /// num deletes of keys drawn from 0..num.
    Deleterandom,
    /// readrandom by the measured threads while one more thread overwrites
    /// flat out (db_bench's readwhilewriting).
    Readwhilewriting,
    /// YCSB's load phase: num records of 10 fields × 100 bytes under
    /// hashed keys. The run workloads below load first when nothing is
    /// loaded yet.
    YcsbLoad,
    /// YCSB A: 50 % reads, 50 % updates of one field; scrambled zipfian.
    YcsbA,
    /// YCSB B: 95 % reads, 5 % updates; scrambled zipfian.
    YcsbB,
    /// YCSB C: reads only; scrambled zipfian.
    YcsbC,
    /// YCSB D: 95 % reads, 5 % inserts; the latest records hottest.
    YcsbD,
    /// YCSB E: 95 % scans of 1–100 records, 5 % inserts; scrambled
    /// zipfian start keys.
    YcsbE,
    /// YCSB F: 50 % reads, 50 % read-modify-writes; scrambled zipfian.
    YcsbF,
    /// Time series in Cassandra's model (partition = sensor and day,
    /// clustering = time, newest first): half the operations append the
    /// next reading of a random sensor (one every 5 minutes of simulated
    /// time), half read the latest 10 readings of a random day of a
    /// random sensor.
    Timeseries,
    /// Waits until no compaction runs (so that the next workload measures
    /// a quiet engine).
    Waitcompactions,
    /// A major compaction; reports the space amplification of the state
    /// before it (table bytes before ÷ after).
    Compact,
    /// readrandom while a major compaction runs beside it (its busy
    /// percentage shows how much of the reads overlapped it).
    Readwhilecompacting,
}

impl Workload {
    /// The name on the command line and in results.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map_or_else(|| format!("{self:?}"), |v| v.get_name().to_string())
    }

    /// The YCSB core workload it runs, if any.
    pub fn ycsb(self) -> Option<crate::ycsb::CoreWorkload> {
        use crate::ycsb::CoreWorkload;
        match self {
            Workload::YcsbA => Some(CoreWorkload::A),
            Workload::YcsbB => Some(CoreWorkload::B),
            Workload::YcsbC => Some(CoreWorkload::C),
            Workload::YcsbD => Some(CoreWorkload::D),
            Workload::YcsbE => Some(CoreWorkload::E),
            Workload::YcsbF => Some(CoreWorkload::F),
            _ => None,
        }
    }
}

/// Values as db_bench makes them: slices of a buffer built from pieces
/// that compress to half their size (`--compression_ratio 0.5`), so that
/// LZ4 and the amplification figures see realistic data.
pub fn value_source(seed: u64) -> Vec<u8> {
    const PIECE: usize = 100;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut buffer = Vec::with_capacity(1 << 20);
    while buffer.len() < 1 << 20 {
        let raw: Vec<u8> = (0..PIECE / 2)
            .map(|_| rng.random_range(b' '..=b'~'))
            .collect();
        for i in 0..PIECE {
            buffer.push(raw[i % raw.len()]);
        }
    }
    buffer
}

/// The `i`-th value of `size` bytes from `source`.
pub fn value_at(source: &[u8], i: u64, size: usize) -> &[u8] {
    let span = source.len().saturating_sub(size).max(1);
    let start = (i.wrapping_mul(size as u64 + 7) % span as u64) as usize;
    &source[start..(start + size).min(source.len())]
}

/// db_bench's keys: the number in decimal, zero-padded to the key size.
pub fn key(i: u64, size: usize) -> Vec<u8> {
    let digits = format!("{i:0size$}");
    let bytes = digits.as_bytes();
    bytes[bytes.len().saturating_sub(size)..].to_vec()
}

/// A key no fill wrote: db_bench's readmissing appends a '.'.
pub fn missing_key(i: u64, size: usize) -> Vec<u8> {
    let mut k = key(i, size);
    k.push(b'.');
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_padded_numbers_and_missing_keys_differ() {
        assert_eq!(key(42, 6), b"000042");
        assert_eq!(key(1234567, 4), b"4567");
        assert_ne!(missing_key(42, 6), key(42, 6));
        assert!(missing_key(42, 6).starts_with(&key(42, 6)));
    }

    #[test]
    fn names_are_the_command_line_names() {
        assert_eq!(Workload::YcsbA.name(), "ycsb-a");
        assert_eq!(Workload::Readwhilewriting.name(), "readwhilewriting");
    }
}
