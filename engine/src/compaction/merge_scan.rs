//! The k-way merge of a compaction's inputs: every input is scanned in
//! partitioner order, and the versions of each partition are merged by the
//! one reconciliation rule as they meet. Memory holds one partition per
//! input, whatever the inputs' size.

use crate::error::Result;
use ilion_sstable::bloom::BloomFilter;
use ilion_sstable::merge::merge;
use ilion_sstable::partitioner::Partitioner;
use ilion_sstable::reader::PartitionScan;
use ilion_sstable::rows::Partition;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The next partition of one input, ordered by its sort position (sort
/// token, then key).
struct Head {
    token: i64,
    source: usize,
    partition: Partition,
}

impl Head {
    fn position(&self) -> (i64, &[u8]) {
        (self.token, &self.partition.key)
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        (self.position(), self.source) == (other.position(), other.source)
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.position(), self.source).cmp(&(other.position(), other.source))
    }
}

/// Merged partitions of several SSTable scans, in partitioner order, each
/// with its sort token.
pub(crate) struct MergedScan<'r> {
    sources: Vec<PartitionScan<'r>>,
    heads: BinaryHeap<Reverse<Head>>,
    partitioner: Partitioner,
    types: &'r [String],
}

impl<'r> MergedScan<'r> {
    /// Merges `sources`, whose partitions are ordered by `partitioner`
    /// and whose rows by clustering `types`.
    pub(crate) fn new(
        sources: Vec<PartitionScan<'r>>,
        partitioner: Partitioner,
        types: &'r [String],
    ) -> Result<MergedScan<'r>> {
        let mut scan = MergedScan {
            sources,
            heads: BinaryHeap::new(),
            partitioner,
            types,
        };
        for source in 0..scan.sources.len() {
            scan.advance(source)?;
        }
        Ok(scan)
    }

    fn advance(&mut self, source: usize) -> Result<()> {
        if let Some(partition) = self.sources[source].next().transpose()? {
            let hash = BloomFilter::hash(&partition.key);
            let token = self.partitioner.sort_token(&partition.key, hash);
            self.heads.push(Reverse(Head {
                token,
                source,
                partition,
            }));
        }
        Ok(())
    }

    /// Uncompressed input bytes read so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.sources.iter().map(|s| s.stream_position()).sum()
    }

    /// The next partition, merged from every input holding it, with its
    /// sort token.
    pub(crate) fn next_partition(&mut self) -> Result<Option<(i64, Partition)>> {
        let Some(Reverse(first)) = self.heads.pop() else {
            return Ok(None);
        };
        self.advance(first.source)?;
        // A partition one input alone holds is in merged form already.
        let mut versions = Vec::new();
        while self
            .heads
            .peek()
            .is_some_and(|Reverse(h)| h.position() == first.position())
        {
            if let Some(Reverse(head)) = self.heads.pop() {
                versions.push(head.partition);
                self.advance(head.source)?;
            }
        }
        let first_token = first.token;
        let merged = if versions.is_empty() {
            first.partition
        } else {
            versions.push(first.partition);
            merge(self.types, versions)?
        };
        Ok(Some((first_token, merged)))
    }
}
