use super::*;
use crate::model::{AccountId, default_policy, is_default_policy};

/// The default policy as AWS writes it, spelled out once more, so that changing how kmsd builds
/// or stores it can never change a byte of what GetKeyPolicy returns.
const DEFAULT_POLICY_111122223333: &str = "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::111122223333:root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}";

fn account(digits: &str) -> AccountId {
    AccountId::parse(digits).unwrap()
}

#[test]
fn the_default_policy_is_aws_text() {
    assert_eq!(
        default_policy(&account("111122223333")),
        DEFAULT_POLICY_111122223333
    );
    check_policy(DEFAULT_POLICY_111122223333, &Quotas::default()).unwrap();
}

#[test]
fn only_the_exact_default_text_of_the_same_account_is_the_default() {
    let own = account("111122223333");
    assert!(is_default_policy(&own, DEFAULT_POLICY_111122223333));
    assert!(!is_default_policy(
        &account("444455556666"),
        DEFAULT_POLICY_111122223333
    ));
    for near in [
        DEFAULT_POLICY_111122223333.replace("key-default-1", "key-default-2"),
        format!("{DEFAULT_POLICY_111122223333}\n"),
        format!(" {DEFAULT_POLICY_111122223333}"),
        DEFAULT_POLICY_111122223333.replace("111122223333", "1111222233334"),
        DEFAULT_POLICY_111122223333.replace("111122223333:root", ":root"),
    ] {
        assert!(!is_default_policy(&own, &near), "{near}");
    }
    assert_eq!(
        KeyPolicy::new(&own, DEFAULT_POLICY_111122223333.into()),
        KeyPolicy::Default
    );
    assert_eq!(
        KeyPolicy::new(&own, "{}".into()),
        KeyPolicy::Document("{}".into())
    );
}
