//! Encapsulate and Decapsulate: the operations of ENCAPSULATE_DECAPSULATE (ML-KEM) keys.
//! Encapsulate needs only the public key, so anyone with GetPublicKey's output can do it
//! offline; Decapsulate needs the private key. Both read keys from memory and never write.

use std::sync::Arc;

use super::encryption::require_enabled;
use super::model::{EncapsulationAlgorithm, Key, KeyArn, KeyRef, KeyUsage, Scope};
use super::resolve::Access;
use super::signing::{invalid_usage, key_pair, require_usage};
use super::{Error, Kms, Result};
use crate::crypto::asymmetric::AsymmetricKey;

/// What Encapsulate returns.
#[derive(Debug)]
pub struct Encapsulated {
    /// The key whose public key was used.
    pub key_arn: KeyArn,
    /// The 32-byte shared secret.
    pub shared_secret: Vec<u8>,
    /// The ciphertext that carries it: 768, 1088 or 1568 bytes.
    pub ciphertext: Vec<u8>,
}

impl Kms {
    /// Encapsulate: a fresh shared secret and its ciphertext under the key's public key.
    pub fn encapsulate(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        algorithm: EncapsulationAlgorithm,
        dry_run: bool,
    ) -> Result<Encapsulated> {
        let (key, pair) = self.encapsulation_key(caller, key_ref, algorithm, "Encapsulate")?;
        if dry_run {
            return Err(Error::DryRun);
        }
        let sent = pair.encapsulate().map_err(Error::Crypto)?;
        Ok(Encapsulated {
            key_arn: key.arn.clone(),
            shared_secret: sent.shared_secret,
            ciphertext: sent.ciphertext,
        })
    }

    /// Decapsulate: the shared secret a ciphertext carries. Only a ciphertext of the wrong
    /// length is an error; any other yields a 32-byte secret, which for a ciphertext made for
    /// another key, or altered, is pseudo-random (FIPS 203 implicit rejection), as in AWS.
    pub fn decapsulate(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        ciphertext: &[u8],
        algorithm: EncapsulationAlgorithm,
        dry_run: bool,
    ) -> Result<(KeyArn, Vec<u8>)> {
        let (key, pair) = self.encapsulation_key(caller, key_ref, algorithm, "Decapsulate")?;
        let expected = pair.ml_kem_ciphertext_len().unwrap_or_default();
        if ciphertext.len() != expected {
            return Err(Error::CiphertextLength {
                arn: key.arn.clone(),
                spec: key.spec,
                expected,
                actual: ciphertext.len(),
            });
        }
        if dry_run {
            return Err(Error::DryRun);
        }
        let secret = pair.decapsulate(ciphertext).map_err(Error::Crypto)?;
        Ok((key.arn.clone(), secret))
    }

    /// The key and its pair, after the state, usage and algorithm checks both operations make.
    fn encapsulation_key(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        algorithm: EncapsulationAlgorithm,
        operation: &str,
    ) -> Result<(Arc<Key>, Arc<AsymmetricKey>)> {
        let key = self.read().resolve(caller, key_ref, Access::CrossAccount)?;
        require_enabled(&key)?;
        require_usage(&key, KeyUsage::EncapsulateDecapsulate, operation)?;
        if !key.encapsulation_algorithms().contains(&algorithm) {
            return Err(Error::InvalidKeyUsage(format!(
                "Encapsulation algorithm {algorithm} is not valid for {} (KeySpec {}).",
                key.arn, key.spec
            )));
        }
        let pair = key_pair(&key)
            .cloned()
            .ok_or_else(|| invalid_usage(&key, operation))?;
        Ok((key, pair))
    }
}
