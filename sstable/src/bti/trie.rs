//! Decoding the nodes of an on-disk BTI trie (Cassandra's `TrieNode`) and
//! walking it in order (`Walker`, `ValueIterator`).
//!
//! Every node starts with a byte of 4 type bits and 4 payload bits; child
//! pointers are distances back from the node (tries are written bottom
//! up, so a child always lies before its parent). The walk checks each
//! node lies inside the file and each child strictly before its parent,
//! so that no damaged pointer can loop; it also bounds the number of nodes
//! one walk visits by the file's size, so that pointers shared between
//! parents cannot make a walk run for ever.

use crate::error::{Error, Result};
use std::path::Path;

/// How a node's child pointers are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// No children.
    Leaf,
    /// One child, transition byte at `byte_at`, pointer of `bits` bits at
    /// `pointer_at` (4 and 12 bits: in the type byte and following byte).
    Single { byte_at: usize, bits: u8 },
    /// `count` transition bytes then `count` pointers.
    Sparse { count: usize, bits: u8 },
    /// Pointers for every byte from `start` to `start + count - 1`; a zero
    /// pointer is no child.
    Dense { start: u8, count: usize, bits: u8 },
}

/// One decoded node.
#[derive(Debug, Clone, Copy)]
pub struct Node {
    /// Where the node starts in the file.
    pub position: u64,
    /// The 4 payload bits (0: no payload).
    pub payload_flags: u8,
    /// Where the payload starts (just after the node).
    pub payload_position: u64,
    layout: Layout,
}

/// A trie file (or the trie part of one) in memory.
#[derive(Debug, Clone, Copy)]
pub struct Trie<'a> {
    bytes: &'a [u8],
    path: &'a Path,
}

/// Bytes the 12-bit pointers of `count` children take.
fn twelve_bit_bytes(count: usize) -> usize {
    (count * 3).div_ceil(2)
}

impl<'a> Trie<'a> {
    /// The trie in `bytes`, the contents of the file at `path`.
    pub fn new(bytes: &'a [u8], path: &'a Path) -> Trie<'a> {
        Trie { bytes, path }
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// A corruption error at `offset`.
    pub fn corrupt(&self, offset: u64, reason: impl Into<String>) -> Error {
        Error::corrupt(self.path, offset, reason)
    }

    fn byte(&self, at: usize, node: u64) -> Result<u8> {
        self.bytes
            .get(at)
            .copied()
            .ok_or_else(|| self.corrupt(node, "trie node runs past the end of the file"))
    }

    /// Decodes the node at `position`.
    ///
    /// # Errors
    /// A position outside the file, or a node that runs past its end.
    pub fn node(&self, position: u64) -> Result<Node> {
        let p = usize::try_from(position)
            .ok()
            .filter(|&p| p < self.bytes.len())
            .ok_or_else(|| self.corrupt(position, "trie pointer outside the file"))?;
        let head = self.bytes[p];
        let flags = head & 0x0F;
        let (layout, size, payload_flags) = match head >> 4 {
            0 => (Layout::Leaf, 1, flags),
            1 => (
                Layout::Single {
                    byte_at: 1,
                    bits: 4,
                },
                2,
                0,
            ),
            2 => (
                Layout::Single {
                    byte_at: 1,
                    bits: 8,
                },
                3,
                flags,
            ),
            3 => (
                Layout::Single {
                    byte_at: 2,
                    bits: 12,
                },
                3,
                0,
            ),
            4 => (
                Layout::Single {
                    byte_at: 1,
                    bits: 16,
                },
                4,
                flags,
            ),
            kind @ 5..=9 => {
                let bits = [8, 12, 16, 24, 40][usize::from(kind - 5)];
                let count = usize::from(self.byte(p + 1, position)?);
                if count == 0 {
                    return Err(self.corrupt(position, "sparse trie node without children"));
                }
                let pointers = if bits == 12 {
                    twelve_bit_bytes(count)
                } else {
                    count * usize::from(bits / 8)
                };
                (Layout::Sparse { count, bits }, 2 + count + pointers, flags)
            }
            kind => {
                let bits = [12, 16, 24, 32, 40, 64][usize::from(kind - 10)];
                let start = self.byte(p + 1, position)?;
                let count = usize::from(self.byte(p + 2, position)?) + 1;
                if usize::from(start) + count > 256 {
                    return Err(self.corrupt(position, "dense trie node past byte 255"));
                }
                let pointers = if bits == 12 {
                    twelve_bit_bytes(count)
                } else {
                    count * usize::from(bits / 8)
                };
                (Layout::Dense { start, count, bits }, 3 + pointers, flags)
            }
        };
        if p + size > self.bytes.len() {
            return Err(self.corrupt(position, "trie node runs past the end of the file"));
        }
        Ok(Node {
            position,
            payload_flags,
            payload_position: position + size as u64,
            layout,
        })
    }

    /// How many child slots the node has (dense nodes may leave some
    /// empty).
    pub fn transition_count(&self, node: &Node) -> usize {
        match node.layout {
            Layout::Leaf => 0,
            Layout::Single { .. } => 1,
            Layout::Sparse { count, .. } | Layout::Dense { count, .. } => count,
        }
    }

    /// The transition byte of child slot `i`.
    pub fn transition_byte(&self, node: &Node, i: usize) -> u8 {
        let p = node.position as usize;
        match node.layout {
            Layout::Leaf => 0,
            Layout::Single { byte_at, .. } => self.bytes[p + byte_at],
            Layout::Sparse { .. } => self.bytes[p + 2 + i],
            Layout::Dense { start, .. } => start.wrapping_add(i as u8),
        }
    }

    /// Reads a pointer of `bits` bits, number `i` of those at `base`.
    fn pointer(&self, base: usize, i: usize, bits: u8) -> u64 {
        if bits == 12 {
            let at = base + i * 3 / 2;
            let word = u16::from_be_bytes([self.bytes[at], self.bytes[at + 1]]);
            let word = if i.is_multiple_of(2) { word >> 4 } else { word };
            return u64::from(word & 0xFFF);
        }
        let n = usize::from(bits / 8);
        let at = base + i * n;
        self.bytes[at..at + n]
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    }

    /// Where child slot `i` leads, or `None` for an empty dense slot.
    ///
    /// # Errors
    /// A pointer that does not lead strictly before the node.
    pub fn child(&self, node: &Node, i: usize) -> Result<Option<u64>> {
        let p = node.position as usize;
        let distance = match node.layout {
            Layout::Leaf => return Ok(None),
            Layout::Single { bits: 4, .. } => u64::from(self.bytes[p] & 0x0F),
            Layout::Single { bits: 12, .. } => {
                u64::from(self.bytes[p] & 0x0F) << 8 | u64::from(self.bytes[p + 1])
            }
            Layout::Single { bits, .. } => self.pointer(p + 2, 0, bits),
            Layout::Sparse { count, bits } => self.pointer(p + 2 + count, i, bits),
            Layout::Dense { bits, .. } => {
                let d = self.pointer(p + 3, i, bits);
                if d == 0 {
                    return Ok(None);
                }
                d
            }
        };
        if distance == 0 || distance > node.position {
            return Err(self.corrupt(
                node.position,
                format!("trie pointer back by {distance} from {}", node.position),
            ));
        }
        Ok(Some(node.position - distance))
    }

    /// The child slot for byte `b`: `Ok(slot)` when the node has that
    /// transition, else `Err(slot)` of the first greater transition.
    pub fn search(&self, node: &Node, b: u8) -> std::result::Result<usize, usize> {
        let p = node.position as usize;
        match node.layout {
            Layout::Leaf => Err(0),
            Layout::Single { byte_at, .. } => {
                let c = self.bytes[p + byte_at];
                match b.cmp(&c) {
                    std::cmp::Ordering::Equal => Ok(0),
                    std::cmp::Ordering::Less => Err(0),
                    std::cmp::Ordering::Greater => Err(1),
                }
            }
            Layout::Sparse { count, .. } => self.bytes[p + 2..p + 2 + count].binary_search(&b),
            Layout::Dense { start, count, .. } => {
                if b < start {
                    return Err(0);
                }
                let i = usize::from(b - start);
                if i >= count {
                    Err(count)
                } else {
                    // An empty slot: the walk skips it like a missing one.
                    Ok(i)
                }
            }
        }
    }
}

/// Nodes deeper than this are taken for corruption (keys are at most
/// 64 KiB; their byte-comparable forms at most about twice that).
const MAX_DEPTH: usize = 1 << 18;

struct Frame {
    node: Node,
    next: usize,
}

/// A walk over the payload-carrying nodes of a trie, in byte order,
/// from a starting key on.
pub struct Walk<'a> {
    trie: Trie<'a>,
    stack: Vec<Frame>,
    /// The transition bytes from the root to the top frame's node.
    path: Vec<u8>,
    /// Nodes decoded so far, bounded by the file size.
    visits: u64,
}

impl<'a> Walk<'a> {
    fn visit(&mut self, position: u64) -> Result<Node> {
        self.visits += 1;
        if self.visits > self.trie.bytes.len() as u64 + 1 || self.stack.len() > MAX_DEPTH {
            return Err(self.trie.corrupt(
                position,
                "trie walk visits more nodes than the file holds (shared or cyclic pointers)",
            ));
        }
        self.trie.node(position)
    }

    /// Starts a walk at `root` positioned at `key`: it returns the node
    /// where the descent ended when that node has a payload and its path
    /// is `key` itself or a prefix of it ending at a leaf (the candidate
    /// Cassandra's exact lookups check), and [`Walk::next_payload`] then gives
    /// every later payload, in order: the entries greater than `key`.
    ///
    /// # Errors
    /// Corrupt nodes on the way.
    pub fn seek(trie: Trie<'a>, root: u64, key: &[u8]) -> Result<(Walk<'a>, Option<Node>)> {
        let mut walk = Walk {
            trie,
            stack: Vec::new(),
            path: Vec::new(),
            visits: 0,
        };
        let mut position = root;
        let mut depth = 0;
        loop {
            let node = walk.visit(position)?;
            let Some(&b) = key.get(depth) else {
                walk.stack.push(Frame { node, next: 0 });
                let found = (node.payload_flags != 0).then_some(node);
                return Ok((walk, found));
            };
            match trie.search(&node, b) {
                Ok(i) => match trie.child(&node, i)? {
                    Some(child) => {
                        walk.stack.push(Frame { node, next: i + 1 });
                        walk.path.push(b);
                        position = child;
                        depth += 1;
                    }
                    None => {
                        walk.stack.push(Frame { node, next: i + 1 });
                        return Ok((walk, None));
                    }
                },
                Err(i) => {
                    let leaf = trie.transition_count(&node) == 0;
                    walk.stack.push(Frame { node, next: i });
                    let found = (leaf && node.payload_flags != 0).then_some(node);
                    return Ok((walk, found));
                }
            }
        }
    }

    /// The transition bytes leading to the node [`Walk::next_payload`] (or
    /// [`Walk::seek`]) returned last.
    pub fn path(&self) -> &[u8] {
        &self.path
    }

    /// The next node with a payload, in order.
    ///
    /// # Errors
    /// Corrupt nodes on the way.
    pub fn next_payload(&mut self) -> Result<Option<Node>> {
        loop {
            let Some(top) = self.stack.last_mut() else {
                return Ok(None);
            };
            let node = top.node;
            if top.next >= self.trie.transition_count(&node) {
                self.stack.pop();
                self.path.truncate(self.stack.len().saturating_sub(1));
                continue;
            }
            let i = top.next;
            top.next += 1;
            let Some(child) = self.trie.child(&node, i)? else {
                continue;
            };
            let b = self.trie.transition_byte(&node, i);
            let child = self.visit(child)?;
            self.path.truncate(self.stack.len() - 1);
            self.path.push(b);
            self.stack.push(Frame {
                node: child,
                next: 0,
            });
            if child.payload_flags != 0 {
                return Ok(Some(child));
            }
        }
    }
}

/// Reads a big-endian signed integer of `len` bytes (1 to 8) at `at`.
///
/// # Errors
/// Bytes past the end of the file.
pub fn read_sized_signed(trie: &Trie<'_>, at: u64, len: usize) -> Result<i64> {
    let bytes = usize::try_from(at)
        .ok()
        .and_then(|a| trie.bytes().get(a..a.checked_add(len)?))
        .ok_or_else(|| trie.corrupt(at, "trie payload runs past the end of the file"))?;
    let first = bytes.first().copied().unwrap_or(0);
    let init: i64 = if first & 0x80 != 0 { -1 } else { 0 };
    Ok(bytes.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
}

/// Reads a big-endian unsigned integer of `len` bytes (0 to 8) at `at`.
///
/// # Errors
/// Bytes past the end of the file.
pub fn read_sized_unsigned(trie: &Trie<'_>, at: u64, len: usize) -> Result<u64> {
    let bytes = usize::try_from(at)
        .ok()
        .and_then(|a| trie.bytes().get(a..a.checked_add(len)?))
        .ok_or_else(|| trie.corrupt(at, "trie payload runs past the end of the file"))?;
    Ok(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}
