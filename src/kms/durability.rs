//! Group commit. A mutation applies its batch to the store without flushing it, makes it
//! visible in memory, and then waits until a flush covers it; one background thread does the
//! flushing, so however many writers arrive during one flush share the next one.
//!
//! Every applied batch gets a sequence number. A reader may see a change before it is durable,
//! so whatever answers a request must first wait until the latest change the request could
//! have seen is durable: the request's `Context` records that number as the call reads and
//! writes, and [`Durability::wait`] / [`Durability::durable`] wait for it (blocking and async).
//! Nothing reaches a client, success or error, that a crash could take back.
//!
//! A failed flush is final: writes that were not flushed may or may not be on disk, so from
//! then on every wait fails (`KMSInternalException`) instead of acknowledging anything else.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use super::{Error, Result};
use crate::store::{self, Store};

/// A position in the sequence of writes: the latest write some work could have seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct WriteSeq(pub(super) u64);

/// Tracks which writes are applied and which are durable, and runs the flusher thread.
#[derive(Debug)]
pub(super) struct Durability {
    shared: Arc<Shared>,
    flusher: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    /// The number of the latest batch applied to the store.
    applied: AtomicU64,
    /// Every batch up to this number is flushed.
    durable: AtomicU64,
    /// Flushes done so far (for tests and diagnostics).
    flushes: AtomicU64,
    inner: Mutex<Inner>,
    /// Wakes the flusher: a waiter needs a flush, or the store is closing.
    work: Condvar,
    /// Wakes blocking waiters: a flush finished.
    done: Condvar,
}

#[derive(Debug, Default)]
struct Inner {
    /// Set by the first failed flush; nothing is acknowledged after it.
    failed: Option<String>,
    stop: bool,
    /// Async waiters and the write each waits for.
    wakers: Vec<(u64, Waker)>,
}

impl Durability {
    /// Starts the flusher for `store`. A store that keeps nothing needs none: everything
    /// applied to it is as durable as it will ever be.
    pub(super) fn start(store: &Store) -> Durability {
        let shared = Arc::new(Shared {
            applied: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            flushes: AtomicU64::new(0),
            inner: Mutex::default(),
            work: Condvar::new(),
            done: Condvar::new(),
        });
        let flusher = store.is_persistent().then(|| {
            let (shared, store) = (shared.clone(), store.clone());
            std::thread::Builder::new()
                .name("kmsd-flush".into())
                .spawn(move || shared.run_flusher(&store))
        });
        let flusher = match flusher {
            None => None,
            Some(Ok(handle)) => Some(handle),
            Some(Err(error)) => {
                // Without a flusher nothing could be acknowledged; say so on every write.
                shared.lock().failed = Some(format!("cannot start the flush thread: {error}"));
                None
            }
        };
        Durability { shared, flusher }
    }

    /// Numbers a batch just applied to the store. Called with the writer lock held, so the
    /// numbers follow the order of the writes.
    pub(super) fn applied(&self) -> WriteSeq {
        let seq = self.shared.applied.fetch_add(1, Ordering::AcqRel) + 1;
        if self.flusher.is_none() && self.shared.lock().failed.is_none() {
            self.shared.durable.store(seq, Ordering::Release);
        }
        WriteSeq(seq)
    }

    /// Whether write `seq` is on disk.
    pub(super) fn is_durable(&self, seq: WriteSeq) -> bool {
        seq.0 <= self.shared.durable.load(Ordering::Acquire)
    }

    /// Blocks until write `seq` is on disk.
    pub(super) fn wait(&self, seq: WriteSeq) -> Result<()> {
        if self.is_durable(seq) {
            return Ok(());
        }
        let mut inner = self.shared.lock();
        loop {
            if let Some(reason) = &inner.failed {
                return Err(unavailable(reason));
            }
            if self.is_durable(seq) {
                return Ok(());
            }
            self.shared.work.notify_one();
            inner = self
                .shared
                .done
                .wait(inner)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Blocks until every write applied so far is on disk.
    pub(super) fn sync(&self) -> Result<()> {
        self.wait(WriteSeq(self.shared.applied.load(Ordering::Acquire)))
    }

    /// Resolves once write `seq` is on disk, without blocking a thread.
    pub(super) fn durable(&self, seq: WriteSeq) -> Durable<'_> {
        Durable {
            durability: self,
            seq,
        }
    }

    /// How many flushes the flusher has done.
    pub(super) fn flushes(&self) -> u64 {
        self.shared.flushes.load(Ordering::Relaxed)
    }
}

impl Drop for Durability {
    /// Flushes what is left and stops the flusher, which releases its copy of the store.
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.work.notify_one();
        if let Some(flusher) = self.flusher.take()
            && flusher.join().is_err()
        {
            tracing::error!("the flush thread panicked");
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The fields are each written whole, so a poisoned lock still holds consistent values.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run_flusher(&self, store: &Store) {
        loop {
            let target = {
                let mut inner = self.lock();
                loop {
                    let applied = self.applied.load(Ordering::Acquire);
                    if inner.failed.is_none() && applied > self.durable.load(Ordering::Acquire) {
                        break applied;
                    }
                    if inner.stop {
                        return;
                    }
                    inner = self
                        .work
                        .wait(inner)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            };
            // Everything applied before this call is covered by it.
            let result = store.flush();
            self.flushes.fetch_add(1, Ordering::Relaxed);
            let mut inner = self.lock();
            match result {
                Ok(()) => {
                    self.durable.fetch_max(target, Ordering::AcqRel);
                }
                Err(error) => {
                    tracing::error!(
                        %error,
                        "flushing the data dir failed; kmsd acknowledges no more writes"
                    );
                    inner.failed = Some(error.to_string());
                }
            }
            let durable = self.durable.load(Ordering::Acquire);
            let failed = inner.failed.is_some();
            let (ready, waiting) = std::mem::take(&mut inner.wakers)
                .into_iter()
                .partition(|(seq, _)| failed || *seq <= durable);
            inner.wakers = waiting;
            drop(inner);
            self.done.notify_all();
            for (_, waker) in ready {
                waker.wake();
            }
        }
    }
}

fn unavailable(reason: &str) -> Error {
    Error::Internal(store::Error::Unavailable(reason.to_owned()))
}

/// The future of `Durability::durable`.
#[derive(Debug)]
pub struct Durable<'a> {
    durability: &'a Durability,
    seq: WriteSeq,
}

impl Future for Durable<'_> {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let durability = self.durability;
        if durability.is_durable(self.seq) {
            return Poll::Ready(Ok(()));
        }
        let mut inner = durability.shared.lock();
        if let Some(reason) = &inner.failed {
            return Poll::Ready(Err(unavailable(reason)));
        }
        if durability.is_durable(self.seq) {
            return Poll::Ready(Ok(()));
        }
        inner.wakers.push((self.seq.0, cx.waker().clone()));
        durability.shared.work.notify_one();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests;
