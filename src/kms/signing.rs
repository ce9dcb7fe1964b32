//! Sign, Verify, GetPublicKey, GenerateMac, VerifyMac and DeriveSharedSecret: the operations of
//! SIGN_VERIFY, GENERATE_VERIFY_MAC and KEY_AGREEMENT keys, and the public half of key pairs.

use std::sync::Arc;

use super::encryption::require_enabled;
use super::model::{
    Key, KeyAgreementAlgorithm, KeyArn, KeyRef, KeyUsage, MacAlgorithm, MessageType, Scope,
    SigningAlgorithm,
};
use super::resolve::Access;
use super::{Error, Kms, Result};
use crate::crypto::KeyMaterial;
use crate::crypto::asymmetric::{AsymmetricKey, Hash, Message, Scheme};
use crate::crypto::mac::{self, MacHash};

/// A Sign or Verify request, in domain terms.
#[derive(Debug, Clone, Copy)]
pub struct SignInput<'a> {
    /// The key.
    pub key: &'a KeyRef,
    /// The message, digest or μ.
    pub message: &'a [u8],
    /// How to read `message` (RAW when absent).
    pub message_type: Option<MessageType>,
    /// The algorithm.
    pub algorithm: SigningAlgorithm,
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
    pub fn sign(
        &self,
        caller: &Scope,
        input: SignInput<'_>,
        dry_run: bool,
    ) -> Result<(KeyArn, Vec<u8>)> {
        let (key, pair, scheme, message) = self.signing_key(caller, &input, "Sign")?;
        if dry_run {
            return Err(Error::DryRun);
        }
        let signature = pair.sign(scheme, message).map_err(Error::Crypto)?;
        Ok((key.arn.clone(), signature))
    }

    /// Verify: `Ok` only for a valid signature; an invalid one is `InvalidSignature`.
    pub fn verify(
        &self,
        caller: &Scope,
        input: SignInput<'_>,
        signature: &[u8],
        dry_run: bool,
    ) -> Result<KeyArn> {
        let (key, pair, scheme, message) = self.signing_key(caller, &input, "Verify")?;
        if dry_run {
            return Err(Error::DryRun);
        }
        match pair
            .verify(scheme, message, signature)
            .map_err(Error::Crypto)?
        {
            true => Ok(key.arn.clone()),
            false => Err(Error::InvalidSignature),
        }
    }

    /// GetPublicKey.
    pub fn get_public_key(&self, caller: &Scope, key_ref: &KeyRef) -> Result<PublicKeyInfo> {
        let key = self.read().resolve(caller, key_ref, Access::CrossAccount)?;
        require_enabled(&key)?;
        let Some(pair) = key_pair(&key) else {
            return Err(Error::Unsupported(format!(
                "{} key spec {} is not valid for GetPublicKey; only asymmetric keys have a \
                 public key.",
                key.arn, key.spec
            )));
        };
        let public_key = pair.public_key_der().map_err(Error::Crypto)?;
        Ok(PublicKeyInfo { key, public_key })
    }

    /// GenerateMac.
    pub fn generate_mac(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        message: &[u8],
        algorithm: MacAlgorithm,
        dry_run: bool,
    ) -> Result<(KeyArn, Vec<u8>)> {
        let (key, secret, hash) = self.mac_key(caller, key_ref, algorithm, "GenerateMac")?;
        if dry_run {
            return Err(Error::DryRun);
        }
        Ok((key.arn.clone(), mac::generate(hash, &secret, message)))
    }

    /// VerifyMac: `Ok` only for a valid MAC; an invalid one is `InvalidMac`.
    pub fn verify_mac(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        message: &[u8],
        algorithm: MacAlgorithm,
        tag: &[u8],
        dry_run: bool,
    ) -> Result<KeyArn> {
        let (key, secret, hash) = self.mac_key(caller, key_ref, algorithm, "VerifyMac")?;
        if dry_run {
            return Err(Error::DryRun);
        }
        match mac::verify(hash, &secret, message, tag) {
            true => Ok(key.arn.clone()),
            false => Err(Error::InvalidMac),
        }
    }

    /// DeriveSharedSecret: ECDH between the key and the caller's public key.
    pub fn derive_shared_secret(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        algorithm: KeyAgreementAlgorithm,
        public_key: &[u8],
        dry_run: bool,
    ) -> Result<(KeyArn, Vec<u8>)> {
        let key = self.read().resolve(caller, key_ref, Access::CrossAccount)?;
        require_enabled(&key)?;
        require_usage(&key, KeyUsage::KeyAgreement, "DeriveSharedSecret")?;
        if !key.key_agreement_algorithms().contains(&algorithm) {
            return Err(Error::InvalidKeyUsage(format!(
                "{} does not support the key agreement algorithm {algorithm}.",
                key.arn
            )));
        }
        let pair = key_pair(&key).ok_or_else(|| invalid_usage(&key, "DeriveSharedSecret"))?;
        if dry_run {
            return Err(Error::DryRun);
        }
        let secret = pair.derive_shared_secret(public_key).map_err(|_| {
            Error::Validation(format!(
                "PublicKey must be a DER-encoded X.509 SubjectPublicKeyInfo on the curve of \
                 {} ({}).",
                key.arn, key.spec
            ))
        })?;
        Ok((key.arn.clone(), secret))
    }

    /// The key, its pair, the scheme and the message of a Sign or Verify, after every check.
    fn signing_key<'a>(
        &self,
        caller: &Scope,
        input: &SignInput<'a>,
        operation: &str,
    ) -> Result<(Arc<Key>, Arc<AsymmetricKey>, Scheme, Message<'a>)> {
        let key = self
            .read()
            .resolve(caller, input.key, Access::CrossAccount)?;
        require_enabled(&key)?;
        require_usage(&key, KeyUsage::SignVerify, operation)?;
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
        let message = message(algorithm, input.message_type, input.message)?;
        let pair = key_pair(&key).ok_or_else(|| invalid_usage(&key, operation))?;
        let pair = Arc::clone(pair);
        Ok((key, pair, scheme(algorithm), message))
    }

    fn mac_key(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        algorithm: MacAlgorithm,
        operation: &str,
    ) -> Result<(Arc<Key>, Vec<u8>, MacHash)> {
        let key = self.read().resolve(caller, key_ref, Access::CrossAccount)?;
        require_enabled(&key)?;
        require_usage(&key, KeyUsage::GenerateVerifyMac, operation)?;
        if !key.mac_algorithms().contains(&algorithm) {
            return Err(Error::InvalidKeyUsage(format!(
                "MAC algorithm {algorithm} is not valid for {} (KeySpec {}).",
                key.arn, key.spec
            )));
        }
        let Some(KeyMaterial::Hmac(secret)) = key.current_material().map(|m| &m.secret) else {
            return Err(invalid_usage(&key, operation));
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

/// The key pair of an asymmetric key.
pub(super) fn key_pair(key: &Key) -> Option<&Arc<AsymmetricKey>> {
    match &key.current_material()?.secret {
        KeyMaterial::Asymmetric(pair) => Some(pair),
        _ => None,
    }
}

/// The usage check every operation makes, with AWS's message.
pub(super) fn require_usage(key: &Key, usage: KeyUsage, operation: &str) -> Result<()> {
    if key.usage == usage {
        Ok(())
    } else {
        Err(invalid_usage(key, operation))
    }
}

/// `<arn> key usage is X which is not valid for <Operation>.`
pub(super) fn invalid_usage(key: &Key, operation: &str) -> Error {
    Error::InvalidKeyUsage(format!(
        "{} key usage is {} which is not valid for {operation}.",
        key.arn, key.usage
    ))
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
    algorithm: SigningAlgorithm,
    message_type: Option<MessageType>,
    message: &[u8],
) -> Result<Message<'_>> {
    use SigningAlgorithm::*;
    let message_type = message_type.unwrap_or(MessageType::Raw);
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
        (MlDsaShake256, MessageType::Digest) => {
            invalid("ML_DSA_SHAKE_256 supports MessageType RAW and EXTERNAL_MU, not DIGEST.".into())
        }
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
