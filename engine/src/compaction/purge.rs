//! Dropping what a compaction may forget: tombstones older than gc_grace
//! that shadow nothing outside the compaction, and expired TTL data, by
//! Cassandra's rule (`PurgeFunction`, `Cell.purge`, `Row.purge`).
//!
//! A tombstone (timestamp `ts`, local deletion time `ldt`) is purged only
//! when `ldt < gc_before` **and** `ts < max_purgeable`, where
//! `max_purgeable` is the smallest timestamp of any data for the same
//! partition that the compaction does not see (other SSTables whose bloom
//! filter may hold the key, memtables holding it). A tombstone that still
//! shadows such data is kept, so that data cannot come back. An expired
//! cell that may not be purged yet becomes a tombstone (its value
//! dropped) whose deletion time is its write time.

use ilion_sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion_sstable::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};
use std::cell::OnceCell;

/// Cassandra's purge rule at one moment: what has expired is decided at
/// `now`, and deletions older than `gc_before` may go.
///
/// ```
/// use ilion::compaction::purge::Purger;
/// use ilion::sstable::reconcile::DeletionTime;
/// use ilion::sstable::rows::Partition;
/// let deleted = Partition {
///     key: b"k".to_vec(),
///     deletion: DeletionTime { marked_for_delete_at: 10, local_deletion_time: 100 },
///     static_row: None,
///     unfiltereds: vec![],
/// };
/// let purger = Purger { now: 2_000, gc_before: 1_000 };
/// // Past gc_grace and nothing older elsewhere: gone.
/// assert!(purger.purge(deleted.clone(), &|_key| i64::MAX).is_none());
/// // Older data for the key in an SSTable outside the compaction: kept.
/// assert!(purger.purge(deleted, &|_key| 5).is_some());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purger {
    /// Now, in seconds since the epoch.
    pub now: i64,
    /// Now minus gc_grace, in seconds.
    pub gc_before: i64,
}

impl Purger {
    /// What of `partition` (merged from every input of a compaction) the
    /// output keeps; `None` when nothing is left. `max_purgeable(key)` is
    /// the smallest timestamp of data for the partition outside the
    /// compaction (`i64::MAX` when there is none); it is asked at most
    /// once, and only when some deletion is past `gc_before` (it probes
    /// bloom filters).
    pub fn purge(
        &self,
        partition: Partition,
        max_purgeable: &dyn Fn(&[u8]) -> i64,
    ) -> Option<Partition> {
        let Partition {
            key,
            deletion,
            static_row,
            unfiltereds,
        } = partition;
        let pass = PartitionPass {
            rule: *self,
            key: &key,
            max_purgeable,
            known: OnceCell::new(),
        };
        let deletion = pass.purge_deletion(deletion);
        let static_row = static_row.and_then(|r| pass.purge_row(r));
        let unfiltereds: Vec<Unfiltered> = unfiltereds
            .into_iter()
            .filter_map(|u| match u {
                Unfiltered::Row(row) => pass.purge_row(row).map(Unfiltered::Row),
                Unfiltered::Marker(marker) => pass.purge_marker(marker).map(Unfiltered::Marker),
            })
            .collect();
        let empty = deletion.is_live() && static_row.is_none() && unfiltereds.is_empty();
        (!empty).then_some(Partition {
            key,
            deletion,
            static_row,
            unfiltereds,
        })
    }
}

/// The rule applied to one partition, remembering what is outside the
/// compaction once asked.
struct PartitionPass<'a> {
    rule: Purger,
    key: &'a [u8],
    max_purgeable: &'a dyn Fn(&[u8]) -> i64,
    known: OnceCell<i64>,
}

impl PartitionPass<'_> {
    fn should_purge(&self, timestamp: i64, local_deletion_time: i64) -> bool {
        local_deletion_time < self.rule.gc_before
            && timestamp < *self.known.get_or_init(|| (self.max_purgeable)(self.key))
    }

    fn purge_deletion(&self, deletion: DeletionTime) -> DeletionTime {
        if !deletion.is_live()
            && self.should_purge(deletion.marked_for_delete_at, deletion.local_deletion_time)
        {
            DeletionTime::LIVE
        } else {
            deletion
        }
    }

    fn purge_liveness(&self, liveness: LivenessInfo) -> Option<LivenessInfo> {
        match liveness.expiry {
            Some((_, expires)) if expires <= self.rule.now => {
                (!self.should_purge(liveness.timestamp, expires)).then_some(liveness)
            }
            _ => Some(liveness),
        }
    }

    fn purge_cell(&self, cell: Cell) -> Option<Cell> {
        match cell.kind {
            CellKind::Live => Some(cell),
            CellKind::Expiring {
                ttl,
                local_expiration_time,
            } => {
                if local_expiration_time > self.rule.now {
                    return Some(cell);
                }
                if self.should_purge(cell.timestamp, local_expiration_time) {
                    return None;
                }
                let written = local_expiration_time - i64::from(ttl);
                self.purge_cell(Cell {
                    timestamp: cell.timestamp,
                    kind: CellKind::Tombstone {
                        local_deletion_time: written,
                    },
                    path: cell.path,
                    value: Vec::new(),
                })
            }
            CellKind::Tombstone {
                local_deletion_time,
            } => (!self.should_purge(cell.timestamp, local_deletion_time)).then_some(cell),
        }
    }

    fn purge_row(&self, row: Row) -> Option<Row> {
        let deletion = row
            .deletion
            .map(|d| self.purge_deletion(d))
            .filter(|d| !d.is_live());
        let liveness = row.liveness.and_then(|l| self.purge_liveness(l));
        let columns = row
            .columns
            .into_iter()
            .filter_map(|c| match c {
                ColumnData::Simple { column, cell } => self
                    .purge_cell(cell)
                    .map(|cell| ColumnData::Simple { column, cell }),
                ColumnData::Complex {
                    column,
                    deletion,
                    cells,
                } => {
                    let deletion = self.purge_deletion(deletion);
                    let cells: Vec<Cell> = cells
                        .into_iter()
                        .filter_map(|c| self.purge_cell(c))
                        .collect();
                    (!deletion.is_live() || !cells.is_empty()).then_some(ColumnData::Complex {
                        column,
                        deletion,
                        cells,
                    })
                }
            })
            .collect();
        let row = Row {
            clustering: row.clustering,
            liveness,
            deletion,
            columns,
        };
        (!row.is_empty()).then_some(row)
    }

    /// A range tombstone marker, or what is left of it: a boundary whose
    /// one side goes becomes the bound of the other side.
    fn purge_marker(&self, marker: Marker) -> Option<Marker> {
        let purged = |d: Option<DeletionTime>| d.is_none_or(|d| self.purge_deletion(d).is_live());
        let close_goes = purged(marker.end_deletion);
        let open_goes = purged(marker.start_deletion);
        if !marker.bound.kind.is_boundary() {
            let goes = if marker.bound.kind.is_start() {
                open_goes
            } else {
                close_goes
            };
            return (!goes).then_some(marker);
        }
        match (close_goes, open_goes) {
            (true, true) => None,
            (false, false) => Some(marker),
            (true, false) => Some(Marker {
                bound: marker.bound.boundary_parts().1,
                end_deletion: None,
                start_deletion: marker.start_deletion,
            }),
            (false, true) => Some(Marker {
                bound: marker.bound.boundary_parts().0,
                end_deletion: marker.end_deletion,
                start_deletion: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ilion_sstable::clustering::{ClusteringBound, PrefixKind};

    const NOW: i64 = 1_000_000;
    const GC_BEFORE: i64 = 900_000;

    fn deletion(at: i64, ldt: i64) -> DeletionTime {
        DeletionTime {
            marked_for_delete_at: at,
            local_deletion_time: ldt,
        }
    }

    fn bound(kind: PrefixKind, value: u8) -> ClusteringBound {
        ClusteringBound {
            kind,
            values: vec![Some(vec![value])],
        }
    }

    fn marker(
        kind: PrefixKind,
        value: u8,
        end: Option<DeletionTime>,
        start: Option<DeletionTime>,
    ) -> Unfiltered {
        Unfiltered::Marker(Marker {
            bound: bound(kind, value),
            end_deletion: end,
            start_deletion: start,
        })
    }

    fn cell(timestamp: i64, kind: CellKind, value: &[u8]) -> ColumnData {
        ColumnData::Simple {
            column: 0,
            cell: Cell {
                timestamp,
                kind,
                path: None,
                value: value.to_vec(),
            },
        }
    }

    fn row(value: u8, liveness: Option<LivenessInfo>, columns: Vec<ColumnData>) -> Unfiltered {
        Unfiltered::Row(Row {
            clustering: vec![Some(vec![value])],
            liveness,
            deletion: None,
            columns,
        })
    }

    fn partition(unfiltereds: Vec<Unfiltered>) -> Partition {
        Partition {
            key: b"k".to_vec(),
            deletion: DeletionTime::LIVE,
            static_row: None,
            unfiltereds,
        }
    }

    fn purge(p: Partition, max_purgeable: i64) -> Option<Partition> {
        let purger = Purger {
            now: NOW,
            gc_before: GC_BEFORE,
        };
        purger.purge(p, &|key| {
            assert_eq!(key, b"k", "asked about the partition's own key");
            max_purgeable
        })
    }

    /// An old range (purgeable) meeting a recent one at a boundary: the
    /// boundary becomes the recent range's start; the old range's start
    /// goes; the recent range's end stays.
    #[test]
    fn a_boundary_keeps_the_side_that_must_stay() {
        let old = deletion(10, 100);
        let recent = deletion(20, 950_000);
        let p = partition(vec![
            marker(PrefixKind::InclStartBound, 1, None, Some(old)),
            marker(
                PrefixKind::ExclEndInclStartBoundary,
                5,
                Some(old),
                Some(recent),
            ),
            marker(PrefixKind::InclEndBound, 9, Some(recent), None),
        ]);
        let purged = purge(p, i64::MAX).expect("the recent range stays");
        assert_eq!(
            purged.unfiltereds,
            vec![
                marker(PrefixKind::InclStartBound, 5, None, Some(recent)),
                marker(PrefixKind::InclEndBound, 9, Some(recent), None),
            ]
        );
        // The other way round: the recent range first, closed by the
        // boundary's end side.
        let p = partition(vec![
            marker(PrefixKind::InclStartBound, 1, None, Some(recent)),
            marker(
                PrefixKind::InclEndExclStartBoundary,
                5,
                Some(recent),
                Some(old),
            ),
            marker(PrefixKind::InclEndBound, 9, Some(old), None),
        ]);
        let purged = purge(p, i64::MAX).expect("the recent range stays");
        assert_eq!(
            purged.unfiltereds,
            vec![
                marker(PrefixKind::InclStartBound, 1, None, Some(recent)),
                marker(PrefixKind::InclEndBound, 5, Some(recent), None),
            ]
        );
    }

    #[test]
    fn ranges_stay_while_older_data_is_elsewhere_and_go_together_otherwise() {
        let old = deletion(10, 100);
        let p = partition(vec![
            marker(PrefixKind::InclStartBound, 1, None, Some(old)),
            marker(
                PrefixKind::ExclEndInclStartBoundary,
                5,
                Some(old),
                Some(old),
            ),
            marker(PrefixKind::InclEndBound, 9, Some(old), None),
        ]);
        // Data at timestamp 5 outside the compaction: everything stays.
        assert_eq!(purge(p.clone(), 5).as_ref(), Some(&p));
        // Nothing older elsewhere: the whole partition goes.
        assert_eq!(purge(p, i64::MAX), None);
    }

    #[test]
    fn deletions_within_gc_grace_stay() {
        let recent = deletion(10, GC_BEFORE);
        let p = Partition {
            deletion: recent,
            ..partition(vec![])
        };
        assert_eq!(purge(p.clone(), i64::MAX), Some(p));
    }

    #[test]
    fn expired_cells_become_tombstones_at_their_write_time_or_go() {
        // Written at NOW - 200 with a TTL of 100: expired at NOW - 100,
        // within gc_grace, so it stays as a tombstone dated at its write.
        let expiring = CellKind::Expiring {
            ttl: 100,
            local_expiration_time: NOW - 100,
        };
        let p = partition(vec![row(1, None, vec![cell(7, expiring, b"value")])]);
        let kept = purge(p, i64::MAX).expect("within gc_grace");
        assert_eq!(
            kept.unfiltereds,
            vec![row(
                1,
                None,
                vec![cell(
                    7,
                    CellKind::Tombstone {
                        local_deletion_time: NOW - 200
                    },
                    b""
                )]
            )]
        );
        // Written long ago: past gc_grace once converted, and gone.
        let ancient = CellKind::Expiring {
            ttl: 100,
            local_expiration_time: GC_BEFORE - 1,
        };
        let p = partition(vec![row(1, None, vec![cell(7, ancient, b"value")])]);
        assert_eq!(purge(p.clone(), i64::MAX), None);
        // Unless older data is elsewhere: then a tombstone, value dropped.
        let kept = purge(p, 3).expect("older data elsewhere");
        assert_eq!(
            kept.unfiltereds,
            vec![row(
                1,
                None,
                vec![cell(
                    7,
                    CellKind::Tombstone {
                        local_deletion_time: GC_BEFORE - 101
                    },
                    b""
                )]
            )]
        );
        // A live expiring cell is left alone.
        let live = CellKind::Expiring {
            ttl: 100,
            local_expiration_time: NOW + 1,
        };
        let p = partition(vec![row(1, None, vec![cell(7, live, b"value")])]);
        assert_eq!(purge(p.clone(), i64::MAX), Some(p));
    }

    #[test]
    fn expired_row_liveness_goes_past_gc_grace_and_rows_left_empty_go() {
        let expired = LivenessInfo {
            timestamp: 7,
            expiry: Some((100, GC_BEFORE - 1)),
        };
        let live = cell(8, CellKind::Live, b"v");
        let p = partition(vec![
            row(1, Some(expired), vec![]),
            row(2, Some(expired), vec![live.clone()]),
        ]);
        let purged = purge(p, i64::MAX).expect("row 2 has a live cell");
        assert_eq!(purged.unfiltereds, vec![row(2, None, vec![live])]);
        // Expired but within gc_grace: kept as it is.
        let recent = LivenessInfo {
            timestamp: 7,
            expiry: Some((100, NOW - 1)),
        };
        let p = partition(vec![row(1, Some(recent), vec![])]);
        assert_eq!(purge(p.clone(), i64::MAX), Some(p));
    }

    #[test]
    fn row_deletions_and_cell_tombstones_follow_the_same_rule() {
        let p = partition(vec![Unfiltered::Row(Row {
            clustering: vec![Some(vec![1])],
            liveness: None,
            deletion: Some(deletion(10, 100)),
            columns: vec![cell(
                11,
                CellKind::Tombstone {
                    local_deletion_time: 100,
                },
                b"",
            )],
        })]);
        assert_eq!(purge(p.clone(), i64::MAX), None);
        // Data at timestamp 10 elsewhere: the row deletion (at 10, not
        // below 10) and the cell tombstone (at 11) both stay.
        assert_eq!(purge(p.clone(), 10).as_ref(), Some(&p));
        // Data at 11 elsewhere: the deletion at 10 may go, the tombstone
        // at 11 stays.
        let kept = purge(p, 11).expect("the tombstone at 11 stays");
        let Unfiltered::Row(row) = &kept.unfiltereds[0] else {
            panic!("a row");
        };
        assert_eq!((row.deletion, row.columns.len()), (None, 1));
    }
}
