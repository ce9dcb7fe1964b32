use std::collections::HashSet;

use super::*;

#[test]
fn handed_out_bytes_are_wiped_from_the_buffer_and_never_repeat() {
    let mut pool = Pool::empty();
    let mut seen = HashSet::new();
    // Many refills' worth of nonces, with sizes that do not divide the buffer.
    for i in 0..5_000 {
        let mut nonce = [0u8; 12];
        pool.take(&mut nonce);
        assert!(seen.insert(nonce), "nonce {i} repeated an earlier one");
        assert!(
            pool.bytes[..pool.next].iter().all(|&b| b == 0),
            "bytes already handed out are still in the buffer"
        );
    }
}

#[test]
fn a_request_larger_than_what_is_left_refills_first() {
    let mut pool = Pool::empty();
    let mut first = [0u8; POOLED_MAX];
    pool.take(&mut first);
    // Leave fewer bytes than the next request needs.
    let mut filler = vec![0u8; POOL - POOLED_MAX - 10];
    pool.take(&mut filler);
    let mut second = [0u8; POOLED_MAX];
    pool.take(&mut second);
    assert_eq!(pool.next, POOLED_MAX, "the buffer was refilled");
    assert_ne!(first, second);
    assert_ne!(second, [0u8; POOLED_MAX], "the bytes came from the refill");
}

#[test]
fn small_and_large_fills_return_fresh_bytes() {
    for len in [1, 12, 32, POOLED_MAX, POOLED_MAX + 1, 4096] {
        let (mut a, mut b) = (vec![0u8; len], vec![0u8; len]);
        fill(&mut a);
        fill(&mut b);
        // Two equal draws of 8 bytes or more would be a 2^-64 event: a bug, not chance.
        if len >= 8 {
            assert_ne!(a, b, "length {len}");
            assert!(a.iter().any(|&x| x != 0), "length {len}");
        }
    }
    let mut rng = OsRandom;
    let (x, y) = (
        rand_core::Rng::next_u64(&mut rng),
        rand_core::Rng::next_u64(&mut rng),
    );
    assert_ne!(x, y);
}
