use super::*;

const ACCOUNT: &str = "123456789012";
const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

/// A header for `key_id`, followed by 40 bytes of "ciphertext".
fn blob(key_id: &str) -> Vec<u8> {
    let mut out = Vec::new();
    Header {
        account: ACCOUNT,
        key_id,
        material_id: &[3u8; 32],
        nonce: &[4u8; NONCE_LEN],
    }
    .write(&mut out);
    out.extend_from_slice(&[5u8; 40]);
    out
}

#[test]
fn parse_reads_back_what_the_header_wrote() {
    let bytes = blob(KEY_ID);
    assert_eq!(bytes[0], VERSION);
    let header_len = 1 + 1 + 12 + 1 + 36 + 32 + 12;
    assert_eq!(bytes.len(), header_len + 40);
    let envelope = Envelope::parse(&bytes).unwrap();
    assert_eq!(
        envelope.header,
        Header {
            account: ACCOUNT,
            key_id: KEY_ID,
            material_id: &[3u8; 32],
            nonce: &[4u8; NONCE_LEN],
        }
    );
    assert_eq!(envelope.header_bytes, &bytes[..header_len]);
    assert_eq!(envelope.ciphertext, &[5u8; 40][..]);
}

#[test]
fn parse_rejects_every_truncation_and_other_versions() {
    let bytes = blob(KEY_ID);
    let header_len = bytes.len() - 40;
    for cut in 0..header_len + TAG_LEN {
        assert!(Envelope::parse(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut other = bytes;
    other[0] = 2;
    assert!(Envelope::parse(&other).is_err());
    assert!(Envelope::parse(&blob("")).is_err());
}
