//! HMAC with SHA-224, SHA-256, SHA-384 and SHA-512.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha224, Sha256, Sha384, Sha512};

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

/// HMAC of `message` under `key`.
pub fn generate(hash: MacHash, key: &[u8], message: &[u8]) -> Vec<u8> {
    fn run<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
        // Invariant: HMAC accepts keys of any length.
        #[allow(clippy::expect_used)]
        let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
    match hash {
        MacHash::Sha224 => run::<Hmac<Sha224>>(key, message),
        MacHash::Sha256 => run::<Hmac<Sha256>>(key, message),
        MacHash::Sha384 => run::<Hmac<Sha384>>(key, message),
        MacHash::Sha512 => run::<Hmac<Sha512>>(key, message),
    }
}

/// Whether `tag` is the HMAC of `message`, compared in constant time.
pub fn verify(hash: MacHash, key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    fn run<M: Mac + KeyInit>(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
        let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
            return false;
        };
        mac.update(message);
        mac.verify_slice(tag).is_ok()
    }
    match hash {
        MacHash::Sha224 => run::<Hmac<Sha224>>(key, message, tag),
        MacHash::Sha256 => run::<Hmac<Sha256>>(key, message, tag),
        MacHash::Sha384 => run::<Hmac<Sha384>>(key, message, tag),
        MacHash::Sha512 => run::<Hmac<Sha512>>(key, message, tag),
    }
}

#[cfg(test)]
mod tests;
