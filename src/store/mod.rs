//! Persistence: the only module that names `sled`. A small typed API over one sled tree:
//! load everything at startup, then apply atomic batches of puts and deletes and flush them
//! (`kms` groups the flushes of concurrent writers).
//! The in-memory state in `kms` is the source of truth for reads; this is write-through.

mod error;
mod records;

pub use error::Error;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::{Alias, AliasName, Key, KeyArn, LastUsage, Scope, Timestamp};

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
}

impl Snapshot {
    fn add(&mut self, record: records::Record) {
        match record {
            records::Record::Key(key) => self.keys.push(Arc::new(key)),
            records::Record::Alias(scope, alias) => self.aliases.push((scope, alias)),
            records::Record::ClockOffset(offset) => self.clock_offset_seconds = offset,
            records::Record::Usage(arn, usage) => self.usage.push((arn, usage)),
            records::Record::TrackingStart(since) => self.usage_tracking_start = Some(since),
        }
    }
}

/// The durable store, or nothing at all for `--in-memory`.
#[derive(Debug, Clone)]
pub struct Store {
    db: Option<sled::Db>,
    /// Batches written so far, shared by every copy (for diagnostics and tests).
    batches: Arc<AtomicU64>,
}

/// A set of writes applied atomically by [`Store::write`].
#[derive(Debug, Default)]
pub struct Batch {
    writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Store {
    /// Opens (creating if needed) the store in `path`.
    pub fn open(path: &Path) -> Result<Store, Error> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(CACHE_CAPACITY)
            .open()?;
        Ok(Store {
            db: Some(db),
            batches: Arc::default(),
        })
    }

    /// A store that keeps nothing: state lives only in memory and is lost on exit.
    pub fn in_memory() -> Store {
        Store {
            db: None,
            batches: Arc::default(),
        }
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
