//! The key-value facade: `put`, `get`, `delete` on a table with Ilion's
//! built-in schema `key blob PRIMARY KEY, value blob`, with no knowledge of
//! partitions needed.

use crate::db::{now_seconds, Db, DEFAULT_KEYSPACE};
use crate::error::{Error, Result};
use bytes::Bytes;
use ilion_sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion_sstable::rows::{Cell, ColumnData, Partition, Row, Unfiltered};
use ilion_sstable::schema::TableSchema;

/// The value a merged key-value partition holds, if it is live at `now`
/// (the merge dropped what deletions shadow; what is left decides).
pub(crate) fn live_value(partition: Partition, now: i64) -> Option<Vec<u8>> {
    partition.unfiltereds.into_iter().find_map(|u| match u {
        Unfiltered::Row(row) => row.columns.into_iter().find_map(|c| match c {
            ColumnData::Simple { cell, .. } => cell.is_live(now).then_some(cell.value),
            ColumnData::Complex { .. } => None,
        }),
        Unfiltered::Marker(_) => None,
    })
}

impl Db {
    pub(crate) fn key_value_table(
        &self,
        table: &str,
    ) -> Result<std::sync::Arc<crate::table::Table>> {
        let t = self.runtime(DEFAULT_KEYSPACE, table)?;
        if !t.is_key_value {
            return Err(Error::Invalid(format!(
                "{table} is not a key-value table (key blob PRIMARY KEY, value blob)"
            )));
        }
        Ok(t)
    }

    /// Creates a key-value table (`key blob PRIMARY KEY, value blob`) with
    /// default options in the default keyspace.
    ///
    /// # Errors
    /// As [`Db::create_table`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// let info = db.create_key_value_table("kv")?;
    /// assert_eq!(info.definition.schema, ilion::sstable::schema::TableSchema::key_value());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_key_value_table(&self, name: &str) -> Result<crate::TableInfo> {
        self.create_table(
            name,
            TableSchema::key_value(),
            crate::TableOptions::default(),
        )
    }

    fn put_cell(&self, table: &str, key: &[u8], value: &[u8], ttl: Option<u32>) -> Result<()> {
        let t = self.key_value_table(table)?;
        let timestamp = self.timestamp();
        let ttl = ttl.or((t.definition.options.default_ttl_seconds > 0)
            .then_some(t.definition.options.default_ttl_seconds));
        let expiry = ttl.map(|ttl| (ttl, now_seconds() + i64::from(ttl)));
        let kind = match expiry {
            Some((ttl, local_expiration_time)) => CellKind::Expiring {
                ttl,
                local_expiration_time,
            },
            None => CellKind::Live,
        };
        let update = Partition {
            key: key.to_vec(),
            deletion: DeletionTime::LIVE,
            static_row: None,
            unfiltereds: vec![Unfiltered::Row(Row {
                clustering: Vec::new(),
                liveness: Some(LivenessInfo { timestamp, expiry }),
                deletion: None,
                columns: vec![ColumnData::Simple {
                    column: 0,
                    cell: Cell {
                        timestamp,
                        kind,
                        path: None,
                        value: value.to_vec(),
                    },
                }],
            })],
        };
        t.write(self.log(), update)?;
        self.after_write(&t);
        Ok(())
    }

    /// Stores `value` under `key`; acknowledged once durable per the
    /// commitlog's sync mode.
    ///
    /// # Errors
    /// [`Error::NoSuchTable`]; limits (a key of at most 65,535 bytes);
    /// commitlog failures.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// db.put("kv", b"apple", b"red")?;
    /// assert_eq!(db.get("kv", b"apple")?.as_deref(), Some(&b"red"[..]));
    /// db.delete("kv", b"apple")?;
    /// assert_eq!(db.get("kv", b"apple")?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn put(&self, table: &str, key: &[u8], value: &[u8]) -> Result<()> {
        self.put_cell(table, key, value, None)
    }

    /// Stores `value` under `key` for `ttl_seconds`, after which it reads
    /// as absent.
    ///
    /// # Errors
    /// As [`Db::put`]; a TTL of 0 or over 20 years.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("sessions")?;
    /// db.put_with_ttl("sessions", b"token", b"alice", 3600)?;
    /// assert_eq!(db.get("sessions", b"token")?.as_deref(), Some(&b"alice"[..]));
    /// // (An hour later it reads as absent.) A TTL must be 1 s to 20 years.
    /// assert!(db.put_with_ttl("sessions", b"token", b"alice", 0).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn put_with_ttl(
        &self,
        table: &str,
        key: &[u8],
        value: &[u8],
        ttl_seconds: u32,
    ) -> Result<()> {
        self.put_cell(table, key, value, Some(ttl_seconds))
    }

    /// Deletes `key` (a partition deletion, as Cassandra's `DELETE ...
    /// WHERE key = ?`).
    ///
    /// # Errors
    /// As [`Db::put`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// db.put("kv", b"k", b"v")?;
    /// db.flush()?;
    /// // The tombstone in the memtable hides the value in the SSTable.
    /// db.delete("kv", b"k")?;
    /// assert_eq!(db.get("kv", b"k")?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete(&self, table: &str, key: &[u8]) -> Result<()> {
        let t = self.key_value_table(table)?;
        let update = Partition {
            key: key.to_vec(),
            deletion: DeletionTime {
                marked_for_delete_at: self.timestamp(),
                local_deletion_time: now_seconds(),
            },
            static_row: None,
            unfiltereds: Vec::new(),
        };
        t.write(self.log(), update)?;
        self.after_write(&t);
        Ok(())
    }

    /// The value of `key`, if it has one that is live now.
    ///
    /// # Errors
    /// [`Error::NoSuchTable`]; corruption met reading SSTables.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// assert_eq!(db.get("kv", b"k")?, None);
    /// db.put("kv", b"k", b"v1")?;
    /// db.put("kv", b"k", b"v2")?;
    /// assert_eq!(db.get("kv", b"k")?.as_deref(), Some(&b"v2"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, table: &str, key: &[u8]) -> Result<Option<Bytes>> {
        let t = self.key_value_table(table)?;
        let Some(partition) = t.read_single_row(key)? else {
            return Ok(None);
        };
        Ok(live_value(partition, now_seconds()).map(Bytes::from))
    }

    /// Up to `limit` live key-value pairs from `start` to `end`, in the
    /// table's partitioner order: token order under Murmur3 (the bounds
    /// are the positions of their keys), key order under ByteOrdered. To
    /// page, start the next call after the last key returned.
    ///
    /// # Errors
    /// [`Error::NoSuchTable`]; corruption met reading SSTables.
    ///
    /// ```
    /// use std::ops::Bound;
    /// let dir = tempfile::tempdir()?;
    /// let db = ilion::Db::open(dir.path(), ilion::Options::default())?;
    /// db.create_key_value_table("kv")?;
    /// for k in [b"a", b"b", b"c"] {
    ///     db.put("kv", k, b"v")?;
    /// }
    /// let all = db.scan("kv", Bound::Unbounded, Bound::Unbounded, 10)?;
    /// assert_eq!(all.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scan(
        &self,
        table: &str,
        start: std::ops::Bound<&[u8]>,
        end: std::ops::Bound<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Bytes, Bytes)>> {
        let t = self.key_value_table(table)?;
        let start = crate::range::position_bound(&t, start);
        let end = crate::range::position_bound(&t, end);
        let past_end = |p: &crate::memtable::Position| crate::range::past(&end, p);
        let now = now_seconds();
        let mut out = Vec::new();
        t.scan(start, past_end, limit, |partition| {
            let key = partition.key.clone();
            match live_value(partition, now) {
                Some(value) => {
                    out.push((Bytes::from(key), Bytes::from(value)));
                    true
                }
                None => false,
            }
        })?;
        Ok(out)
    }
}
