//! RocksDB and fjall, set up as alike to Ilion as their options allow.
//! Each keeps db_bench's pairs, YCSB's records and the time series in
//! three column families / keyspaces, as Ilion keeps three tables.

use super::record_codec::{decode_record, encode_record, point_key, replace_field, series_prefix};
use super::{DiskFigures, Result, Series, Store, SyncArg, CACHE_BYTES, MEMTABLE_BYTES};
use std::path::Path;

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The column families (RocksDB) and keyspaces (fjall): db_bench's pairs,
/// YCSB's records, time series.
const PAIRS: &str = "stress";
const RECORDS: &str = "usertable";
const SERIES: &str = "timeseries";

/// How many fields a stored record holds.
fn field_count(record: &[u8]) -> Result<usize> {
    Ok(decode_record(record)?.len())
}

/// RocksDB with LZ4 on every level, a 64 MiB LRU block cache, 64 MiB
/// write buffers, 10-bit bloom filters, WAL on.
pub struct RocksStore {
    db: rocksdb::DB,
    options: rocksdb::Options,
    write: rocksdb::WriteOptions,
    sync: SyncArg,
}

impl RocksStore {
    pub fn open(dir: &Path, sync: SyncArg) -> Result<RocksStore> {
        let mut options = rocksdb::Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        options.enable_statistics();
        options.set_compression_type(rocksdb::DBCompressionType::Lz4);
        options.set_write_buffer_size(MEMTABLE_BYTES as usize);
        options.increase_parallelism(2);
        let cache = rocksdb::Cache::new_lru_cache(CACHE_BYTES as usize);
        let mut table = rocksdb::BlockBasedOptions::default();
        table.set_block_cache(&cache);
        table.set_bloom_filter(10.0, false);
        options.set_block_based_table_factory(&table);
        let families = ["default", PAIRS, RECORDS, SERIES]
            .map(|name| rocksdb::ColumnFamilyDescriptor::new(name, options.clone()));
        let db = rocksdb::DB::open_cf_descriptors(&options, dir, families).map_err(text)?;
        let mut write = rocksdb::WriteOptions::default();
        write.set_sync(sync != SyncArg::Periodic);
        Ok(RocksStore {
            db,
            options,
            write,
            sync,
        })
    }

    fn family(&self, name: &str) -> Result<&rocksdb::ColumnFamily> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| format!("no column family {name}"))
    }

    /// Up to `count` pairs of `family` from `mode` on.
    fn pairs(
        &self,
        family: &str,
        mode: rocksdb::IteratorMode,
        count: usize,
        mut each: impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<()> {
        let mut taken = 0;
        for item in self.db.iterator_cf(self.family(family)?, mode) {
            if taken == count {
                break;
            }
            let (k, v) = item.map_err(text)?;
            if each(&k, &v)? {
                taken += 1;
            }
        }
        Ok(())
    }

    /// Up to `limit` keys of the pairs from `mode` on, leaving out
    /// `cursor` (the last key of the previous page).
    fn key_page(
        &self,
        mode: rocksdb::IteratorMode,
        cursor: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>> {
        let mut keys = Vec::with_capacity(limit);
        self.pairs(PAIRS, mode, limit, |k, _| {
            let skip = cursor.is_some_and(|c| c == k);
            if !skip {
                keys.push(k.to_vec());
            }
            Ok(!skip)
        })?;
        Ok(keys)
    }

    fn put_in(&self, family: &str, key: &[u8], value: &[u8]) -> Result<()> {
        self.db
            .put_cf_opt(self.family(family)?, key, value, &self.write)
            .map_err(text)
    }
}

impl Store for RocksStore {
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.put_in(PAIRS, key, value)
    }

    fn get(&self, key: &[u8]) -> Result<Option<usize>> {
        let value = self
            .db
            .get_pinned_cf(self.family(PAIRS)?, key)
            .map_err(text)?;
        Ok(value.map(|v| v.len()))
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        self.db
            .delete_cf_opt(self.family(PAIRS)?, key, &self.write)
            .map_err(text)
    }

    fn scan_page(&self, after: Option<&[u8]>, limit: usize) -> Result<Vec<Vec<u8>>> {
        let mode = match after {
            Some(k) => rocksdb::IteratorMode::From(k, rocksdb::Direction::Forward),
            None => rocksdb::IteratorMode::Start,
        };
        self.key_page(mode, after, limit)
    }

    fn scan_page_reverse(&self, before: Option<&[u8]>, limit: usize) -> Result<Vec<Vec<u8>>> {
        let mode = match before {
            Some(k) => rocksdb::IteratorMode::From(k, rocksdb::Direction::Reverse),
            None => rocksdb::IteratorMode::End,
        };
        self.key_page(mode, before, limit)
    }

    fn seek(&self, from: &[u8], count: usize) -> Result<usize> {
        let mut read = 0;
        let mode = rocksdb::IteratorMode::From(from, rocksdb::Direction::Forward);
        self.pairs(PAIRS, mode, count, |_, _| {
            read += 1;
            Ok(true)
        })?;
        Ok(read)
    }

    fn insert_record(&self, key: &[u8], fields: &[&[u8]]) -> Result<()> {
        self.put_in(RECORDS, key, &encode_record(fields))
    }

    fn read_record(&self, key: &[u8]) -> Result<Option<usize>> {
        let record = self
            .db
            .get_pinned_cf(self.family(RECORDS)?, key)
            .map_err(text)?;
        record.map(|r| field_count(&r)).transpose()
    }

    fn update_field(&self, key: &[u8], field: usize, value: &[u8]) -> Result<()> {
        // YCSB's RocksDB binding: read the record, replace the field,
        // write the record back.
        let record = self
            .db
            .get_pinned_cf(self.family(RECORDS)?, key)
            .map_err(text)?
            .ok_or_else(|| "update of an absent record".to_string())?;
        let updated = replace_field(&record, field, value)?;
        self.put_in(RECORDS, key, &updated)
    }

    fn scan_records(&self, from: &[u8], count: usize) -> Result<usize> {
        let mut read = 0;
        let mode = rocksdb::IteratorMode::From(from, rocksdb::Direction::Forward);
        self.pairs(RECORDS, mode, count, |_, v| {
            field_count(v)?;
            read += 1;
            Ok(true)
        })?;
        Ok(read)
    }

    fn append_point(&self, series: Series, at_millis: u64, value: f64) -> Result<()> {
        self.put_in(SERIES, &point_key(series, at_millis), &value.to_be_bytes())
    }

    fn latest_points(&self, series: Series, count: usize) -> Result<usize> {
        let prefix = series_prefix(series);
        let last = point_key(series, u64::MAX);
        let mode = rocksdb::IteratorMode::From(&last, rocksdb::Direction::Reverse);
        let mut read = 0;
        for item in self.db.iterator_cf(self.family(SERIES)?, mode) {
            let (k, _) = item.map_err(text)?;
            if read == count || !k.starts_with(&prefix) {
                break;
            }
            read += 1;
        }
        Ok(read)
    }

    fn finish(&self) -> Result<()> {
        for name in [PAIRS, RECORDS, SERIES] {
            self.db.flush_cf(self.family(name)?).map_err(text)?;
        }
        Ok(())
    }

    fn settings(&self) -> String {
        format!(
            "WAL sync per write: {}, LZ4, {} MiB LRU block cache, {} MiB write buffer, bloom 10 bits/key, leveled compaction (defaults); YCSB records as one value (an update reads and rewrites it, as YCSB's RocksDB binding)",
            self.sync != SyncArg::Periodic,
            CACHE_BYTES >> 20,
            MEMTABLE_BYTES >> 20
        )
    }

    fn disk(&self) -> Result<DiskFigures> {
        use rocksdb::statistics::Ticker;
        let (mut table_bytes, mut table_files) = (0, 0);
        for name in [PAIRS, RECORDS, SERIES] {
            for level in 0..7 {
                let property = format!("rocksdb.num-files-at-level{level}");
                let files = self
                    .db
                    .property_value_cf(self.family(name)?, property.as_str())
                    .map_err(text)?;
                table_files += files
                    .and_then(|f| f.trim().parse::<u64>().ok())
                    .unwrap_or(0);
            }
            table_bytes += self
                .db
                .property_int_value_cf(
                    self.family(name)?,
                    rocksdb::properties::TOTAL_SST_FILES_SIZE,
                )
                .map_err(text)?
                .unwrap_or(0);
        }
        let running = self
            .db
            .property_int_value(rocksdb::properties::NUM_RUNNING_COMPACTIONS)
            .map_err(text)?
            .unwrap_or(0);
        Ok(DiskFigures {
            table_bytes,
            table_files: Some(table_files),
            written_bytes: Some(
                self.options.get_ticker_count(Ticker::FlushWriteBytes)
                    + self.options.get_ticker_count(Ticker::CompactWriteBytes),
            ),
            flushed_bytes: Some(self.options.get_ticker_count(Ticker::FlushWriteBytes)),
            compactions_running: Some(running),
            stalls: None,
        })
    }

    fn compact_all(&self) -> Result<()> {
        for name in [PAIRS, RECORDS, SERIES] {
            let family = self.family(name)?;
            self.db.flush_cf(family).map_err(text)?;
            self.db
                .compact_range_cf(family, None::<&[u8]>, None::<&[u8]>);
        }
        Ok(())
    }
}

/// fjall with its defaults (LZ4, leveled compaction, bloom filters),
/// a 64 MiB cache and 64 MiB memtables; its journal written to the OS
/// on every write, fsynced after each write unless periodic.
pub struct FjallStore {
    db: fjall::Database,
    pairs: fjall::Keyspace,
    records: fjall::Keyspace,
    series: fjall::Keyspace,
    sync: SyncArg,
}

impl FjallStore {
    pub fn open(dir: &Path, sync: SyncArg) -> Result<FjallStore> {
        let db = fjall::Database::builder(dir)
            .cache_size(CACHE_BYTES)
            .open()
            .map_err(text)?;
        let keyspace = |name: &str| {
            db.keyspace(name, || {
                fjall::KeyspaceCreateOptions::default().max_memtable_size(MEMTABLE_BYTES)
            })
            .map_err(text)
        };
        let (pairs, records, series) = (keyspace(PAIRS)?, keyspace(RECORDS)?, keyspace(SERIES)?);
        Ok(FjallStore {
            db,
            pairs,
            records,
            series,
            sync,
        })
    }

    fn synced(&self) -> Result<()> {
        if self.sync != SyncArg::Periodic {
            self.db
                .persist(fjall::PersistMode::SyncData)
                .map_err(text)?;
        }
        Ok(())
    }

    fn keyspaces(&self) -> [&fjall::Keyspace; 3] {
        [&self.pairs, &self.records, &self.series]
    }
}

impl Store for FjallStore {
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.pairs.insert(key, value).map_err(text)?;
        self.synced()
    }

    fn get(&self, key: &[u8]) -> Result<Option<usize>> {
        let value = self.pairs.get(key).map_err(text)?;
        Ok(value.map(|v| v.len()))
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        self.pairs.remove(key).map_err(text)?;
        self.synced()
    }

    fn scan_page(&self, after: Option<&[u8]>, limit: usize) -> Result<Vec<Vec<u8>>> {
        use std::ops::Bound;
        let range = match after {
            Some(k) => (Bound::Excluded(k.to_vec()), Bound::Unbounded),
            None => (Bound::Unbounded, Bound::Unbounded),
        };
        let mut keys = Vec::with_capacity(limit);
        for guard in self.pairs.range(range).take(limit) {
            keys.push(guard.key().map_err(text)?.to_vec());
        }
        Ok(keys)
    }

    fn scan_page_reverse(&self, before: Option<&[u8]>, limit: usize) -> Result<Vec<Vec<u8>>> {
        use std::ops::Bound;
        let range = match before {
            Some(k) => (Bound::Unbounded, Bound::Excluded(k.to_vec())),
            None => (Bound::Unbounded, Bound::Unbounded),
        };
        let mut keys = Vec::with_capacity(limit);
        for guard in self.pairs.range(range).rev().take(limit) {
            keys.push(guard.key().map_err(text)?.to_vec());
        }
        Ok(keys)
    }

    fn seek(&self, from: &[u8], count: usize) -> Result<usize> {
        let mut read = 0;
        for guard in self.pairs.range(from..).take(count) {
            guard.into_inner().map_err(text)?;
            read += 1;
        }
        Ok(read)
    }

    fn insert_record(&self, key: &[u8], fields: &[&[u8]]) -> Result<()> {
        self.records
            .insert(key, encode_record(fields))
            .map_err(text)?;
        self.synced()
    }

    fn read_record(&self, key: &[u8]) -> Result<Option<usize>> {
        let record = self.records.get(key).map_err(text)?;
        record.map(|r| field_count(&r)).transpose()
    }

    fn update_field(&self, key: &[u8], field: usize, value: &[u8]) -> Result<()> {
        let record = self
            .records
            .get(key)
            .map_err(text)?
            .ok_or_else(|| "update of an absent record".to_string())?;
        self.records
            .insert(key, replace_field(&record, field, value)?)
            .map_err(text)?;
        self.synced()
    }

    fn scan_records(&self, from: &[u8], count: usize) -> Result<usize> {
        let mut read = 0;
        for guard in self.records.range(from..).take(count) {
            let (_, value) = guard.into_inner().map_err(text)?;
            field_count(&value)?;
            read += 1;
        }
        Ok(read)
    }

    fn append_point(&self, series: Series, at_millis: u64, value: f64) -> Result<()> {
        self.series
            .insert(point_key(series, at_millis), value.to_be_bytes())
            .map_err(text)?;
        self.synced()
    }

    fn latest_points(&self, series: Series, count: usize) -> Result<usize> {
        let mut read = 0;
        for guard in self.series.prefix(series_prefix(series)).rev().take(count) {
            guard.into_inner().map_err(text)?;
            read += 1;
        }
        Ok(read)
    }

    fn finish(&self) -> Result<()> {
        self.db.persist(fjall::PersistMode::SyncAll).map_err(text)
    }

    fn settings(&self) -> String {
        format!(
            "journal fsync per write: {}, LZ4, {} MiB cache, {} MiB memtable, bloom filters, leveled compaction (defaults); YCSB records as one value (an update reads and rewrites it)",
            self.sync != SyncArg::Periodic,
            CACHE_BYTES >> 20,
            MEMTABLE_BYTES >> 20
        )
    }

    fn disk(&self) -> Result<DiskFigures> {
        // fjall does not count the bytes its flushes and compactions
        // write.
        Ok(DiskFigures {
            table_bytes: self.keyspaces().iter().map(|k| k.disk_space()).sum(),
            table_files: Some(
                self.keyspaces()
                    .iter()
                    .map(|k| k.table_count() as u64)
                    .sum(),
            ),
            written_bytes: None,
            flushed_bytes: None,
            compactions_running: None,
            stalls: None,
        })
    }

    fn compact_all(&self) -> Result<()> {
        for keyspace in self.keyspaces() {
            keyspace.rotate_memtable_and_wait().map_err(text)?;
            keyspace.major_compact().map_err(text)?;
        }
        Ok(())
    }
}
