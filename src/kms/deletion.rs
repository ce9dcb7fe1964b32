//! Real deletion: once a key's `DeletionDate` has passed, the key and everything in its record
//! (material, tags, policy) and its aliases are removed from memory and from the store.
//! ScheduleKeyDeletion and CancelKeyDeletion are in `keys.rs`; `deadlines.rs` decides when.

use super::{Change, Changes, State};
use crate::model::{Key, KeyState, Timestamp};

/// Whether `key` is pending deletion with a date at or before `now`.
pub(super) fn is_due(key: &Key, now: Timestamp) -> bool {
    key.state == KeyState::PendingDeletion && key.deletion.is_some_and(|d| d.date <= now)
}

/// Records the removal of `key` and of every alias that points to it.
pub(super) fn delete_key(state: &State, key: &Key, changes: &mut Changes) {
    let scope = &key.arn.scope;
    if let Some(partition) = state.partition(scope) {
        for (name, alias) in &partition.aliases {
            if alias.target == key.arn.key_id {
                changes.delete_alias(scope, name.clone());
            }
        }
    }
    changes.0.push(Change::DeleteKey(key.arn.clone()));
}
