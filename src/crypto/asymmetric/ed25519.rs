//! Ed25519: pure Ed25519 on aws-lc-rs; Ed25519ph (HashEdDSA with SHA-512) on ed25519-dalek,
//! since aws-lc-rs has no safe API for it. Both hold the same 32-byte seed.

use aws_lc_rs::encoding::{AsBigEndian, AsDer, Curve25519SeedBin, PublicKeyX509Der};
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair as _, ParsedPublicKey};
use ed25519_dalek::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha512};

use super::Message;
use crate::crypto::Error;

/// An Ed25519 private key.
pub struct Ed25519Key {
    pair: Ed25519KeyPair,
    prehash: ed25519_dalek::SigningKey,
    public: Ed25519PublicKey,
}

/// An Ed25519 public key.
pub struct Ed25519PublicKey {
    spki: Vec<u8>,
    parsed: ParsedPublicKey,
    prehash: ed25519_dalek::VerifyingKey,
}

impl Ed25519Key {
    /// A fresh key.
    pub(super) fn generate() -> Result<Ed25519Key, Error> {
        Ed25519Key::new(Ed25519KeyPair::generate().map_err(|_| Error::KeyGeneration)?)
    }

    /// Reads a PKCS#8 key, v1 (RFC 8410) or v2 (with the public key, which must match).
    pub(super) fn from_pkcs8(der: &[u8]) -> Result<Ed25519Key, Error> {
        Ed25519Key::new(Ed25519KeyPair::from_pkcs8(der).map_err(|_| Error::MalformedKey)?)
    }

    fn new(pair: Ed25519KeyPair) -> Result<Ed25519Key, Error> {
        let seed: Curve25519SeedBin<'static> = pair
            .seed()
            .and_then(|s| s.as_be_bytes())
            .map_err(|_| Error::MalformedKey)?;
        let seed: &[u8; 32] = seed.as_ref().try_into().map_err(|_| Error::MalformedKey)?;
        let prehash = ed25519_dalek::SigningKey::from_bytes(seed);
        let spki: PublicKeyX509Der<'static> = pair
            .public_key()
            .as_der()
            .map_err(|_| Error::MalformedKey)?;
        Ok(Ed25519Key {
            public: Ed25519PublicKey::from_der(spki.as_ref())?,
            pair,
            prehash,
        })
    }

    /// The public half.
    pub(super) fn public(&self) -> &Ed25519PublicKey {
        &self.public
    }

    /// The RFC 8410 PKCS#8 v1 encoding (48 bytes, no public key), which every library reads;
    /// some (Python's `cryptography`) refuse the v2 form.
    pub(super) fn to_pkcs8(&self) -> Result<Vec<u8>, Error> {
        let der = self.pair.to_pkcs8v1().map_err(|_| Error::MalformedKey)?;
        Ok(der.as_ref().to_vec())
    }

    /// Pure Ed25519 over a RAW message.
    pub(super) fn sign(&self, message: Message<'_>) -> Result<Vec<u8>, Error> {
        let Message::Raw(m) = message else {
            return Err(Error::UnsupportedMessageType);
        };
        let signature = self.pair.try_sign(m).map_err(|_| Error::Signing)?;
        Ok(signature.as_ref().to_vec())
    }

    /// Ed25519ph. Its input is always hashed with SHA-512, also in DIGEST mode, as KMS does.
    pub(super) fn sign_prehashed(&self, message: Message<'_>) -> Result<Vec<u8>, Error> {
        let (Message::Raw(input) | Message::Digest(input)) = message else {
            return Err(Error::UnsupportedMessageType);
        };
        self.prehash
            .sign_prehashed(Sha512::new().chain_update(input), None)
            .map(|s| s.to_bytes().to_vec())
            .map_err(|_| Error::Signing)
    }
}

impl Ed25519PublicKey {
    /// Reads a DER SubjectPublicKeyInfo.
    pub(super) fn from_der(spki: &[u8]) -> Result<Ed25519PublicKey, Error> {
        let prehash = ed25519_dalek::VerifyingKey::from_public_key_der(spki)
            .map_err(|_| Error::MalformedPublicKey)?;
        let parsed = ParsedPublicKey::new(&signature::ED25519, prehash.as_bytes())
            .map_err(|_| Error::MalformedPublicKey)?;
        Ok(Ed25519PublicKey {
            spki: spki.to_vec(),
            parsed,
            prehash,
        })
    }

    /// DER SubjectPublicKeyInfo.
    pub(super) fn spki(&self) -> &[u8] {
        &self.spki
    }

    /// Whether `signature` is a pure Ed25519 signature over a RAW message.
    pub(super) fn verify(&self, message: Message<'_>, signature: &[u8]) -> Result<bool, Error> {
        let Message::Raw(m) = message else {
            return Err(Error::UnsupportedMessageType);
        };
        Ok(self.parsed.verify_sig(m, signature).is_ok())
    }

    /// Whether `signature` is an Ed25519ph signature over the input (hashed with SHA-512).
    pub(super) fn verify_prehashed(
        &self,
        message: Message<'_>,
        signature: &[u8],
    ) -> Result<bool, Error> {
        let (Message::Raw(input) | Message::Digest(input)) = message else {
            return Err(Error::UnsupportedMessageType);
        };
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return Ok(false);
        };
        Ok(self
            .prehash
            .verify_prehashed_strict(Sha512::new().chain_update(input), None, &signature)
            .is_ok())
    }
}
