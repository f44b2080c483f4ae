//! Dates, times and durations as Cassandra's types and Java print them.

use std::fmt::Write as _;

/// Year, month, day of a day count since 1970-01-01 (proleptic
/// Gregorian; H. Hinnant's `civil_from_days`).
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A year as Java's `LocalDate` prints it: four digits at least, a `+`
/// past 9999.
pub(super) fn iso_year(year: i64) -> String {
    if year > 9999 {
        format!("+{year}")
    } else if year < 0 {
        format!("-{:04}", -year)
    } else {
        format!("{year:04}")
    }
}

/// Date and time of day (UTC) of a millisecond timestamp.
pub(super) fn split_millis(millis: i64) -> (i64, u32, u32, i64, i64) {
    let days = millis.div_euclid(86_400_000);
    let ms_of_day = millis.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, ms_of_day / 1000, ms_of_day % 1000)
}

/// A timestamp as `TimestampType.toJSONString` prints it: the pattern
/// `yyyy-MM-dd HH:mm:ss.SSSX` in UTC, e.g. `2015-10-16 15:17:12.854Z`.
pub(super) fn timestamp_millis(millis: i64) -> String {
    let (y, m, d, secs, ms) = split_millis(millis);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{ms:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// An instant as Java's `Instant.toString` prints it (what `sstabledump`
/// prints for write timestamps and deletion times): ISO-8601 in UTC, the
/// fraction in groups of three digits as needed, e.g.
/// `2021-05-14T10:06:20.234Z`, `2021-05-14T10:06:20.234001Z`,
/// `2021-05-14T10:06:20Z`.
pub fn instant(seconds: i64, nanos: u32) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let fraction = if nanos == 0 {
        String::new()
    } else if nanos.is_multiple_of(1_000_000) {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1000) {
        format!(".{:06}", nanos / 1000)
    } else {
        format!(".{nanos:09}")
    };
    format!(
        "{}-{m:02}-{d:02}T{:02}:{:02}:{:02}{fraction}Z",
        iso_year(y),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// [`instant`] of a microsecond timestamp.
pub fn instant_micros(micros: i64) -> String {
    instant(
        micros.div_euclid(1_000_000),
        (micros.rem_euclid(1_000_000) * 1000) as u32,
    )
}

/// A `date`: days since the epoch, offset by 2^31 so that the value sorts
/// unsigned; printed as `yyyy-MM-dd`.
pub(super) fn simple_date(value: u32) -> String {
    let days = i64::from(value) - (1i64 << 31);
    let (y, m, d) = civil_from_days(days);
    format!("{}-{m:02}-{d:02}", iso_year(y))
}

/// A `time`: nanoseconds since midnight, printed `HH:mm:ss.nnnnnnnnn`
/// (`TimeSerializer.toString`).
pub(super) fn time_of_day(nanos: i64) -> Option<String> {
    if !(0..86_400_000_000_000).contains(&nanos) {
        return None;
    }
    let secs = nanos / 1_000_000_000;
    Some(format!(
        "{:02}:{:02}:{:02}.{:09}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        nanos % 1_000_000_000
    ))
}

/// A `duration`: three zigzag vints (months, days, nanoseconds), printed as
/// Cassandra's `Duration.toString` does (`1y2mo3d4h5m6s7ms8us9ns`, units
/// that are zero left out, one leading `-` for a negative duration).
pub(super) fn duration(value: &[u8]) -> Option<String> {
    let mut rest = value;
    let mut next = || -> Option<i64> {
        let (v, used) = crate::vint::read_signed_vint(rest).ok()?;
        rest = rest.get(used..)?;
        Some(v)
    };
    let (months, days, nanos) = (next()?, next()?, next()?);
    if !rest.is_empty() {
        return None;
    }
    let mut s = String::new();
    if months < 0 || days < 0 || nanos < 0 {
        s.push('-');
    }
    let mut part = |amount: u64, unit: &str| {
        if amount != 0 {
            let _ = write!(s, "{amount}{unit}");
        }
    };
    let (months, days, nanos) = (
        months.unsigned_abs(),
        days.unsigned_abs(),
        nanos.unsigned_abs(),
    );
    part(months / 12, "y");
    part(months % 12, "mo");
    part(days, "d");
    const NS: [(u64, &str); 6] = [
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1000, "us"),
        (1, "ns"),
    ];
    let mut rest_ns = nanos;
    for (unit_ns, unit) in NS {
        part(rest_ns / unit_ns, unit);
        rest_ns %= unit_ns;
    }
    Some(s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`); `None` for an impossible month or day.
pub(super) fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > 31 {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    // Reject days past the month's end (e.g. 2021-02-30).
    (civil_from_days(days) == (year, month, day)).then_some(days)
}
