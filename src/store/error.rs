//! Errors of the persistence layer.

use std::path::{Path, PathBuf};

/// Reading or writing the data directory failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another process holds the data dir's lock: a running kmsd uses it.
    #[error("data dir {} is locked: a running kmsd is using it", .0.display())]
    InUse(PathBuf),
    /// A command that reads a data dir was given one that does not exist.
    #[error("data dir {} does not exist", .0.display())]
    Missing(PathBuf),
    /// A command that reads a data dir was given a directory that holds no kmsd data.
    #[error("{} is not a kmsd data dir (it holds no kmsd database)", .0.display())]
    NotADataDir(PathBuf),
    /// sled reported an I/O or locking failure.
    #[error("storage engine: {0}")]
    Engine(#[from] sled::Error),
    /// A stored record could not be decoded.
    #[error("corrupt record {key:?}: {reason}")]
    Corrupt {
        /// The record's key in the store.
        key: String,
        /// What was wrong with it.
        reason: String,
    },
    /// An earlier flush failed, so kmsd no longer knows what is on disk and writes nothing more.
    #[error("the data dir could not be written ({0}); restart kmsd")]
    Unavailable(String),
}

impl Error {
    /// sled's failure to open the database in data dir `dir`: its lock error, which it reports
    /// only in words, becomes [`Error::InUse`].
    pub(super) fn from_open(error: sled::Error, dir: &Path) -> Error {
        match &error {
            sled::Error::Io(io) if io.to_string().starts_with("could not acquire lock") => {
                Error::InUse(dir.to_owned())
            }
            _ => Error::Engine(error),
        }
    }
}
