//! HMAC with SHA-224, SHA-256, SHA-384 and SHA-512, on aws-lc-rs.

use aws_lc_rs::hmac;

/// The hash of an HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacHash {
    /// HMAC-SHA-224.
    Sha224,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-384.
    Sha384,
    /// HMAC-SHA-512.
    Sha512,
}

impl MacHash {
    fn algorithm(self) -> hmac::Algorithm {
        match self {
            MacHash::Sha224 => hmac::HMAC_SHA224,
            MacHash::Sha256 => hmac::HMAC_SHA256,
            MacHash::Sha384 => hmac::HMAC_SHA384,
            MacHash::Sha512 => hmac::HMAC_SHA512,
        }
    }
}

/// HMAC of `message` under `key` (any length).
pub fn generate(hash: MacHash, key: &[u8], message: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hash.algorithm(), key);
    hmac::sign(&key, message).as_ref().to_vec()
}

/// Whether `tag` is the whole HMAC of `message`, compared in constant time.
pub fn verify(hash: MacHash, key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let key = hmac::Key::new(hash.algorithm(), key);
    hmac::verify(&key, message, tag).is_ok()
}

#[cfg(test)]
mod tests;
