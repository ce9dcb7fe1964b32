//! AWS's request quotas, opt-in (`--throttle`): a token bucket per account, region and quota,
//! refilled at the quota's rate, and `ThrottlingException` ("Rate exceeded", HTTP 400) for a
//! call that finds its bucket empty, so that a client's retry and backoff can be tested
//! locally. The figures are those of "Request quotas" in the AWS KMS Developer Guide
//! (<https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html>).
//! Which key a call uses is `kms`'s business (`Kms::key_spec`); the buckets are here.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::model::{KeySpec, Operation, Region, Scope};

/// The rates in force: which quotas apply, and how many requests per second each allows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThrottleRates {
    /// AWS's figures for every quota not overridden.
    aws: bool,
    /// Rates set by name, which take precedence over AWS's.
    custom: Vec<(Quota, f64)>,
}

/// One request quota: a shared cryptographic one, or one operation's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quota {
    /// Cryptographic operations with symmetric keys (HMAC keys included) and GenerateRandom.
    Symmetric,
    /// Cryptographic operations with RSA keys.
    Rsa,
    /// Cryptographic operations with elliptic-curve (and SM2) keys.
    Ecc,
    /// An operation with a quota of its own (the management operations).
    Operation(Operation),
}

/// The buckets of one server.
#[derive(Debug)]
pub(crate) struct Throttle {
    rates: ThrottleRates,
    buckets: Mutex<HashMap<(Scope, Quota), Bucket>>,
}

/// A token bucket that holds at most one second's worth of requests (at least one).
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The cryptographic operations, which share a quota per key type.
const CRYPTOGRAPHIC: [Operation; 11] = [
    Operation::Encrypt,
    Operation::Decrypt,
    Operation::ReEncrypt,
    Operation::GenerateDataKey,
    Operation::GenerateDataKeyWithoutPlaintext,
    Operation::GenerateMac,
    Operation::VerifyMac,
    Operation::Sign,
    Operation::Verify,
    Operation::DeriveSharedSecret,
    Operation::GenerateRandom,
];

impl ThrottleRates {
    /// `--throttle`: `off`, `aws`, or comma-separated `quota=rate` pairs (`symmetric=100`,
    /// `rsa=10`, `ecc=5`, `CreateKey=1`: requests per second, fractions allowed), optionally
    /// after `aws` to change some of AWS's figures (`aws,symmetric=100`).
    pub fn parse(text: &str) -> Result<ThrottleRates, String> {
        let mut rates = ThrottleRates::default();
        for (index, item) in text.split(',').map(str::trim).enumerate() {
            match item {
                "off" | "" if index == 0 && !text.contains(',') => return Ok(rates),
                "aws" if index == 0 => rates.aws = true,
                _ => {
                    let (name, rate) = item.split_once('=').ok_or_else(|| {
                        format!("expected off, aws or QUOTA=RATE pairs, not {item:?}")
                    })?;
                    let quota = Quota::parse(name.trim())?;
                    let rate = rate
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|r| r.is_finite() && *r > 0.0)
                        .ok_or_else(|| {
                            format!("the rate of {name} must be a number greater than 0")
                        })?;
                    rates.custom.push((quota, rate));
                }
            }
        }
        Ok(rates)
    }

    /// Whether any quota applies.
    pub fn is_on(&self) -> bool {
        self.aws || !self.custom.is_empty()
    }

    /// Requests per second allowed for `quota` in `region`; `None`: not throttled.
    pub fn rate(&self, quota: Quota, region: &Region) -> Option<f64> {
        if let Some((_, rate)) = self.custom.iter().rev().find(|(q, _)| *q == quota) {
            return Some(*rate);
        }
        self.aws.then(|| aws_rate(quota, region)).flatten()
    }
}

impl Quota {
    /// `symmetric`, `rsa`, `ecc`, or an operation name.
    fn parse(name: &str) -> Result<Quota, String> {
        match name {
            "symmetric" => Ok(Quota::Symmetric),
            "rsa" => Ok(Quota::Rsa),
            "ecc" => Ok(Quota::Ecc),
            _ => match Operation::parse(name) {
                Some(op) if !CRYPTOGRAPHIC.contains(&op) => Ok(Quota::Operation(op)),
                Some(op) => Err(format!(
                    "{op} shares the quota of its key type: use symmetric, rsa or ecc"
                )),
                None => Err(format!(
                    "unknown quota {name:?}: use symmetric, rsa, ecc or an operation name"
                )),
            },
        }
    }

    /// The quota a call of `operation` counts against, given the spec of the key it names
    /// (`None`: no key, or one that does not exist, which AWS also counts). `None` when the
    /// quotas documentation gives the operation no figure and no custom rate can name it.
    pub fn of(operation: Operation, key: Option<KeySpec>) -> Option<Quota> {
        if !CRYPTOGRAPHIC.contains(&operation) {
            return Some(Quota::Operation(operation));
        }
        use KeySpec::*;
        match key {
            None | Some(SymmetricDefault | Hmac224 | Hmac256 | Hmac384 | Hmac512) => {
                Some(Quota::Symmetric)
            }
            Some(Rsa2048 | Rsa3072 | Rsa4096) => Some(Quota::Rsa),
            Some(
                EccNistP256 | EccNistP384 | EccNistP521 | EccSecgP256k1 | EccNistEdwards25519 | Sm2,
            ) => Some(Quota::Ecc),
            // The guide gives ML-DSA and ML-KEM keys no figure kmsd knows.
            Some(MlDsa44 | MlDsa65 | MlDsa87 | MlKem512 | MlKem768 | MlKem1024) => None,
        }
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quota::Symmetric => f.write_str("symmetric"),
            Quota::Rsa => f.write_str("rsa"),
            Quota::Ecc => f.write_str("ecc"),
            Quota::Operation(op) => write!(f, "{op}"),
        }
    }
}

/// AWS's default figure for `quota` in `region` (requests per second).
fn aws_rate(quota: Quota, region: &Region) -> Option<f64> {
    use Operation::*;
    let rate = match quota {
        Quota::Symmetric => match region.as_str() {
            "us-east-1" | "us-west-2" | "eu-west-1" => 100_000.0,
            "us-east-2" | "ap-southeast-1" | "ap-southeast-2" | "ap-northeast-1"
            | "eu-central-1" | "eu-west-2" => 20_000.0,
            _ => 10_000.0,
        },
        Quota::Rsa | Quota::Ecc => 1_000.0,
        Quota::Operation(op) => match op {
            DescribeKey | GetPublicKey | ListResourceTags => 2_000.0,
            GetKeyPolicy | GetKeyRotationStatus => 1_000.0,
            ListAliases | ListKeys => 500.0,
            ListGrants | ListKeyPolicies | ListRetirableGrants => 100.0,
            CreateGrant => 50.0,
            RetireGrant | RevokeGrant => 30.0,
            DeleteAlias
            | DeleteImportedKeyMaterial
            | EnableKeyRotation
            | PutKeyPolicy
            | ScheduleKeyDeletion => 15.0,
            TagResource => 10.0,
            CancelKeyDeletion
            | ConnectCustomKeyStore
            | CreateAlias
            | CreateCustomKeyStore
            | CreateKey
            | DeleteCustomKeyStore
            | DescribeCustomKeyStores
            | DisableKey
            | DisableKeyRotation
            | DisconnectCustomKeyStore
            | EnableKey
            | ImportKeyMaterial
            | ReplicateKey
            | UntagResource
            | UpdateAlias
            | UpdateCustomKeyStore
            | UpdateKeyDescription
            | UpdatePrimaryRegion => 5.0,
            GetParametersForImport => 0.25,
            // No figure in the guide (GenerateDataKeyPair's depend on the pair's spec, which
            // kmsd does not model), or a cryptographic operation (a shared quota).
            _ => return None,
        },
    };
    Some(rate)
}

impl Throttle {
    /// Buckets for `rates`, all full.
    pub(crate) fn new(rates: ThrottleRates) -> Throttle {
        Throttle {
            rates,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token from the bucket of `quota` in `scope` at `now`; `false` when it is empty
    /// (the call is throttled). Quotas without a rate always admit.
    pub(crate) fn admit(&self, scope: &Scope, quota: Quota, now: Instant) -> bool {
        let Some(rate) = self.rates.rate(quota, &scope.region) else {
            return true;
        };
        let capacity = rate.max(1.0);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.entry((scope.clone(), quota)).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.updated = bucket.updated.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests;
