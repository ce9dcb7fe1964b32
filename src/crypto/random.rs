//! Randomness: AWS-LC's generator (a DRBG seeded from the operating system, reseeded after a
//! fork or a VM snapshot restore), the one source of randomness in kmsd.

use std::convert::Infallible;

/// A generator for APIs that take one (`rand_core`, the RustCrypto crates): AWS-LC's, the same
/// as [`super::random_bytes`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl rand_core::TryRng for OsRandom {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0u8; 4];
        fill(&mut bytes);
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0u8; 8];
        fill(&mut bytes);
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        fill(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for OsRandom {}

/// Fills `buf` with random bytes.
pub(super) fn fill(buf: &mut [u8]) {
    // Invariant: AWS-LC's generator fails only when the OS has no entropy source at all, and
    // a KMS cannot do anything safe without one, so this is not a recoverable error.
    #[allow(clippy::expect_used)]
    aws_lc_rs::rand::fill(buf).expect("the system's random number generator failed");
}

#[cfg(test)]
mod tests;
