//! The content of each `write_*` table, from the CQL in scylladb's
//! `test/boost/sstable_3_x_test.cc` (the comment above each test) and, where
//! the CQL is not given, the test's own mutation-building code, which
//! mirrors it. Timestamps are the statements' `USING TIMESTAMP` values
//! (1525385507816568 unless said otherwise), TTLs their `USING TTL`.
//!
//! What the CQL cannot carry is Cassandra's wall clock at each statement:
//! the local deletion time of a deletion and the local expiration time of
//! a TTL'd write. Those (and only those) are read from Cassandra's files by
//! `Cassandra::now`, in statement order (the clock only moves forward).

use crate::cql::*;
use crate::harness::{first_difference, Case, Cassandra, Expect, Outcome};
use ilion_sstable::clustering::PrefixKind::*;
use ilion_sstable::reconcile::{CellKind, DeletionTime, LivenessInfo};
use ilion_sstable::rows::{Cell, ColumnData, Partition, Row, Unfiltered};
use ilion_sstable::schema::{ClusteringOrder::Asc, Column, TableSchema};

/// `USING TIMESTAMP 1525385507816568`, the timestamp of most statements.
const W: i64 = 1_525_385_507_816_568;

/// A table builder, by table directory name.
pub type Builder = fn(&Cassandra) -> Case;

/// Every table with a case.
pub fn all() -> Vec<(&'static str, Builder)> {
    vec![
        (
            "write_collection_incremental_update",
            collection_incremental_update,
        ),
        ("write_collection_wide_update", collection_wide_update),
        ("write_compact_table", compact_table),
        ("write_composite_clustering_key", composite_clustering_key),
        ("write_composite_partition_key", composite_partition_key),
        ("write_counter_table", counter_table),
        ("write_dead_row_marker", dead_row_marker),
        ("write_deleted_column", deleted_column),
        ("write_deleted_row", deleted_row),
        ("write_different_types", different_types),
        ("write_empty_clustering_values", empty_clustering_values),
        ("write_empty_static_row", empty_static_row),
        (
            "write_interleaved_atomic_and_collection_columns",
            interleaved_atomic_and_collection_columns,
        ),
        ("write_large_clustering_key", large_clustering_key),
        ("write_many_deleted_partitions", many_deleted_partitions),
        ("write_many_live_partitions", many_live_partitions),
        ("write_many_range_tombstones", many_range_tombstones),
        ("write_missing_columns_large_set", missing_columns_large_set),
        ("write_multiple_partitions", multiple_partitions),
        ("write_multiple_rows", multiple_rows),
        (
            "write_non_adjacent_range_tombstones",
            non_adjacent_range_tombstones,
        ),
        (
            "write_overlapped_range_tombstones",
            overlapped_range_tombstones,
        ),
        (
            "write_overlapped_start_range_tombstones",
            overlapped_start_range_tombstones,
        ),
        (
            "write_regular_and_shadowable_deletion",
            regular_and_shadowable_deletion,
        ),
        ("write_shadowable_deletion", shadowable_deletion),
        ("write_simple_range_tombstone", simple_range_tombstone),
        (
            "write_static_interleaved_atomic_and_collection_columns",
            static_interleaved_atomic_and_collection_columns,
        ),
        ("write_static_row", static_row_case),
        (
            "write_static_row_with_missing_columns",
            static_row_with_missing_columns,
        ),
        ("write_ttled_column", ttled_column),
        ("write_ttled_row", ttled_row),
        ("write_user_defined_type_table", user_defined_type_table),
    ]
}

fn schema(
    key: Vec<Column>,
    clustering: Vec<Column>,
    statics: Vec<Column>,
    regulars: Vec<Column>,
) -> TableSchema {
    TableSchema::new(
        key,
        clustering.into_iter().map(|c| (c, Asc)).collect(),
        statics,
        regulars,
    )
    .unwrap()
}

fn partition(key: Vec<u8>, unfiltereds: Vec<Unfiltered>) -> Partition {
    Partition {
        key,
        deletion: DeletionTime::LIVE,
        static_row: None,
        unfiltereds,
    }
}

fn reg(schema: &TableSchema, name: &str) -> usize {
    schema.regular_column_index(name).unwrap()
}

fn stat(schema: &TableSchema, name: &str) -> usize {
    schema.static_column_index(name).unwrap()
}

fn static_row(columns: Vec<ColumnData>) -> Option<Row> {
    Some(Row {
        clustering: Vec::new(),
        liveness: None,
        deletion: None,
        columns,
    })
}

fn case(schema: TableSchema, partitions: Vec<Partition>) -> Case {
    Case {
        schema,
        partitions,
        expect: Expect::Identical,
        validated: true,
        written_columns_only: false,
    }
}

// CREATE TABLE collection_incremental_update (pk int, col set<int>, PRIMARY KEY (pk));
// UPDATE collection_incremental_update USING TIMESTAMP 1525385507816568 SET col = col + {2} WHERE pk = 1;
fn collection_incremental_update(_: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![],
        vec![],
        vec![col("col", "set<int>")],
    );
    let cells = ColumnData::Complex {
        column: reg(&s, "col"),
        deletion: DeletionTime::LIVE,
        cells: vec![set_element(W, int(2))],
    };
    let p = partition(int(1), vec![row(vec![], None, vec![cells])]);
    case(s, vec![p])
}

// CREATE TABLE collection_wide_update (pk int, col set<int>, PRIMARY KEY (pk));
// INSERT INTO collection_wide_update (pk, col) VALUES (1, {2, 3}) USING TIMESTAMP 1525385507816568;
fn collection_wide_update(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![],
        vec![],
        vec![col("col", "set<int>")],
    );
    // Setting a whole collection first deletes what it held: a complex
    // deletion one microsecond before the write (Cassandra's
    // `UpdateParameters.setComplexDeletionTimeForOverwrite`), at the
    // statement's local time (from Cassandra's file).
    let now = c.now(0);
    let cells = ColumnData::Complex {
        column: reg(&s, "col"),
        deletion: deletion(W - 1, now),
        cells: vec![set_element(W, int(2)), set_element(W, int(3))],
    };
    let p = partition(int(1), vec![row(vec![], inserted(W), vec![cells])]);
    case(s, vec![p])
}

// CREATE TABLE compact_table (pk int, ck1 int, ck2 int, rc int, PRIMARY KEY (pk, ck1, ck2)) WITH COMPACT STORAGE;
// INSERT INTO compact_table (pk, ck1, rc) VALUES (1, 1, 1) USING TIMESTAMP 1525385507816568;
fn compact_table(_: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck1", "int"), col("ck2", "int")],
        vec![],
        vec![col("rc", "int")],
    );
    // A compact table has no row marker (no primary-key liveness), and the
    // omitted ck2 is null.
    let p = partition(
        int(1),
        vec![row(
            vec![ck(int(1)), None],
            None,
            vec![simple(reg(&s, "rc"), live(W, int(1)))],
        )],
    );
    Case {
        // The null ck2 is legal only under COMPACT STORAGE.
        validated: false,
        ..case(s, vec![p])
    }
}

// CREATE TABLE composite_clustering_key (a int, b text, c int, d text, e int, f text, PRIMARY KEY (a, b, c, d));
// INSERT INTO composite_clustering_key (a,b,c,d,e,f) values (1, 'hello', 2, 'dear', 3, 'world') USING TIMESTAMP 1525385507816568;
fn composite_clustering_key(_: &Cassandra) -> Case {
    let s = schema(
        vec![col("a", "int")],
        vec![col("b", "text"), col("c", "int"), col("d", "text")],
        vec![],
        vec![col("e", "int"), col("f", "text")],
    );
    let p = partition(
        int(1),
        vec![row(
            vec![ck(text("hello")), ck(int(2)), ck(text("dear"))],
            inserted(W),
            vec![
                simple(reg(&s, "e"), live(W, int(3))),
                simple(reg(&s, "f"), live(W, text("world"))),
            ],
        )],
    );
    case(s, vec![p])
}

// CREATE TABLE composite_partition_key (a int, b text, c boolean, d int, e text, f int, g text, PRIMARY KEY ((a, b, c), d, e));
// INSERT INTO composite_partition_key (a,b,c,d,e,f,g) values (1, 'hello', true, 2, 'dear', 3, 'world') USING TIMESTAMP 1525385507816568;
fn composite_partition_key(_: &Cassandra) -> Case {
    let s = schema(
        vec![col("a", "int"), col("b", "text"), col("c", "boolean")],
        vec![col("d", "int"), col("e", "text")],
        vec![],
        vec![col("f", "int"), col("g", "text")],
    );
    let key = s
        .encode_partition_key(&[&int(1), &text("hello"), &boolean(true)])
        .unwrap();
    let p = partition(
        key,
        vec![row(
            vec![ck(int(2)), ck(text("dear"))],
            inserted(W),
            vec![
                simple(reg(&s, "f"), live(W, int(3))),
                simple(reg(&s, "g"), live(W, text("world"))),
            ],
        )],
    );
    case(s, vec![p])
}

/// A counter context of global shards `(counter id, clock, count)`, sorted
/// by id: an i16 count of header elements, each header element the shard's
/// position with the top bit set (global), then per shard the 16-byte id,
/// the i64 clock and the i64 count (Cassandra's `CounterContext`).
fn counter_context(shards: &[(&str, i64, i64)]) -> Vec<u8> {
    let mut out = (shards.len() as i16).to_be_bytes().to_vec();
    for i in 0..shards.len() {
        out.extend_from_slice(&(i16::MIN + i as i16).to_be_bytes());
    }
    for (id, clock, count) in shards {
        out.extend(uuid(id));
        out.extend_from_slice(&clock.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
    }
    out
}

// CREATE TABLE counter_table (pk text, ck text, rc1 counter, rc2 counter, PRIMARY KEY (pk, ck));
// No CQL is given (counter shards depend on the node): the scylla test
// builds, at timestamp 1525385507816568, for ck 'ck1' rc1 with global shards
// (19478feb…: +5, bbba5897…: −4, e079a6fe…: +9, each clock 1) and rc2 with
// (bbba5897…: −1, e079a6fe…: +2), and for ck 'ck2' a deleted rc1.
fn counter_table(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "text")],
        vec![col("ck", "text")],
        vec![],
        vec![col("rc1", "counter"), col("rc2", "counter")],
    );
    let a = "19478feb-8e7c-4729-9a78-9b476552f13d";
    let b = "bbba5897-78b6-4cdc-9a0d-ea9e9a3b833f";
    let e = "e079a6fe-eb79-4bdf-97ca-c87a2c387d5c";
    // The deletion's local time, from Cassandra's file.
    let now = c.now(0);
    let tombstone = Cell {
        timestamp: W,
        kind: CellKind::Tombstone {
            local_deletion_time: now,
        },
        path: None,
        value: Vec::new(),
    };
    let p = partition(
        text("key"),
        vec![
            row(
                vec![ck(text("ck1"))],
                None,
                vec![
                    simple(
                        reg(&s, "rc1"),
                        live(W, counter_context(&[(a, 1, 5), (b, 1, -4), (e, 1, 9)])),
                    ),
                    simple(
                        reg(&s, "rc2"),
                        live(W, counter_context(&[(b, 1, -1), (e, 1, 2)])),
                    ),
                ],
            ),
            row(
                vec![ck(text("ck2"))],
                None,
                vec![simple(reg(&s, "rc1"), tombstone)],
            ),
        ],
    );
    case(s, vec![p])
}

// CREATE TABLE dead_row_marker (pk int, ck int, st int static, rc int, PRIMARY KEY (pk, ck));
// No CQL is given; the scylla test writes, at timestamp 1543494402386839,
// static st = 1135, and for ck 2 a row marker with TTL 90 and rc = 7777.
fn dead_row_marker(c: &Cassandra) -> Case {
    let ts = 1_543_494_402_386_839;
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck", "int")],
        vec![col("st", "int")],
        vec![col("rc", "int")],
    );
    // The marker's local expiration time (write time + TTL), from
    // Cassandra's file.
    let expiry = c.now(0);
    let mut p = partition(
        int(1),
        vec![row(
            vec![ck(int(2))],
            Some(LivenessInfo {
                timestamp: ts,
                expiry: Some((90, expiry)),
            }),
            vec![simple(reg(&s, "rc"), live(ts, int(7777)))],
        )],
    );
    p.static_row = static_row(vec![simple(stat(&s, "st"), live(ts, int(1135)))]);
    case(s, vec![p])
}

// CREATE TABLE deleted_column (pk int, rc int, PRIMARY KEY (pk));
// DELETE rc FROM deleted_column USING TIMESTAMP 1525385507816568 WHERE pk=1;
fn deleted_column(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![],
        vec![],
        vec![col("rc", "int")],
    );
    // The deletion's local time, from Cassandra's file.
    let now = c.now(0);
    let tombstone = Cell {
        timestamp: W,
        kind: CellKind::Tombstone {
            local_deletion_time: now,
        },
        path: None,
        value: Vec::new(),
    };
    let p = partition(int(1), vec![row(vec![], None, vec![simple(0, tombstone)])]);
    case(s, vec![p])
}

// CREATE TABLE deleted_row (pk int, ck int, PRIMARY KEY (pk, ck));
// DELETE FROM deleted_row USING TIMESTAMP 1525385507816568 WHERE pk=1 and ck=2;
fn deleted_row(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck", "int")],
        vec![],
        vec![],
    );
    // The deletion's local time, from Cassandra's file.
    let now = c.now(0);
    let p = partition(
        int(1),
        vec![Unfiltered::Row(Row {
            clustering: vec![ck(int(2))],
            liveness: None,
            deletion: Some(deletion(W, now)),
            columns: Vec::new(),
        })],
    );
    case(s, vec![p])
}

// CREATE TABLE different_types (pk text, asciival ascii, bigintval bigint, blobval blob, boolval boolean,
//   dateval date, decimalval decimal, doubleval double, floatval float, inetval inet, intval int,
//   smallintval smallint, timeval time, tsval timestamp, timeuuidval timeuuid, tinyintval tinyint,
//   uuidval uuid, varcharval varchar, varintval varint, durationval duration, PRIMARY KEY (pk));
// INSERT INTO different_types (...) VALUES ('key', 'hello', 9223372036854775807, textAsBlob('great'), true,
//   '2017-05-05', 5.45, 36.6, 7.62, '192.168.0.110', -2147483648, 32767, '19:45:05.090',
//   '2015-05-01 09:30:54.234+0000', 50554d6e-29bb-11e5-b345-feff819cdc9f, 127,
//   01234567-0123-0123-0123-0123456789ab, 'привет', 123, 1h4m48s20ms) USING TIMESTAMP 1525385507816568;
fn different_types(_: &Cassandra) -> Case {
    let columns: Vec<(&str, &str, Vec<u8>)> = vec![
        ("asciival", "ascii", text("hello")),
        ("bigintval", "bigint", i64::MAX.to_be_bytes().to_vec()),
        ("blobval", "blob", text("great")),
        ("boolval", "boolean", boolean(true)),
        // date: days since the epoch, offset by 2^31, as u32.
        (
            "dateval",
            "date",
            ((days_from_civil(2017, 5, 5) + (1 << 31)) as u32)
                .to_be_bytes()
                .to_vec(),
        ),
        // decimal: i32 scale, then the unscaled value as a varint (545).
        ("decimalval", "decimal", vec![0, 0, 0, 2, 0x02, 0x21]),
        ("doubleval", "double", 36.6f64.to_be_bytes().to_vec()),
        ("floatval", "float", 7.62f32.to_be_bytes().to_vec()),
        ("inetval", "inet", vec![192, 168, 0, 110]),
        ("intval", "int", int(i32::MIN)),
        ("smallintval", "smallint", 32767i16.to_be_bytes().to_vec()),
        // time: nanoseconds since midnight.
        (
            "timeval",
            "time",
            ((19 * 3600 + 45 * 60 + 5) * 1_000_000_000i64 + 90_000_000)
                .to_be_bytes()
                .to_vec(),
        ),
        // timestamp: milliseconds since the epoch.
        (
            "tsval",
            "timestamp",
            ((days_from_civil(2015, 5, 1) * 86_400 + 9 * 3600 + 30 * 60 + 54) * 1000 + 234)
                .to_be_bytes()
                .to_vec(),
        ),
        (
            "timeuuidval",
            "timeuuid",
            uuid("50554d6e-29bb-11e5-b345-feff819cdc9f"),
        ),
        ("tinyintval", "tinyint", vec![127]),
        (
            "uuidval",
            "uuid",
            uuid("01234567-0123-0123-0123-0123456789ab"),
        ),
        ("varcharval", "varchar", text("привет")),
        ("varintval", "varint", vec![123]),
        ("durationval", "duration", duration(0, 0, 3_888_020_000_000)),
    ];
    let s = schema(
        vec![col("pk", "text")],
        vec![],
        vec![],
        columns.iter().map(|(n, t, _)| col(n, t)).collect(),
    );
    let mut cells: Vec<ColumnData> = columns
        .into_iter()
        .map(|(n, _, v)| simple(reg(&s, n), live(W, v)))
        .collect();
    cells.sort_by_key(|c| match c {
        ColumnData::Simple { column, .. } | ColumnData::Complex { column, .. } => *column,
    });
    let p = partition(text("key"), vec![row(vec![], inserted(W), cells)]);
    case(s, vec![p])
}

/// A `duration`: months, days and nanoseconds as zigzag vints.
fn duration(months: i64, days: i64, nanos: i64) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [months, days, nanos] {
        ilion_sstable::vint::write_signed_vint(v, &mut out);
    }
    out
}

// CREATE TABLE empty_clustering_values (pk int, ck1 text, ck2 int, ck3 text, rc int, PRIMARY KEY (pk, ck1, ck2, ck3));
// INSERT INTO empty_clustering_values (pk, ck1, ck2, ck3, rc) VALUES (0, '', 1, '', 2) USING TIMESTAMP 1525385507816568;
fn empty_clustering_values(_: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck1", "text"), col("ck2", "int"), col("ck3", "text")],
        vec![],
        vec![col("rc", "int")],
    );
    let p = partition(
        int(0),
        vec![row(
            vec![ck(text("")), ck(int(1)), ck(text(""))],
            inserted(W),
            vec![simple(0, live(W, int(2)))],
        )],
    );
    case(s, vec![p])
}

// CREATE TABLE empty_static_row (pk int, ck int, st int static, rc int, PRIMARY KEY (pk, ck));
// INSERT INTO empty_static_row (pk, ck, rc) VALUES ( 0, 1, 2) USING TIMESTAMP 1525385507816568;
// INSERT INTO empty_static_row (pk, ck, st, rc) VALUES ( 1, 1, 2, 3) USING TIMESTAMP 1525385507816578;
fn empty_static_row(_: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck", "int")],
        vec![col("st", "int")],
        vec![col("rc", "int")],
    );
    let first = partition(
        int(0),
        vec![row(
            vec![ck(int(1))],
            inserted(W),
            vec![simple(0, live(W, int(2)))],
        )],
    );
    let t = W + 10;
    let mut second = partition(
        int(1),
        vec![row(
            vec![ck(int(1))],
            inserted(t),
            vec![simple(0, live(t, int(3)))],
        )],
    );
    second.static_row = static_row(vec![simple(0, live(t, int(2)))]);
    case(s, vec![first, second])
}

// CREATE TABLE interleaved_atomic_and_collection_columns (pk int, ck int, rc1 int, rc2 set<int>, rc3 int,
//   rc4 set<int>, rc5 int, rc6 set<int>, PRIMARY KEY (pk, ck));
// INSERT INTO interleaved_atomic_and_collection_columns (pk, ck, rc1, rc4, rc5)
//   VALUES (0, 1, 2, {3, 4}, 5) USING TIMESTAMP 1525385507816568;
fn interleaved_atomic_and_collection_columns(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck", "int")],
        vec![],
        vec![
            col("rc1", "int"),
            col("rc2", "set<int>"),
            col("rc3", "int"),
            col("rc4", "set<int>"),
            col("rc5", "int"),
            col("rc6", "set<int>"),
        ],
    );
    // The overwrite's complex deletion (timestamp − 1) at the statement's
    // local time, from Cassandra's file.
    let now = c.now(0);
    let mut columns = vec![
        simple(reg(&s, "rc1"), live(W, int(2))),
        simple(reg(&s, "rc5"), live(W, int(5))),
        ColumnData::Complex {
            column: reg(&s, "rc4"),
            deletion: deletion(W - 1, now),
            cells: vec![set_element(W, int(3)), set_element(W, int(4))],
        },
    ];
    sort_columns(&mut columns);
    let p = partition(int(0), vec![row(vec![ck(int(1))], inserted(W), columns)]);
    case(s, vec![p])
}

fn sort_columns(columns: &mut [ColumnData]) {
    columns.sort_by_key(|c| match c {
        ColumnData::Simple { column, .. } | ColumnData::Complex { column, .. } => *column,
    });
}

// CREATE TABLE large_clustering_key (pk int, ck1 text, ..., ck35 text, rc int, PRIMARY KEY (pk, ck1, ..., ck35));
// INSERT INTO large_clustering_key (pk, ck1, ..., ck35, rc) VALUES (0, '1', '', '3', ..., '', '35', 1)
//   USING TIMESTAMP 1525385507816568;  (ckX is '' for even X, 'X' for odd X)
fn large_clustering_key(_: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        (1..=35).map(|i| col(&format!("ck{i}"), "text")).collect(),
        vec![],
        vec![col("rc", "int")],
    );
    let clustering = (1..=35)
        .map(|i| {
            ck(if i % 2 == 1 {
                text(&i.to_string())
            } else {
                Vec::new()
            })
        })
        .collect();
    let p = partition(
        int(0),
        vec![row(
            clustering,
            inserted(W),
            vec![simple(0, live(W, int(1)))],
        )],
    );
    case(s, vec![p])
}

// CREATE TABLE many_deleted_partitions (pk int, PRIMARY KEY (pk));
// For pk in 0..65536: DELETE FROM many_deleted_partitions USING TIMESTAMP 1525385507816568 WHERE pk = <pk>;
// (the scylla test: a partition tombstone at write_timestamp per key)
fn many_deleted_partitions(c: &Cassandra) -> Case {
    let s = schema(vec![col("pk", "int")], vec![], vec![], vec![]);
    // The deletions' local time, from Cassandra's file.
    let now = c.now(0);
    let partitions = (0..65536)
        .map(|i| Partition {
            deletion: deletion(W, now),
            ..partition(int(i), vec![])
        })
        .collect();
    case(s, partitions)
}

// CREATE TABLE many_live_partitions (pk int, PRIMARY KEY (pk));
// The scylla test writes 65536 partitions, pk 0..65536, that hold nothing.
fn many_live_partitions(_: &Cassandra) -> Case {
    let s = schema(vec![col("pk", "int")], vec![], vec![], vec![]);
    let partitions = (0..65536).map(|i| partition(int(i), vec![])).collect();
    case(s, partitions)
}

// CREATE TABLE many_range_tombstones (pk text, ck1 text, ck2 text, PRIMARY KEY (pk, ck1, ck2));
// For i in 1000..1100: DELETE FROM many_range_tombstones USING TIMESTAMP 1525385507816568
//   WHERE pk = 'key1' AND ck1 > '<650 a><2i>' AND ck1 < '<650 a><2i+1>';
fn many_range_tombstones(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "text")],
        vec![col("ck1", "text"), col("ck2", "text")],
        vec![],
        vec![],
    );
    // One local time for all the deletions, from Cassandra's file.
    let time = deletion(W, c.now(0));
    let base = "a".repeat(650);
    let mut unfiltereds = Vec::new();
    for i in 1000..1100 {
        unfiltereds.extend(range(
            (ExclStartBound, vec![ck(text(&format!("{base}{}", 2 * i)))]),
            (
                ExclEndBound,
                vec![ck(text(&format!("{base}{}", 2 * i + 1)))],
            ),
            time,
        ));
    }
    case(s, vec![partition(text("key1"), unfiltereds)])
}

// CREATE TABLE missing_columns_large_set (pk int, ck int, rc1 int, ..., rc64 int, PRIMARY KEY (pk, ck));
// INSERT INTO missing_columns_large_set (pk, ck, rc1, ..., rc62) VALUES (0, 0, 1, ..., 62) USING TIMESTAMP 1525385507816568;
// INSERT INTO missing_columns_large_set (pk, ck, rc63, rc64) VALUES (0, 1, 63, 64) USING TIMESTAMP 1525385507816578;
fn missing_columns_large_set(_: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck", "int")],
        vec![],
        (1..=64).map(|i| col(&format!("rc{i}"), "int")).collect(),
    );
    let mut first: Vec<ColumnData> = (1..=62)
        .map(|i| simple(reg(&s, &format!("rc{i}")), live(W, int(i))))
        .collect();
    sort_columns(&mut first);
    let t = W + 10;
    let mut second: Vec<ColumnData> = (63..=64)
        .map(|i| simple(reg(&s, &format!("rc{i}")), live(t, int(i))))
        .collect();
    sort_columns(&mut second);
    let p = partition(
        int(0),
        vec![
            row(vec![ck(int(0))], inserted(W), first),
            row(vec![ck(int(1))], inserted(t), second),
        ],
    );
    case(s, vec![p])
}

// CREATE TABLE multiple_partitions (pk int, rc1 int, rc2 int, rc3 int, PRIMARY KEY (pk));
// INSERT INTO multiple_partitions (pk, rc1) VALUES (1, 10) USING TIMESTAMP 1525385507816568;
// INSERT INTO multiple_partitions (pk, rc2) VALUES (2, 20) USING TIMESTAMP 1525385507816578;
// INSERT INTO multiple_partitions (pk, rc3) VALUES (3, 30) USING TIMESTAMP 1525385507816588;
fn multiple_partitions(_: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![],
        vec![],
        vec![col("rc1", "int"), col("rc2", "int"), col("rc3", "int")],
    );
    let partitions = (1..=3)
        .map(|i| {
            let t = W + 10 * i64::from(i - 1);
            partition(
                int(i),
                vec![row(
                    vec![],
                    inserted(t),
                    vec![simple(reg(&s, &format!("rc{i}")), live(t, int(10 * i)))],
                )],
            )
        })
        .collect();
    case(s, partitions)
}

// CREATE TABLE multiple_rows (pk int, ck int, rc1 int, rc2 int, rc3 int, PRIMARY KEY (pk, ck));
// INSERT INTO multiple_rows (pk, ck, rc1) VALUES (0, 1, 10) USING TIMESTAMP 1525385507816568;
// INSERT INTO multiple_rows (pk, ck, rc2) VALUES (0, 2, 20) USING TIMESTAMP 1525385507816578;
// INSERT INTO multiple_rows (pk, ck, rc3) VALUES (0, 3, 30) USING TIMESTAMP 1525385507816588;
fn multiple_rows(_: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck", "int")],
        vec![],
        vec![col("rc1", "int"), col("rc2", "int"), col("rc3", "int")],
    );
    let rows = (1..=3)
        .map(|i| {
            let t = W + 10 * i64::from(i - 1);
            row(
                vec![ck(int(i))],
                inserted(t),
                vec![simple(reg(&s, &format!("rc{i}")), live(t, int(10 * i)))],
            )
        })
        .collect();
    case(s, vec![partition(int(0), rows)])
}

fn three_text_clusterings() -> TableSchema {
    schema(
        vec![col("pk", "text")],
        vec![col("ck1", "text"), col("ck2", "text"), col("ck3", "text")],
        vec![],
        vec![],
    )
}

// CREATE TABLE non_adjacent_range_tombstones (pk text, ck1 text, ck2 text, ck3 text, PRIMARY KEY (pk, ck1, ck2, ck3));
// DELETE FROM non_adjacent_range_tombstones USING TIMESTAMP 1525385507816568 WHERE pk = 'key' AND ck1 > 'aaa' AND ck1 < 'bbb';
// DELETE FROM non_adjacent_range_tombstones USING TIMESTAMP 1525385507816578 WHERE pk = 'key' AND ck1 > 'bbb' AND ck1 < 'ccc';
fn non_adjacent_range_tombstones(c: &Cassandra) -> Case {
    let s = three_text_clusterings();
    // Each statement's local time, from Cassandra's file, in order.
    let first = deletion(W, c.now(0));
    let second = deletion(W + 10, c.now(1));
    let mut unfiltereds = Vec::new();
    unfiltereds.extend(range(
        (ExclStartBound, vec![ck(text("aaa"))]),
        (ExclEndBound, vec![ck(text("bbb"))]),
        first,
    ));
    unfiltereds.extend(range(
        (ExclStartBound, vec![ck(text("bbb"))]),
        (ExclEndBound, vec![ck(text("ccc"))]),
        second,
    ));
    case(s, vec![partition(text("key"), unfiltereds)])
}

// CREATE TABLE overlapped_range_tombstones (pk text, ck1 text, ck2 text, ck3 text, PRIMARY KEY (pk, ck1, ck2, ck3));
// DELETE FROM overlapped_range_tombstones USING TIMESTAMP 1525385507816568 WHERE pk = 'key' AND ck1 = 'aaa';
// DELETE FROM overlapped_range_tombstones USING TIMESTAMP 1525385507816578 WHERE pk = 'key' AND ck1 = 'aaa' AND ck2 = 'bbb';
fn overlapped_range_tombstones(c: &Cassandra) -> Case {
    let s = three_text_clusterings();
    // Each statement's local time, from Cassandra's file, in order.
    let outer = deletion(W, c.now(0));
    let inner = deletion(W + 10, c.now(1));
    // The newer deletion of [aaa:bbb] lies inside the older one of [aaa]:
    // Cassandra's memtable splits the older range around it (its
    // RangeTombstoneList keeps the newest deletion at every point), and the
    // writer joins the touching pieces into boundary markers.
    let aaa = || vec![ck(text("aaa"))];
    let aaa_bbb = || vec![ck(text("aaa")), ck(text("bbb"))];
    let unfiltereds = vec![
        bound(InclStartBound, aaa(), outer),
        boundary(ExclEndInclStartBoundary, aaa_bbb(), outer, inner),
        boundary(InclEndExclStartBoundary, aaa_bbb(), inner, outer),
        bound(InclEndBound, aaa(), outer),
    ];
    case(s, vec![partition(text("key"), unfiltereds)])
}

// CREATE TABLE overlapped_start_range_tombstones (pk int, ck1 text, ck2 text, PRIMARY KEY (pk, ck1, ck2));
// DELETE FROM overlapped_start_range_tombstones USING TIMESTAMP 1525385507816568 WHERE pk = 0 and ck1 = 'aaa';
// INSERT INTO overlapped_start_range_tombstones (pk, ck1, ck2) VALUES (0, 'aaa', 'bbb') USING TIMESTAMP 1525385507816578;
// DELETE FROM overlapped_start_range_tombstones USING TIMESTAMP 1525385507816588 WHERE pk = 0 AND ck1 = 'aaa' AND ck2 > 'bbb';
fn overlapped_start_range_tombstones(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck1", "text"), col("ck2", "text")],
        vec![],
        vec![],
    );
    // Each deletion's local time, from Cassandra's file, in order.
    let outer = deletion(W, c.now(0));
    let later = deletion(W + 20, c.now(1));
    // The later deletion (aaa:bbb, aaa] supersedes the end of [aaa]: the
    // older range ends where it starts, at a boundary.
    let aaa = || vec![ck(text("aaa"))];
    let aaa_bbb = || vec![ck(text("aaa")), ck(text("bbb"))];
    let unfiltereds = vec![
        bound(InclStartBound, aaa(), outer),
        row(aaa_bbb(), inserted(W + 10), vec![]),
        boundary(InclEndExclStartBoundary, aaa_bbb(), outer, later),
        bound(InclEndBound, aaa(), later),
    ];
    case(s, vec![partition(int(0), unfiltereds)])
}

/// The two materialized-view tables below were written with Scylla's own
/// encoding of a shadowable deletion: extended flag 0x80
/// (HAS_SCYLLA_SHADOWABLE_DELETION) and a second deletion after the row's
/// regular one. Cassandra never writes that (its shadowable deletion is
/// extended flag 0x02 with the one row deletion), and Ilion's data model
/// has no shadowable deletion, so the row holding it cannot match.
const SHADOWABLE: &str = "the row with a shadowable deletion is in Scylla's encoding \
     (extended flag 0x80, a second deletion after the regular one), which Cassandra \
     never writes and Ilion's row model cannot express; every byte before that row's \
     flags, and Index.db, are identical";

/// Index.db identical; Data.db identical up to the flags byte of the last
/// partition's first row, and different there.
fn identical_before_last_partitions_row(o: &Outcome) -> Result<(), String> {
    if let Some(d) = crate::harness::difference("Index.db", &o.ours_index, &o.theirs_index) {
        return Err(d);
    }
    let last = o.written.last().ok_or("no partition")?;
    let mut prefix = (last.key.len() as u16).to_be_bytes().to_vec();
    prefix.extend_from_slice(&last.key);
    let start = o
        .ours_data
        .windows(prefix.len())
        .rposition(|w| w == prefix.as_slice())
        .ok_or("last key not found")?;
    // Key, then the 12-byte deletion time of `mc`/`nb`.
    let row_flags = start + prefix.len() + 12;
    let at = first_difference(&o.ours_data, &o.theirs_data);
    if at != row_flags {
        return Err(format!(
            "Data.db first differs at {at}, not at the row flags ({row_flags}): {}",
            crate::harness::difference("Data.db", &o.ours_data, &o.theirs_data).unwrap_or_default()
        ));
    }
    Ok(())
}

// No CQL for this table itself: the scylla test fills it as the view
//   CREATE TABLE cf (p INT, c INT, v INT, PRIMARY KEY (p, c));
//   CREATE MATERIALIZED VIEW mvf AS SELECT * FROM cf WHERE ... PRIMARY KEY (v, p, c);
//   INSERT INTO cf (p, c, v) VALUES (1, 1, 0) USING TIMESTAMP 1540230874370001;
//   DELETE FROM cf USING TIMESTAMP 1540230874370001 WHERE p = 1 AND c = 1;
//   UPDATE cf USING TIMESTAMP 1540230874370002 SET v = 0 WHERE p = 1 AND c = 1;
//   UPDATE cf USING TIMESTAMP 1540230874370003 SET v = 1 WHERE p = 1 AND c = 1;
// would be: view partition v=1, row (1, 1) with marker …003 and the
// deletion at …001; view partition v=0, row (1, 1) with marker …002, the
// deletion at …001 and a shadowable deletion at …002.
fn regular_and_shadowable_deletion(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("v", "int")],
        vec![col("p", "int"), col("c", "int")],
        vec![],
        vec![],
    );
    // The DELETE's local time, from Cassandra's file (Statistics.db: our
    // reader cannot decode the Scylla-encoded row).
    let regular = deletion(1_540_230_874_370_001, c.now(0));
    let view_row = |marker: i64| {
        Unfiltered::Row(Row {
            clustering: vec![ck(int(1)), ck(int(1))],
            liveness: inserted(marker),
            deletion: Some(regular),
            columns: Vec::new(),
        })
    };
    // Partition v=0's shadowable deletion (…002) cannot be expressed: the
    // row carries the regular deletion only.
    Case {
        schema: s,
        partitions: vec![
            partition(int(1), vec![view_row(1_540_230_874_370_003)]),
            partition(int(0), vec![view_row(1_540_230_874_370_002)]),
        ],
        expect: Expect::Explained {
            reason: SHADOWABLE,
            check: identical_before_last_partitions_row,
        },
        validated: true,
        written_columns_only: false,
    }
}

// No CQL for this table itself: the scylla test fills it as the view
//   CREATE TABLE cf (p int PRIMARY KEY, v int);
//   CREATE MATERIALIZED VIEW mv AS SELECT * FROM cf WHERE ... PRIMARY KEY (v, p);
//   INSERT INTO cf (p, v) VALUES (1, 0);   -- at 1540230874370065
//   UPDATE cf SET v = 1 WHERE p = 1;       -- at 1540230880370422
// would be: view partition 1, row 1 with marker …422; view partition 0,
// row 1 with marker …065 and a shadowable deletion at …065.
fn shadowable_deletion(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck", "int")],
        vec![],
        vec![],
    );
    let ts = 1_540_230_874_370_065;
    // The UPDATE's local time, from Cassandra's file (Statistics.db).
    let now = c.now(0);
    // Ilion writes the shadowable deletion as the row's (regular) deletion.
    Case {
        schema: s,
        partitions: vec![
            partition(
                int(1),
                vec![row(
                    vec![ck(int(1))],
                    inserted(1_540_230_880_370_422),
                    vec![],
                )],
            ),
            partition(
                int(0),
                vec![Unfiltered::Row(Row {
                    clustering: vec![ck(int(1))],
                    liveness: inserted(ts),
                    deletion: Some(deletion(ts, now)),
                    columns: Vec::new(),
                })],
            ),
        ],
        expect: Expect::Explained {
            reason: SHADOWABLE,
            check: identical_before_last_partitions_row,
        },
        validated: true,
        written_columns_only: false,
    }
}

// CREATE TABLE simple_range_tombstone (pk int, ck1 text, ck2 text, rc text, PRIMARY KEY (pk, ck1, ck2));
// DELETE FROM simple_range_tombstone USING TIMESTAMP 1525385507816568 WHERE pk = 0 and ck1 = 'aaa';
fn simple_range_tombstone(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck1", "text"), col("ck2", "text")],
        vec![],
        vec![col("rc", "text")],
    );
    // The deletion's local time, from Cassandra's file.
    let time = deletion(W, c.now(0));
    let unfiltereds = range(
        (InclStartBound, vec![ck(text("aaa"))]),
        (InclEndBound, vec![ck(text("aaa"))]),
        time,
    )
    .to_vec();
    Case {
        // Cassandra wrote this one: its header lists only the columns the
        // memtable's statements wrote, none for a range deletion (rc is
        // not listed).
        written_columns_only: true,
        ..case(s, vec![partition(int(0), unfiltereds)])
    }
}

// CREATE TABLE static_interleaved_atomic_and_collection_columns (pk int, ck int, st1 int static,
//   st2 set<int> static, st3 int static, st4 set<int> static, st5 int static, st6 set<int> static,
//   PRIMARY KEY (pk, ck));
// INSERT INTO static_interleaved_atomic_and_collection_columns (pk, ck, st1, st4, st5)
//   VALUES (0, 1, 2, {3, 4}, 5) USING TIMESTAMP 1525385507816568;
fn static_interleaved_atomic_and_collection_columns(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck", "int")],
        vec![
            col("st1", "int"),
            col("st2", "set<int>"),
            col("st3", "int"),
            col("st4", "set<int>"),
            col("st5", "int"),
            col("st6", "set<int>"),
        ],
        vec![],
    );
    // The overwrite's complex deletion (timestamp − 1) at the statement's
    // local time, from Cassandra's file.
    let now = c.now(0);
    let mut columns = vec![
        simple(stat(&s, "st1"), live(W, int(2))),
        simple(stat(&s, "st5"), live(W, int(5))),
        ColumnData::Complex {
            column: stat(&s, "st4"),
            deletion: deletion(W - 1, now),
            cells: vec![set_element(W, int(3)), set_element(W, int(4))],
        },
    ];
    sort_columns(&mut columns);
    let mut p = partition(int(0), vec![row(vec![ck(int(1))], inserted(W), vec![])]);
    p.static_row = static_row(columns);
    case(s, vec![p])
}

// CREATE TABLE static_row (pk text, ck int, st1 int static, st2 text static, PRIMARY KEY (pk, ck));
// INSERT INTO static_row (pk, st1, st2) values ('key1', 1135, 'hello') USING TIMESTAMP 1525385507816568;
fn static_row_case(_: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "text")],
        vec![col("ck", "int")],
        vec![col("st1", "int"), col("st2", "text")],
        vec![],
    );
    let mut p = partition(text("key1"), vec![]);
    p.static_row = static_row(vec![
        simple(stat(&s, "st1"), live(W, int(1135))),
        simple(stat(&s, "st2"), live(W, text("hello"))),
    ]);
    case(s, vec![p])
}

// CREATE TABLE static_row (pk int, ck int, st1 int static, st2 int static, rc int, PRIMARY KEY (pk, ck));
// INSERT INTO static_row (pk, ck, st1, rc) VALUES (0, 1, 2, 3);  (at 1525385507816568)
fn static_row_with_missing_columns(_: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck", "int")],
        vec![col("st1", "int"), col("st2", "int")],
        vec![col("rc", "int")],
    );
    let mut p = partition(
        int(0),
        vec![row(
            vec![ck(int(1))],
            inserted(W),
            vec![simple(0, live(W, int(3)))],
        )],
    );
    p.static_row = static_row(vec![simple(stat(&s, "st1"), live(W, int(2)))]);
    case(s, vec![p])
}

// CREATE TABLE ttled_column (pk text, rc int, PRIMARY KEY (pk));
// UPDATE ttled_column USING TTL 1135 AND TIMESTAMP 1525385507816568 SET rc = 1 WHERE pk='key';
fn ttled_column(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "text")],
        vec![],
        vec![],
        vec![col("rc", "int")],
    );
    // The local expiration time (the statement's local time + 1135), from
    // Cassandra's file.
    let expiry = c.now(0);
    let cell = Cell {
        timestamp: W,
        kind: CellKind::Expiring {
            ttl: 1135,
            local_expiration_time: expiry,
        },
        path: None,
        value: int(1),
    };
    let p = partition(text("key"), vec![row(vec![], None, vec![simple(0, cell)])]);
    case(s, vec![p])
}

// CREATE TABLE ttled_row (pk int, ck int, rc int, PRIMARY KEY (pk, ck));
// INSERT INTO ttled_row (pk, ck, rc) VALUES ( 1, 2, 3) USING TTL 1135 AND TIMESTAMP 1525385507816568;
fn ttled_row(c: &Cassandra) -> Case {
    let s = schema(
        vec![col("pk", "int")],
        vec![col("ck", "int")],
        vec![],
        vec![col("rc", "int")],
    );
    // The local expiration time (the statement's local time + 1135), from
    // Cassandra's file.
    let expiry = c.now(0);
    let cell = Cell {
        timestamp: W,
        kind: CellKind::Expiring {
            ttl: 1135,
            local_expiration_time: expiry,
        },
        path: None,
        value: int(3),
    };
    let liveness = Some(LivenessInfo {
        timestamp: W,
        expiry: Some((1135, expiry)),
    });
    let p = partition(
        int(1),
        vec![row(vec![ck(int(2))], liveness, vec![simple(0, cell)])],
    );
    case(s, vec![p])
}

// CREATE TYPE ut (my_int int, my_boolean boolean, my_text text);
// CREATE TABLE user_defined_type_table (pk int, rc frozen <ut>, PRIMARY KEY (pk));   (keyspace sst3)
// INSERT INTO user_defined_type_table (pk, rc) VALUES (0, {my_int: 1703, my_boolean: true,
//   my_text: 'Санкт-Петербург'}) USING TIMESTAMP 1525385507816568;
fn user_defined_type_table(_: &Cassandra) -> Case {
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    let fields = [
        ("my_int", "Int32Type"),
        ("my_boolean", "BooleanType"),
        ("my_text", "UTF8Type"),
    ]
    .iter()
    .map(|(n, t)| format!("{}:{M}{t}", hex(n)))
    .collect::<Vec<_>>()
    .join(",");
    let ut = format!("{M}FrozenType({M}UserType(sst3,{},{fields}))", hex("ut"));
    let s = schema(
        vec![col("pk", "int")],
        vec![],
        vec![],
        vec![Column::new("rc", ut)],
    );
    // A frozen UDT value: each field as an i32 length and its bytes.
    let mut value = Vec::new();
    for field in [int(1703), boolean(true), text("Санкт-Петербург")] {
        value.extend_from_slice(&(field.len() as i32).to_be_bytes());
        value.extend(field);
    }
    let p = partition(
        int(0),
        vec![row(vec![], inserted(W), vec![simple(0, live(W, value))])],
    );
    case(s, vec![p])
}
