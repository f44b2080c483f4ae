//! Ilion: a key-value table for db_bench's workloads, a table of ten
//! columns for YCSB's (as YCSB's Cassandra binding creates it: an update
//! writes one cell) and a wide-row table for time series, clustered
//! newest first as Cassandra time series are.

use super::{
    DiskFigures, IlionSettings, Result, Series, SstableFormatArg, Store, SyncArg, CACHE_BYTES,
    MEMTABLE_BYTES,
};
use crate::ycsb::FIELD_COUNT;
use ilion::commitlog::{CommitLogOptions, SyncMode};
use ilion::sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion::sstable::rows::{Cell, ColumnData, Partition, Row, Unfiltered};
use ilion::sstable::schema::{ClusteringOrder, Column, TableSchema};
use ilion::sstable::slice::Slice;
use ilion::DEFAULT_KEYSPACE;
use std::ops::Bound;
use std::path::Path;
use std::time::Duration;

/// db_bench's key-value pairs.
const TABLE: &str = "stress";
/// YCSB's records.
const RECORDS: &str = "usertable";
/// Time series.
const SERIES: &str = "timeseries";

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn marshal(type_name: &str) -> String {
    format!("org.apache.cassandra.db.marshal.{type_name}")
}

/// `usertable (y_id text PRIMARY KEY, field0 text, ..., field9 text)`.
fn records_schema() -> Result<TableSchema> {
    let fields = (0..FIELD_COUNT)
        .map(|i| Column::new(format!("field{i}"), marshal("UTF8Type")))
        .collect();
    TableSchema::new(
        vec![Column::new("y_id", marshal("UTF8Type"))],
        vec![],
        vec![],
        fields,
    )
    .map_err(text)
}

/// `timeseries (sensor text, day int, at timestamp, value double,
/// PRIMARY KEY ((sensor, day), at)) WITH CLUSTERING ORDER BY (at DESC)`.
fn series_schema() -> Result<TableSchema> {
    TableSchema::new(
        vec![
            Column::new("sensor", marshal("UTF8Type")),
            Column::new("day", marshal("Int32Type")),
        ],
        vec![(
            Column::new("at", marshal("TimestampType")),
            ClusteringOrder::Desc,
        )],
        vec![],
        vec![Column::new("value", marshal("DoubleType"))],
    )
    .map_err(text)
}

pub(super) struct IlionStore {
    db: ilion::Db,
    sync: SyncArg,
    strategy: ilion::compaction::Strategy,
    format: SstableFormatArg,
    throughput_mb: u64,
    series_schema: TableSchema,
    /// The header index of each record field, in field order.
    field_columns: Vec<usize>,
}

impl IlionStore {
    /// A one-row partition (no clustering) of these cells.
    fn cell(&self, column: usize, value: &[u8], timestamp: i64) -> ColumnData {
        ColumnData::Simple {
            column,
            cell: Cell {
                timestamp,
                kind: CellKind::Live,
                path: None,
                value: value.to_vec(),
            },
        }
    }

    pub(super) fn open(dir: &Path, sync: SyncArg, settings: IlionSettings) -> Result<IlionStore> {
        let sync_mode = match sync {
            SyncArg::Periodic => SyncMode::Periodic {
                period: Duration::from_secs(10),
            },
            SyncArg::Batch => SyncMode::Batch,
            SyncArg::Group => SyncMode::Group {
                window: Duration::from_millis(2),
            },
        };
        let options = ilion::Options {
            commitlog: CommitLogOptions {
                sync_mode,
                ..CommitLogOptions::default()
            },
            chunk_cache_bytes: CACHE_BYTES as usize,
            compaction_throughput_bytes_per_second: settings.throughput_mb << 20,
            ..ilion::Options::default()
        };
        let db = ilion::Db::open(dir, options).map_err(text)?;
        let compaction_options = ilion::compaction::CompactionOptions {
            strategy: settings.strategy.strategy(settings.sstable_size_mb),
            ..Default::default()
        };
        let records_schema = records_schema()?;
        let series_schema = series_schema()?;
        for (name, schema) in [
            (TABLE, TableSchema::key_value()),
            (RECORDS, records_schema.clone()),
            (SERIES, series_schema.clone()),
        ] {
            if db.table(name).is_err() {
                let options = ilion::TableOptions {
                    compaction: compaction_options.clone(),
                    version: match settings.format {
                        SstableFormatArg::Big => ilion::sstable::version::Version::OA,
                        SstableFormatArg::Bti => ilion::sstable::version::Version::DA,
                    },
                    ..Default::default()
                };
                db.create_table(name, schema, options).map_err(text)?;
            } else {
                db.set_compaction(name, compaction_options.clone())
                    .map_err(text)?;
            }
        }
        let field_columns = (0..FIELD_COUNT)
            .map(|i| {
                records_schema
                    .regular_column_index(&format!("field{i}"))
                    .ok_or_else(|| format!("usertable has no field{i}"))
            })
            .collect::<Result<_>>()?;
        Ok(IlionStore {
            db,
            sync,
            strategy: compaction_options.strategy.clone(),
            format: settings.format,
            throughput_mb: settings.throughput_mb,
            series_schema,
            field_columns,
        })
    }
}

impl IlionStore {
    /// Writes one row of `columns` to `table`'s partition `key`.
    fn write_row(
        &self,
        table: &str,
        key: &[u8],
        clustering: Vec<Option<Vec<u8>>>,
        row_marker: Option<i64>,
        columns: Vec<ColumnData>,
    ) -> Result<()> {
        let row = Row {
            clustering,
            liveness: row_marker.map(|timestamp| LivenessInfo {
                timestamp,
                expiry: None,
            }),
            deletion: None,
            columns,
        };
        let update = Partition {
            key: key.to_vec(),
            deletion: DeletionTime::LIVE,
            static_row: None,
            unfiltereds: vec![Unfiltered::Row(row)],
        };
        self.db.write(table, update).map_err(text)
    }

    /// The partition key `(sensor, day)` of a series.
    fn series_key(&self, series: Series) -> Result<Vec<u8>> {
        let sensor = series.sensor_name();
        let day = (series.day as i32).to_be_bytes();
        self.series_schema
            .encode_partition_key(&[sensor.as_bytes(), &day])
            .map_err(text)
    }
}

/// The cells of a record's row, when it has one.
fn row_cells(partition: &Partition) -> Option<usize> {
    partition.unfiltereds.iter().find_map(|u| match u {
        Unfiltered::Row(row) => Some(row.columns.len()),
        Unfiltered::Marker(_) => None,
    })
}

impl Store for IlionStore {
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.db.put(TABLE, key, value).map_err(text)
    }

    fn get(&self, key: &[u8]) -> Result<Option<usize>> {
        let value = self.db.get(TABLE, key).map_err(text)?;
        Ok(value.map(|v| v.len()))
    }

    fn scan_page(&self, after: Option<&[u8]>, limit: usize) -> Result<Vec<Vec<u8>>> {
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        let page = self
            .db
            .scan(TABLE, from, Bound::Unbounded, limit)
            .map_err(text)?;
        Ok(page.into_iter().map(|(k, _)| k.to_vec()).collect())
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        self.db.delete(TABLE, key).map_err(text)
    }

    fn scan_page_reverse(&self, before: Option<&[u8]>, limit: usize) -> Result<Vec<Vec<u8>>> {
        let before = before.map_or(Bound::Unbounded, Bound::Excluded);
        let page = self.db.scan_reverse(TABLE, before, limit).map_err(text)?;
        Ok(page.into_iter().map(|(k, _)| k.to_vec()).collect())
    }

    fn seek(&self, from: &[u8], count: usize) -> Result<usize> {
        let page = self
            .db
            .scan(TABLE, Bound::Included(from), Bound::Unbounded, count)
            .map_err(text)?;
        Ok(page.len())
    }

    fn insert_record(&self, key: &[u8], fields: &[&[u8]]) -> Result<()> {
        let timestamp = self.db.timestamp();
        let columns = fields
            .iter()
            .zip(&self.field_columns)
            .map(|(value, column)| self.cell(*column, value, timestamp))
            .collect();
        self.write_row(RECORDS, key, Vec::new(), Some(timestamp), columns)
    }

    fn read_record(&self, key: &[u8]) -> Result<Option<usize>> {
        let partition = self
            .db
            .read_partition_in(DEFAULT_KEYSPACE, RECORDS, key)
            .map_err(text)?;
        Ok(partition.and_then(|p| row_cells(&p)))
    }

    fn update_field(&self, key: &[u8], field: usize, value: &[u8]) -> Result<()> {
        let column = *self
            .field_columns
            .get(field)
            .ok_or_else(|| format!("no field {field}"))?;
        let cell = self.cell(column, value, self.db.timestamp());
        // A CQL UPDATE writes the cell alone, without a row marker.
        self.write_row(RECORDS, key, Vec::new(), None, vec![cell])
    }

    fn scan_records(&self, from: &[u8], count: usize) -> Result<usize> {
        let partitions = self
            .db
            .scan_partitions_in(DEFAULT_KEYSPACE, RECORDS, Bound::Included(from), count)
            .map_err(text)?;
        Ok(partitions.iter().filter_map(row_cells).count())
    }

    fn append_point(&self, series: Series, at_millis: u64, value: f64) -> Result<()> {
        let key = self.series_key(series)?;
        let timestamp = self.db.timestamp();
        let cell = self.cell(0, &value.to_be_bytes(), timestamp);
        let clustering = vec![Some((at_millis as i64).to_be_bytes().to_vec())];
        self.write_row(SERIES, &key, clustering, Some(timestamp), vec![cell])
    }

    fn latest_points(&self, series: Series, count: usize) -> Result<usize> {
        let key = self.series_key(series)?;
        // Clustered newest first: the latest readings lead the partition.
        let partition = self
            .db
            .read_slice_in(DEFAULT_KEYSPACE, SERIES, &key, &Slice::all(), false, count)
            .map_err(text)?;
        Ok(partition.map_or(0, |p| {
            p.unfiltereds
                .iter()
                .filter(|u| matches!(u, Unfiltered::Row(_)))
                .count()
        }))
    }

    fn finish(&self) -> Result<()> {
        self.db.drain().map_err(text)
    }

    fn settings(&self) -> String {
        format!(
            "{} SSTables, commitlog {:?} sync, LZ4 4 KiB chunks, {} MiB chunk cache, {} MiB memtable, bloom 0.01, compaction {:?} ({}, 2 threads), scan in token order; YCSB records as 10 columns (an update writes one cell), time series clustered newest first",
            match self.format {
                SstableFormatArg::Big => "big oa",
                SstableFormatArg::Bti => "BTI da",
            },
            self.sync,
            CACHE_BYTES >> 20,
            MEMTABLE_BYTES >> 20,
            self.strategy,
            if self.throughput_mb == 0 {
                "unthrottled".to_string()
            } else {
                format!("{} MiB/s", self.throughput_mb)
            }
        )
    }

    fn disk(&self) -> Result<DiskFigures> {
        // Every table, as the peers count their whole database.
        let mut figures = DiskFigures {
            compactions_running: Some(self.db.compactions().len() as u64),
            ..DiskFigures::default()
        };
        let (mut written, mut flushed, mut stalls, mut files) = (0, 0, (0, 0), 0);
        for stats in self.db.stats() {
            figures.table_bytes += stats.disk_bytes;
            files += stats.sstable_count as u64;
            written += stats.bytes_flushed + stats.bytes_compacted_written;
            flushed += stats.bytes_flushed;
            stalls.0 += stats.write_stalls;
            stalls.1 += stats.compaction_stalls;
        }
        figures.written_bytes = Some(written);
        figures.flushed_bytes = Some(flushed);
        figures.stalls = Some(stalls);
        figures.table_files = Some(files);
        Ok(figures)
    }

    fn compact_all(&self) -> Result<()> {
        for table in [TABLE, RECORDS, SERIES] {
            self.db.compact(table).map_err(text)?;
        }
        Ok(())
    }
}
