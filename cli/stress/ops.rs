//! Each timed workload as operations for the driver: what a thread does
//! on its i-th call.

use super::driver::{drive, Done, Kind, Outcome, Plan};
use super::workload::{key, missing_key, value_at, Workload};
use super::StressArgs;
use crate::store::{Series, Store};
use crate::ycsb::{self, AcknowledgedCounter, CoreWorkload, KeyChooser, Operation};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::error::Error;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Pairs a sequential read asks for at a time.
const PAGE: usize = 1000;
/// Pairs db_bench's seekrandom reads after each seek (`--seek_nexts`).
const SEEK_NEXTS: usize = 10;
/// Readings a time-series read asks for.
const LATEST: usize = 10;
/// Simulated time between two readings of a sensor: 5 minutes, 288 a day.
const READING_MILLIS: u64 = 5 * 60 * 1000;
const DAY_MILLIS: u64 = 86_400_000;
/// Simulated time of every sensor's first reading: 2026-01-01.
const FIRST_READING_MILLIS: u64 = 1_767_225_600_000;

/// YCSB's data set on one engine: how many records the load wrote, and
/// the insert counter the run phases share.
#[derive(Default)]
pub struct YcsbData {
    counter: Option<AcknowledgedCounter>,
}

/// Time series on one engine: readings written per sensor so far.
pub struct SeriesData {
    readings: Vec<AtomicU64>,
}

impl SeriesData {
    /// `sensors` sensors without readings.
    pub fn new(sensors: usize) -> SeriesData {
        SeriesData {
            readings: (0..sensors.max(1)).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn day_of(reading: u64) -> u32 {
        ((FIRST_READING_MILLIS + reading * READING_MILLIS) / DAY_MILLIS) as u32
    }
}

/// What the workloads of one engine share.
pub struct Context<'a> {
    /// The engine.
    pub db: &'a dyn Store,
    /// The command line.
    pub args: &'a StressArgs,
    /// db_bench-style value bytes.
    pub values: &'a [u8],
    /// YCSB's records.
    pub ycsb: &'a mut YcsbData,
    /// The time series.
    pub series: &'a SeriesData,
}

impl Context<'_> {
    fn plan(&self, workload: Workload, ops: u64) -> Plan {
        let threads = self.args.threads.max(1);
        Plan {
            label: workload.name(),
            threads,
            ops_per_thread: ops / threads as u64,
            duration: self.args.duration.map(std::time::Duration::from_secs_f64),
            rate: self.args.rate,
        }
    }

    fn rng(&self, thread: usize, workload: Workload) -> StdRng {
        StdRng::seed_from_u64(self.args.seed ^ ((thread as u64) << 32) ^ workload as u64)
    }

    fn pair_bytes(&self) -> u64 {
        (self.args.key_size + self.args.value_size) as u64
    }

    /// Whether YCSB's records still need loading.
    pub fn ycsb_loaded(&self) -> bool {
        self.ycsb.counter.is_some()
    }
}

/// Runs a timed workload (not the compaction steps).
pub fn run(cx: &mut Context<'_>, workload: Workload) -> Result<Outcome, Box<dyn Error>> {
    let (db, args, values) = (cx.db, cx.args, cx.values);
    let num = args.num.max(1);
    let (key_size, value_size) = (args.key_size, args.value_size);
    let pair = cx.pair_bytes();
    let plan = cx.plan(workload, num);
    let per_thread = plan.ops_per_thread;
    let cx = &*cx;
    match workload {
        Workload::Fillseq | Workload::Fillrandom | Workload::Overwrite => drive(
            &plan,
            |t| {
                let mut rng = cx.rng(t, workload);
                Ok(move |i: u64| {
                    let n = match workload {
                        Workload::Fillseq => t as u64 * per_thread + i,
                        _ => rng.random_range(0..num),
                    };
                    db.put(&key(n, key_size), value_at(values, n ^ i, value_size))?;
                    Ok(Done::one(Kind::Write).wrote(pair))
                })
            },
            None,
        ),
        Workload::Readrandom | Workload::Readmissing | Workload::Readwhilecompacting => drive(
            &plan,
            |t| {
                let mut rng = cx.rng(t, workload);
                Ok(move |_| {
                    let n = rng.random_range(0..num);
                    let k = match workload {
                        Workload::Readmissing => missing_key(n, key_size),
                        _ => key(n, key_size),
                    };
                    let value = db.get(&k)?;
                    let read = value.map_or(0, |v| (k.len() + v) as u64);
                    Ok(Done::one(Kind::Read).found(value.is_some()).read(read))
                })
            },
            None,
        ),
        Workload::Readwhilewriting => {
            let writer = |stop: &AtomicBool| -> Result<u64, String> {
                let mut rng = cx.rng(usize::MAX >> 1, Workload::Overwrite);
                let mut written = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let n = rng.random_range(0..num);
                    db.put(&key(n, key_size), value_at(values, n ^ written, value_size))?;
                    written += 1;
                }
                Ok(written)
            };
            drive(
                &plan,
                |t| {
                    let mut rng = cx.rng(t, workload);
                    Ok(move |_| {
                        let k = key(rng.random_range(0..num), key_size);
                        let value = db.get(&k)?;
                        let read = value.map_or(0, |v| (k.len() + v) as u64);
                        Ok(Done::one(Kind::Read).found(value.is_some()).read(read))
                    })
                },
                Some(&writer),
            )
        }
        Workload::Readseq | Workload::Readreverse => drive(
            &Plan {
                ops_per_thread: u64::MAX,
                ..plan
            },
            |_| {
                // db_bench: every thread reads from the start.
                let mut cursor: Option<Vec<u8>> = None;
                let mut left = per_thread;
                Ok(move |_| {
                    let want = PAGE.min(left as usize);
                    let page = match workload {
                        Workload::Readseq => db.scan_page(cursor.as_deref(), want)?,
                        _ => db.scan_page_reverse(cursor.as_deref(), want)?,
                    };
                    let count = page.len() as u64;
                    left -= count;
                    let last = page.len() < want || left == 0;
                    cursor = page.last().cloned();
                    Ok(Done {
                        count,
                        found: count,
                        bytes_read: count * pair,
                        last,
                        ..Done::one(Kind::Scan)
                    })
                })
            },
            None,
        ),
        Workload::Seekrandom => drive(
            &plan,
            |t| {
                let mut rng = cx.rng(t, workload);
                Ok(move |_| {
                    let read = db.seek(&key(rng.random_range(0..num), key_size), SEEK_NEXTS)?;
                    Ok(Done::one(Kind::Seek)
                        .found(read > 0)
                        .read(read as u64 * pair))
                })
            },
            None,
        ),
        Workload::Deleterandom => drive(
            &plan,
            |t| {
                let mut rng = cx.rng(t, workload);
                Ok(move |_| {
                    db.delete(&key(rng.random_range(0..num), key_size))?;
                    Ok(Done::one(Kind::Delete).wrote(key_size as u64))
                })
            },
            None,
        ),
        Workload::Timeseries => timeseries(cx, &plan),
        Workload::YcsbLoad => Err("ycsb-load runs through ycsb_load".into()),
        Workload::Waitcompactions | Workload::Compact => {
            Err(format!("{} is not a timed workload", workload.name()).into())
        }
        Workload::YcsbA
        | Workload::YcsbB
        | Workload::YcsbC
        | Workload::YcsbD
        | Workload::YcsbE
        | Workload::YcsbF => Err("YCSB's run phases run through ycsb_run".into()),
    }
}

/// The `i`-th field value of record `keynum`.
fn field_value(values: &[u8], keynum: u64, field: usize) -> &[u8] {
    value_at(
        values,
        keynum * ycsb::FIELD_COUNT as u64 + field as u64,
        ycsb::FIELD_LENGTH,
    )
}

/// Record bytes as YCSB counts them: the key and every field.
fn record_bytes(key: &[u8]) -> u64 {
    (key.len() + ycsb::FIELD_COUNT * ycsb::FIELD_LENGTH) as u64
}

/// YCSB's load phase: `num` records under hashed keys, threads taking
/// record numbers in turn.
pub fn ycsb_load(cx: &mut Context<'_>) -> Result<Outcome, Box<dyn Error>> {
    let (db, values) = (cx.db, cx.values);
    let records = cx.args.num.max(1);
    // A load is a fixed amount of data: no time limit, no rate.
    let plan = Plan {
        duration: None,
        rate: None,
        ..cx.plan(Workload::YcsbLoad, records)
    };
    let threads = plan.threads as u64;
    let loaded = records / threads * threads;
    if loaded == 0 {
        return Err("YCSB's load needs --num of at least --threads records".into());
    }
    let outcome = drive(
        &plan,
        |t| {
            Ok(move |i: u64| {
                let keynum = i * threads + t as u64;
                let key = ycsb::record_key(keynum).into_bytes();
                let fields: Vec<&[u8]> = (0..ycsb::FIELD_COUNT)
                    .map(|f| field_value(values, keynum, f))
                    .collect();
                db.insert_record(&key, &fields)?;
                Ok(Done::one(Kind::Insert).wrote(record_bytes(&key)))
            })
        },
        None,
    )?;
    cx.ycsb.counter = Some(AcknowledgedCounter::new(loaded));
    Ok(outcome)
}

/// A YCSB run phase on the loaded records.
pub fn ycsb_run(
    cx: &mut Context<'_>,
    core: CoreWorkload,
    workload: Workload,
) -> Result<Outcome, Box<dyn Error>> {
    let (db, values) = (cx.db, cx.values);
    let plan = cx.plan(workload, cx.args.num.max(1));
    let operations = plan.ops_per_thread * plan.threads as u64;
    let counter = cx
        .ycsb
        .counter
        .as_ref()
        .ok_or("YCSB's records are not loaded")?;
    let records = counter.last_value() + 1;
    let cx = &*cx;
    drive(
        &plan,
        |t| {
            let mut rng = cx.rng(t, workload);
            let mut chooser = KeyChooser::new(core, records, operations);
            Ok(move |i: u64| {
                let done = match core.operation(&mut rng) {
                    Operation::Read => {
                        let key = ycsb::record_key(chooser.next(&mut rng, counter)).into_bytes();
                        let fields = db.read_record(&key)?;
                        Done::one(Kind::Read)
                            .found(fields.is_some())
                            .read(fields.map_or(0, |_| record_bytes(&key)))
                    }
                    Operation::Update => {
                        let keynum = chooser.next(&mut rng, counter);
                        let key = ycsb::record_key(keynum).into_bytes();
                        let field = ycsb::update_field(&mut rng);
                        db.update_field(&key, field, field_value(values, keynum ^ i, field))?;
                        Done::one(Kind::Update).wrote((key.len() + ycsb::FIELD_LENGTH) as u64)
                    }
                    Operation::Insert => {
                        let keynum = counter.next();
                        let key = ycsb::record_key(keynum).into_bytes();
                        let fields: Vec<&[u8]> = (0..ycsb::FIELD_COUNT)
                            .map(|f| field_value(values, keynum, f))
                            .collect();
                        db.insert_record(&key, &fields)?;
                        counter.acknowledge(keynum);
                        Done::one(Kind::Insert).wrote(record_bytes(&key))
                    }
                    Operation::Scan => {
                        let key = ycsb::record_key(chooser.next(&mut rng, counter)).into_bytes();
                        let length = ycsb::scan_length(&mut rng) as usize;
                        let read = db.scan_records(&key, length)?;
                        Done::one(Kind::Scan)
                            .found(read > 0)
                            .read(read as u64 * record_bytes(&key))
                    }
                    Operation::ReadModifyWrite => {
                        let keynum = chooser.next(&mut rng, counter);
                        let key = ycsb::record_key(keynum).into_bytes();
                        let fields = db.read_record(&key)?;
                        let field = ycsb::update_field(&mut rng);
                        db.update_field(&key, field, field_value(values, keynum ^ i, field))?;
                        Done::one(Kind::ReadModifyWrite)
                            .found(fields.is_some())
                            .read(fields.map_or(0, |_| record_bytes(&key)))
                            .wrote((key.len() + ycsb::FIELD_LENGTH) as u64)
                    }
                };
                Ok(done)
            })
        },
        None,
    )
}

/// Half appends of the next reading of a random sensor, half reads of the
/// latest readings of a random day of a random sensor.
fn timeseries(cx: &Context<'_>, plan: &Plan) -> Result<Outcome, Box<dyn Error>> {
    let (db, series) = (cx.db, cx.series);
    let sensors = series.readings.len();
    drive(
        plan,
        |t| {
            let mut rng = cx.rng(t, Workload::Timeseries);
            Ok(move |_| {
                let sensor = rng.random_range(0..sensors);
                let readings = &series.readings[sensor];
                if rng.random_bool(0.5) {
                    let n = readings.fetch_add(1, Ordering::Relaxed);
                    let at = FIRST_READING_MILLIS + n * READING_MILLIS;
                    let s = Series {
                        sensor: sensor as u32,
                        day: SeriesData::day_of(n),
                    };
                    db.append_point(s, at, rng.random::<f64>() * 100.0)?;
                    Ok(Done::one(Kind::Append).wrote(24))
                } else {
                    let written = readings.load(Ordering::Relaxed);
                    let first = SeriesData::day_of(0);
                    let last = SeriesData::day_of(written.saturating_sub(1));
                    let s = Series {
                        sensor: sensor as u32,
                        day: rng.random_range(first..=last),
                    };
                    let read = db.latest_points(s, LATEST)?;
                    Ok(Done::one(Kind::ReadLatest)
                        .found(read > 0)
                        .read(read as u64 * 16))
                }
            })
        },
        None,
    )
}
