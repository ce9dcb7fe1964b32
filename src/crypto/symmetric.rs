//! AES-256-GCM sealing with the encryption context bound as additional authenticated data.
//! The context is encoded by [`context_aad`], the one canonical encoding kmsd uses.

use std::collections::BTreeMap;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use super::Error;

/// Length of an AES-GCM nonce in bytes.
pub const NONCE_LEN: usize = 12;
/// Length of an AES-GCM authentication tag in bytes.
pub const TAG_LEN: usize = 16;

/// Encrypts `plaintext` under `key` and returns ciphertext followed by the 16-byte tag.
pub fn seal(key: &[u8; 32], nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(key.into());
    // Invariant: AES-GCM encryption only fails for messages over 64 GiB; KMS inputs are tiny.
    #[allow(clippy::expect_used)]
    cipher
        .encrypt(
            &Nonce::from(*nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("AES-GCM encryption of a small message cannot fail")
}

/// Decrypts and authenticates what [`seal`] produced.
pub fn open(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, Error> {
    let cipher = Aes256Gcm::new(key.into());
    cipher
        .decrypt(
            &Nonce::from(*nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| Error::Authentication)
}

/// Appends the canonical encoding of an encryption context to `out`.
///
/// The encoding is the pair count, then each pair in byte order of its key, every string
/// preceded by its length; all integers are big-endian `u32`. Length prefixes make it
/// unambiguous (`{"a":"bc"}` and `{"ab":"c"}` differ), and the sorted map makes it independent
/// of the order in which the caller listed the pairs.
pub fn context_aad(context: &BTreeMap<String, String>, out: &mut Vec<u8>) {
    fn put(out: &mut Vec<u8>, bytes: &[u8]) {
        // Context strings are bounded by the 1 MiB request limit, far below u32::MAX.
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(bytes);
    }
    out.extend_from_slice(&(context.len() as u32).to_be_bytes());
    for (key, value) in context {
        put(out, key.as_bytes());
        put(out, value.as_bytes());
    }
}

#[cfg(test)]
mod tests;
