//! An open SSTable: its components parsed or memory-mapped, point lookups,
//! full scans and verification.

use crate::bloom::BloomFilter;
use crate::checksums::Checksums;
use crate::chunk_cache::{next_table_id, ChunkCache, KeyCache, KeyPosition, TableId};
use crate::clustering::compare_prefixes;
use crate::compression::CompressionInfo;
use crate::data_layout::{DataChunks, DataLayout};
use crate::data_reader::{DataReader, HeaderShapes};
use crate::descriptor::{Component, Descriptor};
use crate::error::{Error, Result};
use crate::index::IndexReader;
use crate::lookup::{KeyLookup, SortPosition};
use crate::partitioner::Partitioner;
use crate::rows::Partition;
use crate::statistics::Statistics;
use crate::summary::Summary;
use crate::version::{FormatType, Version};
use ilion_vfs::{FileBytes, FileSystem};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

thread_local! {
    /// A reading thread's decompression buffer, reused from chunk to chunk.
    static CHUNK_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Largest decompression buffer a thread keeps (chunks are at most 64 KiB
/// in practice; a damaged or exotic length is not kept).
const MAX_KEPT_BUFFER: usize = 1 << 20;

/// One SSTable, opened from its `*-Data.db` path.
#[derive(Debug)]
pub struct SstableReader {
    descriptor: Descriptor,
    data_path: PathBuf,
    index_path: PathBuf,
    checksums: Checksums,
    version: Version,
    statistics: Statistics,
    compression: DataLayout,
    filter: BloomFilter,
    lookup: KeyLookup,
    data: FileBytes,
    index: FileBytes,
    fs: Arc<dyn FileSystem>,
    table_id: TableId,
    caches: ReaderCaches,
    shapes: HeaderShapes,
    /// Total size of the components the sidecar lists, when there is one.
    checksums_total: Option<u64>,
    false_positives: std::sync::atomic::AtomicU64,
    /// A BTI table's tries (`index` then maps Partitions.db).
    bti: Option<bti_read::BtiParts>,
}

pub use crate::slice::Slice;
pub use positions::{PositionedPartition, PositionedScan};
pub use scan::PartitionScan;

mod bti_read;
mod positions;
mod scan;
mod verify_keys;

/// The caches an SSTable reader may share with others.
#[derive(Debug, Clone, Default)]
pub struct ReaderCaches {
    /// Decompressed Data.db chunks.
    pub chunks: Option<Arc<ChunkCache>>,
    /// Partition positions by key.
    pub keys: Option<Arc<KeyCache>>,
}

/// Decompressed data-stream bytes: a range of one cached chunk, or a copy
/// gathered from several.
enum StreamBytes {
    Shared(Arc<[u8]>, std::ops::Range<usize>),
    Owned(Vec<u8>),
}

impl std::ops::Deref for StreamBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            StreamBytes::Shared(chunk, range) => &chunk[range.clone()],
            StreamBytes::Owned(bytes) => bytes,
        }
    }
}

/// Memory an open SSTable keeps resident (besides the mapped files, which
/// the page cache holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResidentMemory {
    /// The bloom filter's bits.
    pub filter_bytes: usize,
    /// The partition index kept in memory: Ilion's samples of Index.db
    /// (16 bytes per 16 partitions) and the first and last keys. (Summary.db
    /// is read and checked at open, then not kept.)
    pub summary_bytes: usize,
    /// The compression chunk offsets (or, uncompressed, the chunk CRCs).
    pub chunk_offset_bytes: usize,
}

fn is_not_found(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
}

fn read(fs: &dyn FileSystem, path: &Path) -> Result<Vec<u8>> {
    let io = |e| Error::Io {
        op: "read",
        path: path.to_path_buf(),
        source: e,
    };
    let file = fs.open_readable(path).map_err(io)?;
    ilion_vfs::read_all(file.as_ref(), u64::MAX).map_err(io)
}

fn map(fs: &dyn FileSystem, path: &Path) -> Result<FileBytes> {
    fs.read_mapped(path).map_err(|e| Error::Io {
        op: "map",
        path: path.to_path_buf(),
        source: e,
    })
}

/// The component names TOC.txt (at `toc_path`) lists, or `None` when there
/// is no TOC.txt.
fn toc_components(fs: &dyn FileSystem, toc_path: &Path) -> Result<Option<Vec<String>>> {
    match read(fs, toc_path) {
        Ok(text) => Ok(Some(
            String::from_utf8_lossy(&text)
                .lines()
                .map(|line| line.trim().to_string())
                .collect(),
        )),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether TOC.txt (at `toc_path`) exists and lists none of `components`.
/// Without a TOC nothing says a component was left out on purpose.
fn toc_omits(fs: &dyn FileSystem, toc_path: &Path, components: &[Component]) -> Result<bool> {
    Ok(toc_components(fs, toc_path)?.is_some_and(|listed| {
        listed.iter().any(|name| name == Component::Data.name())
            && components
                .iter()
                .all(|c| !listed.iter().any(|name| name == c.name()))
    }))
}

/// The first and last keys of Index.db (what Summary.db records), read
/// from Index.db itself when Summary.db is missing.
fn index_key_range(index: &[u8], index_path: &Path) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut entries = IndexReader::keys_only(index, index_path);
    let Some(first) = entries.next_key()?.map(|e| e.key.to_vec()) else {
        return Err(Error::corrupt(index_path, 0, "Index.db holds no partition"));
    };
    let mut last = first.clone();
    while let Some(entry) = entries.next_key()? {
        entry.key.clone_into(&mut last);
    }
    Ok((first, last))
}

/// Without component CRCs (ma to me), a damaged serialization header would
/// shift every timestamp read. Cassandra's header base is never above the
/// smallest timestamp the Stats record (it comes from the data written, or
/// from the inputs of a compaction), so a base above it is damage.
fn check_timestamp_base(statistics: &Statistics, version: Version, path: &Path) -> Result<()> {
    let stats = &statistics.stats;
    if !version.has_metadata_checksum()
        && stats.min_timestamp <= stats.max_timestamp
        && statistics.header.min_timestamp > stats.min_timestamp
    {
        return Err(Error::corrupt(
            path,
            0,
            format!(
                "serialization header timestamp base {} above the smallest timestamp {}",
                statistics.header.min_timestamp, stats.min_timestamp
            ),
        ));
    }
    Ok(())
}

impl SstableReader {
    /// Opens the SSTable whose Data.db is at `data_path` (named
    /// `<version>-<generation>-<format>-Data.db`).
    ///
    /// # Errors
    /// I/O errors, corruption of any component (named with its offset),
    /// an unknown version, partitioner or compressor.
    pub fn open(data_path: &Path) -> Result<SstableReader> {
        Self::open_with_caches(data_path, ReaderCaches::default())
    }

    /// [`SstableReader::open`], keeping decompressed chunks and partition
    /// positions in the given caches (shared with other SSTables).
    ///
    /// # Errors
    /// As [`SstableReader::open`].
    pub fn open_with_caches(data_path: &Path, caches: ReaderCaches) -> Result<SstableReader> {
        Self::open_in(Arc::new(ilion_vfs::RealFs), data_path, caches)
    }

    /// [`SstableReader::open_with_caches`] through the file system `fs`
    /// (a simulated one in tests).
    ///
    /// # Errors
    /// As [`SstableReader::open`].
    pub fn open_in(
        fs: Arc<dyn FileSystem>,
        data_path: &Path,
        caches: ReaderCaches,
    ) -> Result<SstableReader> {
        let descriptor = Descriptor::from_path(data_path)?;
        let version = descriptor.version;
        let path = |c: Component| descriptor.path(c);
        // Ilion's own SSTables carry checksums of every component; files
        // Cassandra wrote do not, and get the format's own checks only.
        let sidecar_path = path(Component::IlionChecksums);
        let checksums = match read(fs.as_ref(), &sidecar_path) {
            Ok(bytes) => Checksums::parse(&bytes, &sidecar_path)?,
            Err(e) if is_not_found(&e) => Checksums::new(),
            Err(e) => return Err(e),
        };
        let checked = |c: Component| -> Result<Vec<u8>> {
            let p = path(c);
            let bytes = read(fs.as_ref(), &p)?;
            checksums.check(c, &bytes, &p)?;
            Ok(bytes)
        };
        if checksums.get(Component::Toc).is_some() {
            checked(Component::Toc)?;
        }
        let stats_path = path(Component::Statistics);
        let statistics = Statistics::parse(&checked(Component::Statistics)?, version, &stats_path)?;
        check_timestamp_base(&statistics, version, &stats_path)?;
        let partitioner = Partitioner::from_class_name(&statistics.validation.partitioner)
            .ok_or_else(|| Error::Unsupported {
                path: stats_path.clone(),
                what: format!("partitioner {}", statistics.validation.partitioner),
            })?;
        let layout = statistics.filter_layout(version);
        // Filter.db and Summary.db only speed lookups up: without them
        // (a table written without a filter, a summary lost) Cassandra
        // lets every key through the filter and rebuilds the summary from
        // Index.db. Ilion does the same, unless its sidecar lists them.
        let optional = |c: Component| -> Result<Option<Vec<u8>>> {
            match checked(c) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if is_not_found(&e) && checksums.get(c).is_none() => Ok(None),
                Err(e) => Err(e),
            }
        };
        let filter_path = path(Component::Filter);
        let filter = match optional(Component::Filter)? {
            Some(bytes) => BloomFilter::deserialize(&bytes, layout)
                .map_err(|e| Error::corrupt(&filter_path, 0, e.to_string()))?,
            None => BloomFilter::always_present(),
        };
        let data = map(fs.as_ref(), data_path)?;
        checksums.check_length(Component::Data, data.len() as u64, data_path)?;
        // Compressed tables have CompressionInfo.db, uncompressed ones
        // CRC.db instead.
        let info_path = path(Component::CompressionInfo);
        let compression = match read(fs.as_ref(), &info_path) {
            Ok(bytes) => {
                checksums.check(Component::CompressionInfo, &bytes, &info_path)?;
                DataLayout::Compressed(CompressionInfo::parse(&bytes, version, &info_path)?)
            }
            Err(missing @ Error::Io { .. }) if is_not_found(&missing) => {
                let crc_path = path(Component::Crc);
                match read(fs.as_ref(), &crc_path) {
                    Ok(bytes) => {
                        checksums.check(Component::Crc, &bytes, &crc_path)?;
                        DataLayout::parse_crc(&bytes, data.len() as u64, &crc_path)?
                    }
                    // Neither, and TOC.txt lists neither: an uncompressed
                    // Data.db without chunk CRCs (CRC.db is optional).
                    Err(e)
                        if is_not_found(&e)
                            && toc_omits(
                                fs.as_ref(),
                                &path(Component::Toc),
                                &[Component::CompressionInfo, Component::Crc],
                            )? =>
                    {
                        DataLayout::Unchecked {
                            data_length: data.len() as u64,
                        }
                    }
                    // Neither: the usual (compressed) one is what is missing.
                    Err(e) if is_not_found(&e) => return Err(missing),
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        compression.chunks(&data, data_path)?;
        let (index_path, index, lookup, bti) = if version.format() == FormatType::Bti {
            let (index_path, index, lookup, parts) =
                bti_read::BtiParts::open(fs.as_ref(), &descriptor, &checksums, partitioner)?;
            (index_path, index, lookup, Some(parts))
        } else {
            let summary_path = path(Component::Summary);
            let summary = match optional(Component::Summary)? {
                Some(bytes) => Some(Summary::parse(&bytes, &summary_path)?),
                None => None,
            };
            let index_path = path(Component::Index);
            let index = map(fs.as_ref(), &index_path)?;
            checksums.check(Component::Index, &index, &index_path)?;
            let (first_key, last_key) = match summary {
                Some(summary) => (summary.first_key, summary.last_key),
                None => index_key_range(&index, &index_path)?,
            };
            let lookup = KeyLookup::new(&index, &index_path, partitioner, &first_key, &last_key)?;
            (index_path, index, lookup, None)
        };
        let shapes = HeaderShapes::new(&statistics.header);
        let checksums_total = checksums.total_length();
        Ok(SstableReader {
            fs,
            data_path: data_path.to_path_buf(),
            index_path,
            descriptor,
            checksums,
            version,
            statistics,
            compression,
            filter,
            lookup,
            data,
            index,
            table_id: next_table_id(),
            caches,
            shapes,
            checksums_total,
            false_positives: std::sync::atomic::AtomicU64::new(0),
            bti,
        })
    }

    fn component(&self, component: Component) -> PathBuf {
        self.descriptor.path(component)
    }

    /// The format version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Statistics.db's contents.
    pub fn statistics(&self) -> &Statistics {
        &self.statistics
    }

    /// The partition with `key`, or `None`. Decompresses only the chunks the
    /// partition spans.
    ///
    /// # Errors
    /// Corruption met on the way.
    pub fn get(&self, key: &[u8]) -> Result<Option<Partition>> {
        let Some((position, verified)) = self.locate_checked(key)? else {
            return Ok(None);
        };
        let bytes = self.stream_range(position.data_start, position.data_end)?;
        let mut reader = DataReader::with_shapes(
            &bytes,
            &self.statistics.header,
            &self.shapes,
            self.version,
            &self.data_path,
        );
        let partition = reader.next_partition()?;
        match partition {
            Some(p) if p.key == key => {
                if !verified {
                    self.remember(key, position);
                }
                Ok(Some(p))
            }
            Some(_) if !verified => {
                self.count_false_positive();
                Ok(None)
            }
            _ => Err(Error::corrupt(
                &self.data_path,
                position.data_start,
                "the index points at a different partition",
            )),
        }
    }

    /// [`SstableReader::locate`], and whether the partition found is known
    /// to be `key`'s: a BTI partition index holds only unique prefixes of
    /// keys, and a partition without a row index shows its key only in
    /// Data.db, which the caller reads anyway and compares.
    fn locate_checked(&self, key: &[u8]) -> Result<Option<(KeyPosition, bool)>> {
        match &self.bti {
            Some(bti) => self.locate_bti(bti, key),
            None => Ok(self.locate(key)?.map(|p| (p, true))),
        }
    }

    /// Counts a lookup the bloom filter let through for an absent key.
    fn count_false_positive(&self) {
        self.false_positives
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Keeps a partition's position in the key cache, when there is one.
    fn remember(&self, key: &[u8], position: KeyPosition) {
        if let Some(cache) = &self.caches.keys {
            cache.insert(self.table_id, BloomFilter::hash(key).0, key, position);
        }
    }

    /// The index entry of `key` and where its partition ends in the data
    /// stream, or `None` when the SSTable does not hold it.
    fn locate(&self, key: &[u8]) -> Result<Option<KeyPosition>> {
        let hash = BloomFilter::hash(key);
        if let Some(cache) = &self.caches.keys {
            if let Some(position) = cache.get(self.table_id, hash.0, key) {
                return Ok(Some(position));
            }
        }
        let types = &self.statistics.header.clustering_types;
        let mut index = IndexReader::new(&self.index, self.version, types, &self.index_path);
        if !self.filter.may_contain_hash(hash) {
            return Ok(None);
        }
        let Some(entry) = self.lookup.find(
            key,
            hash,
            &self.filter,
            &mut index,
            &self.index,
            &self.index_path,
        )?
        else {
            self.count_false_positive();
            return Ok(None);
        };
        let data_length = self.compression.data_length();
        let end = index.next_position()?.unwrap_or(data_length);
        if end <= entry.position || end > data_length {
            return Err(Error::corrupt(
                &self.index_path,
                entry.offset,
                format!("partition at {} ends at {end}", entry.position),
            ));
        }
        let position = KeyPosition {
            data_start: entry.position,
            data_end: end,
            index_offset: entry.offset,
        };
        if let Some(cache) = &self.caches.keys {
            cache.insert(self.table_id, hash.0, key, position);
        }
        Ok(Some(position))
    }

    /// One decompressed chunk, from the cache when there is one.
    fn chunk(&self, chunks: &DataChunks<'_>, index: u64) -> Result<Arc<[u8]>> {
        if let Some(cache) = &self.caches.chunks {
            if let Some(chunk) = cache.get(self.table_id, index) {
                return Ok(chunk);
            }
        }
        // Decompressed into this thread's buffer, then copied once into
        // the shared chunk (a `Vec` turned into an `Arc<[u8]>` would be
        // allocated and copied anyway).
        let mut buffer = CHUNK_BUFFER.try_with(Cell::take).unwrap_or_default();
        buffer.clear();
        chunks.read_chunk(index as usize, &mut buffer)?;
        let chunk: Arc<[u8]> = Arc::from(buffer.as_slice());
        if buffer.capacity() <= MAX_KEPT_BUFFER {
            let _ = CHUNK_BUFFER.try_with(|kept| kept.set(buffer));
        }
        if let Some(cache) = &self.caches.chunks {
            cache.insert(self.table_id, index, chunk.clone());
        }
        Ok(chunk)
    }

    /// The data stream's bytes `[from, to)`, decompressed (every chunk's
    /// CRC checked); within one chunk, without copying it.
    fn stream_range(&self, from: u64, to: u64) -> Result<StreamBytes> {
        let chunk = u64::from(self.compression.chunk_length());
        if to <= from || to > self.compression.data_length() {
            return Err(Error::corrupt(
                &self.data_path,
                from,
                format!("data range {from}..{to}"),
            ));
        }
        let (first, last) = (from / chunk, (to - 1) / chunk);
        let chunks = self.compression.chunks(&self.data, &self.data_path)?;
        let start = (from - first * chunk) as usize;
        let len = (to - from) as usize;
        if first == last {
            let bytes = self.chunk(&chunks, first)?;
            if start + len > bytes.len() {
                return Err(Error::corrupt(
                    &self.data_path,
                    from,
                    "chunk shorter than its range",
                ));
            }
            return Ok(StreamBytes::Shared(bytes, start..start + len));
        }
        let mut stream = Vec::with_capacity(((last - first + 1) * chunk) as usize);
        for i in first..=last {
            stream.extend_from_slice(&self.chunk(&chunks, i)?);
        }
        if start + len > stream.len() {
            return Err(Error::corrupt(
                &self.data_path,
                from,
                "chunks shorter than their range",
            ));
        }
        stream.truncate(start + len);
        stream.drain(..start);
        Ok(StreamBytes::Owned(stream))
    }

    /// The rows and range tombstones of partition `key` within `slice`,
    /// in clustering order or reversed (a reversed result lists the same
    /// markers, with the same bounds, last to first). A range tombstone
    /// that straddles an edge of the slice is cut at that edge. A partition
    /// with a row index is read block by block: only its header and the
    /// blocks that can hold the slice are decompressed and decoded.
    ///
    /// # Errors
    /// Corruption; [`Error::Unsupported`] for clustering types Ilion cannot
    /// order yet.
    pub fn slice(&self, key: &[u8], slice: &Slice, reverse: bool) -> Result<Option<Partition>> {
        Ok(self.slice_upto(key, slice, reverse, None)?.map(|(p, _)| p))
    }

    /// [`SstableReader::slice`] forwards, decoding no further than the
    /// first `rows` rows inside the slice. When it stopped there (more may
    /// follow) it returns the clustering of the last row read, and the
    /// result is cut at that row: a range tombstone open there is closed
    /// there, so that nothing beyond what was read is claimed.
    ///
    /// # Errors
    /// As [`SstableReader::slice`].
    pub fn slice_head(
        &self,
        key: &[u8],
        slice: &Slice,
        rows: usize,
    ) -> Result<Option<(Partition, Option<Vec<crate::clustering::ClusteringValue>>)>> {
        self.slice_upto(key, slice, false, Some(rows.max(1)))
    }

    fn slice_upto(
        &self,
        key: &[u8],
        slice: &Slice,
        reverse: bool,
        max_rows: Option<usize>,
    ) -> Result<Option<(Partition, Option<Vec<crate::clustering::ClusteringValue>>)>> {
        let data_path = self.data_path.clone();
        let header = &self.statistics.header;
        let types = &header.clustering_types;
        if !crate::slice::comparable(types) {
            return Err(Error::Unsupported {
                path: data_path,
                what: format!("slices over clustering types {types:?}"),
            });
        }
        let Some((position, verified)) = self.locate_checked(key)? else {
            return Ok(None);
        };
        if let Some(bti) = &self.bti {
            return self.slice_bti(bti, key, slice, reverse, max_rows, position, verified);
        }
        let end = position.data_end;
        let entry = IndexReader::new(&self.index, self.version, types, &self.index_path)
            .entry_at(position.index_offset)?;
        if entry.position != position.data_start {
            return Err(Error::corrupt(
                &self.index_path,
                position.index_offset,
                "index entry moved",
            ));
        }
        // Rows inside the slice count towards `max_rows`; decoding stops
        // at the last one wanted.
        let take_head = |reader: &mut DataReader<'_>| {
            let items = std::iter::from_fn(|| reader.next_unfiltered().transpose());
            crate::slice::take_head(types, slice, items, max_rows)
        };
        let mut cut = None;
        let (key_read, deletion, static_row, unfiltereds, open_before) = match &entry.row_index {
            None if max_rows.is_some() => {
                let bytes = self.stream_range(entry.position, end)?;
                let mut reader =
                    DataReader::with_shapes(&bytes, header, &self.shapes, self.version, &data_path);
                let (key_read, deletion, static_row) = reader.partition_header()?;
                let (unfiltereds, last) = take_head(&mut reader)?;
                cut = last;
                (key_read, deletion, static_row, unfiltereds, None)
            }
            None => {
                let bytes = self.stream_range(entry.position, end)?;
                let mut reader =
                    DataReader::with_shapes(&bytes, header, &self.shapes, self.version, &data_path);
                let p = reader
                    .next_partition()?
                    .ok_or_else(|| Error::corrupt(&data_path, entry.position, "no partition"))?;
                (p.key, p.deletion, p.static_row, p.unfiltereds, None)
            }
            Some(row_index) => {
                let head =
                    self.stream_range(entry.position, entry.position + row_index.header_length)?;
                let (key_read, deletion, static_row) =
                    DataReader::with_shapes(&head, header, &self.shapes, self.version, &data_path)
                        .partition_header()?;
                // Blocks that may hold part of the slice: the first whose
                // last name reaches the start, through the last whose first
                // name does not pass the end.
                let start = slice.start_bound();
                let end = slice.end_bound();
                let blocks = &row_index.blocks;
                let first = blocks.partition_point(|b| {
                    start
                        .as_ref()
                        .is_some_and(|s| compare_prefixes(types, &b.last, s).is_lt())
                });
                let last = blocks.partition_point(|b| {
                    end.as_ref()
                        .is_none_or(|e| !compare_prefixes(types, &b.first, e).is_gt())
                });
                let mut unfiltereds = Vec::new();
                let open_before = first
                    .checked_sub(1)
                    .and_then(|i| blocks.get(i))
                    .and_then(|b| b.end_open_marker);
                if first < last {
                    // Offsets and widths come from Index.db unchecked.
                    let (head, tail) = (&blocks[first], &blocks[last - 1]);
                    let range = entry.position.checked_add(head.offset).zip(
                        entry
                            .position
                            .checked_add(tail.offset)
                            .and_then(|t| t.checked_add(tail.width)),
                    );
                    let Some((from, to)) = range.filter(|&(_, to)| to <= position.data_end) else {
                        return Err(Error::corrupt(
                            &self.index_path,
                            position.index_offset,
                            "row index blocks reach past their partition",
                        ));
                    };
                    let bytes = self.stream_range(from, to)?;
                    let mut reader = DataReader::with_shapes(
                        &bytes,
                        header,
                        &self.shapes,
                        self.version,
                        &data_path,
                    );
                    (unfiltereds, cut) = take_head(&mut reader)?;
                }
                (key_read, deletion, static_row, unfiltereds, open_before)
            }
        };
        if key_read != key {
            return Err(Error::corrupt(
                &data_path,
                entry.position,
                "the index points at a different partition",
            ));
        }
        // Cut short: the slice ends at the last row read.
        let read = slice.ending_at(cut.as_deref());
        let mut unfiltereds = crate::slice::clip(types, unfiltereds, open_before, &read);
        if reverse {
            unfiltereds.reverse();
        }
        Ok(Some((
            Partition {
                key: key_read,
                deletion,
                static_row,
                unfiltereds,
            },
            cut,
        )))
    }

    /// Every partition, in order, collected (see [`SstableReader::iter`]
    /// for the streaming form).
    ///
    /// # Errors
    /// The first corruption met.
    pub fn scan(&self) -> Result<Vec<Partition>> {
        self.iter()?.collect()
    }

    /// Checks every checksum: the Data.db digest and every chunk's CRC (the
    /// other components were checked when opened); for a BTI table, also
    /// that Partitions.db and Rows.db agree with each other and the data;
    /// then decodes every partition and checks that the filter and the
    /// index reach it (the components Cassandra does not checksum). An
    /// SSTable whose TOC.txt lists no Digest.crc32 (and whose Ilion sidecar
    /// does not either) has its chunks checked but no digest.
    ///
    /// # Errors
    /// The first mismatch, naming the file and offset; a missing
    /// Digest.crc32 that the TOC lists.
    pub fn verify(&self) -> Result<()> {
        // Chunks first: a damaged chunk is named more precisely by its own
        // CRC than by the whole-file digest it also fails.
        let chunks = self.compression.chunks(&self.data, &self.data_path)?;
        let mut buffer = Vec::with_capacity(self.compression.chunk_length() as usize);
        for i in 0..chunks.chunk_count() {
            buffer.clear();
            chunks.read_chunk(i, &mut buffer)?;
        }
        let digest_path = self.component(Component::Digest);
        match read(self.fs.as_ref(), &digest_path) {
            Ok(text) => self.verify_digest(&text, &digest_path)?,
            Err(e)
                if is_not_found(&e)
                    && self.checksums.get(Component::Digest).is_none()
                    && toc_omits(
                        self.fs.as_ref(),
                        &self.component(Component::Toc),
                        &[Component::Digest],
                    )? => {}
            Err(e) => return Err(e),
        }
        if let Some(bti) = &self.bti {
            self.verify_bti(bti)?;
        }
        self.verify_keys()
    }

    /// Checks Data.db against Digest.crc32's `text` (the CRC32 of the whole
    /// file as stored, in decimal).
    fn verify_digest(&self, text: &[u8], digest_path: &Path) -> Result<()> {
        self.checksums.check(Component::Digest, text, digest_path)?;
        let expected: u32 = std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .ok_or_else(|| Error::corrupt(digest_path, 0, "not a decimal CRC32"))?;
        let actual = crc32fast::hash(&self.data);
        if actual != expected {
            return Err(Error::corrupt(
                &self.data_path,
                0,
                format!("Data.db (CRC32 {actual}) does not match Digest.crc32 ({expected})"),
            ));
        }
        Ok(())
    }

    /// Its descriptor: directory, version, generation.
    pub fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    /// The sort positions (partitioner sort token, key) of its first and
    /// last partitions.
    pub fn key_range(&self) -> (&SortPosition, &SortPosition) {
        self.lookup.key_range()
    }

    /// Whether it may hold the partition `key` (whose
    /// [`BloomFilter::hash`] is `hash`): inside its key range and let
    /// through by its bloom filter. No false positive is counted: this
    /// asks about data, not for it.
    pub fn may_contain(&self, key: &[u8], hash: (u64, u64)) -> bool {
        let partitioner = self.lookup.partitioner();
        let position = (partitioner.sort_token(key, hash), key);
        let (first, last) = self.lookup.key_range();
        if position < (first.0, first.1.as_slice()) || position > (last.0, last.1.as_slice()) {
            return false;
        }
        self.filter.may_contain_hash(hash)
    }

    /// Uncompressed bytes of its data stream (Data.db decompressed).
    pub fn data_length(&self) -> u64 {
        self.compression.data_length()
    }

    /// Partitions in the SSTable.
    pub fn partition_count(&self) -> usize {
        self.lookup.partition_count()
    }

    /// Bytes of its files on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.checksums_total
            .unwrap_or(self.data.len() as u64 + self.index.len() as u64)
    }

    /// Lookups the bloom filter let through for keys the SSTable does not
    /// hold.
    pub fn bloom_false_positives(&self) -> u64 {
        self.false_positives
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// What this SSTable keeps in memory.
    pub fn resident_memory(&self) -> ResidentMemory {
        ResidentMemory {
            filter_bytes: (self.filter.bit_count() / 8) as usize,
            summary_bytes: self.lookup.resident_bytes(),
            chunk_offset_bytes: self.compression.resident_bytes(),
        }
    }
}

/// Readers are shared between threads.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<SstableReader>();
    shareable::<ReaderCaches>();
};
