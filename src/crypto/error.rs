//! Errors of the crypto layer. They carry no secrets and no key identities.

/// A cryptographic operation could not complete.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// Authentication failed: wrong key, wrong additional data, or tampered bytes.
    #[error("ciphertext authentication failed")]
    Authentication,
    /// The bytes are not a ciphertext envelope kmsd could have produced.
    #[error("malformed ciphertext envelope: {0}")]
    MalformedEnvelope(&'static str),
}
