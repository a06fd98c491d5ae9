//! Time as plain integers: a [`Timestamp`] is seconds since the Unix epoch (UTC), a [`Date`] is
//! days since 1970-01-01. Both are what the columnar store keeps; the calendar arithmetic is
//! Howard Hinnant's `days_from_civil`, exact over the whole range finmon accepts.

use std::fmt;

/// Years outside this range are refused as out of range: financial records from before 1900
/// or after 2200 are a provider's error, not history.
pub const MIN_YEAR: i32 = 1900;
pub const MAX_YEAR: i32 = 2200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("'{0}' is not an RFC 3339 timestamp with offset (e.g. 2025-03-14T09:26:53+05:00)")]
    Timestamp(String),
    #[error("'{0}' is not a date (YYYY-MM-DD)")]
    Date(String),
    #[error(
        "'{0}' is not a calendar date or time (month, day, hour, minute or offset out of range)"
    )]
    Calendar(String),
    #[error("'{0}' is out of range (years {MIN_YEAR} to {MAX_YEAR})")]
    OutOfRange(String),
}

/// Days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i32);

/// Seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// A real calendar date, or `None`.
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = m as i32;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i32::from(m <= 2);
        (y, m, d)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date, TimeError> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(TimeError::Date(s.to_string()));
        }
        let (y, m, d) = match (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10])) {
            (Some(y), Some(m), Some(d)) => (y as i32, m, d),
            _ => return Err(TimeError::Date(s.to_string())),
        };
        if !(MIN_YEAR..=MAX_YEAR).contains(&y) {
            return Err(TimeError::OutOfRange(s.to_string()));
        }
        Date::from_ymd(y, m, d).ok_or_else(|| TimeError::Calendar(s.to_string()))
    }

    pub fn start(self) -> Timestamp {
        Timestamp(i64::from(self.0) * 86_400)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// The value of a run of ASCII digits, or `None` if any byte is not a digit.
#[inline]
pub fn digits(b: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

impl Timestamp {
    /// From a local calendar time and its offset east of UTC, in seconds.
    pub fn from_local(date: Date, h: u32, m: u32, s: u32, offset_secs: i32) -> Timestamp {
        Timestamp(date.start().0 + i64::from(h * 3600 + m * 60 + s) - i64::from(offset_secs))
    }

    /// Parses RFC 3339 (`2025-03-14T09:26:53+05:00`, `…Z`, optional fraction, which is
    /// dropped: finmon keeps whole seconds). Returns the instant and the local calendar date
    /// the timestamp was written in — the "day" of the transaction for valuation.
    pub fn parse_rfc3339(s: &str) -> Result<(Timestamp, Date), TimeError> {
        let bad = || TimeError::Timestamp(s.to_string());
        let b = s.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't' | b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(bad());
        }
        let y = digits(&b[0..4]).ok_or_else(bad)? as i32;
        let mo = digits(&b[5..7]).ok_or_else(bad)?;
        let d = digits(&b[8..10]).ok_or_else(bad)?;
        let h = digits(&b[11..13]).ok_or_else(bad)?;
        let mi = digits(&b[14..16]).ok_or_else(bad)?;
        let se = digits(&b[17..19]).ok_or_else(bad)?;
        let mut i = 19;
        if b[i] == b'.' {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return Err(bad());
            }
        }
        let offset = match b.get(i) {
            Some(b'Z' | b'z') if i + 1 == b.len() => 0,
            Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
                let oh = digits(&b[i + 1..i + 3]).ok_or_else(bad)?;
                let om = digits(&b[i + 4..i + 6]).ok_or_else(bad)?;
                if oh > 23 || om > 59 {
                    return Err(TimeError::Calendar(s.to_string()));
                }
                let o = (oh * 3600 + om * 60) as i32;
                if sign == b'-' {
                    -o
                } else {
                    o
                }
            }
            _ => return Err(bad()),
        };
        if !(MIN_YEAR..=MAX_YEAR).contains(&y) {
            return Err(TimeError::OutOfRange(s.to_string()));
        }
        // A leap second (:60) is folded into the next second rather than refused.
        if h > 23 || mi > 59 || se > 60 {
            return Err(TimeError::Calendar(s.to_string()));
        }
        let date = Date::from_ymd(y, mo, d).ok_or_else(|| TimeError::Calendar(s.to_string()))?;
        Ok((Timestamp::from_local(date, h, mi, se, offset), date))
    }

    pub fn date_utc(self) -> Date {
        Date(self.0.div_euclid(86_400) as i32)
    }

    /// RFC 3339 in UTC: `2025-03-14T04:26:53Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.rem_euclid(86_400);
        write!(
            f,
            "{}T{:02}:{:02}:{:02}Z",
            self.date_utc(),
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in -80_000..120_000 {
            let (y, m, d) = Date(days).ymd();
            assert_eq!(Date::from_ymd(y, m, d), Some(Date(days)));
        }
        assert_eq!(Date::from_ymd(1970, 1, 1), Some(Date(0)));
        assert_eq!(
            Date::from_ymd(2024, 2, 29)
                .map(|d| d.to_string())
                .as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(Date::from_ymd(2025, 2, 29), None);
        assert_eq!(Date::from_ymd(1900, 2, 29), None);
        assert!(Date::from_ymd(2000, 2, 29).is_some());
    }

    #[test]
    fn rfc3339() {
        let (t, d) = Timestamp::parse_rfc3339("2025-03-14T09:26:53+05:00").unwrap();
        assert_eq!(t.to_string(), "2025-03-14T04:26:53Z");
        assert_eq!(d.to_string(), "2025-03-14");
        // Local date, not the UTC one: 02:00 in Almaty is still the previous day in UTC.
        let (t, d) = Timestamp::parse_rfc3339("2025-03-14T02:00:00+05:00").unwrap();
        assert_eq!(t.date_utc().to_string(), "2025-03-13");
        assert_eq!(d.to_string(), "2025-03-14");
        let (t, _) = Timestamp::parse_rfc3339("2017-01-01T00:00:00.250Z").unwrap();
        assert_eq!(t.0, 1_483_228_800);
        assert!(Timestamp::parse_rfc3339("2025-03-14T09:26:53-03:30").is_ok());
        for bad in [
            "",
            "2025-03-14",
            "2025-03-14T09:26:53",
            "2025-03-14T09:26:53+0500",
            "2025/03/14T09:26:53Z",
            "2025-03-14T09:26:53ZZ",
            "2025-03-14T09:26:53.Z",
        ] {
            assert!(
                matches!(Timestamp::parse_rfc3339(bad), Err(TimeError::Timestamp(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Timestamp::parse_rfc3339("2025-02-30T00:00:00Z"),
            Err(TimeError::Calendar(_))
        ));
        assert!(matches!(
            Timestamp::parse_rfc3339("2025-01-01T24:00:00Z"),
            Err(TimeError::Calendar(_))
        ));
        assert!(matches!(
            Timestamp::parse_rfc3339("1850-01-01T00:00:00Z"),
            Err(TimeError::OutOfRange(_))
        ));
    }

    #[test]
    fn dates() {
        assert_eq!(Date::parse("2026-01-01").unwrap().to_string(), "2026-01-01");
        assert!(matches!(
            Date::parse("2026-13-01"),
            Err(TimeError::Calendar(_))
        ));
        assert!(matches!(Date::parse("26-01-01"), Err(TimeError::Date(_))));
        assert!(matches!(
            Date::parse("3000-01-01"),
            Err(TimeError::OutOfRange(_))
        ));
    }
}
