//! Asymmetric key pairs: RSA, ECDSA/ECDH on the NIST curves and secp256k1, SM2, Ed25519,
//! ML-DSA and ML-KEM. Generation, PKCS#8 / SubjectPublicKeyInfo encoding, signing,
//! verification, public key encryption, key agreement and key encapsulation. Bytes in, bytes out.

use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use ed25519_dalek::Signer as _;
use elliptic_curve::Generate;
use hybrid_array::Array;
use hybrid_array::typenum::Unsigned;
use ml_dsa::{MlDsa44, MlDsa65, MlDsa87};
use ml_kem::kem::{Decapsulate, Encapsulate};
use ml_kem::{Kem, MlKem512, MlKem768, MlKem1024};
use pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::{Oaep, Pkcs1v15Sign, PrivateKey as RsaPrivateKey, Pss};
use sha2::{Digest, Sha256, Sha384, Sha512};
use std::sync::OnceLock;

use super::{Error, comb, rng};

mod rsa_fast;

/// The SM2 distinguishing identifier KMS uses: the GM/T 0009-2012 default.
pub const SM2_DISTID: &str = "1234567812345678";

/// The kinds of key pair kmsd can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPairKind {
    /// RSA with a modulus of this many bits.
    Rsa(usize),
    /// NIST P-256 (secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
    /// NIST P-521 (secp521r1).
    P521,
    /// secp256k1.
    Secp256k1,
    /// SM2.
    Sm2,
    /// Ed25519.
    Ed25519,
    /// ML-DSA-44.
    MlDsa44,
    /// ML-DSA-65.
    MlDsa65,
    /// ML-DSA-87.
    MlDsa87,
    /// ML-KEM-512.
    MlKem512,
    /// ML-KEM-768.
    MlKem768,
    /// ML-KEM-1024.
    MlKem1024,
}

/// A hash function of a signature or encryption scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// SHA-1 (RSA-OAEP only).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    /// Output length in bytes.
    pub fn len(self) -> usize {
        match self {
            Hash::Sha1 => 20,
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    /// Whether the output is empty (never).
    pub fn is_empty(self) -> bool {
        false
    }

    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => <sha1::Sha1 as Digest>::digest(message).to_vec(),
            Hash::Sha256 => Sha256::digest(message).to_vec(),
            Hash::Sha384 => Sha384::digest(message).to_vec(),
            Hash::Sha512 => Sha512::digest(message).to_vec(),
        }
    }
}

/// A signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RSASSA-PSS, salt length equal to the hash length.
    RsaPss(Hash),
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1(Hash),
    /// ECDSA with a DER-encoded signature.
    Ecdsa(Hash),
    /// SM2 digital signature with the default distinguishing id, DER-encoded.
    Sm2Dsa,
    /// Pure Ed25519.
    Ed25519,
    /// Ed25519ph (HashEdDSA with SHA-512).
    Ed25519Ph,
    /// ML-DSA with an empty context.
    MlDsa,
}

/// What is being signed.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// The message itself; the scheme hashes it.
    Raw(&'a [u8]),
    /// A digest computed by the caller with the scheme's hash (for SM2DSA: SM3(Z ‖ M)).
    Digest(&'a [u8]),
    /// ML-DSA's 64-byte μ (FIPS 204, section 6.2).
    ExternalMu(&'a [u8]),
}

/// An ECDSA key on a NIST curve, with the table that speeds up verification by its public key
/// (built on its first verification, some tens of KB).
pub struct NistKey<C: comb::Generator + ecdsa::EcdsaCurve> {
    signing: ecdsa::SigningKey<C>,
    table: OnceLock<comb::Table<C>>,
}

macro_rules! nist_key_verify {
    ($curve:ty) => {
        impl NistKey<$curve> {
            /// Verifies a DER signature over `digest`, accepting both values of s as other
            /// ECDSA implementations do (signers like OpenSSL do not normalise it).
            fn verify(&self, digest: &[u8], signature: &[u8]) -> bool {
                let Ok(parsed) = ecdsa::Signature::<$curve>::from_der(signature) else {
                    return false;
                };
                let table = self
                    .table
                    .get_or_init(|| comb::Table::for_key(self.signing.verifying_key().as_affine()));
                comb::verify_prehash(table, digest, &parsed)
            }

            /// Signs `digest` (DER), with a random nonce; `None` for a digest of another length
            /// than the curve's field.
            fn sign(&self, digest: &[u8]) -> Option<Vec<u8>> {
                comb::sign_prehash(self.signing.as_nonzero_scalar(), digest)
                    .map(|signature| signature.to_der().as_bytes().to_vec())
            }
        }
    };
}

nist_key_verify!(p256::NistP256);
nist_key_verify!(p384::NistP384);

impl<C: comb::Generator + ecdsa::EcdsaCurve> From<ecdsa::SigningKey<C>> for NistKey<C> {
    fn from(signing: ecdsa::SigningKey<C>) -> NistKey<C> {
        NistKey {
            signing,
            table: OnceLock::new(),
        }
    }
}

impl<C: comb::Generator + ecdsa::EcdsaCurve> std::ops::Deref for NistKey<C> {
    type Target = ecdsa::SigningKey<C>;

    fn deref(&self) -> &ecdsa::SigningKey<C> {
        &self.signing
    }
}

/// An RSA private key, with the precomputed context of the fast RSA-OAEP path (see
/// `rsa_fast`), built on its first OAEP encryption or decryption (about a millisecond for
/// RSA_2048, a few kilobytes). Everything else uses the `rsa` crate's key it dereferences to.
pub struct RsaKey {
    key: RsaPrivateKey,
    fast: OnceLock<Option<rsa_fast::FastRsa>>,
}

impl RsaKey {
    /// The fast RSA-OAEP context, `None` for keys it does not handle (other sizes than 2048,
    /// 3072 and 4096 bits, multi-prime keys), which keep the `rsa` crate's code.
    fn fast(&self) -> Option<&rsa_fast::FastRsa> {
        self.fast
            .get_or_init(|| rsa_fast::FastRsa::new(&self.key))
            .as_ref()
    }
}

impl From<RsaPrivateKey> for RsaKey {
    fn from(key: RsaPrivateKey) -> RsaKey {
        RsaKey {
            key,
            fast: OnceLock::new(),
        }
    }
}

impl std::ops::Deref for RsaKey {
    type Target = RsaPrivateKey;

    fn deref(&self) -> &RsaPrivateKey {
        &self.key
    }
}

/// A private key of an asymmetric key pair.
pub enum AsymmetricKey {
    /// RSA.
    Rsa(Box<RsaKey>),
    /// NIST P-256.
    P256(NistKey<p256::NistP256>),
    /// NIST P-384.
    P384(NistKey<p384::NistP384>),
    /// NIST P-521.
    P521(p521::ecdsa::SigningKey),
    /// secp256k1.
    Secp256k1(k256::ecdsa::SigningKey),
    /// SM2.
    Sm2(sm2::SecretKey),
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
    /// ML-DSA-44, kept as its 32-byte seed and the expanded key.
    MlDsa44(Box<ml_dsa::SigningKey<MlDsa44>>),
    /// ML-DSA-65.
    MlDsa65(Box<ml_dsa::SigningKey<MlDsa65>>),
    /// ML-DSA-87.
    MlDsa87(Box<ml_dsa::SigningKey<MlDsa87>>),
    /// ML-KEM-512, kept as the decapsulation key derived from its 64-byte seed (d ‖ z).
    MlKem512(Box<ml_kem::DecapsulationKey<MlKem512>>),
    /// ML-KEM-768.
    MlKem768(Box<ml_kem::DecapsulationKey<MlKem768>>),
    /// ML-KEM-1024.
    MlKem1024(Box<ml_kem::DecapsulationKey<MlKem1024>>),
}

/// The ciphertext and shared secret of one ML-KEM encapsulation.
pub struct Encapsulation {
    /// The ciphertext, which only the private key decapsulates.
    pub ciphertext: Vec<u8>,
    /// The 32-byte shared secret.
    pub shared_secret: Vec<u8>,
}

impl std::fmt::Debug for Encapsulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Encapsulation(<{} bytes>, <redacted>)",
            self.ciphertext.len()
        )
    }
}

impl std::fmt::Debug for AsymmetricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AsymmetricKey({:?}, <redacted>)", self.kind())
    }
}

/// Runs the same code for each ML-KEM parameter set, with `$key` bound to its decapsulation key.
macro_rules! on_ml_kem {
    ($self:expr, $key:ident => $body:expr, else $other:expr) => {
        match $self {
            AsymmetricKey::MlKem512($key) => $body,
            AsymmetricKey::MlKem768($key) => $body,
            AsymmetricKey::MlKem1024($key) => $body,
            _ => $other,
        }
    };
}

/// Runs the same code for each ECDSA curve, with `$key` bound to its signing key.
macro_rules! on_ecdsa_curve {
    ($self:expr, $key:ident => $body:expr, else $other:expr) => {
        match $self {
            AsymmetricKey::P256($key) => $body,
            AsymmetricKey::P384($key) => $body,
            AsymmetricKey::P521($key) => $body,
            AsymmetricKey::Secp256k1($key) => $body,
            _ => $other,
        }
    };
}

impl AsymmetricKey {
    /// Generates a fresh key pair. RSA takes from 100 ms (2048 bits) to seconds (4096 bits):
    /// call it off the async runtime.
    pub fn generate(kind: KeyPairKind) -> Result<AsymmetricKey, Error> {
        let mut rng = rng();
        Ok(match kind {
            KeyPairKind::Rsa(bits) => AsymmetricKey::Rsa(Box::new(
                RsaPrivateKey::new(&mut rng, bits)
                    .map_err(|_| Error::KeyGeneration)?
                    .into(),
            )),
            KeyPairKind::P256 => {
                AsymmetricKey::P256(p256::ecdsa::SigningKey::generate_from_rng(&mut rng).into())
            }
            KeyPairKind::P384 => {
                AsymmetricKey::P384(p384::ecdsa::SigningKey::generate_from_rng(&mut rng).into())
            }
            KeyPairKind::P521 => {
                AsymmetricKey::P521(p521::ecdsa::SigningKey::generate_from_rng(&mut rng))
            }
            KeyPairKind::Secp256k1 => {
                AsymmetricKey::Secp256k1(k256::ecdsa::SigningKey::generate_from_rng(&mut rng))
            }
            KeyPairKind::Sm2 => AsymmetricKey::Sm2(sm2::SecretKey::generate_from_rng(&mut rng)),
            KeyPairKind::Ed25519 => {
                AsymmetricKey::Ed25519(ed25519_dalek::SigningKey::generate(&mut rng))
            }
            KeyPairKind::MlDsa44 | KeyPairKind::MlDsa65 | KeyPairKind::MlDsa87 => {
                AsymmetricKey::from_ml_dsa_seed(kind, &super::random_array::<32>())?
            }
            KeyPairKind::MlKem512 | KeyPairKind::MlKem768 | KeyPairKind::MlKem1024 => {
                AsymmetricKey::from_ml_kem_seed(kind, &super::random_array::<64>())?
            }
        })
    }

    /// What kind of key pair this is.
    pub fn kind(&self) -> KeyPairKind {
        match self {
            AsymmetricKey::Rsa(key) => {
                KeyPairKind::Rsa(rsa::traits::PublicKeyParts::n_bits_precision(&key.key) as usize)
            }
            AsymmetricKey::P256(_) => KeyPairKind::P256,
            AsymmetricKey::P384(_) => KeyPairKind::P384,
            AsymmetricKey::P521(_) => KeyPairKind::P521,
            AsymmetricKey::Secp256k1(_) => KeyPairKind::Secp256k1,
            AsymmetricKey::Sm2(_) => KeyPairKind::Sm2,
            AsymmetricKey::Ed25519(_) => KeyPairKind::Ed25519,
            AsymmetricKey::MlDsa44(_) => KeyPairKind::MlDsa44,
            AsymmetricKey::MlDsa65(_) => KeyPairKind::MlDsa65,
            AsymmetricKey::MlDsa87(_) => KeyPairKind::MlDsa87,
            AsymmetricKey::MlKem512(_) => KeyPairKind::MlKem512,
            AsymmetricKey::MlKem768(_) => KeyPairKind::MlKem768,
            AsymmetricKey::MlKem1024(_) => KeyPairKind::MlKem1024,
        }
    }

    fn from_ml_dsa_seed(kind: KeyPairKind, seed: &[u8]) -> Result<AsymmetricKey, Error> {
        let seed = Array::try_from(seed).map_err(|_| Error::MalformedKey)?;
        Ok(match kind {
            KeyPairKind::MlDsa44 => {
                AsymmetricKey::MlDsa44(Box::new(ml_dsa::SigningKey::from_seed(&seed)))
            }
            KeyPairKind::MlDsa65 => {
                AsymmetricKey::MlDsa65(Box::new(ml_dsa::SigningKey::from_seed(&seed)))
            }
            KeyPairKind::MlDsa87 => {
                AsymmetricKey::MlDsa87(Box::new(ml_dsa::SigningKey::from_seed(&seed)))
            }
            _ => return Err(Error::MalformedKey),
        })
    }

    /// An ML-KEM key from its 64-byte seed d ‖ z (FIPS 203, ML-KEM.KeyGen_internal).
    fn from_ml_kem_seed(kind: KeyPairKind, seed: &[u8]) -> Result<AsymmetricKey, Error> {
        let seed = ml_kem::Seed::try_from(seed).map_err(|_| Error::MalformedKey)?;
        Ok(match kind {
            KeyPairKind::MlKem512 => {
                AsymmetricKey::MlKem512(Box::new(ml_kem::DecapsulationKey::from_seed(seed)))
            }
            KeyPairKind::MlKem768 => {
                AsymmetricKey::MlKem768(Box::new(ml_kem::DecapsulationKey::from_seed(seed)))
            }
            KeyPairKind::MlKem1024 => {
                AsymmetricKey::MlKem1024(Box::new(ml_kem::DecapsulationKey::from_seed(seed)))
            }
            _ => return Err(Error::MalformedKey),
        })
    }

    /// The private key as stored: PKCS#8 DER, except ML-DSA and ML-KEM, which are their 32- and
    /// 64-byte seeds.
    pub fn to_private_bytes(&self) -> Result<Vec<u8>, Error> {
        let der = match self {
            AsymmetricKey::Rsa(key) => key.to_pkcs8_der(),
            AsymmetricKey::P256(key) => key.to_pkcs8_der(),
            AsymmetricKey::P384(key) => key.to_pkcs8_der(),
            AsymmetricKey::P521(key) => key.to_pkcs8_der(),
            AsymmetricKey::Secp256k1(key) => key.to_pkcs8_der(),
            AsymmetricKey::Sm2(key) => key.to_pkcs8_der(),
            AsymmetricKey::Ed25519(key) => return Ok(ed25519_pkcs8_v1(key)),
            AsymmetricKey::MlDsa44(key) => return Ok(key.as_seed().to_vec()),
            AsymmetricKey::MlDsa65(key) => return Ok(key.as_seed().to_vec()),
            AsymmetricKey::MlDsa87(key) => return Ok(key.as_seed().to_vec()),
            // kmsd builds ML-KEM keys from seeds only, so `to_seed` always has one.
            AsymmetricKey::MlKem512(key) => return ml_kem_seed(key.to_seed()),
            AsymmetricKey::MlKem768(key) => return ml_kem_seed(key.to_seed()),
            AsymmetricKey::MlKem1024(key) => return ml_kem_seed(key.to_seed()),
        };
        der.map(|doc| doc.as_bytes().to_vec())
            .map_err(|_| Error::MalformedKey)
    }

    /// Reads what [`AsymmetricKey::to_private_bytes`] wrote, or any PKCS#8 key of `kind`.
    pub fn from_private_bytes(kind: KeyPairKind, bytes: &[u8]) -> Result<AsymmetricKey, Error> {
        let bad = |_| Error::MalformedKey;
        let key = match kind {
            KeyPairKind::Rsa(_) => AsymmetricKey::Rsa(Box::new(
                RsaPrivateKey::from_pkcs8_der(bytes).map_err(bad)?.into(),
            )),
            KeyPairKind::P256 => AsymmetricKey::P256(
                p256::ecdsa::SigningKey::from_pkcs8_der(bytes)
                    .map_err(bad)?
                    .into(),
            ),
            KeyPairKind::P384 => AsymmetricKey::P384(
                p384::ecdsa::SigningKey::from_pkcs8_der(bytes)
                    .map_err(bad)?
                    .into(),
            ),
            KeyPairKind::P521 => {
                AsymmetricKey::P521(p521::ecdsa::SigningKey::from_pkcs8_der(bytes).map_err(bad)?)
            }
            KeyPairKind::Secp256k1 => AsymmetricKey::Secp256k1(
                k256::ecdsa::SigningKey::from_pkcs8_der(bytes).map_err(bad)?,
            ),
            KeyPairKind::Sm2 => {
                AsymmetricKey::Sm2(sm2::SecretKey::from_pkcs8_der(bytes).map_err(bad)?)
            }
            KeyPairKind::Ed25519 => AsymmetricKey::Ed25519(
                ed25519_dalek::SigningKey::from_pkcs8_der(bytes).map_err(bad)?,
            ),
            KeyPairKind::MlDsa44 | KeyPairKind::MlDsa65 | KeyPairKind::MlDsa87 => {
                return AsymmetricKey::from_ml_dsa_seed(kind, bytes);
            }
            KeyPairKind::MlKem512 | KeyPairKind::MlKem768 | KeyPairKind::MlKem1024 => {
                return AsymmetricKey::from_ml_kem_seed(kind, bytes);
            }
        };
        if key.kind() != kind {
            return Err(Error::MalformedKey);
        }
        Ok(key)
    }

    /// The private key as PKCS#8 DER (what GenerateDataKeyPair returns). ML-KEM keys are in the
    /// seed-only form (`[0] IMPLICIT OCTET STRING` of d ‖ z, 86 bytes for every parameter set),
    /// as AWS documents for ML-KEM data key pairs.
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, Error> {
        let der = match self {
            AsymmetricKey::MlDsa44(key) => key.to_pkcs8_der(),
            AsymmetricKey::MlDsa65(key) => key.to_pkcs8_der(),
            AsymmetricKey::MlDsa87(key) => key.to_pkcs8_der(),
            AsymmetricKey::MlKem512(key) => key.to_pkcs8_der(),
            AsymmetricKey::MlKem768(key) => key.to_pkcs8_der(),
            AsymmetricKey::MlKem1024(key) => key.to_pkcs8_der(),
            _ => return self.to_private_bytes(),
        };
        der.map(|doc| doc.as_bytes().to_vec())
            .map_err(|_| Error::MalformedKey)
    }

    /// The public key as DER SubjectPublicKeyInfo (what GetPublicKey returns).
    pub fn public_key_der(&self) -> Result<Vec<u8>, Error> {
        let der = match self {
            AsymmetricKey::Rsa(key) => key.to_public_key().to_public_key_der(),
            AsymmetricKey::P256(key) => key.verifying_key().to_public_key_der(),
            AsymmetricKey::P384(key) => key.verifying_key().to_public_key_der(),
            AsymmetricKey::P521(key) => key.verifying_key().to_public_key_der(),
            AsymmetricKey::Secp256k1(key) => key.verifying_key().to_public_key_der(),
            AsymmetricKey::Sm2(key) => key.public_key().to_public_key_der(),
            AsymmetricKey::Ed25519(key) => key.verifying_key().to_public_key_der(),
            AsymmetricKey::MlDsa44(key) => {
                ml_dsa::signature::Keypair::verifying_key(key.as_ref()).to_public_key_der()
            }
            AsymmetricKey::MlDsa65(key) => {
                ml_dsa::signature::Keypair::verifying_key(key.as_ref()).to_public_key_der()
            }
            AsymmetricKey::MlDsa87(key) => {
                ml_dsa::signature::Keypair::verifying_key(key.as_ref()).to_public_key_der()
            }
            AsymmetricKey::MlKem512(key) => key.encapsulation_key().to_public_key_der(),
            AsymmetricKey::MlKem768(key) => key.encapsulation_key().to_public_key_der(),
            AsymmetricKey::MlKem1024(key) => key.encapsulation_key().to_public_key_der(),
        };
        der.map(|doc| doc.as_bytes().to_vec())
            .map_err(|_| Error::MalformedKey)
    }

    /// Signs `message`. The caller has checked that `scheme` suits the key and that a digest
    /// has the scheme's length.
    pub fn sign(&self, scheme: Scheme, message: Message<'_>) -> Result<Vec<u8>, Error> {
        match (self, scheme) {
            (AsymmetricKey::Rsa(key), Scheme::RsaPss(hash)) => {
                let digest = prehash(hash, message)?;
                let mut rng = rng();
                match hash {
                    Hash::Sha256 => key.sign_with_rng(&mut rng, Pss::<Sha256>::new(), &digest),
                    Hash::Sha384 => key.sign_with_rng(&mut rng, Pss::<Sha384>::new(), &digest),
                    Hash::Sha512 => key.sign_with_rng(&mut rng, Pss::<Sha512>::new(), &digest),
                    Hash::Sha1 => return Err(Error::WrongKeyType),
                }
                .map_err(|_| Error::Signing)
            }
            (AsymmetricKey::Rsa(key), Scheme::RsaPkcs1(hash)) => {
                let digest = prehash(hash, message)?;
                key.sign(pkcs1(hash)?, &digest).map_err(|_| Error::Signing)
            }
            (AsymmetricKey::Sm2(key), Scheme::Sm2Dsa) => {
                let signer =
                    sm2::dsa::SigningKey::new(SM2_DISTID, key).map_err(|_| Error::Signing)?;
                let signature: sm2::dsa::Signature = match message {
                    Message::Raw(m) => ecdsa::signature::Signer::try_sign(&signer, m),
                    Message::Digest(d) => signer.sign_prehash(d),
                    Message::ExternalMu(_) => return Err(Error::UnsupportedMessageType),
                }
                .map_err(|_| Error::Signing)?;
                Ok(signature.to_der().as_bytes().to_vec())
            }
            (AsymmetricKey::Ed25519(key), Scheme::Ed25519) => match message {
                Message::Raw(m) => Ok(key.sign(m).to_bytes().to_vec()),
                _ => Err(Error::UnsupportedMessageType),
            },
            (AsymmetricKey::Ed25519(key), Scheme::Ed25519Ph) => {
                let input = match message {
                    Message::Raw(m) | Message::Digest(m) => m,
                    Message::ExternalMu(_) => return Err(Error::UnsupportedMessageType),
                };
                // Ed25519ph always hashes its input with SHA-512, also in DIGEST mode, as KMS does.
                key.sign_prehashed(Sha512::new().chain_update(input), None)
                    .map(|s| s.to_bytes().to_vec())
                    .map_err(|_| Error::Signing)
            }
            (AsymmetricKey::MlDsa44(key), Scheme::MlDsa) => {
                ml_dsa_sign(key.expanded_key(), message)
            }
            (AsymmetricKey::MlDsa65(key), Scheme::MlDsa) => {
                ml_dsa_sign(key.expanded_key(), message)
            }
            (AsymmetricKey::MlDsa87(key), Scheme::MlDsa) => {
                ml_dsa_sign(key.expanded_key(), message)
            }
            (AsymmetricKey::P256(key), Scheme::Ecdsa(hash))
                if let Some(signature) = key.sign(&prehash(hash, message)?) =>
            {
                Ok(signature)
            }
            (AsymmetricKey::P384(key), Scheme::Ecdsa(hash))
                if let Some(signature) = key.sign(&prehash(hash, message)?) =>
            {
                Ok(signature)
            }
            (_, Scheme::Ecdsa(hash)) => {
                let digest = prehash(hash, message)?;
                on_ecdsa_curve!(self, key => {
                    let signature: ecdsa::der::Signature<_> =
                        key.sign_prehash(&digest).map_err(|_| Error::Signing)?;
                    Ok(signature.as_bytes().to_vec())
                }, else Err(Error::WrongKeyType))
            }
            _ => Err(Error::WrongKeyType),
        }
    }

    /// Verifies `signature` over `message`. `Ok(false)` for a signature that does not verify,
    /// including one that is not even well-formed.
    pub fn verify(
        &self,
        scheme: Scheme,
        message: Message<'_>,
        signature: &[u8],
    ) -> Result<bool, Error> {
        match (self, scheme) {
            (AsymmetricKey::Rsa(key), Scheme::RsaPss(hash)) => {
                let digest = prehash(hash, message)?;
                let public = key.to_public_key();
                Ok(match hash {
                    Hash::Sha256 => public.verify(Pss::<Sha256>::new(), &digest, signature),
                    Hash::Sha384 => public.verify(Pss::<Sha384>::new(), &digest, signature),
                    Hash::Sha512 => public.verify(Pss::<Sha512>::new(), &digest, signature),
                    Hash::Sha1 => return Err(Error::WrongKeyType),
                }
                .is_ok())
            }
            (AsymmetricKey::Rsa(key), Scheme::RsaPkcs1(hash)) => {
                let digest = prehash(hash, message)?;
                Ok(key
                    .to_public_key()
                    .verify(pkcs1(hash)?, &digest, signature)
                    .is_ok())
            }
            (AsymmetricKey::Sm2(key), Scheme::Sm2Dsa) => {
                let Ok(signature) = sm2::dsa::Signature::from_der(signature) else {
                    return Ok(false);
                };
                let verifier = sm2::dsa::VerifyingKey::new(SM2_DISTID, key.public_key())
                    .map_err(|_| Error::WrongKeyType)?;
                Ok(match message {
                    Message::Raw(m) => {
                        ecdsa::signature::Verifier::verify(&verifier, m, &signature).is_ok()
                    }
                    Message::Digest(d) => verifier.verify_prehash(d, &signature).is_ok(),
                    Message::ExternalMu(_) => return Err(Error::UnsupportedMessageType),
                })
            }
            (AsymmetricKey::Ed25519(key), Scheme::Ed25519) => {
                let Message::Raw(m) = message else {
                    return Err(Error::UnsupportedMessageType);
                };
                let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
                    return Ok(false);
                };
                Ok(key.verifying_key().verify_strict(m, &signature).is_ok())
            }
            (AsymmetricKey::Ed25519(key), Scheme::Ed25519Ph) => {
                let input = match message {
                    Message::Raw(m) | Message::Digest(m) => m,
                    Message::ExternalMu(_) => return Err(Error::UnsupportedMessageType),
                };
                let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
                    return Ok(false);
                };
                Ok(key
                    .verifying_key()
                    .verify_prehashed_strict(Sha512::new().chain_update(input), None, &signature)
                    .is_ok())
            }
            (AsymmetricKey::MlDsa44(key), Scheme::MlDsa) => ml_dsa_verify(
                &ml_dsa::signature::Keypair::verifying_key(key.as_ref()),
                message,
                signature,
            ),
            (AsymmetricKey::MlDsa65(key), Scheme::MlDsa) => ml_dsa_verify(
                &ml_dsa::signature::Keypair::verifying_key(key.as_ref()),
                message,
                signature,
            ),
            (AsymmetricKey::MlDsa87(key), Scheme::MlDsa) => ml_dsa_verify(
                &ml_dsa::signature::Keypair::verifying_key(key.as_ref()),
                message,
                signature,
            ),
            (AsymmetricKey::P256(key), Scheme::Ecdsa(hash)) => {
                Ok(key.verify(&prehash(hash, message)?, signature))
            }
            (AsymmetricKey::P384(key), Scheme::Ecdsa(hash)) => {
                Ok(key.verify(&prehash(hash, message)?, signature))
            }
            (_, Scheme::Ecdsa(hash)) => {
                let digest = prehash(hash, message)?;
                on_ecdsa_curve!(self, key => {
                    let Ok(parsed) = ecdsa::Signature::from_der(signature) else {
                        return Ok(false);
                    };
                    // Accept both values of s, as other ECDSA implementations do; signers like
                    // OpenSSL do not normalise it.
                    Ok(key.verifying_key().verify_prehash(&digest, &parsed.normalize_s()).is_ok())
                }, else Err(Error::WrongKeyType))
            }
            _ => Err(Error::WrongKeyType),
        }
    }

    /// RSA-OAEP encryption with the public key, as anyone holding it could do offline. The
    /// label is empty and MGF1 uses the same hash, as KMS's RSAES_OAEP_SHA_1 and
    /// RSAES_OAEP_SHA_256 do.
    pub fn encrypt_oaep(&self, hash: Hash, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let AsymmetricKey::Rsa(key) = self else {
            return Err(Error::WrongKeyType);
        };
        if let Some(fast) = key.fast() {
            return match hash {
                Hash::Sha1 => fast.encrypt::<sha1::Sha1>(plaintext),
                Hash::Sha256 => fast.encrypt::<Sha256>(plaintext),
                _ => return Err(Error::WrongKeyType),
            }
            .ok_or(Error::PlaintextTooLarge);
        }
        let public = key.to_public_key();
        match hash {
            Hash::Sha1 => public.encrypt(&mut rng(), Oaep::<sha1::Sha1>::new(), plaintext),
            Hash::Sha256 => public.encrypt(&mut rng(), Oaep::<Sha256>::new(), plaintext),
            _ => return Err(Error::WrongKeyType),
        }
        .map_err(|_| Error::PlaintextTooLarge)
    }

    /// RSA-OAEP decryption. Every invalid ciphertext fails alike, with
    /// [`Error::Authentication`].
    pub fn decrypt_oaep(&self, hash: Hash, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        let AsymmetricKey::Rsa(key) = self else {
            return Err(Error::WrongKeyType);
        };
        if let Some(fast) = key.fast() {
            return match hash {
                Hash::Sha1 => fast.decrypt::<sha1::Sha1>(ciphertext),
                Hash::Sha256 => fast.decrypt::<Sha256>(ciphertext),
                _ => return Err(Error::WrongKeyType),
            }
            .ok_or(Error::Authentication);
        }
        match hash {
            Hash::Sha1 => key.decrypt(Oaep::<sha1::Sha1>::new(), ciphertext),
            Hash::Sha256 => key.decrypt(Oaep::<Sha256>::new(), ciphertext),
            _ => return Err(Error::WrongKeyType),
        }
        .map_err(|_| Error::Authentication)
    }

    /// The largest plaintext RSA-OAEP with `hash` can encrypt under this key.
    pub fn oaep_max_plaintext(&self, hash: Hash) -> Option<usize> {
        let AsymmetricKey::Rsa(key) = self else {
            return None;
        };
        let modulus_bytes = rsa::traits::PublicKeyParts::size(&key.key);
        Some(modulus_bytes - 2 * hash.len() - 2)
    }

    /// SM2 public key encryption (GB/T 32918.4), ciphertext in ASN.1 DER form.
    pub fn encrypt_sm2(&self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let AsymmetricKey::Sm2(key) = self else {
            return Err(Error::WrongKeyType);
        };
        sm2::pke::EncryptingKey::new(key.public_key())
            .encrypt_der(&mut rng(), plaintext)
            .map_err(|_| Error::PlaintextTooLarge)
    }

    /// SM2 public key decryption of what [`AsymmetricKey::encrypt_sm2`] produces.
    pub fn decrypt_sm2(&self, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        let AsymmetricKey::Sm2(key) = self else {
            return Err(Error::WrongKeyType);
        };
        sm2::pke::DecryptingKey::new(key.clone())
            .decrypt_der(ciphertext)
            .map_err(|_| Error::Authentication)
    }

    /// ML-KEM encapsulation with the public (encapsulation) key, as anyone holding it could do
    /// offline: a fresh 32-byte shared secret and the ciphertext that carries it.
    pub fn encapsulate(&self) -> Result<Encapsulation, Error> {
        on_ml_kem!(self, key => {
            let (ciphertext, shared_secret) =
                key.encapsulation_key().encapsulate_with_rng(&mut rng());
            Ok(Encapsulation {
                ciphertext: ciphertext.to_vec(),
                shared_secret: shared_secret.to_vec(),
            })
        }, else Err(Error::WrongKeyType))
    }

    /// The ML-KEM ciphertext length of this key (768, 1088 or 1568 bytes), `None` for other
    /// kinds of key.
    pub fn ml_kem_ciphertext_len(&self) -> Option<usize> {
        match self {
            AsymmetricKey::MlKem512(_) => Some(<MlKem512 as Kem>::CiphertextSize::USIZE),
            AsymmetricKey::MlKem768(_) => Some(<MlKem768 as Kem>::CiphertextSize::USIZE),
            AsymmetricKey::MlKem1024(_) => Some(<MlKem1024 as Kem>::CiphertextSize::USIZE),
            _ => None,
        }
    }

    /// ML-KEM decapsulation. Only a ciphertext of the wrong length fails: any other ciphertext,
    /// even one made for another key or altered, yields a pseudo-random secret (FIPS 203
    /// implicit rejection).
    pub fn decapsulate(&self, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        on_ml_kem!(self, key => {
            let ciphertext = Array::try_from(ciphertext).map_err(|_| Error::CiphertextLength)?;
            Ok(key.decapsulate(&ciphertext).to_vec())
        }, else Err(Error::WrongKeyType))
    }

    /// ECDH with a peer's DER SubjectPublicKeyInfo on the same curve: the shared secret is the
    /// x-coordinate of the shared point, as KMS returns it.
    pub fn derive_shared_secret(&self, peer_spki: &[u8]) -> Result<Vec<u8>, Error> {
        let bad = |_| Error::MalformedPublicKey;
        Ok(match self {
            AsymmetricKey::P256(key) => {
                let peer = p256::PublicKey::from_public_key_der(peer_spki).map_err(bad)?;
                elliptic_curve::ecdh::diffie_hellman(key.as_nonzero_scalar(), peer.as_affine())
                    .raw_secret_bytes()
                    .to_vec()
            }
            AsymmetricKey::P384(key) => {
                let peer = p384::PublicKey::from_public_key_der(peer_spki).map_err(bad)?;
                elliptic_curve::ecdh::diffie_hellman(key.as_nonzero_scalar(), peer.as_affine())
                    .raw_secret_bytes()
                    .to_vec()
            }
            AsymmetricKey::P521(key) => {
                let peer = p521::PublicKey::from_public_key_der(peer_spki).map_err(bad)?;
                elliptic_curve::ecdh::diffie_hellman(key.as_nonzero_scalar(), peer.as_affine())
                    .raw_secret_bytes()
                    .to_vec()
            }
            AsymmetricKey::Sm2(key) => {
                let peer = sm2::PublicKey::from_public_key_der(peer_spki).map_err(bad)?;
                elliptic_curve::ecdh::diffie_hellman(key.to_nonzero_scalar(), peer.as_affine())
                    .raw_secret_bytes()
                    .to_vec()
            }
            _ => return Err(Error::WrongKeyType),
        })
    }
}

/// The RFC 8410 PKCS#8 v1 encoding of an Ed25519 private key (48 bytes, no public key), which
/// every library reads; ed25519-dalek writes the v2 form that some (Python's `cryptography`)
/// refuse.
fn ed25519_pkcs8_v1(key: &ed25519_dalek::SigningKey) -> Vec<u8> {
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut der = PREFIX.to_vec();
    der.extend_from_slice(&key.to_bytes());
    der
}

fn ml_kem_seed(seed: Option<ml_kem::Seed>) -> Result<Vec<u8>, Error> {
    seed.map(|s| s.to_vec()).ok_or(Error::MalformedKey)
}

fn prehash(hash: Hash, message: Message<'_>) -> Result<Vec<u8>, Error> {
    match message {
        Message::Raw(m) => Ok(hash.digest(m)),
        Message::Digest(d) if d.len() == hash.len() => Ok(d.to_vec()),
        Message::Digest(_) => Err(Error::DigestLength),
        Message::ExternalMu(_) => Err(Error::UnsupportedMessageType),
    }
}

fn pkcs1(hash: Hash) -> Result<Pkcs1v15Sign, Error> {
    Ok(match hash {
        Hash::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
        Hash::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
        Hash::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        Hash::Sha1 => return Err(Error::WrongKeyType),
    })
}

fn ml_dsa_sign<P: ml_dsa::MlDsaParams>(
    key: &ml_dsa::ExpandedSigningKey<P>,
    message: Message<'_>,
) -> Result<Vec<u8>, Error> {
    let signature = match message {
        Message::Raw(m) => key.sign_deterministic(m, &[]).map_err(|_| Error::Signing)?,
        Message::ExternalMu(mu) => {
            let mu = Array::try_from(mu).map_err(|_| Error::DigestLength)?;
            key.sign_mu_deterministic(&mu)
        }
        Message::Digest(_) => return Err(Error::UnsupportedMessageType),
    };
    Ok(signature.encode().to_vec())
}

fn ml_dsa_verify<P: ml_dsa::MlDsaParams>(
    key: &ml_dsa::VerifyingKey<P>,
    message: Message<'_>,
    signature: &[u8],
) -> Result<bool, Error> {
    let Ok(signature) = ml_dsa::Signature::<P>::try_from(signature) else {
        return Ok(false);
    };
    Ok(match message {
        Message::Raw(m) => key.verify_with_context(m, &[], &signature),
        Message::ExternalMu(mu) => {
            let mu = Array::try_from(mu).map_err(|_| Error::DigestLength)?;
            key.verify_mu(&mu, &signature)
        }
        Message::Digest(_) => return Err(Error::UnsupportedMessageType),
    })
}

/// Reads a private key of any kind kmsd knows, detecting the kind: PEM (`PRIVATE KEY` for
/// PKCS#8, `EC PRIVATE KEY` for SEC1, `RSA PRIVATE KEY` for PKCS#1) or DER PKCS#8.
pub fn import_private_key(bytes: &[u8]) -> Result<AsymmetricKey, Error> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return import_pkcs8(bytes);
    };
    let text = text.trim();
    if !text.starts_with("-----BEGIN") {
        return Err(Error::MalformedKey);
    }
    let (label, document) =
        pkcs8::SecretDocument::from_pem(text).map_err(|_| Error::MalformedKey)?;
    let der = document.as_bytes();
    match label {
        "PRIVATE KEY" => import_pkcs8(der),
        "RSA PRIVATE KEY" => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            let key = RsaPrivateKey::from_pkcs1_der(der).map_err(|_| Error::MalformedKey)?;
            Ok(AsymmetricKey::Rsa(Box::new(key.into())))
        }
        "EC PRIVATE KEY" => {
            // SEC1 names its curve; each decoder refuses keys on other curves.
            if let Ok(key) = p256::SecretKey::from_sec1_der(der) {
                return Ok(AsymmetricKey::P256(
                    p256::ecdsa::SigningKey::from(key).into(),
                ));
            }
            if let Ok(key) = p384::SecretKey::from_sec1_der(der) {
                return Ok(AsymmetricKey::P384(
                    p384::ecdsa::SigningKey::from(key).into(),
                ));
            }
            if let Ok(key) = p521::SecretKey::from_sec1_der(der) {
                return Ok(AsymmetricKey::P521(
                    p521::ecdsa::SigningKey::from_bytes(&key.to_bytes())
                        .map_err(|_| Error::MalformedKey)?,
                ));
            }
            if let Ok(key) = k256::SecretKey::from_sec1_der(der) {
                return Ok(AsymmetricKey::Secp256k1(key.into()));
            }
            sm2::SecretKey::from_sec1_der(der)
                .map(AsymmetricKey::Sm2)
                .map_err(|_| Error::MalformedKey)
        }
        _ => Err(Error::MalformedKey),
    }
}

/// Reads DER PKCS#8 of any kind: each decoder checks the algorithm identifier.
fn import_pkcs8(der: &[u8]) -> Result<AsymmetricKey, Error> {
    if let Ok(key) = RsaPrivateKey::from_pkcs8_der(der) {
        return Ok(AsymmetricKey::Rsa(Box::new(key.into())));
    }
    let kinds = [
        KeyPairKind::P256,
        KeyPairKind::P384,
        KeyPairKind::P521,
        KeyPairKind::Secp256k1,
        KeyPairKind::Sm2,
        KeyPairKind::Ed25519,
    ];
    for kind in kinds {
        if let Ok(key) = AsymmetricKey::from_private_bytes(kind, der) {
            return Ok(key);
        }
    }
    if let Ok(key) = ml_kem::DecapsulationKey::<MlKem512>::from_pkcs8_der(der) {
        return Ok(AsymmetricKey::MlKem512(Box::new(key)));
    }
    if let Ok(key) = ml_kem::DecapsulationKey::<MlKem768>::from_pkcs8_der(der) {
        return Ok(AsymmetricKey::MlKem768(Box::new(key)));
    }
    if let Ok(key) = ml_kem::DecapsulationKey::<MlKem1024>::from_pkcs8_der(der) {
        return Ok(AsymmetricKey::MlKem1024(Box::new(key)));
    }
    if let Ok(key) = ml_dsa::SigningKey::<MlDsa44>::from_pkcs8_der(der) {
        return Ok(AsymmetricKey::MlDsa44(Box::new(key)));
    }
    if let Ok(key) = ml_dsa::SigningKey::<MlDsa65>::from_pkcs8_der(der) {
        return Ok(AsymmetricKey::MlDsa65(Box::new(key)));
    }
    ml_dsa::SigningKey::<MlDsa87>::from_pkcs8_der(der)
        .map(|key| AsymmetricKey::MlDsa87(Box::new(key)))
        .map_err(|_| Error::MalformedKey)
}

/// A private key as PEM PKCS#8 (`-----BEGIN PRIVATE KEY-----`), for export.
pub fn to_pem(key: &AsymmetricKey) -> Result<String, Error> {
    let der = key.to_pkcs8_der()?;
    pkcs8::der::pem::encode_string("PRIVATE KEY", pkcs8::der::pem::LineEnding::LF, &der)
        .map_err(|_| Error::MalformedKey)
}

#[cfg(test)]
mod tests;
