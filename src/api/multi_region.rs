//! Wire adapters for ReplicateKey and UpdatePrimaryRegion. CreateKey's `MultiRegion` and the
//! `MultiRegionConfiguration` of key metadata are in `keys.rs`.

use serde::{Deserialize, Serialize};

use super::keys::{KeyMetadata, policy_constraints};
use super::wire::{Validator, WireTag, key_ref, tag_pairs, validate_tags};
use super::{ApiError, Empty, Handler};
use crate::kms::multi_region::{ReplicateKeyInput, UpdatePrimaryRegionInput};
use crate::kms::{Context, Kms};
use crate::model::Region;

/// ReplicateKey.
pub(crate) struct ReplicateKey;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ReplicateKeyRequest {
    key_id: Option<String>,
    replica_region: Option<String>,
    policy: Option<String>,
    /// Accepted; policies are not enforced, so there is no lockout to check.
    bypass_policy_lockout_safety_check: Option<bool>,
    description: Option<String>,
    tags: Option<Vec<WireTag>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ReplicateKeyResponse {
    replica_key_metadata: KeyMetadata,
    replica_policy: String,
    replica_tags: Vec<WireTag>,
}

impl Handler for ReplicateKey {
    type Request = ReplicateKeyRequest;
    type Input = ReplicateKeyInput;
    type Response = ReplicateKeyResponse;

    fn parse(r: ReplicateKeyRequest, v: &mut Validator) -> Option<ReplicateKeyInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.region("replicaRegion", r.replica_region.as_deref(), true);
        policy_constraints(v, r.policy.as_deref(), false);
        v.string("description", r.description.as_deref(), 0, 8192, false);
        validate_tags(v, "tags", r.tags.as_ref());
        v.names_key(r.key_id.as_deref());
        Some(ReplicateKeyInput {
            key: key_ref(r.key_id)?,
            region: r.replica_region.as_deref().and_then(Region::parse)?,
            policy: r.policy,
            description: r.description,
            tags: tag_pairs(r.tags)?,
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: ReplicateKeyInput,
    ) -> Result<ReplicateKeyResponse, ApiError> {
        let replica = kms.replicate_key(cx, input)?;
        Ok(ReplicateKeyResponse {
            replica_key_metadata: KeyMetadata::from(&*replica),
            replica_policy: replica.policy_text().into_owned(),
            replica_tags: replica
                .tags
                .iter()
                .map(|(k, v)| WireTag {
                    tag_key: Some(k.clone()),
                    tag_value: Some(v.clone()),
                })
                .collect(),
        })
    }
}

/// UpdatePrimaryRegion.
pub(crate) struct UpdatePrimaryRegion;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdatePrimaryRegionRequest {
    key_id: Option<String>,
    primary_region: Option<String>,
}

impl Handler for UpdatePrimaryRegion {
    type Request = UpdatePrimaryRegionRequest;
    type Input = UpdatePrimaryRegionInput;
    type Response = Empty;

    fn parse(r: UpdatePrimaryRegionRequest, v: &mut Validator) -> Option<UpdatePrimaryRegionInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.region("primaryRegion", r.primary_region.as_deref(), true);
        v.names_key(r.key_id.as_deref());
        Some(UpdatePrimaryRegionInput {
            key: key_ref(r.key_id)?,
            region: r.primary_region.as_deref().and_then(Region::parse)?,
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: UpdatePrimaryRegionInput,
    ) -> Result<Empty, ApiError> {
        kms.update_primary_region(cx, input)?;
        Ok(Empty {})
    }
}
