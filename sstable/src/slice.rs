//! Clustering slices: the rows and range tombstones of a partition between
//! two clustering prefixes, with a range tombstone that straddles a slice
//! edge cut at that edge (as Cassandra returns it), so that every row the
//! slice returns carries exactly the deletions that cover it.

use crate::clustering::{compare_prefixes, ClusteringBound, ClusteringValue, PrefixKind};
use crate::reconcile::DeletionTime;
use crate::rows::{Marker, Unfiltered};
use crate::types::has_comparator;
use std::cmp::Ordering;

/// A clustering range: rows whose clustering is at or after `start` and at
/// or before `end` (each a prefix; `None` leaves that side open).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Slice {
    /// Inclusive start, or unbounded.
    pub start: Option<Vec<ClusteringValue>>,
    /// Inclusive end, or unbounded.
    pub end: Option<Vec<ClusteringValue>>,
}

impl Slice {
    /// The whole partition.
    pub fn all() -> Slice {
        Slice::default()
    }

    /// The start as a bound (`None` when unbounded).
    pub fn start_bound(&self) -> Option<ClusteringBound> {
        self.start.as_ref().map(|values| ClusteringBound {
            kind: PrefixKind::InclStartBound,
            values: values.clone(),
        })
    }

    /// The end as a bound (`None` when unbounded).
    pub fn end_bound(&self) -> Option<ClusteringBound> {
        self.end.as_ref().map(|values| ClusteringBound {
            kind: PrefixKind::InclEndBound,
            values: values.clone(),
        })
    }

    /// Whether anything between `start` and `end` (an SSTable's covered
    /// clustering range, from Statistics.db) may fall in this slice: false
    /// only when the two ranges are disjoint, so that a read may skip that
    /// SSTable's rows and markers.
    pub fn intersects(
        &self,
        types: &[String],
        start: &ClusteringBound,
        end: &ClusteringBound,
    ) -> bool {
        let after_end = self
            .start_bound()
            .is_some_and(|s| compare_prefixes(types, &s, end) == Ordering::Greater);
        let before_start = self
            .end_bound()
            .is_some_and(|e| compare_prefixes(types, &e, start) == Ordering::Less);
        !after_end && !before_start
    }
}

impl Slice {
    /// This slice, ending at the row clustering `last` instead when given
    /// (what a read cut short by a row limit has covered).
    pub fn ending_at(&self, last: Option<&[ClusteringValue]>) -> Slice {
        match last {
            Some(last) => Slice {
                start: self.start.clone(),
                end: Some(last.to_vec()),
            },
            None => self.clone(),
        }
    }
}

/// The unfiltereds of `items` (a partition's, in clustering order) up to
/// and including the `max_rows`-th row inside `slice` (all of them when
/// `None`), with the clustering of that last row when the limit stopped
/// the reading: the caller then knows the partition only up to there
/// ([`Slice::ending_at`]).
///
/// # Errors
/// The first error `items` yields.
pub fn take_head(
    types: &[String],
    slice: &Slice,
    items: impl Iterator<Item = crate::error::Result<Unfiltered>>,
    max_rows: Option<usize>,
) -> crate::error::Result<(Vec<Unfiltered>, Option<Vec<ClusteringValue>>)> {
    let (start, end) = (slice.start_bound(), slice.end_bound());
    let inside = |values: &[ClusteringValue]| {
        let name = ClusteringBound {
            kind: PrefixKind::Clustering,
            values: values.to_vec(),
        };
        start
            .as_ref()
            .is_none_or(|s| compare_prefixes(types, s, &name).is_le())
            && end
                .as_ref()
                .is_none_or(|e| compare_prefixes(types, &name, e).is_le())
    };
    let mut out = Vec::new();
    let mut rows = 0;
    for item in items {
        let item = item?;
        let counted = match (&item, max_rows) {
            (Unfiltered::Row(row), Some(_)) => inside(&row.clustering),
            _ => false,
        };
        out.push(item);
        if counted {
            rows += 1;
            if max_rows.is_some_and(|m| rows >= m) {
                let last = match out.last() {
                    Some(Unfiltered::Row(row)) => Some(row.clustering.clone()),
                    _ => None,
                };
                return Ok((out, last));
            }
        }
    }
    Ok((out, None))
}

/// Whether every clustering type has a comparator Ilion implements, so
/// that slices over it cannot return a wrong range.
pub fn comparable(types: &[String]) -> bool {
    types.iter().all(|t| has_comparator(t))
}

/// The position of an unfiltered in clustering order.
pub fn name_of(unfiltered: &Unfiltered) -> ClusteringBound {
    match unfiltered {
        Unfiltered::Row(row) => ClusteringBound {
            kind: PrefixKind::Clustering,
            values: row.clustering.clone(),
        },
        Unfiltered::Marker(marker) => marker.bound.clone(),
    }
}

/// The deletion a marker leaves open after it (`None` when it closes one).
fn open_after(marker: &Marker) -> Option<DeletionTime> {
    if marker.bound.kind.is_start() {
        marker.start_deletion
    } else {
        None
    }
}

/// Clips `unfiltereds` (in clustering order, the first preceded by an open
/// range tombstone `open_before` if any) to `slice`.
pub fn clip(
    types: &[String],
    unfiltereds: impl IntoIterator<Item = Unfiltered>,
    open_before: Option<DeletionTime>,
    slice: &Slice,
) -> Vec<Unfiltered> {
    let start = slice.start_bound();
    let end = slice.end_bound();
    let mut open = open_before;
    let mut started = false;
    let mut out = Vec::new();
    let begin = |open: Option<DeletionTime>, out: &mut Vec<Unfiltered>| {
        if let Some(deletion) = open {
            out.push(Unfiltered::Marker(Marker {
                bound: start.clone().unwrap_or(ClusteringBound {
                    kind: PrefixKind::InclStartBound,
                    values: Vec::new(),
                }),
                end_deletion: None,
                start_deletion: Some(deletion),
            }));
        }
    };
    for unfiltered in unfiltereds {
        let name = name_of(&unfiltered);
        if !started {
            let before_start = slice
                .start_bound()
                .is_some_and(|s| compare_prefixes(types, &name, &s) == Ordering::Less);
            if before_start {
                if let Unfiltered::Marker(marker) = &unfiltered {
                    open = open_after(marker);
                }
                continue;
            }
            started = true;
            begin(open, &mut out);
        }
        if end
            .as_ref()
            .is_some_and(|e| compare_prefixes(types, &name, e) == Ordering::Greater)
        {
            break;
        }
        if let Unfiltered::Marker(marker) = &unfiltered {
            open = open_after(marker);
        }
        out.push(unfiltered);
    }
    if !started {
        begin(open, &mut out);
    }
    if let (Some(deletion), Some(end)) = (open, end) {
        out.push(Unfiltered::Marker(Marker {
            bound: end,
            end_deletion: Some(deletion),
            start_deletion: None,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::Row;

    const INT: &str = "org.apache.cassandra.db.marshal.Int32Type";

    fn v(i: i32) -> Vec<ClusteringValue> {
        vec![Some(i.to_be_bytes().to_vec())]
    }

    fn row(i: i32) -> Unfiltered {
        Unfiltered::Row(Row {
            clustering: v(i),
            liveness: None,
            deletion: None,
            columns: Vec::new(),
        })
    }

    #[test]
    fn a_slice_intersects_a_covered_range_unless_disjoint() {
        let types = vec![INT.to_string()];
        let bound = |kind, i| ClusteringBound { kind, values: v(i) };
        let (start, end) = (
            bound(PrefixKind::InclStartBound, 10),
            bound(PrefixKind::InclEndBound, 20),
        );
        let slice = |a: Option<i32>, b: Option<i32>| Slice {
            start: a.map(v),
            end: b.map(v),
        };
        for (a, b, meets) in [
            (Some(0), Some(9), false),
            (Some(21), None, false),
            (Some(0), Some(10), true),
            (Some(20), Some(30), true),
            (Some(12), Some(15), true),
            (None, None, true),
            (None, Some(9), false),
            (Some(5), Some(25), true),
        ] {
            assert_eq!(
                slice(a, b).intersects(&types, &start, &end),
                meets,
                "{a:?}..{b:?}"
            );
        }
        // A range tombstone ending just before 10 (exclusive) still meets
        // a slice starting at 10: equal positions are not disjoint.
        let excl_end = bound(PrefixKind::ExclEndBound, 10);
        assert!(slice(Some(10), None).intersects(&types, &start, &excl_end));
        // Nothing covered (an SSTable of partition deletions only): an
        // empty exclusive start after everything, an empty end before.
        let (none_start, none_end) = (
            ClusteringBound {
                kind: PrefixKind::ExclStartBound,
                values: Vec::new(),
            },
            ClusteringBound {
                kind: PrefixKind::ExclEndBound,
                values: Vec::new(),
            },
        );
        assert!(!slice(Some(0), Some(100)).intersects(&types, &none_start, &none_end));
    }

    fn d(t: i64) -> DeletionTime {
        DeletionTime {
            marked_for_delete_at: t,
            local_deletion_time: 100,
        }
    }

    fn marker(kind: PrefixKind, i: i32, end: Option<i64>, start: Option<i64>) -> Unfiltered {
        Unfiltered::Marker(Marker {
            bound: ClusteringBound { kind, values: v(i) },
            end_deletion: end.map(d),
            start_deletion: start.map(d),
        })
    }

    fn slice(a: i32, b: i32) -> Slice {
        Slice {
            start: Some(v(a)),
            end: Some(v(b)),
        }
    }

    /// Rows 1..=9 with a range tombstone [3, 7] at timestamp 5.
    fn partition() -> Vec<Unfiltered> {
        let mut u = vec![row(1), row(2)];
        u.push(marker(PrefixKind::InclStartBound, 3, None, Some(5)));
        u.extend((3..=7).map(row));
        u.push(marker(PrefixKind::InclEndBound, 7, Some(5), None));
        u.extend((8..=9).map(row));
        u
    }

    #[test]
    fn rows_outside_the_slice_are_dropped() {
        let types = vec![INT.to_string()];
        assert_eq!(
            clip(&types, partition(), None, &slice(1, 2)),
            vec![row(1), row(2)]
        );
        assert_eq!(clip(&types, partition(), None, &Slice::all()), partition());
    }

    #[test]
    fn a_straddling_range_tombstone_is_cut_at_the_slice_edges() {
        let types = vec![INT.to_string()];
        assert_eq!(
            clip(&types, partition(), None, &slice(4, 8)),
            vec![
                marker(PrefixKind::InclStartBound, 4, None, Some(5)),
                row(4),
                row(5),
                row(6),
                row(7),
                marker(PrefixKind::InclEndBound, 7, Some(5), None),
                row(8),
            ]
        );
        assert_eq!(
            clip(&types, partition(), None, &slice(2, 5)),
            vec![
                row(2),
                marker(PrefixKind::InclStartBound, 3, None, Some(5)),
                row(3),
                row(4),
                row(5),
                marker(PrefixKind::InclEndBound, 5, Some(5), None),
            ]
        );
    }

    #[test]
    fn a_slice_inside_a_range_tombstone_keeps_it() {
        let types = vec![INT.to_string()];
        // Only the tombstone's start precedes; its rows were elsewhere.
        let u = vec![
            marker(PrefixKind::InclStartBound, 3, None, Some(5)),
            marker(PrefixKind::InclEndBound, 7, Some(5), None),
        ];
        assert_eq!(
            clip(&types, u.clone(), None, &slice(4, 5)),
            vec![
                marker(PrefixKind::InclStartBound, 4, None, Some(5)),
                marker(PrefixKind::InclEndBound, 5, Some(5), None),
            ]
        );
        // Open before the first element read (from the row index).
        assert_eq!(
            clip(&types, u[1..].to_vec(), Some(d(5)), &slice(4, 9)),
            vec![
                marker(PrefixKind::InclStartBound, 4, None, Some(5)),
                marker(PrefixKind::InclEndBound, 7, Some(5), None),
            ]
        );
    }

    #[test]
    fn boundaries_switch_the_open_deletion() {
        let types = vec![INT.to_string()];
        let u = vec![
            marker(PrefixKind::InclStartBound, 1, None, Some(5)),
            row(2),
            marker(PrefixKind::ExclEndInclStartBoundary, 3, Some(5), Some(9)),
            row(4),
            marker(PrefixKind::InclEndBound, 5, Some(9), None),
        ];
        assert_eq!(
            clip(&types, u, None, &slice(4, 4)),
            vec![
                marker(PrefixKind::InclStartBound, 4, None, Some(9)),
                row(4),
                marker(PrefixKind::InclEndBound, 4, Some(9), None),
            ]
        );
    }

    #[test]
    fn comparable_types_are_known() {
        assert!(comparable(&[INT.to_string()]));
        assert!(comparable(&[
            "org.apache.cassandra.db.marshal.UUIDType".to_string()
        ]));
        assert!(comparable(&[
            "org.apache.cassandra.db.marshal.DecimalType".to_string()
        ]));
        assert!(!comparable(&[
            "org.apache.cassandra.db.marshal.DurationType".to_string()
        ]));
        assert!(comparable(&[
            "org.apache.cassandra.db.marshal.FrozenType(org.apache.cassandra.db.marshal.UserType(ks,74,78:org.apache.cassandra.db.marshal.Int32Type))".to_string()
        ]));
        assert!(comparable(&[
            "org.apache.cassandra.db.marshal.FrozenType(org.apache.cassandra.db.marshal.ListType(org.apache.cassandra.db.marshal.Int32Type))".to_string()
        ]));
    }
}
