//! SSTable format versions and what each one changes: the one place where
//! version switches live (Cassandra's `BigVersion` flags).

use std::fmt;

/// The SSTable formats: Cassandra's "big" (Index/Summary) and "bti" (tries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormatType {
    /// Index.db plus Summary.db.
    Big,
    /// Partitions.db plus Rows.db tries (Cassandra 5.0).
    Bti,
}

/// A two-letter SSTable version such as `nb` or `oa`, of a format type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    letters: [u8; 2],
    format: FormatType,
}

/// The versions Ilion recognises, oldest first.
const KNOWN: [(&str, FormatType); 11] = [
    ("ma", FormatType::Big),
    ("mb", FormatType::Big),
    ("mc", FormatType::Big),
    ("md", FormatType::Big),
    ("me", FormatType::Big),
    ("na", FormatType::Big),
    ("nb", FormatType::Big),
    ("nc", FormatType::Big),
    ("oa", FormatType::Big),
    ("da", FormatType::Bti),
    ("da", FormatType::Big),
];

impl Version {
    /// Cassandra 5.0's big format, Ilion's default.
    pub const OA: Version = Version {
        letters: *b"oa",
        format: FormatType::Big,
    };
    /// Cassandra 5.0's trie-indexed format (BTI).
    pub const DA: Version = Version {
        letters: *b"da",
        format: FormatType::Bti,
    };
    /// Cassandra 4.x's big format (and 5.0's in its default compatibility
    /// mode).
    pub const NB: Version = Version {
        letters: *b"nb",
        format: FormatType::Big,
    };

    /// Parses a version and format as they appear in file names
    /// (`nb`, `big`); `None` for anything unknown.
    pub fn parse(letters: &str, format: &str) -> Option<Version> {
        let format = match format {
            "big" => FormatType::Big,
            "bti" => FormatType::Bti,
            _ => return None,
        };
        KNOWN
            .iter()
            .find(|(l, f)| *l == letters && *f == format)
            .map(|(l, f)| Version {
                letters: [l.as_bytes()[0], l.as_bytes()[1]],
                format: *f,
            })
    }

    /// The two letters.
    pub fn letters(&self) -> &str {
        std::str::from_utf8(&self.letters).unwrap_or("??")
    }

    /// The format type.
    pub fn format(&self) -> FormatType {
        self.format
    }

    fn at_least(&self, letters: &str) -> bool {
        // Versions order by their letters within a major letter group; the
        // BTI `da` carries the same flags as `oa`.
        let effective: &[u8; 2] = if self.letters == *b"da" {
            b"oa"
        } else {
            &self.letters
        };
        effective.as_slice() >= letters.as_bytes()
    }

    /// CompressionInfo carries `maxCompressedLength`, and chunks at least that
    /// long are stored uncompressed (`na` and later).
    pub fn has_max_compressed_length(&self) -> bool {
        self.at_least("na")
    }

    /// Bloom filter words are stored byte-reversed (`ma` to `me`).
    pub fn has_old_bloom_filter_format(&self) -> bool {
        !self.at_least("na")
    }

    /// Statistics.db components carry checksums (`na` and later).
    pub fn has_metadata_checksum(&self) -> bool {
        self.at_least("na")
    }

    /// Deletion times are unsigned 32-bit, and DeletionTime has its compact
    /// encoding (`oa` and later).
    pub fn has_uint_deletion_time(&self) -> bool {
        self.at_least("oa")
    }

    /// Stats carry the commit log lower bound (`mb` and later).
    pub fn has_commit_log_lower_bound(&self) -> bool {
        self.at_least("mb")
    }

    /// Stats carry the commit log interval set (`mc` and later).
    pub fn has_commit_log_intervals(&self) -> bool {
        self.at_least("mc")
    }

    /// Stats carry the legacy min/max clustering values (up to `nb`).
    pub fn has_legacy_min_max(&self) -> bool {
        !self.at_least("oa")
    }

    /// The legacy min/max clustering values are accurate (`md` to `nb`).
    pub fn has_accurate_min_max(&self) -> bool {
        self.at_least("md") && self.has_legacy_min_max()
    }

    /// Stats carry the improved min/max slice, the partition-level deletion
    /// marker, first and last keys and token-space coverage (`oa`).
    pub fn has_improved_stats(&self) -> bool {
        self.at_least("oa")
    }

    /// Buckets of the partition size histogram Cassandra's writer of this
    /// version uses: 155 from `oa` (5.0), 150 before.
    pub fn partition_size_buckets(&self) -> usize {
        if self.at_least("oa") {
            155
        } else {
            150
        }
    }

    /// Buckets of the cells-per-partition histogram: 118 from `md`
    /// (3.0.18 / 3.11.4), 114 before (as the legacy files show).
    pub fn cell_count_buckets(&self) -> usize {
        if self.at_least("md") {
            118
        } else {
            114
        }
    }

    /// The unreleased 5.0 development version `nc`: read with `nb`'s rules
    /// (Data.db, Index.db, DeletionTime, the Stats fields up to the host
    /// id), its Stats then carry a tail the released versions lack: the
    /// partition-level-deletion flag, the improved min/max slice and the
    /// first and last keys, without token-space coverage.
    pub fn has_nc_stats_tail(&self) -> bool {
        self.letters == *b"nc"
    }

    /// Stats carry pending repair and isTransient (`na` and later).
    pub fn has_pending_repair(&self) -> bool {
        self.at_least("na")
    }

    /// Stats carry the originating host id (`me`, `nb` and later; not `na`).
    pub fn has_originating_host_id(&self) -> bool {
        self.letters == *b"me" || self.at_least("nb")
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = match self.format {
            FormatType::Big => "big",
            FormatType::Bti => "bti",
        };
        write!(f, "{}-{format}", self.letters())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_cassandras_table() {
        let v = |l, f| Version::parse(l, f).unwrap();
        assert!(!v("me", "big").has_max_compressed_length());
        assert!(v("na", "big").has_max_compressed_length());
        assert!(v("da", "bti").has_uint_deletion_time());
        assert!(!v("nb", "big").has_uint_deletion_time());
        assert!(v("ma", "big").has_old_bloom_filter_format());
        assert!(!v("oa", "big").has_old_bloom_filter_format());
        assert!(Version::parse("zz", "big").is_none());
        let nc = v("nc", "big");
        assert!(nc.has_nc_stats_tail() && !v("nb", "big").has_nc_stats_tail());
        assert!(nc.has_originating_host_id() && nc.has_legacy_min_max());
        assert!(!nc.has_uint_deletion_time() && !nc.has_improved_stats());
        assert!(!nc.has_old_bloom_filter_format() && nc.has_accurate_min_max());
        assert!(v("me", "big").has_originating_host_id());
        assert!(!v("na", "big").has_originating_host_id());
        assert!(
            v("nb", "big").has_originating_host_id() && v("da", "bti").has_originating_host_id()
        );
        assert!(
            !v("ma", "big").has_commit_log_lower_bound()
                && v("mb", "big").has_commit_log_lower_bound()
        );
        assert!(!v("mc", "big").has_accurate_min_max() && v("md", "big").has_accurate_min_max());
        assert!(!v("oa", "big").has_legacy_min_max() && v("oa", "big").has_improved_stats());
        assert!(Version::parse("oa", "trie").is_none());
        assert_eq!(Version::OA.to_string(), "oa-big");
    }
}
