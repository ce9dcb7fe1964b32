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
