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

fn kms_in(dir: &std::path::Path) -> Kms {
    Kms::open(Store::open(dir).unwrap(), home(), Clock::system()).unwrap()
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
