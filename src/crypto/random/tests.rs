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

#[test]
fn a_data_key_and_its_nonce_come_from_one_draw_and_differ() {
    for len in [1, 16, 32, 1024] {
        let (key, nonce) = crate::crypto::random_bytes_and_array::<12>(len);
        let (other_key, other_nonce) = crate::crypto::random_bytes_and_array::<12>(len);
        assert_eq!(key.len(), len);
        // The nonce is not the key's tail, and two draws share neither part.
        assert_ne!(nonce, other_nonce, "length {len}");
        assert_ne!(nonce.to_vec(), key[len.saturating_sub(12)..].to_vec());
        if len >= 8 {
            assert_ne!(key, other_key, "length {len}");
        }
    }
}
