//! The partition-count estimate `sstablemetadata` prints as "Estimated
//! cardinality": stream-lib's `HyperLogLogPlus.cardinality` of the sketch
//! in Statistics.db's compaction component (serialized as
//! `ilion_sstable::cardinality` writes it: i32 −2, varints p, sp and the
//! format, then the sparse list or the packed registers).
//!
//! Computed where stream-lib's answer needs no bias-correction table:
//! a sparse sketch (linear counting over 2^sp buckets), or a dense one whose
//! linear-counting estimate is below stream-lib's threshold for p
//! (6,500 at p = 13). Otherwise `None`.

/// stream-lib's `thresholdData`, by p − 4.
const THRESHOLDS: [f64; 15] = [
    10.0, 20.0, 40.0, 80.0, 220.0, 400.0, 900.0, 1800.0, 3100.0, 6500.0, 11500.0, 20000.0, 50000.0,
    120000.0, 350000.0,
];

fn varint(bytes: &[u8], at: &mut usize) -> Option<u32> {
    let mut value = 0u32;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        value |= u32::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// `m · ln(m / V)`.
fn linear_counting(m: f64, empty: f64) -> f64 {
    m * (m / empty).ln()
}

/// The estimate, when the sketch is one this computes exactly as
/// stream-lib does (see the module comment).
pub fn estimate(sketch: &[u8]) -> Option<u64> {
    if sketch.get(..4)? != (-2i32).to_be_bytes() {
        return None;
    }
    let mut at = 4;
    let p = varint(sketch, &mut at)?;
    let sp = varint(sketch, &mut at)?;
    let format = varint(sketch, &mut at)?;
    if !(4..=18).contains(&p) || sp < p || sp > 32 {
        return None;
    }
    match format {
        // Sparse: a count, then the delta-encoded entries.
        1 => {
            let count = varint(sketch, &mut at)?;
            let sm = 2f64.powi(sp as i32);
            let empty = sm - f64::from(count);
            (empty > 0.0).then(|| linear_counting(sm, empty).round() as u64)
        }
        // Normal: the byte length, then 5-bit registers packed six to a
        // big-endian 32-bit word.
        0 => {
            let length = varint(sketch, &mut at)? as usize;
            let words = sketch.get(at..at.checked_add(length)?)?;
            let m = 1usize << p;
            let mut zeros = 0usize;
            for i in 0..m {
                let word = words.get(4 * (i / 6)..4 * (i / 6) + 4)?;
                let word = u32::from_be_bytes(word.try_into().ok()?);
                if (word >> (5 * (i % 6))) & 0x1f == 0 {
                    zeros += 1;
                }
            }
            if zeros == 0 {
                return None;
            }
            let h = linear_counting(m as f64, zeros as f64);
            (h < THRESHOLDS[p as usize - 4]).then(|| h.round() as u64)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ilion_sstable::cardinality::CardinalitySketch;

    #[test]
    fn five_keys_read_five() {
        // The legacy tables' sketch of keys "0".."4" (format reference
        // §4.3; ilion_sstable::cardinality checks the bytes).
        let bytes = [
            0xff, 0xff, 0xff, 0xfe, 0x0d, 0x19, 0x01, 0x05, 0x92, 0xf2, 0x85, 0x01, 0x90, 0xf6,
            0x1f, 0xf4, 0xb3, 0xaa, 0x02, 0xb2, 0xbd, 0xfc, 0x05, 0xe0, 0xfc, 0xdd, 0x10,
        ];
        assert_eq!(estimate(&bytes), Some(5));
    }

    #[test]
    fn estimates_stay_near_the_truth_until_a_bias_table_is_needed() {
        for n in [1u32, 100, 3000, 6000, 6200, 7000, 40_000] {
            let mut sketch = CardinalitySketch::new();
            for i in 0..n {
                sketch.offer(&i.to_be_bytes());
            }
            match estimate(&sketch.to_bytes()) {
                Some(e) => {
                    let error = (e as f64 - f64::from(n)).abs() / f64::from(n);
                    assert!(error < 0.03, "{n}: {e}");
                }
                // Dense and past linear counting's range.
                None => assert!(n > 6144, "{n}"),
            }
        }
        assert_eq!(estimate(b"\x00\x00"), None);
        assert_eq!(estimate(&[0xff, 0xff, 0xff, 0xfe, 13, 25, 0, 0xff]), None);
    }
}
