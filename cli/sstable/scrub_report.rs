//! What `ilion sstable verify` says of data Cassandra's scrub would reject
//! though every checksum holds: negative deletion times, overflowed TTL
//! expirations, TTLs without an expiration (`ilion_sstable::scrub`).
//! Order problems are left to the partition walk, which reports them.

use ilion_sstable::clustering::ClusteringValue;
use ilion_sstable::cql_value;
use ilion_sstable::scrub::{Finding, Problem, Site};
use ilion_sstable::statistics::SerializationHeader;

/// How many findings are printed one by one before a count of the rest.
pub const PRINTED: usize = 20;

/// Whether the partition walk already reports this kind of problem.
pub fn is_order_problem(problem: &Problem) -> bool {
    matches!(
        problem,
        Problem::OutOfOrder { .. } | Problem::DuplicateRow | Problem::PartitionOutOfOrder { .. }
    )
}

/// One finding as a line: where (partition key and clustering as CQL
/// text, the column) and what, in the words of Cassandra's checks.
pub fn describe(header: &SerializationHeader, finding: &Finding) -> String {
    let key = cql_value::to_text(&header.key_type, &finding.partition_key);
    // Static columns exist only beside clustering columns, so an empty
    // clustering in such a table is the static row.
    let is_static = !header.clustering_types.is_empty()
        && finding.clustering.as_ref().is_some_and(Vec::is_empty);
    let at = match &finding.clustering {
        Some(values) if !values.is_empty() => {
            format!(
                "partition {key}, clustering ({})",
                clustering(header, values)
            )
        }
        _ => format!("partition {key}"),
    };
    let what = match &finding.problem {
        Problem::NegativeLocalDeletionTime {
            site,
            local_deletion_time,
        } => format!(
            "{}: negative local deletion time {local_deletion_time} (fails DeletionTime.validate)",
            site_name(header, site, is_static)
        ),
        Problem::NegativeLocalExpirationTime {
            site,
            ttl,
            local_expiration_time,
        } => format!(
            "{}: TTL {ttl} s with expiration time {local_expiration_time}, overflowed past 2038 \
             (reads as expired; Cassandra's scrub --reinsert-overflowed-ttl recovers it)",
            site_name(header, site, is_static)
        ),
        Problem::ExpiringWithoutExpirationTime { site } => format!(
            "{}: a TTL without an expiration time",
            site_name(header, site, is_static)
        ),
        Problem::OutOfOrder { .. } => "out of clustering order".to_string(),
        Problem::DuplicateRow => "duplicate row".to_string(),
        Problem::PartitionOutOfOrder { .. } => "partition out of order".to_string(),
    };
    format!("{at}: {what}")
}

fn clustering(header: &SerializationHeader, values: &[ClusteringValue]) -> String {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| match (v, header.clustering_types.get(i)) {
            (None, _) => "null".to_string(),
            (Some(v), Some(ty)) => cql_value::to_text(ty, v),
            (Some(v), None) => cql_value::hex(v),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn site_name(header: &SerializationHeader, site: &Site, is_static: bool) -> String {
    let columns = if is_static {
        &header.static_columns
    } else {
        &header.regular_columns
    };
    let column = |i: usize| {
        columns.get(i).map_or_else(
            || format!("column {i}"),
            |c| String::from_utf8_lossy(&c.name).into_owned(),
        )
    };
    match site {
        Site::PartitionDeletion => "partition deletion".to_string(),
        Site::RowLiveness => "row liveness".to_string(),
        Site::RowDeletion => "row deletion".to_string(),
        Site::RangeTombstone => "range tombstone".to_string(),
        Site::ComplexDeletion(i) => format!("deletion of collection {}", column(*i)),
        Site::Cell(i, None) => format!("cell {}", column(*i)),
        Site::Cell(i, Some(path)) => {
            let type_string = columns.get(*i).map_or("", |c| c.type_string.as_str());
            format!(
                "cell {}[{}]",
                column(*i),
                super::dump::cell_path(type_string, path).0
            )
        }
    }
}
