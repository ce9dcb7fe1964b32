//! The KMS JSON 1.1 protocol: the only code that knows wire shapes and `__type` names.
//! [`dispatch`] holds the one operation table; each group file holds its operations'
//! request and response types and a thin adapter to [`Kms`].

mod aliases;
mod custom_key_stores;
mod encapsulation;
mod encryption;
pub mod error;
pub(crate) mod grants;
mod import;
pub(crate) mod keys;
mod multi_region;
mod policies;
mod rotation;
mod signing;
mod tags;
mod usage;
pub mod wire;

pub use error::{ApiError, ErrorCode};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::kms::encryption::RecipientKey;
use crate::kms::{Context, Kms, RequestFacts};
use crate::model::Operation;
use wire::Validator;

/// How much computation a request takes, which decides where the server runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// Microseconds (symmetric crypto, HMAC, reads, mutations, whose wait for their disk
    /// flush is async): runs in place, on the thread that serves the connection.
    Light,
    /// A public-key operation (signing, verifying, RSA and SM2 encryption, key agreement,
    /// key encapsulation, unwrapping imported material, sealing to a Nitro Enclaves
    /// recipient): tens of microseconds to milliseconds of CPU. Runs on the server's compute
    /// threads, one per core.
    Compute,
    /// Key pair generation: milliseconds for EC keys, up to seconds for RSA. Runs on a
    /// blocking thread of its own, so that it never holds up the other calls.
    KeyGeneration,
}

/// The adapter of one operation to [`Kms`]: its wire request and response, how the request
/// becomes a typed input, and the one `Kms` call that serves it.
pub(crate) trait Handler {
    /// The request body, as the wire spells it. It also serializes, for the audit trail.
    type Request: DeserializeOwned + Serialize + Send + 'static;
    /// The request in domain terms, with nothing optional that the operation requires.
    type Input: Send + 'static;
    /// The response body.
    type Response: Serialize;

    /// Checks the request against the model's constraints (and the rules that need no state)
    /// and turns it into the operation's input. Returns `None` only when a member the input
    /// needs is missing or invalid, which `v` then reports.
    fn parse(request: Self::Request, v: &mut Validator) -> Option<Self::Input>;

    /// Serves the input.
    fn handle(kms: &Kms, cx: &mut Context, input: Self::Input) -> Result<Self::Response, ApiError>;

    /// How much computation this request takes, which decides the thread it runs on (see
    /// [`Weight`]). Decided from the request alone, before any key is looked up.
    fn weight(_request: &Self::Request) -> Weight {
        Weight::Light
    }
}

/// A decoded request of some operation, ready to run.
pub trait Call: Send {
    /// Where it should run (see [`Weight`]).
    fn weight(&self) -> Weight;

    /// The request's members as an audit record shows them: camelCase names (as CloudTrail's
    /// `requestParameters`), with secrets and blobs left out.
    fn audit_parameters(&self) -> serde_json::Value;

    /// Checks the request against the model's constraints and the rules that need no state,
    /// and turns it into the operation's typed input. Records in `cx` the key the request
    /// names and its `DryRun`, so that the server knows them before the call runs (for fault
    /// rules and throttling). Calling it again does nothing.
    fn parse(&mut self, cx: &mut Context) -> Result<(), ApiError>;

    /// Serves and encodes the request for the call `cx` (parsing it first if [`Call::parse`]
    /// was not called): the JSON response body, or the error. A successful cryptographic call
    /// records its use of its keys. The answer may only be sent once `kms` says the call's
    /// [`Context::seen`] write is durable.
    fn run(self: Box<Self>, kms: &Kms, cx: &mut Context) -> Result<Vec<u8>, ApiError>;
}

/// Decodes a request body of one operation.
pub type Decode = fn(&[u8]) -> Result<Box<dyn Call>, ApiError>;

/// An empty response body, for operations without output.
#[derive(Debug, Serialize)]
pub(crate) struct Empty {}

/// Declares the operation table once: [`decoder`] matches every [`Operation`] without a
/// wildcard, so a new operation does not compile until it is given a handler or listed as not
/// supported.
macro_rules! operations {
    (
        implemented: { $($group:ident :: $op:ident,)+ }
        not_supported: { $($unsupported:ident,)* }
    ) => {
        /// How to decode requests of `operation`; `None` for the operations of the API that
        /// kmsd does not implement (multi-Region keys, custom key stores), which are valid
        /// requests kmsd cannot do: they answer
        /// `UnsupportedOperationException` ([`ApiError::not_supported`]).
        pub fn decoder(operation: Operation) -> Option<Decode> {
            match operation {
                $(Operation::$op => Some(decode::<$group::$op>),)+
                $(Operation::$unsupported => None,)*
            }
        }
    };
}

operations! {
    implemented: {
        keys::CreateKey,
        keys::DescribeKey,
        keys::ListKeys,
        keys::EnableKey,
        keys::DisableKey,
        keys::UpdateKeyDescription,
        keys::ScheduleKeyDeletion,
        keys::CancelKeyDeletion,
        multi_region::ReplicateKey,
        multi_region::UpdatePrimaryRegion,
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
        import::GetParametersForImport,
        import::ImportKeyMaterial,
        import::DeleteImportedKeyMaterial,
        custom_key_stores::CreateCustomKeyStore,
        custom_key_stores::DescribeCustomKeyStores,
        custom_key_stores::UpdateCustomKeyStore,
        custom_key_stores::DeleteCustomKeyStore,
        custom_key_stores::ConnectCustomKeyStore,
        custom_key_stores::DisconnectCustomKeyStore,
    }
    not_supported: {}
}

/// Runs one request body for the call `cx` (whose operation says which): decode, then
/// [`Call::run`]. The server does the same in two steps, so that it can choose the thread.
pub fn dispatch(kms: &Kms, cx: &mut Context, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let decode = decoder(cx.operation).ok_or_else(|| ApiError::not_supported(cx.operation))?;
    decode(body)?.run(kms, cx)
}

/// A decoded request of the operation `H`: the wire request until [`Call::parse`] turns it
/// into the typed input.
struct Decoded<H: Handler> {
    request: Option<H::Request>,
    input: Option<H::Input>,
    /// The request's `Recipient`, once parsing has read it, for [`Kms::verify_recipient`].
    recipient: Option<RecipientKey>,
    weight: Weight,
}

fn decode<H: Handler + 'static>(body: &[u8]) -> Result<Box<dyn Call>, ApiError> {
    let request: H::Request = decode_body(body)?;
    Ok(Box::new(Decoded::<H> {
        weight: H::weight(&request),
        request: Some(request),
        input: None,
        recipient: None,
    }))
}

impl<H: Handler + 'static> Call for Decoded<H> {
    fn weight(&self) -> Weight {
        self.weight
    }

    fn audit_parameters(&self) -> serde_json::Value {
        match &self.request {
            Some(request) => audit_members(serde_json::to_value(request).unwrap_or_default()),
            None => serde_json::Value::Null,
        }
    }

    fn parse(&mut self, cx: &mut Context) -> Result<(), ApiError> {
        let Some(request) = self.request.take() else {
            return Ok(());
        };
        if cx.authorizing {
            cx.facts = request_facts(&serde_json::to_value(&request).unwrap_or_default());
        }
        let mut v = Validator::default();
        let input = H::parse(request, &mut v);
        if let Some(recipient) = v.recipient.take() {
            cx.recipient = Some(recipient.measurements().clone());
            self.recipient = Some(recipient);
        }
        cx.named_key = v.named_key.take();
        cx.dry_run = v.dry_run;
        v.finish()?;
        // Invariant: `parse` returns `None` only after recording why, which `finish` reports.
        self.input = Some(input.ok_or_else(|| {
            ApiError::new(
                ErrorCode::KmsInternal,
                "kmsd could not read a member of the request.",
            )
        })?);
        Ok(())
    }

    fn run(mut self: Box<Self>, kms: &Kms, cx: &mut Context) -> Result<Vec<u8>, ApiError> {
        self.parse(cx)?;
        if let Some(recipient) = self.recipient.take() {
            kms.verify_recipient(&recipient)?;
        }
        let input = self
            .input
            .take()
            .ok_or_else(|| ApiError::new(ErrorCode::KmsInternal, "kmsd ran a request twice."))?;
        let response = H::handle(kms, cx, input)?;
        kms.record_usage(cx);
        Ok(wire::to_json(&response))
    }
}

/// The members policy conditions test, read from the request as it came (before parsing, so
/// that a denied call is denied whatever else is wrong with it, as in AWS).
fn request_facts(request: &serde_json::Value) -> RequestFacts {
    let text = |name: &str| {
        request
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let number = |name: &str| request.get(name).and_then(serde_json::Value::as_u64);
    let context = |name: &str| {
        request.get(name).and_then(|v| v.as_object()).map(|pairs| {
            pairs
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
    };
    let strings = |name: &str| -> Vec<String> {
        request
            .get(name)
            .and_then(|v| v.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    RequestFacts {
        encryption_context: context("EncryptionContext")
            .or_else(|| context("SourceEncryptionContext")),
        destination_encryption_context: context("DestinationEncryptionContext"),
        encryption_algorithm: text("EncryptionAlgorithm")
            .or_else(|| text("SourceEncryptionAlgorithm")),
        destination_encryption_algorithm: text("DestinationEncryptionAlgorithm"),
        signing_algorithm: text("SigningAlgorithm"),
        mac_algorithm: text("MacAlgorithm"),
        key_spec: text("KeySpec").or_else(|| text("CustomerMasterKeySpec")),
        key_usage: text("KeyUsage"),
        origin: text("Origin"),
        multi_region: request
            .get("MultiRegion")
            .and_then(serde_json::Value::as_bool),
        grant_operations: strings("Operations"),
        grantee: text("GranteePrincipal"),
        retiring: text("RetiringPrincipal"),
        data_key_pair_spec: text("KeyPairSpec"),
        rotation_period_days: number("RotationPeriodInDays"),
        pending_window_days: number("PendingWindowInDays"),
        grant_tokens: strings("GrantTokens"),
        bypass_lockout_check: request
            .get("BypassPolicyLockoutSafetyCheck")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false),
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
    "KeyStorePassword",
    "XksProxyAuthenticationCredential",
];

/// A request's members (as serialized from its typed request) as an audit record shows them:
/// camelCase names, absent members and the [`UNLOGGED_MEMBERS`] left out.
fn audit_members(request: serde_json::Value) -> serde_json::Value {
    let serde_json::Value::Object(members) = request else {
        return serde_json::Value::Null;
    };
    let shown = members
        .into_iter()
        .filter(|(name, value)| !value.is_null() && !UNLOGGED_MEMBERS.contains(&name.as_str()))
        .map(|(name, value)| {
            let mut chars = name.chars();
            let camel = chars
                .next()
                .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                .unwrap_or_default();
            (camel, value)
        })
        .collect();
    serde_json::Value::Object(shown)
}

/// Decodes a request body. It must be a JSON object (an empty body counts as `{}`); a syntax
/// error or a member of the wrong JSON type is a `SerializationException`.
fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Symmetric work stays on the connection's thread; public-key work and key generation
    /// go elsewhere, decided from the request alone. Each case: the operation, a space, the
    /// body.
    #[test]
    fn requests_are_weighed_by_the_work_they_ask_for() {
        let light = [
            r#"Encrypt {"KeyId":"k","Plaintext":"AAAA"}"#,
            r#"Encrypt {"KeyId":"k","Plaintext":"AAAA","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#,
            r#"Decrypt {"CiphertextBlob":"AAAA"}"#,
            r#"GenerateDataKey {"KeyId":"k","KeySpec":"AES_256"}"#,
            r#"GenerateRandom {"NumberOfBytes":32}"#,
            r#"GenerateMac {"KeyId":"k","Message":"AAAA","MacAlgorithm":"HMAC_SHA_256"}"#,
            r#"DescribeKey {"KeyId":"k"}"#,
            r#"CreateKey {}"#,
            r#"CreateKey {"KeySpec":"HMAC_256"}"#,
        ];
        let compute = [
            r#"Encrypt {"KeyId":"k","Plaintext":"AAAA","EncryptionAlgorithm":"RSAES_OAEP_SHA_256"}"#,
            r#"Decrypt {"CiphertextBlob":"AAAA","EncryptionAlgorithm":"SM2PKE"}"#,
            r#"Decrypt {"CiphertextBlob":"AAAA","Recipient":{"AttestationDocument":"AAAA"}}"#,
            r#"ReEncrypt {"CiphertextBlob":"AAAA","DestinationKeyId":"k","DestinationEncryptionAlgorithm":"RSAES_OAEP_SHA_1"}"#,
            r#"GenerateDataKey {"KeyId":"k","Recipient":{"AttestationDocument":"AAAA"}}"#,
            r#"GenerateRandom {"NumberOfBytes":32,"Recipient":{"AttestationDocument":"AAAA"}}"#,
            r#"Sign {"KeyId":"k","Message":"AAAA","SigningAlgorithm":"ECDSA_SHA_256"}"#,
            r#"Verify {"KeyId":"k","Message":"AAAA","Signature":"AAAA"}"#,
            r#"DeriveSharedSecret {"KeyId":"k","PublicKey":"AAAA"}"#,
            r#"Encapsulate {"KeyId":"k"}"#,
            r#"Decapsulate {"KeyId":"k","Ciphertext":"AAAA"}"#,
            r#"ImportKeyMaterial {"KeyId":"k"}"#,
        ];
        let generation = [
            r#"CreateKey {"KeySpec":"RSA_2048"}"#,
            r#"CreateKey {"CustomerMasterKeySpec":"ECC_NIST_P256"}"#,
            r#"GenerateDataKeyPair {"KeyId":"k","KeyPairSpec":"RSA_2048"}"#,
            r#"GenerateDataKeyPairWithoutPlaintext {"KeyId":"k","KeyPairSpec":"ECC_NIST_P256"}"#,
            r#"GetParametersForImport {"KeyId":"k"}"#,
        ];
        let cases = [
            (&light[..], Weight::Light),
            (&compute[..], Weight::Compute),
            (&generation[..], Weight::KeyGeneration),
        ];
        for (requests, expected) in cases {
            for case in requests {
                let (operation, body) = case.split_once(' ').unwrap();
                let operation = Operation::parse(operation).unwrap();
                let call = decoder(operation).unwrap()(body.as_bytes()).unwrap();
                assert_eq!(call.weight(), expected, "{case}");
            }
        }
    }
}
