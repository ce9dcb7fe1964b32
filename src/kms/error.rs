//! `kms::Error`: one variant per failure that means something in KMS terms. `Display` is the
//! message AWS sends; the wire name is chosen in `api::error`, nowhere else.

use crate::model::{AliasNameError, KeyArn, KeySpec, KeyState};

/// A KMS operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named key does not exist (in the caller's account and region).
    #[error("Key '{0}' does not exist")]
    KeyNotFound(String),
    /// A bare key id that is not a well-formed id.
    #[error("Invalid keyId '{0}'")]
    InvalidKeyId(String),
    /// The named alias does not exist. Holds the alias ARN.
    #[error("Alias {0} is not found.")]
    AliasNotFound(String),
    /// A key or alias ARN that names another region: keys are regional.
    #[error("Invalid arn {0}")]
    OtherRegion(String),
    /// The key is disabled.
    #[error("{0} is disabled.")]
    Disabled(KeyArn),
    /// The key's state does not allow the operation.
    #[error("{}", invalid_state_message(.arn, *.state))]
    InvalidState {
        /// The key.
        arn: KeyArn,
        /// Its current state.
        state: KeyState,
    },
    /// CancelKeyDeletion on a key that is not pending deletion.
    #[error("{0} is not pending deletion.")]
    NotPendingDeletion(KeyArn),
    /// The ciphertext is not valid for any key, or fails authentication. AWS sends no message.
    #[error("")]
    InvalidCiphertext,
    /// A Decapsulate ciphertext whose length does not match the key's ML-KEM parameter set.
    /// AWS documents the error but not its message.
    #[error(
        "SharedSecretCiphertextBlob is {actual} bytes, but ciphertexts of {arn} (KeySpec {spec}) \
         are {expected} bytes."
    )]
    CiphertextLength {
        /// The key.
        arn: KeyArn,
        /// Its spec.
        spec: KeySpec,
        /// The ciphertext length of the spec.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// Decrypt's `KeyId` is not the key that produced the ciphertext.
    #[error("The key ID in the request does not identify a CMK that can perform this operation.")]
    IncorrectKey,
    /// Imported key material that does not suit the key, or is not the material the key had
    /// (or is, where new material was expected).
    #[error("{0}")]
    IncorrectKeyMaterial(String),
    /// ImportKeyMaterial with a token whose parameters expired.
    #[error(
        "The import token has expired. Use GetParametersForImport to get a new public key and \
         import token, wrap the key material with the new public key, and try again."
    )]
    ExpiredImportToken,
    /// ImportKeyMaterial with a token kmsd did not issue for the key.
    #[error("{0}")]
    InvalidImportToken(String),
    /// GetKeyPolicy or PutKeyPolicy with a policy name other than `default`.
    #[error("No such policy exists")]
    PolicyNotFound,
    /// The key's usage or spec does not allow the operation or algorithm.
    #[error("{0}")]
    InvalidKeyUsage(String),
    /// An alias with this name already exists. Holds the alias ARN.
    #[error("An alias with the name {0} already exists")]
    AliasAlreadyExists(String),
    /// The policies allow the caller no such thing (with `--enforce-policies`; and an AWS
    /// managed key's policy allows the account only to read it).
    #[error(
        "User: {principal} is not authorized to perform: kms:{action} on resource: {resource} \
         {}",
        .reason.tail(action)
    )]
    AccessDenied {
        /// The caller's principal ARN.
        principal: String,
        /// The action without its `kms:` prefix (`Decrypt`, `ReEncryptFrom`).
        action: String,
        /// The key's ARN, or `*` for an action on no key.
        resource: String,
        /// What decided it.
        reason: Denial,
    },
    /// The caller may not do this (reserved `alias/aws/` names).
    #[error("{0}")]
    NotAuthorized(&'static str),
    /// A semantic rule beyond the model's constraints was broken.
    #[error("{0}")]
    Validation(String),
    /// A tag rule was broken.
    #[error("{0}")]
    Tag(String),
    /// A per-resource limit was reached.
    #[error("{0}")]
    LimitExceeded(String),
    /// The request conflicts with work in progress on the key (an automatic rotation due
    /// within 20 minutes, for RotateKeyOnDemand).
    #[error("{0}")]
    Conflict(String),
    /// Rotation of a key AWS cannot rotate (asymmetric or HMAC). AWS answers this
    /// UnsupportedOperationException with an empty message: LocalStack's AWS-validated
    /// snapshot of RotateKeyOnDemand on an RSA key, and a Terraform log of EnableKeyRotation on
    /// a SIGN_VERIFY key (terraform-aws-modules/terraform-aws-kms#20), both show none.
    #[error("")]
    NotRotatable,
    /// The policy document is not acceptable.
    #[error("{0}")]
    MalformedPolicy(String),
    /// An operation only a multi-Region primary key supports (ReplicateKey,
    /// UpdatePrimaryRegion, the rotation operations), on a replica or a single-Region key.
    #[error("{0} is not a multi-Region primary key.")]
    NotMultiRegionPrimary(KeyArn),
    /// ReplicateKey into a region that already holds the related key.
    #[error("Replica key {0} already exists.")]
    ReplicaExists(KeyArn),
    /// A grant id that does not have the form of one.
    #[error("Invalid grant ID {0}")]
    InvalidGrantId(String),
    /// A grant token that kmsd did not issue.
    #[error("Invalid grant token")]
    InvalidGrantToken,
    /// The key has no grant with this id.
    #[error("Grant ID {0} not found")]
    GrantNotFound(String),
    /// A pagination marker that kmsd did not issue.
    #[error("Invalid marker: {0}")]
    InvalidMarker(String),
    /// `DryRun` was set and the request would have succeeded.
    #[error("The request would have succeeded, but the DryRun option is set.")]
    DryRun,
    /// The request is valid in AWS but not (yet) supported by kmsd, or not supported for this key.
    #[error("{0}")]
    Unsupported(String),
    /// A custom key store rule was broken; the kind names the wire error.
    #[error("{1}")]
    KeyStore(KeyStoreError, String),
    /// A signature did not verify. AWS sends no message.
    #[error("")]
    InvalidSignature,
    /// A MAC did not verify. AWS sends no message.
    #[error("")]
    InvalidMac,
    /// DeriveSharedSecret's `PublicKey` is not a public key on the key's curve. AWS answers
    /// this ValidationException without a message.
    #[error("")]
    InvalidPublicKey,
    /// A cryptographic primitive failed where it should not (key generation, encoding).
    #[error("cryptographic failure: {0}")]
    Crypto(crate::crypto::Error),
    /// The store failed; the operation changed nothing.
    #[error("internal storage error")]
    Internal(#[from] crate::store::Error),
}

fn invalid_state_message(arn: &KeyArn, state: KeyState) -> String {
    match state {
        KeyState::PendingDeletion => format!("{arn} is pending deletion."),
        KeyState::PendingImport => format!("{arn} is pending import."),
        KeyState::Unavailable => format!("{arn} is unavailable."),
        KeyState::Creating => format!("{arn} is creating."),
        other => format!(
            "{arn} is {} and cannot be used for this operation.",
            other.as_str()
        ),
    }
}

/// The custom key store errors, one per wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStoreError {
    /// `CustomKeyStoreNotFoundException`.
    NotFound,
    /// `CustomKeyStoreNameInUseException`.
    NameInUse,
    /// `CloudHsmClusterInUseException`.
    ClusterInUse,
    /// `CustomKeyStoreInvalidStateException`.
    InvalidState,
    /// `CustomKeyStoreHasCMKsException`.
    HasKeys,
    /// `XksProxyUriInUseException`.
    UriInUse,
    /// `XksProxyUriEndpointInUseException`.
    UriEndpointInUse,
    /// `XksProxyVpcEndpointServiceInUseException`.
    VpcEndpointServiceInUse,
    /// `XksKeyAlreadyInUseException`.
    XksKeyInUse,
}

/// Result of a KMS operation.
pub type Result<T> = std::result::Result<T, Error>;

impl From<AliasNameError> for Error {
    fn from(error: AliasNameError) -> Error {
        match error {
            AliasNameError::MissingPrefix => Error::Validation(error.message().into()),
            AliasNameError::Reserved => Error::NotAuthorized(error.message()),
        }
    }
}

/// What denied a call, in the words AWS ends its `AccessDeniedException` message with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The key policy (and no grant) allows it neither to the caller nor to its account.
    NoResourcePolicy,
    /// The key policy leaves it to the account's IAM policies, and none allows it.
    NoIdentityPolicy,
    /// A `Deny` statement of the key policy applies.
    ResourcePolicyDeny,
    /// A `Deny` statement of the caller's identity policy applies.
    IdentityPolicyDeny,
}

impl Denial {
    /// The end of the message for `action` (`Decrypt`).
    pub fn tail(self, action: &str) -> String {
        match self {
            Denial::NoResourcePolicy => {
                format!("because no resource-based policy allows the kms:{action} action")
            }
            Denial::NoIdentityPolicy => {
                format!("because no identity-based policy allows the kms:{action} action")
            }
            Denial::ResourcePolicyDeny => "with an explicit deny in a resource-based policy".into(),
            Denial::IdentityPolicyDeny => {
                "with an explicit deny in an identity-based policy".into()
            }
        }
    }
}
