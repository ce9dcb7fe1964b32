use super::*;
use crate::model::{AccountId, KeyId, Region, Scope};

fn arn() -> KeyArn {
    KeyArn {
        scope: Scope {
            account: AccountId::parse("111122223333").unwrap(),
            region: Region::parse("eu-west-1").unwrap(),
        },
        key_id: KeyId::parse("1234abcd-12ab-34cd-56ef-1234567890ab").unwrap(),
    }
}

#[test]
fn tokens_name_their_grant_and_differ_each_time() {
    let id = hex64(&random_array());
    let (first, second) = (token(&arn(), &id), token(&arn(), &id));
    assert_ne!(first, second, "every CreateGrant returns a new token");
    for t in [first, second] {
        let (parsed_arn, parsed_id) = parse_token(&t).unwrap();
        assert_eq!(parsed_arn.to_string(), arn().to_string());
        assert_eq!(parsed_id, id);
    }
}

#[test]
fn foreign_and_damaged_tokens_are_refused() {
    let id = hex64(&random_array());
    let good = token(&arn(), &id);
    assert!(parse_token("not base64!").is_none());
    assert!(parse_token(&B64.encode("some other token")).is_none());
    // A token whose grant id is not one.
    let bad_id = B64.encode(format!("{TOKEN_PREFIX}{}\nabc\n00", arn()));
    assert!(parse_token(&bad_id).is_none());
    // One more field than a token has.
    let decoded = String::from_utf8(B64.decode(&good).unwrap()).unwrap();
    assert!(parse_token(&B64.encode(format!("{decoded}\nextra"))).is_none());
}

#[test]
fn grant_ids_are_64_lowercase_hex_digits() {
    assert!(is_grant_id(&hex64(&random_array())));
    assert!(!is_grant_id(&"A".repeat(64)));
    assert!(!is_grant_id(&"a".repeat(63)));
    assert!(!is_grant_id(""));
}

#[test]
fn pages_carry_a_marker_only_when_more_follow() {
    let items = || (0..5).map(|i| (i.to_string(), i));
    let page = page_of(items(), 2, |i| i * 10);
    assert_eq!(page.items, vec![0, 10]);
    assert_eq!(page.next_marker.as_deref(), Some("1"));
    let page = page_of(items(), 5, |i| i);
    assert_eq!(page.items.len(), 5);
    assert_eq!(page.next_marker, None);
}
