//! `ilion sstable metadata`: what Statistics.db says of an SSTable, in
//! the order and wording of Cassandra's `sstablemetadata`
//! (`tools/SSTableMetadataViewer.java`).

use ilion_sstable::clustering::PrefixKind;
use ilion_sstable::compression::CompressionInfo;
use ilion_sstable::cql_value;
use ilion_sstable::descriptor::{Component, Descriptor};
use ilion_sstable::partitioner::{Partitioner, Token};
use ilion_sstable::reader::SstableReader;
use ilion_sstable::statistics::{ClusteringRange, HeaderColumn, Statistics};
use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Prints the metadata of every SSTable in `files`.
pub fn run(files: &[PathBuf]) -> Result<(), Box<dyn Error>> {
    for (i, file) in files.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print!("{}", describe(file)?);
    }
    Ok(())
}

fn uuid(bytes: &[u8; 16]) -> String {
    cql_value::to_text("org.apache.cassandra.db.marshal.UUIDType", bytes)
}

fn read(path: &Path) -> Result<Vec<u8>, Box<dyn Error>> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

/// A time as the viewer's `toDateString` prints it: `MM/dd/yyyy
/// HH:mm:ss` (in UTC here; Cassandra uses the local time zone).
fn date(millis: i64) -> String {
    // `instant` gives yyyy-MM-ddTHH:mm:ss[.fff]Z; reorder its parts.
    let iso = cql_value::instant(millis.div_euclid(1000), 0);
    let (day, time) = iso.split_once('T').unwrap_or((&iso, ""));
    let mut parts = day.rsplitn(3, '-');
    let (d, m, y) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    format!("{m}/{d}/{y} {}", time.trim_end_matches('Z'))
}

/// A timestamp in µs: its date, then the raw value.
fn micros(t: i64) -> String {
    format!("{} ({t})", date(t.div_euclid(1000)))
}

/// A local deletion time in s, "no tombstones" for the sentinels
/// Cassandra stores when there is none; then the raw value.
fn deletion_time(t: i64) -> String {
    if t == i64::from(i32::MAX) || t == i64::from(u32::MAX) {
        format!("no tombstones ({t})")
    } else {
        format!("{} ({t})", date(t.saturating_mul(1000)))
    }
}

/// The viewer's `durationString` of a span of µs.
fn duration(micros: i64) -> String {
    let s = micros / 1_000_000;
    format!(
        "Days: {} Hours: {} Minutes: {} Seconds: {}",
        s / 86_400,
        s / 3600 % 24,
        s / 60 % 60,
        s % 60
    )
}

/// A token as Cassandra prints it: a number for Murmur3,
/// `Token(bytes[hex])` for ByteOrdered, a decimal integer for Random.
fn token(partitioner: Option<Partitioner>, key: &[u8]) -> String {
    match partitioner.map(|p| p.token(key)) {
        Some(Token::Long(t)) => t.to_string(),
        Some(Token::Bytes(b)) => format!("Token(bytes[{}])", &cql_value::hex(&b)[2..]),
        Some(Token::Big(t)) => t.to_string(),
        None => "?".to_string(),
    }
}

fn columns(columns: &[HeaderColumn]) -> String {
    let parts: Vec<String> = columns
        .iter()
        .map(|c| format!("{}:{}", String::from_utf8_lossy(&c.name), c.type_string))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// Cassandra's `EstimatedHistogram.mean`: the bucket upper bounds weighted
/// by their counts, rounded up (the overflow bucket left out).
fn histogram_mean(offsets: &[i64], counts: &[i64]) -> f64 {
    let (mut elements, mut sum) = (0f64, 0f64);
    for (offset, count) in offsets.iter().zip(counts) {
        elements += *count as f64;
        sum += (*count as f64) * (*offset as f64);
    }
    if elements == 0.0 {
        0.0
    } else {
        (sum / elements).ceil()
    }
}

fn histogram(out: &mut String, title: &str, unit: &str, (offsets, counts): &(Vec<i64>, Vec<i64>)) {
    let _ = writeln!(out, "{title}:");
    let _ = writeln!(out, "   {unit:>14}  {:>10}", "Count");
    for (offset, count) in offsets.iter().zip(counts) {
        if *count != 0 {
            let _ = writeln!(out, "   {offset:>14}  {count:>10}");
        }
    }
    if let Some(overflow) = counts.get(offsets.len()).filter(|c| **c != 0) {
        let _ = writeln!(out, "   {:>14}  {overflow:>10}", "overflow");
    }
}

fn describe(file: &Path) -> Result<String, Box<dyn Error>> {
    let descriptor = Descriptor::from_path(file)?;
    let version = descriptor.version;
    let stats_path = descriptor.path(Component::Statistics);
    let statistics = Statistics::parse(&read(&stats_path)?, version, &stats_path)?;
    let Statistics {
        validation,
        stats,
        header,
        ..
    } = &statistics;
    let mut out = String::new();
    let w = &mut out;
    let base = file.to_string_lossy();
    let _ = writeln!(w, "SSTable: {}", base.trim_end_matches("-Data.db"));
    let _ = writeln!(w, "SSTable Version: {}", version.letters());
    let _ = writeln!(w, "Partitioner: {}", validation.partitioner);
    let _ = writeln!(
        w,
        "Bloom Filter FP chance: {}",
        validation.bloom_filter_fp_chance
    );
    let _ = writeln!(w, "Minimum timestamp: {}", micros(stats.min_timestamp));
    let _ = writeln!(w, "Maximum timestamp: {}", micros(stats.max_timestamp));
    let _ = writeln!(
        w,
        "Duration: {}",
        duration(stats.max_timestamp.saturating_sub(stats.min_timestamp))
    );
    let _ = writeln!(
        w,
        "SSTable min local deletion time: {}",
        deletion_time(stats.min_local_deletion_time)
    );
    let _ = writeln!(
        w,
        "SSTable max local deletion time: {}",
        deletion_time(stats.max_local_deletion_time)
    );
    let info_path = descriptor.path(Component::CompressionInfo);
    let compressor = match std::fs::read(&info_path) {
        Ok(bytes) => Some(
            CompressionInfo::parse(&bytes, version, &info_path)
                .map(|i| i.compressor)
                .unwrap_or_else(|e| format!("unreadable ({e})")),
        ),
        Err(_) => None,
    };
    match compressor {
        Some(class) => {
            // Cassandra prints the class's full name; files may store the
            // short one.
            let full = if class.contains('.') {
                class
            } else {
                format!("org.apache.cassandra.io.compress.{class}")
            };
            let _ = writeln!(w, "Compressor: {full}");
            let _ = writeln!(w, "Compression ratio: {}", stats.compression_ratio);
        }
        None => {
            let _ = writeln!(w, "Compressor: -");
        }
    }
    let _ = writeln!(w, "TTL min: {}", stats.min_ttl);
    let _ = writeln!(w, "TTL max: {}", stats.max_ttl);
    // First and last keys: from the index when the SSTable opens, else
    // from Statistics.db where the version stores them (oa).
    let keys = match SstableReader::open(file) {
        Ok(reader) => {
            let (first, last) = reader.key_range();
            Some((first.1.clone(), last.1.clone()))
        }
        Err(_) => stats.key_range.clone(),
    };
    let partitioner = Partitioner::from_class_name(&validation.partitioner);
    if let Some((first, last)) = keys {
        let key_text = |k: &[u8]| cql_value::to_text(&header.key_type, k);
        let _ = writeln!(
            w,
            "First token: {} ({})",
            token(partitioner, &first),
            key_text(&first)
        );
        let _ = writeln!(
            w,
            "Last token: {} ({})",
            token(partitioner, &last),
            key_text(&last)
        );
    }
    // Covered clusterings as Slice.toString prints them: `[` or `(` by
    // inclusiveness, the start's values, the end's, `]` or `)`. Before oa
    // the stats hold each column's min and max instead (inaccurate before
    // md), printed as the viewers of those versions did.
    let values = |values: &mut dyn Iterator<Item = Option<&Vec<u8>>>| -> Vec<String> {
        values
            .zip(&header.clustering_types)
            .map(|(v, t)| v.map_or("null".into(), |v| cql_value::to_text(t, v)))
            .collect()
    };
    match &stats.clustering {
        ClusteringRange::Legacy { min, max } => {
            let min = values(&mut min.iter().map(Some));
            let max = values(&mut max.iter().map(Some));
            let _ = writeln!(w, "minClusteringValues: [{}]", min.join(", "));
            let _ = writeln!(w, "maxClusteringValues: [{}]", max.join(", "));
        }
        ClusteringRange::Slice { start, end, .. } => {
            let open = if start.kind == PrefixKind::InclStartBound {
                "["
            } else {
                "("
            };
            let close = if end.kind == PrefixKind::InclEndBound {
                "]"
            } else {
                ")"
            };
            let from = values(&mut start.values.iter().map(Option::as_ref));
            let to = values(&mut end.values.iter().map(Option::as_ref));
            let _ = writeln!(
                w,
                "Covered clusterings: {open}{}, {}{close}",
                from.join(", "),
                to.join(", ")
            );
        }
    }
    // Cassandra's getEstimatedDroppableTombstoneRatio(now): tombstones
    // droppable now over the estimated cell count.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let droppable: i64 = stats
        .tombstone_drop_times
        .1
        .iter()
        .filter(|(point, _)| *point <= now)
        .map(|(_, count)| count)
        .sum();
    let (cell_offsets, cell_counts) = &stats.cells_per_partition;
    let partitions: i64 = stats.partition_sizes.1.iter().sum();
    let estimated_cells = histogram_mean(cell_offsets, cell_counts) * partitions as f64;
    let ratio = if estimated_cells > 0.0 {
        droppable as f64 / estimated_cells
    } else {
        0.0
    };
    let _ = writeln!(w, "Estimated droppable tombstones: {ratio}");
    let _ = writeln!(w, "SSTable Level: {}", stats.sstable_level);
    let _ = writeln!(
        w,
        "Repaired at: {} ({})",
        stats.repaired_at,
        date(stats.repaired_at)
    );
    let _ = writeln!(
        w,
        "Originating host id: {}",
        stats.originating_host_id.as_ref().map_or("--".into(), uuid)
    );
    let _ = writeln!(
        w,
        "Pending repair: {}",
        stats.pending_repair.as_ref().map_or("--".into(), uuid)
    );
    let intervals: Vec<String> = stats
        .commit_log_intervals
        .iter()
        .map(|(a, b)| {
            format!(
                "({},{})-({},{})",
                a.segment_id, a.position, b.segment_id, b.position
            )
        })
        .collect();
    let _ = writeln!(w, "Replay positions covered: [{}]", intervals.join(", "));
    let _ = writeln!(w, "totalColumnsSet: {}", stats.total_columns_set);
    let _ = writeln!(w, "totalRows: {}", stats.total_rows);
    let _ = writeln!(w, "Estimated tombstone drop times:");
    for (point, count) in &stats.tombstone_drop_times.1 {
        let _ = writeln!(
            w,
            "   {point} {}: {count}",
            date(point.saturating_mul(1000))
        );
    }
    histogram(w, "Partition Size", "Size (bytes)", &stats.partition_sizes);
    histogram(w, "Column Count", "Columns", &stats.cells_per_partition);
    // The partition size histogram holds every partition once.
    let _ = writeln!(w, "Estimated partitions: {partitions}");
    match super::cardinality::estimate(&statistics.compaction.cardinality_sketch) {
        Some(n) => {
            let _ = writeln!(w, "Estimated cardinality: {n}");
        }
        None => {
            let _ = writeln!(
                w,
                "Estimated cardinality: -- (a dense sketch past linear counting: not computed)"
            );
        }
    }
    let _ = writeln!(w, "EncodingStats minTTL: {}", header.min_ttl);
    let _ = writeln!(
        w,
        "EncodingStats minLocalDeletionTime: {} ({})",
        date(header.min_local_deletion_time.saturating_mul(1000)),
        header.min_local_deletion_time
    );
    let _ = writeln!(
        w,
        "EncodingStats minTimestamp: {}",
        micros(header.min_timestamp)
    );
    let _ = writeln!(w, "KeyType: {}", header.key_type);
    let _ = writeln!(
        w,
        "ClusteringTypes: [{}]",
        header.clustering_types.join(", ")
    );
    let _ = writeln!(w, "StaticColumns: {}", columns(&header.static_columns));
    let _ = writeln!(w, "RegularColumns: {}", columns(&header.regular_columns));
    let _ = writeln!(w, "IsTransient: {}", stats.is_transient);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_durations_and_tokens_as_the_viewer_prints_them() {
        // SSTableMetadataViewer: toDateString is "MM/dd/yyyy HH:mm:ss",
        // durationString "Days: d Hours: h Minutes: m Seconds: s",
        // BytesToken.toString "Token(bytes[hex])".
        assert_eq!(date(0), "01/01/1970 00:00:00");
        assert_eq!(date(1_445_008_632_854), "10/16/2015 15:17:12");
        assert_eq!(micros(-1), "12/31/1969 23:59:59 (-1)");
        assert_eq!(
            duration(((86_400 + 3600 + 60 + 1) * 1_000_000) + 5),
            "Days: 1 Hours: 1 Minutes: 1 Seconds: 1"
        );
        assert_eq!(
            deletion_time(i64::from(i32::MAX)),
            "no tombstones (2147483647)"
        );
        assert_eq!(
            token(Some(Partitioner::ByteOrdered), b"0"),
            "Token(bytes[30])"
        );
    }
}
