//! What happens because time passes, and moving time forward. The clock only moves through
//! [`Kms::advance_clock`], which persists the new offset before anyone sees it. No sleeping
//! here: the server's background task decides when to look again.

use std::sync::atomic::Ordering;

use super::{
    Change, Changes, Error, Kms, MAX_OFFSET_SECONDS, Result, State, WriteSeq, custom_key_stores,
    deletion, import, multi_region, rotation,
};
use crate::model::{Key, KeyArn, KeyState, Timestamp};

/// What fell due and was applied.
#[derive(Debug, Default)]
pub struct Applied {
    /// Keys whose material was rotated automatically, in ARN order.
    pub rotated: Vec<KeyArn>,
    /// Keys that were deleted, in ARN order.
    pub deleted: Vec<KeyArn>,
    /// Keys whose imported material expired (and was deleted), in ARN order.
    pub expired: Vec<KeyArn>,
}

/// What an advance of the clock did.
#[derive(Debug)]
pub struct Advanced {
    /// The clock's new time.
    pub now: Timestamp,
    /// The clock's new offset from system time, in seconds.
    pub offset_seconds: u64,
    /// What fell due by the new time.
    pub applied: Applied,
}

impl Kms {
    /// The earliest time at which something may fall due, if anything is scheduled. It may be
    /// early (something was cancelled), in which case [`Kms::apply_due`] finds nothing to do.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        match self.next_due.load(Ordering::Acquire) {
            u64::MAX => None,
            ms => Some(Timestamp(ms)),
        }
    }

    /// Applies every rotation and deletion that is due at the clock's current time.
    pub fn apply_due(&self) -> Result<Applied> {
        self.durably(|seen| {
            let _writer = self.lock_writer();
            self.apply_due_locked(seen)
        })
    }

    /// Moves the clock `seconds` forward (at least one second, and never beyond
    /// [`MAX_OFFSET_SECONDS`] in all) and applies what falls due by the new time. The new offset
    /// and the changes it causes are written to disk in one batch, which is flushed before this
    /// returns (and before any response that saw it).
    pub fn advance_clock(&self, seconds: u64) -> Result<Advanced> {
        self.durably(|seen| self.advance_clock_locked(seen, seconds))
    }

    /// What [`Kms::advance_clock`] with `seconds` would do now, without doing it: the time
    /// the clock would show and the keys that would rotate or be deleted. Nothing changes.
    pub fn preview_advance(&self, seconds: u64) -> Result<Advanced> {
        let offset = self.offset_after(seconds)?;
        let at = self.clock.at_offset(offset);
        let mut applied = Applied::default();
        due_changes(
            &self.read_seeing(&mut WriteSeq::default()),
            at,
            &mut Changes::default(),
            &mut applied,
        );
        Ok(Advanced {
            now: at,
            offset_seconds: offset,
            applied,
        })
    }

    fn advance_clock_locked(&self, seen: &mut WriteSeq, seconds: u64) -> Result<Advanced> {
        let _writer = self.lock_writer();
        let offset = self.offset_after(seconds)?;
        let applied = self.apply_due_at(seen, self.clock.at_offset(offset), Some(offset))?;
        Ok(Advanced {
            now: self.clock.now(),
            offset_seconds: self.clock.offset_seconds(),
            applied,
        })
    }

    /// The clock's offset after moving `seconds` forward, or why it cannot move that far.
    fn offset_after(&self, seconds: u64) -> Result<u64> {
        self.clock.offset_after(seconds).ok_or_else(|| {
            Error::Validation(format!(
                "seconds must be a positive integer, and the clock cannot run more than \
                 {MAX_OFFSET_SECONDS} seconds ahead of system time (it is {} ahead now).",
                self.clock.offset_seconds()
            ))
        })
    }

    /// [`Kms::apply_due`] for callers that hold the writer lock. Costs one comparison when
    /// nothing is due.
    pub(super) fn apply_due_locked(&self, seen: &mut WriteSeq) -> Result<Applied> {
        let now = self.clock.now();
        if now.0 < self.next_due.load(Ordering::Acquire) {
            return Ok(Applied::default());
        }
        self.apply_due_at(seen, now, None)
    }

    /// Commits everything due at `now` (and the clock's new offset, if it moves), then
    /// recomputes the next deadline exactly.
    fn apply_due_at(
        &self,
        seen: &mut WriteSeq,
        now: Timestamp,
        clock_offset: Option<u64>,
    ) -> Result<Applied> {
        let mut applied = Applied::default();
        self.commit_locked(seen, |state, changes| {
            if let Some(offset) = clock_offset {
                changes.0.push(Change::PutClock(offset));
            }
            due_changes(state, now, changes, &mut applied);
            Ok(())
        })?;
        self.next_due
            .store(earliest(&self.state(seen)), Ordering::Release);
        Ok(applied)
    }
}

/// When something next happens to `key` by itself, if ever: its deletion while it is pending
/// deletion, its next automatic rotation while it is enabled (a replica rotates with its
/// primary, never by itself), the expiry of imported material, the end of a transient
/// multi-Region state. Disabled keys do not rotate: KMS does not rotate them, and EnableKey
/// catches up.
pub(super) fn deadline(key: &Key) -> Option<Timestamp> {
    let own = match key.state {
        KeyState::PendingDeletion => key.deletion.map(|d| d.date),
        KeyState::Enabled if !key.is_replica() => key.rotation.schedule.map(|s| s.next),
        _ => None,
    };
    let settles = key
        .multi_region
        .as_ref()
        .and_then(|m| m.settles)
        .map(|s| s.at)
        .or_else(|| key.custom_key_store.as_ref().and_then(|l| l.available_at));
    // Imported material expires in every state.
    let own = match (own, import::next_expiry(key)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    match (own, settles) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The earliest deadline of any key, in milliseconds, or `u64::MAX`.
pub(super) fn earliest(state: &State) -> u64 {
    state
        .partitions
        .values()
        .flat_map(|p| p.keys.values())
        .filter_map(|key| deadline(key))
        .map(|t| t.0)
        .min()
        .unwrap_or(u64::MAX)
}

/// Records the changes for everything due at `now`. Each key is taken as the changes so far
/// leave it, because a change to one multi-Region key can change its related keys too.
fn due_changes(state: &State, now: Timestamp, changes: &mut Changes, applied: &mut Applied) {
    for partition in state.partitions.values() {
        for key in partition.keys.values() {
            if deadline(key).is_none_or(|due| due > now) {
                continue;
            }
            let Some(key) = changes.current(state, &key.arn) else {
                continue;
            };
            if deletion::is_due(&key, now) {
                deletion::delete_key(state, &key, changes);
                multi_region::forget_deleted(state, changes, &key, now);
                applied.deleted.push(key.arn.clone());
                continue;
            }
            let mut next = Key::clone(&key);
            let settled = multi_region::settle_due(&mut next, now)
                | custom_key_stores::settle_due(&mut next, now);
            let expired = import::expire_due(&mut next, now);
            let rotated = next.state == KeyState::Enabled
                && !next.is_replica()
                && rotation::rotate_due(&mut next, now);
            if settled || expired || rotated {
                let next = changes.put_key(next);
                multi_region::sync_replicas(state, changes, &next);
            }
            if expired {
                applied.expired.push(key.arn.clone());
            }
            if rotated {
                applied.rotated.push(key.arn.clone());
            }
        }
    }
    applied.deleted.sort_by_key(KeyArn::to_string);
    applied.rotated.sort_by_key(KeyArn::to_string);
    applied.expired.sort_by_key(KeyArn::to_string);
}

#[cfg(test)]
mod tests;
