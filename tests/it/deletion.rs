//! Real deletion on kmsd's clock: once the DeletionDate passes, the key, its alias, tags,
//! policy and ciphertexts are gone for good; a deletion cancelled in time leaves the key
//! Disabled. The clock moves through the admin API; nothing sleeps.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::KeyState;

use crate::support::arns::key_arn;
use crate::support::errors::{alias_not_found, key_not_found};
use crate::support::keys::{create_alias, decrypt, encrypt, tag};
use crate::support::lifecycle::schedule_deletion;
use crate::support::{
    DAY, TestServer, aliases_with_keys, check_error, create_key, key_state, metadata,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_its_alias_and_its_ciphertexts_are_gone_after_the_deletion_date() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = client
        .create_key()
        .tags(tag("t", "v"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let arn = key_arn(&key_id);
    let kept = create_key(&client).await;
    create_alias(&client, "alias/doomed", &key_id).await;
    create_alias(&client, "alias/kept", &kept).await;
    let blob = encrypt(&client, "alias/doomed", b"gone soon").await;
    let scheduled = schedule_deletion(&client, &key_id, Some(7)).await;
    let deletion_date = scheduled.deletion_date.unwrap().as_secs_f64();

    // Six days on, the key is still there, pending deletion.
    let advanced = server.advance(6 * DAY).await;
    assert_eq!(advanced["deleted"], serde_json::json!([]));
    assert_eq!(key_state(&client, &key_id).await, "PendingDeletion");

    // Past the date: the advance itself deletes it and says so.
    let advanced = server.advance(DAY + 60).await;
    assert!(advanced["now"].as_f64().unwrap() > deletion_date);
    assert_eq!(advanced["deleted"], serde_json::json!([arn]));
    assert_eq!(advanced["rotated"], serde_json::json!([]));

    let not_found = key_not_found(&key_id);
    let message = check_error(
        client.describe_key().key_id(&key_id).send().await,
        "NotFoundException",
    );
    assert_eq!(message, not_found);
    let message = check_error(
        client.decrypt().ciphertext_blob(blob.clone()).send().await,
        "NotFoundException",
    );
    assert_eq!(message, not_found);
    check_error(
        client
            .decrypt()
            .key_id(&key_id)
            .ciphertext_blob(blob)
            .send()
            .await,
        "NotFoundException",
    );
    check_error(
        client.list_resource_tags().key_id(&key_id).send().await,
        "NotFoundException",
    );
    check_error(
        client.get_key_policy().key_id(&key_id).send().await,
        "NotFoundException",
    );
    let message = check_error(
        client.cancel_key_deletion().key_id(&key_id).send().await,
        "NotFoundException",
    );
    assert_eq!(message, not_found);
    let message = check_error(
        client
            .encrypt()
            .key_id("alias/doomed")
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "NotFoundException",
    );
    assert_eq!(message, alias_not_found("alias/doomed"));

    let keys = client.list_keys().send().await.unwrap();
    let listed: Vec<&str> = keys.keys().iter().filter_map(|k| k.key_id()).collect();
    assert_eq!(listed, [kept.as_str()]);
    let aliases = client.list_aliases().send().await.unwrap();
    let names: Vec<&str> = aliases_with_keys(&aliases)
        .iter()
        .filter_map(|a| a.alias_name())
        .collect();
    assert_eq!(names, ["alias/kept"]);
    // The alias name is free again.
    create_alias(&client, "alias/doomed", &kept).await;

    // Gone for good: a restart does not bring it back.
    let server = server.restart().await;
    let client = server.client();
    check_error(
        client.describe_key().key_id(&key_id).send().await,
        "NotFoundException",
    );
    assert_eq!(client.list_keys().send().await.unwrap().keys().len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_cancelled_in_time_leaves_the_key_disabled_and_usable_again() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    create_alias(&client, "alias/saved", &key_id).await;
    let blob = encrypt(&client, &key_id, b"saved").await;
    schedule_deletion(&client, &key_id, Some(7)).await;
    server.advance(7 * DAY - 3600).await;
    client
        .cancel_key_deletion()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();

    // Well past the old date, nothing happens to it.
    let advanced = server.advance(30 * DAY).await;
    assert_eq!(advanced["deleted"], serde_json::json!([]));
    let meta = metadata(&client, "alias/saved").await;
    assert_eq!(meta.key_id, key_id);
    assert_eq!(meta.key_state, Some(KeyState::Disabled));
    assert!(!meta.enabled);
    assert!(meta.deletion_date.is_none());
    check_error(
        client.decrypt().ciphertext_blob(blob.clone()).send().await,
        "DisabledException",
    );
    client.enable_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(decrypt(&client, blob).await, b"saved");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_window_fires_on_its_own_date() {
    let server = TestServer::start().await;
    let client = server.client();
    let mut keys = Vec::new();
    for days in [7, 8, 30] {
        let key_id = create_key(&client).await;
        client
            .schedule_key_deletion()
            .key_id(&key_id)
            .pending_window_in_days(days)
            .send()
            .await
            .unwrap();
        keys.push(key_arn(&key_id));
    }
    let survivor = create_key(&client).await;
    let advanced = server.advance(8 * DAY + 60).await;
    let mut expected = vec![keys[0].clone(), keys[1].clone()];
    expected.sort();
    assert_eq!(advanced["deleted"], serde_json::json!(expected));
    assert_eq!(client.list_keys().send().await.unwrap().keys().len(), 2);
    let advanced = server.advance(22 * DAY).await;
    assert_eq!(advanced["deleted"], serde_json::json!([keys[2]]));
    let listed = client.list_keys().send().await.unwrap();
    assert_eq!(listed.keys()[0].key_id.as_deref(), Some(survivor.as_str()));
    assert_eq!(listed.keys().len(), 1);
    server.stop().await;
}
