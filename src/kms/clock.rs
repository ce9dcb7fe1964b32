//! The one clock every time-dependent rule reads: system time plus an offset that only moves
//! forward. The admin API moves it (`POST /_kmsd/clock/advance`) and the store persists the
//! offset, so a restart does not undo it. Nothing else in kmsd reads `SystemTime`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::model::Timestamp;

/// The largest offset kmsd accepts: about a thousand years, far beyond any rotation period or
/// deletion window, and small enough that no date arithmetic can overflow.
pub const MAX_OFFSET_SECONDS: u64 = 1000 * 366 * 86_400;

/// System time plus a forward-only offset. `now` never goes backwards, even when the system
/// clock is stepped back (NTP), because it never returns less than it returned before.
#[derive(Debug, Default)]
pub struct Clock {
    /// Added to system time. Only ever grows.
    offset_seconds: AtomicU64,
    /// The latest time handed out, in milliseconds.
    last_ms: AtomicU64,
}

impl Clock {
    /// The system clock, with no offset.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Now, in milliseconds since the epoch.
    pub fn now(&self) -> Timestamp {
        let ms = self.system_plus(self.offset_seconds());
        // Most calls fall in a millisecond some other call has already reported, so the shared
        // cache line is only written about once per millisecond.
        let last = self.last_ms.load(Ordering::Acquire);
        if ms > last {
            self.last_ms.fetch_max(ms, Ordering::AcqRel);
            return Timestamp(ms);
        }
        Timestamp(last)
    }

    /// How far ahead of system time the clock runs, in seconds.
    pub fn offset_seconds(&self) -> u64 {
        self.offset_seconds.load(Ordering::Acquire)
    }

    /// The offset the clock would have after moving `seconds` forward, or `None` if that is
    /// zero seconds or beyond [`MAX_OFFSET_SECONDS`]. Does not move the clock.
    pub(super) fn offset_after(&self, seconds: u64) -> Option<u64> {
        let offset = self.offset_seconds().checked_add(seconds)?;
        (seconds > 0 && offset <= MAX_OFFSET_SECONDS).then_some(offset)
    }

    /// What `now` would return with `offset` seconds, without moving or recording anything;
    /// used to work out what an advance makes due before it is committed.
    pub(super) fn at_offset(&self, offset: u64) -> Timestamp {
        Timestamp(
            self.system_plus(offset)
                .max(self.last_ms.load(Ordering::Acquire)),
        )
    }

    fn system_plus(&self, offset: u64) -> u64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        u64::try_from(system.as_millis())
            .unwrap_or(u64::MAX)
            .saturating_add(offset.saturating_mul(1000))
    }

    /// Sets the offset to `offset` unless it is already larger: the clock never moves back.
    pub(super) fn raise_offset(&self, offset: u64) {
        self.offset_seconds
            .fetch_max(offset.min(MAX_OFFSET_SECONDS), Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests;
