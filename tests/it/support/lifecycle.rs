//! Key lifecycle calls that many tests make on the way to what they check: scheduling
//! deletion, and enabling, reading and listing rotations. Each panics when its call fails.

use aws_sdk_kms::Client;
use aws_sdk_kms::operation::get_key_rotation_status::GetKeyRotationStatusOutput;
use aws_sdk_kms::operation::list_key_rotations::ListKeyRotationsOutput;
use aws_sdk_kms::operation::schedule_key_deletion::ScheduleKeyDeletionOutput;

/// ScheduleKeyDeletion with a window of `days` (`None`: AWS's default, 30 days).
pub async fn schedule_deletion(
    client: &Client,
    key: &str,
    days: Option<i32>,
) -> ScheduleKeyDeletionOutput {
    client
        .schedule_key_deletion()
        .key_id(key)
        .set_pending_window_in_days(days)
        .send()
        .await
        .unwrap()
}

/// EnableKeyRotation with a period of `days` (`None`: AWS's default, 365 days).
pub async fn enable_rotation(client: &Client, key: &str, days: Option<i32>) {
    client
        .enable_key_rotation()
        .key_id(key)
        .set_rotation_period_in_days(days)
        .send()
        .await
        .unwrap();
}

/// GetKeyRotationStatus.
pub async fn rotation_status(client: &Client, key: &str) -> GetKeyRotationStatusOutput {
    client
        .get_key_rotation_status()
        .key_id(key)
        .send()
        .await
        .unwrap()
}

/// ListKeyRotations, first page, default limit.
pub async fn list_rotations(client: &Client, key: &str) -> ListKeyRotationsOutput {
    client
        .list_key_rotations()
        .key_id(key)
        .send()
        .await
        .unwrap()
}
