//! Wire adapters for Encapsulate and Decapsulate.

use serde::{Deserialize, Serialize};

use super::keys::key_ref;
use super::wire::{Base64Blob, EnumMember, Validate, Validator, known};
use super::{ApiError, Operation};
use crate::kms::model::{EncapsulationAlgorithm, Scope};
use crate::kms::{self, Kms};

/// `SharedSecretCiphertextBlob`: assumed to be the model's `CiphertextType`, like every other
/// ciphertext member (ML-KEM-1024's 1568 bytes fit well within it).
const MAX_CIPHERTEXT: usize = 6144;

/// The required `EncapsulationAlgorithm`, after validation.
fn algorithm(
    member: Option<&EnumMember<EncapsulationAlgorithm>>,
) -> Result<EncapsulationAlgorithm, ApiError> {
    known(member)
        .ok_or_else(|| kms::Error::Validation("EncapsulationAlgorithm is required.".into()).into())
}

/// Encapsulate.
pub(crate) struct Encapsulate;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EncapsulateRequest {
    key_id: Option<String>,
    encapsulation_algorithm: Option<EnumMember<EncapsulationAlgorithm>>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

impl Validate for EncapsulateRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.enumeration(
            "encapsulationAlgorithm",
            self.encapsulation_algorithm.as_ref(),
            true,
        );
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EncapsulateResponse {
    key_id: String,
    shared_secret: Base64Blob,
    shared_secret_ciphertext_blob: Base64Blob,
    encapsulation_algorithm: &'static str,
}

impl Operation for Encapsulate {
    type Request = EncapsulateRequest;
    type Response = EncapsulateResponse;
    // Inline, like Sign: see "Threading" in ARCHITECTURE.md for the measurements.

    fn used_keys(r: &EncapsulateResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: EncapsulateRequest,
    ) -> Result<EncapsulateResponse, ApiError> {
        let algorithm = algorithm(r.encapsulation_algorithm.as_ref())?;
        let out = kms.encapsulate(
            caller,
            &key_ref(r.key_id.as_deref()),
            algorithm,
            r.dry_run.unwrap_or(false),
        )?;
        Ok(EncapsulateResponse {
            key_id: out.key_arn.to_string(),
            shared_secret: Base64Blob(out.shared_secret),
            shared_secret_ciphertext_blob: Base64Blob(out.ciphertext),
            encapsulation_algorithm: algorithm.as_str(),
        })
    }
}

/// Decapsulate.
pub(crate) struct Decapsulate;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DecapsulateRequest {
    key_id: Option<String>,
    shared_secret_ciphertext_blob: Option<Base64Blob>,
    encapsulation_algorithm: Option<EnumMember<EncapsulationAlgorithm>>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

impl Validate for DecapsulateRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.blob(
            "sharedSecretCiphertextBlob",
            self.shared_secret_ciphertext_blob.as_ref(),
            1,
            MAX_CIPHERTEXT,
            true,
        );
        v.enumeration(
            "encapsulationAlgorithm",
            self.encapsulation_algorithm.as_ref(),
            true,
        );
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DecapsulateResponse {
    key_id: String,
    shared_secret: Base64Blob,
    encapsulation_algorithm: &'static str,
}

impl Operation for Decapsulate {
    type Request = DecapsulateRequest;
    type Response = DecapsulateResponse;
    // Inline, like Sign: see "Threading" in ARCHITECTURE.md for the measurements.

    fn used_keys(r: &DecapsulateResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: DecapsulateRequest,
    ) -> Result<DecapsulateResponse, ApiError> {
        let algorithm = algorithm(r.encapsulation_algorithm.as_ref())?;
        let (arn, secret) = kms.decapsulate(
            caller,
            &key_ref(r.key_id.as_deref()),
            r.shared_secret_ciphertext_blob
                .as_ref()
                .map_or(&[], |c| &c.0),
            algorithm,
            r.dry_run.unwrap_or(false),
        )?;
        Ok(DecapsulateResponse {
            key_id: arn.to_string(),
            shared_secret: Base64Blob(secret),
            encapsulation_algorithm: algorithm.as_str(),
        })
    }
}
