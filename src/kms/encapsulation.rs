//! Encapsulate and Decapsulate: the operations of ENCAPSULATE_DECAPSULATE (ML-KEM) keys.
//! Encapsulate needs only the public key, so anyone with GetPublicKey's output can do it
//! offline; Decapsulate needs the private key. Both read keys from memory and never write.

use std::sync::Arc;

use super::resolve::Access;
use super::{Context, Error, Kms, Result};
use crate::crypto::asymmetric::AsymmetricKey;
use crate::model::{EncapsulationAlgorithm, Key, KeyArn, KeyRef, KeyUsage};

/// Encapsulate's request.
#[derive(Debug)]
pub struct EncapsulateInput {
    /// The key.
    pub key: KeyRef,
    /// The algorithm.
    pub algorithm: EncapsulationAlgorithm,
}

/// Decapsulate's request.
#[derive(Debug)]
pub struct DecapsulateInput {
    /// The key.
    pub key: KeyRef,
    /// The algorithm.
    pub algorithm: EncapsulationAlgorithm,
    /// The ciphertext that carries the shared secret.
    pub ciphertext: Vec<u8>,
}

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
    pub fn encapsulate(&self, cx: &mut Context, input: EncapsulateInput) -> Result<Encapsulated> {
        let (key, pair) = self.encapsulation_key(cx, &input.key, input.algorithm)?;
        cx.stop_if_dry_run()?;
        let sent = pair.encapsulate().map_err(Error::Crypto)?;
        cx.uses(&key);
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
        cx: &mut Context,
        input: DecapsulateInput,
    ) -> Result<(KeyArn, Vec<u8>)> {
        let (key, pair) = self.encapsulation_key(cx, &input.key, input.algorithm)?;
        let expected = pair.ml_kem_ciphertext_len().unwrap_or_default();
        if input.ciphertext.len() != expected {
            return Err(Error::CiphertextLength {
                arn: key.arn.clone(),
                spec: key.spec,
                expected,
                actual: input.ciphertext.len(),
            });
        }
        cx.stop_if_dry_run()?;
        let secret = pair.decapsulate(&input.ciphertext).map_err(Error::Crypto)?;
        cx.uses(&key);
        Ok((key.arn.clone(), secret))
    }

    /// The key and its pair, after the state, usage and algorithm checks both operations make.
    fn encapsulation_key(
        &self,
        cx: &mut Context,
        key_ref: &KeyRef,
        algorithm: EncapsulationAlgorithm,
    ) -> Result<(Arc<Key>, Arc<AsymmetricKey>)> {
        let operation = cx.operation.as_str();
        let key = self.resolve(cx, key_ref, Access::CrossAccount)?;
        key.require_enabled()?;
        key.require_usage(KeyUsage::EncapsulateDecapsulate, operation)?;
        if !key.encapsulation_algorithms().contains(&algorithm) {
            return Err(Error::InvalidKeyUsage(format!(
                "Encapsulation algorithm {algorithm} is not valid for {} (KeySpec {}).",
                key.arn, key.spec
            )));
        }
        let pair = key
            .key_pair()
            .cloned()
            .ok_or_else(|| key.invalid_usage(operation))?;
        Ok((key, pair))
    }
}
