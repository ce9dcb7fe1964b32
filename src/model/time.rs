//! Time as kmsd records it: milliseconds since the Unix epoch, and its RFC 3339 text.

use crate::calendar;

/// Milliseconds since the Unix epoch, as read from `kms::Clock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// Seconds since the epoch with millisecond precision, as the wire shows dates.
    pub fn as_epoch_seconds(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// This time plus a number of whole days.
    pub fn plus_days(self, days: u32) -> Timestamp {
        Timestamp(self.0 + u64::from(days) * 86_400_000)
    }

    /// As RFC 3339 UTC with milliseconds (`2026-11-29T04:19:35.123Z`), as the audit trail and
    /// seed files write dates.
    pub fn rfc3339(self) -> String {
        let epoch_millis = self.0;
        let secs = epoch_millis / 1000;
        let (days, rem) = (secs / 86_400, secs % 86_400);
        let (year, month, day) = calendar::civil_from_days(days as i64);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60,
            epoch_millis % 1000
        )
    }

    /// Parses an ISO-8601 / RFC 3339 date-time (`2026-01-31T12:00:00Z`; offsets and fractions
    /// allowed), as seed files give dates.
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        let digits = |t: &str| -> Option<i64> {
            (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok())?
        };
        let (date, rest) = s.split_once(['T', 't', ' '])?;
        let mut d = date.split('-');
        let (year, month, day) = (digits(d.next()?)?, digits(d.next()?)?, digits(d.next()?)?);
        let (time, offset_secs) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
            (t, 0)
        } else {
            let at = rest.rfind(['+', '-'])?;
            let (t, off) = rest.split_at(at);
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let (h, m) = off[1..]
                .split_once(':')
                .unwrap_or((&off[1..3.min(off.len())], "0"));
            (t, sign * (digits(h)? * 3600 + digits(m)? * 60))
        };
        let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
        let mut t = hms.split(':');
        let (hour, minute, second) = (digits(t.next()?)?, digits(t.next()?)?, digits(t.next()?)?);
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let millis: i64 = digits(&format!("{frac:0<3}")[..3])?;
        let days = calendar::days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
        u64::try_from(secs * 1000 + millis).ok().map(Timestamp)
    }
}
