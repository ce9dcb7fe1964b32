//! The domain: KMS rules over keys and aliases, synchronous and free of HTTP, JSON and tokio.
//! [`Kms`] is the façade every `api` handler calls; its methods are named after the operations.
//!
//! State lives in memory (so the hot path never reads the disk) and every mutation is written
//! through to the [`Store`] and flushed before the method returns.

pub mod aliases;
mod clock;
pub mod encapsulation;
pub mod encryption;
mod error;
pub mod keys;
pub mod model;
pub mod policies;
mod resolve;
pub mod signing;
pub mod tags;

pub use clock::Clock;
pub use error::{Error, Result};

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

use crate::crypto::rsa_pool::RsaPool;
use crate::store::{self, Batch, Store};
use model::{Alias, AliasName, Key, KeyId, Scope};

/// The KMS service: state, persistence and the clock.
#[derive(Debug)]
pub struct Kms {
    store: Store,
    state: RwLock<State>,
    /// Serialises mutations so that each one sees the result of the previous one. Readers never
    /// take it, so a slow flush never blocks a read.
    writer: Mutex<()>,
    clock: Clock,
    home: Scope,
    rsa_pool: RsaPool,
}

/// Everything kmsd knows, partitioned by account and region.
#[derive(Debug, Default)]
struct State {
    partitions: HashMap<Scope, Partition>,
}

/// The keys and aliases of one account in one region.
#[derive(Debug, Default)]
struct Partition {
    /// Ordered by key id, which is also the ListKeys order and marker.
    keys: BTreeMap<KeyId, Arc<Key>>,
    /// Ordered by name, which is also the ListAliases order and marker.
    aliases: BTreeMap<AliasName, Alias>,
}

/// One pending change, applied to the store and then to memory by [`Kms::mutate`].
#[derive(Debug)]
enum Change {
    PutKey(Arc<Key>),
    PutAlias(Scope, Alias),
    DeleteAlias(Scope, AliasName),
}

/// The changes one mutation makes; empty when it turns out to change nothing.
#[derive(Debug, Default)]
struct Changes(Vec<Change>);

impl Changes {
    fn put_key(&mut self, key: Key) -> Arc<Key> {
        let key = Arc::new(key);
        self.0.push(Change::PutKey(key.clone()));
        key
    }

    fn put_alias(&mut self, scope: &Scope, alias: Alias) {
        self.0.push(Change::PutAlias(scope.clone(), alias));
    }

    fn delete_alias(&mut self, scope: &Scope, name: AliasName) {
        self.0.push(Change::DeleteAlias(scope.clone(), name));
    }
}

/// One page of a listing.
#[derive(Debug)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Marker for the next page, when there is one.
    pub next_marker: Option<String>,
}

impl Kms {
    /// Loads the store's contents into memory. `home` is the account and region used when a
    /// request does not say (unsigned requests, non-numeric access keys).
    pub fn open(store: Store, home: Scope, clock: Clock) -> std::result::Result<Kms, store::Error> {
        let snapshot = store.load()?;
        let mut state = State::default();
        for key in snapshot.keys {
            state
                .partition_mut(&key.arn.scope)
                .keys
                .insert(key.arn.key_id.clone(), Arc::new(key));
        }
        for (scope, alias) in snapshot.aliases {
            state
                .partition_mut(&scope)
                .aliases
                .insert(alias.name.clone(), alias);
        }
        Ok(Kms {
            store,
            state: RwLock::new(state),
            writer: Mutex::new(()),
            clock,
            home,
            rsa_pool: RsaPool::new(0),
        })
    }

    /// Uses `pool` for new RSA keys (the default pool is empty and generates on demand).
    pub fn with_rsa_pool(mut self, pool: RsaPool) -> Kms {
        self.rsa_pool = pool;
        self
    }

    /// The default account and region.
    pub fn home(&self) -> &Scope {
        &self.home
    }

    /// The clock every time-dependent rule reads.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Number of keys in all accounts and regions.
    pub fn key_count(&self) -> usize {
        self.read().partitions.values().map(|p| p.keys.len()).sum()
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-changed: changes are
        // applied only after they are built, so a poisoned lock is still consistent.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs one mutation: `build` inspects the state and records its changes, which are then
    /// written to disk (flushed) and only then made visible in memory. Nothing changes when
    /// `build` fails or the store cannot write.
    fn mutate<T>(&self, build: impl FnOnce(&State, &mut Changes) -> Result<T>) -> Result<T> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut changes = Changes::default();
        let out = build(&self.read(), &mut changes)?;
        if changes.0.is_empty() {
            return Ok(out);
        }
        let mut batch = Batch::default();
        for change in &changes.0 {
            match change {
                Change::PutKey(key) => batch.put_key(key),
                Change::PutAlias(scope, alias) => batch.put_alias(scope, alias),
                Change::DeleteAlias(scope, name) => batch.delete_alias(scope, name),
            }
        }
        self.store.write(batch)?;
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        for change in changes.0 {
            match change {
                Change::PutKey(key) => {
                    state
                        .partition_mut(&key.arn.scope)
                        .keys
                        .insert(key.arn.key_id.clone(), key);
                }
                Change::PutAlias(scope, alias) => {
                    state
                        .partition_mut(&scope)
                        .aliases
                        .insert(alias.name.clone(), alias);
                }
                Change::DeleteAlias(scope, name) => {
                    state.partition_mut(&scope).aliases.remove(&name);
                }
            }
        }
        Ok(out)
    }
}

impl State {
    fn partition(&self, scope: &Scope) -> Option<&Partition> {
        self.partitions.get(scope)
    }

    fn partition_mut(&mut self, scope: &Scope) -> &mut Partition {
        self.partitions.entry(scope.clone()).or_default()
    }
}

/// Takes one page from an ordered map, starting after `marker`.
fn paginate<K: Ord, V, T>(
    map: &BTreeMap<K, V>,
    after: Option<&K>,
    limit: usize,
    marker_of: impl Fn(&K) -> String,
    item: impl Fn(&K, &V) -> Option<T>,
) -> Page<T> {
    use std::ops::Bound;
    let lower = match after {
        Some(k) => Bound::Excluded(k),
        None => Bound::Unbounded,
    };
    let mut items = Vec::new();
    let mut last = None;
    let mut range = map.range((lower, Bound::Unbounded));
    for (k, v) in range.by_ref() {
        if let Some(t) = item(k, v) {
            items.push(t);
            last = Some(k);
            if items.len() == limit {
                break;
            }
        }
    }
    let more = items.len() == limit && range.any(|(k, v)| item(k, v).is_some());
    Page {
        items,
        next_marker: if more { last.map(marker_of) } else { None },
    }
}
