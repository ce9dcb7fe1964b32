use super::*;
use crate::kms::testing::{DAY, create_key, in_memory, schedule_deletion};

/// The deadline is about a second away in real time and nobody calls kmsd: the task alone
/// deletes the key. The test waits for the task's report (bounded), not for a fixed time.
#[tokio::test]
async fn a_deadline_fires_with_nobody_touching_the_key() {
    let kms = Arc::new(in_memory());
    let wake = Arc::new(Notify::new());
    let (stop, stopped) = oneshot::channel();
    let (report, mut reports) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(kms.clone(), wake.clone(), stopped, Some(report)));

    let key = create_key(&kms);
    let scheduled = schedule_deletion(&kms, &key, 7).unwrap();
    // Seven days minus one second: the advance itself applies nothing.
    let advanced = kms.advance_clock(7 * DAY - 1).unwrap();
    assert!(advanced.applied.deleted.is_empty());
    assert!(scheduled.deletion.unwrap().date > kms.clock().now());
    wake.notify_one();

    let applied = tokio::time::timeout(Duration::from_secs(30), reports.recv())
        .await
        .expect("the background task did not apply the deletion")
        .unwrap();
    assert_eq!(applied.deleted, vec![key.arn.clone()]);
    assert_eq!(kms.next_deadline(), None);
    assert_eq!(kms.key_count(), 0);

    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test]
async fn the_task_stops_when_told_and_releases_kms() {
    let kms = Arc::new(in_memory());
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(run(kms.clone(), Arc::new(Notify::new()), stopped, None));
    stop.send(()).unwrap();
    task.await.unwrap();
    assert_eq!(Arc::strong_count(&kms), 1);
}

/// Imported material expires the same way: the task deletes it when its `ValidTo` passes.
#[tokio::test]
async fn imported_material_expires_with_nobody_touching_the_key() {
    use crate::kms::testing::{create_external_key, import_aes};
    use crate::model::KeyState;
    let kms = Arc::new(in_memory());
    let wake = Arc::new(Notify::new());
    let (stop, stopped) = oneshot::channel();
    let (report, mut reports) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(kms.clone(), wake.clone(), stopped, Some(report)));

    let key = create_external_key(&kms);
    let valid_to = kms.clock().now().plus_days(1);
    import_aes(&kms, &key, &[1; 32], Some(valid_to)).unwrap();
    // A day minus one second: the advance itself applies nothing.
    assert!(
        kms.advance_clock(DAY - 1)
            .unwrap()
            .applied
            .expired
            .is_empty()
    );
    wake.notify_one();

    let applied = tokio::time::timeout(Duration::from_secs(30), reports.recv())
        .await
        .expect("the background task did not apply the expiry")
        .unwrap();
    assert_eq!(applied.expired, vec![key.arn.clone()]);
    assert_eq!(kms.next_deadline(), None);
    let snapshot = kms.snapshot();
    assert_eq!(snapshot.keys[0].state, KeyState::PendingImport);

    stop.send(()).unwrap();
    task.await.unwrap();
}
