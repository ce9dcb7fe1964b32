//! Multi-Region keys with imported key material through the SDK: material wrapped outside kmsd
//! (OpenSSL, as `import.rs` does it) and imported into each related key with that key's own
//! import parameters; what AWS refuses (material a replica's primary lacks, new material in a
//! replica); each key's own expiry and deletion; on-demand rotation with
//! `PENDING_MULTI_REGION_IMPORT_AND_ROTATION`; export and seed.

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, ImportType, KeySpec, KeyUsageType, MacAlgorithmSpec,
    MessageType, MultiRegionKeyType, OriginType, SigningAlgorithmSpec, WrappingKeySpec,
};

use crate::import::{
    check_symmetric_material, import, import_as, import_fresh, openssl_key, parameters, rotations,
    wrap,
};
use crate::support::arns::key_arn_in;
use crate::support::keys::{decrypt, encrypt};
use crate::support::lifecycle::schedule_deletion;
use crate::support::tools::tools_available;
use crate::support::{ACCOUNT, DAY, TestServer, check_error, key_state, metadata};

const EAST: &str = "us-east-1";
const WEST: &str = "eu-west-1";
const SOUTH: &str = "ap-southeast-2";
/// Seconds a replica is `Creating`.
const SETTLE: u64 = 3;

/// CreateKey with `MultiRegion` and `Origin` `EXTERNAL`; returns the key id.
async fn create_imported_primary(client: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    client
        .create_key()
        .multi_region(true)
        .origin(OriginType::External)
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id
}

/// Where several tests start: a server, clients in `EAST` and `WEST`, a directory for the
/// wrapping tools' files, and a symmetric imported multi-Region primary in `EAST` replicated
/// into `WEST`, both waiting for their material.
struct Related {
    server: TestServer,
    east: Client,
    west: Client,
    dir: tempfile::TempDir,
    key: String,
}

async fn symmetric_primary_and_replica() -> Related {
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let west = server.client_for(WEST, "AKIDEXAMPLE");
    let dir = tempfile::tempdir().unwrap();
    let key = create_imported_primary(
        &east,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    replicate(&server, &east, &key, WEST).await;
    Related {
        server,
        east,
        west,
        dir,
        key,
    }
}

/// ReplicateKey into `region`, then the clock past the `Creating` state.
async fn replicate(server: &TestServer, client: &Client, key_id: &str, region: &str) {
    let replica = client
        .replicate_key()
        .key_id(key_id)
        .replica_region(region)
        .send()
        .await
        .unwrap()
        .replica_key_metadata
        .unwrap();
    assert_eq!(replica.key_state.unwrap().as_str(), "Creating");
    assert_eq!(replica.origin, Some(OriginType::External));
    server.advance(SETTLE).await;
}

/// `material` wrapped for `key` under fresh parameters of `client`'s region: the token and the
/// wrapped material.
async fn wrapped(
    client: &Client,
    dir: &std::path::Path,
    key: &str,
    material: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let algorithm = AlgorithmSpec::RsaAesKeyWrapSha256;
    let (public, token) =
        parameters(client, key, algorithm.clone(), WrappingKeySpec::Rsa2048).await;
    (token, wrap(dir, &public, &algorithm, material, false))
}

/// The (material id, KeyMaterialState, ImportState) of every material ListKeyRotations lists
/// with `ALL_KEY_MATERIAL`.
async fn materials(client: &Client, key: &str) -> Vec<(String, String, String)> {
    rotations(client, key, true)
        .await
        .into_iter()
        .map(|(id, state, import, _, _)| (id, state, import))
        .collect()
}

fn entry(id: &str, state: &str, import: &str) -> (String, String, String) {
    (id.to_owned(), state.to_owned(), import.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_material_imported_into_each_region_makes_the_keys_interoperable() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let west = server.client_for(WEST, "AKIDEXAMPLE");
    let dir = tempfile::tempdir().unwrap();
    let key = create_imported_primary(
        &east,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    assert!(key.starts_with("mrk-"));
    let meta = metadata(&east, &key).await;
    assert_eq!(meta.key_state.unwrap().as_str(), "PendingImport");
    assert_eq!(meta.origin, Some(OriginType::External));
    assert_eq!(meta.multi_region, Some(true));

    // A primary waiting for material can be replicated; the replica waits for it too.
    replicate(&server, &east, &key, WEST).await;
    let replica = metadata(&west, &key).await;
    assert_eq!(replica.key_state.unwrap().as_str(), "PendingImport");
    assert_eq!(
        replica
            .multi_region_configuration
            .unwrap()
            .multi_region_key_type,
        Some(MultiRegionKeyType::Replica)
    );
    assert_eq!(replica.current_key_material_id, None);

    // New material goes into the primary first.
    let material = [0x5au8; 32];
    let (token, encrypted) = wrapped(&west, dir.path(), &key, &material).await;
    let message = check_error(
        import(&west, &key, &token, &encrypted, None).await,
        "IncorrectKeyMaterialException",
    );
    assert!(message.contains("primary key in us-east-1"), "{message}");
    assert_eq!(key_state(&west, &key).await, "PendingImport");

    let id = import_fresh(&east, dir.path(), &key, &material, None).await;
    assert_eq!(key_state(&east, &key).await, "Enabled");
    // The replica knows the material, and that it is not imported there yet.
    assert_eq!(key_state(&west, &key).await, "PendingImport");
    assert_eq!(
        materials(&west, &key).await,
        [entry(&id, "CURRENT", "PENDING_IMPORT")]
    );
    assert_eq!(
        metadata(&west, &key)
            .await
            .current_key_material_id
            .as_deref(),
        Some(id.as_str())
    );
    let sealed_east = encrypt(&east, &key, b"sealed in us-east-1").await;
    check_error(
        west.decrypt()
            .ciphertext_blob(sealed_east.clone())
            .send()
            .await,
        "KMSInvalidStateException",
    );

    // Each key imports with parameters of its own: the primary's token is not the replica's.
    let (east_token, east_encrypted) = wrapped(&east, dir.path(), &key, &material).await;
    check_error(
        import(&west, &key, &east_token, &east_encrypted, None).await,
        "InvalidImportTokenException",
    );
    // Other material is refused, and changes nothing.
    let (token, other) = wrapped(&west, dir.path(), &key, &[0x5bu8; 32]).await;
    check_error(
        import(&west, &key, &token, &other, None).await,
        "IncorrectKeyMaterialException",
    );
    assert_eq!(key_state(&west, &key).await, "PendingImport");
    // New material with the primary's own material is refused too: it is not new.
    check_error(
        import_as(
            &west,
            dir.path(),
            &key,
            &material,
            ImportType::NewKeyMaterial,
            None,
            None,
        )
        .await,
        "IncorrectKeyMaterialException",
    );

    let replica_id = import_fresh(&west, dir.path(), &key, &material, None).await;
    assert_eq!(replica_id, id);
    assert_eq!(key_state(&west, &key).await, "Enabled");
    assert_eq!(
        materials(&west, &key).await,
        [entry(&id, "CURRENT", "IMPORTED")]
    );
    assert_eq!(decrypt(&west, sealed_east).await, b"sealed in us-east-1");
    let sealed_west = encrypt(&west, &key, b"sealed in eu-west-1").await;
    assert_eq!(decrypt(&east, sealed_west).await, b"sealed in eu-west-1");
    check_symmetric_material(&west, &key, &material, &id).await;

    // A replica made after the import waits for the material as well.
    replicate(&server, &east, &key, SOUTH).await;
    let south = server.client_for(SOUTH, "AKIDEXAMPLE");
    assert_eq!(key_state(&south, &key).await, "PendingImport");
    import_fresh(&south, dir.path(), &key, &material, None).await;
    let sealed_south = encrypt(&south, &key, b"sealed in ap-southeast-2").await;
    assert_eq!(
        decrypt(&east, sealed_south).await,
        b"sealed in ap-southeast-2"
    );
    let config = metadata(&east, &key)
        .await
        .multi_region_configuration
        .unwrap();
    let regions: Vec<_> = config
        .replica_keys()
        .iter()
        .map(|r| r.region().unwrap().to_owned())
        .collect();
    assert_eq!(regions, [WEST, SOUTH]);

    // After UpdatePrimaryRegion, new material goes into the new primary.
    east.update_primary_region()
        .key_id(&key)
        .primary_region(WEST)
        .send()
        .await
        .unwrap();
    server.advance(SETTLE).await;
    let next = [0x5cu8; 32];
    check_error(
        import_as(
            &east,
            dir.path(),
            &key,
            &next,
            ImportType::NewKeyMaterial,
            None,
            None,
        )
        .await,
        "IncorrectKeyMaterialException",
    );
    let next_id = import_as(
        &west,
        dir.path(),
        &key,
        &next,
        ImportType::NewKeyMaterial,
        None,
        None,
    )
    .await
    .unwrap();
    for client in [&east, &west, &south] {
        assert_eq!(
            materials(client, &key).await[1].1,
            "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
        );
    }
    assert_eq!(materials(&east, &key).await[1].0, next_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_related_key_has_its_own_expiry_and_deletion() {
    if !tools_available() {
        return;
    }
    let Related {
        server,
        east,
        west,
        dir,
        key,
    } = symmetric_primary_and_replica().await;
    let material = [0x6cu8; 32];
    let now = server.clock().await["now"].as_f64().unwrap();
    let east_valid_to = (now + 3.0 * DAY as f64).floor();
    let west_valid_to = (now + DAY as f64).floor();
    import_fresh(&east, dir.path(), &key, &material, Some(east_valid_to)).await;
    import_fresh(&west, dir.path(), &key, &material, Some(west_valid_to)).await;
    assert_eq!(
        metadata(&east, &key).await.valid_to.unwrap().secs() as f64,
        east_valid_to
    );
    assert_eq!(
        metadata(&west, &key).await.valid_to.unwrap().secs() as f64,
        west_valid_to
    );
    let sealed = encrypt(&east, &key, b"expiring").await;

    // The replica's material expires first; the primary is unaffected.
    let advanced = server.advance(DAY).await;
    let expired = advanced["expired"].as_array().unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(
        expired[0].as_str(),
        Some(key_arn_in(WEST, ACCOUNT, &key).as_str())
    );
    assert_eq!(key_state(&west, &key).await, "PendingImport");
    assert_eq!(key_state(&east, &key).await, "Enabled");
    assert_eq!(metadata(&west, &key).await.valid_to, None);
    check_error(
        west.decrypt().ciphertext_blob(sealed.clone()).send().await,
        "KMSInvalidStateException",
    );
    assert_eq!(decrypt(&east, sealed.clone()).await, b"expiring");

    // Imported again without expiry, the replica outlives the primary's material.
    import_fresh(&west, dir.path(), &key, &material, None).await;
    assert_eq!(metadata(&west, &key).await.valid_to, None);
    let advanced = server.advance(2 * DAY).await;
    assert_eq!(
        advanced["expired"].as_array().unwrap()[0].as_str(),
        Some(key_arn_in(EAST, ACCOUNT, &key).as_str())
    );
    assert_eq!(key_state(&east, &key).await, "PendingImport");
    assert_eq!(key_state(&west, &key).await, "Enabled");
    assert_eq!(decrypt(&west, sealed.clone()).await, b"expiring");

    // DeleteImportedKeyMaterial acts on one region only.
    import_fresh(&east, dir.path(), &key, &material, None).await;
    client_delete(&west, &key).await;
    assert_eq!(key_state(&west, &key).await, "PendingImport");
    assert_eq!(key_state(&east, &key).await, "Enabled");
    assert_eq!(decrypt(&east, sealed).await, b"expiring");

    // Material pending rotation that expires in a replica waits for that replica again; when
    // it expires in the primary, it leaves every related key.
    import_fresh(&west, dir.path(), &key, &material, None).await;
    let next = [0x6du8; 32];
    let next_id = import_as(
        &east,
        dir.path(),
        &key,
        &next,
        ImportType::NewKeyMaterial,
        None,
        None,
    )
    .await
    .unwrap();
    let now = server.clock().await["now"].as_f64().unwrap();
    import_expiring(
        &west,
        dir.path(),
        &key,
        &next,
        ImportType::ExistingKeyMaterial,
        (now + DAY as f64).floor(),
    )
    .await;
    assert_eq!(materials(&east, &key).await[1].1, "PENDING_ROTATION");
    server.advance(DAY).await;
    assert_eq!(
        materials(&east, &key).await[1],
        entry(
            &next_id,
            "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
            "IMPORTED"
        )
    );
    assert_eq!(
        materials(&west, &key).await[1],
        entry(
            &next_id,
            "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
            "PENDING_IMPORT"
        )
    );
    assert_eq!(key_state(&west, &key).await, "Enabled");
    let now = server.clock().await["now"].as_f64().unwrap();
    import_expiring(
        &east,
        dir.path(),
        &key,
        &next,
        ImportType::ExistingKeyMaterial,
        (now + DAY as f64).floor(),
    )
    .await;
    server.advance(DAY).await;
    for client in [&east, &west] {
        assert_eq!(materials(client, &key).await.len(), 1);
        assert_eq!(key_state(client, &key).await, "Enabled");
    }
}

/// ImportKeyMaterial of `material` as `import_type`, expiring at `valid_to` (epoch seconds).
async fn import_expiring(
    client: &Client,
    dir: &std::path::Path,
    key: &str,
    material: &[u8],
    import_type: ImportType,
    valid_to: f64,
) {
    let (token, encrypted) = wrapped(client, dir, key, material).await;
    client
        .import_key_material()
        .key_id(key)
        .import_token(Blob::new(token))
        .encrypted_key_material(Blob::new(encrypted))
        .expiration_model(ExpirationModelType::KeyMaterialExpires)
        .valid_to(DateTime::from_secs_f64(valid_to))
        .import_type(import_type)
        .send()
        .await
        .unwrap();
}

async fn client_delete(client: &Client, key: &str) {
    client
        .delete_imported_key_material()
        .key_id(key)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_demand_rotation_waits_for_every_replica() {
    if !tools_available() {
        return;
    }
    let Related {
        server,
        east,
        west,
        dir,
        key,
    } = symmetric_primary_and_replica().await;
    let (m1, m2, m3) = ([0x11u8; 32], [0x22u8; 32], [0x33u8; 32]);
    let id1 = import_fresh(&east, dir.path(), &key, &m1, None).await;
    import_fresh(&west, dir.path(), &key, &m1, None).await;
    let c1 = encrypt(&west, &key, b"under the first").await;
    let new = ImportType::NewKeyMaterial;
    let existing = ImportType::ExistingKeyMaterial;

    // New material goes into the primary, not into a replica.
    check_error(
        import_as(&west, dir.path(), &key, &m2, new.clone(), None, None).await,
        "IncorrectKeyMaterialException",
    );
    let id2 = import_as(&east, dir.path(), &key, &m2, new.clone(), None, None)
        .await
        .unwrap();
    assert_eq!(
        materials(&east, &key).await,
        [
            entry(&id1, "CURRENT", "IMPORTED"),
            entry(&id2, "PENDING_MULTI_REGION_IMPORT_AND_ROTATION", "IMPORTED"),
        ]
    );
    assert_eq!(
        materials(&west, &key).await,
        [
            entry(&id1, "CURRENT", "IMPORTED"),
            entry(
                &id2,
                "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
                "PENDING_IMPORT"
            ),
        ]
    );
    // The replica still works: material pending rotation is not yet the key's.
    assert_eq!(key_state(&west, &key).await, "Enabled");
    // The console's view of the replica says the same, and holds no material.
    let details = server
        .admin("GET", &format!("/_kmsd/keys/{key}?region={WEST}"), "")
        .await;
    assert_eq!(details.status, 200);
    let details = details.json();
    assert_eq!(details["keyMetadata"]["Origin"], "EXTERNAL");
    let listed: Vec<_> = details["materials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["keyMaterialId"].as_str().unwrap().to_owned(),
                m["keyMaterialState"].as_str().unwrap().to_owned(),
                m["importState"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(listed, materials(&west, &key).await);
    assert!(
        !details
            .to_string()
            .contains(&crate::support::tools::hex(&m2))
    );
    let message = check_error(
        east.rotate_key_on_demand().key_id(&key).send().await,
        "ValidationException",
    );
    assert!(
        message.contains("PENDING_MULTI_REGION_IMPORT_AND_ROTATION"),
        "{message}"
    );
    // Replicas never rotate themselves.
    check_error(
        west.rotate_key_on_demand().key_id(&key).send().await,
        "UnsupportedOperationException",
    );
    // One rotation waits at a time, in the primary too.
    check_error(
        import_as(&east, dir.path(), &key, &m3, new.clone(), None, None).await,
        "IncorrectKeyMaterialException",
    );

    // Imported into the replica (as existing material), it is PENDING_ROTATION everywhere.
    check_error(
        import_as(&west, dir.path(), &key, &m2, new.clone(), None, None).await,
        "IncorrectKeyMaterialException",
    );
    import_as(
        &west,
        dir.path(),
        &key,
        &m2,
        existing.clone(),
        Some(&id2),
        Some("second in eu-west-1"),
    )
    .await
    .unwrap();
    for client in [&east, &west] {
        assert_eq!(materials(client, &key).await[1].1, "PENDING_ROTATION");
    }
    // Deleted from the replica, the primary keeps it, and it waits for the replica again.
    west.delete_imported_key_material()
        .key_id(&key)
        .key_material_id(&id2)
        .send()
        .await
        .unwrap();
    assert_eq!(key_state(&west, &key).await, "Enabled");
    assert_eq!(
        materials(&east, &key).await[1],
        entry(&id2, "PENDING_MULTI_REGION_IMPORT_AND_ROTATION", "IMPORTED")
    );
    assert_eq!(
        materials(&west, &key).await[1],
        entry(
            &id2,
            "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
            "PENDING_IMPORT"
        )
    );
    import_as(&west, dir.path(), &key, &m2, existing.clone(), None, None)
        .await
        .unwrap();
    // The replica keeps the description it gave the material.
    assert_eq!(
        rotations(&west, &key, true).await[1].3.as_deref(),
        Some("second in eu-west-1")
    );
    assert_eq!(rotations(&east, &key, true).await[1].3, None);

    let rotated = east
        .rotate_key_on_demand()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert!(rotated.key_id().unwrap().ends_with(&key));
    for client in [&east, &west] {
        assert_eq!(
            metadata(client, &key)
                .await
                .current_key_material_id
                .as_deref(),
            Some(id2.as_str())
        );
        assert_eq!(
            materials(client, &key).await,
            [
                entry(&id1, "NON_CURRENT", "IMPORTED"),
                entry(&id2, "CURRENT", "IMPORTED"),
            ]
        );
        let listed = rotations(client, &key, false).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].4.as_deref(), Some("ON_DEMAND"));
    }
    check_symmetric_material(&west, &key, &m2, &id2).await;
    let c2 = encrypt(&east, &key, b"under the second").await;
    assert_eq!(decrypt(&west, c2).await, b"under the second");
    assert_eq!(decrypt(&east, c1).await, b"under the first");

    // Deleting material pending rotation from the primary deletes it from the replicas.
    let id3 = import_as(&east, dir.path(), &key, &m3, new.clone(), None, None)
        .await
        .unwrap();
    import_as(&west, dir.path(), &key, &m3, existing.clone(), None, None)
        .await
        .unwrap();
    assert_eq!(materials(&west, &key).await[2].1, "PENDING_ROTATION");
    east.delete_imported_key_material()
        .key_id(&key)
        .key_material_id(&id3)
        .send()
        .await
        .unwrap();
    for client in [&east, &west] {
        assert_eq!(materials(client, &key).await.len(), 2);
        assert_eq!(key_state(client, &key).await, "Enabled");
    }

    // A new replica lacks the material pending rotation; once that replica is gone, the
    // others are enough again.
    import_as(&east, dir.path(), &key, &m3, new, None, None)
        .await
        .unwrap();
    import_as(&west, dir.path(), &key, &m3, existing, None, None)
        .await
        .unwrap();
    replicate(&server, &east, &key, SOUTH).await;
    let south = server.client_for(SOUTH, "AKIDEXAMPLE");
    assert_eq!(
        materials(&south, &key).await,
        [
            entry(&id1, "NON_CURRENT", "PENDING_IMPORT"),
            entry(&id2, "CURRENT", "PENDING_IMPORT"),
            entry(
                &id3,
                "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
                "PENDING_IMPORT"
            ),
        ]
    );
    assert_eq!(
        materials(&east, &key).await[2].1,
        "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
    );
    schedule_deletion(&south, &key, Some(7)).await;
    server.advance(7 * DAY).await;
    assert_eq!(materials(&east, &key).await[2].1, "PENDING_ROTATION");
    east.rotate_key_on_demand()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        metadata(&west, &key)
            .await
            .current_key_material_id
            .as_deref(),
        Some(id3.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hmac_and_signing_keys_with_imported_material_work_across_regions() {
    if !tools_available() {
        return;
    }
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let west = server.client_for(WEST, "AKIDEXAMPLE");
    let dir = tempfile::tempdir().unwrap();

    let hmac =
        create_imported_primary(&east, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    replicate(&server, &east, &hmac, WEST).await;
    let secret = [0x42u8; 48];
    import_fresh(&east, dir.path(), &hmac, &secret, None).await;
    import_fresh(&west, dir.path(), &hmac, &secret, None).await;
    let mac = east
        .generate_mac()
        .key_id(&hmac)
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .message(Blob::new(b"mac me".as_slice()))
        .send()
        .await
        .unwrap()
        .mac
        .unwrap();
    let verified = west
        .verify_mac()
        .key_id(&hmac)
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .message(Blob::new(b"mac me".as_slice()))
        .mac(mac)
        .send()
        .await
        .unwrap();
    assert!(verified.mac_valid);
    // An HMAC key takes no other material, in the replica either.
    let (token, other) = wrapped(&west, dir.path(), &hmac, &[0x43u8; 48]).await;
    west.delete_imported_key_material()
        .key_id(&hmac)
        .send()
        .await
        .unwrap();
    check_error(
        import(&west, &hmac, &token, &other, None).await,
        "IncorrectKeyMaterialException",
    );

    let ecc = create_imported_primary(&east, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    replicate(&server, &east, &ecc, WEST).await;
    let (der, _) = openssl_key(
        dir.path(),
        "ecc",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let (other, _) = openssl_key(
        dir.path(),
        "other",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    import_fresh(&east, dir.path(), &ecc, &der, None).await;
    let (token, encrypted) = wrapped(&west, dir.path(), &ecc, &other).await;
    check_error(
        import(&west, &ecc, &token, &encrypted, None).await,
        "IncorrectKeyMaterialException",
    );
    import_fresh(&west, dir.path(), &ecc, &der, None).await;
    assert_eq!(
        crate::support::keys::public_key(&west, &ecc).await,
        crate::support::keys::public_key(&east, &ecc).await
    );
    let signature = west
        .sign()
        .key_id(&ecc)
        .message(Blob::new(b"signed in eu-west-1".as_slice()))
        .message_type(MessageType::Raw)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .unwrap()
        .signature
        .unwrap();
    let verified = east
        .verify()
        .key_id(&ecc)
        .message(Blob::new(b"signed in eu-west-1".as_slice()))
        .message_type(MessageType::Raw)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .signature(signature)
        .send()
        .await
        .unwrap();
    assert!(verified.signature_valid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_multi_region_keys_refuse_what_aws_refuses() {
    let server = TestServer::start().await;
    let east = server.client_for(EAST, "AKIDEXAMPLE");
    let west = server.client_for(WEST, "AKIDEXAMPLE");
    // Key specs that take no imported material are refused as for single-Region keys.
    for spec in [KeySpec::EccNistEdwards25519, KeySpec::MlDsa44] {
        check_error(
            east.create_key()
                .multi_region(true)
                .origin(OriginType::External)
                .key_spec(spec)
                .key_usage(KeyUsageType::SignVerify)
                .send()
                .await,
            "UnsupportedOperationException",
        );
    }
    assert!(east.list_keys().send().await.unwrap().keys().is_empty());

    let key = create_imported_primary(
        &east,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    // A replica that is being created takes no import parameters yet.
    east.replicate_key()
        .key_id(&key)
        .replica_region(WEST)
        .send()
        .await
        .unwrap();
    check_error(
        west.get_parameters_for_import()
            .key_id(&key)
            .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
            .wrapping_key_spec(WrappingKeySpec::Rsa2048)
            .send()
            .await,
        "KMSInvalidStateException",
    );
    check_error(
        east.replicate_key()
            .key_id(&key)
            .replica_region(WEST)
            .send()
            .await,
        "AlreadyExistsException",
    );
    // A replica is not replicated, and a primary pending deletion is not either.
    server.advance(SETTLE).await;
    check_error(
        west.replicate_key()
            .key_id(&key)
            .replica_region(SOUTH)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    // Nothing to delete in a key that has no material yet.
    check_error(
        west.delete_imported_key_material()
            .key_id(&key)
            .send()
            .await,
        "KMSInvalidStateException",
    );
    schedule_deletion(&east, &key, Some(7)).await;
    check_error(
        east.replicate_key()
            .key_id(&key)
            .replica_region(SOUTH)
            .send()
            .await,
        "KMSInvalidStateException",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_export_and_seed_keep_each_regions_imports() {
    if !tools_available() {
        return;
    }
    let Related {
        server: a,
        east,
        west,
        dir,
        key,
    } = symmetric_primary_and_replica().await;
    let (m1, m2) = ([0x0au8; 32], [0x0bu8; 32]);
    let id1 = import_fresh(&east, dir.path(), &key, &m1, None).await;
    import_fresh(&west, dir.path(), &key, &m1, None).await;
    let id2 = import_as(
        &east,
        dir.path(),
        &key,
        &m2,
        ImportType::NewKeyMaterial,
        None,
        None,
    )
    .await
    .unwrap();
    let sealed = encrypt(&east, &key, b"exported").await;
    let before = materials(&west, &key).await;

    // The data dir keeps each region's imports too.
    let a = a.restart().await;
    let west = a.client_for(WEST, "AKIDEXAMPLE");
    assert_eq!(materials(&west, &key).await, before);

    let exported = a.admin("GET", "/_kmsd/export", "").await;
    assert_eq!(exported.status, 200);
    let file = dir.path().join("export.yaml");
    std::fs::write(&file, &exported.body).unwrap();
    let b = TestServer::start_seeded(&file).await;
    let east = b.client_for(EAST, "AKIDEXAMPLE");
    let west = b.client_for(WEST, "AKIDEXAMPLE");
    assert_eq!(decrypt(&west, sealed).await, b"exported");
    assert_eq!(
        materials(&west, &key).await,
        [
            entry(&id1, "CURRENT", "IMPORTED"),
            entry(
                &id2,
                "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
                "PENDING_IMPORT"
            ),
        ]
    );
    // The seeded keys carry on: the replica takes the material, then the primary rotates.
    import_fresh(&west, dir.path(), &key, &m2, None).await;
    assert_eq!(materials(&east, &key).await[1].1, "PENDING_ROTATION");
    east.rotate_key_on_demand()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    check_symmetric_material(&west, &key, &m2, &id2).await;
}
