use std::time::Duration;

use tokio::time::Instant;

use super::{Limits, Throttled};

#[test]
fn the_connection_limit_leaves_room_under_the_open_files_limit() {
    assert_eq!(Limits::max_connections_for(None), 1024);
    assert_eq!(Limits::max_connections_for(Some(1 << 20)), 1024);
    assert_eq!(Limits::max_connections_for(Some(1088)), 1024);
    assert_eq!(Limits::max_connections_for(Some(256)), 192);
    assert_eq!(Limits::max_connections_for(Some(64)), 16);
    assert_eq!(Limits::max_connections_for(Some(0)), 16);
}

#[test]
fn throttled_lines_come_at_most_every_ten_seconds_and_count_what_they_missed() {
    let start = Instant::now();
    let mut log = Throttled::default();
    assert_eq!(log.hit_at(start), Some(0));
    assert_eq!(log.hit_at(start + Duration::from_secs(1)), None);
    assert_eq!(log.hit_at(start + Duration::from_secs(9)), None);
    assert_eq!(log.hit_at(start + Duration::from_secs(10)), Some(2));
    assert_eq!(log.hit_at(start + Duration::from_secs(11)), None);
    assert_eq!(log.hit_at(start + Duration::from_secs(30)), Some(1));
}
