//! Persistence: the only module that names `sled`. A small typed API over one sled tree:
//! load everything at startup, then apply atomic batches of puts and deletes and flush them
//! (`kms` groups the flushes of concurrent writers), and compact the data dir so that deleted
//! keys leave nothing behind (`layout.rs`).
//! The in-memory state in `kms` is the source of truth for reads; this is write-through.

mod error;
mod layout;
mod records;

pub use error::Error;
pub use layout::exposure;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use layout::Generation;

use crate::model::{Alias, AliasName, CustomKeyStore, Key, KeyArn, LastUsage, Scope, Timestamp};

/// The most sled may cache of its tree, in bytes as stored (sled's default is 1 GiB). Requests
/// never read sled: `kms` holds everything in memory and writes through, so this cache only
/// spares a write from paging its leaf in again. Creating 100,000 keys over HTTP, 16 MiB
/// instead of the default left the server at 100 MiB instead of 134, for the same CPU time.
const CACHE_CAPACITY: u64 = 16 * 1024 * 1024;

/// Everything the store holds, as loaded at startup.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every key of every account and region, in key id order within each.
    pub keys: Vec<Arc<Key>>,
    /// Every alias, with the scope it belongs to.
    pub aliases: Vec<(Scope, Alias)>,
    /// The clock's offset from system time, in seconds (0 when never moved).
    pub clock_offset_seconds: u64,
    /// Each key's last usage, where one was recorded.
    pub usage: Vec<(KeyArn, LastUsage)>,
    /// When usage tracking began, if it has.
    pub usage_tracking_start: Option<Timestamp>,
    /// Every custom key store, with the scope it belongs to.
    pub key_stores: Vec<(Scope, CustomKeyStore)>,
}

impl Snapshot {
    fn add(&mut self, record: records::Record) {
        match record {
            records::Record::Key(key) => self.keys.push(Arc::new(key)),
            records::Record::Alias(scope, alias) => self.aliases.push((scope, alias)),
            records::Record::ClockOffset(offset) => self.clock_offset_seconds = offset,
            records::Record::Usage(arn, usage) => self.usage.push((arn, usage)),
            records::Record::TrackingStart(since) => self.usage_tracking_start = Some(since),
            records::Record::KeyStore(scope, store) => self.key_stores.push((scope, store)),
        }
    }
}

/// The durable store, or nothing at all for `--in-memory`.
#[derive(Debug, Clone)]
pub struct Store {
    db: Option<sled::Db>,
    /// The data dir and the generation of it in use (see `layout.rs`), unless in memory.
    place: Option<(PathBuf, Generation)>,
    /// Batches written so far, shared by every copy (for diagnostics and tests).
    batches: Arc<AtomicU64>,
    /// Whether a key was deleted (or everything reset) since the store was opened: its old
    /// records are still in sled's log until a compaction.
    deleted: Arc<AtomicBool>,
}

/// A set of writes applied atomically by [`Store::write`].
#[derive(Debug, Default)]
pub struct Batch {
    writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Whether it deletes a key.
    deletes_key: bool,
}

/// What a compaction did: the bytes of the data dir's database before and after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Compacted {
    /// The old database's size.
    pub bytes_before: u64,
    /// The new database's size.
    pub bytes_after: u64,
}

impl Store {
    /// Opens the store in `path`, creating the directory (readable by its owner only) if it
    /// does not exist.
    pub fn open(path: &Path) -> Result<Store, Error> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(|e| Error::Engine(sled::Error::Io(e)))?;
        Store::open_dir(path)
    }

    /// Opens the store in `path`, which must already hold one: for commands that read a data
    /// dir, which must not create one where a path was mistyped.
    pub fn open_existing(path: &Path) -> Result<Store, Error> {
        if !path.is_dir() {
            return Err(Error::Missing(path.to_owned()));
        }
        let exists = Generation::exists_in(path).map_err(|e| Error::Engine(sled::Error::Io(e)))?;
        if !exists {
            return Err(Error::NotADataDir(path.to_owned()));
        }
        Store::open_dir(path)
    }

    fn open_dir(path: &Path) -> Result<Store, Error> {
        let io = |e| Error::Engine(sled::Error::Io(e));
        let generation = Generation::current(path).map_err(io)?;
        let db = sled::Config::new()
            .path(&generation.path)
            .cache_capacity(CACHE_CAPACITY)
            .open()
            .map_err(|e| Error::from_open(e, path))?;
        // With the lock held, nothing else uses the other generations any more.
        layout::remove_stale(path, generation.number).map_err(io)?;
        Ok(Store {
            db: Some(db),
            place: Some((path.to_owned(), generation)),
            batches: Arc::default(),
            deleted: Arc::default(),
        })
    }

    /// A store that keeps nothing: state lives only in memory and is lost on exit.
    pub fn in_memory() -> Store {
        Store {
            db: None,
            place: None,
            batches: Arc::default(),
            deleted: Arc::default(),
        }
    }

    /// Whether a key was deleted, or everything reset, since the store was opened: then
    /// [`Store::compact`] is what removes the old records from the disk.
    pub fn deleted_since_open(&self) -> bool {
        self.deleted.load(Ordering::Relaxed)
    }

    /// Rewrites the data dir so that it holds only what the store holds now: every record is
    /// copied into a fresh database (the next generation, see `layout.rs`), which is flushed
    /// and marked complete before the old database's files are removed. Returns the store on
    /// the new database. Call it when nothing else writes (at shutdown, or from `kmsd
    /// compact`); other copies of this store keep the old database, whose files are gone.
    pub fn compact(self) -> Result<(Store, Compacted), Error> {
        let (Some(db), Some((dir, old))) = (&self.db, &self.place) else {
            return Ok((self, Compacted::default()));
        };
        let io = |e| Error::Engine(sled::Error::Io(e));
        let next = Generation::numbered(dir, old.number + 1);
        // A copy cut short earlier is stale; so would a copy by another process be, but only
        // the holder of the old generation's lock (this store) compacts.
        if next.path.exists() {
            std::fs::remove_dir_all(&next.path).map_err(io)?;
        }
        let fresh = sled::Config::new()
            .path(&next.path)
            .cache_capacity(CACHE_CAPACITY)
            .open()?;
        let mut batch = sled::Batch::default();
        for (count, entry) in db.iter().enumerate() {
            let (key, value) = entry?;
            batch.insert(key, value);
            if count % 1024 == 1023 {
                fresh.apply_batch(std::mem::take(&mut batch))?;
            }
        }
        fresh.apply_batch(batch)?;
        fresh.flush()?;
        next.mark_complete(dir).map_err(io)?;
        let bytes_before = old.size();
        let dir = dir.clone();
        drop(self);
        layout::remove_stale(&dir, next.number).map_err(io)?;
        let compacted = Compacted {
            bytes_before,
            bytes_after: next.size(),
        };
        let store = Store {
            db: Some(fresh),
            place: Some((dir, next)),
            batches: Arc::default(),
            deleted: Arc::default(),
        };
        Ok((store, compacted))
    }

    /// How many batches [`Store::write`] has applied, counting those of `--in-memory`.
    pub fn batches_written(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Reads every record. Two threads share the work: this one walks the tree (sled reads
    /// and parses its pages) and hands the records over in batches to one that decodes them.
    pub fn load(&self) -> Result<Snapshot, Error> {
        /// Records per hand-over, and hand-overs in flight.
        const BATCH: usize = 256;
        const IN_FLIGHT: usize = 8;
        let Some(db) = &self.db else {
            return Ok(Snapshot::default());
        };
        std::thread::scope(|threads| {
            let (batches, received) =
                std::sync::mpsc::sync_channel::<Vec<(sled::IVec, sled::IVec)>>(IN_FLIGHT);
            let decoding = std::thread::Builder::new()
                .name("kmsd-load".into())
                .spawn_scoped(threads, move || {
                    let mut snapshot = Snapshot::default();
                    let mut decoder = records::Decoder::default();
                    for batch in received {
                        for (path, value) in batch {
                            snapshot.add(decoder.decode(&path, &value)?);
                        }
                    }
                    Ok(snapshot)
                })
                .map_err(|error| Error::Engine(sled::Error::Io(error)))?;
            let mut walked = Ok(());
            let mut batch = Vec::with_capacity(BATCH);
            for entry in db.iter() {
                match entry {
                    Ok(record) => batch.push(record),
                    Err(error) => {
                        walked = Err(error);
                        break;
                    }
                }
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if batches.send(full).is_err() {
                        break; // The decoder stopped at a corrupt record: it says which.
                    }
                }
            }
            // Fails only when the decoder has stopped, which it reports.
            let _ = batches.send(batch);
            drop(batches);
            let decoded = decoding
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            walked?;
            decoded
        })
    }

    /// Removes every key and alias (and whatever else belongs to them) of every account and
    /// region, keeping only server-wide records such as the clock offset. Atomic and flushed.
    pub fn clear_resources(&self) -> Result<(), Error> {
        let Some(db) = &self.db else {
            return Ok(());
        };
        let mut batch = sled::Batch::default();
        for key in db.iter().keys() {
            let key = key?;
            if !key.starts_with(records::META_PREFIX) {
                batch.remove(key);
            }
        }
        db.apply_batch(batch)?;
        db.flush()?;
        self.deleted.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Whether the store keeps anything across restarts (false for `--in-memory`).
    pub fn is_persistent(&self) -> bool {
        self.db.is_some()
    }

    /// Applies `batch` atomically and flushes it to disk before returning.
    pub fn write(&self, batch: Batch) -> Result<(), Error> {
        self.apply(batch)?;
        self.flush()
    }

    /// Applies `batch` atomically, without waiting for the disk: a crash may lose it until the
    /// next [`Store::flush`], but never half of it.
    pub fn apply(&self, batch: Batch) -> Result<(), Error> {
        self.batches.fetch_add(1, Ordering::Relaxed);
        let Some(db) = &self.db else {
            return Ok(());
        };
        if batch.deletes_key {
            self.deleted.store(true, Ordering::Relaxed);
        }
        let mut writes = batch.writes;
        if writes.len() == 1
            && let Some((key, value)) = writes.pop()
        {
            // One write is atomic on its own. sled's `apply_batch` seals and writes out its
            // log buffer around every batch (to mark the batch in the log), a write and a
            // `sync_file_range` per CreateKey; a plain insert waits in the buffer for the
            // next flush, which then covers many writes at once.
            match value {
                Some(value) => db.insert(key, value)?,
                None => db.remove(key)?,
            };
            return Ok(());
        }
        let mut sled_batch = sled::Batch::default();
        for (key, value) in writes {
            match value {
                Some(value) => sled_batch.insert(key, value),
                None => sled_batch.remove(key),
            }
        }
        db.apply_batch(sled_batch)?;
        Ok(())
    }

    /// Makes every batch applied so far durable: returns once it is on disk.
    pub fn flush(&self) -> Result<(), Error> {
        if let Some(db) = &self.db {
            db.flush()?;
        }
        Ok(())
    }
}

impl Batch {
    /// Stores (or replaces) a key record.
    pub fn put_key(&mut self, key: &Key) {
        self.writes
            .push((records::key_path(&key.arn), Some(records::encode_key(key))));
    }

    /// Removes a key record, and the key's usage record with it.
    pub fn delete_key(&mut self, arn: &KeyArn) {
        self.deletes_key = true;
        self.writes.push((records::key_path(arn), None));
        self.writes.push((records::usage_path(arn), None));
    }

    /// Stores (or replaces) a key's last usage.
    pub fn put_usage(&mut self, arn: &KeyArn, usage: &LastUsage) {
        self.writes
            .push((records::usage_path(arn), Some(records::encode_usage(usage))));
    }

    /// Stores when usage tracking began.
    pub fn put_usage_tracking_start(&mut self, since: Timestamp) {
        self.writes.push((
            records::TRACKING_PATH.to_vec(),
            Some(records::encode_tracking_start(since)),
        ));
    }

    /// Stores (or replaces) an alias.
    pub fn put_alias(&mut self, scope: &Scope, alias: &Alias) {
        self.writes.push((
            records::alias_path(scope, &alias.name),
            Some(records::encode_alias(alias)),
        ));
    }

    /// Removes an alias.
    pub fn delete_alias(&mut self, scope: &Scope, name: &AliasName) {
        self.writes.push((records::alias_path(scope, name), None));
    }

    /// Stores (or replaces) a custom key store.
    pub fn put_key_store(&mut self, scope: &Scope, store: &CustomKeyStore) {
        self.writes.push((
            records::key_store_path(scope, &store.id),
            Some(records::encode_key_store(store)),
        ));
    }

    /// Removes a custom key store.
    pub fn delete_key_store(&mut self, scope: &Scope, id: &str) {
        self.writes.push((records::key_store_path(scope, id), None));
    }

    /// Stores the clock's offset from system time.
    pub fn put_clock(&mut self, offset_seconds: u64) {
        self.writes.push((
            records::CLOCK_PATH.to_vec(),
            Some(records::encode_clock(offset_seconds)),
        ));
    }

    /// Whether the batch holds no writes.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

#[cfg(test)]
pub(crate) mod tests;
