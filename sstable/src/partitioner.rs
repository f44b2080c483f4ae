//! Partitioners: the order of partitions in an SSTable.

use crate::murmur3::{murmur3_token, token_of_hash};
use std::cmp::Ordering;

/// A partition's token: where the partitioner places it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Token {
    /// Murmur3: a signed 64-bit token.
    Long(i64),
    /// ByteOrdered: the key bytes themselves.
    Bytes(Vec<u8>),
    /// Random: the absolute value of the key's MD5 digest read as a
    /// signed 128-bit big-endian integer (Cassandra's `BigIntegerToken`,
    /// 0 to 2^127).
    Big(u128),
}

/// How partitions are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partitioner {
    /// Cassandra's default: by Murmur3 token (signed), then key bytes.
    Murmur3,
    /// By key bytes, unsigned.
    ByteOrdered,
    /// Cassandra's `RandomPartitioner` (the default before 1.2): by MD5
    /// token ([`Token::Big`]), then key bytes.
    Random,
}

/// A key's RandomPartitioner token: Java's `new BigInteger(md5).abs()`.
/// The digest is a two's-complement big-endian number; the one digest
/// whose absolute value does not fit an `i128` (the minimum) gives 2^127,
/// which a `u128` holds.
pub fn random_token(key: &[u8]) -> u128 {
    use md5::Digest;
    let digest: [u8; 16] = md5::Md5::digest(key).into();
    i128::from_be_bytes(digest).unsigned_abs()
}

/// The sort token of a RandomPartitioner token: its top 64 bits (a token
/// is at most 2^127, so they fit in 0..=2^63; the single token 2^127 is
/// clamped to `i64::MAX`, which keeps the order). Keys whose tokens share
/// their top 64 bits are then ordered by key bytes, not by the low bits as
/// Cassandra does: of two given keys, a 2^-64 chance.
fn random_sort_token(token: u128) -> i64 {
    i64::try_from(token >> 64).unwrap_or(i64::MAX)
}

impl Partitioner {
    /// The partitioner named by a class name as Statistics.db stores it
    /// (`org.apache.cassandra.dht.Murmur3Partitioner`, ...).
    pub fn from_class_name(name: &str) -> Option<Partitioner> {
        match name.rsplit('.').next()? {
            "Murmur3Partitioner" => Some(Partitioner::Murmur3),
            "ByteOrderedPartitioner" => Some(Partitioner::ByteOrdered),
            "RandomPartitioner" => Some(Partitioner::Random),
            _ => None,
        }
    }

    /// The class name Statistics.db records.
    pub fn class_name(&self) -> &'static str {
        match self {
            Partitioner::Murmur3 => "org.apache.cassandra.dht.Murmur3Partitioner",
            Partitioner::ByteOrdered => "org.apache.cassandra.dht.ByteOrderedPartitioner",
            Partitioner::Random => "org.apache.cassandra.dht.RandomPartitioner",
        }
    }

    /// The first component of a key's position in this partitioner's
    /// order, given the key and its Murmur3 hash: the token under Murmur3;
    /// under ByteOrdered, the key's first 8 bytes (zero-padded), which
    /// never disagree with the order of the full keys; under Random, the
    /// top 64 bits of the MD5 token (`hash` is not used: the filter's
    /// hash is Murmur3 whatever the partitioner). Partitions sort by
    /// `(sort_token, key bytes)`, so comparing the integer first settles
    /// almost every comparison without touching the key bytes.
    pub fn sort_token(&self, key: &[u8], hash: (u64, u64)) -> i64 {
        match self {
            Partitioner::Murmur3 => token_of_hash(hash.0),
            Partitioner::ByteOrdered => {
                let mut prefix = [0u8; 8];
                let n = key.len().min(8);
                prefix[..n].copy_from_slice(&key[..n]);
                // Unsigned order as signed integers.
                (u64::from_be_bytes(prefix) ^ (1 << 63)) as i64
            }
            Partitioner::Random => random_sort_token(random_token(key)),
        }
    }

    /// The sort token of `token` (one of this partitioner's): where the
    /// keys of that token start in `(sort token, key)` order.
    pub fn sort_token_of(&self, token: &Token) -> i64 {
        match token {
            Token::Long(t) => *t,
            Token::Bytes(k) => self.sort_token(k, (0, 0)),
            Token::Big(t) => random_sort_token(*t),
        }
    }

    /// A key's token.
    pub fn token(&self, key: &[u8]) -> Token {
        match self {
            Partitioner::Murmur3 => Token::Long(murmur3_token(key)),
            Partitioner::ByteOrdered => Token::Bytes(key.to_vec()),
            Partitioner::Random => Token::Big(random_token(key)),
        }
    }

    /// The order of two partition keys.
    pub fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        match self {
            Partitioner::Murmur3 => (murmur3_token(a), a).cmp(&(murmur3_token(b), b)),
            Partitioner::ByteOrdered => a.cmp(b),
            Partitioner::Random => (random_token(a), a).cmp(&(random_token(b), b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_token_then_key_or_by_bytes() {
        let p =
            Partitioner::from_class_name("org.apache.cassandra.dht.Murmur3Partitioner").unwrap();
        // Tokens of the ints 5 and 0 are -7509452495886106294 and -3485513579396041028.
        assert_eq!(
            p.compare(&5i32.to_be_bytes(), &0i32.to_be_bytes()),
            Ordering::Less
        );
        let bop = Partitioner::from_class_name("org.apache.cassandra.dht.ByteOrderedPartitioner")
            .unwrap();
        assert_eq!(
            bop.compare(&5i32.to_be_bytes(), &0i32.to_be_bytes()),
            Ordering::Greater
        );
        assert!(Partitioner::from_class_name("OrderPreservingPartitioner").is_none());
        // Sort tokens then key bytes agree with the full order.
        let keys: [&[u8]; 7] = [
            b"",
            b"\0",
            b"ab",
            b"ab\0",
            b"abcdefgh",
            b"abcdefgh\0",
            b"\xff",
        ];
        for p in [
            Partitioner::Murmur3,
            Partitioner::ByteOrdered,
            Partitioner::Random,
        ] {
            for a in keys {
                for b in keys {
                    let ta = p.sort_token(a, crate::murmur3::hash3_x64_128(a, 0));
                    let tb = p.sort_token(b, crate::murmur3::hash3_x64_128(b, 0));
                    assert_eq!((ta, a).cmp(&(tb, b)), p.compare(a, b), "{p:?} {a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn random_tokens_are_abs_of_the_signed_md5() {
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e: negative as a signed
        // number, so the token is its two's complement.
        let digest = 0xd41d8cd98f00b204e9800998ecf8427e_u128;
        assert_eq!(random_token(b""), digest.wrapping_neg());
        // MD5("a") = 0cc175b9c0f1b6a831c399e269772661: positive, as is.
        assert_eq!(random_token(b"a"), 0x0cc175b9c0f1b6a831c399e269772661);
        let p = Partitioner::from_class_name("org.apache.cassandra.dht.RandomPartitioner").unwrap();
        assert_eq!(p, Partitioner::Random);
        assert_eq!(p.class_name(), "org.apache.cassandra.dht.RandomPartitioner");
        assert_eq!(p.sort_token(b"a", (0, 0)), p.sort_token_of(&p.token(b"a")));
        assert_eq!(random_sort_token(1 << 127), i64::MAX);
        assert_eq!(random_sort_token((1 << 127) - 1), i64::MAX);
    }
}
