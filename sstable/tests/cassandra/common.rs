//! Finding the Cassandra-written test SSTables.

use ilion_sstable::compression::{ChunkReader, CompressionInfo};
use ilion_sstable::statistics::Statistics;
use ilion_sstable::version::Version;
use std::path::{Path, PathBuf};

/// `../shared/cassandra-sstables/` beside the repository, if present.
/// Absent on a user's fresh clone (the test then says it skipped);
/// required when `CI=true`.
pub fn shared_sstables() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/cassandra-sstables");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is missing",
        dir.display()
    );
    eprintln!("skipped: {} not found", dir.display());
    None
}

/// One SSTable: its directory, version and the path of a component.
pub struct TableFiles {
    pub dir: PathBuf,
    pub prefix: String,
    pub version: Version,
}

impl TableFiles {
    pub fn component(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{}-{name}", self.prefix))
    }
}

/// Every legacy table directory of `version` (e.g. "oa"), sorted.
pub fn legacy_tables(root: &Path, version: &str) -> Vec<TableFiles> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join(version))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let toc = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .find(|n| n.ends_with("-TOC.txt"))
                .unwrap();
            // <version>-<generation>-<format>-TOC.txt
            let prefix = toc.trim_end_matches("-TOC.txt").to_string();
            let mut parts = prefix.split('-');
            let letters = parts.next().unwrap();
            let format = parts.nth(1).unwrap();
            let version = Version::parse(letters, format).unwrap();
            TableFiles {
                dir,
                prefix,
                version,
            }
        })
        .collect()
}

/// A table's statistics, compression info and decompressed data stream.
pub struct LoadedTable {
    pub stats: Statistics,
    pub info: CompressionInfo,
    pub data_path: PathBuf,
    pub stream: Vec<u8>,
}

/// The table's parsed Statistics.db.
pub fn statistics(table: &TableFiles) -> Statistics {
    let path = table.component("Statistics.db");
    Statistics::parse(&std::fs::read(&path).unwrap(), table.version, &path).unwrap()
}

/// The table's parsed CompressionInfo.db.
pub fn compression_info(table: &TableFiles) -> CompressionInfo {
    let path = table.component("CompressionInfo.db");
    CompressionInfo::parse(&std::fs::read(&path).unwrap(), table.version, &path).unwrap()
}

/// Data.db's path and its decompressed stream, every chunk checked.
pub fn decompressed(table: &TableFiles, info: &CompressionInfo) -> (PathBuf, Vec<u8>) {
    let data_path = table.component("Data.db");
    let data = std::fs::read(&data_path).unwrap();
    let stream = ChunkReader::new(info, &data, &data_path)
        .unwrap()
        .read_all()
        .unwrap();
    (data_path, stream)
}

/// Parses Statistics.db and CompressionInfo.db and decompresses Data.db.
pub fn load(table: &TableFiles) -> LoadedTable {
    let stats = statistics(table);
    let info = compression_info(table);
    let (data_path, stream) = decompressed(table, &info);
    LoadedTable {
        stats,
        info,
        data_path,
        stream,
    }
}

impl LoadedTable {
    /// Every partition of the data stream.
    pub fn partitions(&self, version: Version) -> Vec<ilion_sstable::rows::Partition> {
        let mut reader = ilion_sstable::data_reader::DataReader::new(
            &self.stream,
            &self.stats.header,
            version,
            &self.data_path,
        );
        let mut out = Vec::new();
        while let Some(p) = reader.next_partition().unwrap() {
            out.push(p);
        }
        out
    }
}

/// The legacy table of `version` whose directory name ends with `suffix`.
pub fn table(root: &Path, version: &str, suffix: &str) -> TableFiles {
    legacy_tables(root, version)
        .into_iter()
        .find(|t| t.dir.to_str().unwrap().ends_with(suffix))
        .unwrap()
}
