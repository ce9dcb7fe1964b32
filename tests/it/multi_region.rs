//! Multi-Region keys through the SDK: CreateKey `MultiRegion`, ReplicateKey, ciphertexts,
//! signatures and MACs across regions, shared rotation, UpdatePrimaryRegion and the deletion
//! rules. The AWS CLI flow is in `aws_cli.rs`.

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    KeySpec, KeyState, KeyUsageType, MacAlgorithmSpec, MultiRegionKeyType, SigningAlgorithmSpec,
};

use crate::support::arns::key_arn_in;
use crate::support::errors::key_not_found;
use crate::support::keys::{decrypt, encrypt, tag};
use crate::support::lifecycle::{enable_rotation, rotation_status, schedule_deletion};
use crate::support::{ACCOUNT, DAY, TestServer, check_error, create_key, key_state, metadata};

const EAST: &str = "us-east-1";
const WEST: &str = "eu-west-1";
const SOUTH: &str = "ap-southeast-2";
/// Seconds a replica is `Creating`, and both keys `Updating` after UpdatePrimaryRegion.
const SETTLE: u64 = 3;

async fn create_primary(client: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    let created = client
        .create_key()
        .multi_region(true)
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .unwrap();
    created.key_metadata.unwrap().key_id
}

async fn replicate(client: &Client, key_id: &str, region: &str) {
    client
        .replicate_key()
        .key_id(key_id)
        .replica_region(region)
        .send()
        .await
        .unwrap();
}

/// The related keys' regions a key's metadata lists: (type, primary, replicas).
async fn configuration(client: &Client, key_id: &str) -> (MultiRegionKeyType, String, Vec<String>) {
    let meta = metadata(client, key_id).await;
    assert_eq!(meta.multi_region, Some(true));
    let config = meta.multi_region_configuration.unwrap();
    let primary = config.primary_key.unwrap();
    assert_eq!(
        primary.arn.as_deref(),
        Some(key_arn_in(primary.region.as_deref().unwrap(), ACCOUNT, key_id).as_str())
    );
    let replicas = config
        .replica_keys
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let region = r.region.unwrap();
            assert_eq!(r.arn.unwrap(), key_arn_in(&region, ACCOUNT, key_id));
            region
        })
        .collect();
    (
        config.multi_region_key_type.unwrap(),
        primary.region.unwrap(),
        replicas,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_key_makes_primary_keys_of_every_family() {
    let server = TestServer::start().await;
    let client = server.client();
    for (spec, usage) in [
        (KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt),
        (KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac),
        (KeySpec::EccNistP256, KeyUsageType::SignVerify),
        (KeySpec::EccNistP384, KeyUsageType::KeyAgreement),
    ] {
        let key_id = create_primary(&client, spec.clone(), usage).await;
        let hex = key_id.strip_prefix("mrk-").unwrap();
        assert_eq!(hex.len(), 32, "{key_id}");
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        let (kind, primary, replicas) = configuration(&client, &key_id).await;
        assert_eq!(kind, MultiRegionKeyType::Primary);
        assert_eq!(primary, EAST);
        assert!(replicas.is_empty());
    }
    let single = create_key(&client).await;
    let meta = metadata(&client, &single).await;
    assert_eq!(meta.multi_region, Some(false));
    assert!(meta.multi_region_configuration.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_shares_material_and_keeps_its_own_properties() {
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let west = server.client_for(WEST, "AKIDEXAMPLE");
    let created = east
        .create_key()
        .multi_region(true)
        .description("primary")
        .tags(tag("side", "east"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    let key_id = created.key_id;
    let before = encrypt(&east, &key_id, b"sealed before replication").await;

    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"replica","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    let replicated = east
        .replicate_key()
        .key_id(&key_id)
        .replica_region(WEST)
        .description("replica")
        .policy(&policy)
        .tags(tag("side", "west"))
        .send()
        .await
        .unwrap();
    let meta = replicated.replica_key_metadata.unwrap();
    assert_eq!(meta.key_id, key_id);
    assert_eq!(
        meta.arn.as_deref(),
        Some(key_arn_in(WEST, ACCOUNT, &key_id).as_str())
    );
    assert_eq!(meta.key_state, Some(KeyState::Creating));
    assert_eq!(meta.description.as_deref(), Some("replica"));
    assert_eq!(
        meta.current_key_material_id,
        created.current_key_material_id
    );
    assert_eq!(replicated.replica_policy.as_deref(), Some(policy.as_str()));
    let tags = replicated.replica_tags.unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].tag_value, "west");

    // Creating: manageable, not yet usable.
    let message = check_error(
        west.decrypt().ciphertext_blob(before.clone()).send().await,
        "KMSInvalidStateException",
    );
    assert_eq!(
        message,
        format!("{} is creating.", key_arn_in(WEST, ACCOUNT, &key_id))
    );
    // A replica that is being created can be tagged and described, not yet disabled.
    west.tag_resource()
        .key_id(&key_id)
        .tags(tag("stage", "creating"))
        .send()
        .await
        .unwrap();
    check_error(
        west.disable_key().key_id(&key_id).send().await,
        "KMSInvalidStateException",
    );
    server.advance(SETTLE).await;
    assert_eq!(key_state(&west, &key_id).await, "Enabled");
    west.untag_resource()
        .key_id(&key_id)
        .tag_keys("stage")
        .send()
        .await
        .unwrap();

    // The envelope names the key id, not the region: each side opens the other's.
    assert_eq!(decrypt(&west, before).await, b"sealed before replication");
    let from_west = encrypt(&west, &key_id, b"sealed in the replica").await;
    assert_eq!(decrypt(&east, from_west).await, b"sealed in the replica");

    // Both sides list the same configuration.
    for client in [&east, &west] {
        let (_, primary, replicas) = configuration(client, &key_id).await;
        assert_eq!(primary, EAST);
        assert_eq!(replicas, vec![WEST.to_owned()]);
    }
    assert_eq!(
        configuration(&west, &key_id).await.0,
        MultiRegionKeyType::Replica
    );

    // Description, tags, policy and state are each key's own.
    assert_eq!(
        metadata(&east, &key_id).await.description.as_deref(),
        Some("primary")
    );
    let east_tags = east
        .list_resource_tags()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(east_tags.tags.unwrap()[0].tag_value, "east");
    let east_policy = east
        .get_key_policy()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert_ne!(east_policy, policy);
    west.disable_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(key_state(&east, &key_id).await, "Enabled");
    encrypt(&east, &key_id, b"primary still works").await;

    // The configuration survives a restart.
    let server = server.restart().await;
    let west = server.client_for(WEST, "AKIDEXAMPLE");
    let (kind, primary, replicas) = configuration(&west, &key_id).await;
    assert_eq!(kind, MultiRegionKeyType::Replica);
    assert_eq!(primary, EAST);
    assert_eq!(replicas, vec![WEST.to_owned()]);
    assert_eq!(key_state(&west, &key_id).await, "Disabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_and_macs_verify_across_regions() {
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let west = server.client_for(WEST, "AKIDEXAMPLE");
    let signer = create_primary(&east, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let mac = create_primary(&east, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    replicate(&east, &signer, WEST).await;
    replicate(&east, &mac, WEST).await;
    server.advance(SETTLE).await;

    let message = Blob::new(b"the same key in two regions".to_vec());
    let signature = east
        .sign()
        .key_id(&signer)
        .message(message.clone())
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap()
        .signature
        .unwrap();
    let verified = west
        .verify()
        .key_id(&signer)
        .message(message.clone())
        .signature(signature)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap();
    assert!(verified.signature_valid);
    let public = |client: Client| {
        let signer = signer.clone();
        async move {
            client
                .get_public_key()
                .key_id(signer)
                .send()
                .await
                .unwrap()
                .public_key
                .unwrap()
        }
    };
    assert_eq!(public(east.clone()).await, public(west.clone()).await);

    let tag = west
        .generate_mac()
        .key_id(&mac)
        .message(message.clone())
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap()
        .mac
        .unwrap();
    let checked = east
        .verify_mac()
        .key_id(&mac)
        .message(message)
        .mac(tag)
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap();
    assert!(checked.mac_valid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicate_key_refuses_what_aws_refuses() {
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let west = server.client_for(WEST, "AKIDEXAMPLE");
    let single = create_key(&east).await;
    let message = check_error(
        east.replicate_key()
            .key_id(&single)
            .replica_region(WEST)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    assert_eq!(
        message,
        format!(
            "{} is not a multi-Region primary key.",
            key_arn_in(EAST, ACCOUNT, &single)
        )
    );
    let key_id = create_primary(
        &east,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    replicate(&east, &key_id, WEST).await;
    let message = check_error(
        east.replicate_key()
            .key_id(&key_id)
            .replica_region(WEST)
            .send()
            .await,
        "AlreadyExistsException",
    );
    assert!(
        message.contains(&key_arn_in(WEST, ACCOUNT, &key_id)),
        "{message}"
    );
    // A replica is no source, and the primary's own region is no replica region.
    let message = check_error(
        west.replicate_key()
            .key_id(&key_id)
            .replica_region(SOUTH)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    assert!(
        message.ends_with("is not a multi-Region primary key."),
        "{message}"
    );
    for region in [EAST, "cn-north-1"] {
        check_error(
            east.replicate_key()
                .key_id(&key_id)
                .replica_region(region)
                .send()
                .await,
            "UnsupportedOperationException",
        );
    }
    let message = check_error(
        east.replicate_key()
            .key_id(&key_id)
            .replica_region("moon")
            .send()
            .await,
        "ValidationException",
    );
    assert!(message.contains("'replicaRegion'"), "{message}");
    // Nothing of the refused calls stuck.
    assert_eq!(configuration(&east, &key_id).await.2, vec![WEST.to_owned()]);
    let south = server.client_for(SOUTH, "AKIDEXAMPLE");
    assert!(south.list_keys().send().await.unwrap().keys().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_the_primary_rotates_its_replicas() {
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let west = server.client_for(WEST, "AKIDEXAMPLE");
    let key_id = create_primary(
        &east,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    replicate(&east, &key_id, WEST).await;
    server.advance(SETTLE).await;

    enable_rotation(&east, &key_id, Some(90)).await;
    let status = rotation_status(&west, &key_id).await;
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(90));

    east.rotate_key_on_demand()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let current = |client: Client| {
        let key_id = key_id.clone();
        async move { metadata(&client, &key_id).await.current_key_material_id }
    };
    assert_eq!(current(east.clone()).await, current(west.clone()).await);
    let sealed = encrypt(&east, &key_id, b"after the rotation").await;
    assert_eq!(decrypt(&west, sealed).await, b"after the rotation");

    // The automatic rotation too.
    server.advance(90 * DAY).await;
    let rotations = west
        .list_key_rotations()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .rotations
        .unwrap();
    assert_eq!(rotations.len(), 2);
    assert_eq!(current(east.clone()).await, current(west.clone()).await);

    // A replica refuses what only the primary may do.
    let replica_arn = key_arn_in(WEST, ACCOUNT, &key_id);
    let refused = format!("{replica_arn} is not a multi-Region primary key.");
    let message = check_error(
        west.rotate_key_on_demand().key_id(&key_id).send().await,
        "UnsupportedOperationException",
    );
    assert_eq!(message, refused);
    let message = check_error(
        west.disable_key_rotation().key_id(&key_id).send().await,
        "UnsupportedOperationException",
    );
    assert_eq!(message, refused);
    let message = check_error(
        west.enable_key_rotation().key_id(&key_id).send().await,
        "UnsupportedOperationException",
    );
    assert_eq!(message, refused);
    east.disable_key_rotation()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert!(!rotation_status(&west, &key_id).await.key_rotation_enabled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_primary_region_swaps_the_roles() {
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let west = server.client_for(WEST, "AKIDEXAMPLE");
    let key_id = create_primary(
        &east,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    // The replica must be enabled; it is Creating at first.
    replicate(&east, &key_id, WEST).await;
    check_error(
        east.update_primary_region()
            .key_id(&key_id)
            .primary_region(WEST)
            .send()
            .await,
        "KMSInvalidStateException",
    );
    server.advance(SETTLE).await;
    let message = check_error(
        east.update_primary_region()
            .key_id(&key_id)
            .primary_region(SOUTH)
            .send()
            .await,
        "NotFoundException",
    );
    assert_eq!(message, key_not_found(&key_arn_in(SOUTH, ACCOUNT, &key_id)));
    west.disable_key().key_id(&key_id).send().await.unwrap();
    check_error(
        east.update_primary_region()
            .key_id(&key_id)
            .primary_region(WEST)
            .send()
            .await,
        "DisabledException",
    );
    west.enable_key().key_id(&key_id).send().await.unwrap();

    east.update_primary_region()
        .key_id(&key_id)
        .primary_region(WEST)
        .send()
        .await
        .unwrap();
    for (client, kind) in [
        (&east, MultiRegionKeyType::Replica),
        (&west, MultiRegionKeyType::Primary),
    ] {
        let (got, primary, replicas) = configuration(client, &key_id).await;
        assert_eq!(got, kind);
        assert_eq!(primary, WEST);
        assert_eq!(replicas, vec![EAST.to_owned()]);
        assert_eq!(key_state(client, &key_id).await, "Updating");
    }
    // Updating: usable, described, not enabled or disabled.
    let sealed = encrypt(&east, &key_id, b"while updating").await;
    east.update_key_description()
        .key_id(&key_id)
        .description("the old primary")
        .send()
        .await
        .unwrap();
    check_error(
        west.disable_key().key_id(&key_id).send().await,
        "KMSInvalidStateException",
    );
    server.advance(SETTLE).await;
    assert_eq!(key_state(&east, &key_id).await, "Enabled");
    assert_eq!(key_state(&west, &key_id).await, "Enabled");
    assert_eq!(decrypt(&west, sealed).await, b"while updating");

    // Only the new primary replicates and rotates now.
    check_error(
        east.replicate_key()
            .key_id(&key_id)
            .replica_region(SOUTH)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    check_error(
        east.rotate_key_on_demand().key_id(&key_id).send().await,
        "UnsupportedOperationException",
    );
    replicate(&west, &key_id, SOUTH).await;
    assert_eq!(
        configuration(&east, &key_id).await.2,
        vec![EAST.to_owned(), SOUTH.to_owned()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_primary_is_deleted_after_its_replicas() {
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let west = server.client_for(WEST, "AKIDEXAMPLE");
    let south = server.client_for(SOUTH, "AKIDEXAMPLE");
    let key_id = create_primary(
        &east,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    replicate(&east, &key_id, WEST).await;
    replicate(&east, &key_id, SOUTH).await;
    server.advance(SETTLE).await;
    let sealed = encrypt(&east, &key_id, b"outlives its primary's schedule").await;

    let scheduled = schedule_deletion(&east, &key_id, Some(7)).await;
    assert_eq!(scheduled.key_state, Some(KeyState::PendingReplicaDeletion));
    assert!(scheduled.deletion_date.is_none());
    assert_eq!(scheduled.pending_window_in_days, Some(7));
    let meta = metadata(&east, &key_id).await;
    assert_eq!(meta.key_state, Some(KeyState::PendingReplicaDeletion));
    assert_eq!(meta.pending_deletion_window_in_days, Some(7));
    assert!(meta.deletion_date.is_none());
    check_error(
        east.encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "KMSInvalidStateException",
    );
    check_error(
        east.replicate_key()
            .key_id(&key_id)
            .replica_region("eu-central-1")
            .send()
            .await,
        "KMSInvalidStateException",
    );
    // The replicas still work meanwhile.
    assert_eq!(
        decrypt(&south, sealed).await,
        b"outlives its primary's schedule"
    );

    schedule_deletion(&west, &key_id, Some(7)).await;
    server.advance(7 * DAY).await;
    check_error(
        west.describe_key().key_id(&key_id).send().await,
        "NotFoundException",
    );
    assert_eq!(
        configuration(&east, &key_id).await.2,
        vec![SOUTH.to_owned()]
    );
    assert_eq!(
        configuration(&south, &key_id).await.2,
        vec![SOUTH.to_owned()]
    );
    assert_eq!(key_state(&east, &key_id).await, "PendingReplicaDeletion");

    // The last replica goes: the primary's waiting period starts then.
    schedule_deletion(&south, &key_id, Some(7)).await;
    server.advance(7 * DAY).await;
    let meta = metadata(&east, &key_id).await;
    assert_eq!(meta.key_state, Some(KeyState::PendingDeletion));
    assert!(meta.pending_deletion_window_in_days.is_none());
    assert!(meta.deletion_date.is_some());
    assert!(configuration(&east, &key_id).await.2.is_empty());
    server.advance(7 * DAY).await;
    check_error(
        east.describe_key().key_id(&key_id).send().await,
        "NotFoundException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_primary_waiting_for_its_replicas() {
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let key_id = create_primary(
        &east,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    replicate(&east, &key_id, WEST).await;
    server.advance(SETTLE).await;
    schedule_deletion(&east, &key_id, None).await;
    check_error(
        east.schedule_key_deletion().key_id(&key_id).send().await,
        "KMSInvalidStateException",
    );
    east.cancel_key_deletion()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let meta = metadata(&east, &key_id).await;
    assert_eq!(meta.key_state, Some(KeyState::Disabled));
    assert!(meta.pending_deletion_window_in_days.is_none());
}

/// One advance that makes a replica's deletion and its primary's rotation due together:
/// the rotation does not bring the deleted replica back, and the other replica rotates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_and_a_replica_deletion_due_together() {
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let west = server.client_for(WEST, "AKIDEXAMPLE");
    let south = server.client_for(SOUTH, "AKIDEXAMPLE");
    let key_id = create_primary(
        &east,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    replicate(&east, &key_id, WEST).await;
    replicate(&east, &key_id, SOUTH).await;
    server.advance(SETTLE).await;
    enable_rotation(&east, &key_id, Some(90)).await;
    schedule_deletion(&west, &key_id, Some(30)).await;

    let advanced = server.advance(100 * DAY).await;
    assert!(
        advanced
            .to_string()
            .contains(&key_arn_in(WEST, ACCOUNT, &key_id)),
        "{advanced}"
    );
    check_error(
        west.describe_key().key_id(&key_id).send().await,
        "NotFoundException",
    );
    assert!(west.list_keys().send().await.unwrap().keys().is_empty());
    assert_eq!(
        configuration(&east, &key_id).await.2,
        vec![SOUTH.to_owned()]
    );
    let south_meta = metadata(&south, &key_id).await;
    let east_meta = metadata(&east, &key_id).await;
    assert_eq!(
        south_meta.current_key_material_id,
        east_meta.current_key_material_id
    );
    let rotations = south
        .list_key_rotations()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .rotations
        .unwrap();
    assert_eq!(rotations.len(), 1);
}

/// `kmsd export` writes each related key's configuration, and seeding the file makes the same
/// related keys again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_seed_keep_the_related_keys() {
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let key_id = create_primary(
        &east,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    replicate(&east, &key_id, WEST).await;
    server.advance(SETTLE).await;
    let sealed = encrypt(&east, &key_id, b"exported").await;
    let export = server.admin("GET", "/_kmsd/export", "").await;
    assert_eq!(export.status, 200);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.yaml");
    std::fs::write(&file, &export.body).unwrap();

    let seeded = TestServer::start_seeded(&file).await;
    let west = seeded.client_for(WEST, "AKIDEXAMPLE");
    assert_eq!(decrypt(&west, sealed).await, b"exported");
    let (kind, primary, replicas) = configuration(&west, &key_id).await;
    assert_eq!(kind, MultiRegionKeyType::Replica);
    assert_eq!(primary, EAST);
    assert_eq!(replicas, vec![WEST.to_owned()]);
    let east = seeded.client_for(EAST, "AKIDEXAMPLE");
    assert_eq!(
        configuration(&east, &key_id).await.0,
        MultiRegionKeyType::Primary
    );
}
