//! Wire adapters for Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext, GenerateDataKeyPair(WithoutPlaintext) and GenerateRandom.

use serde::{Deserialize, Serialize};

use super::wire::{Base64Blob, EnumMember, Validator, WireRecipient, key_ref, known};
use super::{ApiError, Handler, Weight};
use crate::kms::encryption::RecipientKey;
use crate::kms::encryption::{
    DataKeyPair, DecryptInput, EncryptInput, Encrypted, GenerateDataKeyInput,
    GenerateDataKeyPairInput, ReEncryptInput,
};
use crate::kms::{self, Context, Kms};
use crate::model::{
    DataKeyPairSpec, DataKeySpec, DryRunModifier, EncryptionAlgorithm, EncryptionContext,
    MaterialId,
};

/// Largest plaintext and data key, and largest ciphertext blob, in bytes.
const MAX_PLAINTEXT: usize = 4096;
const MAX_CIPHERTEXT: usize = 6144;
const MAX_RANDOM: i64 = 1024;

/// An `EncryptionAlgorithm` member: `SYMMETRIC_DEFAULT` when absent.
fn algorithm(member: Option<&EnumMember<EncryptionAlgorithm>>) -> EncryptionAlgorithm {
    known(member).unwrap_or(EncryptionAlgorithm::SymmetricDefault)
}

/// A key material id as the wire shows it: 64 hex digits, absent for key pairs.
fn material_id(id: Option<MaterialId>) -> Option<String> {
    id.map(|id| id.to_string())
}

/// A secret for the response: in the clear, or (with `Recipient`) sealed to the enclave's
/// key as `CiphertextForRecipient`. Returns (plaintext member, `CiphertextForRecipient`).
pub(super) fn for_recipient(
    secret: Vec<u8>,
    recipient: Option<&RecipientKey>,
) -> (Option<Base64Blob>, Option<Base64Blob>) {
    match recipient {
        None => (Some(Base64Blob(secret)), None),
        Some(key) => (None, Some(Base64Blob(key.seal(&secret)))),
    }
}

/// Encrypt.
pub(crate) struct Encrypt;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EncryptRequest {
    key_id: Option<String>,
    plaintext: Option<Base64Blob>,
    encryption_context: Option<EncryptionContext>,
    grant_tokens: Option<Vec<String>>,
    encryption_algorithm: Option<EnumMember<EncryptionAlgorithm>>,
    dry_run: Option<bool>,
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

impl Handler for Encrypt {
    type Request = EncryptRequest;
    type Input = EncryptInput;
    type Response = EncryptResponse;

    fn weight(r: &EncryptRequest) -> Weight {
        compute_if(asymmetric(r.encryption_algorithm.as_ref()))
    }

    fn parse(r: EncryptRequest, v: &mut Validator) -> Option<EncryptInput> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.sensitive_blob("plaintext", r.plaintext.as_ref(), 1, MAX_PLAINTEXT, true);
        v.grant_tokens(r.grant_tokens.as_ref());
        v.enumeration(
            "encryptionAlgorithm",
            r.encryption_algorithm.as_ref(),
            false,
        );
        v.names_key(r.key_id.as_deref());
        v.dry_run(r.dry_run);
        Some(EncryptInput {
            key: key_ref(r.key_id)?,
            plaintext: r.plaintext?.0,
            context: r.encryption_context.unwrap_or_default(),
            algorithm: algorithm(r.encryption_algorithm.as_ref()),
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: EncryptInput,
    ) -> Result<EncryptResponse, ApiError> {
        Ok(kms.encrypt(cx, input)?.into())
    }
}

/// Whether a request's encryption algorithm is a public-key one (RSA, SM2). Symmetric calls
/// name none, or `SYMMETRIC_DEFAULT` (AWS requires the algorithm for asymmetric keys).
fn asymmetric(algorithm: Option<&EnumMember<EncryptionAlgorithm>>) -> bool {
    known(algorithm).is_some_and(|a| a != EncryptionAlgorithm::SymmetricDefault)
}

/// [`Weight::Compute`] when a call does public-key work (an asymmetric algorithm, or sealing
/// the answer to a Nitro Enclaves recipient), [`Weight::Light`] otherwise.
fn compute_if(public_key_work: bool) -> Weight {
    if public_key_work {
        Weight::Compute
    } else {
        Weight::Light
    }
}

/// Decrypt.
pub(crate) struct Decrypt;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DecryptRequest {
    ciphertext_blob: Option<Base64Blob>,
    encryption_context: Option<EncryptionContext>,
    grant_tokens: Option<Vec<String>>,
    key_id: Option<String>,
    encryption_algorithm: Option<EnumMember<EncryptionAlgorithm>>,
    /// Not in `requestParameters`: the audit trail shows the document's measurements.
    #[serde(skip_serializing)]
    recipient: Option<WireRecipient>,
    dry_run: Option<bool>,
    dry_run_modifiers: Option<Vec<EnumMember<DryRunModifier>>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DecryptResponse {
    key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    plaintext: Option<Base64Blob>,
    encryption_algorithm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ciphertext_for_recipient: Option<Base64Blob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_id: Option<String>,
}

impl Handler for Decrypt {
    type Request = DecryptRequest;
    type Input = (DecryptInput, Option<RecipientKey>);
    type Response = DecryptResponse;

    fn weight(r: &DecryptRequest) -> Weight {
        compute_if(asymmetric(r.encryption_algorithm.as_ref()) || r.recipient.is_some())
    }

    fn parse(r: DecryptRequest, v: &mut Validator) -> Option<Self::Input> {
        v.blob(
            "ciphertextBlob",
            r.ciphertext_blob.as_ref(),
            1,
            MAX_CIPHERTEXT,
            true,
        );
        v.grant_tokens(r.grant_tokens.as_ref());
        v.key_id("keyId", r.key_id.as_deref(), false);
        v.enumeration(
            "encryptionAlgorithm",
            r.encryption_algorithm.as_ref(),
            false,
        );
        let recipient = v.recipient(r.recipient.as_ref());
        dry_run_modifiers(v, r.dry_run_modifiers.as_ref());
        v.names_key(r.key_id.as_deref());
        v.dry_run(r.dry_run);
        let input = DecryptInput {
            ciphertext: r.ciphertext_blob?.0,
            context: r.encryption_context.unwrap_or_default(),
            key: key_ref(r.key_id),
            algorithm: algorithm(r.encryption_algorithm.as_ref()),
        };
        Some((input, recipient))
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        (input, recipient): Self::Input,
    ) -> Result<DecryptResponse, ApiError> {
        let decrypted = kms.decrypt(cx, input)?;
        let (plaintext, ciphertext_for_recipient) =
            for_recipient(decrypted.plaintext, recipient.as_ref());
        Ok(DecryptResponse {
            key_id: decrypted.key_arn.to_string(),
            plaintext,
            encryption_algorithm: decrypted.algorithm.as_str(),
            ciphertext_for_recipient,
            key_material_id: material_id(decrypted.material_id),
        })
    }
}

/// ReEncrypt.
pub(crate) struct ReEncrypt;

#[derive(Debug, Deserialize, Serialize)]
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
    dry_run_modifiers: Option<Vec<EnumMember<DryRunModifier>>>,
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

impl Handler for ReEncrypt {
    type Request = ReEncryptRequest;
    type Input = ReEncryptInput;
    type Response = ReEncryptResponse;

    fn weight(r: &ReEncryptRequest) -> Weight {
        compute_if(
            asymmetric(r.source_encryption_algorithm.as_ref())
                || asymmetric(r.destination_encryption_algorithm.as_ref()),
        )
    }

    fn parse(r: ReEncryptRequest, v: &mut Validator) -> Option<ReEncryptInput> {
        v.blob(
            "ciphertextBlob",
            r.ciphertext_blob.as_ref(),
            1,
            MAX_CIPHERTEXT,
            true,
        );
        v.key_id("sourceKeyId", r.source_key_id.as_deref(), false);
        v.key_id("destinationKeyId", r.destination_key_id.as_deref(), true);
        v.enumeration(
            "sourceEncryptionAlgorithm",
            r.source_encryption_algorithm.as_ref(),
            false,
        );
        v.enumeration(
            "destinationEncryptionAlgorithm",
            r.destination_encryption_algorithm.as_ref(),
            false,
        );
        v.grant_tokens(r.grant_tokens.as_ref());
        v.names_key(r.destination_key_id.as_deref());
        dry_run_modifiers(v, r.dry_run_modifiers.as_ref());
        v.dry_run(r.dry_run);
        Some(ReEncryptInput {
            source: DecryptInput {
                ciphertext: r.ciphertext_blob?.0,
                context: r.source_encryption_context.unwrap_or_default(),
                key: key_ref(r.source_key_id),
                algorithm: algorithm(r.source_encryption_algorithm.as_ref()),
            },
            destination_key: key_ref(r.destination_key_id)?,
            destination_context: r.destination_encryption_context.unwrap_or_default(),
            destination_algorithm: algorithm(r.destination_encryption_algorithm.as_ref()),
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: ReEncryptInput,
    ) -> Result<ReEncryptResponse, ApiError> {
        let out = kms.re_encrypt(cx, input)?;
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
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateDataKeyRequest {
    key_id: Option<String>,
    encryption_context: Option<EncryptionContext>,
    number_of_bytes: Option<i64>,
    key_spec: Option<EnumMember<DataKeySpec>>,
    grant_tokens: Option<Vec<String>>,
    /// Not in `requestParameters`: the audit trail shows the document's measurements.
    #[serde(skip_serializing)]
    recipient: Option<WireRecipient>,
    dry_run: Option<bool>,
}

impl GenerateDataKeyRequest {
    /// The input both operations take.
    fn parse(self, v: &mut Validator) -> Option<(GenerateDataKeyInput, Option<RecipientKey>)> {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.range("numberOfBytes", self.number_of_bytes, 1, MAX_RANDOM, false);
        v.enumeration("keySpec", self.key_spec.as_ref(), false);
        v.grant_tokens(self.grant_tokens.as_ref());
        let recipient = v.recipient(self.recipient.as_ref());
        v.names_key(self.key_id.as_deref());
        v.dry_run(self.dry_run);
        let len = match (self.number_of_bytes, self.key_spec) {
            (Some(n), None) => usize::try_from(n).ok()?,
            (None, Some(spec)) => spec.value()?.byte_len(),
            _ => {
                v.reject(kms::Error::Validation(
                    "Please specify either number of bytes or key spec.".into(),
                ));
                return None;
            }
        };
        let input = GenerateDataKeyInput {
            key: key_ref(self.key_id)?,
            len,
            context: self.encryption_context.unwrap_or_default(),
        };
        Some((input, recipient))
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
    ciphertext_for_recipient: Option<Base64Blob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_id: Option<String>,
}

impl GenerateDataKeyResponse {
    fn new(
        plaintext: Option<Vec<u8>>,
        recipient: Option<&RecipientKey>,
        sealed: Encrypted,
    ) -> GenerateDataKeyResponse {
        let (plaintext, ciphertext_for_recipient) = match plaintext {
            Some(secret) => for_recipient(secret, recipient),
            None => (None, None),
        };
        GenerateDataKeyResponse {
            ciphertext_blob: Base64Blob(sealed.ciphertext),
            plaintext,
            ciphertext_for_recipient,
            key_id: sealed.key_arn.to_string(),
            key_material_id: material_id(sealed.material_id),
        }
    }
}

impl Handler for GenerateDataKey {
    type Request = GenerateDataKeyRequest;
    type Input = (GenerateDataKeyInput, Option<RecipientKey>);
    type Response = GenerateDataKeyResponse;

    fn weight(r: &GenerateDataKeyRequest) -> Weight {
        compute_if(r.recipient.is_some())
    }

    fn parse(r: GenerateDataKeyRequest, v: &mut Validator) -> Option<Self::Input> {
        r.parse(v)
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        (input, recipient): Self::Input,
    ) -> Result<GenerateDataKeyResponse, ApiError> {
        let (plaintext, sealed) = kms.generate_data_key(cx, input)?;
        Ok(GenerateDataKeyResponse::new(
            Some(plaintext),
            recipient.as_ref(),
            sealed,
        ))
    }
}

/// GenerateDataKeyWithoutPlaintext.
pub(crate) struct GenerateDataKeyWithoutPlaintext;

impl Handler for GenerateDataKeyWithoutPlaintext {
    type Request = GenerateDataKeyRequest;
    type Input = GenerateDataKeyInput;
    type Response = GenerateDataKeyResponse;

    fn parse(r: GenerateDataKeyRequest, v: &mut Validator) -> Option<GenerateDataKeyInput> {
        // `Recipient` is not a member of this operation: ignored, like any unknown member.
        let r = GenerateDataKeyRequest {
            recipient: None,
            ..r
        };
        r.parse(v).map(|(input, _)| input)
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: GenerateDataKeyInput,
    ) -> Result<GenerateDataKeyResponse, ApiError> {
        let (_, sealed) = kms.generate_data_key(cx, input)?;
        Ok(GenerateDataKeyResponse::new(None, None, sealed))
    }
}

/// The members GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext share.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateDataKeyPairRequest {
    key_id: Option<String>,
    encryption_context: Option<EncryptionContext>,
    key_pair_spec: Option<EnumMember<DataKeyPairSpec>>,
    grant_tokens: Option<Vec<String>>,
    /// Not in `requestParameters`: the audit trail shows the document's measurements.
    #[serde(skip_serializing)]
    recipient: Option<WireRecipient>,
    dry_run: Option<bool>,
}

impl GenerateDataKeyPairRequest {
    /// The input both operations take.
    fn parse(self, v: &mut Validator) -> Option<(GenerateDataKeyPairInput, Option<RecipientKey>)> {
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.enumeration("keyPairSpec", self.key_pair_spec.as_ref(), true);
        v.grant_tokens(self.grant_tokens.as_ref());
        let recipient = v.recipient(self.recipient.as_ref());
        v.names_key(self.key_id.as_deref());
        v.dry_run(self.dry_run);
        let input = GenerateDataKeyPairInput {
            key: key_ref(self.key_id)?,
            spec: known(self.key_pair_spec.as_ref())?,
            context: self.encryption_context.unwrap_or_default(),
        };
        Some((input, recipient))
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
    ciphertext_for_recipient: Option<Base64Blob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material_id: Option<String>,
}

impl GenerateDataKeyPairResponse {
    /// The response; `with_plaintext` `None` for the WithoutPlaintext operation, else the
    /// recipient (if any) to seal the private key to.
    fn new(
        pair: DataKeyPair,
        spec: DataKeyPairSpec,
        with_plaintext: Option<Option<&RecipientKey>>,
    ) -> GenerateDataKeyPairResponse {
        let (private_key_plaintext, ciphertext_for_recipient) = match with_plaintext {
            Some(recipient) => for_recipient(pair.private_key, recipient),
            None => (None, None),
        };
        GenerateDataKeyPairResponse {
            private_key_ciphertext_blob: Base64Blob(pair.sealed_private_key.ciphertext),
            private_key_plaintext,
            ciphertext_for_recipient,
            public_key: Base64Blob(pair.public_key),
            key_id: pair.sealed_private_key.key_arn.to_string(),
            key_pair_spec: spec.as_str(),
            key_material_id: material_id(pair.sealed_private_key.material_id),
        }
    }
}

/// GenerateDataKeyPair.
pub(crate) struct GenerateDataKeyPair;

impl Handler for GenerateDataKeyPair {
    type Request = GenerateDataKeyPairRequest;
    type Input = (GenerateDataKeyPairInput, Option<RecipientKey>);
    type Response = GenerateDataKeyPairResponse;

    fn weight(_: &GenerateDataKeyPairRequest) -> Weight {
        Weight::KeyGeneration
    }

    fn parse(r: GenerateDataKeyPairRequest, v: &mut Validator) -> Option<Self::Input> {
        r.parse(v)
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        (input, recipient): Self::Input,
    ) -> Result<GenerateDataKeyPairResponse, ApiError> {
        let spec = input.spec;
        let pair = kms.generate_data_key_pair(cx, input)?;
        Ok(GenerateDataKeyPairResponse::new(
            pair,
            spec,
            Some(recipient.as_ref()),
        ))
    }
}

/// GenerateDataKeyPairWithoutPlaintext.
pub(crate) struct GenerateDataKeyPairWithoutPlaintext;

impl Handler for GenerateDataKeyPairWithoutPlaintext {
    type Request = GenerateDataKeyPairRequest;
    type Input = GenerateDataKeyPairInput;
    type Response = GenerateDataKeyPairResponse;

    fn weight(_: &GenerateDataKeyPairRequest) -> Weight {
        Weight::KeyGeneration
    }

    fn parse(r: GenerateDataKeyPairRequest, v: &mut Validator) -> Option<GenerateDataKeyPairInput> {
        // `Recipient` is not a member of this operation: ignored, like any unknown member.
        let r = GenerateDataKeyPairRequest {
            recipient: None,
            ..r
        };
        r.parse(v).map(|(input, _)| input)
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: GenerateDataKeyPairInput,
    ) -> Result<GenerateDataKeyPairResponse, ApiError> {
        let spec = input.spec;
        let pair = kms.generate_data_key_pair(cx, input)?;
        Ok(GenerateDataKeyPairResponse::new(pair, spec, None))
    }
}

/// GenerateRandom.
pub(crate) struct GenerateRandom;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateRandomRequest {
    number_of_bytes: Option<i64>,
    custom_key_store_id: Option<String>,
    /// Not in `requestParameters`: the audit trail shows the document's measurements.
    #[serde(skip_serializing)]
    recipient: Option<WireRecipient>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GenerateRandomResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    plaintext: Option<Base64Blob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ciphertext_for_recipient: Option<Base64Blob>,
}

impl Handler for GenerateRandom {
    type Request = GenerateRandomRequest;
    /// The number of bytes, the `CustomKeyStoreId`, and the recipient.
    type Input = (usize, Option<String>, Option<RecipientKey>);
    type Response = GenerateRandomResponse;

    fn weight(r: &GenerateRandomRequest) -> Weight {
        compute_if(r.recipient.is_some())
    }

    fn parse(r: GenerateRandomRequest, v: &mut Validator) -> Option<Self::Input> {
        v.range("numberOfBytes", r.number_of_bytes, 1, MAX_RANDOM, false);
        v.string(
            "customKeyStoreId",
            r.custom_key_store_id.as_deref(),
            1,
            64,
            false,
        );
        let recipient = v.recipient(r.recipient.as_ref());
        if r.number_of_bytes.is_none() {
            v.reject(kms::Error::Validation("NumberOfBytes is required.".into()));
        }
        Some((
            usize::try_from(r.number_of_bytes?).ok()?,
            r.custom_key_store_id,
            recipient,
        ))
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        (len, store, recipient): Self::Input,
    ) -> Result<GenerateRandomResponse, ApiError> {
        if let Some(id) = &store {
            kms.check_random_source(cx, id)?;
        }
        let (plaintext, ciphertext_for_recipient) =
            for_recipient(kms.generate_random(cx, len)?, recipient.as_ref());
        Ok(GenerateRandomResponse {
            plaintext,
            ciphertext_for_recipient,
        })
    }
}

/// `DryRunModifiers`: each one of the model's values.
fn dry_run_modifiers(v: &mut Validator, modifiers: Option<&Vec<EnumMember<DryRunModifier>>>) {
    for modifier in modifiers.into_iter().flatten() {
        v.enumeration("dryRunModifiers.member", Some(modifier), false);
    }
}
