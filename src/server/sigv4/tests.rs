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

/// AWS's SigV4 test suite, as data (`tests/data/sigv4_suite.txt` says how it is written).
const SUITE: &str = include_str!("../../../tests/data/sigv4_suite.txt");

struct SuiteCase {
    name: String,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: String,
    canonical: String,
    signature: Option<String>,
}

fn suite() -> Vec<SuiteCase> {
    let mut cases = Vec::new();
    for block in SUITE.split("\n=== ").skip(1) {
        let mut lines = block.lines();
        let name = lines.next().unwrap().to_owned();
        let (mut request, mut canonical, mut signature) = (Vec::new(), Vec::new(), None);
        for line in lines {
            if let Some(rest) = line.strip_prefix('>') {
                request.push(rest.strip_prefix(' ').unwrap_or(rest));
            } else if let Some(rest) = line.strip_prefix('<') {
                canonical.push(rest.strip_prefix(' ').unwrap_or(rest));
            } else if let Some(sig) = line.strip_prefix("signature ") {
                signature = Some(sig.to_owned());
            }
        }
        let request_line = request[0].strip_suffix(" HTTP/1.1").unwrap();
        let (method, target) = request_line.split_once(' ').unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let blank = request.iter().position(|l| l.is_empty()).unwrap();
        let headers = request[1..blank]
            .iter()
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.to_owned(), v.to_owned())
            })
            .collect();
        cases.push(SuiteCase {
            name,
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: request[blank + 1..].join("\n"),
            canonical: canonical.join("\n"),
            signature,
        });
    }
    cases
}

#[test]
fn aws_sigv4_test_suite_canonical_requests_and_signatures() {
    let cases = suite();
    assert_eq!(cases.len(), 29, "every case of the data file is read");
    let key = signing_key(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "20150830",
        "us-east-1",
        "service",
    );
    let mut signed = 0;
    for case in &cases {
        // The names the suite signed are the canonical request's second-to-last line.
        let signed_names = case.canonical.lines().rev().nth(1).unwrap();
        let headers: Vec<(&str, Vec<&[u8]>)> = signed_names
            .split(';')
            .map(|name| {
                let values = case
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_bytes())
                    .collect();
                (name, values)
            })
            .collect();
        let canonical = canonical_request(
            &case.method,
            &case.path,
            &case.query,
            &headers,
            case.body.as_bytes(),
        );
        assert_eq!(canonical, case.canonical, "{}", case.name);
        if let Some(expected) = &case.signature {
            let to_sign = string_to_sign(
                "20150830T123600Z",
                "20150830/us-east-1/service/aws4_request",
                &canonical,
            );
            let signature = hex(&mac::generate(MacHash::Sha256, &key, to_sign.as_bytes()));
            assert_eq!(&signature, expected, "{}", case.name);
            signed += 1;
        }
    }
    assert_eq!(signed, 27);
}

#[test]
fn amz_dates_round_trip() {
    let at = parse_amz_date("20150830T123600Z").unwrap();
    assert_eq!(amz_date(at), "20150830T123600Z");
    assert_eq!(parse_amz_date("2015-08-30T12:36:00Z"), None);
}
