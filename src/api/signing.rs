//! Wire adapters for Sign, Verify, GetPublicKey, GenerateMac, VerifyMac and DeriveSharedSecret.

use serde::{Deserialize, Serialize};

use super::keys::{customer_master_key_spec, names};
use super::wire::{Base64Blob, EnumMember, Validator, WireRecipient, key_ref, known};
use super::{ApiError, Handler, Weight};
use crate::kms::encryption::RecipientKey;
use crate::kms::signing::{
    DeriveSharedSecretInput, MacInput, SignInput, VerifyInput, VerifyMacInput,
};
use crate::kms::{Context, Kms};
use crate::model::{KeyAgreementAlgorithm, KeyRef, MacAlgorithm, MessageType, SigningAlgorithm};

const MAX_MESSAGE: usize = 4096;
const MAX_SIGNATURE: usize = 6144;
const MAX_PUBLIC_KEY: usize = 8192;

/// The members Sign and Verify share (Sign ignores `Signature`).
#[derive(Debug, Deserialize, Serialize)]
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
    /// Sign's input, after the constraints both operations share.
    fn parse_signed(
        key_id: Option<String>,
        message: Option<Base64Blob>,
        message_type: Option<EnumMember<MessageType>>,
        signing_algorithm: Option<EnumMember<SigningAlgorithm>>,
        v: &mut Validator,
    ) -> Option<SignInput> {
        v.key_id("keyId", key_id.as_deref(), true);
        v.sensitive_blob("message", message.as_ref(), 1, MAX_MESSAGE, true);
        v.enumeration("messageType", message_type.as_ref(), false);
        v.enumeration("signingAlgorithm", signing_algorithm.as_ref(), true);
        v.names_key(key_id.as_deref());
        Some(SignInput {
            key: key_ref(key_id)?,
            message: message?.0,
            message_type: known(message_type.as_ref()).unwrap_or(MessageType::Raw),
            algorithm: known(signing_algorithm.as_ref())?,
        })
    }
}

/// Sign.
pub(crate) struct Sign;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SignResponse {
    key_id: String,
    signature: Base64Blob,
    signing_algorithm: &'static str,
}

impl Handler for Sign {
    type Request = SignRequest;
    type Input = SignInput;
    type Response = SignResponse;

    fn weight(_: &SignRequest) -> Weight {
        // Every signing key is a key pair (MACs are GenerateMac).
        Weight::Compute
    }

    fn parse(r: SignRequest, v: &mut Validator) -> Option<SignInput> {
        let input =
            SignRequest::parse_signed(r.key_id, r.message, r.message_type, r.signing_algorithm, v);
        v.grant_tokens(r.grant_tokens.as_ref());
        v.dry_run(r.dry_run);
        input
    }

    fn handle(kms: &Kms, cx: &mut Context, input: SignInput) -> Result<SignResponse, ApiError> {
        let algorithm = input.algorithm;
        let (arn, signature) = kms.sign(cx, input)?;
        Ok(SignResponse {
            key_id: arn.to_string(),
            signature: Base64Blob(signature),
            signing_algorithm: algorithm.as_str(),
        })
    }
}

/// Verify.
pub(crate) struct Verify;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct VerifyResponse {
    key_id: String,
    signature_valid: bool,
    signing_algorithm: &'static str,
}

impl Handler for Verify {
    type Request = SignRequest;
    type Input = VerifyInput;
    type Response = VerifyResponse;

    fn weight(_: &SignRequest) -> Weight {
        Weight::Compute
    }

    fn parse(r: SignRequest, v: &mut Validator) -> Option<VerifyInput> {
        let signed =
            SignRequest::parse_signed(r.key_id, r.message, r.message_type, r.signing_algorithm, v);
        v.grant_tokens(r.grant_tokens.as_ref());
        v.blob("signature", r.signature.as_ref(), 1, MAX_SIGNATURE, true);
        v.dry_run(r.dry_run);
        Some(VerifyInput {
            signed: signed?,
            signature: r.signature?.0,
        })
    }

    fn handle(kms: &Kms, cx: &mut Context, input: VerifyInput) -> Result<VerifyResponse, ApiError> {
        let algorithm = input.signed.algorithm;
        let arn = kms.verify(cx, input)?;
        Ok(VerifyResponse {
            key_id: arn.to_string(),
            signature_valid: true,
            signing_algorithm: algorithm.as_str(),
        })
    }
}

/// GetPublicKey.
pub(crate) struct GetPublicKey;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetPublicKeyRequest {
    key_id: Option<String>,
    grant_tokens: Option<Vec<String>>,
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

impl Handler for GetPublicKey {
    type Request = GetPublicKeyRequest;
    type Input = KeyRef;
    type Response = GetPublicKeyResponse;

    fn parse(r: GetPublicKeyRequest, v: &mut Validator) -> Option<KeyRef> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.grant_tokens(r.grant_tokens.as_ref());
        v.names_key(r.key_id.as_deref());
        key_ref(r.key_id)
    }

    fn handle(kms: &Kms, cx: &mut Context, key: KeyRef) -> Result<GetPublicKeyResponse, ApiError> {
        let info = kms.get_public_key(cx, &key)?;
        let key = &info.key;
        Ok(GetPublicKeyResponse {
            key_id: key.arn.to_string(),
            public_key: Base64Blob(info.public_key),
            customer_master_key_spec: customer_master_key_spec(key.spec),
            key_spec: key.spec.as_str(),
            key_usage: key.usage.as_str(),
            encryption_algorithms: names(key.encryption_algorithms()),
            signing_algorithms: names(key.signing_algorithms()),
            key_agreement_algorithms: names(key.key_agreement_algorithms()),
            encapsulation_algorithms: names(key.encapsulation_algorithms()),
        })
    }
}

/// The members GenerateMac and VerifyMac share (GenerateMac ignores `Mac`).
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MacRequest {
    key_id: Option<String>,
    message: Option<Base64Blob>,
    mac_algorithm: Option<EnumMember<MacAlgorithm>>,
    mac: Option<Base64Blob>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

impl MacRequest {
    /// GenerateMac's input and the `Mac` member, after the constraints both operations share;
    /// `mac_required` says whether `Mac` must be present (VerifyMac).
    fn parse(self, v: &mut Validator, mac_required: bool) -> (Option<MacInput>, Option<Vec<u8>>) {
        v.sensitive_blob("message", self.message.as_ref(), 1, MAX_MESSAGE, true);
        v.key_id("keyId", self.key_id.as_deref(), true);
        v.enumeration("macAlgorithm", self.mac_algorithm.as_ref(), true);
        v.blob("mac", self.mac.as_ref(), 1, MAX_SIGNATURE, mac_required);
        v.grant_tokens(self.grant_tokens.as_ref());
        v.names_key(self.key_id.as_deref());
        v.dry_run(self.dry_run);
        let input = match (
            key_ref(self.key_id),
            self.message,
            known(self.mac_algorithm.as_ref()),
        ) {
            (Some(key), Some(message), Some(algorithm)) => Some(MacInput {
                key,
                message: message.0,
                algorithm,
            }),
            _ => None,
        };
        (input, self.mac.map(|mac| mac.0))
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

impl Handler for GenerateMac {
    type Request = MacRequest;
    type Input = MacInput;
    type Response = GenerateMacResponse;

    fn parse(r: MacRequest, v: &mut Validator) -> Option<MacInput> {
        r.parse(v, false).0
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: MacInput,
    ) -> Result<GenerateMacResponse, ApiError> {
        let algorithm = input.algorithm;
        let (arn, mac) = kms.generate_mac(cx, input)?;
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

impl Handler for VerifyMac {
    type Request = MacRequest;
    type Input = VerifyMacInput;
    type Response = VerifyMacResponse;

    fn parse(r: MacRequest, v: &mut Validator) -> Option<VerifyMacInput> {
        let (maced, mac) = r.parse(v, true);
        Some(VerifyMacInput {
            maced: maced?,
            mac: mac?,
        })
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        input: VerifyMacInput,
    ) -> Result<VerifyMacResponse, ApiError> {
        let algorithm = input.maced.algorithm;
        let arn = kms.verify_mac(cx, input)?;
        Ok(VerifyMacResponse {
            key_id: arn.to_string(),
            mac_valid: true,
            mac_algorithm: algorithm.as_str(),
        })
    }
}

/// DeriveSharedSecret.
pub(crate) struct DeriveSharedSecret;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeriveSharedSecretRequest {
    key_id: Option<String>,
    key_agreement_algorithm: Option<EnumMember<KeyAgreementAlgorithm>>,
    public_key: Option<Base64Blob>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
    /// Not in `requestParameters`: the audit trail shows the document's measurements.
    #[serde(skip_serializing)]
    recipient: Option<WireRecipient>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeriveSharedSecretResponse {
    key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    shared_secret: Option<Base64Blob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ciphertext_for_recipient: Option<Base64Blob>,
    key_agreement_algorithm: &'static str,
    key_origin: &'static str,
}

impl Handler for DeriveSharedSecret {
    type Request = DeriveSharedSecretRequest;
    type Input = (DeriveSharedSecretInput, Option<RecipientKey>);
    type Response = DeriveSharedSecretResponse;

    fn weight(_: &DeriveSharedSecretRequest) -> Weight {
        Weight::Compute
    }

    fn parse(r: DeriveSharedSecretRequest, v: &mut Validator) -> Option<Self::Input> {
        v.key_id("keyId", r.key_id.as_deref(), true);
        v.enumeration(
            "keyAgreementAlgorithm",
            r.key_agreement_algorithm.as_ref(),
            true,
        );
        v.blob("publicKey", r.public_key.as_ref(), 1, MAX_PUBLIC_KEY, true);
        v.grant_tokens(r.grant_tokens.as_ref());
        let recipient = v.recipient(r.recipient.as_ref());
        v.names_key(r.key_id.as_deref());
        v.dry_run(r.dry_run);
        let input = DeriveSharedSecretInput {
            key: key_ref(r.key_id)?,
            algorithm: known(r.key_agreement_algorithm.as_ref())?,
            public_key: r.public_key?.0,
        };
        Some((input, recipient))
    }

    fn handle(
        kms: &Kms,
        cx: &mut Context,
        (input, recipient): Self::Input,
    ) -> Result<DeriveSharedSecretResponse, ApiError> {
        let algorithm = input.algorithm;
        let (arn, secret) = kms.derive_shared_secret(cx, input)?;
        let (shared_secret, ciphertext_for_recipient) =
            super::encryption::for_recipient(secret, recipient.as_ref());
        Ok(DeriveSharedSecretResponse {
            key_id: arn.to_string(),
            shared_secret,
            ciphertext_for_recipient,
            key_agreement_algorithm: algorithm.as_str(),
            key_origin: "AWS_KMS",
        })
    }
}
