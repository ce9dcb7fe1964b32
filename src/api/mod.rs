//! The KMS JSON 1.1 protocol: the only code that knows wire shapes and `__type` names.
//! [`dispatch`] holds the one operation table; each group file holds its operations'
//! request and response types and a thin adapter to [`Kms`].

mod aliases;
mod encryption;
pub mod error;
mod keys;
mod policies;
mod rotation;
mod tags;
mod usage;
pub mod wire;

pub use error::{ApiError, ErrorCode};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::kms::Kms;
use crate::kms::model::{Scope, UsageOperation};
use wire::{Validate, Validator};

/// One KMS operation: its typed request and response and its adapter to [`Kms`].
pub(crate) trait Operation {
    /// The request body.
    type Request: DeserializeOwned + Validate;
    /// The response body.
    type Response: Serialize;
    /// Whether it changes state, and so waits for a disk flush: such operations run off the
    /// async runtime.
    const WRITES: bool;
    /// Runs the operation for `caller`.
    fn handle(
        kms: &Kms,
        caller: &Scope,
        request: Self::Request,
    ) -> Result<Self::Response, ApiError>;

    /// The keys (ARNs, as the response names them) a successful call used in a cryptographic
    /// operation, for GetKeyLastUsage. Only operations named in `UsageOperation` report any;
    /// ReEncrypt reports both of its keys.
    fn used_keys(_response: &Self::Response) -> [Option<&str>; 2] {
        [None, None]
    }
}

/// An empty response body, for operations without output.
#[derive(Debug, Serialize)]
pub(crate) struct Empty {}

/// Declares the operation table once: [`dispatch`], [`OPERATIONS`] and [`writes`].
macro_rules! operations {
    ($($group:ident :: $op:ident,)+) => {
        /// Every operation kmsd implements, by wire name.
        pub const OPERATIONS: &[&str] = &[$(stringify!($op),)+];

        /// Runs the operation `name` on a JSON request body and returns the JSON response body.
        /// `request_id` is the call's `x-amzn-RequestId`, which key usage records.
        pub fn dispatch(
            kms: &Kms,
            caller: &Scope,
            name: &str,
            body: &[u8],
            request_id: &str,
        ) -> Result<Vec<u8>, ApiError> {
            match name {
                $(stringify!($op) => call::<$group::$op>(kms, caller, stringify!($op), body, request_id),)+
                _ => Err(ApiError::unknown_operation(name)),
            }
        }

        /// Whether the operation `name` changes state (and so waits for a flush).
        pub fn writes(name: &str) -> bool {
            match name {
                $(stringify!($op) => <$group::$op as Operation>::WRITES,)+
                _ => false,
            }
        }
    };
}

operations! {
    keys::CreateKey,
    keys::DescribeKey,
    keys::ListKeys,
    keys::EnableKey,
    keys::DisableKey,
    keys::UpdateKeyDescription,
    keys::ScheduleKeyDeletion,
    keys::CancelKeyDeletion,
    aliases::CreateAlias,
    aliases::UpdateAlias,
    aliases::DeleteAlias,
    aliases::ListAliases,
    encryption::Encrypt,
    encryption::Decrypt,
    encryption::ReEncrypt,
    encryption::GenerateDataKey,
    encryption::GenerateDataKeyWithoutPlaintext,
    encryption::GenerateRandom,
    tags::TagResource,
    tags::UntagResource,
    tags::ListResourceTags,
    policies::GetKeyPolicy,
    policies::PutKeyPolicy,
    policies::ListKeyPolicies,
    rotation::EnableKeyRotation,
    rotation::DisableKeyRotation,
    rotation::GetKeyRotationStatus,
    rotation::RotateKeyOnDemand,
    rotation::ListKeyRotations,
    usage::GetKeyLastUsage,
}

/// Decode, validate, handle, record key usage, encode: the same steps for every operation.
fn call<O: Operation>(
    kms: &Kms,
    caller: &Scope,
    name: &str,
    body: &[u8],
    request_id: &str,
) -> Result<Vec<u8>, ApiError> {
    let request: O::Request = decode(body)?;
    let mut validator = Validator::default();
    request.validate(&mut validator);
    validator.finish()?;
    let response = O::handle(kms, caller, request)?;
    let used = O::used_keys(&response);
    if used[0].is_some()
        && let Some(operation) = UsageOperation::parse(name)
    {
        for key_arn in used.into_iter().flatten() {
            kms.record_usage(key_arn, operation, request_id);
        }
    }
    Ok(wire::to_json(&response))
}

/// Decodes a request body. It must be a JSON object (an empty body counts as `{}`); a syntax
/// error or a member of the wrong JSON type is a `SerializationException`.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let trimmed = body.trim_ascii_start();
    if trimmed.is_empty() {
        return serde_json::from_slice(b"{}").map_err(|e| ApiError::serialization(e.to_string()));
    }
    if trimmed[0] != b'{' {
        return Err(ApiError::serialization(
            "The request body must be a JSON object.",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "A member has the wrong type or value",
            _ => "The request body is not valid JSON",
        };
        ApiError::serialization(format!("{what}: {e}"))
    })
}
