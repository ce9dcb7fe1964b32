//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext),
//! GenerateDataKeyPair(WithoutPlaintext) and GenerateRandom. Symmetric keys seal an envelope;
//! RSA and SM2 keys produce raw public-key ciphertext that anyone with the public key can also
//! produce offline. These read keys from memory and never write to the store.

use std::sync::Arc;

use super::keys::invalid_state;
use super::model::{
    DataKeyPairSpec, EncryptionAlgorithm, EncryptionContext, Key, KeyArn, KeyRef, KeySpec,
    KeyState, KeyUsage, MaterialId, Scope,
};
use super::resolve::Access;
use super::signing::{invalid_usage, key_pair};
use super::{Error, Kms, Result, State};
use crate::crypto::asymmetric::{AsymmetricKey, Hash, KeyPairKind};
use crate::crypto::{self, KeyMaterial, envelope::Envelope, symmetric};

/// What Encrypt returns.
#[derive(Debug)]
pub struct Encrypted {
    /// The ciphertext blob.
    pub ciphertext: Vec<u8>,
    /// The key that sealed it.
    pub key_arn: KeyArn,
    /// The algorithm used.
    pub algorithm: EncryptionAlgorithm,
    /// The material version that sealed it (symmetric keys only).
    pub material_id: Option<MaterialId>,
}

/// What Decrypt returns.
#[derive(Debug)]
pub struct Decrypted {
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// The key that opened it.
    pub key_arn: KeyArn,
    /// The algorithm used.
    pub algorithm: EncryptionAlgorithm,
    /// The material version that opened it (symmetric keys only).
    pub material_id: Option<MaterialId>,
}

/// What ReEncrypt returns.
#[derive(Debug)]
pub struct ReEncrypted {
    /// The source side.
    pub source: Decrypted,
    /// The destination side, with the new blob.
    pub destination: Encrypted,
}

/// What GenerateDataKeyPair returns.
#[derive(Debug)]
pub struct DataKeyPair {
    /// PKCS#8 DER private key.
    pub private_key: Vec<u8>,
    /// DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    /// The private key, encrypted under the symmetric key.
    pub sealed_private_key: Encrypted,
}

/// The parameters of one side of a decryption.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The ciphertext blob.
    pub ciphertext: &'a [u8],
    /// The encryption context it was sealed with.
    pub context: &'a EncryptionContext,
    /// The key the caller says sealed it, if any.
    pub key: Option<&'a KeyRef>,
    /// The algorithm the caller says sealed it, if any.
    pub algorithm: Option<EncryptionAlgorithm>,
}

impl Kms {
    /// Encrypt.
    pub fn encrypt(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        plaintext: &[u8],
        context: &EncryptionContext,
        algorithm: Option<EncryptionAlgorithm>,
        dry_run: bool,
    ) -> Result<Encrypted> {
        let key = self.encryption_key(caller, key_ref, algorithm, "Encrypt")?;
        dry_run_check(dry_run)?;
        encrypt_with(&key, algorithm, plaintext, context)
    }

    /// Decrypt.
    pub fn decrypt(&self, caller: &Scope, source: Source<'_>, dry_run: bool) -> Result<Decrypted> {
        let out = open(&self.read(), caller, source, "Decrypt")?;
        dry_run_check(dry_run)?;
        Ok(out)
    }

    /// ReEncrypt: decrypts under the source key and encrypts under the destination key,
    /// without the plaintext leaving kmsd. Either side may be symmetric or asymmetric.
    pub fn re_encrypt(
        &self,
        caller: &Scope,
        source: Source<'_>,
        destination_key: &KeyRef,
        destination_context: &EncryptionContext,
        destination_algorithm: Option<EncryptionAlgorithm>,
        dry_run: bool,
    ) -> Result<ReEncrypted> {
        let source = open(&self.read(), caller, source, "ReEncrypt")?;
        let key =
            self.encryption_key(caller, destination_key, destination_algorithm, "ReEncrypt")?;
        dry_run_check(dry_run)?;
        let destination = encrypt_with(
            &key,
            destination_algorithm,
            &source.plaintext,
            destination_context,
        )?;
        Ok(ReEncrypted {
            source,
            destination,
        })
    }

    /// GenerateDataKey and GenerateDataKeyWithoutPlaintext: `len` random bytes, returned
    /// together with their encryption under a symmetric key.
    pub fn generate_data_key(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        len: usize,
        context: &EncryptionContext,
        operation: &'static str,
        dry_run: bool,
    ) -> Result<(Vec<u8>, Encrypted)> {
        let key = self.data_key_encryption_key(caller, key_ref, operation)?;
        dry_run_check(dry_run)?;
        let plaintext = crypto::random_bytes(len);
        let sealed = seal(&key, &plaintext, context)?;
        Ok((plaintext, sealed))
    }

    /// GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext: a fresh key pair whose
    /// private key is also returned encrypted under a symmetric key. RSA pairs come from the
    /// pool when it has one; call this off the async runtime.
    pub fn generate_data_key_pair(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        spec: DataKeyPairSpec,
        context: &EncryptionContext,
        operation: &'static str,
        dry_run: bool,
    ) -> Result<DataKeyPair> {
        let key = self.data_key_encryption_key(caller, key_ref, operation)?;
        dry_run_check(dry_run)?;
        let pair = match data_key_pair_kind(spec) {
            KeyPairKind::Rsa(bits) => self.rsa_pool.take(bits),
            kind => AsymmetricKey::generate(kind),
        }
        .map_err(Error::Crypto)?;
        let private_key = pair.to_pkcs8_der().map_err(Error::Crypto)?;
        let public_key = pair.public_key_der().map_err(Error::Crypto)?;
        let sealed_private_key = seal(&key, &private_key, context)?;
        Ok(DataKeyPair {
            private_key,
            public_key,
            sealed_private_key,
        })
    }

    /// GenerateRandom.
    pub fn generate_random(&self, len: usize) -> Vec<u8> {
        crypto::random_bytes(len)
    }

    /// Resolves a key that must be usable for encryption with `algorithm`.
    fn encryption_key(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        algorithm: Option<EncryptionAlgorithm>,
        operation: &'static str,
    ) -> Result<Arc<Key>> {
        let key = self.read().resolve(caller, key_ref, Access::CrossAccount)?;
        check_encryption_key(&key, algorithm, operation)?;
        Ok(key)
    }

    /// Data keys and data key pairs are encrypted under a symmetric encryption key.
    fn data_key_encryption_key(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        operation: &'static str,
    ) -> Result<Arc<Key>> {
        let key = self.read().resolve(caller, key_ref, Access::CrossAccount)?;
        require_enabled(&key)?;
        if key.usage != KeyUsage::EncryptDecrypt {
            return Err(invalid_usage(&key, operation));
        }
        if key.spec != KeySpec::SymmetricDefault {
            return Err(Error::InvalidKeyUsage(format!(
                "{} key spec {} is not valid for {operation}; it needs a symmetric encryption \
                 key.",
                key.arn, key.spec
            )));
        }
        Ok(key)
    }
}

fn data_key_pair_kind(spec: DataKeyPairSpec) -> KeyPairKind {
    match spec {
        DataKeyPairSpec::Rsa2048 => KeyPairKind::Rsa(2048),
        DataKeyPairSpec::Rsa3072 => KeyPairKind::Rsa(3072),
        DataKeyPairSpec::Rsa4096 => KeyPairKind::Rsa(4096),
        DataKeyPairSpec::EccNistP256 => KeyPairKind::P256,
        DataKeyPairSpec::EccNistP384 => KeyPairKind::P384,
        DataKeyPairSpec::EccNistP521 => KeyPairKind::P521,
        DataKeyPairSpec::EccSecgP256k1 => KeyPairKind::Secp256k1,
        DataKeyPairSpec::Sm2 => KeyPairKind::Sm2,
        DataKeyPairSpec::EccNistEdwards25519 => KeyPairKind::Ed25519,
        DataKeyPairSpec::MlKem512 => KeyPairKind::MlKem512,
        DataKeyPairSpec::MlKem768 => KeyPairKind::MlKem768,
        DataKeyPairSpec::MlKem1024 => KeyPairKind::MlKem1024,
    }
}

/// The state, usage and algorithm checks every encryption operation makes, in AWS's order.
fn check_encryption_key(
    key: &Key,
    algorithm: Option<EncryptionAlgorithm>,
    operation: &'static str,
) -> Result<()> {
    require_enabled(key)?;
    if key.usage != KeyUsage::EncryptDecrypt {
        return Err(invalid_usage(key, operation));
    }
    let algorithm = algorithm.unwrap_or(EncryptionAlgorithm::SymmetricDefault);
    if !key.encryption_algorithms().contains(&algorithm) {
        let supported: Vec<&str> = key
            .encryption_algorithms()
            .iter()
            .map(|a| a.as_str())
            .collect();
        return Err(Error::InvalidKeyUsage(format!(
            "Encryption algorithm {algorithm} is not valid for {} (KeySpec {}); it supports {}.",
            key.arn,
            key.spec,
            supported.join(", ")
        )));
    }
    Ok(())
}

/// Cryptographic operations need an enabled key.
pub(super) fn require_enabled(key: &Key) -> Result<()> {
    match key.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(Error::Disabled(key.arn.clone())),
        _ => Err(invalid_state(key)),
    }
}

fn dry_run_check(dry_run: bool) -> Result<()> {
    if dry_run { Err(Error::DryRun) } else { Ok(()) }
}

fn oaep_hash(algorithm: EncryptionAlgorithm) -> Option<Hash> {
    match algorithm {
        EncryptionAlgorithm::RsaesOaepSha1 => Some(Hash::Sha1),
        EncryptionAlgorithm::RsaesOaepSha256 => Some(Hash::Sha256),
        _ => None,
    }
}

/// Encrypts under a key already checked for `algorithm`.
fn encrypt_with(
    key: &Key,
    algorithm: Option<EncryptionAlgorithm>,
    plaintext: &[u8],
    context: &EncryptionContext,
) -> Result<Encrypted> {
    let algorithm = algorithm.unwrap_or(EncryptionAlgorithm::SymmetricDefault);
    if algorithm == EncryptionAlgorithm::SymmetricDefault {
        return seal(key, plaintext, context);
    }
    let pair = key_pair(key).ok_or_else(|| invalid_usage(key, "Encrypt"))?;
    let ciphertext = match oaep_hash(algorithm) {
        Some(hash) => {
            let max = pair.oaep_max_plaintext(hash).unwrap_or_default();
            if plaintext.len() > max {
                return Err(Error::Validation(format!(
                    "Algorithm {algorithm} and key spec {} cannot encrypt data larger than {max} \
                     bytes.",
                    key.spec
                )));
            }
            pair.encrypt_oaep(hash, plaintext)
        }
        None => pair.encrypt_sm2(plaintext),
    }
    .map_err(Error::Crypto)?;
    Ok(Encrypted {
        ciphertext,
        key_arn: key.arn.clone(),
        algorithm,
        material_id: None,
    })
}

fn aes_key(key: &Key, material: &KeyMaterial) -> Result<[u8; 32]> {
    match material {
        KeyMaterial::Aes256(secret) => Ok(*secret),
        _ => Err(invalid_usage(key, "Encrypt")),
    }
}

/// Seals `plaintext` under a symmetric key's current material.
fn seal(key: &Key, plaintext: &[u8], context: &EncryptionContext) -> Result<Encrypted> {
    let material = key.current_material().ok_or_else(|| invalid_state(key))?;
    let secret = aes_key(key, &material.secret)?;
    let mut envelope = Envelope {
        account: key.arn.scope.account.as_str().to_owned(),
        key_id: key.arn.key_id.as_str().to_owned(),
        material_id: material.id.0,
        nonce: crypto::random_array(),
        ciphertext: Vec::new(),
    };
    let mut aad = envelope.header();
    symmetric::context_aad(context, &mut aad);
    envelope.ciphertext = symmetric::seal(&secret, &envelope.nonce, &aad, plaintext);
    Ok(Encrypted {
        ciphertext: envelope.to_bytes(),
        key_arn: key.arn.clone(),
        algorithm: EncryptionAlgorithm::SymmetricDefault,
        material_id: Some(material.id),
    })
}

/// Opens a blob. Asymmetric ciphertext needs the caller to name the key; a symmetric envelope
/// names its own key, which must match the caller's `KeyId` if given.
fn open(
    state: &State,
    caller: &Scope,
    source: Source<'_>,
    operation: &'static str,
) -> Result<Decrypted> {
    let algorithm = source
        .algorithm
        .unwrap_or(EncryptionAlgorithm::SymmetricDefault);
    let envelope = Envelope::parse(source.ciphertext).ok();
    let key = match (source.key, &envelope) {
        (Some(key_ref), _) => state.resolve(caller, key_ref, Access::CrossAccount)?,
        (None, Some(envelope)) => {
            let in_blob = KeyRef::Arn {
                region: caller.region.as_str().to_owned(),
                account: envelope.account.clone(),
                key_id: envelope.key_id.clone(),
            };
            state.resolve(caller, &in_blob, Access::CrossAccount)?
        }
        // Only an envelope names its key; anything else needs the caller's KeyId.
        (None, None) => return Err(Error::InvalidCiphertext),
    };
    check_encryption_key(&key, Some(algorithm), operation)?;

    if algorithm != EncryptionAlgorithm::SymmetricDefault {
        let pair = key_pair(&key).ok_or_else(|| invalid_usage(&key, operation))?;
        let plaintext = match oaep_hash(algorithm) {
            Some(hash) => pair.decrypt_oaep(hash, source.ciphertext),
            None => pair.decrypt_sm2(source.ciphertext),
        }
        .map_err(|_| Error::InvalidCiphertext)?;
        return Ok(Decrypted {
            plaintext,
            key_arn: key.arn.clone(),
            algorithm,
            material_id: None,
        });
    }

    let envelope = envelope.ok_or(Error::InvalidCiphertext)?;
    if key.arn.key_id.as_str() != envelope.key_id
        || key.arn.scope.account.as_str() != envelope.account
    {
        return Err(Error::IncorrectKey);
    }
    let material = key
        .material(&MaterialId(envelope.material_id))
        .ok_or(Error::InvalidCiphertext)?;
    let secret = aes_key(&key, &material.secret)?;
    let mut aad = envelope.header();
    symmetric::context_aad(source.context, &mut aad);
    let plaintext = symmetric::open(&secret, &envelope.nonce, &aad, &envelope.ciphertext)
        .map_err(|_| Error::InvalidCiphertext)?;
    Ok(Decrypted {
        plaintext,
        key_arn: key.arn.clone(),
        algorithm,
        material_id: Some(material.id),
    })
}
