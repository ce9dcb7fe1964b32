//! Randomness: AWS-LC's generator (a DRBG seeded from the operating system, reseeded after a
//! fork or a VM snapshot restore), the one source of randomness in kmsd.
//!
//! Small draws (nonces, data keys, request-sized `GenerateRandom`) come from a buffer of
//! [`POOL`] bytes that AWS-LC fills at once: each call into AWS-LC's generator costs about as
//! much as a whole Encrypt request's cryptography (its fork and snapshot checks, a CTR-DRBG
//! step with its own key schedule), and on the hot path a nonce or data key is taken per
//! request. Every byte is handed out once and wiped from the buffer as it is. kmsd never forks;
//! after a VM snapshot restore, at most [`POOL`] bytes drawn before it could be drawn again.

use std::convert::Infallible;
use std::sync::{Mutex, PoisonError};

/// Bytes AWS-LC's generator fills the buffer with at once.
const POOL: usize = 1024;

/// Draws up to this many bytes are served from the buffer; larger ones go to AWS-LC directly.
const SMALL: usize = 64;

/// The buffer and how much of it has been handed out.
struct Pool {
    bytes: [u8; POOL],
    used: usize,
}

static BUFFERED: Mutex<Pool> = Mutex::new(Pool {
    bytes: [0; POOL],
    used: POOL,
});

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
    if buf.len() > SMALL {
        return generate(buf);
    }
    let mut pool = BUFFERED.lock().unwrap_or_else(PoisonError::into_inner);
    if POOL - pool.used < buf.len() {
        generate(&mut pool.bytes);
        pool.used = 0;
    }
    let taken = pool.used..pool.used + buf.len();
    buf.copy_from_slice(&pool.bytes[taken.clone()]);
    pool.bytes[taken.clone()].fill(0);
    pool.used = taken.end;
}

/// Fills `buf` from AWS-LC's generator.
fn generate(buf: &mut [u8]) {
    // Invariant: AWS-LC's generator fails only when the OS has no entropy source at all, and
    // a KMS cannot do anything safe without one, so this is not a recoverable error.
    #[allow(clippy::expect_used)]
    aws_lc_rs::rand::fill(buf).expect("the system's random number generator failed");
}

#[cfg(test)]
mod tests;
