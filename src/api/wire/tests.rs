use super::*;
use crate::model::KeySpec;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Sample {
    key_spec: Option<EnumMember<KeySpec>>,
    blob: Option<Base64Blob>,
}

#[test]
fn enum_members_keep_unknown_spellings_for_validation() {
    let s: Sample = serde_json::from_str(r#"{"KeySpec":"RSA_2048"}"#).unwrap();
    assert_eq!(known(s.key_spec.as_ref()), Some(KeySpec::Rsa2048));
    let s: Sample = serde_json::from_str(r#"{"KeySpec":"RSA2048"}"#).unwrap();
    assert_eq!(known(s.key_spec.as_ref()), None);
    let mut v = Validator::default();
    v.enumeration("keySpec", s.key_spec.as_ref(), false);
    let message = v.finish().unwrap_err().message.unwrap();
    assert!(message.starts_with(
        "1 validation error detected: Value 'RSA2048' at 'keySpec' failed to satisfy constraint: \
         Member must satisfy enum value set: [RSA_2048, RSA_3072,"
    ));
    assert!(serde_json::from_str::<Sample>(r#"{"KeySpec":5}"#).is_err());
}

#[test]
fn blobs_are_base64_and_debug_hides_them() {
    let s: Sample = serde_json::from_str(r#"{"Blob":"c2VjcmV0"}"#).unwrap();
    let blob = s.blob.unwrap();
    assert_eq!(blob.0, b"secret");
    assert_eq!(format!("{blob:?}"), "Base64Blob(<6 bytes>)");
    assert_eq!(to_json(&blob), br#""c2VjcmV0""#);
    assert!(serde_json::from_str::<Sample>(r#"{"Blob":"not base64!"}"#).is_err());
}

/// Blobs are encoded with SIMD base64 (in blocks): every length, across block boundaries and
/// padding, gives the text the `base64` crate gives, and reads back.
#[test]
fn blobs_of_every_length_encode_to_their_base64() {
    for len in (0..100).chain([767, 768, 769, 1023, 1024, 1025, 4096, 6145, 70_000]) {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
        let json = to_json(&Base64Blob(bytes.clone()));
        assert_eq!(
            json,
            format!("\"{}\"", B64.encode(&bytes)).into_bytes(),
            "{len}"
        );
        let back: Base64Blob = serde_json::from_slice(&json).unwrap();
        assert_eq!(back.0, bytes);
    }
}

/// The blob reader takes exactly what the `base64` crate's strict standard engine takes:
/// padding required, no whitespace, no bits set past the last byte.
#[test]
fn blobs_refuse_what_strict_base64_refuses() {
    let texts = [
        "",
        "QQ==",
        "QQ",
        "QR==",
        "QUI=",
        "QUJ=",
        "QUJD",
        "QUJD=",
        "Q===",
        "QUJD\\n",
        "QU JD",
        "QUJD QUJD",
        "-_-_",
        "+/+/",
        "QUJDRA==",
        "QUJDRA=",
        "=QUJD",
        "QUJD\\u0041QQ==",
    ];
    for text in texts {
        let json = format!("{{\"Blob\":\"{text}\"}}");
        let ours = serde_json::from_str::<Sample>(&json).map(|s| s.blob.unwrap().0);
        let unescaped: String = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        let theirs = B64.decode(unescaped.as_bytes());
        match (ours, theirs) {
            (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs, "{text}"),
            (Err(_), Err(_)) => {}
            (ours, theirs) => panic!("{text:?}: ours {ours:?}, base64 crate {theirs:?}"),
        }
    }
}

#[test]
fn validation_messages_follow_aws() {
    let mut v = Validator::default();
    v.key_id("keyId", None, true);
    assert_eq!(
        v.finish().unwrap_err().message.unwrap(),
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"
    );
    let mut v = Validator::default();
    v.range("numberOfBytes", Some(1025), 1, 1024, false);
    v.sensitive_blob("plaintext", Some(&Base64Blob(vec![0; 4097])), 1, 4096, true);
    assert_eq!(
        v.finish().unwrap_err().message.unwrap(),
        "2 validation errors detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: \
         Member must have value less than or equal to 1024; Value at 'plaintext' failed to satisfy \
         constraint: Member must have length less than or equal to 4096"
    );
    let mut v = Validator::default();
    v.string("keyId", Some(""), 1, 2048, true);
    v.paging(Some(1), Some("m"));
    assert_eq!(
        v.finish().unwrap_err().message.unwrap(),
        "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    assert!(Validator::default().finish().is_ok());
}

#[test]
fn epoch_seconds_keep_milliseconds() {
    assert_eq!(
        to_json(&EpochSeconds::from(Timestamp(1_700_000_000_123))),
        b"1700000000.123"
    );
}

#[test]
fn region_names_follow_the_model_pattern() {
    for good in ["us-east-1", "eu-west-1", "us-gov-west-1", "ap-southeast-22"] {
        assert!(super::is_region_name(good), "{good}");
    }
    for bad in [
        "moon",
        "us-east",
        "us-east-1a",
        "US-east-1",
        "us--east-1",
        "a-b-c-d-1",
        "-east-1",
        "",
    ] {
        assert!(!super::is_region_name(bad), "{bad}");
    }
}
