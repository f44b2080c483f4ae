//! Clustering prefixes: values in blocks of up to 32 columns, each block
//! led by a vint of 2 bits per column (null, empty), as Cassandra's
//! `ClusteringPrefix.Serializer` writes them.

use crate::cursor::Cursor;
use crate::error::Result;
use crate::types::{compare_values, fixed_value_length, is_reversed};
use std::cmp::Ordering;

/// One clustering value: `None` for null, else the bytes (possibly empty).
pub type ClusteringValue = Option<Vec<u8>>;

/// The kinds of clustering prefix, with Cassandra's ordinals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrefixKind {
    /// Exclusive end bound.
    ExclEndBound = 0,
    /// Inclusive start bound.
    InclStartBound = 1,
    /// Boundary: exclusive end of one range, inclusive start of the next.
    ExclEndInclStartBoundary = 2,
    /// The static row's clustering.
    StaticClustering = 3,
    /// A row's clustering.
    Clustering = 4,
    /// Boundary: inclusive end of one range, exclusive start of the next.
    InclEndExclStartBoundary = 5,
    /// Inclusive end bound.
    InclEndBound = 6,
    /// Exclusive start bound.
    ExclStartBound = 7,
}

impl PrefixKind {
    /// The kind with this ordinal, if it is one Cassandra writes.
    pub fn from_ordinal(ordinal: u8) -> Option<PrefixKind> {
        use PrefixKind::*;
        Some(match ordinal {
            0 => ExclEndBound,
            1 => InclStartBound,
            2 => ExclEndInclStartBoundary,
            3 => StaticClustering,
            4 => Clustering,
            5 => InclEndExclStartBoundary,
            6 => InclEndBound,
            7 => ExclStartBound,
            _ => return None,
        })
    }
}

/// A bound or boundary: a kind and a prefix of clustering values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusteringBound {
    /// Which kind of bound.
    pub kind: PrefixKind,
    /// The prefix values, at most one per clustering column.
    pub values: Vec<ClusteringValue>,
}

/// Reads `count` clustering values of the given types (a row clustering,
/// or the values of a bound whose size was read already).
pub(crate) fn read_values(
    c: &mut Cursor<'_>,
    types: &[String],
    count: usize,
) -> Result<Vec<ClusteringValue>> {
    let fixed: Vec<Option<usize>> = types.iter().map(|t| fixed_value_length(t)).collect();
    read_fixed_values(c, &fixed, count)
}

/// [`read_values`] for types whose fixed value lengths (`None`: written
/// with a length) are known already.
pub(crate) fn read_fixed_values(
    c: &mut Cursor<'_>,
    fixed: &[Option<usize>],
    count: usize,
) -> Result<Vec<ClusteringValue>> {
    if count > fixed.len() {
        return Err(c.corrupt(format!(
            "clustering of {count} values for {} clustering columns",
            fixed.len()
        )));
    }
    let mut values = Vec::with_capacity(count);
    let mut header = 0u64;
    for (i, fixed) in fixed.iter().take(count).enumerate() {
        if i % 32 == 0 {
            header = c.vint("clustering header")?;
        }
        let bits = header >> ((i % 32) * 2);
        values.push(if bits & 0b10 != 0 {
            None
        } else if bits & 0b01 != 0 {
            Some(Vec::new())
        } else {
            let value = match fixed {
                Some(len) => c.take(*len, "clustering value")?,
                None => c.bytes_vint("clustering value")?,
            };
            Some(value.to_vec())
        });
    }
    Ok(values)
}

/// Reads a bound: kind byte, u16 size, then the values.
pub(crate) fn read_bound(c: &mut Cursor<'_>, types: &[String]) -> Result<ClusteringBound> {
    let ordinal = c.u8("bound kind")?;
    let kind = PrefixKind::from_ordinal(ordinal)
        .ok_or_else(|| c.corrupt(format!("clustering kind {ordinal}")))?;
    let size = c.u16("bound size")? as usize;
    let values = read_values(c, types, size)?;
    Ok(ClusteringBound { kind, values })
}

impl PrefixKind {
    /// Cassandra's order of kinds at equal values: end-exclusive and
    /// start-inclusive bounds first, then the static clustering, rows, and
    /// end-inclusive and start-exclusive bounds last.
    fn rank(self) -> i8 {
        use PrefixKind::*;
        match self {
            ExclEndBound | InclStartBound | ExclEndInclStartBoundary => 0,
            StaticClustering => 1,
            Clustering => 2,
            InclEndExclStartBoundary | InclEndBound | ExclStartBound => 3,
        }
    }

    /// Where a prefix of this kind sorts against the rows it is a prefix
    /// of: before (-1), among (0) or after (1).
    fn compared_to_clustering(self) -> i8 {
        match self.rank() {
            0 | 1 => -1,
            2 => 0,
            _ => 1,
        }
    }

    /// Whether this kind opens a range (a start bound or a boundary).
    pub fn is_start(self) -> bool {
        matches!(
            self,
            PrefixKind::InclStartBound
                | PrefixKind::ExclStartBound
                | PrefixKind::ExclEndInclStartBoundary
                | PrefixKind::InclEndExclStartBoundary
        )
    }

    /// Whether this kind is a boundary (closes one range, opens the next).
    pub fn is_boundary(self) -> bool {
        matches!(
            self,
            PrefixKind::ExclEndInclStartBoundary | PrefixKind::InclEndExclStartBoundary
        )
    }
}

impl ClusteringBound {
    /// The two halves of a boundary: the end bound it closes and the start
    /// bound it opens, at the same values (an exclusive end with an
    /// inclusive start, or the reverse). Meaningful for boundaries only.
    ///
    /// ```
    /// use ilion_sstable::clustering::{ClusteringBound, PrefixKind};
    /// let at = |kind| ClusteringBound { kind, values: vec![Some(vec![7])] };
    /// assert_eq!(
    ///     at(PrefixKind::ExclEndInclStartBoundary).boundary_parts(),
    ///     (at(PrefixKind::ExclEndBound), at(PrefixKind::InclStartBound))
    /// );
    /// ```
    pub fn boundary_parts(&self) -> (ClusteringBound, ClusteringBound) {
        let (end, start) = match self.kind {
            PrefixKind::ExclEndInclStartBoundary => {
                (PrefixKind::ExclEndBound, PrefixKind::InclStartBound)
            }
            _ => (PrefixKind::InclEndBound, PrefixKind::ExclStartBound),
        };
        let at = |kind| ClusteringBound {
            kind,
            values: self.values.clone(),
        };
        (at(end), at(start))
    }
}

/// Orders two clustering prefixes (rows or bounds) as Cassandra's
/// `ClusteringComparator` does: value by value with the types' comparators,
/// then by how each kind sorts against the rows it prefixes. Nulls compare
/// as empty; a type without a comparator in [`compare_values`] falls back
/// to unsigned bytes (reversed for a descending column), so that an order
/// is always decided — callers that must not guess check
/// [`crate::types::has_comparator`] first.
pub fn compare_prefixes(types: &[String], a: &ClusteringBound, b: &ClusteringBound) -> Ordering {
    compare_prefix_parts(types, (a.kind, &a.values), (b.kind, &b.values))
}

/// [`compare_prefixes`] on a kind and values held apart (a row's
/// clustering, without building a bound).
pub fn compare_prefix_parts(
    types: &[String],
    a: (PrefixKind, &[ClusteringValue]),
    b: (PrefixKind, &[ClusteringValue]),
) -> Ordering {
    for ((x, y), t) in a.1.iter().zip(b.1).zip(types) {
        let (x, y) = (
            x.as_deref().unwrap_or_default(),
            y.as_deref().unwrap_or_default(),
        );
        let order = compare_values(t, x, y).unwrap_or_else(|| {
            let order = x.cmp(y);
            if is_reversed(t) {
                order.reverse()
            } else {
                order
            }
        });
        if order != Ordering::Equal {
            return order;
        }
    }
    match a.1.len().cmp(&b.1.len()) {
        Ordering::Equal => a.0.rank().cmp(&b.0.rank()),
        Ordering::Less => a.0.compared_to_clustering().cmp(&0),
        Ordering::Greater => 0.cmp(&b.0.compared_to_clustering()),
    }
}

/// The order of two row clusterings.
pub fn compare_clusterings(
    types: &[String],
    a: &[ClusteringValue],
    b: &[ClusteringValue],
) -> Ordering {
    compare_prefix_parts(
        types,
        (PrefixKind::Clustering, a),
        (PrefixKind::Clustering, b),
    )
}
