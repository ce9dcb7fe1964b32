//! `--verify-signatures`: SigV4 checked against the `--identities` secrets. The official SDK
//! with the right and a wrong secret; raw requests signed here (an independent signer, with
//! `hmac` and `sha2`) and then tampered with; AWS's error types and messages.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use kmsd::kms::Enforcement;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::identities::{HOME, OTHER, client_as, server};
use crate::support::raw::RawResponse;
use crate::support::{TestServer, check_error, client_signing};

const WRONG_SIGNATURE: &str = "The request signature we calculated does not match the signature \
                               you provided. Check your AWS Secret Access Key and signing \
                               method. Consult the service documentation for details.";

#[tokio::test]
async fn the_sdk_signing_with_the_right_secret_is_served_and_with_a_wrong_one_refused() {
    let server = server(true, Enforcement::Off).await;
    let admin = client_as(&server, "AKIAADMIN00000000001");
    let key = admin.create_key().send().await.unwrap();
    let arn = key.key_metadata.unwrap().arn.unwrap();
    assert!(arn.contains(&format!(":{HOME}:key/")), "{arn}");
    // Temporary credentials carry their session token, which is checked too.
    let app = client_as(&server, "ASIAAPP0000000000001");
    app.list_keys().send().await.unwrap();
    let endpoint = server.endpoint();
    let wrong = client_signing(
        &endpoint,
        "us-east-1",
        "AKIAADMIN00000000001",
        "not-the-secret",
        None,
    );
    let message = check_error(wrong.list_keys().send().await, "InvalidSignatureException");
    assert_eq!(message, WRONG_SIGNATURE);
    let unknown = client_signing(&endpoint, "us-east-1", "AKIAUNKNOWN000000001", "x", None);
    let message = check_error(
        unknown.list_keys().send().await,
        "UnrecognizedClientException",
    );
    assert_eq!(
        message,
        "The security token included in the request is invalid."
    );
    let wrong_token = client_signing(
        &endpoint,
        "us-east-1",
        "ASIAAPP0000000000001",
        "app-secret",
        Some("another-token"),
    );
    check_error(
        wrong_token.list_keys().send().await,
        "UnrecognizedClientException",
    );
    let no_token = client_signing(
        &endpoint,
        "us-east-1",
        "ASIAAPP0000000000001",
        "app-secret",
        None,
    );
    check_error(
        no_token.list_keys().send().await,
        "UnrecognizedClientException",
    );
    // The admin API and health are not KMS calls: no signature needed.
    assert_eq!(server.admin("GET", "/health", "").await.status, 200);
    server.clock().await;
}

#[tokio::test]
async fn a_request_signed_too_long_before_kmsd_s_clock_has_expired() {
    let server = server(true, Enforcement::Off).await;
    let admin = client_as(&server, "AKIAADMIN00000000001");
    admin.list_keys().send().await.unwrap();
    server.advance(20 * 60).await;
    let message = check_error(admin.list_keys().send().await, "InvalidSignatureException");
    assert!(
        message.starts_with("Signature expired: ") && message.ends_with(" - 15 min.)"),
        "{message}"
    );
}

/// A request signed here, for the admin identity, that can be changed before it is sent.
struct Signed {
    headers: Vec<(String, String)>,
    body: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], message: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Signs `body` for ListKeys at `at` (`yyyymmddThhmmssZ`) in `region` as SigV4 says.
fn sign(server: &TestServer, body: &str, at: &str, region: &str) -> Signed {
    let host = server.addr.to_string();
    let target = "TrentService.ListKeys";
    let content_type = "application/x-amz-json-1.1";
    let canonical = format!(
        "POST\n/\n\ncontent-type:{content_type}\nhost:{host}\nx-amz-date:{at}\nx-amz-target:{target}\n\ncontent-type;host;x-amz-date;x-amz-target\n{}",
        hex(&Sha256::digest(body.as_bytes()))
    );
    let date = &at[..8];
    let scope = format!("{date}/{region}/kms/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{at}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = format!("AWS4{}", "admin-secret").into_bytes();
    for part in [date, region, "kms", "aws4_request"] {
        key = hmac(&key, part);
    }
    let signature = hex(&hmac(&key, &to_sign));
    Signed {
        headers: vec![
            ("Host".into(), host),
            ("Content-Type".into(), content_type.into()),
            ("X-Amz-Date".into(), at.into()),
            ("X-Amz-Target".into(), target.into()),
            (
                "Authorization".into(),
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIAADMIN00000000001/{scope}, \
                     SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
                     Signature={signature}"
                ),
            ),
        ],
        body: body.into(),
    }
}

impl Signed {
    fn set(&mut self, name: &str, value: &str) {
        for (n, v) in &mut self.headers {
            if n == name {
                *v = value.to_owned();
            }
        }
    }

    fn remove(&mut self, name: &str) {
        self.headers.retain(|(n, _)| n != name);
    }

    async fn send(&self, server: &TestServer) -> (u16, serde_json::Value) {
        let mut head = String::from("POST / HTTP/1.1\r\nConnection: close\r\n");
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(self.body.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let response = RawResponse::parse(&raw);
        (response.status, response.json())
    }
}

/// Now as SigV4 writes it, `minutes` ago.
fn amz_date(minutes_ago: u64) -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - minutes_ago * 60;
    let text = kmsd::model::Timestamp(secs * 1000).rfc3339();
    format!(
        "{}{}{}T{}{}{}Z",
        &text[0..4],
        &text[5..7],
        &text[8..10],
        &text[11..13],
        &text[14..16],
        &text[17..19]
    )
}

#[tokio::test]
async fn raw_requests_signed_and_then_tampered_with_are_refused() {
    let server = server(true, Enforcement::Off).await;
    let now = amz_date(0);
    let good = sign(&server, "{}", &now, "us-east-1");
    let (status, body) = good.send(&server).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["Keys"].is_array());

    let expect = |(status, body): (u16, serde_json::Value), code: &str| {
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["__type"], code, "{body}");
        body["message"].as_str().unwrap_or_default().to_owned()
    };
    // The body, a signed header, the date, the region: each changes what was signed.
    let mut tampered = sign(&server, "{}", &now, "us-east-1");
    tampered.body = r#"{"Limit":1}"#.into();
    let message = expect(tampered.send(&server).await, "InvalidSignatureException");
    assert_eq!(message, WRONG_SIGNATURE);
    let mut tampered = sign(&server, "{}", &now, "us-east-1");
    tampered.set("Content-Type", "application/x-amz-json-1.0");
    expect(tampered.send(&server).await, "InvalidSignatureException");
    let mut tampered = sign(&server, "{}", &now, "us-east-1");
    tampered.set("X-Amz-Date", &amz_date(1));
    expect(tampered.send(&server).await, "InvalidSignatureException");
    let mut tampered = sign(&server, "{}", &now, "us-east-1");
    let authorization = tampered.headers[4].1.replace("/us-east-1/", "/eu-west-1/");
    tampered.set("Authorization", &authorization);
    expect(tampered.send(&server).await, "InvalidSignatureException");

    // A date outside the 15 minutes, correctly signed.
    let old = sign(&server, "{}", &amz_date(16), "us-east-1");
    let message = expect(old.send(&server).await, "InvalidSignatureException");
    assert!(message.starts_with("Signature expired: "), "{message}");
    // A date that is not the credential scope's.
    let mut other_day = sign(&server, "{}", &now, "us-east-1");
    let authorization =
        other_day.headers[4]
            .1
            .replacen(&format!("/{}/", &now[..8]), "/20200101/", 1);
    other_day.set("Authorization", &authorization);
    let message = expect(other_day.send(&server).await, "InvalidSignatureException");
    assert!(
        message.starts_with("Date in Credential scope does not match"),
        "{message}"
    );
    // Another service.
    let mut other_service = sign(&server, "{}", &now, "us-east-1");
    let authorization = other_service.headers[4].1.replace("/kms/", "/s3/");
    other_service.set("Authorization", &authorization);
    let message = expect(
        other_service.send(&server).await,
        "InvalidSignatureException",
    );
    assert!(message.contains("correct service: 'kms'"), "{message}");

    // No signature at all, and a signature without its parts.
    let mut unsigned = sign(&server, "{}", &now, "us-east-1");
    unsigned.remove("Authorization");
    let message = expect(
        unsigned.send(&server).await,
        "MissingAuthenticationTokenException",
    );
    assert_eq!(message, "Missing Authentication Token");
    let mut incomplete = sign(&server, "{}", &now, "us-east-1");
    incomplete.set(
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAADMIN00000000001/20200101/us-east-1/kms/aws4_request",
    );
    let message = expect(
        incomplete.send(&server).await,
        "IncompleteSignatureException",
    );
    assert!(
        message.starts_with(
            "Authorization header requires 'Signature' parameter. Authorization header \
             requires 'SignedHeaders' parameter."
        ),
        "{message}"
    );
}

#[tokio::test]
async fn without_verification_the_identity_still_names_the_caller_and_its_account() {
    let server = server(false, Enforcement::Off).await;
    // Any secret is taken, but the access key decides the account.
    let partner = client_signing(
        &server.endpoint(),
        "us-east-1",
        "AKIAOTHER00000000001",
        "whatever",
        None,
    );
    let key = partner.create_key().send().await.unwrap();
    let arn = key.key_metadata.unwrap().arn.unwrap();
    assert!(arn.contains(&format!(":{OTHER}:key/")), "{arn}");
    // Unchecked, an Authorization header only has to name the access key.
    let mut bare = sign(&server, "{}", &amz_date(0), "us-east-1");
    bare.set(
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAOTHER00000000001/20200101/eu-west-1/kms/aws4_request",
    );
    bare.remove("X-Amz-Date");
    let (status, body) = bare.send(&server).await;
    assert_eq!(status, 200, "{body}");
    let unknown = client_signing(&server.endpoint(), "us-east-1", "AKIANOBODY", "x", None);
    check_error(
        unknown.list_keys().send().await,
        "UnrecognizedClientException",
    );
}
