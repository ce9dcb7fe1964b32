//! Restarting on the same data dir: keys, material, aliases, tags, policies and states survive.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::Tag;

use crate::support::{TestServer, check_error, create_key, key_state};

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_survives_a_restart() {
    let server = TestServer::start().await;
    let client = server.client();
    let west = server.client_for("eu-west-1", "210987654321");

    let main = client
        .create_key()
        .description("main key")
        .tags(
            Tag::builder()
                .tag_key("team")
                .tag_value("core")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    client
        .create_alias()
        .alias_name("alias/main")
        .target_key_id(&main.key_id)
        .send()
        .await
        .unwrap();
    client
        .put_key_policy()
        .key_id(&main.key_id)
        .policy(POLICY)
        .send()
        .await
        .unwrap();
    let blob = client
        .encrypt()
        .key_id("alias/main")
        .plaintext(Blob::new(b"durable".to_vec()))
        .encryption_context("c", "1")
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let disabled = create_key(&client).await;
    client.disable_key().key_id(&disabled).send().await.unwrap();
    let pending = create_key(&client).await;
    let scheduled = client
        .schedule_key_deletion()
        .key_id(&pending)
        .pending_window_in_days(9)
        .send()
        .await
        .unwrap();
    let west_key = create_key(&west).await;

    let server = server.restart().await;
    let client = server.client();
    let west = server.client_for("eu-west-1", "210987654321");

    let meta = client
        .describe_key()
        .key_id("alias/main")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(meta.key_id, main.key_id);
    assert_eq!(meta.description.as_deref(), Some("main key"));
    assert_eq!(meta.creation_date, main.creation_date);
    assert_eq!(meta.current_key_material_id, main.current_key_material_id);
    let back = client
        .decrypt()
        .ciphertext_blob(blob)
        .encryption_context("c", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().into_inner(), b"durable");
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
    let pending_meta = client
        .describe_key()
        .key_id(&pending)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(pending_meta.key_state.unwrap().as_str(), "PendingDeletion");
    assert_eq!(pending_meta.deletion_date, scheduled.deletion_date);
    let aliases = client.list_aliases().send().await.unwrap();
    assert_eq!(aliases.aliases().len(), 1);
    assert_eq!(client.list_keys().send().await.unwrap().keys().len(), 3);
    assert_eq!(
        west.describe_key()
            .key_id(&west_key)
            .send()
            .await
            .unwrap()
            .key_metadata
            .unwrap()
            .aws_account_id
            .as_deref(),
        Some("210987654321")
    );
    check_error(
        client.describe_key().key_id(&west_key).send().await,
        "NotFoundException",
    );
    server.stop().await;
}
