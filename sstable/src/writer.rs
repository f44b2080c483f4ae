//! Writing a whole SSTable in Cassandra's big format, streaming: partitions
//! arrive in order and go straight to disk; what stays in memory is what
//! the reader keeps resident anyway (filter, summary samples, chunk
//! offsets) plus one partition and one chunk.
//!
//! Every component is written under a `tmp-` name and fsynced; then all but
//! TOC.txt are renamed to their final names, the directory is fsynced, and
//! TOC.txt is renamed last and the directory fsynced again. An SSTable is
//! whole exactly when its TOC.txt exists: a crash at any point leaves either
//! `tmp-` files or components without a TOC, both of which a loader
//! ignores and removes.

use crate::bloom::{BloomFilter, FilterLayout};
use crate::cardinality::CardinalitySketch;
use crate::checksums::Checksums;
use crate::chunk_writer::ChunkWriter;
use crate::component_file::{io_error, ComponentFile};
use crate::compression::CompressionInfo;
use crate::data_layout::{DataLayout, UNCOMPRESSED_CHUNK_LENGTH};
use crate::data_writer::{DataWriter, PartitionLayout};
use crate::descriptor::{Component, Descriptor};
use crate::error::{Error, Result};
use crate::index_writer::{
    write_index_entry, write_summary_of_samples, DEFAULT_COLUMN_INDEX_SIZE,
    DEFAULT_MIN_INDEX_INTERVAL,
};
use crate::partitioner::Partitioner;
use crate::rows::Partition;
use crate::statistics::{
    CommitLogPosition, Compaction, SerializationHeader, Statistics, Validation,
};
use crate::statistics_writer::serialize_statistics;
use crate::stats_collector::StatsCollector;
use crate::version::{FormatType, Version};
use ilion_vfs::FileSystem;
use std::path::PathBuf;
use std::sync::Arc;

/// The components the writer produces for a compressed table, TOC.txt
/// last (the order they become visible in).
pub const WRITTEN_COMPONENTS: [Component; 9] = written_components(true);

/// The components the writer produces, TOC.txt last: CompressionInfo.db
/// for a compressed table, CRC.db for an uncompressed one.
pub const fn written_components(compressed: bool) -> [Component; 9] {
    components_of(FormatType::Big, compressed)
}

/// [`written_components`] for either format: a BTI table has
/// Partitions.db and Rows.db where a big one has Index.db and Summary.db.
pub const fn components_of(format: FormatType, compressed: bool) -> [Component; 9] {
    let bti = matches!(format, FormatType::Bti);
    [
        Component::Data,
        if compressed {
            Component::CompressionInfo
        } else {
            Component::Crc
        },
        if bti {
            Component::Partitions
        } else {
            Component::Index
        },
        if bti {
            Component::Rows
        } else {
            Component::Summary
        },
        Component::Filter,
        Component::Statistics,
        Component::Digest,
        Component::IlionChecksums,
        Component::Toc,
    ]
}

/// Ilion's default chunk length for Data.db: 4 KiB, where Cassandra uses
/// 16 KiB. Point lookups that miss the chunk cache decompress a quarter as
/// much, twice as fast, for 1.4% larger files (docs/benchmarks.md).
pub const DEFAULT_CHUNK_LENGTH: u32 = 4 << 10;

/// How an SSTable is written.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// The format version: `oa` (default), `nb`, or BTI `da`.
    pub version: Version,
    /// The partitioner that orders the partitions.
    pub partitioner: Partitioner,
    /// Whether Data.db holds LZ4 chunks (with CompressionInfo.db), or the
    /// stream as it is with a CRC per 64 KiB in CRC.db.
    pub compression: bool,
    /// Uncompressed bytes per LZ4 chunk of Data.db (a power of two).
    pub chunk_length: u32,
    /// Bytes of a partition between two row-index entries (Cassandra's
    /// `column_index_size`, 64 KiB).
    pub column_index_size: u64,
    /// Every how many index entries the summary samples one (128).
    pub min_index_interval: usize,
    /// The bloom filter's target false-positive chance (0.01).
    pub bloom_filter_fp_chance: f64,
    /// The number of partitions the bloom filter is sized for.
    pub expected_partitions: u64,
    /// The commitlog positions whose data this SSTable holds (a flush's
    /// range), recorded in Statistics.db.
    pub commit_log_intervals: Vec<(CommitLogPosition, CommitLogPosition)>,
    /// The writing node's host id, recorded in Statistics.db.
    pub originating_host_id: Option<[u8; 16]>,
    /// The leveled-compaction level recorded in Statistics.db.
    pub sstable_level: i32,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            version: Version::OA,
            partitioner: Partitioner::Murmur3,
            compression: true,
            chunk_length: DEFAULT_CHUNK_LENGTH,
            column_index_size: DEFAULT_COLUMN_INDEX_SIZE,
            min_index_interval: DEFAULT_MIN_INDEX_INTERVAL,
            bloom_filter_fp_chance: 0.01,
            expected_partitions: 1024,
            commit_log_intervals: Vec::new(),
            originating_host_id: None,
            sstable_level: 0,
        }
    }
}

/// Writes one SSTable, partition by partition, in partitioner order.
#[derive(Debug)]
pub struct SstableWriter {
    fs: Arc<dyn FileSystem>,
    descriptor: Descriptor,
    options: WriterOptions,
    data_writer: DataWriter,
    data: Option<ChunkWriter>,
    index: Option<ComponentFile>,
    /// Uncompressed bytes not yet making a whole chunk.
    pending_chunk: Vec<u8>,
    stream_length: u64,
    partition_bytes: Vec<u8>,
    layout: PartitionLayout,
    index_bytes: Vec<u8>,
    samples: Vec<(Vec<u8>, u64)>,
    partition_count: usize,
    first_key: Option<Vec<u8>>,
    last_key: Option<Vec<u8>>,
    last_token: i64,
    largest: Option<(Vec<u8>, u64)>,
    filter: BloomFilter,
    sketch: CardinalitySketch,
    stats: StatsCollector,
    finished: bool,
    /// A BTI table's index builders (its `index` file is Partitions.db).
    bti: Option<BtiState>,
}

/// What a BTI writer keeps: the partition index being built, and Rows.db.
#[derive(Debug)]
struct BtiState {
    partitions: crate::bti::index_writer::PartitionIndexBuilder,
    rows: ComponentFile,
    rows_out: crate::bti::trie_writer::TrieOut,
}

impl SstableWriter {
    /// Starts writing the SSTable `descriptor` names (whose version must
    /// equal `options.version`), with rows encoded against `header` (whose
    /// minimum timestamp, deletion time and TTL must not exceed any the
    /// partitions hold, for the deltas to be small; any value works).
    ///
    /// # Errors
    /// I/O errors creating the files; [`Error::Invalid`] for options the
    /// format cannot express or an SSTable that already exists.
    pub fn create(
        fs: Arc<dyn FileSystem>,
        descriptor: Descriptor,
        header: SerializationHeader,
        options: WriterOptions,
    ) -> Result<SstableWriter> {
        if descriptor.version != options.version {
            return Err(Error::invalid(format!(
                "cannot write {} as {}",
                descriptor.version, options.version
            )));
        }
        if !(options.version == Version::OA
            || options.version == Version::NB
            || options.version == Version::DA)
        {
            return Err(Error::invalid(format!(
                "Ilion writes versions oa, nb and da, not {}",
                options.version
            )));
        }
        if options.version.format() == FormatType::Bti && options.partitioner == Partitioner::Random
        {
            // Ilion has no byte-comparable form of RandomPartitioner's
            // tokens checked against Cassandra's.
            return Err(Error::invalid(
                "BTI tables with RandomPartitioner are not supported",
            ));
        }
        if !options.chunk_length.is_power_of_two() || options.chunk_length > 1 << 30 {
            return Err(Error::invalid(format!(
                "chunk length {} is not a power of two up to 1 GiB",
                options.chunk_length
            )));
        }
        if options.column_index_size == 0 || options.min_index_interval == 0 {
            return Err(Error::invalid(
                "column index size and min index interval must be positive",
            ));
        }
        let toc = descriptor.path(Component::Toc);
        if fs.open_readable(&toc).is_ok() {
            return Err(Error::invalid(format!("{} already exists", toc.display())));
        }
        let filter =
            BloomFilter::for_keys(options.expected_partitions, options.bloom_filter_fp_chance)
                .map_err(|e| Error::invalid(e.to_string()))?;
        let data = ChunkWriter::start(
            ComponentFile::create(fs.as_ref(), descriptor.temporary_path(Component::Data))?,
            options.version,
            stream_chunk_length(&options) as usize,
            options.compression,
        )?;
        let format = options.version.format();
        let [_, _, index_component, rows_component, ..] = components_of(format, true);
        let index = ComponentFile::create(fs.as_ref(), descriptor.temporary_path(index_component))?;
        let bti = if format == FormatType::Bti {
            Some(BtiState {
                partitions: crate::bti::index_writer::PartitionIndexBuilder::new(),
                rows: ComponentFile::create(
                    fs.as_ref(),
                    descriptor.temporary_path(rows_component),
                )?,
                rows_out: Default::default(),
            })
        } else {
            None
        };
        let stats = StatsCollector::new(options.version, &header.clustering_types);
        Ok(SstableWriter {
            fs,
            pending_chunk: Vec::with_capacity(stream_chunk_length(&options) as usize),
            descriptor,
            data_writer: DataWriter::new(&header, options.version),
            data: Some(data),
            index: Some(index),
            stream_length: 0,
            partition_bytes: Vec::new(),
            layout: PartitionLayout {
                header_length: 0,
                unfiltereds: Vec::new(),
                length: 0,
            },
            index_bytes: Vec::new(),
            samples: Vec::new(),
            partition_count: 0,
            first_key: None,
            last_key: None,
            last_token: i64::MIN,
            largest: None,
            filter,
            sketch: CardinalitySketch::new(),
            stats,
            options,
            finished: false,
            bti,
        })
    }

    /// The SSTable being written.
    pub fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    /// Partitions appended so far.
    pub fn partition_count(&self) -> usize {
        self.partition_count
    }

    /// Uncompressed Data.db bytes so far.
    pub fn data_length(&self) -> u64 {
        self.stream_length
    }

    /// The largest partition appended so far: its key and its bytes in
    /// the data stream (for large-partition warnings).
    pub fn largest_partition(&self) -> Option<(&[u8], u64)> {
        self.largest
            .as_ref()
            .map(|(key, size)| (key.as_slice(), *size))
    }

    /// Appends a partition, which must sort after the previous one.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a partition out of order or one that does not
    /// fit the header ([`DataWriter::check`]); I/O errors.
    pub fn append(&mut self, partition: &Partition) -> Result<()> {
        // One hash of the key serves the order check, the token and the
        // filter.
        let hash = BloomFilter::hash(&partition.key);
        let token = self.options.partitioner.sort_token(&partition.key, hash);
        if let Some(last) = &self.last_key {
            if (self.last_token, last.as_slice()) >= (token, partition.key.as_slice()) {
                return Err(Error::invalid(
                    "partitions must be appended in partitioner order, each key once",
                ));
            }
        }
        let writer = &self.data_writer;
        writer.check(partition)?;
        self.partition_bytes.clear();
        let layout = &mut self.layout;
        writer.write_partition_into(partition, &mut self.partition_bytes, layout);
        let index = self.index.as_mut().ok_or_else(finished_error)?;
        if let Some(bti) = &mut self.bti {
            append_bti_index(
                bti,
                index,
                partition,
                layout,
                self.stream_length,
                hash,
                &self.options,
                writer.header(),
            )?;
        } else {
            self.index_bytes.clear();
            write_index_entry(
                writer,
                partition,
                layout,
                self.stream_length,
                self.options.column_index_size,
                &mut self.index_bytes,
            );
            if self
                .partition_count
                .is_multiple_of(self.options.min_index_interval)
            {
                self.samples.push((partition.key.clone(), index.position()));
            }
            index.append(&self.index_bytes)?;
        }
        self.stats.add_partition(partition, layout.length);
        self.filter.add_hash(hash);
        self.sketch.offer(&partition.key);
        if self.first_key.is_none() {
            self.first_key = Some(partition.key.clone());
        }
        // Reuse the last key's buffer rather than allocate per partition.
        let last = self.last_key.get_or_insert_with(Vec::new);
        last.clear();
        last.extend_from_slice(&partition.key);
        self.last_token = token;
        self.partition_count += 1;
        if self
            .largest
            .as_ref()
            .is_none_or(|(_, size)| layout.length > *size)
        {
            self.largest = Some((partition.key.clone(), layout.length));
        }
        self.stream_length += layout.length;
        let bytes = std::mem::take(&mut self.partition_bytes);
        let result = self.append_stream(&bytes);
        self.partition_bytes = bytes;
        result
    }

    /// Adds bytes to the data stream, compressing each whole chunk.
    fn append_stream(&mut self, mut bytes: &[u8]) -> Result<()> {
        let chunk_length = stream_chunk_length(&self.options) as usize;
        while !bytes.is_empty() {
            let take = (chunk_length - self.pending_chunk.len()).min(bytes.len());
            self.pending_chunk.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.pending_chunk.len() == chunk_length {
                self.flush_chunk()?;
            }
        }
        Ok(())
    }

    fn flush_chunk(&mut self) -> Result<()> {
        let data = self.data.as_mut().ok_or_else(finished_error)?;
        let chunk = std::mem::replace(&mut self.pending_chunk, data.buffer());
        data.write(chunk)
    }

    /// Writes the remaining components and makes the SSTable visible.
    /// Returns the path of its Data.db.
    ///
    /// # Errors
    /// I/O errors (the temporary files are then removed);
    /// [`Error::Invalid`] when no partition was appended (Cassandra never
    /// writes an empty SSTable).
    pub fn finish(mut self) -> Result<PathBuf> {
        if self.partition_count == 0 {
            return Err(Error::invalid("an SSTable needs at least one partition"));
        }
        if !self.pending_chunk.is_empty() {
            self.flush_chunk()?;
        }
        let version = self.options.version;
        let mut checksums = Checksums::new();
        let data = self.data.take().ok_or_else(finished_error)?.finish()?;
        let digest = data.crc;
        checksums.add(Component::Data, data.length, digest);
        let mut index = self.index.take().ok_or_else(finished_error)?;
        if let Some(bti) = &mut self.bti {
            bti.partitions.finish()?;
            index.append(&bti.partitions.out.take())?;
        }
        let (index_length, index_crc) = index.finish()?;
        let format = version.format();
        let [_, _, index_component, ..] = components_of(format, true);
        checksums.add(index_component, index_length, index_crc);
        if let Some(bti) = self.bti.take() {
            let (rows_length, rows_crc) = bti.rows.finish()?;
            checksums.add(Component::Rows, rows_length, rows_crc);
        }

        let compression_ratio = if self.options.compression {
            let info = CompressionInfo {
                compressor: "LZ4Compressor".to_string(),
                options: Vec::new(),
                chunk_length: self.options.chunk_length,
                max_compressed_length: i32::MAX as u32,
                data_length: self.stream_length,
                chunk_offsets: data.chunk_offsets,
            };
            self.write_component(
                Component::CompressionInfo,
                &info.serialize(version),
                &mut checksums,
            )?;
            data.compressed_bytes as f64 / self.stream_length as f64
        } else {
            let layout = DataLayout::Uncompressed {
                chunk_length: UNCOMPRESSED_CHUNK_LENGTH,
                data_length: self.stream_length,
                crcs: data.chunk_crcs,
            };
            self.write_component(Component::Crc, &layout.serialize_crc(), &mut checksums)?;
            // Cassandra's "no compression" ratio.
            -1.0
        };

        if format == FormatType::Big {
            let mut summary = Vec::new();
            let first = self.first_key.as_deref().unwrap_or_default();
            let last = self.last_key.as_deref().unwrap_or_default();
            write_summary_of_samples(
                &self.samples,
                self.partition_count,
                self.options.min_index_interval,
                Some((first, last)),
                &mut summary,
            );
            self.write_component(Component::Summary, &summary, &mut checksums)?;
        }

        let layout = if version.has_old_bloom_filter_format() {
            FilterLayout::Legacy
        } else {
            FilterLayout::Current
        };
        self.write_component(
            Component::Filter,
            &self.filter.serialize(layout),
            &mut checksums,
        )?;

        let mut stats = self.stats.stats();
        stats.compression_ratio = compression_ratio;
        stats.sstable_level = self.options.sstable_level;
        stats.originating_host_id = self.options.originating_host_id;
        if let (Some(first), Some(last)) = (
            self.options.commit_log_intervals.first(),
            self.options.commit_log_intervals.last(),
        ) {
            stats.commit_log_upper_bound = last.1;
            stats.commit_log_lower_bound = Some(first.0);
        }
        stats.commit_log_intervals = self.options.commit_log_intervals.clone();
        let statistics = Statistics {
            validation: Validation {
                partitioner: self.options.partitioner.class_name().to_string(),
                bloom_filter_fp_chance: self.options.bloom_filter_fp_chance,
            },
            compaction: Compaction {
                cardinality_sketch: self.sketch.to_bytes(),
            },
            stats,
            header: self.data_writer.header().clone(),
        };
        self.write_component(
            Component::Statistics,
            &serialize_statistics(&statistics, version),
            &mut checksums,
        )?;
        self.write_component(
            Component::Digest,
            digest.to_string().as_bytes(),
            &mut checksums,
        )?;

        let components = components_of(format, self.options.compression);
        let mut toc = String::new();
        for c in components
            .iter()
            .filter(|c| **c != Component::IlionChecksums)
        {
            toc.push_str(c.name());
            toc.push('\n');
        }
        self.write_component(Component::Toc, toc.as_bytes(), &mut checksums)?;
        let sidecar = checksums.serialize();
        self.write_component(Component::IlionChecksums, &sidecar, &mut checksums)?;
        // TOC.txt, last in the list, is renamed after the others are
        // durable.
        for c in &components[..components.len() - 1] {
            self.rename(*c)?;
        }
        self.sync_dir()?;
        self.rename(Component::Toc)?;
        self.sync_dir()?;
        self.finished = true;
        Ok(self.descriptor.path(Component::Data))
    }

    /// Writes and fsyncs a whole component, recording its checksum.
    fn write_component(
        &self,
        component: Component,
        bytes: &[u8],
        checksums: &mut Checksums,
    ) -> Result<()> {
        let mut file =
            ComponentFile::create(self.fs.as_ref(), self.descriptor.temporary_path(component))?;
        file.append(bytes)?;
        let (length, crc) = file.finish()?;
        checksums.add(component, length, crc);
        Ok(())
    }

    fn rename(&self, component: Component) -> Result<()> {
        let from = self.descriptor.temporary_path(component);
        self.fs
            .rename(&from, &self.descriptor.path(component))
            .map_err(|e| io_error("rename", &from, e))
    }

    fn sync_dir(&self) -> Result<()> {
        self.fs
            .sync_dir(&self.descriptor.dir)
            .map_err(|e| io_error("fsync directory", &self.descriptor.dir, e))
    }
}

/// Writes a partition's BTI index entries: its row index trie and entry
/// in Rows.db when it spans two or more blocks, and its leaf in the
/// Partitions.db trie (whose finished nodes go to `index` as they come).
#[allow(clippy::too_many_arguments)]
fn append_bti_index(
    bti: &mut BtiState,
    index: &mut ComponentFile,
    partition: &Partition,
    layout: &PartitionLayout,
    position: u64,
    hash: (u64, u64),
    options: &WriterOptions,
    header: &SerializationHeader,
) -> Result<()> {
    use crate::vint::{write_signed_vint, write_unsigned_vint};
    let row_index = crate::bti::index_writer::write_row_index(
        &header.clustering_types,
        partition,
        layout,
        options.column_index_size,
        &mut bti.rows_out,
    )?;
    let entry_at = match row_index {
        Some((root, blocks)) => {
            let out = &mut bti.rows_out;
            let at = out.position();
            let len = u16::try_from(partition.key.len())
                .map_err(|_| Error::invalid("partition key longer than 65535 bytes"))?;
            out.bytes.extend_from_slice(&len.to_be_bytes());
            out.bytes.extend_from_slice(&partition.key);
            let base = out.position();
            write_unsigned_vint(position, &mut out.bytes);
            write_signed_vint(root as i64 - base as i64, &mut out.bytes);
            write_unsigned_vint(blocks, &mut out.bytes);
            let d = &partition.deletion;
            if d.is_live() {
                out.bytes.push(0x80);
            } else {
                out.bytes
                    .extend_from_slice(&d.marked_for_delete_at.to_be_bytes());
                out.bytes
                    .extend_from_slice(&(d.local_deletion_time as u32).to_be_bytes());
            }
            Some(at)
        }
        None => None,
    };
    let rows = &mut bti.rows;
    bti.rows_out.drain_into(|bytes| rows.append(bytes))?;
    let encoded =
        crate::bti::byte_comparable::partition_key(options.partitioner, &partition.key, hash);
    bti.partitions
        .add(&partition.key, encoded, hash.1 as u8, entry_at, position)?;
    bti.partitions.out.drain_into(|bytes| index.append(bytes))
}

/// Stream bytes per Data.db chunk: the LZ4 chunk length, or the CRC chunk
/// of an uncompressed table.
fn stream_chunk_length(options: &WriterOptions) -> u32 {
    if options.compression {
        options.chunk_length
    } else {
        UNCOMPRESSED_CHUNK_LENGTH
    }
}

fn finished_error() -> Error {
    Error::invalid("the writer failed earlier and cannot continue")
}

impl Drop for SstableWriter {
    /// An SSTable abandoned or failed before it was made visible leaves no
    /// files behind (best effort; a loader also removes `tmp-` files).
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        for c in components_of(self.options.version.format(), self.options.compression) {
            let _ = self.fs.remove_file(&self.descriptor.temporary_path(c));
        }
    }
}
