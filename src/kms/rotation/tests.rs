use super::*;
use crate::kms::WriteSeq;
use crate::kms::keys::ScheduleKeyDeletionInput;
use crate::kms::testing::{DAY, create_key, cx, in_memory as kms};
use crate::model::Operation;

const DAY_MS: u64 = DAY * 1000;

fn reference(key: &Key) -> KeyRef {
    KeyRef::parse(key.arn.key_id.as_str())
}

fn enable_rotation(kms: &Kms, key: &KeyRef, period_days: Option<u32>) -> Result<()> {
    let input = EnableKeyRotationInput {
        key: key.clone(),
        period_days,
    };
    kms.enable_key_rotation(&mut cx(Operation::EnableKeyRotation), input)
}

fn disable_rotation(kms: &Kms, key: &KeyRef) -> Result<()> {
    kms.disable_key_rotation(&mut cx(Operation::DisableKeyRotation), key)
}

fn rotation_status(kms: &Kms, key: &KeyRef) -> Result<RotationStatus> {
    kms.get_key_rotation_status(&mut cx(Operation::GetKeyRotationStatus), key)
}

fn rotate_now(kms: &Kms, key: &KeyRef) -> Result<Arc<Key>> {
    kms.rotate_key_on_demand(&mut cx(Operation::RotateKeyOnDemand), key)
}

fn list_rotations(
    kms: &Kms,
    key: &KeyRef,
    include_first: bool,
    limit: usize,
    marker: Option<&str>,
) -> Result<(Arc<Key>, Page<RotationEntry>)> {
    let input = ListKeyRotationsInput {
        key: key.clone(),
        include_first,
        paging: Paging {
            limit,
            marker: marker.map(str::to_owned),
        },
    };
    kms.list_key_rotations(&mut cx(Operation::ListKeyRotations), input)
}

/// A key of a kind kmsd cannot create through the API yet (other specs and origins arrive in
/// later changes), written straight into the state.
fn key_of_kind(kms: &Kms, spec: KeySpec, usage: KeyUsage, origin: Origin) -> Arc<Key> {
    let mut key = Key::clone(&create_key(kms));
    key.spec = spec;
    key.usage = usage;
    key.origin = origin;
    kms.mutate(&mut WriteSeq::default(), |_, changes| {
        Ok(changes.put_key(key))
    })
    .unwrap()
}

#[test]
fn asymmetric_and_hmac_keys_cannot_rotate_and_say_so_without_a_message() {
    let kms = kms();
    for (spec, usage) in [
        (KeySpec::Rsa2048, KeyUsage::SignVerify),
        (KeySpec::Rsa4096, KeyUsage::EncryptDecrypt),
        (KeySpec::EccNistP256, KeyUsage::SignVerify),
        (KeySpec::Hmac256, KeyUsage::GenerateVerifyMac),
    ] {
        let key = key_of_kind(&kms, spec, usage, Origin::AwsKms);
        let r = reference(&key);
        for error in [
            enable_rotation(&kms, &r, None).unwrap_err(),
            disable_rotation(&kms, &r).unwrap_err(),
            rotate_now(&kms, &r).unwrap_err(),
            list_rotations(&kms, &r, true, 100, None).unwrap_err(),
        ] {
            assert!(matches!(error, Error::NotRotatable), "{spec}: {error:?}");
            assert_eq!(error.to_string(), "");
        }
        // Their status is simply "not enabled", and they have no rotations to list.
        let status = rotation_status(&kms, &r).unwrap();
        assert!(!status.enabled);
        assert_eq!(status.schedule, None);
        let (_, page) = list_rotations(&kms, &r, false, 100, None).unwrap();
        assert!(page.items.is_empty());
        assert_eq!(
            kms.describe_key(&mut cx(Operation::DescribeKey), &r)
                .unwrap()
                .materials
                .len(),
            1
        );
    }
}

#[test]
fn keys_with_other_origins_cannot_rotate() {
    let kms = kms();
    for origin in [
        Origin::External,
        Origin::AwsCloudhsm,
        Origin::ExternalKeyStore,
    ] {
        let key = key_of_kind(
            &kms,
            KeySpec::SymmetricDefault,
            KeyUsage::EncryptDecrypt,
            origin,
        );
        let r = reference(&key);
        let expected = format!(
            "{} origin is {origin} which is not valid for this operation.",
            key.arn
        );
        let on_demand = rotate_now(&kms, &r).unwrap_err();
        if origin == Origin::External {
            // Imported material rotates on demand, once new material waits for it.
            assert!(matches!(on_demand, Error::Validation(_)), "{on_demand:?}");
        }
        let refused = (origin != Origin::External).then_some(on_demand);
        for error in [
            enable_rotation(&kms, &r, None).unwrap_err(),
            disable_rotation(&kms, &r).unwrap_err(),
            rotation_status(&kms, &r).unwrap_err(),
        ]
        .into_iter()
        .chain(refused)
        {
            assert!(
                matches!(error, Error::Unsupported(_)),
                "{origin}: {error:?}"
            );
            assert_eq!(error.to_string(), expected);
        }
    }
}

#[test]
fn rotation_needs_an_enabled_key() {
    let kms = kms();
    let key = create_key(&kms);
    let r = reference(&key);
    kms.disable_key(&mut cx(Operation::DisableKey), &r).unwrap();
    for error in [
        enable_rotation(&kms, &r, None).unwrap_err(),
        disable_rotation(&kms, &r).unwrap_err(),
        rotate_now(&kms, &r).unwrap_err(),
    ] {
        assert!(matches!(error, Error::Disabled(_)), "{error:?}");
    }
    kms.schedule_key_deletion(
        &mut cx(Operation::ScheduleKeyDeletion),
        ScheduleKeyDeletionInput {
            key: r.clone(),
            pending_window_days: None,
        },
    )
    .unwrap();
    for error in [
        enable_rotation(&kms, &r, None).unwrap_err(),
        disable_rotation(&kms, &r).unwrap_err(),
        rotate_now(&kms, &r).unwrap_err(),
    ] {
        assert!(
            matches!(
                error,
                Error::InvalidState {
                    state: KeyState::PendingDeletion,
                    ..
                }
            ),
            "{error:?}"
        );
    }
    // Status and history stay readable.
    assert!(!rotation_status(&kms, &r).unwrap().enabled);
    assert!(list_rotations(&kms, &r, true, 100, None).is_ok());
}

#[test]
fn the_period_must_be_between_90_and_2560_days() {
    let kms = kms();
    let key = create_key(&kms);
    for bad in [0, 89, 2561] {
        let error = enable_rotation(&kms, &reference(&key), Some(bad)).unwrap_err();
        assert!(matches!(error, Error::Validation(_)), "{error:?}");
    }
    let status = rotation_status(&kms, &reference(&key)).unwrap();
    assert!(!status.enabled);
}

#[test]
fn enabling_schedules_the_first_rotation_one_period_ahead() {
    let kms = kms();
    let key = create_key(&kms);
    let r = reference(&key);
    let before = kms.clock().now();
    enable_rotation(&kms, &r, None).unwrap();
    let status = rotation_status(&kms, &r).unwrap();
    assert!(status.enabled);
    let schedule = status.schedule.unwrap();
    assert_eq!(schedule.period_days, 365);
    assert!(schedule.next.0 >= before.0 + 365 * DAY_MS);
    assert!(schedule.next.0 < before.0 + 365 * DAY_MS + 60_000);
    assert_eq!(kms.next_deadline(), Some(schedule.next));

    // Changing the period keeps the rhythm: enable date plus the new period.
    enable_rotation(&kms, &r, Some(90)).unwrap();
    let changed = rotation_status(&kms, &r).unwrap().schedule.unwrap();
    assert_eq!(changed.period_days, 90);
    assert_eq!(changed.next.0, schedule.next.0 - (365 - 90) * DAY_MS);

    disable_rotation(&kms, &r).unwrap();
    let status = rotation_status(&kms, &r).unwrap();
    assert!(!status.enabled);
    assert_eq!(status.schedule, None);
    assert!(
        kms.advance_clock(400 * DAY)
            .unwrap()
            .applied
            .rotated
            .is_empty()
    );
    assert_eq!(
        kms.describe_key(&mut cx(Operation::DescribeKey), &r)
            .unwrap()
            .materials
            .len(),
        1
    );
}

#[test]
fn automatic_rotations_happen_once_per_period_dated_when_due() {
    let kms = kms();
    let key = create_key(&kms);
    let r = reference(&key);
    enable_rotation(&kms, &r, Some(90)).unwrap();
    let first = rotation_status(&kms, &r).unwrap().schedule.unwrap().next;

    let advanced = kms.advance_clock(3 * 90 * DAY + 60).unwrap();
    assert_eq!(advanced.applied.rotated, vec![key.arn.clone()]);
    let rotated = kms
        .describe_key(&mut cx(Operation::DescribeKey), &r)
        .unwrap();
    assert_eq!(rotated.materials.len(), 4);
    let dates: Vec<u64> = rotated.rotation.history.iter().map(|h| h.date.0).collect();
    assert_eq!(
        dates,
        [first.0, first.0 + 90 * DAY_MS, first.0 + 180 * DAY_MS]
    );
    assert!(
        rotated
            .rotation
            .history
            .iter()
            .all(|h| h.kind == RotationType::Automatic)
    );
    let next = rotation_status(&kms, &r).unwrap().schedule.unwrap().next;
    assert_eq!(next.0, first.0 + 270 * DAY_MS);
    // The materials created are distinct, and the last one is current.
    let ids: std::collections::HashSet<_> = rotated.materials.iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(
        rotated.current_material().unwrap().id,
        rotated.rotation.history[2].material_id
    );
}

#[test]
fn a_disabled_key_does_not_rotate_and_catches_up_when_enabled() {
    let kms = kms();
    let key = create_key(&kms);
    let r = reference(&key);
    enable_rotation(&kms, &r, Some(90)).unwrap();
    kms.disable_key(&mut cx(Operation::DisableKey), &r).unwrap();
    let advanced = kms.advance_clock(200 * DAY).unwrap();
    assert!(advanced.applied.rotated.is_empty());
    assert!(
        kms.describe_key(&mut cx(Operation::DescribeKey), &r)
            .unwrap()
            .rotation
            .history
            .is_empty()
    );

    kms.enable_key(&mut cx(Operation::EnableKey), &r).unwrap();
    let enabled = kms
        .describe_key(&mut cx(Operation::DescribeKey), &r)
        .unwrap();
    assert_eq!(
        enabled.rotation.history.len(),
        1,
        "once, not once per missed period"
    );
    let rotated_at = enabled.rotation.history[0].date;
    assert!(rotated_at.0.abs_diff(kms.clock().now().0) < 60_000);
    assert_eq!(
        enabled.rotation.schedule.unwrap().next,
        rotated_at.plus_days(90)
    );
}

#[test]
fn a_key_pending_deletion_does_not_rotate_and_gets_its_schedule_back() {
    let kms = kms();
    let key = create_key(&kms);
    let r = reference(&key);
    enable_rotation(&kms, &r, Some(90)).unwrap();
    kms.advance_clock(80 * DAY).unwrap();
    kms.schedule_key_deletion(
        &mut cx(Operation::ScheduleKeyDeletion),
        ScheduleKeyDeletionInput {
            key: r.clone(),
            pending_window_days: Some(30),
        },
    )
    .unwrap();
    assert!(!rotation_status(&kms, &r).unwrap().enabled);
    let advanced = kms.advance_clock(20 * DAY).unwrap();
    assert!(advanced.applied.rotated.is_empty());
    kms.cancel_key_deletion(&mut cx(Operation::CancelKeyDeletion), &r)
        .unwrap();
    let status = rotation_status(&kms, &r).unwrap();
    assert!(status.enabled);
    assert_eq!(status.schedule.unwrap().period_days, 90);
}

#[test]
fn on_demand_rotations_are_limited_and_leave_the_schedule_alone() {
    let kms = kms();
    let key = create_key(&kms);
    let r = reference(&key);
    enable_rotation(&kms, &r, Some(90)).unwrap();
    let schedule = rotation_status(&kms, &r).unwrap().schedule;
    for _ in 0..ON_DEMAND_ROTATION_LIMIT {
        rotate_now(&kms, &r).unwrap();
    }
    let error = rotate_now(&kms, &r).unwrap_err();
    assert!(matches!(error, Error::LimitExceeded(_)), "{error:?}");
    let key_now = kms
        .describe_key(&mut cx(Operation::DescribeKey), &r)
        .unwrap();
    assert_eq!(key_now.materials.len(), 1 + ON_DEMAND_ROTATION_LIMIT);
    assert_eq!(rotation_status(&kms, &r).unwrap().schedule, schedule);
    // Automatic rotations do not count against the quota, and do not lift it.
    assert_eq!(
        kms.advance_clock(90 * DAY).unwrap().applied.rotated.len(),
        1
    );
    assert!(matches!(rotate_now(&kms, &r), Err(Error::LimitExceeded(_))));
}

#[test]
fn on_demand_rotation_conflicts_with_an_automatic_one_due_within_20_minutes() {
    let kms = kms();
    let key = create_key(&kms);
    let r = reference(&key);
    enable_rotation(&kms, &r, Some(90)).unwrap();
    kms.advance_clock(90 * DAY - 30 * 60).unwrap();
    rotate_now(&kms, &r).unwrap();
    kms.advance_clock(15 * 60).unwrap();
    let error = rotate_now(&kms, &r).unwrap_err();
    assert!(matches!(error, Error::Conflict(_)), "{error:?}");
    // After the automatic rotation, on-demand rotation works again.
    kms.advance_clock(20 * 60).unwrap();
    rotate_now(&kms, &r).unwrap();
    let kinds: Vec<RotationType> = kms
        .describe_key(&mut cx(Operation::DescribeKey), &r)
        .unwrap()
        .rotation
        .history
        .iter()
        .map(|h| h.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            RotationType::OnDemand,
            RotationType::Automatic,
            RotationType::OnDemand
        ]
    );
}

#[test]
fn listing_pages_through_the_materials_oldest_first() {
    let kms = kms();
    let key = create_key(&kms);
    let r = reference(&key);
    for _ in 0..3 {
        rotate_now(&kms, &r).unwrap();
    }
    let (_, all) = list_rotations(&kms, &r, true, 100, None).unwrap();
    assert_eq!(all.items.len(), 4);
    assert_eq!(all.items[0].material_id, key.materials[0].id);
    assert_eq!(all.items[0].rotation, None);
    assert_eq!(
        all.items
            .iter()
            .map(|e| e.state == KeyMaterialState::Current)
            .collect::<Vec<_>>(),
        [false, false, false, true]
    );
    let (_, first) = list_rotations(&kms, &r, false, 2, None).unwrap();
    assert_eq!(first.items, all.items[1..3]);
    let marker = first.next_marker.unwrap();
    let (_, second) = list_rotations(&kms, &r, false, 2, Some(&marker)).unwrap();
    assert_eq!(second.items, all.items[3..]);
    assert_eq!(second.next_marker, None);
    assert!(matches!(
        list_rotations(&kms, &r, false, 2, Some("nope")),
        Err(Error::InvalidMarker(_))
    ));
}
