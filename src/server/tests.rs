use super::*;

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
