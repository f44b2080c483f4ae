//! The generators of YCSB's core workloads (A to F), ported from
//! brianfrankcooper/YCSB (`core/src/main/java/site/ycsb/generator/*.java`,
//! `workloads/CoreWorkload.java`, `Utils.java` and `workloads/workload[a-f]`).
//!
//! YCSB results are only comparable with other engines' published numbers if
//! the key space, the key popularity and the operation mix are the same, so
//! the constants and formulas here follow YCSB's Java exactly, including its
//! quirks (each is pointed out where it matters). The deliberate deviations
//! are few, documented on the item concerned, and none changes a
//! distribution by more than a floating-point rounding case:
//!
//! - random numbers come from the caller's [`rand::Rng`] instead of Java's
//!   `ThreadLocalRandom`, so runs can be seeded and repeated;
//! - [`AcknowledgedCounter`] advances its limit under a mutex instead of
//!   YCSB's `tryLock`, which can leave the limit behind until the next
//!   acknowledgement;
//! - [`Zipfian`] clamps its result into range for the one `u` so close to 1
//!   that YCSB's formula rounds to `min + items`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rand::Rng;

/// FNV-1 64-bit offset basis (YCSB `Utils.FNV_OFFSET_BASIS_64`).
const FNV_OFFSET_BASIS_64: u64 = 0xCBF2_9CE4_8422_2325;

/// FNV-1 64-bit prime (YCSB `Utils.FNV_PRIME_64`).
const FNV_PRIME_64: u64 = 1_099_511_628_211;

/// YCSB's `ZipfianGenerator.ZIPFIAN_CONSTANT`, the skew every core workload
/// uses.
const ZIPFIAN_CONSTANT: f64 = 0.99;

/// YCSB's `ScrambledZipfianGenerator.ITEM_COUNT`: the scrambled generator
/// draws from a fixed, huge item space and hashes the result onto the real
/// key range, so its popularity ranking does not depend on the record count.
const SCRAMBLED_ITEM_COUNT: u64 = 10_000_000_000;

/// YCSB's `ScrambledZipfianGenerator.ZETAN`: zeta(10^10, 0.99), precomputed
/// because summing 10^10 terms takes minutes. (An Euler-Maclaurin estimate
/// of zeta(10^10, 0.99) agrees to 1e-12.)
const SCRAMBLED_ZETAN: f64 = 26.469_028_201_783_02;

/// YCSB's `Utils.fnvhash64`: FNV-1a over the 8 bytes of `value`, least
/// significant first, then Java's `Math.abs` of the result as a signed
/// 64-bit integer.
///
/// `Math.abs(Long.MIN_VALUE)` is `Long.MIN_VALUE` in Java; that is kept
/// (the result is then `1 << 63`). It is the only output above
/// `i64::MAX`, and no input is known to produce it.
pub fn fnv64(value: u64) -> u64 {
    let mut hash = FNV_OFFSET_BASIS_64;
    // Java shifts the (signed) value right by 8 each round and takes the low
    // octet: over exactly 8 rounds those are the little-endian bytes, so the
    // arithmetic shift never shows.
    for octet in value.to_le_bytes() {
        hash ^= u64::from(octet);
        hash = hash.wrapping_mul(FNV_PRIME_64);
    }
    java_abs(hash.cast_signed())
}

/// Java's `Math.abs(long)`, returned as the unsigned bit pattern: the
/// absolute value, except `i64::MIN`, which Java leaves as is.
fn java_abs(value: i64) -> u64 {
    value.wrapping_abs().cast_unsigned()
}

/// The record key YCSB builds for record number `keynum`
/// (`CoreWorkload.buildKeyName` with the defaults `insertorder=hashed` and
/// `zeropadding=1`): `"user"` followed by the decimal [`fnv64`] of `keynum`.
/// Hashing scatters consecutive inserts over the key space, as YCSB's
/// workload files intend.
pub fn record_key(keynum: u64) -> String {
    // zeropadding=1 pads to at least one digit, which a decimal number
    // always has: no padding is ever added.
    format!("user{}", fnv64(keynum))
}

/// zeta(n, theta) continued from a partial sum: `initial` is the sum of the
/// first `start` terms, and the result the sum of the first `n`, where term
/// `i` (1-based) is `1 / i^theta` (YCSB `ZipfianGenerator.zetastatic`).
/// Adding terms to the previous sum, rather than starting over, is what
/// makes growing the item count cost O(new items).
fn zeta(start: u64, n: u64, theta: f64, initial: f64) -> f64 {
    let mut sum = initial;
    for i in start..n {
        // Java converts `i + 1` (a long) to double the same way.
        sum += 1.0 / ((i + 1) as f64).powf(theta);
    }
    sum
}

/// A Zipfian distribution over the items `[min, min + items)`: item `min`
/// is the most popular, `min + 1` the next, and so on, with popularity
/// proportional to `1 / rank^theta` (YCSB `ZipfianGenerator`, after Gray et
/// al., "Quickly Generating Billion-Record Synthetic Databases", SIGMOD
/// 1994).
///
/// Drawing is O(1): one uniform number and one `powf`. Setting it up costs
/// O(items), for zeta(items, theta), unless a precomputed zeta is given to
/// [`Zipfian::with_zetan`]. The item count can change between draws with
/// [`Zipfian::next_for`]; growth adds only the new terms to zeta, as YCSB
/// does for its "latest" distribution, where the item count is the number of
/// inserted records.
#[derive(Debug, Clone)]
pub struct Zipfian {
    /// The most popular item (YCSB `base`).
    base: u64,
    /// The item count given at construction. YCSB keeps using it in `eta`
    /// even after the count changes (see [`Zipfian::next_for`]).
    items: u64,
    /// The skew (YCSB `theta`, its `zipfianconstant`).
    theta: f64,
    /// `1 / (1 - theta)`, the exponent of the draw's closed form.
    alpha: f64,
    /// zeta(2, theta) = 1 + 0.5^theta.
    zeta2theta: f64,
    /// 0.5^theta, the share of item `base + 1` relative to item `base`.
    half_pow_theta: f64,
    /// zeta(count_for_zeta, theta).
    zetan: f64,
    /// Gray et al.'s `eta`, derived from `items`, `zeta2theta` and `zetan`.
    eta: f64,
    /// The item count `zetan` was computed for (YCSB `countforzeta`): the
    /// current item count.
    count_for_zeta: u64,
}

impl Zipfian {
    /// A Zipfian distribution over `[min, min + items)` with skew `theta`
    /// (in (0, 1); YCSB uses 0.99), computing zeta(items, theta), which
    /// takes O(items) time (about 20 ms per million items).
    pub fn new(min: u64, items: u64, theta: f64) -> Zipfian {
        Zipfian::with_zetan(min, items, theta, zeta(0, items, theta, 0.0))
    }

    /// As [`Zipfian::new`], with zeta(items, theta) already computed as
    /// `zetan`: the constructor then does O(1) work.
    pub fn with_zetan(min: u64, items: u64, theta: f64, zetan: f64) -> Zipfian {
        let zeta2theta = zeta(0, 2, theta, 0.0);
        Zipfian {
            base: min,
            items,
            theta,
            alpha: 1.0 / (1.0 - theta),
            zeta2theta,
            half_pow_theta: 0.5f64.powf(theta),
            zetan,
            eta: eta(items, theta, zeta2theta, zetan),
            count_for_zeta: items,
        }
    }

    /// The next item, over the current item count: the one given at
    /// construction, or the last one passed to [`Zipfian::next_for`].
    ///
    /// (YCSB's `nextValue()` always passes the constructor's count, which
    /// after a growth would draw over the old count with the new zeta; no
    /// YCSB generator does that, and drawing over the current count is what
    /// a caller means.)
    pub fn next(&mut self, rng: &mut impl Rng) -> u64 {
        let items = self.count_for_zeta;
        self.next_for(rng, items)
    }

    /// The next item in `[min, min + items)`, first adjusting zeta if the
    /// item count changed (YCSB `nextLong(itemcount)`).
    ///
    /// A larger count adds the new terms to zeta: O(new items), so O(1)
    /// amortised per insert when the count follows the inserted records. A
    /// smaller count recomputes zeta from scratch, O(items): YCSB skips that
    /// recomputation by default (`allowitemcountdecrease = false`, drawing
    /// with the stale zeta), but the exact distribution is worth the cost of
    /// a case no core workload reaches, as their item counts only grow.
    ///
    /// As in YCSB, `eta` keeps the item count given at construction rather
    /// than the current one: after growth from n to m items, the items in
    /// `[min + 2, min + 2m/n)` are never drawn. For YCSB's workload D (5%
    /// inserts) that is a few items at most; it is kept so the key
    /// popularity matches YCSB's.
    pub fn next_for(&mut self, rng: &mut impl Rng, items: u64) -> u64 {
        if items != self.count_for_zeta {
            self.zetan = if items > self.count_for_zeta {
                zeta(self.count_for_zeta, items, self.theta, self.zetan)
            } else {
                zeta(0, items, self.theta, 0.0)
            };
            self.count_for_zeta = items;
            self.eta = eta(self.items, self.theta, self.zeta2theta, self.zetan);
        }
        // Uniform in [0, 1) with 53 random bits, as Java's nextDouble().
        let u: f64 = rng.random();
        self.value_for(u, items)
    }

    /// The item for the uniform draw `u` in [0, 1), over `items` items
    /// (zeta must already be for `items`): Gray et al.'s closed form, with
    /// the two most popular items special-cased as they fall outside it.
    fn value_for(&self, u: f64, items: u64) -> u64 {
        let uz = u * self.zetan;
        if uz < 1.0 {
            return self.base;
        }
        if uz < 1.0 + self.half_pow_theta {
            return self.base + 1;
        }
        // `as` truncates toward zero (and saturates), as Java's (long) cast.
        let offset = (items as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        // For u within a few ulps of 1, `eta * u - eta + 1` rounds to
        // exactly 1 and YCSB returns `base + items`, one past the range;
        // clamp that case (probability around 1e-15) into range.
        self.base + offset.min(items.saturating_sub(1))
    }
}

/// Gray et al.'s `eta = (1 - (2/n)^(1-theta)) / (1 - zeta(2)/zeta(n))`.
fn eta(items: u64, theta: f64, zeta2theta: f64, zetan: f64) -> f64 {
    (1.0 - (2.0 / items as f64).powf(1.0 - theta)) / (1.0 - zeta2theta / zetan)
}

/// A Zipfian distribution whose popular items are scattered over
/// `[min, max]` instead of clustered at `min` (YCSB
/// `ScrambledZipfianGenerator`): a [`Zipfian`] with skew 0.99 over a fixed
/// space of 10^10 items, hashed with [`fnv64`] onto the range
/// (`min + fnv64(v) % (max - min + 1)`).
///
/// Because the underlying space is fixed, construction is O(1) (zeta is
/// YCSB's precomputed constant) and which keys are hot does not depend on
/// the range's size beyond the modulus.
#[derive(Debug, Clone)]
pub struct ScrambledZipfian {
    /// The smallest value returned.
    min: u64,
    /// `max - min + 1`, the number of values returned.
    item_count: u64,
    /// The draw over the fixed item space.
    generator: Zipfian,
}

impl ScrambledZipfian {
    /// Values in `[min, max]`, `max` inclusive as in YCSB.
    ///
    /// # Panics
    ///
    /// If `max < min`.
    pub fn new(min: u64, max: u64) -> ScrambledZipfian {
        assert!(min <= max, "ScrambledZipfian: min {min} > max {max}");
        ScrambledZipfian {
            min,
            // Saturating only matters for [0, u64::MAX], one value short.
            item_count: (max - min).saturating_add(1),
            // YCSB builds `new ZipfianGenerator(0, ITEM_COUNT, ...)`, whose
            // max is inclusive: ITEM_COUNT + 1 items, with the zeta of
            // ITEM_COUNT items. The extra item only shifts eta by ~1e-12.
            generator: Zipfian::with_zetan(
                0,
                SCRAMBLED_ITEM_COUNT + 1,
                ZIPFIAN_CONSTANT,
                SCRAMBLED_ZETAN,
            ),
        }
    }

    /// The next value in `[min, max]`.
    pub fn next(&mut self, rng: &mut impl Rng) -> u64 {
        let item = self.generator.next(rng);
        self.scramble(item)
    }

    /// Maps an item of the fixed space onto `[min, max]`.
    fn scramble(&self, item: u64) -> u64 {
        self.min + fnv64(item) % self.item_count
    }
}

/// A distribution favouring the most recently inserted records (YCSB
/// `SkewedLatestGenerator`, the "latest" request distribution of workload
/// D): `latest - z`, where `z` is [`Zipfian`] over `latest` items and
/// `latest` the last acknowledged insert, so record `latest` is the most
/// popular, `latest - 1` the next, and so on.
///
/// Draws lie in `[1, latest]` (record 0 is never chosen, as in YCSB, whose
/// Zipfian is one item short of the records), or are 0 when `latest` is 0.
#[derive(Debug, Clone)]
pub struct SkewedLatest {
    /// The distribution of the distance back from `latest`; its item count
    /// follows `latest`.
    zipfian: Zipfian,
}

impl SkewedLatest {
    /// A generator whose first `latest` will be about `initial_latest`
    /// (YCSB passes the counter's `lastValue()`, `recordcount - 1`). Takes
    /// O(initial_latest) time to compute zeta.
    pub fn new(initial_latest: u64) -> SkewedLatest {
        SkewedLatest {
            zipfian: Zipfian::new(0, initial_latest, ZIPFIAN_CONSTANT),
        }
    }

    /// The next record number in `[1, latest]` (0 if `latest` is 0), skewed
    /// towards `latest`. O(1) plus O(growth of `latest` since the last
    /// call).
    pub fn next(&mut self, rng: &mut impl Rng, latest: u64) -> u64 {
        latest.saturating_sub(self.zipfian.next_for(rng, latest))
    }
}

/// Hands out the record numbers of inserts and tracks the highest number up
/// to which every insert has been acknowledged (YCSB
/// `AcknowledgedCounterGenerator`): reads, updates and scans only choose
/// keys up to that limit, so they never target a record still being
/// written.
///
/// Shared by all client threads. [`AcknowledgedCounter::next`] is one atomic
/// add and [`AcknowledgedCounter::last_value`] one atomic load;
/// [`AcknowledgedCounter::acknowledge`] takes a mutex around a min-heap of
/// the acknowledgements that arrived ahead of a gap. YCSB uses a `tryLock`
/// there, which can leave the limit behind an acknowledged value until the
/// next acknowledgement; the plain lock keeps the limit exact.
#[derive(Debug)]
pub struct AcknowledgedCounter {
    /// The record number the next insert gets.
    next: AtomicU64,
    /// One past the last value of the acknowledged prefix: every value
    /// below it is acknowledged. Stored this way so a counter starting at 0
    /// needs no -1. Only written under `pending`'s lock.
    watermark: AtomicU64,
    /// Acknowledged values above a gap, waiting for the gap to fill.
    pending: Mutex<BinaryHeap<Reverse<u64>>>,
}

impl AcknowledgedCounter {
    /// A counter whose first insert gets `start`, with every value below
    /// `start` counted as acknowledged (YCSB starts it at `recordcount`, the
    /// loaded records being `0..recordcount`).
    pub fn new(start: u64) -> AcknowledgedCounter {
        AcknowledgedCounter {
            next: AtomicU64::new(start),
            watermark: AtomicU64::new(start),
            pending: Mutex::new(BinaryHeap::new()),
        }
    }

    /// The record number for a new insert; pass it to
    /// [`AcknowledgedCounter::acknowledge`] once the insert has completed
    /// (or failed: YCSB acknowledges in a `finally`).
    pub fn next(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// Records that the insert numbered `value` (from
    /// [`AcknowledgedCounter::next`]) completed, advancing
    /// [`AcknowledgedCounter::last_value`] over every value now contiguous.
    /// Acknowledging a value twice, or one never handed out, is a caller bug;
    /// a value already below the limit is ignored.
    pub fn acknowledge(&self, value: u64) {
        // A poisoned lock only means another thread panicked between two
        // heap operations; the heap itself is still a valid heap.
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut watermark = self.watermark.load(Ordering::Relaxed);
        debug_assert!(value >= watermark, "record {value} acknowledged twice");
        if value < watermark {
            return;
        }
        pending.push(Reverse(value));
        while let Some(&Reverse(lowest)) = pending.peek() {
            if lowest > watermark {
                break;
            }
            pending.pop();
            // A duplicate of the value just absorbed is dropped unread.
            if lowest == watermark {
                watermark += 1;
            }
        }
        self.watermark.store(watermark, Ordering::Release);
    }

    /// The highest value below which (inclusive) every insert has been
    /// acknowledged: `start - 1` until the insert numbered `start` is
    /// acknowledged. For a counter started at 0 this saturates to 0 before
    /// the first acknowledgement, although record 0 does not exist yet;
    /// YCSB always starts at `recordcount`, which is positive.
    pub fn last_value(&self) -> u64 {
        self.watermark.load(Ordering::Acquire).saturating_sub(1)
    }
}

/// One YCSB operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Read one record (all its fields: `readallfields=true`).
    Read,
    /// Rewrite one field of a record.
    Update,
    /// Insert a new record, numbered by the [`AcknowledgedCounter`].
    Insert,
    /// Read [`scan_length`] records in key order from a chosen key.
    Scan,
    /// Read a record, then rewrite one of its fields.
    ReadModifyWrite,
}

/// The operations in the order of [`CoreWorkload::proportions`], which is
/// also the order in which YCSB's `createOperationGenerator` adds them to
/// its `DiscreteGenerator` (the order matters for which operation each
/// uniform draw maps to).
const OPERATIONS: [Operation; 5] = [
    Operation::Read,
    Operation::Update,
    Operation::Insert,
    Operation::Scan,
    Operation::ReadModifyWrite,
];

/// A YCSB core workload's definition (the properties of
/// `workloads/workload[a-f]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreWorkload {
    /// Update heavy: 50% reads, 50% updates, zipfian.
    A,
    /// Read mostly: 95% reads, 5% updates, zipfian.
    B,
    /// Read only: 100% reads, zipfian.
    C,
    /// Read latest: 95% reads, 5% inserts, latest.
    D,
    /// Short ranges: 95% scans, 5% inserts, zipfian.
    E,
    /// Read-modify-write: 50% reads, 50% read-modify-writes, zipfian.
    F,
}

impl CoreWorkload {
    /// (read, update, insert, scan, read-modify-write) proportions, exactly
    /// as the workload files give them (`readproportion`,
    /// `updateproportion`, `insertproportion`, `scanproportion`,
    /// `readmodifywriteproportion`).
    pub fn proportions(self) -> [f64; 5] {
        match self {
            CoreWorkload::A => [0.5, 0.5, 0.0, 0.0, 0.0],
            CoreWorkload::B => [0.95, 0.05, 0.0, 0.0, 0.0],
            CoreWorkload::C => [1.0, 0.0, 0.0, 0.0, 0.0],
            CoreWorkload::D => [0.95, 0.0, 0.05, 0.0, 0.0],
            CoreWorkload::E => [0.0, 0.0, 0.05, 0.95, 0.0],
            CoreWorkload::F => [0.5, 0.0, 0.0, 0.0, 0.5],
        }
    }

    /// Draws the next operation as YCSB's `DiscreteGenerator` does: one
    /// uniform `u` in [0, 1), walked down the normalised weights in the
    /// order read, update, insert, scan, read-modify-write, skipping zero
    /// weights (which YCSB never adds).
    pub fn operation(self, rng: &mut impl Rng) -> Operation {
        let weights = self.proportions();
        let sum: f64 = weights.iter().sum();
        let mut u: f64 = rng.random();
        let mut last = Operation::Read;
        for (&weight, &operation) in weights.iter().zip(OPERATIONS.iter()) {
            if weight <= 0.0 {
                continue;
            }
            let share = weight / sum;
            if u < share {
                return operation;
            }
            u -= share;
            last = operation;
        }
        // Only reachable if the shares' rounding leaves them summing to just
        // under `u` (YCSB throws an AssertionError there): the last
        // operation is the one `u` was closest to.
        last
    }

    /// True for D (request distribution "latest"); the others use "zipfian",
    /// which YCSB implements with [`ScrambledZipfian`].
    pub fn latest(self) -> bool {
        self == CoreWorkload::D
    }

    /// The proportion of inserts, which sizes the zipfian key space.
    fn insert_proportion(self) -> f64 {
        self.proportions()[2]
    }
}

/// Fields per record (YCSB `fieldcount`, default 10).
pub const FIELD_COUNT: usize = 10;

/// Bytes per field (YCSB `fieldlength`, default 100, with the default
/// `fieldlengthdistribution=constant`): 1 KB records plus the key.
pub const FIELD_LENGTH: usize = 100;

/// The longest scan in records (workload E's `maxscanlength=100`; YCSB's
/// default `minscanlength` is 1 and E's `scanlengthdistribution` uniform).
pub const MAX_SCAN_LENGTH: u64 = 100;

/// The shortest scan in records (YCSB's default `minscanlength`).
const MIN_SCAN_LENGTH: u64 = 1;

/// Chooses the record number of the next read, update, scan or
/// read-modify-write as YCSB's `CoreWorkload.nextKeynum` does.
///
/// For "zipfian" workloads the key space is sized up front for the expected
/// inserts, so the hot keys keep their place as records are added: a
/// [`ScrambledZipfian`] over `[0, recordcount + expected new keys]`
/// (inclusive, as YCSB), redrawn while above the counter's
/// [`AcknowledgedCounter::last_value`]. For "latest" (D), a
/// [`SkewedLatest`] on that last value.
///
/// One per client thread. Each call is O(1) with no allocation. Zipfian
/// draws land above the limit in about the share of the key space not yet
/// written, at most `2 * expected inserts / (recordcount + 2 * expected
/// inserts)` (under 10% for E with as many operations as records), so the
/// expected number of draws per call stays near 1. Latest's zeta grows by
/// the inserts acknowledged since the thread's previous call.
#[derive(Debug, Clone)]
pub struct KeyChooser {
    /// The distribution for the workload.
    distribution: KeyDistribution,
}

/// The request distributions of the core workloads.
#[derive(Debug, Clone)]
enum KeyDistribution {
    /// "zipfian": scrambled, over the loaded and expected records.
    Zipfian(ScrambledZipfian),
    /// "latest": skewed to the newest acknowledged record.
    Latest(SkewedLatest),
}

impl KeyChooser {
    /// The chooser for `workload` after loading `record_count` records
    /// (numbered `0..record_count`), for a run of `operation_count`
    /// operations. For D this computes zeta over `record_count - 1` items:
    /// O(record_count), about 20 ms per million records.
    ///
    /// Expected new keys are `operation_count * insertproportion * 2` (YCSB's
    /// fudge factor of 2, truncated as YCSB's `(int)` cast does).
    ///
    /// # Panics
    ///
    /// If `record_count` is 0: there would be no key to choose (YCSB
    /// replaces a zero record count with `Integer.MAX_VALUE`).
    pub fn new(workload: CoreWorkload, record_count: u64, operation_count: u64) -> KeyChooser {
        assert!(record_count > 0, "KeyChooser needs at least one record");
        let distribution = if workload.latest() {
            // YCSB: new SkewedLatestGenerator(transactioninsertkeysequence),
            // whose lastValue() is recordcount - 1 before any insert.
            KeyDistribution::Latest(SkewedLatest::new(record_count - 1))
        } else {
            let expected_new_keys =
                (operation_count as f64 * workload.insert_proportion() * 2.0) as u64;
            KeyDistribution::Zipfian(ScrambledZipfian::new(
                0,
                record_count.saturating_add(expected_new_keys),
            ))
        };
        KeyChooser { distribution }
    }

    /// The next record number, never above `counter.last_value()`.
    pub fn next(&mut self, rng: &mut impl Rng, counter: &AcknowledgedCounter) -> u64 {
        match &mut self.distribution {
            KeyDistribution::Zipfian(generator) => loop {
                let keynum = generator.next(rng);
                // Re-read the limit each time, as YCSB does: it only grows.
                if keynum <= counter.last_value() {
                    return keynum;
                }
            },
            // SkewedLatest never exceeds the `latest` it is given, so YCSB's
            // redraw loop never repeats.
            KeyDistribution::Latest(generator) => generator.next(rng, counter.last_value()),
        }
    }
}

/// Scan length for E: uniform in `1..=MAX_SCAN_LENGTH` (YCSB's
/// `UniformLongGenerator(minscanlength, maxscanlength)`, whose
/// `abs(nextLong()) % 100` has a modulo bias of under 1e-17, absent here).
pub fn scan_length(rng: &mut impl Rng) -> u64 {
    rng.random_range(MIN_SCAN_LENGTH..=MAX_SCAN_LENGTH)
}

/// The field (`0..FIELD_COUNT`) an update or read-modify-write rewrites:
/// with YCSB's default `writeallfields=false`, one field drawn uniformly
/// (`fieldchooser`).
pub fn update_field(rng: &mut impl Rng) -> usize {
    rng.random_range(0..FIELD_COUNT)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! Reference values come from a Java 17 program reproducing YCSB's
    //! formulas verbatim (`Utils.fnvhash64`, `CoreWorkload.buildKeyName`,
    //! `ZipfianGenerator.zetastatic` and `nextLong` with `u` given instead
    //! of drawn).

    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use std::collections::HashMap;
    use std::sync::Arc;

    fn assert_close(actual: f64, expected: f64, relative: f64) {
        assert!(
            (actual - expected).abs() <= relative * expected.abs(),
            "{actual} differs from {expected} by more than {relative} relative"
        );
    }

    #[test]
    fn fnv64_matches_ycsb_java() {
        // (input as Java long bits, Utils.fnvhash64)
        let cases: [(u64, u64); 9] = [
            (0, 6_284_781_860_667_377_211),
            (1, 8_517_097_267_634_966_620),
            (42, 55_488_592_825_689_361),
            (999_999, 2_744_965_632_448_235_251),
            (1_000_000, 1_011_632_231_655_643_464),
            (123_456_789, 2_350_796_791_908_741_607),
            // Java -1L, Long.MIN_VALUE, Long.MAX_VALUE.
            (u64::MAX, 8_289_690_350_564_177_859),
            (1 << 63, 6_284_922_598_155_788_219),
            (i64::MAX as u64, 8_289_549_613_075_766_851),
        ];
        for (input, expected) in cases {
            assert_eq!(fnv64(input), expected, "fnv64({input})");
        }
    }

    #[test]
    fn fnv64_takes_java_abs_of_negative_hashes() {
        // Before Math.abs, Java's hash of 0 is -6284781860667377211 and of
        // 999999 is +2744965632448235251: one negative, one positive.
        assert_eq!(
            java_abs(-6_284_781_860_667_377_211),
            6_284_781_860_667_377_211
        );
        assert_eq!(
            java_abs(2_744_965_632_448_235_251),
            2_744_965_632_448_235_251
        );
        // Math.abs(Long.MIN_VALUE) == Long.MIN_VALUE.
        assert_eq!(java_abs(i64::MIN), 1 << 63);
        assert_eq!(java_abs(-1), 1);
    }

    #[test]
    fn record_key_matches_ycsb_build_key_name() {
        assert_eq!(record_key(0), "user6284781860667377211");
        assert_eq!(record_key(1), "user8517097267634966620");
        assert_eq!(record_key(42), "user55488592825689361");
        assert_eq!(record_key(999_999), "user2744965632448235251");
        assert_eq!(record_key(123_456_789), "user2350796791908741607");
    }

    #[test]
    fn zeta_matches_ycsb_java() {
        let cases: [(u64, f64); 9] = [
            (1, 1.0),
            (2, 1.503_477_775_028_359_4),
            (3, 1.840_493_339_007_644),
            (10, 2.956_107_516_510_363_6),
            (100, 5.294_568_831_377_164),
            (1000, 7.728_953_217_284_729),
            (1001, 7.730_023_676_840_303),
            (2000, 8.473_987_883_288_563),
            (1_000_000, 15.391_849_746_037_371),
        ];
        for (n, expected) in cases {
            assert_close(zeta(0, n, 0.99, 0.0), expected, 1e-12);
        }
        assert_close(zeta(0, 1000, 0.5, 0.0), 61.801_008_765_243_18, 1e-12);
        assert_eq!(zeta(0, 0, 0.99, 0.0), 0.0);
    }

    #[test]
    fn zipfian_growth_gives_zeta_from_scratch() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut grown = Zipfian::new(0, 1000, 0.99);
        for items in [1001, 1500, 2000] {
            grown.next_for(&mut rng, items);
        }
        let fresh = Zipfian::new(0, 2000, 0.99);
        assert_eq!(grown.count_for_zeta, 2000);
        assert_close(grown.zetan, fresh.zetan, 1e-12);
        // Java: zetastatic(1000, 2000, 0.99, zetastatic(1000)).
        assert_close(grown.zetan, 8.473_987_883_288_563, 1e-12);
        // YCSB keeps the constructor's item count in eta.
        assert_close(grown.eta, 0.073_250_747_249_760_22, 1e-12);
    }

    #[test]
    fn zipfian_shrinking_recomputes_zeta() {
        let mut rng = StdRng::seed_from_u64(2);
        let mut zipfian = Zipfian::new(0, 2000, 0.99);
        let value = zipfian.next_for(&mut rng, 1000);
        assert!(value < 1000);
        assert_close(zipfian.zetan, 7.728_953_217_284_729, 1e-12);
        assert_eq!(zipfian.count_for_zeta, 1000);
    }

    #[test]
    fn zipfian_values_match_ycsb_java_for_given_draws() {
        // Java nextLong(itemcount) with nextDouble() replaced by u.
        let fresh = Zipfian::new(0, 1000, 0.99);
        assert_close(fresh.eta, 0.074_806_086_706_898_05, 1e-12);
        let mut grown = Zipfian::new(0, 1000, 0.99);
        grown.next_for(&mut StdRng::seed_from_u64(3), 2000);
        let cases: [(f64, u64, u64); 9] = [
            // (u, value over 1000 items, value after growing to 2000)
            (0.0, 0, 0),
            (0.01, 0, 0),
            (0.1, 0, 0),
            (0.2, 2, 4),
            (0.5, 22, 47),
            (0.75, 151, 315),
            (0.9, 471, 958),
            (0.99, 927, 1858),
            (0.999_999, 999, 1999),
        ];
        for (u, over_1000, over_2000) in cases {
            assert_eq!(fresh.value_for(u, 1000), over_1000, "u = {u}");
            assert_eq!(grown.value_for(u, 2000), over_2000, "grown, u = {u}");
        }
        // The u that rounds the closed form to exactly 1 stays in range.
        assert_eq!(fresh.value_for(1.0 - f64::EPSILON / 2.0, 1000), 999);
    }

    #[test]
    fn zipfian_with_min_offsets_the_range() {
        let zipfian = Zipfian::new(50, 1000, 0.99);
        assert_eq!(zipfian.value_for(0.0, 1000), 50);
        assert_eq!(zipfian.value_for(0.5, 1000), 72);
    }

    #[test]
    fn zipfian_item_zero_has_its_zipf_share() {
        let mut rng = StdRng::seed_from_u64(42);
        let mut zipfian = Zipfian::new(0, 1000, 0.99);
        let draws = 200_000;
        let mut counts = vec![0u64; 1000];
        for _ in 0..draws {
            let value = zipfian.next(&mut rng);
            assert!(value < 1000, "{value} out of range");
            counts[value as usize] += 1;
        }
        let (hottest, _) = counts.iter().enumerate().max_by_key(|&(_, &c)| c).unwrap();
        assert_eq!(hottest, 0);
        let share = counts[0] as f64 / draws as f64;
        let expected = 1.0 / zeta(0, 1000, 0.99, 0.0);
        assert!(
            (share - expected).abs() <= 0.1 * expected,
            "item 0 share {share}, expected {expected}"
        );
        assert!(counts[1] > counts[10] && counts[10] > counts[100]);
    }

    #[test]
    fn zipfian_degenerate_counts_stay_in_range() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut one = Zipfian::new(7, 1, 0.99);
        let mut two = Zipfian::new(7, 2, 0.99);
        for _ in 0..1000 {
            assert_eq!(one.next(&mut rng), 7);
            assert!((7..9).contains(&two.next(&mut rng)));
        }
    }

    #[test]
    fn scrambled_zipfian_matches_ycsb_java_for_given_draws() {
        // Java: ZipfianGenerator(0, ITEM_COUNT, 0.99, ZETAN), its value for
        // u, then fnvhash64(value) % 1000 and % 1101.
        let generator = ScrambledZipfian::new(0, 999);
        assert_close(generator.generator.eta, 0.212_200_033_809_674_06, 1e-12);
        let wider = ScrambledZipfian::new(0, 1100);
        let cases: [(f64, u64, u64, u64); 7] = [
            (0.0, 0, 211, 903),
            (0.1, 6, 587, 761),
            (0.2, 83, 374, 1065),
            (0.5, 134_552, 260, 774),
            (0.75, 42_924_421, 439, 310),
            (0.9, 1_170_869_537, 670, 645),
            (0.99, 8_086_205_587, 521, 960),
        ];
        for (u, item, mod_1000, mod_1101) in cases {
            let drawn = generator.generator.value_for(u, SCRAMBLED_ITEM_COUNT + 1);
            assert_eq!(drawn, item, "u = {u}");
            assert_eq!(generator.scramble(drawn), mod_1000, "u = {u}");
            assert_eq!(wider.scramble(drawn), mod_1101, "u = {u}");
        }
    }

    #[test]
    fn scrambled_zipfian_is_skewed_in_range_and_seeded() {
        let (min, max) = (1000, 10_999);
        let item_count = (max - min + 1) as f64;
        let draws = 100_000;
        let mut rng = StdRng::seed_from_u64(7);
        let mut generator = ScrambledZipfian::new(min, max);
        let mut counts: HashMap<u64, u64> = HashMap::new();
        let mut sequence = Vec::with_capacity(draws);
        for _ in 0..draws {
            let value = generator.next(&mut rng);
            assert!((min..=max).contains(&value), "{value} out of range");
            *counts.entry(value).or_default() += 1;
            sequence.push(value);
        }
        let hottest = *counts.values().max().unwrap();
        let uniform = draws as f64 / item_count;
        assert!(
            hottest as f64 > 20.0 * uniform,
            "hottest key drawn {hottest} times, uniform share {uniform}"
        );
        // The hottest key is item 0 of the fixed space, hashed.
        let item_zero = min + fnv64(0) % (max - min + 1);
        assert_eq!(counts[&item_zero], hottest);

        let mut again = StdRng::seed_from_u64(7);
        let mut generator = ScrambledZipfian::new(min, max);
        let replay: Vec<u64> = (0..draws).map(|_| generator.next(&mut again)).collect();
        assert_eq!(sequence, replay);
    }

    #[test]
    fn skewed_latest_favours_latest() {
        let mut rng = StdRng::seed_from_u64(11);
        let latest = 999;
        let mut generator = SkewedLatest::new(latest);
        let mut counts: HashMap<u64, u64> = HashMap::new();
        for _ in 0..100_000 {
            let value = generator.next(&mut rng, latest);
            assert!((1..=latest).contains(&value), "{value} out of range");
            *counts.entry(value).or_default() += 1;
        }
        let (&hottest, _) = counts.iter().max_by_key(|&(_, &c)| c).unwrap();
        assert_eq!(hottest, latest);
        assert!(counts[&latest] > counts.get(&(latest - 1)).copied().unwrap_or(0));
    }

    #[test]
    fn skewed_latest_follows_a_growing_latest() {
        let mut rng = StdRng::seed_from_u64(12);
        let mut generator = SkewedLatest::new(999);
        let mut at_latest = 0;
        for latest in 999..3000 {
            for _ in 0..10 {
                let value = generator.next(&mut rng, latest);
                assert!((1..=latest).contains(&value), "{value} > {latest}");
                at_latest += u64::from(value == latest);
            }
        }
        // Item 0 of the Zipfian (the latest record) has share 1/zeta(n),
        // about 1/8 here: far above any other.
        assert!(at_latest > 2000, "latest drawn {at_latest} of 20010 times");
        assert_close(generator.zipfian.zetan, zeta(0, 2999, 0.99, 0.0), 1e-12);
        assert_eq!(generator.next(&mut rng, 0), 0);
    }

    #[test]
    fn acknowledged_counter_advances_only_over_contiguous_acks() {
        let counter = AcknowledgedCounter::new(100);
        assert_eq!(counter.last_value(), 99);
        let values: Vec<u64> = (0..5).map(|_| counter.next()).collect();
        assert_eq!(values, [100, 101, 102, 103, 104]);
        counter.acknowledge(102);
        counter.acknowledge(101);
        assert_eq!(counter.last_value(), 99, "100 is still outstanding");
        counter.acknowledge(104);
        counter.acknowledge(100);
        assert_eq!(counter.last_value(), 102);
        counter.acknowledge(103);
        assert_eq!(counter.last_value(), 104);
        assert_eq!(counter.next(), 105);
        assert!(counter.pending.lock().unwrap().is_empty());
    }

    #[test]
    fn acknowledged_counter_starting_at_zero() {
        let counter = AcknowledgedCounter::new(0);
        assert_eq!(counter.last_value(), 0);
        assert_eq!(counter.next(), 0);
        assert_eq!(counter.next(), 1);
        counter.acknowledge(1);
        assert_eq!(counter.last_value(), 0);
        counter.acknowledge(0);
        assert_eq!(counter.last_value(), 1);
    }

    #[test]
    fn acknowledged_counter_is_exact_under_concurrency() {
        let start = 1000;
        let per_thread = 20_000;
        let counter = Arc::new(AcknowledgedCounter::new(start));
        let threads: Vec<_> = (0..2)
            .map(|seed| {
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || {
                    let mut rng = StdRng::seed_from_u64(seed);
                    let mut held = Vec::new();
                    for _ in 0..per_thread {
                        held.push(counter.next());
                        // Acknowledge in bursts, newest first, so values
                        // arrive out of order across and within threads.
                        if rng.random_range(0..8) == 0 {
                            while let Some(value) = held.pop() {
                                counter.acknowledge(value);
                            }
                        }
                        assert!(counter.last_value() < counter.next.load(Ordering::Relaxed));
                    }
                    while let Some(value) = held.pop() {
                        counter.acknowledge(value);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(counter.last_value(), start + 2 * per_thread - 1);
        assert!(counter.pending.lock().unwrap().is_empty());
    }

    const ALL: [CoreWorkload; 6] = [
        CoreWorkload::A,
        CoreWorkload::B,
        CoreWorkload::C,
        CoreWorkload::D,
        CoreWorkload::E,
        CoreWorkload::F,
    ];

    #[test]
    fn core_workloads_match_ycsb_files() {
        assert_eq!(CoreWorkload::A.proportions(), [0.5, 0.5, 0.0, 0.0, 0.0]);
        assert_eq!(CoreWorkload::B.proportions(), [0.95, 0.05, 0.0, 0.0, 0.0]);
        assert_eq!(CoreWorkload::C.proportions(), [1.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(CoreWorkload::D.proportions(), [0.95, 0.0, 0.05, 0.0, 0.0]);
        assert_eq!(CoreWorkload::E.proportions(), [0.0, 0.0, 0.05, 0.95, 0.0]);
        assert_eq!(CoreWorkload::F.proportions(), [0.5, 0.0, 0.0, 0.0, 0.5]);
        for workload in ALL {
            let sum: f64 = workload.proportions().iter().sum();
            assert!((sum - 1.0).abs() < 1e-12, "{workload:?} sums to {sum}");
            assert_eq!(workload.latest(), workload == CoreWorkload::D);
        }
    }

    #[test]
    fn operation_frequencies_match_proportions() {
        let mut rng = StdRng::seed_from_u64(13);
        let draws = 100_000;
        for workload in ALL {
            let mut counts = [0u64; 5];
            for _ in 0..draws {
                let operation = workload.operation(&mut rng);
                let index = OPERATIONS.iter().position(|&o| o == operation).unwrap();
                counts[index] += 1;
            }
            for (index, &expected) in workload.proportions().iter().enumerate() {
                let observed = counts[index] as f64 / draws as f64;
                assert!(
                    (observed - expected).abs() <= 0.01,
                    "{workload:?} {:?}: {observed} vs {expected}",
                    OPERATIONS[index]
                );
                if expected == 0.0 {
                    assert_eq!(counts[index], 0);
                }
            }
        }
    }

    #[test]
    fn key_chooser_zipfian_stays_below_the_loaded_records() {
        let mut rng = StdRng::seed_from_u64(17);
        let counter = AcknowledgedCounter::new(1000);
        let mut chooser = KeyChooser::new(CoreWorkload::C, 1000, 1000);
        for _ in 0..100_000 {
            assert!(chooser.next(&mut rng, &counter) < 1000);
        }
    }

    #[test]
    fn key_chooser_zipfian_sizes_the_space_for_inserts() {
        let mut rng = StdRng::seed_from_u64(19);
        // E: 10,000 ops * 0.05 * 2 = 1000 expected new keys, YCSB's max.
        let mut chooser = KeyChooser::new(CoreWorkload::E, 1000, 10_000);
        match &chooser.distribution {
            KeyDistribution::Zipfian(generator) => assert_eq!(generator.item_count, 2001),
            KeyDistribution::Latest(_) => panic!("E is zipfian"),
        }
        let counter = AcknowledgedCounter::new(1000);
        for _ in 0..500 {
            counter.acknowledge(counter.next());
        }
        let mut above_loaded = 0;
        for _ in 0..50_000 {
            let keynum = chooser.next(&mut rng, &counter);
            assert!(keynum <= 1499);
            above_loaded += u64::from(keynum >= 1000);
        }
        assert!(above_loaded > 0, "inserted records are chosen too");
    }

    #[test]
    fn key_chooser_latest_stays_at_or_below_last_value() {
        let mut rng = StdRng::seed_from_u64(23);
        let counter = AcknowledgedCounter::new(1000);
        let mut chooser = KeyChooser::new(CoreWorkload::D, 1000, 1000);
        let mut at_latest = 0;
        for round in 0..50_000 {
            if round % 20 == 0 {
                counter.acknowledge(counter.next());
            }
            let last = counter.last_value();
            let keynum = chooser.next(&mut rng, &counter);
            assert!(keynum <= last, "{keynum} > {last}");
            at_latest += u64::from(keynum == last);
        }
        assert_eq!(counter.last_value(), 3499);
        assert!(at_latest > 5000, "latest chosen {at_latest} times");
    }

    #[test]
    fn scan_length_and_update_field_are_uniform_in_range() {
        let mut rng = StdRng::seed_from_u64(29);
        let mut lengths = [0u64; MAX_SCAN_LENGTH as usize + 1];
        let mut fields = [0u64; FIELD_COUNT];
        for _ in 0..100_000 {
            let length = scan_length(&mut rng);
            assert!((1..=MAX_SCAN_LENGTH).contains(&length));
            lengths[length as usize] += 1;
            fields[update_field(&mut rng)] += 1;
        }
        assert_eq!(lengths[0], 0);
        assert!(lengths[1..].iter().all(|&c| (700..1300).contains(&c)));
        assert!(fields.iter().all(|&c| (9000..11_000).contains(&c)));
    }
}
