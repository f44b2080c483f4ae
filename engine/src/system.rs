//! `system/`: what the engine knows about itself. `node` holds the format
//! version of the directory and the host id (a random UUID made on first
//! open and kept forever, as Cassandra's); `tables` holds every table's
//! schema and options. Both are small, checksummed, and replaced
//! atomically (docs/format.md, "The system directory").

use crate::codec::{checked_body, read_file, write_file, Decoder, Encoder};
use crate::error::{Error, Result};
use crate::options::TableOptions;
use ilion_sstable::partitioner::Partitioner;
use ilion_sstable::schema::{ClusteringOrder, Column, TableSchema};
use ilion_sstable::version::Version;
use ilion_vfs::FileSystem;
use std::path::Path;

/// The on-disk format version of a data directory this build writes, and
/// the newest it reads.
///
/// ```
/// assert!(ilion::FORMAT_VERSION >= 1);
/// ```
pub const FORMAT_VERSION: u32 = 3;

const NODE_MAGIC: &[u8; 8] = b"ILIONSYS";
const TABLES_MAGIC: &[u8; 8] = b"ILIONTBL";

/// Largest `tables` file read (a schema catalog, not data).
const MAX_TABLES_FILE: u64 = 64 << 20;

/// Reads `system/node`, or creates it with a fresh host id. Returns the
/// host id.
///
/// # Errors
/// [`Error::NewerVersion`] for a directory a newer Ilion wrote;
/// corruption; I/O errors.
pub(crate) fn open_node(fs: &dyn FileSystem, system: &Path) -> Result<[u8; 16]> {
    let path = system.join("node");
    if let Some(bytes) = read_file(fs, &path, 64)? {
        let body = checked_body(&bytes, &path)?;
        let mut d = Decoder::new(body, &path);
        check_header(&mut d, NODE_MAGIC, &path)?;
        let host_id = d.id("host id")?;
        if !d.is_done() {
            return Err(d.corrupt("bytes after the host id"));
        }
        return Ok(host_id);
    }
    let host_id = new_uuid();
    let mut e = Encoder::default();
    e.raw(NODE_MAGIC);
    e.u32(FORMAT_VERSION);
    e.raw(&host_id);
    write_file(fs, &path, &e.bytes)?;
    Ok(host_id)
}

/// Reads a system file's magic and format version, refusing another kind
/// of file and a newer format.
fn check_header(d: &mut Decoder<'_>, magic: &[u8; 8], path: &Path) -> Result<u32> {
    if d.take(8, "magic")? != magic {
        return Err(d.corrupt(format!("not an Ilion {} file", path.display())));
    }
    let version = d.u32("format version")?;
    if version > FORMAT_VERSION {
        return Err(Error::NewerVersion {
            path: path.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    Ok(version)
}

/// A random (version 4) UUID.
pub(crate) fn new_uuid() -> [u8; 16] {
    let mut id: [u8; 16] = rand::random();
    id[6] = (id[6] & 0x0f) | 0x40;
    id[8] = (id[8] & 0x3f) | 0x80;
    id
}

/// A UUID in its usual text form.
///
/// ```
/// let id = [0x12u8; 16];
/// assert_eq!(ilion::uuid_string(&id), "12121212-1212-1212-1212-121212121212");
/// ```
pub fn uuid_string(id: &[u8; 16]) -> String {
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// One table as the catalog records it.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
/// db.create_key_value_table("kv")?;
/// let definition = db.table("kv")?.definition;
/// assert_eq!(definition.schema.partition_key[0].name, "key");
/// assert_eq!(definition.options, ilion::TableOptions::default());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TableDefinition {
    /// Its keyspace.
    pub keyspace: String,
    /// Its name.
    pub name: String,
    /// Its id (the suffix of its directory name).
    pub id: [u8; 16],
    /// Its schema.
    pub schema: TableSchema,
    /// Its options.
    pub options: TableOptions,
}

fn columns(e: &mut Encoder, columns: &[Column]) -> Result<()> {
    e.u16(u16::try_from(columns.len()).map_err(|_| Error::Invalid("too many columns".into()))?);
    for c in columns {
        e.string(&c.name)?;
        e.string(&c.type_string)?;
    }
    Ok(())
}

fn read_columns(d: &mut Decoder<'_>) -> Result<Vec<Column>> {
    let n = d.u16("column count")?;
    (0..n)
        .map(|_| {
            Ok(Column::new(
                d.string("column name")?,
                d.string("column type")?,
            ))
        })
        .collect()
}

/// Writes the whole catalog to `system/tables`.
///
/// # Errors
/// I/O errors; [`Error::Invalid`] for a name or type string too long.
pub(crate) fn write_tables(
    fs: &dyn FileSystem,
    system: &Path,
    tables: &[TableDefinition],
) -> Result<()> {
    let mut e = Encoder::default();
    e.raw(TABLES_MAGIC);
    e.u32(FORMAT_VERSION);
    e.u32(u32::try_from(tables.len()).map_err(|_| Error::Invalid("too many tables".into()))?);
    for t in tables {
        e.string(&t.keyspace)?;
        e.string(&t.name)?;
        e.raw(&t.id);
        columns(&mut e, &t.schema.partition_key)?;
        let clustering: Vec<Column> = t.schema.clustering.iter().map(|(c, _)| c.clone()).collect();
        columns(&mut e, &clustering)?;
        for (_, order) in &t.schema.clustering {
            e.u8(match order {
                ClusteringOrder::Asc => 0,
                ClusteringOrder::Desc => 1,
            });
        }
        columns(&mut e, &t.schema.static_columns)?;
        columns(&mut e, &t.schema.regular_columns)?;
        let o = &t.options;
        e.u8(match o.partitioner {
            Partitioner::Murmur3 => 0,
            Partitioner::ByteOrdered => 1,
            Partitioner::Random => 2,
        });
        e.u8(if o.version == Version::NB {
            1
        } else if o.version == Version::DA {
            2
        } else {
            0
        });
        e.u8(u8::from(o.compression));
        e.u32(o.chunk_length);
        e.u64(o.bloom_filter_fp_chance.to_bits());
        e.u32(o.gc_grace_seconds);
        e.u32(o.default_ttl_seconds);
        e.u64(o.memtable_bytes);
        e.u64(o.large_partition_warning_bytes);
        e.u32(u32::try_from(o.tombstone_warn_threshold).unwrap_or(u32::MAX));
        e.u32(u32::try_from(o.tombstone_failure_threshold).unwrap_or(u32::MAX));
        crate::compaction::catalog::encode(&mut e, &o.compaction);
    }
    write_file(fs, &system.join("tables"), &e.bytes)
}

/// Reads `system/tables` (none yet: no tables).
///
/// # Errors
/// [`Error::NewerVersion`]; corruption; I/O errors.
pub(crate) fn read_tables(fs: &dyn FileSystem, system: &Path) -> Result<Vec<TableDefinition>> {
    let path = system.join("tables");
    let Some(bytes) = read_file(fs, &path, MAX_TABLES_FILE)? else {
        return Ok(Vec::new());
    };
    let body = checked_body(&bytes, &path)?;
    let mut d = Decoder::new(body, &path);
    // Version 1 catalogs predate compaction options: they take defaults.
    // Versions before 3 predate BTI tables (SSTable version code 2).
    let catalog_version = check_header(&mut d, TABLES_MAGIC, &path)?;
    let count = d.u32("table count")?;
    let mut tables = Vec::new();
    for _ in 0..count {
        let keyspace = d.string("keyspace")?;
        let name = d.string("table name")?;
        let id = d.id("table id")?;
        let partition_key = read_columns(&mut d)?;
        let clustering_columns = read_columns(&mut d)?;
        let mut clustering = Vec::with_capacity(clustering_columns.len());
        for c in clustering_columns {
            let order = match d.u8("clustering order")? {
                0 => ClusteringOrder::Asc,
                1 => ClusteringOrder::Desc,
                other => return Err(d.corrupt(format!("clustering order {other}"))),
            };
            clustering.push((c, order));
        }
        let static_columns = read_columns(&mut d)?;
        let regular_columns = read_columns(&mut d)?;
        let schema = TableSchema::new(partition_key, clustering, static_columns, regular_columns)
            .map_err(|e| d.corrupt(format!("schema of {keyspace}.{name}: {e}")))?;
        let partitioner = match d.u8("partitioner")? {
            0 => Partitioner::Murmur3,
            1 => Partitioner::ByteOrdered,
            2 => Partitioner::Random,
            other => return Err(d.corrupt(format!("partitioner {other}"))),
        };
        let version = match d.u8("SSTable version")? {
            0 => Version::OA,
            1 => Version::NB,
            2 if catalog_version >= 3 => Version::DA,
            other => return Err(d.corrupt(format!("SSTable version {other}"))),
        };
        let compression = match d.u8("compression")? {
            0 => false,
            1 => true,
            other => return Err(d.corrupt(format!("compression {other}"))),
        };
        let options = TableOptions {
            partitioner,
            version,
            compression,
            chunk_length: d.u32("chunk length")?,
            bloom_filter_fp_chance: f64::from_bits(d.u64("bloom fp chance")?),
            gc_grace_seconds: d.u32("gc grace")?,
            default_ttl_seconds: d.u32("default TTL")?,
            memtable_bytes: d.u64("memtable size")?,
            large_partition_warning_bytes: d.u64("large partition warning")?,
            tombstone_warn_threshold: d.u32("tombstone warn threshold")? as usize,
            tombstone_failure_threshold: d.u32("tombstone failure threshold")? as usize,
            compaction: if catalog_version >= 2 {
                crate::compaction::catalog::decode(&mut d)?
            } else {
                crate::compaction::CompactionOptions::default()
            },
        };
        tables.push(TableDefinition {
            keyspace,
            name,
            id,
            schema,
            options,
        });
    }
    if !d.is_done() {
        return Err(d.corrupt("bytes after the last table"));
    }
    Ok(tables)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn table(name: &str, version: Version) -> TableDefinition {
        TableDefinition {
            keyspace: "ks".into(),
            name: name.into(),
            id: [7; 16],
            schema: TableSchema::key_value(),
            options: TableOptions {
                version,
                ..TableOptions::default()
            },
        }
    }

    /// The catalog rewritten with format version `version` in its header.
    fn as_version(fs: &dyn FileSystem, system: &Path, version: u32) {
        let path = system.join("tables");
        let bytes = read_file(fs, &path, MAX_TABLES_FILE).unwrap().unwrap();
        let mut body = checked_body(&bytes, &path).unwrap().to_vec();
        body[8..12].copy_from_slice(&version.to_be_bytes());
        write_file(fs, &path, &body).unwrap();
    }

    #[test]
    fn bti_tables_need_catalog_version_3_and_older_catalogs_stay_readable() {
        let dir = tempfile::tempdir().unwrap();
        let fs = ilion_vfs::RealFs;
        let tables = vec![table("a", Version::OA), table("b", Version::NB)];
        write_tables(&fs, dir.path(), &tables).unwrap();
        // A version 2 catalog (before BTI) of big tables reads as before.
        as_version(&fs, dir.path(), 2);
        assert_eq!(read_tables(&fs, dir.path()).unwrap(), tables);
        let with_bti = vec![table("a", Version::OA), table("c", Version::DA)];
        write_tables(&fs, dir.path(), &with_bti).unwrap();
        assert_eq!(read_tables(&fs, dir.path()).unwrap(), with_bti);
        // A version 2 catalog cannot name a BTI table.
        as_version(&fs, dir.path(), 2);
        assert!(matches!(
            read_tables(&fs, dir.path()),
            Err(Error::Corruption { .. })
        ));
    }
}
