use super::*;

const DAY: u64 = 86_400;

#[test]
fn starts_at_system_time_with_no_offset() {
    let clock = Clock::system();
    let system = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert_eq!(clock.offset_seconds(), 0);
    assert!(clock.now().0.abs_diff(system) < 5_000);
}

#[test]
fn raising_the_offset_moves_now_forward() {
    let clock = Clock::system();
    let before = clock.now();
    clock.raise_offset(7 * DAY);
    let after = clock.now();
    assert_eq!(clock.offset_seconds(), 7 * DAY);
    assert!(
        after.0 >= before.0 + 7 * DAY * 1000,
        "{after:?} vs {before:?}"
    );
    assert!(after.0 < before.0 + 7 * DAY * 1000 + 5_000);
}

#[test]
fn the_offset_never_moves_back() {
    let clock = Clock::system();
    clock.raise_offset(10 * DAY);
    let ahead = clock.now();
    clock.raise_offset(DAY);
    clock.raise_offset(0);
    assert_eq!(clock.offset_seconds(), 10 * DAY);
    assert!(clock.now() >= ahead);
}

#[test]
fn now_never_goes_backwards() {
    let clock = Clock::system();
    // A time far in the future has been handed out (as if the system clock had been ahead
    // and then stepped back): later readings do not go below it.
    let ahead = clock.now().0 + 100 * DAY * 1000;
    clock.last_ms.store(ahead, Ordering::Release);
    let after = clock.now();
    assert_eq!(after.0, ahead);
    assert_eq!(clock.at_offset(0).0, ahead);
    let mut previous = after;
    for _ in 0..1000 {
        let next = clock.now();
        assert!(next >= previous);
        previous = next;
    }
}

#[test]
fn advances_must_be_positive_and_bounded() {
    let clock = Clock::system();
    assert_eq!(clock.offset_after(0), None);
    assert_eq!(clock.offset_after(60), Some(60));
    assert_eq!(
        clock.offset_after(MAX_OFFSET_SECONDS),
        Some(MAX_OFFSET_SECONDS)
    );
    assert_eq!(clock.offset_after(MAX_OFFSET_SECONDS + 1), None);
    assert_eq!(clock.offset_after(u64::MAX), None);
    // Computing an advance, or the time it leads to, does not perform it.
    let later = clock.at_offset(DAY);
    assert!(later.0 >= clock.now().0 + DAY * 1000 - 1000);
    assert_eq!(clock.offset_seconds(), 0);
    assert!(clock.now() < later);
    clock.raise_offset(MAX_OFFSET_SECONDS);
    assert_eq!(clock.offset_after(1), None);
    // A persisted offset beyond the bound (a corrupt record) is clamped.
    let other = Clock::system();
    other.raise_offset(u64::MAX);
    assert_eq!(other.offset_seconds(), MAX_OFFSET_SECONDS);
}
