//! RFC 4231 test vectors: an independent check of every HMAC kmsd computes.

use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn rfc4231_test_case_2() {
    let key = b"Jefe";
    let data = b"what do ya want for nothing?";
    let cases = [
        (
            MacHash::Sha224,
            "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
        ),
        (
            MacHash::Sha256,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            MacHash::Sha384,
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
        ),
        (
            MacHash::Sha512,
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
        ),
    ];
    for (hash, expected) in cases {
        let tag = generate(hash, key, data);
        assert_eq!(tag, hex(expected), "{hash:?}");
        assert!(verify(hash, key, data, &tag));
        let mut bad = tag.clone();
        bad[0] ^= 1;
        assert!(!verify(hash, key, data, &bad));
        assert!(!verify(hash, key, b"other data", &tag));
    }
}

#[test]
fn rfc4231_test_case_6_key_longer_than_block() {
    let key = vec![0xaa; 131];
    let data = b"Test Using Larger Than Block-Size Key - Hash Key First";
    assert_eq!(
        generate(MacHash::Sha256, &key, data),
        hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    );
}
