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

/// Draws from the buffer never repeat bytes: across refills, and from many threads at once.
#[test]
fn buffered_draws_are_never_handed_out_twice() {
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                (0..2000)
                    .map(|n| {
                        let mut nonce = [0u8; 12];
                        fill(&mut nonce[..8 + n % 5]);
                        nonce
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for thread in threads {
        for nonce in thread.join().unwrap() {
            assert!(seen.insert(nonce), "a draw came back: {nonce:?}");
        }
    }
}
