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

/// Most hash functions any fp chance calls for (Cassandra's table stops well
/// below this).
const MAX_HASH_COUNT: i32 = 64;

/// A bloom filter compatible with Cassandra's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BloomFilter {
    hash_count: u32,
    words: Vec<u64>,
}

impl BloomFilter {
    /// An empty filter of `word_count` 64-bit words using `hash_count`
    /// hashes. Both must be positive.
    pub fn with_shape(hash_count: u32, word_count: usize) -> Self {
        BloomFilter {
            hash_count: hash_count.max(1),
            words: vec![0; word_count.max(1)],
        }
    }

    /// Number of hash functions.
    pub fn hash_count(&self) -> u32 {
        self.hash_count
    }

    /// Number of bits.
    pub fn bit_count(&self) -> u64 {
        self.words.len() as u64 * 64
    }

    fn indexes(&self, key: &[u8]) -> impl Iterator<Item = u64> {
        let (h1, h2) = hash3_x64_128(key, 0);
        let max = self.bit_count() as i64;
        let mut base = h2 as i64;
        (0..self.hash_count).map(move |_| {
            let index = (base % max).unsigned_abs();
            base = base.wrapping_add(h1 as i64);
            index
        })
    }

    /// Adds a partition key.
    pub fn add(&mut self, key: &[u8]) {
        let indexes: Vec<u64> = self.indexes(key).collect();
        for i in indexes {
            self.words[(i / 64) as usize] |= 1 << (i % 64);
        }
    }

    /// Whether the key may have been added (false: certainly not).
    pub fn may_contain(&self, key: &[u8]) -> bool {
        self.indexes(key)
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
        let words = bytes[8..]
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
            words,
        })
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
