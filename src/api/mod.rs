//! The KMS JSON 1.1 protocol: the only code that knows wire shapes and `__type` names.
//! [`dispatch`] holds the one operation table; each group file holds its operations'
//! request and response types and a thin adapter to [`Kms`].

mod aliases;
mod encapsulation;
mod encryption;
pub mod error;
mod grants;
mod keys;
mod policies;
mod rotation;
mod signing;
mod tags;
mod usage;
pub mod wire;

pub use error::{ApiError, ErrorCode};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::kms::model::{Scope, UsageOperation};
use crate::kms::{Kms, WriteSeq};
use wire::{Validate, Validator};

/// One KMS operation: its typed request and response and its adapter to [`Kms`].
pub(crate) trait Operation {
    /// The request body.
    type Request: DeserializeOwned + Validate;
    /// The response body.
    type Response: Serialize;
    /// Runs the operation for `caller`.
    fn handle(
        kms: &Kms,
        caller: &Scope,
        request: Self::Request,
    ) -> Result<Self::Response, ApiError>;

    /// Whether this request does heavy computation (key pair generation), judged from its raw
    /// body before decoding. Such requests run off the async runtime; everything else,
    /// mutations included, runs in place (a mutation's wait for its disk flush is async).
    fn heavy(_body: &[u8]) -> bool {
        false
    }

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

/// The operations of the KMS API that kmsd does not implement: imported key material,
/// multi-Region keys and custom key stores. They are valid requests that kmsd cannot do, so
/// they answer `UnsupportedOperationException` ([`ApiError::not_supported`]), not
/// `UnknownOperationException`. With [`OPERATIONS`] they make up the whole API.
pub const NOT_SUPPORTED: &[&str] = &[
    "GetParametersForImport",
    "ImportKeyMaterial",
    "DeleteImportedKeyMaterial",
    "ReplicateKey",
    "UpdatePrimaryRegion",
    "CreateCustomKeyStore",
    "DescribeCustomKeyStores",
    "UpdateCustomKeyStore",
    "DeleteCustomKeyStore",
    "ConnectCustomKeyStore",
    "DisconnectCustomKeyStore",
];

/// Declares the operation table once: [`dispatch`], [`OPERATIONS`] and [`heavy`].
macro_rules! operations {
    ($($group:ident :: $op:ident,)+) => {
        /// Every operation kmsd implements, by wire name.
        pub const OPERATIONS: &[&str] = &[$(stringify!($op),)+];

        /// Runs the operation `name` on a JSON request body. `request_id` is the call's
        /// `x-amzn-RequestId`, which key usage records. The response may only be sent once
        /// `kms` says the call's [`Call::seen`] write is durable.
        pub fn dispatch(
            kms: &Kms,
            caller: &Scope,
            name: &str,
            body: &[u8],
            request_id: &str,
        ) -> Call {
            let (mut call, seen) = crate::kms::observe(|| match name {
                $(stringify!($op) => call::<$group::$op>(kms, caller, stringify!($op), body, request_id),)+
                _ => Call::failed(ApiError::unknown_operation(name)),
            });
            call.seen = seen;
            call
        }

        /// Whether the request `body` to operation `name` does heavy computation and should
        /// run off the async runtime (see [`Operation::heavy`]).
        pub fn heavy(name: &str, body: &[u8]) -> bool {
            match name {
                $(stringify!($op) => <$group::$op as Operation>::heavy(body),)+
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
    rotation::EnableKeyRotation,
    rotation::DisableKeyRotation,
    rotation::GetKeyRotationStatus,
    rotation::RotateKeyOnDemand,
    rotation::ListKeyRotations,
    usage::GetKeyLastUsage,
    grants::CreateGrant,
    grants::ListGrants,
    grants::ListRetirableGrants,
    grants::RetireGrant,
    grants::RevokeGrant,
}

/// The outcome of one call.
#[derive(Debug)]
pub struct Call {
    /// The key the request named, as given (for logs and the audit trail).
    pub key_id: Option<String>,
    /// The JSON response body, or the error.
    pub result: Result<Vec<u8>, ApiError>,
    /// The latest write the call saw or made. Its result rests on that write, so it must not
    /// be sent before the write is on disk ([`Kms::durable`]).
    pub seen: WriteSeq,
}

impl Call {
    /// A call that failed before its request was understood.
    pub fn failed(error: ApiError) -> Call {
        Call {
            key_id: None,
            result: Err(error),
            seen: WriteSeq::default(),
        }
    }
}

/// Decode, validate, handle, record key usage, encode: the same steps for every operation.
fn call<O: Operation>(
    kms: &Kms,
    caller: &Scope,
    name: &str,
    body: &[u8],
    request_id: &str,
) -> Call {
    let request: O::Request = match decode(body) {
        Ok(request) => request,
        Err(error) => return Call::failed(error),
    };
    let key_id = request.key_id().map(str::to_owned);
    let mut validator = Validator::default();
    request.validate(&mut validator);
    let result = validator
        .finish()
        .and_then(|()| O::handle(kms, caller, request))
        .map(|response| {
            let used = O::used_keys(&response);
            if used[0].is_some()
                && let Some(operation) = UsageOperation::parse(name)
            {
                for key_arn in used.into_iter().flatten() {
                    kms.record_usage(key_arn, operation, request_id);
                }
            }
            wire::to_json(&response)
        });
    Call {
        key_id,
        result,
        seen: WriteSeq::default(),
    }
}

/// Members that hold secrets or bulk data, left out of audit records (as CloudTrail does).
const UNLOGGED_MEMBERS: &[&str] = &[
    "Plaintext",
    "CiphertextBlob",
    "Message",
    "Signature",
    "Mac",
    "PublicKey",
    "Policy",
    "ImportToken",
    "EncryptedKeyMaterial",
    "Ciphertext",
];

/// The request's members as an audit record shows them: camelCase names (as CloudTrail's
/// `requestParameters`), with secrets and blobs left out. `None` for a body that is not JSON.
pub fn audit_parameters(body: &[u8]) -> Option<serde_json::Value> {
    let serde_json::Value::Object(members) = serde_json::from_slice(body).ok()? else {
        return None;
    };
    let shown = members
        .into_iter()
        .filter(|(name, _)| !UNLOGGED_MEMBERS.contains(&name.as_str()))
        .map(|(name, value)| {
            let mut chars = name.chars();
            let camel = chars
                .next()
                .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                .unwrap_or_default();
            (camel, value)
        })
        .collect();
    Some(serde_json::Value::Object(shown))
}

/// The ARN of the key a successful response names (`KeyId`, or `KeyMetadata.Arn`).
pub fn response_key_arn(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let arn = value
        .get("KeyId")
        .or_else(|| value.get("KeyMetadata").and_then(|m| m.get("Arn")))?
        .as_str()?;
    arn.starts_with("arn:").then(|| arn.to_owned())
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
