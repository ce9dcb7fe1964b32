use super::*;
use crate::kms::testing::{
    DAY, alias_names, cancel_deletion, create_alias, create_key, decrypt, describe, encrypt,
    in_memory, key_arns, kms_in, schedule_deletion,
};
use crate::model::KeyState;

#[test]
fn advancing_moves_the_clock_and_key_dates_follow_it() {
    let kms = in_memory();
    let before = kms.clock().now();
    let advanced = kms.advance_clock(30 * DAY).unwrap();
    assert_eq!(advanced.offset_seconds, 30 * DAY);
    assert!(advanced.now.0 >= before.0 + 30 * DAY * 1000);
    let key = create_key(&kms);
    assert!(key.creation_date >= advanced.now);
    assert!(key.creation_date.0 < advanced.now.0 + 60_000);
}

#[test]
fn advances_must_be_positive_and_bounded_and_change_nothing_otherwise() {
    let kms = in_memory();
    kms.advance_clock(DAY).unwrap();
    for seconds in [0, MAX_OFFSET_SECONDS, u64::MAX] {
        let error = kms.advance_clock(seconds).unwrap_err();
        assert!(matches!(error, Error::Validation(_)), "{error:?}");
    }
    assert_eq!(kms.clock().offset_seconds(), DAY);
}

#[test]
fn the_advanced_clock_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let kms = kms_in(dir.path());
        kms.advance_clock(90 * DAY).unwrap();
        kms.advance_clock(DAY).unwrap();
    }
    let kms = kms_in(dir.path());
    assert_eq!(kms.clock().offset_seconds(), 91 * DAY);
}

#[test]
fn advancing_past_the_deletion_date_deletes_the_key_and_its_aliases() {
    let dir = tempfile::tempdir().unwrap();
    let kms = kms_in(dir.path());
    let key = create_key(&kms);
    let other = create_key(&kms);
    create_alias(&kms, "alias/doomed", &key).unwrap();
    create_alias(&kms, "alias/kept", &other).unwrap();
    let sealed = encrypt(&kms, &key, b"secret").unwrap();
    let scheduled = schedule_deletion(&kms, &key, 7).unwrap();
    assert_eq!(kms.next_deadline(), scheduled.deletion.map(|d| d.date));

    let early = kms.advance_clock(6 * DAY).unwrap();
    assert!(early.applied.deleted.is_empty());
    assert_eq!(
        describe(&kms, &key).unwrap().state,
        KeyState::PendingDeletion
    );

    let late = kms.advance_clock(DAY + 1).unwrap();
    assert_eq!(late.applied.deleted, vec![key.arn.clone()]);
    assert!(late.applied.rotated.is_empty());
    assert_eq!(kms.next_deadline(), None);
    assert!(matches!(describe(&kms, &key), Err(Error::KeyNotFound(_))));
    assert!(matches!(
        decrypt(&kms, &sealed.ciphertext),
        Err(Error::KeyNotFound(_))
    ));
    assert_eq!(alias_names(&kms), ["alias/kept"]);
    assert_eq!(key_arns(&kms), vec![other.arn.clone()]);

    // Gone from the store too, not just from memory.
    let stored = kms.store.load().unwrap();
    assert_eq!(stored.keys.len(), 1);
    assert_eq!(stored.keys[0].arn, other.arn);
    assert_eq!(stored.aliases.len(), 1);
    assert_eq!(stored.aliases[0].1.name.as_str(), "alias/kept");
}

#[test]
fn a_key_past_its_deletion_date_is_never_seen_even_before_a_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let kms = kms_in(dir.path());
    let key = create_key(&kms);
    create_alias(&kms, "alias/a", &key).unwrap();
    schedule_deletion(&kms, &key, 7).unwrap();
    // Time passes without advance_clock (which would sweep) and without any background task.
    kms.clock().raise_offset(7 * DAY + 60);
    assert_eq!(key_arns(&kms), vec![]);
    assert!(alias_names(&kms).is_empty());
    assert!(describe(&kms, &key).is_err());
    assert_eq!(kms.key_count(), 0);
    let stored = kms.store.load().unwrap();
    assert!(stored.keys.is_empty() && stored.aliases.is_empty());
}

#[test]
fn a_mutation_never_revives_a_key_past_its_deletion_date() {
    let kms = in_memory();
    let key = create_key(&kms);
    schedule_deletion(&kms, &key, 7).unwrap();
    kms.clock().raise_offset(8 * DAY);
    // The mutation applies the due deletion first, then fails to find the key; it does not
    // write the key back.
    assert!(matches!(
        cancel_deletion(&kms, &key),
        Err(Error::KeyNotFound(_))
    ));
    assert_eq!(kms.key_count(), 0);
}

#[test]
fn a_cancelled_deletion_never_fires() {
    let kms = in_memory();
    let key = create_key(&kms);
    schedule_deletion(&kms, &key, 7).unwrap();
    kms.advance_clock(6 * DAY).unwrap();
    let cancelled = cancel_deletion(&kms, &key).unwrap();
    assert_eq!(cancelled.state, KeyState::Disabled);
    assert_eq!(cancelled.deletion, None);
    let later = kms.advance_clock(30 * DAY).unwrap();
    assert!(later.applied.deleted.is_empty());
    assert_eq!(describe(&kms, &key).unwrap().state, KeyState::Disabled);
}

#[test]
fn deadlines_are_found_again_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let kms = kms_in(dir.path());
        let key = create_key(&kms);
        schedule_deletion(&kms, &key, 10).unwrap()
    };
    let kms = kms_in(dir.path());
    assert_eq!(kms.next_deadline(), key.deletion.map(|d| d.date));
    assert_eq!(
        kms.advance_clock(10 * DAY + 1).unwrap().applied.deleted,
        vec![key.arn.clone()]
    );
}
