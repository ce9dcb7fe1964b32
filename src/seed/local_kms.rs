//! local-kms's seed format, read unchanged so that its users can switch images:
//!
//! ```yaml
//! Keys:
//!   Symmetric:
//!     Aes:
//!       - Metadata: {KeyId: ..., Description: ..., Origin: AWS_KMS}
//!         NextKeyRotation: 2026-10-01T12:00:00Z     # optional: rotation is enabled
//!         BackingKeys: [<64 hex>, ...]              # oldest first; the last is current
//!   Asymmetric:
//!     Rsa: [{Metadata: {KeyId, KeyUsage, Description}, PrivateKeyPem: ...}]
//!     Ecc: [{Metadata: {KeyId, KeyUsage, Description}, PrivateKeyPem: ...}]
//! Aliases:
//!   - {AliasName: alias/x, TargetKeyId: ...}
//! ```
//!
//! Keys go to the default account and region. An `EXTERNAL` key with no backing key waits
//! for imported material (`PendingImport`).

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{Problem, aes_material, key_arn, private_key, timestamp};
use crate::crypto::KeyMaterial;
use crate::crypto::asymmetric::KeyPairKind;
use crate::kms::seed::{SeedAlias, SeedKey, SeedPlan};
use crate::model::{AliasName, KeyManager, KeySpec, KeyUsage, Origin, Scope};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct File {
    #[serde(default)]
    keys: Keys,
    #[serde(default)]
    aliases: Vec<Spanned<Alias>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Keys {
    #[serde(default)]
    symmetric: Symmetric,
    #[serde(default)]
    asymmetric: Asymmetric,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Symmetric {
    #[serde(default)]
    aes: Vec<Spanned<AesKey>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Asymmetric {
    #[serde(default)]
    rsa: Vec<Spanned<PemKey>>,
    #[serde(default)]
    ecc: Vec<Spanned<PemKey>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Metadata {
    key_id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    origin: Option<String>,
    #[serde(default)]
    key_usage: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AesKey {
    metadata: Metadata,
    #[serde(default)]
    next_key_rotation: Option<String>,
    #[serde(default)]
    backing_keys: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PemKey {
    metadata: Metadata,
    private_key_pem: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Alias {
    alias_name: String,
    target_key_id: String,
}

pub(super) fn parse(text: &str, home: &Scope) -> Result<SeedPlan, Problem> {
    let file: File = serde_saphyr::from_str(text).map_err(Problem::from_yaml)?;
    let mut plan = SeedPlan::default();
    for entry in &file.keys.symmetric.aes {
        let line = entry.referenced.line();
        let key = &entry.value;
        let origin = match key.metadata.origin.as_deref() {
            None | Some("AWS_KMS") => Origin::AwsKms,
            Some("EXTERNAL") => Origin::External,
            Some(other) => {
                return Err(Problem::at(
                    line,
                    format!("Origin {other:?} is not AWS_KMS or EXTERNAL"),
                ));
            }
        };
        let materials = key
            .backing_keys
            .iter()
            .map(|hex| aes_material(hex, line).map(|m| (None, m)))
            .collect::<Result<Vec<_>, _>>()?;
        let rotation = key
            .next_key_rotation
            .as_deref()
            .map(|date| timestamp(date, line).map(|next| (365, Some(next))))
            .transpose()?;
        plan.keys.push(SeedKey {
            arn: key_arn(home, &key.metadata.key_id, line)?,
            spec: KeySpec::SymmetricDefault,
            usage: Some(KeyUsage::EncryptDecrypt),
            origin,
            manager: KeyManager::Customer,
            description: key.metadata.description.clone().unwrap_or_default(),
            enabled: true,
            materials,
            tags: Vec::new(),
            policy: None,
            rotation,
            multi_region: None,
            imports: Vec::new(),
            custom_key_store: None,
        });
    }
    for (entry, rsa) in file
        .keys
        .asymmetric
        .rsa
        .iter()
        .map(|e| (e, true))
        .chain(file.keys.asymmetric.ecc.iter().map(|e| (e, false)))
    {
        let line = entry.referenced.line();
        let key = &entry.value;
        let material = private_key(key.private_key_pem.as_bytes(), line)?;
        let KeyMaterial::Asymmetric(pair) = &material else {
            return Err(Problem::at(line, "not a private key"));
        };
        let spec = match (pair.kind(), rsa) {
            (KeyPairKind::Rsa(2048), true) => KeySpec::Rsa2048,
            (KeyPairKind::Rsa(3072), true) => KeySpec::Rsa3072,
            (KeyPairKind::Rsa(4096), true) => KeySpec::Rsa4096,
            (KeyPairKind::P256, false) => KeySpec::EccNistP256,
            (KeyPairKind::P384, false) => KeySpec::EccNistP384,
            (KeyPairKind::P521, false) => KeySpec::EccNistP521,
            (KeyPairKind::Secp256k1, false) => KeySpec::EccSecgP256k1,
            (kind, _) => {
                return Err(Problem::at(
                    line,
                    format!(
                        "a {kind:?} key does not belong under {}",
                        if rsa { "Rsa" } else { "Ecc" }
                    ),
                ));
            }
        };
        let usage = match key.metadata.key_usage.as_deref() {
            Some(text) => Some(KeyUsage::parse(text).ok_or_else(|| {
                Problem::at(line, format!("KeyUsage {text:?} is not a key usage"))
            })?),
            None => None,
        };
        plan.keys.push(SeedKey {
            arn: key_arn(home, &key.metadata.key_id, line)?,
            spec,
            usage: usage.or(Some(KeyUsage::SignVerify)),
            origin: Origin::AwsKms,
            manager: KeyManager::Customer,
            description: key.metadata.description.clone().unwrap_or_default(),
            enabled: true,
            materials: vec![(None, material)],
            tags: Vec::new(),
            policy: None,
            rotation: None,
            multi_region: None,
            imports: Vec::new(),
            custom_key_store: None,
        });
    }
    for entry in &file.aliases {
        let line = entry.referenced.line();
        plan.aliases.push(SeedAlias {
            scope: home.clone(),
            name: AliasName::parse(&entry.value.alias_name)
                .map_err(|e| Problem::at(line, e.to_string()))?,
            target: key_arn(home, &entry.value.target_key_id, line)?.key_id,
        });
    }
    Ok(plan)
}
