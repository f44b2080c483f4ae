//! Clustering prefixes: values in blocks of up to 32 columns, each block
//! led by a vint of 2 bits per column (null, empty), as Cassandra's
//! `ClusteringPrefix.Serializer` writes them.

use crate::cursor::Cursor;
use crate::error::Result;
use crate::types::fixed_value_length;

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
    if count > types.len() {
        return Err(c.corrupt(format!(
            "clustering of {count} values for {} clustering columns",
            types.len()
        )));
    }
    let mut values = Vec::with_capacity(count);
    let mut header = 0u64;
    for (i, type_string) in types.iter().take(count).enumerate() {
        if i % 32 == 0 {
            header = c.vint("clustering header")?;
        }
        let bits = header >> ((i % 32) * 2);
        values.push(if bits & 0b10 != 0 {
            None
        } else if bits & 0b01 != 0 {
            Some(Vec::new())
        } else {
            let value = match fixed_value_length(type_string) {
                Some(len) => c.take(len, "clustering value")?,
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
