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
    /// Stored or supplied private key bytes do not decode as the expected kind of key.
    #[error("malformed private key")]
    MalformedKey,
    /// A public key does not decode as DER SubjectPublicKeyInfo on the expected curve.
    #[error("malformed public key")]
    MalformedPublicKey,
    /// Key generation failed.
    #[error("key generation failed")]
    KeyGeneration,
    /// The operation does not apply to this kind of key.
    #[error("wrong key type for this operation")]
    WrongKeyType,
    /// The message type does not apply to this scheme.
    #[error("unsupported message type for this scheme")]
    UnsupportedMessageType,
    /// A digest (or μ) does not have the length the scheme requires.
    #[error("digest length does not match the scheme")]
    DigestLength,
    /// Signing failed.
    #[error("signing failed")]
    Signing,
    /// A KEM ciphertext does not have the length of the key's parameter set.
    #[error("ciphertext length does not match the key")]
    CiphertextLength,
    /// The plaintext is too large for the public key encryption scheme.
    #[error("plaintext too large")]
    PlaintextTooLarge,
    /// Key wrap with padding takes 1 to 2³² − 1 bytes.
    #[error("the key to wrap is empty or too long")]
    KeyWrapInput,
}
