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
}

/// How partitions are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partitioner {
    /// Cassandra's default: by Murmur3 token (signed), then key bytes.
    Murmur3,
    /// By key bytes, unsigned.
    ByteOrdered,
}

impl Partitioner {
    /// The partitioner named by a class name as Statistics.db stores it
    /// (`org.apache.cassandra.dht.Murmur3Partitioner`, ...).
    pub fn from_class_name(name: &str) -> Option<Partitioner> {
        match name.rsplit('.').next()? {
            "Murmur3Partitioner" => Some(Partitioner::Murmur3),
            "ByteOrderedPartitioner" => Some(Partitioner::ByteOrdered),
            _ => None,
        }
    }

    /// The class name Statistics.db records.
    pub fn class_name(&self) -> &'static str {
        match self {
            Partitioner::Murmur3 => "org.apache.cassandra.dht.Murmur3Partitioner",
            Partitioner::ByteOrdered => "org.apache.cassandra.dht.ByteOrderedPartitioner",
        }
    }

    /// The first component of a key's position in this partitioner's
    /// order, given the key and its Murmur3 hash: the token under Murmur3;
    /// under ByteOrdered, the key's first 8 bytes (zero-padded), which
    /// never disagree with the order of the full keys. Partitions sort by
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
        }
    }

    /// A key's token.
    pub fn token(&self, key: &[u8]) -> Token {
        match self {
            Partitioner::Murmur3 => Token::Long(murmur3_token(key)),
            Partitioner::ByteOrdered => Token::Bytes(key.to_vec()),
        }
    }

    /// The order of two partition keys.
    pub fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        match self {
            Partitioner::Murmur3 => (murmur3_token(a), a).cmp(&(murmur3_token(b), b)),
            Partitioner::ByteOrdered => a.cmp(b),
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
        assert!(Partitioner::from_class_name("RandomPartitioner").is_none());
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
        for p in [Partitioner::Murmur3, Partitioner::ByteOrdered] {
            for a in keys {
                for b in keys {
                    let ta = p.sort_token(a, crate::murmur3::hash3_x64_128(a, 0));
                    let tb = p.sort_token(b, crate::murmur3::hash3_x64_128(b, 0));
                    assert_eq!((ta, a).cmp(&(tb, b)), p.compare(a, b), "{p:?} {a:?} {b:?}");
                }
            }
        }
    }
}
