use std::sync::Arc;
use std::task::Wake;

use super::*;
use crate::kms::keys::CreateKeyInput;
use crate::kms::{Clock, Context, Kms};
use crate::model::{AccountId, KeyRef, Operation, Region, Scope};

fn home() -> Scope {
    Scope {
        account: AccountId::parse("111122223333").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    }
}

fn cx(operation: Operation) -> Context {
    Context::new(home(), operation, "request-id")
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
                        // caller waits for a flush that covers everything its call saw.
                        let mut cx = cx(Operation::CreateKey);
                        let key = kms.create_key(&mut cx, CreateKeyInput::default()).unwrap();
                        kms.durability.wait(cx.seen()).unwrap();
                        assert!(kms.is_durable(cx.seen()));
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
            .describe_key(
                &mut cx(Operation::DescribeKey),
                &KeyRef::parse(arn.key_id.as_str()),
            )
            .unwrap();
    }
}

#[test]
fn a_call_records_the_writes_it_made_and_saw_and_other_work_waits_for_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let kms = open(dir.path());
    let latest = |kms: &Kms| WriteSeq(kms.visible.load(Ordering::Acquire));
    // A request's mutation returns once applied; its context holds the write to wait for.
    let mut writer = cx(Operation::CreateKey);
    let key = kms
        .create_key(&mut writer, CreateKeyInput::default())
        .unwrap();
    assert_eq!(writer.seen(), latest(&kms));
    // A reader that sees the key saw that write, flushed or not.
    let mut reader = cx(Operation::DescribeKey);
    kms.describe_key(&mut reader, &KeyRef::parse(key.arn.key_id.as_str()))
        .unwrap();
    assert_eq!(reader.seen(), writer.seen());
    kms.durability.wait(reader.seen()).unwrap();
    assert!(kms.is_durable(writer.seen()));
    // Work that is not a request (the admin API's clock) waits for its own write.
    kms.advance_clock(60).unwrap();
    assert!(latest(&kms) > writer.seen());
    assert!(kms.is_durable(latest(&kms)));
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
    let seq = durability.applied();
    assert!(!durability.is_durable(seq));
    let (tx, woken) = std::sync::mpsc::channel();
    let waker = std::task::Waker::from(Arc::new(ChannelWaker(Mutex::new(tx))));
    let mut task = std::task::Context::from_waker(&waker);
    let mut future = durability.durable(seq);
    // Polling asks the flusher for a flush; the flusher wakes the reader when it is done.
    if Pin::new(&mut future).poll(&mut task).is_pending() {
        woken
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the flusher never woke the reader");
    }
    assert!(durability.is_durable(seq));
    assert!(matches!(
        Pin::new(&mut future).poll(&mut task),
        Poll::Ready(Ok(()))
    ));
    assert!(durability.flushes() >= 1);
}

#[test]
fn an_in_memory_store_has_nothing_to_wait_for() {
    let durability = Durability::start(&Store::in_memory());
    let seq = durability.applied();
    assert!(durability.is_durable(seq));
    durability.wait(seq).unwrap();
    assert_eq!(durability.flushes(), 0);
}
