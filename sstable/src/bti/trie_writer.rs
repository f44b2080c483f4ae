//! Writing on-disk tries from sorted keys, as Cassandra's page-aware
//! incremental writer does (`IncrementalTrieWriterPageAware`), so that the
//! nodes land at the same places and take the same types: a completed node
//! is held back until its branch outgrows a 4 KiB page; then its children's
//! branches are laid out, the largest that fits the page's rest first,
//! each whole within one page.
//!
//! Nodes are written bottom up (children before their parent) and point
//! at their children by distance back; each node takes the smallest type
//! that can address its farthest child (see [`super::trie`] for the
//! layouts). Completed nodes are dropped from memory as soon as their
//! parent is written, so memory follows the depth of the keys, not their
//! number.

use crate::error::{Error, Result};

/// The page the writer packs branches into.
pub const PAGE_SIZE: u64 = 4096;

/// Bytes being written to a trie file, with the file position they start
/// at (the caller moves them to the file between additions).
#[derive(Debug, Default)]
pub struct TrieOut {
    /// Bytes not yet moved to the file.
    pub bytes: Vec<u8>,
    flushed: u64,
}

impl TrieOut {
    /// The position in the file the next byte goes to.
    pub fn position(&self) -> u64 {
        self.flushed + self.bytes.len() as u64
    }

    /// Takes the pending bytes (to append them to the file).
    pub fn take(&mut self) -> Vec<u8> {
        let bytes = std::mem::take(&mut self.bytes);
        self.flushed += bytes.len() as u64;
        bytes
    }

    /// Hands the pending bytes to `sink` (which appends them to the
    /// file), keeping the buffer for the next ones.
    ///
    /// # Errors
    /// The sink's.
    pub fn drain_into(&mut self, sink: impl FnOnce(&[u8]) -> Result<()>) -> Result<()> {
        if self.bytes.is_empty() {
            return Ok(());
        }
        sink(&self.bytes)?;
        self.flushed += self.bytes.len() as u64;
        self.bytes.clear();
        Ok(())
    }

    fn bytes_left_in_page(&self) -> u64 {
        PAGE_SIZE - self.position() % PAGE_SIZE
    }

    fn pad_to_page_boundary(&mut self) {
        let used = self.position() % PAGE_SIZE;
        if used != 0 {
            let new_len = self.bytes.len() + (PAGE_SIZE - used) as usize;
            self.bytes.resize(new_len, 0);
        }
    }
}

/// What a trie node carries: 4 flag bits in the node's first byte and
/// bytes after the node.
pub trait TriePayload {
    /// The 4 payload bits (never 0 for a payload).
    fn flags(&self) -> u8;
    /// Bytes written after the node.
    fn size(&self) -> usize;
    /// Writes those bytes.
    fn write(&self, out: &mut Vec<u8>);
}

/// The node types, with Cassandra's ordinals (`TrieNode.Types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    PayloadOnly,
    SingleNoPayload4,
    Single8,
    SingleNoPayload12,
    Single16,
    Sparse8,
    Sparse12,
    Sparse16,
    Sparse24,
    Sparse40,
    Dense12,
    Dense16,
    Dense24,
    Dense32,
    Dense40,
    DenseLong,
}

use Kind::*;

/// By pointer size: the single-child, sparse and dense type used.
const SINGLES: [Kind; 8] = [
    SingleNoPayload4,
    Single8,
    SingleNoPayload12,
    Single16,
    Dense24,
    Dense32,
    Dense40,
    DenseLong,
];
const SPARSES: [Kind; 8] = [
    Sparse8, Sparse8, Sparse12, Sparse16, Sparse24, Sparse40, Sparse40, DenseLong,
];
const DENSES: [Kind; 8] = [
    Dense12, Dense12, Dense12, Dense16, Dense24, Dense32, Dense40, DenseLong,
];

impl Kind {
    fn ordinal(self) -> u8 {
        self as u8
    }

    /// Pointer bits (0: none).
    fn bits(self) -> u32 {
        match self {
            PayloadOnly => 0,
            SingleNoPayload4 => 4,
            Single8 | Sparse8 => 8,
            SingleNoPayload12 | Sparse12 | Dense12 => 12,
            Single16 | Sparse16 | Dense16 => 16,
            Sparse24 | Dense24 => 24,
            Dense32 => 32,
            Sparse40 | Dense40 => 40,
            DenseLong => 64,
        }
    }

    /// Whether a pointer distance fits (the single types' rule, which
    /// picks the size class).
    fn fits(self, distance: u64) -> bool {
        match self.bits() {
            64 => true,
            bits => distance < 1 << bits,
        }
    }

    fn is_sparse(self) -> bool {
        matches!(self, Sparse8 | Sparse12 | Sparse16 | Sparse24 | Sparse40)
    }

    fn is_dense(self) -> bool {
        matches!(
            self,
            Dense12 | Dense16 | Dense24 | Dense32 | Dense40 | DenseLong
        )
    }

    /// Bytes of a node of this type with `c` children whose transition
    /// bytes run from `first` to `last`.
    fn size(self, c: u64, first: u8, last: u8) -> u64 {
        let bits = u64::from(self.bits());
        match self {
            PayloadOnly => 1,
            SingleNoPayload4 => 2,
            SingleNoPayload12 => 3,
            Single8 | Single16 => 2 + bits / 8,
            _ if self.is_sparse() => {
                if bits == 12 {
                    2 + (c * 5).div_ceil(2)
                } else {
                    2 + c * (1 + bits / 8)
                }
            }
            _ => {
                let span = u64::from(last.saturating_sub(first)) + 1;
                if bits == 12 {
                    3 + (span * 3).div_ceil(2)
                } else {
                    3 + span * (bits / 8)
                }
            }
        }
    }
}

const UNSET: i64 = -1;

#[derive(Debug)]
struct WNode<P> {
    transition: u8,
    children: Vec<u32>,
    payload: Option<P>,
    file_pos: i64,
    branch_size: i64,
    node_size: i64,
    out_of_page_in_branch: bool,
    out_of_page_children: bool,
}

/// An incremental, page-aware trie writer.
#[derive(Debug)]
pub struct TrieWriter<P> {
    nodes: Vec<WNode<P>>,
    free: Vec<u32>,
    stack: Vec<u32>,
    prev: Option<Vec<u8>>,
    count: u64,
}

/// A node's child count and first and last transition bytes.
type Shape = (u64, u8, u8);

impl<P: TriePayload> Default for TrieWriter<P> {
    fn default() -> Self {
        Self::new()
    }
}

fn internal(what: &str) -> Error {
    Error::invalid(format!("trie writer: {what}"))
}

impl<P: TriePayload> TrieWriter<P> {
    /// An empty trie.
    pub fn new() -> Self {
        let mut w = TrieWriter {
            nodes: Vec::new(),
            free: Vec::new(),
            stack: Vec::new(),
            prev: None,
            count: 0,
        };
        w.reset();
        w
    }

    /// Empties it for a new trie (one per partition's row index).
    pub fn reset(&mut self) {
        self.nodes.clear();
        self.free.clear();
        self.stack.clear();
        self.prev = None;
        self.count = 0;
        let root = self.new_node(0);
        self.stack.push(root);
    }

    /// Keys added.
    pub fn count(&self) -> u64 {
        self.count
    }

    fn new_node(&mut self, transition: u8) -> u32 {
        let node = WNode {
            transition,
            children: Vec::new(),
            payload: None,
            file_pos: UNSET,
            branch_size: UNSET,
            node_size: UNSET,
            out_of_page_in_branch: false,
            out_of_page_children: true,
        };
        match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        }
    }

    fn n(&self, i: u32) -> &WNode<P> {
        &self.nodes[i as usize]
    }

    fn m(&mut self, i: u32) -> &mut WNode<P> {
        &mut self.nodes[i as usize]
    }

    /// Adds `key` (greater than every key added before) with `payload`.
    ///
    /// # Errors
    /// Keys out of order or repeated; I/O-free otherwise.
    pub fn add(&mut self, key: &[u8], payload: P, out: &mut TrieOut) -> Result<()> {
        let mut common = 0;
        if let Some(prev) = &self.prev {
            common = prev.iter().zip(key).take_while(|(a, b)| a == b).count();
            // Past the common prefix the new key must be greater: a longer
            // key after its own prefix, or a greater byte.
            let greater = match (prev.get(common), key.get(common)) {
                (None, Some(_)) => true,
                (Some(p), Some(k)) => k > p,
                _ => false,
            };
            if !greater {
                return Err(internal("keys must be added in increasing order"));
            }
        }
        self.count += 1;
        while self.stack.len() > common + 1 {
            self.complete_last(out)?;
        }
        let mut node = *self.stack.last().ok_or_else(|| internal("empty stack"))?;
        for &b in &key[common..] {
            let child = self.new_node(b);
            self.m(node).children.push(child);
            self.stack.push(child);
            node = child;
        }
        if self.m(node).payload.replace(payload).is_some() {
            return Err(internal("a key was added twice"));
        }
        let prev = self.prev.get_or_insert_with(Vec::new);
        prev.clear();
        prev.extend_from_slice(key);
        Ok(())
    }

    fn complete_last(&mut self, out: &mut TrieOut) -> Result<u32> {
        let node = self.stack.pop().ok_or_else(|| internal("empty stack"))?;
        self.complete_node(node, out)?;
        Ok(node)
    }

    fn complete_node(&mut self, node: u32, out: &mut TrieOut) -> Result<()> {
        let branch: i64 = self
            .n(node)
            .children
            .iter()
            .map(|&c| self.n(c).branch_size + self.n(c).node_size)
            .sum();
        self.m(node).branch_size = branch;
        let node_size = self.sizeof_node(node, out.position())?;
        if node_size + branch < PAGE_SIZE as i64 {
            let (mut children_out, mut branch_out) = (false, false);
            for &c in &self.n(node).children {
                let child = self.n(c);
                if child.file_pos != UNSET {
                    children_out = true;
                } else if child.out_of_page_children || child.out_of_page_in_branch {
                    branch_out = true;
                }
            }
            let n = self.m(node);
            n.node_size = node_size;
            n.out_of_page_children = children_out;
            n.out_of_page_in_branch = branch_out;
            return Ok(());
        }
        self.layout_children(node, out)
    }

    /// The order in which unplaced children are picked: by branch size,
    /// then by transition byte.
    fn order_key(&self, c: u32) -> (i64, u16) {
        let n = self.n(c);
        (n.branch_size + n.node_size, u16::from(n.transition))
    }

    fn layout_children(&mut self, node: u32, out: &mut TrieOut) -> Result<()> {
        let mut unplaced: Vec<(i64, u16, u32)> = self
            .n(node)
            .children
            .iter()
            .filter(|&&c| self.n(c).file_pos == UNSET)
            .map(|&c| {
                let (size, t) = self.order_key(c);
                (size, t, c)
            })
            .collect();
        let mut bytes_left = out.bytes_left_in_page() as i64;
        while !unplaced.is_empty() {
            // The biggest branch that fits the page's rest, else (after
            // padding to a new page) the biggest.
            let fitting = unplaced
                .iter()
                .enumerate()
                .filter(|(_, e)| e.0 <= bytes_left)
                .max_by_key(|(_, e)| (e.0, e.1))
                .map(|(i, _)| i);
            let at = match fitting {
                Some(i) => i,
                None => {
                    out.pad_to_page_boundary();
                    bytes_left = PAGE_SIZE as i64;
                    unplaced
                        .iter()
                        .enumerate()
                        .max_by_key(|(_, e)| (e.0, e.1))
                        .map(|(i, _)| i)
                        .ok_or_else(|| internal("no child"))?
                }
            };
            let (_, _, child) = unplaced.swap_remove(at);
            let c = self.n(child);
            if c.out_of_page_children || c.out_of_page_in_branch {
                let actual = self.recalc_total_size(child, out.position())?;
                if actual > bytes_left {
                    if bytes_left == PAGE_SIZE as i64 {
                        // Not even a page holds it: lay out its own
                        // children first.
                        self.layout_children(child, out)?;
                        bytes_left = out.bytes_left_in_page() as i64;
                    }
                    let (size, t) = self.order_key(child);
                    unplaced.push((size, t, child));
                    continue;
                }
            }
            let position = self.write(child, out)?;
            self.finalize(child, position);
            bytes_left = out.bytes_left_in_page() as i64;
        }
        let n = self.m(node);
        n.branch_size = 0;
        n.out_of_page_children = true;
        n.out_of_page_in_branch = false;
        let size = self.sizeof_node(node, out.position())?;
        self.m(node).node_size = size;
        Ok(())
    }

    fn recalc_total_size(&mut self, node: u32, position: u64) -> Result<i64> {
        if self.n(node).out_of_page_in_branch {
            let mut size = 0i64;
            for i in 0..self.n(node).children.len() {
                let c = self.n(node).children[i];
                size += self.recalc_total_size(c, position + size as u64)?;
            }
            self.m(node).branch_size = size;
        }
        let n = self.n(node);
        if n.out_of_page_children || n.out_of_page_in_branch {
            let at = position + n.branch_size as u64;
            let size = self.sizeof_node(node, at)?;
            self.m(node).node_size = size;
        }
        let n = self.n(node);
        Ok(n.branch_size + n.node_size)
    }

    /// Writes the unwritten part of the branch, then the node; returns
    /// the node's position.
    fn write(&mut self, node: u32, out: &mut TrieOut) -> Result<u64> {
        let start = out.position();
        for i in 0..self.n(node).children.len() {
            let c = self.n(node).children[i];
            if self.n(c).file_pos == UNSET {
                let p = self.write(c, out)?;
                self.m(c).file_pos = p as i64;
            }
        }
        let position = start + self.n(node).branch_size as u64;
        if out.position() != position {
            return Err(internal("branch size does not match what was written"));
        }
        self.serialize(node, position, out)?;
        Ok(position)
    }

    /// Marks a written node and frees what is below it.
    fn finalize(&mut self, node: u32, position: u64) {
        let mut below = std::mem::take(&mut self.m(node).children);
        while let Some(c) = below.pop() {
            below.append(&mut self.m(c).children);
            self.m(c).payload = None;
            self.free.push(c);
        }
        let n = self.m(node);
        n.file_pos = position as i64;
        n.branch_size = 0;
        n.node_size = 0;
        n.out_of_page_in_branch = false;
        n.out_of_page_children = false;
        n.payload = None;
    }

    fn max_position_delta(&self, node: u32, position: u64) -> i64 {
        let n = self.n(node);
        if !n.out_of_page_children {
            let first = n.children.first().map_or(0, |&c| self.n(c).branch_size);
            return -(n.branch_size - first);
        }
        let (mut min_placed, mut min_unplaced) = (0i64, 1i64);
        for &c in &n.children {
            let child = self.n(c);
            if child.file_pos != UNSET {
                min_placed = min_placed.min(child.file_pos - position as i64);
            } else if min_unplaced > 0 {
                min_unplaced = -(n.branch_size - child.branch_size);
            }
        }
        min_placed.min(min_unplaced)
    }

    fn shape(&self, node: u32) -> Shape {
        let children = &self.n(node).children;
        let t = |i: Option<&u32>| i.map_or(0, |&c| self.n(c).transition);
        (
            children.len() as u64,
            t(children.first()),
            t(children.last()),
        )
    }

    fn kind(&self, node: u32, position: u64) -> Result<Kind> {
        let n = self.n(node);
        let count = n.children.len();
        if count == 0 {
            return Ok(PayloadOnly);
        }
        let delta = self.max_position_delta(node, position);
        if delta >= 0 {
            return Err(internal("child not before its parent"));
        }
        let distance = delta.unsigned_abs();
        let mut i = SINGLES
            .iter()
            .position(|k| k.fits(distance))
            .ok_or_else(|| internal("pointer too far"))?;
        if count == 1 {
            if n.payload.is_some() && matches!(SINGLES[i], SingleNoPayload4 | SingleNoPayload12) {
                i += 1;
            }
            return Ok(SINGLES[i]);
        }
        let (c, first, last) = self.shape(node);
        let (sparse, dense) = (SPARSES[i], DENSES[i]);
        Ok(
            if sparse.size(c, first, last) < dense.size(c, first, last) {
                sparse
            } else {
                dense
            },
        )
    }

    fn sizeof_node(&self, node: u32, position: u64) -> Result<i64> {
        let kind = self.kind(node, position)?;
        let payload = self.n(node).payload.as_ref().map_or(0, |p| p.size());
        let (c, first, last) = self.shape(node);
        Ok((kind.size(c, first, last) + payload as u64) as i64)
    }

    fn serialize(&self, node: u32, position: u64, out: &mut TrieOut) -> Result<()> {
        let kind = self.kind(node, position)?;
        let n = self.n(node);
        let flags = n.payload.as_ref().map_or(0, |p| p.flags() & 0x0F);
        let head = kind.ordinal() << 4;
        let mut pointers = Vec::with_capacity(n.children.len());
        for &c in &n.children {
            let fp = self.n(c).file_pos;
            if fp == UNSET || fp as u64 >= position {
                return Err(internal("child not written before its parent"));
            }
            pointers.push(position - fp as u64);
        }
        let t: Vec<u8> = n.children.iter().map(|&c| self.n(c).transition).collect();
        let o = &mut out.bytes;
        match kind {
            PayloadOnly => o.push(head | flags),
            SingleNoPayload4 => {
                o.push(head | (pointers[0] as u8 & 0x0F));
                o.push(t[0]);
            }
            SingleNoPayload12 => {
                o.push(head | ((pointers[0] >> 8) as u8 & 0x0F));
                o.push(pointers[0] as u8);
                o.push(t[0]);
            }
            Single8 | Single16 => {
                o.push(head | flags);
                o.push(t[0]);
                push_sized(o, pointers[0], kind.bits() / 8);
            }
            _ if kind.is_sparse() => {
                o.push(head | flags);
                o.push(t.len() as u8);
                o.extend_from_slice(&t);
                if kind.bits() == 12 {
                    for pair in pointers.chunks(2) {
                        match pair {
                            [p0, p1] => {
                                o.push((p0 >> 4) as u8);
                                o.push(((p0 << 4) | (p1 >> 8)) as u8);
                                o.push(*p1 as u8);
                            }
                            [p0] => {
                                o.extend_from_slice(&((p0 << 4) as u16).to_be_bytes());
                            }
                            _ => {}
                        }
                    }
                } else {
                    for p in &pointers {
                        push_sized(o, *p, kind.bits() / 8);
                    }
                }
            }
            _ => {
                debug_assert!(kind.is_dense());
                let (l, r) = (t[0], t[t.len() - 1]);
                o.push(head | flags);
                o.push(l);
                o.push(r - l);
                let mut slots = vec![0u64; usize::from(r - l) + 1];
                for (b, p) in t.iter().zip(&pointers) {
                    slots[usize::from(b - l)] = *p;
                }
                if kind.bits() == 12 {
                    let mut carry = 0u64;
                    for (i, v) in slots.iter().enumerate() {
                        if i % 2 == 0 {
                            o.push((v >> 4) as u8);
                            carry = v << 4;
                        } else {
                            o.push((carry | (v >> 8)) as u8);
                            o.push(*v as u8);
                            carry = 0;
                        }
                    }
                    if slots.len() % 2 == 1 {
                        o.push(carry as u8);
                    }
                } else {
                    for v in &slots {
                        push_sized(o, *v, kind.bits() / 8);
                    }
                }
            }
        }
        if let Some(p) = &n.payload {
            p.write(o);
        }
        Ok(())
    }

    /// Writes whatever is left and returns the root's position.
    ///
    /// # Errors
    /// Internal inconsistencies only.
    pub fn complete(&mut self, out: &mut TrieOut) -> Result<u64> {
        let first = *self.stack.first().ok_or_else(|| internal("empty stack"))?;
        if self.n(first).file_pos != UNSET {
            return Ok(self.n(first).file_pos as u64);
        }
        let mut root = first;
        while !self.stack.is_empty() {
            root = self.complete_last(out)?;
        }
        self.stack.push(root);
        let mut actual = self.recalc_total_size(root, out.position())?;
        let mut bytes_left = out.bytes_left_in_page() as i64;
        if actual > bytes_left {
            if actual <= PAGE_SIZE as i64 {
                out.pad_to_page_boundary();
                bytes_left = PAGE_SIZE as i64;
                actual = self.recalc_total_size(root, out.position())?;
            }
            if actual > bytes_left {
                self.layout_children(root, out)?;
                if self.n(root).node_size > out.bytes_left_in_page() as i64 {
                    out.pad_to_page_boundary();
                    self.recalc_total_size(root, out.position())?;
                }
            }
        }
        let position = self.write(root, out)?;
        self.finalize(root, position);
        Ok(position)
    }
}

/// Appends the low `bytes` bytes of `value`, big-endian.
fn push_sized(out: &mut Vec<u8>, value: u64, bytes: u32) {
    for i in (0..bytes).rev() {
        out.push((value >> (8 * i)) as u8);
    }
}

/// Bytes a signed integer takes in Cassandra's `SizedInts` (1 to 8).
pub fn non_zero_size(value: i64) -> usize {
    let v = if value < 0 { !value } else { value };
    (64 - v.leading_zeros() as usize + 8) / 8
}

/// Appends `value` in `size` bytes, big-endian (two's complement).
pub fn push_signed(out: &mut Vec<u8>, value: i64, size: usize) {
    push_sized(out, value as u64, size as u32);
}
