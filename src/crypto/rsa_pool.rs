//! A pool of pre-generated RSA keys per size, refilled by one background thread, so that
//! creating an RSA key does not wait for prime generation while the pool has keys. RSA_2048,
//! by far the most used size, gets the full count; the slower, rarer sizes an eighth of it.
//! The thread runs at the lowest CPU priority: it fills the pool with otherwise idle time and
//! never slows down requests.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use super::Error;
use super::asymmetric::{AsymmetricKey, KeyPairKind};

/// The RSA sizes KMS offers.
pub const SIZES: [usize; 3] = [2048, 3072, 4096];

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
        let pool = RsaPool {
            inner: Arc::new(Inner {
                target: count,
                sizes,
                keys: Mutex::new(HashMap::new()),
                changed: Condvar::new(),
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
    // On Linux the nice value belongs to the thread: only the refill yields to everything else.
    // Where that fails the pool still works, only at normal priority.
    if let Err(error) = rustix::process::nice(19) {
        tracing::debug!(%error, "could not lower the RSA pool thread's priority");
    }
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

#[cfg(test)]
mod tests;
