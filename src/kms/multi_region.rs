//! Multi-Region keys: ReplicateKey, UpdatePrimaryRegion, and keeping related keys in step.
//! Related keys are ordinary keys in other regions of the same account, with the same key id
//! and a copy of one [`MultiRegion`] configuration each; kmsd's regions live in one process, so
//! every change to a set of related keys is one batch. CreateKey makes primaries (`keys.rs`).
//! Keys with imported material do not share their material: each imports it (`import.rs`), and
//! `sync_replicas` keeps the rest in step.
//! See <https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html>.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Changes, Context, Error, Kms, Result, State, policies, tags};
use crate::model::{
    Deletion, ImportedMaterial, Imports, Key, KeyArn, KeyManager, KeyMaterialState, KeyPolicy,
    KeyRef, KeyState, MaterialId, MultiRegion, Origin, Region, Scope, Settle, Timestamp,
};

/// How long a new replica is `Creating`, and how long UpdatePrimaryRegion leaves both keys
/// `Updating`, on kmsd's clock. AWS says "a few seconds" for both.
pub const TRANSIENT_STATE_MS: u64 = 3_000;

/// ReplicateKey's request.
#[derive(Debug)]
pub struct ReplicateKeyInput {
    /// The primary key.
    pub key: KeyRef,
    /// `ReplicaRegion`.
    pub region: Region,
    /// `Policy`: the replica's own key policy (the default policy when absent).
    pub policy: Option<String>,
    /// `Description`: the replica's own description.
    pub description: Option<String>,
    /// `Tags`: the replica's own tags, in request order.
    pub tags: Vec<(String, String)>,
}

/// UpdatePrimaryRegion's request.
#[derive(Debug)]
pub struct UpdatePrimaryRegionInput {
    /// The current primary key.
    pub key: KeyRef,
    /// `PrimaryRegion`: the region of the replica that becomes the primary.
    pub region: Region,
}

impl Kms {
    /// ReplicateKey: a replica of the primary key `input.key` in `input.region`, with the
    /// same id, material and shared properties, and its own policy, description and tags. It
    /// is `Creating` for [`TRANSIENT_STATE_MS`], then `Enabled`.
    pub fn replicate_key(&self, cx: &mut Context, input: ReplicateKeyInput) -> Result<Arc<Key>> {
        if let Some(policy) = &input.policy {
            policies::check_policy(policy, &self.quotas)?;
        }
        let mut replica_tags = BTreeMap::new();
        tags::merge_tags(&mut replica_tags, input.tags, &self.quotas)?;
        let now = self.clock.now();
        let replica = self.mutate(&mut cx.seen, |state, changes| {
            let primary = state.resolve(&cx.scope, &input.key, super::resolve::Access::Own)?;
            primary.require_customer_managed(&cx.caller, cx.operation)?;
            let Some(config) = primary
                .multi_region
                .as_ref()
                .filter(|_| primary.is_primary())
            else {
                return Err(Error::NotMultiRegionPrimary(primary.arn.clone()));
            };
            match primary.state {
                KeyState::Enabled | KeyState::Disabled => {}
                // A primary waiting for its first imported material can be replicated: the
                // replica waits for it too.
                KeyState::PendingImport if primary.origin == Origin::External => {}
                _ => return Err(primary.invalid_state()),
            }
            let target = Scope {
                account: cx.scope.account.clone(),
                region: input.region.clone(),
            };
            let replica_arn = KeyArn {
                scope: state.shared_scope(&target),
                key_id: primary.arn.key_id.clone(),
            };
            if input.region == primary.arn.scope.region {
                return Err(Error::Unsupported(format!(
                    "{} is already in {}; a replica must be in another Region.",
                    primary.arn,
                    input.region.as_str()
                )));
            }
            if partition_of(&input.region) != partition_of(&primary.arn.scope.region) {
                return Err(Error::Unsupported(format!(
                    "The replica Region {} is not in the same AWS partition as {}.",
                    input.region.as_str(),
                    primary.arn
                )));
            }
            let exists = state
                .partition(&target)
                .is_some_and(|p| p.keys.contains_key(&replica_arn.key_id));
            if exists || config.replicas.contains(&input.region) {
                return Err(Error::ReplicaExists(replica_arn));
            }
            let customer_keys = state.partition(&target).map_or(0, |p| {
                p.keys
                    .values()
                    .filter(|k| k.manager == KeyManager::Customer)
                    .count()
            });
            if customer_keys >= self.quotas.keys {
                return Err(Error::LimitExceeded(format!(
                    "The account {} has the most KMS keys allowed in {} ({}).",
                    target.account.as_str(),
                    target.region.as_str(),
                    self.quotas.keys
                )));
            }
            let mut replicas = config.replicas.clone();
            replicas.push(replica_arn.scope.region.clone());
            // "If you replicate a multi-Region primary key with imported key material, the
            // replica key is created with no key material": it knows which materials are
            // associated with the key, and waits for each to be imported.
            let external = primary.origin == Origin::External;
            let (materials, imports) = if external {
                (
                    Arc::from([]),
                    Some(Box::new(waiting_imports(primary.imports()))),
                )
            } else {
                (primary.materials.clone(), None)
            };
            let replica = Key {
                arn: replica_arn,
                creation_date: now,
                description: input.description.unwrap_or_default(),
                usage: primary.usage,
                spec: primary.spec,
                origin: primary.origin,
                manager: KeyManager::Customer,
                state: KeyState::Creating,
                deletion: None,
                materials,
                tags: replica_tags,
                policy: input.policy.map_or(KeyPolicy::Default, |text| {
                    KeyPolicy::new(&cx.scope.account, text)
                }),
                rotation: primary.rotation.clone(),
                grants: Vec::new(),
                imports,
                custom_key_store: None,
                multi_region: Some(Box::new(MultiRegion {
                    primary: config.primary.clone(),
                    replicas: replicas.clone(),
                    settles: Some(Settle {
                        at: Timestamp(now.0 + TRANSIENT_STATE_MS),
                        state: if external {
                            KeyState::PendingImport
                        } else {
                            KeyState::Enabled
                        },
                    }),
                })),
            };
            // Every related key learns of the new replica.
            for arn in primary
                .related_keys()
                .into_iter()
                .chain([primary.arn.clone()])
            {
                if let Some(related) = changes.current(state, &arn) {
                    let mut related = Key::clone(&related);
                    if let Some(config) = &mut related.multi_region {
                        config.replicas = replicas.clone();
                    }
                    changes.put_key(related);
                }
            }
            let replica = changes.put_key(replica);
            // Material pending rotation now waits for the new replica too.
            sync_replicas(state, changes, &replica);
            Ok(changes.current(state, &replica.arn).unwrap_or(replica))
        })?;
        cx.uses(&replica);
        Ok(replica)
    }

    /// UpdatePrimaryRegion: the replica in `input.region` becomes the primary key and the
    /// primary a replica. Both must be enabled; both are `Updating` for [`TRANSIENT_STATE_MS`]
    /// (usable in cryptographic operations, not manageable), then `Enabled` again.
    pub fn update_primary_region(
        &self,
        cx: &mut Context,
        input: UpdatePrimaryRegionInput,
    ) -> Result<()> {
        let now = self.clock.now();
        let primary = self.mutate(&mut cx.seen, |state, changes| {
            let primary = state.resolve(&cx.scope, &input.key, super::resolve::Access::Own)?;
            primary.require_customer_managed(&cx.caller, cx.operation)?;
            let Some(config) = primary
                .multi_region
                .as_ref()
                .filter(|_| primary.is_primary())
            else {
                return Err(Error::NotMultiRegionPrimary(primary.arn.clone()));
            };
            require_enabled_for_update(&primary)?;
            let new_arn = KeyArn {
                scope: Scope {
                    account: primary.arn.scope.account.clone(),
                    region: input.region.clone(),
                },
                key_id: primary.arn.key_id.clone(),
            };
            if input.region == primary.arn.scope.region {
                return Err(Error::Unsupported(format!(
                    "{} is already the primary key.",
                    primary.arn
                )));
            }
            let new_primary = config
                .replicas
                .contains(&input.region)
                .then(|| changes.current(state, &new_arn))
                .flatten()
                .ok_or_else(|| Error::KeyNotFound(new_arn.to_string()))?;
            require_enabled_for_update(&new_primary)?;
            let old_region = primary.arn.scope.region.clone();
            let replicas: Vec<Region> = config
                .replicas
                .iter()
                .filter(|r| **r != input.region)
                .cloned()
                .chain([old_region.clone()])
                .collect();
            let settles = Some(Settle {
                at: Timestamp(now.0 + TRANSIENT_STATE_MS),
                state: KeyState::Enabled,
            });
            for arn in primary
                .related_keys()
                .into_iter()
                .chain([primary.arn.clone()])
            {
                let Some(related) = changes.current(state, &arn) else {
                    continue;
                };
                let mut related = Key::clone(&related);
                let switching = arn.scope.region == old_region || arn.scope.region == input.region;
                if switching {
                    related.state = KeyState::Updating;
                }
                if let Some(config) = &mut related.multi_region {
                    config.primary = input.region.clone();
                    config.replicas = replicas.clone();
                    if switching {
                        config.settles = settles;
                    }
                }
                changes.put_key(related);
            }
            Ok(primary)
        })?;
        cx.uses(&primary);
        Ok(())
    }
}

/// UpdatePrimaryRegion needs both keys enabled.
fn require_enabled_for_update(key: &Key) -> Result<()> {
    match key.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(Error::Disabled(key.arn.clone())),
        _ => Err(key.invalid_state()),
    }
}

/// The AWS partition a region belongs to: replicas stay in their primary's partition.
fn partition_of(region: &Region) -> &'static str {
    let name = region.as_str();
    if name.starts_with("cn-") {
        "aws-cn"
    } else if name.starts_with("us-gov-") {
        "aws-us-gov"
    } else if name.starts_with("us-iso-") {
        "aws-iso"
    } else if name.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// Copies the shared properties of the primary key `source` (material versions, rotation
/// settings and history) to its replicas, for those that differ. Does nothing for a replica or
/// a single-Region key: only a primary is a source. Keys with imported material share less
/// (see [`sync_imported`]), and any of them can be `source`.
pub(super) fn sync_replicas(state: &State, changes: &mut Changes, source: &Key) {
    if source.origin == Origin::External {
        sync_imported(state, changes, source);
        return;
    }
    if !source.is_primary() {
        return;
    }
    for arn in source.related_keys() {
        let Some(replica) = changes.current(state, &arn) else {
            continue;
        };
        if Arc::ptr_eq(&replica.materials, &source.materials) && replica.rotation == source.rotation
        {
            continue;
        }
        let mut replica = Key::clone(&replica);
        replica.materials = source.materials.clone();
        replica.rotation = source.rotation.clone();
        changes.put_key(replica);
    }
}

/// Keeps related keys with imported material in step after a change to `changed` (any of
/// them, as the batch leaves it, or one just deleted). AWS does not copy imported material
/// between regions: each related key imports it itself, with its own `ValidTo`, description
/// and key state. What they share is the primary key's: which materials are associated with
/// the key and each one's `KeyMaterialState`, and the rotation history. Material pending
/// rotation is `PENDING_ROTATION` once every related key has imported it, and
/// `PENDING_MULTI_REGION_IMPORT_AND_ROTATION` until then. See
/// <https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-import.html>.
fn sync_imported(state: &State, changes: &mut Changes, changed: &Key) {
    if changed.multi_region.is_none() {
        return;
    }
    let keys: Vec<Arc<Key>> = std::iter::once(changed.arn.clone())
        .chain(changed.related_keys())
        .filter_map(|arn| changes.current(state, &arn))
        .collect();
    let Some(primary) = keys.iter().find(|k| k.is_primary()).cloned() else {
        return;
    };
    let shared: Vec<(MaterialId, KeyMaterialState)> = primary
        .imports()
        .materials
        .iter()
        .map(|m| (m.id, m.state))
        .collect();
    let mut next: Vec<Key> = keys
        .iter()
        .map(|key| {
            let mut key = Key::clone(key);
            let own = &key.imports().materials;
            let materials: Vec<ImportedMaterial> = shared
                .iter()
                .map(|&(id, state)| {
                    let own = own.iter().find(|m| m.id == id);
                    ImportedMaterial {
                        id,
                        state,
                        imported: own.is_some_and(|m| m.imported),
                        valid_to: own.and_then(|m| m.valid_to),
                        description: own.and_then(|m| m.description.clone()),
                    }
                })
                .collect();
            if key.imports().materials != materials {
                key.imports_mut().materials = materials;
            }
            // Material no longer associated (deleted from the primary while pending rotation)
            // goes from every related key.
            if key
                .materials
                .iter()
                .any(|m| key.imports().material(&m.id).is_none())
            {
                let kept: Vec<_> = key
                    .materials
                    .iter()
                    .filter(|m| key.imports().material(&m.id).is_some())
                    .cloned()
                    .collect();
                key.materials = kept.into();
            }
            key.rotation.clone_from(&primary.rotation);
            key
        })
        .collect();
    let pending = primary
        .imports()
        .materials
        .iter()
        .filter(|m| m.pending_rotation());
    for id in pending.map(|m| &m.id) {
        let everywhere = next
            .iter()
            .all(|k| k.imports().material(id).is_some_and(|m| m.imported));
        let state = if everywhere {
            KeyMaterialState::PendingRotation
        } else {
            KeyMaterialState::PendingMultiRegionImportAndRotation
        };
        for key in &mut next {
            if let Some(entry) = key
                .imports
                .as_mut()
                .and_then(|i| i.materials.iter_mut().find(|m| m.id == *id))
            {
                entry.state = state;
            }
        }
    }
    for (old, new) in keys.iter().zip(next) {
        let same = old.imports().materials == new.imports().materials
            && old.materials.len() == new.materials.len()
            && old.rotation == new.rotation;
        if !same {
            changes.put_key(new);
        }
    }
}

/// The imports of a new replica of a primary key with imported material: the same materials,
/// none of them imported yet.
fn waiting_imports(primary: &Imports) -> Imports {
    Imports {
        materials: primary
            .materials
            .iter()
            .map(|m| ImportedMaterial {
                id: m.id,
                state: m.state,
                imported: false,
                valid_to: None,
                description: None,
            })
            .collect(),
        parameters: Vec::new(),
    }
}

/// Ends `key`'s transient state if it is due at `now`. Returns whether the key changed. A key
/// that left the transient state meanwhile (scheduled for deletion, say) keeps its state.
pub(super) fn settle_due(key: &mut Key, now: Timestamp) -> bool {
    let Some(config) = &mut key.multi_region else {
        return false;
    };
    let Some(settle) = config.settles.filter(|s| s.at <= now) else {
        return false;
    };
    config.settles = None;
    if matches!(key.state, KeyState::Creating | KeyState::Updating) {
        key.state = settle.state;
    }
    true
}

/// Removes the deleted multi-Region key `deleted` from its related keys' configuration. A
/// primary waiting in `PendingReplicaDeletion` for its last replica to go becomes
/// `PendingDeletion`, its waiting period starting at `now`.
pub(super) fn forget_deleted(state: &State, changes: &mut Changes, deleted: &Key, now: Timestamp) {
    let region = &deleted.arn.scope.region;
    for arn in deleted.related_keys() {
        let Some(related) = changes.current(state, &arn) else {
            continue;
        };
        let mut related = Key::clone(&related);
        let Some(config) = &mut related.multi_region else {
            continue;
        };
        config.replicas.retain(|r| r != region);
        if config.replicas.is_empty()
            && related.state == KeyState::PendingReplicaDeletion
            && let Some(deletion) = related.deletion
        {
            related.state = KeyState::PendingDeletion;
            related.deletion = Some(Deletion {
                date: now.plus_days(deletion.window_days),
                window_days: deletion.window_days,
            });
        }
        changes.put_key(related);
    }
    // Material pending rotation no longer waits for the deleted replica.
    if deleted.origin == Origin::External {
        sync_imported(state, changes, deleted);
    }
}
