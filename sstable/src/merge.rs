//! Merging versions of one partition — from memtables and SSTables, or the
//! inputs of a compaction — into one, as Cassandra's merge does: cells by
//! the one [`reconcile`](crate::reconcile) rule, the newest row liveness
//! and deletions, range tombstones combined into one non-overlapping set
//! (where ranges overlap, the deletion that supersedes wins), and data
//! shadowed by a deletion dropped. Tombstones themselves are kept (purging
//! them is compaction's decision, under gc_grace); TTLs are not applied
//! (expired cells stay expiring cells until a reader or compaction
//! interprets them at its own "now").

use crate::clustering::{
    compare_clusterings, compare_prefix_parts, compare_prefixes, ClusteringBound, PrefixKind,
};
use crate::error::{Error, Result};
use crate::reconcile::{compare_versions, CellVersion, DeletionTime};
use crate::rows::{Cell, ColumnData, Marker, Partition, Row, Unfiltered};
use std::cmp::Ordering;
use std::path::PathBuf;

/// One range tombstone: from `start` to `end` (bounds), deleted by
/// `deletion`.
#[derive(Debug, Clone)]
struct Range {
    start: ClusteringBound,
    end: ClusteringBound,
    deletion: DeletionTime,
}

/// The ranges a partition's markers describe.
fn ranges_of(partition: &Partition) -> Result<Vec<Range>> {
    let mut ranges = Vec::new();
    let mut open: Option<(ClusteringBound, DeletionTime)> = None;
    let malformed = || Error::invalid("range tombstone markers that do not open and close in turn");
    for unfiltered in &partition.unfiltereds {
        let Unfiltered::Marker(marker) = unfiltered else {
            continue;
        };
        let kind = marker.bound.kind;
        if kind.is_boundary() {
            let (end, start) = marker.bound.boundary_parts();
            let (from, deletion) = open.take().ok_or_else(malformed)?;
            ranges.push(Range {
                start: from,
                end,
                deletion,
            });
            open = Some((start, marker.start_deletion.ok_or_else(malformed)?));
        } else if kind.is_start() {
            if open.is_some() {
                return Err(malformed());
            }
            open = Some((
                marker.bound.clone(),
                marker.start_deletion.ok_or_else(malformed)?,
            ));
        } else {
            let (from, deletion) = open.take().ok_or_else(malformed)?;
            ranges.push(Range {
                start: from,
                end: marker.bound.clone(),
                deletion,
            });
        }
    }
    if open.is_some() {
        return Err(malformed());
    }
    Ok(ranges)
}

/// The combined range deletions as a step function: each point and the
/// deletion in force from it to the next point (`None`: no range).
struct Coverage {
    steps: Vec<(ClusteringBound, Option<DeletionTime>)>,
}

impl Coverage {
    fn new(types: &[String], ranges: &[Range], partition_deletion: &DeletionTime) -> Coverage {
        // Ranges the partition deletion already covers change nothing.
        let ranges: Vec<&Range> = ranges
            .iter()
            .filter(|r| r.deletion.supersedes(partition_deletion))
            .collect();
        let mut points: Vec<ClusteringBound> = ranges
            .iter()
            .flat_map(|r| [r.start.clone(), r.end.clone()])
            .collect();
        points.sort_by(|a, b| compare_prefixes(types, a, b));
        points.dedup_by(|a, b| compare_prefixes(types, a, b) == Ordering::Equal);
        let mut steps = Vec::with_capacity(points.len());
        for (i, point) in points.iter().enumerate() {
            let next = points.get(i + 1);
            let deletion = next.and_then(|next| {
                ranges
                    .iter()
                    .filter(|r| {
                        compare_prefixes(types, &r.start, point) != Ordering::Greater
                            && compare_prefixes(types, &r.end, next) != Ordering::Less
                    })
                    .map(|r| r.deletion)
                    .reduce(|a, b| if b.supersedes(&a) { b } else { a })
            });
            steps.push((point.clone(), deletion));
        }
        Coverage { steps }
    }

    /// The range deletion covering the row at `clustering`.
    fn at(&self, types: &[String], clustering: &[Option<Vec<u8>>]) -> Option<DeletionTime> {
        let after = self.steps.partition_point(|(point, _)| {
            compare_prefix_parts(
                types,
                (point.kind, &point.values),
                (PrefixKind::Clustering, clustering),
            ) != Ordering::Greater
        });
        after.checked_sub(1).and_then(|i| self.steps[i].1)
    }

    /// The markers that describe the coverage.
    fn markers(&self) -> Vec<Marker> {
        let mut markers = Vec::new();
        let mut current: Option<DeletionTime> = None;
        for (point, deletion) in &self.steps {
            if *deletion == current {
                continue;
            }
            let marker = match (current, deletion) {
                (None, Some(d)) => Marker {
                    bound: point.clone(),
                    end_deletion: None,
                    start_deletion: Some(*d),
                },
                (Some(c), None) => Marker {
                    bound: point.clone(),
                    end_deletion: Some(c),
                    start_deletion: None,
                },
                (Some(c), Some(d)) => {
                    // One range ends where the next begins: a boundary.
                    let kind = match point.kind {
                        PrefixKind::ExclEndBound | PrefixKind::InclStartBound => {
                            PrefixKind::ExclEndInclStartBoundary
                        }
                        _ => PrefixKind::InclEndExclStartBoundary,
                    };
                    Marker {
                        bound: ClusteringBound {
                            kind,
                            values: point.values.clone(),
                        },
                        end_deletion: Some(c),
                        start_deletion: Some(*d),
                    }
                }
                (None, None) => continue,
            };
            markers.push(marker);
            current = *deletion;
        }
        markers
    }
}

/// The later of two deletions.
fn latest(a: DeletionTime, b: DeletionTime) -> DeletionTime {
    if b.supersedes(&a) {
        b
    } else {
        a
    }
}

fn unsupported(what: &str) -> Error {
    Error::Unsupported {
        path: PathBuf::new(),
        what: what.to_string(),
    }
}

fn version(cell: &Cell) -> CellVersion<'_> {
    CellVersion {
        timestamp: cell.timestamp,
        kind: cell.kind,
        value: &cell.value,
    }
}

/// Merges versions of one row (same clustering) and drops what `active`
/// (the partition or range deletion over it) shadows; `None` if nothing is
/// left.
fn merge_rows(rows: Vec<Row>, active: DeletionTime) -> Result<Option<Row>> {
    let mut merged = Row {
        clustering: Vec::new(),
        liveness: None,
        deletion: None,
        columns: Vec::new(),
    };
    let mut cells: Vec<(usize, Cell)> = Vec::new();
    for row in rows {
        merged.clustering = row.clustering;
        if let Some(l) = row.liveness {
            if merged.liveness.is_none_or(|m| l.supersedes(&m)) {
                merged.liveness = Some(l);
            }
        }
        if let Some(d) = row.deletion {
            merged.deletion = Some(merged.deletion.map_or(d, |m| latest(m, d)));
        }
        for data in row.columns {
            match data {
                ColumnData::Simple { column, cell } => cells.push((column, cell)),
                ColumnData::Complex { .. } => {
                    return Err(unsupported("merging collection (multi-cell) columns"))
                }
            }
        }
    }
    // A row deletion the range or partition deletion covers says nothing.
    merged.deletion = merged.deletion.filter(|d| d.supersedes(&active));
    let effective = merged.deletion.map_or(active, |d| latest(active, d));
    merged.liveness = merged.liveness.filter(|l| !effective.deletes(l.timestamp));
    cells.sort_by_key(|(column, _)| *column);
    let mut columns: Vec<ColumnData> = Vec::new();
    for (column, cell) in cells {
        if effective.deletes(cell.timestamp) {
            continue;
        }
        match columns.last_mut() {
            Some(ColumnData::Simple {
                column: c,
                cell: kept,
            }) if *c == column => {
                if compare_versions(&version(&cell), &version(kept)) == Ordering::Greater {
                    *kept = cell;
                }
            }
            _ => columns.push(ColumnData::Simple { column, cell }),
        }
    }
    merged.columns = columns;
    Ok((!merged.is_empty()).then_some(merged))
}

/// Whether merging `partition` alone would return it unchanged: no
/// deletion above its rows and no range markers, and rows in strictly
/// increasing clustering order, each non-empty, without a row deletion,
/// holding simple cells in strictly increasing column order.
fn is_settled(types: &[String], partition: &Partition) -> bool {
    let settled_row = |row: &Row| {
        row.deletion.is_none()
            && !row.is_empty()
            && row
                .columns
                .iter()
                .all(|c| matches!(c, ColumnData::Simple { .. }))
            && row.columns.windows(2).all(|pair| match pair {
                [ColumnData::Simple { column: a, .. }, ColumnData::Simple { column: b, .. }] => {
                    a < b
                }
                _ => false,
            })
    };
    let mut previous: Option<&Row> = None;
    partition.deletion.is_live()
        && partition.static_row.as_ref().is_none_or(settled_row)
        && partition.unfiltereds.iter().all(|u| {
            let Unfiltered::Row(row) = u else {
                return false;
            };
            let ordered = previous
                .is_none_or(|p| compare_clusterings(types, &p.clustering, &row.clustering).is_lt());
            previous = Some(row);
            ordered && settled_row(row)
        })
}

/// Merges versions of the partition with one key into one, with clustering
/// types `types` (see the module's description).
///
/// # Errors
/// [`Error::Invalid`] for versions of different keys or malformed range
/// tombstones; [`Error::Unsupported`] for collection columns (not merged
/// yet).
pub fn merge(types: &[String], mut versions: Vec<Partition>) -> Result<Partition> {
    if versions.len() == 1 && is_settled(types, &versions[0]) {
        // Reads of one source (most partitions of a scan, most point
        // reads) need no rebuilding.
        return versions
            .pop()
            .ok_or_else(|| Error::invalid("merging no partition"));
    }
    let mut versions = versions.into_iter();
    let Some(first) = versions.next() else {
        return Err(Error::invalid("merging no partition"));
    };
    let key = first.key.clone();
    let mut deletion = DeletionTime::LIVE;
    let mut ranges = Vec::new();
    let mut statics = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    for version in std::iter::once(first).chain(versions) {
        if version.key != key {
            return Err(Error::invalid("merging partitions of different keys"));
        }
        deletion = latest(deletion, version.deletion);
        ranges.extend(ranges_of(&version)?);
        statics.extend(version.static_row);
        rows.extend(version.unfiltereds.into_iter().filter_map(|u| match u {
            Unfiltered::Row(r) => Some(r),
            Unfiltered::Marker(_) => None,
        }));
    }
    let coverage = Coverage::new(types, &ranges, &deletion);
    let static_row = if statics.is_empty() {
        None
    } else {
        merge_rows(statics, deletion)?
    };
    // Same clustering next to each other (stable, so the order of versions
    // only matters for complete ties, which reconcile resolves anyway).
    rows.sort_by(|a, b| {
        compare_prefix_parts(
            types,
            (PrefixKind::Clustering, &a.clustering),
            (PrefixKind::Clustering, &b.clustering),
        )
    });
    let mut merged_rows = Vec::new();
    let mut group: Vec<Row> = Vec::new();
    let flush = |group: &mut Vec<Row>, out: &mut Vec<Row>| -> Result<()> {
        if let Some(first) = group.first() {
            let active = coverage
                .at(types, &first.clustering)
                .map_or(deletion, |r| latest(deletion, r));
            if let Some(row) = merge_rows(std::mem::take(group), active)? {
                out.push(row);
            }
        }
        Ok(())
    };
    for row in rows {
        let same = group.first().is_some_and(|g| {
            compare_prefix_parts(
                types,
                (PrefixKind::Clustering, &g.clustering),
                (PrefixKind::Clustering, &row.clustering),
            ) == Ordering::Equal
        });
        if !same {
            flush(&mut group, &mut merged_rows)?;
        }
        group.push(row);
    }
    flush(&mut group, &mut merged_rows)?;

    // Rows and markers in clustering order.
    let markers = coverage.markers();
    let mut unfiltereds = Vec::with_capacity(merged_rows.len() + markers.len());
    let mut markers = markers.into_iter().peekable();
    for row in merged_rows {
        while let Some(marker) = markers.next_if(|m| {
            compare_prefix_parts(
                types,
                (m.bound.kind, &m.bound.values),
                (PrefixKind::Clustering, &row.clustering),
            ) == Ordering::Less
        }) {
            unfiltereds.push(Unfiltered::Marker(marker));
        }
        unfiltereds.push(Unfiltered::Row(row));
    }
    unfiltereds.extend(markers.map(Unfiltered::Marker));
    Ok(Partition {
        key,
        deletion,
        static_row,
        unfiltereds,
    })
}

/// Merges `update` into `base` (a partition `merge` produced, or an empty
/// one of the same key). The update is checked first, so that a refused
/// update leaves `base` as it was.
///
/// # Errors
/// As [`merge`], for the update.
pub fn merge_into(types: &[String], base: &mut Partition, update: Partition) -> Result<()> {
    if update.key != base.key {
        return Err(Error::invalid("merging partitions of different keys"));
    }
    check_mergeable(&update)?;
    let no_markers = |p: &Partition| {
        p.unfiltereds
            .iter()
            .all(|u| matches!(u, Unfiltered::Row(_)))
    };
    if base.deletion.is_live()
        && update.deletion.is_live()
        && no_markers(base)
        && no_markers(&update)
    {
        // The common case (rows only, no deletion above them): merge each
        // row into its place, as `merge` would, without rebuilding the
        // partition.
        return merge_rows_into(types, base, update);
    }
    let current = std::mem::replace(
        base,
        Partition {
            key: update.key.clone(),
            deletion: DeletionTime::LIVE,
            static_row: None,
            unfiltereds: Vec::new(),
        },
    );
    *base = merge(types, vec![current, update])?;
    Ok(())
}

/// `update` as [`merge`] of it alone returns it: moved as it is when it is
/// in that form already (rows in order, each without deletion and with
/// its columns in order, no partition deletion or range tombstone: the
/// usual write), merged otherwise.
///
/// # Errors
/// As [`merge`].
pub fn normalize(types: &[String], update: Partition) -> Result<Partition> {
    check_mergeable(&update)?;
    if update.deletion.is_live()
        && update.static_row.as_ref().is_none_or(is_merged_form)
        && rows_in_merged_form(types, &update.unfiltereds)
    {
        return Ok(update);
    }
    merge(types, vec![update])
}

/// [`merge_into`] for partitions of rows only, without partition
/// deletions: the result `merge` gives, row by row.
fn merge_rows_into(types: &[String], base: &mut Partition, update: Partition) -> Result<()> {
    let statics: Vec<Row> = base
        .static_row
        .take()
        .into_iter()
        .chain(update.static_row)
        .collect();
    if !statics.is_empty() {
        base.static_row = merge_rows(statics, DeletionTime::LIVE)?;
    }
    for unfiltered in update.unfiltereds {
        let Unfiltered::Row(row) = unfiltered else {
            continue;
        };
        let found = base.unfiltereds.binary_search_by(|u| match u {
            Unfiltered::Row(r) => compare_prefix_parts(
                types,
                (PrefixKind::Clustering, &r.clustering),
                (PrefixKind::Clustering, &row.clustering),
            ),
            // No markers here (checked by the caller).
            Unfiltered::Marker(_) => Ordering::Less,
        });
        match found {
            Ok(i) => {
                let slot = &mut base.unfiltereds[i];
                let Unfiltered::Row(old) = slot else {
                    continue;
                };
                if is_merged_form(old) && is_merged_form(&row) {
                    // An overwrite (the usual case): reconciled in place.
                    merge_merged_rows(old, row);
                    continue;
                }
                // `merge_rows` refuses only collection columns, which
                // neither side holds (checked on the way in).
                let old = std::mem::replace(old, Row::empty_static());
                match merge_rows(vec![old, row], DeletionTime::LIVE)? {
                    Some(merged) => *slot = Unfiltered::Row(merged),
                    None => {
                        base.unfiltereds.remove(i);
                    }
                }
            }
            Err(i) => {
                // A new row already in merged form (the usual write) goes
                // in as it is; others are normalised as `merge` would.
                if is_merged_form(&row) {
                    base.unfiltereds.insert(i, Unfiltered::Row(row));
                } else if let Some(merged) = merge_rows(vec![row], DeletionTime::LIVE)? {
                    base.unfiltereds.insert(i, Unfiltered::Row(merged));
                }
            }
        }
    }
    Ok(())
}

/// Whether `merge_rows` would return `row` unchanged on its own: no row
/// deletion (which could shadow its own cells), something in it, simple
/// cells in strictly increasing column order (nothing to reconcile).
fn is_merged_form(row: &Row) -> bool {
    let mut last = None;
    row.deletion.is_none()
        && (row.liveness.is_some() || !row.columns.is_empty())
        && row.columns.iter().all(|c| match c {
            ColumnData::Simple { column, .. } => {
                let increasing = last.is_none_or(|l| l < *column);
                last = Some(*column);
                increasing
            }
            ColumnData::Complex { .. } => false,
        })
}

/// `merge_rows` of two rows in merged form (no deletions, so nothing is
/// shadowed), done in place: the superseding liveness, and per column the
/// cell that wins reconciliation (the older row's on a tie, as there).
fn merge_merged_rows(old: &mut Row, new: Row) {
    if let Some(l) = new.liveness {
        if old.liveness.is_none_or(|m| l.supersedes(&m)) {
            old.liveness = Some(l);
        }
    }
    for data in new.columns {
        let ColumnData::Simple { column, cell } = data else {
            continue;
        };
        let found = old.columns.binary_search_by_key(&column, |c| match c {
            ColumnData::Simple { column, .. } | ColumnData::Complex { column, .. } => *column,
        });
        match found {
            Ok(i) => {
                if let ColumnData::Simple { cell: kept, .. } = &mut old.columns[i] {
                    if compare_versions(&version(&cell), &version(kept)) == Ordering::Greater {
                        *kept = cell;
                    }
                }
            }
            Err(i) => old.columns.insert(i, ColumnData::Simple { column, cell }),
        }
    }
}

/// Whether `unfiltereds` are rows `merge` would return unchanged: each in
/// merged form, in strictly increasing clustering order.
fn rows_in_merged_form(types: &[String], unfiltereds: &[Unfiltered]) -> bool {
    unfiltereds
        .iter()
        .all(|u| matches!(u, Unfiltered::Row(r) if is_merged_form(r)))
        && unfiltereds.windows(2).all(|pair| match pair {
            [Unfiltered::Row(a), Unfiltered::Row(b)] => {
                compare_prefix_parts(
                    types,
                    (PrefixKind::Clustering, &a.clustering),
                    (PrefixKind::Clustering, &b.clustering),
                ) == Ordering::Less
            }
            _ => false,
        })
}

/// Checks that [`merge`] accepts `partition`: range tombstone markers that
/// open and close in turn, and no collection columns.
///
/// # Errors
/// As [`merge`].
pub fn check_mergeable(partition: &Partition) -> Result<()> {
    ranges_of(partition)?;
    let rows = partition
        .static_row
        .iter()
        .chain(partition.unfiltereds.iter().filter_map(|u| match u {
            Unfiltered::Row(r) => Some(r),
            Unfiltered::Marker(_) => None,
        }));
    for row in rows {
        if row
            .columns
            .iter()
            .any(|c| matches!(c, ColumnData::Complex { .. }))
        {
            return Err(unsupported("merging collection (multi-cell) columns"));
        }
    }
    Ok(())
}
