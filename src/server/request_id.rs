//! Request ids: a fresh `x-amzn-RequestId` for every call, a random-looking version 4 UUID as
//! AWS sends.

use std::sync::atomic::{AtomicU64, Ordering};

/// Hands out request ids. They need to be unique, not secret, so they come from SplitMix64
/// over a shared counter (seeded from the OS once) instead of a system call per request:
/// SplitMix64's output function is a bijection of its counter, so no two calls of one server
/// get the same id.
///
/// The seed does not come from AWS-LC's generator: its first use gathers jitter entropy for
/// some 30 ms of CPU, and the server makes its request ids before it accepts connections, so
/// that would delay the first answer (`/health` included) by as much. `main.rs` warms AWS-LC's
/// generator up on a thread of its own instead.
#[derive(Debug)]
pub(crate) struct RequestIds {
    counter: AtomicU64,
}

impl RequestIds {
    /// A generator seeded from the operating system.
    pub(crate) fn new() -> RequestIds {
        RequestIds {
            counter: AtomicU64::new(os_seed()),
        }
    }

    /// A fresh request id.
    pub(crate) fn next(&self) -> String {
        let bits = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
        let mut text = uuid::Uuid::encode_buffer();
        uuid::Builder::from_random_bytes(bits.to_le_bytes())
            .into_uuid()
            .hyphenated()
            .encode_lower(&mut text)
            .to_owned()
    }

    fn next_u64(&self) -> u64 {
        const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut z = self
            .counter
            .fetch_add(GOLDEN_GAMMA, Ordering::Relaxed)
            .wrapping_add(GOLDEN_GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// 64 bits from the operating system: std seeds the keys of every `RandomState` from it (once
/// per thread, then varied per instance), so hashing nothing with fresh keys yields them.
fn os_seed() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(())
}

#[cfg(test)]
mod tests {
    use super::RequestIds;

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let ids = RequestIds::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = ids.next();
            let uuid = uuid::Uuid::parse_str(&id).unwrap();
            assert_eq!(uuid.get_version_num(), 4, "{id}");
            assert_eq!(id, id.to_lowercase());
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn each_generator_starts_from_its_own_seed() {
        let firsts: std::collections::HashSet<String> =
            (0..100).map(|_| RequestIds::new().next()).collect();
        assert_eq!(firsts.len(), 100);
    }
}
