//! AES key wrap with padding (RFC 5649, NIST SP 800-38F KWP) under a 256-bit key, on
//! aws-lc-rs: how ImportKeyMaterial's RSA_AES_KEY_WRAP_* algorithms carry key material.

use aws_lc_rs::key_wrap::{AES_256, AesKek, KeyWrapPadded};

use super::Error;

/// Wraps `key` (1 byte to 2³² − 1 bytes) under `kek`: the result is 8 bytes longer than `key`
/// rounded up to a multiple of 8.
pub fn wrap_with_padding(kek: &[u8; 32], key: &[u8]) -> Result<Vec<u8>, Error> {
    let kek = AesKek::new(&AES_256, kek).map_err(|_| Error::MalformedKey)?;
    let mut out = vec![0; key.len().div_ceil(8) * 8 + 8];
    let len = kek
        .wrap_with_padding(key, &mut out)
        .map_err(|_| Error::KeyWrapInput)?
        .len();
    out.truncate(len);
    Ok(out)
}

/// Unwraps what [`wrap_with_padding`] produced. Anything else, including a wrapped key whose
/// integrity check or padding is wrong, fails with [`Error::Authentication`].
pub fn unwrap_with_padding(kek: &[u8; 32], wrapped: &[u8]) -> Result<Vec<u8>, Error> {
    let kek = AesKek::new(&AES_256, kek).map_err(|_| Error::MalformedKey)?;
    let mut out = vec![0; wrapped.len()];
    let len = kek
        .unwrap_with_padding(wrapped, &mut out)
        .map_err(|_| Error::Authentication)?
        .len();
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests;
