//! `Statistics.db`: a table of contents, then the validation, compaction,
//! stats and serialization-header components, each (from `na` on) followed
//! by its CRC. Layout: `docs/format.md` ("Statistics.db").

use crate::bloom::FilterLayout;
use crate::clustering::{read_bound, ClusteringBound};
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::schema::column_order;
use crate::version::Version;
use std::path::Path;

/// Cassandra's epoch for timestamp deltas: 2015-09-22T00:00:00Z in µs.
pub const TIMESTAMP_EPOCH: i64 = 1_442_880_000_000_000;
/// Cassandra's epoch for deletion-time deltas: 2015-09-22T00:00:00Z in s.
pub const DELETION_TIME_EPOCH: i64 = 1_442_880_000;

/// Component ordinals (Cassandra's `MetadataType`).
const VALIDATION: i32 = 0;
const COMPACTION: i32 = 1;
const STATS: i32 = 2;
const HEADER: i32 = 3;

/// Everything Statistics.db holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    /// Partitioner and bloom filter settings.
    pub validation: Validation,
    /// The cardinality sketch, as stored.
    pub compaction: Compaction,
    /// Statistics about the data.
    pub stats: Stats,
    /// How the rows in Data.db are encoded.
    pub header: SerializationHeader,
}

/// The validation component.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    /// The partitioner's class name.
    pub partitioner: String,
    /// The bloom filter's false-positive chance.
    pub bloom_filter_fp_chance: f64,
}

/// The compaction component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compaction {
    /// A HyperLogLog++ sketch of the partition keys, serialized as
    /// stream-lib does.
    pub cardinality_sketch: Vec<u8>,
}

/// A commitlog position (segment id, offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitLogPosition {
    /// The segment id.
    pub segment_id: i64,
    /// The offset in the segment.
    pub position: i32,
}

/// Min and max clustering, in the version's form.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusteringRange {
    /// `ma` to `nb`: the min and max value of each clustering column (a
    /// prefix); inaccurate before `md`.
    Legacy {
        /// Minimum values.
        min: Vec<Vec<u8>>,
        /// Maximum values.
        max: Vec<Vec<u8>>,
    },
    /// `oa`: the slice covering every row and marker.
    Slice {
        /// The clustering types, as written.
        types: Vec<String>,
        /// Start bound.
        start: ClusteringBound,
        /// End bound.
        end: ClusteringBound,
    },
}

/// The stats component.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Partition sizes: (bucket offsets, counts); one more count than
    /// offsets.
    pub partition_sizes: (Vec<i64>, Vec<i64>),
    /// Cells per partition, in the same shape.
    pub cells_per_partition: (Vec<i64>, Vec<i64>),
    /// The commit log position this SSTable's data reaches.
    pub commit_log_upper_bound: CommitLogPosition,
    /// Smallest write timestamp (µs).
    pub min_timestamp: i64,
    /// Largest write timestamp (µs).
    pub max_timestamp: i64,
    /// Smallest local deletion time (s), as stored (`i32::MAX` or
    /// `u32::MAX` for none, by version).
    pub min_local_deletion_time: i64,
    /// Largest local deletion time (s), as stored.
    pub max_local_deletion_time: i64,
    /// Smallest TTL.
    pub min_ttl: i32,
    /// Largest TTL.
    pub max_ttl: i32,
    /// Compressed / uncompressed size; −1 when not compressed.
    pub compression_ratio: f64,
    /// Tombstone drop times: max bin count, then (point in s, count) bins.
    pub tombstone_drop_times: (i32, Vec<(i64, i64)>),
    /// Leveled compaction level.
    pub sstable_level: i32,
    /// When repaired (0: unrepaired).
    pub repaired_at: i64,
    /// Min and max clustering.
    pub clustering: ClusteringRange,
    /// Whether legacy counter shards exist.
    pub has_legacy_counter_shards: bool,
    /// Cells written.
    pub total_columns_set: i64,
    /// Rows written.
    pub total_rows: i64,
    /// The commit log position this SSTable's data starts at (`mb`+).
    pub commit_log_lower_bound: Option<CommitLogPosition>,
    /// The commit log intervals covered (`mc`+).
    pub commit_log_intervals: Vec<(CommitLogPosition, CommitLogPosition)>,
    /// The pending repair session (`na`+).
    pub pending_repair: Option<[u8; 16]>,
    /// Whether transient (`na`+).
    pub is_transient: bool,
    /// The host that wrote the data (`me`, `nb`+).
    pub originating_host_id: Option<[u8; 16]>,
    /// Whether any partition has a partition-level deletion (`oa`).
    pub has_partition_level_deletions: Option<bool>,
    /// First and last partition keys (`oa`).
    pub key_range: Option<(Vec<u8>, Vec<u8>)>,
    /// Fraction of the token space covered (`oa`).
    pub token_space_coverage: Option<f64>,
    /// The component has the layout of a 4.0 pre-release `na` writer: no
    /// isTransient byte (and such tables' Filter.db keeps the old byte
    /// order). Only ever true for `na`.
    pub stale_na: bool,
}

impl Statistics {
    /// The byte order of this table's Filter.db: the version's, except for
    /// a pre-release `na` (see [`Stats::stale_na`]), which kept the old one.
    pub fn filter_layout(&self, version: Version) -> FilterLayout {
        if version.has_old_bloom_filter_format() || self.stats.stale_na {
            FilterLayout::Legacy
        } else {
            FilterLayout::Current
        }
    }
}

/// A column in the serialization header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderColumn {
    /// The column name bytes.
    pub name: Vec<u8>,
    /// Its type string.
    pub type_string: String,
}

/// The serialization header: the bases of every delta in Data.db and the
/// columns rows are encoded against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerializationHeader {
    /// Base of timestamp deltas (µs).
    pub min_timestamp: i64,
    /// Base of local-deletion-time deltas (s).
    pub min_local_deletion_time: i64,
    /// Base of TTL deltas.
    pub min_ttl: i32,
    /// The partition key's type string.
    pub key_type: String,
    /// The clustering columns' type strings.
    pub clustering_types: Vec<String>,
    /// Static columns, in Cassandra's column order.
    pub static_columns: Vec<HeaderColumn>,
    /// Regular columns, in Cassandra's column order.
    pub regular_columns: Vec<HeaderColumn>,
}

impl Statistics {
    /// Parses `Statistics.db` bytes written in `version`, checking the
    /// component CRCs where the version has them.
    ///
    /// # Errors
    /// Corruption naming `path` and the offset; a missing component.
    pub fn parse(bytes: &[u8], version: Version, path: &Path) -> Result<Statistics> {
        let components = split_components(bytes, version, path)?;
        let component = |kind: i32| -> Result<(&[u8], u64)> {
            components
                .iter()
                .find(|(k, _, _)| *k == kind)
                .map(|(_, start, body)| (*body, *start))
                .ok_or_else(|| Error::corrupt(path, 0, format!("no component of type {kind}")))
        };
        let (body, _) = component(VALIDATION)?;
        let mut c = Cursor::new(body, path);
        let validation = Validation {
            partitioner: c.utf("partitioner")?.to_string(),
            bloom_filter_fp_chance: c.f64("bloom filter fp chance")?,
        };
        let (body, _) = component(COMPACTION)?;
        let mut c = Cursor::new(body, path);
        let len = c.count(1, "cardinality sketch length")?;
        let compaction = Compaction {
            cardinality_sketch: c.take(len, "cardinality sketch")?.to_vec(),
        };
        let (body, _) = component(HEADER)?;
        let header = parse_header(&mut Cursor::new(body, path))?;
        let (body, _) = component(STATS)?;
        let stats = parse_stats(&mut Cursor::new(body, path), version)?;
        Ok(Statistics {
            validation,
            compaction,
            stats,
            header,
        })
    }
}

/// The table of contents: (type, start offset, body) per component, CRCs
/// checked. Offsets in errors are file offsets.
fn split_components<'a>(
    bytes: &'a [u8],
    version: Version,
    path: &Path,
) -> Result<Vec<(i32, u64, &'a [u8])>> {
    let checksummed = version.has_metadata_checksum();
    let mut c = Cursor::new(bytes, path);
    let count = c.count(8, "component count")?;
    if count > 16 {
        return Err(Error::corrupt(path, 0, format!("{count} components")));
    }
    if checksummed {
        let stored = c.u32("component count CRC")?;
        if crc32fast::hash(&bytes[0..4]) != stored {
            return Err(Error::corrupt(path, 4, "component count fails its CRC"));
        }
    }
    let toc_start = c.position() as usize;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = c.i32("component type")?;
        let at = c.position();
        let offset = c.i32("component offset")?;
        let offset = usize::try_from(offset)
            .ok()
            .filter(|&o| o <= bytes.len())
            .ok_or_else(|| {
                Error::corrupt(
                    path,
                    at,
                    format!("component offset {offset} outside the file"),
                )
            })?;
        entries.push((kind, offset));
    }
    if checksummed {
        let toc_end = c.position() as usize;
        let stored = c.u32("table of contents CRC")?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&bytes[0..4]);
        crc.update(&bytes[toc_start..toc_end]);
        if crc.finalize() != stored {
            return Err(Error::corrupt(
                path,
                toc_end as u64,
                "table of contents fails its CRC",
            ));
        }
    }
    let mut sorted = entries.clone();
    sorted.sort_by_key(|&(_, offset)| offset);
    let mut components = Vec::with_capacity(count);
    for (i, &(kind, start)) in sorted.iter().enumerate() {
        let end = sorted.get(i + 1).map_or(bytes.len(), |&(_, next)| next);
        if end < start || (checksummed && end - start < 4) {
            return Err(Error::corrupt(
                path,
                start as u64,
                "component overlaps the next",
            ));
        }
        let body_end = if checksummed { end - 4 } else { end };
        let body = &bytes[start..body_end];
        if checksummed {
            let crc = &bytes[body_end..end];
            let stored = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
            if crc32fast::hash(body) != stored {
                return Err(Error::corrupt(
                    path,
                    start as u64,
                    format!("component {kind} fails its CRC"),
                ));
            }
        }
        components.push((kind, start as u64, body));
    }
    Ok(components)
}

fn parse_header(c: &mut Cursor<'_>) -> Result<SerializationHeader> {
    let min_timestamp = TIMESTAMP_EPOCH.wrapping_add(c.vint("min timestamp")? as i64);
    let min_local_deletion_time =
        DELETION_TIME_EPOCH + i64::from(c.vint32("min local deletion time")?);
    let min_ttl = c.vint32("min TTL")?;
    let key_type = c.string_vint("key type")?.to_string();
    let n = c.vint_count(1, "clustering count")?;
    let mut clustering_types = Vec::with_capacity(n);
    for _ in 0..n {
        clustering_types.push(c.string_vint("clustering type")?.to_string());
    }
    let mut columns = |what: &str| -> Result<Vec<HeaderColumn>> {
        let n = c.vint_count(2, what)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let name = c.bytes_vint("column name")?.to_vec();
            let type_string = c.string_vint("column type")?.to_string();
            out.push(HeaderColumn { name, type_string });
        }
        Ok(out)
    };
    let mut static_columns = columns("static column count")?;
    let mut regular_columns = columns("regular column count")?;
    // Rows encode their columns in Cassandra's column order whatever order
    // the header lists them in: Cassandra sorts them when it reads the
    // header (`SerializationHeader.Component.toHeader`), and Scylla lists
    // them by name alone (simple and complex columns interleaved).
    for list in [&mut static_columns, &mut regular_columns] {
        list.sort_by(|a, b| {
            column_order(
                (a.name.as_slice(), &a.type_string),
                (b.name.as_slice(), &b.type_string),
            )
        });
    }
    Ok(SerializationHeader {
        min_timestamp,
        min_local_deletion_time,
        min_ttl,
        key_type,
        clustering_types,
        static_columns,
        regular_columns,
    })
}

fn histogram(c: &mut Cursor<'_>, what: &str) -> Result<(Vec<i64>, Vec<i64>)> {
    let n = c.count(16, what)?;
    let mut offsets = Vec::with_capacity(n);
    let mut counts = Vec::with_capacity(n);
    for i in 0..n {
        let offset = c.i64(what)?;
        // The first two pairs both carry the first offset.
        if i > 0 {
            offsets.push(offset);
        }
        counts.push(c.i64(what)?);
    }
    Ok((offsets, counts))
}

fn position(c: &mut Cursor<'_>, what: &str) -> Result<CommitLogPosition> {
    Ok(CommitLogPosition {
        segment_id: c.i64(what)?,
        position: c.i32(what)?,
    })
}

fn optional_uuid(c: &mut Cursor<'_>, what: &str) -> Result<Option<[u8; 16]>> {
    Ok(if c.bool(what)? {
        Some(c.array16(what)?)
    } else {
        None
    })
}

fn parse_stats(c: &mut Cursor<'_>, version: Version) -> Result<Stats> {
    let partition_sizes = histogram(c, "partition size histogram")?;
    let cells_per_partition = histogram(c, "cell count histogram")?;
    let commit_log_upper_bound = position(c, "commit log upper bound")?;
    let min_timestamp = c.i64("min timestamp")?;
    let max_timestamp = c.i64("max timestamp")?;
    let (min_local_deletion_time, max_local_deletion_time) = if version.has_uint_deletion_time() {
        (i64::from(c.u32("min ldt")?), i64::from(c.u32("max ldt")?))
    } else {
        (i64::from(c.i32("min ldt")?), i64::from(c.i32("max ldt")?))
    };
    let min_ttl = c.i32("min TTL")?;
    let max_ttl = c.i32("max TTL")?;
    let compression_ratio = c.f64("compression ratio")?;
    let max_bins = c.i32("tombstone histogram bins")?;
    let uint = version.has_uint_deletion_time();
    let n = c.count(if uint { 12 } else { 16 }, "tombstone histogram size")?;
    let mut bins = Vec::with_capacity(n);
    for _ in 0..n {
        let (point, count) = if uint {
            (
                c.i64("tombstone point")?,
                i64::from(c.i32("tombstone count")?),
            )
        } else {
            let at = c.position();
            let point = c.f64("tombstone point")?;
            if point.fract() != 0.0 || !point.is_finite() {
                return Err(c.corrupt_at(at, format!("tombstone histogram point {point}")));
            }
            (point as i64, c.i64("tombstone count")?)
        };
        bins.push((point, count));
    }
    let sstable_level = c.i32("sstable level")?;
    let repaired_at = c.i64("repaired at")?;
    let clustering = if version.has_legacy_min_max() {
        let mut values = |what: &str| -> Result<Vec<Vec<u8>>> {
            let k = c.count(2, what)?;
            (0..k).map(|_| Ok(c.bytes_short(what)?.to_vec())).collect()
        };
        let min = values("min clustering")?;
        let max = values("max clustering")?;
        ClusteringRange::Legacy { min, max }
    } else {
        let n = c.vint_count(1, "clustering type count")?;
        let mut types = Vec::with_capacity(n);
        for _ in 0..n {
            types.push(c.string_vint("clustering type")?.to_string());
        }
        let start = read_bound(c, &types)?;
        let end = read_bound(c, &types)?;
        ClusteringRange::Slice { types, start, end }
    };
    let has_legacy_counter_shards = c.bool("legacy counter shards")?;
    let total_columns_set = c.i64("total columns")?;
    let total_rows = c.i64("total rows")?;
    let commit_log_lower_bound = if version.has_commit_log_lower_bound() {
        Some(position(c, "commit log lower bound")?)
    } else {
        None
    };
    let mut commit_log_intervals = Vec::new();
    if version.has_commit_log_intervals() {
        let n = c.count(24, "commit log intervals")?;
        for _ in 0..n {
            commit_log_intervals
                .push((position(c, "interval start")?, position(c, "interval end")?));
        }
    }
    let mut stale_na = false;
    let (pending_repair, is_transient) = if version.has_pending_repair() {
        let pending = optional_uuid(c, "pending repair")?;
        // The `na` compact tables Cassandra keeps as test data came from a
        // 4.0 pre-release without isTransient: their component ends right
        // here, one byte before its table-of-contents boundary. A current
        // `na` always has the byte (and no host id after it), so an end
        // exactly here tells the two apart.
        if version.letters() == "na" && c.remaining() == 0 {
            stale_na = true;
            (pending, false)
        } else {
            (pending, c.bool("is transient")?)
        }
    } else {
        (None, false)
    };
    let originating_host_id = if version.has_originating_host_id() {
        optional_uuid(c, "originating host id")?
    } else {
        None
    };
    let (has_partition_level_deletions, key_range, token_space_coverage) =
        if version.has_nc_stats_tail() {
            nc_tail(c)
        } else if version.has_improved_stats() {
            let deletions = c.bool("partition level deletions")?;
            let first = c.bytes_vint("first key")?.to_vec();
            let last = c.bytes_vint("last key")?.to_vec();
            let coverage = c.f64("token space coverage")?;
            (Some(deletions), Some((first, last)), Some(coverage))
        } else {
            (None, None, None)
        };
    // Java ignores bytes it does not consume; so does Ilion.
    Ok(Stats {
        partition_sizes,
        cells_per_partition,
        commit_log_upper_bound,
        min_timestamp,
        max_timestamp,
        min_local_deletion_time,
        max_local_deletion_time,
        min_ttl,
        max_ttl,
        compression_ratio,
        tombstone_drop_times: (max_bins, bins),
        sstable_level,
        repaired_at,
        clustering,
        has_legacy_counter_shards,
        total_columns_set,
        total_rows,
        commit_log_lower_bound,
        commit_log_intervals,
        pending_repair,
        is_transient,
        originating_host_id,
        has_partition_level_deletions,
        key_range,
        token_space_coverage,
        stale_na,
    })
}

/// The partition-level-deletion flag, first and last keys and token-space
/// coverage, where a version has them.
type StatsTail = (Option<bool>, Option<(Vec<u8>, Vec<u8>)>, Option<f64>);

/// The tail an `nc` Stats component carries after the host id: the
/// partition-level-deletion flag, the improved min/max (clustering types
/// and a slice, parsed to check it and then dropped: the legacy min/max
/// stays authoritative for `nc`) and the first and last keys. Cassandra's
/// released code reads `nc` as `nb` and ignores these bytes; Ilion reads
/// them when they parse and otherwise ignores them the same way (the
/// component's CRC has already vouched for the bytes).
fn nc_tail(c: &mut Cursor<'_>) -> StatsTail {
    let mut parse = || -> Result<(bool, Vec<u8>, Vec<u8>)> {
        let deletions = c.bool("partition level deletions")?;
        let n = c.vint_count(1, "clustering type count")?;
        let mut types = Vec::with_capacity(n);
        for _ in 0..n {
            types.push(c.string_vint("clustering type")?.to_string());
        }
        read_bound(c, &types)?;
        read_bound(c, &types)?;
        let first = c.bytes_vint("first key")?.to_vec();
        let last = c.bytes_vint("last key")?.to_vec();
        Ok((deletions, first, last))
    };
    match parse() {
        Ok((deletions, first, last)) => (Some(deletions), Some((first, last)), None),
        Err(_) => (None, None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_columns_are_read_into_cassandras_column_order() {
        // A header listing its columns by name (as Scylla writes them):
        // complex rc2 before simple rc3.
        let m = "org.apache.cassandra.db.marshal.";
        let mut bytes = vec![0, 0, 0];
        let string = |s: &str, out: &mut Vec<u8>| {
            out.push(s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        };
        string(&format!("{m}Int32Type"), &mut bytes);
        bytes.extend([0, 0, 2]);
        string("rc2", &mut bytes);
        string(&format!("{m}SetType({m}Int32Type)"), &mut bytes);
        string("rc3", &mut bytes);
        string(&format!("{m}Int32Type"), &mut bytes);
        let path = Path::new("Statistics.db");
        let header = parse_header(&mut Cursor::new(&bytes, path)).unwrap();
        let names: Vec<&[u8]> = header
            .regular_columns
            .iter()
            .map(|c| c.name.as_slice())
            .collect();
        assert_eq!(names, [&b"rc3"[..], &b"rc2"[..]]);
    }
}
