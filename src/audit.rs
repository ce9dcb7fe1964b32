//! The audit trail (`--audit-log PATH`): one CloudTrail-like JSON record per call, appended to a
//! file before the call's response is sent (one small write to the page cache, only when the
//! trail is on). Records never hold plaintext, ciphertext, signatures or key material:
//! `api::audit_parameters` leaves them out.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

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
    /// Always "kms.amazonaws.com".
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
}

/// `userIdentity`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    /// The SigV4 access key id, if the request was signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// The caller's account.
    pub account_id: String,
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
    /// Opens (appending) or creates the file.
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
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

/// Milliseconds since the epoch as RFC 3339 UTC (`2026-11-29T04:19:35.123Z`).
pub fn rfc3339(epoch_millis: u64) -> String {
    let secs = epoch_millis / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        epoch_millis % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_926_692_396), "2026-11-29T04:31:32.396Z");
        assert_eq!(rfc3339(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    }
}
