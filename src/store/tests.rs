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
    use crate::model::{AccountId, Alias, AliasName, KeyId, Region, Scope, Timestamp};
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

#[test]
fn single_writes_and_batches_are_applied_and_survive_reopening() {
    use crate::model::{AccountId, Alias, AliasName, KeyId, Region, Scope, Timestamp};
    let dir = tempfile::tempdir().unwrap();
    let scope = Scope {
        account: AccountId::parse("111122223333").unwrap(),
        region: Region::parse("eu-west-1").unwrap(),
    };
    let alias = |name: &str| Alias {
        name: AliasName::new_unchecked(name.into()),
        target: KeyId::generate(),
        creation_date: Timestamp(1),
        last_updated: Timestamp(1),
    };
    {
        let store = Store::open(dir.path()).unwrap();
        // A batch of one insert, a batch of two, then a batch of one removal.
        let mut batch = Batch::default();
        batch.put_alias(&scope, &alias("alias/one"));
        store.apply(batch).unwrap();
        let mut batch = Batch::default();
        batch.put_alias(&scope, &alias("alias/two"));
        batch.put_alias(&scope, &alias("alias/three"));
        store.apply(batch).unwrap();
        let mut batch = Batch::default();
        batch.delete_alias(&scope, &AliasName::new_unchecked("alias/two".into()));
        store.apply(batch).unwrap();
        store.flush().unwrap();
    }
    let store = reopen(dir.path());
    let mut names: Vec<String> = store
        .load()
        .unwrap()
        .aliases
        .iter()
        .map(|(_, alias)| alias.name.as_str().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["alias/one", "alias/three"]);
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
    assert_eq!(key.rotation, crate::model::KeyRotation::default());
    assert_eq!(key.policy_text(), "{}");
    // Written back (as version 2) without rotation state, it has the same fields, less those
    // that version 2 leaves out: what the path says, and empty members.
    let written: serde_json::Value = serde_json::from_slice(&records::encode_key(&key)).unwrap();
    let mut old: serde_json::Value = serde_json::from_str(KEY_RECORD_BEFORE_ROTATION).unwrap();
    let old_fields = old.as_object_mut().unwrap();
    for dropped in ["account", "region", "key_id", "deletion", "tags"] {
        old_fields.remove(dropped).unwrap();
    }
    old_fields.insert("v".into(), 2.into());
    assert_eq!(written, old);
}

/// A version 1 key record as kmsd wrote it for every key created without a policy: the
/// default policy spelled out in full.
const KEY_RECORD_V1_DEFAULT_POLICY: &str = r#"{"v":1,"account":"111122223333","region":"us-east-1","key_id":"0b2f6f3e-1c1d-4a4b-9c9d-0e0f10111213","created_ms":1700000000000,"description":"scale.sh","usage":"ENCRYPT_DECRYPT","spec":"SYMMETRIC_DEFAULT","origin":"AWS_KMS","state":"Enabled","deletion":null,"materials":[{"id":"0101010101010101010101010101010101010101010101010101010101010101","kind":"AES_256","secret":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=","created_ms":1700000000000}],"tags":[],"policy":"{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::111122223333:root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}"}"#;

/// The same key as version 2 writes it.
const KEY_RECORD_V2_DEFAULT_POLICY: &str = r#"{"v":2,"created_ms":1700000000000,"description":"scale.sh","usage":"ENCRYPT_DECRYPT","spec":"SYMMETRIC_DEFAULT","origin":"AWS_KMS","state":"Enabled","materials":[{"id":"0101010101010101010101010101010101010101010101010101010101010101","kind":"AES_256","secret":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=","created_ms":1700000000000}]}"#;

const KEY_PATH: &[u8] = b"k/111122223333/us-east-1/0b2f6f3e-1c1d-4a4b-9c9d-0e0f10111213";

fn decode_key(record: &str) -> crate::model::Key {
    match records::decode(KEY_PATH, record.as_bytes()) {
        Ok(records::Record::Key(key)) => key,
        Ok(_) => panic!("not a key record"),
        Err(error) => panic!("{error}"),
    }
}

#[test]
fn a_version_1_record_with_the_default_policy_loads_and_is_written_as_version_2() {
    use crate::model::KeyPolicy;
    let old = decode_key(KEY_RECORD_V1_DEFAULT_POLICY);
    let stored: serde_json::Value = serde_json::from_str(KEY_RECORD_V1_DEFAULT_POLICY).unwrap();
    assert_eq!(old.policy, KeyPolicy::Default);
    assert_eq!(old.policy_text(), stored["policy"].as_str().unwrap());
    assert_eq!(
        old.arn.to_string(),
        "arn:aws:kms:us-east-1:111122223333:key/0b2f6f3e-1c1d-4a4b-9c9d-0e0f10111213"
    );
    assert_eq!(old.description, "scale.sh");
    assert_eq!(old.materials.len(), 1);
    assert_eq!(old.materials[0].secret.to_stored_bytes().unwrap(), [2; 32]);

    let written = records::encode_key(&old);
    assert_eq!(
        String::from_utf8(written.clone()).unwrap(),
        KEY_RECORD_V2_DEFAULT_POLICY
    );
    let new = decode_key(std::str::from_utf8(&written).unwrap());
    assert_eq!(new.policy, KeyPolicy::Default);
    assert_eq!(new.policy_text(), old.policy_text());
    assert_eq!(records::encode_key(&new), written);
}

#[test]
fn custom_policies_and_every_member_round_trip() {
    use crate::model::{Deletion, KeyPolicy, KeyState, Timestamp};
    let mut key = decode_key(KEY_RECORD_V1_DEFAULT_POLICY);
    let policy = "{\"Statement\" : [ ],\n \"x\": \"\u{e9}\\\"q\\\"\"}".to_owned();
    key.policy = KeyPolicy::new(&key.arn.scope.account, policy.clone());
    assert_eq!(key.policy, KeyPolicy::Document(policy.clone()));
    key.description = "quote \" and \\ and \u{e9}".into();
    key.tags.insert("team".into(), "core \"1\"".into());
    key.state = KeyState::PendingDeletion;
    key.deletion = Some(Deletion {
        date: Timestamp(1_800_000_000_000),
        window_days: 9,
    });
    let back = decode_key(std::str::from_utf8(&records::encode_key(&key)).unwrap());
    assert_eq!(back.policy, KeyPolicy::Document(policy));
    assert_eq!(back.description, key.description);
    assert_eq!(back.tags, key.tags);
    assert_eq!(back.state, key.state);
    assert_eq!(back.deletion, key.deletion);
    assert_eq!(records::encode_key(&back), records::encode_key(&key));
}

#[test]
fn the_default_policy_of_another_account_is_kept_as_a_document() {
    use crate::model::KeyPolicy;
    let record = KEY_RECORD_V1_DEFAULT_POLICY.replace(":111122223333:root", ":444455556666:root");
    let key = decode_key(&record);
    assert!(matches!(key.policy, KeyPolicy::Document(_)));
    assert!(key.policy_text().contains("arn:aws:iam::444455556666:root"));
    let back = decode_key(std::str::from_utf8(&records::encode_key(&key)).unwrap());
    assert_eq!(back.policy, key.policy);
}

#[test]
fn a_version_1_key_record_needs_its_policy_and_unknown_versions_are_corrupt() {
    let no_policy = KEY_RECORD_BEFORE_ROTATION.replace(r#","policy":"{}""#, "");
    let error = records::decode(KEY_PATH, no_policy.as_bytes())
        .err()
        .unwrap();
    assert!(error.to_string().contains("policy"), "{error}");
    let v3 = KEY_RECORD_V2_DEFAULT_POLICY.replace(r#""v":2"#, r#""v":3"#);
    let error = records::decode(KEY_PATH, v3.as_bytes()).err().unwrap();
    assert!(
        error
            .to_string()
            .contains("unsupported key record version 3"),
        "{error}"
    );
}

#[test]
fn rotation_state_round_trips() {
    use crate::model::{MaterialId, RotationRecord, RotationSchedule, RotationType, Timestamp};
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

#[test]
fn loading_hands_many_records_over_in_order_and_stops_at_a_corrupt_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let db = store.db.clone().unwrap();
    let path = |i: usize| format!("k/111122223333/us-east-1/{i:08x}-1c1d-4a4b-9c9d-0e0f10111213");
    // More records than one hand-over holds, in two partitions.
    for i in 0..1000 {
        db.insert(path(i), KEY_RECORD_V2_DEFAULT_POLICY.as_bytes())
            .unwrap();
    }
    db.insert(
        "k/444455556666/eu-west-1/0b2f6f3e-1c1d-4a4b-9c9d-0e0f10111213",
        KEY_RECORD_V1_DEFAULT_POLICY.as_bytes(),
    )
    .unwrap();
    let snapshot = store.load().unwrap();
    assert_eq!(snapshot.keys.len(), 1001);
    for (i, key) in snapshot.keys[..1000].iter().enumerate() {
        assert_eq!(key.arn.key_id.as_str(), &path(i)[25..]);
        assert_eq!(key.arn.scope.account.as_str(), "111122223333");
    }
    let last = &snapshot.keys[1000].arn;
    assert_eq!(last.scope.account.as_str(), "444455556666");
    assert_eq!(last.scope.region.as_str(), "eu-west-1");

    db.insert(path(700), &b"{\"v\":2"[..]).unwrap();
    let error = store.load().err().unwrap();
    assert!(error.to_string().contains(&path(700)), "{error}");
}

#[test]
fn material_ids_are_64_hex_digits_of_either_case() {
    let id = "0101010101010101010101010101010101010101010101010101010101010101";
    let with_id = |new: &str| KEY_RECORD_V2_DEFAULT_POLICY.replace(id, new);
    let mixed = "0123456789abcdefABCDEF0101010101010101010101010101010101010101ff";
    let key = decode_key(&with_id(mixed));
    assert_eq!(key.materials[0].id.to_string(), mixed.to_lowercase());
    for bad in [
        &id[1..],
        &format!("{id}0"),
        &id.replacen('0', "g", 1),
        &id.replacen('0', " ", 1),
        &id.replacen("01", "+1", 1),
        &id.replacen("01", "\u{e9}", 1)[..64],
    ] {
        let error = records::decode(KEY_PATH, with_id(bad).as_bytes())
            .err()
            .unwrap_or_else(|| panic!("{bad:?} was taken for a material id"));
        assert!(error.to_string().contains("bad material id"), "{error}");
    }
}

/// Every file under `dir`, read.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            out.push((path, bytes));
        }
    }
    out
}

/// Whether any file under `dir` holds `needle`.
fn holds(dir: &Path, needle: &str) -> bool {
    files_under(dir)
        .iter()
        .any(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

/// The base64 of the key material in [`KEY_RECORD_BEFORE_ROTATION`].
const OLD_SECRET: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

#[test]
fn compaction_keeps_what_is_stored_and_drops_what_was_deleted() {
    use crate::model::{AccountId, Alias, AliasName, KeyId, Region, Scope, Timestamp};
    let dir = tempfile::tempdir().unwrap();
    let key = decode_key(KEY_RECORD_BEFORE_ROTATION);
    let scope = Scope {
        account: AccountId::parse("111122223333").unwrap(),
        region: Region::parse("eu-west-1").unwrap(),
    };
    let store = Store::open(dir.path()).unwrap();
    let mut batch = Batch::default();
    batch.put_key(&key);
    batch.put_clock(60);
    batch.put_alias(
        &scope,
        &Alias {
            name: AliasName::new_unchecked("alias/kept".into()),
            target: KeyId::generate(),
            creation_date: Timestamp(1),
            last_updated: Timestamp(1),
        },
    );
    store.write(batch).unwrap();
    assert!(!store.deleted_since_open());
    let mut batch = Batch::default();
    batch.delete_key(&key.arn);
    store.write(batch).unwrap();
    assert!(store.deleted_since_open());
    assert!(
        holds(dir.path(), OLD_SECRET),
        "sled keeps the deleted record"
    );

    let (store, compacted) = store.compact().unwrap();
    assert!(compacted.bytes_before > 0 && compacted.bytes_after > 0);
    assert!(!store.deleted_since_open());
    assert!(
        !holds(dir.path(), OLD_SECRET),
        "the deleted record survived compaction"
    );
    let snapshot = store.load().unwrap();
    assert!(snapshot.keys.is_empty());
    assert_eq!(snapshot.aliases.len(), 1);
    assert_eq!(snapshot.clock_offset_seconds, 60);
    // The database moved to generation 1; generation 0's files are gone.
    assert!(dir.path().join("gen-1").is_dir());
    assert!(dir.path().join("gen-1.complete").is_file());
    assert!(!dir.path().join("db").exists());
    assert!(!dir.path().join("conf").exists());
    // Writes go to the new generation and survive reopening; so does a second compaction.
    let mut batch = Batch::default();
    batch.put_clock(120);
    store.write(batch).unwrap();
    let (store, _) = store.compact().unwrap();
    assert!(!dir.path().join("gen-1").exists());
    drop(store);
    let store = reopen(dir.path());
    assert_eq!(store.load().unwrap().clock_offset_seconds, 120);
    assert_eq!(store.load().unwrap().aliases.len(), 1);
}

#[test]
fn a_compaction_cut_short_leaves_the_last_complete_generation_in_charge() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut batch = Batch::default();
    batch.put_clock(60);
    store.write(batch).unwrap();
    let (store, _) = store.compact().unwrap();
    drop(store);
    // A copy into generation 2 that never got its marker, as a crash would leave it.
    std::fs::create_dir(dir.path().join("gen-2")).unwrap();
    std::fs::write(dir.path().join("gen-2").join("db"), b"half a copy").unwrap();
    let store = reopen(dir.path());
    assert_eq!(store.load().unwrap().clock_offset_seconds, 60);
    assert!(!dir.path().join("gen-2").exists());
    assert!(dir.path().join("gen-1").is_dir());
}

#[test]
fn open_existing_creates_nothing_and_says_when_the_dir_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let error = Store::open_existing(&missing).unwrap_err();
    assert!(matches!(error, Error::Missing(_)), "{error}");
    assert!(!missing.exists());
    let error = Store::open_existing(dir.path()).unwrap_err();
    assert!(matches!(error, Error::NotADataDir(_)), "{error}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let data = dir.path().join("data").join("nested");
    let _held = Store::open(&data).unwrap();
    for created in [dir.path().join("data"), data.clone()] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&created).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", created.display());
    }
    let error = Store::open_existing(&data).unwrap_err();
    assert!(matches!(error, Error::InUse(_)), "{error}");
    // Tests (and `reopen`) recognise a held lock by this word.
    assert!(error.to_string().contains("locked"), "{error}");
}
