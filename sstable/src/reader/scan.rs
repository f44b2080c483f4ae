//! Scans: every partition of an SSTable, or those in a token range, in
//! order, as an iterator. Index.db is walked beside Data.db, so each
//! partition's extent is known before it is decoded; the data stream is
//! decompressed one chunk at a time into a window that holds only the
//! chunks the current partition spans, so memory does not grow with the
//! SSTable.

use super::SstableReader;
use crate::bti::byte_comparable;
use crate::bti::trie::{Node, Walk};
use crate::data_layout::DataChunks;
use crate::data_reader::DataReader;
use crate::error::{Error, Result};
use crate::index::IndexReader;
use crate::partitioner::{Partitioner, Token};
use crate::rows::Partition;
use std::ops::Bound;

/// The partitions of an SSTable in a token range, in order.
pub struct PartitionScan<'r> {
    reader: &'r SstableReader,
    chunks: DataChunks<'r>,
    index: Entries<'r>,
    /// The next index entry, read ahead to learn where its predecessor
    /// ends.
    next: Option<ScanEntry<'r>>,
    /// Partitions before the start may still come (BTI: the trie finds
    /// the start by unique key prefixes, so one may sort before it).
    before_start: Option<Bound<Token>>,
    end: Bound<Token>,
    window: Vec<u8>,
    window_start: u64,
    finished: bool,
    /// Chunks come through the reader's chunk cache (range reads, which
    /// touch a few chunks each, at random); whole-table scans (compaction,
    /// iteration) decompress their own so as not to flush the cache.
    cached: bool,
}

impl std::fmt::Debug for PartitionScan<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionScan")
            .field("window_start", &self.window_start)
            .finish_non_exhaustive()
    }
}

fn after_start(token: &Token, start: &Bound<Token>) -> bool {
    match start {
        Bound::Unbounded => true,
        Bound::Included(s) => token >= s,
        Bound::Excluded(s) => token > s,
    }
}

fn before_end(token: &Token, end: &Bound<Token>) -> bool {
    match end {
        Bound::Unbounded => true,
        Bound::Included(e) => token <= e,
        Bound::Excluded(e) => token < e,
    }
}

/// Where a scan's partitions come from: Index.db read in order, or the
/// Partitions.db trie walked in order.
pub(super) enum Entries<'r> {
    Big(IndexReader<'r>),
    Bti {
        walk: Walk<'r>,
        pending: Option<Node>,
    },
}

/// One partition to read: where its entry is (for errors), its key when
/// the index holds it, its start in the data stream.
#[derive(Clone, Copy)]
pub(super) struct ScanEntry<'r> {
    pub(super) offset: u64,
    pub(super) key: Option<&'r [u8]>,
    pub(super) position: u64,
}

impl<'r> Entries<'r> {
    /// Every partition of `reader` from its first, in order.
    pub(super) fn all(reader: &'r SstableReader) -> Result<Entries<'r>> {
        match &reader.bti {
            Some(bti) => {
                let (walk, pending) = bti.walk_from(reader, &[])?;
                Ok(Entries::Bti { walk, pending })
            }
            None => {
                let types = &reader.statistics.header.clustering_types;
                Ok(Entries::Big(IndexReader::new(
                    &reader.index,
                    reader.version,
                    types,
                    &reader.index_path,
                )))
            }
        }
    }

    pub(super) fn next(&mut self, reader: &'r SstableReader) -> Result<Option<ScanEntry<'r>>> {
        match self {
            Entries::Big(index) => Ok(index.next_key()?.map(|k| ScanEntry {
                offset: k.offset,
                key: Some(k.key),
                position: k.position,
            })),
            Entries::Bti { walk, pending } => {
                let node = match pending.take() {
                    Some(node) => Some(node),
                    None => walk.next_payload()?,
                };
                let (Some(node), Some(bti)) = (node, reader.bti.as_ref()) else {
                    return Ok(None);
                };
                let (position, key, _) = bti.resolve(reader, &node)?;
                Ok(Some(ScanEntry {
                    offset: node.position,
                    key,
                    position,
                }))
            }
        }
    }
}

/// The byte-comparable prefix of every key of `token`.
fn token_prefix(token: &Token) -> Vec<u8> {
    match token {
        Token::Long(t) => byte_comparable::long_token_prefix(*t),
        Token::Bytes(k) => byte_comparable::bytes_token_prefix(k),
        // Never reached: BTI tables with RandomPartitioner are refused at
        // open (see `byte_comparable::partition_key`).
        Token::Big(t) => {
            let mut out = vec![0x40];
            out.extend_from_slice(&t.to_be_bytes());
            out
        }
    }
}

/// The sort position at or before every key whose token is `token`.
fn lower_position(partitioner: Partitioner, token: &Token) -> (i64, &[u8]) {
    match token {
        Token::Long(t) => (*t, &[]),
        Token::Bytes(k) => (partitioner.sort_token(k, (0, 0)), k.as_slice()),
        Token::Big(_) => (partitioner.sort_token_of(token), &[]),
    }
}

impl<'r> PartitionScan<'r> {
    pub(super) fn new(
        reader: &'r SstableReader,
        start: Bound<Token>,
        end: Bound<Token>,
        cached: bool,
    ) -> Result<PartitionScan<'r>> {
        let partitioner = reader.lookup.partitioner();
        let chunks = reader.compression.chunks(&reader.data, &reader.data_path)?;
        if let Some(bti) = &reader.bti {
            let prefix = match &start {
                Bound::Included(t) | Bound::Excluded(t) => token_prefix(t),
                Bound::Unbounded => Vec::new(),
            };
            let (walk, pending) = bti.walk_from(reader, &prefix)?;
            let mut index = Entries::Bti { walk, pending };
            let next = index.next(reader)?;
            return Ok(PartitionScan {
                reader,
                chunks,
                index,
                next,
                before_start: Some(start),
                end,
                window: Vec::new(),
                window_start: 0,
                finished: false,
                cached,
            });
        }
        let types = &reader.statistics.header.clustering_types;
        let mut index = IndexReader::new(&reader.index, reader.version, types, &reader.index_path);
        if let Bound::Included(t) | Bound::Excluded(t) = &start {
            let offset = reader.lookup.sample_before(
                lower_position(partitioner, t),
                &reader.index,
                &reader.index_path,
            )?;
            index.seek(offset)?;
        }
        // Skip the entries before the start (at most one sample's worth).
        let mut next = index.next_key()?;
        while let Some(entry) = next {
            if after_start(&partitioner.token(entry.key), &start) {
                break;
            }
            next = index.next_key()?;
        }
        Ok(PartitionScan {
            reader,
            chunks,
            index: Entries::Big(index),
            next: next.map(|k| ScanEntry {
                offset: k.offset,
                key: Some(k.key),
                position: k.position,
            }),
            before_start: None,
            end,
            window: Vec::new(),
            window_start: 0,
            finished: false,
            cached,
        })
    }

    /// Bytes of the uncompressed data stream read so far: how far the
    /// scan has come (progress reports, throttling).
    pub fn stream_position(&self) -> u64 {
        self.window_start + self.window.len() as u64
    }

    fn next_partition(&mut self) -> Result<Option<Partition>> {
        loop {
            let Some((p, end_checked)) = self.read_next()? else {
                return Ok(None);
            };
            let partitioner = self.reader.lookup.partitioner();
            let token = || partitioner.token(&p.key);
            if let Some(start) = &self.before_start {
                if !after_start(&token(), start) {
                    continue;
                }
                self.before_start = None;
            }
            if !end_checked
                && !matches!(self.end, Bound::Unbounded)
                && !before_end(&token(), &self.end)
            {
                return Ok(None);
            }
            return Ok(Some(p));
        }
    }

    /// The next partition, and whether it was checked against the end
    /// already (when the index gave its key).
    fn read_next(&mut self) -> Result<Option<(Partition, bool)>> {
        let Some(entry) = self.next.take() else {
            return Ok(None);
        };
        let partitioner = self.reader.lookup.partitioner();
        if let Some(key) = entry.key {
            if !matches!(self.end, Bound::Unbounded)
                && !before_end(&partitioner.token(key), &self.end)
            {
                return Ok(None);
            }
        }
        self.next = self.index.next(self.reader)?;
        let data_length = self.reader.compression.data_length();
        let end = self.next.map_or(data_length, |n| n.position);
        let start = entry.position;
        let data_path = &self.reader.data_path;
        if end <= start || end > data_length || start < self.window_start {
            return Err(Error::corrupt(
                &self.reader.index_path,
                entry.offset,
                format!("partition at {start} ends at {end}"),
            ));
        }
        let chunk = u64::from(self.reader.compression.chunk_length());
        // Drop the chunks before the partition, then decompress up to its
        // end.
        let first_chunk_start = start / chunk * chunk;
        if first_chunk_start > self.window_start {
            let drop = ((first_chunk_start - self.window_start) as usize).min(self.window.len());
            self.window.drain(..drop);
            self.window_start += drop as u64;
            if self.window.is_empty() {
                self.window_start = first_chunk_start;
            }
        }
        while self.window_start + (self.window.len() as u64) < end {
            let next_chunk = (self.window_start + self.window.len() as u64) / chunk;
            if next_chunk as usize >= self.chunks.chunk_count() {
                return Err(Error::corrupt(
                    data_path,
                    start,
                    "partition past the last chunk",
                ));
            }
            if self.cached {
                let chunk = self.reader.chunk(&self.chunks, next_chunk)?;
                self.window.extend_from_slice(&chunk);
            } else {
                self.chunks
                    .read_chunk(next_chunk as usize, &mut self.window)?;
            }
        }
        let from = (start - self.window_start) as usize;
        let to = (end - self.window_start) as usize;
        let bytes = self
            .window
            .get(from..to)
            .ok_or_else(|| Error::corrupt(data_path, start, "chunks shorter than expected"))?;
        let mut decoder = DataReader::with_shapes(
            bytes,
            &self.reader.statistics.header,
            &self.reader.shapes,
            self.reader.version,
            data_path,
        );
        match decoder.next_partition()? {
            Some(p) if entry.key.is_none_or(|k| p.key == k) => Ok(Some((p, entry.key.is_some()))),
            _ => Err(Error::corrupt(
                data_path,
                start,
                "the index points at a different partition",
            )),
        }
    }
}

impl Iterator for PartitionScan<'_> {
    type Item = Result<Partition>;

    fn next(&mut self) -> Option<Result<Partition>> {
        if self.finished {
            return None;
        }
        let item = self.next_partition().transpose();
        // After the end or an error, the scan is over.
        if !matches!(item, Some(Ok(_))) {
            self.finished = true;
        }
        item
    }
}

impl SstableReader {
    /// Every partition, in order, decoded one at a time.
    ///
    /// # Errors
    /// The iterator yields the first corruption met, then ends.
    pub fn iter(&self) -> Result<PartitionScan<'_>> {
        PartitionScan::new(self, Bound::Unbounded, Bound::Unbounded, false)
    }

    /// The partitions whose tokens lie between `start` and `end`, in order
    /// (tokens of this SSTable's partitioner: [`Token::Long`] under
    /// Murmur3, [`Token::Bytes`] under ByteOrdered, [`Token::Big`] under
    /// Random).
    ///
    /// Its chunks go through the chunk cache, as point reads' do: a range
    /// read touches a few chunks at a random place.
    ///
    /// # Errors
    /// Corruption met finding the start; the iterator yields later ones.
    pub fn scan_range(&self, start: Bound<Token>, end: Bound<Token>) -> Result<PartitionScan<'_>> {
        PartitionScan::new(self, start, end, true)
    }
}
