//! Request ids: a fresh `x-amzn-RequestId` for every call, a random-looking version 4 UUID as
//! AWS sends.

use std::sync::atomic::{AtomicU64, Ordering};

/// Hands out request ids. They need to be unique, not secret, so they come from SplitMix64
/// over a shared counter (seeded from the OS once) instead of a system call per request:
/// SplitMix64's output function is a bijection of its counter, so no two calls of one server
/// get the same id.
#[derive(Debug)]
pub(crate) struct RequestIds {
    counter: AtomicU64,
}

impl RequestIds {
    /// A generator seeded from the operating system.
    pub(crate) fn new() -> RequestIds {
        RequestIds {
            counter: AtomicU64::new(u64::from_le_bytes(crate::crypto::random_array())),
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
}
