use super::*;
use crate::kms::model::{AccountId, Region, Scope};
use crate::kms::{Clock, keys};
use crate::store::Store;

const DAY: u64 = 86_400;

fn home() -> Scope {
    Scope {
        account: AccountId::parse("111122223333").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    }
}

/// Opens a `Kms` on `dir`, waiting for a just-dropped one to release it.
fn kms_in(dir: &std::path::Path) -> Kms {
    Kms::open(crate::store::tests::reopen(dir), home(), Clock::system()).unwrap()
}

#[test]
fn advancing_moves_the_clock_and_key_dates_follow_it() {
    let kms = Kms::open(Store::in_memory(), home(), Clock::system()).unwrap();
    let before = kms.clock().now();
    let advanced = kms.advance_clock(30 * DAY).unwrap();
    assert_eq!(advanced.offset_seconds, 30 * DAY);
    assert!(advanced.now.0 >= before.0 + 30 * DAY * 1000);
    let key = kms.create_key(&home(), keys::CreateKey::default()).unwrap();
    assert!(key.creation_date >= advanced.now);
    assert!(key.creation_date.0 < advanced.now.0 + 60_000);
}

#[test]
fn advances_must_be_positive_and_bounded_and_change_nothing_otherwise() {
    let kms = Kms::open(Store::in_memory(), home(), Clock::system()).unwrap();
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

fn in_memory() -> Kms {
    Kms::open(Store::in_memory(), home(), Clock::system()).unwrap()
}

fn key_ref(key: &crate::kms::model::Key) -> KeyRef {
    KeyRef::parse(key.arn.key_id.as_str())
}

use crate::kms::aliases::parse_alias_name;
use crate::kms::encryption::Source;
use crate::kms::model::{EncryptionContext, KeyRef, KeyState};

#[test]
fn advancing_past_the_deletion_date_deletes_the_key_and_its_aliases() {
    let dir = tempfile::tempdir().unwrap();
    let kms = kms_in(dir.path());
    let key = kms.create_key(&home(), keys::CreateKey::default()).unwrap();
    let other = kms.create_key(&home(), keys::CreateKey::default()).unwrap();
    kms.create_alias(
        &home(),
        parse_alias_name("alias/doomed").unwrap(),
        &key_ref(&key),
    )
    .unwrap();
    kms.create_alias(
        &home(),
        parse_alias_name("alias/kept").unwrap(),
        &key_ref(&other),
    )
    .unwrap();
    let context = EncryptionContext::new();
    let sealed = kms
        .encrypt(&home(), &key_ref(&key), b"secret", &context, None, false)
        .unwrap();
    let scheduled = kms
        .schedule_key_deletion(&home(), &key_ref(&key), Some(7))
        .unwrap();
    assert_eq!(kms.next_deadline(), scheduled.deletion.map(|d| d.date));

    let early = kms.advance_clock(6 * DAY).unwrap();
    assert!(early.applied.deleted.is_empty());
    assert_eq!(
        kms.describe_key(&home(), &key_ref(&key)).unwrap().state,
        KeyState::PendingDeletion
    );

    let late = kms.advance_clock(DAY + 1).unwrap();
    assert_eq!(late.applied.deleted, vec![key.arn.clone()]);
    assert!(late.applied.rotated.is_empty());
    assert_eq!(kms.next_deadline(), None);
    assert!(matches!(
        kms.describe_key(&home(), &key_ref(&key)),
        Err(Error::KeyNotFound(_))
    ));
    let source = Source {
        ciphertext: &sealed.ciphertext,
        context: &context,
        key: None,
        algorithm: None,
    };
    assert!(matches!(
        kms.decrypt(&home(), source, false),
        Err(Error::KeyNotFound(_))
    ));
    let names: Vec<String> = kms
        .list_aliases(&home(), None, 50, None)
        .unwrap()
        .items
        .into_iter()
        .map(|a| a.alias.name.as_str().to_owned())
        .collect();
    assert_eq!(names, ["alias/kept"]);
    let listed = kms.list_keys(&home(), 100, None).unwrap().items;
    assert_eq!(listed, vec![other.arn.clone()]);

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
    let key = kms.create_key(&home(), keys::CreateKey::default()).unwrap();
    kms.create_alias(
        &home(),
        parse_alias_name("alias/a").unwrap(),
        &key_ref(&key),
    )
    .unwrap();
    kms.schedule_key_deletion(&home(), &key_ref(&key), Some(7))
        .unwrap();
    // Time passes without advance_clock (which would sweep) and without any background task.
    kms.clock().raise_offset(7 * DAY + 60);
    assert_eq!(kms.list_keys(&home(), 100, None).unwrap().items, vec![]);
    assert!(
        kms.list_aliases(&home(), None, 50, None)
            .unwrap()
            .items
            .is_empty()
    );
    assert!(kms.describe_key(&home(), &key_ref(&key)).is_err());
    assert_eq!(kms.key_count(), 0);
    let stored = kms.store.load().unwrap();
    assert!(stored.keys.is_empty() && stored.aliases.is_empty());
}

#[test]
fn a_mutation_never_revives_a_key_past_its_deletion_date() {
    let kms = in_memory();
    let key = kms.create_key(&home(), keys::CreateKey::default()).unwrap();
    kms.schedule_key_deletion(&home(), &key_ref(&key), Some(7))
        .unwrap();
    kms.clock().raise_offset(8 * DAY);
    // The mutation applies the due deletion first, then fails to find the key; it does not
    // write the key back.
    assert!(matches!(
        kms.cancel_key_deletion(&home(), &key_ref(&key)),
        Err(Error::KeyNotFound(_))
    ));
    assert_eq!(kms.key_count(), 0);
}

#[test]
fn a_cancelled_deletion_never_fires() {
    let kms = in_memory();
    let key = kms.create_key(&home(), keys::CreateKey::default()).unwrap();
    kms.schedule_key_deletion(&home(), &key_ref(&key), Some(7))
        .unwrap();
    kms.advance_clock(6 * DAY).unwrap();
    let cancelled = kms.cancel_key_deletion(&home(), &key_ref(&key)).unwrap();
    assert_eq!(cancelled.state, KeyState::Disabled);
    assert_eq!(cancelled.deletion, None);
    let later = kms.advance_clock(30 * DAY).unwrap();
    assert!(later.applied.deleted.is_empty());
    assert_eq!(
        kms.describe_key(&home(), &key_ref(&key)).unwrap().state,
        KeyState::Disabled
    );
}

#[test]
fn deadlines_are_found_again_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let kms = kms_in(dir.path());
        let key = kms.create_key(&home(), keys::CreateKey::default()).unwrap();
        kms.schedule_key_deletion(&home(), &key_ref(&key), Some(10))
            .unwrap()
    };
    let kms = kms_in(dir.path());
    assert_eq!(kms.next_deadline(), key.deletion.map(|d| d.date));
    assert_eq!(
        kms.advance_clock(10 * DAY + 1).unwrap().applied.deleted,
        vec![key.arn.clone()]
    );
}
