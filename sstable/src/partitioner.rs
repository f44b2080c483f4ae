//! Partitioners: the order of partitions in an SSTable.

use crate::murmur3::murmur3_token;
use std::cmp::Ordering;

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
    }
}
