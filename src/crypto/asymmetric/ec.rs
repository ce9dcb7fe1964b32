//! ECDSA on P-256, P-384, P-521 and secp256k1, and ECDH on the three NIST curves, on aws-lc-rs:
//! key generation, PKCS#8, DER signatures over a message or a digest the caller computed, and
//! the x-coordinate of the shared point. Each curve goes with the one hash KMS pairs it with.

use std::sync::OnceLock;

use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, KeyPair as _,
    ParsedPublicKey,
};

use super::{Hash, KeyPairKind, Message, digest};
use crate::crypto::Error;

/// A curve and what aws-lc-rs calls its algorithms.
struct Curve {
    kind: KeyPairKind,
    hash: Hash,
    signing: &'static EcdsaSigningAlgorithm,
    verifying: &'static EcdsaVerificationAlgorithm,
    /// ECDH, which KMS offers on the NIST curves only.
    agreement: Option<&'static agreement::Algorithm>,
}

static CURVES: [Curve; 4] = [
    Curve {
        kind: KeyPairKind::P256,
        hash: Hash::Sha256,
        signing: &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        verifying: &signature::ECDSA_P256_SHA256_ASN1,
        agreement: Some(&agreement::ECDH_P256),
    },
    Curve {
        kind: KeyPairKind::P384,
        hash: Hash::Sha384,
        signing: &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        verifying: &signature::ECDSA_P384_SHA384_ASN1,
        agreement: Some(&agreement::ECDH_P384),
    },
    Curve {
        kind: KeyPairKind::P521,
        hash: Hash::Sha512,
        signing: &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
        verifying: &signature::ECDSA_P521_SHA512_ASN1,
        agreement: Some(&agreement::ECDH_P521),
    },
    Curve {
        kind: KeyPairKind::Secp256k1,
        hash: Hash::Sha256,
        signing: &signature::ECDSA_P256K1_SHA256_ASN1_SIGNING,
        verifying: &signature::ECDSA_P256K1_SHA256_ASN1,
        agreement: None,
    },
];

fn curve(kind: KeyPairKind) -> Result<&'static Curve, Error> {
    CURVES
        .iter()
        .find(|c| c.kind == kind)
        .ok_or(Error::WrongKeyType)
}

/// An elliptic-curve private key.
pub struct EcKey {
    pair: EcdsaKeyPair,
    public: EcPublicKey,
    /// The same key for ECDH, built the first time it derives a secret.
    agreement: OnceLock<Option<agreement::PrivateKey>>,
}

/// An elliptic-curve public key, parsed once for verification.
pub struct EcPublicKey {
    curve: &'static Curve,
    spki: Vec<u8>,
    parsed: ParsedPublicKey,
}

impl EcKey {
    /// A fresh key on the curve of `kind`.
    pub(super) fn generate(kind: KeyPairKind) -> Result<EcKey, Error> {
        let curve = curve(kind)?;
        EcKey::new(
            curve,
            EcdsaKeyPair::generate(curve.signing).map_err(|_| Error::KeyGeneration)?,
        )
    }

    /// Reads a PKCS#8 `PrivateKeyInfo` on the curve of `kind`.
    pub(super) fn from_pkcs8(kind: KeyPairKind, der: &[u8]) -> Result<EcKey, Error> {
        let curve = curve(kind)?;
        let pair = EcdsaKeyPair::from_pkcs8(curve.signing, der).map_err(|_| Error::MalformedKey)?;
        EcKey::new(curve, pair)
    }

    /// Reads a SEC1 `ECPrivateKey` (RFC 5915) on the curve of `kind`.
    pub(super) fn from_sec1(kind: KeyPairKind, der: &[u8]) -> Result<EcKey, Error> {
        let curve = curve(kind)?;
        let pair = EcdsaKeyPair::from_private_key_der(curve.signing, der)
            .map_err(|_| Error::MalformedKey)?;
        EcKey::new(curve, pair)
    }

    fn new(curve: &'static Curve, pair: EcdsaKeyPair) -> Result<EcKey, Error> {
        let spki: PublicKeyX509Der<'static> = pair
            .public_key()
            .as_der()
            .map_err(|_| Error::MalformedKey)?;
        Ok(EcKey {
            public: EcPublicKey::from_der(curve.kind, spki.as_ref())?,
            pair,
            agreement: OnceLock::new(),
        })
    }

    /// The curve.
    pub(super) fn kind(&self) -> KeyPairKind {
        self.public.curve.kind
    }

    /// The public half.
    pub(super) fn public(&self) -> &EcPublicKey {
        &self.public
    }

    /// PKCS#8 DER.
    pub(super) fn to_pkcs8(&self) -> Result<Vec<u8>, Error> {
        let der = self.pair.to_pkcs8v1().map_err(|_| Error::MalformedKey)?;
        Ok(der.as_ref().to_vec())
    }

    /// A DER ECDSA signature, with a fresh nonce (AWS-LC's, hedged with the key and message).
    pub(super) fn sign(&self, hash: Hash, message: Message<'_>) -> Result<Vec<u8>, Error> {
        let curve = self.public.curve;
        if hash != curve.hash {
            return Err(Error::WrongKeyType);
        }
        let signature = match message {
            Message::Raw(m) => {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                self.pair.sign(&rng, m)
            }
            Message::Digest(d) => self.pair.sign_digest(&digest(hash, d)?),
            Message::ExternalMu(_) => return Err(Error::UnsupportedMessageType),
        }
        .map_err(|_| Error::Signing)?;
        Ok(signature.as_ref().to_vec())
    }

    /// ECDH with a peer's DER SubjectPublicKeyInfo on the same curve: the x-coordinate of the
    /// shared point.
    pub(super) fn derive_shared_secret(&self, peer_spki: &[u8]) -> Result<Vec<u8>, Error> {
        let Some(algorithm) = self.public.curve.agreement else {
            return Err(Error::WrongKeyType);
        };
        let private = self
            .agreement
            .get_or_init(|| {
                let der = self.pair.to_pkcs8v1().ok()?;
                agreement::PrivateKey::from_private_key_der(algorithm, der.as_ref()).ok()
            })
            .as_ref()
            .ok_or(Error::MalformedKey)?;
        require_named_curve(peer_spki)?;
        let peer = agreement::UnparsedPublicKey::new(algorithm, peer_spki);
        agreement::agree(private, peer, Error::MalformedPublicKey, |secret| {
            Ok(secret.to_vec())
        })
    }
}

impl EcPublicKey {
    /// Reads a DER SubjectPublicKeyInfo on the curve of `kind`.
    pub(super) fn from_der(kind: KeyPairKind, spki: &[u8]) -> Result<EcPublicKey, Error> {
        let curve = curve(kind)?;
        require_named_curve(spki)?;
        let parsed =
            ParsedPublicKey::new(curve.verifying, spki).map_err(|_| Error::MalformedPublicKey)?;
        Ok(EcPublicKey {
            curve,
            spki: spki.to_vec(),
            parsed,
        })
    }

    /// DER SubjectPublicKeyInfo.
    pub(super) fn spki(&self) -> &[u8] {
        &self.spki
    }

    /// Whether `signature` is a DER ECDSA signature over the message or digest. Both values of
    /// s verify, as in other ECDSA implementations (signers like OpenSSL do not normalise it).
    pub(super) fn verify(
        &self,
        hash: Hash,
        message: Message<'_>,
        signature: &[u8],
    ) -> Result<bool, Error> {
        if hash != self.curve.hash {
            return Err(Error::WrongKeyType);
        }
        Ok(match message {
            Message::Raw(m) => self.parsed.verify_sig(m, signature).is_ok(),
            Message::Digest(d) => self
                .parsed
                .verify_digest_sig(&digest(hash, d)?, signature)
                .is_ok(),
            Message::ExternalMu(_) => return Err(Error::UnsupportedMessageType),
        })
    }
}

/// Refuses anything but a DER SubjectPublicKeyInfo whose curve is named by its OID. aws-lc-rs
/// would also read a bare point, or a curve spelled out parameter by parameter (and accepts
/// some that RFC 3279 forbids, such as parameters without the cofactor: Wycheproof's ECDH
/// vectors caught it). KMS's public keys name their curve, and kmsd read them that way before
/// aws-lc-rs; which curve it is, aws-lc-rs then checks.
fn require_named_curve(spki: &[u8]) -> Result<(), Error> {
    let info =
        pkcs8::SubjectPublicKeyInfoRef::try_from(spki).map_err(|_| Error::MalformedPublicKey)?;
    info.algorithm
        .parameters_oid()
        .map(drop)
        .map_err(|_| Error::MalformedPublicKey)
}
