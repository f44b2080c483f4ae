//! Serializing Statistics.db: the inverse of `statistics::Statistics::parse`,
//! in the layout of the version being written.

use crate::data_writer::write_bound;
use crate::statistics::{
    ClusteringRange, CommitLogPosition, SerializationHeader, Statistics, Stats,
    DELETION_TIME_EPOCH, TIMESTAMP_EPOCH,
};
use crate::version::Version;
use crate::vint::write_unsigned_vint;

fn vint32(value: i32, out: &mut Vec<u8>) {
    write_unsigned_vint(i64::from(value) as u64, out);
}

fn bytes_vint(bytes: &[u8], out: &mut Vec<u8>) {
    write_unsigned_vint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

fn utf(text: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(text.len() as u16).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// The bytes of Statistics.db for `statistics` in `version`.
pub fn serialize_statistics(statistics: &Statistics, version: Version) -> Vec<u8> {
    let mut validation = Vec::new();
    utf(&statistics.validation.partitioner, &mut validation);
    validation.extend_from_slice(&statistics.validation.bloom_filter_fp_chance.to_be_bytes());
    let mut compaction = Vec::new();
    compaction
        .extend_from_slice(&(statistics.compaction.cardinality_sketch.len() as i32).to_be_bytes());
    compaction.extend_from_slice(&statistics.compaction.cardinality_sketch);
    let stats = serialize_stats(&statistics.stats, version);
    let header = serialize_header(&statistics.header);
    let components = [validation, compaction, stats, header];

    let checksummed = version.has_metadata_checksum();
    let crc_len = if checksummed { 4 } else { 0 };
    let mut out = Vec::new();
    out.extend_from_slice(&(components.len() as i32).to_be_bytes());
    if checksummed {
        let crc = crc32fast::hash(&out[0..4]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let toc_start = out.len();
    let mut offset = toc_start + components.len() * 8 + crc_len;
    for (kind, body) in components.iter().enumerate() {
        out.extend_from_slice(&(kind as i32).to_be_bytes());
        out.extend_from_slice(&(offset as i32).to_be_bytes());
        offset += body.len() + crc_len;
    }
    if checksummed {
        let mut crc = crc32fast::Hasher::new();
        crc.update(&out[0..4]);
        crc.update(&out[toc_start..]);
        let crc = crc.finalize();
        out.extend_from_slice(&crc.to_be_bytes());
    }
    for body in &components {
        out.extend_from_slice(body);
        if checksummed {
            out.extend_from_slice(&crc32fast::hash(body).to_be_bytes());
        }
    }
    out
}

fn histogram((offsets, counts): &(Vec<i64>, Vec<i64>), out: &mut Vec<u8>) {
    out.extend_from_slice(&(counts.len() as i32).to_be_bytes());
    for (i, count) in counts.iter().enumerate() {
        // The first two pairs both carry the first offset.
        let offset = offsets
            .get(i.saturating_sub(1))
            .copied()
            .unwrap_or_default();
        out.extend_from_slice(&offset.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
    }
}

fn position(p: &CommitLogPosition, out: &mut Vec<u8>) {
    out.extend_from_slice(&p.segment_id.to_be_bytes());
    out.extend_from_slice(&p.position.to_be_bytes());
}

fn optional_uuid(uuid: &Option<[u8; 16]>, out: &mut Vec<u8>) {
    match uuid {
        Some(id) => {
            out.push(1);
            out.extend_from_slice(id);
        }
        None => out.push(0),
    }
}

fn serialize_stats(s: &Stats, version: Version) -> Vec<u8> {
    let mut out = Vec::new();
    histogram(&s.partition_sizes, &mut out);
    histogram(&s.cells_per_partition, &mut out);
    position(&s.commit_log_upper_bound, &mut out);
    out.extend_from_slice(&s.min_timestamp.to_be_bytes());
    out.extend_from_slice(&s.max_timestamp.to_be_bytes());
    let uint = version.has_uint_deletion_time();
    for ldt in [s.min_local_deletion_time, s.max_local_deletion_time] {
        if uint {
            out.extend_from_slice(&(ldt as u32).to_be_bytes());
        } else {
            out.extend_from_slice(&(ldt as i32).to_be_bytes());
        }
    }
    out.extend_from_slice(&s.min_ttl.to_be_bytes());
    out.extend_from_slice(&s.max_ttl.to_be_bytes());
    out.extend_from_slice(&s.compression_ratio.to_be_bytes());
    let (max_bins, bins) = &s.tombstone_drop_times;
    out.extend_from_slice(&max_bins.to_be_bytes());
    out.extend_from_slice(&(bins.len() as i32).to_be_bytes());
    for (point, count) in bins {
        if uint {
            out.extend_from_slice(&point.to_be_bytes());
            out.extend_from_slice(&(*count as i32).to_be_bytes());
        } else {
            out.extend_from_slice(&(*point as f64).to_be_bytes());
            out.extend_from_slice(&count.to_be_bytes());
        }
    }
    out.extend_from_slice(&s.sstable_level.to_be_bytes());
    out.extend_from_slice(&s.repaired_at.to_be_bytes());
    match &s.clustering {
        ClusteringRange::Legacy { min, max } => {
            for values in [min, max] {
                out.extend_from_slice(&(values.len() as i32).to_be_bytes());
                for v in values {
                    out.extend_from_slice(&(v.len() as u16).to_be_bytes());
                    out.extend_from_slice(v);
                }
            }
        }
        ClusteringRange::Slice { types, start, end } => {
            write_unsigned_vint(types.len() as u64, &mut out);
            for t in types {
                bytes_vint(t.as_bytes(), &mut out);
            }
            write_bound(types, start, &mut out);
            write_bound(types, end, &mut out);
        }
    }
    out.push(u8::from(s.has_legacy_counter_shards));
    out.extend_from_slice(&s.total_columns_set.to_be_bytes());
    out.extend_from_slice(&s.total_rows.to_be_bytes());
    if let Some(lower) = &s.commit_log_lower_bound {
        position(lower, &mut out);
    }
    if version.has_commit_log_intervals() {
        out.extend_from_slice(&(s.commit_log_intervals.len() as i32).to_be_bytes());
        for (start, end) in &s.commit_log_intervals {
            position(start, &mut out);
            position(end, &mut out);
        }
    }
    if version.has_pending_repair() {
        optional_uuid(&s.pending_repair, &mut out);
        // A pre-release `na` writer had no isTransient (see `Stats::stale_na`).
        if !(s.stale_na && version.letters() == "na") {
            out.push(u8::from(s.is_transient));
        }
    }
    if version.has_originating_host_id() {
        optional_uuid(&s.originating_host_id, &mut out);
    }
    if version.has_improved_stats() {
        out.push(u8::from(s.has_partition_level_deletions.unwrap_or(true)));
        let (first, last) = s.key_range.clone().unwrap_or_default();
        bytes_vint(&first, &mut out);
        bytes_vint(&last, &mut out);
        out.extend_from_slice(&s.token_space_coverage.unwrap_or(f64::NAN).to_be_bytes());
    }
    out
}

fn serialize_header(h: &SerializationHeader) -> Vec<u8> {
    let mut out = Vec::new();
    write_unsigned_vint(
        h.min_timestamp.wrapping_sub(TIMESTAMP_EPOCH) as u64,
        &mut out,
    );
    vint32(
        (h.min_local_deletion_time - DELETION_TIME_EPOCH) as i32,
        &mut out,
    );
    vint32(h.min_ttl, &mut out);
    bytes_vint(h.key_type.as_bytes(), &mut out);
    write_unsigned_vint(h.clustering_types.len() as u64, &mut out);
    for t in &h.clustering_types {
        bytes_vint(t.as_bytes(), &mut out);
    }
    for columns in [&h.static_columns, &h.regular_columns] {
        write_unsigned_vint(columns.len() as u64, &mut out);
        for c in columns {
            bytes_vint(&c.name, &mut out);
            bytes_vint(c.type_string.as_bytes(), &mut out);
        }
    }
    out
}
