//! Reconciliation: which of two versions of the same cell wins, and what a
//! deletion shadows — exactly as Cassandra decides (`Cells.reconcile`,
//! `DeletionTime`, `LivenessInfo.supersedes` in Cassandra 4.0 and 5.0).
//!
//! The rules form a total order, so the result never depends on the order
//! in which versions meet: replaying a log, merging SSTables and compacting
//! them all agree.

use std::cmp::Ordering;

/// What a cell is, beyond its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CellKind {
    /// A plain live cell.
    Live,
    /// A cell written with a TTL: live until `local_expiration_time`
    /// (seconds since the epoch), a tombstone afterwards.
    Expiring {
        /// The TTL it was written with, in seconds.
        ttl: u32,
        /// When it expires, in seconds since the epoch.
        local_expiration_time: i64,
    },
    /// A cell tombstone.
    Tombstone {
        /// When the deletion was made, in seconds since the epoch (decides
        /// when gc_grace lets it be purged).
        local_deletion_time: i64,
    },
}

impl CellKind {
    /// The local deletion time Cassandra compares: expiry for an expiring
    /// cell, deletion for a tombstone, none for a live cell.
    fn local_deletion_time(self) -> Option<i64> {
        match self {
            CellKind::Live => None,
            CellKind::Expiring {
                local_expiration_time,
                ..
            } => Some(local_expiration_time),
            CellKind::Tombstone {
                local_deletion_time,
            } => Some(local_deletion_time),
        }
    }
}

/// The reconcilable part of a cell: its write timestamp (microseconds), its
/// kind and its value bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CellVersion<'a> {
    /// Write timestamp in microseconds.
    pub timestamp: i64,
    /// Live, expiring or tombstone.
    pub kind: CellKind,
    /// The value bytes (empty for a tombstone).
    pub value: &'a [u8],
}

/// Orders two versions of the same regular (non-counter) cell: `Greater`
/// means `left` wins. The rules, in order:
/// 1. the higher timestamp wins;
/// 2. at equal timestamps, a tombstone or expiring cell beats a live one
///    (expiring cells count as future tombstones, CASSANDRA-14592);
/// 3. between a tombstone and an expiring cell, the tombstone wins;
/// 4. between two tombstones or two expiring cells, the larger local
///    deletion time wins;
/// 5. then the greater value, comparing bytes unsigned;
///
/// `Equal` only for identical timestamp, kind-class, deletion time and
/// value, where either may be kept.
pub fn compare_versions(left: &CellVersion<'_>, right: &CellVersion<'_>) -> Ordering {
    left.timestamp
        .cmp(&right.timestamp)
        .then_with(|| {
            let (l, r) = (
                left.kind.local_deletion_time(),
                right.kind.local_deletion_time(),
            );
            match (l, r) {
                (None, None) => Ordering::Equal,
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (Some(l), Some(r)) => {
                    let l_tombstone = matches!(left.kind, CellKind::Tombstone { .. });
                    let r_tombstone = matches!(right.kind, CellKind::Tombstone { .. });
                    l_tombstone.cmp(&r_tombstone).then(l.cmp(&r))
                }
            }
        })
        .then_with(|| left.value.cmp(right.value))
}

/// The winner of two versions of the same regular cell (`left` on a
/// complete tie, as Cassandra keeps).
pub fn reconcile<'a, 'b>(
    left: &'b CellVersion<'a>,
    right: &'b CellVersion<'a>,
) -> &'b CellVersion<'a> {
    if compare_versions(left, right) == Ordering::Less {
        right
    } else {
        left
    }
}

/// A deletion: of a partition, a row, or a range of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeletionTime {
    /// Everything written at or before this timestamp (microseconds) is
    /// deleted.
    pub marked_for_delete_at: i64,
    /// When the deletion was made, in seconds since the epoch.
    pub local_deletion_time: i64,
}

impl DeletionTime {
    /// No deletion: deletes nothing and loses to every real deletion.
    pub const LIVE: DeletionTime = DeletionTime {
        marked_for_delete_at: i64::MIN,
        local_deletion_time: i64::MAX,
    };

    /// Whether this is no deletion at all.
    pub fn is_live(&self) -> bool {
        self.marked_for_delete_at == i64::MIN
    }

    /// Whether data written at `timestamp` is shadowed: ties go to the
    /// deletion.
    pub fn deletes(&self, timestamp: i64) -> bool {
        !self.is_live() && timestamp <= self.marked_for_delete_at
    }

    /// Whether this deletion supersedes `other`: the later
    /// `marked_for_delete_at`, then the later local deletion time.
    pub fn supersedes(&self, other: &DeletionTime) -> bool {
        (self.marked_for_delete_at, self.local_deletion_time)
            > (other.marked_for_delete_at, other.local_deletion_time)
    }
}

/// A row's primary-key liveness: its timestamp and, when written with a
/// TTL, its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LivenessInfo {
    /// Write timestamp in microseconds.
    pub timestamp: i64,
    /// `(ttl, local_expiration_time)` when written with a TTL.
    pub expiry: Option<(u32, i64)>,
}

impl LivenessInfo {
    /// Whether this supersedes `other` (Cassandra's
    /// `LivenessInfo.supersedes`): the higher timestamp; at equal
    /// timestamps an expiring one beats a plain one, and between two
    /// expiring ones the later expiry wins.
    pub fn supersedes(&self, other: &LivenessInfo) -> bool {
        if self.timestamp != other.timestamp {
            return self.timestamp > other.timestamp;
        }
        match (self.expiry, other.expiry) {
            (Some((_, mine)), Some((_, theirs))) => mine > theirs,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(timestamp: i64, value: &[u8]) -> CellVersion<'_> {
        CellVersion {
            timestamp,
            kind: CellKind::Live,
            value,
        }
    }

    fn expiring(timestamp: i64, expires: i64, value: &[u8]) -> CellVersion<'_> {
        CellVersion {
            timestamp,
            kind: CellKind::Expiring {
                ttl: 60,
                local_expiration_time: expires,
            },
            value,
        }
    }

    fn tombstone(timestamp: i64, deleted: i64) -> CellVersion<'static> {
        CellVersion {
            timestamp,
            kind: CellKind::Tombstone {
                local_deletion_time: deleted,
            },
            value: &[],
        }
    }

    /// `winner` beats `loser` whichever side each is on.
    fn assert_wins(winner: CellVersion<'_>, loser: CellVersion<'_>) {
        assert_eq!(*reconcile(&winner, &loser), winner);
        assert_eq!(*reconcile(&loser, &winner), winner);
    }

    #[test]
    fn higher_timestamp_wins_whatever_the_kinds() {
        assert_wins(live(11, b"a"), tombstone(10, 999));
        assert_wins(tombstone(11, 1), live(10, b"zzz"));
        assert_wins(live(11, b""), expiring(10, 999, b"zz"));
    }

    #[test]
    fn at_equal_timestamps_a_tombstone_beats_a_live_cell() {
        assert_wins(tombstone(10, 1), live(10, b"\xff\xff"));
    }

    #[test]
    fn at_equal_timestamps_an_expiring_cell_beats_a_live_cell() {
        assert_wins(expiring(10, 1, b""), live(10, b"\xff\xff"));
    }

    #[test]
    fn at_equal_timestamps_a_tombstone_beats_an_expiring_cell() {
        assert_wins(tombstone(10, 1), expiring(10, 999, b"\xff"));
    }

    #[test]
    fn between_two_expiring_cells_the_later_expiry_wins() {
        assert_wins(expiring(10, 200, b"a"), expiring(10, 100, b"z"));
    }

    #[test]
    fn between_two_tombstones_the_later_deletion_time_wins() {
        assert_wins(tombstone(10, 200), tombstone(10, 100));
    }

    #[test]
    fn finally_the_greater_value_wins_comparing_bytes_unsigned() {
        assert_wins(live(10, b"\x80"), live(10, b"\x7f"));
        assert_wins(live(10, b"ab"), live(10, b"a"));
        assert_wins(expiring(10, 5, b"b"), expiring(10, 5, b"a"));
        let same = live(10, b"x");
        assert_eq!(compare_versions(&same, &same), Ordering::Equal);
    }

    #[test]
    fn a_deletion_shadows_data_at_or_before_its_timestamp() {
        let deletion = DeletionTime {
            marked_for_delete_at: 100,
            local_deletion_time: 5,
        };
        assert!(deletion.deletes(99));
        assert!(deletion.deletes(100), "ties go to the deletion");
        assert!(!deletion.deletes(101));
        assert!(!DeletionTime::LIVE.deletes(i64::MIN));
        assert!(deletion.supersedes(&DeletionTime::LIVE));
        let later_local = DeletionTime {
            local_deletion_time: 6,
            ..deletion
        };
        assert!(later_local.supersedes(&deletion));
        assert!(!deletion.supersedes(&deletion));
    }

    #[test]
    fn liveness_supersedes_by_timestamp_then_expiry() {
        let plain = LivenessInfo {
            timestamp: 10,
            expiry: None,
        };
        let ttl = LivenessInfo {
            timestamp: 10,
            expiry: Some((60, 100)),
        };
        let later_ttl = LivenessInfo {
            timestamp: 10,
            expiry: Some((60, 200)),
        };
        assert!(ttl.supersedes(&plain) && !plain.supersedes(&ttl));
        assert!(later_ttl.supersedes(&ttl) && !ttl.supersedes(&later_ttl));
        assert!(LivenessInfo {
            timestamp: 11,
            expiry: None
        }
        .supersedes(&later_ttl));
    }

    /// The order is total and consistent: reconciling in any order gives
    /// the same winner (what makes replay and compaction idempotent).
    #[test]
    fn reconciliation_does_not_depend_on_order() {
        let values: [&[u8]; 3] = [b"", b"a", b"\x90"];
        let mut versions = Vec::new();
        for ts in [1, 2] {
            for v in values {
                versions.push(live(ts, v));
                versions.push(expiring(ts, 50, v));
                versions.push(expiring(ts, 60, v));
            }
            versions.push(tombstone(ts, 50));
            versions.push(tombstone(ts, 60));
        }
        for a in &versions {
            for b in &versions {
                for c in &versions {
                    let left_first = *reconcile(reconcile(a, b), c);
                    let right_first = *reconcile(a, reconcile(b, c));
                    assert_eq!(compare_versions(&left_first, &right_first), Ordering::Equal);
                }
                let ab = compare_versions(a, b);
                assert_eq!(ab, compare_versions(b, a).reverse());
            }
        }
    }
}
