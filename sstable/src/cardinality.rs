//! The partition-key cardinality sketch of Statistics.db's compaction
//! component: a HyperLogLog++ (precision 13, sparse precision 25) fed with
//! Cassandra's 64-bit MurmurHash2 of each key, serialized exactly as the
//! stream-lib library that Cassandra uses does.

use std::collections::BTreeMap;

const P: u32 = 13;
const SP: u32 = 25;
/// Above this many sparse entries the sketch turns into registers.
const SPARSE_THRESHOLD: usize = (1 << P) * 3 / 4;
/// Registers are 5 bits, packed 6 to a 32-bit word.
const REGISTERS_PER_WORD: usize = 6;

/// Cassandra's `MurmurHash.hash2_64` (seed 0): MurmurHash64A, with the
/// tail bytes sign-extended as Java's `(long) byte` does.
pub fn hash2_64(key: &[u8]) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = (key.len() as u64).wrapping_mul(M);
    let mut words = key.chunks_exact(8);
    for word in &mut words {
        let mut k = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (i64::from(b as i8) as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// stream-lib's sparse encoding of a hash: the top 25 bits, and when the
/// 12 bits after the first 13 are zero, the (inverted) run length too.
fn encode(x: u64) -> u32 {
    let idx = (x >> (64 - SP)) as u32;
    if idx << ((32 - SP) + P) == 0 {
        let run = ((x << P) | (1 << (P - 1))).leading_zeros() + 1;
        ((idx << 6) | (run ^ 63)).wrapping_shl(1) | 1
    } else {
        idx << 1
    }
}

fn sparse_index(k: u32) -> u32 {
    if k & 1 == 1 {
        k >> 7
    } else {
        k >> 1
    }
}

fn run_length(k: u32) -> u32 {
    if k & 1 == 1 {
        ((k >> 1) & 63) ^ 63
    } else {
        (k << (P + (31 - SP))).leading_zeros() + 1
    }
}

/// A HyperLogLog++ sketch of partition keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardinalitySketch {
    /// Sparse entries by sparse index (only while sparse).
    sparse: BTreeMap<u32, u32>,
    /// Registers, once the sketch is dense.
    registers: Option<Vec<u8>>,
}

impl CardinalitySketch {
    /// An empty sketch.
    pub fn new() -> Self {
        CardinalitySketch::default()
    }

    /// Counts a partition key.
    pub fn offer(&mut self, key: &[u8]) {
        let x = hash2_64(key);
        if let Some(registers) = &mut self.registers {
            let idx = (x >> (64 - P)) as usize;
            let rank = ((x << P) | (1 << (P - 1))).leading_zeros() as u8 + 1;
            registers[idx] = registers[idx].max(rank);
            return;
        }
        let k = encode(x);
        let entry = self.sparse.entry(sparse_index(k)).or_insert(k);
        // stream-lib keeps the smaller as a signed int: the longer run.
        if (k as i32) < (*entry as i32) {
            *entry = k;
        }
        if self.sparse.len() > SPARSE_THRESHOLD {
            let mut registers = vec![0u8; 1 << P];
            for &k in self.sparse.values() {
                let idx = (sparse_index(k) >> (SP - P)) as usize;
                registers[idx] = registers[idx].max(run_length(k) as u8);
            }
            self.sparse.clear();
            self.registers = Some(registers);
        }
    }

    /// The bytes stream-lib's `HyperLogLogPlus.getBytes` produces.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = (-2i32).to_be_bytes().to_vec();
        varint(P, &mut out);
        varint(SP, &mut out);
        match &self.registers {
            Some(registers) => {
                varint(0, &mut out);
                let words = word_count(registers.len());
                varint((words * 4) as u32, &mut out);
                let mut packed = vec![0u32; words];
                for (i, &r) in registers.iter().enumerate() {
                    let shift = 5 * (i % REGISTERS_PER_WORD);
                    packed[i / REGISTERS_PER_WORD] |= u32::from(r) << shift;
                }
                for w in packed {
                    out.extend_from_slice(&w.to_be_bytes());
                }
            }
            None => {
                varint(1, &mut out);
                varint(self.sparse.len() as u32, &mut out);
                let mut previous = 0u32;
                for &k in self.sparse.values() {
                    varint(k.wrapping_sub(previous), &mut out);
                    previous = k;
                }
            }
        }
        out
    }
}

/// stream-lib's `RegisterSet.getSizeForCount`.
fn word_count(registers: usize) -> usize {
    let bits = registers / REGISTERS_PER_WORD;
    if bits == 0 {
        1
    } else if bits.is_multiple_of(32) {
        bits
    } else {
        bits + 1
    }
}

/// An unsigned LEB128 varint of a 32-bit value.
fn varint(mut value: u32, out: &mut Vec<u8>) {
    while value & !0x7f != 0 {
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sketch of keys "0" to "4" in every legacy table (format
    /// reference §4.3).
    #[test]
    fn sketch_of_five_keys_matches_cassandra() {
        let mut sketch = CardinalitySketch::new();
        for key in [b"0", b"1", b"2", b"3", b"4"] {
            sketch.offer(key);
        }
        let hex: String = sketch
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "fffffffe0d19010592f2850190f61ff4b3aa02b2bdfc05e0fcdd10"
        );
    }

    #[test]
    fn many_keys_turn_the_sketch_dense() {
        let mut sketch = CardinalitySketch::new();
        for i in 0..20_000u32 {
            sketch.offer(&i.to_be_bytes());
        }
        let bytes = sketch.to_bytes();
        // Header, format 0, length varint, then 1366 words of registers.
        assert_eq!(&bytes[..7], &[0xff, 0xff, 0xff, 0xfe, 13, 25, 0]);
        assert_eq!(bytes.len(), 7 + 2 + 1366 * 4);
    }
}
