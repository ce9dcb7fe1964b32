//! The background task that makes deadlines fire with nobody touching the key. It sleeps until
//! the next rotation or deletion is due, or until it is told that schedules or the clock
//! changed, and then applies what is due off the async workers. It also writes recorded key
//! usage to disk every few seconds. The rules are in `kms`; this file only decides when.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};

use crate::kms::Kms;
use crate::kms::deadlines::Applied;

/// The longest single sleep. Deadlines can be years away, beyond what tokio's timer takes in
/// one go; after this long the task simply looks again.
const MAX_SLEEP: Duration = Duration::from_secs(86_400);

/// How long to wait before trying again after the store failed to apply what was due.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// How often recorded key usage is written to disk (when there is any): the most a crash can
/// lose. Usage is recorded on the hot path without touching the disk.
const USAGE_FLUSH_PERIOD: Duration = Duration::from_secs(5);

/// Runs until `stop` fires (or its sender is dropped). `wake` is notified after anything that
/// may bring a deadline closer: a write operation, a clock advance, a reset. Whatever each
/// sweep applied is logged and, when `report` is given, sent there.
pub(crate) async fn run(
    kms: Arc<Kms>,
    wake: Arc<Notify>,
    mut stop: oneshot::Receiver<()>,
    report: Option<mpsc::UnboundedSender<Applied>>,
) {
    let mut usage_flush = tokio::time::interval(USAGE_FLUSH_PERIOD);
    usage_flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let wait = kms.next_deadline().map(|due| {
            Duration::from_millis(due.0.saturating_sub(kms.clock().now().0)).min(MAX_SLEEP)
        });
        let sleep = async {
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = &mut stop => return,
            () = wake.notified() => continue,
            _ = usage_flush.tick() => {
                flush_usage(&kms).await;
                continue;
            }
            () = sleep => {}
        }
        let sweep = {
            let kms = kms.clone();
            tokio::task::spawn_blocking(move || kms.apply_due()).await
        };
        match sweep {
            Ok(Ok(applied)) => {
                for arn in &applied.rotated {
                    tracing::info!(key = %arn, "rotated key material automatically");
                }
                for arn in &applied.deleted {
                    tracing::info!(key = %arn, "deleted key: its deletion date has passed");
                }
                for arn in &applied.expired {
                    tracing::info!(key = %arn, "deleted imported key material: it expired");
                }
                if let Some(report) = &report
                    && !(applied.rotated.is_empty()
                        && applied.deleted.is_empty()
                        && applied.expired.is_empty())
                {
                    let _ = report.send(applied);
                }
            }
            Ok(Err(error)) => {
                tracing::error!(%error, "applying due rotations and deletions failed");
                tokio::select! {
                    _ = &mut stop => return,
                    () = tokio::time::sleep(RETRY_AFTER_FAILURE) => {}
                }
            }
            Err(error) => tracing::error!(%error, "the deadline sweep panicked"),
        }
    }
}

/// Writes recorded key usage, if there is any, off the async workers.
async fn flush_usage(kms: &Arc<Kms>) {
    if !kms.usage_is_dirty() {
        return;
    }
    let kms = kms.clone();
    match tokio::task::spawn_blocking(move || kms.flush_usage()).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::error!(%error, "writing key usage failed"),
        Err(error) => tracing::error!(%error, "writing key usage panicked"),
    }
}

#[cfg(test)]
mod tests;
