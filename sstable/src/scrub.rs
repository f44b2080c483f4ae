//! What Cassandra's scrub would complain about in an SSTable that reads
//! cleanly: deletion times that fail `DeletionTime.validate` (negative
//! local deletion time), cells and row liveness that fail
//! `hasInvalidDeletions` (an expiration time that overflowed 32 bits, a TTL
//! without expiration time, a negative tombstone time), and partitions or
//! rows out of order or duplicated (the Scrubber's order checks). Nothing
//! is repaired: the findings say where the problems are.

use crate::clustering::{compare_prefixes, ClusteringBound, ClusteringValue, PrefixKind};
use crate::error::Result;
use crate::partitioner::Partitioner;
use crate::reader::SstableReader;
use crate::reconcile::{CellKind, DeletionTime};
use crate::rows::{ColumnData, Partition, Row, Unfiltered};
use crate::version::Version;
use std::cmp::Ordering;

/// Where in a partition a problem sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Site {
    /// The partition-level deletion.
    PartitionDeletion,
    /// A row's primary-key liveness (its TTL).
    RowLiveness,
    /// A row's deletion.
    RowDeletion,
    /// A range tombstone marker's (or boundary's) deletion.
    RangeTombstone,
    /// A complex column's deletion; the column's index in the header.
    ComplexDeletion(usize),
    /// A cell; the column's index in the header, and the cell path of a
    /// complex column's cell.
    Cell(usize, Option<Vec<u8>>),
}

/// A problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A deletion or tombstone whose local deletion time is negative (as
    /// written by the pre-4.0.x bugs the `negative-ldts` test data shows).
    NegativeLocalDeletionTime {
        /// Where.
        site: Site,
        /// The stored value, as read.
        local_deletion_time: i64,
    },
    /// A TTL whose expiration time overflowed the signed 32-bit seconds of
    /// versions before `oa` (CASSANDRA-14092: writes after 2018 with a
    /// 20-year TTL): it reads as negative, so as long expired.
    NegativeLocalExpirationTime {
        /// Where: a cell or a row's liveness.
        site: Site,
        /// The TTL written.
        ttl: u32,
        /// The stored expiration time, as read.
        local_expiration_time: i64,
    },
    /// An expiring cell with "no deletion time" as its expiration.
    ExpiringWithoutExpirationTime {
        /// Where.
        site: Site,
    },
    /// A row or marker sorting before the one preceding it.
    OutOfOrder {
        /// The preceding clustering (bound values for a marker).
        previous: Vec<ClusteringValue>,
    },
    /// A second row with the same clustering as the one preceding it.
    DuplicateRow,
    /// A partition key sorting before (or equal to) the preceding one.
    PartitionOutOfOrder {
        /// The preceding partition key.
        previous: Vec<u8>,
    },
}

/// One problem, with the partition key and, below partition level, the
/// clustering (of the row, or the marker's bound values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The partition key.
    pub partition_key: Vec<u8>,
    /// The clustering, `None` for partition-level problems.
    pub clustering: Option<Vec<ClusteringValue>>,
    /// What is wrong.
    pub problem: Problem,
}

/// Reads the whole SSTable and reports every problem, in file order.
///
/// # Errors
/// Corruption or I/O errors met while reading (a table must read before
/// its contents can be judged).
pub fn check_sstable(reader: &SstableReader) -> Result<Vec<Finding>> {
    let statistics = reader.statistics();
    let types = &statistics.header.clustering_types;
    let partitioner = Partitioner::from_class_name(&statistics.validation.partitioner);
    let no_deletion_time = no_deletion_time(reader.version());
    let mut findings = Vec::new();
    let mut previous: Option<Vec<u8>> = None;
    for partition in reader.iter()? {
        let partition = partition?;
        if let (Some(prev), Some(partitioner)) = (&previous, partitioner) {
            if partitioner.compare(prev, &partition.key) != Ordering::Less {
                findings.push(Finding {
                    partition_key: partition.key.clone(),
                    clustering: None,
                    problem: Problem::PartitionOutOfOrder {
                        previous: prev.clone(),
                    },
                });
            }
        }
        check_partition(&partition, types, no_deletion_time, &mut findings);
        previous = Some(partition.key);
    }
    Ok(findings)
}

/// The stored "no deletion time" of expiring data in `version`:
/// `i32::MAX` before `oa`, `u32::MAX` from it (what [`check_partition`]
/// takes).
pub fn no_deletion_time(version: Version) -> i64 {
    if version.has_uint_deletion_time() {
        i64::from(u32::MAX)
    } else {
        i64::from(i32::MAX)
    }
}

/// Appends the problems of one partition to `out`: its deletions, TTLs and
/// the order of its rows and markers under the clustering `types`.
pub fn check_partition(
    partition: &Partition,
    types: &[String],
    no_deletion_time: i64,
    out: &mut Vec<Finding>,
) {
    let key = &partition.key;
    let mut found = |clustering: Option<&[ClusteringValue]>, problem: Problem| {
        out.push(Finding {
            partition_key: key.clone(),
            clustering: clustering.map(<[ClusteringValue]>::to_vec),
            problem,
        });
    };
    if let Some(p) = invalid_deletion(&partition.deletion, Site::PartitionDeletion) {
        found(None, p);
    }
    if let Some(row) = &partition.static_row {
        check_row(row, no_deletion_time, &mut |p| found(Some(&[]), p));
    }
    let mut previous: Option<ClusteringBound> = None;
    for unfiltered in &partition.unfiltereds {
        let (bound, is_row) = match unfiltered {
            Unfiltered::Row(row) => {
                check_row(row, no_deletion_time, &mut |p| {
                    found(Some(&row.clustering), p);
                });
                let bound = ClusteringBound {
                    kind: PrefixKind::Clustering,
                    values: row.clustering.clone(),
                };
                (bound, true)
            }
            Unfiltered::Marker(marker) => {
                for deletion in [&marker.end_deletion, &marker.start_deletion]
                    .into_iter()
                    .flatten()
                {
                    if let Some(p) = invalid_deletion(deletion, Site::RangeTombstone) {
                        found(Some(&marker.bound.values), p);
                    }
                }
                (marker.bound.clone(), false)
            }
        };
        if let Some(prev) = &previous {
            match compare_prefixes(types, prev, &bound) {
                Ordering::Less => {}
                Ordering::Equal if is_row => found(Some(&bound.values), Problem::DuplicateRow),
                _ => found(
                    Some(&bound.values),
                    Problem::OutOfOrder {
                        previous: prev.values.clone(),
                    },
                ),
            }
        }
        previous = Some(bound);
    }
}

fn invalid_deletion(deletion: &DeletionTime, site: Site) -> Option<Problem> {
    (deletion.local_deletion_time < 0).then_some(Problem::NegativeLocalDeletionTime {
        site,
        local_deletion_time: deletion.local_deletion_time,
    })
}

fn check_row(row: &Row, no_deletion_time: i64, found: &mut dyn FnMut(Problem)) {
    if let Some((ttl, expires)) = row.liveness.and_then(|l| l.expiry) {
        if expires < 0 {
            found(Problem::NegativeLocalExpirationTime {
                site: Site::RowLiveness,
                ttl,
                local_expiration_time: expires,
            });
        }
    }
    if let Some(deletion) = &row.deletion {
        if let Some(p) = invalid_deletion(deletion, Site::RowDeletion) {
            found(p);
        }
    }
    for data in &row.columns {
        let (column, cells) = match data {
            ColumnData::Simple { column, cell } => (*column, std::slice::from_ref(cell)),
            ColumnData::Complex {
                column,
                deletion,
                cells,
            } => {
                if let Some(p) = invalid_deletion(deletion, Site::ComplexDeletion(*column)) {
                    found(p);
                }
                (*column, cells.as_slice())
            }
        };
        for cell in cells {
            let site = || Site::Cell(column, cell.path.clone());
            match cell.kind {
                CellKind::Live => {}
                CellKind::Expiring {
                    ttl,
                    local_expiration_time,
                } => {
                    if local_expiration_time < 0 {
                        found(Problem::NegativeLocalExpirationTime {
                            site: site(),
                            ttl,
                            local_expiration_time,
                        });
                    } else if local_expiration_time == no_deletion_time {
                        found(Problem::ExpiringWithoutExpirationTime { site: site() });
                    }
                }
                CellKind::Tombstone {
                    local_deletion_time,
                } if local_deletion_time < 0 => found(Problem::NegativeLocalDeletionTime {
                    site: site(),
                    local_deletion_time,
                }),
                CellKind::Tombstone { .. } => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::LivenessInfo;
    use crate::rows::Cell;

    const INT: &str = "org.apache.cassandra.db.marshal.Int32Type";

    fn row(ck: i32, kind: CellKind) -> Unfiltered {
        Unfiltered::Row(Row {
            clustering: vec![Some(ck.to_be_bytes().to_vec())],
            liveness: Some(LivenessInfo {
                timestamp: 1,
                expiry: None,
            }),
            deletion: None,
            columns: vec![ColumnData::Simple {
                column: 0,
                cell: Cell {
                    timestamp: 1,
                    kind,
                    path: None,
                    value: Vec::new(),
                },
            }],
        })
    }

    /// Rows 2, 1, 1 under Int32 ordering: 1 sorts before 2 (out of order),
    /// then repeats (duplicate); an expiring cell whose expiration is the
    /// "no deletion time" of its version.
    #[test]
    fn order_duplicates_and_ttl_without_expiration_are_found() {
        let partition = Partition {
            key: b"k".to_vec(),
            deletion: DeletionTime::LIVE,
            static_row: None,
            unfiltereds: vec![
                row(2, CellKind::Live),
                row(1, CellKind::Live),
                row(
                    1,
                    CellKind::Expiring {
                        ttl: 10,
                        local_expiration_time: i64::from(i32::MAX),
                    },
                ),
            ],
        };
        let mut out = Vec::new();
        check_partition(
            &partition,
            &[INT.to_string()],
            no_deletion_time(Version::NB),
            &mut out,
        );
        let one = Some(vec![Some(1i32.to_be_bytes().to_vec())]);
        let problems: Vec<(&Option<Vec<ClusteringValue>>, &Problem)> =
            out.iter().map(|f| (&f.clustering, &f.problem)).collect();
        assert_eq!(
            problems,
            vec![
                (
                    &one,
                    &Problem::OutOfOrder {
                        previous: vec![Some(2i32.to_be_bytes().to_vec())]
                    }
                ),
                (
                    &one,
                    &Problem::ExpiringWithoutExpirationTime {
                        site: Site::Cell(0, None)
                    }
                ),
                (&one, &Problem::DuplicateRow),
            ]
        );
    }
}
