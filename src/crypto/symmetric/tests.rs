use std::collections::BTreeMap;

use super::*;

fn ctx(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn aad(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    context_aad(&ctx(pairs), &mut out);
    out
}

#[test]
fn context_encoding_is_unambiguous() {
    assert_ne!(aad(&[("a", "bc")]), aad(&[("ab", "c")]));
    assert_ne!(
        aad(&[("a", "b"), ("c", "d")]),
        aad(&[("a", "b\0c"), ("", "d")])
    );
    assert_ne!(aad(&[]), aad(&[("", "")]));
}

#[test]
fn context_encoding_ignores_insertion_order() {
    let mut forward = BTreeMap::new();
    let mut backward = BTreeMap::new();
    for i in 0..20 {
        forward.insert(format!("k{i}"), format!("v{i}"));
    }
    for i in (0..20).rev() {
        backward.insert(format!("k{i}"), format!("v{i}"));
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    context_aad(&forward, &mut a);
    context_aad(&backward, &mut b);
    assert_eq!(a, b);
}

#[test]
fn seal_open_round_trip_and_tamper_detection() {
    let key = [7u8; 32];
    let nonce = [9u8; NONCE_LEN];
    for len in [1usize, 15, 16, 17, 4096] {
        let plaintext: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let sealed = seal(&key, &nonce, b"aad", &plaintext);
        assert_eq!(sealed.len(), len + TAG_LEN);
        assert_eq!(open(&key, &nonce, b"aad", &sealed).unwrap(), plaintext);
        assert_eq!(
            open(&key, &nonce, b"aaD", &sealed),
            Err(Error::Authentication)
        );
        assert_eq!(
            open(&[8u8; 32], &nonce, b"aad", &sealed),
            Err(Error::Authentication)
        );
        for bit in [0, len * 8 / 2, (len + TAG_LEN) * 8 - 1] {
            let mut flipped = sealed.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                open(&key, &nonce, b"aad", &flipped),
                Err(Error::Authentication)
            );
        }
    }
}
