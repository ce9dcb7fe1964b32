use super::*;

#[test]
fn fills_return_fresh_bytes() {
    for len in [8, 12, 32, 64, 65, 4096] {
        let (mut a, mut b) = (vec![0u8; len], vec![0u8; len]);
        fill(&mut a);
        fill(&mut b);
        // Two equal draws of 8 bytes or more would be a 2^-64 event: a bug, not chance.
        assert_ne!(a, b, "length {len}");
        assert!(a.iter().any(|&x| x != 0), "length {len}");
    }
    let mut rng = OsRandom;
    let (x, y) = (
        rand_core::Rng::next_u64(&mut rng),
        rand_core::Rng::next_u64(&mut rng),
    );
    assert_ne!(x, y);
}
