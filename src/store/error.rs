//! Errors of the persistence layer.

/// Reading or writing the data directory failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
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
