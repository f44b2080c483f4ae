//! Ilion's checksum sidecar, `<prefix>-IlionChecksums.txt`: the length and
//! CRC32 of every other component of an SSTable Ilion wrote.
//!
//! Cassandra's big format checksums Data.db (chunk CRCs and
//! Digest.crc32) and Statistics.db, but not Index.db, Summary.db,
//! Filter.db or CompressionInfo.db: a flipped bit there can make a key
//! look absent or a slice skip rows without any error. Ilion records their
//! checksums beside them and checks them when it opens the SSTable, so that
//! damage is an error rather than a wrong answer. The sidecar is a custom
//! component (a name Cassandra's loader accepts and ignores) and is not
//! listed in TOC.txt, so the other files stay exactly Cassandra's.
//!
//! ```text
//! Data.db 1234 2568411107            one line per component:
//! Index.db 98 1172394755             name, length, CRC32 (decimal)
//! ...
//! crc32 3904355907                   CRC32 of every byte above this line
//! ```

use crate::descriptor::Component;
use crate::error::{Error, Result};
use std::path::Path;

/// The length and CRC32 of each component.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checksums {
    entries: Vec<(String, u64, u32)>,
}

impl Checksums {
    /// No entries yet.
    pub fn new() -> Self {
        Checksums::default()
    }

    /// Records a component's length and CRC32.
    pub fn add(&mut self, component: Component, length: u64, crc: u32) {
        self.entries
            .push((component.name().to_string(), length, crc));
    }

    /// The recorded length and CRC32 of a component, if recorded.
    pub fn get(&self, component: Component) -> Option<(u64, u32)> {
        self.entries
            .iter()
            .find(|(name, _, _)| name == component.name())
            .map(|(_, len, crc)| (*len, *crc))
    }

    /// The sidecar's bytes.
    pub fn serialize(&self) -> Vec<u8> {
        let mut text = String::new();
        for (name, length, crc) in &self.entries {
            text.push_str(&format!("{name} {length} {crc}\n"));
        }
        let crc = crc32fast::hash(text.as_bytes());
        text.push_str(&format!("crc32 {crc}\n"));
        text.into_bytes()
    }

    /// Parses a sidecar read from `path`, checking its own CRC.
    ///
    /// # Errors
    /// [`Error::Corruption`] for anything malformed or a CRC mismatch.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Checksums> {
        let corrupt = |offset: usize, reason: &str| Error::corrupt(path, offset as u64, reason);
        let text = std::str::from_utf8(bytes).map_err(|e| corrupt(e.valid_up_to(), "not UTF-8"))?;
        // The file ends with "\n"; a cut anywhere is an error.
        let Some(without_newline) = text.strip_suffix('\n') else {
            return Err(corrupt(text.len(), "truncated: no final newline"));
        };
        let body_end = without_newline.rfind('\n').map_or(0, |i| i + 1);
        let last = &without_newline[body_end..];
        let expected: u32 = last
            .strip_prefix("crc32 ")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| corrupt(body_end, "no crc32 line at the end"))?;
        if crc32fast::hash(&bytes[..body_end]) != expected {
            return Err(corrupt(0, "checksum sidecar does not match its own CRC32"));
        }
        let mut entries = Vec::new();
        let mut offset = 0;
        for line in text[..body_end].lines() {
            let mut fields = line.split(' ');
            let parsed = (|| {
                let name = fields.next()?.to_string();
                let length = fields.next()?.parse().ok()?;
                let crc = fields.next()?.parse().ok()?;
                fields.next().is_none().then_some((name, length, crc))
            })();
            entries.push(parsed.ok_or_else(|| corrupt(offset, "malformed line"))?);
            offset += line.len() + 1;
        }
        Ok(Checksums { entries })
    }

    /// The total length of the components recorded, if any are.
    pub fn total_length(&self) -> Option<u64> {
        (!self.entries.is_empty()).then(|| self.entries.iter().map(|(_, len, _)| len).sum())
    }

    /// Checks a component's bytes against its entry (a component without
    /// an entry passes: Ilion checks only what it recorded).
    ///
    /// # Errors
    /// [`Error::Corruption`] naming the component's file.
    pub fn check(&self, component: Component, bytes: &[u8], path: &Path) -> Result<()> {
        self.check_length(component, bytes.len() as u64, path)?;
        match self.get(component) {
            Some((_, crc)) if crc32fast::hash(bytes) != crc => Err(Error::corrupt(
                path,
                0,
                format!("{} does not match its recorded CRC32", component.name()),
            )),
            _ => Ok(()),
        }
    }

    /// Checks only a component's length (for Data.db, whose bytes the chunk
    /// CRCs and Digest.crc32 cover as they are read).
    ///
    /// # Errors
    /// [`Error::Corruption`] naming the component's file.
    pub fn check_length(&self, component: Component, length: u64, path: &Path) -> Result<()> {
        match self.get(component) {
            Some((expected, _)) if expected != length => Err(Error::corrupt(
                path,
                length.min(expected),
                format!(
                    "{} is {length} bytes; {expected} were written",
                    component.name()
                ),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_any_damage() {
        let mut c = Checksums::new();
        c.add(Component::Index, 98, 1172394755);
        c.add(Component::Filter, 0, 0);
        let bytes = c.serialize();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            format!(
                "Index.db 98 1172394755\nFilter.db 0 0\ncrc32 {}\n",
                crc32fast::hash(b"Index.db 98 1172394755\nFilter.db 0 0\n")
            )
        );
        let path = Path::new("x-IlionChecksums.txt");
        assert_eq!(Checksums::parse(&bytes, path).unwrap(), c);
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[i] ^= 1 << bit;
                if let Ok(parsed) = Checksums::parse(&damaged, path) {
                    // Only a flip that leaves every value intact can pass
                    // (none exists here, but say what would be acceptable).
                    assert_eq!(parsed, c, "flip at {i}.{bit}");
                }
            }
            assert!(Checksums::parse(&bytes[..i], path).is_err(), "cut at {i}");
        }
    }

    #[test]
    fn checks_components() {
        let mut c = Checksums::new();
        c.add(Component::Summary, 3, crc32fast::hash(b"abc"));
        let path = Path::new("s");
        c.check(Component::Summary, b"abc", path).unwrap();
        assert!(c.check(Component::Summary, b"abd", path).is_err());
        assert!(c.check(Component::Summary, b"ab", path).is_err());
        c.check(Component::Filter, b"anything", path).unwrap();
    }
}
