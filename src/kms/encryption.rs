//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext) and GenerateRandom.
//! These are the hot path: they read keys from memory and never write to the store.

use std::sync::Arc;

use super::keys::invalid_state;
use super::model::{
    EncryptionAlgorithm, EncryptionContext, Key, KeyArn, KeyRef, KeyState, KeyUsage, MaterialId,
    Scope,
};
use super::resolve::Access;
use super::{Error, Kms, Result, State};
use crate::crypto::{self, KeyMaterial, envelope::Envelope, symmetric};

/// What Encrypt returns.
#[derive(Debug)]
pub struct Encrypted {
    /// The ciphertext blob.
    pub ciphertext: Vec<u8>,
    /// The key that sealed it.
    pub key_arn: KeyArn,
    /// The material version that sealed it.
    pub material_id: MaterialId,
}

/// What Decrypt returns.
#[derive(Debug)]
pub struct Decrypted {
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// The key that opened it.
    pub key_arn: KeyArn,
    /// The material version that opened it.
    pub material_id: MaterialId,
}

/// What ReEncrypt returns.
#[derive(Debug)]
pub struct ReEncrypted {
    /// The source side.
    pub source: Decrypted,
    /// The destination side, with the new blob.
    pub destination: Encrypted,
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
        seal(&key, plaintext, context)
    }

    /// Decrypt.
    pub fn decrypt(&self, caller: &Scope, source: Source<'_>, dry_run: bool) -> Result<Decrypted> {
        let out = open(&self.read(), caller, source, "Decrypt")?;
        dry_run_check(dry_run)?;
        Ok(out)
    }

    /// ReEncrypt: decrypts under the source key and encrypts under the destination key,
    /// without the plaintext leaving kmsd.
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
        let destination = seal(&key, &source.plaintext, destination_context)?;
        Ok(ReEncrypted {
            source,
            destination,
        })
    }

    /// GenerateDataKey and GenerateDataKeyWithoutPlaintext: `len` random bytes, returned
    /// together with their encryption under the key.
    pub fn generate_data_key(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        len: usize,
        context: &EncryptionContext,
        operation: &'static str,
        dry_run: bool,
    ) -> Result<(Vec<u8>, Encrypted)> {
        let key = self.encryption_key(caller, key_ref, None, operation)?;
        if key.spec != super::model::KeySpec::SymmetricDefault {
            return Err(invalid_usage(&key, operation));
        }
        dry_run_check(dry_run)?;
        let plaintext = crypto::random_bytes(len);
        let sealed = seal(&key, &plaintext, context)?;
        Ok((plaintext, sealed))
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
        return Err(Error::InvalidKeyUsage(format!(
            "{} does not support the encryption algorithm {algorithm}.",
            key.arn
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

fn invalid_usage(key: &Key, operation: &str) -> Error {
    Error::InvalidKeyUsage(format!(
        "{} key usage is {} which is not valid for {operation}.",
        key.arn, key.usage
    ))
}

fn dry_run_check(dry_run: bool) -> Result<()> {
    if dry_run { Err(Error::DryRun) } else { Ok(()) }
}

fn aes_key(material: &KeyMaterial) -> &[u8; 32] {
    match material {
        KeyMaterial::Aes256(key) => key,
    }
}

/// Seals `plaintext` under the key's current material.
fn seal(key: &Key, plaintext: &[u8], context: &EncryptionContext) -> Result<Encrypted> {
    let material = key.current_material().ok_or_else(|| invalid_state(key))?;
    let mut envelope = Envelope {
        account: key.arn.scope.account.as_str().to_owned(),
        key_id: key.arn.key_id.as_str().to_owned(),
        material_id: material.id.0,
        nonce: crypto::random_array(),
        ciphertext: Vec::new(),
    };
    let mut aad = envelope.header();
    symmetric::context_aad(context, &mut aad);
    envelope.ciphertext =
        symmetric::seal(aes_key(&material.secret), &envelope.nonce, &aad, plaintext);
    Ok(Encrypted {
        ciphertext: envelope.to_bytes(),
        key_arn: key.arn.clone(),
        material_id: material.id,
    })
}

/// Opens a blob: finds its key (from the blob, or checks the caller's `KeyId` against it),
/// checks the key, then authenticates and decrypts.
fn open(
    state: &State,
    caller: &Scope,
    source: Source<'_>,
    operation: &'static str,
) -> Result<Decrypted> {
    let envelope = Envelope::parse(source.ciphertext).map_err(|_| Error::InvalidCiphertext)?;
    let named = KeyRef::Arn {
        region: caller.region.as_str().to_owned(),
        account: envelope.account.clone(),
        key_id: envelope.key_id.clone(),
    };
    let key = match source.key {
        Some(key_ref) => {
            let key = state.resolve(caller, key_ref, Access::CrossAccount)?;
            check_encryption_key(&key, source.algorithm, operation)?;
            if key.arn.key_id.as_str() != envelope.key_id
                || key.arn.scope.account.as_str() != envelope.account
            {
                return Err(Error::IncorrectKey);
            }
            key
        }
        None => {
            let key = state.resolve(caller, &named, Access::CrossAccount)?;
            check_encryption_key(&key, source.algorithm, operation)?;
            key
        }
    };
    let material = key
        .material(&MaterialId(envelope.material_id))
        .ok_or(Error::InvalidCiphertext)?;
    let mut aad = envelope.header();
    symmetric::context_aad(source.context, &mut aad);
    let plaintext = symmetric::open(
        aes_key(&material.secret),
        &envelope.nonce,
        &aad,
        &envelope.ciphertext,
    )
    .map_err(|_| Error::InvalidCiphertext)?;
    Ok(Decrypted {
        plaintext,
        key_arn: key.arn.clone(),
        material_id: material.id,
    })
}
