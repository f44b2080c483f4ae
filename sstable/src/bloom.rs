//! Cassandra's bloom filter (`Filter.db`).
//!
//! A key's bit indexes come from its Murmur3 hash `(h1, h2)`:
//! index `i` is `|(h2 + i·h1) mod m|` in Java's signed 64-bit arithmetic,
//! for `i` in `0..hash_count`, where `m` is the number of bits. On disk:
//! hash count (i32), word count (i32), then the bits, 64 per word. Versions
//! `na` and later store bit `i` in byte `i / 8` at bit `i % 8`; older versions
//! store each 8-byte word byte-reversed. See `docs/format.md`.

use crate::murmur3::hash3_x64_128;

/// Bloom filter bit layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterLayout {
    /// `na` and later: bit `i` is byte `i >> 3`, bit `i & 7`.
    Current,
    /// `ma` to `me`: the same, with every 8-byte word byte-reversed.
    Legacy,
}

/// Why a `Filter.db` could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// Fewer bytes than the header says.
    Truncated {
        /// Bytes present.
        len: usize,
        /// Bytes the header announces.
        expected: u64,
    },
    /// A hash count or word count no writer produces.
    Implausible {
        /// The hash count read.
        hash_count: i32,
        /// The word count read.
        word_count: i32,
    },
    /// Bytes after the bits.
    TrailingBytes(usize),
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilterError::Truncated { len, expected } => {
                write!(
                    f,
                    "bloom filter of {len} bytes, header announces {expected}"
                )
            }
            FilterError::Implausible {
                hash_count,
                word_count,
            } => write!(
                f,
                "bloom filter header with {hash_count} hashes and {word_count} words"
            ),
            FilterError::TrailingBytes(n) => write!(f, "{n} bytes after the bloom filter bits"),
        }
    }
}

impl std::error::Error for FilterError {}

/// False-positive rates by buckets (bits) per element (row) and number of
/// hashes (column), the table Cassandra sizes its filters from
/// (`BloomCalculations`, after "Bloom Filters - the math", Cao).
const PROBS: [&[f64]; 21] = [
    &[1.0],
    &[1.0, 1.0],
    &[1.0, 0.393, 0.4],
    &[1.0, 0.283, 0.237, 0.253],
    &[1.0, 0.221, 0.155, 0.147, 0.16],
    &[1.0, 0.181, 0.109, 0.092, 0.092, 0.101],
    &[1.0, 0.154, 0.0804, 0.0609, 0.0561, 0.0578, 0.0638],
    &[1.0, 0.133, 0.0618, 0.0423, 0.0359, 0.0347, 0.0364],
    &[1.0, 0.118, 0.0489, 0.0306, 0.024, 0.0217, 0.0216, 0.0229],
    &[
        1.0, 0.105, 0.0397, 0.0228, 0.0166, 0.0141, 0.0133, 0.0135, 0.0145,
    ],
    &[
        1.0, 0.0952, 0.0329, 0.0174, 0.0118, 0.00943, 0.00844, 0.00819, 0.00846,
    ],
    &[
        1.0, 0.0869, 0.0276, 0.0136, 0.00864, 0.0065, 0.00552, 0.00513, 0.00509,
    ],
    &[
        1.0, 0.08, 0.0236, 0.0108, 0.00646, 0.00459, 0.00371, 0.00329, 0.00314,
    ],
    &[
        1.0, 0.074, 0.0203, 0.00875, 0.00492, 0.00332, 0.00255, 0.00217, 0.00199, 0.00194,
    ],
    &[
        1.0, 0.0689, 0.0177, 0.00718, 0.00381, 0.00244, 0.00179, 0.00146, 0.00129, 0.00121, 0.0012,
    ],
    &[
        1.0, 0.0645, 0.0156, 0.00596, 0.003, 0.00183, 0.00128, 0.001, 8.52e-4, 7.75e-4, 7.44e-4,
    ],
    &[
        1.0, 0.0606, 0.0138, 0.005, 0.00239, 0.00139, 9.35e-4, 7.02e-4, 5.74e-4, 5.05e-4, 4.7e-4,
        4.59e-4,
    ],
    &[
        1.0, 0.0571, 0.0123, 0.00423, 0.00193, 0.00107, 6.92e-4, 4.99e-4, 3.94e-4, 3.35e-4,
        3.02e-4, 2.87e-4, 2.84e-4,
    ],
    &[
        1.0, 0.054, 0.0111, 0.00362, 0.00158, 8.39e-4, 5.19e-4, 3.6e-4, 2.75e-4, 2.26e-4, 1.98e-4,
        1.83e-4, 1.76e-4,
    ],
    &[
        1.0, 0.0513, 0.00998, 0.00312, 0.0013, 6.63e-4, 3.94e-4, 2.64e-4, 1.94e-4, 1.55e-4,
        1.32e-4, 1.18e-4, 1.11e-4, 1.09e-4,
    ],
    &[
        1.0, 0.0488, 0.00906, 0.0027, 0.00108, 5.3e-4, 3.03e-4, 1.96e-4, 1.4e-4, 1.08e-4, 8.89e-5,
        7.77e-5, 7.12e-5, 6.79e-5, 6.71e-5,
    ],
];

/// Bits added to every filter beyond `keys × buckets per element`.
const EXCESS_BITS: u64 = 20;

/// The number of hashes with the lowest false-positive rate for a row of
/// [`PROBS`] (the first, on ties; at least 1).
fn optimal_hashes(buckets: usize) -> usize {
    let row = PROBS[buckets];
    let mut best = 0;
    for (k, p) in row.iter().enumerate() {
        if *p < row[best] {
            best = k;
        }
    }
    best.max(1)
}

/// Most hash functions any fp chance calls for (Cassandra's table stops well
/// below this).
const MAX_HASH_COUNT: i32 = 64;

/// A bloom filter compatible with Cassandra's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BloomFilter {
    hash_count: u32,
    words: Vec<u64>,
    bits: FastMod,
}

/// `a % d` for a fixed `d` by multiplications (Lemire, Kaser and Kurz,
/// "Faster remainder by direct computation", 2019): a filter probe's
/// 64-bit division costs more than the rest of a rejected lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FastMod {
    divisor: u64,
    /// ⌈2^128 / divisor⌉.
    inverse: u128,
}

impl FastMod {
    /// For a divisor of at least 2.
    fn new(divisor: u64) -> Self {
        FastMod {
            divisor,
            inverse: (u128::MAX / u128::from(divisor)).wrapping_add(1),
        }
    }

    fn remainder(&self, a: u64) -> u64 {
        let low = self.inverse.wrapping_mul(u128::from(a));
        let d = u128::from(self.divisor);
        // The top 64 bits of the 192-bit product `low × d`.
        let bottom = (u128::from(low as u64) * d) >> 64;
        let top = (low >> 64) * d;
        ((bottom + top) >> 64) as u64
    }
}

impl BloomFilter {
    /// An empty filter of `word_count` 64-bit words using `hash_count`
    /// hashes. Both must be positive.
    pub fn with_shape(hash_count: u32, word_count: usize) -> Self {
        let words = word_count.max(1);
        BloomFilter {
            hash_count: hash_count.max(1),
            words: vec![0; words],
            bits: FastMod::new(words as u64 * 64),
        }
    }

    /// A filter that lets every key through: what Cassandra uses when an
    /// SSTable has no Filter.db (written with `bloom_filter_fp_chance`
    /// 1.0, or by a tool that left it out). Lookups then rely on the index
    /// alone.
    pub fn always_present() -> Self {
        let mut filter = Self::with_shape(1, 1);
        filter.words[0] = u64::MAX;
        filter
    }

    /// An empty filter sized as Cassandra sizes one for `expected_keys` keys
    /// and a false-positive chance of `fp_chance`: the fewest buckets per
    /// key whose best hash count meets the chance, then the fewest hashes
    /// that still meet it; `keys × buckets + 20` bits, in whole words. A
    /// chance of 0.393 or more gets 2 hashes and 1 bucket per key, as
    /// Cassandra's table gives.
    ///
    /// # Errors
    /// [`FilterError::Implausible`] for a chance below the table's best
    /// (6.71e-5).
    pub fn for_keys(expected_keys: u64, fp_chance: f64) -> Result<Self, FilterError> {
        let keys = expected_keys.max(1);
        let max_buckets = PROBS.len() - 1;
        let (hashes, buckets) = if fp_chance >= PROBS[2][1] {
            (2, optimal_hashes(2))
        } else if fp_chance < PROBS[max_buckets][PROBS[max_buckets].len() - 1] {
            return Err(FilterError::Implausible {
                hash_count: 0,
                word_count: 0,
            });
        } else {
            let mut buckets = 2;
            let mut k = optimal_hashes(buckets);
            while PROBS[buckets][k] > fp_chance {
                buckets += 1;
                k = optimal_hashes(buckets);
            }
            while PROBS[buckets][k - 1] <= fp_chance {
                k -= 1;
            }
            (k, buckets)
        };
        let bits = keys
            .saturating_mul(buckets as u64)
            .saturating_add(EXCESS_BITS);
        let words = usize::try_from(bits.div_ceil(64)).map_err(|_| FilterError::Implausible {
            hash_count: hashes as i32,
            word_count: i32::MAX,
        })?;
        Ok(BloomFilter::with_shape(hashes as u32, words))
    }

    /// Number of hash functions.
    pub fn hash_count(&self) -> u32 {
        self.hash_count
    }

    /// Number of bits.
    pub fn bit_count(&self) -> u64 {
        self.words.len() as u64 * 64
    }

    /// The hash a filter probes with: Cassandra's Murmur3 x64 128 of the
    /// key with seed 0, whose first half is also the key's Murmur3 token,
    /// so one computation serves both.
    pub fn hash(key: &[u8]) -> (u64, u64) {
        hash3_x64_128(key, 0)
    }

    fn indexes(&self, (h1, h2): (u64, u64)) -> impl Iterator<Item = u64> {
        let mut base = h2 as i64;
        let bits = self.bits;
        (0..self.hash_count).map(move |_| {
            // Cassandra's `abs(base % bits)`: the remainder of |base|.
            let index = bits.remainder(base.unsigned_abs());
            base = base.wrapping_add(h1 as i64);
            index
        })
    }

    /// Adds a partition key.
    pub fn add(&mut self, key: &[u8]) {
        self.add_hash(Self::hash(key));
    }

    /// Adds a key by its [`BloomFilter::hash`].
    pub fn add_hash(&mut self, hash: (u64, u64)) {
        let mut base = hash.1 as i64;
        for _ in 0..self.hash_count {
            let i = self.bits.remainder(base.unsigned_abs());
            self.words[(i / 64) as usize] |= 1 << (i % 64);
            base = base.wrapping_add(hash.0 as i64);
        }
    }

    /// Whether the key may have been added (false: certainly not).
    pub fn may_contain(&self, key: &[u8]) -> bool {
        self.may_contain_hash(Self::hash(key))
    }

    /// [`BloomFilter::may_contain`] by the key's [`BloomFilter::hash`].
    pub fn may_contain_hash(&self, hash: (u64, u64)) -> bool {
        self.indexes(hash)
            .all(|i| self.words[(i / 64) as usize] & (1 << (i % 64)) != 0)
    }

    /// The `Filter.db` bytes.
    pub fn serialize(&self, layout: FilterLayout) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.words.len() * 8);
        out.extend_from_slice(&(self.hash_count as i32).to_be_bytes());
        out.extend_from_slice(&(self.words.len() as i32).to_be_bytes());
        for word in &self.words {
            match layout {
                FilterLayout::Current => out.extend_from_slice(&word.to_le_bytes()),
                FilterLayout::Legacy => out.extend_from_slice(&word.to_be_bytes()),
            }
        }
        out
    }

    /// Reads `Filter.db` bytes, checking every count against what is there
    /// before allocating.
    ///
    /// # Errors
    /// A header no writer produces, fewer or more bytes than it announces.
    pub fn deserialize(bytes: &[u8], layout: FilterLayout) -> Result<Self, FilterError> {
        let header = bytes.get(..8).ok_or(FilterError::Truncated {
            len: bytes.len(),
            expected: 8,
        })?;
        let hash_count = i32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let word_count = i32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        if !(1..=MAX_HASH_COUNT).contains(&hash_count) || word_count < 1 {
            return Err(FilterError::Implausible {
                hash_count,
                word_count,
            });
        }
        let expected = 8 + u64::from(word_count.unsigned_abs()) * 8;
        if (bytes.len() as u64) < expected {
            return Err(FilterError::Truncated {
                len: bytes.len(),
                expected,
            });
        }
        if bytes.len() as u64 > expected {
            return Err(FilterError::TrailingBytes(bytes.len() - expected as usize));
        }
        let words: Vec<u64> = bytes[8..]
            .chunks_exact(8)
            .map(|c| {
                let mut w = [0u8; 8];
                w.copy_from_slice(c);
                match layout {
                    FilterLayout::Current => u64::from_le_bytes(w),
                    FilterLayout::Legacy => u64::from_be_bytes(w),
                }
            })
            .collect();
        Ok(BloomFilter {
            hash_count: hash_count.unsigned_abs(),
            bits: FastMod::new(words.len() as u64 * 64),
            words,
        })
    }
}

#[cfg(test)]
mod fast_mod_tests {
    use super::FastMod;
    use rand::{Rng, SeedableRng};

    #[test]
    fn equals_the_remainder_operator() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let divisors = [
            64u64,
            128,
            192,
            1_250_048,
            9_585_088,
            (1 << 37) * 64,
            u64::MAX,
        ];
        let edges = [0u64, 1, 63, 64, 65, 1 << 63, u64::MAX, u64::MAX - 1];
        for &d in &divisors {
            let m = FastMod::new(d);
            for &a in &edges {
                assert_eq!(m.remainder(a), a % d, "{a} % {d}");
            }
            for _ in 0..100_000 {
                let a: u64 = rng.random();
                assert_eq!(m.remainder(a), a % d, "{a} % {d}");
            }
        }
        for _ in 0..10_000 {
            let d = rng.random_range(2..u64::MAX);
            let a: u64 = rng.random();
            assert_eq!(FastMod::new(d).remainder(a), a % d, "{a} % {d}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_keys_are_found_and_layouts_round_trip() {
        let mut filter = BloomFilter::with_shape(5, 4);
        for key in [&b"a"[..], b"bb", &[0xff, 0x80, 0x7f]] {
            filter.add(key);
            assert!(filter.may_contain(key));
        }
        for layout in [FilterLayout::Current, FilterLayout::Legacy] {
            let bytes = filter.serialize(layout);
            assert_eq!(BloomFilter::deserialize(&bytes, layout).unwrap(), filter);
        }
    }

    #[test]
    fn sizing_follows_cassandras_table() {
        let shape = |keys, fp| {
            let f = BloomFilter::for_keys(keys, fp).unwrap();
            (f.hash_count(), f.bit_count() / 64)
        };
        // The legacy test files: 5 keys at 0.01 give 5 hashes and 2 words.
        assert_eq!(shape(5, 0.01), (5, 2));
        // 10 buckets per key at 0.01: 1000 × 10 + 20 bits.
        assert_eq!(shape(1000, 0.01), (5, 157));
        assert_eq!(shape(5, 0.1), (3, 1));
        assert_eq!(shape(5, 0.5), (2, 1));
        assert!(BloomFilter::for_keys(5, 1e-6).is_err());
    }

    #[test]
    fn damaged_headers_are_refused_before_allocating() {
        let good = BloomFilter::with_shape(3, 2).serialize(FilterLayout::Current);
        assert!(matches!(
            BloomFilter::deserialize(&good[..20], FilterLayout::Current),
            Err(FilterError::Truncated { .. })
        ));
        let mut huge = good.clone();
        huge[4..8].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(matches!(
            BloomFilter::deserialize(&huge, FilterLayout::Current),
            Err(FilterError::Truncated { .. })
        ));
        let mut zero_hashes = good.clone();
        zero_hashes[0..4].copy_from_slice(&0i32.to_be_bytes());
        assert!(matches!(
            BloomFilter::deserialize(&zero_hashes, FilterLayout::Current),
            Err(FilterError::Implausible { .. })
        ));
        let mut longer = good;
        longer.push(0);
        assert_eq!(
            BloomFilter::deserialize(&longer, FilterLayout::Current),
            Err(FilterError::TrailingBytes(1))
        );
    }
}
