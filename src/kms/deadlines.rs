//! What happens because time passes, and moving time forward. The clock only moves through
//! [`Kms::advance_clock`], which persists the new offset before anyone sees it. No sleeping
//! here: the server's background task decides when to look again.

use super::model::Timestamp;
use super::{Change, Error, Kms, MAX_OFFSET_SECONDS, Result};

/// What an advance of the clock did.
#[derive(Debug)]
pub struct Advanced {
    /// The clock's new time.
    pub now: Timestamp,
    /// The clock's new offset from system time, in seconds.
    pub offset_seconds: u64,
}

impl Kms {
    /// Moves the clock `seconds` forward (at least one second, and never beyond
    /// [`MAX_OFFSET_SECONDS`] in all). The new offset is on disk before it takes effect.
    pub fn advance_clock(&self, seconds: u64) -> Result<Advanced> {
        let _writer = self.lock_writer();
        let offset = self.clock.offset_after(seconds).ok_or_else(|| {
            Error::Validation(format!(
                "seconds must be a positive integer, and the clock cannot run more than \
                 {MAX_OFFSET_SECONDS} seconds ahead of system time (it is {} ahead now).",
                self.clock.offset_seconds()
            ))
        })?;
        self.commit_locked(|_, changes| {
            changes.0.push(Change::PutClock(offset));
            Ok(())
        })?;
        Ok(Advanced {
            now: self.clock.now(),
            offset_seconds: self.clock.offset_seconds(),
        })
    }
}

#[cfg(test)]
mod tests;
