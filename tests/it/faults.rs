//! Fault injection through the admin API (`/_kmsd/faults`): errors, latency and dropped
//! connections for matching calls, a client's retries through them, and that a faulted call
//! changes nothing and is marked in the audit trail.

use std::time::{Duration, Instant};

use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::primitives::Blob;
use kmsd::ServeOptions;
use kmsd::server::AuditLog;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::keys::encrypt;
use crate::support::{REGION, TestServer, check_error, create_key, key_state};

/// Adds a fault rule and returns the admin API's answer.
async fn add_rule(server: &TestServer, rule: serde_json::Value) -> serde_json::Value {
    let response = server
        .admin("POST", "/_kmsd/faults", &rule.to_string())
        .await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    response.json()
}

async fn rules(server: &TestServer) -> serde_json::Value {
    let response = server.admin("GET", "/_kmsd/faults", "").await;
    assert_eq!(response.status, 200);
    response.json()["rules"].clone()
}

/// An SDK client that retries as the SDK does by default (standard mode, three attempts), with
/// a short backoff so that the test does not wait for it.
fn retrying_client(server: &TestServer) -> aws_sdk_kms::Client {
    let config = server
        .client()
        .config()
        .to_builder()
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .build();
    aws_sdk_kms::Client::from_conf(config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_are_added_listed_used_up_and_cleared() {
    let server = TestServer::start().await;
    let added = add_rule(
        &server,
        json!({"operation": "Decrypt", "error": "KMSInternalException", "count": 2}),
    )
    .await;
    assert_eq!(
        added["rule"],
        json!({"operation": "Decrypt", "error": "KMSInternalException", "count": 2, "remaining": 2})
    );
    add_rule(
        &server,
        json!({"operation": "*", "latencyMs": 1, "probability": 0.5}),
    )
    .await;
    assert_eq!(rules(&server).await.as_array().unwrap().len(), 2);

    let client = server.client();
    let key = create_key(&client).await;
    let blob = encrypt(&client, &key, b"data").await;
    for _ in 0..2 {
        let error = client.decrypt().ciphertext_blob(blob.clone()).send().await;
        assert_eq!(
            check_error(error, "KMSInternalException"),
            "kmsd fault injection: Decrypt answered KMSInternalException."
        );
    }
    // The count rule is used up and gone; the other stays until cleared.
    assert_eq!(
        rules(&server).await,
        json!([{"operation": "*", "latencyMs": 1, "probability": 0.5}])
    );
    client.decrypt().ciphertext_blob(blob).send().await.unwrap();
    let cleared = server.admin("DELETE", "/_kmsd/faults", "").await;
    assert_eq!(cleared.json(), json!({"cleared": 1}));
    assert_eq!(rules(&server).await, json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_rule_is_refused_and_adds_nothing() {
    let server = TestServer::start().await;
    for rule in [
        "not json",
        r#"{"operation": "Decrypt"}"#,
        r#"{"operation": "Decrypt", "error": "NotFoundException"}"#,
        r#"{"operation": "Decrypt", "error": "KMSInternalException", "probability": 2}"#,
        r#"{"operation": "Decrypt", "error": "KMSInternalException", "cout": 1}"#,
    ] {
        let response = server.admin("POST", "/_kmsd/faults", rule).await;
        assert_eq!(response.status, 400, "{rule}");
        assert!(response.json()["error"].is_string(), "{rule}");
    }
    assert_eq!(rules(&server).await, json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_error_is_answered_with_its_type_and_status() {
    let server = TestServer::start().await;
    let key = create_key(&server.client()).await;
    for (error, status) in [
        ("KMSInternalException", 500),
        ("DependencyTimeoutException", 503),
        ("ThrottlingException", 400),
        ("KeyUnavailableException", 500),
        ("KMSInvalidStateException", 400),
    ] {
        add_rule(
            &server,
            json!({"operation": "Encrypt", "error": error, "count": 1}),
        )
        .await;
        let body = json!({"KeyId": key, "Plaintext": "AAAA"}).to_string();
        let response = server.call("TrentService.Encrypt", &body).await;
        let message = if error == "ThrottlingException" {
            "Rate exceeded".to_owned()
        } else {
            format!("kmsd fault injection: Encrypt answered {error}.")
        };
        response.assert_error(status, error, Some(&message));
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rule_faults_only_calls_naming_that_key() {
    let server = TestServer::start().await;
    let client = server.client();
    let (faulted, other) = (create_key(&client).await, create_key(&client).await);
    add_rule(
        &server,
        json!({"operation": "*", "keyId": faulted, "error": "KeyUnavailableException"}),
    )
    .await;
    let arn = format!("arn:aws:kms:{REGION}:123456789012:key/{faulted}");
    for key in [&faulted, &arn] {
        let result = client.describe_key().key_id(key).send().await;
        assert_eq!(
            result.unwrap_err().into_service_error().meta().code(),
            Some("KeyUnavailableException")
        );
    }
    client.describe_key().key_id(&other).send().await.unwrap();
    encrypt(&client, &other, b"x").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faulted_call_changes_nothing() {
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    add_rule(
        &server,
        json!({"operation": "*", "error": "DependencyTimeoutException"}),
    )
    .await;
    let error = client
        .schedule_key_deletion()
        .key_id(&key)
        .pending_window_in_days(7)
        .send()
        .await;
    assert!(error.is_err());
    let error = client.create_key().send().await;
    assert!(error.is_err());
    let error = client
        .create_alias()
        .alias_name("alias/faulted")
        .target_key_id(&key)
        .send()
        .await;
    assert!(error.is_err());
    server.admin("DELETE", "/_kmsd/faults", "").await;
    assert_eq!(key_state(&client, &key).await, "Enabled");
    let keys = client.list_keys().send().await.unwrap().keys.unwrap();
    assert_eq!(keys.len(), 1);
    let aliases = client.list_aliases().send().await.unwrap().aliases.unwrap();
    assert!(
        aliases
            .iter()
            .all(|a| a.alias_name() != Some("alias/faulted"))
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_retries_through_transient_faults() {
    let server = TestServer::start().await;
    let client = retrying_client(&server);
    let key = create_key(&client).await;
    // Two failures, then success: the SDK's three attempts get through.
    add_rule(
        &server,
        json!({"operation": "Encrypt", "error": "KMSInternalException", "count": 2}),
    )
    .await;
    let encrypted = client
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"retry me".to_vec()))
        .send()
        .await
        .unwrap();
    assert!(encrypted.ciphertext_blob.is_some());
    assert_eq!(rules(&server).await, json!([]));
    // Throttling is retried too; three in a row exhaust the attempts.
    add_rule(
        &server,
        json!({"operation": "Encrypt", "error": "ThrottlingException", "count": 3}),
    )
    .await;
    let error = client
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"retry me".to_vec()))
        .send()
        .await;
    assert_eq!(check_error(error, "ThrottlingException"), "Rate exceeded");
    assert_eq!(rules(&server).await, json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_delays_the_call_which_then_succeeds() {
    let server = TestServer::start().await;
    let client = server.client();
    let key = create_key(&client).await;
    add_rule(
        &server,
        json!({"operation": "Encrypt", "latencyMs": 300, "count": 1}),
    )
    .await;
    let started = Instant::now();
    encrypt(&client, &key, b"slow").await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_closes_the_connection_without_an_answer() {
    let server = TestServer::start().await;
    add_rule(
        &server,
        json!({"operation": "ListKeys", "drop": true, "count": 1}),
    )
    .await;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: TrentService.ListKeys\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{{}}",
        server.addr
    );
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    // The rule is used up: the next call is answered.
    server.call("TrentService.ListKeys", "{}").await;
    let response = server.call("TrentService.ListKeys", "{}").await;
    assert_eq!(response.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faulted_calls_and_rule_changes_are_in_the_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let server = TestServer::start_with_options(ServeOptions {
        audit: Some(AuditLog::open(&path).unwrap()),
        ..ServeOptions::default()
    })
    .await;
    let client = server.client();
    let key = create_key(&client).await;
    add_rule(
        &server,
        json!({"operation": "Encrypt", "error": "KMSInternalException", "count": 1}),
    )
    .await;
    let _ = client
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(b"x".to_vec()))
        .send()
        .await;
    encrypt(&client, &key, b"y").await;
    server.stop().await;
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let added = records
        .iter()
        .find(|r| r["eventName"] == "kmsd:AddFault")
        .unwrap();
    assert_eq!(added["requestParameters"]["error"], "KMSInternalException");
    let encrypts: Vec<_> = records
        .iter()
        .filter(|r| r["eventName"] == "Encrypt")
        .collect();
    assert_eq!(encrypts.len(), 2);
    assert_eq!(encrypts[0]["errorCode"], "KMSInternalException");
    assert_eq!(
        encrypts[0]["kmsdFault"],
        json!({"error": "KMSInternalException"})
    );
    assert!(encrypts[1].get("kmsdFault").is_none(), "{}", encrypts[1]);
    assert!(encrypts[1].get("errorCode").is_none(), "{}", encrypts[1]);
}
