//! The KMS JSON 1.1 protocol: the only code that knows wire shapes and `__type` names.
//! [`dispatch`] holds the one operation table; each group file holds its operations'
//! request and response types and a thin adapter to [`Kms`].

mod aliases;
mod encapsulation;
mod encryption;
pub mod error;
mod keys;
mod policies;
mod signing;
mod tags;
pub mod wire;

pub use error::{ApiError, ErrorCode};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::kms::Kms;
use crate::kms::model::Scope;
use wire::{Validate, Validator};

/// One KMS operation: its typed request and response and its adapter to [`Kms`].
pub(crate) trait Operation {
    /// The request body.
    type Request: DeserializeOwned + Validate;
    /// The response body.
    type Response: Serialize;
    /// Whether it may take long: it waits for a disk flush (every mutation) or does heavy
    /// computation (key pair generation). Such operations run off the async runtime.
    const BLOCKING: bool;
    /// Runs the operation for `caller`.
    fn handle(
        kms: &Kms,
        caller: &Scope,
        request: Self::Request,
    ) -> Result<Self::Response, ApiError>;
}

/// An empty response body, for operations without output.
#[derive(Debug, Serialize)]
pub(crate) struct Empty {}

/// Declares the operation table once: [`dispatch`], [`OPERATIONS`] and [`blocking`].
macro_rules! operations {
    ($($group:ident :: $op:ident,)+) => {
        /// Every operation kmsd implements, by wire name.
        pub const OPERATIONS: &[&str] = &[$(stringify!($op),)+];

        /// Runs the operation `name` on a JSON request body and returns the JSON response body.
        pub fn dispatch(kms: &Kms, caller: &Scope, name: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
            match name {
                $(stringify!($op) => call::<$group::$op>(kms, caller, body),)+
                _ => Err(ApiError::unknown_operation(name)),
            }
        }

        /// Whether the operation `name` may take long (see [`Operation::BLOCKING`]).
        pub fn blocking(name: &str) -> bool {
            match name {
                $(stringify!($op) => <$group::$op as Operation>::BLOCKING,)+
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
    encryption::GenerateDataKeyPair,
    encryption::GenerateDataKeyPairWithoutPlaintext,
    encryption::GenerateRandom,
    signing::Sign,
    signing::Verify,
    signing::GetPublicKey,
    signing::GenerateMac,
    signing::VerifyMac,
    signing::DeriveSharedSecret,
    encapsulation::Encapsulate,
    encapsulation::Decapsulate,
    tags::TagResource,
    tags::UntagResource,
    tags::ListResourceTags,
    policies::GetKeyPolicy,
    policies::PutKeyPolicy,
    policies::ListKeyPolicies,
}

/// Decode, validate, handle, encode: the same steps for every operation.
fn call<O: Operation>(kms: &Kms, caller: &Scope, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let request: O::Request = decode(body)?;
    let mut validator = Validator::default();
    request.validate(&mut validator);
    validator.finish()?;
    let response = O::handle(kms, caller, request)?;
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
