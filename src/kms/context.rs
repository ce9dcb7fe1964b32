//! One request's context: who calls, in which account and region, under which request id,
//! which operation, whether it is a dry run, and what the call saw and used. The server makes
//! one for each call and passes it to the `Kms` method that serves it; nothing about a request
//! travels any other way (no thread-locals, no loose flags).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use super::{Error, Result, WriteSeq};
use crate::iam::{Identity, Principal};
use crate::model::{Key, KeyArn, Operation, Scope};

/// Everything `kms` knows about the call it is serving.
#[derive(Debug, Clone)]
pub struct Context {
    /// The account and region the call acts in.
    pub scope: Scope,
    /// Who calls, as far as kmsd knows.
    pub caller: Caller,
    /// The call's `x-amzn-RequestId`.
    pub request_id: String,
    /// The operation being served.
    pub operation: Operation,
    /// `DryRun`: check everything the call would check, change nothing, and answer
    /// `DryRunOperationException` where the call would have succeeded.
    pub dry_run: bool,
    /// The key the request names, as given (for the log line and the audit trail).
    pub named_key: Option<String>,
    /// Whether the call is authorised (`--enforce-policies` on or audit): then parsing
    /// records the request's condition keys in `facts`.
    pub authorizing: bool,
    /// What the request says that policy conditions test; filled only when `authorizing`.
    pub facts: RequestFacts,
    /// The module id and PCRs of the request's `Recipient` attestation document, for policy
    /// conditions (`kms:RecipientAttestation:*`) and the audit trail.
    pub recipient: Option<super::encryption::Measurements>,
    /// With `--enforce-policies=audit`: why enforcement would have denied this call, each
    /// check that would have failed.
    pub would_deny: Vec<String>,
    /// The latest write the call saw or made: its answer rests on it, so it must not be sent
    /// before that write is on disk.
    pub(super) seen: WriteSeq,
    /// The keys a successful call acted on, at most two (ReEncrypt uses its source and its
    /// destination key).
    used: [Option<KeyArn>; 2],
}

/// Who calls: the identity of `--identities` the access key belongs to, else the root of the
/// account the call acts in (what the request says; kmsd checks signatures only with
/// `--verify-signatures`).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The SigV4 access key id, if the request was signed.
    pub access_key_id: Option<String>,
    /// The principal: the identity's, or the account root.
    pub principal: Principal,
    /// The identity the access key belongs to, when the server knows identities.
    pub identity: Option<Arc<Identity>>,
    /// The address the request came from (`aws:SourceIp`).
    pub source_ip: Option<IpAddr>,
}

/// The members of a request that policy conditions and the lockout check read, as the
/// request gave them (`kms:EncryptionContext:<key>`, `kms:EncryptionAlgorithm`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFacts {
    /// `EncryptionContext` (ReEncrypt: `SourceEncryptionContext`).
    pub encryption_context: Option<BTreeMap<String, String>>,
    /// ReEncrypt's `DestinationEncryptionContext`.
    pub destination_encryption_context: Option<BTreeMap<String, String>>,
    /// `EncryptionAlgorithm` (ReEncrypt: `SourceEncryptionAlgorithm`).
    pub encryption_algorithm: Option<String>,
    /// ReEncrypt's `DestinationEncryptionAlgorithm`.
    pub destination_encryption_algorithm: Option<String>,
    /// `SigningAlgorithm`.
    pub signing_algorithm: Option<String>,
    /// `MacAlgorithm`.
    pub mac_algorithm: Option<String>,
    /// CreateKey's `KeySpec`, `KeyUsage`, `Origin` and `MultiRegion`.
    pub key_spec: Option<String>,
    /// CreateKey's `KeyUsage`.
    pub key_usage: Option<String>,
    /// CreateKey's `Origin`.
    pub origin: Option<String>,
    /// CreateKey's `MultiRegion`.
    pub multi_region: Option<bool>,
    /// CreateGrant's `Operations`.
    pub grant_operations: Vec<String>,
    /// CreateGrant's `GranteePrincipal`.
    pub grantee: Option<String>,
    /// CreateGrant's `RetiringPrincipal`.
    pub retiring: Option<String>,
    /// GenerateDataKeyPair's `KeyPairSpec`.
    pub data_key_pair_spec: Option<String>,
    /// EnableKeyRotation's `RotationPeriodInDays`.
    pub rotation_period_days: Option<u64>,
    /// ScheduleKeyDeletion's `PendingWindowInDays`.
    pub pending_window_days: Option<u64>,
    /// `GrantTokens`.
    pub grant_tokens: Vec<String>,
    /// CreateKey's and PutKeyPolicy's `BypassPolicyLockoutSafetyCheck`.
    pub bypass_lockout_check: bool,
}

impl Caller {
    /// The root of the account of `scope`, known by no identity.
    pub fn root(scope: &Scope) -> Caller {
        Caller {
            access_key_id: None,
            principal: Principal::root(&scope.account),
            identity: None,
            source_ip: None,
        }
    }
}

impl Context {
    /// A context for `operation` in `scope`, by an unknown caller, not a dry run.
    pub fn new(scope: Scope, operation: Operation, request_id: impl Into<String>) -> Context {
        Context {
            caller: Caller::root(&scope),
            scope,
            request_id: request_id.into(),
            operation,
            dry_run: false,
            named_key: None,
            authorizing: false,
            facts: RequestFacts::default(),
            recipient: None,
            would_deny: Vec::new(),
            seen: WriteSeq::default(),
            used: [None, None],
        }
    }

    /// The latest write the call saw or made (see [`super::Kms::durable`]).
    pub fn seen(&self) -> WriteSeq {
        self.seen
    }

    /// The keys the call acted on, in the order it used them.
    pub fn used_keys(&self) -> impl Iterator<Item = &KeyArn> {
        self.used.iter().flatten()
    }

    /// Records that the call acted on `key` (called once the call has succeeded with it).
    pub(super) fn uses(&mut self, key: &Key) {
        if self.used.iter().flatten().any(|arn| *arn == key.arn) {
            return;
        }
        if let Some(slot) = self.used.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some(key.arn.clone());
        }
    }

    /// The `DryRun` check: everything before it passed, so a dry run ends here, successfully.
    pub(super) fn stop_if_dry_run(&self) -> Result<()> {
        if self.dry_run {
            Err(Error::DryRun)
        } else {
            Ok(())
        }
    }
}
