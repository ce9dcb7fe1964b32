//! Account and region scoping: from the SigV4 credential scope and a 12-digit access key id.

use aws_sdk_kms::primitives::Blob;

use crate::support::{ACCOUNT, TestServer, check_error, create_key};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_regional() {
    let server = TestServer::start().await;
    let east = server.client_for("us-east-1", "AKIDEXAMPLE");
    let west = server.client_for("eu-west-1", "AKIDEXAMPLE");
    let key_id = create_key(&west).await;
    let meta = west
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let arn = format!("arn:aws:kms:eu-west-1:{ACCOUNT}:key/{key_id}");
    assert_eq!(meta.arn.as_deref(), Some(arn.as_str()));

    let message = check_error(
        east.describe_key().key_id(&key_id).send().await,
        "NotFoundException",
    );
    assert_eq!(
        message,
        format!("Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{key_id}' does not exist")
    );
    let message = check_error(
        east.describe_key().key_id(&arn).send().await,
        "NotFoundException",
    );
    assert_eq!(message, "Invalid arn eu-west-1");
    assert!(east.list_keys().send().await.unwrap().keys().is_empty());
    assert_eq!(west.list_keys().send().await.unwrap().keys().len(), 1);

    // Alias names are per region too.
    for client in [&east, &west] {
        let id = create_key(client).await;
        client
            .create_alias()
            .alias_name("alias/same-name")
            .target_key_id(&id)
            .send()
            .await
            .unwrap();
    }
    let east_target = east
        .describe_key()
        .key_id("alias/same-name")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert!(
        east_target
            .arn
            .unwrap()
            .starts_with("arn:aws:kms:us-east-1:")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_come_from_numeric_access_keys() {
    let server = TestServer::start().await;
    let alice = server.client_for("us-east-1", "111111111111");
    let bob = server.client_for("us-east-1", "222222222222");
    let default = server.client();

    let alice_key = create_key(&alice).await;
    let meta = alice
        .describe_key()
        .key_id(&alice_key)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(meta.aws_account_id.as_deref(), Some("111111111111"));
    let alice_arn = meta.arn.unwrap();
    assert_eq!(
        alice_arn,
        format!("arn:aws:kms:us-east-1:111111111111:key/{alice_key}")
    );

    // By bare id, Bob and the default account do not see Alice's key.
    check_error(
        bob.describe_key().key_id(&alice_key).send().await,
        "NotFoundException",
    );
    check_error(
        default.describe_key().key_id(&alice_key).send().await,
        "NotFoundException",
    );
    assert!(bob.list_keys().send().await.unwrap().keys().is_empty());
    assert!(default.list_keys().send().await.unwrap().keys().is_empty());

    // By ARN, cross-account use works for cryptographic operations and DescribeKey ...
    let described = bob.describe_key().key_id(&alice_arn).send().await.unwrap();
    assert_eq!(described.key_metadata.unwrap().key_id, alice_key);
    let blob = bob
        .encrypt()
        .key_id(&alice_arn)
        .plaintext(Blob::new(b"shared".to_vec()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let back = alice
        .decrypt()
        .ciphertext_blob(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext.unwrap().into_inner(), b"shared");
    let back = bob.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(back.key_id.as_deref(), Some(alice_arn.as_str()));

    // ... but not for managing the key.
    check_error(
        bob.disable_key().key_id(&alice_arn).send().await,
        "NotFoundException",
    );
    check_error(
        bob.schedule_key_deletion().key_id(&alice_arn).send().await,
        "NotFoundException",
    );
    let state = alice
        .describe_key()
        .key_id(&alice_key)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_state
        .unwrap();
    assert_eq!(state.as_str(), "Enabled");
}
