use std::sync::Arc;
use std::task::Wake;

use super::*;
use crate::kms::Kms;
use crate::kms::keys::CreateKey;
use crate::kms::model::{AccountId, KeyRef, Region, Scope};
use crate::kms::{Clock, observe};

fn home() -> Scope {
    Scope {
        account: AccountId::parse("111122223333").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    }
}

fn open(dir: &std::path::Path) -> Kms {
    Kms::open(Store::open(dir).unwrap(), home(), Clock::system()).unwrap()
}

#[test]
fn concurrent_writers_share_flushes_and_every_acknowledged_write_survives() {
    const WRITERS: usize = 16;
    const PER_WRITER: usize = 25;
    let dir = tempfile::tempdir().unwrap();
    let kms = Arc::new(open(dir.path()));
    let barrier = Arc::new(std::sync::Barrier::new(WRITERS));
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (kms, barrier) = (kms.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                (0..PER_WRITER)
                    .map(|_| {
                        // As the server does: the mutation returns once applied, then the
                        // caller waits for a flush that covers everything it saw.
                        let (key, seen) =
                            observe(|| kms.create_key(&home(), CreateKey::default()).unwrap());
                        kms.durability.wait(seen).unwrap();
                        assert!(kms.is_durable(seen));
                        key.arn.clone()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let acknowledged: Vec<_> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let writes = (WRITERS * PER_WRITER) as u64;
    let flushes = kms.flushes();
    assert!(flushes > 0);
    // With this many writers waiting at once, flushes must be shared; one per write would
    // mean no grouping at all.
    assert!(
        flushes < writes,
        "{flushes} flushes for {writes} writes: writers did not share flushes"
    );
    drop(kms);
    let reopened = open(dir.path());
    assert_eq!(reopened.key_count(), acknowledged.len());
    for arn in &acknowledged {
        reopened
            .describe_key(&home(), &KeyRef::parse(arn.key_id.as_str()))
            .unwrap();
    }
}

#[test]
fn a_mutation_waits_for_its_flush_unless_its_caller_observes() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(dir.path());
    let latest = |kms: &Kms| WriteSeq(kms.visible.load(Ordering::Acquire));
    // Called directly, a mutation returns only once its write is on disk.
    kms.create_key(&home(), CreateKey::default()).unwrap();
    assert!(kms.is_durable(latest(&kms)));
    // Inside observe it returns once applied, and the observer has the write to wait for.
    let (_, seen) = observe(|| kms.create_key(&home(), CreateKey::default()).unwrap());
    assert_eq!(seen, latest(&kms));
    kms.durability.wait(seen).unwrap();
    assert!(kms.is_durable(seen));
}

/// Reports each wake-up on a channel.
struct ChannelWaker(Mutex<std::sync::mpsc::Sender<()>>);

impl Wake for ChannelWaker {
    fn wake(self: Arc<Self>) {
        let _ = self.0.lock().unwrap().send(());
    }
}

#[test]
fn a_reader_that_saw_an_unflushed_write_waits_for_its_flush() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let durability = Durability::start(&store);
    // Applied but not flushed: nobody has waited for it yet.
    let seq = WriteSeq(durability.applied());
    assert!(!durability.is_durable(seq));
    let (tx, woken) = std::sync::mpsc::channel();
    let waker = std::task::Waker::from(Arc::new(ChannelWaker(Mutex::new(tx))));
    let mut cx = Context::from_waker(&waker);
    let mut future = durability.durable(seq);
    // Polling asks the flusher for a flush; the flusher wakes the reader when it is done.
    if Pin::new(&mut future).poll(&mut cx).is_pending() {
        woken
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the flusher never woke the reader");
    }
    assert!(durability.is_durable(seq));
    assert!(matches!(
        Pin::new(&mut future).poll(&mut cx),
        Poll::Ready(Ok(()))
    ));
    assert!(durability.flushes() >= 1);
}

#[test]
fn an_in_memory_store_has_nothing_to_wait_for() {
    let durability = Durability::start(&Store::in_memory());
    let seq = WriteSeq(durability.applied());
    assert!(durability.is_durable(seq));
    durability.wait(seq).unwrap();
    assert_eq!(durability.flushes(), 0);
}

#[test]
fn observe_reports_the_latest_write_seen_and_nests() {
    let ((), outer) = observe(|| {
        saw(3);
        let ((), inner) = observe(|| saw(7));
        assert_eq!(inner, WriteSeq(7));
        saw(5);
    });
    // The outer work saw everything its inner work saw.
    assert_eq!(outer, WriteSeq(7));
    let ((), none) = observe(|| ());
    assert_eq!(none, WriteSeq(0));
}
