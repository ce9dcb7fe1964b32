use super::*;

/// Opens the store in `dir`. A store dropped a moment ago may still have sled IO threads
/// holding the directory's lock; this waits for them (at most a few seconds).
pub(crate) fn reopen(dir: &Path) -> Store {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match Store::open(dir) {
            Ok(store) => return store,
            Err(error) if std::time::Instant::now() < deadline => {
                assert!(error.to_string().contains("lock"), "{error}");
                std::thread::yield_now();
            }
            Err(error) => panic!("{error}"),
        }
    }
}

#[test]
fn the_clock_offset_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.load().unwrap().clock_offset_seconds, 0);
        let mut batch = Batch::default();
        batch.put_clock(86_400);
        store.write(batch).unwrap();
    }
    let store = reopen(dir.path());
    assert_eq!(store.load().unwrap().clock_offset_seconds, 86_400);
}

#[test]
fn a_clock_record_of_an_unknown_version_is_corrupt() {
    let error = records::decode(records::CLOCK_PATH, br#"{"v":2,"offset_seconds":1}"#)
        .err()
        .unwrap();
    assert!(
        error
            .to_string()
            .contains("unsupported clock record version 2"),
        "{error}"
    );
}

#[test]
fn clearing_resources_keeps_the_clock() {
    use crate::kms::model::{AccountId, Alias, AliasName, KeyId, Region, Scope, Timestamp};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let scope = Scope {
        account: AccountId::parse("111122223333").unwrap(),
        region: Region::parse("eu-west-1").unwrap(),
    };
    let mut batch = Batch::default();
    batch.put_clock(3600);
    batch.put_alias(
        &scope,
        &Alias {
            name: AliasName::new_unchecked("alias/x".into()),
            target: KeyId::generate(),
            creation_date: Timestamp(1),
            last_updated: Timestamp(1),
        },
    );
    store.write(batch).unwrap();
    assert_eq!(store.load().unwrap().aliases.len(), 1);
    store.clear_resources().unwrap();
    let snapshot = store.load().unwrap();
    assert!(snapshot.aliases.is_empty());
    assert!(snapshot.keys.is_empty());
    assert_eq!(snapshot.clock_offset_seconds, 3600);
}

/// A key record written before rotation existed: the same version, without the new fields.
const KEY_RECORD_BEFORE_ROTATION: &str = r#"{"v":1,"account":"111122223333","region":"us-east-1","key_id":"0b2f6f3e-1c1d-4a4b-9c9d-0e0f10111213","created_ms":1700000000000,"description":"old","usage":"ENCRYPT_DECRYPT","spec":"SYMMETRIC_DEFAULT","origin":"AWS_KMS","state":"Enabled","deletion":null,"materials":[{"id":"0101010101010101010101010101010101010101010101010101010101010101","kind":"AES_256","secret":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=","created_ms":1700000000000}],"tags":[],"policy":"{}"}"#;

#[test]
fn key_records_from_before_rotation_still_load() {
    let path = b"k/111122223333/us-east-1/0b2f6f3e-1c1d-4a4b-9c9d-0e0f10111213";
    let Ok(records::Record::Key(key)) =
        records::decode(path, KEY_RECORD_BEFORE_ROTATION.as_bytes())
    else {
        panic!("the old record did not load as a key");
    };
    assert_eq!(key.description, "old");
    assert_eq!(key.rotation, crate::kms::model::KeyRotation::default());
    // Writing it back without rotation state gives the same fields as before.
    let written: serde_json::Value = serde_json::from_slice(&records::encode_key(&key)).unwrap();
    let old: serde_json::Value = serde_json::from_str(KEY_RECORD_BEFORE_ROTATION).unwrap();
    assert_eq!(written, old);
}

#[test]
fn rotation_state_round_trips() {
    use crate::kms::model::{
        MaterialId, RotationRecord, RotationSchedule, RotationType, Timestamp,
    };
    let path = b"k/111122223333/us-east-1/0b2f6f3e-1c1d-4a4b-9c9d-0e0f10111213";
    let Ok(records::Record::Key(mut key)) =
        records::decode(path, KEY_RECORD_BEFORE_ROTATION.as_bytes())
    else {
        panic!("the old record did not load as a key");
    };
    key.rotation.schedule = Some(RotationSchedule {
        period_days: 90,
        next: Timestamp(1_800_000_000_000),
    });
    key.rotation.history.push(RotationRecord {
        material_id: MaterialId([7; 32]),
        date: Timestamp(1_750_000_000_000),
        kind: RotationType::OnDemand,
    });
    let Ok(records::Record::Key(back)) = records::decode(path, &records::encode_key(&key)) else {
        panic!("the record did not load back");
    };
    assert_eq!(back.rotation, key.rotation);
}
