//! `Partitions.db`: the partition index of a BTI SSTable, a trie from the
//! shortest unique prefix of each partition key's byte-comparable form to
//! where the partition is (Cassandra's `PartitionIndex`).
//!
//! The file ends with the first and last keys (u16 length each), then
//! three big-endian u64: where those keys start, the key count, and the
//! root node's position. A leaf's payload is, for payload bits `pb` ≥ 8,
//! the low byte of the key's second Murmur3 hash word then a signed
//! big-endian integer of `pb - 7` bytes (for `pb` < 8, the integer alone,
//! of `pb` bytes): a Rows.db position when ≥ 0, else the bitwise
//! complement of the partition's Data.db position.

use super::trie::{read_sized_signed, Node, Trie, Walk};
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use std::path::Path;

/// The trailer: three u64 after the keys.
const TRAILER: usize = 24;

/// Payload bits from which the payload starts with a hash byte.
const HAS_HASH_BYTE: u8 = 8;

/// Partitions.db's trailer and keys.
#[derive(Debug, Clone)]
pub struct PartitionIndex {
    /// Where the root node is.
    pub root: u64,
    /// How many partitions the SSTable holds.
    pub count: u64,
    /// Its first partition key.
    pub first_key: Vec<u8>,
    /// Its last partition key.
    pub last_key: Vec<u8>,
    /// Where the trie ends (the keys start).
    pub trie_end: u64,
}

/// Where a partition is, as a leaf of the index says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The partition's row-index entry in Rows.db.
    RowIndex(u64),
    /// The partition itself, in the data stream.
    Data(u64),
}

/// One leaf: the key's hash byte when stored, and where it points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaf {
    /// The low byte of the key's second Murmur3 hash word, when stored.
    pub hash_byte: Option<u8>,
    /// Where the partition is.
    pub target: Target,
}

impl PartitionIndex {
    /// Reads the trailer of Partitions.db (`bytes`, the file at `path`).
    ///
    /// # Errors
    /// A file too short, or positions and keys that do not fit it.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<PartitionIndex> {
        let len = bytes.len() as u64;
        if bytes.len() < TRAILER + 4 {
            return Err(Error::corrupt(
                path,
                0,
                "Partitions.db shorter than its trailer",
            ));
        }
        let trailer_at = len - TRAILER as u64;
        let mut c = Cursor::new(bytes, path);
        c.set_position(trailer_at)?;
        let keys_at = c.i64("first key position")? as u64;
        let count = c.i64("key count")?;
        let root = c.i64("root position")? as u64;
        if keys_at >= trailer_at || count < 0 {
            return Err(Error::corrupt(
                path,
                trailer_at,
                format!("keys at {keys_at}, {count} keys"),
            ));
        }
        c.set_position(keys_at)?;
        let first_key = c.bytes_short("first key")?.to_vec();
        let last_key = c.bytes_short("last key")?.to_vec();
        if c.position() != trailer_at {
            return Err(Error::corrupt(
                path,
                keys_at,
                "first and last keys do not end at the trailer",
            ));
        }
        if count > 0 && root >= keys_at {
            return Err(Error::corrupt(
                path,
                trailer_at + 16,
                format!("root at {root}, past the trie's end {keys_at}"),
            ));
        }
        Ok(PartitionIndex {
            root,
            count: count as u64,
            first_key,
            last_key,
            trie_end: keys_at,
        })
    }

    /// The trie part of the file.
    pub fn trie<'a>(&self, bytes: &'a [u8], path: &'a Path) -> Trie<'a> {
        Trie::new(&bytes[..self.trie_end as usize], path)
    }
}

/// Decodes the payload of `node`, a leaf of the partition index.
///
/// # Errors
/// A node without payload, or one running past the file's end.
pub fn leaf(trie: &Trie<'_>, node: &Node) -> Result<Leaf> {
    let flags = node.payload_flags;
    let (hash_byte, at, len) = if flags >= HAS_HASH_BYTE {
        let hash = read_sized_signed(trie, node.payload_position, 1)? as u8;
        (
            Some(hash),
            node.payload_position + 1,
            usize::from(flags - 7),
        )
    } else {
        (None, node.payload_position, usize::from(flags))
    };
    if len == 0 {
        return Err(trie.corrupt(node.position, "partition index node without a position"));
    }
    let value = read_sized_signed(trie, at, len)?;
    let target = if value >= 0 {
        Target::RowIndex(value as u64)
    } else {
        Target::Data(!value as u64)
    };
    Ok(Leaf { hash_byte, target })
}

/// Looks up `key` (its byte-comparable form): the leaf Cassandra would
/// check (whose hash byte matches `hash_byte`), and the walk positioned
/// after it, whose next leaf is the following partition.
///
/// # Errors
/// Corrupt nodes.
pub fn find<'a>(
    trie: Trie<'a>,
    root: u64,
    key: &[u8],
    hash_byte: u8,
) -> Result<Option<(Leaf, Walk<'a>)>> {
    let (walk, found) = Walk::seek(trie, root, key)?;
    let Some(node) = found else {
        return Ok(None);
    };
    let leaf = leaf(&trie, &node)?;
    if leaf.hash_byte.is_some_and(|h| h != hash_byte) {
        return Ok(None);
    }
    Ok(Some((leaf, walk)))
}
