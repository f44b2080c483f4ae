//! Cassandra's MurmurHash3 (x64, 128-bit) and the Murmur3 partitioner's
//! token.
//!
//! Cassandra's implementation differs from the reference one in the tail
//! (the last `len % 16` bytes): each byte is sign-extended to 64 bits before
//! it is shifted in, so keys whose tail bytes are ≥ 0x80 hash differently.
//! Ilion reproduces that, since tokens decide partition order on disk and
//! bloom filter bits must match the files Cassandra writes.

const C1: u64 = 0x87c3_7b91_1142_53d5;
const C2: u64 = 0x4cf5_ad43_2745_937f;

fn fmix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

fn mix_k1(k1: u64) -> u64 {
    k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2)
}

fn mix_k2(k2: u64) -> u64 {
    k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1)
}

/// Cassandra's `MurmurHash.hash3_x64_128(key, 0, len, seed)`: the two 64-bit
/// halves `(h1, h2)` of the hash.
pub fn hash3_x64_128(key: &[u8], seed: u64) -> (u64, u64) {
    let (mut h1, mut h2) = (seed, seed);
    let mut blocks = key.chunks_exact(16);
    for block in &mut blocks {
        let (lo, hi) = block.split_at(8);
        let k1 = u64::from_le_bytes(lo.try_into().unwrap_or([0; 8]));
        let k2 = u64::from_le_bytes(hi.try_into().unwrap_or([0; 8]));
        h1 ^= mix_k1(k1);
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dc_e729);
        h2 ^= mix_k2(k2);
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x3849_5ab5);
    }
    let tail = blocks.remainder();
    // Java's `(long) byte` sign-extends: the quirk that makes Cassandra's
    // hash differ from the reference for tail bytes >= 0x80.
    let extended = |i: usize| i64::from(tail[i] as i8) as u64;
    let (mut k1, mut k2) = (0u64, 0u64);
    for i in (8..tail.len()).rev() {
        k2 ^= extended(i) << ((i - 8) * 8);
    }
    if tail.len() > 8 {
        h2 ^= mix_k2(k2);
    }
    for i in (0..tail.len().min(8)).rev() {
        k1 ^= extended(i) << (i * 8);
    }
    if !tail.is_empty() {
        h1 ^= mix_k1(k1);
    }
    let len = key.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (h1, h2)
}

/// The Murmur3 partitioner's token of a partition key: the first half of
/// the hash as a signed integer, with `i64::MIN` (reserved as the minimum
/// token) mapped to `i64::MAX`.
pub fn murmur3_token(key: &[u8]) -> i64 {
    let token = hash3_x64_128(key, 0).0 as i64;
    if token == i64::MIN {
        i64::MAX
    } else {
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tokens Cassandra computes (format reference §10).
    #[test]
    fn tokens_match_cassandra() {
        assert_eq!(
            murmur3_token(&0i32.to_be_bytes()),
            -3_485_513_579_396_041_028
        );
        assert_eq!(
            murmur3_token(&1i32.to_be_bytes()),
            -4_069_959_284_402_364_209
        );
    }

    /// For bytes below 0x80 Cassandra's hash is the reference MurmurHash3
    /// x64_128; these are the reference's values for the empty input and
    /// for "hello" with seed 0 (the two 64-bit halves, little-endian words).
    #[test]
    fn ascii_keys_match_the_reference_hash() {
        assert_eq!(hash3_x64_128(b"", 0), (0, 0));
        assert_eq!(
            hash3_x64_128(b"hello", 0),
            (0xcbd8_a7b3_41bd_9b02, 0x5b1e_906a_48ae_1d19)
        );
    }

    /// Tail bytes >= 0x80 take the sign-extension path, which changes the
    /// hash compared with treating them as unsigned.
    #[test]
    fn high_tail_bytes_are_sign_extended() {
        let key = [0x80u8, 0x01, 0xff];
        let (h1, _) = hash3_x64_128(&key, 0);
        // What an unsigned reading of the tail would give:
        let unsigned_k1 = 0x80u64 | (0x01 << 8) | (0xff << 16);
        let mut r1 = mix_k1(unsigned_k1);
        let mut r2 = 0u64;
        r1 ^= 3;
        r2 ^= 3;
        r1 = r1.wrapping_add(r2);
        r2 = r2.wrapping_add(r1);
        r1 = fmix(r1);
        r2 = fmix(r2);
        r1 = r1.wrapping_add(r2);
        assert_ne!(h1, r1);
    }
}
