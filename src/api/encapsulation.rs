//! Wire adapters for Encapsulate and Decapsulate.

use serde::{Deserialize, Serialize};

use super::wire::{Base64Blob, EnumMember, Validator, key_ref, known};
use super::{ApiError, Handler, Weight};
use crate::kms::encapsulation::{DecapsulateInput, EncapsulateInput};
use crate::kms::{Context, Kms};
use crate::model::EncapsulationAlgorithm;

/// `SharedSecretCiphertextBlob`: assumed to be the model's `CiphertextType`, like every other
/// ciphertext member (ML-KEM-1024's 1568 bytes fit well within it).
const MAX_CIPHERTEXT: usize = 6144;

/// Encapsulate.
pub(crate) struct Encapsulate;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EncapsulateRequest {
    key_id: Option<String>,
    encapsulation_algorithm: Option<EnumMember<EncapsulationAlgorithm>>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EncapsulateResponse {
    key_id: String,
    shared_secret: Base64Blob,
    shared_secret_ciphertext_blob: Base64Blob,
    encapsulation_algorithm: &'static str,
}

impl Handler for Encapsulate {
    type Request = EncapsulateRequest;
    type Input = EncapsulateInput;
    type Response = EncapsulateResponse;

    fn weight(_: &EncapsulateRequest) -> Weight {
        Weight::Compute
    }

    fn parse(r: EncapsulateRequest, v: &mut Validator) -> Option<EncapsulateInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.enumeration(
            "encapsulationAlgorithm",
            r.encapsulation_algorithm.as_ref(),
            true,
        );
        v.grant_tokens(r.grant_tokens.as_ref());
        v.names_key(r.key_id.as_deref());
        v.dry_run(r.dry_run);
        Some(EncapsulateInput {
            key: key_ref(r.key_id)?,
            algorithm: known(r.encapsulation_algorithm.as_ref())?,
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: EncapsulateInput,
    ) -> Result<EncapsulateResponse, ApiError> {
        let algorithm = input.algorithm;
        let out = kms.encapsulate(cx, input)?;
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

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DecapsulateRequest {
    key_id: Option<String>,
    shared_secret_ciphertext_blob: Option<Base64Blob>,
    encapsulation_algorithm: Option<EnumMember<EncapsulationAlgorithm>>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DecapsulateResponse {
    key_id: String,
    shared_secret: Base64Blob,
    encapsulation_algorithm: &'static str,
}

impl Handler for Decapsulate {
    type Request = DecapsulateRequest;
    type Input = DecapsulateInput;
    type Response = DecapsulateResponse;

    fn weight(_: &DecapsulateRequest) -> Weight {
        Weight::Compute
    }

    fn parse(r: DecapsulateRequest, v: &mut Validator) -> Option<DecapsulateInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.blob(
            "sharedSecretCiphertextBlob",
            r.shared_secret_ciphertext_blob.as_ref(),
            1,
            MAX_CIPHERTEXT,
            true,
        );
        v.enumeration(
            "encapsulationAlgorithm",
            r.encapsulation_algorithm.as_ref(),
            true,
        );
        v.grant_tokens(r.grant_tokens.as_ref());
        v.names_key(r.key_id.as_deref());
        v.dry_run(r.dry_run);
        Some(DecapsulateInput {
            key: key_ref(r.key_id)?,
            algorithm: known(r.encapsulation_algorithm.as_ref())?,
            ciphertext: r.shared_secret_ciphertext_blob?.0,
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: DecapsulateInput,
    ) -> Result<DecapsulateResponse, ApiError> {
        let algorithm = input.algorithm;
        let (arn, secret) = kms.decapsulate(cx, input)?;
        Ok(DecapsulateResponse {
            key_id: arn.to_string(),
            shared_secret: Base64Blob(secret),
            encapsulation_algorithm: algorithm.as_str(),
        })
    }
}
