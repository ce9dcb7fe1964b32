//! Key rotation through the SDK, on kmsd's clock: automatic rotation when the clock passes the
//! period, on-demand rotation and its quota, ListKeyRotations, and that every old ciphertext
//! still decrypts while new ones use the new material.

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{IncludeKeyMaterial, KeyMaterialState, RotationType};

use crate::support::arns::key_arn;
use crate::support::errors::{disabled, key_not_found, pending_deletion};
use crate::support::keys::{create_alias, encrypt};
use crate::support::lifecycle::{
    enable_rotation, list_rotations, rotation_status, schedule_deletion,
};
use crate::support::{DAY, REGION, TestServer, check_error, create_key, metadata};

/// The key's current KeyMaterialId as DescribeKey reports it.
async fn current_material(client: &Client, key_id: &str) -> String {
    metadata(client, key_id)
        .await
        .current_key_material_id
        .unwrap()
}

/// Decrypts and returns (plaintext, KeyMaterialId).
async fn decrypt_with_material(client: &Client, blob: &Blob) -> (Vec<u8>, String) {
    let out = client
        .decrypt()
        .ciphertext_blob(blob.clone())
        .send()
        .await
        .unwrap();
    (
        out.plaintext.unwrap().into_inner(),
        out.key_material_id.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_rotation_fires_when_the_clock_passes_the_period() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let arn = key_arn(&key_id);
    create_alias(&client, "alias/rotating", &key_id).await;
    let first = current_material(&client, &key_id).await;
    let old_blob = encrypt(&client, "alias/rotating", b"before").await;

    // Off by default.
    let status = rotation_status(&client, &key_id).await;
    assert!(!status.key_rotation_enabled);
    assert_eq!(status.key_id.as_deref(), Some(key_id.as_str()));
    assert!(status.next_rotation_date.is_none());
    assert!(status.rotation_period_in_days.is_none());

    let enabled_at = server.clock().await["now"].as_f64().unwrap();
    enable_rotation(&client, &key_id, Some(90)).await;
    let status = rotation_status(&client, &arn).await;
    assert!(status.key_rotation_enabled);
    assert_eq!(status.key_id.as_deref(), Some(key_id.as_str()));
    assert_eq!(status.rotation_period_in_days, Some(90));
    assert!(status.on_demand_rotation_start_date.is_none());
    let next = status.next_rotation_date.unwrap();
    let expected = enabled_at + 90.0 * DAY as f64;
    assert!((next.as_secs_f64() - expected).abs() < 60.0, "{next:?}");
    let listed = list_rotations(&client, &key_id).await;
    assert!(listed.rotations().is_empty());
    assert!(!listed.truncated);

    // A day short of the period, nothing happens.
    let advanced = server.advance(89 * DAY).await;
    assert_eq!(advanced["rotated"], serde_json::json!([]));
    assert_eq!(current_material(&client, &key_id).await, first);

    // Past it, the key gets new material.
    let advanced = server.advance(DAY + 60).await;
    assert_eq!(advanced["rotated"], serde_json::json!([arn]));
    assert_eq!(advanced["deleted"], serde_json::json!([]));

    let listed = list_rotations(&client, &key_id).await;
    assert_eq!(listed.rotations().len(), 1);
    let rotation = &listed.rotations()[0];
    assert_eq!(rotation.key_id(), Some(key_id.as_str()));
    assert_eq!(rotation.rotation_type(), Some(&RotationType::Automatic));
    assert_eq!(
        rotation.rotation_date(),
        Some(&next),
        "dated when it was due"
    );
    assert_eq!(
        rotation.key_material_state(),
        Some(&KeyMaterialState::Current)
    );
    let second = rotation.key_material_id().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(second.len(), 64);
    assert_eq!(current_material(&client, &key_id).await, second);

    // The schedule moved on by the period.
    let status = rotation_status(&client, &key_id).await;
    let following = status.next_rotation_date.unwrap().as_secs_f64();
    assert!((following - (next.as_secs_f64() + 90.0 * DAY as f64)).abs() < 0.001);

    // The old ciphertext still decrypts, with the old material; new ones use the new one.
    assert_eq!(
        decrypt_with_material(&client, &old_blob).await,
        (b"before".to_vec(), first.clone())
    );
    let new_blob = encrypt(&client, "alias/rotating", b"after").await;
    assert_eq!(
        decrypt_with_material(&client, &new_blob).await,
        (b"after".to_vec(), second.clone())
    );
    let data_key = client
        .generate_data_key()
        .key_id(&key_id)
        .number_of_bytes(32)
        .send()
        .await
        .unwrap();
    assert_eq!(data_key.key_material_id.as_deref(), Some(second.as_str()));
    let re_encrypted = client
        .re_encrypt()
        .ciphertext_blob(old_blob.clone())
        .destination_key_id("alias/rotating")
        .send()
        .await
        .unwrap();
    assert_eq!(
        re_encrypted.source_key_material_id.as_deref(),
        Some(first.as_str())
    );
    assert_eq!(
        re_encrypted.destination_key_material_id.as_deref(),
        Some(second.as_str())
    );
    assert_eq!(re_encrypted.key_id.as_deref(), Some(arn.as_str()));
    let (plaintext, material) =
        decrypt_with_material(&client, &re_encrypted.ciphertext_blob.unwrap()).await;
    assert_eq!(
        (plaintext.as_slice(), material.as_str()),
        (&b"before"[..], second.as_str())
    );

    // KeyId, ARN and alias did not change.
    let meta = metadata(&client, "alias/rotating").await;
    assert_eq!(meta.key_id, key_id);
    assert_eq!(meta.arn.as_deref(), Some(arn.as_str()));

    // ALL_KEY_MATERIAL adds the first material, which has no rotation date or type.
    let all = client
        .list_key_rotations()
        .key_id(&key_id)
        .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
        .send()
        .await
        .unwrap();
    let materials: Vec<(&str, Option<&KeyMaterialState>, bool, bool)> = all
        .rotations()
        .iter()
        .map(|r| {
            (
                r.key_material_id().unwrap(),
                r.key_material_state(),
                r.rotation_date().is_some(),
                r.rotation_type().is_some(),
            )
        })
        .collect();
    assert_eq!(
        materials,
        [
            (
                first.as_str(),
                Some(&KeyMaterialState::NonCurrent),
                false,
                false
            ),
            (
                second.as_str(),
                Some(&KeyMaterialState::Current),
                true,
                true
            ),
        ]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_advance_rotates_once_per_period() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let blob = encrypt(&client, &key_id, b"v1").await;
    enable_rotation(&client, &key_id, None).await;
    let first = rotation_status(&client, &key_id).await;
    assert_eq!(
        first.rotation_period_in_days,
        Some(365),
        "the default period"
    );
    let first = first.next_rotation_date.unwrap().as_secs_f64();
    server.advance(3 * 365 * DAY + 60).await;
    let listed = list_rotations(&client, &key_id).await;
    let dates: Vec<f64> = listed
        .rotations()
        .iter()
        .map(|r| r.rotation_date().unwrap().as_secs_f64() - first)
        .collect();
    let year = 365.0 * DAY as f64;
    assert_eq!(dates.len(), 3);
    for (got, want) in dates.iter().zip([0.0, year, 2.0 * year]) {
        assert!((got - want).abs() < 0.001, "{dates:?}");
    }
    assert_eq!(decrypt_with_material(&client, &blob).await.0, b"v1");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_demand_rotation_and_its_quota() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    let arn = key_arn(&key_id);
    let mut blobs = vec![(
        encrypt(&client, &key_id, b"0").await,
        current_material(&client, &key_id).await,
    )];
    for i in 1..=25u8 {
        let rotated = client
            .rotate_key_on_demand()
            .key_id(&key_id)
            .send()
            .await
            .unwrap();
        // RotateKeyOnDemand names the key by its ARN, as ScheduleKeyDeletion does.
        assert_eq!(rotated.key_id.as_deref(), Some(arn.as_str()));
        let material = current_material(&client, &key_id).await;
        assert_ne!(material, blobs.last().unwrap().1);
        blobs.push((encrypt(&client, &key_id, &[b'0' + i % 10]).await, material));
    }
    let message = check_error(
        client.rotate_key_on_demand().key_id(&key_id).send().await,
        "LimitExceededException",
    );
    assert_eq!(
        message,
        format!(
            "The on-demand rotations limit has been reached for the given keyId. No more \
             on-demand rotations can be performed for this key: {arn}"
        )
    );
    // Every ciphertext, from every material, still decrypts with the material that sealed it.
    for (i, (blob, material)) in blobs.iter().enumerate() {
        let (plaintext, used) = decrypt_with_material(&client, blob).await;
        assert_eq!(plaintext, [b'0' + (i % 10) as u8]);
        assert_eq!(&used, material);
    }

    // ListKeyRotations pages through all 25, oldest first.
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = client
            .list_key_rotations()
            .key_id(&key_id)
            .limit(10)
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        for r in page.rotations() {
            assert_eq!(r.rotation_type(), Some(&RotationType::OnDemand));
            seen.push(r.key_material_id().unwrap().to_owned());
        }
        assert_eq!(page.truncated, page.next_marker.is_some());
        marker = page.next_marker;
        if marker.is_none() {
            break;
        }
    }
    let expected: Vec<String> = blobs[1..].iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(seen, expected);
    check_error(
        client
            .list_key_rotations()
            .key_id(&key_id)
            .marker("not-a-marker")
            .send()
            .await,
        "InvalidMarkerException",
    );

    // On-demand rotations leave the automatic schedule alone.
    enable_rotation(&client, &key_id, Some(90)).await;
    server.advance(90 * DAY + 60).await;
    let kinds: Vec<RotationType> = client
        .list_key_rotations()
        .key_id(&key_id)
        .limit(1000)
        .send()
        .await
        .unwrap()
        .rotations()
        .iter()
        .filter_map(|r| r.rotation_type().cloned())
        .collect();
    assert_eq!(kinds.len(), 26);
    assert_eq!(kinds[25], RotationType::Automatic);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_demand_rotation_conflicts_with_an_imminent_automatic_one() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;
    enable_rotation(&client, &key_id, Some(90)).await;
    server.advance(90 * DAY - 10 * 60).await;
    let message = check_error(
        client.rotate_key_on_demand().key_id(&key_id).send().await,
        "ConflictException",
    );
    assert_eq!(
        message,
        "The request was rejected because an automatic rotation of this key is currently in \
         progress or scheduled to begin within the next 20 minutes."
    );
    server.advance(11 * 60).await;
    client
        .rotate_key_on_demand()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_errors_follow_aws() {
    let server = TestServer::start().await;
    let client = server.client();
    let key_id = create_key(&client).await;

    for (days, constraint) in [
        (89, "greater than or equal to 90"),
        (2561, "less than or equal to 2560"),
    ] {
        let message = check_error(
            client
                .enable_key_rotation()
                .key_id(&key_id)
                .rotation_period_in_days(days)
                .send()
                .await,
            "ValidationException",
        );
        assert_eq!(
            message,
            format!(
                "1 validation error detected: Value '{days}' at 'rotationPeriodInDays' failed \
                 to satisfy constraint: Member must have value {constraint}"
            )
        );
    }
    let message = check_error(
        client
            .list_key_rotations()
            .key_id(&key_id)
            .include_key_material(IncludeKeyMaterial::from("SOME"))
            .send()
            .await,
        "ValidationException",
    );
    assert!(
        message.contains("at 'includeKeyMaterial' failed to satisfy constraint"),
        "{message}"
    );

    let missing = "1234abcd-12ab-34cd-56ef-1234567890ab";
    let not_found = key_not_found(missing);
    let message = check_error(
        client.rotate_key_on_demand().key_id(missing).send().await,
        "NotFoundException",
    );
    assert_eq!(message, not_found);
    check_error(
        client
            .get_key_rotation_status()
            .key_id(missing)
            .send()
            .await,
        "NotFoundException",
    );
    check_error(
        client.list_key_rotations().key_id(missing).send().await,
        "NotFoundException",
    );

    // A disabled key: DisabledException, and it does not rotate while disabled.
    enable_rotation(&client, &key_id, Some(90)).await;
    client.disable_key().key_id(&key_id).send().await.unwrap();
    let disabled = disabled(&key_id);
    for result in [
        client
            .enable_key_rotation()
            .key_id(&key_id)
            .send()
            .await
            .map(drop)
            .map_err(aws_sdk_kms::Error::from),
        client
            .disable_key_rotation()
            .key_id(&key_id)
            .send()
            .await
            .map(drop)
            .map_err(aws_sdk_kms::Error::from),
        client
            .rotate_key_on_demand()
            .key_id(&key_id)
            .send()
            .await
            .map(drop)
            .map_err(aws_sdk_kms::Error::from),
    ] {
        assert_eq!(check_error(result, "DisabledException"), disabled);
    }
    let advanced = server.advance(100 * DAY).await;
    assert_eq!(advanced["rotated"], serde_json::json!([]));
    let status = rotation_status(&client, &key_id).await;
    assert!(
        status.key_rotation_enabled,
        "disabling the key keeps its rotation status"
    );

    // Re-enabled after more than a period without rotation: it rotates at once, once.
    let enabled_at = server.clock().await["now"].as_f64().unwrap();
    client.enable_key().key_id(&key_id).send().await.unwrap();
    let listed = list_rotations(&client, &key_id).await;
    assert_eq!(listed.rotations().len(), 1);
    let rotated_at = listed.rotations()[0].rotation_date().unwrap().as_secs_f64();
    assert!((rotated_at - enabled_at).abs() < 60.0);

    // Pending deletion: KMSInvalidStateException, and the status reads false until cancelled.
    schedule_deletion(&client, &key_id, None).await;
    let pending = pending_deletion(&key_id);
    let message = check_error(
        client.rotate_key_on_demand().key_id(&key_id).send().await,
        "KMSInvalidStateException",
    );
    assert_eq!(message, pending);
    let message = check_error(
        client.enable_key_rotation().key_id(&key_id).send().await,
        "KMSInvalidStateException",
    );
    assert_eq!(message, pending);
    let status = rotation_status(&client, &key_id).await;
    assert!(!status.key_rotation_enabled);
    assert!(status.next_rotation_date.is_none());
    client
        .cancel_key_deletion()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let status = rotation_status(&client, &key_id).await;
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(90));

    // DisableKeyRotation stops automatic rotation.
    client.enable_key().key_id(&key_id).send().await.unwrap();
    client
        .disable_key_rotation()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let status = rotation_status(&client, &key_id).await;
    assert!(!status.key_rotation_enabled);
    let advanced = server.advance(200 * DAY).await;
    assert_eq!(advanced["rotated"], serde_json::json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_status_works_across_accounts_and_management_does_not() {
    let server = TestServer::start().await;
    let owner = server.client();
    let other = server.client_for(REGION, "210987654321");
    let key_id = create_key(&owner).await;
    let arn = key_arn(&key_id);
    enable_rotation(&owner, &key_id, None).await;
    let status = rotation_status(&other, &arn).await;
    assert!(status.key_rotation_enabled);
    check_error(
        other.rotate_key_on_demand().key_id(&arn).send().await,
        "NotFoundException",
    );
    check_error(
        other.list_key_rotations().key_id(&arn).send().await,
        "NotFoundException",
    );
    check_error(
        other.disable_key_rotation().key_id(&arn).send().await,
        "NotFoundException",
    );
    server.stop().await;
}
