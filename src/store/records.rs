//! The on-disk record format: versioned serde structs, encoded as JSON, separate from both the
//! wire DTOs and the domain types. Changing a record means bumping its `v` and keeping a reader
//! for the old version.
//!
//! Paths: `k/<account>/<region>/<key-id>` for keys, `a/<account>/<region>/<alias-name>` for
//! aliases (alias names contain `/`, which is fine as the last component),
//! `u/<account>/<region>/<key-id>` for a key's last usage, and `c/<account>/<region>/<store-id>` for custom key stores, and `m/<name>` for server-wide
//! metadata: the clock offset (`m/clock`) and when usage tracking began (`m/usage-tracking`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use super::Error;
use crate::crypto::KeyMaterial;
use crate::model::{
    AccountId, Alias, AliasName, Connection, ConnectionErrorCode, CustomKeyStore, Deletion, Grant,
    GrantConstraints, GrantOperation, ImportParameters, ImportedMaterial, Imports, Key, KeyArn,
    KeyBacking, KeyId, KeyManager, KeyMaterialState, KeyPolicy, KeyRotation, KeySpec, KeyState,
    KeyStoreKind, KeyStoreLink, KeyUsage, LastUsage, Material, MaterialId, MultiRegion, Origin,
    Region, RotationRecord, RotationSchedule, RotationType, Scope, Settle, Timestamp,
    UsageOperation, WrappingAlgorithm, WrappingKeySpec, XksProxy, XksProxyConnectivity,
};

/// Version 2 left out what the path already says, and the default policy; 1 is still read.
const KEY_VERSION: u32 = 2;
const ALIAS_VERSION: u32 = 1;
const CLOCK_VERSION: u32 = 1;
const USAGE_VERSION: u32 = 1;
const TRACKING_VERSION: u32 = 1;

/// Where the clock offset is kept.
pub(super) const CLOCK_PATH: &[u8] = b"m/clock";
/// Where the date usage tracking began is kept.
pub(super) const TRACKING_PATH: &[u8] = b"m/usage-tracking";
/// The prefix of server-wide records, which a reset keeps.
pub(super) const META_PREFIX: &[u8] = b"m/";

pub(super) enum Record {
    Key(Key),
    Alias(Scope, Alias),
    ClockOffset(u64),
    Usage(KeyArn, LastUsage),
    TrackingStart(Timestamp),
    KeyStore(Scope, CustomKeyStore),
}

const KEY_STORE_VERSION: u32 = 1;

/// A custom key store record (version 1). The account, region and store id are in its path.
/// Enums are their AWS spellings; times are epoch milliseconds.
#[derive(Serialize, Deserialize)]
struct StoredKeyStore {
    v: u32,
    name: String,
    created_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cloud_hsm: Option<StoredCloudHsm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    xks: Option<StoredXks>,
    /// `DISCONNECTED` (with `since_ms` when it was disconnected) or `CONNECTED` (with when
    /// connecting began, and `failure` when it fails).
    connection: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fail_next_connect: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredCloudHsm {
    cluster_id: String,
    trust_anchor: String,
    password: String,
}

#[derive(Serialize, Deserialize)]
struct StoredXks {
    uri_endpoint: String,
    uri_path: String,
    connectivity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vpc_endpoint_service_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vpc_endpoint_service_owner: Option<String>,
    access_key_id: String,
    secret_access_key: String,
}

pub(super) fn key_store_path(scope: &Scope, id: &str) -> Vec<u8> {
    format!(
        "c/{}/{}/{id}",
        scope.account.as_str(),
        scope.region.as_str()
    )
    .into_bytes()
}

pub(super) fn encode_key_store(store: &CustomKeyStore) -> Vec<u8> {
    let (cloud_hsm, xks) = match &store.kind {
        KeyStoreKind::CloudHsm {
            cluster_id,
            trust_anchor,
            password,
        } => (
            Some(StoredCloudHsm {
                cluster_id: cluster_id.clone(),
                trust_anchor: trust_anchor.clone(),
                password: password.clone(),
            }),
            None,
        ),
        KeyStoreKind::External(p) => (
            None,
            Some(StoredXks {
                uri_endpoint: p.uri_endpoint.clone(),
                uri_path: p.uri_path.clone(),
                connectivity: p.connectivity.as_str().to_owned(),
                vpc_endpoint_service_name: p.vpc_endpoint_service_name.clone(),
                vpc_endpoint_service_owner: p.vpc_endpoint_service_owner.clone(),
                access_key_id: p.access_key_id.clone(),
                secret_access_key: p.secret_access_key.clone(),
            }),
        ),
    };
    let (connection, since, failure) = match store.connection {
        Connection::Disconnected(since) => ("DISCONNECTED", since, None),
        Connection::Connected { since, failure } => ("CONNECTED", Some(since), failure),
    };
    to_json(&StoredKeyStore {
        v: KEY_STORE_VERSION,
        name: store.name.clone(),
        created_ms: store.created.0,
        cloud_hsm,
        xks,
        connection: connection.to_owned(),
        since_ms: since.map(|t| t.0),
        failure: failure.map(|f| f.as_str().to_owned()),
        fail_next_connect: store.fail_next_connect.map(|f| f.as_str().to_owned()),
    })
}

fn decode_key_store(id: &str, stored: StoredKeyStore) -> Result<CustomKeyStore, String> {
    let error_code = |text: String| {
        ConnectionErrorCode::parse(&text).ok_or_else(|| format!("bad connection error {text:?}"))
    };
    let kind = match (stored.cloud_hsm, stored.xks) {
        (Some(h), None) => KeyStoreKind::CloudHsm {
            cluster_id: h.cluster_id,
            trust_anchor: h.trust_anchor,
            password: h.password,
        },
        (None, Some(x)) => KeyStoreKind::External(XksProxy {
            connectivity: XksProxyConnectivity::parse(&x.connectivity)
                .ok_or_else(|| format!("bad connectivity {:?}", x.connectivity))?,
            uri_endpoint: x.uri_endpoint,
            uri_path: x.uri_path,
            vpc_endpoint_service_name: x.vpc_endpoint_service_name,
            vpc_endpoint_service_owner: x.vpc_endpoint_service_owner,
            access_key_id: x.access_key_id,
            secret_access_key: x.secret_access_key,
        }),
        _ => return Err("a custom key store needs exactly one of cloud_hsm and xks".into()),
    };
    let since = stored.since_ms.map(Timestamp);
    let connection = match (stored.connection.as_str(), since) {
        ("DISCONNECTED", since) => Connection::Disconnected(since),
        ("CONNECTED", Some(since)) => Connection::Connected {
            since,
            failure: stored.failure.map(error_code).transpose()?,
        },
        (other, _) => return Err(format!("bad connection {other:?}")),
    };
    Ok(CustomKeyStore {
        id: id.to_owned(),
        name: stored.name,
        created: Timestamp(stored.created_ms),
        kind,
        connection,
        fail_next_connect: stored.fail_next_connect.map(error_code).transpose()?,
    })
}

/// A key record as written (version 2). The account, region and key id are in its path.
/// Empty or absent members are left out: `deletion`, `tags`, `policy` (the default policy of
/// the key's account), `rotation_schedule` and `rotations`.
#[derive(Serialize)]
struct KeyRecordOut<'a> {
    v: u32,
    created_ms: u64,
    description: &'a str,
    usage: &'static str,
    spec: &'static str,
    origin: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    manager: Option<&'static str>,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion: Option<StoredDeletion>,
    materials: Vec<StoredMaterial>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<(&'a str, &'a str)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_schedule: Option<StoredRotationSchedule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rotations: Vec<StoredRotation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    grants: Vec<StoredGrant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multi_region: Option<StoredMultiRegion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_key_store: Option<StoredKeyStoreLink>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    imported: Vec<StoredImported>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    import_parameters: Vec<StoredImportParameters>,
}

/// A key record as read: version 2, or version 1, which also repeated the account, region and
/// key id of its path (ignored here) and always had `deletion`, `tags` and `policy`. Strings
/// are borrowed from the record unless they hold JSON escapes.
#[derive(Deserialize)]
struct KeyRecordIn<'a> {
    v: u32,
    created_ms: u64,
    #[serde(borrow)]
    description: Cow<'a, str>,
    #[serde(borrow)]
    usage: Cow<'a, str>,
    #[serde(borrow)]
    spec: Cow<'a, str>,
    #[serde(borrow)]
    origin: Cow<'a, str>,
    /// Added in version 2 for AWS managed keys; absent for customer managed keys.
    #[serde(default, borrow)]
    manager: Option<Cow<'a, str>>,
    #[serde(borrow)]
    state: Cow<'a, str>,
    #[serde(default)]
    deletion: Option<StoredDeletion>,
    #[serde(borrow)]
    materials: Vec<MaterialIn<'a>>,
    #[serde(default)]
    tags: Vec<(String, String)>,
    /// Always present in version 1; absent in version 2 for the default policy.
    #[serde(default, borrow)]
    policy: Option<Cow<'a, str>>,
    /// Added after version 1 was first written; absent in older records.
    #[serde(default)]
    rotation_schedule: Option<StoredRotationSchedule>,
    /// Added after version 1 was first written; absent in older records.
    #[serde(default)]
    rotations: Vec<StoredRotation>,
    /// Added in version 2; absent when the key has no grants.
    #[serde(default)]
    grants: Vec<StoredGrant>,
    /// Added in version 2 for multi-Region keys; absent for single-Region keys.
    #[serde(default)]
    multi_region: Option<StoredMultiRegion>,
    /// Added with custom key stores; absent for keys outside them.
    #[serde(default)]
    custom_key_store: Option<StoredKeyStoreLink>,
    /// Added with imported key material; absent for other keys.
    #[serde(default)]
    imported: Vec<StoredImported>,
    /// Added with imported key material; absent when no import parameters are outstanding.
    #[serde(default)]
    import_parameters: Vec<StoredImportParameters>,
}

/// A key's custom key store: the store, and its cluster or external key (one of the two).
#[derive(Serialize, Deserialize)]
struct StoredKeyStoreLink {
    store_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cloud_hsm_cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    xks_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    unavailable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    available_ms: Option<u64>,
}

fn encode_key_store_link(link: &KeyStoreLink) -> StoredKeyStoreLink {
    let (cluster, xks) = match &link.backing {
        KeyBacking::CloudHsmCluster(id) => (Some(id.clone()), None),
        KeyBacking::XksKey(id) => (None, Some(id.clone())),
    };
    StoredKeyStoreLink {
        store_id: link.store_id.clone(),
        cloud_hsm_cluster_id: cluster,
        xks_key_id: xks,
        unavailable: link.unavailable,
        available_ms: link.available_at.map(|t| t.0),
    }
}

fn decode_key_store_link(stored: StoredKeyStoreLink) -> Result<KeyStoreLink, String> {
    let backing = match (stored.cloud_hsm_cluster_id, stored.xks_key_id) {
        (Some(id), None) => KeyBacking::CloudHsmCluster(id),
        (None, Some(id)) => KeyBacking::XksKey(id),
        _ => return Err("a key's custom key store needs a cluster or an external key".into()),
    };
    Ok(KeyStoreLink {
        store_id: stored.store_id,
        backing,
        unavailable: stored.unavailable,
        available_at: stored.available_ms.map(Timestamp),
    })
}

/// An imported key material's import (its secret, when present, is among `materials`).
#[derive(Serialize, Deserialize)]
struct StoredImported {
    id: String,
    state: String,
    imported: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_to_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

/// A wrapping key and its import token, as GetParametersForImport made them.
#[derive(Serialize, Deserialize)]
struct StoredImportParameters {
    token_id: String,
    wrapping_spec: String,
    algorithm: String,
    valid_to_ms: u64,
    kind: String,
    secret: String,
}

/// A multi-Region key's configuration: the primary's region, the replicas' regions, and the
/// end of a transient state (`Creating`, `Updating`) with the state that follows it.
#[derive(Serialize, Deserialize)]
struct StoredMultiRegion {
    primary: String,
    replicas: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    settles_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    settles_to: Option<String>,
}

#[derive(Deserialize)]
struct MaterialIn<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    secret: Cow<'a, str>,
    created_ms: u64,
}

/// A grant; absent members are left out.
#[derive(Serialize, Deserialize)]
struct StoredGrant {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    created_ms: u64,
    grantee: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retiring: Option<String>,
    account: String,
    operations: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    context_subset: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    context_equals: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize)]
struct StoredRotationSchedule {
    period_days: u32,
    next_ms: u64,
}

#[derive(Serialize, Deserialize)]
struct StoredRotation {
    material_id: String,
    date_ms: u64,
    kind: String,
}

#[derive(Serialize, Deserialize)]
struct StoredDeletion {
    date_ms: u64,
    window_days: u32,
}

#[derive(Serialize)]
struct StoredMaterial {
    id: String,
    kind: String,
    secret: String,
    created_ms: u64,
}

/// The clock's offset from system time. Only ever grows.
#[derive(Serialize, Deserialize)]
struct StoredClock {
    v: u32,
    offset_seconds: u64,
}

/// A key's last successful cryptographic operation.
#[derive(Serialize, Deserialize)]
struct StoredUsage {
    v: u32,
    operation: String,
    at_ms: u64,
    request_id: String,
    event_id: Option<String>,
}

/// When kmsd began recording key usage in this data dir.
#[derive(Serialize, Deserialize)]
struct StoredTracking {
    v: u32,
    since_ms: u64,
}

#[derive(Serialize, Deserialize)]
struct StoredAlias {
    v: u32,
    target: String,
    created_ms: u64,
    updated_ms: u64,
}

pub(super) fn key_path(arn: &KeyArn) -> Vec<u8> {
    format!(
        "k/{}/{}/{}",
        arn.scope.account.as_str(),
        arn.scope.region.as_str(),
        arn.key_id
    )
    .into_bytes()
}

pub(super) fn alias_path(scope: &Scope, name: &AliasName) -> Vec<u8> {
    format!(
        "a/{}/{}/{}",
        scope.account.as_str(),
        scope.region.as_str(),
        name.as_str()
    )
    .into_bytes()
}

pub(super) fn encode_key(key: &Key) -> Vec<u8> {
    to_json(&KeyRecordOut {
        v: KEY_VERSION,
        created_ms: key.creation_date.0,
        description: &key.description,
        usage: key.usage.as_str(),
        spec: key.spec.as_str(),
        origin: key.origin.as_str(),
        manager: (key.manager != KeyManager::Customer).then(|| key.manager.as_str()),
        state: key.state.as_str(),
        deletion: key.deletion.map(|d| StoredDeletion {
            date_ms: d.date.0,
            window_days: d.window_days,
        }),
        materials: key
            .materials
            .iter()
            .map(|m| StoredMaterial {
                id: m.id.to_string(),
                kind: m.secret.kind(),
                secret: B64.encode(stored_secret(&m.secret)),
                created_ms: m.created.0,
            })
            .collect(),
        tags: key
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        policy: match &key.policy {
            KeyPolicy::Default => None,
            KeyPolicy::Document(text) => Some(text),
        },
        rotation_schedule: key.rotation.schedule.map(|s| StoredRotationSchedule {
            period_days: s.period_days,
            next_ms: s.next.0,
        }),
        rotations: key
            .rotation
            .history
            .iter()
            .map(|r| StoredRotation {
                material_id: r.material_id.to_string(),
                date_ms: r.date.0,
                kind: r.kind.as_str().to_owned(),
            })
            .collect(),
        grants: key
            .grants
            .iter()
            .map(|g| StoredGrant {
                id: g.id.clone(),
                name: g.name.clone(),
                created_ms: g.creation_date.0,
                grantee: g.grantee.clone(),
                retiring: g.retiring.clone(),
                account: g.issuing_account.as_str().to_owned(),
                operations: g.operations.iter().map(|o| o.as_str().to_owned()).collect(),
                context_subset: g.constraints.as_ref().and_then(|c| c.subset.clone()),
                context_equals: g.constraints.as_ref().and_then(|c| c.equals.clone()),
            })
            .collect(),
        multi_region: key.multi_region.as_ref().map(|m| StoredMultiRegion {
            primary: m.primary.as_str().to_owned(),
            replicas: m.replicas.iter().map(|r| r.as_str().to_owned()).collect(),
            settles_ms: m.settles.map(|s| s.at.0),
            settles_to: m.settles.map(|s| s.state.as_str().to_owned()),
        }),
        custom_key_store: key.custom_key_store.as_deref().map(encode_key_store_link),
        imported: key
            .imports()
            .materials
            .iter()
            .map(|m| StoredImported {
                id: m.id.to_string(),
                state: m.state.as_str().to_owned(),
                imported: m.imported,
                valid_to_ms: m.valid_to.map(|t| t.0),
                description: m.description.clone(),
            })
            .collect(),
        import_parameters: key
            .imports()
            .parameters
            .iter()
            .map(|p| {
                let secret = KeyMaterial::Asymmetric(p.wrapping_key.clone());
                StoredImportParameters {
                    token_id: p.token_id.iter().map(|b| format!("{b:02x}")).collect(),
                    wrapping_spec: p.wrapping_spec.as_str().to_owned(),
                    algorithm: p.algorithm.as_str().to_owned(),
                    valid_to_ms: p.valid_to.0,
                    kind: secret.kind(),
                    secret: B64.encode(stored_secret(&secret)),
                }
            })
            .collect(),
    })
}

pub(super) fn encode_alias(alias: &Alias) -> Vec<u8> {
    to_json(&StoredAlias {
        v: ALIAS_VERSION,
        target: alias.target.as_str().to_owned(),
        created_ms: alias.creation_date.0,
        updated_ms: alias.last_updated.0,
    })
}

fn stored_secret(secret: &KeyMaterial) -> Vec<u8> {
    // Invariant: material in memory was generated or decoded by the crypto layer, so encoding
    // it again as PKCS#8 (or raw bytes) cannot fail.
    #[allow(clippy::expect_used)]
    secret
        .to_stored_bytes()
        .expect("in-memory key material always encodes")
}

pub(super) fn usage_path(arn: &KeyArn) -> Vec<u8> {
    format!(
        "u/{}/{}/{}",
        arn.scope.account.as_str(),
        arn.scope.region.as_str(),
        arn.key_id
    )
    .into_bytes()
}

pub(super) fn encode_usage(usage: &LastUsage) -> Vec<u8> {
    to_json(&StoredUsage {
        v: USAGE_VERSION,
        operation: usage.operation.as_str().to_owned(),
        at_ms: usage.at.0,
        request_id: usage.request_id.clone(),
        event_id: usage.event_id.clone(),
    })
}

pub(super) fn encode_tracking_start(since: Timestamp) -> Vec<u8> {
    to_json(&StoredTracking {
        v: TRACKING_VERSION,
        since_ms: since.0,
    })
}

pub(super) fn encode_clock(offset_seconds: u64) -> Vec<u8> {
    to_json(&StoredClock {
        v: CLOCK_VERSION,
        offset_seconds,
    })
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Invariant: these records hold only strings, integers and vectors of them, which
    // serde_json always serializes.
    #[allow(clippy::expect_used)]
    serde_json::to_vec(value).expect("records always serialize")
}

/// Reads one record.
#[cfg(test)]
pub(super) fn decode(path: &[u8], value: &[u8]) -> Result<Record, Error> {
    Decoder::default().decode(path, value)
}

/// Parses a record of `kind` and checks that its version, as `version` reads it, is one of
/// `known`.
fn parse_versioned<'a, T: Deserialize<'a>>(
    value: &'a [u8],
    kind: &str,
    known: &[u32],
    version: fn(&T) -> u32,
) -> Result<T, String> {
    let stored: T = serde_json::from_slice(value).map_err(|e| e.to_string())?;
    let v = version(&stored);
    if !known.contains(&v) {
        return Err(format!("unsupported {kind} record version {v}"));
    }
    Ok(stored)
}

/// Reads records one after the other. Records come in path order, so consecutive ones mostly
/// share their account and region: the decoder gives them one shared [`Scope`].
#[derive(Default)]
pub(super) struct Decoder {
    scope: Option<Scope>,
}

impl Decoder {
    /// Reads the record `value` stored at `path`.
    pub(super) fn decode(&mut self, path: &[u8], value: &[u8]) -> Result<Record, Error> {
        let corrupt = |reason: String| Error::Corrupt {
            key: String::from_utf8_lossy(path).into_owned(),
            reason,
        };
        if path == CLOCK_PATH {
            let stored = parse_versioned::<StoredClock>(value, "clock", &[CLOCK_VERSION], |s| s.v)
                .map_err(corrupt)?;
            return Ok(Record::ClockOffset(stored.offset_seconds));
        }
        if path == TRACKING_PATH {
            let stored = parse_versioned::<StoredTracking>(
                value,
                "usage tracking",
                &[TRACKING_VERSION],
                |s| s.v,
            )
            .map_err(corrupt)?;
            return Ok(Record::TrackingStart(Timestamp(stored.since_ms)));
        }
        let mut parts = std::str::from_utf8(path).unwrap_or_default().splitn(4, '/');
        let (Some(kind), Some(account), Some(region), Some(name)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(corrupt("unrecognised record path".into()));
        };
        let scope = self.scope(account, region).map_err(|e| corrupt(e.into()))?;
        match kind {
            "k" => {
                // Version 1 records still load; they are rewritten as version 2.
                let stored =
                    parse_versioned::<KeyRecordIn<'_>>(value, "key", &[KEY_VERSION, 1], |s| s.v)
                        .map_err(corrupt)?;
                let key_id = KeyId::parse(name).ok_or_else(|| corrupt("bad key id".into()))?;
                decode_key(stored, KeyArn { scope, key_id })
                    .map(Record::Key)
                    .map_err(corrupt)
            }
            "a" => {
                let stored =
                    parse_versioned::<StoredAlias>(value, "alias", &[ALIAS_VERSION], |s| s.v)
                        .map_err(corrupt)?;
                let target = KeyId::parse(&stored.target)
                    .ok_or_else(|| corrupt("bad alias target".into()))?;
                Ok(Record::Alias(
                    scope,
                    Alias {
                        name: AliasName::new_unchecked(name.to_owned()),
                        target,
                        creation_date: Timestamp(stored.created_ms),
                        last_updated: Timestamp(stored.updated_ms),
                    },
                ))
            }
            "u" => {
                let stored =
                    parse_versioned::<StoredUsage>(value, "usage", &[USAGE_VERSION], |s| s.v)
                        .map_err(corrupt)?;
                let key_id = KeyId::parse(name).ok_or_else(|| corrupt("bad key id".into()))?;
                let operation = UsageOperation::parse(&stored.operation)
                    .ok_or_else(|| corrupt(format!("bad operation {:?}", stored.operation)))?;
                Ok(Record::Usage(
                    KeyArn { scope, key_id },
                    LastUsage {
                        operation,
                        at: Timestamp(stored.at_ms),
                        request_id: stored.request_id,
                        event_id: stored.event_id,
                    },
                ))
            }
            "c" => {
                let stored = parse_versioned::<StoredKeyStore>(
                    value,
                    "custom key store",
                    &[KEY_STORE_VERSION],
                    |s| s.v,
                )
                .map_err(corrupt)?;
                let store = decode_key_store(name, stored).map_err(corrupt)?;
                Ok(Record::KeyStore(scope, store))
            }
            _ => Err(corrupt("unrecognised record kind".into())),
        }
    }

    /// The scope a path names: the previous record's when it is the same.
    fn scope(&mut self, account: &str, region: &str) -> Result<Scope, &'static str> {
        if let Some(scope) = &self.scope
            && scope.account.as_str() == account
            && scope.region.as_str() == region
        {
            return Ok(scope.clone());
        }
        let scope = Scope {
            account: AccountId::parse(account).ok_or("bad account")?,
            region: Region::parse(region).ok_or("bad region")?,
        };
        self.scope = Some(scope.clone());
        Ok(scope)
    }
}

fn decode_grant(stored: StoredGrant) -> Result<Grant, String> {
    let has_constraints = stored.context_subset.is_some() || stored.context_equals.is_some();
    let constraints = has_constraints.then_some(GrantConstraints {
        subset: stored.context_subset,
        equals: stored.context_equals,
    });
    Ok(Grant {
        id: stored.id,
        name: stored.name,
        creation_date: Timestamp(stored.created_ms),
        grantee: stored.grantee,
        retiring: stored.retiring,
        issuing_account: AccountId::parse(&stored.account).ok_or("bad grant account")?,
        operations: stored
            .operations
            .iter()
            .map(|o| GrantOperation::parse(o).ok_or_else(|| format!("bad grant operation {o:?}")))
            .collect::<Result<_, String>>()?,
        constraints,
    })
}

fn decode_key(stored: KeyRecordIn<'_>, arn: KeyArn) -> Result<Key, String> {
    let enum_field = |name: &str, value: &str| format!("bad {name} {value:?}");
    let policy = match stored.policy {
        Some(text) => KeyPolicy::new(&arn.scope.account, text.into_owned()),
        None if stored.v == 1 => return Err("missing field `policy`".into()),
        None => KeyPolicy::Default,
    };
    let materials = stored
        .materials
        .into_iter()
        .map(decode_material)
        .collect::<Result<Arc<[Material]>, String>>()?;
    let history = stored
        .rotations
        .into_iter()
        .map(|r| {
            Ok(RotationRecord {
                material_id: MaterialId(
                    decode_hex32(&r.material_id).ok_or("bad rotation material id")?,
                ),
                date: Timestamp(r.date_ms),
                kind: RotationType::parse(&r.kind)
                    .ok_or_else(|| enum_field("rotation", &r.kind))?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Key {
        arn,
        creation_date: Timestamp(stored.created_ms),
        description: stored.description.into_owned(),
        usage: KeyUsage::parse(&stored.usage).ok_or_else(|| enum_field("usage", &stored.usage))?,
        spec: KeySpec::parse(&stored.spec).ok_or_else(|| enum_field("spec", &stored.spec))?,
        origin: Origin::parse(&stored.origin)
            .ok_or_else(|| enum_field("origin", &stored.origin))?,
        manager: match &stored.manager {
            None => KeyManager::Customer,
            Some(text) => KeyManager::parse(text).ok_or_else(|| enum_field("manager", text))?,
        },
        state: KeyState::parse(&stored.state).ok_or_else(|| enum_field("state", &stored.state))?,
        deletion: stored.deletion.map(|d| Deletion {
            date: Timestamp(d.date_ms),
            window_days: d.window_days,
        }),
        materials,
        tags: stored.tags.into_iter().collect(),
        grants: stored
            .grants
            .into_iter()
            .map(decode_grant)
            .collect::<Result<_, String>>()?,
        policy,
        rotation: KeyRotation {
            schedule: stored.rotation_schedule.map(|s| RotationSchedule {
                period_days: s.period_days,
                next: Timestamp(s.next_ms),
            }),
            history,
        },
        imports: {
            let imports = Imports {
                materials: stored
                    .imported
                    .into_iter()
                    .map(decode_imported)
                    .collect::<Result<_, String>>()?,
                parameters: stored
                    .import_parameters
                    .into_iter()
                    .map(decode_import_parameters)
                    .collect::<Result<_, String>>()?,
            };
            let empty = imports.materials.is_empty() && imports.parameters.is_empty();
            (!empty).then(|| Box::new(imports))
        },
        multi_region: stored
            .multi_region
            .map(decode_multi_region)
            .transpose()?
            .map(Box::new),
        custom_key_store: stored
            .custom_key_store
            .map(decode_key_store_link)
            .transpose()?
            .map(Box::new),
    }
    .with_import_records())
}

impl Key {
    /// An `EXTERNAL` key stored with material but without import records (seeded before
    /// kmsd imported material) gets them: all imported, the last current.
    fn with_import_records(mut self) -> Key {
        if self.origin == Origin::External
            && self.imports().materials.is_empty()
            && !self.materials.is_empty()
        {
            self.imports = Some(Box::new(Imports::all_imported(&self.materials)));
        }
        self
    }
}

fn decode_imported(stored: StoredImported) -> Result<ImportedMaterial, String> {
    Ok(ImportedMaterial {
        id: MaterialId(decode_hex32(&stored.id).ok_or("bad imported material id")?),
        state: KeyMaterialState::parse(&stored.state)
            .ok_or_else(|| format!("bad key material state {:?}", stored.state))?,
        imported: stored.imported,
        valid_to: stored.valid_to_ms.map(Timestamp),
        description: stored.description,
    })
}

fn decode_import_parameters(stored: StoredImportParameters) -> Result<ImportParameters, String> {
    let token = stored.token_id.as_bytes();
    let mut token_id = [0u8; 16];
    if token.len() != 32 {
        return Err("bad import token id".into());
    }
    for (byte, pair) in token_id.iter_mut().zip(token.chunks_exact(2)) {
        let (high, low) = (HEX[usize::from(pair[0])], HEX[usize::from(pair[1])]);
        if (high | low) & 0xf0 != 0 {
            return Err("bad import token id".into());
        }
        *byte = (high << 4) | low;
    }
    let secret = B64
        .decode(stored.secret.as_bytes())
        .map_err(|e| e.to_string())?;
    let KeyMaterial::Asymmetric(wrapping_key) = KeyMaterial::from_stored(&stored.kind, &secret)
        .map_err(|e| format!("wrapping key: {e}"))?
    else {
        return Err("the wrapping key is not a key pair".into());
    };
    Ok(ImportParameters {
        token_id,
        wrapping_key,
        wrapping_spec: WrappingKeySpec::parse(&stored.wrapping_spec)
            .ok_or_else(|| format!("bad wrapping key spec {:?}", stored.wrapping_spec))?,
        algorithm: WrappingAlgorithm::parse(&stored.algorithm)
            .ok_or_else(|| format!("bad wrapping algorithm {:?}", stored.algorithm))?,
        valid_to: Timestamp(stored.valid_to_ms),
    })
}

fn decode_multi_region(stored: StoredMultiRegion) -> Result<MultiRegion, String> {
    let region = |text: &str| Region::parse(text).ok_or_else(|| format!("bad region {text:?}"));
    let settles = match (stored.settles_ms, stored.settles_to) {
        (Some(at), Some(state)) => Some(Settle {
            at: Timestamp(at),
            state: KeyState::parse(&state).ok_or_else(|| format!("bad state {state:?}"))?,
        }),
        _ => None,
    };
    Ok(MultiRegion {
        primary: region(&stored.primary)?,
        replicas: stored
            .replicas
            .iter()
            .map(|r| region(r))
            .collect::<Result<_, String>>()?,
        settles,
    })
}

fn decode_material(stored: MaterialIn<'_>) -> Result<Material, String> {
    let id = decode_hex32(&stored.id).ok_or("bad material id")?;
    // Symmetric secrets (at most 64 bytes) decode without an allocation.
    let mut small = [0u8; 72];
    let large;
    let secret = match B64.decode_slice(stored.secret.as_bytes(), &mut small) {
        Ok(len) => &small[..len],
        Err(_) => {
            large = B64
                .decode(stored.secret.as_bytes())
                .map_err(|e| e.to_string())?;
            &large[..]
        }
    };
    let secret = KeyMaterial::from_stored(&stored.kind, secret)
        .map_err(|e| format!("{} material: {e}", stored.kind))?;
    Ok(Material {
        id: MaterialId(id),
        secret,
        created: Timestamp(stored.created_ms),
    })
}

fn decode_hex32(s: &str) -> Option<[u8; 32]> {
    let digits: &[u8; 64] = s.as_bytes().try_into().ok()?;
    let mut out = [0u8; 32];
    let mut invalid = 0;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (HEX[usize::from(pair[0])], HEX[usize::from(pair[1])]);
        invalid |= high | low;
        *byte = (high << 4) | (low & 0x0f);
    }
    (invalid & 0xf0 == 0).then_some(out)
}

/// The value of each hex digit (either case); 0xff for every other byte.
const HEX: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};
