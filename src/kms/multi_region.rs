//! Multi-Region keys: ReplicateKey, UpdatePrimaryRegion, and keeping related keys in step.
//! Related keys are ordinary keys in other regions of the same account, with the same key id
//! and a copy of one [`MultiRegion`] configuration each; kmsd's regions live in one process, so
//! every change to a set of related keys is one batch. CreateKey makes primaries (`keys.rs`).
//! See <https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html>.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Changes, Context, Error, Kms, Result, State, policies, tags};
use crate::model::{
    Deletion, Key, KeyArn, KeyManager, KeyPolicy, KeyRef, KeyState, MultiRegion, Region, Scope,
    Settle, Timestamp,
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
                materials: primary.materials.clone(),
                tags: replica_tags,
                policy: input.policy.map_or(KeyPolicy::Default, |text| {
                    KeyPolicy::new(&cx.scope.account, text)
                }),
                rotation: primary.rotation.clone(),
                grants: Vec::new(),
                // Multi-Region keys with imported material are refused at CreateKey.
                imports: None,
                custom_key_store: None,
                multi_region: Some(Box::new(MultiRegion {
                    primary: config.primary.clone(),
                    replicas: replicas.clone(),
                    settles: Some(Settle {
                        at: Timestamp(now.0 + TRANSIENT_STATE_MS),
                        state: KeyState::Enabled,
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
            Ok(changes.put_key(replica))
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
/// a single-Region key: only a primary is a source.
pub(super) fn sync_replicas(state: &State, changes: &mut Changes, source: &Key) {
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
}
