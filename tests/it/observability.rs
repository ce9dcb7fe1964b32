//! Logs, the audit trail and graceful shutdown, through the `kmsd` binary.

use std::io::{Read, Write};

use aws_sdk_kms::primitives::Blob;

use crate::support::process::Running;
use crate::support::{check_error, client_at};

const SECRET: &[u8] = b"TOP-SECRET-PLAINTEXT-7f3a";

/// Every way the secret could appear in text: raw, and base64 as the wire carries it.
fn leaks_secret(text: &str) -> bool {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(SECRET);
    text.contains(std::str::from_utf8(SECRET).unwrap()) || text.contains(&b64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_records_calls_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let server = Running::start(
        dir.path(),
        &[
            "--in-memory",
            "--port",
            "0",
            "--rsa-pool-size",
            "0",
            "--audit-log",
            audit.to_str().unwrap(),
        ],
    );
    let client = client_at(&server.endpoint(), "eu-west-1", "111122223333");
    let key = client
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let blob = client
        .encrypt()
        .key_id(&key.key_id)
        .plaintext(Blob::new(SECRET))
        .encryption_context("department", "finance")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    client
        .decrypt()
        .ciphertext_blob(blob)
        .encryption_context("department", "finance")
        .send()
        .await
        .unwrap();
    check_error(
        client.describe_key().key_id("alias/missing").send().await,
        "NotFoundException",
    );
    // Records are written before the response is sent: the file is complete now.
    let text = std::fs::read_to_string(&audit).unwrap();
    server.kill();
    assert!(
        !leaks_secret(&text),
        "the audit log holds the plaintext:\n{text}"
    );
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = records
        .iter()
        .map(|r| r["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["CreateKey", "Encrypt", "Decrypt", "DescribeKey"]);
    let arn = key.arn.unwrap();
    let encrypt = &records[1];
    assert_eq!(encrypt["eventSource"], "kms.amazonaws.com");
    assert_eq!(encrypt["awsRegion"], "eu-west-1");
    assert_eq!(encrypt["sourceIPAddress"], "127.0.0.1");
    assert!(
        encrypt["userAgent"]
            .as_str()
            .unwrap()
            .contains("aws-sdk-rust")
    );
    assert_eq!(encrypt["userIdentity"]["accessKeyId"], "111122223333");
    assert_eq!(encrypt["userIdentity"]["accountId"], "111122223333");
    assert_eq!(encrypt["recipientAccountId"], "111122223333");
    assert_eq!(encrypt["resources"][0]["ARN"], arn.as_str());
    assert_eq!(encrypt["resources"][0]["type"], "AWS::KMS::Key");
    assert_eq!(encrypt["requestParameters"]["keyId"], key.key_id.as_str());
    assert_eq!(
        encrypt["requestParameters"]["encryptionContext"]["department"],
        "finance"
    );
    assert!(encrypt["requestParameters"].get("plaintext").is_none());
    assert!(encrypt.get("errorCode").is_none());
    let time = encrypt["eventTime"].as_str().unwrap();
    assert!(time.ends_with('Z') && time.len() == 24, "{time}");
    assert!(uuid::Uuid::parse_str(encrypt["requestID"].as_str().unwrap()).is_ok());
    // The decrypt record names the key even though the request did not.
    assert_eq!(records[2]["resources"][0]["ARN"], arn.as_str());
    assert!(
        records[2]["requestParameters"]
            .get("ciphertextBlob")
            .is_none()
    );
    let failed = &records[3];
    assert_eq!(failed["errorCode"], "NotFoundException");
    assert_eq!(
        failed["errorMessage"],
        "Alias arn:aws:kms:eu-west-1:111122223333:alias/missing is not found."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_lines_carry_the_call_and_never_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Running::start(
        dir.path(),
        &[
            "--in-memory",
            "--port",
            "0",
            "--rsa-pool-size",
            "0",
            "--log-format",
            "json",
        ],
    );
    let client = client_at(&server.endpoint(), "eu-west-1", "AKIDEXAMPLE");
    let key = client
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    client
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(SECRET))
        .send()
        .await
        .unwrap();
    check_error(
        client
            .encrypt()
            .key_id("alias/none")
            .plaintext(Blob::new(SECRET))
            .send()
            .await,
        "NotFoundException",
    );
    let mut lines = vec![server.wait_for("\"op\":\"CreateKey\"")];
    lines.push(server.wait_for("\"op\":\"Encrypt\""));
    lines.push(server.wait_for("\"op\":\"Encrypt\""));
    server.kill();
    for line in &lines {
        assert!(!leaks_secret(line), "{line}");
    }
    let ok: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(ok["level"], "INFO");
    assert_eq!(ok["fields"]["status"], 200);
    assert_eq!(ok["fields"]["key_id"], key.as_str());
    assert_eq!(ok["fields"]["account"], "123456789012");
    assert_eq!(ok["fields"]["region"], "eu-west-1");
    assert!(ok["fields"]["ms"].as_f64().unwrap() >= 0.0);
    let failed: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    assert_eq!(failed["fields"]["status"], 400);
    assert_eq!(failed["fields"]["error"], "NotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let args = ["--data-dir", data, "--port", "0", "--rsa-pool-size", "0"];
    let mut server = Running::start_logging(dir.path(), &args, "kmsd=debug");

    // Send the headers and half of a CreateKey body, so the request is in flight ...
    let body = br#"{"Description":"made during shutdown"}"#;
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: TrentService.CreateKey\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n",
        server.addr,
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..10]).unwrap();
    server.wait_for("request received");
    // ... then SIGTERM, and only once kmsd has seen it, the rest of the body.
    server.terminate();
    server.wait_for("SIGTERM");
    stream.write_all(&body[10..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let key_id = response
        .split("\"KeyId\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let status = server.wait();
    assert!(status.success(), "kmsd exited with {status}");

    // The key it acknowledged is on disk (unsigned requests act in the default region).
    let server = Running::start(dir.path(), &args);
    let client = client_at(&server.endpoint(), "us-east-1", "AKIDEXAMPLE");
    let meta = client.describe_key().key_id(&key_id).send().await.unwrap();
    server.kill();
    assert_eq!(
        meta.key_metadata.unwrap().description.as_deref(),
        Some("made during shutdown")
    );
}
