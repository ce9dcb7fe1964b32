//! Wire adapter for GetKeyLastUsage. Which calls count as usage is declared per operation by
//! `Operation::used_keys`; recording happens in `api::call`.

use serde::{Deserialize, Serialize};

use super::keys::key_ref;
use super::wire::{EpochSeconds, Validate, Validator};
use super::{ApiError, Operation};
use crate::kms::Kms;
use crate::kms::model::Scope;

/// GetKeyLastUsage.
pub(crate) struct GetKeyLastUsage;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetKeyLastUsageRequest {
    key_id: Option<String>,
}

impl Validate for GetKeyLastUsageRequest {
    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetKeyLastUsageResponse {
    key_id: String,
    /// Always present; its members are absent while the key has not been used since tracking
    /// began ("If the key has not been used since tracking began, this response element is
    /// empty").
    key_last_usage: KeyLastUsageData,
    tracking_start_date: EpochSeconds,
    key_creation_date: EpochSeconds,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyLastUsageData {
    #[serde(skip_serializing_if = "Option::is_none")]
    operation: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<EpochSeconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud_trail_event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_request_id: Option<String>,
}

impl Operation for GetKeyLastUsage {
    type Request = GetKeyLastUsageRequest;
    type Response = GetKeyLastUsageResponse;

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: GetKeyLastUsageRequest,
    ) -> Result<GetKeyLastUsageResponse, ApiError> {
        let usage = kms.get_key_last_usage(caller, &key_ref(r.key_id.as_deref()))?;
        let last = usage
            .last
            .map_or_else(KeyLastUsageData::default, |last| KeyLastUsageData {
                operation: Some(last.operation.as_str()),
                timestamp: Some(last.at.into()),
                cloud_trail_event_id: last.event_id,
                kms_request_id: Some(last.request_id),
            });
        Ok(GetKeyLastUsageResponse {
            key_id: usage.key.arn.key_id.to_string(),
            key_last_usage: last,
            tracking_start_date: usage.tracking_start.into(),
            key_creation_date: usage.key.creation_date.into(),
        })
    }
}
