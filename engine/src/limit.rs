//! Cutting a slice after a number of rows without leaving a range
//! tombstone open.

use ilion_sstable::clustering::{ClusteringBound, PrefixKind};
use ilion_sstable::rows::{Marker, Unfiltered};

/// The first `limit` rows with live data at `now` (Cassandra counts only
/// those) of `unfiltereds` (in reading order: reversed when `reverse`),
/// with the tombstones and markers among them; a range tombstone still
/// open after the last row kept is closed at that row.
pub(crate) fn limit_rows(
    unfiltereds: Vec<Unfiltered>,
    limit: usize,
    reverse: bool,
    now: i64,
) -> Vec<Unfiltered> {
    let mut out = Vec::new();
    let mut rows = 0;
    let mut open = None;
    let mut last_row = None;
    for u in unfiltereds {
        if rows == limit {
            break;
        }
        match &u {
            Unfiltered::Row(r) => {
                if r.has_live_data(now) {
                    rows += 1;
                }
                last_row = Some(r.clustering.clone());
            }
            Unfiltered::Marker(m) => {
                // Read backwards, an end bound opens and a start closes.
                let opens = if reverse {
                    !m.bound.kind.is_start() || m.bound.kind.is_boundary()
                } else {
                    m.bound.kind.is_start()
                };
                open = if opens {
                    if reverse {
                        m.end_deletion
                    } else {
                        m.start_deletion
                    }
                } else {
                    None
                };
            }
        }
        out.push(u);
    }
    if let (Some(deletion), Some(values)) = (open, last_row) {
        if rows == limit {
            let marker = if reverse {
                Marker {
                    bound: ClusteringBound {
                        kind: PrefixKind::InclStartBound,
                        values,
                    },
                    end_deletion: None,
                    start_deletion: Some(deletion),
                }
            } else {
                Marker {
                    bound: ClusteringBound {
                        kind: PrefixKind::InclEndBound,
                        values,
                    },
                    end_deletion: Some(deletion),
                    start_deletion: None,
                }
            };
            out.push(Unfiltered::Marker(marker));
        }
    }
    out
}

/// Whether `kept`, the first `limit` live rows of a read whose sources
/// were read only up to `cut` (the earliest clustering where one stopped),
/// is the true answer: every source is whole up to `cut`, so it is when
/// the limit was reached at or before `cut` (a read that stopped nowhere
/// is always whole).
pub(crate) fn complete_before(
    types: &[String],
    kept: &[Unfiltered],
    limit: usize,
    cut: Option<&[ilion_sstable::clustering::ClusteringValue]>,
    now: i64,
) -> bool {
    let Some(cut) = cut else {
        return true;
    };
    let live = kept
        .iter()
        .filter(|u| matches!(u, Unfiltered::Row(r) if r.has_live_data(now)))
        .count();
    let last = kept.iter().rev().find_map(|u| match u {
        Unfiltered::Row(r) => Some(&r.clustering),
        Unfiltered::Marker(_) => None,
    });
    live == limit
        && last.is_some_and(|last| {
            ilion_sstable::clustering::compare_clusterings(types, last, cut).is_le()
        })
}
