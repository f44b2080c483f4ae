//! Partitions, rows, markers and cells as Data.db holds them, decoded.

use crate::clustering::{ClusteringBound, ClusteringValue};
use crate::reconcile::{CellKind, DeletionTime, LivenessInfo};

/// A partition: key, deletion, optional static row, rows and markers in
/// clustering order.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    /// The raw partition key bytes.
    pub key: Vec<u8>,
    /// The partition-level deletion (`DeletionTime::LIVE` when none).
    pub deletion: DeletionTime,
    /// The static row, if the table has static columns.
    pub static_row: Option<Row>,
    /// Rows and range tombstone markers.
    pub unfiltereds: Vec<Unfiltered>,
}

impl Partition {
    /// Appends to `out` every write timestamp the partition holds: each
    /// cell's, each liveness's and each non-live deletion's (what
    /// Cassandra's statistics fold into the SSTable's min and max).
    pub fn timestamps(&self, out: &mut Vec<i64>) {
        let deletion = |d: &DeletionTime, out: &mut Vec<i64>| {
            if !d.is_live() {
                out.push(d.marked_for_delete_at);
            }
        };
        deletion(&self.deletion, out);
        let row = |r: &Row, out: &mut Vec<i64>| {
            if let Some(l) = &r.liveness {
                out.push(l.timestamp);
            }
            if let Some(d) = &r.deletion {
                deletion(d, out);
            }
            for c in &r.columns {
                match c {
                    ColumnData::Simple { cell, .. } => out.push(cell.timestamp),
                    ColumnData::Complex {
                        deletion: d, cells, ..
                    } => {
                        deletion(d, out);
                        out.extend(cells.iter().map(|c| c.timestamp));
                    }
                }
            }
        };
        if let Some(s) = &self.static_row {
            row(s, out);
        }
        for u in &self.unfiltereds {
            match u {
                Unfiltered::Row(r) => row(r, out),
                Unfiltered::Marker(m) => {
                    for d in [&m.start_deletion, &m.end_deletion].into_iter().flatten() {
                        deletion(d, out);
                    }
                }
            }
        }
    }
}

/// A row or a range tombstone marker.
#[derive(Debug, Clone, PartialEq)]
pub enum Unfiltered {
    /// A row.
    Row(Row),
    /// A range tombstone bound or boundary.
    Marker(Marker),
}

/// A row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Clustering values (empty for the static row and for tables without
    /// clustering columns).
    pub clustering: Vec<ClusteringValue>,
    /// Primary-key liveness, if any.
    pub liveness: Option<LivenessInfo>,
    /// Row deletion, if any.
    pub deletion: Option<DeletionTime>,
    /// The columns present, in header order.
    pub columns: Vec<ColumnData>,
}

impl Row {
    /// A row with no clustering and nothing in it: what Data.db holds as
    /// the static row of a partition without static data.
    pub fn empty_static() -> Row {
        Row {
            clustering: Vec::new(),
            liveness: None,
            deletion: None,
            columns: Vec::new(),
        }
    }

    /// Whether the row holds no liveness, deletion or column.
    pub fn is_empty(&self) -> bool {
        self.liveness.is_none() && self.deletion.is_none() && self.columns.is_empty()
    }

    /// Whether the row shows anything to a reader at `now` (seconds since
    /// the epoch): live primary-key liveness or a live cell (Cassandra's
    /// `Row.hasLiveData`). Limits count only such rows. Shadowing by
    /// deletions is not checked here: merged rows carry no shadowed data.
    pub fn has_live_data(&self, now: i64) -> bool {
        let liveness = self
            .liveness
            .is_some_and(|l| l.expiry.is_none_or(|(_, expires)| expires > now));
        liveness
            || self.columns.iter().any(|c| match c {
                ColumnData::Simple { cell, .. } => cell.is_live(now),
                ColumnData::Complex { cells, .. } => cells.iter().any(|cell| cell.is_live(now)),
            })
    }
}

/// The data of one column in a row.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// A simple column: one cell.
    Simple {
        /// Index of the column in the header's static or regular list.
        column: usize,
        /// Its cell.
        cell: Cell,
    },
    /// A complex (multi-cell) column: a collection or non-frozen UDT.
    Complex {
        /// Index of the column in the header's static or regular list.
        column: usize,
        /// Deletion of the whole collection (`LIVE` when none).
        deletion: DeletionTime,
        /// Cells in cell-path order.
        cells: Vec<Cell>,
    },
}

/// A cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Write timestamp in microseconds.
    pub timestamp: i64,
    /// Live, expiring or tombstone.
    pub kind: CellKind,
    /// The cell path in a complex column.
    pub path: Option<Vec<u8>>,
    /// The value bytes.
    pub value: Vec<u8>,
}

impl Cell {
    /// Whether the cell holds a value at `now`: live, or expiring later.
    pub fn is_live(&self, now: i64) -> bool {
        match self.kind {
            CellKind::Live => true,
            CellKind::Expiring {
                local_expiration_time,
                ..
            } => local_expiration_time > now,
            CellKind::Tombstone { .. } => false,
        }
    }
}

/// A range tombstone marker.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// The bound or boundary.
    pub bound: ClusteringBound,
    /// For a bound, its deletion; for a boundary, the deletion it closes.
    pub end_deletion: Option<DeletionTime>,
    /// For a boundary (or a start bound), the deletion it opens.
    pub start_deletion: Option<DeletionTime>,
}
