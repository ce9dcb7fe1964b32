//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext),
//! GenerateDataKeyPair(WithoutPlaintext) and GenerateRandom. Symmetric keys seal an envelope;
//! RSA and SM2 keys produce raw public-key ciphertext that anyone with the public key can also
//! produce offline. These read keys from memory and never write to the store.

use std::sync::Arc;

use super::resolve::Access;
use super::{Context, Error, Kms, Result};
use crate::crypto::asymmetric::{AsymmetricKey, Hash, KeyPairKind};
use crate::crypto::envelope::{Envelope, Header};
use crate::crypto::{self, KeyMaterial, symmetric};

/// A Nitro Enclaves recipient (`Recipient`): the public key of its attestation document, which
/// seals `CiphertextForRecipient`, and the document's PCRs, which policy conditions test.
pub use crate::crypto::recipient::{Measurements, RecipientKey};
use crate::model::{
    DataKeyPairSpec, EncryptionAlgorithm, EncryptionContext, Key, KeyArn, KeyRef, KeySpec,
    KeyUsage, MaterialId, Operation,
};

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

/// Encrypt's request.
#[derive(Debug)]
pub struct EncryptInput {
    /// The key.
    pub key: KeyRef,
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// The encryption context (empty when none).
    pub context: EncryptionContext,
    /// The algorithm.
    pub algorithm: EncryptionAlgorithm,
}

/// Decrypt's request, and the source side of ReEncrypt's.
#[derive(Debug)]
pub struct DecryptInput {
    /// The ciphertext blob.
    pub ciphertext: Vec<u8>,
    /// The encryption context it was sealed with (empty when none).
    pub context: EncryptionContext,
    /// The key the caller says sealed it, if any.
    pub key: Option<KeyRef>,
    /// The algorithm the caller says sealed it.
    pub algorithm: EncryptionAlgorithm,
}

/// ReEncrypt's request.
#[derive(Debug)]
pub struct ReEncryptInput {
    /// The ciphertext and how it was sealed.
    pub source: DecryptInput,
    /// The key to seal it under.
    pub destination_key: KeyRef,
    /// The encryption context to seal it with.
    pub destination_context: EncryptionContext,
    /// The algorithm to seal it with.
    pub destination_algorithm: EncryptionAlgorithm,
}

/// GenerateDataKey's and GenerateDataKeyWithoutPlaintext's request.
#[derive(Debug)]
pub struct GenerateDataKeyInput {
    /// The symmetric key that encrypts the data key.
    pub key: KeyRef,
    /// The data key's length in bytes.
    pub len: usize,
    /// The encryption context.
    pub context: EncryptionContext,
}

/// GenerateDataKeyPair's and GenerateDataKeyPairWithoutPlaintext's request.
#[derive(Debug)]
pub struct GenerateDataKeyPairInput {
    /// The symmetric key that encrypts the private key.
    pub key: KeyRef,
    /// The kind of key pair.
    pub spec: DataKeyPairSpec,
    /// The encryption context.
    pub context: EncryptionContext,
}

impl Kms {
    /// Encrypt.
    pub fn encrypt(&self, cx: &mut Context, input: EncryptInput) -> Result<Encrypted> {
        let key = self.resolve(cx, &input.key, Access::CrossAccount)?;
        check_encryption_key(&key, input.algorithm, cx.operation)?;
        cx.stop_if_dry_run()?;
        let out = encrypt_with(&key, input.algorithm, &input.plaintext, &input.context)?;
        cx.uses(&key);
        Ok(out)
    }

    /// Decrypt.
    pub fn decrypt(&self, cx: &mut Context, input: DecryptInput) -> Result<Decrypted> {
        let (key, out) = self.open_blob(cx, &input)?;
        cx.stop_if_dry_run()?;
        cx.uses(&key);
        Ok(out)
    }

    /// ReEncrypt: decrypts under the source key and encrypts under the destination key,
    /// without the plaintext leaving kmsd. Either side may be symmetric or asymmetric.
    pub fn re_encrypt(&self, cx: &mut Context, input: ReEncryptInput) -> Result<ReEncrypted> {
        let (source_key, source) = self.open_blob(cx, &input.source)?;
        let key = self.resolve_for(
            cx,
            &input.destination_key,
            Access::CrossAccount,
            "ReEncryptTo",
        )?;
        check_encryption_key(&key, input.destination_algorithm, cx.operation)?;
        cx.stop_if_dry_run()?;
        let destination = encrypt_with(
            &key,
            input.destination_algorithm,
            &source.plaintext,
            &input.destination_context,
        )?;
        cx.uses(&source_key);
        cx.uses(&key);
        Ok(ReEncrypted {
            source,
            destination,
        })
    }

    /// GenerateDataKey and GenerateDataKeyWithoutPlaintext: `len` random bytes, returned
    /// together with their encryption under a symmetric key.
    pub fn generate_data_key(
        &self,
        cx: &mut Context,
        input: GenerateDataKeyInput,
    ) -> Result<(Vec<u8>, Encrypted)> {
        let key = self.data_key_encryption_key(cx, &input.key)?;
        cx.stop_if_dry_run()?;
        // The data key and its nonce in one draw.
        let (plaintext, nonce) = crypto::random_bytes_and_array(input.len);
        let sealed = seal_with_nonce(&key, &plaintext, &input.context, nonce)?;
        cx.uses(&key);
        Ok((plaintext, sealed))
    }

    /// GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext: a fresh key pair whose
    /// private key is also returned encrypted under a symmetric key. RSA pairs come from the
    /// pool when it has one; call this off the async runtime.
    pub fn generate_data_key_pair(
        &self,
        cx: &mut Context,
        input: GenerateDataKeyPairInput,
    ) -> Result<DataKeyPair> {
        let key = self.data_key_encryption_key(cx, &input.key)?;
        if key.custom_key_store.is_some() {
            // AWS: keys in a custom key store cannot generate asymmetric data key pairs.
            return Err(Error::Unsupported(format!(
                "{} is in a custom key store, which cannot generate data key pairs.",
                key.arn
            )));
        }
        cx.stop_if_dry_run()?;
        let pair = match data_key_pair_kind(input.spec) {
            KeyPairKind::Rsa(bits) => self.rsa_pool.take(bits),
            kind => AsymmetricKey::generate(kind),
        }
        .map_err(Error::Crypto)?;
        let private_key = pair.to_pkcs8_der().map_err(Error::Crypto)?;
        let public_key = pair.public_key_der().map_err(Error::Crypto)?;
        let sealed_private_key = seal(&key, &private_key, &input.context)?;
        cx.uses(&key);
        Ok(DataKeyPair {
            private_key,
            public_key,
            sealed_private_key,
        })
    }

    /// Checks a `Recipient` attestation document's signature and certificate chain against
    /// the configured root (`--attestation-root`), at kmsd's current time; without a root,
    /// every well-formed document passes, as the README says.
    pub fn verify_recipient(&self, recipient: &RecipientKey) -> Result<()> {
        let Some(root) = &self.attestation_root else {
            return Ok(());
        };
        let now = i64::try_from(self.clock.now().0 / 1000).unwrap_or(i64::MAX);
        recipient.verify(root, now).map_err(Error::Validation)
    }

    /// GenerateRandom.
    pub fn generate_random(&self, cx: &mut Context, len: usize) -> Result<Vec<u8>> {
        self.authorize_action(cx, None, "GenerateRandom")?;
        Ok(crypto::random_bytes(len))
    }

    /// Data keys and data key pairs are encrypted under a symmetric encryption key.
    fn data_key_encryption_key(&self, cx: &mut Context, key_ref: &KeyRef) -> Result<Arc<Key>> {
        let key = self.resolve(cx, key_ref, Access::CrossAccount)?;
        key.require_enabled()?;
        let operation = cx.operation.as_str();
        if key.usage != KeyUsage::EncryptDecrypt {
            return Err(key.invalid_usage(operation));
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

    /// Opens a blob for the call `cx`, returning the key that opened it. Asymmetric
    /// ciphertext needs the caller to name the key; a symmetric envelope names its own key,
    /// which must match the caller's `KeyId` if given.
    fn open_blob(&self, cx: &mut Context, source: &DecryptInput) -> Result<(Arc<Key>, Decrypted)> {
        let operation = cx.operation;
        let envelope = Envelope::parse(&source.ciphertext).ok();
        let key = match (&source.key, &envelope) {
            (Some(key_ref), _) => self.resolve(cx, key_ref, Access::CrossAccount)?,
            (None, Some(envelope)) => {
                let state = self.read(cx);
                let key = state.resolve_named_in_blob(
                    &cx.scope,
                    envelope.header.account,
                    envelope.header.key_id,
                )?;
                drop(state);
                self.authorize(cx, &key)?;
                key
            }
            // Only an envelope names its key; anything else needs the caller's KeyId.
            (None, None) => return Err(Error::InvalidCiphertext),
        };
        let algorithm = source.algorithm;
        // A key the caller named must be the one the envelope names (one found from the
        // envelope is by construction); AWS says so before it looks at the key's usage.
        if let (Some(_), Some(envelope)) = (&source.key, &envelope)
            && algorithm == EncryptionAlgorithm::SymmetricDefault
            && (key.arn.key_id.as_str() != envelope.header.key_id
                || key.arn.scope.account.as_str() != envelope.header.account)
        {
            return Err(Error::IncorrectKey);
        }
        check_encryption_key(&key, algorithm, operation)?;
        if algorithm != EncryptionAlgorithm::SymmetricDefault {
            let pair = key
                .key_pair()
                .ok_or_else(|| key.invalid_usage(operation.as_str()))?;
            let plaintext = match oaep_hash(algorithm) {
                Some(hash) => pair.decrypt_oaep(hash, &source.ciphertext),
                None => pair.decrypt_sm2(&source.ciphertext),
            }
            .map_err(|_| Error::InvalidCiphertext)?;
            let arn = key.arn.clone();
            return Ok((
                key,
                Decrypted {
                    plaintext,
                    key_arn: arn,
                    algorithm,
                    material_id: None,
                },
            ));
        }
        let envelope = envelope.ok_or(Error::InvalidCiphertext)?;
        let material = key
            .material(&MaterialId(*envelope.header.material_id))
            .ok_or(Error::InvalidCiphertext)?;
        let secret = aes_key(&key, &material.secret)?;
        let mut aad = envelope.header_bytes.to_vec();
        symmetric::context_aad(&source.context, &mut aad);
        let plaintext = symmetric::open(&secret, envelope.header.nonce, &aad, envelope.ciphertext)
            .map_err(|_| Error::InvalidCiphertext)?;
        let decrypted = Decrypted {
            plaintext,
            key_arn: key.arn.clone(),
            algorithm,
            material_id: Some(material.id),
        };
        Ok((key, decrypted))
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
    algorithm: EncryptionAlgorithm,
    operation: Operation,
) -> Result<()> {
    key.require_enabled()?;
    key.require_usage(KeyUsage::EncryptDecrypt, operation.as_str())?;
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
    algorithm: EncryptionAlgorithm,
    plaintext: &[u8],
    context: &EncryptionContext,
) -> Result<Encrypted> {
    if algorithm == EncryptionAlgorithm::SymmetricDefault {
        return seal(key, plaintext, context);
    }
    let pair = key.key_pair().ok_or_else(|| key.invalid_usage("Encrypt"))?;
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
        _ => Err(key.invalid_usage("Encrypt")),
    }
}

/// Seals `plaintext` under a symmetric key's current material. The header is written once:
/// it starts the additional data, and the blob is the header followed by the sealed message.
fn seal(key: &Key, plaintext: &[u8], context: &EncryptionContext) -> Result<Encrypted> {
    seal_with_nonce(key, plaintext, context, crypto::random_array())
}

/// [`seal`] with a fresh random nonce the caller drew.
fn seal_with_nonce(
    key: &Key,
    plaintext: &[u8],
    context: &EncryptionContext,
    nonce: [u8; symmetric::NONCE_LEN],
) -> Result<Encrypted> {
    let material = key.current_material().ok_or_else(|| key.invalid_state())?;
    let secret = aes_key(key, &material.secret)?;
    let mut blob = Vec::with_capacity(128 + plaintext.len());
    Header {
        account: key.arn.scope.account.as_str(),
        key_id: key.arn.key_id.as_str(),
        material_id: &material.id.0,
        nonce: &nonce,
    }
    .write(&mut blob);
    let header_len = blob.len();
    symmetric::context_aad(context, &mut blob);
    let sealed = symmetric::seal(&secret, &nonce, &blob, plaintext);
    blob.truncate(header_len);
    blob.extend_from_slice(&sealed);
    Ok(Encrypted {
        ciphertext: blob,
        key_arn: key.arn.clone(),
        algorithm: EncryptionAlgorithm::SymmetricDefault,
        material_id: Some(material.id),
    })
}
