//! Account and region scoping: from the SigV4 credential scope and a 12-digit access key id.

use crate::support::arns::key_arn_in;
use crate::support::errors::key_not_found;
use crate::support::keys::{create_alias, decrypt, encrypt};
use crate::support::{ACCOUNT, TestServer, check_error, create_key, key_state, metadata};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_regional() {
    let server = TestServer::start().await;
    let east = server.client_for("us-east-1", "AKIDEXAMPLE");
    let west = server.client_for("eu-west-1", "AKIDEXAMPLE");
    let key_id = create_key(&west).await;
    let meta = metadata(&west, &key_id).await;
    let arn = key_arn_in("eu-west-1", ACCOUNT, &key_id);
    assert_eq!(meta.arn.as_deref(), Some(arn.as_str()));

    let message = check_error(
        east.describe_key().key_id(&key_id).send().await,
        "NotFoundException",
    );
    assert_eq!(message, key_not_found(&key_id));
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
        create_alias(client, "alias/same-name", &id).await;
    }
    let east_target = metadata(&east, "alias/same-name").await;
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
    let meta = metadata(&alice, &alice_key).await;
    assert_eq!(meta.aws_account_id.as_deref(), Some("111111111111"));
    let alice_arn = meta.arn.unwrap();
    assert_eq!(
        alice_arn,
        key_arn_in("us-east-1", "111111111111", &alice_key)
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
    let blob = encrypt(&bob, &alice_arn, b"shared").await;
    assert_eq!(decrypt(&alice, blob.clone()).await, b"shared");
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
    assert_eq!(key_state(&alice, &alice_key).await, "Enabled");
}
