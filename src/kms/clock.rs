//! The one clock every time-dependent rule reads: system time, so creation and deletion dates
//! look real. Tests that need control over time get it through this type, never `SystemTime`.

use std::time::{SystemTime, UNIX_EPOCH};

use super::model::Timestamp;

/// System time as a [`Timestamp`].
#[derive(Debug, Default)]
pub struct Clock {
    _private: (),
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Now, in milliseconds since the epoch.
    pub fn now(&self) -> Timestamp {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
    }
}
