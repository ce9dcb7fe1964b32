//! Wire adapters for Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext and GenerateRandom.

use serde::{Deserialize, Serialize};

use super::keys::key_ref;
use super::wire::{Base64Blob, EnumMember, Validate, Validator, known};
use super::{ApiError, Operation};
use crate::kms::encryption::{Encrypted, Source};
use crate::kms::model::{
    DataKeyPairSpec, DataKeySpec, EncryptionAlgorithm, EncryptionContext, KeyRef, MaterialId, Scope,
};
use crate::kms::{self, Kms};

/// Largest plaintext and data key, and largest ciphertext blob, in bytes.
const MAX_PLAINTEXT: usize = 4096;
const MAX_CIPHERTEXT: usize = 6144;
const MAX_RANDOM: i64 = 1024;

/// Encrypt.
pub(crate) struct Encrypt;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EncryptRequest {
    key_id: Option<String>,
    plaintext: Option<Base64Blob>,
    encryption_context: Option<EncryptionContext>,
    grant_tokens: Option<Vec<String>>,
    encryption_algorithm: Option<EnumMember<EncryptionAlgorithm>>,
    dry_run: Option<bool>,
}

impl Validate for EncryptRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.sensitive_blob("plaintext", self.plaintext.as_ref(), 1, MAX_PLAINTEXT, true);
        v.grant_tokens(self.grant_tokens.as_ref());
        v.enumeration(
            "encryptionAlgorithm",
            self.encryption_algorithm.as_ref(),
            false,
        );
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EncryptResponse {
    ciphertext_blob: Base64Blob,
    key_id: String,
    encryption_algorithm: &'static str,
}

impl From<Encrypted> for EncryptResponse {
    fn from(e: Encrypted) -> EncryptResponse {
        EncryptResponse {
            ciphertext_blob: Base64Blob(e.ciphertext),
            key_id: e.key_arn.to_string(),
            encryption_algorithm: e.algorithm.as_str(),
        }
    }
}

/// A key material id as the wire shows it: 64 hex digits, absent for key pairs.
fn material_id(id: Option<MaterialId>) -> Option<String> {
    id.map(|id| id.to_string())
}

impl Operation for Encrypt {
    type Request = EncryptRequest;
    type Response = EncryptResponse;

    fn used_keys(r: &EncryptResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(kms: &Kms, caller: &Scope, r: EncryptRequest) -> Result<EncryptResponse, ApiError> {
        let encrypted = kms.encrypt(
            caller,
            &key_ref(r.key_id.as_deref()),
            &r.plaintext.unwrap_or_default().0,
            &r.encryption_context.unwrap_or_default(),
            known(r.encryption_algorithm.as_ref()),
            r.dry_run.unwrap_or(false),
        )?;
        Ok(encrypted.into())
    }
}

/// Decrypt.
pub(crate) struct Decrypt;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DecryptRequest {
    ciphertext_blob: Option<Base64Blob>,
    encryption_context: Option<EncryptionContext>,
    grant_tokens: Option<Vec<String>>,
    key_id: Option<String>,
    encryption_algorithm: Option<EnumMember<EncryptionAlgorithm>>,
    recipient: Option<serde::de::IgnoredAny>,
    dry_run: Option<bool>,
}

impl Validate for DecryptRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.blob(
            "ciphertextBlob",
            self.ciphertext_blob.as_ref(),
            1,
            MAX_CIPHERTEXT,
            true,
        );
        v.grant_tokens(self.grant_tokens.as_ref());
        v.key_id("keyId", self.key_id.as_deref(), false);
        v.enumeration(
            "encryptionAlgorithm",
            self.encryption_algorithm.as_ref(),
            false,
        );
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DecryptResponse {
    key_id: String,
    plaintext: Base64Blob,
    encryption_algorithm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_id: Option<String>,
}

fn no_recipient<T>(recipient: Option<&T>) -> Result<(), ApiError> {
    match recipient {
        Some(_) => Err(kms::Error::Unsupported(
            "Recipient (Nitro Enclaves attestation) is not supported by kmsd.".into(),
        )
        .into()),
        None => Ok(()),
    }
}

impl Operation for Decrypt {
    type Request = DecryptRequest;
    type Response = DecryptResponse;

    fn used_keys(r: &DecryptResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(kms: &Kms, caller: &Scope, r: DecryptRequest) -> Result<DecryptResponse, ApiError> {
        no_recipient(r.recipient.as_ref())?;
        let key = r.key_id.as_deref().map(KeyRef::parse);
        let ciphertext = r.ciphertext_blob.unwrap_or_default();
        let context = r.encryption_context.unwrap_or_default();
        let decrypted = kms.decrypt(
            caller,
            Source {
                ciphertext: &ciphertext.0,
                context: &context,
                key: key.as_ref(),
                algorithm: known(r.encryption_algorithm.as_ref()),
            },
            r.dry_run.unwrap_or(false),
        )?;
        Ok(DecryptResponse {
            key_id: decrypted.key_arn.to_string(),
            plaintext: Base64Blob(decrypted.plaintext),
            encryption_algorithm: decrypted.algorithm.as_str(),
            key_material_id: material_id(decrypted.material_id),
        })
    }
}

/// ReEncrypt.
pub(crate) struct ReEncrypt;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ReEncryptRequest {
    ciphertext_blob: Option<Base64Blob>,
    source_encryption_context: Option<EncryptionContext>,
    source_key_id: Option<String>,
    destination_key_id: Option<String>,
    destination_encryption_context: Option<EncryptionContext>,
    source_encryption_algorithm: Option<EnumMember<EncryptionAlgorithm>>,
    destination_encryption_algorithm: Option<EnumMember<EncryptionAlgorithm>>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

impl Validate for ReEncryptRequest {
    fn key_id(&self) -> Option<&str> {
        self.destination_key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.blob(
            "ciphertextBlob",
            self.ciphertext_blob.as_ref(),
            1,
            MAX_CIPHERTEXT,
            true,
        );
        v.key_id("sourceKeyId", self.source_key_id.as_deref(), false);
        v.key_id("destinationKeyId", self.destination_key_id.as_deref(), true);
        v.enumeration(
            "sourceEncryptionAlgorithm",
            self.source_encryption_algorithm.as_ref(),
            false,
        );
        v.enumeration(
            "destinationEncryptionAlgorithm",
            self.destination_encryption_algorithm.as_ref(),
            false,
        );
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ReEncryptResponse {
    ciphertext_blob: Base64Blob,
    source_key_id: String,
    key_id: String,
    source_encryption_algorithm: &'static str,
    destination_encryption_algorithm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_key_material_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_key_material_id: Option<String>,
}

impl Operation for ReEncrypt {
    type Request = ReEncryptRequest;
    type Response = ReEncryptResponse;

    fn used_keys(r: &ReEncryptResponse) -> [Option<&str>; 2] {
        [Some(&r.source_key_id), Some(&r.key_id)]
    }

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: ReEncryptRequest,
    ) -> Result<ReEncryptResponse, ApiError> {
        let source_key = r.source_key_id.as_deref().map(KeyRef::parse);
        let ciphertext = r.ciphertext_blob.unwrap_or_default();
        let source_context = r.source_encryption_context.unwrap_or_default();
        let out = kms.re_encrypt(
            caller,
            Source {
                ciphertext: &ciphertext.0,
                context: &source_context,
                key: source_key.as_ref(),
                algorithm: known(r.source_encryption_algorithm.as_ref()),
            },
            &key_ref(r.destination_key_id.as_deref()),
            &r.destination_encryption_context.unwrap_or_default(),
            known(r.destination_encryption_algorithm.as_ref()),
            r.dry_run.unwrap_or(false),
        )?;
        Ok(ReEncryptResponse {
            ciphertext_blob: Base64Blob(out.destination.ciphertext),
            source_key_id: out.source.key_arn.to_string(),
            key_id: out.destination.key_arn.to_string(),
            source_encryption_algorithm: out.source.algorithm.as_str(),
            destination_encryption_algorithm: out.destination.algorithm.as_str(),
            source_key_material_id: material_id(out.source.material_id),
            destination_key_material_id: material_id(out.destination.material_id),
        })
    }
}

/// The members GenerateDataKey and GenerateDataKeyWithoutPlaintext share.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateDataKeyRequest {
    key_id: Option<String>,
    encryption_context: Option<EncryptionContext>,
    number_of_bytes: Option<i64>,
    key_spec: Option<EnumMember<DataKeySpec>>,
    grant_tokens: Option<Vec<String>>,
    recipient: Option<serde::de::IgnoredAny>,
    dry_run: Option<bool>,
}

impl Validate for GenerateDataKeyRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.range("numberOfBytes", self.number_of_bytes, 1, MAX_RANDOM, false);
        v.enumeration("keySpec", self.key_spec.as_ref(), false);
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

impl GenerateDataKeyRequest {
    /// Runs the shared part of both operations.
    fn run(
        self,
        kms: &Kms,
        caller: &Scope,
        operation: &'static str,
    ) -> Result<(Vec<u8>, Encrypted), ApiError> {
        no_recipient(self.recipient.as_ref())?;
        let len = match (self.number_of_bytes, known(self.key_spec.as_ref())) {
            (Some(n), None) => usize::try_from(n).unwrap_or_default(),
            (None, Some(spec)) => spec.byte_len(),
            _ => {
                return Err(kms::Error::Validation(
                    "Please specify either number of bytes or key spec.".into(),
                )
                .into());
            }
        };
        Ok(kms.generate_data_key(
            caller,
            &key_ref(self.key_id.as_deref()),
            len,
            &self.encryption_context.unwrap_or_default(),
            operation,
            self.dry_run.unwrap_or(false),
        )?)
    }
}

/// GenerateDataKey.
pub(crate) struct GenerateDataKey;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateDataKeyResponse {
    ciphertext_blob: Base64Blob,
    #[serde(skip_serializing_if = "Option::is_none")]
    plaintext: Option<Base64Blob>,
    key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_id: Option<String>,
}

impl Operation for GenerateDataKey {
    type Request = GenerateDataKeyRequest;
    type Response = GenerateDataKeyResponse;

    fn used_keys(r: &GenerateDataKeyResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, ApiError> {
        let (plaintext, sealed) = r.run(kms, caller, "GenerateDataKey")?;
        Ok(GenerateDataKeyResponse {
            ciphertext_blob: Base64Blob(sealed.ciphertext),
            plaintext: Some(Base64Blob(plaintext)),
            key_id: sealed.key_arn.to_string(),
            key_material_id: material_id(sealed.material_id),
        })
    }
}

/// GenerateDataKeyWithoutPlaintext.
pub(crate) struct GenerateDataKeyWithoutPlaintext;

impl Operation for GenerateDataKeyWithoutPlaintext {
    type Request = GenerateDataKeyRequest;
    type Response = GenerateDataKeyResponse;

    fn used_keys(r: &GenerateDataKeyResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, ApiError> {
        let (_, sealed) = r.run(kms, caller, "GenerateDataKeyWithoutPlaintext")?;
        Ok(GenerateDataKeyResponse {
            ciphertext_blob: Base64Blob(sealed.ciphertext),
            plaintext: None,
            key_id: sealed.key_arn.to_string(),
            key_material_id: material_id(sealed.material_id),
        })
    }
}

/// The members GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext share.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateDataKeyPairRequest {
    key_id: Option<String>,
    encryption_context: Option<EncryptionContext>,
    key_pair_spec: Option<EnumMember<DataKeyPairSpec>>,
    grant_tokens: Option<Vec<String>>,
    recipient: Option<serde::de::IgnoredAny>,
    dry_run: Option<bool>,
}

impl Validate for GenerateDataKeyPairRequest {
    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn validate(&self, v: &mut Validator) {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.enumeration("keyPairSpec", self.key_pair_spec.as_ref(), true);
        v.grant_tokens(self.grant_tokens.as_ref());
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateDataKeyPairResponse {
    private_key_ciphertext_blob: Base64Blob,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_key_plaintext: Option<Base64Blob>,
    public_key: Base64Blob,
    key_id: String,
    key_pair_spec: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_id: Option<String>,
}

impl GenerateDataKeyPairRequest {
    fn run(
        self,
        kms: &Kms,
        caller: &Scope,
        operation: &'static str,
        with_plaintext: bool,
    ) -> Result<GenerateDataKeyPairResponse, ApiError> {
        no_recipient(self.recipient.as_ref())?;
        let Some(spec) = known(self.key_pair_spec.as_ref()) else {
            return Err(kms::Error::Validation("KeyPairSpec is required.".into()).into());
        };
        let pair = kms.generate_data_key_pair(
            caller,
            &key_ref(self.key_id.as_deref()),
            spec,
            &self.encryption_context.unwrap_or_default(),
            operation,
            self.dry_run.unwrap_or(false),
        )?;
        Ok(GenerateDataKeyPairResponse {
            private_key_ciphertext_blob: Base64Blob(pair.sealed_private_key.ciphertext),
            private_key_plaintext: with_plaintext.then_some(Base64Blob(pair.private_key)),
            public_key: Base64Blob(pair.public_key),
            key_id: pair.sealed_private_key.key_arn.to_string(),
            key_pair_spec: spec.as_str(),
            key_material_id: material_id(pair.sealed_private_key.material_id),
        })
    }
}

/// GenerateDataKeyPair.
pub(crate) struct GenerateDataKeyPair;

impl Operation for GenerateDataKeyPair {
    type Request = GenerateDataKeyPairRequest;
    type Response = GenerateDataKeyPairResponse;
    // Key pair generation is CPU-heavy (RSA: up to seconds): keep it off the async workers.

    fn heavy(_body: &[u8]) -> bool {
        // Key pair generation: milliseconds for EC keys, up to seconds for RSA.
        true
    }

    fn used_keys(r: &GenerateDataKeyPairResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: GenerateDataKeyPairRequest,
    ) -> Result<GenerateDataKeyPairResponse, ApiError> {
        r.run(kms, caller, "GenerateDataKeyPair", true)
    }
}

/// GenerateDataKeyPairWithoutPlaintext.
pub(crate) struct GenerateDataKeyPairWithoutPlaintext;

impl Operation for GenerateDataKeyPairWithoutPlaintext {
    type Request = GenerateDataKeyPairRequest;
    type Response = GenerateDataKeyPairResponse;

    fn heavy(_body: &[u8]) -> bool {
        // Key pair generation: milliseconds for EC keys, up to seconds for RSA.
        true
    }

    fn used_keys(r: &GenerateDataKeyPairResponse) -> [Option<&str>; 2] {
        [Some(&r.key_id), None]
    }

    fn handle(
        kms: &Kms,
        caller: &Scope,
        r: GenerateDataKeyPairRequest,
    ) -> Result<GenerateDataKeyPairResponse, ApiError> {
        r.run(kms, caller, "GenerateDataKeyPairWithoutPlaintext", false)
    }
}

/// GenerateRandom.
pub(crate) struct GenerateRandom;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateRandomRequest {
    number_of_bytes: Option<i64>,
    custom_key_store_id: Option<String>,
    recipient: Option<serde::de::IgnoredAny>,
}

impl Validate for GenerateRandomRequest {
    fn validate(&self, v: &mut Validator) {
        v.range("numberOfBytes", self.number_of_bytes, 1, MAX_RANDOM, false);
        v.string(
            "customKeyStoreId",
            self.custom_key_store_id.as_deref(),
            1,
            64,
            false,
        );
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateRandomResponse {
    plaintext: Base64Blob,
}

impl Operation for GenerateRandom {
    type Request = GenerateRandomRequest;
    type Response = GenerateRandomResponse;

    fn handle(
        kms: &Kms,
        _caller: &Scope,
        r: GenerateRandomRequest,
    ) -> Result<GenerateRandomResponse, ApiError> {
        no_recipient(r.recipient.as_ref())?;
        if r.custom_key_store_id.is_some() {
            return Err(kms::Error::Unsupported(
                "Custom key stores are not supported by kmsd yet.".into(),
            )
            .into());
        }
        let Some(n) = r.number_of_bytes.and_then(|n| usize::try_from(n).ok()) else {
            return Err(kms::Error::Validation("NumberOfBytes is required.".into()).into());
        };
        Ok(GenerateRandomResponse {
            plaintext: Base64Blob(kms.generate_random(n)),
        })
    }
}
