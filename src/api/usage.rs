//! Wire adapter for GetKeyLastUsage. Which calls count as usage is a property of the operation
//! (`Operation::usage`); `api` records it after every successful call.

use serde::Serialize;

use super::keys::KeyIdRequest;
use super::wire::{EpochSeconds, Validator};
use super::{ApiError, Handler};
use crate::kms::{Context, Kms};
use crate::model::KeyRef;

/// GetKeyLastUsage.
pub(crate) struct GetKeyLastUsage;

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

impl Handler for GetKeyLastUsage {
    type Request = KeyIdRequest;
    type Input = KeyRef;
    type Response = GetKeyLastUsageResponse;

    fn parse(r: KeyIdRequest, v: &mut Validator) -> Option<KeyRef> {
        r.parse(v)
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        key: KeyRef,
    ) -> Result<GetKeyLastUsageResponse, ApiError> {
        let usage = kms.get_key_last_usage(cx, &key)?;
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
