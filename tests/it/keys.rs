//! CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, UpdateKeyDescription,
//! ScheduleKeyDeletion and CancelKeyDeletion.

use aws_sdk_kms::types::{
    EncryptionAlgorithmSpec, KeyManagerType, KeySpec, KeyState, KeyUsageType, OriginType,
};

use crate::support::arns::{alias_arn, key_arn};
use crate::support::errors::{alias_not_found, key_not_found, pending_deletion};
use crate::support::keys::{create_alias, tag};
use crate::support::lifecycle::schedule_deletion;
use crate::support::{ACCOUNT, TestServer, check_error, create_key, key_state, metadata};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_key_returns_full_metadata() {
    let server = TestServer::start().await;
    let client = server.client();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let meta = client
        .create_key()
        .description("payments")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert!(uuid::Uuid::parse_str(&meta.key_id).is_ok());
    assert_eq!(meta.aws_account_id.as_deref(), Some(ACCOUNT));
    assert_eq!(meta.arn.as_deref(), Some(key_arn(&meta.key_id).as_str()));
    let created = meta.creation_date.unwrap().as_secs_f64();
    assert!((created - before).abs() < 60.0, "{created} vs {before}");
    assert!(meta.enabled);
    assert_eq!(meta.description.as_deref(), Some("payments"));
    assert_eq!(meta.key_usage, Some(KeyUsageType::EncryptDecrypt));
    assert_eq!(meta.key_state, Some(KeyState::Enabled));
    assert_eq!(meta.origin, Some(OriginType::AwsKms));
    assert_eq!(meta.key_manager, Some(KeyManagerType::Customer));
    assert_eq!(meta.key_spec, Some(KeySpec::SymmetricDefault));
    assert_eq!(
        meta.encryption_algorithms(),
        [EncryptionAlgorithmSpec::SymmetricDefault]
    );
    assert_eq!(meta.multi_region, Some(false));
    assert!(meta.deletion_date.is_none());
    let material = meta.current_key_material_id.unwrap();
    assert_eq!(material.len(), 64);

    // Without a description AWS returns "", not nothing.
    let bare = client
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(bare.description.as_deref(), Some(""));
    assert_ne!(bare.key_id, meta.key_id);

    let described = metadata(&client, &meta.key_id).await;
    assert_eq!(described.arn, meta.arn);
    assert_eq!(described.creation_date, meta.creation_date);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(deprecated)] // CustomerMasterKeySpec is deprecated, and AWS still accepts it.
async fn create_key_validates_spec_usage_and_origin() {
    let server = TestServer::start().await;
    let client = server.client();
    // The deprecated CustomerMasterKeySpec is an alias of KeySpec.
    let meta = client
        .create_key()
        .customer_master_key_spec(aws_sdk_kms::types::CustomerMasterKeySpec::SymmetricDefault)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(meta.key_spec, Some(KeySpec::SymmetricDefault));

    let message = check_error(
        client
            .create_key()
            .key_usage(KeyUsageType::SignVerify)
            .send()
            .await,
        "ValidationException",
    );
    assert!(message.contains("SIGN_VERIFY"), "{message}");
    check_error(
        client.create_key().key_spec(KeySpec::Hmac256).send().await,
        "ValidationException",
    );
    // Each spec allows only some usages.
    let message = check_error(
        client
            .create_key()
            .key_spec(KeySpec::EccNistP256)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .send()
            .await,
        "ValidationException",
    );
    assert!(message.contains("ECC_NIST_P256"), "{message}");
    // Keys without material are for specs that take imported material.
    check_error(
        client
            .create_key()
            .origin(OriginType::External)
            .key_spec(KeySpec::MlDsa44)
            .key_usage(KeyUsageType::SignVerify)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    check_error(
        client.create_key().multi_region(true).send().await,
        "UnsupportedOperationException",
    );
    check_error(
        client
            .create_key()
            .key_spec(KeySpec::SymmetricDefault)
            .customer_master_key_spec(aws_sdk_kms::types::CustomerMasterKeySpec::SymmetricDefault)
            .send()
            .await,
        "ValidationException",
    );
    check_error(
        client
            .create_key()
            .description("x".repeat(8193))
            .send()
            .await,
        "ValidationException",
    );
    check_error(
        client.create_key().tags(tag("aws:x", "y")).send().await,
        "TagException",
    );
    check_error(
        client.create_key().policy("not json").send().await,
        "MalformedPolicyDocumentException",
    );
    // None of the refused requests created a key.
    let keys = client.list_keys().send().await.unwrap();
    assert_eq!(keys.keys().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_keys_paginates_over_every_key() {
    let server = TestServer::start().await;
    let client = server.client();
    let mut created = Vec::new();
    for _ in 0..7 {
        created.push(create_key(&client).await);
    }
    created.sort();
    let mut seen = Vec::new();
    let mut marker = None;
    let mut pages = 0;
    loop {
        let page = client
            .list_keys()
            .limit(3)
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        for entry in page.keys() {
            let id = entry.key_id.clone().unwrap();
            assert_eq!(entry.key_arn.as_deref(), Some(key_arn(&id).as_str()));
            seen.push(id);
        }
        assert_eq!(page.truncated, page.next_marker.is_some());
        match page.next_marker {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created);

    // The paginator the SDK generates walks the same pages.
    let all: Vec<_> = client
        .list_keys()
        .limit(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 7);

    check_error(
        client.list_keys().marker("garbage").send().await,
        "InvalidMarkerException",
    );
    let message = check_error(
        client.list_keys().limit(0).send().await,
        "ValidationException",
    );
    assert_eq!(
        message,
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    check_error(
        client.list_keys().limit(1001).send().await,
        "ValidationException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enable_disable_and_describe_by_every_reference() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let arn = key_arn(&key_id);
    create_alias(&client, "alias/ref", &key_id).await;
    let alias_arn = alias_arn("alias/ref");
    for reference in [&key_id, &arn, &"alias/ref".to_owned(), &alias_arn] {
        let meta = metadata(&client, reference).await;
        assert_eq!(meta.key_id, key_id, "{reference}");
    }

    client.disable_key().key_id(&arn).send().await.unwrap();
    let meta = metadata(&client, &key_id).await;
    assert_eq!(meta.key_state, Some(KeyState::Disabled));
    assert!(!meta.enabled);
    // Disabling twice is fine, as in AWS.
    client.disable_key().key_id(&key_id).send().await.unwrap();
    // EnableKey takes a key ID or key ARN, not an alias.
    let message = check_error(
        client.enable_key().key_id("alias/ref").send().await,
        "NotFoundException",
    );
    assert_eq!(message, "Invalid keyId 'alias/ref'");
    assert_eq!(key_state(&client, &key_id).await, "Disabled");
    client.enable_key().key_id(&arn).send().await.unwrap();
    assert_eq!(key_state(&client, &key_id).await, "Enabled");

    client
        .update_key_description()
        .key_id(&key_id)
        .description("renamed")
        .send()
        .await
        .unwrap();
    let meta = metadata(&client, &key_id).await;
    assert_eq!(meta.description.as_deref(), Some("renamed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_keys_are_not_found_with_aws_messages() {
    let server = TestServer::start().await;
    let client = server.client();
    let missing = "0b7fb8d4-5b1f-4a8e-9b43-9d0c3f6c1a11";
    let message = check_error(
        client.describe_key().key_id(missing).send().await,
        "NotFoundException",
    );
    assert_eq!(message, key_not_found(missing));
    let message = check_error(
        client.enable_key().key_id("not-a-key").send().await,
        "NotFoundException",
    );
    assert_eq!(message, "Invalid keyId 'not-a-key'");
    let message = check_error(
        client.describe_key().key_id("alias/nothing").send().await,
        "NotFoundException",
    );
    assert_eq!(message, alias_not_found("alias/nothing"));
    let message = check_error(client.describe_key().send().await, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: \
         Member must not be null"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_and_cancel_key_deletion() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let arn = key_arn(&key_id);

    for bad in [6, 31] {
        let message = check_error(
            client
                .schedule_key_deletion()
                .key_id(&key_id)
                .pending_window_in_days(bad)
                .send()
                .await,
            "ValidationException",
        );
        assert_eq!(message, "PendingWindowInDays must be between 7 and 30");
    }
    check_error(
        client
            .schedule_key_deletion()
            .key_id(&key_id)
            .pending_window_in_days(366)
            .send()
            .await,
        "ValidationException",
    );
    assert_eq!(key_state(&client, &key_id).await, "Enabled");

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let scheduled = schedule_deletion(&client, &key_id, Some(7)).await;
    assert_eq!(scheduled.key_id.as_deref(), Some(arn.as_str()));
    assert_eq!(scheduled.key_state, Some(KeyState::PendingDeletion));
    assert_eq!(scheduled.pending_window_in_days, Some(7));
    let deletion = scheduled.deletion_date.unwrap().as_secs_f64();
    assert!((deletion - (now + 7.0 * 86400.0)).abs() < 60.0);

    let meta = metadata(&client, &key_id).await;
    assert_eq!(meta.key_state, Some(KeyState::PendingDeletion));
    assert!(!meta.enabled);
    assert_eq!(meta.deletion_date.unwrap().as_secs_f64(), deletion);

    // Everything but DescribeKey and CancelKeyDeletion is refused now.
    let pending = pending_deletion(&key_id);
    for result in [
        client
            .schedule_key_deletion()
            .key_id(&key_id)
            .send()
            .await
            .map(drop)
            .map_err(aws_sdk_kms::Error::from),
        client
            .enable_key()
            .key_id(&key_id)
            .send()
            .await
            .map(drop)
            .map_err(aws_sdk_kms::Error::from),
        client
            .disable_key()
            .key_id(&key_id)
            .send()
            .await
            .map(drop)
            .map_err(aws_sdk_kms::Error::from),
    ] {
        let message = check_error(result, "KMSInvalidStateException");
        assert_eq!(message, pending);
    }
    let message = check_error(
        client
            .update_key_description()
            .key_id(&key_id)
            .description("x")
            .send()
            .await,
        "KMSInvalidStateException",
    );
    assert_eq!(message, pending);

    let cancelled = client
        .cancel_key_deletion()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.key_id.as_deref(), Some(arn.as_str()));
    let meta = metadata(&client, &key_id).await;
    assert_eq!(meta.key_state, Some(KeyState::Disabled));
    assert!(meta.deletion_date.is_none());

    let message = check_error(
        client.cancel_key_deletion().key_id(&key_id).send().await,
        "KMSInvalidStateException",
    );
    assert_eq!(message, format!("{arn} is not pending deletion."));

    // The default window is 30 days.
    let scheduled = schedule_deletion(&client, &key_id, None).await;
    assert_eq!(scheduled.pending_window_in_days, Some(30));
}
