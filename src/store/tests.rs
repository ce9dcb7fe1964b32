use super::*;

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
    let store = Store::open(dir.path()).unwrap();
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
