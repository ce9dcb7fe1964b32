use super::*;

fn account(id: &str) -> AccountId {
    AccountId::parse(id).unwrap()
}

fn principal(arn: &str) -> Principal {
    Principal {
        arn: arn.to_owned(),
        account: principal_account(arn).unwrap(),
    }
}

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn request<'a>(principal: &'a Principal, action: &'a str, values: &'a Values) -> Request<'a> {
    Request {
        principal,
        action,
        resource: KEY,
        values,
    }
}

/// The effect of a one-statement identity policy `Allow kms:Decrypt` with `condition` for
/// the request's `values`.
fn condition_allows(condition: &str, values: &Values) -> bool {
    let text = format!(
        r#"{{"Statement":{{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{condition}}}}}"#
    );
    let policy = Policy::parse_identity_policy(&text).unwrap();
    let caller = principal("arn:aws:iam::111122223333:role/App");
    policy
        .allowing(&request(&caller, "kms:Decrypt", values))
        .is_some()
}

fn values(pairs: &[(&str, &str)]) -> Values {
    let mut v = Values::default();
    for (k, val) in pairs {
        v.set(k, *val);
    }
    v
}

#[test]
fn principals_match_the_caller_its_role_or_its_account() {
    let session = principal("arn:aws:sts::111122223333:assumed-role/App/i-0abc");
    assert!(session.is_named_by("arn:aws:iam::111122223333:role/App"));
    assert!(session.is_named_by("arn:aws:sts::111122223333:assumed-role/App/i-0abc"));
    assert!(session.is_named_by("*"));
    assert!(!session.is_named_by("arn:aws:iam::111122223333:role/Other"));
    assert!(session.is_account_entry("111122223333"));
    assert!(session.is_account_entry("arn:aws:iam::111122223333:root"));
    assert!(!session.is_account_entry("arn:aws:iam::444455556666:root"));
    assert_eq!(
        session.principal_arn(),
        "arn:aws:iam::111122223333:role/App"
    );
    assert!(!session.is_root());
    assert!(Principal::root(&account("111122223333")).is_root());
}

#[test]
fn key_policies_need_principals_and_identity_policies_refuse_them() {
    let no_principal = r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;
    assert!(Policy::parse_key_policy(no_principal).is_err());
    assert!(Policy::parse_identity_policy(no_principal).is_ok());
    let with_principal =
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}"#;
    assert!(Policy::parse_key_policy(with_principal).is_ok());
    assert!(Policy::parse_identity_policy(with_principal).is_err());
    assert!(Policy::parse_key_policy(r#"{"Statement":[]}"#).is_ok());
}

#[test]
fn malformed_documents_say_why() {
    for (text, why) in [
        ("[]", "must be a JSON object"),
        ("{}", "with a Statement"),
        (r#"{"Version":"2020-01-01","Statement":[]}"#, "Version"),
        (r#"{"Statement":[],"Extra":1}"#, "Extra"),
        (
            r#"{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"kms:*","Resource":"*"}]}"#,
            "Effect",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Resource":"*"}]}"#,
            "Action",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*"}]}"#,
            "Resource",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringSortOf":{"a":"b"}}}]}"#,
            "StringSortOf",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Robot":"x"},"Action":"kms:*","Resource":"*"}]}"#,
            "Robot",
        ),
    ] {
        let e = Policy::parse_key_policy(text).unwrap_err();
        assert!(e.0.contains(why), "{text}: {e}");
    }
}

#[test]
fn actions_match_with_wildcards_and_any_case_and_not_action_excludes() {
    let policy = Policy::parse_identity_policy(
        r#"{"Statement":[
            {"Effect":"Allow","Action":["kms:Encrypt","kms:GenerateDataKey*","KMS:describe?ey"],"Resource":"*"},
            {"Sid":"NoDelete","Effect":"Deny","NotAction":["kms:Encrypt","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}
        ]}"#,
    )
    .unwrap();
    let caller = principal("arn:aws:iam::111122223333:user/alice");
    let none = Values::default();
    for action in [
        "kms:Encrypt",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:DescribeKey",
    ] {
        let r = request(&caller, action, &none);
        assert!(policy.allowing(&r).is_some(), "{action}");
        assert!(policy.denying(&r).is_none(), "{action}");
    }
    let r = request(&caller, "kms:ScheduleKeyDeletion", &none);
    assert!(policy.allowing(&r).is_none());
    assert_eq!(
        policy.denying(&r).and_then(|s| s.sid.as_deref()),
        Some("NoDelete")
    );
}

#[test]
fn resources_match_arns_with_wildcards() {
    let policy = Policy::parse_identity_policy(
        r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:key/*"}}"#,
    )
    .unwrap();
    let caller = principal("arn:aws:iam::111122223333:user/alice");
    let none = Values::default();
    assert!(
        policy
            .allowing(&request(&caller, "kms:Decrypt", &none))
            .is_some()
    );
    let elsewhere = Request {
        resource: "arn:aws:kms:eu-west-1:111122223333:key/x",
        ..request(&caller, "kms:Decrypt", &none)
    };
    assert!(policy.allowing(&elsewhere).is_none());
}

#[test]
fn key_policy_statements_name_the_caller_or_its_account() {
    let policy = Policy::parse_key_policy(
        r#"{"Statement":[
            {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
            {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/App"]},"Action":"kms:Decrypt","Resource":"*"}
        ]}"#,
    )
    .unwrap();
    let none = Values::default();
    let session = principal("arn:aws:sts::111122223333:assumed-role/App/s");
    let other = principal("arn:aws:iam::111122223333:user/bob");
    let stranger = principal("arn:aws:iam::444455556666:user/eve");
    let matched =
        |p: &Principal, action: &str| policy.allowing(&request(p, action, &none)).map(|(_, m)| m);
    assert_eq!(matched(&session, "kms:Decrypt"), Some(Match::Direct));
    assert_eq!(matched(&session, "kms:Encrypt"), Some(Match::Account));
    assert_eq!(matched(&other, "kms:Decrypt"), Some(Match::Account));
    assert_eq!(matched(&stranger, "kms:Decrypt"), None);
}

#[test]
fn string_operators_and_absent_keys() {
    let ctx = values(&[("kms:EncryptionContext:Department", "IT")]);
    let none = Values::default();
    let eq = r#"{"StringEquals":{"kms:EncryptionContext:Department":"IT"}}"#;
    assert!(condition_allows(eq, &ctx));
    assert!(!condition_allows(eq, &none));
    let ne = r#"{"StringNotEquals":{"kms:EncryptionContext:Department":"HR"}}"#;
    assert!(condition_allows(ne, &ctx));
    assert!(
        condition_allows(ne, &none),
        "a negated operator holds for an absent key"
    );
    let like = r#"{"StringLike":{"kms:EncryptionContext:Department":["H*","I?"]}}"#;
    assert!(condition_allows(like, &ctx));
    let not_like = r#"{"StringNotLike":{"kms:EncryptionContext:Department":"I*"}}"#;
    assert!(!condition_allows(not_like, &ctx));
    let ignore_case = r#"{"StringEqualsIgnoreCase":{"kms:encryptioncontext:department":"it"}}"#;
    assert!(condition_allows(ignore_case, &ctx));
    let if_exists = r#"{"StringEqualsIfExists":{"kms:EncryptionContext:Department":"HR"}}"#;
    assert!(condition_allows(if_exists, &none));
    assert!(!condition_allows(if_exists, &ctx));
    let null = r#"{"Null":{"kms:EncryptionContext:Department":"true"}}"#;
    assert!(condition_allows(null, &none));
    assert!(!condition_allows(null, &ctx));
}

#[test]
fn set_qualifiers_over_multivalued_keys() {
    let mut keys = Values::default();
    keys.set_many(
        "kms:EncryptionContextKeys",
        ["Department".to_owned(), "Project".to_owned()],
    );
    let none = Values::default();
    let all = r#"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Department","Project","Team"]}}"#;
    assert!(condition_allows(all, &keys));
    assert!(
        condition_allows(all, &none),
        "ForAllValues holds for an absent key"
    );
    let all_narrow =
        r#"{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Department"]}}"#;
    assert!(!condition_allows(all_narrow, &keys));
    let any = r#"{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"Project"}}"#;
    assert!(condition_allows(any, &keys));
    assert!(!condition_allows(any, &none));
    let any_not = r#"{"ForAnyValue:StringNotEquals":{"kms:EncryptionContextKeys":"Project"}}"#;
    assert!(condition_allows(any_not, &keys));
}

#[test]
fn numeric_date_bool_ip_and_arn_operators() {
    let v = values(&[
        ("kms:ScheduleKeyDeletionPendingWindowInDays", "7"),
        ("aws:CurrentTime", "2026-12-03T05:00:00.000Z"),
        ("kms:GrantIsForAWSResource", "false"),
        ("aws:SourceIp", "127.0.0.1"),
        ("aws:PrincipalArn", "arn:aws:iam::111122223333:role/App"),
    ]);
    for (condition, expected) in [
        (
            r#"{"NumericGreaterThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"7"}}"#,
            true,
        ),
        (
            r#"{"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":7}}"#,
            false,
        ),
        (
            r#"{"NumericNotEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":30}}"#,
            true,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}"#,
            true,
        ),
        (
            r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-12-04"}}"#,
            false,
        ),
        (
            r#"{"DateGreaterThan":{"aws:CurrentTime":"1764700000"}}"#,
            true,
        ),
        (r#"{"Bool":{"kms:GrantIsForAWSResource":false}}"#, true),
        (r#"{"Bool":{"kms:GrantIsForAWSResource":"true"}}"#, false),
        (r#"{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}"#, true),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}"#,
            true,
        ),
        (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, false),
        (
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/App"}}"#,
            true,
        ),
        (
            r#"{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/App"}}"#,
            false,
        ),
    ] {
        assert_eq!(condition_allows(condition, &v), expected, "{condition}");
    }
}

#[test]
fn every_condition_of_a_statement_must_hold() {
    let both = r#"{"StringEquals":{"kms:EncryptionAlgorithm":"SYMMETRIC_DEFAULT","kms:CallerAccount":"111122223333"}}"#;
    let v = values(&[
        ("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT"),
        ("kms:CallerAccount", "111122223333"),
    ]);
    assert!(condition_allows(both, &v));
    let other = values(&[
        ("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT"),
        ("kms:CallerAccount", "444455556666"),
    ]);
    assert!(!condition_allows(both, &other));
}

#[test]
fn wildcards() {
    use super::policy::glob;
    assert!(glob("*", ""));
    assert!(glob("a*c", "abbbc"));
    assert!(glob("a?c", "abc"));
    assert!(!glob("a?c", "ac"));
    assert!(glob("*b*", "abc"));
    assert!(!glob("abc", "abcd"));
    assert!(glob("a*b*c", "aXbYbZc"));
}
