//! Cryptography as plain functions: key material, randomness, AES-256-GCM, the ciphertext
//! envelope, HMAC, AES key wrap and key pairs (including ML-KEM key encapsulation). Bytes in, bytes out:
//! nothing here knows about ARNs, key states or JSON. Every primitive is a library call:
//! aws-lc-rs, and RustCrypto crates where aws-lc-rs has no safe API (ARCHITECTURE.md says which).

pub mod asymmetric;
pub mod envelope;
mod error;
pub mod key_wrap;
pub mod mac;
mod random;
pub mod recipient;
pub mod symmetric;

pub use error::Error;
pub use random::OsRandom;
use random::fill as fill_random;

use std::fmt;
use std::sync::Arc;

use asymmetric::{AsymmetricKey, KeyPairKind};

/// Secret key material of one key version. `Debug` never prints the secret.
#[derive(Clone)]
pub enum KeyMaterial {
    /// A 256-bit AES-GCM key (`SYMMETRIC_DEFAULT`).
    Aes256([u8; 32]),
    /// An HMAC key; its length follows the key spec (28, 32, 48 or 64 bytes).
    Hmac(Vec<u8>),
    /// The private key of a key pair (shared: key pairs are large and never change).
    Asymmetric(Arc<AsymmetricKey>),
}

impl KeyMaterial {
    /// Fresh random material for a symmetric key.
    pub fn generate_aes256() -> KeyMaterial {
        KeyMaterial::Aes256(random_array())
    }

    /// Fresh random material for an HMAC key of `len` bytes.
    pub fn generate_hmac(len: usize) -> KeyMaterial {
        KeyMaterial::Hmac(random_bytes(len))
    }

    /// A name for the kind of material, used by the store.
    pub fn kind(&self) -> String {
        match self {
            KeyMaterial::Aes256(_) => "AES_256".into(),
            KeyMaterial::Hmac(_) => "HMAC".into(),
            KeyMaterial::Asymmetric(key) => kind_name(key.kind()),
        }
    }

    /// The secret as bytes, for persistence: raw for symmetric keys, PKCS#8 DER for key pairs
    /// (ML-DSA: its 32-byte seed; ML-KEM: its 64-byte seed d ‖ z).
    pub fn to_stored_bytes(&self) -> Result<Vec<u8>, Error> {
        match self {
            KeyMaterial::Aes256(key) => Ok(key.to_vec()),
            KeyMaterial::Hmac(key) => Ok(key.clone()),
            KeyMaterial::Asymmetric(key) => key.to_private_bytes(),
        }
    }

    /// Reads what [`KeyMaterial::kind`] and [`KeyMaterial::to_stored_bytes`] wrote.
    pub fn from_stored(kind: &str, bytes: &[u8]) -> Result<KeyMaterial, Error> {
        match kind {
            "AES_256" => Ok(KeyMaterial::Aes256(
                bytes.try_into().map_err(|_| Error::MalformedKey)?,
            )),
            "HMAC" => Ok(KeyMaterial::Hmac(bytes.to_vec())),
            other => {
                let kind = parse_kind_name(other).ok_or(Error::MalformedKey)?;
                Ok(KeyMaterial::Asymmetric(Arc::new(
                    AsymmetricKey::from_private_bytes(kind, bytes)?,
                )))
            }
        }
    }

    /// The key pair, for asymmetric material.
    pub fn asymmetric(&self) -> Option<&AsymmetricKey> {
        match self {
            KeyMaterial::Asymmetric(key) => Some(key),
            _ => None,
        }
    }
}

fn kind_name(kind: KeyPairKind) -> String {
    match kind {
        KeyPairKind::Rsa(bits) => format!("RSA_{bits}"),
        KeyPairKind::P256 => "P256".into(),
        KeyPairKind::P384 => "P384".into(),
        KeyPairKind::P521 => "P521".into(),
        KeyPairKind::Secp256k1 => "SECP256K1".into(),
        KeyPairKind::Sm2 => "SM2".into(),
        KeyPairKind::Ed25519 => "ED25519".into(),
        KeyPairKind::MlDsa44 => "ML_DSA_44".into(),
        KeyPairKind::MlDsa65 => "ML_DSA_65".into(),
        KeyPairKind::MlDsa87 => "ML_DSA_87".into(),
        KeyPairKind::MlKem512 => "ML_KEM_512".into(),
        KeyPairKind::MlKem768 => "ML_KEM_768".into(),
        KeyPairKind::MlKem1024 => "ML_KEM_1024".into(),
    }
}

fn parse_kind_name(name: &str) -> Option<KeyPairKind> {
    Some(match name {
        "P256" => KeyPairKind::P256,
        "P384" => KeyPairKind::P384,
        "P521" => KeyPairKind::P521,
        "SECP256K1" => KeyPairKind::Secp256k1,
        "SM2" => KeyPairKind::Sm2,
        "ED25519" => KeyPairKind::Ed25519,
        "ML_DSA_44" => KeyPairKind::MlDsa44,
        "ML_DSA_65" => KeyPairKind::MlDsa65,
        "ML_DSA_87" => KeyPairKind::MlDsa87,
        "ML_KEM_512" => KeyPairKind::MlKem512,
        "ML_KEM_768" => KeyPairKind::MlKem768,
        "ML_KEM_1024" => KeyPairKind::MlKem1024,
        other => KeyPairKind::Rsa(other.strip_prefix("RSA_")?.parse().ok()?),
    })
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyMaterial({}, <redacted>)", self.kind())
    }
}

/// A 32-byte id derived from `parts` with SHA-256 (each part length-prefixed).
pub fn derive_id(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// SHA-256 of `bytes` (SigV4's payload and canonical-request hashes).
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// The system's generator, for APIs that take one (the RustCrypto crates).
pub fn rng() -> OsRandom {
    OsRandom
}

/// `n` bytes from the system's generator (AWS-LC's), the one source of randomness in kmsd.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    fill_random(&mut out);
    out
}

/// `n` random bytes and a random array, from one draw of the system's generator: a data key
/// and the nonce that seals it cost one call into AWS-LC's DRBG instead of two (each call runs
/// its fork and snapshot checks and a CTR-DRBG step). Nothing is kept for later draws.
pub fn random_bytes_and_array<const N: usize>(n: usize) -> (Vec<u8>, [u8; N]) {
    let mut out = vec![0u8; n + N];
    fill_random(&mut out);
    let mut array = [0u8; N];
    array.copy_from_slice(&out[n..]);
    out[n..].fill(0);
    out.truncate(n);
    (out, array)
}

/// A fixed-size array from the system's generator.
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill_random(&mut out);
    out
}
