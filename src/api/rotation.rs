//! Wire adapters for EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand and ListKeyRotations. Responses name the key by its key id, as AWS's
//! examples show.

use serde::{Deserialize, Serialize};

use super::keys::{key_ref, limit};
use super::wire::{EnumMember, EpochSeconds, Validate, Validator, known};
use super::{ApiError, Empty, Operation};
use crate::kms::Kms;
use crate::kms::model::{IncludeKeyMaterial, Scope};
use crate::kms::rotation::LIST_KEY_ROTATIONS_DEFAULT_LIMIT;

/// A request whose only member is the required `KeyId`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RotationKeyRequest {
    key_id: Option<String>,
}

impl Validate for RotationKeyRequest {
    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
    }
}

/// EnableKeyRotation.
pub(crate) struct EnableKeyRotation;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EnableKeyRotationRequest {
    key_id: Option<String>,
    rotation_period_in_days: Option<i64>,
}

impl Validate for EnableKeyRotationRequest {
    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.range(
            "rotationPeriodInDays",
            self.rotation_period_in_days,
            90,
            2560,
            false,
        );
    }
}

impl Operation for EnableKeyRotation {
    type Request = EnableKeyRotationRequest;
    type Response = Empty;

    fn handle(kms: &Kms, caller: &Scope, r: EnableKeyRotationRequest) -> Result<Empty, ApiError> {
        let period = r
            .rotation_period_in_days
            .and_then(|d| u32::try_from(d).ok());
        kms.enable_key_rotation(caller, &key_ref(r.key_id.as_deref()), period)?;
        Ok(Empty {})
    }
}

/// DisableKeyRotation.
pub(crate) struct DisableKeyRotation;

impl Operation for DisableKeyRotation {
    type Request = RotationKeyRequest;
    type Response = Empty;

    fn handle(kms: &Kms, caller: &Scope, r: RotationKeyRequest) -> Result<Empty, ApiError> {
        kms.disable_key_rotation(caller, &key_ref(r.key_id.as_deref()))?;
        Ok(Empty {})
    }
}

/// GetKeyRotationStatus.
pub(crate) struct GetKeyRotationStatus;

/// `OnDemandRotationStartDate` is never sent: kmsd completes an on-demand rotation before
/// RotateKeyOnDemand answers, and AWS drops the field once the rotation is complete.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetKeyRotationStatusResponse {
    key_rotation_enabled: bool,
    key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_period_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_rotation_date: Option<EpochSeconds>,
}

impl Operation for GetKeyRotationStatus {
    type Request = RotationKeyRequest;
    type Response = GetKeyRotationStatusResponse;

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: RotationKeyRequest,
    ) -> Result<GetKeyRotationStatusResponse, ApiError> {
        let status = kms.get_key_rotation_status(caller, &key_ref(r.key_id.as_deref()))?;
        Ok(GetKeyRotationStatusResponse {
            key_rotation_enabled: status.enabled,
            key_id: status.key.arn.key_id.to_string(),
            rotation_period_in_days: status.schedule.map(|s| s.period_days),
            next_rotation_date: status.schedule.map(|s| s.next.into()),
        })
    }
}

/// RotateKeyOnDemand.
pub(crate) struct RotateKeyOnDemand;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RotateKeyOnDemandResponse {
    key_id: String,
}

impl Operation for RotateKeyOnDemand {
    type Request = RotationKeyRequest;
    type Response = RotateKeyOnDemandResponse;

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: RotationKeyRequest,
    ) -> Result<RotateKeyOnDemandResponse, ApiError> {
        let key = kms.rotate_key_on_demand(caller, &key_ref(r.key_id.as_deref()))?;
        Ok(RotateKeyOnDemandResponse {
            key_id: key.arn.key_id.to_string(),
        })
    }
}

/// ListKeyRotations.
pub(crate) struct ListKeyRotations;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeyRotationsRequest {
    key_id: Option<String>,
    include_key_material: Option<EnumMember<IncludeKeyMaterial>>,
    limit: Option<i64>,
    marker: Option<String>,
}

impl Validate for ListKeyRotationsRequest {
    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.enumeration(
            "includeKeyMaterial",
            self.include_key_material.as_ref(),
            false,
        );
        v.paging(self.limit, self.marker.as_deref());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeyRotationsResponse {
    rotations: Vec<RotationsListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
    truncated: bool,
}

/// `RotationsListEntry`. The import fields (`ImportState`, `ExpirationModel`, ...) belong to
/// keys with imported material, which kmsd does not have yet.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RotationsListEntry {
    key_id: String,
    key_material_id: String,
    key_material_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_date: Option<EpochSeconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_type: Option<&'static str>,
}

impl Operation for ListKeyRotations {
    type Request = ListKeyRotationsRequest;
    type Response = ListKeyRotationsResponse;

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: ListKeyRotationsRequest,
    ) -> Result<ListKeyRotationsResponse, ApiError> {
        let include_first =
            known(r.include_key_material.as_ref()) == Some(IncludeKeyMaterial::AllKeyMaterial);
        let (key, page) = kms.list_key_rotations(
            caller,
            &key_ref(r.key_id.as_deref()),
            include_first,
            limit(r.limit, LIST_KEY_ROTATIONS_DEFAULT_LIMIT),
            r.marker.as_deref(),
        )?;
        Ok(ListKeyRotationsResponse {
            rotations: page
                .items
                .into_iter()
                .map(|entry| RotationsListEntry {
                    key_id: key.arn.key_id.to_string(),
                    key_material_id: entry.material_id.to_string(),
                    key_material_state: if entry.current {
                        "CURRENT"
                    } else {
                        "NON_CURRENT"
                    },
                    rotation_date: entry.rotation.map(|(date, _)| date.into()),
                    rotation_type: entry.rotation.map(|(_, kind)| kind.as_str()),
                })
                .collect(),
            truncated: page.next_marker.is_some(),
            next_marker: page.next_marker,
        })
    }
}
