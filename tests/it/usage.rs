//! GetKeyLastUsage through the SDK: each successful cryptographic operation is recorded with
//! its operation, the clock's time and the call's request id; failures are not.

use aws_sdk_kms::Client;
use aws_sdk_kms::operation::RequestId;
use aws_sdk_kms::operation::get_key_last_usage::GetKeyLastUsageOutput;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::KeyLastUsageTrackingOperation as Op;

use crate::support::arns::key_arn;
use crate::support::errors::key_not_found;
use crate::support::keys::create_alias;
use crate::support::lifecycle::schedule_deletion;
use crate::support::{DAY, REGION, TestServer, check_error, create_key, metadata};

async fn last_usage(client: &Client, key_id: &str) -> GetKeyLastUsageOutput {
    client
        .get_key_last_usage()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
}

/// (operation, KmsRequestId) of the key's last usage.
async fn last_op(client: &Client, key_id: &str) -> (Option<Op>, Option<String>) {
    let out = last_usage(client, key_id).await;
    let usage = out.key_last_usage.unwrap();
    (usage.operation, usage.kms_request_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_key_last_usage_after_encrypt_and_decrypt() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let created = metadata(&client, &key_id).await.creation_date.unwrap();

    // Never used: the element is there but empty; tracking began when the key was created.
    let fresh = last_usage(&client, &key_id).await;
    assert_eq!(fresh.key_id.as_deref(), Some(key_id.as_str()));
    let empty = fresh.key_last_usage.unwrap();
    assert!(empty.operation.is_none() && empty.timestamp.is_none());
    assert!(empty.kms_request_id.is_none() && empty.cloud_trail_event_id.is_none());
    assert_eq!(fresh.key_creation_date, Some(created));
    assert_eq!(fresh.tracking_start_date, Some(created));

    server.advance(10 * DAY).await;
    let encrypted = client
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"used".to_vec()))
        .send()
        .await
        .unwrap();
    let now = server.clock().await["now"].as_f64().unwrap();
    let out = last_usage(&client, &key_id).await;
    let usage = out.key_last_usage.clone().unwrap();
    assert_eq!(usage.operation, Some(Op::Encrypt));
    assert_eq!(usage.kms_request_id.as_deref(), encrypted.request_id());
    let at = usage.timestamp.unwrap().as_secs_f64();
    assert!((at - now).abs() < 60.0, "the clock's time: {at} vs {now}");
    let event = usage.cloud_trail_event_id.clone().unwrap();
    assert!(uuid::Uuid::parse_str(&event).is_ok(), "{event}");
    assert_eq!(out.tracking_start_date, Some(created));
    // Reading does not change it.
    assert_eq!(
        last_usage(&client, &key_id).await.key_last_usage,
        Some(usage)
    );

    let decrypted = client
        .decrypt()
        .ciphertext_blob(encrypted.ciphertext_blob.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        last_op(&client, &key_id).await,
        (Some(Op::Decrypt), decrypted.request_id().map(str::to_owned))
    );

    let data_key = client
        .generate_data_key()
        .key_id(&key_id)
        .number_of_bytes(16)
        .send()
        .await
        .unwrap();
    assert_eq!(
        last_op(&client, &key_id).await,
        (
            Some(Op::GenerateDataKey),
            data_key.request_id().map(str::to_owned)
        )
    );
    let without = client
        .generate_data_key_without_plaintext()
        .key_id(&key_id)
        .number_of_bytes(16)
        .send()
        .await
        .unwrap();
    assert_eq!(
        last_op(&client, &key_id).await,
        (
            Some(Op::GenerateDataKeyWithoutPlaintext),
            without.request_id().map(str::to_owned)
        )
    );

    // ReEncrypt counts for both keys.
    let other = create_key(&client).await;
    let re_encrypted = client
        .re_encrypt()
        .ciphertext_blob(encrypted.ciphertext_blob.unwrap())
        .destination_key_id(&other)
        .send()
        .await
        .unwrap();
    let expected = (
        Some(Op::ReEncrypt),
        re_encrypted.request_id().map(str::to_owned),
    );
    assert_eq!(last_op(&client, &key_id).await, expected);
    assert_eq!(last_op(&client, &other).await, expected);

    // The key ARN works too.
    let arn = key_arn(&key_id);
    assert_eq!(last_op(&client, &arn).await, expected);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_calls_are_not_usage() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let encrypted = client
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"x".to_vec()))
        .encryption_context("k", "v")
        .send()
        .await
        .unwrap();
    let recorded = last_op(&client, &key_id).await;
    assert_eq!(recorded.0, Some(Op::Encrypt));

    check_error(
        client
            .decrypt()
            .ciphertext_blob(encrypted.ciphertext_blob.clone().unwrap())
            .encryption_context("k", "other")
            .send()
            .await,
        "InvalidCiphertextException",
    );
    check_error(
        client
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(b"x".to_vec()))
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
    );
    client.disable_key().key_id(&key_id).send().await.unwrap();
    check_error(
        client
            .generate_data_key()
            .key_id(&key_id)
            .number_of_bytes(16)
            .send()
            .await,
        "DisabledException",
    );
    // Management calls are not cryptographic operations.
    client.enable_key().key_id(&key_id).send().await.unwrap();
    client.describe_key().key_id(&key_id).send().await.unwrap();
    client
        .rotate_key_on_demand()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(last_op(&client, &key_id).await, recorded);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_key_last_usage_errors() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    create_alias(&client, "alias/used", &key_id).await;
    check_error(
        client
            .get_key_last_usage()
            .key_id("alias/used")
            .send()
            .await,
        "ValidationException",
    );
    let missing = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let message = check_error(
        client.get_key_last_usage().key_id(missing).send().await,
        "NotFoundException",
    );
    assert_eq!(message, key_not_found(missing));
    let message = check_error(
        client.get_key_last_usage().send().await,
        "ValidationException",
    );
    assert!(message.contains("Value null at 'keyId'"), "{message}");
    // Not cross-account.
    let arn = key_arn(&key_id);
    check_error(
        server
            .client_for(REGION, "210987654321")
            .get_key_last_usage()
            .key_id(&arn)
            .send()
            .await,
        "NotFoundException",
    );
    // Every key state: a key pending deletion still reports.
    schedule_deletion(&client, &key_id, None).await;
    last_usage(&client, &key_id).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_survives_a_restart() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    client
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"x".to_vec()))
        .send()
        .await
        .unwrap();
    let before = last_usage(&client, &key_id).await;

    // Usage is written lazily; stopping the server writes what is pending.
    let server = server.restart().await;
    let client = server.client();
    let after = last_usage(&client, &key_id).await;
    assert_eq!(after.key_last_usage, before.key_last_usage);
    assert_eq!(after.tracking_start_date, before.tracking_start_date);
    assert_eq!(after.key_creation_date, before.key_creation_date);
    server.stop().await;
}
