use super::*;
use crate::kms::Error;
use crate::kms::encryption::EncryptInput;
use crate::kms::testing::{DAY, create_key, cx, home, in_memory, kms_in, record_use, reference};
use crate::model::{EncryptionAlgorithm, EncryptionContext, Operation};
use crate::store::Store;

#[test]
fn recording_never_touches_the_disk_and_a_flush_writes_once() {
    let dir = tempfile::tempdir().unwrap();
    let kms = kms_in(dir.path());
    let key = create_key(&kms);
    let before = kms.store.batches_written();
    let context = EncryptionContext::new();
    for i in 0..1000 {
        let mut call = Context::new(home(), Operation::Encrypt, format!("request-{i}"));
        let input = EncryptInput {
            key: reference(&key),
            plaintext: b"x".to_vec(),
            context: context.clone(),
            algorithm: EncryptionAlgorithm::SymmetricDefault,
        };
        kms.encrypt(&mut call, input).unwrap();
        kms.record_usage(&call);
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
    let kms = in_memory();
    let key = create_key(&kms);
    let fresh = kms
        .get_key_last_usage(&mut cx(Operation::GetKeyLastUsage), &reference(&key))
        .unwrap();
    assert_eq!(fresh.last, None);
    assert_eq!(fresh.tracking_start, key.creation_date);

    record_use(&kms, &key, Operation::Encrypt, "first");
    kms.advance_clock(DAY).unwrap();
    record_use(&kms, &key, Operation::Decrypt, "second");
    let last = kms
        .get_key_last_usage(&mut cx(Operation::GetKeyLastUsage), &reference(&key))
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
        .get_key_last_usage(&mut cx(Operation::GetKeyLastUsage), &reference(&key))
        .unwrap()
        .last
        .unwrap();
    assert_eq!(again, last, "reading twice gives the same event id");

    record_use(&kms, &key, Operation::Encrypt, "third");
    let newer = kms
        .get_key_last_usage(&mut cx(Operation::GetKeyLastUsage), &reference(&key))
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
        let key = create_key(&kms);
        record_use(&kms, &key, Operation::GenerateDataKey, "r");
        let usage = kms
            .get_key_last_usage(&mut cx(Operation::GetKeyLastUsage), &reference(&key))
            .unwrap();
        kms.flush_usage().unwrap();
        (key, usage.last, kms.tracking_start)
    };
    let kms = kms_in(dir.path());
    let usage = kms
        .get_key_last_usage(&mut cx(Operation::GetKeyLastUsage), &reference(&key))
        .unwrap();
    assert_eq!(usage.last, last);
    assert_eq!(kms.tracking_start, tracking_start);
}

#[test]
fn keys_older_than_tracking_report_when_tracking_began() {
    let dir = tempfile::tempdir().unwrap();
    // A key written by a kmsd that did not track usage yet: no m/usage-tracking record.
    let old = {
        let scratch = in_memory();
        let mut key = Key::clone(&create_key(&scratch));
        key.creation_date = Timestamp(key.creation_date.0 - 100 * DAY * 1000);
        let store = Store::open(dir.path()).unwrap();
        let mut batch = Batch::default();
        batch.put_key(&key);
        store.write(batch).unwrap();
        key
    };
    let kms = kms_in(dir.path());
    let usage = kms
        .get_key_last_usage(&mut cx(Operation::GetKeyLastUsage), &reference(&old))
        .unwrap();
    assert_eq!(usage.tracking_start, kms.tracking_start);
    assert!(usage.tracking_start > old.creation_date);
    assert_eq!(usage.key.creation_date, old.creation_date);
    // A key created since is tracked from its creation.
    let new = create_key(&kms);
    let usage = kms
        .get_key_last_usage(&mut cx(Operation::GetKeyLastUsage), &reference(&new))
        .unwrap();
    assert_eq!(usage.tracking_start, new.creation_date);
}

#[test]
fn the_usage_of_a_deleted_key_is_deleted_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let kms = kms_in(dir.path());
    let key = create_key(&kms);
    record_use(&kms, &key, Operation::Encrypt, "r");
    kms.flush_usage().unwrap();
    let deletion = crate::kms::keys::ScheduleKeyDeletionInput {
        key: reference(&key),
        pending_window_days: Some(7),
    };
    kms.schedule_key_deletion(&mut cx(Operation::ScheduleKeyDeletion), deletion)
        .unwrap();
    kms.advance_clock(8 * DAY).unwrap();
    assert!(kms.store.load().unwrap().usage.is_empty());
    assert!(matches!(
        kms.get_key_last_usage(&mut cx(Operation::GetKeyLastUsage), &reference(&key)),
        Err(Error::KeyNotFound(_))
    ));
    // A call that was in flight when the key went records after the deletion: the flush drops
    // it instead of writing a record for a key that no longer exists.
    record_use(&kms, &key, Operation::Decrypt, "late");
    assert_eq!(kms.flush_usage().unwrap(), 0);
    assert!(kms.store.load().unwrap().usage.is_empty());
}

#[test]
fn aliases_are_not_accepted() {
    let kms = in_memory();
    let key = create_key(&kms);
    let input = crate::kms::aliases::AliasTargetInput {
        name: crate::model::AliasName::parse("alias/used").unwrap(),
        target: reference(&key),
    };
    kms.create_alias(&mut cx(Operation::CreateAlias), input)
        .unwrap();
    assert!(matches!(
        kms.get_key_last_usage(
            &mut cx(Operation::GetKeyLastUsage),
            &KeyRef::parse("alias/used")
        ),
        Err(Error::Validation(_))
    ));
}
