//! Wire adapters for EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand and ListKeyRotations. RotateKeyOnDemand names the key by its ARN, as
//! ScheduleKeyDeletion does; GetKeyRotationStatus and ListKeyRotations by its key id, as AWS's
//! examples show.

use serde::{Deserialize, Serialize};

use super::keys::KeyIdRequest;
use super::wire::{EnumMember, EpochSeconds, Validator, key_ref, known, limit};
use super::{ApiError, Empty, Handler};
use crate::kms::rotation::{
    EnableKeyRotationInput, LIST_KEY_ROTATIONS_DEFAULT_LIMIT, ListKeyRotationsInput,
};
use crate::kms::{Context, Kms, Paging};
use crate::model::{ExpirationModel, ImportState, IncludeKeyMaterial, KeyRef};

/// EnableKeyRotation.
pub(crate) struct EnableKeyRotation;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EnableKeyRotationRequest {
    key_id: Option<String>,
    rotation_period_in_days: Option<i64>,
}

impl Handler for EnableKeyRotation {
    type Request = EnableKeyRotationRequest;
    type Input = EnableKeyRotationInput;
    type Response = Empty;

    fn parse(r: EnableKeyRotationRequest, v: &mut Validator) -> Option<EnableKeyRotationInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.range(
            "rotationPeriodInDays",
            r.rotation_period_in_days,
            90,
            2560,
            false,
        );
        v.names_key(r.key_id.as_deref());
        Some(EnableKeyRotationInput {
            key: key_ref(r.key_id)?,
            period_days: r
                .rotation_period_in_days
                .and_then(|d| u32::try_from(d).ok()),
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: EnableKeyRotationInput,
    ) -> Result<Empty, ApiError> {
        kms.enable_key_rotation(cx, input)?;
        Ok(Empty {})
    }
}

/// DisableKeyRotation.
pub(crate) struct DisableKeyRotation;

impl Handler for DisableKeyRotation {
    type Request = KeyIdRequest;
    type Input = KeyRef;
    type Response = Empty;

    fn parse(r: KeyIdRequest, v: &mut Validator) -> Option<KeyRef> {
        r.parse(v)
    }

    fn handle(kms: &Kms, cx: &mut Context, key: KeyRef) -> Result<Empty, ApiError> {
        kms.disable_key_rotation(cx, &key)?;
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

impl Handler for GetKeyRotationStatus {
    type Request = KeyIdRequest;
    type Input = KeyRef;
    type Response = GetKeyRotationStatusResponse;

    fn parse(r: KeyIdRequest, v: &mut Validator) -> Option<KeyRef> {
        r.parse(v)
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        key: KeyRef,
    ) -> Result<GetKeyRotationStatusResponse, ApiError> {
        let status = kms.get_key_rotation_status(cx, &key)?;
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

impl Handler for RotateKeyOnDemand {
    type Request = KeyIdRequest;
    type Input = KeyRef;
    type Response = RotateKeyOnDemandResponse;

    fn parse(r: KeyIdRequest, v: &mut Validator) -> Option<KeyRef> {
        r.parse(v)
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        key: KeyRef,
    ) -> Result<RotateKeyOnDemandResponse, ApiError> {
        let key = kms.rotate_key_on_demand(cx, &key)?;
        Ok(RotateKeyOnDemandResponse {
            key_id: key.arn.to_string(),
        })
    }
}

/// ListKeyRotations.
pub(crate) struct ListKeyRotations;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeyRotationsRequest {
    key_id: Option<String>,
    include_key_material: Option<EnumMember<IncludeKeyMaterial>>,
    limit: Option<i64>,
    marker: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListKeyRotationsResponse {
    rotations: Vec<RotationsListEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
    truncated: bool,
}

/// `RotationsListEntry`. The import fields (`ImportState`, `ExpirationModel`, ...) are there
/// for symmetric keys with imported material only.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RotationsListEntry {
    key_id: String,
    key_material_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    import_state: Option<&'static str>,
    key_material_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_model: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_to: Option<EpochSeconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_date: Option<EpochSeconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_type: Option<&'static str>,
}

impl Handler for ListKeyRotations {
    type Request = ListKeyRotationsRequest;
    type Input = ListKeyRotationsInput;
    type Response = ListKeyRotationsResponse;

    fn parse(r: ListKeyRotationsRequest, v: &mut Validator) -> Option<ListKeyRotationsInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.enumeration("includeKeyMaterial", r.include_key_material.as_ref(), false);
        v.paging(r.limit, r.marker.as_deref());
        v.names_key(r.key_id.as_deref());
        Some(ListKeyRotationsInput {
            key: key_ref(r.key_id)?,
            include_first: known(r.include_key_material.as_ref())
                == Some(IncludeKeyMaterial::AllKeyMaterial),
            paging: Paging {
                limit: limit(r.limit, LIST_KEY_ROTATIONS_DEFAULT_LIMIT),
                marker: r.marker,
            },
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: ListKeyRotationsInput,
    ) -> Result<ListKeyRotationsResponse, ApiError> {
        let (key, page) = kms.list_key_rotations(cx, input)?;
        Ok(ListKeyRotationsResponse {
            rotations: page
                .items
                .into_iter()
                .map(|entry| {
                    let import = entry.import.as_ref();
                    RotationsListEntry {
                        key_id: key.arn.key_id.to_string(),
                        key_material_id: entry.material_id.to_string(),
                        key_material_description: import.and_then(|m| m.description.clone()),
                        import_state: import.map(|m| {
                            if m.imported {
                                ImportState::Imported.as_str()
                            } else {
                                ImportState::PendingImport.as_str()
                            }
                        }),
                        key_material_state: entry.state.as_str(),
                        expiration_model: import.map(|m| {
                            if m.valid_to.is_some() {
                                ExpirationModel::KeyMaterialExpires.as_str()
                            } else {
                                ExpirationModel::KeyMaterialDoesNotExpire.as_str()
                            }
                        }),
                        valid_to: import.and_then(|m| m.valid_to).map(EpochSeconds::from),
                        rotation_date: entry.rotation.map(|(date, _)| date.into()),
                        rotation_type: entry.rotation.map(|(_, kind)| kind.as_str()),
                    }
                })
                .collect(),
            truncated: page.next_marker.is_some(),
            next_marker: page.next_marker,
        })
    }
}
