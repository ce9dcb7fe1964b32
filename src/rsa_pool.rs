//! A pool of pre-generated RSA keys per size, refilled by one background thread, so that
//! creating an RSA key does not wait for prime generation while the pool has keys. RSA_2048,
//! by far the most used size, gets the full count; the slower, rarer sizes an eighth of it.
//! The thread fills the pool only while the server is quiet (no request for `QUIET`), and
//! at the lowest CPU priority: a server under load does not share its CPU with prime
//! generation (on a two-core machine, a pool being filled during a load test had cost a
//! quarter of the Encrypt throughput, even at the lowest priority). Under sustained load an
//! empty pool generates keys on demand, as if there were none.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use crate::crypto::Error;
use crate::crypto::asymmetric::{AsymmetricKey, KeyPairKind};

/// The RSA sizes KMS offers.
pub const SIZES: [usize; 3] = [2048, 3072, 4096];

/// How long no request must arrive before the pool generates its next key.
const QUIET: Duration = Duration::from_millis(20);

/// The pool. Cloning shares it.
#[derive(Debug, Clone)]
pub struct RsaPool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// RSA_2048 keys to keep ready.
    target: usize,
    sizes: &'static [usize],
    keys: Mutex<HashMap<usize, VecDeque<AsymmetricKey>>>,
    /// Signalled when a key is taken (the refiller wakes) and when one is added.
    changed: Condvar,
    /// Counts [`RsaPool::note_activity`] calls: unchanged for [`Inner::quiet`] means idle.
    activity: AtomicU64,
    quiet: Duration,
}

impl RsaPool {
    /// A pool that keeps `count` RSA_2048 keys ready, and `count / 8` (rounded up) of the
    /// larger sizes; 0 turns it off (every RSA key is generated on demand). With a non-zero
    /// count a background thread starts filling it.
    pub fn new(count: usize) -> RsaPool {
        RsaPool::with_sizes(count, &SIZES)
    }

    /// A pool for some sizes only (other sizes are generated on demand).
    pub fn with_sizes(count: usize, sizes: &'static [usize]) -> RsaPool {
        RsaPool::with_quiet(count, sizes, QUIET)
    }

    fn with_quiet(count: usize, sizes: &'static [usize], quiet: Duration) -> RsaPool {
        let pool = RsaPool {
            inner: Arc::new(Inner {
                target: count,
                sizes,
                keys: Mutex::new(HashMap::new()),
                changed: Condvar::new(),
                activity: AtomicU64::new(0),
                quiet,
            }),
        };
        if count > 0 {
            let weak = Arc::downgrade(&pool.inner);
            std::thread::Builder::new()
                .name("kmsd-rsa-pool".into())
                .spawn(move || refill(weak))
                .map(drop)
                .unwrap_or_else(|e| tracing::warn!(error = %e, "RSA key pool disabled"));
        }
        pool
    }

    /// Tells the pool a request arrived: it holds off generating keys until none has arrived
    /// for a while. One relaxed atomic increment.
    pub fn note_activity(&self) {
        self.inner.activity.fetch_add(1, Ordering::Relaxed);
    }

    /// A pooled key of `bits`, or a freshly generated one when the pool has none.
    pub fn take(&self, bits: usize) -> Result<AsymmetricKey, Error> {
        let pooled = {
            let mut keys = self
                .inner
                .keys
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            keys.get_mut(&bits).and_then(VecDeque::pop_front)
        };
        self.inner.changed.notify_all();
        match pooled {
            Some(key) => Ok(key),
            None => AsymmetricKey::generate(KeyPairKind::Rsa(bits)),
        }
    }

    /// How many keys of `bits` are ready now.
    pub fn ready(&self, bits: usize) -> usize {
        let keys = self
            .inner
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        keys.get(&bits).map_or(0, VecDeque::len)
    }

    /// Blocks until every size has its share of keys ready (for tests and benchmarks).
    pub fn wait_until_full(&self) {
        let mut keys = self
            .inner
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while self.inner.first_short(&keys).is_some() {
            keys = self
                .inner
                .changed
                .wait(keys)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Inner {
    /// Returns once no activity has been noted for `quiet`.
    fn wait_until_quiet(&self) {
        loop {
            let seen = self.activity.load(Ordering::Relaxed);
            std::thread::sleep(self.quiet);
            if self.activity.load(Ordering::Relaxed) == seen {
                return;
            }
        }
    }

    /// How many keys of `bits` the pool keeps ready.
    fn target(&self, bits: usize) -> usize {
        if bits <= 2048 {
            self.target
        } else {
            self.target.div_ceil(8)
        }
    }

    /// The smallest size with fewer keys than its target.
    fn first_short(&self, keys: &HashMap<usize, VecDeque<AsymmetricKey>>) -> Option<usize> {
        self.sizes
            .iter()
            .copied()
            .find(|&b| keys.get(&b).map_or(0, VecDeque::len) < self.target(b))
    }
}

/// The background thread: tops up the smallest size that is short, and sleeps on the condvar
/// while every size is full. It ends when the pool is dropped.
fn refill(pool: std::sync::Weak<Inner>) {
    lowest_priority();
    loop {
        let Some(inner) = pool.upgrade() else {
            return;
        };
        let missing = {
            let mut keys = inner.keys.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                match inner.first_short(&keys) {
                    Some(bits) => break bits,
                    None => {
                        // Wake up at least once in a while so a dropped pool ends the thread.
                        let (guard, _) = inner
                            .changed
                            .wait_timeout(keys, std::time::Duration::from_secs(1))
                            .unwrap_or_else(PoisonError::into_inner);
                        keys = guard;
                        if Arc::strong_count(&inner) == 1 {
                            return;
                        }
                    }
                }
            }
        };
        inner.wait_until_quiet();
        drop(inner);
        let Ok(key) = AsymmetricKey::generate(KeyPairKind::Rsa(missing)) else {
            return;
        };
        let Some(inner) = pool.upgrade() else {
            return;
        };
        inner
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(missing)
            .or_default()
            .push_back(key);
        inner.changed.notify_all();
    }
}

/// Puts the calling thread at the lowest priority, so that key generation only uses CPU
/// that nothing else wants. Where that fails the pool still works, only at normal priority.
///
/// On Linux that is the `SCHED_IDLE` policy, and nice 19: a request handler that wakes up
/// takes the CPU from it at once. A nice value alone was not enough: under load the
/// scheduler let the refill finish its time slice before a woken handler, and a pool being
/// filled after startup cost a quarter of the Encrypt throughput.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    let policy = thread_priority::ThreadSchedulePolicy::Normal(
        thread_priority::NormalThreadSchedulePolicy::Idle,
    );
    #[cfg(not(target_os = "linux"))]
    let policy = thread_priority::ThreadSchedulePolicy::Normal(
        thread_priority::NormalThreadSchedulePolicy::Other,
    );
    let set = thread_priority::set_thread_priority_and_policy(
        thread_priority::thread_native_id(),
        thread_priority::ThreadPriority::Min,
        policy,
    );
    if let Err(error) = set {
        tracing::debug!(?error, "could not make the RSA pool thread SCHED_IDLE");
    }
    // Where SCHED_IDLE is missing, the lowest nice value still helps (on Linux it belongs to
    // the thread, not the process).
    if let Err(error) = rustix::process::nice(19) {
        tracing::debug!(%error, "could not lower the RSA pool thread's nice value");
    }
}

#[cfg(test)]
mod tests;
