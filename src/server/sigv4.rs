//! Who calls, from the SigV4 `Authorization` header. The credential scope
//! (`Credential=AKID/date/region/kms/aws4_request`) names the access key and the region; with
//! `--identities` the access key names an identity (its account and principal), without it a
//! 12-digit access key id is taken as the account id. With `--verify-signatures` the signature
//! itself is checked against the identity's secret, as AWS does:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html>.

use std::sync::Arc;

use axum::http::{HeaderMap, Method, Uri, header};

use crate::api::{ApiError, ErrorCode};
use crate::crypto::mac::{self, MacHash};
use crate::crypto::sha256;
use crate::iam::{Identities, Identity};
use crate::kms::Caller;
use crate::model::{AccountId, Region, Scope, Timestamp};

/// How far a request's date may be from kmsd's clock, as in AWS.
const MAX_SKEW_MS: u64 = 15 * 60 * 1000;

/// What the server knows about callers (`--identities`, `--verify-signatures`).
#[derive(Debug, Clone, Default)]
pub struct Authentication {
    /// The identities file, if given.
    pub identities: Option<Arc<Identities>>,
    /// Whether every request's signature is checked (needs identities).
    pub verify_signatures: bool,
}

/// One request as SigV4 signs it.
pub(super) struct Signed<'a> {
    pub(super) method: &'a Method,
    pub(super) uri: &'a Uri,
    pub(super) headers: &'a HeaderMap,
    pub(super) body: &'a [u8],
}

/// The account and region a request acts in, and its caller: from the SigV4 credential scope
/// when present, else the server's defaults. A 12-digit access key id is taken as the account
/// id. This is the rule without `--identities`.
pub(super) fn caller(headers: &HeaderMap, home: &Scope) -> (Scope, Caller) {
    let mut parts = credential_scope(headers).unwrap_or_default().split('/');
    let access_key = parts.next().unwrap_or_default();
    let region = parts.nth(1).unwrap_or_default();
    let scope = Scope {
        account: AccountId::parse(access_key).unwrap_or_else(|| home.account.clone()),
        region: Region::parse(region).unwrap_or_else(|| home.region.clone()),
    };
    let mut caller = Caller::root(&scope);
    caller.access_key_id = (!access_key.is_empty()).then(|| access_key.to_owned());
    (scope, caller)
}

/// The caller of a request under `auth`'s rules, its signature checked when they say so.
/// `now` reads kmsd's clock (only a signature check needs it).
pub(super) fn authenticate(
    request: &Signed<'_>,
    home: &Scope,
    auth: &Authentication,
    now: impl FnOnce() -> Timestamp,
) -> Result<(Scope, Caller), ApiError> {
    let Some(identities) = &auth.identities else {
        return Ok(caller(request.headers, home));
    };
    let Some(value) = request.headers.get(header::AUTHORIZATION) else {
        if auth.verify_signatures {
            return Err(ApiError::new(
                ErrorCode::MissingAuthenticationToken,
                "Missing Authentication Token",
            ));
        }
        return Ok(caller(request.headers, home));
    };
    let (access_key_id, region) = if auth.verify_signatures {
        let text = value.to_str().unwrap_or_default();
        let authorization = Authorization::parse(text, request.headers)?;
        let identity = identities
            .get(authorization.access_key_id)
            .ok_or_else(unrecognized)?;
        verify(request, &authorization, identity, now())?;
        (authorization.access_key_id, authorization.region)
    } else {
        // Unchecked, the header only has to name the access key, as without identities.
        let mut parts = credential_scope(request.headers)
            .unwrap_or_default()
            .split('/');
        (
            parts.next().unwrap_or_default(),
            parts.nth(1).unwrap_or_default(),
        )
    };
    if access_key_id.is_empty() {
        return Ok(caller(request.headers, home));
    }
    let identity = identities.get(access_key_id).ok_or_else(unrecognized)?;
    let scope = Scope {
        account: identity.account.clone(),
        region: Region::parse(region).unwrap_or_else(|| home.region.clone()),
    };
    let caller = Caller {
        access_key_id: Some(identity.access_key_id.clone()),
        principal: identity.as_principal(),
        identity: Some(identity.clone()),
        source_ip: None,
    };
    Ok((scope, caller))
}

/// Who a request says it is, checking nothing: for the log line and audit record of a call
/// that failed before it was authenticated.
pub(super) fn claimed_caller(
    headers: &HeaderMap,
    home: &Scope,
    auth: &Authentication,
) -> (Scope, Caller) {
    let (scope, mut caller) = caller(headers, home);
    let identity = auth
        .identities
        .as_ref()
        .zip(caller.access_key_id.as_deref())
        .and_then(|(identities, key)| identities.get(key));
    let Some(identity) = identity else {
        return (scope, caller);
    };
    let scope = Scope {
        account: identity.account.clone(),
        region: scope.region,
    };
    caller.principal = identity.as_principal();
    caller.identity = Some(identity.clone());
    (scope, caller)
}

fn unrecognized() -> ApiError {
    ApiError::new(
        ErrorCode::UnrecognizedClient,
        "The security token included in the request is invalid.",
    )
}

fn invalid_signature(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidSignature, message)
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
/// Signature=...` header, and the request's date.
#[derive(Debug)]
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
    /// `X-Amz-Date` (or `Date`), `yyyymmddThhmmssZ`.
    timestamp: String,
}

impl<'a> Authorization<'a> {
    /// Reads the header; a missing part is AWS's `IncompleteSignatureException`, which lists
    /// every missing part.
    fn parse(text: &'a str, headers: &HeaderMap) -> Result<Authorization<'a>, ApiError> {
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        if let Some(rest) = text.strip_prefix("AWS4-HMAC-SHA256 ") {
            for part in rest.split(',') {
                match part.trim().split_once('=') {
                    Some(("Credential", v)) => credential = Some(v),
                    Some(("SignedHeaders", v)) => signed_headers = Some(v),
                    Some(("Signature", v)) => signature = Some(v),
                    _ => {}
                }
            }
        }
        let timestamp = headers
            .get("x-amz-date")
            .or_else(|| headers.get(header::DATE))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut missing = String::new();
        for (present, name) in [
            (credential.is_some(), "'Credential' parameter"),
            (signature.is_some(), "'Signature' parameter"),
            (signed_headers.is_some(), "'SignedHeaders' parameter"),
        ] {
            if !present {
                missing.push_str(&format!("Authorization header requires {name}. "));
            }
        }
        if timestamp.is_none() {
            missing.push_str(
                "Authorization header requires existence of either a 'X-Amz-Date' or a \
                 'Date' header. ",
            );
        }
        let (Some(credential), Some(signed_headers), Some(signature), Some(timestamp)) =
            (credential, signed_headers, signature, timestamp)
        else {
            return Err(ApiError::new(
                ErrorCode::IncompleteSignature,
                format!("{missing}Authorization={text}"),
            ));
        };
        let parts: Vec<&str> = credential.split('/').collect();
        let [access_key_id, date, region, service, terminator] = parts[..] else {
            return Err(ApiError::new(
                ErrorCode::IncompleteSignature,
                format!(
                    "Credential should be scoped to a valid date, region, service and \
                     terminator: AKID/yyyymmdd/region/kms/aws4_request, not '{credential}'."
                ),
            ));
        };
        Ok(Authorization {
            access_key_id,
            date,
            region,
            service,
            terminator,
            signed_headers,
            signature,
            timestamp,
        })
    }
}

/// Checks the request's signature with the identity's secret: the credential scope, the date
/// against kmsd's clock, the session token, then the signature itself.
fn verify(
    request: &Signed<'_>,
    authorization: &Authorization<'_>,
    identity: &Identity,
    now: Timestamp,
) -> Result<(), ApiError> {
    if authorization.service != "kms" {
        return Err(invalid_signature(format!(
            "Credential should be scoped to correct service: 'kms'. Credential scope names '{}'.",
            authorization.service
        )));
    }
    if authorization.terminator != "aws4_request" {
        return Err(invalid_signature(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
            authorization.terminator
        )));
    }
    if Region::parse(authorization.region).is_none() {
        return Err(invalid_signature(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            authorization.region
        )));
    }
    let signed_at = parse_amz_date(&authorization.timestamp).ok_or_else(|| {
        invalid_signature(format!(
            "The date {} is not an ISO-8601 basic date-time such as 20150830T123600Z.",
            authorization.timestamp
        ))
    })?;
    let day = &authorization.timestamp[..8];
    if authorization.date != day {
        return Err(invalid_signature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{}' != '{day}', from '{}'.",
            authorization.date, authorization.timestamp
        )));
    }
    if signed_at.0 + MAX_SKEW_MS < now.0 {
        return Err(invalid_signature(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            authorization.timestamp,
            amz_date(Timestamp(now.0 - MAX_SKEW_MS)),
            amz_date(now)
        )));
    }
    if signed_at.0 > now.0 + MAX_SKEW_MS {
        return Err(invalid_signature(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            authorization.timestamp,
            amz_date(Timestamp(now.0 + MAX_SKEW_MS)),
            amz_date(now)
        )));
    }
    let token = request
        .headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok());
    if token != identity.session_token.as_deref() {
        return Err(unrecognized());
    }
    let signed: Vec<&str> = authorization.signed_headers.split(';').collect();
    if !signed.contains(&"host") {
        return Err(invalid_signature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let canonical = canonical_request(
        request.method.as_str(),
        request.uri.path(),
        request.uri.query().unwrap_or_default(),
        &signed
            .iter()
            .map(|name| (*name, header_values(request.headers, name)))
            .collect::<Vec<_>>(),
        request.body,
    );
    let scope = format!(
        "{}/{}/{}/{}",
        authorization.date, authorization.region, authorization.service, authorization.terminator
    );
    let to_sign = string_to_sign(&authorization.timestamp, &scope, &canonical);
    let key = signing_key(
        &identity.secret_access_key,
        authorization.date,
        authorization.region,
        authorization.service,
    );
    let provided = hex_decode(authorization.signature).unwrap_or_default();
    if mac::verify(MacHash::Sha256, &key, to_sign.as_bytes(), &provided) {
        Ok(())
    } else {
        Err(invalid_signature(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        ))
    }
}

/// Every value of header `name`, in the order received.
fn header_values<'h>(headers: &'h HeaderMap, name: &str) -> Vec<&'h [u8]> {
    headers.get_all(name).iter().map(|v| v.as_bytes()).collect()
}

/// The canonical request: method, canonical URI, canonical query, canonical headers (each
/// signed header's values in order, trimmed, runs of spaces collapsed, joined by commas),
/// the signed header names and the payload's SHA-256.
pub(super) fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, Vec<&[u8]>)],
    body: &[u8],
) -> String {
    let mut out = format!(
        "{method}\n{}\n{}\n",
        canonical_uri(path),
        canonical_query(query)
    );
    let mut names = Vec::with_capacity(headers.len());
    for (name, values) in headers {
        let name = name.to_ascii_lowercase();
        let values: Vec<String> = values
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v)
                    .split_ascii_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        out.push_str(&format!("{name}:{}\n", values.join(",")));
        names.push(name);
    }
    out.push('\n');
    out.push_str(&names.join(";"));
    out.push('\n');
    out.push_str(&hex(&sha256(body)));
    out
}

/// The string to sign: algorithm, date, credential scope, and the canonical request's hash.
pub(super) fn string_to_sign(timestamp: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
        hex(&sha256(canonical_request.as_bytes()))
    )
}

/// The signing key: HMAC-SHA256 chained over date, region, service and `aws4_request`.
pub(super) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in [date, region, service, "aws4_request"] {
        key = mac::generate(MacHash::Sha256, &key, part.as_bytes());
    }
    key
}

/// The path as SigV4 signs it for services other than S3: dot segments and empty segments
/// removed, each segment percent-encoded (again: the path as sent is encoded once already).
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::from("/");
    out.push_str(
        &segments
            .iter()
            .map(|s| uri_encode(s.as_bytes()))
            .collect::<Vec<_>>()
            .join("/"),
    );
    if !segments.is_empty() && path.ends_with('/') {
        out.push('/');
    }
    out
}

/// The query string's parameters, decoded, re-encoded strictly and sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(name)),
                uri_encode(&percent_decode(value)),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but SigV4's unreserved characters (`A-Z a-z 0-9 - . _ ~`).
fn uri_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `20150830T123600Z` as a timestamp.
fn parse_amz_date(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    Timestamp::parse_rfc3339(&format!(
        "{}-{}-{}T{}:{}:{}Z",
        &text[0..4],
        &text[4..6],
        &text[6..8],
        &text[9..11],
        &text[11..13],
        &text[13..15]
    ))
}

/// A timestamp as `20150830T123600Z`.
pub(super) fn amz_date(at: Timestamp) -> String {
    let text = at.rfc3339();
    format!(
        "{}{}{}T{}{}{}Z",
        &text[0..4],
        &text[5..7],
        &text[8..10],
        &text[11..13],
        &text[14..16],
        &text[17..19]
    )
}

/// `AKID/date/region/service/aws4_request` from a SigV4 `Authorization` header.
fn credential_scope(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    // SDKs and the CLI put the credential first: skip the substring search for them.
    let rest = match value.strip_prefix("AWS4-HMAC-SHA256 Credential=") {
        Some(rest) => rest,
        None => value.split_once("Credential=")?.1,
    };
    let end = rest
        .bytes()
        .position(|b| b == b',' || b == b' ')
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests;
