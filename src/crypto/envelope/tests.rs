use super::*;

fn sample() -> Envelope {
    Envelope {
        account: "123456789012".into(),
        key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(),
        material_id: [3u8; 32],
        nonce: [4u8; NONCE_LEN],
        ciphertext: vec![5u8; 40],
    }
}

#[test]
fn parse_inverts_to_bytes() {
    let env = sample();
    let bytes = env.to_bytes();
    assert_eq!(bytes[0], VERSION);
    assert_eq!(bytes.len(), 1 + 1 + 12 + 1 + 36 + 32 + 12 + 40);
    assert_eq!(Envelope::parse(&bytes).unwrap(), env);
}

#[test]
fn parse_rejects_every_truncation_and_other_versions() {
    let bytes = sample().to_bytes();
    let header_len = sample().header().len();
    for cut in 0..header_len + TAG_LEN {
        assert!(Envelope::parse(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut other = bytes;
    other[0] = 2;
    assert!(Envelope::parse(&other).is_err());
    let mut empty_id = sample();
    empty_id.key_id.clear();
    assert!(Envelope::parse(&empty_id.to_bytes()).is_err());
}
