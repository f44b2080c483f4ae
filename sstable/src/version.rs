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

    /// Deletion times are unsigned 32-bit (`oa` and later).
    pub fn has_uint_deletion_time(&self) -> bool {
        self.at_least("oa")
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
        assert!(Version::parse("oa", "trie").is_none());
        assert_eq!(Version::OA.to_string(), "oa-big");
    }
}
