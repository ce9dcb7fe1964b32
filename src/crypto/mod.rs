//! Cryptography as plain functions: key material, randomness, AES-256-GCM and the ciphertext
//! envelope. Bytes in, bytes out: nothing here knows about ARNs, key states or JSON.

pub mod envelope;
mod error;
pub mod symmetric;

pub use error::Error;

use std::fmt;

/// Secret key material of one key version. `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// A 256-bit AES-GCM key (`SYMMETRIC_DEFAULT`).
    Aes256([u8; 32]),
}

impl KeyMaterial {
    /// Fresh random material for a symmetric key.
    pub fn generate_aes256() -> KeyMaterial {
        KeyMaterial::Aes256(random_array())
    }

    /// The raw secret bytes, for persistence.
    pub fn secret_bytes(&self) -> &[u8] {
        match self {
            KeyMaterial::Aes256(key) => key,
        }
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyMaterial::Aes256(_) => f.write_str("Aes256(<redacted>)"),
        }
    }
}

/// `n` bytes from the operating system's CSPRNG, the one source of randomness in kmsd.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    fill_random(&mut out);
    out
}

/// A fixed-size array from the operating system's CSPRNG.
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill_random(&mut out);
    out
}

fn fill_random(buf: &mut [u8]) {
    // Invariant: getrandom fails only when the OS has no entropy source at all, and a KMS
    // cannot do anything safe without one, so this is not a recoverable error.
    #[allow(clippy::expect_used)]
    getrandom::fill(buf).expect("the operating system's random number generator failed");
}
