//! Sign, Verify, GetPublicKey, GenerateMac, VerifyMac and DeriveSharedSecret: the operations of
//! SIGN_VERIFY, GENERATE_VERIFY_MAC and KEY_AGREEMENT keys, and the public half of key pairs.

use std::sync::Arc;

use super::resolve::Access;
use super::{Context, Error, Kms, Result};
use crate::crypto::KeyMaterial;
use crate::crypto::asymmetric::{AsymmetricKey, Hash, Message, Scheme};
use crate::crypto::mac::{self, MacHash};
use crate::model::{
    Key, KeyAgreementAlgorithm, KeyArn, KeyRef, KeySpec, KeyUsage, MacAlgorithm, MessageType,
    SigningAlgorithm,
};

/// Sign's request, and Verify's without the signature.
#[derive(Debug)]
pub struct SignInput {
    /// The key.
    pub key: KeyRef,
    /// The message, digest or μ.
    pub message: Vec<u8>,
    /// How to read `message`.
    pub message_type: MessageType,
    /// The algorithm.
    pub algorithm: SigningAlgorithm,
}

/// Verify's request.
#[derive(Debug)]
pub struct VerifyInput {
    /// What was signed, how and with which key.
    pub signed: SignInput,
    /// The signature to check.
    pub signature: Vec<u8>,
}

/// GenerateMac's request, and VerifyMac's without the MAC.
#[derive(Debug)]
pub struct MacInput {
    /// The key.
    pub key: KeyRef,
    /// The message.
    pub message: Vec<u8>,
    /// The algorithm.
    pub algorithm: MacAlgorithm,
}

/// VerifyMac's request.
#[derive(Debug)]
pub struct VerifyMacInput {
    /// What was MACed, how and with which key.
    pub maced: MacInput,
    /// The MAC to check.
    pub mac: Vec<u8>,
}

/// DeriveSharedSecret's request.
#[derive(Debug)]
pub struct DeriveSharedSecretInput {
    /// The key.
    pub key: KeyRef,
    /// The algorithm.
    pub algorithm: KeyAgreementAlgorithm,
    /// The other party's public key (DER SubjectPublicKeyInfo).
    pub public_key: Vec<u8>,
}

/// What GetPublicKey returns.
#[derive(Debug)]
pub struct PublicKeyInfo {
    /// The key, for its ARN, spec, usage and algorithm lists.
    pub key: Arc<Key>,
    /// DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
}

impl Kms {
    /// Sign.
    pub fn sign(&self, cx: &mut Context, input: SignInput) -> Result<(KeyArn, Vec<u8>)> {
        let (key, pair, scheme, message) = self.signing_key(cx, &input)?;
        cx.stop_if_dry_run()?;
        let signature = pair.sign(scheme, message).map_err(Error::Crypto)?;
        cx.uses(&key);
        Ok((key.arn.clone(), signature))
    }

    /// Verify: `Ok` only for a valid signature; an invalid one is `InvalidSignature`.
    pub fn verify(&self, cx: &mut Context, input: VerifyInput) -> Result<KeyArn> {
        let (key, pair, scheme, message) = self.signing_key(cx, &input.signed)?;
        cx.stop_if_dry_run()?;
        match pair
            .verify(scheme, message, &input.signature)
            .map_err(Error::Crypto)?
        {
            true => {
                cx.uses(&key);
                Ok(key.arn.clone())
            }
            false => Err(Error::InvalidSignature),
        }
    }

    /// GetPublicKey.
    pub fn get_public_key(&self, cx: &mut Context, key_ref: &KeyRef) -> Result<PublicKeyInfo> {
        let key = self.resolve(cx, key_ref, Access::CrossAccount)?;
        key.require_enabled()?;
        let Some(pair) = key.key_pair() else {
            return Err(Error::Unsupported(format!(
                "{} key spec {} is not valid for GetPublicKey; only asymmetric keys have a \
                 public key.",
                key.arn, key.spec
            )));
        };
        let public_key = pair.public_key_der().map_err(Error::Crypto)?;
        cx.uses(&key);
        Ok(PublicKeyInfo { key, public_key })
    }

    /// GenerateMac.
    pub fn generate_mac(&self, cx: &mut Context, input: MacInput) -> Result<(KeyArn, Vec<u8>)> {
        let (key, secret, hash) = self.mac_key(cx, &input)?;
        cx.stop_if_dry_run()?;
        let tag = mac::generate(hash, &secret, &input.message);
        cx.uses(&key);
        Ok((key.arn.clone(), tag))
    }

    /// VerifyMac: `Ok` only for a valid MAC; an invalid one is `InvalidMac`.
    pub fn verify_mac(&self, cx: &mut Context, input: VerifyMacInput) -> Result<KeyArn> {
        let (key, secret, hash) = self.mac_key(cx, &input.maced)?;
        cx.stop_if_dry_run()?;
        match mac::verify(hash, &secret, &input.maced.message, &input.mac) {
            true => {
                cx.uses(&key);
                Ok(key.arn.clone())
            }
            false => Err(Error::InvalidMac),
        }
    }

    /// DeriveSharedSecret: ECDH between the key and the caller's public key.
    pub fn derive_shared_secret(
        &self,
        cx: &mut Context,
        input: DeriveSharedSecretInput,
    ) -> Result<(KeyArn, Vec<u8>)> {
        let key = self.resolve(cx, &input.key, Access::CrossAccount)?;
        key.require_enabled()?;
        key.require_usage(KeyUsage::KeyAgreement, "DeriveSharedSecret")?;
        if !key.key_agreement_algorithms().contains(&input.algorithm) {
            return Err(Error::InvalidKeyUsage(format!(
                "{} does not support the key agreement algorithm {}.",
                key.arn, input.algorithm
            )));
        }
        let pair = key
            .key_pair()
            .ok_or_else(|| key.invalid_usage("DeriveSharedSecret"))?;
        cx.stop_if_dry_run()?;
        let secret = pair
            .derive_shared_secret(&input.public_key)
            .map_err(|_| Error::InvalidPublicKey)?;
        cx.uses(&key);
        Ok((key.arn.clone(), secret))
    }

    /// The key, its pair, the scheme and the message of a Sign or Verify, after every check.
    fn signing_key<'a>(
        &self,
        cx: &mut Context,
        input: &'a SignInput,
    ) -> Result<(Arc<Key>, Arc<AsymmetricKey>, Scheme, Message<'a>)> {
        let operation = cx.operation.as_str();
        let key = self.resolve(cx, &input.key, Access::CrossAccount)?;
        key.require_enabled()?;
        key.require_usage(KeyUsage::SignVerify, operation)?;
        let algorithm = input.algorithm;
        if !key.signing_algorithms().contains(&algorithm) {
            let supported: Vec<&str> = key
                .signing_algorithms()
                .iter()
                .map(|a| a.as_str())
                .collect();
            return Err(Error::InvalidKeyUsage(format!(
                "Signing algorithm {algorithm} is not valid for {} (KeySpec {}); it supports {}.",
                key.arn,
                key.spec,
                supported.join(", ")
            )));
        }
        let message = message(key.spec, algorithm, input.message_type, &input.message)?;
        let pair = key
            .key_pair()
            .cloned()
            .ok_or_else(|| key.invalid_usage(operation))?;
        Ok((key, pair, scheme(algorithm), message))
    }

    /// The key, its secret and the hash of a GenerateMac or VerifyMac, after the state, usage
    /// and algorithm checks.
    fn mac_key(&self, cx: &mut Context, input: &MacInput) -> Result<(Arc<Key>, Vec<u8>, MacHash)> {
        let operation = cx.operation.as_str();
        let key = self.resolve(cx, &input.key, Access::CrossAccount)?;
        key.require_enabled()?;
        key.require_usage(KeyUsage::GenerateVerifyMac, operation)?;
        let algorithm = input.algorithm;
        if !key.mac_algorithms().contains(&algorithm) {
            return Err(Error::InvalidKeyUsage(format!(
                "Algorithm {algorithm} is incompatible with key spec {}.",
                key.spec
            )));
        }
        let Some(KeyMaterial::Hmac(secret)) = key.current_material().map(|m| &m.secret) else {
            return Err(key.invalid_usage(operation));
        };
        let secret = secret.clone();
        let hash = match algorithm {
            MacAlgorithm::HmacSha224 => MacHash::Sha224,
            MacAlgorithm::HmacSha256 => MacHash::Sha256,
            MacAlgorithm::HmacSha384 => MacHash::Sha384,
            MacAlgorithm::HmacSha512 => MacHash::Sha512,
        };
        Ok((key, secret, hash))
    }
}

fn scheme(algorithm: SigningAlgorithm) -> Scheme {
    use SigningAlgorithm::*;
    match algorithm {
        RsassaPssSha256 => Scheme::RsaPss(Hash::Sha256),
        RsassaPssSha384 => Scheme::RsaPss(Hash::Sha384),
        RsassaPssSha512 => Scheme::RsaPss(Hash::Sha512),
        RsassaPkcs1V15Sha256 => Scheme::RsaPkcs1(Hash::Sha256),
        RsassaPkcs1V15Sha384 => Scheme::RsaPkcs1(Hash::Sha384),
        RsassaPkcs1V15Sha512 => Scheme::RsaPkcs1(Hash::Sha512),
        EcdsaSha256 => Scheme::Ecdsa(Hash::Sha256),
        EcdsaSha384 => Scheme::Ecdsa(Hash::Sha384),
        EcdsaSha512 => Scheme::Ecdsa(Hash::Sha512),
        Sm2dsa => Scheme::Sm2Dsa,
        MlDsaShake256 => Scheme::MlDsa,
        Ed25519Sha512 => Scheme::Ed25519,
        Ed25519PhSha512 => Scheme::Ed25519Ph,
    }
}

/// Checks the message type against the algorithm, and a digest's length against its hash, as
/// KMS does before signing.
fn message(
    spec: KeySpec,
    algorithm: SigningAlgorithm,
    message_type: MessageType,
    message: &[u8],
) -> Result<Message<'_>> {
    use SigningAlgorithm::*;
    let invalid = |why: String| Err(Error::Validation(why));
    match (algorithm, message_type) {
        (Ed25519Sha512, MessageType::Raw) => Ok(Message::Raw(message)),
        (Ed25519Sha512, other) => invalid(format!(
            "ED25519_SHA_512 requires MessageType RAW, not {other}."
        )),
        (Ed25519PhSha512, MessageType::Digest) if message.len() == 64 => {
            Ok(Message::Digest(message))
        }
        (Ed25519PhSha512, MessageType::Digest) => {
            invalid("Digest is invalid length for algorithm ED25519_PH_SHA_512.".into())
        }
        (Ed25519PhSha512, other) => invalid(format!(
            "ED25519_PH_SHA_512 requires MessageType DIGEST, not {other}."
        )),
        (MlDsaShake256, MessageType::Raw) => Ok(Message::Raw(message)),
        (MlDsaShake256, MessageType::ExternalMu) if message.len() == 64 => {
            Ok(Message::ExternalMu(message))
        }
        (MlDsaShake256, MessageType::ExternalMu) => {
            invalid("An EXTERNAL_MU message must be 64 bytes long.".into())
        }
        (MlDsaShake256, MessageType::Digest) => invalid(format!(
            "Message type DIGEST is incompatible with key spec {spec}."
        )),
        (_, MessageType::ExternalMu) => invalid(format!(
            "MessageType EXTERNAL_MU is only valid with ML_DSA_SHAKE_256, not {algorithm}."
        )),
        (_, MessageType::Raw) => Ok(Message::Raw(message)),
        (_, MessageType::Digest) => {
            let expected = match scheme(algorithm) {
                Scheme::RsaPss(h) | Scheme::RsaPkcs1(h) | Scheme::Ecdsa(h) => h.len(),
                _ => 32, // SM2DSA: SM3(Z ‖ M) is 32 bytes.
            };
            if message.len() == expected {
                Ok(Message::Digest(message))
            } else {
                invalid(format!(
                    "Digest is invalid length for algorithm {algorithm}."
                ))
            }
        }
    }
}
