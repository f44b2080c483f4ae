//! Range reads over partition positions: forward pages of any table's
//! partitions, and reverse pages of a key-value table.
//!
//! Partitions sit in partitioner order — under Murmur3, by token — so a
//! range is a range of positions `(sort token, key)`, as in Cassandra's
//! `token(key) > token(?)` paging.

use crate::db::{now_seconds, Db};
use crate::error::Result;
use crate::memtable::Position;
use crate::table::Table;
use bytes::Bytes;
use ilion_sstable::bloom::BloomFilter;
use ilion_sstable::rows::{Partition, Unfiltered};
use std::ops::Bound;

/// The first reverse window spans 2^48 tokens (a 65,536th of the ring);
/// each window that finds too few partitions quadruples the next.
const FIRST_REVERSE_WINDOW: u64 = 1 << 48;

/// The position of `key` in `table`'s partitioner order.
pub(crate) fn position_of(table: &Table, key: &[u8]) -> Position {
    let partitioner = table.definition.options.partitioner;
    (
        partitioner.sort_token(key, BloomFilter::hash(key)),
        key.to_vec(),
    )
}

/// `bound` over keys as a bound over positions.
pub(crate) fn position_bound(table: &Table, bound: Bound<&[u8]>) -> Bound<Position> {
    match bound {
        Bound::Unbounded => Bound::Unbounded,
        Bound::Included(k) => Bound::Included(position_of(table, k)),
        Bound::Excluded(k) => Bound::Excluded(position_of(table, k)),
    }
}

/// Whether `position` lies beyond the upper bound `end`.
pub(crate) fn past(end: &Bound<Position>, position: &Position) -> bool {
    match end {
        Bound::Unbounded => false,
        Bound::Included(e) => position > e,
        Bound::Excluded(e) => position >= e,
    }
}

/// Whether a merged partition holds anything live at `now`: the merge
/// dropped what deletions shadow, so a live cell or a live row marker
/// left is live data.
fn holds_live_data(partition: &Partition, now: i64) -> bool {
    partition
        .static_row
        .as_ref()
        .is_some_and(|row| row.has_live_data(now))
        || partition.unfiltereds.iter().any(|u| match u {
            Unfiltered::Row(row) => row.has_live_data(now),
            Unfiltered::Marker(_) => false,
        })
}

impl Db {
    /// Up to `limit` partitions of a table of `keyspace` from `start` on,
    /// in partitioner order (token order under Murmur3, the bound being
    /// its key's position), each merged from every memtable and SSTable
    /// and returned as stored (as [`Db::read_partition_in`]); partitions
    /// with nothing live now are skipped. To page, start the next call
    /// after the last key returned.
    ///
    /// # Errors
    /// [`crate::Error::NoSuchTable`]; corruption met reading SSTables.
    ///
    /// ```
    /// use std::ops::Bound;
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// for k in [b"a", b"b", b"c"] {
    ///     db.put("kv", k, b"v")?;
    /// }
    /// db.delete("kv", b"b")?;
    /// let all = db.scan_partitions_in(ilion::DEFAULT_KEYSPACE, "kv", Bound::Unbounded, 10)?;
    /// assert_eq!(all.len(), 2);
    /// let rest = db.scan_partitions_in(ilion::DEFAULT_KEYSPACE, "kv", Bound::Excluded(&all[0].key), 10)?;
    /// assert_eq!(rest.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scan_partitions_in(
        &self,
        keyspace: &str,
        table: &str,
        start: Bound<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Partition>> {
        let t = self.runtime(keyspace, table)?;
        let now = now_seconds();
        let mut out = Vec::new();
        t.scan(
            position_bound(&t, start),
            |_| false,
            limit,
            |partition| {
                if !holds_live_data(&partition, now) {
                    return false;
                }
                out.push(partition);
                true
            },
        )?;
        for partition in &out {
            t.check_tombstones(partition, now)?;
        }
        Ok(out)
    }

    /// Up to `limit` live key-value pairs of a key-value table positioned
    /// before `before` (from the end of the table when unbounded), in
    /// reverse partitioner order — [`Db::scan`] backwards. To page, pass
    /// the last key returned as `Excluded`.
    ///
    /// SSTables can only be read forwards, so the table is read in windows
    /// of tokens walking down the ring, each read forwards and returned
    /// reversed; a window finding too few pairs makes the next one four
    /// times wider.
    ///
    /// # Errors
    /// [`crate::Error::NoSuchTable`], or a table that is not key-value;
    /// corruption met reading SSTables.
    ///
    /// ```
    /// use std::ops::Bound;
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// for k in [b"a", b"b", b"c"] {
    ///     db.put("kv", k, b"v")?;
    /// }
    /// let forward: Vec<_> = db.scan("kv", Bound::Unbounded, Bound::Unbounded, 10)?;
    /// let mut backward = db.scan_reverse("kv", Bound::Unbounded, 2)?;
    /// let last = backward[1].0.clone();
    /// backward.extend(db.scan_reverse("kv", Bound::Excluded(&last), 2)?);
    /// backward.reverse();
    /// assert_eq!(backward, forward);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scan_reverse(
        &self,
        table: &str,
        before: Bound<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Bytes, Bytes)>> {
        let t = self.key_value_table(table)?;
        let now = now_seconds();
        let mut end = position_bound(&t, before);
        let mut width = FIRST_REVERSE_WINDOW;
        let mut out = Vec::new();
        while out.len() < limit {
            let top = match &end {
                Bound::Unbounded => i64::MAX,
                Bound::Included((token, _)) | Bound::Excluded((token, _)) => *token,
            };
            let bottom = (i128::from(top) - i128::from(width)).max(i128::from(i64::MIN)) as i64;
            let mut window = Vec::new();
            t.scan(
                Bound::Included((bottom, Vec::new())),
                |p| past(&end, p),
                usize::MAX,
                |partition| {
                    let key = partition.key.clone();
                    match crate::kv::live_value(partition, now) {
                        Some(value) => {
                            window.push((Bytes::from(key), Bytes::from(value)));
                            true
                        }
                        None => false,
                    }
                },
            )?;
            let wanted = limit - out.len();
            if window.len() < wanted {
                width = width.saturating_mul(4);
            }
            out.extend(window.into_iter().rev().take(wanted));
            if bottom == i64::MIN {
                break;
            }
            end = Bound::Excluded((bottom, Vec::new()));
        }
        Ok(out)
    }
}
