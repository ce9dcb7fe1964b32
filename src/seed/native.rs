//! kmsd's own seed format, which `kmsd export` also writes:
//!
//! ```yaml
//! Account: "111122223333"      # optional; --account-id by default
//! Region: eu-west-1            # optional; --region by default
//! Keys:
//!   - KeyId: 0b7fb8d4-5b1f-4a8e-9b43-9d0c3f6c1a11
//!     Description: app data     # KeySpec SYMMETRIC_DEFAULT and its usage by default
//!     KeyMaterial: 6b1e...      # hex or base64; or KeyMaterials: past rotations, oldest
//!                               # first: [{Material: <hex>, Id: <64 hex, optional>}, ...]
//!                               # (Origin EXTERNAL: also State, ValidTo, Description, and
//!                               # no Material for material that expired or was deleted)
//!     Enabled: true
//!     Tags: {team: payments}
//!     Rotation: {RotationPeriodInDays: 365}
//!   - KeyId: mrk-1234abcd12ab34cd56ef1234567890ab
//!     KeyMaterial: 9c0f...      # a multi-Region key: the same entry, with the same id and
//!     MultiRegion: {PrimaryRegion: eu-west-1, ReplicaRegions: [us-east-1]}  # material, in
//!                               # each related region's scope
//!   - KeyId: ...
//!     KeySpec: ECC_NIST_P256
//!     KeyUsage: SIGN_VERIFY
//!     PrivateKeyPem: |          # or PrivateKeyDer: <base64 PKCS#8>
//!       -----BEGIN PRIVATE KEY-----
//!   - KeyId: 3c1d...
//!     Origin: AWS_CLOUDHSM      # or EXTERNAL_KEY_STORE with XksKeyId: <external key id>
//!     CustomKeyStoreId: cks-1234567890abcdef0   # one of this scope's CustomKeyStores
//!     KeyMaterial: 5e2a...
//! CustomKeyStores:              # emulated; CreateCustomKeyStore's fields, secrets included
//!   - {CustomKeyStoreId: cks-1234567890abcdef0, CustomKeyStoreName: hsm,
//!      CloudHsmClusterId: cluster-234567abcdefg, TrustAnchorCertificate: ...,
//!      KeyStorePassword: ..., ConnectionState: CONNECTED}  # DISCONNECTED by default
//! Aliases:
//!   - {AliasName: alias/app, TargetKeyId: 0b7fb8d4-5b1f-4a8e-9b43-9d0c3f6c1a11}
//! Scopes:                       # more accounts and regions, same fields
//!   - {Account: "222233334444", Region: us-west-2, Keys: [...], Aliases: [...]}
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::{Problem, aes_material, key_arn, private_key, scope, symmetric_bytes, timestamp};
use crate::crypto::KeyMaterial;
use crate::crypto::asymmetric::to_pem;
use crate::kms::Kms;
use crate::kms::seed::{InKeyStore, SeedAlias, SeedImport, SeedKey, SeedKeyStore, SeedPlan};
use crate::model::{
    AccountId, AliasName, AliasNameError, AwsEnum, Connection, ConnectionErrorCode,
    ConnectionState, CustomKeyStore, CustomKeyStoreType, Key, KeyArn, KeyBacking, KeyManager,
    KeyMaterialState, KeySpec, KeyState, KeyStoreKind, KeyUsage, MaterialId, MultiRegion, Origin,
    Region, Scope, Timestamp, XksProxy, XksProxyConnectivity, is_key_store_id,
};

/// The file: its own scope's fields (not `#[serde(flatten)]`ed from `ScopeSection`, because
/// flattening reads values without type hints and digit-only hex would become a number), and
/// more scopes.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct File {
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    custom_key_stores: Vec<Spanned<KeyStoreEntry>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    keys: Vec<Spanned<SeedKeyEntry>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<Spanned<AliasEntry>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<ScopeSection>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct ScopeSection {
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    custom_key_stores: Vec<Spanned<KeyStoreEntry>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    keys: Vec<Spanned<SeedKeyEntry>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<Spanned<AliasEntry>>,
}

/// A custom key store (emulated), with the fields of CreateCustomKeyStore and the connection
/// state it comes up in. The password and the proxy's secret are in the file, as they must be
/// for the store to be re-created.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct KeyStoreEntry {
    custom_key_store_id: String,
    custom_key_store_name: String,
    /// `AWS_CLOUDHSM` (the default) or `EXTERNAL_KEY_STORE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_key_store_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud_hsm_cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trust_anchor_certificate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_store_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xks_proxy_uri_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xks_proxy_uri_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xks_proxy_connectivity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xks_proxy_vpc_endpoint_service_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xks_proxy_vpc_endpoint_service_owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    xks_proxy_authentication_credential: Option<CredentialEntry>,
    /// `CONNECTED`, `DISCONNECTED` (the default) or `FAILED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_state: Option<String>,
    /// Why a `FAILED` store failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_date: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct CredentialEntry {
    access_key_id: String,
    raw_secret_access_key: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct SeedKeyEntry {
    key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_spec: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_usage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_manager: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_material: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_materials: Option<Vec<MaterialEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_key_pem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_key_der: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation: Option<RotationEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multi_region: Option<MultiRegionEntry>,
    /// The custom key store it lives in: one of `CustomKeyStores` of its scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_key_store_id: Option<String>,
    /// Its external key, in an external key store.
    #[serde(skip_serializing_if = "Option::is_none")]
    xks_key_id: Option<String>,
}

/// A multi-Region key's related keys: the primary's region and the replicas'. Each related key
/// is an entry of its own region, with the same id and material.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct MultiRegionEntry {
    primary_region: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    replica_regions: Vec<String>,
}

/// One version of symmetric or HMAC material in `KeyMaterials` (for an `EXTERNAL` key also a
/// key pair's DER PKCS#8, and how it was imported). Fields are read as strings, so hex made
/// only of digits keeps its leading zeros.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct MaterialEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    /// Absent for imported material that expired or was deleted (then `Id` is required).
    #[serde(skip_serializing_if = "Option::is_none")]
    material: Option<String>,
    /// `CURRENT`, `NON_CURRENT` or `PENDING_ROTATION` (imported material only).
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    /// When imported material expires (ISO-8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_to: Option<String>,
    /// `KeyMaterialDescription` (imported material only).
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct RotationEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation_period_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_rotation_date: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct AliasEntry {
    alias_name: String,
    target_key_id: String,
}

pub(super) fn parse(text: &str, home: &Scope) -> Result<SeedPlan, Problem> {
    let file: File = serde_saphyr::from_str(text).map_err(Problem::from_yaml)?;
    if let Some(version) = file.version.filter(|v| *v != 1) {
        return Err(Problem {
            line: None,
            reason: format!("Version {version} is not a seed format kmsd knows (1)"),
        });
    }
    let mut plan = SeedPlan::default();
    let own = ScopeSection {
        account: file.account,
        region: file.region,
        custom_key_stores: file.custom_key_stores,
        keys: file.keys,
        aliases: file.aliases,
    };
    let mut sections = Vec::new();
    for section in std::iter::once(own).chain(file.scopes) {
        let scope = scope(
            home,
            section.account.as_deref(),
            section.region.as_deref(),
            1,
        )?;
        for entry in &section.custom_key_stores {
            plan.key_stores
                .push(key_store(&scope, &entry.value, entry.referenced.line())?);
        }
        sections.push((scope, section));
    }
    for (scope, section) in sections {
        for entry in section.keys {
            let line = entry.referenced.line();
            let mut seeded = key(&scope, &entry.value, line)?;
            if let Some(id) = &entry.value.custom_key_store_id {
                let store = plan
                    .key_stores
                    .iter()
                    .find(|s| s.scope == scope && s.store.id == *id)
                    .ok_or_else(|| {
                        Problem::at(
                            line,
                            format!(
                                "CustomKeyStoreId {id} is not one of the CustomKeyStores of \
                                 account {} in {}",
                                scope.account.as_str(),
                                scope.region.as_str()
                            ),
                        )
                    })?;
                let expected = match store.store.kind {
                    KeyStoreKind::CloudHsm { .. } => Origin::AwsCloudhsm,
                    KeyStoreKind::External(_) => Origin::ExternalKeyStore,
                };
                if seeded.origin != expected {
                    return Err(Problem::at(
                        line,
                        format!(
                            "a key in custom key store {id} ({}) has Origin {expected}",
                            store.store.store_type()
                        ),
                    ));
                }
                seeded.custom_key_store = Some(InKeyStore {
                    store_id: id.clone(),
                    xks_key_id: entry.value.xks_key_id.clone(),
                });
            } else if entry.value.xks_key_id.is_some() {
                return Err(Problem::at(
                    line,
                    "XksKeyId is for a key in an external key store (CustomKeyStoreId)",
                ));
            } else if matches!(
                seeded.origin,
                Origin::AwsCloudhsm | Origin::ExternalKeyStore
            ) {
                return Err(Problem::at(
                    line,
                    format!(
                        "a key with Origin {} lives in a custom key store: give its \
                         CustomKeyStoreId",
                        seeded.origin
                    ),
                ));
            }
            plan.keys.push(seeded);
        }
        for entry in section.aliases {
            let line = entry.referenced.line();
            // `alias/aws/...` aliases belong to AWS managed keys, which a seed may declare.
            let name = match AliasName::parse(&entry.value.alias_name) {
                Ok(name) => name,
                Err(AliasNameError::Reserved) => {
                    AliasName::new_unchecked(entry.value.alias_name.clone())
                }
                Err(error) => return Err(Problem::at(line, error.to_string())),
            };
            plan.aliases.push(SeedAlias {
                target: key_arn(&scope, &entry.value.target_key_id, line)?.key_id,
                scope: scope.clone(),
                name,
            });
        }
    }
    Ok(plan)
}

fn enum_value<E: AwsEnum>(
    field: &str,
    text: Option<&str>,
    line: u64,
) -> Result<Option<E>, Problem> {
    text.map(|t| {
        E::parse(t).ok_or_else(|| {
            let allowed: Vec<&str> = E::ALL.iter().map(|e| e.as_str()).collect();
            Problem::at(
                line,
                format!("{field} {t:?} is not one of {}", allowed.join(", ")),
            )
        })
    })
    .transpose()
}

fn key(scope: &Scope, entry: &SeedKeyEntry, line: u64) -> Result<SeedKey, Problem> {
    let arn = key_arn(scope, &entry.key_id, line)?;
    let spec = enum_value::<KeySpec>("KeySpec", entry.key_spec.as_deref(), line)?
        .unwrap_or(KeySpec::SymmetricDefault);
    let usage = enum_value::<KeyUsage>("KeyUsage", entry.key_usage.as_deref(), line)?;
    let origin =
        enum_value::<Origin>("Origin", entry.origin.as_deref(), line)?.unwrap_or(Origin::AwsKms);
    let manager = enum_value::<KeyManager>("KeyManager", entry.key_manager.as_deref(), line)?
        .unwrap_or(KeyManager::Customer);
    let mut materials = Vec::new();
    let mut imports = Vec::new();
    let one;
    let symmetric: Option<&[MaterialEntry]> = match (&entry.key_material, &entry.key_materials) {
        (Some(text), None) => {
            one = [MaterialEntry {
                material: Some(text.clone()),
                ..MaterialEntry::default()
            }];
            Some(&one)
        }
        (None, Some(all)) => Some(all),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(Problem::at(
                line,
                "give KeyMaterial or KeyMaterials, not both",
            ));
        }
    };
    let external = origin == Origin::External;
    match (symmetric, &entry.private_key_pem, &entry.private_key_der) {
        (Some(entries), None, None) => {
            for m in entries {
                let id =
                    m.id.as_deref()
                        .map(|id| material_id(id, line))
                        .transpose()?;
                let index = match &m.material {
                    Some(text) => {
                        let material = match spec {
                            KeySpec::SymmetricDefault => aes_material(text, line)?,
                            _ if spec.hmac_key_len().is_some() => {
                                KeyMaterial::Hmac(symmetric_bytes(text, line)?)
                            }
                            // A key pair's DER PKCS#8, as export writes imported key pairs.
                            _ => private_key(&symmetric_bytes(text, line)?, line)?,
                        };
                        materials.push((id, material));
                        Some(materials.len() - 1)
                    }
                    None if external => None,
                    None => return Err(Problem::at(line, "a material needs its Material")),
                };
                let state = enum_value::<KeyMaterialState>("State", m.state.as_deref(), line)?;
                let valid_to = m
                    .valid_to
                    .as_deref()
                    .map(|d| timestamp(d, line))
                    .transpose()?;
                if !external && (state.is_some() || valid_to.is_some() || m.description.is_some()) {
                    return Err(Problem::at(
                        line,
                        "State, ValidTo and Description are for imported material (Origin \
                         EXTERNAL)",
                    ));
                }
                imports.push(SeedImport {
                    id,
                    material: index,
                    state,
                    valid_to,
                    description: m.description.clone(),
                });
            }
        }
        (None, Some(pem), None) => materials.push((None, private_key(pem.as_bytes(), line)?)),
        (None, None, Some(der)) => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(der.trim())
                .map_err(|_| Problem::at(line, "PrivateKeyDer must be base64"))?;
            materials.push((None, private_key(&bytes, line)?));
        }
        (None, None, None) => {}
        _ => {
            return Err(Problem::at(
                line,
                "give one of KeyMaterial(s), PrivateKeyPem and PrivateKeyDer",
            ));
        }
    }
    let rotation = match &entry.rotation {
        Some(r) if r.enabled != Some(false) => Some((
            r.rotation_period_in_days.unwrap_or(365),
            r.next_rotation_date
                .as_deref()
                .map(|d| timestamp(d, line))
                .transpose()?,
        )),
        _ => None,
    };
    let multi_region = entry
        .multi_region
        .as_ref()
        .map(|m| multi_region(&arn, m, line))
        .transpose()?;
    Ok(SeedKey {
        multi_region,
        arn,
        spec,
        usage,
        origin,
        manager,
        description: entry.description.clone().unwrap_or_default(),
        enabled: entry.enabled.unwrap_or(true),
        materials,
        tags: entry.tags.clone().unwrap_or_default().into_iter().collect(),
        policy: entry.policy.clone(),
        rotation,
        imports: if external { imports } else { Vec::new() },
        custom_key_store: None,
    })
}

/// A `CustomKeyStores` entry: its id, name, type and the type's settings, checked as
/// CreateCustomKeyStore checks them, and its connection state.
fn key_store(scope: &Scope, entry: &KeyStoreEntry, line: u64) -> Result<SeedKeyStore, Problem> {
    let id = &entry.custom_key_store_id;
    if !is_key_store_id(id) {
        return Err(Problem::at(
            line,
            format!("CustomKeyStoreId {id:?} is not cks- and 17 hex digits"),
        ));
    }
    let name = &entry.custom_key_store_name;
    if name.is_empty() || name.chars().count() > 256 {
        return Err(Problem::at(
            line,
            "CustomKeyStoreName must be 1 to 256 characters long",
        ));
    }
    let store_type = enum_value::<CustomKeyStoreType>(
        "CustomKeyStoreType",
        entry.custom_key_store_type.as_deref(),
        line,
    )?
    .unwrap_or(CustomKeyStoreType::AwsCloudhsm);
    let required = |field: &str, value: &Option<String>| {
        value.clone().ok_or_else(|| {
            Problem::at(
                line,
                format!("a custom key store of type {store_type} needs {field}"),
            )
        })
    };
    let kind = match store_type {
        CustomKeyStoreType::AwsCloudhsm => {
            let xks = entry.xks_proxy_uri_endpoint.is_some()
                || entry.xks_proxy_uri_path.is_some()
                || entry.xks_proxy_connectivity.is_some()
                || entry.xks_proxy_vpc_endpoint_service_name.is_some()
                || entry.xks_proxy_vpc_endpoint_service_owner.is_some()
                || entry.xks_proxy_authentication_credential.is_some();
            if xks {
                return Err(Problem::at(
                    line,
                    "XksProxy settings are for an EXTERNAL_KEY_STORE custom key store",
                ));
            }
            KeyStoreKind::CloudHsm {
                cluster_id: required("CloudHsmClusterId", &entry.cloud_hsm_cluster_id)?,
                trust_anchor: required("TrustAnchorCertificate", &entry.trust_anchor_certificate)?,
                password: required("KeyStorePassword", &entry.key_store_password)?,
            }
        }
        CustomKeyStoreType::ExternalKeyStore => {
            if entry.cloud_hsm_cluster_id.is_some()
                || entry.trust_anchor_certificate.is_some()
                || entry.key_store_password.is_some()
            {
                return Err(Problem::at(
                    line,
                    "CloudHsmClusterId, TrustAnchorCertificate and KeyStorePassword are for an \
                     AWS_CLOUDHSM custom key store",
                ));
            }
            let connectivity = enum_value::<XksProxyConnectivity>(
                "XksProxyConnectivity",
                entry.xks_proxy_connectivity.as_deref(),
                line,
            )?
            .ok_or_else(|| {
                Problem::at(
                    line,
                    format!("a custom key store of type {store_type} needs XksProxyConnectivity"),
                )
            })?;
            let credential = entry
                .xks_proxy_authentication_credential
                .as_ref()
                .ok_or_else(|| {
                    Problem::at(
                        line,
                        format!(
                            "a custom key store of type {store_type} needs \
                             XksProxyAuthenticationCredential"
                        ),
                    )
                })?;
            KeyStoreKind::External(XksProxy {
                uri_endpoint: required("XksProxyUriEndpoint", &entry.xks_proxy_uri_endpoint)?,
                uri_path: required("XksProxyUriPath", &entry.xks_proxy_uri_path)?,
                connectivity,
                vpc_endpoint_service_name: entry.xks_proxy_vpc_endpoint_service_name.clone(),
                vpc_endpoint_service_owner: entry.xks_proxy_vpc_endpoint_service_owner.clone(),
                access_key_id: credential.access_key_id.clone(),
                secret_access_key: credential.raw_secret_access_key.clone(),
            })
        }
    };
    kind.check()
        .map_err(|why| Problem::at(line, format!("custom key store {id}: {why}")))?;
    let state =
        enum_value::<ConnectionState>("ConnectionState", entry.connection_state.as_deref(), line)?
            .unwrap_or(ConnectionState::Disconnected);
    let code = enum_value::<ConnectionErrorCode>(
        "ConnectionErrorCode",
        entry.connection_error_code.as_deref(),
        line,
    )?;
    let connection = match (state, code) {
        (ConnectionState::Connected, None) => Connection::Connected {
            since: Timestamp(0),
            failure: None,
        },
        (ConnectionState::Disconnected, None) => Connection::Disconnected(None),
        (ConnectionState::Failed, Some(code)) => Connection::Connected {
            since: Timestamp(0),
            failure: Some(code),
        },
        (ConnectionState::Failed, None) => {
            return Err(Problem::at(
                line,
                "a FAILED custom key store needs its ConnectionErrorCode",
            ));
        }
        (ConnectionState::Connected | ConnectionState::Disconnected, Some(_)) => {
            return Err(Problem::at(
                line,
                "ConnectionErrorCode is for a FAILED custom key store",
            ));
        }
        (other, _) => {
            return Err(Problem::at(
                line,
                format!(
                    "ConnectionState {other} is not one a store is seeded in: CONNECTED, \
                     DISCONNECTED or FAILED"
                ),
            ));
        }
    };
    let created = entry
        .creation_date
        .as_deref()
        .map(|d| timestamp(d, line))
        .transpose()?;
    Ok(SeedKeyStore {
        scope: scope.clone(),
        store: CustomKeyStore {
            id: id.clone(),
            name: name.clone(),
            created: created.unwrap_or(Timestamp(0)),
            kind,
            connection,
            fail_next_connect: None,
        },
        created,
    })
}

/// A `MultiRegion` entry for the key `arn`: its id is an `mrk-` id, and its own region is the
/// primary's or a replica's.
fn multi_region(arn: &KeyArn, entry: &MultiRegionEntry, line: u64) -> Result<MultiRegion, Problem> {
    if !arn.key_id.is_multi_region() {
        return Err(Problem::at(line, "a multi-Region key has an mrk- key id"));
    }
    let region = |text: &str| {
        Region::parse(text).ok_or_else(|| Problem::at(line, format!("{text:?} is not a region")))
    };
    let primary = region(&entry.primary_region)?;
    let replicas = entry
        .replica_regions
        .iter()
        .map(|r| region(r))
        .collect::<Result<Vec<_>, Problem>>()?;
    let own = &arn.scope.region;
    if *own != primary && !replicas.contains(own) {
        return Err(Problem::at(
            line,
            format!(
                "MultiRegion lists neither {} as PrimaryRegion nor among ReplicaRegions",
                own.as_str()
            ),
        ));
    }
    Ok(MultiRegion {
        primary,
        replicas,
        settles: None,
    })
}

fn material_id(text: &str, line: u64) -> Result<MaterialId, Problem> {
    let bytes = symmetric_bytes(text, line)?;
    bytes
        .try_into()
        .map(MaterialId)
        .map_err(|_| Problem::at(line, "a material Id is 64 hex digits"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The materials of a key with imported material, in import order: each with its id, state,
/// expiry and description, and its secret (hex; DER PKCS#8 for a key pair) unless it expired
/// or was deleted.
fn imported_entries(key: &Key) -> Result<Vec<MaterialEntry>, String> {
    key.imports()
        .materials
        .iter()
        .map(|m| {
            let material = match key.material(&m.id) {
                Some(present) => Some(hex(&present
                    .secret
                    .to_stored_bytes()
                    .map_err(|e| e.to_string())?)),
                None => None,
            };
            Ok(MaterialEntry {
                id: Some(m.id.to_string()),
                material,
                state: Some(m.state.as_str().to_owned()),
                valid_to: m.valid_to.map(|t| t.rfc3339()),
                description: m.description.clone(),
            })
        })
        .collect()
}

/// A store as `kmsd export` writes it, secrets included, in the state it settles in: a
/// connecting store as `CONNECTED`, a disconnecting one as `DISCONNECTED`.
fn key_store_entry(store: &CustomKeyStore, state: ConnectionState) -> KeyStoreEntry {
    let (state, code) = match state {
        ConnectionState::Connected | ConnectionState::Connecting => {
            (ConnectionState::Connected, None)
        }
        ConnectionState::Failed => (
            state,
            match store.connection {
                Connection::Connected { failure, .. } => failure,
                Connection::Disconnected(_) => None,
            },
        ),
        ConnectionState::Disconnected | ConnectionState::Disconnecting => {
            (ConnectionState::Disconnected, None)
        }
    };
    let mut entry = KeyStoreEntry {
        custom_key_store_id: store.id.clone(),
        custom_key_store_name: store.name.clone(),
        custom_key_store_type: Some(store.store_type().as_str().to_owned()),
        connection_state: Some(state.as_str().to_owned()),
        connection_error_code: code.map(|c| c.as_str().to_owned()),
        creation_date: Some(store.created.rfc3339()),
        ..KeyStoreEntry::default()
    };
    match &store.kind {
        KeyStoreKind::CloudHsm {
            cluster_id,
            trust_anchor,
            password,
        } => {
            entry.cloud_hsm_cluster_id = Some(cluster_id.clone());
            entry.trust_anchor_certificate = Some(trust_anchor.clone());
            entry.key_store_password = Some(password.clone());
        }
        KeyStoreKind::External(proxy) => {
            entry.xks_proxy_uri_endpoint = Some(proxy.uri_endpoint.clone());
            entry.xks_proxy_uri_path = Some(proxy.uri_path.clone());
            entry.xks_proxy_connectivity = Some(proxy.connectivity.as_str().to_owned());
            entry.xks_proxy_vpc_endpoint_service_name = proxy.vpc_endpoint_service_name.clone();
            entry.xks_proxy_vpc_endpoint_service_owner = proxy.vpc_endpoint_service_owner.clone();
            entry.xks_proxy_authentication_credential = Some(CredentialEntry {
                access_key_id: proxy.access_key_id.clone(),
                raw_secret_access_key: proxy.secret_access_key.clone(),
            });
        }
    }
    entry
}

/// Which keys and aliases `kmsd export` writes: those of one account, one region, or both
/// (every one when neither is given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    /// Only this account's.
    pub account: Option<AccountId>,
    /// Only this region's.
    pub region: Option<Region>,
}

impl ExportFilter {
    fn includes(&self, scope: &Scope) -> bool {
        self.account.as_ref().is_none_or(|a| *a == scope.account)
            && self.region.as_ref().is_none_or(|r| *r == scope.region)
    }
}

/// Writes every key and alias that `filter` includes as a seed file that re-creates them
/// exactly: same ids, same material and material ids, so old ciphertexts decrypt and public
/// keys stay the same.
pub fn export(kms: &Kms, filter: &ExportFilter) -> Result<String, String> {
    let snapshot = kms.snapshot();
    let mut sections: BTreeMap<Scope, ScopeSection> = BTreeMap::new();
    for (scope, store, state) in snapshot
        .key_stores
        .iter()
        .filter(|(s, _, _)| filter.includes(s))
    {
        sections
            .entry(scope.clone())
            .or_default()
            .custom_key_stores
            .push(Spanned::new(
                key_store_entry(store, *state),
                serde_saphyr::Location::UNKNOWN,
                serde_saphyr::Location::UNKNOWN,
            ));
    }
    for key in snapshot
        .keys
        .iter()
        .filter(|k| filter.includes(&k.arn.scope))
    {
        let section = sections.entry(key.arn.scope.clone()).or_default();
        let mut entry = SeedKeyEntry {
            key_id: key.arn.key_id.to_string(),
            description: (!key.description.is_empty()).then(|| key.description.clone()),
            key_spec: Some(key.spec.as_str().to_owned()),
            key_usage: Some(key.usage.as_str().to_owned()),
            origin: (key.origin != Origin::AwsKms).then(|| key.origin.as_str().to_owned()),
            key_manager: (key.manager != KeyManager::Customer)
                .then(|| key.manager.as_str().to_owned()),
            enabled: (key.state == KeyState::Disabled).then_some(false),
            tags: (!key.tags.is_empty()).then(|| key.tags.clone()),
            policy: Some(key.policy_text().into_owned()),
            rotation: key.rotation.schedule.map(|s| RotationEntry {
                enabled: None,
                rotation_period_in_days: Some(s.period_days),
                next_rotation_date: Some(s.next.rfc3339()),
            }),
            multi_region: key.multi_region.as_ref().map(|m| MultiRegionEntry {
                primary_region: m.primary.as_str().to_owned(),
                replica_regions: m.replicas.iter().map(|r| r.as_str().to_owned()).collect(),
            }),
            custom_key_store_id: key.custom_key_store.as_ref().map(|l| l.store_id.clone()),
            xks_key_id: key
                .custom_key_store
                .as_ref()
                .and_then(|l| match &l.backing {
                    KeyBacking::XksKey(id) => Some(id.clone()),
                    KeyBacking::CloudHsmCluster(_) => None,
                }),
            ..SeedKeyEntry::default()
        };
        if key.origin == Origin::External && !key.imports().materials.is_empty() {
            entry.key_materials = Some(imported_entries(key)?);
            section.keys.push(Spanned::new(
                entry,
                serde_saphyr::Location::UNKNOWN,
                serde_saphyr::Location::UNKNOWN,
            ));
            continue;
        }
        match key.materials.first().map(|m| &m.secret) {
            Some(KeyMaterial::Asymmetric(pair)) => {
                entry.private_key_pem = Some(to_pem(pair).map_err(|e| e.to_string())?);
            }
            Some(_) => {
                let mut list = Vec::new();
                for m in key.materials.iter() {
                    let secret = m.secret.to_stored_bytes().map_err(|e| e.to_string())?;
                    list.push(MaterialEntry {
                        id: Some(m.id.to_string()),
                        material: Some(hex(&secret)),
                        ..MaterialEntry::default()
                    });
                }
                entry.key_materials = Some(list);
            }
            None => {}
        }
        section.keys.push(Spanned::new(
            entry,
            serde_saphyr::Location::UNKNOWN,
            serde_saphyr::Location::UNKNOWN,
        ));
    }
    for (scope, alias) in snapshot.aliases.iter().filter(|(s, _)| filter.includes(s)) {
        sections
            .entry(scope.clone())
            .or_default()
            .aliases
            .push(Spanned::new(
                AliasEntry {
                    alias_name: alias.name.as_str().to_owned(),
                    target_key_id: alias.target.to_string(),
                },
                serde_saphyr::Location::UNKNOWN,
                serde_saphyr::Location::UNKNOWN,
            ));
    }
    let scopes = sections
        .into_iter()
        .map(|(scope, mut section)| {
            section.account = Some(scope.account.as_str().to_owned());
            section.region = Some(scope.region.as_str().to_owned());
            section
        })
        .collect();
    let file = File {
        version: Some(1),
        scopes,
        ..File::default()
    };
    let body = serde_saphyr::to_string(&file).map_err(|e| e.to_string())?;
    Ok(format!(
        "# kmsd seed file, written by `kmsd export`. It holds key material: keep it secret.\n{body}"
    ))
}
