//! Which of the header's columns a row carries, when it does not carry them
//! all: Cassandra's `Columns.serializeSubset`. Under 64 columns, a vint
//! bitmap of the *missing* columns; from 64 on, the missing count, then the
//! indexes of whichever side is smaller (present columns when fewer than
//! half are present, missing columns otherwise).

use crate::cursor::Cursor;
use crate::error::Result;
use crate::vint::write_unsigned_vint;

/// Writes the subset `present` (strictly increasing indexes below
/// `superset`) of a header with `superset` columns.
pub(crate) fn write_subset(present: &[usize], superset: usize, out: &mut Vec<u8>) {
    if superset < 64 {
        let all = if superset == 0 {
            0
        } else {
            u64::MAX >> (64 - superset)
        };
        let missing = present.iter().fold(all, |bits, &i| bits & !(1u64 << i));
        write_unsigned_vint(missing, out);
        return;
    }
    let missing_count = superset - present.len();
    write_unsigned_vint(missing_count as u64, out);
    if present.len() < superset / 2 {
        for &i in present {
            write_unsigned_vint(i as u64, out);
        }
    } else {
        let mut next_present = present.iter().peekable();
        for i in 0..superset {
            if next_present.peek() == Some(&&i) {
                next_present.next();
            } else {
                write_unsigned_vint(i as u64, out);
            }
        }
    }
}

/// Reads a subset of a header with `superset` columns: the present
/// indexes, increasing.
pub(crate) fn read_subset(c: &mut Cursor<'_>, superset: usize) -> Result<Vec<usize>> {
    let at = c.position();
    let encoded = c.vint("column subset")?;
    if superset < 64 {
        if encoded >> superset != 0 {
            return Err(c.corrupt_at(
                at,
                format!("column subset {encoded:#x} for {superset} columns"),
            ));
        }
        return Ok((0..superset).filter(|i| encoded & (1 << i) == 0).collect());
    }
    let missing_count = usize::try_from(encoded)
        .ok()
        .filter(|&m| m <= superset)
        .ok_or_else(|| c.corrupt_at(at, format!("{encoded} missing columns of {superset}")))?;
    let present_count = superset - missing_count;
    let listed = if present_count < superset / 2 {
        present_count
    } else {
        missing_count
    };
    // Every listed index is at least one byte: bound the count first.
    if listed > c.remaining() {
        return Err(c.corrupt_at(at, format!("{listed} column indexes past the end")));
    }
    let mut indexes = Vec::with_capacity(listed);
    for _ in 0..listed {
        let i = c.vint("column index")?;
        let valid = usize::try_from(i)
            .ok()
            .filter(|&i| i < superset && indexes.last().is_none_or(|&last| i > last));
        match valid {
            Some(i) => indexes.push(i),
            None => return Err(c.corrupt_at(at, format!("column index {i} of {superset}"))),
        }
    }
    if present_count < superset / 2 {
        Ok(indexes)
    } else {
        let mut missing = indexes.into_iter().peekable();
        Ok((0..superset)
            .filter(|i| {
                if missing.peek() == Some(i) {
                    missing.next();
                    false
                } else {
                    true
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn round_trip(present: &[usize], superset: usize) -> Vec<u8> {
        let mut out = Vec::new();
        write_subset(present, superset, &mut out);
        let mut c = Cursor::new(&out, Path::new("t"));
        assert_eq!(read_subset(&mut c, superset).unwrap(), present);
        assert_eq!(c.remaining(), 0);
        out
    }

    #[test]
    fn small_subsets_are_bitmaps_of_missing_columns() {
        assert_eq!(round_trip(&[0, 2], 4), vec![0b1010]);
        assert_eq!(round_trip(&[], 3), vec![0b111]);
        round_trip(&[5, 62], 63);
    }

    #[test]
    fn large_subsets_list_the_smaller_side() {
        // 2 of 100 present: missing count 98, then the two present indexes.
        assert_eq!(round_trip(&[3, 70], 100), vec![98, 3, 70]);
        // 98 of 100 present: missing count 2, then the two missing indexes.
        let present: Vec<usize> = (0..100).filter(|i| *i != 3 && *i != 70).collect();
        assert_eq!(round_trip(&present, 100), vec![2, 3, 70]);
        round_trip(&[], 64);
        round_trip(&(0..63).collect::<Vec<_>>(), 64);
    }

    #[test]
    fn damaged_large_subsets_are_errors() {
        for bytes in [
            &[101u8][..],
            &[98, 3][..],
            &[98, 70, 3][..],
            &[98, 3, 100][..],
        ] {
            let mut c = Cursor::new(bytes, Path::new("t"));
            assert!(read_subset(&mut c, 100).is_err(), "{bytes:?}");
        }
    }
}
