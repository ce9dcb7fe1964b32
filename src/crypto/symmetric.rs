//! AES-256-GCM sealing with the encryption context bound as additional authenticated data, on
//! aws-lc-rs. The context is encoded by [`context_aad`], the one canonical encoding kmsd uses.
//!
//! aws-lc-rs rather than the `aes-gcm` crate: measured side by side with criterion (the key set
//! up per call, as here, 100 bytes of additional data), the two were within 4 % at 32 bytes
//! (about 250 ns) and aws-lc-rs was 2.2 times as fast at 4 KiB (0.75 µs against 1.7 µs).

use std::collections::BTreeMap;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use super::Error;

/// Length of an AES-GCM nonce in bytes.
pub const NONCE_LEN: usize = 12;
/// Length of an AES-GCM authentication tag in bytes.
pub const TAG_LEN: usize = 16;

fn cipher(key: &[u8; 32]) -> LessSafeKey {
    // Invariant: AES_256_GCM takes any 32-byte key, and the type says it is 32 bytes.
    #[allow(clippy::expect_used)]
    let key = UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte AES-256-GCM key");
    LessSafeKey::new(key)
}

/// Encrypts `plaintext` under `key` and returns ciphertext followed by the 16-byte tag.
pub fn seal(key: &[u8; 32], nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut sealed = Vec::with_capacity(plaintext.len() + TAG_LEN);
    sealed.extend_from_slice(plaintext);
    // Invariant: AES-GCM encryption only fails for messages over 64 GiB; KMS inputs are tiny.
    #[allow(clippy::expect_used)]
    cipher(key)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(*nonce),
            Aad::from(aad),
            &mut sealed,
        )
        .expect("AES-GCM encryption of a small message cannot fail");
    sealed
}

/// Decrypts and authenticates what [`seal`] produced.
pub fn open(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut opened = ciphertext.to_vec();
    let len = cipher(key)
        .open_in_place(
            Nonce::assume_unique_for_key(*nonce),
            Aad::from(aad),
            &mut opened,
        )
        .map_err(|_| Error::Authentication)?
        .len();
    opened.truncate(len);
    Ok(opened)
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
