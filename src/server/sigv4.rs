//! Who calls, from the SigV4 `Authorization` header: the credential scope
//! (`Credential=AKID/date/region/kms/aws4_request`) names the access key and the region. kmsd
//! does not check signatures; it takes the account and region a request acts in from them.

use axum::http::{HeaderMap, header};

use crate::kms::Caller;
use crate::model::{AccountId, Region, Scope};

/// The account and region a request acts in, and its caller: from the SigV4 credential scope
/// when present, else the server's defaults. A 12-digit access key id is taken as the account
/// id.
pub(super) fn caller(headers: &HeaderMap, home: &Scope) -> (Scope, Caller) {
    let mut parts = credential_scope(headers).unwrap_or_default().split('/');
    let access_key = parts.next().unwrap_or_default();
    let region = parts.nth(1).unwrap_or_default();
    let scope = Scope {
        account: AccountId::parse(access_key).unwrap_or_else(|| home.account.clone()),
        region: Region::parse(region).unwrap_or_else(|| home.region.clone()),
    };
    let caller = Caller {
        access_key_id: (!access_key.is_empty()).then(|| access_key.to_owned()),
        principal: None,
    };
    (scope, caller)
}

/// `AKID/date/region/service/aws4_request` from a SigV4 `Authorization` header.
fn credential_scope(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    // SDKs and the CLI put the credential first: skip the substring search for them.
    let rest = match value.strip_prefix("AWS4-HMAC-SHA256 Credential=") {
        Some(rest) => rest,
        None => value.split_once("Credential=")?.1,
    };
    rest.split([',', ' ']).next()
}

#[cfg(test)]
mod tests;
