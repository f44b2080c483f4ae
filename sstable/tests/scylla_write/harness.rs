//! Writing one case with Ilion's writer and comparing the files with
//! Cassandra's.

use ilion_sstable::bloom::{BloomFilter, FilterLayout};
use ilion_sstable::data_reader::DataReader;
use ilion_sstable::descriptor::{Component, Descriptor};
use ilion_sstable::rows::{ColumnData, Partition, Row, Unfiltered};
use ilion_sstable::schema::TableSchema;
use ilion_sstable::statistics::{
    SerializationHeader, Statistics, DELETION_TIME_EPOCH, TIMESTAMP_EPOCH,
};
use ilion_sstable::version::Version;
use ilion_sstable::writer::{SstableWriter, WriterOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One table's content as the CQL (and the scylla test's mirror of it)
/// describes it, and what must hold of Ilion's files.
pub struct Case {
    /// The table.
    pub schema: TableSchema,
    /// Its partitions, in any order (the writer's order is the
    /// partitioner's).
    pub partitions: Vec<Partition>,
    /// What the comparison must show.
    pub expect: Expect,
    /// Whether `TableSchema::validate_partition` applies: not to a COMPACT
    /// STORAGE table, whose trailing clustering values may be null (a CQL
    /// table's never are, and `TableSchema` models CQL tables).
    pub validated: bool,
    /// Whether the header lists only the columns the content writes, as
    /// Cassandra's flush does (`Memtable.ColumnsCollector`: the columns of
    /// the memtable's updates), rather than every column of the table, as
    /// Scylla's writer does. Which one a table needs says who wrote it.
    pub written_columns_only: bool,
}

/// Restricts the header to the columns some row of `partitions` holds, in
/// header order, and renumbers the rows' columns to match.
fn keep_written_columns(header: &mut SerializationHeader, partitions: &mut [Partition]) {
    let mut used_static = vec![false; header.static_columns.len()];
    let mut used_regular = vec![false; header.regular_columns.len()];
    let index = |c: &ColumnData| match c {
        ColumnData::Simple { column, .. } | ColumnData::Complex { column, .. } => *column,
    };
    for p in partitions.iter() {
        for c in p.static_row.iter().flat_map(|r| &r.columns) {
            used_static[index(c)] = true;
        }
        for u in &p.unfiltereds {
            if let Unfiltered::Row(r) = u {
                for c in &r.columns {
                    used_regular[index(c)] = true;
                }
            }
        }
    }
    // New index of each old one: the count of used columns before it.
    let renumber = |used: &[bool]| -> Vec<usize> {
        used.iter()
            .scan(0, |next, &u| {
                let i = *next;
                *next += usize::from(u);
                Some(i)
            })
            .collect()
    };
    let (new_static, new_regular) = (renumber(&used_static), renumber(&used_regular));
    let renumber_row = |row: &mut Row, map: &[usize]| {
        for c in &mut row.columns {
            match c {
                ColumnData::Simple { column, .. } | ColumnData::Complex { column, .. } => {
                    *column = map[*column]
                }
            }
        }
    };
    for p in partitions.iter_mut() {
        if let Some(r) = &mut p.static_row {
            renumber_row(r, &new_static);
        }
        for u in &mut p.unfiltereds {
            if let Unfiltered::Row(r) = u {
                renumber_row(r, &new_regular);
            }
        }
    }
    let mut keep = used_static.into_iter();
    header
        .static_columns
        .retain(|_| keep.next().unwrap_or(false));
    let mut keep = used_regular.into_iter();
    header
        .regular_columns
        .retain(|_| keep.next().unwrap_or(false));
}

/// What must hold of Ilion's Data.db and Index.db.
pub enum Expect {
    /// Both identical to Cassandra's, byte for byte.
    Identical,
    /// Identity cannot hold for the reason given; `check` asserts what
    /// does.
    Explained {
        /// Why the bytes differ.
        reason: &'static str,
        /// The weaker property that holds.
        check: fn(&Outcome) -> Result<(), String>,
    },
}

/// The files of one comparison.
pub struct Outcome {
    /// Ilion's Data.db.
    pub ours_data: Vec<u8>,
    /// Cassandra's Data.db.
    pub theirs_data: Vec<u8>,
    /// Ilion's Index.db.
    pub ours_index: Vec<u8>,
    /// Cassandra's Index.db.
    pub theirs_index: Vec<u8>,
    /// Ilion's partitions, in written order.
    pub written: Vec<Partition>,
}

/// Cassandra's files for one table.
pub struct Cassandra {
    /// The table's directory.
    pub dir: PathBuf,
    /// Its parsed Statistics.db.
    pub stats: Statistics,
}

/// The version the scylla-3x files were written in.
pub fn mc() -> Version {
    Version::parse("mc", "big").unwrap()
}

impl Cassandra {
    /// Loads the table in `dir`.
    pub fn load(dir: &Path) -> Cassandra {
        let path = dir.join("mc-1-big-Statistics.db");
        let stats = Statistics::parse(&std::fs::read(&path).unwrap(), mc(), &path).unwrap();
        Cassandra {
            dir: dir.to_path_buf(),
            stats,
        }
    }

    /// A component's bytes.
    pub fn component(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(format!("mc-1-big-{name}"))).unwrap()
    }

    /// Cassandra's partitions, decoded against its Statistics.db header.
    pub fn partitions(&self) -> Result<Vec<Partition>, String> {
        let path = self.dir.join("mc-1-big-Data.db");
        let data = self.component("Data.db");
        decode(&data, &self.stats.header, mc(), &path)
    }

    /// The wall-clock times (seconds) Cassandra recorded as local deletion
    /// and expiration times, ascending and distinct: its "now" at each
    /// deleting statement (plus the TTL for expiring data). The CQL cannot
    /// know them; the content never comes from here, only these clocks.
    /// From the decoded Data.db; where our reader cannot decode it, from
    /// Statistics.db's min and max local deletion time.
    pub fn local_times(&self) -> Vec<i64> {
        let mut times = Vec::new();
        match self.partitions() {
            Ok(partitions) => {
                for p in &partitions {
                    collect_times(p, &mut times);
                }
            }
            Err(_) => {
                let s = &self.stats.stats;
                times.extend([s.min_local_deletion_time, s.max_local_deletion_time]);
                times.retain(|t| *t != i64::from(i32::MAX));
            }
        }
        times.sort_unstable();
        times.dedup();
        times
    }

    /// The `i`-th of [`Cassandra::local_times`].
    pub fn now(&self, i: usize) -> i64 {
        let times = self.local_times();
        *times
            .get(i)
            .unwrap_or_else(|| panic!("local time {i} of {times:?}"))
    }
}

fn collect_times(p: &Partition, out: &mut Vec<i64>) {
    let deletion = |out: &mut Vec<i64>, d: &ilion_sstable::reconcile::DeletionTime| {
        if !d.is_live() {
            out.push(d.local_deletion_time);
        }
    };
    deletion(out, &p.deletion);
    let mut rows: Vec<&Row> = p.static_row.iter().collect();
    for u in &p.unfiltereds {
        match u {
            Unfiltered::Row(r) => rows.push(r),
            Unfiltered::Marker(m) => {
                for d in m.start_deletion.iter().chain(m.end_deletion.iter()) {
                    deletion(out, d);
                }
            }
        }
    }
    for r in rows {
        if let Some(d) = &r.deletion {
            deletion(out, d);
        }
        let mut cells = Vec::new();
        for c in &r.columns {
            match c {
                ColumnData::Simple { cell, .. } => cells.push(cell),
                ColumnData::Complex {
                    deletion: d,
                    cells: cs,
                    ..
                } => {
                    deletion(out, d);
                    cells.extend(cs);
                }
            }
        }
        if let Some((_, expiry)) = r.liveness.and_then(|l| l.expiry) {
            out.push(expiry);
        }
        for cell in cells {
            match cell.kind {
                ilion_sstable::reconcile::CellKind::Live => {}
                ilion_sstable::reconcile::CellKind::Expiring {
                    local_expiration_time: t,
                    ..
                }
                | ilion_sstable::reconcile::CellKind::Tombstone {
                    local_deletion_time: t,
                } => out.push(t),
            }
        }
    }
}

/// Decodes a whole Data.db stream.
pub fn decode(
    data: &[u8],
    header: &SerializationHeader,
    version: Version,
    path: &Path,
) -> Result<Vec<Partition>, String> {
    let mut reader = DataReader::new(data, header, version, path);
    let mut out = Vec::new();
    loop {
        match reader.next_partition() {
            Ok(Some(p)) => out.push(p),
            Ok(None) => return Ok(out),
            Err(e) => return Err(format!("{e} (after {} partitions)", out.len())),
        }
    }
}

/// The serialization header minimums Cassandra derives from the data it
/// flushes (`EncodingStats.Collector`): the smallest timestamp of any
/// liveness, deletion or cell; the smallest local deletion time of any
/// deletion, tombstone or expiring liveness or cell; the smallest TTL of
/// any expiring liveness or cell. What nothing sets stays at the epochs
/// (`TIMESTAMP_EPOCH`, `DELETION_TIME_EPOCH`, TTL 0).
pub fn encoding_stats(partitions: &[Partition]) -> (i64, i64, i32) {
    let mut ts: Option<i64> = None;
    let mut ldt: Option<i64> = None;
    let mut ttl: Option<i64> = None;
    let min = |slot: &mut Option<i64>, v: i64| *slot = Some(slot.map_or(v, |s| s.min(v)));
    let deletion = |ts: &mut Option<i64>,
                    ldt: &mut Option<i64>,
                    d: &ilion_sstable::reconcile::DeletionTime| {
        if !d.is_live() {
            min(ts, d.marked_for_delete_at);
            min(ldt, d.local_deletion_time);
        }
    };
    for p in partitions {
        deletion(&mut ts, &mut ldt, &p.deletion);
        let mut rows: Vec<&Row> = p.static_row.iter().collect();
        for u in &p.unfiltereds {
            match u {
                Unfiltered::Row(r) => rows.push(r),
                Unfiltered::Marker(m) => {
                    for d in m.start_deletion.iter().chain(m.end_deletion.iter()) {
                        deletion(&mut ts, &mut ldt, d);
                    }
                }
            }
        }
        for r in rows {
            if let Some(l) = r.liveness {
                min(&mut ts, l.timestamp);
                if let Some((t, expiry)) = l.expiry {
                    min(&mut ttl, i64::from(t));
                    min(&mut ldt, expiry);
                }
            }
            if let Some(d) = &r.deletion {
                deletion(&mut ts, &mut ldt, d);
            }
            for c in &r.columns {
                let cells: Vec<&ilion_sstable::rows::Cell> = match c {
                    ColumnData::Simple { cell, .. } => vec![cell],
                    ColumnData::Complex {
                        deletion: d, cells, ..
                    } => {
                        deletion(&mut ts, &mut ldt, d);
                        cells.iter().collect()
                    }
                };
                for cell in cells {
                    min(&mut ts, cell.timestamp);
                    match cell.kind {
                        ilion_sstable::reconcile::CellKind::Live => {}
                        ilion_sstable::reconcile::CellKind::Expiring {
                            ttl: t,
                            local_expiration_time,
                        } => {
                            min(&mut ttl, i64::from(t));
                            min(&mut ldt, local_expiration_time);
                        }
                        ilion_sstable::reconcile::CellKind::Tombstone {
                            local_deletion_time,
                        } => min(&mut ldt, local_deletion_time),
                    }
                }
            }
        }
    }
    (
        ts.unwrap_or(TIMESTAMP_EPOCH),
        ldt.unwrap_or(DELETION_TIME_EPOCH),
        ttl.unwrap_or(0) as i32,
    )
}

/// Writes the case as `nb`, uncompressed, and compares Data.db and Index.db
/// with Cassandra's. `Err` describes every failure.
pub fn run(cassandra: &Cassandra, case: Case) -> Result<&'static str, String> {
    let Case {
        schema,
        mut partitions,
        expect,
        validated,
        written_columns_only,
    } = case;
    let options = WriterOptions {
        version: Version::NB,
        compression: false,
        expected_partitions: partitions.len() as u64,
        ..WriterOptions::default()
    };
    partitions.sort_by(|a, b| options.partitioner.compare(&a.key, &b.key));
    let (min_ts, min_ldt, min_ttl) = encoding_stats(&partitions);
    let mut problems = Vec::new();
    for p in partitions.iter().filter(|_| validated) {
        if let Err(e) = schema.validate_partition(p) {
            problems.push(format!("partition fails validation: {e}"));
        }
    }
    let mut header = schema.serialization_header(min_ts, min_ldt, min_ttl);
    if written_columns_only {
        keep_written_columns(&mut header, &mut partitions);
    }
    // The header: columns and types from the schema, minimums from the
    // content; it must be the one Cassandra wrote.
    if cassandra.stats.header != header {
        problems.push(format!(
            "serialization header: ours {header:?}\n  Cassandra's {:?}",
            cassandra.stats.header
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let descriptor = Descriptor {
        dir: dir.path().to_path_buf(),
        version: Version::NB,
        generation: 1,
    };
    let mut writer = SstableWriter::create(
        Arc::new(ilion_vfs::RealFs),
        descriptor.clone(),
        header.clone(),
        options,
    )
    .unwrap();
    for p in &partitions {
        writer.append(p).unwrap();
    }
    writer.finish().unwrap();
    let outcome = Outcome {
        ours_data: std::fs::read(descriptor.path(Component::Data)).unwrap(),
        theirs_data: cassandra.component("Data.db"),
        ours_index: std::fs::read(descriptor.path(Component::Index)).unwrap(),
        theirs_index: cassandra.component("Index.db"),
        written: partitions,
    };
    // Ilion reads its own files back as what it was given.
    let data_path = descriptor.path(Component::Data);
    match decode(&outcome.ours_data, &header, Version::NB, &data_path) {
        Ok(read) if read == outcome.written => {}
        Ok(read) => problems.push(format!(
            "Ilion reads its Data.db back differently: {read:?}"
        )),
        Err(e) => problems.push(format!("Ilion cannot read its Data.db back: {e}")),
    }
    let result = match expect {
        Expect::Identical => {
            let mut failures = Vec::new();
            for (name, ours, theirs) in [
                ("Data.db", &outcome.ours_data, &outcome.theirs_data),
                ("Index.db", &outcome.ours_index, &outcome.theirs_index),
            ] {
                if let Some(report) = difference(name, ours, theirs) {
                    failures.push(report);
                }
            }
            // With Data.db and Index.db identical, so must be Digest.crc32
            // (every table), CRC.db and Summary.db (where the folder kept
            // them; Summary.db's layout is the same in mc and nb).
            let ours = |c: Component| std::fs::read(descriptor.path(c)).unwrap();
            let mut extra = vec![("Digest.crc32", Component::Digest)];
            if cassandra.dir.join("mc-1-big-CRC.db").exists() {
                extra.push(("CRC.db", Component::Crc));
            }
            if cassandra.dir.join("mc-1-big-Summary.db").exists() {
                extra.push(("Summary.db", Component::Summary));
            }
            // Filter.db: `mc` serializes the bloom filter in the legacy
            // layout, `nb` in the current one, so the files cannot be
            // compared directly. The writer's filter (sized for the
            // partition count, fp chance 0.01) must be one that, in the
            // legacy layout, is Cassandra's file.
            let mut filter = BloomFilter::for_keys(outcome.written.len() as u64, 0.01).unwrap();
            for p in &outcome.written {
                filter.add(&p.key);
            }
            for (name, ours, theirs) in [
                (
                    "Filter.db (ours against the filter of the keys)",
                    ours(Component::Filter),
                    filter.serialize(FilterLayout::Current),
                ),
                (
                    "Filter.db (that filter in mc's layout against Cassandra's)",
                    filter.serialize(FilterLayout::Legacy),
                    cassandra.component("Filter.db"),
                ),
            ] {
                if let Some(report) = difference(name, &ours, &theirs) {
                    failures.push(report);
                }
            }
            for (name, component) in extra {
                if let Some(report) = difference(name, &ours(component), &cassandra.component(name))
                {
                    failures.push(report);
                }
            }
            if failures.is_empty() {
                Ok("identical")
            } else {
                Err(failures.join("\n"))
            }
        }
        Expect::Explained { reason, check } => check(&outcome)
            .map(|()| reason)
            .map_err(|e| format!("{e}\n(expected difference: {reason})")),
    };
    if let Err(e) = &result {
        problems.push(e.clone());
        problems.push(format!(
            "ours decoded:   {:?}\ntheirs decoded: {:?}",
            decode(&outcome.ours_data, &header, Version::NB, &data_path),
            cassandra.partitions()
        ));
    }
    if problems.is_empty() {
        result
    } else {
        Err(problems.join("\n"))
    }
}

/// `None` when equal; else the first differing offset, the lengths and a
/// hex window around it.
pub fn difference(name: &str, ours: &[u8], theirs: &[u8]) -> Option<String> {
    if ours == theirs {
        return None;
    }
    let at = first_difference(ours, theirs);
    let window = |bytes: &[u8]| {
        let start = at.saturating_sub(16);
        let end = (at + 32).min(bytes.len());
        bytes
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    Some(format!(
        "{name} differs at offset {at} (ours {} bytes, Cassandra's {}); from offset {}:\n  ours   {}\n  theirs {}",
        ours.len(),
        theirs.len(),
        at.saturating_sub(16),
        window(ours),
        window(theirs)
    ))
}

/// The first offset where the two differ (the shorter length if one is a
/// prefix of the other).
pub fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}
