//! The audit trail (`--audit-log PATH`): one CloudTrail-like JSON record per call, appended to a
//! file before the call's response is sent (one small write to the page cache, only when the
//! trail is on). A record is built from typed values: the call's context (scope, caller, the
//! keys it used) and its request's members as `api::Call::audit_parameters` serializes them,
//! which never holds plaintext, ciphertext, signatures or key material.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

use crate::api::ApiError;
use crate::iam::Principal;
use crate::kms::Caller;
use crate::kms::encryption::Measurements;
use crate::model::{KeyArn, KeyRef, Scope, Timestamp};

/// Where records go. Cloning shares the file.
#[derive(Debug, Clone)]
pub struct AuditLog {
    file: Arc<Mutex<File>>,
}

/// One call, as the audit trail records it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Always "1.08", CloudTrail's record version.
    pub event_version: &'static str,
    /// When the call was made, RFC 3339 UTC with milliseconds, on kmsd's clock.
    pub event_time: String,
    /// "kms.amazonaws.com" for KMS calls, "kmsd" for calls of the admin API.
    pub event_source: &'static str,
    /// The operation.
    pub event_name: String,
    /// The region the call acted in.
    pub aws_region: String,
    /// The caller's address.
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: String,
    /// The caller's `User-Agent`.
    pub user_agent: String,
    /// Who called.
    pub user_identity: UserIdentity,
    /// The `x-amzn-RequestId` of the response.
    #[serde(rename = "requestID")]
    pub request_id: String,
    /// A unique id of this record.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// The request's members, without secrets.
    pub request_parameters: Option<serde_json::Value>,
    /// What an admin call did (what an advance rotated and deleted); KMS calls leave it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_elements: Option<serde_json::Value>,
    /// With `--enforce-policies=audit`, `{"wouldBeDenied": [...]}`: each check enforcement
    /// would have failed the call on, with the statement or missing permission behind it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_event_data: Option<serde_json::Value>,
    /// The key the call used, when known.
    pub resources: Vec<Resource>,
    /// The error type, for a failed call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The error message, for a failed call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The account the call acted in.
    pub recipient_account_id: String,
    /// The fault a rule of `/_kmsd/faults` injected into the call (`{"error": ...}`,
    /// `{"latencyMs": ...}` or `{"drop": true}`); absent for a call without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kmsd_fault: Option<serde_json::Value>,
}

/// `userIdentity`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    /// `Root`, `IAMUser` or `AssumedRole`, from the principal ARN.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The caller's principal ARN (an identity's, or the account root).
    pub arn: String,
    /// The SigV4 access key id, if the request was signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// The caller's account.
    pub account_id: String,
}

impl UserIdentity {
    fn of(principal: &Principal, access_key_id: Option<String>) -> UserIdentity {
        let resource = principal.arn.splitn(6, ':').nth(5).unwrap_or_default();
        UserIdentity {
            kind: if principal.is_root() {
                "Root"
            } else if resource.starts_with("user/") {
                "IAMUser"
            } else {
                "AssumedRole"
            },
            arn: principal.arn.clone(),
            access_key_id,
            account_id: principal.account.as_str().to_owned(),
        }
    }
}

/// One entry of `resources`.
#[derive(Debug, Serialize)]
pub struct Resource {
    /// The key ARN (or the key reference as given, when the key was not found).
    #[serde(rename = "ARN")]
    pub arn: String,
    /// The key's account.
    #[serde(rename = "accountId")]
    pub account_id: String,
    /// Always "AWS::KMS::Key".
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl AuditLog {
    /// Opens (appending) or creates the file; a new file is readable by its owner only.
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        Ok(AuditLog {
            file: Arc::new(Mutex::new(file)),
        })
    }

    /// Appends a record as one line, written with a single `write` so that lines never
    /// interleave.
    pub fn record(&self, record: &AuditRecord) {
        let Ok(mut line) = serde_json::to_vec(record) else {
            return;
        };
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = file.write_all(&line) {
            tracing::error!(%error, "cannot write the audit log");
        }
    }
}

/// What the audit record of one call is made of.
#[derive(Debug)]
pub(super) struct CallFacts<'a> {
    /// When the call was made, on kmsd's clock.
    pub(super) time: Timestamp,
    /// The operation as the target named it.
    pub(super) operation: &'a str,
    /// The account and region it acted in.
    pub(super) scope: &'a Scope,
    /// Who called.
    pub(super) caller: &'a Caller,
    /// The caller's address.
    pub(super) source_ip: String,
    /// The caller's `User-Agent`.
    pub(super) user_agent: &'a str,
    /// The call's `x-amzn-RequestId`.
    pub(super) request_id: &'a str,
    /// The request's members, when the request was understood.
    pub(super) parameters: Option<serde_json::Value>,
    /// The keys a successful call used.
    pub(super) used_keys: Vec<&'a KeyArn>,
    /// The key the request named, as given.
    pub(super) named_key: Option<&'a str>,
    /// The error, for a failed call.
    pub(super) error: Option<&'a ApiError>,
    /// Why enforcement would have denied the call (`--enforce-policies=audit`).
    pub(super) would_deny: &'a [String],
    /// The measurements of the request's `Recipient` attestation document.
    pub(super) recipient: Option<&'a Measurements>,
    /// The fault injected into the call, as the rule spells it.
    pub(super) fault: Option<serde_json::Value>,
}

/// What the audit record of one admin call is made of.
#[derive(Debug)]
pub(super) struct AdminFacts<'a> {
    /// When the call was made, on kmsd's clock.
    pub(super) time: Timestamp,
    /// `kmsd:Reset`, `kmsd:AdvanceClock`, ...
    pub(super) event_name: &'a str,
    /// The server's default account and region.
    pub(super) home: &'a Scope,
    /// The caller's address.
    pub(super) source_ip: String,
    /// The caller's `User-Agent`.
    pub(super) user_agent: &'a str,
    /// The call's request id.
    pub(super) request_id: &'a str,
    /// The request's members.
    pub(super) parameters: Option<serde_json::Value>,
    /// What the call did.
    pub(super) response: Option<serde_json::Value>,
    /// The HTTP status of the answer.
    pub(super) status: u16,
    /// Why the call failed, if it did.
    pub(super) error: Option<&'a str>,
}

impl AuditRecord {
    /// The record of one admin call. Its error code is the answer's HTTP reason phrase
    /// (`Forbidden`, `Unauthorized`, `Bad Request`), since the admin API has no error types.
    pub(super) fn of_admin(facts: AdminFacts<'_>, event_id: String) -> AuditRecord {
        let failed = facts.status >= 400;
        AuditRecord {
            event_version: "1.08",
            event_time: facts.time.rfc3339(),
            event_source: "kmsd",
            event_name: facts.event_name.to_owned(),
            aws_region: facts.home.region.as_str().to_owned(),
            source_ip_address: facts.source_ip,
            user_agent: facts.user_agent.to_owned(),
            user_identity: UserIdentity::of(&Principal::root(&facts.home.account), None),
            request_id: facts.request_id.to_owned(),
            event_id,
            request_parameters: facts.parameters,
            response_elements: facts.response,
            additional_event_data: None,
            resources: Vec::new(),
            error_code: failed.then(|| {
                axum::http::StatusCode::from_u16(facts.status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Error")
                    .to_owned()
            }),
            error_message: facts.error.filter(|_| failed).map(str::to_owned),
            recipient_account_id: facts.home.account.as_str().to_owned(),
            kmsd_fault: None,
        }
    }

    /// The record of one call.
    pub(super) fn of_call(facts: CallFacts<'_>, event_id: String) -> AuditRecord {
        let mut resources: Vec<Resource> = facts
            .used_keys
            .iter()
            .map(|arn| Resource {
                arn: arn.to_string(),
                account_id: arn.scope.account.as_str().to_owned(),
                kind: "AWS::KMS::Key",
            })
            .collect();
        if resources.is_empty()
            && let Some(named) = facts.named_key
        {
            // The key was not found (or not used): name it as the request did, in the account
            // its ARN names, if it is one.
            let account = match KeyRef::parse(named) {
                KeyRef::Arn { account, .. } | KeyRef::AliasArn { account, .. }
                    if !account.is_empty() =>
                {
                    account
                }
                _ => facts.scope.account.as_str().to_owned(),
            };
            resources.push(Resource {
                arn: named.to_owned(),
                account_id: account,
                kind: "AWS::KMS::Key",
            });
        }
        let additional_event_data = additional_event_data(&facts);
        AuditRecord {
            event_version: "1.08",
            event_time: facts.time.rfc3339(),
            event_source: "kms.amazonaws.com",
            event_name: facts.operation.to_owned(),
            aws_region: facts.scope.region.as_str().to_owned(),
            source_ip_address: facts.source_ip,
            user_agent: facts.user_agent.to_owned(),
            user_identity: UserIdentity::of(
                &facts.caller.principal,
                facts.caller.access_key_id.clone(),
            ),
            request_id: facts.request_id.to_owned(),
            event_id,
            request_parameters: facts.parameters,
            response_elements: None,
            additional_event_data,
            resources,
            error_code: facts.error.map(|e| e.code.as_str().to_owned()),
            error_message: facts.error.and_then(|e| e.message.clone()),
            recipient_account_id: facts.scope.account.as_str().to_owned(),
            kmsd_fault: facts.fault,
        }
    }
}

/// `additionalEventData`: why enforcement would have denied the call, and the `recipient` of
/// an attested call as CloudTrail shows it (module id, then PCR0 as the enclave image digest
/// and the other PCRs, in hex), never the document itself
/// ([enclaves](https://docs.aws.amazon.com/kms/latest/developerguide/ct-nitro-enclave.html),
/// [NitroTPM](https://docs.aws.amazon.com/kms/latest/developerguide/ct-nitro-tpm.html)).
fn additional_event_data(facts: &CallFacts<'_>) -> Option<serde_json::Value> {
    let mut data = serde_json::Map::new();
    if !facts.would_deny.is_empty() {
        data.insert("wouldBeDenied".into(), serde_json::json!(facts.would_deny));
    }
    if let Some(attestation) = facts.recipient {
        let hex = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
        let mut recipient = serde_json::Map::new();
        if let Some(id) = &attestation.module_id {
            recipient.insert("attestationDocumentModuleId".into(), id.clone().into());
        }
        for (index, value) in &attestation.pcrs {
            let name = match (attestation.nitro_tpm, index) {
                (true, _) => format!("attestationDocumentNitroTPMPCR{index}"),
                (false, 0) => "attestationDocumentEnclaveImageDigest".to_owned(),
                (false, _) => format!("attestationDocumentEnclavePCR{index}"),
            };
            recipient.insert(name, hex(value).into());
        }
        data.insert("recipient".into(), recipient.into());
    }
    (!data.is_empty()).then_some(serde_json::Value::Object(data))
}
