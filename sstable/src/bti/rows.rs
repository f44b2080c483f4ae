//! `Rows.db`: the row indexes of a BTI SSTable's partitions of two or
//! more blocks (Cassandra's `TrieIndexEntry`, `RowIndexReader`).
//!
//! Each partition's index is a trie from block separators (byte-comparable
//! clustering prefixes greater than the previous block's last clustering,
//! at most the block's first) to the block's offset from the partition's
//! start, followed by the entry the partition index points at: the key
//! (u16 length), the partition's data position (unsigned vint), the root
//! node as a signed vint distance from the end of the key, the block count
//! (unsigned vint) and the partition deletion (oa's DeletionTime). A leaf
//! payload is a big-endian offset of `pb & 7` bytes, then, when `pb & 8`,
//! the deletion open at the block's start. The trie's last entry, just
//! above the last clustering, holds the partition's end instead.

use super::trie::{read_sized_unsigned, Trie, Walk};
use crate::cursor::Cursor;
use crate::data_reader::read_deletion_time;
use crate::error::Result;
use crate::reconcile::DeletionTime;
use crate::version::Version;
use std::path::Path;

/// A partition's entry in Rows.db.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIndexEntry {
    /// Where the entry starts (what the partition index points at).
    pub offset: u64,
    /// The partition key.
    pub key: Vec<u8>,
    /// Where the partition starts in the data stream.
    pub data_position: u64,
    /// Where the trie's root is.
    pub root: u64,
    /// How many blocks the index has.
    pub block_count: u64,
    /// The partition deletion.
    pub deletion: DeletionTime,
}

/// One block of a row index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Its separator: every clustering of earlier blocks sorts below it,
    /// the block's first one at or above it.
    pub separator: Vec<u8>,
    /// Where the block starts, from the partition's start.
    pub offset: u64,
    /// The range deletion open at the block's start.
    pub open_marker: Option<DeletionTime>,
}

/// The key and data position of the entry at `offset`, without the rest.
///
/// # Errors
/// An entry outside the file or cut short.
pub fn key_and_position<'a>(
    bytes: &'a [u8],
    offset: u64,
    path: &'a Path,
) -> Result<(&'a [u8], u64)> {
    let mut c = Cursor::new(bytes, path);
    c.set_position(offset)?;
    let key = c.bytes_short("row index key")?;
    let position = c.vint("partition position")?;
    Ok((key, position))
}

/// Reads the entry at `offset`.
///
/// # Errors
/// An entry outside the file or cut short, a root outside the file.
pub fn entry(bytes: &[u8], offset: u64, version: Version, path: &Path) -> Result<RowIndexEntry> {
    let mut c = Cursor::new(bytes, path);
    c.set_position(offset)?;
    let key = c.bytes_short("row index key")?.to_vec();
    let base = c.position();
    let data_position = c.vint("partition position")?;
    let zigzag = c.vint("row index root")?;
    let delta = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
    let root = base as i64 + delta;
    if root < 0 || root as u64 >= offset {
        return Err(c.corrupt_at(base, format!("row index root {root} not before its entry")));
    }
    let block_count = c.vint("row index block count")?;
    let deletion = read_deletion_time(&mut c, version)?;
    Ok(RowIndexEntry {
        offset,
        key,
        data_position,
        root: root as u64,
        block_count,
        deletion,
    })
}

/// The blocks of the row index of `entry`, and the partition's end (from
/// its start), in order.
///
/// # Errors
/// Corrupt nodes or payloads, offsets out of order.
pub fn blocks(
    trie: Trie<'_>,
    entry: &RowIndexEntry,
    version: Version,
    path: &Path,
) -> Result<(Vec<Block>, u64)> {
    let (mut walk, first) = Walk::seek(trie, entry.root, &[])?;
    let mut blocks: Vec<Block> = Vec::new();
    let mut node = first;
    while let Some(n) = node {
        let flags = n.payload_flags;
        let len = usize::from(flags & 7);
        let offset = read_sized_unsigned(&trie, n.payload_position, len)?;
        let open_marker = if flags & 8 != 0 {
            let mut c = Cursor::new(trie.bytes(), path);
            c.set_position(n.payload_position + len as u64)?;
            Some(read_deletion_time(&mut c, version)?)
        } else {
            None
        };
        if blocks.last().is_some_and(|b| b.offset >= offset) {
            return Err(trie.corrupt(n.position, "row index offsets out of order"));
        }
        // Checked above: every block has a distinct offset, so the count
        // is bounded by the file.
        blocks.push(Block {
            separator: walk.path().to_vec(),
            offset,
            open_marker,
        });
        node = walk.next_payload()?;
    }
    let Some(end) = blocks.pop() else {
        return Err(trie.corrupt(entry.root, "empty row index"));
    };
    if blocks.is_empty() {
        return Err(trie.corrupt(entry.root, "row index without blocks"));
    }
    Ok((blocks, end.offset))
}
