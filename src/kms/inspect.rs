//! Read-only views of the state for the admin API's console: the partitions that hold
//! anything, every key of one with its aliases, one key with what belongs to it, aliases,
//! grants, and a revision number that changes with every write. Views name material versions
//! by id and date only; no secret leaves here. JSON is the server's business (`server/console.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::grants::GrantEntry;
use super::{Kms, Partition, WriteSeq};
use crate::model::{Alias, Key, KeyId, LastUsage, MaterialId, RotationRecord, Scope, Timestamp};

/// One account and region, and how much it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeSummary {
    /// The account and region.
    pub scope: Scope,
    /// How many keys it holds.
    pub keys: usize,
    /// How many aliases it holds.
    pub aliases: usize,
}

/// A key and the aliases that point to it.
#[derive(Debug, Clone)]
pub struct KeyView {
    /// The key record. Callers show its metadata; its material stays where it is.
    pub key: Arc<Key>,
    /// Its aliases, by name.
    pub aliases: Vec<Alias>,
}

/// A key with everything the console shows on its page.
#[derive(Debug, Clone)]
pub struct KeyDetails {
    /// The key and its aliases.
    pub view: KeyView,
    /// Its material versions, oldest first: ids and dates, never the material.
    pub versions: Vec<MaterialVersion>,
    /// Its last cryptographic use since tracking began, if any.
    pub last_usage: Option<LastUsage>,
    /// When usage tracking began for this key.
    pub tracking_start: Timestamp,
}

/// One version of a key's material, without the material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaterialVersion {
    /// Its id (`KeyMaterialId`).
    pub id: MaterialId,
    /// When it became the key's material.
    pub created: Timestamp,
    /// Whether it seals new data.
    pub current: bool,
    /// The rotation that made it current; `None` for the key's first material.
    pub rotation: Option<RotationRecord>,
}

impl Kms {
    /// A number that changes whenever the state does (a write, a reset): a client that saw
    /// the same number has nothing new to read.
    pub fn revision(&self) -> u64 {
        self.revision.load(Ordering::Acquire)
    }

    /// Every account and region that holds a key or an alias, and the home scope, in order.
    pub fn inspect_scopes(&self) -> Vec<ScopeSummary> {
        let state = self.read_seeing(&mut WriteSeq::default());
        let mut scopes: Vec<ScopeSummary> = state
            .partitions
            .iter()
            .filter(|(scope, p)| {
                **scope == self.home || !p.keys.is_empty() || !p.aliases.is_empty()
            })
            .map(|(scope, p)| ScopeSummary {
                scope: scope.clone(),
                keys: p.keys.len(),
                aliases: p.aliases.len(),
            })
            .collect();
        if !scopes.iter().any(|s| s.scope == self.home) {
            scopes.push(ScopeSummary {
                scope: self.home.clone(),
                keys: 0,
                aliases: 0,
            });
        }
        scopes.sort_by(|a, b| {
            (a.scope.account.as_str(), a.scope.region.as_str())
                .cmp(&(b.scope.account.as_str(), b.scope.region.as_str()))
        });
        scopes
    }

    /// Every key of `scope`, by key id, with its aliases.
    pub fn inspect_keys(&self, scope: &Scope) -> Vec<KeyView> {
        let state = self.read_seeing(&mut WriteSeq::default());
        let Some(partition) = state.partition(scope) else {
            return Vec::new();
        };
        let mut aliases: HashMap<&KeyId, Vec<Alias>> = HashMap::new();
        for alias in partition.aliases.values() {
            aliases
                .entry(&alias.target)
                .or_default()
                .push(alias.clone());
        }
        partition
            .keys
            .iter()
            .map(|(id, key)| KeyView {
                key: key.clone(),
                aliases: aliases.remove(id).unwrap_or_default(),
            })
            .collect()
    }

    /// The key `key_id` of `scope` with its aliases, material versions and last usage, or
    /// `None` when there is no such key.
    pub fn inspect_key(&self, scope: &Scope, key_id: &KeyId) -> Option<KeyDetails> {
        let view = {
            let state = self.read_seeing(&mut WriteSeq::default());
            let partition = state.partition(scope)?;
            view(partition, partition.keys.get(key_id)?)
        };
        let key = &view.key;
        let count = key.materials.len();
        let versions = key
            .materials
            .iter()
            .enumerate()
            .map(|(i, material)| MaterialVersion {
                id: material.id,
                created: material.created,
                current: i + 1 == count,
                rotation: key
                    .rotation
                    .history
                    .iter()
                    .find(|r| r.material_id == material.id)
                    .copied(),
            })
            .collect();
        Some(KeyDetails {
            last_usage: self.usage.get(&key.arn),
            tracking_start: self.tracking_start.max(key.creation_date),
            versions,
            view,
        })
    }

    /// Every alias of `scope`, by name.
    pub fn inspect_aliases(&self, scope: &Scope) -> Vec<Alias> {
        let state = self.read_seeing(&mut WriteSeq::default());
        state
            .partition(scope)
            .map(|p| p.aliases.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every grant on the keys of `scope`, by key id, then oldest first.
    pub fn inspect_grants(&self, scope: &Scope) -> Vec<GrantEntry> {
        let state = self.read_seeing(&mut WriteSeq::default());
        let Some(partition) = state.partition(scope) else {
            return Vec::new();
        };
        partition
            .keys
            .values()
            .flat_map(|key| {
                key.grants.iter().map(|grant| GrantEntry {
                    key_arn: key.arn.clone(),
                    grant: grant.clone(),
                })
            })
            .collect()
    }
}

/// `key` and the aliases of `partition` that point to it.
fn view(partition: &Partition, key: &Arc<Key>) -> KeyView {
    KeyView {
        key: key.clone(),
        aliases: partition
            .aliases
            .values()
            .filter(|alias| alias.target == key.arn.key_id)
            .cloned()
            .collect(),
    }
}
