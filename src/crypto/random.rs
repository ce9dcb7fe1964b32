//! Randomness: the operating system's CSPRNG, the one source of randomness in kmsd.
//!
//! Small requests (a GCM nonce, a data key, an OAEP seed, an ECDSA nonce) are served from a
//! per-thread buffer of [`POOL`] bytes read from the OS in one call, so a hot operation costs
//! no system call most of the time: the ~2 % of CPU a `getrandom` call per Encrypt took under
//! load. Every byte is handed out once: a caller's bytes are copied out and wiped from the
//! buffer in the same step, and the rest of the buffer is wiped when its thread ends. Larger
//! requests go straight to the OS.

use std::cell::RefCell;
use std::convert::Infallible;

use zeroize::Zeroize;

/// The per-thread buffer, in bytes.
const POOL: usize = 512;
/// Requests up to this size are served from the buffer.
const POOLED_MAX: usize = 64;

/// A generator for APIs that take one (`rand_core`): the OS CSPRNG through [`fill`].
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

/// Fills `buf` with bytes from the OS CSPRNG.
pub(super) fn fill(buf: &mut [u8]) {
    if buf.len() > POOLED_MAX {
        os_fill(buf);
        return;
    }
    // A thread being torn down has no buffer any more: read the OS directly.
    if BUFFER.try_with(|pool| pool.borrow_mut().take(buf)).is_err() {
        os_fill(buf);
    }
}

fn os_fill(buf: &mut [u8]) {
    // Invariant: getrandom fails only when the OS has no entropy source at all, and a KMS
    // cannot do anything safe without one, so this is not a recoverable error.
    #[allow(clippy::expect_used)]
    getrandom::fill(buf).expect("the operating system's random number generator failed");
}

thread_local! {
    static BUFFER: RefCell<Pool> = const { RefCell::new(Pool::empty()) };
}

/// Bytes read from the OS and not handed out yet: `bytes[next..]`; `bytes[..next]` is zero.
struct Pool {
    bytes: [u8; POOL],
    next: usize,
}

impl Pool {
    const fn empty() -> Pool {
        Pool {
            bytes: [0; POOL],
            next: POOL,
        }
    }

    /// Copies the next `buf.len()` (at most [`POOL`]) bytes into `buf` and wipes them here,
    /// refilling from the OS first when too few are left.
    fn take(&mut self, buf: &mut [u8]) {
        debug_assert!(buf.len() <= POOL);
        if POOL - self.next < buf.len() {
            os_fill(&mut self.bytes);
            self.next = 0;
        }
        let taken = &mut self.bytes[self.next..self.next + buf.len()];
        buf.copy_from_slice(taken);
        taken.zeroize();
        self.next += buf.len();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

#[cfg(test)]
mod tests;
