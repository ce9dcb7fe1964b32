//! Wire adapters for Sign, Verify, GetPublicKey, GenerateMac, VerifyMac and DeriveSharedSecret.

use serde::{Deserialize, Serialize};

use super::keys::{customer_master_key_spec, key_ref, names};
use super::wire::{Base64Blob, EnumMember, Validate, Validator, known};
use super::{ApiError, Operation};
use crate::kms::model::{
    KeyAgreementAlgorithm, MacAlgorithm, MessageType, Scope, SigningAlgorithm,
};
use crate::kms::signing::SignInput;
use crate::kms::{self, Kms};

const MAX_MESSAGE: usize = 4096;
const MAX_SIGNATURE: usize = 6144;
const MAX_PUBLIC_KEY: usize = 8192;

/// The members Sign and Verify share.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SignRequest {
    key_id: Option<String>,
    message: Option<Base64Blob>,
    message_type: Option<EnumMember<MessageType>>,
    signing_algorithm: Option<EnumMember<SigningAlgorithm>>,
    signature: Option<Base64Blob>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

impl SignRequest {
    fn validate_common(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.sensitive_blob("message", self.message.as_ref(), 1, MAX_MESSAGE, true);
        v.enumeration("messageType", self.message_type.as_ref(), false);
        v.enumeration("signingAlgorithm", self.signing_algorithm.as_ref(), true);
        v.grant_tokens(self.grant_tokens.as_ref());
    }

    /// Runs `f` with the request in domain terms (after validation every member is present).
    fn with_input<T>(&self, f: impl FnOnce(SignInput<'_>) -> T) -> Result<T, ApiError> {
        let key = key_ref(self.key_id.as_deref());
        let Some(algorithm) = known(self.signing_algorithm.as_ref()) else {
            return Err(kms::Error::Validation("SigningAlgorithm is required.".into()).into());
        };
        Ok(f(SignInput {
            key: &key,
            message: self.message.as_ref().map_or(&[], |m| &m.0),
            message_type: known(self.message_type.as_ref()),
            algorithm,
        }))
    }
}

/// Sign.
pub(crate) struct Sign;

/// Sign's request: Sign ignores `Signature`.
pub(crate) struct SignOnly(SignRequest);

impl<'de> Deserialize<'de> for SignOnly {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        SignRequest::deserialize(d).map(SignOnly)
    }
}

impl Validate for SignOnly {
    fn key_id(&self) -> Option<&str> {
        self.0.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        self.0.validate_common(v);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SignResponse {
    key_id: String,
    signature: Base64Blob,
    signing_algorithm: &'static str,
}

impl Operation for Sign {
    type Request = SignOnly;
    type Response = SignResponse;

    fn used_keys(r: &SignResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(kms: &Kms, caller: &Scope, r: SignOnly) -> Result<SignResponse, ApiError> {
        let r = r.0;
        let dry_run = r.dry_run.unwrap_or(false);
        let (arn, signature, algorithm) = r.with_input(|input| {
            kms.sign(caller, input, dry_run)
                .map(|(arn, sig)| (arn, sig, input.algorithm))
        })??;
        Ok(SignResponse {
            key_id: arn.to_string(),
            signature: Base64Blob(signature),
            signing_algorithm: algorithm.as_str(),
        })
    }
}

/// Verify.
pub(crate) struct Verify;

impl Validate for SignRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        self.validate_common(v);
        v.blob("signature", self.signature.as_ref(), 1, MAX_SIGNATURE, true);
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct VerifyResponse {
    key_id: String,
    signature_valid: bool,
    signing_algorithm: &'static str,
}

impl Operation for Verify {
    type Request = SignRequest;
    type Response = VerifyResponse;

    fn used_keys(r: &VerifyResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(kms: &Kms, caller: &Scope, r: SignRequest) -> Result<VerifyResponse, ApiError> {
        let dry_run = r.dry_run.unwrap_or(false);
        let signature = r.signature.as_ref().map_or(&[][..], |s| &s.0);
        let (arn, algorithm) = r.with_input(|input| {
            kms.verify(caller, input, signature, dry_run)
                .map(|arn| (arn, input.algorithm))
        })??;
        Ok(VerifyResponse {
            key_id: arn.to_string(),
            signature_valid: true,
            signing_algorithm: algorithm.as_str(),
        })
    }
}

/// GetPublicKey.
pub(crate) struct GetPublicKey;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetPublicKeyRequest {
    key_id: Option<String>,
    grant_tokens: Option<Vec<String>>,
}

impl Validate for GetPublicKeyRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetPublicKeyResponse {
    key_id: String,
    public_key: Base64Blob,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_master_key_spec: Option<&'static str>,
    key_spec: &'static str,
    key_usage: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    encryption_algorithms: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    signing_algorithms: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    key_agreement_algorithms: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    encapsulation_algorithms: Vec<&'static str>,
}

impl Operation for GetPublicKey {
    type Request = GetPublicKeyRequest;
    type Response = GetPublicKeyResponse;

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: GetPublicKeyRequest,
    ) -> Result<GetPublicKeyResponse, ApiError> {
        let info = kms.get_public_key(caller, &key_ref(r.key_id.as_deref()))?;
        let key = &info.key;
        Ok(GetPublicKeyResponse {
            key_id: key.arn.to_string(),
            public_key: Base64Blob(info.public_key),
            customer_master_key_spec: customer_master_key_spec(key.spec),
            key_spec: key.spec.as_str(),
            key_usage: key.usage.as_str(),
            encryption_algorithms: key
                .encryption_algorithms()
                .iter()
                .map(|a| a.as_str())
                .collect(),
            signing_algorithms: key
                .signing_algorithms()
                .iter()
                .map(|a| a.as_str())
                .collect(),
            key_agreement_algorithms: key
                .key_agreement_algorithms()
                .iter()
                .map(|a| a.as_str())
                .collect(),
            encapsulation_algorithms: names(key.encapsulation_algorithms()),
        })
    }
}

/// The members GenerateMac and VerifyMac share.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MacRequest {
    key_id: Option<String>,
    message: Option<Base64Blob>,
    mac_algorithm: Option<EnumMember<MacAlgorithm>>,
    mac: Option<Base64Blob>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

impl Validate for MacRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.sensitive_blob("message", self.message.as_ref(), 1, MAX_MESSAGE, true);
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.enumeration("macAlgorithm", self.mac_algorithm.as_ref(), true);
        v.blob("mac", self.mac.as_ref(), 1, MAX_SIGNATURE, false);
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

impl MacRequest {
    fn algorithm(&self) -> Result<MacAlgorithm, ApiError> {
        known(self.mac_algorithm.as_ref())
            .ok_or_else(|| kms::Error::Validation("MacAlgorithm is required.".into()).into())
    }

    fn message(&self) -> &[u8] {
        self.message.as_ref().map_or(&[], |m| &m.0)
    }
}

/// GenerateMac.
pub(crate) struct GenerateMac;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateMacResponse {
    mac: Base64Blob,
    mac_algorithm: &'static str,
    key_id: String,
}

impl Operation for GenerateMac {
    type Request = MacRequest;
    type Response = GenerateMacResponse;

    fn used_keys(r: &GenerateMacResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(kms: &Kms, caller: &Scope, r: MacRequest) -> Result<GenerateMacResponse, ApiError> {
        let algorithm = r.algorithm()?;
        let (arn, mac) = kms.generate_mac(
            caller,
            &key_ref(r.key_id.as_deref()),
            r.message(),
            algorithm,
            r.dry_run.unwrap_or(false),
        )?;
        Ok(GenerateMacResponse {
            mac: Base64Blob(mac),
            mac_algorithm: algorithm.as_str(),
            key_id: arn.to_string(),
        })
    }
}

/// VerifyMac.
pub(crate) struct VerifyMac;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct VerifyMacResponse {
    key_id: String,
    mac_valid: bool,
    mac_algorithm: &'static str,
}

impl Operation for VerifyMac {
    type Request = MacRequest;
    type Response = VerifyMacResponse;

    fn used_keys(r: &VerifyMacResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(kms: &Kms, caller: &Scope, r: MacRequest) -> Result<VerifyMacResponse, ApiError> {
        let algorithm = r.algorithm()?;
        let Some(mac) = &r.mac else {
            let mut v = Validator::default();
            v.blob("mac", None, 1, MAX_SIGNATURE, true);
            return Err(v
                .finish()
                .err()
                .unwrap_or_else(|| ApiError::serialization("Mac")));
        };
        let arn = kms.verify_mac(
            caller,
            &key_ref(r.key_id.as_deref()),
            r.message(),
            algorithm,
            &mac.0,
            r.dry_run.unwrap_or(false),
        )?;
        Ok(VerifyMacResponse {
            key_id: arn.to_string(),
            mac_valid: true,
            mac_algorithm: algorithm.as_str(),
        })
    }
}

/// DeriveSharedSecret.
pub(crate) struct DeriveSharedSecret;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeriveSharedSecretRequest {
    key_id: Option<String>,
    key_agreement_algorithm: Option<EnumMember<KeyAgreementAlgorithm>>,
    public_key: Option<Base64Blob>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
    recipient: Option<serde::de::IgnoredAny>,
}

impl Validate for DeriveSharedSecretRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.enumeration(
            "keyAgreementAlgorithm",
            self.key_agreement_algorithm.as_ref(),
            true,
        );
        v.blob(
            "publicKey",
            self.public_key.as_ref(),
            1,
            MAX_PUBLIC_KEY,
            true,
        );
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeriveSharedSecretResponse {
    key_id: String,
    shared_secret: Base64Blob,
    key_agreement_algorithm: &'static str,
    key_origin: &'static str,
}

impl Operation for DeriveSharedSecret {
    type Request = DeriveSharedSecretRequest;
    type Response = DeriveSharedSecretResponse;

    fn used_keys(r: &DeriveSharedSecretResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: DeriveSharedSecretRequest,
    ) -> Result<DeriveSharedSecretResponse, ApiError> {
        if r.recipient.is_some() {
            return Err(kms::Error::Unsupported(
                "Recipient (Nitro Enclaves attestation) is not supported by kmsd.".into(),
            )
            .into());
        }
        let Some(algorithm) = known(r.key_agreement_algorithm.as_ref()) else {
            return Err(kms::Error::Validation("KeyAgreementAlgorithm is required.".into()).into());
        };
        let (arn, secret) = kms.derive_shared_secret(
            caller,
            &key_ref(r.key_id.as_deref()),
            algorithm,
            r.public_key.as_ref().map_or(&[], |k| &k.0),
            r.dry_run.unwrap_or(false),
        )?;
        Ok(DeriveSharedSecretResponse {
            key_id: arn.to_string(),
            shared_secret: Base64Blob(secret),
            key_agreement_algorithm: algorithm.as_str(),
            key_origin: "AWS_KMS",
        })
    }
}
