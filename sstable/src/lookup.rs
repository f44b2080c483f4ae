//! Finding one partition: bloom filter, key range, an in-memory sample of
//! Index.db, then a short scan of Index.db.
//!
//! Summary.db samples every 128th index entry, which leaves a lookup 64
//! entries of Index.db to scan on average. When an SSTable is opened, Ilion
//! samples Index.db itself every [`INDEX_SAMPLE_INTERVAL`] entries, keeping
//! for each only its sort token and position (16 bytes), and searches that
//! array instead: a denser index within the same files. The key's Murmur3
//! hash is computed once and serves both the filter probe and the token;
//! the Index.db stretch between two samples is scanned for equal key bytes
//! only, with no hashing and no allocation until the entry is found.

use crate::bloom::BloomFilter;
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::index::{IndexKey, IndexReader};
use crate::partitioner::Partitioner;
use std::cmp::Ordering;
use std::path::Path;

/// A partition's place in partitioner order: its sort token, then its key.
pub type SortPosition = (i64, Vec<u8>);

/// Index.db entries per in-memory sample.
pub const INDEX_SAMPLE_INTERVAL: usize = 16;

/// The in-memory part of the partition index.
#[derive(Debug)]
pub struct KeyLookup {
    partitioner: Partitioner,
    partition_count: usize,
    /// `(sort token, Index.db position)` of every sampled entry.
    samples: Vec<(i64, u64)>,
    first: (i64, Vec<u8>),
    last: (i64, Vec<u8>),
}

/// The sort position of a key.
fn decorate(partitioner: Partitioner, key: &[u8]) -> i64 {
    partitioner.sort_token(key, BloomFilter::hash(key))
}

/// The key of the Index.db entry at `position`.
fn key_at<'a>(index: &'a [u8], position: u64, path: &'a Path) -> Result<&'a [u8]> {
    let mut c = Cursor::new(index, path);
    c.set_position(position)?;
    c.bytes_short("index key")
}

impl KeyLookup {
    /// Samples `index` (the whole of Index.db at `path`) for keys ordered
    /// by `partitioner`, from `first_key` to `last_key` (Summary.db's).
    ///
    /// # Errors
    /// Corruption met walking Index.db.
    pub fn new(
        index: &[u8],
        path: &Path,
        partitioner: Partitioner,
        first_key: &[u8],
        last_key: &[u8],
    ) -> Result<KeyLookup> {
        let mut entries = IndexReader::keys_only(index, path);
        let mut samples = Vec::new();
        let mut n = 0usize;
        let mut last_seen: Option<&[u8]> = None;
        while let Some(entry) = entries.next_key()? {
            if n == 0 && entry.key != first_key {
                return Err(Error::corrupt(
                    path,
                    entry.offset,
                    "the first key differs from Summary.db's",
                ));
            }
            if n.is_multiple_of(INDEX_SAMPLE_INTERVAL) {
                samples.push((decorate(partitioner, entry.key), entry.offset));
            }
            last_seen = Some(entry.key);
            n += 1;
        }
        // Neither file is checksummed in Cassandra's tables: a truncated
        // Index.db ending on an entry boundary, or a damaged key in the
        // Summary, shows only here.
        let consistent = match last_seen {
            Some(last) => last == last_key,
            None => first_key.is_empty() && last_key.is_empty(),
        };
        if !consistent {
            return Err(Error::corrupt(
                path,
                index.len() as u64,
                "the last key differs from Summary.db's",
            ));
        }
        Ok(KeyLookup {
            partitioner,
            partition_count: n,
            samples,
            first: (decorate(partitioner, first_key), first_key.to_vec()),
            last: (decorate(partitioner, last_key), last_key.to_vec()),
        })
    }

    /// The in-memory part of an index that needs no samples (BTI's
    /// Partitions.db trie, searched in place): the key range and count.
    pub fn without_samples(
        partitioner: Partitioner,
        partition_count: usize,
        first_key: &[u8],
        last_key: &[u8],
    ) -> KeyLookup {
        KeyLookup {
            partitioner,
            partition_count,
            samples: Vec::new(),
            first: (decorate(partitioner, first_key), first_key.to_vec()),
            last: (decorate(partitioner, last_key), last_key.to_vec()),
        }
    }

    /// The partitioner the keys are ordered by.
    pub fn partitioner(&self) -> Partitioner {
        self.partitioner
    }

    /// The sort positions of the first and last partitions.
    pub fn key_range(&self) -> (&SortPosition, &SortPosition) {
        (&self.first, &self.last)
    }

    /// Partitions in the SSTable (Index.db entries).
    pub fn partition_count(&self) -> usize {
        self.partition_count
    }

    /// Bytes this keeps in memory.
    pub fn resident_bytes(&self) -> usize {
        self.samples.len() * 16 + self.first.1.len() + self.last.1.len()
    }

    /// The Index.db offset of the last sample at or before `position` (a
    /// sort token and key; an empty key stands before every key of its
    /// token), or 0: where a scan from `position` starts reading.
    ///
    /// # Errors
    /// Corruption met in Index.db.
    pub fn sample_before(
        &self,
        position: (i64, &[u8]),
        index_bytes: &[u8],
        index_path: &Path,
    ) -> Result<u64> {
        let after = self.samples_not_after(position, index_bytes, index_path)?;
        Ok(after
            .checked_sub(1)
            .map_or(0, |sample| self.samples[sample].1))
    }

    /// How many samples sort at or before `target`.
    fn samples_not_after(
        &self,
        target: (i64, &[u8]),
        index_bytes: &[u8],
        index_path: &Path,
    ) -> Result<usize> {
        // Tokens settle nearly every step, the sample's key bytes the rest.
        let (mut after, mut hi) = (0, self.samples.len());
        while after < hi {
            let mid = (after + hi) / 2;
            let (token, position) = self.samples[mid];
            let order = match token.cmp(&target.0) {
                Ordering::Equal => key_at(index_bytes, position, index_path)?.cmp(target.1),
                other => other,
            };
            if order != Ordering::Greater {
                after = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(after)
    }

    /// The index entry of `key` (whose [`BloomFilter::hash`] is `hash`),
    /// or `None` when the SSTable does not hold it. `index` reads the whole
    /// of Index.db; after a hit it stands just past the entry.
    ///
    /// # Errors
    /// Corruption met in Index.db.
    pub fn find<'i>(
        &self,
        key: &[u8],
        hash: (u64, u64),
        filter: &BloomFilter,
        index: &mut IndexReader<'i>,
        index_bytes: &[u8],
        index_path: &Path,
    ) -> Result<Option<IndexKey<'i>>> {
        if !filter.may_contain_hash(hash) {
            return Ok(None);
        }
        let target = (self.partitioner.sort_token(key, hash), key);
        if target < (self.first.0, self.first.1.as_slice())
            || target > (self.last.0, self.last.1.as_slice())
        {
            return Ok(None);
        }
        let after = self.samples_not_after(target, index_bytes, index_path)?;
        let Some(sample) = after.checked_sub(1) else {
            return Ok(None);
        };
        let start = self.samples[sample].1;
        let end = self
            .samples
            .get(after)
            .map_or(index_bytes.len() as u64, |s| s.1);
        index.seek(start)?;
        index.find_key(key, end)
    }
}
