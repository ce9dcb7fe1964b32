use super::*;
use crate::kms::keys::CreateKey;
use crate::kms::model::{AccountId, EncryptionContext, Region};
use crate::kms::{Clock, Error};
use crate::store::Store;
use crate::store::tests::reopen;

const DAY: u64 = 86_400;

fn home() -> Scope {
    Scope {
        account: AccountId::parse("111122223333").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    }
}

fn kms_in(dir: &std::path::Path) -> Kms {
    Kms::open(reopen(dir), home(), Clock::system()).unwrap()
}

fn reference(key: &Key) -> KeyRef {
    KeyRef::parse(key.arn.key_id.as_str())
}

#[test]
fn recording_never_touches_the_disk_and_a_flush_writes_once() {
    let dir = tempfile::tempdir().unwrap();
    let kms = kms_in(dir.path());
    let key = kms.create_key(&home(), CreateKey::default()).unwrap();
    let arn = key.arn.to_string();
    let before = kms.store.batches_written();
    let context = EncryptionContext::new();
    for i in 0..1000 {
        kms.encrypt(&home(), &reference(&key), b"x", &context, None, false)
            .unwrap();
        kms.record_usage(&arn, UsageOperation::Encrypt, &format!("request-{i}"));
    }
    assert_eq!(
        kms.store.batches_written(),
        before,
        "no write per operation"
    );
    assert!(kms.usage_is_dirty());

    assert_eq!(kms.flush_usage().unwrap(), 1);
    assert_eq!(kms.store.batches_written(), before + 1);
    assert!(!kms.usage_is_dirty());
    assert_eq!(kms.flush_usage().unwrap(), 0, "nothing new");
    assert_eq!(kms.store.batches_written(), before + 1);
    let stored = kms.store.load().unwrap().usage;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, key.arn);
    assert_eq!(stored[0].1.request_id, "request-999");
}

#[test]
fn the_last_usage_wins_and_its_event_id_is_stable() {
    let kms = Kms::open(Store::in_memory(), home(), Clock::system()).unwrap();
    let key = kms.create_key(&home(), CreateKey::default()).unwrap();
    let arn = key.arn.to_string();
    let fresh = kms.get_key_last_usage(&home(), &reference(&key)).unwrap();
    assert_eq!(fresh.last, None);
    assert_eq!(fresh.tracking_start, key.creation_date);

    kms.record_usage(&arn, UsageOperation::Encrypt, "first");
    kms.advance_clock(DAY).unwrap();
    kms.record_usage(&arn, UsageOperation::Decrypt, "second");
    let last = kms
        .get_key_last_usage(&home(), &reference(&key))
        .unwrap()
        .last
        .unwrap();
    assert_eq!(last.operation, UsageOperation::Decrypt);
    assert_eq!(last.request_id, "second");
    assert!(
        last.at.0 >= key.creation_date.0 + DAY * 1000,
        "read from the clock"
    );
    let event = last.event_id.clone().unwrap();
    assert!(uuid::Uuid::parse_str(&event).is_ok());
    let again = kms
        .get_key_last_usage(&home(), &reference(&key))
        .unwrap()
        .last
        .unwrap();
    assert_eq!(again, last, "reading twice gives the same event id");

    kms.record_usage(&arn, UsageOperation::Encrypt, "third");
    let newer = kms
        .get_key_last_usage(&home(), &reference(&key))
        .unwrap()
        .last
        .unwrap();
    assert_ne!(newer.event_id.unwrap(), event);
}

#[test]
fn usage_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (key, last, tracking_start) = {
        let kms = kms_in(dir.path());
        let key = kms.create_key(&home(), CreateKey::default()).unwrap();
        kms.record_usage(&key.arn.to_string(), UsageOperation::GenerateDataKey, "r");
        let usage = kms.get_key_last_usage(&home(), &reference(&key)).unwrap();
        kms.flush_usage().unwrap();
        (key, usage.last, kms.tracking_start)
    };
    let kms = kms_in(dir.path());
    let usage = kms.get_key_last_usage(&home(), &reference(&key)).unwrap();
    assert_eq!(usage.last, last);
    assert_eq!(kms.tracking_start, tracking_start);
}

#[test]
fn keys_older_than_tracking_report_when_tracking_began() {
    let dir = tempfile::tempdir().unwrap();
    // A key written by a kmsd that did not track usage yet: no m/usage-tracking record.
    let old = {
        let scratch = Kms::open(Store::in_memory(), home(), Clock::system()).unwrap();
        let mut key = Key::clone(&scratch.create_key(&home(), CreateKey::default()).unwrap());
        key.creation_date = Timestamp(key.creation_date.0 - 100 * DAY * 1000);
        let store = Store::open(dir.path()).unwrap();
        let mut batch = Batch::default();
        batch.put_key(&key);
        store.write(batch).unwrap();
        key
    };
    let kms = kms_in(dir.path());
    let usage = kms.get_key_last_usage(&home(), &reference(&old)).unwrap();
    assert_eq!(usage.tracking_start, kms.tracking_start);
    assert!(usage.tracking_start > old.creation_date);
    assert_eq!(usage.key.creation_date, old.creation_date);
    // A key created since is tracked from its creation.
    let new = kms.create_key(&home(), CreateKey::default()).unwrap();
    let usage = kms.get_key_last_usage(&home(), &reference(&new)).unwrap();
    assert_eq!(usage.tracking_start, new.creation_date);
}

#[test]
fn the_usage_of_a_deleted_key_is_deleted_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let kms = kms_in(dir.path());
    let key = kms.create_key(&home(), CreateKey::default()).unwrap();
    let arn = key.arn.to_string();
    kms.record_usage(&arn, UsageOperation::Encrypt, "r");
    kms.flush_usage().unwrap();
    kms.schedule_key_deletion(&home(), &reference(&key), Some(7))
        .unwrap();
    kms.advance_clock(8 * DAY).unwrap();
    assert!(kms.store.load().unwrap().usage.is_empty());
    assert!(matches!(
        kms.get_key_last_usage(&home(), &reference(&key)),
        Err(Error::KeyNotFound(_))
    ));
    // A call that was in flight when the key went records after the deletion: the flush drops
    // it instead of writing a record for a key that no longer exists.
    kms.record_usage(&arn, UsageOperation::Decrypt, "late");
    assert_eq!(kms.flush_usage().unwrap(), 0);
    assert!(kms.store.load().unwrap().usage.is_empty());
}

#[test]
fn aliases_are_not_accepted() {
    let kms = Kms::open(Store::in_memory(), home(), Clock::system()).unwrap();
    let key = kms.create_key(&home(), CreateKey::default()).unwrap();
    let alias = crate::kms::aliases::parse_alias_name("alias/used").unwrap();
    kms.create_alias(&home(), alias, &reference(&key)).unwrap();
    assert!(matches!(
        kms.get_key_last_usage(&home(), &KeyRef::parse("alias/used")),
        Err(Error::Validation(_))
    ));
}
