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
use crate::kms::seed::{SeedAlias, SeedImport, SeedKey, SeedPlan};
use crate::model::{
    AccountId, AliasName, AliasNameError, AwsEnum, Key, KeyArn, KeyManager, KeyMaterialState,
    KeySpec, KeyState, KeyUsage, MaterialId, MultiRegion, Origin, Region, Scope,
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
    keys: Vec<Spanned<SeedKeyEntry>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<Spanned<AliasEntry>>,
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
        keys: file.keys,
        aliases: file.aliases,
    };
    for section in std::iter::once(own).chain(file.scopes) {
        let scope = scope(
            home,
            section.account.as_deref(),
            section.region.as_deref(),
            1,
        )?;
        for entry in section.keys {
            plan.keys
                .push(key(&scope, &entry.value, entry.referenced.line())?);
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
