//! `ilion sstable verify`: every checksum an SSTable carries, then every
//! partition decoded in order. Prints an `OK` line per check; on damage
//! prints what failed (the component's file and the offset) to standard
//! error, goes on with the checks that do not depend on it, and fails.
//!
//! The checks: Ilion's checksum sidecar when present (every component it
//! lists); Digest.crc32 against the whole Data.db; Statistics.db parsed
//! with its per-component CRCs (versions `na` on); the SSTable opened
//! (Summary, Filter, Index, CompressionInfo or CRC.db read and checked);
//! every chunk's CRC (CompressionInfo.db's chunks, or CRC.db's for an
//! uncompressed Data.db); every partition decoded, keys in partitioner
//! order and rows in clustering order; then what has no checksum against
//! the data (`consistency`): Summary.db's samples against Index.db, every
//! Index.db entry and row-index block against its partition, every key
//! through the bloom filter, Statistics.db's partition count and timestamp
//! range against what was read.

use super::{consistency, scrub_report};
use ilion_sstable::checksums::Checksums;
use ilion_sstable::clustering::{compare_prefix_parts, ClusteringValue, PrefixKind};
use ilion_sstable::descriptor::{Component, Descriptor};
use ilion_sstable::index::IndexReader;
use ilion_sstable::partitioner::Partitioner;
use ilion_sstable::reader::SstableReader;
use ilion_sstable::rows::Unfiltered;
use ilion_sstable::scrub::{self, Finding};
use ilion_sstable::statistics::Statistics;
use ilion_sstable::summary::Summary;
use ilion_sstable::types::has_comparator;
use ilion_sstable::version::FormatType;
use std::error::Error;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Verifies every SSTable in `files`.
pub fn run(files: &[PathBuf]) -> Result<(), Box<dyn Error>> {
    let mut failed = 0;
    for file in files {
        let problems = verify(file);
        if problems > 0 {
            eprintln!("FAILED {}: {problems} problem(s)", file.display());
            failed += 1;
        } else {
            println!("OK {}", file.display());
        }
    }
    if failed > 0 {
        return Err(format!("{failed} of {} SSTable(s) damaged", files.len()).into());
    }
    Ok(())
}

const COMPONENTS: [Component; 9] = [
    Component::Data,
    Component::CompressionInfo,
    Component::Crc,
    Component::Index,
    Component::Summary,
    Component::Filter,
    Component::Statistics,
    Component::Digest,
    Component::Toc,
];

/// Counts what fails, reporting each check.
struct Report<'a> {
    descriptor: &'a Descriptor,
    problems: usize,
    /// Whether Data.db matched Digest.crc32.
    data_intact: bool,
}

impl Report<'_> {
    fn ok(&self, component: Component, what: &str) {
        println!("  OK   {}: {what}", component.name());
    }

    fn fail(&mut self, component: Component, error: &dyn std::fmt::Display) {
        eprintln!(
            "  FAIL {} ({}): {error}",
            component.name(),
            self.descriptor.path(component).display()
        );
        self.problems += 1;
    }
}

fn verify(file: &Path) -> usize {
    let descriptor = match Descriptor::from_path(file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("  FAIL {}: {e}", file.display());
            return 1;
        }
    };
    let mut report = Report {
        descriptor: &descriptor,
        problems: 0,
        data_intact: false,
    };
    check_sidecar(&mut report);
    let before = report.problems;
    check_digest(&mut report);
    let digest_failed = report.problems > before;
    check_statistics(&mut report);
    let reader = match SstableReader::open(file) {
        Ok(r) => r,
        Err(e) => {
            // The error names the component that failed and its offset.
            report.fail(component_of(&e.to_string()), &e);
            return report.problems;
        }
    };
    if descriptor.version.format() == FormatType::Big {
        report.ok(
            Component::Index,
            "Summary, Filter, Index and the chunk table read and checked",
        );
    } else {
        report.ok(
            Component::Partitions,
            "Filter, Partitions and Rows tries and the chunk table read",
        );
    }
    match reader.verify() {
        Ok(()) => report.ok(
            Component::Data,
            "every chunk's CRC matches; the filter and the index reach every key",
        ),
        // The digest mismatch was reported above; the chunks' CRCs are
        // still checked, partition by partition, by the decoding below.
        Err(e) if digest_failed && e.to_string().contains("Digest.crc32") => {}
        Err(e) => report.fail(component_of(&e.to_string()), &e),
    }
    let mut findings = Vec::new();
    check_partitions(&mut report, &reader, &mut findings);
    report_deletions(&mut report, &reader, &findings);
    report.problems
}

/// Reports the deletion times and TTLs Cassandra's scrub would reject,
/// from the `findings` of the partition walk (whose order problems it has
/// reported itself).
fn report_deletions(report: &mut Report<'_>, reader: &SstableReader, findings: &[Finding]) {
    let header = &reader.statistics().header;
    let invalid: Vec<_> = findings
        .iter()
        .filter(|f| !scrub_report::is_order_problem(&f.problem))
        .collect();
    for finding in invalid.iter().take(scrub_report::PRINTED) {
        report.fail(Component::Data, &scrub_report::describe(header, finding));
    }
    if invalid.len() > scrub_report::PRINTED {
        report.fail(
            Component::Data,
            &format!(
                "{} more deletion times or TTLs of that kind",
                invalid.len() - scrub_report::PRINTED
            ),
        );
    }
    if invalid.is_empty() {
        report.ok(
            Component::Data,
            "no deletion time or TTL that Cassandra's scrub rejects",
        );
    }
}

/// The component a library error names (by its file name), Data.db when
/// none.
fn component_of(message: &str) -> Component {
    COMPONENTS
        .into_iter()
        .find(|c| message.contains(&format!("-{}", c.name())))
        .unwrap_or(Component::Data)
}

fn check_sidecar(report: &mut Report<'_>) {
    let path = report.descriptor.path(Component::IlionChecksums);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => return report.fail(Component::IlionChecksums, &e),
    };
    let checksums = match Checksums::parse(&bytes, &path) {
        Ok(c) => c,
        Err(e) => return report.fail(Component::IlionChecksums, &e),
    };
    let mut checked = 0;
    for component in COMPONENTS {
        if checksums.get(component).is_none() {
            continue;
        }
        let path = report.descriptor.path(component);
        match std::fs::read(&path) {
            Ok(bytes) => match checksums.check(component, &bytes, &path) {
                Ok(()) => checked += 1,
                Err(e) => report.fail(component, &e),
            },
            Err(e) => report.fail(component, &format!("cannot read {}: {e}", path.display())),
        }
    }
    report.ok(
        Component::IlionChecksums,
        &format!("{checked} component(s) match their length and CRC32"),
    );
}

fn check_digest(report: &mut Report<'_>) {
    let digest_path = report.descriptor.path(Component::Digest);
    let text = match std::fs::read_to_string(&digest_path) {
        Ok(t) => t,
        Err(e) => return report.fail(Component::Digest, &e),
    };
    let Ok(expected) = text.trim().parse::<u32>() else {
        return report.fail(Component::Digest, &"not a decimal CRC32");
    };
    let data_path = report.descriptor.path(Component::Data);
    match crc_of(&data_path) {
        Ok(actual) if actual == expected => {
            report.data_intact = true;
            report.ok(Component::Digest, "the CRC32 of Data.db matches")
        }
        Ok(actual) => report.fail(
            Component::Data,
            &format!("CRC32 {actual} of the whole file does not match Digest.crc32 ({expected})"),
        ),
        Err(e) => report.fail(Component::Data, &e),
    }
}

fn crc_of(path: &Path) -> std::io::Result<u32> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hasher.finalize());
        }
        hasher.update(&buffer[..n]);
    }
}

fn check_statistics(report: &mut Report<'_>) {
    let path = report.descriptor.path(Component::Statistics);
    let version = report.descriptor.version;
    let result = std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| Statistics::parse(&bytes, version, &path).map_err(|e| e.to_string()));
    match result {
        Ok(_) if version.has_metadata_checksum() => report.ok(
            Component::Statistics,
            "parsed, every component's CRC matches",
        ),
        Ok(_) => report.ok(
            Component::Statistics,
            "parsed (this version stores no CRCs in it)",
        ),
        Err(e) => report.fail(Component::Statistics, &e),
    }
}

/// Walks every partition with its positions: order, index entries, the
/// Statistics.db figures; and collects into `findings` what Cassandra's
/// scrub would reject, in the same pass.
fn check_partitions(report: &mut Report<'_>, reader: &SstableReader, findings: &mut Vec<Finding>) {
    let statistics = reader.statistics();
    let Some(partitioner) = Partitioner::from_class_name(&statistics.validation.partitioner) else {
        return report.fail(Component::Statistics, &"unknown partitioner");
    };
    let types = &statistics.header.clustering_types;
    let version = report.descriptor.version;
    // A BTI table's Partitions.db and Rows.db were checked against the
    // data by the reader's own verify; Index.db and Summary.db are the big
    // format's.
    let big = version.format() == FormatType::Big;
    let index_path = report.descriptor.path(Component::Index);
    let index = if big {
        match std::fs::read(&index_path) {
            Ok(b) => b,
            Err(e) => return report.fail(Component::Index, &e),
        }
    } else {
        Vec::new()
    };
    if big {
        check_summary(report, &index, &index_path);
    }
    let ordered = types.iter().all(|t| has_comparator(t));
    let no_deletion_time = scrub::no_deletion_time(version);
    let scan = match reader.positioned() {
        Ok(s) => s,
        Err(e) => return report.fail(component_of(&e.to_string()), &e),
    };
    let mut keys = IndexReader::new(&index, version, types, &index_path);
    let mut entries = IndexReader::new(&index, version, types, &index_path);
    let (mut partitions, mut rows) = (0u64, 0u64);
    let mut previous: Option<Vec<u8>> = None;
    let mut range: Option<(i64, i64)> = None;
    let mut stamps = Vec::new();
    for item in scan {
        let p = match item {
            Ok(p) => p,
            // Data.db matched its digest: an index entry that leads to
            // the wrong partition is the index's damage.
            Err(e) if report.data_intact && e.to_string().contains("the index points at") => {
                return report.fail(
                    Component::Index,
                    &format!("an entry points into Data.db where another partition is ({e})"),
                )
            }
            Err(e) => return report.fail(component_of(&e.to_string()), &e),
        };
        if let Some(prev) = &previous {
            if partitioner.compare(prev, &p.partition.key).is_ge() {
                return report.fail(
                    Component::Data,
                    &format!("partition at {} is out of order", p.position),
                );
            }
        }
        if big {
            let entry = keys
                .next_key()
                .and_then(|k| k.ok_or_else(|| index_missing(&index_path)))
                .and_then(|k| entries.entry_at(k.offset));
            match entry {
                Ok(entry) => {
                    if let Err(e) = consistency::entry_matches(&entry, &p) {
                        return report.fail(Component::Index, &e);
                    }
                }
                Err(e) => return report.fail(Component::Index, &e),
            }
        }
        scrub::check_partition(&p.partition, types, no_deletion_time, findings);
        let mut last: Option<(PrefixKind, &[ClusteringValue])> = None;
        for (u, at) in p.partition.unfiltereds.iter().zip(&p.unfiltered_positions) {
            let current = match u {
                Unfiltered::Row(r) => {
                    rows += 1;
                    (PrefixKind::Clustering, r.clustering.as_slice())
                }
                Unfiltered::Marker(m) => (m.bound.kind, m.bound.values.as_slice()),
            };
            if let (true, Some(prev)) = (ordered, last) {
                // Equal prefixes are legal between markers (an end and a
                // start at the same values), never between two rows.
                let order = compare_prefix_parts(types, prev, current);
                let both_rows =
                    prev.0 == PrefixKind::Clustering && current.0 == PrefixKind::Clustering;
                if order.is_gt() || (order.is_eq() && both_rows) {
                    return report.fail(
                        Component::Data,
                        &format!("row or marker at {at} is out of clustering order"),
                    );
                }
            }
            last = Some(current);
        }
        stamps.clear();
        p.partition.timestamps(&mut stamps);
        for t in &stamps {
            range = Some(range.map_or((*t, *t), |(lo, hi)| (lo.min(*t), hi.max(*t))));
        }
        previous = Some(p.partition.key);
        partitions += 1;
    }
    match keys.next_key() {
        _ if !big => {}
        Ok(None) => {}
        Ok(Some(k)) => {
            return report.fail(
                Component::Index,
                &format!("entry at offset {} names no partition of Data.db", k.offset),
            )
        }
        Err(e) => return report.fail(Component::Index, &e),
    }
    report.ok(
        Component::Data,
        &format!("{partitions} partition(s) and {rows} row(s) decode in order"),
    );
    if big {
        report.ok(
            Component::Index,
            "every entry and row index block matches Data.db",
        );
    } else {
        report.ok(
            Component::Partitions,
            "Partitions.db and Rows.db lead to every partition and row block",
        );
    }
    check_stats_against_data(report, statistics, partitions, range);
}

fn index_missing(path: &Path) -> ilion_sstable::Error {
    ilion_sstable::Error::Corruption {
        path: path.to_path_buf(),
        offset: 0,
        reason: "fewer entries than Data.db has partitions".to_string(),
    }
}

fn check_summary(report: &mut Report<'_>, index: &[u8], index_path: &Path) {
    let path = report.descriptor.path(Component::Summary);
    let summary = match std::fs::read(&path) {
        Ok(bytes) => Summary::parse(&bytes, &path),
        Err(e) => return report.fail(Component::Summary, &e),
    };
    match summary
        .map_err(|e| e.to_string())
        .and_then(|s| consistency::summary_matches_index(&s, index, index_path))
    {
        Ok(()) => report.ok(
            Component::Summary,
            "every sample and the first and last keys match Index.db",
        ),
        Err(e) => report.fail(Component::Summary, &e),
    }
}

/// Statistics.db's partition count and timestamp range against the data
/// (for versions whose Statistics.db has no CRC, the only check it gets).
fn check_stats_against_data(
    report: &mut Report<'_>,
    statistics: &Statistics,
    partitions: u64,
    range: Option<(i64, i64)>,
) {
    let stats = &statistics.stats;
    let counted: i64 = stats.partition_sizes.1.iter().sum();
    if counted != partitions as i64 {
        return report.fail(
            Component::Statistics,
            &format!("its partition size histogram counts {counted} partitions, Data.db has {partitions}"),
        );
    }
    if let Some((lo, hi)) = range {
        if lo != stats.min_timestamp || hi != stats.max_timestamp {
            return report.fail(
                Component::Statistics,
                &format!(
                    "timestamps {}..{} differ from the data's {lo}..{hi}",
                    stats.min_timestamp, stats.max_timestamp
                ),
            );
        }
    }
    report.ok(
        Component::Statistics,
        "partition count and timestamp range match the data",
    );
}
