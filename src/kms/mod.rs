//! The domain: KMS rules over keys and aliases, synchronous and free of HTTP, JSON and tokio.
//! [`Kms`] is the façade every `api` handler calls; its methods are named after the operations.
//!
//! State lives in memory (so the hot path never reads the disk) and every mutation is written
//! through to the [`Store`]; a mutation returns once a flush covers it, and concurrent
//! mutations share flushes (`durability.rs`).

mod access;
pub mod aliases;
mod clock;
mod context;
pub mod custom_key_stores;
pub mod deadlines;
mod deletion;
mod durability;
pub mod encapsulation;
pub mod encryption;
mod error;
pub mod grants;
pub mod import;
pub mod inspect;
pub mod keys;
mod managed;
pub mod multi_region;
pub mod policies;
mod quotas;
mod resolve;
pub mod rotation;
mod rules;
pub mod seed;
pub mod signing;
pub mod tags;
#[cfg(test)]
pub(crate) mod testing;
pub mod usage;

pub use clock::{Clock, MAX_OFFSET_SECONDS};
pub use context::{Caller, Context, RequestFacts};
pub use durability::{Durable, WriteSeq};
pub use error::{Denial, Error, KeyStoreError, Result};
pub use quotas::Quotas;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use crate::model::{
    Alias, AliasName, CustomKeyStore, Key, KeyArn, KeyId, KeyRef, Scope, Timestamp,
};
use crate::rsa_pool::RsaPool;
use crate::store::{self, Batch, Store};
use resolve::Access;

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
    /// No rotation or deletion falls due before this time (milliseconds; `u64::MAX` when
    /// nothing is scheduled). Every entry point compares the clock with it, so it is an atomic:
    /// a lower bound that may be early (then a sweep finds nothing and recomputes it), never late.
    next_due: AtomicU64,
    /// Each key's last cryptographic use, kept apart from `state` so that recording it never
    /// waits for (or blocks) the state lock.
    usage: usage::UsageLog,
    /// When this data dir began recording key usage (`TrackingStartDate` for older keys).
    tracking_start: Timestamp,
    /// The number of the latest write visible in `state` (written under its write lock).
    visible: AtomicU64,
    /// Which writes are on disk; flushes them in groups.
    durability: durability::Durability,
    /// The resource quotas calls are held to.
    quotas: Quotas,
    /// Counts the writes and resets made visible, so a client can tell cheaply whether
    /// anything changed since it last looked ([`Kms::revision`]).
    revision: AtomicU64,
    /// Whether calls are authorised by policies and grants (`--enforce-policies`).
    enforcement: Enforcement,
    /// The root certificate (DER) `Recipient` attestation documents must chain to
    /// (`--attestation-root`); unchecked when `None`.
    attestation_root: Option<Arc<[u8]>>,
}

/// `--enforce-policies`: whether each call is authorised as AWS authorises it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Enforcement {
    /// Every call is allowed (kmsd's default, like other local KMS servers).
    #[default]
    Off,
    /// Calls the key policy, grants and identity policies do not allow are denied.
    On,
    /// Every call is allowed, but each one enforcement would deny is logged and recorded in
    /// the audit trail with what decides it.
    Audit,
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
    /// Custom key stores by id, which is also the DescribeCustomKeyStores order and marker.
    key_stores: BTreeMap<String, CustomKeyStore>,
}

/// One pending change, applied to the store and then to memory by [`Kms::mutate`].
#[derive(Debug)]
enum Change {
    PutKey(Arc<Key>),
    /// Removes a key and everything stored with it (material, tags, policy). Its aliases go
    /// with separate [`Change::DeleteAlias`] changes in the same batch.
    DeleteKey(KeyArn),
    PutAlias(Scope, Alias),
    DeleteAlias(Scope, AliasName),
    PutKeyStore(Scope, CustomKeyStore),
    DeleteKeyStore(Scope, String),
    /// Moves the clock forward to this offset (seconds ahead of system time).
    PutClock(u64),
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

    /// The key at `arn` as this mutation leaves it so far: its latest put, `None` once it is
    /// deleted, else as `state` holds it. Changes to related multi-Region keys build on it, so
    /// that two changes to one key in one batch do not undo each other.
    fn current(&self, state: &State, arn: &KeyArn) -> Option<Arc<Key>> {
        for change in self.0.iter().rev() {
            match change {
                Change::PutKey(key) if key.arn == *arn => return Some(key.clone()),
                Change::DeleteKey(deleted) if deleted == arn => return None,
                _ => {}
            }
        }
        state
            .partition(&arn.scope)
            .and_then(|p| p.keys.get(&arn.key_id))
            .cloned()
    }

    /// The keys put so far.
    fn keys(&self) -> impl Iterator<Item = &Key> {
        self.0.iter().filter_map(|change| match change {
            Change::PutKey(key) => Some(&**key),
            _ => None,
        })
    }
}

/// Which page of a listing a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    /// The most items to return (the request's `Limit`, or the operation's default).
    pub limit: usize,
    /// Where to start: the `NextMarker` of the previous page.
    pub marker: Option<String>,
}

/// One page of a listing.
#[derive(Debug)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Marker for the next page, when there is one.
    pub next_marker: Option<String>,
}

impl<T> Page<T> {
    /// A page with nothing on it, and nothing after it.
    fn empty() -> Page<T> {
        Page {
            items: Vec::new(),
            next_marker: None,
        }
    }
}

impl Kms {
    /// Loads the store's contents into memory. `home` is the account and region used when a
    /// request does not say (unsigned requests, non-numeric access keys).
    pub fn open(store: Store, home: Scope, clock: Clock) -> std::result::Result<Kms, store::Error> {
        let snapshot = store.load()?;
        let mut state = State::default();
        // Built in one go per partition, which packs the maps' nodes full.
        let mut by_scope: HashMap<Scope, Vec<(KeyId, Arc<Key>)>> = HashMap::new();
        for key in snapshot.keys {
            by_scope
                .entry(key.arn.scope.clone())
                .or_default()
                .push((key.arn.key_id.clone(), key));
        }
        for (scope, keys) in by_scope {
            state.partition_mut(&scope).keys = keys.into_iter().collect();
        }
        for (scope, alias) in snapshot.aliases {
            state
                .partition_mut(&scope)
                .aliases
                .insert(alias.name.clone(), alias);
        }
        for (scope, store) in snapshot.key_stores {
            state
                .partition_mut(&scope)
                .key_stores
                .insert(store.id.clone(), store);
        }
        // A moved clock stays moved across restarts.
        clock.raise_offset(snapshot.clock_offset_seconds);
        let next_due = deadlines::earliest(&state);
        let usage = usage::UsageLog::default();
        for (arn, last) in snapshot.usage {
            if state
                .partition(&arn.scope)
                .is_some_and(|p| p.keys.contains_key(&arn.key_id))
            {
                usage.restore(arn, last);
            }
        }
        let tracking_start = match snapshot.usage_tracking_start {
            Some(since) => since,
            None => {
                let now = clock.now();
                let mut batch = Batch::default();
                batch.put_usage_tracking_start(now);
                store.write(batch)?;
                now
            }
        };
        let durability = durability::Durability::start(&store);
        Ok(Kms {
            store,
            state: RwLock::new(state),
            writer: Mutex::new(()),
            clock,
            home,
            rsa_pool: RsaPool::new(0),
            next_due: AtomicU64::new(next_due),
            usage,
            tracking_start,
            visible: AtomicU64::new(0),
            durability,
            quotas: Quotas::default(),
            revision: AtomicU64::new(0),
            enforcement: Enforcement::Off,
            attestation_root: None,
        })
    }

    /// How calls are authorised (`--enforce-policies`).
    pub fn enforcement(&self) -> Enforcement {
        self.enforcement
    }

    /// Authorises calls as `enforcement` says (off by default).
    pub fn with_enforcement(mut self, enforcement: Enforcement) -> Kms {
        self.enforcement = enforcement;
        self
    }

    /// Verifies `Recipient` attestation documents against `root` (a DER certificate).
    pub fn with_attestation_root(mut self, root: Vec<u8>) -> Kms {
        self.attestation_root = Some(root.into());
        self
    }

    /// Uses `pool` for new RSA keys (the default pool is empty and generates on demand).
    pub fn with_rsa_pool(mut self, pool: RsaPool) -> Kms {
        self.rsa_pool = pool;
        self
    }

    /// Holds calls to `quotas` instead of AWS's default resource quotas.
    pub fn with_quotas(mut self, quotas: Quotas) -> Kms {
        self.quotas = quotas;
        self
    }

    /// The resource quotas calls are held to.
    pub fn quotas(&self) -> &Quotas {
        &self.quotas
    }

    /// Notes that a request arrived, so background work (filling the RSA key pool) holds
    /// off while requests keep coming.
    pub fn note_request(&self) {
        self.rsa_pool.note_activity();
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
        // A count is not an answer that rests on any one write: no need to wait for a flush.
        self.read_seeing(&mut WriteSeq::default())
            .partitions
            .values()
            .map(|p| p.keys.len())
            .sum()
    }

    /// Forgets every key and alias of every account and region, in memory and on disk. The
    /// clock keeps its offset: it only moves forward, and a reset does not turn time back.
    pub fn reset(&self) -> Result<()> {
        let writer = self.lock_writer();
        self.store.clear_resources()?;
        *self.state.write().unwrap_or_else(PoisonError::into_inner) = State::default();
        self.next_due.store(u64::MAX, Ordering::Release);
        self.usage.clear();
        self.revision.fetch_add(1, Ordering::AcqRel);
        drop(writer);
        self.durability.sync()
    }

    /// Whether write `seq` (a call's [`Context::seen`]) is on disk.
    pub fn is_durable(&self, seq: WriteSeq) -> bool {
        self.durability.is_durable(seq)
    }

    /// Resolves once write `seq` (a call's [`Context::seen`]) is on disk, without blocking a
    /// thread. A call's answer may rest on a write that is not durable yet (its own, or another
    /// client's that it read): the server awaits this before it answers.
    pub fn durable(&self, seq: WriteSeq) -> Durable<'_> {
        self.durability.durable(seq)
    }

    /// How many group flushes have written mutations to disk so far.
    pub fn flushes(&self) -> u64 {
        self.durability.flushes()
    }

    /// The state as the call `cx` sees it: whatever fell due by now (a deletion, a rotation)
    /// has been applied first, so no reader ever sees a key past its deletion date.
    fn read(&self, cx: &mut Context) -> RwLockReadGuard<'_, State> {
        self.read_seeing(&mut cx.seen)
    }

    /// [`Kms::read`] for work that is not a request; `seen` collects the latest write it saw.
    fn read_seeing(&self, seen: &mut WriteSeq) -> RwLockReadGuard<'_, State> {
        if self.clock.now().0 >= self.next_due.load(Ordering::Acquire) {
            // Only in the moment between a deadline and the background task's sweep, or when
            // the clock was moved without the admin API's own sweep (tests of this module).
            let _writer = self.lock_writer();
            if let Err(error) = self.apply_due_locked(seen) {
                tracing::error!(%error, "applying due rotations and deletions failed");
            }
        }
        self.state(seen)
    }

    /// The state as it is, without applying what fell due.
    fn state(&self, seen: &mut WriteSeq) -> RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-changed: changes are
        // applied only after they are built, so a poisoned lock is still consistent.
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        *seen = (*seen).max(WriteSeq(self.visible.load(Ordering::Acquire)));
        state
    }

    /// Runs one mutation for a call: `build` inspects the state and records its changes,
    /// which are then applied to the store and made visible in memory. It returns as soon as
    /// they are applied; `seen` records the write, and the server answers once it is on disk
    /// (flushed together with whatever other writers applied meanwhile). Nothing changes when
    /// `build` fails or the store cannot write. Whatever fell due is applied first, so a
    /// mutation never sees (or revives) a key past its deletion date.
    ///
    /// `seen` is the call's `Context::seen`, passed on its own so that `build` can borrow the
    /// rest of the context.
    fn mutate<T>(
        &self,
        seen: &mut WriteSeq,
        build: impl FnOnce(&State, &mut Changes) -> Result<T>,
    ) -> Result<T> {
        let _writer = self.lock_writer();
        self.apply_due_locked(seen)?;
        self.commit_locked(seen, build)
    }

    /// Applies `change` to a copy of the caller's own key named by `key_ref` and stores it.
    fn update_key(
        &self,
        cx: &mut Context,
        key_ref: &KeyRef,
        change: impl FnOnce(&mut Key) -> Result<()>,
    ) -> Result<()> {
        self.update_key_returning(cx, key_ref, change).map(drop)
    }

    /// [`Kms::update_key`], returning the key as stored.
    fn update_key_returning(
        &self,
        cx: &mut Context,
        key_ref: &KeyRef,
        change: impl FnOnce(&mut Key) -> Result<()>,
    ) -> Result<Arc<Key>> {
        self.authorize_ref(cx, key_ref, Access::Own)?;
        let key = self.mutate(&mut cx.seen, |state, changes| {
            let stored = state.resolve(&cx.scope, key_ref, Access::Own)?;
            stored.require_customer_managed(&cx.caller, cx.operation)?;
            let mut key = Key::clone(&stored);
            change(&mut key)?;
            let key = changes.put_key(key);
            // A primary's shared properties (material, rotation) reach its replicas; for
            // imported material, the change can come back to the key itself.
            multi_region::sync_replicas(state, changes, &key);
            Ok(changes.current(state, &key.arn).unwrap_or(key))
        })?;
        cx.uses(&key);
        Ok(key)
    }

    /// Runs `work` for something that is not a request (seeding, the admin API, the sweeper),
    /// and blocks until every write it saw or made is on disk, also when it failed: its error
    /// may rest on such a write.
    fn durably<T>(&self, work: impl FnOnce(&mut WriteSeq) -> Result<T>) -> Result<T> {
        let mut seen = WriteSeq::default();
        let out = work(&mut seen);
        self.durability.wait(seen)?;
        out
    }

    /// Takes the writer lock, which every change to the state holds.
    fn lock_writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The body of [`Kms::mutate`], for callers that already hold the writer lock. `seen`
    /// collects what the mutation read and the write it made.
    fn commit_locked<T>(
        &self,
        seen: &mut WriteSeq,
        build: impl FnOnce(&State, &mut Changes) -> Result<T>,
    ) -> Result<T> {
        let mut changes = Changes::default();
        let out = build(&self.state(seen), &mut changes)?;
        if changes.0.is_empty() {
            return Ok(out);
        }
        let mut batch = Batch::default();
        for change in &changes.0 {
            match change {
                Change::PutKey(key) => batch.put_key(key),
                Change::DeleteKey(arn) => batch.delete_key(arn),
                Change::PutAlias(scope, alias) => batch.put_alias(scope, alias),
                Change::DeleteAlias(scope, name) => batch.delete_alias(scope, name),
                Change::PutClock(offset) => batch.put_clock(*offset),
                Change::PutKeyStore(scope, store) => batch.put_key_store(scope, store),
                Change::DeleteKeyStore(scope, id) => batch.delete_key_store(scope, id),
            }
        }
        self.store.apply(batch)?;
        let seq = self.durability.applied();
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        for change in changes.0 {
            match change {
                Change::PutKey(key) => {
                    if let Some(due) = deadlines::deadline(&key) {
                        self.next_due.fetch_min(due.0, Ordering::AcqRel);
                    }
                    state
                        .partition_mut(&key.arn.scope)
                        .keys
                        .insert(key.arn.key_id.clone(), key);
                }
                Change::DeleteKey(arn) => {
                    state.partition_mut(&arn.scope).keys.remove(&arn.key_id);
                    self.usage.forget(&arn);
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
                Change::PutClock(offset) => self.clock.raise_offset(offset),
                Change::PutKeyStore(scope, store) => {
                    state
                        .partition_mut(&scope)
                        .key_stores
                        .insert(store.id.clone(), store);
                }
                Change::DeleteKeyStore(scope, id) => {
                    state.partition_mut(&scope).key_stores.remove(&id);
                }
            }
        }
        self.visible.store(seq.0, Ordering::Release);
        self.revision.fetch_add(1, Ordering::AcqRel);
        *seen = (*seen).max(seq);
        Ok(out)
    }
}

impl State {
    fn partition(&self, scope: &Scope) -> Option<&Partition> {
        self.partitions.get(scope)
    }

    /// `scope` as its partition holds it, so that a new key shares the partition's copy of the
    /// region name instead of holding the request's.
    fn shared_scope(&self, scope: &Scope) -> Scope {
        self.partitions
            .get_key_value(scope)
            .map_or_else(|| scope.clone(), |(own, _)| own.clone())
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
