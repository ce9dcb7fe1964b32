//! What the SDK cannot send: malformed JSON, wrong types, missing or unknown targets, wrong
//! methods and content types, oversized bodies. Exact status, `__type` and message, and no
//! state change.

use crate::support::{RawRequest, TestServer, tool_available};
use kmsd::model::Operation;

async fn key_count(server: &TestServer) -> usize {
    let listed = server.call("TrentService.ListKeys", "{}").await;
    assert_eq!(listed.status, 200);
    listed.json()["Keys"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_responses_carry_protocol_headers() {
    let server = TestServer::start().await;
    let created = server.call("TrentService.CreateKey", "").await;
    assert_eq!(created.status, 200);
    assert_eq!(
        created.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    let id = created.header("x-amzn-requestid").unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    assert_eq!(created.json()["KeyMetadata"]["KeyState"], "Enabled");
    // application/json is accepted too, and an operation without output answers {}.
    let key_id = created.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = format!(r#"{{"KeyId":"{key_id}"}}"#);
    let mut request = RawRequest::kms("TrentService.DisableKey", body.as_bytes());
    request.content_type = Some("application/json");
    let disabled = server.raw(request).await;
    assert_eq!(disabled.status, 200);
    assert_eq!(disabled.json(), serde_json::json!({}));
    // Unknown members are ignored, as newer SDKs may send them.
    let described = server
        .call(
            "TrentService.DescribeKey",
            &format!(r#"{{"KeyId":"{key_id}","SomeFutureMember":[1,2]}}"#),
        )
        .await;
    assert_eq!(described.status, 200);
    assert_eq!(described.json()["KeyMetadata"]["KeyState"], "Disabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_a_serialization_exception() {
    let server = TestServer::start().await;
    for body in [
        "{",
        "{\"Description\":",
        "not json",
        "[]",
        "\"text\"",
        "{\"Description\":\"x\"} trailing",
    ] {
        let response = server.call("TrentService.CreateKey", body).await;
        response.assert_error(400, "SerializationException", None);
        let message = response.json()["message"].as_str().unwrap().to_owned();
        assert!(!message.is_empty(), "{body}");
    }
    assert_eq!(key_count(&server).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_json_types_are_serialization_exceptions() {
    let server = TestServer::start().await;
    for body in [
        r#"{"Description": 5}"#,
        r#"{"Tags": {"TagKey": "a"}}"#,
        r#"{"KeySpec": 1}"#,
        r#"{"MultiRegion": "yes"}"#,
    ] {
        let response = server.call("TrentService.CreateKey", body).await;
        response.assert_error(400, "SerializationException", None);
    }
    for body in [r#"{"NumberOfBytes": "16"}"#, r#"{"NumberOfBytes": 1.5}"#] {
        server
            .call("TrentService.GenerateRandom", body)
            .await
            .assert_error(400, "SerializationException", None);
    }
    let response = server
        .call(
            "TrentService.Encrypt",
            r#"{"KeyId":"alias/x","Plaintext":"%%%not base64"}"#,
        )
        .await;
    response.assert_error(400, "SerializationException", None);
    assert!(
        response.json()["message"]
            .as_str()
            .unwrap()
            .contains("base64"),
        "{}",
        response.json()
    );
    let response = server
        .call(
            "TrentService.Encrypt",
            r#"{"KeyId":"alias/x","Plaintext":"eA==","EncryptionContext":{"a":1}}"#,
        )
        .await;
    response.assert_error(400, "SerializationException", None);
    assert_eq!(key_count(&server).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constraint_violations_are_validation_exceptions() {
    let server = TestServer::start().await;
    server
        .call("TrentService.DescribeKey", "{}")
        .await
        .assert_error(
            400,
            "ValidationException",
            Some("1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"),
        );
    server
        .call("TrentService.CreateKey", r#"{"KeyUsage":"RANDOM"}"#)
        .await
        .assert_error(
            400,
            "ValidationException",
            Some("1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT, ENCAPSULATE_DECAPSULATE]"),
        );
    server
        .call("TrentService.TagResource", r#"{"KeyId":"","Tags":[{"TagKey":"a"}]}"#)
        .await
        .assert_error(
            400,
            "ValidationException",
            Some("2 validation errors detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1; Value null at 'tags.1.member.tagValue' failed to satisfy constraint: Member must not be null"),
        );
    // JSON null is the same as an absent member.
    server
        .call("TrentService.DescribeKey", r#"{"KeyId":null}"#)
        .await
        .assert_error(400, "ValidationException", None);
    assert_eq!(key_count(&server).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_missing_targets() {
    let server = TestServer::start().await;
    for target in [
        "TrentService.MakeCoffee",
        "TrentService.",
        "OtherService.CreateKey",
        "CreateKey",
    ] {
        let response = server.call(target, "{}").await;
        response.assert_error(400, "UnknownOperationException", None);
    }
    let mut request = RawRequest::kms("", b"{}");
    request.target = None;
    server
        .raw(request)
        .await
        .assert_error(400, "UnknownOperationException", None);
    assert_eq!(key_count(&server).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_kmsd_lacks_are_unsupported_not_unknown() {
    let server = TestServer::start().await;
    let unsupported = Operation::ALL
        .iter()
        .filter(|op| kmsd::api::decoder(**op).is_none());
    for operation in unsupported {
        let response = server
            .call(&format!("TrentService.{operation}"), "{}")
            .await;
        response.assert_error(
            400,
            "UnsupportedOperationException",
            Some(&format!("{operation} is not supported by kmsd.")),
        );
    }
    assert_eq!(key_count(&server).await, 0);
}

/// kmsd's operations are exactly those of botocore's model of KMS (the AWS CLI's), each either
/// implemented or refused as not supported: nothing of the API answers
/// UnknownOperationException.
#[test]
fn every_operation_of_the_model_is_implemented_or_refused_as_unsupported() {
    if !tool_available("python3", "--version") {
        return;
    }
    let script = "import botocore.session as s; \
                  print(' '.join(s.get_session().get_service_model('kms').operation_names))";
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
        .unwrap();
    if !output.status.success() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "botocore is required under CI=true: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        eprintln!("skipped: botocore is not installed");
        return;
    }
    let model = String::from_utf8(output.stdout).unwrap();
    let mut model: Vec<&str> = model.split_whitespace().collect();
    model.sort_unstable();
    let mut ours: Vec<&str> = Operation::ALL
        .iter()
        .map(|op| op.as_str())
        // The post-quantum operations are newer than botocore here (the SDK has them).
        .filter(|op| !["Encapsulate", "Decapsulate"].contains(op) || model.contains(op))
        .collect();
    ours.sort_unstable();
    assert_eq!(ours, model);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_method_path_and_content_type() {
    let server = TestServer::start().await;
    let mut request = RawRequest::kms("TrentService.CreateKey", b"");
    request.method = "GET";
    server
        .raw(request)
        .await
        .assert_error(400, "UnknownOperationException", None);
    let mut request = RawRequest::kms("TrentService.CreateKey", b"{}");
    request.path = "/elsewhere";
    server
        .raw(request)
        .await
        .assert_error(400, "UnknownOperationException", None);
    let mut request = RawRequest::kms("TrentService.CreateKey", b"{}");
    request.content_type = Some("text/plain");
    server
        .raw(request)
        .await
        .assert_error(415, "UnsupportedMediaTypeException", None);
    assert_eq!(key_count(&server).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused() {
    let server = TestServer::start().await;
    let limit = kmsd::server::MAX_BODY_BYTES;
    // A body over the limit, declared honestly.
    let mut body = br#"{"Description":""#.to_vec();
    body.resize(limit + 10, b'a');
    body.extend_from_slice(br#""}"#);
    let response = server
        .raw(RawRequest::kms("TrentService.CreateKey", &body))
        .await;
    response.assert_error(
        413,
        "RequestEntityTooLargeException",
        Some(&format!("The request body is larger than {limit} bytes.")),
    );
    // A huge declared length is refused before any of it is read.
    let mut request = RawRequest::kms("TrentService.CreateKey", b"{}");
    request.declared_length = Some(10 * 1024 * 1024 * 1024);
    server
        .raw(request)
        .await
        .assert_error(413, "RequestEntityTooLargeException", None);
    assert_eq!(key_count(&server).await, 0);
}
