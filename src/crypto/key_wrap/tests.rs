//! The shape of wrapped keys and the refusals. RFC 5649's own examples use a 192-bit key,
//! which aws-lc-rs does not offer; Wycheproof's AES-256 vectors (tests/it/wycheproof.rs) check
//! the algorithm.

use super::*;

#[test]
fn wraps_and_unwraps_every_length_up_to_a_few_blocks() {
    let kek = [0x42u8; 32];
    for len in 1usize..=40 {
        let key: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let wrapped = wrap_with_padding(&kek, &key).unwrap();
        assert_eq!(wrapped.len(), len.div_ceil(8) * 8 + 8, "length {len}");
        assert_eq!(unwrap_with_padding(&kek, &wrapped).unwrap(), key);
        let mut altered = wrapped.clone();
        altered[len % wrapped.len()] ^= 1;
        assert_eq!(
            unwrap_with_padding(&kek, &altered),
            Err(Error::Authentication)
        );
        assert_eq!(
            unwrap_with_padding(&[0x43u8; 32], &wrapped),
            Err(Error::Authentication)
        );
    }
}

#[test]
fn refuses_an_empty_key_and_short_input() {
    let kek = [7u8; 32];
    assert_eq!(wrap_with_padding(&kek, &[]), Err(Error::KeyWrapInput));
    for len in [0, 8, 15] {
        assert_eq!(
            unwrap_with_padding(&kek, &vec![0; len]),
            Err(Error::Authentication)
        );
    }
}
