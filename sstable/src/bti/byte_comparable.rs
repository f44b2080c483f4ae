//! Cassandra's byte-comparable translation (`ByteComparable.md`, version
//! `OSS50`, the one BTI tries use) of partition keys and clustering
//! prefixes: byte strings whose unsigned lexicographic order is the typed
//! order, so that a trie over them is ordered as the SSTable is.

use super::comparable_values::{self, Pushed};
use crate::clustering::{ClusteringBound, ClusteringValue, PrefixKind};
use crate::murmur3::token_of_hash;
use crate::partitioner::{Partitioner, Token};
use crate::types::{is_reversed, unreversed};

/// Separator before each component of a multi-component value.
pub const NEXT_COMPONENT: u8 = 0x40;
/// Separator standing for a null component (no value bytes follow), in
/// either order.
pub(crate) const NEXT_COMPONENT_NULL: u8 = 0x3E;
/// Separator standing for the empty value of a fixed-length type (no
/// value bytes follow).
const NEXT_COMPONENT_EMPTY: u8 = 0x3F;
/// [`NEXT_COMPONENT_EMPTY`] under a reversed type.
const NEXT_COMPONENT_EMPTY_REVERSED: u8 = 0x41;
/// The end of a complete sequence (a partition key, a row clustering).
pub(crate) const TERMINATOR: u8 = 0x38;
/// Ends a bound that sorts before every sequence it is a prefix of.
const LT_NEXT_COMPONENT: u8 = 0x20;
/// Ends a bound that sorts after every sequence it is a prefix of.
const GT_NEXT_COMPONENT: u8 = 0x60;

/// Appends a variable-length value (blob, text), escaped so that a
/// shorter value sorts first and no value is a prefix of another: a run
/// of n `00` bytes becomes `00`, n − 1 `FE`, then `FF` (`FE` when the run
/// ends the value); a value not ending in `00` gets a `00` end.
pub fn push_variable(bytes: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != 0 {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        out.push(0);
        i += 1;
        while bytes.get(i) == Some(&0) {
            out.push(0xFE);
            i += 1;
        }
        out.push(if i == bytes.len() { 0xFE } else { 0xFF });
    }
    if bytes.last() != Some(&0) {
        out.push(0);
    }
}

/// The byte-comparable form of a partition key under `partitioner`
/// (`hash` is its Murmur3 hash, [`crate::bloom::BloomFilter::hash`]):
/// `40`, the token, `40`, the key, `38`.
pub fn partition_key(partitioner: Partitioner, key: &[u8], hash: (u64, u64)) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() * 2 + 14);
    push_token_prefix(partitioner, key, hash, &mut out);
    out.push(NEXT_COMPONENT);
    push_variable(key, &mut out);
    out.push(TERMINATOR);
    out
}

/// `40` and the token of `key`: a Murmur3 token as a signed 64-bit integer
/// (sign bit flipped), a ByteOrdered token as a variable-length value.
fn push_token_prefix(partitioner: Partitioner, key: &[u8], hash: (u64, u64), out: &mut Vec<u8>) {
    out.push(NEXT_COMPONENT);
    match partitioner {
        Partitioner::Murmur3 => push_long(token_of_hash(hash.0), out),
        Partitioner::ByteOrdered => push_variable(key, out),
        // Order-preserving (the token is never negative) but not checked
        // against Cassandra's BigInteger encoding: the reader and writer
        // refuse BTI tables with this partitioner, so it is never stored.
        Partitioner::Random => {
            if let Token::Big(t) = Partitioner::Random.token(key) {
                out.extend_from_slice(&t.to_be_bytes());
            }
        }
    }
}

/// The byte-comparable prefix shared by every key whose token is the
/// Murmur3 token `token`.
pub fn long_token_prefix(token: i64) -> Vec<u8> {
    let mut out = vec![NEXT_COMPONENT];
    push_long(token, &mut out);
    out
}

/// The byte-comparable prefix shared by every ByteOrdered key whose token
/// is `token` (the key bytes).
pub fn bytes_token_prefix(token: &[u8]) -> Vec<u8> {
    let mut out = vec![NEXT_COMPONENT];
    push_variable(token, &mut out);
    out
}

fn push_long(value: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(&((value as u64) ^ (1 << 63)).to_be_bytes());
}

/// Appends one clustering value of type `type_string` (its separator
/// included), as `ClusteringComparator.asByteComparable` does; `false`
/// when Ilion does not know the type's byte-comparable form or the value
/// is not one of the type.
fn push_value(type_string: &str, value: &ClusteringValue, out: &mut Vec<u8>) -> bool {
    let reversed = is_reversed(type_string);
    let Some(value) = value else {
        // A null sorts first, even under a reversed type.
        out.push(NEXT_COMPONENT_NULL);
        return true;
    };
    let separator = out.len();
    out.push(NEXT_COMPONENT);
    let start = out.len();
    match comparable_values::push(unreversed(type_string), value, out) {
        None => false,
        // A type with no bytes for the value (an empty fixed-length
        // value): a separator of its own, which ReversedType moves above
        // the values rather than inverting.
        Some(Pushed::NoSource) => {
            out.truncate(separator);
            out.push(if reversed {
                NEXT_COMPONENT_EMPTY_REVERSED
            } else {
                NEXT_COMPONENT_EMPTY
            });
            true
        }
        Some(Pushed::Bytes) => {
            // ReversedType.asComparableBytes: every byte inverted.
            if reversed {
                for b in &mut out[start..] {
                    *b = !*b;
                }
            }
            true
        }
    }
}

/// Whether every type has a byte-comparable form Ilion knows.
pub fn clustering_types_supported(types: &[String]) -> bool {
    types
        .iter()
        .all(|t| comparable_values::known(unreversed(t)))
}

/// The byte that ends a prefix of `kind`: where it sorts against the
/// sequences it is a prefix of.
fn kind_terminator(kind: PrefixKind) -> u8 {
    use PrefixKind::*;
    match kind {
        ExclEndBound | InclStartBound | ExclEndInclStartBoundary => LT_NEXT_COMPONENT,
        Clustering => TERMINATOR,
        StaticClustering => 0,
        InclEndExclStartBoundary | InclEndBound | ExclStartBound => GT_NEXT_COMPONENT,
    }
}

/// The byte-comparable form of a clustering prefix of the given types,
/// or `None` for a type Ilion cannot translate.
pub fn clustering(types: &[String], bound: &ClusteringBound) -> Option<Vec<u8>> {
    // The static clustering never appears in a row index.
    if bound.kind == PrefixKind::StaticClustering {
        return None;
    }
    let mut out = Vec::new();
    for (t, v) in types.iter().zip(&bound.values) {
        if !push_value(t, v, &mut out) {
            return None;
        }
    }
    out.push(kind_terminator(bound.kind));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_length_examples_from_the_specification() {
        // ByteComparable.md, "Variable-length byte comparables".
        let enc = |b: &[u8]| {
            let mut out = Vec::new();
            push_variable(b, &mut out);
            out
        };
        assert_eq!(enc(&[0x22, 0x00]), vec![0x22, 0x00, 0xFE]);
        assert_eq!(
            enc(&[0x22, 0x00, 0x00, 0x33]),
            vec![0x22, 0x00, 0xFE, 0xFF, 0x33, 0x00]
        );
        assert_eq!(enc(&[0x22, 0x00, 0x11]), vec![0x22, 0x00, 0xFF, 0x11, 0x00]);
        assert_eq!(enc(&[0x22, 0x00, 0x00]), vec![0x22, 0x00, 0xFE, 0xFE]);
    }

    #[test]
    fn clustering_order_matches_typed_order() {
        let types = vec!["org.apache.cassandra.db.marshal.Int32Type".to_string()];
        let row = |v: i32| ClusteringBound {
            kind: PrefixKind::Clustering,
            values: vec![Some(v.to_be_bytes().to_vec())],
        };
        let values = [i32::MIN, -5, -1, 0, 1, 7, i32::MAX];
        for w in values.windows(2) {
            assert!(clustering(&types, &row(w[0])) < clustering(&types, &row(w[1])));
        }
        let doubles = vec!["org.apache.cassandra.db.marshal.DoubleType".to_string()];
        let d = |v: f64| ClusteringBound {
            kind: PrefixKind::Clustering,
            values: vec![Some(v.to_be_bytes().to_vec())],
        };
        // ByteComparable.md's examples: +1.0 as BF F0…, -Inf as 00 0F FF….
        assert_eq!(clustering(&doubles, &d(1.0)).unwrap()[1..3], [0xBF, 0xF0]);
        assert_eq!(
            clustering(&doubles, &d(f64::NEG_INFINITY)).unwrap()[1..3],
            [0x00, 0x0F]
        );
        let values = [
            f64::NEG_INFINITY,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            1.0,
            f64::INFINITY,
        ];
        for w in values.windows(2) {
            assert!(clustering(&doubles, &d(w[0])) < clustering(&doubles, &d(w[1])));
        }
        // An inclusive start sorts before the rows it prefixes, an
        // inclusive end after them.
        let start = ClusteringBound {
            kind: PrefixKind::InclStartBound,
            values: vec![Some(7i32.to_be_bytes().to_vec())],
        };
        let end = ClusteringBound {
            kind: PrefixKind::InclEndBound,
            ..start.clone()
        };
        assert!(clustering(&types, &start) < clustering(&types, &row(7)));
        assert!(clustering(&types, &end) > clustering(&types, &row(7)));
    }
}
