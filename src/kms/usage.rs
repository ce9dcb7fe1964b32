//! GetKeyLastUsage, and recording each successful cryptographic operation per key. Recording
//! is on the hot path, so it touches neither the state lock nor the disk: it updates one slot
//! in a small sharded map, keyed by the key's ARN as the call's `Context` names it. [`Kms::flush_usage`] writes what changed, lazily (the server calls
//! it every few seconds and at shutdown), so a crash can lose the last few seconds of usage.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::{Context, Kms, Result};
use crate::model::{Key, KeyArn, KeyRef, LastUsage, Timestamp, UsageOperation};
use crate::store::Batch;

/// Independent locks, so that concurrent calls on different keys rarely wait for each other.
const SHARDS: usize = 16;

/// What GetKeyLastUsage reports.
#[derive(Debug, Clone)]
pub struct KeyLastUsage {
    /// The key.
    pub key: Arc<Key>,
    /// Its last successful cryptographic operation since tracking began, if any.
    pub last: Option<LastUsage>,
    /// `TrackingStartDate`: when kmsd began recording for this key, the later of the key's
    /// creation and the moment this data dir started tracking usage.
    pub tracking_start: Timestamp,
}

/// The last usage of every key that has one, by key ARN.
#[derive(Debug, Default)]
pub(super) struct UsageLog {
    shards: [Mutex<HashMap<KeyArn, Slot>>; SHARDS],
    /// Whether some slot may be dirty; lets an idle flush return at once.
    dirty: AtomicBool,
}

#[derive(Debug)]
struct Slot {
    last: LastUsage,
    /// Changed since it was last written to disk.
    dirty: bool,
}

impl Kms {
    /// Records what the successful call `cx` did with its keys, if its operation counts as a
    /// use of them (the cryptographic operations; ReEncrypt uses both of its keys).
    pub fn record_usage(&self, cx: &Context) {
        let Some(operation) = cx.operation.usage() else {
            return;
        };
        let now = self.clock.now();
        for arn in cx.used_keys() {
            self.usage.record(arn, operation, now, &cx.request_id);
        }
    }

    /// GetKeyLastUsage: by key id or key ARN (not an alias), in the caller's account, in
    /// every key state.
    pub fn get_key_last_usage(&self, cx: &mut Context, key_ref: &KeyRef) -> Result<KeyLastUsage> {
        let key = self.read(cx).resolve_key_only(&cx.scope, key_ref)?;
        self.authorize(cx, &key)?;
        let last = self.usage.get(&key.arn);
        cx.uses(&key);
        Ok(KeyLastUsage {
            tracking_start: self.tracking_start.max(key.creation_date),
            last,
            key,
        })
    }

    /// Whether some usage has not been written to disk yet.
    pub fn usage_is_dirty(&self) -> bool {
        self.usage.dirty.load(Ordering::Acquire)
    }

    /// Writes every usage recorded since the last flush, in one batch; returns how many. Usage
    /// of keys deleted meanwhile is dropped. Holds the writer lock, so a usage record can never
    /// be written after its key's deletion.
    pub fn flush_usage(&self) -> Result<usize> {
        if !self.usage_is_dirty() {
            return Ok(0);
        }
        let _writer = self.lock_writer();
        let mut batch = Batch::default();
        let mut written = Vec::new();
        {
            let state = self.state(&mut super::WriteSeq::default());
            for (arn, last) in self.usage.take_dirty() {
                let exists = state
                    .partition(&arn.scope)
                    .is_some_and(|p| p.keys.contains_key(&arn.key_id));
                if exists {
                    batch.put_usage(&arn, &last);
                    written.push(arn);
                } else {
                    self.usage.forget(&arn);
                }
            }
        }
        if written.is_empty() {
            return Ok(0);
        }
        if let Err(error) = self.store.write(batch) {
            self.usage.mark_dirty(&written);
            return Err(error.into());
        }
        Ok(written.len())
    }
}

impl UsageLog {
    fn shard(&self, key_arn: &KeyArn) -> MutexGuard<'_, HashMap<KeyArn, Slot>> {
        // Key ids end in a random hex digit, which spreads keys evenly over the shards.
        let index = key_arn
            .key_id
            .as_str()
            .bytes()
            .last()
            .and_then(|b| char::from(b).to_digit(16))
            .unwrap_or(0) as usize
            % SHARDS;
        // A panic while holding a shard cannot leave a slot half-written (slots are replaced
        // field by field from values computed beforehand), so a poisoned lock is still usable.
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn record(
        &self,
        key_arn: &KeyArn,
        operation: UsageOperation,
        at: Timestamp,
        request_id: &str,
    ) {
        {
            let mut shard = self.shard(key_arn);
            match shard.get_mut(key_arn) {
                Some(slot) => {
                    slot.last.operation = operation;
                    slot.last.at = at;
                    slot.last.request_id.clear();
                    slot.last.request_id.push_str(request_id);
                    slot.last.event_id = None;
                    slot.dirty = true;
                }
                None => {
                    shard.insert(
                        key_arn.clone(),
                        Slot {
                            last: LastUsage {
                                operation,
                                at,
                                request_id: request_id.to_owned(),
                                event_id: None,
                            },
                            dirty: true,
                        },
                    );
                }
            }
        }
        // Most calls find the flag already set and do not write the shared cache line.
        if !self.dirty.load(Ordering::Relaxed) {
            self.dirty.store(true, Ordering::Release);
        }
    }

    /// The last usage of `key_arn`, with its event id made up if it had none yet.
    pub(super) fn get(&self, key_arn: &KeyArn) -> Option<LastUsage> {
        let mut shard = self.shard(key_arn);
        let slot = shard.get_mut(key_arn)?;
        if slot.last.event_id.is_none() {
            slot.last.event_id = Some(uuid::Uuid::new_v4().to_string());
            slot.dirty = true;
            self.dirty.store(true, Ordering::Release);
        }
        Some(slot.last.clone())
    }

    /// Every dirty slot (event ids made up where missing), now marked clean.
    fn take_dirty(&self) -> Vec<(KeyArn, LastUsage)> {
        self.dirty.store(false, Ordering::Release);
        let mut out = Vec::new();
        for index in 0..SHARDS {
            let mut shard = self.shards[index]
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for (key_arn, slot) in shard.iter_mut().filter(|(_, s)| s.dirty) {
                slot.dirty = false;
                slot.last
                    .event_id
                    .get_or_insert_with(|| uuid::Uuid::new_v4().to_string());
                out.push((key_arn.clone(), slot.last.clone()));
            }
        }
        out
    }

    /// Marks slots dirty again after a failed write.
    fn mark_dirty(&self, key_arns: &[KeyArn]) {
        for key_arn in key_arns {
            if let Some(slot) = self.shard(key_arn).get_mut(key_arn) {
                slot.dirty = true;
            }
        }
        self.dirty.store(true, Ordering::Release);
    }

    /// Loads a usage read from the store.
    pub(super) fn restore(&self, key_arn: KeyArn, last: LastUsage) {
        self.shard(&key_arn)
            .insert(key_arn, Slot { last, dirty: false });
    }

    /// Drops the usage of a deleted key.
    pub(super) fn forget(&self, key_arn: &KeyArn) {
        self.shard(key_arn).remove(key_arn);
    }

    /// Drops everything (reset).
    pub(super) fn clear(&self) {
        for shard in &self.shards {
            shard.lock().unwrap_or_else(PoisonError::into_inner).clear();
        }
        self.dirty.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests;
