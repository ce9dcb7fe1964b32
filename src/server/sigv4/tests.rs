use super::*;
use axum::http::HeaderValue;

fn with_authorization(value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
    headers
}

#[test]
fn the_credential_scope_is_found_first_or_anywhere_in_the_header() {
    let sdk = "AWS4-HMAC-SHA256 Credential=111122223333/20261129/eu-west-1/kms/aws4_request, \
               SignedHeaders=host;x-amz-date, Signature=abc";
    assert_eq!(
        credential_scope(&with_authorization(sdk)),
        Some("111122223333/20261129/eu-west-1/kms/aws4_request")
    );
    // Another order of the parts, or extra spaces, still finds it.
    let reordered = "AWS4-HMAC-SHA256 SignedHeaders=host, Credential=AKID/20261129/us-east-2/kms/aws4_request Signature=abc";
    assert_eq!(
        credential_scope(&with_authorization(reordered)),
        Some("AKID/20261129/us-east-2/kms/aws4_request")
    );
    assert_eq!(credential_scope(&with_authorization("Bearer token")), None);
    assert_eq!(credential_scope(&HeaderMap::new()), None);
}

#[test]
fn the_caller_is_the_access_key_and_the_scope_its_account_and_region() {
    let home = Scope {
        account: AccountId::parse("123456789012").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    };
    let numeric = "AWS4-HMAC-SHA256 Credential=111122223333/20261129/eu-west-1/kms/aws4_request, \
                   SignedHeaders=host, Signature=abc";
    let (scope, caller) = super::caller(&with_authorization(numeric), &home);
    assert_eq!(scope.account.as_str(), "111122223333");
    assert_eq!(scope.region.as_str(), "eu-west-1");
    assert_eq!(caller.access_key_id.as_deref(), Some("111122223333"));
    let named = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-west-2/kms/aws4_request";
    let (scope, caller) = super::caller(&with_authorization(named), &home);
    assert_eq!(scope.account, home.account);
    assert_eq!(scope.region.as_str(), "us-west-2");
    assert_eq!(caller.access_key_id.as_deref(), Some("AKIDEXAMPLE"));
    let (scope, caller) = super::caller(&HeaderMap::new(), &home);
    assert_eq!(scope, home);
    assert_eq!(caller.access_key_id, None);
}
