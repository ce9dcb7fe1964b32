//! Checking refused SDK calls, and the AWS error messages that many tests pin, built in one
//! place. A key may be named by id (default scope) or by ARN.

use aws_sdk_kms::error::ProvideErrorMetadata;

use super::arns::{alias_arn, arn_of};

/// Asserts that an SDK call failed with `code` and returns the error's message.
#[track_caller]
pub fn check_error<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
    code: &str,
) -> String {
    let error = result.expect_err(&format!("expected {code}"));
    assert_eq!(error.code(), Some(code), "{error:?}");
    error.message().unwrap_or_default().to_owned()
}

/// NotFoundException's message for a key that does not exist.
pub fn key_not_found(key: &str) -> String {
    format!("Key '{}' does not exist", arn_of(key))
}

/// NotFoundException's message for an alias (`alias/...`) that does not exist.
pub fn alias_not_found(alias_name: &str) -> String {
    format!("Alias {} is not found.", alias_arn(alias_name))
}

/// DisabledException's message.
pub fn disabled(key: &str) -> String {
    format!("{} is disabled.", arn_of(key))
}

/// KMSInvalidStateException's message for a key pending deletion.
pub fn pending_deletion(key: &str) -> String {
    format!("{} is pending deletion.", arn_of(key))
}

/// InvalidKeyUsageException's message for a key of `usage` asked to do `operation`.
pub fn wrong_usage(key: &str, usage: &str, operation: &str) -> String {
    format!(
        "{} key usage is {usage} which is not valid for {operation}.",
        arn_of(key)
    )
}
