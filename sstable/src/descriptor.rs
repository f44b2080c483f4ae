//! Naming an SSTable's files as Cassandra does:
//! `<version>-<generation>-<format>-<Component>`, e.g. `oa-7-big-Data.db`.

use crate::error::{Error, Result};
use crate::version::Version;
use std::path::{Path, PathBuf};

/// The components of an SSTable (big or BTI), with their file-name suffixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    /// The rows: `Data.db`.
    Data,
    /// Chunk offsets of a compressed Data.db: `CompressionInfo.db`.
    CompressionInfo,
    /// Chunk CRCs of an uncompressed Data.db: `CRC.db`.
    Crc,
    /// Partition index: `Index.db`.
    Index,
    /// Sampled index: `Summary.db`.
    Summary,
    /// BTI partition index trie: `Partitions.db`.
    Partitions,
    /// BTI row index tries: `Rows.db`.
    Rows,
    /// Bloom filter: `Filter.db`.
    Filter,
    /// Metadata: `Statistics.db`.
    Statistics,
    /// CRC32 of the whole Data.db: `Digest.crc32`.
    Digest,
    /// Table of contents: `TOC.txt`.
    Toc,
    /// Ilion's checksums of the other components: `IlionChecksums.txt`
    /// (see [`crate::checksums`]).
    IlionChecksums,
}

impl Component {
    /// The file-name suffix.
    pub fn name(self) -> &'static str {
        match self {
            Component::Data => "Data.db",
            Component::CompressionInfo => "CompressionInfo.db",
            Component::Crc => "CRC.db",
            Component::Index => "Index.db",
            Component::Summary => "Summary.db",
            Component::Partitions => "Partitions.db",
            Component::Rows => "Rows.db",
            Component::Filter => "Filter.db",
            Component::Statistics => "Statistics.db",
            Component::Digest => "Digest.crc32",
            Component::Toc => "TOC.txt",
            Component::IlionChecksums => "IlionChecksums.txt",
        }
    }
}

/// Prefix of a component while it is being written: a name Cassandra's
/// and Ilion's loaders never take for part of an SSTable.
pub const TEMPORARY_PREFIX: &str = "tmp-";

/// Where one SSTable's files live and what they are called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// The table directory.
    pub dir: PathBuf,
    /// The format version.
    pub version: Version,
    /// The generation number, unique within the directory.
    pub generation: u64,
}

impl Descriptor {
    /// The descriptor of the SSTable whose `*-Data.db` (or other
    /// component) is at `path`.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a name that is not
    /// `<version>-<generation>-<big|bti>-<Component>` of a version Ilion
    /// reads.
    pub fn from_path(path: &Path) -> Result<Descriptor> {
        let unsupported = |what: String| Error::Unsupported {
            path: path.to_path_buf(),
            what,
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| unsupported("a file name that is not UTF-8".into()))?;
        let mut parts = name.splitn(4, '-');
        let (letters, generation, format) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let version = Version::parse(letters, format)
            .ok_or_else(|| unsupported(format!("SSTable version {letters}-{format}")))?;
        let generation = generation
            .parse()
            .map_err(|_| unsupported(format!("SSTable generation {generation:?}")))?;
        Ok(Descriptor {
            dir: path.parent().unwrap_or(Path::new("")).to_path_buf(),
            version,
            generation,
        })
    }

    /// The final path of a component.
    pub fn path(&self, component: Component) -> PathBuf {
        self.dir.join(self.file_name(component))
    }

    /// The path a component is written under before it is made visible.
    pub fn temporary_path(&self, component: Component) -> PathBuf {
        self.dir
            .join(format!("{TEMPORARY_PREFIX}{}", self.file_name(component)))
    }

    fn file_name(&self, component: Component) -> String {
        format!(
            "{}-{}-{}-{}",
            self.version.letters(),
            self.generation,
            match self.version.format() {
                crate::version::FormatType::Big => "big",
                crate::version::FormatType::Bti => "bti",
            },
            component.name()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let d = Descriptor::from_path(Path::new("/t/ks/tbl-1/oa-42-big-Data.db")).unwrap();
        assert_eq!(d.generation, 42);
        assert_eq!(d.version, Version::OA);
        assert_eq!(
            d.path(Component::Statistics),
            Path::new("/t/ks/tbl-1/oa-42-big-Statistics.db")
        );
        assert_eq!(
            d.temporary_path(Component::Data),
            Path::new("/t/ks/tbl-1/tmp-oa-42-big-Data.db")
        );
        for bad in [
            "oa-x-big-Data.db",
            "zz-1-big-Data.db",
            "Data.db",
            "oa-1-bti-Data.db",
        ] {
            assert!(Descriptor::from_path(Path::new(bad)).is_err(), "{bad}");
        }
    }
}
