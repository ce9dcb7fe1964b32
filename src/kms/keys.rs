//! Key lifecycle: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
//! UpdateKeyDescription, ScheduleKeyDeletion and CancelKeyDeletion.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::model::{
    Deletion, Key, KeyArn, KeyId, KeyPolicy, KeyRef, KeyRotation, KeySpec, KeyState, KeyUsage,
    Material, MaterialId, Origin, Scope,
};
use super::resolve::Access;
use super::{Error, Kms, Page, Result, paginate, policies, rotation, tags};
use crate::crypto::asymmetric::{AsymmetricKey, KeyPairKind};
use crate::crypto::{self, KeyMaterial};

/// What CreateKey was asked for, already parsed into domain types.
#[derive(Debug, Default)]
pub struct CreateKey {
    /// `Description`.
    pub description: Option<String>,
    /// `KeyUsage`.
    pub usage: Option<KeyUsage>,
    /// `KeySpec` (or the deprecated `CustomerMasterKeySpec`).
    pub spec: Option<KeySpec>,
    /// `Origin`.
    pub origin: Option<Origin>,
    /// `Policy`.
    pub policy: Option<String>,
    /// `Tags`, in request order.
    pub tags: Vec<(String, String)>,
    /// `MultiRegion`.
    pub multi_region: bool,
    /// `CustomKeyStoreId`.
    pub custom_key_store_id: Option<String>,
}

/// Default and bounds of ScheduleKeyDeletion's `PendingWindowInDays`.
const PENDING_WINDOW_DEFAULT: u32 = 30;
const PENDING_WINDOW_RANGE: std::ops::RangeInclusive<u32> = 7..=30;

/// ListKeys's default page size.
pub const LIST_KEYS_DEFAULT_LIMIT: usize = 100;

impl Kms {
    /// CreateKey.
    pub fn create_key(&self, caller: &Scope, request: CreateKey) -> Result<Arc<Key>> {
        let spec = request.spec.unwrap_or(KeySpec::SymmetricDefault);
        let usage = match (request.usage, spec) {
            (Some(usage), _) => usage,
            (None, KeySpec::SymmetricDefault) => KeyUsage::EncryptDecrypt,
            (None, _) => {
                return Err(Error::Validation(
                    "You must specify a KeyUsage value for all KMS keys except for symmetric \
                     encryption keys."
                        .into(),
                ));
            }
        };
        check_spec_and_usage(spec, usage)?;
        let origin = request.origin.unwrap_or(Origin::AwsKms);
        if origin != Origin::AwsKms || request.custom_key_store_id.is_some() {
            return Err(Error::Unsupported(format!(
                "Origin {origin} and custom key stores are not supported by kmsd yet."
            )));
        }
        if request.multi_region {
            return Err(Error::Unsupported(
                "Multi-Region keys are not supported by kmsd yet.".into(),
            ));
        }
        if let Some(policy) = &request.policy {
            policies::check_policy(policy)?;
        }
        let mut request = request;
        let custom = LocalStackTags::take(&mut request.tags);
        let mut key_tags = BTreeMap::new();
        tags::merge_tags(&mut key_tags, request.tags)?;

        let key_id = match &custom.key_id {
            Some(id) => KeyId::parse(id).ok_or_else(|| {
                Error::Validation(format!(
                    "The _custom_id_ tag {id:?} must be a lowercase UUID or an mrk- key id."
                ))
            })?,
            None => KeyId::generate(),
        };
        let (secret, material_id) = match &custom.key_material {
            Some(encoded) => {
                let secret = custom_material(spec, encoded)?;
                let id = super::seed::derived_material_id(key_id.as_str(), &secret);
                (secret, id)
            }
            None => (
                self.generate_material(spec)?,
                MaterialId(crypto::random_array()),
            ),
        };
        let now = self.clock.now();
        let arn = KeyArn {
            scope: self.state().shared_scope(caller),
            key_id,
        };
        let key = Key {
            policy: request.policy.map_or(KeyPolicy::Default, |text| {
                KeyPolicy::new(&caller.account, text)
            }),
            creation_date: now,
            description: request.description.unwrap_or_default(),
            usage,
            spec,
            origin,
            state: KeyState::Enabled,
            deletion: None,
            materials: Arc::new([Material {
                id: material_id,
                secret,
                created: now,
            }]),
            tags: key_tags,
            arn,
            rotation: KeyRotation::default(),
            grants: Vec::new(),
        };
        self.mutate(|state, changes| {
            if state
                .partition(caller)
                .is_some_and(|p| p.keys.contains_key(&key.arn.key_id))
            {
                return Err(Error::Validation(format!(
                    "A key with the id {} already exists.",
                    key.arn.key_id
                )));
            }
            Ok(changes.put_key(key))
        })
    }

    /// Fresh key material for a new key of `spec`. RSA keys come from the pool when it has one.
    fn generate_material(&self, spec: KeySpec) -> Result<KeyMaterial> {
        if let Some(len) = spec.hmac_key_len() {
            return Ok(KeyMaterial::generate_hmac(len));
        }
        Ok(match spec {
            KeySpec::SymmetricDefault => KeyMaterial::generate_aes256(),
            _ => {
                let kind = key_pair_kind(spec).ok_or_else(|| {
                    Error::Unsupported(format!("KeySpec {spec} is not supported by kmsd."))
                })?;
                let key = match kind {
                    KeyPairKind::Rsa(bits) => self.rsa_pool.take(bits),
                    _ => AsymmetricKey::generate(kind),
                }
                .map_err(Error::Crypto)?;
                KeyMaterial::Asymmetric(Arc::new(key))
            }
        })
    }

    /// DescribeKey. Works in every key state and across accounts.
    pub fn describe_key(&self, caller: &Scope, key_ref: &KeyRef) -> Result<Arc<Key>> {
        self.read().resolve(caller, key_ref, Access::CrossAccount)
    }

    /// ListKeys: the caller's keys in key id order. The marker is the last key id returned.
    pub fn list_keys(
        &self,
        caller: &Scope,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Page<KeyArn>> {
        let after = marker
            .map(|m| KeyId::parse(m).ok_or_else(|| Error::InvalidMarker(m.to_owned())))
            .transpose()?;
        let state = self.read();
        let Some(partition) = state.partition(caller) else {
            return Ok(Page {
                items: Vec::new(),
                next_marker: None,
            });
        };
        Ok(paginate(
            &partition.keys,
            after.as_ref(),
            limit,
            |id| id.to_string(),
            |_, key| Some(key.arn.clone()),
        ))
    }

    /// EnableKey. A key whose automatic rotation fell due while it was disabled rotates now.
    pub fn enable_key(&self, caller: &Scope, key_ref: &KeyRef) -> Result<()> {
        let now = self.clock.now();
        self.update_key(caller, key_ref, |key| {
            require_manageable(key)?;
            key.state = KeyState::Enabled;
            rotation::catch_up_after_enable(key, now);
            Ok(())
        })
    }

    /// DisableKey.
    pub fn disable_key(&self, caller: &Scope, key_ref: &KeyRef) -> Result<()> {
        self.set_enabled_state(caller, key_ref, KeyState::Disabled)
    }

    fn set_enabled_state(&self, caller: &Scope, key_ref: &KeyRef, target: KeyState) -> Result<()> {
        self.update_key(caller, key_ref, |key| {
            require_manageable(key)?;
            key.state = target;
            Ok(())
        })
    }

    /// UpdateKeyDescription.
    pub fn update_key_description(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        description: String,
    ) -> Result<()> {
        self.update_key(caller, key_ref, |key| {
            require_manageable(key)?;
            key.description = description;
            Ok(())
        })
    }

    /// ScheduleKeyDeletion: the key becomes `PendingDeletion` for 7–30 days (default 30).
    pub fn schedule_key_deletion(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        pending_window_days: Option<u32>,
    ) -> Result<Arc<Key>> {
        let window_days = pending_window_days.unwrap_or(PENDING_WINDOW_DEFAULT);
        if !PENDING_WINDOW_RANGE.contains(&window_days) {
            return Err(Error::Validation(format!(
                "PendingWindowInDays must be between {} and {}",
                PENDING_WINDOW_RANGE.start(),
                PENDING_WINDOW_RANGE.end()
            )));
        }
        let now = self.clock.now();
        self.update_key_returning(caller, key_ref, |key| {
            if key.state == KeyState::PendingDeletion {
                return Err(invalid_state(key));
            }
            key.state = KeyState::PendingDeletion;
            key.deletion = Some(Deletion {
                date: now.plus_days(window_days),
                window_days,
            });
            Ok(())
        })
    }

    /// CancelKeyDeletion: the key goes back to `Disabled`, as in AWS.
    pub fn cancel_key_deletion(&self, caller: &Scope, key_ref: &KeyRef) -> Result<Arc<Key>> {
        self.update_key_returning(caller, key_ref, |key| {
            if key.state != KeyState::PendingDeletion {
                return Err(Error::NotPendingDeletion(key.arn.clone()));
            }
            key.state = KeyState::Disabled;
            key.deletion = None;
            Ok(())
        })
    }

    /// Applies `change` to a copy of the caller's own key named by `key_ref` and stores it.
    pub(super) fn update_key(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        change: impl FnOnce(&mut Key) -> Result<()>,
    ) -> Result<()> {
        self.update_key_returning(caller, key_ref, change).map(drop)
    }

    pub(super) fn update_key_returning(
        &self,
        caller: &Scope,
        key_ref: &KeyRef,
        change: impl FnOnce(&mut Key) -> Result<()>,
    ) -> Result<Arc<Key>> {
        self.mutate(|state, changes| {
            let mut key = Key::clone(&*state.resolve(caller, key_ref, Access::Own)?);
            change(&mut key)?;
            Ok(changes.put_key(key))
        })
    }
}

/// Management operations (enable, disable, describe, tag) are refused while the key waits
/// for deletion or for imported material.
pub(super) fn require_manageable(key: &Key) -> Result<()> {
    match key.state {
        KeyState::Enabled | KeyState::Disabled => Ok(()),
        _ => Err(invalid_state(key)),
    }
}

/// The state error for a key whose state forbids the operation.
pub(super) fn invalid_state(key: &Key) -> Error {
    Error::InvalidState {
        arn: key.arn.clone(),
        state: key.state,
    }
}

/// LocalStack's CreateKey tags: `_custom_id_` fixes the key id and `_custom_key_material_`
/// (base64) the key material. They configure the key and are not stored as tags.
#[derive(Debug, Default)]
struct LocalStackTags {
    key_id: Option<String>,
    key_material: Option<String>,
}

impl LocalStackTags {
    fn take(tags: &mut Vec<(String, String)>) -> LocalStackTags {
        let mut custom = LocalStackTags::default();
        tags.retain(|(key, value)| match key.as_str() {
            "_custom_id_" => {
                custom.key_id = Some(value.clone());
                false
            }
            "_custom_key_material_" => {
                custom.key_material = Some(value.clone());
                false
            }
            _ => true,
        });
        custom
    }
}

/// Key material from a `_custom_key_material_` tag: base64 of the raw key (symmetric, HMAC)
/// or of a DER PKCS#8 private key (key pairs).
fn custom_material(spec: KeySpec, encoded: &str) -> Result<KeyMaterial> {
    use base64::Engine;
    let invalid = |why: &str| {
        Error::Validation(format!(
            "The _custom_key_material_ tag is not valid: {why}."
        ))
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| invalid("it must be base64"))?;
    let expected = match spec {
        KeySpec::SymmetricDefault => Some(32),
        _ => spec.hmac_key_len(),
    };
    match expected {
        Some(len) if bytes.len() != len => Err(invalid(&format!(
            "{spec} key material is {len} bytes, not {}",
            bytes.len()
        ))),
        Some(_) if spec == KeySpec::SymmetricDefault => Ok(KeyMaterial::Aes256(
            bytes.try_into().map_err(|_| invalid("wrong length"))?,
        )),
        Some(_) => Ok(KeyMaterial::Hmac(bytes)),
        None => {
            let pair = crate::crypto::asymmetric::import_private_key(&bytes)
                .map_err(|_| invalid("it must be a DER PKCS#8 private key"))?;
            if key_pair_kind(spec) != Some(pair.kind()) {
                return Err(invalid(&format!("the private key is not a {spec} key")));
            }
            Ok(KeyMaterial::Asymmetric(Arc::new(pair)))
        }
    }
}

/// The kind of key pair behind an asymmetric key spec.
pub(super) fn key_pair_kind(spec: KeySpec) -> Option<KeyPairKind> {
    Some(match spec {
        KeySpec::Rsa2048 => KeyPairKind::Rsa(2048),
        KeySpec::Rsa3072 => KeyPairKind::Rsa(3072),
        KeySpec::Rsa4096 => KeyPairKind::Rsa(4096),
        KeySpec::EccNistP256 => KeyPairKind::P256,
        KeySpec::EccNistP384 => KeyPairKind::P384,
        KeySpec::EccNistP521 => KeyPairKind::P521,
        KeySpec::EccSecgP256k1 => KeyPairKind::Secp256k1,
        KeySpec::Sm2 => KeyPairKind::Sm2,
        KeySpec::EccNistEdwards25519 => KeyPairKind::Ed25519,
        KeySpec::MlDsa44 => KeyPairKind::MlDsa44,
        KeySpec::MlDsa65 => KeyPairKind::MlDsa65,
        KeySpec::MlDsa87 => KeyPairKind::MlDsa87,
        KeySpec::MlKem512 => KeyPairKind::MlKem512,
        KeySpec::MlKem768 => KeyPairKind::MlKem768,
        KeySpec::MlKem1024 => KeyPairKind::MlKem1024,
        _ => return None,
    })
}

/// AWS allows each key spec a fixed set of usages.
pub(super) fn check_spec_and_usage(spec: KeySpec, usage: KeyUsage) -> Result<()> {
    if spec.usages().contains(&usage) {
        return Ok(());
    }
    let allowed: Vec<&str> = spec.usages().iter().map(|u| u.as_str()).collect();
    Err(Error::Validation(format!(
        "KeyUsage {usage} is not compatible with KeySpec {spec}; {spec} keys support {}.",
        allowed.join(", ")
    )))
}
