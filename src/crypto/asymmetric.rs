//! Asymmetric key pairs: RSA, ECDSA/ECDH on the NIST curves and secp256k1, SM2, Ed25519,
//! ML-DSA and ML-KEM. Generation, PKCS#8 / SubjectPublicKeyInfo encoding, signing,
//! verification, public key encryption, key agreement and key encapsulation. Bytes in, bytes out.
//!
//! RSA, ECDSA/ECDH and Ed25519 run on aws-lc-rs (`rsa.rs`, `ec.rs`, `ed25519.rs`); SM2,
//! Ed25519ph, ML-DSA and ML-KEM on RustCrypto crates, here, because aws-lc-rs has no safe API
//! for them (ML-DSA with an external μ, ML-KEM from its 64-byte seed).

mod ec;
mod ed25519;
mod rsa;

use elliptic_curve::Generate;
use hybrid_array::Array;
use hybrid_array::typenum::Unsigned;
use ml_dsa::{MlDsa44, MlDsa65, MlDsa87};
use ml_kem::kem::{Decapsulate, Encapsulate};
use ml_kem::{Kem, MlKem512, MlKem768, MlKem1024};
use pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use sm2::dsa::signature::hazmat::{PrehashSigner, PrehashVerifier};

pub use ec::{EcKey, EcPublicKey};
pub use ed25519::{Ed25519Key, Ed25519PublicKey};
pub use rsa::{RsaKey, RsaPublicKey};

use super::{Error, rng};

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

    fn algorithm(self) -> &'static aws_lc_rs::digest::Algorithm {
        match self {
            Hash::Sha1 => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha256 => &aws_lc_rs::digest::SHA256,
            Hash::Sha384 => &aws_lc_rs::digest::SHA384,
            Hash::Sha512 => &aws_lc_rs::digest::SHA512,
        }
    }
}

/// A digest the caller computed with `hash`, for aws-lc-rs's signing and verification.
fn digest(hash: Hash, bytes: &[u8]) -> Result<aws_lc_rs::digest::Digest, Error> {
    aws_lc_rs::digest::Digest::import_less_safe(bytes, hash.algorithm())
        .map_err(|_| Error::DigestLength)
}

/// A signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RSASSA-PSS, salt length equal to the hash length.
    RsaPss(Hash),
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1(Hash),
    /// ECDSA with a DER-encoded signature, with the curve's hash (SHA-256 for P-256 and
    /// secp256k1, SHA-384 for P-384, SHA-512 for P-521).
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

/// A private key of an asymmetric key pair.
pub enum AsymmetricKey {
    /// RSA.
    Rsa(Box<RsaKey>),
    /// NIST P-256.
    P256(EcKey),
    /// NIST P-384.
    P384(EcKey),
    /// NIST P-521.
    P521(EcKey),
    /// secp256k1.
    Secp256k1(EcKey),
    /// SM2.
    Sm2(sm2::SecretKey),
    /// Ed25519.
    Ed25519(Box<Ed25519Key>),
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

/// The public key of a signing or RSA key pair, read from its DER SubjectPublicKeyInfo: what
/// anyone holding GetPublicKey's answer can verify or encrypt with. ML-KEM keys have none here.
pub enum PublicKey {
    /// RSA.
    Rsa(Box<RsaPublicKey>),
    /// ECDSA on P-256, P-384, P-521 or secp256k1.
    Ecdsa(Box<EcPublicKey>),
    /// Ed25519 (and Ed25519ph).
    Ed25519(Box<Ed25519PublicKey>),
    /// SM2.
    Sm2(Box<sm2::PublicKey>),
    /// ML-DSA-44.
    MlDsa44(Box<ml_dsa::VerifyingKey<MlDsa44>>),
    /// ML-DSA-65.
    MlDsa65(Box<ml_dsa::VerifyingKey<MlDsa65>>),
    /// ML-DSA-87.
    MlDsa87(Box<ml_dsa::VerifyingKey<MlDsa87>>),
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

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            PublicKey::Rsa(_) => "Rsa",
            PublicKey::Ecdsa(_) => "Ecdsa",
            PublicKey::Ed25519(_) => "Ed25519",
            PublicKey::Sm2(_) => "Sm2",
            PublicKey::MlDsa44(_) => "MlDsa44",
            PublicKey::MlDsa65(_) => "MlDsa65",
            PublicKey::MlDsa87(_) => "MlDsa87",
        };
        write!(f, "PublicKey({kind})")
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

impl AsymmetricKey {
    /// Generates a fresh key pair. RSA takes from 100 ms (2048 bits) to seconds (4096 bits):
    /// call it off the async runtime.
    pub fn generate(kind: KeyPairKind) -> Result<AsymmetricKey, Error> {
        Ok(match kind {
            KeyPairKind::Rsa(bits) => AsymmetricKey::Rsa(Box::new(RsaKey::generate(bits)?)),
            KeyPairKind::P256 => AsymmetricKey::P256(EcKey::generate(kind)?),
            KeyPairKind::P384 => AsymmetricKey::P384(EcKey::generate(kind)?),
            KeyPairKind::P521 => AsymmetricKey::P521(EcKey::generate(kind)?),
            KeyPairKind::Secp256k1 => AsymmetricKey::Secp256k1(EcKey::generate(kind)?),
            KeyPairKind::Sm2 => AsymmetricKey::Sm2(sm2::SecretKey::generate_from_rng(&mut rng())),
            KeyPairKind::Ed25519 => AsymmetricKey::Ed25519(Box::new(Ed25519Key::generate()?)),
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
            AsymmetricKey::Rsa(key) => KeyPairKind::Rsa(key.bits()),
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

    fn from_ec(key: EcKey) -> AsymmetricKey {
        match key.kind() {
            KeyPairKind::P256 => AsymmetricKey::P256(key),
            KeyPairKind::P384 => AsymmetricKey::P384(key),
            KeyPairKind::P521 => AsymmetricKey::P521(key),
            _ => AsymmetricKey::Secp256k1(key),
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
            AsymmetricKey::Rsa(key) => return key.to_pkcs8(),
            AsymmetricKey::P256(key)
            | AsymmetricKey::P384(key)
            | AsymmetricKey::P521(key)
            | AsymmetricKey::Secp256k1(key) => return key.to_pkcs8(),
            AsymmetricKey::Ed25519(key) => return key.to_pkcs8(),
            AsymmetricKey::Sm2(key) => key.to_pkcs8_der(),
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
        let key = match kind {
            KeyPairKind::Rsa(_) => AsymmetricKey::Rsa(Box::new(RsaKey::from_pkcs8(bytes)?)),
            KeyPairKind::P256 | KeyPairKind::P384 | KeyPairKind::P521 | KeyPairKind::Secp256k1 => {
                AsymmetricKey::from_ec(EcKey::from_pkcs8(kind, bytes)?)
            }
            KeyPairKind::Sm2 => AsymmetricKey::Sm2(
                sm2::SecretKey::from_pkcs8_der(bytes).map_err(|_| Error::MalformedKey)?,
            ),
            KeyPairKind::Ed25519 => {
                AsymmetricKey::Ed25519(Box::new(Ed25519Key::from_pkcs8(bytes)?))
            }
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
            AsymmetricKey::Rsa(key) => return Ok(key.public().spki().to_vec()),
            AsymmetricKey::P256(key)
            | AsymmetricKey::P384(key)
            | AsymmetricKey::P521(key)
            | AsymmetricKey::Secp256k1(key) => return Ok(key.public().spki().to_vec()),
            AsymmetricKey::Ed25519(key) => return Ok(key.public().spki().to_vec()),
            AsymmetricKey::Sm2(key) => key.public_key().to_public_key_der(),
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
            (AsymmetricKey::Rsa(key), Scheme::RsaPss(_) | Scheme::RsaPkcs1(_)) => {
                key.sign(scheme, message)
            }
            (
                AsymmetricKey::P256(key)
                | AsymmetricKey::P384(key)
                | AsymmetricKey::P521(key)
                | AsymmetricKey::Secp256k1(key),
                Scheme::Ecdsa(hash),
            ) => key.sign(hash, message),
            (AsymmetricKey::Sm2(key), Scheme::Sm2Dsa) => {
                let signer =
                    sm2::dsa::SigningKey::new(SM2_DISTID, key).map_err(|_| Error::Signing)?;
                let signature: sm2::dsa::Signature = match message {
                    Message::Raw(m) => sm2::dsa::signature::Signer::try_sign(&signer, m),
                    Message::Digest(d) => signer.sign_prehash(d),
                    Message::ExternalMu(_) => return Err(Error::UnsupportedMessageType),
                }
                .map_err(|_| Error::Signing)?;
                Ok(signature.to_der().as_bytes().to_vec())
            }
            (AsymmetricKey::Ed25519(key), Scheme::Ed25519) => key.sign(message),
            (AsymmetricKey::Ed25519(key), Scheme::Ed25519Ph) => key.sign_prehashed(message),
            (AsymmetricKey::MlDsa44(key), Scheme::MlDsa) => {
                ml_dsa_sign(key.expanded_key(), message)
            }
            (AsymmetricKey::MlDsa65(key), Scheme::MlDsa) => {
                ml_dsa_sign(key.expanded_key(), message)
            }
            (AsymmetricKey::MlDsa87(key), Scheme::MlDsa) => {
                ml_dsa_sign(key.expanded_key(), message)
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
            (AsymmetricKey::Rsa(key), Scheme::RsaPss(_) | Scheme::RsaPkcs1(_)) => {
                key.public().verify(scheme, message, signature)
            }
            (
                AsymmetricKey::P256(key)
                | AsymmetricKey::P384(key)
                | AsymmetricKey::P521(key)
                | AsymmetricKey::Secp256k1(key),
                Scheme::Ecdsa(hash),
            ) => key.public().verify(hash, message, signature),
            (AsymmetricKey::Sm2(key), Scheme::Sm2Dsa) => {
                sm2_verify(&key.public_key(), message, signature)
            }
            (AsymmetricKey::Ed25519(key), Scheme::Ed25519) => {
                key.public().verify(message, signature)
            }
            (AsymmetricKey::Ed25519(key), Scheme::Ed25519Ph) => {
                key.public().verify_prehashed(message, signature)
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
        key.public().encrypt_oaep(hash, plaintext)
    }

    /// RSA-OAEP decryption. Every invalid ciphertext fails alike, with
    /// [`Error::Authentication`].
    pub fn decrypt_oaep(&self, hash: Hash, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
        let AsymmetricKey::Rsa(key) = self else {
            return Err(Error::WrongKeyType);
        };
        key.decrypt_oaep(hash, ciphertext)
    }

    /// The largest plaintext RSA-OAEP with `hash` can encrypt under this key.
    pub fn oaep_max_plaintext(&self, hash: Hash) -> Option<usize> {
        let AsymmetricKey::Rsa(key) = self else {
            return None;
        };
        Some(key.public().oaep_max_plaintext(hash))
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
        match self {
            AsymmetricKey::P256(key) | AsymmetricKey::P384(key) | AsymmetricKey::P521(key) => {
                key.derive_shared_secret(peer_spki)
            }
            AsymmetricKey::Sm2(key) => {
                let peer = sm2::PublicKey::from_public_key_der(peer_spki)
                    .map_err(|_| Error::MalformedPublicKey)?;
                Ok(
                    elliptic_curve::ecdh::diffie_hellman(key.to_nonzero_scalar(), peer.as_affine())
                        .raw_secret_bytes()
                        .to_vec(),
                )
            }
            _ => Err(Error::WrongKeyType),
        }
    }
}

impl PublicKey {
    /// Reads the DER SubjectPublicKeyInfo of a key pair of `kind`: RSA (2048 to 8192 bits),
    /// ECDSA, SM2, Ed25519 or ML-DSA.
    pub fn from_der(kind: KeyPairKind, spki: &[u8]) -> Result<PublicKey, Error> {
        let bad = |_| Error::MalformedPublicKey;
        let key = match kind {
            KeyPairKind::Rsa(bits) => {
                let key = RsaPublicKey::from_der(spki)?;
                if key.bits() != bits {
                    return Err(Error::MalformedPublicKey);
                }
                PublicKey::Rsa(Box::new(key))
            }
            KeyPairKind::P256 | KeyPairKind::P384 | KeyPairKind::P521 | KeyPairKind::Secp256k1 => {
                PublicKey::Ecdsa(Box::new(EcPublicKey::from_der(kind, spki)?))
            }
            KeyPairKind::Ed25519 => PublicKey::Ed25519(Box::new(Ed25519PublicKey::from_der(spki)?)),
            KeyPairKind::Sm2 => PublicKey::Sm2(Box::new(
                sm2::PublicKey::from_public_key_der(spki).map_err(bad)?,
            )),
            KeyPairKind::MlDsa44 => PublicKey::MlDsa44(Box::new(
                ml_dsa::VerifyingKey::from_public_key_der(spki).map_err(bad)?,
            )),
            KeyPairKind::MlDsa65 => PublicKey::MlDsa65(Box::new(
                ml_dsa::VerifyingKey::from_public_key_der(spki).map_err(bad)?,
            )),
            KeyPairKind::MlDsa87 => PublicKey::MlDsa87(Box::new(
                ml_dsa::VerifyingKey::from_public_key_der(spki).map_err(bad)?,
            )),
            KeyPairKind::MlKem512 | KeyPairKind::MlKem768 | KeyPairKind::MlKem1024 => {
                return Err(Error::WrongKeyType);
            }
        };
        Ok(key)
    }

    /// Verifies `signature` over `message`, like [`AsymmetricKey::verify`].
    pub fn verify(
        &self,
        scheme: Scheme,
        message: Message<'_>,
        signature: &[u8],
    ) -> Result<bool, Error> {
        match (self, scheme) {
            (PublicKey::Rsa(key), Scheme::RsaPss(_) | Scheme::RsaPkcs1(_)) => {
                key.verify(scheme, message, signature)
            }
            (PublicKey::Ecdsa(key), Scheme::Ecdsa(hash)) => key.verify(hash, message, signature),
            (PublicKey::Ed25519(key), Scheme::Ed25519) => key.verify(message, signature),
            (PublicKey::Ed25519(key), Scheme::Ed25519Ph) => {
                key.verify_prehashed(message, signature)
            }
            (PublicKey::Sm2(key), Scheme::Sm2Dsa) => sm2_verify(key, message, signature),
            (PublicKey::MlDsa44(key), Scheme::MlDsa) => ml_dsa_verify(key, message, signature),
            (PublicKey::MlDsa65(key), Scheme::MlDsa) => ml_dsa_verify(key, message, signature),
            (PublicKey::MlDsa87(key), Scheme::MlDsa) => ml_dsa_verify(key, message, signature),
            _ => Err(Error::WrongKeyType),
        }
    }

    /// RSA-OAEP encryption, like [`AsymmetricKey::encrypt_oaep`].
    pub fn encrypt_oaep(&self, hash: Hash, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let PublicKey::Rsa(key) = self else {
            return Err(Error::WrongKeyType);
        };
        key.encrypt_oaep(hash, plaintext)
    }
}

fn ml_kem_seed(seed: Option<ml_kem::Seed>) -> Result<Vec<u8>, Error> {
    seed.map(|s| s.to_vec()).ok_or(Error::MalformedKey)
}

fn sm2_verify(
    public: &sm2::PublicKey,
    message: Message<'_>,
    signature: &[u8],
) -> Result<bool, Error> {
    let Ok(signature) = sm2::dsa::Signature::from_der(signature) else {
        return Ok(false);
    };
    let verifier =
        sm2::dsa::VerifyingKey::new(SM2_DISTID, *public).map_err(|_| Error::WrongKeyType)?;
    Ok(match message {
        Message::Raw(m) => sm2::dsa::signature::Verifier::verify(&verifier, m, &signature).is_ok(),
        Message::Digest(d) => verifier.verify_prehash(d, &signature).is_ok(),
        Message::ExternalMu(_) => return Err(Error::UnsupportedMessageType),
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
        "RSA PRIVATE KEY" => Ok(AsymmetricKey::Rsa(Box::new(RsaKey::from_pkcs1(der)?))),
        "EC PRIVATE KEY" => {
            // SEC1 names its curve; each reader refuses keys on other curves.
            let curves = [
                KeyPairKind::P256,
                KeyPairKind::P384,
                KeyPairKind::P521,
                KeyPairKind::Secp256k1,
            ];
            for kind in curves {
                if let Ok(key) = EcKey::from_sec1(kind, der) {
                    return Ok(AsymmetricKey::from_ec(key));
                }
            }
            sm2::SecretKey::from_sec1_der(der)
                .map(AsymmetricKey::Sm2)
                .map_err(|_| Error::MalformedKey)
        }
        _ => Err(Error::MalformedKey),
    }
}

/// Reads DER PKCS#8 of any kind: each reader checks the algorithm identifier.
fn import_pkcs8(der: &[u8]) -> Result<AsymmetricKey, Error> {
    if let Ok(key) = RsaKey::from_pkcs8(der) {
        return Ok(AsymmetricKey::Rsa(Box::new(key)));
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
