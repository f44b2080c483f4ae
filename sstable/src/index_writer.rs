//! Writing Index.db entries and Summary.db, as Cassandra's big-format
//! writer does: a row index for partitions that span two or more blocks of
//! `column_index_size` bytes, every `min_index_interval`-th entry sampled.

use crate::clustering::{ClusteringBound, PrefixKind};
use crate::data_writer::{DataWriter, PartitionLayout};
use crate::reconcile::DeletionTime;
use crate::rows::{Partition, Unfiltered};
use crate::vint::{write_signed_vint, write_unsigned_vint};

/// Cassandra's default index block size, 64 KiB.
pub const DEFAULT_COLUMN_INDEX_SIZE: u64 = 64 << 10;

/// Cassandra's default summary sampling interval.
pub const DEFAULT_MIN_INDEX_INTERVAL: usize = 128;

/// Writes the Index.db entry of one partition written at `position` in the
/// data stream, with blocks of `column_index_size` bytes.
pub fn write_index_entry(
    writer: &DataWriter,
    partition: &Partition,
    layout: &PartitionLayout,
    position: u64,
    column_index_size: u64,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(&(partition.key.len() as u16).to_be_bytes());
    out.extend_from_slice(&partition.key);
    write_unsigned_vint(position, out);
    // A partition shorter than a block has one block: no row index.
    if layout.length < column_index_size {
        write_unsigned_vint(0, out);
        return;
    }
    let blocks = blocks(partition, layout, column_index_size);
    if blocks.len() < 2 {
        write_unsigned_vint(0, out);
        return;
    }
    let mut rest = Vec::new();
    write_unsigned_vint(layout.header_length, &mut rest);
    writer.write_deletion_time(&partition.deletion, &mut rest);
    write_unsigned_vint(blocks.len() as u64, &mut rest);
    let mut offsets = Vec::with_capacity(blocks.len());
    let first_info = rest.len();
    for block in &blocks {
        offsets.push((rest.len() - first_info) as u32);
        write_name(writer, &block.first, &mut rest);
        write_name(writer, &block.last, &mut rest);
        write_unsigned_vint(block.offset, &mut rest);
        write_signed_vint(block.width as i64 - 65536, &mut rest);
        match &block.open_marker {
            Some(deletion) => {
                rest.push(1);
                writer.write_deletion_time(deletion, &mut rest);
            }
            None => rest.push(0),
        }
    }
    for offset in offsets {
        rest.extend_from_slice(&offset.to_be_bytes());
    }
    write_unsigned_vint(rest.len() as u64, out);
    out.extend_from_slice(&rest);
}

struct Block {
    first: ClusteringBound,
    last: ClusteringBound,
    offset: u64,
    width: u64,
    open_marker: Option<DeletionTime>,
}

fn name_of(unfiltered: &Unfiltered) -> ClusteringBound {
    match unfiltered {
        Unfiltered::Row(row) => ClusteringBound {
            kind: PrefixKind::Clustering,
            values: row.clustering.clone(),
        },
        Unfiltered::Marker(marker) => marker.bound.clone(),
    }
}

/// Cassandra's blocking: a block closes as soon as it reaches
/// `column_index_size` bytes; the last one also takes the end-of-partition
/// byte.
fn blocks(partition: &Partition, layout: &PartitionLayout, column_index_size: u64) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open_marker = None;
    let mut current: Option<(usize, u64)> = None;
    for (i, (unfiltered, &(start, end))) in partition
        .unfiltereds
        .iter()
        .zip(&layout.unfiltereds)
        .enumerate()
    {
        let (first, block_start) = *current.get_or_insert((i, start));
        if let Unfiltered::Marker(marker) = unfiltered {
            open_marker = match marker.bound.kind {
                PrefixKind::InclStartBound
                | PrefixKind::ExclStartBound
                | PrefixKind::ExclEndInclStartBoundary
                | PrefixKind::InclEndExclStartBoundary => marker.start_deletion,
                _ => None,
            };
        }
        if end - block_start >= column_index_size {
            blocks.push(Block {
                first: name_of(&partition.unfiltereds[first]),
                last: name_of(unfiltered),
                offset: block_start,
                width: end - block_start,
                open_marker,
            });
            current = None;
        }
    }
    if let Some((first, block_start)) = current {
        if let Some(last) = partition.unfiltereds.last() {
            blocks.push(Block {
                first: name_of(&partition.unfiltereds[first]),
                last: name_of(last),
                offset: block_start,
                width: layout.length - block_start,
                open_marker,
            });
        }
    }
    blocks
}

/// An index name: a row's clustering (kind byte 4, then its values) or a
/// bound.
fn write_name(writer: &DataWriter, name: &ClusteringBound, out: &mut Vec<u8>) {
    if name.kind == PrefixKind::Clustering {
        out.push(PrefixKind::Clustering as u8);
        writer.write_clustering_values(&name.values, out);
    } else {
        writer.write_bound(name, out);
    }
}

/// Writes Summary.db for Index.db entries given as `(key, position in
/// Index.db)`, sampling every `min_index_interval`-th at full sampling.
pub fn write_summary(entries: &[(Vec<u8>, u64)], min_index_interval: usize, out: &mut Vec<u8>) {
    let interval = min_index_interval.max(1);
    let sampled: Vec<(Vec<u8>, u64)> = entries.iter().step_by(interval).cloned().collect();
    let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
        return write_summary_of_samples(&sampled, 0, interval, None, out);
    };
    write_summary_of_samples(
        &sampled,
        entries.len(),
        interval,
        Some((&first.0, &last.0)),
        out,
    );
}

/// Writes Summary.db from the samples already taken (every
/// `min_index_interval`-th of `entry_count` Index.db entries) and the first
/// and last keys: what a streaming writer keeps.
pub fn write_summary_of_samples(
    sampled: &[(Vec<u8>, u64)],
    entry_count: usize,
    min_index_interval: usize,
    first_last: Option<(&[u8], &[u8])>,
    out: &mut Vec<u8>,
) {
    let interval = min_index_interval.max(1);
    let offsets_len = sampled.len() * 4;
    let entries_len: usize = sampled.iter().map(|(k, _)| k.len() + 8).sum();
    out.extend_from_slice(&(interval as i32).to_be_bytes());
    out.extend_from_slice(&(sampled.len() as i32).to_be_bytes());
    out.extend_from_slice(&((offsets_len + entries_len) as i64).to_be_bytes());
    out.extend_from_slice(&128i32.to_be_bytes());
    out.extend_from_slice(&(entry_count.div_ceil(interval) as i32).to_be_bytes());
    let mut offset = offsets_len;
    for (key, _) in sampled {
        out.extend_from_slice(&(offset as u32).to_le_bytes());
        offset += key.len() + 8;
    }
    for (key, position) in sampled {
        out.extend_from_slice(key);
        out.extend_from_slice(&position.to_le_bytes());
    }
    if let Some((first, last)) = first_last {
        for key in [first, last] {
            out.extend_from_slice(&(key.len() as i32).to_be_bytes());
            out.extend_from_slice(key);
        }
    }
}
