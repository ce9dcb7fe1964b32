//! Restarting on the same data dir: keys, material, aliases, tags, policies and states survive,
//! and so do the clock, rotations and every schedule.

use crate::support::arns::key_arn;
use crate::support::keys::{
    create_alias, decrypt, decrypt_with_context, encrypt, encrypt_with_context, tag,
};
use crate::support::lifecycle::{
    enable_rotation, list_rotations, rotation_status, schedule_deletion,
};
use crate::support::{
    DAY, TestServer, aliases_with_keys, check_error, create_key, key_state, metadata,
};

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_survives_a_restart() {
    let server = TestServer::start().await;
    let client = server.client();
    let west = server.client_for("eu-west-1", "210987654321");

    let main = client
        .create_key()
        .description("main key")
        .tags(tag("team", "core"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    create_alias(&client, "alias/main", &main.key_id).await;
    client
        .put_key_policy()
        .key_id(&main.key_id)
        .policy(POLICY)
        .send()
        .await
        .unwrap();
    let blob = encrypt_with_context(&client, "alias/main", b"durable", &[("c", "1")]).await;
    let disabled = create_key(&client).await;
    client.disable_key().key_id(&disabled).send().await.unwrap();
    let pending = create_key(&client).await;
    let scheduled = schedule_deletion(&client, &pending, Some(9)).await;
    let west_key = create_key(&west).await;

    let server = server.restart().await;
    let client = server.client();
    let west = server.client_for("eu-west-1", "210987654321");

    let meta = metadata(&client, "alias/main").await;
    assert_eq!(meta.key_id, main.key_id);
    assert_eq!(meta.description.as_deref(), Some("main key"));
    assert_eq!(meta.creation_date, main.creation_date);
    assert_eq!(meta.current_key_material_id, main.current_key_material_id);
    assert_eq!(
        decrypt_with_context(&client, blob, &[("c", "1")]).await,
        b"durable"
    );
    let tags = client
        .list_resource_tags()
        .key_id(&main.key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].tag_key, "team");
    assert_eq!(tags.tags()[0].tag_value, "core");
    let policy = client
        .get_key_policy()
        .key_id(&main.key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(policy.policy.as_deref(), Some(POLICY));
    assert_eq!(key_state(&client, &disabled).await, "Disabled");
    let pending_meta = metadata(&client, &pending).await;
    assert_eq!(pending_meta.key_state.unwrap().as_str(), "PendingDeletion");
    assert_eq!(pending_meta.deletion_date, scheduled.deletion_date);
    let aliases = client.list_aliases().send().await.unwrap();
    assert_eq!(aliases_with_keys(&aliases).len(), 1);
    assert_eq!(client.list_keys().send().await.unwrap().keys().len(), 3);
    assert_eq!(
        metadata(&west, &west_key).await.aws_account_id.as_deref(),
        Some("210987654321")
    );
    check_error(
        client.describe_key().key_id(&west_key).send().await,
        "NotFoundException",
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clock_rotations_and_schedules_survive_a_restart() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let doomed = create_key(&client).await;
    let first_blob = encrypt(&client, &key_id, b"first").await;
    enable_rotation(&client, &key_id, Some(90)).await;
    client
        .rotate_key_on_demand()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let advanced = server.advance(90 * DAY + 60).await;
    assert_eq!(advanced["rotated"].as_array().unwrap().len(), 1);
    schedule_deletion(&client, &doomed, Some(30)).await;
    let second_blob = encrypt(&client, &key_id, b"second").await;
    let clock = server.clock().await;
    let status = rotation_status(&client, &key_id).await;
    let rotations = list_rotations(&client, &key_id).await;
    assert_eq!(rotations.rotations().len(), 2);

    let server = server.restart().await;
    let client = server.client();

    // The clock did not jump back to system time.
    let after = server.clock().await;
    assert_eq!(after["offsetSeconds"], clock["offsetSeconds"]);
    assert!(after["now"].as_f64().unwrap() >= clock["now"].as_f64().unwrap());
    let status_after = rotation_status(&client, &key_id).await;
    assert!(status_after.key_rotation_enabled);
    assert_eq!(
        status_after.rotation_period_in_days,
        status.rotation_period_in_days
    );
    assert_eq!(status_after.next_rotation_date, status.next_rotation_date);
    let rotations_after = list_rotations(&client, &key_id).await;
    assert_eq!(rotations_after.rotations(), rotations.rotations());
    for (blob, plaintext) in [(first_blob, &b"first"[..]), (second_blob, b"second")] {
        assert_eq!(decrypt(&client, blob).await, plaintext);
    }

    // The schedules go on: the next rotation, and the deletion date set before the restart.
    let advanced = server.advance(90 * DAY).await;
    assert_eq!(advanced["rotated"], serde_json::json!([key_arn(&key_id)]));
    assert_eq!(advanced["deleted"], serde_json::json!([key_arn(&doomed)]));
    assert_eq!(list_rotations(&client, &key_id).await.rotations().len(), 3);
    server.stop().await;
}
