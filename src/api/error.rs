//! `ApiError`: what the client sees. [`ErrorCode`] is the closed set of wire names, and
//! `From<kms::Error>` is the one mapping from domain failures to them.

use std::fmt;

use crate::kms;
use crate::model::Operation;

/// Every `__type` kmsd sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The key's policy does not allow the call.
    AccessDenied,
    /// kmsd refuses the request before reading it: its `Host` is not one kmsd answers. Spelt
    /// `AccessDeniedException` like [`ErrorCode::AccessDenied`], but HTTP 403.
    HostRefused,
    /// An alias with this name exists.
    AlreadyExists,
    /// The request conflicts with work in progress on the key.
    Conflict,
    /// The key is disabled.
    Disabled,
    /// `DryRun` was set and the request would have succeeded.
    DryRunOperation,
    /// Decrypt's key does not match the ciphertext.
    IncorrectKey,
    /// Imported key material that does not suit the key, or is not the material it had.
    IncorrectKeyMaterial,
    /// An import token whose parameters expired.
    ExpiredImportToken,
    /// An import token kmsd did not issue for this key.
    InvalidImportToken,
    /// The ciphertext cannot be decrypted.
    InvalidCiphertext,
    /// The key cannot do this operation or algorithm.
    InvalidKeyUsage,
    /// A grant id that is not one.
    InvalidGrantId,
    /// The SigV4 `Authorization` header lacks a part (with `--verify-signatures`).
    IncompleteSignature,
    /// The request's SigV4 signature is wrong or expired (with `--verify-signatures`).
    InvalidSignature,
    /// The request is not signed (with `--verify-signatures`).
    MissingAuthenticationToken,
    /// The access key id or session token is not one of `--identities`.
    UnrecognizedClient,
    /// A grant token kmsd did not issue.
    InvalidGrantToken,
    /// A pagination marker kmsd did not issue.
    InvalidMarker,
    /// A dependency timed out (HTTP 503; retryable). kmsd sends it only from a fault rule.
    DependencyTimeout,
    /// The key is not available right now (HTTP 500; retryable). kmsd sends it only from a
    /// fault rule.
    KeyUnavailable,
    /// The account's request rate for the operation's quota was exceeded (`--throttle`, or a
    /// fault rule).
    Throttling,
    /// kmsd failed internally (HTTP 500).
    KmsInternal,
    /// A MAC did not verify.
    KmsInvalidMac,
    /// A signature did not verify.
    KmsInvalidSignature,
    /// The key's state forbids the operation.
    KmsInvalidState,
    /// A quota was reached.
    LimitExceeded,
    /// The key policy is not acceptable.
    MalformedPolicyDocument,
    /// The caller may not do this.
    NotAuthorized,
    /// The key, alias or policy does not exist.
    NotFound,
    /// The request body is larger than kmsd reads (HTTP 413).
    RequestEntityTooLarge,
    /// The body is not JSON, or a member has the wrong JSON type.
    Serialization,
    /// A tag rule was broken.
    Tag,
    /// The `X-Amz-Target` operation does not exist.
    UnknownOperation,
    /// The body is not `application/x-amz-json-1.1` (HTTP 415).
    UnsupportedMediaType,
    /// The operation is not supported for this key, or not by kmsd yet.
    UnsupportedOperation,
    /// kmsd serves as many connections as it may (HTTP 503; SDKs retry).
    ServiceUnavailable,
    /// A member breaks the model's constraints or a KMS rule.
    Validation,
    /// A custom key store error (`CustomKeyStore*Exception`, `CloudHsmClusterInUseException`,
    /// `XksProxy*InUseException`).
    KeyStore(kms::KeyStoreError),
}

impl ErrorCode {
    /// The `__type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AccessDenied | ErrorCode::HostRefused => "AccessDeniedException",
            ErrorCode::AlreadyExists => "AlreadyExistsException",
            ErrorCode::Conflict => "ConflictException",
            ErrorCode::Disabled => "DisabledException",
            ErrorCode::DryRunOperation => "DryRunOperationException",
            ErrorCode::IncorrectKey => "IncorrectKeyException",
            ErrorCode::IncorrectKeyMaterial => "IncorrectKeyMaterialException",
            ErrorCode::ExpiredImportToken => "ExpiredImportTokenException",
            ErrorCode::InvalidImportToken => "InvalidImportTokenException",
            ErrorCode::InvalidCiphertext => "InvalidCiphertextException",
            ErrorCode::InvalidKeyUsage => "InvalidKeyUsageException",
            ErrorCode::InvalidGrantId => "InvalidGrantIdException",
            ErrorCode::IncompleteSignature => "IncompleteSignatureException",
            ErrorCode::InvalidSignature => "InvalidSignatureException",
            ErrorCode::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorCode::UnrecognizedClient => "UnrecognizedClientException",
            ErrorCode::InvalidGrantToken => "InvalidGrantTokenException",
            ErrorCode::InvalidMarker => "InvalidMarkerException",
            ErrorCode::DependencyTimeout => "DependencyTimeoutException",
            ErrorCode::KeyUnavailable => "KeyUnavailableException",
            ErrorCode::Throttling => "ThrottlingException",
            ErrorCode::KmsInternal => "KMSInternalException",
            ErrorCode::KmsInvalidMac => "KMSInvalidMacException",
            ErrorCode::KmsInvalidSignature => "KMSInvalidSignatureException",
            ErrorCode::KmsInvalidState => "KMSInvalidStateException",
            ErrorCode::LimitExceeded => "LimitExceededException",
            ErrorCode::MalformedPolicyDocument => "MalformedPolicyDocumentException",
            ErrorCode::NotAuthorized => "NotAuthorizedException",
            ErrorCode::NotFound => "NotFoundException",
            ErrorCode::RequestEntityTooLarge => "RequestEntityTooLargeException",
            ErrorCode::Serialization => "SerializationException",
            ErrorCode::Tag => "TagException",
            ErrorCode::UnknownOperation => "UnknownOperationException",
            ErrorCode::UnsupportedMediaType => "UnsupportedMediaTypeException",
            ErrorCode::UnsupportedOperation => "UnsupportedOperationException",
            ErrorCode::ServiceUnavailable => "ServiceUnavailableException",
            ErrorCode::Validation => "ValidationException",
            ErrorCode::KeyStore(kind) => {
                use kms::KeyStoreError as K;
                match kind {
                    K::NotFound => "CustomKeyStoreNotFoundException",
                    K::NameInUse => "CustomKeyStoreNameInUseException",
                    K::ClusterInUse => "CloudHsmClusterInUseException",
                    K::InvalidState => "CustomKeyStoreInvalidStateException",
                    K::HasKeys => "CustomKeyStoreHasCMKsException",
                    K::UriInUse => "XksProxyUriInUseException",
                    K::UriEndpointInUse => "XksProxyUriEndpointInUseException",
                    K::VpcEndpointServiceInUse => "XksProxyVpcEndpointServiceInUseException",
                    K::XksKeyInUse => "XksKeyAlreadyInUseException",
                }
            }
        }
    }

    /// The HTTP status: 400 for client faults, except where noted.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::KmsInternal | ErrorCode::KeyUnavailable => 500,
            ErrorCode::DependencyTimeout => 503,
            ErrorCode::HostRefused => 403,
            ErrorCode::ServiceUnavailable => 503,
            ErrorCode::RequestEntityTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            _ => 400,
        }
    }
}

/// The errors a fault rule (`POST /_kmsd/faults`) may answer with, by wire name.
pub const INJECTABLE: [ErrorCode; 5] = [
    ErrorCode::KmsInternal,
    ErrorCode::DependencyTimeout,
    ErrorCode::Throttling,
    ErrorCode::KeyUnavailable,
    ErrorCode::KmsInvalidState,
];

impl ErrorCode {
    /// The [`INJECTABLE`] error whose `__type` is `name`.
    pub fn injectable(name: &str) -> Option<ErrorCode> {
        INJECTABLE.into_iter().find(|code| code.as_str() == name)
    }
}

/// An error response: `{"__type": code, "message": message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The wire name and status.
    pub code: ErrorCode,
    /// The message; `None` where AWS sends none (InvalidCiphertextException).
    pub message: Option<String>,
}

impl ApiError {
    /// An error with a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: Some(message.into()),
        }
    }

    /// An error without a message.
    pub fn bare(code: ErrorCode) -> ApiError {
        ApiError {
            code,
            message: None,
        }
    }

    /// `UnknownOperationException` for a target that names no KMS operation.
    pub fn unknown_operation(target: &str) -> ApiError {
        ApiError::new(
            ErrorCode::UnknownOperation,
            format!("Unknown operation {target:?}; X-Amz-Target must be TrentService.<Operation>."),
        )
    }

    /// `UnsupportedOperationException` for an operation of the API that kmsd does not
    /// implement (see [`super::decoder`]).
    pub fn not_supported(operation: Operation) -> ApiError {
        ApiError::new(
            ErrorCode::UnsupportedOperation,
            format!("{operation} is not supported by kmsd."),
        )
    }

    /// `ThrottlingException` with AWS's message, for a call over its request quota.
    pub fn throttled() -> ApiError {
        ApiError::new(ErrorCode::Throttling, "Rate exceeded")
    }

    /// `SerializationException` for a body that does not decode.
    pub fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Serialization, message)
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The JSON body.
    pub fn to_body(&self) -> Vec<u8> {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            #[serde(rename = "__type")]
            code: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            message: Option<&'a str>,
        }
        super::wire::to_json(&Body {
            code: self.code.as_str(),
            message: self.message.as_deref(),
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code.as_str())?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl From<kms::Error> for ApiError {
    fn from(error: kms::Error) -> ApiError {
        use kms::Error as E;
        let code = match &error {
            E::KeyNotFound(_)
            | E::InvalidKeyId(_)
            | E::AliasNotFound(_)
            | E::OtherRegion(_)
            | E::PolicyNotFound
            | E::GrantNotFound(_) => ErrorCode::NotFound,
            E::InvalidGrantId(_) => ErrorCode::InvalidGrantId,
            E::InvalidGrantToken => ErrorCode::InvalidGrantToken,
            E::Disabled(_) => ErrorCode::Disabled,
            E::InvalidState { .. } | E::NotPendingDeletion(_) => ErrorCode::KmsInvalidState,
            // AWS sends these without a message.
            E::InvalidCiphertext => return ApiError::bare(ErrorCode::InvalidCiphertext),
            E::InvalidSignature => return ApiError::bare(ErrorCode::KmsInvalidSignature),
            E::InvalidMac => return ApiError::bare(ErrorCode::KmsInvalidMac),
            E::NotRotatable => return ApiError::bare(ErrorCode::UnsupportedOperation),
            E::InvalidPublicKey => return ApiError::bare(ErrorCode::Validation),
            E::CiphertextLength { .. } => ErrorCode::InvalidCiphertext,
            E::IncorrectKey => ErrorCode::IncorrectKey,
            E::IncorrectKeyMaterial(_) => ErrorCode::IncorrectKeyMaterial,
            E::ExpiredImportToken => ErrorCode::ExpiredImportToken,
            E::InvalidImportToken(_) => ErrorCode::InvalidImportToken,
            E::InvalidKeyUsage(_) => ErrorCode::InvalidKeyUsage,
            E::AliasAlreadyExists(_) | E::ReplicaExists(_) => ErrorCode::AlreadyExists,
            E::NotAuthorized(_) => ErrorCode::NotAuthorized,
            E::AccessDenied { .. } => ErrorCode::AccessDenied,
            E::Validation(_) => ErrorCode::Validation,
            E::Tag(_) => ErrorCode::Tag,
            E::LimitExceeded(_) => ErrorCode::LimitExceeded,
            E::MalformedPolicy(_) => ErrorCode::MalformedPolicyDocument,
            E::InvalidMarker(_) => ErrorCode::InvalidMarker,
            E::DryRun => ErrorCode::DryRunOperation,
            E::Unsupported(_) | E::NotMultiRegionPrimary(_) => ErrorCode::UnsupportedOperation,
            E::Conflict(_) => ErrorCode::Conflict,
            E::KeyStore(kind, _) => ErrorCode::KeyStore(*kind),
            E::Crypto(source) => {
                tracing::error!(error = %source, "cryptographic failure");
                return ApiError::new(
                    ErrorCode::KmsInternal,
                    "kmsd could not complete the request; see its log.",
                );
            }
            E::Internal(source) => {
                tracing::error!(error = %source, "internal error");
                return ApiError::new(
                    ErrorCode::KmsInternal,
                    "kmsd could not complete the request; see its log.",
                );
            }
        };
        ApiError::new(code, error.to_string())
    }
}
